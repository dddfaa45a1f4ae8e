//! Certificates (证书): one per published grade, issued inside the publication's transaction
//! (`pool::grant_in` calls [`issue_in`]), verified by anyone by its number, and drawn as a PDF
//! with a QR code that opens the member's page in the public directory.
//!
//! The number is `ZS-<year>-<serial>`: 证书, the year of the document that published the grade,
//! and the published grade's id in six digits (more once it passes 999999). ASCII, so that it
//! fits a URL and a QR code; it says nothing that the published list does not already say.
//! A certificate's state is read, never stored: `superseded` when a later publication replaced
//! the member's grade, `revoked` when the member was removed or its recognition revoked,
//! `expired` after its last day (or once the pool's expiry removed the member), else `valid`.

use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::services::pdf::{self, Align, Color, Document, Font, Page};
use crate::services::rounds;
use crate::storage::{self as store, Tx};
use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

/// The number of the certificate of published grade `grant_id`, published by a document of
/// `document_date` (`YYYY-MM-DD`).
pub fn number(document_date: &str, grant_id: i64) -> String {
    let year = document_date.get(..4).unwrap_or("0000");
    format!("ZS-{year}-{grant_id:06}")
}

/// A number as typed: spaces around it dropped, letters upper-cased (`zs-2026-000001`).
/// `None` for what cannot be a number (anything but ASCII letters, digits and `-`, or too long).
pub fn normalize(typed: &str) -> Option<String> {
    let number = typed.trim().to_ascii_uppercase();
    (!number.is_empty()
        && number.len() <= 32
        && number
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-'))
    .then_some(number)
}

/// Issues the certificate of a grant, inside the publication's transaction; its number.
pub async fn issue_in(
    tx: &mut Tx,
    grant_id: i64,
    member_id: i64,
    document_date: &str,
    now: i64,
) -> AppResult<String> {
    let number = number(document_date, grant_id);
    store::insert_certificate(tx, &number, grant_id, member_id, now).await?;
    Ok(number)
}

/// What a certificate's state is, on `today`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CertificateStatus {
    Valid,
    Expired,
    Revoked,
    Superseded,
}

impl CertificateStatus {
    pub fn label(self) -> &'static str {
        match self {
            CertificateStatus::Valid => "有效",
            CertificateStatus::Expired => "已过期",
            CertificateStatus::Revoked => "已撤销",
            CertificateStatus::Superseded => "已被新证书取代",
        }
    }
}

/// The rule: a later grant supersedes; a removal or revocation revokes; the member's expiry or
/// a last day before `today` expires; otherwise valid.
pub fn status_of(
    grant_id: i64,
    member_grant_id: i64,
    member_status: &str,
    valid_until: Option<&str>,
    today: NaiveDate,
) -> CertificateStatus {
    let ended = valid_until
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .is_some_and(|until| until < today);
    if member_grant_id != grant_id {
        CertificateStatus::Superseded
    } else if matches!(member_status, "revoked" | "removed") {
        CertificateStatus::Revoked
    } else if member_status == "expired" || ended {
        CertificateStatus::Expired
    } else {
        CertificateStatus::Valid
    }
}

/// A certificate as anyone may see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Certificate {
    pub number: String,
    pub status: CertificateStatus,
    /// The status in words (有效, 已过期, 已撤销, 已被新证书取代).
    pub status_label: String,
    pub organization: String,
    /// 统一社会信用代码.
    pub credit_code: String,
    pub provider_type: String,
    /// 三星 … / 认定 / 入选.
    pub result: String,
    pub stars: Option<i64>,
    pub valid_from: String,
    /// The last day of validity, where the scheme sets a term.
    pub valid_until: Option<String>,
    pub document_number: String,
    pub document_date: String,
    /// The authority that issued the standard and published the grade.
    pub issuer: String,
    pub scheme_title: String,
    pub round_name: String,
    /// The member in the public directory: `/directory/{member_id}`.
    pub member_id: i64,
    pub directory_url: String,
    /// Where the public verifies this certificate: `/certificates/{number}`.
    pub verify_url: String,
    /// The same, absolute (`public_base_url`).
    pub verify_address: String,
    /// The QR code's payload: the directory page's absolute address.
    pub qr_url: String,
    /// The date the status was read for (today, in China).
    pub checked_on: String,
}

async fn view(state: &AppState, row: store::CertificateRow) -> AppResult<Certificate> {
    let today = state.today();
    let status = status_of(
        row.grant_id,
        row.member_grant_id,
        &row.member_status,
        row.valid_until.as_deref(),
        today,
    );
    let scheme = state.catalog.schemes.iter().find(|s| s.id == row.scheme_id);
    let round = rounds::load(state, row.round_id).await?;
    let directory_url = format!("/directory/{}", row.member_id);
    Ok(Certificate {
        status,
        status_label: status.label().to_owned(),
        issuer: scheme.and_then(|s| s.issuer.clone()).unwrap_or_default(),
        scheme_title: scheme.map(|s| s.title.clone()).unwrap_or_default(),
        round_name: round.name,
        qr_url: format!("{}{directory_url}", state.config.public_base()),
        verify_url: format!("/certificates/{}", row.number),
        verify_address: format!("{}/certificates/{}", state.config.public_base(), row.number),
        directory_url,
        checked_on: today.to_string(),
        number: row.number,
        organization: row.organization,
        credit_code: row.credit_code,
        provider_type: row.provider_type,
        result: row.result,
        stars: row.stars,
        valid_from: row.valid_from,
        valid_until: row.valid_until,
        document_number: row.document_number,
        document_date: row.document_date,
        member_id: row.member_id,
    })
}

/// A certificate by its number, for anyone; an unknown number is `404`.
pub async fn verify(state: &AppState, typed: &str) -> AppResult<Certificate> {
    let number = normalize(typed).ok_or_else(AppError::not_found)?;
    let row = store::certificate(&state.db, &number)
        .await?
        .ok_or_else(AppError::not_found)?;
    view(state, row).await
}

/// The certificate of an application the caller was already allowed to see
/// (`applications::detail`), if its grade was published.
pub async fn of_application(
    state: &AppState,
    application: &store::Application,
) -> AppResult<Option<Certificate>> {
    match store::certificate_of_application(&state.db, application.id).await? {
        Some(row) => Ok(Some(view(state, row).await?)),
        None => Ok(None),
    }
}

/// The certificate as a PDF, for anyone who has its number; `503 pdf_font_missing` without
/// the font.
pub async fn pdf(state: &AppState, typed: &str) -> AppResult<Vec<u8>> {
    let certificate = verify(state, typed).await?;
    let font = pdf::font_for(state)?;
    pdf::render(&font, &certificate_document(&font, &certificate)).map_err(AppError::internal)
}

/// 三星 → 三星级 ★★★; a recognition or selection as it is.
fn grade_text(certificate: &Certificate) -> String {
    match certificate.stars {
        Some(stars) => format!(
            "{}级　{}",
            certificate.result,
            "★".repeat(usize::try_from(stars).unwrap_or(0))
        ),
        None => certificate.result.clone(),
    }
}

const RED: Color = Color(0.70, 0.10, 0.10);
const GOLD: Color = Color(0.72, 0.55, 0.20);

/// The certificate's page: A4, the title, the organisation, a table of the grant, the issuer
/// and the date, the QR code of the directory page and the verification address.
pub fn certificate_document(font: &Font, c: &Certificate) -> Document {
    let mut page = Page::default();
    let (w, h) = (pdf::PAGE_WIDTH, pdf::PAGE_HEIGHT);
    let middle = w / 2.0;
    page.frame(28.0, 28.0, w - 56.0, h - 56.0, 3.0, GOLD);
    page.frame(36.0, 36.0, w - 72.0, h - 72.0, 0.8, GOLD);
    page.text(font, middle, 112.0, 15.0, Align::Center, &c.scheme_title);
    page.colored_text(font, middle, 172.0, 44.0, Align::Center, RED, "证　书");
    page.colored_text(
        font,
        middle,
        204.0,
        11.0,
        Align::Center,
        pdf::GREY,
        &format!("证书编号：{}", c.number),
    );
    let mut y = 270.0;
    for line in font.wrap(&c.organization, 22.0, w - 160.0) {
        page.text(font, middle, y, 22.0, Align::Center, &line);
        y += 32.0;
    }
    y += 18.0;
    let validity = match &c.valid_until {
        Some(until) => format!("{} 至 {until}", c.valid_from),
        None => format!("自 {} 起", c.valid_from),
    };
    let rows = [
        ("统一社会信用代码", c.credit_code.clone()),
        ("申报类型", c.provider_type.clone()),
        ("评定结果", grade_text(c)),
        ("有效期", validity),
        ("发文文号", c.document_number.clone()),
        ("发文日期", c.document_date.clone()),
        ("评定批次", c.round_name.clone()),
    ];
    let (label_x, value_x) = (110.0, 230.0);
    for (label, value) in rows {
        page.colored_text(font, label_x, y, 12.0, Align::Left, pdf::GREY, label);
        for line in font.wrap(&value, 13.0, w - value_x - 90.0) {
            page.text(font, value_x, y, 13.0, Align::Left, &line);
            y += 20.0;
        }
        y += 8.0;
    }
    y += 10.0;
    let statement = format!(
        "经评审、公示，{}被评定为{}（{}），特发此证。",
        c.organization, c.result, c.provider_type
    );
    for line in font.wrap(&statement, 12.5, w - 220.0) {
        page.text(font, label_x, y, 12.5, Align::Left, &line);
        y += 20.0;
    }
    if c.status != CertificateStatus::Valid {
        y += 8.0;
        page.colored_text(
            font,
            label_x,
            y,
            13.0,
            Align::Left,
            RED,
            &format!("证书状态：{}（查验日期 {}）", c.status_label, c.checked_on),
        );
    }
    // The issuer and the date, bottom right; the QR code, bottom left.
    let foot = h - 150.0;
    page.text(font, w - 90.0, foot, 14.0, Align::Right, &c.issuer);
    page.text(
        font,
        w - 90.0,
        foot + 24.0,
        12.0,
        Align::Right,
        &c.document_date,
    );
    let side = 118.0;
    let qr_y = h - 80.0 - side - 20.0;
    page.qr(70.0, qr_y, side, &c.qr_url);
    page.colored_text(
        font,
        70.0 + side / 2.0,
        qr_y + side + 10.0,
        9.0,
        Align::Center,
        pdf::GREY,
        "扫码查看资源池名录",
    );
    page.colored_text(
        font,
        middle,
        h - 50.0,
        8.5,
        Align::Center,
        pdf::GREY,
        &format!("查验本证书：{}", c.verify_address),
    );
    Document {
        title: format!("证书 {}", c.number),
        pages: vec![page],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn numbers_are_the_year_and_six_digits() {
        assert_eq!(number("2026-06-01", 1), "ZS-2026-000001");
        assert_eq!(number("2027-01-31", 1_234_567), "ZS-2027-1234567");
        assert_eq!(
            normalize(" zs-2026-000001 ").as_deref(),
            Some("ZS-2026-000001")
        );
        assert_eq!(normalize("ZS-2026-0001/../x"), None);
        assert_eq!(normalize("  "), None);
    }

    #[test]
    fn the_state_is_read_from_the_member_and_the_dates() {
        let until = Some("2029-05-31");
        let valid = status_of(7, 7, "active", until, day("2029-05-31"));
        assert_eq!(valid, CertificateStatus::Valid);
        let ended = status_of(7, 7, "active", until, day("2029-06-01"));
        assert_eq!(ended, CertificateStatus::Expired);
        let expired = status_of(7, 7, "expired", until, day("2028-01-01"));
        assert_eq!(expired, CertificateStatus::Expired);
        let revoked = status_of(7, 7, "revoked", until, day("2028-01-01"));
        assert_eq!(revoked, CertificateStatus::Revoked);
        let removed = status_of(7, 7, "removed", until, day("2030-01-01"));
        assert_eq!(removed, CertificateStatus::Revoked);
        let superseded = status_of(7, 9, "active", until, day("2028-01-01"));
        assert_eq!(superseded, CertificateStatus::Superseded);
        assert_eq!(
            status_of(7, 7, "active", None, day("2099-01-01")),
            CertificateStatus::Valid
        );
    }
}
