//! The round pages: the authority's list, a new round, a round with its checklist before
//! publication, its edit form and publication; and the public 申报通知 (signed out).

use super::charts::{self, Bar, Spread};
use super::{PageActor, form_value, parse_form, serde_value, tr};
use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::http::extract::{MaybeActor, cookie, set_cookie};
use crate::services::panel;
use crate::services::rounds::{self, RoundInput, RoundView, Settings};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use minijinja::{Value, context};
use pingjia_core::scheme::{Method, Need, Requirement, Scheme, Section, Test};
use pingjia_core::workflow::{Chain, Office};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/rounds", get(list))
        .route("/rounds/new", get(new_page).post(create))
        .route("/rounds/{id}", get(show))
        .route("/rounds/{id}/edit", get(edit_page).post(save))
        .route("/rounds/{id}/publish", post(publish))
        .route("/rounds/{id}/analytics", get(panel_page))
        .route("/notices", get(notices))
        .route("/notices/rounds/{id}", get(notice))
}

/// Notices shown after a round's form succeeded (`?notice=`).
fn notice_text(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "round_created" => "批次草稿已创建",
        "round_saved" => "批次已保存",
        "round_published" => "批次已发布，申报通知已公开",
        _ => return None,
    })
}

/// Strings this module shows that no template names.
#[cfg(test)]
pub const LABELS: &[&str] = &[
    "批次草稿已创建",
    "批次已保存",
    "批次已发布，申报通知已公开",
    "草稿",
    "已发布",
    "申报中",
    "已截止",
    "平均分",
    "去掉一个最高分和一个最低分后平均",
    "方案规定",
    "自定义（JSON）",
    "县（市、区）初审推荐",
    "县（市、区）初审，设区市审核推荐",
    "直接推荐的地区：{}",
    "{} 版",
];

// --- the authority's pages --------------------------------------------------------------------

async fn list(
    State(state): State<AppState>,
    page: PageActor,
    Query(query): Query<NoticeQuery>,
) -> AppResult<Response> {
    let rows = rounds::authority_rounds(&state, &page.actor).await?;
    let rows: Vec<Value> = rows
        .iter()
        .map(|view| summary(&state, view, page.lang))
        .collect();
    page.render(
        "rounds.html",
        "rounds",
        context! { rows => rows, notice => notice_text(query.notice.as_deref()) },
    )
}

#[derive(Debug, Deserialize)]
struct NoticeQuery {
    notice: Option<String>,
}

#[derive(Debug, Deserialize)]
struct NewQuery {
    scheme: Option<String>,
}

async fn new_page(
    State(state): State<AppState>,
    page: PageActor,
    Query(query): Query<NewQuery>,
) -> AppResult<Response> {
    let schemes = rounds::schemes_for(&state, &page.actor).await?;
    let chosen = query
        .scheme
        .as_deref()
        .and_then(|id| schemes.iter().find(|s| s.id == id));
    let Some(scheme) = chosen else {
        let options: Vec<Value> = schemes
            .iter()
            .map(|s| {
                context! {
                    id => s.id.clone(),
                    short => super::applications::short_title(s),
                    title => s.title.clone(),
                    version => super::applications::version_label(page.lang, &s.version),
                    document => s.document.clone(),
                }
            })
            .collect();
        return page.render("round_new.html", "rounds", context! { schemes => options });
    };
    let settings = Settings::new_for(scheme, state.today());
    render_form(
        &state,
        &page,
        scheme,
        None,
        FormValues::of(scheme, &settings),
        None,
        StatusCode::OK,
    )
    .await
}

async fn create(
    State(state): State<AppState>,
    page: PageActor,
    body: String,
) -> AppResult<Response> {
    let pairs = parse_form(&body);
    page.check_csrf(form_value(&pairs, "csrf"))?;
    let scheme_id = form_value(&pairs, "scheme");
    let scheme = rounds::schemes_for(&state, &page.actor)
        .await?
        .into_iter()
        .find(|s| s.id == scheme_id)
        .ok_or_else(AppError::not_found)?;
    let mut input = input_of(&pairs, scheme);
    input.scheme = Some(scheme.id.clone());
    match rounds::create(&state, &page.actor, &input).await {
        Ok(id) => Ok(Redirect::to(&format!("/rounds/{id}?notice=round_created")).into_response()),
        Err(error) if error.status == 422 => {
            let mut values = FormValues::of(scheme, &Settings::new_for(scheme, state.today()));
            values.overlay(&pairs);
            render_form(
                &state,
                &page,
                scheme,
                None,
                values,
                Some(&error),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(error) => Err(error),
    }
}

async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    page: PageActor,
    Path(id): Path<i64>,
    Query(query): Query<NoticeQuery>,
) -> AppResult<Response> {
    let view = rounds::authority_round(&state, &page.actor, id).await?;
    let flash = take_flash(&headers, id);
    let missing: Vec<String> = view
        .missing
        .iter()
        .map(|m| super::message_in(page.lang, m))
        .collect();
    let mut response = page.render(
        "round.html",
        "rounds",
        context! {
            r => facts(&state, &view, &region_names(&state).await?, page.lang),
            missing => missing,
            notice => notice_text(query.notice.as_deref()),
            flash => flash.clone(),
        },
    )?;
    if flash.is_some() {
        let clear = set_cookie(&state, &headers, FLASH_COOKIE, "", 0);
        if let Ok(value) = clear.parse() {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    Ok(response)
}

/// The analytics of the round's expert panel, with charts beside the tables.
async fn panel_page(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let analytics = panel::of_round(&state, &page.actor, id).await?;
    let spreads: Vec<Spread> = analytics
        .divergent
        .iter()
        .map(|d| Spread {
            label: format!("#{} {}", d.application_id, d.label),
            scores: d.scores.iter().map(|s| panel::as_f64(&s.score)).collect(),
            maximum: panel::as_f64(&d.max),
            flagged: true,
        })
        .collect();
    let bars: Vec<Bar> = analytics
        .deviations
        .iter()
        .map(|d| Bar {
            label: d.name.clone(),
            value: d.mean_signed,
            flagged: d.mean_signed.abs() >= 1.0,
        })
        .collect();
    let spreads_svg = (!spreads.is_empty()).then(|| {
        charts::spreads(
            tr(page.lang, "分歧的评分"),
            tr(
                page.lang,
                "每行一项存在分歧的评分：横线为最低分到最高分，圆点为各专家评分，右侧为极差与满分",
            ),
            &spreads,
        )
    });
    let deviations_svg = (!bars.is_empty()).then(|| {
        charts::bars(
            tr(page.lang, "专家评分偏差"),
            tr(
                page.lang,
                "每位专家相对其他专家的平均偏差（分），向右为偏高，向左为偏低",
            ),
            &bars,
            1.0,
        )
    });
    let ratio_percent = (analytics.divergence_ratio.parse::<rust_decimal::Decimal>())
        .map(|ratio| {
            (ratio * rust_decimal::Decimal::ONE_HUNDRED)
                .normalize()
                .to_string()
        })
        .unwrap_or_default();
    page.render(
        "round_panel.html",
        "rounds",
        context! {
            p => serde_value(&analytics),
            ratio_percent => ratio_percent,
            spreads_svg => spreads_svg,
            deviations_svg => deviations_svg,
        },
    )
}

async fn edit_page(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let view = rounds::authority_round(&state, &page.actor, id).await?;
    let scheme = scheme(&state, &view.scheme_id)?;
    render_form(
        &state,
        &page,
        scheme,
        Some(&view),
        FormValues::of(scheme, &view.settings),
        None,
        StatusCode::OK,
    )
    .await
}

async fn save(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<i64>,
    body: String,
) -> AppResult<Response> {
    let pairs = parse_form(&body);
    page.check_csrf(form_value(&pairs, "csrf"))?;
    let view = rounds::authority_round(&state, &page.actor, id).await?;
    let scheme = scheme(&state, &view.scheme_id)?;
    let input = input_of(&pairs, scheme);
    match rounds::update(&state, &page.actor, id, &input).await {
        Ok(()) => Ok(Redirect::to(&format!("/rounds/{id}?notice=round_saved")).into_response()),
        Err(error) if matches!(error.status, 409 | 422) => {
            let mut values = FormValues::of(scheme, &view.settings);
            values.overlay(&pairs);
            render_form(
                &state,
                &page,
                scheme,
                Some(&view),
                values,
                Some(&error),
                StatusCode::from_u16(error.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY),
            )
            .await
        }
        Err(error) => Err(error),
    }
}

async fn publish(
    State(state): State<AppState>,
    headers: HeaderMap,
    page: PageActor,
    Path(id): Path<i64>,
    body: String,
) -> AppResult<Response> {
    let pairs = parse_form(&body);
    page.check_csrf(form_value(&pairs, "csrf"))?;
    match rounds::publish(&state, &page.actor, id).await {
        Ok(()) => Ok(Redirect::to(&format!("/rounds/{id}?notice=round_published")).into_response()),
        Err(error) if matches!(error.status, 409 | 422) => {
            // Redirect after post: the round's page shows why, once.
            let message: String = super::message_in(page.lang, &error.message)
                .chars()
                .take(1000)
                .collect();
            let value = super::percent_encode(&format!("{id}|{message}"));
            let cookie = set_cookie(&state, &headers, FLASH_COOKIE, &value, 120);
            Ok((
                [(header::SET_COOKIE, cookie)],
                Redirect::to(&format!("/rounds/{id}")),
            )
                .into_response())
        }
        Err(error) => Err(error),
    }
}

/// The cookie that carries a refused publication's reason to the round's page:
/// `<round id>|<message in the page's language>`, percent-encoded, two minutes, shown once.
const FLASH_COOKIE: &str = "round_flash";

fn take_flash(headers: &HeaderMap, id: i64) -> Option<String> {
    let text = super::percent_decode(cookie(headers, FLASH_COOKIE)?);
    let (round, message) = text.split_once('|')?;
    (round == id.to_string()).then(|| message.to_owned())
}

// --- the public notice ------------------------------------------------------------------------

/// The layout context of a page anyone may open: the signed-in user's, or the language only.
async fn public_base(
    state: &AppState,
    actor: Option<crate::services::actor::Actor>,
    headers: &HeaderMap,
) -> AppResult<Value> {
    let lang = super::language(headers);
    Ok(match actor {
        Some(actor) => {
            let unread = crate::services::notifications::unread(state, &actor).await?;
            PageActor {
                actor,
                lang,
                unread,
            }
            .base("notices")
        }
        None => context! { lang => lang },
    })
}

async fn notices(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeActor(actor): MaybeActor,
) -> AppResult<Response> {
    let lang = super::language(&headers);
    let rows: Vec<Value> = rounds::public_rounds(&state)
        .await?
        .iter()
        .map(|view| summary(&state, view, lang))
        .collect();
    let html = super::render(
        "notices.html",
        context! { rows => rows, ..public_base(&state, actor, &headers).await? },
    )?;
    Ok(html.into_response())
}

async fn notice(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeActor(actor): MaybeActor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let lang = super::language(&headers);
    let view = rounds::public_round(&state, id).await?;
    let html = super::render(
        "notice.html",
        context! { r => facts(&state, &view, &region_names(&state).await?, lang), ..public_base(&state, actor, &headers).await? },
    )?;
    Ok(html.into_response())
}

// --- what the pages show of a round -----------------------------------------------------------

fn scheme<'a>(state: &'a AppState, id: &str) -> AppResult<&'a Scheme> {
    state
        .catalog
        .schemes
        .iter()
        .find(|s| s.id == id)
        .ok_or_else(AppError::not_found)
}

/// A round in a list.
fn summary(state: &AppState, view: &RoundView, lang: &str) -> Value {
    let scheme = state
        .catalog
        .schemes
        .iter()
        .find(|s| s.id == view.scheme_id);
    context! {
        id => view.id,
        name => view.name.clone(),
        scheme_title => scheme.map_or_else(|| view.scheme_id.clone(), |s| s.title.clone()),
        scheme_short => scheme.map_or_else(|| view.scheme_id.clone(), super::applications::short_title),
        region => view.region_name.clone(),
        opens_on => view.opens_on.clone(),
        closes_on => view.closes_on.clone(),
        status => view.status,
        status_label => rounds::status_label(view.status),
        lang => lang,
    }
}

/// A round's facts for its page and its notice (`round_facts.html`).
fn facts(state: &AppState, view: &RoundView, names: &Names, lang: &str) -> Value {
    let Some(scheme) = state
        .catalog
        .schemes
        .iter()
        .find(|s| s.id == view.scheme_id)
    else {
        return summary(state, view, lang);
    };
    let settings = &view.settings;
    let chain = settings.chain_or(scheme);
    let (first_zh, first_en) = rounds::first_level_label(chain);
    let mut deadlines = vec![context! {
        label => if lang == "en" { capitalized(&first_en) } else { first_zh },
        date => view.county_deadline.clone(),
    }];
    if chain.is_some_and(|c| c.levels.len() > 1) {
        deadlines.push(context! {
            label => tr(lang, "设区市审核推荐截止日期"),
            date => view.city_deadline.clone(),
        });
    }
    let round = rounds::engine_round(scheme, &view.record)
        .unwrap_or_else(|_| pingjia_core::engine::Round::from_scheme(scheme));
    let clauses = parameter_clauses(scheme);
    let params: Vec<Value> = scheme
        .parameters
        .iter()
        .enumerate()
        .map(|(index, p)| {
            context! {
                id => p.id.clone(),
                label => p.label.clone(),
                label_en => p.label_en.clone(),
                clause => clauses[index].clone(),
                display => settings
                    .params
                    .contains_key(&p.id)
                    .then(|| round.params[index].map(|v| p.unit.display(v)))
                    .flatten(),
            }
        })
        .collect();
    let mut materials: Vec<Value> = scheme
        .criteria
        .iter()
        .filter(|c| c.section == Section::Material)
        .filter(|c| !c.optional || settings.request_optional_materials)
        .map(|c| context! { label => c.label.clone(), clause => c.clause.clone() })
        .collect();
    materials.extend(
        settings
            .materials
            .iter()
            .map(|m| context! { label => m.clone(), clause => Value::UNDEFINED }),
    );
    let who: Vec<Value> = if !scheme.provider_types.is_empty() {
        scheme
            .provider_types
            .iter()
            .map(|t| context! { title => t.title.clone(), clause => t.clause.clone() })
            .collect()
    } else if !scheme.parts.is_empty() {
        scheme
            .parts
            .iter()
            .map(|p| context! { title => p.title.clone(), clause => p.clause.clone() })
            .collect()
    } else {
        vec![context! { title => scheme.title.clone(), clause => scheme.clause.clone() }]
    };
    context! {
        id => view.id,
        name => view.name.clone(),
        status => view.status,
        status_label => rounds::status_label(view.status),
        published => view.published_at.is_some(),
        scheme_title => scheme.title.clone(),
        scheme_version => super::applications::version_label(lang, &scheme.version),
        document => scheme.document.clone(),
        region => view.region_name.clone(),
        reference_year => view.reference_year,
        cutoff => view.cutoff.clone(),
        chain_label => chain.map(|c| chain_label(c, names, lang)).unwrap_or_default(),
        rubric => scheme.method == Method::Rubric,
        aggregation_label => aggregation_label(&view.aggregation),
        divergence_ratio => view.divergence_ratio.clone(),
        opens_on => view.opens_on.clone(),
        closes_on => view.closes_on.clone(),
        days_left => view.days_left,
        days_to_open => view.days_to_open,
        deadlines => deadlines,
        params => params,
        materials => materials,
        notice => view.notice.clone(),
        notice_lines => view.notice.lines().filter(|l| !l.trim().is_empty()).map(str::to_owned).collect::<Vec<_>>(),
        contact_office => view.contact_office.clone(),
        contact_phone => view.contact_phone.clone(),
        show_reviewer_names => view.show_reviewer_names,
        who => who,
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

fn aggregation_label(id: &str) -> &'static str {
    if id == "trimmed_mean" {
        "去掉一个最高分和一个最低分后平均"
    } else {
        "平均分"
    }
}

/// 「县（市、区）主管部门 → 设区市主管部门 → 省级主管部门」 in the page's language.
fn chain_label(chain: &Chain, names: &Names, lang: &str) -> String {
    let name = |office: Office| {
        if lang == "en" {
            office.label_en()
        } else {
            office.label_zh()
        }
    };
    let mut text = chain
        .levels
        .iter()
        .chain(std::iter::once(&chain.authority))
        .map(|o| name(*o))
        .collect::<Vec<_>>()
        .join(" → ");
    if !chain.direct.is_empty() {
        text.push_str(if lang == "en" { "; " } else { "；" });
        let direct: Vec<&str> = chain
            .direct
            .iter()
            .map(|code| names.get(code).map_or(code.as_str(), String::as_str))
            .collect();
        text.push_str(&tr(lang, "直接推荐的地区：{}").replacen("{}", &direct.join("、"), 1));
    }
    text
}

/// Region names by code, for the regions a chain names.
type Names = BTreeMap<String, String>;

async fn region_names(state: &AppState) -> AppResult<Names> {
    Ok(crate::services::organizations::regions(state)
        .await?
        .into_iter()
        .map(|region| (region.code, region.name))
        .collect())
}

/// The clauses of the criteria that use each parameter of the scheme, in the scheme's order.
fn parameter_clauses(scheme: &Scheme) -> Vec<String> {
    fn uses(criterion: &pingjia_core::scheme::Criterion, found: &mut Vec<usize>) {
        let from = |requirements: &[Option<Requirement>], found: &mut Vec<usize>| {
            for requirement in requirements.iter().flatten() {
                if let Requirement::AtLeast(Need::Param(p)) = requirement {
                    found.push(*p);
                }
            }
        };
        match &criterion.test {
            Test::Levels { requirements, .. } => from(requirements, found),
            Test::AnyOf { alternatives } => {
                for alternative in alternatives {
                    from(&alternative.requirements, found);
                }
            }
            Test::Records {
                count, conditions, ..
            } => {
                if let Need::Param(p) = count {
                    found.push(*p);
                }
                for condition in conditions {
                    uses(condition, found);
                }
            }
            _ => {}
        }
    }
    let mut clauses: Vec<Vec<String>> = vec![Vec::new(); scheme.parameters.len()];
    for criterion in &scheme.criteria {
        let mut found = Vec::new();
        uses(criterion, &mut found);
        for p in found {
            if let Some(list) = clauses.get_mut(p)
                && !list.contains(&criterion.clause)
            {
                list.push(criterion.clause.clone());
            }
        }
    }
    clauses.into_iter().map(|c| c.join("、")).collect()
}

// --- the form -----------------------------------------------------------------------------------

/// The form's fields as text: from a round's settings, with what was typed laid over them
/// after a refusal.
#[derive(Debug, Clone, Serialize)]
struct FormValues {
    name: String,
    reference_year: String,
    cutoff: String,
    opens_on: String,
    closes_on: String,
    county_deadline: String,
    city_deadline: String,
    aggregation: String,
    divergence_ratio: String,
    params: Vec<ParamValue>,
    request_optional_materials: bool,
    materials: String,
    /// `scheme`, a preset's id, or `custom`.
    chain: String,
    chain_json: String,
    notice: String,
    contact_office: String,
    contact_phone: String,
    show_reviewer_names: bool,
}

#[derive(Debug, Clone, Serialize)]
struct ParamValue {
    id: String,
    label: String,
    label_en: String,
    unit: String,
    clause: String,
    value: String,
}

impl FormValues {
    fn of(scheme: &Scheme, settings: &Settings) -> FormValues {
        let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        let clauses = parameter_clauses(scheme);
        let (chain, chain_json) = match &settings.chain {
            None => ("scheme".to_owned(), String::new()),
            Some(own) => match chain_presets(scheme).into_iter().find(|(_, _, c)| c == own) {
                Some((id, _, _)) => (id.to_owned(), String::new()),
                None => (
                    "custom".to_owned(),
                    serde_json::to_string(own).unwrap_or_default(),
                ),
            },
        };
        FormValues {
            name: settings.name.clone(),
            reference_year: settings
                .reference_year
                .map(|y| y.to_string())
                .unwrap_or_default(),
            cutoff: date(settings.cutoff),
            opens_on: date(settings.opens_on),
            closes_on: date(settings.closes_on),
            county_deadline: date(settings.county_deadline),
            city_deadline: date(settings.city_deadline),
            aggregation: rounds::aggregation_id(settings.aggregation).to_owned(),
            divergence_ratio: settings
                .divergence_ratio
                .map(|r| r.to_string())
                .unwrap_or_default(),
            params: scheme
                .parameters
                .iter()
                .enumerate()
                .map(|(index, p)| ParamValue {
                    id: p.id.clone(),
                    label: p.label.clone(),
                    label_en: p.label_en.clone(),
                    unit: p.unit.to_string(),
                    clause: clauses[index].clone(),
                    value: settings.params.get(&p.id).cloned().unwrap_or_default(),
                })
                .collect(),
            request_optional_materials: settings.request_optional_materials,
            materials: settings.materials.join("\n"),
            chain,
            chain_json,
            notice: settings.notice.clone(),
            contact_office: settings.contact_office.clone(),
            contact_phone: settings.contact_phone.clone(),
            show_reviewer_names: settings.show_reviewer_names,
        }
    }

    /// Lays what was typed over the values (fields that were posted only).
    fn overlay(&mut self, pairs: &[(String, String)]) {
        let posted = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        for (key, slot) in [
            ("name", &mut self.name),
            ("reference_year", &mut self.reference_year),
            ("cutoff", &mut self.cutoff),
            ("opens_on", &mut self.opens_on),
            ("closes_on", &mut self.closes_on),
            ("county_deadline", &mut self.county_deadline),
            ("city_deadline", &mut self.city_deadline),
            ("aggregation", &mut self.aggregation),
            ("divergence_ratio", &mut self.divergence_ratio),
            ("materials", &mut self.materials),
            ("chain", &mut self.chain),
            ("chain_json", &mut self.chain_json),
            ("notice", &mut self.notice),
            ("contact_office", &mut self.contact_office),
            ("contact_phone", &mut self.contact_phone),
        ] {
            if let Some(value) = posted(key) {
                *slot = value;
            }
        }
        for param in &mut self.params {
            if let Some(value) = posted(&format!("param:{}", param.id)) {
                param.value = value;
            }
        }
        if posted("optional_materials_shown").is_some() {
            self.request_optional_materials = posted("request_optional_materials").is_some();
        }
        if posted("reviewer_names_shown").is_some() {
            self.show_reviewer_names = posted("show_reviewer_names").is_some();
        }
    }
}

/// The review chains offered besides the scheme's own, with the scheme's authority: for a
/// provincial authority the county alone, or county and city without direct regions. Presets
/// equal to the scheme's chain are left out.
fn chain_presets(scheme: &Scheme) -> Vec<(&'static str, &'static str, Chain)> {
    let Some(own) = &scheme.chain else {
        return Vec::new();
    };
    let mut presets = Vec::new();
    if own.authority > Office::County && own.authority != Office::Nation {
        presets.push((
            "county",
            "县（市、区）初审推荐",
            Chain {
                levels: vec![Office::County],
                authority: own.authority,
                direct: Vec::new(),
                clause: String::new(),
            },
        ));
    }
    if own.authority == Office::Province {
        presets.push((
            "county_city",
            "县（市、区）初审，设区市审核推荐",
            Chain {
                levels: vec![Office::County, Office::City],
                authority: own.authority,
                direct: Vec::new(),
                clause: String::new(),
            },
        ));
    }
    presets.retain(|(_, _, chain)| chain.levels != own.levels || chain.direct != own.direct);
    presets
}

/// The form's fields as the service's input. A field that was not posted (a disabled input
/// of a published round) is left out, so it keeps its value.
fn input_of(pairs: &[(String, String)], scheme: &Scheme) -> RoundInput {
    let posted = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    let params: BTreeMap<String, String> = pairs
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("param:")
                .map(|id| (id.to_owned(), v.clone()))
        })
        .collect();
    let chain = posted("chain").map(|choice| match choice.as_str() {
        "scheme" | "" => String::new(),
        "custom" => posted("chain_json").unwrap_or_default(),
        // A preset: its JSON, checked by the service like any other.
        preset => chain_presets(scheme)
            .into_iter()
            .find(|(id, _, _)| *id == preset)
            .map(|(_, _, chain)| serde_json::to_string(&chain).unwrap_or_default())
            .unwrap_or_else(|| preset.to_owned()),
    });
    RoundInput {
        scheme: None,
        name: posted("name"),
        reference_year: posted("reference_year"),
        cutoff: posted("cutoff"),
        opens_on: posted("opens_on"),
        closes_on: posted("closes_on"),
        county_deadline: posted("county_deadline"),
        city_deadline: posted("city_deadline"),
        aggregation: posted("aggregation"),
        divergence_ratio: posted("divergence_ratio"),
        params: (!params.is_empty()).then_some(params),
        request_optional_materials: posted("optional_materials_shown")
            .map(|_| posted("request_optional_materials").is_some()),
        materials: posted("materials").map(|text| text.lines().map(str::to_owned).collect()),
        chain,
        notice: posted("notice"),
        contact_office: posted("contact_office"),
        contact_phone: posted("contact_phone"),
        show_reviewer_names: posted("reviewer_names_shown")
            .map(|_| posted("show_reviewer_names").is_some()),
    }
}

async fn render_form(
    state: &AppState,
    page: &PageActor,
    scheme: &Scheme,
    view: Option<&RoundView>,
    values: FormValues,
    error: Option<&AppError>,
    status: StatusCode,
) -> AppResult<Response> {
    let lang = page.lang;
    let names = region_names(state).await?;
    let names = &names;
    let settings_chain = view.and_then(|v| v.settings.chain.as_ref());
    let chain = settings_chain.or(scheme.chain.as_ref());
    let mut chains = vec![context! {
        value => "scheme",
        label => format!(
            "{}：{}",
            tr(lang, "方案规定"),
            scheme.chain.as_ref().map(|c| chain_label(c, names, lang)).unwrap_or_default()
        ),
    }];
    for (id, label, preset) in chain_presets(scheme) {
        chains.push(context! {
            value => id,
            label => format!("{}：{}", tr(lang, label), chain_label(&preset, names, lang)),
        });
    }
    chains.push(context! { value => "custom", label => tr(lang, "自定义（JSON）") });
    let (first_zh, first_en) = rounds::first_level_label(chain);
    let first_level = if lang == "en" {
        capitalized(first_en.trim_end_matches(" deadline"))
    } else {
        first_zh.trim_end_matches("截止日期").to_owned()
    };
    let optional_materials: Vec<String> = scheme
        .criteria
        .iter()
        .filter(|c| c.section == Section::Material && c.optional)
        .map(|c| c.label.clone())
        .collect();
    let (message, problems) = match error {
        Some(error) => {
            let text = super::message_in(lang, &error.message);
            let separator = if lang == "en" { "; " } else { "；" };
            let mut items: Vec<String> = text.split(separator).map(str::to_owned).collect();
            if items.len() > 1 {
                let first = items.remove(0);
                (Some(first), items)
            } else {
                (Some(text), Vec::new())
            }
        }
        None => (None, Vec::new()),
    };
    let round_id = view.map(|v| v.id);
    page.render_with_status(
        status,
        "round_form.html",
        "rounds",
        context! {
            round_id => round_id,
            action => round_id.map_or_else(|| "/rounds/new".to_owned(), |id| format!("/rounds/{id}/edit")),
            locked => view.is_some_and(|v| v.published_at.is_some()),
            scheme => context! {
                id => scheme.id.clone(),
                title => scheme.title.clone(),
                version => super::applications::version_label(lang, &scheme.version),
                document => scheme.document.clone(),
                uses_reference_year => rounds::uses_reference_year(scheme),
                two_levels => chain.is_some_and(|c| c.levels.len() > 1),
                rubric => scheme.method == Method::Rubric,
                optional_materials => optional_materials,
            },
            first_level => first_level,
            suggestions => if view.is_none() { rounds::suggested_names(scheme, state.today()) } else { Vec::new() },
            chains => chains,
            f => serde_value(&values),
            error => message,
            problems => problems,
        },
    )
}
