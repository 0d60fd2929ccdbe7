//! Who may do what: the role × endpoint matrix of API.md and office scoping, in one place.

use crate::domain::dossier::Role;
use crate::domain::lifecycle::Action;
use crate::error::{AppError, AppResult};

/// The signed-in caller, from a verified token.
#[derive(Debug, Clone)]
pub struct Caller {
    pub username: String,
    pub role: Role,
    pub office_code: Option<String>,
}

/// What a caller may do, endpoint by endpoint (dossier actions come with the lifecycle).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Create users, offices, procedures; edit the calendar.
    Administer,
    /// Read offices, procedures, the calendar and dossiers within scope.
    ReadStaff,
    /// Receive a dossier at an office.
    Receive,
    /// Reports and the list of all apology letters.
    Report,
}

impl Caller {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    pub fn may(&self, p: Permission) -> bool {
        match p {
            Permission::Administer => self.role == Role::Admin,
            Permission::ReadStaff => true,
            Permission::Receive => matches!(self.role, Role::Clerk | Role::Admin),
            Permission::Report => matches!(self.role, Role::Supervisor | Role::Admin),
        }
    }

    /// Refuses with 403 when the role does not allow the endpoint at all.
    pub fn require(&self, p: Permission) -> AppResult<()> {
        if self.may(p) {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!(
                "the role {} may not do this",
                self.role.as_str()
            )))
        }
    }
}

/// The offices whose dossiers a caller sees: all (admin), or a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    Offices(Vec<String>),
}

impl Scope {
    pub fn contains(&self, office: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Offices(list) => list.iter().any(|o| o == office),
        }
    }
}

/// What a counter clerk may do, on dossiers their office received.
const CLERK_ACTIONS: [Action; 8] = [
    Action::Reject,
    Action::Withdraw,
    Action::RequestSupplement,
    Action::SupplementReceived,
    Action::RequestPayment,
    Action::PaymentReceived,
    Action::Transfer,
    Action::ReturnResult,
];

/// What an officer may do, on dossiers their office is responsible for (supervisors: their
/// office and those below it).
const OFFICER_ACTIONS: [Action; 8] = [
    Action::Transfer,
    Action::RequestSupplement,
    Action::SupplementReceived,
    Action::RequestPayment,
    Action::PaymentReceived,
    Action::Reschedule,
    Action::Resolve,
    Action::Stop,
];

impl Caller {
    /// Whether the caller may take `action` on a dossier received by `received_by` and held by
    /// `responsible`; `scope` is the caller's own (see `Scope`).
    pub fn may_act(
        &self,
        action: Action,
        received_by: &str,
        responsible: &str,
        scope: &Scope,
    ) -> bool {
        let own = |office: &str| self.office_code.as_deref() == Some(office);
        match self.role {
            Role::Admin => true,
            Role::Clerk => CLERK_ACTIONS.contains(&action) && own(received_by),
            Role::Officer => OFFICER_ACTIONS.contains(&action) && own(responsible),
            Role::Supervisor => OFFICER_ACTIONS.contains(&action) && scope.contains(responsible),
        }
    }
}

impl Caller {
    /// Whether the caller may answer a complaint the office `answering` must answer (the agency
    /// responsible for the dossier when it was filed): an officer of that office, a supervisor
    /// over it (`scope`), an admin.
    pub fn may_answer_complaint(&self, answering: &str, scope: &Scope) -> bool {
        match self.role {
            Role::Admin => true,
            Role::Officer => self.office_code.as_deref() == Some(answering),
            Role::Supervisor => scope.contains(answering),
            Role::Clerk => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(role: Role, office: &str) -> Caller {
        Caller {
            username: "u".into(),
            role,
            office_code: Some(office.into()),
        }
    }

    #[test]
    fn the_action_matrix_of_the_contract() {
        let scope = Scope::Offices(vec!["A".into(), "A.1".into()]);
        let clerk = caller(Role::Clerk, "A");
        let officer = caller(Role::Officer, "A.1");
        let supervisor = caller(Role::Supervisor, "A");
        for a in Action::ALL {
            // Received by A, held by agency A.1.
            assert_eq!(
                clerk.may_act(a, "A", "A.1", &scope),
                CLERK_ACTIONS.contains(&a),
                "clerk {a:?}"
            );
            assert_eq!(
                officer.may_act(a, "A", "A.1", &scope),
                OFFICER_ACTIONS.contains(&a),
                "officer {a:?}"
            );
            assert_eq!(
                supervisor.may_act(a, "A", "A.1", &scope),
                OFFICER_ACTIONS.contains(&a),
                "supervisor {a:?}"
            );
            // Nobody but an admin acts on another office's dossier.
            assert!(!clerk.may_act(a, "B", "B", &scope));
            assert!(!officer.may_act(a, "A", "B", &scope));
            assert!(!supervisor.may_act(a, "B", "B", &scope));
            assert!(caller(Role::Admin, "Z").may_act(a, "B", "B", &Scope::All));
        }
        assert!(
            !clerk.may_act(Action::Resolve, "A", "A", &scope),
            "clerks do not resolve"
        );
        assert!(
            !officer.may_act(Action::Reject, "A.1", "A.1", &scope),
            "officers do not reject at the counter"
        );
    }
}
