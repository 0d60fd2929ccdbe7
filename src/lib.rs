//! motcua: dossier tracking for Vietnam's one-stop-shop offices (Bộ phận Một cửa).

pub mod api;
pub mod app;
pub mod auth;
pub mod authz;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod jobs;
pub mod mail;
pub mod store;
pub mod telemetry;
