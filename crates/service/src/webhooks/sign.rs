//! Standard Webhooks signatures (<https://www.standardwebhooks.com>): `webhook-signature` is
//! `v1,` and the base64 HMAC-SHA256 of `"{id}.{timestamp}.{body}"`. A secret written as
//! `whsec_<base64>` signs with its decoded bytes, any other with its UTF-8 bytes.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The key bytes of a secret; `None` for a `whsec_` secret whose rest is not base64.
pub fn secret_key(secret: &str) -> Option<Vec<u8>> {
    match secret.strip_prefix("whsec_") {
        Some(encoded) => STANDARD.decode(encoded).ok().filter(|k| !k.is_empty()),
        None => Some(secret.as_bytes().to_vec()),
    }
}

/// The `webhook-signature` header value.
pub fn signature(key: &[u8], id: &str, timestamp: i64, body: &str) -> String {
    // HMAC takes a key of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body.as_bytes());
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whsec_secret_is_used_decoded_and_another_as_its_bytes() {
        assert_eq!(secret_key("whsec_aGVsbG8="), Some(b"hello".to_vec()));
        assert_eq!(secret_key("hello"), Some(b"hello".to_vec()));
        assert_eq!(secret_key("whsec_!!"), None);
        assert_eq!(secret_key("whsec_"), None);
    }

    #[test]
    fn signs_as_the_specification_example() {
        // The example of the Standard Webhooks specification (and of its reference libraries'
        // tests): this secret, id, timestamp and body give this signature.
        let key = secret_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            signature(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn another_id_another_signature() {
        let key = b"k";
        assert_ne!(signature(key, "a", 1, "{}"), signature(key, "b", 1, "{}"));
    }
}
