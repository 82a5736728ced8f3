//! Reference data a client needs before buying: prices per provider, country and type, and the
//! country rules (calling code, national number lengths, leading digits). The rules are derived
//! from libphonenumber's metadata at first use, never typed by hand, so they agree with the
//! validation `E164::parse` applies.

use crate::input::{self, present};
use crate::model::Price;
use crate::{Caller, ServiceResult, Services};
use dialnexa_domain::{CountryIso, NumberType, Provider};
use regex_syntax::hir::literal::{ExtractKind, Extractor};
use serde::Deserialize;
use std::collections::BTreeSet;
use std::sync::OnceLock;

/// One country as libphonenumber knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountryRule {
    /// `pcr_` and the lower-case ISO code: stable across releases and processes.
    pub id: String,
    pub country: CountryIso,
    pub name: String,
    pub calling_code: u16,
    /// Possible lengths of the national significant number (without the calling code).
    pub lengths: Vec<u16>,
    pub min_length: u16,
    pub max_length: u16,
    /// Leading digits a valid national number starts with (one or two digits each).
    pub prefixes: Vec<String>,
}

/// Filters of the pricing list; `None` matches everything.
#[derive(Debug, Clone, Default)]
pub struct PriceFilter {
    pub country: Option<CountryIso>,
    pub provider: Option<Provider>,
    pub number_type: Option<NumberType>,
}

/// The pricing list's query as sent, in our spellings or the spec's. Blank values are absent.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PriceQuery {
    #[serde(alias = "countryISO", alias = "country_code")]
    pub country_iso: Option<String>,
    /// `twilio`, `plivo` or the spec's `tp_twilio`.
    #[serde(alias = "telephony_provider_id")]
    pub provider: Option<String>,
    #[serde(rename = "type")]
    pub number_type: Option<String>,
}

impl PriceQuery {
    pub fn parse(&self) -> ServiceResult<PriceFilter> {
        input::no_nul_in(&[
            ("country_iso", &self.country_iso),
            ("provider", &self.provider),
            ("type", &self.number_type),
        ])?;
        Ok(PriceFilter {
            country: present(&self.country_iso)
                .map(|c| input::country("country_iso", c))
                .transpose()?,
            provider: present(&self.provider)
                .map(|p| input::provider("provider", p.trim_start_matches("tp_")))
                .transpose()?,
            number_type: present(&self.number_type)
                .map(|t| input::number_type("type", t))
                .transpose()?,
        })
    }
}

/// A country's name in English, e.g. "India".
pub fn country_name(country: CountryIso) -> String {
    region_name(country.as_str())
}

/// Names for the few regions libphonenumber has that ISO 3166-1 does not list.
fn region_name(iso: &str) -> String {
    match isocountry::CountryCode::for_alpha2(iso) {
        Ok(c) => c.name().to_owned(),
        Err(_) => match iso {
            "AC" => "Ascension Island".to_owned(),
            "TA" => "Tristan da Cunha".to_owned(),
            "XK" => "Kosovo".to_owned(),
            other => other.to_owned(),
        },
    }
}

/// The leading digits a national-number pattern admits, as short as they can be: every
/// two-digit prefix the pattern allows, folded to one digit where all ten follow it. A pattern
/// too open to enumerate admits any leading digit.
pub fn leading_digits(pattern: &str) -> Vec<String> {
    let all_digits = || (0..10).map(|d| d.to_string()).collect::<Vec<_>>();
    // libphonenumber's patterns are laid out over several lines.
    let parsed = regex_syntax::ParserBuilder::new()
        .ignore_whitespace(true)
        .build()
        .parse(pattern);
    let Ok(hir) = parsed else {
        return all_digits();
    };
    let mut extractor = Extractor::new();
    extractor
        .kind(ExtractKind::Prefix)
        .limit_class(10)
        .limit_literal_len(2)
        .limit_total(1000);
    let seq = extractor.extract(&hir);
    let Some(literals) = seq.literals() else {
        return all_digits();
    };
    let mut found: BTreeSet<String> = BTreeSet::new();
    for lit in literals {
        let text = String::from_utf8_lossy(lit.as_bytes()).into_owned();
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return all_digits();
        }
        found.insert(text.chars().take(2).collect());
    }
    fold(found)
}

/// One- and two-digit prefixes, a two-digit one dropped where its first digit is listed and
/// all ten two-digit ones folded into their first digit.
fn fold(prefixes: BTreeSet<String>) -> Vec<String> {
    let (mut one, mut two): (BTreeSet<String>, BTreeSet<String>) =
        prefixes.into_iter().partition(|p| p.len() == 1);
    for d in 0..10 {
        let first = d.to_string();
        let full = (0..10).all(|e| two.contains(&format!("{d}{e}")));
        if full || one.contains(&first) {
            two.retain(|p| !p.starts_with(&first));
            one.insert(first);
        }
    }
    let mut out: Vec<String> = one.into_iter().chain(two).collect();
    out.sort();
    out
}

/// The number types libphonenumber describes per region; a valid number matches one of them.
fn type_descriptors(
    meta: &phonenumber::metadata::Metadata,
) -> Vec<&phonenumber::metadata::Descriptor> {
    let d = meta.descriptors();
    [
        d.fixed_line(),
        d.mobile(),
        d.toll_free(),
        d.premium_rate(),
        d.shared_cost(),
        d.personal_number(),
        d.voip(),
        d.pager(),
        d.uan(),
        d.voicemail(),
    ]
    .into_iter()
    .flatten()
    .filter(|d| !d.possible_length().is_empty())
    .collect()
}

fn build_rules() -> Vec<CountryRule> {
    use phonenumber::metadata::DATABASE;
    let mut rules: Vec<CountryRule> = DATABASE
        .iter()
        .filter_map(|meta| {
            // "001" and friends are non-geographic entities, not countries.
            let country = CountryIso::parse(meta.id()).ok()?;
            let types = type_descriptors(meta);
            let lengths: BTreeSet<u16> = types
                .iter()
                .flat_map(|d| d.possible_length().iter().copied())
                .collect();
            let prefixes: BTreeSet<String> = types
                .iter()
                .flat_map(|d| leading_digits(d.national_number().as_str()))
                .collect();
            let lengths: Vec<u16> = lengths.into_iter().collect();
            let (&min_length, &max_length) = (lengths.first()?, lengths.last()?);
            Some(CountryRule {
                id: format!("pcr_{}", country.as_str().to_ascii_lowercase()),
                name: region_name(country.as_str()),
                calling_code: meta.country_code(),
                min_length,
                max_length,
                prefixes: fold(prefixes),
                lengths,
                country,
            })
        })
        .collect();
    rules.sort_by_key(|r| r.country);
    rules
}

impl Services {
    /// Every country libphonenumber knows, by ISO code.
    pub fn country_rules(&self) -> &'static [CountryRule] {
        static RULES: OnceLock<Vec<CountryRule>> = OnceLock::new();
        RULES.get_or_init(build_rules)
    }

    /// The rules of the countries enabled in the caller's workspace.
    pub async fn enabled_country_rules(&self, caller: &Caller) -> ServiceResult<Vec<CountryRule>> {
        let workspace = self.workspace(caller).await?;
        Ok(self
            .country_rules()
            .iter()
            .filter(|r| workspace.country_enabled(r.country))
            .cloned()
            .collect())
    }

    /// Monthly rental per provider, country and type, for the providers this deployment has.
    pub async fn pricing(&self, filter: &PriceFilter) -> ServiceResult<Vec<Price>> {
        Ok(self
            .store
            .list_prices()
            .await?
            .into_iter()
            .filter(|p| self.carriers.get(p.provider).is_ok())
            .filter(|p| filter.country.is_none_or(|c| c == p.country))
            .filter(|p| filter.provider.is_none_or(|v| v == p.provider))
            .filter(|p| filter.number_type.is_none_or(|t| t == p.number_type))
            .map(|p| Price {
                provider: p.provider,
                country: p.country,
                number_type: p.number_type,
                monthly_cost: p.monthly_cost,
            })
            .collect())
    }

    pub fn country_name(&self, country: CountryIso) -> String {
        country_name(country)
    }

    /// The carriers this deployment sells numbers through.
    pub async fn providers_on_offer(&self) -> ServiceResult<Vec<Provider>> {
        let mut providers: Vec<Provider> = self
            .pricing(&PriceFilter::default())
            .await?
            .iter()
            .map(|p| p.provider)
            .collect();
        providers.sort();
        providers.dedup();
        Ok(providers)
    }

    /// The carriers a workspace may choose as its default: those on offer, and the one it has
    /// now, sold here any more or not.
    pub async fn default_provider_choices(&self, caller: &Caller) -> ServiceResult<Vec<Provider>> {
        let current = self.workspace(caller).await?.default_provider;
        let mut providers = self.providers_on_offer().await?;
        if !providers.contains(&current) {
            providers.push(current);
            providers.sort();
        }
        Ok(providers)
    }

    /// The countries a workspace may pick from, by name: those a carrier here sells numbers
    /// in, and those the workspace enabled.
    pub async fn offered_countries(&self, caller: &Caller) -> ServiceResult<Vec<CountryIso>> {
        let workspace = self.workspace(caller).await?;
        let mut all: Vec<CountryIso> = self
            .pricing(&PriceFilter::default())
            .await?
            .into_iter()
            .map(|p| p.country)
            .chain(workspace.enabled_countries)
            .collect();
        all.sort_by_key(|c| country_name(*c));
        all.dedup();
        Ok(all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leading_digits_fold_full_decades() {
        assert_eq!(leading_digits(r"9\d{9}"), ["9"]);
        assert_eq!(leading_digits(r"(?:98|99)\d{8}"), ["98", "99"]);
        assert_eq!(leading_digits(r"[2-4]\d{5}"), ["2", "3", "4"]);
        assert_eq!(leading_digits(r"\d{7}").len(), 10);
    }

    #[test]
    fn rules_cover_the_countries_we_sell() {
        let rules = build_rules();
        let us = rules.iter().find(|r| r.country.as_str() == "US").unwrap();
        assert_eq!((us.calling_code, us.min_length, us.max_length), (1, 10, 10));
        assert_eq!(us.id, "pcr_us");
        assert_eq!(us.name, "United States of America");
        assert!(!us.prefixes.contains(&"1".to_owned()), "{:?}", us.prefixes);
        let india = rules.iter().find(|r| r.country.as_str() == "IN").unwrap();
        assert_eq!(india.calling_code, 91);
        assert!(rules.len() > 200, "{}", rules.len());
        assert!(rules.iter().all(|r| !r.prefixes.is_empty()));
    }
}
