//! The authority's decisions on a round's applications (002 第八条（二）「择优确定拟认定平台名单」;
//! 003 二（二）1 「省工信厅组织专家按照评估标准评选」): a result per application — 三星/四星/五星 or
//! 不予定级 (stars), 认定 or 不予认定 (rubric), 入选 or 不入选 (capability) — whose default is the
//! grade computed from the confirmed values; a departure from it carries a written reason. Every
//! decision is kept, the latest in force, and can change until the notice opens
//! (`services::notices`). 择优 is a decision: the round's ranking by aggregated total and an
//! optional quota only inform it; nothing is cut automatically.

use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::services::actor::{Actor, Role};
use crate::services::applications;
use crate::services::review;
use crate::services::rounds;
use crate::storage::{self as store};
use pingjia_core::Scheme;
use pingjia_core::engine::Status;
use pingjia_core::report::Report;
use pingjia_core::scheme::Method;
use pingjia_core::workflow::{self, Action, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The longest reason, in characters.
pub const MAX_REASON: usize = 2_000;

/// A result an authority may decide: its id, its label, whether it is positive (the
/// application goes on the notice), and its stars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub id: &'static str,
    pub label: &'static str,
    /// The label on the public notice (拟定 …).
    pub proposed: &'static str,
    pub positive: bool,
    pub stars: Option<i64>,
}

const STARS: &[Outcome] = &[
    Outcome {
        id: "star3",
        label: "三星",
        proposed: "拟定三星",
        positive: true,
        stars: Some(3),
    },
    Outcome {
        id: "star4",
        label: "四星",
        proposed: "拟定四星",
        positive: true,
        stars: Some(4),
    },
    Outcome {
        id: "star5",
        label: "五星",
        proposed: "拟定五星",
        positive: true,
        stars: Some(5),
    },
    Outcome {
        id: "not_graded",
        label: "不予定级",
        proposed: "不予定级",
        positive: false,
        stars: None,
    },
];
const RUBRIC: &[Outcome] = &[
    Outcome {
        id: "recognized",
        label: "认定",
        proposed: "拟认定",
        positive: true,
        stars: None,
    },
    Outcome {
        id: "not_recognized",
        label: "不予认定",
        proposed: "不予认定",
        positive: false,
        stars: None,
    },
];
const CAPABILITY: &[Outcome] = &[
    Outcome {
        id: "selected",
        label: "入选",
        proposed: "拟入选",
        positive: true,
        stars: None,
    },
    Outcome {
        id: "not_selected",
        label: "不入选",
        proposed: "不入选",
        positive: false,
        stars: None,
    },
];

/// The results a scheme's decisions take.
pub fn outcomes(method: Method) -> &'static [Outcome] {
    match method {
        Method::Stars => STARS,
        Method::Rubric => RUBRIC,
        Method::Capability => CAPABILITY,
    }
}

/// A result by id, among a scheme's; unknown ids are `422`.
pub fn outcome(method: Method, id: &str) -> AppResult<Outcome> {
    outcomes(method)
        .iter()
        .copied()
        .find(|o| o.id == id)
        .ok_or_else(|| {
            let known: Vec<&str> = outcomes(method).iter().map(|o| o.id).collect();
            AppError::invalid(format!(
                "未知的评定结果「{id}」，可选：{} / unknown result; one of {}",
                known.join("、"),
                known.join(", ")
            ))
        })
}

/// The result the grade gives (the default decision): the stars reached (3–5, else 不予定级);
/// 认定 when the rubric's eligibility gates hold (the ranking by total is the authority's to
/// weigh); 入选 when any capability part is met.
pub fn default_outcome(method: Method, report: &Report) -> Outcome {
    let id = match method {
        Method::Stars => match report.stars {
            Some(3) => "star3",
            Some(4) => "star4",
            Some(5) => "star5",
            _ => "not_graded",
        },
        Method::Rubric if report.eligible == Some(true) => "recognized",
        Method::Rubric => "not_recognized",
        Method::Capability if report.parts.iter().any(|p| p.status == Status::Met) => "selected",
        Method::Capability => "not_selected",
    };
    outcomes(method)
        .iter()
        .copied()
        .find(|o| o.id == id)
        .unwrap_or(outcomes(method)[outcomes(method).len() - 1])
}

/// A decision as shown: the record with its labels.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DecisionView {
    pub id: i64,
    pub result: String,
    pub result_label: String,
    pub default_result: String,
    pub default_label: String,
    /// The decision departs from the computed grade (its reason is then required).
    pub departs: bool,
    pub score: Option<String>,
    pub reason: String,
    pub decided_at: i64,
}

fn view_of(method: Method, record: &store::DecisionRecord) -> DecisionView {
    let label = |id: &str| {
        outcomes(method)
            .iter()
            .find(|o| o.id == id)
            .map_or_else(|| id.to_owned(), |o| o.label.to_owned())
    };
    DecisionView {
        id: record.id,
        result_label: label(&record.result),
        default_label: label(&record.default_result),
        departs: record.result != record.default_result,
        result: record.result.clone(),
        default_result: record.default_result.clone(),
        score: record.score.clone(),
        reason: record.reason.clone(),
        decided_at: record.decided_at,
    }
}

/// One application of the round on the decisions board.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BoardRow {
    /// 1, 2, … by aggregated total (rubric schemes; ties in id order), else in id order.
    pub rank: usize,
    pub application_id: i64,
    pub organization: String,
    pub provider_type: String,
    #[schema(value_type = String)]
    pub state: State,
    pub state_label: String,
    /// The grade computed from the confirmed values, in words.
    pub grade: String,
    /// The aggregated total (rubric schemes).
    pub score: Option<String>,
    pub default_result: String,
    pub default_label: String,
    /// The decision in force.
    pub decision: Option<DecisionView>,
    /// Every decision, oldest first.
    pub history: Vec<DecisionView>,
    /// The decision can still be taken or changed (expert review, before the notice opens).
    pub open: bool,
}

/// A round's decisions: its applications from the expert review on, ranked, with the defaults,
/// the decisions in force, the quota and whether it is exceeded.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Board {
    pub round_id: i64,
    pub round_name: String,
    pub scheme_id: String,
    /// `stars`, `rubric` or `capability`.
    pub method: String,
    /// The results to choose from: (id, label).
    pub outcomes: Vec<(String, String)>,
    pub quota: Option<i64>,
    /// Positive decisions in force (pending, on notice or published).
    pub positive: i64,
    /// `positive` exceeds the quota: a warning, nothing is cut.
    pub over_quota: bool,
    /// The rows of the page asked for, in rank order.
    pub rows: Vec<BoardRow>,
    /// Rows in all pages.
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

fn method_id(method: Method) -> &'static str {
    match method {
        Method::Stars => "stars",
        Method::Rubric => "rubric",
        Method::Capability => "capability",
    }
}

/// The scheme of a round.
fn round_scheme<'s>(state: &'s AppState, round: &store::Round) -> AppResult<&'s Scheme> {
    state
        .catalog
        .schemes
        .iter()
        .find(|s| s.id == round.scheme_id)
        .ok_or_else(|| AppError::internal(format!("round of unknown scheme {}", round.scheme_id)))
}

/// The provider type's title (or the scheme's title where it has none).
pub fn provider_type_label(scheme: &Scheme, provider_type: Option<&str>) -> String {
    provider_type
        .and_then(|t| scheme.provider_types.iter().find(|p| p.id == t))
        .map_or_else(|| scheme.title.clone(), |p| p.title.clone())
}

/// The round's decisions board, for its authority only (anyone else: `404`).
pub async fn board(
    state: &AppState,
    actor: &Actor,
    round_id: i64,
    page: crate::services::records::Page,
) -> AppResult<Board> {
    let mut board = full_board(state, actor, round_id).await?;
    let start = usize::try_from((page.number - 1) * page.size).unwrap_or(usize::MAX);
    board.rows = board
        .rows
        .into_iter()
        .skip(start)
        .take(usize::try_from(page.size).unwrap_or(usize::MAX))
        .collect();
    board.page = page.number;
    board.per_page = page.size;
    Ok(board)
}

/// The whole board, every row: ranks, the positive count and the quota warning are over the
/// whole round, whatever page is shown.
pub async fn full_board(state: &AppState, actor: &Actor, round_id: i64) -> AppResult<Board> {
    let round = rounds::authority_round(state, actor, round_id)
        .await?
        .record;
    let scheme = round_scheme(state, &round)?;
    let method = scheme.method;
    let applications = store::round_applications(&state.db, round_id).await?;
    let decisions = store::round_decisions(&state.db, round_id).await?;
    let entered = store::expert_review_entries(&state.db, round_id).await?;
    let mut rows = Vec::with_capacity(applications.len());
    for item in applications {
        let detail = applications::detail(state, actor, item.id).await?;
        let report = &detail.assessment.report;
        let default = default_outcome(method, report);
        let history: Vec<DecisionView> = decisions
            .iter()
            .filter(|d| d.application_id == item.id)
            .map(|d| view_of(method, d))
            .collect();
        rows.push(BoardRow {
            rank: 0,
            application_id: item.id,
            organization: item.organization.clone(),
            provider_type: provider_type_label(scheme, item.provider_type.as_deref()),
            state: item.state,
            state_label: item.state.label_zh().to_owned(),
            grade: report.grade.clone(),
            score: report.score.map(|s| s.to_string()),
            default_result: default.id.to_owned(),
            default_label: default.label.to_owned(),
            // In force: the latest taken since the application last entered the expert review
            // (`storage::latest_decision_in`, the rule the notice applies).
            decision: history
                .last()
                .filter(|d| {
                    let since = entered
                        .iter()
                        .find(|(id, _)| *id == item.id)
                        .map_or(0, |(_, at)| *at);
                    d.decided_at >= since
                })
                .cloned(),
            history,
            open: item.state == State::ExpertReview,
        });
    }
    if method == Method::Rubric {
        rows.sort_by(|a, b| {
            let score = |r: &BoardRow| {
                r.score
                    .as_deref()
                    .and_then(|s| s.parse::<rust_decimal::Decimal>().ok())
            };
            score(b)
                .cmp(&score(a))
                .then(a.application_id.cmp(&b.application_id))
        });
    }
    for (index, row) in rows.iter_mut().enumerate() {
        row.rank = index + 1;
    }
    let positive_ids: Vec<&str> = outcomes(method)
        .iter()
        .filter(|o| o.positive)
        .map(|o| o.id)
        .collect();
    let positive = rows
        .iter()
        .filter(|r| {
            r.state != State::NotGraded
                && r.decision
                    .as_ref()
                    .is_some_and(|d| positive_ids.contains(&d.result.as_str()))
        })
        .count() as i64;
    let quota = store::decision_quota(&state.db, round_id).await?;
    Ok(Board {
        round_id,
        round_name: round.name.clone(),
        scheme_id: round.scheme_id.clone(),
        method: method_id(method).to_owned(),
        outcomes: outcomes(method)
            .iter()
            .map(|o| (o.id.to_owned(), o.label.to_owned()))
            .collect(),
        quota,
        positive,
        over_quota: quota.is_some_and(|q| positive > q),
        total: rows.len() as i64,
        page: 1,
        per_page: rows.len() as i64,
        rows,
    })
}

/// A decision as the authority asks for it.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct DecisionInput {
    /// The result id (`star3` … `not_graded`, `recognized`/`not_recognized`,
    /// `selected`/`not_selected`); empty or absent: the default, the computed grade's.
    #[serde(default)]
    pub result: Option<String>,
    /// Required when the result departs from the computed grade.
    #[serde(default)]
    pub reason: String,
}

/// A decision taken.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Decided {
    pub application_id: i64,
    pub decision: DecisionView,
    /// Positive decisions in force now exceed the round's quota.
    pub over_quota: bool,
}

/// Decides one application of a round: visible to the authority of its round and in
/// `expert_review` with the review complete (the workflow's `decide`/`decline` rule, checked
/// with the facts read in the transaction), else `404` / `403` / `409`. A result other than the
/// computed grade's needs a reason (`422 reason_required`). One transaction with its audit entry.
pub async fn decide(
    state: &AppState,
    actor: &Actor,
    application_id: i64,
    input: &DecisionInput,
) -> AppResult<Decided> {
    actor
        .require(&[Role::AuthorityAdmin])
        .map_err(|_| AppError::not_found())?;
    let visible = store::application(&state.db, &actor.scope(), application_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let round_id = visible.round_id.ok_or_else(AppError::not_found)?;
    let round = rounds::authority_round(state, actor, round_id)
        .await?
        .record;
    let scheme = round_scheme(state, &round)?;
    let method = scheme.method;
    let reason = input.reason.trim();
    crate::services::plain_text("理由", reason, MAX_REASON)?;
    // Graded before the transaction (see `applications::Grading`).
    let detail = applications::detail(state, actor, application_id).await?;
    let default = default_outcome(method, &detail.assessment.report);
    let chosen = match input
        .result
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
    {
        Some(id) => outcome(method, id)?,
        None => default,
    };
    if chosen.id != default.id && reason.is_empty() {
        return Err(AppError::new(
            422,
            "reason_required",
            format!(
                "评定结果（{}）与计算结果（{}）不同，须填写理由 / a result other than the computed grade needs a reason",
                chosen.label, default.label
            ),
        ));
    }
    let score = detail.assessment.report.score.map(|s| s.to_string());
    let route = review::route_of(state, &visible).await?;
    let today = state.today();

    let mut tx = state.db.begin().await?;
    let application = store::lock_application(&mut tx, application_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    // The rule of the transition the decision leads to when the notice opens, checked now.
    let facts = review::facts_in(&mut tx, actor, &application, &route, today).await?;
    let action = if chosen.positive {
        Action::Decide
    } else {
        Action::Decline
    };
    workflow::next(application.state, action, actor.role, &facts, today)
        .map_err(review::refusal_error)?;
    let now = state.now();
    let id = store::insert_decision(
        &mut tx,
        &store::NewDecision {
            application_id,
            round_id,
            result: chosen.id,
            default_result: default.id,
            score: score.as_deref(),
            reason,
            decided_by: actor.user.id,
        },
        now,
    )
    .await?;
    store::audit(
        &mut tx,
        Some(actor.user.id),
        "decision_recorded",
        &format!("application:{application_id}"),
        &format!(
            "{} (computed {}){}",
            chosen.id,
            default.id,
            if reason.is_empty() {
                String::new()
            } else {
                format!(" · {reason}")
            }
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    let board = full_board(state, actor, round_id).await?;
    let record = store::DecisionRecord {
        id,
        application_id,
        round_id,
        result: chosen.id.to_owned(),
        default_result: default.id.to_owned(),
        score,
        reason: reason.to_owned(),
        decided_by: actor.user.id,
        decided_at: now,
    };
    Ok(Decided {
        application_id,
        decision: view_of(method, &record),
        over_quota: board.over_quota,
    })
}

/// The outcome of one application of a decision for a selection.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BulkDecided {
    pub application_id: i64,
    pub result: Option<String>,
    pub error: Option<&'static str>,
    pub message: Option<String>,
}

/// The same decision (or each one's default, when no result is given) for a selection of a
/// round's applications, each its own command: one refusal does not undo the others. An id not
/// of this round is refused like a missing one.
pub async fn decide_many(
    state: &AppState,
    actor: &Actor,
    round_id: i64,
    ids: &[i64],
    input: &DecisionInput,
) -> AppResult<Vec<BulkDecided>> {
    rounds::authority_round(state, actor, round_id).await?;
    if ids.is_empty() || ids.len() > 200 {
        return Err(AppError::invalid(
            "请选择 1 到 200 个申报 / choose from 1 to 200 applications",
        ));
    }
    let mut results = Vec::with_capacity(ids.len());
    for &id in ids {
        let in_round = store::application(&state.db, &actor.scope(), id)
            .await?
            .is_some_and(|a| a.round_id == Some(round_id));
        let outcome = if in_round {
            decide(state, actor, id, input).await
        } else {
            Err(AppError::not_found())
        };
        results.push(match outcome {
            Ok(done) => BulkDecided {
                application_id: id,
                result: Some(done.decision.result),
                error: None,
                message: None,
            },
            Err(error) if error.status >= 500 => return Err(error),
            Err(error) => BulkDecided {
                application_id: id,
                result: None,
                error: Some(error.code),
                message: Some(error.message),
            },
        });
    }
    Ok(results)
}

/// Sets (or clears, with `None`) a round's quota of positive decisions: 1 to 10,000.
pub async fn set_quota(
    state: &AppState,
    actor: &Actor,
    round_id: i64,
    quota: Option<i64>,
) -> AppResult<()> {
    rounds::authority_round(state, actor, round_id).await?;
    if let Some(q) = quota
        && !(1..=10_000).contains(&q)
    {
        return Err(AppError::invalid(
            "名额应为 1 到 10000 之间的整数 / the quota must be from 1 to 10000",
        ));
    }
    let now = state.now();
    let mut tx = state.db.begin().await?;
    store::set_decision_quota(&mut tx, round_id, quota, now).await?;
    store::audit(
        &mut tx,
        Some(actor.user.id),
        "decision_quota_set",
        &format!("round:{round_id}"),
        &quota.map_or_else(|| "none".to_owned(), |q| q.to_string()),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The decision record of one application (决定记录): the computed grade, every decision with
/// its reason, the publication and the certificate. For the authority of its round only, as
/// the board is (anyone else: `404`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DecisionRecordView {
    pub application_id: i64,
    pub organization: String,
    pub credit_code: String,
    pub round_id: i64,
    pub round_name: String,
    pub scheme_title: String,
    pub provider_type: String,
    pub state_label: String,
    /// The grade computed from the confirmed values, in words.
    pub grade: String,
    pub score: Option<String>,
    pub default_label: String,
    /// Every decision, oldest first.
    pub history: Vec<DecisionView>,
    /// The published grade, once published.
    #[schema(value_type = Option<Object>)]
    pub published: Option<store::PublishedGrade>,
    /// The certificate's number, once published.
    pub certificate: Option<String>,
}

pub async fn record(
    state: &AppState,
    actor: &Actor,
    application_id: i64,
) -> AppResult<DecisionRecordView> {
    let detail = applications::detail(state, actor, application_id).await?;
    let round_id = detail
        .application
        .round_id
        .ok_or_else(AppError::not_found)?;
    let round = rounds::authority_round(state, actor, round_id)
        .await?
        .record;
    let scheme = round_scheme(state, &round)?;
    let method = scheme.method;
    let report = &detail.assessment.report;
    let history = store::round_decisions(&state.db, round_id)
        .await?
        .iter()
        .filter(|d| d.application_id == application_id)
        .map(|d| view_of(method, d))
        .collect();
    let certificate = store::certificate_of_application(&state.db, application_id)
        .await?
        .map(|c| c.number);
    Ok(DecisionRecordView {
        application_id,
        organization: detail.organization.name.clone(),
        credit_code: detail.organization.credit_code.clone(),
        round_id,
        round_name: round.name.clone(),
        scheme_title: scheme.title.clone(),
        provider_type: provider_type_label(scheme, detail.application.provider_type.as_deref()),
        state_label: detail.application.state.label_zh().to_owned(),
        grade: report.grade.clone(),
        score: report.score.map(|s| s.to_string()),
        default_label: default_outcome(method, report).label.to_owned(),
        history,
        published: detail.published.clone(),
        certificate,
    })
}
