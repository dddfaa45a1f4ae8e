//! The 申报书 as a file: an application's declaration downloaded as an xlsx workbook (the
//! version the caller may see), and a filled workbook imported into the open draft through
//! the same autosave as the form, so that ownership, state and every value check are the
//! form's own.

use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::services::actor::{Actor, Role};
use crate::services::applications;
use crate::services::assessment::Assessment;
use crate::services::evidence;
use crate::services::spreadsheets::{self, CellError};
use serde::Serialize;
use serde_json::{Map, Value as Json};

/// The media type of an xlsx workbook.
pub const XLSX_MEDIA_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The largest workbook an applicant may upload (the file as sent; its inside is capped by
/// [`spreadsheets::MAX_UNCOMPRESSED_BYTES`] and [`spreadsheets::MAX_WORKBOOK_ROWS`]).
pub const MAX_WORKBOOK_BYTES: u64 = 5 * 1024 * 1024;

/// A workbook to download.
#[derive(Debug)]
pub struct DeclarationFile {
    pub filename: String,
    pub bytes: Vec<u8>,
}

/// The declaration of application `id` as a 申报书 workbook: version `number`, or the latest
/// the actor may see ([`applications::detail_at`], whose [`applications::version_visible`] is
/// the one rule: reviewers get submitted versions only).
pub async fn download(
    state: &AppState,
    actor: &Actor,
    id: i64,
    number: Option<i64>,
) -> AppResult<DeclarationFile> {
    let detail = applications::detail_at(state, actor, id, number).await?;
    let (scheme, provider_type) = applications::scheme_of(state, &detail.application)?;
    let body: Json = serde_json::from_str(&detail.version.body).map_err(AppError::internal)?;
    let bytes = spreadsheets::declaration_workbook(
        scheme,
        provider_type,
        &body,
        &detail.organization.name,
    )?;
    let name: String = detail
        .organization
        .name
        .chars()
        .filter(|c| !c.is_control() && !"/\\:*?\"<>|".contains(*c))
        .collect();
    Ok(DeclarationFile {
        filename: format!(
            "申报书_{name}_{}_第{}版.xlsx",
            detail.application.id, detail.version.number
        ),
        bytes,
    })
}

/// What an import did: the draft's version and its assessment (as the form shows them), and
/// the problems placed by sheet and row.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Imported {
    /// The draft version the values were saved into.
    pub version: i64,
    /// The draft's assessment after the import, with every field error.
    pub assessment: Assessment,
    /// How many values the file gave.
    pub imported: usize,
    /// Rows the file could not give (unknown field ids, rows of another provider type), then
    /// the field errors of the values it gave, each at its sheet and row.
    pub cell_errors: Vec<CellError>,
}

/// Imports a filled 申报书 into the application's open draft (opening one after a return):
/// the values it gives replace the draft's, blank cells leave them as they are, and the draft
/// is saved by [`applications::save_draft`] (the form's autosave: role, ownership, state, NUL
/// and size checks, the assessment). Checks come in the API's order: role, then visibility,
/// then state, then the file. A file that cannot be read at all is `422`, and nothing is saved.
pub async fn import(state: &AppState, actor: &Actor, id: i64, bytes: &[u8]) -> AppResult<Imported> {
    actor.require(&[Role::Applicant])?;
    let detail = applications::detail(state, actor, id).await?;
    if !applications::editable_state(detail.application.state) {
        return Err(applications::not_editable());
    }
    if bytes.len() as u64 > MAX_WORKBOOK_BYTES {
        return Err(evidence::too_large(MAX_WORKBOOK_BYTES));
    }
    let (scheme, provider_type) = applications::scheme_of(state, &detail.application)?;
    let read = spreadsheets::read_declaration_workbook_located(scheme, provider_type, bytes)?;
    let mut body: Map<String, Json> = serde_json::from_str::<Json>(&detail.version.body)
        .map_err(AppError::internal)?
        .as_object()
        .cloned()
        .unwrap_or_default();
    let mut values = body
        .get("values")
        .and_then(Json::as_object)
        .cloned()
        .unwrap_or_default();
    for (field, value) in &read.values {
        values.insert(field.clone(), value.clone());
    }
    body.insert("values".to_owned(), Json::Object(values));
    let (version, assessment) =
        applications::save_draft(state, actor, id, Json::Object(body)).await?;
    let mut cell_errors = read.cell_errors.clone();
    for error in &assessment.field_errors {
        let Some((sheet, row)) = read.locate(&error.field) else {
            continue;
        };
        let label = error.label.clone().unwrap_or_else(|| error.field.clone());
        cell_errors.push(CellError {
            sheet: sheet.to_owned(),
            row: Some(row),
            field: error
                .field
                .strip_prefix("values.")
                .map(|rest| rest.split(['[', '.']).next().unwrap_or(rest).to_owned()),
            message: format!(
                "{label}：应填写：{}（当前：{}） / {label}: expected {}, got {}",
                error.expected_zh, error.given, error.expected_en, error.given
            ),
        });
    }
    Ok(Imported {
        version,
        imported: read.values.len(),
        assessment,
        cell_errors,
    })
}
