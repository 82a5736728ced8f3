//! Vanity search patterns: letters as phone-keypad digits, the way Twilio's `Contains` reads
//! them.

use crate::phone_error::PhoneError;

/// A search pattern in Twilio's `Contains` syntax: digits, `*` for any one digit, and letters
/// as phone-keypad digits (`STORE` → `78673`), optionally with a leading `+`.
pub fn keypad_pattern(input: &str) -> Result<String, PhoneError> {
    let bad = || PhoneError::BadPattern(input.to_owned());
    let body = input.strip_prefix('+').unwrap_or(input);
    if body.is_empty() || body.len() > 16 {
        return Err(bad());
    }
    let mapped: String = body
        .chars()
        .map(|c| match c.to_ascii_uppercase() {
            d @ '0'..='9' => Some(d),
            '*' => Some('*'),
            'A'..='C' => Some('2'),
            'D'..='F' => Some('3'),
            'G'..='I' => Some('4'),
            'J'..='L' => Some('5'),
            'M'..='O' => Some('6'),
            'P'..='S' => Some('7'),
            'T'..='V' => Some('8'),
            'W'..='Z' => Some('9'),
            _ => None,
        })
        .collect::<Option<String>>()
        .ok_or_else(bad)?;
    Ok(if input.starts_with('+') {
        format!("+{mapped}")
    } else {
        mapped
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_become_keypad_digits() {
        assert_eq!(keypad_pattern("STORE").unwrap(), "78673");
        assert_eq!(keypad_pattern("store").unwrap(), "78673");
        assert_eq!(keypad_pattern("55*1").unwrap(), "55*1");
        assert_eq!(keypad_pattern("+1415").unwrap(), "+1415");
        for bad in ["", "12-34", "hello world", "12345678901234567", "+"] {
            assert!(keypad_pattern(bad).is_err(), "{bad}");
        }
    }
}
