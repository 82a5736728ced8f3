//! The life of a number row: `pending` (intent saved, carrier not yet confirmed), `active`,
//! `failed` (the carrier refused; the claim is freed), `released`.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NumberStatus {
    Pending,
    Active,
    Failed,
    Released,
}

impl NumberStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            NumberStatus::Pending => "pending",
            NumberStatus::Active => "active",
            NumberStatus::Failed => "failed",
            NumberStatus::Released => "released",
        }
    }

    /// Rows in these states hold the number: no one else may claim it.
    pub fn holds_number(self) -> bool {
        matches!(self, NumberStatus::Pending | NumberStatus::Active)
    }
}

impl fmt::Display for NumberStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a status: use pending, active, failed or released")]
pub struct UnknownStatus(pub String);

impl FromStr for NumberStatus {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "pending" => Ok(NumberStatus::Pending),
            "active" => Ok(NumberStatus::Active),
            "failed" => Ok(NumberStatus::Failed),
            "released" => Ok(NumberStatus::Released),
            _ => Err(UnknownStatus(s.to_owned())),
        }
    }
}
