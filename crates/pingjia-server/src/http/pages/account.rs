//! Account pages: the organisation profile (or, for reviewers, the organisations of their
//! region), changing the password, and API tokens.

use super::{PageActor, message_in, notice_text, serde_value, tr};
use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::http::error::status_of;
use crate::http::extract::{ClientAddress, cookie, set_cookie};
use crate::services::accounts;
use crate::services::actor::Role;
use crate::services::organizations::{self, OrganizationUpdate};
use crate::services::records::{self as store, Page};
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use minijinja::{Value, context};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/organization", get(organization).post(update_organization))
        .route(
            "/account/password",
            get(password_page).post(change_password),
        )
        .route("/account/tokens", get(tokens).post(create_token))
        .route("/account/tokens/{id}/revoke", post(revoke_token))
}

#[derive(Debug, Deserialize)]
struct NoticeQuery {
    notice: Option<String>,
    page: Option<i64>,
    /// The organisation list's name search.
    q: Option<String>,
}

fn kinds(lang: &str, selected: &str) -> Vec<Value> {
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

#[derive(Debug, Serialize)]
struct OrganizationRow {
    name: String,
    credit_code: String,
    kind_label: &'static str,
    region: String,
    contact: String,
    phone: String,
}

const PER_PAGE: i64 = 50;

async fn organization(
    State(state): State<AppState>,
    page: PageActor,
    Query(query): Query<NoticeQuery>,
) -> AppResult<Response> {
    let actor = &page.actor;
    if let (Role::Applicant, Some(id)) = (actor.role, actor.user.organization_id) {
        let organization = organizations::visible_organization(&state, actor, id).await?;
        return render_profile(
            &state,
            &page,
            &organization,
            None,
            notice_text(query.notice.as_deref()),
            StatusCode::OK,
        )
        .await;
    }
    let has_region = actor.role.is_regional() || actor.role == Role::SystemAdmin;
    let paging = Page::new(query.page, Some(PER_PAGE));
    let search = query.q.as_deref().map(str::trim).unwrap_or_default();
    let (organizations, total) =
        organizations::organizations(&state, actor, Some(search), paging).await?;
    let regions: HashMap<i64, String> = organizations::regions(&state)
        .await?
        .into_iter()
        .map(|r| (r.id, r.name))
        .collect();
    let region_name = actor
        .user
        .region_id
        .and_then(|id| regions.get(&id).cloned());
    let rows: Vec<OrganizationRow> = organizations
        .into_iter()
        .map(|o| OrganizationRow {
            kind_label: super::form::kind_label(o.kind.as_str()),
            region: regions.get(&o.region_id).cloned().unwrap_or_default(),
            name: o.name,
            credit_code: o.credit_code,
            contact: o.contact,
            phone: o.phone,
        })
        .collect();
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    page.render(
        "organization.html",
        "organization",
        context! {
            listing => true,
            has_region => has_region,
            region_name => region_name,
            rows => serde_value(&rows),
            total => total,
            search => search,
            page_number => paging.number,
            pages => pages,
            query => super::query_string(&[("q", search)]),
        },
    )
}

async fn render_profile(
    state: &AppState,
    page: &PageActor,
    organization: &store::Organization,
    typed: Option<(&OrganizationForm, String)>,
    notice: Option<&'static str>,
    status: StatusCode,
) -> AppResult<Response> {
    let region = organizations::region(state, organization.region_id)
        .await?
        .map(|r| r.name)
        .unwrap_or_default();
    let (name, kind, address, contact, phone, error) = match typed {
        Some((form, error)) => (
            form.name.clone(),
            form.kind.clone(),
            form.address.clone(),
            form.contact.clone(),
            form.phone.clone(),
            Some(error),
        ),
        None => (
            organization.name.clone(),
            organization.kind.as_str().to_owned(),
            organization.address.clone(),
            organization.contact.clone(),
            organization.phone.clone(),
            None,
        ),
    };
    page.render_with_status(
        status,
        "organization.html",
        "organization",
        context! {
            listing => false,
            organization => context! {
                name => name,
                credit_code => organization.credit_code.clone(),
                kinds => kinds(page.lang, &kind),
                region => region,
                address => address,
                contact => contact,
                phone => phone,
                updated_at => organization.updated_at,
            },
            error => error,
            notice => notice,
        },
    )
}

#[derive(Debug, Deserialize)]
struct OrganizationForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    contact: String,
    #[serde(default)]
    phone: String,
}

async fn update_organization(
    State(state): State<AppState>,
    page: PageActor,
    Form(form): Form<OrganizationForm>,
) -> AppResult<Response> {
    page.check_csrf(&form.csrf)?;
    let id = match (page.actor.role, page.actor.user.organization_id) {
        (Role::Applicant, Some(id)) => id,
        _ => {
            return Err(AppError::forbidden(
                "只有申报单位可以修改单位信息 / only applicants edit their organisation",
            ));
        }
    };
    let update = OrganizationUpdate {
        name: form.name.clone(),
        kind: form.kind.clone(),
        address: form.address.clone(),
        contact: form.contact.clone(),
        phone: form.phone.clone(),
    };
    let too_long = [&form.address, &form.contact, &form.phone]
        .iter()
        .any(|t| t.chars().count() > 200);
    let result = if too_long {
        Err(AppError::invalid("内容过长（最多200字）/ too long"))
    } else {
        organizations::update_organization(&state, &page.actor, id, &update).await
    };
    match result {
        Ok(()) => Ok(Redirect::to("/organization?notice=saved").into_response()),
        Err(error) if error.status == 422 => {
            let organization = organizations::visible_organization(&state, &page.actor, id).await?;
            let message = message_in(page.lang, &error.message);
            render_profile(
                &state,
                &page,
                &organization,
                Some((&form, message)),
                None,
                status_of(&error),
            )
            .await
        }
        Err(error) => Err(error),
    }
}

async fn password_page(page: PageActor, Query(query): Query<NoticeQuery>) -> AppResult<Response> {
    page.render(
        "password.html",
        "password",
        context! {
            must_change => page.actor.user.must_change_password != 0,
            notice => notice_text(query.notice.as_deref()),
        },
    )
}

#[derive(Debug, Deserialize)]
struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

async fn change_password(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    page: PageActor,
    Form(form): Form<PasswordForm>,
) -> AppResult<Response> {
    page.check_csrf(&form.csrf)?;
    let result = if form.new_password != form.confirm_password {
        Err(AppError::invalid(
            "两次输入的新密码不一致 / the new passwords differ",
        ))
    } else {
        accounts::change_password(
            &state,
            &page.actor,
            &form.current_password,
            &form.new_password,
            &address,
        )
        .await
    };
    match result {
        Ok(()) => Ok(Redirect::to("/account/password?notice=password").into_response()),
        Err(error) if error.status == 422 => page.render_with_status(
            status_of(&error),
            "password.html",
            "password",
            context! {
                must_change => page.actor.user.must_change_password != 0,
                error => message_in(page.lang, &error.message),
            },
        ),
        Err(error) => Err(error),
    }
}

#[derive(Debug, Serialize)]
struct TokenRow {
    id: i64,
    name: String,
    scopes: String,
    created_at: i64,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
}

async fn render_tokens(
    state: &AppState,
    page: &PageActor,
    extra: Value,
    status: StatusCode,
) -> AppResult<Response> {
    let rows: Vec<TokenRow> = accounts::tokens(state, &page.actor)
        .await?
        .into_iter()
        .rev()
        .map(|t| TokenRow {
            id: t.id,
            name: t.name,
            scopes: t.scopes.as_str().to_owned(),
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
        })
        .collect();
    page.render_with_status(
        status,
        "tokens.html",
        "tokens",
        context! { tokens => serde_value(&rows), ..extra },
    )
}

/// The cookie that carries a new token across the redirect after its creation, so that
/// reloading the page shows the list instead of creating a second token: `<id>|<token>|<name>`,
/// percent-encoded, HttpOnly, only for this page's path, for two minutes, and cleared as soon
/// as the page has shown it once.
const NEW_TOKEN_COOKIE: &str = "pingjia_new_token";

fn new_token_cookie(state: &AppState, headers: &HeaderMap, value: &str, max_age: i64) -> String {
    set_cookie(state, headers, NEW_TOKEN_COOKIE, value, max_age)
        .replacen("Path=/;", "Path=/account/tokens;", 1)
        .replacen("SameSite=Lax", "SameSite=Strict", 1)
}

async fn tokens(
    State(state): State<AppState>,
    headers: HeaderMap,
    page: PageActor,
    Query(query): Query<NoticeQuery>,
) -> AppResult<Response> {
    let created = cookie(&headers, NEW_TOKEN_COOKIE)
        .map(super::percent_decode)
        .and_then(|text| {
            let mut parts = text.splitn(3, '|');
            let _id = parts.next()?;
            Some((parts.next()?.to_owned(), parts.next()?.to_owned()))
        })
        .filter(|(token, _)| token.starts_with("pj_"));
    let Some((token, name)) = created else {
        return render_tokens(
            &state,
            &page,
            context! { notice => notice_text(query.notice.as_deref()) },
            StatusCode::OK,
        )
        .await;
    };
    let page_response = render_tokens(
        &state,
        &page,
        context! { created => token, created_name => name },
        StatusCode::OK,
    )
    .await?;
    Ok((
        [(
            header::SET_COOKIE,
            new_token_cookie(&state, &headers, "", 0),
        )],
        page_response,
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
struct TokenForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    scopes: String,
    #[serde(default)]
    expires_in_days: String,
}

/// Creates a token and shows it once, in the response body (never in a URL).
async fn create_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    page: PageActor,
    Form(form): Form<TokenForm>,
) -> AppResult<Response> {
    page.check_csrf(&form.csrf)?;
    let request = accounts::TokenRequest {
        name: form.name.clone(),
        scopes: form.scopes.clone(),
        expires_in_days: form
            .expires_in_days
            .trim()
            .parse()
            .ok()
            .filter(|days: &i64| *days > 0),
    };
    match accounts::create_api_token(&state, &page.actor, &request).await {
        Ok((id, token)) => {
            let value = super::percent_encode(&format!("{id}|{token}|{}", form.name.trim()));
            Ok((
                [(
                    header::SET_COOKIE,
                    new_token_cookie(&state, &headers, &value, 120),
                )],
                Redirect::to("/account/tokens"),
            )
                .into_response())
        }
        Err(error) if error.status == 422 => render_tokens(
            &state,
            &page,
            context! { error => message_in(page.lang, &error.message), name => form.name.clone() },
            status_of(&error),
        )
        .await,
        Err(error) => Err(error),
    }
}

#[derive(Debug, Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn revoke_token(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> AppResult<Response> {
    page.check_csrf(&form.csrf)?;
    accounts::revoke_api_token(&state, &page.actor, id).await?;
    Ok(Redirect::to("/account/tokens?notice=revoked").into_response())
}
