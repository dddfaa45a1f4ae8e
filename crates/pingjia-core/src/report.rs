//! Explanations: an [`Evaluation`] turned into words a reviewer accepts — a serialisable
//! [`Report`] (the `--json` output) and its plain-text and Markdown renderings.

use crate::declaration::Value;
use crate::engine::{Evaluation, Finding, Outcome, Remark, Status};
use crate::scheme::{FieldKind, Requirement, Scheme, Section, Test};
use crate::units::round_half_up;
use rust_decimal::Decimal;
use serde::Serialize;
use std::fmt::Write as _;

/// A self-contained explanation of one evaluation.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub scheme: String,
    pub scheme_title: String,
    pub scheme_version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_type_title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    pub organization_kind: &'static str,
    pub round: RoundReport,
    /// Stars reached; 0 = 不予定级 (stars method only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stars: Option<u8>,
    /// The grade in words: 三星/四星/五星/不予定级, 符合申报条件/不符合申报条件, or the parts met.
    pub grade: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grade_basis: Option<String>,
    /// Total of the aggregated expert scores (rubric method only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_score: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub self_score: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eligible: Option<bool>,
    /// The experts who scored (rubric method), in the order of each item's `scores.by_expert`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub experts: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<PartReport>,
    pub findings: Vec<FindingReport>,
    pub gaps: Vec<GapReport>,
    pub diagnostics: Vec<crate::engine::Diagnostic>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RoundReport {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cutoff: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference_year: Option<i32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<(String, String)>,
    /// The round asks for the materials the scheme marks optional (第七条（八）).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub request_optional_materials: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct PartReport {
    pub id: String,
    pub title: String,
    pub status: Status,
}

#[derive(Debug, Clone, Serialize)]
pub struct FindingReport {
    pub id: String,
    pub section: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    pub label: String,
    pub clause: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub declared: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirmed: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub used: Option<String>,
    /// The requirement and status at each level (or the single requirement).
    pub levels: Vec<LevelReport>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<String>,
    /// A rubric item's scores, for a table (the explanation says the same in words).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scores: Option<ScoresReport>,
}

/// The scores of one rubric item.
#[derive(Debug, Clone, Serialize)]
pub struct ScoresReport {
    /// The item's maximum.
    pub max: Decimal,
    /// Each expert's score, in the order of [`Report::experts`]; `None` when not given.
    pub by_expert: Vec<Option<Decimal>>,
    /// The aggregate (rounded half up to two places), when any expert scored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aggregate: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub self_score: Option<Decimal>,
    /// The experts' scores diverge (a review is advised).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub divergent: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct LevelReport {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    pub requirement: String,
    pub status: Status,
}

#[derive(Debug, Clone, Serialize)]
pub struct GapReport {
    /// What the gap leads to: a level (四星), a part, or 申报资格.
    pub target: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stars: Option<u8>,
    /// The subclass the gap is measured through, by its title (接入能力).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via_subclass: Option<String>,
    /// The same subclass by id (`access`), as declarations name it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via_subclass_id: Option<String>,
    pub changes: Vec<ChangeReport>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub required_parts: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChangeReport {
    pub id: String,
    pub label: String,
    pub current: String,
    pub required: String,
    pub status: Status,
}

/// Builds the explanation of an evaluation.
pub fn report(evaluation: &Evaluation<'_>) -> Report {
    let scheme = evaluation.scheme;
    let year = evaluation.round.reference_year;
    let provider_type = evaluation.provider_type.map(|t| &scheme.provider_types[t]);
    let level_label = |slot: usize| scheme.levels.get(slot).map(|l| l.label.clone());
    // Reports are read by people: subclasses by their titles (the ids are in `via_subclass_id`).
    let subclass_title = |subclass: Option<usize>| {
        subclass.and_then(|s| provider_type.map(|t| t.subclasses[s].title.clone()))
    };
    let subclass_id = |subclass: Option<usize>| {
        subclass.and_then(|s| provider_type.map(|t| t.subclasses[s].id.clone()))
    };

    let findings: Vec<FindingReport> = evaluation
        .findings
        .iter()
        .map(|finding| finding_report(scheme, evaluation, finding, year))
        .collect();

    let gaps = evaluation
        .gaps
        .iter()
        .map(|gap| {
            let (target, stars) = match (&evaluation.outcome, gap.target) {
                (Outcome::Stars { .. }, Some(slot)) => (
                    level_label(slot).unwrap_or_default(),
                    Some(scheme.levels[slot].stars),
                ),
                (Outcome::Capability { .. }, Some(part)) => {
                    (scheme.parts[part].title.clone(), None)
                }
                _ => ("申报资格".to_owned(), None),
            };
            GapReport {
                target,
                stars,
                via_subclass: subclass_title(gap.via_subclass),
                via_subclass_id: subclass_id(gap.via_subclass),
                changes: gap
                    .changes
                    .iter()
                    .map(|(index, slot)| {
                        let finding = &evaluation.findings[*index];
                        ChangeReport {
                            id: finding.criterion.id.clone(),
                            label: Scheme::label_for(&finding.criterion.label, year),
                            current: findings[*index]
                                .used
                                .clone()
                                .unwrap_or_else(|| "未填写".to_owned()),
                            required: requirement_text(scheme, evaluation, finding, *slot),
                            status: finding.status(*slot),
                        }
                    })
                    .collect(),
                required_parts: gap
                    .required_parts
                    .iter()
                    .map(|p| scheme.parts[*p].title.clone())
                    .collect(),
            }
        })
        .collect();

    let mut report = Report {
        scheme: scheme.id.clone(),
        scheme_title: scheme.title.clone(),
        scheme_version: scheme.version.clone(),
        provider_type: provider_type.map(|t| t.id.clone()),
        provider_type_title: provider_type.map(|t| t.title.clone()),
        organization: evaluation.declaration.organization.name.clone(),
        organization_kind: evaluation.org_kind.label(),
        round: RoundReport {
            cutoff: evaluation.round.cutoff.map(|d| d.to_string()),
            reference_year: evaluation.round.reference_year,
            params: scheme
                .parameters
                .iter()
                .zip(&evaluation.round.params)
                .filter_map(|(p, v)| v.map(|v| (p.id.clone(), p.unit.display(v))))
                .collect(),
            request_optional_materials: evaluation.round.request_optional_materials,
        },
        stars: None,
        grade: String::new(),
        grade_basis: None,
        score: None,
        max_score: None,
        self_score: None,
        eligible: None,
        experts: evaluation
            .declaration
            .experts
            .iter()
            .map(|e| e.expert.clone())
            .collect(),
        parts: Vec::new(),
        findings,
        gaps,
        diagnostics: evaluation.diagnostics.clone(),
    };
    match &evaluation.outcome {
        Outcome::Stars {
            stars,
            level,
            via_subclass,
            paths,
            via_shortcut,
            gates_met,
        } => {
            report.stars = Some(*stars);
            report.grade = level
                .and_then(level_label)
                .unwrap_or_else(|| "不予定级".into());
            report.grade_basis = Some(if *via_shortcut {
                "已认定的省重点平台服务商，满足企业基本条件，直接评估为三星（二（二）3）".into()
            } else if !gates_met {
                "不满足企业基本条件".into()
            } else if paths.len() > 1 {
                let names: Vec<String> = paths
                    .iter()
                    .filter_map(|p| subclass_title(Some(*p)))
                    .collect();
                format!("专业要求经由子类 {} 满足", names.join("、"))
            } else if let Some(subclass) = subclass_title(*via_subclass) {
                format!("专业要求经由子类 {subclass} 满足")
            } else if level.is_some() {
                "满足全部子类的专业要求".into()
            } else {
                "三星要求未全部满足".into()
            });
        }
        Outcome::Rubric {
            eligible,
            score,
            max_score,
            self_score,
            ..
        } => {
            report.eligible = Some(*eligible);
            report.score = score.map(|s| round_half_up(s, 2).normalize());
            report.max_score = Some(*max_score);
            report.self_score = self_score.map(|s| round_half_up(s, 2).normalize());
            report.grade = if *eligible {
                "符合申报条件".into()
            } else {
                "不符合申报条件".into()
            };
            let failing: Vec<&str> = evaluation
                .gaps
                .iter()
                .flat_map(|gap| gap.changes.iter())
                .map(|(index, _)| evaluation.findings[*index].criterion.clause.as_str())
                .collect();
            report.grade_basis = Some(match (score, eligible) {
                (_, false) => format!("不满足申报条件（{}）", dedup(failing).join("、")),
                (Some(score), true) => format!(
                    "专家评分 {} / {max_score} 分（择优由认定主管部门决定）",
                    round_half_up(*score, 2).normalize()
                ),
                (None, true) => "尚无专家评分".into(),
            });
        }
        Outcome::Capability { parts } => {
            report.parts = scheme
                .parts
                .iter()
                .zip(parts)
                .map(|(part, status)| PartReport {
                    id: part.id.clone(),
                    title: part.title.clone(),
                    status: *status,
                })
                .collect();
            let met: Vec<&str> = report
                .parts
                .iter()
                .filter(|p| p.status == Status::Met)
                .map(|p| p.title.as_str())
                .collect();
            report.grade = if met.is_empty() {
                "未达到任何平台类型要求".into()
            } else {
                met.join("、")
            };
        }
    }
    report
}

fn finding_report(
    scheme: &Scheme,
    evaluation: &Evaluation<'_>,
    finding: &Finding<'_>,
    year: Option<i32>,
) -> FindingReport {
    let criterion = finding.criterion;
    let display = |value: Option<&Value>| value.map(|v| display_finding_value(scheme, finding, v));
    let (declared, confirmed, used) = match &criterion.test {
        Test::AnyOf { alternatives } => {
            let declaration = evaluation.declaration;
            // The first source that has a value wins (confirmed before declared).
            let join = |sources: &[&[Option<Value>]]| {
                let parts: Vec<String> = alternatives
                    .iter()
                    .filter_map(|a| {
                        let value = sources
                            .iter()
                            .find_map(|source| source.get(a.field)?.as_ref())?;
                        Some(format!(
                            "{} {}",
                            a.label,
                            display_value(scheme, &scheme.fields[a.field].kind, value)
                        ))
                    })
                    .collect();
                (!parts.is_empty()).then(|| parts.join("；"))
            };
            let (declared, confirmed) = (&declaration.declared[..], &declaration.confirmed[..]);
            (
                join(&[declared]),
                join(&[confirmed]),
                join(&[confirmed, declared]),
            )
        }
        Test::Levels { requirements, .. }
            if requirements
                .iter()
                .flatten()
                .any(|r| matches!(r, Requirement::YearsAtLeast(_))) =>
        {
            let with_years = |value: Option<&Value>| {
                value.map(|v| match (v, evaluation.round.cutoff) {
                    (Value::Date(date), Some(cutoff)) => {
                        format!("{date}（至 {cutoff} 满{}年）", full_years(*date, cutoff))
                    }
                    _ => display_finding_value(scheme, finding, v),
                })
            };
            (
                with_years(finding.declared),
                with_years(finding.confirmed),
                with_years(finding.used()),
            )
        }
        Test::Records { .. } => {
            let with_count = |value: Option<&Value>| {
                value.map(|v| match finding.qualifying_records {
                    Some(count) => format!(
                        "{}，其中符合条件 {count} 个",
                        display_finding_value(scheme, finding, v)
                    ),
                    None => display_finding_value(scheme, finding, v),
                })
            };
            (
                with_count(finding.declared),
                with_count(finding.confirmed),
                with_count(finding.used()),
            )
        }
        _ => (
            display(finding.declared),
            display(finding.confirmed),
            display(finding.used()),
        ),
    };
    let levels = (0..finding.slots as usize)
        .map(|slot| LevelReport {
            level: (finding.slots > 1)
                .then(|| scheme.levels.get(slot).map(|l| l.label.clone()))
                .flatten(),
            requirement: requirement_text(scheme, evaluation, finding, slot),
            status: finding.status(slot),
        })
        .collect();
    let mut notes: Vec<String> = criterion
        .notes
        .iter()
        .map(|n| format!("{}：{}", scheme.notes[*n].id, scheme.notes[*n].text))
        .collect();
    if let Some((note, subclasses)) = &criterion.exempt_via_subclasses
        && let Some(type_index) = criterion.provider_type
    {
        let names: Vec<&str> = subclasses
            .iter()
            .map(|s| {
                scheme.provider_types[type_index].subclasses[*s]
                    .title
                    .as_str()
            })
            .collect();
        notes.push(format!(
            "{}：经由子类 {} 定级时免于此项要求",
            scheme.notes[*note].id,
            names.join("、")
        ));
    }
    let remark = finding.remark.map(|remark| match remark {
        Remark::SubclassNotDeclared => "未申报该子类，不计入定级".to_owned(),
        Remark::ShortcutNotClaimed => "未申请直接定级".to_owned(),
        Remark::ExemptViaSubclass => {
            let note = finding
                .applied_note
                .map(|n| scheme.notes[n].id.as_str())
                .unwrap_or_default();
            format!("按{note}，经由该子类定级时免于此项要求")
        }
    });
    let records_text = (!finding.records.is_empty()).then(|| records_explanation(finding));
    let explanation = match (
        &finding.scores,
        finding.qualifying_records,
        finding.applied_note,
    ) {
        _ if remark.is_some() => remark,
        (None, Some(_), _) => records_text,
        (Some(scores), _, _) => {
            let given: Vec<String> = scores
                .by_expert
                .iter()
                .map(|s| s.map_or("—".into(), |v| v.normalize().to_string()))
                .collect();
            let mut text = match scores.aggregate {
                Some(aggregate) => format!(
                    "专家评分 {}，汇总 {}",
                    given.join("、"),
                    round_half_up(aggregate, 2).normalize()
                ),
                None => "尚无专家评分".to_owned(),
            };
            if let Some(own) = scores.self_score {
                let _ = write!(text, "；自评 {}", own.normalize());
            }
            if scores.divergent {
                text.push_str("；专家评分分歧较大，请复核");
            }
            Some(text)
        }
        (None, None, Some(note)) if finding.applied_override.is_some() => Some(format!(
            "按{}，{}适用调整后的要求",
            scheme.notes[note].id,
            evaluation.org_kind.label()
        )),
        (None, None, Some(note)) => Some(format!(
            "按{}，{}免于此项要求",
            scheme.notes[note].id,
            evaluation.org_kind.label()
        )),
        _ if criterion.optional => Some(
            if evaluation.round.request_optional_materials {
                "本批次要求提供此项材料"
            } else {
                "仅在批次要求时提供；本批次未要求"
            }
            .to_owned(),
        ),
        _ => {
            bar_explanation(finding).or_else(|| selection_explanation(scheme, evaluation, finding))
        }
    };
    FindingReport {
        id: criterion.id.clone(),
        section: criterion.section.label(),
        group: match (
            criterion.section,
            criterion.subclass,
            criterion.provider_type,
        ) {
            (Section::Professional, Some(s), Some(t)) => {
                Some(scheme.provider_types[t].subclasses[s].title.clone())
            }
            _ => criterion.group.clone(),
        },
        label: Scheme::label_for(&criterion.label, year),
        clause: criterion.clause.clone(),
        declared,
        confirmed,
        used,
        levels,
        notes,
        explanation,
        scores: match (&finding.scores, &criterion.test) {
            (Some(scores), Test::Score { max, .. }) => Some(ScoresReport {
                max: max.normalize(),
                by_expert: scores
                    .by_expert
                    .iter()
                    .map(|s| s.map(|v| v.normalize()))
                    .collect(),
                aggregate: scores.aggregate.map(|a| round_half_up(a, 2).normalize()),
                self_score: scores.self_score.map(|s| s.normalize()),
                divergent: scores.divergent,
            }),
            _ => None,
        },
    }
}

/// For a bar after a dated event (黑名单, 第十一条): the days it runs, counted as 民法典
/// 第二百零一条/第二百零二条 count them (docs/readings.md §1.2).
fn bar_explanation(finding: &Finding<'_>) -> Option<String> {
    let Test::NotWithinYears { years, .. } = &finding.criterion.test else {
        return None;
    };
    let Some(Value::Date(event)) = finding.used() else {
        return None;
    };
    let first = event.succ_opt()?;
    let last = crate::engine::bar_last_day(*event, *years)?;
    Some(format!(
        "{years}年期限自 {first} 起算，至 {last} 止（含当日）"
    ))
}

/// For an `any_of` row picked by a declared kind (离散行业/流程行业): which alternative counts
/// (docs/readings.md §4.3).
fn selection_explanation(
    scheme: &Scheme,
    evaluation: &Evaluation<'_>,
    finding: &Finding<'_>,
) -> Option<String> {
    let Test::AnyOf { alternatives } = &finding.criterion.test else {
        return None;
    };
    let selector = alternatives
        .iter()
        .find_map(|a| a.when.map(|(field, _)| field))?;
    let field = &scheme.fields[selector];
    let FieldKind::Choice(options) = &field.kind else {
        return None;
    };
    let declaration = evaluation.declaration;
    let value = declaration.confirmed[selector]
        .as_ref()
        .or(declaration.declared[selector].as_ref());
    Some(match value {
        Some(Value::Choice(chosen)) => {
            let counted: Vec<&str> = alternatives
                .iter()
                .filter(|a| a.when.is_some_and(|(_, option)| option == *chosen))
                .map(|a| a.label.as_str())
                .collect();
            format!(
                "{}为{}：只计{}",
                field.label,
                options[*chosen as usize],
                counted.join("、")
            )
        }
        Some(other) => format!(
            "{}为{}，不是{}之一：没有可计入的数量",
            field.label,
            display_value(scheme, &field.kind, other),
            options.join("、")
        ),
        None => format!("未填写{}，无法确定计入哪一项", field.label),
    })
}

/// Full years from `start` to the cut-off (the N-th anniversary counts).
fn full_years(start: chrono::NaiveDate, cutoff: chrono::NaiveDate) -> u32 {
    let mut years = 0;
    while crate::engine::anniversary(start, years + 1).is_some_and(|end| end <= cutoff)
        && years < 200
    {
        years += 1;
    }
    years
}

/// The latest start date that completes `years` full years by the cut-off.
fn latest_start(cutoff: chrono::NaiveDate, years: u32) -> Option<chrono::NaiveDate> {
    let mut latest = cutoff.checked_sub_months(chrono::Months::new(years * 12))?;
    while let Some(next) = latest.succ_opt() {
        match crate::engine::anniversary(next, years) {
            Some(end) if end <= cutoff => latest = next,
            _ => break,
        }
    }
    Some(latest)
}

/// Which records qualify and, for the others, which conditions they fail.
fn records_explanation(finding: &Finding<'_>) -> String {
    let Test::Records { conditions, .. } = &finding.criterion.test else {
        return String::new();
    };
    let qualifying: Vec<&str> = finding
        .records
        .iter()
        .filter(|r| r.failing.is_empty() && !r.duplicate)
        .map(|r| r.key)
        .collect();
    let mut text = format!("符合条件 {} 个", qualifying.len());
    if !qualifying.is_empty() {
        let _ = write!(text, "（{}）", qualifying.join("、"));
    }
    for record in finding.records.iter().filter(|r| !r.failing.is_empty()) {
        let labels = |waiting: bool| -> Vec<&str> {
            record
                .failing
                .iter()
                .filter(|i| record.undetermined.contains(i) == waiting)
                .map(|i| conditions[*i].label.as_str())
                .collect()
        };
        let (failed, waiting) = (labels(false), labels(true));
        if !failed.is_empty() {
            let _ = write!(text, "；{} 不符合：{}", record.key, failed.join("、"));
        }
        if !waiting.is_empty() {
            let _ = write!(
                text,
                "；{} 待批次设定参数：{}",
                record.key,
                waiting.join("、")
            );
        }
    }
    let duplicates: Vec<&str> = finding
        .records
        .iter()
        .filter(|r| r.duplicate)
        .map(|r| r.key)
        .collect();
    if !duplicates.is_empty() {
        let _ = write!(text, "；重复记录只计一次：{}", duplicates.join("、"));
    }
    text
}

/// The requirement at a level in the document's words, with any round parameter filled in.
fn requirement_text(
    scheme: &Scheme,
    evaluation: &Evaluation<'_>,
    finding: &Finding<'_>,
    slot: usize,
) -> String {
    let criterion = finding.criterion;
    let slot = slot.min(criterion.wording.len().saturating_sub(1));
    if let Some(over) = criterion
        .overrides
        .iter()
        .find(|o| o.level == slot && o.org_kinds.contains(&evaluation.org_kind))
    {
        return format!("{}（{}）", over.wording, scheme.notes[over.note].id);
    }
    let mut text = criterion.wording.get(slot).cloned().unwrap_or_default();
    if let (Test::Levels { requirements, .. }, Some(cutoff)) =
        (&criterion.test, evaluation.round.cutoff)
        && let Some(Some(Requirement::YearsAtLeast(years))) = requirements.get(slot)
        && let Some(latest) = latest_start(cutoff, *years)
    {
        let _ = write!(text, "（{latest} 或更早）");
    }
    let params: Vec<usize> = match &criterion.test {
        Test::Levels { requirements, .. } => requirements
            .iter()
            .flatten()
            .filter_map(|r| match r {
                Requirement::AtLeast(crate::scheme::Need::Param(p)) => Some(*p),
                _ => None,
            })
            .take(1)
            .collect(),
        Test::Records {
            count: crate::scheme::Need::Param(p),
            ..
        } => vec![*p],
        Test::AnyOf { alternatives } => alternatives
            .iter()
            // With a declared kind, only the parameter of the alternative that counts matters.
            .filter(|a| match a.when {
                None => true,
                Some((selector, option)) => {
                    let declaration = evaluation.declaration;
                    match declaration.confirmed[selector]
                        .as_ref()
                        .or(declaration.declared[selector].as_ref())
                    {
                        Some(Value::Choice(chosen)) => *chosen == option,
                        _ => true,
                    }
                }
            })
            .filter_map(|a| match a.requirements.first() {
                Some(Some(Requirement::AtLeast(crate::scheme::Need::Param(p)))) => Some(*p),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    for p in params {
        let parameter = &scheme.parameters[p];
        match evaluation.round.params.get(p).copied().flatten() {
            Some(value) => {
                let _ = write!(
                    text,
                    "〔{} = {}〕",
                    parameter.id,
                    parameter.unit.display(value)
                );
            }
            None => {
                let _ = write!(text, "〔{} 未设定〕", parameter.id);
            }
        }
    }
    text
}

fn display_finding_value(scheme: &Scheme, finding: &Finding<'_>, value: &Value) -> String {
    match &finding.criterion.test {
        Test::Levels { field, .. }
        | Test::NotWithinYears { field, .. }
        | Test::OneOf { field }
        | Test::Records { field, .. } => display_value(scheme, &scheme.fields[*field].kind, value),
        _ => String::new(),
    }
}

/// Writes a value the way the documents write it.
pub fn display_value(scheme: &Scheme, kind: &FieldKind, value: &Value) -> String {
    match (kind, value) {
        (FieldKind::Number(unit), Value::Number(n)) => unit.display(*n),
        (_, Value::Bool(true)) => "是".into(),
        (_, Value::Bool(false)) => "否".into(),
        (FieldKind::Ordinal(scale), Value::Level(Some(level))) => {
            scheme.scales[*scale].levels[*level as usize].label.clone()
        }
        (_, Value::Level(None)) => "无".into(),
        (FieldKind::Items(items), Value::Items(bits)) => {
            let chosen: Vec<&str> = items
                .iter()
                .enumerate()
                .filter(|(i, _)| bits & (1 << i) != 0)
                .map(|(_, s)| s.as_str())
                .collect();
            if chosen.is_empty() {
                "无（0项）".into()
            } else {
                format!("{}（{}项）", chosen.join("、"), chosen.len())
            }
        }
        (_, Value::Date(date)) => date.to_string(),
        (_, Value::NoDate) => "无".into(),
        (FieldKind::Choice(options), Value::Choice(index)) => options[*index as usize].clone(),
        (_, Value::Unlisted(text)) => text.clone(),
        (_, Value::Records(records)) => {
            let names: Vec<&str> = records.iter().map(|r| r.key.as_str()).collect();
            format!("{}（{}个）", names.join("、"), records.len())
        }
        _ => "?".into(),
    }
}

impl Report {
    /// The headline: grade and basis.
    pub fn headline(&self) -> String {
        let who = self.organization.as_deref().unwrap_or("申报单位");
        let what = self
            .provider_type_title
            .as_deref()
            .unwrap_or(&self.scheme_title);
        match (&self.score, self.stars) {
            (_, Some(_)) => format!("{who} · {what}：{}", self.grade),
            (Some(score), None) => format!(
                "{who} · {what}：{}，专家评分 {score} / {} 分",
                self.grade,
                self.max_score.unwrap_or_default()
            ),
            (None, None) => format!("{who} · {what}：{}", self.grade),
        }
    }

    /// Plain text for a Chinese terminal.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{}", self.headline());
        if let Some(basis) = &self.grade_basis {
            let _ = writeln!(out, "依据：{basis}");
        }
        let _ = writeln!(
            out,
            "方案：{}（{}）",
            self.scheme_title,
            version_label(&self.scheme_version)
        );
        if let Some(cutoff) = &self.round.cutoff {
            let _ = write!(out, "时间计算截止日期：{cutoff}");
            if let Some(year) = self.round.reference_year {
                let _ = write!(out, "；参照年度：{year}年度");
            }
            out.push('\n');
        }
        for (id, value) in &self.round.params {
            let _ = writeln!(out, "批次参数 {id} = {value}");
        }
        if !self.parts.is_empty() {
            out.push_str("\n平台类型：\n");
            for part in &self.parts {
                let _ = writeln!(
                    out,
                    "  {} {}：{}",
                    mark(part.status),
                    part.title,
                    part.status.label()
                );
            }
        }
        out.push_str("\n逐项结果：\n");
        let mut section = "";
        for finding in &self.findings {
            if finding.section != section {
                section = finding.section;
                let _ = writeln!(out, "【{section}】");
            }
            let value = match (&finding.declared, &finding.confirmed) {
                (Some(d), Some(c)) if d != c => format!("申报 {d} → 核定 {c}"),
                (_, Some(c)) => format!("{c}（已核定）"),
                (Some(d), None) => d.clone(),
                (None, None) => "未填写".into(),
            };
            let group = finding
                .group
                .as_deref()
                .map(|g| format!("{g} · "))
                .unwrap_or_default();
            let value = if finding.scores.is_some() {
                String::new()
            } else {
                format!("：{value}")
            };
            let _ = writeln!(out, "  {group}{}{value}", finding.label);
            let levels: Vec<String> = finding
                .levels
                .iter()
                .map(|l| match &l.level {
                    Some(level) if l.requirement == "-" => format!("{level} 无要求"),
                    Some(level) => format!("{level} {} {}", l.requirement, mark(l.status)),
                    None if finding.section == Section::Rubric.label() => l.requirement.clone(),
                    None => format!("要求 {} {}", l.requirement, mark(l.status)),
                })
                .collect();
            let _ = writeln!(
                out,
                "      {}    〔{}〕",
                levels.join(" | "),
                finding.clause
            );
            if let Some(explanation) = &finding.explanation {
                let _ = writeln!(out, "      {explanation}");
            }
        }
        if self.gaps.is_empty() && self.eligible == Some(true) {
            out.push_str("\n差距：申报条件与材料均已满足；各项得分见上\n");
        } else if self.gaps.is_empty() {
            out.push_str("\n差距：无（已达最高等级或全部满足）\n");
        } else {
            out.push_str("\n差距分析：\n");
            for gap in &self.gaps {
                let via = gap
                    .via_subclass
                    .as_deref()
                    .map(|v| format!("（经由子类 {v}）"))
                    .unwrap_or_default();
                let _ = writeln!(out, "  达到{}{via}需：", gap.target);
                for part in &gap.required_parts {
                    let _ = writeln!(out, "    - 先满足 {part}");
                }
                for change in &gap.changes {
                    let _ = writeln!(
                        out,
                        "    - {}：当前 {}，需 {}",
                        change.label, change.current, change.required
                    );
                }
            }
        }
        for diagnostic in &self.diagnostics {
            let _ = writeln!(out, "提示：{}", diagnostic.message_zh);
        }
        out
    }

    /// Markdown, for reports and review comments.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "## {}\n", self.headline());
        if let Some(basis) = &self.grade_basis {
            let _ = writeln!(out, "- 依据：{basis}");
        }
        let _ = writeln!(
            out,
            "- 方案：{}（{}）",
            self.scheme_title,
            version_label(&self.scheme_version)
        );
        if let Some(cutoff) = &self.round.cutoff {
            let _ = writeln!(out, "- 时间计算截止日期：{cutoff}");
        }
        for part in &self.parts {
            let _ = writeln!(out, "- {}：{}", part.title, part.status.label());
        }
        out.push_str("\n| 类别 | 指标 | 取值 | 要求与结果 | 条款 |\n|---|---|---|---|---|\n");
        for finding in &self.findings {
            let levels: Vec<String> = finding
                .levels
                .iter()
                .map(|l| {
                    let level = l
                        .level
                        .as_deref()
                        .map(|x| format!("{x}："))
                        .unwrap_or_default();
                    if l.requirement == "-" {
                        format!("{level}无要求")
                    } else {
                        format!("{level}{} {}", l.requirement, mark(l.status))
                    }
                })
                .collect();
            let _ = writeln!(
                out,
                "| {} | {}{} | {} | {} | {} |",
                finding.section,
                finding
                    .group
                    .as_deref()
                    .map(|g| format!("{g} · "))
                    .unwrap_or_default(),
                finding.label,
                finding.used.as_deref().unwrap_or("未填写"),
                levels.join("<br>"),
                finding.clause
            );
        }
        if !self.gaps.is_empty() {
            out.push_str("\n### 差距分析\n");
            for gap in &self.gaps {
                let via = gap
                    .via_subclass
                    .as_deref()
                    .map(|v| format!("（经由子类 {v}）"))
                    .unwrap_or_default();
                let _ = writeln!(out, "\n**达到{}{via}需：**\n", gap.target);
                for part in &gap.required_parts {
                    let _ = writeln!(out, "- 先满足 {part}");
                }
                for change in &gap.changes {
                    let _ = writeln!(
                        out,
                        "- {}：当前 {}，需 {}",
                        change.label, change.current, change.required
                    );
                }
            }
        }
        out
    }
}

/// A scheme's version as a title follows it: a year as 「2021 版」, a word such as 试行 as it is.
pub fn version_label(version: &str) -> String {
    if !version.is_empty() && version.chars().all(|c| c.is_ascii_digit()) {
        format!("{version} 版")
    } else {
        version.to_owned()
    }
}

fn dedup(items: Vec<&str>) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

fn mark(status: Status) -> &'static str {
    match status {
        Status::Met => "✓",
        Status::NotMet => "✗",
        Status::Exempt => "免",
        Status::Missing => "缺",
        Status::NotApplicable => "-",
        Status::MissingParameter => "?",
    }
}
