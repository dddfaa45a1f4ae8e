//! The review chain through the API, on each path the documents prescribe: Jiangsu county →
//! city → province (003 二（二）1), 昆山市 recommending to the province itself (二（一）),
//! Shaoxing county → 市经信局 (002 第八条（一）), an MIIT selection recommended by the province;
//! returns with comments beside criteria and resubmission as a new version, withdrawal,
//! rejection, confirmed values (a higher level wins, the grade follows at once), the timeline
//! and the submission window of a round.

use crate::support;

use axum::http::StatusCode;
use pingjia_core::declaration::{Format, parse_tree};
use pingjia_server::services::accounts::NewUserRequest;
use pingjia_server::services::actor::Role;
use serde_json::{Value, json};
use support::{Client, TestApp, add_user, credit_code};

/// The example network declaration (examples/jiangsu/network.toml): 四星 by its own reckoning
/// (员工 72 ≥ 50 for 四星, < 100 for 五星; 四（三） of 003).
fn network_declaration() -> Value {
    let mut body = parse_tree(
        include_str!("../../../../examples/jiangsu/network.toml"),
        Format::Toml,
    )
    .unwrap();
    let object = body.as_object_mut().unwrap();
    object.remove("scheme");
    object.remove("provider_type");
    body
}

async fn submitted_network(app: &TestApp, applicant: &Client) -> i64 {
    let id = app.new_application(applicant, "network").await;
    let saved = app
        .put(
            applicant,
            &format!("/api/v1/applications/{id}/draft"),
            network_declaration(),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text());
    app.submit(applicant, id).await;
    id
}

async fn decide(app: &TestApp, who: &Client, id: i64, decision: Value) -> support::Response {
    app.post(
        who,
        &format!("/api/v1/applications/{id}/decisions"),
        decision,
    )
    .await
}

async fn state_of(app: &TestApp, who: &Client, id: i64) -> String {
    app.get(who, &format!("/api/v1/applications/{id}"))
        .await
        .json()["application"]["state"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn grade(detail: &Value) -> String {
    detail["assessment"]["report"]["grade"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn jiangsu_county_returns_with_comments_city_corrects_and_recommends() {
    let app = TestApp::new().await;
    let applicant = app.sign_in("applicant_b").await; // 乙公司, 南京市江宁区
    let county = app.sign_in("county_jn").await;
    let city = app.sign_in("city_nj").await;
    let province = app.sign_in("province").await;
    let id = submitted_network(&app, &applicant).await;
    assert_eq!(state_of(&app, &county, id).await, "county_review");

    // Only the county acts now: the city and the province may read but not decide.
    let early = decide(&app, &city, id, json!({ "action": "recommend" })).await;
    assert_eq!(early.status, StatusCode::FORBIDDEN, "{}", early.text());
    let actions = app
        .get(&county, &format!("/api/v1/applications/{id}/actions"))
        .await
        .json();
    assert_eq!(actions, json!(["pass", "return", "reject"]));

    // A return needs a comment; a comment on an unknown criterion is refused.
    let bare = decide(&app, &county, id, json!({ "action": "return" })).await;
    assert_eq!(bare.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bare.json()["error"], "comment_required");
    let unknown = decide(
        &app,
        &county,
        id,
        json!({ "action": "return", "comment": "请补充", "criterion_comments": { "no.such": "x" } }),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    let returned = decide(
        &app,
        &county,
        id,
        json!({
            "action": "return",
            "comment": "请补充员工花名册",
            "criterion_comments": { "network.employees": "员工人数与社保缴纳人数不一致，请核实" },
            "respond_by": "2026-06-30",
        }),
    )
    .await;
    assert_eq!(returned.status, StatusCode::OK, "{}", returned.text());
    assert_eq!(returned.json()["to"], "returned");

    // The applicant sees the step with the office (not a person) and the criterion comment.
    let timeline = app
        .get(&applicant, &format!("/api/v1/applications/{id}/timeline"))
        .await
        .json();
    let steps: Vec<&str> = timeline
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["submit", "return"]);
    assert_eq!(timeline[1]["by"], "江宁区 区县审核");
    assert!(!timeline[1]["by"].as_str().unwrap().contains("county_jn"));
    assert_eq!(
        timeline[1]["criterion_comments"]["network.employees"],
        "员工人数与社保缴纳人数不一致，请核实"
    );
    assert_eq!(timeline[1]["respond_by"], "2026-06-30");

    // The applicant corrects (version 2) and resubmits; the county sees what changed.
    let mut corrected = network_declaration();
    corrected["values"]["employees"] = json!(75);
    // As the form sends it: text, not a number. The same value, not a change.
    corrected["values"]["ip_count"] = json!("19");
    let saved = app
        .put(
            &applicant,
            &format!("/api/v1/applications/{id}/draft"),
            corrected,
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK);
    app.submit(&applicant, id).await;
    let changes = app
        .get(
            &county,
            &format!("/api/v1/applications/{id}/changes?from=1&to=2"),
        )
        .await
        .json();
    assert_eq!(changes["values"].as_array().unwrap().len(), 1, "{changes}");
    assert_eq!(changes["values"][0]["field"], "employees");
    assert_eq!(changes["values"][0]["before"], 72);
    assert_eq!(changes["values"][0]["after"], 75);

    // A county `recommend` is refused where a city level follows; pass moves it on.
    let skip = decide(&app, &county, id, json!({ "action": "recommend" })).await;
    assert_eq!(skip.status, StatusCode::CONFLICT);
    assert_eq!(skip.json()["error"], "city_level_required");
    let passed = decide(&app, &county, id, json!({ "action": "pass" })).await;
    assert_eq!(passed.json()["to"], "city_review");

    // The city corrects 员工 to 30: below 四星's 50人, above 三星's 20人 (四（三）), and the grade
    // follows at once; the county, no longer reviewing, may not confirm any more.
    let before = app
        .get(&city, &format!("/api/v1/applications/{id}"))
        .await
        .json();
    assert_eq!(grade(&before), "四星");
    let confirmed = app
        .post(
            &city,
            &format!("/api/v1/applications/{id}/confirmations"),
            json!({ "field": "employees", "value": 30, "note": "社保缴纳人数 30 人" }),
        )
        .await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.text());
    assert_eq!(confirmed.json()["report"]["grade"], "三星");
    let after = app
        .get(&applicant, &format!("/api/v1/applications/{id}"))
        .await
        .json();
    assert_eq!(grade(&after), "三星");
    let late = app
        .post(
            &county,
            &format!("/api/v1/applications/{id}/confirmations"),
            json!({ "field": "employees", "value": 80 }),
        )
        .await;
    assert_eq!(late.status, StatusCode::FORBIDDEN);
    let unreadable = app
        .post(
            &city,
            &format!("/api/v1/applications/{id}/confirmations"),
            json!({ "field": "employees", "value": "很多" }),
        )
        .await;
    assert_eq!(unreadable.status, StatusCode::UNPROCESSABLE_ENTITY);
    // A list of items may be confirmed as the form's text; an unknown item is refused.
    let items = app
        .post(
            &city,
            &format!("/api/v1/applications/{id}/confirmations"),
            json!({ "field": "net_intranet_technologies", "value": "IPv6、工业智能专线" }),
        )
        .await;
    assert_eq!(items.status, StatusCode::OK, "{}", items.text());
    let unknown_item = app
        .post(
            &city,
            &format!("/api/v1/applications/{id}/confirmations"),
            json!({ "field": "net_intranet_technologies", "value": "IPv6、量子网络" }),
        )
        .await;
    assert_eq!(unknown_item.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Recommend with the default opinion.
    let recommended = decide(&app, &city, id, json!({ "action": "recommend" })).await;
    assert_eq!(recommended.json()["to"], "expert_review");
    // The province confirms too: the highest level's value is in force, the history kept.
    let by_province = app
        .post(
            &province,
            &format!("/api/v1/applications/{id}/confirmations"),
            json!({ "field": "employees", "value": 60, "note": "复核" }),
        )
        .await;
    assert_eq!(by_province.json()["report"]["grade"], "四星");
    let records = app
        .get(
            &applicant,
            &format!("/api/v1/applications/{id}/confirmations"),
        )
        .await
        .json();
    let records: Vec<&Value> = records
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["field"] == "employees")
        .collect();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["level"], 2);
    assert_eq!(records[0]["in_force"], false);
    assert_eq!(records[0]["declared"], 75);
    assert_eq!(records[1]["level"], 3);
    assert_eq!(records[1]["in_force"], true);
    assert_eq!(records[1]["by"], "江苏省 主管部门");

    // The province sends it back to the city; the city may act again.
    let back = decide(
        &app,
        &province,
        id,
        json!({ "action": "return_to_recommender", "comment": "请补充推荐排序说明" }),
    )
    .await;
    assert_eq!(back.json()["to"], "city_review");
}

#[tokio::test]
async fn kunshan_recommends_to_the_province_itself_and_suzhou_takes_no_part() {
    let app = TestApp::new().await;
    let applicant = app.sign_in("applicant_a").await; // 甲公司, 昆山市
    let kunshan = app.sign_in("county_ks").await;
    let suzhou = app.sign_in("city_sz").await;
    let id = submitted_network(&app, &applicant).await;
    let pass = decide(&app, &kunshan, id, json!({ "action": "pass" })).await;
    assert_eq!(pass.status, StatusCode::CONFLICT);
    assert_eq!(pass.json()["error"], "no_city_level");
    let by_suzhou = decide(&app, &suzhou, id, json!({ "action": "recommend" })).await;
    // 苏州 has no part in 昆山's route: the application is not there for it.
    assert_eq!(by_suzhou.status, StatusCode::NOT_FOUND);
    let recommended = decide(
        &app,
        &kunshan,
        id,
        json!({ "action": "recommend", "opinion": "经审核，材料真实，同意推荐" }),
    )
    .await;
    assert_eq!(recommended.status, StatusCode::OK, "{}", recommended.text());
    assert_eq!(recommended.json()["to"], "expert_review");
}

#[tokio::test]
async fn a_reviewer_of_another_county_gets_a_missing_objects_answer() {
    let app = TestApp::new().await;
    let applicant = app.sign_in("applicant_b").await;
    let id = submitted_network(&app, &applicant).await;
    let other = app.sign_in("county_ks").await;
    let missing = app
        .post(
            &other,
            "/api/v1/applications/999999/decisions",
            json!({ "action": "pass" }),
        )
        .await;
    for path in [
        format!("/api/v1/applications/{id}/decisions"),
        format!("/api/v1/applications/{id}/confirmations"),
    ] {
        let hidden = app
            .post(
                &other,
                &path,
                json!({ "action": "pass", "field": "employees", "value": 1 }),
            )
            .await;
        assert_eq!(hidden.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(hidden.body, missing.body, "{path}");
    }
    for path in [
        format!("/api/v1/applications/{id}/timeline"),
        format!("/api/v1/applications/{id}/actions"),
        format!("/api/v1/applications/{id}/confirmations"),
        format!("/api/v1/applications/{id}/changes?from=1&to=1"),
    ] {
        let hidden = app.get(&other, &path).await;
        assert_eq!(hidden.status, StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn shaoxing_goes_from_the_county_to_the_city_authority() {
    let app = TestApp::new().await;
    add_user(
        &app,
        NewUserRequest {
            username: "applicant_sx".into(),
            display_name: "越城申报".into(),
            password: support::PASSWORD.into(),
            role: Role::Applicant,
            credit_code: Some(credit_code("91330602MA2D4K7L3")),
            organization_name: Some("越城公司".into()),
            region_code: Some("330602".into()),
        },
    )
    .await;
    add_user(
        &app,
        NewUserRequest {
            username: "county_yc".into(),
            display_name: "越城区经信局".into(),
            password: support::PASSWORD.into(),
            role: Role::CountyReviewer,
            credit_code: None,
            organization_name: None,
            region_code: Some("330602".into()),
        },
    )
    .await;
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
    let pass = decide(&app, &county, id, json!({ "action": "pass" })).await;
    assert_eq!(pass.json()["error"], "no_city_level");
    let recommended = decide(&app, &county, id, json!({ "action": "recommend" })).await;
    assert_eq!(
        recommended.json()["to"],
        "expert_review",
        "{}",
        recommended.text()
    );
    // The 市经信局 is the authority: it acts from here on.
    let authority = app.sign_in("sx_authority").await;
    let back = decide(
        &app,
        &authority,
        id,
        json!({ "action": "return_to_recommender", "comment": "请区县补充初审意见" }),
    )
    .await;
    assert_eq!(back.json()["to"], "county_review", "{}", back.text());
}

#[tokio::test]
async fn an_miit_selection_is_recommended_by_the_province_to_the_ministry() {
    let app = TestApp::new().await;
    let applicant = app.sign_in("applicant_b").await;
    let created = app
        .post(
            &applicant,
            "/api/v1/applications",
            json!({ "scheme": "miit-platform-2018" }),
        )
        .await;
    let id = created.json()["application"]["id"].as_i64().unwrap();
    app.submit(&applicant, id).await;
    let county = app.sign_in("county_jn").await;
    // No county office is on an MIIT route: the application is not there for it.
    let by_county = decide(&app, &county, id, json!({ "action": "recommend" })).await;
    assert_eq!(by_county.status, StatusCode::NOT_FOUND);
    let province = app.sign_in("province").await;
    let recommended = decide(&app, &province, id, json!({ "action": "recommend" })).await;
    assert_eq!(
        recommended.json()["to"],
        "expert_review",
        "{}",
        recommended.text()
    );
    // From here the ministry evaluates: the province reads but no longer acts.
    let after = decide(
        &app,
        &province,
        id,
        json!({ "action": "reject", "comment": "x" }),
    )
    .await;
    assert_eq!(after.status, StatusCode::FORBIDDEN);
    let actions = app
        .get(&province, &format!("/api/v1/applications/{id}/actions"))
        .await
        .json();
    assert_eq!(actions, json!([]));
}

#[tokio::test]
async fn the_applicant_withdraws_before_a_decision_and_a_county_rejects_with_reasons() {
    let app = TestApp::new().await;
    let applicant = app.sign_in("applicant_b").await;
    let county = app.sign_in("county_jn").await;
    let id = submitted_network(&app, &applicant).await;
    let other = app.sign_in("applicant_a").await;
    let foreign = decide(&app, &other, id, json!({ "action": "withdraw" })).await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    let withdrawn = decide(&app, &applicant, id, json!({ "action": "withdraw" })).await;
    assert_eq!(withdrawn.json()["to"], "withdrawn");
    let again = decide(&app, &county, id, json!({ "action": "pass" })).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.json()["error"], "wrong_state");

    // A new application (the withdrawn one is closed) is rejected with reasons.
    let id = submitted_network(&app, &applicant).await;
    let bare = decide(
        &app,
        &county,
        id,
        json!({ "action": "reject", "comment": "  " }),
    )
    .await;
    assert_eq!(bare.json()["error"], "comment_required");
    let rejected = decide(
        &app,
        &county,
        id,
        json!({ "action": "reject", "comment": "注册地不在江苏省内" }),
    )
    .await;
    assert_eq!(rejected.json()["to"], "rejected");
}

#[tokio::test]
async fn a_submission_after_the_window_closes_is_refused_with_the_closing_date() {
    let app = TestApp::new().await;
    // The test clock starts on 2026-05-29 (China time); this round closes on 2026-05-31.
    let round = app
        .open_round("jiangsu-pool-2021", "32", "2026-05-01", "2026-05-31")
        .await;
    let applicant = app.sign_in("applicant_b").await;
    let created = app
        .post(
            &applicant,
            "/api/v1/applications",
            json!({ "scheme": "jiangsu-pool-2021", "provider_type": "network", "round_id": round }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let id = created.json()["application"]["id"].as_i64().unwrap();
    // Two rounds are open now: one must be chosen.
    let ambiguous = app
        .post(
            &applicant,
            "/api/v1/applications",
            json!({ "scheme": "jiangsu-pool-2021", "provider_type": "cloud_platform" }),
        )
        .await;
    assert_eq!(ambiguous.status, StatusCode::UNPROCESSABLE_ENTITY);
    app.advance(5 * 86_400);
    let applicant = app.sign_in("applicant_b").await;
    let late = app
        .post(
            &applicant,
            &format!("/api/v1/applications/{id}/submit"),
            json!({}),
        )
        .await;
    assert_eq!(late.status, StatusCode::CONFLICT);
    assert_eq!(late.json()["error"], "window_closed");
    assert!(
        late.json()["message"]
            .as_str()
            .unwrap()
            .contains("2026-05-31")
    );
    // Nor can anyone start an application in it any more.
    let closed = app
        .post(
            &applicant,
            "/api/v1/applications",
            json!({ "scheme": "jiangsu-pool-2021", "provider_type": "cloud_platform", "round_id": round }),
        )
        .await;
    assert_eq!(closed.status, StatusCode::CONFLICT);
    assert!(
        closed.json()["message"]
            .as_str()
            .unwrap()
            .contains("2026-05-31")
    );
    // A round of another region is not there for this organisation.
    let shaoxing = app.round_of("shaoxing-platform").await;
    let foreign = app
        .post(
            &applicant,
            "/api/v1/applications",
            json!({ "scheme": "shaoxing-platform", "round_id": shaoxing }),
        )
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_city_recommends_in_bulk_and_the_queue_counts_by_state() {
    let app = TestApp::new().await;
    let applicant = app.sign_in("applicant_b").await;
    let county = app.sign_in("county_jn").await;
    let city = app.sign_in("city_nj").await;
    let first = submitted_network(&app, &applicant).await;
    let id = app.new_application(&applicant, "cloud_platform").await;
    app.submit(&applicant, id).await;
    for id in [first, id] {
        let passed = decide(&app, &county, id, json!({ "action": "pass" })).await;
        assert_eq!(passed.status, StatusCode::OK);
    }
    // Newest first by default; those waiting longest first on asking.
    let ids = |list: Value| -> Vec<i64> {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_i64().unwrap())
            .collect()
    };
    let newest = app
        .get(&city, "/api/v1/applications?state=city_review")
        .await
        .json();
    assert_eq!(ids(newest), [id, first]);
    let oldest = app
        .get(&city, "/api/v1/applications?state=city_review&sort=oldest")
        .await
        .json();
    assert_eq!(ids(oldest), [first, id]);
    let unknown = app.get(&city, "/api/v1/applications?sort=name").await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    let queue = app.get(&city, "/api/v1/review/queue").await.json();
    assert_eq!(
        queue,
        json!([{ "state": "city_review", "label": "设区市审核", "count": 2 }])
    );
    let bulk = app
        .post(
            &city,
            "/api/v1/decisions",
            json!({ "ids": [first, id, 999999], "decision": { "action": "recommend" } }),
        )
        .await
        .json();
    assert_eq!(bulk[0]["state"], "expert_review");
    assert_eq!(bulk[1]["state"], "expert_review");
    assert_eq!(bulk[2]["error"], "not_found");
    let detail = app
        .get(&city, &format!("/api/v1/applications/{id}"))
        .await
        .json();
    assert_eq!(detail["application"]["state"], "expert_review");
}

/// Every cell of a sheet as text, row by row.
fn sheet(bytes: &[u8], name: &str) -> Vec<Vec<String>> {
    use calamine::Reader as _;
    let mut workbook: calamine::Xlsx<_> =
        calamine::Xlsx::new(std::io::Cursor::new(bytes.to_vec())).expect("an xlsx workbook");
    let range = workbook.worksheet_range(name).expect("the sheet");
    range
        .rows()
        .map(|row| row.iter().map(ToString::to_string).collect())
        .collect()
}

#[tokio::test]
async fn the_city_downloads_its_recommendation_table_in_its_order() {
    let app = TestApp::new().await;
    let applicant = app.sign_in("applicant_b").await;
    let county = app.sign_in("county_jn").await;
    let city = app.sign_in("city_nj").await;
    let id = submitted_network(&app, &applicant).await;
    decide(&app, &county, id, json!({ "action": "pass" })).await;
    let corrected = app
        .post(
            &city,
            &format!("/api/v1/applications/{id}/confirmations"),
            json!({ "field": "employees", "value": 30, "note": "社保缴纳人数 30 人" }),
        )
        .await;
    assert_eq!(corrected.status, StatusCode::OK);
    let recommended = decide(&app, &city, id, json!({ "action": "recommend", "rank": 1 })).await;
    assert_eq!(recommended.status, StatusCode::OK);
    let round = app.round_of("jiangsu-pool-2021").await;
    let file = app
        .get(
            &city,
            &format!("/api/v1/rounds/{round}/recommendations.xlsx"),
        )
        .await;
    assert_eq!(file.status, StatusCode::OK, "{}", file.text());
    let rows = sheet(&file.body, "汇总推荐表");
    let header = rows
        .iter()
        .position(|r| r.first().is_some_and(|c| c == "序号"))
        .expect("the header row");
    assert_eq!(
        rows[header],
        [
            "序号",
            "单位名称",
            "统一社会信用代码",
            "所在地区",
            "单位性质",
            "申报类型",
            "自评星级",
            "核定星级",
            "联系人",
            "电话",
            "推荐意见",
            "推荐顺序"
        ]
    );
    let row = &rows[header + 1];
    assert_eq!(row[1], "乙公司");
    assert_eq!(row[2], credit_code("91320115MA1Q3D8H1"));
    assert_eq!(row[3], "江宁区");
    // Declared 员工 72 grades 四星; the city's 30 grades 三星 (四（三）: 50人 for 四星, 20人 for 三星).
    assert_eq!(row[6], "四星");
    assert_eq!(row[7], "三星");
    assert_eq!(row[10], "情况属实，同意推荐");
    assert_eq!(row[11], "1");
    let values = sheet(&file.body, "指标明细");
    let employees = values
        .iter()
        .find(|r| r.get(3).is_some_and(|c| c.contains("员工")))
        .expect("the 员工 row");
    assert_eq!(employees[4], "72");
    assert_eq!(employees[5], "30");
    assert_eq!(employees[6], "社保缴纳人数 30 人");
    let csv = app
        .get(
            &city,
            &format!("/api/v1/rounds/{round}/recommendations.csv"),
        )
        .await;
    assert!(csv.text().starts_with('\u{feff}'));
    assert!(csv.text().contains("乙公司"));
    // Another city's table lists none of 南京's recommendations; an applicant has none.
    let suzhou = app.sign_in("city_sz").await;
    let other = app
        .get(
            &suzhou,
            &format!("/api/v1/rounds/{round}/recommendations.csv"),
        )
        .await;
    assert_eq!(other.status, StatusCode::OK);
    assert!(!other.text().contains("乙公司"));
    let hidden = app
        .get(
            &applicant,
            &format!("/api/v1/rounds/{round}/recommendations.csv"),
        )
        .await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_deadline_three_days_ahead_is_reminded_once() {
    let app = TestApp::new().await;
    let applicant = app.sign_in("applicant_b").await;
    let county = app.sign_in("county_jn").await;
    let id = submitted_network(&app, &applicant).await;
    // The test clock reads 2026-05-29 in China; resubmit by 2026-06-05: 7 days ahead.
    let returned = decide(
        &app,
        &county,
        id,
        json!({ "action": "return", "comment": "请补充", "respond_by": "2026-06-05" }),
    )
    .await;
    assert_eq!(returned.status, StatusCode::OK);
    let today = app.state.today();
    assert_eq!(today.to_string(), "2026-05-29");
    let remind = |day: &str| {
        let state = app.state.clone();
        let day = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap();
        async move {
            pingjia_server::services::review::remind_deadlines(&state, day)
                .await
                .unwrap()
        }
    };
    assert_eq!(remind("2026-05-29").await, 0, "7 days ahead: not yet");
    assert_eq!(remind("2026-06-02").await, 1, "3 days ahead");
    assert_eq!(remind("2026-06-02").await, 0, "once");
    assert_eq!(remind("2026-06-03").await, 0, "once per deadline");
    let inbox = app.get(&applicant, "/api/v1/me/notifications").await.json();
    let titles: Vec<&str> = inbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["title"].as_str().unwrap())
        .collect();
    assert!(
        titles.contains(&format!("申报 #{id} 的退回修改期限为 2026-06-05").as_str()),
        "{titles:?}"
    );
    assert!(
        titles.contains(&format!("申报 #{id} 被退回修改").as_str()),
        "{titles:?}"
    );
}

#[tokio::test]
async fn direct_grading_stands_on_the_reviewers_confirmation_of_the_recognition() {
    // 003 二（二）3: a provider of a recognised 省重点工业互联网平台 meeting the 企业基本条件 is
    // graded 三星 综合（特色） directly; the example declares only those rows.
    let app = TestApp::new().await;
    let applicant = app.sign_in("applicant_b").await;
    let county = app.sign_in("county_jn").await;
    let id = app
        .new_application(&applicant, "comprehensive_platform")
        .await;
    let mut body = parse_tree(
        include_str!("../../../../examples/jiangsu/comprehensive_platform_key_platform.toml"),
        Format::Toml,
    )
    .unwrap();
    body.as_object_mut().unwrap().remove("scheme");
    body.as_object_mut().unwrap().remove("provider_type");
    let saved = app
        .put(
            &applicant,
            &format!("/api/v1/applications/{id}/draft"),
            body,
        )
        .await;
    assert_eq!(saved.json()["assessment"]["report"]["grade"], "三星");
    app.submit(&applicant, id).await;
    // The county checks the recognition document: confirmed, the grade stands.
    let confirmed = app
        .post(
            &county,
            &format!("/api/v1/applications/{id}/confirmations"),
            json!({ "field": "recognized_key_platform", "value": "是", "note": "认定文件已核验" }),
        )
        .await;
    assert_eq!(confirmed.json()["report"]["grade"], "三星");
    // Corrected (the document names another company): no row of the tables is filled, so no
    // grade is reached.
    let corrected = app
        .post(
            &county,
            &format!("/api/v1/applications/{id}/confirmations"),
            json!({ "field": "recognized_key_platform", "value": "否", "note": "认定文件单位名称不符" }),
        )
        .await;
    assert_eq!(corrected.status, StatusCode::OK, "{}", corrected.text());
    assert_ne!(corrected.json()["report"]["grade"], "三星");
    assert_eq!(corrected.json()["report"]["stars"], 0);
}

#[tokio::test]
async fn only_the_recommending_office_reorders_its_recommendations() {
    let app = TestApp::new().await;
    let applicant = app.sign_in("applicant_b").await;
    let county = app.sign_in("county_jn").await;
    let city = app.sign_in("city_nj").await;
    let province = app.sign_in("province").await;
    let id = submitted_network(&app, &applicant).await;
    let rank = |who: &Client, rank: i64| {
        let path = format!("/api/v1/applications/{id}/rank");
        let app = &app;
        let who = who.clone();
        async move { app.post(&who, &path, json!({ "rank": rank })).await.status }
    };
    // Not yet recommended: nothing to reorder.
    decide(&app, &county, id, json!({ "action": "pass" })).await;
    assert_eq!(rank(&city, 2).await, StatusCode::CONFLICT);
    decide(&app, &city, id, json!({ "action": "recommend", "rank": 1 })).await;
    assert_eq!(rank(&county, 2).await, StatusCode::FORBIDDEN);
    assert_eq!(rank(&province, 2).await, StatusCode::FORBIDDEN);
    assert_eq!(rank(&applicant, 2).await, StatusCode::FORBIDDEN);
    assert_eq!(rank(&city, 0).await, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(rank(&city, 3).await, StatusCode::NO_CONTENT);
    let round = app.round_of("jiangsu-pool-2021").await;
    let csv = app
        .get(
            &city,
            &format!("/api/v1/rounds/{round}/recommendations.csv"),
        )
        .await
        .text();
    let line = csv
        .lines()
        .find(|l| l.contains("乙公司"))
        .expect("乙公司's row");
    assert!(line.ends_with(",3"), "{line}");
}

#[tokio::test]
async fn the_timeline_names_the_reviewer_only_where_the_round_chooses() {
    let app = TestApp::new().await;
    let applicant = app.sign_in("applicant_b").await; // 乙公司, 南京市江宁区
    let county = app.sign_in("county_jn").await; // display name 「county_jn」
    let province = app.sign_in("province").await;
    let id = submitted_network(&app, &applicant).await;
    let returned = decide(
        &app,
        &county,
        id,
        json!({ "action": "return", "comment": "请补充员工花名册" }),
    )
    .await;
    assert_eq!(returned.status, StatusCode::OK, "{}", returned.text());
    let by = |timeline: &Value| timeline[1]["by"].as_str().unwrap().to_owned();

    // By default: the office only.
    let timeline = app
        .get(&applicant, &format!("/api/v1/applications/{id}/timeline"))
        .await
        .json();
    assert_eq!(timeline[1]["action"], "return");
    assert_eq!(by(&timeline), "江宁区 区县审核");
    assert!(!by(&timeline).contains("county_jn"));

    // The province, which runs the Jiangsu round, chooses to name its reviewers.
    let round = app.round_of("jiangsu-pool-2021").await;
    let set = app
        .request(
            &province,
            axum::http::Method::PATCH,
            &format!("/api/v1/rounds/{round}"),
            // The seeded round states no review deadlines; an edit keeps the round complete.
            Some(json!({
                "show_reviewer_names": true,
                "county_deadline": "2100-01-15",
                "city_deadline": "2100-01-31",
            })),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text());
    let timeline = app
        .get(&applicant, &format!("/api/v1/applications/{id}/timeline"))
        .await
        .json();
    assert_eq!(by(&timeline), "江宁区 区县审核 county_jn");
    assert_eq!(timeline[0]["by"], "申报单位");
}
