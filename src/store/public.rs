//! The citizen's view of a dossier (Decree 61 Art. 17.3, kept by Decree 118), found by its code and the applicant's ID
//! number: what the JSON lookup and the citizen's pages both show, computed once here.

use chrono::{DateTime, Utc};
use subtle::ConstantTimeEq;

use crate::db::{DbConn, from_db};
use crate::domain::calendar::ProcessingTime;
use crate::domain::calendars::Calendars;
use crate::domain::dossier::Status;
use crate::domain::timeliness::Timeliness;
use crate::domain::validation;
use crate::error::{AppError, AppResult};
use crate::store::catalog::Catalog;
use crate::store::{dossiers, letters};

/// Longer than any code an office can issue; longer input is not looked up at all.
const CODE_MAX: usize = 80;

/// What a citizen sees: no personal data beyond a masked name, no internal notes, no staff.
#[derive(Debug, Clone)]
pub struct CitizenView {
    pub code: String,
    pub status: Status,
    pub procedure_name: String,
    pub office_name: String,
    /// The agency holding the dossier now.
    pub current_office_name: String,
    pub received_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub rescheduled_due_at: Option<DateTime<Utc>>,
    pub timeliness: Option<Timeliness>,
    pub applicant_name_masked: String,
    /// The open supplement request, while the dossier waits for it.
    pub supplement_request: Option<SupplementRequest>,
    /// The processing steps so far, in order.
    pub steps: Vec<CitizenStep>,
    /// Every change of status, oldest first.
    pub history: Vec<(Status, DateTime<Utc>)>,
    pub apology_letters: Vec<CitizenLetter>,
    /// The complaints and recommendations filed about it, oldest first, with their answers
    /// (never who answered).
    pub complaints: Vec<CitizenComplaint>,
    /// Resolved, with a result file: the citizen can download it.
    pub result_available: bool,
}

/// A complaint or recommendation as the citizen sees it.
#[derive(Debug, Clone)]
pub struct CitizenComplaint {
    pub id: i64,
    pub kind: String,
    pub text: String,
    pub filed_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub answer: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
}

impl From<crate::store::complaints::Complaint> for CitizenComplaint {
    fn from(c: crate::store::complaints::Complaint) -> Self {
        Self {
            id: c.id,
            kind: c.kind,
            text: c.text,
            filed_at: from_db(c.filed_at),
            due_at: from_db(c.due_at),
            answer: c.answer,
            answered_at: c.answered_at.map(from_db),
        }
    }
}

/// What the office asked the citizen to bring (Mẫu 02).
#[derive(Debug, Clone)]
pub struct SupplementRequest {
    pub items: Vec<String>,
    pub reason: String,
    pub requested_at: DateTime<Utc>,
}

/// One processing step: which agency, since when, until when.
#[derive(Debug, Clone)]
pub struct CitizenStep {
    pub office_name: String,
    pub received_at: DateTime<Utc>,
    pub deadline_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

/// An apology letter (Mẫu 04) as its reader sees it: why, the new appointment, who signed.
#[derive(Debug, Clone)]
pub struct CitizenLetter {
    pub created_at: DateTime<Utc>,
    pub reason: String,
    pub original_due_at: DateTime<Utc>,
    pub new_due_at: DateTime<Utc>,
    pub agency_name: String,
    pub signer_name: Option<String>,
}

/// The one answer for a wrong code and a wrong ID number alike.
pub fn not_found() -> AppError {
    AppError::NotFound("no dossier matches this code and ID number".into())
}

/// An ID number as people type it — any case, spaces anywhere — as stored; `None` when it cannot
/// be one (9 or 12 digits, or a passport number of 6–12 letters and digits).
pub fn normalise_id_number(typed: &str) -> Option<String> {
    validation::id_number(&typed.split_whitespace().collect::<String>())
}

/// A dossier code as people type it (any case, spaces around it) as issued.
pub fn normalise_code(typed: &str) -> String {
    typed.trim().to_ascii_uppercase()
}

/// The dossier with `code` whose applicant's ID number is `id_number` (both as people type
/// them, see `normalise_code` and `normalise_id_number`), or `not_found()` — the same for a
/// wrong code, a wrong ID number, or one that cannot be an ID number at all. The ID numbers are
/// compared in constant time, also when there is no dossier, so both failures take the same
/// path.
pub fn lookup(
    conn: &mut DbConn,
    catalog: &Catalog,
    calendars: &Calendars,
    due_soon: ProcessingTime,
    code: &str,
    id_number: &str,
    now: DateTime<Utc>,
) -> AppResult<CitizenView> {
    let (d, steps) = matching(conn, code, id_number)?;
    view(conn, catalog, calendars, due_soon, d, steps, now)
}

/// The dossier with `code` whose applicant's ID number is `id_number`, as `lookup` finds it
/// (the same `not_found()` for every failure, the ID numbers compared in constant time).
pub fn matching(
    conn: &mut DbConn,
    code: &str,
    id_number: &str,
) -> AppResult<(dossiers::Dossier, Vec<dossiers::Step>)> {
    let given = normalise_id_number(id_number).unwrap_or_default();
    let code = normalise_code(code);
    let found = if code.len() <= CODE_MAX {
        dossiers::find_with_steps(conn, &code)?
    } else {
        None
    };
    let stored = found
        .as_ref()
        .map(|(d, _)| d.applicant_id_number.as_bytes())
        .unwrap_or(b"\0no-dossier\0");
    let matches: bool = stored.ct_eq(given.as_bytes()).into();
    match found {
        Some(found) if matches && !given.is_empty() => Ok(found),
        _ => Err(not_found()),
    }
}

/// The citizen's view of a dossier found by `matching`.
pub fn view(
    conn: &mut DbConn,
    catalog: &Catalog,
    calendars: &Calendars,
    due_soon: ProcessingTime,
    d: dossiers::Dossier,
    steps: Vec<dossiers::Step>,
    now: DateTime<Utc>,
) -> AppResult<CitizenView> {
    let (procedure_name, office_name, current_office_name) = catalog.names_for(conn, &d)?;
    let events = dossiers::all_events(conn, d.id)?;
    let cal = calendars.for_office(&d.office_code);
    let timeliness = dossiers::timeliness_now(cal, &d, now, due_soon)?;
    let status = d.status()?;
    let history = events
        .iter()
        .filter(|e| e.from_status.as_deref() != Some(e.to_status.as_str()))
        .map(|e| {
            Status::parse(&e.to_status)
                .map(|s| (s, from_db(e.at)))
                .ok_or_else(|| AppError::Internal(format!("unknown status {}", e.to_status)))
        })
        .collect::<AppResult<_>>()?;
    let supplement_request = if status == Status::AwaitingSupplement {
        events
            .iter()
            .rev()
            .find(|e| e.action == "request-supplement")
            .map(|e| {
                let data: serde_json::Value = e
                    .data
                    .as_deref()
                    .and_then(|s| serde_json::from_str(s).ok())
                    .unwrap_or_default();
                SupplementRequest {
                    items: data
                        .get("items")
                        .and_then(|v| serde_json::from_value(v.clone()).ok())
                        .unwrap_or_default(),
                    reason: data
                        .get("reason")
                        .and_then(|v| v.as_str())
                        .unwrap_or_default()
                        .to_owned(),
                    requested_at: from_db(e.at),
                }
            })
    } else {
        None
    };
    let mut citizen_steps = Vec::with_capacity(steps.len());
    for s in steps {
        citizen_steps.push(CitizenStep {
            office_name: office(conn, catalog, &s.office_code)?,
            received_at: from_db(s.received_at),
            deadline_at: from_db(s.deadline_at),
            completed_at: s.completed_at.map(from_db),
        });
    }
    let mut apology_letters = Vec::new();
    for (l, _) in letters::for_dossier(conn, &d)? {
        apology_letters.push(CitizenLetter {
            created_at: from_db(l.created_at),
            original_due_at: from_db(l.original_due_at),
            new_due_at: from_db(l.new_due_at),
            agency_name: office(conn, catalog, &l.responsible_office_code)?,
            signer_name: l.signer_name,
            reason: l.reason,
        });
    }
    let complaints = crate::store::complaints::for_dossier(conn, d.id)?
        .into_iter()
        .map(CitizenComplaint::from)
        .collect();
    Ok(CitizenView {
        complaints,
        result_available: d.resolved_at.is_some() && crate::store::files::has_result(conn, d.id)?,
        status,
        procedure_name,
        office_name,
        current_office_name,
        received_at: from_db(d.received_at),
        due_at: from_db(d.due_at),
        rescheduled_due_at: d.rescheduled_due_at.map(from_db),
        timeliness,
        applicant_name_masked: validation::mask_name(&d.applicant_full_name),
        supplement_request,
        steps: citizen_steps,
        history,
        apology_letters,
        code: d.code,
    })
}

fn office(conn: &mut DbConn, catalog: &Catalog, code: &str) -> AppResult<String> {
    catalog
        .office_name(conn, code)?
        .map(|n| n.to_string())
        .ok_or_else(|| AppError::Internal(format!("unknown office {code}")))
}
