//! The authority's pages of the resource pool (资源池管理): `/pool` (its members, filters,
//! paging), `/pool/{id}` (a member's history, spot checks with their files and bars, the spot
//! check and revocation forms), `/pool/bars` (bars it recorded) and `/pool/legacy` (existing
//! members and their 1-year deadline, with the import form); over `services::lifecycle`, like
//! the API. Another authority's member is not found.

use super::{PageActor, form_value, message_in, page_count, paging, parse_form, query_string};
use super::{refusal_status as status, refused_at_form as shown, serde_value, tr};
use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::http::api_pool::read_spot_check_form;
use crate::services::lifecycle::{
    self, BarQuery, LegacyImport, MemberQuery, RevocationInput, STATUSES,
};
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use minijinja::context;
use serde::{Deserialize, Serialize};

/// Members per page.
const PER_PAGE: i64 = 30;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/pool", get(list))
        .route("/pool/bars", get(bars))
        .route("/pool/legacy", get(legacy).post(import_legacy))
        .route("/pool/spot-check-files/{id}", get(spot_check_file))
        .route("/pool/{id}", get(member))
        .route(
            "/pool/{id}/spot-checks",
            post(spot_check).layer(DefaultBodyLimit::disable()),
        )
        .route("/pool/{id}/revocation", post(revoke))
}

/// The notices these pages show after a form (`?notice=`).
pub const NOTICES: &[(&str, &str)] = &[
    ("spot_check", "抽查结果已记录"),
    ("revoked", "已取消资格并记入禁入期"),
    ("imported", "现有单位已导入"),
];

fn notice_of(lang: &str, code: Option<&str>) -> Option<String> {
    let code = code?;
    NOTICES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, text)| tr(lang, text).to_owned())
}

/// The labels of the pool's event kinds and statuses, as the pages show them.
pub const LABELS: &[(&str, &str)] = &[
    ("granted", "入库"),
    ("renewed", "复评续期"),
    ("upgraded", "升级"),
    ("downgraded", "降级"),
    ("expired", "到期退出"),
    ("reminded", "复评提醒"),
    ("spot_check_passed", "抽查合格"),
    ("removed", "除名"),
    ("revoked", "已取消资格"),
    ("pass", "合格"),
    ("downgrade", "降级"),
    ("remove", "除名"),
    ("active", "在池"),
    ("pending", "待评级"),
    ("graded", "已评级"),
];

fn labels() -> minijinja::Value {
    serde_value(
        &LABELS
            .iter()
            .chain(STATUSES)
            .copied()
            .collect::<std::collections::BTreeMap<_, _>>(),
    )
}

// --- the list -------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    status: Option<String>,
    scheme: Option<String>,
    stars: Option<String>,
    q: Option<String>,
    page: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    page: PageActor,
    Query(query): Query<ListQuery>,
) -> AppResult<Response> {
    let paging = paging(query.page.as_deref(), PER_PAGE)?;
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    let service_query = MemberQuery {
        status: query.status.clone(),
        scheme: query.scheme.clone(),
        stars: query.stars.clone(),
        q: query.q.clone(),
        page: Some(paging.number.to_string()),
        per_page: Some(PER_PAGE.to_string()),
    };
    let (listing, list_error, code) =
        match lifecycle::members(&state, &page.actor, &service_query).await {
            Ok(listing) => (Some(listing), None, StatusCode::OK),
            Err(error) if error.status == 422 => (
                None,
                Some(message_in(page.lang, &error.message)),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            Err(error) => return Err(error),
        };
    let total = listing.as_ref().map_or(0, |l| l.total);
    let schemes: Vec<_> = state
        .catalog
        .schemes
        .iter()
        .map(|s| context! { id => s.id.clone(), title => s.title.clone() })
        .collect();
    page.render_with_status(
        code,
        "pool.html",
        "pool",
        context! {
            listing => serde_value(&listing),
            list_error => list_error,
            total => total,
            page_number => paging.number,
            pages => page_count(total, PER_PAGE),
            query => query_string(&[
                ("status", text(&query.status).as_str()),
                ("scheme", text(&query.scheme).as_str()),
                ("stars", text(&query.stars).as_str()),
                ("q", text(&query.q).as_str()),
            ]),
            filter => context! {
                status => text(&query.status), scheme => text(&query.scheme),
                stars => text(&query.stars), q => text(&query.q),
            },
            statuses => serde_value(&STATUSES),
            schemes => schemes,
            labels => labels(),
        },
    )
}

// --- one member -----------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
struct NoticeQuery {
    notice: Option<String>,
}

/// The forms of a member's page as typed, kept when refused.
#[derive(Debug, Default, Clone, Serialize)]
struct CheckForm {
    checked_on: String,
    inspectors: String,
    findings: String,
    outcome: String,
    stars: String,
}

#[derive(Debug, Default, Clone, Serialize)]
struct RevokeForm {
    ground: String,
    found_on: String,
    detail: String,
}

#[derive(Default)]
struct MemberExtras {
    check: Option<CheckForm>,
    check_error: Option<String>,
    revoke: Option<RevokeForm>,
    revoke_error: Option<String>,
}

async fn render_member(
    state: &AppState,
    page: &PageActor,
    id: i64,
    notice: Option<&str>,
    extras: MemberExtras,
    code: StatusCode,
) -> AppResult<Response> {
    let detail = lifecycle::member(state, &page.actor, id).await?;
    let today = state.today().to_string();
    let check = extras.check.unwrap_or_else(|| CheckForm {
        checked_on: today.clone(),
        outcome: "pass".into(),
        ..CheckForm::default()
    });
    let revoke = extras.revoke.unwrap_or_else(|| RevokeForm {
        found_on: today.clone(),
        ..RevokeForm::default()
    });
    page.render_with_status(
        code,
        "pool_member.html",
        "pool",
        context! {
            d => serde_value(&detail),
            notice => notice_of(page.lang, notice),
            check => serde_value(&check),
            check_error => extras.check_error,
            revoke => serde_value(&revoke),
            revoke_error => extras.revoke_error,
            labels => labels(),
            today => today,
        },
    )
}

async fn member(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<i64>,
    Query(query): Query<NoticeQuery>,
) -> AppResult<Response> {
    render_member(
        &state,
        &page,
        id,
        query.notice.as_deref(),
        MemberExtras::default(),
        StatusCode::OK,
    )
    .await
}

/// The spot check form: its fields, its files and the CSRF token in one multipart body.
async fn spot_check(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<i64>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> AppResult<Response> {
    let multipart = multipart.map_err(|_| AppError::invalid("表单格式错误 / malformed form"))?;
    let (input, files, csrf) =
        match read_spot_check_form(multipart, state.config.max_upload_bytes).await {
            Ok(read) => read,
            Err(error) if shown(&error) || error.status == 413 => {
                let extras = MemberExtras {
                    check_error: Some(message_in(page.lang, &error.message)),
                    ..MemberExtras::default()
                };
                let code = status(&error);
                return render_member(&state, &page, id, None, extras, code).await;
            }
            Err(error) => return Err(error),
        };
    page.check_csrf(csrf.as_deref().unwrap_or_default())?;
    let typed = CheckForm {
        checked_on: input.checked_on.clone(),
        inspectors: input.inspectors.clone(),
        findings: input.findings.clone(),
        outcome: input.outcome.clone(),
        stars: input.stars.map(|s| s.to_string()).unwrap_or_default(),
    };
    match lifecycle::spot_check(&state, &page.actor, id, &input, files).await {
        Ok(_) => Ok(Redirect::to(&format!("/pool/{id}?notice=spot_check")).into_response()),
        Err(error) if shown(&error) || matches!(error.status, 413 | 415) => {
            let extras = MemberExtras {
                check: Some(typed),
                check_error: Some(message_in(page.lang, &error.message)),
                ..MemberExtras::default()
            };
            let code = status(&error);
            render_member(&state, &page, id, None, extras, code).await
        }
        Err(error) => Err(error),
    }
}

async fn revoke(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<i64>,
    body: String,
) -> AppResult<Response> {
    let pairs = parse_form(&body);
    page.check_csrf(form_value(&pairs, "csrf"))?;
    let text = |key: &str| form_value(&pairs, key).trim().to_owned();
    let typed = RevokeForm {
        ground: text("ground"),
        found_on: text("found_on"),
        detail: text("detail"),
    };
    let input = RevocationInput {
        ground: typed.ground.clone(),
        found_on: typed.found_on.clone(),
        detail: typed.detail.clone(),
    };
    match lifecycle::revoke(&state, &page.actor, id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/pool/{id}?notice=revoked")).into_response()),
        Err(error) if shown(&error) => {
            let extras = MemberExtras {
                revoke: Some(typed),
                revoke_error: Some(message_in(page.lang, &error.message)),
                ..MemberExtras::default()
            };
            let code = status(&error);
            render_member(&state, &page, id, None, extras, code).await
        }
        Err(error) => Err(error),
    }
}

async fn spot_check_file(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let (filename, bytes) = lifecycle::spot_check_file(&state, &page.actor, id).await?;
    let media_type =
        crate::services::evidence::detect(&bytes).unwrap_or("application/octet-stream");
    Ok((
        [
            (header::CONTENT_TYPE, media_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                crate::http::extract::content_disposition(&filename),
            ),
        ],
        axum::body::Body::from(bytes),
    )
        .into_response())
}

// --- bars -----------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
struct BarsQuery {
    in_force: Option<String>,
    page: Option<String>,
}

async fn bars(
    State(state): State<AppState>,
    page: PageActor,
    Query(query): Query<BarsQuery>,
) -> AppResult<Response> {
    let paging = paging(query.page.as_deref(), PER_PAGE)?;
    let listing = lifecycle::bars(
        &state,
        &page.actor,
        &BarQuery {
            in_force: query.in_force.clone(),
            page: Some(paging.number.to_string()),
            per_page: Some(PER_PAGE.to_string()),
        },
    )
    .await?;
    let in_force = query.in_force.clone().unwrap_or_default();
    page.render(
        "pool_bars.html",
        "pool",
        context! {
            listing => serde_value(&listing),
            page_number => paging.number,
            pages => page_count(listing.total, PER_PAGE),
            query => query_string(&[("in_force", in_force.as_str())]),
            in_force => in_force,
            today => state.today().to_string(),
        },
    )
}

// --- existing members -----------------------------------------------------------------------

#[derive(Debug, Default, Clone, Serialize)]
struct LegacyForm {
    scheme: String,
    document_date: String,
    rows: String,
}

async fn render_legacy(
    state: &AppState,
    page: &PageActor,
    number: Option<&str>,
    notice: Option<&str>,
    form: LegacyForm,
    error: Option<String>,
    code: StatusCode,
) -> AppResult<Response> {
    let paging = paging(number, PER_PAGE)?;
    let per_page = PER_PAGE.to_string();
    let number = paging.number.to_string();
    let listing =
        lifecycle::legacy_members(state, &page.actor, Some(&number), Some(&per_page)).await?;
    let schemes: Vec<_> = state
        .catalog
        .schemes
        .iter()
        .filter(|s| crate::services::standing::bar_of(s).is_some())
        .map(|s| context! { id => s.id.clone(), title => s.title.clone() })
        .collect();
    page.render_with_status(
        code,
        "pool_legacy.html",
        "pool",
        context! {
            listing => serde_value(&listing),
            page_number => paging.number,
            pages => page_count(listing.total, PER_PAGE),
            notice => notice_of(page.lang, notice),
            form => serde_value(&form),
            error => error,
            schemes => schemes,
            labels => labels(),
            max_rows => lifecycle::MAX_LEGACY_ROWS,
        },
    )
}

#[derive(Debug, Default, Deserialize)]
struct LegacyQuery {
    page: Option<String>,
    notice: Option<String>,
}

async fn legacy(
    State(state): State<AppState>,
    page: PageActor,
    Query(query): Query<LegacyQuery>,
) -> AppResult<Response> {
    let form = LegacyForm {
        scheme: "jiangsu-pool-2021".into(),
        ..LegacyForm::default()
    };
    render_legacy(
        &state,
        &page,
        query.page.as_deref(),
        query.notice.as_deref(),
        form,
        None,
        StatusCode::OK,
    )
    .await
}

async fn import_legacy(
    State(state): State<AppState>,
    page: PageActor,
    body: String,
) -> AppResult<Response> {
    let pairs = parse_form(&body);
    page.check_csrf(form_value(&pairs, "csrf"))?;
    let form = LegacyForm {
        scheme: form_value(&pairs, "scheme").trim().to_owned(),
        document_date: form_value(&pairs, "document_date").trim().to_owned(),
        rows: form_value(&pairs, "rows").to_owned(),
    };
    let input = LegacyImport {
        scheme: form.scheme.clone(),
        document_date: form.document_date.clone(),
        members: lifecycle::legacy_rows(&form.rows),
    };
    match lifecycle::import_legacy(&state, &page.actor, &input).await {
        Ok(_) => Ok(Redirect::to("/pool/legacy?notice=imported").into_response()),
        Err(error) if shown(&error) => {
            let message = message_in(page.lang, &error.message);
            let code = status(&error);
            render_legacy(&state, &page, None, None, form, Some(message), code).await
        }
        Err(error) => Err(error),
    }
}
