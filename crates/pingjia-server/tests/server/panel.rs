//! The analytics of a round's expert panel: only submitted reviews count, the figures are
//! computed by hand below, and nobody but the round's authority learns anything.

use crate::support;

use axum::http::StatusCode;
use pingjia_server::services::accounts::NewUserRequest;
use pingjia_server::services::actor::Role;
use serde_json::json;
use support::{TestApp, add_user, credit_code};

async fn user(app: &TestApp, username: &str, role: Role, region: &str, org: Option<(&str, &str)>) {
    add_user(
        app,
        NewUserRequest {
            username: username.into(),
            display_name: username.into(),
            password: support::PASSWORD.into(),
            role,
            credit_code: org.map(|(code, _)| credit_code(code)),
            organization_name: org.map(|(_, name)| name.into()),
            region_code: Some(region.into()),
        },
    )
    .await;
}

async fn exec(app: &TestApp, sql: &str, binds: &[i64]) -> i64 {
    let mut query = sqlx::query_as::<_, (i64,)>(sqlx::AssertSqlSafe(sql.to_owned()));
    for b in binds {
        query = query.bind(*b);
    }
    query.fetch_one(&app.state.db.pool).await.unwrap().0
}

/// An expert record and an assignment, submitted or not, with its scores.
async fn review(
    app: &TestApp,
    application: i64,
    expert: i64,
    submitted: bool,
    scores: &[(&str, &str)],
) {
    let by = exec(
        app,
        "SELECT id FROM users WHERE username = 'sx_authority'",
        &[],
    )
    .await;
    let assignment = exec(
        app,
        &format!(
            "INSERT INTO expert_assignments (application_id, expert_id, status, submitted_at, assigned_by, assigned_at, updated_at) \
             VALUES ($1, $2, 'accepted', {}, $3, 0, 0) RETURNING id",
            if submitted { "1" } else { "NULL" }
        ),
        &[application, expert, by],
    )
    .await;
    for (criterion, score) in scores {
        sqlx::query(
            "INSERT INTO expert_scores (assignment_id, criterion_id, score, at) VALUES ($1, $2, $3, 0)",
        )
        .bind(assignment)
        .bind(*criterion)
        .bind(*score)
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    }
}

async fn expert(app: &TestApp, name: &str) -> i64 {
    let region = exec(app, "SELECT id FROM regions WHERE code = '3306'", &[]).await;
    sqlx::query_as::<_, (i64,)>(
        "INSERT INTO experts (region_id, name, created_at, updated_at) VALUES ($1, $2, 0, 0) RETURNING id",
    )
    .bind(region)
    .bind(name)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap()
    .0
}

async fn application(app: &TestApp, username: &str) -> i64 {
    let applicant = app.sign_in(username).await;
    let created = app
        .post(
            &applicant,
            "/api/v1/applications",
            json!({ "scheme": "shaoxing-platform" }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    created.json()["application"]["id"].as_i64().unwrap()
}

const EQUIPMENT: &str = "platform_level.equipment"; // max 10
const ENVIRONMENT: &str = "platform_level.environment"; // max 10

#[tokio::test]
async fn the_authority_sees_divergence_deviation_and_agreement_computed_from_submitted_reviews() {
    let app = TestApp::new().await;
    user(&app, "sx_authority", Role::AuthorityAdmin, "3306", None).await;
    user(&app, "nj_authority", Role::AuthorityAdmin, "3201", None).await;
    user(
        &app,
        "sx_a",
        Role::Applicant,
        "330602",
        Some(("91330602MA2D4K7L3", "越城甲公司")),
    )
    .await;
    user(
        &app,
        "sx_b",
        Role::Applicant,
        "330602",
        Some(("91330602MA2D4K8L5", "越城乙公司")),
    )
    .await;
    let round = app.round_of("shaoxing-platform").await;
    let first = application(&app, "sx_a").await;
    let second = application(&app, "sx_b").await;
    let (e1, e2, e3) = (
        expert(&app, "专家甲").await,
        expert(&app, "专家乙").await,
        expert(&app, "专家丙").await,
    );
    // Application 1: equipment 6, 8, 10 (spread 4 > 0.3 × 10: divergent);
    //                environment 7, 7, 8 (spread 1).
    review(
        &app,
        first,
        e1,
        true,
        &[(EQUIPMENT, "6"), (ENVIRONMENT, "7")],
    )
    .await;
    review(
        &app,
        first,
        e2,
        true,
        &[(EQUIPMENT, "8"), (ENVIRONMENT, "7")],
    )
    .await;
    review(
        &app,
        first,
        e3,
        true,
        &[(EQUIPMENT, "10"), (ENVIRONMENT, "8")],
    )
    .await;
    // Application 2: equipment 5, 6; 专家丙's review is not submitted and does not count.
    review(&app, second, e1, true, &[(EQUIPMENT, "5")]).await;
    review(&app, second, e2, true, &[(EQUIPMENT, "6")]).await;
    review(&app, second, e3, false, &[(EQUIPMENT, "1")]).await;

    let authority = app.sign_in("sx_authority").await;
    let got = app
        .get(&authority, &format!("/api/v1/rounds/{round}/analytics"))
        .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text());
    let body = got.json();
    assert_eq!(body["applications"], 2);
    assert_eq!(body["experts"], 3);
    assert_eq!(body["divergence_ratio"], "0.3");
    let items = body["items"].as_array().unwrap();
    let equipment = items
        .iter()
        .find(|i| i["criterion_id"] == EQUIPMENT)
        .unwrap();
    assert_eq!(
        (
            equipment["compared"].as_i64(),
            equipment["divergent"].as_i64()
        ),
        (Some(2), Some(1))
    );
    let environment = items
        .iter()
        .find(|i| i["criterion_id"] == ENVIRONMENT)
        .unwrap();
    assert_eq!(
        (
            environment["compared"].as_i64(),
            environment["divergent"].as_i64()
        ),
        (Some(1), Some(0))
    );
    let divergent = body["divergent"].as_array().unwrap();
    assert_eq!(divergent.len(), 1);
    assert_eq!(divergent[0]["application_id"], first);
    assert_eq!(divergent[0]["spread"], "4");

    // Deviations, in points (each score minus the others' mean):
    // 甲: 6 − 9 = −3, 7 − 7.5 = −0.5, 5 − 6 = −1 → mean −1.5, |mean| 1.5, 3 comparisons;
    // 乙: 8 − 8 = 0, 7 − 7.5 = −0.5, 6 − 5 = +1 → mean 0.1667 → 0.17, |mean| 0.5, 3;
    // 丙: 10 − 7 = +3, 8 − 7 = +1 → mean 2, |mean| 2, 2.
    let deviations = body["deviations"].as_array().unwrap();
    let by_name = |name: &str| {
        deviations
            .iter()
            .find(|d| d["name"] == name)
            .unwrap()
            .clone()
    };
    let a = by_name("专家甲");
    assert_eq!(
        (
            a["mean_signed"].as_f64(),
            a["mean_absolute"].as_f64(),
            a["count"].as_i64()
        ),
        (Some(-1.5), Some(1.5), Some(3))
    );
    let b = by_name("专家乙");
    assert_eq!(
        (
            b["mean_signed"].as_f64(),
            b["mean_absolute"].as_f64(),
            b["count"].as_i64()
        ),
        (Some(0.17), Some(0.5), Some(3))
    );
    let c = by_name("专家丙");
    assert_eq!(
        (
            c["mean_signed"].as_f64(),
            c["mean_absolute"].as_f64(),
            c["count"].as_i64()
        ),
        (Some(2.0), Some(2.0), Some(2))
    );

    // Agreement (both items have the maximum 10, so shares order as points do):
    // units {6, 8, 10}, {7, 7, 8}, {5, 6}; n = 8.
    // D_o = (48/2 + 4/2 + 2/1) / 8 = 28/8 = 3.5.
    // Σv = 57, Σv² = 423: Σ_{i≠j}(v_i − v_j)² = 2(8·423 − 57²) = 270; D_e = 270/56.
    // α = 1 − 3.5·56/270 = 1 − 196/270 = 0.274.
    assert_eq!(body["alpha"].as_f64(), Some(0.274));
    assert_eq!(body["alpha_values"], 8);

    // The page shows the same figures, with its charts.
    let page = app
        .get(&authority, &format!("/rounds/{round}/analytics"))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let html = page.text();
    for needle in [
        "α = 0.274",
        "专家甲",
        "-1.5",
        "<svg class=\"chart\"",
        "越城甲公司",
    ] {
        assert!(html.contains(needle), "{needle} missing");
    }

    // Anyone else: the answer of a missing round, on the API and the page alike.
    let missing = app.get(&authority, "/api/v1/rounds/999999/analytics").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    for username in [
        "nj_authority",
        "province",
        "expert",
        "county_jn",
        "applicant_a",
        "sysadmin",
    ] {
        let other = app.sign_in(username).await;
        let hidden = app
            .get(&other, &format!("/api/v1/rounds/{round}/analytics"))
            .await;
        assert_eq!(hidden.status, StatusCode::NOT_FOUND, "{username}");
        assert_eq!(hidden.text(), missing.text(), "{username}");
    }
}

#[tokio::test]
async fn a_panel_without_submitted_reviews_has_no_figures() {
    let app = TestApp::new().await;
    user(&app, "sx_authority", Role::AuthorityAdmin, "3306", None).await;
    let round = app.round_of("shaoxing-platform").await;
    let authority = app.sign_in("sx_authority").await;
    let body = app
        .get(&authority, &format!("/api/v1/rounds/{round}/analytics"))
        .await
        .json();
    assert_eq!(body["applications"], 0);
    assert!(body["alpha"].is_null());
    assert!(body["deviations"].as_array().unwrap().is_empty());
    let page = app
        .get(&authority, &format!("/rounds/{round}/analytics"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("无法计算"));
}
