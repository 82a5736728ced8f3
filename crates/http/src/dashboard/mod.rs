//! The dashboard: server-rendered HTML at `/dashboard` for people, over the same service layer
//! as the JSON API (no SQL and no carrier calls here). Pages are maud templates; there is no
//! JavaScript. A session is kept on the server, its random id in an HttpOnly, SameSite=Strict
//! cookie; every form carries a CSRF token derived from it (see `session`), and every service
//! error is shown as its readable message beside the field it names (`ServiceError::field`) or
//! the form.
//!
//! Each page is a `load` (one struct of what the service answered), a pure `view` of it, and
//! a thin handler; a form's handler calls one service function and, when refused, shows its
//! page again with the error.

mod agents;
mod buy;
mod extract;
mod format;
mod layout;
mod number;
mod numbers;
mod session;
mod settings;
mod signin;
mod webhooks;

use crate::AppState;
use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{any, get, post};

pub use session::{CSRF_FIELD, SESSION_COOKIE, SIGNIN_COOKIE};

const CSS: &str = include_str!("app.css");

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/dashboard", get(home))
        .route("/dashboard/", get(home))
        .route("/dashboard/assets/app.css", get(css))
        .route("/dashboard/sign-in", get(signin::show).post(signin::submit))
        .route("/dashboard/sign-out", post(signin::sign_out))
        .route("/dashboard/numbers", get(numbers::list))
        .route("/dashboard/numbers/{id}", get(number::detail))
        .route("/dashboard/numbers/{id}/edit", post(number::edit))
        .route("/dashboard/numbers/{id}/routing", post(number::routing))
        .route("/dashboard/numbers/{id}/default", post(number::default))
        .route(
            "/dashboard/numbers/{id}/release",
            get(number::confirm_release).post(number::release),
        )
        .route("/dashboard/buy", get(buy::search).post(buy::purchase))
        .route("/dashboard/buy/confirm", get(buy::confirm))
        .route("/dashboard/agents", get(agents::list).post(agents::create))
        .route("/dashboard/agents/{id}", post(agents::rename))
        .route("/dashboard/agents/{id}/delete", post(agents::delete))
        .route("/dashboard/webhooks", get(webhooks::list))
        .route("/dashboard/settings", get(settings::show))
        .route("/dashboard/settings/telephony", post(settings::telephony))
        .route(
            "/dashboard/settings/default-number",
            post(settings::default_number),
        )
        .route("/dashboard/settings/keys", post(settings::create_key))
        .route(
            "/dashboard/settings/keys/{id}/revoke",
            post(settings::revoke_key),
        )
        // The API's fallback answers JSON; pages under /dashboard answer a page.
        .route("/dashboard/{*rest}", any(not_found))
        .layer(middleware::from_fn(security_headers))
}

/// Whether a percent-encoded path decodes to a control character (`%00`–`%1F`, `%7F`).
fn encodes_control_character(path: &str) -> bool {
    let bytes = path.as_bytes();
    bytes.windows(3).any(|w| {
        w[0] == b'%'
            && std::str::from_utf8(&w[1..])
                .ok()
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
                .is_some_and(|b| b < 0x20 || b == 0x7f)
    })
}

async fn home() -> Redirect {
    Redirect::to("/dashboard/numbers")
}

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
        .into_response()
}

async fn not_found() -> Response {
    layout::message_page(
        StatusCode::NOT_FOUND,
        "Page not found",
        "There is no dashboard page at this address.",
    )
}

/// No scripts, no framing, nothing cached that may show a secret, no page address leaked; and
/// an address with control characters in it (a path id of `%0A`) refused before any page.
async fn security_headers(req: Request, next: Next) -> Response {
    let mut response = if encodes_control_character(req.uri().path()) {
        layout::bad_address()
    } else {
        next.run(req).await
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    #[test]
    fn control_characters_in_paths_are_found() {
        use super::encodes_control_character as control;
        assert!(control("/dashboard/numbers/%0A/default"));
        assert!(control("/dashboard/numbers/phn_%00"));
        assert!(control("/dashboard/x%7f"));
        assert!(!control("/dashboard/numbers/phn_abc%20d"));
        assert!(!control("/dashboard/numbers/%E2%82%AC"));
        assert!(!control("/dashboard/100%"));
    }
}
