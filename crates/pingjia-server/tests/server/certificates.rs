//! Certificates and printable documents: a publication issues a certificate per grant; anyone
//! verifies it by number (an unknown number is the standard 404; an expired or revoked member's
//! certificate says so); its PDF carries the organisation, grade, validity, document and number
//! (read back with `pdftotext`) and a QR code that decodes to the member's directory page
//! (rendered with `pdftoppm`, decoded with `rqrr`); the report and decision-record PDFs follow
//! their pages' access rules; without the font the PDFs answer 503 and the pages still print.
//!
//! Expected values are from the documents and the test's own data: 甲公司's network application
//! decided 四星, published by 「苏工信〔2026〕88号」 of 2026-06-05; 003 三、2 「每次定级有效期3年」
//! gives 2026-06-05 to 2029-06-04; the first published grade of a fresh database is number 1,
//! so its certificate is `ZS-2026-000001`.

use crate::pool::published;
use crate::support;

use axum::http::StatusCode;
use pingjia_server::config::DEFAULT_PDF_FONT;
use std::path::Path;
use std::process::Command;
use support::{Client, TestApp};

const DAY: i64 = 86_400;
const NUMBER: &str = "ZS-2026-000001";
const BASE: &str = "https://pingjia.example.cn";

/// Whether the PDF tools and the font are here; outside CI a missing one skips the PDF checks
/// with a message, in CI it fails (`.ci/run` installs poppler-utils and fonts-noto-cjk).
fn pdf_tools() -> bool {
    let tool = |name: &str| {
        Command::new(name)
            .arg("-v")
            .output()
            .is_ok_and(|o| o.status.success() || !o.stderr.is_empty())
    };
    let present = tool("pdftotext") && tool("pdftoppm") && Path::new(DEFAULT_PDF_FONT).exists();
    if !present {
        assert!(
            std::env::var("CI").is_err(),
            "CI must have poppler-utils and fonts-noto-cjk (.ci/run installs them)"
        );
        eprintln!(
            "SKIPPED PDF checks: pdftotext/pdftoppm or {DEFAULT_PDF_FONT} missing (apt-get install poppler-utils fonts-noto-cjk)"
        );
    }
    present
}

fn temp_file(name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!(
        "pingjia-cert-{}-{}-{name}",
        std::process::id(),
        pingjia_server::services::accounts::random_token(4)
    ));
    std::fs::write(&path, bytes).unwrap();
    path
}

/// The PDF's text as `pdftotext` reads it, spaces and line breaks removed (a long line may
/// wrap anywhere).
fn pdf_text(pdf: &[u8]) -> String {
    assert!(pdf.starts_with(b"%PDF-"), "not a PDF");
    let file = temp_file("doc.pdf", pdf);
    let out = Command::new("pdftotext")
        .arg(&file)
        .arg("-")
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&file);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// Every QR code on the PDF's first page, rendered in grey at 150 dpi and decoded.
fn qr_codes(pdf: &[u8]) -> Vec<String> {
    let file = temp_file("qr.pdf", pdf);
    let out = Command::new("pdftoppm")
        .args(["-r", "150", "-gray", "-f", "1", "-l", "1"])
        .arg(&file)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&file);
    assert!(out.status.success());
    // A binary PGM: "P5", width, height, 255, then one byte per pixel.
    let bytes = out.stdout;
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        let start = at;
        while !bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        fields.push(String::from_utf8_lossy(&bytes[start..at]).into_owned());
    }
    assert_eq!(fields[0], "P5");
    let (width, height): (usize, usize) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    let pixels = &bytes[at + 1..];
    let mut image =
        rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| pixels[y * width + x]);
    image
        .detect_grids()
        .into_iter()
        .filter_map(|grid| grid.decode().ok().map(|(_, text)| text))
        .collect()
}

async fn member_id(app: &TestApp) -> i64 {
    let user = pingjia_server::storage::user_by_username(&app.state.db, "applicant_a")
        .await
        .unwrap()
        .unwrap();
    let members = pingjia_server::storage::members_of(&app.state.db, user.organization_id.unwrap())
        .await
        .unwrap();
    assert_eq!(members.len(), 1);
    members[0].id
}

async fn with_base() -> TestApp {
    TestApp::new_with(|config| config.public_base_url = Some(format!("{BASE}/"))).await
}

#[tokio::test]
async fn a_publication_issues_a_certificate_that_anyone_verifies_by_number() {
    let app = with_base().await;
    let a = published(&app).await;
    let member = member_id(&app).await;
    let anonymous = Client::anonymous();

    let found = app
        .get(&anonymous, &format!("/api/v1/public/certificates/{NUMBER}"))
        .await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.text());
    let c = found.json();
    assert_eq!(c["number"], NUMBER);
    assert_eq!(c["status"], "valid");
    assert_eq!(c["status_label"], "有效");
    assert_eq!(c["organization"], "甲公司");
    assert_eq!(c["result"], "四星");
    assert_eq!(c["stars"], 4);
    assert_eq!(c["valid_from"], "2026-06-05");
    assert_eq!(c["valid_until"], "2029-06-04");
    assert_eq!(c["document_number"], "苏工信〔2026〕88号");
    assert_eq!(c["document_date"], "2026-06-05");
    assert_eq!(c["issuer"], "江苏省工业和信息化厅");
    assert_eq!(c["member_id"], member);
    assert_eq!(c["directory_url"], format!("/directory/{member}"));
    assert_eq!(c["qr_url"], format!("{BASE}/directory/{member}"));

    // As typed: lower case and spaces around it.
    let typed = app
        .get(&anonymous, "/api/v1/public/certificates/zs-2026-000001%20")
        .await;
    assert_eq!(typed.status, StatusCode::OK);
    assert_eq!(typed.json()["number"], NUMBER);

    // An unknown number answers exactly like any missing object.
    let missing = app
        .get(&anonymous, "/api/v1/public/certificates/ZS-2026-000002")
        .await;
    let other = app.get(&anonymous, "/api/v1/public/notices/999999").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.body, other.body);
    let odd = app
        .get(&anonymous, "/api/v1/public/certificates/..%2F1")
        .await;
    assert_eq!(odd.status, StatusCode::NOT_FOUND);

    // The verification pages.
    let page = app
        .get(&anonymous, &format!("/certificates/{NUMBER}"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("甲公司") && html.contains("有效"), "{html}");
    assert!(html.contains(&format!("href=\"/directory/{member}\"")));
    assert!(html.contains(&format!("/api/v1/public/certificates/{NUMBER}/pdf")));
    let form = app.get(&anonymous, "/certificates").await;
    assert_eq!(form.status, StatusCode::OK);
    let lookup = app
        .get(&anonymous, "/certificates?number=+zs-2026-000001+")
        .await;
    assert_eq!(lookup.status, StatusCode::SEE_OTHER);
    assert_eq!(
        lookup.headers["location"],
        format!("/certificates/{NUMBER}").as_str()
    );
    let unknown = app
        .get(&anonymous, "/certificates?number=ZS-2026-000099")
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(unknown.text().contains("未找到该编号的证书"));
    assert!(unknown.text().contains("value=\"ZS-2026-000099\""));
    let malformed = app.get(&anonymous, "/certificates?number=%3Cb%3E").await;
    assert_eq!(malformed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(malformed.text().contains("证书编号只含字母、数字和连字符"));
    assert_eq!(
        app.get(&anonymous, "/certificates/ZS-2026-000002")
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // The applicant sees its certificate from its application page.
    let applicant = app.sign_in("applicant_a").await;
    let own = app.get(&applicant, &format!("/applications/{a}")).await;
    assert_eq!(own.status, StatusCode::OK);
    assert!(
        own.text()
            .contains(&format!("href=\"/certificates/{NUMBER}\""))
    );
}

#[tokio::test]
async fn the_certificate_pdf_carries_the_grant_and_a_qr_code_of_the_directory_page() {
    let app = with_base().await;
    published(&app).await;
    let member = member_id(&app).await;
    if !pdf_tools() {
        return;
    }
    let response = app
        .get(
            &Client::anonymous(),
            &format!("/api/v1/public/certificates/{NUMBER}/pdf"),
        )
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    assert_eq!(response.headers["content-type"], "application/pdf");
    let text = pdf_text(&response.body);
    let credit_code = support::credit_code("91320583MA1P7K2X0");
    for expected in [
        "证书",
        "甲公司",
        credit_code.as_str(),
        "四星级",
        "★★★★",
        "2026-06-05至2029-06-04",
        "苏工信〔2026〕88号",
        "江苏省工业和信息化厅",
        NUMBER,
        "江苏省工业互联网服务资源池分类分级评估",
    ] {
        assert!(text.contains(expected), "{expected} not in {text}");
    }
    assert!(
        !text.contains("证书状态"),
        "a valid certificate has no warning: {text}"
    );
    assert_eq!(
        qr_codes(&response.body),
        vec![format!("{BASE}/directory/{member}")]
    );
}

async fn status(app: &TestApp) -> String {
    let response = app
        .get(
            &Client::anonymous(),
            &format!("/api/v1/public/certificates/{NUMBER}"),
        )
        .await;
    response.json()["status"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn an_expired_or_revoked_members_certificate_says_so() {
    let app = TestApp::new().await;
    published(&app).await;
    let anonymous = Client::anonymous();
    // The term's last day is 2029-06-04 (China time); the clock stands at 2026-06-05.
    let to_last_day = (3 * 365 + 1 - 2) * DAY; // 2026-06-05 + 1094 days = 2029-06-03
    app.advance(to_last_day);
    assert_eq!(status(&app).await, "valid");
    app.advance(DAY);
    assert_eq!(status(&app).await, "valid", "2029-06-04 is its last day");
    app.advance(DAY);
    assert_eq!(status(&app).await, "expired");
    let expired = app
        .get(&anonymous, &format!("/certificates/{NUMBER}"))
        .await
        .text();
    assert!(expired.contains("已过期"), "{expired}");
    if pdf_tools() {
        let pdf = app
            .get(
                &anonymous,
                &format!("/api/v1/public/certificates/{NUMBER}/pdf"),
            )
            .await;
        let text = pdf_text(&pdf.body);
        assert!(text.contains("证书状态：已过期"), "{text}");
    }

    // Revocation (fraud: 003 三、1, 002 第十一条) is recorded on the member; the certificate
    // follows it.
    sqlx::query("UPDATE pool_members SET status = 'revoked'")
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(status(&app).await, "revoked");
    assert!(
        app.get(&anonymous, &format!("/certificates/{NUMBER}"))
            .await
            .text()
            .contains("已撤销")
    );
}

#[tokio::test]
async fn report_and_decision_record_pdfs_follow_their_pages_rules() {
    let app = TestApp::new().await;
    let a = published(&app).await;
    let owner = app.sign_in("applicant_a").await;
    let stranger = app.sign_in("applicant_b").await;
    let city = app.sign_in("city_sz").await;
    let province = app.sign_in("province").await;
    let missing = app
        .get(&stranger, "/api/v1/applications/999999/report.pdf")
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    // The report: whoever sees the application (its organisation, its reviewers).
    let hidden = app
        .get(&stranger, &format!("/api/v1/applications/{a}/report.pdf"))
        .await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    assert_eq!(hidden.body, missing.body);
    assert_eq!(
        app.get(&stranger, &format!("/applications/{a}/report"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // The decision record: the round's authority only.
    for client in [&owner, &stranger, &city] {
        let api = app
            .get(
                client,
                &format!("/api/v1/applications/{a}/decision-record.pdf"),
            )
            .await;
        assert_eq!(api.status, StatusCode::NOT_FOUND);
        assert_eq!(api.body, missing.body);
        let json = app
            .get(client, &format!("/api/v1/applications/{a}/decision-record"))
            .await;
        assert_eq!(json.status, StatusCode::NOT_FOUND);
        let page = app
            .get(client, &format!("/applications/{a}/decision-record"))
            .await;
        assert_eq!(page.status, StatusCode::NOT_FOUND);
    }
    let record = app
        .get(
            &province,
            &format!("/api/v1/applications/{a}/decision-record"),
        )
        .await;
    assert_eq!(record.status, StatusCode::OK, "{}", record.text());
    let record = record.json();
    assert_eq!(record["certificate"], NUMBER);
    assert_eq!(record["history"].as_array().unwrap().len(), 1);
    assert_eq!(record["history"][0]["result_label"], "四星");
    let page = app
        .get(&province, &format!("/applications/{a}/decision-record"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("苏工信〔2026〕88号"));

    if !pdf_tools() {
        return;
    }
    for (who, client) in [("owner", &owner), ("city", &city), ("province", &province)] {
        let page = app.get(client, &format!("/applications/{a}/report")).await;
        let report = app
            .get(client, &format!("/api/v1/applications/{a}/report.pdf"))
            .await;
        // The PDF answers as the page does (Kunshan's application reaches the province
        // directly: the city does not see it).
        assert_eq!(report.status, page.status, "{who}: {}", report.text());
        if who == "city" {
            assert_eq!(report.status, StatusCode::NOT_FOUND);
            continue;
        }
        assert_eq!(report.status, StatusCode::OK, "{who}");
        assert_eq!(report.headers["content-type"], "application/pdf");
        let text = pdf_text(&report.body);
        for expected in ["自评估报告", "甲公司", "逐项结果", "评估结论"] {
            assert!(text.contains(expected), "{expected} not in {text}");
        }
    }
    let pdf = app
        .get(
            &province,
            &format!("/api/v1/applications/{a}/decision-record.pdf"),
        )
        .await;
    assert_eq!(pdf.status, StatusCode::OK, "{}", pdf.text());
    let text = pdf_text(&pdf.body);
    for expected in [
        "评定决定记录",
        "甲公司",
        "四星",
        "苏工信〔2026〕88号",
        "2026-06-05至2029-06-04",
        NUMBER,
    ] {
        assert!(text.contains(expected), "{expected} not in {text}");
    }
}

#[tokio::test]
async fn without_the_font_pdfs_answer_503_and_the_pages_still_print() {
    let app = TestApp::new_with(|config| {
        config.pdf_font_file = "/nonexistent/pingjia-font.ttc".into();
    })
    .await;
    let a = published(&app).await;
    let province = app.sign_in("province").await;
    for (client, path) in [
        (
            Client::anonymous(),
            format!("/api/v1/public/certificates/{NUMBER}/pdf"),
        ),
        (
            province.clone(),
            format!("/api/v1/applications/{a}/report.pdf"),
        ),
        (
            province.clone(),
            format!("/api/v1/applications/{a}/decision-record.pdf"),
        ),
    ] {
        let response = app.get(&client, &path).await;
        assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE, "{path}");
        assert_eq!(response.json()["error"], "pdf_font_missing");
        assert!(
            response.json()["message"]
                .as_str()
                .unwrap()
                .contains("中文字体")
        );
    }
    // A hidden application is still hidden, font or not.
    let stranger = app.sign_in("applicant_b").await;
    assert_eq!(
        app.get(&stranger, &format!("/api/v1/applications/{a}/report.pdf"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    for path in [
        format!("/certificates/{NUMBER}"),
        format!("/applications/{a}/report"),
        format!("/applications/{a}/decision-record"),
    ] {
        let response = app.get(&province, &path).await;
        assert_eq!(response.status, StatusCode::OK, "{path}");
        assert!(response.text().contains("printable"), "{path}");
    }
}
