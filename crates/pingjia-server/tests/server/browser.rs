//! The applicant's journey in a real headless Chromium (WebDriver through ChromeDriver):
//! sign in, start a Jiangsu declaration, fill it and watch the grade change, upload evidence,
//! submit. Screenshots go to `target/screenshots/` for inspection.
//!
//! Skipped with a message when Chromium or ChromeDriver is not installed — except in CI
//! (`CI=true`), where `.ci/run` installs them and a missing browser is a failure.
//! ChromeDriver is spoken to over plain HTTP on loopback, so no TLS stack is built.

use fantoccini::{Client, ClientBuilder, Locator};
use pingjia_server::{AppState, Config, Db};
use std::net::TcpListener as StdListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,1000",
    "--lang=zh-CN",
];

fn find(program: &str, candidates: &[&str]) -> Option<PathBuf> {
    candidates
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .or_else(|| {
            let output = Command::new("which").arg(program).output().ok()?;
            let path = String::from_utf8_lossy(&output.stdout).trim().to_owned();
            (!path.is_empty()).then(|| PathBuf::from(path))
        })
}

struct Browser {
    client: Client,
    driver: Child,
    base: String,
    screenshots: PathBuf,
    /// The application, for a journey's setup through the services.
    state: AppState,
    /// Seconds added to the system clock: a journey moves the server's day forward.
    offset: Arc<AtomicI64>,
    _dir: PathBuf,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = std::fs::remove_dir_all(&self._dir);
    }
}

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts the application (SQLite, demo data) and a browser; `None` when no browser is here.
async fn start() -> Option<Browser> {
    let chromium = find(
        "chromium",
        &[
            "/usr/bin/chromium",
            "/usr/bin/chromium-browser",
            "/usr/bin/google-chrome",
        ],
    );
    let chromedriver = find("chromedriver", &["/usr/bin/chromedriver"]);
    let (Some(chromium), Some(chromedriver)) = (chromium, chromedriver) else {
        assert!(
            std::env::var("CI").is_err(),
            "CI must have Chromium and ChromeDriver (.ci/run installs them)"
        );
        eprintln!(
            "SKIPPED browser tests: Chromium/ChromeDriver not installed (apt-get install chromium chromium-driver)"
        );
        return None;
    };

    let dir = std::env::temp_dir().join(format!(
        "pingjia-browser-{}-{}",
        std::process::id(),
        free_port()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let db = Db::open(&format!("sqlite://{}", dir.join("browser.db").display()))
        .await
        .unwrap();
    pingjia_server::services::regions::seed(&db).await.unwrap();
    let config = Config {
        evidence_dir: dir.join("evidence"),
        ..Config::default()
    };
    let offset = Arc::new(AtomicI64::new(0));
    let system = pingjia_server::context::system_clock();
    let moved = offset.clone();
    let clock: pingjia_server::context::Clock =
        Arc::new(move || system() + moved.load(Ordering::SeqCst));
    let state = AppState::new(db, config, clock).unwrap();
    pingjia_server::services::demo::load(&state).await.unwrap();
    // The demo has no system administrator; the audit log is theirs alone.
    let request = pingjia_server::services::accounts::NewUserRequest {
        username: "sysadmin".into(),
        display_name: "系统管理员".into(),
        password: pingjia_server::services::demo::DEMO_PASSWORD.into(),
        role: pingjia_server::services::actor::Role::SystemAdmin,
        credit_code: None,
        organization_name: None,
        region_code: None,
    };
    pingjia_server::services::accounts::create_user(&state, None, &request)
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let served = state.clone();
    tokio::spawn(async move {
        axum::serve(listener, pingjia_server::router(served))
            .await
            .unwrap()
    });

    let port = free_port();
    let driver = Command::new(chromedriver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut arguments: Vec<String> = CHROMIUM_FLAGS.iter().map(|s| (*s).to_owned()).collect();
    arguments.push(format!("--user-data-dir={}", dir.join("profile").display()));
    let capabilities = serde_json::json!({
        "goog:chromeOptions": { "binary": chromium.display().to_string(), "args": arguments },
        "unhandledPromptBehavior": "accept"
    });
    let capabilities: serde_json::Map<String, serde_json::Value> =
        capabilities.as_object().unwrap().clone();
    let mut client = None;
    for _ in 0..50 {
        match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(connected) => {
                client = Some(connected);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    let screenshots = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&screenshots).unwrap();
    Some(Browser {
        client: client.expect("ChromeDriver answers"),
        driver,
        base,
        screenshots,
        state,
        offset,
        _dir: dir,
    })
}

impl Browser {
    async fn open(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap();
    }

    async fn shot(&self, name: &str) {
        let png = self.client.screenshot().await.unwrap();
        std::fs::write(self.screenshots.join(format!("{name}.png")), png).unwrap();
    }

    /// The element's text, once it exists. The live result re-renders its elements, so one
    /// found may be gone (stale) when its text is asked for: then it is looked up again.
    async fn text(&self, css: &str) -> String {
        let mut error = None;
        for _ in 0..100 {
            match self.client.find(Locator::Css(css)).await {
                Ok(element) => match element.text().await {
                    Ok(text) => return text,
                    Err(e) => error = Some(e),
                },
                Err(e) => error = Some(e),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{css}: no text within 10 s: {error:?}");
    }

    /// Waits until the element's text satisfies `predicate` (the live result updates asynchronously).
    async fn wait_text(&self, css: &str, predicate: impl Fn(&str) -> bool) -> String {
        let mut last = String::new();
        for _ in 0..100 {
            if let Ok(element) = self.client.find(Locator::Css(css)).await {
                last = element.text().await.unwrap_or_default();
                if predicate(&last) {
                    return last;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{css} never matched; last text: {last}");
    }

    async fn sign_in(&self, username: &str) {
        self.open("/login").await;
        self.client
            .find(Locator::Css("input[name=username]"))
            .await
            .unwrap()
            .send_keys(username)
            .await
            .unwrap();
        self.client
            .find(Locator::Css("input[name=password]"))
            .await
            .unwrap()
            .send_keys(pingjia_server::services::demo::DEMO_PASSWORD)
            .await
            .unwrap();
        self.client
            .find(Locator::Css("form button[type=submit]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }
}

impl Browser {
    /// Sets a control's value the way a date picker or a select does, firing the events the
    /// page listens to.
    async fn set(&self, name: &str, value: &str) {
        let script = r#"
            const [name, value] = arguments;
            const element = document.querySelector(`[name="${name}"]`);
            if (!element) { throw new Error("no control " + name); }
            element.value = value;
            element.dispatchEvent(new Event("input", { bubbles: true }));
            element.dispatchEvent(new Event("change", { bubbles: true }));
        "#;
        self.client
            .execute(script, vec![name.into(), value.into()])
            .await
            .unwrap();
    }

    /// Types into a text field like a user (clearing it first).
    async fn type_into(&self, name: &str, text: &str) {
        let field = self
            .client
            .find(Locator::Css(&format!("[name=\"{name}\"]")))
            .await
            .unwrap();
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    async fn check(&self, name: &str, value: &str) {
        self.client
            .find(Locator::Css(&format!(
                "input[name=\"{name}\"][value=\"{value}\"]"
            )))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }

    async fn grade(&self) -> String {
        self.text("#result-body .grade-badge").await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_applicant_fills_a_jiangsu_declaration_and_watches_the_grade_change() {
    let Some(browser) = start().await else { return };
    browser.sign_in("yunshu").await;
    browser.wait_text("main h1", |t| !t.is_empty()).await;

    // Start a 配套服务商 application (四（六）).
    browser.open("/applications/new").await;
    browser
        .check("target", "jiangsu-pool-2021/supporting")
        .await;
    browser.shot("03-new-application").await;
    browser
        .client
        .find(Locator::Css("form.new-application button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait_text("#result-body .grade-badge", |t| t == "尚未填写")
        .await;

    // 企业基本条件 and a 三星 table through 工业互联网人才培训 (四（六）评估标准).
    for (name, value) in [
        ("v:jiangsu_registered_on", "2015-03-01"),
        ("v:established_on", "2015-03-01"),
        ("v:sup_training_since", "2018-01-01"),
        ("v:independent_legal_person", "是"),
        ("v:good_credit", "是"),
        ("v:sound_finance", "是"),
        ("v:own_ip", "是"),
        ("v:financial_status", "财务状况良好"),
        ("v:sup_training_management", "是"),
        ("v:customer_service", "具有初步的客户服务体系"),
        (
            "v:economic_social_value",
            "帮助客户实现了一定的经济和社会价值",
        ),
    ] {
        browser.set(name, value).await;
    }
    browser.type_into("v:blacklisted_on", "无").await;
    browser.type_into("v:registered_capital", "150万").await;
    browser.type_into("v:sup_training_revenue", "180万").await;
    browser
        .check("i:sup_training_directions", "智能工厂/车间")
        .await;
    browser.check("i:sup_training_directions", "工控安全").await;
    let grade = browser
        .wait_text("#result-body .grade-badge", |t| t == "三星")
        .await;
    assert_eq!(grade, "三星");
    browser
        .wait_text("[data-save-state]", |t| t.contains("已保存"))
        .await;
    browser.shot("04-three-stars").await;

    // 注册资金 300万, 营收 300万 and 较为成熟的客户服务 reach 四星 (注册资金 100万/300万/500万;
    // 人才培训服务营收 150万/300万/500万).
    browser.type_into("v:registered_capital", "300万").await;
    browser.type_into("v:sup_training_revenue", "300万").await;
    browser
        .set("v:customer_service", "具备较为成熟的客户服务体系")
        .await;
    browser
        .wait_text("#result-body .grade-badge", |t| t == "四星")
        .await;
    // An unreadable amount is reported beside its field and the grade falls back.
    browser.type_into("v:registered_capital", "三百万").await;
    browser
        .wait_text("[data-error-for=\"values.registered_capital\"]", |t| {
            t.contains("金额")
        })
        .await;
    browser.shot("05-field-error").await;
    browser.type_into("v:registered_capital", "300万").await;
    browser
        .wait_text("#result-body .grade-badge", |t| t == "四星")
        .await;
    browser
        .wait_text("[data-save-state]", |t| t.contains("已保存"))
        .await;
    browser.shot("06-four-stars").await;

    // Evidence: a PDF attached to the 注册资金 row.
    let pdf = browser._dir.join("营业执照.pdf");
    std::fs::write(&pdf, b"%PDF-1.4\n% licence\n%%EOF\n").unwrap();
    browser
        .client
        .find(Locator::Css("form.upload input[type=file]"))
        .await
        .unwrap()
        .send_keys(&pdf.display().to_string())
        .await
        .unwrap();
    browser
        .client
        .find(Locator::Css("form.upload button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The page reloads after an upload; wait for it before acting again.
    for _ in 0..100 {
        if browser
            .client
            .current_url()
            .await
            .unwrap()
            .as_str()
            .contains("notice=uploaded")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    browser
        .wait_text("#evidence table", |t| t.contains("营业执照.pdf"))
        .await;
    browser.shot("07-evidence").await;

    // Submit, confirming the dialog.
    let submit = browser
        .client
        .find(Locator::Css("button[formaction$=\"/submit\"]"))
        .await
        .unwrap();
    submit.click().await.unwrap();
    for _ in 0..20 {
        if browser.client.accept_alert().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    browser.wait_text("main", |t| t.contains("区县初审")).await;
    browser.shot("08-submitted").await;
    assert_eq!(browser.grade().await, "四星");
    browser.client.clone().close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_applicant_signs_in_in_chromium() {
    let Some(browser) = start().await else { return };
    browser.open("/login").await;
    browser.shot("01-login").await;
    browser.sign_in("zhilian").await;
    let heading = browser.text("main h1").await;
    assert!(!heading.is_empty());
    browser.shot("02-applications").await;
    browser.client.clone().close().await.unwrap();
}

impl Browser {
    /// Evaluates a script expression in the page.
    async fn eval(&self, expression: &str) -> serde_json::Value {
        self.client
            .execute(&format!("return {expression};"), Vec::new())
            .await
            .unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_field_follows_the_one_stating_the_same_fact_until_the_applicant_chooses() {
    let Some(browser) = start().await else { return };
    browser.sign_in("zhilian").await;
    browser.wait_text("main h1", |t| !t.is_empty()).await;
    browser
        .client
        .find(Locator::XPath(
            "//a[contains(., '综合（特色）工业互联网平台服务商')]",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait_text("#result-body .grade-badge", |t| t == "四星")
        .await;
    let status = || browser.eval("document.querySelector('[name=\"v:financial_status\"]').value");
    let note_hidden = || {
        browser.eval("document.querySelector('[data-prefill-note=\"v:financial_status\"]').hidden")
    };
    assert_eq!(note_hidden().await, true);

    // 财务状况 emptied: it follows 一（二）2 运营和财务状况良好 (否 → 无, 是 → 财务状况良好).
    browser.set("v:financial_status", "").await;
    browser.set("v:sound_finance", "否").await;
    assert_eq!(status().await, "无");
    assert_eq!(note_hidden().await, false);
    browser.set("v:sound_finance", "是").await;
    assert_eq!(status().await, "财务状况良好");
    browser
        .wait_text("[data-prefill-note=\"v:financial_status\"]", |t| {
            t == "已根据“运营和财务状况良好”预填，可修改"
        })
        .await;
    browser
        .wait_text("#result-body .grade-badge", |t| t == "四星")
        .await;
    browser
        .wait_text("[data-save-state]", |t| t.contains("已保存"))
        .await;
    browser.shot("09-prefilled").await;

    // A level the applicant chooses is theirs: the source no longer changes it.
    browser.set("v:financial_status", "近2年均实现盈利").await;
    assert_eq!(note_hidden().await, true);
    browser.set("v:sound_finance", "否").await;
    assert_eq!(status().await, "近2年均实现盈利");
    browser.client.clone().close().await.unwrap();
}

impl Browser {
    /// Signs out (forgets the session cookie) and signs in as `username`, waiting for the
    /// page that follows.
    async fn sign_in_as(&self, username: &str) {
        self.open("/login").await;
        self.client.delete_all_cookies().await.unwrap();
        self.sign_in(username).await;
        self.wait_path(|path| path != "/login").await;
        self.wait_text("main h1", |t| !t.is_empty()).await;
    }

    /// Waits until the current path satisfies `predicate` (a form posted, a redirect followed).
    async fn wait_path(&self, predicate: impl Fn(&str) -> bool) -> String {
        let mut last = String::new();
        for _ in 0..100 {
            let url = self.client.current_url().await.unwrap();
            last = url.path().to_owned();
            if predicate(&last) {
                return last;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the path never matched; last: {last}");
    }

    /// Waits until the current address contains `part` (a query or fragment after a redirect).
    async fn wait_url(&self, part: &str) {
        for _ in 0..100 {
            if self
                .client
                .current_url()
                .await
                .unwrap()
                .as_str()
                .contains(part)
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "the address never contained {part}: {}",
            self.client.current_url().await.unwrap()
        );
    }

    async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }

    /// Screenshots of the page at desktop width (1280) and phone width (390), as
    /// `NAME-desktop.png` and `NAME-phone.png`, scrolled to `anchor` when given.
    async fn shots(&self, name: &str, anchor: Option<&str>) {
        for (suffix, width, height) in [("desktop", 1280, 1000), ("phone", 390, 844)] {
            self.client.set_window_size(width, height).await.unwrap();
            if let Some(css) = anchor {
                self.client
                    .execute(
                        "document.querySelector(arguments[0]).scrollIntoView(true);",
                        vec![css.into()],
                    )
                    .await
                    .unwrap();
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
            self.shot(&format!("{name}-{suffix}")).await;
            assert!(
                !self.overflows().await,
                "{name} is wider than a {width} px window"
            );
        }
        self.client.set_window_size(1280, 1000).await.unwrap();
    }

    /// The page's heading, once there, asserting that the page is not the 404 page.
    async fn page_heading(&self) -> String {
        let heading = self.wait_text("main h1", |t| !t.is_empty()).await;
        assert_ne!(
            heading,
            "页面不存在",
            "{}",
            self.client.current_url().await.unwrap()
        );
        heading
    }

    /// Whether the page at this width is wider than the window (content overflowing sideways).
    async fn overflows(&self) -> bool {
        self.eval("document.documentElement.scrollWidth > window.innerWidth")
            .await
            .as_bool()
            .unwrap()
    }

    /// Fetches `path` from the page with the session's cookie and returns the body's bytes.
    async fn fetch_bytes(&self, path: &str) -> (u16, Vec<u8>) {
        let script = r#"
            const [path, done] = arguments;
            fetch(path, { credentials: "same-origin" })
                .then(async (r) => done([r.status, Array.from(new Uint8Array(await r.arrayBuffer()))]))
                .catch((e) => done([0, String(e)]));
        "#;
        let answer = self
            .client
            .execute_async(script, vec![path.into()])
            .await
            .unwrap();
        let status = answer[0].as_u64().unwrap() as u16;
        let bytes = answer[1]
            .as_array()
            .unwrap_or_else(|| panic!("{path}: {answer}"))
            .iter()
            .map(|b| b.as_u64().unwrap() as u8)
            .collect();
        (status, bytes)
    }
}

/// The review chain end to end in Chromium on the demo data: 南京云数's submitted network
/// application (四星) is returned by 江宁区 with a comment on 员工总数, corrected and resubmitted,
/// passed by the county, its 员工总数 confirmed lower by 南京市 (the grade falls to 三星) and
/// recommended; the city's 汇总推荐表 carries it. Screenshots of every review page on the way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_review_chain_from_return_to_the_recommendation_table() {
    let Some(browser) = start().await else { return };

    // The province's round of the Jiangsu scheme, as its office lists it.
    browser.sign_in_as("js-admin").await;
    let rounds = browser.fetch_bytes("/api/v1/rounds").await;
    assert_eq!(rounds.0, 200);
    let rounds: serde_json::Value = serde_json::from_slice(&rounds.1).unwrap();
    let round = rounds
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["scheme_id"] == "jiangsu-pool-2021")
        .expect("the demo's Jiangsu round")["id"]
        .as_i64()
        .unwrap();

    // The applicant's application, as it stands after the demo's submission.
    browser.sign_in_as("yunshu").await;
    browser
        .client
        .find(Locator::XPath(
            "//li[contains(@class, 'app-card')]/a[contains(., '网络')]",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let path = browser.wait_path(|p| p.starts_with("/applications/")).await;
    assert_eq!(browser.grade().await, "四星");
    browser.wait_text("main", |t| t.contains("区县初审")).await;

    // 江宁区 finds it in its queue and returns it with a comment on 员工总数.
    browser.sign_in_as("jn-reviewer").await;
    browser.open("/review").await;
    browser
        .wait_text("main", |t| t.contains("南京云数网络技术有限公司"))
        .await;
    browser.shots("review-queue-county", None).await;
    browser.open(&path).await;
    browser
        .wait_text("#review", |t| t.contains("退回修改"))
        .await;
    browser
        .shots("application-review-county", Some("#review"))
        .await;
    browser.check("action", "return").await;
    browser
        .type_into("comment", "请核实员工总数并补充社保缴纳证明")
        .await;
    browser.set("criterion", "network.employees").await;
    browser
        .type_into("criterion_comment", "员工总数与社保缴纳人数不符")
        .await;
    browser.click("form.review-form button[type=submit]").await;
    browser.wait_url("notice=review_return").await;
    browser
        .wait_text("#timeline", |t| t.contains("员工总数与社保缴纳人数不符"))
        .await;

    // The applicant sees the comment beside the criterion, corrects the value and resubmits.
    browser.sign_in_as("yunshu").await;
    browser.open("/inbox").await;
    browser.wait_text("main", |t| t.contains("退回")).await;
    browser.shots("inbox", None).await;
    browser.open(&path).await;
    let comment = browser
        .text("[data-review-comment=\"network.employees\"]")
        .await;
    assert_eq!(comment, "审核意见：员工总数与社保缴纳人数不符");
    // The comment sits in the 员工总数 row, above its field.
    let in_row = browser
        .eval(
            "document.querySelector('[data-review-comment=\"network.employees\"]')\
             .closest('.row').querySelector('[name=\"v:employees\"]') !== null",
        )
        .await;
    assert_eq!(in_row, true);
    browser
        .shots(
            "application-returned",
            Some("[id=\"row-network.employees\"]"),
        )
        .await;
    browser.type_into("v:employees", "68").await;
    browser
        .wait_text("[data-save-state]", |t| t.contains("已保存"))
        .await;
    browser.open(&path).await;
    browser.click("button[formaction$=\"/submit\"]").await;
    for _ in 0..20 {
        if browser.client.accept_alert().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    browser.wait_text("main", |t| t.contains("区县初审")).await;
    assert_eq!(browser.grade().await, "四星");

    // 江宁区 sees what changed and passes it on.
    browser.sign_in_as("jn-reviewer").await;
    browser.open(&path).await;
    let changes = browser.text("#changes").await;
    assert!(changes.contains("员工总数"), "{changes}");
    assert!(
        changes.contains("72") && changes.contains("68"),
        "{changes}"
    );
    browser.check("action", "pass").await;
    browser.click("form.review-form button[type=submit]").await;
    browser.wait_url("notice=review_pass").await;

    // 南京市 confirms 员工总数 at 45 (四（三）: 50人 for 四星, 20人 for 三星): the grade falls.
    browser.sign_in_as("nj-reviewer").await;
    browser.open("/review?state=city_review").await;
    browser
        .wait_text("main", |t| t.contains("南京云数网络技术有限公司"))
        .await;
    browser.shots("review-queue-city", None).await;
    browser.open(&path).await;
    assert_eq!(browser.grade().await, "四星");
    browser.set("field", "employees").await;
    browser.type_into("value", "45").await;
    browser.type_into("note", "社保缴纳人数 45 人").await;
    browser.click("form.confirm-form button[type=submit]").await;
    browser.wait_url("notice=review_confirmed").await;
    let confirmed = browser.text("#confirmed table").await;
    assert!(confirmed.contains("45"), "{confirmed}");
    assert!(confirmed.contains("社保缴纳人数 45 人"), "{confirmed}");
    assert_eq!(browser.grade().await, "三星");
    browser
        .shots("application-confirmed", Some("#confirmed"))
        .await;
    browser
        .shots("application-timeline", Some("#timeline"))
        .await;

    // … and recommends it.
    browser.check("action", "recommend").await;
    browser.click("form.review-form button[type=submit]").await;
    browser.wait_url("notice=review_recommend").await;
    browser.wait_text("main", |t| t.contains("专家评审")).await;

    // The city's 汇总推荐表: the application's row, its 核定星级 and 推荐意见.
    let (status, bytes) = browser
        .fetch_bytes(&format!("/api/v1/rounds/{round}/recommendations.xlsx"))
        .await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bytes));
    let rows = sheet(&bytes, "汇总推荐表");
    let row = rows
        .iter()
        .find(|r| r.get(1).is_some_and(|c| c == "南京云数网络技术有限公司"))
        .unwrap_or_else(|| panic!("the application's row: {rows:?}"));
    assert_eq!(row[3], "江宁区");
    assert_eq!(row[6], "四星");
    assert_eq!(row[7], "三星");
    assert_eq!(row[10], "情况属实，同意推荐");
    browser.client.clone().close().await.unwrap();
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

/// The other new pages at desktop and phone width: rounds, a round, notices, registration, the
/// inbox and the administration pages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_new_pages_at_desktop_and_phone_width() {
    let Some(browser) = start().await else { return };
    browser.open("/register").await;
    browser.page_heading().await;
    browser.shots("register", None).await;

    browser.sign_in_as("js-admin").await;
    browser.open("/rounds").await;
    browser.wait_text("main", |t| t.contains("江苏")).await;
    browser.shots("rounds", None).await;
    browser
        .client
        .find(Locator::Css("main table a[href^=\"/rounds/\"]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait_path(|p| p.starts_with("/rounds/") && p != "/rounds/new")
        .await;
    browser.page_heading().await;
    browser.shots("round", None).await;
    // A draft round shows what is missing before it may be published.
    let script = r#"
        const done = arguments[0];
        const csrf = document.querySelector('input[name="csrf"]').value;
        fetch("/api/v1/rounds", {
            method: "POST",
            credentials: "same-origin",
            headers: { "content-type": "application/json", "x-csrf-token": csrf },
            body: JSON.stringify({ scheme: "jiangsu-pool-2021" }),
        }).then(async (r) => done([r.status, await r.text()]));
    "#;
    let created = browser
        .client
        .execute_async(script, Vec::new())
        .await
        .unwrap();
    assert_eq!(created[0], 201, "{created}");
    let draft: serde_json::Value = serde_json::from_str(created[1].as_str().unwrap()).unwrap();
    browser
        .open(&format!("/rounds/{}", draft["id"].as_i64().unwrap()))
        .await;
    let checklist = browser.text("ul.checklist").await;
    assert!(!checklist.is_empty());
    browser.shots("round-draft-checklist", None).await;
    browser.open("/notices").await;
    browser.page_heading().await;
    browser.shots("notices", None).await;
    browser.click("a[href^=\"/notices/rounds/\"]").await;
    browser
        .wait_path(|p| p.starts_with("/notices/rounds/"))
        .await;
    browser.page_heading().await;
    browser.shots("notice", None).await;
    browser.open("/admin/users").await;
    browser.page_heading().await;
    browser.shots("admin-users", None).await;
    browser.sign_in_as("sysadmin").await;
    browser.open("/admin/audit").await;
    browser.page_heading().await;
    browser.shots("admin-audit", None).await;
    browser.client.clone().close().await.unwrap();
}

/// The pages of the experts, the panel analytics, the decisions and the public notices at
/// desktop and phone width, on the demo data: an expert's assignments and score sheet, the
/// authority's experts of an application, the round's analytics and decisions, and the public
/// notices and published list signed out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_expert_and_decision_pages_at_desktop_and_phone_width() {
    let Some(browser) = start().await else { return };
    browser.sign_in_as("sx-expert1").await;
    browser.open("/expert").await;
    browser.page_heading().await;
    browser.shots("expert-tasks", None).await;
    browser.click("main a[href^=\"/expert/\"]").await;
    browser.wait_path(|p| p.starts_with("/expert/")).await;
    browser.page_heading().await;
    browser.shots("expert-sheet", None).await;

    browser.sign_in_as("sx-admin").await;
    let script = r#"
        const done = arguments[0];
        Promise.all([
            fetch("/api/v1/rounds", { credentials: "same-origin" }).then((r) => r.json()),
            fetch("/api/v1/applications?state=expert_review", { credentials: "same-origin" }).then((r) => r.json()),
        ]).then(done);
    "#;
    let found = browser
        .client
        .execute_async(script, Vec::new())
        .await
        .unwrap();
    let round = found[0]
        .as_array()
        .and_then(|rounds| {
            rounds
                .iter()
                .find(|r| r["scheme_id"] == "shaoxing-platform")
        })
        .and_then(|r| r["id"].as_i64())
        .expect("the demo's Shaoxing round");
    browser.open(&format!("/rounds/{round}/analytics")).await;
    let heading = browser.page_heading().await;
    assert_eq!(heading, "专家评审分析");
    browser.shots("round-analytics", None).await;
    browser.open(&format!("/rounds/{round}/decisions")).await;
    browser.page_heading().await;
    browser.shots("decisions", None).await;
    if let Some(application) = found[1]["items"]
        .as_array()
        .and_then(|items| items.first())
        .and_then(|a| a["id"].as_i64())
    {
        browser
            .open(&format!("/applications/{application}/experts"))
            .await;
        browser.page_heading().await;
        browser.shots("application-experts", None).await;
    }

    browser.client.delete_all_cookies().await.unwrap();
    browser.open("/public-notices").await;
    browser.page_heading().await;
    browser.shots("public-notices", None).await;
    browser.open("/published").await;
    browser.page_heading().await;
    browser.shots("published", None).await;
    browser.open("/transparency").await;
    browser.page_heading().await;
    browser.shots("transparency", None).await;
    browser.client.clone().close().await.unwrap();
}

/// The authority's half after the recommendations, as the issue tells it: 绍兴织造's
/// application reaches the expert review; 绍兴市 records 赵工's shareholding in the applicant,
/// confirms the conflict it raises and assigns the three others; each declares no conflict,
/// one corrects a row, all score and submit; the authority decides, opens the 公示; a visitor
/// signed out objects; the authority dismisses the objection and, the period over (the clock
/// moved on), publishes; the result is public and the applicant sees it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn experts_decision_notice_objection_and_publication() {
    use pingjia_server::services::{applications, demo, review};
    let Some(browser) = start().await else { return };
    let state = &browser.state;

    // 绍兴织造 (柯桥区) declares under the Shaoxing round; 柯桥区 recommends it to 绍兴市.
    let applicant = demo::actor(state, "zhizao").await.unwrap();
    let application = applications::create(state, &applicant, "shaoxing-platform", None, None)
        .await
        .unwrap();
    let mut body = pingjia_core::declaration::parse_tree(
        include_str!("../../../../examples/shaoxing/eligible_platform.toml"),
        pingjia_core::declaration::Format::Toml,
    )
    .unwrap();
    for key in ["scheme", "provider_type", "experts"] {
        body.as_object_mut().unwrap().remove(key);
    }
    applications::save_draft(state, &applicant, application, body)
        .await
        .unwrap();
    applications::submit(state, &applicant, application)
        .await
        .unwrap();
    let county = demo::actor(state, "kq-reviewer").await.unwrap();
    let recommend = review::Decision {
        action: "recommend".into(),
        ..Default::default()
    };
    review::decide(state, &county, application, &recommend)
        .await
        .unwrap();
    let code = applicant.user.organization_id.unwrap();
    let code = pingjia_server::storage::organization(&state.db, code)
        .await
        .unwrap()
        .unwrap()
        .credit_code;

    // The pool: 赵工 declares a shareholding in 绍兴织造.
    browser.sign_in_as("sx-admin").await;
    browser.open("/experts").await;
    assert_eq!(browser.page_heading().await, "专家库");
    browser.shots("experts", None).await;
    browser
        .client
        .find(Locator::XPath("//main//a[normalize-space(.)='赵工']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.wait_path(|p| p.starts_with("/experts/")).await;
    browser.set("kind", "shareholding").await;
    browser.type_into("credit_code", &code).await;
    browser
        .type_into("organization", "绍兴织造数字科技有限公司")
        .await;
    browser.type_into("note", "持有该公司 5% 股份").await;
    browser
        .click("form[action$=\"/relations\"] button[type=submit]")
        .await;
    browser.wait_url("notice=relation").await;
    let relations = browser.text("#relations table").await;
    assert!(relations.contains("持有该单位股份"), "{relations}");
    browser.shots("expert", None).await;

    // The round's panel: three experts per application.
    let round = state_round(&browser, "shaoxing-platform").await;
    browser.open(&format!("/rounds/{round}/panel")).await;
    assert_eq!(browser.page_heading().await, "评审组");
    browser.shots("round-panel", None).await;

    // The application's experts: 赵工's conflict is shown before anyone is assigned; the
    // authority confirms it, and 赵工 can no longer be chosen.
    browser
        .open(&format!("/applications/{application}/experts"))
        .await;
    browser.page_heading().await;
    let candidates = browser.text("main table").await;
    assert!(candidates.contains("赵工"), "{candidates}");
    browser.shots("application-experts-conflict", None).await;
    let conflict = browser
        .client
        .find(Locator::XPath(
            "//form[contains(@action, '/conflicts')][.//strong[.='赵工']]",
        ))
        .await
        .unwrap();
    conflict
        .find(Locator::Css("input[name=reason]"))
        .await
        .unwrap()
        .send_keys("持股关系属实，回避")
        .await
        .unwrap();
    conflict
        .find(Locator::Css("button[value=confirm]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.wait_url("notice=conflict").await;
    let disabled = browser
        .eval("document.querySelector('input[name=expert][aria-label=\"赵工\"]').disabled")
        .await;
    assert_eq!(disabled, true);
    for name in ["李工", "张工", "陈工"] {
        browser
            .click(&format!("input[name=expert][aria-label=\"{name}\"]"))
            .await;
    }
    browser
        .click("form[action$=\"/experts\"] button[type=submit]")
        .await;
    browser.wait_url("notice=assigned").await;
    let assigned = browser.text("main table").await;
    for name in ["李工", "张工", "陈工"] {
        assert!(assigned.contains(name), "{assigned}");
    }
    browser.shots("application-experts-assigned", None).await;

    // Each expert: no conflict, scores with opinions (the Shaoxing rubric, in steps of 0.5),
    // submitted; 李工 also corrects the platform's type.
    let items = [
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
    let sheets: [(&str, [&str; 9]); 3] = [
        (
            "sx-expert1",
            ["8", "7.5", "8", "8.5", "7", "7.5", "16", "15.5", "4"],
        ),
        (
            "sx-expert2",
            ["8.5", "8", "7.5", "8", "7.5", "8", "17", "16", "3.5"],
        ),
        (
            "sx-expert3",
            ["7", "7", "7.5", "7.5", "6.5", "7", "14", "14.5", "3"],
        ),
    ];
    for (n, (expert, scores)) in sheets.iter().enumerate() {
        browser.sign_in_as(expert).await;
        browser.open("/expert").await;
        let task = browser
            .client
            .find(Locator::XPath(
                "//li[.//h2[.='绍兴织造数字科技有限公司']]//button[@value='1']",
            ))
            .await
            .unwrap();
        if n == 0 {
            browser.shots("expert-declaration", None).await;
        }
        task.click().await.unwrap();
        let sheet = browser.wait_path(|p| p.starts_with("/expert/")).await;
        for (item, score) in items.iter().zip(scores) {
            browser.type_into(&format!("score:{item}"), score).await;
            browser
                .type_into(&format!("note:{item}"), "依据申报材料和佐证评分")
                .await;
        }
        browser.type_into("opinion", "符合认定条件。").await;
        browser
            .click("form[action^=\"/expert/\"]:not([action$=\"/submit\"]) button[type=submit]")
            .await;
        browser.wait_url("notice=saved").await;
        if n == 0 {
            browser.open(&format!("/applications/{application}")).await;
            browser.set("field", "platform_type").await;
            browser.type_into("value", "区域级").await;
            browser
                .type_into("note", "平台主要服务柯桥区印染企业，属区域级")
                .await;
            browser.click("form.confirm-form button[type=submit]").await;
            browser.wait_url("notice=review_confirmed").await;
            let confirmed = browser.text("#confirmed table").await;
            assert!(confirmed.contains("区域级"), "{confirmed}");
            browser
                .shots("application-expert-confirmed", Some("#confirmed"))
                .await;
            browser.open(&sheet).await;
        }
        browser
            .click("form[action$=\"/submit\"] button[type=submit]")
            .await;
        browser.wait_url("notice=submitted").await;
        if n == 2 {
            // The last to submit sees the two others' reviews.
            let others = browser.text("main").await;
            assert!(others.contains("其他专家的评审意见"), "{others}");
            browser.shots("expert-submitted", None).await;
        }
    }

    // The authority decides: the default, 认定, from the mean of the totals
    // (82 + 84 + 74) / 3 = 80.
    browser.sign_in_as("sx-admin").await;
    browser.open(&format!("/rounds/{round}/decisions")).await;
    browser.page_heading().await;
    let row = browser
        .text(&format!("tr:has(input[name=id][value=\"{application}\"])"))
        .await;
    assert!(row.contains("绍兴织造数字科技有限公司"), "{row}");
    assert!(row.contains("80"), "{row}");
    browser
        .click(&format!("input[name=id][value=\"{application}\"]"))
        .await;
    browser
        .click("form[action$=\"/decisions\"] button[type=submit]")
        .await;
    browser.wait_url("notice=decided").await;
    browser.shots("decisions-decided", None).await;

    // … and opens the 公示 (7 natural days).
    browser
        .click("form[action$=\"/notices\"] button[type=submit]")
        .await;
    // Opened, the notice's management page follows.
    browser.wait_url("notice=opened").await;
    let manage = browser.wait_path(|p| p.ends_with("/manage")).await;
    browser.shots("notice-manage-opened", None).await;
    let public = manage.trim_end_matches("/manage").to_owned();

    // A visitor, signed out, objects with name and contact.
    browser.client.delete_all_cookies().await.unwrap();
    browser.open(&public).await;
    browser.page_heading().await;
    let listed = browser.text("main table").await;
    assert!(listed.contains("绍兴织造数字科技有限公司"), "{listed}");
    browser.type_into("name", "王某").await;
    browser.type_into("contact", "13800000000").await;
    browser
        .type_into("text", "该平台的服务企业数量与实际不符，请核实。")
        .await;
    browser.shots("public-notice-objection", None).await;
    browser
        .click("form[action$=\"/objections\"] button[type=submit]")
        .await;
    browser
        .wait_text("main", |t| t.contains("异议已提交") || t.contains("已收到"))
        .await;

    // The authority sees who objected, dismisses it with reasons; publication waits for the
    // period's end.
    browser.sign_in_as("sx-admin").await;
    browser.open(&manage).await;
    let objection = browser.text("main").await;
    assert!(
        objection.contains("王某") && objection.contains("13800000000"),
        "{objection}"
    );
    browser.shots("notice-manage-objection", None).await;
    browser.set("outcome", "dismiss").await;
    browser
        .type_into("reason", "经核实，服务企业数量与佐证材料一致，异议不成立。")
        .await;
    browser
        .click("form[action$=\"/resolve\"] button[type=submit]")
        .await;
    browser.wait_url("notice=resolved").await;
    browser
        .type_into("document_number", "绍市经信〔2026〕12号")
        .await;
    browser
        .click("form[action$=\"/publish\"] button[type=submit]")
        .await;
    let refusal = browser.text("main p.error").await;
    assert!(refusal.contains("公示期"), "{refusal}");
    browser
        .shots("notice-manage-too-early", Some("p.error"))
        .await;
    assert!(
        !browser
            .client
            .current_url()
            .await
            .unwrap()
            .as_str()
            .contains("notice=published")
    );

    // Eight days on, the period is over: published.
    browser.offset.store(8 * 86_400, Ordering::SeqCst);
    browser.sign_in_as("sx-admin").await;
    browser.open(&manage).await;
    browser
        .type_into("document_number", "绍市经信〔2026〕12号")
        .await;
    let today = browser
        .eval("document.querySelector('input[name=document_date]').value")
        .await;
    assert!(today.as_str().is_some_and(|d| d.len() == 10), "{today}");
    browser
        .click("form[action$=\"/publish\"] button[type=submit]")
        .await;
    browser.wait_url("notice=published").await;
    browser.shots("notice-manage-published", None).await;

    // The public list names it, and the applicant sees the final result.
    browser.client.delete_all_cookies().await.unwrap();
    browser.open("/published").await;
    let published = browser.text("main").await;
    assert!(
        published.contains("绍兴织造数字科技有限公司")
            && published.contains("绍市经信〔2026〕12号"),
        "{published}"
    );
    browser.shots("published-after", None).await;
    browser.sign_in_as("zhizao").await;
    browser.open(&format!("/applications/{application}")).await;
    browser.wait_text("main", |t| t.contains("已发布")).await;
    browser.shots("application-published", None).await;
    browser.client.clone().close().await.unwrap();
}

/// The id of the demo's round of a scheme, through the services.
async fn state_round(browser: &Browser, scheme: &str) -> i64 {
    let admin = pingjia_server::services::demo::actor(
        &browser.state,
        if scheme.starts_with("shaoxing") {
            "sx-admin"
        } else {
            "js-admin"
        },
    )
    .await
    .unwrap();
    pingjia_server::services::rounds::authority_rounds(&browser.state, &admin)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.scheme_id == scheme)
        .unwrap()
        .id
}

/// The pool as the public meets it, on the demo data: a visitor finds 绍兴柯桥纺织's
/// recognition in the directory, opens its member page and its certificate, and verifies the
/// certificate by number (typed in lower case with spaces); an unknown number is said beside
/// the form. 柯桥区's authority then revokes the recognition (002 第十一条（一）) on its pool page:
/// the certificate now says 已撤销, the directory no longer lists the member by default, and the
/// member page's history shows the revocation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directory_member_certificate_verification_and_revocation() {
    let Some(browser) = start().await else { return };
    let company = "绍兴柯桥纺织产业互联网有限公司";

    // The signed-out navigation leads to the directory; a search finds the member.
    browser.open("/").await;
    browser.click("nav a[href=\"/directory\"]").await;
    browser.wait_path(|p| p == "/directory").await;
    browser.type_into("q", "柯桥纺织").await;
    browser.click("main form button[type=submit]").await;
    browser.wait_url("q=").await;
    let rows = browser
        .wait_text("main table.list", |t| t.contains(company))
        .await;
    assert!(rows.contains("认定"), "{rows}");
    browser.shots("directory", None).await;

    browser
        .click("main table.list a[href^=\"/directory/\"]")
        .await;
    let member_path = browser.wait_path(|p| p.starts_with("/directory/")).await;
    assert_eq!(browser.page_heading().await, company);
    let page = browser.text("main").await;
    assert!(page.contains("入库"), "{page}");
    browser.shots("directory-member", None).await;

    // The member page links the certificate of the grade in force.
    browser.click("main a[href^=\"/certificates/\"]").await;
    let certificate_path = browser.wait_path(|p| p.starts_with("/certificates/")).await;
    let number = certificate_path
        .trim_start_matches("/certificates/")
        .to_owned();
    assert!(number.starts_with("ZS-"), "{number}");
    let page = browser.wait_text("main", |t| t.contains(company)).await;
    assert!(page.contains("有效"), "{page}");
    assert!(page.contains(&number), "{page}");
    browser.shots("certificate", None).await;
    let (status, pdf) = browser
        .fetch_bytes(&format!("/api/v1/public/certificates/{number}/pdf"))
        .await;
    // 503 only where the PDF font is missing (outside CI; .ci/run installs it).
    if std::env::var("CI").is_ok() || status == 200 {
        assert_eq!(status, 200);
        assert!(pdf.starts_with(b"%PDF-"), "not a PDF");
    }

    // Anyone verifies it by number.
    browser.open("/certificates").await;
    browser
        .type_into("number", &format!("  {}  ", number.to_lowercase()))
        .await;
    browser.click("main form button[type=submit]").await;
    browser.wait_path(|p| p == certificate_path).await;
    browser.wait_text("main", |t| t.contains("有效")).await;
    browser.open("/certificates").await;
    browser.type_into("number", "ZS-2026-999999").await;
    browser.click("main form button[type=submit]").await;
    let error = browser.text("#number-error").await;
    assert!(error.contains("未找到"), "{error}");
    browser.shots("certificates-unknown", None).await;

    browser.open("/directory/stats").await;
    let stats = browser
        .wait_text("main", |t| t.contains("在库单位共"))
        .await;
    assert!(stats.contains("在库单位共 1 家"), "{stats}");
    browser.shots("directory-stats", None).await;

    // The authority revokes the recognition on its pool page.
    browser.sign_in_as("sx-admin").await;
    browser.open("/pool").await;
    browser.wait_text("main", |t| t.contains(company)).await;
    browser.shots("pool", None).await;
    let member_id = member_path.trim_start_matches("/directory/").to_owned();
    browser.open(&format!("/pool/{member_id}")).await;
    browser.wait_text("main", |t| t.contains(company)).await;
    browser.set("ground", "article11_1").await;
    let today = browser.state.today().to_string();
    browser.set("found_on", &today).await;
    browser
        .type_into(
            "detail",
            "申报材料中的研发投入与审计报告不符，经核实为虚报。",
        )
        .await;
    browser
        .click("form[action$=\"/revocation\"] button[type=submit]")
        .await;
    let page = browser
        .wait_text("main", |t| t.contains("已取消资格并记入禁入期"))
        .await;
    assert!(page.contains("第十一条"), "{page}");
    browser.shots("pool-member-revoked", None).await;

    // The public sees it: the certificate is revoked, the member has left the default list.
    browser.client.delete_all_cookies().await.unwrap();
    browser.open(&certificate_path).await;
    browser.wait_text("main", |t| t.contains("已撤销")).await;
    browser.shots("certificate-revoked", None).await;
    browser.open("/directory?q=柯桥纺织").await;
    let listed = browser.text("main").await;
    assert!(!listed.contains(company), "{listed}");
    browser.open(&member_path).await;
    let history = browser.wait_text("main", |t| t.contains("撤销")).await;
    assert!(history.contains("已撤销"), "{history}");
}
