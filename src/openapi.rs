//! The OpenAPI 3 document of the API, generated from the handlers' `#[utoipa::path]`
//! annotations, and what serves it: `GET /api-docs/openapi.json` and the interactive docs at
//! `/docs/` (Swagger UI, its files built into the binary so they work without internet).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use actix_web::http::header;
use actix_web::middleware::DefaultHeaders;
use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::openapi::header::{Header, HeaderBuilder};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_swagger_ui::{Config, SwaggerUi};

use crate::api;
use crate::domain::validation::FieldError;
use crate::error::AppError;

/// Where the document is served.
pub const DOCUMENT_PATH: &str = "/api-docs/openapi.json";

/// The Swagger UI page loads its scripts, styles and images from this service only, sets inline
/// styles (React does), uses `data:` images in its stylesheet and fetches the document and the
/// requests a user tries out from this origin. Everything else stays as strict as elsewhere.
pub const DOCS_CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
     form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

const DESCRIPTION: &str = "\
Dossier tracking for Vietnam's one-stop-shop offices (Bộ phận Một cửa): receipts, legal \
deadlines in working time, every processing step, apology letters, the citizen's lookup and the \
supervisors' reports.

**Authentication.** `POST /api/v1/auth/token` exchanges a username and password for a bearer \
token (JWT, HS256); send it as `Authorization: Bearer <token>` on every endpoint but sign-in, \
the citizen's lookup (`/api/v1/public/…`) and pages (`/`, `/tra-cuu`), health, metrics and \
these docs.

**Errors** are RFC 9457 `application/problem+json` with a stable snake_case `code` and, for \
validation, the fields at fault in `errors`. Any endpoint that reads the database may answer \
503 `service_unavailable` while the database is unreachable.

**Lists** take `page` (from 1) and `per_page` (1–500, default 50) and answer \
`{items, page, per_page, total}`.

**Writes.** Receipts and lifecycle actions accept an `Idempotency-Key` header (kept at least \
24 hours, per user and path): a retry with the same key and body returns the first response \
and changes nothing; the same key with another body answers 422 `idempotency_key_reused`. \
Dossier responses carry an `ETag`; actions accept `If-Match` and answer 412 when it is stale. \
Bodies are JSON only, at most `server.max_body_bytes` (65,536 by default); unknown fields and \
repeated keys are refused.

Timestamps are RFC 3339 with the office time zone's offset; dates are `YYYY-MM-DD`.";

#[derive(OpenApi)]
#[openapi(
    info(title = "motcua", description = DESCRIPTION),
    paths(
        api::health::healthz,
        api::health::readyz,
        metrics,
        api::auth::token,
        api::auth::me,
        api::auth::create_user,
        api::users::list,
        api::users::get,
        api::users::update,
        api::users::changes,
        api::users::change_password,
        api::offices::list,
        api::offices::create,
        api::offices::get,
        api::offices::update,
        api::offices::close,
        api::procedures::list,
        api::procedures::create,
        api::procedures::get,
        api::procedures::update,
        api::procedures::versions,
        api::calendar::days,
        api::calendar::put_day,
        api::calendar::delete_day,
        api::calendar::changes,
        api::calendar::deadline,
        api::dossiers::list,
        api::dossiers::receive,
        api::dossiers::get,
        api::dossiers::events,
        api::dossiers::dossier_letters,
        api::actions::transfer,
        api::actions::request_supplement,
        api::actions::supplement_received,
        api::actions::request_payment,
        api::actions::payment_received,
        api::actions::reschedule,
        api::actions::resolve,
        api::actions::return_result,
        api::actions::reject,
        api::actions::withdraw,
        api::actions::stop,
        api::forms::form_receipt,
        api::forms::form_supplement_request,
        api::forms::form_refusal,
        api::forms::form_stop_notice,
        api::forms::form_control_slip,
        api::dossiers::all_letters,
        api::notifications::for_dossier,
        api::notifications::list,
        api::forms::letter_document,
        api::reports::overdue,
        api::reports::summary,
        api::reports::steps,
        api::reports::fees,
        api::satisfaction::report,
        api::scorecard::scorecard,
        api::scorecard::dossiers,
        api::events::feed,
        api::webhooks::create,
        api::webhooks::list,
        api::webhooks::get,
        api::webhooks::update,
        api::webhooks::delete,
        api::webhooks::deliveries,
        api::webhooks::retry,
        api::forms::register,
        api::public::lookup,
        api::ratings::link,
        api::complaints::file,
        api::complaints::for_dossier,
        api::complaints::list,
        api::complaints::answer,
        api::ratings::rate,
        api::files::upload,
        api::files::list,
        api::files::download,
        api::files::public_result,
        crate::web::home,
        crate::web::lookup_form,
        crate::web::lookup,
        crate::web::rating_form,
        crate::web::rate,
        crate::web::file_complaint,
        crate::web::download_result,
        crate::web::asset,
    ),
    components(
        // Referenced from query parameters only, which do not register their schemas.
        schemas(
            Problem,
            api::reports::Format,
            api::scorecard::ScorecardGroupBy,
            api::scorecard::ScoreIndicatorName,
            api::forms::FormFormat,
            api::forms::RegisterFormat,
            api::complaints::ComplaintStatus
        ),
        responses(
            BadRequest,
            Unauthorized,
            Forbidden,
            NotFound,
            Conflict,
            PreconditionFailed,
            NotAcceptable,
            PayloadTooLarge,
            UnsupportedMediaType,
            ValidationFailed,
            TooManyRequests,
            ServiceUnavailable,
        )
    ),
    modifiers(&BearerScheme, &OptionalBodies, &ListItemRefs, &DossierLinks),
    tags(
        (name = "auth", description = "Sign-in, the caller, staff accounts"),
        (name = "offices", description = "Offices and agencies"),
        (name = "procedures", description = "The catalogue of administrative procedures"),
        (name = "calendar",
            description = "Working days and hours, overrides, the deadline calculator"),
        (name = "dossiers", description = "Receiving and reading dossiers"),
        (name = "lifecycle",
            description = "Actions on a dossier: `POST /api/v1/dossiers/{code}/{action}`"),
        (name = "forms",
            description = "The official forms of Circular 03/2025 (Mẫu 01–06) for a dossier, as \
                HTML to print on A4 or as PDF"),
        (name = "files", description = "The dossier's components and result as files, on the \
            local disk or an S3-compatible store"),
        (name = "apology letters", description = "Apology letters (Mẫu 04) and their delivery"),
        (name = "notifications", description = "What the citizen is told at every step (email, SMS, Zalo) and the staff digests, with their delivery"),
        (name = "reports", description = "Supervisors' reports, as JSON or CSV; the register \
            (Mẫu 07) also as PDF"),
        (name = "complaints", description = "Complaints and recommendations (phản ánh, kiến \
            nghị) about dossiers, their answers and the overdue list"),
        (name = "public", description = "The citizen's lookup, rating link and complaints, \
            without an account"),
        (name = "pages", description = "The citizen's pages: server-rendered HTML without \
            JavaScript, Vietnamese by default (`?lang=en` or `Accept-Language: en` for English)"),
        (name = "integration",
            description = "For other systems: the event feed in commit order, and webhooks \
                signed per Standard Webhooks"),
        (name = "health", description = "Liveness, readiness and metrics for operators"),
    )
)]
pub struct ApiDoc;

/// The document as served.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// Adds the `bearer` scheme the operations' security requirements name.
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("JWT")
            .description(Some(
                "An access token from `POST /api/v1/auth/token`, valid for `auth.token_ttl_secs`.",
            ))
            .build();
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// `request_body = Option<T>` comes out as `oneOf: [null, T]`; but what is optional is the
/// body, never a JSON `null` (refused with 422): the schema is `T` and the body not required.
struct OptionalBodies;

impl Modify for OptionalBodies {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        fn is_null(s: &RefOr<Schema>) -> bool {
            match s {
                RefOr::T(Schema::Object(o)) => o.schema_type == SchemaType::Type(Type::Null),
                _ => false,
            }
        }
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ];
            for op in operations.into_iter().flatten() {
                let Some(body) = op.request_body.as_mut() else {
                    continue;
                };
                for content in body.content.values_mut() {
                    let Some(RefOr::T(Schema::OneOf(one))) = &content.schema else {
                        continue;
                    };
                    if let [a, b] = one.items.as_slice()
                        && (is_null(a) || is_null(b))
                    {
                        content.schema = Some(if is_null(a) { b.clone() } else { a.clone() });
                        body.required = Some(utoipa::openapi::Required::False);
                    }
                }
            }
        }
    }
}

/// `ListResponse<T>` comes out with `T` copied inline, so a generated client gets a second type
/// beside `T`'s own: each list's items refer to the item's schema instead.
struct ListItemRefs;

impl Modify for ListItemRefs {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::schema::{ArrayItems, Schema};
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        let names: Vec<String> = components.schemas.keys().cloned().collect();
        for name in &names {
            let Some(item) = name.strip_prefix("ListResponse_") else {
                continue;
            };
            if !components.schemas.contains_key(item) {
                continue;
            }
            if let Some(RefOr::T(Schema::Object(list))) = components.schemas.get_mut(name)
                && let Some(RefOr::T(Schema::Array(items))) = list.properties.get_mut("items")
            {
                items.items = ArrayItems::RefOrSchema(Box::new(Ref::from_schema_name(item).into()));
            }
        }
    }
}

/// OpenAPI links from a receipt (201) and from every action's answer (200) to the reads and
/// actions on the dossier's code, so that clients and fuzzers can follow a dossier from its
/// receipt through its lifecycle.
struct DossierLinks;

impl Modify for DossierLinks {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::link::LinkBuilder;
        const BASE: &str = "/api/v1/dossiers/{code}";
        let mut targets: Vec<String> = Vec::new();
        for (path, item) in &openapi.paths.paths {
            if path == BASE || path.starts_with(&format!("{BASE}/")) {
                for op in [&item.get, &item.post].into_iter().flatten() {
                    if let Some(id) = &op.operation_id {
                        targets.push(id.clone());
                    }
                }
            }
        }
        let link = |id: &str| {
            LinkBuilder::new()
                .operation_id(id)
                .parameter("code", "$response.body#/code")
                .description(format!("`{id}` on the dossier just answered"))
                .build()
        };
        for (path, item) in openapi.paths.paths.iter_mut() {
            let (op, status) = if path == "/api/v1/dossiers" {
                (item.post.as_mut(), "201")
            } else if path.starts_with(&format!("{BASE}/")) {
                (item.post.as_mut(), "200")
            } else {
                continue;
            };
            let Some(op) = op else { continue };
            if let Some(RefOr::T(response)) = op.responses.responses.get_mut(status) {
                for id in &targets {
                    response.links.insert(id.clone(), link(id).into());
                }
            }
        }
    }
}

/// An error as RFC 9457 problem details (written by `error.rs`; this type only describes it).
#[derive(Serialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:motcua:problem:validation_failed",
    "title": "Validation failed",
    "status": 422,
    "detail": "invalid fields: applicant.id_number",
    "code": "validation_failed",
    "errors": [{
        "field": "applicant.id_number",
        "message": "must be 9 or 12 digits, or a passport number of 6–12 letters and digits"
    }]
}))]
#[allow(dead_code)]
pub struct Problem {
    /// `urn:motcua:problem:<code>`.
    #[serde(rename = "type")]
    type_: String,
    title: String,
    /// The HTTP status, repeated.
    status: u16,
    detail: String,
    /// Stable snake_case code: `validation_failed`, `malformed_json`, `bad_request`,
    /// `unauthorized`, `forbidden`, `not_found`, `conflict`, `invalid_transition`,
    /// `precondition_failed`, `idempotency_key_reused`, `payload_too_large`,
    /// `unsupported_media_type`, `rate_limited`, `service_unavailable`, `internal_error`, …
    code: String,
    /// For `validation_failed`: every field at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    errors: Option<Vec<FieldError>>,
}

/// What a single-line text field accepts (`Errors::line`): something besides spaces, and no
/// control characters. The attributes of the request types repeat it as a literal.
pub const TEXT_LINE_PATTERN: &str = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$";

/// The schema of an office code (`domain::codes::OfficeCode::parse` says which are valid),
/// shared by every field and parameter that names an office.
pub struct OfficeCodeSchema;

impl utoipa::PartialSchema for OfficeCodeSchema {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(r"^[0-9A-Z]+(\.[0-9A-Z]+)*$"))
            .max_length(Some(40))
            .description(Some(
                "An office or agency code: digits, capital letters and dots, never `-` (the \
                 dossier code uses it as its separator).",
            ))
            .examples(["000.00.24.H40"])
            .into()
    }
}

impl ToSchema for OfficeCodeSchema {
    fn name() -> std::borrow::Cow<'static, str> {
        "OfficeCode".into()
    }
}

/// The schema of a PDF response body: bytes.
pub struct PdfBody;

impl utoipa::PartialSchema for PdfBody {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::Binary,
            )))
            .description(Some(
                "A PDF document (A4, fonts embedded, text extractable).",
            ))
            .into()
    }
}

impl ToSchema for PdfBody {
    fn name() -> std::borrow::Cow<'static, str> {
        "Pdf".into()
    }
}

fn header(schema_type: Type, description: &str) -> Header {
    HeaderBuilder::new()
        .schema(ObjectBuilder::new().schema_type(schema_type))
        .description(Some(description))
        .build()
}

/// The reusable problem+json responses, referenced by status from the operations, each with the
/// status it is listed under (for the sets below).
macro_rules! problem_responses {
    ($(
        $name:ident = $status:literal: $description:literal
        $(, $header:literal = $type:ident: $header_description:literal)*;
    )*) => {
        $(
            #[doc = $description]
            pub struct $name;

            impl $name {
                /// The status this response is listed under.
                pub const STATUS: &'static str = $status;
            }

            impl<'r> utoipa::ToResponse<'r> for $name {
                fn response() -> (&'r str, RefOr<Response>) {
                    let response = ResponseBuilder::new().description($description).content(
                        "application/problem+json",
                        Content::new(Some(Ref::from_schema_name("Problem"))),
                    );
                    $(
                        let response =
                            response.header($header, header(Type::$type, $header_description));
                    )*
                    (stringify!($name), response.build().into())
                }
            }
        )*
    };
}

problem_responses! {
    BadRequest = "400": "The request cannot be read: malformed JSON (`malformed_json`), control \
        characters in the path or query, a malformed header or path parameter (`bad_request`)";
    Unauthorized = "401": "No valid bearer token (`unauthorized`)",
        "WWW-Authenticate" = String: "`Bearer realm=\"motcua\"`";
    Forbidden = "403": "The caller's role may not do this here (`forbidden`)";
    NotFound = "404": "No such resource, or none the caller may see (`not_found`)";
    Conflict = "409":
        "The request conflicts with the current state (`conflict`, `invalid_transition`, …)";
    PreconditionFailed = "412":
        "`If-Match` names a version that is no longer current (`precondition_failed`)";
    NotAcceptable = "406": "Neither `?format=` nor `Accept` names a representation the resource \
        has (`not_acceptable`)";
    PayloadTooLarge = "413":
        "The body is larger than `server.max_body_bytes` (`payload_too_large`)";
    UnsupportedMediaType = "415":
        "The body is not `application/json` (`unsupported_media_type`)";
    ValidationFailed = "422":
        "Invalid fields or parameters (`validation_failed`, with `errors`), or an \
        `Idempotency-Key` reused with another body (`idempotency_key_reused`)";
    TooManyRequests = "429": "Too many requests from this client; retry later (`rate_limited`)",
        "Retry-After" = Integer: "Seconds to wait before retrying";
    ServiceUnavailable = "503": "The database is unreachable (`service_unavailable`)";
}

/// Sets of the responses above that recur together, for an operation's `responses(...)` after
/// its own success responses: `responses((status = 200, …), problem::StaffGetErrors)`. The
/// document keeps the order of `responses(...)` and a set adds its statuses in ascending order,
/// so a set goes last, after every lower status. An operation whose errors match no set lists
/// them inline.
macro_rules! response_sets {
    ($($(#[$meta:meta])* $name:ident = [$($response:ident),+ $(,)?];)*) => {
        $(
            $(#[$meta])*
            pub struct $name;

            impl utoipa::IntoResponses for $name {
                fn responses() -> BTreeMap<String, RefOr<Response>> {
                    BTreeMap::from([$((
                        $response::STATUS.to_owned(),
                        Ref::from_response_name(<$response as utoipa::ToResponse>::response().0)
                            .into(),
                    )),+])
                }
            }
        )*
    };
}

response_sets! {
    /// A read of one resource named in the path, open to every staff role (`ReadStaff`):
    /// 400, 401, 404.
    StaffGetErrors = [BadRequest, Unauthorized, NotFound];
    /// A read with query parameters (a list, a calculation), open to every staff role
    /// (`ReadStaff`): 400, 401, 422.
    StaffQueryErrors = [BadRequest, Unauthorized, ValidationFailed];
    /// A read with query parameters that needs the `Report` permission (the reports, the
    /// calendar's changes, every apology letter): 400, 401, 403, 422.
    ReportQueryErrors = [BadRequest, Unauthorized, Forbidden, ValidationFailed];
    /// A form of a dossier or letter, readable as the dossier is (`ReadStaff` and in scope):
    /// 400 (a `format` value unheard of), 401, 404 (also: the form does not apply, saying why),
    /// 406, 422.
    FormErrors = [BadRequest, Unauthorized, NotFound, NotAcceptable, ValidationFailed];
    /// The register: a report with a representation to choose: 400, 401, 403, 404, 406, 422.
    RegisterErrors = [
        BadRequest,
        Unauthorized,
        Forbidden,
        NotFound,
        NotAcceptable,
        ValidationFailed,
    ];
    /// A write of a JSON body, without `If-Match`, that needs a role and may clash with what
    /// exists (creating an account, office, procedure or dossier; overriding a calendar day):
    /// 400, 401, 403, 409, 413, 415, 422.
    StaffWriteErrors = [
        BadRequest,
        Unauthorized,
        Forbidden,
        Conflict,
        PayloadTooLarge,
        UnsupportedMediaType,
        ValidationFailed,
    ];
}

/// `GET /metrics`: the Prometheus exposition. Served by `metrics.rs`; described here.
#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "metrics",
    tag = "health",
    summary = "Metrics for Prometheus",
    description = "What this process counted since it started (requests per route and status, \
        with latency histograms; sweeps; emails) and what the database holds now (open \
        dossiers by timeliness, the outbox, letters by delivery state).",
    responses(
        (
            status = 200,
            description = "The Prometheus text exposition format, version 0.0.4",
            body = String,
            content_type = "text/plain"
        ),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[allow(dead_code)]
fn metrics() {}

/// The methods of a route pattern (`/api/v1/dossiers/{code}`) as an `Allow` header lists them;
/// empty for a pattern the document does not name.
pub fn allowed_methods(pattern: &str, path: &str) -> String {
    static METHODS: LazyLock<BTreeMap<String, Vec<&'static str>>> = LazyLock::new(|| {
        let doc = document();
        let mut map = BTreeMap::new();
        for (path, item) in &doc.paths.paths {
            let mut methods = Vec::new();
            for (name, op) in [
                ("GET", &item.get),
                ("PUT", &item.put),
                ("POST", &item.post),
                ("DELETE", &item.delete),
                ("PATCH", &item.patch),
            ] {
                if op.is_some() {
                    methods.push(name);
                }
            }
            map.insert(path.clone(), methods);
        }
        map
    });
    if let Some(m) = METHODS.get(pattern) {
        return m.join(", ");
    }
    // One route serving several documented paths (`/dossiers/{code}/{action}` for the actions,
    // `/dossiers/{code}/forms/{form}` for the forms): the methods of the documented path the
    // request's own path matches, the most specific one (most literal segments) when several do.
    let segments: Vec<&str> = path.split('/').collect();
    let mut best: Option<(usize, &Vec<&str>)> = None;
    for (documented, m) in METHODS.iter() {
        let other: Vec<&str> = documented.split('/').collect();
        if other.len() != segments.len() {
            continue;
        }
        let mut literal = 0;
        let matches = segments.iter().zip(&other).all(|(a, b)| {
            if b.starts_with('{') {
                true
            } else {
                literal += 1;
                a == b
            }
        });
        if matches && best.is_none_or(|(n, _)| literal > n) {
            best = Some((literal, m));
        }
    }
    best.map(|(_, m)| m.join(", ")).unwrap_or_default()
}

/// The document as JSON, built once per process.
static DOCUMENT_JSON: LazyLock<Result<String, String>> = LazyLock::new(|| {
    let mut doc = serde_json::to_value(document()).map_err(|e| e.to_string())?;
    camel_case_links(&mut doc);
    serde_json::to_string(&doc).map_err(|e| e.to_string())
});

/// utoipa 5 writes a link's fields in snake case (`operation_id`); the specification spells
/// them `operationId`, `operationRef`, `requestBody`.
fn camel_case_links(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::Object(links)) = map.get_mut("links") {
                for link in links.values_mut() {
                    if let serde_json::Value::Object(fields) = link {
                        for (from, to) in [
                            ("operation_id", "operationId"),
                            ("operation_ref", "operationRef"),
                            ("request_body", "requestBody"),
                        ] {
                            if let Some(value) = fields.remove(from) {
                                fields.insert(to.to_owned(), value);
                            }
                        }
                    }
                }
            }
            map.values_mut().for_each(camel_case_links);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(camel_case_links),
        _ => {}
    }
}

async fn document_json() -> Result<HttpResponse, AppError> {
    match &*DOCUMENT_JSON {
        Ok(json) => Ok(HttpResponse::Ok()
            .content_type("application/json")
            .body(json.as_str())),
        Err(e) => Err(AppError::Internal(format!("OpenAPI document: {e}"))),
    }
}

async fn to_docs() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((header::LOCATION, "/docs/"))
        .finish()
}

/// Registers the document, the interactive docs at `/docs/`, and `/docs` redirecting there.
pub fn routes(cfg: &mut web::ServiceConfig) {
    let ui = SwaggerUi::new("/{_:.*}").config(
        Config::new([DOCUMENT_PATH])
            // The default asks validator.swagger.io about the document: nothing leaves the page.
            .validator_url("none"),
    );
    cfg.service(web::resource(DOCUMENT_PATH).route(web::get().to(document_json)))
        .service(web::resource("/docs").route(web::get().to(to_docs)))
        .service(
            web::scope("/docs")
                // The access log keeps a handler's own policy, so this one stands for /docs/.
                .wrap(DefaultHeaders::new().add((
                    header::CONTENT_SECURITY_POLICY,
                    DOCS_CONTENT_SECURITY_POLICY,
                )))
                .service(ui),
        );
}
