//! The delivery worker's rounds. A round fans new outbox events out to the endpoints subscribed
//! to them, then claims due messages (leased, so each attempt is made by one process; a process
//! that dies mid-attempt leaves the message to whoever claims it after the lease) and sends each
//! on a task of its own, so a receiver that hangs holds up nothing but its own attempt. Every
//! attempt of one message carries the message's id as `webhook-id`.

use super::{sign, target};
use crate::{ServiceError, ServiceResult, Services, telemetry};
use dialnexa_domain::WebhookId;
use dialnexa_domain::format_time;
use dialnexa_store::{AttemptOutcome, WebhookAttempt, WebhookMessage, WebhookRecord};
use jiff::{SignedDuration, Timestamp};
use rand::Rng;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, Semaphore};

/// The wait after the 1st, 2nd, … failed attempt; after the last the message has failed.
pub const RETRY_SCHEDULE: [Duration; 7] = [
    Duration::from_secs(5),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 3600),
    Duration::from_secs(5 * 3600),
    Duration::from_secs(10 * 3600),
    Duration::from_secs(10 * 3600),
];
/// An endpoint whose every attempt failed for this long is turned off.
pub const DISABLE_AFTER: SignedDuration = SignedDuration::from_hours(5 * 24);
/// One attempt's whole budget: connecting, sending, and the receiver's answer.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// A claimed message is another process's to take once its lease runs out.
const LEASE: SignedDuration = SignedDuration::from_secs(30);
const FAN_OUT_BATCH: u32 = 500;
const MAX_IN_FLIGHT: usize = 256;

/// What a process's worker shares with the use cases: the wake-up, the HTTP client, and the
/// bound on attempts in flight.
pub(crate) struct Dispatch {
    wake: Arc<Notify>,
    client: reqwest::Client,
    in_flight: Arc<Semaphore>,
    /// The last claim took all it could: a finished attempt should start another round.
    saturated: AtomicBool,
}

impl Dispatch {
    pub(crate) fn new(allow_private: bool) -> Self {
        let client = reqwest::Client::builder()
            .timeout(ATTEMPT_TIMEOUT)
            .connect_timeout(ATTEMPT_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(Arc::new(target::PublicResolver { allow_private }))
            .user_agent(concat!("DialNexa-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        Dispatch {
            wake: Arc::new(Notify::new()),
            client,
            in_flight: Arc::new(Semaphore::new(MAX_IN_FLIGHT)),
            saturated: AtomicBool::new(false),
        }
    }
}

/// The body every attempt of `m` sends: `{"type", "timestamp", "data"}`.
pub fn body(m: &WebhookMessage) -> String {
    let data: serde_json::Value =
        serde_json::from_str(&m.payload).unwrap_or(serde_json::Value::Null);
    serde_json::json!({
        "type": m.event_type,
        "timestamp": format_time(m.created_at),
        "data": data,
    })
    .to_string()
}

fn jittered(wait: Duration) -> SignedDuration {
    let factor = rand::rng().random_range(0.9..1.1);
    SignedDuration::try_from(wait.mul_f64(factor)).unwrap_or(SignedDuration::MAX)
}

impl Services {
    /// Start a delivery round at once: call after committing anything that wrote an event.
    pub fn wake_webhooks(&self) {
        self.webhooks.wake.notify_one();
    }

    /// What the worker waits on between rounds.
    pub fn webhook_wakeup(&self) -> Arc<Notify> {
        self.webhooks.wake.clone()
    }

    /// One round: fan out new events, claim the due messages there is room for, and start
    /// their attempts. Answers how many attempts it started.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn deliver_webhooks(&self) -> ServiceResult<usize> {
        let now = self.clock.now();
        while self.store.fan_out_events(now, FAN_OUT_BATCH).await? == u64::from(FAN_OUT_BATCH) {}
        let room = self.webhooks.in_flight.available_permits();
        if room == 0 {
            self.webhooks.saturated.store(true, Ordering::Relaxed);
            return Ok(0);
        }
        let until = now.checked_add(LEASE).unwrap_or(now);
        let claimed = self
            .store
            .claim_webhook_messages(now, until, room as u32)
            .await?;
        self.webhooks
            .saturated
            .store(claimed.len() == room, Ordering::Relaxed);
        let started = claimed.len();
        // Each endpoint read once per round, not once per message.
        let mut endpoints: HashMap<WebhookId, Option<Arc<WebhookRecord>>> = HashMap::new();
        for message in claimed {
            let webhook = match endpoints.get(&message.webhook_id) {
                Some(known) => known.clone(),
                None => {
                    let read = match self.store.webhook_by_id(&message.webhook_id).await {
                        Ok(found) => found.map(Arc::new),
                        Err(e) => {
                            // Left leased: the next claim after the lease tries again.
                            tracing::warn!(error = %e, "webhook delivery: reading the endpoint failed");
                            continue;
                        }
                    };
                    endpoints.insert(message.webhook_id.clone(), read.clone());
                    read
                }
            };
            // Deleted with its messages.
            let Some(webhook) = webhook else { continue };
            let permit = self.webhooks.in_flight.clone().acquire_owned().await;
            let services = self.clone();
            tokio::spawn(async move {
                services.attempt(&webhook, message).await;
                drop(permit);
                if services.webhooks.saturated.load(Ordering::Relaxed) {
                    services.wake_webhooks();
                }
            });
        }
        Ok(started)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(message = %m.id))]
    async fn attempt(&self, webhook: &WebhookRecord, m: WebhookMessage) {
        let attempted_at = self.clock.now();
        let started = Instant::now();
        let result = if webhook.is_active {
            self.send(webhook, &m).await
        } else {
            Err((None, "the endpoint is disabled".to_owned()))
        };
        let duration_ms = started.elapsed().as_millis() as u64;
        let (status_code, error) = match &result {
            Ok(code) => (Some(*code), None),
            Err((code, e)) => (*code, Some(e.clone())),
        };
        let delivered = result.is_ok();
        let retry = RETRY_SCHEDULE
            .get((m.attempts as usize).saturating_sub(1))
            .filter(|_| !delivered && webhook.is_active);
        let now = self.clock.now();
        let (status, next) = match (delivered, retry) {
            (true, _) => ("delivered", None),
            (false, Some(wait)) => ("pending", now.checked_add(jittered(*wait)).ok()),
            (false, None) => ("failed", None),
        };
        telemetry::webhook_delivery(match status {
            "delivered" => "delivered",
            "pending" => "failed",
            _ => "gave_up",
        });
        let outcome = AttemptOutcome {
            webhook_id: webhook.id.clone(),
            attempt: WebhookAttempt {
                message_id: m.id.clone(),
                attempt: m.attempts,
                attempted_at,
                status_code,
                duration_ms,
                error,
            },
            status,
            next_attempt_at: next,
            disable_if_failing_since: now.checked_sub(DISABLE_AFTER).unwrap_or(now),
            disabled_note: format!(
                "webhook.disabled: every delivery failed for 5 days; turned off at {}. \
                 Set is_active to true to turn it on again.",
                format_time(now)
            ),
        };
        if let Err(e) = self.store.record_webhook_attempt(&outcome).await {
            tracing::warn!(error = %e, "webhook delivery: recording the attempt failed");
        }
    }

    /// One POST; `Ok(status)` for a 2xx answer, else the status (if any) and what went wrong.
    async fn send(
        &self,
        w: &WebhookRecord,
        m: &WebhookMessage,
    ) -> Result<u16, (Option<u16>, String)> {
        let internal = |e: ServiceError| (None, e.message);
        let secret = self
            .webhook_cipher()
            .map_err(internal)?
            .open(&w.secret_sealed, w.id.as_str())
            .map_err(|_| (None, "the secret cannot be opened".to_owned()))?;
        let key = sign::secret_key(&secret).ok_or((None, "unusable secret".to_owned()))?;
        // Again at delivery: the scheme, and a host given as an address.
        let url =
            target::parse_url(&w.url, self.config.webhooks_allow_private).map_err(internal)?;
        let body = body(m);
        // Receivers compare the timestamp with their own clock (Standard Webhooks allows five
        // minutes), so it is the machine's time, not the service's (possibly moved) clock.
        let timestamp = Timestamp::now().as_second();
        let signature = sign::signature(&key, m.id.as_str(), timestamp, &body);
        let answer = self
            .webhooks
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("webhook-id", m.id.as_str())
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send()
            .await;
        match answer {
            Ok(r) if r.status().is_success() => Ok(r.status().as_u16()),
            Ok(r) => Err((
                Some(r.status().as_u16()),
                format!("the endpoint answered {}", r.status()),
            )),
            Err(e) if e.is_timeout() => Err((None, "no answer within 10 s".to_owned())),
            Err(e) if e.is_connect() => Err((None, "could not connect".to_owned())),
            Err(_) => Err((None, "the request failed".to_owned())),
        }
    }
}
