//! The audit log as an attacker meets it (docs/audit.md): a log with a signed checkpoint, then
//! one tamper per test — a flipped byte, a deleted entry (middle, last), entries reordered,
//! the whole log rewritten and re-signed with another key, a forged proof, a fake entry
//! appended, text moved across a field separator — each detected by the check `serve` runs at
//! start and by the offline verifier of the public export. Also the public endpoints, their
//! proofs, commitments in place of personal data, and rows from before the tree. Runs on
//! SQLite and, with `PINGJIA_TEST_DATABASE_URL`, on PostgreSQL.

use crate::support;

use axum::http::StatusCode;
use pingjia_core::checkpoint::{Checkpoint, Signer};
use pingjia_core::merkle;
use pingjia_server::services::audit::{self, Problem, PublicEntry, VerifyError};
use pingjia_server::storage;
use support::{Client, TestApp};

/// A test app whose signing key lives in its own file.
async fn app() -> TestApp {
    static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let key = std::env::temp_dir().join(format!(
        "pingjia-audit-test-{}-{}.key",
        std::process::id(),
        COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    ));
    let _ = std::fs::remove_file(&key);
    TestApp::new_with(|config| {
        config.audit_key_file = Some(key);
        config.audit_origin = "pingjia.test/audit".into();
    })
    .await
}

async fn append(app: &TestApp, actor: Option<i64>, action: &str, object: &str, details: &str) {
    let mut tx = app.state.db.begin().await.unwrap();
    storage::audit(&mut tx, actor, action, object, details, app.state.now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    app.advance(60);
}

async fn size(app: &TestApp) -> i64 {
    storage::audit_count(&app.state.db).await.unwrap()
}

async fn execute(app: &TestApp, sql: &str) {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(&app.state.db.pool)
        .await
        .unwrap();
}

/// Seven entries of our own after the seeded ones, then a signed checkpoint of all.
async fn signed_log() -> TestApp {
    let app = app().await;
    append(
        &app,
        Some(7),
        "round_published",
        "round:1",
        "2026年度第一批",
    )
    .await;
    append(
        &app,
        Some(7),
        "decision_recorded",
        "application:1",
        "recognized (computed recognized) 理由",
    )
    .await;
    append(
        &app,
        None,
        "objection_filed",
        "objection:1",
        "张三 13800000000\n异议内容",
    )
    .await;
    append(
        &app,
        Some(7),
        "notice_opened",
        "round:1",
        "notice:1 2026-06-01..2026-06-07",
    )
    .await;
    append(
        &app,
        Some(7),
        "decision_recorded",
        "application:2",
        "declined",
    )
    .await;
    append(&app, Some(3), "email_changed", "user:3", "li@example.cn").await;
    append(
        &app,
        Some(7),
        "notice_published",
        "notice:1",
        "苏工信〔2026〕1号 2026-06-10",
    )
    .await;
    let signed = audit::sign_checkpoint(&app.state).await.unwrap().unwrap();
    assert_eq!(signed.map(|c| c.size), Some(size(&app).await));
    app
}

/// The position of our `n`-th entry (from 0) in the log.
async fn ours(app: &TestApp, n: i64) -> i64 {
    let (first,): (i64,) =
        sqlx::query_as("SELECT MIN(seq) FROM audit_log WHERE object = 'round:1'")
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    first + n
}

/// The whole public export, as `pingjia audit export` writes it.
async fn export(app: &TestApp) -> Vec<PublicEntry> {
    let mut entries = Vec::new();
    let mut start = 0;
    loop {
        let page = audit::entries(&app.state, Some(start), None).await.unwrap();
        let done = page.end >= page.size || page.entries.is_empty();
        start = page.end;
        entries.extend(page.entries);
        if done {
            return entries;
        }
    }
}

async fn published_note(app: &TestApp) -> String {
    storage::latest_checkpoint(&app.state.db)
        .await
        .unwrap()
        .expect("a checkpoint")
        .note
}

fn key(app: &TestApp) -> String {
    audit::verifier_key(&app.state).unwrap()
}

/// The start-up check refuses the log, and so does the offline verifier of its export against
/// the last checkpoint (with the key published before the tamper).
async fn detected(app: &TestApp, published_key: &str, note: &str) -> (Problem, VerifyError) {
    let problem = audit::check(&app.state)
        .await
        .unwrap()
        .expect_err("the start-up check detects the tamper");
    let offline = audit::verify_export(&export(app).await, note, published_key, None)
        .expect_err("the offline verifier detects the tamper");
    // And no checkpoint is ever signed over it.
    assert!(audit::sign_checkpoint(&app.state).await.unwrap().is_err());
    (problem, offline)
}

/// An attacker who knows the leaf format recomputes every position and leaf hash from the rows
/// as they now are.
async fn reseal(app: &TestApp) {
    let rows = storage::audit_rows(&app.state.db).await.unwrap();
    for (position, mut row) in rows.into_iter().enumerate() {
        row.seq = Some(position as i64);
        let leaf = row.computed_leaf().unwrap();
        sqlx::query("UPDATE audit_log SET seq = $1, leaf_hash = $2 WHERE id = $3")
            .bind(-1 - position as i64)
            .bind(&leaf)
            .bind(row.id)
            .execute(&app.state.db.pool)
            .await
            .unwrap();
    }
    execute(app, "UPDATE audit_log SET seq = -1 - seq").await;
}

#[tokio::test]
async fn an_intact_log_verifies_at_start_and_offline_and_grows_consistently() {
    let app = signed_log().await;
    let status = audit::check(&app.state).await.unwrap().unwrap();
    let first = size(&app).await as u64;
    assert_eq!((status.size, status.checkpoint), (first, Some(first)));
    let old_note = published_note(&app).await;
    let verified = audit::verify_export(&export(&app).await, &old_note, &key(&app), None).unwrap();
    assert_eq!(
        (verified.origin.as_str(), verified.size),
        ("pingjia.test/audit", first)
    );

    // Nothing new: nothing signed.
    assert_eq!(audit::sign_checkpoint(&app.state).await.unwrap(), Ok(None));
    append(&app, Some(7), "round_published", "round:2", "第二批").await;
    audit::sign_checkpoint(&app.state)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let note = published_note(&app).await;
    let verified =
        audit::verify_export(&export(&app).await, &note, &key(&app), Some(&old_note)).unwrap();
    assert_eq!((verified.size, verified.old_size), (first + 1, Some(first)));
    assert_eq!(
        pingjia_server::storage::verify_audit(&app.state.db)
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn the_public_endpoints_give_the_note_the_key_the_entries_and_proofs_that_verify() {
    let app = signed_log().await;
    let anonymous = Client::anonymous();
    let note = app.get(&anonymous, "/api/v1/public/audit/checkpoint").await;
    assert_eq!(note.status, StatusCode::OK);
    assert!(
        note.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let key = app.get(&anonymous, "/api/v1/public/audit/key").await.text();
    assert!(key.starts_with("pingjia.test/audit+"), "{key}");
    let checkpoint = pingjia_core::checkpoint::Verifier::parse(key.trim())
        .unwrap()
        .open(&note.text())
        .unwrap();
    assert_eq!(checkpoint.size as i64, size(&app).await);

    // Personal data only as a commitment; the publications in clear.
    let objection = ours(&app, 2).await;
    let page = app
        .get(
            &anonymous,
            &format!(
                "/api/v1/public/audit/entries?start={}&end={}",
                objection - 2,
                objection + 5
            ),
        )
        .await
        .json();
    let entries = page["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 7);
    assert_eq!(entries[0]["action"], "round_published");
    assert_eq!(entries[0]["details"], "2026年度第一批");
    assert_eq!(entries[2]["action"], "objection_filed");
    assert!(entries[2].get("details").is_none() && entries[2].get("salt").is_none());
    assert!(!page.to_string().contains("张三"));
    assert!(!page.to_string().contains("li@example.cn"));
    // The commitment: SHA-256(salt ‖ details), computed here by hand.
    let salt = entries[0]["salt"].as_str().unwrap();
    let mut committed = hex::decode(salt).unwrap();
    committed.extend_from_slice("2026年度第一批".as_bytes());
    assert_eq!(entries[0]["commitment"], storage::sha256_hex(&committed));

    // An inclusion proof for a decision, checked against the signed root.
    let decision = ours(&app, 1).await;
    let proof = app
        .get(
            &anonymous,
            &format!("/api/v1/public/audit/proof/inclusion?index={decision}"),
        )
        .await
        .json();
    let hash = |value: &serde_json::Value| -> merkle::Hash {
        hex::decode(value.as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap()
    };
    let path: Vec<merkle::Hash> = proof["proof"]
        .as_array()
        .unwrap()
        .iter()
        .map(hash)
        .collect();
    let leaf = hash(&proof["leaf_hash"]);
    assert_eq!(proof["size"], checkpoint.size);
    assert!(merkle::verify_inclusion(
        &leaf,
        decision as u64,
        checkpoint.size,
        &path,
        &checkpoint.root
    ));

    // A forged proof: one byte of one hash flipped, or the proof offered for another entry.
    let mut forged = path.clone();
    forged[0][0] ^= 1;
    assert!(!merkle::verify_inclusion(
        &leaf,
        decision as u64,
        checkpoint.size,
        &forged,
        &checkpoint.root
    ));
    let other = hash(&entries[4]["leaf_hash"]);
    assert!(!merkle::verify_inclusion(
        &other,
        decision as u64,
        checkpoint.size,
        &path,
        &checkpoint.root
    ));
    assert!(!merkle::verify_inclusion(
        &leaf,
        decision as u64 + 1,
        checkpoint.size,
        &path,
        &checkpoint.root
    ));

    // Consistency between the checkpoint and a later one.
    append(&app, Some(7), "round_published", "round:2", "第二批").await;
    append(&app, Some(7), "round_published", "round:3", "第三批").await;
    audit::sign_checkpoint(&app.state)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let newer = pingjia_core::checkpoint::Verifier::parse(key.trim())
        .unwrap()
        .open(
            &app.get(&anonymous, "/api/v1/public/audit/checkpoint")
                .await
                .text(),
        )
        .unwrap();
    assert_eq!(newer.size, checkpoint.size + 2);
    let proof = app
        .get(
            &anonymous,
            &format!(
                "/api/v1/public/audit/proof/consistency?from={}&to={}",
                checkpoint.size, newer.size
            ),
        )
        .await
        .json();
    let path: Vec<merkle::Hash> = proof["proof"]
        .as_array()
        .unwrap()
        .iter()
        .map(hash)
        .collect();
    assert!(merkle::verify_consistency(
        checkpoint.size,
        newer.size,
        &checkpoint.root,
        &newer.root,
        &path
    ));
    let mut forged = path.clone();
    forged[0][31] ^= 0x80;
    assert!(!merkle::verify_consistency(
        checkpoint.size,
        newer.size,
        &checkpoint.root,
        &newer.root,
        &forged
    ));

    // Out of range: refused as input, in JSON.
    let refused = app
        .get(
            &anonymous,
            "/api/v1/public/audit/proof/inclusion?index=100000",
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.json()["error"], "invalid_input");
    let refused = app
        .get(&anonymous, "/api/v1/public/audit/proof/consistency?from=0")
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    // A start at the end of the number line: an empty page, not an overflow.
    let far = app
        .get(
            &anonymous,
            &format!("/api/v1/public/audit/entries?start={}", i64::MAX - 1),
        )
        .await;
    assert_eq!(far.status, StatusCode::OK);
    assert_eq!(far.json()["entries"], serde_json::json!([]));

    // The public pages show it.
    let page = app.get(&anonymous, "/transparency").await;
    assert_eq!(page.status, StatusCode::OK);
    // Escaped as HTML: "/" (in the name and the base64) becomes "&#x2f;".
    let escaped = key.trim().replace('/', "&#x2f;");
    assert!(page.text().contains(&escaped), "{}", page.text());
    let published = app.get(&anonymous, "/published").await.text();
    assert!(
        published.contains(&format!("共 {} 条", newer.size)),
        "{published}"
    );
}

#[tokio::test]
async fn no_checkpoint_yet_is_a_404_and_the_key_is_created_once_with_mode_0600() {
    let app = app().await;
    let anonymous = Client::anonymous();
    let answer = app.get(&anonymous, "/api/v1/public/audit/checkpoint").await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(answer.json()["error"], "not_found");
    let first = key(&app);
    assert_eq!(key(&app), first);
    let path = app.state.config.audit_key_path();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("PRIVATE+KEY+pingjia.test/audit+"));
}

// --- the tampers ------------------------------------------------------------------------------

#[tokio::test]
async fn tamper_1_one_flipped_byte_is_detected() {
    let app = signed_log().await;
    let (key, note) = (key(&app), published_note(&app).await);
    let index = ours(&app, 4).await;
    // "declined" → "eeclined": one byte.
    execute(
        &app,
        &format!("UPDATE audit_log SET details = 'eeclined' WHERE seq = {index}"),
    )
    .await;
    let (problem, offline) = detected(&app, &key, &note).await;
    assert!(
        matches!(problem, Problem::Entry { index: i, .. } if i as i64 == index),
        "{problem}"
    );
    assert!(
        matches!(offline, VerifyError::Entry { index: i, .. } if i as i64 == index),
        "{offline}"
    );
}

#[tokio::test]
async fn tamper_2_a_flipped_byte_with_every_leaf_recomputed_is_detected() {
    let app = signed_log().await;
    let (key, note) = (key(&app), published_note(&app).await);
    let index = ours(&app, 4).await;
    execute(
        &app,
        &format!("UPDATE audit_log SET details = 'eeclined' WHERE seq = {index}"),
    )
    .await;
    reseal(&app).await;
    let size = size(&app).await as u64;
    let (problem, offline) = detected(&app, &key, &note).await;
    assert_eq!(problem, Problem::RootMismatch { size });
    assert_eq!(offline, VerifyError::Root { size });
}

#[tokio::test]
async fn tamper_3_an_entry_deleted_in_the_middle_is_detected() {
    let app = signed_log().await;
    let (key, note) = (key(&app), published_note(&app).await);
    let index = ours(&app, 3).await;
    execute(&app, &format!("DELETE FROM audit_log WHERE seq = {index}")).await;
    let (problem, offline) = detected(&app, &key, &note).await;
    assert!(
        matches!(problem, Problem::Entry { index: i, .. } if i as i64 == index),
        "{problem}"
    );
    assert!(
        matches!(offline, VerifyError::Entry { index: i, .. } if i as i64 == index),
        "{offline}"
    );
}

#[tokio::test]
async fn tamper_4_an_entry_deleted_in_the_middle_and_the_rest_renumbered_is_detected() {
    let app = signed_log().await;
    let (key, note) = (key(&app), published_note(&app).await);
    let before = size(&app).await as u64;
    let index = ours(&app, 3).await;
    execute(&app, &format!("DELETE FROM audit_log WHERE seq = {index}")).await;
    reseal(&app).await;
    let (problem, offline) = detected(&app, &key, &note).await;
    assert_eq!(
        problem,
        Problem::Truncated {
            checkpoint: before,
            size: before - 1
        }
    );
    assert_eq!(
        offline,
        VerifyError::Count {
            checkpoint: before,
            entries: before - 1
        }
    );
}

#[tokio::test]
async fn tamper_5_the_last_entry_deleted_is_detected() {
    let app = signed_log().await;
    let (key, note) = (key(&app), published_note(&app).await);
    let before = size(&app).await as u64;
    execute(
        &app,
        &format!("DELETE FROM audit_log WHERE seq = {}", before - 1),
    )
    .await;
    let (problem, offline) = detected(&app, &key, &note).await;
    assert_eq!(
        problem,
        Problem::Truncated {
            checkpoint: before,
            size: before - 1
        }
    );
    assert_eq!(
        offline,
        VerifyError::Count {
            checkpoint: before,
            entries: before - 1
        }
    );
}

#[tokio::test]
async fn tamper_6_two_entries_reordered_is_detected() {
    let app = signed_log().await;
    let (key, note) = (key(&app), published_note(&app).await);
    let (a, b) = (ours(&app, 1).await, ours(&app, 4).await);
    // Swap the positions (and so the order) of two decisions.
    execute(
        &app,
        &format!("UPDATE audit_log SET seq = -5 WHERE seq = {a}"),
    )
    .await;
    execute(
        &app,
        &format!("UPDATE audit_log SET seq = {a} WHERE seq = {b}"),
    )
    .await;
    execute(
        &app,
        &format!("UPDATE audit_log SET seq = {b} WHERE seq = -5"),
    )
    .await;
    let (problem, _) = detected(&app, &key, &note).await;
    assert!(matches!(problem, Problem::Entry { .. }), "{problem}");
    // Put back, then the two entries' contents swapped and every leaf recomputed: the root
    // differs.
    reseal(&app).await;
    assert!(audit::check(&app.state).await.unwrap().is_ok());
    let rows = storage::audit_rows(&app.state.db).await.unwrap();
    let (first, second) = (&rows[a as usize], &rows[b as usize]);
    for (row, other) in [(first, second), (second, first)] {
        sqlx::query("UPDATE audit_log SET at = $1, actor_id = $2, action = $3, object = $4, details = $5, salt = $6 WHERE id = $7")
            .bind(other.at)
            .bind(other.actor_id)
            .bind(&other.action)
            .bind(&other.object)
            .bind(&other.details)
            .bind(&other.salt)
            .bind(row.id)
            .execute(&app.state.db.pool)
            .await
            .unwrap();
    }
    reseal(&app).await;
    let size = size(&app).await as u64;
    let (problem, offline) = detected(&app, &key, &note).await;
    assert_eq!(problem, Problem::RootMismatch { size });
    assert_eq!(offline, VerifyError::Root { size });
}

#[tokio::test]
async fn tamper_7_the_whole_log_rewritten_and_re_signed_with_another_key_is_detected() {
    let app = signed_log().await;
    let (key, note) = (key(&app), published_note(&app).await);
    execute(&app, "UPDATE audit_log SET details = 'rewritten'").await;
    reseal(&app).await;
    let leaves: Vec<merkle::Hash> = export(&app)
        .await
        .iter()
        .map(PublicEntry::computed_leaf)
        .collect();
    // The same name, another key.
    let forger = Signer::from_seed("pingjia.test/audit", [9; 32]).unwrap();
    let forged = Checkpoint {
        origin: "pingjia.test/audit".into(),
        size: leaves.len() as u64,
        root: merkle::root(&leaves),
    };
    let forged_note = forger.sign(&forged);
    execute(&app, "DELETE FROM audit_checkpoints").await;
    storage::insert_checkpoint(
        &app.state.db,
        &storage::CheckpointRow {
            size: leaves.len() as i64,
            root: hex::encode(forged.root),
            note: forged_note.clone(),
            at: app.state.now(),
        },
    )
    .await
    .unwrap();
    let problem = audit::check(&app.state).await.unwrap().unwrap_err();
    assert!(matches!(problem, Problem::Signature { .. }), "{problem}");
    // Offline, with the key published before: the forged checkpoint is refused, and the
    // rewritten export does not match the genuine one.
    let entries = export(&app).await;
    assert!(matches!(
        audit::verify_export(&entries, &forged_note, &key, None),
        Err(VerifyError::Signature { old: false, .. })
    ));
    assert!(matches!(
        audit::verify_export(&entries, &note, &key, None),
        Err(VerifyError::Root { .. })
    ));
    // Also as the newer of two checkpoints.
    assert!(matches!(
        audit::verify_export(&entries, &forged_note, &key, Some(&note)),
        Err(VerifyError::Signature { old: false, .. })
    ));
}

#[tokio::test]
async fn tamper_8_a_forged_inclusion_proof_is_refused() {
    let app = signed_log().await;
    let checkpoint = pingjia_core::checkpoint::Verifier::parse(&key(&app))
        .unwrap()
        .open(&published_note(&app).await)
        .unwrap();
    let index = ours(&app, 1).await;
    let proof = audit::inclusion(&app.state, index, None).await.unwrap();
    let to_hash =
        |text: &String| -> merkle::Hash { hex::decode(text).unwrap().try_into().unwrap() };
    let path: Vec<merkle::Hash> = proof.proof.iter().map(to_hash).collect();
    let leaf = to_hash(&proof.leaf_hash);
    assert!(merkle::verify_inclusion(
        &leaf,
        index as u64,
        checkpoint.size,
        &path,
        &checkpoint.root
    ));
    // A fake decision's leaf with the genuine path, a path one hash short, one hash too many.
    let fake = storage::entry_leaf_hash(
        index,
        0,
        Some(7),
        "decision_recorded",
        "application:1",
        &"0".repeat(64),
    );
    assert!(!merkle::verify_inclusion(
        &fake,
        index as u64,
        checkpoint.size,
        &path,
        &checkpoint.root
    ));
    assert!(!merkle::verify_inclusion(
        &leaf,
        index as u64,
        checkpoint.size,
        &path[1..],
        &checkpoint.root
    ));
    let mut longer = path.clone();
    longer.push(leaf);
    assert!(!merkle::verify_inclusion(
        &leaf,
        index as u64,
        checkpoint.size,
        &longer,
        &checkpoint.root
    ));
}

#[tokio::test]
async fn tamper_9_a_fake_entry_appended_to_the_export_is_detected() {
    let app = signed_log().await;
    let (key, note) = (key(&app), published_note(&app).await);
    let mut entries = export(&app).await;
    let mut fake = entries.last().unwrap().clone();
    fake.index += 1;
    fake.object = "application:99".into();
    fake.leaf_hash = hex::encode(fake.computed_leaf());
    entries.push(fake.clone());
    assert_eq!(
        audit::verify_export(&entries, &note, &key, None),
        Err(VerifyError::Count {
            checkpoint: entries.len() as u64 - 1,
            entries: entries.len() as u64
        })
    );
    // In place of the last genuine entry: the root differs.
    entries.pop();
    let last = entries.len() - 1;
    fake.index = last as i64;
    fake.leaf_hash = hex::encode(fake.computed_leaf());
    entries[last] = fake;
    assert!(matches!(
        audit::verify_export(&entries, &note, &key, None),
        Err(VerifyError::Root { .. })
    ));
}

#[tokio::test]
async fn tamper_10_a_fake_entry_appended_to_the_table_is_detected() {
    let app = signed_log().await;
    let (key, note) = (key(&app), published_note(&app).await);
    let (id, seq): (i64, i64) =
        sqlx::query_as("SELECT id, seq FROM audit_log ORDER BY id DESC LIMIT 1")
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    // Written as the old hash chain would (no leaf), or with a leaf in the wrong place.
    execute(&app, &format!(
        "INSERT INTO audit_log (id, at, actor_id, action, object, details, prev_hash, hash) VALUES ({}, 1, 7, 'decision_recorded', 'application:99', 'recognized', '', '')",
        id + 1
    )).await;
    let problem = audit::check(&app.state).await.unwrap().unwrap_err();
    assert_eq!(problem, Problem::Unsealed { id: id + 1 });
    // With a leaf hash that is not its fields'.
    execute(
        &app,
        &format!(
            "UPDATE audit_log SET seq = {}, salt = '00', leaf_hash = '{}' WHERE id = {}",
            seq + 1,
            "ab".repeat(32),
            id + 1
        ),
    )
    .await;
    let (problem, offline) = detected(&app, &key, &note).await;
    assert!(
        matches!(problem, Problem::Entry { index, .. } if index as i64 == seq + 1),
        "{problem}"
    );
    assert!(
        matches!(offline, VerifyError::Entry { index, .. } if index as i64 == seq + 1),
        "{offline}"
    );
    // With its leaf computed as the server would: not covered by any signed checkpoint, so the
    // published checkpoint does not vouch for it (docs/audit.md, "What the log proves").
    let row = storage::audit_rows(&app.state.db)
        .await
        .unwrap()
        .pop()
        .unwrap();
    execute(
        &app,
        &format!(
            "UPDATE audit_log SET leaf_hash = '{}' WHERE id = {}",
            row.computed_leaf().unwrap(),
            id + 1
        ),
    )
    .await;
    let entries = export(&app).await;
    assert_eq!(
        audit::verify_export(&entries, &note, &key, None),
        Err(VerifyError::Count {
            checkpoint: seq as u64 + 1,
            entries: seq as u64 + 2
        })
    );
}

#[tokio::test]
async fn tamper_11_text_moved_across_a_field_separator_is_detected() {
    let app = signed_log().await;
    let (key, note) = (key(&app), published_note(&app).await);
    let index = ours(&app, 2).await;
    // object "objection:1", details "张三 …\n异议内容" → object "objection:1\n张三 …",
    // details "异议内容": the old chain's text "objection:1\n张三 …\n异议内容" is unchanged.
    let row = storage::audit_rows(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .find(|row| row.seq == Some(index))
        .unwrap();
    let (first, rest) = row.details.split_once('\n').unwrap();
    let moved_object = format!("{}\n{first}", row.object);
    assert_eq!(
        storage::audit_hash("p", row.at, row.actor_id, &row.action, &moved_object, rest),
        storage::audit_hash(
            "p",
            row.at,
            row.actor_id,
            &row.action,
            &row.object,
            &row.details
        ),
        "the old chain cannot tell"
    );
    sqlx::query("UPDATE audit_log SET object = $1, details = $2 WHERE id = $3")
        .bind(&moved_object)
        .bind(rest)
        .bind(row.id)
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(
        storage::verify_audit(&app.state.db).await.unwrap(),
        Some(row.id),
        "the table's own check sees it"
    );
    let (problem, offline) = detected(&app, &key, &note).await;
    assert!(
        matches!(problem, Problem::Entry { index: i, .. } if i as i64 == index),
        "{problem}"
    );
    assert!(matches!(offline, VerifyError::Entry { .. }), "{offline}");
}

// --- rows from before the tree ----------------------------------------------------------------

#[tokio::test]
async fn rows_from_before_the_tree_are_sealed_before_the_first_checkpoint_only() {
    let app = app().await;
    append(&app, Some(7), "user_created", "user:7", "province").await;
    append(&app, Some(7), "user_created", "user:8", "expert").await;
    let before = size(&app).await;
    // The rows as the hash chain alone wrote them (an upgraded database).
    execute(
        &app,
        "UPDATE audit_log SET seq = NULL, salt = NULL, leaf_hash = NULL",
    )
    .await;
    append(&app, Some(7), "round_published", "round:1", "第一批").await;
    let status = audit::check(&app.state).await.unwrap().unwrap();
    assert_eq!(
        (status.size, status.backfilled),
        (before as u64 + 1, before as u64)
    );
    assert_eq!(status.checkpoint, None);
    let rows = storage::audit_rows(&app.state.db).await.unwrap();
    let positions: Vec<i64> = rows.iter().map(|row| row.seq.unwrap()).collect();
    assert_eq!(positions, (0..=before).collect::<Vec<_>>());
    audit::sign_checkpoint(&app.state)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    audit::verify_export(
        &export(&app).await,
        &published_note(&app).await,
        &key(&app),
        None,
    )
    .unwrap();
    // After a checkpoint, a row without its leaf is not sealed: it is reported.
    execute(&app, "UPDATE audit_log SET leaf_hash = NULL WHERE seq = 0").await;
    assert!(matches!(
        audit::check(&app.state).await.unwrap(),
        Err(Problem::Unsealed { .. })
    ));
}
