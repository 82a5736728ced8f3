//! Sets of allowed digits per position: the unit the lazy inventory is built from.
//!
//! A block of numbers is a sequence of cells, one per digit of the E.164 number, each holding
//! the digits allowed there. Searching intersects cells with a pattern and enumerating walks
//! the cells like an odometer, so no block is ever materialised.

/// The digits allowed at one position, as a 10-bit mask (bit `d` set means digit `d` allowed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DigitSet(u16);

impl DigitSet {
    pub(crate) const ANY: Self = Self(0x3ff);

    pub(crate) fn single(digit: u8) -> Self {
        debug_assert!(digit < 10);
        Self(1 << digit)
    }

    pub(crate) fn contains(self, digit: u8) -> bool {
        digit < 10 && self.0 & (1 << digit) != 0
    }

    pub(crate) fn intersect(self, other: Self) -> Self {
        Self(self.0 & other.0)
    }

    pub(crate) fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub(crate) fn len(self) -> u64 {
        u64::from(self.0.count_ones())
    }

    /// The `n`-th allowed digit in ascending order.
    pub(crate) fn nth(self, n: u64) -> Option<u8> {
        (0..10u8)
            .filter(|&d| self.contains(d))
            .nth(usize::try_from(n).ok()?)
    }

    /// How many allowed digits are smaller than `digit`.
    pub(crate) fn rank(self, digit: u8) -> u64 {
        u64::from((self.0 & ((1u16 << digit) - 1)).count_ones())
    }

    /// The smallest allowed digit greater than `digit`.
    pub(crate) fn next_after(self, digit: u8) -> Option<u8> {
        (digit + 1..10).find(|&d| self.contains(d))
    }
}

/// Parses a compact cell spec: `#` is any digit, `[2-9]` or `[3579]` a set, a digit itself.
///
/// Only the static catalog uses this, so a malformed spec is a programming error.
pub(crate) fn parse_cells(spec: &str) -> Vec<DigitSet> {
    let mut cells = Vec::new();
    let mut chars = spec.chars();
    while let Some(c) = chars.next() {
        match c {
            '#' => cells.push(DigitSet::ANY),
            '[' => {
                let body: Vec<u8> = chars
                    .by_ref()
                    .take_while(|&c| c != ']')
                    .map(|c| if c == '-' { b'-' } else { digit_of(c) })
                    .collect();
                let mut mask = 0u16;
                let mut i = 0;
                while i < body.len() {
                    if i + 2 < body.len() && body[i + 1] == b'-' {
                        for d in body[i]..=body[i + 2] {
                            mask |= 1 << d;
                        }
                        i += 3;
                    } else {
                        mask |= 1 << body[i];
                        i += 1;
                    }
                }
                cells.push(DigitSet(mask));
            }
            c => cells.push(DigitSet::single(digit_of(c))),
        }
    }
    cells
}

/// Cells that hold exactly the given digits.
pub(crate) fn literal_cells(digits: &str) -> impl Iterator<Item = DigitSet> + '_ {
    digits.bytes().map(|b| DigitSet::single(b - b'0'))
}

fn digit_of(c: char) -> u8 {
    let d = c
        .to_digit(10)
        .unwrap_or_else(|| panic!("bad digit {c:?} in a cell spec"));
    d as u8
}

/// Walks every number of a block of cells in ascending order.
#[derive(Clone, Debug)]
pub(crate) struct Odometer {
    cells: Vec<DigitSet>,
    current: Option<Vec<u8>>,
}

impl Odometer {
    pub(crate) fn new(cells: Vec<DigitSet>) -> Self {
        let current = cells.iter().map(|c| c.nth(0)).collect::<Option<Vec<u8>>>();
        Self { cells, current }
    }

    /// How many numbers the block holds.
    pub(crate) fn size(&self) -> u64 {
        self.cells.iter().map(|c| c.len()).product()
    }

    /// The position of `digits` in the block's order, or `None` if it is not in the block.
    pub(crate) fn rank_of(&self, digits: &[u8]) -> Option<u64> {
        if digits.len() != self.cells.len() {
            return None;
        }
        let mut index = 0u64;
        for (cell, &d) in self.cells.iter().zip(digits) {
            if !cell.contains(d) {
                return None;
            }
            index = index * cell.len() + cell.rank(d);
        }
        Some(index)
    }

    /// Jumps to the `index`-th number of the block (past the end: exhausted).
    pub(crate) fn seek(&mut self, mut index: u64) {
        let mut digits = vec![0u8; self.cells.len()];
        for (slot, cell) in digits.iter_mut().zip(&self.cells).rev() {
            let radix = cell.len().max(1);
            let Some(d) = cell.nth(index % radix) else {
                self.current = None;
                return;
            };
            *slot = d;
            index /= radix;
        }
        self.current = (index == 0).then_some(digits);
    }

    pub(crate) fn peek(&self) -> Option<&[u8]> {
        self.current.as_deref()
    }
}

impl Iterator for Odometer {
    type Item = Vec<u8>;

    fn next(&mut self) -> Option<Vec<u8>> {
        let out = self.current.clone()?;
        let digits = self.current.as_mut()?;
        // Increment the last position that can grow, resetting every position after it.
        let mut pos = digits.len();
        loop {
            if pos == 0 {
                self.current = None;
                break;
            }
            pos -= 1;
            if let Some(d) = self.cells[pos].next_after(digits[pos]) {
                digits[pos] = d;
                for (slot, cell) in digits.iter_mut().zip(&self.cells).skip(pos + 1) {
                    *slot = cell.nth(0).unwrap_or(0);
                }
                break;
            }
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_specs() {
        let cells = parse_cells("[2-9][3579]4#");
        assert_eq!(cells.len(), 4);
        assert_eq!(cells[0].len(), 8);
        assert!(cells[1].contains(5) && !cells[1].contains(4));
        assert_eq!(cells[2], DigitSet::single(4));
        assert_eq!(cells[3], DigitSet::ANY);
        assert_eq!(parse_cells("[014-9]")[0].len(), 8);
    }

    #[test]
    fn odometer_walks_in_order_and_seeks() {
        let odo = Odometer::new(parse_cells("[13][05]"));
        assert_eq!(odo.size(), 4);
        let all: Vec<Vec<u8>> = odo.clone().collect();
        assert_eq!(all, vec![vec![1, 0], vec![1, 5], vec![3, 0], vec![3, 5]]);
        for (i, digits) in all.iter().enumerate() {
            assert_eq!(odo.rank_of(digits), Some(i as u64));
            let mut seeker = odo.clone();
            seeker.seek(i as u64);
            assert_eq!(seeker.peek(), Some(digits.as_slice()));
        }
        let mut past = odo.clone();
        past.seek(4);
        assert_eq!(past.next(), None);
        assert_eq!(odo.rank_of(&[2, 0]), None);
    }
}
