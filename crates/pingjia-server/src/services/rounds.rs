//! Rounds (批次): the rules the applications of a round follow — its submission window, the
//! grading round (cut-off, reference year, parameters) its declarations are assessed under,
//! and the review chain its applications pass through (the scheme's, or the round's own).

use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::services::actor::{Actor, Role};
use crate::storage::{self as store};
use chrono::{Datelike as _, NaiveDate};
use pingjia_core::Scheme;
use pingjia_core::engine::Round as EngineRound;
use pingjia_core::scheme::{Aggregation, Method};
use pingjia_core::workflow::{Chain, Office, Route};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::str::FromStr as _;
use utoipa::ToSchema;

/// A round by id, whoever asks (the callers check what the actor may see of it).
pub async fn load(state: &AppState, id: i64) -> AppResult<store::Round> {
    store::round(&state.db, id)
        .await?
        .ok_or_else(AppError::not_found)
}

/// Where a round's submission window stands on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Window {
    /// A draft round: nobody applies to it.
    Unpublished,
    /// Published; the window opens on this day.
    NotYet { opens: NaiveDate },
    /// Open through this day (inclusive).
    Open { closes: NaiveDate },
    /// Closed after this day.
    Closed { closed: NaiveDate },
}

impl Window {
    pub fn is_open(self) -> bool {
        matches!(self, Window::Open { .. })
    }

    /// 「申报中（截止 2026-06-30）」 and the like.
    pub fn label_zh(self) -> String {
        match self {
            Window::Unpublished => "草稿".into(),
            Window::NotYet { opens } => format!("未开始（{opens} 开始申报）"),
            Window::Open { closes } => format!("申报中（{closes} 截止）"),
            Window::Closed { closed } => format!("已截止（{closed}）"),
        }
    }
}

/// A stored date; a malformed one is the server's error (rounds are checked when written).
pub fn date(text: Option<&str>) -> AppResult<Option<NaiveDate>> {
    text.map(|t| {
        NaiveDate::parse_from_str(t, "%Y-%m-%d")
            .map_err(|_| AppError::internal(format!("stored date `{t}` is not YYYY-MM-DD")))
    })
    .transpose()
}

/// The round's submission window on `today` (China time): open from `opens_on` through
/// `closes_on`, both inclusive.
pub fn window(round: &store::Round, today: NaiveDate) -> AppResult<Window> {
    if round.published_at.is_none() {
        return Ok(Window::Unpublished);
    }
    let (Some(opens), Some(closes)) = (
        date(round.opens_on.as_deref())?,
        date(round.closes_on.as_deref())?,
    ) else {
        return Err(AppError::internal(format!(
            "published round {} has no window",
            round.id
        )));
    };
    Ok(if today < opens {
        Window::NotYet { opens }
    } else if today > closes {
        Window::Closed { closed: closes }
    } else {
        Window::Open { closes }
    })
}

/// The grading round a round's declarations are assessed under: the scheme's defaults, then
/// the round's cut-off, reference year, parameters, aggregation, divergence ratio and requested
/// materials.
pub fn engine_round(scheme: &Scheme, round: &store::Round) -> AppResult<EngineRound> {
    let mut engine = EngineRound::from_scheme(scheme);
    if let Some(cutoff) = date(round.cutoff.as_deref())? {
        engine.cutoff = Some(cutoff);
    }
    if let Some(year) = round.reference_year {
        engine.reference_year = Some(i32::try_from(year).map_err(AppError::internal)?);
    }
    for (id, text) in params(round)? {
        engine
            .set_param(scheme, &id, &text)
            .map_err(AppError::internal)?;
    }
    engine.aggregation = Aggregation::parse(&round.aggregation).ok_or_else(|| {
        AppError::internal(format!(
            "round {} aggregation `{}`",
            round.id, round.aggregation
        ))
    })?;
    if let Some(ratio) = &round.divergence_ratio {
        engine.divergence_ratio = Decimal::from_str(ratio).map_err(AppError::internal)?;
    }
    engine.request_optional_materials = round.request_optional_materials != 0;
    Ok(engine)
}

/// A round's parameter values as stored: parameter id → value text, in id order.
pub fn params(round: &store::Round) -> AppResult<Vec<(String, String)>> {
    let map: std::collections::BTreeMap<String, String> =
        serde_json::from_str(&round.params).map_err(AppError::internal)?;
    Ok(map
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .collect())
}

/// The review chain of a round's applications: the round's own, or else its scheme's.
pub fn chain_of(scheme: &Scheme, round: Option<&store::Round>) -> AppResult<Chain> {
    if let Some(text) = round.and_then(|r| r.chain.as_deref()) {
        let chain: Chain = serde_json::from_str(text).map_err(AppError::internal)?;
        return Ok(chain);
    }
    scheme.chain.clone().ok_or_else(|| {
        AppError::conflict(
            "no_chain",
            format!(
                "方案「{}」未规定审核流程，不能开展申报 / the scheme states no review chain",
                scheme.title
            ),
        )
    })
}

/// The codes of a region path and its ancestors: `/32/3205/320583/` → `32`, `3205`, `320583`.
pub fn path_codes(path: &str) -> Vec<&str> {
    path.split('/').filter(|code| !code.is_empty()).collect()
}

/// The offices an application from `region_path` passes through in this round.
pub fn route(scheme: &Scheme, round: Option<&store::Round>, region_path: &str) -> AppResult<Route> {
    Ok(chain_of(scheme, round)?.route(&path_codes(region_path)))
}

/// The published rounds of `scheme_id` whose window is open today and whose authority's
/// region contains `region_path` (an organisation's), newest first.
pub async fn open_rounds_for(
    state: &AppState,
    scheme_id: &str,
    region_path: &str,
) -> AppResult<Vec<store::Round>> {
    let today = state.today();
    let mut open = Vec::new();
    for round in store::published_rounds(&state.db).await? {
        if round.scheme_id == scheme_id
            && region_path.starts_with(&round.region_path)
            && window(&round, today)?.is_open()
        {
            open.push(round);
        }
    }
    Ok(open)
}

/// The scheme's example parameter values as a round stores them (id → text): for
/// demonstrations only, and always labelled as examples where shown.
pub fn example_params(scheme: &Scheme) -> String {
    let map: std::collections::BTreeMap<&str, String> = scheme
        .parameters
        .iter()
        .filter_map(|p| {
            p.example
                .map(|value| (p.id.as_str(), p.unit.display(value)))
        })
        .collect();
    serde_json::to_string(&map).unwrap_or_else(|_| "{}".into())
}

// --- the authority's commands: draft, edit, publish ---------------------------------------------

/// What an authority writes into a round, as typed into the form or sent as JSON: every field
/// is optional, and one left out keeps its value. Dates are `YYYY-MM-DD`; an empty text clears
/// a value (an empty parameter unsets it).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoundInput {
    /// The scheme's id (creation only).
    pub scheme: Option<String>,
    /// 批次名称, e.g. 「2026年上半年」.
    pub name: Option<String>,
    /// 参照年度 (the year 「上一年度」 figures refer to), where the scheme uses one.
    #[schema(example = "2025")]
    pub reference_year: Option<String>,
    /// 时间计算截止日期 (注2).
    #[schema(example = "2026-06-30")]
    pub cutoff: Option<String>,
    pub opens_on: Option<String>,
    pub closes_on: Option<String>,
    /// The first review level finishes by (区县初审; the province's review in an MIIT selection).
    pub county_deadline: Option<String>,
    /// 设区市审核推荐 finishes by (chains with a city level).
    pub city_deadline: Option<String>,
    /// `mean` or `trimmed_mean` (rubric schemes).
    pub aggregation: Option<String>,
    /// Expert scores diverge beyond this share of an item's maximum (`0.3` or `30%`).
    pub divergence_ratio: Option<String>,
    /// Parameter id → value as text (`10000`, `15%`); an empty text unsets it.
    pub params: Option<BTreeMap<String, String>>,
    /// The round asks for the scheme's optional materials (002 第七条（八）).
    pub request_optional_materials: Option<bool>,
    /// Further materials the round requires, one item each.
    pub materials: Option<Vec<String>>,
    /// A review chain overriding the scheme's, as JSON (`{"levels": ["county"], "authority":
    /// "city"}`); empty: the scheme's own.
    pub chain: Option<String>,
    /// 通知正文.
    pub notice: Option<String>,
    pub contact_office: Option<String>,
    pub contact_phone: Option<String>,
    /// The applicant's timeline names the reviewer who acted, not only the office (may change
    /// after publication).
    pub show_reviewer_names: Option<bool>,
}

/// A round's writable fields, parsed: what the commands compare, check and store.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub name: String,
    pub reference_year: Option<i32>,
    pub cutoff: Option<NaiveDate>,
    pub opens_on: Option<NaiveDate>,
    pub closes_on: Option<NaiveDate>,
    pub county_deadline: Option<NaiveDate>,
    pub city_deadline: Option<NaiveDate>,
    pub aggregation: Aggregation,
    pub divergence_ratio: Option<Decimal>,
    /// Parameter id → value text as typed (each parses under its unit).
    pub params: BTreeMap<String, String>,
    pub request_optional_materials: bool,
    pub materials: Vec<String>,
    pub chain: Option<Chain>,
    pub notice: String,
    pub contact_office: String,
    pub contact_phone: String,
    pub show_reviewer_names: bool,
}

/// The fields of a round as people name them: (key, 中文, English). The keys are the API's.
pub const FIELDS: &[(&str, &str, &str)] = &[
    ("name", "批次名称", "name"),
    ("reference_year", "参照年度", "reference year"),
    ("cutoff", "时间计算截止日期", "cut-off date"),
    ("opens_on", "开始申报日期", "opening date"),
    ("closes_on", "截止申报日期", "closing date"),
    ("county_deadline", "初审截止日期", "first review deadline"),
    (
        "city_deadline",
        "设区市审核推荐截止日期",
        "city review deadline",
    ),
    (
        "aggregation",
        "专家评分汇总方式",
        "aggregation of expert scores",
    ),
    ("divergence_ratio", "评分分歧阈值", "divergence threshold"),
    ("params", "批次参数", "parameters"),
    (
        "request_optional_materials",
        "要求提供的其他材料",
        "optional materials requested",
    ),
    ("materials", "其他申报材料", "further materials"),
    ("chain", "审核链", "review chain"),
    ("notice", "通知正文", "notice text"),
    ("contact_office", "联系处室", "contact office"),
    ("contact_phone", "联系电话", "contact phone"),
    (
        "show_reviewer_names",
        "审核记录显示审核人员姓名",
        "reviewer names in the timeline",
    ),
];

/// What may still move once a round is published: nothing that could change a grade already
/// assessed. The closing date moves only later ([`update`]).
const EDITABLE_WHEN_PUBLISHED: &[&str] = &[
    "closes_on",
    "county_deadline",
    "city_deadline",
    "notice",
    "contact_office",
    "contact_phone",
    "show_reviewer_names",
];

fn field_label(key: &str) -> (&'static str, &'static str) {
    FIELDS
        .iter()
        .find(|(k, _, _)| *k == key)
        .map_or(("", ""), |(_, zh, en)| (*zh, *en))
}

/// How often a scheme's rounds run, for the names suggested to a new round: Jiangsu twice a
/// year (003 三、2 「每半年度组织开展1次」), Shaoxing once a year (002 第五条 「每年集中组织一次」); a
/// scheme not listed is named by its year.
const HALF_YEARLY: &[&str] = &["jiangsu-pool-2021"];

/// Whether a scheme's rounds run twice a year (its batches are half-years).
pub fn is_half_yearly(scheme_id: &str) -> bool {
    HALF_YEARLY.contains(&scheme_id)
}

/// Names for a new round of `scheme` in the batch of `today` and the next one:
/// 「2026年上半年」「2026年下半年」 for a half-yearly scheme, 「2026年度」「2027年度」 otherwise.
pub fn suggested_names(scheme: &Scheme, today: NaiveDate) -> Vec<String> {
    let year = today.year();
    if HALF_YEARLY.contains(&scheme.id.as_str()) {
        if today.month() <= 6 {
            vec![format!("{year}年上半年"), format!("{year}年下半年")]
        } else {
            vec![format!("{year}年下半年"), format!("{}年上半年", year + 1)]
        }
    } else {
        vec![format!("{year}年度"), format!("{}年度", year + 1)]
    }
}

/// Whether the scheme's labels name a reference year (「{reference_year}年度」): its rounds
/// then state one.
pub fn uses_reference_year(scheme: &Scheme) -> bool {
    scheme.round.reference_year.is_some()
        || scheme
            .fields
            .iter()
            .any(|f| f.label.contains("{reference_year}"))
        || scheme
            .criteria
            .iter()
            .any(|c| c.label.contains("{reference_year}"))
}

/// The region level an authority must govern to run rounds of a scheme: the chain's authority,
/// or for a selection the ministry decides (MIIT), the province that recommends to it.
pub fn organizer_level(chain: &Chain) -> Option<&'static str> {
    match chain.authority {
        Office::Nation => chain
            .levels
            .first()
            .and_then(|office| office.region_level()),
        office => office.region_level(),
    }
}

impl Settings {
    /// A new round's settings: the scheme's aggregation, divergence threshold and materials
    /// rule, its parameters' defaults, and the first suggested name. Dates, the reference year
    /// and the contact are for the authority to state.
    pub fn new_for(scheme: &Scheme, today: NaiveDate) -> Settings {
        Settings {
            name: suggested_names(scheme, today)
                .into_iter()
                .next()
                .unwrap_or_default(),
            reference_year: None,
            cutoff: None,
            opens_on: None,
            closes_on: None,
            county_deadline: None,
            city_deadline: None,
            aggregation: scheme.round.aggregation,
            divergence_ratio: (scheme.method == Method::Rubric)
                .then_some(scheme.round.divergence_ratio),
            params: scheme
                .parameters
                .iter()
                .filter_map(|p| p.default.map(|value| (p.id.clone(), p.unit.display(value))))
                .collect(),
            request_optional_materials: scheme.round.request_optional_materials,
            materials: Vec::new(),
            chain: None,
            notice: String::new(),
            contact_office: String::new(),
            contact_phone: String::new(),
            show_reviewer_names: false,
        }
    }

    /// These settings with `input` applied; every value that cannot be taken is reported, field
    /// by field, as 「中文 / English」.
    pub fn apply(&self, scheme: &Scheme, input: &RoundInput) -> Result<Settings, Vec<String>> {
        let mut next = self.clone();
        let mut problems = Vec::new();
        for (key, given, max, target) in [
            ("name", &input.name, 100, &mut next.name),
            ("notice", &input.notice, 10_000, &mut next.notice),
            (
                "contact_office",
                &input.contact_office,
                200,
                &mut next.contact_office,
            ),
            (
                "contact_phone",
                &input.contact_phone,
                50,
                &mut next.contact_phone,
            ),
        ] {
            let Some(given) = given else { continue };
            match crate::services::plain_text(field_label(key).0, given, max) {
                Ok(()) => *target = given.trim().to_owned(),
                Err(error) => problems.push(error.message),
            }
        }
        if let Some(year) = &input.reference_year {
            let year = year.trim();
            next.reference_year = if year.is_empty() {
                None
            } else {
                match year.trim_end_matches('年').parse::<i32>() {
                    Ok(y) if (2000..=2100).contains(&y) => Some(y),
                    _ => {
                        problems.push(format!(
                            "参照年度应为 2000 到 2100 之间的年份，给出“{year}” / reference year: a year from 2000 to 2100"
                        ));
                        next.reference_year
                    }
                }
            };
        }
        for (key, given, target) in [
            ("cutoff", &input.cutoff, &mut next.cutoff),
            ("opens_on", &input.opens_on, &mut next.opens_on),
            ("closes_on", &input.closes_on, &mut next.closes_on),
            (
                "county_deadline",
                &input.county_deadline,
                &mut next.county_deadline,
            ),
            (
                "city_deadline",
                &input.city_deadline,
                &mut next.city_deadline,
            ),
        ] {
            let Some(given) = given else { continue };
            let given = given.trim();
            if given.is_empty() {
                *target = None;
            } else if let Ok(date) = NaiveDate::parse_from_str(given, "%Y-%m-%d") {
                *target = Some(date);
            } else {
                let (zh, en) = field_label(key);
                problems.push(format!(
                    "{zh}应为日期（如 2026-06-30），给出“{}” / {en}: a date such as 2026-06-30",
                    given.chars().take(40).collect::<String>()
                ));
            }
        }
        if let Some(aggregation) = &input.aggregation {
            match Aggregation::parse(aggregation.trim()) {
                Some(value) => next.aggregation = value,
                None => problems.push(
                    "专家评分汇总方式应为 mean（平均）或 trimmed_mean（去掉最高最低） / aggregation: mean or trimmed_mean".into(),
                ),
            }
        }
        if let Some(ratio) = &input.divergence_ratio {
            let ratio = ratio.trim();
            next.divergence_ratio = if ratio.is_empty() {
                None
            } else {
                let parsed = match ratio.strip_suffix('%') {
                    Some(percent) => percent
                        .trim()
                        .parse::<Decimal>()
                        .ok()
                        .map(|p| p / Decimal::from(100)),
                    None => ratio.parse::<Decimal>().ok(),
                };
                match parsed {
                    Some(value) if value > Decimal::ZERO && value <= Decimal::ONE => {
                        Some(value.normalize())
                    }
                    _ => {
                        problems.push(
                            "评分分歧阈值应为 0 到 1 之间的比例（如 0.3 或 30%） / divergence threshold: a share from 0 to 1 (0.3 or 30%)".into(),
                        );
                        next.divergence_ratio
                    }
                }
            };
        }
        if let Some(params) = &input.params {
            let mut round = EngineRound::from_scheme(scheme);
            for (id, value) in params {
                let value = value.trim();
                if scheme.parameters.iter().all(|p| &p.id != id) {
                    problems.push(format!(
                        "方案无参数“{}” / the scheme has no parameter {}",
                        id.chars().take(60).collect::<String>(),
                        id.chars().take(60).collect::<String>()
                    ));
                } else if value.is_empty() {
                    next.params.remove(id);
                } else if let Err(error) = round.set_param(scheme, id, value) {
                    let label = scheme.parameters.iter().find(|p| &p.id == id);
                    problems.push(format!(
                        "参数“{}”：{} / parameter {}: {}",
                        label.map_or(id.as_str(), |p| p.label.as_str()),
                        error.message_zh,
                        label.map_or(id.as_str(), |p| p.label_en.as_str()),
                        error.message_en
                    ));
                } else {
                    next.params.insert(id.clone(), value.to_owned());
                }
            }
        }
        if let Some(show) = input.show_reviewer_names {
            next.show_reviewer_names = show;
        }
        if let Some(requested) = input.request_optional_materials {
            next.request_optional_materials = requested;
        }
        if let Some(materials) = &input.materials {
            let items: Vec<String> = materials
                .iter()
                .map(|m| m.trim().to_owned())
                .filter(|m| !m.is_empty())
                .collect();
            if items.len() > 50 {
                problems.push("其他申报材料最多 50 项 / further materials: at most 50".into());
            } else if let Some(error) = items
                .iter()
                .find_map(|m| crate::services::plain_text("其他申报材料", m, 200).err())
            {
                problems.push(error.message);
            } else {
                next.materials = items;
            }
        }
        if let Some(chain) = &input.chain {
            let chain = chain.trim();
            if chain.is_empty() {
                next.chain = None;
            } else {
                match parse_chain(scheme, chain) {
                    Ok(parsed) => next.chain = Some(parsed),
                    Err(problem) => problems.push(problem),
                }
            }
        }
        if problems.is_empty() {
            Ok(next)
        } else {
            Err(problems)
        }
    }

    /// The chain in force: the round's override, else the scheme's.
    pub fn chain_or<'a>(&'a self, scheme: &'a Scheme) -> Option<&'a Chain> {
        self.chain.as_ref().or(scheme.chain.as_ref())
    }

    /// Each field as text, for the audit log's old → new.
    fn texts(&self) -> Vec<(&'static str, String)> {
        let date = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        vec![
            ("name", self.name.clone()),
            (
                "reference_year",
                self.reference_year
                    .map(|y| y.to_string())
                    .unwrap_or_default(),
            ),
            ("cutoff", date(self.cutoff)),
            ("opens_on", date(self.opens_on)),
            ("closes_on", date(self.closes_on)),
            ("county_deadline", date(self.county_deadline)),
            ("city_deadline", date(self.city_deadline)),
            ("aggregation", aggregation_id(self.aggregation).to_owned()),
            (
                "divergence_ratio",
                self.divergence_ratio
                    .map(|r| r.to_string())
                    .unwrap_or_default(),
            ),
            (
                "params",
                serde_json::to_string(&self.params).unwrap_or_default(),
            ),
            (
                "request_optional_materials",
                self.request_optional_materials.to_string(),
            ),
            (
                "materials",
                serde_json::to_string(&self.materials).unwrap_or_default(),
            ),
            (
                "chain",
                self.chain
                    .as_ref()
                    .map(|c| serde_json::to_string(c).unwrap_or_default())
                    .unwrap_or_default(),
            ),
            ("notice", self.notice.clone()),
            ("contact_office", self.contact_office.clone()),
            ("contact_phone", self.contact_phone.clone()),
            ("show_reviewer_names", self.show_reviewer_names.to_string()),
        ]
    }

    /// The fields that differ from `other`: (key, old, new).
    pub fn changes(&self, next: &Settings) -> Vec<(&'static str, String, String)> {
        self.texts()
            .into_iter()
            .zip(next.texts())
            .filter(|((_, old), (_, new))| old != new)
            .map(|((key, old), (_, new))| (key, old, new))
            .collect()
    }
}

pub fn aggregation_id(aggregation: Aggregation) -> &'static str {
    match aggregation {
        Aggregation::Mean => "mean",
        Aggregation::TrimmedMean => "trimmed_mean",
    }
}

/// A chain override as JSON, checked: its shape ([`Chain::validate`]) and its authority, which
/// stays the scheme's (the office that runs the round).
pub fn parse_chain(scheme: &Scheme, text: &str) -> Result<Chain, String> {
    let chain: Chain = serde_json::from_str(text).map_err(|e| {
        format!("审核链应为 JSON，如 {{\"levels\": [\"county\"], \"authority\": \"city\"}}（{e}） / review chain: JSON such as {{\"levels\": [\"county\"], \"authority\": \"city\"}} ({e})")
    })?;
    chain.validate().map_err(|e| format!("审核链：{e}"))?;
    if let Some(own) = &scheme.chain
        && own.authority != chain.authority
    {
        return Err(format!(
            "审核链的主管部门应为{} / the chain's authority stays {}",
            own.authority.label_zh(),
            own.authority.label_en()
        ));
    }
    Ok(chain)
}

/// What a round still lacks before it can be published, each item as (中文, English): the name,
/// the reference year where the scheme uses one, the cut-off, the window (opens ≤ closes), the
/// review deadlines (after the window, first level ≤ second), every parameter of the scheme, a
/// valid chain, the contact office.
pub fn missing(scheme: &Scheme, settings: &Settings) -> Vec<(String, String)> {
    let mut missing: Vec<(String, String)> = Vec::new();
    let unset = |key: &str, missing: &mut Vec<(String, String)>| {
        let (zh, en) = field_label(key);
        missing.push((format!("未填写{zh}"), format!("no {en}")));
    };
    if settings.name.is_empty() {
        unset("name", &mut missing);
    }
    if uses_reference_year(scheme) && settings.reference_year.is_none() {
        unset("reference_year", &mut missing);
    }
    if settings.cutoff.is_none() {
        unset("cutoff", &mut missing);
    }
    if settings.opens_on.is_none() {
        unset("opens_on", &mut missing);
    }
    if settings.closes_on.is_none() {
        unset("closes_on", &mut missing);
    }
    if let (Some(opens), Some(closes)) = (settings.opens_on, settings.closes_on)
        && opens > closes
    {
        missing.push((
            "开始申报日期晚于截止申报日期".into(),
            "the window opens after it closes".into(),
        ));
    }
    let chain = settings.chain_or(scheme);
    let two_levels = chain.is_some_and(|c| c.levels.len() > 1);
    let first = first_level_label(chain);
    let mut deadlines = vec![(settings.county_deadline, first.0.clone(), first.1.clone())];
    if two_levels {
        deadlines.push((
            settings.city_deadline,
            "设区市审核推荐截止日期".into(),
            "city review deadline".into(),
        ));
    }
    for (deadline, zh, en) in &deadlines {
        match (deadline, settings.closes_on) {
            (None, _) => missing.push((format!("未填写{zh}"), format!("no {en}"))),
            (Some(deadline), Some(closes)) if *deadline <= closes => missing.push((
                format!("{zh}应晚于截止申报日期"),
                format!("the {en} is after the closing date"),
            )),
            _ => {}
        }
    }
    if two_levels
        && let (Some(county), Some(city)) = (settings.county_deadline, settings.city_deadline)
        && county > city
    {
        missing.push((
            "初审截止日期不应晚于设区市审核推荐截止日期".into(),
            "the first review ends no later than the city review".into(),
        ));
    }
    if scheme.method == Method::Rubric && settings.divergence_ratio.is_none() {
        unset("divergence_ratio", &mut missing);
    }
    let unset_params: Vec<&pingjia_core::scheme::Parameter> = scheme
        .parameters
        .iter()
        .filter(|p| !settings.params.contains_key(&p.id))
        .collect();
    if !unset_params.is_empty() {
        missing.push((
            format!(
                "未设置参数：{}",
                unset_params
                    .iter()
                    .map(|p| p.label.as_str())
                    .collect::<Vec<_>>()
                    .join("、")
            ),
            format!(
                "parameters not set: {}",
                unset_params
                    .iter()
                    .map(|p| p.label_en.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        ));
    }
    match chain {
        None => missing.push(("未设置审核链".into(), "no review chain".into())),
        Some(chain) => {
            if let Err(error) = chain.validate() {
                missing.push((
                    format!("审核链无效：{error}"),
                    "invalid review chain".into(),
                ));
            }
        }
    }
    if settings.contact_office.is_empty() {
        unset("contact_office", &mut missing);
    }
    missing
}

/// The name of the first review level's deadline: 「区县初审截止日期」, or for a chain whose first
/// level is the province, 「省级主管部门初审推荐截止日期」.
pub fn first_level_label(chain: Option<&Chain>) -> (String, String) {
    match chain.and_then(|c| c.levels.first()) {
        Some(Office::County) | None => ("区县初审截止日期".into(), "county review deadline".into()),
        Some(office) => (
            format!("{}初审推荐截止日期", office.label_zh()),
            format!("{} review deadline", office.label_en()),
        ),
    }
}

/// A round as the API and the pages show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RoundView {
    pub id: i64,
    pub scheme_id: String,
    pub region_id: i64,
    /// The organising office's region (江苏省, 绍兴市).
    pub region_name: String,
    pub name: String,
    pub reference_year: Option<i32>,
    pub cutoff: Option<String>,
    pub opens_on: Option<String>,
    pub closes_on: Option<String>,
    pub county_deadline: Option<String>,
    pub city_deadline: Option<String>,
    /// `mean` or `trimmed_mean`.
    pub aggregation: String,
    pub divergence_ratio: Option<String>,
    /// Parameter id → value as set.
    pub params: BTreeMap<String, String>,
    pub request_optional_materials: bool,
    pub materials: Vec<String>,
    /// The round's own review chain (`null`: the scheme's).
    #[schema(value_type = Option<Object>)]
    pub chain: Option<Chain>,
    pub notice: String,
    pub contact_office: String,
    pub contact_phone: String,
    /// The applicant's timeline names the reviewer who acted, not only the office.
    pub show_reviewer_names: bool,
    /// `draft`, `published` (the window has not opened), `open` or `closed`.
    pub status: &'static str,
    pub published_at: Option<i64>,
    /// Whole days until the window closes (0 on its last day), while it is open.
    pub days_left: Option<i64>,
    /// Whole days until the window opens, while it has not.
    pub days_to_open: Option<i64>,
    /// What the draft still lacks before it can be published (「中文 / English」 each); given
    /// to its authority only.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
    #[serde(skip)]
    pub settings: Settings,
    #[serde(skip)]
    pub record: store::Round,
}

/// The status of a round on `today` as the lists show it: `draft` 草稿, `published` 已发布
/// (before its window), `open` 申报中, `closed` 已截止.
pub fn status_of(window: Window) -> &'static str {
    match window {
        Window::Unpublished => "draft",
        Window::NotYet { .. } => "published",
        Window::Open { .. } => "open",
        Window::Closed { .. } => "closed",
    }
}

/// The label of a status id.
pub fn status_label(status: &str) -> &'static str {
    match status {
        "draft" => "草稿",
        "published" => "已发布",
        "open" => "申报中",
        "closed" => "已截止",
        _ => "",
    }
}

/// The authority's region, if the caller is an authority; anyone else finds no round to
/// manage (the answer of a missing one).
pub async fn authority_region(state: &AppState, actor: &Actor) -> AppResult<store::Region> {
    if actor.role != Role::AuthorityAdmin {
        return Err(AppError::not_found());
    }
    let Some(region_id) = actor.user.region_id else {
        return Err(AppError::not_found());
    };
    store::region(&state.db, region_id)
        .await?
        .ok_or_else(AppError::not_found)
}

/// The schemes whose rounds the caller's office runs: those whose chain names its region's
/// level as the organiser ([`organizer_level`]).
pub async fn schemes_for<'a>(state: &'a AppState, actor: &Actor) -> AppResult<Vec<&'a Scheme>> {
    let region = authority_region(state, actor).await?;
    Ok(state
        .catalog
        .schemes
        .iter()
        .filter(|scheme| {
            scheme
                .chain
                .as_ref()
                .and_then(organizer_level)
                .is_some_and(|level| level == region.level)
        })
        .collect())
}

fn scheme_of<'a>(state: &'a AppState, id: &str) -> AppResult<&'a Scheme> {
    state
        .catalog
        .schemes
        .iter()
        .find(|s| s.id == id)
        .ok_or_else(|| AppError::new(404, "unknown_scheme", "未知的方案 / unknown scheme"))
}

fn refused_input(problems: Vec<String>) -> AppError {
    let (zh, en): (Vec<String>, Vec<String>) = problems
        .iter()
        .map(|p| match p.split_once(" / ") {
            Some((zh, en)) => (zh.to_owned(), en.to_owned()),
            None => (p.clone(), p.clone()),
        })
        .unzip();
    AppError::invalid(format!("{} / {}", zh.join("；"), en.join("; ")))
}

fn incomplete(missing: &[(String, String)]) -> AppError {
    let zh: Vec<&str> = missing.iter().map(|(zh, _)| zh.as_str()).collect();
    let en: Vec<&str> = missing.iter().map(|(_, en)| en.as_str()).collect();
    AppError::new(
        422,
        "round_incomplete",
        format!(
            "批次信息不完整，不能发布：{} / the round is incomplete: {}",
            zh.join("；"),
            en.join("; ")
        ),
    )
}

fn locked(key: &str) -> AppError {
    let (zh, en) = field_label(key);
    AppError::conflict(
        "round_locked",
        format!(
            "批次已发布，{zh}不能再修改 / the round is published: its {en} can no longer change"
        ),
    )
}

impl Settings {
    /// A stored round's settings.
    pub fn of(round: &store::Round) -> AppResult<Settings> {
        let json = |text: &str| -> AppResult<serde_json::Value> {
            serde_json::from_str(text).map_err(AppError::internal)
        };
        Ok(Settings {
            name: round.name.clone(),
            reference_year: round
                .reference_year
                .map(|y| i32::try_from(y).map_err(AppError::internal))
                .transpose()?,
            cutoff: date(round.cutoff.as_deref())?,
            opens_on: date(round.opens_on.as_deref())?,
            closes_on: date(round.closes_on.as_deref())?,
            county_deadline: date(round.county_deadline.as_deref())?,
            city_deadline: date(round.city_deadline.as_deref())?,
            aggregation: Aggregation::parse(&round.aggregation)
                .ok_or_else(|| AppError::internal(format!("round {} aggregation", round.id)))?,
            divergence_ratio: round
                .divergence_ratio
                .as_deref()
                .map(|r| Decimal::from_str(r).map_err(AppError::internal))
                .transpose()?,
            params: params(round)?.into_iter().collect(),
            request_optional_materials: round.request_optional_materials != 0,
            materials: serde_json::from_value(json(&round.materials)?)
                .map_err(AppError::internal)?,
            chain: round
                .chain
                .as_deref()
                .map(|c| serde_json::from_str(c).map_err(AppError::internal))
                .transpose()?,
            notice: round.notice.clone(),
            contact_office: round.contact_office.clone(),
            contact_phone: round.contact_phone.clone(),
            show_reviewer_names: round.show_reviewer_names != 0,
        })
    }

    /// The settings as storage writes them.
    pub fn fields(&self) -> store::RoundFields {
        let date = |d: Option<NaiveDate>| d.map(|d| d.format("%Y-%m-%d").to_string());
        store::RoundFields {
            name: self.name.clone(),
            reference_year: self.reference_year.map(i64::from),
            cutoff: date(self.cutoff),
            opens_on: date(self.opens_on),
            closes_on: date(self.closes_on),
            county_deadline: date(self.county_deadline),
            city_deadline: date(self.city_deadline),
            aggregation: aggregation_id(self.aggregation).to_owned(),
            divergence_ratio: self.divergence_ratio.map(|r| r.to_string()),
            params: serde_json::to_string(&self.params).unwrap_or_else(|_| "{}".into()),
            request_optional_materials: self.request_optional_materials,
            materials: serde_json::to_string(&self.materials).unwrap_or_else(|_| "[]".into()),
            chain: self
                .chain
                .as_ref()
                .map(|c| serde_json::to_string(c).unwrap_or_default()),
            notice: self.notice.clone(),
            contact_office: self.contact_office.clone(),
            contact_phone: self.contact_phone.clone(),
            show_reviewer_names: self.show_reviewer_names,
        }
    }
}

/// A stored round as shown; `missing` only for its authority.
fn view_of(state: &AppState, round: store::Round, with_missing: bool) -> AppResult<RoundView> {
    let settings = Settings::of(&round)?;
    let today = state.today();
    let window = window(&round, today)?;
    let (days_left, days_to_open) = match window {
        Window::Open { closes } => (Some((closes - today).num_days()), None),
        Window::NotYet { opens } => (None, Some((opens - today).num_days())),
        _ => (None, None),
    };
    let missing = match state
        .catalog
        .schemes
        .iter()
        .find(|s| s.id == round.scheme_id)
    {
        Some(scheme) if with_missing && round.published_at.is_none() => missing(scheme, &settings)
            .into_iter()
            .map(|(zh, en)| format!("{zh} / {en}"))
            .collect(),
        _ => Vec::new(),
    };
    Ok(RoundView {
        id: round.id,
        scheme_id: round.scheme_id.clone(),
        region_id: round.region_id,
        region_name: round.region_name.clone(),
        name: round.name.clone(),
        reference_year: settings.reference_year,
        cutoff: round.cutoff.clone(),
        opens_on: round.opens_on.clone(),
        closes_on: round.closes_on.clone(),
        county_deadline: round.county_deadline.clone(),
        city_deadline: round.city_deadline.clone(),
        aggregation: round.aggregation.clone(),
        divergence_ratio: settings.divergence_ratio.map(|r| r.to_string()),
        params: settings.params.clone(),
        request_optional_materials: settings.request_optional_materials,
        materials: settings.materials.clone(),
        chain: settings.chain.clone(),
        notice: round.notice.clone(),
        contact_office: round.contact_office.clone(),
        contact_phone: round.contact_phone.clone(),
        show_reviewer_names: settings.show_reviewer_names,
        status: status_of(window),
        published_at: round.published_at,
        days_left,
        days_to_open,
        missing,
        settings,
        record: round,
    })
}

/// The rounds of the caller's office, drafts included, newest first.
pub async fn authority_rounds(state: &AppState, actor: &Actor) -> AppResult<Vec<RoundView>> {
    let region = authority_region(state, actor).await?;
    store::rounds_within(&state.db, &region.path)
        .await?
        .into_iter()
        .filter(|round| round.region_id == region.id)
        .map(|round| view_of(state, round, true))
        .collect()
}

/// A round of the caller's office; any other round, and any round for anyone else, is not
/// found.
pub async fn authority_round(state: &AppState, actor: &Actor, id: i64) -> AppResult<RoundView> {
    let region = authority_region(state, actor).await?;
    let round = store::round(&state.db, id)
        .await?
        .filter(|round| round.region_id == region.id)
        .ok_or_else(AppError::not_found)?;
    view_of(state, round, true)
}

/// Published rounds for the public notices, newest first.
pub async fn public_rounds(state: &AppState) -> AppResult<Vec<RoundView>> {
    store::published_rounds(&state.db)
        .await?
        .into_iter()
        .map(|round| view_of(state, round, false))
        .collect()
}

/// A published round's notice; a draft is not found.
pub async fn public_round(state: &AppState, id: i64) -> AppResult<RoundView> {
    let round = store::round(&state.db, id)
        .await?
        .filter(|round| round.published_at.is_some())
        .ok_or_else(AppError::not_found)?;
    view_of(state, round, false)
}

/// Drafts a round of `input.scheme` in the caller's region, which must be the level that runs
/// the scheme's rounds. Its name defaults to the batch's ([`suggested_names`]).
pub async fn create(state: &AppState, actor: &Actor, input: &RoundInput) -> AppResult<i64> {
    let region = authority_region(state, actor).await?;
    let scheme_id = input.scheme.as_deref().unwrap_or_default().trim();
    if scheme_id.is_empty() {
        return Err(AppError::invalid("请选择评价方案 / scheme required"));
    }
    let scheme = scheme_of(state, scheme_id)?;
    let level = scheme.chain.as_ref().and_then(organizer_level);
    if level != Some(region.level.as_str()) {
        let office = match level {
            Some("province") => ("省级主管部门", "a provincial office"),
            Some("city") => ("设区市主管部门", "a city office"),
            Some("county") => ("县（市、区）主管部门", "a county office"),
            _ => ("相应主管部门", "another office"),
        };
        return Err(AppError::forbidden(format!(
            "「{}」的批次由{}组织 / rounds of this scheme are run by {}",
            scheme.title, office.0, office.1
        )));
    }
    let settings = Settings::new_for(scheme, state.today())
        .apply(scheme, input)
        .map_err(refused_input)?;
    if settings.name.is_empty() {
        return Err(AppError::invalid("批次名称不能为空 / name required"));
    }
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let id = store::insert_round(
        &mut tx,
        &scheme.id,
        region.id,
        &settings.fields(),
        actor.user.id,
        now,
    )
    .await?;
    store::audit(
        &mut tx,
        Some(actor.user.id),
        "round_created",
        &format!("round:{id}"),
        &format!("{} {}", scheme.id, settings.name),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Changes a round of the caller's office. A draft changes freely; once published, only what
/// cannot change a grade already assessed moves (deadlines, a later closing date, notice and
/// contact: [`EDITABLE_WHEN_PUBLISHED`]), and the round must stay complete. Every change is
/// audited with its old and new value.
pub async fn update(state: &AppState, actor: &Actor, id: i64, input: &RoundInput) -> AppResult<()> {
    let region = authority_region(state, actor).await?;
    if input.scheme.is_some() {
        return Err(AppError::invalid(
            "批次的评价方案不能修改 / a round's scheme does not change",
        ));
    }
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let round = store::lock_round(&mut tx, id)
        .await?
        .filter(|round| round.region_id == region.id)
        .ok_or_else(AppError::not_found)?;
    let scheme = scheme_of(state, &round.scheme_id)?;
    let old = Settings::of(&round)?;
    let new = old.apply(scheme, input).map_err(refused_input)?;
    if new.name.is_empty() {
        return Err(AppError::invalid("批次名称不能为空 / name required"));
    }
    let changes = old.changes(&new);
    if changes.is_empty() {
        return Ok(());
    }
    if round.published_at.is_some() {
        if let Some((key, _, _)) = changes
            .iter()
            .find(|(key, _, _)| !EDITABLE_WHEN_PUBLISHED.contains(key))
        {
            return Err(locked(key));
        }
        if let (Some(old_close), Some(new_close)) = (old.closes_on, new.closes_on)
            && new_close < old_close
        {
            return Err(AppError::conflict(
                "round_locked",
                format!(
                    "批次已发布，截止申报日期只能推后（现为 {old_close}） / the round is published: its closing date can only move later (now {old_close})"
                ),
            ));
        }
        let missing = missing(scheme, &new);
        if !missing.is_empty() {
            return Err(incomplete(&missing));
        }
    }
    store::update_round(&mut tx, id, &new.fields(), now).await?;
    let details = changes
        .iter()
        .map(|(key, old, new)| format!("{key}: {old} → {new}"))
        .collect::<Vec<_>>()
        .join("; ");
    store::audit(
        &mut tx,
        Some(actor.user.id),
        "round_updated",
        &format!("round:{id}"),
        &details,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Publishes a complete draft of the caller's office: its notice is public from now on.
pub async fn publish(state: &AppState, actor: &Actor, id: i64) -> AppResult<()> {
    let region = authority_region(state, actor).await?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let round = store::lock_round(&mut tx, id)
        .await?
        .filter(|round| round.region_id == region.id)
        .ok_or_else(AppError::not_found)?;
    if round.published_at.is_some() {
        return Err(AppError::conflict(
            "already_published",
            "批次已发布 / the round is already published",
        ));
    }
    let scheme = scheme_of(state, &round.scheme_id)?;
    let missing = missing(scheme, &Settings::of(&round)?);
    if !missing.is_empty() {
        return Err(incomplete(&missing));
    }
    if !store::publish_round(&mut tx, id, now).await? {
        return Err(AppError::conflict(
            "already_published",
            "批次已发布 / the round is already published",
        ));
    }
    store::audit(
        &mut tx,
        Some(actor.user.id),
        "round_published",
        &format!("round:{id}"),
        &round.name,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
