//! The 申报书 workbook through the API and the pages: who may download which version, and an
//! offline-filled workbook imported into the draft with the form's own checks.

use crate::support;

use axum::http::{StatusCode, header};
use calamine::{Data, Reader as _, Xlsx};
use serde_json::{Value, json};
use std::io::Cursor;
use support::{Client, TestApp};

/// The hand-checked comprehensive-platform declaration of `tests/server/api.rs` (三星).
fn three_star_values() -> Value {
    json!({
        "jiangsu_registered_on": "2016-03-18", "independent_legal_person": "是", "good_credit": "是",
        "sound_finance": "是", "own_ip": "是", "blacklisted_on": "无",
        "registered_capital": "1200万", "established_on": "2016-03-18", "employees": 86,
        "financial_status": "财务状况良好", "main_revenue": "2600万", "clusters_served": 2,
        "rd_expense_ratio": "11.5%", "ip_count": 22,
        "cp_protocols": 72, "cp_accumulated_data": "350TB", "cp_data_services": ["基础数据", "生产数据"],
        "platform_online_on": "2018-09-01", "security_assessment_passed": "是",
        "ops_security_system": "初步", "platform_manual": "重点功能", "customer_service": "初步",
        "economic_social_value": "一定"
    })
}

fn workbook_path(id: i64) -> String {
    format!("/api/v1/applications/{id}/declaration.xlsx")
}

/// The declaration sheet's cells: (field id, declared value) per row, and the row (as Excel
/// numbers it) of each field id.
fn declaration_rows(bytes: &[u8]) -> Vec<(String, String, u32)> {
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).expect("an xlsx workbook");
    let sheet = workbook.worksheet_range("申报书").expect("sheet 申报书");
    let text = |row: u32, column: u32| match sheet.get_value((row, column)) {
        Some(Data::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    };
    assert_eq!(text(1, 5), "申报值");
    assert_eq!(text(1, 6), "字段编号");
    (2..sheet.end().map_or(0, |(row, _)| row + 1))
        .map(|row| (text(row, 6), text(row, 5), row + 1))
        .filter(|(id, _, _)| !id.is_empty())
        .collect()
}

fn value_of(rows: &[(String, String, u32)], id: &str) -> Option<String> {
    rows.iter()
        .find(|(i, _, _)| i == id)
        .map(|(_, v, _)| v.clone())
}

async fn save(app: &TestApp, client: &Client, id: i64, values: Value) {
    let response = app
        .put(
            client,
            &format!("/api/v1/applications/{id}/draft"),
            json!({ "organization": { "kind": "enterprise" }, "values": values }),
        )
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
}

#[tokio::test]
async fn owners_and_reviewers_download_the_version_they_may_see() {
    let app = TestApp::new().await;
    let owner = app.sign_in("applicant_a").await;
    let id = app.new_application(&owner, "comprehensive_platform").await;
    save(&app, &owner, id, three_star_values()).await;

    let download = app.get(&owner, &workbook_path(id)).await;
    assert_eq!(download.status, StatusCode::OK, "{}", download.text());
    assert_eq!(
        download.headers[header::CONTENT_TYPE],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let disposition = download.headers[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap();
    assert!(
        disposition.starts_with("attachment; filename="),
        "{disposition}"
    );
    assert!(disposition.contains(".xlsx"), "{disposition}");
    let rows = declaration_rows(&download.body);
    assert_eq!(
        value_of(&rows, "registered_capital").as_deref(),
        Some("1200万")
    );
    assert_eq!(
        value_of(&rows, "cp_data_services").as_deref(),
        Some("基础数据、生产数据")
    );
    assert_eq!(value_of(&rows, "employees").as_deref(), Some("86"));

    // A reviewer never sees the draft; another organisation and another city see nothing.
    for user in ["county_ks", "applicant_b", "city_nj"] {
        let client = app.sign_in(user).await;
        let response = app.get(&client, &workbook_path(id)).await;
        assert_eq!(response.status, StatusCode::NOT_FOUND, "{user}");
        assert_eq!(response.json()["error"], "not_found");
    }

    // Submitted, returned, and changed in a new draft: the reviewer gets the submitted
    // version, the owner the draft (or version 1 when asking for it).
    app.submit(&owner, id).await;
    app.set_state(id, "returned").await;
    let mut changed = three_star_values();
    changed["registered_capital"] = json!("3000万");
    save(&app, &owner, id, changed).await;

    let county = app.sign_in("county_ks").await;
    let reviewed = app.get(&county, &workbook_path(id)).await;
    assert_eq!(reviewed.status, StatusCode::OK, "{}", reviewed.text());
    assert_eq!(
        value_of(&declaration_rows(&reviewed.body), "registered_capital").as_deref(),
        Some("1200万")
    );
    let hidden = app
        .get(&county, &format!("{}?version=2", workbook_path(id)))
        .await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    let own = app.get(&owner, &workbook_path(id)).await;
    assert_eq!(
        value_of(&declaration_rows(&own.body), "registered_capital").as_deref(),
        Some("3000万")
    );
    let first = app
        .get(&owner, &format!("{}?version=1", workbook_path(id)))
        .await;
    assert_eq!(
        value_of(&declaration_rows(&first.body), "registered_capital").as_deref(),
        Some("1200万")
    );
}

#[tokio::test]
async fn a_workbook_filled_elsewhere_is_imported_into_the_draft_and_graded() {
    let app = TestApp::new().await;
    // Organisation A's filled declaration, downloaded...
    let a = app.sign_in("applicant_a").await;
    let source = app.new_application(&a, "comprehensive_platform").await;
    save(&app, &a, source, three_star_values()).await;
    let file = app.get(&a, &workbook_path(source)).await.body;

    // ...and imported by organisation B into its own blank draft of the same type.
    let b = app.sign_in("applicant_b").await;
    let id = app.new_application(&b, "comprehensive_platform").await;
    let before = app
        .get(&b, &format!("/api/v1/applications/{id}"))
        .await
        .json();
    assert_eq!(before["assessment"]["report"]["grade"], "尚未填写");

    let imported = app
        .post_file(&b, &workbook_path(id), "申报书.xlsx", &file, &[])
        .await;
    assert_eq!(imported.status, StatusCode::OK, "{}", imported.text());
    let imported = imported.json();
    assert_eq!(imported["version"], 1);
    assert_eq!(imported["imported"], 23);
    assert_eq!(imported["cell_errors"], json!([]));
    assert_eq!(imported["assessment"]["field_errors"], json!([]));
    assert_eq!(imported["assessment"]["report"]["stars"], 3);

    // Saved into the draft: the application reads the same, values as the file gave them.
    let detail = app
        .get(&b, &format!("/api/v1/applications/{id}"))
        .await
        .json();
    assert_eq!(detail["assessment"]["report"]["stars"], 3);
    let body: Value = serde_json::from_str(detail["version"]["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["values"]["registered_capital"], "1200万");
    assert_eq!(body["values"]["employees"], "86");
    assert_eq!(
        body["values"]["cp_data_services"],
        json!(["基础数据", "生产数据"])
    );
    assert_eq!(body["organization"]["kind"], "enterprise");
}

#[tokio::test]
async fn a_bad_value_comes_back_as_the_forms_field_error_at_its_row() {
    let app = TestApp::new().await;
    let a = app.sign_in("applicant_a").await;
    let id = app.new_application(&a, "comprehensive_platform").await;
    let mut values = three_star_values();
    values["registered_capital"] = json!("很多");
    save(&app, &a, id, values).await;
    let file = app.get(&a, &workbook_path(id)).await.body;
    let row = declaration_rows(&file)
        .into_iter()
        .find(|(field, _, _)| field == "registered_capital")
        .map(|(_, _, row)| row)
        .unwrap();
    // Cleared in the draft, so that only the file states it.
    let mut values = three_star_values();
    values.as_object_mut().unwrap().remove("registered_capital");
    save(&app, &a, id, values).await;

    let response = app
        .post_file(&a, &workbook_path(id), "x.xlsx", &file, &[])
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    let imported = response.json();
    let field_errors = imported["assessment"]["field_errors"].as_array().unwrap();
    assert_eq!(field_errors.len(), 1, "{field_errors:?}");
    assert_eq!(field_errors[0]["field"], "values.registered_capital");
    assert_eq!(field_errors[0]["given"], "“很多”");
    let cell_errors = imported["cell_errors"].as_array().unwrap();
    assert_eq!(cell_errors.len(), 1, "{cell_errors:?}");
    assert_eq!(cell_errors[0]["sheet"], "申报书");
    assert_eq!(cell_errors[0]["row"], row);
    assert_eq!(cell_errors[0]["field"], "registered_capital");
    assert!(
        cell_errors[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("注册资金：应填写："),
        "{cell_errors:?}"
    );
    // Kept as typed in the draft, like the form keeps it.
    let detail = app
        .get(&a, &format!("/api/v1/applications/{id}"))
        .await
        .json();
    let body: Value = serde_json::from_str(detail["version"]["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["values"]["registered_capital"], "很多");
}

#[tokio::test]
async fn imports_are_refused_while_reviewed_and_for_files_that_are_not_workbooks() {
    let app = TestApp::new().await;
    let a = app.sign_in("applicant_a").await;
    let id = app.new_application(&a, "comprehensive_platform").await;
    let file = app.get(&a, &workbook_path(id)).await.body;

    let not_xlsx = app
        .post_file(&a, &workbook_path(id), "a.pdf", b"%PDF-1.4\n%%EOF\n", &[])
        .await;
    assert_eq!(not_xlsx.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(not_xlsx.json()["error"], "invalid_input");
    assert!(
        not_xlsx.json()["message"]
            .as_str()
            .unwrap()
            .starts_with("文件不是 xlsx 格式")
    );
    // Another type's workbook is refused whole.
    let other = app.new_application(&a, "supporting").await;
    let other_file = app.get(&a, &workbook_path(other)).await.body;
    let wrong = app
        .post_file(&a, &workbook_path(id), "b.xlsx", &other_file, &[])
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);

    save(&app, &a, id, three_star_values()).await;
    app.submit(&a, id).await;
    let reviewed = app
        .post_file(&a, &workbook_path(id), "c.xlsx", &file, &[])
        .await;
    assert_eq!(reviewed.status, StatusCode::CONFLICT, "{}", reviewed.text());
    assert_eq!(reviewed.json()["error"], "not_editable");

    // Too large: refused as it arrives.
    let large = vec![b'P'; 5 * 1024 * 1024 + 1];
    let response = app
        .post_file(&a, &workbook_path(other), "d.xlsx", &large, &[])
        .await;
    assert_eq!(response.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(response.json()["error"], "file_too_large");

    // Reviewers may not import; strangers find nothing.
    let county = app.sign_in("county_ks").await;
    let response = app
        .post_file(&county, &workbook_path(id), "c.xlsx", &file, &[])
        .await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);
    let b = app.sign_in("applicant_b").await;
    let response = app
        .post_file(&b, &workbook_path(other), "c.xlsx", &other_file, &[])
        .await;
    assert_eq!(response.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_page_links_the_workbook_and_its_form_imports_then_says_what_it_found() {
    let app = TestApp::new().await;
    let a = app.sign_in("applicant_a").await;
    let id = app.new_application(&a, "comprehensive_platform").await;
    let page = app.get(&a, &format!("/applications/{id}")).await.text();
    assert!(page.contains(&format!(
        "href=\"/api/v1/applications/{id}/declaration.xlsx?version=1\""
    )));
    assert!(page.contains(&format!("action=\"/applications/{id}/declaration\"")));

    let mut values = three_star_values();
    values["employees"] = json!("八十六");
    save(&app, &a, id, values).await;
    let file = app.get(&a, &workbook_path(id)).await.body;
    let csrf = a.csrf.clone().unwrap();
    let page_client = Client {
        csrf: None,
        ..a.clone()
    };
    let response = app
        .post_file(
            &page_client,
            &format!("/applications/{id}/declaration"),
            "x.xlsx",
            &file,
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(response.status, StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers[header::LOCATION],
        format!("/applications/{id}#workbook")
    );
    let flash = response
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("flash="))
        .map(|v| v.split(';').next().unwrap().to_owned())
        .expect("a flash cookie");
    let shown = app
        .send(
            axum::http::Request::builder()
                .uri(format!("/applications/{id}"))
                .header(
                    header::COOKIE,
                    format!(
                        "pingjia_session={}; flash={flash}",
                        a.cookie.clone().unwrap()
                    ),
                )
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .text();
    assert!(
        shown.contains("导入结果：已导入 23 项。有 1 处需要修改：工作表“申报书”第"),
        "{}",
        shown
            .lines()
            .filter(|l| l.contains("导入"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(shown.contains("员工总数"));

    // Without the form's CSRF token nothing is imported.
    let response = app
        .post_file(
            &page_client,
            &format!("/applications/{id}/declaration"),
            "x.xlsx",
            &file,
            &[],
        )
        .await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);

    // A file without errors: back with the notice.
    save(&app, &a, id, three_star_values()).await;
    let good = app.get(&a, &workbook_path(id)).await.body;
    let response = app
        .post_file(
            &page_client,
            &format!("/applications/{id}/declaration"),
            "x.xlsx",
            &good,
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(response.status, StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers[header::LOCATION],
        format!("/applications/{id}?notice=imported#workbook")
    );
}
