//! The application pages: the list, a new application, the application itself (the
//! declaration form with its live result, evidence, submission and version history; read-only
//! for reviewers) and the printable self-assessment report.

use super::form::{self, FormSource};
use super::{PageActor, form_value, notice_text, parse_form, script_json, serde_value, tr};
use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::http::extract::{cookie, read_upload, require_file, set_cookie};
use crate::services::actor::Role;
use crate::services::applications::{self, ApplicationDetail, EvidenceItem, ListFilter};
use crate::services::assessment as assess;
use crate::services::evidence;
use crate::services::organizations;
use crate::services::records::{self as store, Page, Scope};
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::handler::Handler as _;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use minijinja::{Value, context};
use pingjia_core::scheme::{Method, Scheme};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use std::collections::BTreeMap;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/applications", get(list))
        .route("/applications/new", get(new_page).post(create))
        .route("/applications/{id}", get(show).post(save))
        .route("/applications/{id}/submit", post(submit))
        .route("/applications/{id}/report", get(report))
        .route(
            "/applications/{id}/evidence",
            post(upload.layer(axum::extract::DefaultBodyLimit::disable())),
        )
        .route(
            "/applications/{id}/evidence/{evidence_id}/delete",
            post(delete_evidence),
        )
}

/// Strings `static/app.js` shows; the page hands them over translated.
pub const SCRIPT_STRINGS: &[&str] = &[
    "已保存",
    "保存中…",
    "保存失败",
    "有未保存的修改",
    "满足",
    "不满足",
    "免于要求",
    "未填写",
    "无要求",
    "待批次设定参数",
    "依据",
    "差距分析",
    "达到{}需：",
    "（经由子类 {}）",
    "先满足 {}",
    "当前 {}，需 {}",
    "无（已达最高等级或全部满足）",
    "申报条件与材料均已满足",
    "应填写：{}（当前：{}）",
    "有 {} 个字段填写有误",
    "专家评分",
    "申报单位自评分",
    "汇总",
    "专家评分分歧较大，请复核",
    "尚未填写",
    "尚未填写：还有 {} 项待填",
    "上传中…",
    "上传失败",
    "删除失败",
    "版本",
    "提示",
    "平台类型",
];

/// The states of docs/workflow.md §1 States in Chinese.
pub fn state_label(state: &str) -> &'static str {
    applications::STATES
        .iter()
        .find(|(id, _)| *id == state)
        .map_or("其他", |(_, label)| label)
}

fn method_label(method: Method) -> &'static str {
    match method {
        Method::Stars => "星级评估",
        Method::Rubric => "认定评分",
        Method::Capability => "能力评价",
    }
}

/// Titles of a scheme and provider type, for lists and headings.
#[derive(Debug, Serialize)]
struct Titles {
    scheme: String,
    scheme_short: String,
    provider_type: Option<String>,
    category: Option<String>,
    clause: Option<String>,
    method: &'static str,
}

fn titles(state: &AppState, scheme_id: &str, provider_type: Option<&str>) -> Titles {
    let scheme = state.catalog.schemes.iter().find(|s| s.id == scheme_id);
    let kind = scheme.and_then(|s| {
        provider_type
            .and_then(|t| s.provider_type(t))
            .map(|t| &s.provider_types[t])
    });
    Titles {
        scheme: scheme.map_or_else(|| scheme_id.to_owned(), |s| s.title.clone()),
        scheme_short: scheme.map_or_else(|| scheme_id.to_owned(), short_title),
        provider_type: kind.map(|t| t.title.clone()),
        category: kind.map(|t| t.category.clone()),
        clause: kind
            .map(|t| t.clause.clone())
            .or_else(|| scheme.and_then(|s| s.clause.clone())),
        method: scheme.map_or("", |s| method_label(s.method)),
    }
}

/// 江苏 / 绍兴 / 工信部: how the three documents are told apart at a glance.
pub(super) fn short_title(scheme: &Scheme) -> String {
    if scheme.title.starts_with("江苏") {
        "江苏资源池".to_owned()
    } else if scheme.title.starts_with("绍兴") {
        "绍兴市级平台".to_owned()
    } else if scheme.method == Method::Capability {
        "工信部平台评价".to_owned()
    } else {
        scheme.title.clone()
    }
}

// --- the list ---------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
struct ListQuery {
    page: Option<i64>,
    notice: Option<String>,
}

#[derive(Debug, Serialize)]
struct ListRow {
    id: i64,
    organization: String,
    titles: Titles,
    state: String,
    state_label: &'static str,
    version: i64,
    grade: Option<String>,
    stars: Option<i64>,
    score: Option<String>,
    updated_at: i64,
}

/// One choice of a filter's drop-down.
#[derive(Debug, Serialize)]
struct Choice {
    value: String,
    label: String,
    /// The scheme a provider type belongs to (its option group).
    group: Option<String>,
    selected: bool,
}

const PER_PAGE: i64 = 20;

async fn list(
    State(state): State<AppState>,
    page: PageActor,
    Query(query): Query<ListQuery>,
    Query(filter): Query<ListFilter>,
) -> AppResult<Response> {
    let paging = Page::new(query.page, Some(PER_PAGE));
    // Reviewers narrow their region's list; an applicant's own few applications need no
    // filter, and other roles see no list. A wrong filter is said on the page, not a 422.
    let scope = page.actor.scope();
    let within = match &scope {
        Scope::Region(path, _) => Some(path.as_str()),
        _ => None,
    };
    let applied = if within.is_some() {
        filter.clone()
    } else {
        ListFilter::default()
    };
    let (items, total, filter_error) =
        match applications::list(&state, &page.actor, &applied, paging).await {
            Ok((items, total)) => (items, total, None),
            Err(error) if error.status == 422 => (
                Vec::new(),
                0,
                Some(super::message_in(page.lang, &error.message)),
            ),
            Err(error) => return Err(error),
        };
    let rows: Vec<ListRow> = items
        .into_iter()
        .map(|a| ListRow {
            titles: titles(&state, &a.scheme_id, a.provider_type.as_deref()),
            id: a.id,
            organization: a.organization_name,
            state_label: state_label(a.state.as_str()),
            state: a.state.as_str().to_owned(),
            version: a.version,
            grade: a.grade,
            stars: a.stars,
            score: a.score,
            updated_at: a.updated_at,
        })
        .collect();
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    let value = |v: &Option<String>| v.as_deref().map(str::trim).unwrap_or_default().to_owned();
    let (f_state, f_scheme, f_type, f_region, f_q) = (
        value(&filter.state),
        value(&filter.scheme),
        value(&filter.provider_type),
        value(&filter.region),
        value(&filter.q),
    );
    let lang = page.lang;
    let states: Vec<Choice> = applications::STATES
        .iter()
        // Reviewers never see drafts.
        .filter(|(id, _)| *id != "draft")
        .map(|(id, label)| Choice {
            value: (*id).to_owned(),
            label: tr(lang, label).to_owned(),
            group: None,
            selected: *id == f_state,
        })
        .collect();
    let schemes: Vec<Choice> = state
        .catalog
        .schemes
        .iter()
        .map(|s| Choice {
            value: s.id.clone(),
            label: short_title(s),
            group: None,
            selected: s.id == f_scheme,
        })
        .collect();
    let types: Vec<Choice> = state
        .catalog
        .schemes
        .iter()
        .flat_map(|s| {
            s.provider_types.iter().map(|t| Choice {
                value: t.id.clone(),
                label: t.title.clone(),
                group: Some(short_title(s)),
                selected: t.id == f_type && s.id == f_scheme,
            })
        })
        .collect();
    let regions: Vec<Choice> = match within {
        Some(path) => organizations::regions(&state)
            .await?
            .into_iter()
            .filter(|r| r.path.starts_with(path) && r.path != path)
            .map(|r| Choice {
                selected: r.code == f_region,
                label: if r.level == "county" {
                    format!("\u{3000}{}", r.name)
                } else {
                    r.name
                },
                value: r.code,
                group: None,
            })
            .collect(),
        None => Vec::new(),
    };
    let filtered = [&f_state, &f_scheme, &f_type, &f_region, &f_q]
        .iter()
        .any(|v| !v.is_empty());
    let query_string = super::query_string(&[
        ("state", &f_state),
        ("scheme", &f_scheme),
        ("provider_type", &f_type),
        ("region", &f_region),
        ("q", &f_q),
    ]);
    page.render(
        "applications.html",
        "applications",
        context! {
            rows => serde_value(&rows),
            total => total,
            page_number => paging.number,
            pages => pages,
            applicant => page.actor.role == Role::Applicant,
            regional => page.actor.role.is_regional(),
            notice => notice_text(query.notice.as_deref()),
            filter => context! {
                shown => within.is_some(),
                active => filtered,
                error => filter_error,
                q => f_q,
                states => serde_value(&states),
                schemes => serde_value(&schemes),
                types => serde_value(&types),
                regions => serde_value(&regions),
            },
            query => query_string,
        },
    )
}

// --- a new application ------------------------------------------------------------------------

#[derive(Debug, Serialize)]
struct SchemeOption {
    id: String,
    title: String,
    short: String,
    version: String,
    document: String,
    issuer: Option<String>,
    clause: Option<String>,
    method: &'static str,
    /// Provider types (stars schemes); one option for the whole scheme otherwise.
    options: Vec<TargetOption>,
}

#[derive(Debug, Serialize)]
struct TargetOption {
    value: String,
    title: String,
    category: Option<String>,
    clause: Option<String>,
    description: Option<String>,
    subclasses: Vec<String>,
}

/// A scheme's version as its title follows it: 「2021 版」 (version 2021), or a word such as
/// 试行 as it is.
pub(super) fn version_label(lang: &str, version: &str) -> String {
    if !version.is_empty() && version.chars().all(|c| c.is_ascii_digit()) {
        tr(lang, "{} 版").replacen("{}", version, 1)
    } else {
        version.to_owned()
    }
}

/// The engine's report as applicants and reviewers read it: clauses without transcription
/// remarks ([`form::shown_clause`]).
fn shown_report(report: &pingjia_core::Report) -> pingjia_core::Report {
    let mut report = report.clone();
    for finding in &mut report.findings {
        finding.clause = form::shown_clause(&finding.clause);
    }
    report
}

fn scheme_options(state: &AppState, lang: &str) -> Vec<SchemeOption> {
    state
        .catalog
        .schemes
        .iter()
        .map(|scheme| SchemeOption {
            id: scheme.id.clone(),
            title: scheme.title.clone(),
            short: short_title(scheme),
            version: version_label(lang, &scheme.version),
            document: scheme.document.clone(),
            issuer: scheme.issuer.clone(),
            clause: scheme.clause.clone(),
            method: method_label(scheme.method),
            options: if scheme.provider_types.is_empty() {
                vec![TargetOption {
                    value: scheme.id.clone(),
                    title: scheme.title.clone(),
                    category: None,
                    clause: scheme.clause.clone(),
                    description: None,
                    subclasses: Vec::new(),
                }]
            } else {
                scheme
                    .provider_types
                    .iter()
                    .map(|t| TargetOption {
                        value: format!("{}/{}", scheme.id, t.id),
                        title: t.title.clone(),
                        category: Some(t.category.clone()),
                        clause: Some(t.clause.clone()),
                        description: t.description.clone(),
                        subclasses: t.subclasses.iter().map(|s| s.title.clone()).collect(),
                    })
                    .collect()
            },
        })
        .collect()
}

async fn new_page(State(state): State<AppState>, page: PageActor) -> AppResult<Response> {
    page.actor.require(&[Role::Applicant])?;
    page.render(
        "application_new.html",
        "applications",
        context! { schemes => serde_value(&scheme_options(&state, page.lang)) },
    )
}

#[derive(Debug, Deserialize)]
struct NewForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    target: String,
    /// The round, when several of the scheme are open.
    #[serde(default)]
    round: String,
}

async fn create(
    State(state): State<AppState>,
    page: PageActor,
    Form(form): Form<NewForm>,
) -> AppResult<Response> {
    page.check_csrf(&form.csrf)?;
    page.actor.require(&[Role::Applicant])?;
    if form.target.trim().is_empty() {
        return page.render_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "application_new.html",
            "applications",
            context! {
                schemes => serde_value(&scheme_options(&state, page.lang)),
                error => tr(page.lang, "请选择评价方案和服务商类型"),
            },
        );
    }
    let (scheme, provider_type) = match form.target.trim().split_once('/') {
        Some((scheme, kind)) => (scheme, Some(kind)),
        None => (form.target.trim(), None),
    };
    let round = match form.round.trim() {
        "" => None,
        text => Some(text.parse::<i64>().map_err(|_| AppError::not_found())?),
    };
    match applications::create(&state, &page.actor, scheme, provider_type, round).await {
        Ok(id) => Ok(Redirect::to(&format!("/applications/{id}?notice=created")).into_response()),
        Err(error) if error.status == 409 || error.status == 422 => page.render_with_status(
            StatusCode::from_u16(error.status).unwrap_or(StatusCode::CONFLICT),
            "application_new.html",
            "applications",
            context! {
                schemes => serde_value(&scheme_options(&state, page.lang)),
                error => super::message_in(page.lang, &error.message),
            },
        ),
        Err(error) => Err(error),
    }
}

// --- one application --------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
struct ShowQuery {
    notice: Option<String>,
    version: Option<i64>,
}

/// Messages shown on the application page after an action.
#[derive(Debug, Default)]
struct Messages {
    notice: Option<&'static str>,
    save_error: Option<String>,
    submit_error: Option<String>,
    evidence_error: Option<String>,
    /// What an import of a 申报书 workbook found (or why it was refused).
    import_message: Option<String>,
    /// Why a decision (or a withdrawal) was refused.
    review_error: Option<String>,
}

async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    page: PageActor,
    Path(id): Path<i64>,
    Query(query): Query<ShowQuery>,
) -> AppResult<Response> {
    let detail = applications::detail_at(&state, &page.actor, id, query.version).await?;
    let old_version = query
        .version
        .is_some_and(|number| detail.versions.last().is_some_and(|v| v.number != number));
    let mut messages = Messages {
        notice: notice_text(query.notice.as_deref())
            .or_else(|| super::review::notice_text(query.notice.as_deref())),
        ..Messages::default()
    };
    let flash = take_flash(&headers, id);
    if let Some((kind, message)) = &flash {
        let slot = match kind {
            Refused::Save => &mut messages.save_error,
            Refused::Submit => &mut messages.submit_error,
            Refused::Evidence => &mut messages.evidence_error,
            Refused::Import => &mut messages.import_message,
            Refused::Review => &mut messages.review_error,
        };
        *slot = Some(message.clone());
    }
    let mut response =
        render_detail(&state, &page, detail, old_version, messages, StatusCode::OK).await?;
    if flash.is_some() {
        // Shown once: a reload shows the page as it is.
        let clear = set_cookie(&state, &headers, FLASH_COOKIE, "", 0);
        if let Ok(value) = clear.parse() {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    Ok(response)
}

/// What a refused POST of the application page was, for the message carried to the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Refused {
    Save,
    Submit,
    Evidence,
    /// An import of a 申报书 workbook: refused, or taken with the rows in error listed.
    Import,
    /// A decision of the review, or the applicant's withdrawal.
    Review,
}

impl Refused {
    fn as_str(self) -> &'static str {
        match self {
            Refused::Save => "save",
            Refused::Submit => "submit",
            Refused::Evidence => "evidence",
            Refused::Import => "import",
            Refused::Review => "review",
        }
    }
}

/// The cookie that carries a refusal's message across the redirect after a refused POST, so
/// that no page is left on a URL the browser would post again on reload (or that answers
/// only POST): `<application id>|<what>|<message in the page's language>`, percent-encoded,
/// for two minutes, shown once.
const FLASH_COOKIE: &str = "flash";

/// Redirects to the application page, which shows why the POST was refused.
pub(super) fn refused(
    state: &AppState,
    headers: &HeaderMap,
    page: &PageActor,
    id: i64,
    kind: Refused,
    error: &AppError,
) -> Response {
    let message = super::message_in(page.lang, &error.message);
    flash_back(state, headers, id, kind, &message)
}

/// Redirects to the application page carrying `message` (already in the page's language) to
/// be shown once in the place of `kind`.
pub(super) fn flash_back(
    state: &AppState,
    headers: &HeaderMap,
    id: i64,
    kind: Refused,
    message: &str,
) -> Response {
    let message: String = message.chars().take(500).collect();
    let value = super::percent_encode(&format!("{id}|{}|{message}", kind.as_str()));
    let cookie = set_cookie(state, headers, FLASH_COOKIE, &value, 120);
    let anchor = match kind {
        Refused::Evidence => "#evidence",
        Refused::Import => "#workbook",
        Refused::Save | Refused::Submit | Refused::Review => "#messages",
    };
    (
        [(header::SET_COOKIE, cookie)],
        Redirect::to(&format!("/applications/{id}{anchor}")),
    )
        .into_response()
}

/// The refusal carried to this application's page, if any.
fn take_flash(headers: &HeaderMap, id: i64) -> Option<(Refused, String)> {
    let text = super::percent_decode(cookie(headers, FLASH_COOKIE)?);
    let mut parts = text.splitn(3, '|');
    if parts.next()? != id.to_string() {
        return None;
    }
    let kind = match parts.next()? {
        "save" => Refused::Save,
        "submit" => Refused::Submit,
        "evidence" => Refused::Evidence,
        "import" => Refused::Import,
        "review" => Refused::Review,
        _ => return None,
    };
    Some((kind, parts.next()?.to_owned()))
}

/// A refusal the page explains: input it cannot take (422, and for files 413 and 415) or a
/// state that does not allow it (409). Anything else (not found, forbidden, a failure) is the
/// error page.
pub(super) fn explained(error: &AppError) -> bool {
    matches!(error.status, 409 | 413 | 415 | 422)
}

#[derive(Debug, Serialize)]
struct EvidenceRow {
    id: i64,
    filename: String,
    criterion: Option<String>,
    criterion_label: Option<String>,
    sha256: String,
    size: i64,
    media_type: String,
    uploaded_at: i64,
    shared: bool,
}

fn evidence_rows(
    scheme: &Scheme,
    items: &[EvidenceItem],
    year: Option<i32>,
    lang: &str,
) -> Vec<EvidenceRow> {
    items
        .iter()
        .map(|item| EvidenceRow {
            id: item.id,
            filename: item.filename.clone(),
            criterion_label: item.criterion_id.as_ref().and_then(|c| {
                scheme
                    .criteria
                    .iter()
                    .find(|k| &k.id == c)
                    .map(|k| criterion_title(scheme, k, year, lang))
            }),
            criterion: item.criterion_id.clone(),
            sha256: item.sha256.clone(),
            size: item.size,
            media_type: item.media_type.clone(),
            uploaded_at: item.uploaded_at,
            shared: item.shared_with_other_organizations.unwrap_or(false),
        })
        .collect()
}

/// The criteria a file of evidence may be filed under: the common rows and those of the
/// subclasses applied for, each named with its section and, for a subclass row, the subclass
/// (「专业要求（接入能力）· 接入设备数量」). Rows of the other subclasses are listed disabled
/// (and hidden), so that `static/app.js` can offer them when the applicant ticks the subclass.
fn evidence_criteria(
    scheme: &Scheme,
    provider_type: Option<usize>,
    body: &Json,
    year: Option<i32>,
    lang: &str,
) -> Vec<Value> {
    let applied = form::selected_subclasses(scheme, provider_type, body);
    scheme
        .criteria
        .iter()
        .filter(|c| scheme.applies_to(c, provider_type))
        .map(|c| {
            let subclass = match (c.subclass, c.provider_type) {
                (Some(s), Some(t)) => Some((
                    scheme.provider_types[t].subclasses[s].id.clone(),
                    applied.contains(&s),
                )),
                _ => None,
            };
            context! {
                id => c.id.clone(),
                label => criterion_title(scheme, c, year, lang),
                subclass => subclass.as_ref().map(|(id, _)| id.clone()),
                applied => subclass.is_none_or(|(_, applied)| applied),
            }
        })
        .collect()
}

/// A criterion named for the evidence form and list: its section, for a subclass row the
/// subclass, and its label (「专业要求（接入能力）· 接入设备数量」).
fn criterion_title(
    scheme: &Scheme,
    criterion: &pingjia_core::scheme::Criterion,
    year: Option<i32>,
    lang: &str,
) -> String {
    let section = tr(lang, criterion.section.label());
    let label = Scheme::label_for(&criterion.label, year);
    match (criterion.subclass, criterion.provider_type) {
        (Some(s), Some(t)) => format!(
            "{section}（{}）· {label}",
            scheme.provider_types[t].subclasses[s].title
        ),
        _ => format!("{section} · {label}"),
    }
}

/// Organisation facts for headings and the report.
async fn organization_context(
    state: &AppState,
    organization: &store::Organization,
    lang: &str,
) -> AppResult<Value> {
    let region = organizations::region(state, organization.region_id)
        .await?
        .map(|r| r.name)
        .unwrap_or_default();
    Ok(context! {
        id => organization.id,
        name => organization.name.clone(),
        credit_code => organization.credit_code.clone(),
        kind_label => tr(lang, form::kind_label(organization.kind.as_str())),
        region => region,
        address => organization.address.clone(),
        contact => organization.contact.clone(),
        phone => organization.phone.clone(),
    })
}

async fn render_detail(
    state: &AppState,
    page: &PageActor,
    detail: ApplicationDetail,
    old_version: bool,
    messages: Messages,
    status: StatusCode,
) -> AppResult<Response> {
    let application = &detail.application;
    let (scheme, provider_type) = applications::scheme_of(state, application)?;
    let owner = matches!(page.actor.scope(), Scope::Organization(_));
    let editable = detail.editable && !old_version;
    let body: Json = serde_json::from_str(&detail.version.body).map_err(AppError::internal)?;
    // The form offers pre-filled values (`prefill_from`) where a field is empty and its source
    // is not; its result is that of the form as shown. Saving declares them.
    let (shown, prefilled) = if editable {
        form::prefill(scheme, provider_type, &body)
    } else {
        (body.clone(), Vec::new())
    };
    let assessment = if prefilled.is_empty() {
        detail.assessment.clone()
    } else {
        assess::assess_on(
            scheme,
            provider_type,
            &shown,
            &applications::grading_round(state, scheme, application).await?,
            Some(state.today()),
        )
    };
    let model = form::build(&FormSource {
        scheme,
        provider_type,
        body: &shown,
        assessment: &assessment,
        lang: page.lang,
        organization_kind: detail.organization.kind.as_str(),
        editable,
        prefilled: &prefilled,
    });
    let year = detail.assessment.report.round.reference_year;
    let criteria = evidence_criteria(scheme, provider_type, &body, year, page.lang);
    let versions: Vec<Value> = detail
        .versions
        .iter()
        .map(|v| {
            context! {
                number => v.number,
                submitted_at => v.submitted_at,
                grade => v.grade.clone(),
                current => v.number == detail.version.number,
            }
        })
        .collect();
    let script_strings: BTreeMap<&str, &str> = SCRIPT_STRINGS
        .iter()
        .chain(form::LABELS)
        .map(|s| (*s, tr(page.lang, s)))
        .collect();
    let accepted: Vec<&str> = evidence::ACCEPTED.iter().map(|(_, name)| *name).collect();
    let submittable = editable && detail.version.submitted_at.is_none();
    let review =
        super::review::application_context(state, page, &detail, old_version, &model.fields)
            .await?;
    // The rows the records decide (the bar gate), so that the form says why.
    let recorded: Vec<String> = state
        .catalog
        .schemes
        .iter()
        .find(|s| s.id == application.scheme_id)
        .map(crate::services::standing::recorded_criteria)
        .unwrap_or_default()
        .into_iter()
        .map(str::to_owned)
        .collect();
    page.render_with_status(
        status,
        "application.html",
        "applications",
        context! {
            application => context! {
                id => application.id,
                state => application.state.as_str(),
                state_label => state_label(application.state.as_str()),
                updated_at => application.updated_at,
                submitted_at => application.submitted_at,
            },
            titles => serde_value(&titles(state, &application.scheme_id, application.provider_type.as_deref())),
            recorded => recorded,
            organization => organization_context(state, &detail.organization, page.lang).await?,
            version => context! {
                number => detail.version.number,
                submitted_at => detail.version.submitted_at,
                updated_at => detail.version.updated_at,
            },
            old_version => old_version,
            owner => owner,
            editable => editable,
            submittable => submittable,
            form => serde_value(&model),
            report => serde_value(&shown_report(&assessment.report)),
            published => serde_value(&detail.published),
            certificate => match &detail.published {
                Some(_) => crate::services::certificates::of_application(state, application).await?.map(|c| serde_value(&c)),
                None => None,
            },
            error_count => assessment.field_errors.len(),
            unfilled => assessment.unfilled,
            symbols_json => script_json(&super::SYMBOLS.iter().copied().collect::<BTreeMap<_, _>>()),
            assessment_json => script_json(&assessment),
            body_json => script_json(&body),
            strings_json => script_json(&script_strings),
            fields_json => script_json(&model.fields),
            scores_json => script_json(&model.scores),
            evidence => serde_value(&evidence_rows(scheme, &detail.evidence, detail.assessment.report.round.reference_year, page.lang)),
            criteria => criteria,
            versions => versions,
            accepted => accepted.join("、"),
            max_upload_mb => state.config.max_upload_bytes / 1024 / 1024,
            notice => messages.notice,
            save_error => messages.save_error,
            submit_error => messages.submit_error,
            evidence_error => messages.evidence_error,
            import_message => messages.import_message,
            review_error => messages.review_error,
            review => review,
        },
    )
}

/// The form POST without JavaScript: saves the draft and goes back to the page (redirect after
/// post), which shows the new result and any field errors.
async fn save(
    State(state): State<AppState>,
    headers: HeaderMap,
    page: PageActor,
    Path(id): Path<i64>,
    body: String,
) -> AppResult<Response> {
    let pairs = parse_form(&body);
    page.check_csrf(form_value(&pairs, "csrf"))?;
    match save_from_form(&state, &page, id, &pairs).await {
        Ok(()) => Ok(Redirect::to(&format!("/applications/{id}?notice=saved")).into_response()),
        Err(error) if explained(&error) => {
            Ok(refused(&state, &headers, &page, id, Refused::Save, &error))
        }
        Err(error) => Err(error),
    }
}

async fn save_from_form(
    state: &AppState,
    page: &PageActor,
    id: i64,
    pairs: &[(String, String)],
) -> AppResult<()> {
    // The same order of checks as the API's: role, then visibility, then state.
    page.actor.require(&[Role::Applicant])?;
    // (A refused state comes from `save_draft`, the one rule.)
    let detail = applications::detail(state, &page.actor, id).await?;
    let (scheme, provider_type) = applications::scheme_of(state, &detail.application)?;
    let base: Json = serde_json::from_str(&detail.version.body).map_err(AppError::internal)?;
    let body = form::body_from_form(scheme, provider_type, &base, pairs, &detail.organization);
    applications::save_draft(state, &page.actor, id, body).await?;
    Ok(())
}

/// Submits the draft; when the declaration form itself was posted (`form=draft`), it is saved
/// first, so the button works without JavaScript and without a separate save. A refusal goes
/// back to the page, which lists the fields in error, each linked to its input.
async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    page: PageActor,
    Path(id): Path<i64>,
    body: String,
) -> AppResult<Response> {
    let pairs = parse_form(&body);
    page.check_csrf(form_value(&pairs, "csrf"))?;
    if form_value(&pairs, "form") == "draft" {
        match save_from_form(&state, &page, id, &pairs).await {
            Ok(()) => {}
            Err(error) if explained(&error) => {
                return Ok(refused(&state, &headers, &page, id, Refused::Save, &error));
            }
            Err(error) => return Err(error),
        }
    }
    match applications::submit(&state, &page.actor, id).await {
        Ok(()) => Ok(Redirect::to(&format!("/applications/{id}?notice=submitted")).into_response()),
        Err(error) if explained(&error) => Ok(refused(
            &state,
            &headers,
            &page,
            id,
            Refused::Submit,
            &error,
        )),
        Err(error) => Err(error),
    }
}

/// The upload form without JavaScript. The CSRF token travels in the multipart body (a
/// `csrf` field), never in the URL, and is checked before anything is stored.
async fn upload(
    State(state): State<AppState>,
    headers: HeaderMap,
    page: PageActor,
    Path(id): Path<i64>,
    multipart: Result<Multipart, MultipartRejection>,
) -> AppResult<Response> {
    let multipart =
        multipart.map_err(|_| AppError::invalid("请选择要上传的文件 / choose a file to upload"))?;
    // A file refused while it is read (too large, malformed) goes back to the page too: the
    // message is the server's own, so carrying it before the token is read shows nothing a
    // forged request could choose.
    let (upload, csrf) = match read_upload(multipart, state.config.max_upload_bytes).await {
        Ok(read) => read,
        Err(error) if explained(&error) => {
            return Ok(refused(
                &state,
                &headers,
                &page,
                id,
                Refused::Evidence,
                &error,
            ));
        }
        Err(error) => return Err(error),
    };
    page.check_csrf(csrf.as_deref().unwrap_or_default())?;
    let result = match require_file(upload) {
        Ok(upload) => evidence::upload(&state, &page.actor, id, upload).await,
        Err(error) => Err(error),
    };
    match result {
        Ok(_) => Ok(
            Redirect::to(&format!("/applications/{id}?notice=uploaded#evidence")).into_response(),
        ),
        // Back to the page, which says why (redirect after post).
        Err(error) if explained(&error) => Ok(refused(
            &state,
            &headers,
            &page,
            id,
            Refused::Evidence,
            &error,
        )),
        Err(error) => Err(error),
    }
}

#[derive(Debug, Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn delete_evidence(
    State(state): State<AppState>,
    page: PageActor,
    Path((id, evidence_id)): Path<(i64, i64)>,
    Form(form): Form<CsrfForm>,
) -> AppResult<Response> {
    page.check_csrf(&form.csrf)?;
    evidence::remove(&state, &page.actor, evidence_id).await?;
    Ok(Redirect::to(&format!("/applications/{id}?notice=deleted#evidence")).into_response())
}

// --- the printable report ---------------------------------------------------------------------

async fn report(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let detail = applications::detail(&state, &page.actor, id).await?;
    let (scheme, _) = applications::scheme_of(&state, &detail.application)?;
    page.render(
        "report.html",
        "applications",
        context! {
            application => context! {
                id => detail.application.id,
                state_label => state_label(detail.application.state.as_str()),
            },
            titles => serde_value(&titles(&state, &detail.application.scheme_id, detail.application.provider_type.as_deref())),
            organization => organization_context(&state, &detail.organization, page.lang).await?,
            version => context! {
                number => detail.version.number,
                submitted_at => detail.version.submitted_at,
            },
            report => serde_value(&shown_report(&detail.assessment.report)),
            scheme_version => version_label(page.lang, &detail.assessment.report.scheme_version),
            unfilled => detail.assessment.unfilled,
            field_errors => detail.assessment.field_errors.iter().map(|e| format!("{}：{}", e.label.clone().unwrap_or_else(|| e.field.clone()), form::error_text(page.lang, e))).collect::<Vec<_>>(),
            evidence => serde_value(&evidence_rows(scheme, &detail.evidence, detail.assessment.report.round.reference_year, page.lang)),
            generated_at => state.now(),
        },
    )
}
