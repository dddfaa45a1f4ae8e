//! The public directory of the pool and its open data: a member made by a real publication
//! (甲公司 四星, document of 2026-06-05, term to 2029-06-04 as tests/pool.rs computes), and 300
//! members written directly, whose counts are worked out by hand from how they are made:
//!
//! member i (0 ≤ i < 300): `测试{i:03}科技有限公司`; stars 3, 4, 5 for i mod 3 = 0, 1, 2
//! (三星, 四星, 五星); in 昆山市 (苏州市) for even i, 江宁区 (南京市) for odd i; expired when
//! i mod 5 = 4 (60 of them), active otherwise (240); valid until 2027-01-01 + i days;
//! provider type `network` for i < 150, `cloud_platform` from 150.

use crate::pool::published;
use crate::support;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use support::{Client, TestApp};

/// The 300 members of the module's comment, on the real member's grant and round.
async fn many(app: &TestApp) {
    let db = &app.state.db;
    let (grant, round): (i64, i64) =
        sqlx::query_as("SELECT id, round_id FROM published_grades ORDER BY id LIMIT 1")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    let kunshan = pingjia_server::storage::region_by_code(db, "320583")
        .await
        .unwrap()
        .unwrap();
    let jiangning = pingjia_server::storage::region_by_code(db, "320115")
        .await
        .unwrap()
        .unwrap();
    let start = chrono::NaiveDate::from_ymd_opt(2027, 1, 1).unwrap();
    let now = app.state.now();
    let mut tx = db.begin().await.unwrap();
    for i in 0..300_i64 {
        let region = if i % 2 == 0 { &kunshan } else { &jiangning };
        let name = format!("测试{i:03}科技有限公司");
        let code = support::credit_code(&format!("9132{:013}", 1_000_000 + i));
        let organization = pingjia_server::storage::insert_organization(
            &mut tx,
            &name,
            &code,
            "enterprise",
            region,
            now,
        )
        .await
        .unwrap();
        let stars = 3 + i % 3;
        let result = ["三星", "四星", "五星"][(i % 3) as usize];
        let (provider_type, label) = if i < 150 {
            ("network", "网络服务商")
        } else {
            ("cloud_platform", "云平台服务商")
        };
        let status = if i % 5 == 4 { "expired" } else { "active" };
        let until = (start + chrono::Duration::days(i)).to_string();
        sqlx::query(
            "INSERT INTO pool_members (organization_id, scheme_id, provider_type, type_label, region_id, region_path, organization, credit_code, result, stars, valid_from, valid_until, status, grant_id, round_id, document_number, updated_at) \
             VALUES ($1, 'jiangsu-pool-2021', $2, $3, $4, $5, $6, $7, $8, $9, '2024-01-01', $10, $11, $12, $13, '苏工信〔2024〕1号', $14)",
        )
        .bind(organization)
        .bind(provider_type)
        .bind(label)
        .bind(region.id)
        .bind(&region.path)
        .bind(&name)
        .bind(&code)
        .bind(result)
        .bind(stars)
        .bind(&until)
        .bind(status)
        .bind(grant)
        .bind(round)
        .bind(now)
        .execute(tx.conn())
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

/// A query value percent-encoded (Chinese in a URI).
fn enc(text: &str) -> String {
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

async fn api(app: &TestApp, path: &str) -> Value {
    let response = app.get(&Client::anonymous(), path).await;
    assert_eq!(
        response.status,
        StatusCode::OK,
        "{path}: {}",
        response.text()
    );
    response.json()
}

fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["organization"].as_str().unwrap().to_owned())
        .collect()
}

fn test_name(i: i64) -> String {
    format!("测试{i:03}科技有限公司")
}

#[tokio::test]
async fn a_published_member_is_listed_with_its_grant_and_public_history() {
    let app = TestApp::new().await;
    published(&app).await;
    let page = api(&app, "/api/v1/public/directory").await;
    assert_eq!(page["schema"], "pingjia-directory/1");
    assert_eq!(page["total"], 1);
    let item = &page["items"][0];
    assert_eq!(item["organization"], "甲公司");
    assert_eq!(item["result"], "四星");
    assert_eq!(item["stars"], 4);
    assert_eq!(item["provider_type"], "network");
    assert_eq!(item["region_code"], "320583");
    assert_eq!(item["region"], "江苏省 苏州市 昆山市");
    assert_eq!(item["valid_from"], "2026-06-05");
    assert_eq!(item["valid_until"], "2029-06-04");
    assert_eq!(item["status"], "active");
    assert_eq!(item["round_name"], "测试批次 jiangsu-pool-2021");
    assert_eq!(item["document_number"], "苏工信〔2026〕88号");
    let id = item["id"].as_i64().unwrap();

    // The organisation is reminded 180 days before its term ends: private, never shown.
    let today = chrono::NaiveDate::from_ymd_opt(2028, 12, 6).unwrap();
    let reminded = pingjia_server::services::pool::run(&app.state, "renewal_reminders", today)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(reminded.done, 1);
    let detail = api(&app, &format!("/api/v1/public/directory/{id}")).await;
    assert_eq!(detail["document_date"], "2026-06-05");
    let kinds: Vec<&str> = detail["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["granted"]);
    let page = app
        .get(&Client::anonymous(), &format!("/directory/{id}"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("甲公司") && html.contains("四星"), "{html}");
    assert!(html.contains("苏工信〔2026〕88号（2026-06-05）"), "{html}");
    assert!(html.contains("入库"), "{html}");
    assert!(!html.contains("距有效期届满"), "{html}");

    // The day after the term's last day the member leaves the pool: no longer listed by
    // default, listed among the expired, its history with the expiry.
    let expired = pingjia_server::services::pool::run(
        &app.state,
        "member_expiry",
        chrono::NaiveDate::from_ymd_opt(2029, 6, 5).unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(expired.done, 1);
    assert_eq!(api(&app, "/api/v1/public/directory").await["total"], 0);
    let listed = api(&app, "/api/v1/public/directory?status=expired").await;
    assert_eq!(names(&listed), ["甲公司"]);
    assert_eq!(listed["items"][0]["status_label"], "已到期");
    let detail = api(&app, &format!("/api/v1/public/directory/{id}")).await;
    let kinds: Vec<&str> = detail["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["granted", "expired"]);
    let html = app.get(&Client::anonymous(), "/directory").await.text();
    assert!(!html.contains("甲公司"), "{html}");
    assert!(html.contains("没有符合条件的单位"), "{html}");
}

#[tokio::test]
async fn filters_sorts_and_pages_follow_the_hand_counts() {
    let app = TestApp::new().await;
    published(&app).await;
    many(&app).await;
    let total = |page: &Value| page["total"].as_i64().unwrap();
    // 240 active of the 300, and 甲公司.
    let all = api(&app, "/api/v1/public/directory?per_page=5").await;
    assert_eq!(total(&all), 241);
    assert_eq!(all["pages"], 49);
    // By name (bytewise: 测 U+6D4B before 甲 U+7532); 004 is expired.
    assert_eq!(
        names(&all),
        [0, 1, 2, 3, 5].map(test_name).to_vec(),
        "{all}"
    );
    // The last of 241 by name at 50 a page: page 5 holds 41, the last 甲公司.
    let deep = api(&app, "/api/v1/public/directory?per_page=50&page=5").await;
    assert_eq!(deep["items"].as_array().unwrap().len(), 41);
    assert_eq!(names(&deep).last().unwrap(), "甲公司");
    // The 201st active member by name: four of every five are active, so i = 250.
    assert_eq!(names(&deep)[0], test_name(250));
    // Every status: 301.
    assert_eq!(
        total(&api(&app, "/api/v1/public/directory?status=all").await),
        301
    );
    assert_eq!(
        total(&api(&app, "/api/v1/public/directory?status=expired").await),
        60
    );
    // 五星 (i ≡ 2 mod 3: 100) less the expired (i ≡ 14 mod 15: 20).
    let five = api(
        &app,
        &format!("/api/v1/public/directory?result={}", enc("五星")),
    )
    .await;
    assert_eq!(total(&five), 80);
    assert_eq!(
        total(&api(&app, "/api/v1/public/directory?stars=5").await),
        80
    );
    // 苏州市: even i (150) less i ≡ 4 mod 10 (30), and 甲公司 in 昆山市.
    assert_eq!(
        total(&api(&app, "/api/v1/public/directory?region=3205").await),
        121
    );
    assert_eq!(
        total(&api(&app, "/api/v1/public/directory?region=320583").await),
        121
    );
    assert_eq!(
        total(&api(&app, "/api/v1/public/directory?region=3201").await),
        120
    );
    assert_eq!(
        total(&api(&app, "/api/v1/public/directory?region=32").await),
        241
    );
    // 苏州市 and 五星: i ≡ 2 mod 6 (50) less i ≡ 14 mod 30 (10).
    assert_eq!(
        total(
            &api(
                &app,
                &format!(
                    "/api/v1/public/directory?region=3205&result={}",
                    enc("五星")
                )
            )
            .await
        ),
        40
    );
    // network: i < 150 (150) less 30 expired, and 甲公司; cloud_platform: 120.
    assert_eq!(
        total(&api(&app, "/api/v1/public/directory?provider_type=network").await),
        121
    );
    assert_eq!(
        total(
            &api(
                &app,
                "/api/v1/public/directory?scheme=jiangsu-pool-2021&provider_type=cloud_platform"
            )
            .await
        ),
        120
    );
    // Part of a name: 测试010 … 测试019, less 014 and 019.
    let part = api(
        &app,
        &format!("/api/v1/public/directory?q={}", enc("测试01")),
    )
    .await;
    assert_eq!(total(&part), 8);
    // A credit code, exactly.
    let code = support::credit_code(&format!("9132{:013}", 1_000_000 + 7));
    let by_code = api(&app, &format!("/api/v1/public/directory?q={code}")).await;
    assert_eq!(names(&by_code), [test_name(7)]);
    // Wildcards are literal.
    assert_eq!(total(&api(&app, "/api/v1/public/directory?q=%25").await), 0);
    // Stars, highest first, ties by id from the newest: 五星 296, 293, 290, 287 (284 expired), 281.
    let stars = api(&app, "/api/v1/public/directory?sort=stars&per_page=5").await;
    assert_eq!(
        names(&stars),
        [296, 293, 290, 287, 281].map(test_name).to_vec()
    );
    // Term, earliest first: 2027-01-01 (i = 0), 02, 03, 04, 06; 甲公司 (2029-06-04) last.
    let until = api(&app, "/api/v1/public/directory?sort=valid_until&per_page=5").await;
    assert_eq!(
        until["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["valid_until"].as_str().unwrap())
            .collect::<Vec<_>>(),
        [
            "2027-01-01",
            "2027-01-02",
            "2027-01-03",
            "2027-01-04",
            "2027-01-06"
        ]
    );
    let last = api(
        &app,
        "/api/v1/public/directory?sort=valid_until&dir=desc&per_page=1",
    )
    .await;
    assert_eq!(names(&last), ["甲公司"]);
    // Region: 南京 (/32/3201/…) before 苏州 (/32/3205/…), by id within.
    let region = api(&app, "/api/v1/public/directory?sort=region&per_page=3").await;
    assert_eq!(names(&region), [1, 3, 5].map(test_name).to_vec());
    let region = api(
        &app,
        "/api/v1/public/directory?sort=region&dir=desc&per_page=2",
    )
    .await;
    assert_eq!(names(&region), [298, 296].map(test_name).to_vec());
    // The same query twice: the same order (stable).
    assert_eq!(
        api(
            &app,
            "/api/v1/public/directory?sort=stars&page=7&per_page=13"
        )
        .await["items"],
        api(
            &app,
            "/api/v1/public/directory?sort=stars&page=7&per_page=13"
        )
        .await["items"]
    );
    // The page lists the same, with the filters kept in the page links.
    let html = app
        .get(
            &Client::anonymous(),
            &format!(
                "/directory?region=3205&result={}&sort=valid_until",
                enc("五星")
            ),
        )
        .await;
    assert_eq!(html.status, StatusCode::OK);
    let html = html.text();
    assert!(html.contains("共 40 家"), "{html}");
    assert!(html.contains(&test_name(2)), "{html}");
    assert!(!html.contains(&test_name(1)), "{html}");
    // minijinja escapes `/` in text and attributes.
    assert!(html.contains("第 1 &#x2f; 2 页"), "{html}");
    assert!(
        html.contains("&#x2f;directory?page=2&amp;result=%E4%BA%94%E6%98%9F&amp;region=3205&amp;sort=valid_until"),
        "{html}"
    );
    assert!(html.contains("审计日志"), "{html}");
}

#[tokio::test]
async fn wrong_filters_are_refused_beside_the_form() {
    let app = TestApp::new().await;
    for query in [
        "stars=9",
        "sort=price",
        "dir=up",
        "status=gone",
        "region=999999",
        "region=abc",
        "scheme=nope",
        "provider_type=nope",
        "per_page=201",
        "page=0",
    ] {
        let response = app
            .get(
                &Client::anonymous(),
                &format!("/api/v1/public/directory?{query}"),
            )
            .await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert_eq!(response.json()["error"], "invalid_input", "{query}");
    }
    let page = app.get(&Client::anonymous(), "/directory?sort=price").await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = page.text();
    assert!(
        html.contains("排序应为 name、stars、valid_until 或 region"),
        "{html}"
    );
    assert!(html.contains("<form class=\"filters\""), "{html}");
    let stats = app
        .get(
            &Client::anonymous(),
            "/api/v1/public/directory/stats?region=x",
        )
        .await;
    assert_eq!(stats.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_missing_member_is_the_same_404_as_any_missing_object() {
    let app = TestApp::new().await;
    let member = app
        .get(&Client::anonymous(), "/api/v1/public/directory/999999")
        .await;
    let notice = app
        .get(&Client::anonymous(), "/api/v1/public/notices/999999")
        .await;
    assert_eq!(member.status, StatusCode::NOT_FOUND);
    assert_eq!(member.body, notice.body);
    let page = app.get(&Client::anonymous(), "/directory/999999").await;
    let other = app
        .get(&Client::anonymous(), "/public-notices/999999")
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert_eq!(page.body, other.body);
}

async fn conditional(app: &TestApp, path: &str, etag: &str) -> support::Response {
    app.send(
        Request::get(path)
            .header(header::IF_NONE_MATCH, etag)
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn answers_carry_a_strong_etag_and_304_until_the_pool_changes() {
    let app = TestApp::new().await;
    published(&app).await;
    let mut tags = Vec::new();
    for path in [
        "/api/v1/public/directory",
        "/api/v1/public/directory.csv",
        "/api/v1/public/directory.xlsx",
        "/api/v1/public/directory/stats",
    ] {
        let first = app.get(&Client::anonymous(), path).await;
        assert_eq!(first.status, StatusCode::OK, "{path}");
        let etag = first.headers[header::ETAG].to_str().unwrap().to_owned();
        assert!(etag.starts_with('"') && !etag.starts_with("W/"), "{etag}");
        assert_eq!(first.headers[header::CACHE_CONTROL], "public, max-age=60");
        assert!(
            first.headers["pingjia-schema"]
                .to_str()
                .unwrap()
                .starts_with("pingjia-directory")
        );
        // The same bytes for the same data (a strong tag).
        assert_eq!(
            app.get(&Client::anonymous(), path).await.body,
            first.body,
            "{path}"
        );
        let again = conditional(&app, path, &etag).await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{path}");
        assert!(again.body.is_empty());
        assert_eq!(again.headers[header::ETAG], etag.as_str());
        assert_eq!(
            conditional(&app, path, &format!("\"other\", W/{etag}"))
                .await
                .status,
            StatusCode::NOT_MODIFIED
        );
        tags.push((path, etag));
    }
    // Another filter, another tag.
    let filtered = app
        .get(&Client::anonymous(), "/api/v1/public/directory?region=3201")
        .await;
    assert_ne!(filtered.headers[header::ETAG], tags[0].1.as_str());
    // A change to the pool: every tag is stale.
    pingjia_server::services::pool::run(
        &app.state,
        "member_expiry",
        chrono::NaiveDate::from_ymd_opt(2029, 6, 5).unwrap(),
    )
    .await
    .unwrap();
    for (path, etag) in tags {
        let after = conditional(&app, path, &etag).await;
        assert_eq!(after.status, StatusCode::OK, "{path}");
        assert_ne!(after.headers[header::ETAG], etag.as_str());
    }
}

#[tokio::test]
async fn the_downloads_hold_the_whole_filtered_directory() {
    use calamine::Reader as _;
    let app = TestApp::new().await;
    published(&app).await;
    many(&app).await;
    let query = format!("region=3205&result={}&per_page=5", enc("五星"));
    let csv = app
        .get(
            &Client::anonymous(),
            &format!("/api/v1/public/directory.csv?{query}"),
        )
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(csv.headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    let text = csv.text();
    assert!(text.starts_with('\u{feff}'));
    let lines: Vec<&str> = text.trim_end().split("\r\n").collect();
    // The header and the 40 members of 苏州市 with 五星 (paging does not apply).
    assert_eq!(lines.len(), 41);
    assert_eq!(
        lines[0],
        "\u{feff}序号,单位名称,统一社会信用代码,评价方案,服务商类型,评定结果,星级,地区代码,地区,有效期起,有效期至,状态,批次,发文文号,名录编号"
    );
    let code = support::credit_code(&format!("9132{:013}", 1_000_000 + 2));
    assert!(
        lines[1].starts_with(&format!(
            "1,测试002科技有限公司,{code},江苏省工业互联网服务资源池分类分级评估,"
        )),
        "{}",
        lines[1]
    );
    assert!(
        lines[1].contains(",网络服务商,五星,5,320583,江苏省 苏州市 昆山市,2024-01-01,2027-01-03,在库,测试批次 jiangsu-pool-2021,苏工信〔2024〕1号,"),
        "{}",
        lines[1]
    );

    let xlsx = app
        .get(
            &Client::anonymous(),
            &format!("/api/v1/public/directory.xlsx?{query}"),
        )
        .await;
    assert_eq!(xlsx.status, StatusCode::OK);
    let mut workbook: calamine::Xlsx<_> =
        calamine::Xlsx::new(std::io::Cursor::new(xlsx.body.clone())).unwrap();
    assert_eq!(workbook.sheet_names(), ["资源池名录", "说明"]);
    let sheet = workbook.worksheet_range("资源池名录").unwrap();
    assert_eq!(sheet.height(), 41);
    assert_eq!(sheet.get((0, 1)).unwrap().to_string(), "单位名称");
    assert_eq!(
        sheet.get((1, 1)).unwrap().to_string(),
        "测试002科技有限公司"
    );
    assert_eq!(sheet.get((1, 2)).unwrap().to_string(), code);
    assert_eq!(sheet.get((1, 5)).unwrap().to_string(), "五星");
    assert_eq!(sheet.get((40, 0)).unwrap().to_string(), "40");
    let about = workbook.worksheet_range("说明").unwrap();
    assert_eq!(
        about.get((0, 1)).unwrap().to_string(),
        "pingjia-directory/1"
    );
    // The CJK columns are as wide as their text (a CJK character two units), capped at 60.
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(xlsx.body)).unwrap();
    let mut xml = String::new();
    std::io::Read::read_to_string(
        &mut archive.by_name("xl/worksheets/sheet1.xml").unwrap(),
        &mut xml,
    )
    .unwrap();
    // 测试002科技有限公司: 8 CJK characters and 3 digits = 19 units, + 2.
    assert!(
        xml.contains(r#"<col min="2" max="2" width="21.7109375""#),
        "{xml}"
    );
}

#[tokio::test]
async fn statistics_count_by_type_grade_region_and_round() {
    let app = TestApp::new().await;
    published(&app).await;
    many(&app).await;
    let all = api(&app, "/api/v1/public/directory/stats").await;
    assert_eq!(all["schema"], "pingjia-directory-stats/1");
    assert_eq!(all["total"], 241);
    assert_eq!(all["level"], "province");
    let grades: Vec<&str> = all["grades"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["result"].as_str().unwrap())
        .collect();
    assert_eq!(grades, ["五星", "四星", "三星"]);
    // 五星 80; 四星: i ≡ 1 mod 3 (100) less i ≡ 4 mod 15 (20), and 甲公司; 三星: 100 less 20.
    let counts: Vec<i64> = all["grades"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["count"].as_i64().unwrap())
        .collect();
    assert_eq!(counts, [80, 81, 80]);
    assert_eq!(
        all["by_region"],
        json!([{ "key": "32", "label": "江苏省", "counts": [80, 81, 80], "total": 241 }])
    );
    // The province: its cities. 南京市 odd i: 五星 i ≡ 5 mod 6 (50) less i ≡ 29 mod 30 (10).
    let province = api(&app, "/api/v1/public/directory/stats?region=32").await;
    assert_eq!(province["level"], "city");
    assert_eq!(
        province["by_region"],
        json!([
            { "key": "3201", "label": "南京市", "counts": [40, 40, 40], "total": 120 },
            { "key": "3205", "label": "苏州市", "counts": [40, 41, 40], "total": 121 }
        ])
    );
    // A city: its counties.
    let city = api(&app, "/api/v1/public/directory/stats?region=3205").await;
    assert_eq!(city["level"], "county");
    assert_eq!(
        city["by_region"],
        json!([{ "key": "320583", "label": "昆山市", "counts": [40, 41, 40], "total": 121 }])
    );
    // By type: network i < 150 active (120) and 甲公司; cloud_platform 120.
    let types: Vec<(String, i64)> = all["by_type"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["key"].as_str().unwrap().to_owned(),
                r["total"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        types,
        [
            ("jiangsu-pool-2021/cloud_platform".to_owned(), 120),
            ("jiangsu-pool-2021/network".to_owned(), 121)
        ]
    );
    // One publication: 甲公司 四星 in the seeded round.
    assert_eq!(
        all["trends"],
        json!([{ "key": all["trends"][0]["key"], "label": "测试批次 jiangsu-pool-2021", "counts": [1], "total": 1 }])
    );
    // The page draws the same figures and shows them as tables.
    let html = app
        .get(&Client::anonymous(), "/directory/stats?region=32")
        .await;
    assert_eq!(html.status, StatusCode::OK);
    let html = html.text();
    assert!(html.contains("<svg class=\"chart\""), "{html}");
    assert!(html.contains("在库单位共 241 家"), "{html}");
    assert!(
        html.contains("<th scope=\"row\">南京市</th><td>40</td><td>40</td><td>40</td><td>120</td>"),
        "{html}"
    );
    assert!(!html.contains("<script>"), "{html}");
}

#[tokio::test]
async fn the_signed_out_navigation_leads_to_the_directory_and_transparency() {
    let app = TestApp::new().await;
    let html = app.get(&Client::anonymous(), "/directory").await.text();
    assert!(
        html.contains("<a href=\"/directory\" aria-current=\"page\">资源池名录</a>"),
        "{html}"
    );
    assert!(html.contains("<a href=\"/transparency\""), "{html}");
    let signed_in = app.sign_in("applicant_a").await;
    let html = app.get(&signed_in, "/directory").await.text();
    assert!(
        html.contains("aria-current=\"page\">资源池名录</a>"),
        "{html}"
    );
}

#[test]
fn the_open_data_is_in_the_openapi_document_with_every_status() {
    use utoipa::OpenApi as _;
    let document = serde_json::to_value(pingjia_server::http::api::ApiDoc::openapi()).unwrap();
    for (path, statuses) in [
        (
            "/api/v1/public/directory",
            &["200", "304", "422", "500"][..],
        ),
        (
            "/api/v1/public/directory.csv",
            &["200", "304", "422", "500"],
        ),
        (
            "/api/v1/public/directory.xlsx",
            &["200", "304", "422", "500"],
        ),
        (
            "/api/v1/public/directory/stats",
            &["200", "304", "422", "500"],
        ),
        (
            "/api/v1/public/directory/{id}",
            &["200", "304", "404", "500"],
        ),
    ] {
        let responses = document["paths"][path]["get"]["responses"]
            .as_object()
            .unwrap_or_else(|| panic!("{path} missing from the OpenAPI document"));
        for status in statuses {
            assert!(responses.contains_key(*status), "{path}: no {status}");
        }
        assert_eq!(
            document["paths"][path]["get"]["tags"][0], "directory",
            "{path}"
        );
    }
}
