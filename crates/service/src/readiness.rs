//! Readiness beyond the database: every configured carrier answers a cheap authenticated call
//! (`Carrier::ping`) within a short timeout, all asked at once, so a load balancer stops
//! sending purchases to a server whose carriers it cannot reach.

use crate::{ErrorKind, ServiceError, ServiceResult, Services, telemetry};
use dialnexa_carriers::CarrierError;
use dialnexa_domain::Provider;
use std::time::Instant;
use tokio::task::JoinSet;
use tracing::Instrument;

/// Why one carrier is not ready.
enum Down {
    Refused(CarrierError),
    Silent,
}

impl Services {
    pub(crate) async fn carriers_ready(&self) -> ServiceResult<()> {
        let timeout = self.config.ready_timeout;
        let mut pings = JoinSet::new();
        for carrier in self.carriers.iter() {
            let carrier = carrier.clone();
            pings.spawn(
                async move {
                    let provider = carrier.provider();
                    let started = Instant::now();
                    match tokio::time::timeout(timeout, carrier.ping()).await {
                        Ok(Ok(())) => (provider, None),
                        Ok(Err(e)) => (provider, Some(Down::Refused(e))),
                        Err(_) => {
                            let took = started.elapsed();
                            telemetry::carrier_call(provider.as_str(), "ping", "timeout", took);
                            (provider, Some(Down::Silent))
                        }
                    }
                }
                .in_current_span(),
            );
        }
        let mut down: Vec<(Provider, Down)> = Vec::new();
        while let Some(joined) = pings.join_next().await {
            match joined {
                Ok((_, None)) => {}
                Ok((provider, Some(why))) => down.push((provider, why)),
                Err(e) => return Err(ServiceError::internal(format!("a carrier check died: {e}"))),
            }
        }
        if down.is_empty() {
            return Ok(());
        }
        down.sort_by_key(|(provider, _)| provider.as_str());
        let names: Vec<&str> = down.iter().map(|(p, _)| p.as_str()).collect();
        let detail: Vec<String> = down
            .iter()
            .map(|(provider, why)| match why {
                Down::Refused(e) => format!("{provider}: {e}"),
                Down::Silent => format!("{provider}: no answer within {timeout:?}"),
            })
            .collect();
        Err(ServiceError::new(
            ErrorKind::Unavailable,
            "carrier_unavailable",
            format!(
                "Not ready: cannot reach the carrier account(s) {}.",
                names.join(", ")
            ),
        )
        .with_internal(detail.join("; ")))
    }
}
