//! Crash safety of `pingjia serve` on SQLite: the built binary is killed with SIGKILL at random
//! moments while a client writes through the JSON API, restarted on the same database, and the
//! database is checked after every restart and at the end.
//!
//! What must hold whatever the moment of the kill:
//! - every write the server acknowledged (a complete 2xx answer) is there: sign-ins (their
//!   sessions), API tokens and their revocations, the application, evidence uploads and
//!   removals, the last acknowledged draft body or a later one;
//! - `PRAGMA integrity_check` is `ok` and no foreign key dangles (SQLite; the same test runs
//!   on PostgreSQL with `PINGJIA_CRASH_DATABASE_URL`);
//! - the audit chain verifies, and every change has exactly its audit entry and every audit
//!   entry its change (one transaction per command);
//! - every live evidence row has its file, with the content its hash names.
//!
//! The kills are timed by a seeded generator (`PINGJIA_CRASH_SEED` to choose another seed);
//! the checks do not depend on where the kills land.

#![cfg(unix)]

use pingjia_server::Db;
use pingjia_server::services::demo::DEMO_PASSWORD;
use pingjia_server::storage::{sha256_hex, verify_audit};
use serde_json::{Value as Json, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::File;
use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// How many times the server is killed during the burst.
const KILLS: usize = 30;
/// The longest wait before a kill, in milliseconds (the shortest is 2).
const LONGEST_DELAY_MS: u64 = 200;
/// Requests per round at most, whatever the timing.
const MAX_REQUESTS_PER_ROUND: usize = 400;
const DEFAULT_SEED: u64 = 0x5eed_2026_c7a5_4001;
/// How long a started server may take to answer its first request.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long one request may take before it counts as unanswered.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);
/// The applicant that writes; the other demo accounts only sign in.
const APPLICANT: &str = "zhilian";
const OTHER_ACCOUNTS: &[&str] = &[
    "js-admin",
    "sz-reviewer",
    "ks-reviewer",
    "nj-reviewer",
    "sx-admin",
    "kq-reviewer",
    "expert1",
    "yunshu",
    "kqtex",
];
const SCHEME: &str = "jiangsu-pool-2021";
const PROVIDER_TYPE: &str = "network";

// --- the test --------------------------------------------------------------------------------

#[test]
fn acknowledged_writes_survive_kills_and_every_change_has_its_audit_entry() {
    let started = Instant::now();
    let seed = std::env::var("PINGJIA_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_SEED);
    let dir = TempDir::new();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut rng = Rng(seed);
    let mut starts = 0;

    let mut server = Server::start(&dir, &mut starts);
    let mut client = Client::new(server.port, rng.next());
    client.sign_in_applicant();

    let mut interrupted = 0;
    for round in 0..KILLS {
        // Let the client write, and kill the server under it after a random delay.
        let delay = Duration::from_millis(2 + rng.below(LONGEST_DELAY_MS - 1));
        let killed = Arc::new(AtomicBool::new(false));
        let killer = {
            let killed = killed.clone();
            let mut child = server.child;
            thread::spawn(move || {
                thread::sleep(delay);
                child.kill().expect("the server is killed");
                child.wait().expect("the killed server is reaped");
                killed.store(true, Ordering::SeqCst);
            })
        };
        let mut requests = 0;
        while !killed.load(Ordering::SeqCst) && requests < MAX_REQUESTS_PER_ROUND {
            if !client.write_something() {
                interrupted += 1;
                break;
            }
            requests += 1;
        }
        killer.join().expect("the killer thread ends");

        server = Server::start(&dir, &mut starts);
        client.port = server.port;
        runtime.block_on(check(&dir, &client, &format!("after kill {}", round + 1)));
    }

    // The restarted server works: one of each write, none of them may fail.
    client.write_each_kind();
    runtime.block_on(check(&dir, &client, "after the writes of the last start"));
    let mut child = server.child;
    child.kill().unwrap();
    child.wait().unwrap();
    runtime.block_on(check(&dir, &client, "at the end"));

    let stats = &client.stats;
    println!(
        "crash test (seed {seed}): {KILLS} kills, {interrupted} of them cutting a request short, \
         {} requests, {} acknowledged, {} unanswered; {} tokens, {} uploads, {} draft saves, \
         {} sign-ins acknowledged; {:.1} s",
        stats.requests,
        stats.acknowledged,
        stats.unanswered,
        client.tokens.len(),
        client.uploads.len(),
        stats.drafts_acknowledged,
        client.sessions.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        stats.acknowledged >= KILLS,
        "too few writes were acknowledged for the test to mean anything: {stats:?}"
    );
    dir.remove();
}

// --- the checks ------------------------------------------------------------------------------

/// SQLite's own checks of the file: every page sound, no foreign key dangling.
async fn check_sqlite_file(pool: &sqlx::AnyPool, dir: &TempDir, when: &str) {
    let integrity: Vec<(String,)> = sqlx::query_as("PRAGMA integrity_check")
        .fetch_all(pool)
        .await
        .unwrap();
    assert_eq!(
        integrity,
        [("ok".to_owned(),)],
        "{when}: integrity_check; {}",
        dir.describe()
    );
    let dangling = sqlx::query("PRAGMA foreign_key_check")
        .fetch_all(pool)
        .await
        .unwrap();
    assert!(
        dangling.is_empty(),
        "{when}: {} rows fail foreign_key_check; {}",
        dangling.len(),
        dir.describe()
    );
}

/// Everything that must hold of the database and the evidence directory, given what the
/// client saw acknowledged.
async fn check(dir: &TempDir, client: &Client, when: &str) {
    let db = Db::open_without_migrations(&dir.database_url())
        .await
        .unwrap_or_else(|e| panic!("{when}: the database opens: {e:#}"));
    let pool = &db.pool;

    // The file itself (SQLite; PostgreSQL keeps its own, and its foreign keys are never
    // deferred or switched off).
    if db.backend == pingjia_server::storage::Backend::Sqlite {
        check_sqlite_file(pool, dir, when).await;
    }

    // The audit chain, and what it records.
    assert_eq!(
        verify_audit(&db).await.unwrap(),
        None,
        "{when}: the audit chain breaks; {}",
        dir.describe()
    );
    let entries: Vec<(String, String)> = sqlx::query_as("SELECT action, object FROM audit_log")
        .fetch_all(pool)
        .await
        .unwrap();
    let mut audited: HashMap<(String, String), usize> = HashMap::new();
    for entry in entries {
        *audited.entry(entry).or_default() += 1;
    }
    let count = |action: &str, object: &str| {
        audited
            .get(&(action.to_owned(), object.to_owned()))
            .copied()
            .unwrap_or(0)
    };
    let objects = |action: &str, prefix: &str| -> BTreeSet<i64> {
        audited
            .keys()
            .filter(|(a, _)| a == action)
            .filter_map(|(_, object)| object.strip_prefix(prefix)?.parse().ok())
            .collect()
    };

    let users: Vec<(i64, String)> = sqlx::query_as("SELECT id, username FROM users")
        .fetch_all(pool)
        .await
        .unwrap();
    let user_id: HashMap<String, i64> =
        users.iter().map(|(id, name)| (name.clone(), *id)).collect();

    // Sessions: one per acknowledged sign-in, and one per audited sign-in (nobody signs out
    // or changes a password here, so none ends).
    let sessions: Vec<(String, i64)> = sqlx::query_as("SELECT token_hash, user_id FROM sessions")
        .fetch_all(pool)
        .await
        .unwrap();
    let session_user: HashMap<&str, i64> = sessions.iter().map(|(h, u)| (h.as_str(), *u)).collect();
    for (username, cookie) in &client.sessions {
        assert_eq!(
            session_user.get(sha256_hex(cookie.as_bytes()).as_str()),
            Some(&user_id[username]),
            "{when}: the acknowledged sign-in of {username} lost its session; {}",
            dir.describe()
        );
    }
    for (id, username) in &users {
        let open = sessions.iter().filter(|(_, u)| u == id).count();
        assert_eq!(
            open,
            count("sign_in", &format!("user:{id}")),
            "{when}: sessions of {username} against its audited sign-ins; {}",
            dir.describe()
        );
    }

    // API tokens: each row has its creation entry (and its revocation entry if revoked), each
    // entry its row.
    type TokenRow = (i64, i64, String, String, Option<i64>);
    let tokens: Vec<TokenRow> =
        sqlx::query_as("SELECT id, user_id, name, token_hash, revoked_at FROM api_tokens")
            .fetch_all(pool)
            .await
            .unwrap();
    let token_rows: BTreeMap<i64, &TokenRow> = tokens.iter().map(|row| (row.0, row)).collect();
    for (id, _, _, _, revoked_at) in &tokens {
        let object = format!("token:{id}");
        assert_eq!(
            count("token_created", &object),
            1,
            "{when}: token {id} and its token_created entries; {}",
            dir.describe()
        );
        assert_eq!(
            count("token_revoked", &object),
            usize::from(revoked_at.is_some()),
            "{when}: token {id} (revoked_at {revoked_at:?}) and its token_revoked entries; {}",
            dir.describe()
        );
    }
    assert_eq!(
        objects("token_created", "token:"),
        token_rows.keys().copied().collect(),
        "{when}: audited token creations against token rows; {}",
        dir.describe()
    );
    let applicant = user_id[APPLICANT];
    for token in &client.tokens {
        let row = token_rows.get(&token.id).unwrap_or_else(|| {
            panic!(
                "{when}: acknowledged token {} is missing; {}",
                token.id,
                dir.describe()
            )
        });
        assert_eq!(
            (row.1, row.2.as_str(), row.3.as_str()),
            (
                applicant,
                token.name.as_str(),
                sha256_hex(token.secret.as_bytes()).as_str()
            ),
            "{when}: token {} as acknowledged",
            token.id
        );
        match token.revocation {
            Removal::Done => assert!(
                row.4.is_some(),
                "{when}: the acknowledged revocation of token {} is lost; {}",
                token.id,
                dir.describe()
            ),
            Removal::NotTried => assert!(
                row.4.is_none(),
                "{when}: token {} was revoked though nobody asked",
                token.id
            ),
            Removal::Attempted => {}
        }
    }

    // Applications: each has its creation entry, each entry its application; each draft
    // opened after a submission its draft_opened entry.
    let applications: Vec<(i64,)> = sqlx::query_as("SELECT id FROM applications")
        .fetch_all(pool)
        .await
        .unwrap();
    let applications: BTreeSet<i64> = applications.into_iter().map(|(id,)| id).collect();
    assert_eq!(
        objects("application_created", "application:"),
        applications,
        "{when}: audited application creations against applications; {}",
        dir.describe()
    );
    for id in &applications {
        assert_eq!(
            count("application_created", &format!("application:{id}")),
            1,
            "{when}: application {id} and its application_created entries"
        );
    }
    if let Some(id) = client.application {
        assert!(
            applications.contains(&id),
            "{when}: the acknowledged application {id} is missing; {}",
            dir.describe()
        );
    }
    type VersionRow = (i64, i64, i64, Option<i64>, String);
    let versions: Vec<VersionRow> = sqlx::query_as(
        "SELECT id, application_id, number, submitted_at, body FROM declaration_versions ORDER BY application_id, number",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut submitted: BTreeSet<i64> = BTreeSet::new();
    let mut first_version: BTreeMap<i64, i64> = BTreeMap::new();
    for (id, application, number, submitted_at, _) in &versions {
        if submitted_at.is_some() {
            submitted.insert(*application);
        }
        if *number == 1 {
            first_version.insert(*application, *id);
        }
    }
    for id in &applications {
        let opened = versions.iter().filter(|v| v.1 == *id && v.2 > 1).count();
        assert_eq!(
            opened,
            count("draft_opened", &format!("application:{id}")),
            "{when}: drafts opened after submission of application {id} against draft_opened entries"
        );
    }

    // The draft: the body of the last acknowledged save, or of a later one.
    if let Some(id) = client.application {
        let latest = versions
            .iter()
            .filter(|v| v.1 == id)
            .max_by_key(|v| v.2)
            .unwrap_or_else(|| panic!("{when}: application {id} has no version"));
        let body: Json = serde_json::from_str(&latest.4).unwrap();
        let saved = client
            .drafts
            .iter()
            .find(|(_, sent)| **sent == body)
            .map(|(marker, _)| *marker);
        match client.draft_acknowledged {
            Some(acknowledged) => assert!(
                saved.is_some_and(|marker| marker >= acknowledged),
                "{when}: the draft body is {body}, not the acknowledged save {acknowledged} or a \
                 later one (it is save {saved:?}); {}",
                dir.describe()
            ),
            None => assert!(
                saved.is_some() || body["values"] == json!({}),
                "{when}: the draft body {body} was never sent"
            ),
        }
    }

    // Evidence: per application, one evidence_uploaded entry per uploaded row and one
    // evidence_removed entry per removed row. Rows carried into a new draft after a
    // submission are copies, not uploads, so for an application with a submitted version
    // only the rows of its first version are counted, as a lower bound.
    type EvidenceRow = (i64, i64, i64, String, Option<i64>);
    let evidence: Vec<EvidenceRow> = sqlx::query_as(
        "SELECT id, application_id, version_id, sha256, deleted_at FROM evidence ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    for id in &applications {
        let object = format!("application:{id}");
        let rows: Vec<&EvidenceRow> = evidence.iter().filter(|e| e.1 == *id).collect();
        let uploaded = count("evidence_uploaded", &object);
        let removed = count("evidence_removed", &object);
        if submitted.contains(id) {
            let first = rows
                .iter()
                .filter(|e| Some(&e.2) == first_version.get(id))
                .count();
            assert!(
                first <= uploaded,
                "{when}: application {id}: {first} rows in version 1, {uploaded} evidence_uploaded entries"
            );
        } else {
            let deleted = rows.iter().filter(|e| e.4.is_some()).count();
            assert_eq!(
                (rows.len(), deleted),
                (uploaded, removed),
                "{when}: application {id}: (evidence rows, removed rows) against \
                 (evidence_uploaded, evidence_removed) entries; {}",
                dir.describe()
            );
        }
    }
    let evidence_rows: BTreeMap<i64, &EvidenceRow> = evidence.iter().map(|e| (e.0, e)).collect();
    for upload in &client.uploads {
        let row = evidence_rows.get(&upload.id).unwrap_or_else(|| {
            panic!(
                "{when}: acknowledged upload {} is missing; {}",
                upload.id,
                dir.describe()
            )
        });
        assert_eq!(
            (Some(row.1), row.3.as_str()),
            (client.application, upload.sha256.as_str()),
            "{when}: upload {} as acknowledged",
            upload.id
        );
        match upload.removal {
            Removal::Done => assert!(
                row.4.is_some(),
                "{when}: the acknowledged removal of evidence {} is lost; {}",
                upload.id,
                dir.describe()
            ),
            Removal::NotTried => assert!(
                row.4.is_none(),
                "{when}: evidence {} was removed though nobody asked",
                upload.id
            ),
            Removal::Attempted => {}
        }
    }
    for (id, _, _, sha256, deleted_at) in &evidence {
        if deleted_at.is_some() {
            continue;
        }
        let path = dir.evidence().join(&sha256[..2]).join(sha256);
        let content = std::fs::read(&path).unwrap_or_else(|e| {
            panic!(
                "{when}: the file of live evidence {id} ({}): {e}; {}",
                path.display(),
                dir.describe()
            )
        });
        assert_eq!(
            &sha256_hex(&content),
            sha256,
            "{when}: the file of evidence {id} does not have the content its name says"
        );
    }

    db.pool.close().await;
}

// --- the client ------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Removal {
    /// Never asked for: the row must be live.
    NotTried,
    /// Asked for without an answer: either.
    Attempted,
    /// Acknowledged (or found done by a later attempt): the row must be removed.
    Done,
}

#[derive(Debug)]
struct Token {
    id: i64,
    name: String,
    secret: String,
    revocation: Removal,
}

#[derive(Debug)]
struct Upload {
    id: i64,
    sha256: String,
    removal: Removal,
}

#[derive(Debug, Default)]
struct Stats {
    requests: usize,
    acknowledged: usize,
    unanswered: usize,
    drafts_acknowledged: usize,
}

/// The applicant at its browser, and everything the server acknowledged to it.
#[derive(Debug)]
struct Client {
    port: u16,
    rng: Rng,
    cookie: String,
    csrf: String,
    /// The draft application the writes go to, once its creation is known.
    application: Option<i64>,
    /// Numbers the names, drafts and files, so that each is unique.
    counter: u64,
    tokens: Vec<Token>,
    uploads: Vec<Upload>,
    /// Every draft body sent, acknowledged or not, by its number.
    drafts: BTreeMap<u64, Json>,
    draft_acknowledged: Option<u64>,
    /// Acknowledged sign-ins: user name and cookie value.
    sessions: Vec<(String, String)>,
    stats: Stats,
}

impl Client {
    fn new(port: u16, seed: u64) -> Client {
        Client {
            port,
            rng: Rng(seed),
            cookie: String::new(),
            csrf: String::new(),
            application: None,
            counter: 0,
            tokens: Vec::new(),
            uploads: Vec::new(),
            drafts: BTreeMap::new(),
            draft_acknowledged: None,
            sessions: Vec::new(),
            stats: Stats::default(),
        }
    }

    /// The applicant's session, opened before the first kill.
    fn sign_in_applicant(&mut self) {
        let (cookie, csrf) = self
            .sign_in(APPLICANT)
            .expect("the applicant signs in before any kill");
        self.cookie = cookie;
        self.csrf = csrf;
    }

    /// One request with the applicant's session; `None` when no complete answer came.
    fn send(&mut self, method: &str, path: &str, content_type: &str, body: &[u8]) -> Option<Reply> {
        let headers = [
            ("Cookie", format!("pingjia_session={}", self.cookie)),
            ("X-CSRF-Token", self.csrf.clone()),
            ("Content-Type", content_type.to_owned()),
        ];
        self.count(http(self.port, method, path, &headers, body))
    }

    fn send_json(&mut self, method: &str, path: &str, body: &Json) -> Option<Reply> {
        self.send(
            method,
            path,
            "application/json",
            body.to_string().as_bytes(),
        )
    }

    fn count(&mut self, reply: Option<Reply>) -> Option<Reply> {
        self.stats.requests += 1;
        match &reply {
            Some(reply) if reply.success() => self.stats.acknowledged += 1,
            Some(_) => {}
            None => self.stats.unanswered += 1,
        }
        reply
    }

    fn next(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    /// One write, chosen at random; false if it got no answer (the server is gone).
    fn write_something(&mut self) -> bool {
        if self.application.is_none() {
            return self.create_application();
        }
        let live_tokens = self.tokens.iter().any(|t| t.revocation != Removal::Done);
        let live_uploads = self.uploads.iter().any(|u| u.removal != Removal::Done);
        match self.rng.below(100) {
            0..22 => self.create_token(),
            22..28 if live_tokens => self.revoke_token(),
            22..28 => self.create_token(),
            28..55 => self.save_draft(),
            55..80 => self.upload(),
            80..96 if live_uploads => self.remove_evidence(),
            80..96 => self.upload(),
            _ => {
                let name = OTHER_ACCOUNTS[self.rng.below(OTHER_ACCOUNTS.len() as u64) as usize];
                self.sign_in(name).is_some()
            }
        }
    }

    /// One of each write, each of which must be acknowledged.
    fn write_each_kind(&mut self) {
        assert!(self.application.is_some() || self.create_application());
        assert!(self.create_token());
        assert!(self.revoke_token());
        assert!(self.save_draft());
        assert!(self.upload());
        assert!(self.upload());
        assert!(self.remove_evidence());
        assert!(self.sign_in(OTHER_ACCOUNTS[0]).is_some());
    }

    /// Signs in; the cookie and CSRF token if acknowledged. A throttled attempt is no
    /// failure: attempts cut short by a kill count as failed ones.
    fn sign_in(&mut self, username: &str) -> Option<(String, String)> {
        let body = json!({ "username": username, "password": DEMO_PASSWORD }).to_string();
        let headers = [("Content-Type", "application/json".to_owned())];
        let reply = self.count(http(
            self.port,
            "POST",
            "/api/v1/session",
            &headers,
            body.as_bytes(),
        ))?;
        match reply.status {
            200 => {
                let cookie = reply
                    .headers
                    .iter()
                    .filter(|(name, _)| name == "set-cookie")
                    .find_map(|(_, value)| {
                        value
                            .strip_prefix("pingjia_session=")?
                            .split(';')
                            .next()
                            .map(str::to_owned)
                    })
                    .expect("a sign-in sets the session cookie");
                let csrf = reply.json()["csrf_token"].as_str().unwrap().to_owned();
                self.sessions.push((username.to_owned(), cookie.clone()));
                Some((cookie, csrf))
            }
            429 => None,
            _ => unexpected("sign-in", &reply),
        }
    }

    fn create_application(&mut self) -> bool {
        let body = json!({ "scheme": SCHEME, "provider_type": PROVIDER_TYPE });
        let Some(reply) = self.send_json("POST", "/api/v1/applications", &body) else {
            return false;
        };
        match reply.status {
            201 => {
                self.application = reply.json()["application"]["id"].as_i64();
                assert!(self.application.is_some(), "{reply:?}");
                true
            }
            // An earlier attempt that got no answer did create it.
            409 => {
                let Some(list) = self.send("GET", "/api/v1/applications?per_page=200", "", b"")
                else {
                    return false;
                };
                assert_eq!(list.status, 200, "{list:?}");
                let listing = list.json();
                self.application = listing["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|a| {
                        a["scheme_id"] == SCHEME
                            && a["provider_type"] == PROVIDER_TYPE
                            && a["state"] == "draft"
                    })
                    .and_then(|a| a["id"].as_i64());
                assert!(
                    self.application.is_some(),
                    "refused as already open, yet not listed: {listing}"
                );
                true
            }
            _ => unexpected("creating the application", &reply),
        }
    }

    fn create_token(&mut self) -> bool {
        let name = format!("crash {}", self.next());
        let body = json!({ "name": name, "scopes": "read" });
        let Some(reply) = self.send_json("POST", "/api/v1/me/tokens", &body) else {
            return false;
        };
        if reply.status != 201 {
            unexpected("creating a token", &reply);
        }
        let created = reply.json();
        self.tokens.push(Token {
            id: created["id"].as_i64().unwrap(),
            name,
            secret: created["token"].as_str().unwrap().to_owned(),
            revocation: Removal::NotTried,
        });
        true
    }

    fn revoke_token(&mut self) -> bool {
        let candidates: Vec<usize> = (0..self.tokens.len())
            .filter(|&i| self.tokens[i].revocation != Removal::Done)
            .collect();
        let index = candidates[self.rng.below(candidates.len() as u64) as usize];
        let before = self.tokens[index].revocation;
        self.tokens[index].revocation = Removal::Attempted;
        let path = format!("/api/v1/me/tokens/{}", self.tokens[index].id);
        let Some(reply) = self.send("DELETE", &path, "", b"") else {
            return false;
        };
        match reply.status {
            204 => self.tokens[index].revocation = Removal::Done,
            // Revoked by an earlier attempt that got no answer.
            404 if before == Removal::Attempted => self.tokens[index].revocation = Removal::Done,
            _ => unexpected("revoking a token", &reply),
        }
        true
    }

    fn save_draft(&mut self) -> bool {
        let marker = self.next();
        let body = json!({
            "organization": { "kind": "enterprise" },
            "subclasses": ["identifier_service"],
            "values": { "employees": marker, "registered_capital": "800万" },
            "confirmed": {},
        });
        self.drafts.insert(marker, body.clone());
        let path = format!("/api/v1/applications/{}/draft", self.application.unwrap());
        let Some(reply) = self.send_json("PUT", &path, &body) else {
            return false;
        };
        if reply.status != 200 {
            unexpected("saving the draft", &reply);
        }
        self.draft_acknowledged = Some(marker);
        self.stats.drafts_acknowledged += 1;
        true
    }

    fn upload(&mut self) -> bool {
        let number = self.next();
        let mut content = format!(
            "%PDF-1.4\n% crash test upload {number} {:016x}\n",
            self.rng.next()
        )
        .into_bytes();
        content.extend(std::iter::repeat_n(b'.', self.rng.below(4096) as usize));
        content.extend_from_slice(b"\n%%EOF\n");
        let sha256 = sha256_hex(&content);
        let boundary = format!("crash-boundary-{number}");
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"crash-{number}.pdf\"\r\n\
             Content-Type: application/pdf\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(&content);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let path = format!(
            "/api/v1/applications/{}/evidence",
            self.application.unwrap()
        );
        let content_type = format!("multipart/form-data; boundary={boundary}");
        let Some(reply) = self.send("POST", &path, &content_type, &body) else {
            return false;
        };
        if reply.status != 201 {
            unexpected("uploading evidence", &reply);
        }
        let item = reply.json();
        assert_eq!(item["sha256"], sha256.as_str(), "{item}");
        self.uploads.push(Upload {
            id: item["id"].as_i64().unwrap(),
            sha256,
            removal: Removal::NotTried,
        });
        true
    }

    fn remove_evidence(&mut self) -> bool {
        let candidates: Vec<usize> = (0..self.uploads.len())
            .filter(|&i| self.uploads[i].removal != Removal::Done)
            .collect();
        let index = candidates[self.rng.below(candidates.len() as u64) as usize];
        let before = self.uploads[index].removal;
        self.uploads[index].removal = Removal::Attempted;
        let path = format!("/api/v1/evidence/{}", self.uploads[index].id);
        let Some(reply) = self.send("DELETE", &path, "", b"") else {
            return false;
        };
        match reply.status {
            204 => self.uploads[index].removal = Removal::Done,
            // Removed by an earlier attempt that got no answer.
            404 if before == Removal::Attempted => self.uploads[index].removal = Removal::Done,
            _ => unexpected("removing evidence", &reply),
        }
        true
    }
}

fn unexpected(what: &str, reply: &Reply) -> ! {
    panic!(
        "{what}: unexpected answer {} {}",
        reply.status,
        String::from_utf8_lossy(&reply.body)
    )
}

// --- HTTP/1.1 by hand ------------------------------------------------------------------------

#[derive(Debug)]
struct Reply {
    status: u16,
    /// Names in lower case.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    fn json(&self) -> Json {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "a JSON answer ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

/// One request on its own connection (`Connection: close`). `None` unless a complete answer
/// arrived: a server killed mid-request acknowledges nothing.
fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> Option<Reply> {
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(2)).ok()?;
    stream.set_read_timeout(Some(REQUEST_TIMEOUT)).ok()?;
    stream.set_write_timeout(Some(REQUEST_TIMEOUT)).ok()?;
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        if !value.is_empty() {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    request.push_str("\r\n");
    let mut bytes = request.into_bytes();
    bytes.extend_from_slice(body);
    stream.write_all(&bytes).ok()?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).ok()?;
    parse_reply(&raw)
}

fn parse_reply(raw: &[u8]) -> Option<Reply> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let rest = &raw[end + 4..];
    let body = if let Some(length) = header("content-length") {
        let length: usize = length.parse().ok()?;
        rest.get(..length)?.to_vec()
    } else if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        dechunk(rest)?
    } else {
        rest.to_vec()
    };
    Some(Reply {
        status,
        headers,
        body,
    })
}

/// A chunked body, `None` unless its last chunk arrived.
fn dechunk(mut rest: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line = rest.windows(2).position(|w| w == b"\r\n")?;
        let size = std::str::from_utf8(&rest[..line]).ok()?;
        let size = usize::from_str_radix(size.split(';').next()?.trim(), 16).ok()?;
        rest = &rest[line + 2..];
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(rest.get(..size)?);
        rest = rest.get(size + 2..)?;
    }
}

// --- the server ------------------------------------------------------------------------------

#[derive(Debug)]
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    /// Starts `pingjia serve --demo` on the test's database and a free port, and waits until
    /// it answers. A start that fails (the port taken meanwhile) is tried again on another.
    fn start(dir: &TempDir, starts: &mut usize) -> Server {
        for _ in 0..5 {
            *starts += 1;
            let port = free_port();
            let log = File::create(dir.path.join(format!("server-{starts}.log"))).unwrap();
            let mut command = Command::new(env!("CARGO_BIN_EXE_pingjia"));
            command
                .args(["serve", "--demo", "--database-url", &dir.database_url()])
                .args(["--listen", &format!("127.0.0.1:{port}")])
                .current_dir(&dir.path)
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log);
            for (name, _) in std::env::vars_os() {
                if name.to_string_lossy().starts_with("PINGJIA_") {
                    command.env_remove(name);
                }
            }
            command
                .env("PINGJIA_EVIDENCE_DIR", dir.evidence())
                .env("PINGJIA_LOG", "warn");
            let mut child = command.spawn().expect("the server starts");
            let deadline = Instant::now() + START_TIMEOUT;
            loop {
                if child.try_wait().unwrap().is_some() {
                    break;
                }
                if http(port, "GET", "/", &[], b"").is_some() {
                    return Server { child, port };
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    break;
                }
                thread::sleep(Duration::from_millis(10));
            }
        }
        panic!("the server does not start; {}", dir.describe())
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

// --- odds and ends ---------------------------------------------------------------------------

/// A directory of its own for the database, the evidence and the server logs; kept when the
/// test fails, for a look at the logs.
#[derive(Debug)]
struct TempDir {
    path: PathBuf,
}

impl TempDir {
    fn new() -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let path =
            std::env::temp_dir().join(format!("pingjia-crash-{}-{nanos:08x}", std::process::id()));
        std::fs::create_dir_all(path.join("evidence")).unwrap();
        TempDir { path }
    }

    /// A fresh SQLite file, or the empty PostgreSQL database named by
    /// `PINGJIA_CRASH_DATABASE_URL` (CI creates one for the run).
    fn database_url(&self) -> String {
        match std::env::var("PINGJIA_CRASH_DATABASE_URL") {
            Ok(url) if !url.is_empty() => url,
            _ => format!("sqlite://{}", self.path.join("pingjia.db").display()),
        }
    }

    fn evidence(&self) -> PathBuf {
        self.path.join("evidence")
    }

    fn describe(&self) -> String {
        format!("database and server logs kept in {}", self.path.display())
    }

    fn remove(self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// SplitMix64: a small seeded generator, enough for timing and choices.
#[derive(Debug)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}
