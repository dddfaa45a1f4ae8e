//! Experts (评审专家): the pool an authority keeps, panels per round, conflicts of interest,
//! assignment (manual and automatic), and the expert's own side — the conflict declaration,
//! the review (confirmed values through `services::review::confirm`, rubric scores with
//! opinions), submission and reopening — and site visits (现场核查).
//!
//! 002 第八条（二）「组织对企业的申报材料进行评审……必要时可对企业进行现场核查」; 003 二（二）1
//! 「组织专家按照评估标准评选」.
//!
//! What an expert may learn is decided here and in `storage::Scope::Expert`: before declaring
//! no conflict, an assignment shows the organisation's name and provider type only; a pending,
//! declined or removed assignment opens nothing; every list and count an expert sees is taken
//! over its own live assignments only.

use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::services::actor::{Actor, Role};
use crate::services::credit_code::CreditCode;
use crate::services::notifications::{self, Kind};
use crate::services::plain_text;
use crate::storage::{self as store, Page};
use chrono::{Months, NaiveDate};
use pingjia_core::scheme::{Section, Test};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// The longest opinion, declaration or reason, in characters.
pub const MAX_TEXT: usize = 2_000;

/// The kinds of relation an expert declares.
pub const RELATION_KINDS: [&str; 3] = ["former_employer", "shareholding", "relative"];

/// The Chinese label of a conflict or relation kind.
pub fn kind_label(kind: &str) -> &'static str {
    match kind {
        "same_employer" => "同一单位任职",
        "former_employer" => "曾在该单位任职",
        "shareholding" => "持有该单位股份",
        "relative" => "亲属在该单位任职",
        "same_county" => "同一区县",
        "same_city" => "同一设区市",
        "declared" => "专家自行申报",
        _ => "其他",
    }
}

fn status_label(status: &str) -> &'static str {
    match status {
        "potential" => "待确认",
        "confirmed" => "已确认",
        "dismissed" => "已排除",
        "pending" => "待声明",
        "accepted" => "已接受",
        "declined" => "已回避",
        "removed" => "已撤销",
        _ => "",
    }
}

// --- the pool -------------------------------------------------------------------------------

/// An expert as the authority writes it (form, API and import alike).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct ExpertInput {
    /// 姓名.
    pub name: String,
    /// 工作单位.
    #[serde(default)]
    pub employer: String,
    /// The employer's 统一社会信用代码 (checked).
    #[serde(default)]
    pub employer_code: Option<String>,
    /// 专长: provider type ids of the round's scheme (`network`, …) and industries (`纺织`).
    #[serde(default)]
    pub specialties: Vec<String>,
    /// The region code where the expert works (`330602`).
    #[serde(default)]
    pub home_region: Option<String>,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
    /// In the pool (default): only active experts are assigned.
    #[serde(default)]
    pub active: Option<bool>,
    /// The expert's account (role `expert`, inside the authority's region), by user name.
    #[serde(default)]
    pub username: Option<String>,
}

/// A relation an expert declares.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct RelationInput {
    /// former_employer, shareholding or relative.
    pub kind: String,
    /// The organisation's 统一社会信用代码: conflicts are found by it.
    pub credit_code: String,
    #[serde(default)]
    pub organization: String,
    /// YYYY-MM-DD.
    #[serde(default)]
    pub from_on: Option<String>,
    /// YYYY-MM-DD; a former employment ended then (none: still).
    #[serde(default)]
    pub until_on: Option<String>,
    #[serde(default)]
    pub note: String,
}

/// An expert of the pool.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExpertView {
    pub id: i64,
    pub name: String,
    pub employer: String,
    pub employer_code: Option<String>,
    pub specialties: Vec<String>,
    pub home_region: Option<String>,
    pub home_region_name: Option<String>,
    pub phone: String,
    pub email: String,
    pub active: bool,
    pub username: Option<String>,
    #[schema(value_type = Vec<Object>)]
    pub relations: Vec<store::Relation>,
}

/// One page of the pool.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExpertListing {
    pub items: Vec<ExpertView>,
    pub total: i64,
}

fn specialties_of(expert: &store::Expert) -> Vec<String> {
    serde_json::from_str(&expert.specialties).unwrap_or_default()
}

fn view(expert: &store::Expert, relations: Vec<store::Relation>) -> ExpertView {
    ExpertView {
        id: expert.id,
        name: expert.name.clone(),
        employer: expert.employer.clone(),
        employer_code: expert.employer_code.clone(),
        specialties: specialties_of(expert),
        home_region: expert.home_region_path.as_deref().and_then(|p| {
            crate::services::rounds::path_codes(p)
                .last()
                .map(|c| c.to_string())
        }),
        home_region_name: expert.home_region_name.clone(),
        phone: expert.phone.clone(),
        email: expert.email.clone(),
        active: expert.active != 0,
        username: expert.username.clone(),
        relations,
    }
}

/// The region an authority administrator keeps its pool in; anyone else is refused.
fn authority_region(actor: &Actor) -> AppResult<i64> {
    actor.require(&[Role::AuthorityAdmin])?;
    actor
        .user
        .region_id
        .ok_or_else(|| AppError::forbidden("无权执行此操作 / not permitted"))
}

/// An expert's fields checked: what the form, the API and the import share.
struct Checked {
    name: String,
    employer: String,
    employer_code: Option<String>,
    specialties: String,
    home_region_id: Option<i64>,
    phone: String,
    email: String,
    active: bool,
    user_id: Option<i64>,
}

async fn check_input(state: &AppState, actor: &Actor, input: &ExpertInput) -> AppResult<Checked> {
    let name = input.name.trim();
    if name.is_empty() {
        return Err(AppError::invalid("请填写专家姓名 / name is required"));
    }
    plain_text("姓名", name, 50)?;
    let employer = input.employer.trim();
    plain_text("工作单位", employer, 200)?;
    let employer_code = match input.employer_code.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(code) => Some(
            CreditCode::parse(code)
                .map_err(|e| AppError::invalid(format!("工作单位{e}")))?
                .as_str()
                .to_owned(),
        ),
    };
    if input.specialties.len() > 30 {
        return Err(AppError::invalid("专长最多 30 项 / at most 30 specialties"));
    }
    let mut specialties = Vec::new();
    for item in &input.specialties {
        let item = item.trim();
        plain_text("专长", item, 50)?;
        if !item.is_empty() && !specialties.iter().any(|s: &String| s == item) {
            specialties.push(item.to_owned());
        }
    }
    let home_region_id = match input.home_region.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(code) => Some(
            store::region_by_code(&state.db, code)
                .await?
                .ok_or_else(|| {
                    AppError::invalid(format!("未知的区域代码「{code}」 / unknown region code"))
                })?
                .id,
        ),
    };
    let phone = input.phone.trim();
    plain_text("联系电话", phone, 40)?;
    let email = input.email.trim();
    plain_text("电子邮箱", email, 200)?;
    if !email.is_empty() && !email.contains('@') {
        return Err(AppError::invalid(
            "电子邮箱格式不正确 / not an e-mail address",
        ));
    }
    let user_id = match input.username.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(username) => {
            let refused = || {
                AppError::invalid(format!(
                    "「{username}」不是本辖区的专家账号 / not an expert account of your region"
                ))
            };
            let user = store::user_by_username(&state.db, username)
                .await?
                .ok_or_else(refused)?;
            let inside = match (user.region_id, actor.region_path.as_deref()) {
                (Some(region), Some(path)) => store::region(&state.db, region)
                    .await?
                    .is_some_and(|r| r.path.starts_with(path)),
                _ => false,
            };
            if user.role != Role::Expert || !inside {
                return Err(refused());
            }
            Some(user.id)
        }
    };
    Ok(Checked {
        name: name.to_owned(),
        employer: employer.to_owned(),
        employer_code,
        specialties: serde_json::to_string(&specialties).map_err(AppError::internal)?,
        home_region_id,
        phone: phone.to_owned(),
        email: email.to_owned(),
        active: input.active.unwrap_or(true),
        user_id,
    })
}

impl Checked {
    fn fields(&self) -> store::ExpertFields<'_> {
        store::ExpertFields {
            user_id: self.user_id,
            name: &self.name,
            employer: &self.employer,
            employer_code: self.employer_code.as_deref(),
            specialties: &self.specialties,
            home_region_id: self.home_region_id,
            phone: &self.phone,
            email: &self.email,
            active: self.active,
        }
    }
}

fn account_taken() -> AppError {
    AppError::conflict(
        "account_linked",
        "该专家账号已关联其他专家 / the account is linked to another expert",
    )
}

/// One page of the caller's pool by name, narrowed by part of the name or employer and by the
/// active flag.
pub async fn list(
    state: &AppState,
    actor: &Actor,
    q: Option<&str>,
    active: Option<bool>,
    page: Page,
) -> AppResult<ExpertListing> {
    let region = authority_region(actor)?;
    let q = q.map(str::trim).filter(|q| !q.is_empty());
    if let Some(q) = q {
        plain_text("q", q, 50)?;
    }
    let (rows, total) = store::experts(&state.db, region, q, active, page).await?;
    Ok(ExpertListing {
        items: rows.iter().map(|e| view(e, Vec::new())).collect(),
        total,
    })
}

/// One expert of the caller's pool with its relations (another pool's: not found).
pub async fn get(state: &AppState, actor: &Actor, id: i64) -> AppResult<ExpertView> {
    let region = authority_region(actor)?;
    let expert = store::expert(&state.db, region, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let relations = store::relations(&state.db, id).await?;
    Ok(view(&expert, relations))
}

/// Adds an expert to the caller's pool. Audited.
pub async fn create(state: &AppState, actor: &Actor, input: &ExpertInput) -> AppResult<i64> {
    let region = authority_region(actor)?;
    let checked = check_input(state, actor, input).await?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    if let Some(user) = checked.user_id
        && store::user_linked(&mut tx, user, 0).await?
    {
        return Err(account_taken());
    }
    let id = store::insert_expert(&mut tx, region, &checked.fields(), now).await?;
    store::audit(
        &mut tx,
        Some(actor.user.id),
        "expert_created",
        &format!("expert:{id}"),
        &checked.name,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Changes an expert of the caller's pool (every field as given). Audited.
pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: i64,
    input: &ExpertInput,
) -> AppResult<()> {
    let region = authority_region(actor)?;
    store::expert(&state.db, region, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let checked = check_input(state, actor, input).await?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    if let Some(user) = checked.user_id
        && store::user_linked(&mut tx, user, id).await?
    {
        return Err(account_taken());
    }
    store::update_expert(&mut tx, id, &checked.fields(), now).await?;
    store::audit(
        &mut tx,
        Some(actor.user.id),
        "expert_updated",
        &format!("expert:{id}"),
        &format!(
            "{}{}",
            checked.name,
            if checked.active { "" } else { " · 停用" }
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

fn check_date(label: &str, text: Option<&str>) -> AppResult<Option<String>> {
    match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(|d| Some(d.to_string()))
            .map_err(|_| {
                AppError::invalid(format!(
                    "{label}应为日期，如 2024-06-30 / {label}: a date such as 2024-06-30"
                ))
            }),
    }
}

/// Adds a declared relation to an expert of the caller's pool. Audited.
pub async fn add_relation(
    state: &AppState,
    actor: &Actor,
    expert_id: i64,
    input: &RelationInput,
) -> AppResult<i64> {
    let region = authority_region(actor)?;
    store::expert(&state.db, region, expert_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if !RELATION_KINDS.contains(&input.kind.as_str()) {
        return Err(AppError::invalid(
            "关系类型应为 former_employer（曾任职）、shareholding（持股）或 relative（亲属任职） / kind: former_employer, shareholding or relative",
        ));
    }
    let code = CreditCode::parse(&input.credit_code)
        .map_err(|e| AppError::invalid(format!("关联单位{e}")))?;
    plain_text("单位名称", input.organization.trim(), 200)?;
    plain_text("说明", input.note.trim(), 500)?;
    let from_on = check_date("起始日期", input.from_on.as_deref())?;
    let until_on = check_date("终止日期", input.until_on.as_deref())?;
    if let (Some(from), Some(until)) = (&from_on, &until_on)
        && from > until
    {
        return Err(AppError::invalid(
            "起始日期晚于终止日期 / from is after until",
        ));
    }
    let relation = store::Relation {
        id: 0,
        expert_id,
        kind: input.kind.clone(),
        credit_code: Some(code.as_str().to_owned()),
        organization: input.organization.trim().to_owned(),
        from_on,
        until_on,
        note: input.note.trim().to_owned(),
    };
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let id = store::insert_relation(&mut tx, &relation).await?;
    store::audit(
        &mut tx,
        Some(actor.user.id),
        "expert_relation_added",
        &format!("expert:{expert_id}"),
        &format!("{} {}", relation.kind, code.as_str()),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Removes a relation of an expert of the caller's pool. Audited.
pub async fn remove_relation(
    state: &AppState,
    actor: &Actor,
    expert_id: i64,
    id: i64,
) -> AppResult<()> {
    let region = authority_region(actor)?;
    store::expert(&state.db, region, expert_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    if !store::delete_relation(&mut tx, expert_id, id).await? {
        return Err(AppError::not_found());
    }
    store::audit(
        &mut tx,
        Some(actor.user.id),
        "expert_relation_removed",
        &format!("expert:{expert_id}"),
        &format!("relation {id}"),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

// --- import -------------------------------------------------------------------------------

/// The columns of the pool's import file (xlsx or CSV), in order.
pub const IMPORT_HEADER: [&str; 8] = [
    "姓名",
    "工作单位",
    "工作单位统一社会信用代码",
    "专长（以、分隔）",
    "所在区域代码",
    "联系电话",
    "电子邮箱",
    "专家账号",
];

/// The most experts one file adds.
pub const MAX_IMPORT_ROWS: usize = 1_000;

/// A row of an import that cannot be taken, by its row number in the file (the header is 1).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RowProblem {
    pub row: usize,
    pub message: String,
}

/// What an import did: every expert added, or nothing and the problem of each wrong row.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Imported {
    pub imported: usize,
    pub problems: Vec<RowProblem>,
}

fn example_row() -> Vec<String> {
    [
        "王某",
        "某某大学",
        "",
        "network、纺织",
        "330602",
        "0575-00000000",
        "wang@example.com",
        "",
    ]
    .map(str::to_owned)
    .to_vec()
}

/// The import template as CSV (the header and an example row).
pub fn template_csv() -> String {
    let mut out = String::from("\u{feff}");
    for row in [IMPORT_HEADER.map(str::to_owned).to_vec(), example_row()] {
        let cells: Vec<String> = row
            .iter()
            .map(|c| crate::services::spreadsheets::csv_cell(c))
            .collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

/// The import template as xlsx.
pub fn template_xlsx() -> AppResult<Vec<u8>> {
    crate::services::spreadsheets::simple_table("专家", &IMPORT_HEADER, &[example_row()])
}

/// Adds the experts of a file (xlsx, or CSV in UTF-8) to the caller's pool: every row checked
/// as the form checks it; when any row is wrong nothing is written and each wrong row is
/// reported. Audited per expert.
pub async fn import(state: &AppState, actor: &Actor, bytes: &[u8]) -> AppResult<Imported> {
    let region = authority_region(actor)?;
    let rows = if bytes.starts_with(b"PK") {
        crate::services::spreadsheets::read_simple_table(bytes)?
    } else {
        let text = std::str::from_utf8(bytes).map_err(|_| {
            AppError::invalid("CSV 文件应为 UTF-8 编码 / the CSV file must be UTF-8")
        })?;
        crate::services::spreadsheets::read_csv(text)?
    };
    let header: Vec<&str> = rows
        .first()
        .map(|r| r.iter().map(|c| c.trim()).collect())
        .unwrap_or_default();
    if header.len() < IMPORT_HEADER.len() || header[..IMPORT_HEADER.len()] != IMPORT_HEADER {
        return Err(AppError::invalid(format!(
            "表头应为：{} / the header row does not match the template",
            IMPORT_HEADER.join("、")
        )));
    }
    let data: Vec<(usize, &Vec<String>)> = rows
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(_, r)| r.iter().any(|c| !c.trim().is_empty()))
        .map(|(n, r)| (n + 1, r))
        .collect();
    if data.len() > MAX_IMPORT_ROWS {
        return Err(AppError::invalid(format!(
            "一次最多导入 {MAX_IMPORT_ROWS} 位专家 / at most {MAX_IMPORT_ROWS} experts at once"
        )));
    }
    let mut problems = Vec::new();
    let mut checked = Vec::new();
    let mut accounts = std::collections::BTreeSet::new();
    for (row, cells) in data {
        let cell = |n: usize| {
            cells
                .get(n)
                .map(|c| c.trim().to_owned())
                .unwrap_or_default()
        };
        let input = ExpertInput {
            name: cell(0),
            employer: cell(1),
            employer_code: Some(cell(2)),
            specialties: cell(3)
                .split(['、', ',', '，', ';', '；'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            home_region: Some(cell(4)),
            phone: cell(5),
            email: cell(6),
            active: Some(true),
            username: Some(cell(7)),
        };
        match check_input(state, actor, &input).await {
            Ok(valid) => {
                if let Some(user) = valid.user_id
                    && !accounts.insert(user)
                {
                    problems.push(RowProblem {
                        row,
                        message: "专家账号在文件中重复 / the account appears twice".into(),
                    });
                }
                checked.push((row, valid));
            }
            Err(error) => problems.push(RowProblem {
                row,
                message: error.message,
            }),
        }
    }
    if !problems.is_empty() {
        return Ok(Imported {
            imported: 0,
            problems,
        });
    }
    let now = state.now();
    let mut tx = state.db.begin().await?;
    for (row, valid) in &checked {
        if let Some(user) = valid.user_id
            && store::user_linked(&mut tx, user, 0).await?
        {
            problems.push(RowProblem {
                row: *row,
                message: account_taken().message,
            });
        }
    }
    if !problems.is_empty() {
        return Ok(Imported {
            imported: 0,
            problems,
        });
    }
    for (_, valid) in &checked {
        let id = store::insert_expert(&mut tx, region, &valid.fields(), now).await?;
        store::audit(
            &mut tx,
            Some(actor.user.id),
            "expert_created",
            &format!("expert:{id}"),
            &format!("{} · 导入", valid.name),
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Imported {
        imported: checked.len(),
        problems,
    })
}

// --- panels ---------------------------------------------------------------------------------

/// A round's panel: experts per application, the former-employment window, and whether an
/// expert of the applicant's own county or city conflicts.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PanelSettings {
    /// Experts per application (1–15; default 3).
    pub size: i64,
    /// A former employment that ended within so many years conflicts (0–20; default 3).
    pub former_years: i64,
    pub exclude_same_county: bool,
    pub exclude_same_city: bool,
}

impl From<&store::Panel> for PanelSettings {
    fn from(panel: &store::Panel) -> PanelSettings {
        PanelSettings {
            size: panel.size,
            former_years: panel.former_years,
            exclude_same_county: panel.exclude_same_county != 0,
            exclude_same_city: panel.exclude_same_city != 0,
        }
    }
}

/// A round of the caller's office (an authority runs its own rounds): anything else is not
/// found.
async fn own_round(state: &AppState, actor: &Actor, round_id: i64) -> AppResult<store::Round> {
    let region = authority_region(actor)?;
    let round = store::round(&state.db, round_id)
        .await?
        .filter(|r| r.region_id == region)
        .ok_or_else(AppError::not_found)?;
    Ok(round)
}

pub async fn panel(state: &AppState, actor: &Actor, round_id: i64) -> AppResult<PanelSettings> {
    own_round(state, actor, round_id).await?;
    Ok(PanelSettings::from(
        &store::panel(&state.db, round_id).await?,
    ))
}

/// Sets a round's panel. Audited.
pub async fn set_panel(
    state: &AppState,
    actor: &Actor,
    round_id: i64,
    settings: &PanelSettings,
) -> AppResult<PanelSettings> {
    own_round(state, actor, round_id).await?;
    if !(1..=15).contains(&settings.size) {
        return Err(AppError::invalid(
            "每件申报的专家人数应为 1 到 15 / size: 1 to 15",
        ));
    }
    if !(0..=20).contains(&settings.former_years) {
        return Err(AppError::invalid(
            "曾任职回避年限应为 0 到 20 年 / former_years: 0 to 20",
        ));
    }
    let now = state.now();
    let panel = store::Panel {
        round_id,
        size: settings.size,
        former_years: settings.former_years,
        exclude_same_county: i64::from(settings.exclude_same_county),
        exclude_same_city: i64::from(settings.exclude_same_city),
        updated_at: now,
    };
    let mut tx = state.db.begin().await?;
    store::save_panel(&mut tx, &panel, now).await?;
    store::audit(
        &mut tx,
        Some(actor.user.id),
        "panel_updated",
        &format!("round:{round_id}"),
        &format!(
            "size {} · former {} years · county {} · city {}",
            panel.size, panel.former_years, panel.exclude_same_county, panel.exclude_same_city
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(PanelSettings::from(&panel))
}

// --- conflicts of interest ------------------------------------------------------------------

/// A conflict found by the rules, before the authority decides it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detected {
    pub kind: &'static str,
    pub detail: String,
}

/// The first `n` codes of a region path (`/32/3205/320583/` → 32, 3205, 320583).
fn path_prefix(path: &str, n: usize) -> Option<Vec<&str>> {
    let codes = crate::services::rounds::path_codes(path);
    (codes.len() >= n).then(|| codes[..n].to_vec())
}

/// The conflicts the rules find between an expert and an applicant organisation on `today`:
/// the same employer (credit code), a former employment that ended within the panel's window
/// (or has not ended), a shareholding, a relative, and — where the panel says so — the same
/// county or the same city.
pub fn detect(
    expert: &store::Expert,
    relations: &[store::Relation],
    organization: &store::Organization,
    panel: &store::Panel,
    today: NaiveDate,
) -> Vec<Detected> {
    let mut found = Vec::new();
    let code = organization.credit_code.as_str();
    if expert.employer_code.as_deref() == Some(code) {
        found.push(Detected {
            kind: "same_employer",
            detail: format!("现工作单位即申报单位（{code}）"),
        });
    }
    let window_start = u32::try_from(panel.former_years.max(0))
        .ok()
        .and_then(|years| today.checked_sub_months(Months::new(12 * years)));
    for relation in relations
        .iter()
        .filter(|r| r.expert_id == expert.id && r.credit_code.as_deref() == Some(code))
    {
        match relation.kind.as_str() {
            "former_employer" => {
                let until = relation
                    .until_on
                    .as_deref()
                    .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
                let within = match (until, window_start) {
                    (None, _) => true,
                    (Some(until), Some(start)) => until >= start,
                    (Some(_), None) => true,
                };
                if within {
                    found.push(Detected {
                        kind: "former_employer",
                        detail: match until {
                            Some(until) => {
                                format!("{} 年内曾在申报单位任职（至 {until}）", panel.former_years)
                            }
                            None => "在申报单位任职（未填终止日期）".to_owned(),
                        },
                    });
                }
            }
            "shareholding" => found.push(Detected {
                kind: "shareholding",
                detail: "持有申报单位股份".to_owned(),
            }),
            "relative" => found.push(Detected {
                kind: "relative",
                detail: format!(
                    "亲属在申报单位任职{}",
                    if relation.note.is_empty() {
                        String::new()
                    } else {
                        format!("（{}）", relation.note)
                    }
                ),
            }),
            _ => {}
        }
    }
    if let Some(home) = expert.home_region_path.as_deref() {
        let same = |n: usize| {
            path_prefix(home, n)
                .is_some_and(|h| path_prefix(&organization.region_path, n) == Some(h))
        };
        if panel.exclude_same_county != 0 && same(3) {
            found.push(Detected {
                kind: "same_county",
                detail: "与申报单位在同一区县".to_owned(),
            });
        }
        if panel.exclude_same_city != 0 && same(2) {
            found.push(Detected {
                kind: "same_city",
                detail: "与申报单位在同一设区市".to_owned(),
            });
        }
    }
    found
}

/// A conflict as the authority sees it: detected or declared, and its decision.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConflictView {
    pub expert_id: i64,
    pub kind: String,
    pub kind_label: String,
    pub detail: String,
    /// potential (to confirm or dismiss), confirmed, dismissed.
    pub status: String,
    pub status_label: String,
    pub reason: String,
    pub decided_at: Option<i64>,
}

/// The conflicts between one expert and an application: the recorded ones, and the ones the
/// rules find now that are not recorded yet (potential).
fn conflicts_for(
    expert_id: i64,
    recorded: &[store::Conflict],
    detected: &[Detected],
) -> Vec<ConflictView> {
    let mut views: Vec<ConflictView> = recorded
        .iter()
        .filter(|c| c.expert_id == expert_id)
        .map(|c| ConflictView {
            expert_id,
            kind: c.kind.clone(),
            kind_label: kind_label(&c.kind).to_owned(),
            detail: c.detail.clone(),
            status: c.status.clone(),
            status_label: status_label(&c.status).to_owned(),
            reason: c.reason.clone(),
            decided_at: c.decided_at,
        })
        .collect();
    for found in detected {
        if !views.iter().any(|v| v.kind == found.kind) {
            views.push(ConflictView {
                expert_id,
                kind: found.kind.to_owned(),
                kind_label: kind_label(found.kind).to_owned(),
                detail: found.detail.clone(),
                status: "potential".to_owned(),
                status_label: status_label("potential").to_owned(),
                reason: String::new(),
                decided_at: None,
            });
        }
    }
    views
}

/// Whether a list of conflicts blocks an assignment: a confirmed one does; so does a potential
/// one until the authority decides it.
fn blocking(conflicts: &[ConflictView]) -> Option<&ConflictView> {
    conflicts
        .iter()
        .find(|c| c.status == "confirmed")
        .or_else(|| conflicts.iter().find(|c| c.status == "potential"))
}

// --- the authority's view of an application -------------------------------------------------

/// An assignment as the authority sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AssignmentView {
    pub expert_id: i64,
    pub expert_name: String,
    /// pending (no declaration yet), accepted, declined, removed.
    pub status: String,
    pub status_label: String,
    pub declaration: String,
    pub submitted_at: Option<i64>,
    pub assigned_at: i64,
}

/// An expert of the pool who could be assigned, with what the rules found.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Candidate {
    pub expert_id: i64,
    pub name: String,
    pub employer: String,
    pub specialty_match: bool,
    /// Live assignments in this round.
    pub load: i64,
    pub conflicts: Vec<ConflictView>,
    /// Why the expert cannot be assigned now (a conflict to decide, a confirmed conflict).
    pub blocked: Option<String>,
}

/// The experts of one application, as its authority sees them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApplicationExperts {
    pub application_id: i64,
    pub round_id: i64,
    pub panel: PanelSettings,
    pub assignments: Vec<AssignmentView>,
    pub candidates: Vec<Candidate>,
    pub site_visits: Vec<SiteVisitView>,
}

/// What an authority needs about an application of one of its rounds, read before a command.
struct Context {
    application: store::Application,
    organization: store::Organization,
    round: store::Round,
    panel: store::Panel,
    pool: Vec<store::Expert>,
    relations: Vec<store::Relation>,
}

/// An application of a round the caller runs: visible to it, in one of its rounds; anything
/// else is not found (after the role check).
async fn authority_application(state: &AppState, actor: &Actor, id: i64) -> AppResult<Context> {
    let region = authority_region(actor)?;
    let application = store::application(&state.db, &actor.scope(), id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let round = match application.round_id {
        Some(round) => store::round(&state.db, round).await?,
        None => None,
    }
    .filter(|r| r.region_id == region)
    .ok_or_else(AppError::not_found)?;
    let organization = store::organization(&state.db, application.organization_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let panel = store::panel(&state.db, round.id).await?;
    let pool = store::assignable_experts(&state.db, region).await?;
    let relations = store::relations_in_pool(&state.db, region).await?;
    Ok(Context {
        application,
        organization,
        round,
        panel,
        pool,
        relations,
    })
}

/// The scheme of an application (as `applications::scheme_of`, without naming that module:
/// applications reads the experts' score sheets).
fn scheme_of<'s>(
    state: &'s AppState,
    application: &store::Application,
) -> AppResult<(&'s pingjia_core::Scheme, Option<usize>)> {
    crate::services::assessment::target(
        &state.catalog,
        &application.scheme_id,
        application.provider_type.as_deref(),
    )
    .ok_or_else(|| {
        AppError::internal(format!(
            "application {} names an unknown scheme",
            application.id
        ))
    })
}

fn specialty_match(expert: &store::Expert, application: &store::Application) -> bool {
    let specialties = specialties_of(expert);
    specialties.iter().any(|s| {
        Some(s.as_str()) == application.provider_type.as_deref() || *s == application.scheme_id
    })
}

fn assignment_views(rows: &[store::Assignment]) -> Vec<AssignmentView> {
    rows.iter()
        .map(|a| AssignmentView {
            expert_id: a.expert_id,
            expert_name: a.expert_name.clone(),
            status: a.status.clone(),
            status_label: status_label(&a.status).to_owned(),
            declaration: a.declaration.clone(),
            submitted_at: a.submitted_at,
            assigned_at: a.assigned_at,
        })
        .collect()
}

/// The experts of an application: its assignments, and every assignable expert of the pool
/// with the conflicts found (shown before anyone is assigned), matching specialty and load.
pub async fn of_application(
    state: &AppState,
    actor: &Actor,
    id: i64,
) -> AppResult<ApplicationExperts> {
    let context = authority_application(state, actor, id).await?;
    let assignments = store::assignments_of(&state.db, id).await?;
    let recorded = store::conflicts_of(&state.db, id).await?;
    let mut loads: BTreeMap<i64, i64> = BTreeMap::new();
    {
        let mut tx = state.db.begin().await?;
        loads.extend(store::loads_in_round(&mut tx, context.round.id).await?);
        tx.commit().await?;
    }
    let today = state.today();
    let candidates = context
        .pool
        .iter()
        .filter(|e| {
            !assignments
                .iter()
                .any(|a| a.expert_id == e.id && a.status != "removed")
        })
        .map(|expert| {
            let detected = detect(
                expert,
                &context.relations,
                &context.organization,
                &context.panel,
                today,
            );
            let conflicts = conflicts_for(expert.id, &recorded, &detected);
            let blocked = blocking(&conflicts).map(|c| refusal_text(&expert.name, c));
            Candidate {
                expert_id: expert.id,
                name: expert.name.clone(),
                employer: expert.employer.clone(),
                specialty_match: specialty_match(expert, &context.application),
                load: loads.get(&expert.id).copied().unwrap_or(0),
                conflicts,
                blocked,
            }
        })
        .collect();
    Ok(ApplicationExperts {
        application_id: id,
        round_id: context.round.id,
        panel: PanelSettings::from(&context.panel),
        assignments: assignment_views(&assignments),
        candidates,
        site_visits: site_visit_views(
            &store::site_visits(&state.db, id).await?,
            &store::site_visit_files(&state.db, id).await?,
        ),
    })
}

fn refusal_text(name: &str, conflict: &ConflictView) -> String {
    if conflict.status == "confirmed" {
        format!(
            "专家「{name}」与申报单位存在已确认的利益冲突（{}）",
            conflict.kind_label
        )
    } else {
        format!(
            "专家「{name}」与申报单位可能存在利益冲突（{}：{}），请先确认或排除",
            conflict.kind_label, conflict.detail
        )
    }
}

fn not_in_review() -> AppError {
    AppError::conflict(
        "not_in_expert_review",
        "只有专家评审阶段的申报可以分配或调整专家 / only an application under expert review takes experts",
    )
}

/// Records the conflicts the rules find for these experts as potential (those not recorded
/// yet), in their own transaction, so that they stay shown even when the assignment that
/// found them is refused. Audited.
async fn record_detected(
    state: &AppState,
    actor: &Actor,
    context: &Context,
    experts: &[&store::Expert],
) -> AppResult<()> {
    let today = state.today();
    let found: Vec<(i64, Detected)> = experts
        .iter()
        .flat_map(|expert| {
            detect(
                expert,
                &context.relations,
                &context.organization,
                &context.panel,
                today,
            )
            .into_iter()
            .map(|d| (expert.id, d))
        })
        .collect();
    if found.is_empty() {
        return Ok(());
    }
    let now = state.now();
    let id = context.application.id;
    let mut tx = state.db.begin().await?;
    for (expert, detected) in &found {
        if store::record_potential(&mut tx, id, *expert, detected.kind, &detected.detail, now)
            .await?
        {
            store::audit(
                &mut tx,
                Some(actor.user.id),
                "conflict_detected",
                &format!("application:{id}"),
                &format!("expert:{expert} {} · {}", detected.kind, detected.detail),
                now,
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Experts chosen by the authority for an application.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct AssignRequest {
    pub expert_ids: Vec<i64>,
}

/// Assigns experts to an application under expert review. An expert outside the caller's
/// pool is not found; a confirmed conflict refuses (`409 conflict_confirmed`), and so does a
/// potential one until decided (`409 conflict_unresolved`, naming it). Each assignment is
/// audited and tells the expert.
pub async fn assign(
    state: &AppState,
    actor: &Actor,
    id: i64,
    request: &AssignRequest,
) -> AppResult<ApplicationExperts> {
    let context = authority_application(state, actor, id).await?;
    if request.expert_ids.is_empty() || request.expert_ids.len() > 15 {
        return Err(AppError::invalid(
            "请选择 1 到 15 位专家 / choose 1 to 15 experts",
        ));
    }
    let mut chosen: Vec<&store::Expert> = Vec::new();
    for expert_id in &request.expert_ids {
        let expert = context
            .pool
            .iter()
            .find(|e| e.id == *expert_id)
            .ok_or_else(|| {
                AppError::invalid(format!(
                    "专家 {expert_id} 不在本部门可分配的专家库中（须在库、启用并已关联账号） / expert {expert_id} cannot be assigned"
                ))
            })?;
        if !chosen.iter().any(|e| e.id == expert.id) {
            chosen.push(expert);
        }
    }
    if context.application.state != pingjia_core::workflow::State::ExpertReview {
        return Err(not_in_review());
    }
    record_detected(state, actor, &context, &chosen).await?;
    let today = state.today();
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let application = store::lock_application(&mut tx, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if application.state != pingjia_core::workflow::State::ExpertReview {
        return Err(not_in_review());
    }
    let recorded = store::conflicts_of_in(&mut tx, id).await?;
    for expert in &chosen {
        let detected = detect(
            expert,
            &context.relations,
            &context.organization,
            &context.panel,
            today,
        );
        let conflicts = conflicts_for(expert.id, &recorded, &detected);
        if let Some(conflict) = blocking(&conflicts) {
            let (code, en) = if conflict.status == "confirmed" {
                ("conflict_confirmed", "a confirmed conflict of interest")
            } else {
                (
                    "conflict_unresolved",
                    "a potential conflict of interest to confirm or dismiss first",
                )
            };
            return Err(AppError::conflict(
                code,
                format!("{} / {en}", refusal_text(&expert.name, conflict)),
            ));
        }
    }
    for expert in &chosen {
        if store::assign(&mut tx, id, expert.id, actor.user.id, now).await? {
            assigned_audit(&mut tx, actor, &context, expert, "", now).await?;
        }
    }
    tx.commit().await?;
    notifications::spawn_delivery(state);
    of_application(state, actor, id).await
}

/// The audit entry and the expert's notice of a new assignment (inside the command). The
/// notice names the organisation only and carries no link: the expert declares first.
async fn assigned_audit(
    tx: &mut store::Tx,
    actor: &Actor,
    context: &Context,
    expert: &store::Expert,
    why: &str,
    now: i64,
) -> AppResult<()> {
    let id = context.application.id;
    store::audit(
        tx,
        Some(actor.user.id),
        "expert_assigned",
        &format!("application:{id}"),
        &format!("expert:{} {}{why}", expert.id, expert.name),
        now,
    )
    .await?;
    if let Some(user) = expert.user_id {
        notifications::notify_user(
            tx,
            user,
            Kind::Comment,
            None,
            &format!("新的评审任务：{}", context.organization.name),
            "请先在「评审任务」中声明是否存在利益冲突，声明无利益冲突后方可查看申报材料。",
            now,
        )
        .await?;
    }
    Ok(())
}

/// Removes an expert from an application under expert review (pending or accepted). Audited.
pub async fn unassign(state: &AppState, actor: &Actor, id: i64, expert_id: i64) -> AppResult<()> {
    let context = authority_application(state, actor, id).await?;
    if context.application.state != pingjia_core::workflow::State::ExpertReview {
        return Err(not_in_review());
    }
    let now = state.now();
    let mut tx = state.db.begin().await?;
    if !store::set_assignment_status(
        &mut tx,
        id,
        expert_id,
        &["pending", "accepted"],
        "removed",
        now,
    )
    .await?
    {
        return Err(AppError::not_found());
    }
    store::audit(
        &mut tx,
        Some(actor.user.id),
        "expert_removed",
        &format!("application:{id}"),
        &format!("expert:{expert_id}"),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The authority's decision on a conflict of interest.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ConflictDecision {
    pub expert_id: i64,
    /// same_employer, former_employer, shareholding, relative, same_county, same_city.
    pub kind: String,
    /// confirm or dismiss.
    pub decision: String,
    /// Required: why.
    pub reason: String,
}

/// Confirms or dismisses a conflict (recorded, or found by the rules now), with a reason. A
/// confirmed conflict removes the expert's assignment to the application. A conflict the
/// expert declared stands. Audited.
pub async fn decide_conflict(
    state: &AppState,
    actor: &Actor,
    id: i64,
    decision: &ConflictDecision,
) -> AppResult<ApplicationExperts> {
    let context = authority_application(state, actor, id).await?;
    let status = match decision.decision.as_str() {
        "confirm" => "confirmed",
        "dismiss" => "dismissed",
        _ => {
            return Err(AppError::invalid(
                "decision 应为 confirm（确认）或 dismiss（排除） / decision: confirm or dismiss",
            ));
        }
    };
    let reason = decision.reason.trim();
    if reason.is_empty() {
        return Err(AppError::invalid(
            "请填写确认或排除的理由 / a reason is required",
        ));
    }
    plain_text("理由", reason, MAX_TEXT)?;
    let expert = store::expert(&state.db, context.round.region_id, decision.expert_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let detected = detect(
        &expert,
        &context.relations,
        &context.organization,
        &context.panel,
        state.today(),
    );
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let recorded = store::conflicts_of_in(&mut tx, id).await?;
    let conflicts = conflicts_for(expert.id, &recorded, &detected);
    let conflict = conflicts
        .iter()
        .find(|c| c.kind == decision.kind)
        .ok_or_else(|| {
            AppError::invalid(format!(
                "未发现该专家的「{}」利益冲突 / no such conflict",
                kind_label(&decision.kind)
            ))
        })?;
    if conflict.kind == "declared" {
        return Err(AppError::conflict(
            "conflict_declared",
            "专家自行申报的利益冲突不能排除 / a conflict the expert declared stands",
        ));
    }
    store::decide_conflict(
        &mut tx,
        id,
        expert.id,
        &conflict.kind,
        &conflict.detail,
        status,
        reason,
        actor.user.id,
        now,
    )
    .await?;
    store::audit(
        &mut tx,
        Some(actor.user.id),
        if status == "confirmed" {
            "conflict_confirmed"
        } else {
            "conflict_dismissed"
        },
        &format!("application:{id}"),
        &format!("expert:{} {} · {reason}", expert.id, conflict.kind),
        now,
    )
    .await?;
    if status == "confirmed"
        && store::set_assignment_status(
            &mut tx,
            id,
            expert.id,
            &["pending", "accepted"],
            "removed",
            now,
        )
        .await?
    {
        store::audit(
            &mut tx,
            Some(actor.user.id),
            "expert_removed",
            &format!("application:{id}"),
            &format!("expert:{} · 利益冲突已确认", expert.id),
            now,
        )
        .await?;
    }
    tx.commit().await?;
    of_application(state, actor, id).await
}

// --- automatic assignment -------------------------------------------------------------------

/// One expert chosen automatically, and why.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Pick {
    pub expert_id: i64,
    pub name: String,
    pub specialty_match: bool,
    /// Live assignments in the round before this one.
    pub load: i64,
}

/// An expert left out, and why.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Excluded {
    pub expert_id: i64,
    pub name: String,
    pub reasons: Vec<String>,
}

/// What automatic assignment did for one application.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AutoAssigned {
    pub application_id: i64,
    pub organization_name: String,
    /// Live assignments before.
    pub had: i64,
    pub assigned: Vec<Pick>,
    pub excluded: Vec<Excluded>,
    /// Experts still missing to reach the panel's size.
    pub short: i64,
}

/// Assigns experts to every application of a round under expert review up to the panel's
/// size: applications in id order; for each, the candidates without any conflict (recorded
/// as confirmed or potential, or found by the rules and not dismissed), an expert with a
/// matching specialty first, then the one with the fewest live assignments in the round, then
/// the lowest id. Deterministic; each choice and each exclusion is explained, each assignment
/// audited; conflicts found are recorded as potential.
pub async fn auto_assign(
    state: &AppState,
    actor: &Actor,
    round_id: i64,
) -> AppResult<Vec<AutoAssigned>> {
    let round = own_round(state, actor, round_id).await?;
    let panel = store::panel(&state.db, round_id).await?;
    let pool = store::assignable_experts(&state.db, round.region_id).await?;
    let relations = store::relations_in_pool(&state.db, round.region_id).await?;
    let mut contexts = Vec::new();
    for application in store::round_in_review(&state.db, round_id).await? {
        let organization = store::organization(&state.db, application.organization_id)
            .await?
            .ok_or_else(AppError::not_found)?;
        contexts.push(Context {
            application,
            organization,
            round: round.clone(),
            panel: panel.clone(),
            pool: Vec::new(),
            relations: Vec::new(),
        });
    }
    let today = state.today();
    let now = state.now();
    let mut results = Vec::new();
    let mut tx = state.db.begin().await?;
    let mut loads: BTreeMap<i64, i64> = store::loads_in_round(&mut tx, round_id)
        .await?
        .into_iter()
        .collect();
    for context in &contexts {
        let id = context.application.id;
        let Some(application) = store::lock_application(&mut tx, id).await? else {
            continue;
        };
        if application.state != pingjia_core::workflow::State::ExpertReview {
            continue;
        }
        let assignments = store::assignments_of_in(&mut tx, id).await?;
        let recorded = store::conflicts_of_in(&mut tx, id).await?;
        let had = assignments
            .iter()
            .filter(|a| a.status == "pending" || a.status == "accepted")
            .count() as i64;
        let mut excluded = Vec::new();
        let mut eligible = Vec::new();
        for expert in &pool {
            let detected = detect(expert, &relations, &context.organization, &panel, today);
            for found in &detected {
                if store::record_potential(&mut tx, id, expert.id, found.kind, &found.detail, now)
                    .await?
                {
                    store::audit(
                        &mut tx,
                        Some(actor.user.id),
                        "conflict_detected",
                        &format!("application:{id}"),
                        &format!("expert:{} {} · {}", expert.id, found.kind, found.detail),
                        now,
                    )
                    .await?;
                }
            }
            if let Some(existing) = assignments.iter().find(|a| a.expert_id == expert.id)
                && existing.status != "removed"
            {
                continue;
            }
            let conflicts = conflicts_for(expert.id, &recorded, &detected);
            let reasons: Vec<String> = conflicts
                .iter()
                .filter(|c| c.status != "dismissed")
                .map(|c| format!("{}（{}）", c.kind_label, c.status_label))
                .collect();
            if reasons.is_empty() {
                eligible.push(expert);
            } else {
                excluded.push(Excluded {
                    expert_id: expert.id,
                    name: expert.name.clone(),
                    reasons,
                });
            }
        }
        let need = (panel.size - had).max(0);
        eligible.sort_by_key(|e| {
            (
                !specialty_match(e, &context.application),
                loads.get(&e.id).copied().unwrap_or(0),
                e.id,
            )
        });
        let mut assigned = Vec::new();
        for expert in eligible
            .into_iter()
            .take(usize::try_from(need).unwrap_or(0))
        {
            let load = loads.get(&expert.id).copied().unwrap_or(0);
            if store::assign(&mut tx, id, expert.id, actor.user.id, now).await? {
                let matched = specialty_match(expert, &context.application);
                assigned_audit(
                    &mut tx,
                    actor,
                    context,
                    expert,
                    &format!(
                        " · 自动分配（{}，已分配 {load} 件）",
                        if matched {
                            "专长匹配"
                        } else {
                            "专长不匹配"
                        }
                    ),
                    now,
                )
                .await?;
                *loads.entry(expert.id).or_insert(0) += 1;
                assigned.push(Pick {
                    expert_id: expert.id,
                    name: expert.name.clone(),
                    specialty_match: matched,
                    load,
                });
            }
        }
        results.push(AutoAssigned {
            application_id: id,
            organization_name: context.organization.name.clone(),
            had,
            short: (need - assigned.len() as i64).max(0),
            assigned,
            excluded,
        });
    }
    tx.commit().await?;
    notifications::spawn_delivery(state);
    Ok(results)
}

// --- the expert's side ----------------------------------------------------------------------

/// An assignment as its expert sees it. Before the declaration: the organisation's name and
/// the provider type, nothing else (the other fields are absent, not empty).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Task {
    pub assignment_id: i64,
    /// pending (declare first) or accepted.
    pub status: String,
    pub organization_name: String,
    /// The provider type (or the scheme) applied for.
    pub provider_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submitted_at: Option<i64>,
}

fn type_label(state: &AppState, assignment: &store::OwnAssignment) -> String {
    let Some(scheme) = state
        .catalog
        .schemes
        .iter()
        .find(|s| s.id == assignment.scheme_id)
    else {
        return String::new();
    };
    match assignment.provider_type.as_deref() {
        Some(id) => scheme
            .provider_types
            .iter()
            .find(|t| t.id == id)
            .map_or_else(|| id.to_owned(), |t| t.title.clone()),
        None => scheme.title.clone(),
    }
}

fn task(state: &AppState, assignment: &store::OwnAssignment) -> Task {
    let accepted = assignment.status == "accepted";
    Task {
        assignment_id: assignment.id,
        status: assignment.status.clone(),
        organization_name: assignment.organization_name.clone(),
        provider_type: type_label(state, assignment),
        application_id: accepted.then_some(assignment.application_id),
        state: accepted.then(|| assignment.state.as_str().to_owned()),
        submitted_at: if accepted {
            assignment.submitted_at
        } else {
            None
        },
    }
}

fn require_expert(actor: &Actor) -> AppResult<()> {
    actor.require(&[Role::Expert])
}

/// The caller's live assignments (pending and accepted), newest first.
pub async fn tasks(state: &AppState, actor: &Actor) -> AppResult<Vec<Task>> {
    require_expert(actor)?;
    Ok(store::own_assignments(&state.db, actor.user.id)
        .await?
        .iter()
        .map(|a| task(state, a))
        .collect())
}

/// One live assignment of the caller (anything else: not found).
pub async fn task_of(state: &AppState, actor: &Actor, id: i64) -> AppResult<Task> {
    require_expert(actor)?;
    let assignment = store::own_assignment(&state.db, actor.user.id, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    Ok(task(state, &assignment))
}

/// An expert's declaration on an assignment.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct Declaration {
    /// true: 「无利益冲突」; false: a conflict, described in `text`.
    pub no_conflict: bool,
    #[serde(default)]
    pub text: String,
}

/// Declares no conflict (the application opens to the expert) or a conflict (the assignment
/// is declined and the conflict recorded, confirmed by the expert's own word). Only once, on
/// a pending assignment; audited.
pub async fn declare(
    state: &AppState,
    actor: &Actor,
    id: i64,
    declaration: &Declaration,
) -> AppResult<Task> {
    require_expert(actor)?;
    let text = declaration.text.trim();
    plain_text("说明", text, MAX_TEXT)?;
    if !declaration.no_conflict && text.is_empty() {
        return Err(AppError::invalid(
            "请说明存在的利益冲突 / describe the conflict",
        ));
    }
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let assignment = store::own_assignment_in(&mut tx, actor.user.id, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let status = if declaration.no_conflict {
        "accepted"
    } else {
        "declined"
    };
    if !store::declare(&mut tx, id, status, text, now).await? {
        return Err(AppError::conflict(
            "already_declared",
            "已声明过利益冲突情况 / already declared",
        ));
    }
    let expert = store::expert_of_user(&state.db, actor.user.id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if !declaration.no_conflict {
        store::decide_conflict(
            &mut tx,
            assignment.application_id,
            expert.id,
            "declared",
            text,
            "confirmed",
            "专家自行申报",
            actor.user.id,
            now,
        )
        .await?;
    }
    store::audit(
        &mut tx,
        Some(actor.user.id),
        if declaration.no_conflict {
            "expert_declared_no_conflict"
        } else {
            "expert_declared_conflict"
        },
        &format!("application:{}", assignment.application_id),
        &format!(
            "expert:{}{}",
            expert.id,
            if text.is_empty() {
                String::new()
            } else {
                format!(" · {text}")
            }
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    if declaration.no_conflict {
        task_of(state, actor, id).await
    } else {
        Ok(Task {
            status: "declined".to_owned(),
            ..task(state, &assignment)
        })
    }
}

/// A rubric item on an expert's score sheet.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SheetItem {
    pub criterion_id: String,
    pub label: String,
    pub group: Option<String>,
    pub guidance: String,
    #[schema(value_type = String)]
    pub max: Decimal,
    /// The step scores go in (the scheme's `score_step`), if any.
    #[schema(value_type = Option<String>)]
    pub step: Option<Decimal>,
    #[schema(value_type = Option<String>)]
    pub score: Option<Decimal>,
    pub note: String,
}

/// Another expert's submitted review, shown once the caller has submitted its own.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OtherReview {
    pub expert_name: String,
    pub opinion: String,
    pub items: Vec<SheetItem>,
    #[schema(value_type = Option<String>)]
    pub total: Option<Decimal>,
    pub submitted_at: Option<i64>,
}

/// An expert's review of one application.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Review {
    pub assignment_id: i64,
    pub application_id: i64,
    pub organization_name: String,
    pub opinion: String,
    pub items: Vec<SheetItem>,
    #[schema(value_type = Option<String>)]
    pub total: Option<Decimal>,
    pub submitted_at: Option<i64>,
    /// Whether the review may still change (accepted, not submitted, application under expert
    /// review).
    pub editable: bool,
    /// The other submitted reviews: only after the caller submitted its own (else absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub others: Option<Vec<OtherReview>>,
}

fn rubric(
    scheme: &pingjia_core::Scheme,
) -> Vec<(&pingjia_core::scheme::Criterion, Decimal, String)> {
    scheme
        .criteria
        .iter()
        .filter(|c| c.section == Section::Rubric)
        .filter_map(|c| match &c.test {
            Test::Score { max, guidance } => Some((c, *max, guidance.clone())),
            _ => None,
        })
        .collect()
}

fn sheet(
    scheme: &pingjia_core::Scheme,
    scores: &[store::Score],
) -> (Vec<SheetItem>, Option<Decimal>) {
    let items: Vec<SheetItem> = rubric(scheme)
        .into_iter()
        .map(|(criterion, max, guidance)| {
            let given = scores.iter().find(|s| s.criterion_id == criterion.id);
            SheetItem {
                criterion_id: criterion.id.clone(),
                label: criterion.label.clone(),
                group: criterion.group.clone(),
                guidance,
                max,
                step: scheme.round.score_step,
                score: given.and_then(|s| s.score.parse().ok()),
                note: given.map(|s| s.note.clone()).unwrap_or_default(),
            }
        })
        .collect();
    let total = (!items.is_empty() && items.iter().any(|i| i.score.is_some()))
        .then(|| items.iter().filter_map(|i| i.score).sum());
    (items, total)
}

/// The caller's accepted assignment (a pending one: declare first; anything else: not found).
async fn accepted_assignment(
    state: &AppState,
    actor: &Actor,
    id: i64,
) -> AppResult<store::OwnAssignment> {
    require_expert(actor)?;
    let assignment = store::own_assignment(&state.db, actor.user.id, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if assignment.status != "accepted" {
        return Err(AppError::conflict(
            "declaration_required",
            "请先声明无利益冲突 / declare first",
        ));
    }
    Ok(assignment)
}

/// The caller's review of an assignment, with the others' once its own is submitted.
pub async fn review(state: &AppState, actor: &Actor, id: i64) -> AppResult<Review> {
    let assignment = accepted_assignment(state, actor, id).await?;
    let application = store::application(&state.db, &actor.scope(), assignment.application_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let (scheme, _) = scheme_of(state, &application)?;
    let (items, total) = sheet(scheme, &store::scores(&state.db, id).await?);
    let others = match assignment.submitted_at {
        Some(_) => {
            let all = store::assignments_of(&state.db, application.id).await?;
            let scores = store::submitted_scores(&state.db, application.id).await?;
            Some(
                all.iter()
                    .filter(|a| a.id != id && a.status == "accepted" && a.submitted_at.is_some())
                    .map(|a| {
                        let own: Vec<store::Score> = scores
                            .iter()
                            .filter(|s| s.assignment_id == a.id)
                            .cloned()
                            .collect();
                        let (items, total) = sheet(scheme, &own);
                        OtherReview {
                            expert_name: a.expert_name.clone(),
                            opinion: a.opinion.clone(),
                            items,
                            total,
                            submitted_at: a.submitted_at,
                        }
                    })
                    .collect(),
            )
        }
        None => None,
    };
    Ok(Review {
        assignment_id: id,
        application_id: application.id,
        organization_name: assignment.organization_name.clone(),
        opinion: assignment.opinion.clone(),
        items,
        total,
        submitted_at: assignment.submitted_at,
        editable: assignment.submitted_at.is_none()
            && application.state == pingjia_core::workflow::State::ExpertReview,
        others,
    })
}

/// One item's score and opinion.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ItemScore {
    /// A number or its text (`8.5`).
    #[schema(value_type = Object)]
    pub score: Json,
    #[serde(default)]
    pub note: String,
}

/// What an expert saves of its review: scores by rubric item id, and the overall opinion.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct ReviewInput {
    #[serde(default)]
    pub scores: BTreeMap<String, ItemScore>,
    #[serde(default)]
    pub opinion: Option<String>,
}

fn review_closed() -> AppError {
    AppError::conflict(
        "review_locked",
        "评审意见已提交或申报已不在专家评审阶段，不能修改 / the review is submitted or the application is no longer under expert review",
    )
}

fn parse_score(
    scheme: &pingjia_core::Scheme,
    criterion: &str,
    given: &Json,
) -> AppResult<(Decimal, String)> {
    let items = rubric(scheme);
    let (item, max, _) = items
        .iter()
        .find(|(c, _, _)| c.id == criterion)
        .ok_or_else(|| {
            AppError::invalid(format!(
                "未知的评审指标「{criterion}」 / unknown rubric item"
            ))
        })?;
    let text = match given {
        Json::Number(n) => n.to_string(),
        Json::String(s) => s.trim().to_owned(),
        _ => String::new(),
    };
    let score: Decimal = text.parse().map_err(|_| {
        AppError::invalid(format!(
            "{}：得分应为数字 / {}: a number",
            item.label, item.id
        ))
    })?;
    if score < Decimal::ZERO || score > *max {
        return Err(AppError::invalid(format!(
            "{}：得分应在 0 到 {max} 之间 / {}: from 0 to {max}",
            item.label, item.id
        )));
    }
    if let Some(step) = scheme.round.score_step
        && !(score % step).is_zero()
    {
        return Err(AppError::invalid(format!(
            "{}：得分应为 {step} 的整数倍 / {}: in steps of {step}",
            item.label, item.id
        )));
    }
    Ok((score.normalize(), item.id.clone()))
}

/// Saves scores, their opinions and the overall opinion of the caller's review while it is
/// open. Audited.
pub async fn save_review(
    state: &AppState,
    actor: &Actor,
    id: i64,
    input: &ReviewInput,
) -> AppResult<Review> {
    let assignment = accepted_assignment(state, actor, id).await?;
    let application = store::application(&state.db, &actor.scope(), assignment.application_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let (scheme, _) = scheme_of(state, &application)?;
    let mut parsed = Vec::new();
    for (criterion, item) in &input.scores {
        let (score, criterion) = parse_score(scheme, criterion, &item.score)?;
        let note = item.note.trim();
        plain_text("评分意见", note, MAX_TEXT)?;
        parsed.push((criterion, score, note.to_owned()));
    }
    let opinion = input.opinion.as_deref().map(str::trim);
    if let Some(opinion) = opinion {
        plain_text("评审意见", opinion, MAX_TEXT)?;
    }
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let locked = store::lock_application(&mut tx, application.id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let current = store::own_assignment_in(&mut tx, actor.user.id, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if locked.state != pingjia_core::workflow::State::ExpertReview
        || current.status != "accepted"
        || current.submitted_at.is_some()
    {
        return Err(review_closed());
    }
    for (criterion, score, note) in &parsed {
        store::save_score(&mut tx, id, criterion, &score.to_string(), note, now).await?;
    }
    if let Some(opinion) = opinion {
        store::save_opinion(&mut tx, id, opinion, now).await?;
    }
    store::audit(
        &mut tx,
        Some(actor.user.id),
        "expert_review_saved",
        &format!("application:{}", application.id),
        &parsed
            .iter()
            .map(|(c, s, _)| format!("{c}={s}"))
            .collect::<Vec<_>>()
            .join(" "),
        now,
    )
    .await?;
    tx.commit().await?;
    review(state, actor, id).await
}

/// Submits the caller's review, which locks it: every rubric item scored with an opinion, and
/// an overall opinion. Audited.
pub async fn submit_review(state: &AppState, actor: &Actor, id: i64) -> AppResult<Review> {
    let assignment = accepted_assignment(state, actor, id).await?;
    let application = store::application(&state.db, &actor.scope(), assignment.application_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let (scheme, _) = scheme_of(state, &application)?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let locked = store::lock_application(&mut tx, application.id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let current = store::own_assignment_in(&mut tx, actor.user.id, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if locked.state != pingjia_core::workflow::State::ExpertReview || current.submitted_at.is_some()
    {
        return Err(review_closed());
    }
    let scores = store::scores_in(&mut tx, id).await?;
    let missing: Vec<String> = rubric(scheme)
        .iter()
        .filter(|(c, _, _)| {
            !scores
                .iter()
                .any(|s| s.criterion_id == c.id && !s.note.trim().is_empty())
        })
        .map(|(c, _, _)| c.label.clone())
        .collect();
    if !missing.is_empty() {
        return Err(AppError::invalid(format!(
            "以下评审指标尚未评分或未填写评分意见：{} / score every item with an opinion first",
            missing.join("、")
        )));
    }
    if current.opinion.trim().is_empty() {
        return Err(AppError::invalid(
            "请填写总体评审意见 / write the overall opinion first",
        ));
    }
    if !store::set_submitted(&mut tx, id, Some(now), now).await? {
        return Err(review_closed());
    }
    let (_, total) = sheet(scheme, &scores);
    store::audit(
        &mut tx,
        Some(actor.user.id),
        "expert_review_submitted",
        &format!("application:{}", application.id),
        &format!(
            "assignment:{id}{}",
            total.map_or_else(String::new, |t| format!(" · 合计 {t}"))
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    review(state, actor, id).await
}

/// Why the authority reopens a review.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct Reopen {
    pub reason: String,
}

/// Reopens an expert's submitted review of an application under expert review, with a reason.
/// Audited; the expert is told.
pub async fn reopen(
    state: &AppState,
    actor: &Actor,
    id: i64,
    expert_id: i64,
    reopen: &Reopen,
) -> AppResult<ApplicationExperts> {
    let context = authority_application(state, actor, id).await?;
    let reason = reopen.reason.trim();
    if reason.is_empty() {
        return Err(AppError::invalid(
            "请填写重新评审的理由 / a reason is required",
        ));
    }
    plain_text("理由", reason, MAX_TEXT)?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let application = store::lock_application(&mut tx, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if application.state != pingjia_core::workflow::State::ExpertReview {
        return Err(not_in_review());
    }
    let assignment = store::assignments_of_in(&mut tx, id)
        .await?
        .into_iter()
        .find(|a| a.expert_id == expert_id && a.status == "accepted")
        .ok_or_else(AppError::not_found)?;
    if !store::set_submitted(&mut tx, assignment.id, None, now).await? {
        return Err(AppError::conflict(
            "not_submitted",
            "该专家尚未提交评审意见 / the review is not submitted",
        ));
    }
    store::audit(
        &mut tx,
        Some(actor.user.id),
        "expert_review_reopened",
        &format!("application:{id}"),
        &format!("expert:{expert_id} · {reason}"),
        now,
    )
    .await?;
    if let Some(user) = assignment.expert_user_id {
        notifications::notify_user(
            &mut tx,
            user,
            Kind::Comment,
            Some(id),
            &format!("评审意见已退回：{}", context.organization.name),
            &format!("主管部门重新开启了您的评审。理由：{reason}"),
            now,
        )
        .await?;
    }
    tx.commit().await?;
    notifications::spawn_delivery(state);
    of_application(state, actor, id).await
}

// --- site visits ----------------------------------------------------------------------------

/// A site visit (现场核查) as recorded, with its files.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SiteVisitView {
    pub id: i64,
    pub visited_on: String,
    pub members: String,
    pub findings: String,
    pub at: i64,
    pub files: Vec<SiteVisitFileView>,
}

/// A file of a site visit (download: `GET /api/v1/applications/{id}/site-visit-files/{file}`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SiteVisitFileView {
    pub id: i64,
    pub filename: String,
    pub media_type: String,
}

fn site_visit_views(
    rows: &[store::SiteVisit],
    files: &[store::SiteVisitFile],
) -> Vec<SiteVisitView> {
    rows.iter()
        .map(|v| SiteVisitView {
            id: v.id,
            visited_on: v.visited_on.clone(),
            members: v.members.clone(),
            findings: v.findings.clone(),
            at: v.at,
            files: files
                .iter()
                .filter(|f| f.site_visit_id == v.id)
                .map(|f| SiteVisitFileView {
                    id: f.id,
                    filename: f.filename.clone(),
                    media_type: f.media_type.clone(),
                })
                .collect(),
        })
        .collect()
}

/// Attaches a file (the evidence rules: size, type by content, a clean name) to a site visit of
/// an application of one of the caller's rounds; content-addressed like evidence. Audited.
pub async fn attach_site_visit_file(
    state: &AppState,
    actor: &Actor,
    id: i64,
    visit: i64,
    upload: crate::services::evidence::Upload,
) -> AppResult<i64> {
    use crate::services::evidence;
    authority_application(state, actor, id).await?;
    if !store::site_visits(&state.db, id)
        .await?
        .iter()
        .any(|v| v.id == visit)
    {
        return Err(AppError::not_found());
    }
    let (filename, media_type, sha256) = evidence::check_file(state, &upload)?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    evidence::store_content(state, &mut tx, &sha256, media_type, &upload.bytes, now).await?;
    let file = store::insert_site_visit_file(&mut tx, visit, &sha256, &filename, now).await?;
    store::audit(
        &mut tx,
        Some(actor.user.id),
        "site_visit_file_added",
        &format!("application:{id}"),
        &format!("site_visit:{visit} · {filename}"),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(file)
}

/// A file of a site visit, for the authority of the application's round.
pub async fn site_visit_file(
    state: &AppState,
    actor: &Actor,
    id: i64,
    file: i64,
) -> AppResult<(store::SiteVisitFile, Vec<u8>)> {
    authority_application(state, actor, id).await?;
    let row = store::site_visit_file(&state.db, id, file)
        .await?
        .ok_or_else(AppError::not_found)?;
    let bytes = crate::services::evidence::read_content(state, &row.sha256).await?;
    Ok((row, bytes))
}

/// What the authority records of a site visit.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct SiteVisitInput {
    /// YYYY-MM-DD, not after today.
    pub visited_on: String,
    /// 核查人员.
    pub members: String,
    /// 核查情况.
    pub findings: String,
}

/// Records a site visit of an application of one of the caller's rounds (under expert review
/// or later). Audited.
pub async fn record_site_visit(
    state: &AppState,
    actor: &Actor,
    id: i64,
    input: &SiteVisitInput,
) -> AppResult<i64> {
    let context = authority_application(state, actor, id).await?;
    use pingjia_core::workflow::State;
    if !matches!(
        context.application.state,
        State::ExpertReview | State::PublicNotice | State::Published | State::NotGraded
    ) {
        return Err(not_in_review());
    }
    let visited_on = check_date("核查日期", Some(&input.visited_on))?
        .ok_or_else(|| AppError::invalid("请填写核查日期 / the date is required"))?;
    if visited_on > state.today().to_string() {
        return Err(AppError::invalid(
            "核查日期不能晚于今天 / the date cannot be in the future",
        ));
    }
    let members = input.members.trim();
    let findings = input.findings.trim();
    if members.is_empty() || findings.is_empty() {
        return Err(AppError::invalid(
            "请填写核查人员和核查情况 / members and findings are required",
        ));
    }
    plain_text("核查人员", members, 500)?;
    plain_text("核查情况", findings, MAX_TEXT * 2)?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let visit = store::insert_site_visit(
        &mut tx,
        id,
        &visited_on,
        members,
        findings,
        actor.user.id,
        now,
    )
    .await?;
    store::audit(
        &mut tx,
        Some(actor.user.id),
        "site_visit_recorded",
        &format!("application:{id}"),
        &format!("{visited_on} · {members}"),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(visit)
}
