//! Credentials as the carriers take them: HTTP Basic (Twilio, Plivo) and bearer keys (Telnyx).

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// The user and password of a `Basic` `Authorization` header, if it holds well-formed ones.
pub(crate) fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

/// Whether the request carries exactly `user`:`password`.
pub(crate) fn has_credentials(headers: &HeaderMap, user: &str, password: &str) -> bool {
    basic_credentials(headers).is_some_and(|(u, p)| u == user && p == password)
}

/// Whether the request carries `Authorization: Bearer <key>` with exactly this key.
pub(crate) fn has_bearer(headers: &HeaderMap, key: &str) -> bool {
    let Some(value) = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    match value.trim().split_once(' ') {
        Some((scheme, token)) => scheme.eq_ignore_ascii_case("bearer") && token.trim() == key,
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, value.parse().unwrap());
        headers
    }

    #[test]
    fn reads_basic_credentials() {
        let encoded = STANDARD.encode("AC1:secret:with:colons");
        let got = basic_credentials(&headers(&format!("Basic {encoded}")));
        assert_eq!(got, Some(("AC1".into(), "secret:with:colons".into())));
        assert!(has_credentials(
            &headers(&format!("basic {encoded}")),
            "AC1",
            "secret:with:colons"
        ));
        assert_eq!(basic_credentials(&headers("Bearer abc")), None);
        assert_eq!(basic_credentials(&headers("Basic !!!")), None);
        assert_eq!(basic_credentials(&HeaderMap::new()), None);
        assert!(has_bearer(&headers("Bearer KEY1_abc"), "KEY1_abc"));
        assert!(has_bearer(&headers("bearer  KEY1_abc "), "KEY1_abc"));
        assert!(!has_bearer(&headers("Bearer KEY1_abd"), "KEY1_abc"));
        assert!(!has_bearer(
            &headers(&format!("Basic {encoded}")),
            "KEY1_abc"
        ));
    }
}
