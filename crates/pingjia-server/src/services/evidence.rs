//! Evidence files: size-limited uploads whose type is checked by content (not by name),
//! stored once per SHA-256 on local disk, downloadable only by those who may see the
//! application. Content still referenced by another version is never deleted.

use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::services::actor::{Actor, Role};
use crate::services::applications::EvidenceItem;
use crate::storage::{self as store, NewEvidence};
use sha2::{Digest, Sha256};
use std::path::PathBuf;

/// The accepted types, as detected from the bytes.
pub const ACCEPTED: &[(&str, &str)] = &[
    ("application/pdf", "PDF"),
    ("image/png", "PNG"),
    ("image/jpeg", "JPEG"),
    (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "XLSX",
    ),
    (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "DOCX",
    ),
];

pub fn detect(bytes: &[u8]) -> Option<&'static str> {
    let kind = infer::get(bytes)?;
    ACCEPTED
        .iter()
        .map(|(mime, _)| *mime)
        .find(|mime| *mime == kind.mime_type())
}

fn path_of(state: &AppState, sha256: &str) -> PathBuf {
    state.config.evidence_dir.join(&sha256[..2]).join(sha256)
}

/// A file as received: its name as sent (cleaned here), its bytes, and the criterion it is
/// attached to, if any.
#[derive(Debug, Default)]
pub struct Upload {
    pub filename: String,
    pub bytes: Vec<u8>,
    pub criterion: Option<String>,
}

/// The answer when an upload exceeds the configured size.
pub fn too_large(limit: u64) -> AppError {
    AppError::new(
        413,
        "file_too_large",
        format!(
            "文件超过 {} MB 的上限 / file exceeds the limit",
            limit / 1024 / 1024
        ),
    )
}

/// Attaches a file to the application's open draft (opening one after a submission). Every
/// check comes before anything is written: a refused upload changes nothing.
pub async fn upload(
    state: &AppState,
    actor: &Actor,
    application_id: i64,
    upload: Upload,
) -> AppResult<EvidenceItem> {
    actor.require(&[Role::Applicant])?;
    let application = store::application(&state.db, &actor.scope(), application_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if upload.bytes.len() as u64 > state.config.max_upload_bytes {
        return Err(too_large(state.config.max_upload_bytes));
    }
    let filename = sanitize_filename(&upload.filename);
    let Upload {
        bytes, criterion, ..
    } = upload;
    if bytes.is_empty() {
        return Err(AppError::invalid("文件为空 / empty file"));
    }
    let media_type = detect(&bytes).ok_or_else(|| {
        let accepted: Vec<&str> = ACCEPTED.iter().map(|(_, name)| *name).collect();
        AppError::new(
            415,
            "unsupported_file_type",
            format!(
                "仅接受 {} 文件（按内容识别）/ only {} files are accepted (checked by content)",
                accepted.join("、"),
                accepted.join(", ")
            ),
        )
    })?;
    if let Some(criterion_id) = &criterion {
        let known = state
            .catalog
            .schemes
            .iter()
            .find(|s| s.id == application.scheme_id)
            .is_some_and(|s| s.criteria.iter().any(|c| &c.id == criterion_id));
        if !known {
            return Err(AppError::invalid(format!(
                "未知的指标 {criterion_id} / unknown criterion"
            )));
        }
    }
    let sha256 = hex::encode(Sha256::digest(&bytes));
    let (mut tx, application) =
        crate::services::applications::begin_on_own(state, actor, application_id).await?;
    let now = state.now();
    let draft =
        crate::services::applications::open_draft(&mut tx, actor, &application, now).await?;
    // The content's row lock first, then the file: a removal's clean-up holds the same lock
    // while it deletes an unreferenced file, so the file checked here stays until this commits.
    store::insert_blob(&mut tx, &sha256, bytes.len() as i64, media_type, now).await?;
    write_content(state, &sha256, &bytes).await?;
    let id = store::insert_evidence(
        &mut tx,
        &NewEvidence {
            version_id: draft.id,
            application_id,
            organization_id: application.organization_id,
            criterion_id: criterion.as_deref(),
            sha256: &sha256,
            filename: &filename,
            uploaded_by: actor.user.id,
        },
        now,
    )
    .await?;
    // The audit names the first few other organisations; a template attached by thousands
    // must not make one audit line (and its hash) that long.
    const NAMED: usize = 10;
    let others = store::other_organizations_with_blob(
        &state.db,
        &sha256,
        application.organization_id,
        NAMED as i64 + 1,
    )
    .await?;
    let details = match others.len() {
        0 => sha256.clone(),
        n if n <= NAMED => format!("{sha256} (also used by organisations {others:?})"),
        _ => format!(
            "{sha256} (also used by organisations {:?} and more)",
            &others[..NAMED]
        ),
    };
    store::audit(
        &mut tx,
        Some(actor.user.id),
        "evidence_uploaded",
        &format!("application:{application_id}"),
        &details,
        now,
    )
    .await?;
    tx.commit().await?;
    let row = store::evidence(&state.db, id)
        .await?
        .ok_or_else(|| AppError::internal("evidence vanished"))?;
    Ok(crate::services::applications::evidence_items(
        state,
        actor,
        &[row],
        application.organization_id,
    )
    .await?
    .remove(0))
}

/// Stores a content under its hash unless it is there: written to a temporary name, then
/// renamed, so a crash never leaves a partial file under the hash.
async fn write_content(state: &AppState, sha256: &str, bytes: &[u8]) -> AppResult<()> {
    let target = path_of(state, sha256);
    if tokio::fs::try_exists(&target).await.unwrap_or(false) {
        return Ok(());
    }
    let directory = target.parent().expect("content paths have a parent");
    tokio::fs::create_dir_all(directory)
        .await
        .map_err(AppError::internal)?;
    let temporary = directory.join(format!(
        ".{sha256}.{}",
        crate::services::accounts::random_token(4)
    ));
    tokio::fs::write(&temporary, bytes)
        .await
        .map_err(AppError::internal)?;
    tokio::fs::rename(&temporary, &target)
        .await
        .map_err(AppError::internal)?;
    Ok(())
}

/// The evidence row if the actor may see it (one query: its application must be visible,
/// and reviewers see only submitted versions).
async fn visible(state: &AppState, actor: &Actor, id: i64) -> AppResult<store::VisibleEvidence> {
    store::evidence_visible(&state.db, &actor.scope(), id)
        .await?
        .ok_or_else(AppError::not_found)
}

/// A file to send: its row (name, type) and its bytes.
#[derive(Debug)]
pub struct Download {
    pub evidence: store::Evidence,
    pub bytes: Vec<u8>,
}

pub async fn download(state: &AppState, actor: &Actor, id: i64) -> AppResult<Download> {
    let evidence = visible(state, actor, id).await?.evidence;
    let bytes = tokio::fs::read(path_of(state, &evidence.sha256))
        .await
        .map_err(AppError::internal)?;
    Ok(Download { evidence, bytes })
}

pub async fn remove(state: &AppState, actor: &Actor, id: i64) -> AppResult<()> {
    actor.require(&[Role::Applicant])?;
    let found = visible(state, actor, id).await?;
    let evidence = found.evidence;
    let frozen = || {
        AppError::conflict(
            "version_frozen",
            "已提交版本的材料不能删除 / files of a submitted version cannot be removed",
        )
    };
    if found.version_submitted_at.is_some() {
        return Err(frozen());
    }
    let (mut tx, _) =
        crate::services::applications::begin_on_own(state, actor, evidence.application_id).await?;
    let now = state.now();
    if !store::delete_evidence(&mut tx, id, now).await? {
        // Submitted or removed since it was read.
        return Err(frozen());
    }
    store::audit(
        &mut tx,
        Some(actor.user.id),
        "evidence_removed",
        &format!("application:{}", evidence.application_id),
        &evidence.sha256,
        now,
    )
    .await?;
    tx.commit().await?;
    // Clean-up, its own step: the file goes only while no live attachment names it, under
    // the content's lock (see `upload`). A crash here leaves an unreferenced file, never a
    // reference without its file.
    let mut tx = state.db.begin().await?;
    if store::lock_unreferenced_blob(&mut tx, &evidence.sha256).await? {
        match tokio::fs::remove_file(path_of(state, &evidence.sha256)).await {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => tracing::warn!(%error, "unreferenced evidence file not removed"),
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Characters that change how a name looks without being seen: controls, the bidirectional
/// overrides and isolates (which can make `exe.pdf` read as `fdp.exe`) and the zero-width ones.
fn hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{061C}' | '\u{FEFF}'
        )
}

/// Keeps the last path component, without control, bidirectional-override or zero-width
/// characters, at most 200 characters.
pub fn sanitize_filename(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let clean: String = base.chars().filter(|c| !hidden(*c)).take(200).collect();
    if clean.trim().is_empty() || clean == "." || clean == ".." {
        "file".into()
    } else {
        clean
    }
}

/// A file checked as an upload is (size, not empty, type by content, name cleaned), for
/// attachments outside an application (an objection's, a site visit's): its cleaned name,
/// type and hash.
/// Nothing is written.
pub fn check_file(state: &AppState, upload: &Upload) -> AppResult<(String, &'static str, String)> {
    if upload.bytes.len() as u64 > state.config.max_upload_bytes {
        return Err(too_large(state.config.max_upload_bytes));
    }
    if upload.bytes.is_empty() {
        return Err(AppError::invalid("文件为空 / empty file"));
    }
    let media_type = detect(&upload.bytes).ok_or_else(|| {
        let accepted: Vec<&str> = ACCEPTED.iter().map(|(_, name)| *name).collect();
        AppError::new(
            415,
            "unsupported_file_type",
            format!(
                "仅接受 {} 文件（按内容识别）/ only {} files are accepted (checked by content)",
                accepted.join("、"),
                accepted.join(", ")
            ),
        )
    })?;
    Ok((
        sanitize_filename(&upload.filename),
        media_type,
        hex::encode(Sha256::digest(&upload.bytes)),
    ))
}

/// Stores a checked file's content inside the caller's transaction: its row's lock first, then
/// the file (as an evidence upload does).
pub async fn store_content(
    state: &AppState,
    tx: &mut store::Tx,
    sha256: &str,
    media_type: &str,
    bytes: &[u8],
    now: i64,
) -> AppResult<()> {
    store::insert_blob(tx, sha256, bytes.len() as i64, media_type, now).await?;
    write_content(state, sha256, bytes).await
}

/// The bytes of a stored content.
pub async fn read_content(state: &AppState, sha256: &str) -> AppResult<Vec<u8>> {
    tokio::fs::read(path_of(state, sha256))
        .await
        .map_err(AppError::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_detected_by_content_not_name() {
        assert_eq!(detect(b"%PDF-1.7\n..."), Some("application/pdf"));
        assert_eq!(
            detect(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0]),
            Some("image/png")
        );
        assert_eq!(detect(b"MZ\x90\x00 an executable"), None);
        assert_eq!(detect(b"plain text pretending to be a pdf"), None);
    }

    #[test]
    fn filenames_are_safe() {
        assert_eq!(sanitize_filename("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_filename("C:\\证明\\营业执照.pdf"), "营业执照.pdf");
        assert_eq!(sanitize_filename(".."), "file");
        // "报告\u{202E}fdp.exe" shows as "报告exe.pdf": the override goes, the truth shows.
        assert_eq!(sanitize_filename("报告\u{202E}fdp.exe"), "报告fdp.exe");
        assert_eq!(
            sanitize_filename("营业\u{200B}执照\u{FEFF}.pdf"),
            "营业执照.pdf"
        );
        assert_eq!(sanitize_filename("a\u{2066}b\u{2069}.pdf"), "ab.pdf");
    }
}
