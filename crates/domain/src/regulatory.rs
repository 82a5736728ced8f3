//! Which (country, number type) pairs need an approved KYC before a purchase. The table is
//! data handed to `RegulatoryPolicy`, so operators can change it without touching code paths.

use crate::{CountryIso, NumberType};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A workspace's know-your-customer standing for one country.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum KycStatus {
    #[default]
    NotStarted,
    Pending,
    Approved,
    Rejected,
}

impl KycStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            KycStatus::NotStarted => "not_started",
            KycStatus::Pending => "pending",
            KycStatus::Approved => "approved",
            KycStatus::Rejected => "rejected",
        }
    }
}

impl fmt::Display for KycStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a KYC status: use not_started, pending, approved or rejected")]
pub struct UnknownKycStatus(pub String);

impl FromStr for KycStatus {
    type Err = UnknownKycStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "not_started" => Ok(KycStatus::NotStarted),
            "pending" => Ok(KycStatus::Pending),
            "approved" => Ok(KycStatus::Approved),
            "rejected" => Ok(KycStatus::Rejected),
            _ => Err(UnknownKycStatus(s.to_owned())),
        }
    }
}

/// One regulated entry: a country, and either one number type or all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegulatedEntry {
    pub country: CountryIso,
    /// `None` means every type in that country.
    pub number_type: Option<NumberType>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegulatoryPolicy {
    entries: Vec<RegulatedEntry>,
}

/// The default table: India (all types), US toll-free, and local numbers in eight EU countries.
const DEFAULT_TABLE: &[(&str, Option<NumberType>)] = &[
    ("IN", None),
    ("US", Some(NumberType::TollFree)),
    ("DE", Some(NumberType::Local)),
    ("FR", Some(NumberType::Local)),
    ("IT", Some(NumberType::Local)),
    ("ES", Some(NumberType::Local)),
    ("BE", Some(NumberType::Local)),
    ("AT", Some(NumberType::Local)),
    ("NL", Some(NumberType::Local)),
    ("PT", Some(NumberType::Local)),
];

impl Default for RegulatoryPolicy {
    fn default() -> Self {
        let entries = DEFAULT_TABLE
            .iter()
            .filter_map(|(c, t)| {
                Some(RegulatedEntry {
                    country: CountryIso::parse(c).ok()?,
                    number_type: *t,
                })
            })
            .collect();
        RegulatoryPolicy { entries }
    }
}

impl RegulatoryPolicy {
    pub fn new(entries: Vec<RegulatedEntry>) -> Self {
        RegulatoryPolicy { entries }
    }

    pub fn entries(&self) -> &[RegulatedEntry] {
        &self.entries
    }

    pub fn requires_kyc(&self, country: CountryIso, number_type: NumberType) -> bool {
        self.entries
            .iter()
            .any(|e| e.country == country && e.number_type.is_none_or(|t| t == number_type))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> CountryIso {
        CountryIso::parse(s).unwrap()
    }

    #[test]
    fn default_table_matches_the_design() {
        let p = RegulatoryPolicy::default();
        for t in NumberType::ALL {
            assert!(p.requires_kyc(c("IN"), t));
            assert!(!p.requires_kyc(c("GB"), t));
        }
        assert!(p.requires_kyc(c("US"), NumberType::TollFree));
        assert!(!p.requires_kyc(c("US"), NumberType::Local));
        for eu in ["DE", "FR", "IT", "ES", "BE", "AT", "NL", "PT"] {
            assert!(p.requires_kyc(c(eu), NumberType::Local), "{eu}");
            assert!(!p.requires_kyc(c(eu), NumberType::Mobile), "{eu}");
        }
    }

    #[test]
    fn kyc_status_round_trips() {
        for s in ["not_started", "pending", "approved", "rejected"] {
            assert_eq!(s.parse::<KycStatus>().unwrap().as_str(), s);
        }
        assert!("done".parse::<KycStatus>().is_err());
    }
}
