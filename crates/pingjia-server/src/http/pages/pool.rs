//! The authority's pages of its expert pool and of a round's panel: `/experts` (the pool by
//! name, a new expert, import from xlsx or CSV with each wrong row named), `/experts/{id}` (an
//! expert's details and declared relations) and `/rounds/{id}/panel` (experts per application,
//! the conflict rules, automatic assignment with its reasons), over `services::experts` like
//! the API.

use super::{PageActor, form_value, message_in, page_count, paging, parse_form, query_string};
use super::{serde_value, tr};
use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::http::extract::read_upload;
use crate::services::experts::{self, ExpertInput, PanelSettings, RelationInput};
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use minijinja::context;
use serde::{Deserialize, Serialize};

/// Experts per page of the pool.
const PER_PAGE: i64 = 30;

/// The largest import file the page accepts (the API's own limit).
const MAX_IMPORT_BYTES: u64 = crate::http::api_experts::MAX_IMPORT_BYTES;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/experts", get(pool).post(create))
        .route(
            "/experts/import",
            post(import).layer(DefaultBodyLimit::max(MAX_IMPORT_BYTES as usize + 64 * 1024)),
        )
        .route("/experts/{id}", get(expert).post(update))
        .route("/experts/{id}/relations", post(add_relation))
        .route(
            "/experts/{id}/relations/{relation}/delete",
            post(remove_relation),
        )
        .route("/rounds/{id}/panel", get(panel).post(set_panel))
        .route("/rounds/{id}/panel/assign", post(auto_assign))
}

/// The notices these pages show after a form (`?notice=`).
pub const NOTICES: &[(&str, &str)] = &[
    ("created", "专家已加入专家库"),
    ("saved", "已保存"),
    ("relation", "关联关系已添加"),
    ("relation_removed", "关联关系已删除"),
    ("panel", "评审组设置已保存"),
];

fn notice_of(lang: &str, code: Option<&str>) -> Option<String> {
    let code = code?;
    NOTICES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, text)| tr(lang, text).to_owned())
}

use super::{refusal_status as status, refused_at_form as shown};

// --- the pool ---------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
struct PoolQuery {
    q: Option<String>,
    /// `1` active only, `0` inactive only, empty both.
    active: Option<String>,
    page: Option<String>,
    notice: Option<String>,
}

/// The new-expert form as typed, kept when it is refused.
#[derive(Debug, Default, Clone, Serialize)]
struct ExpertForm {
    name: String,
    employer: String,
    employer_code: String,
    specialties: String,
    home_region: String,
    phone: String,
    email: String,
    username: String,
    active: bool,
}

impl ExpertForm {
    fn read(pairs: &[(String, String)]) -> ExpertForm {
        let text = |key: &str| form_value(pairs, key).trim().to_owned();
        ExpertForm {
            name: text("name"),
            employer: text("employer"),
            employer_code: text("employer_code"),
            specialties: text("specialties"),
            home_region: text("home_region"),
            phone: text("phone"),
            email: text("email"),
            username: text("username"),
            active: form_value(pairs, "active") == "1",
        }
    }

    fn of(view: &experts::ExpertView) -> ExpertForm {
        ExpertForm {
            name: view.name.clone(),
            employer: view.employer.clone(),
            employer_code: view.employer_code.clone().unwrap_or_default(),
            specialties: view.specialties.join("、"),
            home_region: view.home_region.clone().unwrap_or_default(),
            phone: view.phone.clone(),
            email: view.email.clone(),
            username: view.username.clone().unwrap_or_default(),
            active: view.active,
        }
    }

    /// The service's input: specialties separated as in the import file.
    fn input(&self) -> ExpertInput {
        let optional = |text: &str| (!text.is_empty()).then(|| text.to_owned());
        ExpertInput {
            name: self.name.clone(),
            employer: self.employer.clone(),
            employer_code: optional(&self.employer_code),
            specialties: self
                .specialties
                .split(['、', ',', '，', ';', '；'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            home_region: optional(&self.home_region),
            phone: self.phone.clone(),
            email: self.email.clone(),
            active: Some(self.active),
            username: optional(&self.username),
        }
    }
}

/// What a refused form or an import leaves on the pool page.
#[derive(Default)]
struct PoolExtras {
    form: Option<ExpertForm>,
    create_error: Option<String>,
    import_error: Option<String>,
    import: Option<experts::Imported>,
}

async fn render_pool(
    state: &AppState,
    page: &PageActor,
    query: &PoolQuery,
    extras: PoolExtras,
    code: StatusCode,
) -> AppResult<Response> {
    let paging = paging(query.page.as_deref(), PER_PAGE)?;
    let active = match query.active.as_deref() {
        Some("1") => Some(true),
        Some("0") => Some(false),
        _ => None,
    };
    let (listing, list_error) =
        match experts::list(state, &page.actor, query.q.as_deref(), active, paging).await {
            Ok(listing) => (Some(listing), None),
            Err(error) if error.status == 422 => {
                (None, Some(message_in(page.lang, &error.message)))
            }
            Err(error) => return Err(error),
        };
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    let total = listing.as_ref().map_or(0, |l| l.total);
    let blank = ExpertForm {
        active: true,
        ..ExpertForm::default()
    };
    page.render_with_status(
        code,
        "experts.html",
        "experts",
        context! {
            listing => serde_value(&listing),
            list_error => list_error,
            total => total,
            page_number => paging.number,
            pages => page_count(total, PER_PAGE),
            query => query_string(&[("q", text(&query.q).as_str()), ("active", text(&query.active).as_str())]),
            filter => context! { q => text(&query.q), active => text(&query.active) },
            notice => notice_of(page.lang, query.notice.as_deref()),
            form => serde_value(extras.form.as_ref().unwrap_or(&blank)),
            create_error => extras.create_error,
            import_error => extras.import_error,
            import => serde_value(&extras.import),
            header => experts::IMPORT_HEADER.join("、"),
            max_rows => experts::MAX_IMPORT_ROWS,
        },
    )
}

async fn pool(
    State(state): State<AppState>,
    page: PageActor,
    Query(query): Query<PoolQuery>,
) -> AppResult<Response> {
    render_pool(&state, &page, &query, PoolExtras::default(), StatusCode::OK).await
}

async fn create(
    State(state): State<AppState>,
    page: PageActor,
    body: String,
) -> AppResult<Response> {
    let pairs = parse_form(&body);
    page.check_csrf(form_value(&pairs, "csrf"))?;
    let form = ExpertForm::read(&pairs);
    match experts::create(&state, &page.actor, &form.input()).await {
        Ok(id) => Ok(Redirect::to(&format!("/experts/{id}?notice=created")).into_response()),
        Err(error) if shown(&error) => {
            let extras = PoolExtras {
                create_error: Some(message_in(page.lang, &error.message)),
                form: Some(form),
                ..PoolExtras::default()
            };
            render_pool(&state, &page, &PoolQuery::default(), extras, status(&error)).await
        }
        Err(error) => Err(error),
    }
}

/// The import form: the file and the CSRF token in one multipart body; all or nothing, each
/// wrong row named on the page.
async fn import(
    State(state): State<AppState>,
    page: PageActor,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> AppResult<Response> {
    let refused = |error: AppError| PoolExtras {
        import_error: Some(message_in(page.lang, &error.message)),
        ..PoolExtras::default()
    };
    let multipart =
        multipart.map_err(|_| AppError::invalid("请选择要导入的文件 / choose a file to import"))?;
    let (upload, csrf) = match read_upload(multipart, MAX_IMPORT_BYTES).await {
        Ok(read) => read,
        Err(error) if shown(&error) || error.status == 413 => {
            let code = status(&error);
            return render_pool(&state, &page, &PoolQuery::default(), refused(error), code).await;
        }
        Err(error) => return Err(error),
    };
    page.check_csrf(csrf.as_deref().unwrap_or_default())?;
    let Some(upload) = upload.filter(|u| !u.bytes.is_empty()) else {
        let error = AppError::invalid("请选择要导入的文件 / choose a file to import");
        let code = status(&error);
        return render_pool(&state, &page, &PoolQuery::default(), refused(error), code).await;
    };
    match experts::import(&state, &page.actor, &upload.bytes).await {
        Ok(imported) => {
            let code = if imported.problems.is_empty() {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let extras = PoolExtras {
                import: Some(imported),
                ..PoolExtras::default()
            };
            render_pool(&state, &page, &PoolQuery::default(), extras, code).await
        }
        Err(error) if shown(&error) => {
            let code = status(&error);
            render_pool(&state, &page, &PoolQuery::default(), refused(error), code).await
        }
        Err(error) => Err(error),
    }
}

// --- one expert -------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
struct NoticeQuery {
    notice: Option<String>,
}

/// The relation form as typed, kept when it is refused.
#[derive(Debug, Default, Clone, Serialize)]
struct RelationForm {
    kind: String,
    credit_code: String,
    organization: String,
    from_on: String,
    until_on: String,
    note: String,
}

impl RelationForm {
    fn read(pairs: &[(String, String)]) -> RelationForm {
        let text = |key: &str| form_value(pairs, key).trim().to_owned();
        RelationForm {
            kind: text("kind"),
            credit_code: text("credit_code"),
            organization: text("organization"),
            from_on: text("from_on"),
            until_on: text("until_on"),
            note: text("note"),
        }
    }

    fn input(&self) -> RelationInput {
        let optional = |text: &str| (!text.is_empty()).then(|| text.to_owned());
        RelationInput {
            kind: self.kind.clone(),
            credit_code: self.credit_code.clone(),
            organization: self.organization.clone(),
            from_on: optional(&self.from_on),
            until_on: optional(&self.until_on),
            note: self.note.clone(),
        }
    }
}

/// The relation kinds an expert declares, with their labels.
fn relation_kinds() -> Vec<(&'static str, &'static str)> {
    ["former_employer", "shareholding", "relative"]
        .into_iter()
        .map(|kind| (kind, experts::kind_label(kind)))
        .collect()
}

#[derive(Default)]
struct ExpertExtras {
    form: Option<ExpertForm>,
    error: Option<String>,
    relation: Option<RelationForm>,
    relation_error: Option<String>,
    notice: Option<String>,
}

async fn render_expert(
    state: &AppState,
    page: &PageActor,
    id: i64,
    extras: ExpertExtras,
    code: StatusCode,
) -> AppResult<Response> {
    let view = experts::get(state, &page.actor, id).await?;
    let form = extras.form.unwrap_or_else(|| ExpertForm::of(&view));
    let relations: Vec<_> = view
        .relations
        .iter()
        .map(|r| {
            context! {
                id => r.id,
                kind_label => experts::kind_label(&r.kind),
                credit_code => r.credit_code.clone(),
                organization => r.organization.clone(),
                from_on => r.from_on.clone(),
                until_on => r.until_on.clone(),
                note => r.note.clone(),
            }
        })
        .collect();
    page.render_with_status(
        code,
        "expert.html",
        "experts",
        context! {
            expert => serde_value(&view),
            relations => relations,
            form => serde_value(&form),
            error => extras.error,
            relation => serde_value(&extras.relation.unwrap_or_default()),
            relation_error => extras.relation_error,
            kinds => relation_kinds(),
            notice => extras.notice,
        },
    )
}

async fn expert(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<i64>,
    Query(query): Query<NoticeQuery>,
) -> AppResult<Response> {
    let extras = ExpertExtras {
        notice: notice_of(page.lang, query.notice.as_deref()),
        ..ExpertExtras::default()
    };
    render_expert(&state, &page, id, extras, StatusCode::OK).await
}

async fn update(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<i64>,
    body: String,
) -> AppResult<Response> {
    let pairs = parse_form(&body);
    page.check_csrf(form_value(&pairs, "csrf"))?;
    let form = ExpertForm::read(&pairs);
    match experts::update(&state, &page.actor, id, &form.input()).await {
        Ok(_) => Ok(Redirect::to(&format!("/experts/{id}?notice=saved")).into_response()),
        Err(error) if shown(&error) => {
            let extras = ExpertExtras {
                error: Some(message_in(page.lang, &error.message)),
                form: Some(form),
                ..ExpertExtras::default()
            };
            render_expert(&state, &page, id, extras, status(&error)).await
        }
        Err(error) => Err(error),
    }
}

async fn add_relation(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<i64>,
    body: String,
) -> AppResult<Response> {
    let pairs = parse_form(&body);
    page.check_csrf(form_value(&pairs, "csrf"))?;
    let form = RelationForm::read(&pairs);
    match experts::add_relation(&state, &page.actor, id, &form.input()).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/experts/{id}?notice=relation#relations")).into_response())
        }
        Err(error) if shown(&error) => {
            let extras = ExpertExtras {
                relation_error: Some(message_in(page.lang, &error.message)),
                relation: Some(form),
                ..ExpertExtras::default()
            };
            render_expert(&state, &page, id, extras, status(&error)).await
        }
        Err(error) => Err(error),
    }
}

async fn remove_relation(
    State(state): State<AppState>,
    page: PageActor,
    Path((id, relation)): Path<(i64, i64)>,
    body: String,
) -> AppResult<Response> {
    let pairs = parse_form(&body);
    page.check_csrf(form_value(&pairs, "csrf"))?;
    experts::remove_relation(&state, &page.actor, id, relation).await?;
    Ok(Redirect::to(&format!("/experts/{id}?notice=relation_removed#relations")).into_response())
}

// --- a round's panel --------------------------------------------------------------------------

#[derive(Default)]
struct PanelExtras {
    form: Option<PanelSettings>,
    error: Option<String>,
    assigned: Option<Vec<experts::AutoAssigned>>,
    notice: Option<String>,
}

async fn render_panel(
    state: &AppState,
    page: &PageActor,
    round_id: i64,
    extras: PanelExtras,
    code: StatusCode,
) -> AppResult<Response> {
    let settings = experts::panel(state, &page.actor, round_id).await?;
    let round = crate::services::rounds::authority_round(state, &page.actor, round_id).await?;
    let assigned_total: usize = extras
        .assigned
        .iter()
        .flatten()
        .map(|a| a.assigned.len())
        .sum();
    page.render_with_status(
        code,
        "round_experts.html",
        "rounds",
        context! {
            round_id => round_id,
            round_name => round.name,
            panel => serde_value(extras.form.as_ref().unwrap_or(&settings)),
            error => extras.error,
            assigned => serde_value(&extras.assigned),
            assigned_total => assigned_total,
            notice => extras.notice,
        },
    )
}

async fn panel(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<i64>,
    Query(query): Query<NoticeQuery>,
) -> AppResult<Response> {
    let extras = PanelExtras {
        notice: notice_of(page.lang, query.notice.as_deref()),
        ..PanelExtras::default()
    };
    render_panel(&state, &page, id, extras, StatusCode::OK).await
}

async fn set_panel(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<i64>,
    body: String,
) -> AppResult<Response> {
    let pairs = parse_form(&body);
    page.check_csrf(form_value(&pairs, "csrf"))?;
    let number = |key: &str| form_value(&pairs, key).trim().parse::<i64>().unwrap_or(-1);
    let settings = PanelSettings {
        size: number("size"),
        former_years: number("former_years"),
        exclude_same_county: form_value(&pairs, "exclude_same_county") == "1",
        exclude_same_city: form_value(&pairs, "exclude_same_city") == "1",
    };
    match experts::set_panel(&state, &page.actor, id, &settings).await {
        Ok(_) => Ok(Redirect::to(&format!("/rounds/{id}/panel?notice=panel")).into_response()),
        Err(error) if shown(&error) => {
            let extras = PanelExtras {
                error: Some(message_in(page.lang, &error.message)),
                form: Some(settings),
                ..PanelExtras::default()
            };
            render_panel(&state, &page, id, extras, status(&error)).await
        }
        Err(error) => Err(error),
    }
}

/// Automatic assignment: the page shows what was done for each application and why (the
/// answer of a command, not a page to bookmark).
async fn auto_assign(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<i64>,
    body: String,
) -> AppResult<Response> {
    let pairs = parse_form(&body);
    page.check_csrf(form_value(&pairs, "csrf"))?;
    match experts::auto_assign(&state, &page.actor, id).await {
        Ok(assigned) => {
            let extras = PanelExtras {
                assigned: Some(assigned),
                ..PanelExtras::default()
            };
            render_panel(&state, &page, id, extras, StatusCode::OK).await
        }
        Err(error) if shown(&error) => {
            let extras = PanelExtras {
                error: Some(message_in(page.lang, &error.message)),
                ..PanelExtras::default()
            };
            render_panel(&state, &page, id, extras, status(&error)).await
        }
        Err(error) => Err(error),
    }
}
