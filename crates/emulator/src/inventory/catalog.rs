//! What the emulator sells, country by country: number ranges, places and prices.
//!
//! The tables are data (`data/countries.txt`, `data/ranges.txt`), compiled in; changing the
//! stock is an edit there, checked by the sampling test in `inventory::tests`.

use super::{AddressRequirement, NumberType};

const COUNTRIES: &str = include_str!("../../data/countries.txt");
const RANGES: &str = include_str!("../../data/ranges.txt");

pub(super) struct CountrySpec {
    pub(super) iso: &'static str,
    pub(super) name: &'static str,
    pub(super) calling_code: &'static str,
    pub(super) address_requirement: AddressRequirement,
    /// Monthly rental in USD micros for local, mobile and toll-free numbers.
    pub(super) monthly_micros: [u64; 3],
}

/// A range outside North America; those are generated from the area-code table.
pub(super) struct RangeSpec {
    pub(super) iso: &'static str,
    pub(super) number_type: NumberType,
    pub(super) prefix: &'static str,
    pub(super) tail: &'static str,
    /// Code and name of the region, for local ranges.
    pub(super) region: Option<(&'static str, &'static str)>,
    pub(super) locality: Option<&'static str>,
}

/// The `|`-separated fields of each line of a data file, without comments and blank lines.
/// The files are compiled in, so a malformed line is a programming error, caught by tests.
pub(super) fn data_lines(text: &'static str) -> impl Iterator<Item = Vec<&'static str>> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| line.split('|').map(str::trim).collect())
}

pub(super) fn countries() -> impl Iterator<Item = CountrySpec> {
    data_lines(COUNTRIES).map(|f| {
        assert_eq!(f.len(), 7, "bad country line {f:?}");
        CountrySpec {
            iso: f[0],
            name: f[1],
            calling_code: f[2],
            address_requirement: match f[3] {
                "none" => AddressRequirement::None,
                "any" => AddressRequirement::Any,
                "local" => AddressRequirement::Local,
                other => panic!("bad address requirement {other:?}"),
            },
            monthly_micros: [micros(f[4]), micros(f[5]), micros(f[6])],
        }
    })
}

pub(super) fn ranges() -> impl Iterator<Item = RangeSpec> {
    data_lines(RANGES).map(|f| {
        assert_eq!(f.len(), 7, "bad range line {f:?}");
        let present = |s: &'static str| (!s.is_empty()).then_some(s);
        RangeSpec {
            iso: f[0],
            number_type: match f[1] {
                "local" => NumberType::Local,
                "mobile" => NumberType::Mobile,
                "toll_free" => NumberType::TollFree,
                other => panic!("bad number type {other:?}"),
            },
            prefix: f[2],
            tail: f[3],
            region: present(f[4]).zip(present(f[5])),
            locality: present(f[6]),
        }
    })
}

/// USD micros from a decimal amount such as `1.15`.
fn micros(usd: &str) -> u64 {
    let (whole, fraction) = usd.split_once('.').unwrap_or((usd, ""));
    let fraction = format!("{fraction:0<6}");
    let parse = |digits: &str| {
        digits
            .parse::<u64>()
            .unwrap_or_else(|_| panic!("bad amount {usd}"))
    };
    parse(whole) * 1_000_000 + parse(&fraction[..6])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_parse() {
        assert_eq!(micros("1.15"), 1_150_000);
        assert_eq!(micros("25"), 25_000_000);
        let countries: Vec<CountrySpec> = countries().collect();
        assert_eq!(countries.len(), 13);
        let us = countries.iter().find(|c| c.iso == "US").unwrap();
        assert_eq!(us.monthly_micros, [1_150_000, 1_150_000, 2_150_000]);
        for range in ranges() {
            assert!(
                countries.iter().any(|c| c.iso == range.iso),
                "{}",
                range.iso
            );
            assert_eq!(
                range.number_type == NumberType::Local,
                range.locality.is_some()
            );
        }
    }
}
