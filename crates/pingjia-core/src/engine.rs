//! The pure grading engine: `(scheme, declaration, round) → evaluation`.
//!
//! The engine never fails and never panics on user data: missing values, unset round
//! parameters and inconsistent input become statuses and diagnostics in the result.
//! It borrows the scheme and the declaration, so evaluating allocates little.

use crate::declaration::{Declaration, Value};
use crate::scheme::{
    Aggregation, Alternative, Criterion, Method, Need, OrgKind, ProfessionalRule, Requirement,
    Scheme, Section, Test,
};
use chrono::{Months, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;

/// The most levels a stars scheme may have.
pub const MAX_LEVELS: usize = 5;

/// The context of a selection round: cut-off date, reference year, authority parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Round {
    /// Durations (注2) are counted to this date.
    pub cutoff: Option<NaiveDate>,
    /// The year that 「2020年度」 figures refer to.
    pub reference_year: Option<i32>,
    /// Values of the scheme's parameters, indexed like [`Scheme::parameters`].
    pub params: Vec<Option<Decimal>>,
    pub aggregation: Aggregation,
    /// Expert scores of an item diverge when max − min exceeds this share of its maximum.
    pub divergence_ratio: Decimal,
    /// The round asks for the materials a scheme marks `optional` (绍兴 第七条（八）「认定主管
    /// 部门要求提供的其他材料」): their absence is then a finding like any other material's.
    pub request_optional_materials: bool,
}

/// A parameter value that could not be set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("参数 {id}：{message_zh} / parameter {id}: {message_en}")]
pub struct ParamError {
    pub id: String,
    pub message_zh: String,
    pub message_en: String,
}

impl Round {
    /// The round the scheme's document describes, with each parameter at its scheme default.
    pub fn from_scheme(scheme: &Scheme) -> Round {
        Round {
            cutoff: scheme.round.cutoff,
            reference_year: scheme.round.reference_year,
            params: scheme.parameters.iter().map(|p| p.default).collect(),
            aggregation: scheme.round.aggregation,
            divergence_ratio: scheme.round.divergence_ratio,
            request_optional_materials: scheme.round.request_optional_materials,
        }
    }

    /// Fills every unset parameter with the scheme's example value (for demonstrations only).
    pub fn use_examples(&mut self, scheme: &Scheme) {
        for (value, parameter) in self.params.iter_mut().zip(&scheme.parameters) {
            if value.is_none() {
                *value = parameter.example;
            }
        }
    }

    /// Sets a parameter from text such as `10000` or `15%`.
    pub fn set_param(&mut self, scheme: &Scheme, id: &str, text: &str) -> Result<(), ParamError> {
        let Some(index) = scheme.parameters.iter().position(|p| p.id == id) else {
            let known: Vec<&str> = scheme.parameters.iter().map(|p| p.id.as_str()).collect();
            return Err(ParamError {
                id: id.to_owned(),
                message_zh: format!(
                    "方案 {} 无此参数；可用参数：{}",
                    scheme.id,
                    known.join("、")
                ),
                message_en: format!(
                    "scheme {} has no such parameter; known: {}",
                    scheme.id,
                    known.join(", ")
                ),
            });
        };
        let unit = scheme.parameters[index].unit;
        let value = unit.parse(text).map_err(|e| ParamError {
            id: id.to_owned(),
            message_zh: format!("给出 “{text}”，应为{}", e.expected_zh),
            message_en: format!("got \"{text}\", expected {}", e.expected_en),
        })?;
        self.params[index] = Some(value);
        Ok(())
    }
}

/// The state of one criterion at one level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Met,
    NotMet,
    /// Not required of this applicant (a note such as 注1 or 注4).
    Exempt,
    /// The declaration carries no value.
    Missing,
    /// `-`: the level has no requirement on this row.
    NotApplicable,
    /// The requirement depends on a round parameter that is not set.
    MissingParameter,
}

impl Status {
    /// Whether the row does not stand in the way of the level.
    pub fn holds(self) -> bool {
        matches!(self, Status::Met | Status::Exempt | Status::NotApplicable)
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Met => "满足",
            Status::NotMet => "不满足",
            Status::Exempt => "免于要求",
            Status::Missing => "未填写",
            Status::NotApplicable => "无要求",
            Status::MissingParameter => "待批次设定参数",
        }
    }
}

/// The result of evaluating one declaration.
#[derive(Debug, Clone)]
pub struct Evaluation<'a> {
    pub scheme: &'a Scheme,
    pub declaration: &'a Declaration,
    pub round: &'a Round,
    pub provider_type: Option<usize>,
    pub org_kind: OrgKind,
    pub outcome: Outcome,
    /// One finding per criterion that applies, in scheme order.
    pub findings: Vec<Finding<'a>>,
    /// For each level above the grade (stars) or each unmet part (capability), what must change.
    pub gaps: Vec<Gap>,
    pub diagnostics: Vec<Diagnostic>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Stars {
        /// 0 means 不予定级.
        stars: u8,
        /// The level index reached (into `scheme.levels`), if any.
        level: Option<usize>,
        /// The subclass through which the 专业要求 hold (any-subclass rule).
        via_subclass: Option<usize>,
        /// Every subclass through which the grade's level holds (the first is `via_subclass`).
        paths: Vec<usize>,
        /// Granted by the 省重点平台 shortcut rather than the table.
        via_shortcut: bool,
        gates_met: bool,
    },
    Rubric {
        eligible: bool,
        /// `None` until at least one expert has scored.
        score: Option<Decimal>,
        max_score: Decimal,
        self_score: Option<Decimal>,
        experts: usize,
    },
    Capability {
        /// Status of each part, indexed like [`Scheme::parts`].
        parts: Vec<Status>,
    },
}

/// What the engine found for one criterion.
#[derive(Debug, Clone)]
pub struct Finding<'a> {
    pub criterion: &'a Criterion,
    pub declared: Option<&'a Value>,
    pub confirmed: Option<&'a Value>,
    /// Status per level (stars) or the single status at index 0.
    pub statuses: [Status; MAX_LEVELS],
    pub slots: u8,
    /// The note (注) that exempted or changed the row for this applicant.
    pub applied_note: Option<usize>,
    /// The override in force (注3), as an index into the criterion's overrides.
    pub applied_override: Option<usize>,
    /// Rubric items: each expert's score, the aggregate and whether experts diverge.
    pub scores: Option<ScoreFinding>,
    /// Records criteria: how many records qualify.
    pub qualifying_records: Option<u32>,
    /// Records criteria: each record and the conditions (indices) it fails.
    pub records: Vec<RecordOutcome<'a>>,
    /// Why a row does not count for this applicant, when that is not a note (注).
    pub remark: Option<Remark>,
}

/// One record of a records criterion and the conditions it fails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordOutcome<'a> {
    pub key: &'a str,
    /// Indices into the criterion's conditions; empty when the record qualifies.
    pub failing: Vec<usize>,
    /// Those of `failing` that wait on an unset round parameter (the record may yet qualify).
    pub undetermined: Vec<usize>,
    /// A record whose key repeats an earlier one counts once.
    pub duplicate: bool,
}

/// Reasons a row is set aside that come from the declaration rather than from a note.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Remark {
    /// A subclass the applicant did not apply for (申报子类).
    SubclassNotDeclared,
    /// The 省重点平台 shortcut was not claimed.
    ShortcutNotClaimed,
    /// Exempt through the subclass the grade rests on (注4).
    ExemptViaSubclass,
}

impl Finding<'_> {
    /// The value the grade uses: the confirmed one if any, else the declared one.
    pub fn used(&self) -> Option<&Value> {
        self.confirmed.or(self.declared)
    }

    pub fn status(&self, slot: usize) -> Status {
        self.statuses[slot.min(self.slots as usize - 1)]
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScoreFinding {
    pub by_expert: Vec<Option<Decimal>>,
    pub aggregate: Option<Decimal>,
    pub self_score: Option<Decimal>,
    pub divergent: bool,
}

/// What must change to reach one higher level (or one unmet part).
#[derive(Debug, Clone, PartialEq)]
pub struct Gap {
    /// Level index (stars) or part index (capability); `None` for eligibility (rubric).
    pub target: Option<usize>,
    pub via_subclass: Option<usize>,
    /// Criteria (as indices into `findings`) that must change, with the level slot to read.
    pub changes: Vec<(usize, usize)>,
    /// Parts that must be met first (capability).
    pub required_parts: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub code: &'static str,
    pub message_zh: String,
    pub message_en: String,
}

/// Evaluates a declaration under a scheme for a round.
pub fn evaluate<'a>(
    scheme: &'a Scheme,
    declaration: &'a Declaration,
    round: &'a Round,
) -> Evaluation<'a> {
    evaluate_with(scheme, declaration, round, true)
}

/// The outcome alone: the same as `evaluate(…).outcome`, without the gap analysis (what each
/// higher level lacks), for grading many declarations where few need the explanation.
pub fn grade(scheme: &Scheme, declaration: &Declaration, round: &Round) -> Outcome {
    evaluate_with(scheme, declaration, round, false).outcome
}

fn evaluate_with<'a>(
    scheme: &'a Scheme,
    declaration: &'a Declaration,
    round: &'a Round,
    with_gaps: bool,
) -> Evaluation<'a> {
    let mut diagnostics = Vec::new();
    let org_kind = declaration.organization.kind.unwrap_or_else(|| {
        diagnostics.push(Diagnostic {
            code: "org_kind_assumed",
            message_zh: "未填写单位性质，按企业处理".into(),
            message_en: "organisation kind not given; read as 企业 (enterprise)".into(),
        });
        OrgKind::Enterprise
    });
    let provider_type = declaration.provider_type;
    let context = Context {
        scheme,
        declaration,
        round,
        org_kind,
    };
    let slots = scheme.slots();
    // Sized first: the filter gives no size hint, and growing the vector by reallocation was
    // a quarter of the evaluation (docs/benchmarks.md).
    let applying = scheme
        .criteria
        .iter()
        .filter(|c| scheme.applies_to(c, provider_type))
        .count();
    let mut findings: Vec<Finding<'a>> = Vec::with_capacity(applying);
    findings.extend(
        scheme
            .criteria
            .iter()
            .enumerate()
            .filter(|(_, c)| scheme.applies_to(c, provider_type))
            .map(|(index, criterion)| context.finding(index, criterion, slots)),
    );
    let waiting_on_cutoff = findings.iter().any(|f| {
        uses_cutoff(&f.criterion.test)
            && (0..f.slots as usize).any(|slot| f.status(slot) == Status::MissingParameter)
    });
    if round.cutoff.is_none() && waiting_on_cutoff {
        diagnostics.push(Diagnostic {
            code: "cutoff_missing",
            message_zh: "批次未设定截止日期，无法计算时间类指标".into(),
            message_en: "the round sets no cut-off date; durations cannot be counted".into(),
        });
    }
    let mut evaluation = Evaluation {
        scheme,
        declaration,
        round,
        provider_type,
        org_kind,
        outcome: Outcome::Capability { parts: Vec::new() },
        findings,
        gaps: Vec::new(),
        diagnostics,
    };
    match scheme.method {
        Method::Stars => grade_stars(&mut evaluation, with_gaps),
        Method::Rubric => score_rubric(&mut evaluation),
        Method::Capability => assess_capability(&mut evaluation),
    }
    evaluation
}

fn uses_cutoff(test: &Test) -> bool {
    match test {
        Test::Levels { requirements, .. } => requirements
            .iter()
            .flatten()
            .any(|r| matches!(r, Requirement::YearsAtLeast(_))),
        Test::NotWithinYears { .. } => true,
        _ => false,
    }
}

struct Context<'a> {
    scheme: &'a Scheme,
    declaration: &'a Declaration,
    round: &'a Round,
    org_kind: OrgKind,
}

impl<'a> Context<'a> {
    fn finding(&self, index: usize, criterion: &'a Criterion, slots: usize) -> Finding<'a> {
        let declaration = self.declaration;
        let field = match &criterion.test {
            Test::Levels { field, .. }
            | Test::NotWithinYears { field, .. }
            | Test::OneOf { field }
            | Test::Records { field, .. } => Some(*field),
            Test::AnyOf { .. } | Test::Score { .. } => None,
        };
        let declared = field.and_then(|f| declaration.declared.get(f)?.as_ref());
        let confirmed = field.and_then(|f| declaration.confirmed.get(f)?.as_ref());
        let criterion_slots = match &criterion.test {
            Test::Levels { requirements, .. } => requirements.len(),
            Test::AnyOf { alternatives } => {
                alternatives.first().map_or(1, |a| a.requirements.len())
            }
            _ => 1,
        }
        .min(slots)
        .max(1);
        let mut finding = Finding {
            criterion,
            declared,
            confirmed,
            statuses: [Status::NotApplicable; MAX_LEVELS],
            slots: criterion_slots as u8,
            applied_note: None,
            applied_override: None,
            scores: None,
            qualifying_records: None,
            records: Vec::new(),
            remark: None,
        };
        let exempt_note = criterion
            .exempt_org_kinds
            .as_ref()
            .filter(|(_, kinds)| kinds.contains(&self.org_kind))
            .map(|(note, _)| *note);
        let used = confirmed.or(declared);
        match &criterion.test {
            Test::Levels { .. } if criterion.optional && !self.round.request_optional_materials => {
                // Requested only when the round asks for it (docs/readings.md §3.3): provided
                // counts, absent is no finding. A round that asks reads the row like any other.
                finding.statuses[0] = match used {
                    Some(Value::Bool(true)) => Status::Met,
                    _ => Status::NotApplicable,
                };
            }
            Test::Levels { requirements, .. } => {
                for (slot, requirement) in requirements.iter().enumerate().take(criterion_slots) {
                    let mut requirement = requirement.as_ref();
                    if let Some((position, over)) = criterion
                        .overrides
                        .iter()
                        .enumerate()
                        .find(|(_, o)| o.level == slot && o.org_kinds.contains(&self.org_kind))
                    {
                        requirement = Some(&over.requirement);
                        finding.applied_override = Some(position);
                        finding.applied_note = Some(over.note);
                    }
                    finding.statuses[slot] = match (requirement, exempt_note) {
                        (None, _) => Status::NotApplicable,
                        (Some(_), Some(note)) => {
                            finding.applied_note = Some(note);
                            Status::Exempt
                        }
                        (Some(requirement), None) => self.check(requirement, used),
                    };
                }
            }
            Test::NotWithinYears { years, .. } => {
                finding.statuses[0] = match (used, self.round.cutoff) {
                    (None, _) => Status::Missing,
                    (Some(Value::NoDate), _) => Status::Met,
                    (Some(_), None) => Status::MissingParameter,
                    (Some(Value::Date(date)), Some(cutoff)) => {
                        status_of(!barred_on(*date, *years, cutoff))
                    }
                    (Some(_), _) => Status::NotMet,
                };
            }
            Test::OneOf { .. } => finding.statuses[0] = one_of(used),
            Test::AnyOf { alternatives } => {
                for slot in 0..criterion_slots {
                    let value_of = |field: usize| {
                        declaration
                            .confirmed
                            .get(field)
                            .and_then(Option::as_ref)
                            .or_else(|| declaration.declared.get(field)?.as_ref())
                    };
                    finding.statuses[slot] =
                        match (self.any_of(alternatives, slot, value_of), exempt_note) {
                            (None, _) => Status::NotApplicable,
                            (Some(_), Some(note)) => {
                                finding.applied_note = Some(note);
                                Status::Exempt
                            }
                            (Some(status), None) => status,
                        };
                }
            }
            Test::Score { max, .. } => {
                finding.scores = Some(self.scores(index, *max));
                finding.statuses[0] = Status::NotApplicable;
            }
            Test::Records {
                count, conditions, ..
            } => {
                let (status, qualifying, records) = self.records(used, count, conditions);
                finding.statuses[0] = status;
                finding.qualifying_records = qualifying;
                finding.records = records;
            }
        }
        self.set_aside(&mut finding, used);
        finding
    }

    /// Rows that do not count for this applicant whatever their value: subclasses not applied
    /// for (any-subclass rule) and an unclaimed shortcut.
    fn set_aside(&self, finding: &mut Finding<'a>, used: Option<&Value>) {
        let criterion = finding.criterion;
        let remark = match criterion.section {
            Section::Shortcut if used != Some(&Value::Bool(true)) => {
                Some(Remark::ShortcutNotClaimed)
            }
            Section::Professional => {
                let any_rule = criterion.provider_type.is_some_and(|t| {
                    self.scheme.provider_types[t].professional == ProfessionalRule::AnySubclass
                });
                let declared = self.declaration.subclasses.as_ref();
                (any_rule
                    && declared
                        .is_some_and(|list| criterion.subclass.is_some_and(|s| !list.contains(&s))))
                .then_some(Remark::SubclassNotDeclared)
            }
            _ => None,
        };
        if remark.is_some() {
            finding.remark = remark;
            finding.statuses = [Status::NotApplicable; MAX_LEVELS];
        }
    }

    fn need(&self, need: &Need) -> Option<Decimal> {
        match need {
            Need::Fixed(value) => Some(*value),
            Need::Param(index) => self.round.params.get(*index).copied().flatten(),
        }
    }

    /// One requirement against one value. An undeclared value is missing whatever the round
    /// sets; only a declared value can wait on a parameter (docs/readings.md §1.3).
    fn check(&self, requirement: &Requirement, value: Option<&Value>) -> Status {
        let Some(value) = value else {
            return Status::Missing;
        };
        if let Requirement::AtLeast(need) = requirement
            && self.need(need).is_none()
        {
            return Status::MissingParameter;
        }
        match (requirement, value) {
            (Requirement::AtLeast(need), Value::Number(number)) => {
                status_of(self.need(need).is_some_and(|n| *number >= n))
            }
            (Requirement::Yes, Value::Bool(answer)) => status_of(*answer),
            (Requirement::OrdinalAtLeast(wanted), Value::Level(level)) => {
                status_of(level.is_some_and(|l| l >= *wanted))
            }
            (Requirement::ItemsAtLeast(wanted), Value::Items(bits)) => {
                status_of(bits.count_ones() >= *wanted)
            }
            (Requirement::YearsAtLeast(years), Value::Date(date)) => match self.round.cutoff {
                None => Status::MissingParameter,
                Some(cutoff) => {
                    status_of(anniversary(*date, *years).is_some_and(|end| end <= cutoff))
                }
            },
            _ => Status::NotMet,
        }
    }

    fn scores(&self, index: usize, max: Decimal) -> ScoreFinding {
        let by_expert: Vec<Option<Decimal>> = self
            .declaration
            .experts
            .iter()
            .map(|expert| expert.scores.get(index).copied().flatten())
            .collect();
        let mut given: Vec<Decimal> = by_expert.iter().flatten().copied().collect();
        given.sort_unstable();
        let aggregate = aggregate(&given, self.round.aggregation);
        let divergent = crate::panel::diverges(&given, max, self.round.divergence_ratio);
        ScoreFinding {
            by_expert,
            aggregate,
            self_score: self.declaration.self_scores.get(index).copied().flatten(),
            divergent,
        }
    }

    /// An `any_of` row at one level: met when any alternative is met. `None` when no
    /// alternative has a requirement at this level. An undeclared alternative is missing, never
    /// waiting on its parameter: the row waits on a parameter only when a declared value does,
    /// and is missing only when no alternative is declared (docs/readings.md §1.3).
    fn any_of<'v>(
        &self,
        alternatives: &[Alternative],
        slot: usize,
        value_of: impl Fn(usize) -> Option<&'v Value>,
    ) -> Option<Status> {
        let mut any_required = false;
        let mut any_value = false;
        let mut waiting = false;
        let mut unselected = false;
        let mut selected = false;
        for alternative in alternatives {
            let Some(requirement) = alternative.requirements.get(slot).and_then(Option::as_ref)
            else {
                continue;
            };
            any_required = true;
            // Only the alternative of the declared type counts (离散行业 → devices, 流程行业 →
            // process data points; docs/readings.md §4.3).
            if let Some((selector, option)) = alternative.when {
                match value_of(selector) {
                    None => {
                        unselected = true;
                        continue;
                    }
                    Some(Value::Choice(chosen)) if *chosen == option => {}
                    Some(_) => continue,
                }
            }
            selected = true;
            let value = value_of(alternative.field);
            any_value |= value.is_some();
            match self.check(requirement, value) {
                Status::Met => return Some(Status::Met),
                Status::MissingParameter => waiting = true,
                _ => {}
            }
        }
        any_required.then_some(if unselected {
            // The type that picks the alternative is not declared.
            Status::Missing
        } else if !selected {
            // The declared type is not one any alternative counts for.
            Status::NotMet
        } else if waiting {
            Status::MissingParameter
        } else if any_value {
            Status::NotMet
        } else {
            Status::Missing
        })
    }

    /// A records row: at least `count` distinct records meeting every condition. It waits on a
    /// parameter only when the records that could still qualify — those failing nothing but
    /// conditions that wait on a parameter — could reach the count (docs/readings.md §1.3).
    fn records(
        &self,
        value: Option<&'a Value>,
        count: &Need,
        conditions: &[Criterion],
    ) -> (Status, Option<u32>, Vec<RecordOutcome<'a>>) {
        let Some(Value::Records(records)) = value else {
            return (Status::Missing, None, Vec::new());
        };
        let mut outcomes: Vec<RecordOutcome<'a>> = Vec::with_capacity(records.len());
        for record in records {
            let mut failing = Vec::new();
            let mut undetermined = Vec::new();
            let value_of = |field: usize| record.values.get(field).and_then(Option::as_ref);
            for (index, condition) in conditions.iter().enumerate() {
                let status = match &condition.test {
                    Test::Levels {
                        field,
                        requirements,
                    } => match requirements.first().and_then(Option::as_ref) {
                        Some(requirement) => self.check(requirement, value_of(*field)),
                        None => Status::NotApplicable,
                    },
                    Test::AnyOf { alternatives } => self
                        .any_of(alternatives, 0, value_of)
                        .unwrap_or(Status::NotApplicable),
                    Test::OneOf { field } => one_of(value_of(*field)),
                    _ => Status::NotMet,
                };
                if status == Status::MissingParameter {
                    undetermined.push(index);
                }
                if !status.holds() {
                    failing.push(index);
                }
            }
            let duplicate = outcomes.iter().any(|o| o.key == record.key.as_str());
            outcomes.push(RecordOutcome {
                key: &record.key,
                failing,
                undetermined,
                duplicate,
            });
        }
        let counted = || outcomes.iter().filter(|o| !o.duplicate);
        let qualifying = counted().filter(|o| o.failing.is_empty()).count() as u32;
        let open = counted()
            .filter(|o| !o.failing.is_empty() && o.failing.len() == o.undetermined.len())
            .count() as u32;
        let status = match self.need(count) {
            None => Status::MissingParameter,
            Some(wanted) if Decimal::from(qualifying) >= wanted => Status::Met,
            Some(wanted) if Decimal::from(qualifying + open) >= wanted => Status::MissingParameter,
            Some(_) => Status::NotMet,
        };
        (status, Some(qualifying), outcomes)
    }
}

/// A choice row: met by a listed option. A value outside the listed options is a failed
/// criterion, not an input error (docs/readings.md §1.4).
fn one_of(value: Option<&Value>) -> Status {
    match value {
        None => Status::Missing,
        Some(Value::Choice(_)) => Status::Met,
        Some(_) => Status::NotMet,
    }
}

fn status_of(met: bool) -> Status {
    if met { Status::Met } else { Status::NotMet }
}

/// The N-th anniversary of a date: the corresponding day N years later, or the last day of
/// that month when it has no corresponding day (29 February → 28 February), as 民法典
/// 第二百零二条 ends a period counted in years (docs/readings.md §1.2, §2.9).
pub fn anniversary(date: NaiveDate, years: u32) -> Option<NaiveDate> {
    date.checked_add_months(Months::new(years.checked_mul(12)?))
}

/// The last day of a bar of `years` years that follows an event (三、1 黑名单「取消其3年内申报
/// 资格」, 第十一条「3年内不再受理」). 民法典 第二百零一条: the period starts the day after the
/// event; 第二百零二条: its last day is the corresponding day of the last year (the N-th
/// anniversary), or the last day of that month when there is none. The last day is still
/// barred (docs/readings.md §1.2). `None` when the date would overflow.
pub fn bar_last_day(event: NaiveDate, years: u32) -> Option<NaiveDate> {
    anniversary(event, years)
}

/// Whether `day` falls inside the bar of `years` years that follows `event`: through the N-th
/// anniversary inclusive; free from the day after.
pub fn barred_on(event: NaiveDate, years: u32, day: NaiveDate) -> bool {
    bar_last_day(event, years).is_none_or(|last| day <= last)
}

fn aggregate(sorted: &[Decimal], aggregation: Aggregation) -> Option<Decimal> {
    let used = match aggregation {
        Aggregation::TrimmedMean if sorted.len() >= 3 => &sorted[1..sorted.len() - 1],
        _ => sorted,
    };
    if used.is_empty() {
        return None;
    }
    let sum: Decimal = used.iter().sum();
    Some(sum / Decimal::from(used.len()))
}

fn grade_stars(evaluation: &mut Evaluation<'_>, with_gaps: bool) {
    let scheme = evaluation.scheme;
    let slots = scheme.levels.len();
    let Some(type_index) = evaluation.provider_type else {
        evaluation.outcome = Outcome::Stars {
            stars: 0,
            level: None,
            via_subclass: None,
            paths: Vec::new(),
            via_shortcut: false,
            gates_met: false,
        };
        return;
    };
    let provider_type = &scheme.provider_types[type_index];
    let rule = provider_type.professional;
    let candidates: Vec<Option<usize>> = match rule {
        ProfessionalRule::AllSubclasses => {
            if evaluation
                .declaration
                .subclasses
                .as_ref()
                .is_some_and(|s| s.len() != provider_type.subclasses.len())
            {
                evaluation.diagnostics.push(Diagnostic {
                    code: "all_subclasses_required",
                    message_zh: format!("{}须满足全部子类要求，申报子类的选择不影响定级", provider_type.title),
                    message_en: format!("{} must meet every subclass; the subclasses chosen do not change the grade", provider_type.title_en),
                });
            }
            vec![None]
        }
        ProfessionalRule::AnySubclass => match &evaluation.declaration.subclasses {
            Some(chosen) => chosen.iter().copied().map(Some).collect(),
            None => (0..provider_type.subclasses.len()).map(Some).collect(),
        },
    };
    let findings = &evaluation.findings;
    let gates_met = findings
        .iter()
        .filter(|f| f.criterion.section == Section::Gate)
        .all(|f| f.status(0).holds());

    // Whether a row stands in the way of `slot` when the professional requirement is met
    // through `path` (None: all subclasses).
    let blocks = |finding: &Finding<'_>, slot: usize, path: Option<usize>| -> bool {
        let criterion = finding.criterion;
        let relevant = match criterion.section {
            Section::Gate | Section::Basic | Section::Service => true,
            Section::Professional => path.is_none() || criterion.subclass == path,
            _ => false,
        };
        if !relevant || finding.status(slot).holds() {
            return false;
        }
        let exempt_via_path = criterion
            .exempt_via_subclasses
            .as_ref()
            .is_some_and(|(_, subclasses)| path.is_some_and(|p| subclasses.contains(&p)));
        !exempt_via_path
    };
    // Whether nothing stands in the way (no list built: the search asks this many times).
    let clear = |slot: usize, path: Option<usize>| -> bool {
        !findings.iter().any(|finding| blocks(finding, slot, path))
    };
    // The rows standing in the way, for the gap analysis.
    let blockers = |slot: usize, path: Option<usize>| -> Vec<(usize, usize)> {
        findings
            .iter()
            .enumerate()
            .filter(|(_, finding)| blocks(finding, slot, path))
            .map(|(index, finding)| {
                (
                    index,
                    if finding.criterion.section == Section::Gate {
                        0
                    } else {
                        slot
                    },
                )
            })
            .collect()
    };

    let mut reached: Option<(usize, Option<usize>)> = None;
    for slot in (0..slots).rev() {
        if let Some(path) = candidates.iter().copied().find(|path| clear(slot, *path)) {
            reached = Some((slot, path));
            break;
        }
    }
    let shortcut_met = findings
        .iter()
        .any(|f| f.criterion.section == Section::Shortcut && f.status(0) == Status::Met);
    let via_shortcut = reached.is_none() && shortcut_met && gates_met && slots > 0;
    if via_shortcut {
        reached = Some((0, None));
    }

    let first_gap = if with_gaps {
        reached.map_or(0, |(slot, _)| slot + 1)
    } else {
        slots
    };
    let mut gaps = Vec::new();
    for slot in first_gap..slots {
        let best = candidates
            .iter()
            .map(|path| (*path, blockers(slot, *path)))
            .min_by_key(|(_, changes)| changes.len());
        let Some((mut path, mut changes)) = best else {
            continue;
        };
        // A claimed shortcut reaches the lowest level once the gates hold.
        if slot == 0 && shortcut_met {
            let gates: Vec<(usize, usize)> = changes
                .iter()
                .copied()
                .filter(|(index, _)| findings[*index].criterion.section == Section::Gate)
                .collect();
            if gates.len() < changes.len() {
                changes = gates;
                path = None;
            }
        }
        gaps.push(Gap {
            target: Some(slot),
            via_subclass: path,
            changes,
            required_parts: Vec::new(),
        });
    }
    let paths: Vec<usize> = match reached {
        Some((slot, Some(_))) if !via_shortcut => candidates
            .iter()
            .flatten()
            .copied()
            .filter(|p| clear(slot, Some(*p)))
            .collect(),
        _ => Vec::new(),
    };
    evaluation.gaps = gaps;
    // Rows exempt through the subclass the grade rests on (注4) are shown as exempt.
    if let Some(&path) = paths.first() {
        for finding in &mut evaluation.findings {
            if let Some((note, subclasses)) = &finding.criterion.exempt_via_subclasses
                && subclasses.contains(&path)
            {
                for slot in 0..finding.slots as usize {
                    if !finding.statuses[slot].holds() {
                        finding.statuses[slot] = Status::Exempt;
                    }
                }
                finding.applied_note = Some(*note);
                finding.remark = Some(Remark::ExemptViaSubclass);
            }
        }
    }
    evaluation.outcome = Outcome::Stars {
        stars: reached.map_or(0, |(slot, _)| scheme.levels[slot].stars),
        level: reached.map(|(slot, _)| slot),
        via_subclass: reached.and_then(|(_, path)| path),
        paths,
        via_shortcut,
        gates_met,
    };
}

fn score_rubric(evaluation: &mut Evaluation<'_>) {
    let findings = &evaluation.findings;
    let blocking: Vec<(usize, usize)> = findings
        .iter()
        .enumerate()
        .filter(|(_, f)| match f.criterion.section {
            Section::Gate => true,
            Section::Material => {
                !f.criterion.optional || evaluation.round.request_optional_materials
            }
            _ => false,
        })
        .filter(|(_, f)| !f.status(0).holds())
        .map(|(index, _)| (index, 0))
        .collect();
    let eligible = blocking.is_empty();
    let items: Vec<&ScoreFinding> = findings.iter().filter_map(|f| f.scores.as_ref()).collect();
    let experts = evaluation.declaration.experts.len();
    let score = (experts > 0).then(|| items.iter().filter_map(|s| s.aggregate).sum());
    let self_scores: Vec<Decimal> = items.iter().filter_map(|s| s.self_score).collect();
    let self_score = (!self_scores.is_empty()).then(|| self_scores.iter().sum());
    if experts > 0 {
        let missing: usize = items
            .iter()
            .map(|s| s.by_expert.iter().filter(|v| v.is_none()).count())
            .sum();
        if missing > 0 {
            evaluation.diagnostics.push(Diagnostic {
                code: "expert_scores_incomplete",
                message_zh: format!("有 {missing} 项专家评分未填写，相应指标按已有评分汇总"),
                message_en: format!(
                    "{missing} expert scores are missing; those items aggregate the scores given"
                ),
            });
        }
        if evaluation.round.aggregation == Aggregation::TrimmedMean && experts < 3 {
            evaluation.diagnostics.push(Diagnostic {
                code: "trimmed_mean_needs_three",
                message_zh: "去掉最高分和最低分至少需要3名专家，本次按算术平均汇总".into(),
                message_en: "a trimmed mean needs at least three experts; the plain mean is used"
                    .into(),
            });
        }
    }
    if !eligible {
        evaluation.gaps.push(Gap {
            target: None,
            via_subclass: None,
            changes: blocking,
            required_parts: Vec::new(),
        });
    }
    evaluation.outcome = Outcome::Rubric {
        eligible,
        score,
        max_score: evaluation.scheme.max_score.unwrap_or_default(),
        self_score,
        experts,
    };
}

fn assess_capability(evaluation: &mut Evaluation<'_>) {
    let scheme = evaluation.scheme;
    let mut parts: Vec<Status> = Vec::with_capacity(scheme.parts.len());
    // What each part lacks, including what the parts it requires lack.
    let mut lacking: Vec<Vec<(usize, usize)>> = Vec::with_capacity(scheme.parts.len());
    let gates_hold = evaluation
        .findings
        .iter()
        .filter(|f| f.criterion.section == Section::Gate)
        .all(|f| f.status(0).holds());
    for (part_index, part) in scheme.parts.iter().enumerate() {
        let own: Vec<(usize, Status)> = evaluation
            .findings
            .iter()
            .enumerate()
            .filter(|(_, f)| f.criterion.part == Some(part_index))
            .map(|(index, f)| (index, f.status(0)))
            .collect();
        let failing: Vec<(usize, usize)> = own
            .iter()
            .filter(|(_, s)| !s.holds())
            .map(|(index, _)| (*index, 0))
            .collect();
        let unmet_parts: Vec<usize> = part
            .requires
            .iter()
            .copied()
            .filter(|p| parts[*p] != Status::Met)
            .collect();
        let undetermined = own.iter().any(|(_, s)| *s == Status::MissingParameter)
            || part
                .requires
                .iter()
                .any(|p| parts[*p] == Status::MissingParameter);
        let any_failed = own
            .iter()
            .any(|(_, s)| matches!(s, Status::NotMet | Status::Missing))
            || part
                .requires
                .iter()
                .any(|p| matches!(parts[*p], Status::NotMet | Status::Missing));
        let status = if failing.is_empty() && unmet_parts.is_empty() && gates_hold {
            Status::Met
        } else if any_failed || !gates_hold {
            Status::NotMet
        } else if undetermined {
            Status::MissingParameter
        } else {
            Status::NotMet
        };
        let mut changes = Vec::new();
        for required in &part.requires {
            for change in &lacking[*required] {
                if !changes.contains(change) {
                    changes.push(*change);
                }
            }
        }
        for change in failing {
            if !changes.contains(&change) {
                changes.push(change);
            }
        }
        if status != Status::Met {
            evaluation.gaps.push(Gap {
                target: Some(part_index),
                via_subclass: None,
                changes: changes.clone(),
                required_parts: unmet_parts,
            });
        }
        lacking.push(changes);
        parts.push(status);
    }
    evaluation.outcome = Outcome::Capability { parts };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anniversary_follows_the_civil_code() {
        let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(anniversary(date(2020, 6, 30), 1), Some(date(2021, 6, 30)));
        assert_eq!(anniversary(date(2020, 2, 29), 1), Some(date(2021, 2, 28)));
        assert_eq!(anniversary(date(2019, 7, 1), 2), Some(date(2021, 7, 1)));
    }

    #[test]
    fn a_three_year_bar_runs_through_the_third_anniversary() {
        let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        // 民法典 第二百零一条/第二百零二条: counted from the day after, ending on the anniversary.
        assert_eq!(bar_last_day(date(2018, 6, 30), 3), Some(date(2021, 6, 30)));
        assert!(barred_on(date(2018, 6, 30), 3, date(2018, 6, 30)));
        assert!(barred_on(date(2018, 6, 30), 3, date(2021, 6, 29)));
        assert!(barred_on(date(2018, 6, 30), 3, date(2021, 6, 30)));
        assert!(!barred_on(date(2018, 6, 30), 3, date(2021, 7, 1)));
        // A leap-day event: 2027 has no 29 February, so the bar ends on the month's last day.
        assert_eq!(bar_last_day(date(2024, 2, 29), 3), Some(date(2027, 2, 28)));
        assert!(barred_on(date(2024, 2, 29), 3, date(2027, 2, 28)));
        assert!(!barred_on(date(2024, 2, 29), 3, date(2027, 3, 1)));
        // Four years on, 2028 has a 29 February again.
        assert_eq!(bar_last_day(date(2024, 2, 29), 4), Some(date(2028, 2, 29)));
    }

    #[test]
    fn trimmed_mean_drops_one_highest_and_one_lowest() {
        let scores: Vec<Decimal> = [2, 7, 8, 9, 10].iter().map(|v| Decimal::from(*v)).collect();
        assert_eq!(
            aggregate(&scores, Aggregation::TrimmedMean),
            Some(Decimal::from(8))
        );
        assert_eq!(
            aggregate(&scores, Aggregation::Mean),
            Some(Decimal::new(72, 1))
        );
        assert_eq!(
            aggregate(&scores[..2], Aggregation::TrimmedMean),
            Some(Decimal::new(45, 1))
        );
        assert_eq!(aggregate(&[], Aggregation::Mean), None);
    }
}
