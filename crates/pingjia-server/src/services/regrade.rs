//! Impact analysis (issue 10 §5) for an authority: every active pool member of its region,
//! re-graded from the scheme version it was graded under to another version of the same
//! standard, with who moves up, down, out or in, the criteria that move them, and the counts
//! per grade before and after. The grading is `pingjia_core::regrade`'s; this module reads
//! the members' decided declarations (the application's last submitted version, with the
//! confirmed values in force and the submitted expert scores) and names what moved.
//!
//! Each member is graded in its own round on both sides (the round's cut-off, reference year
//! and parameters; the new version takes the same round, or its own defaults where the round
//! sets a parameter the new version does not have), so that only the scheme changes.

use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::services::actor::Actor;
use crate::services::recommendations::Download;
use crate::services::spreadsheets::csv_cell;
use crate::services::{applications, rounds};
use crate::storage::{self as store, Page};
use pingjia_core::catalog::family;
use pingjia_core::engine::{Round, Status};
use pingjia_core::regrade::{Direction, Grade, Movement, Regrader, Side, Stored};
use pingjia_core::{Catalog, Scheme};
use serde::Serialize;
use serde_json::Value as Json;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// A scheme version the form offers, with the standard it belongs to.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SchemeVersion {
    pub id: String,
    pub title: String,
    pub version: String,
    /// The standard (`jiangsu-pool`): only versions of one family can be compared.
    pub family: String,
}

impl SchemeVersion {
    fn of(scheme: &Scheme) -> SchemeVersion {
        SchemeVersion {
            id: scheme.id.clone(),
            title: scheme.title.clone(),
            version: scheme.version.clone(),
            family: family(scheme).to_owned(),
        }
    }
}

/// The versions an authority may compare (anyone else: not found, as the analysis).
pub async fn choices(state: &AppState, actor: &Actor) -> AppResult<Vec<SchemeVersion>> {
    rounds::authority_region(state, actor).await?;
    Ok(versions(&state.catalog))
}

/// Every scheme version in the catalogue, grouped by standard.
pub fn versions(catalog: &Catalog) -> Vec<SchemeVersion> {
    let mut list: Vec<SchemeVersion> = catalog.schemes.iter().map(SchemeVersion::of).collect();
    list.sort_by(|a, b| (&a.family, &a.id).cmp(&(&b.family, &b.id)));
    list
}

/// A grade before or after, in both languages.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GradeCount {
    pub grade: String,
    pub grade_en: String,
    /// Members holding the grade under the old version.
    pub before: usize,
    /// Members holding it under the new version.
    pub after: usize,
}

/// How many members move each way.
#[derive(Debug, Clone, Copy, Default, Serialize, ToSchema)]
pub struct Moves {
    pub up: usize,
    pub down: usize,
    pub out: usize,
    #[serde(rename = "in")]
    pub into: usize,
    pub same: usize,
}

/// One level of a criterion whose status differs.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SlotMove {
    /// The stars of the level, for stars schemes.
    pub stars: Option<u8>,
    /// `满足`, `不满足`, … (`无此指标` where the row is not in that version).
    pub before: String,
    pub after: String,
    pub before_en: String,
    pub after_en: String,
}

/// A criterion whose status differs between the two versions.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CriterionMove {
    pub id: String,
    pub clause: String,
    pub label: String,
    pub slots: Vec<SlotMove>,
}

/// One member re-graded.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemberMove {
    pub member_id: i64,
    pub organization: String,
    pub credit_code: String,
    pub region: String,
    pub provider_type: String,
    pub type_label: String,
    /// The application the grade was decided on.
    pub application_id: i64,
    /// `up`, `down`, `out`, `in` or `same`.
    pub direction: String,
    pub direction_label: String,
    pub before: String,
    pub after: String,
    pub before_en: String,
    pub after_en: String,
    /// For members that move up or down: the criteria whose status differs.
    pub criteria: Vec<CriterionMove>,
    /// What the new version could not read of the declaration (left out as not declared).
    pub unread: Vec<String>,
}

/// The impact of a new version on the caller's pool, with one page of the movers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Impact {
    pub from: SchemeVersion,
    pub to: SchemeVersion,
    /// The authority's region.
    pub region: String,
    /// Active members graded under `from` in the region.
    pub members: usize,
    pub moves: Moves,
    /// Per grade, best first.
    pub counts: Vec<GradeCount>,
    /// `up`, `down`, `out` or `in` when the movers are narrowed to one direction.
    pub direction: Option<String>,
    /// One page of the members who move (in the asked direction), by organisation name.
    pub movers: Vec<MemberMove>,
    /// Movers in the asked direction.
    pub total: usize,
    pub page: i64,
    pub per_page: i64,
    pub pages: i64,
}

/// What the caller asks for: the two versions, a direction, a page.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub from: &'a str,
    pub to: &'a str,
    pub direction: Option<&'a str>,
    pub page: Page,
}

/// The whole result before paging.
struct Analysis {
    from: SchemeVersion,
    to: SchemeVersion,
    region: String,
    members: Vec<MemberMove>,
    counts: Vec<GradeCount>,
    moves: Moves,
}

/// The two versions named, checked: both in the catalogue, versions of one standard.
fn chosen<'a>(catalog: &'a Catalog, from: &str, to: &str) -> AppResult<(&'a Scheme, &'a Scheme)> {
    let (from, to) = (from.trim(), to.trim());
    if from.is_empty() || to.is_empty() {
        return Err(AppError::invalid(
            "请选择原方案版本和新方案版本 / choose the old and the new scheme version",
        ));
    }
    let find = |id: &str| {
        catalog.schemes.iter().find(|s| s.id == id).ok_or_else(|| {
            AppError::invalid(format!(
                "未知的方案版本 “{id}” / unknown scheme version \"{id}\""
            ))
        })
    };
    let (old, new) = (find(from)?, find(to)?);
    if family(old) != family(new) {
        return Err(AppError::invalid(format!(
            "{} 与 {} 不是同一标准的版本，无法比较 / {} and {} are not versions of one standard",
            old.id, new.id, old.id, new.id
        )));
    }
    Ok((old, new))
}

fn direction_of(text: Option<&str>) -> AppResult<Option<Direction>> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some("up") => Ok(Some(Direction::Up)),
        Some("down") => Ok(Some(Direction::Down)),
        Some("out") => Ok(Some(Direction::Out)),
        Some("in") => Ok(Some(Direction::In)),
        Some(_) => Err(AppError::invalid(
            "变动方向应为 up、down、out 或 in / direction must be up, down, out or in",
        )),
    }
}

/// The impact of `to` on the caller's pool of `from`, one page of the movers. An authority
/// only (anyone else: not found); its own region's members only.
pub async fn impact(state: &AppState, actor: &Actor, request: &Request<'_>) -> AppResult<Impact> {
    let direction = direction_of(request.direction)?;
    let analysis = analyse(state, actor, request.from, request.to).await?;
    let movers: Vec<MemberMove> = analysis
        .members
        .into_iter()
        .filter(|m| m.direction != "same")
        .filter(|m| direction.is_none_or(|d| m.direction == d.label_en()))
        .collect();
    let total = movers.len();
    let per_page = request.page.size;
    let pages = (total as i64 + per_page - 1) / per_page;
    let movers = movers
        .into_iter()
        .skip(usize::try_from((request.page.number - 1) * per_page).unwrap_or(usize::MAX))
        .take(usize::try_from(per_page).unwrap_or(0))
        .collect();
    Ok(Impact {
        from: analysis.from,
        to: analysis.to,
        region: analysis.region,
        members: analysis.moves.up
            + analysis.moves.down
            + analysis.moves.out
            + analysis.moves.into
            + analysis.moves.same,
        moves: analysis.moves,
        counts: analysis.counts,
        direction: direction.map(|d| d.label_en().to_owned()),
        movers,
        total,
        page: request.page.number,
        per_page,
        pages,
    })
}

/// The whole result as CSV (every member, those who keep their grade included), UTF-8 with a
/// byte-order mark for spreadsheets, cells guarded against formula injection.
pub async fn csv(state: &AppState, actor: &Actor, from: &str, to: &str) -> AppResult<Download> {
    let analysis = analyse(state, actor, from, to).await?;
    let mut out = String::from('\u{feff}');
    out.push_str("member_id,organization,credit_code,region,provider_type,application_id,direction,before,after,before_zh,after_zh,criteria,unread\r\n");
    for m in &analysis.members {
        let criteria: Vec<String> = m
            .criteria
            .iter()
            .map(|c| {
                let slots: Vec<String> = c
                    .slots
                    .iter()
                    .map(|s| {
                        let level = s.stars.map(|n| format!("{n}星：")).unwrap_or_default();
                        format!("{level}{} → {}", s.before, s.after)
                    })
                    .collect();
                format!("{}（{} {}）{}", c.id, c.clause, c.label, slots.join("；"))
            })
            .collect();
        let cells = [
            m.member_id.to_string(),
            m.organization.clone(),
            m.credit_code.clone(),
            m.region.clone(),
            m.provider_type.clone(),
            m.application_id.to_string(),
            m.direction.clone(),
            m.before_en.clone(),
            m.after_en.clone(),
            m.before.clone(),
            m.after.clone(),
            criteria.join("; "),
            m.unread.join("; "),
        ];
        let cells: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    Ok(Download {
        filename: format!("影响分析_{}_{}.csv", analysis.from.id, analysis.to.id),
        media_type: "text/csv; charset=utf-8",
        bytes: out.into_bytes(),
    })
}

/// Re-grades every active member of `from` in the caller's region under `to`.
async fn analyse(state: &AppState, actor: &Actor, from: &str, to: &str) -> AppResult<Analysis> {
    let region = rounds::authority_region(state, actor).await?;
    let (old, new) = chosen(&state.catalog, from, to)?;
    let rows = store::member_declarations(&state.db, &old.id, &region.path).await?;

    // Each member's body as graded: the declared values, the confirmed ones in force, the
    // submitted expert scores (each read for every member at once).
    let mut confirmations: BTreeMap<i64, Vec<store::ConfirmedValue>> = BTreeMap::new();
    for row in store::member_confirmations(&state.db, &old.id, &region.path).await? {
        confirmations
            .entry(row.application_id)
            .or_default()
            .push(row.value);
    }
    let mut scores: BTreeMap<i64, Vec<store::Score>> = BTreeMap::new();
    for row in store::member_scores(&state.db, &old.id, &region.path).await? {
        scores
            .entry(row.application_id)
            .or_default()
            .push(row.score);
    }
    let mut bodies: Vec<Json> = Vec::with_capacity(rows.len());
    for row in &rows {
        let body: Json = serde_json::from_str(&row.body).map_err(AppError::internal)?;
        let confirmed = applications::confirmed_map(
            confirmations
                .get(&row.application_id)
                .map_or(&[][..], Vec::as_slice),
        );
        let sheets = applications::sheets_of(scores.get(&row.application_id).into_iter().flatten());
        bodies.push(applications::with_expert_scores(
            applications::with_confirmed(&body, &confirmed),
            sheets,
        ));
    }

    // One pair of rounds per round the members were graded in.
    let mut sides: BTreeMap<i64, (Round, Round)> = BTreeMap::new();
    for row in &rows {
        if sides.contains_key(&row.round_id) {
            continue;
        }
        let record = store::round(&state.db, row.round_id)
            .await?
            .ok_or_else(|| AppError::internal(format!("member round {}", row.round_id)))?;
        let before = rounds::engine_round(old, &record)?;
        let after = rounds::engine_round(new, &record).unwrap_or_else(|_| Round::from_scheme(new));
        sides.insert(row.round_id, (before, after));
    }
    let regraders: BTreeMap<i64, Regrader<'_>> = sides
        .iter()
        .map(|(id, (before, after))| {
            (
                *id,
                Regrader::new(
                    Side {
                        scheme: old,
                        round: before,
                    },
                    Side {
                        scheme: new,
                        round: after,
                    },
                ),
            )
        })
        .collect();

    let mut movements: Vec<Movement<usize>> = Vec::with_capacity(rows.len());
    for (index, (row, body)) in rows.iter().zip(&bodies).enumerate() {
        let regrader = &regraders[&row.round_id];
        movements.push(regrader.member(Stored {
            member: index,
            provider_type: Some(row.provider_type.as_str()).filter(|t| !t.is_empty()),
            body,
        }));
    }

    let mut counts: BTreeMap<std::cmp::Reverse<Grade>, (usize, usize)> = BTreeMap::new();
    let mut moves = Moves::default();
    for movement in &movements {
        counts
            .entry(std::cmp::Reverse(movement.before))
            .or_default()
            .0 += 1;
        counts
            .entry(std::cmp::Reverse(movement.after))
            .or_default()
            .1 += 1;
        match movement.direction {
            Direction::Up => moves.up += 1,
            Direction::Down => moves.down += 1,
            Direction::Out => moves.out += 1,
            Direction::In => moves.into += 1,
            Direction::Same => moves.same += 1,
        }
    }
    let counts = counts
        .into_iter()
        .map(|(grade, (before, after))| GradeCount {
            grade: grade.0.label_zh(),
            grade_en: grade.0.label_en(),
            before,
            after,
        })
        .collect();
    let members = movements
        .into_iter()
        .map(|movement| {
            let row = &rows[movement.member];
            MemberMove {
                member_id: row.member_id,
                organization: row.organization.clone(),
                credit_code: row.credit_code.clone(),
                region: row.region.clone(),
                provider_type: row.provider_type.clone(),
                type_label: row.type_label.clone(),
                application_id: row.application_id,
                direction: movement.direction.label_en().to_owned(),
                direction_label: movement.direction.label_zh().to_owned(),
                before: movement.before.label_zh(),
                after: movement.after.label_zh(),
                before_en: movement.before.label_en(),
                after_en: movement.after.label_en(),
                criteria: movement
                    .criteria
                    .iter()
                    .map(|c| CriterionMove {
                        id: c.id.clone(),
                        clause: c.clause.clone(),
                        label: c.label.clone(),
                        slots: c
                            .slots
                            .iter()
                            .map(|s| SlotMove {
                                stars: s.stars,
                                before: status_zh(s.before).to_owned(),
                                after: status_zh(s.after).to_owned(),
                                before_en: status_en(s.before).to_owned(),
                                after_en: status_en(s.after).to_owned(),
                            })
                            .collect(),
                    })
                    .collect(),
                unread: movement.unread,
            }
        })
        .collect();
    Ok(Analysis {
        from: SchemeVersion::of(old),
        to: SchemeVersion::of(new),
        region: region.name,
        members,
        counts,
        moves,
    })
}

fn status_zh(status: Option<Status>) -> &'static str {
    status.map_or("无此指标", Status::label)
}

fn status_en(status: Option<Status>) -> &'static str {
    match status {
        None => "absent",
        Some(Status::Met) => "met",
        Some(Status::NotMet) => "not met",
        Some(Status::Exempt) => "exempt",
        Some(Status::Missing) => "missing",
        Some(Status::NotApplicable) => "no requirement",
        Some(Status::MissingParameter) => "awaits a round parameter",
    }
}
