//! The authority's decisions on a round (002 第八条（二）「择优确定拟认定平台名单」; 003 二（二）1):
//! the default is the computed grade, a departure needs a reason, the history is kept, a
//! decision waits for the expert review, decisions one by one or for a selection, a quota that
//! warns and never cuts, and the 404 of a missing id for everyone but the round's authority.

use crate::support;

use axum::http::StatusCode;
use pingjia_server::services::accounts::NewUserRequest;
use pingjia_server::services::actor::Role;
use serde_json::json;
use support::{Client, TestApp, add_user};

async fn decide(
    app: &TestApp,
    who: &Client,
    id: i64,
    body: serde_json::Value,
) -> support::Response {
    app.post(who, &format!("/api/v1/applications/{id}/decision"), body)
        .await
}

/// The row of an application on the round's board.
fn row(board: &serde_json::Value, id: i64) -> serde_json::Value {
    board["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["application_id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("application {id} not on the board: {board}"))
}

#[tokio::test]
async fn the_default_is_the_computed_grade_and_a_departure_needs_a_reason() {
    let app = TestApp::new().await;
    let round = app.round_of("jiangsu-pool-2021").await;
    let id = app.in_expert_review("applicant_a").await;
    let province = app.sign_in("province").await;

    // Before the experts have finished: refused with the workflow's code.
    let early = decide(&app, &province, id, json!({})).await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{}", early.text());
    assert_eq!(early.json()["error"], "review_incomplete");

    app.complete_expert_review(id).await;
    // The example declares 72 employees: 四星 (≥ 50), not 五星 (< 100) — 003 四（三）.
    let board = app
        .get(&province, &format!("/api/v1/rounds/{round}/decisions"))
        .await;
    assert_eq!(board.status, StatusCode::OK, "{}", board.text());
    let listed = row(&board.json(), id);
    assert_eq!(listed["default_result"], "star4");
    assert_eq!(listed["default_label"], "四星");
    assert!(listed["decision"].is_null());

    // The default needs no reason.
    let taken = decide(&app, &province, id, json!({})).await;
    assert_eq!(taken.status, StatusCode::OK, "{}", taken.text());
    assert_eq!(taken.json()["decision"]["result"], "star4");
    assert_eq!(taken.json()["decision"]["departs"], false);

    // Another result without a reason is refused, and changes nothing.
    let bare = decide(&app, &province, id, json!({ "result": "star5" })).await;
    assert_eq!(
        bare.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        bare.text()
    );
    assert_eq!(bare.json()["error"], "reason_required");
    let unknown = decide(
        &app,
        &province,
        id,
        json!({ "result": "star6", "reason": "x" }),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);

    // With a reason it is recorded, and the reason shown.
    let reasoned = decide(
        &app,
        &province,
        id,
        json!({ "result": "star5", "reason": "现场核查：员工已达120人" }),
    )
    .await;
    assert_eq!(reasoned.status, StatusCode::OK, "{}", reasoned.text());
    let board = app
        .get(&province, &format!("/api/v1/rounds/{round}/decisions"))
        .await
        .json();
    let listed = row(&board, id);
    assert_eq!(listed["decision"]["result"], "star5");
    assert_eq!(listed["decision"]["result_label"], "五星");
    assert_eq!(listed["decision"]["departs"], true);
    assert_eq!(listed["decision"]["reason"], "现场核查：员工已达120人");
    // The history is kept, oldest first.
    let history: Vec<&str> = listed["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["result"].as_str().unwrap())
        .collect();
    assert_eq!(history, ["star4", "star5"]);

    // Each decision is audited.
    let admin = app.sign_in("sysadmin").await;
    let audit = app.get(&admin, "/api/v1/audit?per_page=200").await.json();
    let recorded = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "decision_recorded")
        .count();
    assert_eq!(recorded, 2);
}

#[tokio::test]
async fn the_review_chain_cannot_take_the_notice_actions() {
    let app = TestApp::new().await;
    let id = app.in_expert_review("applicant_a").await;
    app.complete_expert_review(id).await;
    let province = app.sign_in("province").await;
    // `decide` through the review chain's endpoint would skip the decision record and the
    // notice: refused, and the application stays in expert review.
    let through_chain = app
        .post(
            &province,
            &format!("/api/v1/applications/{id}/decisions"),
            json!({ "action": "decide" }),
        )
        .await;
    assert_eq!(through_chain.status, StatusCode::UNPROCESSABLE_ENTITY);
    let actions = app
        .get(&province, &format!("/api/v1/applications/{id}/actions"))
        .await
        .json();
    assert!(
        !actions
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "decide" || a == "decline")
    );
    let detail = app
        .get(&province, &format!("/api/v1/applications/{id}"))
        .await
        .json();
    assert_eq!(detail["application"]["state"], "expert_review");
}

#[tokio::test]
async fn a_selection_is_decided_one_command_each_and_a_quota_only_warns() {
    let app = TestApp::new().await;
    let round = app.round_of("jiangsu-pool-2021").await;
    let a = app.in_expert_review("applicant_a").await;
    let b = app.in_expert_review("applicant_b").await;
    app.complete_expert_review(a).await;
    let province = app.sign_in("province").await;
    let quota = app
        .put(
            &province,
            &format!("/api/v1/rounds/{round}/quota"),
            json!({ "quota": 1 }),
        )
        .await;
    assert_eq!(quota.status, StatusCode::NO_CONTENT, "{}", quota.text());

    // b's experts have not finished: b is refused, a is decided.
    let bulk = app
        .post(
            &province,
            &format!("/api/v1/rounds/{round}/decisions"),
            json!({ "ids": [a, b, 999_999] }),
        )
        .await;
    assert_eq!(bulk.status, StatusCode::OK, "{}", bulk.text());
    let bulk = bulk.json();
    assert_eq!(bulk[0]["result"], "star4");
    assert_eq!(bulk[1]["error"], "review_incomplete");
    assert_eq!(bulk[2]["error"], "not_found");

    app.complete_expert_review(b).await;
    let bulk = app
        .post(
            &province,
            &format!("/api/v1/rounds/{round}/decisions"),
            json!({ "ids": [b] }),
        )
        .await
        .json();
    assert_eq!(bulk[0]["result"], "star4");
    // Two positive decisions against a quota of one: a warning; both stand.
    let board = app
        .get(&province, &format!("/api/v1/rounds/{round}/decisions"))
        .await
        .json();
    assert_eq!(board["quota"], 1);
    assert_eq!(board["positive"], 2);
    assert_eq!(board["over_quota"], true);
    assert_eq!(row(&board, a)["decision"]["result"], "star4");
    assert_eq!(row(&board, b)["decision"]["result"], "star4");
}

#[tokio::test]
async fn only_the_rounds_authority_sees_or_takes_decisions() {
    let app = TestApp::new().await;
    let round = app.round_of("jiangsu-pool-2021").await;
    let id = app.in_expert_review("applicant_a").await;
    app.complete_expert_review(id).await;
    add_user(
        &app,
        NewUserRequest {
            username: "sx_authority".into(),
            display_name: "绍兴市经信局".into(),
            password: support::PASSWORD.into(),
            role: Role::AuthorityAdmin,
            credit_code: None,
            organization_name: None,
            region_code: Some("3306".into()),
        },
    )
    .await;
    let missing_round = 999_999;
    for who in [
        "applicant_a",
        "county_ks",
        "city_sz",
        "expert",
        "sysadmin",
        "sx_authority",
    ] {
        let client = app.sign_in(who).await;
        let board = app
            .get(&client, &format!("/api/v1/rounds/{round}/decisions"))
            .await;
        let missing = app
            .get(
                &client,
                &format!("/api/v1/rounds/{missing_round}/decisions"),
            )
            .await;
        assert_eq!(board.status, StatusCode::NOT_FOUND, "{who}");
        assert_eq!(board.body, missing.body, "{who}");
        let taken = decide(&app, &client, id, json!({})).await;
        let taken_missing = decide(&app, &client, 999_999, json!({})).await;
        assert_eq!(
            taken.status,
            StatusCode::NOT_FOUND,
            "{who}: {}",
            taken.text()
        );
        assert_eq!(taken.body, taken_missing.body, "{who}");
        let bulk = app
            .post(
                &client,
                &format!("/api/v1/rounds/{round}/decisions"),
                json!({ "ids": [id] }),
            )
            .await;
        assert_eq!(bulk.status, StatusCode::NOT_FOUND, "{who}");
        let quota = app
            .put(
                &client,
                &format!("/api/v1/rounds/{round}/quota"),
                json!({ "quota": 3 }),
            )
            .await;
        assert_eq!(quota.status, StatusCode::NOT_FOUND, "{who}");
    }
    // Nothing was decided by any of them.
    let province = app.sign_in("province").await;
    let board = app
        .get(&province, &format!("/api/v1/rounds/{round}/decisions"))
        .await
        .json();
    assert!(row(&board, id)["decision"].is_null());
    assert!(board["quota"].is_null());
}

/// Shaoxing (002): 认定 / 不予认定, 「拟认定」 on the notice, and no term on the published
/// recognition (002 sets none; 第十二条 「有效期5年」 is the measure's own).
#[tokio::test]
async fn a_shaoxing_recognition_is_decided_noticed_and_published_without_a_term() {
    let app = TestApp::new().await;
    for (username, role, code, organization, region) in [
        (
            "applicant_sx",
            Role::Applicant,
            Some("91330602MA2D4K7L3"),
            Some("越城公司"),
            "330602",
        ),
        ("county_yc", Role::CountyReviewer, None, None, "330602"),
        ("sx_authority", Role::AuthorityAdmin, None, None, "3306"),
    ] {
        add_user(
            &app,
            NewUserRequest {
                username: username.into(),
                display_name: username.into(),
                password: support::PASSWORD.into(),
                role,
                credit_code: code.map(support::credit_code),
                organization_name: organization.map(str::to_owned),
                region_code: Some(region.into()),
            },
        )
        .await;
    }
    let applicant = app.sign_in("applicant_sx").await;
    let created = app
        .post(
            &applicant,
            "/api/v1/applications",
            json!({ "scheme": "shaoxing-platform" }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let id = created.json()["application"]["id"].as_i64().unwrap();
    app.submit(&applicant, id).await;
    let county = app.sign_in("county_yc").await;
    let recommended = app
        .post(
            &county,
            &format!("/api/v1/applications/{id}/decisions"),
            json!({ "action": "recommend" }),
        )
        .await;
    assert_eq!(recommended.status, StatusCode::OK, "{}", recommended.text());
    app.complete_expert_review(id).await;
    let round = app.round_of("shaoxing-platform").await;
    let authority = app.sign_in("sx_authority").await;
    // Nothing declared: the gates of 第六条 are not shown to hold, so the default is 不予认定.
    let board = app
        .get(&authority, &format!("/api/v1/rounds/{round}/decisions"))
        .await;
    assert_eq!(board.status, StatusCode::OK, "{}", board.text());
    let board = board.json();
    assert_eq!(board["method"], "rubric");
    assert_eq!(row(&board, id)["default_label"], "不予认定");
    // The province, another authority, does not see Shaoxing's round.
    let province = app.sign_in("province").await;
    let foreign = app
        .get(&province, &format!("/api/v1/rounds/{round}/decisions"))
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    // 择优 is the authority's: 认定 with a reason.
    let taken = decide(
        &app,
        &authority,
        id,
        json!({ "result": "recognized", "reason": "现场核查确认符合第六条条件" }),
    )
    .await;
    assert_eq!(taken.status, StatusCode::OK, "{}", taken.text());
    let opened = app
        .post(
            &authority,
            &format!("/api/v1/rounds/{round}/notices"),
            json!({}),
        )
        .await;
    assert_eq!(opened.status, StatusCode::OK, "{}", opened.text());
    let notice = opened.json()["notice_id"].as_i64().unwrap();
    let public = app
        .get(
            &Client::anonymous(),
            &format!("/api/v1/public/notices/{notice}"),
        )
        .await
        .json();
    assert_eq!(public["entries"][0]["proposed"], "拟认定");
    app.advance(7 * 86_400);
    let authority = app.sign_in("sx_authority").await;
    let published = app
        .post(
            &authority,
            &format!("/api/v1/notices/{notice}/publication"),
            json!({ "document_number": "绍经信〔2026〕5号", "document_date": "2026-06-05" }),
        )
        .await;
    assert_eq!(published.status, StatusCode::OK, "{}", published.text());
    let list = app
        .get(
            &Client::anonymous(),
            &format!("/api/v1/public/published?round={round}"),
        )
        .await
        .json();
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["result"], "认定");
    assert_eq!(list["items"][0]["organization"], "越城公司");
    assert!(list["items"][0]["valid_until"].is_null());
    assert!(list["items"][0]["stars"].is_null());
}

/// A decision taken before the application was returned is history: once it comes back to the
/// expert review it must be decided again, and the notice does not take the old decision.
#[tokio::test]
async fn a_decision_before_a_return_is_not_in_force_after_it() {
    let app = TestApp::new().await;
    let round = app.round_of("jiangsu-pool-2021").await;
    let id = app.in_expert_review("applicant_a").await;
    app.complete_expert_review(id).await;
    let province = app.sign_in("province").await;
    let taken = decide(&app, &province, id, json!({})).await;
    assert_eq!(taken.status, StatusCode::OK, "{}", taken.text());
    app.advance(60);
    let returned = app
        .post(
            &province,
            &format!("/api/v1/applications/{id}/decisions"),
            json!({ "action": "return_to_recommender", "comment": "请核实员工人数" }),
        )
        .await;
    assert_eq!(returned.status, StatusCode::OK, "{}", returned.text());
    app.advance(60);
    let county = app.sign_in("county_ks").await;
    let again = app
        .post(
            &county,
            &format!("/api/v1/applications/{id}/decisions"),
            json!({ "action": "recommend" }),
        )
        .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text());
    let board = app
        .get(&province, &format!("/api/v1/rounds/{round}/decisions"))
        .await
        .json();
    assert!(row(&board, id)["decision"].is_null(), "{board}");
    assert_eq!(row(&board, id)["history"].as_array().unwrap().len(), 1);
    let opened = app
        .post(
            &province,
            &format!("/api/v1/rounds/{round}/notices"),
            json!({}),
        )
        .await;
    assert_eq!(opened.status, StatusCode::CONFLICT, "{}", opened.text());
    assert_eq!(opened.json()["error"], "nothing_decided");
}
