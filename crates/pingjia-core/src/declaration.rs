//! Declarations: what an applicant (and, after review, a reviewer) states about an
//! organisation, read from JSON, TOML or YAML into exact typed values.
//!
//! Reading never panics: every problem becomes an [`InputError`] naming the field, what was
//! given and what is expected, in Chinese and English.

use crate::scheme::{Field, FieldKind, OrgKind, RecordSpec, Scheme, Section, Test, same_label};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::Value as Json;
use std::fmt;

/// The file formats a declaration can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Toml,
    Yaml,
}

impl Format {
    /// Picks the format from a file name's extension (`.json`, `.toml`, `.yaml`/`.yml`).
    pub fn from_path(path: &str) -> Option<Format> {
        let lower = path.to_ascii_lowercase();
        if lower.ends_with(".json") || lower.ends_with(".jsonl") {
            Some(Format::Json)
        } else if lower.ends_with(".toml") {
            Some(Format::Toml)
        } else if lower.ends_with(".yaml") || lower.ends_with(".yml") {
            Some(Format::Yaml)
        } else {
            None
        }
    }
}

/// A typed value of one declaration field.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Number(Decimal),
    Bool(bool),
    /// A level of the field's scale; `None` is 无 (below the scale).
    Level(Option<u16>),
    /// The pool items implemented, as a bit set over the criterion's `items`.
    Items(u64),
    Date(NaiveDate),
    /// 无: the event (revocation, blacklisting) never happened.
    NoDate,
    /// One of the field's listed options.
    Choice(u16),
    /// A choice declared outside the listed options, as written: a failed criterion (平台类型
    /// 「跨行业跨领域级」 does not meet 第六条（二）), not an input error.
    Unlisted(String),
    Records(Vec<Record>),
}

/// One record of a records field (an industry, a domain, a region).
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub key: String,
    pub values: Vec<Option<Value>>,
}

/// One expert's scores of the rubric items.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpertScores {
    pub expert: String,
    /// Indexed like the scheme's criteria; only rubric items are set.
    pub scores: Vec<Option<Decimal>>,
}

/// The organisation that applies.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Organization {
    pub name: Option<String>,
    /// `None` when the declaration does not say; the engine then reads it as 企业 and says so.
    pub kind: Option<OrgKind>,
    pub credit_code: Option<String>,
}

/// A declaration read against one scheme.
#[derive(Debug, Clone, PartialEq)]
pub struct Declaration {
    pub scheme: String,
    pub provider_type: Option<usize>,
    pub organization: Organization,
    /// The subclasses applied for (申报子类); `None` means all of the type's subclasses.
    pub subclasses: Option<Vec<usize>>,
    /// Values the applicant declared, indexed like [`Scheme::fields`].
    pub declared: Vec<Option<Value>>,
    /// Values a reviewer or expert confirmed, indexed like [`Scheme::fields`].
    pub confirmed: Vec<Option<Value>>,
    pub experts: Vec<ExpertScores>,
    /// The applicant's own scores of the rubric items (自评价), indexed like the criteria.
    pub self_scores: Vec<Option<Decimal>>,
}

/// One problem with a declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// Path of the field in the file, e.g. `values.registered_capital`.
    pub field: String,
    /// The field's Chinese label, when known.
    pub label: Option<String>,
    /// What was given, as text.
    pub given: String,
    pub expected_zh: String,
    pub expected_en: String,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = self
            .label
            .as_deref()
            .map(|l| format!("（{l}）"))
            .unwrap_or_default();
        write!(
            f,
            "字段 {}{}：给出 {}，应为{} / field {}: got {}, expected {}",
            self.field,
            label,
            self.given,
            self.expected_zh,
            self.field,
            self.given,
            self.expected_en
        )
    }
}

/// All problems of one declaration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct InputErrors(pub Vec<InputError>);

impl fmt::Display for InputErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, error) in self.0.iter().enumerate() {
            if index > 0 {
                writeln!(f)?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

fn problem(field: &str, given: &str, zh: &str, en: &str) -> InputError {
    InputError {
        field: field.to_owned(),
        label: None,
        given: given.to_owned(),
        expected_zh: zh.to_owned(),
        expected_en: en.to_owned(),
    }
}

/// Parses a declaration file into a generic tree (all three formats share one tree).
pub fn parse_tree(text: &str, format: Format) -> Result<Json, InputErrors> {
    let syntax = |message: String| {
        InputErrors(vec![problem(
            "(file)",
            &message,
            "语法正确的 JSON / TOML / YAML 文件",
            "a well-formed JSON / TOML / YAML file",
        )])
    };
    match format {
        Format::Json => serde_json::from_str(text).map_err(|e| syntax(e.to_string())),
        Format::Toml => {
            let table: toml::Table = toml::from_str(text).map_err(|e| syntax(e.to_string()))?;
            Ok(toml_to_json(toml::Value::Table(table)))
        }
        Format::Yaml => serde_yaml_ng::from_str(text).map_err(|e| syntax(e.to_string())),
    }
}

fn toml_to_json(value: toml::Value) -> Json {
    match value {
        toml::Value::String(s) => Json::String(s),
        toml::Value::Integer(i) => Json::from(i),
        toml::Value::Float(f) => {
            // Through text, so that 0.1 stays 0.1 when it becomes a Decimal.
            serde_json::from_str(&f.to_string()).unwrap_or(Json::Null)
        }
        toml::Value::Boolean(b) => Json::Bool(b),
        toml::Value::Datetime(d) => Json::String(d.to_string()),
        toml::Value::Array(items) => Json::Array(items.into_iter().map(toml_to_json).collect()),
        toml::Value::Table(table) => Json::Object(
            table
                .into_iter()
                .map(|(k, v)| (k, toml_to_json(v)))
                .collect(),
        ),
    }
}

/// The `scheme` and `provider_type` a declaration names, read before the scheme is known.
pub fn header(tree: &Json) -> (Option<String>, Option<String>) {
    let text = |key: &str| tree.get(key).and_then(Json::as_str).map(str::to_owned);
    (text("scheme"), text("provider_type"))
}

const TOP_LEVEL_KEYS: &[&str] = &[
    "scheme",
    "provider_type",
    "organization",
    "subclasses",
    "values",
    "confirmed",
    "experts",
    "self_scores",
    "note",
];

/// Reads a declaration tree against a scheme. `provider_type` (from the command line) wins
/// over the one in the file when both are given and agree; disagreement is an error.
pub fn read_declaration(
    tree: &Json,
    scheme: &Scheme,
    provider_type: Option<usize>,
) -> Result<Declaration, InputErrors> {
    let mut errors = Vec::new();
    let Some(object) = tree.as_object() else {
        return Err(InputErrors(vec![problem(
            "(file)",
            &short(tree),
            "一个对象（键值表）",
            "an object (a table of keys)",
        )]));
    };
    for key in object.keys() {
        if TOP_LEVEL_KEYS.contains(&key.as_str()) {
            continue;
        }
        if scheme.field(key).is_some() {
            errors.push(problem(
                key,
                "(写在了顶层 at the top level)",
                "写在 [values] 下的字段",
                "a field under [values]",
            ));
        } else {
            errors.push(problem(
                key,
                "(未知键 unknown key)",
                &format!("以下键之一：{}", TOP_LEVEL_KEYS.join("、")),
                &format!("one of {}", TOP_LEVEL_KEYS.join(", ")),
            ));
        }
    }
    if let Some(named) = object.get("scheme").and_then(Json::as_str)
        && named != scheme.id
    {
        errors.push(problem(
            "scheme",
            named,
            &format!("方案 {}", scheme.id),
            &format!("scheme {}", scheme.id),
        ));
    }
    let provider_type = match (object.get("provider_type"), provider_type) {
        (None, chosen) => chosen,
        (Some(Json::String(name)), chosen) => match scheme.provider_type(name) {
            Some(index) if chosen.is_none() || chosen == Some(index) => Some(index),
            Some(_) => {
                let wanted = &scheme.provider_types[chosen.unwrap_or_default()].id;
                errors.push(problem(
                    "provider_type",
                    name,
                    &format!("与命令行指定的 {wanted} 一致"),
                    &format!("the type given on the command line, {wanted}"),
                ));
                chosen
            }
            None => {
                let ids: Vec<&str> = scheme
                    .provider_types
                    .iter()
                    .map(|t| t.id.as_str())
                    .collect();
                errors.push(problem(
                    "provider_type",
                    name,
                    &format!("服务商类型之一：{}", ids.join("、")),
                    &format!("one of {}", ids.join(", ")),
                ));
                chosen
            }
        },
        (Some(other), chosen) => {
            errors.push(problem(
                "provider_type",
                &short(other),
                "服务商类型编号（字符串）",
                "a provider type id (string)",
            ));
            chosen
        }
    };
    if !scheme.provider_types.is_empty() && provider_type.is_none() {
        let ids: Vec<&str> = scheme
            .provider_types
            .iter()
            .map(|t| t.id.as_str())
            .collect();
        errors.push(problem(
            "provider_type",
            "(未填写 missing)",
            &format!("服务商类型之一：{}", ids.join("、")),
            &format!("one of {}", ids.join(", ")),
        ));
    }

    let organization = read_organization(object.get("organization"), &mut errors);
    let subclasses = read_subclasses(object.get("subclasses"), scheme, provider_type, &mut errors);
    let declared = read_values(object.get("values"), "values", scheme, &mut errors);
    let confirmed = read_values(object.get("confirmed"), "confirmed", scheme, &mut errors);
    let experts = read_experts(object.get("experts"), scheme, &mut errors);
    let self_scores = match object.get("self_scores") {
        None => vec![None; scheme.criteria.len()],
        Some(tree) => read_scores(tree, "self_scores", scheme, &mut errors),
    };

    if errors.is_empty() {
        Ok(Declaration {
            scheme: scheme.id.clone(),
            provider_type,
            organization,
            subclasses,
            declared,
            confirmed,
            experts,
            self_scores,
        })
    } else {
        Err(InputErrors(errors))
    }
}

pub(crate) fn read_organization(tree: Option<&Json>, errors: &mut Vec<InputError>) -> Organization {
    let mut organization = Organization::default();
    let Some(tree) = tree else {
        return organization;
    };
    let Some(object) = tree.as_object() else {
        errors.push(problem(
            "organization",
            &short(tree),
            "对象，含 name、kind、credit_code",
            "an object with name, kind, credit_code",
        ));
        return organization;
    };
    for (key, value) in object {
        let path = format!("organization.{key}");
        match (key.as_str(), value) {
            ("name", Json::String(name)) => organization.name = Some(name.clone()),
            ("credit_code", Json::String(code)) => organization.credit_code = Some(code.clone()),
            ("kind", Json::String(kind)) => match OrgKind::parse(kind) {
                Some(kind) => organization.kind = Some(kind),
                None => errors.push(problem(&path, kind, "企业、事业单位或社会团体", "企业 (enterprise), 事业单位 (public institution) or 社会团体 (social organisation)")),
            },
            ("name" | "credit_code" | "kind", other) => errors.push(problem(&path, &short(other), "文本", "text")),
            (_, _) => errors.push(problem(&path, "(未知键 unknown key)", "name、kind 或 credit_code", "name, kind or credit_code")),
        }
    }
    organization
}

fn read_subclasses(
    tree: Option<&Json>,
    scheme: &Scheme,
    provider_type: Option<usize>,
    errors: &mut Vec<InputError>,
) -> Option<Vec<usize>> {
    let tree = tree?;
    let Some(type_index) = provider_type else {
        errors.push(problem(
            "subclasses",
            &short(tree),
            "先指定 provider_type",
            "a provider_type first",
        ));
        return None;
    };
    let subclasses = &scheme.provider_types[type_index].subclasses;
    let names: Vec<String> = subclasses
        .iter()
        .map(|s| format!("{}（{}）", s.id, s.title))
        .collect();
    let Some(items) = tree.as_array() else {
        errors.push(problem(
            "subclasses",
            &short(tree),
            "子类编号列表",
            "a list of subclass ids",
        ));
        return None;
    };
    let mut chosen = Vec::new();
    for item in items {
        let text = item.as_str().unwrap_or_default();
        match subclasses
            .iter()
            .position(|s| s.id == text || same_label(&s.title, text))
        {
            Some(index) if !chosen.contains(&index) => chosen.push(index),
            Some(_) => {}
            None => errors.push(problem(
                "subclasses",
                &short(item),
                &format!("子类之一：{}", names.join("、")),
                &format!("one of {}", names.join(", ")),
            )),
        }
    }
    if chosen.is_empty() {
        errors.push(problem(
            "subclasses",
            "[]",
            "至少一个子类",
            "at least one subclass",
        ));
    }
    chosen.sort_unstable();
    Some(chosen)
}

fn read_values(
    tree: Option<&Json>,
    section: &str,
    scheme: &Scheme,
    errors: &mut Vec<InputError>,
) -> Vec<Option<Value>> {
    let mut values = vec![None; scheme.fields.len()];
    let Some(tree) = tree else { return values };
    let Some(object) = tree.as_object() else {
        errors.push(problem(
            section,
            &short(tree),
            "字段编号到取值的对象",
            "an object mapping field ids to values",
        ));
        return values;
    };
    for (key, raw) in object {
        let Some(index) = scheme.field(key) else {
            let path = format!("{section}.{key}");
            let hint = nearest_field(key, &scheme.fields);
            errors.push(problem(
                &path,
                "(未知字段 unknown field)",
                &format!(
                    "方案 {} 的字段{}",
                    scheme.id,
                    hint.as_ref()
                        .map(|h| format!("，是否为 {h}？"))
                        .unwrap_or_default()
                ),
                &format!(
                    "a field of scheme {}{}",
                    scheme.id,
                    hint.map(|h| format!(" (did you mean {h}?)"))
                        .unwrap_or_default()
                ),
            ));
            continue;
        };
        if raw.is_null() {
            continue;
        }
        values[index] = read_value_at(raw, &scheme.fields[index], scheme, section, key, errors);
    }
    values
}

/// [`read_value`] at `section.key`, the path written out only when there is an error (for
/// every value it cost about a sixth of reading). Errors are the same as `read_value`'s.
pub(crate) fn read_value_at(
    raw: &Json,
    field: &Field,
    scheme: &Scheme,
    section: &str,
    key: &str,
    errors: &mut Vec<InputError>,
) -> Option<Value> {
    let before = errors.len();
    let value = read_value(raw, field, scheme, "", errors);
    for error in &mut errors[before..] {
        // Every path under a value starts with the value's own (`[0].name` below a record).
        error.field = format!("{section}.{key}{}", error.field);
    }
    value
}

fn nearest_field(key: &str, fields: &[Field]) -> Option<String> {
    fields
        .iter()
        .find(|f| f.id.contains(key) || key.contains(f.id.as_str()) || f.label == key)
        .map(|f| f.id.clone())
}

/// Reads one value according to its field's kind; pushes an error and returns `None` on bad input.
pub fn read_value(
    raw: &Json,
    field: &Field,
    scheme: &Scheme,
    path: &str,
    errors: &mut Vec<InputError>,
) -> Option<Value> {
    let before = errors.len();
    let value = read_value_inner(raw, field, scheme, path, errors);
    for error in &mut errors[before..] {
        if error.label.is_none() {
            error.label = Some(Scheme::label_for(&field.label, scheme.round.reference_year));
        }
    }
    value
}

fn read_value_inner(
    raw: &Json,
    field: &Field,
    scheme: &Scheme,
    path: &str,
    errors: &mut Vec<InputError>,
) -> Option<Value> {
    // What was given is written out only for an error (formatting it for every value cost
    // about a sixth of reading).
    let mut fail = |zh: String, en: String| {
        errors.push(problem(path, &short(raw), &zh, &en));
        None
    };
    match &field.kind {
        FieldKind::Number(unit) => {
            let text = match raw {
                Json::Number(n) => n.to_string(),
                Json::String(s) => s.clone(),
                _ => String::new(),
            };
            match unit.parse(&text) {
                Ok(value) => Some(Value::Number(value)),
                Err(e) => fail(e.expected_zh, e.expected_en),
            }
        }
        FieldKind::YesNo => match raw {
            Json::Bool(b) => Some(Value::Bool(*b)),
            Json::String(s) => match s.trim() {
                "是" | "有" | "具备" | "yes" | "true" => Some(Value::Bool(true)),
                "否" | "无" | "不具备" | "没有" | "no" | "false" => Some(Value::Bool(false)),
                _ => fail(
                    "是/否（或 有/无、具备/不具备、true/false）".into(),
                    "yes/no (是/否, 有/无, 具备/不具备, true/false)".into(),
                ),
            },
            _ => fail(
                "是/否（或 true/false）".into(),
                "yes/no (true/false)".into(),
            ),
        },
        FieldKind::Ordinal(scale_index) => {
            let scale = &scheme.scales[*scale_index];
            match raw.as_str().and_then(|text| scale.find(text)) {
                Some(level) => Some(Value::Level(level)),
                None => {
                    // Written out only for the error: for every value it was most of reading.
                    let labels: Vec<String> = scale
                        .levels
                        .iter()
                        .map(|l| {
                            if l.aliases.is_empty() {
                                l.label.clone()
                            } else {
                                format!("{}（可简写 {}）", l.label, l.aliases.join("/"))
                            }
                        })
                        .collect();
                    fail(
                        format!("以下之一（由低到高）：{}，或“无”", labels.join(" < ")),
                        format!("one of (low to high): {}, or 无", labels.join(" < ")),
                    )
                }
            }
        }
        FieldKind::Items(items) => {
            let list = || items.join("、");
            let Some(array) = raw.as_array() else {
                let list = list();
                return fail(
                    format!("已实现子域的列表，可选：{list}"),
                    format!("a list of implemented items from: {list}"),
                );
            };
            let mut bits = 0u64;
            for entry in array {
                let text = entry.as_str().unwrap_or_default();
                match items.iter().position(|item| same_label(item, text)) {
                    Some(index) => bits |= 1 << index,
                    None => {
                        let list = list();
                        errors.push(problem(
                            path,
                            &short(entry),
                            &format!("以下子域之一：{list}"),
                            &format!("one of the items: {list}"),
                        ));
                    }
                }
            }
            Some(Value::Items(bits))
        }
        FieldKind::Date => match raw.as_str().and_then(parse_date) {
            Some(date) => Some(Value::Date(date)),
            None => fail(
                "日期，如 2019-05-01 或 2019年5月1日".into(),
                "a date such as 2019-05-01".into(),
            ),
        },
        FieldKind::DateOrNone => match raw {
            Json::Bool(false) | Json::Null => Some(Value::NoDate),
            Json::String(s) if matches!(s.trim(), "无" | "否" | "none") => Some(Value::NoDate),
            Json::String(s) => match parse_date(s) {
                Some(date) => Some(Value::Date(date)),
                None => fail(
                    "日期（如 2019-05-01）或“无”".into(),
                    "a date such as 2019-05-01, or 无 (never)".into(),
                ),
            },
            _ => fail(
                "日期（如 2019-05-01）或“无”".into(),
                "a date such as 2019-05-01, or 无 (never)".into(),
            ),
        },
        FieldKind::Choice(options) => {
            match raw.as_str().map(str::trim) {
                Some(text) if !text.is_empty() => {
                    Some(match options.iter().position(|o| same_label(o, text)) {
                        Some(index) => Value::Choice(index as u16),
                        // Not a typing error but a fact: the criterion reports it as not met.
                        None => Value::Unlisted(text.to_owned()),
                    })
                }
                _ => {
                    let list = options.join("、");
                    fail(
                        format!("文本，如以下之一：{list}"),
                        format!("text, such as one of: {list}"),
                    )
                }
            }
        }
        FieldKind::Records(spec) => read_records(raw, spec, scheme, path, errors),
    }
}

fn read_records(
    raw: &Json,
    spec: &RecordSpec,
    scheme: &Scheme,
    path: &str,
    errors: &mut Vec<InputError>,
) -> Option<Value> {
    let Some(array) = raw.as_array() else {
        errors.push(problem(
            path,
            &short(raw),
            "记录列表（每项含 name 及各项数值）",
            "a list of records, each with a name and its values",
        ));
        return None;
    };
    let mut records = Vec::new();
    for (position, entry) in array.iter().enumerate() {
        let record_path = format!("{path}[{position}]");
        let Some(object) = entry.as_object() else {
            errors.push(problem(&record_path, &short(entry), "对象", "an object"));
            continue;
        };
        let key = object
            .get("name")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .trim()
            .to_owned();
        if key.is_empty() {
            errors.push(problem(
                &format!("{record_path}.name"),
                "(未填写 missing)",
                &spec.key_label,
                &spec.key_label,
            ));
        } else if !spec.key_options.is_empty() && !spec.key_options.contains(&key) {
            errors.push(problem(
                &format!("{record_path}.name"),
                &key,
                &format!("以下之一：{}", spec.key_options.join("、")),
                &format!("one of: {}", spec.key_options.join(", ")),
            ));
        }
        let mut values = vec![None; spec.fields.len()];
        for (name, value) in object {
            if name == "name" {
                continue;
            }
            let field_path = format!("{record_path}.{name}");
            match spec.fields.iter().position(|f| &f.id == name) {
                Some(index) if !value.is_null() => {
                    values[index] =
                        read_value(value, &spec.fields[index], scheme, &field_path, errors)
                }
                Some(_) => {}
                None => {
                    let ids: Vec<&str> = spec.fields.iter().map(|f| f.id.as_str()).collect();
                    errors.push(problem(
                        &field_path,
                        "(未知字段 unknown field)",
                        &format!("name 或 {}", ids.join("、")),
                        &format!("name or one of {}", ids.join(", ")),
                    ));
                }
            }
        }
        records.push(Record { key, values });
    }
    Some(Value::Records(records))
}

pub(crate) fn read_experts(
    tree: Option<&Json>,
    scheme: &Scheme,
    errors: &mut Vec<InputError>,
) -> Vec<ExpertScores> {
    let Some(tree) = tree else { return Vec::new() };
    let Some(array) = tree.as_array() else {
        errors.push(problem(
            "experts",
            &short(tree),
            "专家评分列表",
            "a list of expert score sheets",
        ));
        return Vec::new();
    };
    let mut experts = Vec::new();
    for (position, entry) in array.iter().enumerate() {
        let path = format!("experts[{position}]");
        let expert = entry
            .get("expert")
            .and_then(Json::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| format!("专家{}", position + 1));
        match entry.get("scores") {
            Some(scores) => experts.push(ExpertScores {
                expert,
                scores: read_scores(scores, &format!("{path}.scores"), scheme, errors),
            }),
            None => errors.push(problem(
                &format!("{path}.scores"),
                "(未填写 missing)",
                "各评审指标的得分",
                "a score for each rubric item",
            )),
        }
    }
    experts
}

pub(crate) fn read_scores(
    tree: &Json,
    path: &str,
    scheme: &Scheme,
    errors: &mut Vec<InputError>,
) -> Vec<Option<Decimal>> {
    let mut scores = vec![None; scheme.criteria.len()];
    let Some(object) = tree.as_object() else {
        errors.push(problem(
            path,
            &short(tree),
            "评审指标编号到得分的对象",
            "an object mapping rubric item ids to scores",
        ));
        return scores;
    };
    for (key, raw) in object {
        let item_path = format!("{path}.{key}");
        let found = scheme.criteria.iter().position(|c| {
            c.section == Section::Rubric && (c.id == *key || c.id.rsplit('.').next() == Some(key))
        });
        let Some(index) = found else {
            let ids: Vec<&str> = scheme
                .criteria
                .iter()
                .filter(|c| c.section == Section::Rubric)
                .map(|c| c.id.as_str())
                .collect();
            errors.push(problem(
                &item_path,
                "(未知评审指标 unknown item)",
                &format!("以下之一：{}", ids.join("、")),
                &format!("one of {}", ids.join(", ")),
            ));
            continue;
        };
        let Test::Score { max, .. } = &scheme.criteria[index].test else {
            continue;
        };
        let text = match raw {
            Json::Number(n) => n.to_string(),
            Json::String(s) => s.trim().trim_end_matches('分').to_owned(),
            _ => String::new(),
        };
        match text.parse::<Decimal>() {
            Ok(score) if score >= Decimal::ZERO && score <= *max => scores[index] = Some(score),
            _ => {
                let mut error = problem(
                    &item_path,
                    &short(raw),
                    &format!("0 至 {max} 之间的分数"),
                    &format!("a score from 0 to {max}"),
                );
                error.label = Some(scheme.criteria[index].label.clone());
                errors.push(error);
            }
        }
    }
    scores
}

/// Reads `2019-05-01`, `2019/5/1`, `2019.5.1` or `2019年5月1日`.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    // An RFC 3339 date-time keeps only its date part.
    let text = match text.as_bytes().get(10) {
        Some(b'T') => &text[..10],
        _ => text,
    };
    let cleaned: String = text
        .chars()
        .map(|c| match c {
            '年' | '月' | '/' | '.' => '-',
            '日' => ' ',
            other => other,
        })
        .collect();
    let mut parts = cleaned.trim().split('-');
    let year = parts.next()?.trim().parse().ok()?;
    let month = parts.next()?.trim().parse().ok()?;
    let day = parts.next()?.trim().parse().ok()?;
    if parts.next().is_some() {
        return None;
    }
    NaiveDate::from_ymd_opt(year, month, day)
}

fn short(value: &Json) -> String {
    let text = match value {
        Json::String(s) => format!("“{s}”"),
        other => other.to_string(),
    };
    if text.chars().count() > 60 {
        let cut: String = text.chars().take(57).collect();
        format!("{cut}…")
    } else {
        text
    }
}
