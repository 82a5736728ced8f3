//! Signing in with an API key and out again. The key opens a server-side session (its random id
//! is the cookie) and goes nowhere else: never into a cookie, a page, a URL or a log line.

use super::extract::CsrfForm;
use super::layout::{Nav, TextInput, page};
use super::session::{
    CSRF_FIELD, FormData, SESSION_COOKIE, clear_session_cookie, cookie, session_cookie,
    signin_token, signin_token_ok,
};
use crate::AppState;
use crate::extract::ClientIp;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use dialnexa_service::ErrorKind;
use maud::html;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct SignInQuery {
    next: Option<String>,
    notice: Option<String>,
}

/// Only paths of this dashboard: never another host, so the link cannot send anyone away.
/// `None` (answered with a 400) for one with control characters, which no address of ours has.
fn checked_next(next: Option<&str>) -> Option<String> {
    if next.is_some_and(|n| n.chars().any(char::is_control)) {
        return None;
    }
    Some(safe_next(next))
}

fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with("/dashboard")
                && !n.contains("//")
                && !n.contains('\\')
                && !n.starts_with("/dashboard/sign-") =>
        {
            n.to_owned()
        }
        _ => "/dashboard/numbers".to_owned(),
    }
}

fn form(
    services: &dialnexa_service::Services,
    headers: &HeaderMap,
    next: &str,
    notice: Option<&str>,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let (token, set_cookie) = signin_token(services, headers);
    let mut key = TextInput::new("api_key", "api_key", "API key", "");
    key.kind = "password";
    key.required = true;
    key.hint = Some(
        "Your workspace's secret key, starting with dnx_live_. On its first start `dialnexa serve` \
         prints the demo workspace's key and saves it in dialnexa-demo-key.txt.",
    );
    key.error = error;
    let body = html! {
        div.narrow {
            h1 { "Sign in" }
            p.lead { "Manage your workspace's phone numbers: buy, name, route and release them." }
            form.card method="post" action="/dashboard/sign-in" {
                input type="hidden" name=(CSRF_FIELD) value=(token);
                input type="hidden" name="next" value=(next);
                (key.render())
                button.primary type="submit" { "Sign in" }
            }
            p.hint { "The key stays on the server side of this browser session: it is kept in a cookie scripts cannot read and is never shown again." }
        }
    };
    let mut response = (status, page("Sign in", None, Nav::None, notice, body)).into_response();
    if let Some(set) = set_cookie
        && let Ok(v) = set.parse()
    {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

async fn already_signed_in(state: &AppState, headers: &HeaderMap, next: &str) -> Option<Response> {
    let secret = cookie(headers, SESSION_COOKIE)?;
    state
        .services
        .session(secret)
        .await
        .ok()
        .map(|_| super::layout::redirect(next))
}

#[tracing::instrument(skip_all)]
pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<SignInQuery>,
) -> Response {
    let Some(next) = checked_next(q.next.as_deref()) else {
        return super::layout::bad_address();
    };
    if let Some(already) = already_signed_in(&state, &headers, &next).await {
        return already;
    }
    let notice = super::layout::notice_text(q.notice.as_deref());
    form(
        &state.services,
        &headers,
        &next,
        notice,
        None,
        StatusCode::OK,
    )
}

#[tracing::instrument(skip_all)]
pub async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    body: Bytes,
) -> Response {
    let data = FormData::parse(&body).unwrap_or_default();
    let Some(next) = checked_next(data.get("next")) else {
        return super::layout::bad_address();
    };
    if !signin_token_ok(&state.services, &headers, data.get(CSRF_FIELD)) {
        tracing::info!("dashboard sign-in refused: missing or invalid CSRF token");
        return form(
            &state.services,
            &headers,
            &next,
            None,
            Some(
                "This sign-in form expired or did not come from this dashboard. Paste your key again.",
            ),
            StatusCode::FORBIDDEN,
        );
    }
    let secret = data.text("api_key");
    let secret = secret.trim();
    if secret.is_empty() {
        return form(
            &state.services,
            &headers,
            &next,
            None,
            Some("Paste your API key: it starts with dnx_live_."),
            StatusCode::BAD_REQUEST,
        );
    }
    if let Some(retry_after) = state.limits.guessing(ip) {
        tracing::info!("dashboard sign-in refused: too many wrong keys from this address");
        let minutes = retry_after.as_secs().div_ceil(60).max(1);
        let mut response = form(
            &state.services,
            &headers,
            &next,
            None,
            Some(&format!(
                "Too many wrong keys were tried from your address. Wait {minutes} minute{} and \
                 try again.",
                if minutes == 1 { "" } else { "s" }
            )),
            StatusCode::TOO_MANY_REQUESTS,
        );
        let secs = retry_after.as_secs().max(1);
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, axum::http::HeaderValue::from(secs));
        return response;
    }
    match state.services.open_session(secret).await {
        Ok(opened) => {
            let mut response = super::layout::redirect(&next);
            if let Ok(v) = session_cookie(&headers, &opened.token).parse() {
                response.headers_mut().append(header::SET_COOKIE, v);
            }
            response
        }
        Err(e) if e.kind == ErrorKind::Unauthorized => {
            state.limits.guessed_wrong(ip);
            form(
                &state.services,
                &headers,
                &next,
                None,
                Some(
                    "This API key is not valid: it may be mistyped or revoked. Check it and try again.",
                ),
                StatusCode::UNAUTHORIZED,
            )
        }
        Err(e) => {
            super::layout::log(&e);
            form(
                &state.services,
                &headers,
                &next,
                None,
                Some(&e.message),
                super::layout::status(&e),
            )
        }
    }
}

pub async fn sign_out(
    State(state): State<AppState>,
    CsrfForm { session, .. }: CsrfForm,
) -> Response {
    if let Err(e) = state.services.close_session(session.secret()).await {
        return super::layout::error_page(&e);
    }
    let mut response = super::layout::redirect_with("/dashboard/sign-in", "signed_out");
    if let Ok(v) = clear_session_cookie().parse() {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_the_dashboard() {
        assert_eq!(
            safe_next(Some("/dashboard/agents?page=2")),
            "/dashboard/agents?page=2"
        );
        assert_eq!(
            safe_next(Some("https://evil.example/")),
            "/dashboard/numbers"
        );
        assert_eq!(
            safe_next(Some("//evil.example/dashboard")),
            "/dashboard/numbers"
        );
        assert_eq!(
            safe_next(Some("/dashboard//evil.example")),
            "/dashboard/numbers"
        );
        assert_eq!(safe_next(Some("/dashboard/sign-out")), "/dashboard/numbers");
        assert_eq!(safe_next(None), "/dashboard/numbers");
    }
}
