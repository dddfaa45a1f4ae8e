//! Commands under concurrency, as an attacker or a busy day would send them: every command is
//! one transaction with its audit entry, so parallel requests give exactly one winner, never a
//! 500, never a change without its audit entry, and never a lost file. Run on SQLite and, with
//! `PINGJIA_TEST_DATABASE_URL`, on PostgreSQL.

use crate::support;

use axum::http::StatusCode;
use serde_json::json;
use std::sync::Arc;
use support::{Client, PASSWORD, TestApp, pdf};
use tokio::task::JoinSet;

async fn count(app: &TestApp, sql: &'static str) -> i64 {
    let (count,): (i64,) = sqlx::query_as(sql)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    count
}

async fn audit_verifies(app: &TestApp) {
    assert_eq!(
        pingjia_server::storage::verify_audit(&app.state.db)
            .await
            .unwrap(),
        None,
        "the audit chain verifies"
    );
}

/// Runs `n` copies of a request at once; returns their statuses.
async fn parallel<F, Fut>(app: &Arc<TestApp>, n: usize, request: F) -> Vec<StatusCode>
where
    F: Fn(Arc<TestApp>, usize) -> Fut,
    Fut: std::future::Future<Output = StatusCode> + Send + 'static,
{
    let mut set = JoinSet::new();
    for i in 0..n {
        set.spawn(request(app.clone(), i));
    }
    let mut statuses = Vec::new();
    while let Some(status) = set.join_next().await {
        statuses.push(status.unwrap());
    }
    statuses
}

fn tally(statuses: &[StatusCode], status: StatusCode) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_submissions_have_one_winner() {
    let app = Arc::new(TestApp::new().await);
    let a = app.sign_in("applicant_a").await;
    let id = app.new_application(&a, "network").await;
    let statuses = parallel(&app, 20, |app, _| {
        let a = a.clone();
        async move {
            app.post(&a, &format!("/api/v1/applications/{id}/submit"), json!({}))
                .await
                .status
        }
    })
    .await;
    assert_eq!(tally(&statuses, StatusCode::OK), 1, "{statuses:?}");
    assert_eq!(tally(&statuses, StatusCode::CONFLICT), 19, "{statuses:?}");
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'submitted'"
        )
        .await,
        1
    );
    audit_verifies(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_autosaves_open_one_new_version() {
    let app = Arc::new(TestApp::new().await);
    let a = app.sign_in("applicant_a").await;
    let id = app.new_application(&a, "network").await;
    app.submit(&a, id).await;
    // Returned for correction (the review chain's action, set directly here).
    app.set_state(id, "returned").await;
    let statuses = parallel(&app, 20, |app, i| {
        let a = a.clone();
        async move {
            app.put(
                &a,
                &format!("/api/v1/applications/{id}/draft"),
                json!({ "values": { "employees": 80 + i } }),
            )
            .await
            .status
        }
    })
    .await;
    assert_eq!(tally(&statuses, StatusCode::OK), 20, "{statuses:?}");
    let versions = app
        .get(&a, &format!("/api/v1/applications/{id}"))
        .await
        .json()["versions"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(versions, 2);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'draft_opened'"
        )
        .await,
        1
    );
    audit_verifies(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_sign_ins_each_answer_and_each_success_is_audited() {
    let app = Arc::new(TestApp::new().await);
    let users = [
        "applicant_a",
        "applicant_b",
        "county_ks",
        "city_sz",
        "province",
    ];
    let statuses = parallel(&app, 60, |app, i| async move {
        app.post(
            &Client::anonymous(),
            "/api/v1/session",
            json!({ "username": users[i % users.len()], "password": PASSWORD }),
        )
        .await
        .status
    })
    .await;
    let ok = tally(&statuses, StatusCode::OK);
    assert_eq!(
        ok + tally(&statuses, StatusCode::TOO_MANY_REQUESTS),
        60,
        "no other answer: {statuses:?}"
    );
    assert!(ok >= users.len(), "{statuses:?}");
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'sign_in'"
        )
        .await as usize,
        ok
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM sessions").await as usize,
        ok
    );
    audit_verifies(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_guesses_check_at_most_the_limit() {
    let app = Arc::new(TestApp::new().await);
    let statuses = parallel(&app, 60, |app, i| async move {
        app.post(
            &Client::anonymous(),
            "/api/v1/session",
            json!({ "username": "applicant_a", "password": format!("guess-{i}-wrong") }),
        )
        .await
        .status
    })
    .await;
    let limit = app.state.config.max_failed_logins as usize;
    assert_eq!(
        tally(&statuses, StatusCode::UNAUTHORIZED),
        limit,
        "{statuses:?}"
    );
    assert_eq!(
        tally(&statuses, StatusCode::TOO_MANY_REQUESTS),
        60 - limit,
        "{statuses:?}"
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM login_attempts").await as usize,
        limit,
        "a password was checked only for the attempts recorded"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_token_creations_are_all_audited() {
    let app = Arc::new(TestApp::new().await);
    let a = app.sign_in("applicant_a").await;
    let statuses = parallel(&app, 30, |app, i| {
        let a = a.clone();
        async move {
            app.post(
                &a,
                "/api/v1/me/tokens",
                json!({ "name": format!("推送 {i}"), "scopes": "read" }),
            )
            .await
            .status
        }
    })
    .await;
    assert_eq!(tally(&statuses, StatusCode::CREATED), 30, "{statuses:?}");
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'token_created'"
        )
        .await,
        30
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM api_tokens").await, 30);
    audit_verifies(&app).await;
}

/// A removal and an upload of the same content, at the same time, many times: an upload that
/// was acknowledged always finds its file afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_acknowledged_upload_never_loses_its_file_to_a_removal() {
    let app = Arc::new(TestApp::new().await);
    let a = app.sign_in("applicant_a").await;
    let b = app.sign_in("applicant_b").await;
    let draft_a = app.new_application(&a, "network").await;
    let draft_b = app.new_application(&b, "network").await;
    let mut lost = Vec::new();
    for round in 0..30 {
        let content = pdf(&format!("shared content {round}"));
        let first = app.upload(&a, draft_a, "a.pdf", &content, None).await;
        assert_eq!(first.status, StatusCode::CREATED);
        let first_id = first.json()["id"].as_i64().unwrap();
        let remover = {
            let (app, a) = (app.clone(), a.clone());
            tokio::spawn(async move {
                app.delete(&a, &format!("/api/v1/evidence/{first_id}"))
                    .await
                    .status
            })
        };
        let uploader = {
            let (app, b, content) = (app.clone(), b.clone(), content.clone());
            tokio::spawn(async move { app.upload(&b, draft_b, "b.pdf", &content, None).await })
        };
        assert_eq!(remover.await.unwrap(), StatusCode::NO_CONTENT);
        let second = uploader.await.unwrap();
        assert_eq!(second.status, StatusCode::CREATED, "{}", second.text());
        let second_id = second.json()["id"].as_i64().unwrap();
        let download = app
            .get(&b, &format!("/api/v1/evidence/{second_id}/download"))
            .await;
        if download.status != StatusCode::OK || download.body != content {
            lost.push(round);
        }
    }
    assert!(
        lost.is_empty(),
        "acknowledged uploads lost their file in rounds {lost:?}"
    );
    audit_verifies(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_open_application_per_scheme_and_type_even_in_parallel() {
    let app = Arc::new(TestApp::new().await);
    let a = app.sign_in("applicant_a").await;
    let statuses = parallel(&app, 10, |app, _| {
        let a = a.clone();
        async move {
            app.post(
                &a,
                "/api/v1/applications",
                json!({ "scheme": "jiangsu-pool-2021", "provider_type": "network" }),
            )
            .await
            .status
        }
    })
    .await;
    assert_eq!(tally(&statuses, StatusCode::CREATED), 1, "{statuses:?}");
    assert_eq!(tally(&statuses, StatusCode::CONFLICT), 9, "{statuses:?}");
    // Another type, or another organisation, is another application.
    assert_eq!(
        app.post(
            &a,
            "/api/v1/applications",
            json!({ "scheme": "jiangsu-pool-2021", "provider_type": "cloud_platform" }),
        )
        .await
        .status,
        StatusCode::CREATED
    );
    let b = app.sign_in("applicant_b").await;
    assert!(app.new_application(&b, "network").await > 0);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'application_created'"
        )
        .await,
        3
    );
    audit_verifies(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_review_decisions_have_one_winner() {
    let app = Arc::new(TestApp::new().await);
    let b = app.sign_in("applicant_b").await;
    let county = app.sign_in("county_jn").await;
    let id = app.new_application(&b, "network").await;
    app.submit(&b, id).await;
    // Twenty clicks on 「通过初审」 and on 「退回」 at once: one decision wins, the others meet
    // the state it left.
    let statuses = parallel(&app, 20, |app, i| {
        let county = county.clone();
        async move {
            let decision = if i % 2 == 0 {
                json!({ "action": "pass" })
            } else {
                json!({ "action": "return", "comment": "请补充" })
            };
            app.post(
                &county,
                &format!("/api/v1/applications/{id}/decisions"),
                decision,
            )
            .await
            .status
        }
    })
    .await;
    // The others are refused by the state the winner left: `409 wrong_state`, or `403` where
    // that state is another office's step (a `return` once the city has it).
    assert_eq!(tally(&statuses, StatusCode::OK), 1, "{statuses:?}");
    assert_eq!(
        tally(&statuses, StatusCode::CONFLICT) + tally(&statuses, StatusCode::FORBIDDEN),
        19,
        "{statuses:?}"
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'review_%'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM review_events WHERE action <> 'submit'"
        )
        .await,
        1
    );
    audit_verifies(&app).await;
}
