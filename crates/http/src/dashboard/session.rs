//! Dashboard sessions and CSRF protection.
//!
//! The session cookie holds the workspace API key itself: HttpOnly (no script reads it),
//! SameSite=Strict (no other site's page sends it), scoped to `/dashboard` (the JSON API never
//! reads cookies). Nothing else is stored, so any `serve` process behind a load balancer accepts
//! it, and revoking the key ends every session opened with it.
//!
//! Each form carries a CSRF token: HMAC-SHA256 keyed by the session's API key. Only someone who
//! holds the key can compute it, the page that embeds it is the only place it appears, and it
//! reveals nothing about the key. The sign-in form, which has no session yet, uses a random
//! double-submit cookie instead. The extractors that check all this on a request are in
//! `extract`.

use axum::http::{HeaderMap, header};
use dialnexa_service::Caller;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use std::sync::Arc;

pub const SESSION_COOKIE: &str = "dnx_session";
pub const SIGNIN_COOKIE: &str = "dnx_signin";
pub const CSRF_FIELD: &str = "csrf";
/// A session lasts a working day; signing in again is one paste.
const SESSION_MAX_AGE_SECS: u32 = 12 * 60 * 60;
const CSRF_CONTEXT: &[u8] = b"dialnexa dashboard csrf v1";

/// A signed-in person: the workspace they act for, and the key that opened it.
#[derive(Clone)]
pub struct Session {
    pub caller: Caller,
    secret: Arc<str>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("caller", &self.caller)
            .field("secret", &"<redacted>")
            .finish()
    }
}

fn csrf_mac(secret: &str) -> Hmac<Sha256> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC accepts keys of any length");
    mac.update(CSRF_CONTEXT);
    mac
}

impl Session {
    pub fn new(caller: Caller, secret: &str) -> Self {
        Session {
            caller,
            secret: Arc::from(secret),
        }
    }

    /// The token every form of this session carries.
    pub fn csrf(&self) -> String {
        hex::encode(csrf_mac(&self.secret).finalize().into_bytes())
    }

    /// Constant-time check of a submitted token.
    pub fn csrf_ok(&self, given: &str) -> bool {
        hex::decode(given.trim())
            .ok()
            .is_some_and(|bytes| csrf_mac(&self.secret).verify_slice(&bytes).is_ok())
    }

    /// The key, to check after a change whether this session still opens its workspace.
    pub fn secret(&self) -> &str {
        &self.secret
    }
}

/// The audit log's name for a dashboard session: derived from what the cookie holds (today
/// the key itself), never revealing it. Server-side sessions will name themselves by their id.
pub fn session_id(secret: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC accepts keys of any length");
    mac.update(b"dialnexa dashboard session id v1");
    format!("ses_{}", &hex::encode(mac.finalize().into_bytes())[..20])
}

/// The value of one cookie of the request.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// Behind a TLS-terminating proxy the cookie is marked Secure; on plain-HTTP localhost it
/// cannot be.
fn secure_suffix(headers: &HeaderMap) -> &'static str {
    let https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|p| p.eq_ignore_ascii_case("https"));
    if https { "; Secure" } else { "" }
}

pub fn session_cookie(headers: &HeaderMap, secret: &str) -> String {
    format!(
        "{SESSION_COOKIE}={secret}; Path=/dashboard; HttpOnly; SameSite=Strict; Max-Age={SESSION_MAX_AGE_SECS}{}",
        secure_suffix(headers)
    )
}

pub fn clear_session_cookie() -> String {
    format!("{SESSION_COOKIE}=; Path=/dashboard; HttpOnly; SameSite=Strict; Max-Age=0")
}

/// The sign-in form's double-submit token: the cookie's, or a fresh one.
pub fn signin_token(headers: &HeaderMap) -> (String, Option<String>) {
    if let Some(existing) = cookie(headers, SIGNIN_COOKIE)
        && existing.len() == 64
        && existing.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return (existing.to_owned(), None);
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let set = format!(
        "{SIGNIN_COOKIE}={token}; Path=/dashboard/sign-in; HttpOnly; SameSite=Strict; Max-Age=3600{}",
        secure_suffix(headers)
    );
    (token, Some(set))
}

pub fn signin_token_ok(headers: &HeaderMap, given: Option<&str>) -> bool {
    match (cookie(headers, SIGNIN_COOKIE), given) {
        (Some(expected), Some(given)) => constant_time_eq(expected.as_bytes(), given.as_bytes()),
        _ => false,
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A submitted form, as ordered name/value pairs (repeated names kept, for checkboxes).
#[derive(Debug, Default, Clone)]
pub struct FormData(Vec<(String, String)>);

impl FormData {
    pub fn parse(bytes: &[u8]) -> Option<Self> {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes)
            .ok()
            .map(FormData)
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The field's value, or "" when it was not sent.
    pub fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or("").to_owned()
    }

    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dialnexa_domain::WorkspaceId;

    fn session(secret: &str) -> Session {
        Session::new(
            Caller::with_key(
                WorkspaceId::generate(),
                dialnexa_domain::ApiKeyId::generate(),
            ),
            secret,
        )
    }

    #[test]
    fn csrf_tokens_belong_to_their_session() {
        let a = session("dnx_live_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
        let b = session("dnx_live_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
        assert!(a.csrf_ok(&a.csrf()));
        assert!(!a.csrf_ok(&b.csrf()));
        assert!(!a.csrf_ok(""));
        assert!(!a.csrf_ok("not hex"));
        assert!(!a.csrf_ok(&a.csrf()[..32]));
        assert!(
            !a.csrf().contains("aaaa"),
            "the token must not reveal the key"
        );
    }

    #[test]
    fn debug_never_shows_the_key() {
        let s = session("dnx_live_secretsecretsecretsecretsecret12");
        assert!(!format!("{s:?}").contains("secretsecret"));
    }

    #[test]
    fn cookies_are_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            "a=1; dnx_session=dnx_live_x; b=2".parse().unwrap(),
        );
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("dnx_live_x"));
        assert_eq!(cookie(&headers, "missing"), None);
    }

    #[test]
    fn session_cookie_is_http_only_and_strict() {
        let headers = HeaderMap::new();
        let c = session_cookie(&headers, "dnx_live_x");
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict"));
        assert!(c.contains("Path=/dashboard") && !c.contains("Secure"));
        let mut proxied = HeaderMap::new();
        proxied.insert("x-forwarded-proto", "https".parse().unwrap());
        assert!(session_cookie(&proxied, "dnx_live_x").ends_with("; Secure"));
    }

    #[test]
    fn forms_keep_repeated_fields() {
        let form = FormData::parse(b"countries=US&countries=GB&name=A+b%26c").unwrap();
        assert_eq!(form.all("countries").collect::<Vec<_>>(), ["US", "GB"]);
        assert_eq!(form.get("name"), Some("A b&c"));
        assert_eq!(form.text("missing"), "");
    }
}
