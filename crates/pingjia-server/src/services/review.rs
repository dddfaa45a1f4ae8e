//! The review chain (docs/workflow.md): the reviewing offices' decisions on an application —
//! pass, recommend, return with comments, reject, return to the recommending office — and the
//! applicant's withdrawal; confirmed values (核定值); the timeline an applicant follows; what
//! changed between two versions; the reviewers' queue. Every decision goes through
//! `pingjia_core::workflow::next` with facts computed here from the round's chain and the
//! actor's region, and is one transaction with its event, its audit entry and its notices.

use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::services::actor::{Actor, Role};
use crate::services::applications::{self, scheme_of};
use crate::services::assessment::Assessment;
use crate::services::notifications::{self, Kind};
use crate::services::rounds;
use crate::storage::{self as store, Scope};
use chrono::NaiveDate;
use pingjia_core::workflow::{self, Action, Facts, Office, Route, State};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// The opinion a recommendation carries unless the reviewer writes another.
pub const DEFAULT_OPINION: &str = "情况属实，同意推荐";
/// Days an applicant has to resubmit a returned application unless the reviewer sets a date.
pub const DEFAULT_RESPOND_DAYS: i64 = 15;
/// The longest comment, opinion or note, in characters.
pub const MAX_COMMENT: usize = 2_000;

/// A decision as a reviewer (or the applicant, to withdraw) asks for it.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct Decision {
    /// submit actions are the applicant's own (`/submit`); here: pass, recommend, return,
    /// return_to_recommender, reject, withdraw.
    #[schema(value_type = String, example = "return")]
    pub action: String,
    /// The general comment or reason (required to return or reject).
    #[serde(default)]
    pub comment: String,
    /// Comments attached to criteria: criterion id → comment (return only).
    #[serde(default)]
    pub criterion_comments: BTreeMap<String, String>,
    /// Return: the date by which to resubmit (default: 15 days from today).
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "2026-07-15")]
    pub respond_by: Option<String>,
    /// Recommend: the opinion (default 「情况属实，同意推荐」).
    #[serde(default)]
    pub opinion: Option<String>,
    /// Recommend: the place among the office's recommendations in this round (default: last).
    #[serde(default)]
    pub rank: Option<i64>,
}

/// What an application's decision led to.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Decided {
    pub id: i64,
    #[schema(value_type = String)]
    pub from: State,
    #[schema(value_type = String)]
    pub to: State,
    #[schema(value_type = String)]
    pub action: Action,
}

/// The level of the office that acts on an application in `state`, for the application's
/// route: 1 the first level, 2 the second, 3 the authority.
fn level_of(route: &Route, state: State) -> i64 {
    match state {
        State::CountyReview => 1,
        State::CityReview => 2,
        _ if route.office_for(state).is_some() => 3,
        _ => 0,
    }
}

/// The office level an actor's region is at: its path's depth (`/32/` province, `/32/3205/`
/// city, `/32/3205/320583/` county).
fn actor_office(actor: &Actor) -> Option<Office> {
    let depth = rounds::path_codes(actor.region_path.as_deref()?).len();
    match depth {
        1 => Some(Office::Province),
        2 => Some(Office::City),
        3 => Some(Office::County),
        _ => None,
    }
}

/// The route an application follows: its round's chain (or its scheme's) applied to its
/// organisation's region.
pub async fn route_of(state: &AppState, application: &store::Application) -> AppResult<Route> {
    let (scheme, _) = scheme_of(state, application)?;
    let round = applications::round_of(state, application).await?;
    rounds::route(scheme, round.as_ref(), &application.region_path)
}

/// The facts of `workflow::next` for this actor and application: ownership, whether the
/// actor is the office acting in the application's state (its region holds the application
/// and is at that office's level), and the chain's shape.
pub fn facts_for(actor: &Actor, application: &store::Application, route: &Route) -> Facts {
    let (chain_has_city, first_level_is_authority) = route.shape();
    let owner = actor.role == Role::Applicant
        && actor.user.organization_id == Some(application.organization_id);
    let holds = actor
        .region_path
        .as_deref()
        .is_some_and(|path| application.region_path.starts_with(path));
    let office = route.office_for(application.state);
    let in_region = holds && office.is_some() && actor_office(actor) == office;
    Facts {
        owner,
        in_region,
        chain_has_city,
        first_level_is_authority,
        ..Facts::default()
    }
}

/// The facts of `workflow::next` for a command inside its transaction: [`facts_for`], and the
/// facts the records give that can change while the command waits — the expert review is
/// complete (`storage::review_complete`), the public notice the application is on has ended
/// (its closing date is before `today`), and an objection to its entry is unresolved.
pub async fn facts_in(
    tx: &mut store::Tx,
    actor: &Actor,
    application: &store::Application,
    route: &Route,
    today: NaiveDate,
) -> AppResult<Facts> {
    let mut facts = facts_for(actor, application, route);
    facts.review_complete = store::review_complete(tx, application.id).await?;
    if let Some((entry, closes_on)) = store::current_entry_in(tx, application.id).await? {
        facts.notice_ended =
            NaiveDate::parse_from_str(&closes_on, "%Y-%m-%d").map_err(AppError::internal)? < today;
        facts.unresolved_objections = store::open_objections_in(tx, entry.id).await? > 0;
    }
    Ok(facts)
}

/// The actions that belong to a round's decisions and its public notice
/// (`services::decisions`, `services::notices`): they carry a decision record, a notice entry
/// or an objection's resolution, and are not taken through [`decide`].
pub fn is_notice_action(action: Action, state: State) -> bool {
    matches!(
        action,
        Action::Decide | Action::Decline | Action::Publish | Action::ReopenReview
    ) || (action == Action::Reject && state == State::PublicNotice)
}

/// Moves an application inside the caller's transaction through `workflow::next` with the
/// facts read there ([`facts_in`]), with its event, audit entry and notices: the one way the
/// decisions and the notice move applications.
#[expect(
    clippy::too_many_arguments,
    reason = "each argument is a fact of the transition"
)]
pub async fn transition_in(
    tx: &mut store::Tx,
    actor: &Actor,
    application: &store::Application,
    route: &Route,
    action: Action,
    comment: &str,
    today: NaiveDate,
    now: i64,
) -> AppResult<workflow::Transition> {
    let facts = facts_in(tx, actor, application, route, today).await?;
    let moved = workflow::next(application.state, action, actor.role, &facts, today)
        .map_err(refusal_error)?;
    workflow::check_comment(action, comment).map_err(refusal_error)?;
    let latest = store::latest_submitted_version_in(tx, application.id).await?;
    store::move_application(
        tx,
        &store::Move {
            id: application.id,
            to: moved.to,
            respond_by: None,
            recommend: None,
        },
        now,
    )
    .await?;
    store::insert_review_event(
        tx,
        &store::NewReviewEvent {
            application_id: application.id,
            version_number: latest.map_or(0, |v| v.number),
            action: action.as_str(),
            from_state: application.state.as_str(),
            to_state: moved.to.as_str(),
            actor_id: actor.user.id,
            actor_role: actor.role.as_str(),
            comment,
            criterion_comments: "{}",
            respond_by: None,
        },
        now,
    )
    .await?;
    store::audit(
        tx,
        Some(actor.user.id),
        &format!("review_{}", action.as_str()),
        &format!("application:{}", application.id),
        &format!(
            "{} → {}{}",
            application.state.as_str(),
            moved.to.as_str(),
            if comment.is_empty() {
                String::new()
            } else {
                format!(" · {comment}")
            }
        ),
        now,
    )
    .await?;
    notify(tx, application, route, action, moved.to, comment, None, now).await?;
    Ok(moved)
}

/// The decisions this actor may take on the application now: the buttons to show.
pub async fn actions(
    state: &AppState,
    actor: &Actor,
    application: &store::Application,
) -> AppResult<Vec<Action>> {
    let route = route_of(state, application).await?;
    let facts = facts_for(actor, application, &route);
    Ok(
        workflow::actions_for(application.state, actor.role, &facts, state.today())
            .into_iter()
            .filter(|a| !matches!(a, Action::Submit | Action::Resubmit))
            .filter(|&a| !is_notice_action(a, application.state))
            .collect(),
    )
}

/// Whether the actor may confirm values of an application it sees now, by the rule `confirm`
/// applies: an expert while its own review of it is open under expert review (recorded at the
/// authority's level), a regional office while it may act on it. The page shows the form by
/// this; `confirm` checks again under the application's lock.
pub async fn may_confirm(
    state: &AppState,
    actor: &Actor,
    application: &store::Application,
) -> AppResult<bool> {
    if actor.role == Role::Expert {
        if application.state != State::ExpertReview {
            return Ok(false);
        }
        let mut tx = state.db.begin().await?;
        let open = store::open_review_of(&mut tx, actor.user.id, application.id).await?;
        tx.commit().await?;
        return Ok(open);
    }
    Ok(actor.role.is_regional() && !actions(state, actor, application).await?.is_empty())
}

/// Takes a decision on one application: visible to the actor or 404; then, under the
/// application's lock, the workflow's rule, the comment rule, the decision's own fields; then
/// the state change, the event, the audit entry and the notices, in one transaction.
pub async fn decide(
    state: &AppState,
    actor: &Actor,
    id: i64,
    decision: &Decision,
) -> AppResult<Decided> {
    let action: Action = decision.action.parse().map_err(|_| {
        AppError::invalid(format!(
            "未知的操作「{}」 / unknown action",
            decision.action
        ))
    })?;
    if matches!(action, Action::Submit | Action::Resubmit) {
        return Err(AppError::invalid(
            "提交请使用提交接口 / submit through /submit",
        ));
    }
    let comment = decision.comment.trim();
    crate::services::plain_text("意见", comment, MAX_COMMENT)?;
    let visible = store::application(&state.db, &actor.scope(), id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let (scheme, _) = scheme_of(state, &visible)?;
    // Read before the transaction (see `applications::Grading`): an application's round and
    // region do not change.
    let route = route_of(state, &visible).await?;
    let criterion_comments =
        check_criterion_comments(scheme, action, &decision.criterion_comments)?;
    let today = state.today();
    let respond_by = match action {
        Action::Return => Some(respond_by(decision.respond_by.as_deref(), today)?),
        _ => None,
    };
    let opinion = match action {
        Action::Recommend => {
            let text = decision
                .opinion
                .as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .unwrap_or(DEFAULT_OPINION);
            crate::services::plain_text("推荐意见", text, MAX_COMMENT)?;
            Some(text.to_owned())
        }
        _ => None,
    };
    if let Some(rank) = decision.rank
        && !(1..=10_000).contains(&rank)
    {
        return Err(AppError::invalid(
            "推荐顺序应为 1 到 10000 之间的整数 / rank must be from 1 to 10000",
        ));
    }

    let mut tx = state.db.begin().await?;
    let application = store::lock_application(&mut tx, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let facts = facts_in(&mut tx, actor, &application, &route, today).await?;
    let moved = workflow::next(application.state, action, actor.role, &facts, today)
        .map_err(refusal_error)?;
    workflow::check_comment(action, comment).map_err(refusal_error)?;
    if is_notice_action(action, application.state) {
        return Err(AppError::invalid(
            "拟定结果、不予定级、发布和公示期间的处理请在批次的评定与公示中操作 / decide, decline, publish and the notice's actions go through the round's decisions and notice",
        ));
    }
    let latest = store::latest_submitted_version_in(&mut tx, id).await?;
    let now = state.now();
    let rank = match (action, decision.rank) {
        (Action::Recommend, Some(rank)) => Some(rank),
        (Action::Recommend, None) => Some(store::next_recommend_rank(&mut tx, &application).await?),
        _ => None,
    };
    store::move_application(
        &mut tx,
        &store::Move {
            id,
            to: moved.to,
            respond_by: respond_by.map(|d| d.to_string()),
            recommend: opinion.as_deref().zip(rank),
        },
        now,
    )
    .await?;
    store::insert_review_event(
        &mut tx,
        &store::NewReviewEvent {
            application_id: id,
            version_number: latest.map_or(0, |v| v.number),
            action: action.as_str(),
            from_state: application.state.as_str(),
            to_state: moved.to.as_str(),
            actor_id: actor.user.id,
            actor_role: actor.role.as_str(),
            comment,
            criterion_comments: &serde_json::to_string(&criterion_comments)
                .map_err(AppError::internal)?,
            respond_by: respond_by.map(|d| d.to_string()).as_deref(),
        },
        now,
    )
    .await?;
    store::audit(
        &mut tx,
        Some(actor.user.id),
        &format!("review_{}", action.as_str()),
        &format!("application:{id}"),
        &format!(
            "{} → {}{}",
            application.state.as_str(),
            moved.to.as_str(),
            if comment.is_empty() {
                String::new()
            } else {
                format!(" · {comment}")
            }
        ),
        now,
    )
    .await?;
    notify(
        &mut tx,
        &application,
        &route,
        action,
        moved.to,
        comment,
        respond_by,
        now,
    )
    .await?;
    tx.commit().await?;
    notifications::spawn_delivery(state);
    Ok(Decided {
        id,
        from: moved.from,
        to: moved.to,
        action,
    })
}

/// The notices a decision sends, inside its transaction: the applicant hears of every
/// reviewer's decision; the office the application now waits for hears that it arrived (and
/// the reviewing office that the applicant withdrew).
#[expect(
    clippy::too_many_arguments,
    reason = "one call site, every argument a fact of the decision"
)]
async fn notify(
    tx: &mut store::Tx,
    application: &store::Application,
    route: &Route,
    action: Action,
    to: State,
    comment: &str,
    respond_by: Option<NaiveDate>,
    now: i64,
) -> AppResult<()> {
    let id = application.id;
    let with_comment = |text: String| {
        if comment.is_empty() {
            text
        } else {
            format!("{text}\n意见：{comment}")
        }
    };
    let applicant = match action {
        Action::Return => Some((
            Kind::Returned,
            format!("申报 #{id} 被退回修改"),
            with_comment(format!(
                "请根据审核意见修改后重新提交{}。",
                respond_by.map_or_else(String::new, |d| format!("（{d} 前）"))
            )),
        )),
        Action::Reject => Some((
            Kind::Rejected,
            format!("申报 #{id} 未通过审核"),
            with_comment("审核未通过。".into()),
        )),
        Action::Pass => Some((
            Kind::Passed,
            format!("申报 #{id} 通过初审"),
            "已通过区县初审，报设区市审核推荐。".into(),
        )),
        Action::Recommend => Some((
            Kind::Recommended,
            format!("申报 #{id} 已获推荐"),
            format!("已推荐至{}。", route.authority.label_zh()),
        )),
        Action::Decide => Some((
            Kind::Comment,
            format!("申报 #{id} 拟定结果已公示"),
            with_comment("拟定结果已进入公示，公示期满且无未处理的异议后发文公布。".into()),
        )),
        Action::Decline => Some((
            Kind::Rejected,
            format!("申报 #{id} 不予定级/认定"),
            with_comment("经评审，不予定级/认定。".into()),
        )),
        Action::ReopenReview => Some((
            Kind::Comment,
            format!("申报 #{id} 重新评审"),
            with_comment("公示期间的异议经核实成立，申报重新进入专家评审。".into()),
        )),
        Action::Publish => Some((
            Kind::Passed,
            format!("申报 #{id} 已发文公布"),
            with_comment("评定结果已发文公布。".into()),
        )),
        _ => None,
    };
    if let Some((kind, title, body)) = applicant {
        notifications::notify_organization(
            tx,
            application.organization_id,
            kind,
            Some(id),
            &title,
            &body,
            now,
        )
        .await?;
    }
    let office = match action {
        Action::Withdraw => route.office_for(application.state),
        _ => route.office_for(to),
    };
    // The ministry has no account here: nobody to tell.
    if let Some(office) = office
        && office != Office::Nation
        && !matches!(
            action,
            Action::Return
                | Action::Reject
                | Action::Decide
                | Action::Decline
                | Action::ReopenReview
                | Action::Publish
        )
    {
        let (kind, title) = if action == Action::Withdraw {
            (Kind::Withdrawn, format!("申报 #{id} 已由申报单位撤回"))
        } else {
            (
                Kind::Comment,
                format!("申报 #{id} 待{}", route.step_label_zh(to)),
            )
        };
        notifications::notify_reviewers(
            tx,
            office.role(),
            &application.region_path,
            kind,
            Some(id),
            &title,
            with_comment(String::new()).trim(),
            now,
        )
        .await?;
    }
    Ok(())
}

/// One decision for each of several applications (the documents allow bulk recommendation by
/// the city): each is its own command, so one refusal does not undo the others.
pub async fn decide_many(
    state: &AppState,
    actor: &Actor,
    ids: &[i64],
    decision: &Decision,
) -> AppResult<Vec<BulkResult>> {
    if ids.is_empty() || ids.len() > 200 {
        return Err(AppError::invalid(
            "请选择 1 到 200 个申报 / choose from 1 to 200 applications",
        ));
    }
    let mut results = Vec::with_capacity(ids.len());
    for &id in ids {
        results.push(match decide(state, actor, id, decision).await {
            Ok(done) => BulkResult {
                id,
                state: Some(done.to.as_str()),
                error: None,
                message: None,
            },
            Err(error) if error.status >= 500 => return Err(error),
            Err(error) => BulkResult {
                id,
                state: None,
                error: Some(error.code),
                message: Some(error.message),
            },
        });
    }
    Ok(results)
}

/// The outcome of one application of a bulk decision.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BulkResult {
    pub id: i64,
    /// The new state, when it moved.
    pub state: Option<&'static str>,
    pub error: Option<&'static str>,
    pub message: Option<String>,
}

/// A workflow refusal as the error the caller answers with: 403 when the actor may not act
/// on the application at all, 409 for the right actor at the wrong moment, 422 for a missing
/// comment.
pub fn refusal_error(refusal: workflow::Refusal) -> AppError {
    let message = format!("{} / {}", refusal.zh, refusal.en);
    if refusal.is_forbidden() {
        AppError::new(403, "forbidden", message)
    } else if refusal.code == workflow::code::COMMENT_REQUIRED {
        AppError::new(422, "comment_required", message)
    } else {
        AppError::conflict(refusal.code, message)
    }
}

/// The date by which a returned application is to be resubmitted: as given (not before
/// tomorrow, not more than a year ahead) or 15 days from today.
fn respond_by(text: Option<&str>, today: NaiveDate) -> AppResult<NaiveDate> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(today + chrono::Duration::days(DEFAULT_RESPOND_DAYS));
    };
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        AppError::invalid(format!(
            "修改期限「{text}」应为 YYYY-MM-DD 格式的日期 / respond_by must be a date"
        ))
    })?;
    if date <= today || date > today + chrono::Duration::days(366) {
        return Err(AppError::invalid(
            "修改期限应在明天到一年之内 / respond_by must be from tomorrow to a year ahead",
        ));
    }
    Ok(date)
}

/// Comments on criteria: only with a return, each naming a criterion of the scheme, none empty.
fn check_criterion_comments(
    scheme: &pingjia_core::Scheme,
    action: Action,
    comments: &BTreeMap<String, String>,
) -> AppResult<BTreeMap<String, String>> {
    let comments: BTreeMap<String, String> = comments
        .iter()
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .filter(|(_, v)| !v.is_empty())
        .collect();
    if comments.is_empty() {
        return Ok(comments);
    }
    if action != Action::Return {
        return Err(AppError::invalid(
            "只有退回修改可以附指标意见 / criterion comments go with a return",
        ));
    }
    if comments.len() > 300 {
        return Err(AppError::invalid(
            "指标意见过多 / too many criterion comments",
        ));
    }
    for (criterion, text) in &comments {
        if !scheme.criteria.iter().any(|c| &c.id == criterion) {
            return Err(AppError::invalid(format!(
                "未知的指标「{criterion}」 / unknown criterion"
            )));
        }
        crate::services::plain_text("指标意见", text, MAX_COMMENT)?;
    }
    Ok(comments)
}

// --- the timeline ---------------------------------------------------------------------------

/// One step of an application's life as its applicant and reviewers see it: when, what, by
/// which office (the reviewer's personal name only where the round's authority chooses), with
/// which comment.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TimelineEntry {
    pub at: i64,
    pub action: String,
    pub action_label: String,
    pub from_state: String,
    pub to_state: String,
    pub to_state_label: String,
    pub version: i64,
    /// The acting office: 「昆山市 区县审核」, 「申报单位」; with the reviewer's display name
    /// (「昆山市 区县审核 张三」) where the round shows reviewer names.
    pub by: String,
    pub comment: String,
    pub criterion_comments: BTreeMap<String, String>,
    pub respond_by: Option<String>,
}

/// Every decision on an application, oldest first, for whoever may see the application.
pub async fn timeline(state: &AppState, actor: &Actor, id: i64) -> AppResult<Vec<TimelineEntry>> {
    let application = store::application(&state.db, &actor.scope(), id)
        .await?
        .ok_or_else(AppError::not_found)?;
    // The reviewer is named only where the round's authority has chosen so.
    let show_names = crate::services::applications::round_of(state, &application)
        .await?
        .is_some_and(|round| round.show_reviewer_names != 0);
    let events = store::review_events(&state.db, id).await?;
    let mut entries = Vec::with_capacity(events.len());
    for event in events {
        let action: Action = event.action.parse().map_err(AppError::internal)?;
        let to: State = event.to_state.parse().map_err(AppError::internal)?;
        let role: Role = event.actor_role.parse().map_err(AppError::internal)?;
        let by = match (role, event.actor_region_name) {
            (Role::Applicant, _) => role.label_zh().to_owned(),
            (_, Some(region)) if show_names => {
                format!("{region} {} {}", role.label_zh(), event.actor_name)
            }
            (_, Some(region)) => format!("{region} {}", role.label_zh()),
            (_, None) if show_names => format!("{} {}", role.label_zh(), event.actor_name),
            (_, None) => role.label_zh().to_owned(),
        };
        entries.push(TimelineEntry {
            at: event.at,
            action: event.action,
            action_label: action.label_zh().to_owned(),
            from_state: event.from_state,
            to_state: event.to_state,
            to_state_label: to.label_zh().to_owned(),
            version: event.version_number,
            by,
            comment: event.comment,
            criterion_comments: serde_json::from_str(&event.criterion_comments)
                .map_err(AppError::internal)?,
            respond_by: event.respond_by,
        });
    }
    Ok(entries)
}

/// The comments on criteria of the last return, if the application is returned now: what
/// the applicant is to correct, shown beside each criterion.
pub fn open_comments(timeline: &[TimelineEntry], state: State) -> BTreeMap<String, String> {
    if state != State::Returned {
        return BTreeMap::new();
    }
    timeline
        .iter()
        .rev()
        .find(|e| e.action == Action::Return.as_str())
        .map(|e| e.criterion_comments.clone())
        .unwrap_or_default()
}

// --- what changed ---------------------------------------------------------------------------

/// The differences between two submitted versions: values and evidence.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Changes {
    pub from: i64,
    pub to: i64,
    pub values: Vec<ValueChange>,
    pub evidence_added: Vec<String>,
    pub evidence_removed: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ValueChange {
    pub field: String,
    pub label: String,
    #[schema(value_type = Option<Object>)]
    pub before: Option<Json>,
    #[schema(value_type = Option<Object>)]
    pub after: Option<Json>,
}

/// What changed from version `from` to version `to` (both visible to the actor): every field
/// whose declared value differs, and the evidence files added or removed (by name and content).
pub async fn changes(
    state: &AppState,
    actor: &Actor,
    id: i64,
    from: i64,
    to: i64,
) -> AppResult<Changes> {
    let before = applications::version(state, actor, id, from).await?;
    let after = applications::version(state, actor, id, to).await?;
    let application = store::application(&state.db, &actor.scope(), id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let (scheme, _) = scheme_of(state, &application)?;
    let values = |body: &str| -> AppResult<serde_json::Map<String, Json>> {
        let body: Json = serde_json::from_str(body).map_err(AppError::internal)?;
        Ok(body
            .get("values")
            .and_then(Json::as_object)
            .cloned()
            .unwrap_or_default())
    };
    let (old, new) = (values(&before.body)?, values(&after.body)?);
    let mut fields: Vec<&String> = old.keys().chain(new.keys()).collect();
    fields.sort();
    fields.dedup();
    let changed = fields
        .into_iter()
        .filter(|f| canonical(old.get(*f)) != canonical(new.get(*f)))
        .map(|f| ValueChange {
            field: f.clone(),
            label: scheme
                .fields
                .iter()
                .find(|field| &field.id == f)
                .map_or_else(|| f.clone(), |field| field.label.clone()),
            before: old.get(f).cloned(),
            after: new.get(f).cloned(),
        })
        .collect();
    let files = |rows: Vec<store::Evidence>| -> Vec<(String, String)> {
        rows.into_iter().map(|e| (e.filename, e.sha256)).collect()
    };
    let old_files = files(store::evidence_of_version(&state.db, before.id).await?);
    let new_files = files(store::evidence_of_version(&state.db, after.id).await?);
    Ok(Changes {
        from,
        to,
        values: changed,
        evidence_added: new_files
            .iter()
            .filter(|f| !old_files.contains(f))
            .map(|(name, _)| name.clone())
            .collect(),
        evidence_removed: old_files
            .iter()
            .filter(|f| !new_files.contains(f))
            .map(|(name, _)| name.clone())
            .collect(),
    })
}

/// A declared value as a person reads it, so that a change of form is not a change of value:
/// `19` typed as text and `19` as a number are the same, as are a blank and an absent value.
fn canonical(value: Option<&Json>) -> String {
    match value {
        None | Some(Json::Null) => String::new(),
        Some(Json::String(text)) => text.trim().to_owned(),
        Some(Json::Number(number)) => number.to_string(),
        Some(Json::Bool(flag)) => flag.to_string(),
        Some(Json::Array(items)) => items
            .iter()
            .map(|item| canonical(Some(item)))
            .collect::<Vec<_>>()
            .join("\u{1f}"),
        Some(Json::Object(map)) => {
            let mut pairs: Vec<String> = map
                .iter()
                .map(|(key, value)| format!("{key}\u{1e}{}", canonical(Some(value))))
                .filter(|pair| !pair.ends_with('\u{1e}'))
                .collect();
            pairs.sort();
            pairs.join("\u{1d}")
        }
    }
}

// --- confirmed values -----------------------------------------------------------------------

/// A reviewer's confirmation or correction of one declared value.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct Confirmation {
    /// The field id (`registered_capital`).
    pub field: String,
    /// The confirmed value, written as the applicant would (`1200万`, `是`, `2019-05-01`).
    #[schema(value_type = Object)]
    pub value: Json,
    /// Why, or on what evidence.
    #[serde(default)]
    pub note: String,
}

/// A confirmed value as recorded, with who (by office), when, old and new.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConfirmedRecord {
    pub field: String,
    pub label: String,
    #[schema(value_type = Object)]
    pub value: Json,
    #[schema(value_type = Option<Object>)]
    pub declared: Option<Json>,
    pub note: String,
    /// 1 the first review level, 2 the second, 3 the authority.
    pub level: i64,
    pub by: String,
    pub at: i64,
    /// Whether this is the value in force (the highest level's latest).
    pub in_force: bool,
}

/// Confirms or corrects a value of the latest submitted version: only the office acting on
/// the application now, only a field of the scheme, only a value the field can hold. The
/// grade is recomputed at once from the confirmed values; every confirmation is kept.
pub async fn confirm(
    state: &AppState,
    actor: &Actor,
    id: i64,
    confirmation: &Confirmation,
) -> AppResult<Assessment> {
    let note = confirmation.note.trim();
    crate::services::plain_text("核定说明", note, MAX_COMMENT)?;
    let visible = store::application(&state.db, &actor.scope(), id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let route = route_of(state, &visible).await?;
    let grading = applications::Grading::of(state, &visible).await?;
    let sheets = applications::expert_sheets(state, actor, &visible).await?;
    let mut tx = state.db.begin().await?;
    let application = store::lock_application(&mut tx, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let facts = facts_for(actor, &application, &route);
    // An expert confirms at the authority's level while its own review is open and the
    // application is under expert review (docs/web.md, Experts: whose value wins).
    let expert = actor.role == Role::Expert
        && application.state == State::ExpertReview
        && store::open_review_of(&mut tx, actor.user.id, id).await?;
    if !expert && (!actor.role.is_regional() || !facts.in_region) {
        return Err(AppError::new(
            403,
            "forbidden",
            "只有当前审核环节的主管部门可以核定数值 / only the office reviewing the application now may confirm values",
        ));
    }
    let (scheme, _) = scheme_of(state, &application)?;
    let field = scheme
        .fields
        .iter()
        .find(|f| f.id == confirmation.field)
        .ok_or_else(|| {
            AppError::invalid(format!(
                "未知的字段「{}」 / unknown field",
                confirmation.field
            ))
        })?;
    let version = store::latest_submitted_version_in(&mut tx, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let body: Json = serde_json::from_str(&version.body).map_err(AppError::internal)?;
    let declared = body.get("values").and_then(|v| v.get(&field.id)).cloned();
    // A list of items may be written as the form's text: 「边缘计算、数据采集」.
    let value = match (&field.kind, &confirmation.value) {
        (pingjia_core::scheme::FieldKind::Items(_), Json::String(text)) => Json::Array(
            text.split(['、', ',', '，', ';', '；', '\n'])
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(|t| Json::String(t.to_owned()))
                .collect(),
        ),
        (_, given) => given.clone(),
    };
    let confirmation = &Confirmation {
        field: confirmation.field.clone(),
        value,
        note: confirmation.note.clone(),
    };
    let mut confirmed = applications::confirmed_map(
        &store::confirmed_values_in(&mut tx, id, version.number).await?,
    );
    confirmed.insert(field.id.clone(), confirmation.value.clone());
    let assessment = grading.assess(
        &applications::with_expert_scores(applications::with_confirmed(&body, &confirmed), sheets),
        state.today(),
    );
    let path = format!("confirmed.{}", field.id);
    if let Some(error) = assessment.field_errors.iter().find(|e| {
        e.field == path
            || e.field.starts_with(&format!("{path}."))
            || e.field.starts_with(&format!("{path}["))
    }) {
        return Err(AppError::invalid(format!(
            "{}：应填写{}（当前：{}） / expected {}",
            field.label, error.expected_zh, error.given, error.expected_en
        )));
    }
    let now = state.now();
    let level = if expert {
        3
    } else {
        level_of(&route, application.state)
    };
    store::insert_confirmed_value(
        &mut tx,
        &store::NewConfirmedValue {
            application_id: id,
            version_number: version.number,
            field_id: &field.id,
            value: &confirmation.value.to_string(),
            declared: declared.as_ref().map(Json::to_string).as_deref(),
            note,
            level,
            actor_id: actor.user.id,
            actor_role: actor.role.as_str(),
        },
        now,
    )
    .await?;
    store::audit(
        &mut tx,
        Some(actor.user.id),
        "value_confirmed",
        &format!("application:{id}"),
        &format!(
            "v{} {}: {} → {}{}",
            version.number,
            field.id,
            declared.map_or_else(|| "—".to_owned(), |d| d.to_string()),
            confirmation.value,
            if note.is_empty() {
                String::new()
            } else {
                format!(" · {note}")
            }
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(assessment)
}

/// Every confirmation of an application's version, oldest first, for whoever sees it.
pub async fn confirmations(
    state: &AppState,
    actor: &Actor,
    id: i64,
    version: i64,
) -> AppResult<Vec<ConfirmedRecord>> {
    let application = store::application(&state.db, &actor.scope(), id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let (scheme, _) = scheme_of(state, &application)?;
    let rows = store::confirmed_values(&state.db, id, version).await?;
    let mut forced: BTreeMap<String, i64> = BTreeMap::new();
    for row in &rows {
        let better = forced.get(&row.field_id).is_none_or(|&at_id| {
            rows.iter()
                .find(|r| r.id == at_id)
                .is_some_and(|r| r.level <= row.level)
        });
        if better {
            forced.insert(row.field_id.clone(), row.id);
        }
    }
    Ok(rows
        .iter()
        .map(|row| ConfirmedRecord {
            field: row.field_id.clone(),
            label: scheme
                .fields
                .iter()
                .find(|f| f.id == row.field_id)
                .map_or_else(|| row.field_id.clone(), |f| f.label.clone()),
            value: serde_json::from_str(&row.value).unwrap_or(Json::Null),
            declared: row
                .declared
                .as_deref()
                .and_then(|d| serde_json::from_str(d).ok()),
            note: row.note.clone(),
            level: row.level,
            by: match &row.actor_region_name {
                Some(region) => format!("{region} {}", row.actor_role_label()),
                None => row.actor_role_label().to_owned(),
            },
            at: row.at,
            in_force: forced.get(&row.field_id) == Some(&row.id),
        })
        .collect())
}

// --- the queue ------------------------------------------------------------------------------

/// How many applications the actor sees in each state of the review chain (待初审 12 …).
pub async fn queue_counts(state: &AppState, actor: &Actor) -> AppResult<Vec<(State, i64)>> {
    match actor.scope() {
        Scope::Region(..) => Ok(store::state_counts(&state.db, &actor.scope()).await?),
        _ => Ok(Vec::new()),
    }
}

/// The deadline of the step an application is at, from its round: the county deadline in
/// `county_review`, the city deadline in `city_review`, the date to resubmit by when returned.
pub fn deadline_of(
    round: Option<&store::Round>,
    application_state: State,
    respond_by: Option<&str>,
) -> Option<String> {
    match application_state {
        State::CountyReview => round.and_then(|r| r.county_deadline.clone()),
        State::CityReview => round.and_then(|r| r.city_deadline.clone()),
        State::Returned => respond_by.map(str::to_owned),
        _ => None,
    }
}

// --- deadline reminders ---------------------------------------------------------------------

/// Days before a deadline that its reminder is sent.
pub const REMIND_DAYS_BEFORE: i64 = 3;

/// The job `deadline_reminders`: for every application whose step ends within
/// [`REMIND_DAYS_BEFORE`] days of `today` (the county's or city's review deadline of its round,
/// or the date a returned application is to be resubmitted by), tells the office that must act
/// (or the applicant) once per deadline. Idempotent: run it as often as you like.
pub async fn remind_deadlines(state: &AppState, today: NaiveDate) -> AppResult<usize> {
    let mut sent = 0;
    let mut rounds_seen: BTreeMap<i64, store::Round> = BTreeMap::new();
    for waiting in store::waiting_applications(&state.db).await? {
        let round = match waiting.round_id {
            Some(id) => {
                if let std::collections::btree_map::Entry::Vacant(slot) = rounds_seen.entry(id) {
                    slot.insert(rounds::load(state, id).await?);
                }
                rounds_seen.get(&id)
            }
            None => None,
        };
        let Some(deadline) = deadline_of(round, waiting.state, waiting.respond_by.as_deref())
        else {
            continue;
        };
        let Some(date) = rounds::date(Some(&deadline))? else {
            continue;
        };
        let left = (date - today).num_days();
        if !(0..=REMIND_DAYS_BEFORE).contains(&left) {
            continue;
        }
        let id = waiting.id;
        let title = format!("申报 #{id} 的{}期限为 {deadline}", waiting.state.label_zh());
        let body = format!("距期限还有 {left} 天，请及时办理。");
        let scheme = state
            .catalog
            .schemes
            .iter()
            .find(|s| s.id == waiting.scheme_id)
            .ok_or_else(|| AppError::internal(format!("application {id} scheme")))?;
        let route = rounds::route(scheme, round, &waiting.region_path)?;
        let now = state.now();
        let mut tx = state.db.begin().await?;
        if store::deadline_noticed(&mut tx, id, &title).await? {
            continue;
        }
        if waiting.state == State::Returned {
            notifications::notify_organization(
                &mut tx,
                waiting.organization_id,
                Kind::Deadline,
                Some(id),
                &title,
                &body,
                now,
            )
            .await?;
        } else {
            if let Some(office) = route.office_for(waiting.state) {
                notifications::notify_reviewers(
                    &mut tx,
                    office.role(),
                    &waiting.region_path,
                    Kind::Deadline,
                    Some(id),
                    &title,
                    &body,
                    now,
                )
                .await?;
            }
        }
        store::audit(
            &mut tx,
            None,
            "deadline_reminded",
            &format!("application:{id}"),
            &deadline,
            now,
        )
        .await?;
        tx.commit().await?;
        sent += 1;
    }
    if sent > 0 {
        notifications::spawn_delivery(state);
    }
    Ok(sent)
}

/// One application of a reviewer's queue, with the date its step ends.
#[derive(Debug, Clone, Serialize)]
pub struct QueueRow {
    pub item: store::ApplicationSummary,
    /// The county or city deadline of its round, or the date to resubmit a returned one by.
    pub deadline: Option<String>,
    /// Today is past the deadline.
    pub overdue: bool,
}

/// One page of the applications the reviewer sees in a state, with deadlines and overdue
/// marks, sorted as asked (`ListFilter::sort`), and how many there are.
pub async fn queue(
    state: &AppState,
    actor: &Actor,
    filter: &applications::ListFilter,
    page: store::Page,
) -> AppResult<(Vec<QueueRow>, i64)> {
    let (items, total) = applications::list(state, actor, filter, page).await?;
    let today = state.today();
    let mut rounds_seen: BTreeMap<i64, store::Round> = BTreeMap::new();
    let mut rows = Vec::with_capacity(items.len());
    for item in items {
        let round = match item.round_id {
            Some(id) => {
                if let std::collections::btree_map::Entry::Vacant(slot) = rounds_seen.entry(id) {
                    slot.insert(rounds::load(state, id).await?);
                }
                rounds_seen.get(&id)
            }
            None => None,
        };
        let deadline = deadline_of(round, item.state, item.respond_by.as_deref());
        let overdue = rounds::date(deadline.as_deref())?.is_some_and(|date| today > date);
        rows.push(QueueRow {
            item,
            deadline,
            overdue,
        });
    }
    Ok((rows, total))
}

/// Moves a recommended application to another place among its office's recommendations (推荐
/// 顺序): only the office that recommended it (the city, or the first level where the route has
/// no city), only while the authority has it in `expert_review` and has not decided. Audited.
pub async fn set_rank(state: &AppState, actor: &Actor, id: i64, rank: i64) -> AppResult<()> {
    if !(1..=10_000).contains(&rank) {
        return Err(AppError::invalid(
            "推荐顺序应为 1 到 10000 之间的整数 / rank must be from 1 to 10000",
        ));
    }
    let visible = store::application(&state.db, &actor.scope(), id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let route = route_of(state, &visible).await?;
    let recommender = route.levels.last().copied();
    let holds = actor
        .region_path
        .as_deref()
        .is_some_and(|path| visible.region_path.starts_with(path));
    if !holds
        || recommender.is_none()
        || actor_office(actor) != recommender
        || recommender.map(Office::role) != Some(actor.role)
    {
        return Err(AppError::new(
            403,
            "forbidden",
            "只有推荐单位可以调整推荐顺序 / only the recommending office may reorder",
        ));
    }
    let mut tx = state.db.begin().await?;
    let application = store::lock_application(&mut tx, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let recommended = store::recommendation_of(&mut tx, id)
        .await?
        .and_then(|(_, rank)| rank);
    if application.state != State::ExpertReview || recommended.is_none() {
        return Err(AppError::conflict(
            "wrong_state",
            "只有已推荐、尚在专家评审的申报可以调整推荐顺序 / only a recommended application under expert review can be reordered",
        ));
    }
    let now = state.now();
    store::set_recommend_rank(&mut tx, id, rank, now).await?;
    store::audit(
        &mut tx,
        Some(actor.user.id),
        "recommendation_reordered",
        &format!("application:{id}"),
        &format!("{} → {rank}", recommended.unwrap_or_default()),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
