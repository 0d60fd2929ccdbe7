//! The pages as templates (askama, checked at build time) and what each is rendered from.

use askama::Template;
use chrono::{DateTime, FixedOffset, Utc};

use super::i18n::{Lang, Text};
use crate::domain::dossier::Status;
use crate::domain::timeliness::Timeliness;
use crate::store::public::CitizenView;

/// What every page's frame needs.
pub struct Layout<'a> {
    pub t: &'static Text,
    pub lang: &'static str,
    pub title: &'a str,
    pub css: &'a str,
    pub home_href: String,
    pub switch_href: String,
    pub switch_lang: &'static str,
    pub switch_name: &'static str,
    pub help_contact: Option<&'a str>,
}

impl<'a> Layout<'a> {
    /// The frame in `lang`. The language link leads to the same form in the other language,
    /// with the dossier code when there is one (the code is not the secret; the ID number
    /// never goes into a link).
    pub fn new(
        lang: Lang,
        title: &'a str,
        code: Option<&str>,
        css: &'a str,
        help_contact: Option<&'a str>,
    ) -> Self {
        let other = lang.other();
        let switch_href = match code.filter(|c| !c.is_empty()) {
            Some(code) => format!(
                "/tra-cuu?{}",
                form_urlencoded::Serializer::new(String::new())
                    .append_pair("code", code)
                    .append_pair("lang", other.code())
                    .finish()
            ),
            None => format!("/?lang={}", other.code()),
        };
        Self {
            t: lang.text(),
            lang: lang.code(),
            title,
            css,
            home_href: format!("/?lang={}", lang.code()),
            switch_href,
            switch_lang: other.code(),
            switch_name: other.text().language_name,
            help_contact,
        }
    }
}

/// The lookup form's state: the code as typed (never the ID number), and what is wrong.
#[derive(Default)]
pub struct Form {
    pub code: String,
    pub code_error: Option<&'static str>,
    pub id_error: Option<&'static str>,
}

/// What the lookup page says above the form.
pub enum Notice {
    Intro,
    Errors,
    NotFound,
}

#[derive(Template)]
#[template(path = "pages/lookup.html")]
pub struct LookupPage<'a> {
    pub page: Layout<'a>,
    pub notice: Notice,
    pub form: Form,
}

/// A short answer: a heading, a sentence, a way back.
#[derive(Template)]
#[template(path = "pages/message.html")]
pub struct MessagePage<'a> {
    pub page: Layout<'a>,
    pub heading: &'a str,
    pub text: &'a str,
    pub link: &'a str,
    pub alert: bool,
}

#[derive(Template)]
#[template(path = "pages/status.html")]
pub struct StatusPage<'a> {
    pub page: Layout<'a>,
    pub v: StatusView,
    pub complaints: Vec<ComplaintItem>,
    pub complaint: ComplaintForm,
}

/// A complaint the citizen filed, as the status page lists it (no names).
pub struct ComplaintItem {
    pub kind: &'static str,
    pub status: &'static str,
    pub filed_at: Time,
    pub due_at: Time,
    pub text: String,
    pub answer: Option<String>,
}

/// The complaint form's state: what was chosen and typed (never the ID number), what is wrong.
#[derive(Default)]
pub struct ComplaintForm {
    pub kind: String,
    pub text: String,
    pub kind_error: Option<&'static str>,
    pub text_error: Option<&'static str>,
}

impl ComplaintItem {
    pub fn list(
        complaints: &[crate::store::public::CitizenComplaint],
        lang: Lang,
        tz: chrono_tz::Tz,
    ) -> Vec<ComplaintItem> {
        let t = lang.text();
        let time = |at: DateTime<Utc>| {
            let l = at.with_timezone(&tz).fixed_offset();
            Time {
                iso: l.to_rfc3339(),
                text: (t.datetime)(l),
            }
        };
        complaints
            .iter()
            .map(|c| ComplaintItem {
                kind: if c.kind == "recommendation" {
                    t.complaint_kind_recommendation
                } else {
                    t.complaint_kind_complaint
                },
                status: if c.answered_at.is_some() {
                    t.complaint_status_answered
                } else {
                    t.complaint_status_open
                },
                filed_at: time(c.filed_at),
                due_at: time(c.due_at),
                text: c.text.clone(),
                answer: c.answer.clone(),
            })
            .collect()
    }
}

/// An instant for a `<time>` element: machine-readable and as the reader writes it.
pub struct Time {
    pub iso: String,
    pub text: String,
}

pub struct StatusView {
    pub code: String,
    pub status_word: &'static str,
    pub status_explanation: &'static str,
    /// The colour of the status: something to do, finished, ended without a result.
    pub status_class: &'static str,
    pub timeliness: Option<&'static str>,
    pub late: bool,
    pub applicant: String,
    pub procedure: String,
    pub office: String,
    pub received_at: Time,
    pub due_at: Time,
    pub new_due_at: Option<Time>,
    pub current_office_label: &'static str,
    pub current_office: String,
    pub supplement: Option<SupplementView>,
    pub letters: Vec<LetterView>,
    pub steps: Vec<StepView>,
    pub history: Vec<HistoryView>,
    pub as_of: String,
    /// The result can be downloaded (`POST /ket-qua`).
    pub result_available: bool,
}

pub struct SupplementView {
    pub items: Vec<String>,
    pub reason: String,
    pub requested_at: Time,
}

pub struct LetterView {
    pub agency: String,
    pub created_at: Time,
    pub reason: String,
    pub original_due_at: Time,
    pub new_due_at: Time,
    pub signer: String,
}

pub struct StepView {
    pub heading: String,
    pub office: String,
    pub received_at: Time,
    pub deadline_at: Time,
    pub completed_at: Option<Time>,
}

pub struct HistoryView {
    pub at: Time,
    pub status: &'static str,
}

impl StatusView {
    /// The citizen's view in `lang`, its instants in the office time zone `tz`.
    pub fn new(v: CitizenView, lang: Lang, tz: chrono_tz::Tz, now: DateTime<Utc>) -> Self {
        let t = lang.text();
        let local = |at: DateTime<Utc>| at.with_timezone(&tz).fixed_offset();
        let time = |at: DateTime<Utc>, f: fn(DateTime<FixedOffset>) -> String| Time {
            iso: local(at).to_rfc3339(),
            text: f(local(at)),
        };
        let status_class = match v.status {
            Status::AwaitingSupplement | Status::AwaitingPayment => "st-action",
            Status::Resolved | Status::Returned => "st-done",
            Status::Rejected | Status::Withdrawn | Status::Stopped => "st-ended",
            Status::Received | Status::Processing => "st-open",
        };
        Self {
            status_word: (t.status)(v.status),
            status_explanation: (t.status_explanation)(v.status),
            status_class,
            timeliness: v.timeliness.map(t.timeliness),
            late: matches!(v.timeliness, Some(Timeliness::Overdue | Timeliness::Late)),
            applicant: v.applicant_name_masked,
            procedure: v.procedure_name,
            office: v.office_name,
            received_at: time(v.received_at, t.datetime),
            due_at: time(v.due_at, t.appointment),
            new_due_at: v.rescheduled_due_at.map(|at| time(at, t.appointment)),
            current_office_label: if v.status.is_open() {
                t.current_office_label
            } else {
                t.finished_office_label
            },
            current_office: v.current_office_name,
            supplement: v.supplement_request.map(|s| SupplementView {
                items: s.items,
                reason: s.reason,
                requested_at: time(s.requested_at, t.datetime),
            }),
            letters: v
                .apology_letters
                .into_iter()
                .map(|l| LetterView {
                    agency: l.agency_name,
                    created_at: time(l.created_at, t.datetime),
                    reason: l.reason,
                    original_due_at: time(l.original_due_at, t.appointment),
                    new_due_at: time(l.new_due_at, t.appointment),
                    signer: l
                        .signer_name
                        .unwrap_or_else(|| t.apology_signer_unnamed.to_owned()),
                })
                .collect(),
            steps: v
                .steps
                .into_iter()
                .enumerate()
                .map(|(i, s)| StepView {
                    heading: (t.step_heading)(i + 1),
                    office: s.office_name,
                    received_at: time(s.received_at, t.datetime),
                    deadline_at: time(s.deadline_at, t.datetime),
                    completed_at: s.completed_at.map(|at| time(at, t.datetime)),
                })
                .collect(),
            history: v
                .history
                .into_iter()
                .map(|(status, at)| HistoryView {
                    at: time(at, t.datetime),
                    status: (t.status)(status),
                })
                .collect(),
            as_of: (t.as_of)(&(t.datetime)(local(now))),
            result_available: v.result_available,
            code: v.code,
        }
    }
}

/// The rating form of a personal link.
#[derive(Template)]
#[template(path = "pages/rating.html")]
pub struct RatingPage<'a> {
    pub page: Layout<'a>,
    /// Where the form posts: the link itself.
    pub action: String,
    pub code: String,
    pub procedure: String,
    pub expires: String,
    /// Each rating with its words, in the order shown.
    pub choices: Vec<(&'static str, &'static str)>,
    /// The rating chosen before (shown again with the errors), or "".
    pub chosen: &'a str,
    pub comment: String,
    pub rating_error: Option<&'static str>,
    pub comment_error: Option<&'static str>,
}
