//! Distinct purchasable numbers without a search: the emulator sells every US local number
//! `+1 NPA [2-9][3579]X XXXX` in the area codes of `crates/emulator/data/nanp_area_codes.txt`
//! (3.2 million per area code), and each is valid for libphonenumber.

use std::sync::atomic::{AtomicU64, Ordering};

/// US area codes from the emulator's table.
const AREA_CODES: [&str; 8] = ["201", "202", "205", "206", "212", "213", "214", "215"];
const PER_AREA_CODE: u64 = 8 * 4 * 10 * 10_000;

/// The `i`-th number of the sequence; distinct for `i` below 25.6 million.
pub fn number(i: u64) -> String {
    let i = i % (PER_AREA_CODE * AREA_CODES.len() as u64);
    let area = AREA_CODES[(i / PER_AREA_CODE) as usize];
    let rest = i % PER_AREA_CODE;
    let line = rest % 10_000;
    let rest = rest / 10_000;
    let third = rest % 10;
    let rest = rest / 10;
    let middle = [3, 5, 7, 9][(rest % 4) as usize];
    let first = 2 + rest / 4;
    format!("+1{area}{first}{middle}{third}{line:04}")
}

/// Hands out the sequence to concurrent buyers, each number once.
#[derive(Debug, Default)]
pub struct NumberSource {
    next: AtomicU64,
}

impl NumberSource {
    pub fn next(&self) -> String {
        number(self.next.fetch_add(1, Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn numbers_are_distinct_and_follow_the_emulators_pattern() {
        let step = 997;
        let seen: HashSet<String> = (0..25_600u64).map(|i| number(i * step)).collect();
        assert_eq!(seen.len(), 25_600);
        for n in &seen {
            let b = n.as_bytes();
            assert_eq!(n.len(), 12, "{n}");
            assert!(n.starts_with("+1"));
            assert!((b'2'..=b'9').contains(&b[5]), "{n}");
            assert!(b"3579".contains(&b[6]), "{n}");
        }
        assert_eq!(number(0), "+12012300000");
        assert_eq!(number(PER_AREA_CODE), "+12022300000");
    }
}
