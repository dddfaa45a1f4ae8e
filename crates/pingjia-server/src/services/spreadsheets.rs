//! Spreadsheets, pure (bytes in, bytes out; no database, no HTTP): the 汇总推荐表 a city sends
//! up (xlsx and CSV), and the applicant's 申报书 as an xlsx workbook that can be filled in
//! offline and read back.
//!
//! Every cell is written as a string, so nothing a user typed is ever a formula in the xlsx
//! files (a value starting with `=` is shown as text); the CSV file, which Excel evaluates as
//! it opens it, guards such cells instead ([`csv_cell`]). Reading a workbook back never
//! validates a value: it turns cells into the declaration's JSON, and the assessment's field
//! errors (the form's one validator) say what is wrong.

use crate::error::{AppError, AppResult};
use calamine::{DataRef, ExcelDateTime, ExcelDateTimeType, Reader as _, Xlsx};
use pingjia_core::Scheme;
use pingjia_core::scheme::{Criterion, Field, FieldKind, RecordSpec, Test};
use rust_xlsxwriter::{
    DataValidation, Format, FormatAlign, FormatBorder, ProtectionOptions, Workbook, Worksheet,
    XlsxError,
};
use serde::Serialize;
use serde_json::{Map, Value as Json};
use std::collections::{BTreeMap, HashSet};
use std::io::{Cursor, Read as _};

// --- the 汇总推荐表 --------------------------------------------------------------------------

/// The heading of a 汇总推荐表: which round, which standard, who recommends, when.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableMeta {
    /// The round (批次), e.g. 「2026年上半年」.
    pub round_name: String,
    /// The scheme's title, e.g. 「江苏省工业互联网平台资源池」.
    pub scheme_title: String,
    /// The recommending office (推荐单位), e.g. 「苏州市工业和信息化局」.
    pub office: String,
    /// The table's date as it is to be printed, e.g. 「2026-03-31」.
    pub date: String,
}

/// A grade as the table shows it: stars (Jiangsu, MIIT) or a text given as is (Shaoxing
/// 「认定」/「不予认定」, or 「不予定级」).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GradeText {
    /// 1 to 5 stars, shown 「一星」…「五星」; 0 is 「不予定级」.
    Stars(u8),
    Text(String),
}

impl GradeText {
    pub fn shown(&self) -> String {
        match self {
            GradeText::Stars(0) => "不予定级".to_owned(),
            GradeText::Stars(n @ 1..=10) => {
                const DIGITS: [&str; 10] =
                    ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];
                format!("{}星", DIGITS[usize::from(*n) - 1])
            }
            GradeText::Stars(n) => format!("{n}星"),
            GradeText::Text(text) => text.clone(),
        }
    }
}

/// One recommended application: a row of sheet 1 and of the CSV file. Plain data, filled by
/// whoever assembles a city's recommendations of a round.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecommendationRow {
    /// 推荐顺序: the rows are listed in this order (1 first); 序号 is the position.
    pub order: u32,
    /// 单位名称.
    pub organization_name: String,
    /// 统一社会信用代码 (written as text: no scientific notation, no lost zeros).
    pub credit_code: String,
    /// 所在地区, e.g. 「苏州市昆山市」.
    pub region: String,
    /// 单位性质: 企业, 事业单位 or 社会团体.
    pub organization_kind: String,
    /// 申报类型: the provider type's title (or the scheme's for schemes without types).
    pub provider_type: String,
    /// 自评星级: the grade of the submitted declaration.
    pub self_grade: Option<GradeText>,
    /// 核定星级: the grade from the confirmed values.
    pub confirmed_grade: Option<GradeText>,
    /// 联系人.
    pub contact: String,
    /// 电话 (written as text: leading zeros kept).
    pub phone: String,
    /// 推荐意见, e.g. 「情况属实，同意推荐」.
    pub opinion: String,
}

/// One criterion value of one application: a row of sheet 2 (指标明细).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValueRow {
    /// 单位名称.
    pub organization_name: String,
    /// 申报类型.
    pub provider_type: String,
    /// 指标（条款）, e.g. 「注册资本（一（一））」.
    pub criterion: String,
    /// 字段: the value's label.
    pub field: String,
    /// 申报值 as displayed.
    pub declared: String,
    /// 核定值 as displayed (empty when not confirmed).
    pub confirmed: String,
    /// 核定说明: the reviewer's note.
    pub note: String,
}

/// The columns of sheet 1 and of the CSV file.
pub const RECOMMENDATION_HEADER: [&str; 12] = [
    "序号",
    "单位名称",
    "统一社会信用代码",
    "所在地区",
    "单位性质",
    "申报类型",
    "自评星级",
    "核定星级",
    "联系人",
    "电话",
    "推荐意见",
    "推荐顺序",
];

/// The columns of sheet 2.
pub const VALUE_HEADER: [&str; 7] = [
    "单位名称",
    "申报类型",
    "指标（条款）",
    "字段",
    "申报值",
    "核定值",
    "核定说明",
];

/// The widest column, in Excel's width units (about one Latin character each).
pub const MAX_COLUMN_WIDTH: f64 = 60.0;

/// The 汇总推荐表 as an xlsx workbook: sheet 「汇总推荐表」 (title, office and date, the
/// header, one row per recommendation in 推荐顺序 order, frozen header) and sheet 「指标明细」
/// (each criterion value of each application, declared and confirmed side by side).
pub fn recommendation_table(
    meta: &TableMeta,
    rows: &[RecommendationRow],
    values: &[ValueRow],
) -> AppResult<Vec<u8>> {
    build_recommendation_table(meta, rows, values).map_err(AppError::internal)
}

fn build_recommendation_table(
    meta: &TableMeta,
    rows: &[RecommendationRow],
    values: &[ValueRow],
) -> Result<Vec<u8>, XlsxError> {
    let styles = Styles::new();
    let mut workbook = Workbook::new();

    let sheet = workbook.add_worksheet();
    sheet.set_name("汇总推荐表")?;
    let last_column = (RECOMMENDATION_HEADER.len() - 1) as u16;
    let title = format!("{} {} 汇总推荐表", meta.round_name, meta.scheme_title);
    sheet.merge_range(0, 0, 0, last_column, title.trim(), &styles.title)?;
    sheet.set_row_height(0, 28)?;
    let line = format!("推荐单位：{}　　日期：{}", meta.office, meta.date);
    sheet.merge_range(1, 0, 1, last_column, &line, &styles.plain)?;
    let table: Vec<Vec<String>> = recommendation_cells(rows);
    write_table(sheet, 2, &RECOMMENDATION_HEADER, &table, &styles)?;
    sheet.set_freeze_panes(3, 0)?;

    let sheet = workbook.add_worksheet();
    sheet.set_name("指标明细")?;
    let table: Vec<Vec<String>> = values
        .iter()
        .map(|v| {
            vec![
                v.organization_name.clone(),
                v.provider_type.clone(),
                v.criterion.clone(),
                v.field.clone(),
                v.declared.clone(),
                v.confirmed.clone(),
                v.note.clone(),
            ]
        })
        .collect();
    write_table(sheet, 0, &VALUE_HEADER, &table, &styles)?;
    sheet.set_freeze_panes(1, 0)?;

    workbook.save_to_buffer()
}

/// Rows of sheet 1 (and the CSV file), in 推荐顺序 order, each starting with its 序号.
fn recommendation_cells(rows: &[RecommendationRow]) -> Vec<Vec<String>> {
    let mut sorted: Vec<&RecommendationRow> = rows.iter().collect();
    sorted.sort_by_key(|row| row.order);
    sorted
        .into_iter()
        .enumerate()
        .map(|(index, row)| {
            vec![
                (index + 1).to_string(),
                row.organization_name.clone(),
                row.credit_code.clone(),
                row.region.clone(),
                row.organization_kind.clone(),
                row.provider_type.clone(),
                row.self_grade
                    .as_ref()
                    .map(GradeText::shown)
                    .unwrap_or_default(),
                row.confirmed_grade
                    .as_ref()
                    .map(GradeText::shown)
                    .unwrap_or_default(),
                row.contact.clone(),
                row.phone.clone(),
                row.opinion.clone(),
                row.order.to_string(),
            ]
        })
        .collect()
}

/// A header row at `first_row` and the rows under it, every cell a string in text format,
/// with columns as wide as their widest cell (capped).
fn write_table(
    sheet: &mut Worksheet,
    first_row: u32,
    header: &[&str],
    rows: &[Vec<String>],
    styles: &Styles,
) -> Result<(), XlsxError> {
    for (column, name) in header.iter().enumerate() {
        sheet.write_string_with_format(first_row, column as u16, *name, &styles.header)?;
    }
    for (offset, row) in rows.iter().enumerate() {
        let at = first_row + 1 + offset as u32;
        for (column, text) in row.iter().enumerate() {
            sheet.write_string_with_format(at, column as u16, text, &styles.cell)?;
        }
    }
    let widths = column_widths(header, rows);
    for (column, width) in widths.into_iter().enumerate() {
        sheet.set_column_width(column as u16, width)?;
    }
    Ok(())
}

/// Each column's width: its widest line (header included) in display units, a CJK character
/// counting two, plus a margin, at least 6 and at most [`MAX_COLUMN_WIDTH`]. (The library's
/// own autofit measures Latin text and is wrong for Chinese.)
pub fn column_widths(header: &[&str], rows: &[Vec<String>]) -> Vec<f64> {
    (0..header.len())
        .map(|column| {
            let widest = std::iter::once(header[column])
                .chain(
                    rows.iter()
                        .filter_map(|row| row.get(column).map(String::as_str)),
                )
                .flat_map(str::lines)
                .map(display_width)
                .max()
                .unwrap_or(0);
            (widest as f64 + 2.0).clamp(6.0, MAX_COLUMN_WIDTH)
        })
        .collect()
}

/// Display width of a line: two units for a CJK (wide or full-width) character, one otherwise.
pub fn display_width(text: &str) -> usize {
    text.chars()
        .map(|c| {
            let wide = matches!(c,
                '\u{1100}'..='\u{115F}'
                | '\u{2E80}'..='\u{A4CF}'
                | '\u{AC00}'..='\u{D7A3}'
                | '\u{F900}'..='\u{FAFF}'
                | '\u{FE30}'..='\u{FE4F}'
                | '\u{FF00}'..='\u{FF60}'
                | '\u{FFE0}'..='\u{FFE6}'
                | '\u{20000}'..='\u{3FFFD}');
            if wide { 2 } else { 1 }
        })
        .sum()
}

/// The 汇总推荐表's list (sheet 1) as CSV: UTF-8 with a byte-order mark (so that Excel reads
/// the Chinese), RFC 4180 quoting and line ends, and every cell guarded against formula
/// injection ([`csv_cell`]).
pub fn recommendation_csv(rows: &[RecommendationRow]) -> String {
    let mut out = String::from('\u{feff}');
    let header: Vec<String> = RECOMMENDATION_HEADER
        .iter()
        .map(|h| (*h).to_owned())
        .collect();
    for row in std::iter::once(header).chain(recommendation_cells(rows)) {
        let cells: Vec<String> = row.iter().map(|cell| csv_cell(cell)).collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

/// One CSV cell: a text that a spreadsheet would take for a formula (starting with `=`, `+`,
/// `-`, `@`, a tab or a carriage return) is prefixed with `'` (OWASP "CSV injection"); a cell
/// holding a comma, a quote or a line break is quoted, its quotes doubled (RFC 4180).
pub fn csv_cell(text: &str) -> String {
    let guarded = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if guarded.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

/// The formats of the workbooks.
struct Styles {
    title: Format,
    plain: Format,
    header: Format,
    /// A locked text cell with borders.
    cell: Format,
    /// A text cell the applicant fills in.
    input: Format,
    /// Text format for the empty cells of an input column.
    input_column: Format,
    note: Format,
}

impl Styles {
    fn new() -> Styles {
        let text = Format::new().set_num_format("@");
        Styles {
            title: Format::new()
                .set_bold()
                .set_font_size(14)
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter),
            plain: text.clone(),
            header: text
                .clone()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter)
                .set_background_color(0xDDEBF7)
                .set_border(FormatBorder::Thin),
            cell: text
                .clone()
                .set_text_wrap()
                .set_align(FormatAlign::Top)
                .set_border(FormatBorder::Thin),
            input: text
                .clone()
                .set_text_wrap()
                .set_align(FormatAlign::Top)
                .set_border(FormatBorder::Thin)
                .set_background_color(0xFFF9E5)
                .set_unlocked(),
            input_column: text.clone().set_unlocked(),
            note: text.set_text_wrap().set_align(FormatAlign::Top),
        }
    }
}

// --- the 申报书 --------------------------------------------------------------------------------

/// The sheet of the declaration's values.
pub const DECLARATION_SHEET: &str = "申报书";
/// The sheet that says how to fill the file in.
pub const INSTRUCTIONS_SHEET: &str = "说明";
/// The columns of the declaration sheet; the last one (hidden) carries each row's field id.
pub const DECLARATION_HEADER: [&str; 7] = [
    "序号",
    "指标/字段",
    "单位",
    "条款",
    "填写说明",
    "申报值",
    "字段编号",
];
const VALUE_COLUMN: u16 = 5;
const ID_COLUMN: u16 = 6;
/// The first cell of the hidden column names the scheme and provider type the file is for.
const MARKER_PREFIX: &str = "pingjia:";
/// Blank rows offered in a records sheet beyond the records already declared.
const BLANK_RECORDS: usize = 50;

/// The limits a workbook must keep before it is read (calamine reads a sheet into memory).
pub const MAX_WORKBOOK_ROWS: u32 = 5000;
pub const MAX_WORKBOOK_COLUMNS: u32 = 64;
/// The largest sum of the uncompressed sizes of a workbook's parts, and their number.
pub const MAX_UNCOMPRESSED_BYTES: u64 = 50 * 1024 * 1024;
pub const MAX_ZIP_ENTRIES: usize = 500;

/// The 申报书 of one provider type as an xlsx workbook: sheet 「说明」 (how to fill it in),
/// sheet 「申报书」 (one row per field the form asks for, with its unit, clause, how to write
/// it, the declared value from `body` and, hidden, the field id by which the row is read
/// back), and a sheet per records field (one row per record).
pub fn declaration_workbook(
    scheme: &Scheme,
    provider_type: Option<usize>,
    body: &Json,
    organization_name: &str,
) -> AppResult<Vec<u8>> {
    build_declaration_workbook(scheme, provider_type, body, organization_name)
        .map_err(AppError::internal)
}

/// The fields the form asks for, in the form's order, each with the first criterion that reads
/// it (the form's rule: the criteria that apply to the provider type, each field once).
pub fn declaration_fields(
    scheme: &Scheme,
    provider_type: Option<usize>,
) -> Vec<(usize, &Criterion)> {
    let mut seen = HashSet::new();
    let mut fields = Vec::new();
    for criterion in scheme
        .criteria
        .iter()
        .filter(|c| scheme.applies_to(c, provider_type))
    {
        let read: Vec<usize> = match &criterion.test {
            Test::Levels { field, .. }
            | Test::NotWithinYears { field, .. }
            | Test::OneOf { field }
            | Test::Records { field, .. } => vec![*field],
            Test::AnyOf { alternatives } => alternatives.iter().map(|a| a.field).collect(),
            Test::Score { .. } => Vec::new(),
        };
        for field in read {
            if seen.insert(field) {
                fields.push((field, criterion));
            }
        }
    }
    fields
}

/// What a file is for: the scheme and, if any, the provider type (`jiangsu-pool-2021/network`).
fn target_id(scheme: &Scheme, provider_type: Option<usize>) -> String {
    match provider_type {
        Some(t) => format!("{}/{}", scheme.id, scheme.provider_types[t].id),
        None => scheme.id.clone(),
    }
}

fn target_title(scheme: &Scheme, provider_type: Option<usize>) -> String {
    match provider_type {
        Some(t) => format!("{} · {}", scheme.title, scheme.provider_types[t].title),
        None => scheme.title.clone(),
    }
}

/// The sheet of the `number`-th records field (1-based): 「表1 行业」, at most 31 characters
/// and none that Excel refuses in a sheet name.
fn records_sheet_name(number: usize, field: &Field) -> String {
    let label: String = field
        .label
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { '_' } else { c })
        .collect();
    format!("表{number} {label}").chars().take(31).collect()
}

/// A declared value as the text of a cell: lists joined with 「、」, yes/no as 是/否.
fn value_text(raw: &Json) -> String {
    match raw {
        Json::Null => String::new(),
        Json::String(text) => text.clone(),
        Json::Bool(true) => "是".to_owned(),
        Json::Bool(false) => "否".to_owned(),
        Json::Array(items) => items.iter().map(value_text).collect::<Vec<_>>().join("、"),
        other => other.to_string(),
    }
}

/// The unit column and the how-to-write column of a field.
fn unit_and_hint(scheme: &Scheme, field: &Field) -> (String, String) {
    let (unit, hint) = match &field.kind {
        FieldKind::Number(unit) => {
            let name = unit.name();
            (
                if name == "无" {
                    String::new()
                } else {
                    name.to_owned()
                },
                format!("数值，如 {}", unit.examples()),
            )
        }
        FieldKind::YesNo => ("是/否".to_owned(), "填写“是”或“否”".to_owned()),
        FieldKind::Ordinal(scale) => {
            let levels: Vec<&str> = scheme.scales[*scale]
                .levels
                .iter()
                .map(|l| l.label.as_str())
                .collect();
            (
                String::new(),
                format!("以下之一（由低到高）：{}，或“无”", levels.join("、")),
            )
        }
        FieldKind::Items(items) => (
            String::new(),
            format!("可多选，用“、”或换行分隔，可选：{}", items.join("、")),
        ),
        FieldKind::Date => ("日期".to_owned(), "日期，如 2019-05-01".to_owned()),
        FieldKind::DateOrNone => (
            "日期".to_owned(),
            "日期（如 2019-05-01），从未发生填“无”".to_owned(),
        ),
        FieldKind::Choice(options) => (String::new(), format!("以下之一：{}", options.join("、"))),
        FieldKind::Records(_) => (String::new(), "在对应工作表中逐行填写".to_owned()),
    };
    match &field.help {
        Some(help) if !help.trim().is_empty() => (unit, format!("{hint}。{}", help.trim())),
        _ => (unit, hint),
    }
}

/// The choices of a field offered as a drop-down list in its cell, when short enough for
/// Excel's list (255 characters): 是/否 and the levels of a scale. Options of a choice field
/// are not forced: an unlisted choice is a fact the criterion reports.
fn dropdown(scheme: &Scheme, field: &Field) -> Option<Vec<String>> {
    let list: Vec<String> = match &field.kind {
        FieldKind::YesNo => vec!["是".to_owned(), "否".to_owned()],
        FieldKind::Ordinal(scale) => std::iter::once("无".to_owned())
            .chain(scheme.scales[*scale].levels.iter().map(|l| l.label.clone()))
            .collect(),
        _ => return None,
    };
    let length: usize = list.iter().map(|s| s.chars().count() + 1).sum();
    (length < 250 && list.iter().all(|s| !s.contains(','))).then_some(list)
}

fn build_declaration_workbook(
    scheme: &Scheme,
    provider_type: Option<usize>,
    body: &Json,
    organization_name: &str,
) -> Result<Vec<u8>, XlsxError> {
    let styles = Styles::new();
    let year = scheme.round.reference_year;
    let fields = declaration_fields(scheme, provider_type);
    let values = body.get("values").and_then(Json::as_object);
    let records: Vec<usize> = fields
        .iter()
        .filter(|(f, _)| matches!(scheme.fields[*f].kind, FieldKind::Records(_)))
        .map(|(f, _)| *f)
        .collect();
    let sheet_of = |field: usize| -> Option<String> {
        let number = records.iter().position(|r| *r == field)? + 1;
        Some(records_sheet_name(number, &scheme.fields[field]))
    };
    let mut workbook = Workbook::new();

    // 说明
    let sheet = workbook.add_worksheet();
    sheet.set_name(INSTRUCTIONS_SHEET)?;
    let title = format!(
        "{} 申报书（{}）",
        organization_name,
        target_title(scheme, provider_type)
    );
    let mut lines: Vec<String> = vec![
        format!("评价方案：{}（{}）", scheme.title, scheme.version),
        format!(
            "申报类型：{}",
            provider_type
                .map(|t| scheme.provider_types[t].title.clone())
                .unwrap_or_else(|| "—".to_owned())
        ),
        String::new(),
        "填写方法：".to_owned(),
        format!(
            "1. 在工作表“{DECLARATION_SHEET}”的“申报值”列（浅黄色）逐行填写；其他列为说明，请勿修改，也不要删除隐藏的“字段编号”列。"
        ),
        "2. 数值按“单位”列填写，可写“万”“亿”，如 1200万、15亿；比例可写 15% 或 15。".to_owned(),
        "3. 是否类指标填“是”或“否”；等级类指标填写“填写说明”所列等级之一，未达到填“无”。".to_owned(),
        "4. 多选项用顿号“、”或换行分隔，如：基础数据、生产数据。".to_owned(),
        "5. 日期写作 2019-05-01（也可为 2019年5月1日 或 Excel 日期）；“从未发生”填“无”。".to_owned(),
        "6. 留空的单元格不会覆盖系统中已填写的内容；如需清除某项，请在网页表单中修改。".to_owned(),
        "7. 填好后在申报页面“导入申报书”处上传本文件，系统按与网页表单相同的规则检查，并按行号列出填写有误之处。".to_owned(),
    ];
    if !records.is_empty() {
        lines.insert(
            9,
            "8. 行业、领域、区域等逐条填写的内容，在以“表”开头的工作表中每行填写一条；不需要的空行留空即可。"
                .to_owned(),
        );
    }
    sheet.write_string_with_format(0, 0, &title, &styles.title)?;
    for (index, line) in lines.iter().enumerate() {
        sheet.write_string_with_format(2 + index as u32, 0, line, &styles.note)?;
    }
    sheet.set_column_width(0, 110)?;

    // 申报书
    let sheet = workbook.add_worksheet();
    sheet.set_name(DECLARATION_SHEET)?;
    sheet.merge_range(0, 0, 0, VALUE_COLUMN, &title, &styles.title)?;
    sheet.write_string(
        0,
        ID_COLUMN,
        format!("{MARKER_PREFIX}{}", target_id(scheme, provider_type)),
    )?;
    sheet.set_row_height(0, 28)?;
    for (column, name) in DECLARATION_HEADER.iter().enumerate() {
        sheet.write_string_with_format(1, column as u16, *name, &styles.header)?;
    }
    let mut table: Vec<Vec<String>> = Vec::new();
    for (index, (field_index, criterion)) in fields.iter().enumerate() {
        let field = &scheme.fields[*field_index];
        let row = 2 + index as u32;
        let field_label = Scheme::label_for(&field.label, year);
        let criterion_label = Scheme::label_for(&criterion.label, year);
        let label = if field_label == criterion_label {
            field_label
        } else {
            format!("{criterion_label}：{field_label}")
        };
        let (unit, hint) = unit_and_hint(scheme, field);
        let value = match sheet_of(*field_index) {
            Some(name) => format!("见工作表“{name}”"),
            None => values
                .and_then(|v| v.get(&field.id))
                .map(value_text)
                .unwrap_or_default(),
        };
        let cells = [
            (index + 1).to_string(),
            label,
            unit,
            criterion.clause.clone(),
            hint,
        ];
        for (column, text) in cells.iter().enumerate() {
            sheet.write_string_with_format(row, column as u16, text, &styles.cell)?;
        }
        let value_format = if sheet_of(*field_index).is_some() {
            &styles.cell
        } else {
            &styles.input
        };
        sheet.write_string_with_format(row, VALUE_COLUMN, &value, value_format)?;
        sheet.write_string(row, ID_COLUMN, &field.id)?;
        if let Some(list) = dropdown(scheme, field) {
            let validation = DataValidation::new().allow_list_strings(&list)?;
            sheet.add_data_validation(row, VALUE_COLUMN, row, VALUE_COLUMN, &validation)?;
        }
        let mut shown = cells.to_vec();
        shown.push(value);
        table.push(shown);
    }
    let widths = column_widths(&DECLARATION_HEADER[..6], &table);
    for (column, width) in widths.into_iter().enumerate() {
        let width = match column as u16 {
            // Long help texts wrap rather than stretch the sheet.
            4 => width.min(40.0),
            VALUE_COLUMN => width.max(24.0),
            _ => width,
        };
        sheet.set_column_width(column as u16, width)?;
    }
    sheet.set_column_hidden(ID_COLUMN)?;
    sheet.set_freeze_panes(2, 2)?;
    sheet.protect_with_options(&unlocked_input());

    // One sheet per records field.
    for field_index in &records {
        let field = &scheme.fields[*field_index];
        let FieldKind::Records(spec) = &field.kind else {
            continue;
        };
        let name = sheet_of(*field_index).unwrap_or_default();
        let existing: Vec<&Map<String, Json>> = values
            .and_then(|v| v.get(&field.id))
            .and_then(Json::as_array)
            .map(|a| a.iter().filter_map(Json::as_object).collect())
            .unwrap_or_default();
        write_records_sheet(
            workbook.add_worksheet(),
            &name,
            scheme,
            field,
            spec,
            &existing,
            &styles,
        )?;
    }

    workbook.save_to_buffer()
}

/// The sheet protection of a form: only the input cells can be changed; columns and rows can
/// still be resized.
fn unlocked_input() -> ProtectionOptions {
    ProtectionOptions {
        format_columns: true,
        format_rows: true,
        ..ProtectionOptions::default()
    }
}

fn write_records_sheet(
    sheet: &mut Worksheet,
    name: &str,
    scheme: &Scheme,
    field: &Field,
    spec: &RecordSpec,
    existing: &[&Map<String, Json>],
    styles: &Styles,
) -> Result<(), XlsxError> {
    sheet.set_name(name)?;
    let last = spec.fields.len() as u16;
    let title = format!(
        "{}（每行一条{}）",
        Scheme::label_for(&field.label, scheme.round.reference_year),
        spec.key_label
    );
    sheet.merge_range(0, 0, 0, last.max(1), &title, &styles.title)?;
    let mut header = vec![spec.key_label.clone()];
    let mut ids = vec![format!("{}#name", field.id)];
    for column in &spec.fields {
        let (unit, _) = unit_and_hint(scheme, column);
        header.push(if unit.is_empty() {
            column.label.clone()
        } else {
            format!("{}（{unit}）", column.label)
        });
        ids.push(format!("{}#{}", field.id, column.id));
    }
    for (column, text) in header.iter().enumerate() {
        sheet.write_string_with_format(1, column as u16, text, &styles.header)?;
        sheet.write_string(2, column as u16, &ids[column])?;
    }
    sheet.set_row_hidden(2)?;
    let mut table = Vec::new();
    for (index, record) in existing.iter().enumerate() {
        let row = 3 + index as u32;
        let mut cells = vec![record.get("name").map(value_text).unwrap_or_default()];
        cells.extend(
            spec.fields
                .iter()
                .map(|c| record.get(&c.id).map(value_text).unwrap_or_default()),
        );
        for (column, text) in cells.iter().enumerate() {
            sheet.write_string_with_format(row, column as u16, text, &styles.input)?;
        }
        table.push(cells);
    }
    for column in 0..=last {
        sheet.set_column_format(column, &styles.input_column)?;
    }
    let header_refs: Vec<&str> = header.iter().map(String::as_str).collect();
    for (column, width) in column_widths(&header_refs, &table).into_iter().enumerate() {
        sheet.set_column_width(column as u16, width.max(14.0))?;
    }
    if !spec.key_options.is_empty() {
        let validation = DataValidation::new().allow_list_strings(&spec.key_options)?;
        let rows = (existing.len() + BLANK_RECORDS) as u32;
        sheet.add_data_validation(3, 0, 2 + rows, 0, &validation)?;
    }
    sheet.set_freeze_panes(3, 1)?;
    sheet.protect_with_options(&unlocked_input());
    Ok(())
}

// --- reading a 申报书 back -------------------------------------------------------------------

/// A problem with one row of a workbook: where, which field, and what, in Chinese and English.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CellError {
    /// The sheet's name.
    pub sheet: String,
    /// The row as Excel numbers it (1-based); none for a problem of the whole sheet.
    pub row: Option<u32>,
    /// The field id of the row, when known.
    pub field: Option<String>,
    /// 「中文 / English」.
    pub message: String,
}

impl CellError {
    /// 「工作表“申报书”第 5 行：…」, in the message's language (`zh` or `en`).
    pub fn describe(&self, lang: &str) -> String {
        let (zh, en) = self
            .message
            .split_once(" / ")
            .unwrap_or((self.message.as_str(), self.message.as_str()));
        match (lang, self.row) {
            ("en", Some(row)) => format!("sheet “{}” row {row}: {en}", self.sheet),
            ("en", None) => format!("sheet “{}”: {en}", self.sheet),
            (_, Some(row)) => format!("工作表“{}”第 {row} 行：{zh}", self.sheet),
            (_, None) => format!("工作表“{}”：{zh}", self.sheet),
        }
    }
}

/// Where a field's value was read from: its sheet and the row of the value, or of each record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub sheet: String,
    pub rows: Vec<u32>,
}

/// A workbook read back: the values by field id (as the form would send them: text, lists of
/// text, records), the problems of its rows, and where each value came from.
#[derive(Debug, Clone, Default)]
pub struct ReadWorkbook {
    pub values: Map<String, Json>,
    pub cell_errors: Vec<CellError>,
    pub places: BTreeMap<String, Place>,
}

impl ReadWorkbook {
    /// The sheet and row a declaration path (`values.registered_capital`,
    /// `values.cross_industries[1].users`) was read from.
    pub fn locate(&self, path: &str) -> Option<(&str, u32)> {
        let rest = path.strip_prefix("values.")?;
        let end = rest.find(['[', '.']).unwrap_or(rest.len());
        let place = self.places.get(&rest[..end])?;
        let record = rest[end..]
            .strip_prefix('[')
            .and_then(|r| r.split(']').next())
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or(0);
        let row = place.rows.get(record).or(place.rows.first())?;
        Some((place.sheet.as_str(), *row))
    }
}

/// Reads a filled 申报书 back: the values by field id and the problems of its rows.
pub fn read_declaration_workbook(
    scheme: &Scheme,
    provider_type: Option<usize>,
    bytes: &[u8],
) -> AppResult<(Map<String, Json>, Vec<CellError>)> {
    let read = read_declaration_workbook_located(scheme, provider_type, bytes)?;
    Ok((read.values, read.cell_errors))
}

/// [`read_declaration_workbook`], with where each value came from. A file that cannot be read
/// at all (not an xlsx workbook, too large inside, no sheet 「申报书」, made for another scheme
/// or provider type) is an error; a row that cannot be taken is a [`CellError`].
pub fn read_declaration_workbook_located(
    scheme: &Scheme,
    provider_type: Option<usize>,
    bytes: &[u8],
) -> AppResult<ReadWorkbook> {
    check_archive(bytes)?;
    let mut workbook: Xlsx<Cursor<&[u8]>> = Xlsx::new(Cursor::new(bytes)).map_err(|_| {
        unreadable("文件不是有效的 xlsx 工作簿 / the file is not a readable xlsx workbook")
    })?;
    let names = workbook.sheet_names();
    if !names.iter().any(|n| n == DECLARATION_SHEET) {
        return Err(unreadable(format!(
            "工作簿中没有工作表“{DECLARATION_SHEET}”，请使用从本申报下载的申报书 / the workbook has no sheet “{DECLARATION_SHEET}”: use the file downloaded from this application"
        )));
    }
    let fields = declaration_fields(scheme, provider_type);
    let of_type: HashSet<usize> = fields.iter().map(|(f, _)| *f).collect();
    let mut read = ReadWorkbook::default();

    let cells = sheet_cells(&mut workbook, DECLARATION_SHEET)?;
    let expected = target_id(scheme, provider_type);
    if let Some(marker) = cells
        .values()
        .filter_map(Cell::text)
        .find_map(|text| text.strip_prefix(MARKER_PREFIX))
        && marker.trim() != expected
    {
        return Err(unreadable(format!(
            "该文件是“{}”的申报书，与本申报（{}）不符 / the file is for {}, not for this application ({expected})",
            marker.trim(),
            target_title(scheme, provider_type),
            marker.trim()
        )));
    }
    let header = (0..10u32).find_map(|row| {
        let find = |name: &str| {
            (0..MAX_WORKBOOK_COLUMNS).find(|column| {
                cells
                    .get(&(row, *column))
                    .and_then(Cell::text)
                    .is_some_and(|t| t.trim() == name)
            })
        };
        Some((row, find("申报值")?, find("字段编号")?))
    });
    let Some((header_row, value_column, id_column)) = header else {
        return Err(unreadable(format!(
            "工作表“{DECLARATION_SHEET}”缺少“申报值”或“字段编号”列 / sheet “{DECLARATION_SHEET}” lacks the “申报值” or “字段编号” column"
        )));
    };
    let last_row = cells.keys().map(|(row, _)| *row).max().unwrap_or(0);
    let type_title = provider_type
        .map(|t| scheme.provider_types[t].title.as_str())
        .unwrap_or(scheme.title.as_str());
    for row in header_row + 1..=last_row {
        let excel_row = row + 1;
        let error = |field: Option<&str>, message: String| CellError {
            sheet: DECLARATION_SHEET.to_owned(),
            row: Some(excel_row),
            field: field.map(str::to_owned),
            message,
        };
        let Some(id) = cells
            .get(&(row, id_column))
            .map(|c| c.as_text())
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
        else {
            continue;
        };
        let Some(field_index) = scheme.field(&id) else {
            read.cell_errors.push(error(
                Some(&id),
                format!("未知的字段编号“{id}” / unknown field id “{id}”"),
            ));
            continue;
        };
        let field = &scheme.fields[field_index];
        if !of_type.contains(&field_index) {
            read.cell_errors.push(error(
                Some(&id),
                format!(
                    "“{}”不是“{type_title}”的申报内容 / “{id}” is not asked of this provider type",
                    field.label
                ),
            ));
            continue;
        }
        if read.places.contains_key(&id) {
            read.cell_errors.push(error(
                Some(&id),
                format!(
                    "“{}”重复出现，只读取第一次 / “{id}” appears twice; the first row is read",
                    field.label
                ),
            ));
            continue;
        }
        if matches!(field.kind, FieldKind::Records(_)) {
            continue;
        }
        read.places.insert(
            id.clone(),
            Place {
                sheet: DECLARATION_SHEET.to_owned(),
                rows: vec![excel_row],
            },
        );
        if let Some(value) = cells
            .get(&(row, value_column))
            .and_then(|cell| cell_json(cell, &field.kind))
        {
            read.values.insert(id, value);
        }
    }

    // The records sheets, found by their row of ids.
    for name in names
        .iter()
        .filter(|n| *n != DECLARATION_SHEET && *n != INSTRUCTIONS_SHEET)
    {
        let cells = sheet_cells(&mut workbook, name)?;
        read_records_sheet(scheme, &of_type, name, &cells, &mut read);
    }
    Ok(read)
}

fn read_records_sheet(
    scheme: &Scheme,
    of_type: &HashSet<usize>,
    sheet: &str,
    cells: &BTreeMap<(u32, u32), Cell>,
    read: &mut ReadWorkbook,
) {
    // The ids row: `<field>#name`, `<field>#<column>`.
    let Some(ids_row) = (0..10u32).find(|row| {
        cells
            .get(&(*row, 0))
            .and_then(Cell::text)
            .is_some_and(|t| t.trim().ends_with("#name"))
    }) else {
        return;
    };
    let field_id = cells
        .get(&(ids_row, 0))
        .map(Cell::as_text)
        .unwrap_or_default()
        .trim()
        .trim_end_matches("#name")
        .to_owned();
    let sheet_error = |message: String| CellError {
        sheet: sheet.to_owned(),
        row: Some(ids_row + 1),
        field: Some(field_id.clone()),
        message,
    };
    let Some(field_index) = scheme.field(&field_id) else {
        read.cell_errors.push(sheet_error(format!(
            "未知的字段编号“{field_id}” / unknown field id “{field_id}”"
        )));
        return;
    };
    let field = &scheme.fields[field_index];
    let FieldKind::Records(spec) = &field.kind else {
        read.cell_errors.push(sheet_error(format!(
            "“{}”不是逐条填写的表格 / “{field_id}” is not a table of records",
            field.label
        )));
        return;
    };
    if !of_type.contains(&field_index) {
        read.cell_errors.push(sheet_error(format!(
            "“{}”不是本申报类型的申报内容 / “{field_id}” is not asked of this provider type",
            field.label
        )));
        return;
    }
    if read
        .places
        .get(&field_id)
        .is_some_and(|p| p.sheet != DECLARATION_SHEET)
    {
        read.cell_errors.push(sheet_error(format!(
            "“{}”已在另一工作表中填写 / “{field_id}” is filled in on another sheet",
            field.label
        )));
        return;
    }
    // Which column holds which record field.
    let prefix = format!("{field_id}#");
    let mut columns: Vec<(u32, Option<&Field>)> = Vec::new();
    for column in 0..MAX_WORKBOOK_COLUMNS {
        let Some(text) = cells.get(&(ids_row, column)).and_then(Cell::text) else {
            continue;
        };
        let Some(id) = text.trim().strip_prefix(&prefix) else {
            continue;
        };
        if id == "name" {
            columns.push((column, None));
        } else if let Some(f) = spec.fields.iter().find(|f| f.id == id) {
            columns.push((column, Some(f)));
        }
    }
    let last_row = cells.keys().map(|(row, _)| *row).max().unwrap_or(0);
    let mut records = Vec::new();
    let mut rows = Vec::new();
    for row in ids_row + 1..=last_row {
        let mut record = Map::new();
        for (column, column_field) in &columns {
            let Some(cell) = cells.get(&(row, *column)) else {
                continue;
            };
            let value = match column_field {
                None => cell_json(cell, &FieldKind::Choice(Vec::new())),
                Some(f) => cell_json(cell, &f.kind),
            };
            if let Some(value) = value {
                let key = column_field.map_or("name", |f| f.id.as_str());
                record.insert(key.to_owned(), value);
            }
        }
        if !record.is_empty() {
            records.push(Json::Object(record));
            rows.push(row + 1);
        }
    }
    if !records.is_empty() {
        read.values.insert(field_id.clone(), Json::Array(records));
        read.places.insert(
            field_id,
            Place {
                sheet: sheet.to_owned(),
                rows,
            },
        );
    }
}

fn unreadable(message: impl Into<String>) -> AppError {
    AppError::invalid(message)
}

/// Refuses a file that is not a zip archive, or whose parts would unpack to an absurd size
/// (a "zip bomb"): calamine reads the shared strings and each sheet into memory. The sizes
/// are those the archive declares; the rows of each sheet are counted again as they are read
/// ([`sheet_cells`]).
fn check_archive(bytes: &[u8]) -> AppResult<()> {
    if !bytes.starts_with(b"PK\x03\x04") {
        return Err(unreadable(
            "文件不是 xlsx 格式（请上传从本系统下载并填写的 .xlsx 文件）/ the file is not an xlsx workbook",
        ));
    }
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| {
        unreadable("文件不是有效的 xlsx 工作簿 / the file is not a readable xlsx workbook")
    })?;
    if archive.len() > MAX_ZIP_ENTRIES {
        return Err(too_big());
    }
    let mut total: u64 = 0;
    for index in 0..archive.len() {
        let entry = archive.by_index_raw(index).map_err(|_| {
            unreadable("文件不是有效的 xlsx 工作簿 / the file is not a readable xlsx workbook")
        })?;
        total = total.saturating_add(entry.size());
        if total > MAX_UNCOMPRESSED_BYTES {
            return Err(too_big());
        }
    }
    // The declared sizes may lie: the shared strings, read whole, are unpacked here with a cap.
    if let Ok(entry) = archive.by_name("xl/sharedStrings.xml") {
        let mut sink = Vec::new();
        let read = entry
            .take(MAX_UNCOMPRESSED_BYTES + 1)
            .read_to_end(&mut sink)
            .map_err(|_| {
                unreadable("文件不是有效的 xlsx 工作簿 / the file is not a readable xlsx workbook")
            })?;
        if read as u64 > MAX_UNCOMPRESSED_BYTES {
            return Err(too_big());
        }
    }
    Ok(())
}

fn too_big() -> AppError {
    unreadable(format!(
        "工作簿内容过大（解压后超过 {} MB，或超过 {MAX_WORKBOOK_ROWS} 行）/ the workbook is too large inside",
        MAX_UNCOMPRESSED_BYTES / 1024 / 1024
    ))
}

/// A cell's value, owned.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Text(String),
    Number(f64),
    Integer(i64),
    Bool(bool),
    /// An Excel serial date-time.
    Date(ExcelDateTime),
    /// An ISO 8601 date or date-time.
    IsoDate(String),
}

impl Cell {
    fn text(&self) -> Option<&str> {
        match self {
            Cell::Text(text) => Some(text),
            _ => None,
        }
    }

    fn as_text(&self) -> String {
        match self {
            Cell::Text(text) | Cell::IsoDate(text) => text.clone(),
            Cell::Number(n) => number_text(*n),
            Cell::Integer(i) => i.to_string(),
            Cell::Bool(b) => if *b { "是" } else { "否" }.to_owned(),
            Cell::Date(date) => serial_date(date).unwrap_or_else(|| number_text(date.as_f64())),
        }
    }
}

/// A float as the shortest text that reads back as the same number (`1.2`, not
/// `1.2000000000000002`; `12000000`, not `1.2e7`).
fn number_text(value: f64) -> String {
    if value.is_finite() && value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        format!("{value}")
    }
}

/// An Excel date as `YYYY-MM-DD` (none for a time of day alone or a number out of range).
fn serial_date(date: &ExcelDateTime) -> Option<String> {
    let serial = date.as_f64();
    if !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    let (year, month, day, ..) = date.to_ymd_hms_milli();
    Some(format!("{year:04}-{month:02}-{day:02}"))
}

/// Every non-empty cell of a sheet by (row, column), 0-based; refused beyond
/// [`MAX_WORKBOOK_ROWS`] rows or [`MAX_WORKBOOK_COLUMNS`] columns, counted as the cells arrive.
fn sheet_cells(
    workbook: &mut Xlsx<Cursor<&[u8]>>,
    sheet: &str,
) -> AppResult<BTreeMap<(u32, u32), Cell>> {
    let broken = || {
        unreadable(format!(
            "工作表“{sheet}”无法读取 / sheet “{sheet}” cannot be read"
        ))
    };
    let mut reader = workbook
        .worksheet_cells_reader(sheet)
        .map_err(|_| broken())?;
    let mut cells = BTreeMap::new();
    while let Some(cell) = reader.next_cell().map_err(|_| broken())? {
        let (row, column) = cell.get_position();
        if row >= MAX_WORKBOOK_ROWS || cells.len() as u64 > u64::from(MAX_WORKBOOK_ROWS) * 16 {
            return Err(too_big());
        }
        if column >= MAX_WORKBOOK_COLUMNS {
            continue;
        }
        let value = match cell.get_value() {
            DataRef::String(text) => Cell::Text(text.clone()),
            DataRef::SharedString(text) => Cell::Text((*text).to_owned()),
            DataRef::Float(n) => Cell::Number(*n),
            DataRef::Int(i) => Cell::Integer(*i),
            DataRef::Bool(b) => Cell::Bool(*b),
            DataRef::DateTime(date) => Cell::Date(*date),
            DataRef::DateTimeIso(text) => Cell::IsoDate(text.clone()),
            DataRef::DurationIso(text) => Cell::Text(text.clone()),
            DataRef::Error(_) | DataRef::Empty => continue,
        };
        cells.insert((row, column), value);
    }
    Ok(cells)
}

/// A cell as the JSON value the form would send for a field of this kind (none when blank):
/// lists split at 「、」, commas, semicolons or line breaks; dates from Excel serial numbers as
/// `YYYY-MM-DD`; numbers as their shortest exact text; TRUE/FALSE as 是/否. Everything else is
/// text as typed, for the assessment to read.
fn cell_json(cell: &Cell, kind: &FieldKind) -> Option<Json> {
    let value = match (kind, cell) {
        (FieldKind::Items(_), cell) => {
            let text = cell.as_text();
            let items: Vec<Json> = text
                .split(['、', ',', '，', ';', '；', '\n', '\r'])
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(Json::from)
                .collect();
            if items.is_empty() {
                return None;
            }
            Json::Array(items)
        }
        (FieldKind::Date | FieldKind::DateOrNone, Cell::Number(serial)) => {
            let date = ExcelDateTime::new(*serial, ExcelDateTimeType::DateTime, false);
            Json::from(serial_date(&date).unwrap_or_else(|| number_text(*serial)))
        }
        (FieldKind::Date | FieldKind::DateOrNone, Cell::Integer(serial)) => {
            let date = ExcelDateTime::new(*serial as f64, ExcelDateTimeType::DateTime, false);
            Json::from(serial_date(&date).unwrap_or_else(|| serial.to_string()))
        }
        (_, Cell::IsoDate(text)) => Json::from(text.get(..10).unwrap_or(text)),
        (_, cell) => Json::from(cell.as_text()),
    };
    match &value {
        Json::String(text) if text.trim().is_empty() => None,
        Json::String(text) => Some(Json::from(text.trim())),
        _ => Some(value),
    }
}

// --- plain tables (imports of lists) ---------------------------------------------------------

/// A one-sheet workbook of a header and rows, every cell text (a template to fill in).
pub fn simple_table(sheet_name: &str, header: &[&str], rows: &[Vec<String>]) -> AppResult<Vec<u8>> {
    let build = || -> Result<Vec<u8>, XlsxError> {
        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet();
        sheet.set_name(sheet_name)?;
        let bold = Format::new().set_bold();
        let text = Format::new().set_num_format("@");
        for (column, title) in header.iter().enumerate() {
            sheet.write_string_with_format(0, column as u16, *title, &bold)?;
            sheet.set_column_format(column as u16, &text)?;
        }
        for (row, cells) in rows.iter().enumerate() {
            for (column, cell) in cells.iter().enumerate() {
                sheet.write_string(row as u32 + 1, column as u16, cell)?;
            }
        }
        let widths = column_widths(header, rows);
        for (column, width) in widths.into_iter().enumerate() {
            sheet.set_column_width(column as u16, width)?;
        }
        workbook.save_to_buffer()
    };
    build().map_err(AppError::internal)
}

/// The first sheet of an uploaded workbook as rows of text (blank cells empty), checked like
/// every workbook upload (an xlsx archive of sane size, at most `MAX_WORKBOOK_ROWS` rows).
pub fn read_simple_table(bytes: &[u8]) -> AppResult<Vec<Vec<String>>> {
    check_archive(bytes)?;
    let mut workbook = Xlsx::new(Cursor::new(bytes)).map_err(|_| {
        unreadable("文件不是有效的 xlsx 工作簿 / the file is not a readable xlsx workbook")
    })?;
    let sheet = workbook
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| unreadable("工作簿没有工作表 / the workbook has no sheet"))?;
    let cells = sheet_cells(&mut workbook, &sheet)?;
    let mut rows: Vec<Vec<String>> = Vec::new();
    for ((row, column), cell) in &cells {
        let (row, column) = (*row as usize, *column as usize);
        if rows.len() <= row {
            rows.resize(row + 1, Vec::new());
        }
        if rows[row].len() <= column {
            rows[row].resize(column + 1, String::new());
        }
        rows[row][column] = cell.as_text();
    }
    Ok(rows)
}

/// A CSV text (RFC 4180: quoted cells, doubled quotes, line breaks inside quotes; a UTF-8 BOM
/// ignored) as rows of cells.
pub fn read_csv(text: &str) -> AppResult<Vec<Vec<String>>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') if cell.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => cell.push(c),
        }
        if rows.len() as u32 > MAX_WORKBOOK_ROWS {
            return Err(too_big());
        }
    }
    if quoted {
        return Err(unreadable(
            "CSV 文件的引号未闭合 / an unclosed quote in the CSV file",
        ));
    }
    if !cell.is_empty() || !row.is_empty() {
        row.push(cell);
        rows.push(row);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::Data;
    use pingjia_core::Catalog;
    use serde_json::json;
    use std::collections::HashMap;

    fn catalog() -> Catalog {
        Catalog::builtin().unwrap()
    }

    fn jiangsu<'c>(catalog: &'c Catalog, kind: &str) -> (&'c Scheme, Option<usize>) {
        crate::services::assessment::target(catalog, "jiangsu-pool-2021", Some(kind)).unwrap()
    }

    fn open(bytes: &[u8]) -> Xlsx<Cursor<&[u8]>> {
        Xlsx::new(Cursor::new(bytes)).unwrap()
    }

    fn sheet_xml(bytes: &[u8], number: usize) -> String {
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let mut text = String::new();
        archive
            .by_name(&format!("xl/worksheets/sheet{number}.xml"))
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        text
    }

    fn rows() -> Vec<RecommendationRow> {
        vec![
            RecommendationRow {
                order: 2,
                organization_name: "昆山智造科技有限公司".into(),
                credit_code: "91320583MA1P7K2X0X".into(),
                region: "苏州市昆山市".into(),
                organization_kind: "企业".into(),
                provider_type: "网络服务商".into(),
                self_grade: Some(GradeText::Stars(3)),
                confirmed_grade: Some(GradeText::Stars(2)),
                contact: "王工".into(),
                phone: "051257001234".into(),
                opinion: "情况属实，同意推荐".into(),
            },
            RecommendationRow {
                order: 1,
                organization_name: "苏州\"云\"平台, 股份有限公司".into(),
                credit_code: "00000000000000000E".into(),
                region: "苏州市工业园区".into(),
                organization_kind: "企业".into(),
                provider_type: "综合型平台".into(),
                self_grade: Some(GradeText::Text("认定".into())),
                confirmed_grade: None,
                contact: "=HYPERLINK(\"http://x\")".into(),
                phone: "+86 512 1234".into(),
                opinion: "该单位平台能力突出，".repeat(12),
            },
        ]
    }

    fn meta() -> TableMeta {
        TableMeta {
            round_name: "2026年上半年".into(),
            scheme_title: "江苏省工业互联网平台资源池".into(),
            office: "苏州市工业和信息化局".into(),
            date: "2026-03-31".into(),
        }
    }

    #[test]
    fn the_recommendation_table_reads_back_in_order_with_text_codes() {
        let values = vec![ValueRow {
            organization_name: "昆山智造科技有限公司".into(),
            provider_type: "网络服务商".into(),
            criterion: "注册资本（一（一））".into(),
            field: "注册资本".into(),
            declared: "1200万元".into(),
            confirmed: "1000万元".into(),
            note: "以营业执照为准".into(),
        }];
        let bytes = recommendation_table(&meta(), &rows(), &values).unwrap();
        let mut workbook = open(&bytes);
        assert_eq!(workbook.sheet_names(), vec!["汇总推荐表", "指标明细"]);
        let sheet = workbook.worksheet_range("汇总推荐表").unwrap();
        let cell = |row: u32, column: u32| sheet.get_value((row, column)).cloned();
        assert_eq!(
            cell(0, 0),
            Some(Data::String(
                "2026年上半年 江苏省工业互联网平台资源池 汇总推荐表".into()
            ))
        );
        assert_eq!(
            cell(1, 0),
            Some(Data::String(
                "推荐单位：苏州市工业和信息化局　　日期：2026-03-31".into()
            ))
        );
        let header: Vec<String> = (0..12).map(|c| cell(2, c).unwrap().to_string()).collect();
        assert_eq!(header, RECOMMENDATION_HEADER);
        // 推荐顺序 1 first; 序号 is the position.
        assert_eq!(cell(3, 0), Some(Data::String("1".into())));
        assert_eq!(
            cell(3, 1),
            Some(Data::String("苏州\"云\"平台, 股份有限公司".into()))
        );
        assert_eq!(cell(3, 2), Some(Data::String("00000000000000000E".into())));
        assert_eq!(cell(3, 6), Some(Data::String("认定".into())));
        // An empty text is a blank cell (with its borders).
        assert_eq!(cell(3, 7), Some(Data::Empty));
        assert_eq!(cell(4, 2), Some(Data::String("91320583MA1P7K2X0X".into())));
        assert_eq!(cell(4, 6), Some(Data::String("三星".into())));
        assert_eq!(cell(4, 7), Some(Data::String("二星".into())));
        assert_eq!(cell(4, 9), Some(Data::String("051257001234".into())));
        assert_eq!(cell(4, 11), Some(Data::String("2".into())));
        let details = workbook.worksheet_range("指标明细").unwrap();
        assert_eq!(
            details.get_value((1, 5)),
            Some(&Data::String("1000万元".into()))
        );
        assert_eq!(
            details.get_value((0, 6)),
            Some(&Data::String("核定说明".into()))
        );

        let xml = sheet_xml(&bytes, 1);
        assert!(
            xml.contains(r#"<pane ySplit="3" topLeftCell="A4""#),
            "{xml}"
        );
        // Widths: a credit code is 18 characters (wider than its 8-character CJK header, 16
        // units) + 2; 「单位名称」 fits 「苏州"云"平台, 股份有限公司」 (11 CJK and 4 Latin
        // characters: 26) + 2; the long opinion is capped at 60 (Excel stores each width plus its padding).
        assert!(
            xml.contains(r#"<col min="3" max="3" width="20.7109375""#),
            "{xml}"
        );
        assert!(
            xml.contains(r#"<col min="2" max="2" width="28.7109375""#),
            "{xml}"
        );
        assert!(
            xml.contains(r#"<col min="11" max="11" width="60.7109375""#),
            "{xml}"
        );
    }

    #[test]
    fn widths_count_cjk_twice_and_are_capped() {
        assert_eq!(display_width("abc"), 3);
        assert_eq!(display_width("单位名称"), 8);
        assert_eq!(display_width("（一）"), 6);
        let widths = column_widths(
            &["序号", "单位名称"],
            &[
                vec!["1".into(), "很".repeat(100)],
                vec!["12".into(), "x".into()],
            ],
        );
        assert_eq!(widths, vec![6.0, 60.0]);
    }

    #[test]
    fn the_csv_has_a_bom_quotes_and_guards_formulas() {
        let csv = recommendation_csv(&rows());
        assert!(csv.starts_with("\u{feff}序号,单位名称,统一社会信用代码,"));
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(lines.len(), 4, "{csv:?}");
        assert_eq!(lines[3], "");
        assert!(
            lines[1].starts_with(
                "1,\"苏州\"\"云\"\"平台, 股份有限公司\",00000000000000000E,苏州市工业园区,企业,综合型平台,认定,,\"'=HYPERLINK(\"\"http://x\"\")\",'+86 512 1234,"
            ),
            "{}",
            lines[1]
        );
        assert!(lines[2].starts_with("2,昆山智造科技有限公司,91320583MA1P7K2X0X,"));
        assert!(lines[2].ends_with(",王工,051257001234,情况属实，同意推荐,2"));
        assert_eq!(csv_cell("-1"), "'-1");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("\tx"), "'\tx");
        assert_eq!(csv_cell("a\nb"), "\"a\nb\"");
        assert_eq!(csv_cell("普通"), "普通");
    }

    #[test]
    fn a_declaration_round_trips_through_its_workbook() {
        let catalog = catalog();
        let (scheme, provider_type) = jiangsu(&catalog, "comprehensive_platform");
        let body = json!({
            "organization": { "kind": "enterprise" },
            "values": {
                "registered_capital": "1200万",
                "employees": "0120",
                "itss_level": "三级",
                "established_on": "2015-03-01",
                "cp_data_services": ["基础数据", "生产数据"],
                "sound_finance": true,
                "rd_expense_ratio": "3.5%",
            }
        });
        let bytes =
            declaration_workbook(scheme, provider_type, &body, "昆山智造科技有限公司").unwrap();
        let mut workbook = open(&bytes);
        assert_eq!(workbook.sheet_names(), vec!["说明", "申报书"]);
        let sheet = workbook.worksheet_range("申报书").unwrap();
        let header: Vec<String> = (0..7)
            .map(|c| sheet.get_value((1, c)).unwrap().to_string())
            .collect();
        assert_eq!(header, DECLARATION_HEADER);
        // Exactly the form's fields, each once.
        let ids: Vec<String> = (2..sheet.height() as u32)
            .filter_map(|r| sheet.get_value((r, 6)).map(|v| v.to_string()))
            .collect();
        let expected: Vec<String> = declaration_fields(scheme, provider_type)
            .iter()
            .map(|(f, _)| scheme.fields[*f].id.clone())
            .collect();
        assert_eq!(ids, expected);
        assert!(ids.len() > 20);

        let (values, errors) = read_declaration_workbook(scheme, provider_type, &bytes).unwrap();
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            Json::Object(values),
            json!({
                "registered_capital": "1200万",
                "employees": "0120",
                "itss_level": "三级",
                "established_on": "2015-03-01",
                "cp_data_services": ["基础数据", "生产数据"],
                "sound_finance": "是",
                "rd_expense_ratio": "3.5%",
            })
        );
    }

    /// A workbook as a user leaves it after typing into the declaration sheet: numbers and
    /// dates as Excel stores them, an unknown id, a row of another type.
    fn typed_over(
        scheme: &Scheme,
        provider_type: Option<usize>,
        edit: impl Fn(&mut Worksheet, &HashMap<String, u32>),
    ) -> Vec<u8> {
        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet();
        sheet.set_name(DECLARATION_SHEET).unwrap();
        sheet
            .write_string(
                0,
                ID_COLUMN,
                format!("pingjia:{}", target_id(scheme, provider_type)),
            )
            .unwrap();
        for (column, name) in DECLARATION_HEADER.iter().enumerate() {
            sheet.write_string(1, column as u16, *name).unwrap();
        }
        let mut rows = HashMap::new();
        for (index, (field, _)) in declaration_fields(scheme, provider_type).iter().enumerate() {
            let row = 2 + index as u32;
            sheet
                .write_string(row, ID_COLUMN, &scheme.fields[*field].id)
                .unwrap();
            rows.insert(scheme.fields[*field].id.clone(), row);
        }
        edit(sheet, &rows);
        workbook.save_to_buffer().unwrap()
    }

    /// A field of the scheme that this provider type does not ask for.
    fn other_type_field(scheme: &Scheme, provider_type: Option<usize>) -> String {
        let own: Vec<usize> = declaration_fields(scheme, provider_type)
            .iter()
            .map(|(f, _)| *f)
            .collect();
        (0..scheme.fields.len())
            .find(|f| !own.contains(f))
            .map(|f| scheme.fields[f].id.clone())
            .unwrap()
    }

    #[test]
    fn typed_numbers_and_dates_read_exactly_and_bad_rows_are_named() {
        let catalog = catalog();
        let (scheme, provider_type) = jiangsu(&catalog, "comprehensive_platform");
        let bytes = typed_over(scheme, provider_type, |sheet, rows| {
            let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2015, 3, 1).unwrap();
            let date_format = Format::new().set_num_format("yyyy-mm-dd");
            sheet
                .write_number(rows["registered_capital"], VALUE_COLUMN, 12000000.0)
                .unwrap();
            sheet
                .write_number(rows["rd_expense_ratio"], VALUE_COLUMN, 1.2)
                .unwrap();
            sheet
                .write_datetime_with_format(
                    rows["established_on"],
                    VALUE_COLUMN,
                    &date,
                    &date_format,
                )
                .unwrap();
            sheet
                .write_boolean(rows["sound_finance"], VALUE_COLUMN, false)
                .unwrap();
            sheet
                .write_string(
                    rows["cp_data_services"],
                    VALUE_COLUMN,
                    "基础数据\n生产数据，设计数据",
                )
                .unwrap();
            sheet.write_string(200, ID_COLUMN, "no_such_field").unwrap();
            sheet.write_string(200, VALUE_COLUMN, "1").unwrap();
            sheet
                .write_string(201, ID_COLUMN, other_type_field(scheme, provider_type))
                .unwrap();
            sheet.write_string(201, VALUE_COLUMN, "5").unwrap();
        });
        let read = read_declaration_workbook_located(scheme, provider_type, &bytes).unwrap();
        assert_eq!(read.values["registered_capital"], "12000000");
        assert_eq!(read.values["rd_expense_ratio"], "1.2");
        assert_eq!(read.values["established_on"], "2015-03-01");
        assert_eq!(read.values["sound_finance"], "否");
        assert_eq!(
            read.values["cp_data_services"],
            json!(["基础数据", "生产数据", "设计数据"])
        );
        assert_eq!(read.values.len(), 5);
        let errors: Vec<String> = read.cell_errors.iter().map(|e| e.describe("zh")).collect();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert_eq!(
            errors[0],
            "工作表“申报书”第 201 行：未知的字段编号“no_such_field”"
        );
        let type_title = &scheme.provider_types[provider_type.unwrap()].title;
        assert!(
            errors[1].starts_with("工作表“申报书”第 202 行：")
                && errors[1].ends_with(&format!("不是“{type_title}”的申报内容")),
            "{errors:?}"
        );
        let row = 2 + declaration_fields(scheme, provider_type)
            .iter()
            .position(|(f, _)| scheme.fields[*f].id == "registered_capital")
            .unwrap() as u32;
        assert_eq!(
            read.locate("values.registered_capital"),
            Some(("申报书", row + 1))
        );
    }

    #[test]
    fn files_that_are_not_this_declaration_are_refused_whole() {
        let catalog = catalog();
        let (scheme, provider_type) = jiangsu(&catalog, "comprehensive_platform");
        let refused = |bytes: &[u8]| {
            read_declaration_workbook(scheme, provider_type, bytes)
                .map(|_| ())
                .unwrap_err()
        };
        let error = refused(b"%PDF-1.4 not a workbook");
        assert_eq!((error.status, error.code), (422, "invalid_input"));
        assert!(
            error.message.starts_with("文件不是 xlsx 格式"),
            "{}",
            error.message
        );
        let error = refused(b"PK\x03\x04 truncated");
        assert!(error.message.starts_with("文件不是有效的 xlsx 工作簿"));
        // Another provider type's file.
        let (_, other) = jiangsu(&catalog, "supporting");
        let bytes = declaration_workbook(scheme, other, &json!({}), "某单位").unwrap();
        let error = refused(&bytes);
        assert!(
            error.message.contains("jiangsu-pool-2021/supporting"),
            "{}",
            error.message
        );
        // No sheet 「申报书」.
        let mut workbook = Workbook::new();
        workbook.add_worksheet().set_name("Sheet1").unwrap();
        let error = refused(&workbook.save_to_buffer().unwrap());
        assert!(
            error.message.starts_with("工作簿中没有工作表“申报书”"),
            "{}",
            error.message
        );
        // A sheet with absurdly many rows.
        let bytes = typed_over(scheme, provider_type, |sheet, _| {
            sheet.write_string(MAX_WORKBOOK_ROWS + 10, 0, "x").unwrap();
        });
        let error = refused(&bytes);
        assert!(
            error.message.starts_with("工作簿内容过大"),
            "{}",
            error.message
        );
    }

    #[test]
    fn records_round_trip_through_their_own_sheet() {
        let catalog = catalog();
        let (scheme, provider_type) =
            crate::services::assessment::target(&catalog, "miit-platform-2018", None).unwrap();
        let body = json!({ "values": { "cross_regions": [
            { "name": "华东", "users": "120" },
            { "name": "华北", "users": "1.5万" },
        ] } });
        let bytes = declaration_workbook(scheme, provider_type, &body, "某平台公司").unwrap();
        let workbook = open(&bytes);
        let names = workbook.sheet_names();
        assert!(names.len() >= 4, "{names:?}");
        assert!(names.iter().all(|n| n.chars().count() <= 31));
        let read = read_declaration_workbook_located(scheme, provider_type, &bytes).unwrap();
        assert!(read.cell_errors.is_empty(), "{:?}", read.cell_errors);
        assert_eq!(
            read.values.get("cross_regions"),
            Some(
                &json!([{ "name": "华东", "users": "120" }, { "name": "华北", "users": "1.5万" }])
            )
        );
        let (sheet, row) = read.locate("values.cross_regions[1].users").unwrap();
        assert!(sheet.starts_with('表'), "{sheet}");
        assert_eq!(row, 5);
    }
}
