//! The JSON API of accounts and organisations' self-registration, account management, the
//! audit log and the inbox. Registered in the OpenAPI document ([`super::api::ApiDoc`]).

use super::api::{Listing, Paging};
use super::error::ErrorBody;
use super::extract::ClientAddress;
use crate::context::AppState;
use crate::error::AppResult;
use crate::services::actor::Actor;
use crate::services::admin::{self, AuditQuery, UserUpdate};
use crate::services::notifications;
use crate::services::records as store;
use crate::services::registration::{self, Registered, RegistrationRequest};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route(
            "/api/v1/registrations",
            get(list_registrations).post(register),
        )
        .route("/api/v1/users/{id}", get(get_user).patch(update_user))
        .route("/api/v1/users/{id}/reset-password", post(reset_password))
        .route("/api/v1/audit", get(audit_log))
        .route("/api/v1/me/email", put(set_email))
        .route("/api/v1/me/notifications", get(list_notifications))
        .route(
            "/api/v1/me/notifications/read-all",
            post(read_all_notifications),
        )
        .route(
            "/api/v1/me/notifications/{id}/read",
            post(read_notification),
        )
}

/// Register an organisation and its first applicant account (signed out). Throttled per
/// client address; a credit code already registered answers `409 credit_code_taken`, the same
/// whatever the other organisation.
#[utoipa::path(post, path = "/api/v1/registrations", tag = "organizations", request_body = RegistrationRequest,
    responses((status = 201, body = Registered), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub(super) async fn register(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    Json(request): Json<RegistrationRequest>,
) -> AppResult<(StatusCode, Json<Registered>)> {
    let registered = registration::register(&state, &request, &address).await?;
    Ok((StatusCode::CREATED, Json(registered)))
}

/// Organisations that registered themselves inside the reviewer's region, newest first
/// (county, city and authority reviewers).
#[utoipa::path(get, path = "/api/v1/registrations", tag = "organizations", params(Paging),
    responses((status = 200, body = Object), (status = 403, body = ErrorBody)))]
pub(super) async fn list_registrations(
    State(state): State<AppState>,
    actor: Actor,
    Query(paging): Query<Paging>,
) -> AppResult<Json<Listing<store::Registration>>> {
    let page = paging.page()?;
    let (items, total) = admin::registrations(&state, &actor, page).await?;
    Ok(Json(Listing {
        items,
        page: page.number,
        per_page: page.size,
        total,
    }))
}

/// One account the caller manages.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = i64, Path)),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody)))]
pub(super) async fn get_user(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> AppResult<Json<store::UserRow>> {
    Ok(Json(admin::user(&state, &actor, id).await?))
}

/// Disable or enable an account, or bind it to a region. Disabling ends its sessions and
/// revokes its API tokens.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", params(("id" = i64, Path)), request_body = UserUpdate,
    responses((status = 200, body = Object), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(super) async fn update_user(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
    Json(update): Json<UserUpdate>,
) -> AppResult<Json<store::UserRow>> {
    Ok(Json(admin::update_user(&state, &actor, id, &update).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PasswordReset {
    /// The one-time password, shown once; it must be changed at the next sign-in.
    pub password: String,
}

/// Reset an account to a one-time password; its sessions end and its API tokens are revoked.
#[utoipa::path(post, path = "/api/v1/users/{id}/reset-password", tag = "users", params(("id" = i64, Path)),
    responses((status = 200, body = PasswordReset), (status = 404, body = ErrorBody)))]
pub(super) async fn reset_password(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> AppResult<Json<PasswordReset>> {
    let password = admin::reset_password(&state, &actor, id).await?;
    Ok(Json(PasswordReset { password }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditListing {
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<store::AuditEntry>,
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
    /// Whether the whole hash chain verifies.
    pub chain_intact: bool,
    /// The first entry that does not verify.
    pub broken_at: Option<i64>,
}

/// The audit log, newest first, filtered by actor, object, action and days (system
/// administrators only; anyone else: not found).
#[utoipa::path(get, path = "/api/v1/audit", tag = "users", params(Paging, AuditQuery),
    responses((status = 200, body = AuditListing), (status = 404, body = ErrorBody)))]
pub(super) async fn audit_log(
    State(state): State<AppState>,
    actor: Actor,
    Query(paging): Query<Paging>,
    Query(query): Query<AuditQuery>,
) -> AppResult<Json<AuditListing>> {
    let page = paging.page()?;
    let found = admin::audit_log(&state, &actor, &query, page).await?;
    Ok(Json(AuditListing {
        items: found.entries,
        page: page.number,
        per_page: page.size,
        total: found.total,
        chain_intact: found.broken_at.is_none(),
        broken_at: found.broken_at,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct EmailChange {
    /// The address notifications are mailed to; empty removes it.
    pub email: String,
}

/// Set or remove the caller's e-mail address.
#[utoipa::path(put, path = "/api/v1/me/email", tag = "session", request_body = EmailChange,
    responses((status = 204), (status = 422, body = ErrorBody)))]
pub(super) async fn set_email(
    State(state): State<AppState>,
    actor: Actor,
    Json(change): Json<EmailChange>,
) -> AppResult<StatusCode> {
    admin::set_own_email(&state, &actor, &change.email).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationListing {
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<store::Notification>,
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
    pub unread: i64,
}

/// The caller's notifications, unread first, newest first.
#[utoipa::path(get, path = "/api/v1/me/notifications", tag = "session", params(Paging),
    responses((status = 200, body = NotificationListing)))]
pub(super) async fn list_notifications(
    State(state): State<AppState>,
    actor: Actor,
    Query(paging): Query<Paging>,
) -> AppResult<Json<NotificationListing>> {
    let page = paging.page()?;
    let (items, total, unread) = notifications::inbox(&state, &actor, page).await?;
    Ok(Json(NotificationListing {
        items,
        page: page.number,
        per_page: page.size,
        total,
        unread,
    }))
}

/// Mark one of the caller's notifications read (another user's: not found).
#[utoipa::path(post, path = "/api/v1/me/notifications/{id}/read", tag = "session", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub(super) async fn read_notification(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> AppResult<StatusCode> {
    notifications::mark_read(&state, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Mark every notification of the caller read.
#[utoipa::path(post, path = "/api/v1/me/notifications/read-all", tag = "session",
    responses((status = 204)))]
pub(super) async fn read_all_notifications(
    State(state): State<AppState>,
    actor: Actor,
) -> AppResult<StatusCode> {
    notifications::mark_all_read(&state, &actor).await?;
    Ok(StatusCode::NO_CONTENT)
}
