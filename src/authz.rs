//! Who may do what: the role × endpoint matrix of API.md and office scoping, in one place.

use crate::domain::dossier::Role;
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
