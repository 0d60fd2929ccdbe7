//! Background jobs inside `serve` (and `motcua sweep --once`): the deadline sweep, then delivery
//! of the outbox: emails over SMTP, webhooks over HTTP.

use std::time::Duration;

use tokio::sync::watch;

use crate::api::AppState;
use crate::db;
use crate::error::AppError;
use crate::mail::{Email, Mailer};
use crate::store::outbox::{self, OutboxRow};
use crate::store::sweep::{self, SweepReport, SweepSettings};

/// Messages claimed per batch: small enough that a lease never outlives a batch's sending.
const BATCH: i64 = 50;
/// Emails sent at once by one process.
pub const IN_FLIGHT: usize = 16;

/// What one run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunReport {
    pub sweep: SweepReport,
    pub sent: usize,
    pub failed_attempts: usize,
}

/// The outbox's channels this worker delivers on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Channel {
    Email,
    Webhook,
}

/// A worker: its identity (for leases) and a transport per channel.
#[derive(Clone)]
pub struct Worker {
    pub state: AppState,
    pub mailer: Mailer,
    pub webhooks: crate::webhooks::WebhookTransport,
    /// The national portal's transport, when synchronisation is on.
    pub national: Option<crate::national::NationalTransport>,
    pub owner: String,
}

impl Worker {
    pub fn new(state: AppState) -> Result<Self, String> {
        let mailer = Mailer::from_settings(&state.settings.smtp)?;
        let webhooks = crate::webhooks::WebhookTransport::new(&state.settings.webhooks)?;
        let national = crate::national::NationalTransport::new(&state.settings.national_portal)?;
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "motcua".into());
        let owner = format!(
            "{host}:{}:{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        );
        Ok(Self {
            state,
            mailer,
            webhooks,
            national,
            owner,
        })
    }

    /// The sweep, then delivery of everything due, until nothing is left or `stop` is raised.
    pub async fn run_once(&self, stop: &watch::Receiver<bool>) -> Result<RunReport, AppError> {
        let st = self.state.clone();
        let settings = SweepSettings {
            apology_extension: st.settings.apology.extension,
            due_soon: st.settings.deadlines.due_soon,
            default_reason: st.settings.forms.apology.default_reason.clone(),
        };
        let started = std::time::Instant::now();
        let result = self
            .state
            .db(move |conn| {
                let cals = st.current_calendar(conn)?;
                sweep::sweep(conn, &cals, &settings, db::now())
            })
            .await;
        crate::metrics::observe_sweep(
            started.elapsed().as_secs_f64(),
            result.as_ref().ok().map(|r| r.letters),
        );
        let report = result?;
        let mut run = RunReport {
            sweep: report,
            ..RunReport::default()
        };
        if self.mailer.is_configured() {
            self.drain(stop, Channel::Email, &mut run).await?;
        }
        self.drain(stop, Channel::Webhook, &mut run).await?;
        Ok(run)
    }

    /// Delivers everything due on one channel, batch by batch.
    async fn drain(
        &self,
        stop: &watch::Receiver<bool>,
        channel: Channel,
        run: &mut RunReport,
    ) -> Result<(), AppError> {
        let webhooks = channel == Channel::Webhook;
        loop {
            if *stop.borrow() {
                break;
            }
            let owner = self.owner.clone();
            let lease = self.state.settings.outbox.lease_secs as i64;
            let batch = self
                .state
                .db(move |conn| outbox::claim(conn, &owner, db::now(), lease, BATCH, webhooks))
                .await?;
            if batch.is_empty() {
                break;
            }
            // Several messages in flight: each exchange spends most of its time waiting on the
            // network (lettre's pool keeps a connection per sender, reqwest one per host).
            let mut stopped = false;
            for chunk in batch.chunks(IN_FLIGHT) {
                if *stop.borrow() {
                    stopped = true;
                    break;
                }
                for outcome in
                    futures_util::future::join_all(chunk.iter().map(|row| self.deliver(row))).await
                {
                    if outcome? {
                        run.sent += 1;
                    } else {
                        run.failed_attempts += 1;
                    }
                }
            }
            if stopped {
                // Give back what this run did not send, so another process takes it at once.
                let owner = self.owner.clone();
                let _ = self
                    .state
                    .db(move |conn| outbox::release(conn, &owner))
                    .await;
                return Ok(());
            }
        }
        Ok(())
    }

    /// What a message says: as stored, or for an apology letter its Mẫu 04 rendered now from
    /// the letter (text, HTML and the PDF attached).
    async fn render(&self, row: &OutboxRow) -> Result<Email, String> {
        let Some(letter_id) = row.rendered_at_delivery() else {
            return Ok(row.email());
        };
        let st = self.state.clone();
        let found = self
            .state
            .db(move |conn| crate::store::forms::letter_facts(conn, &st.catalog, letter_id, None))
            .await
            .map_err(|e| format!("cannot read letter {letter_id}: {}", e.cause()))?;
        let Some((letter, dossier)) = found else {
            return Err(format!("letter {letter_id} no longer exists"));
        };
        let settings = self.state.settings.clone();
        let tz = self.state.calendar().timezone();
        actix_web::web::block(move || {
            let base_url = settings.public_base_url();
            let ctx = crate::forms::FormContext {
                texts: &settings.forms,
                tz,
                base_url: &base_url,
            };
            crate::mail::apology(&letter, &dossier, &ctx)
        })
        .await
        .map_err(|e| e.to_string())?
    }

    /// Sends one message and records the outcome; true when it was sent.
    async fn deliver(&self, row: &OutboxRow) -> Result<bool, AppError> {
        let result = if row.kind == crate::store::webhooks::KIND {
            let outcome = self.webhooks.deliver(&self.state, row.id).await?;
            crate::metrics::observe_webhook(outcome.delivered);
            match outcome.error {
                None => Ok(()),
                Some(e) => Err(e),
            }
        } else if row.kind == crate::store::webhooks::NATIONAL_KIND {
            match &self.national {
                Some(n) => n.deliver(&self.state, row.id).await?,
                None => Err("national_portal.url is not set".to_owned()),
            }
        } else {
            self.send_email(row).await
        };
        self.record(row, result).await
    }

    async fn send_email(&self, row: &OutboxRow) -> Result<(), String> {
        let result = match self.render(row).await {
            Ok(email) => {
                self.mailer
                    .send(&row.recipient, &row.message_id, &email)
                    .await
            }
            Err(e) => Err(e),
        };
        crate::metrics::observe_email(result.is_ok());
        result
    }

    /// Records an attempt's outcome on the outbox row (only the lease holder's word counts).
    async fn record(&self, row: &OutboxRow, result: Result<(), String>) -> Result<bool, AppError> {
        let (owner, row2) = (self.owner.clone(), row.clone());
        let outbox_settings = self.state.settings.outbox.clone();
        let ok = result.is_ok();
        self.state
            .db(move |conn| match result {
                Ok(()) => outbox::mark_sent(conn, &row2, &owner, db::now()),
                Err(e) => {
                    tracing::warn!(outbox_id = row2.id, kind = %row2.kind, attempts = row2.attempts + 1, error = %e, "message not delivered");
                    outbox::mark_failed(
                        conn,
                        &row2,
                        &owner,
                        &e,
                        db::now(),
                        outbox_settings.retry_base_secs,
                        outbox_settings.max_attempts,
                    )
                }
            })
            .await?;
        Ok(ok)
    }

    /// Gives back every lease this worker holds (on shutdown).
    pub async fn release_all(&self) {
        let owner = self.owner.clone();
        if let Err(e) = self
            .state
            .db(move |conn| outbox::release(conn, &owner))
            .await
        {
            tracing::warn!(error = %e, "could not release outbox leases");
        }
    }

    /// Runs every `jobs.sweep_interval_secs` until `stop` is raised.
    pub async fn run_forever(self, mut stop: watch::Receiver<bool>) {
        let interval = Duration::from_secs(self.state.settings.jobs.sweep_interval_secs);
        loop {
            let started = std::time::Instant::now();
            match self.run_once(&stop).await {
                Ok(r) => {
                    if r != RunReport::default() {
                        tracing::info!(
                            letters = r.sweep.letters,
                            escalated = r.sweep.escalated,
                            warned = r.sweep.warned,
                            sent = r.sent,
                            failed_attempts = r.failed_attempts,
                            ms = started.elapsed().as_millis() as u64,
                            "sweep"
                        );
                    }
                }
                Err(e) => tracing::warn!(error = %e, "sweep failed; retrying at the next interval"),
            }
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = stop.changed() => {}
            }
            if *stop.borrow() {
                break;
            }
        }
        self.release_all().await;
    }
}
