//! The citizen's pages (API.md "The citizen's pages"): server-rendered HTML beside the JSON API,
//! sharing its storage, its lookup and its rate limit. No JavaScript; one stylesheet served
//! from the binary.

pub mod i18n;
mod pages;

use std::sync::LazyLock;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};

use crate::api::{AppState, RawBody};
use crate::domain::codes::DossierCode;
use crate::error::AppError;
use crate::store::public;
use i18n::Lang;
use pages::{Form, Layout, LookupPage, MessagePage, Notice, RatingPage, StatusPage, StatusView};

/// The pages load their stylesheet from here and nothing else; forms post here only.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; \
     form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Longest dossier code the form takes (longer than any an office issues).
const CODE_MAX: usize = 80;
/// Longest ID number the form takes, spaces included.
const ID_MAX: usize = 20;

static CSS: &str = include_str!("site.css");

/// The stylesheet's address names its content, so browsers may keep it for a year: a new
/// release has a new address.
static CSS_PATH: LazyLock<String> = LazyLock::new(|| {
    let digest = hex::encode(Sha256::digest(CSS.as_bytes()));
    format!("/assets/site-{}.css", &digest[..12])
});

/// The stylesheet's path, as the pages link it.
pub fn stylesheet_path() -> &'static str {
    &CSS_PATH
}

/// Registers the pages. Each is described in the OpenAPI document (`crate::openapi`), which
/// `tests/openapi.rs` checks against this list.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/").route(web::get().to(home)))
        .service(
            web::resource("/tra-cuu")
                .route(web::get().to(lookup_form))
                .route(web::post().to(lookup)),
        )
        .service(web::resource("/phan-anh").route(web::post().to(file_complaint)))
        .service(web::resource("/ket-qua").route(web::post().to(download_result)))
        .service(
            web::resource("/danh-gia/{token}")
                .route(web::get().to(rating_form))
                .route(web::post().to(rate)),
        )
        .service(web::resource("/assets/{file}").route(web::get().to(asset)));
}

/// Whether a path belongs to the JSON API (its errors stay problem+json) rather than to the
/// pages' side of the service.
pub fn is_api_path(path: &str) -> bool {
    path.starts_with("/api")
}

/// `?lang=` on the pages.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct LangQuery {
    /// `vi` (the default) or `en`; anything else is ignored and `Accept-Language` decides.
    pub lang: Option<String>,
}

/// `GET /tra-cuu?code=`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct LookupFormQuery {
    /// The dossier code to fill in (the receipt's QR code carries it).
    #[param(example = "000.00.24.H40-261125-0001")]
    pub code: Option<String>,
    /// `vi` (the default) or `en`; anything else is ignored and `Accept-Language` decides.
    pub lang: Option<String>,
}

/// The lookup form's fields, urlencoded.
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct LookupForm {
    /// The code on the receipt.
    #[schema(example = "000.00.24.H40-261125-0001", min_length = 1, max_length = 80)]
    pub code: String,
    /// The applicant's ID number (9 or 12 digits) or passport number, as on the dossier.
    #[schema(example = "079123456789", min_length = 1, max_length = 20)]
    pub id_number: String,
    /// `vi` or `en`: the language the form was shown in; `?lang=` and `Accept-Language` decide
    /// otherwise.
    pub lang: Option<String>,
}

/// The language of a response: `?lang=`, then the form's choice, then `Accept-Language`.
fn language(req: &HttpRequest, chosen: Option<&str>) -> Lang {
    query_value(req, "lang")
        .as_deref()
        .and_then(Lang::parse)
        .or_else(|| chosen.and_then(Lang::parse))
        .unwrap_or_else(|| {
            Lang::negotiate(
                req.headers()
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok()),
            )
        })
}

/// The first value of a query parameter. The pages read their query leniently: a QR code or a
/// link may carry parameters of its own.
fn query_value(req: &HttpRequest, name: &str) -> Option<String> {
    form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// How long a page may be kept: pages that show a dossier (and every answer to the lookup)
/// never; the others are revalidated each time.
#[derive(Clone, Copy)]
enum Caching {
    NoStore,
    Revalidate,
}

fn html(status: StatusCode, lang: Lang, caching: Caching, body: String) -> HttpResponse {
    let cache = match caching {
        Caching::NoStore => "no-store",
        Caching::Revalidate => "no-cache",
    };
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .insert_header((header::VARY, "Accept-Language"))
        .insert_header((header::CONTENT_LANGUAGE, lang.code()))
        .body(body)
}

/// A template's text. Rendering only fails when writing to a string does, which it does not;
/// should it ever, the reader gets a bare page rather than a broken one.
fn render(t: &impl Template) -> String {
    t.render().unwrap_or_else(|e| {
        tracing::error!(error = %e, "a page did not render");
        String::from("<!DOCTYPE html><title>motcua</title><p>Error.</p>")
    })
}

fn layout<'a>(state: &'a AppState, lang: Lang, title: &'a str, code: Option<&str>) -> Layout<'a> {
    Layout::new(
        lang,
        title,
        code,
        stylesheet_path(),
        state.settings.public.help_contact.as_deref(),
    )
}

fn lookup_page(
    state: &AppState,
    lang: Lang,
    status: StatusCode,
    caching: Caching,
    notice: Notice,
    form: Form,
) -> HttpResponse {
    let t = lang.text();
    let title = match notice {
        Notice::NotFound => t.not_found_title,
        Notice::Intro | Notice::Errors => t.lookup_title,
    };
    let code = (!form.code.is_empty()).then(|| form.code.clone());
    let page = LookupPage {
        page: layout(state, lang, title, code.as_deref()),
        notice,
        form,
    };
    html(status, lang, caching, render(&page))
}

fn message_page(
    state: &AppState,
    lang: Lang,
    status: StatusCode,
    heading: &str,
    text: &str,
) -> HttpResponse {
    let t = lang.text();
    let page = MessagePage {
        page: layout(state, lang, heading, None),
        heading,
        text,
        link: t.home_link,
        alert: status.is_client_error() || status.is_server_error(),
    };
    html(status, lang, Caching::NoStore, render(&page))
}

/// An error as a page: the status `error.rs` gives it, in words for the citizen. Causes are
/// logged, never shown.
fn error_page(state: &AppState, lang: Lang, e: &AppError) -> HttpResponse {
    let t = lang.text();
    let status = actix_web::ResponseError::status_code(e);
    match e {
        AppError::RateLimited { retry_after_secs } => {
            let at = (Utc::now() + chrono::Duration::seconds(*retry_after_secs as i64))
                .with_timezone(&state.calendar().timezone())
                .format("%H:%M:%S")
                .to_string();
            let text = (t.rate_limited_text)(*retry_after_secs, &at);
            let page = MessagePage {
                page: layout(state, lang, t.rate_limited_title, None),
                heading: t.rate_limited_title,
                text: &text,
                link: t.back_to_lookup,
                alert: true,
            };
            let mut resp = html(status, lang, Caching::NoStore, render(&page));
            if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
            resp
        }
        AppError::NotFound(_) => message_page(
            state,
            lang,
            status,
            t.page_not_found_title,
            t.page_not_found_text,
        ),
        AppError::Internal(cause) | AppError::Unavailable(cause) => {
            tracing::error!(code = e.code(), cause = %cause, "page failed");
            message_page(state, lang, status, t.unavailable_title, t.unavailable_text)
        }
        _ => message_page(state, lang, status, t.bad_request_title, t.bad_request_text),
    }
}

/// An error on a path of the pages' side, as a page (for the middleware that refuses a request
/// before it is routed).
pub fn error_response(req: &HttpRequest, e: &AppError) -> Option<HttpResponse> {
    let state = req.app_data::<web::Data<AppState>>()?;
    Some(error_page(state, language(req, None), e))
}

/// Anything unrouted: a page for browsers, problem+json under `/api`.
pub async fn fallback(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    if is_api_path(req.path()) {
        return crate::api::not_found().await;
    }
    error_page(
        &state,
        language(&req, None),
        &AppError::NotFound("no such page".into()),
    )
}

/// `GET /`.
#[utoipa::path(
    get,
    path = "/",
    operation_id = "page_home",
    tag = "pages",
    summary = "The citizen's lookup page: what the service is, the form, where to get help",
    description = "HTML, no JavaScript. Vietnamese by default; English with `?lang=en` or \
        `Accept-Language: en`.",
    params(LangQuery),
    responses(
        (status = 200, description = "The lookup page", body = String, content_type = "text/html"),
        (status = 400, description = "A control character in the path or query", body = String,
            content_type = "text/html"),
    )
)]
pub async fn home(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let lang = language(&req, None);
    lookup_page(
        &state,
        lang,
        StatusCode::OK,
        Caching::Revalidate,
        Notice::Intro,
        Form::default(),
    )
}

/// `GET /tra-cuu?code=` — the receipt's QR code opens this.
#[utoipa::path(
    get,
    path = "/tra-cuu",
    operation_id = "page_lookup_form",
    tag = "pages",
    summary = "The lookup form with the dossier code filled in (the receipt's QR code opens it)",
    description = "HTML. The citizen types the ID number and submits the form to \
        `POST /tra-cuu`; the ID number never appears in a URL.",
    params(LookupFormQuery),
    responses(
        (status = 200, description = "The lookup form", body = String, content_type = "text/html"),
        (status = 400, description = "A control character in the path or query", body = String,
            content_type = "text/html"),
    )
)]
pub async fn lookup_form(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let lang = language(&req, None);
    let code = query_value(&req, "code")
        .map(|c| c.trim().to_owned())
        .filter(|c| c.chars().count() <= CODE_MAX)
        .unwrap_or_default();
    lookup_page(
        &state,
        lang,
        StatusCode::OK,
        Caching::Revalidate,
        Notice::Intro,
        Form {
            code,
            ..Form::default()
        },
    )
}

/// The form as posted: the first value of each field (browsers send each once).
struct Posted {
    code: String,
    id_number: String,
    lang: Option<String>,
}

fn posted(body: &[u8]) -> Posted {
    let (mut code, mut id_number, mut lang) = (None, None, None);
    for (k, v) in form_urlencoded::parse(body) {
        let slot = match k.as_ref() {
            "code" => &mut code,
            "id_number" => &mut id_number,
            "lang" => &mut lang,
            _ => continue,
        };
        if slot.is_none() {
            *slot = Some(v.into_owned());
        }
    }
    Posted {
        code: code.unwrap_or_default(),
        id_number: id_number.unwrap_or_default(),
        lang,
    }
}

/// A form post's body, or the page that refuses it: 415 for anything but a urlencoded form,
/// and the body's own error (too large, unreadable).
fn form_body(
    state: &AppState,
    req: &HttpRequest,
    body: Result<RawBody, AppError>,
) -> Result<web::Bytes, Box<HttpResponse>> {
    if !is_form(req) {
        return Err(Box::new(error_page(
            state,
            language(req, None),
            &AppError::UnsupportedMediaType,
        )));
    }
    body.map(|RawBody(b)| b)
        .map_err(|e| Box::new(error_page(state, language(req, None), &e)))
}

fn is_form(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| {
            m.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// `POST /tra-cuu`.
#[utoipa::path(
    post,
    path = "/tra-cuu",
    operation_id = "page_lookup",
    tag = "pages",
    summary = "The status page of a dossier: its code and the applicant's ID number",
    description = "HTML. Shows what `GET /api/v1/public/dossiers/{code}` shows, never the ID \
        number, phone, email, address or unmasked name. A wrong code and a wrong ID number \
        answer the same 404 page. Lookups here and through the JSON endpoint share one budget of \
        `public.lookup_per_minute` per client address. A form that cannot be a lookup (a field \
        missing, a code or ID number of the wrong shape) is shown again with what to correct \
        (422) and spends nothing of the budget.",
    params(LangQuery),
    request_body(content = LookupForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The status page", body = String, content_type = "text/html",
            headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 400, description = "The body could not be read, or a control character in \
            the query", body = String, content_type = "text/html"),
        (status = 404, description = "No dossier has this code and ID number", body = String,
            content_type = "text/html"),
        (status = 413, description = "The body is larger than `server.max_body_bytes`",
            body = String, content_type = "text/html"),
        (status = 415, description = "The body is not a urlencoded form", body = String,
            content_type = "text/html"),
        (status = 422, description = "The form again, saying what to correct", body = String,
            content_type = "text/html"),
        (status = 429, description = "Too many lookups from this address; the page says when \
            to try again", body = String, content_type = "text/html",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "The database is unavailable", body = String,
            content_type = "text/html"),
    )
)]
pub async fn lookup(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Result<RawBody, AppError>,
) -> HttpResponse {
    let body = match form_body(&state, &req, body) {
        Ok(b) => b,
        Err(page) => return *page,
    };
    let form = posted(&body);
    let lang = language(&req, form.lang.as_deref());
    let t = lang.text();

    let code = public::normalise_code(&form.code);
    let code_error = if code.is_empty() {
        Some(t.code_missing)
    } else if code.chars().count() > CODE_MAX || DossierCode::parse(&code).is_none() {
        Some(t.code_invalid)
    } else {
        None
    };
    let id_error = if form.id_number.trim().is_empty() {
        Some(t.id_missing)
    } else if form.id_number.chars().count() > ID_MAX
        || public::normalise_id_number(&form.id_number).is_none()
    {
        Some(t.id_invalid)
    } else {
        None
    };
    if code_error.is_some() || id_error.is_some() {
        let shown = if code.chars().count() <= CODE_MAX {
            code
        } else {
            String::new()
        };
        return lookup_page(
            &state,
            lang,
            StatusCode::UNPROCESSABLE_ENTITY,
            Caching::NoStore,
            Notice::Errors,
            Form {
                code: shown,
                code_error,
                id_error,
            },
        );
    }

    match state.citizen_lookup(&req, code, form.id_number).await {
        Ok(view) => status_page(
            &state,
            lang,
            StatusCode::OK,
            view,
            pages::ComplaintForm::default(),
        ),
        // The same page for a wrong code and a wrong ID number: it repeats neither.
        Err(AppError::NotFound(_)) => lookup_page(
            &state,
            lang,
            StatusCode::NOT_FOUND,
            Caching::NoStore,
            Notice::NotFound,
            Form::default(),
        ),
        Err(e) => error_page(&state, lang, &e),
    }
}

/// The rating form's fields, urlencoded.
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct RatingForm {
    /// How satisfied the citizen is.
    pub rating: crate::domain::satisfaction::Rating,
    /// At most 1000 characters.
    #[schema(max_length = 1000)]
    pub comment: Option<String>,
    /// `vi` or `en`: the language the form was shown in.
    pub lang: Option<String>,
}

/// The first value of each named field of a urlencoded body.
fn fields<const N: usize>(body: &[u8], names: [&str; N]) -> [Option<String>; N] {
    let mut out: [Option<String>; N] = std::array::from_fn(|_| None);
    for (k, v) in form_urlencoded::parse(body) {
        if let Some(i) = names.iter().position(|n| *n == k.as_ref())
            && out[i].is_none()
        {
            out[i] = Some(v.into_owned());
        }
    }
    out
}

/// The rating page's answer for an unknown or expired link, and for a dossier rated already.
fn rating_message(state: &AppState, lang: Lang, e: &AppError) -> HttpResponse {
    let t = lang.text();
    match e {
        AppError::NotFound(_) => message_page(
            state,
            lang,
            StatusCode::NOT_FOUND,
            t.rating_link_invalid_title,
            t.rating_link_invalid_text,
        ),
        AppError::Conflict { .. } => message_page(
            state,
            lang,
            StatusCode::CONFLICT,
            t.rating_already_title,
            t.rating_already_text,
        ),
        e => error_page(state, lang, e),
    }
}

struct RatingState<'a> {
    chosen: &'a str,
    comment: String,
    rating_error: Option<&'static str>,
    comment_error: Option<&'static str>,
}

fn rating_page(
    state: &AppState,
    lang: Lang,
    status: StatusCode,
    token: &str,
    link: crate::store::ratings::LinkView,
    form: RatingState<'_>,
) -> HttpResponse {
    let t = lang.text();
    let tz = state.calendar().timezone();
    let action = format!("/danh-gia/{token}");
    let mut page = layout(state, lang, t.rating_title, None);
    page.switch_href = format!("{action}?lang={}", lang.other().code());
    let expires = (t.rating_expires)(&(t.datetime)(
        link.expires_at.with_timezone(&tz).fixed_offset(),
    ));
    let p = RatingPage {
        page,
        action,
        code: link.dossier_code,
        procedure: link.procedure_name,
        expires,
        choices: vec![
            ("satisfied", t.rating_satisfied),
            ("neutral", t.rating_neutral),
            ("dissatisfied", t.rating_dissatisfied),
        ],
        chosen: form.chosen,
        comment: form.comment,
        rating_error: form.rating_error,
        comment_error: form.comment_error,
    };
    html(status, lang, Caching::NoStore, render(&p))
}

/// `GET /danh-gia/{token}` — the citizen's personal rating link.
#[utoipa::path(
    get,
    path = "/danh-gia/{token}",
    operation_id = "page_rating_form",
    tag = "pages",
    summary = "The rating page the citizen's personal link opens",
    description = "HTML, no JavaScript: the dossier code, the procedure and a form (`rating` ∈ \
        `satisfied`, `neutral`, `dissatisfied`; optional `comment`). An unknown and an expired \
        link answer the same 404 page; a dossier rated already, the 409 page. Counts against \
        `public.lookup_per_minute`.",
    params(("token" = String, Path, description = "The token of the personal link"), LangQuery),
    responses(
        (status = 200, description = "The rating form", body = String, content_type = "text/html"),
        (status = 400, description = "A control character in the path or query", body = String,
            content_type = "text/html"),
        (status = 404, description = "The link is unknown or expired", body = String,
            content_type = "text/html"),
        (status = 409, description = "The dossier has been rated already", body = String,
            content_type = "text/html"),
        (status = 429, description = "Too many requests from this address", body = String,
            content_type = "text/html", headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
pub async fn rating_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> HttpResponse {
    let lang = language(&req, None);
    if let Err(e) = state.public_budget(&req) {
        return error_page(&state, lang, &e);
    }
    let token = token.into_inner();
    let st = state.clone();
    let t2 = token.clone();
    let found = state
        .read(move |conn| crate::store::ratings::link(conn, &st.catalog, &t2, crate::db::now()))
        .await;
    match found {
        Ok(link) if link.rated => rating_message(&state, lang, &AppError::conflict("rated")),
        Ok(link) => rating_page(
            &state,
            lang,
            StatusCode::OK,
            &token,
            link,
            RatingState {
                chosen: "",
                comment: String::new(),
                rating_error: None,
                comment_error: None,
            },
        ),
        Err(e) => rating_message(&state, lang, &e),
    }
}

/// `POST /danh-gia/{token}`.
#[utoipa::path(
    post,
    path = "/danh-gia/{token}",
    operation_id = "page_rate",
    tag = "pages",
    summary = "The citizen's rating, from the rating page",
    description = "HTML. Records the rating once: the thank-you page (200); a dossier rated \
        already, the 409 page; an unknown or expired link, the 404 page; a missing or unknown \
        `rating` or a comment over 1000 characters, the form again saying what to correct (422), \
        nothing stored.",
    params(("token" = String, Path, description = "The token of the personal link"), LangQuery),
    request_body(content = RatingForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The thank-you page", body = String, content_type = "text/html"),
        (status = 400, description = "The body could not be read", body = String,
            content_type = "text/html"),
        (status = 404, description = "The link is unknown or expired", body = String,
            content_type = "text/html"),
        (status = 409, description = "The dossier has been rated already", body = String,
            content_type = "text/html"),
        (status = 413, description = "The body is larger than `server.max_body_bytes`",
            body = String, content_type = "text/html"),
        (status = 415, description = "The body is not a urlencoded form", body = String,
            content_type = "text/html"),
        (status = 422, description = "The form again, saying what to correct", body = String,
            content_type = "text/html"),
        (status = 429, description = "Too many requests from this address", body = String,
            content_type = "text/html", headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
pub async fn rate(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
    body: Result<RawBody, AppError>,
) -> HttpResponse {
    let body = match form_body(&state, &req, body) {
        Ok(b) => b,
        Err(page) => return *page,
    };
    let [rating, comment, chosen_lang] = fields(&body, ["rating", "comment", "lang"]);
    let lang = language(&req, chosen_lang.as_deref());
    let t = lang.text();
    if let Err(e) = state.public_budget(&req) {
        return error_page(&state, lang, &e);
    }
    let token = token.into_inner();
    let st = state.clone();
    let t2 = token.clone();
    let link = match state
        .read(move |conn| crate::store::ratings::link(conn, &st.catalog, &t2, crate::db::now()))
        .await
    {
        Ok(link) if link.rated => {
            return rating_message(&state, lang, &AppError::conflict("rated"));
        }
        Ok(link) => link,
        Err(e) => return rating_message(&state, lang, &e),
    };
    let parsed = rating
        .as_deref()
        .and_then(crate::domain::satisfaction::Rating::parse);
    let comment_checked = crate::domain::satisfaction::comment(comment.as_deref());
    let (Some(parsed), Ok(comment_checked)) = (parsed, comment_checked.clone()) else {
        let chosen = parsed.map_or("", |r| r.as_str());
        let shown: String = comment.unwrap_or_default().chars().take(1000).collect();
        return rating_page(
            &state,
            lang,
            StatusCode::UNPROCESSABLE_ENTITY,
            &token,
            link,
            RatingState {
                chosen,
                comment: shown,
                rating_error: parsed.is_none().then_some(t.rating_missing),
                comment_error: comment_checked
                    .is_err()
                    .then_some(t.rating_comment_too_long),
            },
        );
    };
    match state
        .db(move |conn| {
            crate::store::ratings::rate(conn, &token, parsed, comment_checked, crate::db::now())
        })
        .await
    {
        Ok(_) => {
            let page = MessagePage {
                page: layout(&state, lang, t.rating_thanks_title, None),
                heading: t.rating_thanks_title,
                text: t.rating_thanks_text,
                link: t.home_link,
                alert: false,
            };
            html(StatusCode::OK, lang, Caching::NoStore, render(&page))
        }
        Err(e) => rating_message(&state, lang, &e),
    }
}

/// The status page of a dossier the citizen found, with the complaint form in `complaint`'s
/// state.
fn status_page(
    state: &AppState,
    lang: Lang,
    status: StatusCode,
    view: public::CitizenView,
    complaint: pages::ComplaintForm,
) -> HttpResponse {
    let t = lang.text();
    let tz = state.calendar().timezone();
    let code = view.code.clone();
    let complaints = pages::ComplaintItem::list(&view.complaints, lang, tz);
    let v = StatusView::new(view, lang, tz, Utc::now());
    let title = format!("{} {code}", t.dossier_heading);
    let page = StatusPage {
        page: layout(state, lang, &title, Some(&code)),
        v,
        complaints,
        complaint,
    };
    html(status, lang, Caching::NoStore, render(&page))
}

/// The complaint form's fields, urlencoded.
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct ComplaintPageForm {
    /// The dossier code (a hidden field of the status page).
    pub code: String,
    /// The applicant's ID number, typed again: it is never put in a page or a URL.
    pub id_number: String,
    pub kind: crate::domain::satisfaction::ComplaintKind,
    /// 1–2000 characters.
    #[schema(min_length = 1, max_length = 2000)]
    pub text: String,
    pub lang: Option<String>,
}

/// `POST /phan-anh` — a complaint or recommendation from the status page.
#[utoipa::path(
    post,
    path = "/phan-anh",
    operation_id = "page_file_complaint",
    tag = "pages",
    summary = "A complaint or recommendation (phản ánh, kiến nghị), from the status page",
    description = "HTML. The code and the applicant's ID number (typed again in the form; the \
        status page never holds it) find the dossier as the lookup does: a wrong code or ID \
        number answers the lookup's 404 page, and the request counts against \
        `public.lookup_per_minute` (429 page). A missing kind or a text that is empty or over \
        2000 characters shows the status page again saying what to correct (422), nothing \
        stored. Filed: 201 with the date by which the agency answers.",
    params(LangQuery),
    request_body(content = ComplaintPageForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 201, description = "Filed: the page says by when it is answered", body = String,
            content_type = "text/html"),
        (status = 400, description = "The body could not be read", body = String,
            content_type = "text/html"),
        (status = 404, description = "No dossier has this code and ID number", body = String,
            content_type = "text/html"),
        (status = 413, description = "The body is larger than `server.max_body_bytes`",
            body = String, content_type = "text/html"),
        (status = 415, description = "The body is not a urlencoded form", body = String,
            content_type = "text/html"),
        (status = 422, description = "The status page again, saying what to correct",
            body = String, content_type = "text/html"),
        (status = 429, description = "Too many requests from this address", body = String,
            content_type = "text/html", headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
pub async fn file_complaint(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Result<RawBody, AppError>,
) -> HttpResponse {
    let body = match form_body(&state, &req, body) {
        Ok(b) => b,
        Err(page) => return *page,
    };
    let [code, id_number, kind, text, chosen_lang] =
        fields(&body, ["code", "id_number", "kind", "text", "lang"]);
    let lang = language(&req, chosen_lang.as_deref());
    let t = lang.text();
    let not_found = |state: &AppState| {
        lookup_page(
            state,
            lang,
            StatusCode::NOT_FOUND,
            Caching::NoStore,
            Notice::NotFound,
            Form::default(),
        )
    };
    let code = public::normalise_code(&code.unwrap_or_default());
    let id_number = id_number.unwrap_or_default();
    if code.chars().count() > CODE_MAX || id_number.chars().count() > ID_MAX {
        return not_found(&state);
    }
    let view = match state
        .citizen_lookup(&req, code.clone(), id_number.clone())
        .await
    {
        Ok(view) => view,
        Err(AppError::NotFound(_)) => return not_found(&state),
        Err(e) => return error_page(&state, lang, &e),
    };
    let parsed = kind
        .as_deref()
        .and_then(crate::domain::satisfaction::ComplaintKind::parse);
    let typed = text.unwrap_or_default();
    let checked =
        crate::domain::satisfaction::text(&typed, crate::domain::satisfaction::COMPLAINT_MAX);
    let (Some(parsed), Ok(checked)) = (parsed, checked.clone()) else {
        let text_error = checked.err().map(|_| {
            if typed.trim().is_empty() {
                t.complaint_text_missing
            } else {
                t.complaint_text_too_long
            }
        });
        let form = pages::ComplaintForm {
            kind: parsed.map(|k| k.as_str().to_owned()).unwrap_or_default(),
            text: typed
                .chars()
                .take(crate::domain::satisfaction::COMPLAINT_MAX)
                .collect(),
            kind_error: parsed.is_none().then_some(t.complaint_kind_missing),
            text_error,
        };
        return status_page(&state, lang, StatusCode::UNPROCESSABLE_ENTITY, view, form);
    };
    match crate::api::complaints::file_for_citizen(&state, code, id_number, parsed, checked).await {
        Ok(c) => {
            let tz = state.calendar().timezone();
            let due = (t.appointment)(
                crate::db::from_db(c.due_at)
                    .with_timezone(&tz)
                    .fixed_offset(),
            );
            let text = (t.complaint_filed_text)(&due);
            let page = MessagePage {
                page: layout(&state, lang, t.complaint_filed_title, Some(&c.dossier_code)),
                heading: t.complaint_filed_title,
                text: &text,
                link: t.another_lookup,
                alert: false,
            };
            html(StatusCode::CREATED, lang, Caching::NoStore, render(&page))
        }
        Err(AppError::NotFound(_)) => not_found(&state),
        Err(e) => error_page(&state, lang, &e),
    }
}

/// The result download's fields, urlencoded.
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct ResultPageForm {
    /// The dossier code (a hidden field of the status page).
    pub code: String,
    /// The applicant's ID number, typed again: it is never put in a page or a URL.
    pub id_number: String,
    pub lang: Option<String>,
}

/// `POST /ket-qua` — the citizen downloads the result from the status page.
#[utoipa::path(
    post,
    path = "/ket-qua",
    operation_id = "page_download_result",
    tag = "pages",
    summary = "The result file, downloaded from the status page",
    description = "The status page of a resolved dossier whose result is digitised offers this \
        form. The code and the applicant's ID number (typed again; the page never holds it) find \
        the result as `GET /api/v1/public/dossiers/{code}/result` does, in the POST body so that \
        the ID number is in no URL. The file comes as an attachment (`Content-Disposition` with \
        RFC 6266 `filename*`). A wrong code or ID number and a dossier without a result answer \
        the same 404 page; the request counts against `public.lookup_per_minute` (429 page).",
    params(LangQuery),
    request_body(content = ResultPageForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The result file", content_type = "application/octet-stream",
            headers(
                ("Content-Disposition" = String, description = "`attachment` with the file's name"),
                ("ETag" = String, description = "The file's SHA-256"),
            )),
        (status = 304, description = "The copy the browser holds (`If-None-Match`) is this file"),
        (status = 400, description = "The body could not be read", body = String,
            content_type = "text/html"),
        (status = 404, description = "No result for this code and ID number", body = String,
            content_type = "text/html"),
        (status = 413, description = "The body is larger than `server.max_body_bytes`",
            body = String, content_type = "text/html"),
        (status = 415, description = "The body is not a urlencoded form", body = String,
            content_type = "text/html"),
        (status = 429, description = "Too many requests from this address", body = String,
            content_type = "text/html", headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "The database or the file store is unavailable",
            body = String, content_type = "text/html"),
    )
)]
pub async fn download_result(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Result<RawBody, AppError>,
) -> HttpResponse {
    let body = match form_body(&state, &req, body) {
        Ok(b) => b,
        Err(page) => return *page,
    };
    let [code, id_number, chosen_lang] = fields(&body, ["code", "id_number", "lang"]);
    let lang = language(&req, chosen_lang.as_deref());
    let t = lang.text();
    if let Err(e) = state.public_budget(&req) {
        return error_page(&state, lang, &e);
    }
    let not_found = |state: &AppState| {
        message_page(
            state,
            lang,
            StatusCode::NOT_FOUND,
            t.result_not_found_title,
            t.result_not_found_text,
        )
    };
    let (code, id_number) = (code.unwrap_or_default(), id_number.unwrap_or_default());
    if code.chars().count() > CODE_MAX || id_number.chars().count() > ID_MAX {
        return not_found(&state);
    }
    let found = state
        .read(move |conn| crate::store::files::public_result(conn, &code, &id_number))
        .await;
    match found {
        Ok(row) => match crate::api::files::send(&state, &req, &row, "no-store").await {
            Ok(resp) => resp,
            Err(e) => error_page(&state, lang, &e),
        },
        Err(AppError::NotFound(_)) => not_found(&state),
        Err(e) => error_page(&state, lang, &e),
    }
}

/// `GET /assets/{file}` — the stylesheet.
#[utoipa::path(
    get,
    path = "/assets/{file}",
    operation_id = "page_asset",
    tag = "pages",
    summary = "The pages' stylesheet, named by its content and cacheable for a year",
    params(("file" = String, Path, description = "The file the pages link",
        example = "site-0123456789ab.css")),
    responses(
        (status = 200, description = "The stylesheet", body = String, content_type = "text/css",
            headers(("Cache-Control" = String,
                description = "`public, max-age=31536000, immutable`"))),
        (status = 404, description = "No such file", body = String, content_type = "text/html"),
        (status = 400, description = "A control character in the path or query", body = String,
            content_type = "text/html"),
    )
)]
pub async fn asset(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let file = req.match_info().get("file").unwrap_or_default();
    if format!("/assets/{file}") != stylesheet_path() {
        return error_page(
            &state,
            language(&req, None),
            &AppError::NotFound("no such file".into()),
        );
    }
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .body(CSS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_posted_form_keeps_the_first_value_of_each_field() {
        let p = posted(b"code=H-270101-0001&id_number=079+123&code=OTHER&lang=en&submit=1");
        assert_eq!(p.code, "H-270101-0001");
        assert_eq!(p.id_number, "079 123");
        assert_eq!(p.lang.as_deref(), Some("en"));
        let empty = posted(b"");
        assert!(empty.code.is_empty() && empty.id_number.is_empty() && empty.lang.is_none());
    }

    #[test]
    fn the_stylesheet_is_named_by_its_content() {
        let path = stylesheet_path();
        assert!(
            path.starts_with("/assets/site-") && path.ends_with(".css"),
            "{path}"
        );
        assert_eq!(path.len(), "/assets/site-".len() + 12 + ".css".len());
        assert!(!CSS.contains("url("), "the stylesheet loads nothing");
    }
}
