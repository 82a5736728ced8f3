//! Background workers of `serve`: purchase recovery and rental renewals. Each runs once at
//! start-up (so a restart after a crash heals at once) and then on an interval, in every
//! process; the store's claims make a job done twice a no-op.

use dialnexa_service::Services;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone, Copy)]
pub struct WorkerConfig {
    /// A pending purchase younger than this is left to the request that made it.
    pub recovery_min_age: Duration,
    pub recovery_interval: Duration,
    pub renewal_interval: Duration,
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
            })
            .await
        })
    };
    let renewals = tokio::spawn(async move {
        every(config.renewal_interval, stop, || async {
            if let Err(e) = services.run_renewals().await {
                tracing::warn!(error = %e, "renewal round failed");
            }
        })
        .await
    });
    vec![recovery, renewals]
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
