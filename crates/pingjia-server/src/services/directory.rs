//! The public directory of the resource pool (资源池名录) and its open data: the filters and
//! sorts of one query string (the page and the API read the same [`DirectoryQuery`] through
//! [`parse`]), a page of members, one member with its public history, the whole filtered list
//! as CSV and xlsx, the statistics, and the version (`ETag`) of each answer. No account is
//! needed: the pool is public (003 二（二）4 「向社会公布」).

use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::services::spreadsheets::column_widths;
use crate::storage::{self as store, DirectoryOrder, DirectorySort, Page};
use rust_xlsxwriter::{Format, Workbook, XlsxError};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use utoipa::{IntoParams, ToSchema};

/// The version of the directory's open-data schema (JSON field `schema`, the `Pingjia-Schema`
/// header of every download). Fields are only ever added within a version.
pub const SCHEMA: &str = "pingjia-directory/1";
/// The version of the statistics' schema.
pub const STATS_SCHEMA: &str = "pingjia-directory-stats/1";

/// A member's statuses and their names: in the pool, its term ended (003 三、2), removed
/// after a spot check, revoked.
pub const STATUSES: &[(&str, &str)] = &[
    ("active", "在库"),
    ("expired", "已到期"),
    ("removed", "已移出"),
    ("revoked", "已撤销"),
];

/// The events of a member's history the public sees, and their names. Anything else (a
/// renewal reminder to the organisation above all) stays private: the list names what is
/// shown, never what is hidden.
pub const PUBLIC_EVENTS: &[(&str, &str)] = &[
    ("granted", "入库"),
    ("renewed", "复评续期"),
    ("upgraded", "升级"),
    ("downgraded", "降级"),
    ("expired", "到期退出"),
    ("removed", "移出资源池"),
    ("revoked", "被撤销"),
];

/// The events whose `detail` text is written by this application and is public; the detail
/// of a removal or revocation may name a spot check's findings and is left out.
const PUBLIC_DETAILS: &[&str] = &["renewed", "upgraded", "downgraded", "expired"];

/// The sorts by name (`sort=`), each with its natural direction (stars: highest first).
pub const SORTS: &[(&str, &str)] = &[
    ("name", "单位名称"),
    ("stars", "星级"),
    ("valid_until", "有效期至"),
    ("region", "地区"),
];

/// The directory's query string, as the page and the API read it. Every field is optional;
/// a value that is not understood is refused (422), never ignored.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DirectoryQuery {
    /// Part of the organisation's name, or its 18-character 统一社会信用代码.
    pub q: Option<String>,
    /// A scheme's id (`jiangsu-pool-2021`).
    pub scheme: Option<String>,
    /// A provider type's id within the scheme (`network`).
    pub provider_type: Option<String>,
    /// Star count, 1 to 5.
    pub stars: Option<String>,
    /// The result's text (`三星`, `认定`, `入选`).
    pub result: Option<String>,
    /// A region's code (GB/T 2260): the province, city or county and everything inside it.
    pub region: Option<String>,
    /// `active` (default), `expired`, `removed`, `revoked` or `all`.
    pub status: Option<String>,
    /// `name` (default), `stars`, `valid_until`, `region`.
    pub sort: Option<String>,
    /// `asc` or `desc`; default ascending, `stars` descending.
    pub dir: Option<String>,
    /// Page number, from 1.
    pub page: Option<String>,
    /// Members per page, 1 to 200 (default 20).
    pub per_page: Option<String>,
}

/// A query understood: the filter, the sort, the page and a canonical text of the three (the
/// `ETag`'s input and the page's links).
#[derive(Debug, Clone)]
pub struct Parsed {
    pub filter: store::DirectoryFilter,
    pub sort: DirectorySort,
    pub page: Page,
    /// The filters and sort as `&key=value` pairs (no page), for links.
    pub pairs: Vec<(&'static str, String)>,
    pub region: Option<store::Region>,
}

fn blank(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// Reads a directory query: the one rule of what it may ask, for the page and the API.
pub async fn parse(state: &AppState, query: &DirectoryQuery) -> AppResult<Parsed> {
    let mut filter = store::DirectoryFilter::default();
    let mut pairs: Vec<(&'static str, String)> = Vec::new();
    if let Some(q) = blank(&query.q) {
        crate::services::plain_text("查询", q, 100)?;
        filter.query = Some(q.to_owned());
        pairs.push(("q", q.to_owned()));
    }
    let mut scheme = None;
    if let Some(id) = blank(&query.scheme) {
        let found = state
            .catalog
            .schemes
            .iter()
            .find(|s| s.id == id)
            .ok_or_else(|| AppError::invalid("没有该评价方案 / unknown scheme"))?;
        scheme = Some(found);
        filter.scheme_id = Some(id.to_owned());
        pairs.push(("scheme", id.to_owned()));
    }
    if let Some(id) = blank(&query.provider_type) {
        let known = match scheme {
            Some(scheme) => scheme.provider_types.iter().any(|t| t.id == id),
            None => state
                .catalog
                .schemes
                .iter()
                .any(|s| s.provider_types.iter().any(|t| t.id == id)),
        };
        if !known {
            return Err(AppError::invalid(
                "没有该服务商类型 / unknown provider type",
            ));
        }
        filter.provider_type = Some(id.to_owned());
        pairs.push(("provider_type", id.to_owned()));
    }
    if let Some(stars) = blank(&query.stars) {
        match stars.parse::<i64>() {
            Ok(n) if (1..=5).contains(&n) => filter.stars = Some(n),
            _ => {
                return Err(AppError::invalid("星级应为 1 到 5 / stars must be 1 to 5"));
            }
        }
        pairs.push(("stars", stars.to_owned()));
    }
    if let Some(result) = blank(&query.result) {
        crate::services::plain_text("评定结果", result, 20)?;
        filter.result = Some(result.to_owned());
        pairs.push(("result", result.to_owned()));
    }
    let mut region = None;
    if let Some(code) = blank(&query.region) {
        let found = if code.len() <= 12 && code.bytes().all(|b| b.is_ascii_digit()) {
            store::region_by_code(&state.db, code).await?
        } else {
            None
        };
        let found = found.ok_or_else(|| AppError::invalid("没有该地区 / unknown region"))?;
        filter.region_path = Some(found.path.clone());
        pairs.push(("region", code.to_owned()));
        region = Some(found);
    }
    match blank(&query.status) {
        None | Some("active") => filter.status = Some("active".into()),
        Some("all") => {
            filter.status = None;
            pairs.push(("status", "all".into()));
        }
        Some(status) if STATUSES.iter().any(|(s, _)| *s == status) => {
            filter.status = Some(status.to_owned());
            pairs.push(("status", status.to_owned()));
        }
        Some(_) => {
            return Err(AppError::invalid(
                "状态应为 active、expired、removed、revoked 或 all / status must be active, expired, removed, revoked or all",
            ));
        }
    }
    let order = match blank(&query.sort) {
        None | Some("name") => DirectoryOrder::Name,
        Some("stars") => DirectoryOrder::Stars,
        Some("valid_until") => DirectoryOrder::ValidUntil,
        Some("region") => DirectoryOrder::Region,
        Some(_) => {
            return Err(AppError::invalid(
                "排序应为 name、stars、valid_until 或 region / sort must be name, stars, valid_until or region",
            ));
        }
    };
    if let Some(sort) = blank(&query.sort) {
        pairs.push(("sort", sort.to_owned()));
    }
    let descending = match blank(&query.dir) {
        None => order == DirectoryOrder::Stars,
        Some("asc") => false,
        Some("desc") => true,
        Some(_) => {
            return Err(AppError::invalid(
                "排序方向应为 asc 或 desc / dir must be asc or desc",
            ));
        }
    };
    if let Some(dir) = blank(&query.dir) {
        pairs.push(("dir", dir.to_owned()));
    }
    let page = crate::services::page(query.page.as_deref(), query.per_page.as_deref())?;
    Ok(Parsed {
        filter,
        sort: DirectorySort { order, descending },
        page,
        pairs,
        region,
    })
}

/// One member as the directory and the open data show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct DirectoryEntry {
    pub id: i64,
    pub organization: String,
    /// 统一社会信用代码.
    pub credit_code: String,
    pub scheme_id: String,
    pub scheme_title: String,
    /// The provider type's id ('' where the scheme has none).
    pub provider_type: String,
    pub type_label: String,
    /// 一星 … 五星, 认定, 入选.
    pub result: String,
    pub stars: Option<i64>,
    /// The region's code (GB/T 2260) and its full name (省 市 县).
    pub region_code: String,
    pub region: String,
    /// YYYY-MM-DD.
    pub valid_from: String,
    /// YYYY-MM-DD, the term's last day; none where the scheme sets no term.
    pub valid_until: Option<String>,
    /// `active`, `expired`, `removed`, `revoked`.
    pub status: String,
    pub status_label: String,
    /// The round whose publication granted the grade in force.
    pub round_id: i64,
    pub round_name: String,
    /// The publication's document (发文文号).
    pub document_number: String,
}

/// A page of the directory.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DirectoryPage {
    /// `pingjia-directory/1`.
    pub schema: String,
    pub items: Vec<DirectoryEntry>,
    /// Members matching the filters, on every page.
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
    pub pages: i64,
}

/// An event of a member's public history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct HistoryEvent {
    /// `granted`, `renewed`, `upgraded`, `downgraded`, `expired`, `removed`, `revoked`.
    pub kind: String,
    pub label: String,
    /// The day it happened, YYYY-MM-DD (China Standard Time).
    pub date: String,
    pub result: String,
    pub stars: Option<i64>,
    pub valid_until: Option<String>,
    pub document_number: String,
    pub detail: String,
}

/// One member with the document that granted it and its public history.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemberDetail {
    /// `pingjia-directory/1`.
    pub schema: String,
    #[serde(flatten)]
    pub member: DirectoryEntry,
    /// The date of the publication's document.
    pub document_date: Option<String>,
    /// The number of the certificate of the grade in force (`/certificates/{number}` verifies
    /// it), where the grade has one.
    pub certificate_number: Option<String>,
    /// Oldest first.
    pub history: Vec<HistoryEvent>,
}

/// What the directory names rows with: regions by code and path, rounds, schemes.
struct Names {
    regions: HashMap<String, String>,
    rounds: HashMap<i64, String>,
}

impl Names {
    async fn load(state: &AppState) -> AppResult<Names> {
        let regions = store::regions(&state.db)
            .await?
            .into_iter()
            .map(|r| (r.code, r.name))
            .collect();
        let rounds = store::round_names(&state.db).await?.into_iter().collect();
        Ok(Names { regions, rounds })
    }

    fn region(&self, path: &str) -> (String, String) {
        let codes: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
        let name = codes
            .iter()
            .filter_map(|code| self.regions.get(*code).map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ");
        (codes.last().copied().unwrap_or_default().to_owned(), name)
    }

    fn entry(&self, state: &AppState, row: store::DirectoryRow) -> DirectoryEntry {
        let (region_code, region) = self.region(&row.region_path);
        DirectoryEntry {
            id: row.id,
            scheme_title: state
                .catalog
                .schemes
                .iter()
                .find(|s| s.id == row.scheme_id)
                .map(|s| s.title.clone())
                .unwrap_or_default(),
            round_name: self.rounds.get(&row.round_id).cloned().unwrap_or_default(),
            status_label: label(STATUSES, &row.status).to_owned(),
            organization: row.organization,
            credit_code: row.credit_code,
            scheme_id: row.scheme_id,
            provider_type: row.provider_type,
            type_label: row.type_label,
            result: row.result,
            stars: row.stars,
            region_code,
            region,
            valid_from: row.valid_from,
            valid_until: row.valid_until,
            status: row.status,
            round_id: row.round_id,
            document_number: row.document_number,
        }
    }
}

fn label<'a>(table: &[(&'a str, &'a str)], id: &'a str) -> &'a str {
    table
        .iter()
        .find(|(key, _)| *key == id)
        .map_or(id, |(_, name)| *name)
}

/// A page of the directory.
pub async fn list(state: &AppState, parsed: &Parsed) -> AppResult<DirectoryPage> {
    let (rows, total) =
        store::directory(&state.db, &parsed.filter, parsed.sort, parsed.page).await?;
    let names = Names::load(state).await?;
    let size = parsed.page.size;
    Ok(DirectoryPage {
        schema: SCHEMA.into(),
        items: rows.into_iter().map(|r| names.entry(state, r)).collect(),
        total,
        page: parsed.page.number,
        per_page: size,
        pages: ((total + size - 1) / size).max(1),
    })
}

/// Every member the filters match, in the sort's order (the downloads).
pub async fn all(state: &AppState, parsed: &Parsed) -> AppResult<Vec<DirectoryEntry>> {
    let rows = store::directory_all(&state.db, &parsed.filter, parsed.sort).await?;
    let names = Names::load(state).await?;
    Ok(rows.into_iter().map(|r| names.entry(state, r)).collect())
}

/// A time in China Standard Time, in which the documents' dates are written.
fn china_time(seconds: i64, format: &str) -> String {
    chrono::FixedOffset::east_opt(8 * 3600)
        .and_then(|offset| {
            chrono::DateTime::from_timestamp(seconds, 0).map(|t| t.with_timezone(&offset))
        })
        .map(|t| t.format(format).to_string())
        .unwrap_or_default()
}

/// One member with its public history; a member that does not exist is not found.
pub async fn member(state: &AppState, id: i64) -> AppResult<MemberDetail> {
    let row = store::directory_member(&state.db, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let kinds: Vec<&str> = PUBLIC_EVENTS.iter().map(|(kind, _)| *kind).collect();
    let events = store::member_events_of_kinds(&state.db, id, &kinds).await?;
    let document_date = store::grant_document_date(&state.db, row.grant_id).await?;
    let certificate_number = store::certificate_number_of_grant(&state.db, row.grant_id).await?;
    let names = Names::load(state).await?;
    let history = events
        .into_iter()
        .map(|e| HistoryEvent {
            label: label(PUBLIC_EVENTS, &e.kind).to_owned(),
            date: china_time(e.at, "%Y-%m-%d"),
            detail: if PUBLIC_DETAILS.contains(&e.kind.as_str()) {
                e.detail
            } else {
                String::new()
            },
            kind: e.kind,
            result: e.result,
            stars: e.stars,
            valid_until: e.valid_until,
            document_number: e.document_number,
        })
        .collect();
    Ok(MemberDetail {
        schema: SCHEMA.into(),
        member: names.entry(state, row),
        document_date,
        certificate_number,
        history,
    })
}

/// The strong `ETag` of an answer: the schema, the pool's version (it changes with every
/// grant, event and member change), the representation and the query, hashed.
pub async fn etag(state: &AppState, representation: &str, query: &str) -> AppResult<String> {
    let version = store::pool_version(&state.db).await?;
    let mut hash = Sha256::new();
    hash.update(
        format!("{SCHEMA}\n{STATS_SCHEMA}\n{version:?}\n{representation}\n{query}").as_bytes(),
    );
    let digest = hex::encode(hash.finalize());
    Ok(format!("\"{}\"", &digest[..32]))
}

/// The canonical text of a parsed query, page included (the `ETag`'s input).
pub fn canonical(parsed: &Parsed) -> String {
    let mut text: String = parsed
        .pairs
        .iter()
        .map(|(key, value)| format!("&{key}={value}"))
        .collect();
    text.push_str(&format!(
        "&page={}&per_page={}",
        parsed.page.number, parsed.page.size
    ));
    text
}

/// The columns of the downloads, in order (part of the schema: a version only adds columns
/// at the end).
pub const COLUMNS: &[&str] = &[
    "序号",
    "单位名称",
    "统一社会信用代码",
    "评价方案",
    "服务商类型",
    "评定结果",
    "星级",
    "地区代码",
    "地区",
    "有效期起",
    "有效期至",
    "状态",
    "批次",
    "发文文号",
    "名录编号",
];

fn cells(index: usize, e: &DirectoryEntry) -> Vec<String> {
    vec![
        (index + 1).to_string(),
        e.organization.clone(),
        e.credit_code.clone(),
        e.scheme_title.clone(),
        e.type_label.clone(),
        e.result.clone(),
        e.stars.map(|s| s.to_string()).unwrap_or_default(),
        e.region_code.clone(),
        e.region.clone(),
        e.valid_from.clone(),
        e.valid_until.clone().unwrap_or_default(),
        e.status_label.clone(),
        e.round_name.clone(),
        e.document_number.clone(),
        e.id.to_string(),
    ]
}

/// The directory as CSV: UTF-8 with a byte-order mark (spreadsheet programs then read the
/// Chinese), CRLF, quoted where needed, a leading `= + - @` neutralised (no formulas).
pub fn csv(entries: &[DirectoryEntry]) -> String {
    fn cell(text: &str) -> String {
        let text = if text.starts_with(['=', '+', '-', '@']) {
            format!("'{text}")
        } else {
            text.to_owned()
        };
        if text.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", text.replace('"', "\"\""))
        } else {
            text
        }
    }
    let mut out = String::with_capacity(64 + entries.len() * 160);
    out.push('\u{feff}');
    out.push_str(&COLUMNS.join(","));
    out.push_str("\r\n");
    for (index, e) in entries.iter().enumerate() {
        let row = cells(index, e);
        out.push_str(&row.iter().map(|c| cell(c)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

/// The whole filtered directory as an xlsx workbook: the sheet 资源池名录 (every cell text,
/// columns as wide as their widest cell, capped) and the sheet 说明 (schema, filters, the
/// pool's last change). The same data gives the same bytes (the document's time is the pool's
/// last change), as a strong `ETag` promises.
pub async fn xlsx(state: &AppState, parsed: &Parsed) -> AppResult<Vec<u8>> {
    let entries = all(state, parsed).await?;
    let (_, changed, _, _) = store::pool_version(&state.db).await?;
    let filters: String = parsed
        .pairs
        .iter()
        .map(|(key, value)| format!("{key}={value}"))
        .collect::<Vec<_>>()
        .join("&");
    build_xlsx(&entries, &filters, changed).map_err(AppError::internal)
}

fn build_xlsx(
    entries: &[DirectoryEntry],
    filters: &str,
    changed: i64,
) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let as_of = rust_xlsxwriter::ExcelDateTime::from_timestamp(changed.max(0))?;
    workbook.set_properties(
        &rust_xlsxwriter::DocProperties::new()
            .set_title("资源池名录")
            .set_creation_datetime(&as_of),
    );
    let generated = china_time(changed, "%Y-%m-%d %H:%M");
    let header = Format::new().set_bold();
    let text = Format::new().set_num_format("@");
    let rows: Vec<Vec<String>> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| cells(i, e))
        .collect();
    let sheet = workbook.add_worksheet();
    sheet.set_name("资源池名录")?;
    for (column, name) in COLUMNS.iter().enumerate() {
        sheet.write_string_with_format(0, column as u16, *name, &header)?;
    }
    for (index, row) in rows.iter().enumerate() {
        for (column, value) in row.iter().enumerate() {
            sheet.write_string_with_format(index as u32 + 1, column as u16, value, &text)?;
        }
    }
    for (column, width) in column_widths(COLUMNS, &rows).into_iter().enumerate() {
        sheet.set_column_width(column as u16, width)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    let about = workbook.add_worksheet();
    about.set_name("说明")?;
    for (row, (key, value)) in [
        ("schema", SCHEMA),
        ("筛选条件", filters),
        ("数据截至", generated.as_str()),
        ("条数", &entries.len().to_string()),
    ]
    .iter()
    .enumerate()
    {
        about.write_string_with_format(row as u32, 0, *key, &header)?;
        about.write_string(row as u32, 1, *value)?;
    }
    about.set_column_width(0, 12)?;
    about.set_column_width(1, 60)?;
    workbook.save_to_buffer()
}

/// The statistics' query: a scheme and a region, both optional.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// A scheme's id.
    pub scheme: Option<String>,
    /// A region's code: its cities (a province) or counties (a city) are counted apart.
    pub region: Option<String>,
}

/// A count of one grade.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct GradeCount {
    pub result: String,
    pub stars: Option<i64>,
    pub count: i64,
}

/// Counts of one row (a provider type, a region, a round) by grade, with its total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CountRow {
    /// The type's `scheme_id/provider_type`, the region's code or the round's id.
    pub key: String,
    pub label: String,
    /// One per grade of `Stats::grades`, in that order (zeros included).
    pub counts: Vec<i64>,
    pub total: i64,
}

/// One cell of the full table: active members of a type, grade and region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct StatsCell {
    pub scheme_id: String,
    pub provider_type: String,
    pub type_label: String,
    pub result: String,
    pub stars: Option<i64>,
    pub region_code: String,
    pub region: String,
    pub count: i64,
}

/// The pool's statistics: active members by provider type × grade × region (the regions one
/// level below the chosen one), and the grants of each round's publication by grade.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Stats {
    /// `pingjia-directory-stats/1`.
    pub schema: String,
    pub scheme: Option<String>,
    /// The chosen region's code, and the level the regions are counted at
    /// (`province`, `city`, `county`).
    pub region: Option<String>,
    pub region_name: Option<String>,
    pub level: String,
    /// The grades in columns' order: stars from the highest, then the other results.
    pub grades: Vec<GradeCount>,
    pub total: i64,
    pub by_type: Vec<CountRow>,
    pub by_region: Vec<CountRow>,
    pub cells: Vec<StatsCell>,
    /// Grants per round (publication), oldest round first.
    pub trends: Vec<CountRow>,
    /// The grades of `trends`' columns.
    pub trend_grades: Vec<GradeCount>,
}

/// Grades in the columns' order: the most stars first, then other results by text.
fn grade_order(
    grades: impl IntoIterator<Item = (String, Option<i64>)>,
) -> Vec<(String, Option<i64>)> {
    let mut list: Vec<(String, Option<i64>)> = grades.into_iter().collect();
    list.sort_by(|a, b| {
        b.1.is_some()
            .cmp(&a.1.is_some())
            .then(b.1.cmp(&a.1))
            .then(a.0.cmp(&b.0))
    });
    list.dedup();
    list
}

/// The statistics for a scheme and a region (both optional).
pub async fn stats(state: &AppState, query: &StatsQuery) -> AppResult<Stats> {
    let scheme = match blank(&query.scheme) {
        Some(id) if state.catalog.schemes.iter().any(|s| s.id == id) => Some(id.to_owned()),
        Some(_) => return Err(AppError::invalid("没有该评价方案 / unknown scheme")),
        None => None,
    };
    let region = match blank(&query.region) {
        Some(code) => {
            let found = if code.len() <= 12 && code.bytes().all(|b| b.is_ascii_digit()) {
                store::region_by_code(&state.db, code).await?
            } else {
                None
            };
            Some(found.ok_or_else(|| AppError::invalid("没有该地区 / unknown region"))?)
        }
        None => None,
    };
    let path = region.as_ref().map(|r| r.path.as_str());
    let counts = store::member_counts(&state.db, scheme.as_deref(), path).await?;
    let rounds = store::grants_per_round(&state.db, scheme.as_deref(), path).await?;
    let names = Names::load(state).await?;
    let depth = path.map_or(0, |p| p.split('/').filter(|c| !c.is_empty()).count());
    let level = match depth {
        0 => "province",
        1 => "city",
        _ => "county",
    };
    // The region a member is counted in: its ancestor one level below the chosen region (or
    // the member's own region where it sits higher, or the chosen county itself).
    let group = |member_path: &str| -> String {
        let codes: Vec<&str> = member_path.split('/').filter(|c| !c.is_empty()).collect();
        codes
            .get(depth)
            .or(codes.last())
            .copied()
            .unwrap_or_default()
            .to_owned()
    };
    let grades = grade_order(counts.iter().map(|c| (c.result.clone(), c.stars)));
    let column = |result: &str, stars: Option<i64>| {
        grades
            .iter()
            .position(|(r, s)| r == result && *s == stars)
            .unwrap_or_default()
    };
    let mut by_type: BTreeMap<(String, String), (String, Vec<i64>)> = BTreeMap::new();
    let mut by_region: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    let mut cells: BTreeMap<(String, String, String, usize), (String, i64)> = BTreeMap::new();
    for c in &counts {
        let at = column(&c.result, c.stars);
        let row = by_type
            .entry((c.scheme_id.clone(), c.provider_type.clone()))
            .or_insert_with(|| (c.type_label.clone(), vec![0; grades.len()]));
        row.1[at] += c.count;
        let code = group(&c.region_path);
        by_region
            .entry(code.clone())
            .or_insert_with(|| vec![0; grades.len()])[at] += c.count;
        cells
            .entry((c.scheme_id.clone(), c.provider_type.clone(), code, at))
            .or_insert_with(|| (c.type_label.clone(), 0))
            .1 += c.count;
    }
    let region_name = |code: &str| names.regions.get(code).cloned().unwrap_or_default();
    let row = |key: String, label: String, counts: Vec<i64>| CountRow {
        total: counts.iter().sum(),
        key,
        label,
        counts,
    };
    let total = counts.iter().map(|c| c.count).sum();
    let trend_grades = grade_order(rounds.iter().map(|r| (r.result.clone(), r.stars)));
    let mut trends: Vec<CountRow> = Vec::new();
    for r in &rounds {
        let at = trend_grades
            .iter()
            .position(|(result, stars)| *result == r.result && *stars == r.stars)
            .unwrap_or_default();
        let key = r.round_id.to_string();
        if trends.last().is_none_or(|last| last.key != key) {
            trends.push(row(key, r.round_name.clone(), vec![0; trend_grades.len()]));
        }
        if let Some(last) = trends.last_mut() {
            last.counts[at] += r.count;
            last.total += r.count;
        }
    }
    let as_grades = |list: &[(String, Option<i64>)]| {
        list.iter()
            .map(|(result, stars)| GradeCount {
                result: result.clone(),
                stars: *stars,
                count: 0,
            })
            .collect::<Vec<_>>()
    };
    let mut grade_counts = as_grades(&grades);
    for c in &counts {
        grade_counts[column(&c.result, c.stars)].count += c.count;
    }
    let mut trend_counts = as_grades(&trend_grades);
    for t in &trends {
        for (at, n) in t.counts.iter().enumerate() {
            trend_counts[at].count += n;
        }
    }
    Ok(Stats {
        schema: STATS_SCHEMA.into(),
        scheme,
        region_name: region.as_ref().map(|r| names.region(&r.path).1),
        region: region.as_ref().map(|r| r.code.clone()),
        level: level.into(),
        total,
        by_type: by_type
            .into_iter()
            .map(|((scheme, provider_type), (label, counts))| {
                row(format!("{scheme}/{provider_type}"), label, counts)
            })
            .collect(),
        by_region: by_region
            .into_iter()
            .map(|(code, counts)| row(code.clone(), region_name(&code), counts))
            .collect(),
        cells: cells
            .into_iter()
            .map(
                |((scheme_id, provider_type, code, at), (type_label, count))| StatsCell {
                    scheme_id,
                    provider_type,
                    type_label,
                    result: grades[at].0.clone(),
                    stars: grades[at].1,
                    region: region_name(&code),
                    region_code: code,
                    count,
                },
            )
            .collect(),
        trends,
        grades: grade_counts,
        trend_grades: trend_counts,
    })
}

/// The canonical text of a statistics query (the `ETag`'s input).
pub fn stats_canonical(stats: &StatsQuery) -> String {
    format!(
        "scheme={}&region={}",
        blank(&stats.scheme).unwrap_or_default(),
        blank(&stats.region).unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grades_come_most_stars_first_then_other_results() {
        let order = grade_order([
            ("三星".to_owned(), Some(3)),
            ("认定".to_owned(), None),
            ("五星".to_owned(), Some(5)),
            ("三星".to_owned(), Some(3)),
            ("入选".to_owned(), None),
        ]);
        let names: Vec<&str> = order.iter().map(|(r, _)| r.as_str()).collect();
        assert_eq!(names, ["五星", "三星", "入选", "认定"]);
    }

    #[test]
    fn csv_neutralises_formulas_and_quotes() {
        let entry = DirectoryEntry {
            id: 7,
            organization: "=HYPERLINK(\"x\")".into(),
            credit_code: "91320583MA1P7K2X0A".into(),
            scheme_id: "s".into(),
            scheme_title: "方案".into(),
            provider_type: "network".into(),
            type_label: "网络".into(),
            result: "三星".into(),
            stars: Some(3),
            region_code: "320583".into(),
            region: "江苏省 苏州市 昆山市".into(),
            valid_from: "2026-06-05".into(),
            valid_until: None,
            status: "active".into(),
            status_label: "在库".into(),
            round_id: 1,
            round_name: "第一批, 2026".into(),
            document_number: "苏工信〔2026〕88号".into(),
        };
        let text = csv(&[entry]);
        assert!(text.starts_with('\u{feff}'));
        let line = text.lines().nth(1).unwrap();
        assert_eq!(
            line,
            "1,\"'=HYPERLINK(\"\"x\"\")\",91320583MA1P7K2X0A,方案,网络,三星,3,320583,江苏省 苏州市 昆山市,2026-06-05,,在库,\"第一批, 2026\",苏工信〔2026〕88号,7"
        );
    }
}
