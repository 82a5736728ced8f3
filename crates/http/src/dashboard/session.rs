//! Dashboard sessions and CSRF protection.
//!
//! The session cookie holds a random session id (`Services::open_session`), kept on the server
//! as a hash with its expiry: HttpOnly (no script reads it), SameSite=Strict (no other site's
//! page sends it), scoped to `/dashboard` (the JSON API never reads cookies). It ends on
//! sign-out, at expiry, or when the key it was opened with is revoked, on every server at once.
//!
//! Each form carries a CSRF token: HMAC-SHA256 keyed by the session id. Only the holder of the
//! cookie can compute it, the page that embeds it is the only place it appears, and it reveals
//! nothing about the id. The sign-in form, which has no session yet, is bound to a pre-session
//! instead: a random id in its own cookie, and a token only the server can make for that id
//! (`Services::sign_in_token`). The extractors that check all this are in `extract`.

use axum::http::{HeaderMap, header};
use dialnexa_service::{Caller, Services};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::sync::Arc;

pub const SESSION_COOKIE: &str = "dnx_session";
pub const SIGNIN_COOKIE: &str = "dnx_signin";
pub const CSRF_FIELD: &str = "csrf";
/// The browser forgets the cookie when the server forgets the session.
const SESSION_MAX_AGE_SECS: u64 = dialnexa_service::sessions::SESSION_TTL.as_secs();
const CSRF_CONTEXT: &[u8] = b"dialnexa dashboard csrf v1";

/// A signed-in person: the workspace they act for, and their session's id.
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

    /// The session's id, to check after a change whether it is still live, or to end it.
    pub fn secret(&self) -> &str {
        &self.secret
    }
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

/// The sign-in form's token: made for the pre-session in the cookie, or for a new one (then
/// with the cookie to set).
pub fn signin_token(services: &Services, headers: &HeaderMap) -> (String, Option<String>) {
    if let Some(existing) = cookie(headers, SIGNIN_COOKIE)
        && existing.len() == 64
        && existing.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return (services.sign_in_token(existing), None);
    }
    let pre_session = dialnexa_service::sessions::random_token();
    let set = format!(
        "{SIGNIN_COOKIE}={pre_session}; Path=/dashboard/sign-in; HttpOnly; SameSite=Strict; Max-Age=3600{}",
        secure_suffix(headers)
    );
    (services.sign_in_token(&pre_session), Some(set))
}

/// Whether `given` is the token made for this browser's pre-session.
pub fn signin_token_ok(services: &Services, headers: &HeaderMap, given: Option<&str>) -> bool {
    match (cookie(headers, SIGNIN_COOKIE), given) {
        (Some(pre_session), Some(given)) => services.sign_in_token_ok(pre_session, given),
        _ => false,
    }
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
