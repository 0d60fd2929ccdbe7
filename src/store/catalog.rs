//! Offices and procedures as the busy paths need them. Nothing changes or removes an office or a
//! procedure once it exists (the API creates them and has neither update nor delete), so each is
//! read from the database once per process and then served from memory: the receipt checks its
//! office and reads its procedure's processing time, a transfer checks the office it sends to,
//! and the citizen lookup shows names, all without a query. Only what exists is remembered: a
//! code that is not found is asked again next time, so an office or procedure created through
//! another replica is seen at once. Should they ever become editable, the edit must clear this.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::offices;
use crate::error::AppResult;
use crate::store::dossiers::Dossier;
use crate::store::procedures::{self, Procedure};

#[derive(Default)]
pub struct Catalog {
    /// Office code → name.
    offices: RwLock<HashMap<String, Arc<str>>>,
    procedures: RwLock<HashMap<String, Arc<Procedure>>>,
}

fn cached<V: Clone>(map: &RwLock<HashMap<String, V>>, code: &str) -> Option<V> {
    match map.read() {
        Ok(m) => m.get(code).cloned(),
        Err(poisoned) => poisoned.into_inner().get(code).cloned(),
    }
}

fn remember<V>(map: &RwLock<HashMap<String, V>>, code: &str, value: V) {
    let mut m = match map.write() {
        Ok(m) => m,
        Err(poisoned) => poisoned.into_inner(),
    };
    m.insert(code.to_owned(), value);
}

impl Catalog {
    /// The office's name, or `None` when no office has the code.
    pub fn office_name(&self, conn: &mut DbConn, code: &str) -> AppResult<Option<Arc<str>>> {
        if let Some(name) = cached(&self.offices, code) {
            return Ok(Some(name));
        }
        let found: Option<String> = offices::table
            .filter(offices::code.eq(code))
            .select(offices::name)
            .first(conn)
            .optional()?;
        Ok(found.map(|name| {
            let name: Arc<str> = name.into();
            remember(&self.offices, code, name.clone());
            name
        }))
    }

    /// Whether an office has the code.
    pub fn office_exists(&self, conn: &mut DbConn, code: &str) -> AppResult<bool> {
        Ok(self.office_name(conn, code)?.is_some())
    }

    /// The procedure, or `None` when no procedure has the code.
    pub fn procedure(&self, conn: &mut DbConn, code: &str) -> AppResult<Option<Arc<Procedure>>> {
        if let Some(p) = cached(&self.procedures, code) {
            return Ok(Some(p));
        }
        Ok(procedures::find(conn, code)?.map(|p| {
            let p = Arc::new(p);
            remember(&self.procedures, code, p.clone());
            p
        }))
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
        let office = self
            .office_name(conn, &d.office_code)?
            .ok_or_else(|| missing("office", &d.office_code))?;
        let responsible = self
            .office_name(conn, &d.responsible_office_code)?
            .ok_or_else(|| missing("office", &d.responsible_office_code))?;
        Ok((
            procedure.name.clone(),
            office.to_string(),
            responsible.to_string(),
        ))
    }
}
