//! Applications and their versions: create, read with the live assessment, autosave drafts,
//! submit (freeze) — with ownership and state checked on every call.

use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::services::actor::{Actor, Role};
use crate::services::assessment::{self as assess, Assessment};
use crate::services::rounds;
use crate::services::standing;
use crate::storage::{self as store, Scope};
use pingjia_core::engine::Round;
use pingjia_core::scheme::OrgKind;
use pingjia_core::workflow::{self, Action, Facts, State};
use serde::Serialize;
use serde_json::{Value as Json, json};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// The largest declaration body, in bytes of JSON.
pub const MAX_DECLARATION_BYTES: usize = 1_000_000;

#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationDetail {
    #[schema(value_type = Object)]
    pub application: store::Application,
    #[schema(value_type = Object)]
    pub organization: store::Organization,
    /// The latest version (the draft, if one is open).
    #[schema(value_type = Object)]
    pub version: store::Version,
    /// Every version: number, submitted_at.
    #[schema(value_type = Vec<Object>)]
    pub versions: Vec<VersionSummary>,
    pub evidence: Vec<EvidenceItem>,
    pub assessment: Assessment,
    /// Whether the caller may edit the draft.
    pub editable: bool,
    /// The published grade (发文公布), once published: result, validity, document.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub published: Option<store::PublishedGrade>,
}

#[derive(Debug, Serialize)]
pub struct VersionSummary {
    pub number: i64,
    pub submitted_at: Option<i64>,
    pub grade: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EvidenceItem {
    pub id: i64,
    pub filename: String,
    pub criterion_id: Option<String>,
    pub sha256: String,
    pub size: i64,
    pub media_type: String,
    pub uploaded_at: i64,
    /// Other organisations have attached the same file: a fraud indicator, given to
    /// reviewers only (absent for applicants).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shared_with_other_organizations: Option<bool>,
}

/// Starts an application in a round whose window is open today: `round_id`, or else the one
/// round of the scheme open to the organisation's region.
pub async fn create(
    state: &AppState,
    actor: &Actor,
    scheme_id: &str,
    provider_type: Option<&str>,
    round_id: Option<i64>,
) -> AppResult<i64> {
    actor.require(&[Role::Applicant])?;
    let organization_id = actor
        .user
        .organization_id
        .ok_or_else(|| AppError::forbidden("账号未关联单位 / no organisation"))?;
    let (scheme, type_index) = assess::target(&state.catalog, scheme_id, provider_type)
        .ok_or_else(|| {
            AppError::new(
                404,
                "unknown_scheme",
                "未知的方案或服务商类型 / unknown scheme or provider type",
            )
        })?;
    let organization = store::organization(&state.db, organization_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let round = round_to_apply_to(state, scheme, &organization, round_id).await?;
    // 003 三、1–2, 002 第十一条: a bar in force, or an active member outside its renewal window
    // and before the same batch of the next year, is refused here.
    standing::admit(
        state,
        &organization,
        scheme,
        type_index.map(|t| scheme.provider_types[t].id.as_str()),
        &round,
    )
    .await?;
    let route = rounds::route(scheme, Some(&round), &organization.region_path)?;
    let offices = format!(
        "/{}/",
        route
            .levels
            .iter()
            .chain([&route.authority])
            .map(|office| office.as_str())
            .collect::<Vec<_>>()
            .join("/")
    );
    let body =
        json!({ "organization": { "kind": organization.kind }, "values": {}, "confirmed": {} });
    let assessment = assess::assess_on(
        scheme,
        type_index,
        &body,
        &rounds::engine_round(scheme, &round)?,
        Some(state.today()),
    );
    let now = state.now();
    let provider_type = type_index.map(|t| scheme.provider_types[t].id.as_str());
    let mut tx = state.db.begin().await?;
    if let Some(open) = store::open_application_of(
        &mut tx,
        organization.id,
        &scheme.id,
        provider_type,
        Some(round.id),
    )
    .await?
    {
        return Err(already_open(open));
    }
    let (id, version_id) = store::insert_application(
        &mut tx,
        &organization,
        store::Target {
            scheme_id: &scheme.id,
            provider_type,
            round_id: round.id,
            offices: &offices,
        },
        &body.to_string(),
        actor.user.id,
        now,
    )
    .await
    .map_err(|error| match error {
        // The same application created at the same moment by another request.
        sqlx::Error::Database(e) if e.is_unique_violation() => already_open(0),
        other => other.into(),
    })?;
    store::save_draft(
        &mut tx,
        version_id,
        &body.to_string(),
        &grade_of(&assessment),
        now,
    )
    .await?;
    store::audit(
        &mut tx,
        Some(actor.user.id),
        "application_created",
        &format!("application:{id}"),
        &format!(
            "{}/{} · round {}",
            scheme.id,
            provider_type.unwrap_or(""),
            round.id
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// The round a new application joins: the one asked for, if it is published, of this scheme,
/// open today and run by an authority whose region holds the organisation; or else the one
/// such round. A round the organisation may not apply to answers like a missing one.
async fn round_to_apply_to(
    state: &AppState,
    scheme: &pingjia_core::Scheme,
    organization: &store::Organization,
    round_id: Option<i64>,
) -> AppResult<store::Round> {
    let today = state.today();
    if let Some(id) = round_id {
        let round = store::round(&state.db, id)
            .await?
            .filter(|r| {
                r.published_at.is_some()
                    && r.scheme_id == scheme.id
                    && organization.region_path.starts_with(&r.region_path)
            })
            .ok_or_else(|| {
                AppError::new(
                    404,
                    "unknown_round",
                    "未找到可申报的批次 / no such round open to this organisation",
                )
            })?;
        return match rounds::window(&round, today)? {
            rounds::Window::Open { .. } => Ok(round),
            window => Err(window_refusal(&round, window)),
        };
    }
    let mut open = rounds::open_rounds_for(state, &scheme.id, &organization.region_path).await?;
    match open.len() {
        1 => Ok(open.remove(0)),
        0 => Err(AppError::conflict(
            "no_open_round",
            format!(
                "「{}」当前没有面向本单位所在地区开放申报的批次，请留意申报通知 / no round of this scheme is open to your region",
                scheme.title
            ),
        )),
        _ => Err(AppError::invalid(
            "该方案有多个批次正在申报，请选择批次 / several rounds are open: choose one",
        )),
    }
}

/// Why a round takes no application today, with its dates.
fn window_refusal(round: &store::Round, window: rounds::Window) -> AppError {
    let message = match window {
        rounds::Window::NotYet { opens } => format!(
            "「{}」{opens} 开始申报 / the round opens on {opens}",
            round.name
        ),
        rounds::Window::Closed { closed } => format!(
            "「{}」已于 {closed} 截止申报 / the round closed on {closed}",
            round.name
        ),
        _ => format!("「{}」未开放申报 / the round is not open", round.name),
    };
    AppError::conflict("window_closed", message)
}

/// At most one open application per organisation, scheme, provider type and round.
fn already_open(id: i64) -> AppError {
    let which = if id > 0 {
        format!("（申报 #{id}）")
    } else {
        String::new()
    };
    AppError::conflict(
        "already_open",
        format!(
            "本单位已有同一方案、同一类型的申报在办{which}，请继续该申报 / an open application for this scheme and type exists"
        ),
    )
}

pub fn grade_of(assessment: &Assessment) -> store::Grade<'_> {
    store::Grade {
        stars: assessment.report.stars.map(i64::from),
        score: assessment.report.score.map(|s| s.to_string()),
        grade: &assessment.report.grade,
    }
}

/// The one rule of who sees which version: the owner's applicants see every version, the open
/// draft included; everyone else sees submitted versions only.
pub fn version_visible(scope: &Scope, version: &store::Version) -> bool {
    matches!(scope, Scope::Organization(_)) || version.submitted_at.is_some()
}

/// The one rule of when an applicant may change an application ([`workflow::editable`]:
/// while it is a draft or has been returned for correction, never while anyone reviews it).
pub fn editable_state(state: State) -> bool {
    workflow::editable(state)
}

/// The refusal of a change while the application is not [`editable_state`].
pub fn not_editable() -> AppError {
    AppError::conflict(
        "not_editable",
        "申报已提交，审核期间不能修改；退回修改后可再编辑 / the application is under review and cannot be changed",
    )
}

/// Takes `action` on an application in `state` through the workflow's one transition rule;
/// a refusal becomes the error the caller answers with, its reason in Chinese and English.
fn transition(
    state: State,
    action: Action,
    actor: &Actor,
    facts: &Facts,
    today: chrono::NaiveDate,
) -> AppResult<workflow::Transition> {
    let role: workflow::Role = actor.role.as_str().parse().map_err(AppError::internal)?;
    workflow::next(state, action, role, facts, today).map_err(|refusal| {
        let message = format!("{} / {}", refusal.zh, refusal.en);
        if refusal.is_forbidden() {
            AppError::forbidden(message)
        } else {
            AppError::conflict(refusal.code, message)
        }
    })
}

/// An application with the latest version the actor may see.
pub async fn detail(state: &AppState, actor: &Actor, id: i64) -> AppResult<ApplicationDetail> {
    detail_at(state, actor, id, None).await
}

/// An application with one version (`number`, or the latest the actor may see), its evidence
/// and its assessment.
pub async fn detail_at(
    state: &AppState,
    actor: &Actor,
    id: i64,
    number: Option<i64>,
) -> AppResult<ApplicationDetail> {
    let scope = actor.scope();
    let application = store::application(&state.db, &scope, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let organization = store::organization(&state.db, application.organization_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let visible: Vec<store::Version> = store::versions(&state.db, id)
        .await?
        .into_iter()
        .filter(|v| version_visible(&scope, v))
        .collect();
    let version = match number {
        Some(number) => visible.iter().find(|v| v.number == number),
        None => visible.last(),
    }
    .cloned()
    .ok_or_else(AppError::not_found)?;
    let organization = as_submitted(organization, &version);
    let confirmed = confirmed_map(&store::confirmed_values(&state.db, id, version.number).await?);
    let body: Json = serde_json::from_str(&version.body).map_err(AppError::internal)?;
    let sheets = expert_sheets(state, actor, &application).await?;
    let body = with_expert_scores(with_confirmed(&body, &confirmed), sheets);
    let assessment = assess_body(state, &application, &body).await?;
    let evidence = evidence_items(
        state,
        actor,
        &store::evidence_of_version(&state.db, version.id).await?,
        organization.id,
    )
    .await?;
    let is_owner = matches!(scope, Scope::Organization(_));
    let published = store::published_grade_of(&state.db, id).await?;
    Ok(ApplicationDetail {
        published,
        editable: is_owner && actor.role == Role::Applicant && editable_state(application.state),
        versions: visible
            .iter()
            .map(|v| VersionSummary {
                number: v.number,
                submitted_at: v.submitted_at,
                grade: v.grade.clone(),
            })
            .collect(),
        application,
        organization,
        version,
        evidence,
        assessment,
    })
}

/// Evidence rows as the actor may see them. Whether another organisation attached the same
/// file is a fraud indicator for reviewers; an applicant is never told (it would reveal what
/// other organisations hold).
pub async fn evidence_items(
    state: &AppState,
    actor: &Actor,
    rows: &[store::Evidence],
    organization_id: i64,
) -> AppResult<Vec<EvidenceItem>> {
    let reviewer = matches!(actor.scope(), Scope::Region(..));
    let shared_contents = if reviewer {
        store::contents_shared_with_others(
            &state.db,
            rows.iter().map(|row| row.sha256.as_str()),
            organization_id,
        )
        .await?
    } else {
        Default::default()
    };
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        let shared = reviewer.then(|| shared_contents.contains(&row.sha256));
        items.push(EvidenceItem {
            id: row.id,
            filename: row.filename.clone(),
            criterion_id: row.criterion_id.clone(),
            sha256: row.sha256.clone(),
            size: row.size,
            media_type: row.media_type.clone(),
            uploaded_at: row.uploaded_at,
            shared_with_other_organizations: shared,
        });
    }
    Ok(items)
}

/// The scheme and provider type an application is declared under.
pub fn scheme_of<'s>(
    state: &'s AppState,
    application: &store::Application,
) -> AppResult<(&'s pingjia_core::Scheme, Option<usize>)> {
    assess::target(
        &state.catalog,
        &application.scheme_id,
        application.provider_type.as_deref(),
    )
    .ok_or_else(|| {
        AppError::internal(format!(
            "application {} names unknown scheme {}",
            application.id, application.scheme_id
        ))
    })
}

/// The round an application belongs to (`None` for one created before rounds existed).
pub async fn round_of(
    state: &AppState,
    application: &store::Application,
) -> AppResult<Option<store::Round>> {
    match application.round_id {
        Some(id) => Ok(Some(rounds::load(state, id).await?)),
        None => Ok(None),
    }
}

/// The grading round of an application: its round's cut-off, reference year and parameters
/// (the scheme's defaults for an application without a round).
pub async fn grading_round(
    state: &AppState,
    scheme: &pingjia_core::Scheme,
    application: &store::Application,
) -> AppResult<Round> {
    match round_of(state, application).await? {
        Some(round) => rounds::engine_round(scheme, &round),
        None => Ok(Round::from_scheme(scheme)),
    }
}

/// Assesses a declaration body as this application's: its scheme, provider type and round.
pub async fn assess_body(
    state: &AppState,
    application: &store::Application,
    body: &Json,
) -> AppResult<Assessment> {
    Ok(Grading::of(state, application)
        .await?
        .assess(body, state.today()))
}

/// What grading an application's declaration needs: its scheme, provider type and round. A
/// command reads it before its transaction begins: a command never asks the pool for a
/// second connection while it holds one (on PostgreSQL, parallel commands waiting on one
/// application's lock would hold every connection, and the one holding the lock would wait).
#[derive(Debug)]
pub struct Grading<'s> {
    pub scheme: &'s pingjia_core::Scheme,
    pub provider_type: Option<usize>,
    /// The application's round, if it has one.
    pub record: Option<store::Round>,
    pub round: Round,
    /// Values the system's records decide (`standing::record_facts`: the bar field), applied
    /// over the declared and confirmed ones.
    pub records: Vec<(String, Json)>,
}

impl<'s> Grading<'s> {
    pub async fn of(
        state: &'s AppState,
        application: &store::Application,
    ) -> AppResult<Grading<'s>> {
        let (scheme, provider_type) = scheme_of(state, application)?;
        let record = round_of(state, application).await?;
        let round = match &record {
            Some(round) => rounds::engine_round(scheme, round)?,
            None => Round::from_scheme(scheme),
        };
        let records = standing::record_facts(state, application.organization_id, scheme).await?;
        Ok(Grading {
            scheme,
            provider_type,
            record,
            round,
            records,
        })
    }

    pub fn assess(&self, body: &Json, today: chrono::NaiveDate) -> Assessment {
        // A blank draft stays 「尚未填写」: the records fill nothing the applicant has to.
        let empty = |key: &str| {
            body.get(key)
                .and_then(Json::as_object)
                .is_none_or(serde_json::Map::is_empty)
        };
        if !self.records.is_empty() && empty("values") && empty("confirmed") {
            let plain = assess::assess_on(
                self.scheme,
                self.provider_type,
                body,
                &self.round,
                Some(today),
            );
            if plain.unfilled.is_some() {
                return plain;
            }
        }
        let body = with_records(body, &self.records);
        assess::assess_on(
            self.scheme,
            self.provider_type,
            &body,
            &self.round,
            Some(today),
        )
    }

    /// The body's text assessed (a stored version's).
    pub fn assess_text(&self, body: &str, today: chrono::NaiveDate) -> AppResult<Assessment> {
        let body: Json = serde_json::from_str(body).map_err(AppError::internal)?;
        Ok(self.assess(&body, today))
    }
}

/// The application an applicant may act on, read before the command's transaction, with its
/// grading: role first, then visibility (a hidden one is missing).
async fn prepare<'s>(
    state: &'s AppState,
    actor: &Actor,
    id: i64,
) -> AppResult<(store::Application, Grading<'s>)> {
    actor.require(&[Role::Applicant])?;
    let application = store::application(&state.db, &actor.scope(), id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let grading = Grading::of(state, &application).await?;
    Ok((application, grading))
}

/// The open draft of an application the actor owns, opening a new one (audited, in the
/// caller's transaction) after a submission; refused unless the application is editable.
pub async fn open_draft(
    tx: &mut store::Tx,
    actor: &Actor,
    application: &store::Application,
    now: i64,
) -> AppResult<store::Version> {
    if !editable_state(application.state) {
        return Err(not_editable());
    }
    let latest = store::latest_version_in(tx, application.id).await?;
    if latest.submitted_at.is_none() {
        return Ok(latest);
    }
    let draft = store::new_draft_version(tx, &latest, actor.user.id, now).await?;
    store::audit(
        tx,
        Some(actor.user.id),
        "draft_opened",
        &format!("application:{}", application.id),
        &format!("version {}", draft.number),
        now,
    )
    .await?;
    Ok(draft)
}

/// Begins a command on an application the applicant owns: checks role and visibility, then
/// takes the application's lock in a new transaction and reads it again (its state may have
/// changed since).
pub async fn begin_on_own(
    state: &AppState,
    actor: &Actor,
    id: i64,
) -> AppResult<(store::Tx, store::Application)> {
    actor.require(&[Role::Applicant])?;
    store::application(&state.db, &actor.scope(), id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let mut tx = state.db.begin().await?;
    let application = store::lock_application(&mut tx, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    Ok((tx, application))
}

/// Autosave: keeps the body as typed, returns the assessment and field errors.
pub async fn save_draft(
    state: &AppState,
    actor: &Actor,
    id: i64,
    body: Json,
) -> AppResult<(i64, Assessment)> {
    if !body.is_object() {
        return Err(AppError::invalid(
            "申报内容应为 JSON 对象 / the body must be an object",
        ));
    }
    let text = body.to_string();
    if text.len() > MAX_DECLARATION_BYTES {
        return Err(AppError::invalid("申报内容过大 / declaration too large"));
    }
    if holds_nul(&body) {
        return Err(AppError::invalid(
            "申报内容不能包含空字符 / the declaration may not contain NUL characters",
        ));
    }
    let (_, grading) = prepare(state, actor, id).await?;
    let assessment = grading.assess(&body, state.today());
    let (mut tx, application) = begin_on_own(state, actor, id).await?;
    let now = state.now();
    let draft = open_draft(&mut tx, actor, &application, now).await?;
    if !store::save_draft(&mut tx, draft.id, &text, &grade_of(&assessment), now).await? {
        return Err(AppError::conflict(
            "version_frozen",
            "该版本已提交，不能修改 / this version was submitted",
        ));
    }
    tx.commit().await?;
    Ok((draft.number, assessment))
}

pub async fn submit(state: &AppState, actor: &Actor, id: i64) -> AppResult<()> {
    let (visible, grading) = prepare(state, actor, id).await?;
    let organization = store::organization(&state.db, visible.organization_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    // 003 三、1, 002 第十一条: a bar found since the application was made stops its submission.
    let barred = standing::bar_in_force(state, visible.organization_id, grading.scheme).await?;
    let (mut tx, application) = begin_on_own(state, actor, id).await?;
    let latest = store::latest_version_in(&mut tx, id).await?;
    let action = if application.state == State::Returned {
        Action::Resubmit
    } else {
        Action::Submit
    };
    let round = grading.record.clone();
    let window = match &round {
        Some(round) => rounds::window(round, state.today())?,
        None => rounds::Window::Unpublished,
    };
    let facts = Facts {
        window_open: window.is_open(),
        owner: true,
        barred: barred.is_some(),
        ..Facts::default()
    };
    let moved = match transition(application.state, action, actor, &facts, state.today()) {
        Ok(moved) => moved,
        Err(error) if error.code == workflow::code::BARRED => {
            return Err(standing::barred_error(barred.unwrap_or_default()));
        }
        Err(error) if error.code == workflow::code::WINDOW_CLOSED => {
            return Err(match &round {
                Some(round) => window_refusal(round, window),
                None => AppError::conflict(
                    "window_closed",
                    "该申报不属于任何批次，不能提交 / the application belongs to no round",
                ),
            });
        }
        Err(error) => return Err(not_submittable(error.message)),
    };
    if latest.submitted_at.is_some() {
        return Err(not_submittable("该版本已提交 / already submitted".into()));
    }
    let assessment = grading.assess_text(&latest.body, state.today())?;
    if !assessment.field_errors.is_empty() {
        return Err(AppError::invalid(format!(
            "有 {} 个字段填写有误，请修改后提交 / fix the fields in error first",
            assessment.field_errors.len()
        )));
    }
    let now = state.now();
    if !store::submit(
        &mut tx,
        id,
        latest.id,
        moved.to.as_str(),
        &snapshot(&organization),
        now,
    )
    .await?
    {
        return Err(AppError::conflict(
            "not_submittable",
            "该版本已提交 / already submitted",
        ));
    }
    store::insert_review_event(
        &mut tx,
        &store::NewReviewEvent {
            application_id: id,
            version_number: latest.number,
            action: action.as_str(),
            from_state: application.state.as_str(),
            to_state: moved.to.as_str(),
            actor_id: actor.user.id,
            actor_role: actor.role.as_str(),
            comment: "",
            criterion_comments: "{}",
            respond_by: None,
        },
        now,
    )
    .await?;
    store::audit(
        &mut tx,
        Some(actor.user.id),
        "submitted",
        &format!("application:{id}"),
        &format!("version {} · {}", latest.number, assessment.report.grade),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

fn not_submittable(message: String) -> AppError {
    AppError::conflict("not_submittable", message)
}

/// The organisation's facts a submitted version keeps: what reviewers see of that version,
/// whatever the organisation is renamed to later.
fn snapshot(organization: &store::Organization) -> String {
    json!({
        "name": organization.name,
        "credit_code": organization.credit_code,
        "kind": organization.kind,
        "region_id": organization.region_id,
        "region_path": organization.region_path,
    })
    .to_string()
}

/// The organisation as a version shows it: as frozen at its submission, if it was submitted.
fn as_submitted(
    mut organization: store::Organization,
    version: &store::Version,
) -> store::Organization {
    let Some(frozen) = version
        .organization
        .as_deref()
        .and_then(|text| serde_json::from_str::<Json>(text).ok())
    else {
        return organization;
    };
    let text = |key: &str| frozen.get(key).and_then(Json::as_str).map(str::to_owned);
    if let Some(name) = text("name") {
        organization.name = name;
    }
    if let Some(code) = text("credit_code") {
        organization.credit_code = code;
    }
    if let Some(kind) = text("kind").and_then(|kind| OrgKind::parse(&kind)) {
        organization.kind = kind;
    }
    if let Some(path) = text("region_path") {
        organization.region_path = path;
    }
    if let Some(region) = frozen.get("region_id").and_then(Json::as_i64) {
        organization.region_id = region;
    }
    organization
}

/// The values in force: for each field, the confirmation of the highest level, the latest of
/// that level (rows come oldest first).
pub fn confirmed_map(rows: &[store::ConfirmedValue]) -> BTreeMap<String, Json> {
    let mut best: BTreeMap<String, (i64, &store::ConfirmedValue)> = BTreeMap::new();
    for row in rows {
        match best.get(&row.field_id) {
            Some((level, _)) if *level > row.level => {}
            _ => {
                best.insert(row.field_id.clone(), (row.level, row));
            }
        }
    }
    best.into_iter()
        .filter_map(|(field, (_, row))| serde_json::from_str(&row.value).ok().map(|v| (field, v)))
        .collect()
}

/// A declaration body with the confirmed values in force beside the declared ones.
pub fn with_confirmed(body: &Json, confirmed: &BTreeMap<String, Json>) -> Json {
    let mut body = body.clone();
    if confirmed.is_empty() {
        return body;
    }
    if let Some(object) = body.as_object_mut() {
        let map: serde_json::Map<String, Json> = confirmed
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        object.insert("confirmed".into(), Json::Object(map));
    }
    body
}

/// The body with the values the system's records decide set as confirmed values (over the
/// declared value and any reviewer's confirmation: DESIGN.md §3).
pub fn with_records(body: &Json, records: &[(String, Json)]) -> Json {
    let mut body = body.clone();
    if records.is_empty() {
        return body;
    }
    if let Some(object) = body.as_object_mut() {
        let confirmed = object
            .entry("confirmed")
            .or_insert_with(|| Json::Object(serde_json::Map::new()));
        if !confirmed.is_object() {
            *confirmed = Json::Object(serde_json::Map::new());
        }
        if let Some(map) = confirmed.as_object_mut() {
            for (field, value) in records {
                map.insert(field.clone(), value.clone());
            }
        }
    }
    body
}

/// Whether any key or text of a JSON value holds a NUL character (which PostgreSQL cannot
/// store, and no person types).
fn holds_nul(value: &Json) -> bool {
    match value {
        Json::String(text) => text.contains('\0'),
        Json::Array(items) => items.iter().any(holds_nul),
        Json::Object(map) => map
            .iter()
            .any(|(key, value)| key.contains('\0') || holds_nul(value)),
        _ => false,
    }
}

/// One page of the applications the actor may see, narrowed by `filter`, and their number.
pub async fn list(
    state: &AppState,
    actor: &Actor,
    filter: &ListFilter,
    page: store::Page,
) -> AppResult<(Vec<store::ApplicationSummary>, i64)> {
    let filter = filter.resolve(state).await?;
    Ok(store::applications(&state.db, &actor.scope(), &filter, page).await?)
}

/// One version of a declaration: reviewers see submitted versions only, never an applicant's
/// open draft.
pub async fn version(
    state: &AppState,
    actor: &Actor,
    id: i64,
    number: i64,
) -> AppResult<store::Version> {
    let scope = actor.scope();
    let application = store::application(&state.db, &scope, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    store::versions(&state.db, application.id)
        .await?
        .into_iter()
        .find(|v| v.number == number && version_visible(&scope, v))
        .ok_or_else(AppError::not_found)
}

/// Every state of an application's life with its Chinese label, from the workflow's one
/// table (`pingjia_core::workflow::State`).
pub static STATES: std::sync::LazyLock<Vec<(&'static str, &'static str)>> =
    std::sync::LazyLock::new(|| {
        State::ALL
            .iter()
            .map(|state| (state.as_str(), state.label_zh()))
            .collect()
    });

/// The longest organisation-name fragment a list may be searched by.
const MAX_NAME_QUERY: usize = 100;

/// A list's organisation-name search as typed: `None` when empty, refused when too long.
pub fn name_search(q: Option<&str>) -> AppResult<Option<&str>> {
    let q = q.map(str::trim).filter(|q| !q.is_empty());
    if q.is_some_and(|q| q.chars().count() > MAX_NAME_QUERY) {
        return Err(AppError::invalid(format!(
            "单位名称检索词不能超过 {MAX_NAME_QUERY} 个字 / name query too long"
        )));
    }
    Ok(q)
}

/// How a list of applications may be narrowed, as typed in the list page's form or in the
/// API's query string. Empty values mean "any" (an HTML form sends every field).
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, utoipa::IntoParams)]
pub struct ListFilter {
    /// 状态 / state: draft, county_review, city_review, expert_review, public_notice, published,
    /// returned, rejected, revoked, removed, withdrawn, not_graded.
    #[param(
        pattern = r"^(|draft|county_review|city_review|expert_review|public_notice|published|returned|rejected|revoked|removed|withdrawn|not_graded)$"
    )]
    pub state: Option<String>,
    /// 评价方案 / scheme id, e.g. `jiangsu-pool-2021`.
    #[param(pattern = r"^[a-z0-9_.-]*$", max_length = 100)]
    pub scheme: Option<String>,
    /// 服务商类型 / provider type id within `scheme`, e.g. `network`.
    #[param(pattern = r"^[a-z0-9_.-]*$", max_length = 100)]
    pub provider_type: Option<String>,
    /// 行政区划代码 / region code, e.g. `3205`: only organisations inside that region (and
    /// still only what the caller may see).
    #[param(pattern = r"^[0-9]*$", max_length = 12)]
    pub region: Option<String>,
    /// 单位名称包含 / part of the organisation's name (no control characters, at most 100).
    #[param(pattern = r"^[^\x00-\x1f\x7f-\x9f]*$", max_length = 100)]
    pub q: Option<String>,
    /// 排序 / order: `updated` (most recently changed first, the default) or `oldest` (those
    /// waiting longest first).
    #[param(pattern = r"^(|updated|oldest)$")]
    pub sort: Option<String>,
}

fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

impl ListFilter {
    /// Checks the filter against the catalogue and the regions table; an unknown value is an
    /// error that names the field, never an empty list that looks like "nothing there".
    pub async fn resolve(&self, state: &AppState) -> AppResult<store::ApplicationFilter> {
        for (label, value) in [
            ("状态", &self.state),
            ("评价方案", &self.scheme),
            ("服务商类型", &self.provider_type),
            ("行政区划代码", &self.region),
            ("单位名称", &self.q),
        ] {
            crate::services::plain_text(label, value.as_deref().unwrap_or_default(), 200)?;
        }
        let status = given(&self.state)
            .map(|s| {
                STATES
                    .iter()
                    .find(|(id, _)| *id == s)
                    .map(|(id, _)| (*id).to_owned())
                    .ok_or_else(|| AppError::invalid(format!("未知的状态「{s}」 / unknown state")))
            })
            .transpose()?;
        let scheme = given(&self.scheme)
            .map(|id| {
                state
                    .catalog
                    .schemes
                    .iter()
                    .find(|s| s.id == id)
                    .ok_or_else(|| {
                        AppError::invalid(format!("未知的评价方案「{id}」 / unknown scheme"))
                    })
            })
            .transpose()?;
        let provider_type = match (given(&self.provider_type), scheme) {
            (None, _) => None,
            (Some(_), None) => {
                return Err(AppError::invalid(
                    "按服务商类型筛选时须同时指定评价方案 / provider_type needs scheme",
                ));
            }
            (Some(id), Some(scheme)) => match scheme.provider_type(id) {
                Some(index) => Some(scheme.provider_types[index].id.clone()),
                None => {
                    return Err(AppError::invalid(format!(
                        "方案「{}」没有服务商类型「{id}」 / unknown provider type",
                        scheme.title
                    )));
                }
            },
        };
        let region_path = match given(&self.region) {
            None => None,
            Some(code) => Some(
                store::region_by_code(&state.db, code)
                    .await?
                    .ok_or_else(|| {
                        AppError::invalid(format!("未知的行政区划代码「{code}」 / unknown region"))
                    })?
                    .path,
            ),
        };
        let organization_name = name_search(self.q.as_deref())?.map(str::to_owned);
        let oldest_first = match given(&self.sort) {
            None | Some("updated") => false,
            Some("oldest") => true,
            Some(other) => {
                return Err(AppError::invalid(format!(
                    "未知的排序「{other}」，可用 updated 或 oldest / unknown sort"
                )));
            }
        };
        Ok(store::ApplicationFilter {
            state: status,
            scheme_id: scheme.map(|s| s.id.clone()),
            provider_type,
            region_path,
            organization_name,
            oldest_first,
        })
    }
}

// --- the experts' scores in the grade ----------------------------------------------------

/// The `experts` array of a declaration body from the submitted reviews of an application
/// (「专家1」, 「专家2」 … in the order of assignment: names are not the grade's business). An
/// expert who has not submitted its own review sees none of the others' scores, and the
/// applicant none at all (the authority's decision tells it the result). Whatever the body held
/// under `experts` is replaced: only submitted reviews count, never scores an applicant wrote.
pub async fn expert_sheets(
    state: &AppState,
    actor: &Actor,
    application: &store::Application,
) -> AppResult<Vec<Json>> {
    if actor.role == Role::Applicant {
        return Ok(Vec::new());
    }
    if actor.role == Role::Expert
        && !store::submitted_review_of(&state.db, actor.user.id, application.id).await?
    {
        return Ok(Vec::new());
    }
    submitted_sheets(state, application.id).await
}

async fn submitted_sheets(state: &AppState, application_id: i64) -> AppResult<Vec<Json>> {
    let scores = store::submitted_scores(&state.db, application_id).await?;
    Ok(sheets_of(scores.iter()))
}

/// The `experts` array of an application's submitted scores (in assignment order), for a
/// caller entitled to see them all.
pub fn sheets_of<'s>(scores: impl Iterator<Item = &'s store::Score>) -> Vec<Json> {
    let mut sheets: BTreeMap<i64, serde_json::Map<String, Json>> = BTreeMap::new();
    for score in scores {
        sheets.entry(score.assignment_id).or_default().insert(
            score.criterion_id.clone(),
            Json::String(score.score.clone()),
        );
    }
    sheets
        .into_values()
        .enumerate()
        .map(|(n, scores)| {
            serde_json::json!({ "expert": format!("专家{}", n + 1), "scores": scores })
        })
        .collect()
}

/// A declaration body with the experts' score sheets in place of whatever it held.
pub fn with_expert_scores(body: Json, sheets: Vec<Json>) -> Json {
    let mut body = body;
    if let Some(object) = body.as_object_mut() {
        if sheets.is_empty() {
            object.remove("experts");
        } else {
            object.insert("experts".into(), Json::Array(sheets));
        }
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_is_found_anywhere_and_an_escaped_backslash_is_not_nul() {
        assert!(holds_nul(&json!({ "values": { "a": ["x", "平台\u{0}"] } })));
        assert!(holds_nul(&json!({ "values": { "k\u{0}": 1 } })));
        assert!(!holds_nul(
            &json!({ "values": { "note": "a literal \\u0000 typed as text" } })
        ));
    }
}
