//! The loader, run as a program on a small data set: what it writes must be what the
//! application itself would have written (valid credit codes, working passwords, the grade the
//! engine gives each stored declaration, states consistent with their versions).

use pingjia_core::Catalog;
use pingjia_core::engine::Round;
use pingjia_server::Db;
use pingjia_server::services::credit_code::CreditCode;
use std::path::PathBuf;
use std::process::Command;

fn loader(database_url: &str, summary: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pingjia-loadtest"))
        .args([
            "--database-url",
            database_url,
            "--organizations",
            "300",
            "--batch",
            "120",
        ])
        .arg("--summary")
        .arg(summary)
        .output()
        .expect("the loader runs")
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pingjia-loadtest-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn the_loaded_data_is_what_the_application_would_have_written() {
    let dir = temp_dir();
    let url = format!("sqlite://{}", dir.join("load.db").display());
    let summary_path = dir.join("summary.json");
    let output = loader(&url, &summary_path);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let db = Db::open(&url).await.unwrap();
    let count = |sql: &'static str| {
        let pool = db.pool.clone();
        async move {
            let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&pool).await.unwrap();
            n
        }
    };
    assert_eq!(count("SELECT COUNT(*) FROM organizations").await, 300);
    assert_eq!(count("SELECT COUNT(*) FROM applications").await, 300);
    // One applicant per organisation and the four reviewers.
    assert_eq!(count("SELECT COUNT(*) FROM users").await, 304);
    // Drafts are never submitted; everything else was, and its last version is frozen
    // unless it was returned for changes (then a new draft is open).
    assert_eq!(
        count(
            "SELECT COUNT(*) FROM applications WHERE (state = 'draft') = (submitted_at IS NOT NULL)"
        )
        .await,
        0
    );
    assert_eq!(
        count(
            "SELECT COUNT(*) FROM applications a JOIN declaration_versions v ON v.application_id = a.id \
             WHERE v.number = (SELECT MAX(number) FROM declaration_versions WHERE application_id = a.id) \
               AND (v.submitted_at IS NULL) <> (a.state IN ('draft', 'returned'))"
        )
        .await,
        0
    );
    // Several states occur, as in a real round.
    assert!(count("SELECT COUNT(DISTINCT state) FROM applications").await >= 4);

    let codes: Vec<(String,)> = sqlx::query_as("SELECT credit_code FROM organizations")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    for (code,) in &codes {
        CreditCode::parse(code).unwrap_or_else(|e| panic!("{code}: {e:?}"));
    }

    // The grade stored with each version is the engine's grade of the stored body.
    let catalog = Catalog::builtin().unwrap();
    let versions: Vec<(String, Option<String>, String, Option<String>)> = sqlx::query_as(
        "SELECT a.scheme_id, a.provider_type, v.body, v.grade FROM declaration_versions v \
         JOIN applications a ON a.id = v.application_id",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert!(versions.len() >= 300);
    let mut graded = std::collections::BTreeSet::new();
    for (scheme_id, provider_type, body, grade) in &versions {
        let (scheme, type_index) = pingjia_server::services::assessment::target(
            &catalog,
            scheme_id,
            provider_type.as_deref(),
        )
        .expect("a known scheme and type");
        let body: serde_json::Value = serde_json::from_str(body).unwrap();
        let assessment = pingjia_server::services::assessment::assess(
            scheme,
            type_index,
            &body,
            &Round::from_scheme(scheme),
        );
        assert_eq!(grade.as_deref(), Some(assessment.report.grade.as_str()));
        graded.insert(assessment.report.grade.clone());
    }
    assert!(graded.len() >= 3, "varied grades, not one copy: {graded:?}");

    // The summary's accounts sign in with the summary's password.
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&summary_path).unwrap()).unwrap();
    let password = summary["password"].as_str().unwrap();
    let first = summary["applicants"][0]["username"].as_str().unwrap();
    for username in [first, "bench-sz", "bench-js"] {
        let user = pingjia_server::storage::user_by_username(&db, username)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{username}"));
        assert!(pingjia_server::services::accounts::verify_password(
            password,
            &user.password_hash
        ));
    }

    // A second load into the same database is refused rather than doubling the data.
    let again = loader(&url, &summary_path);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already holds"));
    assert_eq!(count("SELECT COUNT(*) FROM organizations").await, 300);
    let _ = std::fs::remove_dir_all(&dir);
}
