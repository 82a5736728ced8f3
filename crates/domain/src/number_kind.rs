//! What a number is and does: its type (local, mobile, toll-free) and capabilities, in the
//! carriers' spellings as well as ours.

use crate::phone_error::PhoneError;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// What kind of number a carrier sells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NumberType {
    Local,
    Mobile,
    TollFree,
}

impl NumberType {
    pub const ALL: [NumberType; 3] = [NumberType::Local, NumberType::Mobile, NumberType::TollFree];

    pub fn as_str(self) -> &'static str {
        match self {
            NumberType::Local => "local",
            NumberType::Mobile => "mobile",
            NumberType::TollFree => "toll_free",
        }
    }
}

impl fmt::Display for NumberType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for NumberType {
    type Err = PhoneError;
    /// Accepts the carriers' spellings too: "tollfree", "toll-free", "TOLL_FREE".
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().replace('-', "_").as_str() {
            "local" | "fixed" | "landline" => Ok(NumberType::Local),
            "mobile" => Ok(NumberType::Mobile),
            "toll_free" | "tollfree" => Ok(NumberType::TollFree),
            _ => Err(PhoneError::BadType(s.to_owned())),
        }
    }
}

/// One thing a number can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Capability {
    Voice,
    Sms,
    Mms,
    Fax,
}

impl Capability {
    pub const ALL: [Capability; 4] = [
        Capability::Voice,
        Capability::Sms,
        Capability::Mms,
        Capability::Fax,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Capability::Voice => "voice",
            Capability::Sms => "sms",
            Capability::Mms => "mms",
            Capability::Fax => "fax",
        }
    }
}

impl FromStr for Capability {
    type Err = PhoneError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "voice" => Ok(Capability::Voice),
            "sms" => Ok(Capability::Sms),
            "mms" => Ok(Capability::Mms),
            "fax" => Ok(Capability::Fax),
            other => Err(PhoneError::BadCapability(other.to_owned())),
        }
    }
}

/// A set of capabilities, ordered as `Capability::ALL`, serialized as `["voice","sms"]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Capabilities(u8);

impl Capabilities {
    pub fn with(mut self, c: Capability) -> Self {
        self.0 |= 1 << c as u8;
        self
    }

    pub fn contains(self, c: Capability) -> bool {
        self.0 & (1 << c as u8) != 0
    }

    pub fn contains_all(self, other: Capabilities) -> bool {
        self.0 & other.0 == other.0
    }

    pub fn iter(self) -> impl Iterator<Item = Capability> {
        Capability::ALL
            .into_iter()
            .filter(move |c| self.contains(*c))
    }

    /// Comma list for storage and query strings: "voice,sms".
    pub fn to_csv(self) -> String {
        self.iter()
            .map(Capability::as_str)
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn parse_csv(s: &str) -> Result<Self, PhoneError> {
        s.split(',')
            .filter(|p| !p.trim().is_empty())
            .try_fold(Capabilities::default(), |acc, p| Ok(acc.with(p.parse()?)))
    }
}

impl FromIterator<Capability> for Capabilities {
    fn from_iter<I: IntoIterator<Item = Capability>>(iter: I) -> Self {
        iter.into_iter()
            .fold(Capabilities::default(), Capabilities::with)
    }
}

impl Serialize for Capabilities {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for Capabilities {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let list = Vec::<Capability>::deserialize(d)?;
        Ok(list.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_types_accept_carrier_spellings() {
        assert_eq!(
            "tollfree".parse::<NumberType>().unwrap(),
            NumberType::TollFree
        );
        assert_eq!(
            "toll-free".parse::<NumberType>().unwrap(),
            NumberType::TollFree
        );
        assert_eq!("LOCAL".parse::<NumberType>().unwrap(), NumberType::Local);
        assert!("premium".parse::<NumberType>().is_err());
    }

    #[test]
    fn capabilities_round_trip() {
        let caps = Capabilities::parse_csv("sms,voice").unwrap();
        assert_eq!(caps.to_csv(), "voice,sms");
        assert_eq!(serde_json::to_string(&caps).unwrap(), r#"["voice","sms"]"#);
        assert!(caps.contains_all(Capabilities::parse_csv("voice").unwrap()));
        assert!(!caps.contains(Capability::Fax));
        assert!(Capabilities::parse_csv("voice,telepathy").is_err());
    }
}
