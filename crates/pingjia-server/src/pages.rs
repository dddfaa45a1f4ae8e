//! Server-rendered pages in Simplified Chinese (English switch), usable without a front-end
//! build step: minijinja templates and one small script, all embedded in the binary.

use crate::app::AppState;
use crate::auth::{self, MaybeActor, SignIn};
use crate::error::AppError;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use minijinja::{Environment, Value, context};
use serde::Deserialize;

/// The embedded templates and the UI dictionary.
#[derive(Debug)]
pub struct Templates {
    environment: Environment<'static>,
}

const TEMPLATES: &[(&str, &str)] = &[
    ("layout.html", include_str!("../templates/layout.html")),
    ("login.html", include_str!("../templates/login.html")),
    ("error.html", include_str!("../templates/error.html")),
];

/// English for the interface's Chinese strings; a missing entry shows the Chinese.
const ENGLISH: &[(&str, &str)] = &[
    ("评价", "pingjia"),
    ("登录", "Sign in"),
    ("退出", "Sign out"),
    ("用户名", "User name"),
    ("密码", "Password"),
    ("用户名或密码错误", "Wrong user name or password"),
    ("申报", "Applications"),
    ("单位信息", "Organisation"),
    ("修改密码", "Change password"),
    ("出错了", "Something went wrong"),
    ("返回首页", "Back to the start page"),
];

impl Templates {
    pub fn new() -> anyhow::Result<Templates> {
        let mut environment = Environment::new();
        for (name, source) in TEMPLATES {
            environment.add_template(name, source)?;
        }
        environment.add_function("t", translate);
        Ok(Templates { environment })
    }

    pub fn render(&self, name: &str, context: Value) -> Result<Html<String>, AppError> {
        let template = self
            .environment
            .get_template(name)
            .map_err(AppError::internal)?;
        template
            .render(context)
            .map(Html)
            .map_err(AppError::internal)
    }
}

fn translate(state: &minijinja::State<'_, '_>, text: &str) -> String {
    let english = state
        .lookup("lang")
        .is_some_and(|lang| lang.as_str() == Some("en"));
    if english {
        ENGLISH
            .iter()
            .find(|(zh, _)| *zh == text)
            .map_or(text, |(_, en)| *en)
            .to_owned()
    } else {
        text.to_owned()
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

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/", get(index))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/lang/{lang}", get(switch_language))
        .route(
            "/static/app.css",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
                    include_str!("../static/app.css"),
                )
            }),
        )
        .route(
            "/static/app.js",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
                    include_str!("../static/app.js"),
                )
            }),
        )
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

/// Only local paths are followed after sign-in (no open redirect).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => {
            path.to_owned()
        }
        _ => "/applications".to_owned(),
    }
}

async fn login_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(next): Query<Next>,
) -> Result<Response, AppError> {
    let csrf = auth::random_token(16);
    let page = state.pages.render(
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
    Form(form): Form<LoginForm>,
) -> Result<Response, AppError> {
    // Double-submit check: the form's token must match the cookie set with the form.
    let expected = auth::cookie(&headers, auth::LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !auth::constant_time_eq(expected.as_bytes(), form.csrf.as_bytes()) {
        return Err(AppError::new(
            StatusCode::FORBIDDEN,
            "csrf_failed",
            "请求校验失败，请刷新页面后重试 / CSRF check failed",
        ));
    }
    let lang = language(&headers);
    let retry = |message: &str| -> Result<Response, AppError> {
        let page = state.pages.render(
            "login.html",
            context! { lang => lang, csrf => form.csrf.clone(), next => safe_next(form.next.as_deref()), error => message, username => form.username.clone() },
        )?;
        Ok((StatusCode::UNAUTHORIZED, page).into_response())
    };
    match auth::sign_in(&state, form.username.trim(), &form.password).await? {
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
        SignIn::Throttled => retry(&crate::api::too_many_attempts(&state).message),
    }
}

#[derive(Debug, Deserialize)]
struct CsrfForm {
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
        if let Some(session) = &actor.session {
            crate::store::delete_session(&state.db, &session.token_hash).await?;
        }
    }
    let cookie = auth::set_cookie(&state, &headers, auth::SESSION_COOKIE, "", 0);
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/login")).into_response())
}

async fn switch_language(
    State(state): State<AppState>,
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
    let _ = &state;
    (
        [(header::SET_COOKIE, cookie)],
        Redirect::to(&safe_next(Some(&back))),
    )
        .into_response()
}
