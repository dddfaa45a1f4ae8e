//! `pingjia check` and `pingjia evaluate`: read declarations, grade them, explain.
//! A directory or a `.jsonl` file is a batch: a progress bar, then a summary per grade.

use crate::{EXIT_INVALID_DECLARATION, Failure, RoundArgs, read_text, resolve};
use clap::Args;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use indicatif::{ProgressBar, ProgressStyle};
use pingjia_core::declaration::{self, Format};
use pingjia_core::engine::Round;
use pingjia_core::scheme::Aggregation;
use pingjia_core::{Catalog, Declaration, InputErrors, Target, evaluate, report};
use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// 方案或服务商类型编号 / scheme or provider type id (e.g. jiangsu-pool-2021/network)
    id: String,
    /// 申报文件、目录或 .jsonl 批量文件 / declaration file, directory, or .jsonl batch
    input: PathBuf,
    #[command(flatten)]
    round: RoundArgs,
    /// 输出 JSON（批量时每行一个结果）/ print JSON (one result per line for a batch)
    #[arg(long, conflicts_with = "markdown")]
    json: bool,
    /// 输出 Markdown / print Markdown
    #[arg(long)]
    markdown: bool,
}

/// A named declaration source: one file, or one line of a `.jsonl` batch.
pub(crate) struct Source {
    pub(crate) name: String,
    pub(crate) text: String,
    pub(crate) format: Format,
}

pub fn check(catalog: &Catalog, file: &Path, scheme: Option<&str>) -> Result<(), Failure> {
    let source = single_source(file)?;
    let tree =
        declaration::parse_tree(&source.text, source.format).map_err(invalid(&source.name))?;
    let target = target_for(catalog, scheme, &tree)?;
    let scheme = &catalog.schemes[target.scheme];
    let declaration = declaration::read_declaration(&tree, scheme, target.provider_type)
        .map_err(invalid(&source.name))?;
    let filled = declaration.declared.iter().filter(|v| v.is_some()).count();
    println!(
        "申报文件有效 / declaration is valid: {}（方案 {}{}，已填写 {filled} 个字段）",
        source.name,
        scheme.id,
        declaration
            .provider_type
            .map(|t| format!("/{}", scheme.provider_types[t].id))
            .unwrap_or_default()
    );
    Ok(())
}

pub fn run(catalog: &Catalog, args: EvaluateArgs) -> Result<(), Failure> {
    let target = resolve(catalog, &args.id)?;
    let scheme = &catalog.schemes[target.scheme];
    let round = build_round(scheme, &args.round)?;
    let is_batch = args.input.is_dir() || args.input.extension().is_some_and(|e| e == "jsonl");
    if !is_batch {
        let source = single_source(&args.input)?;
        let declaration = read(&source, catalog, target)?;
        let evaluation = evaluate(scheme, &declaration, &round);
        let report = report(&evaluation);
        if args.json {
            println!(
                "{}",
                serde_json::to_string_pretty(&report).map_err(anyhow::Error::from)?
            );
        } else if args.markdown {
            print!("{}", report.to_markdown());
        } else {
            print!("{}", report.to_text());
        }
        return Ok(());
    }

    let sources = batch_sources(&args.input)?;
    let progress = ProgressBar::new(sources.len() as u64);
    progress.set_style(
        ProgressStyle::with_template(
            "{spinner} 评估中 {bar:30} {pos}/{len} ({per_sec}, 剩余 {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    // Keyed by (order, grade) so the summary lists the best grades first.
    let mut counts: BTreeMap<(i64, String), usize> = BTreeMap::new();
    let mut invalid = 0usize;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for source in &sources {
        progress.inc(1);
        match read(source, catalog, target) {
            Ok(declaration) => {
                let evaluation = evaluate(scheme, &declaration, &round);
                let report = report(&evaluation);
                let order = match (report.stars, report.eligible) {
                    (Some(stars), _) => -i64::from(stars),
                    (None, Some(true)) => 0,
                    (None, Some(false)) => 1,
                    (None, None) => 2,
                };
                *counts.entry((order, report.grade.clone())).or_default() += 1;
                let line = if args.json {
                    let mut value = serde_json::to_value(&report).map_err(anyhow::Error::from)?;
                    value["source"] = serde_json::Value::String(source.name.clone());
                    value.to_string()
                } else {
                    let score = report
                        .score
                        .map(|s| format!("，{s} 分"))
                        .unwrap_or_default();
                    format!("{}\t{}{score}", source.name, report.grade)
                };
                writeln!(out, "{line}").map_err(anyhow::Error::from)?;
            }
            Err(failure) => {
                invalid += 1;
                if args.json {
                    let value = serde_json::json!({ "source": source.name, "error": "invalid_declaration", "message": failure.message });
                    writeln!(out, "{value}").map_err(anyhow::Error::from)?;
                } else {
                    progress.suspend(|| eprintln!("{}", failure.message));
                }
            }
        }
    }
    out.flush().map_err(anyhow::Error::from)?;
    progress.finish_and_clear();
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header(vec!["结果 grade", "数量 count"]);
    for ((_, grade), count) in &counts {
        table.add_row(vec![grade.clone(), count.to_string()]);
    }
    if invalid > 0 {
        table.add_row(vec!["申报文件无效 invalid".to_owned(), invalid.to_string()]);
    }
    table.add_row(vec!["合计 total".to_owned(), sources.len().to_string()]);
    eprintln!("{table}");
    if invalid > 0 {
        return Err(Failure::new(
            EXIT_INVALID_DECLARATION,
            format!("{invalid} 份申报文件无效 / {invalid} declarations are invalid"),
        ));
    }
    Ok(())
}

pub(crate) fn build_round(
    scheme: &pingjia_core::Scheme,
    args: &RoundArgs,
) -> Result<Round, Failure> {
    let usage = |message: String| Failure::new(2, message);
    let mut round = Round::from_scheme(scheme);
    if let Some(cutoff) = &args.cutoff {
        round.cutoff = Some(declaration::parse_date(cutoff).ok_or_else(|| {
            usage(format!(
                "--cutoff “{cutoff}”：应为日期，如 2021-06-30 / expected a date such as 2021-06-30"
            ))
        })?);
    }
    if let Some(year) = args.reference_year {
        round.reference_year = Some(year);
    }
    if let Some(rule) = &args.aggregation {
        round.aggregation = Aggregation::parse(rule).ok_or_else(|| {
            usage(format!(
                "--aggregation “{rule}”：应为 mean 或 trimmed_mean / expected mean or trimmed_mean"
            ))
        })?;
    }
    for param in &args.params {
        let Some((key, value)) = param.split_once('=') else {
            return Err(usage(format!(
                "--param “{param}”：应为 键=值 / expected KEY=VALUE"
            )));
        };
        round
            .set_param(scheme, key.trim(), value.trim())
            .map_err(|e| usage(e.to_string()))?;
    }
    if args.example_params {
        round.use_examples(scheme);
    }
    if args.request_optional_materials {
        round.request_optional_materials = true;
    }
    Ok(round)
}

fn invalid(name: &str) -> impl Fn(InputErrors) -> Failure + '_ {
    move |errors| {
        Failure::new(
            EXIT_INVALID_DECLARATION,
            format!(
                "申报文件无效 / invalid declaration: {name}（{} 处）\n{errors}",
                errors.0.len()
            ),
        )
    }
}

fn read(source: &Source, catalog: &Catalog, target: Target) -> Result<Declaration, Failure> {
    let tree =
        declaration::parse_tree(&source.text, source.format).map_err(invalid(&source.name))?;
    let scheme = &catalog.schemes[target.scheme];
    declaration::read_declaration(&tree, scheme, target.provider_type)
        .map_err(invalid(&source.name))
}

/// The scheme of a declaration: from `--scheme`, else from the file's own `scheme`/`provider_type`.
fn target_for(
    catalog: &Catalog,
    scheme: Option<&str>,
    tree: &serde_json::Value,
) -> Result<Target, Failure> {
    if let Some(id) = scheme {
        return resolve(catalog, id);
    }
    match declaration::header(tree) {
        (Some(scheme), Some(provider_type)) => {
            resolve(catalog, &format!("{scheme}/{provider_type}"))
        }
        (Some(scheme), None) => resolve(catalog, &scheme),
        (None, _) => Err(Failure::new(
            EXIT_INVALID_DECLARATION,
            "申报文件未写明 scheme，请用 --scheme 指定 / the declaration names no scheme; pass --scheme",
        )),
    }
}

fn single_source(path: &Path) -> Result<Source, Failure> {
    let format = Format::from_path(&path.display().to_string()).ok_or_else(|| {
        Failure::new(
            EXIT_INVALID_DECLARATION,
            format!("{}：无法识别文件类型，应为 .json、.toml 或 .yaml / unknown file type, expected .json, .toml or .yaml", path.display()),
        )
    })?;
    Ok(Source {
        name: path.display().to_string(),
        text: read_text(path)?,
        format,
    })
}

pub(crate) fn batch_sources(path: &Path) -> Result<Vec<Source>, Failure> {
    if path.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| {
                Failure::new(
                    1,
                    format!("无法读取目录 / cannot read {}: {e}", path.display()),
                )
            })?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| {
                p.is_file()
                    && Format::from_path(&p.display().to_string()).is_some()
                    && p.extension().is_none_or(|e| e != "jsonl")
            })
            .collect();
        files.sort();
        return files.iter().map(|f| single_source(f)).collect();
    }
    let text = read_text(path)?;
    Ok(text
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(number, line)| Source {
            name: format!("{}:{}", path.display(), number + 1),
            text: line.to_owned(),
            format: Format::Json,
        })
        .collect())
}
