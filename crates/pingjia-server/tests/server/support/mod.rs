//! `TestApp`: a fresh database (SQLite file by default; a fresh PostgreSQL schema when
//! `PINGJIA_TEST_DATABASE_URL` is set), seeded regions, organisations and one user per role,
//! and the real router driven without a network.

#![allow(
    dead_code,
    reason = "the harness serves every module; not each helper is used by the tests of every backend"
)]

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt as _;
use pingjia_server::services::accounts::NewUserRequest;
use pingjia_server::services::actor::Role;
use pingjia_server::{AppState, Config, Db};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, OnceLock};
use tower::ServiceExt as _;

pub const PASSWORD: &str = "Test-password-42";

/// Credit codes of the two seeded organisations (check characters computed by the library's
/// own tested function).
pub fn credit_code(prefix: &str) -> String {
    pingjia_server::services::credit_code::CreditCode::with_check(prefix)
        .unwrap()
        .to_string()
}

pub struct TestApp {
    pub state: AppState,
    pub router: axum::Router,
    pub clock: Arc<AtomicI64>,
    _dir: TempDir,
}

/// A signed-in client: the session cookie and its CSRF token (or an API token).
#[derive(Clone, Debug)]
pub struct Client {
    pub cookie: Option<String>,
    pub csrf: Option<String>,
    pub bearer: Option<String>,
}

impl Client {
    pub fn anonymous() -> Client {
        Client {
            cookie: None,
            csrf: None,
            bearer: None,
        }
    }
    pub fn token(token: &str) -> Client {
        Client {
            cookie: None,
            csrf: None,
            bearer: Some(token.to_owned()),
        }
    }
}

pub struct Response {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
}

impl Response {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|_| {
            panic!(
                "not JSON ({}): {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// The users seeded in every test app: (user name, role, organisation, region code).
pub const USERS: &[(&str, Role)] = &[
    ("applicant_a", Role::Applicant),    // 苏州·昆山 organisation A
    ("applicant_b", Role::Applicant),    // 南京·江宁 organisation B
    ("county_ks", Role::CountyReviewer), // 昆山市 (contains A; recommends to the province itself)
    ("county_jn", Role::CountyReviewer), // 南京市江宁区 (contains B)
    ("city_sz", Role::CityReviewer),     // 苏州市 (contains A)
    ("city_nj", Role::CityReviewer),     // 南京市 (contains B)
    ("province", Role::AuthorityAdmin),  // 江苏省 (contains both)
    ("expert", Role::Expert),
    ("sysadmin", Role::SystemAdmin),
];

pub struct TempDir(pub PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn temp_dir() -> TempDir {
    static COUNTER: AtomicI64 = AtomicI64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "pingjia-test-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    TempDir(dir)
}

/// The database for one test: a SQLite file, or a fresh schema on the PostgreSQL server.
async fn database(dir: &TempDir) -> Db {
    match std::env::var("PINGJIA_TEST_DATABASE_URL") {
        Ok(base) if !base.is_empty() => {
            // A prefix per CI run (`.ci/run` drops that run's schemas afterwards).
            let prefix = std::env::var("PINGJIA_TEST_SCHEMA_PREFIX")
                .ok()
                .filter(|p| p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or_default();
            let schema = format!(
                "{prefix}t{}_{}",
                std::process::id(),
                pingjia_server::services::accounts::random_token(6)
            );
            let admin = Db::open_without_migrations(&base)
                .await
                .expect("PostgreSQL reachable");
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
                .execute(&admin.pool)
                .await
                .unwrap();
            let separator = if base.contains('?') { '&' } else { '?' };
            Db::open(&format!(
                "{base}{separator}options=-c%20search_path%3D{schema}"
            ))
            .await
            .expect("open PostgreSQL schema")
        }
        _ => Db::open(&format!("sqlite://{}", dir.0.join("test.db").display()))
            .await
            .expect("open SQLite"),
    }
}

/// One argon2id hash for every seeded user: hashing is deliberately slow.
fn password_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| pingjia_server::services::accounts::hash_password(PASSWORD).unwrap())
}

impl TestApp {
    pub async fn new() -> TestApp {
        TestApp::new_with(|_| {}).await
    }

    /// A test application whose configuration `adjust` changes first.
    pub async fn new_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
        TestApp::build(adjust, pingjia_core::Catalog::builtin().unwrap()).await
    }

    /// A test application over another catalogue (say, the embedded schemes and a new year's
    /// version of one of them).
    pub async fn with_catalog(catalog: pingjia_core::Catalog) -> TestApp {
        TestApp::build(|_| {}, catalog).await
    }

    async fn build(adjust: impl FnOnce(&mut Config), catalog: pingjia_core::Catalog) -> TestApp {
        let dir = temp_dir();
        let db = database(&dir).await;
        pingjia_server::services::regions::seed(&db).await.unwrap();
        let clock = Arc::new(AtomicI64::new(1_780_000_000));
        let ticking = clock.clone();
        let mut config = Config {
            evidence_dir: dir.0.join("evidence"),
            max_upload_bytes: 256 * 1024,
            ..Config::default()
        };
        adjust(&mut config);
        let state = AppState::with_catalog(
            db,
            config,
            Arc::new(move || ticking.load(Ordering::SeqCst)),
            catalog,
        );
        let app = TestApp {
            router: pingjia_server::router(state.clone()),
            state,
            clock,
            _dir: dir,
        };
        app.seed().await;
        app
    }

    async fn seed(&self) {
        let now = self.state.now();
        let db = &self.state.db;
        let kunshan = pingjia_server::storage::region_by_code(db, "320583")
            .await
            .unwrap()
            .unwrap();
        let jiangning = pingjia_server::storage::region_by_code(db, "320115")
            .await
            .unwrap()
            .unwrap();
        let mut tx = db.begin().await.unwrap();
        let a = pingjia_server::storage::insert_organization(
            &mut tx,
            "甲公司",
            &credit_code("91320583MA1P7K2X0"),
            "enterprise",
            &kunshan,
            now,
        )
        .await
        .unwrap();
        let b = pingjia_server::storage::insert_organization(
            &mut tx,
            "乙公司",
            &credit_code("91320115MA1Q3D8H1"),
            "enterprise",
            &jiangning,
            now,
        )
        .await
        .unwrap();
        for (username, role) in USERS {
            let (organization, region) = match *username {
                "applicant_a" => (Some(a), None),
                "applicant_b" => (Some(b), None),
                "county_ks" => (None, Some("320583")),
                "county_jn" => (None, Some("320115")),
                "city_sz" => (None, Some("3205")),
                "city_nj" => (None, Some("3201")),
                "province" => (None, Some("32")),
                _ => (None, None),
            };
            let region_id = match region {
                Some(code) => Some(
                    pingjia_server::storage::region_by_code(db, code)
                        .await
                        .unwrap()
                        .unwrap()
                        .id,
                ),
                None => None,
            };
            pingjia_server::storage::insert_user(
                &mut tx,
                &pingjia_server::storage::NewUser {
                    username,
                    display_name: username,
                    password_hash: password_hash(),
                    role: role.as_str(),
                    organization_id: organization,
                    region_id,
                    must_change_password: false,
                },
                now,
            )
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
        self.seed_rounds().await;
    }

    /// One published round per scheme with a window that holds every date the tests use
    /// (2020–2099); the Shaoxing round is run by 绍兴市, the others by 江苏省; MIIT's parameters
    /// are the scheme's examples. Tests of the window itself make their own rounds.
    async fn seed_rounds(&self) {
        let db = &self.state.db;
        let now = self.state.now();
        let province = pingjia_server::storage::user_by_username(db, "province")
            .await
            .unwrap()
            .unwrap();
        for scheme in &self.state.catalog.schemes {
            let region = if scheme.id.starts_with("shaoxing") {
                "3306"
            } else {
                "32"
            };
            let region = pingjia_server::storage::region_by_code(db, region)
                .await
                .unwrap()
                .unwrap();
            let fields = pingjia_server::storage::RoundFields {
                name: format!("测试批次 {}", scheme.id),
                reference_year: Some(2020),
                cutoff: Some("2021-06-30".into()),
                opens_on: Some("2020-01-01".into()),
                closes_on: Some("2099-12-31".into()),
                aggregation: "mean".into(),
                params: pingjia_server::services::rounds::example_params(scheme),
                materials: "[]".into(),
                contact_office: "测试办公室".into(),
                ..Default::default()
            };
            let mut tx = db.begin().await.unwrap();
            let id = pingjia_server::storage::insert_round(
                &mut tx,
                &scheme.id,
                region.id,
                &fields,
                province.id,
                now,
            )
            .await
            .unwrap();
            pingjia_server::storage::publish_round(&mut tx, id, now)
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
    }

    /// Publishes a round of `scheme_id` run in `region` with the window `opens..=closes`
    /// (YYYY-MM-DD) and the scheme's example parameters; its id.
    pub async fn open_round(
        &self,
        scheme_id: &str,
        region: &str,
        opens: &str,
        closes: &str,
    ) -> i64 {
        let db = &self.state.db;
        let scheme = self
            .state
            .catalog
            .schemes
            .iter()
            .find(|s| s.id == scheme_id)
            .unwrap();
        let region = pingjia_server::storage::region_by_code(db, region)
            .await
            .unwrap()
            .unwrap();
        let province = pingjia_server::storage::user_by_username(db, "province")
            .await
            .unwrap()
            .unwrap();
        let fields = pingjia_server::storage::RoundFields {
            name: format!("{scheme_id} {opens}"),
            reference_year: Some(2020),
            cutoff: Some("2021-06-30".into()),
            opens_on: Some(opens.into()),
            closes_on: Some(closes.into()),
            aggregation: "mean".into(),
            params: pingjia_server::services::rounds::example_params(scheme),
            materials: "[]".into(),
            contact_office: "测试办公室".into(),
            ..Default::default()
        };
        let now = self.state.now();
        let mut tx = db.begin().await.unwrap();
        let id = pingjia_server::storage::insert_round(
            &mut tx,
            scheme_id,
            region.id,
            &fields,
            province.id,
            now,
        )
        .await
        .unwrap();
        pingjia_server::storage::publish_round(&mut tx, id, now)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        id
    }

    /// The id of the seeded round of a scheme.
    pub async fn round_of(&self, scheme_id: &str) -> i64 {
        pingjia_server::storage::published_rounds(&self.state.db)
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.scheme_id == scheme_id && r.name.starts_with("测试批次"))
            .unwrap()
            .id
    }

    pub fn advance(&self, seconds: i64) {
        self.clock.fetch_add(seconds, Ordering::SeqCst);
    }

    pub async fn request(
        &self,
        client: &Client,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Response {
        let mut builder = Request::builder().method(method.clone()).uri(path);
        if let Some(cookie) = &client.cookie {
            builder = builder.header(header::COOKIE, format!("pingjia_session={cookie}"));
        }
        if let Some(csrf) = &client.csrf
            && method != Method::GET
        {
            builder = builder.header("x-csrf-token", csrf);
        }
        if let Some(bearer) = &client.bearer {
            builder = builder.header(header::AUTHORIZATION, format!("Bearer {bearer}"));
        }
        let body = match body {
            Some(json) => {
                builder = builder.header(header::CONTENT_TYPE, "application/json");
                Body::from(json.to_string())
            }
            None => Body::empty(),
        };
        self.send(builder.body(body).unwrap()).await
    }

    pub async fn send(&self, request: Request<Body>) -> Response {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec();
        Response {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, client: &Client, path: &str) -> Response {
        self.request(client, Method::GET, path, None).await
    }
    pub async fn post(&self, client: &Client, path: &str, body: Value) -> Response {
        self.request(client, Method::POST, path, Some(body)).await
    }
    pub async fn put(&self, client: &Client, path: &str, body: Value) -> Response {
        self.request(client, Method::PUT, path, Some(body)).await
    }
    pub async fn delete(&self, client: &Client, path: &str) -> Response {
        self.request(client, Method::DELETE, path, None).await
    }

    /// Signs in through the API and returns the session.
    pub async fn sign_in(&self, username: &str) -> Client {
        let response = self
            .post(
                &Client::anonymous(),
                "/api/v1/session",
                json!({ "username": username, "password": PASSWORD }),
            )
            .await;
        assert_eq!(
            response.status,
            StatusCode::OK,
            "sign in {username}: {}",
            response.text()
        );
        let cookie = response
            .headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| v.strip_prefix("pingjia_session="))
            .map(|v| v.split(';').next().unwrap().to_owned())
            .expect("session cookie");
        Client {
            cookie: Some(cookie),
            csrf: response.json()["csrf_token"].as_str().map(str::to_owned),
            bearer: None,
        }
    }

    /// Starts a Jiangsu application as `client` and returns its id.
    pub async fn new_application(&self, client: &Client, provider_type: &str) -> i64 {
        let response = self
            .post(
                client,
                "/api/v1/applications",
                json!({ "scheme": "jiangsu-pool-2021", "provider_type": provider_type }),
            )
            .await;
        assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
        response.json()["application"]["id"].as_i64().unwrap()
    }

    /// Submits an application as `client`, which must succeed.
    pub async fn submit(&self, client: &Client, id: i64) {
        let response = self
            .post(
                client,
                &format!("/api/v1/applications/{id}/submit"),
                json!({}),
            )
            .await;
        assert_eq!(
            response.status,
            StatusCode::OK,
            "submit {id}: {}",
            response.text()
        );
    }

    /// Puts an application into `state` directly, standing in for the review chain's actions
    /// (return, reject) that the application does not offer yet.
    pub async fn set_state(&self, id: i64, state: &str) {
        sqlx::query("UPDATE applications SET state = $1 WHERE id = $2")
            .bind(state)
            .bind(id)
            .execute(&self.state.db.pool)
            .await
            .unwrap();
    }

    /// Uploads bytes as a multipart form to an application's evidence.
    pub async fn upload(
        &self,
        client: &Client,
        application: i64,
        filename: &str,
        bytes: &[u8],
        criterion: Option<&str>,
    ) -> Response {
        let boundary = "pingjia-test-boundary";
        let mut body = Vec::new();
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
        if let Some(criterion) = criterion {
            body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"criterion\"\r\n\r\n{criterion}\r\n").as_bytes());
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let mut builder = Request::builder()
            .method(Method::POST)
            .uri(format!("/api/v1/applications/{application}/evidence"))
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            );
        if let Some(cookie) = &client.cookie {
            builder = builder.header(header::COOKIE, format!("pingjia_session={cookie}"));
        }
        if let Some(csrf) = &client.csrf {
            builder = builder.header("x-csrf-token", csrf);
        }
        self.send(builder.body(Body::from(body)).unwrap()).await
    }
}

/// A minimal valid PDF (type detection reads the magic bytes).
pub fn pdf(text: &str) -> Vec<u8> {
    format!("%PDF-1.4\n% {text}\n%%EOF\n").into_bytes()
}

/// Creates a user through the library (for tests needing extra accounts).
pub async fn add_user(app: &TestApp, request: NewUserRequest) -> i64 {
    pingjia_server::services::accounts::create_user(&app.state, None, &request)
        .await
        .unwrap()
        .id
}

impl TestApp {
    /// Posts `bytes` as the `file` field of a multipart form to `path`, with `fields` before
    /// it (e.g. the page form's `csrf`); the API's CSRF header goes along with a session.
    pub async fn post_file(
        &self,
        client: &Client,
        path: &str,
        filename: &str,
        bytes: &[u8],
        fields: &[(&str, &str)],
    ) -> Response {
        let boundary = "pingjia-test-boundary";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes());
        }
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let mut builder = Request::builder().method(Method::POST).uri(path).header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        );
        if let Some(cookie) = &client.cookie {
            builder = builder.header(header::COOKIE, format!("pingjia_session={cookie}"));
        }
        if let Some(csrf) = &client.csrf {
            builder = builder.header("x-csrf-token", csrf);
        }
        if let Some(bearer) = &client.bearer {
            builder = builder.header(header::AUTHORIZATION, format!("Bearer {bearer}"));
        }
        self.send(builder.body(Body::from(body)).unwrap()).await
    }
}

// --- decisions and notices ---------------------------------------------------------------------

/// The example network declaration (examples/jiangsu/network.toml) as a draft body: 四星 by
/// its own reckoning (员工 72 ≥ 50 for 四星, < 100 for 五星; 四（三） of 003).
pub fn network_declaration() -> Value {
    let mut body = pingjia_core::declaration::parse_tree(
        include_str!("../../../../../examples/jiangsu/network.toml"),
        pingjia_core::declaration::Format::Toml,
    )
    .unwrap();
    let object = body.as_object_mut().unwrap();
    object.remove("scheme");
    object.remove("provider_type");
    body
}

impl TestApp {
    /// The path of every pool member: each application's expert review completed and its
    /// default result decided by the province, the round's 公示 opened, its 7 days passed, and
    /// the notice published with `document` dated `date`.
    pub async fn publish(&self, round: i64, applications: &[i64], document: &str, date: &str) {
        let province = self.sign_in("province").await;
        for &id in applications {
            self.complete_expert_review(id).await;
            let decided = self
                .post(
                    &province,
                    &format!("/api/v1/applications/{id}/decision"),
                    json!({}),
                )
                .await;
            assert_eq!(decided.status, StatusCode::OK, "{}", decided.text());
        }
        let opened = self
            .post(
                &province,
                &format!("/api/v1/rounds/{round}/notices"),
                json!({}),
            )
            .await;
        assert_eq!(opened.status, StatusCode::OK, "{}", opened.text());
        let notice = opened.json()["notice_id"].as_i64().unwrap();
        self.advance(7 * 86_400);
        let province = self.sign_in("province").await;
        let published = self
            .post(
                &province,
                &format!("/api/v1/notices/{notice}/publication"),
                json!({ "document_number": document, "document_date": date }),
            )
            .await;
        assert_eq!(published.status, StatusCode::OK, "{}", published.text());
    }
    /// Marks an application's expert review complete the way the experts' records do: one
    /// expert of the province, assigned, who declared no conflict and submitted.
    pub async fn complete_expert_review(&self, application_id: i64) {
        let db = &self.state.db;
        let province = pingjia_server::storage::user_by_username(db, "province")
            .await
            .unwrap()
            .unwrap();
        let now = self.state.now();
        let (expert_id,): (i64,) = sqlx::query_as(
            "INSERT INTO experts (region_id, name, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING id",
        )
        .bind(province.region_id.unwrap())
        .bind(format!("专家{application_id}"))
        .bind(now)
        .fetch_one(&db.pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO expert_assignments (application_id, expert_id, status, declared_at, submitted_at, assigned_by, assigned_at, updated_at) \
             VALUES ($1, $2, 'accepted', $3, $3, $4, $3, $3)",
        )
        .bind(application_id)
        .bind(expert_id)
        .bind(now)
        .bind(province.id)
        .execute(&db.pool)
        .await
        .unwrap();
    }

    /// A Jiangsu network application of `applicant` (`applicant_a` in 昆山, recommended by
    /// 昆山市 itself; `applicant_b` in 江宁, passed by 江宁区 and recommended by 南京市) taken
    /// through the review chain to the province's `expert_review`.
    pub async fn in_expert_review(&self, applicant: &str) -> i64 {
        let client = self.sign_in(applicant).await;
        let id = self.new_application(&client, "network").await;
        let saved = self
            .put(
                &client,
                &format!("/api/v1/applications/{id}/draft"),
                network_declaration(),
            )
            .await;
        assert_eq!(saved.status, StatusCode::OK, "{}", saved.text());
        self.submit(&client, id).await;
        let steps: &[(&str, &str)] = match applicant {
            "applicant_a" => &[("county_ks", "recommend")],
            _ => &[("county_jn", "pass"), ("city_nj", "recommend")],
        };
        for (reviewer, action) in steps {
            let reviewer = self.sign_in(reviewer).await;
            let moved = self
                .post(
                    &reviewer,
                    &format!("/api/v1/applications/{id}/decisions"),
                    json!({ "action": action }),
                )
                .await;
            assert_eq!(moved.status, StatusCode::OK, "{}", moved.text());
        }
        id
    }
}
