//! The resource pool: a publication makes a member with its term and history; the pool's jobs
//! remind the organisation before the term ends and remove the member after it, each once,
//! however often they run. Dates are computed by hand from 003 三、2 (3 years from the
//! document's date, the last day being the day before the anniversary).

use crate::support;

use axum::http::StatusCode;
use chrono::NaiveDate;
use pingjia_server::services::pool;
use serde_json::json;
use support::TestApp;

const DAY: i64 = 86_400;

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

/// 甲公司's network application decided 四星 (its default), on notice and published with a
/// document dated 2026-06-05: its term runs to 2029-06-04.
async fn published(app: &TestApp) -> i64 {
    let round = app.round_of("jiangsu-pool-2021").await;
    let a = app.in_expert_review("applicant_a").await;
    app.complete_expert_review(a).await;
    let province = app.sign_in("province").await;
    let decided = app
        .post(
            &province,
            &format!("/api/v1/applications/{a}/decision"),
            json!({}),
        )
        .await;
    assert_eq!(decided.status, StatusCode::OK, "{}", decided.text());
    let opened = app
        .post(
            &province,
            &format!("/api/v1/rounds/{round}/notices"),
            json!({}),
        )
        .await;
    assert_eq!(opened.status, StatusCode::OK, "{}", opened.text());
    let notice = opened.json()["notice_id"].as_i64().unwrap();
    app.advance(7 * DAY);
    let province = app.sign_in("province").await;
    let published = app
        .post(
            &province,
            &format!("/api/v1/notices/{notice}/publication"),
            json!({ "document_number": "苏工信〔2026〕88号", "document_date": "2026-06-05" }),
        )
        .await;
    assert_eq!(published.status, StatusCode::OK, "{}", published.text());
    a
}

async fn member_of(app: &TestApp, applicant: &str) -> pingjia_server::storage::Member {
    let user = pingjia_server::storage::user_by_username(&app.state.db, applicant)
        .await
        .unwrap()
        .unwrap();
    let members = pingjia_server::storage::members_of(&app.state.db, user.organization_id.unwrap())
        .await
        .unwrap();
    assert_eq!(members.len(), 1, "{members:?}");
    members.into_iter().next().unwrap()
}

async fn kinds(app: &TestApp, member: i64) -> Vec<String> {
    pingjia_server::storage::member_events(&app.state.db, member)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

async fn reminders(app: &TestApp) -> i64 {
    let (count,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM notifications WHERE title LIKE '%将于 2029-06-04 到期%'",
    )
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    count
}

async fn run(app: &TestApp, job: &str, today: &str) -> usize {
    pool::run(&app.state, job, date(today))
        .await
        .unwrap()
        .unwrap()
        .done
}

#[tokio::test]
async fn a_publication_makes_a_member_with_its_term_and_history() {
    let app = TestApp::new().await;
    published(&app).await;
    let member = member_of(&app, "applicant_a").await;
    assert_eq!(member.scheme_id, "jiangsu-pool-2021");
    assert_eq!(member.provider_type, "network");
    assert_eq!(member.result, "四星");
    assert_eq!(member.stars, Some(4));
    assert_eq!(member.valid_from, "2026-06-05");
    assert_eq!(member.valid_until.as_deref(), Some("2029-06-04"));
    assert_eq!(member.status, "active");
    assert_eq!(member.document_number, "苏工信〔2026〕88号");
    assert_eq!(kinds(&app, member.id).await, ["granted"]);
    assert!(
        pool::run(&app.state, "no_such_job", date("2026-06-06"))
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn renewal_reminders_come_once_at_180_90_and_30_days() {
    let app = TestApp::new().await;
    published(&app).await;
    let member = member_of(&app, "applicant_a").await.id;
    // 2028-12-05 is 181 days before 2029-06-04: nothing yet.
    assert_eq!(run(&app, "renewal_reminders", "2028-12-05").await, 0);
    // 180 days: 25 (rest of December) + 31 + 28 + 31 + 30 + 31 + 4.
    assert_eq!(run(&app, "renewal_reminders", "2028-12-06").await, 1);
    assert_eq!(run(&app, "renewal_reminders", "2028-12-06").await, 0);
    assert_eq!(run(&app, "renewal_reminders", "2029-01-15").await, 0);
    // 90 days: 25 + 30 + 31 + 4.
    assert_eq!(run(&app, "renewal_reminders", "2029-03-06").await, 1);
    assert_eq!(run(&app, "renewal_reminders", "2029-03-07").await, 0);
    // 30 days: 26 + 4; twice, once.
    assert_eq!(run(&app, "renewal_reminders", "2029-05-05").await, 1);
    assert_eq!(run(&app, "renewal_reminders", "2029-05-05").await, 0);
    assert_eq!(reminders(&app).await, 3);
    assert_eq!(
        kinds(&app, member).await,
        ["granted", "reminded", "reminded", "reminded"]
    );
}

#[tokio::test]
async fn a_member_leaves_the_pool_the_day_after_its_term_once() {
    let app = TestApp::new().await;
    published(&app).await;
    let member = member_of(&app, "applicant_a").await.id;
    // 2029-06-04 is the term's last day.
    assert_eq!(run(&app, "member_expiry", "2029-06-04").await, 0);
    assert_eq!(member_of(&app, "applicant_a").await.status, "active");
    assert_eq!(run(&app, "member_expiry", "2029-06-05").await, 1);
    assert_eq!(run(&app, "member_expiry", "2029-06-05").await, 0);
    assert_eq!(run(&app, "member_expiry", "2029-07-01").await, 0);
    assert_eq!(member_of(&app, "applicant_a").await.status, "expired");
    assert_eq!(kinds(&app, member).await, ["granted", "expired"]);
    // An expired member is reminded of nothing.
    assert_eq!(run(&app, "renewal_reminders", "2029-06-05").await, 0);
}
