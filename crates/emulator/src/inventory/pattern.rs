//! Search patterns as the carriers define them: Twilio's `Contains` and prefix filters.
//!
//! A pattern is a run of cells plus where it may sit in a number; the search engine slides it
//! over a block's cells instead of testing numbers one by one.

use super::cells::{Block, DigitSet};

/// Where a pattern may be placed inside a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Anchor {
    /// At the first digit of the E.164 number, country code included (Twilio's leading `+`).
    E164Start,
    /// At the first digit after the country code (area codes, Plivo's `pattern`).
    NationalStart,
    /// Anywhere in the national number.
    Anywhere,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Pattern {
    cells: Vec<DigitSet>,
    anchor: Anchor,
    /// Twilio's trailing `$`: the pattern must end at the number's last digit.
    at_end: bool,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum PatternError {
    #[error("pattern is empty")]
    Empty,
    #[error("pattern has an unsupported character {0:?}")]
    BadChar(char),
}

impl Pattern {
    /// Twilio's `Contains`: digits, `*` for any one digit, letters as on a phone keypad; a
    /// leading `+` pins it to the start of the E.164 number, a trailing `$` to the end.
    pub(crate) fn contains(text: &str) -> Result<Self, PatternError> {
        let (anchor, rest) = match text.strip_prefix('+') {
            Some(rest) => (Anchor::E164Start, rest),
            None => (Anchor::Anywhere, text),
        };
        let (rest, at_end) = match rest.strip_suffix('$') {
            Some(rest) => (rest, true),
            None => (rest, false),
        };
        let cells = rest.chars().map(cell_for).collect::<Result<Vec<_>, _>>()?;
        if cells.is_empty() {
            return Err(PatternError::Empty);
        }
        Ok(Self {
            cells,
            anchor,
            at_end,
        })
    }

    /// Digits (or `*`) the national number must start with: an area code, Plivo's `pattern`.
    pub(crate) fn national_prefix(text: &str) -> Result<Self, PatternError> {
        let cells = text
            .chars()
            .map(|c| match c {
                '0'..='9' | '*' => cell_for(c),
                other => Err(PatternError::BadChar(other)),
            })
            .collect::<Result<Vec<_>, _>>()?;
        if cells.is_empty() {
            return Err(PatternError::Empty);
        }
        Ok(Self {
            cells,
            anchor: Anchor::NationalStart,
            at_end: false,
        })
    }

    /// Every way of placing the pattern on the numbers of `block` (country code `cc_len`
    /// digits long), as copies of the block narrowed by the pattern, pushed onto `out`.
    pub(crate) fn place(&self, block: &Block, cc_len: usize, out: &mut Vec<Block>) {
        for start in self.starts(block.cells().len(), cc_len) {
            let mut narrowed = *block;
            let slots = &mut narrowed.cells_mut()[start..start + self.cells.len()];
            let mut fits = true;
            for (slot, cell) in slots.iter_mut().zip(&self.cells) {
                *slot = slot.intersect(*cell);
                fits &= !slot.is_empty();
            }
            if fits {
                out.push(narrowed);
            }
        }
    }

    /// Where the pattern may start on a number of `len` digits.
    fn starts(&self, len: usize, cc_len: usize) -> impl Iterator<Item = usize> + '_ {
        let (first, last) = match len.checked_sub(self.cells.len()) {
            None => (1, 0),
            Some(last_start) => match (self.anchor, self.at_end) {
                (_, true) => (last_start, last_start),
                (Anchor::E164Start, false) => (0, 0),
                (Anchor::NationalStart, false) => (cc_len, cc_len),
                (Anchor::Anywhere, false) => (cc_len, last_start),
            },
        };
        let last_start = len.saturating_sub(self.cells.len());
        (first..=last).filter(move |&start| self.allowed_start(start, cc_len, last_start))
    }

    fn allowed_start(&self, start: usize, cc_len: usize, last_start: usize) -> bool {
        if start > last_start {
            return false;
        }
        match self.anchor {
            Anchor::E164Start => start == 0,
            Anchor::NationalStart => start == cc_len,
            Anchor::Anywhere => start >= cc_len,
        }
    }

    /// Whether a concrete number (all its E.164 digits) matches.
    pub(crate) fn matches(&self, digits: &[u8], cc_len: usize) -> bool {
        // Whether `place` would fit the pattern on a block of the number's own digits, without
        // building one.
        let len = self.cells.len();
        if len > digits.len() {
            return false;
        }
        let last_start = digits.len() - len;
        let fits = |start: usize| {
            self.allowed_start(start, cc_len, last_start)
                && digits[start..start + len]
                    .iter()
                    .zip(&self.cells)
                    .all(|(&d, cell)| !DigitSet::single(d).intersect(*cell).is_empty())
        };
        match (self.anchor, self.at_end) {
            (_, true) => fits(last_start),
            (Anchor::E164Start, false) => fits(0),
            (Anchor::NationalStart, false) => fits(cc_len),
            (Anchor::Anywhere, false) => (cc_len..=last_start).any(fits),
        }
    }
}

fn cell_for(c: char) -> Result<DigitSet, PatternError> {
    let digit = match c.to_ascii_lowercase() {
        '*' => return Ok(DigitSet::ANY),
        d @ '0'..='9' => d as u8 - b'0',
        'a'..='c' => 2,
        'd'..='f' => 3,
        'g'..='i' => 4,
        'j'..='l' => 5,
        'm'..='o' => 6,
        'p'..='s' => 7,
        't'..='v' => 8,
        'w'..='z' => 9,
        _ => return Err(PatternError::BadChar(c)),
    };
    Ok(DigitSet::single(digit))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digits(s: &str) -> Vec<u8> {
        s.bytes().map(|b| b - b'0').collect()
    }

    #[test]
    fn contains_matches_anywhere_in_the_national_number() {
        let p = Pattern::contains("555").unwrap();
        assert!(p.matches(&digits("14155552671"), 1));
        assert!(!p.matches(&digits("14152001234"), 1));
        // The country code is not part of an unanchored match.
        assert!(
            !Pattern::contains("14")
                .unwrap()
                .matches(&digits("14155550199"), 1)
        );
    }

    #[test]
    fn wildcards_letters_and_anchors() {
        let n = digits("14155552671");
        assert!(Pattern::contains("+1415").unwrap().matches(&n, 1));
        assert!(!Pattern::contains("+415").unwrap().matches(&n, 1));
        assert!(Pattern::contains("415***2671").unwrap().matches(&n, 1));
        assert!(Pattern::contains("2671$").unwrap().matches(&n, 1));
        assert!(!Pattern::contains("555$").unwrap().matches(&n, 1));
        // KLL on a keypad is 555.
        assert!(Pattern::contains("KLL").unwrap().matches(&n, 1));
        assert_eq!(Pattern::contains("5-5"), Err(PatternError::BadChar('-')));
        assert_eq!(Pattern::contains("+"), Err(PatternError::Empty));
    }

    #[test]
    fn national_prefix_is_pinned_after_the_country_code() {
        let p = Pattern::national_prefix("415").unwrap();
        assert!(p.matches(&digits("14155552671"), 1));
        assert!(!p.matches(&digits("12124155555"), 1));
        assert!(Pattern::national_prefix("4a").is_err());
    }
}
