//! The server-rendered pages, driven through the real router without a network: sign-in
//! through the form, every page with its key Chinese strings, the declaration saved without
//! JavaScript (the grade changes), CSRF and sign-in enforcement, HTML error pages.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt as _;
use pingjia_server::context::Clock;
use pingjia_server::{AppState, Config, Db};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tower::ServiceExt as _;

/// A fresh database and evidence directory per test, removed afterwards.
struct TestApp {
    router: axum::Router,
    state: AppState,
    dir: PathBuf,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// 2026-01-05 10:00 China time.
const NOW: i64 = 1_767_578_400;

async fn app() -> TestApp {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "pingjia-pages-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let db = Db::open(&format!("sqlite://{}", dir.join("pages.db").display()))
        .await
        .unwrap();
    pingjia_server::services::regions::seed(&db).await.unwrap();
    let config = Config {
        evidence_dir: dir.join("evidence"),
        ..Config::default()
    };
    let clock: Clock = Arc::new(|| NOW);
    let state = AppState::new(db, config, clock).unwrap();
    pingjia_server::services::demo::load(&state).await.unwrap();
    TestApp {
        router: pingjia_server::router(state.clone()),
        state,
        dir,
    }
}

struct Page {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Page {
    fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    fn assert_contains(&self, needles: &[&str]) {
        for needle in needles {
            assert!(
                self.body.contains(needle),
                "page ({}) lacks {needle:?}:\n{}",
                self.status,
                self.body
            );
        }
    }

    /// The value of the hidden `csrf` field of the page's first form that has one.
    fn csrf(&self) -> String {
        let marker = "name=\"csrf\" value=\"";
        let start = self.body.find(marker).expect("a csrf field") + marker.len();
        let end = self.body[start..].find('"').unwrap();
        self.body[start..start + end].to_owned()
    }
}

/// A browser: cookies carried from one response to the next.
#[derive(Default, Clone)]
struct Browser {
    cookies: Vec<(String, String)>,
}

impl Browser {
    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn send(
        &mut self,
        app: &TestApp,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Page {
        let mut request = Request::builder().method(method).uri(path);
        if !self.cookies.is_empty() {
            request = request.header(header::COOKIE, self.cookie_header());
        }
        if let Some(content_type) = content_type {
            request = request.header(header::CONTENT_TYPE, content_type);
        }
        let response = app
            .router
            .clone()
            .oneshot(request.body(Body::from(body)).unwrap())
            .await
            .unwrap();
        for value in response.headers().get_all(header::SET_COOKIE) {
            let text = value.to_str().unwrap();
            let pair = text.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            self.cookies.retain(|(k, _)| k != name);
            if !value.is_empty() {
                self.cookies.push((name.to_owned(), value.to_owned()));
            }
        }
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        Page {
            status,
            headers,
            // minijinja escapes `/` in HTML; a browser reads it back as `/`.
            body: String::from_utf8_lossy(&bytes).replace("&#x2f;", "/"),
        }
    }

    async fn get(&mut self, app: &TestApp, path: &str) -> Page {
        self.send(app, Method::GET, path, None, Vec::new()).await
    }

    async fn post_form(&mut self, app: &TestApp, path: &str, fields: &[(&str, &str)]) -> Page {
        let body = fields
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        self.send(
            app,
            Method::POST,
            path,
            Some("application/x-www-form-urlencoded"),
            body.into_bytes(),
        )
        .await
    }

    /// Signs in through the login form, as a person would.
    async fn sign_in(app: &TestApp, username: &str) -> Browser {
        let mut browser = Browser::default();
        let form = browser.get(app, "/login").await;
        assert_eq!(form.status, StatusCode::OK);
        form.assert_contains(&["登录", "用户名", "密码"]);
        let csrf = form.csrf();
        let signed_in = browser
            .post_form(
                app,
                "/login",
                &[
                    ("csrf", &csrf),
                    ("username", username),
                    ("password", pingjia_server::services::demo::DEMO_PASSWORD),
                    ("next", "/applications"),
                ],
            )
            .await;
        assert_eq!(
            signed_in.status,
            StatusCode::SEE_OTHER,
            "{}",
            signed_in.body
        );
        assert_eq!(signed_in.location(), "/applications");
        browser
    }
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The id of the applicant's application under a provider type (from the list page's links).
async fn application_id(app: &TestApp, username: &str, provider_type: &str) -> i64 {
    let user = pingjia_server::storage::user_by_username(&app.state.db, username)
        .await
        .unwrap()
        .unwrap();
    let scope = pingjia_server::storage::Scope::Organization(user.organization_id.unwrap());
    let (items, _) = pingjia_server::storage::applications(
        &app.state.db,
        &scope,
        &pingjia_server::storage::ApplicationFilter::default(),
        pingjia_server::storage::Page::new(None, None),
    )
    .await
    .unwrap();
    items
        .iter()
        .find(|a| a.provider_type.as_deref() == Some(provider_type))
        .map(|a| a.id)
        .unwrap()
}

/// The id of the applicant's application under a scheme without provider types.
async fn application_in(app: &TestApp, username: &str, scheme: &str) -> i64 {
    let user = pingjia_server::storage::user_by_username(&app.state.db, username)
        .await
        .unwrap()
        .unwrap();
    let scope = pingjia_server::storage::Scope::Organization(user.organization_id.unwrap());
    let (items, _) = pingjia_server::storage::applications(
        &app.state.db,
        &scope,
        &pingjia_server::storage::ApplicationFilter::default(),
        pingjia_server::storage::Page::new(None, None),
    )
    .await
    .unwrap();
    items
        .iter()
        .find(|a| a.scheme_id == scheme)
        .map(|a| a.id)
        .unwrap()
}

/// The stars grade inside the live result panel.
fn result_grade(page: &Page) -> String {
    let start = page.body.find("id=\"result-body\"").expect("result panel");
    let rest = &page.body[start..];
    let badge = rest.find("grade-badge").unwrap();
    let open = rest[badge..].find('>').unwrap() + badge + 1;
    let close = rest[open..].find('<').unwrap() + open;
    rest[open..close].trim().to_owned()
}

#[tokio::test]
async fn anonymous_visitors_are_sent_to_the_login_page() {
    let app = app().await;
    let mut browser = Browser::default();
    for path in [
        "/applications",
        "/applications/new",
        "/applications/1",
        "/applications/1/report",
        "/organization",
        "/account/password",
        "/account/tokens",
    ] {
        let page = browser.get(&app, path).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}");
        assert!(
            page.location().starts_with("/login?next=/"),
            "{path} → {}",
            page.location()
        );
    }
    let page = browser.get(&app, "/applications/1?version=2").await;
    assert_eq!(page.location(), "/login?next=/applications/1%3Fversion%3D2");
    let login = browser
        .get(&app, "/login?next=/applications/1%3Fversion%3D2")
        .await;
    login.assert_contains(&["value=\"/applications/1?version=2\""]);
    // A form posted without a session is not accepted either.
    let post = browser
        .post_form(&app, "/organization", &[("csrf", "x"), ("name", "x")])
        .await;
    assert_eq!(post.status, StatusCode::SEE_OTHER);
    assert!(post.location().starts_with("/login"));
}

#[tokio::test]
async fn the_applicant_sees_every_page_in_chinese() {
    let app = app().await;
    let mut browser = Browser::sign_in(&app, "zhilian").await;

    let list = browser.get(&app, "/applications").await;
    assert_eq!(list.status, StatusCode::OK);
    list.assert_contains(&[
        "本单位申报",
        "新建申报",
        "苏州智联 申报员",
        "申报单位",
        "综合（特色）工业互联网平台服务商",
        "数据采集服务商",
        "草稿",
        "区县初审",
        "江苏资源池",
        "name=\"csrf\"",
    ]);

    let new = browser.get(&app, "/applications/new").await;
    assert_eq!(new.status, StatusCode::OK);
    new.assert_contains(&[
        "江苏省工业互联网服务资源池分类分级评估",
        "绍兴市市级工业互联网平台认定",
        "工业互联网平台评价方法",
        "工控安全服务商",
        "工业互联网配套服务商",
        "jiangsu-pool-2021/network",
        "value=\"shaoxing-platform\"",
    ]);

    let draft = application_id(&app, "zhilian", "comprehensive_platform").await;
    let page = browser.get(&app, &format!("/applications/{draft}")).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains(&[
        "基本条件",
        "基础要求",
        "专业要求",
        "服务要求",
        "接入能力",
        "注册资金",
        "name=\"v:registered_capital\"",
        "value=\"1200万\"",
        "name=\"i:cp_data_services\"",
        "name=\"subclass\"",
        "单位性质",
        "实时评估",
        "差距分析",
        "达到五星需：",
        "佐证材料",
        "版本记录",
        "提交申报",
        "保存草稿",
        "/api/v1/applications/",
        "注1：对于事业单位和社会团体不作此要求",
    ]);
    assert_eq!(result_grade(&page), "四星");

    let report = browser
        .get(&app, &format!("/applications/{draft}/report"))
        .await;
    assert_eq!(report.status, StatusCode::OK);
    report.assert_contains(&[
        "自评估报告",
        "苏州智联工业互联网科技有限公司",
        "统一社会信用代码",
        "四星",
        "类别",
        "指标",
        "取值",
        "要求与结果",
        "条款",
        "差距分析",
        "生成时间：2026-01-05 10:00（北京时间）",
    ]);

    let organization = browser.get(&app, "/organization").await;
    assert_eq!(organization.status, StatusCode::OK);
    organization.assert_contains(&[
        "单位信息",
        "统一社会信用代码",
        "苏州智联工业互联网科技有限公司",
        "昆山市",
        "企业",
    ]);

    let password = browser.get(&app, "/account/password").await;
    password.assert_contains(&["修改密码", "当前密码", "新密码"]);

    let tokens = browser.get(&app, "/account/tokens").await;
    tokens.assert_contains(&["API 令牌", "新建令牌", "只读", "读写"]);
}

#[tokio::test]
async fn a_draft_saved_without_javascript_changes_the_grade() {
    let app = app().await;
    let mut browser = Browser::sign_in(&app, "zhilian").await;
    let id = application_id(&app, "zhilian", "comprehensive_platform").await;
    let path = format!("/applications/{id}");
    let page = browser.get(&app, &path).await;
    assert_eq!(result_grade(&page), "四星");
    let csrf = page.csrf();

    // The same declaration with 86 → 20 employees: 四星 needs 50, 三星 needs 20.
    let mut fields = form_fields(&page.body);
    for (name, value) in fields.iter_mut() {
        if name == "v:employees" {
            *value = "20".to_owned();
        }
    }
    assert!(fields.iter().any(|(k, _)| k == "csrf"));
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let saved = browser.post_form(&app, &path, &borrowed).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(saved.location(), format!("{path}?notice=saved"));
    let saved = browser.get(&app, saved.location()).await;
    saved.assert_contains(&["已保存", "value=\"20\""]);
    assert_eq!(result_grade(&saved), "三星");

    // A value that cannot be read is kept and reported beside its field.
    let mut broken = fields.clone();
    for (name, value) in broken.iter_mut() {
        if name == "v:registered_capital" {
            *value = "很多钱".to_owned();
        }
    }
    let borrowed: Vec<(&str, &str)> = broken
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let saved = browser.post_form(&app, &path, &borrowed).await;
    let saved = browser.get(&app, saved.location()).await;
    saved.assert_contains(&["value=\"很多钱\"", "应填写：", "有 1 个字段填写有误"]);

    // Submitting with a field in error is refused with the reason.
    let submitted = browser
        .post_form(&app, &format!("{path}/submit"), &[("csrf", &csrf)])
        .await;
    assert_eq!(submitted.status, StatusCode::SEE_OTHER);
    let submitted = browser.get(&app, submitted.location()).await;
    submitted.assert_contains(&["未能提交", "有 1 个字段填写有误"]);

    // Fixed and submitted in one go (the submit button posts the whole form).
    let mut fixed = borrowed.clone();
    fixed.retain(|(k, _)| *k != "v:registered_capital");
    fixed.push(("v:registered_capital", "1200万"));
    let submitted = browser
        .post_form(&app, &format!("{path}/submit"), &fixed)
        .await;
    assert_eq!(
        submitted.status,
        StatusCode::SEE_OTHER,
        "{}",
        submitted.body
    );
    let after = browser.get(&app, submitted.location()).await;
    after.assert_contains(&["已提交申报", "区县初审", "申报已提交，审核期间不能修改"]);
    assert!(!after.body.contains("name=\"v:registered_capital\""));
    assert_eq!(result_grade(&after), "三星");
}

/// Every named control of the declaration form with its current value, as a browser submits
/// it: text inputs, the selected option of each select, checked checkboxes.
fn form_fields(html: &str) -> Vec<(String, String)> {
    let start = html
        .find("id=\"declaration\"")
        .expect("the declaration form");
    let end = html[start..].find("</form>").unwrap() + start;
    let form = &html[start..end];
    let attribute = |tag: &str, name: &str| -> Option<String> {
        let marker = format!(" {name}=\"");
        let at = tag.find(&marker)? + marker.len();
        let close = tag[at..].find('"')? + at;
        Some(
            tag[at..close]
                .replace("&quot;", "\"")
                .replace("&#x27;", "'")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&"),
        )
    };
    let mut fields = Vec::new();
    let mut rest = form;
    while let Some(open) = rest.find('<') {
        rest = &rest[open..];
        let close = rest.find('>').unwrap();
        let tag = &rest[..close];
        if tag.starts_with("<input") {
            if let Some(name) = attribute(tag, "name") {
                let kind = attribute(tag, "type").unwrap_or_default();
                let value = attribute(tag, "value").unwrap_or_default();
                if kind != "checkbox" || tag.contains(" checked") {
                    fields.push((name, value));
                }
            }
        } else if tag.starts_with("<select") {
            let name = attribute(tag, "name").unwrap();
            let end = rest.find("</select>").unwrap();
            let options = &rest[..end];
            let selected = options
                .split("<option")
                .skip(1)
                .find(|o| o.contains(" selected"))
                .and_then(|o| attribute(o, "value"))
                .unwrap_or_default();
            fields.push((name, selected));
        }
        rest = &rest[close..];
    }
    fields
}

#[tokio::test]
async fn forms_without_the_session_csrf_token_are_refused() {
    let app = app().await;
    let mut browser = Browser::sign_in(&app, "zhilian").await;
    let id = application_id(&app, "zhilian", "comprehensive_platform").await;
    for (path, fields) in [
        (format!("/applications/{id}"), vec![("v:employees", "1")]),
        (format!("/applications/{id}/submit"), vec![]),
        (
            "/applications/new".to_owned(),
            vec![("target", "shaoxing-platform")],
        ),
        (
            "/organization".to_owned(),
            vec![("name", "改名"), ("kind", "enterprise")],
        ),
        (
            "/account/tokens".to_owned(),
            vec![("name", "x"), ("scopes", "read")],
        ),
        ("/inbox/read-all".to_owned(), vec![]),
        ("/account/email".to_owned(), vec![("email", "a@b.cn")]),
        ("/logout".to_owned(), vec![]),
    ] {
        let mut with_wrong = fields.clone();
        with_wrong.push(("csrf", "not-the-token"));
        for attempt in [fields.clone(), with_wrong] {
            let page = browser.post_form(&app, &path, &attempt).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}: {}", page.body);
            assert!(page.body.contains("请求校验失败"), "{path}");
            assert!(
                page.body.contains("<!doctype html>"),
                "HTML error page: {path}"
            );
        }
    }
    // Nothing changed, and the session is still alive.
    let page = browser.get(&app, &format!("/applications/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(result_grade(&page), "四星");
    // The upload fallback carries its token in the body, never in the URL: a wrong token in
    // the body is refused, and so is the right token in the query.
    let upload = browser
        .send(
            &app,
            Method::POST,
            &format!("/applications/{id}/evidence"),
            Some("multipart/form-data; boundary=x"),
            b"--x\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nwrong\r\n--x--\r\n"
                .to_vec(),
        )
        .await;
    assert_eq!(upload.status, StatusCode::FORBIDDEN);
    let csrf = page.csrf();
    let in_query = browser
        .send(
            &app,
            Method::POST,
            &format!("/applications/{id}/evidence?csrf={csrf}"),
            Some("multipart/form-data; boundary=x"),
            b"--x--\r\n".to_vec(),
        )
        .await;
    assert_eq!(in_query.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn reviewers_see_submitted_applications_read_only() {
    let app = app().await;
    // 南京市工信局: the demo's 江宁 applications reached its step or passed it.
    let mut browser = Browser::sign_in(&app, "nj-reviewer").await;
    let list = browser.get(&app, "/applications").await;
    list.assert_contains(&[
        "辖区申报",
        "南京江宁云工科技有限公司",
        "南京云数网络技术有限公司",
        "南京市工信局",
        "设区市审核",
        "退回修改",
    ]);
    // 苏州's applications are outside the region. (The filter form above the table names
    // every provider type, so look at the table.)
    let table = &list.body[list.body.find("<tbody>").expect("a table")..];
    assert!(!table.contains("苏州智联"));
    assert!(!list.body.contains("新建申报"));

    let submitted = application_id(&app, "njyun", "cloud_platform").await;
    let page = browser
        .get(&app, &format!("/applications/{submitted}"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains(&["评估结果", "版本记录"]);
    assert!(
        !page.body.contains("id=\"declaration\""),
        "no form for reviewers"
    );
    assert!(!page.body.contains("name=\"v:"), "no inputs for reviewers");
    assert!(!page.body.contains("提交申报"));

    // 苏州's city office has no part in 昆山's applications (003 二（一）): not even the one
    // 昆山市 recommended to the province.
    let mut suzhou = Browser::sign_in(&app, "sz-reviewer").await;
    let kunshan = application_id(&app, "zhilian", "data_collection").await;
    let hidden = suzhou.get(&app, &format!("/applications/{kunshan}")).await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);

    let draft = application_id(&app, "zhilian", "comprehensive_platform").await;
    let hidden = browser.get(&app, &format!("/applications/{draft}")).await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    hidden.assert_contains(&["页面不存在", "对象不存在或无权访问"]);
    assert!(!hidden.body.contains("\"error\""), "no JSON on pages");

    let organizations = browser.get(&app, "/organization").await;
    organizations.assert_contains(&["辖区单位", "南京云数网络技术有限公司"]);
    assert!(
        !organizations
            .body
            .contains("苏州智联工业互联网科技有限公司")
    );

    let refused = browser.get(&app, "/applications/new").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    refused.assert_contains(&["无权"]);
}

#[tokio::test]
async fn the_province_filters_its_list_and_searches_organisations() {
    let app = app().await;
    let mut browser = Browser::sign_in(&app, "js-admin").await;
    let all = browser.get(&app, "/applications").await;
    all.assert_contains(&[
        "筛选申报",
        "苏州智联工业互联网科技有限公司",
        "南京云数网络技术有限公司",
        // 智联 (昆山), 云数 (江宁), 江宁云工's two (江宁) and 昆山工联's two (on notice): the
        // demo's submitted applications.
        "共 6 条",
        // The region choices are the province's cities and counties.
        "<option value=\"3205\">苏州市</option>",
        "<option value=\"320583\">\u{3000}昆山市</option>",
        "<optgroup label=\"江苏资源池\">",
    ]);
    assert!(
        !all.body.contains("<option value=\"draft\""),
        "reviewers never see drafts"
    );
    assert!(!all.body.contains("清除条件"));

    // 南京 only (3201), chosen in the form: the option stays selected, the total follows.
    let nanjing = browser
        .get(&app, "/applications?state=&region=3201&q=")
        .await;
    nanjing.assert_contains(&[
        "南京云数网络技术有限公司",
        "共 3 条",
        "<option value=\"3201\" selected>南京市</option>",
        "清除条件",
    ]);
    assert!(!nanjing.body.contains("苏州智联工业互联网科技有限公司"));
    let by_name = browser
        .get(&app, "/applications?q=%E6%99%BA%E8%81%94") // 智联
        .await;
    by_name.assert_contains(&[
        "苏州智联工业互联网科技有限公司",
        "共 1 条",
        "value=\"智联\"",
    ]);
    let none = browser.get(&app, "/applications?state=published").await;
    none.assert_contains(&["没有符合筛选条件的申报。"]);

    // A wrong value is said on the page, which still renders.
    let wrong = browser.get(&app, "/applications?region=999999").await;
    assert_eq!(wrong.status, StatusCode::OK);
    wrong.assert_contains(&["未知的行政区划代码「999999」"]);

    let organizations = browser
        .get(&app, "/organization?q=%E4%BA%91%E6%95%B0") // 云数
        .await;
    organizations.assert_contains(&["南京云数网络技术有限公司", "共 1 条", "清除条件"]);
    assert!(
        !organizations
            .body
            .contains("苏州智联工业互联网科技有限公司")
    );
    let nobody = browser.get(&app, "/organization?q=%E6%97%A0").await; // 无
    nobody.assert_contains(&["没有名称含有该字词的单位。"]);
}

#[tokio::test]
async fn an_application_is_created_from_the_form() {
    let app = app().await;
    let mut browser = Browser::sign_in(&app, "yunshu").await;
    let new = browser.get(&app, "/applications/new").await;
    let csrf = new.csrf();
    let created = browser
        .post_form(
            &app,
            "/applications/new",
            &[("csrf", &csrf), ("target", "miit-platform-2018")],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER);
    assert!(created.location().ends_with("?notice=created"));
    let page = browser.get(&app, created.location()).await;
    page.assert_contains(&[
        "申报已创建",
        "工业互联网平台评价方法",
        "基础共性",
        "跨行业跨领域",
        "name=\"r:cross_regions:0:name\"",
        "华东",
        "添加一行",
    ]);

    // At most one open application per scheme, type and round: a second MIIT application
    // is refused in the form, with the reason.
    let second = browser
        .post_form(
            &app,
            "/applications/new",
            &[("csrf", &csrf), ("target", "miit-platform-2018")],
        )
        .await;
    assert_eq!(second.status, StatusCode::CONFLICT);
    second.assert_contains(&["已有同一方案、同一类型的申报在办"]);

    // The Shaoxing rubric: gates and materials as fields, a self score per item.
    let mut other = Browser::sign_in(&app, "ycyun").await;
    let other_csrf = other.get(&app, "/applications/new").await.csrf();
    let shaoxing = other
        .post_form(
            &app,
            "/applications/new",
            &[("csrf", &other_csrf), ("target", "shaoxing-platform")],
        )
        .await;
    assert_eq!(shaoxing.status, StatusCode::SEE_OTHER, "{}", shaoxing.body);
    let page = other.get(&app, shaoxing.location()).await;
    page.assert_contains(&[
        "申报材料",
        "评审指标",
        "name=\"v:platform_type\"",
        "name=\"s:equipment\"",
        "申报单位自评分",
    ]);

    let list = browser.get(&app, "/applications").await;
    list.assert_contains(&["江苏资源池", "工信部平台评价"]);
    let missing = browser
        .post_form(&app, "/applications/new", &[("csrf", &csrf)])
        .await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    missing.assert_contains(&["请选择评价方案和服务商类型"]);
}

#[tokio::test]
async fn the_organisation_profile_is_edited_and_errors_stay_in_the_form() {
    let app = app().await;
    let mut browser = Browser::sign_in(&app, "zhilian").await;
    let page = browser.get(&app, "/organization").await;
    let csrf = page.csrf();
    let saved = browser
        .post_form(
            &app,
            "/organization",
            &[
                ("csrf", &csrf),
                ("name", "苏州智联工业互联网科技有限公司"),
                ("kind", "public_institution"),
                ("address", "昆山市前进西路 1 号"),
                ("contact", "王工"),
                ("phone", "0512-5555 0000"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let page = browser.get(&app, saved.location()).await;
    page.assert_contains(&["已保存", "昆山市前进西路 1 号", "王工", "0512-5555 0000"]);
    assert!(page.body.contains("value=\"public_institution\" selected"));

    let refused = browser
        .post_form(
            &app,
            "/organization",
            &[
                ("csrf", &csrf),
                ("name", "  "),
                ("kind", "enterprise"),
                ("address", "新地址"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_contains(&["单位名称不能为空", "新地址"]);
}

#[tokio::test]
async fn passwords_are_changed_and_tokens_shown_once_then_revoked() {
    let app = app().await;
    let mut browser = Browser::sign_in(&app, "yunshu").await;
    let page = browser.get(&app, "/account/password").await;
    let csrf = page.csrf();
    let mismatch = browser
        .post_form(
            &app,
            "/account/password",
            &[
                ("csrf", &csrf),
                (
                    "current_password",
                    pingjia_server::services::demo::DEMO_PASSWORD,
                ),
                ("new_password", "New-password-2026"),
                ("confirm_password", "New-password-2027"),
            ],
        )
        .await;
    assert_eq!(mismatch.status, StatusCode::UNPROCESSABLE_ENTITY);
    mismatch.assert_contains(&["两次输入的新密码不一致"]);
    let wrong = browser
        .post_form(
            &app,
            "/account/password",
            &[
                ("csrf", &csrf),
                ("current_password", "not-it"),
                ("new_password", "New-password-2026"),
                ("confirm_password", "New-password-2026"),
            ],
        )
        .await;
    wrong.assert_contains(&["当前密码不正确"]);
    let changed = browser
        .post_form(
            &app,
            "/account/password",
            &[
                ("csrf", &csrf),
                (
                    "current_password",
                    pingjia_server::services::demo::DEMO_PASSWORD,
                ),
                ("new_password", "New-password-2026"),
                ("confirm_password", "New-password-2026"),
            ],
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER);
    browser
        .get(&app, changed.location())
        .await
        .assert_contains(&["密码已修改"]);

    let created = browser
        .post_form(
            &app,
            "/account/tokens",
            &[
                ("csrf", &csrf),
                ("name", "运行数据推送"),
                ("scopes", "read write"),
            ],
        )
        .await;
    // Redirect after the post: reloading the page never creates a second token.
    assert_eq!(created.status, StatusCode::SEE_OTHER);
    assert_eq!(created.location(), "/account/tokens");
    let created = browser.get(&app, created.location()).await;
    assert_eq!(created.status, StatusCode::OK);
    created.assert_contains(&["令牌“运行数据推送”已创建", "只显示这一次", "pj_"]);
    let token_start = created.body.find("pj_").unwrap();
    let token = &created.body[token_start..token_start + 51];
    // The token works against the API, and is never shown again.
    let me = app
        .router
        .clone()
        .oneshot(
            Request::get("/api/v1/me")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    let list = browser.get(&app, "/account/tokens").await;
    assert!(!list.body.contains(token));
    list.assert_contains(&["运行数据推送", "有效", "撤销"]);
    let revoke_path = {
        let marker = "action=\"/account/tokens/";
        let start = list.body.find(marker).unwrap() + "action=\"".len();
        let end = list.body[start..].find('"').unwrap() + start;
        list.body[start..end].to_owned()
    };
    let revoked = browser
        .post_form(&app, &revoke_path, &[("csrf", &csrf)])
        .await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER);
    browser
        .get(&app, revoked.location())
        .await
        .assert_contains(&["令牌已撤销", "已撤销"]);
}

#[tokio::test]
async fn evidence_is_uploaded_and_removed_without_javascript() {
    let app = app().await;
    let mut browser = Browser::sign_in(&app, "zhilian").await;
    let id = application_id(&app, "zhilian", "comprehensive_platform").await;
    let page = browser.get(&app, &format!("/applications/{id}")).await;
    let csrf = page.csrf();
    let boundary = "pingjiaboundary";
    let multipart = |filename: &str, bytes: &[u8]| {
        let mut body = Vec::new();
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"criterion\"\r\n\r\ncomprehensive_platform.registered_capital\r\n").as_bytes());
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: application/pdf\r\n\r\n").as_bytes());
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        body
    };
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let uploaded = browser
        .send(
            &app,
            Method::POST,
            &format!("/applications/{id}/evidence"),
            Some(&content_type),
            multipart("营业执照.pdf", b"%PDF-1.7\n1 0 obj\n"),
        )
        .await;
    assert_eq!(uploaded.status, StatusCode::SEE_OTHER, "{}", uploaded.body);
    let page = browser.get(&app, uploaded.location()).await;
    page.assert_contains(&["佐证材料已上传", "营业执照.pdf", "/download", "注册资金"]);

    let refused = browser
        .send(
            &app,
            Method::POST,
            &format!("/applications/{id}/evidence"),
            Some(&content_type),
            multipart("evil.pdf", b"MZ\x90\x00 not a pdf"),
        )
        .await;
    // Back to the page (redirect after post), which says why in its language only.
    assert_eq!(refused.status, StatusCode::SEE_OTHER);
    let refused = browser.get(&app, refused.location()).await;
    refused.assert_contains(&["上传失败", "仅接受", "（按内容识别）"]);
    assert!(!refused.body.contains("checked by content"));

    let delete = {
        let marker = "/evidence/";
        let start = page
            .body
            .find(&format!("action=\"/applications/{id}{marker}"))
            .unwrap()
            + "action=\"".len();
        let end = page.body[start..].find('"').unwrap() + start;
        page.body[start..end].to_owned()
    };
    let deleted = browser.post_form(&app, &delete, &[("csrf", &csrf)]).await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    let page = browser.get(&app, deleted.location()).await;
    page.assert_contains(&["佐证材料已删除", "尚未上传佐证材料"]);
}

#[tokio::test]
async fn errors_are_html_pages_in_the_chosen_language() {
    let app = app().await;
    let mut browser = Browser::sign_in(&app, "zhilian").await;
    let missing = browser.get(&app, "/no/such/page").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    missing.assert_contains(&["<!doctype html>", "页面不存在", "苏州智联 申报员", "退出"]);
    let unknown = browser.get(&app, "/applications/999999").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    unknown.assert_contains(&["对象不存在或无权访问", "苏州智联 申报员"]);
    let bad = browser.get(&app, "/applications/not-a-number").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    bad.assert_contains(&["请求无效"]);
    assert!(!bad.body.contains("Invalid URL"), "no internals");
    // The API keeps its JSON errors.
    let api = browser.get(&app, "/api/v1/applications/999999").await;
    assert_eq!(api.status, StatusCode::NOT_FOUND);
    assert!(api.body.starts_with('{'));

    let switched = browser.get(&app, "/lang/en").await;
    assert_eq!(switched.status, StatusCode::SEE_OTHER);
    let english = browser.get(&app, "/applications").await;
    english.assert_contains(&["Our applications", "New application", "Sign out"]);
    let missing = browser.get(&app, "/applications/999999").await;
    missing.assert_contains(&["Page not found", "not found"]);
}

#[tokio::test]
async fn a_user_who_must_change_the_password_is_sent_to_that_form_first() {
    let app = app().await;
    let admin = pingjia_server::storage::user_by_username(&app.state.db, "js-admin")
        .await
        .unwrap()
        .unwrap();
    pingjia_server::services::accounts::create_user(
        &app.state,
        Some(admin.id),
        &pingjia_server::services::accounts::NewUserRequest {
            username: "new-reviewer".into(),
            display_name: "新审核员".into(),
            password: "Initial-password-1".into(),
            role: pingjia_server::services::actor::Role::CityReviewer,
            credit_code: None,
            organization_name: None,
            region_code: Some("3205".into()),
        },
    )
    .await
    .unwrap();
    let mut browser = Browser::default();
    let csrf = browser.get(&app, "/login").await.csrf();
    let signed_in = browser
        .post_form(
            &app,
            "/login",
            &[
                ("csrf", &csrf),
                ("username", "new-reviewer"),
                ("password", "Initial-password-1"),
                ("next", "/applications"),
            ],
        )
        .await;
    assert_eq!(signed_in.location(), "/account/password");
    let elsewhere = browser.get(&app, "/applications").await;
    assert_eq!(elsewhere.status, StatusCode::SEE_OTHER);
    assert_eq!(elsewhere.location(), "/account/password");
    let form = browser.get(&app, "/account/password").await;
    form.assert_contains(&["请先设置新密码", "新审核员", "设区市审核"]);
    let changed = browser
        .post_form(
            &app,
            "/account/password",
            &[
                ("csrf", &form.csrf()),
                ("current_password", "Initial-password-1"),
                ("new_password", "Chosen-password-2"),
                ("confirm_password", "Chosen-password-2"),
            ],
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER);
    let list = browser.get(&app, "/applications").await;
    assert_eq!(list.status, StatusCode::OK);
    list.assert_contains(&["辖区申报"]);
}

/// What a reader sees of a page: its text and the attributes a browser shows (titles, labels,
/// placeholders); scripts and the JSON data blocks are left out.
fn visible_text(html: &str) -> String {
    let mut text = String::new();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        text.push_str(&rest[..open]);
        rest = &rest[open..];
        if rest.starts_with("<script") {
            let end = rest
                .find("</script>")
                .map_or(rest.len(), |e| e + "</script>".len());
            rest = &rest[end..];
            continue;
        }
        let close = rest.find('>').map_or(rest.len(), |c| c + 1);
        let tag = &rest[..close];
        for attribute in ["title", "aria-label", "placeholder", "alt"] {
            let marker = format!(" {attribute}=\"");
            if let Some(at) = tag.find(&marker) {
                let value = &tag[at + marker.len()..];
                text.push(' ');
                text.push_str(&value[..value.find('"').unwrap_or(value.len())]);
                text.push(' ');
            }
        }
        text.push(' ');
        rest = &rest[close..];
    }
    text.push_str(rest);
    text.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
}

fn is_chinese(c: char) -> bool {
    matches!(c, '\u{3000}'..='\u{303f}' | '\u{4e00}'..='\u{9fff}' | '\u{ff00}'..='\u{ffef}')
}

/// The strings of a page that show internals or a formatting slip: an identifier in brackets
/// after a Chinese label (「接入能力（access）」), a bilingual message left whole on a Chinese
/// page, a `[…]` list, a level with no requirement written `- –`, 「（试行 版）」, a
/// transcription note for maintainers, a `{}` left unfilled.
fn defects(text: &str, lang: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let around = |at: usize| -> String {
        chars[at.saturating_sub(30)..(at + 30).min(chars.len())]
            .iter()
            .collect::<String>()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut found = Vec::new();
    for (at, c) in chars.iter().enumerate() {
        // （access） and (cloud_platform): lowercase ids in brackets.
        if matches!(c, '（' | '(') {
            let inner: String = chars[at + 1..]
                .iter()
                .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || **c == '_')
                .collect();
            let closed = chars.get(at + 1 + inner.chars().count());
            let id_like = inner.chars().any(|c| c.is_ascii_lowercase())
                && (*c == '（' || inner.contains('_'));
            if id_like && matches!(closed, Some('）' | ')')) {
                found.push(format!("identifier in brackets: {}", around(at)));
            }
        }
        // 「中文 / English」 on a Chinese page.
        if lang == "zh"
            && *c == '/'
            && at > 1
            && (is_chinese(chars[at - 1]) || (chars[at - 1] == ' ' && is_chinese(chars[at - 2])))
            && chars.get(at + 1) == Some(&' ')
            && chars.get(at + 2).is_some_and(|c| c.is_ascii_alphabetic())
        {
            found.push(format!("bilingual message: {}", around(at)));
        }
        if *c == '[' || *c == ']' {
            found.push(format!("bracketed list: {}", around(at)));
        }
    }
    for slip in [
        "- –",
        "：-",
        "试行 版",
        "试行 edition",
        "试行 version",
        "合并单元格",
        "{}",
        "undefined",
        "None，",
        "Some(",
    ] {
        if let Some(at) = text.find(slip) {
            let at = text[..at].chars().count();
            found.push(format!("{slip:?}: {}", around(at)));
        }
    }
    found
}

#[tokio::test]
async fn no_page_of_the_demo_shows_internals_or_formatting_slips() {
    let app = app().await;
    // A blank draft of every Jiangsu provider type and of MIIT beside the demo's declarations
    // (Shaoxing's form is the demo's own 柯桥 application: a Jiangsu organisation cannot
    // apply to a 绍兴 round).
    let mut blank = Browser::sign_in(&app, "yunshu").await;
    let csrf = blank.get(&app, "/applications/new").await.csrf();
    let mut targets: Vec<String> = vec!["miit-platform-2018".into()];
    for kind in [
        "comprehensive_platform",
        "cloud_platform",
        "solution",
        "industrial_app",
        "data_collection",
        "ics_security",
        "supporting",
    ] {
        targets.push(format!("jiangsu-pool-2021/{kind}"));
    }
    for target in &targets {
        let created = blank
            .post_form(
                &app,
                "/applications/new",
                &[("csrf", &csrf), ("target", target)],
            )
            .await;
        assert_eq!(created.status, StatusCode::SEE_OTHER, "{target}");
    }

    let mut problems = Vec::new();
    for username in [
        "zhilian",
        "yunshu",
        "kqtex",
        "js-admin",
        "sx-admin",
        "ks-reviewer",
        "expert1",
    ] {
        for lang in ["zh", "en"] {
            let mut browser = Browser::sign_in(&app, username).await;
            browser.get(&app, &format!("/lang/{lang}")).await;
            let list = browser.get(&app, "/applications").await;
            let mut paths: Vec<String> = vec![
                "/applications".into(),
                "/organization".into(),
                "/account/password".into(),
                "/account/tokens".into(),
            ];
            if username == "zhilian" {
                paths.push("/applications/new".into());
            }
            paths.push("/inbox".into());
            if matches!(username, "js-admin" | "sx-admin" | "ks-reviewer") {
                paths.push("/registrations".into());
                paths.push("/review".into());
            }
            if matches!(username, "js-admin" | "sx-admin") {
                paths.push("/admin/users".into());
            }
            let mut rest = list.body.as_str();
            while let Some(at) = rest.find("href=\"/applications/") {
                rest = &rest[at + "href=\"/applications/".len()..];
                let id: String = rest.chars().take_while(char::is_ascii_digit).collect();
                if !id.is_empty() {
                    paths.push(format!("/applications/{id}"));
                    paths.push(format!("/applications/{id}/report"));
                }
            }
            // Rounds: the authorities' pages, and the notices everyone reads.
            let mut listings = vec!["/notices".to_owned()];
            if username.ends_with("-admin") {
                listings.push("/rounds".into());
                let choose = browser.get(&app, "/rounds/new").await;
                paths.push("/rounds/new".into());
                for scheme in [
                    "jiangsu-pool-2021",
                    "miit-platform-2018",
                    "shaoxing-platform",
                ] {
                    if choose.body.contains(&format!("value=\"{scheme}\"")) {
                        paths.push(format!("/rounds/new?scheme={scheme}"));
                    }
                }
            }
            for listing in listings {
                let page = browser.get(&app, &listing).await;
                paths.push(listing.clone());
                let mut rest = page.body.as_str();
                while let Some(at) = rest.find("href=\"/") {
                    rest = &rest[at + "href=\"".len()..];
                    let link: String = rest.chars().take_while(|c| *c != '"').collect();
                    let id = link
                        .strip_prefix("/rounds/")
                        .or_else(|| link.strip_prefix("/notices/rounds/"))
                        .filter(|id| !id.is_empty() && id.chars().all(|c| c.is_ascii_digit()));
                    if id.is_some() {
                        paths.push(link.clone());
                        if link.starts_with("/rounds/") {
                            paths.push(format!("{link}/edit"));
                        }
                    }
                }
            }
            paths.dedup();
            for path in &paths {
                let page = browser.get(&app, path).await;
                assert_eq!(page.status, StatusCode::OK, "{username} {path}");
                for defect in defects(&visible_text(&page.body), lang) {
                    let problem = format!("{lang} {defect}  ({username} {path})");
                    if !problems
                        .iter()
                        .any(|p: &String| p.starts_with(&format!("{lang} {defect}")))
                    {
                        problems.push(problem);
                    }
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} defects:\n{}",
        problems.len(),
        problems.join("\n")
    );

    // Expert scores as a table with the experts' names; subclasses by title; a level without
    // a requirement in words; clauses without transcription remarks.
    let mut reviewer = Browser::sign_in(&app, "sx-admin").await;
    let shaoxing = application_in(&app, "kqtex", "shaoxing-platform").await;
    for path in [
        format!("/applications/{shaoxing}"),
        format!("/applications/{shaoxing}/report"),
    ] {
        let page = reviewer.get(&app, &path).await;
        page.assert_contains(&["<table class=\"scores\">", "专家1", "汇总", "7.83"]);
    }
    let mut applicant = Browser::sign_in(&app, "zhilian").await;
    let draft = application_id(&app, "zhilian", "comprehensive_platform").await;
    let page = applicant.get(&app, &format!("/applications/{draft}")).await;
    page.assert_contains(&[
        "专业要求经由子类 接入能力、开发能力 满足",
        "<span class=\"lv\">三星</span> <span class=\"req\">无要求</span></li>",
        "〔四（一）1（3）专业要求·接入能力〕",
    ]);
}

/// The options of the evidence form's criterion list that can be chosen, as (value, label).
fn criterion_options(html: &str) -> Vec<(String, String)> {
    let start = html
        .find("<select name=\"criterion\">")
        .expect("the criterion list");
    let end = html[start..].find("</select>").unwrap() + start;
    html[start..end]
        .split("<option value=\"")
        .skip(1)
        .filter(|option| !option[..option.find('>').unwrap()].contains(" disabled"))
        .map(|option| {
            let (value, rest) = option.split_once('"').unwrap();
            let label = rest[rest.find('>').unwrap() + 1..]
                .split("</option>")
                .next()
                .unwrap();
            (value.to_owned(), label.replace("&#x2f;", "/"))
        })
        .collect()
}

#[tokio::test]
async fn the_evidence_list_names_the_subclass_and_offers_only_those_applied_for() {
    let app = app().await;
    let mut browser = Browser::sign_in(&app, "zhilian").await;
    // The demo's comprehensive platform applies for 接入能力 and 开发能力 only.
    let id = application_id(&app, "zhilian", "comprehensive_platform").await;
    let page = browser.get(&app, &format!("/applications/{id}")).await;
    let options = criterion_options(&page.body);
    let labels: Vec<&str> = options.iter().map(|(_, label)| label.as_str()).collect();
    for wanted in [
        "专业要求（接入能力）· 接入设备数量",
        "专业要求（开发能力）· 开发语言",
        "基础要求 · 注册资金",
    ] {
        assert!(labels.contains(&wanted), "{wanted} in {labels:#?}");
    }
    assert!(
        !labels
            .iter()
            .any(|l| l.contains("分析能力") || l.contains("工业电商")),
        "only the subclasses applied for: {labels:#?}"
    );
    assert!(
        options
            .iter()
            .any(|(value, _)| value == "comprehensive_platform.access.devices"),
        "{options:?}"
    );
}

#[tokio::test]
async fn a_refused_submission_lists_the_fields_in_error_each_linked_to_its_input() {
    let app = app().await;
    let mut browser = Browser::sign_in(&app, "zhilian").await;
    let id = application_id(&app, "zhilian", "comprehensive_platform").await;
    let path = format!("/applications/{id}");
    let page = browser.get(&app, &path).await;
    let mut fields = form_fields(&page.body);
    for (name, value) in fields.iter_mut() {
        match name.as_str() {
            "v:registered_capital" => *value = "很多钱".to_owned(),
            "v:employees" => *value = "八十六".to_owned(),
            _ => {}
        }
    }
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    // The submit button posts the whole form: saved, then refused, then back to the page.
    let refused = browser
        .post_form(&app, &format!("{path}/submit"), &borrowed)
        .await;
    assert_eq!(refused.status, StatusCode::SEE_OTHER, "{}", refused.body);
    assert!(
        refused.location().starts_with(&path),
        "{}",
        refused.location()
    );
    let page = browser.get(&app, refused.location()).await;
    assert_eq!(page.status, StatusCode::OK);
    let start = page.body.find("id=\"submit-errors\"").expect("the refusal");
    let refusal = &page.body[start..start + page.body[start..].find("</div>").unwrap()];
    for (anchor, label) in [
        ("f-v:registered_capital", "注册资金"),
        ("f-v:employees", "员工总数"),
    ] {
        assert!(
            refusal.contains(&format!("<a href=\"#{anchor}\">{label}</a>")),
            "{anchor} in {refusal}"
        );
        assert!(
            page.body.contains(&format!("id=\"{anchor}\"")),
            "the input {anchor} exists"
        );
    }
    assert!(refusal.contains("未能提交"));
    // The message is shown once; reloading the page shows the page, not the refusal again.
    let again = browser.get(&app, &path).await;
    assert!(!again.body.contains("未能提交"));
    again.assert_contains(&["有 2 个字段填写有误"]);
}

/// Where a browser stands after a POST: the page it was sent to, or the POST's own URL.
async fn after_post(browser: &mut Browser, app: &TestApp, path: &str, page: &Page) -> Page {
    if page.status.is_redirection() {
        browser.get(app, page.location()).await
    } else {
        browser.get(app, path).await
    }
}

#[tokio::test]
async fn no_refused_post_leaves_the_browser_on_a_url_it_would_post_again() {
    let app = app().await;
    let mut browser = Browser::sign_in(&app, "zhilian").await;
    let draft = application_id(&app, "zhilian", "comprehensive_platform").await;
    let submitted = application_id(&app, "zhilian", "data_collection").await;
    let page = browser.get(&app, &format!("/applications/{draft}")).await;
    let csrf = page.csrf();
    let mut fields = form_fields(&page.body);
    for (name, value) in fields.iter_mut() {
        if name == "v:registered_capital" {
            *value = "很多钱".to_owned();
        }
    }
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    // (path, form fields, what the page the browser then stands on says)
    type Post<'a> = (String, Vec<(&'a str, &'a str)>, &'a str);
    let form_posts: Vec<Post> = vec![
        // A save (not refused: the values stay and their errors are shown).
        (
            format!("/applications/{draft}"),
            borrowed.clone(),
            "有 1 个字段填写有误",
        ),
        // A submission with a field in error.
        (
            format!("/applications/{draft}/submit"),
            vec![("csrf", &csrf)],
            "未能提交",
        ),
        // A save of an application under review.
        (
            format!("/applications/{submitted}"),
            vec![("csrf", &csrf), ("v:employees", "1")],
            "未能保存",
        ),
        (
            "/applications/new".to_owned(),
            vec![("csrf", &csrf)],
            "请选择评价方案和服务商类型",
        ),
        (
            "/organization".to_owned(),
            vec![("csrf", &csrf), ("name", " "), ("kind", "enterprise")],
            "单位名称",
        ),
        (
            "/account/password".to_owned(),
            vec![
                ("csrf", &csrf),
                ("current_password", "x"),
                ("new_password", "Aa-1234567"),
                ("confirm_password", "Aa-7654321"),
            ],
            "修改密码",
        ),
    ];
    for (path, fields, shown) in form_posts {
        let answer = browser.post_form(&app, &path, &fields).await;
        let standing = after_post(&mut browser, &app, &path, &answer).await;
        assert_eq!(
            standing.status,
            StatusCode::OK,
            "after POST {path} ({}) the browser stands on a page that answers GET",
            answer.status
        );
        assert!(
            answer.status.is_redirection() || answer.body.contains(shown),
            "{path}: {}",
            answer.body
        );
        if answer.status.is_redirection() {
            standing.assert_contains(&[shown]);
        }
    }

    // A refused upload, in English: the message in the page's language only.
    browser.get(&app, "/lang/en").await;
    let boundary = "pingjiaboundary";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"evil.pdf\"\r\nContent-Type: application/pdf\r\n\r\nMZ not a pdf\r\n--{boundary}--\r\n").as_bytes());
    let path = format!("/applications/{draft}/evidence");
    let answer = browser
        .send(
            &app,
            Method::POST,
            &path,
            Some(&format!("multipart/form-data; boundary={boundary}")),
            body,
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let standing = after_post(&mut browser, &app, &path, &answer).await;
    assert_eq!(standing.status, StatusCode::OK);
    standing.assert_contains(&["Upload failed", "files are accepted (checked by content)"]);
    assert!(!standing.body.contains("按内容识别"));
}

#[tokio::test]
async fn a_blank_draft_says_what_is_still_to_fill_not_a_grade() {
    let app = app().await;
    let mut browser = Browser::sign_in(&app, "yunshu").await;
    let csrf = browser.get(&app, "/applications/new").await.csrf();
    let created = browser
        .post_form(
            &app,
            "/applications/new",
            &[("csrf", &csrf), ("target", "jiangsu-pool-2021/supporting")],
        )
        .await;
    let path = created.location().split('?').next().unwrap().to_owned();
    let page = browser.get(&app, &path).await;
    assert_eq!(result_grade(&page), "尚未填写");
    page.assert_contains(&["尚未填写：还有 "]);
    assert!(
        !visible_text(&page.body).contains("不予定级"),
        "a blank draft is not graded yet"
    );
    let list = browser.get(&app, "/applications").await;
    assert!(!list.body.contains("不予定级"), "{}", list.body);

    // Once something is filled in, the grade is the engine's.
    let mut fields = form_fields(&page.body);
    for (name, value) in fields.iter_mut() {
        if name == "v:registered_capital" {
            *value = "150万".to_owned();
        }
    }
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let saved = browser.post_form(&app, &path, &borrowed).await;
    let page = browser.get(&app, saved.location()).await;
    assert_eq!(result_grade(&page), "不予定级");
    assert!(!visible_text(&page.body).contains("尚未填写"));
}

#[tokio::test]
async fn impossible_values_are_refused_beside_their_field() {
    let app = app().await;
    let mut browser = Browser::sign_in(&app, "zhilian").await;
    let id = application_id(&app, "zhilian", "comprehensive_platform").await;
    let path = format!("/applications/{id}");
    let page = browser.get(&app, &path).await;
    let mut fields = form_fields(&page.body);
    for (name, value) in fields.iter_mut() {
        match name.as_str() {
            // A share above 100 %; dates after the round's cut-off and not after today (the
            // demo is loaded on 2026-01-05: its round 「2026年上半年」 counts to 2025-12-31).
            "v:rd_expense_ratio" => *value = "120%".to_owned(),
            "v:established_on" => *value = "2026-01-02".to_owned(),
            "v:platform_online_on" => *value = "2026-01-03".to_owned(),
            _ => {}
        }
    }
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let saved = browser.post_form(&app, &path, &borrowed).await;
    let page = browser.get(&app, saved.location()).await;
    page.assert_contains(&[
        "有 3 个字段填写有误",
        "value=\"120%\"",
        "value=\"2026-01-02\"",
    ]);
    let error_of = |name: &str| -> String {
        let marker = format!("id=\"e-{name}\"");
        let start = page
            .body
            .find(&marker)
            .unwrap_or_else(|| panic!("{marker}"));
        let rest = &page.body[start..];
        let open = rest.find('>').unwrap() + 1;
        rest[open..open + rest[open..].find('<').unwrap()].to_owned()
    };
    assert_eq!(
        error_of("v:rd_expense_ratio"),
        "应填写：不超过 100% 的比例（当前：120%）"
    );
    assert_eq!(
        error_of("v:established_on"),
        "应填写：不晚于本批次时间计算截止日期（2025-12-31）的日期（当前：2026-01-02）"
    );
    assert!(error_of("v:platform_online_on").contains("2025-12-31"));
    // Refused like values that cannot be read: the submission lists them.
    let refused = browser
        .post_form(&app, &format!("{path}/submit"), &[("csrf", &page.csrf())])
        .await;
    let page = browser.get(&app, refused.location()).await;
    page.assert_contains(&["未能提交", "<a href=\"#f-v:rd_expense_ratio\">"]);
}

#[tokio::test]
async fn the_demo_lists_its_accounts_with_their_regions_at_every_start() {
    let app = app().await;
    // The set was loaded by `app()`: a second start finds it and still lists every account.
    let demo = pingjia_server::services::demo::load(&app.state)
        .await
        .unwrap();
    assert!(!demo.created);
    assert_eq!(demo.accounts.len(), 21);
    let table = pingjia_server::services::demo::table(&demo.accounts);
    let line = |username: &str| -> Vec<String> {
        table
            .lines()
            .find(|l| l.split_whitespace().any(|w| w == username))
            .unwrap_or_else(|| panic!("{username} in\n{table}"))
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(
        line("ks-reviewer")[..3],
        ["昆山市", "区县审核", "ks-reviewer"]
    );
    assert_eq!(
        line("sz-reviewer")[..3],
        ["苏州市", "设区市审核", "sz-reviewer"]
    );
    assert_eq!(line("zhilian")[..3], ["昆山市", "申报单位", "zhilian"]);
    assert_eq!(line("expert1")[..3], ["不限", "评审专家", "expert1"]);
    // Aligned: every account's user name starts in the same column.
    let columns: Vec<usize> = demo
        .accounts
        .iter()
        .map(|a| {
            let l = table.lines().find(|l| l.contains(a.username)).unwrap();
            l[..l.find(a.username).unwrap()]
                .chars()
                .map(|c| if c.is_ascii() { 1 } else { 2 })
                .sum()
        })
        .collect();
    assert!(columns.windows(2).all(|w| w[0] == w[1]), "{table}");
}

#[tokio::test]
async fn the_site_has_an_icon() {
    let app = app().await;
    let mut browser = Browser::default();
    let icon = browser.get(&app, "/favicon.ico").await;
    assert_eq!(icon.status, StatusCode::OK);
    assert_eq!(icon.headers[header::CONTENT_TYPE], "image/x-icon");
    let svg = browser.get(&app, "/static/favicon.svg").await;
    assert_eq!(svg.status, StatusCode::OK);
    assert!(svg.body.starts_with("<svg"));
    let login = browser.get(&app, "/login").await;
    login.assert_contains(&["<link rel=\"icon\" href=\"/favicon.ico\""]);
}

#[tokio::test]
async fn an_empty_field_is_prefilled_from_the_one_stating_the_same_fact() {
    let app = app().await;
    let mut browser = Browser::sign_in(&app, "zhilian").await;
    let id = application_id(&app, "zhilian", "comprehensive_platform").await;
    let path = format!("/applications/{id}");
    let page = browser.get(&app, &path).await;
    assert_eq!(result_grade(&page), "四星");
    // The applicant leaves 财务状况 empty; 一（二）2 运营和财务状况良好 says 是.
    let mut fields = form_fields(&page.body);
    for (name, value) in fields.iter_mut() {
        if name == "v:financial_status" {
            value.clear();
        }
    }
    assert!(fields.contains(&("v:sound_finance".to_owned(), "是".to_owned())));
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let saved = browser.post_form(&app, &path, &borrowed).await;
    let page = browser.get(&app, saved.location()).await;
    // Offered pre-filled, said so beside it, and the grade is not lost.
    let fields = form_fields(&page.body);
    assert!(
        fields.contains(&("v:financial_status".to_owned(), "财务状况良好".to_owned())),
        "{fields:?}"
    );
    page.assert_contains(&[
        "data-prefilled=\"1\"",
        "data-prefill-from=\"v:sound_finance\"",
        "data-prefill-note=\"v:financial_status\">已根据“运营和财务状况良好”预填，可修改</p>",
    ]);
    assert_eq!(result_grade(&page), "四星");
    // Saving the form as shown declares it: no longer marked as pre-filled.
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let saved = browser.post_form(&app, &path, &borrowed).await;
    let page = browser.get(&app, saved.location()).await;
    assert_eq!(result_grade(&page), "四星");
    page.assert_contains(&["data-prefill-note=\"v:financial_status\" hidden>"]);
    assert!(!page.body.contains("data-prefilled=\"1\""));
    // 否 would pre-fill 无, which the rows do not accept: the map the script follows.
    page.assert_contains(&["data-prefill-map=\"{&quot;否&quot;:&quot;无&quot;,&quot;是&quot;:&quot;财务状况良好&quot;}\""]);
}

#[tokio::test]
async fn an_organisation_registers_through_the_form_and_is_signed_in() {
    let app = app().await;
    for lang in ["zh", "en"] {
        let mut browser = Browser::default();
        browser.get(&app, &format!("/lang/{lang}")).await;
        let form = browser.get(&app, "/register").await;
        assert_eq!(form.status, StatusCode::OK);
        let defects = defects(&visible_text(&form.body), lang);
        assert!(defects.is_empty(), "{lang}: {defects:?}");
        if lang == "en" {
            form.assert_contains(&["Register an organisation", "County", "Applicant account"]);
        } else {
            form.assert_contains(&["单位注册", "所在区县", "柯桥区", "申报账号"]);
        }
    }
    let mut browser = Browser::default();
    let form = browser.get(&app, "/register").await;
    let csrf = form.csrf();
    let code = pingjia_server::services::credit_code::CreditCode::with_check("91330603MA2E5F8G4")
        .unwrap()
        .to_string();
    let mut fields = vec![
        ("csrf", csrf.as_str()),
        ("organization_name", "绍兴印染数字科技有限公司"),
        ("credit_code", code.as_str()),
        ("region_code", "330603"),
        ("kind", "enterprise"),
        ("contact", "陈女士"),
        ("phone", "0575-85123456"),
        ("email", ""),
        ("username", "yinran"),
        ("display_name", "印染 申报员"),
        ("password", "Yinran-digital-2026"),
        ("password_confirm", "Yinran-digital-2026x"),
    ];
    // A refusal keeps what was typed (never the passwords) and says why.
    let refused = browser.post_form(&app, "/register", &fields).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_contains(&["两次输入的密码不一致", "绍兴印染数字科技有限公司"]);
    assert!(!refused.body.contains("Yinran-digital-2026"));
    fields.pop();
    fields.push(("password_confirm", "Yinran-digital-2026"));
    let registered = browser.post_form(&app, "/register", &fields).await;
    assert_eq!(
        registered.status,
        StatusCode::SEE_OTHER,
        "{}",
        registered.body
    );
    assert_eq!(registered.location(), "/applications?notice=registered");
    let list = browser.get(&app, "/applications?notice=registered").await;
    list.assert_contains(&["单位注册成功"]);
    let inbox = browser.get(&app, "/inbox").await;
    inbox.assert_contains(&["欢迎，绍兴印染数字科技有限公司 已注册"]);
    // 柯桥区's reviewer is told and sees it listed.
    let mut reviewer = Browser::sign_in(&app, "kq-reviewer").await;
    let inbox = reviewer.get(&app, "/inbox").await;
    inbox.assert_contains(&["新单位注册：绍兴印染数字科技有限公司", "class=\"badge\""]);
    let list = reviewer.get(&app, "/registrations").await;
    list.assert_contains(&["绍兴印染数字科技有限公司", code.as_str(), "陈女士"]);
    // The same code again: refused without a word about the first.
    let mut other = Browser::default();
    let csrf = other.get(&app, "/register").await.csrf();
    let mut again = fields.clone();
    again[0] = ("csrf", csrf.as_str());
    again[8] = ("username", "yinran2");
    let refused = other.post_form(&app, "/register", &again).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    refused.assert_contains(&["该统一社会信用代码已注册"]);
}

#[tokio::test]
async fn an_authority_creates_disables_and_resets_accounts_from_the_pages() {
    let app = app().await;
    let mut browser = Browser::sign_in(&app, "js-admin").await;
    let list = browser.get(&app, "/admin/users").await;
    assert_eq!(list.status, StatusCode::OK);
    // Its own region's reviewers only: not Shaoxing's, not applicants, not itself.
    list.assert_contains(&["ks-reviewer", "sz-reviewer", "nj-reviewer"]);
    for hidden in ["kq-reviewer", "zhilian", "sx-admin", ">js-admin<"] {
        assert!(!list.body.contains(hidden), "{hidden} listed");
    }
    let csrf = list.csrf();
    // Without the session's token: refused.
    let refused = browser
        .post_form(
            &app,
            "/admin/users",
            &[("username", "wz-reviewer"), ("role", "county_reviewer")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let created = browser
        .post_form(
            &app,
            "/admin/users",
            &[
                ("csrf", &csrf),
                ("username", "wz-reviewer"),
                ("display_name", "吴中区工信局"),
                ("role", "county_reviewer"),
                ("region_code", "320506"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let account = created.location().to_owned();
    assert!(account.starts_with("/admin/users/"), "{account}");
    // The one-time password is shown once, then gone.
    let shown = browser.get(&app, &account).await;
    shown.assert_contains(&["一次性密码", "吴中区", "须修改一次性密码"]);
    let marker = "<code class=\"token\" data-copy>";
    let start = shown.body.find(marker).unwrap() + marker.len();
    let password = shown.body[start..start + 19].to_owned();
    assert!(password.starts_with("Pj-"), "{password}");
    let again = browser.get(&app, &account).await;
    assert!(!again.body.contains(&password));
    // The new reviewer signs in with it and is sent to change it.
    let mut reviewer = Browser::default();
    let login = reviewer.get(&app, "/login").await;
    let signed_in = reviewer
        .post_form(
            &app,
            "/login",
            &[
                ("csrf", &login.csrf()),
                ("username", "wz-reviewer"),
                ("password", &password),
                ("next", "/applications"),
            ],
        )
        .await;
    assert_eq!(signed_in.location(), "/account/password");
    // Disabled from the page: the reviewer's session ends.
    let disabled = browser
        .post_form(&app, &format!("{account}/disable"), &[("csrf", &csrf)])
        .await;
    assert_eq!(disabled.status, StatusCode::SEE_OTHER);
    let page = browser.get(&app, &account).await;
    page.assert_contains(&["已停用", "启用账号"]);
    let gone = reviewer.get(&app, "/account/password").await;
    assert_eq!(gone.status, StatusCode::SEE_OTHER);
    assert!(gone.location().starts_with("/login"), "{}", gone.location());
    // A reset shows a new one-time password once.
    let reset = browser
        .post_form(
            &app,
            &format!("{account}/reset-password"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(reset.status, StatusCode::SEE_OTHER);
    let shown = browser.get(&app, &account).await;
    shown.assert_contains(&["一次性密码"]);
    assert!(!shown.body.contains(&password));
    // Shaoxing's reviewer is not this authority's: a missing page.
    let mut admin = Browser::sign_in(&app, "sx-admin").await;
    let id: String = account.rsplit('/').next().unwrap().to_owned();
    let missing = admin.get(&app, &format!("/admin/users/{id}")).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_county_reviewer_returns_an_application_with_a_comment_beside_a_criterion() {
    let app = app().await;
    let id = application_id(&app, "zhilian", "data_collection").await;
    let mut reviewer = Browser::sign_in(&app, "ks-reviewer").await;
    // The queue counts 昆山市's one application in the county review and lists it.
    let queue = reviewer.get(&app, "/review").await;
    assert_eq!(queue.status, StatusCode::OK);
    queue.assert_contains(&[
        "区县初审 <span class=\"badge\">1</span>",
        "苏州智联工业互联网科技有限公司",
        &format!("href=\"/applications/{id}\""),
    ]);
    assert!(
        !queue.body.contains("批量推荐"),
        "bulk recommendation is the city's"
    );
    let path = format!("/applications/{id}");
    let page = reviewer.get(&app, &path).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains(&[
        "action=\"/applications/",
        "name=\"action\" value=\"return\"",
        "退回修改",
        "修改期限",
        "推荐意见",
        "情况属实，同意推荐",
        "审核记录",
    ]);
    assert!(
        !page.body.contains("确认撤回"),
        "withdrawal is the applicant's"
    );
    let marker = "<select name=\"criterion\"";
    let select = &page.body[page.body.find(marker).expect("a criterion select")..];
    let start = select.find("<option value=\"\">").unwrap();
    let option = &select[start + 1..];
    let value_at = option.find("<option value=\"").unwrap() + "<option value=\"".len();
    let criterion: String = option[value_at..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    assert!(!criterion.is_empty());
    let csrf = page.csrf();

    // A return without a comment is refused and said on the page.
    let refused = reviewer
        .post_form(
            &app,
            &format!("{path}/decide"),
            &[("csrf", &csrf), ("action", "return"), ("comment", "")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::SEE_OTHER);
    assert_eq!(refused.location(), format!("{path}#messages"));
    let said = reviewer.get(&app, &path).await;
    said.assert_contains(&["未能办理"]);

    let returned = reviewer
        .post_form(
            &app,
            &format!("{path}/decide"),
            &[
                ("csrf", &csrf),
                ("action", "return"),
                ("comment", "请补充接入设备清单"),
                ("respond_by", "2026-01-20"),
                ("criterion", &criterion),
                ("criterion_comment", "设备数量与清单不符"),
                ("criterion", ""),
                ("criterion_comment", ""),
            ],
        )
        .await;
    assert_eq!(returned.status, StatusCode::SEE_OTHER, "{}", returned.body);
    assert_eq!(returned.location(), format!("{path}?notice=review_return"));
    let after = reviewer.get(&app, returned.location()).await;
    after.assert_contains(&["已退回修改", "请补充接入设备清单", "设备数量与清单不符"]);
    assert!(!after.body.contains("name=\"action\" value=\"return\""));
    let queue = reviewer.get(&app, "/review").await;
    queue.assert_contains(&["退回修改 <span class=\"badge\">1</span>"]);
    assert!(!queue.body.contains("区县初审 <span"));

    let mut applicant = Browser::sign_in(&app, "zhilian").await;
    let own = applicant.get(&app, &path).await;
    assert_eq!(own.status, StatusCode::OK);
    let row = &own.body[own
        .body
        .find(&format!("id=\"row-{criterion}\""))
        .expect("the criterion's row")..];
    let row = &row[..row[1..]
        .find("class=\"row\"")
        .map_or(row.len(), |end| end + 1)];
    assert!(
        row.contains("review-comment") && row.contains("设备数量与清单不符"),
        "{row}"
    );
    let timeline = &own.body[own.body.find("id=\"timeline\"").unwrap()..];
    assert!(timeline.contains("请补充接入设备清单"));
    assert!(timeline.contains("2026-01-20"));
    assert!(timeline.contains("昆山市"));
    assert!(!own.body.contains("name=\"action\" value=\"return\""));
    // The applicant may withdraw, ticking the confirmation first.
    own.assert_contains(&["撤回申报", "确认撤回"]);
    assert_eq!(
        applicant.get(&app, "/review").await.status,
        StatusCode::NOT_FOUND
    );
    let unconfirmed = applicant
        .post_form(
            &app,
            &format!("{path}/decide"),
            &[("csrf", &own.csrf()), ("action", "withdraw")],
        )
        .await;
    assert_eq!(unconfirmed.location(), format!("{path}#messages"));
    let still = applicant.get(&app, &path).await;
    still.assert_contains(&["请勾选“确认撤回”后再撤回申报", "退回修改"]);
}

#[tokio::test]
async fn the_city_recommends_from_its_queue_in_bulk() {
    let app = app().await;
    // 江宁区 passes 南京云数's application on to 南京市 through the decision form.
    let id = application_id(&app, "yunshu", "network").await.to_string();
    let mut county = Browser::sign_in(&app, "jn-reviewer").await;
    let page = county.get(&app, &format!("/applications/{id}")).await;
    page.assert_contains(&["name=\"action\" value=\"pass\""]);
    let passed = county
        .post_form(
            &app,
            &format!("/applications/{id}/decide"),
            &[("csrf", &page.csrf()), ("action", "pass")],
        )
        .await;
    assert_eq!(
        passed.location(),
        format!("/applications/{id}?notice=review_pass")
    );

    let mut city = Browser::sign_in(&app, "nj-reviewer").await;
    let queue = city.get(&app, "/review?state=city_review").await;
    assert_eq!(queue.status, StatusCode::OK);
    queue.assert_contains(&[
        "设区市审核 <span class=\"badge\">1</span>",
        "批量推荐",
        &format!("name=\"id\" value=\"{id}\""),
    ]);

    // The office reviewing it may confirm values on its page.
    let page = city.get(&app, &format!("/applications/{id}")).await;
    page.assert_contains(&["核定值", "name=\"field\"", "情况属实，同意推荐"]);

    let done = city
        .post_form(
            &app,
            "/review/bulk",
            &[("csrf", &queue.csrf()), ("id", &id)],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let after = city.get(&app, done.location()).await;
    after.assert_contains(&["已推荐 1 项，0 项未能推荐"]);
    assert!(!after.body.contains("设区市审核 <span"));
    let timeline = city.get(&app, &format!("/applications/{id}")).await;
    let timeline = &timeline.body[timeline.body.find("id=\"timeline\"").unwrap()..];
    assert!(timeline.contains("通过初审") && timeline.contains("审核推荐"));
}

#[tokio::test]
async fn the_form_names_the_rounds_reference_year() {
    // The demo is loaded on 2026-01-05: its round 「2026年上半年」 takes 2025 as 「上年度」, and
    // the form's labels say so, as the assessment beside them does.
    let app = app().await;
    let mut browser = Browser::sign_in(&app, "zhilian").await;
    let id = application_id(&app, "zhilian", "comprehensive_platform").await;
    let page = browser.get(&app, &format!("/applications/{id}")).await;
    page.assert_contains(&["2025年度主营业务收入"]);
    assert!(!page.body.contains("2020年度主营业务收入"));
}

#[tokio::test]
async fn the_demo_shows_the_provinces_notice_with_an_objection() {
    let app = app().await;
    // Signed out: the notice lists 昆山工联's two entries with their proposed grades.
    let mut public = Browser::default();
    let list = public.get(&app, "/public-notices").await;
    assert_eq!(list.status, StatusCode::OK);
    let marker = "href=\"/public-notices/";
    let at = list.body.find(marker).expect("a notice link") + marker.len();
    let id: String = list.body[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let notice = public.get(&app, &format!("/public-notices/{id}")).await;
    assert_eq!(notice.status, StatusCode::OK);
    notice.assert_contains(&["拟定名单公示", "昆山工联数据科技有限公司", "拟定"]);
    // Two entries: each in the list and among the objection form's choices.
    assert_eq!(notice.body.matches("昆山工联数据科技有限公司").count(), 4);
    assert_eq!(notice.body.matches("name=\"entry_id\"").count(), 1);
    // The objector's name is the authority's to read, never the public's.
    assert!(!notice.body.contains("刘建国"));
    assert!(!notice.body.contains("13800000000"));

    // The province reads the objection, with the objector and contact, unresolved.
    let mut admin = Browser::sign_in(&app, "js-admin").await;
    let manage = admin
        .get(&app, &format!("/public-notices/{id}/manage"))
        .await;
    assert_eq!(manage.status, StatusCode::OK);
    manage.assert_contains(&["刘建国", "13800000000", "平台连接设备数量"]);
    // 绍兴's authority has no part in it.
    let mut other = Browser::sign_in(&app, "sx-admin").await;
    let hidden = other
        .get(&app, &format!("/public-notices/{id}/manage"))
        .await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);

    // The decisions page shows the result departing from the computed grade, with its reason.
    let round = pingjia_server::services::notices::public_notice(&app.state, id.parse().unwrap())
        .await
        .unwrap()
        .round_id;
    let board = format!("/rounds/{round}/decisions");
    let decisions = admin.get(&app, &board).await;
    assert_eq!(decisions.status, StatusCode::OK);
    decisions.assert_contains(&["经厅评审委员会集体研究"]);
}

#[tokio::test]
async fn the_demo_publishes_shaoxings_recognition() {
    let app = app().await;
    // 绍兴市's notice ended before the demo's day and the result was published with a
    // document: the public list shows it (no account needed), and the application page the
    // final result.
    let mut public = Browser::default();
    let published = public.get(&app, "/published").await;
    assert_eq!(published.status, StatusCode::OK);
    published.assert_contains(&["绍兴柯桥纺织产业互联网有限公司", "认定", "绍市经信〔"]);
    assert!(
        !published.body.contains("昆山工联数据科技有限公司"),
        "still on notice"
    );
    let id = application_in(&app, "kqtex", "shaoxing-platform").await;
    let mut applicant = Browser::sign_in(&app, "kqtex").await;
    let page = applicant.get(&app, &format!("/applications/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains(&["已发文公布"]);
}
