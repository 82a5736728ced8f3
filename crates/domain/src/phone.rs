//! Phone numbers at the edge: an `E164` is only ever a number libphonenumber accepts as valid
//! for a real country, so nothing past the HTTP boundary re-checks the format.

use crate::number_kind::NumberType;
use crate::phone_error::PhoneError;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

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
        // The number's region, found once: its type and its country both come from it.
        let region = parsed.metadata(&phonenumber::metadata::DATABASE);
        let kind = classify(&parsed, region).ok_or_else(|| PhoneError::NotValid(s.to_owned()))?;
        let country = region
            .and_then(|meta| CountryIso::parse(meta.id()).ok())
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
                .and_then(|parsed| {
                    classify(&parsed, parsed.metadata(&phonenumber::metadata::DATABASE))
                })
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
fn classify(
    parsed: &phonenumber::PhoneNumber,
    region: Option<&phonenumber::Metadata>,
) -> Option<NumberType> {
    let national = parsed.national().value().to_string();
    let kind = region.and_then(|meta| kind_in(meta, &national));
    let checked = kind.is_some() && parsed.national().zeros() == 0;
    if !checked && !phonenumber::is_valid(parsed) {
        return None;
    }
    Some(kind.unwrap_or(NumberType::Local))
}

/// The type of a national number in its region, as libphonenumber's `number_type` decides
/// it (the same descriptors, in the same order; `None` where it answers `Unknown`), told as
/// carriers sell numbers: premium, shared cost, VoIP, personal, pager, UAN, voicemail and
/// fixed line (or fixed line or mobile) are local. Asking the parsed number instead found its
/// region again for its type and once more for its country: in a search, parsing the
/// carrier's numbers was two thirds of the instructions, most of them spent looking up
/// libphonenumber's regexes by their text.
fn kind_in(meta: &phonenumber::Metadata, national: &str) -> Option<NumberType> {
    let d = meta.descriptors();
    let is = |descriptor: Option<&phonenumber::metadata::Descriptor>| {
        descriptor.is_some_and(|d| d.is_match(national))
    };
    if !d.general().is_match(national) {
        return None;
    }
    if is(d.premium_rate()) {
        return Some(NumberType::Local);
    }
    if is(d.toll_free()) {
        return Some(NumberType::TollFree);
    }
    let others = [
        d.shared_cost(),
        d.voip(),
        d.personal_number(),
        d.pager(),
        d.uan(),
        d.voicemail(),
        d.fixed_line(),
    ];
    if others.into_iter().any(is) {
        return Some(NumberType::Local);
    }
    is(d.mobile()).then_some(NumberType::Mobile)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// What `E164::parse` answered when it asked the parsed number for its type and its
    /// country (the crate finding the number's region for each): the reference for the
    /// classification from the region found once.
    fn as_the_crate_says(s: &str) -> Option<(CountryIso, NumberType)> {
        use phonenumber::metadata::DATABASE;
        let parsed = phonenumber::parse(None, s).ok()?;
        let kind = parsed.number_type(&DATABASE);
        let checked = kind != phonenumber::Type::Unknown && parsed.national().zeros() == 0;
        if !checked && !phonenumber::is_valid(&parsed) {
            return None;
        }
        let kind = match kind {
            phonenumber::Type::Mobile => NumberType::Mobile,
            phonenumber::Type::TollFree => NumberType::TollFree,
            _ => NumberType::Local,
        };
        let country = parsed
            .country()
            .id()
            .and_then(|id| CountryIso::parse(id.as_ref()).ok())
            .or_else(|| main_country_for_code(parsed.country().code()))?;
        Some((country, kind))
    }

    /// Every example number of every type of every region in libphonenumber's metadata, and
    /// each with its last digit changed (often no longer valid): the same validity, type and
    /// country as the crate's own answers.
    #[test]
    fn every_example_number_is_classified_as_the_crate_classifies_it() {
        let mut compared = 0;
        for meta in phonenumber::metadata::DATABASE.iter() {
            let d = meta.descriptors();
            let descriptors = [
                Some(d.general()),
                d.fixed_line(),
                d.mobile(),
                d.toll_free(),
                d.premium_rate(),
                d.shared_cost(),
                d.voip(),
                d.personal_number(),
                d.pager(),
                d.uan(),
                d.voicemail(),
            ];
            for example in descriptors
                .into_iter()
                .flatten()
                .filter_map(|d| d.example())
            {
                let number = format!("+{}{example}", meta.country_code());
                let mut changed = number.clone();
                let last = changed.pop().and_then(|c| c.to_digit(10)).unwrap_or(0);
                changed.push(char::from_digit((last + 5) % 10, 10).unwrap());
                for text in [number, changed] {
                    let ours = E164::parse(&text)
                        .ok()
                        .map(|n| (*n.country(), n.number_type()));
                    let prefilter = E164::parse(&text)
                        .err()
                        .is_some_and(|e| matches!(e, PhoneError::NotE164(_)));
                    if !prefilter {
                        assert_eq!(ours, as_the_crate_says(&text), "{text}");
                        compared += 1;
                    }
                }
            }
        }
        assert!(compared > 1_000, "{compared} numbers compared");
    }

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
}
