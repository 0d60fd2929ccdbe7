//! The official forms over HTTP: a dossier's forms (Mẫu 01, 02, 03, 05, 06), the apology
//! letter (Mẫu 04) and the register (Mẫu 07), as HTML or PDF — the register also as JSON and
//! CSV — chosen by `?format=` or `Accept`. Reads are authorised exactly as the dossier's.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dossiers::{DossierCodePath, scope};
use super::{AppState, Query};
use crate::authz::{Caller, Permission};
use crate::domain::codes::OfficeCode;
use crate::domain::dossier::Status;
use crate::domain::timeliness::Timeliness;
use crate::error::{AppError, AppResult};
use crate::forms::document::Document;
use crate::forms::facts::RegisterFacts;
use crate::forms::{self, DossierForm, FormContext};
use crate::openapi::{self as problem, OfficeCodeSchema, PdfBody};

/// What a resource can be answered as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Representation {
    Html,
    Pdf,
    Json,
    Csv,
}

impl Representation {
    const ALL: [Representation; 4] = [
        Representation::Html,
        Representation::Pdf,
        Representation::Json,
        Representation::Csv,
    ];

    fn name(self) -> &'static str {
        match self {
            Representation::Html => "html",
            Representation::Pdf => "pdf",
            Representation::Json => "json",
            Representation::Csv => "csv",
        }
    }

    fn media_type(self) -> &'static str {
        match self {
            Representation::Html => "text/html",
            Representation::Pdf => "application/pdf",
            Representation::Json => "application/json",
            Representation::Csv => "text/csv",
        }
    }
}

/// Chooses the representation: `?format=` when given (a value this service has never heard of
/// is 400; one it knows but this resource lacks is 406), else the client's `Accept` (RFC 9110
/// §12.5.1: the most specific matching range sets each type's quality; the best wins, ties go
/// to the resource's default, the first offered), else the default. Nothing acceptable: 406.
pub fn negotiate(
    req: &HttpRequest,
    format: Option<&str>,
    offered: &[Representation],
) -> AppResult<Representation> {
    let names = || {
        offered
            .iter()
            .map(|r| r.name())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(f) = format {
        let Some(r) = Representation::ALL.into_iter().find(|r| r.name() == f) else {
            return Err(AppError::BadRequest(format!(
                "format must be one of {}",
                names()
            )));
        };
        if !offered.contains(&r) {
            return Err(AppError::NotAcceptable(format!(
                "this resource is not available as {f}; it is available as {}",
                names()
            )));
        }
        return Ok(r);
    }
    let accept: Vec<&str> = req
        .headers()
        .get_all(header::ACCEPT)
        .filter_map(|v| v.to_str().ok())
        .collect();
    let ranges: Vec<(String, f32)> = accept
        .iter()
        .flat_map(|v| v.split(','))
        .filter_map(|range| {
            let mut parts = range.split(';');
            let media = parts.next()?.trim().to_ascii_lowercase();
            if media.is_empty() {
                return None;
            }
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            Some((media, q))
        })
        .collect();
    let default = offered.first().copied().unwrap_or(Representation::Json);
    if ranges.is_empty() {
        return Ok(default);
    }
    let quality = |r: Representation| -> f32 {
        let media = r.media_type();
        let major = media.split('/').next().unwrap_or("");
        let mut best: Option<(u8, f32)> = None;
        for (range, q) in &ranges {
            let specificity = if range == media {
                3
            } else if range.strip_suffix("/*") == Some(major) {
                2
            } else if range == "*/*" {
                1
            } else {
                continue;
            };
            if best.is_none_or(|(s, _)| specificity > s) {
                best = Some((specificity, *q));
            }
        }
        best.map_or(0.0, |(_, q)| q)
    };
    let mut chosen: Option<(Representation, f32)> = None;
    for &r in offered {
        let q = quality(r);
        if q > 0.0 && chosen.is_none_or(|(_, best)| q > best) {
            chosen = Some((r, q));
        }
    }
    chosen.map(|(r, _)| r).ok_or_else(|| {
        AppError::NotAcceptable(format!(
            "this resource is available as {} ({}); Accept allows none of them",
            names(),
            offered
                .iter()
                .map(|r| r.media_type())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })
}

/// Forms hold personal data: never stored by caches, and they vary with `Accept`.
fn private(resp: &mut actix_web::HttpResponseBuilder) {
    resp.insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header((header::VARY, "Accept"));
}

fn html_response(html: String) -> HttpResponse {
    let mut resp = HttpResponse::Ok();
    private(&mut resp);
    resp.content_type("text/html; charset=utf-8")
        // The page styles itself inline, draws its QR code inline and loads nothing.
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'",
        ))
        .body(html)
}

fn pdf_response(pdf: Vec<u8>, stem: &str) -> HttpResponse {
    let mut resp = HttpResponse::Ok();
    private(&mut resp);
    resp.content_type("application/pdf")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"{stem}.pdf\""),
        ))
        .body(pdf)
}

/// Renders a document off the async threads (a PDF takes milliseconds) and answers with it.
async fn document_response(
    doc: Document,
    as_: Representation,
    stem: String,
) -> AppResult<HttpResponse> {
    if as_ == Representation::Pdf {
        let pdf = web::block(move || forms::pdf::render(&doc))
            .await?
            .map_err(AppError::Internal)?;
        Ok(pdf_response(pdf, &stem))
    } else {
        Ok(html_response(forms::html::render(&doc)))
    }
}

/// The settings a form is built with, owned so that they travel to the blocking pool.
struct FormSettings {
    settings: std::sync::Arc<crate::config::Settings>,
    tz: chrono_tz::Tz,
    base_url: String,
}

impl FormSettings {
    fn of(state: &AppState) -> Self {
        FormSettings {
            settings: state.settings.clone(),
            tz: state.calendar().timezone(),
            base_url: state.settings.public_base_url(),
        }
    }

    fn context(&self) -> FormContext<'_> {
        FormContext {
            texts: &self.settings.forms,
            tz: self.tz,
            base_url: &self.base_url,
        }
    }
}

/// `format` of the forms.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum FormFormat {
    Html,
    Pdf,
}

/// `format` of the register.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum RegisterFormat {
    Json,
    Csv,
    Pdf,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FormatQuery {
    /// `html` (the default) or `pdf`; overrides `Accept`. Another value is 400; `json` or `csv`
    /// (which the forms do not have) is 406.
    #[param(value_type = Option<FormFormat>)]
    pub format: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SupplementQuery {
    /// Which request, from 1 (default: the latest).
    #[param(minimum = 1, maximum = 1000)]
    pub n: Option<u32>,
    /// `html` (the default) or `pdf`; overrides `Accept`.
    #[param(value_type = Option<FormFormat>)]
    pub format: Option<String>,
}

/// What the form path names, with its query.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DossierFormQuery {
    pub n: Option<u32>,
    pub format: Option<String>,
}

/// `GET /api/v1/dossiers/{code}/forms/{form}`: the route of the five dossier forms (the
/// document lists each on its own path).
pub async fn dossier_form(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    q: Query<DossierFormQuery>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::ReadStaff)?;
    let (code, name) = path.into_inner();
    let form = DossierForm::parse(&name).ok_or_else(|| {
        AppError::NotFound(format!(
            "no form is called {name:?}; a dossier's forms are {}",
            DossierForm::ALL
                .iter()
                .map(|f| f.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })?;
    let q = q.into_inner();
    match q.n {
        Some(_) if form != DossierForm::SupplementRequest => {
            return Err(AppError::field(
                "n",
                "applies to the supplement request only",
            ));
        }
        Some(0) => return Err(AppError::field("n", "must be at least 1")),
        _ => {}
    }
    let as_ = negotiate(
        &req,
        q.format.as_deref(),
        &[Representation::Html, Representation::Pdf],
    )?;
    let st = state.clone();
    let fs = FormSettings::of(&state);
    let stem = format!("{}-{code}", form.file_stem());
    let doc = state
        .db(move |conn| {
            let scope = scope(conn, &caller)?;
            let facts = crate::store::forms::dossier_facts(conn, &st.catalog, &code, &scope)?
                .ok_or_else(|| AppError::not_found("dossier"))?;
            forms::build_dossier_form(form, &facts, &fs.context(), q.n)
                .map_err(|e| AppError::NotFound(e.0))
        })
        .await?;
    document_response(doc, as_, stem).await
}

macro_rules! dossier_form_docs {
    ($($name:ident: $path:literal, $form:literal, $summary:literal, $description:literal, $params:ty;)*) => {$(
        #[doc = $summary]
        #[utoipa::path(
            get,
            path = $path,
            operation_id = stringify!($name),
            tag = "forms",
            summary = $summary,
            description = $description,
            security(("bearer" = [])),
            params(DossierCodePath, $params),
            responses(
                (status = 200, description = concat!($form, ", as HTML (A4 print styles) or PDF (A4, fonts embedded)"),
                    content(
                        (String = "text/html", example = "<!DOCTYPE html>…"),
                        (PdfBody = "application/pdf"),
                    ),
                    headers(
                        ("Content-Disposition" = String, description = "With PDF: `inline; filename=\"mau-NN-<code>.pdf\"`"),
                        ("Cache-Control" = String, description = "`private, no-store`: the form holds personal data"),
                    )),
                problem::FormErrors,
            )
        )]
        #[allow(dead_code)]
        pub(crate) fn $name() {}
    )*};
}

dossier_form_docs! {
    form_receipt: "/api/v1/dossiers/{code}/forms/receipt", "Mẫu 01",
        "Mẫu 01: the receipt with the appointment and a lookup QR code",
        "Giấy tiếp nhận hồ sơ và hẹn trả kết quả (Circular 03/2025, Mẫu 01): the applicant, the \
         dossier code, the procedure, the channel, the receipt time and the appointment, how to \
         look the dossier up, and a QR code of `{public.base_url}/tra-cuu?code={code}`. HTML by \
         default; PDF with `?format=pdf` or `Accept: application/pdf`.",
        FormatQuery;
    form_supplement_request: "/api/v1/dossiers/{code}/forms/supplement-request", "Mẫu 02",
        "Mẫu 02: a supplement request with every item it listed",
        "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ: the n-th `request-supplement` (default the \
         latest), its items, reason, time and who made it. 404 when no request was made, or \
         there is no n-th.",
        SupplementQuery;
    form_refusal: "/api/v1/dossiers/{code}/forms/refusal", "Mẫu 03",
        "Mẫu 03: the refusal of a dossier not accepted",
        "Phiếu từ chối tiếp nhận giải quyết hồ sơ, for a rejected dossier (404, saying so, for \
         any other).",
        FormatQuery;
    form_stop_notice: "/api/v1/dossiers/{code}/forms/stop-notice", "Mẫu 05",
        "Mẫu 05: the notice that processing stopped",
        "Thông báo dừng giải quyết hồ sơ, for a stopped dossier (404, saying so, for any other), \
         signed by the head of the agency that held it.",
        FormatQuery;
    form_control_slip: "/api/v1/dossiers/{code}/forms/control-slip", "Mẫu 06",
        "Mẫu 06: the control slip, every step with its deadline and verdict",
        "Phiếu kiểm soát quá trình giải quyết hồ sơ: each step's agency (by name), when it \
         received the dossier, its deadline, when it finished, its verdict (trước hạn / đúng hạn \
         / quá hạn) and who handed the dossier over.",
        FormatQuery;
}

/// `GET /api/v1/apology-letters/{id}/document`: the letter (Mẫu 04), HTML or PDF, for the
/// counter to print and hand over when there is no email address on file.
#[utoipa::path(
    get,
    path = "/api/v1/apology-letters/{id}/document",
    operation_id = "apology_letter_document",
    tag = "apology letters",
    summary = "The letter as a printable page (Mẫu 04)",
    description = "Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết (Circular 03/2025, \
        Mẫu 04), with the lookup QR code: HTML by default, PDF with `?format=pdf` or \
        `Accept: application/pdf` (the same PDF the letter's email carries).",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The letter's id"), FormatQuery),
    responses(
        (status = 200, description = "The letter, ready to print", content(
            (String = "text/html"),
            (PdfBody = "application/pdf"),
        ), headers(
            ("Content-Disposition" = String, description = "With PDF: `inline; filename=\"mau-04-<number>.pdf\"`"),
        )),
        problem::FormErrors,
    )
)]
pub async fn letter_document(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<i64>,
    q: Query<FormatQuery>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::ReadStaff)?;
    let as_ = negotiate(
        &req,
        q.format.as_deref(),
        &[Representation::Html, Representation::Pdf],
    )?;
    let id = id.into_inner();
    let st = state.clone();
    let fs = FormSettings::of(&state);
    let (doc, number) = state
        .db(move |conn| {
            let scope = scope(conn, &caller)?;
            let (letter, facts) =
                crate::store::forms::letter_facts(conn, &st.catalog, id, Some(&scope))?
                    .ok_or_else(|| AppError::not_found("letter"))?;
            Ok((
                forms::apology::apology(&letter, &facts, &fs.context()),
                letter.number,
            ))
        })
        .await?;
    let stem: String = number
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    document_response(doc, as_, format!("mau-04-{stem}")).await
}

// ---- Mẫu 07, the register ----

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RegisterQuery {
    /// The receiving office (default the caller's own; required for an admin), within the
    /// caller's reporting scope (403 outside it).
    #[param(value_type = Option<OfficeCodeSchema>)]
    pub office: Option<String>,
    /// The first day received (office time).
    #[param(example = "2026-10-01")]
    pub from: NaiveDate,
    /// The last day received, at most 366 days after `from`.
    #[param(example = "2026-10-31")]
    pub to: NaiveDate,
    /// `json` (the default), `csv` (UTF-8 with a byte-order mark) or `pdf`; overrides `Accept`.
    #[param(value_type = Option<RegisterFormat>)]
    pub format: Option<String>,
}

/// A line of the register: a dossier the office received in the period.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegisterItem {
    /// The line's number in the register, from 1.
    pub seq: usize,
    pub code: String,
    pub procedure_code: String,
    pub procedure_name: String,
    pub applicant_name: String,
    pub applicant_address: Option<String>,
    /// The agency holding the dossier now (or that held it last).
    pub responsible_office_code: String,
    pub responsible_office_name: String,
    pub received_at: DateTime<FixedOffset>,
    pub due_at: DateTime<FixedOffset>,
    pub rescheduled_due_at: Option<DateTime<FixedOffset>>,
    /// When the dossier first left the counter (the first transfer).
    pub transferred_at: Option<DateTime<FixedOffset>>,
    pub resolved_at: Option<DateTime<FixedOffset>>,
    pub returned_at: Option<DateTime<FixedOffset>>,
    pub status: Status,
    /// The verdict once resolved: `early`, `on_time` or `late`.
    pub timeliness: Option<Timeliness>,
}

/// Mẫu 07: the dossiers an office received in a period, in order of receipt.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegisterReport {
    pub office_code: String,
    pub office_name: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub total: usize,
    pub items: Vec<RegisterItem>,
}

const REGISTER_COLUMNS: [&str; 16] = [
    "seq",
    "code",
    "procedure_code",
    "procedure_name",
    "applicant_name",
    "applicant_address",
    "responsible_office_code",
    "responsible_office_name",
    "received_at",
    "due_at",
    "rescheduled_due_at",
    "transferred_at",
    "resolved_at",
    "returned_at",
    "status",
    "timeliness",
];

fn register_report(state: &AppState, r: &RegisterFacts) -> RegisterReport {
    let local = |t: chrono::DateTime<chrono::Utc>| state.local(t);
    RegisterReport {
        office_code: r.office.code.clone(),
        office_name: r.office.name.clone(),
        from: r.from,
        to: r.to,
        total: r.lines.len(),
        items: r
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| RegisterItem {
                seq: i + 1,
                code: l.code.clone(),
                procedure_code: l.procedure_code.clone(),
                procedure_name: l.procedure_name.clone(),
                applicant_name: l.applicant_name.clone(),
                applicant_address: l.applicant_address.clone(),
                responsible_office_code: l.responsible_office_code.clone(),
                responsible_office_name: l.responsible_office_name.clone(),
                received_at: local(l.received_at),
                due_at: local(l.due_at),
                rescheduled_due_at: l.rescheduled_due_at.map(local),
                transferred_at: l.transferred_at.map(local),
                resolved_at: l.resolved_at.map(local),
                returned_at: l.returned_at.map(local),
                status: l.status,
                timeliness: l.final_timeliness,
            })
            .collect(),
    }
}

fn register_csv(report: &RegisterReport) -> String {
    let t = |v: &Option<DateTime<FixedOffset>>| v.map(|t| t.to_rfc3339()).unwrap_or_default();
    let rows: Vec<Vec<String>> = report
        .items
        .iter()
        .map(|i| {
            vec![
                i.seq.to_string(),
                i.code.clone(),
                i.procedure_code.clone(),
                i.procedure_name.clone(),
                i.applicant_name.clone(),
                i.applicant_address.clone().unwrap_or_default(),
                i.responsible_office_code.clone(),
                i.responsible_office_name.clone(),
                i.received_at.to_rfc3339(),
                i.due_at.to_rfc3339(),
                t(&i.rescheduled_due_at),
                t(&i.transferred_at),
                t(&i.resolved_at),
                t(&i.returned_at),
                i.status.as_str().to_owned(),
                i.timeliness
                    .map(|t| t.as_str().to_owned())
                    .unwrap_or_default(),
            ]
        })
        .collect();
    super::reports::csv(&REGISTER_COLUMNS, &rows)
}

/// `GET /api/v1/reports/register`.
#[utoipa::path(
    get,
    path = "/api/v1/reports/register",
    operation_id = "report_register",
    tag = "reports",
    summary = "Mẫu 07: an office's register of dossiers (supervisor, admin)",
    description = "Sổ theo dõi hồ sơ (Circular 03/2025, Mẫu 07): every dossier the office \
        received from `from` to `to` (office days, at most 366), in order of receipt, with its \
        appointment, when it left the counter, was resolved and returned, and its status. JSON \
        by default; CSV (UTF-8 with a byte-order mark, for Excel) or PDF (A4 landscape) with \
        `?format=` or `Accept`.",
    security(("bearer" = [])),
    params(RegisterQuery),
    responses(
        (status = 200, description = "The register", content(
            (RegisterReport = "application/json"),
            (String = "text/csv", example = "\u{feff}seq,code,procedure_code,…"),
            (PdfBody = "application/pdf"),
        ), headers(("Content-Disposition" = String,
            description = "With CSV or PDF: `attachment; filename=\"register.csv\"` or `inline; filename=\"mau-07-<office>-<from>-<to>.pdf\"`"))),
        problem::RegisterErrors,
    )
)]
pub async fn register(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    q: Query<RegisterQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let as_ = negotiate(
        &req,
        q.format.as_deref(),
        &[
            Representation::Json,
            Representation::Csv,
            Representation::Pdf,
        ],
    )?;
    caller.require(Permission::Report)?;
    let office = match (q.office, &caller.office_code) {
        (Some(o), _) => o,
        (None, Some(own)) => own.clone(),
        (None, None) => {
            return Err(AppError::field(
                "office",
                "is required for an admin, who belongs to no office",
            ));
        }
    };
    OfficeCode::parse(&office).map_err(|m| AppError::field("office", m))?;
    if (q.to - q.from).num_days() > 365 {
        return Err(AppError::field("to", "the register spans at most 366 days"));
    }
    let bounds = super::reports::period(&state, q.from, q.to)?;
    let st = state.clone();
    let (from, to) = (q.from, q.to);
    let office2 = office.clone();
    let facts = state
        .db(move |conn| {
            let scope = scope(conn, &caller)?;
            if !scope.contains(&office2) {
                return Err(AppError::Forbidden(format!(
                    "office {office2} is outside your reporting scope"
                )));
            }
            crate::store::forms::register(conn, &st.catalog, &office2, (from, to), bounds)?
                .ok_or_else(|| AppError::not_found("office"))
        })
        .await?;
    match as_ {
        Representation::Pdf => {
            let fs = FormSettings::of(&state);
            let now = crate::db::now();
            let doc = forms::register::register(&facts, &fs.context(), now);
            document_response(doc, as_, format!("mau-07-{office}-{from}-{to}")).await
        }
        Representation::Csv => {
            let body = register_csv(&register_report(&state, &facts));
            let mut resp = HttpResponse::Ok();
            private(&mut resp);
            Ok(resp
                .content_type("text/csv; charset=utf-8")
                .insert_header((
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"register.csv\"",
                ))
                .body(body))
        }
        Representation::Json | Representation::Html => {
            let mut resp = HttpResponse::Ok();
            private(&mut resp);
            Ok(resp.json(register_report(&state, &facts)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    const FORM: [Representation; 2] = [Representation::Html, Representation::Pdf];

    fn choose(accept: Option<&str>, format: Option<&str>) -> Result<Representation, u16> {
        let mut req = TestRequest::default();
        if let Some(a) = accept {
            req = req.insert_header((header::ACCEPT, a));
        }
        negotiate(&req.to_http_request(), format, &FORM)
            .map_err(|e| actix_web::ResponseError::status_code(&e).as_u16())
    }

    #[test]
    fn accept_and_format_choose_the_representation() {
        use Representation::*;
        assert_eq!(choose(None, None), Ok(Html));
        assert_eq!(choose(Some("*/*"), None), Ok(Html));
        assert_eq!(choose(Some("application/pdf"), None), Ok(Pdf));
        assert_eq!(
            choose(Some("text/html;q=0.5, application/pdf"), None),
            Ok(Pdf)
        );
        assert_eq!(
            choose(Some("application/*, text/html;q=0.1"), None),
            Ok(Pdf)
        );
        assert_eq!(choose(Some("application/pdf;q=0, */*"), None), Ok(Html));
        assert_eq!(choose(Some("application/json"), None), Err(406));
        assert_eq!(choose(Some("image/png, text/csv"), None), Err(406));
        // `format` overrides Accept; a format the forms lack is 406, nonsense is 400.
        assert_eq!(choose(Some("text/html"), Some("pdf")), Ok(Pdf));
        assert_eq!(choose(None, Some("csv")), Err(406));
        assert_eq!(choose(None, Some("docx")), Err(400));
    }
}
