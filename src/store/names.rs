//! Names of offices and procedures for the citizen's view. Nothing changes a name once the
//! office or procedure exists (the API creates them and has no update), so each is read once per
//! process and then served from memory: the citizen lookup, the busiest request, saves three
//! queries. Should names ever become editable, the edit must clear this cache.

use std::collections::HashMap;
use std::sync::RwLock;

use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{offices, procedures};
use crate::error::AppResult;
use crate::store::dossiers::Dossier;

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Office,
    Procedure,
}

#[derive(Default)]
pub struct NameCache {
    map: RwLock<HashMap<(Kind, String), String>>,
}

impl NameCache {
    fn get(&self, conn: &mut DbConn, kind: Kind, code: &str) -> AppResult<String> {
        let key = (kind, code.to_owned());
        let cached = match self.map.read() {
            Ok(m) => m.get(&key).cloned(),
            Err(poisoned) => poisoned.into_inner().get(&key).cloned(),
        };
        if let Some(name) = cached {
            return Ok(name);
        }
        let name: String = match kind {
            Kind::Office => offices::table
                .filter(offices::code.eq(code))
                .select(offices::name)
                .first(conn)?,
            Kind::Procedure => procedures::table
                .filter(procedures::code.eq(code))
                .select(procedures::name)
                .first(conn)?,
        };
        let mut map = match self.map.write() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        map.insert(key, name.clone());
        Ok(name)
    }

    /// The dossier's procedure, receiving office and responsible office, by name.
    pub fn for_dossier(
        &self,
        conn: &mut DbConn,
        d: &Dossier,
    ) -> AppResult<(String, String, String)> {
        Ok((
            self.get(conn, Kind::Procedure, &d.procedure_code)?,
            self.get(conn, Kind::Office, &d.office_code)?,
            self.get(conn, Kind::Office, &d.responsible_office_code)?,
        ))
    }
}
