//! Every carrier call measured and traced in one place: `Carriers::with` wraps each adapter, so
//! the sagas, search, reconciliation and the readiness check are all counted (by carrier,
//! operation and outcome, with latency) and each call is a span of its own.

use crate::telemetry;
use async_trait::async_trait;
use dialnexa_carriers::{
    AvailableNumber, Carrier, CarrierError, NumberUpdate, OwnedNumber, Reservation, SearchQuery,
};
use dialnexa_domain::{E164, Provider};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::Instrument;

/// A carrier adapter whose calls are counted, timed and traced.
pub(crate) struct Observed {
    inner: Arc<dyn Carrier>,
    carrier: &'static str,
}

impl Observed {
    pub(crate) fn wrap(inner: Arc<dyn Carrier>) -> Arc<dyn Carrier> {
        let carrier = inner.provider().as_str();
        Arc::new(Observed { inner, carrier })
    }

    async fn call<T>(
        &self,
        operation: &'static str,
        call: impl Future<Output = Result<T, CarrierError>>,
    ) -> Result<T, CarrierError> {
        let span = tracing::info_span!(
            "carrier.call",
            otel.name = format!("carrier.{operation}"),
            otel.kind = "client",
            carrier = self.carrier,
            operation,
            outcome = tracing::field::Empty,
        );
        let started = Instant::now();
        let result = call.instrument(span.clone()).await;
        let outcome = match &result {
            Ok(_) => "ok",
            Err(e) => outcome_of(e),
        };
        span.record("outcome", outcome);
        telemetry::carrier_call(self.carrier, operation, outcome, started.elapsed());
        result
    }
}

/// The metric label of a failure: its kind, never its free-form detail.
pub(crate) fn outcome_of(e: &CarrierError) -> &'static str {
    match e {
        CarrierError::NotAvailable => "not_available",
        CarrierError::NotFound => "not_found",
        CarrierError::Rejected(_) => "rejected",
        CarrierError::Unauthorized => "unauthorized",
        CarrierError::Transient(_) => "transient",
        CarrierError::UnknownOutcome(_) => "unknown_outcome",
    }
}

#[async_trait]
impl Carrier for Observed {
    fn provider(&self) -> Provider {
        self.inner.provider()
    }

    async fn search(&self, query: &SearchQuery) -> Result<Vec<AvailableNumber>, CarrierError> {
        self.call("search", self.inner.search(query)).await
    }

    async fn buy(&self, number: &E164) -> Result<OwnedNumber, CarrierError> {
        self.call("buy", self.inner.buy(number)).await
    }

    async fn fetch_owned(&self, number: &E164) -> Result<Option<OwnedNumber>, CarrierError> {
        self.call("fetch_owned", self.inner.fetch_owned(number))
            .await
    }

    async fn list_owned(&self) -> Result<Vec<OwnedNumber>, CarrierError> {
        self.call("list_owned", self.inner.list_owned()).await
    }

    async fn update(&self, owned: &OwnedNumber, update: &NumberUpdate) -> Result<(), CarrierError> {
        self.call("update", self.inner.update(owned, update)).await
    }

    async fn release(&self, owned: &OwnedNumber) -> Result<(), CarrierError> {
        self.call("release", self.inner.release(owned)).await
    }

    async fn ping(&self) -> Result<(), CarrierError> {
        self.call("ping", self.inner.ping()).await
    }

    fn can_reserve(&self) -> bool {
        self.inner.can_reserve()
    }

    async fn reserve(&self, numbers: &[E164], ttl: Duration) -> Result<Reservation, CarrierError> {
        self.call("reserve", self.inner.reserve(numbers, ttl)).await
    }
}
