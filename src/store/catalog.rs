//! Offices and procedures as the busy paths need them, and the revisions that tell a replica
//! when its copies are stale.
//!
//! Each office and procedure is read from the database once and then served from memory: the
//! receipt checks its office and reads its procedure's versions, a transfer checks the office
//! it sends to, and the citizen lookup shows names, all without a query. Only what exists is
//! remembered: a code that is not found is asked again next time, so an office or procedure
//! created through another replica is seen at once. Every change to an office or a procedure
//! bumps the `catalog` revision in its own transaction; the replica that made it forgets its
//! copies at once, the others when they next read the revisions (every
//! `auth.token_check_ttl_ms`, `AppState::refresh_revisions`). The `users` revision does the same
//! for the token versions of `auth::TokenVersions`.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use chrono::NaiveDate;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{catalog_revisions, offices};
use crate::error::AppResult;
use crate::store::dossiers::Dossier;
use crate::store::procedures::{self, Procedure, ProcedureVersion};

/// The revision bumped by every change to an account.
pub const USERS: &str = "users";
/// The revision bumped by every change to an office or a procedure.
pub const CATALOG: &str = "catalog";

/// Inside a write transaction: marks `name` changed (the row lock also orders the changes).
pub fn bump(conn: &mut DbConn, name: &str) -> AppResult<()> {
    diesel::update(catalog_revisions::table.filter(catalog_revisions::name.eq(name)))
        .set(catalog_revisions::value.eq(catalog_revisions::value + 1))
        .execute(conn)?;
    Ok(())
}

/// The `users` and `catalog` revisions.
pub fn revisions(conn: &mut DbConn) -> AppResult<(i64, i64)> {
    let rows: Vec<(String, i64)> = catalog_revisions::table
        .select((catalog_revisions::name, catalog_revisions::value))
        .load(conn)?;
    let get = |n: &str| rows.iter().find(|(k, _)| k == n).map_or(0, |(_, v)| *v);
    Ok((get(USERS), get(CATALOG)))
}

/// An office as the busy paths need it.
#[derive(Debug, Clone)]
pub struct OfficeEntry {
    pub name: Arc<str>,
    /// Closed offices receive nothing new.
    pub closed: bool,
    pub successor_code: Option<String>,
}

/// A procedure with every version.
#[derive(Debug, Clone)]
pub struct ProcedureEntry {
    pub procedure: Procedure,
    pub versions: Vec<ProcedureVersion>,
}

impl ProcedureEntry {
    /// The version a dossier received on this local date falls under.
    pub fn version_on(&self, day: NaiveDate) -> Option<&ProcedureVersion> {
        procedures::version_on(&self.versions, day)
    }
}

impl std::ops::Deref for ProcedureEntry {
    type Target = Procedure;

    fn deref(&self) -> &Procedure {
        &self.procedure
    }
}

#[derive(Default)]
struct Maps {
    /// Bumped by `forget`: a read that began before cannot store what it found.
    generation: u64,
    offices: HashMap<String, Arc<OfficeEntry>>,
    procedures: HashMap<String, Arc<ProcedureEntry>>,
}

#[derive(Default)]
pub struct Catalog {
    maps: RwLock<Maps>,
}

impl Catalog {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, Maps> {
        self.maps
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Maps> {
        self.maps
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Forgets every copy: the next use reads the database again.
    pub fn forget(&self) {
        let mut m = self.write();
        m.generation += 1;
        m.offices.clear();
        m.procedures.clear();
    }

    /// The office, or `None` when no office has the code.
    pub fn office(&self, conn: &mut DbConn, code: &str) -> AppResult<Option<Arc<OfficeEntry>>> {
        let generation = {
            let m = self.read();
            if let Some(o) = m.offices.get(code) {
                return Ok(Some(o.clone()));
            }
            m.generation
        };
        let found: Option<(String, Option<chrono::NaiveDateTime>, Option<String>)> = offices::table
            .filter(offices::code.eq(code))
            .select((offices::name, offices::closed_at, offices::successor_code))
            .first(conn)
            .optional()?;
        Ok(found.map(|(name, closed_at, successor_code)| {
            let entry = Arc::new(OfficeEntry {
                name: name.into(),
                closed: closed_at.is_some(),
                successor_code,
            });
            let mut m = self.write();
            if m.generation == generation {
                m.offices.insert(code.to_owned(), entry.clone());
            }
            entry
        }))
    }

    /// The office's name, or `None` when no office has the code.
    pub fn office_name(&self, conn: &mut DbConn, code: &str) -> AppResult<Option<Arc<str>>> {
        Ok(self.office(conn, code)?.map(|o| o.name.clone()))
    }

    /// Whether an office has the code.
    pub fn office_exists(&self, conn: &mut DbConn, code: &str) -> AppResult<bool> {
        Ok(self.office(conn, code)?.is_some())
    }

    /// The procedure with its versions, or `None` when no procedure has the code.
    pub fn procedure(
        &self,
        conn: &mut DbConn,
        code: &str,
    ) -> AppResult<Option<Arc<ProcedureEntry>>> {
        let generation = {
            let m = self.read();
            if let Some(p) = m.procedures.get(code) {
                return Ok(Some(p.clone()));
            }
            m.generation
        };
        let Some(procedure) = procedures::find(conn, code)? else {
            return Ok(None);
        };
        let versions = procedures::versions(conn, code)?;
        let entry = Arc::new(ProcedureEntry {
            procedure,
            versions,
        });
        let mut m = self.write();
        if m.generation == generation {
            m.procedures.insert(code.to_owned(), entry.clone());
        }
        Ok(Some(entry))
    }

    /// The dossier's procedure, receiving office and responsible office, by name.
    pub fn names_for(&self, conn: &mut DbConn, d: &Dossier) -> AppResult<(String, String, String)> {
        let missing = |what: &str, code: &str| {
            crate::error::AppError::Internal(format!(
                "dossier {} names unknown {what} {code}",
                d.code
            ))
        };
        let procedure = self
            .procedure(conn, &d.procedure_code)?
            .ok_or_else(|| missing("procedure", &d.procedure_code))?;
        // The name the dossier was received under.
        let name = procedure
            .versions
            .iter()
            .find(|v| v.version == d.procedure_version)
            .map_or_else(|| procedure.name.clone(), |v| v.name.clone());
        let office = self
            .office_name(conn, &d.office_code)?
            .ok_or_else(|| missing("office", &d.office_code))?;
        let responsible = self
            .office_name(conn, &d.responsible_office_code)?
            .ok_or_else(|| missing("office", &d.responsible_office_code))?;
        Ok((name, office.to_string(), responsible.to_string()))
    }
}
