//! The per-agency satisfaction report.
