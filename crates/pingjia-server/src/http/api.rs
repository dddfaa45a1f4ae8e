//! The JSON API under `/api/v1`: everything the pages do. Errors are
//! `{"error": code, "message": …}` with stable codes; the OpenAPI document is built from the
//! annotations here ([`ApiDoc`]).

use super::error::ErrorBody;
use super::extract::{self, ClientAddress, read_upload, require_file};
use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::services::accounts::{self, NewUserRequest, SignIn, TokenRequest};
use crate::services::actor::{Actor, Role};
use crate::services::applications::{ApplicationDetail, EvidenceItem, ListFilter};
use crate::services::assessment::{self as assess, Assessment};
use crate::services::organizations::{self, OrganizationUpdate};
use crate::services::records::{self as store, Page};
use crate::services::{self, evidence};
use axum::Json;
use axum::extract::DefaultBodyLimit;
use axum::extract::{Multipart, Path, Query, State};
use axum::handler::Handler as _;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use serde::{Deserialize, Serialize};
use serde_json::Value as JsonValue;
use utoipa::{IntoParams, OpenApi, ToSchema};

#[derive(OpenApi)]
#[openapi(
    info(title = "pingjia API", description = "工业互联网平台评价、认定与星级评估 / evaluation and star grading of industrial internet platforms", version = "1"),
    paths(
        sign_in, sign_out, me, change_password, list_tokens, create_token, revoke_token,
        list_schemes, assess_declaration, list_regions,
        list_organizations, get_organization, update_organization,
        list_applications, create_application, get_application, save_draft, submit_application, get_version,
        list_evidence, upload_evidence, download_evidence, delete_evidence,
        list_users, create_user,
        super::api_rounds::list_rounds, super::api_rounds::create_round, super::api_rounds::get_round, super::api_rounds::update_round,
        super::api_rounds::publish_round, super::api_rounds::list_public_rounds, super::api_rounds::get_public_round,
        super::api_rounds::panel_analytics,
        super::api_regrade::impact, super::api_regrade::impact_csv,
        super::api_review::decide, super::api_review::decide_many, super::api_review::actions,
        super::api_review::timeline, super::api_review::changes, super::api_review::confirmations,
        super::api_review::confirm, super::api_review::queue,
        super::api_review::recommendations_xlsx, super::api_review::recommendations_csv, super::api_review::set_rank,
        super::api_spreadsheets::download_declaration, super::api_spreadsheets::upload_declaration,
        super::api_accounts::get_user, super::api_accounts::update_user, super::api_accounts::reset_password,
        super::api_accounts::register, super::api_accounts::list_registrations, super::api_accounts::audit_log,
        super::api_accounts::set_email, super::api_accounts::list_notifications,
        super::api_accounts::read_notification, super::api_accounts::read_all_notifications,
        super::api_experts::list_experts, super::api_experts::create_expert, super::api_experts::get_expert,
        super::api_experts::update_expert, super::api_experts::add_relation, super::api_experts::remove_relation,
        super::api_experts::get_panel, super::api_experts::set_panel, super::api_experts::auto_assign,
        super::api_experts::application_experts, super::api_experts::assign, super::api_experts::unassign,
        super::api_experts::reopen, super::api_experts::decide_conflict, super::api_experts::site_visit,
        super::api_experts::tasks, super::api_experts::task, super::api_experts::declare,
        super::api_experts::review, super::api_experts::save_review, super::api_experts::submit_review,
        super::api_experts::import_experts, super::api_experts::template_csv, super::api_experts::template_xlsx,
        super::api_experts::site_visit_file, super::api_experts::download_site_visit_file,
        super::api_decisions::decision_board, super::api_decisions::decide_many, super::api_decisions::decide, super::api_decisions::set_quota, super::api_decisions::open_notice, super::api_decisions::round_notices, super::api_decisions::manage_notice, super::api_decisions::resolve, super::api_decisions::publish, super::api_decisions::objection_file, super::api_decisions::public_notices, super::api_decisions::public_notice, super::api_decisions::object, super::api_decisions::published, super::api_decisions::published_csv,
        super::api_directory::list, super::api_directory::member, super::api_directory::csv, super::api_directory::xlsx, super::api_directory::stats,
        super::api_pool::list_members, super::api_pool::get_member, super::api_pool::spot_check, super::api_pool::revoke, super::api_pool::reject_for_fraud, super::api_pool::spot_check_file, super::api_pool::list_bars, super::api_pool::list_legacy, super::api_pool::import_legacy,
        super::api_audit::checkpoint, super::api_audit::key, super::api_audit::entries, super::api_audit::inclusion, super::api_audit::consistency,
        super::api_certificates::certificate, super::api_certificates::certificate_pdf, super::api_certificates::report_pdf,
        super::api_certificates::decision_record, super::api_certificates::decision_record_pdf,
    ),
    components(schemas(ErrorBody, SignInRequest, SignInResponse, MeResponse, PasswordChange, TokenRequest, TokenCreated, SchemeSummary,
        AssessRequest, Assessment, OrganizationUpdate, UploadForm, NewApplication, ApplicationDetail, DraftSaved, EvidenceItem, NewUserRequest,
        crate::services::review::Decision, crate::services::review::Decided, crate::services::review::BulkResult,
        crate::services::review::TimelineEntry, crate::services::review::Changes, crate::services::review::ValueChange,
        crate::services::review::Confirmation, crate::services::review::ConfirmedRecord,
        super::api_review::BulkDecision, super::api_review::QueueCount, super::api_review::RankChange,
        super::api_spreadsheets::WorkbookForm, crate::services::declaration_files::Imported, crate::services::spreadsheets::CellError,
        crate::services::registration::RegistrationRequest, crate::services::registration::Registered,
        crate::services::admin::UserUpdate, super::api_accounts::PasswordReset, super::api_accounts::AuditListing,
        super::api_accounts::EmailChange, super::api_accounts::NotificationListing,
        crate::services::rounds::RoundInput, crate::services::rounds::RoundView,
        crate::services::panel::PanelAnalytics, crate::services::panel::ItemSummary, crate::services::panel::DivergentScore, crate::services::panel::ExpertScore,
        crate::services::panel::ExpertDeviation,
        crate::services::regrade::Impact, crate::services::regrade::SchemeVersion, crate::services::regrade::GradeCount,
        crate::services::regrade::Moves, crate::services::regrade::MemberMove, crate::services::regrade::CriterionMove,
        crate::services::regrade::SlotMove,
        crate::services::experts::ExpertInput, crate::services::experts::RelationInput, crate::services::experts::ExpertView,
        crate::services::experts::ExpertListing, crate::services::experts::PanelSettings, crate::services::experts::ConflictView,
        crate::services::experts::AssignmentView, crate::services::experts::Candidate, crate::services::experts::ApplicationExperts,
        crate::services::experts::AssignRequest, crate::services::experts::ConflictDecision, crate::services::experts::Pick,
        crate::services::experts::Excluded, crate::services::experts::AutoAssigned, crate::services::experts::Task,
        crate::services::experts::Declaration, crate::services::experts::SheetItem, crate::services::experts::OtherReview,
        crate::services::experts::Review, crate::services::experts::ItemScore, crate::services::experts::ReviewInput,
        crate::services::experts::Reopen, crate::services::experts::SiteVisitView, crate::services::experts::SiteVisitInput,
        super::api_experts::Created, super::api_experts::ImportForm, crate::services::experts::Imported,
        crate::services::experts::RowProblem, crate::services::experts::SiteVisitFileView,
        crate::services::decisions::Board, crate::services::decisions::BoardRow, crate::services::decisions::DecisionView, crate::services::decisions::DecisionInput, crate::services::decisions::Decided, crate::services::decisions::BulkDecided, super::api_decisions::BulkDecisionInput, super::api_decisions::QuotaInput, crate::services::notices::OpenInput, crate::services::notices::Opened, crate::services::notices::PublicNotice, crate::services::notices::PublicEntry, crate::services::notices::AdminNotice, crate::services::notices::AdminEntry, crate::services::notices::ObjectionView, crate::services::notices::ObjectionFileView, crate::services::notices::ObjectionInput, crate::services::notices::Filed, crate::services::notices::Resolution, crate::services::notices::Resolved, crate::services::notices::PublishInput, crate::services::notices::Published, crate::services::notices::Held, crate::services::notices::PublishedEntry, super::api_decisions::NoticeListing, super::api_decisions::PublishedListing, super::api_decisions::ObjectionForm,
        crate::services::lifecycle::MemberList, crate::services::lifecycle::MemberDetail, crate::services::lifecycle::Ground, crate::services::lifecycle::Grade, crate::services::lifecycle::SpotCheckInput, crate::services::lifecycle::SpotCheckDone, crate::services::lifecycle::RevocationInput, crate::services::lifecycle::Barred, crate::services::lifecycle::BarList, crate::services::lifecycle::LegacyRow, crate::services::lifecycle::LegacyImport, crate::services::lifecycle::LegacyImported, crate::services::lifecycle::LegacyList, super::api_pool::SpotCheckForm,
        crate::services::directory::DirectoryPage, crate::services::directory::DirectoryEntry, crate::services::directory::MemberDetail, crate::services::directory::HistoryEvent, crate::services::directory::Stats, crate::services::directory::CountRow, crate::services::directory::GradeCount, crate::services::directory::StatsCell,
        crate::services::audit::EntryPage, crate::services::audit::PublicEntry, crate::services::audit::InclusionProof, crate::services::audit::ConsistencyProof,
        crate::services::certificates::Certificate, crate::services::certificates::CertificateStatus, crate::services::decisions::DecisionRecordView)),
    modifiers(&ErrorResponses),
    tags((name = "session", description = "登录、令牌"), (name = "schemes", description = "评价方案与实时评估"), (name = "applications", description = "申报与版本"),
        (name = "evidence", description = "佐证材料"), (name = "organizations", description = "单位与区域"), (name = "users", description = "用户管理"), (name = "review", description = "审核：退回、驳回、推荐、核定值、时间线"),
        (name = "rounds", description = "申报批次与申报通知"),
        (name = "experts", description = "评审专家：专家库、评审组、利益冲突、分配、评分、现场核查"),
        (name = "directory", description = "资源池名录与开放数据：名录、单位详情与历史、CSV/xlsx 下载、统计（无需登录）"),
        (name = "pool", description = "资源池管理：成员与历史、抽查、取消资格与禁入期、现有单位导入、影响分析"),
        (name = "audit", description = "可公开验证的审计日志：签名检查点、公钥、条目、包含证明与一致性证明"),
        (name = "certificates", description = "证书查验与 PDF：证书、自评估报告、决定记录"))
)]
#[derive(Debug)]
pub struct ApiDoc;

/// Adds to every operation the error answers it can give besides its own: a malformed request
/// (400), no or a bad session or token (401), a role or a one-time password that forbids it
/// (403), input refused (422), an unexpected fault (500); a path with an id may be missing or
/// hidden (404); a request with a body may be too large (413) or not JSON (415); a write may
/// meet a state that refuses it (409); signing in and changing a password may be throttled
/// (429). Each is `ErrorBody`.
#[derive(Debug)]
struct ErrorResponses;

impl utoipa::Modify for ErrorResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{Ref, ResponseBuilder};
        let answer = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content_ref("application/json", Ref::from_schema_name("ErrorBody"))
                .build()
        };
        for (path, item) in openapi.paths.paths.iter_mut() {
            let throttled = path == "/api/v1/session"
                || path == "/api/v1/me/password"
                || path == "/api/v1/registrations"
                || path == "/api/v1/public/notices/{id}/objections";
            let has_id = path.contains('{');
            for (write, operation) in [
                (false, item.get.as_mut()),
                (true, item.post.as_mut()),
                (true, item.put.as_mut()),
                (true, item.delete.as_mut()),
                (true, item.patch.as_mut()),
            ] {
                let Some(operation) = operation else { continue };
                let has_body = operation.request_body.is_some();
                let mut add = |status: &str, description: &str, applies: bool| {
                    if applies {
                        operation
                            .responses
                            .responses
                            .entry(status.to_owned())
                            .or_insert_with(|| answer(description).into());
                    }
                };
                add("400", "请求格式不正确 / malformed request", true);
                add(
                    "401",
                    "未登录或令牌无效 / not signed in, or an invalid token",
                    true,
                );
                add(
                    "403",
                    "无权执行，或须先修改一次性密码 / not permitted, or the one-time password must be changed first",
                    true,
                );
                add("404", "对象不存在或无权访问 / not found", has_id);
                add(
                    "409",
                    "当前状态不允许 / refused in the current state",
                    write,
                );
                add("413", "请求内容过大 / request body too large", has_body);
                add(
                    "415",
                    "请以所列格式提交 / unsupported content type",
                    has_body,
                );
                add("422", "内容无效 / invalid input", true);
                add("429", "尝试次数过多 / too many attempts", throttled);
                add("500", "服务器内部错误 / internal error", true);
            }
        }
    }
}

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/api/v1/session", post(sign_in).delete(sign_out))
        .route("/api/v1/me", get(me))
        .route("/api/v1/me/password", post(change_password))
        .route("/api/v1/me/tokens", get(list_tokens).post(create_token))
        .route("/api/v1/me/tokens/{id}", delete(revoke_token))
        .route("/api/v1/schemes", get(list_schemes))
        .route("/api/v1/assess", post(assess_declaration))
        .route("/api/v1/regions", get(list_regions))
        .route("/api/v1/organizations", get(list_organizations))
        .route(
            "/api/v1/organizations/{id}",
            get(get_organization).put(update_organization),
        )
        .route(
            "/api/v1/applications",
            get(list_applications).post(create_application),
        )
        .route("/api/v1/applications/{id}", get(get_application))
        .route("/api/v1/applications/{id}/draft", put(save_draft))
        .route("/api/v1/applications/{id}/submit", post(submit_application))
        .route(
            "/api/v1/applications/{id}/versions/{number}",
            get(get_version),
        )
        .route(
            "/api/v1/applications/{id}/evidence",
            get(list_evidence).post(upload_evidence.layer(DefaultBodyLimit::disable())),
        )
        .route("/api/v1/evidence/{id}", delete(delete_evidence))
        .route("/api/v1/evidence/{id}/download", get(download_evidence))
        .route("/api/v1/users", get(list_users).post(create_user))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct Paging {
    /// 1-based page number (1–1,000,000).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000000)]
    pub page: Option<String>,
    /// Items per page (1–200, default 20).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    pub per_page: Option<String>,
}

impl Paging {
    pub(super) fn page(&self) -> AppResult<Page> {
        services::page(self.page.as_deref(), self.per_page.as_deref())
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Listing<T> {
    pub items: Vec<T>,
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
}

// --- session --------------------------------------------------------------------------------

#[derive(Debug, Deserialize, ToSchema)]
pub struct SignInRequest {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SignInResponse {
    pub user: MeResponse,
    /// Send as `X-CSRF-Token` with every unsafe request made with the session cookie.
    pub csrf_token: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    /// applicant, county_reviewer, city_reviewer, authority_admin, expert or system_admin.
    #[schema(value_type = String, example = "applicant")]
    pub role: Role,
    pub organization_id: Option<i64>,
    pub region_id: Option<i64>,
    pub must_change_password: bool,
}

impl MeResponse {
    fn of(user: &store::User) -> MeResponse {
        MeResponse {
            id: user.id,
            username: user.username.clone(),
            display_name: user.display_name.clone(),
            role: user.role,
            organization_id: user.organization_id,
            region_id: user.region_id,
            must_change_password: user.must_change_password != 0,
        }
    }
}

/// Sign in; sets the session cookie.
#[utoipa::path(post, path = "/api/v1/session", tag = "session", request_body = SignInRequest,
    responses((status = 200, body = SignInResponse), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientAddress(address): ClientAddress,
    Json(request): Json<SignInRequest>,
) -> AppResult<Response> {
    match accounts::sign_in(&state, request.username.trim(), &request.password, &address).await? {
        SignIn::Ok {
            user,
            cookie_value,
            csrf,
        } => {
            let cookie = extract::set_cookie(
                &state,
                &headers,
                extract::SESSION_COOKIE,
                &cookie_value,
                state.config.session_hours * 3600,
            );
            Ok((
                [(header::SET_COOKIE, cookie)],
                Json(SignInResponse {
                    user: MeResponse::of(&user),
                    csrf_token: csrf,
                }),
            )
                .into_response())
        }
        SignIn::Wrong => Err(AppError::new(
            401,
            "wrong_credentials",
            "用户名或密码错误 / wrong user name or password",
        )),
        SignIn::Throttled => Err(accounts::too_many_attempts(&state)),
    }
}

/// Sign out: ends the session.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session", responses((status = 204), (status = 401, body = ErrorBody)))]
async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    actor: Actor,
) -> AppResult<Response> {
    accounts::sign_out(&state, &actor).await?;
    let cookie = extract::set_cookie(&state, &headers, extract::SESSION_COOKIE, "", 0);
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/me", tag = "session", responses((status = 200, body = MeResponse), (status = 401, body = ErrorBody)))]
async fn me(actor: Actor) -> Json<MeResponse> {
    Json(MeResponse::of(&actor.user))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

/// Change the password; ends the user's other sessions and revokes all of the user's API tokens.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "session", request_body = PasswordChange,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn change_password(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    actor: Actor,
    Json(request): Json<PasswordChange>,
) -> AppResult<StatusCode> {
    accounts::change_password(
        &state,
        &actor,
        &request.current_password,
        &request.new_password,
        &address,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenCreated {
    pub id: i64,
    /// Shown once; only its hash is stored.
    pub token: String,
}

/// The user's API tokens (never the tokens themselves).
#[utoipa::path(get, path = "/api/v1/me/tokens", tag = "session", responses((status = 200, body = Vec<Object>)))]
async fn list_tokens(
    State(state): State<AppState>,
    actor: Actor,
) -> AppResult<Json<Vec<store::ApiToken>>> {
    Ok(Json(accounts::tokens(&state, &actor).await?))
}

/// Create an API token for machine clients.
#[utoipa::path(post, path = "/api/v1/me/tokens", tag = "session", request_body = TokenRequest, responses((status = 201, body = TokenCreated), (status = 422, body = ErrorBody)))]
async fn create_token(
    State(state): State<AppState>,
    actor: Actor,
    Json(request): Json<TokenRequest>,
) -> AppResult<(StatusCode, Json<TokenCreated>)> {
    let (id, token) = accounts::create_api_token(&state, &actor, &request).await?;
    Ok((StatusCode::CREATED, Json(TokenCreated { id, token })))
}

/// Revoke one of the user's tokens.
#[utoipa::path(delete, path = "/api/v1/me/tokens/{id}", tag = "session", params(("id" = i64, Path)), responses((status = 204), (status = 404, body = ErrorBody)))]
async fn revoke_token(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> AppResult<StatusCode> {
    accounts::revoke_api_token(&state, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// --- schemes and stateless assessment -------------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
pub struct SchemeSummary {
    pub id: String,
    pub title: String,
    pub version: String,
    pub method: String,
    pub provider_types: Vec<ProviderTypeSummary>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProviderTypeSummary {
    pub id: String,
    pub title: String,
    pub category: String,
}

/// Every scheme and provider type.
#[utoipa::path(get, path = "/api/v1/schemes", tag = "schemes", responses((status = 200, body = Vec<SchemeSummary>)))]
async fn list_schemes(State(state): State<AppState>, _actor: Actor) -> Json<Vec<SchemeSummary>> {
    Json(
        state
            .catalog
            .schemes
            .iter()
            .map(|s| SchemeSummary {
                id: s.id.clone(),
                title: s.title.clone(),
                version: s.version.clone(),
                method: format!("{:?}", s.method).to_lowercase(),
                provider_types: s
                    .provider_types
                    .iter()
                    .map(|t| ProviderTypeSummary {
                        id: t.id.clone(),
                        title: t.title.clone(),
                        category: t.category.clone(),
                    })
                    .collect(),
            })
            .collect(),
    )
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AssessRequest {
    pub scheme: String,
    pub provider_type: Option<String>,
    /// A declaration body: `{organization, subclasses, values, confirmed}`.
    #[schema(value_type = Object)]
    pub declaration: JsonValue,
}

/// Grade a declaration without storing it (the live self-assessment).
#[utoipa::path(post, path = "/api/v1/assess", tag = "schemes", request_body = AssessRequest,
    responses((status = 200, body = Assessment), (status = 404, body = ErrorBody)))]
async fn assess_declaration(
    State(state): State<AppState>,
    _actor: Actor,
    Json(request): Json<AssessRequest>,
) -> AppResult<Json<Assessment>> {
    let (scheme, provider_type) = assess::target(
        &state.catalog,
        &request.scheme,
        request.provider_type.as_deref(),
    )
    .ok_or_else(unknown_scheme)?;
    let round = pingjia_core::engine::Round::from_scheme(scheme);
    Ok(Json(assess::assess_on(
        scheme,
        provider_type,
        &request.declaration,
        &round,
        Some(state.today()),
    )))
}

fn unknown_scheme() -> AppError {
    AppError::new(
        404,
        "unknown_scheme",
        "未知的方案或服务商类型 / unknown scheme or provider type",
    )
}

/// The regions tree (省 → 设区市 → 县/市/区), in path order.
#[utoipa::path(get, path = "/api/v1/regions", tag = "organizations", responses((status = 200, body = Vec<Object>)))]
async fn list_regions(
    State(state): State<AppState>,
    _actor: Actor,
) -> AppResult<Json<Vec<store::Region>>> {
    Ok(Json(organizations::regions(&state).await?))
}

// --- organisations ---------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct OrganizationQuery {
    /// 单位名称包含 / part of the organisation's name.
    pub q: Option<String>,
}

/// Organisations the caller may see: its own (applicant), those in its region (reviewers), all
/// (system admin); by name, optionally only those whose name contains `q`.
#[utoipa::path(get, path = "/api/v1/organizations", tag = "organizations", params(Paging, OrganizationQuery), responses((status = 200, body = Object), (status = 422, body = ErrorBody)))]
async fn list_organizations(
    State(state): State<AppState>,
    actor: Actor,
    Query(paging): Query<Paging>,
    Query(query): Query<OrganizationQuery>,
) -> AppResult<Json<Listing<store::Organization>>> {
    let page = paging.page()?;
    let (items, total) =
        organizations::organizations(&state, &actor, query.q.as_deref(), page).await?;
    Ok(Json(Listing {
        items,
        page: page.number,
        per_page: page.size,
        total,
    }))
}

/// One organisation.
#[utoipa::path(get, path = "/api/v1/organizations/{id}", tag = "organizations", params(("id" = i64, Path)), responses((status = 200, body = Object), (status = 404, body = ErrorBody)))]
async fn get_organization(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> AppResult<Json<store::Organization>> {
    Ok(Json(
        organizations::visible_organization(&state, &actor, id).await?,
    ))
}

/// Update the applicant's own organisation profile.
#[utoipa::path(put, path = "/api/v1/organizations/{id}", tag = "organizations", params(("id" = i64, Path)), request_body = OrganizationUpdate,
    responses((status = 200, body = Object), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_organization(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
    Json(update): Json<OrganizationUpdate>,
) -> AppResult<Json<store::Organization>> {
    organizations::update_organization(&state, &actor, id, &update).await?;
    Ok(Json(
        organizations::visible_organization(&state, &actor, id).await?,
    ))
}

// --- applications ----------------------------------------------------------------------------

/// Applications the caller may see, most recently changed first, with their latest grade;
/// optionally narrowed by state, scheme, provider type, region and organisation name.
#[utoipa::path(get, path = "/api/v1/applications", tag = "applications", params(Paging, ListFilter),
    responses((status = 200, body = Object), (status = 422, body = ErrorBody)))]
async fn list_applications(
    State(state): State<AppState>,
    actor: Actor,
    Query(paging): Query<Paging>,
    Query(filter): Query<ListFilter>,
) -> AppResult<Json<Listing<store::ApplicationSummary>>> {
    let page = paging.page()?;
    let (items, total) = services::applications::list(&state, &actor, &filter, page).await?;
    Ok(Json(Listing {
        items,
        page: page.number,
        per_page: page.size,
        total,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewApplication {
    pub scheme: String,
    pub provider_type: Option<String>,
    /// 批次: the round to apply to; may be left out when one round of the scheme is open to
    /// the organisation's region.
    pub round_id: Option<i64>,
}

/// Start an application (applicants only) under a scheme and provider type, in a round whose
/// window is open (409 `no_open_round`, `window_closed`, `already_open`).
#[utoipa::path(post, path = "/api/v1/applications", tag = "applications", request_body = NewApplication,
    responses((status = 201, body = ApplicationDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_application(
    State(state): State<AppState>,
    actor: Actor,
    Json(request): Json<NewApplication>,
) -> AppResult<(StatusCode, Json<ApplicationDetail>)> {
    let id = services::applications::create(
        &state,
        &actor,
        &request.scheme,
        request.provider_type.as_deref(),
        request.round_id,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(services::applications::detail(&state, &actor, id).await?),
    ))
}

/// An application with its latest version, evidence and live assessment.
#[utoipa::path(get, path = "/api/v1/applications/{id}", tag = "applications", params(("id" = i64, Path)),
    responses((status = 200, body = ApplicationDetail), (status = 404, body = ErrorBody)))]
async fn get_application(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> AppResult<Json<ApplicationDetail>> {
    Ok(Json(
        services::applications::detail(&state, &actor, id).await?,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DraftSaved {
    pub version: i64,
    pub assessment: Assessment,
}

/// Save the draft (autosave). Invalid values are kept and reported in `field_errors`. Editing
/// a submitted application opens a new draft version; the submitted one never changes.
#[utoipa::path(put, path = "/api/v1/applications/{id}/draft", tag = "applications", params(("id" = i64, Path)),
    request_body(content = Object, description = "declaration body: {organization, subclasses, values, confirmed}"),
    responses((status = 200, body = DraftSaved), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn save_draft(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
    Json(body): Json<JsonValue>,
) -> AppResult<Json<DraftSaved>> {
    let (version, assessment) =
        services::applications::save_draft(&state, &actor, id, body).await?;
    Ok(Json(DraftSaved {
        version,
        assessment,
    }))
}

/// Submit the draft: it becomes an immutable version and goes to county review.
#[utoipa::path(post, path = "/api/v1/applications/{id}/submit", tag = "applications", params(("id" = i64, Path)),
    responses((status = 200, body = ApplicationDetail), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn submit_application(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> AppResult<Json<ApplicationDetail>> {
    services::applications::submit(&state, &actor, id).await?;
    Ok(Json(
        services::applications::detail(&state, &actor, id).await?,
    ))
}

/// One version of a declaration.
#[utoipa::path(get, path = "/api/v1/applications/{id}/versions/{number}", tag = "applications", params(("id" = i64, Path), ("number" = i64, Path)),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody)))]
async fn get_version(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, number)): Path<(i64, i64)>,
) -> AppResult<Json<store::Version>> {
    Ok(Json(
        services::applications::version(&state, &actor, id, number).await?,
    ))
}

// --- evidence --------------------------------------------------------------------------------

/// An upload form.
#[derive(Debug, ToSchema)]
#[allow(
    dead_code,
    reason = "documents the multipart form that `read_upload` reads"
)]
pub struct UploadForm {
    /// The file: PDF, PNG, JPEG, XLSX or DOCX, recognised by its bytes.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// The criterion the file supports (an id of the application's scheme).
    criterion: Option<String>,
}

/// Evidence attached to the latest version.
#[utoipa::path(get, path = "/api/v1/applications/{id}/evidence", tag = "evidence", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<EvidenceItem>), (status = 404, body = ErrorBody)))]
async fn list_evidence(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> AppResult<Json<Vec<EvidenceItem>>> {
    let detail = services::applications::detail(&state, &actor, id).await?;
    Ok(Json(detail.evidence))
}

/// Attach a file (PDF, PNG, JPEG, XLSX, DOCX; type checked by content) to the draft,
/// optionally to one criterion (`criterion` field).
#[utoipa::path(post, path = "/api/v1/applications/{id}/evidence", tag = "evidence", params(("id" = i64, Path)),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, body = EvidenceItem), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)))]
async fn upload_evidence(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
    multipart: Multipart,
) -> AppResult<(StatusCode, Json<EvidenceItem>)> {
    let (upload, _) = read_upload(multipart, state.config.max_upload_bytes).await?;
    let item = evidence::upload(&state, &actor, id, require_file(upload)?).await?;
    Ok((StatusCode::CREATED, Json(item)))
}

/// Download a file, for those who may see its application.
#[utoipa::path(get, path = "/api/v1/evidence/{id}/download", tag = "evidence", params(("id" = i64, Path)),
    responses((status = 200, description = "the file, with Content-Disposition"), (status = 404, body = ErrorBody)))]
async fn download_evidence(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let download = evidence::download(&state, &actor, id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, download.evidence.media_type.clone()),
            (
                header::CONTENT_DISPOSITION,
                extract::content_disposition(&download.evidence.filename),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        axum::body::Body::from(download.bytes),
    )
        .into_response())
}

/// Remove a file from the draft. Content another version references stays on disk.
#[utoipa::path(delete, path = "/api/v1/evidence/{id}", tag = "evidence", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn delete_evidence(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> AppResult<StatusCode> {
    evidence::remove(&state, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// --- users (system administrator, authority administrator) -----------------------------------

/// Accounts the caller manages (system administrator: all; authority: reviewers and experts
/// inside its region), filtered by role, region, disabled and name.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(Paging, crate::services::admin::UserQuery), responses((status = 200, body = Object), (status = 403, body = ErrorBody)))]
async fn list_users(
    State(state): State<AppState>,
    actor: Actor,
    Query(paging): Query<Paging>,
    Query(query): Query<crate::services::admin::UserQuery>,
) -> AppResult<Json<Listing<store::UserRow>>> {
    let page = paging.page()?;
    let (items, total) = services::admin::users(&state, &actor, &query, page).await?;
    Ok(Json(Listing {
        items,
        page: page.number,
        per_page: page.size,
        total,
    }))
}

/// Create an account with a one-time password (system administrator: any; authority: a
/// reviewer or expert inside its region).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUserRequest,
    responses((status = 201, body = MeResponse), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_user(
    State(state): State<AppState>,
    actor: Actor,
    Json(request): Json<NewUserRequest>,
) -> AppResult<(StatusCode, Json<MeResponse>)> {
    let user = services::admin::create_user(&state, &actor, &request).await?;
    Ok((StatusCode::CREATED, Json(MeResponse::of(&user))))
}
