//! The carrier emulator: a local stand-in for Twilio, Plivo and Telnyx that tests and offline users
//! buy numbers from. The README below (also `crates/emulator/README.md`) is the reference.
#![doc = include_str!("../README.md")]

mod auth;
mod config;
mod control;
mod error;
mod faults;
pub mod inventory;
mod market;
mod plivo;
mod server;
mod state;
mod store;
mod telnyx;
mod twilio;

pub use config::{
    DEFAULT_PLIVO_AUTH_ID, DEFAULT_PLIVO_AUTH_TOKEN, DEFAULT_TELNYX_ACCOUNT_ID,
    DEFAULT_TELNYX_API_KEY, DEFAULT_TWILIO_ACCOUNT_SID, DEFAULT_TWILIO_AUTH_TOKEN, EmulatorConfig,
    PlivoAccount, TelnyxAccount, TwilioAccount,
};
pub use control::OTHER_OWNER;
pub use faults::{FaultSettings, FaultUpdate, HANG_AFTER_COMMIT};
pub use server::{RunningEmulator, router, start};
pub use state::EmulatorState;
