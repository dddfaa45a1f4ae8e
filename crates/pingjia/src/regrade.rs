//! `pingjia regrade`: the declarations of a pool re-graded under another scheme version (a new
//! year's file): who moves up, down or out, the criteria that move them, and the counts per
//! grade before and after. The work is `pingjia_core::regrade`; this module reads the input
//! and writes text, JSON or CSV.

use crate::evaluate::{batch_sources, build_round};
use crate::{EXIT_INVALID_DECLARATION, Failure, RoundArgs, resolve};
use clap::{Args, ValueEnum};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use pingjia_core::Catalog;
use pingjia_core::declaration::parse_tree;
use pingjia_core::engine::Status;
use pingjia_core::regrade::{Direction, Movement, Regrader, Regrading, Side, SlotChange, Stored};
use serde::Serialize;
use std::io::Write as _;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct RegradeArgs {
    /// 原方案编号（可带服务商类型）/ the scheme the declarations were graded under
    #[arg(long, value_name = "OLD_SCHEME")]
    from: String,
    /// 新方案编号（可用 --schemes-dir 加载）/ the scheme version to re-grade under
    #[arg(long, value_name = "NEW_SCHEME")]
    to: String,
    /// 申报文件目录或 .jsonl 批量文件 / a directory of declarations or a .jsonl batch
    input: PathBuf,
    /// 两个方案共用的批次设定 / round settings, applied to both schemes
    #[command(flatten)]
    round: RoundArgs,
    /// 输出格式 / output format
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    format: OutputFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OutputFormat {
    Text,
    Json,
    Csv,
}

/// A member as the output names it: where its declaration came from and its organisation.
#[derive(Debug, Clone, Serialize)]
struct Member {
    source: String,
    organization: Option<String>,
}

pub fn run(catalog: &Catalog, args: RegradeArgs) -> Result<(), Failure> {
    let from = resolve(catalog, &args.from)?;
    let to = resolve(catalog, &args.to)?;
    let (old, new) = (&catalog.schemes[from.scheme], &catalog.schemes[to.scheme]);
    let old_round = build_round(old, &args.round)?;
    let new_round = build_round(new, &args.round)?;
    // A provider type named in --from stands for declarations that do not name theirs.
    let default_type = from
        .provider_type
        .map(|index| old.provider_types[index].id.as_str());

    let sources = batch_sources(&args.input)?;
    let mut invalid = Vec::new();
    let mut trees = Vec::with_capacity(sources.len());
    for source in &sources {
        match parse_tree(&source.text, source.format) {
            Ok(tree) => trees.push((source, tree)),
            Err(errors) => invalid.push(format!("{}: {errors}", source.name)),
        }
    }
    let regrader = Regrader::new(
        Side {
            scheme: old,
            round: &old_round,
        },
        Side {
            scheme: new,
            round: &new_round,
        },
    );
    let regrading = regrader.run(trees.iter().map(|(source, tree)| {
        Stored {
            member: Member {
                source: source.name.clone(),
                organization: tree
                    .pointer("/organization/name")
                    .and_then(serde_json::Value::as_str)
                    .map(str::to_owned),
            },
            provider_type: default_type,
            body: tree,
        }
    }));

    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let text = match args.format {
        OutputFormat::Text => text(&regrading, &old.id, &new.id),
        OutputFormat::Json => json(&regrading, &old.id, &new.id)?,
        OutputFormat::Csv => csv(&regrading),
    };
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(anyhow::Error::from)?;
    if !invalid.is_empty() {
        for line in &invalid {
            eprintln!("{line}");
        }
        return Err(Failure::new(
            EXIT_INVALID_DECLARATION,
            format!(
                "{n} 份申报文件无法解析，未计入 / {n} declarations could not be parsed and are not counted",
                n = invalid.len()
            ),
        ));
    }
    Ok(())
}

fn status_label(status: Option<Status>) -> &'static str {
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

/// `4星：满足 → 不满足` (or the single status of a row without levels).
fn slot_text(change: &SlotChange) -> String {
    let level = change
        .stars
        .map(|stars| format!("{stars}星："))
        .unwrap_or_default();
    format!(
        "{level}{} → {}",
        status_label(change.before),
        status_label(change.after)
    )
}

fn slot_text_en(change: &SlotChange) -> String {
    let level = change
        .stars
        .map(|stars| format!("{stars} stars: "))
        .unwrap_or_default();
    format!(
        "{level}{} → {}",
        status_en(change.before),
        status_en(change.after)
    )
}

/// One line per criterion: `basic.rd（一（二）3 研发投入）4星：满足 → 不满足`.
fn criteria_lines(movement: &Movement<Member>) -> Vec<String> {
    let mut lines: Vec<String> = movement
        .criteria
        .iter()
        .map(|c| {
            let slots: Vec<String> = c.slots.iter().map(slot_text).collect();
            format!("{}（{} {}）{}", c.id, c.clause, c.label, slots.join("；"))
        })
        .collect();
    if movement.direction == Direction::Out {
        lines.push("新方案无此服务商类型 / the provider type is not in the new scheme".to_owned());
    }
    if !movement.unread.is_empty() {
        lines.push(format!(
            "新方案未读取 / not read by the new scheme: {}",
            movement.unread.join(", ")
        ));
    }
    lines
}

fn text(regrading: &Regrading<Member>, old: &str, new: &str) -> String {
    let mut text = format!(
        "重新定级 / re-grading: {old} → {new}（{} 份申报 / declarations）\n",
        regrading.members.len()
    );
    let tally: Vec<String> = [
        Direction::Up,
        Direction::Down,
        Direction::Out,
        Direction::In,
        Direction::Same,
    ]
    .iter()
    .map(|d| format!("{} {} {}", d.label_zh(), d.label_en(), regrading.count(*d)))
    .collect();
    text.push_str(&tally.join(" · "));
    text.push('\n');

    let moved: Vec<&Movement<Member>> = regrading.moved().collect();
    if moved.is_empty() {
        text.push_str("\n无变动 / nobody moves\n");
    } else {
        let mut table = Table::new();
        table.load_preset(UTF8_FULL_CONDENSED);
        table.set_header(vec![
            "申报 declaration",
            "单位 organisation",
            "变动 move",
            "原等级 before",
            "新等级 after",
            "变动指标 criteria that move it",
        ]);
        for movement in moved {
            table.add_row(vec![
                movement.member.source.clone(),
                movement.member.organization.clone().unwrap_or_default(),
                format!(
                    "{} {}",
                    movement.direction.label_zh(),
                    movement.direction.label_en()
                ),
                movement.before.label_zh(),
                movement.after.label_zh(),
                criteria_lines(movement).join("\n"),
            ]);
        }
        text.push_str(&format!("\n变动名单 / who moves:\n{table}\n"));
    }

    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header(vec![
        "等级 grade",
        "原方案 before",
        "新方案 after",
        "变化 change",
    ]);
    for count in &regrading.counts {
        table.add_row(vec![
            format!("{} / {}", count.grade.label_zh(), count.grade.label_en()),
            count.before.to_string(),
            count.after.to_string(),
            format!("{:+}", count.after as i64 - count.before as i64),
        ]);
    }
    text.push_str(&format!("\n各等级数量 / count per grade:\n{table}\n"));
    text
}

fn json(regrading: &Regrading<Member>, old: &str, new: &str) -> Result<String, Failure> {
    let moved: Vec<&Movement<Member>> = regrading.moved().collect();
    let value = serde_json::json!({
        "from": old,
        "to": new,
        "members": regrading.members.len(),
        "up": regrading.count(Direction::Up),
        "down": regrading.count(Direction::Down),
        "out": regrading.count(Direction::Out),
        "in": regrading.count(Direction::In),
        "same": regrading.count(Direction::Same),
        "moved": moved,
        "counts": regrading.counts,
    });
    let mut text = serde_json::to_string_pretty(&value).map_err(anyhow::Error::from)?;
    text.push('\n');
    Ok(text)
}

/// One row per member that moves; the criteria in one cell, `; `-separated, in English
/// status words after the Chinese ones.
fn csv(regrading: &Regrading<Member>) -> String {
    let mut text = String::from(
        "declaration,organization,direction,before,after,before_zh,after_zh,criteria,unread\n",
    );
    for movement in regrading.moved() {
        let criteria: Vec<String> = movement
            .criteria
            .iter()
            .map(|c| {
                let slots: Vec<String> = c
                    .slots
                    .iter()
                    .map(|s| format!("{} ({})", slot_text(s), slot_text_en(s)))
                    .collect();
                format!("{} {}: {}", c.id, c.clause, slots.join(", "))
            })
            .collect();
        let cells = [
            movement.member.source.clone(),
            movement.member.organization.clone().unwrap_or_default(),
            movement.direction.label_en().to_owned(),
            movement.before.label_en(),
            movement.after.label_en(),
            movement.before.label_zh(),
            movement.after.label_zh(),
            criteria.join("; "),
            movement.unread.join("; "),
        ];
        let cells: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
        text.push_str(&cells.join(","));
        text.push('\n');
    }
    text
}

/// RFC 4180 quoting; a cell that a spreadsheet would read as a formula gets a leading `'`.
fn csv_cell(cell: &str) -> String {
    let cell = if cell.starts_with(['=', '+', '-', '@']) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    };
    if cell.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell
    }
}
