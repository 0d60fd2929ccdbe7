//! Layered configuration: built-in defaults ← config/default.toml ← $MOTCUA_CONFIG ← MOTCUA__SECTION__KEY.

pub use crate::domain::deadline::SupplementPolicy;
use std::net::SocketAddr;
use std::path::Path;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::domain::calendar::{CalendarSettings, ProcessingTime, Session, TimeUnit};

/// Why the configuration could not be used; the message names the key.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(pub String);

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub database: DatabaseSettings,
    pub server: ServerSettings,
    pub auth: AuthSettings,
    pub smtp: SmtpSettings,
    pub jobs: JobSettings,
    pub calendar: CalendarConfig,
    pub deadlines: DeadlineSettings,
    pub apology: ApologySettings,
    pub outbox: OutboxSettings,
    pub public: PublicSettings,
    pub log: LogSettings,
    /// The official forms' texts (Circular 03/2025 by default).
    pub forms: crate::forms::texts::FormsSettings,
    /// Which channels tell citizens at every step.
    pub notifications: NotificationSettings,
    /// The HTTP SMS gateway.
    pub sms: SmsSettings,
    /// Zalo ZNS (Zalo Notification Service).
    pub zalo: ZaloSettings,
    pub webhooks: WebhookSettings,
    pub national_portal: NationalPortalSettings,
    /// The dossiers' files and where they are stored.
    pub files: crate::files::FilesSettings,
    /// Decision 766's weights and thresholds.
    pub scorecard: crate::domain::scorecard::Weights,
    /// The citizen's rating link.
    pub rating: RatingSettings,
    /// Complaints and recommendations (phản ánh, kiến nghị).
    pub complaints: ComplaintSettings,
}

/// The personal rating link sent with the returned result.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RatingSettings {
    /// Calendar days after the return during which the link works.
    pub valid_days: u32,
}

impl Default for RatingSettings {
    fn default() -> Self {
        Self { valid_days: 30 }
    }
}

/// How long an agency has to answer a complaint or recommendation.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ComplaintSettings {
    pub deadline: ProcessingTime,
}

impl Default for ComplaintSettings {
    fn default() -> Self {
        Self {
            deadline: ProcessingTime {
                amount: 15,
                unit: TimeUnit::WorkingDays,
            },
        }
    }
}

/// Synchronisation with the national portal (through the province's integration platform):
/// off unless `url` is set.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NationalPortalSettings {
    /// Where each dossier-sync record is POSTed as JSON; unset: synchronisation is off.
    pub url: Option<String>,
    /// Sent as `Authorization: Bearer`.
    pub token: Option<SecretString>,
    pub timeout_secs: u64,
    /// Our fact → the portal's field name (see `domain::national::FACTS`); "" leaves it out.
    pub fields: std::collections::BTreeMap<String, String>,
    /// Our channel (`counter`, `online`, `postal`) → the portal's code.
    pub channel_codes: std::collections::BTreeMap<String, String>,
    /// chrono's format for dates and times in the record.
    pub date_format: String,
}

impl Default for NationalPortalSettings {
    fn default() -> Self {
        let m = crate::domain::national::Mapping::default();
        Self {
            url: None,
            token: None,
            timeout_secs: 10,
            fields: m.fields,
            channel_codes: m.channel_codes,
            date_format: m.date_format,
        }
    }
}

impl NationalPortalSettings {
    /// The mapping, with the defaults of every fact not named.
    pub fn mapping(&self) -> Result<crate::domain::national::Mapping, String> {
        crate::domain::national::Mapping {
            fields: self.fields.clone(),
            channel_codes: self.channel_codes.clone(),
            date_format: self.date_format.clone(),
        }
        .completed()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotificationSettings {
    /// `email`, `sms`, `zalo`; a dossier's `applicant.notify` narrows them.
    pub channels: Vec<crate::domain::notice::NoticeChannel>,
}

impl Default for NotificationSettings {
    fn default() -> Self {
        Self {
            channels: vec![crate::domain::notice::NoticeChannel::Email],
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmsSettings {
    /// `POST {url}` with JSON `{to, text, reference}`; unset: SMS wait in the outbox.
    pub url: Option<SecretString>,
    /// Sent as `Authorization: Bearer …`.
    pub token: Option<SecretString>,
    /// Keep the Vietnamese diacritics (UCS-2: 70 characters a segment instead of 160).
    pub diacritics: bool,
    /// The most segments one message may take; longer texts are shortened.
    pub max_segments: u32,
    pub timeout_secs: u64,
}

impl Default for SmsSettings {
    fn default() -> Self {
        Self {
            url: None,
            token: None,
            diacritics: false,
            max_segments: 3,
            timeout_secs: 20,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ZaloSettings {
    /// The ZNS template-message endpoint; unset: Zalo messages wait in the outbox.
    pub url: Option<SecretString>,
    /// Sent in the `access_token` header.
    pub access_token: Option<SecretString>,
    /// The approved template id per notification kind (`receipt`, `supplement_request`, …).
    pub templates: std::collections::BTreeMap<String, String>,
    pub timeout_secs: u64,
}

impl Default for ZaloSettings {
    fn default() -> Self {
        Self {
            url: None,
            access_token: None,
            templates: std::collections::BTreeMap::new(),
            timeout_secs: 20,
        }
    }
}

/// Webhooks: where they may point, how long a receiver may take, when a failing one is turned off.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookSettings {
    /// Allow URLs that resolve to loopback, private or link-local addresses (off: an admin could
    /// otherwise point a webhook at the service's own network).
    pub allow_private_networks: bool,
    /// Seconds a receiver has to answer.
    pub timeout_secs: u64,
    /// Seconds to establish the connection.
    pub connect_timeout_secs: u64,
    /// Failed attempts in a row after which the webhook is disabled (0: never).
    pub disable_after_failures: u32,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            allow_private_networks: false,
            timeout_secs: 10,
            connect_timeout_secs: 5,
            disable_after_failures: 50,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: SecretString,
    /// Connections per process; 0 means twice the cores, at least 4 (`pool_size`).
    pub max_connections: u32,
    pub connect_timeout_secs: u64,
    /// SQLite's `PRAGMA synchronous` on every connection: `full` (the default) makes every
    /// acknowledged commit survive a power loss; `normal` is faster in WAL mode but a power loss
    /// can roll back the last commits (receipts whose codes a citizen already holds).
    pub sqlite_synchronous: SqliteSynchronous,
}

/// SQLite's durability setting (`PRAGMA synchronous`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SqliteSynchronous {
    Off,
    Normal,
    Full,
    Extra,
}

impl SqliteSynchronous {
    /// The value SQLite reports for `PRAGMA synchronous`.
    pub fn level(self) -> i32 {
        match self {
            Self::Off => 0,
            Self::Normal => 1,
            Self::Full => 2,
            Self::Extra => 3,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Off => "OFF",
            Self::Normal => "NORMAL",
            Self::Full => "FULL",
            Self::Extra => "EXTRA",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSettings {
    pub bind: String,
    /// HTTP worker threads; 0 means one per core.
    pub workers: usize,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Reverse proxies (addresses or CIDR networks) whose `X-Forwarded-For` is believed; empty:
    /// the peer address is the client's.
    pub trusted_proxies: Vec<String>,
    /// Browser origins allowed to call the API cross-origin (`https://host[:port]`); empty: no
    /// CORS headers at all.
    pub cors_origins: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthSettings {
    pub jwt_secret: Option<SecretString>,
    pub previous_secrets: Vec<SecretString>,
    pub token_ttl_secs: u64,
    /// Failed sign-ins per username within the window before it is throttled (429).
    pub max_failures_per_user: u32,
    /// Failed sign-ins per client address within the window before it is throttled (429).
    pub max_failures_per_address: u32,
    pub failure_window_secs: u64,
    /// How long a replica trusts its copy of the users' token versions (deactivations, role and
    /// office changes made on another replica) before reading them again; at most 2000.
    pub token_check_ttl_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmtpSettings {
    pub url: Option<SecretString>,
    pub from: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JobSettings {
    pub sweep_interval_secs: u64,
    /// How often, between sweeps, the outbox is looked at for due messages (milliseconds).
    pub delivery_interval_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CalendarConfig {
    pub timezone: String,
    /// Office sessions as "HH:MM-HH:MM".
    pub sessions: Vec<String>,
    /// Weekly rest days, English weekday names ("saturday", "sunday").
    pub rest_days: Vec<String>,
    /// Generate the Labour Code's public holidays (Art. 112) for every year.
    pub statutory_holidays: bool,
    /// Offices with hours of their own: office code → sessions ("HH:MM-HH:MM"). Their
    /// dossiers' deadlines count those hours; every other office uses `sessions`.
    pub office_sessions: std::collections::BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeadlineSettings {
    pub supplement_policy: SupplementPolicy,
    pub due_soon: ProcessingTime,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApologySettings {
    pub extension: ProcessingTime,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutboxSettings {
    pub retry_base_secs: u64,
    pub max_attempts: u32,
    pub lease_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PublicSettings {
    pub lookup_per_minute: u32,
    /// Shown under "where to get help" on the citizen's pages (a hotline, an address); unset:
    /// the pages send the citizen to the office where the dossier was filed.
    pub help_contact: Option<String>,
    /// Where citizens reach the service (the forms' QR codes point there); `http://` +
    /// `server.bind` when unset.
    pub base_url: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSettings {
    pub format: LogFormat,
    /// A tracing filter directive, e.g. "info" or "motcua=debug,actix_web=info".
    pub level: String,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: SecretString::from("sqlite://data/motcua.db"),
            max_connections: 0,
            connect_timeout_secs: 5,
            sqlite_synchronous: SqliteSynchronous::Full,
        }
    }
}

impl DatabaseSettings {
    /// The pool's size. By default about twice the cores, the usual size for a database on the
    /// same kind of machine: more connections than the cores can serve only queue inside the
    /// database (on 2 cores, 4 instead of 8 connections cut PostgreSQL reads' p99 at 64 clients
    /// from 20 to 14 ms; bench/load-results.md).
    pub fn pool_size(&self) -> u32 {
        if self.max_connections > 0 {
            return self.max_connections;
        }
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        u32::try_from(cores * 2).unwrap_or(u32::MAX).max(4)
    }
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
            workers: 0,
            max_body_bytes: 64 * 1024,
            trusted_proxies: Vec::new(),
            cors_origins: Vec::new(),
        }
    }
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            jwt_secret: None,
            previous_secrets: Vec::new(),
            token_ttl_secs: 3600,
            max_failures_per_user: 5,
            max_failures_per_address: 20,
            failure_window_secs: 900,
            token_check_ttl_ms: 1000,
        }
    }
}

impl Default for SmtpSettings {
    fn default() -> Self {
        Self {
            url: None,
            from: "Bo phan Mot cua <no-reply@localhost>".into(),
        }
    }
}

impl Default for JobSettings {
    fn default() -> Self {
        Self {
            sweep_interval_secs: 60,
            delivery_interval_ms: 1000,
        }
    }
}

impl Default for CalendarConfig {
    fn default() -> Self {
        Self {
            timezone: "Asia/Ho_Chi_Minh".into(),
            sessions: vec!["07:30-11:30".into(), "13:30-17:00".into()],
            rest_days: vec!["saturday".into(), "sunday".into()],
            statutory_holidays: true,
            office_sessions: Default::default(),
        }
    }
}

impl Default for DeadlineSettings {
    fn default() -> Self {
        Self {
            supplement_policy: SupplementPolicy::Restart,
            due_soon: ProcessingTime {
                amount: 1,
                unit: TimeUnit::WorkingDays,
            },
        }
    }
}

impl Default for ApologySettings {
    fn default() -> Self {
        Self {
            extension: ProcessingTime {
                amount: 5,
                unit: TimeUnit::WorkingDays,
            },
        }
    }
}

impl Default for OutboxSettings {
    fn default() -> Self {
        Self {
            retry_base_secs: 30,
            max_attempts: 10,
            lease_secs: 300,
        }
    }
}

impl Default for PublicSettings {
    fn default() -> Self {
        Self {
            lookup_per_minute: 30,
            help_contact: None,
            base_url: None,
        }
    }
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            format: LogFormat::Text,
            level: "info".into(),
        }
    }
}

impl Settings {
    /// Reads the layers from the working directory and the process environment.
    pub fn load() -> Result<Self, ConfigError> {
        let file = std::env::var("MOTCUA_CONFIG")
            .ok()
            .filter(|s| !s.is_empty());
        let env: Vec<(String, String)> = std::env::vars().collect();
        Self::load_from(
            Path::new("config/default.toml"),
            file.as_deref().map(Path::new),
            env,
        )
    }

    /// The layering itself, with its inputs explicit so that it can be tested.
    pub fn load_from(
        default_file: &Path,
        config_file: Option<&Path>,
        env: Vec<(String, String)>,
    ) -> Result<Self, ConfigError> {
        let mut builder = config::Config::builder().add_source(
            config::File::from(default_file)
                .format(config::FileFormat::Toml)
                .required(false),
        );
        if let Some(path) = config_file {
            if !path.is_file() {
                return Err(ConfigError(format!(
                    "MOTCUA_CONFIG names {}, which is not a readable file",
                    path.display()
                )));
            }
            builder = builder.add_source(
                config::File::from(path)
                    .format(config::FileFormat::Toml)
                    .required(true),
            );
        }
        let env_map: config::Map<String, String> = env
            .into_iter()
            .filter(|(k, _)| k.starts_with("MOTCUA__"))
            .collect();
        builder = builder.add_source(
            config::Environment::with_prefix("MOTCUA")
                .prefix_separator("__")
                .separator("__")
                .try_parsing(true)
                .list_separator(",")
                .with_list_parse_key("auth.previous_secrets")
                .with_list_parse_key("server.trusted_proxies")
                .with_list_parse_key("server.cors_origins")
                .with_list_parse_key("calendar.sessions")
                .with_list_parse_key("notifications.channels")
                .with_list_parse_key("calendar.rest_days")
                .with_list_parse_key("files.allowed_types")
                .source(Some(env_map)),
        );
        let settings: Settings = builder
            .build()
            .and_then(|c| c.try_deserialize())
            .map_err(|e| ConfigError(e.to_string()))?;
        settings.validate()?;
        Ok(settings)
    }

    /// Checks what the types alone cannot; each message names its key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.scorecard.check().map_err(ConfigError)?;
        let url = self.database.url.expose_secret();
        if !(url.starts_with("sqlite://")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            return Err(ConfigError(format!(
                "database.url: {} is neither sqlite://… nor postgres://…",
                redact_url(url)
            )));
        }
        let bind = self.bind_addr()?;
        if self.auth.jwt_secret.is_none() && !bind.ip().is_loopback() {
            return Err(ConfigError(format!(
                "auth.jwt_secret is required when server.bind ({bind}) is not a loopback address"
            )));
        }
        if let Some(secret) = &self.auth.jwt_secret
            && secret.expose_secret().len() < 32
        {
            return Err(ConfigError(
                "auth.jwt_secret must be at least 32 characters".into(),
            ));
        }
        if !(1..=2000).contains(&self.auth.token_check_ttl_ms) {
            return Err(ConfigError(
                "auth.token_check_ttl_ms must be between 1 and 2000".into(),
            ));
        }
        if self.auth.token_ttl_secs == 0 {
            return Err(ConfigError("auth.token_ttl_secs must be positive".into()));
        }
        if self.auth.max_failures_per_user == 0
            || self.auth.max_failures_per_address == 0
            || self.auth.failure_window_secs == 0
        {
            return Err(ConfigError(
                "auth.max_failures_per_user, auth.max_failures_per_address and auth.failure_window_secs must be positive".into(),
            ));
        }
        for p in &self.server.trusted_proxies {
            if crate::net::IpNet::parse(p).is_none() {
                return Err(ConfigError(format!(
                    "server.trusted_proxies: {p:?} is not an IP address or a CIDR network such as 10.0.0.0/8"
                )));
            }
        }
        for o in &self.server.cors_origins {
            if !is_origin(o) {
                return Err(ConfigError(format!(
                    "server.cors_origins: {o:?} is not an origin such as https://motcua.example.vn (scheme, host, optional port; no path, no *)"
                )));
            }
        }
        if let Some(smtp) = &self.smtp.url {
            let u = smtp.expose_secret();
            if !(u.starts_with("smtp://") || u.starts_with("smtps://")) {
                return Err(ConfigError(format!(
                    "smtp.url: {} is not smtp://… or smtps://…",
                    redact_url(u)
                )));
            }
        }
        self.national_portal.mapping().map_err(ConfigError)?;
        if let Some(u) = &self.national_portal.url
            && !matches!(
                url::Url::parse(u).map(|u| u.scheme().to_owned()).as_deref(),
                Ok("http" | "https")
            )
        {
            return Err(ConfigError(
                "national_portal.url must be an http or https URL".into(),
            ));
        }
        if self.national_portal.timeout_secs == 0 {
            return Err(ConfigError(
                "national_portal.timeout_secs must be positive".into(),
            ));
        }
        if self.webhooks.timeout_secs == 0 || self.webhooks.connect_timeout_secs == 0 {
            return Err(ConfigError(
                "webhooks.timeout_secs and webhooks.connect_timeout_secs must be positive".into(),
            ));
        }
        if self.rating.valid_days == 0 {
            return Err(ConfigError("rating.valid_days must be positive".into()));
        }
        if !(50..=600_000).contains(&self.jobs.delivery_interval_ms) {
            return Err(ConfigError(
                "jobs.delivery_interval_ms must be between 50 and 600000".into(),
            ));
        }
        if self.jobs.sweep_interval_secs == 0 {
            return Err(ConfigError(
                "jobs.sweep_interval_secs must be positive".into(),
            ));
        }
        self.office_calendar_settings()?;
        for (key, t) in [
            ("deadlines.due_soon", self.deadlines.due_soon),
            ("apology.extension", self.apology.extension),
            ("complaints.deadline", self.complaints.deadline),
        ] {
            if t.amount == 0 {
                return Err(ConfigError(format!("{key}.amount must be positive")));
            }
        }
        if self.outbox.max_attempts == 0
            || self.outbox.retry_base_secs == 0
            || self.outbox.lease_secs == 0
        {
            return Err(ConfigError(
                "outbox.retry_base_secs, outbox.max_attempts and outbox.lease_secs must be positive".into(),
            ));
        }
        for (key, url) in [("sms.url", &self.sms.url), ("zalo.url", &self.zalo.url)] {
            if let Some(u) = url {
                let u = u.expose_secret();
                if !(u.starts_with("http://") || u.starts_with("https://"))
                    || url::Url::parse(u).is_err()
                {
                    return Err(ConfigError(format!(
                        "{key}: {} is not an http:// or https:// URL",
                        redact_url(u)
                    )));
                }
            }
        }
        if self.sms.max_segments == 0 || self.sms.max_segments > 10 {
            return Err(ConfigError("sms.max_segments must be 1 to 10".into()));
        }
        if self.sms.timeout_secs == 0 || self.zalo.timeout_secs == 0 {
            return Err(ConfigError(
                "sms.timeout_secs and zalo.timeout_secs must be positive".into(),
            ));
        }
        for kind in self.zalo.templates.keys() {
            if !crate::domain::notice::KINDS.contains(&kind.as_str()) {
                return Err(ConfigError(format!(
                    "zalo.templates.{kind}: no notification has that kind (kinds: {})",
                    crate::domain::notice::KINDS.join(", ")
                )));
            }
        }
        if self.public.lookup_per_minute == 0 {
            return Err(ConfigError(
                "public.lookup_per_minute must be positive".into(),
            ));
        }
        if let Some(base) = &self.public.base_url
            && !is_base_url(base)
        {
            return Err(ConfigError(format!(
                "public.base_url: {base:?} is not an http(s) URL such as https://motcua.example.vn (no query, no fragment)"
            )));
        }
        self.forms.validate().map_err(ConfigError)?;
        self.files.validate().map_err(ConfigError)?;
        if tracing_subscriber::EnvFilter::try_new(&self.log.level).is_err() {
            return Err(ConfigError(format!(
                "log.level: {:?} is not a valid filter",
                self.log.level
            )));
        }
        Ok(())
    }

    /// Where citizens reach the service, without a trailing slash: `public.base_url`, or
    /// `http://` + `server.bind`.
    pub fn public_base_url(&self) -> String {
        match &self.public.base_url {
            Some(b) => b.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.server.bind),
        }
    }

    pub fn bind_addr(&self) -> Result<SocketAddr, ConfigError> {
        self.server.bind.parse().map_err(|_| {
            ConfigError(format!(
                "server.bind: {:?} is not an address like 127.0.0.1:8080",
                self.server.bind
            ))
        })
    }

    /// The calendar part of the settings, parsed.
    /// Every office's calendar settings.
    pub fn calendar_setup(&self) -> Result<crate::domain::calendars::CalendarSetup, ConfigError> {
        Ok(crate::domain::calendars::CalendarSetup {
            default: self.calendar_settings()?,
            offices: self.office_calendar_settings()?,
        })
    }

    /// The calendar settings of the offices with hours of their own.
    pub fn office_calendar_settings(
        &self,
    ) -> Result<std::collections::BTreeMap<String, CalendarSettings>, ConfigError> {
        let base = self.calendar_settings()?;
        let mut out = std::collections::BTreeMap::new();
        for (office, sessions) in &self.calendar.office_sessions {
            let key = format!("calendar.office_sessions.{office}");
            crate::domain::codes::OfficeCode::parse(office)
                .map_err(|m| ConfigError(format!("{key}: the office code {m}")))?;
            let sessions = sessions
                .iter()
                .map(|s| parse_session(s))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| ConfigError(format!("{key}: each session is \"HH:MM-HH:MM\"")))?;
            let settings = CalendarSettings {
                sessions,
                ..base.clone()
            };
            settings
                .validate()
                .map_err(|e| ConfigError(format!("{key}: {e}")))?;
            out.insert(office.to_ascii_uppercase(), settings);
        }
        Ok(out)
    }

    pub fn calendar_settings(&self) -> Result<CalendarSettings, ConfigError> {
        let timezone: chrono_tz::Tz = self.calendar.timezone.parse().map_err(|_| {
            ConfigError(format!(
                "calendar.timezone: {:?} is not an IANA time zone",
                self.calendar.timezone
            ))
        })?;
        let sessions = self
            .calendar
            .sessions
            .iter()
            .map(|s| parse_session(s))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| {
                ConfigError("calendar.sessions: each session is \"HH:MM-HH:MM\"".into())
            })?;
        let rest_days = self
            .calendar
            .rest_days
            .iter()
            .map(|d| d.parse::<chrono::Weekday>().ok())
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| {
                ConfigError("calendar.rest_days: use weekday names such as \"saturday\"".into())
            })?;
        let settings = CalendarSettings {
            timezone,
            sessions,
            rest_days,
            statutory_holidays: self.calendar.statutory_holidays,
        };
        settings
            .validate()
            .map_err(|e| ConfigError(format!("calendar.sessions: {e}")))?;
        Ok(settings)
    }
}

fn parse_session(s: &str) -> Option<Session> {
    let (a, b) = s.split_once('-')?;
    let start = chrono::NaiveTime::parse_from_str(a.trim(), "%H:%M").ok()?;
    let end = chrono::NaiveTime::parse_from_str(b.trim(), "%H:%M").ok()?;
    Some(Session { start, end })
}

/// An http(s) URL that paths can be appended to.
fn is_base_url(s: &str) -> bool {
    match url::Url::parse(s) {
        Ok(u) => {
            matches!(u.scheme(), "http" | "https")
                && u.host().is_some()
                && u.query().is_none()
                && u.fragment().is_none()
        }
        Err(_) => false,
    }
}

/// `scheme://host[:port]` exactly as browsers send it in `Origin` (no path, no wildcard).
fn is_origin(s: &str) -> bool {
    match url::Url::parse(s) {
        Ok(u) => {
            matches!(u.scheme(), "http" | "https")
                && u.origin().is_tuple()
                && u.origin().ascii_serialization() == s
        }
        Err(_) => false,
    }
}

/// A URL with any password replaced, safe for logs and error messages.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(u) => u.to_string(),
        // Not parseable: keep the scheme only, the rest may hold a secret.
        Err(_) => match url.split_once("://") {
            Some((scheme, _)) => format!("{scheme}://…"),
            None => "…".into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_pool_is_twice_the_cores_unless_set() {
        let mut d = DatabaseSettings::default();
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get()) as u32;
        assert_eq!(d.pool_size(), (cores * 2).max(4));
        d.max_connections = 3;
        assert_eq!(d.pool_size(), 3);
    }

    #[test]
    fn defaults_match_the_public_contract() -> TestResult {
        let s = Settings::load_from(Path::new("/nonexistent/default.toml"), None, vec![])?;
        assert_eq!(s.database.url.expose_secret(), "sqlite://data/motcua.db");
        assert_eq!(s.server.bind, "127.0.0.1:8080");
        assert_eq!(s.auth.token_ttl_secs, 3600);
        assert_eq!(s.jobs.sweep_interval_secs, 60);
        assert_eq!(s.calendar.timezone, "Asia/Ho_Chi_Minh");
        assert_eq!(s.deadlines.supplement_policy, SupplementPolicy::Restart);
        assert_eq!(
            s.apology.extension,
            ProcessingTime {
                amount: 5,
                unit: TimeUnit::WorkingDays
            }
        );
        assert_eq!(
            s.deadlines.due_soon,
            ProcessingTime {
                amount: 1,
                unit: TimeUnit::WorkingDays
            }
        );
        assert_eq!(
            (
                s.outbox.retry_base_secs,
                s.outbox.max_attempts,
                s.outbox.lease_secs
            ),
            (30, 10, 300)
        );
        assert_eq!(s.public.lookup_per_minute, 30);
        assert_eq!(s.public_base_url(), "http://127.0.0.1:8080");
        assert_eq!(s.forms.place, "Huế");
        assert!(s.forms.apology.title.starts_with("VĂN BẢN XIN LỖI"));
        assert!(s.smtp.url.is_none());
        assert_eq!(s.smtp.from, "Bo phan Mot cua <no-reply@localhost>");
        Ok(())
    }

    #[test]
    fn layers_apply_in_order_file_then_config_then_environment() -> TestResult {
        let dir = tempfile::tempdir()?;
        let default = dir.path().join("default.toml");
        let extra = dir.path().join("extra.toml");
        std::fs::File::create(&default)?
            .write_all(b"[server]\nbind = \"127.0.0.1:9000\"\n[jobs]\nsweep_interval_secs = 5\n")?;
        std::fs::File::create(&extra)?
            .write_all(b"[jobs]\nsweep_interval_secs = 7\n[apology.extension]\namount = 3\nunit = \"working_days\"\n")?;
        let s = Settings::load_from(
            &default,
            Some(&extra),
            env(&[
                ("MOTCUA__PUBLIC__LOOKUP_PER_MINUTE", "12"),
                ("MOTCUA__DEADLINES__SUPPLEMENT_POLICY", "pause"),
            ]),
        )?;
        assert_eq!(s.server.bind, "127.0.0.1:9000");
        assert_eq!(s.jobs.sweep_interval_secs, 7);
        assert_eq!(s.apology.extension.amount, 3);
        assert_eq!(s.public.lookup_per_minute, 12);
        assert_eq!(s.deadlines.supplement_policy, SupplementPolicy::Pause);
        Ok(())
    }

    #[test]
    fn invalid_values_name_their_key() {
        let cases = [
            ("MOTCUA__SERVER__BIND", "not an address", "server.bind"),
            (
                "MOTCUA__CALENDAR__TIMEZONE",
                "Mars/Olympus",
                "calendar.timezone",
            ),
            (
                "MOTCUA__DATABASE__URL",
                "mysql://u:hunter2@h/db",
                "database.url",
            ),
            (
                "MOTCUA__DEADLINES__SUPPLEMENT_POLICY",
                "sometimes",
                "supplement_policy",
            ),
            (
                "MOTCUA__JOBS__SWEEP_INTERVAL_SECS",
                "soon",
                "sweep_interval_secs",
            ),
            ("MOTCUA__SERVER__BIND", "0.0.0.0:8080", "auth.jwt_secret"),
            (
                "MOTCUA__PUBLIC__BASE_URL",
                "motcua.example.vn",
                "public.base_url",
            ),
            (
                "MOTCUA__FORMS__RECEIPT__NUMBER",
                "{seq}/GTN",
                "forms.receipt.number",
            ),
        ];
        for (key, value, named) in cases {
            let err = Settings::load_from(Path::new("/nonexistent"), None, env(&[(key, value)]))
                .unwrap_err();
            assert!(err.to_string().contains(named), "{key}={value}: {err}");
            assert!(
                !err.to_string().contains("hunter2"),
                "password leaked: {err}"
            );
        }
    }

    #[test]
    fn security_keys_default_to_closed_and_parse_from_the_environment() -> TestResult {
        let s = Settings::load_from(Path::new("/nonexistent"), None, vec![])?;
        assert!(s.server.trusted_proxies.is_empty() && s.server.cors_origins.is_empty());
        assert_eq!(
            (
                s.auth.max_failures_per_user,
                s.auth.max_failures_per_address,
                s.auth.failure_window_secs
            ),
            (5, 20, 900)
        );
        let s = Settings::load_from(
            Path::new("/nonexistent"),
            None,
            env(&[
                ("MOTCUA__SERVER__TRUSTED_PROXIES", "10.0.0.0/8,192.0.2.1"),
                (
                    "MOTCUA__SERVER__CORS_ORIGINS",
                    "https://motcua.example.vn,http://localhost:5173",
                ),
                ("MOTCUA__AUTH__MAX_FAILURES_PER_USER", "3"),
            ]),
        )?;
        assert_eq!(s.server.trusted_proxies, ["10.0.0.0/8", "192.0.2.1"]);
        assert_eq!(
            s.server.cors_origins,
            ["https://motcua.example.vn", "http://localhost:5173"]
        );
        assert_eq!(s.auth.max_failures_per_user, 3);
        for (key, value, named) in [
            (
                "MOTCUA__SERVER__TRUSTED_PROXIES",
                "proxy.internal",
                "server.trusted_proxies",
            ),
            (
                "MOTCUA__SERVER__TRUSTED_PROXIES",
                "10.0.0.0/40",
                "server.trusted_proxies",
            ),
            ("MOTCUA__SERVER__CORS_ORIGINS", "*", "server.cors_origins"),
            (
                "MOTCUA__SERVER__CORS_ORIGINS",
                "https://a.example.vn/app",
                "server.cors_origins",
            ),
            (
                "MOTCUA__SERVER__CORS_ORIGINS",
                "https://a.example.vn/",
                "server.cors_origins",
            ),
            (
                "MOTCUA__AUTH__FAILURE_WINDOW_SECS",
                "0",
                "auth.failure_window_secs",
            ),
        ] {
            let err = Settings::load_from(Path::new("/nonexistent"), None, env(&[(key, value)]))
                .unwrap_err();
            assert!(err.to_string().contains(named), "{key}={value}: {err}");
        }
        Ok(())
    }

    #[test]
    fn office_sessions_are_checked_and_named() -> TestResult {
        let dir = tempfile::tempdir()?;
        let f = dir.path().join("c.toml");
        std::fs::write(
            &f,
            "[calendar.office_sessions]\nH41 = [\"07:00-11:00\", \"13:00-16:30\"]\n",
        )?;
        let s = Settings::load_from(Path::new("/nonexistent"), Some(&f), vec![])?;
        let setup = s.calendar_setup()?;
        assert_eq!(setup.offices["H41"].sessions.len(), 2);
        std::fs::write(&f, "[calendar.office_sessions]\nH41 = [\"7 to 11\"]\n")?;
        let err = Settings::load_from(Path::new("/nonexistent"), Some(&f), vec![]).unwrap_err();
        assert!(
            err.to_string().contains("calendar.office_sessions.H41"),
            "{err}"
        );
        Ok(())
    }

    #[test]
    fn forms_texts_and_places_come_from_the_files() -> TestResult {
        let dir = tempfile::tempdir()?;
        let f = dir.path().join("c.toml");
        std::fs::write(
            &f,
            "[forms]\nplace = \"Thừa Thiên Huế\"\noffice_places = { \"000.24.02.H57\" = \"Phú Mỹ\" }\n\
             [forms.receipt]\ntitle = \"GIẤY BIÊN NHẬN\"\n",
        )?;
        let s = Settings::load_from(Path::new("/nonexistent"), Some(&f), vec![])?;
        assert_eq!(s.forms.place_for("000.24.02.H57"), "Phú Mỹ");
        assert_eq!(s.forms.place_for("000.00.24.H57"), "Thừa Thiên Huế");
        assert_eq!(s.forms.receipt.title, "GIẤY BIÊN NHẬN");
        // A form overridden in part keeps its other defaults.
        assert_eq!(
            s.forms.receipt.body,
            crate::forms::texts::ReceiptText::default().body
        );
        std::fs::write(
            &f,
            "[forms.apology]\nbody = [\"Kính gửi {applicant}, {recipient}\"]\n",
        )?;
        let err = Settings::load_from(Path::new("/nonexistent"), Some(&f), vec![]).unwrap_err();
        assert!(err.to_string().contains("forms.apology.body[0]"), "{err}");
        Ok(())
    }

    #[test]
    fn the_shipped_default_file_holds_the_built_in_defaults() -> TestResult {
        let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/default.toml");
        let s = Settings::load_from(&shipped, None, vec![])?;
        let d = Settings::default();
        assert_eq!(s.server.trusted_proxies, d.server.trusted_proxies);
        assert_eq!(s.server.cors_origins, d.server.cors_origins);
        assert_eq!(s.public.base_url, d.public.base_url);
        assert_eq!(
            s.forms, d.forms,
            "config/default.toml's [forms] is the built-in one"
        );
        assert_eq!(
            (
                s.auth.max_failures_per_user,
                s.auth.max_failures_per_address,
                s.auth.failure_window_secs
            ),
            (
                d.auth.max_failures_per_user,
                d.auth.max_failures_per_address,
                d.auth.failure_window_secs
            )
        );
        Ok(())
    }

    #[test]
    fn a_missing_config_file_is_an_error() {
        let err = Settings::load_from(
            Path::new("/nonexistent"),
            Some(Path::new("/nonexistent/motcua.toml")),
            vec![],
        )
        .unwrap_err();
        assert!(err.to_string().contains("MOTCUA_CONFIG"));
    }

    #[test]
    fn redaction_hides_passwords_only() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/motcua"),
            "postgres://app:***@db:5432/motcua"
        );
        assert_eq!(redact_url("postgres://db/motcua"), "postgres://db/motcua");
        assert!(!redact_url("postgres://app:s3cret@[bad").contains("s3cret"));
    }
}
