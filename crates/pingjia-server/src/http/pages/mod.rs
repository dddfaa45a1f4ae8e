//! Server-rendered pages in Simplified Chinese (English switch), usable without a front-end
//! build step: minijinja templates and one small script, all embedded in the binary.
//!
//! Every page needs a signed-in user ([`PageActor`] sends anonymous visitors to `/login`),
//! every POST form carries the session's CSRF token in a `csrf` field that the handler checks,
//! and every error reaches the browser as the HTML error page ([`html_errors`]), never as JSON
//! or internals.

mod account;
mod admin;
mod applications;
mod certificates;
mod charts;
mod decisions;
mod directory;
mod english;
mod experts;
mod form;
mod inbox;
mod notices;
mod pool;
mod pool_members;
mod regrade;
mod review;
mod rounds;
mod spreadsheets;
mod transparency;

use super::extract::{self as auth, MaybeActor};
use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::services::accounts::{self, SignIn};
use crate::services::actor::Actor;
use axum::extract::{Form, FromRequestParts, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use minijinja::{Environment, Value, context};
use serde::Deserialize;
use std::sync::LazyLock;

/// The embedded templates and the UI dictionary.
#[derive(Debug)]
pub struct Templates {
    _private: (),
}

const TEMPLATES: &[(&str, &str)] = &[
    (
        "layout.html",
        include_str!("../../../templates/layout.html"),
    ),
    (
        "macros.html",
        include_str!("../../../templates/macros.html"),
    ),
    ("login.html", include_str!("../../../templates/login.html")),
    ("error.html", include_str!("../../../templates/error.html")),
    (
        "applications.html",
        include_str!("../../../templates/applications.html"),
    ),
    (
        "application_new.html",
        include_str!("../../../templates/application_new.html"),
    ),
    (
        "application.html",
        include_str!("../../../templates/application.html"),
    ),
    (
        "report.html",
        include_str!("../../../templates/report.html"),
    ),
    (
        "organization.html",
        include_str!("../../../templates/organization.html"),
    ),
    (
        "password.html",
        include_str!("../../../templates/password.html"),
    ),
    (
        "tokens.html",
        include_str!("../../../templates/tokens.html"),
    ),
    (
        "register.html",
        include_str!("../../../templates/register.html"),
    ),
    (
        "registrations.html",
        include_str!("../../../templates/registrations.html"),
    ),
    ("inbox.html", include_str!("../../../templates/inbox.html")),
    (
        "admin_users.html",
        include_str!("../../../templates/admin_users.html"),
    ),
    (
        "admin_user.html",
        include_str!("../../../templates/admin_user.html"),
    ),
    ("audit.html", include_str!("../../../templates/audit.html")),
    (
        "rounds.html",
        include_str!("../../../templates/rounds.html"),
    ),
    (
        "round_new.html",
        include_str!("../../../templates/round_new.html"),
    ),
    (
        "round_form.html",
        include_str!("../../../templates/round_form.html"),
    ),
    ("round.html", include_str!("../../../templates/round.html")),
    (
        "round_panel.html",
        include_str!("../../../templates/round_panel.html"),
    ),
    (
        "regrade.html",
        include_str!("../../../templates/regrade.html"),
    ),
    (
        "round_facts.html",
        include_str!("../../../templates/round_facts.html"),
    ),
    (
        "transparency.html",
        include_str!("../../../templates/transparency.html"),
    ),
    (
        "audit_checkpoint.html",
        include_str!("../../../templates/audit_checkpoint.html"),
    ),
    (
        "notices.html",
        include_str!("../../../templates/notices.html"),
    ),
    (
        "notice.html",
        include_str!("../../../templates/notice.html"),
    ),
    (
        "review_queue.html",
        include_str!("../../../templates/review_queue.html"),
    ),
    (
        "expert_tasks.html",
        include_str!("../../../templates/expert_tasks.html"),
    ),
    (
        "expert_review.html",
        include_str!("../../../templates/expert_review.html"),
    ),
    (
        "decisions.html",
        include_str!("../../../templates/decisions.html"),
    ),
    (
        "notice_manage.html",
        include_str!("../../../templates/notice_manage.html"),
    ),
    (
        "public_notices.html",
        include_str!("../../../templates/public_notices.html"),
    ),
    (
        "public_notice.html",
        include_str!("../../../templates/public_notice.html"),
    ),
    (
        "published.html",
        include_str!("../../../templates/published.html"),
    ),
    (
        "application_experts.html",
        include_str!("../../../templates/application_experts.html"),
    ),
    ("pool.html", include_str!("../../../templates/pool.html")),
    (
        "pool_member.html",
        include_str!("../../../templates/pool_member.html"),
    ),
    (
        "pool_bars.html",
        include_str!("../../../templates/pool_bars.html"),
    ),
    (
        "pool_legacy.html",
        include_str!("../../../templates/pool_legacy.html"),
    ),
    (
        "experts.html",
        include_str!("../../../templates/experts.html"),
    ),
    (
        "expert.html",
        include_str!("../../../templates/expert.html"),
    ),
    (
        "expert_fields.html",
        include_str!("../../../templates/expert_fields.html"),
    ),
    (
        "round_experts.html",
        include_str!("../../../templates/round_experts.html"),
    ),
    (
        "directory.html",
        include_str!("../../../templates/directory.html"),
    ),
    (
        "directory_member.html",
        include_str!("../../../templates/directory_member.html"),
    ),
    (
        "directory_stats.html",
        include_str!("../../../templates/directory_stats.html"),
    ),
    (
        "certificates.html",
        include_str!("../../../templates/certificates.html"),
    ),
    (
        "certificate.html",
        include_str!("../../../templates/certificate.html"),
    ),
    (
        "decision_record.html",
        include_str!("../../../templates/decision_record.html"),
    ),
];

/// One environment for the process: the templates are compiled into the binary, and the error
/// layer renders pages without access to the application state.
static ENVIRONMENT: LazyLock<Result<Environment<'static>, String>> = LazyLock::new(|| {
    let mut environment = Environment::new();
    for (name, source) in TEMPLATES {
        environment
            .add_template(name, source)
            .map_err(|e| format!("{name}: {e}"))?;
    }
    environment.add_function("t", translate);
    environment.add_function("tf", translate_format);
    environment.add_filter("datetime", format_datetime);
    environment.add_filter("date", format_date);
    environment.add_filter("filesize", format_size);
    Ok(environment)
});

impl Templates {
    pub fn new() -> anyhow::Result<Templates> {
        match &*ENVIRONMENT {
            Ok(_) => Ok(Templates { _private: () }),
            Err(error) => Err(anyhow::anyhow!("templates: {error}")),
        }
    }

    pub fn render(&self, name: &str, context: Value) -> Result<Html<String>, AppError> {
        render(name, context)
    }
}

fn render(name: &str, context: Value) -> Result<Html<String>, AppError> {
    let environment = ENVIRONMENT.as_ref().map_err(AppError::internal)?;
    let template = environment.get_template(name).map_err(AppError::internal)?;
    template
        .render(context)
        .map(Html)
        .map_err(|e| AppError::internal(format!("template {name}: {e:#}")))
}

/// The English of one interface string; the Chinese when there is none.
pub fn english(text: &str) -> &str {
    english::ENGLISH
        .iter()
        .find(|(zh, _)| *zh == text)
        .map_or(text, |(_, en)| *en)
}

/// An interface string in the page's language.
pub fn tr<'a>(lang: &str, text: &'a str) -> &'a str {
    if lang == "en" { english(text) } else { text }
}

fn is_english(state: &minijinja::State<'_, '_>) -> bool {
    state
        .lookup("lang")
        .is_some_and(|lang| lang.as_str() == Some("en"))
}

fn translate(state: &minijinja::State<'_, '_>, text: &str) -> String {
    if is_english(state) {
        english(text).to_owned()
    } else {
        text.to_owned()
    }
}

/// `tf("共 {} 条", total)`: translates, then fills each `{}` in turn.
fn translate_format(
    state: &minijinja::State<'_, '_>,
    text: &str,
    args: minijinja::value::Rest<Value>,
) -> String {
    let mut out = String::new();
    let pattern = if is_english(state) {
        english(text)
    } else {
        text
    };
    let mut pieces = pattern.split("{}");
    if let Some(first) = pieces.next() {
        out.push_str(first);
    }
    for (index, piece) in pieces.enumerate() {
        if let Some(arg) = args.get(index) {
            out.push_str(&arg.to_string());
        }
        out.push_str(piece);
    }
    out
}

/// China Standard Time, in which the documents' dates are written.
fn china_time(seconds: i64) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    let offset = chrono::FixedOffset::east_opt(8 * 3600)?;
    chrono::DateTime::from_timestamp(seconds, 0).map(|t| t.with_timezone(&offset))
}

fn format_datetime(value: Value) -> String {
    i64::try_from(value)
        .ok()
        .and_then(china_time)
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

fn format_date(value: Value) -> String {
    i64::try_from(value)
        .ok()
        .and_then(china_time)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

fn format_size(value: Value) -> String {
    let bytes = i64::try_from(value).unwrap_or_default();
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / 1024.0 / 1024.0)
    } else if bytes >= 1024 {
        format!("{:.0} KB", bytes as f64 / 1024.0)
    } else {
        format!("{bytes} B")
    }
}

/// The interface language: `lang` cookie, else Chinese.
pub fn language(headers: &HeaderMap) -> &'static str {
    if auth::cookie(headers, "lang") == Some("en") {
        "en"
    } else {
        "zh"
    }
}

/// A bilingual message (`中文 / English`) in the page's language. The English starts at the
/// first `/ ` after a space or a Chinese character (「（按内容识别）/ only …」) beyond which
/// no Chinese follows; a bilingual label inside the Chinese (「电话 / phone：…」) keeps its
/// Chinese. `static/app.js` splits API messages the same way.
pub fn message_in(lang: &str, message: &str) -> String {
    let is_chinese = |c: char| matches!(c, '\u{3000}'..='\u{303f}' | '\u{4e00}'..='\u{9fff}' | '\u{ff00}'..='\u{ffef}');
    let separator = message.char_indices().find(|&(at, c)| {
        c == '/'
            && message[at + 1..].starts_with(' ')
            && message[..at]
                .chars()
                .next_back()
                .is_some_and(|before| before == ' ' || is_chinese(before))
            && !message[at..].chars().any(is_chinese)
    });
    let Some((at, _)) = separator else {
        return message.to_owned();
    };
    if lang == "en" {
        return message[at + 1..].trim().to_owned();
    }
    let mut zh = String::new();
    let mut rest = message[..at].trim_end();
    while let Some(start) = rest.find(" / ") {
        let after = &rest[start + 3..];
        if after.starts_with(|c: char| c.is_ascii_alphabetic()) {
            zh.push_str(&rest[..start]);
            rest = &after[after.find(is_chinese).unwrap_or(after.len())..];
        } else {
            zh.push_str(&rest[..start + 3]);
            rest = after;
        }
    }
    zh.push_str(rest);
    zh
}

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/", get(index))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/lang/{lang}", get(switch_language))
        .merge(applications::routes())
        .merge(account::routes())
        .merge(rounds::routes())
        .merge(spreadsheets::routes())
        .merge(admin::routes())
        .merge(inbox::routes())
        .merge(review::routes())
        .merge(experts::routes())
        .merge(decisions::routes())
        .merge(notices::routes())
        .merge(transparency::routes())
        .merge(certificates::routes())
        .merge(experts::authority_routes())
        .merge(pool::routes())
        .merge(directory::routes())
        .merge(regrade::routes())
        .merge(pool_members::routes())
        .route(
            "/static/app.css",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/css; charset=utf-8"),
                        (header::CACHE_CONTROL, "no-cache"),
                    ],
                    include_str!("../../../static/app.css"),
                )
            }),
        )
        .route(
            "/static/app.js",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                        (header::CACHE_CONTROL, "no-cache"),
                    ],
                    include_str!("../../../static/app.js"),
                )
            }),
        )
        .route(
            "/favicon.ico",
            get(|| async { icon("image/x-icon", FAVICON_ICO) }),
        )
        .route(
            "/static/favicon.svg",
            get(|| async { icon("image/svg+xml", FAVICON_SVG) }),
        )
        .fallback(not_found)
        .layer(axum::middleware::from_fn(html_errors))
}

/// The site's icon: a white star on the accent blue, as ICO (asked for by every browser at
/// `/favicon.ico`) and SVG (named by the layout).
const FAVICON_ICO: &[u8] = include_bytes!("../../../static/favicon.ico");
const FAVICON_SVG: &[u8] = include_bytes!("../../../static/favicon.svg");

fn icon(content_type: &'static str, bytes: &'static [u8]) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        bytes,
    )
        .into_response()
}

/// Unknown paths: the error page for people, the JSON error under `/api/`.
async fn not_found(State(state): State<AppState>, request: Request) -> AppError {
    // A signed-in visitor keeps the navigation on the error page.
    let (mut parts, _) = request.into_parts();
    if !parts.uri.path().starts_with("/api/") {
        let _ = PageActor::from_request_parts(&mut parts, &state).await;
    }
    AppError::not_found()
}

/// Where a page handler leaves the layout context of its user, so that the error layer can
/// render the error page with the same header (the layer sees only the response).
#[derive(Debug, Clone, Default)]
struct LayoutSlot(std::sync::Arc<std::sync::Mutex<Option<Value>>>);

/// Turns error responses of the pages (the JSON of [`AppError`], or the plain text of a
/// rejected extractor) into the HTML error page with a Chinese message. API paths keep JSON.
async fn html_errors(mut request: Request, next: axum::middleware::Next) -> Response {
    let lang = language(request.headers());
    let is_api = request.uri().path().starts_with("/api/");
    let slot = LayoutSlot::default();
    request.extensions_mut().insert(slot.clone());
    let response = next.run(request).await;
    let status = response.status();
    if is_api || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    if content_type.starts_with("text/html") {
        return response;
    }
    let (parts, body) = response.into_parts();
    let mut message = None;
    if content_type.starts_with("application/json")
        && let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await
        && let Ok(error) = serde_json::from_slice::<serde_json::Value>(&bytes)
    {
        message = error
            .get("message")
            .and_then(|m| m.as_str())
            .map(|m| message_in(lang, m));
    }
    let message = message.unwrap_or_else(|| {
        let generic = match status {
            StatusCode::NOT_FOUND => "页面不存在或无权访问",
            StatusCode::FORBIDDEN => "无权访问此页面",
            StatusCode::METHOD_NOT_ALLOWED => "不支持该请求方式",
            StatusCode::PAYLOAD_TOO_LARGE => "提交的内容过大",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "不支持的提交格式",
            status if status.is_server_error() => "服务器内部错误，请稍后再试",
            _ => "请求无效，请返回后重试",
        };
        tr(lang, generic).to_owned()
    });
    let title = match status {
        StatusCode::NOT_FOUND => "页面不存在",
        StatusCode::FORBIDDEN => "无权访问",
        _ => "出错了",
    };
    let layout = slot
        .0
        .lock()
        .ok()
        .and_then(|mut guard| guard.take())
        .unwrap_or_else(|| context! { lang => lang });
    let page = render(
        "error.html",
        context! { message => message, title => title, status => status.as_u16(), ..layout },
    )
    .map(IntoResponse::into_response)
    .unwrap_or_else(|_| (status, "error").into_response());
    let mut response = (status, page).into_response();
    if let Some(allow) = parts.headers.get(header::ALLOW) {
        response.headers_mut().insert(header::ALLOW, allow.clone());
    }
    response
}

/// The mark shown for each status of a requirement (language-neutral).
pub const SYMBOLS: &[(&str, &str)] = &[
    ("met", "✓"),
    ("not_met", "✗"),
    ("exempt", "○"),
    ("missing", "…"),
    ("not_applicable", "–"),
    ("missing_parameter", "?"),
    ("none", ""),
];

/// The engine's status labels by id (`pingjia_core::Status::label`).
pub const STATUS_LABELS: &[(&str, &str)] = &[
    ("met", "满足"),
    ("not_met", "不满足"),
    ("exempt", "免于要求"),
    ("missing", "未填写"),
    ("not_applicable", "无要求"),
    ("missing_parameter", "待批次设定参数"),
];

/// A signed-in user of the pages and the page language. Anonymous visitors are redirected to
/// `/login?next=…`; a user who must change the password is sent to that form first.
#[derive(Debug, Clone)]
pub struct PageActor {
    pub actor: Actor,
    pub lang: &'static str,
    /// The user's unread notifications (the header's badge).
    pub unread: i64,
}

impl FromRequestParts<AppState> for PageActor {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<PageActor, Response> {
        let lang = language(&parts.headers);
        let path = parts.uri.path().to_owned();
        match Actor::from_request_parts(parts, state).await {
            Ok(actor) => {
                if actor.user.must_change_password != 0
                    && path != "/account/password"
                    && parts.method == axum::http::Method::GET
                {
                    return Err(Redirect::to("/account/password").into_response());
                }
                let unread = crate::services::notifications::unread(state, &actor)
                    .await
                    .map_err(IntoResponse::into_response)?;
                let page = PageActor {
                    actor,
                    lang,
                    unread,
                };
                if let Some(slot) = parts.extensions.get::<LayoutSlot>()
                    && let Ok(mut layout) = slot.0.lock()
                {
                    *layout = Some(page.base(""));
                }
                Ok(page)
            }
            Err(error) if error.code == "unauthenticated" => {
                let target = parts
                    .uri
                    .path_and_query()
                    .map_or("/", |p| p.as_str())
                    .to_owned();
                // After signing in, come back to the page (a POST target is re-read as GET).
                let next = if parts.method == axum::http::Method::GET {
                    target
                } else {
                    path
                };
                Err(Redirect::to(&format!("/login?next={}", percent_encode(&next))).into_response())
            }
            Err(error) => Err(error.into_response()),
        }
    }
}

impl PageActor {
    /// The context every page shares: language, the user, the CSRF token, the active nav item.
    pub fn base(&self, nav: &str) -> Value {
        let actor = &self.actor;
        context! {
            lang => self.lang,
            csrf => actor.csrf(),
            nav => nav,
            unread => self.unread,
            symbols => serde_value(&SYMBOLS.iter().copied().collect::<std::collections::BTreeMap<_, _>>()),
            status_labels => serde_value(&STATUS_LABELS.iter().copied().collect::<std::collections::BTreeMap<_, _>>()),
            legend => STATUS_LABELS
                .iter()
                .map(|(status, label)| context! {
                    status => *status,
                    label => *label,
                    symbol => SYMBOLS.iter().find(|(s, _)| s == status).map_or("", |(_, symbol)| *symbol),
                })
                .collect::<Vec<_>>(),
            user => context! {
                username => actor.user.username.clone(),
                display_name => actor.user.display_name.clone(),
                role => actor.role.as_str(),
                role_label => actor.role.label_zh(),
                applicant => actor.role == crate::services::actor::Role::Applicant,
                email => actor.user.email.clone(),
                authority => actor.role == crate::services::actor::Role::AuthorityAdmin,
            },
        }
    }

    /// Renders a page with the shared context and the page's own.
    pub fn render(&self, template: &str, nav: &str, page: Value) -> AppResult<Response> {
        self.render_with_status(StatusCode::OK, template, nav, page)
    }

    pub fn render_with_status(
        &self,
        status: StatusCode,
        template: &str,
        nav: &str,
        page: Value,
    ) -> AppResult<Response> {
        let html = render(template, context! { ..self.base(nav), ..page })?;
        Ok((status, html).into_response())
    }

    pub fn check_csrf(&self, submitted: &str) -> AppResult<()> {
        self.actor.check_form_csrf(submitted)
    }
}

/// A fixed notice named in the query (`?notice=saved`): only known texts are ever shown.
pub fn notice_text(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "saved" => "已保存",
        "created" => "申报已创建，请填写申报内容",
        "submitted" => "已提交申报，等待区县初审",
        "uploaded" => "佐证材料已上传",
        "deleted" => "佐证材料已删除",
        "imported" => "申报书已导入",
        "revoked" => "令牌已撤销",
        "password" => "密码已修改",
        "registered" => "单位注册成功，欢迎使用",
        "email" => "电子邮箱已保存",
        _ => return None,
    })
}

/// `application/x-www-form-urlencoded` pairs in order, repeated keys kept (checkbox groups).
pub fn parse_form(body: &str) -> Vec<(String, String)> {
    body.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(key), percent_decode(value))
        })
        .collect()
}

/// The first value of a form key.
pub fn form_value<'a>(pairs: &'a [(String, String)], key: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map_or("", |(_, v)| v.as_str())
}

pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'+' => out.push(b' '),
            b'%' if index + 2 < bytes.len() => {
                match (hex(bytes[index + 1]), hex(bytes[index + 2])) {
                    (Some(high), Some(low)) => {
                        out.push((high * 16 + low) as u8);
                        index += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            byte => out.push(byte),
        }
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encodes everything but unreserved characters (for `next=` and query values).
pub fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// `&key=value…` of the non-empty pairs, percent-encoded: what a list's page links carry
/// after `?page=N` so that paging keeps the filters.
pub fn query_string(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(key, value)| format!("&{key}={}", percent_encode(value)))
        .collect()
}

/// Whether a command's refusal goes back to its form, said beside it: a state that does not
/// allow it (409) or input that is wrong (422). Anything else (not found, not allowed) is the
/// error page.
pub fn refused_at_form(error: &AppError) -> bool {
    matches!(error.status, 409 | 422)
}

/// The status a page refused beside its form answers with: the refusal's own.
pub fn refusal_status(error: &AppError) -> StatusCode {
    StatusCode::from_u16(error.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY)
}

/// The page of a list page's query string (`?page=`), at `per_page` rows.
pub fn paging(number: Option<&str>, per_page: i64) -> AppResult<crate::services::records::Page> {
    let size = per_page.to_string();
    crate::services::page(number, Some(size.as_str()))
}

/// How many pages `total` rows fill at `per_page` a page (at least one).
pub fn page_count(total: i64, per_page: i64) -> i64 {
    ((total + per_page - 1) / per_page).max(1)
}

/// Any serialisable value as a template value.
pub fn serde_value<T: serde::Serialize>(value: &T) -> Value {
    Value::from(minijinja::value::Serde(value))
}

/// Serialises a value for a `<script type="application/json">` block: `<`, `>` and `&` are
/// escaped so the text can never close the element.
pub fn script_json<T: serde::Serialize>(value: &T) -> Value {
    let text = serde_json::to_string(value)
        .unwrap_or_else(|_| "null".to_owned())
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026");
    Value::from_safe_string(text)
}

async fn index(MaybeActor(actor): MaybeActor) -> Redirect {
    match actor {
        Some(_) => Redirect::to("/applications"),
        None => Redirect::to("/login"),
    }
}

#[derive(Debug, Deserialize)]
struct Next {
    next: Option<String>,
}

/// Only a local path made of safe characters is followed after sign-in (no open redirect):
/// it starts with one `/`, and every character is an ASCII letter, digit or one of
/// `-._~/?=&%+`. Browsers drop tabs and newlines and read `\\` as `/`, so `/\t/evil.example`
/// would leave the site: such characters are refused, never cleaned.
fn safe_next(next: Option<&str>) -> String {
    let safe = |path: &str| {
        let mut chars = path.chars();
        chars.next() == Some('/')
            && !matches!(chars.next(), Some('/'))
            && path
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._~/?=&%+".contains(c))
    };
    match next {
        Some(path) if safe(path) => path.to_owned(),
        _ => "/applications".to_owned(),
    }
}

async fn login_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeActor(actor): MaybeActor,
    Query(next): Query<Next>,
) -> Result<Response, AppError> {
    if actor.is_some() {
        return Ok(Redirect::to(&safe_next(next.next.as_deref())).into_response());
    }
    let csrf = accounts::random_token(16);
    let page = render(
        "login.html",
        context! { lang => language(&headers), csrf => csrf.clone(), next => safe_next(next.next.as_deref()), error => Value::UNDEFINED },
    )?;
    let cookie = auth::set_cookie(&state, &headers, auth::LOGIN_CSRF_COOKIE, &csrf, 3600);
    Ok(([(header::SET_COOKIE, cookie)], page).into_response())
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    csrf: String,
    next: Option<String>,
}

async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    auth::ClientAddress(address): auth::ClientAddress,
    Form(form): Form<LoginForm>,
) -> Result<Response, AppError> {
    // Double-submit check: the form's token must match the cookie set with the form.
    let expected = auth::cookie(&headers, auth::LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !accounts::constant_time_eq(expected.as_bytes(), form.csrf.as_bytes())
    {
        return Err(crate::services::actor::csrf_failed());
    }
    let lang = language(&headers);
    let retry = |message: &str| -> Result<Response, AppError> {
        let page = render(
            "login.html",
            context! { lang => lang, csrf => form.csrf.clone(), next => safe_next(form.next.as_deref()), error => message, username => form.username.clone() },
        )?;
        Ok((StatusCode::UNAUTHORIZED, page).into_response())
    };
    match accounts::sign_in(&state, form.username.trim(), &form.password, &address).await? {
        SignIn::Ok {
            cookie_value, user, ..
        } => {
            let cookie = auth::set_cookie(
                &state,
                &headers,
                auth::SESSION_COOKIE,
                &cookie_value,
                state.config.session_hours * 3600,
            );
            let target = if user.must_change_password != 0 {
                "/account/password".to_owned()
            } else {
                safe_next(form.next.as_deref())
            };
            Ok(([(header::SET_COOKIE, cookie)], Redirect::to(&target)).into_response())
        }
        SignIn::Wrong => retry("用户名或密码错误"),
        SignIn::Throttled => retry(&message_in(
            lang,
            &accounts::too_many_attempts(&state).message,
        )),
    }
}

#[derive(Debug, Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeActor(actor): MaybeActor,
    Form(form): Form<CsrfForm>,
) -> Result<Response, AppError> {
    if let Some(actor) = actor {
        actor.check_form_csrf(&form.csrf)?;
        if actor.session.is_some() {
            accounts::sign_out(&state, &actor).await?;
        }
    }
    let cookie = auth::set_cookie(&state, &headers, auth::SESSION_COOKIE, "", 0);
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/login")).into_response())
}

async fn switch_language(
    headers: HeaderMap,
    axum::extract::Path(lang): axum::extract::Path<String>,
) -> Response {
    let lang = if lang == "en" { "en" } else { "zh" };
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| {
            r.find("://")
                .and_then(|i| r[i + 3..].find('/').map(|j| r[i + 3 + j..].to_owned()))
        })
        .unwrap_or_else(|| "/".to_owned());
    let cookie = format!("lang={lang}; Path=/; SameSite=Lax; Max-Age=31536000");
    (
        [(header::SET_COOKIE, cookie)],
        Redirect::to(&safe_next(Some(&back))),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_links_keep_the_filters_encoded() {
        assert_eq!(
            query_string(&[
                ("state", "county_review"),
                ("region", ""),
                ("q", "智联 & 50%")
            ]),
            "&state=county_review&q=%E6%99%BA%E8%81%94%20%26%2050%25"
        );
        assert_eq!(query_string(&[("q", "")]), "");
    }

    #[test]
    fn forms_decode_with_repeated_keys_and_utf8() {
        let pairs = parse_form(
            "csrf=ab&subclass=access&subclass=development&v%3Aregistered_capital=1200%E4%B8%87&x=a+b&bad=%zz",
        );
        assert_eq!(form_value(&pairs, "csrf"), "ab");
        assert_eq!(pairs.iter().filter(|(k, _)| k == "subclass").count(), 2);
        assert_eq!(form_value(&pairs, "v:registered_capital"), "1200万");
        assert_eq!(form_value(&pairs, "x"), "a b");
        assert_eq!(form_value(&pairs, "bad"), "%zz");
    }

    #[test]
    fn next_paths_are_encoded_and_only_local() {
        assert_eq!(
            percent_encode("/applications/3?page=2"),
            "/applications/3%3Fpage%3D2"
        );
        assert_eq!(safe_next(Some("//evil.example")), "/applications");
        assert_eq!(safe_next(Some("/organization")), "/organization");
        assert_eq!(
            safe_next(Some("/applications?page=2&state=county_review")),
            "/applications?page=2&state=county_review"
        );
        // What a query string decodes `%09`, `%0a` and `%5c` to: browsers drop tabs and
        // newlines and read a backslash as a slash, so each would lead off the site.
        for hostile in [
            "/\t/evil.example",
            "/\n/evil.example",
            "/\\evil.example",
            "/\\/evil.example",
            "https://evil.example",
            " /evil",
            "",
        ] {
            assert_eq!(safe_next(Some(hostile)), "/applications", "{hostile:?}");
        }
    }

    #[test]
    fn every_template_string_has_an_english_entry() {
        let mut missing = Vec::new();
        let mut checked = 0;
        for (name, source) in TEMPLATES {
            for (marker, quote) in [("t(\"", '"'), ("tf(\"", '"'), ("t('", '\''), ("tf('", '\'')] {
                let mut rest = *source;
                while let Some(start) = rest.find(marker) {
                    let after = &rest[start + marker.len()..];
                    let end = after.find(quote).unwrap_or(after.len());
                    let text = &after[..end];
                    checked += 1;
                    if english(text) == text && !text.is_empty() {
                        missing.push(format!("{name}: {text}"));
                    }
                    rest = &after[end..];
                }
            }
        }
        for text in applications::SCRIPT_STRINGS
            .iter()
            .chain(form::LABELS)
            .chain(english::DYNAMIC)
            .chain(rounds::LABELS)
        {
            if english(text) == *text {
                missing.push(format!("(code): {text}"));
            }
        }
        assert!(checked > 200, "the scan found only {checked} strings");
        assert!(missing.is_empty(), "no English for: {missing:#?}");
    }

    #[test]
    fn bilingual_messages_are_split() {
        assert_eq!(
            message_in("zh", "当前密码不正确 / current password is wrong"),
            "当前密码不正确"
        );
        assert_eq!(
            message_in("en", "当前密码不正确 / current password is wrong"),
            "current password is wrong"
        );
        assert_eq!(message_in("en", "只有中文"), "只有中文");
        let upload = "仅接受 PDF、PNG 文件（按内容识别）/ only PDF, PNG files are accepted (checked by content)";
        assert_eq!(
            message_in("zh", upload),
            "仅接受 PDF、PNG 文件（按内容识别）"
        );
        assert_eq!(
            message_in("en", upload),
            "only PDF, PNG files are accepted (checked by content)"
        );
        let labelled = "电话 / phone：最多200字，不能包含控制字符 / at most 200 characters";
        assert_eq!(
            message_in("zh", labelled),
            "电话：最多200字，不能包含控制字符"
        );
        assert_eq!(message_in("en", labelled), "at most 200 characters");
        assert_eq!(
            message_in("en", "令牌权限 / scopes: read / write"),
            "scopes: read / write"
        );
        assert_eq!(message_in("zh", "容量 0.5GB/s 以上"), "容量 0.5GB/s 以上");
        assert_eq!(
            message_in("zh", "苏州 / 昆山：不可用 / unavailable"),
            "苏州 / 昆山：不可用"
        );
    }
}
