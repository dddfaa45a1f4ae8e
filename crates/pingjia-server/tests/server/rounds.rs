//! Rounds (批次): an authority drafts a round, sees what is missing, publishes it, and edits
//! only what cannot change a grade afterwards; other offices and other roles find nothing; the
//! public 申报通知 shows published rounds only. The test clock stands at 2026-05-29 (China).

use crate::support;

use axum::http::{Method, Request, StatusCode, header};
use pingjia_server::services::accounts::NewUserRequest;
use pingjia_server::services::actor::Role;
use serde_json::{Value, json};
use support::{Client, TestApp, add_user};

/// A complete Jiangsu round's dates and contact (window 2026-06-01 – 2026-06-30).
fn jiangsu_complete() -> Value {
    json!({
        "reference_year": "2025",
        "cutoff": "2026-06-30",
        "opens_on": "2026-06-01",
        "closes_on": "2026-06-30",
        "county_deadline": "2026-07-15",
        "city_deadline": "2026-07-31",
        "contact_office": "江苏省工业和信息化厅信息化推进处",
        "contact_phone": "025-83333333",
    })
}

async fn create(app: &TestApp, client: &Client, body: Value) -> Value {
    let response = app.post(client, "/api/v1/rounds", body).await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
    response.json()
}

async fn patch(app: &TestApp, client: &Client, id: i64, body: Value) -> support::Response {
    app.request(
        client,
        Method::PATCH,
        &format!("/api/v1/rounds/{id}"),
        Some(body),
    )
    .await
}

async fn publish(app: &TestApp, client: &Client, id: i64) -> support::Response {
    app.post(client, &format!("/api/v1/rounds/{id}/publish"), json!({}))
        .await
}

/// Shaoxing's authority (绍兴市经信局), which the seeded users lack.
async fn shaoxing_admin(app: &TestApp) -> Client {
    add_user(
        app,
        NewUserRequest {
            username: "sx_admin".into(),
            display_name: "绍兴市经信局".into(),
            password: support::PASSWORD.into(),
            role: Role::AuthorityAdmin,
            credit_code: None,
            organization_name: None,
            region_code: Some("3306".into()),
        },
    )
    .await;
    // Created with a one-time password: set the test password as the user's own.
    sqlx::query("UPDATE users SET must_change_password = 0 WHERE username = 'sx_admin'")
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    app.sign_in("sx_admin").await
}

/// A form post of a page, with the session's CSRF token.
async fn post_form(
    app: &TestApp,
    client: &Client,
    path: &str,
    fields: &[(&str, &str)],
) -> support::Response {
    let mut body = format!("csrf={}", client.csrf.clone().unwrap());
    for (key, value) in fields {
        body.push_str(&format!(
            "&{}={}",
            pingjia_server::http::pages::percent_encode(key),
            pingjia_server::http::pages::percent_encode(value)
        ));
    }
    let request = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(
            header::COOKIE,
            format!("pingjia_session={}", client.cookie.clone().unwrap()),
        )
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(body))
        .unwrap();
    app.send(request).await
}

fn location(response: &support::Response) -> String {
    response
        .headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn an_miit_round_cannot_be_published_until_every_parameter_is_set() {
    let app = TestApp::new().await;
    let province = app.sign_in("province").await;
    let round = create(&app, &province, json!({ "scheme": "miit-platform-2018" })).await;
    let id = round["id"].as_i64().unwrap();
    assert_eq!(round["status"], "draft");
    // Named after the year's batch unless named otherwise.
    assert_eq!(round["name"], "2026年度");
    let missing: Vec<&str> = round["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    let parameters = missing
        .iter()
        .find(|m| m.starts_with("未设置参数："))
        .expect("the unset parameters");
    assert!(
        parameters.starts_with(
            "未设置参数：积累存储的工业数据规模（一定规模）、特定行业工业设备连接数量（离散行业）、"
        ),
        "{parameters}"
    );
    let scheme = app
        .state
        .catalog
        .schemes
        .iter()
        .find(|s| s.id == "miit-platform-2018")
        .unwrap();
    assert_eq!(scheme.parameters.len(), 25);
    for parameter in &scheme.parameters {
        assert!(parameters.contains(&parameter.label), "{}", parameter.label);
    }
    for expected in [
        "未填写时间计算截止日期",
        "未填写开始申报日期",
        "未填写截止申报日期",
        "未填写省级主管部门初审推荐截止日期",
        "未填写联系处室",
    ] {
        assert!(
            missing.iter().any(|m| m.starts_with(expected)),
            "{expected} in {missing:?}"
        );
    }
    // MIIT uses no reference year and has no city level.
    assert!(
        !missing
            .iter()
            .any(|m| m.contains("参照年度") || m.contains("设区市"))
    );

    let refused = publish(&app, &province, id).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.json()["error"], "round_incomplete");
    let message = refused.json()["message"].as_str().unwrap().to_owned();
    assert!(
        message.starts_with("批次信息不完整，不能发布：未填写时间计算截止日期；"),
        "{message}"
    );
    assert!(message.contains("未设置参数：积累存储的工业数据规模（一定规模）"));

    // Dates, contact and every parameter but one: still refused, naming that one only.
    let mut params = serde_json::Map::new();
    for parameter in &scheme.parameters {
        if parameter.id != "cross.min_regions" {
            params.insert(parameter.id.clone(), json!("100"));
        }
    }
    let saved = patch(
        &app,
        &province,
        id,
        json!({
            "cutoff": "2026-06-30", "opens_on": "2026-06-01", "closes_on": "2026-06-30",
            "county_deadline": "2026-07-20", "contact_office": "江苏省工业和信息化厅",
            "params": params,
        }),
    )
    .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text());
    assert_eq!(
        saved.json()["missing"],
        json!(["未设置参数：覆盖特定区域数量 / parameters not set: Regions covered"])
    );
    let refused = publish(&app, &province, id).await;
    assert_eq!(
        refused.json()["message"],
        "批次信息不完整，不能发布：未设置参数：覆盖特定区域数量 / the round is incomplete: parameters not set: Regions covered"
    );
    // A value that does not parse under the parameter's unit is refused by name.
    let wrong = patch(
        &app,
        &province,
        id,
        json!({ "params": { "cross.min_regions": "四个" } }),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        wrong.json()["message"]
            .as_str()
            .unwrap()
            .starts_with("参数“覆盖特定区域数量”：给出 “四个”"),
        "{}",
        wrong.text()
    );

    let saved = patch(
        &app,
        &province,
        id,
        json!({ "params": { "cross.min_regions": "4" } }),
    )
    .await;
    assert_eq!(saved.json()["missing"], json!(null));
    let published = publish(&app, &province, id).await;
    assert_eq!(published.status, StatusCode::OK, "{}", published.text());
    // Before its window opens (2026-06-01), a published round is 已发布.
    assert_eq!(published.json()["status"], "published");
    assert_eq!(published.json()["days_to_open"], 3);
    let again = publish(&app, &province, id).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.json()["error"], "already_published");
}

#[tokio::test]
async fn dates_must_follow_each_other_and_the_chain_names_the_deadlines() {
    let app = TestApp::new().await;
    let province = app.sign_in("province").await;
    let round = create(&app, &province, json!({ "scheme": "jiangsu-pool-2021" })).await;
    // 003 三、2: half-yearly batches.
    assert_eq!(round["name"], "2026年上半年");
    let id = round["id"].as_i64().unwrap();
    let mut body = jiangsu_complete();
    body["opens_on"] = json!("2026-07-01");
    body["county_deadline"] = json!("2026-06-30");
    body["city_deadline"] = json!("2026-06-20");
    let saved = patch(&app, &province, id, body).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text());
    let missing: Vec<String> = saved.json()["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().split(" / ").next().unwrap().to_owned())
        .collect();
    assert_eq!(
        missing,
        [
            "开始申报日期晚于截止申报日期",
            "区县初审截止日期应晚于截止申报日期",
            "设区市审核推荐截止日期应晚于截止申报日期",
            "初审截止日期不应晚于设区市审核推荐截止日期",
        ]
    );
    // Not a date, not a year: refused field by field, nothing saved.
    let wrong = patch(
        &app,
        &province,
        id,
        json!({ "cutoff": "30/06/2026", "reference_year": "去年", "name": "改名" }),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let message = wrong.json()["message"].as_str().unwrap().to_owned();
    assert!(
        message.starts_with(
            "参照年度应为 2000 到 2100 之间的年份，给出“去年”；时间计算截止日期应为日期"
        ),
        "{message}"
    );
    let unchanged = app.get(&province, &format!("/api/v1/rounds/{id}")).await;
    assert_eq!(unchanged.json()["name"], "2026年上半年");
    // A chain override is checked (a city cannot follow the province).
    let chain = patch(
        &app,
        &province,
        id,
        json!({ "chain": "{\"levels\": [\"province\", \"city\"], \"authority\": \"nation\"}" }),
    )
    .await;
    assert_eq!(chain.status, StatusCode::UNPROCESSABLE_ENTITY);
    let chain = patch(
        &app,
        &province,
        id,
        json!({ "chain": "{\"levels\": [\"county\"], \"authority\": \"province\"}" }),
    )
    .await;
    assert_eq!(chain.status, StatusCode::OK, "{}", chain.text());
    // Without a city level, the city deadline is no longer asked for.
    let missing = chain.json()["missing"].to_string();
    assert!(
        !missing.contains("设区市审核推荐截止日期应晚于"),
        "{missing}"
    );
}

#[tokio::test]
async fn a_published_round_moves_its_deadlines_but_not_what_grades() {
    let app = TestApp::new().await;
    let province = app.sign_in("province").await;
    let mut body = jiangsu_complete();
    body["scheme"] = json!("jiangsu-pool-2021");
    body["name"] = json!("2026年下半年");
    let id = create(&app, &province, body).await["id"].as_i64().unwrap();
    assert_eq!(publish(&app, &province, id).await.status, StatusCode::OK);

    let moved = patch(
        &app,
        &province,
        id,
        json!({ "county_deadline": "2026-07-20", "closes_on": "2026-07-05", "notice": "请按时申报。" }),
    )
    .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text());
    assert_eq!(moved.json()["county_deadline"], "2026-07-20");
    assert_eq!(moved.json()["closes_on"], "2026-07-05");
    let (details,): (String,) = sqlx::query_as(
        "SELECT details FROM audit_log WHERE action = 'round_updated' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(
        details,
        "closes_on: 2026-06-30 → 2026-07-05; county_deadline: 2026-07-15 → 2026-07-20; notice:  → 请按时申报。"
    );

    for (body, field) in [
        (json!({ "cutoff": "2026-05-31" }), "时间计算截止日期"),
        (json!({ "reference_year": "2024" }), "参照年度"),
        (json!({ "opens_on": "2026-05-20" }), "开始申报日期"),
        (json!({ "materials": ["近三年审计报告"] }), "其他申报材料"),
        (
            json!({ "chain": "{\"levels\": [\"county\"], \"authority\": \"province\"}" }),
            "审核链",
        ),
    ] {
        let refused = patch(&app, &province, id, body.clone()).await;
        assert_eq!(refused.status, StatusCode::CONFLICT, "{body}");
        assert_eq!(refused.json()["error"], "round_locked");
        assert_eq!(
            refused.json()["message"]
                .as_str()
                .unwrap()
                .split(" / ")
                .next()
                .unwrap(),
            format!("批次已发布，{field}不能再修改")
        );
    }
    // The closing date only moves later.
    let earlier = patch(&app, &province, id, json!({ "closes_on": "2026-06-25" })).await;
    assert_eq!(earlier.status, StatusCode::CONFLICT);
    assert!(
        earlier.json()["message"]
            .as_str()
            .unwrap()
            .starts_with("批次已发布，截止申报日期只能推后（现为 2026-07-05）")
    );
    // Deadlines still follow the window.
    let early = patch(
        &app,
        &province,
        id,
        json!({ "county_deadline": "2026-07-01" }),
    )
    .await;
    assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(early.json()["error"], "round_incomplete");
}

#[tokio::test]
async fn a_parameter_of_a_published_miit_round_is_locked() {
    let app = TestApp::new().await;
    let province = app.sign_in("province").await;
    // The seeded MIIT round is published with the scheme's example values.
    let id = app.round_of("miit-platform-2018").await;
    let refused = patch(
        &app,
        &province,
        id,
        json!({ "params": { "industry.min_devices": "5000" } }),
    )
    .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text());
    assert_eq!(refused.json()["error"], "round_locked");
    assert!(
        refused.json()["message"]
            .as_str()
            .unwrap()
            .starts_with("批次已发布，批次参数不能再修改")
    );
}

#[tokio::test]
async fn other_offices_and_other_roles_find_no_round() {
    let app = TestApp::new().await;
    let province = app.sign_in("province").await;
    let shaoxing = shaoxing_admin(&app).await;
    let draft = create(&app, &province, json!({ "scheme": "jiangsu-pool-2021" })).await["id"]
        .as_i64()
        .unwrap();
    let missing = app.get(&province, "/api/v1/rounds/999999").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    // Shaoxing's authority: Jiangsu's draft is exactly a missing round.
    for response in [
        app.get(&shaoxing, &format!("/api/v1/rounds/{draft}")).await,
        patch(&app, &shaoxing, draft, json!({ "name": "x" })).await,
        publish(&app, &shaoxing, draft).await,
    ] {
        assert_eq!(response.status, StatusCode::NOT_FOUND);
        assert_eq!(response.body, missing.body);
    }
    let list = app.get(&shaoxing, "/api/v1/rounds").await.json();
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|r| r["scheme_id"] == "shaoxing-platform")
    );
    // A city office runs Shaoxing rounds, not Jiangsu's (a provincial scheme) or MIIT's.
    let refused = app
        .post(
            &shaoxing,
            "/api/v1/rounds",
            json!({ "scheme": "jiangsu-pool-2021" }),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let own = create(&app, &shaoxing, json!({ "scheme": "shaoxing-platform" })).await;
    assert_eq!(own["name"], "2026年度");
    assert_eq!(own["divergence_ratio"], "0.3");
    let refused = app
        .post(
            &province,
            "/api/v1/rounds",
            json!({ "scheme": "shaoxing-platform" }),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // Reviewers and applicants: no round pages and no round API.
    for user in ["applicant_a", "county_ks", "city_sz", "expert", "sysadmin"] {
        let client = app.sign_in(user).await;
        for path in [
            "/rounds".to_owned(),
            "/rounds/new".to_owned(),
            format!("/rounds/{draft}"),
            format!("/rounds/{draft}/edit"),
            "/api/v1/rounds".to_owned(),
            format!("/api/v1/rounds/{draft}"),
        ] {
            let got = app.get(&client, &path).await.status;
            assert_eq!(got, StatusCode::NOT_FOUND, "{user} {path}");
        }
        let created = app
            .post(
                &client,
                "/api/v1/rounds",
                json!({ "scheme": "jiangsu-pool-2021" }),
            )
            .await;
        assert_eq!(created.status, StatusCode::NOT_FOUND, "{user}");
        assert_eq!(
            post_form(&app, &client, &format!("/rounds/{draft}/publish"), &[])
                .await
                .status,
            StatusCode::NOT_FOUND,
            "{user}"
        );
    }
}

#[tokio::test]
async fn the_public_notice_shows_published_rounds_only() {
    let app = TestApp::new().await;
    let province = app.sign_in("province").await;
    let anonymous = Client::anonymous();
    let mut body = jiangsu_complete();
    body["scheme"] = json!("jiangsu-pool-2021");
    body["opens_on"] = json!("2026-05-20");
    body["materials"] = json!(["近两年审计报告"]);
    let id = create(&app, &province, body).await["id"].as_i64().unwrap();

    for path in [
        format!("/notices/rounds/{id}"),
        format!("/api/v1/public/rounds/{id}"),
    ] {
        assert_eq!(
            app.get(&anonymous, &path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let list = app.get(&anonymous, "/notices").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(!list.text().contains(&format!("/notices/rounds/{id}\"")));

    assert_eq!(publish(&app, &province, id).await.status, StatusCode::OK);
    let page = app.get(&anonymous, &format!("/notices/rounds/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let text = page.text();
    for expected in [
        "江苏省工业互联网服务资源池分类分级评估 · 2026年上半年",
        "申报中",
        "申报时间：2026-05-20 至 2026-06-30",
        // 2026-05-29 to 2026-06-30.
        "距截止申报还有 32 天",
        "区县初审截止日期",
        "2026-07-15",
        "设区市审核推荐截止日期",
        "近两年审计报告",
        "江苏省工业和信息化厅信息化推进处",
        "025-83333333",
        "href=\"/register\"",
        // The chain as 003 二（一） has it: three offices recommend without their city.
        "县（市、区）主管部门 → 设区市主管部门 → 省级主管部门；直接推荐的地区：昆山市、泰兴市、沭阳县",
        "综合（特色）工业互联网平台服务商",
    ] {
        assert!(text.contains(expected), "{expected} in:\n{text}");
    }
    // Signed in, the notice offers the next step instead of signing in or registering.
    let applicant = app.sign_in("applicant_a").await;
    let signed_in = app
        .get(&applicant, &format!("/notices/rounds/{id}"))
        .await
        .text();
    assert!(!signed_in.contains("href=\"/register\""));
    assert!(!signed_in.contains("登录申报"));
    assert!(signed_in.contains("href=\"/applications/new\""));
    let reviewer = app.sign_in("county_jn").await;
    let other = app
        .get(&reviewer, &format!("/notices/rounds/{id}"))
        .await
        .text();
    assert!(!other.contains("登录申报") && !other.contains("href=\"/applications/new\""));
    let list = app.get(&anonymous, "/notices").await.text();
    assert!(list.contains(&format!("/notices/rounds/{id}\"")));
    let json = app
        .get(&anonymous, &format!("/api/v1/public/rounds/{id}"))
        .await
        .json();
    assert_eq!(json["status"], "open");
    assert_eq!(json["days_left"], 32);
    assert!(json.get("missing").is_none());
    let all = app.get(&anonymous, "/api/v1/public/rounds").await.json();
    // Newest first: the round just published before the seeded ones.
    assert_eq!(all[0]["id"].as_i64(), Some(id));
}

#[tokio::test]
async fn the_pages_draft_check_and_publish_a_round() {
    let app = TestApp::new().await;
    let province = app.sign_in("province").await;
    let choose = app.get(&province, "/rounds/new").await;
    assert_eq!(choose.status, StatusCode::OK);
    let text = choose.text();
    assert!(text.contains("value=\"jiangsu-pool-2021\""));
    assert!(text.contains("value=\"miit-platform-2018\""));
    assert!(!text.contains("value=\"shaoxing-platform\""));
    let form = app
        .get(&province, "/rounds/new?scheme=miit-platform-2018")
        .await;
    assert_eq!(form.status, StatusCode::OK);
    let form = form.text();
    assert!(form.contains("name=\"param:industry.min_devices\""));
    assert!(form.contains("一（二）1"), "a parameter's clause");
    let created = post_form(
        &app,
        &province,
        "/rounds/new",
        &[
            ("scheme", "miit-platform-2018"),
            ("name", "2026年工业互联网平台遴选"),
            ("cutoff", "2026-06-30"),
            ("param:industry.min_devices", "10000"),
            ("chain", "scheme"),
        ],
    )
    .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.text());
    let target = location(&created);
    assert!(target.ends_with("?notice=round_created"), "{target}");
    let id: i64 = target["/rounds/".len()..target.find('?').unwrap()]
        .parse()
        .unwrap();
    let page = app.get(&province, &target).await.text();
    assert!(page.contains("批次草稿已创建"));
    assert!(page.contains(
        "未设置参数：积累存储的工业数据规模（一定规模）、特定行业工艺流程数据采集点数量（流程行业）"
    ));
    assert!(
        !page.contains("未设置参数：积累存储的工业数据规模（一定规模）、特定行业工业设备连接数量")
    );
    assert!(page.contains("未填写开始申报日期"));

    // Publishing an incomplete round: back to the round, which says why once.
    let refused = post_form(&app, &province, &format!("/rounds/{id}/publish"), &[]).await;
    assert_eq!(refused.status, StatusCode::SEE_OTHER);
    assert_eq!(location(&refused), format!("/rounds/{id}"));
    let flash = refused
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("round_flash="))
        .map(|v| v.split(';').next().unwrap().to_owned())
        .expect("the refusal carried to the page");
    let request = Request::builder()
        .uri(format!("/rounds/{id}"))
        .header(
            header::COOKIE,
            format!(
                "pingjia_session={}; round_flash={flash}",
                province.cookie.clone().unwrap()
            ),
        )
        .body(axum::body::Body::empty())
        .unwrap();
    let shown = app.send(request).await.text();
    assert!(
        shown.contains("批次信息不完整，不能发布：未填写开始申报日期"),
        "{shown}"
    );

    // A refused edit keeps what was typed and says why.
    let wrong = post_form(
        &app,
        &province,
        &format!("/rounds/{id}/edit"),
        &[("name", "改过的名称"), ("opens_on", "六月一日")],
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let text = wrong.text();
    assert!(text.contains("开始申报日期应为日期"), "{text}");
    assert!(text.contains("value=\"改过的名称\""));
    let saved = post_form(
        &app,
        &province,
        &format!("/rounds/{id}/edit"),
        &[("opens_on", "2026-06-01"), ("chain", "scheme")],
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    assert_eq!(location(&saved), format!("/rounds/{id}?notice=round_saved"));
    let list = app.get(&province, "/rounds").await.text();
    assert!(list.contains("2026年工业互联网平台遴选"));
    assert!(list.contains("草稿"));
}

#[tokio::test]
async fn reviewer_names_can_be_shown_after_publication_and_the_change_is_audited() {
    let app = TestApp::new().await;
    let province = app.sign_in("province").await;
    let mut body = jiangsu_complete();
    body["scheme"] = json!("jiangsu-pool-2021");
    body["name"] = json!("2026年下半年");
    let created = create(&app, &province, body).await;
    assert_eq!(created["show_reviewer_names"], false);
    let id = created["id"].as_i64().unwrap();
    assert_eq!(publish(&app, &province, id).await.status, StatusCode::OK);
    let page = app.get(&province, &format!("/rounds/{id}")).await.text();
    assert!(page.contains("仅显示审核部门"));

    let shown = patch(&app, &province, id, json!({ "show_reviewer_names": true })).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.text());
    assert_eq!(shown.json()["show_reviewer_names"], true);
    let (details,): (String,) = sqlx::query_as(
        "SELECT details FROM audit_log WHERE action = 'round_updated' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(details, "show_reviewer_names: false → true");
    let page = app.get(&province, &format!("/rounds/{id}")).await.text();
    assert!(page.contains("显示审核部门及审核人员姓名"));

    // The form offers the choice on a published round, and an unticked box turns it off.
    let form = app
        .get(&province, &format!("/rounds/{id}/edit"))
        .await
        .text();
    assert!(form.contains("在申报单位可见的审核记录中显示审核人员姓名"));
    assert!(form.contains("name=\"show_reviewer_names\" value=\"1\" checked"));
    let saved = post_form(
        &app,
        &province,
        &format!("/rounds/{id}/edit"),
        &[("reviewer_names_shown", "1")],
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text());
    let view = app.get(&province, &format!("/api/v1/rounds/{id}")).await;
    assert_eq!(view.json()["show_reviewer_names"], false, "{}", view.text());
}
