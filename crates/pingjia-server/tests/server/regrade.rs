//! Impact analysis: the pool re-graded under a new year's version of its scheme, through the
//! API, the page and the CSV, by region. The members are made through the real path (review
//! chain, decision, 公示, publication); the version is Jiangsu's file with the four-star 注册资金
//! of a network provider raised from 500万 to 1000万 (四（三）（3）), and the moves are computed
//! by hand from `examples/jiangsu/network.toml` (the declaration both members submit):
//!
//! - 甲公司 (昆山, 苏州) declares 800万: four stars under 2021 (800万 ≥ 500万, every other
//!   four-star row met as the example explains), three stars under 2022 (800万 < 1000万;
//!   ≥ 200万 at three stars): **down**, because of `network.registered_capital` at four stars,
//!   满足 → 不满足, and nothing else.
//! - 乙公司 (江宁, 南京) declares 800万 too, but the province confirmed 1200万 during the
//!   expert review: four stars under both (1200万 ≥ 1000万; five stars still fail on the rows
//!   the example lists): **same**. Were the confirmed value not applied, it would move down.

use crate::support;

use axum::http::StatusCode;
use pingjia_core::Catalog;
use pingjia_server::services::accounts::NewUserRequest;
use pingjia_server::services::actor::Role;
use serde_json::json;
use support::{TestApp, add_user};

const JIANGSU: &str = include_str!("../../../../schemes/jiangsu-pool-2021.toml");
const OLD_TO_NEW: &str = "from=jiangsu-pool-2021&to=jiangsu-pool-2022";

/// The embedded schemes and `jiangsu-pool-2022`: the 2021 file with the network provider's
/// four-star 注册资金 raised to 1000万.
fn catalog() -> Catalog {
    let mut text = JIANGSU
        .replacen(
            "id = \"jiangsu-pool-2021\"",
            "id = \"jiangsu-pool-2022\"",
            1,
        )
        .replacen("version = \"2021\"", "version = \"2022\"", 1);
    let row = text.find("id = \"network.registered_capital\"").unwrap();
    let old = "levels = [\"200万\", \"500万\", \"1000万\"]";
    let at = row + text[row..].find(old).unwrap();
    text.replace_range(
        at..at + old.len(),
        "levels = [\"200万\", \"1000万\", \"1000万\"]",
    );
    let mut catalog = Catalog::builtin().unwrap();
    catalog.add("jiangsu-pool-2022.toml", &text).unwrap();
    catalog
}

async fn authority(app: &TestApp, username: &str, region: &str) {
    add_user(
        app,
        NewUserRequest {
            username: username.into(),
            display_name: username.into(),
            password: support::PASSWORD.into(),
            role: Role::AuthorityAdmin,
            credit_code: None,
            organization_name: None,
            region_code: Some(region.into()),
        },
    )
    .await;
}

/// Both organisations' network applications decided (四星, the default), on notice and
/// published; 乙公司's 注册资金 confirmed as 1200万 by the province first.
async fn app_with_members() -> TestApp {
    let app = TestApp::with_catalog(catalog()).await;
    authority(&app, "sz_authority", "3205").await;
    authority(&app, "nj_authority", "3201").await;
    let round = app.round_of("jiangsu-pool-2021").await;
    let a = app.in_expert_review("applicant_a").await;
    let b = app.in_expert_review("applicant_b").await;
    let province = app.sign_in("province").await;
    let confirmed = app
        .post(
            &province,
            &format!("/api/v1/applications/{b}/confirmations"),
            json!({ "field": "registered_capital", "value": "1200万", "note": "验资报告" }),
        )
        .await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.text());
    app.publish(round, &[a, b], "苏工信〔2026〕88号", "2026-06-05")
        .await;
    app
}

#[tokio::test]
async fn the_province_sees_who_moves_under_the_new_version_and_why() {
    let app = app_with_members().await;
    let province = app.sign_in("province").await;
    let impact = app
        .get(&province, &format!("/api/v1/regrade?{OLD_TO_NEW}"))
        .await;
    assert_eq!(impact.status, StatusCode::OK, "{}", impact.text());
    let impact = impact.json();
    assert_eq!(impact["members"], 2);
    assert_eq!(impact["region"], "江苏省");
    assert_eq!(
        impact["moves"],
        json!({ "up": 0, "down": 1, "out": 0, "in": 0, "same": 1 })
    );
    // Best grade first: 四星 2 → 1, 三星 0 → 1.
    let counts: Vec<(String, u64, u64)> = impact["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["grade"].as_str().unwrap().to_owned(),
                c["before"].as_u64().unwrap(),
                c["after"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(counts, [("4星".to_owned(), 2, 1), ("3星".to_owned(), 0, 1)]);
    assert_eq!(impact["total"], 1);
    let mover = &impact["movers"][0];
    assert_eq!(mover["organization"], "甲公司");
    assert_eq!(mover["direction"], "down");
    assert_eq!(mover["before"], "4星");
    assert_eq!(mover["after"], "3星");
    assert_eq!(
        mover["criteria"],
        json!([{
            "id": "network.registered_capital",
            "clause": "四（三）（3）基础要求",
            "label": "注册资金",
            "slots": [{ "stars": 4, "before": "满足", "after": "不满足", "before_en": "met", "after_en": "not met" }],
        }])
    );
    assert_eq!(mover["unread"], json!([]));

    // Narrowed to a direction: the one mover down, nobody up.
    let down = app
        .get(
            &province,
            &format!("/api/v1/regrade?{OLD_TO_NEW}&direction=down"),
        )
        .await
        .json();
    assert_eq!(down["total"], 1);
    let up = app
        .get(
            &province,
            &format!("/api/v1/regrade?{OLD_TO_NEW}&direction=up"),
        )
        .await
        .json();
    assert_eq!(up["total"], 0);
    assert_eq!(up["movers"], json!([]));

    // The same version moves nobody.
    let same = app
        .get(
            &province,
            "/api/v1/regrade?from=jiangsu-pool-2021&to=jiangsu-pool-2021",
        )
        .await
        .json();
    assert_eq!(
        same["moves"],
        json!({ "up": 0, "down": 0, "out": 0, "in": 0, "same": 2 })
    );
}

#[tokio::test]
async fn an_authority_sees_its_own_regions_members_only() {
    let app = app_with_members().await;
    // 苏州 holds 甲公司 (昆山), which moves down; 南京 holds 乙公司 (江宁), which stays.
    let suzhou = app.sign_in("sz_authority").await;
    let impact = app
        .get(&suzhou, &format!("/api/v1/regrade?{OLD_TO_NEW}"))
        .await;
    assert_eq!(impact.status, StatusCode::OK, "{}", impact.text());
    let impact = impact.json();
    assert_eq!(impact["members"], 1);
    assert_eq!(impact["moves"]["down"], 1);
    assert_eq!(impact["movers"][0]["organization"], "甲公司");
    let csv = app
        .get(&suzhou, &format!("/api/v1/regrade.csv?{OLD_TO_NEW}"))
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(!csv.text().contains("乙公司"), "{}", csv.text());

    let nanjing = app.sign_in("nj_authority").await;
    let impact = app
        .get(&nanjing, &format!("/api/v1/regrade?{OLD_TO_NEW}"))
        .await
        .json();
    assert_eq!(impact["members"], 1);
    assert_eq!(impact["moves"]["same"], 1);
    assert_eq!(impact["movers"], json!([]));
    let page = app
        .get(&nanjing, &format!("/regrade?{OLD_TO_NEW}"))
        .await
        .text();
    assert!(!page.contains("甲公司"), "{page}");
    assert!(page.contains("没有成员的等级发生变动。"), "{page}");

    // No one but an authority: a reviewer of the same region and an applicant find nothing.
    for user in ["city_sz", "applicant_a", "expert", "sysadmin"] {
        let client = app.sign_in(user).await;
        let refused = app
            .get(&client, &format!("/api/v1/regrade?{OLD_TO_NEW}"))
            .await;
        assert_eq!(refused.status, StatusCode::NOT_FOUND, "{user}");
        assert_eq!(refused.json()["error"], "not_found", "{user}");
        let page = app.get(&client, "/regrade").await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{user}");
    }
}

#[tokio::test]
async fn versions_of_different_standards_and_bad_directions_are_refused() {
    let app = app_with_members().await;
    let province = app.sign_in("province").await;
    for query in [
        "from=jiangsu-pool-2021&to=miit-platform-2018",
        "from=jiangsu-pool-2021&to=no-such-scheme",
        "from=jiangsu-pool-2021",
        "from=jiangsu-pool-2021&to=jiangsu-pool-2022&direction=sideways",
        "from=jiangsu-pool-2021&to=jiangsu-pool-2022&page=0",
    ] {
        let refused = app
            .get(&province, &format!("/api/v1/regrade?{query}"))
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {}",
            refused.text()
        );
    }
    // The page says it beside the form, with the refusal's status.
    let page = app
        .get(
            &province,
            "/regrade?from=jiangsu-pool-2021&to=miit-platform-2018",
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.text().contains("不是同一标准的版本，无法比较"),
        "{}",
        page.text()
    );
}

#[tokio::test]
async fn the_page_shows_counts_chart_movers_and_the_csv_holds_every_member() {
    let app = app_with_members().await;
    let province = app.sign_in("province").await;
    let empty = app.get(&province, "/regrade").await;
    assert_eq!(empty.status, StatusCode::OK);
    assert!(
        empty.text().contains("jiangsu-pool-2022"),
        "the versions are offered"
    );

    let page = app.get(&province, &format!("/regrade?{OLD_TO_NEW}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let html = page.text();
    assert!(html.contains("<svg class=\"chart\""), "{html}");
    assert!(html.contains(">2 → 1<"), "four stars in the chart: {html}");
    assert!(html.contains("甲公司"), "{html}");
    assert!(
        html.contains("注册资金（四（三）（3）基础要求）：4星 满足 → 不满足"),
        "{html}"
    );
    assert!(!html.contains("乙公司"), "乙公司 does not move: {html}");
    assert!(
        html.contains("/regrade.csv?from=jiangsu-pool-2021&amp;to=jiangsu-pool-2022"),
        "{html}"
    );

    let csv = app
        .get(&province, &format!("/regrade.csv?{OLD_TO_NEW}"))
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = csv.text();
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines.len(), 3, "a header and both members: {text}");
    let a = lines.iter().find(|l| l.contains("甲公司")).unwrap();
    assert!(a.contains(",down,4 stars,3 stars,4星,3星,"), "{a}");
    assert!(a.contains("network.registered_capital"), "{a}");
    let b = lines.iter().find(|l| l.contains("乙公司")).unwrap();
    assert!(b.contains(",same,4 stars,4 stars,4星,4星,"), "{b}");
}
