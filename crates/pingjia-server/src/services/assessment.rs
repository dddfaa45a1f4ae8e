//! Live self-assessment: a draft as typed (possibly half-valid) → the engine's report plus
//! the input errors, field by field. Values that do not parse are kept in the draft and
//! reported beside their field; the assessment uses the rest.

use pingjia_core::declaration::{InputError, read_value};
use pingjia_core::engine::Round;
use pingjia_core::{Catalog, Report, Scheme, evaluate, read_declaration, report};
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
}

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
/// and provider type, reading what can be read.
pub fn assess(
    scheme: &Scheme,
    provider_type: Option<usize>,
    body: &Json,
    round: &Round,
) -> Assessment {
    let (declaration, errors) = read_partial(scheme, provider_type, body);
    let evaluation = evaluate(scheme, &declaration, round);
    Assessment {
        report: report(&evaluation),
        field_errors: errors.into_iter().map(FieldError::from).collect(),
    }
}

/// Reads what can be read: invalid values are dropped (and reported), valid ones kept.
pub fn read_partial(
    scheme: &Scheme,
    provider_type: Option<usize>,
    body: &Json,
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
                            let _ = read_value(
                                raw,
                                &scheme.fields[index],
                                scheme,
                                &format!("{key}.{field_id}"),
                                &mut errors,
                            );
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
