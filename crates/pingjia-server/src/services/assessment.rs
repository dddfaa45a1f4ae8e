//! Live self-assessment: a draft as typed (possibly half-valid) → the engine's report plus
//! the input errors, field by field. Values that do not parse are kept in the draft and
//! reported beside their field; the assessment uses the rest.

use chrono::NaiveDate;
use pingjia_core::declaration::{InputError, Value, read_value};
use pingjia_core::engine::Round;
use pingjia_core::scheme::{Field, FieldKind, Test};
use pingjia_core::units::Unit;
use pingjia_core::{Catalog, Declaration, Report, Scheme, evaluate, read_declaration, report};
use serde::Serialize;
use serde_json::{Map, Value as Json, json};

/// The result shown beside the form.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Assessment {
    /// The engine's explanation: grade, findings, gaps (see `pingjia evaluate --json`).
    #[schema(value_type = Object)]
    pub report: Report,
    /// Problems with individual fields; the values stay in the draft.
    #[schema(value_type = Vec<Object>)]
    pub field_errors: Vec<FieldError>,
    /// While nothing is filled in (a new draft): how many items the form asks for. The grade
    /// then reads 「尚未填写」 rather than the engine's 「不予定级」.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unfilled: Option<usize>,
}

/// The grade of a declaration in which nothing is filled in yet.
pub const NOT_FILLED: &str = "尚未填写";

#[derive(Debug, Clone, Serialize)]
pub struct FieldError {
    pub field: String,
    pub label: Option<String>,
    pub given: String,
    pub expected_zh: String,
    pub expected_en: String,
}

impl From<InputError> for FieldError {
    fn from(error: InputError) -> FieldError {
        FieldError {
            field: error.field,
            label: error.label,
            given: error.given,
            expected_zh: error.expected_zh,
            expected_en: error.expected_en,
        }
    }
}

/// Grades a declaration body (`{organization, subclasses, values, confirmed, …}`) for a scheme
/// and provider type, reading what can be read. Values that cannot be true are refused like
/// values that cannot be read ([`impossible`]): a share above 100 %, a date after the round's
/// cut-off date where the row counts years up to it.
pub fn assess(
    scheme: &Scheme,
    provider_type: Option<usize>,
    body: &Json,
    round: &Round,
) -> Assessment {
    assess_on(scheme, provider_type, body, round, None)
}

/// [`assess`] on a given day (China time, [`crate::context::AppState::today`]): dates in the
/// future are refused too.
pub fn assess_on(
    scheme: &Scheme,
    provider_type: Option<usize>,
    body: &Json,
    round: &Round,
    today: Option<NaiveDate>,
) -> Assessment {
    let limits = Limits {
        cutoff: round.cutoff,
        today,
    };
    let (declaration, errors) = read_checked(scheme, provider_type, body, Some(&limits));
    let evaluation = evaluate(scheme, &declaration, round);
    let mut report = report(&evaluation);
    let unfilled = (errors.is_empty() && nothing_filled(&declaration))
        .then(|| items_to_fill(scheme, provider_type));
    if let Some(count) = unfilled {
        // Not a finding about the applicant yet: say what is still to fill.
        report.grade = NOT_FILLED.to_owned();
        report.grade_basis = Some(format!("还有 {count} 项待填"));
    }
    Assessment {
        report,
        field_errors: errors.into_iter().map(FieldError::from).collect(),
        unfilled,
    }
}

/// Whether a declaration states nothing yet: no value, no confirmed value, no score. (The
/// organisation's kind comes from its profile and the subclasses are a choice, not an answer.)
fn nothing_filled(declaration: &Declaration) -> bool {
    declaration.declared.iter().all(Option::is_none)
        && declaration.confirmed.iter().all(Option::is_none)
        && declaration.self_scores.iter().all(Option::is_none)
        && declaration.experts.is_empty()
}

/// The items a form asks for: each field read by the rows of the provider type once, and each
/// scored item's self score.
pub fn items_to_fill(scheme: &Scheme, provider_type: Option<usize>) -> usize {
    let mut fields = Vec::new();
    let mut scores = 0;
    for criterion in scheme
        .criteria
        .iter()
        .filter(|c| scheme.applies_to(c, provider_type))
    {
        match &criterion.test {
            Test::Levels { field, .. }
            | Test::NotWithinYears { field, .. }
            | Test::OneOf { field }
            | Test::Records { field, .. } => fields.push(*field),
            Test::AnyOf { alternatives } => fields.extend(alternatives.iter().map(|a| a.field)),
            Test::Score { .. } => scores += 1,
        }
    }
    fields.sort_unstable();
    fields.dedup();
    fields.len() + scores
}

/// What a value cannot exceed: the round's cut-off date and today.
#[derive(Debug, Clone, Copy)]
struct Limits {
    cutoff: Option<NaiveDate>,
    today: Option<NaiveDate>,
}

/// Why a value that reads cannot be true, as an input error (or none). Checked here rather
/// than in the engine: the engine grades what is declared; whether a declaration can be
/// accepted from an applicant is the application's rule.
///
/// - a percentage above 100 (研发费用占比, 服务可用性, the MIIT shares);
/// - a date (成立, 注册, 上线, 开始从事…) after the round's cut-off date: such rows count
///   the years up to it, so a later date is not a fact this round can take;
/// - any date (also of 黑名单 and 取消认定) after today.
fn impossible(field: &Field, value: &Value, path: &str, limits: &Limits) -> Vec<InputError> {
    let error = |given: String, zh: String, en: String| InputError {
        field: path.to_owned(),
        label: None,
        given,
        expected_zh: zh,
        expected_en: en,
    };
    match (&field.kind, value) {
        (FieldKind::Number(Unit::Percent), Value::Number(share))
            if *share > rust_decimal::Decimal::ONE_HUNDRED =>
        {
            vec![error(
                format!("{}%", share.normalize()),
                "不超过 100% 的比例".to_owned(),
                "a share of at most 100%".to_owned(),
            )]
        }
        (FieldKind::Date | FieldKind::DateOrNone, Value::Date(date)) => {
            if let Some(today) = limits.today
                && *date > today
            {
                return vec![error(
                    date.to_string(),
                    format!("不晚于今天（{today}）的日期"),
                    format!("a date no later than today ({today})"),
                )];
            }
            match limits.cutoff {
                Some(cutoff) if matches!(field.kind, FieldKind::Date) && *date > cutoff => {
                    vec![error(
                        date.to_string(),
                        format!("不晚于本批次时间计算截止日期（{cutoff}）的日期"),
                        format!("a date no later than the round's cut-off date ({cutoff})"),
                    )]
                }
                _ => Vec::new(),
            }
        }
        (FieldKind::Records(spec), Value::Records(records)) => records
            .iter()
            .enumerate()
            .flat_map(|(row, record)| {
                spec.fields
                    .iter()
                    .zip(&record.values)
                    .filter_map(|(column, value)| Some((column, value.as_ref()?)))
                    .flat_map(move |(column, value)| {
                        let mut errors = impossible(
                            column,
                            value,
                            &format!("{path}[{row}].{}", column.id),
                            limits,
                        );
                        for error in &mut errors {
                            error.label = Some(column.label.clone());
                        }
                        errors
                    })
                    .collect::<Vec<_>>()
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Reads what can be read: invalid values are dropped (and reported), valid ones kept.
pub fn read_partial(
    scheme: &Scheme,
    provider_type: Option<usize>,
    body: &Json,
) -> (pingjia_core::Declaration, Vec<InputError>) {
    read_checked(scheme, provider_type, body, None)
}

/// [`read_partial`], and with `limits` also refusing values that cannot be true.
fn read_checked(
    scheme: &Scheme,
    provider_type: Option<usize>,
    body: &Json,
    limits: Option<&Limits>,
) -> (pingjia_core::Declaration, Vec<InputError>) {
    let mut errors = Vec::new();
    let mut clean = Map::new();
    if let Some(object) = body.as_object() {
        for (key, value) in object {
            match key.as_str() {
                "values" | "confirmed" => {
                    let mut kept = Map::new();
                    if let Some(values) = value.as_object() {
                        for (field_id, raw) in values {
                            if raw.is_null() || raw.as_str().is_some_and(|s| s.trim().is_empty()) {
                                continue;
                            }
                            let Some(index) = scheme.field(field_id) else {
                                errors.push(InputError {
                                    field: format!("{key}.{field_id}"),
                                    label: None,
                                    given: "(未知字段 unknown field)".into(),
                                    expected_zh: format!("方案 {} 的字段", scheme.id),
                                    expected_en: format!("a field of scheme {}", scheme.id),
                                });
                                continue;
                            };
                            let before = errors.len();
                            let field = &scheme.fields[index];
                            let path = format!("{key}.{field_id}");
                            let read = read_value(raw, field, scheme, &path, &mut errors);
                            if let (Some(limits), Some(value)) = (limits, &read) {
                                let label =
                                    Scheme::label_for(&field.label, scheme.round.reference_year);
                                for mut error in impossible(field, value, &path, limits) {
                                    error.label.get_or_insert_with(|| label.clone());
                                    errors.push(error);
                                }
                            }
                            if errors.len() == before {
                                kept.insert(field_id.clone(), raw.clone());
                            }
                        }
                    }
                    clean.insert(key.clone(), Json::Object(kept));
                }
                "scheme" | "provider_type" => {}
                _ => {
                    clean.insert(key.clone(), value.clone());
                }
            }
        }
    }
    let tree = Json::Object(clean);
    match read_declaration(&tree, scheme, provider_type) {
        Ok(declaration) => (declaration, errors),
        Err(more) => {
            errors.extend(more.0);
            // Keep the values; drop whatever else failed.
            let minimal = json!({ "values": tree.get("values").cloned().unwrap_or(json!({})), "confirmed": tree.get("confirmed").cloned().unwrap_or(json!({})) });
            let declaration = read_declaration(&minimal, scheme, provider_type)
                .unwrap_or_else(|_| empty(scheme, provider_type));
            (declaration, errors)
        }
    }
}

/// Resolves a scheme and provider type by ids, as the API receives them.
pub fn target<'c>(
    catalog: &'c Catalog,
    scheme_id: &str,
    provider_type: Option<&str>,
) -> Option<(&'c Scheme, Option<usize>)> {
    let scheme = catalog.schemes.iter().find(|s| s.id == scheme_id)?;
    match (provider_type, scheme.provider_types.is_empty()) {
        (Some(id), false) => scheme.provider_type(id).map(|t| (scheme, Some(t))),
        (None, true) => Some((scheme, None)),
        _ => None,
    }
}

fn empty(scheme: &Scheme, provider_type: Option<usize>) -> pingjia_core::Declaration {
    pingjia_core::Declaration {
        scheme: scheme.id.clone(),
        provider_type,
        organization: pingjia_core::declaration::Organization::default(),
        subclasses: None,
        declared: vec![None; scheme.fields.len()],
        confirmed: vec![None; scheme.fields.len()],
        experts: Vec::new(),
        self_scores: vec![None; scheme.criteria.len()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jiangsu(kind: &str) -> (Catalog, usize) {
        let catalog = Catalog::builtin().unwrap();
        let scheme = catalog
            .schemes
            .iter()
            .find(|s| s.id == "jiangsu-pool-2021")
            .unwrap();
        let kind = scheme.provider_type(kind).unwrap();
        (catalog, kind)
    }

    #[test]
    fn a_blank_declaration_is_not_graded_but_counted() {
        let (catalog, kind) = jiangsu("supporting");
        let scheme = catalog
            .schemes
            .iter()
            .find(|s| s.id == "jiangsu-pool-2021")
            .unwrap();
        let round = Round::from_scheme(scheme);
        let blank =
            json!({ "organization": { "kind": "enterprise" }, "values": {}, "confirmed": {} });
        let assessment = assess(scheme, Some(kind), &blank, &round);
        let count = assessment.unfilled.expect("nothing filled");
        assert!(count > 20, "{count}");
        assert_eq!(assessment.report.grade, NOT_FILLED);
        assert_eq!(assessment.report.stars, Some(0));
        let one = json!({ "values": { "registered_capital": "150万" } });
        let assessment = assess(scheme, Some(kind), &one, &round);
        assert_eq!(assessment.unfilled, None);
        assert_eq!(assessment.report.grade, "不予定级");
    }

    fn errors_of(assessment: &Assessment) -> Vec<(&str, &str)> {
        assessment
            .field_errors
            .iter()
            .map(|e| (e.field.as_str(), e.expected_zh.as_str()))
            .collect()
    }

    #[test]
    fn impossible_shares_and_dates_are_input_errors() {
        let (catalog, kind) = jiangsu("comprehensive_platform");
        let scheme = catalog
            .schemes
            .iter()
            .find(|s| s.id == "jiangsu-pool-2021")
            .unwrap();
        let round = Round::from_scheme(scheme);
        let today = NaiveDate::from_ymd_opt(2026, 1, 5);
        let body = json!({ "values": {
            "rd_expense_ratio": "100.5%",
            "established_on": "2021-07-01",
            "blacklisted_on": "2026-01-06",
            "registered_capital": "1200万",
        } });
        let assessment = assess_on(scheme, Some(kind), &body, &round, today);
        let errors = errors_of(&assessment);
        assert!(
            errors.contains(&("values.rd_expense_ratio", "不超过 100% 的比例")),
            "{errors:?}"
        );
        assert!(
            errors.contains(&(
                "values.established_on",
                "不晚于本批次时间计算截止日期（2021-06-30）的日期"
            )),
            "{errors:?}"
        );
        assert!(
            errors.contains(&("values.blacklisted_on", "不晚于今天（2026-01-05）的日期")),
            "{errors:?}"
        );
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(assessment.field_errors.iter().all(|e| e.label.is_some()));
        // The boundaries themselves are possible; without a day, only the cut-off applies.
        let body = json!({ "values": {
            "rd_expense_ratio": "100%",
            "established_on": "2021-06-30",
            "blacklisted_on": "2026-01-05",
        } });
        assert!(errors_of(&assess_on(scheme, Some(kind), &body, &round, today)).is_empty());
        let body = json!({ "values": { "blacklisted_on": "2030-01-01" } });
        assert!(errors_of(&assess(scheme, Some(kind), &body, &round)).is_empty());
    }

    #[test]
    fn a_share_above_100_in_a_record_is_refused_at_its_cell() {
        let catalog = Catalog::builtin().unwrap();
        let (scheme, _) = target(&catalog, "miit-platform-2018", None).unwrap();
        let round = Round::from_scheme(scheme);
        let body = json!({ "values": { "cross_industries": [
            { "name": "工程机械", "kind": "离散行业", "user_ratio": "12%" },
            { "name": "纺织", "kind": "流程行业", "user_ratio": "120" },
        ] } });
        let assessment = assess(scheme, None, &body, &round);
        let errors = errors_of(&assessment);
        assert_eq!(
            errors,
            vec![(
                "values.cross_industries[1].user_ratio",
                "不超过 100% 的比例"
            )]
        );
    }
}
