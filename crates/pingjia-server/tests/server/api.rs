//! API stories through the real router, on SQLite by default and on PostgreSQL when
//! `PINGJIA_TEST_DATABASE_URL` is set: sign-in and throttling, CSRF, tokens, declarations with
//! live assessment and immutable versions, evidence, organisations, users, the audit chain.

use crate::support;

use axum::http::StatusCode;
use serde_json::json;
use support::{Client, TestApp, pdf};

#[tokio::test]
async fn sign_in_sign_out_and_throttling() {
    let app = TestApp::new().await;
    let anonymous = Client::anonymous();
    assert_eq!(
        app.get(&anonymous, "/api/v1/me").await.status,
        StatusCode::UNAUTHORIZED
    );

    let wrong = app
        .post(
            &anonymous,
            "/api/v1/session",
            json!({ "username": "applicant_a", "password": "nope" }),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.json()["error"], "wrong_credentials");
    // An unknown user gets the same answer as a wrong password.
    let unknown = app
        .post(
            &anonymous,
            "/api/v1/session",
            json!({ "username": "nobody", "password": "nope" }),
        )
        .await;
    assert_eq!(unknown.json()["error"], "wrong_credentials");

    for _ in 0..4 {
        app.post(
            &anonymous,
            "/api/v1/session",
            json!({ "username": "applicant_a", "password": "nope" }),
        )
        .await;
    }
    // Five failures: even the right password is refused for 15 minutes.
    let throttled = app
        .post(
            &anonymous,
            "/api/v1/session",
            json!({ "username": "applicant_a", "password": support::PASSWORD }),
        )
        .await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(throttled.json()["error"], "too_many_attempts");
    app.advance(15 * 60 + 1);
    let client = app.sign_in("applicant_a").await;

    let cookie = app
        .post(
            &anonymous,
            "/api/v1/session",
            json!({ "username": "applicant_b", "password": support::PASSWORD }),
        )
        .await;
    let set_cookie = cookie
        .headers
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"),
        "{set_cookie}"
    );

    let me = app.get(&client, "/api/v1/me").await;
    assert_eq!(me.json()["username"], "applicant_a");
    assert_eq!(
        app.delete(&client, "/api/v1/session").await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get(&client, "/api/v1/me").await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn sessions_expire() {
    let app = TestApp::new().await;
    let client = app.sign_in("applicant_a").await;
    app.advance(app.state.config.session_hours * 3600 + 1);
    assert_eq!(
        app.get(&client, "/api/v1/me").await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn unsafe_requests_with_a_session_need_the_csrf_token() {
    let app = TestApp::new().await;
    let client = app.sign_in("applicant_a").await;
    let forged = Client {
        csrf: None,
        ..client.clone()
    };
    let response = app
        .post(
            &forged,
            "/api/v1/applications",
            json!({ "scheme": "jiangsu-pool-2021", "provider_type": "network" }),
        )
        .await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);
    assert_eq!(response.json()["error"], "csrf_failed");
    let wrong = Client {
        csrf: Some("0".repeat(32)),
        ..client.clone()
    };
    assert_eq!(
        app.post(
            &wrong,
            "/api/v1/applications",
            json!({ "scheme": "jiangsu-pool-2021", "provider_type": "network" })
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    // Safe methods need none.
    assert_eq!(
        app.get(&forged, "/api/v1/applications").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn api_tokens_are_scoped_revocable_and_hashed_at_rest() {
    let app = TestApp::new().await;
    let client = app.sign_in("applicant_a").await;
    let read = app
        .post(
            &client,
            "/api/v1/me/tokens",
            json!({ "name": "监测脚本", "scopes": "read" }),
        )
        .await;
    assert_eq!(read.status, StatusCode::CREATED);
    let read_token = read.json()["token"].as_str().unwrap().to_owned();
    let write = app
        .post(
            &client,
            "/api/v1/me/tokens",
            json!({ "name": "同步", "scopes": "read write" }),
        )
        .await
        .json();
    let write_token = write["token"].as_str().unwrap().to_owned();

    let reader = Client::token(&read_token);
    assert_eq!(
        app.get(&reader, "/api/v1/applications").await.status,
        StatusCode::OK
    );
    let refused = app
        .post(
            &reader,
            "/api/v1/applications",
            json!({ "scheme": "jiangsu-pool-2021", "provider_type": "network" }),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    // A write token needs no CSRF token (it is not a cookie).
    let writer = Client::token(&write_token);
    assert_eq!(
        app.post(
            &writer,
            "/api/v1/applications",
            json!({ "scheme": "jiangsu-pool-2021", "provider_type": "network" })
        )
        .await
        .status,
        StatusCode::CREATED
    );

    // Each token's last use is recorded to the minute: the first use at once, a use within
    // the minute not again (no write per call), a later one again.
    let last_used = |token_id: i64| {
        let pool = app.state.db.pool.clone();
        async move {
            let (at,): (Option<i64>,) =
                sqlx::query_as("SELECT last_used_at FROM api_tokens WHERE id = $1")
                    .bind(token_id)
                    .fetch_one(&pool)
                    .await
                    .unwrap();
            at
        }
    };
    let read_id = read.json()["id"].as_i64().unwrap();
    let first_use = last_used(read_id).await.expect("recorded at the first use");
    app.advance(59);
    app.get(&reader, "/api/v1/me").await;
    assert_eq!(last_used(read_id).await, Some(first_use));
    app.advance(1);
    app.get(&reader, "/api/v1/me").await;
    assert_eq!(last_used(read_id).await, Some(first_use + 60));

    let stored: Vec<(String,)> = sqlx::query_as("SELECT token_hash FROM api_tokens")
        .fetch_all(&app.state.db.pool)
        .await
        .unwrap();
    assert!(
        stored
            .iter()
            .all(|(hash,)| hash.len() == 64 && !hash.contains(&read_token[3..]))
    );

    let id = read.json()["id"].as_i64().unwrap();
    assert_eq!(
        app.delete(&client, &format!("/api/v1/me/tokens/{id}"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let revoked = app.get(&reader, "/api/v1/applications").await;
    assert_eq!(revoked.status, StatusCode::UNAUTHORIZED);
    assert_eq!(revoked.json()["error"], "invalid_token");
    // Another user cannot revoke my token.
    let other = app.sign_in("applicant_b").await;
    let write_id = write["id"].as_i64().unwrap();
    assert_eq!(
        app.delete(&other, &format!("/api/v1/me/tokens/{write_id}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_declaration_is_assessed_live_saved_as_typed_and_frozen_on_submission() {
    let app = TestApp::new().await;
    let client = app.sign_in("applicant_a").await;
    let id = app.new_application(&client, "comprehensive_platform").await;

    let draft = json!({
        "organization": { "kind": "enterprise" },
        "values": {
            "jiangsu_registered_on": "2016-03-18", "independent_legal_person": "是", "good_credit": "是",
            "sound_finance": "是", "own_ip": "是", "blacklisted_on": "无",
            "registered_capital": "1200万", "established_on": "2016-03-18", "employees": 86,
            "financial_status": "财务状况良好", "main_revenue": "2600万", "clusters_served": 2,
            "rd_expense_ratio": "11.5%", "ip_count": 22,
            "cp_protocols": 72, "cp_accumulated_data": "350TB", "cp_data_services": ["基础数据", "生产数据"],
            "platform_online_on": "2018-09-01", "security_assessment_passed": "是",
            "ops_security_system": "初步", "platform_manual": "重点功能", "customer_service": "初步",
            "economic_social_value": "一定"
        }
    });
    let saved = app
        .put(
            &client,
            &format!("/api/v1/applications/{id}/draft"),
            draft.clone(),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text());
    let assessment = &saved.json()["assessment"];
    assert_eq!(assessment["report"]["stars"], 3);
    assert_eq!(assessment["report"]["gaps"][0]["stars"], 4);

    // A change moves the grade at once; an invalid value is kept and reported beside its field.
    let mut better = draft.clone();
    better["values"]["cp_connected_devices"] = json!("12万");
    better["values"]["cp_device_types"] = json!(["智能装备"]);
    better["values"]["cp_device_functions"] =
        json!(["设备台账", "设备点检", "实时数据", "数据报表"]);
    better["values"]["itss_level"] = json!("三级");
    better["values"]["cp_microservice_pool"] = json!("是");
    better["values"]["ops_security_system"] = json!("较为成熟");
    better["values"]["platform_manual"] = json!("所有功能");
    better["values"]["customer_service"] = json!("较为成熟");
    better["values"]["employees"] = json!("八十六");
    let saved = app
        .put(
            &client,
            &format!("/api/v1/applications/{id}/draft"),
            better.clone(),
        )
        .await
        .json();
    let errors = saved["assessment"]["field_errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["field"], "values.employees");
    assert_eq!(
        saved["assessment"]["report"]["stars"], 0,
        "员工总数 unreadable → missing → no grade"
    );
    let stored = app
        .get(&client, &format!("/api/v1/applications/{id}"))
        .await
        .json();
    let body: serde_json::Value =
        serde_json::from_str(stored["version"]["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        body["values"]["employees"], "八十六",
        "nothing typed is lost"
    );

    // Submission is refused while a field is in error.
    let refused = app
        .post(
            &client,
            &format!("/api/v1/applications/{id}/submit"),
            json!({}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    better["values"]["employees"] = json!(86);
    let saved = app
        .put(
            &client,
            &format!("/api/v1/applications/{id}/draft"),
            better.clone(),
        )
        .await
        .json();
    assert_eq!(saved["assessment"]["report"]["stars"], 4);
    let submitted = app
        .post(
            &client,
            &format!("/api/v1/applications/{id}/submit"),
            json!({}),
        )
        .await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.text());
    assert_eq!(submitted.json()["application"]["state"], "county_review");
    assert_eq!(
        app.post(
            &client,
            &format!("/api/v1/applications/{id}/submit"),
            json!({})
        )
        .await
        .status,
        StatusCode::CONFLICT
    );

    // While it is reviewed, the application cannot be changed, through the API as through
    // the pages (one rule): no version 2 is opened, version 1 stays exactly as submitted.
    let mut edited = better.clone();
    edited["values"]["employees"] = json!(120);
    let refused = app
        .put(&client, &format!("/api/v1/applications/{id}/draft"), edited)
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text());
    assert_eq!(refused.json()["error"], "not_editable");
    let refused_upload = app
        .upload(&client, id, "late.pdf", &pdf("late"), None)
        .await;
    assert_eq!(refused_upload.status, StatusCode::CONFLICT);
    let refused_type = app
        .upload(&client, id, "late.exe", b"MZ\x90\x00", None)
        .await;
    assert_eq!(refused_type.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let mine = app
        .get(&client, &format!("/api/v1/applications/{id}"))
        .await
        .json();
    assert_eq!(mine["versions"].as_array().unwrap().len(), 1, "{mine}");
    assert_eq!(mine["editable"], false);
    let first = app
        .get(&client, &format!("/api/v1/applications/{id}/versions/1"))
        .await
        .json();
    let first_body: serde_json::Value =
        serde_json::from_str(first["body"].as_str().unwrap()).unwrap();
    assert_eq!(first_body["values"]["employees"], 86);
    assert!(first["submitted_at"].as_i64().is_some());
    // The reviewer sees the submitted version, not the new draft.
    let reviewer = app.sign_in("county_ks").await;
    let seen = app
        .get(&reviewer, &format!("/api/v1/applications/{id}"))
        .await
        .json();
    assert_eq!(seen["version"]["number"], 1);
    assert_eq!(seen["editable"], false);
    assert_eq!(
        app.get(&reviewer, &format!("/api/v1/applications/{id}/versions/2"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn one_organisation_holds_applications_under_several_schemes() {
    let app = TestApp::new().await;
    // A round of the Shaoxing scheme open to Jiangsu, so that one organisation can hold
    // applications under all three schemes (the seeded one is 绍兴's own).
    app.open_round("shaoxing-platform", "32", "2020-01-01", "2099-12-31")
        .await;
    let client = app.sign_in("applicant_a").await;
    app.new_application(&client, "network").await;
    let shaoxing = app
        .post(
            &client,
            "/api/v1/applications",
            json!({ "scheme": "shaoxing-platform" }),
        )
        .await;
    assert_eq!(shaoxing.status, StatusCode::CREATED);
    let miit = app
        .post(
            &client,
            "/api/v1/applications",
            json!({ "scheme": "miit-platform-2018" }),
        )
        .await;
    assert_eq!(miit.status, StatusCode::CREATED);
    let list = app.get(&client, "/api/v1/applications").await.json();
    assert_eq!(list["total"], 3);
    let schemes: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["scheme_id"].as_str().unwrap())
        .collect();
    assert!(
        schemes.contains(&"shaoxing-platform")
            && schemes.contains(&"miit-platform-2018")
            && schemes.contains(&"jiangsu-pool-2021")
    );
    // Pagination.
    let page = app
        .get(&client, "/api/v1/applications?page=2&per_page=2")
        .await
        .json();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["total"], 3);
    // Unknown schemes and types are refused clearly.
    let unknown = app
        .post(
            &client,
            "/api/v1/applications",
            json!({ "scheme": "jiangsu-pool-2021", "provider_type": "nope" }),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.json()["error"], "unknown_scheme");
}

#[tokio::test]
async fn stateless_assessment_grades_without_storing() {
    let app = TestApp::new().await;
    let client = app.sign_in("applicant_a").await;
    let response = app
        .post(&client, "/api/v1/assess", json!({ "scheme": "jiangsu-pool-2021", "provider_type": "network", "declaration": { "values": { "registered_capital": "abc" } } }))
        .await;
    assert_eq!(response.status, StatusCode::OK);
    let body = response.json();
    assert_eq!(body["report"]["stars"], 0);
    assert_eq!(
        body["field_errors"][0]["field"],
        "values.registered_capital"
    );
    assert!(
        body["field_errors"][0]["expected_zh"]
            .as_str()
            .unwrap()
            .contains("金额")
    );
}

#[tokio::test]
async fn evidence_is_typed_by_content_limited_addressed_by_hash_and_flagged_when_shared() {
    let app = TestApp::new().await;
    let a = app.sign_in("applicant_a").await;
    let b = app.sign_in("applicant_b").await;
    let application_a = app.new_application(&a, "network").await;
    let application_b = app.new_application(&b, "network").await;

    let uploaded = app
        .upload(
            &a,
            application_a,
            "营业执照.pdf",
            &pdf("licence"),
            Some("basic_conditions.independent_legal_person"),
        )
        .await;
    assert_eq!(uploaded.status, StatusCode::CREATED, "{}", uploaded.text());
    let item = uploaded.json();
    assert_eq!(item["media_type"], "application/pdf");
    // Applicants are never told whether another organisation holds a file.
    assert!(
        item.get("shared_with_other_organizations").is_none(),
        "{item}"
    );
    let sha = item["sha256"].as_str().unwrap().to_owned();
    assert!(
        app.state
            .config
            .evidence_dir
            .join(&sha[..2])
            .join(&sha)
            .exists(),
        "stored under its hash"
    );

    // A renamed executable is refused: the type is read from the bytes.
    let fake = app
        .upload(
            &a,
            application_a,
            "report.pdf",
            b"MZ\x90\x00 not a pdf at all",
            None,
        )
        .await;
    assert_eq!(fake.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(fake.json()["error"], "unsupported_file_type");
    let big = vec![b'%'; 300 * 1024];
    let mut big_pdf = b"%PDF-1.4\n".to_vec();
    big_pdf.extend_from_slice(&big);
    assert_eq!(
        app.upload(&a, application_a, "big.pdf", &big_pdf, None)
            .await
            .status,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    assert_eq!(
        app.upload(
            &a,
            application_a,
            "x.pdf",
            &pdf("x"),
            Some("no.such.criterion")
        )
        .await
        .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // The same file from another organisation is recorded, and flagged to reviewers only:
    // telling applicant B would reveal what organisation A holds, even in a draft.
    let again = app
        .upload(&b, application_b, "copy.pdf", &pdf("licence"), None)
        .await
        .json();
    assert_eq!(again["sha256"], sha.as_str());
    assert!(
        again.get("shared_with_other_organizations").is_none(),
        "{again}"
    );
    let listed = app
        .get(
            &b,
            &format!("/api/v1/applications/{application_b}/evidence"),
        )
        .await
        .json();
    assert!(
        listed[0].get("shared_with_other_organizations").is_none(),
        "{listed}"
    );
    let submitted = app
        .post(
            &b,
            &format!("/api/v1/applications/{application_b}/submit"),
            json!({}),
        )
        .await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.text());
    let city_nj = app.sign_in("city_nj").await;
    let reviewed = app
        .get(
            &city_nj,
            &format!("/api/v1/applications/{application_b}/evidence"),
        )
        .await
        .json();
    assert_eq!(
        reviewed[0]["shared_with_other_organizations"], true,
        "{reviewed}"
    );

    let evidence_id = item["id"].as_i64().unwrap();
    let download = app
        .get(&a, &format!("/api/v1/evidence/{evidence_id}/download"))
        .await;
    assert_eq!(download.status, StatusCode::OK);
    assert_eq!(download.body, pdf("licence"));
    let disposition = download
        .headers
        .get("content-disposition")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        disposition.starts_with("attachment;")
            && disposition.contains("filename*=UTF-8''%E8%90%A5"),
        "{disposition}"
    );
    assert_eq!(
        app.get(&b, &format!("/api/v1/evidence/{evidence_id}/download"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // After submission the file belongs to version 1; removing it from the new draft keeps it there.
    let submit = app
        .post(
            &a,
            &format!("/api/v1/applications/{application_a}/submit"),
            json!({}),
        )
        .await;
    assert_eq!(submit.status, StatusCode::OK, "{}", submit.text());
    assert_eq!(
        app.delete(&a, &format!("/api/v1/evidence/{evidence_id}"))
            .await
            .status,
        StatusCode::CONFLICT,
        "frozen"
    );
    // Returned for correction (the review chain's action, set here directly), the applicant
    // edits again: version 2 opens and carries the evidence along.
    app.set_state(application_a, "returned").await;
    let reopened = app
        .put(
            &a,
            &format!("/api/v1/applications/{application_a}/draft"),
            json!({ "values": {} }),
        )
        .await;
    assert_eq!(reopened.status, StatusCode::OK, "{}", reopened.text());
    assert_eq!(reopened.json()["version"], 2);
    let draft_files = app
        .get(
            &a,
            &format!("/api/v1/applications/{application_a}/evidence"),
        )
        .await
        .json();
    let copy_id = draft_files[0]["id"].as_i64().unwrap();
    assert_ne!(copy_id, evidence_id);
    assert_eq!(
        app.delete(&a, &format!("/api/v1/evidence/{copy_id}"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get(&a, &format!("/api/v1/evidence/{evidence_id}/download"))
            .await
            .status,
        StatusCode::OK
    );
    assert!(
        app.state
            .config
            .evidence_dir
            .join(&sha[..2])
            .join(&sha)
            .exists()
    );
}

#[tokio::test]
async fn organisations_are_edited_by_their_own_applicants_only() {
    let app = TestApp::new().await;
    let a = app.sign_in("applicant_a").await;
    let me = app.get(&a, "/api/v1/me").await.json();
    let own = me["organization_id"].as_i64().unwrap();
    let update = json!({ "name": "甲公司（更名）", "kind": "事业单位", "address": "昆山市", "contact": "张三", "phone": "0512-1234" });
    let updated = app
        .put(&a, &format!("/api/v1/organizations/{own}"), update.clone())
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.text());
    assert_eq!(updated.json()["kind"], "public_institution");
    let b = app.sign_in("applicant_b").await;
    assert_eq!(
        app.put(&b, &format!("/api/v1/organizations/{own}"), update.clone())
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let bad = app
        .put(
            &a,
            &format!("/api/v1/organizations/{own}"),
            json!({ "name": "", "kind": "公司" }),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn the_system_administrator_creates_users_with_valid_credit_codes() {
    let app = TestApp::new().await;
    let admin = app.sign_in("sysadmin").await;
    let request = |code: &str| {
        json!({ "username": format!("new_{}", &code[..4]), "display_name": "新用户", "password": "Another-pass-1", "role": "applicant",
                "credit_code": code, "organization_name": "丙公司", "region_code": "320508" })
    };
    let invalid = app
        .post(&admin, "/api/v1/users", request("91320508MA1P7K2X0X"))
        .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        invalid.json()["message"]
            .as_str()
            .unwrap()
            .contains("校验位")
    );
    let code = support::credit_code("91320508MA1TEKT00");
    let created = app.post(&admin, "/api/v1/users", request(&code)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    assert_eq!(created.json()["must_change_password"], true);
    assert_eq!(
        app.post(&admin, "/api/v1/users", request(&code))
            .await
            .json()["error"],
        "username_taken"
    );
    let weak = app.post(&admin, "/api/v1/users", json!({ "username": "weak", "display_name": "x", "password": "short", "role": "expert" })).await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    let applicant = app.sign_in("applicant_a").await;
    assert_eq!(
        app.get(&applicant, "/api/v1/users").await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn changing_the_password_ends_other_sessions() {
    let app = TestApp::new().await;
    let first = app.sign_in("applicant_a").await;
    let second = app.sign_in("applicant_a").await;
    let wrong = app
        .post(
            &first,
            "/api/v1/me/password",
            json!({ "current_password": "nope", "new_password": "New-password-77" }),
        )
        .await;
    assert_eq!(wrong.json()["error"], "wrong_password");
    let changed = app
        .post(
            &first,
            "/api/v1/me/password",
            json!({ "current_password": support::PASSWORD, "new_password": "New-password-77" }),
        )
        .await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&first, "/api/v1/me").await.status, StatusCode::OK);
    assert_eq!(
        app.get(&second, "/api/v1/me").await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn every_change_goes_to_a_verifiable_hash_chain() {
    let app = TestApp::new().await;
    let client = app.sign_in("applicant_a").await;
    let id = app.new_application(&client, "network").await;
    app.post(
        &client,
        &format!("/api/v1/applications/{id}/submit"),
        json!({}),
    )
    .await;
    assert_eq!(
        pingjia_server::storage::verify_audit(&app.state.db)
            .await
            .unwrap(),
        None
    );
    let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_log")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert!(count >= 3, "sign-in, creation, submission: {count}");
    sqlx::query("UPDATE audit_log SET details = 'tampered' WHERE id = 2")
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(
        pingjia_server::storage::verify_audit(&app.state.db)
            .await
            .unwrap(),
        Some(2)
    );
}

#[tokio::test]
async fn the_openapi_document_describes_every_api_route() {
    let app = TestApp::new().await;
    let document = app
        .get(&Client::anonymous(), "/api/openapi.json")
        .await
        .json();
    assert!(document["openapi"].as_str().unwrap().starts_with("3."));
    let paths = document["paths"].as_object().unwrap();
    for path in [
        "/api/v1/session",
        "/api/v1/me",
        "/api/v1/me/password",
        "/api/v1/me/tokens",
        "/api/v1/me/tokens/{id}",
        "/api/v1/schemes",
        "/api/v1/assess",
        "/api/v1/regions",
        "/api/v1/organizations",
        "/api/v1/organizations/{id}",
        "/api/v1/applications",
        "/api/v1/applications/{id}",
        "/api/v1/applications/{id}/draft",
        "/api/v1/applications/{id}/submit",
        "/api/v1/applications/{id}/versions/{number}",
        "/api/v1/applications/{id}/evidence",
        "/api/v1/evidence/{id}",
        "/api/v1/evidence/{id}/download",
        "/api/v1/users",
        "/api/v1/users/{id}",
        "/api/v1/users/{id}/reset-password",
        "/api/v1/registrations",
        "/api/v1/audit",
        "/api/v1/me/email",
        "/api/v1/me/notifications",
        "/api/v1/me/notifications/{id}/read",
        "/api/v1/me/notifications/read-all",
        "/api/v1/regrade",
        "/api/v1/regrade.csv",
    ] {
        assert!(
            paths.contains_key(path),
            "{path} missing from the OpenAPI document"
        );
    }
    let docs = app.get(&Client::anonymous(), "/api/docs/").await;
    assert_eq!(docs.status, StatusCode::OK);
    assert!(
        docs.text().contains("swagger"),
        "the browsable UI is served from the binary"
    );
}

#[tokio::test]
async fn errors_never_leak_internals() {
    let app = TestApp::new().await;
    let client = app.sign_in("applicant_a").await;
    let response = app.get(&client, "/api/v1/applications/99999").await;
    assert_eq!(response.status, StatusCode::NOT_FOUND);
    assert_eq!(
        response.json(),
        json!({ "error": "not_found", "message": "对象不存在或无权访问 / not found" })
    );
    let malformed = app
        .request(
            &client,
            axum::http::Method::PUT,
            "/api/v1/applications/1/draft",
            None,
        )
        .await;
    assert!(malformed.status.is_client_error());
    assert!(!malformed.text().contains("sqlx") && !malformed.text().contains("panicked"));
}

/// The ids and total of a list answer.
fn listed(response: &support::Response) -> (Vec<i64>, i64) {
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    let json = response.json();
    let ids = json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    (ids, json["total"].as_i64().unwrap())
}

#[tokio::test]
async fn reviewers_narrow_their_lists_and_totals_follow_every_submission() {
    let app = TestApp::new().await;
    app.open_round("shaoxing-platform", "32", "2020-01-01", "2099-12-31")
        .await;
    let a = app.sign_in("applicant_a").await; // 甲公司, 苏州·昆山 (320583)
    let b = app.sign_in("applicant_b").await; // 乙公司, 南京·江宁 (320115)
    let a_network = app.new_application(&a, "network").await;
    let a_cloud = app.new_application(&a, "cloud_platform").await;
    let a_shaoxing = app
        .post(
            &a,
            "/api/v1/applications",
            json!({ "scheme": "shaoxing-platform" }),
        )
        .await
        .json()["application"]["id"]
        .as_i64()
        .unwrap();
    let b_network = app.new_application(&b, "network").await;
    let province = app.sign_in("province").await;
    let city_sz = app.sign_in("city_sz").await;
    let city_nj = app.sign_in("city_nj").await;

    // Drafts are the applicant's alone: the province's list is empty, and its total is 0.
    let list = |client, query: &str| {
        let path = format!("/api/v1/applications{query}");
        let app = &app;
        async move { listed(&app.get(client, &path).await) }
    };
    assert_eq!(list(&province, "").await, (vec![], 0));
    // The total is remembered for reviewers; a submission must show at once all the same.
    for (step, id) in [a_network, b_network, a_cloud].into_iter().enumerate() {
        app.advance(60);
        let submitted = app
            .post(
                if id == b_network { &b } else { &a },
                &format!("/api/v1/applications/{id}/submit"),
                json!({}),
            )
            .await;
        assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.text());
        assert_eq!(list(&province, "").await.1, step as i64 + 1);
    }
    // Newest first; the Shaoxing draft is still invisible to reviewers.
    assert_eq!(
        list(&province, "").await,
        (vec![a_cloud, b_network, a_network], 3)
    );
    assert_eq!(
        list(&a, "").await.1,
        3,
        "an applicant sees its drafts too (a_shaoxing {a_shaoxing})"
    );

    // Each filter alone, then combined.
    assert_eq!(
        list(&province, "?state=county_review").await,
        (vec![a_cloud, b_network, a_network], 3)
    );
    assert_eq!(list(&province, "?state=published").await, (vec![], 0));
    assert_eq!(
        list(&province, "?scheme=jiangsu-pool-2021&provider_type=network").await,
        (vec![b_network, a_network], 2)
    );
    assert_eq!(
        list(&province, "?region=3205").await,
        (vec![a_cloud, a_network], 2)
    );
    assert_eq!(
        list(&province, "?region=320115").await,
        (vec![b_network], 1)
    );
    assert_eq!(list(&province, "?q=%E4%B9%99").await, (vec![b_network], 1));
    assert_eq!(
        list(&province, "?q=%E7%94%B2&provider_type=cloud_platform&scheme=jiangsu-pool-2021&region=320583&state=county_review").await,
        (vec![a_cloud], 1)
    );
    // LIKE wildcards in the search are taken literally; empty fields mean "any".
    assert_eq!(list(&province, "?q=%25").await, (vec![], 0));
    assert_eq!(list(&province, "?q=_").await, (vec![], 0));
    assert_eq!(
        list(&province, "?state=&scheme=&provider_type=&region=&q=")
            .await
            .1,
        3
    );
    // Paging keeps the filter and its total.
    assert_eq!(
        list(&province, "?region=32&per_page=1&page=2").await,
        (vec![b_network], 3)
    );

    // A region filter narrows, never widens: 南京's reviewer asking for 苏州 sees nothing.
    assert_eq!(list(&city_nj, "?region=3205").await, (vec![], 0));
    assert_eq!(list(&city_nj, "?region=320583").await, (vec![], 0));
    assert_eq!(list(&city_nj, "").await, (vec![b_network], 1));
    // 甲公司 is in 昆山市, which recommends to the province itself (003 二（一）): 苏州's city
    // office has no part in its applications and sees none of them.
    assert_eq!(list(&city_sz, "?region=32").await.1, 0);

    // Unknown values are errors that name the field, not empty lists.
    for (query, word) in [
        ("?state=approved", "状态"),
        ("?scheme=jiangsu-2099", "评价方案"),
        ("?provider_type=network", "评价方案"),
        (
            "?scheme=shaoxing-platform&provider_type=network",
            "服务商类型",
        ),
        ("?region=999999", "行政区划"),
    ] {
        let response = app
            .get(&province, &format!("/api/v1/applications{query}"))
            .await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert_eq!(response.json()["error"], "invalid_input");
        let message = response.json()["message"].as_str().unwrap().to_owned();
        assert!(message.contains(word), "{query}: {message}");
    }
    let long = "%E7%94%B2".repeat(101); // 甲 × 101
    let response = app
        .get(&province, &format!("/api/v1/applications?q={long}"))
        .await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn organisation_lists_have_totals_and_a_name_search() {
    let app = TestApp::new().await;
    let list = |username: &'static str, query: &'static str| {
        let app = &app;
        async move {
            let client = app.sign_in(username).await;
            let response = app
                .get(&client, &format!("/api/v1/organizations{query}"))
                .await;
            assert_eq!(response.status, StatusCode::OK, "{}", response.text());
            let json = response.json();
            let names: Vec<String> = json["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["name"].as_str().unwrap().to_owned())
                .collect();
            (names, json["total"].as_i64().unwrap())
        }
    };
    assert_eq!(
        list("province", "").await,
        (vec!["乙公司".to_owned(), "甲公司".to_owned()], 2)
    );
    assert_eq!(
        list("province", "?q=%E7%94%B2").await,
        (vec!["甲公司".to_owned()], 1)
    );
    assert_eq!(
        list("province", "?per_page=1&page=2").await,
        (vec!["甲公司".to_owned()], 2)
    );
    assert_eq!(list("city_sz", "").await, (vec!["甲公司".to_owned()], 1));
    assert_eq!(list("city_sz", "?q=%E4%B9%99").await, (vec![], 0));
    assert_eq!(
        list("applicant_b", "").await,
        (vec!["乙公司".to_owned()], 1)
    );
    assert_eq!(list("applicant_b", "?q=%E7%94%B2").await, (vec![], 0));
    assert_eq!(list("sysadmin", "").await.1, 2);
    assert_eq!(list("expert", "").await, (vec![], 0));
}

#[tokio::test]
async fn every_page_of_a_list_holds_the_next_rows_however_the_page_is_read() {
    // SQLite reads a page either by walking the list's order or by sorting the region's
    // range, depending on how deep the page is and how large a share of all applications the
    // list is (store::index_hint); PostgreSQL's planner makes the same choice. Whichever way,
    // the pages must join up into the one order: newest first.
    let app = TestApp::new().await;
    let a = app.sign_in("applicant_a").await;
    let b = app.sign_in("applicant_b").await;
    let mut submitted = Vec::new(); // oldest first
    for round in 0..6 {
        for (client, is_a, provider_type) in [
            (
                &a,
                true,
                if round % 2 == 0 {
                    "cloud_platform"
                } else {
                    "network"
                },
            ),
            (&b, false, "network"),
        ] {
            let id = app.new_application(client, provider_type).await;
            app.advance(60);
            let response = app
                .post(
                    client,
                    &format!("/api/v1/applications/{id}/submit"),
                    json!({}),
                )
                .await;
            assert_eq!(response.status, StatusCode::OK, "{}", response.text());
            // Closed (as a rejection would close it; its time unchanged), so that the
            // organisation may open the next application of the same type.
            app.set_state(id, "rejected").await;
            submitted.push((id, is_a, provider_type));
        }
    }
    let newest_first: Vec<(i64, bool, &str)> = submitted.iter().rev().copied().collect();
    let province = app.sign_in("province").await;
    let pages = |query: &'static str, per_page: usize| {
        let app = &app;
        let province = &province;
        async move {
            let mut all = Vec::new();
            for page in 1.. {
                let (ids, total) = listed(
                    &app.get(
                        province,
                        &format!("/api/v1/applications?per_page={per_page}&page={page}{query}"),
                    )
                    .await,
                );
                if ids.is_empty() {
                    assert_eq!(total as usize, all.len(), "{query}: total");
                    break;
                }
                assert!(ids.len() <= per_page);
                all.extend(ids);
            }
            all
        }
    };
    let expect = |keep: &dyn Fn(&(i64, bool, &str)) -> bool| -> Vec<i64> {
        newest_first
            .iter()
            .filter(|r| keep(r))
            .map(|r| r.0)
            .collect()
    };
    assert_eq!(pages("", 5).await, expect(&|_| true));
    assert_eq!(pages("", 1).await, expect(&|_| true));
    // 苏州·昆山 only: half of all.
    assert_eq!(pages("&region=320583", 2).await, expect(&|r| r.1));
    // The three cloud platforms among twelve: from the second page on, deep for its share.
    assert_eq!(
        pages("&scheme=jiangsu-pool-2021&provider_type=cloud_platform", 1).await,
        expect(&|r| r.2 == "cloud_platform")
    );
    assert_eq!(
        pages(
            "&region=320115&provider_type=network&scheme=jiangsu-pool-2021",
            4
        )
        .await,
        expect(&|r| !r.1)
    );
    // A page past the end is empty and still says how many there are.
    assert_eq!(
        listed(&app.get(&province, "/api/v1/applications?page=99").await),
        (vec![], 12)
    );
}

#[tokio::test]
async fn reviewers_lists_show_the_submitted_version_never_the_draft() {
    let app = TestApp::new().await;
    let a = app.sign_in("applicant_a").await;
    let id = app.new_application(&a, "network").await;
    app.submit(&a, id).await;
    let reviewer = app.sign_in("county_ks").await;
    let before = app.get(&reviewer, "/api/v1/applications").await.json();
    let row = before["items"][0].clone();
    assert_eq!(row["version"], 1);
    // Returned for correction (the review chain's action, set here directly); the applicant
    // types into the new draft three hours later.
    app.set_state(id, "returned").await;
    app.advance(3 * 3600);
    let saved = app
        .put(
            &a,
            &format!("/api/v1/applications/{id}/draft"),
            json!({ "values": { "registered_capital": "5000万", "employees": 300 } }),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text());
    assert_eq!(saved.json()["version"], 2);
    let after = app.get(&reviewer, "/api/v1/applications").await.json();
    let seen = &after["items"][0];
    assert_eq!(seen["version"], 1, "{seen}");
    assert_eq!(seen["grade"], row["grade"]);
    assert_eq!(
        seen["updated_at"], row["updated_at"],
        "the draft's time is not shown"
    );
    // The owner sees the draft and when it changed.
    let own = app.get(&a, "/api/v1/applications").await.json();
    assert_eq!(own["items"][0]["version"], 2);
    assert!(own["items"][0]["updated_at"].as_i64() > row["updated_at"].as_i64());
}

#[tokio::test]
async fn submissions_go_through_the_workflow_rule() {
    let app = TestApp::new().await;
    let a = app.sign_in("applicant_a").await;
    let id = app.new_application(&a, "network").await;
    let path = format!("/api/v1/applications/{id}/submit");
    assert_eq!(app.post(&a, &path, json!({})).await.status, StatusCode::OK);
    // Under review: the workflow's refusal, with its reason.
    let again = app.post(&a, &path, json!({})).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let message = again.json()["message"].as_str().unwrap().to_owned();
    assert!(message.contains("区县初审"), "{message}");
    // A reviewer may not submit for the applicant, nor see a way to.
    let reviewer = app.sign_in("county_ks").await;
    assert_eq!(
        app.post(&reviewer, &path, json!({})).await.status,
        StatusCode::FORBIDDEN
    );
    // Returned (the review chain's action, set here directly), corrected and resubmitted:
    // back to county review as version 2.
    app.set_state(id, "returned").await;
    let saved = app
        .put(
            &a,
            &format!("/api/v1/applications/{id}/draft"),
            json!({ "values": { "employees": 90 } }),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK);
    let resubmitted = app.post(&a, &path, json!({})).await;
    assert_eq!(resubmitted.status, StatusCode::OK, "{}", resubmitted.text());
    let body = resubmitted.json();
    assert_eq!(body["application"]["state"], "county_review");
    assert_eq!(body["version"]["number"], 2);
    assert!(body["version"]["submitted_at"].as_i64().is_some());
}

#[test]
fn the_openapi_document_lists_every_state_and_every_error_answer() {
    use utoipa::OpenApi as _;
    let document = serde_json::to_value(pingjia_server::http::api::ApiDoc::openapi()).unwrap();
    let parameters = document["paths"]["/api/v1/applications"]["get"]["parameters"]
        .as_array()
        .unwrap();
    let state = parameters.iter().find(|p| p["name"] == "state").unwrap();
    let pattern = state["schema"]["pattern"].as_str().unwrap();
    for id in pingjia_core::workflow::State::ALL
        .iter()
        .map(|s| s.as_str())
    {
        assert!(
            pattern.contains(&format!("|{id}|")) || pattern.contains(&format!("|{id})")),
            "{id} missing from {pattern}"
        );
    }
    let submit = &document["paths"]["/api/v1/applications/{id}/submit"]["post"]["responses"];
    for status in ["200", "400", "401", "403", "404", "409", "422", "500"] {
        assert!(submit.get(status).is_some(), "submit documents {status}");
    }
    let patch = &document["paths"]["/api/v1/users/{id}"]["patch"]["responses"];
    for status in ["200", "404", "409", "413", "415", "422"] {
        assert!(patch.get(status).is_some(), "PATCH user documents {status}");
    }
    let register = &document["paths"]["/api/v1/registrations"]["post"]["responses"];
    for status in ["201", "409", "422", "429"] {
        assert!(
            register.get(status).is_some(),
            "registration documents {status}"
        );
    }
}

#[tokio::test]
async fn a_date_in_the_future_is_refused_beside_its_field() {
    let app = TestApp::new().await;
    let a = app.sign_in("applicant_a").await;
    // The test clock reads 2026-05-28 (1,780,000,000 s): a date after it cannot have happened.
    let assessed = app
        .post(
            &a,
            "/api/v1/assess",
            json!({ "scheme": "jiangsu-pool-2021", "provider_type": "network", "declaration": { "values": { "blacklisted_on": "2027-01-01" } } }),
        )
        .await;
    assert_eq!(assessed.status, StatusCode::OK, "{}", assessed.text());
    let errors = assessed.json()["field_errors"].clone();
    assert!(
        errors
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["field"] == "values.blacklisted_on"),
        "{errors}"
    );
}
