//! Phone numbers at the edge: an `E164` is only ever a number libphonenumber accepts as valid
//! for a real country, so nothing past the HTTP boundary re-checks the format.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error(
        "`{0}` is not an E.164 phone number: use a leading + and the country code, digits only, e.g. +912234567890"
    )]
    NotE164(String),
    #[error("`{0}` is not a valid phone number for any country")]
    NotValid(String),
    #[error("`{0}` is not a two-letter ISO 3166 country code such as US, GB or IN")]
    BadCountry(String),
    #[error("`{0}` is not a number type: use local, mobile or toll_free")]
    BadType(String),
    #[error("`{0}` is not a capability: use voice, sms, mms or fax")]
    BadCapability(String),
    #[error(
        "`{0}` is not a search pattern: use 1 to 16 digits, letters (as on a phone keypad) or * for any digit"
    )]
    BadPattern(String),
}

/// A valid phone number in E.164 form (`+` and up to 15 digits), with the country it belongs to.
/// Equality, order and hash are those of the text: the rest follows from it.
#[derive(Debug, Clone)]
pub struct E164 {
    text: String,
    country: CountryIso,
    /// The type libphonenumber classified the number as when it was parsed; `None` for a
    /// number read back from storage, classified again if asked.
    kind: Option<NumberType>,
}

impl PartialEq for E164 {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for E164 {}

impl std::hash::Hash for E164 {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.text.hash(state);
    }
}

impl PartialOrd for E164 {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for E164 {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.text.cmp(&other.text)
    }
}

impl E164 {
    pub fn parse(s: &str) -> Result<Self, PhoneError> {
        let digits = s
            .strip_prefix('+')
            .filter(|d| (8..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()))
            .filter(|d| !d.starts_with('0'))
            .ok_or_else(|| PhoneError::NotE164(s.to_owned()))?;
        let parsed = phonenumber::parse(None, s).map_err(|_| PhoneError::NotValid(s.to_owned()))?;
        let kind = classify(&parsed).ok_or_else(|| PhoneError::NotValid(s.to_owned()))?;
        let country = parsed
            .country()
            .id()
            .and_then(|id| CountryIso::parse(id.as_ref()).ok())
            .or_else(|| main_country_for_code(parsed.country().code()))
            .ok_or_else(|| PhoneError::NotValid(s.to_owned()))?;
        Ok(E164 {
            text: format!("+{digits}"),
            country,
            kind: Some(kind),
        })
    }

    /// For numbers read back from our own storage, already validated when written.
    pub fn from_trusted(text: String, country: CountryIso) -> Self {
        E164 {
            text,
            country,
            kind: None,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The digits without the leading `+`, as Plivo and Vonage spell numbers.
    pub fn digits(&self) -> &str {
        &self.text[1..]
    }

    pub fn country(&self) -> &CountryIso {
        &self.country
    }

    /// The type libphonenumber assigns; numbers valid as both fixed line and mobile (the
    /// North American plan) count as local, which is how carriers sell them.
    pub fn number_type(&self) -> NumberType {
        self.kind.unwrap_or_else(|| {
            phonenumber::parse(None, &self.text)
                .ok()
                .and_then(|parsed| classify(&parsed))
                .unwrap_or(NumberType::Local)
        })
    }

    /// Human format, e.g. "+91 22 3456 7890".
    pub fn international(&self) -> String {
        phonenumber::parse(None, &self.text)
            .map(|p| {
                p.format()
                    .mode(phonenumber::Mode::International)
                    .to_string()
            })
            .unwrap_or_else(|_| self.text.clone())
    }
}

/// The number's type as carriers sell it, or `None` when libphonenumber does not hold the
/// number valid. Its `is_valid` is "the number's type is known", so one classification
/// answers both. Except for national numbers with leading zeros (Italian landlines): the
/// crate classifies those without their zeros, where validity needs them, so those are
/// checked with `is_valid` as well, and count as local when only `is_valid` knows them.
fn classify(parsed: &phonenumber::PhoneNumber) -> Option<NumberType> {
    let kind = parsed.number_type(&phonenumber::metadata::DATABASE);
    let checked = kind != phonenumber::Type::Unknown && parsed.national().zeros() == 0;
    if !checked && !phonenumber::is_valid(parsed) {
        return None;
    }
    Some(match kind {
        phonenumber::Type::Mobile => NumberType::Mobile,
        phonenumber::Type::TollFree => NumberType::TollFree,
        _ => NumberType::Local,
    })
}

/// The main region of a calling code. The `phonenumber` crate loses the leading zero of
/// Italian numbers when it looks up their region, so `country().id()` answers `None` for valid
/// Italian landlines; the calling code still tells the country.
fn main_country_for_code(code: u16) -> Option<CountryIso> {
    let regions = phonenumber::metadata::DATABASE.by_code(&code)?;
    let main = regions
        .iter()
        .find(|m| m.is_main_country_for_code())
        .or(regions.first())?;
    CountryIso::parse(main.id()).ok()
}

impl fmt::Display for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for E164 {
    type Err = PhoneError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        E164::parse(s)
    }
}

impl Serialize for E164 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for E164 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        E164::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// An upper-case ISO 3166-1 alpha-2 country code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CountryIso([u8; 2]);

impl CountryIso {
    /// Accepts any case ("in", "IN"); must be a country libphonenumber knows.
    pub fn parse(s: &str) -> Result<Self, PhoneError> {
        let bytes = s.as_bytes();
        if bytes.len() != 2 || !bytes.iter().all(u8::is_ascii_alphabetic) {
            return Err(PhoneError::BadCountry(s.to_owned()));
        }
        let code = [bytes[0].to_ascii_uppercase(), bytes[1].to_ascii_uppercase()];
        let upper = std::str::from_utf8(&code).map_err(|_| PhoneError::BadCountry(s.to_owned()))?;
        if upper.parse::<phonenumber::country::Id>().is_err() {
            return Err(PhoneError::BadCountry(s.to_owned()));
        }
        Ok(CountryIso(code))
    }

    pub fn as_str(&self) -> &str {
        // Both bytes are ASCII letters by construction.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }

    /// The country calling code, e.g. 91 for IN.
    pub fn calling_code(&self) -> Option<u16> {
        let id: phonenumber::country::Id = self.as_str().parse().ok()?;
        phonenumber::metadata::DATABASE
            .by_id(id.as_ref())
            .map(|m| m.country_code())
    }
}

impl fmt::Display for CountryIso {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CountryIso {
    type Err = PhoneError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CountryIso::parse(s)
    }
}

impl Serialize for CountryIso {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for CountryIso {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        CountryIso::parse(&s).map_err(serde::de::Error::custom)
    }
}

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
    fn accepts_the_seed_numbers() {
        let n = E164::parse("+912234567890").unwrap();
        assert_eq!(n.country().as_str(), "IN");
        assert_eq!(n.number_type(), NumberType::Local);
        assert_eq!(n.digits(), "912234567890");
        let us = E164::parse("+14155552671").unwrap();
        assert_eq!(us.country().as_str(), "US");
        assert_eq!(us.number_type(), NumberType::Local);
    }

    #[test]
    fn rejects_what_is_not_e164() {
        for bad in [
            "",
            "912234567890",
            "+91 22 3456 7890",
            "+91-2234567890",
            "+0123456789",
            "+1",
            "+1234567890123456",
            "++912234567890",
            "+91223456789a",
        ] {
            assert!(
                matches!(E164::parse(bad), Err(PhoneError::NotE164(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn rejects_well_formed_but_invalid_numbers() {
        // No country uses +999, and 555-0100 style US numbers in area code 000 are invalid.
        for bad in ["+99912345678", "+10005550100"] {
            assert!(
                matches!(E164::parse(bad), Err(PhoneError::NotValid(_))),
                "{bad}"
            );
        }
    }

    proptest::proptest! {
        /// One classification in `parse` accepts exactly what libphonenumber's `is_valid`
        /// accepts, and keeps the type a classification of the stored text gives.
        #[test]
        fn parse_agrees_with_libphonenumber(
            code in proptest::sample::select(vec!["1", "44", "39", "91", "49", "33", "61", "55", "81"]),
            national in "[0-9]{6,12}",
        ) {
            let text = format!("+{code}{national}");
            let by_is_valid = text.len() <= 16
                && !national.is_empty()
                && phonenumber::parse(None, &text).is_ok_and(|p| phonenumber::is_valid(&p));
            let parsed = E164::parse(&text);
            proptest::prop_assert_eq!(parsed.is_ok(), by_is_valid, "{}", text);
            if let Ok(number) = parsed {
                let stored = E164::from_trusted(text.clone(), *number.country());
                proptest::prop_assert_eq!(number.number_type(), stored.number_type(), "{}", text);
            }
        }
    }

    #[test]
    fn italian_landlines_keep_their_country() {
        let rome = E164::parse("+390612345678").unwrap();
        assert_eq!(rome.country().as_str(), "IT");
    }

    #[test]
    fn classifies_toll_free_and_mobile() {
        assert_eq!(
            E164::parse("+18005550199").unwrap().number_type(),
            NumberType::TollFree
        );
        assert_eq!(
            E164::parse("+447911123456").unwrap().number_type(),
            NumberType::Mobile
        );
    }

    #[test]
    fn country_codes_are_normalised() {
        assert_eq!(CountryIso::parse("in").unwrap().as_str(), "IN");
        assert_eq!(CountryIso::parse("IN").unwrap().calling_code(), Some(91));
        for bad in ["", "I", "IND", "1N", "XX"] {
            assert!(CountryIso::parse(bad).is_err(), "{bad}");
        }
    }

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

/// A search pattern in Twilio's `Contains` syntax: digits, `*` for any one digit, and letters
/// as phone-keypad digits (`STORE` → `78673`), optionally with a leading `+`.
pub fn keypad_pattern(input: &str) -> Result<String, PhoneError> {
    let bad = || PhoneError::BadPattern(input.to_owned());
    let body = input.strip_prefix('+').unwrap_or(input);
    if body.is_empty() || body.len() > 16 {
        return Err(bad());
    }
    let mapped: String = body
        .chars()
        .map(|c| match c.to_ascii_uppercase() {
            d @ '0'..='9' => Some(d),
            '*' => Some('*'),
            'A'..='C' => Some('2'),
            'D'..='F' => Some('3'),
            'G'..='I' => Some('4'),
            'J'..='L' => Some('5'),
            'M'..='O' => Some('6'),
            'P'..='S' => Some('7'),
            'T'..='V' => Some('8'),
            'W'..='Z' => Some('9'),
            _ => None,
        })
        .collect::<Option<String>>()
        .ok_or_else(bad)?;
    Ok(if input.starts_with('+') {
        format!("+{mapped}")
    } else {
        mapped
    })
}

#[cfg(test)]
mod keypad_tests {
    use super::*;

    #[test]
    fn letters_become_keypad_digits() {
        assert_eq!(keypad_pattern("STORE").unwrap(), "78673");
        assert_eq!(keypad_pattern("store").unwrap(), "78673");
        assert_eq!(keypad_pattern("55*1").unwrap(), "55*1");
        assert_eq!(keypad_pattern("+1415").unwrap(), "+1415");
        for bad in ["", "12-34", "hello world", "12345678901234567", "+"] {
            assert!(keypad_pattern(bad).is_err(), "{bad}");
        }
    }
}
