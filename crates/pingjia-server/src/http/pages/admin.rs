//! Administration pages: account management (`/admin/users`), the audit-log viewer
//! (`/admin/audit`) and the county's list of self-registered organisations
//! (`/registrations`). Each calls the same service as the API.

use super::{PageActor, message_in, percent_decode, percent_encode, query_string, serde_value};
use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::http::error::status_of;
use crate::http::extract::{cookie, set_cookie};
use crate::services::accounts::NewUserRequest;
use crate::services::actor::Role;
use crate::services::admin::{self, AUTHORITY_MANAGES, AuditQuery, UserQuery, UserUpdate};
use crate::services::organizations;
use crate::services::records::Page;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use minijinja::context;
use serde::{Deserialize, Serialize};

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/admin/users", get(users).post(create_user))
        .route("/admin/users/{id}", get(user))
        .route("/admin/users/{id}/disable", post(disable))
        .route("/admin/users/{id}/enable", post(enable))
        .route("/admin/users/{id}/reset-password", post(reset_password))
        .route("/admin/users/{id}/region", post(change_region))
        .route("/admin/audit", get(audit))
        .route("/registrations", get(registrations))
}

const PER_PAGE: i64 = 50;

fn paging(page: Option<&str>) -> AppResult<Page> {
    super::paging(page, PER_PAGE)
}

fn pages(total: i64) -> i64 {
    super::page_count(total, PER_PAGE)
}

/// A region as the selects offer it: indented by level.
#[derive(Debug, Serialize)]
struct RegionOption {
    code: String,
    label: String,
}

/// The regions the actor may bind accounts to (its own region and below; all for a system
/// administrator).
async fn region_options(state: &AppState, page: &PageActor) -> AppResult<Vec<RegionOption>> {
    let own = match page.actor.role {
        Role::SystemAdmin => "/".to_owned(),
        _ => page.actor.region_path.clone().unwrap_or_default(),
    };
    Ok(organizations::regions(state)
        .await?
        .into_iter()
        .filter(|r| !own.is_empty() && r.path.starts_with(&own))
        .map(|r| RegionOption {
            label: match r.level.as_str() {
                "province" => r.name,
                "city" => format!("· {}", r.name),
                _ => format!("· · {}", r.name),
            },
            code: r.code,
        })
        .collect())
}

#[derive(Debug, Serialize)]
struct RoleOption {
    value: &'static str,
    label: &'static str,
}

fn role_options(roles: &[Role]) -> Vec<RoleOption> {
    roles
        .iter()
        .map(|r| RoleOption {
            value: r.as_str(),
            label: r.label_zh(),
        })
        .collect()
}

fn manageable_roles(role: Role) -> Vec<Role> {
    if role == Role::SystemAdmin {
        Role::ALL
            .iter()
            .copied()
            .filter(|r| r.is_account())
            .collect()
    } else {
        AUTHORITY_MANAGES.to_vec()
    }
}

#[derive(Debug, Serialize)]
struct UserListRow {
    id: i64,
    username: String,
    display_name: String,
    role_label: &'static str,
    region_name: Option<String>,
    disabled: bool,
    created_at: i64,
}

#[derive(Debug, Default, Deserialize)]
struct UsersQuery {
    page: Option<String>,
    role: Option<String>,
    region: Option<String>,
    disabled: Option<String>,
    q: Option<String>,
    notice: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct CreateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    region_code: String,
}

async fn users(
    State(state): State<AppState>,
    page: PageActor,
    Query(query): Query<UsersQuery>,
) -> AppResult<Response> {
    render_users(&state, &page, &query, None, None, StatusCode::OK).await
}

async fn render_users(
    state: &AppState,
    page: &PageActor,
    query: &UsersQuery,
    form: Option<&CreateForm>,
    create_error: Option<String>,
    status: StatusCode,
) -> AppResult<Response> {
    let paging = paging(query.page.as_deref())?;
    let filter = UserQuery {
        role: query.role.clone(),
        region: query.region.clone(),
        disabled: query.disabled.clone(),
        q: query.q.clone(),
    };
    // Role first: who may not manage accounts sees the refusal, not an empty list.
    let (rows, total, error) = match admin::users(state, &page.actor, &filter, paging).await {
        Ok((rows, total)) => (rows, total, None),
        Err(error) if error.status == 422 => {
            (Vec::new(), 0, Some(message_in(page.lang, &error.message)))
        }
        Err(error) => return Err(error),
    };
    let rows: Vec<UserListRow> = rows
        .into_iter()
        .map(|r| UserListRow {
            id: r.user.id,
            username: r.user.username,
            display_name: r.user.display_name,
            role_label: r.user.role.label_zh(),
            region_name: r.region_name,
            disabled: r.user.disabled != 0,
            created_at: r.user.created_at,
        })
        .collect();
    let roles = manageable_roles(page.actor.role);
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    let query_text = query_string(&[
        ("role", text(&query.role).as_str()),
        ("region", text(&query.region).as_str()),
        ("disabled", text(&query.disabled).as_str()),
        ("q", text(&query.q).as_str()),
    ]);
    let empty = CreateForm::default();
    page.render_with_status(
        status,
        "admin_users.html",
        "admin_users",
        context! {
            rows => serde_value(&rows),
            total => total,
            page_number => paging.number,
            pages => pages(total),
            query => query_text,
            filter => context! {
                role => text(&query.role),
                region => text(&query.region),
                disabled => text(&query.disabled),
                q => text(&query.q),
            },
            error => error,
            notice => super::notice_text(query.notice.as_deref()),
            scope_note => (page.actor.role == Role::AuthorityAdmin).then_some("仅显示本辖区的审核人员和专家账号。"),
            roles => serde_value(&role_options(&roles)),
            creatable => serde_value(&role_options(&roles)),
            regions => serde_value(&region_options(state, page).await?),
            form => serde_value(form.unwrap_or(&empty)),
            create_error => create_error,
        },
    )
}

/// Carries a one-time password across the redirect to the account's page, shown there once:
/// `<id>|<password>`, HttpOnly, only for `/admin/users`, two minutes, cleared when shown.
const ONE_TIME_COOKIE: &str = "pingjia_one_time";

fn one_time_cookie(state: &AppState, headers: &HeaderMap, value: &str, max_age: i64) -> String {
    set_cookie(state, headers, ONE_TIME_COOKIE, value, max_age)
        .replacen("Path=/;", "Path=/admin/users;", 1)
        .replacen("SameSite=Lax", "SameSite=Strict", 1)
}

fn show_password_once(state: &AppState, headers: &HeaderMap, id: i64, password: &str) -> Response {
    let value = percent_encode(&format!("{id}|{password}"));
    (
        [(
            header::SET_COOKIE,
            one_time_cookie(state, headers, &value, 120),
        )],
        Redirect::to(&format!("/admin/users/{id}")),
    )
        .into_response()
}

async fn create_user(
    State(state): State<AppState>,
    headers: HeaderMap,
    page: PageActor,
    Form(form): Form<CreateForm>,
) -> AppResult<Response> {
    page.check_csrf(&form.csrf)?;
    let password = format!("Pj-{}", crate::services::accounts::random_token(8));
    let result = match form.role.parse::<Role>() {
        Ok(role) => {
            let request = NewUserRequest {
                username: form.username.clone(),
                display_name: form.display_name.clone(),
                password: password.clone(),
                role,
                credit_code: None,
                organization_name: None,
                region_code: Some(form.region_code.trim().to_owned()).filter(|c| !c.is_empty()),
            };
            admin::create_user(&state, &page.actor, &request).await
        }
        Err(_) => Err(AppError::invalid("请选择角色 / choose a role")),
    };
    match result {
        Ok(user) => Ok(show_password_once(&state, &headers, user.id, &password)),
        Err(error) if matches!(error.status, 409 | 422) => {
            let message = message_in(page.lang, &error.message);
            render_users(
                &state,
                &page,
                &UsersQuery::default(),
                Some(&form),
                Some(message),
                status_of(&error),
            )
            .await
        }
        Err(error) => Err(error),
    }
}

#[derive(Debug, Default, Deserialize)]
struct UserPageQuery {
    notice: Option<String>,
}

async fn user(
    State(state): State<AppState>,
    headers: HeaderMap,
    page: PageActor,
    Path(id): Path<i64>,
    Query(query): Query<UserPageQuery>,
) -> AppResult<Response> {
    let shown = cookie(&headers, ONE_TIME_COOKIE)
        .map(percent_decode)
        .and_then(|text| {
            let (for_id, password) = text.split_once('|')?;
            (for_id == id.to_string()).then(|| password.to_owned())
        });
    let response = render_user(
        &state,
        &page,
        id,
        shown.clone(),
        query.notice.as_deref(),
        None,
    )
    .await?;
    Ok(match shown {
        Some(_) => (
            [(header::SET_COOKIE, one_time_cookie(&state, &headers, "", 0))],
            response,
        )
            .into_response(),
        None => response,
    })
}

async fn render_user(
    state: &AppState,
    page: &PageActor,
    id: i64,
    one_time_password: Option<String>,
    notice: Option<&str>,
    error: Option<&AppError>,
) -> AppResult<Response> {
    let row = admin::user(state, &page.actor, id).await?;
    let role = row.user.role;
    page.render_with_status(
        error.map_or(StatusCode::OK, status_of),
        "admin_user.html",
        "admin_users",
        context! {
            account => context! {
                id => row.user.id,
                username => row.user.username,
                display_name => row.user.display_name,
                role_label => role.label_zh(),
                region_name => row.region_name,
                region_code => row.region_code,
                disabled => row.user.disabled != 0,
                must_change_password => row.user.must_change_password != 0,
                email => row.user.email,
                created_at => row.user.created_at,
            },
            is_self => row.user.id == page.actor.user.id,
            has_region => role.is_regional() || role == Role::Expert,
            regions => serde_value(&region_options(state, page).await?),
            one_time_password => one_time_password,
            notice => super::notice_text(notice),
            error => error.map(|e| message_in(page.lang, &e.message)),
        },
    )
}

#[derive(Debug, Default, Deserialize)]
struct ActionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    region_code: String,
}

async fn apply(
    state: &AppState,
    page: &PageActor,
    id: i64,
    update: UserUpdate,
    notice: &str,
) -> AppResult<Response> {
    match admin::update_user(state, &page.actor, id, &update).await {
        Ok(_) => Ok(Redirect::to(&format!("/admin/users/{id}?notice={notice}")).into_response()),
        Err(error) if error.status == 422 => {
            render_user(state, page, id, None, None, Some(&error)).await
        }
        Err(error) => Err(error),
    }
}

async fn disable(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<i64>,
    Form(form): Form<ActionForm>,
) -> AppResult<Response> {
    page.check_csrf(&form.csrf)?;
    let update = UserUpdate {
        disabled: Some(true),
        region_code: None,
    };
    apply(&state, &page, id, update, "saved").await
}

async fn enable(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<i64>,
    Form(form): Form<ActionForm>,
) -> AppResult<Response> {
    page.check_csrf(&form.csrf)?;
    let update = UserUpdate {
        disabled: Some(false),
        region_code: None,
    };
    apply(&state, &page, id, update, "saved").await
}

async fn change_region(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<i64>,
    Form(form): Form<ActionForm>,
) -> AppResult<Response> {
    page.check_csrf(&form.csrf)?;
    let update = UserUpdate {
        disabled: None,
        region_code: Some(form.region_code.clone()),
    };
    apply(&state, &page, id, update, "saved").await
}

async fn reset_password(
    State(state): State<AppState>,
    headers: HeaderMap,
    page: PageActor,
    Path(id): Path<i64>,
    Form(form): Form<ActionForm>,
) -> AppResult<Response> {
    page.check_csrf(&form.csrf)?;
    let password = admin::reset_password(&state, &page.actor, id).await?;
    Ok(show_password_once(&state, &headers, id, &password))
}

#[derive(Debug, Default, Deserialize)]
struct AuditPageQuery {
    page: Option<String>,
    actor: Option<String>,
    object: Option<String>,
    action: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

async fn audit(
    State(state): State<AppState>,
    page: PageActor,
    Query(query): Query<AuditPageQuery>,
) -> AppResult<Response> {
    let paging = paging(query.page.as_deref())?;
    let filter = AuditQuery {
        actor: query.actor.clone(),
        object: query.object.clone(),
        action: query.action.clone(),
        from: query.from.clone(),
        to: query.to.clone(),
    };
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    let (found, error) = match admin::audit_log(&state, &page.actor, &filter, paging).await {
        Ok(found) => (Some(found), None),
        Err(error) if error.status == 422 => (None, Some(message_in(page.lang, &error.message))),
        Err(error) => return Err(error),
    };
    let (rows, total, broken_at) = match found {
        Some(found) => (found.entries, found.total, found.broken_at),
        None => (Vec::new(), 0, None),
    };
    page.render(
        "audit.html",
        "audit",
        context! {
            rows => serde_value(&rows),
            total => total,
            broken_at => broken_at,
            page_number => paging.number,
            pages => pages(total),
            error => error,
            query => query_string(&[
                ("actor", text(&query.actor).as_str()),
                ("object", text(&query.object).as_str()),
                ("action", text(&query.action).as_str()),
                ("from", text(&query.from).as_str()),
                ("to", text(&query.to).as_str()),
            ]),
            filter => context! {
                actor => text(&query.actor),
                object => text(&query.object),
                action => text(&query.action),
                from => text(&query.from),
                to => text(&query.to),
            },
        },
    )
}

#[derive(Debug, Serialize)]
struct RegistrationRow {
    name: String,
    credit_code: String,
    kind_label: &'static str,
    region_name: String,
    contact: String,
    phone: String,
    registered_at: i64,
}

#[derive(Debug, Default, Deserialize)]
struct PageQuery {
    page: Option<String>,
}

async fn registrations(
    State(state): State<AppState>,
    page: PageActor,
    Query(query): Query<PageQuery>,
) -> AppResult<Response> {
    let paging = paging(query.page.as_deref())?;
    let (rows, total) = admin::registrations(&state, &page.actor, paging).await?;
    let rows: Vec<RegistrationRow> = rows
        .into_iter()
        .map(|r| RegistrationRow {
            kind_label: super::form::kind_label(r.kind.as_str()),
            name: r.name,
            credit_code: r.credit_code,
            region_name: r.region_name,
            contact: r.contact,
            phone: r.phone,
            registered_at: r.registered_at,
        })
        .collect();
    page.render(
        "registrations.html",
        "registrations",
        context! {
            rows => serde_value(&rows),
            total => total,
            page_number => paging.number,
            pages => pages(total),
        },
    )
}
