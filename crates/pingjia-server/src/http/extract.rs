//! Who is calling, read from the request: the session cookie (HttpOnly, SameSite=Lax, Secure
//! behind TLS) with its per-session CSRF token, or an API token with its scopes.
//!
//! Deny by default: a handler that takes an [`Actor`] cannot run for an anonymous caller, and
//! an unsafe method (POST, PUT, DELETE) with a session cookie needs the session's CSRF token.

use crate::context::AppState;
use crate::error::AppError;
use crate::services::accounts::{self, constant_time_eq};
use crate::services::actor::{Actor, csrf_failed};
use crate::services::evidence::{self, Upload};
use axum::extract::{ConnectInfo, FromRequestParts, Multipart};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};

pub const SESSION_COOKIE: &str = "pingjia_session";
pub const LOGIN_CSRF_COOKIE: &str = "pingjia_login_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";

impl FromRequestParts<AppState> for Actor {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Actor, AppError> {
        if let Some(actor) = parts.extensions.get::<Actor>() {
            return Ok(actor.clone());
        }
        let actor = authenticate(&parts.headers, &parts.method, parts.uri.path(), state)
            .await?
            .ok_or_else(AppError::unauthenticated)?;
        // A one-time password (set by an administrator) is changed before anything else is
        // done through the API; the pages send the user to the form instead (`PageActor`).
        let path = parts.uri.path();
        let allowed = path == "/api/v1/me/password"
            || (path == "/api/v1/me" && parts.method == Method::GET)
            || (path == "/api/v1/session" && parts.method == Method::DELETE);
        if actor.user.must_change_password != 0 && path.starts_with("/api/") && !allowed {
            return Err(AppError::new(
                403,
                "password_change_required",
                "请先修改一次性密码（POST /api/v1/me/password）/ change the one-time password first",
            ));
        }
        parts.extensions.insert(actor.clone());
        Ok(actor)
    }
}

/// The client's address, for sign-in throttling: the connection's peer, or the last
/// `X-Forwarded-For` entry when the configuration says a reverse proxy sets it. Empty when
/// neither is known (requests made in-process, as in tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAddress(pub String);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<ClientAddress, Self::Rejection> {
        if state.config.trust_forwarded_for
            && let Some(forwarded) = parts
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit(',').next())
                .map(str::trim)
                .filter(|v| v.parse::<std::net::IpAddr>().is_ok())
        {
            return Ok(ClientAddress(forwarded.to_owned()));
        }
        let peer = parts
            .extensions
            .get::<ConnectInfo<std::net::SocketAddr>>()
            .map(|ConnectInfo(address)| address.ip().to_string())
            .unwrap_or_default();
        Ok(ClientAddress(peer))
    }
}

/// An optional caller, for pages that work signed in or not.
#[derive(Debug, Clone)]
pub struct MaybeActor(pub Option<Actor>);

impl FromRequestParts<AppState> for MaybeActor {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<MaybeActor, AppError> {
        match Actor::from_request_parts(parts, state).await {
            Ok(actor) => Ok(MaybeActor(Some(actor))),
            Err(error) if error.code == "unauthenticated" => Ok(MaybeActor(None)),
            Err(error) => Err(error),
        }
    }
}

async fn authenticate(
    headers: &HeaderMap,
    method: &Method,
    path: &str,
    state: &AppState,
) -> Result<Option<Actor>, AppError> {
    let unsafe_method = !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    if let Some(token) = bearer(headers) {
        return accounts::actor_by_token(state, token, unsafe_method)
            .await
            .map(Some);
    }
    let Some(cookie) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let Some(actor) = accounts::actor_by_session(state, cookie).await? else {
        return Ok(None);
    };
    // JSON API calls carry the CSRF token in a header; page forms carry it in a field that
    // the page handler checks (`Actor::check_form_csrf`).
    if unsafe_method && path.starts_with("/api/") {
        let sent = headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if !constant_time_eq(sent.as_bytes(), actor.csrf().as_bytes()) {
            return Err(csrf_failed());
        }
    }
    Ok(Some(actor))
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// A `Set-Cookie` value. `Secure` when configured or when the request came over TLS.
pub fn set_cookie(
    state: &AppState,
    headers: &HeaderMap,
    name: &str,
    value: &str,
    max_age: i64,
) -> String {
    let behind_tls = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        == Some("https");
    let secure = if state.config.secure_cookies || behind_tls {
        "; Secure"
    } else {
        ""
    };
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
}

/// `attachment; filename="ascii"; filename*=UTF-8''percent-encoded` (RFC 6266 / 5987).
pub fn content_disposition(filename: &str) -> String {
    let ascii: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = filename
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b".-_~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// Reads an upload form: the `file` field (stopping as soon as it exceeds `limit` bytes), an
/// optional `criterion`, and the page form's `csrf` field, which travels in the body and
/// never in the URL. The file is `None` when the form has none; the caller checks the CSRF
/// token first, then asks for the file ([`require_file`]).
pub async fn read_upload(
    mut multipart: Multipart,
    limit: u64,
) -> Result<(Option<Upload>, Option<String>), AppError> {
    let mut upload = Upload::default();
    let mut found_file = false;
    let mut csrf = None;
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|e| AppError::invalid(format!("上传格式错误 / malformed upload: {e}")))?
    {
        match field.name() {
            Some("file") => {
                upload.filename = field.file_name().unwrap_or("file").to_owned();
                let mut bytes = Vec::new();
                while let Some(chunk) = field
                    .chunk()
                    .await
                    .map_err(|e| AppError::invalid(format!("上传中断 / upload interrupted: {e}")))?
                {
                    if (bytes.len() + chunk.len()) as u64 > limit {
                        return Err(evidence::too_large(limit));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                upload.bytes = bytes;
                found_file = true;
            }
            Some("criterion") => {
                let text = small_field(field).await?;
                upload.criterion = Some(text.trim().to_owned()).filter(|t| !t.is_empty());
            }
            Some("csrf") => csrf = Some(small_field(field).await?),
            _ => {}
        }
    }
    Ok((found_file.then_some(upload), csrf))
}

/// A short text field of a multipart form, read up to 1 KB.
async fn small_field(mut field: axum::extract::multipart::Field<'_>) -> Result<String, AppError> {
    const LIMIT: usize = 1024;
    let mut bytes = Vec::new();
    while let Some(chunk) = field
        .chunk()
        .await
        .map_err(|e| AppError::invalid(format!("上传中断 / upload interrupted: {e}")))?
    {
        if bytes.len() + chunk.len() > LIMIT {
            return Err(AppError::invalid("表单字段过长 / form field too long"));
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes).map_err(|_| AppError::invalid("表单字段不是 UTF-8 / not UTF-8"))
}

/// The upload's file, or the error that says it is missing.
pub fn require_file(upload: Option<Upload>) -> Result<Upload, AppError> {
    upload.ok_or_else(|| AppError::invalid("缺少文件字段 file / missing the file field"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_among_several() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            "a=1; pingjia_session=abc; lang=en".parse().unwrap(),
        );
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&headers, "lang"), Some("en"));
        assert_eq!(cookie(&headers, "missing"), None);
    }

    #[test]
    fn dispositions_are_encoded() {
        let disposition = content_disposition("营业执照.pdf");
        assert!(
            disposition
                .starts_with("attachment; filename=\"____.pdf\"; filename*=UTF-8''%E8%90%A5"),
            "{disposition}"
        );
    }
}
