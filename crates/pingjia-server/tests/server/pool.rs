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
pub(crate) async fn published(app: &TestApp) -> i64 {
    let round = app.round_of("jiangsu-pool-2021").await;
    let a = app.in_expert_review("applicant_a").await;
    app.publish(round, &[a], "苏工信〔2026〕88号", "2026-06-05")
        .await;
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

// --- the pool's lifecycle: admission, spot checks, revocation, fraud, existing members --------

use pingjia_server::services::accounts::NewUserRequest;
use pingjia_server::services::actor::Role;
use support::{Client, add_user, credit_code, pdf};

/// 甲公司's member, published from a round renamed 「测试批次 2026年上半年」 (its batch), term
/// 2026-06-05 ..= 2029-06-04; today is 2026-06-05.
async fn member_from_first_half(app: &TestApp) -> i64 {
    let round = app.round_of("jiangsu-pool-2021").await;
    sqlx::query("UPDATE rounds SET name = '测试批次 2026年上半年' WHERE id = $1")
        .bind(round)
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    published(app).await;
    member_of(app, "applicant_a").await.id
}

/// An authority of 绍兴市 (another region than 江苏省's members).
async fn shaoxing_authority(app: &TestApp) -> Client {
    add_user(
        app,
        NewUserRequest {
            username: "shaoxing".into(),
            display_name: "绍兴市经信局".into(),
            password: support::PASSWORD.into(),
            role: Role::AuthorityAdmin,
            credit_code: None,
            organization_name: None,
            region_code: Some("3306".into()),
        },
    )
    .await;
    app.sign_in("shaoxing").await
}

fn create(scheme: &str, provider_type: &str, round: Option<i64>) -> serde_json::Value {
    json!({ "scheme": scheme, "provider_type": provider_type, "round_id": round })
}

#[tokio::test]
async fn an_upgrade_waits_for_the_same_batch_of_the_next_year() {
    let app = TestApp::new().await;
    member_from_first_half(&app).await;
    let a = app.sign_in("applicant_a").await;
    // The same batch again (2026年上半年): too early; the earliest batch is 2027年上半年 and a
    // renewal may be made from 2028-06-05 (the last 12 months of a term ending 2029-06-04).
    let refused = app
        .post(
            &a,
            "/api/v1/applications",
            create("jiangsu-pool-2021", "network", None),
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text());
    assert_eq!(refused.json()["error"], "upgrade_too_early");
    let message = refused.json()["message"].as_str().unwrap().to_owned();
    assert!(message.contains("2027年上半年"), "{message}");
    assert!(message.contains("2028-06-05"), "{message}");
    // Another type is not a member: it applies as new.
    app.new_application(&a, "solution").await;
    // 2027-03-01, in a round of 2027年上半年: an upgrade is accepted.
    let next = app
        .open_round("jiangsu-pool-2021", "32", "2027-01-01", "2027-06-30")
        .await;
    app.advance((date("2027-03-01") - date("2026-06-05")).num_days() * DAY);
    let a = app.sign_in("applicant_a").await;
    let accepted = app
        .post(
            &a,
            "/api/v1/applications",
            create("jiangsu-pool-2021", "network", Some(next)),
        )
        .await;
    assert_eq!(accepted.status, StatusCode::CREATED, "{}", accepted.text());
}

#[tokio::test]
async fn a_spot_check_downgrades_or_removes_in_one_command() {
    let app = TestApp::new().await;
    let member = member_from_first_half(&app).await;
    let province = app.sign_in("province").await;
    // A downgrade to 五星 (not below 四星) is refused beside the form.
    let upward = app
        .post(
            &province,
            &format!("/api/v1/pool/members/{member}/spot-checks"),
            json!({ "checked_on": "2026-06-01", "inspectors": "江苏省工业互联网研究院", "findings": "服务中断", "outcome": "downgrade", "stars": 5 }),
        )
        .await;
    assert_eq!(upward.status, StatusCode::UNPROCESSABLE_ENTITY);
    // A future date is refused.
    let future = app
        .post(
            &province,
            &format!("/api/v1/pool/members/{member}/spot-checks"),
            json!({ "checked_on": "2026-06-06", "inspectors": "x", "findings": "y", "outcome": "pass" }),
        )
        .await;
    assert_eq!(future.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Downgrade to 三星 with a report attached (multipart).
    let downgraded = app
        .post_file(
            &province,
            &format!("/api/v1/pool/members/{member}/spot-checks"),
            "抽查报告.pdf",
            &pdf("report"),
            &[
                ("checked_on", "2026-06-01"),
                ("inspectors", "江苏省工业互联网研究院（受托第三方）"),
                ("findings", "客户服务响应超时，运维体系与申报不符"),
                ("outcome", "downgrade"),
                ("stars", "3"),
            ],
        )
        .await;
    assert_eq!(
        downgraded.status,
        StatusCode::CREATED,
        "{}",
        downgraded.text()
    );
    assert_eq!(downgraded.json()["result"], "三星");
    assert_eq!(downgraded.json()["files"], 1);
    let now = member_of(&app, "applicant_a").await;
    assert_eq!((now.status.as_str(), now.stars), ("active", Some(3)));
    assert_eq!(now.result, "三星");
    assert_eq!(kinds(&app, member).await, ["granted", "downgraded"]);
    let detail = app
        .get(&province, &format!("/api/v1/pool/members/{member}"))
        .await
        .json();
    assert_eq!(detail["spot_checks"][0]["outcome"], "downgrade");
    let file = detail["files"][0]["id"].as_i64().unwrap();
    let download = app
        .get(&province, &format!("/api/v1/pool/spot-check-files/{file}"))
        .await;
    assert_eq!(download.status, StatusCode::OK);
    assert_eq!(download.body, pdf("report"));
    // The organisation is told, with the clause.
    let a = app.sign_in("applicant_a").await;
    let inbox = app.get(&a, "/api/v1/me/notifications").await.text();
    assert!(inbox.contains("抽查后降级为三星"), "{inbox}");
    // Removal: the member leaves the pool; a further check is refused for the state.
    let removed = app
        .post(
            &province,
            &format!("/api/v1/pool/members/{member}/spot-checks"),
            json!({ "checked_on": "2026-06-05", "inspectors": "省工信厅", "findings": "存在不良行为", "outcome": "remove" }),
        )
        .await;
    assert_eq!(removed.status, StatusCode::CREATED, "{}", removed.text());
    assert_eq!(member_of(&app, "applicant_a").await.status, "removed");
    let again = app
        .post(
            &province,
            &format!("/api/v1/pool/members/{member}/spot-checks"),
            json!({ "checked_on": "2026-06-05", "inspectors": "x", "findings": "y", "outcome": "pass" }),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(
        kinds(&app, member).await,
        ["granted", "downgraded", "removed"]
    );
    let (audited,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM audit_log WHERE action = 'pool_spot_check'")
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!(audited, 2);
}

#[tokio::test]
async fn another_region_or_role_finds_no_member() {
    let app = TestApp::new().await;
    let member = member_from_first_half(&app).await;
    let shaoxing = shaoxing_authority(&app).await;
    for client in [
        shaoxing.clone(),
        app.sign_in("city_sz").await,
        app.sign_in("applicant_a").await,
    ] {
        let shown = app
            .get(&client, &format!("/api/v1/pool/members/{member}"))
            .await;
        let missing = app.get(&client, "/api/v1/pool/members/999999").await;
        assert_eq!(shown.status, StatusCode::NOT_FOUND);
        assert_eq!(shown.body, missing.body);
        let check = app
            .post(
                &client,
                &format!("/api/v1/pool/members/{member}/revocation"),
                json!({ "ground": "fraud", "found_on": "2026-06-01", "detail": "x" }),
            )
            .await;
        assert_eq!(check.status, StatusCode::NOT_FOUND);
        let page = app.get(&client, &format!("/pool/{member}")).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND);
    }
    let list = app.get(&shaoxing, "/api/v1/pool/members").await.json();
    assert_eq!(list["total"], 0);
    let province = app.sign_in("province").await;
    let list = app
        .get(&province, "/api/v1/pool/members?status=active&stars=4&q=甲")
        .await
        .json();
    assert_eq!(list["total"], 1);
    let none = app
        .get(&province, "/api/v1/pool/members?status=revoked")
        .await
        .json();
    assert_eq!(none["total"], 0);
    let wrong = app.get(&province, "/api/v1/pool/members?stars=9").await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let page = app.get(&province, "/pool?status=active").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("甲公司"));
    let page = app.get(&province, &format!("/pool/{member}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("记录抽查"));
}

#[tokio::test]
async fn a_revocation_bars_for_three_years_and_fills_the_blacklist_gate() {
    let app = TestApp::new().await;
    let a = app.sign_in("applicant_a").await;
    // A draft made before the finding: its blacklist gate reads the records, not the
    // applicant, who declares a blacklisting of 2020-01-01.
    let draft = app.new_application(&a, "solution").await;
    let saved = app
        .put(
            &a,
            &format!("/api/v1/applications/{draft}/draft"),
            json!({ "values": { "blacklisted_on": "2020-01-01" } }),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text());
    let used = |detail: &serde_json::Value| {
        detail["assessment"]["report"]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == "basic_conditions.not_blacklisted")
            .unwrap()["used"]
            .clone()
    };
    let before = app
        .get(&a, &format!("/api/v1/applications/{draft}"))
        .await
        .json();
    assert_eq!(used(&before), "无");

    let member = member_from_first_half(&app).await;
    let province = app.sign_in("province").await;
    let wrong_ground = app
        .post(
            &province,
            &format!("/api/v1/pool/members/{member}/revocation"),
            json!({ "ground": "article11_2", "found_on": "2026-06-01", "detail": "x" }),
        )
        .await;
    assert_eq!(wrong_ground.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Found 2026-06-01 (三、1): barred through 2029-06-01, free from 2029-06-02.
    let revoked = app
        .post(
            &province,
            &format!("/api/v1/pool/members/{member}/revocation"),
            json!({ "ground": "fraud", "found_on": "2026-06-01", "detail": "财务数据造假" }),
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.text());
    assert_eq!(revoked.json()["first_free_on"], "2029-06-02");
    assert_eq!(member_of(&app, "applicant_a").await.status, "revoked");
    assert_eq!(kinds(&app, member).await, ["granted", "revoked"]);
    let bars = app
        .get(&province, "/api/v1/pool/bars?in_force=1")
        .await
        .json();
    assert_eq!(bars["total"], 1);
    assert_eq!(bars["bars"][0]["clause"], "三、1");

    let a = app.sign_in("applicant_a").await;
    let refused = app
        .post(
            &a,
            "/api/v1/applications",
            create("jiangsu-pool-2021", "industrial_app", None),
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text());
    assert_eq!(refused.json()["error"], "barred");
    assert!(
        refused.json()["message"]
            .as_str()
            .unwrap()
            .contains("2029-06-02")
    );
    let after = app
        .get(&a, &format!("/api/v1/applications/{draft}"))
        .await
        .json();
    assert_eq!(used(&after), "2026-06-01");
    // The draft made before the finding cannot be submitted either (the workflow's `barred`).
    let submitted = app
        .post(
            &a,
            &format!("/api/v1/applications/{draft}/submit"),
            json!({}),
        )
        .await;
    assert_eq!(
        submitted.status,
        StatusCode::CONFLICT,
        "{}",
        submitted.text()
    );
    assert_eq!(submitted.json()["error"], "barred");
    assert!(
        submitted.json()["message"]
            .as_str()
            .unwrap()
            .contains("2029-06-02")
    );
    let page = app.get(&a, &format!("/applications/{draft}")).await;
    assert!(
        page.text().contains("此项按本系统的禁入记录"),
        "the form says why the value is not the applicant's"
    );

    // The third anniversary is still barred; the day after, the application is accepted.
    app.advance((date("2029-06-01") - date("2026-06-05")).num_days() * DAY);
    let a = app.sign_in("applicant_a").await;
    let still = app
        .post(
            &a,
            "/api/v1/applications",
            create("jiangsu-pool-2021", "industrial_app", None),
        )
        .await;
    assert_eq!(still.status, StatusCode::CONFLICT, "{}", still.text());
    app.advance(DAY);
    let a = app.sign_in("applicant_a").await;
    let free = app
        .post(
            &a,
            "/api/v1/applications",
            create("jiangsu-pool-2021", "industrial_app", None),
        )
        .await;
    assert_eq!(free.status, StatusCode::CREATED, "{}", free.text());
}

#[tokio::test]
async fn fraud_found_in_review_rejects_and_bars() {
    let app = TestApp::new().await;
    let b = app.in_expert_review("applicant_b").await;
    let city = app.sign_in("city_nj").await;
    let not_theirs = app
        .post(
            &city,
            &format!("/api/v1/applications/{b}/fraud"),
            json!({ "ground": "fraud", "found_on": "2026-05-29", "detail": "x" }),
        )
        .await;
    assert_eq!(not_theirs.status, StatusCode::NOT_FOUND);
    let province = app.sign_in("province").await;
    let rejected = app
        .post(
            &province,
            &format!("/api/v1/applications/{b}/fraud"),
            json!({ "ground": "fraud", "found_on": "2026-05-29", "detail": "软件著作权证书伪造" }),
        )
        .await;
    assert_eq!(rejected.status, StatusCode::OK, "{}", rejected.text());
    // 2026-05-29 + 3 years = 2029-05-29, the last barred day.
    assert_eq!(rejected.json()["first_free_on"], "2029-05-30");
    let detail = app
        .get(&province, &format!("/api/v1/applications/{b}"))
        .await
        .json();
    assert_eq!(detail["application"]["state"], "rejected");
    // Rejected already: a second finding is refused for the state.
    let again = app
        .post(
            &province,
            &format!("/api/v1/applications/{b}/fraud"),
            json!({ "ground": "fraud", "found_on": "2026-05-29", "detail": "x" }),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text());
    let applicant = app.sign_in("applicant_b").await;
    let refused = app
        .post(
            &applicant,
            "/api/v1/applications",
            create("jiangsu-pool-2021", "network", None),
        )
        .await;
    assert_eq!(refused.json()["error"], "barred");
    assert!(
        refused.json()["message"]
            .as_str()
            .unwrap()
            .contains("2029-05-30")
    );
}

#[tokio::test]
async fn existing_members_not_graded_within_a_year_are_removed_once() {
    let app = TestApp::new().await;
    let province = app.sign_in("province").await;
    let a_code = credit_code("91320583MA1P7K2X0");
    let c_code = credit_code("91320500MA1R8N5T2");
    let wrong = app
        .post(
            &province,
            "/api/v1/pool/legacy-members",
            json!({ "scheme": "jiangsu-pool-2021", "document_date": "2025-06-20", "members": [
                { "organization": "甲公司", "credit_code": a_code, "provider_type": "网络服务商" },
                { "organization": "丙公司", "credit_code": "913205001234", "provider_type": "解决方案服务商" },
            ] }),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        wrong.json()["message"]
            .as_str()
            .unwrap()
            .contains("第 2 行")
    );
    // The document of 2025-06-20: graded by 2026-06-20, removed from 2026-06-21.
    let rows = json!({ "scheme": "jiangsu-pool-2021", "document_date": "2025-06-20", "members": [
        { "organization": "甲公司", "credit_code": a_code, "provider_type": "网络服务商" },
        { "organization": "丙公司", "credit_code": c_code, "provider_type": "解决方案服务商" },
    ] });
    let imported = app
        .post(&province, "/api/v1/pool/legacy-members", rows.clone())
        .await;
    assert_eq!(imported.status, StatusCode::OK, "{}", imported.text());
    assert_eq!(imported.json()["imported"], 2);
    assert_eq!(imported.json()["deadline"], "2026-06-20");
    let twice = app
        .post(&province, "/api/v1/pool/legacy-members", rows)
        .await;
    assert_eq!(twice.json()["already"], 2);
    // 甲公司 is graded on 2026-06-05 (its grade's term starts then).
    published(&app).await;
    assert_eq!(run(&app, "legacy_deadline", "2026-06-20").await, 0);
    assert_eq!(run(&app, "legacy_deadline", "2026-06-21").await, 1);
    assert_eq!(run(&app, "legacy_deadline", "2026-06-21").await, 0);
    assert_eq!(run(&app, "legacy_deadline", "2026-07-01").await, 0);
    let province = app.sign_in("province").await;
    let list = app
        .get(&province, "/api/v1/pool/legacy-members")
        .await
        .json();
    let status = |name: &str| {
        list["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["organization"] == name)
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(status("甲公司"), "graded");
    assert_eq!(status("丙公司"), "removed");
    let page = app.get(&province, "/pool/legacy").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("丙公司"));
}

/// The fraud rejection from the authority's page of an application (the same service as the
/// API): the form offers the scheme's ground, a refusal is said beside it, another authority
/// finds nothing, and the rejection bars the organisation.
#[tokio::test]
async fn fraud_is_rejected_from_the_authoritys_page() {
    let app = TestApp::new().await;
    let b = app.in_expert_review("applicant_b").await;
    let province = app.sign_in("province").await;
    let path = format!("/applications/{b}/experts");
    let page = app.get(&province, &path).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(
        html.contains("认定造假") && html.contains("value=\"fraud\""),
        "{html}"
    );

    let fraud = format!("/applications/{b}/fraud");
    // Without what was found: refused beside the form, nothing changes.
    let empty = crate::experts::post_form(
        &app,
        &province,
        &fraud,
        &[
            ("ground", "fraud"),
            ("found_on", "2026-05-29"),
            ("detail", ""),
        ],
    )
    .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.text().contains("认定造假"), "{}", empty.text());
    let detail = app
        .get(&province, &format!("/api/v1/applications/{b}"))
        .await
        .json();
    assert_eq!(detail["application"]["state"], "expert_review");

    // A city's office finds nothing, exactly like a missing application.
    let city = app.sign_in("city_nj").await;
    let hidden = crate::experts::post_form(
        &app,
        &city,
        &fraud,
        &[
            ("ground", "fraud"),
            ("found_on", "2026-05-29"),
            ("detail", "伪造合同"),
        ],
    )
    .await;
    let missing = crate::experts::post_form(
        &app,
        &city,
        "/applications/999999/fraud",
        &[
            ("ground", "fraud"),
            ("found_on", "2026-05-29"),
            ("detail", "伪造合同"),
        ],
    )
    .await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    assert_eq!(hidden.text(), missing.text());

    let done = crate::experts::post_form(
        &app,
        &province,
        &fraud,
        &[
            ("ground", "fraud"),
            ("found_on", "2026-05-29"),
            ("detail", "软件著作权证书伪造"),
        ],
    )
    .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text());
    let detail = app
        .get(&province, &format!("/api/v1/applications/{b}"))
        .await
        .json();
    assert_eq!(detail["application"]["state"], "rejected");
    let after = app
        .get(&province, &format!("{path}?notice=fraud"))
        .await
        .text();
    assert!(after.contains("已认定造假"), "{after}");
    let applicant = app.sign_in("applicant_b").await;
    let refused = app
        .post(
            &applicant,
            "/api/v1/applications",
            create("jiangsu-pool-2021", "network", None),
        )
        .await;
    assert_eq!(refused.json()["error"], "barred");
}
