//! Searching the stock without scanning it: patterns narrow each range's cells, and the
//! narrowed blocks are walked in order, skipping numbers someone owns.
//!
//! The cost of a search is a few operations per range and per pattern placement plus the page
//! it returns, whatever the size of the stock; an offset into a single block is a seek.

use std::collections::{HashMap, HashSet};

/// Owned numbers of one range, as digit strings.
type Owned = HashSet<Vec<u8>>;

use super::cells::{DigitSet, Odometer};
use super::{Capabilities, Country, NumberType, Offer, Pattern, Range};

/// What a carrier search asks for; every filter present must hold.
#[derive(Clone, Debug)]
pub(crate) struct Query {
    pub(crate) number_type: NumberType,
    pub(crate) patterns: Vec<Pattern>,
    /// A region code (`CA`) or name (`California`), in any case.
    pub(crate) region: Option<String>,
    pub(crate) locality: Option<String>,
    pub(crate) capabilities: CapabilityFilter,
}

impl Query {
    pub(crate) fn new(number_type: NumberType) -> Self {
        Query {
            number_type,
            patterns: Vec::new(),
            region: None,
            locality: None,
            capabilities: CapabilityFilter::default(),
        }
    }

    fn admits(&self, range: &Range) -> bool {
        let place = &range.place;
        let region_ok = self.region.as_deref().is_none_or(|wanted| {
            [place.region, place.region_name]
                .into_iter()
                .flatten()
                .any(|r| r.eq_ignore_ascii_case(wanted))
        });
        let locality_ok = self.locality.as_deref().is_none_or(|wanted| {
            place
                .locality
                .is_some_and(|l| l.eq_ignore_ascii_case(wanted))
        });
        range.number_type == self.number_type
            && region_ok
            && locality_ok
            && self.capabilities.admits(&range.capabilities)
    }

    /// The blocks of `range` matching every pattern: one per combination of placements.
    fn blocks(&self, range: &Range, calling_code: &str) -> Vec<Vec<DigitSet>> {
        let mut blocks = vec![range.cells(calling_code)];
        for pattern in &self.patterns {
            blocks = blocks
                .iter()
                .flat_map(|cells| pattern.placements(cells, calling_code.len()))
                .collect();
        }
        blocks
    }
}

/// Required capabilities: `Some(true)` must have, `Some(false)` must lack.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct CapabilityFilter {
    pub(crate) voice: Option<bool>,
    pub(crate) sms: Option<bool>,
    pub(crate) mms: Option<bool>,
    pub(crate) fax: Option<bool>,
}

impl CapabilityFilter {
    fn admits(&self, c: &Capabilities) -> bool {
        let ok = |wanted: Option<bool>, has: bool| wanted.is_none_or(|w| w == has);
        ok(self.voice, c.voice) && ok(self.sms, c.sms) && ok(self.mms, c.mms) && ok(self.fax, c.fax)
    }
}

/// One page of available numbers and how many match in all.
#[derive(Debug)]
pub(crate) struct SearchPage<'a> {
    pub(crate) offers: Vec<Offer<'a>>,
    /// Available numbers matching the query. Exact when each range matches as one block
    /// (prefix searches); an upper bound when a `Contains` pattern fits several ways.
    pub(crate) total: u64,
}

impl Country {
    /// Available numbers matching `query`, skipping `offset` of them, at most `limit`.
    /// `taken` yields the E.164 numbers owned by anyone (others' countries are ignored).
    pub(crate) fn search<'t>(
        &self,
        query: &Query,
        offset: u64,
        limit: usize,
        taken: impl IntoIterator<Item = &'t String>,
    ) -> SearchPage<'_> {
        let taken_by_range = self.group_taken(query, taken);
        let mut page = SearchPage {
            offers: Vec::new(),
            total: 0,
        };
        let mut skip = offset;
        for (index, range) in self.ranges.iter().enumerate() {
            if !query.admits(range) {
                continue;
            }
            let blocks = query.blocks(range, self.calling_code);
            if blocks.is_empty() {
                continue;
            }
            let empty = Owned::new();
            let taken_here = taken_by_range.get(&index).unwrap_or(&empty);
            let mut odometers: Vec<Odometer> = blocks.into_iter().map(Odometer::new).collect();
            let available = odometers
                .iter()
                .map(Odometer::size)
                .sum::<u64>()
                .saturating_sub(taken_here.len() as u64);
            page.total += available;
            if page.offers.len() >= limit {
                continue;
            }
            if let [odometer] = odometers.as_mut_slice() {
                // One block: jump straight to the offset, stepping over owned numbers.
                if skip >= available {
                    skip -= available;
                    continue;
                }
                let mut owned: Vec<u64> = taken_here
                    .iter()
                    .filter_map(|digits| odometer.rank_of(digits))
                    .collect();
                owned.sort_unstable();
                let mut index = skip;
                for rank in owned {
                    if rank <= index {
                        index += 1;
                    }
                }
                odometer.seek(index);
                skip = 0;
            }
            let mut numbers = Merged { odometers };
            while page.offers.len() < limit {
                let Some(digits) = numbers.next() else { break };
                if taken_here.contains(&digits) {
                    continue;
                }
                if skip > 0 {
                    skip -= 1;
                    continue;
                }
                let e164: String = std::iter::once('+')
                    .chain(digits.iter().map(|d| char::from(b'0' + d)))
                    .collect();
                page.offers.push(Offer {
                    e164,
                    country: self,
                    range,
                });
            }
        }
        page
    }

    /// Owned numbers that match the query, as digit strings grouped by range index.
    fn group_taken<'t>(
        &self,
        query: &Query,
        taken: impl IntoIterator<Item = &'t String>,
    ) -> HashMap<usize, Owned> {
        let mut groups: HashMap<usize, Owned> = HashMap::new();
        let cc_len = self.calling_code.len();
        let mut digits = Vec::new();
        for e164 in taken {
            let Some(national) = e164
                .strip_prefix('+')
                .and_then(|d| d.strip_prefix(self.calling_code))
            else {
                continue;
            };
            digits.clear();
            digits.extend(self.calling_code.bytes().map(|b| b - b'0'));
            digits.extend(national.bytes().map(|b| b.wrapping_sub(b'0')));
            // The patterns first: they turn most owned numbers away without a range lookup.
            if !query.patterns.iter().all(|p| p.matches(&digits, cc_len)) {
                continue;
            }
            let Some(index) = self.ranges.iter().position(|r| r.holds(&digits[cc_len..])) else {
                continue;
            };
            groups.entry(index).or_default().insert(digits.clone());
        }
        groups
    }
}

/// Several blocks of one range walked as one ascending sequence without repeats (a
/// `Contains` pattern that fits at two places yields two overlapping blocks).
struct Merged {
    odometers: Vec<Odometer>,
}

impl Iterator for Merged {
    type Item = Vec<u8>;

    fn next(&mut self) -> Option<Vec<u8>> {
        let smallest = self
            .odometers
            .iter()
            .filter_map(Odometer::peek)
            .min()?
            .to_vec();
        for odometer in &mut self.odometers {
            if odometer.peek() == Some(smallest.as_slice()) {
                odometer.next();
            }
        }
        Some(smallest)
    }
}
