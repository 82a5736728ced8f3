//! How an emulator is set up: where it listens, where it keeps state, which accounts it knows.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;

/// The Twilio account every emulator knows unless told otherwise ("AC" and 32 hex digits).
pub const DEFAULT_TWILIO_ACCOUNT_SID: &str = "AC0d1a1ae0a0e0a0e0a0e0a0e0a0e0a0e0";
pub const DEFAULT_TWILIO_AUTH_TOKEN: &str = "e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0";
/// The Plivo account every emulator knows unless told otherwise ("MA" and 18 characters).
pub const DEFAULT_PLIVO_AUTH_ID: &str = "MADIALNEXAEMULATOR01";
pub const DEFAULT_PLIVO_AUTH_TOKEN: &str = "ZW11bGF0b3ItcGxpdm8tYXV0aC10b2tlbi0wMDAw";
/// The Telnyx account every emulator knows unless told otherwise: its id (a UUID, as Telnyx's
/// are) tags the numbers it owns, and its API key ("KEY", 26 hex digits, "_", 22 characters)
/// authenticates as a bearer token.
pub const DEFAULT_TELNYX_ACCOUNT_ID: &str = "0d1a1ae0-7e1e-4a11-8e0a-e0a0e0a0e0a0";
pub const DEFAULT_TELNYX_API_KEY: &str = "KEY01DIALNEXAE0E0E0E0E0E0E0E0_ZW11bGF0b3ItdGVsbnl4";

#[derive(Clone, PartialEq, Eq)]
pub struct TwilioAccount {
    pub account_sid: String,
    pub auth_token: String,
}

#[derive(Clone, PartialEq, Eq)]
pub struct PlivoAccount {
    pub auth_id: String,
    pub auth_token: String,
}

#[derive(Clone, PartialEq, Eq)]
pub struct TelnyxAccount {
    pub account_id: String,
    pub api_key: String,
}

#[derive(Clone, Debug)]
pub struct EmulatorConfig {
    /// Address to listen on; port 0 picks a free one.
    pub listen: SocketAddr,
    /// SQLite file that keeps who owns what across restarts; `None` keeps it in memory.
    pub state_path: Option<PathBuf>,
    pub twilio: TwilioAccount,
    pub plivo: PlivoAccount,
    pub telnyx: TelnyxAccount,
}

impl Default for TwilioAccount {
    fn default() -> Self {
        TwilioAccount {
            account_sid: DEFAULT_TWILIO_ACCOUNT_SID.to_owned(),
            auth_token: DEFAULT_TWILIO_AUTH_TOKEN.to_owned(),
        }
    }
}

impl Default for PlivoAccount {
    fn default() -> Self {
        PlivoAccount {
            auth_id: DEFAULT_PLIVO_AUTH_ID.to_owned(),
            auth_token: DEFAULT_PLIVO_AUTH_TOKEN.to_owned(),
        }
    }
}

impl Default for TelnyxAccount {
    fn default() -> Self {
        TelnyxAccount {
            account_id: DEFAULT_TELNYX_ACCOUNT_ID.to_owned(),
            api_key: DEFAULT_TELNYX_API_KEY.to_owned(),
        }
    }
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            state_path: None,
            twilio: TwilioAccount::default(),
            plivo: PlivoAccount::default(),
            telnyx: TelnyxAccount::default(),
        }
    }
}

// Tokens stay out of logs, even fake ones: configs get printed, and people paste real ones.
impl fmt::Debug for TwilioAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwilioAccount")
            .field("account_sid", &self.account_sid)
            .field("auth_token", &"<redacted>")
            .finish()
    }
}

impl fmt::Debug for PlivoAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlivoAccount")
            .field("auth_id", &self.auth_id)
            .field("auth_token", &"<redacted>")
            .finish()
    }
}

impl fmt::Debug for TelnyxAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TelnyxAccount")
            .field("account_id", &self.account_id)
            .field("api_key", &"<redacted>")
            .finish()
    }
}

impl TwilioAccount {
    /// The owner tag numbers bought by this account carry in the emulator's state.
    pub fn owner(&self) -> String {
        format!("twilio:{}", self.account_sid)
    }
}

impl PlivoAccount {
    pub fn owner(&self) -> String {
        format!("plivo:{}", self.auth_id)
    }
}

impl TelnyxAccount {
    /// By account id: the API key is a secret and owner tags are shown by the test controls.
    pub fn owner(&self) -> String {
        format!("telnyx:{}", self.account_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_credentials_have_the_carriers_shapes() {
        let sid = DEFAULT_TWILIO_ACCOUNT_SID;
        assert_eq!(sid.len(), 34);
        assert!(sid.starts_with("AC") && sid[2..].bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(DEFAULT_TWILIO_AUTH_TOKEN.len(), 32);
        let id = DEFAULT_PLIVO_AUTH_ID;
        assert_eq!(id.len(), 20);
        assert!(id.starts_with("MA"));
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        );
        assert_eq!(DEFAULT_PLIVO_AUTH_TOKEN.len(), 40);
    }

    #[test]
    fn debug_output_hides_tokens() {
        let printed = format!("{:?}", EmulatorConfig::default());
        assert!(printed.contains(DEFAULT_TWILIO_ACCOUNT_SID));
        assert!(!printed.contains(DEFAULT_TWILIO_AUTH_TOKEN));
        assert!(!printed.contains(DEFAULT_PLIVO_AUTH_TOKEN));
        assert!(!printed.contains(DEFAULT_TELNYX_API_KEY));
    }
}
