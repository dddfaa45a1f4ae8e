//! The declaration form of an application page, generated from the scheme: one row per
//! criterion that applies to the provider type, grouped as the document groups them
//! (section → subclass / group / part), each with its inputs, the requirement per level and the
//! current status; and the reverse, a posted form read back into a declaration body.
//!
//! Form names: `v:<field>` a single value, `i:<field>` one checkbox per pool item,
//! `r:<field>:<row>:<column>` a cell of a records table (`name` is the record's key),
//! `s:<item>` a self score, `org_kind`, `subclass` (repeated). `static/app.js` builds the same
//! body from the same names for the autosave.

use super::tr;
use crate::services::assessment::{Assessment, FieldError};
use crate::services::organizations::{ORGANIZATION_KINDS, organization_kind};
use crate::services::records as store;
use pingjia_core::report::{FindingReport, ScoresReport};
use pingjia_core::scheme::{
    Criterion, Field, FieldKind, ProfessionalRule, Scheme, Section, Test, normalize_label,
};
use serde::Serialize;
use serde_json::{Map, Value as Json};
use std::collections::HashMap;

/// Chinese strings this module hands to the templates (they pass through `t()`).
pub const LABELS: &[&str] = &[
    "是",
    "否",
    "无",
    "请选择",
    "企业",
    "事业单位",
    "社会团体",
    "应填写：{}（当前：{}）",
    "申报单位自评分",
    "无要求",
    "无，2019-05-01",
    "已根据“{}”预填，可修改",
];

/// The whole form (or the read-only view) of one declaration.
#[derive(Debug, Serialize)]
pub struct FormModel {
    pub sections: Vec<FormSection>,
    pub org_kind: String,
    pub org_kinds: Vec<Choice>,
    pub org_kind_error: Option<String>,
    /// Subclass checkboxes, when the type asks for at least one subclass (「至少满足1项子类要求」).
    pub subclasses: Vec<Choice>,
    pub subclass_error: Option<String>,
    /// Field ids the form manages (the autosave replaces exactly these).
    pub fields: Vec<String>,
    /// Rubric item ids with a self-score input.
    pub scores: Vec<String>,
    /// Field errors that belong to no input of the form.
    pub other_errors: Vec<String>,
    pub error_count: usize,
    /// Every field error in the form's order, with the id of the element it is shown beside
    /// (the input, or the row when the form is read-only), for a list that links to them.
    pub errors: Vec<ErrorLink>,
}

/// One field error in a list of them.
#[derive(Debug, Serialize)]
pub struct ErrorLink {
    /// The element id to link to (`f-v:registered_capital`); none for an error that belongs to
    /// no input.
    pub anchor: Option<String>,
    pub label: String,
    pub message: String,
}

#[derive(Debug, Serialize)]
pub struct FormSection {
    pub title: &'static str,
    pub groups: Vec<FormGroup>,
}

#[derive(Debug, Serialize)]
pub struct FormGroup {
    pub title: Option<String>,
    /// The professional subclass this group belongs to (dimmed when not declared).
    pub subclass: Option<String>,
    pub declared: bool,
    pub rows: Vec<FormRow>,
}

/// One criterion (row of the document's table).
#[derive(Debug, Serialize)]
pub struct FormRow {
    pub id: String,
    pub label: String,
    pub label_en: String,
    pub clause: String,
    pub help: Option<String>,
    pub notes: Vec<String>,
    pub optional: bool,
    pub levels: Vec<LevelMark>,
    pub inputs: Vec<Input>,
    pub declared: Option<String>,
    pub confirmed: Option<String>,
    pub used: Option<String>,
    pub explanation: Option<String>,
    /// A rubric item's scores (shown as a table instead of the explanation).
    pub scores: Option<ScoresReport>,
}

/// The requirement at one level and whether the declaration meets it.
#[derive(Debug, Serialize)]
pub struct LevelMark {
    pub level: Option<String>,
    pub requirement: String,
    pub status: String,
    pub status_label: &'static str,
}

#[derive(Debug, Serialize)]
pub struct Input {
    /// The form name (`v:registered_capital`).
    pub name: String,
    /// The declaration path that field errors name (`values.registered_capital`).
    pub path: String,
    pub field: String,
    pub label: String,
    pub label_en: String,
    /// number | yes_no | select | items | date | text | records | score
    pub kind: &'static str,
    pub unit: Option<String>,
    pub placeholder: Option<String>,
    pub value: String,
    pub options: Vec<Choice>,
    pub records: Option<Records>,
    pub error: Option<String>,
    /// The label of the earlier row that already carries this field.
    pub shared_with: Option<String>,
    pub max: Option<String>,
    pub help: Option<String>,
    /// The field this one may be pre-filled from (`prefill_from`).
    pub prefill: Option<Prefill>,
}

/// How a field is pre-filled from another that states an overlapping fact (Jiangsu 财务状况
/// from 一（二）2 运营和财务状况良好): server-side when the form is drawn, and by `static/app.js`
/// while the applicant fills in the source.
#[derive(Debug, Serialize)]
pub struct Prefill {
    /// The source's form name (`v:sound_finance`).
    pub from: String,
    /// The source named short, for 「已根据“…”预填，可修改」.
    pub label: String,
    /// For a source chosen from a list: each choice's value here, as JSON (`{"是": "财务状况良好",
    /// "否": "无"}`); none when the value is copied as typed.
    pub map: Option<String>,
    /// The value shown was pre-filled (not declared).
    pub active: bool,
}

#[derive(Debug, Serialize)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// A repeatable table (MIIT industries, domains, regions).
#[derive(Debug, Serialize)]
pub struct Records {
    pub key_label: String,
    pub key_options: Vec<Choice>,
    pub columns: Vec<Column>,
    pub rows: Vec<RecordRow>,
}

#[derive(Debug, Serialize)]
pub struct Column {
    pub id: String,
    pub label: String,
    pub unit: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct RecordRow {
    pub index: usize,
    pub name: Input,
    pub cells: Vec<Input>,
}

/// What the form is built from.
#[derive(Debug)]
pub struct FormSource<'a> {
    pub scheme: &'a Scheme,
    pub provider_type: Option<usize>,
    pub body: &'a Json,
    pub assessment: &'a Assessment,
    pub lang: &'a str,
    /// The organisation profile's kind, used when the declaration names none.
    pub organization_kind: &'a str,
    pub editable: bool,
    /// Fields whose value was pre-filled into `body` ([`prefill`]).
    pub prefilled: &'a [usize],
}

/// The criteria of the form, in the document's order.
fn criteria(scheme: &Scheme, provider_type: Option<usize>) -> impl Iterator<Item = &Criterion> {
    scheme
        .criteria
        .iter()
        .filter(move |c| scheme.applies_to(c, provider_type))
}

/// The fields a criterion reads, in order.
fn fields_of(criterion: &Criterion) -> Vec<usize> {
    match &criterion.test {
        Test::Levels { field, .. }
        | Test::NotWithinYears { field, .. }
        | Test::OneOf { field }
        | Test::Records { field, .. } => vec![*field],
        Test::AnyOf { alternatives } => alternatives.iter().map(|a| a.field).collect(),
        Test::Score { .. } => Vec::new(),
    }
}

/// The key a rubric item's self score is written under (`equipment` for `platform_level.equipment`).
fn score_key(criterion: &Criterion) -> &str {
    criterion.id.rsplit('.').next().unwrap_or(&criterion.id)
}

fn chooses_subclasses(scheme: &Scheme, provider_type: Option<usize>) -> bool {
    provider_type.is_some_and(|t| {
        let kind = &scheme.provider_types[t];
        kind.professional == ProfessionalRule::AnySubclass && kind.subclasses.len() > 1
    })
}

pub fn build(source: &FormSource<'_>) -> FormModel {
    let FormSource {
        scheme,
        provider_type,
        body,
        assessment,
        lang,
        ..
    } = *source;
    // The round's reference year, as the assessment used it (「2025年度主营业务收入」).
    let year = assessment.report.round.reference_year;
    let findings: HashMap<&str, &FindingReport> = assessment
        .report
        .findings
        .iter()
        .map(|f| (f.id.as_str(), f))
        .collect();
    let mut errors: Vec<(&FieldError, bool)> =
        assessment.field_errors.iter().map(|e| (e, false)).collect();
    let mut links: Vec<ErrorLink> = Vec::new();
    // The errors of a path (and of the paths inside it), shown beside the element `anchor`.
    let mut take_errors = |path: &str, anchor: String, label: &str| -> Option<String> {
        let mut messages = Vec::new();
        for (error, used) in errors.iter_mut() {
            let matches = error.field == path
                || error
                    .field
                    .strip_prefix(path)
                    .is_some_and(|rest| rest.starts_with('[') || rest.starts_with('.'));
            if matches && !*used {
                *used = true;
                let message = error_text(lang, error);
                links.push(ErrorLink {
                    anchor: Some(anchor.clone()),
                    label: error.label.clone().unwrap_or_else(|| label.to_owned()),
                    message: message.clone(),
                });
                messages.push(message);
            }
        }
        (!messages.is_empty()).then(|| messages.join("；"))
    };
    let editable = source.editable;
    let anchor = |input: &str, row: &str| {
        if editable {
            format!("f-{input}")
        } else {
            format!("row-{row}")
        }
    };

    let values = body.get("values").and_then(Json::as_object);
    let self_scores = body.get("self_scores").and_then(Json::as_object);
    let selected_subclasses = selected_subclasses(scheme, provider_type, body);

    let mut model = FormModel {
        sections: Vec::new(),
        org_kind: String::new(),
        org_kinds: Vec::new(),
        org_kind_error: take_errors(
            "organization",
            if editable {
                "f-org_kind"
            } else {
                "s-organization"
            }
            .to_owned(),
            tr(lang, "单位性质"),
        ),
        subclasses: Vec::new(),
        subclass_error: take_errors(
            "subclasses",
            if editable {
                "f-subclass"
            } else {
                "s-organization"
            }
            .to_owned(),
            tr(lang, "申报子类"),
        ),
        fields: Vec::new(),
        scores: Vec::new(),
        other_errors: Vec::new(),
        error_count: assessment.field_errors.len(),
        errors: Vec::new(),
    };
    let declared_kind = body
        .pointer("/organization/kind")
        .and_then(Json::as_str)
        .and_then(|k| organization_kind(k).ok())
        .unwrap_or(source.organization_kind);
    model.org_kind = declared_kind.to_owned();
    model.org_kinds = ORGANIZATION_KINDS
        .iter()
        .map(|kind| Choice {
            value: (*kind).to_owned(),
            label: tr(lang, kind_label(kind)).to_owned(),
            selected: *kind == declared_kind,
        })
        .collect();
    if chooses_subclasses(scheme, provider_type)
        && let Some(t) = provider_type
    {
        model.subclasses = scheme.provider_types[t]
            .subclasses
            .iter()
            .enumerate()
            .map(|(index, s)| Choice {
                value: s.id.clone(),
                label: s.title.clone(),
                selected: selected_subclasses.contains(&index),
            })
            .collect();
    }

    // Which row first carries each field: later rows reading the same field point to it.
    let mut first_row: HashMap<usize, String> = HashMap::new();
    for criterion in criteria(scheme, provider_type) {
        let finding = findings.get(criterion.id.as_str()).copied();
        let label = Scheme::label_for(&criterion.label, year);
        let mut inputs = Vec::new();
        for field_index in fields_of(criterion) {
            let field = &scheme.fields[field_index];
            let raw = values.and_then(|v| v.get(&field.id));
            let mut input = input_for(
                scheme,
                field,
                raw,
                format!("v:{}", field.id),
                format!("values.{}", field.id),
                lang,
                source.editable,
            );
            input.label = Scheme::label_for(&field.label, year);
            if source.editable
                && let Some(from) = field.prefill_from
            {
                input.prefill = Some(Prefill {
                    from: format!("v:{}", scheme.fields[from].id),
                    label: short_label(&scheme.fields[from].label),
                    map: prefill_map(scheme, field_index),
                    active: source.prefilled.contains(&field_index),
                });
            }
            match first_row.get(&field_index) {
                Some(earlier) => input.shared_with = Some(earlier.clone()),
                None => {
                    first_row.insert(field_index, label.clone());
                    model.fields.push(field.id.clone());
                    input.error = take_errors(
                        &input.path,
                        anchor(&input.name, &criterion.id),
                        &input.label,
                    );
                }
            }
            inputs.push(input);
        }
        if let Test::Score { max, guidance } = &criterion.test {
            let key = score_key(criterion);
            let raw = self_scores.and_then(|s| s.get(key).or_else(|| s.get(&criterion.id)));
            let path = format!("self_scores.{key}");
            model.scores.push(key.to_owned());
            let name = format!("s:{key}");
            let here = anchor(&name, &criterion.id);
            let score_label = tr(lang, "申报单位自评分");
            inputs.push(Input {
                error: take_errors(&path, here.clone(), score_label).or_else(|| {
                    take_errors(
                        &format!("self_scores.{}", criterion.id),
                        here.clone(),
                        score_label,
                    )
                }),
                name,
                path,
                field: key.to_owned(),
                label: tr(lang, "申报单位自评分").to_owned(),
                label_en: "Self score".to_owned(),
                kind: "score",
                unit: Some("分".to_owned()),
                placeholder: Some(format!("0–{}", max.normalize())),
                value: raw.map(scalar_text).unwrap_or_default(),
                options: Vec::new(),
                records: None,
                shared_with: None,
                max: Some(max.normalize().to_string()),
                help: (!guidance.is_empty()).then(|| guidance.clone()),
                prefill: None,
            });
        }
        let help = criterion.help.clone().or_else(|| {
            let fields = fields_of(criterion);
            match fields.as_slice() {
                [one] => scheme.fields[*one].help.clone(),
                _ => None,
            }
        });
        let scores = finding.and_then(|f| f.scores.clone());
        let row = FormRow {
            id: criterion.id.clone(),
            label,
            label_en: criterion.label_en.clone(),
            clause: shown_clause(&criterion.clause),
            help,
            notes: criterion
                .notes
                .iter()
                .map(|n| format!("{}：{}", scheme.notes[*n].id, scheme.notes[*n].text))
                .collect(),
            optional: criterion.optional,
            levels: match finding {
                Some(finding) => level_marks(lang, finding),
                None => wording_marks(lang, scheme, criterion),
            },
            inputs,
            declared: finding.and_then(|f| f.declared.clone()),
            confirmed: finding.and_then(|f| f.confirmed.clone()),
            used: finding.and_then(|f| f.used.clone()),
            explanation: finding
                .filter(|f| f.scores.is_none())
                .and_then(|f| f.explanation.clone()),
            scores,
        };
        let (group_title, subclass) = match (criterion.section, criterion.subclass, criterion.part)
        {
            (Section::Professional, Some(s), _) => provider_type
                .map(|t| {
                    let subclass = &scheme.provider_types[t].subclasses[s];
                    (Some(subclass.title.clone()), Some((s, subclass.id.clone())))
                })
                .unwrap_or((criterion.group.clone(), None)),
            (_, _, Some(part)) => (Some(scheme.parts[part].title.clone()), None),
            _ => (criterion.group.clone(), None),
        };
        let section_title = criterion.section.label();
        let section = match model.sections.iter().position(|s| s.title == section_title) {
            Some(index) => &mut model.sections[index],
            None => {
                model.sections.push(FormSection {
                    title: section_title,
                    groups: Vec::new(),
                });
                model.sections.last_mut().expect("just pushed")
            }
        };
        let group = match section.groups.iter().position(|g| g.title == group_title) {
            Some(index) => &mut section.groups[index],
            None => {
                section.groups.push(FormGroup {
                    declared: subclass
                        .as_ref()
                        .is_none_or(|(s, _)| selected_subclasses.contains(s)),
                    subclass: subclass.map(|(_, id)| id),
                    title: group_title,
                    rows: Vec::new(),
                });
                section.groups.last_mut().expect("just pushed")
            }
        };
        group.rows.push(row);
    }
    model.errors = links;
    for (error, used) in &errors {
        if *used {
            continue;
        }
        let label = error.label.clone().unwrap_or_else(|| error.field.clone());
        let message = error_text(lang, error);
        model.other_errors.push(format!("{label}：{message}"));
        model.errors.push(ErrorLink {
            anchor: None,
            label,
            message,
        });
    }
    model
}

/// The declaration with the fields that may be pre-filled (`prefill_from`) filled from their
/// source where they are empty and the source is not (the applicant can change them; both are
/// declared once the form is saved), and the fields so filled. Only the form's fields of the
/// provider type, only declared values (never a reviewer's confirmed ones).
pub fn prefill(scheme: &Scheme, provider_type: Option<usize>, body: &Json) -> (Json, Vec<usize>) {
    let mut body = body.clone();
    let mut filled = Vec::new();
    let Some(values) = body.get_mut("values").and_then(Json::as_object_mut) else {
        return (body, filled);
    };
    let empty = |raw: Option<&Json>| {
        raw.is_none_or(|raw| raw.is_null() || raw.as_str().is_some_and(|s| s.trim().is_empty()))
    };
    for criterion in criteria(scheme, provider_type) {
        for target in fields_of(criterion) {
            let field = &scheme.fields[target];
            let Some(from) = field.prefill_from else {
                continue;
            };
            if filled.contains(&target) || !empty(values.get(&field.id)) {
                continue;
            }
            let source = &scheme.fields[from];
            let Some(raw) = values.get(&source.id).filter(|raw| !empty(Some(raw))) else {
                continue;
            };
            if let Some(text) = prefilled_text(scheme, target, raw) {
                values.insert(field.id.clone(), Json::from(text));
                filled.push(target);
            }
        }
    }
    (body, filled)
}

/// The text a target field is pre-filled with from a source's raw value, if the source reads.
fn prefilled_text(scheme: &Scheme, target: usize, raw: &Json) -> Option<String> {
    let field = &scheme.fields[target];
    let source = &scheme.fields[field.prefill_from?];
    let mut errors = Vec::new();
    let value = pingjia_core::declaration::read_value(raw, source, scheme, "", &mut errors)?;
    if !errors.is_empty() {
        return None;
    }
    let value = scheme.prefill(target, &value)?;
    Some(pingjia_core::report::display_value(
        scheme,
        &field.kind,
        &value,
    ))
}

/// For a source chosen from a list (是/否, a scale, options): what each choice pre-fills, as
/// JSON for `static/app.js`.
fn prefill_map(scheme: &Scheme, target: usize) -> Option<String> {
    let source = &scheme.fields[scheme.fields[target].prefill_from?];
    let choices: Vec<String> = match &source.kind {
        FieldKind::YesNo => vec!["是".to_owned(), "否".to_owned()],
        FieldKind::Ordinal(scale) => std::iter::once("无".to_owned())
            .chain(scheme.scales[*scale].levels.iter().map(|l| l.label.clone()))
            .collect(),
        FieldKind::Choice(options) => options.clone(),
        _ => return None,
    };
    let map: Map<String, Json> = choices
        .into_iter()
        .filter_map(|choice| {
            let text = prefilled_text(scheme, target, &Json::from(choice.as_str()))?;
            Some((choice, Json::from(text)))
        })
        .collect();
    serde_json::to_string(&map).ok()
}

/// A long label named by its last phrase (「…，运营和财务状况良好」 → 「运营和财务状况良好」).
fn short_label(label: &str) -> String {
    match label.rsplit_once('，') {
        Some((_, last)) if label.chars().count() > 20 && !last.trim().is_empty() => {
            last.trim().to_owned()
        }
        _ => label.to_owned(),
    }
}

pub fn kind_label(kind: &str) -> &'static str {
    match kind {
        "public_institution" => "事业单位",
        "social_organization" => "社会团体",
        _ => "企业",
    }
}

pub fn error_text(lang: &str, error: &FieldError) -> String {
    let expected = if lang == "en" {
        &error.expected_en
    } else {
        &error.expected_zh
    };
    let pattern = tr(lang, "应填写：{}（当前：{}）");
    pattern
        .replacen("{}", expected, 1)
        .replacen("{}", &error.given, 1)
}

/// A clause as applicants read it: the document's numbering and headings. A bracketed remark
/// that is not a number (「（设备台账行的合并单元格）」: which merged cell of the table the row
/// was read from) is for whoever checks the scheme against the document, and is left out.
pub fn shown_clause(clause: &str) -> String {
    let mut out = String::with_capacity(clause.len());
    let mut rest = clause;
    while let Some(open) = rest.find('（') {
        out.push_str(&rest[..open]);
        let inner = &rest[open + '（'.len_utf8()..];
        let Some(close) = inner.find('）') else {
            out.push_str(&rest[open..]);
            return out;
        };
        let content = &inner[..close];
        let numbering = !content.is_empty()
            && content
                .chars()
                .all(|c| c.is_ascii_digit() || "一二三四五六七八九十百".contains(c));
        if numbering {
            out.push_str(&rest[open..open + '（'.len_utf8() + close + '）'.len_utf8()]);
        }
        rest = &inner[close + '）'.len_utf8()..];
    }
    out.push_str(rest);
    out
}

/// A level's requirement as shown: the documents' 「-」 (no requirement at this level) in
/// words, without a status mark; a rubric item's maximum without one either (it is scored,
/// not met).
fn level_mark(
    lang: &str,
    level: Option<String>,
    requirement: &str,
    status: String,
    status_label: &'static str,
    scored: bool,
) -> LevelMark {
    let none = requirement.trim() == "-";
    LevelMark {
        level,
        requirement: if none {
            tr(lang, "无要求").to_owned()
        } else {
            requirement.to_owned()
        },
        status,
        status_label: if none || scored { "" } else { status_label },
    }
}

fn level_marks(lang: &str, finding: &FindingReport) -> Vec<LevelMark> {
    finding
        .levels
        .iter()
        .map(|l| {
            level_mark(
                lang,
                l.level.clone(),
                &l.requirement,
                status_id(l.status),
                l.status.label(),
                finding.scores.is_some(),
            )
        })
        .collect()
}

/// The requirement per level from the document's wording (rows without a finding).
fn wording_marks(lang: &str, scheme: &Scheme, criterion: &Criterion) -> Vec<LevelMark> {
    let several = criterion.wording.len() == scheme.levels.len() && scheme.levels.len() > 1;
    criterion
        .wording
        .iter()
        .enumerate()
        .map(|(index, wording)| {
            level_mark(
                lang,
                several.then(|| scheme.levels[index].label.clone()),
                wording,
                "none".to_owned(),
                "",
                false,
            )
        })
        .collect()
}

pub fn status_id(status: pingjia_core::Status) -> String {
    serde_json::to_value(status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Subclass indices the declaration applies for; all when it names none.
pub fn selected_subclasses(
    scheme: &Scheme,
    provider_type: Option<usize>,
    body: &Json,
) -> Vec<usize> {
    let Some(t) = provider_type else {
        return Vec::new();
    };
    let subclasses = &scheme.provider_types[t].subclasses;
    match body.get("subclasses").and_then(Json::as_array) {
        Some(items) => subclasses
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                items
                    .iter()
                    .filter_map(Json::as_str)
                    .any(|text| s.id == text || normalize_label(&s.title) == normalize_label(text))
            })
            .map(|(index, _)| index)
            .collect(),
        None => (0..subclasses.len()).collect(),
    }
}

/// A stored value as the text of a single input.
fn scalar_text(raw: &Json) -> String {
    match raw {
        Json::String(s) => s.clone(),
        Json::Null => String::new(),
        Json::Bool(true) => "是".to_owned(),
        Json::Bool(false) => "否".to_owned(),
        other => other.to_string(),
    }
}

fn choices(
    lang: &str,
    options: impl IntoIterator<Item = String>,
    selected: Option<&str>,
    raw: Option<&Json>,
) -> Vec<Choice> {
    let mut list = vec![Choice {
        value: String::new(),
        label: tr(lang, "请选择").to_owned(),
        selected: selected.is_none() && raw.is_none(),
    }];
    let mut found = false;
    for option in options {
        let is = selected == Some(option.as_str());
        found |= is;
        list.push(Choice {
            label: tr(lang, &option).to_owned(),
            value: option,
            selected: is,
        });
    }
    // A stored value the list does not know stays visible (and is kept on save) until changed.
    if !found && let Some(raw) = raw {
        let text = scalar_text(raw);
        if !text.trim().is_empty() {
            list.push(Choice {
                label: format!("{text} ✗"),
                value: text,
                selected: true,
            });
        } else {
            list[0].selected = true;
        }
    }
    list
}

fn input_for(
    scheme: &Scheme,
    field: &Field,
    raw: Option<&Json>,
    name: String,
    path: String,
    lang: &str,
    editable: bool,
) -> Input {
    let mut input = Input {
        name,
        path,
        field: field.id.clone(),
        label: Scheme::label_for(&field.label, scheme.round.reference_year),
        label_en: field.label_en.clone(),
        kind: "text",
        unit: None,
        placeholder: None,
        value: raw.map(scalar_text).unwrap_or_default(),
        options: Vec::new(),
        records: None,
        error: None,
        shared_with: None,
        max: None,
        help: field.help.clone(),
        prefill: None,
    };
    match &field.kind {
        FieldKind::Number(unit) => {
            input.kind = "number";
            let name = unit.name();
            input.unit = (name != "无").then(|| name.to_owned());
            input.placeholder = Some(unit.examples().to_owned());
        }
        FieldKind::YesNo => {
            input.kind = "select";
            let selected = raw.and_then(|raw| match raw {
                Json::Bool(true) => Some("是"),
                Json::Bool(false) => Some("否"),
                Json::String(s) => match s.trim() {
                    "是" | "有" | "具备" | "yes" | "true" => Some("是"),
                    "否" | "无" | "不具备" | "没有" | "no" | "false" => Some("否"),
                    _ => None,
                },
                _ => None,
            });
            input.options = choices(lang, ["是".to_owned(), "否".to_owned()], selected, raw);
        }
        FieldKind::Ordinal(scale_index) => {
            input.kind = "select";
            let scale = &scheme.scales[*scale_index];
            let selected = raw
                .and_then(Json::as_str)
                .and_then(|text| scale.find(text))
                .map(|level| match level {
                    Some(index) => scale.levels[index as usize].label.as_str(),
                    None => "无",
                });
            let options = std::iter::once("无".to_owned())
                .chain(scale.levels.iter().map(|l| l.label.clone()));
            input.options = choices(lang, options, selected, raw);
        }
        FieldKind::Choice(options) => {
            input.kind = "select";
            let selected = raw.and_then(Json::as_str).and_then(|text| {
                options
                    .iter()
                    .find(|o| normalize_label(o) == normalize_label(text))
                    .map(String::as_str)
            });
            input.options = choices(lang, options.iter().cloned(), selected, raw);
        }
        FieldKind::Items(items) => {
            input.kind = "items";
            input.name = input.name.replacen("v:", "i:", 1);
            let chosen: Vec<String> = raw
                .and_then(Json::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Json::as_str)
                        .map(normalize_label)
                        .collect()
                })
                .unwrap_or_default();
            input.value = String::new();
            input.options = items
                .iter()
                .map(|item| Choice {
                    value: item.clone(),
                    label: item.clone(),
                    selected: chosen.contains(&normalize_label(item)),
                })
                .collect();
        }
        FieldKind::Date => {
            let iso = input.value.is_empty()
                || pingjia_core::declaration::parse_date(&input.value)
                    .is_some_and(|d| d.to_string() == input.value.trim());
            input.kind = if iso { "date" } else { "text" };
            input.placeholder = Some("2019-05-01".to_owned());
        }
        FieldKind::DateOrNone => {
            input.kind = "text";
            input.placeholder = Some(tr(lang, "无，2019-05-01").to_owned());
        }
        FieldKind::Records(spec) => {
            input.kind = "records";
            input.value = String::new();
            let field_id = &field.id;
            let existing: Vec<&Map<String, Json>> = raw
                .and_then(Json::as_array)
                .map(|a| a.iter().filter_map(Json::as_object).collect())
                .unwrap_or_default();
            let blank = Map::new();
            let count = existing.len() + usize::from(editable);
            let rows = (0..count)
                .map(|index| {
                    let record = existing.get(index).copied().unwrap_or(&blank);
                    let key = record.get("name");
                    let mut name = Input {
                        name: format!("r:{field_id}:{index}:name"),
                        path: format!("values.{field_id}[{index}].name"),
                        field: "name".to_owned(),
                        label: spec.key_label.clone(),
                        label_en: "Name".to_owned(),
                        kind: "text",
                        unit: None,
                        placeholder: None,
                        value: key.map(scalar_text).unwrap_or_default(),
                        options: Vec::new(),
                        records: None,
                        error: None,
                        shared_with: None,
                        max: None,
                        help: None,
                        prefill: None,
                    };
                    if !spec.key_options.is_empty() {
                        name.kind = "select";
                        let selected = key
                            .and_then(Json::as_str)
                            .filter(|k| spec.key_options.iter().any(|o| o == k));
                        name.options = choices(lang, spec.key_options.clone(), selected, key);
                    }
                    let cells = spec
                        .fields
                        .iter()
                        .map(|column| {
                            input_for(
                                scheme,
                                column,
                                record.get(&column.id),
                                format!("r:{field_id}:{index}:{}", column.id),
                                format!("values.{field_id}[{index}].{}", column.id),
                                lang,
                                editable,
                            )
                        })
                        .collect();
                    RecordRow { index, name, cells }
                })
                .collect();
            input.records = Some(Records {
                key_label: spec.key_label.clone(),
                key_options: spec
                    .key_options
                    .iter()
                    .map(|o| Choice {
                        value: o.clone(),
                        label: o.clone(),
                        selected: false,
                    })
                    .collect(),
                columns: spec
                    .fields
                    .iter()
                    .map(|c| Column {
                        id: c.id.clone(),
                        label: c.label.clone(),
                        unit: match &c.kind {
                            FieldKind::Number(unit) if unit.name() != "无" => {
                                Some(unit.name().to_owned())
                            }
                            _ => None,
                        },
                    })
                    .collect(),
                rows,
            });
        }
    }
    input
}

/// Reads a posted form back into a declaration body. Starts from the stored body so that what
/// the form does not manage (reviewers' confirmed values, expert scores, fields of other
/// types) is kept; the organisation's name and credit code come from its profile.
pub fn body_from_form(
    scheme: &Scheme,
    provider_type: Option<usize>,
    base: &Json,
    pairs: &[(String, String)],
    organization: &store::Organization,
) -> Json {
    let mut body = base.as_object().cloned().unwrap_or_default();
    let values_of = |key: &str| -> Vec<&str> {
        pairs
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
            .collect()
    };

    let mut organization_tree = body
        .get("organization")
        .and_then(Json::as_object)
        .cloned()
        .unwrap_or_default();
    let kind = values_of("org_kind")
        .first()
        .and_then(|k| organization_kind(k).ok())
        .or_else(|| {
            organization_tree
                .get("kind")
                .and_then(Json::as_str)
                .and_then(|k| organization_kind(k).ok())
        })
        .unwrap_or_else(|| organization.kind.as_str());
    organization_tree.insert("kind".into(), Json::from(kind));
    organization_tree.insert("name".into(), Json::from(organization.name.clone()));
    organization_tree.insert(
        "credit_code".into(),
        Json::from(organization.credit_code.clone()),
    );
    body.insert("organization".into(), Json::Object(organization_tree));

    if chooses_subclasses(scheme, provider_type) {
        let chosen = values_of("subclass");
        if chosen.is_empty() {
            body.remove("subclasses");
        } else {
            body.insert(
                "subclasses".into(),
                Json::Array(chosen.into_iter().map(Json::from).collect()),
            );
        }
    }

    let mut values = body
        .get("values")
        .and_then(Json::as_object)
        .cloned()
        .unwrap_or_default();
    let mut scores = body
        .get("self_scores")
        .and_then(Json::as_object)
        .cloned()
        .unwrap_or_default();
    let mut seen = Vec::new();
    for criterion in criteria(scheme, provider_type) {
        for field_index in fields_of(criterion) {
            if seen.contains(&field_index) {
                continue;
            }
            seen.push(field_index);
            let field = &scheme.fields[field_index];
            values.remove(&field.id);
            let value = match &field.kind {
                FieldKind::Items(_) => {
                    let chosen = values_of(&format!("i:{}", field.id));
                    (!chosen.is_empty())
                        .then(|| Json::Array(chosen.into_iter().map(Json::from).collect()))
                }
                FieldKind::Records(spec) => records_from_form(&field.id, spec, pairs),
                _ => values_of(&format!("v:{}", field.id))
                    .first()
                    .map(|v| Json::from(*v)),
            };
            if let Some(value) = value {
                values.insert(field.id.clone(), value);
            }
        }
        if matches!(criterion.test, Test::Score { .. }) {
            let key = score_key(criterion);
            scores.remove(key);
            scores.remove(&criterion.id);
            if let Some(score) = values_of(&format!("s:{key}")).first() {
                scores.insert(key.to_owned(), Json::from(*score));
            }
        }
    }
    body.insert("values".into(), Json::Object(values));
    if scores.is_empty() {
        body.remove("self_scores");
    } else {
        body.insert("self_scores".into(), Json::Object(scores));
    }
    Json::Object(body)
}

/// `r:<field>:<row>:<column>` cells into records; empty rows are dropped.
fn records_from_form(
    field_id: &str,
    spec: &pingjia_core::scheme::RecordSpec,
    pairs: &[(String, String)],
) -> Option<Json> {
    let prefix = format!("r:{field_id}:");
    let mut rows: Vec<(usize, Map<String, Json>)> = Vec::new();
    for (key, value) in pairs {
        let Some(rest) = key.strip_prefix(&prefix) else {
            continue;
        };
        let Some((index, column)) = rest.split_once(':') else {
            continue;
        };
        let (Ok(index), value) = (index.parse::<usize>(), value.trim()) else {
            continue;
        };
        let known = column == "name" || spec.fields.iter().any(|f| f.id == column);
        if value.is_empty() || !known || index > 500 {
            continue;
        }
        let row = match rows.iter().position(|(i, _)| *i == index) {
            Some(position) => &mut rows[position].1,
            None => {
                rows.push((index, Map::new()));
                &mut rows.last_mut().expect("just pushed").1
            }
        };
        row.insert(column.to_owned(), Json::from(value));
    }
    rows.sort_by_key(|(index, _)| *index);
    let records: Vec<Json> = rows.into_iter().map(|(_, row)| Json::Object(row)).collect();
    (!records.is_empty()).then_some(Json::Array(records))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pingjia_core::Catalog;
    use pingjia_core::engine::Round;
    use serde_json::json;

    fn organization() -> store::Organization {
        store::Organization {
            id: 1,
            name: "测试单位".into(),
            credit_code: "91320583MA1P7K2X0X".into(),
            kind: pingjia_core::scheme::OrgKind::Enterprise,
            region_id: 1,
            region_path: "/32/".into(),
            address: String::new(),
            contact: String::new(),
            phone: String::new(),
            created_at: 0,
            updated_at: 0,
        }
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_posted_form_becomes_a_body_that_keeps_what_the_form_does_not_manage() {
        let catalog = Catalog::builtin().unwrap();
        let (scheme, provider_type) = crate::services::assessment::target(
            &catalog,
            "jiangsu-pool-2021",
            Some("comprehensive_platform"),
        )
        .unwrap();
        let base = json!({
            "organization": { "kind": "enterprise" },
            "values": { "employees": 10, "not_a_form_field": "kept" },
            "confirmed": { "customer_service": "较为成熟" },
        });
        let form = pairs(&[
            ("csrf", "x"),
            ("org_kind", "public_institution"),
            ("subclass", "access"),
            ("v:registered_capital", " 1200万 "),
            ("v:employees", ""),
            ("i:cp_data_services", "基础数据"),
            ("i:cp_data_services", "生产数据"),
        ]);
        let body = body_from_form(scheme, provider_type, &base, &form, &organization());
        assert_eq!(body["organization"]["kind"], "public_institution");
        assert_eq!(body["organization"]["name"], "测试单位");
        assert_eq!(body["subclasses"], json!(["access"]));
        assert_eq!(body["values"]["registered_capital"], "1200万");
        assert!(
            body["values"].get("employees").is_none(),
            "emptied field is removed"
        );
        assert_eq!(
            body["values"]["cp_data_services"],
            json!(["基础数据", "生产数据"])
        );
        assert_eq!(body["values"]["not_a_form_field"], "kept");
        assert_eq!(body["confirmed"]["customer_service"], "较为成熟");
    }

    #[test]
    fn the_form_groups_rows_and_places_errors_beside_their_field() {
        let catalog = Catalog::builtin().unwrap();
        let (scheme, provider_type) = crate::services::assessment::target(
            &catalog,
            "jiangsu-pool-2021",
            Some("comprehensive_platform"),
        )
        .unwrap();
        let body = json!({ "values": { "registered_capital": "很多", "itss_level": "三级" } });
        let assessment = crate::services::assessment::assess(
            scheme,
            provider_type,
            &body,
            &Round::from_scheme(scheme),
        );
        let model = build(&FormSource {
            scheme,
            provider_type,
            body: &body,
            assessment: &assessment,
            lang: "zh",
            organization_kind: "enterprise",
            editable: true,
            prefilled: &[],
        });
        let titles: Vec<&str> = model.sections.iter().map(|s| s.title).collect();
        assert!(titles.starts_with(&["基本条件"]), "{titles:?}");
        assert!(titles.contains(&"专业要求"));
        let professional = model
            .sections
            .iter()
            .find(|s| s.title == "专业要求")
            .unwrap();
        assert!(
            professional
                .groups
                .iter()
                .any(|g| g.subclass.as_deref() == Some("access"))
        );
        let inputs: Vec<&Input> = model
            .sections
            .iter()
            .flat_map(|s| &s.groups)
            .flat_map(|g| &g.rows)
            .flat_map(|r| &r.inputs)
            .collect();
        let capital = inputs
            .iter()
            .find(|i| i.field == "registered_capital")
            .unwrap();
        assert!(
            capital
                .error
                .as_deref()
                .unwrap_or_default()
                .contains("很多")
        );
        let itss = inputs.iter().find(|i| i.field == "itss_level").unwrap();
        assert!(itss.options.iter().any(|o| o.selected && o.value == "三级"));
        assert_eq!(model.subclasses.len(), 4);
        assert!(model.other_errors.is_empty(), "{:?}", model.other_errors);
    }

    #[test]
    fn records_rows_are_read_in_order_and_empty_rows_dropped() {
        let catalog = Catalog::builtin().unwrap();
        let (scheme, _) =
            crate::services::assessment::target(&catalog, "miit-platform-2018", None).unwrap();
        let field = &scheme.fields[scheme.field("cross_regions").unwrap()];
        let FieldKind::Records(spec) = &field.kind else {
            panic!("records field")
        };
        let form = pairs(&[
            ("r:cross_regions:1:name", "华北"),
            ("r:cross_regions:0:name", "华东"),
            ("r:cross_regions:0:users", "120"),
            ("r:cross_regions:2:users", ""),
        ]);
        let records = records_from_form("cross_regions", spec, &form).unwrap();
        assert_eq!(
            records,
            json!([{ "name": "华东", "users": "120" }, { "name": "华北" }])
        );
    }

    #[test]
    fn empty_fields_are_prefilled_from_their_source_and_declared_ones_kept() {
        let catalog = Catalog::builtin().unwrap();
        let (scheme, provider_type) =
            crate::services::assessment::target(&catalog, "jiangsu-pool-2021", Some("supporting"))
                .unwrap();
        let status = scheme.field("financial_status").unwrap();
        for (source, expected) in [("是", "财务状况良好"), ("否", "无")] {
            let body = json!({ "values": { "sound_finance": source } });
            let (filled, fields) = prefill(scheme, provider_type, &body);
            assert_eq!(filled["values"]["financial_status"], expected);
            assert_eq!(fields, vec![status]);
        }
        let declared =
            json!({ "values": { "sound_finance": "是", "financial_status": "近2年均实现盈利" } });
        let (kept, fields) = prefill(scheme, provider_type, &declared);
        assert_eq!(kept, declared);
        assert!(fields.is_empty());
        for nothing in [
            json!({ "values": {} }),
            json!({ "values": { "sound_finance": "不好说" } }),
            json!({ "values": {}, "confirmed": { "sound_finance": "是" } }),
        ] {
            assert!(
                prefill(scheme, provider_type, &nothing).1.is_empty(),
                "{nothing}"
            );
        }
        assert_eq!(
            short_label(&scheme.fields[scheme.field("sound_finance").unwrap()].label),
            "运营和财务状况良好"
        );
    }
}
