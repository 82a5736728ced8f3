//! The carriers' shared stock of numbers: large, deterministic and never materialised.
//!
//! A country's stock is a list of ranges (a national prefix plus a cell per remaining digit).
//! Whether a number is in stock is a check against its range; searches slide patterns over
//! ranges (see `search`). Which numbers are *available* also depends on who owns what, which
//! lives in the store, not here.

mod catalog;
mod cells;
mod nanp;
mod numbers;
mod pattern;
mod search;

use std::sync::OnceLock;

use cells::{Block, DigitSet, literal_cells, parse_cells};
pub(crate) use numbers::NumberSet;
pub(crate) use pattern::Pattern;
pub(crate) use search::{Query, SearchPage};

/// The kind of number, as both carriers' search endpoints split them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NumberType {
    Local,
    Mobile,
    TollFree,
}

impl NumberType {
    pub const ALL: [NumberType; 3] = [NumberType::Local, NumberType::Mobile, NumberType::TollFree];

    fn index(self) -> usize {
        self as usize
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Capabilities {
    pub voice: bool,
    pub sms: bool,
    pub mms: bool,
    pub fax: bool,
}

/// Twilio's `address_requirements`: what address a buyer must have on file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddressRequirement {
    None,
    Any,
    Local,
}

impl AddressRequirement {
    pub fn as_str(self) -> &'static str {
        match self {
            AddressRequirement::None => "none",
            AddressRequirement::Any => "any",
            AddressRequirement::Local => "local",
        }
    }
}

/// Where a range's numbers ring; nationwide ranges (mobile, toll-free) have no place.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Place {
    /// Short code of the state, province or region, e.g. `CA`, `ON`, `MH`.
    pub region: Option<&'static str>,
    pub region_name: Option<&'static str>,
    pub locality: Option<&'static str>,
    /// Reported only for North American numbers, as Twilio does.
    pub lat_lon: Option<(f64, f64)>,
}

/// A block of numbers sharing a national prefix, a place and capabilities.
#[derive(Debug)]
pub struct Range {
    pub number_type: NumberType,
    /// National digits every number of the range starts with (an area code, for instance).
    pub prefix: &'static str,
    tail: Vec<DigitSet>,
    pub place: Place,
    pub capabilities: Capabilities,
}

impl Range {
    /// The block of full E.164 numbers (without the `+`) the range holds.
    fn block(&self, calling_code: &str) -> Block {
        Block::new(
            literal_cells(calling_code)
                .chain(literal_cells(self.prefix))
                .chain(self.tail.iter().copied()),
        )
    }

    /// Whether the national number `national` (ASCII digits) is one of the range's.
    fn holds(&self, national: &[u8]) -> bool {
        let prefix = self.prefix.as_bytes();
        national.len() == prefix.len() + self.tail.len()
            && national.starts_with(prefix)
            && national[prefix.len()..]
                .iter()
                .zip(&self.tail)
                .all(|(d, cell)| cell.contains(d.wrapping_sub(b'0')))
    }

    pub fn size(&self) -> u64 {
        self.tail.iter().map(|c| c.len()).product()
    }
}

#[derive(Debug)]
pub struct Country {
    /// ISO 3166-1 alpha-2, upper case.
    pub iso: &'static str,
    pub name: &'static str,
    /// Digits of the calling code, without `+`.
    pub calling_code: &'static str,
    pub address_requirement: AddressRequirement,
    monthly_micros: [u64; 3],
    ranges: Vec<Range>,
}

impl Country {
    pub fn ranges(&self, number_type: NumberType) -> impl Iterator<Item = &Range> {
        self.ranges
            .iter()
            .filter(move |r| r.number_type == number_type)
    }

    /// How many numbers of a type the country holds in stock.
    pub fn size(&self, number_type: NumberType) -> u64 {
        self.ranges(number_type).map(Range::size).sum()
    }

    /// Monthly rental in USD micros (1.15 USD is 1_150_000).
    pub fn monthly_micros(&self, number_type: NumberType) -> u64 {
        self.monthly_micros[number_type.index()]
    }
}

/// The whole stock: every country the emulated carriers sell numbers in.
#[derive(Debug)]
pub struct Inventory {
    countries: Vec<Country>,
}

/// A number in stock, with the range that holds it.
#[derive(Clone, Debug)]
pub struct Offer<'a> {
    /// `+` and digits.
    pub e164: String,
    pub country: &'a Country,
    pub range: &'a Range,
}

impl Offer<'_> {
    /// Digits after the country code.
    pub fn national(&self) -> &str {
        &self.e164[1 + self.country.calling_code.len()..]
    }
}

impl Inventory {
    /// The one inventory; built on first use (a few hundred ranges, not numbers).
    pub fn global() -> &'static Inventory {
        static INVENTORY: OnceLock<Inventory> = OnceLock::new();
        INVENTORY.get_or_init(Inventory::build)
    }

    fn build() -> Inventory {
        let mut countries: Vec<Country> = catalog::countries()
            .map(|spec| Country {
                iso: spec.iso,
                name: spec.name,
                calling_code: spec.calling_code,
                address_requirement: spec.address_requirement,
                monthly_micros: spec.monthly_micros,
                ranges: Vec::new(),
            })
            .collect();
        let mut add = |iso: &str, range: Range| {
            if let Some(country) = countries.iter_mut().find(|c| c.iso == iso) {
                country.ranges.push(range);
            }
        };
        for code in nanp::area_codes() {
            let region = nanp::region(code.region);
            let place = Place {
                region: Some(code.region),
                region_name: region.map(|r| r.0),
                locality: Some(code.locality),
                lat_lon: region.map(|r| (r.1, r.2)),
            };
            add(
                code.iso,
                range(
                    code.iso,
                    NumberType::Local,
                    code.npa,
                    nanp::LOCAL_TAIL,
                    place,
                ),
            );
        }
        for npa in nanp::TOLL_FREE_CODES {
            let place = Place::default();
            add(
                "US",
                range("US", NumberType::TollFree, npa, nanp::TOLL_FREE_TAIL, place),
            );
        }
        for spec in catalog::ranges() {
            let place = Place {
                region: spec.region.map(|r| r.0),
                region_name: spec.region.map(|r| r.1),
                locality: spec.locality,
                lat_lon: None,
            };
            add(
                spec.iso,
                range(spec.iso, spec.number_type, spec.prefix, spec.tail, place),
            );
        }
        Inventory { countries }
    }

    pub fn countries(&self) -> &[Country] {
        &self.countries
    }

    /// A country by ISO code, in any case.
    pub fn country(&self, iso: &str) -> Option<&Country> {
        self.countries
            .iter()
            .find(|c| c.iso.eq_ignore_ascii_case(iso))
    }

    /// The stock entry for an E.164 number (`+` and digits), if the carriers sell it at all.
    pub fn lookup(&self, e164: &str) -> Option<Offer<'_>> {
        let digits = e164.strip_prefix('+')?;
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        self.countries.iter().find_map(|country| {
            let national = digits.strip_prefix(country.calling_code)?.as_bytes();
            let range = country.ranges.iter().find(|r| r.holds(national))?;
            Some(Offer {
                e164: e164.to_owned(),
                country,
                range,
            })
        })
    }
}

fn range(
    iso: &str,
    number_type: NumberType,
    prefix: &'static str,
    tail: &str,
    place: Place,
) -> Range {
    Range {
        number_type,
        prefix,
        tail: parse_cells(tail),
        place,
        capabilities: capabilities(iso, number_type, prefix),
    }
}

/// Voice everywhere; SMS on most local and mobile ranges, MMS on many; fax on some landlines.
/// Derived from a hash of the range so it is stable across runs and machines.
fn capabilities(iso: &str, number_type: NumberType, prefix: &str) -> Capabilities {
    let hash = fnv1a(iso.bytes().chain(prefix.bytes()));
    let nanp = matches!(iso, "US" | "CA");
    match number_type {
        NumberType::Local => Capabilities {
            voice: true,
            sms: !hash.is_multiple_of(10),
            mms: nanp && !hash.is_multiple_of(10) && hash % 4 != 1,
            fax: hash.is_multiple_of(3),
        },
        NumberType::Mobile => Capabilities {
            voice: true,
            sms: true,
            mms: !hash.is_multiple_of(3),
            fax: false,
        },
        NumberType::TollFree => Capabilities {
            voice: true,
            sms: nanp,
            mms: false,
            fax: false,
        },
    }
}

fn fnv1a(bytes: impl Iterator<Item = u8>) -> u32 {
    bytes.fold(0x811c_9dc5, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

#[cfg(test)]
mod tests;
