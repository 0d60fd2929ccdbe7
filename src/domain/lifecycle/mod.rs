//! The dossier lifecycle: which action is allowed from which status and where it leads
//! (DOMAIN.md "Statuses"), and what each action does to the dossier (`decision`).

use serde::{Deserialize, Serialize};

use super::dossier::Status;

mod decision;
pub use decision::*;

/// A lifecycle action, as named in the API path (`POST /dossiers/{code}/{action}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Chuyển xử lý: close the open step, open one at the next agency.
    Transfer,
    /// Yêu cầu bổ sung hồ sơ.
    RequestSupplement,
    SupplementReceived,
    /// Chờ thực hiện nghĩa vụ tài chính.
    RequestPayment,
    PaymentReceived,
    /// Xin lỗi và hẹn lại ngày trả kết quả (once per dossier, before the deadline).
    Reschedule,
    /// Giải quyết xong (approved, or a reasoned refusal).
    Resolve,
    /// Trả kết quả.
    ReturnResult,
    /// Không tiếp nhận.
    Reject,
    Withdraw,
    Stop,
}

impl Action {
    pub const ALL: [Action; 11] = [
        Action::Transfer,
        Action::RequestSupplement,
        Action::SupplementReceived,
        Action::RequestPayment,
        Action::PaymentReceived,
        Action::Reschedule,
        Action::Resolve,
        Action::ReturnResult,
        Action::Reject,
        Action::Withdraw,
        Action::Stop,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Transfer => "transfer",
            Action::RequestSupplement => "request-supplement",
            Action::SupplementReceived => "supplement-received",
            Action::RequestPayment => "request-payment",
            Action::PaymentReceived => "payment-received",
            Action::Reschedule => "reschedule",
            Action::Resolve => "resolve",
            Action::ReturnResult => "return-result",
            Action::Reject => "reject",
            Action::Withdraw => "withdraw",
            Action::Stop => "stop",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// What, besides the status, decides whether an action is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Facts {
    /// The dossier has been transferred to an agency at least once.
    pub transferred: bool,
    /// The status the dossier had before it started waiting on the citizen.
    pub before_pause: Option<Status>,
    /// The single re-appointment has been used.
    pub reappointment_used: bool,
    /// The statutory deadline had passed at the action's instant.
    pub deadline_passed: bool,
}

/// Why an action is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The status does not allow it; `allowed` lists what it does allow.
    #[error("the dossier is {}; allowed now: {allowed:?}", status.as_str())]
    InvalidTransition {
        status: Status,
        allowed: Vec<Action>,
    },
    /// The appointment may be moved at most once (Decree 61 Art. 19.9, kept by Decree 118).
    #[error("the appointment has been moved once already")]
    ReappointmentUsed,
    /// An apology with a new date must come before the deadline.
    #[error("the deadline has passed")]
    DeadlinePassed,
    /// A value of the request does not fit the dossier (a 422 naming the field).
    #[error("{field}: {message}")]
    Field {
        field: &'static str,
        message: String,
    },
}

impl Refusal {
    pub fn field(field: &'static str, message: impl Into<String>) -> Self {
        Refusal::Field {
            field,
            message: message.into(),
        }
    }
}

/// The status an action leads to from `status`, or why it may not happen.
pub fn transition(status: Status, action: Action, facts: Facts) -> Result<Status, Refusal> {
    let to = target(status, action, facts).ok_or_else(|| Refusal::InvalidTransition {
        status,
        allowed: allowed(status, facts),
    })?;
    if action == Action::Reschedule {
        if facts.reappointment_used {
            return Err(Refusal::ReappointmentUsed);
        }
        if facts.deadline_passed {
            return Err(Refusal::DeadlinePassed);
        }
    }
    Ok(to)
}

/// Every action the status allows (before the reschedule's once-and-in-time checks).
pub fn allowed(status: Status, facts: Facts) -> Vec<Action> {
    Action::ALL
        .into_iter()
        .filter(|a| target(status, *a, facts).is_some())
        .collect()
}

/// The table itself: DOMAIN.md "Statuses", in one place.
fn target(status: Status, action: Action, facts: Facts) -> Option<Status> {
    use Status::*;
    match (action, status) {
        (Action::Transfer, Received | Processing) => Some(Processing),
        (Action::RequestSupplement, Received | Processing) => Some(AwaitingSupplement),
        (Action::SupplementReceived, AwaitingSupplement) => {
            Some(facts.before_pause.unwrap_or(Processing))
        }
        (Action::RequestPayment, Received | Processing) => Some(AwaitingPayment),
        (Action::PaymentReceived, AwaitingPayment) => {
            Some(facts.before_pause.unwrap_or(Processing))
        }
        (Action::Reschedule, Received | Processing | AwaitingPayment) => Some(status),
        (Action::Resolve, Received | Processing) => Some(Resolved),
        (Action::ReturnResult, Resolved) => Some(Returned),
        (Action::Reject, Received) if !facts.transferred => Some(Rejected),
        (
            Action::Withdraw | Action::Stop,
            Received | Processing | AwaitingSupplement | AwaitingPayment,
        ) => Some(if action == Action::Withdraw {
            Withdrawn
        } else {
            Stopped
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Status::*;

    /// The table of DOMAIN.md, written out: (action, from, to) for every allowed pair.
    fn expected(action: Action, from: Status) -> Option<Status> {
        let before = Processing;
        match action {
            Action::Transfer => matches!(from, Received | Processing).then_some(Processing),
            Action::RequestSupplement => {
                matches!(from, Received | Processing).then_some(AwaitingSupplement)
            }
            Action::SupplementReceived => (from == AwaitingSupplement).then_some(before),
            Action::RequestPayment => {
                matches!(from, Received | Processing).then_some(AwaitingPayment)
            }
            Action::PaymentReceived => (from == AwaitingPayment).then_some(before),
            Action::Reschedule => {
                matches!(from, Received | Processing | AwaitingPayment).then_some(from)
            }
            Action::Resolve => matches!(from, Received | Processing).then_some(Resolved),
            Action::ReturnResult => (from == Resolved).then_some(Returned),
            Action::Reject => (from == Received).then_some(Rejected),
            Action::Withdraw => matches!(
                from,
                Received | Processing | AwaitingSupplement | AwaitingPayment
            )
            .then_some(Withdrawn),
            Action::Stop => matches!(
                from,
                Received | Processing | AwaitingSupplement | AwaitingPayment
            )
            .then_some(Stopped),
        }
    }

    #[test]
    fn every_status_action_pair_follows_the_table() {
        let facts = Facts {
            before_pause: Some(Processing),
            ..Facts::default()
        };
        for status in Status::ALL {
            for action in Action::ALL {
                let got = transition(status, action, facts);
                match expected(action, status) {
                    Some(to) => assert_eq!(got, Ok(to), "{action:?} from {status:?}"),
                    None => {
                        let Err(Refusal::InvalidTransition {
                            status: s,
                            allowed: list,
                        }) = got
                        else {
                            panic!("{action:?} from {status:?} should be refused, got {got:?}")
                        };
                        assert_eq!(s, status);
                        assert!(
                            !list.contains(&action),
                            "{action:?} listed as allowed from {status:?}"
                        );
                    }
                }
                // `allowed` lists exactly the actions `transition` accepts.
                assert_eq!(
                    allowed(status, facts).contains(&action),
                    expected(action, status).is_some(),
                    "{action:?} {status:?}"
                );
            }
        }
    }

    #[test]
    fn closed_statuses_allow_nothing_but_returning_a_result() {
        for s in [Returned, Rejected, Withdrawn, Stopped] {
            assert!(allowed(s, Facts::default()).is_empty(), "{s:?}");
        }
        assert_eq!(allowed(Resolved, Facts::default()), [Action::ReturnResult]);
    }

    #[test]
    fn waiting_returns_to_the_status_before_it() {
        let facts = Facts {
            before_pause: Some(Received),
            ..Facts::default()
        };
        assert_eq!(
            transition(AwaitingSupplement, Action::SupplementReceived, facts),
            Ok(Received)
        );
        assert_eq!(
            transition(AwaitingPayment, Action::PaymentReceived, facts),
            Ok(Received)
        );
    }

    #[test]
    fn reject_only_before_the_first_transfer() {
        let moved = Facts {
            transferred: true,
            ..Facts::default()
        };
        assert!(matches!(
            transition(Received, Action::Reject, moved),
            Err(Refusal::InvalidTransition { .. })
        ));
        assert_eq!(
            transition(Received, Action::Reject, Facts::default()),
            Ok(Rejected)
        );
    }

    #[test]
    fn reschedule_once_and_before_the_deadline() {
        let used = Facts {
            reappointment_used: true,
            ..Facts::default()
        };
        assert_eq!(
            transition(Processing, Action::Reschedule, used),
            Err(Refusal::ReappointmentUsed)
        );
        let late = Facts {
            deadline_passed: true,
            ..Facts::default()
        };
        assert_eq!(
            transition(Processing, Action::Reschedule, late),
            Err(Refusal::DeadlinePassed)
        );
        assert_eq!(
            transition(AwaitingPayment, Action::Reschedule, Facts::default()),
            Ok(AwaitingPayment)
        );
        assert!(matches!(
            transition(AwaitingSupplement, Action::Reschedule, Facts::default()),
            Err(Refusal::InvalidTransition { .. })
        ));
    }

    #[test]
    fn names_round_trip() -> Result<(), Box<dyn std::error::Error>> {
        for a in Action::ALL {
            assert_eq!(Action::parse(a.as_str()), Some(a));
            assert_eq!(serde_json::to_value(a)?, a.as_str());
        }
        assert_eq!(Action::parse("approve"), None);
        Ok(())
    }
}
