//! Searching the stock without scanning it: patterns narrow each range's cells, and the
//! narrowed blocks are walked in order, skipping numbers someone owns.
//!
//! The cost of a search is a few operations per range and per pattern placement plus the page
//! it returns, whatever the size of the stock; an offset into a single block is a seek. Owned
//! numbers are found block by block in a sorted set, so those outside the blocks a search
//! walks or counts cost it nothing, and nothing is allocated but the page itself.

use super::cells::{Block, Digits};
use super::{Capabilities, Country, NumberSet, NumberType, Offer, Pattern, Range};

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

    /// The blocks of `range` matching every pattern, one per combination of placements, into
    /// `blocks`; `spare` is scratch space. Both keep their capacity for the next range.
    fn blocks(
        &self,
        range: &Range,
        calling_code: &str,
        blocks: &mut Vec<Block>,
        spare: &mut Vec<Block>,
    ) {
        blocks.clear();
        blocks.push(range.block(calling_code));
        for pattern in &self.patterns {
            spare.clear();
            for block in blocks.iter() {
                pattern.place(block, calling_code.len(), spare);
            }
            std::mem::swap(blocks, spare);
        }
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
    /// Available numbers matching `query`, skipping `offset` of them, at most `limit`, and how
    /// many match in all. `taken` holds the numbers owned by anyone (other countries' are
    /// never in this country's blocks).
    pub(crate) fn search(
        &self,
        query: &Query,
        offset: u64,
        limit: usize,
        taken: &NumberSet,
    ) -> SearchPage<'_> {
        self.walk(query, offset, limit, taken, true)
    }

    /// The first `limit` available numbers matching `query`, without counting the others:
    /// a search that reports no total stops at the range that fills its page.
    pub(crate) fn first_available(
        &self,
        query: &Query,
        limit: usize,
        taken: &NumberSet,
    ) -> Vec<Offer<'_>> {
        self.walk(query, 0, limit, taken, false).offers
    }

    fn walk(
        &self,
        query: &Query,
        offset: u64,
        limit: usize,
        taken: &NumberSet,
        count_all: bool,
    ) -> SearchPage<'_> {
        let mut page = SearchPage {
            offers: Vec::with_capacity(limit.min(100)),
            total: 0,
        };
        let mut skip = offset;
        let (mut blocks, mut spare) = (Vec::new(), Vec::new());
        // The next number of each block, walked together.
        let mut heads: Vec<Option<Digits>> = Vec::new();
        for range in self.ranges.iter().filter(|r| query.admits(r)) {
            let full = page.offers.len() >= limit;
            if full && !count_all {
                break;
            }
            query.blocks(range, self.calling_code, &mut blocks, &mut spare);
            if blocks.is_empty() {
                continue;
            }
            let available = || {
                let size = blocks.iter().map(Block::size).sum::<u64>();
                size.saturating_sub(owned_in(&blocks, taken))
            };
            let mut counted = None;
            if count_all {
                let available = available();
                page.total += available;
                counted = Some(available);
            }
            if full {
                continue;
            }
            heads.clear();
            if let [block] = blocks.as_slice() {
                // One block: jump straight to the offset, stepping over owned numbers.
                if skip > 0 {
                    let available = counted.unwrap_or_else(available);
                    if skip >= available {
                        skip -= available;
                        continue;
                    }
                }
                let mut index = skip;
                // Ascending ranks: once one lies past the index, so do the rest.
                for rank in taken.within(block).filter_map(|n| block.rank_of(&n)) {
                    if rank > index {
                        break;
                    }
                    index += 1;
                }
                heads.push(block.nth(index));
                skip = 0;
            } else {
                heads.extend(blocks.iter().map(Block::first));
            }
            // The blocks as one ascending sequence without repeats (a `Contains` pattern that
            // fits at two places yields two overlapping blocks).
            while page.offers.len() < limit {
                let Some(number) = heads.iter().flatten().min().copied() else {
                    break;
                };
                for (head, block) in heads.iter_mut().zip(&blocks) {
                    if *head == Some(number) {
                        *head = block.successor(&number);
                    }
                }
                if taken.contains(&number) {
                    continue;
                }
                if skip > 0 {
                    skip -= 1;
                    continue;
                }
                page.offers.push(Offer {
                    e164: number.to_e164(),
                    country: self,
                    range,
                });
            }
        }
        page
    }
}

/// How many numbers of `taken` lie in `blocks`, each counted once however many blocks hold it.
fn owned_in(blocks: &[Block], taken: &NumberSet) -> u64 {
    let mut count = 0;
    for (i, block) in blocks.iter().enumerate() {
        let earlier = &blocks[..i];
        count += taken
            .within(block)
            .filter(|n| !earlier.iter().any(|b| b.contains(n)))
            .count() as u64;
    }
    count
}
