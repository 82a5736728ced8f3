//! Sets of concrete numbers (the owned ones), kept so that a search can ask which of them lie
//! in a block without looking at the others.

use std::collections::BTreeSet;
use std::collections::btree_set;

use super::cells::{Block, Digits};

/// E.164 numbers as sorted integer keys ([`Digits::key`]): a block's numbers are one key range,
/// so the members of a block are found by seeking, whatever else the set holds.
#[derive(Clone, Debug, Default)]
pub(crate) struct NumberSet {
    keys: BTreeSet<u64>,
}

impl NumberSet {
    /// Adds `e164` (`+` and digits); anything else is not a number a search could offer,
    /// so it is left out.
    pub(crate) fn insert(&mut self, e164: &str) {
        if let Some(digits) = Digits::from_e164(e164) {
            self.keys.insert(digits.key());
        }
    }

    pub(crate) fn remove(&mut self, e164: &str) {
        if let Some(digits) = Digits::from_e164(e164) {
            self.keys.remove(&digits.key());
        }
    }

    pub(crate) fn clear(&mut self) {
        self.keys.clear();
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    pub(crate) fn contains(&self, number: &Digits) -> bool {
        self.keys.contains(&number.key())
    }

    #[cfg(test)]
    pub(crate) fn contains_e164(&self, e164: &str) -> bool {
        Digits::from_e164(e164).is_some_and(|d| self.contains(&d))
    }

    /// The members of the set inside `block`, in ascending order. Members between the
    /// block's first and last number that are not in it are stepped over by seeking to the
    /// block's next number, so a cluster of them costs a lookup or two, not a visit each.
    pub(crate) fn within<'a>(&'a self, block: &'a Block) -> Within<'a> {
        let span = block
            .first()
            .zip(block.nth(block.size().saturating_sub(1)))
            .map(|(first, last)| (first.key(), last.key()));
        Within {
            keys: &self.keys,
            block,
            end: span.map_or(0, |s| s.1),
            // Nothing until the first seek; an empty block never seeks.
            range: self.keys.range(0..0),
            pending: span.map(|s| s.0),
        }
    }
}

impl<'a> FromIterator<&'a str> for NumberSet {
    fn from_iter<I: IntoIterator<Item = &'a str>>(numbers: I) -> Self {
        let mut set = NumberSet::default();
        for e164 in numbers {
            set.insert(e164);
        }
        set
    }
}

/// See [`NumberSet::within`].
pub(crate) struct Within<'a> {
    keys: &'a BTreeSet<u64>,
    block: &'a Block,
    /// The key of the block's last number.
    end: u64,
    range: btree_set::Range<'a, u64>,
    /// Where to seek to before reading `range` further.
    pending: Option<u64>,
}

impl Iterator for Within<'_> {
    type Item = Digits;

    fn next(&mut self) -> Option<Digits> {
        loop {
            if let Some(start) = self.pending.take() {
                self.range = self.keys.range(start..=self.end);
            }
            let number = Digits::from_key(*self.range.next()?);
            if self.block.contains(&number) {
                return Some(number);
            }
            // Between two numbers of the block: go on from the next one, if any is left.
            self.pending = Some(self.block.ceiling(&number)?.key());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::cells::{DigitSet, parse_cells};
    use super::*;

    #[test]
    fn members_of_a_block_are_found_by_seeking() {
        let block = Block::new(parse_cells("1[2-9][3579]##"));
        let set: NumberSet = [
            "+12300", "+12301", "+12400", "+12399", "+19999", "+13300", "+1230", "+123000", "+2",
        ]
        .into_iter()
        .collect();
        let found: Vec<String> = set.within(&block).map(Digits::to_e164).collect();
        assert_eq!(found, ["+12300", "+12301", "+12399", "+13300", "+19999"]);
        assert!(set.contains_e164("+1230") && !set.contains_e164("+1231"));
        let nothing = Block::new(parse_cells("1[2-9]6##"));
        assert_eq!(set.within(&nothing).count(), 0);
        let no_digit = DigitSet::single(0).intersect(DigitSet::single(1));
        let empty = Block::new(parse_cells("1[2-9]").into_iter().chain([no_digit]));
        assert_eq!(set.within(&empty).count(), 0);
    }
}
