//! The application tried as an attacker would: headers, hostile input, sign-in throttling,
//! one-time passwords, tokens, and what a forbidden object gives away. Each test here failed on
//! the code before its fix.

use crate::support;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::json;
use support::{Client, PASSWORD, TestApp, pdf};

fn is_json(response: &support::Response) -> bool {
    response
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

async fn sign_in_from(app: &TestApp, address: &str, username: &str, password: &str) -> StatusCode {
    let request = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/session")
        .header(header::CONTENT_TYPE, "application/json")
        .header("x-forwarded-for", format!("192.0.2.99, {address}"))
        .body(Body::from(
            json!({ "username": username, "password": password }).to_string(),
        ))
        .unwrap();
    app.send(request).await.status
}

#[tokio::test]
async fn pages_and_the_api_carry_a_content_security_policy_and_no_store() {
    let app = TestApp::new().await;
    let login = app.get(&Client::anonymous(), "/login").await;
    let policy = login
        .headers
        .get(header::CONTENT_SECURITY_POLICY)
        .expect("a policy")
        .to_str()
        .unwrap();
    assert!(policy.contains("script-src 'self'"), "{policy}");
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    // No inline script the policy would block: every script is a file or JSON data.
    let html = login.text();
    for tag in html.match_indices("<script").map(|(at, _)| &html[at..]) {
        let head = &tag[..tag.find('>').unwrap()];
        assert!(
            head.contains("src=") || head.contains("application/json"),
            "{head}"
        );
    }
    let a = app.sign_in("applicant_a").await;
    let me = app.get(&a, "/api/v1/me").await;
    assert_eq!(
        me.headers.get(header::CACHE_CONTROL).unwrap(),
        "no-store",
        "authenticated answers are not cached"
    );
    let page = app.get(&a, "/applications").await;
    assert_eq!(page.headers.get(header::CACHE_CONTROL).unwrap(), "no-store");
}

#[tokio::test]
async fn hostile_input_is_refused_with_422_never_500() {
    let app = TestApp::new().await;
    let anonymous = Client::anonymous();
    for (username, password) in [
        ("applicant\u{0}_a", PASSWORD.to_owned()),
        (&"长".repeat(65) as &str, PASSWORD.to_owned()),
        ("applicant_a", "x".repeat(129)),
    ] {
        let response = app
            .post(
                &anonymous,
                "/api/v1/session",
                json!({ "username": username, "password": password }),
            )
            .await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(is_json(&response));
    }
    let a = app.sign_in("applicant_a").await;
    let own = app.get(&a, "/api/v1/me").await.json()["organization_id"]
        .as_i64()
        .unwrap();
    let province = app.sign_in("province").await;
    let id = app.new_application(&a, "network").await;
    let checks: Vec<(&Client, Method, String, Option<serde_json::Value>)> = vec![
        (
            &province,
            Method::GET,
            "/api/v1/applications?q=%00".into(),
            None,
        ),
        (
            &province,
            Method::GET,
            format!("/api/v1/applications?q={}", "甲".repeat(201)),
            None,
        ),
        (
            &province,
            Method::GET,
            "/api/v1/applications?state=%00".into(),
            None,
        ),
        (
            &province,
            Method::GET,
            "/api/v1/applications?region=32%00".into(),
            None,
        ),
        (
            &province,
            Method::GET,
            "/api/v1/applications?page=99999999999999999999".into(),
            None,
        ),
        (
            &province,
            Method::GET,
            "/api/v1/applications?page=1000001".into(),
            None,
        ),
        (
            &province,
            Method::GET,
            "/api/v1/applications?per_page=0".into(),
            None,
        ),
        (
            &province,
            Method::GET,
            "/api/v1/organizations?page=-3".into(),
            None,
        ),
        (
            &a,
            Method::PUT,
            format!("/api/v1/organizations/{own}"),
            Some(json!({ "name": "甲\u{0}公司", "kind": "企业" })),
        ),
        (
            &a,
            Method::PUT,
            format!("/api/v1/organizations/{own}"),
            Some(json!({ "name": "甲公司", "kind": "企业", "address": "路".repeat(201) })),
        ),
        (
            &a,
            Method::PUT,
            format!("/api/v1/organizations/{own}"),
            Some(json!({ "name": "甲公司", "kind": "企业", "phone": "call me" })),
        ),
        (
            &a,
            Method::POST,
            "/api/v1/me/tokens".into(),
            Some(json!({ "name": "推送\u{0}", "scopes": "read" })),
        ),
        (
            &a,
            Method::POST,
            "/api/v1/me/tokens".into(),
            Some(json!({ "name": "令".repeat(101), "scopes": "read" })),
        ),
        (
            &a,
            Method::PUT,
            format!("/api/v1/applications/{id}/draft"),
            Some(json!({ "values": { "platform_name": "平台\u{0}" } })),
        ),
    ];
    for (client, method, path, body) in checks {
        let response = app.request(client, method.clone(), &path, body).await;
        assert_eq!(
            response.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{method} {path}: {}",
            response.text()
        );
        assert!(is_json(&response), "{method} {path}");
    }
}

#[tokio::test]
async fn framework_rejections_answer_the_documented_json_error() {
    let app = TestApp::new().await;
    let a = app.sign_in("applicant_a").await;
    // Not JSON, not a number, no such route, too large: each a JSON error with its status.
    let not_json = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/assess")
        .header(
            header::COOKIE,
            format!("pingjia_session={}", a.cookie.clone().unwrap()),
        )
        .header("x-csrf-token", a.csrf.clone().unwrap())
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{not json"))
        .unwrap();
    let response = app.send(not_json).await;
    assert!(response.status.is_client_error());
    assert!(is_json(&response), "{}", response.text());
    let response = app.get(&a, "/api/v1/applications/abc").await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert!(is_json(&response));
    assert_eq!(response.json()["error"], "bad_request");
    let response = app.get(&a, "/api/v1/no-such-thing").await;
    assert_eq!(response.status, StatusCode::NOT_FOUND);
    assert!(is_json(&response));
    // /assess has a body limit well below the upload limit.
    let big = "x".repeat(3 * 1024 * 1024);
    let response = app
        .post(
            &a,
            "/api/v1/assess",
            json!({ "scheme": "jiangsu-pool-2021", "provider_type": "network", "declaration": { "values": { "platform_name": big } } }),
        )
        .await;
    assert_eq!(response.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(is_json(&response));
}

#[tokio::test]
async fn a_one_time_password_is_changed_before_any_api_use() {
    let app = TestApp::new().await;
    let admin = app.sign_in("sysadmin").await;
    let created = app
        .post(
            &admin,
            "/api/v1/users",
            json!({ "username": "new_reviewer", "display_name": "新审核员", "password": "One-time-2026!", "role": "county_reviewer", "region_code": "320583" }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let response = app
        .post(
            &Client::anonymous(),
            "/api/v1/session",
            json!({ "username": "new_reviewer", "password": "One-time-2026!" }),
        )
        .await;
    assert_eq!(response.status, StatusCode::OK);
    let cookie = response
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("pingjia_session="))
        .map(|v| v.split(';').next().unwrap().to_owned());
    let client = Client {
        cookie,
        csrf: response.json()["csrf_token"].as_str().map(str::to_owned),
        bearer: None,
    };
    let refused = app.get(&client, "/api/v1/applications").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.json()["error"], "password_change_required");
    assert_eq!(app.get(&client, "/api/v1/me").await.status, StatusCode::OK);
    let changed = app
        .post(
            &client,
            "/api/v1/me/password",
            json!({ "current_password": "One-time-2026!", "new_password": "a passphrase of my own" }),
        )
        .await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT, "{}", changed.text());
    assert_eq!(
        app.get(&client, "/api/v1/applications").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn only_account_roles_can_be_given() {
    let app = TestApp::new().await;
    let admin = app.sign_in("sysadmin").await;
    for role in ["public", "superuser", ""] {
        let refused = app
            .post(
                &admin,
                "/api/v1/users",
                json!({ "username": format!("u_{role}"), "display_name": "x", "password": "a long enough one", "role": role }),
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{role}");
        assert!(is_json(&refused));
    }
}

#[tokio::test]
async fn a_password_change_ends_other_sessions_and_revokes_tokens() {
    let app = TestApp::new().await;
    let here = app.sign_in("applicant_a").await;
    let elsewhere = app.sign_in("applicant_a").await;
    let token = app
        .post(
            &here,
            "/api/v1/me/tokens",
            json!({ "name": "推送", "scopes": "read" }),
        )
        .await
        .json()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let bearer = Client::token(&token);
    assert_eq!(app.get(&bearer, "/api/v1/me").await.status, StatusCode::OK);
    // Common passwords and the user name are refused, with the reason.
    for weak in ["password", "applicant_a"] {
        let refused = app
            .post(
                &here,
                "/api/v1/me/password",
                json!({ "current_password": PASSWORD, "new_password": weak }),
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{weak}");
    }
    let changed = app
        .post(
            &here,
            "/api/v1/me/password",
            json!({ "current_password": PASSWORD, "new_password": "一句足够长的中文口令" }),
        )
        .await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT, "{}", changed.text());
    assert_eq!(app.get(&here, "/api/v1/me").await.status, StatusCode::OK);
    assert_eq!(
        app.get(&elsewhere, "/api/v1/me").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get(&bearer, "/api/v1/me").await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn tokens_say_what_they_may_do_and_when_they_end() {
    let app = TestApp::new().await;
    let a = app.sign_in("applicant_a").await;
    let write_only = app
        .post(
            &a,
            "/api/v1/me/tokens",
            json!({ "name": "只写", "scopes": "write" }),
        )
        .await;
    assert_eq!(write_only.status, StatusCode::UNPROCESSABLE_ENTITY);
    let created = app
        .post(
            &a,
            "/api/v1/me/tokens",
            json!({ "name": "一天", "scopes": "read write", "expires_in_days": 1 }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let bearer = Client::token(created.json()["token"].as_str().unwrap());
    assert_eq!(app.get(&bearer, "/api/v1/me").await.status, StatusCode::OK);
    // A token has no session: signing out with it says so instead of pretending.
    let out = app.delete(&bearer, "/api/v1/session").await;
    assert_eq!(out.status, StatusCode::CONFLICT);
    assert_eq!(out.json()["error"], "no_session");
    app.advance(86_400 + 1);
    assert_eq!(
        app.get(&bearer, "/api/v1/me").await.status,
        StatusCode::UNAUTHORIZED,
        "expired"
    );
}

#[tokio::test]
async fn sign_in_throttling_is_per_address_and_ends() {
    let app = TestApp::new_with(|config| config.trust_forwarded_for = true).await;
    let limit = app.state.config.max_failed_logins;
    for _ in 0..limit {
        assert_eq!(
            sign_in_from(&app, "203.0.113.7", "applicant_a", "wrong guess").await,
            StatusCode::UNAUTHORIZED
        );
    }
    // The guesser's address is stopped, even with the right password ...
    assert_eq!(
        sign_in_from(&app, "203.0.113.7", "applicant_a", PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // ... the real user, elsewhere, is not locked out ...
    assert_eq!(
        sign_in_from(&app, "198.51.100.4", "applicant_a", PASSWORD).await,
        StatusCode::OK
    );
    // ... and the lock ends with the window.
    app.advance(app.state.config.throttle_minutes * 60 + 1);
    assert_eq!(
        sign_in_from(&app, "203.0.113.7", "applicant_a", PASSWORD).await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn one_address_guessing_many_names_is_stopped() {
    let app = TestApp::new_with(|config| {
        config.trust_forwarded_for = true;
        config.max_failed_logins_per_address = 12;
    })
    .await;
    let mut statuses = Vec::new();
    for i in 0..15 {
        statuses.push(sign_in_from(&app, "203.0.113.9", &format!("user{i}"), "guess").await);
    }
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::UNAUTHORIZED)
            .count(),
        12,
        "{statuses:?}"
    );
    assert_eq!(statuses[14], StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn the_password_form_is_throttled_too() {
    let app = TestApp::new().await;
    let a = app.sign_in("applicant_a").await;
    let limit = app.state.config.max_failed_logins;
    for _ in 0..limit {
        let wrong = app
            .post(
                &a,
                "/api/v1/me/password",
                json!({ "current_password": "not it", "new_password": "a new passphrase" }),
            )
            .await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let throttled = app
        .post(
            &a,
            "/api/v1/me/password",
            json!({ "current_password": PASSWORD, "new_password": "a new passphrase" }),
        )
        .await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a_forbidden_file_answers_exactly_like_a_missing_one() {
    let app = TestApp::new().await;
    let a = app.sign_in("applicant_a").await;
    let b = app.sign_in("applicant_b").await;
    let id = app.new_application(&a, "network").await;
    let uploaded = app.upload(&a, id, "a.pdf", &pdf("a"), None).await.json();
    let existing = uploaded["id"].as_i64().unwrap();
    let forbidden = app
        .get(&b, &format!("/api/v1/evidence/{existing}/download"))
        .await;
    let missing = app
        .get(
            &b,
            &format!("/api/v1/evidence/{}/download", existing + 1000),
        )
        .await;
    assert_eq!(forbidden.status, StatusCode::NOT_FOUND);
    assert_eq!(forbidden.status, missing.status);
    assert_eq!(forbidden.body, missing.body);
    let forbidden = app
        .delete(&b, &format!("/api/v1/evidence/{existing}"))
        .await;
    let missing = app
        .delete(&b, &format!("/api/v1/evidence/{}", existing + 1000))
        .await;
    assert_eq!(forbidden.status, missing.status);
    assert_eq!(forbidden.body, missing.body);
}

#[tokio::test]
async fn a_submitted_version_keeps_the_organisation_as_it_was() {
    let app = TestApp::new().await;
    let a = app.sign_in("applicant_a").await;
    let id = app.new_application(&a, "network").await;
    app.submit(&a, id).await;
    let own = app.get(&a, "/api/v1/me").await.json()["organization_id"]
        .as_i64()
        .unwrap();
    let renamed = app
        .put(
            &a,
            &format!("/api/v1/organizations/{own}"),
            json!({ "name": "甲公司（更名后）", "kind": "企业" }),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.text());
    let reviewer = app.sign_in("county_ks").await;
    let seen = app
        .get(&reviewer, &format!("/api/v1/applications/{id}"))
        .await
        .json();
    assert_eq!(seen["organization"]["name"], "甲公司", "{seen}");
}
