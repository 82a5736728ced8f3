//! Everything a request handler can reach: configuration, stock, ownership and faults.

use std::sync::Arc;

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
