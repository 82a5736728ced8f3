//! Background workers of `serve`: purchase recovery, the reservation sweeper, resumed orders,
//! rental renewals, audit retention, webhook deliveries and a
//! reconciliation report (it logs what differs from the carriers; repairs are the operator's `--fix`). Each runs once at
//! start-up (so a restart after a crash heals at once) and then on an interval, in every
//! process; the store's claims make a job done twice a no-op.

use dialnexa_service::Services;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

const WEBHOOK_POLL: Duration = Duration::from_millis(500);

#[derive(Debug, Clone, Copy)]
pub struct WorkerConfig {
    /// A pending purchase younger than this is left to the request that made it.
    pub recovery_min_age: Duration,
    pub recovery_interval: Duration,
    pub renewal_interval: Duration,
    pub reconcile_interval: Duration,
    pub audit_prune_interval: Duration,
}

pub fn spawn(
    services: Services,
    config: WorkerConfig,
    stop: CancellationToken,
) -> Vec<JoinHandle<()>> {
    let recovery = {
        let (services, stop) = (services.clone(), stop.clone());
        tokio::spawn(async move {
            every(config.recovery_interval, stop, || async {
                if let Err(e) = services.recover_pending(config.recovery_min_age).await {
                    tracing::warn!(error = %e, "recovery round failed");
                }
                // A release makes up to two carrier calls: give it twice the margin.
                if let Err(e) = services.recover_releases(config.recovery_min_age * 2).await {
                    tracing::warn!(error = %e, "release recovery round failed");
                }
                if let Err(e) = services.sweep_reservations().await {
                    tracing::warn!(error = %e, "reservation sweep failed");
                }
                if let Err(e) = services.resume_orders().await {
                    tracing::warn!(error = %e, "order resumption failed");
                }
            })
            .await
        })
    };
    let reconcile = {
        let (services, stop) = (services.clone(), stop.clone());
        tokio::spawn(async move {
            // Not at start-up: a report is only useful once the system has been running.
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(config.reconcile_interval) => {}
            }
            every(config.reconcile_interval, stop, || async {
                match services.reconcile(false).await {
                    Ok(r) if !r.is_clean() => tracing::warn!(
                        orphans = r.orphans.len(),
                        ghosts = r.ghosts.len(),
                        mismatches = r.mismatches.len(),
                        "numbers differ from the carriers; run `dialnexa admin reconcile`"
                    ),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "reconciliation round failed"),
                }
            })
            .await
        })
    };
    let audit = {
        let (services, stop) = (services.clone(), stop.clone());
        tokio::spawn(async move {
            every(config.audit_prune_interval, stop, || async {
                match services.prune_audit_events().await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(deleted = n, "audit rows past their 400 days deleted"),
                    Err(e) => tracing::warn!(error = %e, "audit retention round failed"),
                }
            })
            .await
        })
    };
    let webhooks = tokio::spawn(deliver_webhooks(services.clone(), stop.clone()));
    let renewals = tokio::spawn(async move {
        every(config.renewal_interval, stop, || async {
            if let Err(e) = services.run_renewals().await {
                tracing::warn!(error = %e, "renewal round failed");
            }
        })
        .await
    });
    vec![recovery, renewals, reconcile, audit, webhooks]
}

/// The webhook worker: a round whenever something wakes it (an event committed here, an
/// attempt finished while more were waiting), and at least every `WEBHOOK_POLL` for what
/// comes due by the clock (retries) or through another process.
async fn deliver_webhooks(services: Services, stop: CancellationToken) {
    let wake = services.webhook_wakeup();
    loop {
        let woken = wake.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        if let Err(e) = services.deliver_webhooks().await {
            tracing::warn!(error = %e, "webhook delivery round failed");
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = &mut woken => {}
            _ = tokio::time::sleep(WEBHOOK_POLL) => {}
        }
    }
}

async fn every<F, Fut>(interval: Duration, stop: CancellationToken, mut round: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    loop {
        round().await;
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(interval) => {}
        }
    }
}
