//! Background jobs inside `serve` (and `motcua sweep --once`): the deadline sweep, then delivery
//! of the outbox — one worker, a transport per channel (SMTP, the SMS gateway, Zalo ZNS,
//! webhooks over HTTP).

use std::time::Duration;

use tokio::sync::watch;

use crate::api::AppState;
use crate::db;
use crate::error::AppError;
use crate::mail::{Email, Mailer};
use crate::notify::Outcome;
use crate::notify::render::{self, Facts, Message};
use crate::notify::sms::SmsGateway;
use crate::notify::zalo::ZaloGateway;
use crate::store::outbox::{self, OutboxRow};
use crate::store::sweep::{self, SweepReport, SweepSettings};

/// Messages claimed per batch: small enough that a lease never outlives a batch's sending.
const BATCH: i64 = 50;
/// Messages sent at once by one process.
pub const IN_FLIGHT: usize = 16;

/// What one run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunReport {
    pub sweep: SweepReport,
    pub sent: usize,
    pub failed_attempts: usize,
}

/// A worker: its identity (for leases) and a transport per channel it can send on.
#[derive(Clone)]
pub struct Worker {
    pub state: AppState,
    pub mailer: Mailer,
    pub sms: Option<SmsGateway>,
    pub zalo: Option<ZaloGateway>,
    pub webhooks: crate::webhooks::WebhookTransport,
    /// The national portal's transport, when synchronisation is on.
    pub national: Option<crate::national::NationalTransport>,
    pub owner: String,
}

impl Worker {
    pub fn new(state: AppState) -> Result<Self, String> {
        let mailer = Mailer::from_settings(&state.settings.smtp)?;
        let sms = SmsGateway::from_settings(&state.settings.sms)?;
        let zalo = ZaloGateway::from_settings(&state.settings.zalo)?;
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
            sms,
            zalo,
            webhooks,
            national,
            owner,
        })
    }

    /// The channels this worker has a transport for; the others' messages wait in the outbox.
    pub fn channels(&self) -> Vec<&'static str> {
        let mut c = Vec::new();
        if self.mailer.is_configured() {
            c.push("email");
        }
        if self.sms.is_some() {
            c.push("sms");
        }
        if self.zalo.is_some() {
            c.push("zalo");
        }
        c
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
        self.deliver_due(stop, &mut run).await?;
        Ok(run)
    }

    /// Delivers everything due on the channels this worker has a transport for, the webhooks
    /// and the national portal, until nothing is left or `stop` is raised. A read finds first
    /// whether anything is due, so that calling this often costs one cheap query.
    pub async fn deliver_due(
        &self,
        stop: &watch::Receiver<bool>,
        run: &mut RunReport,
    ) -> Result<(), AppError> {
        let channels = self.channels();
        let looked = channels.clone();
        let due = self
            .state
            .read(move |conn| outbox::any_due(conn, &looked, db::now()))
            .await?;
        if !due {
            return Ok(());
        }
        if !channels.is_empty() {
            self.drain(stop, &channels, false, run).await?;
        }
        self.drain(stop, &[], true, run).await
    }

    /// Delivers everything due on the citizens' `channels`, or the webhook deliveries, batch by
    /// batch.
    async fn drain(
        &self,
        stop: &watch::Receiver<bool>,
        channels: &[&'static str],
        webhooks: bool,
        run: &mut RunReport,
    ) -> Result<(), AppError> {
        loop {
            if *stop.borrow() {
                break;
            }
            let owner = self.owner.clone();
            let lease = self.state.settings.outbox.lease_secs as i64;
            let channels = channels.to_vec();
            let batch = self
                .state
                .db(move |conn| {
                    outbox::claim(conn, &owner, &channels, db::now(), lease, BATCH, webhooks)
                })
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

    /// The facts a message is rendered from, read now: its letter, its dossier, a digest's
    /// lines, or (rows queued before messages were rendered at delivery) its stored text.
    async fn facts(&self, row: &OutboxRow) -> Result<Facts, Outcome> {
        let data = row.data();
        let letter_id = row
            .letter_id
            .or_else(|| data.get("letter_id").and_then(serde_json::Value::as_i64))
            .filter(|_| row.kind == outbox::APOLOGY);
        if let Some(letter_id) = letter_id {
            let st = self.state.clone();
            let found = self
                .state
                .db(move |conn| {
                    crate::store::forms::letter_facts(conn, &st.catalog, letter_id, None)
                })
                .await
                .map_err(|e| {
                    Outcome::Retry(format!("cannot read letter {letter_id}: {}", e.cause()))
                })?;
            return match found {
                Some((l, d)) => Ok(Facts::Letter(Box::new((l, d)))),
                None => Err(Outcome::GiveUp(format!(
                    "letter {letter_id} no longer exists"
                ))),
            };
        }
        if !row.subject.is_empty() {
            return Ok(Facts::Stored(Email {
                subject: row.subject.clone(),
                text: row.body_text.clone(),
                html: row.body_html.clone(),
                attachments: Vec::new(),
            }));
        }
        if let Some(f) = render::digest_facts(&data) {
            return Ok(f);
        }
        let Some(code) = row.dossier_code.clone() else {
            return Err(Outcome::GiveUp(format!(
                "message {} names no dossier",
                row.id
            )));
        };
        let st = self.state.clone();
        let c = code.clone();
        let found = self
            .state
            .db(move |conn| {
                crate::store::forms::dossier_facts(conn, &st.catalog, &c, &crate::authz::Scope::All)
            })
            .await
            .map_err(|e| Outcome::Retry(format!("cannot read dossier {code}: {}", e.cause())))?;
        match found {
            Some(f) => Ok(Facts::Dossier(Box::new(f))),
            None => Err(Outcome::GiveUp(format!("dossier {code} no longer exists"))),
        }
    }

    /// The row's facts with what only delivery adds. A `result_returned` message gets a fresh
    /// personal rating link: the token is minted here (256 random bits, base64url), only its
    /// SHA-256 is stored in `rating_links` (expiring `rating.valid_days` after the return), and
    /// the token itself travels in the message and nowhere else, never in the outbox row. A
    /// retried attempt mints another link; each stays valid until the dossier is rated or the
    /// link expires. A `complaint_answer` message gets the answer, read now.
    async fn facts_of_the_moment(&self, row: &OutboxRow) -> Result<serde_json::Value, Outcome> {
        let mut data = row.data();
        match row.kind.as_str() {
            "result_returned" => {
                let Some(dossier_id) = row.dossier_id else {
                    return Err(Outcome::GiveUp(format!(
                        "message {} names no dossier",
                        row.id
                    )));
                };
                let returned_at = data
                    .get("returned_at")
                    .and_then(|v| {
                        serde_json::from_value::<chrono::DateTime<chrono::Utc>>(v.clone()).ok()
                    })
                    .unwrap_or_else(|| db::from_db(row.created_at));
                let expires_at = crate::domain::satisfaction::link_expires_at(
                    returned_at,
                    self.state.settings.rating.valid_days,
                );
                let token = self
                    .state
                    .db(move |conn| {
                        crate::store::ratings::mint(conn, dossier_id, expires_at, db::now())
                    })
                    .await
                    .map_err(|e| {
                        Outcome::Retry(format!("cannot mint the rating link: {}", e.cause()))
                    })?;
                let url = crate::domain::satisfaction::rating_url(
                    &self.state.settings.public_base_url(),
                    &token,
                );
                if let Some(o) = data.as_object_mut() {
                    o.insert("rating_url".into(), url.into());
                }
            }
            crate::store::notices::COMPLAINT_ANSWER => {
                let Some(id) = data.get("complaint_id").and_then(serde_json::Value::as_i64) else {
                    return Err(Outcome::GiveUp(format!(
                        "message {} names no complaint",
                        row.id
                    )));
                };
                let found = self
                    .state
                    .db(move |conn| crate::store::complaints::find(conn, id))
                    .await
                    .map_err(|e| {
                        Outcome::Retry(format!("cannot read complaint {id}: {}", e.cause()))
                    })?;
                let Some(c) = found else {
                    return Err(Outcome::GiveUp(format!("complaint {id} no longer exists")));
                };
                if let Some(o) = data.as_object_mut() {
                    o.insert("answer".into(), c.answer.unwrap_or_default().into());
                    o.insert("complaint_kind".into(), c.kind.into());
                }
            }
            _ => {}
        }
        Ok(data)
    }

    /// Renders the message for its channel (forms and PDFs off the async threads) and hands it
    /// to the channel's transport.
    async fn attempt(&self, row: &OutboxRow) -> Outcome {
        let facts = match self.facts(row).await {
            Ok(f) => f,
            Err(o) => return o,
        };
        let data = match self.facts_of_the_moment(row).await {
            Ok(d) => d,
            Err(o) => return o,
        };
        let settings = self.state.settings.clone();
        let tz = self.state.calendar().timezone();
        let (kind, channel) = (row.kind.clone(), row.channel.clone());
        let rendered = actix_web::web::block(move || {
            let base_url = settings.public_base_url();
            let ctx = render::Context {
                forms: crate::forms::FormContext {
                    texts: &settings.forms,
                    tz,
                    base_url: &base_url,
                },
                sms: &settings.sms,
                zalo: &settings.zalo,
            };
            render::render(&kind, &channel, &data, &facts, &ctx)
        })
        .await;
        let message = match rendered {
            Ok(Ok(m)) => m,
            Ok(Err(o)) => return o,
            Err(e) => return Outcome::Retry(e.to_string()),
        };
        match (message, &self.sms, &self.zalo) {
            (Message::Email(email), _, _) => {
                match self
                    .mailer
                    .send(&row.recipient, &row.message_id, &email)
                    .await
                {
                    Ok(()) => Outcome::Sent,
                    Err(e) => Outcome::Retry(e),
                }
            }
            (Message::Sms(text), Some(sms), _) => {
                sms.send(&row.recipient, &text, &row.message_id).await
            }
            (
                Message::Zalo {
                    template_id,
                    template_data,
                },
                _,
                Some(zalo),
            ) => {
                zalo.send(
                    &row.recipient,
                    &template_id,
                    &template_data,
                    &row.message_id,
                )
                .await
            }
            _ => Outcome::Retry(format!("no transport for {} here", row.channel)),
        }
    }

    /// Sends one message and records the outcome; true when it was sent.
    async fn deliver(&self, row: &OutboxRow) -> Result<bool, AppError> {
        let outcome = if row.kind == crate::store::webhooks::KIND {
            let o = self.webhooks.deliver(&self.state, row.id).await?;
            crate::metrics::observe_webhook(o.delivered);
            match o.error {
                None => Outcome::Sent,
                Some(e) => Outcome::Retry(e),
            }
        } else if row.kind == crate::store::webhooks::NATIONAL_KIND {
            match &self.national {
                Some(n) => match n.deliver(&self.state, row.id).await? {
                    Ok(()) => Outcome::Sent,
                    Err(e) => Outcome::Retry(e),
                },
                None => Outcome::Retry("national_portal.url is not set".to_owned()),
            }
        } else {
            self.attempt(row).await
        };
        let (owner, row2) = (self.owner.clone(), row.clone());
        let outbox_settings = self.state.settings.outbox.clone();
        let ok = outcome == Outcome::Sent;
        if row.channel == "email" {
            crate::metrics::observe_email(ok);
        }
        self.state
            .db(move |conn| match outcome {
                Outcome::Sent => outbox::mark_sent(conn, &row2, &owner, db::now()),
                Outcome::Skip(reason) => outbox::mark_skipped(conn, &row2, &owner, &reason),
                outcome @ (Outcome::Retry(_) | Outcome::GiveUp(_)) => {
                    let (e, permanent) = match outcome {
                        Outcome::GiveUp(e) => (e, true),
                        Outcome::Retry(e) | Outcome::Skip(e) => (e, false),
                        Outcome::Sent => (String::new(), false),
                    };
                    tracing::warn!(outbox_id = row2.id, kind = %row2.kind, channel = %row2.channel, attempts = row2.attempts + 1, error = %e, "message not sent");
                    outbox::mark_unsent(
                        conn,
                        &row2,
                        &owner,
                        &e,
                        permanent,
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

    /// Until `stop` is raised: the sweep every `jobs.sweep_interval_secs`, and between sweeps the
    /// outbox's due messages every `jobs.delivery_interval_ms`, so that a citizen's message, a
    /// webhook or a portal record leaves within about that long of its commit.
    pub async fn run_forever(self, mut stop: watch::Receiver<bool>) {
        let sweep_every = Duration::from_secs(self.state.settings.jobs.sweep_interval_secs);
        let deliver_every =
            Duration::from_millis(self.state.settings.jobs.delivery_interval_ms).min(sweep_every);
        let mut next_sweep = tokio::time::Instant::now();
        loop {
            let started = std::time::Instant::now();
            if tokio::time::Instant::now() >= next_sweep {
                next_sweep = tokio::time::Instant::now() + sweep_every;
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
                    Err(e) => {
                        tracing::warn!(error = %e, "sweep failed; retrying at the next interval")
                    }
                }
            } else {
                let mut run = RunReport::default();
                match self.deliver_due(&stop, &mut run).await {
                    Ok(()) if run != RunReport::default() => tracing::debug!(
                        sent = run.sent,
                        failed_attempts = run.failed_attempts,
                        ms = started.elapsed().as_millis() as u64,
                        "delivery"
                    ),
                    Ok(()) => {}
                    Err(e) => tracing::warn!(error = %e, "delivery failed; retrying shortly"),
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(deliver_every) => {}
                _ = stop.changed() => {}
            }
            if *stop.borrow() {
                break;
            }
        }
        self.release_all().await;
    }
}
