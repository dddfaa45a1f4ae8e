//! `pingjia audit` as a verifier outside the authority runs it: an export and a checkpoint of a
//! real database verify offline; a tampered export, another key or a rewritten older part do
//! not (exit code 6); and `pingjia serve` refuses to start on a log that no longer matches its
//! checkpoint.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn pingjia(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pingjia"))
        .args(args)
        .env_remove("PINGJIA_DATABASE_URL")
        .env_remove("PINGJIA_AUDIT_KEY_FILE")
        .current_dir(std::env::temp_dir())
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn dir(name: &str) -> Dir {
    let path =
        std::env::temp_dir().join(format!("pingjia-audit-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&path);
    std::fs::create_dir_all(&path).unwrap();
    Dir(path)
}

fn url(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("pingjia.db").display())
}

fn ok(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    text(&output.stdout)
}

/// An administrator created (one audit entry), a checkpoint signed, the export written; the
/// files a verifier would download.
fn snapshot(dir: &Path, username: &str, tag: &str) -> (PathBuf, PathBuf) {
    let url = url(dir);
    ok(&pingjia(&[
        "admin",
        "create",
        username,
        "--database-url",
        &url,
    ]));
    let note = ok(&pingjia(&["audit", "checkpoint", "--database-url", &url]));
    assert!(
        note.contains("\n\n\u{2014} pingjia.example/audit "),
        "{note}"
    );
    let checkpoint = dir.join(format!("checkpoint-{tag}.txt"));
    std::fs::write(&checkpoint, note).unwrap();
    let entries = dir.join(format!("entries-{tag}.json"));
    std::fs::write(
        &entries,
        ok(&pingjia(&["audit", "export", "--database-url", &url])),
    )
    .unwrap();
    (entries, checkpoint)
}

fn public_key(dir: &Path) -> PathBuf {
    let private = std::fs::read_to_string(dir.join("pingjia-audit.key")).unwrap();
    let key = pingjia_core::checkpoint::Signer::from_private_key(&private)
        .unwrap()
        .verifier_key();
    let path = dir.join("key.txt");
    std::fs::write(&path, format!("{key}\n")).unwrap();
    path
}

fn verify(entries: &Path, checkpoint: &Path, key: &Path, old: Option<&Path>) -> Output {
    let mut args = vec![
        "audit".to_owned(),
        "verify".into(),
        "--entries".into(),
        entries.display().to_string(),
        "--checkpoint".into(),
        checkpoint.display().to_string(),
        "--key".into(),
        key.display().to_string(),
    ];
    if let Some(old) = old {
        args.extend(["--old-checkpoint".to_owned(), old.display().to_string()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    pingjia(&args)
}

#[test]
fn an_export_verifies_offline_and_a_tampered_one_does_not() {
    let dir = dir("verify");
    let (old_entries, old_checkpoint) = snapshot(&dir.0, "alice", "1");
    let key = public_key(&dir.0);
    let output = verify(&old_entries, &old_checkpoint, &key, None);
    assert!(
        ok(&output).starts_with("通过 / OK"),
        "{}",
        text(&output.stdout)
    );

    let (entries, checkpoint) = snapshot(&dir.0, "bob", "2");
    let output = verify(&entries, &checkpoint, &key, Some(&old_checkpoint));
    let said = ok(&output);
    assert!(
        said.contains("前 1 条未被改动") || said.contains("未被改动"),
        "{said}"
    );

    // One field changed in the export: exit code 6, the entry named.
    let exported = std::fs::read_to_string(&entries).unwrap();
    let tampered = dir.0.join("tampered.json");
    std::fs::write(
        &tampered,
        exported.replacen(
            "\"action\":\"user_created\"",
            "\"action\":\"user_removed\"",
            1,
        ),
    )
    .unwrap();
    assert_ne!(std::fs::read_to_string(&tampered).unwrap(), exported);
    let output = verify(&tampered, &checkpoint, &key, None);
    assert_eq!(output.status.code(), Some(6), "{}", text(&output.stdout));
    assert!(
        text(&output.stderr).contains("未通过 / FAILED"),
        "{}",
        text(&output.stderr)
    );

    // The older export against the newer checkpoint: not what it covers.
    let output = verify(&old_entries, &checkpoint, &key, None);
    assert_eq!(output.status.code(), Some(6));

    // Another key.
    let other = pingjia_core::checkpoint::Signer::from_seed("pingjia.example/audit", [3; 32])
        .unwrap()
        .verifier_key();
    let output = verify(&entries, &checkpoint, Path::new(&other), None);
    assert_eq!(output.status.code(), Some(6));
    assert!(
        text(&output.stderr).contains("签名无效"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn serve_refuses_to_start_on_a_log_that_no_longer_matches_its_checkpoint() {
    let dir = dir("serve");
    snapshot(&dir.0, "alice", "1");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let db = pingjia_server::Db::open_without_migrations(&url(&dir.0))
            .await
            .unwrap();
        sqlx::query("UPDATE audit_log SET details = 'authority_admin'")
            .execute(&db.pool)
            .await
            .unwrap();
        db.pool.close().await;
    });
    let mut child = Command::new(env!("CARGO_BIN_EXE_pingjia"))
        .args([
            "serve",
            "--database-url",
            &url(&dir.0),
            "--listen",
            "127.0.0.1:0",
        ])
        .env_remove("PINGJIA_AUDIT_WARN_ONLY")
        .current_dir(std::env::temp_dir())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("pingjia serve started on a tampered log");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let output = child.wait_with_output().unwrap();
    assert_eq!(status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("refusing to start"),
        "{}",
        text(&output.stderr)
    );
}
