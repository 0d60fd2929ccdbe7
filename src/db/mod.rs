//! Storage: one connection type over SQLite and PostgreSQL, the pool, migrations, transactions.

pub mod schema;

use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, Pool, PooledConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::config::{SqliteSynchronous, redact_url};

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// A connection to whichever backend `database.url` names.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Postgres(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl DbConn {
    pub fn backend(&self) -> Backend {
        match self {
            DbConn::Postgres(_) => Backend::Postgres,
            DbConn::Sqlite(_) => Backend::Sqlite,
        }
    }
}

pub type DbPool = Pool<ConnectionManager>;
pub type PooledConn = PooledConnection<ConnectionManager>;

#[derive(Debug, thiserror::Error)]
pub enum DbSetupError {
    #[error("cannot open database {url}: {message}")]
    Connect { url: String, message: String },
    #[error("cannot apply migrations to {url}: {message}")]
    Migrate { url: String, message: String },
}

/// Picks the backend from the URL scheme, so that a bad PostgreSQL URL reports PostgreSQL's
/// own error rather than a failed attempt at every backend.
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    target: Target,
    synchronous: SqliteSynchronous,
}

#[derive(Debug, Clone)]
enum Target {
    Sqlite(String),
    Postgres(String),
}

impl ConnectionManager {
    pub fn new(url: &str) -> Result<Self, DbSetupError> {
        let target = if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(DbSetupError::Connect {
                    url: url.into(),
                    message: "no file path after sqlite://".into(),
                });
            }
            let path = std::path::Path::new(path);
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| DbSetupError::Connect {
                    url: url.into(),
                    message: format!("cannot create folder {}: {e}", dir.display()),
                })?;
            }
            Target::Sqlite(path.to_string_lossy().into_owned())
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Target::Postgres(url.to_owned())
        } else {
            return Err(DbSetupError::Connect {
                url: redact_url(url),
                message: "the URL must start with sqlite:// or postgres://".into(),
            });
        };
        Ok(Self {
            target,
            synchronous: SqliteSynchronous::Full,
        })
    }

    /// SQLite's `PRAGMA synchronous` for every connection this manager opens.
    pub fn with_synchronous(mut self, synchronous: SqliteSynchronous) -> Self {
        self.synchronous = synchronous;
        self
    }

    pub fn backend(&self) -> Backend {
        match self.target {
            Target::Sqlite(_) => Backend::Sqlite,
            Target::Postgres(_) => Backend::Postgres,
        }
    }

    fn display_url(&self) -> String {
        match &self.target {
            Target::Sqlite(p) => format!("sqlite://{p}"),
            Target::Postgres(u) => redact_url(u),
        }
    }
}

impl ManageConnection for ConnectionManager {
    type Connection = DbConn;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConn, r2d2::Error> {
        match &self.target {
            Target::Sqlite(path) => {
                let mut c = diesel::SqliteConnection::establish(path)
                    .map_err(r2d2::Error::ConnectionError)?;
                // WAL lets readers run beside the one writer; the busy timeout queues writers.
                // `synchronous` is per connection: FULL (the default) syncs the log at every
                // commit, so what was acknowledged survives a power loss.
                c.batch_execute(&format!(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = {}; \
                     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 15000;",
                    self.synchronous.as_str()
                ))
                .map_err(r2d2::Error::QueryError)?;
                Ok(DbConn::Sqlite(c))
            }
            Target::Postgres(url) => {
                let mut c =
                    diesel::PgConnection::establish(url).map_err(r2d2::Error::ConnectionError)?;
                // No JIT: motcua's queries are short or index-driven, and compiling one whose
                // estimated cost crosses jit_above_cost (a form-06 summary over history) took
                // over a second, several times what running it takes.
                c.batch_execute("SET jit = off")
                    .map_err(r2d2::Error::QueryError)?;
                Ok(DbConn::Postgres(c))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, _conn: &mut DbConn) -> bool {
        false
    }
}

/// The pool with what it was opened on.
#[derive(Clone)]
pub struct Db {
    pub pool: DbPool,
    pub backend: Backend,
    /// The URL without its password, for messages.
    pub shown_url: String,
}

impl Db {
    /// A connection from the pool (blocking: call it inside `web::block` or a blocking task).
    pub fn conn(&self) -> Result<PooledConn, r2d2::PoolError> {
        self.pool.get()
    }

    /// The pool's limit, its open connections and how many of them are idle.
    pub fn pool_state(&self) -> (u32, u32, u32) {
        let st = self.pool.state();
        (self.pool.max_size(), st.connections, st.idle_connections)
    }

    /// Applies pending migrations; returns how many ran.
    pub fn migrate(&self) -> Result<usize, DbSetupError> {
        let mut conn = self.pool.get().map_err(|e| DbSetupError::Connect {
            url: self.shown_url.clone(),
            message: e.to_string(),
        })?;
        migrate(&mut conn).map_err(|message| DbSetupError::Migrate {
            url: self.shown_url.clone(),
            message,
        })
    }
}

/// Opens the pool, checking that the database answers; the error names the URL without its password.
pub fn connect(url: &str, max_connections: u32, timeout: Duration) -> Result<Db, DbSetupError> {
    connect_with(url, max_connections, timeout, SqliteSynchronous::Full)
}

/// `connect` with SQLite's durability setting (`database.sqlite_synchronous`).
pub fn connect_with(
    url: &str,
    max_connections: u32,
    timeout: Duration,
    synchronous: SqliteSynchronous,
) -> Result<Db, DbSetupError> {
    let manager = ConnectionManager::new(url)?.with_synchronous(synchronous);
    let shown = manager.display_url();
    let backend = manager.backend();
    // One probe connection first: r2d2's own error on timeout hides the cause.
    manager.connect().map_err(|e| DbSetupError::Connect {
        url: shown.clone(),
        message: scrub(&e.to_string(), url),
    })?;
    let pool = Pool::builder()
        .max_size(max_connections)
        // No idle minimum: r2d2 would keep it by opening connections on its own threads at
        // any moment, and a one-shot command (migrate, sweep --once) exiting while one of them
        // is in the middle of its TLS handshake crashes in libcrypto's exit handlers.
        // Connections are opened when asked for, and kept while they are used.
        .min_idle(Some(0))
        .connection_timeout(timeout)
        .test_on_check_out(false)
        .build(manager)
        .map_err(|e| DbSetupError::Connect {
            url: shown.clone(),
            message: scrub(&e.to_string(), url),
        })?;
    Ok(Db {
        pool,
        backend,
        shown_url: shown,
    })
}

/// Applies pending migrations of the connection's backend; returns how many ran.
pub fn migrate(conn: &mut DbConn) -> Result<usize, String> {
    let result = match conn {
        DbConn::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
        DbConn::Postgres(c) => {
            // Replicas starting together: one migrates, the others wait, then find nothing to do.
            c.batch_execute("SELECT pg_advisory_lock(7420001)")
                .map_err(|e| e.to_string())?;
            let r = c
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|v| v.len());
            let _ = c.batch_execute("SELECT pg_advisory_unlock(7420001)");
            r
        }
    };
    result.map_err(|e| e.to_string())
}

/// Never let a password from the URL reach a message.
fn scrub(message: &str, url: &str) -> String {
    match url::Url::parse(url)
        .ok()
        .and_then(|u| u.password().map(str::to_owned))
    {
        Some(pw) if !pw.is_empty() => message.replace(&pw, "***"),
        _ => message.to_owned(),
    }
}

/// Runs `f` in a write transaction. On SQLite it starts with `BEGIN IMMEDIATE`, so that a
/// transaction that reads before it writes cannot fail with SQLITE_BUSY halfway through.
pub fn write_tx<T, E>(
    conn: &mut DbConn,
    f: impl FnOnce(&mut DbConn) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    match conn {
        DbConn::Postgres(_) => conn.transaction(f),
        DbConn::Sqlite(c) => {
            // SQLite has one writer at a time. Writers of this process queue here rather than in
            // SQLite's busy handler, which sleeps in growing steps (up to 100 ms each) and gave
            // writes a tail of a second under 64 clients. Another process on the same file still
            // meets the busy handler. (A process serves one database; nothing nests here, since
            // SQLite refuses a transaction inside a transaction.)
            static WRITER: std::sync::Mutex<()> = std::sync::Mutex::new(());
            let _writer = WRITER
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
            let result = f(conn);
            let DbConn::Sqlite(c) = conn else {
                unreachable_backend()
            };
            match result {
                Ok(value) => {
                    if let Err(e) = <AnsiTransactionManager as TransactionManager<
                        diesel::SqliteConnection,
                    >>::commit_transaction(c)
                    {
                        let _ = <AnsiTransactionManager as TransactionManager<
                            diesel::SqliteConnection,
                        >>::rollback_transaction(c);
                        return Err(e.into());
                    }
                    Ok(value)
                }
                Err(e) => {
                    <AnsiTransactionManager as TransactionManager<diesel::SqliteConnection>>::rollback_transaction(c)?;
                    Err(e)
                }
            }
        }
    }
}

#[cold]
fn unreachable_backend() -> ! {
    // `f` gets `&mut DbConn` and cannot replace the connection with one of another backend.
    panic!("connection changed backend inside a transaction")
}

/// Writes a consistent copy of a SQLite database to `to` while others keep reading and writing
/// it (`VACUUM INTO` reads one snapshot, inside a read transaction, and writes it compacted);
/// returns the copy's size. The copy is a plain database file with no `-wal` beside it.
pub fn backup_sqlite(db: &Db, to: &std::path::Path) -> anyhow::Result<u64> {
    let mut conn = db.conn()?;
    let DbConn::Sqlite(c) = &mut *conn else {
        anyhow::bail!("backup copies SQLite databases only");
    };
    let path = to.to_string_lossy();
    if path.contains('\0') {
        anyhow::bail!("the backup path contains a NUL character");
    }
    let quoted = path.replace('\'', "''");
    if let Err(e) = c.batch_execute(&format!("VACUUM INTO '{quoted}'")) {
        let _ = std::fs::remove_file(to);
        anyhow::bail!("cannot write {}: {e}", to.display());
    }
    Ok(std::fs::metadata(to)?.len())
}

/// Keys of the transaction-scoped advisory locks that keep one process at a time in a job.
pub mod locks {
    pub const SWEEP: i64 = 7420003;
    pub const CALENDAR_IMPORT: i64 = 7420004;
    pub const FEED: i64 = 7420005;
    pub const OFFICE_TREE: i64 = 7420201;
}

/// Inside a write transaction: wait until no other process holds `key`, until commit. On
/// PostgreSQL an advisory lock; SQLite's immediate transaction already excludes other writers.
pub fn exclusive(conn: &mut DbConn, key: i64) -> Result<(), diesel::result::Error> {
    if let DbConn::Postgres(c) = conn {
        c.batch_execute(&format!("SELECT pg_advisory_xact_lock({key})"))?;
    }
    Ok(())
}

/// The current instant at the precision both backends store (microseconds).
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// UTC instant → the naive UTC value stored in the database.
pub fn to_db(t: DateTime<Utc>) -> NaiveDateTime {
    t.trunc_subsecs(6).naive_utc()
}

/// Stored naive UTC value → instant.
pub fn from_db(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

/// Whether an error is a unique-constraint violation (a conflict the client can act on).
pub fn is_unique_violation(e: &diesel::result::Error) -> bool {
    matches!(
        e,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}

pub fn is_foreign_key_violation(e: &diesel::result::Error) -> bool {
    matches!(
        e,
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::ForeignKeyViolation,
            _
        )
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    /// The bundled SQLite keeps one plan per statement (`.cargo/config.toml`); without it every
    /// point read is parsed and planned again at each execution.
    #[test]
    fn sqlite_is_built_with_the_planner_stability_guarantee() -> TestResult {
        #[derive(QueryableByName)]
        struct Opt {
            #[diesel(sql_type = diesel::sql_types::Text)]
            compile_options: String,
        }
        let mut c = diesel::SqliteConnection::establish(":memory:")?;
        let opts: Vec<Opt> = diesel::sql_query("PRAGMA compile_options").load(&mut c)?;
        assert!(
            opts.iter().any(|o| o.compile_options == "ENABLE_QPSG"),
            "{:?}",
            opts.iter().map(|o| &o.compile_options).collect::<Vec<_>>()
        );
        Ok(())
    }

    #[test]
    fn unknown_schemes_are_refused_without_the_password() {
        let err = ConnectionManager::new("mysql://root:hunter2@localhost/x")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("sqlite://") && !err.contains("hunter2"),
            "{err}"
        );
    }

    #[test]
    fn an_unreachable_postgres_names_the_url_but_not_the_password() -> TestResult {
        let err = connect(
            "postgres://app:hunter2@127.0.0.1:1/motcua",
            1,
            Duration::from_secs(2),
        )
        .err()
        .ok_or("nothing listens on port 1")?
        .to_string();
        assert!(
            err.contains("127.0.0.1:1") && !err.contains("hunter2"),
            "{err}"
        );
        Ok(())
    }

    #[test]
    fn sqlite_creates_the_file_and_its_folder_and_migrates_twice_idempotently() -> TestResult {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("nested/deeper/motcua.db");
        let pool = connect(
            &format!("sqlite://{}", path.display()),
            2,
            Duration::from_secs(5),
        )?;
        assert!(pool.migrate()? > 0);
        assert_eq!(pool.migrate()?, 0);
        assert!(path.is_file());
        Ok(())
    }

    #[test]
    fn sqlite_write_transactions_commit_and_roll_back() -> TestResult {
        let dir = tempfile::tempdir()?;
        let pool = connect(
            &format!("sqlite://{}/t.db", dir.path().display()),
            2,
            Duration::from_secs(5),
        )?;
        pool.migrate()?;
        let mut conn = pool.conn()?;
        let insert = |conn: &mut DbConn, code: &str| {
            diesel::insert_into(schema::offices::table)
                .values((
                    schema::offices::code.eq(code),
                    schema::offices::name.eq("x"),
                    schema::offices::created_at.eq(to_db(now())),
                ))
                .execute(conn)
        };
        write_tx(&mut conn, |c| insert(c, "A"))?;
        let failed: Result<(), diesel::result::Error> = write_tx(&mut conn, |c| {
            insert(c, "B")?;
            Err(diesel::result::Error::RollbackTransaction)
        });
        assert!(failed.is_err());
        let codes: Vec<String> = schema::offices::table
            .select(schema::offices::code)
            .load(&mut *conn)?;
        assert_eq!(codes, ["A"]);
        Ok(())
    }
}
