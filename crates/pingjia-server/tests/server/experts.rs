//! Experts: the pool, panels, conflicts of interest, assignment, the expert's declaration,
//! review, scores and submission, and what an expert who may not see an application learns
//! of it (nothing). The server clock starts at 2026-05-29 (China time).

use crate::support;

use axum::http::StatusCode;
use pingjia_server::services::accounts::NewUserRequest;
use pingjia_server::services::actor::Role;
use serde_json::{Value, json};
use support::{Client, PASSWORD, TestApp, add_user, credit_code};

/// 甲公司 (昆山, 320583) and 乙公司 (江宁, 320115): the seeded organisations' credit codes.
fn code_a() -> String {
    credit_code("91320583MA1P7K2X0")
}
fn code_b() -> String {
    credit_code("91320115MA1Q3D8H1")
}

/// An expert account bound to 江苏省 (the province keeps the pool).
async fn expert_account(app: &TestApp, username: &str) {
    add_user(
        app,
        NewUserRequest {
            username: username.into(),
            display_name: username.into(),
            password: PASSWORD.into(),
            role: Role::Expert,
            credit_code: None,
            organization_name: None,
            region_code: Some("32".into()),
        },
    )
    .await;
}

/// Adds an expert to the province's pool (with an account of the same name unless `account`
/// is false); its id.
async fn pool_expert(app: &TestApp, province: &Client, username: &str, extra: Value) -> i64 {
    expert_account(app, username).await;
    let mut body = json!({ "name": format!("专家{username}"), "username": username });
    for (key, value) in extra.as_object().unwrap() {
        body[key] = value.clone();
    }
    let response = app.post(province, "/api/v1/experts", body).await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
    response.json()["id"].as_i64().unwrap()
}

/// A submitted application of organisation A put under expert review: Jiangsu `network`, or
/// the Shaoxing scheme (in a round the province runs, so that 甲公司 may apply).
async fn in_expert_review(app: &TestApp, client: &Client, scheme: &str) -> i64 {
    let id = if scheme == "shaoxing-platform" {
        let response = app
            .post(
                client,
                "/api/v1/applications",
                json!({ "scheme": "shaoxing-platform" }),
            )
            .await;
        assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
        response.json()["application"]["id"].as_i64().unwrap()
    } else {
        app.new_application(client, "network").await
    };
    app.submit(client, id).await;
    app.set_state(id, "expert_review").await;
    id
}

fn kinds_of(view: &Value, expert: i64) -> Vec<String> {
    let candidate = view["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["expert_id"] == expert)
        .unwrap_or_else(|| panic!("expert {expert} is a candidate: {view}"));
    let mut kinds: Vec<String> = candidate["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{}:{}",
                c["kind"].as_str().unwrap(),
                c["status"].as_str().unwrap()
            )
        })
        .collect();
    kinds.sort();
    kinds
}

async fn audit_count(app: &TestApp, action: &str) -> i64 {
    let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_log WHERE action = $1")
        .bind(action)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    count
}

#[tokio::test]
async fn the_pool_is_kept_by_its_authority_with_checked_fields() {
    let app = TestApp::new().await;
    let province = app.sign_in("province").await;
    let id = pool_expert(
        &app,
        &province,
        "e1",
        json!({ "employer": "某大学", "employer_code": code_b(), "specialties": ["network", "纺织"], "home_region": "320115" }),
    )
    .await;
    let got = app
        .get(&province, &format!("/api/v1/experts/{id}"))
        .await
        .json();
    assert_eq!(got["employer_code"], code_b());
    assert_eq!(got["specialties"], json!(["network", "纺织"]));
    assert_eq!(got["home_region"], "320115");
    assert_eq!(got["username"], "e1");

    // A wrong check character, a non-expert account, an unknown region: refused, nothing written.
    let mut wrong = code_b();
    let last = wrong.pop().unwrap();
    wrong.push(if last == '0' { '1' } else { '0' });
    for body in [
        json!({ "name": "某", "employer_code": wrong }),
        json!({ "name": "某", "username": "county_ks" }),
        json!({ "name": "某", "home_region": "999999" }),
        json!({ "name": "  " }),
    ] {
        let response = app.post(&province, "/api/v1/experts", body).await;
        assert_eq!(
            response.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            response.text()
        );
    }
    // One account, one expert.
    let again = app
        .post(
            &province,
            "/api/v1/experts",
            json!({ "name": "重复", "username": "e1" }),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let listed = app.get(&province, "/api/v1/experts").await.json();
    assert_eq!(listed["total"], 1);

    // A relation needs a valid credit code and a known kind.
    let relation = app
        .post(
            &province,
            &format!("/api/v1/experts/{id}/relations"),
            json!({ "kind": "spouse", "credit_code": code_a() }),
        )
        .await;
    assert_eq!(relation.status, StatusCode::UNPROCESSABLE_ENTITY);
    let relation = app
        .post(
            &province,
            &format!("/api/v1/experts/{id}/relations"),
            json!({ "kind": "former_employer", "credit_code": code_a(), "until_on": "2024-01-31" }),
        )
        .await;
    assert_eq!(relation.status, StatusCode::CREATED, "{}", relation.text());
    assert_eq!(relation.json()["relations"][0]["until_on"], "2024-01-31");

    // Another authority's pool does not hold it; other roles may not keep a pool.
    add_user(
        &app,
        NewUserRequest {
            username: "sx_admin".into(),
            display_name: "绍兴".into(),
            password: PASSWORD.into(),
            role: Role::AuthorityAdmin,
            credit_code: None,
            organization_name: None,
            region_code: Some("3306".into()),
        },
    )
    .await;
    let shaoxing = app.sign_in("sx_admin").await;
    let missing = app.get(&shaoxing, "/api/v1/experts/999999").await;
    let other = app.get(&shaoxing, &format!("/api/v1/experts/{id}")).await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    assert_eq!(other.body, missing.body);
    assert_eq!(
        app.get(&shaoxing, "/api/v1/experts").await.json()["total"],
        0
    );
    for user in ["county_ks", "city_sz", "applicant_a", "e1"] {
        let client = app.sign_in(user).await;
        assert_eq!(
            app.get(&client, "/api/v1/experts").await.status,
            StatusCode::FORBIDDEN,
            "{user}"
        );
    }
    assert!(audit_count(&app, "expert_created").await == 1);
}

#[tokio::test]
async fn conflicts_are_detected_typed_and_decided_before_assignment() {
    let app = TestApp::new().await;
    let province = app.sign_in("province").await;
    let a = app.sign_in("applicant_a").await;
    let id = in_expert_review(&app, &a, "jiangsu-pool-2021").await;
    let round = app.round_of("jiangsu-pool-2021").await;
    // Today is 2026-05-29; the window of 3 years starts on 2023-05-29.
    let same_employer =
        pool_expert(&app, &province, "x1", json!({ "employer_code": code_a() })).await;
    let former_recent = pool_expert(&app, &province, "x2", json!({})).await;
    let former_old = pool_expert(&app, &province, "x3", json!({})).await;
    let same_county = pool_expert(&app, &province, "x4", json!({ "home_region": "320583" })).await;
    let same_city = pool_expert(&app, &province, "x5", json!({ "home_region": "320505" })).await;
    let holder = pool_expert(&app, &province, "x6", json!({})).await;
    let relative = pool_expert(&app, &province, "x7", json!({})).await;
    for (expert, kind, until) in [
        (former_recent, "former_employer", Some("2023-05-29")),
        (former_old, "former_employer", Some("2023-05-28")),
        (holder, "shareholding", None),
        (relative, "relative", None),
    ] {
        let response = app
            .post(
                &province,
                &format!("/api/v1/experts/{expert}/relations"),
                json!({ "kind": kind, "credit_code": code_a(), "until_on": until }),
            )
            .await;
        assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
    }
    // Without the panel's county and city rules, neither region conflicts.
    let view = app
        .get(&province, &format!("/api/v1/applications/{id}/experts"))
        .await;
    assert_eq!(view.status, StatusCode::OK, "{}", view.text());
    let view = view.json();
    assert_eq!(kinds_of(&view, same_employer), ["same_employer:potential"]);
    assert_eq!(
        kinds_of(&view, former_recent),
        ["former_employer:potential"]
    );
    assert!(kinds_of(&view, former_old).is_empty());
    assert!(kinds_of(&view, same_county).is_empty());
    assert!(kinds_of(&view, same_city).is_empty());
    assert_eq!(kinds_of(&view, holder), ["shareholding:potential"]);
    assert_eq!(kinds_of(&view, relative), ["relative:potential"]);

    let panel = app
        .put(
            &province,
            &format!("/api/v1/rounds/{round}/panel"),
            json!({ "size": 3, "former_years": 3, "exclude_same_county": true, "exclude_same_city": true }),
        )
        .await;
    assert_eq!(panel.status, StatusCode::OK, "{}", panel.text());
    let view = app
        .get(&province, &format!("/api/v1/applications/{id}/experts"))
        .await
        .json();
    // 昆山 (320583) lies in 苏州 (3205): the same county is the same city too.
    assert_eq!(
        kinds_of(&view, same_county),
        ["same_city:potential", "same_county:potential"]
    );
    assert_eq!(kinds_of(&view, same_city), ["same_city:potential"]);

    // A potential conflict refuses the assignment, naming it; nobody is assigned.
    let refused = app
        .post(
            &province,
            &format!("/api/v1/applications/{id}/experts"),
            json!({ "expert_ids": [former_old, same_employer] }),
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert_eq!(refused.json()["error"], "conflict_unresolved");
    assert!(
        refused.json()["message"]
            .as_str()
            .unwrap()
            .contains("同一单位任职")
    );
    let view = app
        .get(&province, &format!("/api/v1/applications/{id}/experts"))
        .await
        .json();
    assert_eq!(view["assignments"], json!([]));
    assert_eq!(audit_count(&app, "conflict_detected").await, 1);

    // A decision needs a reason; dismissed, the expert may be assigned.
    let no_reason = app
        .post(
            &province,
            &format!("/api/v1/applications/{id}/conflicts"),
            json!({ "expert_id": same_employer, "kind": "same_employer", "decision": "dismiss", "reason": " " }),
        )
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    let dismissed = app
        .post(
            &province,
            &format!("/api/v1/applications/{id}/conflicts"),
            json!({ "expert_id": same_employer, "kind": "same_employer", "decision": "dismiss", "reason": "已于上月离职，信用代码未更新" }),
        )
        .await;
    assert_eq!(dismissed.status, StatusCode::OK, "{}", dismissed.text());
    assert_eq!(
        kinds_of(&dismissed.json(), same_employer),
        ["same_employer:dismissed"]
    );
    let assigned = app
        .post(
            &province,
            &format!("/api/v1/applications/{id}/experts"),
            json!({ "expert_ids": [former_old, same_employer] }),
        )
        .await;
    assert_eq!(assigned.status, StatusCode::OK, "{}", assigned.text());
    let statuses: Vec<(i64, String)> = assigned.json()["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["expert_id"].as_i64().unwrap(),
                a["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [
            (former_old, "pending".to_owned()),
            (same_employer, "pending".to_owned())
        ]
    );

    // A confirmed conflict refuses with its own code, and removes an existing assignment.
    let confirmed = app
        .post(
            &province,
            &format!("/api/v1/applications/{id}/conflicts"),
            json!({ "expert_id": former_recent, "kind": "former_employer", "decision": "confirm", "reason": "2023年5月前在该公司任技术总监" }),
        )
        .await;
    assert_eq!(confirmed.status, StatusCode::OK);
    let refused = app
        .post(
            &province,
            &format!("/api/v1/applications/{id}/experts"),
            json!({ "expert_ids": [former_recent] }),
        )
        .await;
    assert_eq!(refused.json()["error"], "conflict_confirmed");
    let relation = app
        .post(
            &province,
            &format!("/api/v1/experts/{former_old}/relations"),
            json!({ "kind": "shareholding", "credit_code": code_a() }),
        )
        .await;
    assert_eq!(relation.status, StatusCode::CREATED);
    let removed = app
        .post(
            &province,
            &format!("/api/v1/applications/{id}/conflicts"),
            json!({ "expert_id": former_old, "kind": "shareholding", "decision": "confirm", "reason": "持股 5%" }),
        )
        .await
        .json();
    let status_of = |view: &Value, expert: i64| {
        view["assignments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["expert_id"] == expert)
            .map(|a| a["status"].as_str().unwrap().to_owned())
    };
    assert_eq!(status_of(&removed, former_old).as_deref(), Some("removed"));
    assert_eq!(
        status_of(&removed, same_employer).as_deref(),
        Some("pending")
    );
    assert_eq!(audit_count(&app, "conflict_confirmed").await, 2);
    assert_eq!(audit_count(&app, "conflict_dismissed").await, 1);
    assert_eq!(audit_count(&app, "expert_assigned").await, 2);

    // Only an application under expert review takes experts.
    app.set_state(id, "public_notice").await;
    let late = app
        .post(
            &province,
            &format!("/api/v1/applications/{id}/experts"),
            json!({ "expert_ids": [same_employer] }),
        )
        .await;
    assert_eq!(late.json()["error"], "not_in_expert_review");
}

#[tokio::test]
async fn automatic_assignment_matches_specialties_then_balances_load() {
    let app = TestApp::new().await;
    let province = app.sign_in("province").await;
    let a = app.sign_in("applicant_a").await;
    let b = app.sign_in("applicant_b").await;
    let first = in_expert_review(&app, &a, "jiangsu-pool-2021").await;
    let second = {
        let id = app.new_application(&b, "network").await;
        app.submit(&b, id).await;
        app.set_state(id, "expert_review").await;
        id
    };
    assert!(first < second);
    let round = app.round_of("jiangsu-pool-2021").await;
    app.put(
        &province,
        &format!("/api/v1/rounds/{round}/panel"),
        json!({ "size": 2, "former_years": 3, "exclude_same_county": false, "exclude_same_city": false }),
    )
    .await;
    let x1 = pool_expert(&app, &province, "x1", json!({ "specialties": ["network"] })).await;
    let x2 = pool_expert(&app, &province, "x2", json!({})).await;
    let x3 = pool_expert(&app, &province, "x3", json!({})).await;
    let x4 = pool_expert(&app, &province, "x4", json!({ "employer_code": code_b() })).await;
    let inactive = pool_expert(
        &app,
        &province,
        "x5",
        json!({ "specialties": ["network"], "active": false }),
    )
    .await;
    let no_account = app
        .post(
            &province,
            "/api/v1/experts",
            json!({ "name": "无账号", "specialties": ["network"] }),
        )
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    // By hand, size 2:
    //   first (甲): x1 matches `network` (load 0) → x1; then x2, x3, x4 (no match, load 0) by id → x2.
    //   second (乙): x4 works at 乙 (same employer: excluded); x1 matches (load 1) → x1; then
    //   x3 (load 0) before x2 (load 1) → x3.
    let result = app
        .post(
            &province,
            &format!("/api/v1/rounds/{round}/assignments"),
            json!({}),
        )
        .await;
    assert_eq!(result.status, StatusCode::OK, "{}", result.text());
    let result = result.json();
    let picks = |n: usize| -> Vec<i64> {
        result[n]["assigned"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["expert_id"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(result[0]["application_id"], first);
    assert_eq!(picks(0), [x1, x2]);
    assert_eq!(result[0]["assigned"][0]["specialty_match"], true);
    assert_eq!(result[1]["application_id"], second);
    assert_eq!(picks(1), [x1, x3]);
    assert_eq!(result[1]["assigned"][1]["load"], 0);
    let excluded: Vec<i64> = result[1]["excluded"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["expert_id"].as_i64().unwrap())
        .collect();
    assert_eq!(excluded, [x4]);
    assert!(
        result[1]["excluded"][0]["reasons"][0]
            .as_str()
            .unwrap()
            .contains("同一单位任职")
    );
    assert_eq!(result[1]["short"], 0);
    for never in [inactive, no_account] {
        assert!(
            !result
                .to_string()
                .contains(&format!("\"expert_id\":{never},"))
        );
    }
    // Again: every panel is full, nothing changes.
    let again = app
        .post(
            &province,
            &format!("/api/v1/rounds/{round}/assignments"),
            json!({}),
        )
        .await
        .json();
    assert_eq!(again[0]["assigned"], json!([]));
    assert_eq!(again[1]["assigned"], json!([]));
    assert_eq!(again[1]["had"], 2);
    // Another authority's round is not found.
    let county = app.sign_in("county_ks").await;
    assert_eq!(
        app.post(
            &county,
            &format!("/api/v1/rounds/{round}/assignments"),
            json!({})
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
}

/// The expert's assignment of `id` (its assignment id).
async fn task_id(app: &TestApp, expert: &Client, organization: &str) -> i64 {
    let tasks = app.get(expert, "/api/v1/expert/assignments").await.json();
    tasks
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["organization_name"] == organization)
        .unwrap_or_else(|| panic!("a task for {organization}: {tasks}"))["assignment_id"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn an_expert_sees_name_and_type_until_declaring_and_nothing_after_declining() {
    let app = TestApp::new().await;
    let province = app.sign_in("province").await;
    let a = app.sign_in("applicant_a").await;
    let id = in_expert_review(&app, &a, "jiangsu-pool-2021").await;
    let accepting = pool_expert(&app, &province, "ok1", json!({})).await;
    let declining = pool_expert(&app, &province, "no1", json!({})).await;
    let response = app
        .post(
            &province,
            &format!("/api/v1/applications/{id}/experts"),
            json!({ "expert_ids": [accepting, declining] }),
        )
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    let ok1 = app.sign_in("ok1").await;
    let no1 = app.sign_in("no1").await;

    // Pending: the organisation's name and the provider type, no other field.
    let tasks = app.get(&ok1, "/api/v1/expert/assignments").await.json();
    let task = &tasks[0];
    let mut keys: Vec<&str> = task
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "assignment_id",
            "organization_name",
            "provider_type",
            "status"
        ]
    );
    assert_eq!(task["organization_name"], "甲公司");
    assert_eq!(task["status"], "pending");
    let missing = app.get(&ok1, "/api/v1/applications/987654").await;
    let hidden = app.get(&ok1, &format!("/api/v1/applications/{id}")).await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    assert_eq!(hidden.body, missing.body);
    // The review waits for the declaration.
    let assignment = task["assignment_id"].as_i64().unwrap();
    let early = app
        .get(
            &ok1,
            &format!("/api/v1/expert/assignments/{assignment}/review"),
        )
        .await;
    assert_eq!(early.json()["error"], "declaration_required");

    let declared = app
        .post(
            &ok1,
            &format!("/api/v1/expert/assignments/{assignment}/declaration"),
            json!({ "no_conflict": true }),
        )
        .await;
    assert_eq!(declared.status, StatusCode::OK, "{}", declared.text());
    assert_eq!(declared.json()["application_id"], id);
    let seen = app.get(&ok1, &format!("/api/v1/applications/{id}")).await;
    assert_eq!(seen.status, StatusCode::OK, "{}", seen.text());
    // Once only.
    let twice = app
        .post(
            &ok1,
            &format!("/api/v1/expert/assignments/{assignment}/declaration"),
            json!({ "no_conflict": false, "text": "改主意" }),
        )
        .await;
    assert_eq!(twice.json()["error"], "already_declared");

    // A declared conflict: text required; then the assignment is declined, gone from the
    // list, and the conflict recorded for the authority.
    let declining_task = task_id(&app, &no1, "甲公司").await;
    let empty = app
        .post(
            &no1,
            &format!("/api/v1/expert/assignments/{declining_task}/declaration"),
            json!({ "no_conflict": false }),
        )
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    let conflict = app
        .post(
            &no1,
            &format!("/api/v1/expert/assignments/{declining_task}/declaration"),
            json!({ "no_conflict": false, "text": "配偶在该公司任职" }),
        )
        .await;
    assert_eq!(conflict.status, StatusCode::OK, "{}", conflict.text());
    assert_eq!(conflict.json()["status"], "declined");
    assert_eq!(
        app.get(&no1, "/api/v1/expert/assignments").await.json(),
        json!([])
    );
    let view = app
        .get(&province, &format!("/api/v1/applications/{id}/experts"))
        .await
        .json();
    let declined = view["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["expert_id"] == declining)
        .unwrap();
    assert_eq!(declined["status"], "declined");
    assert_eq!(declined["declaration"], "配偶在该公司任职");
    let hidden = app.get(&no1, &format!("/api/v1/applications/{id}")).await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    assert_eq!(
        hidden.body,
        app.get(&no1, "/api/v1/applications/987654").await.body
    );
    let gone = app
        .get(
            &no1,
            &format!("/api/v1/expert/assignments/{declining_task}"),
        )
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    // The authority cannot dismiss what the expert declared, nor reassign the expert.
    let dismiss = app
        .post(
            &province,
            &format!("/api/v1/applications/{id}/conflicts"),
            json!({ "expert_id": declining, "kind": "declared", "decision": "dismiss", "reason": "无" }),
        )
        .await;
    assert_eq!(dismiss.json()["error"], "conflict_declared");
    let again = app
        .post(
            &province,
            &format!("/api/v1/applications/{id}/experts"),
            json!({ "expert_ids": [declining] }),
        )
        .await;
    assert_eq!(again.json()["error"], "conflict_confirmed");
}

/// Saves every Shaoxing rubric item for one expert (scores in the scheme's order: equipment,
/// environment, users, coverage, innovation, indicators, investment, outcomes, regional_layout).
async fn score(app: &TestApp, expert: &Client, assignment: i64, scores: [f64; 9], opinion: &str) {
    let ids = [
        "platform_level.equipment",
        "platform_level.environment",
        "platform_level.users",
        "platform_level.coverage",
        "platform_level.innovation",
        "platform_level.indicators",
        "investment",
        "outcomes",
        "regional_layout",
    ];
    let mut body = serde_json::Map::new();
    for (id, score) in ids.iter().zip(scores) {
        body.insert(
            (*id).into(),
            json!({ "score": score, "note": "依据申报材料评分" }),
        );
    }
    let response = app
        .put(
            expert,
            &format!("/api/v1/expert/assignments/{assignment}/review"),
            json!({ "scores": body, "opinion": opinion }),
        )
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
}

fn score_of(detail: &Value) -> Option<f64> {
    let score = &detail["assessment"]["report"]["score"];
    score
        .as_f64()
        .or_else(|| score.as_str().and_then(|s| s.parse().ok()))
}

#[tokio::test]
async fn shaoxing_scores_are_stepped_locked_and_aggregated_by_the_rounds_rule() {
    let app = TestApp::new().await;
    app.open_round("shaoxing-platform", "32", "2020-01-01", "2099-12-31")
        .await;
    let province = app.sign_in("province").await;
    let a = app.sign_in("applicant_a").await;
    let id = {
        let response = app
            .post(
                &a,
                "/api/v1/applications",
                json!({ "scheme": "shaoxing-platform" }),
            )
            .await;
        let id = response.json()["application"]["id"].as_i64().unwrap();
        // Scores an applicant writes into its own body as if from experts never count.
        let saved = app
            .put(
                &a,
                &format!("/api/v1/applications/{id}/draft"),
                json!({ "experts": [{ "expert": "自称专家", "scores": { "investment": 20 } }] }),
            )
            .await;
        assert_eq!(saved.status, StatusCode::OK, "{}", saved.text());
        app.submit(&a, id).await;
        app.set_state(id, "expert_review").await;
        id
    };
    let before = app
        .get(&province, &format!("/api/v1/applications/{id}"))
        .await
        .json();
    assert_eq!(score_of(&before), None);
    let mut experts = Vec::new();
    for name in ["s1", "s2", "s3"] {
        experts.push(pool_expert(&app, &province, name, json!({})).await);
    }
    let response = app
        .post(
            &province,
            &format!("/api/v1/applications/{id}/experts"),
            json!({ "expert_ids": experts }),
        )
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    let mut clients = Vec::new();
    let mut tasks = Vec::new();
    for name in ["s1", "s2", "s3"] {
        let client = app.sign_in(name).await;
        let task = task_id(&app, &client, "甲公司").await;
        let declared = app
            .post(
                &client,
                &format!("/api/v1/expert/assignments/{task}/declaration"),
                json!({ "no_conflict": true }),
            )
            .await;
        assert_eq!(declared.status, StatusCode::OK);
        clients.push(client);
        tasks.push(task);
    }

    // The sheet: nine items, each with its maximum and the step 0.5.
    let sheet = app
        .get(
            &clients[0],
            &format!("/api/v1/expert/assignments/{}/review", tasks[0]),
        )
        .await
        .json();
    assert_eq!(sheet["items"].as_array().unwrap().len(), 9);
    assert_eq!(sheet["items"][6]["criterion_id"], "investment");
    assert_eq!(sheet["items"][6]["max"], "20");
    assert_eq!(sheet["items"][0]["step"], "0.5");
    // Within the maximum, in steps of 0.5.
    for (item, given) in [
        ("platform_level.equipment", json!(7.25)),
        ("platform_level.equipment", json!(10.5)),
        ("regional_layout", json!("5.5")),
        ("platform_level.equipment", json!(-1)),
        ("gate.registered_in_shaoxing", json!(1)),
    ] {
        let response = app
            .put(
                &clients[0],
                &format!("/api/v1/expert/assignments/{}/review", tasks[0]),
                json!({ "scores": { item: { "score": given, "note": "x" } } }),
            )
            .await;
        assert_eq!(
            response.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{item} {given}: {}",
            response.text()
        );
    }
    // Submitting needs every item with an opinion and the overall opinion.
    let incomplete = app
        .post(
            &clients[0],
            &format!("/api/v1/expert/assignments/{}/submit", tasks[0]),
            json!({}),
        )
        .await;
    assert_eq!(incomplete.status, StatusCode::UNPROCESSABLE_ENTITY);

    // By hand (items: equipment, environment, users, coverage, innovation, indicators,
    // investment, outcomes, regional_layout):
    //   s1: 8 + 7.5 + 9 + 6 + 8 + 7 + 16 + 15 + 3 = 79.5
    //   s2: 9 + 8 + 8.5 + 7 + 9 + 8 + 18 + 17 + 4 = 88.5
    //   s3: 6 + 6 + 7 + 5 + 6.5 + 6 + 12 + 14 + 2 = 64.5
    //   mean: (79.5 + 88.5 + 64.5) / 3 = 232.5 / 3 = 77.5
    //   trimmed mean per item (drop the lowest and the highest of three: the middle one):
    //   8 + 7.5 + 8.5 + 6 + 8 + 7 + 16 + 15 + 3 = 79
    score(
        &app,
        &clients[0],
        tasks[0],
        [8.0, 7.5, 9.0, 6.0, 8.0, 7.0, 16.0, 15.0, 3.0],
        "平台水平较好",
    )
    .await;
    score(
        &app,
        &clients[1],
        tasks[1],
        [9.0, 8.0, 8.5, 7.0, 9.0, 8.0, 18.0, 17.0, 4.0],
        "整体优秀",
    )
    .await;
    score(
        &app,
        &clients[2],
        tasks[2],
        [6.0, 6.0, 7.0, 5.0, 6.5, 6.0, 12.0, 14.0, 2.0],
        "投入不足",
    )
    .await;
    let own = app
        .get(
            &clients[0],
            &format!("/api/v1/expert/assignments/{}/review", tasks[0]),
        )
        .await
        .json();
    assert_eq!(own["total"], "79.5");
    assert!(own.get("others").is_none(), "{own}");

    // Nothing counts before submission.
    assert_eq!(
        score_of(
            &app.get(&province, &format!("/api/v1/applications/{id}"))
                .await
                .json()
        ),
        None
    );
    let submitted = app
        .post(
            &clients[0],
            &format!("/api/v1/expert/assignments/{}/submit", tasks[0]),
            json!({}),
        )
        .await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.text());
    assert_eq!(submitted.json()["others"], json!([]));
    // Locked.
    let locked = app
        .put(
            &clients[0],
            &format!("/api/v1/expert/assignments/{}/review", tasks[0]),
            json!({ "opinion": "再改" }),
        )
        .await;
    assert_eq!(locked.json()["error"], "review_locked");
    // One submitted: the authority's grade has it; s2, who has not submitted, sees no score
    // at all, neither on its sheet nor in the application's assessment.
    assert_eq!(
        score_of(
            &app.get(&province, &format!("/api/v1/applications/{id}"))
                .await
                .json()
        ),
        Some(79.5)
    );
    assert_eq!(
        score_of(
            &app.get(&clients[1], &format!("/api/v1/applications/{id}"))
                .await
                .json()
        ),
        None
    );
    let s2 = app
        .get(
            &clients[1],
            &format!("/api/v1/expert/assignments/{}/review", tasks[1]),
        )
        .await
        .json();
    assert!(s2.get("others").is_none());
    assert!(!s2.to_string().contains("平台水平较好"));

    for n in [1, 2] {
        let done = app
            .post(
                &clients[n],
                &format!("/api/v1/expert/assignments/{}/submit", tasks[n]),
                json!({}),
            )
            .await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.text());
    }
    let s2 = app
        .get(
            &clients[1],
            &format!("/api/v1/expert/assignments/{}/review", tasks[1]),
        )
        .await
        .json();
    let others: Vec<&str> = s2["others"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["total"].as_str().unwrap())
        .collect();
    assert_eq!(others, ["79.5", "64.5"]);
    let detail = app
        .get(&province, &format!("/api/v1/applications/{id}"))
        .await
        .json();
    assert_eq!(score_of(&detail), Some(77.5));
    // The applicant sees no expert score before the authority decides.
    let own = app
        .get(&a, &format!("/api/v1/applications/{id}"))
        .await
        .json();
    assert_eq!(score_of(&own), None);
    {
        let mut tx = app.state.db.begin().await.unwrap();
        assert!(
            pingjia_server::storage::review_complete(&mut tx, id)
                .await
                .unwrap()
        );
        tx.commit().await.unwrap();
    }
    sqlx::query(
        "UPDATE rounds SET aggregation = 'trimmed_mean' WHERE scheme_id = 'shaoxing-platform'",
    )
    .execute(&app.state.db.pool)
    .await
    .unwrap();
    let detail = app
        .get(&province, &format!("/api/v1/applications/{id}"))
        .await
        .json();
    assert_eq!(score_of(&detail), Some(79.0));

    // The authority reopens s3's review with a reason: it counts no more until resubmitted.
    let no_reason = app
        .post(
            &province,
            &format!("/api/v1/applications/{id}/experts/{}/reopen", experts[2]),
            json!({ "reason": "" }),
        )
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    let reopened = app
        .post(
            &province,
            &format!("/api/v1/applications/{id}/experts/{}/reopen", experts[2]),
            json!({ "reason": "投入情况评分与佐证不符，请复核" }),
        )
        .await;
    assert_eq!(reopened.status, StatusCode::OK, "{}", reopened.text());
    assert_eq!(audit_count(&app, "expert_review_reopened").await, 1);
    {
        let mut tx = app.state.db.begin().await.unwrap();
        assert!(
            !pingjia_server::storage::review_complete(&mut tx, id)
                .await
                .unwrap()
        );
        tx.commit().await.unwrap();
    }
    score(
        &app,
        &clients[2],
        tasks[2],
        [6.0, 6.0, 7.0, 5.0, 6.5, 6.0, 16.0, 14.0, 2.0],
        "投入情况已复核",
    )
    .await;
    // Two submitted sheets under the trimmed mean (fewer than three: the plain mean):
    // (79.5 + 88.5) / 2 = 84.
    let detail = app
        .get(&province, &format!("/api/v1/applications/{id}"))
        .await
        .json();
    assert_eq!(score_of(&detail), Some(84.0));
}

#[tokio::test]
async fn an_expert_corrects_values_at_the_authoritys_level_while_reviewing() {
    let app = TestApp::new().await;
    let province = app.sign_in("province").await;
    let a = app.sign_in("applicant_a").await;
    let id = in_expert_review(&app, &a, "jiangsu-pool-2021").await;
    let reviewer = pool_expert(&app, &province, "r1", json!({})).await;
    let outsider = pool_expert(&app, &province, "r2", json!({})).await;
    let _ = outsider;
    app.post(
        &province,
        &format!("/api/v1/applications/{id}/experts"),
        json!({ "expert_ids": [reviewer] }),
    )
    .await;
    let r1 = app.sign_in("r1").await;
    let r2 = app.sign_in("r2").await;
    let task = task_id(&app, &r1, "甲公司").await;
    // Before the declaration: as if the application did not exist.
    let body = json!({ "field": "employees", "value": 30, "note": "社保缴纳人数" });
    let path = format!("/api/v1/applications/{id}/confirmations");
    let before = app.post(&r1, &path, body.clone()).await;
    let missing = app
        .post(
            &r1,
            "/api/v1/applications/987654/confirmations",
            body.clone(),
        )
        .await;
    assert_eq!(before.status, StatusCode::NOT_FOUND);
    assert_eq!(before.body, missing.body);
    app.post(
        &r1,
        &format!("/api/v1/expert/assignments/{task}/declaration"),
        json!({ "no_conflict": true }),
    )
    .await;
    let confirmed = app.post(&r1, &path, body.clone()).await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.text());
    // The authority's earlier value and the expert's later one are at the same level: the
    // latest stands.
    let records = app
        .get(&province, &format!("{path}?version=1"))
        .await
        .json();
    let record = records
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["field"] == "employees")
        .unwrap();
    assert_eq!(record["level"], 3);
    assert_eq!(record["in_force"], true);
    assert_eq!(record["value"], 30);
    let later = app
        .post(
            &province,
            &path,
            json!({ "field": "employees", "value": 32, "note": "复核" }),
        )
        .await;
    assert_eq!(later.status, StatusCode::OK);
    let records = app
        .get(&province, &format!("{path}?version=1"))
        .await
        .json();
    let in_force: Vec<&Value> = records
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["in_force"] == true)
        .collect();
    assert_eq!(in_force.len(), 1);
    assert_eq!(in_force[0]["value"], 32);
    // An unassigned expert: the 404 of a missing application.
    let outside = app.post(&r2, &path, body.clone()).await;
    assert_eq!(outside.status, StatusCode::NOT_FOUND);
    assert_eq!(outside.body, missing.body);
    // After submitting, the expert's review (values included) is locked.
    app.put(
        &r1,
        &format!("/api/v1/expert/assignments/{task}/review"),
        json!({ "opinion": "同意" }),
    )
    .await;
    let submitted = app
        .post(
            &r1,
            &format!("/api/v1/expert/assignments/{task}/submit"),
            json!({}),
        )
        .await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.text());
    let after = app.post(&r1, &path, body).await;
    assert_eq!(after.status, StatusCode::FORBIDDEN);
}

/// Every route that names an application, as an expert can call it.
fn application_routes(id: i64) -> Vec<(&'static str, String, Option<Value>)> {
    vec![
        ("GET", format!("/api/v1/applications/{id}"), None),
        ("GET", format!("/api/v1/applications/{id}/versions/1"), None),
        ("GET", format!("/api/v1/applications/{id}/evidence"), None),
        ("GET", format!("/api/v1/applications/{id}/timeline"), None),
        ("GET", format!("/api/v1/applications/{id}/changes"), None),
        (
            "GET",
            format!("/api/v1/applications/{id}/confirmations"),
            None,
        ),
        ("GET", format!("/api/v1/applications/{id}/actions"), None),
        (
            "GET",
            format!("/api/v1/applications/{id}/declaration.xlsx"),
            None,
        ),
        ("GET", format!("/api/v1/applications/{id}/experts"), None),
        (
            "POST",
            format!("/api/v1/applications/{id}/decisions"),
            Some(json!({ "action": "decide" })),
        ),
        (
            "POST",
            format!("/api/v1/applications/{id}/confirmations"),
            Some(json!({ "field": "employees", "value": 1 })),
        ),
        (
            "POST",
            format!("/api/v1/applications/{id}/conflicts"),
            Some(
                json!({ "expert_id": 1, "kind": "relative", "decision": "confirm", "reason": "x" }),
            ),
        ),
        ("GET", format!("/applications/{id}"), None),
        ("GET", format!("/applications/{id}/report"), None),
    ]
}

async fn call(
    app: &TestApp,
    client: &Client,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Vec<u8>) {
    let method = method.parse().unwrap();
    let response = app.request(client, method, path, body).await;
    (response.status, response.body)
}

#[tokio::test]
async fn an_unassigned_pending_or_declined_expert_learns_nothing_of_an_application() {
    let app = TestApp::new().await;
    let province = app.sign_in("province").await;
    let a = app.sign_in("applicant_a").await;
    let id = in_expert_review(&app, &a, "jiangsu-pool-2021").await;
    let seen = pool_expert(&app, &province, "seen", json!({})).await;
    let pending = pool_expert(&app, &province, "pending", json!({})).await;
    let declined = pool_expert(&app, &province, "declined", json!({})).await;
    pool_expert(&app, &province, "outside", json!({})).await;
    let response = app
        .post(
            &province,
            &format!("/api/v1/applications/{id}/experts"),
            json!({ "expert_ids": [seen, pending, declined] }),
        )
        .await;
    assert_eq!(response.status, StatusCode::OK);
    let seen_client = app.sign_in("seen").await;
    let task = task_id(&app, &seen_client, "甲公司").await;
    app.post(
        &seen_client,
        &format!("/api/v1/expert/assignments/{task}/declaration"),
        json!({ "no_conflict": true }),
    )
    .await;
    let declined_client = app.sign_in("declined").await;
    let task = task_id(&app, &declined_client, "甲公司").await;
    app.post(
        &declined_client,
        &format!("/api/v1/expert/assignments/{task}/declaration"),
        json!({ "no_conflict": false, "text": "曾为该公司提供咨询" }),
    )
    .await;
    // The accepted expert sees it (so the routes below do reach an application).
    assert_eq!(
        app.get(&seen_client, &format!("/api/v1/applications/{id}"))
            .await
            .status,
        StatusCode::OK
    );
    for user in ["outside", "pending", "declined"] {
        let client = app.sign_in(user).await;
        for ((method, path, body), (_, missing_path, _)) in application_routes(id)
            .into_iter()
            .zip(application_routes(987654))
        {
            let existing = call(&app, &client, method, &path, body.clone()).await;
            let missing = call(&app, &client, method, &missing_path, body).await;
            assert_eq!(existing.0, missing.0, "{user} {method} {path}");
            assert_ne!(existing.0, StatusCode::OK, "{user} {method} {path}");
            if !path.starts_with("/applications/") {
                assert_eq!(existing.1, missing.1, "{user} {method} {path}");
            }
        }
        // Lists and counts hold nothing of it.
        let list = app.get(&client, "/api/v1/applications").await.json();
        assert_eq!(list["total"], 0, "{user}");
        assert_eq!(
            app.get(&client, "/api/v1/review/queue").await.json(),
            json!([])
        );
    }
}

/// No measurable timing difference: for an expert whose assignment is still pending, asking
/// for the application costs what asking for a missing id costs. The two requests alternate
/// (a change in the machine's load falls on both), and the median of the paired differences
/// must stay within a tenth of the median request: a second query, or a page rendered and
/// then refused, on the forbidden path alone would cost more than that. This compares the two
/// paths with each other, never with a clock limit.
#[tokio::test]
async fn a_forbidden_application_costs_an_expert_the_time_of_a_missing_one() {
    let app = TestApp::new().await;
    let province = app.sign_in("province").await;
    let a = app.sign_in("applicant_a").await;
    let id = in_expert_review(&app, &a, "jiangsu-pool-2021").await;
    let pending = pool_expert(&app, &province, "pending", json!({})).await;
    let response = app
        .post(
            &province,
            &format!("/api/v1/applications/{id}/experts"),
            json!({ "expert_ids": [pending] }),
        )
        .await;
    assert_eq!(response.status, StatusCode::OK);
    let client = app.sign_in("pending").await;
    let missing = id + 1_000;
    for (existing, absent) in [
        (
            format!("/api/v1/applications/{id}"),
            format!("/api/v1/applications/{missing}"),
        ),
        (
            format!("/applications/{id}"),
            format!("/applications/{missing}"),
        ),
    ] {
        let mut differences = Vec::new();
        let mut times = Vec::new();
        for round in 0..341 {
            let timed = |path: String| {
                let app = &app;
                let client = &client;
                async move {
                    let started = std::time::Instant::now();
                    let response = app.get(client, &path).await;
                    assert_eq!(response.status, StatusCode::NOT_FOUND, "{path}");
                    started.elapsed().as_nanos() as i64
                }
            };
            // Alternate which goes first, and let the first rounds warm the caches.
            let (forbidden, unknown) = if round % 2 == 0 {
                let forbidden = timed(existing.clone()).await;
                (forbidden, timed(absent.clone()).await)
            } else {
                let unknown = timed(absent.clone()).await;
                (timed(existing.clone()).await, unknown)
            };
            if round >= 40 {
                differences.push(forbidden - unknown);
                times.push(unknown);
            }
        }
        differences.sort_unstable();
        times.sort_unstable();
        let difference = differences[differences.len() / 2];
        let typical = times[times.len() / 2];
        assert!(
            difference.abs() * 10 < typical,
            "{existing}: median difference {difference} ns against a median request of {typical} ns"
        );
    }
}

#[tokio::test]
async fn an_experts_lists_and_counts_do_not_depend_on_other_applications() {
    // The same expert's view with and without other applications (assigned to others,
    // declined by this expert, or removed) in the database: identical.
    async fn view(others: bool) -> Vec<Value> {
        let app = TestApp::new().await;
        let province = app.sign_in("province").await;
        let a = app.sign_in("applicant_a").await;
        let b = app.sign_in("applicant_b").await;
        let me = pool_expert(&app, &province, "me", json!({})).await;
        let other = pool_expert(&app, &province, "other", json!({})).await;
        if others {
            let id = {
                let id = app.new_application(&b, "network").await;
                app.submit(&b, id).await;
                app.set_state(id, "expert_review").await;
                id
            };
            app.post(
                &province,
                &format!("/api/v1/applications/{id}/experts"),
                json!({ "expert_ids": [other, me] }),
            )
            .await;
            let me_client = app.sign_in("me").await;
            let task = task_id(&app, &me_client, "乙公司").await;
            app.post(
                &me_client,
                &format!("/api/v1/expert/assignments/{task}/declaration"),
                json!({ "no_conflict": false, "text": "冲突" }),
            )
            .await;
        }
        let id = in_expert_review(&app, &a, "jiangsu-pool-2021").await;
        app.post(
            &province,
            &format!("/api/v1/applications/{id}/experts"),
            json!({ "expert_ids": [me] }),
        )
        .await;
        let client = app.sign_in("me").await;
        let mut seen = Vec::new();
        let tasks = app.get(&client, "/api/v1/expert/assignments").await.json();
        seen.push(json!(tasks.as_array().unwrap().len()));
        seen.push(tasks[0]["organization_name"].clone());
        seen.push(app.get(&client, "/api/v1/applications").await.json()["total"].clone());
        seen.push(app.get(&client, "/api/v1/review/queue").await.json());
        seen
    }
    assert_eq!(view(false).await, view(true).await);
}

/// Posts a page form (urlencoded) with the session's CSRF token.
pub(crate) async fn post_form(
    app: &TestApp,
    client: &Client,
    path: &str,
    fields: &[(&str, &str)],
) -> support::Response {
    let mut body = format!("csrf={}", client.csrf.clone().unwrap_or_default());
    for (key, value) in fields {
        body.push_str(&format!(
            "&{}={}",
            pingjia_server::http::pages::percent_encode(key),
            pingjia_server::http::pages::percent_encode(value)
        ));
    }
    let request = axum::http::Request::builder()
        .method("POST")
        .uri(path)
        .header(
            axum::http::header::COOKIE,
            format!("pingjia_session={}", client.cookie.clone().unwrap()),
        )
        .header(
            axum::http::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(axum::body::Body::from(body))
        .unwrap();
    app.send(request).await
}

#[tokio::test]
async fn the_expert_pages_declare_score_and_submit() {
    let app = TestApp::new().await;
    app.open_round("shaoxing-platform", "32", "2020-01-01", "2099-12-31")
        .await;
    let province = app.sign_in("province").await;
    let a = app.sign_in("applicant_a").await;
    let id = in_expert_review(&app, &a, "shaoxing-platform").await;
    let expert = pool_expert(&app, &province, "p1", json!({})).await;
    pool_expert(&app, &province, "p2", json!({})).await;
    app.post(
        &province,
        &format!("/api/v1/applications/{id}/experts"),
        json!({ "expert_ids": [expert] }),
    )
    .await;
    let p1 = app.sign_in("p1").await;
    let page = app.get(&p1, "/expert").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(
        html.contains("甲公司") && html.contains("无利益冲突"),
        "{html}"
    );
    assert!(!html.contains(&format!("/applications/{id}")));
    let task = task_id(&app, &p1, "甲公司").await;
    // Before the declaration the sheet is refused with the reason; an outsider finds nothing.
    let p2 = app.sign_in("p2").await;
    assert_eq!(
        app.get(&p2, &format!("/expert/{task}")).await.status,
        StatusCode::NOT_FOUND
    );
    let declared = post_form(
        &app,
        &p1,
        &format!("/expert/{task}/declare"),
        &[("no_conflict", "1")],
    )
    .await;
    assert_eq!(
        declared.status,
        StatusCode::SEE_OTHER,
        "{}",
        declared.text()
    );
    let sheet = app.get(&p1, &format!("/expert/{task}")).await;
    assert_eq!(sheet.status, StatusCode::OK);
    assert!(sheet.text().contains("平台投入情况"));
    // A score off the step is refused on the page, with the reason.
    let refused = post_form(
        &app,
        &p1,
        &format!("/expert/{task}"),
        &[("score:investment", "12.3"), ("note:investment", "x")],
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.text().contains("0.5 的整数倍"),
        "{}",
        refused.text()
    );
    let mut fields = vec![("opinion", "同意认定")];
    let ids = [
        "platform_level.equipment",
        "platform_level.environment",
        "platform_level.users",
        "platform_level.coverage",
        "platform_level.innovation",
        "platform_level.indicators",
        "investment",
        "outcomes",
        "regional_layout",
    ];
    let keys: Vec<(String, String)> = ids
        .iter()
        .map(|i| (format!("score:{i}"), format!("note:{i}")))
        .collect();
    for (score, note) in &keys {
        fields.push((score.as_str(), "2.5"));
        fields.push((note.as_str(), "材料齐全"));
    }
    let saved = post_form(&app, &p1, &format!("/expert/{task}"), &fields).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text());
    let submitted = post_form(&app, &p1, &format!("/expert/{task}/submit"), &[]).await;
    assert_eq!(
        submitted.status,
        StatusCode::SEE_OTHER,
        "{}",
        submitted.text()
    );
    let sheet = app.get(&p1, &format!("/expert/{task}")).await.text();
    // 9 items × 2.5 = 22.5.
    assert!(sheet.contains("合计 22.5 分"), "{sheet}");
    assert!(sheet.contains("评审意见已提交。"));
}

#[tokio::test]
async fn the_pool_is_imported_from_csv_or_xlsx_all_or_nothing() {
    let app = TestApp::new().await;
    let province = app.sign_in("province").await;
    expert_account(&app, "imp1").await;
    let header = "姓名,工作单位,工作单位统一社会信用代码,专长（以、分隔）,所在区域代码,联系电话,电子邮箱,专家账号";
    let mut wrong = code_b();
    let last = wrong.pop().unwrap();
    wrong.push(if last == '0' { '1' } else { '0' });
    // Row 3 has a wrong check character, row 4 no name: nothing is written.
    let bad = format!(
        "{header}\r\n甲专家,某大学,{},\"network、纺织\",320583,,,imp1\r\n乙专家,某公司,{wrong},,,,,\r\n,某院,,,,,,\r\n",
        code_a()
    );
    let response = app
        .post_file(
            &province,
            "/api/v1/experts/import",
            "experts.csv",
            bad.as_bytes(),
            &[],
        )
        .await;
    assert_eq!(
        response.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        response.text()
    );
    let body = response.json();
    let rows: Vec<i64> = body["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["row"].as_i64().unwrap())
        .collect();
    assert_eq!(rows, [3, 4]);
    assert_eq!(body["imported"], 0);
    assert_eq!(
        app.get(&province, "/api/v1/experts").await.json()["total"],
        0
    );
    // Fixed: both rows go in, the first linked to its account.
    let good = format!(
        "{header}\r\n甲专家,某大学,{},\"network、纺织\",320583,,,imp1\r\n乙专家,某公司,{},,,,,\r\n",
        code_a(),
        code_b()
    );
    let response = app
        .post_file(
            &province,
            "/api/v1/experts/import",
            "experts.csv",
            good.as_bytes(),
            &[],
        )
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    assert_eq!(response.json()["imported"], 2);
    let listed = app.get(&province, "/api/v1/experts").await.json();
    assert_eq!(listed["total"], 2);
    assert_eq!(listed["items"][0]["name"], "乙专家");
    assert_eq!(
        listed["items"][1]["specialties"],
        json!(["network", "纺织"])
    );
    assert_eq!(listed["items"][1]["username"], "imp1");
    // The xlsx template, as downloaded, imports its example row.
    let template = app.get(&province, "/api/v1/experts/template.xlsx").await;
    assert_eq!(template.status, StatusCode::OK);
    let response = app
        .post_file(
            &province,
            "/api/v1/experts/import",
            "t.xlsx",
            &template.body,
            &[],
        )
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    assert_eq!(response.json()["imported"], 1);
    let csv = app.get(&province, "/api/v1/experts/template.csv").await;
    assert!(csv.text().contains(header));
    // Not an authority: refused.
    let county = app.sign_in("county_ks").await;
    let response = app
        .post_file(
            &county,
            "/api/v1/experts/import",
            "experts.csv",
            good.as_bytes(),
            &[],
        )
        .await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn site_visits_are_recorded_by_the_authority_and_listed_with_the_experts() {
    let app = TestApp::new().await;
    let province = app.sign_in("province").await;
    let a = app.sign_in("applicant_a").await;
    let id = in_expert_review(&app, &a, "jiangsu-pool-2021").await;
    let path = format!("/api/v1/applications/{id}/site-visits");
    let visit = json!({ "visited_on": "2026-05-20", "members": "王工、李工", "findings": "平台机房与申报一致" });
    // Today is 2026-05-29: a later date is refused; members and findings are required.
    for wrong in [
        json!({ "visited_on": "2026-05-30", "members": "王工", "findings": "x" }),
        json!({ "visited_on": "2026-05-20", "members": " ", "findings": "x" }),
        json!({ "visited_on": "20260520", "members": "王工", "findings": "x" }),
    ] {
        let response = app.post(&province, &path, wrong).await;
        assert_eq!(
            response.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            response.text()
        );
    }
    let recorded = app.post(&province, &path, visit.clone()).await;
    assert_eq!(recorded.status, StatusCode::CREATED, "{}", recorded.text());
    let view = app
        .get(&province, &format!("/api/v1/applications/{id}/experts"))
        .await
        .json();
    assert_eq!(view["site_visits"][0]["visited_on"], "2026-05-20");
    assert_eq!(view["site_visits"][0]["findings"], "平台机房与申报一致");
    assert_eq!(audit_count(&app, "site_visit_recorded").await, 1);
    // A file attached to the visit, typed by its content, downloaded by the authority only.
    let visit_id = recorded.json()["id"].as_i64().unwrap();
    let bytes = support::pdf("现场核查记录");
    let attached = app
        .post_file(
            &province,
            &format!("{path}/{visit_id}/files"),
            "核查记录.pdf",
            &bytes,
            &[],
        )
        .await;
    assert_eq!(attached.status, StatusCode::CREATED, "{}", attached.text());
    let file = attached.json()["id"].as_i64().unwrap();
    let refused = app
        .post_file(
            &province,
            &format!("{path}/{visit_id}/files"),
            "x.exe",
            b"MZ\x90\x00",
            &[],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let view = app
        .get(&province, &format!("/api/v1/applications/{id}/experts"))
        .await
        .json();
    assert_eq!(
        view["site_visits"][0]["files"][0]["filename"],
        "核查记录.pdf"
    );
    let download = format!("/api/v1/applications/{id}/site-visit-files/{file}");
    let got = app.get(&province, &download).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body, bytes);
    let county = app.sign_in("county_ks").await;
    assert_eq!(
        app.get(&county, &download).await.status,
        StatusCode::FORBIDDEN
    );
    // Reviewers below the authority and applicants may not record one.
    for user in ["county_ks", "applicant_a"] {
        let client = app.sign_in(user).await;
        assert_eq!(
            app.post(&client, &path, visit.clone()).await.status,
            StatusCode::FORBIDDEN,
            "{user}"
        );
    }
    // Before the expert review, there is nothing to visit for.
    app.set_state(id, "county_review").await;
    let early = app.post(&province, &path, visit).await;
    assert_eq!(early.json()["error"], "not_in_expert_review");
}

#[tokio::test]
async fn the_authoritys_page_shows_conflicts_before_assigning_and_decides_them() {
    let app = TestApp::new().await;
    let province = app.sign_in("province").await;
    let a = app.sign_in("applicant_a").await;
    let id = in_expert_review(&app, &a, "jiangsu-pool-2021").await;
    let conflicted = pool_expert(&app, &province, "c1", json!({ "employer_code": code_a() })).await;
    let page = app
        .get(&province, &format!("/applications/{id}/experts"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(
        html.contains("同一单位任职") && html.contains("待确认"),
        "{html}"
    );
    // Assigning the conflicted expert from the page is refused with the reason.
    let id_text = conflicted.to_string();
    let refused = post_form(
        &app,
        &province,
        &format!("/applications/{id}/experts"),
        &[("expert", &id_text)],
    )
    .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(refused.text().contains("请先确认或排除"));
    let dismissed = post_form(
        &app,
        &province,
        &format!("/applications/{id}/conflicts"),
        &[
            ("expert_id", &id_text),
            ("kind", "same_employer"),
            ("decision", "dismiss"),
            ("reason", "已离职"),
        ],
    )
    .await;
    assert_eq!(
        dismissed.status,
        StatusCode::SEE_OTHER,
        "{}",
        dismissed.text()
    );
    let assigned = post_form(
        &app,
        &province,
        &format!("/applications/{id}/experts"),
        &[("expert", &id_text)],
    )
    .await;
    assert_eq!(
        assigned.status,
        StatusCode::SEE_OTHER,
        "{}",
        assigned.text()
    );
    let html = app
        .get(&province, &format!("/applications/{id}/experts"))
        .await
        .text();
    assert!(html.contains("待声明"), "{html}");
    // Experts and reviewers below the authority do not get the page.
    for user in ["c1", "county_ks"] {
        let client = app.sign_in(user).await;
        assert_eq!(
            app.get(&client, &format!("/applications/{id}/experts"))
                .await
                .status,
            StatusCode::FORBIDDEN,
            "{user}"
        );
    }
}

/// The authority's pool and panel pages: the list, a refused and an accepted new expert, a
/// relation, an import naming its wrong row, the panel's settings and automatic assignment,
/// removing and reopening on the application's page; another authority gets the 404 page of
/// a missing expert, an applicant the refusal.
#[tokio::test]
async fn the_pool_and_panel_pages_work_through_the_services() {
    let app = TestApp::new().await;
    let province = app.sign_in("province").await;
    let a = app.sign_in("applicant_a").await;
    let id = in_expert_review(&app, &a, "jiangsu-pool-2021").await;
    let round = app.round_of("jiangsu-pool-2021").await;
    expert_account(&app, "e1").await;
    expert_account(&app, "e2").await;

    let page = app.get(&province, "/experts").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text().contains("没有符合条件的专家。"),
        "{}",
        page.text()
    );

    // A wrong credit code: the form comes back with the service's reason and what was typed.
    let refused = post_form(
        &app,
        &province,
        "/experts",
        &[
            ("name", "周工"),
            ("employer_code", "91320583MA1P7K2X01"),
            ("active", "1"),
        ],
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.text().contains("统一社会信用代码"),
        "{}",
        refused.text()
    );
    assert!(refused.text().contains("value=\"周工\""));
    let created = post_form(
        &app,
        &province,
        "/experts",
        &[
            ("name", "周工"),
            ("employer", "某大学"),
            ("specialties", "network、纺织"),
            ("username", "e1"),
            ("active", "1"),
        ],
    )
    .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER);
    let location = created.headers["location"].to_str().unwrap().to_owned();
    assert!(location.ends_with("?notice=created"), "{location}");
    let expert_path = location.trim_end_matches("?notice=created").to_owned();
    let expert: i64 = expert_path["/experts/".len()..].parse().unwrap();
    let relation = post_form(
        &app,
        &province,
        &format!("{expert_path}/relations"),
        &[
            ("kind", "shareholding"),
            ("credit_code", &code_b()),
            ("organization", "乙公司"),
        ],
    )
    .await;
    assert_eq!(relation.status, StatusCode::SEE_OTHER);
    let shown = app.get(&province, &expert_path).await.text();
    assert!(
        shown.contains("乙公司") && shown.contains("network、纺织"),
        "{shown}"
    );
    let list = app.get(&province, "/experts?q=%E5%91%A8").await.text();
    assert!(list.contains("周工") && list.contains("e1"), "{list}");

    // An import with one wrong row writes nothing and names the row.
    let csv = format!(
        "{}\n吴工,某公司,,network,,,,e2\n郑工,某公司,123,network,,,,\n",
        pingjia_server::services::experts::IMPORT_HEADER.join(",")
    );
    let imported = app
        .post_file(
            &province,
            "/experts/import",
            "experts.csv",
            csv.as_bytes(),
            &[("csrf", province.csrf.as_deref().unwrap())],
        )
        .await;
    assert_eq!(imported.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(imported.text().contains("第 3 行"), "{}", imported.text());
    assert!(!app.get(&province, "/experts").await.text().contains("吴工"));

    // The panel: a size out of range is refused beside the form; one expert per application.
    let refused = post_form(
        &app,
        &province,
        &format!("/rounds/{round}/panel"),
        &[("size", "0"), ("former_years", "3")],
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().contains("1 到 15"), "{}", refused.text());
    let saved = post_form(
        &app,
        &province,
        &format!("/rounds/{round}/panel"),
        &[("size", "1"), ("former_years", "2")],
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let assigned = post_form(
        &app,
        &province,
        &format!("/rounds/{round}/panel/assign"),
        &[],
    )
    .await;
    assert_eq!(assigned.status, StatusCode::OK);
    let text = assigned.text();
    assert!(
        text.contains("本次分配 1 人次") && text.contains("周工"),
        "{text}"
    );

    // The application's page removes the assignment; nothing is left to reopen.
    let removed = post_form(
        &app,
        &province,
        &format!("/applications/{id}/experts/{expert}/remove"),
        &[],
    )
    .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    let reopened = post_form(
        &app,
        &province,
        &format!("/applications/{id}/experts/{expert}/reopen"),
        &[("reason", "复核")],
    )
    .await;
    assert!(
        matches!(reopened.status.as_u16(), 404 | 409),
        "{}",
        reopened.status
    );
    let visit = post_form(
        &app,
        &province,
        &format!("/applications/{id}/site-visits"),
        &[
            ("visited_on", "2026-05-28"),
            ("members", "李某、王某"),
            ("findings", "平台运行正常"),
        ],
    )
    .await;
    assert_eq!(visit.status, StatusCode::SEE_OTHER);
    let page = app
        .get(&province, &format!("/applications/{id}/experts"))
        .await
        .text();
    assert!(
        page.contains("平台运行正常") && page.contains("已撤销"),
        "{page}"
    );

    // Another authority: the expert and the round do not exist for it; an applicant is refused.
    add_user(
        &app,
        NewUserRequest {
            username: "shaoxing".into(),
            display_name: "绍兴市经信局".into(),
            password: PASSWORD.into(),
            role: Role::AuthorityAdmin,
            credit_code: None,
            organization_name: None,
            region_code: Some("3306".into()),
        },
    )
    .await;
    let other = app.sign_in("shaoxing").await;
    let foreign = app.get(&other, &expert_path).await;
    let missing = app.get(&other, "/experts/987654").await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    assert_eq!(foreign.text(), missing.text());
    assert_eq!(
        app.get(&other, &format!("/rounds/{round}/panel"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&other, "/experts").await.status,
        StatusCode::OK,
        "its own, empty pool"
    );
    assert_eq!(app.get(&a, "/experts").await.status, StatusCode::FORBIDDEN);
}
