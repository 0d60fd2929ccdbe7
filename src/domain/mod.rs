//! The pure domain core: the rules of DOMAIN.md, each in one place, with no I/O.

pub mod calendar;
pub mod calendars;
pub mod codes;
pub mod deadline;
pub mod dossier;
pub mod lifecycle;
pub mod national;
pub mod notice;
pub mod phone;
pub mod procedure;
pub mod satisfaction;
pub mod scorecard;
pub mod timeliness;
pub mod validation;
pub mod webhook;
