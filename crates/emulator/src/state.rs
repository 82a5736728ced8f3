//! Everything a request handler can reach: configuration, stock, ownership and faults.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use jiff::{SignedDuration, Timestamp};

use tokio::sync::watch;

use crate::config::EmulatorConfig;
use crate::faults::Faults;
use crate::inventory::Inventory;
use crate::store::Store;

/// The shared state of one emulator; cheap to clone. Build it with [`EmulatorState::open`]
/// and serve it with [`crate::router`].
#[derive(Clone)]
pub struct EmulatorState {
    inner: Arc<Inner>,
}

struct Inner {
    config: EmulatorConfig,
    inventory: &'static Inventory,
    store: Store,
    faults: Faults,
    /// Flips to `true` when the emulator stops, so hanging buys give up at once.
    stopping: watch::Sender<bool>,
    /// How far tests have moved the emulator's clock (`/_emulator/clock`), so a 30-minute
    /// reservation can run out without a test waiting 30 minutes.
    clock_offset_ms: AtomicI64,
}

impl EmulatorState {
    /// Opens the state file (or an in-memory one) and builds the inventory.
    pub fn open(config: EmulatorConfig) -> anyhow::Result<EmulatorState> {
        let store = Store::open(config.state_path.as_deref())?;
        // libphonenumber loads its metadata on first use, which takes a while in debug
        // builds; pay that here rather than in some client's first buy, under its timeout.
        let _ = phonenumber::parse(None, "+14155552671").map(|n| phonenumber::is_valid(&n));
        let (stopping, _) = watch::channel(false);
        Ok(EmulatorState {
            inner: Arc::new(Inner {
                config,
                inventory: Inventory::global(),
                store,
                faults: Faults::default(),
                stopping,
                clock_offset_ms: AtomicI64::new(0),
            }),
        })
    }

    pub fn config(&self) -> &EmulatorConfig {
        &self.inner.config
    }

    pub fn inventory(&self) -> &'static Inventory {
        self.inner.inventory
    }

    pub(crate) fn store(&self) -> &Store {
        &self.inner.store
    }

    pub(crate) fn faults(&self) -> &Faults {
        &self.inner.faults
    }

    /// The emulator's time: the system's, plus however far tests moved it.
    pub fn now(&self) -> Timestamp {
        let offset = SignedDuration::from_millis(self.clock_offset());
        Timestamp::now()
            .checked_add(offset)
            .unwrap_or(Timestamp::MAX)
    }

    /// Milliseconds the clock has been moved forward.
    pub fn clock_offset(&self) -> i64 {
        self.inner.clock_offset_ms.load(Ordering::Relaxed)
    }

    /// Moves the clock forward (never back: stored times must not end up in the future).
    pub fn advance_clock(&self, by: std::time::Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.inner.clock_offset_ms.fetch_add(ms, Ordering::Relaxed);
    }

    /// Tells long-running handlers to finish now.
    pub fn begin_shutdown(&self) {
        self.inner.stopping.send_replace(true);
    }

    /// Waits for `duration`, or less if the emulator stops meanwhile.
    pub(crate) async fn sleep_unless_stopping(&self, duration: std::time::Duration) {
        let mut stopping = self.inner.stopping.subscribe();
        tokio::select! {
            () = tokio::time::sleep(duration) => {}
            _ = stopping.wait_for(|stopping| *stopping) => {}
        }
    }
}
