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

    /// The smallest allowed digit.
    pub(crate) fn first(self) -> Option<u8> {
        (!self.is_empty()).then(|| self.0.trailing_zeros() as u8)
    }

    /// The `n`-th allowed digit in ascending order.
    pub(crate) fn nth(self, n: u64) -> Option<u8> {
        let mut mask = self.0;
        for _ in 0..n {
            // Drop the lowest allowed digit.
            mask &= mask.wrapping_sub(1);
        }
        DigitSet(mask).first()
    }

    /// How many allowed digits are smaller than `digit`.
    pub(crate) fn rank(self, digit: u8) -> u64 {
        u64::from((self.0 & ((1u16 << digit) - 1)).count_ones())
    }

    /// The smallest allowed digit greater than `digit`.
    pub(crate) fn next_after(self, digit: u8) -> Option<u8> {
        DigitSet(self.0 & !((2u16 << digit) - 1)).first()
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

/// The most digits an E.164 number has, country code included.
pub(crate) const MAX_DIGITS: usize = 15;

/// The digits of one number (each 0 to 9), fixed-size so that walking blocks allocates
/// nothing. Numbers of one length order as their values do; shorter ones come first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Digits {
    len: u8,
    digits: [u8; MAX_DIGITS],
}

/// Bits of a [`Digits::key`] below the length: 10^15 < 2^50.
const KEY_VALUE_BITS: u32 = 50;

impl Digits {
    /// The digits of `+` and 1 to 15 digits; `None` for anything else.
    pub(crate) fn from_e164(e164: &str) -> Option<Digits> {
        let text = e164.strip_prefix('+')?.as_bytes();
        if text.is_empty() || text.len() > MAX_DIGITS || !text.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let mut digits = [0; MAX_DIGITS];
        for (slot, b) in digits.iter_mut().zip(text) {
            *slot = b - b'0';
        }
        Some(Digits {
            len: text.len() as u8,
            digits,
        })
    }

    pub(crate) fn as_slice(&self) -> &[u8] {
        &self.digits[..usize::from(self.len)]
    }

    /// `+` and the digits.
    pub(crate) fn to_e164(self) -> String {
        let mut e164 = String::with_capacity(1 + usize::from(self.len));
        e164.push('+');
        e164.extend(self.as_slice().iter().map(|d| char::from(b'0' + d)));
        e164
    }

    /// The number as one integer that sorts like `Digits`: the length above the value.
    pub(crate) fn key(&self) -> u64 {
        let value = self
            .as_slice()
            .iter()
            .fold(0u64, |v, &d| v * 10 + u64::from(d));
        u64::from(self.len) << KEY_VALUE_BITS | value
    }

    pub(crate) fn from_key(key: u64) -> Digits {
        let len = (key >> KEY_VALUE_BITS) as usize;
        let mut value = key & ((1 << KEY_VALUE_BITS) - 1);
        let mut digits = [0; MAX_DIGITS];
        for slot in digits[..len.min(MAX_DIGITS)].iter_mut().rev() {
            *slot = (value % 10) as u8;
            value /= 10;
        }
        Digits {
            len: len.min(MAX_DIGITS) as u8,
            digits,
        }
    }
}

/// A block of numbers: one cell per digit of the E.164 number. Fixed-size (`Copy`), so
/// searches narrow and walk blocks without allocating.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Block {
    len: u8,
    cells: [DigitSet; MAX_DIGITS],
}

impl Block {
    /// A block of the given cells; at most [`MAX_DIGITS`] of them (the catalog's numbers are
    /// E.164 numbers, so more is a programming error).
    pub(crate) fn new(cells: impl IntoIterator<Item = DigitSet>) -> Block {
        let mut block = Block {
            len: 0,
            cells: [DigitSet(0); MAX_DIGITS],
        };
        for cell in cells {
            assert!(
                usize::from(block.len) < MAX_DIGITS,
                "a number of over 15 digits"
            );
            block.cells[usize::from(block.len)] = cell;
            block.len += 1;
        }
        block
    }

    pub(crate) fn cells(&self) -> &[DigitSet] {
        &self.cells[..usize::from(self.len)]
    }

    pub(crate) fn cells_mut(&mut self) -> &mut [DigitSet] {
        &mut self.cells[..usize::from(self.len)]
    }

    /// How many numbers the block holds.
    pub(crate) fn size(&self) -> u64 {
        self.cells().iter().map(|c| c.len()).product()
    }

    pub(crate) fn contains(&self, number: &Digits) -> bool {
        number.len == self.len
            && self
                .cells()
                .iter()
                .zip(number.as_slice())
                .all(|(cell, &d)| cell.contains(d))
    }

    /// The position of `number` in the block's order, or `None` if it is not in the block.
    pub(crate) fn rank_of(&self, number: &Digits) -> Option<u64> {
        if !self.contains(number) {
            return None;
        }
        let ranks = self.cells().iter().zip(number.as_slice());
        Some(ranks.fold(0, |index, (cell, &d)| index * cell.len() + cell.rank(d)))
    }

    /// The `index`-th number of the block, if it has that many.
    pub(crate) fn nth(&self, mut index: u64) -> Option<Digits> {
        let mut number = Digits {
            len: self.len,
            digits: [0; MAX_DIGITS],
        };
        for (slot, cell) in number.digits[..usize::from(self.len)]
            .iter_mut()
            .zip(self.cells())
            .rev()
        {
            let radix = cell.len().max(1);
            *slot = cell.nth(index % radix)?;
            index /= radix;
        }
        (index == 0).then_some(number)
    }

    /// The smallest number of the block.
    pub(crate) fn first(&self) -> Option<Digits> {
        self.nth(0)
    }

    /// The smallest number of the block greater than `number`, one of its own.
    pub(crate) fn successor(&self, number: &Digits) -> Option<Digits> {
        self.grow(*number, usize::from(self.len))
    }

    /// The smallest number of the block at or above `number` (of the block's length).
    pub(crate) fn ceiling(&self, number: &Digits) -> Option<Digits> {
        debug_assert_eq!(number.len, self.len);
        // The longest start of `number` the block allows; a member if that is all of it.
        let allowed = self
            .cells()
            .iter()
            .zip(number.as_slice())
            .take_while(|(cell, d)| cell.contains(**d))
            .count();
        if allowed == usize::from(self.len) {
            return Some(*number);
        }
        // The first disallowed digit must grow (to an allowed one), or a digit before it.
        self.grow(*number, allowed + 1)
    }

    /// Raises the digit at the last position before `end` that can grow within its cell,
    /// and resets every position after it to its cell's smallest digit: the next number of
    /// the block in order, where `number[..end]` is the part to grow.
    fn grow(&self, mut number: Digits, end: usize) -> Option<Digits> {
        let cells = self.cells();
        let pos = (0..end).rev().find_map(|pos| {
            let d = cells[pos].next_after(number.digits[pos])?;
            number.digits[pos] = d;
            Some(pos)
        })?;
        for (slot, cell) in number.digits[pos + 1..usize::from(self.len)]
            .iter_mut()
            .zip(&cells[pos + 1..])
        {
            *slot = cell.first()?;
        }
        Some(number)
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
    fn digit_sets_step_through_their_digits() {
        let cells = parse_cells("[2-9][3579]");
        assert_eq!(cells[0].first(), Some(2));
        assert_eq!(cells[1].nth(2), Some(7));
        assert_eq!(cells[1].nth(4), None);
        assert_eq!(cells[1].next_after(5), Some(7));
        assert_eq!(cells[1].next_after(9), None);
        assert_eq!(cells[1].next_after(0), Some(3));
        assert_eq!(cells[1].rank(7), 2);
    }

    fn digits(text: &str) -> Digits {
        Digits::from_e164(&format!("+{text}")).unwrap()
    }

    #[test]
    fn blocks_walk_in_order_and_seek() {
        let block = Block::new(parse_cells("[13][05]"));
        assert_eq!(block.size(), 4);
        let mut all = Vec::new();
        let mut next = block.first();
        while let Some(number) = next {
            all.push(number);
            next = block.successor(&number);
        }
        assert_eq!(all, ["10", "15", "30", "35"].map(digits));
        for (i, number) in all.iter().enumerate() {
            assert_eq!(block.rank_of(number), Some(i as u64));
            assert_eq!(block.nth(i as u64), Some(*number));
        }
        assert_eq!(block.nth(4), None);
        assert_eq!(block.rank_of(&digits("20")), None);
        assert_eq!(block.rank_of(&digits("100")), None);
    }

    #[test]
    fn ceilings_find_the_next_number_of_a_block() {
        let block = Block::new(parse_cells("[13][05]"));
        let ceiling = |text: &str| block.ceiling(&digits(text)).map(|d| d.to_e164());
        assert_eq!(ceiling("00").as_deref(), Some("+10"));
        assert_eq!(ceiling("15").as_deref(), Some("+15"));
        assert_eq!(ceiling("16").as_deref(), Some("+30"));
        assert_eq!(ceiling("21").as_deref(), Some("+30"));
        assert_eq!(ceiling("31").as_deref(), Some("+35"));
        assert_eq!(ceiling("36"), None);
        assert_eq!(ceiling("99"), None);
        // Brute force over a wider block.
        let block = Block::new(parse_cells("[2-9][3579]4#"));
        for value in 0..10_000u32 {
            let number = digits(&format!("{value:04}"));
            let expected = (value..10_000)
                .map(|v| digits(&format!("{v:04}")))
                .find(|d| block.contains(d));
            assert_eq!(block.ceiling(&number), expected, "{value}");
            if block.contains(&number) {
                let after = (value + 1..10_000)
                    .map(|v| digits(&format!("{v:04}")))
                    .find(|d| block.contains(d));
                assert_eq!(block.successor(&number), after, "{value}");
            }
        }
    }

    #[test]
    fn keys_sort_like_numbers() {
        let numbers = [
            "+1",
            "+9",
            "+10",
            "+14155552671",
            "+442071234567",
            "+999999999999999",
        ];
        let keys: Vec<u64> = numbers
            .iter()
            .map(|n| Digits::from_e164(n).unwrap().key())
            .collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
        for (n, key) in numbers.iter().zip(&keys) {
            assert_eq!(Digits::from_key(*key).to_e164(), *n);
        }
        assert_eq!(Digits::from_e164("14155552671"), None);
        assert_eq!(Digits::from_e164("+1415a"), None);
        assert_eq!(Digits::from_e164("+1234567890123456"), None);
    }
}
