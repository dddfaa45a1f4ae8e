//! `pingjia schemes`: list the schemes, show one as the document's table, check a new file.

use crate::{EXIT_INVALID_SCHEME, Failure, read_text, resolve};
use clap::{Args, Subcommand};
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use pingjia_core::scheme::{Method, Scheme, Section, Test};
use pingjia_core::{Catalog, parse_scheme};
use serde::Serialize;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct SchemesArgs {
    #[command(subcommand)]
    command: Option<SchemesCommand>,
    /// 输出 JSON / print JSON
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Subcommand)]
enum SchemesCommand {
    /// 按文件的表格形式显示指标 / show the criteria table of a scheme or provider type
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// 校验方案文件 / validate a scheme file
    Check { file: PathBuf },
}

#[derive(Debug, Serialize)]
struct SchemeListing<'a> {
    id: &'a str,
    title: &'a str,
    title_en: &'a str,
    version: &'a str,
    method: Method,
    document: &'a str,
    criteria: usize,
    provider_types: Vec<TypeListing<'a>>,
}

#[derive(Debug, Serialize)]
struct TypeListing<'a> {
    id: String,
    title: &'a str,
    title_en: &'a str,
    category: &'a str,
    subclasses: Vec<&'a str>,
}

pub fn run(catalog: &Catalog, args: SchemesArgs) -> Result<(), Failure> {
    match args.command {
        None => {
            list(catalog, args.json);
            Ok(())
        }
        Some(SchemesCommand::Show { id, json }) => show(catalog, &id, json || args.json),
        Some(SchemesCommand::Check { file }) => check(&file),
    }
}

fn list(catalog: &Catalog, json: bool) {
    let listings: Vec<SchemeListing<'_>> = catalog
        .schemes
        .iter()
        .map(|scheme| SchemeListing {
            id: &scheme.id,
            title: &scheme.title,
            title_en: &scheme.title_en,
            version: &scheme.version,
            method: scheme.method,
            document: &scheme.document,
            criteria: scheme.criteria.len(),
            provider_types: scheme
                .provider_types
                .iter()
                .map(|t| TypeListing {
                    id: format!("{}/{}", scheme.id, t.id),
                    title: &t.title,
                    title_en: &t.title_en,
                    category: &t.category,
                    subclasses: t.subclasses.iter().map(|s| s.title.as_str()).collect(),
                })
                .collect(),
        })
        .collect();
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&listings).unwrap_or_default()
        );
        return;
    }
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    table.set_header(vec!["编号 id", "名称", "版本", "方法", "指标数"]);
    for listing in &listings {
        let method = match listing.method {
            Method::Stars => "星级评估",
            Method::Rubric => "评分认定",
            Method::Capability => "能力评价",
        };
        table.add_row(vec![
            listing.id.to_owned(),
            listing.title.to_owned(),
            listing.version.to_owned(),
            method.to_owned(),
            listing.criteria.to_string(),
        ]);
        for provider_type in &listing.provider_types {
            table.add_row(vec![
                format!("  {}", provider_type.id),
                format!("  {}（{}）", provider_type.title, provider_type.category),
                String::new(),
                String::new(),
                String::new(),
            ]);
        }
    }
    println!("{table}");
}

fn show(catalog: &Catalog, id: &str, json: bool) -> Result<(), Failure> {
    let target = resolve(catalog, id)?;
    let scheme = &catalog.schemes[target.scheme];
    let rows: Vec<Row> = scheme
        .criteria
        .iter()
        .filter(|c| {
            scheme.applies_to(c, target.provider_type)
                || (target.provider_type.is_none() && scheme.method == Method::Stars)
        })
        .map(|c| row(scheme, c))
        .collect();
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&rows).unwrap_or_default()
        );
        return Ok(());
    }
    println!("{}（{} 版）", scheme.title, scheme.version);
    if let Some(type_index) = target.provider_type {
        let provider_type = &scheme.provider_types[type_index];
        let rule = match provider_type.professional {
            pingjia_core::scheme::ProfessionalRule::AnySubclass => "专业要求：至少满足1项子类要求",
            pingjia_core::scheme::ProfessionalRule::AllSubclasses => "专业要求：须满足全部子类要求",
        };
        println!(
            "{} · {}〔{}〕 {rule}",
            provider_type.category, provider_type.title, provider_type.clause
        );
    }
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    let mut header = vec!["类".to_owned(), "子类/域".to_owned(), "指标".to_owned()];
    if scheme.method == Method::Stars {
        header.extend(scheme.levels.iter().map(|l| l.label.clone()));
    } else {
        header.push("要求".into());
    }
    header.extend(["注".to_owned(), "条款".to_owned(), "编号".to_owned()]);
    table.set_header(header);
    for row in &rows {
        let mut cells = vec![
            row.section.to_owned(),
            row.group.clone().unwrap_or_default(),
            row.label.clone(),
        ];
        if scheme.method == Method::Stars && row.levels.len() < scheme.levels.len() {
            cells.extend(std::iter::repeat_n(
                row.levels.first().cloned().unwrap_or_default(),
                scheme.levels.len(),
            ));
        } else {
            cells.extend(row.levels.iter().cloned());
        }
        cells.extend([row.notes.join(" "), row.clause.clone(), row.id.clone()]);
        table.add_row(cells);
    }
    println!("{table}");
    for note in &scheme.notes {
        println!("{}：{}", note.id, note.text);
    }
    for parameter in &scheme.parameters {
        let example = parameter
            .example
            .map(|v| format!("（示例 {}，非文件规定）", parameter.unit.display(v)))
            .unwrap_or_default();
        println!(
            "参数 {}：{}，单位 {}{example}",
            parameter.id, parameter.label, parameter.unit
        );
    }
    Ok(())
}

#[derive(Debug, Serialize)]
struct Row {
    id: String,
    section: &'static str,
    group: Option<String>,
    label: String,
    label_en: String,
    levels: Vec<String>,
    notes: Vec<String>,
    clause: String,
}

fn row(scheme: &Scheme, criterion: &pingjia_core::scheme::Criterion) -> Row {
    let group = match (
        criterion.section,
        criterion.subclass,
        criterion.provider_type,
    ) {
        (Section::Professional, Some(s), Some(t)) => {
            Some(scheme.provider_types[t].subclasses[s].title.clone())
        }
        _ => criterion.group.clone(),
    };
    let mut label = Scheme::label_for(&criterion.label, scheme.round.reference_year);
    match &criterion.test {
        Test::Levels { field, .. } => {
            if let pingjia_core::scheme::FieldKind::Items(items) = &scheme.fields[*field].kind {
                label = format!("{label}（{}）", items.join("、"));
            }
        }
        Test::Score { guidance, .. } if !guidance.is_empty() => {
            label = format!("{label}（{guidance}）")
        }
        _ => {}
    }
    if criterion.provider_type.is_none()
        && criterion.section == Section::Gate
        && scheme.method == Method::Stars
    {
        label = format!("{label}（各类型通用）");
    }
    Row {
        id: criterion.id.clone(),
        section: criterion.section.label(),
        group,
        label,
        label_en: criterion.label_en.clone(),
        levels: criterion.wording.clone(),
        notes: criterion
            .notes
            .iter()
            .map(|n| scheme.notes[*n].id.clone())
            .collect(),
        clause: criterion.clause.clone(),
    }
}

fn check(file: &std::path::Path) -> Result<(), Failure> {
    let text = read_text(file)?;
    match parse_scheme(&file.display().to_string(), &text) {
        Ok(scheme) => {
            println!(
                "方案文件有效 / scheme file is valid: {}（{} 版），{} 项指标，{} 个字段",
                scheme.id,
                scheme.version,
                scheme.criteria.len(),
                scheme.fields.len()
            );
            Ok(())
        }
        Err(errors) => Err(Failure::new(
            EXIT_INVALID_SCHEME,
            format!(
                "方案文件无效 / invalid scheme file（{} 处）:\n{errors}",
                errors.0.len()
            ),
        )),
    }
}
