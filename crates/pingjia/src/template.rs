//! `pingjia template`: a blank declaration listing every field with its Chinese label, unit,
//! allowed values and the requirement at each level.

use crate::{Failure, resolve};
use pingjia_core::Catalog;
use pingjia_core::scheme::{Criterion, Field, FieldKind, Scheme, Section, Test};
use serde::Serialize;
use std::fmt::Write as _;

/// One field of the template and the criteria that read it.
#[derive(Debug, Serialize)]
struct TemplateField {
    id: String,
    label: String,
    label_en: String,
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    unit: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    allowed: Vec<String>,
    examples: String,
    /// `criterion id: requirement per level`.
    requirements: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    record_fields: Vec<TemplateField>,
}

pub fn run(catalog: &Catalog, id: &str, json: bool) -> Result<(), Failure> {
    let target = resolve(catalog, id)?;
    let scheme = &catalog.schemes[target.scheme];
    if !scheme.provider_types.is_empty() && target.provider_type.is_none() {
        let ids: Vec<String> = scheme
            .provider_types
            .iter()
            .map(|t| format!("{}/{}", scheme.id, t.id))
            .collect();
        return Err(Failure::new(
            crate::EXIT_UNKNOWN_ID,
            format!(
                "请指定服务商类型 / choose a provider type: {}",
                ids.join(", ")
            ),
        ));
    }
    let fields = fields_for(scheme, target.provider_type);
    if json {
        let values: serde_json::Map<String, serde_json::Value> = fields
            .iter()
            .map(|f| (f.id.clone(), serde_json::Value::Null))
            .collect();
        let mut declaration = serde_json::json!({
            "scheme": scheme.id,
            "organization": { "name": "", "kind": "企业", "credit_code": "" },
            "values": values,
        });
        if let Some(t) = target.provider_type {
            declaration["provider_type"] =
                serde_json::Value::String(scheme.provider_types[t].id.clone());
        }
        if scheme.method == pingjia_core::scheme::Method::Rubric {
            let items: serde_json::Map<String, serde_json::Value> = rubric_items(scheme)
                .map(|c| (short_id(c).to_owned(), serde_json::Value::Null))
                .collect();
            declaration["experts"] = serde_json::json!([{ "expert": "专家1", "scores": items }]);
        }
        let output = serde_json::json!({ "declaration": declaration, "fields": fields });
        println!(
            "{}",
            serde_json::to_string_pretty(&output).unwrap_or_default()
        );
    } else {
        print!("{}", toml_template(scheme, target.provider_type, &fields));
    }
    Ok(())
}

fn rubric_items(scheme: &Scheme) -> impl Iterator<Item = &Criterion> {
    scheme
        .criteria
        .iter()
        .filter(|c| c.section == Section::Rubric)
}

fn short_id(criterion: &Criterion) -> &str {
    criterion.id.rsplit('.').next().unwrap_or(&criterion.id)
}

fn fields_for(scheme: &Scheme, provider_type: Option<usize>) -> Vec<TemplateField> {
    let mut seen: Vec<usize> = Vec::new();
    let mut out: Vec<TemplateField> = Vec::new();
    for criterion in scheme
        .criteria
        .iter()
        .filter(|c| scheme.applies_to(c, provider_type))
    {
        let mut add = |field: usize, requirement: String| {
            if let Some(position) = seen.iter().position(|f| *f == field) {
                out[position].requirements.push(requirement);
            } else {
                seen.push(field);
                out.push(describe(scheme, &scheme.fields[field], vec![requirement]));
            }
        };
        match &criterion.test {
            Test::Levels { field, .. }
            | Test::NotWithinYears { field, .. }
            | Test::OneOf { field }
            | Test::Records { field, .. } => {
                add(*field, requirement_line(scheme, criterion));
            }
            Test::AnyOf { alternatives } => {
                for alternative in alternatives {
                    add(alternative.field, requirement_line(scheme, criterion));
                }
            }
            Test::Score { .. } => {}
        }
    }
    out
}

fn requirement_line(scheme: &Scheme, criterion: &Criterion) -> String {
    let levels: Vec<String> =
        if criterion.wording.len() == scheme.levels.len() && scheme.levels.len() > 1 {
            scheme
                .levels
                .iter()
                .zip(&criterion.wording)
                .map(|(l, w)| format!("{} {w}", l.label))
                .collect()
        } else {
            criterion.wording.clone()
        };
    format!(
        "{}〔{}〕：{}",
        criterion.id,
        criterion.clause,
        levels.join(" / ")
    )
}

fn describe(scheme: &Scheme, field: &Field, requirements: Vec<String>) -> TemplateField {
    let label = Scheme::label_for(&field.label, scheme.round.reference_year);
    let (kind, unit, allowed, examples, record_fields) = match &field.kind {
        FieldKind::Number(unit) => (
            "number",
            Some(unit.name().to_owned()),
            Vec::new(),
            unit.examples().to_owned(),
            Vec::new(),
        ),
        FieldKind::YesNo => (
            "yes_no",
            None,
            vec!["是".into(), "否".into()],
            "是、否".into(),
            Vec::new(),
        ),
        FieldKind::Ordinal(scale) => {
            let mut allowed: Vec<String> = scheme.scales[*scale]
                .levels
                .iter()
                .map(|l| l.label.clone())
                .collect();
            allowed.insert(0, "无".into());
            (
                "ordinal",
                None,
                allowed,
                "由低到高，填写原文表述".into(),
                Vec::new(),
            )
        }
        FieldKind::Items(items) => (
            "items",
            None,
            items.clone(),
            format!("[\"{}\"]", items.first().cloned().unwrap_or_default()),
            Vec::new(),
        ),
        FieldKind::Date => ("date", None, Vec::new(), "2019-05-01".into(), Vec::new()),
        FieldKind::DateOrNone => (
            "date_or_none",
            None,
            vec!["无".into(), "日期（如 2019-05-01）".into()],
            "无、2019-05-01".into(),
            Vec::new(),
        ),
        FieldKind::Choice(options) => (
            "choice",
            None,
            options.clone(),
            options.first().cloned().unwrap_or_default(),
            Vec::new(),
        ),
        FieldKind::Records(spec) => {
            let fields = spec
                .fields
                .iter()
                .map(|f| describe(scheme, f, Vec::new()))
                .collect();
            (
                "records",
                None,
                spec.key_options.clone(),
                format!("[{{ name = \"{}\", … }}]", spec.key_label),
                fields,
            )
        }
    };
    TemplateField {
        id: field.id.clone(),
        label,
        label_en: field.label_en.clone(),
        kind,
        unit,
        allowed,
        examples,
        requirements,
        help: field.help.clone(),
        record_fields,
    }
}

fn toml_template(
    scheme: &Scheme,
    provider_type: Option<usize>,
    fields: &[TemplateField],
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# pingjia 申报模板 / declaration template");
    let _ = writeln!(out, "# 方案：{}（{} 版）", scheme.title, scheme.version);
    let _ = writeln!(out, "scheme = \"{}\"", scheme.id);
    if let Some(t) = provider_type {
        let provider_type = &scheme.provider_types[t];
        let _ = writeln!(out, "# 服务商类型：{}", provider_type.title);
        let _ = writeln!(out, "provider_type = \"{}\"", provider_type.id);
        let subclasses: Vec<String> = provider_type
            .subclasses
            .iter()
            .map(|s| format!("\"{}\"（{}）", s.id, s.title))
            .collect();
        let _ = writeln!(
            out,
            "# 申报子类（可选，默认全部）：{}",
            subclasses.join("、")
        );
        let _ = writeln!(
            out,
            "# subclasses = [\"{}\"]",
            provider_type.subclasses[0].id
        );
    }
    out.push_str("\n[organization]\nname = \"\"\nkind = \"企业\"  # 企业 / 事业单位 / 社会团体\ncredit_code = \"\"\n");
    out.push_str("\n# 去掉行首的 # 并填写取值；未填写的字段在评估中记为“未填写”。\n[values]\n");
    for field in fields {
        write_field(&mut out, field, "");
    }
    out.push_str("\n# 审核人员核定的取值（可选），定级以核定值为准 / values confirmed by reviewers\n[confirmed]\n");
    if scheme.method == pingjia_core::scheme::Method::Rubric {
        out.push_str("\n# 申报单位自评分（可选）\n[self_scores]\n");
        for item in rubric_items(scheme) {
            if let Test::Score { max, .. } = &item.test {
                let _ = writeln!(
                    out,
                    "# {} = 0  # {}（满分 {max}）",
                    short_id(item),
                    item.label
                );
            }
        }
        out.push_str("\n# 专家评分（每位专家一段）\n# [[experts]]\n# expert = \"专家1\"\n# [experts.scores]\n");
        for item in rubric_items(scheme) {
            let _ = writeln!(out, "# {} = 0", short_id(item));
        }
    }
    out
}

fn write_field(out: &mut String, field: &TemplateField, indent: &str) {
    let unit = field
        .unit
        .as_deref()
        .filter(|u| *u != "无")
        .map(|u| format!("，单位 {u}"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "\n{indent}# {}（{}）{unit}",
        field.label, field.label_en
    );
    if !field.allowed.is_empty() {
        let _ = writeln!(out, "{indent}#   可填：{}", field.allowed.join(" | "));
    }
    for requirement in &field.requirements {
        let _ = writeln!(out, "{indent}#   {requirement}");
    }
    if let Some(help) = &field.help {
        let _ = writeln!(out, "{indent}#   说明：{help}");
    }
    if field.kind == "records" {
        // Array-of-tables syntax, so the lines are valid TOML once uncommented.
        let _ = writeln!(out, "{indent}# [[values.{}]]", field.id);
        let key_options = if field.allowed.is_empty() {
            String::new()
        } else {
            format!("  # {}", field.allowed.join(" / "))
        };
        let _ = writeln!(out, "{indent}# name = \"\"{key_options}");
        for record_field in &field.record_fields {
            let unit = record_field
                .unit
                .as_deref()
                .filter(|u| *u != "无")
                .map(|u| format!("，单位 {u}"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "{indent}# {} = {}  # {}{unit}",
                record_field.id,
                example_value(record_field),
                record_field.label
            );
        }
        return;
    }
    let _ = writeln!(out, "{indent}# {} = {}", field.id, example_value(field));
}

/// A placeholder of the right TOML type: bare numbers for counts, strings for amounts.
fn example_value(field: &TemplateField) -> String {
    let first = field.examples.split('、').next().unwrap_or_default();
    match field.kind {
        "number"
            if field
                .unit
                .as_deref()
                .is_some_and(|u| matches!(u, "元" | "%" | "TB" | "GB/s" | "PB/日")) =>
        {
            format!("\"{first}\"")
        }
        "number" => "0".into(),
        "yes_no" => "\"是\"".into(),
        "ordinal" => format!("\"{}\"", field.allowed.get(1).cloned().unwrap_or_default()),
        "items" => field.examples.clone(),
        "date" => "2019-05-01".into(),
        "date_or_none" => "\"无\"".into(),
        _ => format!("\"{first}\""),
    }
}
