//! The national portal's dossier-synchronisation record: what the province's system tells the
//! National Public Service Portal about each dossier at each change.
//!
//! The portal's interface is not public, and provinces connect through their integration
//! platforms with differing field names, so the record is a documented mapping: every fact
//! below has a default field name (the names the portal's dossier-sync messages use, such as
//! `MaHoSo`, `TrangThaiHoSo`, `NgayHenTra`, `NgayHenTraMoi`), each renameable in configuration
//! (`national_portal.fields`), with the channel codes and the date format configurable too.
//! `PhienBan` (the dossier's version) makes every record idempotent: the portal keeps the
//! highest version it received for a dossier code.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::dossier::{Channel, Status};

/// The facts a record carries, in local time.
#[derive(Debug, Clone)]
pub struct SyncFacts<'a> {
    pub dossier_code: &'a str,
    pub status: Status,
    pub procedure_code: &'a str,
    pub receiving_office: &'a str,
    pub responsible_office: &'a str,
    pub channel: Channel,
    pub received_at: DateTime<FixedOffset>,
    pub due_at: DateTime<FixedOffset>,
    /// The new appointment after an apology.
    pub rescheduled_due_at: Option<DateTime<FixedOffset>>,
    pub resolved_at: Option<DateTime<FixedOffset>>,
    pub returned_at: Option<DateTime<FixedOffset>>,
    pub supplement_requests: i32,
    pub version: i32,
}

/// How facts become the portal's fields.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct Mapping {
    /// Our fact → the portal's field name; a fact mapped to "" is left out.
    pub fields: BTreeMap<String, String>,
    /// Our channel → the portal's code.
    pub channel_codes: BTreeMap<String, String>,
    /// chrono's format for dates and times.
    pub date_format: String,
}

/// Every fact a record can carry, with the portal's field name for it.
pub const FACTS: &[(&str, &str)] = &[
    ("dossier_code", "MaHoSo"),
    ("status_code", "TrangThaiHoSo"),
    ("procedure_code", "MaTTHC"),
    ("receiving_office", "MaDonViTiepNhan"),
    ("responsible_office", "MaDonViXuLy"),
    ("channel", "KenhThucHien"),
    ("received_at", "NgayTiepNhan"),
    ("due_at", "NgayHenTra"),
    ("rescheduled_due_at", "NgayHenTraMoi"),
    ("resolved_at", "NgayKetThucXuLy"),
    ("returned_at", "NgayTra"),
    ("awaiting_supplement", "DangBoSung"),
    ("supplement_requests", "SoLanBoSung"),
    ("version", "PhienBan"),
];

impl Default for Mapping {
    fn default() -> Self {
        Self {
            fields: FACTS
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            channel_codes: [("counter", "1"), ("online", "2"), ("postal", "3")]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            date_format: "%Y%m%d%H%M%S".into(),
        }
    }
}

impl Mapping {
    /// A mapping given in part keeps the defaults of the facts it does not name; a name that is
    /// no fact (a typo) is refused.
    pub fn completed(mut self) -> Result<Self, String> {
        for name in self.fields.keys() {
            if !FACTS.iter().any(|(k, _)| k == name) {
                return Err(format!(
                    "national_portal.fields.{name} is not a fact of the record (one of {})",
                    FACTS.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ")
                ));
            }
        }
        for (k, v) in FACTS {
            self.fields
                .entry((*k).to_owned())
                .or_insert_with(|| (*v).to_owned());
        }
        for (k, v) in [("counter", "1"), ("online", "2"), ("postal", "3")] {
            self.channel_codes
                .entry(k.to_owned())
                .or_insert_with(|| v.to_owned());
        }
        if self.date_format.trim().is_empty() {
            return Err("national_portal.date_format may not be empty".into());
        }
        Ok(self)
    }

    /// The record for these facts.
    pub fn record(&self, f: &SyncFacts<'_>) -> Map<String, Value> {
        let date =
            |t: DateTime<FixedOffset>| Value::String(t.format(&self.date_format).to_string());
        let opt_date = |t: Option<DateTime<FixedOffset>>| t.map(date).unwrap_or(Value::Null);
        let channel = f.channel.as_str();
        let values: [(&str, Value); 14] = [
            ("dossier_code", f.dossier_code.into()),
            ("status_code", f.status.national_code().into()),
            ("procedure_code", f.procedure_code.into()),
            ("receiving_office", f.receiving_office.into()),
            ("responsible_office", f.responsible_office.into()),
            (
                "channel",
                self.channel_codes
                    .get(channel)
                    .cloned()
                    .unwrap_or_else(|| channel.to_owned())
                    .into(),
            ),
            ("received_at", date(f.received_at)),
            ("due_at", date(f.due_at)),
            ("rescheduled_due_at", opt_date(f.rescheduled_due_at)),
            ("resolved_at", opt_date(f.resolved_at)),
            ("returned_at", opt_date(f.returned_at)),
            (
                "awaiting_supplement",
                i32::from(f.status == Status::AwaitingSupplement).into(),
            ),
            ("supplement_requests", f.supplement_requests.into()),
            ("version", f.version.into()),
        ];
        let mut out = Map::new();
        for (fact, value) in values {
            match self.fields.get(fact) {
                Some(name) if name.is_empty() => {}
                Some(name) => {
                    out.insert(name.clone(), value);
                }
                None => {
                    out.insert(fact.to_owned(), value);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    fn facts() -> SyncFacts<'static> {
        SyncFacts {
            dossier_code: "000.00.24.H40-261201-0001",
            status: Status::AwaitingSupplement,
            procedure_code: "1.001234",
            receiving_office: "000.00.24.H40",
            responsible_office: "000.20.24.H40",
            channel: Channel::Online,
            received_at: at("2026-12-01T09:10:00+07:00"),
            due_at: at("2026-12-08T09:10:00+07:00"),
            rescheduled_due_at: None,
            resolved_at: None,
            returned_at: None,
            supplement_requests: 1,
            version: 3,
        }
    }

    #[test]
    fn the_default_record_uses_the_portal_names() {
        let r = Mapping::default().record(&facts());
        assert_eq!(r["MaHoSo"], "000.00.24.H40-261201-0001");
        assert_eq!(r["TrangThaiHoSo"], 5);
        assert_eq!(r["KenhThucHien"], "2");
        assert_eq!(r["NgayTiepNhan"], "20261201091000");
        assert_eq!(r["NgayHenTra"], "20261208091000");
        assert_eq!(r["NgayHenTraMoi"], Value::Null);
        assert_eq!(r["DangBoSung"], 1);
        assert_eq!(r["SoLanBoSung"], 1);
        assert_eq!(r["PhienBan"], 3);
        assert_eq!(r.len(), FACTS.len());
    }

    #[test]
    fn a_partial_mapping_renames_and_drops() {
        let mut m = Mapping {
            fields: BTreeMap::new(),
            channel_codes: BTreeMap::new(),
            date_format: "%d/%m/%Y %H:%M".into(),
        };
        m.fields.insert("dossier_code".into(), "SoHoSo".into());
        m.fields.insert("version".into(), String::new());
        let m = m.completed().unwrap();
        let r = m.record(&facts());
        assert_eq!(r["SoHoSo"], "000.00.24.H40-261201-0001");
        assert!(!r.contains_key("MaHoSo"));
        assert!(!r.contains_key("PhienBan"));
        assert_eq!(r["NgayTiepNhan"], "01/12/2026 09:10");
        assert_eq!(r["KenhThucHien"], "2", "channel codes keep their defaults");
        let mut typo = Mapping::default();
        typo.fields.insert("dossier_kode".into(), "X".into());
        assert!(typo.completed().is_err());
    }
}
