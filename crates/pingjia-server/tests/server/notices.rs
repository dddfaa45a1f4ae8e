//! 公示, objections and publication (002 第八条（二）「公示7天」, （三）「公示有异议的，按照相关程序对
//! 有关问题进行核实处理；公示无异议的……发文公布」; 003 三、2 「每次定级有效期3年」), on the injected
//! clock: the seeded clock reads 2026-05-29 (China time), so a notice opened then runs 7 natural
//! days, 2026-05-29 to 2026-06-04, and ends on 2026-06-05.

use crate::support;

use axum::http::StatusCode;
use pingjia_server::services::accounts::NewUserRequest;
use pingjia_server::services::actor::Role;
use serde_json::{Value, json};
use support::{Client, TestApp, add_user, pdf};

const DAY: i64 = 86_400;

/// Two Jiangsu applications in expert review with the review complete, decided 四星 (their
/// computed default, 72 employees) and, for `b`, `b_result`; the notice opened. Returns
/// (a, b, notice id).
async fn opened(app: &TestApp, b_result: &str) -> (i64, i64, i64) {
    let round = app.round_of("jiangsu-pool-2021").await;
    let a = app.in_expert_review("applicant_a").await;
    let b = app.in_expert_review("applicant_b").await;
    app.complete_expert_review(a).await;
    app.complete_expert_review(b).await;
    let province = app.sign_in("province").await;
    let first = app
        .post(
            &province,
            &format!("/api/v1/applications/{a}/decision"),
            json!({}),
        )
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text());
    let second = app
        .post(
            &province,
            &format!("/api/v1/applications/{b}/decision"),
            json!({ "result": b_result, "reason": "专家组意见" }),
        )
        .await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.text());
    let opened = app
        .post(
            &province,
            &format!("/api/v1/rounds/{round}/notices"),
            json!({}),
        )
        .await;
    assert_eq!(opened.status, StatusCode::OK, "{}", opened.text());
    let opened = opened.json();
    (a, b, opened["notice_id"].as_i64().unwrap())
}

async fn state_of(app: &TestApp, id: i64) -> String {
    let province = app.sign_in("province").await;
    app.get(&province, &format!("/api/v1/applications/{id}"))
        .await
        .json()["application"]["state"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn entry_of(notice: &Value, organization: &str) -> i64 {
    notice["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["organization"] == organization)
        .unwrap_or_else(|| panic!("{organization} not on {notice}"))["entry_id"]
        .as_i64()
        .unwrap()
}

async fn object(app: &TestApp, notice: i64, body: Value) -> support::Response {
    app.post(
        &Client::anonymous(),
        &format!("/api/v1/public/notices/{notice}/objections"),
        body,
    )
    .await
}

#[tokio::test]
async fn decide_notice_object_resolve_and_publish() {
    let app = TestApp::new().await;
    let (a, b, notice) = opened(&app, "not_graded").await;
    // The positive decision is on notice, the negative one concluded.
    assert_eq!(state_of(&app, a).await, "public_notice");
    assert_eq!(state_of(&app, b).await, "not_graded");

    // The public notice, signed out: organisation, type, proposed grade, period, office.
    let public = app
        .get(
            &Client::anonymous(),
            &format!("/api/v1/public/notices/{notice}"),
        )
        .await;
    assert_eq!(public.status, StatusCode::OK, "{}", public.text());
    let public = public.json();
    assert_eq!(public["opens_on"], "2026-05-29");
    assert_eq!(public["closes_on"], "2026-06-04");
    assert_eq!(public["open"], true);
    assert_eq!(public["office"], "测试办公室");
    assert_eq!(public["entries"].as_array().unwrap().len(), 1);
    assert_eq!(public["entries"][0]["organization"], "甲公司");
    assert_eq!(
        public["entries"][0]["provider_type"],
        "工业互联网网络建设服务商"
    );
    assert_eq!(public["entries"][0]["proposed"], "拟定四星");
    let list = app
        .get(&Client::anonymous(), "/api/v1/public/notices")
        .await
        .json();
    assert_eq!(list["total"], 1);
    let entry = entry_of(&public, "甲公司");

    // Anonymous objections are refused.
    let anonymous = object(
        &app,
        notice,
        json!({ "entry_id": entry, "name": " ", "contact": "", "text": "员工人数不实" }),
    )
    .await;
    assert_eq!(anonymous.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(anonymous.json()["error"], "anonymous_objection");

    // A named objection is taken; the receipt names the entry, not the objector.
    let filed = object(
        &app,
        notice,
        json!({ "entry_id": entry, "name": "王五", "contact": "13800000000", "text": "员工人数不实" }),
    )
    .await;
    assert_eq!(filed.status, StatusCode::CREATED, "{}", filed.text());
    assert_eq!(filed.json()["organization"], "甲公司");
    assert!(!filed.text().contains("王五"));
    let objection = filed.json()["objection_id"].as_i64().unwrap();

    // The objector's identity never appears in public JSON, nor in the audit log.
    for path in [
        format!("/api/v1/public/notices/{notice}"),
        "/api/v1/public/notices".to_owned(),
        "/api/v1/public/published".to_owned(),
    ] {
        let text = app.get(&Client::anonymous(), &path).await.text();
        assert!(
            !text.contains("王五") && !text.contains("13800000000"),
            "{path}: {text}"
        );
    }
    let admin = app.sign_in("sysadmin").await;
    let audit = app.get(&admin, "/api/v1/audit?per_page=200").await.text();
    assert!(audit.contains("objection_filed"));
    assert!(!audit.contains("王五") && !audit.contains("13800000000"));
    // The authority sees it.
    let province = app.sign_in("province").await;
    let managed = app
        .get(&province, &format!("/api/v1/notices/{notice}"))
        .await
        .json();
    assert_eq!(managed["objections"][0]["name"], "王五");
    assert_eq!(managed["objections"][0]["contact"], "13800000000");
    assert_eq!(managed["entries"][0]["open_objections"], 1);
    // The office is told in its inbox, without the objector's name.
    let inbox = app.get(&province, "/api/v1/me/notifications").await.text();
    assert!(inbox.contains("公示异议：甲公司"), "{inbox}");
    assert!(!inbox.contains("王五"));

    // Publication before the period ends is refused.
    let publication =
        json!({ "document_number": "苏工信〔2026〕88号", "document_date": "2026-06-05" });
    let early = app
        .post(
            &province,
            &format!("/api/v1/notices/{notice}/publication"),
            publication.clone(),
        )
        .await;
    assert_eq!(
        early.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        early.text()
    );
    let early = app
        .post(
            &province,
            &format!("/api/v1/notices/{notice}/publication"),
            json!({ "document_number": "苏工信〔2026〕88号", "document_date": "2026-05-29" }),
        )
        .await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{}", early.text());
    assert_eq!(early.json()["error"], "notice_not_ended");

    // The last day of the period still takes objections; the day after does not, and says when
    // the period ended.
    app.advance(6 * DAY);
    let last_day = object(
        &app,
        notice,
        json!({ "entry_id": entry, "name": "赵六", "contact": "zhao@example.com", "text": "补充材料" }),
    )
    .await;
    assert_eq!(last_day.status, StatusCode::CREATED, "{}", last_day.text());
    app.advance(DAY);
    let late = object(
        &app,
        notice,
        json!({ "entry_id": entry, "name": "赵六", "contact": "zhao@example.com", "text": "再次异议" }),
    )
    .await;
    assert_eq!(late.status, StatusCode::CONFLICT);
    assert_eq!(late.json()["error"], "notice_closed");
    assert!(
        late.json()["message"]
            .as_str()
            .unwrap()
            .contains("2026-06-04")
    );

    // With objections open, the only entry cannot be published (signed in anew: a week has
    // passed).
    let province = app.sign_in("province").await;
    let held = app
        .post(
            &province,
            &format!("/api/v1/notices/{notice}/publication"),
            publication.clone(),
        )
        .await;
    assert_eq!(held.status, StatusCode::CONFLICT, "{}", held.text());
    assert_eq!(held.json()["error"], "unresolved_objections");

    // Dismissing needs reasons; both objections are dismissed.
    let bare = app
        .post(
            &province,
            &format!("/api/v1/objections/{objection}/resolution"),
            json!({ "outcome": "dismiss" }),
        )
        .await;
    assert_eq!(bare.status, StatusCode::UNPROCESSABLE_ENTITY);
    let managed = app
        .get(&province, &format!("/api/v1/notices/{notice}"))
        .await
        .json();
    for o in managed["objections"].as_array().unwrap() {
        let resolved = app
            .post(
                &province,
                &format!("/api/v1/objections/{}/resolution", o["id"]),
                json!({ "outcome": "dismiss", "reason": "经核实，社保缴纳记录显示员工72人，异议不成立" }),
            )
            .await;
        assert_eq!(resolved.status, StatusCode::OK, "{}", resolved.text());
        assert_eq!(resolved.json()["application_state"], "public_notice");
    }
    let twice = app
        .post(
            &province,
            &format!("/api/v1/objections/{objection}/resolution"),
            json!({ "outcome": "dismiss", "reason": "再次" }),
        )
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    assert_eq!(twice.json()["error"], "already_resolved");

    // Published: the grade takes effect from the document's date, valid 3 years.
    let published = app
        .post(
            &province,
            &format!("/api/v1/notices/{notice}/publication"),
            publication,
        )
        .await;
    assert_eq!(published.status, StatusCode::OK, "{}", published.text());
    assert_eq!(published.json()["published"], json!([a]));
    assert_eq!(state_of(&app, a).await, "published");
    let list = app
        .get(&Client::anonymous(), "/api/v1/public/published")
        .await
        .json();
    assert_eq!(list["total"], 1);
    let grade = &list["items"][0];
    assert_eq!(grade["organization"], "甲公司");
    assert_eq!(grade["result"], "四星");
    assert_eq!(grade["stars"], 4);
    assert_eq!(grade["valid_from"], "2026-06-05");
    assert_eq!(grade["valid_until"], "2029-06-04");
    assert_eq!(grade["document_number"], "苏工信〔2026〕88号");
    let csv = app
        .get(&Client::anonymous(), "/api/v1/public/published.csv")
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.text().contains("甲公司"));
    assert!(csv.text().contains("苏工信〔2026〕88号"));
    // The applicant is told.
    let applicant = app.sign_in("applicant_a").await;
    let inbox = app.get(&applicant, "/api/v1/me/notifications").await.text();
    assert!(inbox.contains(&format!("申报 #{a} 已发文公布")), "{inbox}");
}

#[tokio::test]
async fn an_entry_with_an_open_objection_is_held_and_the_others_are_published() {
    let app = TestApp::new().await;
    let (a, b, notice) = opened(&app, "star4").await;
    let public = app
        .get(
            &Client::anonymous(),
            &format!("/api/v1/public/notices/{notice}"),
        )
        .await
        .json();
    let entry_b = entry_of(&public, "乙公司");
    let filed = object(
        &app,
        notice,
        json!({ "entry_id": entry_b, "name": "王五", "contact": "13800000000", "text": "业绩不实" }),
    )
    .await;
    assert_eq!(filed.status, StatusCode::CREATED, "{}", filed.text());
    app.advance(7 * DAY);
    let province = app.sign_in("province").await;
    let published = app
        .post(
            &province,
            &format!("/api/v1/notices/{notice}/publication"),
            json!({ "document_number": "苏工信〔2026〕90号", "document_date": "2026-06-05" }),
        )
        .await;
    assert_eq!(published.status, StatusCode::OK, "{}", published.text());
    assert_eq!(published.json()["published"], json!([a]));
    assert_eq!(published.json()["held"][0]["application_id"], b);
    assert_eq!(
        published.json()["held"][0]["error"],
        "unresolved_objections"
    );
    assert_eq!(state_of(&app, a).await, "published");
    assert_eq!(state_of(&app, b).await, "public_notice");

    // Upheld and revised: b goes back to expert review and is decided again.
    let objection = filed.json()["objection_id"].as_i64().unwrap();
    let revised = app
        .post(
            &province,
            &format!("/api/v1/objections/{objection}/resolution"),
            json!({ "outcome": "revise", "reason": "业绩合同无法核实，重新评审" }),
        )
        .await;
    assert_eq!(revised.status, StatusCode::OK, "{}", revised.text());
    assert_eq!(revised.json()["application_state"], "expert_review");
    let public = app
        .get(
            &Client::anonymous(),
            &format!("/api/v1/public/notices/{notice}"),
        )
        .await
        .json();
    let statuses: Vec<&str> = public["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["published", "reopened"]);
    let decided = app
        .post(
            &province,
            &format!("/api/v1/applications/{b}/decision"),
            json!({ "result": "star3", "reason": "核减业绩后为三星" }),
        )
        .await;
    assert_eq!(decided.status, StatusCode::OK, "{}", decided.text());
}

#[tokio::test]
async fn an_upheld_objection_can_withdraw_the_proposed_result() {
    let app = TestApp::new().await;
    let (_, b, notice) = opened(&app, "star4").await;
    let public = app
        .get(
            &Client::anonymous(),
            &format!("/api/v1/public/notices/{notice}"),
        )
        .await
        .json();
    let entry_b = entry_of(&public, "乙公司");
    let filed = object(
        &app,
        notice,
        json!({ "entry_id": entry_b, "name": "王五", "contact": "13800000000", "text": "提供虚假材料" }),
    )
    .await;
    let objection = filed.json()["objection_id"].as_i64().unwrap();
    let province = app.sign_in("province").await;
    let withdrawn = app
        .post(
            &province,
            &format!("/api/v1/objections/{objection}/resolution"),
            json!({ "outcome": "withdraw", "reason": "经核实提供虚假材料" }),
        )
        .await;
    assert_eq!(withdrawn.status, StatusCode::OK, "{}", withdrawn.text());
    assert_eq!(withdrawn.json()["application_state"], "rejected");
    assert_eq!(state_of(&app, b).await, "rejected");
    // Its entry is off the notice: no more objections to it.
    let again = object(
        &app,
        notice,
        json!({ "entry_id": entry_b, "name": "王五", "contact": "13800000000", "text": "再议" }),
    )
    .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.json()["error"], "not_on_notice");
}

#[tokio::test]
async fn objections_are_throttled_per_address() {
    let app = TestApp::new().await;
    let (_, _, notice) = opened(&app, "star4").await;
    let public = app
        .get(
            &Client::anonymous(),
            &format!("/api/v1/public/notices/{notice}"),
        )
        .await
        .json();
    let entry = entry_of(&public, "甲公司");
    let body =
        json!({ "entry_id": entry, "name": "王五", "contact": "13800000000", "text": "异议" });
    for n in 0..5 {
        let filed = object(&app, notice, body.clone()).await;
        assert_eq!(
            filed.status,
            StatusCode::CREATED,
            "objection {n}: {}",
            filed.text()
        );
    }
    let sixth = object(&app, notice, body.clone()).await;
    assert_eq!(sixth.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(sixth.json()["error"], "too_many_attempts");
    // An hour later the address may object again.
    app.advance(3_601);
    let later = object(&app, notice, body).await;
    assert_eq!(later.status, StatusCode::CREATED, "{}", later.text());
}

#[tokio::test]
async fn objection_files_are_checked_and_only_the_authority_reads_them() {
    let app = TestApp::new().await;
    let (_, _, notice) = opened(&app, "star4").await;
    let public = app
        .get(
            &Client::anonymous(),
            &format!("/api/v1/public/notices/{notice}"),
        )
        .await
        .json();
    let entry = entry_of(&public, "甲公司");
    let path = format!("/api/v1/public/notices/{notice}/objections");
    let entry_text = entry.to_string();
    let fields = [
        ("entry_id", entry_text.as_str()),
        ("name", "王五"),
        ("contact", "13800000000"),
        ("text", "见附件"),
    ];
    // The route takes files, but a JSON body keeps the 2 MB limit, and a file the upload limit.
    let huge = object(
        &app,
        notice,
        json!({ "entry_id": entry, "name": "王五", "contact": "138", "text": "很".repeat(1_000_000) }),
    )
    .await;
    assert_eq!(
        huge.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        huge.text()
    );
    let mut big = pdf("大文件");
    big.resize(300 * 1024, b' ');
    let too_large = app
        .post_file(&Client::anonymous(), &path, "大.pdf", &big, &fields)
        .await;
    assert_eq!(
        too_large.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        too_large.text()
    );
    // A file that is not one of the accepted types is refused by its bytes; nothing is filed.
    let refused = app
        .post_file(
            &Client::anonymous(),
            &path,
            "证明.pdf",
            b"MZ\x90\x00binary",
            &fields,
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "{}",
        refused.text()
    );
    let bytes = pdf("社保缴纳证明");
    let filed = app
        .post_file(&Client::anonymous(), &path, "证明.pdf", &bytes, &fields)
        .await;
    assert_eq!(filed.status, StatusCode::CREATED, "{}", filed.text());
    assert_eq!(filed.json()["files"], 1);
    let province = app.sign_in("province").await;
    let managed = app
        .get(&province, &format!("/api/v1/notices/{notice}"))
        .await
        .json();
    assert_eq!(managed["objections"].as_array().unwrap().len(), 1);
    let file = managed["objections"][0]["files"][0]["id"].as_i64().unwrap();
    let download = app
        .get(&province, &format!("/api/v1/objection-files/{file}"))
        .await;
    assert_eq!(download.status, StatusCode::OK);
    assert_eq!(download.body, bytes);
    for who in ["applicant_a", "city_sz", "expert"] {
        let client = app.sign_in(who).await;
        let hidden = app
            .get(&client, &format!("/api/v1/objection-files/{file}"))
            .await;
        let missing = app.get(&client, "/api/v1/objection-files/999999").await;
        assert_eq!(hidden.status, StatusCode::NOT_FOUND, "{who}");
        assert_eq!(hidden.body, missing.body, "{who}");
    }
    let signed_out = app
        .get(
            &Client::anonymous(),
            &format!("/api/v1/objection-files/{file}"),
        )
        .await;
    assert_eq!(signed_out.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn only_the_rounds_authority_manages_a_notice() {
    let app = TestApp::new().await;
    let round = app.round_of("jiangsu-pool-2021").await;
    let (_, _, notice) = opened(&app, "star4").await;
    let filed = {
        let public = app
            .get(
                &Client::anonymous(),
                &format!("/api/v1/public/notices/{notice}"),
            )
            .await
            .json();
        let entry = entry_of(&public, "甲公司");
        object(
            &app,
            notice,
            json!({ "entry_id": entry, "name": "王五", "contact": "13800000000", "text": "异议" }),
        )
        .await
        .json()
    };
    let objection = filed["objection_id"].as_i64().unwrap();
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
    app.advance(7 * DAY);
    for who in [
        "applicant_a",
        "county_ks",
        "city_nj",
        "expert",
        "sysadmin",
        "sx_authority",
    ] {
        let client = app.sign_in(who).await;
        let pairs = [
            (
                app.get(&client, &format!("/api/v1/notices/{notice}")).await,
                app.get(&client, "/api/v1/notices/999999").await,
            ),
            (
                app.post(
                    &client,
                    &format!("/api/v1/objections/{objection}/resolution"),
                    json!({ "outcome": "dismiss", "reason": "x" }),
                )
                .await,
                app.post(
                    &client,
                    "/api/v1/objections/999999/resolution",
                    json!({ "outcome": "dismiss", "reason": "x" }),
                )
                .await,
            ),
            (
                app.post(
                    &client,
                    &format!("/api/v1/notices/{notice}/publication"),
                    json!({ "document_number": "x", "document_date": "2026-06-05" }),
                )
                .await,
                app.post(
                    &client,
                    "/api/v1/notices/999999/publication",
                    json!({ "document_number": "x", "document_date": "2026-06-05" }),
                )
                .await,
            ),
            (
                app.post(
                    &client,
                    &format!("/api/v1/rounds/{round}/notices"),
                    json!({}),
                )
                .await,
                app.post(&client, "/api/v1/rounds/999999/notices", json!({}))
                    .await,
            ),
            (
                app.get(&client, &format!("/api/v1/rounds/{round}/notices"))
                    .await,
                app.get(&client, "/api/v1/rounds/999999/notices").await,
            ),
        ];
        for (index, (real, missing)) in pairs.iter().enumerate() {
            assert_eq!(
                real.status,
                StatusCode::NOT_FOUND,
                "{who} #{index}: {}",
                real.text()
            );
            assert_eq!(real.body, missing.body, "{who} #{index}");
        }
    }
    // None of them changed anything.
    let province = app.sign_in("province").await;
    let managed = app
        .get(&province, &format!("/api/v1/notices/{notice}"))
        .await
        .json();
    assert_eq!(managed["objections"][0]["status"], "open");
    assert_eq!(managed["entries"][0]["status"], "on_notice");
}

#[tokio::test]
async fn the_pages_show_the_notice_take_an_objection_and_show_the_final_grade() {
    let app = TestApp::new().await;
    let (a, _, notice) = opened(&app, "not_graded").await;
    // Signed out: the list, the notice with its form; no objector anywhere.
    let list = app.get(&Client::anonymous(), "/public-notices").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.text().contains("拟定名单公示"), "{}", list.text());
    let page = app
        .get(&Client::anonymous(), &format!("/public-notices/{notice}"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("甲公司") && html.contains("拟定四星"));
    assert!(html.contains("2026-05-29") && html.contains("2026-06-04"));
    assert!(html.contains("提出异议"));
    assert!(
        !html.contains("乙公司"),
        "a negative decision is not on notice"
    );
    let public = app
        .get(
            &Client::anonymous(),
            &format!("/api/v1/public/notices/{notice}"),
        )
        .await
        .json();
    let entry = entry_of(&public, "甲公司").to_string();
    let filed = app
        .post_file(
            &Client::anonymous(),
            &format!("/public-notices/{notice}/objections"),
            "证明.pdf",
            &pdf("证明"),
            &[
                ("entry_id", entry.as_str()),
                ("name", "王五"),
                ("contact", "13800000000"),
                ("text", "经营数据不实"),
            ],
        )
        .await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.text());
    let page = app
        .get(&Client::anonymous(), &format!("/public-notices/{notice}"))
        .await
        .text();
    assert!(!page.contains("王五") && !page.contains("13800000000"));
    // The authority's pages show the objector and the forms.
    let province = app.sign_in("province").await;
    let managed = app
        .get(&province, &format!("/public-notices/{notice}/manage"))
        .await;
    assert_eq!(managed.status, StatusCode::OK);
    assert!(managed.text().contains("王五"));
    let round = app.round_of("jiangsu-pool-2021").await;
    let decisions = app
        .get(&province, &format!("/rounds/{round}/decisions"))
        .await;
    assert_eq!(decisions.status, StatusCode::OK);
    assert!(decisions.text().contains("四星"));
    // Resolve and publish through the API; the application page shows the final grade.
    let managed = app
        .get(&province, &format!("/api/v1/notices/{notice}"))
        .await
        .json();
    let objection = managed["objections"][0]["id"].as_i64().unwrap();
    let resolved = app
        .post(
            &province,
            &format!("/api/v1/objections/{objection}/resolution"),
            json!({ "outcome": "dismiss", "reason": "经核实不成立" }),
        )
        .await;
    assert_eq!(resolved.status, StatusCode::OK);
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
    let applicant = app.sign_in("applicant_a").await;
    let detail = app
        .get(&applicant, &format!("/api/v1/applications/{a}"))
        .await
        .json();
    assert_eq!(detail["published"]["result"], "四星");
    assert_eq!(detail["published"]["valid_until"], "2029-06-04");
    let page = app
        .get(&applicant, &format!("/applications/{a}"))
        .await
        .text();
    assert!(page.contains("已发文公布：四星（苏工信〔2026〕88号，2026-06-05）"));
    let list = app.get(&Client::anonymous(), "/published").await.text();
    assert!(list.contains("甲公司") && list.contains("2029-06-04"));
}

#[tokio::test]
async fn parallel_resolutions_and_publications_have_one_winner() {
    let app = std::sync::Arc::new(TestApp::new().await);
    let (_, _, notice) = opened(&app, "not_graded").await;
    let public = app
        .get(
            &Client::anonymous(),
            &format!("/api/v1/public/notices/{notice}"),
        )
        .await
        .json();
    let entry = entry_of(&public, "甲公司");
    let objection = object(
        &app,
        notice,
        json!({ "entry_id": entry, "name": "王五", "contact": "13800000000", "text": "异议" }),
    )
    .await
    .json()["objection_id"]
        .as_i64()
        .unwrap();
    app.advance(7 * DAY);
    let province = app.sign_in("province").await;
    // Eight clicks on 「处理异议」 at once: one resolution, the others meet it.
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (app, province) = (app.clone(), province.clone());
        set.spawn(async move {
            let answer = app
                .post(
                    &province,
                    &format!("/api/v1/objections/{objection}/resolution"),
                    json!({ "outcome": "dismiss", "reason": "经核实不成立" }),
                )
                .await;
            (answer.status, answer.text())
        });
    }
    let answers = set.join_all().await;
    let won = answers.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    assert_eq!(won, 1, "{answers:?}");
    assert!(
        answers.iter().all(|(s, text)| *s == StatusCode::OK
            || (*s == StatusCode::CONFLICT && text.contains("already_resolved"))),
        "{answers:?}"
    );
    // Eight clicks on 「发文公布」: one publication, one published record.
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (app, province) = (app.clone(), province.clone());
        set.spawn(async move {
            let answer = app
                .post(
                    &province,
                    &format!("/api/v1/notices/{notice}/publication"),
                    json!({ "document_number": "苏工信〔2026〕88号", "document_date": "2026-06-05" }),
                )
                .await;
            (answer.status, answer.text())
        });
    }
    let answers = set.join_all().await;
    let won = answers.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    assert_eq!(won, 1, "{answers:?}");
    assert!(
        answers
            .iter()
            .all(|(s, _)| *s == StatusCode::OK || *s == StatusCode::CONFLICT),
        "{answers:?}"
    );
    let list = app
        .get(&Client::anonymous(), "/api/v1/public/published")
        .await
        .json();
    assert_eq!(list["total"], 1);
}
