//! Accounts and organisations: self-registration (and what a refused credit code reveals),
//! the county's view of registrations, account management by system and authority
//! administrators, the audit-log viewer, the inbox, and e-mail through an SMTP listener that
//! the test starts itself.

use crate::support;

use axum::http::StatusCode;
use pingjia_server::services::accounts::NewUserRequest;
use pingjia_server::services::actor::Role;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use support::{Client, PASSWORD, TestApp, add_user, credit_code};

/// A registration of 丙公司 in 昆山市 (county-level, inside 苏州市).
fn registration(code: &str, username: &str) -> Value {
    json!({
        "organization_name": "丙公司",
        "credit_code": code,
        "region_code": "320583",
        "kind": "企业",
        "contact": "王经理",
        "phone": "0512-57881234",
        "email": "",
        "username": username,
        "display_name": "丙公司 申报员",
        "password": "Bing-company-2026",
        "password_confirm": "Bing-company-2026",
    })
}

async fn notification_titles(app: &TestApp, client: &Client) -> Vec<String> {
    let inbox = app.get(client, "/api/v1/me/notifications").await;
    assert_eq!(inbox.status, StatusCode::OK, "{}", inbox.text());
    inbox.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["title"].as_str().unwrap().to_owned())
        .collect()
}

async fn sign_in_with(app: &TestApp, username: &str, password: &str) -> support::Response {
    app.post(
        &Client::anonymous(),
        "/api/v1/session",
        json!({ "username": username, "password": password }),
    )
    .await
}

/// The session of a successful sign-in answer.
fn client_of(signed_in: &support::Response) -> Client {
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.text());
    let cookie = signed_in
        .headers
        .get_all(axum::http::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("pingjia_session="))
        .map(|v| v.split(';').next().unwrap().to_owned());
    Client {
        cookie,
        csrf: signed_in.json()["csrf_token"].as_str().map(str::to_owned),
        bearer: None,
    }
}

#[tokio::test]
async fn an_organisation_registers_and_its_county_is_told() {
    let app = TestApp::new().await;
    // A county reviewer of another county (南京·江宁) must learn nothing.
    add_user(
        &app,
        NewUserRequest {
            username: "county_jx".into(),
            display_name: "江宁区".into(),
            password: PASSWORD.into(),
            role: Role::CountyReviewer,
            credit_code: None,
            organization_name: None,
            region_code: Some("320115".into()),
        },
    )
    .await;
    let code = credit_code("91320583MA1R2T4Y5");
    let response = app
        .post(
            &Client::anonymous(),
            "/api/v1/registrations",
            registration(&code, "bing"),
        )
        .await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
    let organization_id = response.json()["organization_id"].as_i64().unwrap();
    assert!(response.json()["user_id"].as_i64().is_some());

    // The first applicant signs in and sees its organisation.
    let signed_in = sign_in_with(&app, "bing", "Bing-company-2026").await;
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.text());
    assert_eq!(signed_in.json()["user"]["role"], "applicant");
    assert_eq!(
        signed_in.json()["user"]["organization_id"].as_i64(),
        Some(organization_id)
    );

    // 昆山's county reviewer is told; the city reviewer and another county are not.
    let county = app.sign_in("county_ks").await;
    assert_eq!(
        notification_titles(&app, &county).await,
        ["新单位注册：丙公司"]
    );
    for other in ["city_sz", "county_jx", "city_nj"] {
        let client = app.sign_in(other).await;
        assert!(
            notification_titles(&app, &client).await.is_empty(),
            "{other} was told"
        );
    }

    // The county's list (and the province's) shows it; 南京 sees nothing.
    let list = app.get(&county, "/api/v1/registrations").await.json();
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["name"], "丙公司");
    assert_eq!(list["items"][0]["credit_code"], code.as_str());
    assert_eq!(list["items"][0]["contact"], "王经理");
    assert_eq!(list["items"][0]["kind"], "enterprise");
    let province = app.sign_in("province").await;
    assert_eq!(
        app.get(&province, "/api/v1/registrations").await.json()["total"],
        1
    );
    let nanjing = app.sign_in("county_jx").await;
    assert_eq!(
        app.get(&nanjing, "/api/v1/registrations").await.json()["total"],
        0
    );
    // Applicants and experts have no such list.
    let applicant = app.sign_in("applicant_a").await;
    assert_eq!(
        app.get(&applicant, "/api/v1/registrations").await.status,
        StatusCode::FORBIDDEN
    );
    // The page shows the same.
    let page = app.get(&county, "/registrations").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("丙公司") && page.text().contains(&code));

    // The registration is audited with the new user as its actor.
    let admin = app.sign_in("sysadmin").await;
    let audit = app
        .get(&admin, "/api/v1/audit?action=organization_registered")
        .await
        .json();
    assert_eq!(audit["total"], 1);
    assert_eq!(audit["items"][0]["actor"], "bing");
    assert_eq!(
        audit["items"][0]["object"],
        format!("organization:{organization_id}")
    );
}

#[tokio::test]
async fn registrations_with_bad_input_are_refused() {
    let app = TestApp::new().await;
    let code = credit_code("91320583MA1R2T4Y5");
    let last = code.chars().last().unwrap();
    let wrong = format!("{}{}", &code[..17], if last == '0' { '1' } else { '0' });
    let response = app
        .post(
            &Client::anonymous(),
            "/api/v1/registrations",
            registration(&wrong, "bing"),
        )
        .await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response.json()["message"]
            .as_str()
            .unwrap()
            .contains("校验位错误"),
        "{}",
        response.text()
    );
    // A province or a city is not a county.
    for region in ["32", "3205"] {
        let mut body = registration(&code, "bing");
        body["region_code"] = json!(region);
        let response = app
            .post(&Client::anonymous(), "/api/v1/registrations", body)
            .await;
        assert_eq!(
            response.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{region}"
        );
        assert!(response.text().contains("区县级"), "{}", response.text());
    }
    // Passwords that differ, a bad e-mail address, a bad phone.
    for (field, value, needle) in [
        ("password_confirm", "Another-pass-2026", "不一致"),
        ("email", "wang@", "电子邮箱"),
        ("phone", "abc", "电话"),
    ] {
        let mut body = registration(&code, "bing");
        body[field] = json!(value);
        let response = app
            .post(&Client::anonymous(), "/api/v1/registrations", body)
            .await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        assert!(response.text().contains(needle), "{}", response.text());
    }
    // Nothing was created.
    let admin = app.sign_in("sysadmin").await;
    let audit = app
        .get(&admin, "/api/v1/audit?action=organization_registered")
        .await
        .json();
    assert_eq!(audit["total"], 0);
}

#[tokio::test]
async fn a_registered_code_is_refused_alike_whoever_holds_it() {
    let app = TestApp::new().await;
    // An organisation without any account (created by the storage layer directly).
    let jiangning = pingjia_server::storage::region_by_code(&app.state.db, "320115")
        .await
        .unwrap()
        .unwrap();
    let lonely_code = credit_code("91320115MA1T5W7N2");
    let mut tx = app.state.db.begin().await.unwrap();
    pingjia_server::storage::insert_organization(
        &mut tx,
        "丁公司（无账号）",
        &lonely_code,
        "enterprise",
        &jiangning,
        app.state.now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    // 甲公司 has an applicant account; 丁公司 has none.
    let with_accounts = app
        .post(
            &Client::anonymous(),
            "/api/v1/registrations",
            registration(&credit_code("91320583MA1P7K2X0"), "new_one"),
        )
        .await;
    let without_accounts = app
        .post(
            &Client::anonymous(),
            "/api/v1/registrations",
            registration(&lonely_code, "new_two"),
        )
        .await;
    assert_eq!(with_accounts.status, StatusCode::CONFLICT);
    assert_eq!(without_accounts.status, StatusCode::CONFLICT);
    assert_eq!(with_accounts.body, without_accounts.body);
    let text = with_accounts.text();
    assert_eq!(with_accounts.json()["error"], "credit_code_taken");
    for secret in [
        "甲公司",
        "丁公司",
        "applicant_a",
        "昆山",
        "江宁",
        "320583",
        "320115",
    ] {
        assert!(!text.contains(secret), "{secret} revealed: {text}");
    }

    // A user name taken is said as such.
    let response = app
        .post(
            &Client::anonymous(),
            "/api/v1/registrations",
            registration(&credit_code("91320583MA1R2T4Y5"), "applicant_b"),
        )
        .await;
    assert_eq!(response.status, StatusCode::CONFLICT);
    assert_eq!(response.json()["error"], "username_taken");
}

#[tokio::test]
async fn registrations_are_throttled_per_address() {
    let app = TestApp::new_with(|config| config.max_registrations_per_address = 2).await;
    // Two attempts that reach the database (both refused: the code is 甲公司's) use the quota.
    for username in ["one", "two"] {
        let response = app
            .post(
                &Client::anonymous(),
                "/api/v1/registrations",
                registration(&credit_code("91320583MA1P7K2X0"), username),
            )
            .await;
        assert_eq!(response.status, StatusCode::CONFLICT);
    }
    let response = app
        .post(
            &Client::anonymous(),
            "/api/v1/registrations",
            registration(&credit_code("91320583MA1R2T4Y5"), "three"),
        )
        .await;
    assert_eq!(response.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.json()["error"], "too_many_attempts");
    // The window ends.
    app.advance(61 * 60);
    let response = app
        .post(
            &Client::anonymous(),
            "/api/v1/registrations",
            registration(&credit_code("91320583MA1R2T4Y5"), "three"),
        )
        .await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
}

async fn user_id(app: &TestApp, admin: &Client, username: &str) -> i64 {
    let list = app
        .get(admin, &format!("/api/v1/users?q={username}&per_page=200"))
        .await
        .json();
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == username)
        .unwrap_or_else(|| panic!("{username} in {list}"))["id"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn an_authority_manages_only_reviewers_and_experts_of_its_region() {
    let app = TestApp::new().await;
    let admin = app.sign_in("sysadmin").await;
    let province = app.sign_in("province").await;
    let ids: Vec<(String, i64)> = {
        let mut ids = Vec::new();
        for name in [
            "applicant_a",
            "county_ks",
            "city_nj",
            "sysadmin",
            "expert",
            "province",
        ] {
            ids.push((name.to_owned(), user_id(&app, &admin, name).await));
        }
        ids
    };
    let id = |name: &str| ids.iter().find(|(n, _)| n == name).unwrap().1;

    // The province's list: reviewers inside 江苏 only (the expert has no region).
    let list = app
        .get(&province, "/api/v1/users?per_page=200")
        .await
        .json();
    let mut names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["city_nj", "city_sz", "county_jn", "county_ks"]);
    assert_eq!(list["total"], 4);
    // Filters: role and region.
    let list = app
        .get(&province, "/api/v1/users?role=city_reviewer&region=3201")
        .await
        .json();
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["username"], "city_nj");

    // Outside its scope: a missing object, on every route.
    for name in ["applicant_a", "sysadmin", "expert", "province"] {
        let target = id(name);
        let missing = app.get(&province, "/api/v1/users/999999").await;
        for response in [
            app.get(&province, &format!("/api/v1/users/{target}")).await,
            app.request(
                &province,
                axum::http::Method::PATCH,
                &format!("/api/v1/users/{target}"),
                Some(json!({ "disabled": true })),
            )
            .await,
            app.post(
                &province,
                &format!("/api/v1/users/{target}/reset-password"),
                json!({}),
            )
            .await,
        ] {
            assert_eq!(response.status, StatusCode::NOT_FOUND, "{name}");
            assert_eq!(response.body, missing.body, "{name}");
        }
        let page = app.get(&province, &format!("/admin/users/{target}")).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{name} page");
    }
    // A Shaoxing authority sees none of Jiangsu's reviewers.
    add_user(
        &app,
        NewUserRequest {
            username: "sx_admin".into(),
            display_name: "绍兴市经信局".into(),
            password: PASSWORD.into(),
            role: Role::AuthorityAdmin,
            credit_code: None,
            organization_name: None,
            region_code: Some("3306".into()),
        },
    )
    .await;
    let shaoxing = app.sign_in("sx_admin").await;
    assert_eq!(
        app.get(&shaoxing, &format!("/api/v1/users/{}", id("county_ks")))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.get(&shaoxing, "/api/v1/users").await.json()["total"], 0);

    // Creating: a reviewer inside its region, yes; outside, or another role, no.
    let created = app
        .post(
            &province,
            "/api/v1/users",
            json!({ "username": "county_jx", "display_name": "江宁区", "password": "Another-pass-1", "role": "county_reviewer", "region_code": "320115" }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    assert_eq!(created.json()["must_change_password"], true);
    for (role, region) in [
        ("county_reviewer", "330603"),
        ("applicant", "320583"),
        ("system_admin", "32"),
        ("expert", ""),
    ] {
        let mut body = json!({ "username": format!("x_{role}"), "display_name": "x", "password": "Another-pass-1", "role": role });
        if !region.is_empty() {
            body["region_code"] = json!(region);
        }
        let response = app.post(&province, "/api/v1/users", body).await;
        assert_eq!(response.status, StatusCode::FORBIDDEN, "{role} {region}");
    }
    // An expert bound to a region inside its own is the authority's to manage.
    let expert = app
        .post(
            &province,
            "/api/v1/users",
            json!({ "username": "expert_js", "display_name": "专家", "password": "Another-pass-1", "role": "expert", "region_code": "32" }),
        )
        .await;
    assert_eq!(expert.status, StatusCode::CREATED, "{}", expert.text());
    let expert_id = expert.json()["id"].as_i64().unwrap();
    assert_eq!(
        app.get(&province, &format!("/api/v1/users/{expert_id}"))
            .await
            .status,
        StatusCode::OK
    );
    // Moving a reviewer: inside its region, yes; to Shaoxing, no.
    let moved = app
        .request(
            &province,
            axum::http::Method::PATCH,
            &format!("/api/v1/users/{}", id("county_ks")),
            Some(json!({ "region_code": "320585" })),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text());
    assert_eq!(moved.json()["region_code"], "320585");
    let refused = app
        .request(
            &province,
            axum::http::Method::PATCH,
            &format!("/api/v1/users/{}", id("county_ks")),
            Some(json!({ "region_code": "330603" })),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The moved reviewer is told.
    let county = app.sign_in("county_ks").await;
    assert_eq!(
        notification_titles(&app, &county).await,
        ["账号所属区域已调整为太仓市"]
    );
    // Other roles: refused (a role check), and the pages alike.
    let applicant = app.sign_in("applicant_a").await;
    assert_eq!(
        app.get(&applicant, "/api/v1/users").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get(&applicant, &format!("/api/v1/users/{}", id("county_ks")))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&applicant, "/admin/users").await.status,
        StatusCode::FORBIDDEN
    );
    let page = app.get(&province, "/admin/users").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("county_jx") && !page.text().contains("applicant_a"));
}

#[tokio::test]
async fn a_disabled_account_cannot_sign_in_and_its_token_stops_working() {
    let app = TestApp::new().await;
    let county = app.sign_in("county_ks").await;
    let token = app
        .post(
            &county,
            "/api/v1/me/tokens",
            json!({ "name": "robot", "scopes": "read" }),
        )
        .await
        .json()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let robot = Client::token(&token);
    assert_eq!(app.get(&robot, "/api/v1/me").await.status, StatusCode::OK);

    let province = app.sign_in("province").await;
    let admin = app.sign_in("sysadmin").await;
    let id = user_id(&app, &admin, "county_ks").await;
    let disabled = app
        .request(
            &province,
            axum::http::Method::PATCH,
            &format!("/api/v1/users/{id}"),
            Some(json!({ "disabled": true })),
        )
        .await;
    assert_eq!(disabled.status, StatusCode::OK, "{}", disabled.text());
    assert_eq!(disabled.json()["disabled"], 1);

    assert_eq!(
        app.get(&robot, "/api/v1/me").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get(&county, "/api/v1/me").await.status,
        StatusCode::UNAUTHORIZED
    );
    let refused = sign_in_with(&app, "county_ks", PASSWORD).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(refused.json()["error"], "wrong_credentials");

    // Enabled again: the password works, the revoked token stays revoked.
    let enabled = app
        .request(
            &province,
            axum::http::Method::PATCH,
            &format!("/api/v1/users/{id}"),
            Some(json!({ "disabled": false })),
        )
        .await;
    assert_eq!(enabled.status, StatusCode::OK);
    assert_eq!(
        sign_in_with(&app, "county_ks", PASSWORD).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.get(&robot, "/api/v1/me").await.status,
        StatusCode::UNAUTHORIZED
    );
    // Both changes are audited, with who did them.
    let audit = app
        .get(
            &admin,
            &format!("/api/v1/audit?object=user:{id}&actor=province"),
        )
        .await
        .json();
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["user_enabled", "user_disabled"]);
    // No one disables themselves.
    let own = user_id(&app, &admin, "sysadmin").await;
    let response = app
        .request(
            &admin,
            axum::http::Method::PATCH,
            &format!("/api/v1/users/{own}"),
            Some(json!({ "disabled": true })),
        )
        .await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_reset_gives_a_one_time_password_that_must_be_changed() {
    let app = TestApp::new().await;
    let admin = app.sign_in("sysadmin").await;
    let applicant = app.sign_in("applicant_a").await;
    let id = user_id(&app, &admin, "applicant_a").await;
    let reset = app
        .post(
            &admin,
            &format!("/api/v1/users/{id}/reset-password"),
            json!({}),
        )
        .await;
    assert_eq!(reset.status, StatusCode::OK, "{}", reset.text());
    let password = reset.json()["password"].as_str().unwrap().to_owned();
    assert!(
        password.starts_with("Pj-") && password.len() == 19,
        "{password}"
    );

    // The old session and the old password are gone.
    assert_eq!(
        app.get(&applicant, "/api/v1/me").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        sign_in_with(&app, "applicant_a", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    // The one-time password signs in, and must be changed before anything else.
    let signed_in = sign_in_with(&app, "applicant_a", &password).await;
    assert_eq!(signed_in.status, StatusCode::OK);
    assert_eq!(signed_in.json()["user"]["must_change_password"], true);
    let client = client_of(&signed_in);
    let blocked = app.get(&client, "/api/v1/applications").await;
    assert_eq!(blocked.status, StatusCode::FORBIDDEN);
    assert_eq!(blocked.json()["error"], "password_change_required");
    let changed = app
        .post(
            &client,
            "/api/v1/me/password",
            json!({ "current_password": password, "new_password": "A-new-password-2026" }),
        )
        .await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT, "{}", changed.text());
    assert_eq!(
        app.get(&client, "/api/v1/applications").await.status,
        StatusCode::OK
    );
    // The reset is audited and the user is told.
    let audit = app
        .get(&admin, "/api/v1/audit?action=password_reset")
        .await
        .json();
    assert_eq!(audit["total"], 1);
    assert_eq!(audit["items"][0]["object"], format!("user:{id}"));
    assert_eq!(
        notification_titles(&app, &client).await,
        ["您的密码已被管理员重置"]
    );
}

#[tokio::test]
async fn the_audit_log_is_for_system_administrators_and_filters() {
    let app = TestApp::new().await;
    let admin = app.sign_in("sysadmin").await;
    let a = app.sign_in("applicant_a").await;
    let application = app.new_application(&a, "network").await;

    let all = app.get(&admin, "/api/v1/audit").await.json();
    assert_eq!(all["chain_intact"], true);
    let total = all["total"].as_i64().unwrap();
    // Newest first: the sysadmin's own sign-in came before the applicant's work.
    let ids: Vec<i64> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "{ids:?}");

    let by_object = app
        .get(
            &admin,
            &format!("/api/v1/audit?object=application:{application}"),
        )
        .await
        .json();
    assert_eq!(by_object["total"], 1);
    assert_eq!(by_object["items"][0]["actor"], "applicant_a");
    let by_actor = app
        .get(&admin, "/api/v1/audit?actor=applicant_a&action=sign_in")
        .await
        .json();
    assert_eq!(by_actor["total"], 1);
    // The test clock reads 2026-05-29 04:26 China time (1,780,000,000 s): nothing happened
    // from the 30th on, all of it on the 29th, nothing up to the 28th.
    let later = app
        .get(&admin, "/api/v1/audit?from=2026-05-30")
        .await
        .json();
    assert_eq!(later["total"], 0);
    let that_day = app
        .get(&admin, "/api/v1/audit?from=2026-05-29&to=2026-05-29")
        .await
        .json();
    assert_eq!(that_day["total"].as_i64(), Some(total));
    let before = app.get(&admin, "/api/v1/audit?to=2026-05-28").await.json();
    assert_eq!(before["total"], 0);
    assert_eq!(
        app.get(&admin, "/api/v1/audit?from=yesterday").await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // Nobody else: not even the page exists for them.
    for user in ["province", "county_ks", "applicant_a", "expert"] {
        let client = app.sign_in(user).await;
        assert_eq!(
            app.get(&client, "/api/v1/audit").await.status,
            StatusCode::NOT_FOUND,
            "{user}"
        );
        assert_eq!(
            app.get(&client, "/admin/audit").await.status,
            StatusCode::NOT_FOUND,
            "{user} page"
        );
    }
    let page = app.get(&admin, "/admin/audit?action=sign_in").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("哈希链校验通过"), "{}", page.text());

    // A rewritten entry breaks the chain, and the viewer says so.
    sqlx::query("UPDATE audit_log SET details = 'rewritten' WHERE id = $1")
        .bind(ids[ids.len() - 1])
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    let broken = app.get(&admin, "/api/v1/audit").await.json();
    assert_eq!(broken["chain_intact"], false);
    assert_eq!(broken["broken_at"].as_i64(), Some(ids[ids.len() - 1]));
    assert!(
        app.get(&admin, "/admin/audit")
            .await
            .text()
            .contains("哈希链校验失败")
    );
}

#[tokio::test]
async fn a_user_reads_only_their_own_notifications() {
    let app = TestApp::new().await;
    // Two notifications for 甲公司's applicants, through the service other commands call.
    let organization_a = {
        let a = app.sign_in("applicant_a").await;
        app.get(&a, "/api/v1/me").await.json()["organization_id"]
            .as_i64()
            .unwrap()
    };
    let mut tx = app.state.db.begin().await.unwrap();
    for title in ["申报已退回修改", "新的审核意见"] {
        pingjia_server::services::notifications::notify_organization(
            &mut tx,
            organization_a,
            pingjia_server::services::notifications::Kind::Returned,
            None,
            title,
            "请按意见修改后重新提交。",
            app.state.now(),
        )
        .await
        .unwrap();
        app.advance(1);
    }
    tx.commit().await.unwrap();

    let a = app.sign_in("applicant_a").await;
    let b = app.sign_in("applicant_b").await;
    let inbox = app.get(&a, "/api/v1/me/notifications").await.json();
    assert_eq!(inbox["total"], 2);
    assert_eq!(inbox["unread"], 2);
    assert_eq!(inbox["items"][0]["title"], "新的审核意见");
    assert_eq!(inbox["items"][0]["kind"], "returned");
    let first = inbox["items"][1]["id"].as_i64().unwrap();
    assert!(notification_titles(&app, &b).await.is_empty());

    // Another user's notification is missing for b, exactly like one that does not exist.
    let missing = app
        .post(&b, "/api/v1/me/notifications/999999/read", json!({}))
        .await;
    let other = app
        .post(
            &b,
            &format!("/api/v1/me/notifications/{first}/read"),
            json!({}),
        )
        .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    assert_eq!(other.body, missing.body);
    assert_eq!(
        app.get(&a, "/api/v1/me/notifications").await.json()["unread"],
        2
    );

    // Read one: it goes below the unread one.
    let read = app
        .post(
            &a,
            &format!("/api/v1/me/notifications/{first}/read"),
            json!({}),
        )
        .await;
    assert_eq!(read.status, StatusCode::NO_CONTENT);
    let inbox = app.get(&a, "/api/v1/me/notifications").await.json();
    assert_eq!(inbox["unread"], 1);
    assert_eq!(inbox["items"][0]["title"], "新的审核意见");
    assert!(inbox["items"][1]["read_at"].as_i64().is_some());
    // The page header counts the unread one; read-all clears it.
    let page = app.get(&a, "/inbox").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text().contains("<span class=\"badge\""),
        "{}",
        page.text()
    );
    let all = app
        .post(&a, "/api/v1/me/notifications/read-all", json!({}))
        .await;
    assert_eq!(all.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get(&a, "/api/v1/me/notifications").await.json()["unread"],
        0
    );
    assert!(
        !app.get(&a, "/inbox")
            .await
            .text()
            .contains("<span class=\"badge\"")
    );
}

/// What a tiny SMTP server received: per message, the recipients and the data.
type Mailbox = Arc<Mutex<Vec<(Vec<String>, String)>>>;

/// Starts an SMTP listener on a free port speaking just enough of the protocol.
async fn smtp_listener() -> (String, Mailbox) {
    use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let received: Mailbox = Arc::default();
    let mailbox = received.clone();
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            let mailbox = mailbox.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"220 test ESMTP\r\n").await;
                let mut recipients = Vec::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    let command = line.to_ascii_uppercase();
                    let reply: &[u8] = if command.starts_with("EHLO") || command.starts_with("HELO")
                    {
                        b"250 test\r\n"
                    } else if command.starts_with("MAIL") {
                        recipients.clear();
                        b"250 OK\r\n"
                    } else if command.starts_with("RCPT") {
                        recipients.push(line[8..].trim().to_owned());
                        b"250 OK\r\n"
                    } else if command.starts_with("DATA") {
                        let _ = write.write_all(b"354 go ahead\r\n").await;
                        let mut data = String::new();
                        while let Ok(Some(line)) = lines.next_line().await {
                            if line == "." {
                                break;
                            }
                            data.push_str(&line);
                            data.push('\n');
                        }
                        mailbox.lock().unwrap().push((recipients.clone(), data));
                        b"250 queued\r\n"
                    } else if command.starts_with("QUIT") {
                        let _ = write.write_all(b"221 bye\r\n").await;
                        return;
                    } else {
                        b"250 OK\r\n"
                    };
                    if write.write_all(reply).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (format!("smtp://127.0.0.1:{port}"), received)
}

/// Decodes RFC 2047 encoded words (`=?utf-8?b?…?=`) of a header value.
fn decode_header(value: &str) -> String {
    fn base64(text: &str) -> Vec<u8> {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut bits = 0u32;
        let mut count = 0;
        let mut out = Vec::new();
        for byte in text.bytes().filter(|b| *b != b'=') {
            let value = ALPHABET.iter().position(|a| *a == byte).unwrap() as u32;
            bits = (bits << 6) | value;
            count += 6;
            if count >= 8 {
                count -= 8;
                out.push((bits >> count) as u8);
                bits &= (1 << count) - 1;
            }
        }
        out
    }
    let mut bytes = Vec::new();
    let mut rest = value;
    while let Some(start) = rest.to_ascii_lowercase().find("=?utf-8?b?") {
        let after = &rest[start + "=?utf-8?b?".len()..];
        let end = after.find("?=").unwrap();
        bytes.extend(base64(&after[..end]));
        rest = &after[end + 2..];
    }
    String::from_utf8(bytes).unwrap()
}

#[tokio::test]
async fn notifications_are_mailed_through_smtp_once() {
    let (url, received) = smtp_listener().await;
    let app = TestApp::new_with(|config| {
        config.smtp_url = Some(url);
        config.smtp_from = Some("pingjia <noreply@pingjia.example.cn>".into());
    })
    .await;
    let mut body = registration(&credit_code("91320583MA1R2T4Y5"), "bing");
    body["email"] = json!("wang@bing.example.cn");
    let response = app
        .post(&Client::anonymous(), "/api/v1/registrations", body)
        .await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());

    // Delivery was started after the commit; running it again (as a later command would)
    // sends nothing twice.
    let now = app.state.now();
    for _ in 0..50 {
        if !received.lock().unwrap().is_empty() {
            break;
        }
        pingjia_server::services::notifications::deliver_pending(&app.state, now)
            .await
            .unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(
        pingjia_server::services::notifications::deliver_pending(&app.state, now)
            .await
            .unwrap(),
        0
    );
    let messages = received.lock().unwrap().clone();
    // The county reviewer has no address: only the new applicant's welcome is mailed.
    assert_eq!(messages.len(), 1, "{messages:?}");
    let (recipients, data) = &messages[0];
    assert_eq!(recipients, &["<wang@bing.example.cn>"]);
    // Headers end at the first empty line; folded lines continue with a space.
    let headers = data.split("\n\n").next().unwrap().replace("\n ", " ");
    let subject = headers
        .lines()
        .find_map(|l| l.strip_prefix("Subject: "))
        .expect("a Subject header");
    assert!(subject.is_ascii(), "{subject}");
    assert_eq!(decode_header(subject), "欢迎，丙公司 已注册");
    assert!(
        headers.contains("From: pingjia <noreply@pingjia.example.cn>"),
        "{headers}"
    );
    assert!(headers.contains("To: wang@bing.example.cn"), "{headers}");

    // The inbox still shows it, marked as mailed.
    let signed_in = client_of(&sign_in_with(&app, "bing", "Bing-company-2026").await);
    let inbox = app.get(&signed_in, "/api/v1/me/notifications").await.json();
    assert!(inbox["items"][0]["emailed_at"].as_i64().is_some());
}
