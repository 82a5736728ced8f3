//! Where a number comes from: a carrier we buy from, or the customer's own SIP trunk.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    Twilio,
    Plivo,
    Telnyx,
    SipTrunk,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a provider: use twilio, plivo or telnyx")]
pub struct UnknownProvider(pub String);

impl Provider {
    /// The carriers numbers can be bought from.
    pub const CARRIERS: [Provider; 3] = [Provider::Twilio, Provider::Plivo, Provider::Telnyx];

    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Twilio => "twilio",
            Provider::Plivo => "plivo",
            Provider::Telnyx => "telnyx",
            Provider::SipTrunk => "sip_trunk",
        }
    }

    pub fn is_carrier(self) -> bool {
        self != Provider::SipTrunk
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Provider {
    type Err = UnknownProvider;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "twilio" => Ok(Provider::Twilio),
            "plivo" => Ok(Provider::Plivo),
            "telnyx" => Ok(Provider::Telnyx),
            "sip_trunk" => Ok(Provider::SipTrunk),
            _ => Err(UnknownProvider(s.to_owned())),
        }
    }
}
