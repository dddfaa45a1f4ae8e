//! Authorization, table-driven: every role × every endpoint × own / other / draft object.
//! Deny by default: an object the caller may not see answers exactly like a missing one.

use crate::support;

use axum::http::{Method, StatusCode};
use serde_json::json;
use support::{Client, TestApp, USERS, pdf};

/// A blank 申报书 workbook of a Jiangsu provider type, as the application offers it.
fn workbook(app: &TestApp, provider_type: &str) -> Vec<u8> {
    let (scheme, provider_type) = pingjia_server::services::assessment::target(
        &app.state.catalog,
        "jiangsu-pool-2021",
        Some(provider_type),
    )
    .unwrap();
    pingjia_server::services::spreadsheets::declaration_workbook(
        scheme,
        provider_type,
        &json!({}),
        "某单位",
    )
    .unwrap()
}

/// A PDF route's answer when the page it prints answers `ok`: `503` instead of `200` on a
/// machine without the PDF font (the PDF tests in `tests/server/certificates.rs` require it in CI).
fn pdf_status(ok: StatusCode) -> StatusCode {
    if ok == StatusCode::OK
        && !std::path::Path::new(pingjia_server::config::DEFAULT_PDF_FONT).exists()
    {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        ok
    }
}

/// The provider type of each object (A and B apply as `network`, the draft as `solution`).
fn provider_type_of(object: Object) -> &'static str {
    match object {
        Object::A | Object::B => "network",
        Object::DraftA => "solution",
    }
}

/// Objects of the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Object {
    /// Organisation A's submitted application (苏州·昆山).
    A,
    /// Organisation B's submitted application (南京·江宁).
    B,
    /// Organisation A's unsubmitted draft.
    DraftA,
}

struct Ids {
    application_a: i64,
    application_b: i64,
    draft_a: i64,
    evidence_a: i64,
    evidence_b: i64,
    evidence_draft_a: i64,
    organization_a: i64,
    organization_b: i64,
    county_ks: i64,
    sysadmin: i64,
}

/// Who sees which application: the owner (drafts too), and regional roles whose region
/// contains the organisation (submitted only) and whose office is on its route: 苏州's city
/// office has no part in what 昆山市 recommends to the province itself (003 二（一）).
fn sees(user: &str, object: Object) -> bool {
    matches!(
        (user, object),
        ("applicant_a", Object::A | Object::DraftA)
            | ("applicant_b", Object::B)
            | ("county_ks" | "province", Object::A)
            | ("county_jn" | "city_nj" | "province", Object::B)
    )
}

/// Who sees which organisation.
fn sees_organization(user: &str, object: Object) -> bool {
    match object {
        Object::A | Object::DraftA => matches!(
            user,
            "applicant_a" | "county_ks" | "city_sz" | "province" | "sysadmin"
        ),
        Object::B => matches!(
            user,
            "applicant_b" | "county_jn" | "city_nj" | "province" | "sysadmin"
        ),
    }
}

fn owner(user: &str, object: Object) -> bool {
    matches!(
        (user, object),
        ("applicant_a", Object::A | Object::DraftA) | ("applicant_b", Object::B)
    )
}

fn is_applicant(user: &str) -> bool {
    user.starts_with("applicant")
}

async fn setup(app: &TestApp) -> Ids {
    let a = app.sign_in("applicant_a").await;
    let b = app.sign_in("applicant_b").await;
    let application_a = app.new_application(&a, "network").await;
    let application_b = app.new_application(&b, "network").await;
    let draft_a = app.new_application(&a, "solution").await;
    let evidence_a = app
        .upload(&a, application_a, "a.pdf", &pdf("a"), None)
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let evidence_b = app
        .upload(&b, application_b, "b.pdf", &pdf("b"), None)
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let evidence_draft_a = app
        .upload(&a, draft_a, "d.pdf", &pdf("d"), None)
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    for (client, id) in [(&a, application_a), (&b, application_b)] {
        let response = app
            .post(
                client,
                &format!("/api/v1/applications/{id}/submit"),
                json!({}),
            )
            .await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    }
    let organization_a = app.get(&a, "/api/v1/me").await.json()["organization_id"]
        .as_i64()
        .unwrap();
    let organization_b = app.get(&b, "/api/v1/me").await.json()["organization_id"]
        .as_i64()
        .unwrap();
    let admin = app.sign_in("sysadmin").await;
    let user_id = |list: serde_json::Value, name: &str| {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["username"] == name)
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let users = app.get(&admin, "/api/v1/users?per_page=200").await.json();
    let county_ks = user_id(users.clone(), "county_ks");
    let sysadmin = user_id(users, "sysadmin");
    Ids {
        county_ks,
        sysadmin,
        application_a,
        application_b,
        draft_a,
        evidence_a,
        evidence_b,
        evidence_draft_a,
        organization_a,
        organization_b,
    }
}

#[tokio::test]
async fn every_role_every_endpoint_own_and_other_objects() {
    let app = TestApp::new().await;
    let ids = setup(&app).await;
    let mut failures = Vec::new();

    for (user, _) in USERS {
        let client = app.sign_in(user).await;
        for object in [Object::A, Object::B, Object::DraftA] {
            let (application, evidence, organization) = match object {
                Object::A => (ids.application_a, ids.evidence_a, ids.organization_a),
                Object::B => (ids.application_b, ids.evidence_b, ids.organization_b),
                Object::DraftA => (ids.draft_a, ids.evidence_draft_a, ids.organization_a),
            };
            let read = if sees(user, object) {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            };
            // Writes: only applicants pass the role check; then ownership, then state.
            let write = |success: StatusCode| {
                if !is_applicant(user) {
                    StatusCode::FORBIDDEN
                } else if owner(user, object) {
                    success
                } else {
                    StatusCode::NOT_FOUND
                }
            };
            // Submitting the draft would change what later rows see; the stories cover it.
            let submit_success = StatusCode::CONFLICT;
            // A submitted application is under review: no edit, no upload (one rule for the
            // API and the pages); the draft takes both.
            let edit_success = |success: StatusCode| {
                if object == Object::DraftA {
                    success
                } else {
                    StatusCode::CONFLICT
                }
            };
            let delete_success = if object == Object::DraftA {
                StatusCode::NO_CONTENT
            } else {
                StatusCode::CONFLICT
            };
            let organization_read = if sees_organization(user, object) {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            };
            let organization_write = if owner(user, object) {
                StatusCode::OK
            } else if sees_organization(user, object) {
                StatusCode::FORBIDDEN
            } else {
                StatusCode::NOT_FOUND
            };
            let checks: Vec<(Method, String, Option<serde_json::Value>, StatusCode)> = vec![
                (
                    Method::GET,
                    format!("/api/v1/applications/{application}"),
                    None,
                    read,
                ),
                (
                    Method::GET,
                    format!("/api/v1/applications/{application}/evidence"),
                    None,
                    read,
                ),
                (
                    Method::GET,
                    format!("/api/v1/applications/{application}/versions/1"),
                    None,
                    read,
                ),
                (
                    Method::GET,
                    format!("/api/v1/evidence/{evidence}/download"),
                    None,
                    read,
                ),
                (
                    Method::GET,
                    format!("/api/v1/organizations/{organization}"),
                    None,
                    organization_read,
                ),
                (
                    Method::GET,
                    format!("/api/v1/applications/{application}/declaration.xlsx"),
                    None,
                    read,
                ),
                (
                    Method::GET,
                    format!("/api/v1/applications/{application}/declaration.xlsx?version=1"),
                    None,
                    read,
                ),
                (
                    Method::GET,
                    format!("/api/v1/applications/{application}/report.pdf"),
                    None,
                    pdf_status(read),
                ),
                (
                    Method::PUT,
                    format!("/api/v1/applications/{application}/draft"),
                    Some(json!({ "values": {} })),
                    write(edit_success(StatusCode::OK)),
                ),
                (
                    Method::PUT,
                    format!("/api/v1/organizations/{organization}"),
                    Some(json!({ "name": "名称", "kind": "企业" })),
                    organization_write,
                ),
                // Destructive checks last, so earlier rows see the objects as set up.
                (
                    Method::DELETE,
                    format!("/api/v1/evidence/{evidence}"),
                    None,
                    write(delete_success),
                ),
            ];
            let mut checks = checks;
            if object != Object::DraftA {
                checks.push((
                    Method::POST,
                    format!("/api/v1/applications/{application}/submit"),
                    Some(json!({})),
                    write(submit_success),
                ));
            }
            for (method, path, body, expected) in checks {
                let response = app.request(&client, method.clone(), &path, body).await;
                if response.status != expected {
                    let text: String = response.text().chars().take(160).collect();
                    failures.push(format!(
                        "{user} {method} {path} ({object:?}): expected {expected}, got {} {text}",
                        response.status
                    ));
                }
            }
            // Uploads are multipart.
            let upload = app
                .upload(&client, application, "x.pdf", &pdf(user), None)
                .await;
            let expected = write(edit_success(StatusCode::CREATED));
            if upload.status != expected {
                failures.push(format!(
                    "{user} upload ({object:?}): expected {expected}, got {}",
                    upload.status
                ));
            }
            // So is the import of a 申报书 workbook (of the object's own provider type).
            let path = format!("/api/v1/applications/{application}/declaration.xlsx");
            let import = app
                .post_file(
                    &client,
                    &path,
                    "x.xlsx",
                    &workbook(&app, provider_type_of(object)),
                    &[],
                )
                .await;
            let expected = write(edit_success(StatusCode::OK));
            if import.status != expected {
                failures.push(format!(
                    "{user} POST {path} ({object:?}): expected {expected}, got {}",
                    import.status
                ));
            }
        }

        // Endpoints without an object.
        let users_status = if matches!(*user, "sysadmin" | "province") {
            StatusCode::OK
        } else {
            StatusCode::FORBIDDEN
        };
        // Account management, registrations, the audit log and the inbox.
        let regional = matches!(
            *user,
            "county_ks" | "county_jn" | "city_sz" | "city_nj" | "province"
        );
        for (path, expected) in [
            (
                "/api/v1/registrations",
                if regional {
                    StatusCode::OK
                } else {
                    StatusCode::FORBIDDEN
                },
            ),
            (
                "/api/v1/audit",
                if *user == "sysadmin" {
                    StatusCode::OK
                } else {
                    StatusCode::NOT_FOUND
                },
            ),
            ("/api/v1/me/notifications", StatusCode::OK),
            (
                "/admin/audit",
                if *user == "sysadmin" {
                    StatusCode::OK
                } else {
                    StatusCode::NOT_FOUND
                },
            ),
            (
                "/admin/users",
                if matches!(*user, "sysadmin" | "province") {
                    StatusCode::OK
                } else {
                    StatusCode::FORBIDDEN
                },
            ),
            (
                "/registrations",
                if regional {
                    StatusCode::OK
                } else {
                    StatusCode::FORBIDDEN
                },
            ),
            ("/inbox", StatusCode::OK),
        ] {
            let got = app.get(&client, path).await.status;
            if got != expected {
                failures.push(format!("{user} GET {path}: expected {expected}, got {got}"));
            }
        }
        // One account of each kind under management: the county reviewer (inside the
        // province), the system administrator (nobody's but its own kind's).
        for (target, managers) in [
            (ids.county_ks, &["sysadmin", "province"][..]),
            (ids.sysadmin, &["sysadmin"][..]),
        ] {
            let expected = if managers.contains(user) {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            };
            for path in [
                format!("/api/v1/users/{target}"),
                format!("/admin/users/{target}"),
            ] {
                let got = app.get(&client, &path).await.status;
                if got != expected {
                    failures.push(format!("{user} GET {path}: expected {expected}, got {got}"));
                }
            }
        }
        let got = app.get(&client, "/api/v1/users").await.status;
        if got != users_status {
            failures.push(format!(
                "{user} GET /api/v1/users: expected {users_status}, got {got}"
            ));
        }
        let create_user = app.post(&client, "/api/v1/users", json!({ "username": format!("made_by_{user}"), "display_name": "x", "password": "Another-pass-1", "role": "expert" })).await.status;
        let expected = if *user == "sysadmin" {
            StatusCode::CREATED
        } else {
            StatusCode::FORBIDDEN
        };
        if create_user != expected {
            failures.push(format!(
                "{user} POST /api/v1/users: expected {expected}, got {create_user}"
            ));
        }
        let create = app
            .post(
                &client,
                "/api/v1/applications",
                json!({ "scheme": "jiangsu-pool-2021", "provider_type": "supporting" }),
            )
            .await
            .status;
        let expected = if is_applicant(user) {
            StatusCode::CREATED
        } else {
            StatusCode::FORBIDDEN
        };
        if create != expected {
            failures.push(format!(
                "{user} POST /api/v1/applications: expected {expected}, got {create}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} authorization mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn lists_show_exactly_what_each_role_may_see() {
    let app = TestApp::new().await;
    let ids = setup(&app).await;
    for (user, _) in USERS {
        let client = app.sign_in(user).await;
        let list = app
            .get(&client, "/api/v1/applications?per_page=200")
            .await
            .json();
        let mut seen: Vec<i64> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_i64().unwrap())
            .collect();
        seen.sort_unstable();
        let mut expected: Vec<i64> = [
            (Object::A, ids.application_a),
            (Object::B, ids.application_b),
            (Object::DraftA, ids.draft_a),
        ]
        .into_iter()
        .filter(|(object, _)| sees(user, *object))
        .map(|(_, id)| id)
        .collect();
        expected.sort_unstable();
        assert_eq!(seen, expected, "{user} application list");
        assert_eq!(
            list["total"].as_i64().unwrap(),
            expected.len() as i64,
            "{user} total"
        );

        let organizations = app.get(&client, "/api/v1/organizations").await.json();
        let mut seen: Vec<i64> = organizations["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].as_i64().unwrap())
            .collect();
        seen.sort_unstable();
        let mut expected: Vec<i64> = [
            (Object::A, ids.organization_a),
            (Object::B, ids.organization_b),
        ]
        .into_iter()
        .filter(|(object, _)| sees_organization(user, *object))
        .map(|(_, id)| id)
        .collect();
        expected.sort_unstable();
        assert_eq!(seen, expected, "{user} organisation list");
    }
}

#[tokio::test]
async fn anonymous_callers_and_read_only_tokens_are_refused() {
    let app = TestApp::new().await;
    let ids = setup(&app).await;
    let anonymous = Client::anonymous();
    for path in [
        "/api/v1/me".to_owned(),
        "/api/v1/applications".to_owned(),
        format!("/api/v1/applications/{}", ids.application_a),
        format!("/api/v1/evidence/{}/download", ids.evidence_a),
        format!(
            "/api/v1/applications/{}/declaration.xlsx",
            ids.application_a
        ),
        "/api/v1/organizations".to_owned(),
        "/api/v1/schemes".to_owned(),
        "/api/v1/regions".to_owned(),
    ] {
        assert_eq!(
            app.get(&anonymous, &path).await.status,
            StatusCode::UNAUTHORIZED,
            "{path}"
        );
    }
    let a = app.sign_in("applicant_a").await;
    let token = app
        .post(
            &a,
            "/api/v1/me/tokens",
            json!({ "name": "ro", "scopes": "read" }),
        )
        .await
        .json()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let reader = Client::token(&token);
    assert_eq!(
        app.get(
            &reader,
            &format!("/api/v1/applications/{}", ids.application_a)
        )
        .await
        .status,
        StatusCode::OK
    );
    assert_eq!(
        app.get(
            &reader,
            &format!("/api/v1/applications/{}", ids.application_b)
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.put(
            &reader,
            &format!("/api/v1/applications/{}/draft", ids.draft_a),
            json!({ "values": {} })
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.delete(
            &reader,
            &format!("/api/v1/evidence/{}", ids.evidence_draft_a)
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    // Identifier guessing finds nothing: ids just past the real ones answer like other people's.
    for id in [ids.application_b + 100, 0, -1] {
        assert_eq!(
            app.get(&a, &format!("/api/v1/applications/{id}"))
                .await
                .json()["error"],
            "not_found"
        );
    }
}

/// A page form post with the session's CSRF token in the body.
async fn post_page(app: &TestApp, client: &Client, path: &str) -> support::Response {
    let request = axum::http::Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(
            axum::http::header::COOKIE,
            format!("pingjia_session={}", client.cookie.clone().unwrap()),
        )
        .header(
            axum::http::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(axum::body::Body::from(format!(
            "csrf={}",
            client.csrf.clone().unwrap()
        )))
        .unwrap();
    app.send(request).await
}

/// The same matrix over the page routes: the pages call the same services as the API, so a
/// forbidden object is missing there too, and a write is refused for the same reasons.
#[tokio::test]
async fn every_role_every_page_own_and_other_objects() {
    let app = TestApp::new().await;
    let ids = setup(&app).await;
    let mut failures = Vec::new();
    for (user, _) in USERS {
        let client = app.sign_in(user).await;
        for object in [Object::A, Object::B, Object::DraftA] {
            let (application, evidence) = match object {
                Object::A => (ids.application_a, ids.evidence_a),
                Object::B => (ids.application_b, ids.evidence_b),
                Object::DraftA => (ids.draft_a, ids.evidence_draft_a),
            };
            let read = if sees(user, object) {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            };
            for path in [
                format!("/applications/{application}"),
                format!("/applications/{application}?version=1"),
                format!("/applications/{application}/report"),
            ] {
                let got = app.get(&client, &path).await.status;
                if got != read {
                    failures.push(format!(
                        "{user} GET {path} ({object:?}): expected {read}, got {got}"
                    ));
                }
            }
            // Writes: applicants only; then ownership (a stranger's object is missing); then
            // state (a submitted application is not edited: 409; the draft takes the save).
            let write = |success: StatusCode| {
                if !is_applicant(user) {
                    StatusCode::FORBIDDEN
                } else if !owner(user, object) {
                    StatusCode::NOT_FOUND
                } else if object == Object::DraftA {
                    success
                } else {
                    StatusCode::CONFLICT
                }
            };
            let mut checks = vec![(
                format!("/applications/{application}"),
                write(StatusCode::SEE_OTHER),
            )];
            if object != Object::DraftA {
                checks.push((
                    format!("/applications/{application}/submit"),
                    write(StatusCode::OK),
                ));
            }
            // Destructive last.
            checks.push((
                format!("/applications/{application}/evidence/{evidence}/delete"),
                write(StatusCode::SEE_OTHER),
            ));
            // The 申报书 import form is multipart, its CSRF token in the body.
            let import = app
                .post_file(
                    &Client {
                        csrf: None,
                        ..client.clone()
                    },
                    &format!("/applications/{application}/declaration"),
                    "x.xlsx",
                    &workbook(&app, provider_type_of(object)),
                    &[("csrf", client.csrf.as_deref().unwrap())],
                )
                .await;
            let mut responses = vec![(
                format!("/applications/{application}/declaration"),
                write(StatusCode::SEE_OTHER),
                import,
            )];
            for (path, expected) in checks {
                let response = post_page(&app, &client, &path).await;
                responses.push((path, expected, response));
            }
            for (path, expected, response) in responses {
                let got = response.status;
                // A successful form post either shows the page again or redirects; a refusal
                // for the application's state is the state's 409, or a redirect back to the
                // application carrying the refusal (no page is left on a POST URL).
                let flash = response
                    .headers
                    .get_all(axum::http::header::SET_COOKIE)
                    .iter()
                    .any(|v| v.to_str().is_ok_and(|v| v.starts_with("flash=")));
                let success = expected == StatusCode::SEE_OTHER
                    && (got.is_success() || got.is_redirection())
                    && !flash;
                let refused =
                    expected == StatusCode::CONFLICT && got == StatusCode::SEE_OTHER && flash;
                if got != expected && !success && !refused {
                    failures.push(format!(
                        "{user} POST {path} ({object:?}): expected {expected}, got {got}"
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} page authorization mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Rounds: only the authority of the round's region manages it (API and pages); everyone
/// else, other roles included, finds no round at all; the notices are public. The impact
/// analysis (`/api/v1/regrade`, `/regrade`) is the authority's alone as well.
#[tokio::test]
async fn every_role_every_round_route() {
    let app = TestApp::new().await;
    let province = app.sign_in("province").await;
    let published = app.round_of("jiangsu-pool-2021").await;
    let draft = app
        .post(
            &province,
            "/api/v1/rounds",
            json!({ "scheme": "jiangsu-pool-2021" }),
        )
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let mut failures = Vec::new();
    let mut clients: Vec<(String, Client)> = Vec::new();
    for (user, _) in USERS {
        clients.push(((*user).to_owned(), app.sign_in(user).await));
    }
    clients.push(("anonymous".to_owned(), Client::anonymous()));
    for (user, client) in &clients {
        let authority = user == "province";
        let manage = |success: StatusCode| {
            if authority {
                success
            } else if user == "anonymous" {
                StatusCode::UNAUTHORIZED
            } else {
                StatusCode::NOT_FOUND
            }
        };
        let mut checks: Vec<(Method, String, Option<serde_json::Value>, StatusCode)> = vec![
            (
                Method::GET,
                "/api/v1/rounds".into(),
                None,
                manage(StatusCode::OK),
            ),
            (
                Method::GET,
                format!("/api/v1/rounds/{draft}"),
                None,
                manage(StatusCode::OK),
            ),
            (
                Method::GET,
                format!("/api/v1/rounds/{published}"),
                None,
                manage(StatusCode::OK),
            ),
            (
                Method::PATCH,
                format!("/api/v1/rounds/{draft}"),
                Some(json!({ "notice": format!("{user}") })),
                manage(StatusCode::OK),
            ),
            (
                Method::PATCH,
                format!("/api/v1/rounds/{published}"),
                Some(json!({ "cutoff": "2021-05-31" })),
                manage(StatusCode::CONFLICT),
            ),
            (
                Method::POST,
                format!("/api/v1/rounds/{draft}/publish"),
                Some(json!({})),
                manage(StatusCode::UNPROCESSABLE_ENTITY),
            ),
            (
                Method::POST,
                format!("/api/v1/rounds/{published}/publish"),
                Some(json!({})),
                manage(StatusCode::CONFLICT),
            ),
            (
                Method::POST,
                "/api/v1/rounds".into(),
                Some(json!({ "scheme": "miit-platform-2018" })),
                manage(StatusCode::CREATED),
            ),
            (
                Method::GET,
                format!("/api/v1/rounds/{published}/analytics"),
                None,
                manage(StatusCode::OK),
            ),
            // The impact analysis of a new scheme version (the authority's pool).
            (
                Method::GET,
                "/api/v1/regrade?from=jiangsu-pool-2021&to=jiangsu-pool-2021".into(),
                None,
                manage(StatusCode::OK),
            ),
            (
                Method::GET,
                "/api/v1/regrade.csv?from=jiangsu-pool-2021&to=jiangsu-pool-2021".into(),
                None,
                manage(StatusCode::OK),
            ),
            // Public: published rounds for everyone, a draft for nobody.
            (
                Method::GET,
                "/api/v1/public/rounds".into(),
                None,
                StatusCode::OK,
            ),
            (
                Method::GET,
                format!("/api/v1/public/rounds/{published}"),
                None,
                StatusCode::OK,
            ),
            (
                Method::GET,
                format!("/api/v1/public/rounds/{draft}"),
                None,
                StatusCode::NOT_FOUND,
            ),
            (Method::GET, "/notices".into(), None, StatusCode::OK),
            (
                Method::GET,
                format!("/notices/rounds/{published}"),
                None,
                StatusCode::OK,
            ),
            (
                Method::GET,
                format!("/notices/rounds/{draft}"),
                None,
                StatusCode::NOT_FOUND,
            ),
        ];
        if user != "anonymous" {
            // The authority's pages; signed-out visitors are sent to sign in instead.
            for path in [
                "/rounds".to_owned(),
                "/rounds/new".to_owned(),
                format!("/rounds/{draft}"),
                format!("/rounds/{draft}/edit"),
                format!("/rounds/{published}"),
                format!("/rounds/{published}/edit"),
                format!("/rounds/{published}/analytics"),
                "/regrade".to_owned(),
                "/regrade?from=jiangsu-pool-2021&to=jiangsu-pool-2021".to_owned(),
                "/regrade.csv?from=jiangsu-pool-2021&to=jiangsu-pool-2021".to_owned(),
            ] {
                checks.push((Method::GET, path, None, manage(StatusCode::OK)));
            }
        }
        for (method, path, body, expected) in checks {
            let response = app.request(client, method.clone(), &path, body).await;
            if response.status != expected {
                let text: String = response.text().chars().take(160).collect();
                failures.push(format!(
                    "{user} {method} {path}: expected {expected}, got {} {text}",
                    response.status
                ));
            }
        }
        if user != "anonymous" {
            let response = post_page(&app, client, &format!("/rounds/{draft}/publish")).await;
            // The authority's refused publication goes back to the round with the reason.
            let expected = manage(StatusCode::SEE_OTHER);
            if response.status != expected {
                failures.push(format!(
                    "{user} POST /rounds/{draft}/publish: expected {expected}, got {}",
                    response.status
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} round authorization mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The decisions each user may take, by application and state, written out from
/// docs/workflow.md §5 (and 003 二（二）1 for 昆山's direct recommendation): A is 甲公司 in 昆山
/// (no city level), B is 乙公司 in 江宁 (county → 南京 → province). `decide` and `decline`
/// need a finished expert review, which no application has here.
fn expected_actions(user: &str, object: Object, state: &str) -> &'static [&'static str] {
    match (user, object, state) {
        (
            "applicant_a",
            Object::A,
            "county_review" | "city_review" | "expert_review" | "returned",
        )
        | (
            "applicant_b",
            Object::B,
            "county_review" | "city_review" | "expert_review" | "returned",
        ) => &["withdraw"],
        ("county_ks", Object::A, "county_review") => &["recommend", "return", "reject"],
        ("county_jn", Object::B, "county_review") => &["pass", "return", "reject"],
        ("city_nj", Object::B, "city_review") => &["recommend", "return", "reject"],
        ("province", Object::A | Object::B, "expert_review") => {
            &["return", "return_to_recommender", "reject"]
        }
        _ => &[],
    }
}

#[tokio::test]
async fn every_role_every_review_endpoint_by_state_region_and_ownership() {
    let app = TestApp::new().await;
    let a = app.sign_in("applicant_a").await;
    let b = app.sign_in("applicant_b").await;
    let application_a = app.new_application(&a, "network").await;
    let application_b = app.new_application(&b, "network").await;
    app.submit(&a, application_a).await;
    app.submit(&b, application_b).await;
    let mut clients = Vec::new();
    for (user, _) in USERS {
        clients.push((*user, app.sign_in(user).await));
    }
    let mut failures = Vec::new();
    for state in ["county_review", "city_review", "expert_review", "returned"] {
        for (object, id) in [(Object::A, application_a), (Object::B, application_b)] {
            app.set_state(id, state).await;
            for (user, client) in &clients {
                let seen = sees(user, object);
                // What the user may read: the timeline, the actions, the confirmations.
                for path in [
                    format!("/api/v1/applications/{id}/timeline"),
                    format!("/api/v1/applications/{id}/actions"),
                    format!("/api/v1/applications/{id}/confirmations"),
                ] {
                    let got = app.get(client, &path).await;
                    let expected = if seen {
                        StatusCode::OK
                    } else {
                        StatusCode::NOT_FOUND
                    };
                    if got.status != expected {
                        failures.push(format!("{user} GET {path} in {state}: {}", got.status));
                    }
                    if !seen {
                        let absent = app
                            .get(
                                client,
                                &path.replace(
                                    &format!("/applications/{id}/"),
                                    "/applications/999999/",
                                ),
                            )
                            .await;
                        if got.body != absent.body {
                            failures
                                .push(format!("{user} GET {path}: not a missing object's body"));
                        }
                    }
                }
                if seen {
                    let actions = app
                        .get(client, &format!("/api/v1/applications/{id}/actions"))
                        .await
                        .json();
                    let expected = json!(expected_actions(user, object, state));
                    if actions != expected {
                        failures.push(format!(
                            "{user} actions on {object:?} in {state}: {actions} (expected {expected})"
                        ));
                    }
                }
                // A decision the user may not take changes nothing: hidden → 404 as missing;
                // seen but not this office's step → 403 or 409.
                let path = format!("/api/v1/applications/{id}/decisions");
                for action in ["pass", "recommend", "reject", "withdraw"] {
                    if expected_actions(user, object, state).contains(&action) {
                        continue;
                    }
                    let got = app
                        .post(client, &path, json!({ "action": action, "comment": "x" }))
                        .await;
                    let ok = if seen {
                        matches!(got.status, StatusCode::FORBIDDEN | StatusCode::CONFLICT)
                            || (is_applicant(user) && got.status == StatusCode::FORBIDDEN)
                    } else {
                        got.status == StatusCode::NOT_FOUND
                    };
                    if !ok {
                        failures.push(format!(
                            "{user} {action} on {object:?} in {state}: {} {}",
                            got.status,
                            got.text()
                        ));
                    }
                }
                let current = app
                    .get(
                        &clients.iter().find(|(u, _)| *u == "province").unwrap().1,
                        &format!("/api/v1/applications/{id}"),
                    )
                    .await
                    .json()["application"]["state"]
                    .clone();
                if current != json!(state) {
                    failures.push(format!(
                        "{user} moved {object:?} out of {state} to {current}"
                    ));
                    app.set_state(id, state).await;
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} review authorization mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Experts in the matrix: on organisation A's application under expert review, an expert with
/// an accepted assignment reads it; a pending, declined or unassigned one gets the 404 of a
/// missing id on every route, API and pages. The experts' own routes are experts' only, and
/// the authority's expert routes are not an expert's.
#[tokio::test]
async fn every_expert_relation_every_application_route() {
    let app = TestApp::new().await;
    let a = app.sign_in("applicant_a").await;
    let application = app.new_application(&a, "network").await;
    let evidence = app
        .upload(&a, application, "a.pdf", &pdf("a"), None)
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    app.submit(&a, application).await;
    app.set_state(application, "expert_review").await;
    let round = app.round_of("jiangsu-pool-2021").await;
    let province = app.sign_in("province").await;
    let mut pool = Vec::new();
    for name in ["accepted", "pending", "declined", "unassigned"] {
        support::add_user(
            &app,
            pingjia_server::services::accounts::NewUserRequest {
                username: name.into(),
                display_name: name.into(),
                password: support::PASSWORD.into(),
                role: pingjia_server::services::actor::Role::Expert,
                credit_code: None,
                organization_name: None,
                region_code: Some("32".into()),
            },
        )
        .await;
        let created = app
            .post(
                &province,
                "/api/v1/experts",
                json!({ "name": name, "username": name }),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
        pool.push(created.json()["id"].as_i64().unwrap());
    }
    let assigned = app
        .post(
            &province,
            &format!("/api/v1/applications/{application}/experts"),
            json!({ "expert_ids": &pool[..3] }),
        )
        .await;
    assert_eq!(assigned.status, StatusCode::OK, "{}", assigned.text());
    for (name, no_conflict) in [("accepted", true), ("declined", false)] {
        let client = app.sign_in(name).await;
        let task = app.get(&client, "/api/v1/expert/assignments").await.json()[0]["assignment_id"]
            .as_i64()
            .unwrap();
        let declared = app
            .post(
                &client,
                &format!("/api/v1/expert/assignments/{task}/declaration"),
                json!({ "no_conflict": no_conflict, "text": "亲属在该公司任职" }),
            )
            .await;
        assert_eq!(declared.status, StatusCode::OK, "{}", declared.text());
    }
    let mut failures = Vec::new();
    for name in ["accepted", "pending", "declined", "unassigned"] {
        let client = app.sign_in(name).await;
        let read = if name == "accepted" {
            StatusCode::OK
        } else {
            StatusCode::NOT_FOUND
        };
        let checks = [
            (format!("/api/v1/applications/{application}"), read),
            (format!("/api/v1/applications/{application}/evidence"), read),
            (
                format!("/api/v1/applications/{application}/versions/1"),
                read,
            ),
            (format!("/api/v1/applications/{application}/timeline"), read),
            (
                format!("/api/v1/applications/{application}/confirmations"),
                read,
            ),
            (
                format!("/api/v1/applications/{application}/declaration.xlsx"),
                read,
            ),
            (format!("/api/v1/evidence/{evidence}/download"), read),
            (format!("/applications/{application}"), read),
            (
                format!("/api/v1/applications/{application}/experts"),
                StatusCode::FORBIDDEN,
            ),
            ("/api/v1/experts".to_owned(), StatusCode::FORBIDDEN),
            ("/api/v1/expert/assignments".to_owned(), StatusCode::OK),
            (
                format!("/applications/{application}/experts"),
                StatusCode::FORBIDDEN,
            ),
            ("/experts".to_owned(), StatusCode::FORBIDDEN),
            (format!("/experts/{}", pool[0]), StatusCode::FORBIDDEN),
            (format!("/rounds/{round}/panel"), StatusCode::FORBIDDEN),
        ];
        for (path, expected) in checks {
            let response = app.get(&client, &path).await;
            if response.status != expected {
                failures.push(format!(
                    "{name} GET {path}: expected {expected}, got {}",
                    response.status
                ));
            }
        }
        // The draft-editing and decision routes stay closed to every expert.
        let decision = app
            .post(
                &client,
                &format!("/api/v1/applications/{application}/decisions"),
                json!({ "action": "decide" }),
            )
            .await;
        let expected = if name == "accepted" {
            StatusCode::FORBIDDEN
        } else {
            StatusCode::NOT_FOUND
        };
        if decision.status != expected {
            failures.push(format!(
                "{name} POST decisions: expected {expected}, got {}",
                decision.status
            ));
        }
    }
    // The experts' own routes are refused to every other role, the pool's pages to everyone
    // but the authority.
    for (user, _) in USERS.iter().filter(|(user, _)| *user != "expert") {
        let client = app.sign_in(user).await;
        if *user != "province" {
            for path in ["/experts".to_owned(), format!("/rounds/{round}/panel")] {
                let response = app.get(&client, &path).await;
                if response.status != StatusCode::FORBIDDEN {
                    failures.push(format!(
                        "{user} GET {path}: expected 403, got {}",
                        response.status
                    ));
                }
            }
        }
        let response = app.get(&client, "/api/v1/expert/assignments").await;
        if response.status != StatusCode::FORBIDDEN {
            failures.push(format!(
                "{user} GET /api/v1/expert/assignments: expected 403, got {}",
                response.status
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Decisions, notices, objections and publication: the round's authority only (anyone else the
/// 404 of a missing object; signed out 401), the public routes for everyone. A is decided and
/// on notice with one objection; the clock is past the period.
#[tokio::test]
async fn every_role_every_decision_and_notice_route() {
    let app = TestApp::new().await;
    let round = app.round_of("jiangsu-pool-2021").await;
    let a = app.in_expert_review("applicant_a").await;
    let b = app.in_expert_review("applicant_b").await;
    app.complete_expert_review(a).await;
    app.complete_expert_review(b).await;
    let province = app.sign_in("province").await;
    let decided = app
        .post(
            &province,
            &format!("/api/v1/applications/{a}/decision"),
            json!({}),
        )
        .await;
    assert_eq!(decided.status, StatusCode::OK, "{}", decided.text());
    let notice = app
        .post(
            &province,
            &format!("/api/v1/rounds/{round}/notices"),
            json!({}),
        )
        .await
        .json()["notice_id"]
        .as_i64()
        .unwrap();
    let entry = app
        .get(
            &Client::anonymous(),
            &format!("/api/v1/public/notices/{notice}"),
        )
        .await
        .json()["entries"][0]["entry_id"]
        .as_i64()
        .unwrap();
    let objection = app
        .post(
            &Client::anonymous(),
            &format!("/api/v1/public/notices/{notice}/objections"),
            json!({ "entry_id": entry, "name": "王五", "contact": "13800000000", "text": "异议" }),
        )
        .await
        .json()["objection_id"]
        .as_i64()
        .unwrap();
    app.advance(8 * 86_400);
    let mut failures = Vec::new();
    let mut clients: Vec<(String, Client)> = Vec::new();
    for (user, _) in USERS {
        clients.push(((*user).to_owned(), app.sign_in(user).await));
    }
    clients.push(("anonymous".to_owned(), Client::anonymous()));
    for (user, client) in &clients {
        let manage = |success: StatusCode| {
            if user == "province" {
                success
            } else if user == "anonymous" {
                StatusCode::UNAUTHORIZED
            } else {
                StatusCode::NOT_FOUND
            }
        };
        // The authority's writes here are refused for the state (no change), so that every
        // role meets the same objects.
        let checks: Vec<(Method, String, Option<serde_json::Value>, StatusCode)> = vec![
            (
                Method::GET,
                format!("/api/v1/rounds/{round}/decisions"),
                None,
                manage(StatusCode::OK),
            ),
            (
                Method::POST,
                format!("/api/v1/rounds/{round}/decisions"),
                Some(json!({ "ids": [a] })),
                manage(StatusCode::OK),
            ),
            (
                Method::POST,
                format!("/api/v1/applications/{a}/decision"),
                Some(json!({})),
                manage(StatusCode::CONFLICT),
            ),
            (
                Method::POST,
                format!("/api/v1/applications/{b}/decision"),
                Some(json!({ "result": "star6" })),
                manage(StatusCode::UNPROCESSABLE_ENTITY),
            ),
            (
                Method::PUT,
                format!("/api/v1/rounds/{round}/quota"),
                Some(json!({ "quota": 0 })),
                manage(StatusCode::UNPROCESSABLE_ENTITY),
            ),
            (
                Method::GET,
                format!("/api/v1/rounds/{round}/notices"),
                None,
                manage(StatusCode::OK),
            ),
            (
                Method::POST,
                format!("/api/v1/rounds/{round}/notices"),
                Some(json!({ "days": 3 })),
                manage(StatusCode::UNPROCESSABLE_ENTITY),
            ),
            (
                Method::GET,
                format!("/api/v1/notices/{notice}"),
                None,
                manage(StatusCode::OK),
            ),
            (
                Method::POST,
                format!("/api/v1/notices/{notice}/publication"),
                Some(
                    json!({ "document_number": "苏工信〔2026〕1号", "document_date": "2026-06-06" }),
                ),
                manage(StatusCode::CONFLICT),
            ),
            (
                Method::POST,
                format!("/api/v1/objections/{objection}/resolution"),
                Some(json!({ "outcome": "uphold", "reason": "x" })),
                manage(StatusCode::UNPROCESSABLE_ENTITY),
            ),
            (
                Method::GET,
                "/api/v1/public/notices".into(),
                None,
                StatusCode::OK,
            ),
            (
                Method::GET,
                format!("/api/v1/public/notices/{notice}"),
                None,
                StatusCode::OK,
            ),
            (
                Method::GET,
                "/api/v1/public/notices/999999".into(),
                None,
                StatusCode::NOT_FOUND,
            ),
            (
                Method::GET,
                "/api/v1/public/published".into(),
                None,
                StatusCode::OK,
            ),
            (
                Method::GET,
                "/api/v1/public/published.csv".into(),
                None,
                StatusCode::OK,
            ),
            // After the period, for everyone, with the closing date.
            (
                Method::POST,
                format!("/api/v1/public/notices/{notice}/objections"),
                Some(
                    json!({ "entry_id": entry, "name": "王五", "contact": "138", "text": "迟到" }),
                ),
                StatusCode::CONFLICT,
            ),
            (Method::GET, "/public-notices".into(), None, StatusCode::OK),
            (
                Method::GET,
                format!("/public-notices/{notice}"),
                None,
                StatusCode::OK,
            ),
            (Method::GET, "/published".into(), None, StatusCode::OK),
            // Nothing is published in this round yet: no certificate, for anyone.
            (
                Method::GET,
                "/api/v1/public/certificates/ZS-2026-000001".into(),
                None,
                StatusCode::NOT_FOUND,
            ),
            (
                Method::GET,
                "/api/v1/public/certificates/ZS-2026-000001/pdf".into(),
                None,
                StatusCode::NOT_FOUND,
            ),
            (Method::GET, "/certificates".into(), None, StatusCode::OK),
            (
                Method::GET,
                "/certificates/ZS-2026-000001".into(),
                None,
                StatusCode::NOT_FOUND,
            ),
            (
                Method::GET,
                format!("/api/v1/applications/{a}/decision-record"),
                None,
                manage(StatusCode::OK),
            ),
            (
                Method::GET,
                format!("/api/v1/applications/{b}/decision-record.pdf"),
                None,
                pdf_status(manage(StatusCode::OK)),
            ),
        ];
        for (method, path, body, expected) in checks {
            let response = app.request(client, method.clone(), &path, body).await;
            if response.status != expected {
                let text: String = response.text().chars().take(160).collect();
                failures.push(format!(
                    "{user} {method} {path}: expected {expected}, got {} {text}",
                    response.status
                ));
            }
        }
        if user != "anonymous" {
            for path in [
                format!("/rounds/{round}/decisions"),
                format!("/public-notices/{notice}/manage"),
                format!("/applications/{a}/decision-record"),
            ] {
                let response = app.get(client, &path).await;
                if response.status != manage(StatusCode::OK) {
                    failures.push(format!("{user} GET {path}: got {}", response.status));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} decision authorization mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The public directory and its open data: every role and a signed-out visitor get the same
/// answers (the same bytes for the open data); a member that does not exist is the 404 of any
/// missing object for everyone. 甲公司 is published (a member of the pool).
#[tokio::test]
async fn every_role_every_directory_route() {
    let app = TestApp::new().await;
    let round = app.round_of("jiangsu-pool-2021").await;
    let a = app.in_expert_review("applicant_a").await;
    app.publish(round, &[a], "苏工信〔2026〕88号", "2026-06-05")
        .await;
    let member = app
        .get(&Client::anonymous(), "/api/v1/public/directory")
        .await
        .json()["items"][0]["id"]
        .as_i64()
        .unwrap();
    let open_data: Vec<(String, StatusCode)> = vec![
        ("/api/v1/public/directory".into(), StatusCode::OK),
        (
            "/api/v1/public/directory?region=3205&sort=stars".into(),
            StatusCode::OK,
        ),
        (format!("/api/v1/public/directory/{member}"), StatusCode::OK),
        (
            "/api/v1/public/directory/999999".into(),
            StatusCode::NOT_FOUND,
        ),
        ("/api/v1/public/directory.csv".into(), StatusCode::OK),
        ("/api/v1/public/directory.xlsx".into(), StatusCode::OK),
        ("/api/v1/public/directory/stats".into(), StatusCode::OK),
        (
            "/api/v1/public/directory?stars=9".into(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ];
    let pages: Vec<(String, StatusCode)> = vec![
        ("/directory".into(), StatusCode::OK),
        ("/directory?region=3205".into(), StatusCode::OK),
        (format!("/directory/{member}"), StatusCode::OK),
        ("/directory/999999".into(), StatusCode::NOT_FOUND),
        ("/directory/stats".into(), StatusCode::OK),
        ("/directory/stats?region=3205".into(), StatusCode::OK),
    ];
    let reference: Vec<Vec<u8>> = {
        let mut bodies = Vec::new();
        for (path, _) in &open_data {
            bodies.push(app.get(&Client::anonymous(), path).await.body);
        }
        bodies
    };
    let mut clients: Vec<(String, Client)> = Vec::new();
    for (user, _) in USERS {
        clients.push(((*user).to_owned(), app.sign_in(user).await));
    }
    clients.push(("anonymous".to_owned(), Client::anonymous()));
    let mut failures = Vec::new();
    for (user, client) in &clients {
        for ((path, expected), body) in open_data.iter().zip(&reference) {
            let response = app.get(client, path).await;
            if response.status != *expected || &response.body != body {
                failures.push(format!(
                    "{user} GET {path}: expected {expected} and the signed-out body, got {}",
                    response.status
                ));
            }
        }
        for (path, expected) in &pages {
            let response = app.get(client, path).await;
            if response.status != *expected {
                failures.push(format!(
                    "{user} GET {path}: expected {expected}, got {}",
                    response.status
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} directory authorization mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The resource pool's routes (`/api/v1/pool/…`, `/pool…`, the fraud rejection): the authority
/// that granted a member only; every other role finds nothing (404, as for a missing id), a
/// caller without a session is refused (401). The authority's writes are refused for their
/// input here (422), so that every role meets the same objects.
#[tokio::test]
async fn every_role_every_pool_route() {
    let app = TestApp::new().await;
    let a = app.in_expert_review("applicant_a").await;
    let b = app.in_expert_review("applicant_b").await;
    let round = app.round_of("jiangsu-pool-2021").await;
    app.publish(round, &[a], "苏工信〔2026〕9号", "2026-06-05")
        .await;
    let province = app.sign_in("province").await;
    let member = app.get(&province, "/api/v1/pool/members").await.json()["members"][0]["id"]
        .as_i64()
        .unwrap();
    let mut failures = Vec::new();
    let mut clients: Vec<(String, Client)> = Vec::new();
    for (user, _) in USERS {
        clients.push(((*user).to_owned(), app.sign_in(user).await));
    }
    clients.push(("anonymous".to_owned(), Client::anonymous()));
    for (user, client) in &clients {
        let manage = |success: StatusCode| {
            if user == "province" {
                success
            } else if user == "anonymous" {
                StatusCode::UNAUTHORIZED
            } else {
                StatusCode::NOT_FOUND
            }
        };
        let checks: Vec<(Method, String, Option<serde_json::Value>, StatusCode)> = vec![
            (
                Method::GET,
                "/api/v1/pool/members".into(),
                None,
                manage(StatusCode::OK),
            ),
            (
                Method::GET,
                format!("/api/v1/pool/members/{member}"),
                None,
                manage(StatusCode::OK),
            ),
            (
                Method::GET,
                "/api/v1/pool/members/999999".into(),
                None,
                manage(StatusCode::NOT_FOUND),
            ),
            (
                Method::POST,
                format!("/api/v1/pool/members/{member}/spot-checks"),
                Some(json!({ "outcome": "pass" })),
                manage(StatusCode::UNPROCESSABLE_ENTITY),
            ),
            (
                Method::POST,
                format!("/api/v1/pool/members/{member}/revocation"),
                Some(json!({ "ground": "", "found_on": "2026-06-01", "detail": "x" })),
                manage(StatusCode::UNPROCESSABLE_ENTITY),
            ),
            (
                Method::GET,
                "/api/v1/pool/spot-check-files/999999".into(),
                None,
                manage(StatusCode::NOT_FOUND),
            ),
            (
                Method::GET,
                "/api/v1/pool/bars".into(),
                None,
                manage(StatusCode::OK),
            ),
            (
                Method::GET,
                "/api/v1/pool/legacy-members".into(),
                None,
                manage(StatusCode::OK),
            ),
            (
                Method::POST,
                "/api/v1/pool/legacy-members".into(),
                Some(
                    json!({ "scheme": "jiangsu-pool-2021", "document_date": "2025-06-20", "members": [] }),
                ),
                manage(StatusCode::UNPROCESSABLE_ENTITY),
            ),
            (
                Method::POST,
                format!("/api/v1/applications/{b}/fraud"),
                Some(json!({ "ground": "", "found_on": "2026-06-01", "detail": "x" })),
                manage(StatusCode::UNPROCESSABLE_ENTITY),
            ),
        ];
        for (method, path, body, expected) in checks {
            let response = app.request(client, method.clone(), &path, body).await;
            if response.status != expected {
                let text: String = response.text().chars().take(160).collect();
                failures.push(format!(
                    "{user} {method} {path}: expected {expected}, got {} {text}",
                    response.status
                ));
            }
        }
        if user != "anonymous" {
            for path in [
                "/pool".to_owned(),
                format!("/pool/{member}"),
                "/pool/bars".to_owned(),
                "/pool/legacy".to_owned(),
            ] {
                let response = app.get(client, &path).await;
                if response.status != manage(StatusCode::OK) {
                    failures.push(format!("{user} GET {path}: got {}", response.status));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} pool authorization mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
