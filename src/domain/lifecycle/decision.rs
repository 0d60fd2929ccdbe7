//! What each lifecycle action does to a dossier, decided from its facts: the new status, the
//! step it closes and the one it opens, the new deadline with its trace, the apology letter and
//! the citizen's notices it calls for, and the event's data — or why it is refused. The store
//! reads the facts, calls [`decide`] inside the transaction and writes what it returned; the demo
//! data and the property tests apply the same decisions in memory with [`DossierFacts::apply`].

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{Action, Facts, Refusal, transition};
use crate::domain::calendar::{DeadlineTrace, ProcessingTime, WorkingCalendar};
use crate::domain::deadline::{self, DeadlineBasis, SupplementPolicy};
use crate::domain::dossier::Status;
use crate::domain::notice::Notice;
use crate::domain::timeliness::{self, Timeliness};

/// How far ahead of the server's clock an action's `at` may be (client clock skew).
pub const CLOCK_SKEW_SECS: i64 = 5;

/// An action recorded more than this long after it happened is marked `backdated`.
const BACKDATED_AFTER_SECS: i64 = 60;

/// Resolve's outcome: the result, or a reasoned refusal after processing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Approved,
    Refused,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Approved => "approved",
            Outcome::Refused => "refused",
        }
    }
}

/// A validated action with its body.
#[derive(Debug, Clone, PartialEq)]
pub enum ActionInput {
    Transfer {
        to_office_code: String,
        /// The step's own processing time; without it the step is due when the dossier is.
        deadline: Option<ProcessingTime>,
        note: Option<String>,
    },
    RequestSupplement {
        items: Vec<String>,
        reason: String,
    },
    SupplementReceived {
        note: Option<String>,
    },
    RequestPayment {
        amount: Option<i64>,
        note: Option<String>,
    },
    PaymentReceived {
        amount: Option<i64>,
        note: Option<String>,
    },
    Reschedule {
        reason: String,
        new_due_at: DateTime<Utc>,
    },
    Resolve {
        outcome: Outcome,
        note: Option<String>,
    },
    ReturnResult {
        note: Option<String>,
    },
    Reject {
        reason: String,
    },
    Withdraw {
        reason: String,
    },
    Stop {
        reason: String,
    },
}

impl ActionInput {
    pub fn action(&self) -> Action {
        match self {
            ActionInput::Transfer { .. } => Action::Transfer,
            ActionInput::RequestSupplement { .. } => Action::RequestSupplement,
            ActionInput::SupplementReceived { .. } => Action::SupplementReceived,
            ActionInput::RequestPayment { .. } => Action::RequestPayment,
            ActionInput::PaymentReceived { .. } => Action::PaymentReceived,
            ActionInput::Reschedule { .. } => Action::Reschedule,
            ActionInput::Resolve { .. } => Action::Resolve,
            ActionInput::ReturnResult { .. } => Action::ReturnResult,
            ActionInput::Reject { .. } => Action::Reject,
            ActionInput::Withdraw { .. } => Action::Withdraw,
            ActionInput::Stop { .. } => Action::Stop,
        }
    }
}

/// A processing step (one row of the control slip, Mẫu 06).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepFacts {
    pub seq: u32,
    pub office_code: String,
    pub received_at: DateTime<Utc>,
    /// The step's own processing time, or none: due with the dossier.
    pub time: Option<ProcessingTime>,
    pub deadline_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    pub timeliness: Option<Timeliness>,
}

/// Everything about a dossier that decides what an action does to it.
#[derive(Debug, Clone, PartialEq)]
pub struct DossierFacts {
    pub status: Status,
    /// Where the dossier returns when the citizen has done their part.
    pub status_before_pause: Option<Status>,
    /// The office that received it (its code opens the dossier code).
    pub received_by: String,
    /// Before the first transfer the receiving office; after it, the office holding the step.
    pub responsible: String,
    pub due_at: DateTime<Utc>,
    pub basis: DeadlineBasis,
    pub paused_at: Option<DateTime<Utc>>,
    pub reappointment_used: bool,
    pub rescheduled_due_at: Option<DateTime<Utc>>,
    /// Supplement requests made so far.
    pub supplement_requests: u32,
    pub resolved_at: Option<DateTime<Utc>>,
    pub final_timeliness: Option<Timeliness>,
    pub returned_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub steps: Vec<StepFacts>,
    /// The instant of the latest event in the history.
    pub last_event_at: Option<DateTime<Utc>>,
}

impl DossierFacts {
    /// A dossier just received: `received` at `office`, its deadline from `basis`.
    pub fn received(
        office: &str,
        at: DateTime<Utc>,
        basis: DeadlineBasis,
        due_at: DateTime<Utc>,
    ) -> Self {
        DossierFacts {
            status: Status::Received,
            status_before_pause: None,
            received_by: office.to_owned(),
            responsible: office.to_owned(),
            due_at,
            basis,
            paused_at: None,
            reappointment_used: false,
            rescheduled_due_at: None,
            supplement_requests: 0,
            resolved_at: None,
            final_timeliness: None,
            returned_at: None,
            closed_at: None,
            steps: Vec::new(),
            last_event_at: Some(at),
        }
    }

    /// The step still open, if any.
    pub fn open_step(&self) -> Option<&StepFacts> {
        self.steps.iter().rev().find(|s| s.completed_at.is_none())
    }

    /// Applies a decision in memory, exactly as the store writes it.
    pub fn apply(&mut self, d: &Decision) {
        if let Some(c) = &d.close_step
            && let Some(step) = self.steps.iter_mut().find(|s| s.seq == c.seq)
        {
            step.completed_at = Some(c.completed_at);
            step.timeliness = c.verdict;
        }
        if let Some(s) = &d.open_step {
            self.steps.push(StepFacts {
                seq: s.seq,
                office_code: s.office_code.clone(),
                received_at: s.received_at,
                time: s.time,
                deadline_at: s.deadline_at,
                completed_at: None,
                timeliness: None,
            });
        }
        if let Some(r) = &d.responsible {
            self.responsible = r.clone();
        }
        match d.pause {
            PauseChange::Keep => {}
            PauseChange::Start { at, before } => {
                self.paused_at = Some(at);
                self.status_before_pause = Some(before);
            }
            PauseChange::Clear => {
                self.paused_at = None;
                self.status_before_pause = None;
            }
        }
        if let Some(n) = &d.deadline {
            self.basis = n.basis;
            self.due_at = n.due_at;
        }
        if let Some(r) = &d.resolution {
            self.resolved_at = Some(r.at);
            self.final_timeliness = Some(r.timeliness);
        }
        if let Some(t) = d.returned_at {
            self.returned_at = Some(t);
        }
        if let Some(t) = d.closed_at {
            self.closed_at = Some(t);
        }
        if let Some(n) = d.supplement_requests {
            self.supplement_requests = n;
        }
        if let Some(a) = &d.apology {
            self.reappointment_used = true;
            self.rescheduled_due_at = Some(a.new_due_at);
        }
        self.status = d.to;
        self.last_event_at = Some(d.at);
    }
}

/// The settings an action is judged under.
#[derive(Clone, Copy)]
pub struct Rules<'a> {
    /// The receiving office's working calendar (deadlines count in its hours).
    pub calendar: &'a WorkingCalendar,
    pub supplement_policy: SupplementPolicy,
}

/// The step an action closes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosedStep {
    pub seq: u32,
    pub completed_at: DateTime<Utc>,
    /// A step that handed the dossier on or resolved it is judged; one cut short by a
    /// withdrawal or a stop is not.
    pub verdict: Option<Timeliness>,
}

/// The step an action opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewStep {
    pub seq: u32,
    pub office_code: String,
    pub received_at: DateTime<Utc>,
    /// The step's own processing time, or none: due with the dossier.
    pub time: Option<ProcessingTime>,
    pub deadline_at: DateTime<Utc>,
}

/// What happens to the clock's pause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PauseChange {
    Keep,
    /// The citizen's turn: the clock stops, and `before` is where the dossier returns.
    Start {
        at: DateTime<Utc>,
        before: Status,
    },
    /// The clock runs again, or the dossier has left the administration.
    Clear,
}

/// A new statutory deadline.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDeadline {
    pub basis: DeadlineBasis,
    pub due_at: DateTime<Utc>,
    pub trace: DeadlineTrace,
}

/// The verdict at resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolution {
    pub at: DateTime<Utc>,
    pub timeliness: Timeliness,
    pub outcome: Outcome,
}

/// The apology letter an action calls for (Mẫu 04), with its new appointment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Apology {
    pub reason: String,
    pub new_due_at: DateTime<Utc>,
    /// Created by the sweep, not filed by the agency.
    pub automatic: bool,
    /// The agency did not apologise in time (Decree 61 Art. 19.9, kept by Decree 118: no later than one working
    /// day before the deadline).
    pub missed_duty: bool,
    pub at: DateTime<Utc>,
}

/// The history's new entry.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRecord {
    pub action: &'static str,
    pub note: Option<String>,
    pub data: Map<String, Value>,
    /// The agency on whose behalf the event is recorded: the one responsible when it happened.
    pub office_code: String,
}

/// Everything an action does. Fields left `None` change nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub action: Action,
    pub from: Status,
    pub to: Status,
    /// When the action really happened.
    pub at: DateTime<Utc>,
    pub close_step: Option<ClosedStep>,
    pub open_step: Option<NewStep>,
    pub responsible: Option<String>,
    pub pause: PauseChange,
    pub deadline: Option<NewDeadline>,
    pub resolution: Option<Resolution>,
    pub returned_at: Option<DateTime<Utc>>,
    /// The instant the dossier left the administration's hands (reports count periods by it).
    pub closed_at: Option<DateTime<Utc>>,
    pub supplement_requests: Option<u32>,
    pub apology: Option<Apology>,
    /// What the citizen is to be told.
    pub notices: Vec<Notice>,
    pub event: EventRecord,
}

/// The instant an action really happened: `requested` if given (never in the future beyond
/// the clock skew, never before the dossier's previous event), else now.
pub fn instant(
    requested: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    last_event_at: Option<DateTime<Utc>>,
) -> Result<DateTime<Utc>, Refusal> {
    let at = match requested {
        None => now,
        Some(t) if t > now + Duration::seconds(CLOCK_SKEW_SECS) => {
            return Err(Refusal::field("at", "must not be in the future"));
        }
        Some(t) => t.min(now),
    };
    if last_event_at.is_some_and(|last| at < last) {
        return Err(Refusal::field(
            "at",
            "must not be before the dossier's previous event",
        ));
    }
    Ok(at)
}

/// Decides what `input` does to the dossier, at `requested_at` (or now), or why it may not.
pub fn decide(
    facts: &DossierFacts,
    input: &ActionInput,
    rules: Rules<'_>,
    requested_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<Decision, Refusal> {
    let action = input.action();
    let at = instant(requested_at, now, facts.last_event_at)?;
    let status = facts.status;
    let to = transition(
        status,
        action,
        Facts {
            transferred: !facts.steps.is_empty(),
            before_pause: facts.status_before_pause,
            reappointment_used: facts.reappointment_used,
            deadline_passed: at > facts.due_at,
        },
    )?;
    let cal = rules.calendar;
    let mut d = Decision {
        action,
        from: status,
        to,
        at,
        close_step: None,
        open_step: None,
        responsible: None,
        pause: PauseChange::Keep,
        deadline: None,
        resolution: None,
        returned_at: None,
        closed_at: None,
        supplement_requests: None,
        apology: None,
        notices: Vec::new(),
        event: EventRecord {
            action: action.as_str(),
            note: None,
            data: Map::new(),
            office_code: facts.responsible.clone(),
        },
    };
    let data = &mut d.event.data;
    match input {
        ActionInput::Transfer {
            to_office_code,
            deadline,
            note,
        } => {
            // The first transfer opens step 1 wherever it goes, the receiving office included
            // (its own specialists); a transfer to the office holding the open step is a
            // hand-over inside that agency. Either way the open step closes and the next opens.
            d.close_step = close(facts, cal, at, true);
            let deadline_at = match deadline {
                Some(t) => cal.due_at(at, *t),
                None => facts.due_at,
            };
            let seq = facts.steps.iter().map(|s| s.seq).max().unwrap_or(0) + 1;
            d.open_step = Some(NewStep {
                seq,
                office_code: to_office_code.clone(),
                received_at: at,
                time: *deadline,
                deadline_at,
            });
            d.responsible = Some(to_office_code.clone());
            data.insert("from_office_code".into(), facts.responsible.clone().into());
            data.insert("to_office_code".into(), to_office_code.clone().into());
            data.insert("step".into(), seq.into());
            data.insert(
                "in_house".into(),
                (*to_office_code == facts.responsible).into(),
            );
            data.insert("step_deadline_at".into(), json!(deadline_at));
            d.event.note = note.clone();
        }
        ActionInput::RequestSupplement { items, reason } => {
            // One request listing everything is the rule (Decree 61 Art. 19.4, kept by Decree 118); a later one is
            // allowed so that the citizen is never stuck, but it is the agency's breach.
            let n = facts.supplement_requests + 1;
            d.pause = PauseChange::Start { at, before: status };
            d.supplement_requests = Some(n);
            data.insert("items".into(), json!(items));
            data.insert("reason".into(), reason.clone().into());
            data.insert("request_number".into(), n.into());
            data.insert("repeated".into(), (n > 1).into());
            d.notices.push(Notice::SupplementRequest { number: n });
            d.event.note = Some(reason.clone());
        }
        ActionInput::RequestPayment { amount, note } => {
            d.pause = PauseChange::Start { at, before: status };
            if let Some(a) = amount {
                data.insert("amount".into(), (*a).into());
            }
            d.event.note = note.clone();
        }
        ActionInput::SupplementReceived { note } | ActionInput::PaymentReceived { note, .. } => {
            let new = resumed_deadline(facts, rules, action, at);
            data.insert("old_due_at".into(), json!(facts.due_at));
            data.insert("new_due_at".into(), json!(new.due_at));
            if action == Action::SupplementReceived {
                data.insert("policy".into(), rules.supplement_policy.as_str().into());
            }
            if let ActionInput::PaymentReceived {
                amount: Some(a), ..
            } = input
            {
                data.insert("amount".into(), (*a).into());
            }
            d.deadline = Some(new);
            d.pause = PauseChange::Clear;
            d.event.note = note.clone();
        }
        ActionInput::Reschedule { reason, new_due_at } => {
            if *new_due_at <= facts.due_at || *new_due_at <= at {
                return Err(Refusal::field(
                    "new_due_at",
                    "must be after the current appointment",
                ));
            }
            let missed_duty = apology_is_late(cal, facts.due_at, at);
            d.apology = Some(Apology {
                reason: reason.clone(),
                new_due_at: *new_due_at,
                automatic: false,
                missed_duty,
                at,
            });
            data.insert("new_due_at".into(), json!(new_due_at));
            data.insert("missed_duty".into(), missed_duty.into());
            d.notices.push(Notice::Apology);
            d.event.note = Some(reason.clone());
        }
        ActionInput::Resolve { outcome, note } => {
            d.close_step = close(facts, cal, at, true);
            let verdict = timeliness::finished(cal, facts.due_at, at);
            d.resolution = Some(Resolution {
                at,
                timeliness: verdict,
                outcome: *outcome,
            });
            d.closed_at = Some(at);
            data.insert("outcome".into(), outcome.as_str().into());
            data.insert("timeliness".into(), verdict.as_str().into());
            // A refusal after processing is a result like any other.
            d.notices.push(Notice::ResultReady {
                early: verdict == Timeliness::Early,
            });
            d.event.note = note.clone();
        }
        ActionInput::ReturnResult { note } => {
            d.returned_at = Some(at);
            d.notices.push(Notice::ResultReturned);
            d.event.note = note.clone();
        }
        ActionInput::Reject { reason }
        | ActionInput::Withdraw { reason }
        | ActionInput::Stop { reason } => {
            d.close_step = close(facts, cal, at, false);
            d.pause = PauseChange::Clear;
            d.closed_at = Some(at);
            data.insert("reason".into(), reason.clone().into());
            match action {
                Action::Reject => d.notices.push(Notice::Refusal),
                Action::Stop => d.notices.push(Notice::StopNotice),
                _ => {}
            }
            d.event.note = Some(reason.clone());
        }
    }
    if at < now - Duration::seconds(BACKDATED_AFTER_SECS) {
        d.event.data.insert("backdated".into(), true.into());
    }
    Ok(d)
}

/// The open step closed at `at`, judged against its own deadline when `judged`.
fn close(
    facts: &DossierFacts,
    cal: &WorkingCalendar,
    at: DateTime<Utc>,
    judged: bool,
) -> Option<ClosedStep> {
    facts.open_step().map(|s| ClosedStep {
        seq: s.seq,
        completed_at: at,
        verdict: judged.then(|| timeliness::finished(cal, s.deadline_at, at)),
    })
}

/// The deadline once the citizen has done their part: under `restart` a supplement starts the
/// processing time again from zero (Decree 61 Art. 19.4, kept by Decree 118); otherwise (`pause`, and every payment)
/// the deadline moves back by the working time spent waiting.
fn resumed_deadline(
    facts: &DossierFacts,
    rules: Rules<'_>,
    action: Action,
    at: DateTime<Utc>,
) -> NewDeadline {
    let cal = rules.calendar;
    let paused_at = facts.paused_at.unwrap_or(at);
    let restart = action == Action::SupplementReceived
        && rules.supplement_policy == SupplementPolicy::Restart;
    let mut basis = facts.basis;
    if restart {
        basis = DeadlineBasis {
            counting_from: at,
            time: basis.time,
            paused_secs: 0,
        };
    } else {
        basis.paused_secs += cal.working_seconds_between(paused_at, at);
    }
    let mut new = deadline::compute(cal, basis);
    let tz = cal.timezone();
    let local = |t: DateTime<Utc>| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string();
    new.trace.push_note(
        at,
        if restart {
            format!(
                "supplement received {}: processing time restarted from zero",
                local(at)
            )
        } else {
            format!(
                "{} {}: the clock ran again after standing still since {}",
                if action == Action::SupplementReceived {
                    "supplement received"
                } else {
                    "payment received"
                },
                local(at),
                local(paused_at)
            )
        },
    );
    NewDeadline {
        basis,
        due_at: new.due_at,
        trace: new.trace,
    }
}

/// Decree 61 Art. 19.9, kept by Decree 118: the apology is due no later than one working day before the deadline;
/// one filed later is accepted but recorded as a missed duty.
fn apology_is_late(cal: &WorkingCalendar, due_at: DateTime<Utc>, at: DateTime<Utc>) -> bool {
    cal.due_at(at, ProcessingTime::working_days(1)) > due_at
}

/// The apology the sweep creates for a dossier past its deadline with none filed: the
/// configured default `reason`, a new appointment `extension` of working time after `now`, and
/// the agency's missed duty.
pub fn automatic_apology(
    cal: &WorkingCalendar,
    reason: &str,
    extension: ProcessingTime,
    now: DateTime<Utc>,
) -> Apology {
    Apology {
        reason: reason.to_owned(),
        new_due_at: cal.due_at(now, extension),
        automatic: true,
        missed_duty: true,
        at: now,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::CalendarSettings;
    use chrono::TimeZone;
    use proptest::prelude::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    const COUNTER: &str = "000.00.24.H40";
    const AGENCY: &str = "000.20.24.H40";

    fn cal() -> WorkingCalendar {
        WorkingCalendar::new(CalendarSettings::default(), vec![])
    }

    fn vn(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        chrono_tz::Asia::Ho_Chi_Minh
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    fn rules(cal: &WorkingCalendar, policy: SupplementPolicy) -> Rules<'_> {
        Rules {
            calendar: cal,
            supplement_policy: policy,
        }
    }

    /// Received at the counter on Monday 5 Oct 2026 09:00, `days` working days to resolve.
    fn received(cal: &WorkingCalendar, days: u32) -> DossierFacts {
        let at = vn(2026, 10, 5, 9, 0);
        let basis = DeadlineBasis {
            counting_from: at,
            time: ProcessingTime::working_days(days),
            paused_secs: 0,
        };
        DossierFacts::received(COUNTER, at, basis, deadline::compute(cal, basis).due_at)
    }

    fn transfer(to: &str, days: Option<u32>) -> ActionInput {
        ActionInput::Transfer {
            to_office_code: to.into(),
            deadline: days.map(ProcessingTime::working_days),
            note: None,
        }
    }

    fn supplement(items: &[&str]) -> ActionInput {
        ActionInput::RequestSupplement {
            items: items.iter().map(|s| (*s).to_owned()).collect(),
            reason: "Thiếu giấy tờ".into(),
        }
    }

    /// Decides at `at` (recorded at the same instant) and applies the decision.
    fn act(
        facts: &mut DossierFacts,
        cal: &WorkingCalendar,
        input: ActionInput,
        at: DateTime<Utc>,
    ) -> Result<Decision, Refusal> {
        let d = decide(
            facts,
            &input,
            rules(cal, SupplementPolicy::Restart),
            Some(at),
            at,
        )?;
        facts.apply(&d);
        Ok(d)
    }

    #[test]
    fn the_first_transfer_opens_step_one_at_the_receiving_office_itself() -> TestResult {
        let c = cal();
        let mut f = received(&c, 10);
        let d = act(
            &mut f,
            &c,
            transfer(COUNTER, Some(3)),
            vn(2026, 10, 5, 10, 0),
        )?;
        assert_eq!((d.from, d.to), (Status::Received, Status::Processing));
        assert_eq!(d.close_step, None, "nothing was open at the counter");
        let step = d.open_step.ok_or("a step opens")?;
        assert_eq!((step.seq, step.office_code.as_str()), (1, COUNTER));
        assert_eq!(step.deadline_at, vn(2026, 10, 8, 10, 0));
        assert_eq!(d.responsible.as_deref(), Some(COUNTER));
        assert_eq!(d.event.data["in_house"], true);
        assert_eq!(d.event.data["step"], 1);
        assert_eq!(d.event.office_code, COUNTER);
        assert_eq!(f.responsible, COUNTER);
        assert_eq!(f.status, Status::Processing);
        Ok(())
    }

    #[test]
    fn a_hand_over_inside_an_agency_closes_its_step_and_opens_the_next() -> TestResult {
        let c = cal();
        let mut f = received(&c, 10);
        act(
            &mut f,
            &c,
            transfer(AGENCY, Some(3)),
            vn(2026, 10, 5, 10, 0),
        )?;
        // The specialist finishes two days in; the head of the agency signs within one day.
        let d = act(
            &mut f,
            &c,
            transfer(AGENCY, Some(1)),
            vn(2026, 10, 7, 10, 0),
        )?;
        assert_eq!(
            d.close_step,
            Some(ClosedStep {
                seq: 1,
                completed_at: vn(2026, 10, 7, 10, 0),
                verdict: Some(Timeliness::Early),
            })
        );
        let step = d.open_step.ok_or("the next step opens")?;
        assert_eq!((step.seq, step.office_code.as_str()), (2, AGENCY));
        assert_eq!(d.event.data["in_house"], true);
        assert_eq!(d.event.data["from_office_code"], AGENCY);
        assert_eq!(f.steps.len(), 2);
        assert_eq!(f.open_step().map(|s| s.seq), Some(2));
        Ok(())
    }

    #[test]
    fn a_step_without_its_own_time_is_due_with_the_dossier() -> TestResult {
        let c = cal();
        let mut f = received(&c, 10);
        let d = act(&mut f, &c, transfer(AGENCY, None), vn(2026, 10, 5, 10, 0))?;
        let step = d.open_step.ok_or("a step opens")?;
        assert_eq!((step.time, step.deadline_at), (None, f.due_at));
        Ok(())
    }

    #[test]
    fn in_house_steps_leave_the_dossiers_verdict_alone() -> TestResult {
        let c = cal();
        let resolve = ActionInput::Resolve {
            outcome: Outcome::Approved,
            note: None,
        };
        let at = vn(2026, 10, 19, 9, 0); // the due instant itself: on time
        let mut direct = received(&c, 10);
        let plain = act(&mut direct, &c, resolve.clone(), at)?;
        let mut chained = received(&c, 10);
        act(
            &mut chained,
            &c,
            transfer(COUNTER, Some(2)),
            vn(2026, 10, 5, 9, 30),
        )?;
        act(
            &mut chained,
            &c,
            transfer(COUNTER, Some(1)),
            vn(2026, 10, 12, 9, 0),
        )?;
        let after_steps = act(&mut chained, &c, resolve, at)?;
        let verdict = |d: &Decision| d.resolution.map(|r| r.timeliness);
        assert_eq!(verdict(&plain), Some(Timeliness::OnTime));
        assert_eq!(verdict(&after_steps), verdict(&plain));
        assert_eq!(
            after_steps.close_step.and_then(|s| s.verdict),
            Some(Timeliness::Late),
            "the second step had one working day and took five"
        );
        assert_eq!(plain.close_step, None, "resolved at the counter: no step");
        Ok(())
    }

    #[test]
    fn every_supplement_request_is_counted_and_the_second_is_a_breach() -> TestResult {
        let c = cal();
        let mut f = received(&c, 10);
        let mut day = 6;
        for n in 1..=3u32 {
            let d = act(
                &mut f,
                &c,
                supplement(&["Bản sao sổ đỏ"]),
                vn(2026, 10, day, 9, 0),
            )?;
            assert_eq!(d.supplement_requests, Some(n));
            assert_eq!(d.event.data["request_number"], n);
            assert_eq!(d.event.data["repeated"], n > 1, "request {n}");
            assert_eq!(d.notices, [Notice::SupplementRequest { number: n }]);
            assert_eq!(f.status, Status::AwaitingSupplement);
            act(
                &mut f,
                &c,
                ActionInput::SupplementReceived { note: None },
                vn(2026, 10, day + 1, 9, 0),
            )?;
            assert_eq!(f.status, Status::Received, "back where it was");
            day += 2;
        }
        assert_eq!(f.supplement_requests, 3);
        Ok(())
    }

    #[test]
    fn a_supplement_restarts_or_pushes_back_the_clock_per_policy() -> TestResult {
        let c = cal();
        let asked = vn(2026, 10, 6, 9, 0);
        let back = vn(2026, 10, 8, 9, 0); // two working days later
        for (policy, due) in [
            // Restart: 10 working days from Thursday 8 Oct 09:00.
            (SupplementPolicy::Restart, vn(2026, 10, 22, 9, 0)),
            // Pause: the original Monday 19 Oct pushed back by the two days waited.
            (SupplementPolicy::Pause, vn(2026, 10, 21, 9, 0)),
        ] {
            let mut f = received(&c, 10);
            let r = rules(&c, policy);
            let d = decide(&f, &supplement(&["Giấy ủy quyền"]), r, Some(asked), asked)?;
            f.apply(&d);
            assert_eq!(f.paused_at, Some(asked));
            let input = ActionInput::SupplementReceived { note: None };
            let d = decide(&f, &input, r, Some(back), back)?;
            let new = d.deadline.clone().ok_or("a new deadline")?;
            assert_eq!(new.due_at, due, "{policy:?}");
            assert_eq!(d.event.data["policy"], policy.as_str());
            assert_eq!(d.pause, PauseChange::Clear);
            assert!(
                new.trace
                    .notes
                    .iter()
                    .any(|n| n.text.contains("supplement received")),
                "the trace says why"
            );
            f.apply(&d);
            assert_eq!((f.due_at, f.paused_at), (due, None));
        }
        Ok(())
    }

    #[test]
    fn the_apology_comes_once_before_the_deadline_and_late_is_a_missed_duty() -> TestResult {
        let c = cal();
        let due = vn(2026, 10, 19, 9, 0);
        let reschedule = |days: u32| ActionInput::Reschedule {
            reason: "Cần xác minh thực địa".into(),
            new_due_at: vn(2026, 10, 19 + days, 16, 0),
        };
        let mut f = received(&c, 10);
        assert_eq!(f.due_at, due);
        // Not a later date: a 422 on the field.
        let same = ActionInput::Reschedule {
            reason: "x".into(),
            new_due_at: due,
        };
        let at = vn(2026, 10, 14, 9, 0);
        assert_eq!(
            decide(
                &f,
                &same,
                rules(&c, SupplementPolicy::Restart),
                Some(at),
                at
            ),
            Err(Refusal::field(
                "new_due_at",
                "must be after the current appointment"
            ))
        );
        // In time: more than a working day ahead.
        let d = act(&mut f, &c, reschedule(3), at)?;
        let apology = d.apology.clone().ok_or("a letter")?;
        assert!(!apology.missed_duty && !apology.automatic);
        assert_eq!(d.notices, [Notice::Apology]);
        assert!(f.reappointment_used);
        assert_eq!(f.rescheduled_due_at, Some(vn(2026, 10, 22, 16, 0)));
        assert_eq!(f.due_at, due, "the statutory deadline stays");
        let again = vn(2026, 10, 15, 9, 0);
        assert_eq!(
            act(&mut f, &c, reschedule(4), again).err(),
            Some(Refusal::ReappointmentUsed)
        );
        // Within the last working day: accepted, recorded as a missed duty.
        let mut g = received(&c, 10);
        let d = act(&mut g, &c, reschedule(3), vn(2026, 10, 16, 10, 0))?;
        assert_eq!(d.apology.map(|a| a.missed_duty), Some(true));
        // After the deadline: refused.
        let mut h = received(&c, 10);
        assert_eq!(
            act(&mut h, &c, reschedule(3), vn(2026, 10, 19, 9, 1)).err(),
            Some(Refusal::DeadlinePassed)
        );
        Ok(())
    }

    #[test]
    fn leaving_the_administration_closes_the_step_unjudged() -> TestResult {
        let c = cal();
        for (input, to, notices) in [
            (
                ActionInput::Withdraw { reason: "x".into() },
                Status::Withdrawn,
                vec![],
            ),
            (
                ActionInput::Stop { reason: "x".into() },
                Status::Stopped,
                vec![Notice::StopNotice],
            ),
        ] {
            let mut f = received(&c, 10);
            act(
                &mut f,
                &c,
                transfer(AGENCY, Some(1)),
                vn(2026, 10, 5, 10, 0),
            )?;
            act(&mut f, &c, supplement(&["a"]), vn(2026, 10, 6, 10, 0))?;
            let at = vn(2026, 10, 9, 10, 0);
            let d = act(&mut f, &c, input, at)?;
            assert_eq!(d.to, to);
            assert_eq!(d.close_step.map(|s| s.verdict), Some(None));
            assert_eq!(d.closed_at, Some(at));
            assert_eq!(d.pause, PauseChange::Clear);
            assert_eq!(d.notices, notices);
        }
        let mut f = received(&c, 10);
        let d = act(
            &mut f,
            &c,
            ActionInput::Reject { reason: "x".into() },
            vn(2026, 10, 5, 9, 30),
        )?;
        assert_eq!(
            (d.to, d.close_step, d.notices),
            (Status::Rejected, None, vec![Notice::Refusal])
        );
        Ok(())
    }

    #[test]
    fn a_result_tells_the_citizen_whether_it_is_early() -> TestResult {
        let c = cal();
        for (at, early) in [
            (vn(2026, 10, 9, 9, 0), true),
            (vn(2026, 10, 19, 8, 0), false),
        ] {
            let mut f = received(&c, 10);
            let input = ActionInput::Resolve {
                outcome: Outcome::Refused,
                note: None,
            };
            let d = act(&mut f, &c, input, at)?;
            assert_eq!(d.notices, [Notice::ResultReady { early }]);
            assert_eq!(d.event.data["outcome"], "refused");
            let d = act(&mut f, &c, ActionInput::ReturnResult { note: None }, at)?;
            assert_eq!(d.notices, [Notice::ResultReturned]);
            assert_eq!(f.returned_at, Some(at));
        }
        Ok(())
    }

    #[test]
    fn the_instant_is_never_in_the_future_nor_before_the_last_event() -> TestResult {
        let c = cal();
        let f = received(&c, 10);
        let now = vn(2026, 10, 6, 9, 0);
        let r = rules(&c, SupplementPolicy::Restart);
        let input = transfer(AGENCY, None);
        assert_eq!(
            decide(&f, &input, r, Some(now + Duration::minutes(1)), now).err(),
            Some(Refusal::field("at", "must not be in the future"))
        );
        assert_eq!(
            decide(&f, &input, r, Some(vn(2026, 10, 5, 8, 59)), now).err(),
            Some(Refusal::field(
                "at",
                "must not be before the dossier's previous event"
            ))
        );
        // Within the clock skew: now.
        let d = decide(&f, &input, r, Some(now + Duration::seconds(3)), now)?;
        assert_eq!(d.at, now);
        assert!(!d.event.data.contains_key("backdated"));
        let d = decide(&f, &input, r, Some(vn(2026, 10, 5, 15, 0)), now)?;
        assert_eq!(d.event.data["backdated"], true);
        Ok(())
    }

    #[test]
    fn refused_actions_name_what_the_status_allows() {
        let c = cal();
        let f = received(&c, 10);
        let at = vn(2026, 10, 6, 9, 0);
        let got = decide(
            &f,
            &ActionInput::ReturnResult { note: None },
            rules(&c, SupplementPolicy::Restart),
            Some(at),
            at,
        );
        let Err(Refusal::InvalidTransition { status, allowed }) = got else {
            panic!("return-result from received must be refused: {got:?}");
        };
        assert_eq!(status, Status::Received);
        assert!(allowed.contains(&Action::Transfer) && !allowed.contains(&Action::ReturnResult));
    }

    /// True when `t` lies in working time: inside a session, or exactly at a session's end.
    fn in_working_time(cal: &WorkingCalendar, t: DateTime<Utc>) -> bool {
        cal.clock_start(t) == t || cal.working_seconds_between(t - Duration::seconds(1), t) == 1
    }

    fn any_input() -> impl Strategy<Value = ActionInput> {
        let office = prop::sample::select(vec![COUNTER, AGENCY, "000.30.24.H40"]);
        prop_oneof![
            (office, prop::option::of(1u32..6)).prop_map(|(o, d)| transfer(o, d)),
            Just(supplement(&["Bản sao có chứng thực", "Tờ khai"])),
            Just(ActionInput::SupplementReceived { note: None }),
            Just(ActionInput::RequestPayment {
                amount: Some(50_000),
                note: None
            }),
            Just(ActionInput::PaymentReceived {
                amount: None,
                note: None
            }),
            (1u32..10).prop_map(|d| ActionInput::Reschedule {
                reason: "Cần xác minh".into(),
                new_due_at: vn(2026, 12, 1, 8, 0) + Duration::days(i64::from(d)),
            }),
            Just(ActionInput::Resolve {
                outcome: Outcome::Approved,
                note: None
            }),
            Just(ActionInput::ReturnResult { note: None }),
            Just(ActionInput::Reject { reason: "x".into() }),
            Just(ActionInput::Withdraw { reason: "x".into() }),
            Just(ActionInput::Stop { reason: "x".into() }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// Any path through the lifecycle keeps the deadline in working time and the facts
        /// consistent: one open step at most, held by the responsible agency; the pause set
        /// exactly while the citizen has the turn; every request counted.
        #[test]
        fn every_allowed_path_keeps_the_dossier_consistent(
            days in 1u32..15,
            restart in any::<bool>(),
            steps in prop::collection::vec((any_input(), 0i64..(3 * 86_400)), 1..25),
        ) {
            let c = cal();
            let policy = if restart { SupplementPolicy::Restart } else { SupplementPolicy::Pause };
            let mut f = received(&c, days);
            let mut at = vn(2026, 10, 5, 9, 0);
            let mut requests = 0;
            for (input, gap) in steps {
                at += Duration::seconds(gap);
                let Ok(d) = decide(&f, &input, rules(&c, policy), Some(at), at) else {
                    continue;
                };
                if d.action == Action::RequestSupplement {
                    requests += 1;
                }
                f.apply(&d);
                prop_assert!(in_working_time(&c, f.due_at), "due {} after {:?}", f.due_at, d.action);
                if let Some(s) = &d.open_step {
                    prop_assert!(in_working_time(&c, s.deadline_at) || s.deadline_at == f.due_at);
                }
                let open: Vec<_> = f.steps.iter().filter(|s| s.completed_at.is_none()).collect();
                prop_assert!(open.len() <= 1);
                if let Some(s) = open.first() {
                    prop_assert_eq!(&s.office_code, &f.responsible);
                    prop_assert!(f.status.is_open());
                }
                let seqs: Vec<u32> = f.steps.iter().map(|s| s.seq).collect();
                prop_assert_eq!(seqs, (1..=f.steps.len() as u32).collect::<Vec<_>>());
                prop_assert_eq!(f.paused_at.is_some(), f.status.is_paused());
                prop_assert_eq!(f.closed_at.is_some(), !f.status.is_open());
                prop_assert_eq!(f.resolved_at.is_some(), f.status.is_finished());
                prop_assert_eq!(f.supplement_requests, requests);
            }
        }
    }
}
