//! The API of certificates and printable documents: the public verification of a certificate
//! by its number and its PDF (`/api/v1/public/certificates/…`), an application's
//! self-assessment report and decision record as PDF, and the decision record as JSON. In
//! `ApiDoc`.

use super::error::ErrorBody;
use super::extract;
use crate::context::AppState;
use crate::error::AppResult;
use crate::services::actor::Actor;
use crate::services::certificates::{self, Certificate};
use crate::services::decisions::{self, DecisionRecordView};
use crate::services::documents::{self, PdfFile};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/api/v1/public/certificates/{number}", get(certificate))
        .route(
            "/api/v1/public/certificates/{number}/pdf",
            get(certificate_pdf),
        )
        .route("/api/v1/applications/{id}/report.pdf", get(report_pdf))
        .route(
            "/api/v1/applications/{id}/decision-record",
            get(decision_record),
        )
        .route(
            "/api/v1/applications/{id}/decision-record.pdf",
            get(decision_record_pdf),
        )
}

/// A PDF download; `private` unless `public` (a certificate anyone may fetch).
pub fn pdf_response(file: PdfFile, public: bool) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                extract::content_disposition(&file.filename),
            ),
            (
                header::CACHE_CONTROL,
                if public {
                    "no-cache"
                } else {
                    "private, no-store"
                }
                .to_owned(),
            ),
        ],
        axum::body::Body::from(file.bytes),
    )
        .into_response()
}

/// Verifies a certificate by its number (case and surrounding spaces do not matter): its state
/// today (`valid`, `expired`, `revoked`, `superseded`), what it certifies, and the member's
/// page in the public directory. An unknown number is `404`.
#[utoipa::path(get, path = "/api/v1/public/certificates/{number}", tag = "certificates",
    params(("number" = String, Path, description = "证书编号, e.g. ZS-2026-000001")),
    responses((status = 200, body = Certificate), (status = 404, body = ErrorBody)))]
pub async fn certificate(
    State(state): State<AppState>,
    Path(number): Path<String>,
) -> AppResult<Json<Certificate>> {
    Ok(Json(certificates::verify(&state, &number).await?))
}

/// The certificate as a PDF (A4, Noto Sans CJK SC subset into it), with a QR code of the
/// member's directory page. `503 pdf_font_missing` when the server has no font.
#[utoipa::path(get, path = "/api/v1/public/certificates/{number}/pdf", tag = "certificates",
    params(("number" = String, Path, description = "证书编号")),
    responses((status = 200, description = "the certificate, with Content-Disposition", content_type = "application/pdf"),
        (status = 404, body = ErrorBody), (status = 503, body = ErrorBody, description = "no font for PDFs on the server")))]
pub async fn certificate_pdf(
    State(state): State<AppState>,
    Path(number): Path<String>,
) -> AppResult<Response> {
    let bytes = certificates::pdf(&state, &number).await?;
    let number = certificates::normalize(&number).unwrap_or_default();
    Ok(pdf_response(
        PdfFile {
            filename: format!("证书-{number}.pdf"),
            bytes,
        },
        true,
    ))
}

/// The self-assessment report as a PDF, for whoever may see the application (the version the
/// caller may see, as the report page shows it).
#[utoipa::path(get, path = "/api/v1/applications/{id}/report.pdf", tag = "certificates",
    params(("id" = i64, Path)),
    responses((status = 200, description = "the report, with Content-Disposition", content_type = "application/pdf"),
        (status = 404, body = ErrorBody), (status = 503, body = ErrorBody, description = "no font for PDFs on the server")))]
pub async fn report_pdf(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    Ok(pdf_response(
        documents::report_pdf(&state, &actor, id).await?,
        false,
    ))
}

/// The decision record of an application: the computed grade, every decision with its reason,
/// the publication and the certificate; for the authority of its round.
#[utoipa::path(get, path = "/api/v1/applications/{id}/decision-record", tag = "certificates",
    params(("id" = i64, Path)),
    responses((status = 200, body = DecisionRecordView), (status = 404, body = ErrorBody)))]
pub async fn decision_record(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> AppResult<Json<DecisionRecordView>> {
    Ok(Json(decisions::record(&state, &actor, id).await?))
}

/// The decision record as a PDF.
#[utoipa::path(get, path = "/api/v1/applications/{id}/decision-record.pdf", tag = "certificates",
    params(("id" = i64, Path)),
    responses((status = 200, description = "the record, with Content-Disposition", content_type = "application/pdf"),
        (status = 404, body = ErrorBody), (status = 503, body = ErrorBody, description = "no font for PDFs on the server")))]
pub async fn decision_record_pdf(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    Ok(pdf_response(
        documents::decision_record_pdf(&state, &actor, id).await?,
        false,
    ))
}
