//! The stored facts the forms are built from, as storage reads them (`store::forms`): plain
//! values, no database types, so that the forms are pure functions of them.

use chrono::{DateTime, Utc};

use crate::domain::calendar::ProcessingTime;
use crate::domain::dossier::{Channel, Status};
use crate::domain::timeliness::Timeliness;

/// An office or agency as documents name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agency {
    pub code: String,
    pub name: String,
    /// The body it belongs to (`parent_code`), by name.
    pub parent_name: Option<String>,
    /// Its head, who signs its letters.
    pub head_name: Option<String>,
}

/// Everything the dossier's forms (Mẫu 01, 02, 03, 05, 06) say.
#[derive(Debug, Clone, PartialEq)]
pub struct DossierFacts {
    pub code: String,
    pub procedure_code: String,
    pub procedure_name: String,
    pub field: String,
    pub processing_time: ProcessingTime,
    pub channel: Channel,
    pub status: Status,
    pub applicant_name: String,
    pub applicant_address: Option<String>,
    /// The receiving office.
    pub office: Agency,
    /// The clerk who recorded the receipt, by name (none for an account without one).
    pub received_by: Option<String>,
    pub received_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub rescheduled_due_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub returned_at: Option<DateTime<Utc>>,
    /// The verdict of a resolved dossier.
    pub final_timeliness: Option<Timeliness>,
    /// The components received as files: the listed component's name and the file's, or the
    /// file's name for an unlisted one.
    pub components: Vec<String>,
    /// Whether the components and the result are on file (`store::files`).
    pub digitised_components: bool,
    pub digitised_result: bool,
    pub steps: Vec<StepFacts>,
    /// Every `request-supplement`, in order.
    pub supplement_requests: Vec<SupplementFacts>,
    /// The `reject` event, for Mẫu 03.
    pub refusal: Option<ClosingFacts>,
    /// The `stop` event, for Mẫu 05.
    pub stop: Option<ClosingFacts>,
}

/// A processing step (a row of the control slip).
#[derive(Debug, Clone, PartialEq)]
pub struct StepFacts {
    pub seq: i32,
    pub agency: Agency,
    pub received_at: DateTime<Utc>,
    pub deadline_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    pub verdict: Option<Timeliness>,
    /// Who handed the dossier over: the actor of the transfer that opened the step.
    pub handed_over_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupplementFacts {
    pub at: DateTime<Utc>,
    pub items: Vec<String>,
    pub reason: String,
    /// Who made the request, by name.
    pub by: Option<String>,
}

/// A refusal at the counter or a stop: when, why, by whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosingFacts {
    pub at: DateTime<Utc>,
    pub reason: String,
    pub by: Option<String>,
}

/// An apology letter as stored (Mẫu 04).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LetterFacts {
    pub number: String,
    pub reason: String,
    pub original_due_at: DateTime<Utc>,
    pub new_due_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    /// The agency responsible when the letter was written.
    pub agency: Agency,
    pub signer_name: Option<String>,
}

impl DossierFacts {
    /// The agency that held the dossier at `t`: the office of the latest step opened by then,
    /// or the receiving office before the first transfer.
    pub fn agency_at(&self, t: DateTime<Utc>) -> &Agency {
        self.steps
            .iter()
            .rev()
            .find(|s| s.received_at <= t)
            .map_or(&self.office, |s| &s.agency)
    }
}

/// One line of the register (Mẫu 07).
#[derive(Debug, Clone, PartialEq)]
pub struct RegisterLine {
    pub code: String,
    pub procedure_code: String,
    pub procedure_name: String,
    pub applicant_name: String,
    pub applicant_address: Option<String>,
    pub responsible_office_code: String,
    pub responsible_office_name: String,
    pub received_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub rescheduled_due_at: Option<DateTime<Utc>>,
    /// The first transfer: when the dossier left the counter.
    pub transferred_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub returned_at: Option<DateTime<Utc>>,
    pub status: Status,
    pub final_timeliness: Option<Timeliness>,
}

/// The register of one office for a period.
#[derive(Debug, Clone, PartialEq)]
pub struct RegisterFacts {
    pub office: Agency,
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
    pub lines: Vec<RegisterLine>,
}
