//! Every request has an id (`x-request-id`): the caller's when it sent a usable one, else a new
//! one, written into the request (where the extractors read it for the audit log) and answered.

use axum::extract::Request;
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest caller-chosen request id kept; a longer one is replaced.
const MAX_REQUEST_ID: usize = 128;

/// Visible ASCII of a sane length: anything else could break a log line or a header.
fn usable(id: &[u8]) -> bool {
    (1..=MAX_REQUEST_ID).contains(&id.len()) && id.iter().all(u8::is_ascii_graphic)
}

/// 128 random bits in hex, the shape of a W3C trace id.
fn new_id() -> HeaderValue {
    let id = format!("{:032x}", rand::random::<u128>());
    HeaderValue::from_str(&id).expect("hex digits are a valid header value")
}

/// The middleware, outside every route.
pub async fn layer(mut req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(&REQUEST_ID)
        .filter(|v| usable(v.as_bytes()))
        .cloned()
        .unwrap_or_else(new_id);
    req.headers_mut().insert(REQUEST_ID.clone(), id.clone());
    let mut response = next.run(req).await;
    response.headers_mut().insert(REQUEST_ID.clone(), id);
    response
}

/// The request's id, once [`layer`] has run.
pub fn of(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::usable;

    #[test]
    fn a_callers_id_is_kept_only_when_short_visible_ascii() {
        assert!(usable(b"req-42"));
        assert!(!usable(b""));
        assert!(!usable(b"two words"));
        assert!(!usable("caf\u{e9}".as_bytes()));
        assert!(!usable(&[b'a'; 129]));
    }
}
