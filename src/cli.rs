//! The command line of API.md: serve (the default), migrate, user add.

use std::io::Read;

use clap::{Parser, Subcommand};

use crate::api::auth::{CreateUserRequest, create_user_blocking, validate_new_user};
use crate::app::{Application, open_database};
use crate::config::Settings;
use crate::domain::dossier::Role;
use crate::error::AppError;

#[derive(Debug, Parser)]
#[command(
    name = "motcua",
    version,
    about = "Dossier tracking for one-stop-shop offices (Bộ phận Một cửa)"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP API and the background jobs (applies migrations first). The default.
    Serve,
    /// Apply pending migrations and exit.
    Migrate,
    /// Run the deadline sweep (due-soon warnings, overdue detection, apology letters, outbox
    /// delivery) once and exit.
    Sweep {
        /// Run once and exit (`serve` runs the sweep every jobs.sweep_interval_secs).
        #[arg(long, required = true)]
        once: bool,
    },
    /// Load a demo data set into an empty database: a province's offices, a dozen procedures,
    /// staff of every role (password printed), and dossiers in every status.
    Demo {
        /// How many dossiers (e.g. 1000000 to measure reports at a province's scale).
        #[arg(long, default_value_t = 300)]
        dossiers: usize,
        /// Over how many years before now they were received.
        #[arg(long, default_value_t = 1)]
        years: u32,
    },
    /// Send the national portal a fresh record of every dossier changed on or after a date
    /// (after an outage of the portal, or when synchronisation is turned on); the running
    /// service delivers them.
    Sync {
        /// The first local date (YYYY-MM-DD) whose changes are sent again.
        #[arg(long)]
        since: chrono::NaiveDate,
    },
    /// Take a consistent copy of the SQLite database while the service runs (VACUUM INTO):
    /// restore it by pointing database.url at the copy. PostgreSQL: use pg_dump.
    Backup {
        /// The new file (must not exist).
        #[arg(long)]
        to: std::path::PathBuf,
    },
    /// Manage staff accounts.
    User {
        #[command(subcommand)]
        action: UserCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; the password is read from standard input.
    Add {
        #[arg(long)]
        username: String,
        /// clerk, officer, supervisor or admin.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// The user's office code (required for every role but admin).
        #[arg(long)]
        office: Option<String>,
        #[arg(long)]
        full_name: Option<String>,
        #[arg(long)]
        email: Option<String>,
        /// Read the password from standard input (the only way: never on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Set a user's password (read from standard input); their tokens stop working.
    Passwd {
        #[arg(long)]
        username: String,
        /// Read the password from standard input (the only way: never on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Deactivate a user: they can no longer sign in, and their tokens stop working (within
    /// auth.token_check_ttl_ms on running servers).
    Disable {
        #[arg(long)]
        username: String,
    },
}

/// The password on standard input, without the trailing newline of `echo` or a here-string.
fn password_from_stdin() -> anyhow::Result<String> {
    let mut password = String::new();
    std::io::stdin().read_to_string(&mut password)?;
    let trimmed = password
        .strip_suffix('\n')
        .map(|p| p.strip_suffix('\r').unwrap_or(p))
        .unwrap_or(&password);
    Ok(trimmed.to_owned())
}

/// Applies an account change from the console (audited with the actor `motcua`).
async fn change_user(
    settings: &Settings,
    username: String,
    change: crate::store::users::UserChange,
) -> anyhow::Result<crate::store::users::User> {
    let db = open_database(settings).await?;
    let (user, _) = tokio::task::spawn_blocking(move || {
        let mut conn = db.conn()?;
        crate::store::users::update(&mut conn, &username, change, "motcua")
    })
    .await?
    .map_err(describe)?;
    Ok(user)
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s)
        .ok_or_else(|| format!("unknown role {s:?}: use clerk, officer, supervisor or admin"))
}

/// Runs a parsed command; the error is printed by `main` with a non-zero exit.
pub async fn run(cli: Cli, settings: Settings) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let app = Application::build(settings).await?;
            let ip = app.state().settings.bind_addr()?.ip();
            let shown = if ip.is_ipv6() {
                format!("[{ip}]")
            } else {
                ip.to_string()
            };
            tracing::info!("motcua listening on http://{shown}:{}", app.port());
            app.run_until_stopped().await?;
            Ok(())
        }
        Command::Sweep { once: _ } => {
            let settings = std::sync::Arc::new(settings);
            let db = open_database(&settings).await?;
            let calendar = crate::app::load_calendar(&settings, &db).await?;
            let keys = crate::auth::TokenKeys::new(&settings.auth, &crate::auth::random_secret());
            let setup = settings.calendar_setup()?;
            let state = crate::api::AppState::new(db, settings, calendar, setup, keys);
            let worker = crate::jobs::Worker::new(state)
                .map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?;
            let (_stop_tx, stop_rx) = tokio::sync::watch::channel(false);
            let r = worker
                .run_once(&stop_rx)
                .await
                .map_err(|e| anyhow::anyhow!("sweep failed: {}", e.cause()))?;
            worker.release_all().await;
            println!(
                "sweep: {} apology letters, {} escalated, {} due-soon warnings, {} digests queued; {} emails sent, {} failed attempts",
                r.sweep.letters,
                r.sweep.escalated,
                r.sweep.warned,
                r.sweep.digests,
                r.sent,
                r.failed_attempts
            );
            Ok(())
        }
        Command::Sync { since } => {
            if settings.national_portal.url.is_none() {
                anyhow::bail!("national_portal.url is not set: synchronisation is off");
            }
            let tz: chrono_tz::Tz = settings
                .calendar
                .timezone
                .parse()
                .map_err(|_| anyhow::anyhow!("calendar.timezone is not an IANA time zone"))?;
            let from = since
                .and_hms_opt(0, 0, 0)
                .and_then(|t| t.and_local_timezone(tz).earliest())
                .ok_or_else(|| anyhow::anyhow!("{since} has no midnight in {tz}"))?
                .with_timezone(&chrono::Utc);
            let db = open_database(&settings).await?;
            let url = settings.national_portal.url.clone();
            let queued = tokio::task::spawn_blocking(move || -> anyhow::Result<Option<usize>> {
                let mut conn = db.conn()?;
                let now = crate::db::now();
                crate::store::webhooks::configure_national(&mut conn, url.as_deref(), now)
                    .map_err(describe)?;
                crate::store::webhooks::resync_since(&mut conn, crate::db::to_db(from), now)
                    .map_err(describe)
            })
            .await??;
            match queued {
                Some(n) => println!(
                    "sync: {n} dossiers changed since {since} queued for the national portal"
                ),
                None => anyhow::bail!("synchronisation with the national portal is off"),
            }
            Ok(())
        }
        Command::Demo { dossiers, years } => {
            let db = open_database(&settings).await?;
            let (_, cals) = crate::app::load_calendar(&settings, &db).await?;
            let started = std::time::Instant::now();
            let report = tokio::task::spawn_blocking(move || {
                let mut conn = db.conn()?;
                crate::demo::load(&mut conn, &cals, dossiers, years, crate::db::now())
            })
            .await?
            .map_err(describe)?;
            println!(
                "demo loaded in {:.1} s: {} offices, {} procedures, {} users, {} dossiers, {} events",
                started.elapsed().as_secs_f64(),
                report.offices,
                report.procedures,
                report.users,
                report.dossiers,
                report.events
            );
            println!(
                "sign in as admin.demo, clerk.phuvang, officer.phuvang or supervisor.phuvang with the password {}",
                crate::demo::DEMO_PASSWORD
            );
            Ok(())
        }
        Command::Migrate => {
            let db = open_database(&settings).await?;
            println!("migrations are up to date on {}", db.shown_url);
            Ok(())
        }
        Command::User {
            action:
                UserCommand::Add {
                    username,
                    role,
                    office,
                    full_name,
                    email,
                    password_stdin: _,
                },
        } => {
            let mut password = String::new();
            std::io::stdin().read_to_string(&mut password)?;
            // A trailing newline from `echo` or a here-string is not part of the password.
            let password = password
                .strip_suffix('\n')
                .map(|p| p.strip_suffix('\r').unwrap_or(p))
                .unwrap_or(&password);
            let req = validate_new_user(CreateUserRequest {
                username,
                password: password.to_owned(),
                role,
                office_code: office,
                full_name,
                email,
            })
            .map_err(describe)?;
            let db = open_database(&settings).await?;
            let user = tokio::task::spawn_blocking(move || {
                let mut conn = db.conn()?;
                create_user_blocking(&mut conn, req)
            })
            .await?
            .map_err(describe)?;
            println!("created user {} ({})", user.username, user.role);
            Ok(())
        }
        Command::User { action } => user_command(settings, action).await,
        Command::Backup { to } => backup(settings, to).await,
    }
}

async fn user_command(settings: Settings, action: UserCommand) -> anyhow::Result<()> {
    match action {
        UserCommand::Add { .. } => unreachable_add(),
        UserCommand::Passwd {
            username,
            password_stdin: _,
        } => {
            let password = password_from_stdin()?;
            if let Err(m) = crate::domain::validation::password(&password) {
                anyhow::bail!("password: {m}");
            }
            let hash = tokio::task::spawn_blocking(move || crate::auth::hash_password(&password))
                .await?
                .map_err(|e| anyhow::anyhow!("cannot hash the password: {e}"))?;
            let user = change_user(
                &settings,
                username,
                crate::store::users::UserChange {
                    password_hash: Some(hash),
                    ..Default::default()
                },
            )
            .await?;
            println!(
                "password of {} changed; their tokens no longer work",
                user.username
            );
            Ok(())
        }
        UserCommand::Disable { username } => {
            let user = change_user(
                &settings,
                username,
                crate::store::users::UserChange {
                    active: Some(false),
                    ..Default::default()
                },
            )
            .await?;
            println!(
                "user {} deactivated; their tokens no longer work",
                user.username
            );
            Ok(())
        }
    }
}

#[cold]
fn unreachable_add() -> anyhow::Result<()> {
    anyhow::bail!("user add is handled by run")
}

/// `motcua backup --to FILE`.
async fn backup(settings: Settings, to: std::path::PathBuf) -> anyhow::Result<()> {
    if to.exists() {
        anyhow::bail!("{} exists already: name a new file", to.display());
    }
    let db = open_database(&settings).await?;
    if db.backend != crate::db::Backend::Sqlite {
        anyhow::bail!("backup copies SQLite databases; for PostgreSQL use pg_dump -Fc");
    }
    let target = to.clone();
    let started = std::time::Instant::now();
    let bytes =
        tokio::task::spawn_blocking(move || crate::db::backup_sqlite(&db, &target)).await??;
    println!(
        "backed up {} to {} ({bytes} bytes in {:.1} s)",
        crate::config::redact_url(secrecy::ExposeSecret::expose_secret(&settings.database.url)),
        to.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn describe(e: AppError) -> anyhow::Error {
    match e {
        AppError::Validation(errors) => anyhow::anyhow!(
            "{}",
            errors
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        // The operator at the console may see the cause the API hides from clients.
        other => anyhow::anyhow!("{}", other.cause()),
    }
}
