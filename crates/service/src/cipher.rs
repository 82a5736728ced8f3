//! Secrets we must keep but never show (SIP trunk passwords): sealed with AES-256-GCM under a
//! key from configuration. Each value gets a fresh random nonce and is bound to the row it
//! belongs to (associated data), so a ciphertext copied onto another row does not open.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use std::fmt;

const VERSION: &str = "v1:";
const NONCE_LEN: usize = 12;

/// A 256-bit key. Debug output never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct EncryptionKey([u8; 32]);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the encryption key must be 32 random bytes in base64 (44 characters), e.g. from `openssl rand -base64 32`"
)]
pub struct BadKey;

impl EncryptionKey {
    pub fn generate() -> Self {
        EncryptionKey(rand::random())
    }

    pub fn from_base64(s: &str) -> Result<Self, BadKey> {
        let bytes = B64.decode(s.trim()).map_err(|_| BadKey)?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| BadKey)?;
        Ok(EncryptionKey(key))
    }

    pub fn to_base64(&self) -> String {
        B64.encode(self.0)
    }

    /// A key of its own for another purpose (`context`), so this one is never used twice.
    pub(crate) fn derive(&self, context: &[u8]) -> [u8; 32] {
        use hmac::{Hmac, Mac};
        let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&self.0)
            .expect("HMAC accepts keys of any length");
        mac.update(context);
        mac.finalize().into_bytes().into()
    }
}

impl fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EncryptionKey(<redacted>)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CipherError {
    #[error("sealing failed")]
    Seal,
    /// Wrong key, tampered value, or a value moved to another row.
    #[error("the sealed value does not open with this key")]
    Open,
}

/// Seals and opens secrets under one key.
#[derive(Clone)]
pub struct Cipher {
    aead: Aes256Gcm,
}

impl fmt::Debug for Cipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Cipher(<redacted>)")
    }
}

impl Cipher {
    pub fn new(key: &EncryptionKey) -> Self {
        Cipher {
            aead: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key.0)),
        }
    }

    /// `v1:` + base64(nonce ‖ ciphertext ‖ tag); `context` (e.g. the row id) must be given
    /// again to open it.
    pub fn seal(&self, plaintext: &str, context: &str) -> Result<String, CipherError> {
        let nonce: [u8; NONCE_LEN] = rand::random();
        let sealed = self
            .aead
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| CipherError::Seal)?;
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(format!("{VERSION}{}", B64.encode(out)))
    }

    pub fn open(&self, sealed: &str, context: &str) -> Result<String, CipherError> {
        let body = sealed.strip_prefix(VERSION).ok_or(CipherError::Open)?;
        let bytes = B64.decode(body).map_err(|_| CipherError::Open)?;
        if bytes.len() < NONCE_LEN {
            return Err(CipherError::Open);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let plain = self
            .aead
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| CipherError::Open)?;
        String::from_utf8(plain).map_err(|_| CipherError::Open)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_the_key_and_context() {
        let key = EncryptionKey::generate();
        let cipher = Cipher::new(&key);
        let sealed = cipher.seal("s3cret-pass", "phn_1").unwrap();
        assert!(sealed.starts_with("v1:"));
        assert!(!sealed.contains("s3cret"));
        assert_eq!(cipher.open(&sealed, "phn_1").unwrap(), "s3cret-pass");
        // Fresh nonce each time.
        assert_ne!(cipher.seal("s3cret-pass", "phn_1").unwrap(), sealed);
        assert_eq!(cipher.open(&sealed, "phn_2"), Err(CipherError::Open));
        let other = Cipher::new(&EncryptionKey::generate());
        assert_eq!(other.open(&sealed, "phn_1"), Err(CipherError::Open));
        assert_eq!(cipher.open("v1:AAAA", "phn_1"), Err(CipherError::Open));
        assert_eq!(cipher.open("plain", "phn_1"), Err(CipherError::Open));
    }

    #[test]
    fn keys_round_trip_through_base64_and_stay_hidden() {
        let key = EncryptionKey::generate();
        assert_eq!(EncryptionKey::from_base64(&key.to_base64()).unwrap(), key);
        assert_eq!(EncryptionKey::from_base64("c2hvcnQ="), Err(BadKey));
        assert_eq!(EncryptionKey::from_base64("not base64!"), Err(BadKey));
        assert!(!format!("{key:?}").contains(&key.to_base64()));
    }
}
