//! Prefixed, typed ids such as `phn_01kdz3f4w7x2kx5mb9qz`: the prefix says what an id names,
//! and the type system keeps a workspace id from being passed where a number id belongs.
//!
//! After the prefix, ten characters of the creation time in milliseconds, then ten random
//! ones (50 bits), all in Crockford's base 32 (as ULIDs are). Ids made later sort later, so new
//! rows land at the end of a table's primary-key index (BENCHMARKS.md, change 20); within one
//! millisecond the random part keeps them apart.

use rand::Rng;
use serde::{Deserialize, Serialize};
use std::fmt;

const ALPHABET: &[u8] = b"0123456789abcdefghjkmnpqrstvwxyz";
const TIME_LEN: usize = 10;
const RANDOM_LEN: usize = 10;

fn suffix() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default();
    let mut out = String::with_capacity(TIME_LEN + RANDOM_LEN);
    // Big-endian, five bits a character: the text sorts as the number does.
    for i in (0..TIME_LEN).rev() {
        out.push(ALPHABET[((now >> (5 * i)) & 31) as usize] as char);
    }
    let mut rng = rand::rng();
    for _ in 0..RANDOM_LEN {
        out.push(ALPHABET[rng.random_range(0..ALPHABET.len())] as char);
    }
    out
}

macro_rules! prefixed_id {
    ($name:ident, $prefix:literal) => {
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            pub fn generate() -> Self {
                Self(format!("{}{}", $prefix, suffix()))
            }

            /// Accepts an id read back from storage or a URL; `None` when it cannot be one of ours.
            pub fn parse(s: &str) -> Option<Self> {
                let rest = s.strip_prefix($prefix)?;
                let ok = !rest.is_empty()
                    && rest.len() <= 64
                    && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
                ok.then(|| Self(s.to_owned()))
            }

            /// For values that come from our own storage, where the prefix is known to be right.
            pub fn from_trusted(s: String) -> Self {
                Self(s)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

prefixed_id!(PhoneNumberId, "phn_");
prefixed_id!(AgentId, "agt_");
prefixed_id!(WorkspaceId, "ws_");
prefixed_id!(ApiKeyId, "key_");
prefixed_id!(ChargeId, "chg_");
prefixed_id!(EventId, "evt_");
prefixed_id!(AuditEventId, "aud_");
prefixed_id!(ReservationId, "rsv_");
prefixed_id!(OrderId, "ord_");
prefixed_id!(WebhookId, "wh_");
prefixed_id!(WebhookMessageId, "msg_");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_carry_their_prefix_and_differ() {
        let a = PhoneNumberId::generate();
        let b = PhoneNumberId::generate();
        assert!(a.as_str().starts_with("phn_"));
        assert_eq!(a.as_str().len(), 4 + TIME_LEN + RANDOM_LEN);
        assert_ne!(a, b);
    }

    #[test]
    fn ids_made_later_sort_later() {
        let first = PhoneNumberId::generate();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let later = PhoneNumberId::generate();
        assert!(first < later, "{first} then {later}");
        assert!(PhoneNumberId::parse(later.as_str()).is_some());
    }

    #[test]
    fn parse_checks_the_prefix() {
        assert!(PhoneNumberId::parse("phn_f7w2kx5mb9qz").is_some());
        assert!(PhoneNumberId::parse("agt_f7w2kx5mb9qz").is_none());
        assert!(PhoneNumberId::parse("phn_").is_none());
        assert!(PhoneNumberId::parse("phn_a/b").is_none());
        assert!(AgentId::parse("agt_abc123").is_some());
    }
}
