//! The inbox (`/inbox`), the e-mail address form of the account page, and organisations'
//! self-registration (`/register`, signed out).

use super::{PageActor, language, message_in, render, serde_value, tr};
use crate::context::AppState;
use crate::error::AppResult;
use crate::http::error::status_of;
use crate::http::extract::{self as auth, ClientAddress, MaybeActor};
use crate::services::accounts::{self, SignIn};
use crate::services::admin;
use crate::services::notifications;
use crate::services::organizations;
use crate::services::registration::{self, RegistrationRequest};
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use minijinja::context;
use serde::{Deserialize, Serialize};

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/inbox", get(inbox))
        .route("/inbox/read-all", post(read_all))
        .route("/inbox/{id}/read", post(read_one))
        .route("/account/email", post(set_email))
        .route("/register", get(register_page).post(register))
}

const PER_PAGE: i64 = 20;

/// The registration form's double-submit CSRF cookie (the form is used signed out).
const REGISTER_CSRF_COOKIE: &str = "pingjia_register_csrf";

fn paging(page: Option<&str>) -> AppResult<crate::services::records::Page> {
    super::paging(page, PER_PAGE)
}

#[derive(Debug, Default, Deserialize)]
struct InboxQuery {
    page: Option<String>,
    notice: Option<String>,
}

#[derive(Debug, Serialize)]
struct MessageRow {
    id: i64,
    kind_label: &'static str,
    application_id: Option<i64>,
    title: String,
    body: String,
    created_at: i64,
    read_at: Option<i64>,
}

async fn inbox(
    State(state): State<AppState>,
    page: PageActor,
    Query(query): Query<InboxQuery>,
) -> AppResult<Response> {
    let paging = paging(query.page.as_deref())?;
    let (items, total, unread) = notifications::inbox(&state, &page.actor, paging).await?;
    let items: Vec<MessageRow> = items
        .into_iter()
        .map(|n| MessageRow {
            id: n.id,
            kind_label: notifications::kind_label(n.kind),
            application_id: n.application_id,
            title: n.title,
            body: n.body,
            created_at: n.created_at,
            read_at: n.read_at,
        })
        .collect();
    page.render(
        "inbox.html",
        "inbox",
        context! {
            items => serde_value(&items),
            total => total,
            unread => unread,
            page_number => paging.number,
            pages => ((total + PER_PAGE - 1) / PER_PAGE).max(1),
            notice => super::notice_text(query.notice.as_deref()),
        },
    )
}

#[derive(Debug, Default, Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn read_one(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> AppResult<Response> {
    page.check_csrf(&form.csrf)?;
    notifications::mark_read(&state, &page.actor, id).await?;
    Ok(Redirect::to("/inbox").into_response())
}

async fn read_all(
    State(state): State<AppState>,
    page: PageActor,
    Form(form): Form<CsrfForm>,
) -> AppResult<Response> {
    page.check_csrf(&form.csrf)?;
    notifications::mark_all_read(&state, &page.actor).await?;
    Ok(Redirect::to("/inbox").into_response())
}

#[derive(Debug, Default, Deserialize)]
struct EmailForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
}

async fn set_email(
    State(state): State<AppState>,
    page: PageActor,
    Form(form): Form<EmailForm>,
) -> AppResult<Response> {
    page.check_csrf(&form.csrf)?;
    match admin::set_own_email(&state, &page.actor, &form.email).await {
        Ok(()) => Ok(Redirect::to("/account/password?notice=email").into_response()),
        Err(error) if error.status == 422 => page.render_with_status(
            status_of(&error),
            "password.html",
            "password",
            context! {
                must_change => page.actor.user.must_change_password != 0,
                email_error => message_in(page.lang, &error.message),
                email => form.email.clone(),
            },
        ),
        Err(error) => Err(error),
    }
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct RegisterForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    organization_name: String,
    #[serde(default)]
    credit_code: String,
    #[serde(default)]
    region_code: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    contact: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default, skip_serializing)]
    password: String,
    #[serde(default, skip_serializing)]
    password_confirm: String,
}

#[derive(Debug, Serialize)]
struct CountyOption {
    code: String,
    name: String,
}

#[derive(Debug, Serialize)]
struct CityGroup {
    label: String,
    counties: Vec<CountyOption>,
}

/// The county-level regions, grouped by city (「江苏省 苏州市」).
async fn county_groups(state: &AppState) -> AppResult<Vec<CityGroup>> {
    let regions = organizations::regions(state).await?;
    let name_of = |id: Option<i64>| {
        regions
            .iter()
            .find(|r| Some(r.id) == id)
            .map(|r| (r.name.clone(), r.parent_id))
    };
    let mut groups: Vec<CityGroup> = Vec::new();
    for city in regions.iter().filter(|r| r.level == "city") {
        let province = name_of(city.parent_id)
            .map(|(name, _)| name)
            .unwrap_or_default();
        let counties: Vec<CountyOption> = regions
            .iter()
            .filter(|r| r.level == "county" && r.parent_id == Some(city.id))
            .map(|r| CountyOption {
                code: r.code.clone(),
                name: r.name.clone(),
            })
            .collect();
        if !counties.is_empty() {
            groups.push(CityGroup {
                label: format!("{province} {}", city.name),
                counties,
            });
        }
    }
    Ok(groups)
}

fn kind_options(lang: &str, selected: &str) -> Vec<minijinja::Value> {
    organizations::ORGANIZATION_KINDS
        .iter()
        .map(|kind| {
            context! {
                value => *kind,
                label => tr(lang, super::form::kind_label(kind)),
                selected => *kind == selected,
            }
        })
        .collect()
}

async fn render_register(
    state: &AppState,
    lang: &str,
    csrf: &str,
    form: &RegisterForm,
    error: Option<String>,
    status: StatusCode,
) -> AppResult<Response> {
    let page = render(
        "register.html",
        context! {
            lang => lang,
            csrf => csrf,
            nav => "register",
            form => serde_value(form),
            regions => serde_value(&county_groups(state).await?),
            kinds => kind_options(lang, &form.kind),
            error => error,
        },
    )?;
    Ok((status, page).into_response())
}

async fn register_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeActor(actor): MaybeActor,
) -> AppResult<Response> {
    if actor.is_some() {
        return Ok(Redirect::to("/applications").into_response());
    }
    let csrf = accounts::random_token(16);
    let page = render_register(
        &state,
        language(&headers),
        &csrf,
        &RegisterForm::default(),
        None,
        StatusCode::OK,
    )
    .await?;
    let cookie = auth::set_cookie(&state, &headers, REGISTER_CSRF_COOKIE, &csrf, 3600);
    Ok(([(header::SET_COOKIE, cookie)], page).into_response())
}

async fn register(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientAddress(address): ClientAddress,
    Form(form): Form<RegisterForm>,
) -> AppResult<Response> {
    // Double-submit check, as the sign-in form: the field must match the cookie set with it.
    let expected = auth::cookie(&headers, REGISTER_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !accounts::constant_time_eq(expected.as_bytes(), form.csrf.as_bytes())
    {
        return Err(crate::services::actor::csrf_failed());
    }
    let lang = language(&headers);
    let request = RegistrationRequest {
        organization_name: form.organization_name.clone(),
        credit_code: form.credit_code.clone(),
        region_code: form.region_code.clone(),
        kind: form.kind.clone(),
        contact: form.contact.clone(),
        phone: form.phone.clone(),
        email: form.email.clone(),
        username: form.username.clone(),
        display_name: form.display_name.clone(),
        password: form.password.clone(),
        password_confirm: form.password_confirm.clone(),
    };
    if let Err(error) = registration::register(&state, &request, &address).await {
        if matches!(error.status, 409 | 422 | 429) {
            let message = message_in(lang, &error.message);
            return render_register(
                &state,
                lang,
                &form.csrf,
                &form,
                Some(message),
                status_of(&error),
            )
            .await;
        }
        return Err(error);
    }
    // Registered: sign the new user in, as the sign-in form would.
    match accounts::sign_in(&state, form.username.trim(), &form.password, &address).await? {
        SignIn::Ok { cookie_value, .. } => {
            let cookie = auth::set_cookie(
                &state,
                &headers,
                auth::SESSION_COOKIE,
                &cookie_value,
                state.config.session_hours * 3600,
            );
            Ok((
                [(header::SET_COOKIE, cookie)],
                Redirect::to("/applications?notice=registered"),
            )
                .into_response())
        }
        SignIn::Wrong | SignIn::Throttled => Ok(Redirect::to("/login").into_response()),
    }
}
