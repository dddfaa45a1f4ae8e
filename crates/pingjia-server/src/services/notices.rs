//! 公示, objections and publication (002 第八条（二）「在市经信局网站公示7天」, （三）「公示有异议的，
//! 按照相关程序对有关问题进行核实处理；公示无异议的……发文公布」).
//!
//! - The authority opens a round's notice: in one command each application of the round in
//!   `expert_review` with a decision in force takes `decide` (positive: it goes on the notice)
//!   or `decline` (negative), through `workflow::next` with the facts read in the transaction.
//! - Anyone, signed out, objects during the period under a real name and contact, with a text
//!   and files; the objector's identity is the authority's to see only; objections are
//!   throttled per client address; after the period they are refused with the closing date.
//! - The authority resolves each objection: dismissed (with reasons), or upheld — the decision
//!   is revised (`reopen_review`, back to the expert review) or withdrawn (`reject`).
//! - After the period, the authority publishes (发文: document number and date): each entry
//!   without an unresolved objection takes `publish`, and its grade is recorded
//!   (`published_grades`), in force from the document's date.
//!
//! 003 (Jiangsu) prescribes no 公示; its rounds take the same path, as every chain goes
//! `decide` → `public_notice` → `publish` (docs/workflow.md §12.1), with the same period.

use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::services::actor::{Actor, Role};
use crate::services::decisions::{self, outcome, provider_type_label};
use crate::services::evidence::{self, Upload};
use crate::services::notifications::{self, Kind};
use crate::services::review;
use crate::services::rounds;
use crate::storage::{self as store, Page};
use chrono::{Datelike as _, NaiveDate};
use pingjia_core::workflow::{Action, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The period unless the authority sets another: 002 第八条（二）「公示7天」, natural days.
pub const DEFAULT_DAYS: i64 = 7;
/// The longest period the authority may set.
pub const MAX_DAYS: i64 = 30;
/// Objections accepted from one client address per window.
pub const MAX_OBJECTIONS_PER_ADDRESS: i64 = 5;
/// The throttling window, in minutes.
pub const OBJECTION_WINDOW_MINUTES: i64 = 60;
/// Files one objection may carry.
pub const MAX_OBJECTION_FILES: usize = 5;
/// The longest objection text, in characters.
pub const MAX_OBJECTION_TEXT: usize = 5_000;
/// How to object, unless the authority writes otherwise.
pub const DEFAULT_HOW_TO_OBJECT: &str = "公示期间，对公示内容有异议的，请在本页面实名提出异议，写明姓名、联系方式、异议事项及理由，并可附证明材料。匿名异议不予受理。";

fn date(text: &str) -> AppResult<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(AppError::internal)
}

fn round_scheme<'s>(
    state: &'s AppState,
    round: &store::Round,
) -> AppResult<&'s pingjia_core::Scheme> {
    state
        .catalog
        .schemes
        .iter()
        .find(|s| s.id == round.scheme_id)
        .ok_or_else(|| AppError::internal(format!("round of unknown scheme {}", round.scheme_id)))
}

// --- opening -------------------------------------------------------------------------------

/// The notice as the authority opens it; every field optional.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct OpenInput {
    /// The period in natural days, 7 to 30 (default 7: 002 第八条（二）).
    #[serde(default)]
    pub days: Option<i64>,
    /// Default: 「{round} 拟认定名单公示」.
    #[serde(default)]
    pub title: Option<String>,
    /// Default: the round's contact office.
    #[serde(default)]
    pub office: Option<String>,
    /// Default: the round's contact phone.
    #[serde(default)]
    pub contact: Option<String>,
    /// Default: [`DEFAULT_HOW_TO_OBJECT`].
    #[serde(default)]
    pub how_to_object: Option<String>,
}

/// What opening a notice did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Opened {
    /// The notice (none when every decision was negative).
    pub notice_id: Option<i64>,
    pub opens_on: String,
    pub closes_on: String,
    /// Applications put on the notice (`decide`).
    pub on_notice: Vec<i64>,
    /// Applications concluded without a grade (`decline`).
    pub declined: Vec<i64>,
}

fn text_or(
    label: &str,
    given: Option<&str>,
    default: impl FnOnce() -> String,
    max: usize,
) -> AppResult<String> {
    let text = given
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map_or_else(default, str::to_owned);
    crate::services::plain_text(label, &text, max)?;
    Ok(text)
}

/// Opens the public notice of a round's decided applications (its authority only; anyone else
/// `404`). Every application in `expert_review` with a decision in force moves in this one
/// transaction; an application the workflow refuses (its review reopened since) refuses the
/// whole command, naming it. `409 nothing_decided` when no application has a decision.
pub async fn open(
    state: &AppState,
    actor: &Actor,
    round_id: i64,
    input: &OpenInput,
) -> AppResult<Opened> {
    let round = rounds::authority_round(state, actor, round_id)
        .await?
        .record;
    let scheme = round_scheme(state, &round)?;
    let days = input.days.unwrap_or(DEFAULT_DAYS);
    if !(DEFAULT_DAYS..=MAX_DAYS).contains(&days) {
        return Err(AppError::invalid(format!(
            "公示期应为 {DEFAULT_DAYS} 到 {MAX_DAYS} 天 / the period is {DEFAULT_DAYS} to {MAX_DAYS} days"
        )));
    }
    let title = text_or(
        "标题",
        input.title.as_deref(),
        || format!("{} 拟定名单公示", round.name),
        200,
    )?;
    let office = text_or(
        "公示单位",
        input.office.as_deref(),
        || {
            if round.contact_office.trim().is_empty() {
                format!("{}主管部门", round.region_name)
            } else {
                round.contact_office.clone()
            }
        },
        200,
    )?;
    let contact = text_or(
        "联系方式",
        input.contact.as_deref(),
        || round.contact_phone.clone(),
        200,
    )?;
    let how_to_object = text_or(
        "异议方式",
        input.how_to_object.as_deref(),
        || DEFAULT_HOW_TO_OBJECT.to_owned(),
        2_000,
    )?;
    let today = state.today();
    let opens_on = today;
    let closes_on = today + chrono::Duration::days(days - 1);
    // Read before the transaction: the candidates, their routes and labels.
    let mut candidates = Vec::new();
    for item in store::round_applications(&state.db, round_id).await? {
        if item.state != State::ExpertReview {
            continue;
        }
        let Some(application) = store::application(&state.db, &actor.scope(), item.id).await?
        else {
            continue;
        };
        let route = review::route_of(state, &application).await?;
        candidates.push((item, route));
    }

    let mut tx = state.db.begin().await?;
    let now = state.now();
    let mut notice_id = None;
    let mut on_notice = Vec::new();
    let mut declined = Vec::new();
    for (item, route) in &candidates {
        let Some(application) = store::lock_application(&mut tx, item.id).await? else {
            continue;
        };
        if application.state != State::ExpertReview {
            continue;
        }
        let Some(decision) = store::latest_decision_in(&mut tx, item.id).await? else {
            continue;
        };
        let chosen = outcome(scheme.method, &decision.result)?;
        let action = if chosen.positive {
            Action::Decide
        } else {
            Action::Decline
        };
        review::transition_in(&mut tx, actor, &application, route, action, "", today, now)
            .await
            .map_err(|error| {
                AppError::new(
                    error.status,
                    error.code,
                    format!("申报 #{}：{}", item.id, error.message),
                )
            })?;
        if !chosen.positive {
            declined.push(item.id);
            continue;
        }
        let id = match notice_id {
            Some(id) => id,
            None => {
                let id = store::insert_notice(
                    &mut tx,
                    &store::NewNotice {
                        round_id,
                        title: &title,
                        opens_on: &opens_on.to_string(),
                        closes_on: &closes_on.to_string(),
                        office: &office,
                        contact: &contact,
                        how_to_object: &how_to_object,
                        opened_by: actor.user.id,
                    },
                    now,
                )
                .await?;
                notice_id = Some(id);
                id
            }
        };
        store::insert_entry(
            &mut tx,
            &store::NewEntry {
                notice_id: id,
                application_id: item.id,
                decision_id: decision.id,
                organization: &item.organization,
                provider_type: &provider_type_label(scheme, item.provider_type.as_deref()),
                result: chosen.id,
            },
        )
        .await?;
        on_notice.push(item.id);
    }
    if on_notice.is_empty() && declined.is_empty() {
        return Err(AppError::conflict(
            "nothing_decided",
            "本批次没有已评定、待公示的申报 / no application of this round has a decision to put on notice",
        ));
    }
    store::audit(
        &mut tx,
        Some(actor.user.id),
        "notice_opened",
        &format!("round:{round_id}"),
        &format!(
            "notice:{} {opens_on}..{closes_on} on notice {on_notice:?} declined {declined:?}",
            notice_id.map_or_else(|| "none".to_owned(), |id| id.to_string())
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    notifications::spawn_delivery(state);
    Ok(Opened {
        notice_id,
        opens_on: opens_on.to_string(),
        closes_on: closes_on.to_string(),
        on_notice,
        declined,
    })
}

// --- the public's view ---------------------------------------------------------------------

/// An entry as the public sees it: no objection, no objector.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicEntry {
    pub entry_id: i64,
    pub organization: String,
    pub provider_type: String,
    /// 拟定三星 … / 拟认定 / 拟入选.
    pub proposed: String,
    /// `on_notice`, `reopened` (back in expert review), `withdrawn`, `published`.
    pub status: String,
    pub status_label: String,
}

/// A notice as the public sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicNotice {
    pub id: i64,
    pub round_id: i64,
    pub round_name: String,
    pub scheme_title: String,
    pub title: String,
    pub opens_on: String,
    pub closes_on: String,
    /// The period is running today (objections accepted).
    pub open: bool,
    pub office: String,
    pub contact: String,
    pub how_to_object: String,
    pub entries: Vec<PublicEntry>,
}

fn status_label(status: &str) -> &'static str {
    match status {
        "on_notice" => "公示中",
        "reopened" => "重新评审",
        "withdrawn" => "已撤销拟定结果",
        "published" => "已发文公布",
        _ => "",
    }
}

async fn public_view(
    state: &AppState,
    notice: store::Notice,
    with_entries: bool,
) -> AppResult<PublicNotice> {
    let round = rounds::load(state, notice.round_id).await?;
    let scheme = round_scheme(state, &round)?;
    let entries = if with_entries {
        store::notice_entries(&state.db, notice.id)
            .await?
            .into_iter()
            .map(|e| {
                let proposed = decisions::outcomes(scheme.method)
                    .iter()
                    .find(|o| o.id == e.result)
                    .map_or_else(|| e.result.clone(), |o| o.proposed.to_owned());
                PublicEntry {
                    entry_id: e.id,
                    organization: e.organization,
                    provider_type: e.provider_type,
                    proposed,
                    status_label: status_label(&e.status).to_owned(),
                    status: e.status,
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    let today = state.today();
    Ok(PublicNotice {
        open: date(&notice.opens_on)? <= today && today <= date(&notice.closes_on)?,
        id: notice.id,
        round_id: notice.round_id,
        round_name: round.name,
        scheme_title: scheme.title.clone(),
        title: notice.title,
        opens_on: notice.opens_on,
        closes_on: notice.closes_on,
        office: notice.office,
        contact: notice.contact,
        how_to_object: notice.how_to_object,
        entries,
    })
}

/// The notices, newest first, one page (entries left out), and the total.
pub async fn public_notices(state: &AppState, page: Page) -> AppResult<(Vec<PublicNotice>, i64)> {
    let (rows, total) = store::notices_page(&state.db, page).await?;
    let mut notices = Vec::with_capacity(rows.len());
    for notice in rows {
        notices.push(public_view(state, notice, false).await?);
    }
    Ok((notices, total))
}

/// One notice with its entries, for anyone.
pub async fn public_notice(state: &AppState, id: i64) -> AppResult<PublicNotice> {
    let notice = store::notice(&state.db, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    public_view(state, notice, true).await
}

// --- objections ----------------------------------------------------------------------------

/// An objection as filed.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct ObjectionInput {
    /// The entry objected to (`entry_id` of the notice's entries).
    pub entry_id: i64,
    /// The objector's real name (required: anonymous objections are not accepted).
    #[serde(default)]
    pub name: String,
    /// A phone number or address to reach the objector (required).
    #[serde(default)]
    pub contact: String,
    #[serde(default)]
    pub text: String,
}

/// The receipt of an objection: no identity in it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Filed {
    pub objection_id: i64,
    pub entry_id: i64,
    pub organization: String,
    pub files: usize,
    pub filed_at: i64,
}

/// The refusal of an objection after the period, with the closing date.
fn notice_closed(closes_on: &str) -> AppError {
    AppError::conflict(
        "notice_closed",
        format!(
            "公示期已于 {closes_on} 结束，不再受理异议 / the notice period ended on {closes_on}; objections are no longer accepted"
        ),
    )
}

/// The answer to too many objections from one address.
pub fn too_many_objections() -> AppError {
    AppError::new(
        429,
        "too_many_attempts",
        format!(
            "提交异议过于频繁，请 {OBJECTION_WINDOW_MINUTES} 分钟后再试 / too many objections, try again later"
        ),
    )
}

/// Files an objection to an entry of a notice, signed out: during the period only, under a
/// real name and contact, with a text and up to five files (checked like evidence, before
/// anything is written). The objector's identity and address stay with the authority.
pub async fn object(
    state: &AppState,
    notice_id: i64,
    input: &ObjectionInput,
    files: Vec<Upload>,
    address: &str,
) -> AppResult<Filed> {
    let name = input.name.trim();
    let contact = input.contact.trim();
    let text = input.text.trim();
    crate::services::plain_text("姓名", name, 100)?;
    crate::services::plain_text("联系方式", contact, 200)?;
    crate::services::plain_text("异议内容", text, MAX_OBJECTION_TEXT)?;
    if name.is_empty() || contact.is_empty() {
        return Err(AppError::new(
            422,
            "anonymous_objection",
            "异议须实名提出：请填写姓名和联系方式，匿名异议不予受理 / objections must give a real name and a contact; anonymous objections are not accepted",
        ));
    }
    if text.is_empty() {
        return Err(AppError::invalid(
            "请写明异议事项及理由 / write what you object to and why",
        ));
    }
    if files.len() > MAX_OBJECTION_FILES {
        return Err(AppError::invalid(format!(
            "最多附 {MAX_OBJECTION_FILES} 个文件 / at most {MAX_OBJECTION_FILES} files"
        )));
    }
    let mut checked = Vec::with_capacity(files.len());
    for file in files {
        let (filename, media_type, sha256) = evidence::check_file(state, &file)?;
        checked.push((filename, media_type, sha256, file.bytes));
    }
    let notice = store::notice(&state.db, notice_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let today = state.today();
    if today > date(&notice.closes_on)? {
        return Err(notice_closed(&notice.closes_on));
    }
    let round = rounds::load(state, notice.round_id).await?;

    let now = state.now();
    let since = now - OBJECTION_WINDOW_MINUTES * 60;
    let mut tx = state.db.begin().await?;
    let before = store::record_objection_attempt(&mut tx, address, since, now).await?;
    tx.commit().await?;
    if before >= MAX_OBJECTIONS_PER_ADDRESS {
        return Err(too_many_objections());
    }

    let mut tx = state.db.begin().await?;
    let entry = store::entry_in(&mut tx, input.entry_id)
        .await?
        .filter(|e| e.notice_id == notice_id)
        .ok_or_else(|| {
            AppError::new(
                404,
                "not_found",
                "公示中没有该条目 / no such entry on this notice",
            )
        })?;
    if entry.status != "on_notice" {
        return Err(AppError::conflict(
            "not_on_notice",
            "该条目已不在公示中 / the entry is no longer on notice",
        ));
    }
    // Serialises with the resolution and the publication of this application.
    store::lock_application(&mut tx, entry.application_id).await?;
    let objection_id = store::insert_objection(
        &mut tx,
        &store::NewObjection {
            notice_id,
            entry_id: entry.id,
            name,
            contact,
            text,
            address,
        },
        now,
    )
    .await?;
    for (filename, media_type, sha256, bytes) in &checked {
        evidence::store_content(state, &mut tx, sha256, media_type, bytes, now).await?;
        store::insert_objection_file(&mut tx, objection_id, sha256, filename, now).await?;
    }
    // The audit log names the objection, never the objector.
    store::audit(
        &mut tx,
        None,
        "objection_filed",
        &format!("notice:{notice_id}"),
        &format!(
            "objection:{objection_id} entry:{} application:{} files:{}",
            entry.id,
            entry.application_id,
            checked.len()
        ),
        now,
    )
    .await?;
    notifications::notify_reviewers(
        &mut tx,
        Role::AuthorityAdmin,
        &round.region_path,
        Kind::Comment,
        Some(entry.application_id),
        &format!("公示异议：{}", entry.organization),
        &format!(
            "「{}」收到一条异议（#{objection_id}），请核实处理。",
            notice.title
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    notifications::spawn_delivery(state);
    Ok(Filed {
        objection_id,
        entry_id: entry.id,
        organization: entry.organization,
        files: checked.len(),
        filed_at: now,
    })
}

// --- the authority's view ------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ObjectionFileView {
    pub id: i64,
    pub filename: String,
}

/// An objection as its authority sees it, the objector's identity included.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ObjectionView {
    pub id: i64,
    pub entry_id: i64,
    pub application_id: i64,
    pub organization: String,
    pub name: String,
    pub contact: String,
    pub text: String,
    pub filed_at: i64,
    /// `open`, `upheld`, `dismissed`, or `closed` (its entry left the notice through another
    /// objection).
    pub status: String,
    pub status_label: String,
    /// Upheld: `revise` or `withdraw`.
    pub outcome: Option<String>,
    pub resolution: String,
    pub resolved_at: Option<i64>,
    pub files: Vec<ObjectionFileView>,
}

/// An entry as the authority manages it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AdminEntry {
    pub entry_id: i64,
    pub application_id: i64,
    pub organization: String,
    pub provider_type: String,
    pub proposed: String,
    pub status: String,
    pub status_label: String,
    pub open_objections: i64,
}

/// A notice as its authority manages it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AdminNotice {
    pub notice: PublicNotice,
    /// The period has ended (publication possible).
    pub ended: bool,
    pub entries: Vec<AdminEntry>,
    pub objections: Vec<ObjectionView>,
}

fn objection_status_label(status: &str) -> &'static str {
    match status {
        "open" => "待处理",
        "upheld" => "异议成立",
        "dismissed" => "异议不成立",
        "closed" => "已随条目处理",
        _ => "",
    }
}

/// A notice of the caller's office, or `404` (to anyone else, and for a missing one).
async fn authority_notice(
    state: &AppState,
    actor: &Actor,
    id: i64,
) -> AppResult<(store::Notice, store::Round)> {
    let notice = match store::notice(&state.db, id).await? {
        Some(notice) => notice,
        None => {
            // The same steps as a found notice's, so that a missing id answers like a foreign one.
            rounds::authority_round(state, actor, 0).await?;
            return Err(AppError::not_found());
        }
    };
    let round = rounds::authority_round(state, actor, notice.round_id)
        .await?
        .record;
    Ok((notice, round))
}

/// A notice with its entries and objections, for the authority of its round.
pub async fn manage(state: &AppState, actor: &Actor, id: i64) -> AppResult<AdminNotice> {
    let (notice, _) = authority_notice(state, actor, id).await?;
    let ended = state.today() > date(&notice.closes_on)?;
    let public = public_view(state, notice, true).await?;
    let entries = store::notice_entries(&state.db, id).await?;
    let objections = store::notice_objections(&state.db, id).await?;
    let files = store::objection_files(&state.db, id).await?;
    let admin_entries = entries
        .iter()
        .zip(&public.entries)
        .map(|(e, p)| AdminEntry {
            entry_id: e.id,
            application_id: e.application_id,
            organization: e.organization.clone(),
            provider_type: e.provider_type.clone(),
            proposed: p.proposed.clone(),
            status: e.status.clone(),
            status_label: p.status_label.clone(),
            open_objections: objections
                .iter()
                .filter(|o| o.entry_id == e.id && o.status == "open")
                .count() as i64,
        })
        .collect();
    let objections = objections
        .into_iter()
        .map(|o| {
            let entry = entries.iter().find(|e| e.id == o.entry_id);
            ObjectionView {
                id: o.id,
                entry_id: o.entry_id,
                application_id: entry.map_or(0, |e| e.application_id),
                organization: entry.map_or_else(String::new, |e| e.organization.clone()),
                files: files
                    .iter()
                    .filter(|f| f.objection_id == o.id)
                    .map(|f| ObjectionFileView {
                        id: f.id,
                        filename: f.filename.clone(),
                    })
                    .collect(),
                status_label: objection_status_label(&o.status).to_owned(),
                name: o.name,
                contact: o.contact,
                text: o.text,
                filed_at: o.filed_at,
                status: o.status,
                outcome: o.outcome,
                resolution: o.resolution,
                resolved_at: o.resolved_at,
            }
        })
        .collect();
    Ok(AdminNotice {
        notice: public,
        ended,
        entries: admin_entries,
        objections,
    })
}

/// The notices of a round, for its authority.
pub async fn round_notices(
    state: &AppState,
    actor: &Actor,
    round_id: i64,
) -> AppResult<Vec<PublicNotice>> {
    rounds::authority_round(state, actor, round_id).await?;
    let mut notices = Vec::new();
    for notice in store::round_notices(&state.db, round_id).await? {
        notices.push(public_view(state, notice, false).await?);
    }
    Ok(notices)
}

/// An objection's file, for the authority of its notice.
pub async fn objection_file(
    state: &AppState,
    actor: &Actor,
    id: i64,
) -> AppResult<(String, Vec<u8>)> {
    let Some((file, notice_id)) = store::objection_file(&state.db, id).await? else {
        rounds::authority_round(state, actor, 0).await?;
        return Err(AppError::not_found());
    };
    authority_notice(state, actor, notice_id).await?;
    let bytes = evidence::read_content(state, &file.sha256).await?;
    Ok((file.filename, bytes))
}

// --- resolution ----------------------------------------------------------------------------

/// How the authority resolves an objection.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct Resolution {
    /// `dismiss` (异议不成立), `revise` (成立: back to expert review, decided again) or
    /// `withdraw` (成立: the proposed result is withdrawn, the application rejected).
    pub outcome: String,
    /// The findings and reasons (required).
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Resolved {
    pub objection_id: i64,
    pub status: String,
    pub outcome: Option<String>,
    /// The application's state after the resolution.
    #[schema(value_type = String)]
    pub application_state: State,
}

/// Resolves an objection (the authority of its notice; `404` to anyone else): dismissed with
/// reasons, or upheld — `revise` takes the application back into expert review
/// (`reopen_review`), `withdraw` rejects it (`reject`); either way its entry leaves the notice
/// and the entry's other open objections close with it. `409 already_resolved` twice.
pub async fn resolve(
    state: &AppState,
    actor: &Actor,
    objection_id: i64,
    input: &Resolution,
) -> AppResult<Resolved> {
    let found = store::objection(&state.db, objection_id).await?;
    let Some(found) = found else {
        rounds::authority_round(state, actor, 0).await?;
        return Err(AppError::not_found());
    };
    authority_notice(state, actor, found.notice_id).await?;
    let reason = input.reason.trim();
    crate::services::plain_text("处理意见", reason, review::MAX_COMMENT)?;
    let (status, outcome, action) = match input.outcome.trim() {
        "dismiss" => ("dismissed", None, None),
        "revise" => ("upheld", Some("revise"), Some(Action::ReopenReview)),
        "withdraw" => ("upheld", Some("withdraw"), Some(Action::Reject)),
        other => {
            return Err(AppError::invalid(format!(
                "未知的处理结果「{other}」，可选 dismiss、revise、withdraw / unknown outcome"
            )));
        }
    };
    if reason.is_empty() {
        return Err(AppError::new(
            422,
            "comment_required",
            "处理异议须写明核实情况和理由 / a resolution needs its findings and reasons",
        ));
    }
    let entry_application = store::entry(&state.db, found.entry_id)
        .await?
        .ok_or_else(|| AppError::internal("objection without entry"))?
        .application_id;
    let application = store::application(&state.db, &actor.scope(), entry_application)
        .await?
        .ok_or_else(AppError::not_found)?;
    let route = review::route_of(state, &application).await?;
    let today = state.today();

    let mut tx = state.db.begin().await?;
    let application = store::lock_application(&mut tx, entry_application)
        .await?
        .ok_or_else(AppError::not_found)?;
    let objection = store::lock_objection(&mut tx, objection_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if objection.status != "open" {
        return Err(AppError::conflict(
            "already_resolved",
            "该异议已处理 / the objection is already resolved",
        ));
    }
    let now = state.now();
    let mut after = application.state;
    if let Some(action) = action {
        let moved = review::transition_in(
            &mut tx,
            actor,
            &application,
            &route,
            action,
            reason,
            today,
            now,
        )
        .await?;
        after = moved.to;
        store::set_entry_status(
            &mut tx,
            objection.entry_id,
            if action == Action::ReopenReview {
                "reopened"
            } else {
                "withdrawn"
            },
        )
        .await?;
    }
    store::resolve_objection(
        &mut tx,
        objection_id,
        status,
        outcome,
        reason,
        actor.user.id,
        now,
    )
    .await?;
    if action.is_some() {
        let others = store::notice_objections_in_entry(&mut tx, objection.entry_id).await?;
        for other in others.into_iter().filter(|&o| o != objection_id) {
            store::resolve_objection(
                &mut tx,
                other,
                "closed",
                None,
                &format!("该条目已因异议 #{objection_id} 撤出公示"),
                actor.user.id,
                now,
            )
            .await?;
        }
    }
    store::audit(
        &mut tx,
        Some(actor.user.id),
        "objection_resolved",
        &format!("objection:{objection_id}"),
        &format!(
            "{status}{} application:{} · {reason}",
            outcome.map_or_else(String::new, |o| format!(" ({o})")),
            application.id
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    notifications::spawn_delivery(state);
    Ok(Resolved {
        objection_id,
        status: status.to_owned(),
        outcome: outcome.map(str::to_owned),
        application_state: after,
    })
}

// --- publication ---------------------------------------------------------------------------

/// 发文: the document that publishes the results.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct PublishInput {
    /// The document number (文号), e.g. 「苏工信〔2026〕12号」.
    pub document_number: String,
    /// The document's date, `YYYY-MM-DD`: after the period, not after today. Grades take effect
    /// from it.
    pub document_date: String,
}

/// An entry held back from publication.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Held {
    pub application_id: i64,
    pub error: &'static str,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Published {
    pub published: Vec<i64>,
    /// Entries with an unresolved objection: not published.
    pub held: Vec<Held>,
}

/// The last day of a grade's validity: `years` after the document's date, the day before the
/// anniversary.
fn valid_until(from: NaiveDate, years: i32) -> NaiveDate {
    let anniversary = from
        .with_year(from.year() + years)
        .or_else(|| (from - chrono::Duration::days(1)).with_year(from.year() + years))
        .unwrap_or(from);
    anniversary - chrono::Duration::days(1)
}

/// Publishes a notice's entries after its period (its authority only; anyone else `404`): each
/// entry on notice without an unresolved objection takes `publish` and gets its published
/// grade, in one transaction; entries with one are held (listed). `409 notice_not_ended`
/// before the period ends; `409 unresolved_objections` when every entry is held; `409
/// nothing_to_publish` when no entry is on notice.
pub async fn publish(
    state: &AppState,
    actor: &Actor,
    notice_id: i64,
    input: &PublishInput,
) -> AppResult<Published> {
    let (notice, round) = authority_notice(state, actor, notice_id).await?;
    let scheme = round_scheme(state, &round)?;
    let number = input.document_number.trim();
    crate::services::plain_text("文号", number, 100)?;
    if number.is_empty() {
        return Err(AppError::invalid(
            "请填写发文文号 / document number required",
        ));
    }
    let document_date =
        NaiveDate::parse_from_str(input.document_date.trim(), "%Y-%m-%d").map_err(|_| {
            AppError::invalid("发文日期应为 YYYY-MM-DD 格式 / document_date must be YYYY-MM-DD")
        })?;
    let today = state.today();
    let closes_on = date(&notice.closes_on)?;
    if document_date > today {
        return Err(AppError::invalid(
            "发文日期不能晚于今天 / the document date cannot be after today",
        ));
    }
    let mut candidates = Vec::new();
    for entry in store::notice_entries(&state.db, notice_id).await? {
        if entry.status != "on_notice" {
            continue;
        }
        let application = store::application(&state.db, &actor.scope(), entry.application_id)
            .await?
            .ok_or_else(AppError::not_found)?;
        let route = review::route_of(state, &application).await?;
        let organization = store::organization(&state.db, application.organization_id)
            .await?
            .ok_or_else(|| AppError::internal("organisation vanished"))?;
        candidates.push((entry, route, organization));
    }
    if candidates.is_empty() {
        return Err(AppError::conflict(
            "nothing_to_publish",
            "该公示没有待发布的条目 / no entry of this notice is waiting for publication",
        ));
    }
    if today > closes_on && document_date <= closes_on {
        return Err(AppError::invalid(format!(
            "发文日期应在公示期结束（{closes_on}）之后 / the document date must be after the period ended on {closes_on}"
        )));
    }
    // The scheme's term (003 三、2 「每次定级有效期3年」); 002 sets none for a recognition (its
    // 第十二条 「有效期5年」 is the measure's own), 001 none for a selection.
    let valid_until = scheme
        .round
        .validity_years
        .and_then(|years| i32::try_from(years).ok())
        .map(|years| valid_until(document_date, years).to_string());

    let mut tx = state.db.begin().await?;
    let now = state.now();
    let mut published = Vec::new();
    let mut held = Vec::new();
    for (entry, route, organization) in &candidates {
        let Some(application) = store::lock_application(&mut tx, entry.application_id).await?
        else {
            continue;
        };
        let comment = format!("发文：{number}（{document_date}）");
        match review::transition_in(
            &mut tx,
            actor,
            &application,
            route,
            Action::Publish,
            &comment,
            today,
            now,
        )
        .await
        {
            Ok(_) => {}
            Err(error) if error.code == "unresolved_objections" => {
                held.push(Held {
                    application_id: application.id,
                    error: error.code,
                    message: error.message,
                });
                continue;
            }
            Err(error) => return Err(error),
        }
        let chosen = outcome(scheme.method, &entry.result)?;
        let grant = store::insert_published_grade(
            &mut tx,
            &store::NewGrade {
                application_id: application.id,
                organization_id: organization.id,
                round_id: round.id,
                notice_id,
                organization: &entry.organization,
                credit_code: &organization.credit_code,
                provider_type: &entry.provider_type,
                result: chosen.label,
                stars: chosen.stars,
                valid_from: &document_date.to_string(),
                valid_until: valid_until.as_deref(),
                document_number: number,
                document_date: &document_date.to_string(),
                published_by: actor.user.id,
            },
            now,
        )
        .await?;
        crate::services::pool::grant_in(
            &mut tx,
            &crate::services::pool::Granted {
                organization,
                scheme_id: &application.scheme_id,
                provider_type: application.provider_type.as_deref(),
                type_label: &entry.provider_type,
                result: chosen.label,
                stars: chosen.stars,
                valid_from: &document_date.to_string(),
                valid_until: valid_until.as_deref(),
                grant_id: grant,
                round_id: round.id,
                document_number: number,
                actor_id: actor.user.id,
            },
            now,
        )
        .await?;
        store::set_entry_status(&mut tx, entry.id, "published").await?;
        published.push(application.id);
    }
    if published.is_empty() {
        return Err(AppError::conflict(
            "unresolved_objections",
            "每个待发布的条目都有尚未处理的异议 / every entry waiting for publication has an unresolved objection",
        ));
    }
    store::audit(
        &mut tx,
        Some(actor.user.id),
        "notice_published",
        &format!("notice:{notice_id}"),
        &format!(
            "{number} {document_date} published {published:?} held {:?}",
            held.iter().map(|h| h.application_id).collect::<Vec<_>>()
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    notifications::spawn_delivery(state);
    Ok(Published { published, held })
}

// --- the published list --------------------------------------------------------------------

/// A published grade as the public sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublishedEntry {
    pub organization: String,
    pub credit_code: String,
    pub provider_type: String,
    /// 三星 … / 认定 / 入选.
    pub result: String,
    pub stars: Option<i64>,
    pub valid_from: String,
    /// The last day of validity, where the scheme sets a term.
    pub valid_until: Option<String>,
    pub round_id: i64,
    pub round_name: String,
    pub document_number: String,
    pub document_date: String,
}

/// The published grades, newest document first, optionally of one round; one page and the
/// total.
pub async fn published(
    state: &AppState,
    round_id: Option<i64>,
    page: Page,
) -> AppResult<(Vec<PublishedEntry>, i64)> {
    let (rows, total) = store::published_grades(&state.db, round_id, page).await?;
    let mut names = std::collections::BTreeMap::new();
    let mut entries = Vec::with_capacity(rows.len());
    for row in rows {
        if let std::collections::btree_map::Entry::Vacant(slot) = names.entry(row.round_id) {
            slot.insert(rounds::load(state, row.round_id).await?.name);
        }
        entries.push(PublishedEntry {
            round_name: names[&row.round_id].clone(),
            organization: row.organization,
            credit_code: row.credit_code,
            provider_type: row.provider_type,
            result: row.result,
            stars: row.stars,
            valid_from: row.valid_from,
            valid_until: row.valid_until,
            round_id: row.round_id,
            document_number: row.document_number,
            document_date: row.document_date,
        });
    }
    Ok((entries, total))
}

/// The published list as CSV (UTF-8 with a byte-order mark, for spreadsheet programs).
pub fn published_csv(entries: &[PublishedEntry]) -> String {
    fn cell(text: &str) -> String {
        // A leading =, +, - or @ would be a formula in a spreadsheet.
        let text = if text.starts_with(['=', '+', '-', '@']) {
            format!("'{text}")
        } else {
            text.to_owned()
        };
        if text.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", text.replace('"', "\"\""))
        } else {
            text
        }
    }
    let mut out = String::from(
        "\u{feff}序号,单位名称,统一社会信用代码,申报类型,评定结果,有效期起,有效期至,批次,发文文号,发文日期\r\n",
    );
    for (index, e) in entries.iter().enumerate() {
        let row = [
            (index + 1).to_string(),
            e.organization.clone(),
            e.credit_code.clone(),
            e.provider_type.clone(),
            e.result.clone(),
            e.valid_from.clone(),
            e.valid_until.clone().unwrap_or_default(),
            e.round_name.clone(),
            e.document_number.clone(),
            e.document_date.clone(),
        ];
        out.push_str(&row.iter().map(|c| cell(c)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

/// An application's published grade (for the application page), if it has one.
pub async fn grade_of(
    state: &AppState,
    application_id: i64,
) -> AppResult<Option<store::PublishedGrade>> {
    Ok(store::published_grade_of(&state.db, application_id).await?)
}
