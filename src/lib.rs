//! motcua: dossier tracking for Vietnam's one-stop-shop offices (Bộ phận Một cửa).

// A panic on bad input is a 500 or a crash: outside tests, errors are values.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod api;
pub mod app;
pub mod auth;
pub mod authz;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod files;
pub mod forms;
pub mod jobs;
pub mod mail;
pub mod metrics;
pub mod national;
pub mod net;
pub mod notify;
pub mod openapi;
pub mod store;
pub mod telemetry;
pub mod throttle;
pub mod web;
pub mod webhooks;
