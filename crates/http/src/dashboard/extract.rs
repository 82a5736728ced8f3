//! The dashboard's extractors: a page handler takes a `Session` (the signed-in workspace, or
//! a redirect to sign in) and a form handler a `CsrfForm` (the session, and a form whose CSRF
//! token matches it, or a refusal before the handler runs).

use super::layout;
use super::session::{CSRF_FIELD, FormData, SESSION_COOKIE, Session, clear_session_cookie, cookie};
use crate::AppState;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use dialnexa_service::{Caller, ErrorKind};

const MAX_FORM_BYTES: usize = 16 * 1024;

/// Where a page sends someone who must sign in first, remembering where they were going.
fn to_sign_in(parts: &Parts, expired: bool) -> Response {
    let mut query = Vec::new();
    if parts.method == Method::GET
        && let Some(pq) = parts.uri.path_and_query()
    {
        query.push(("next", pq.as_str().to_owned()));
    }
    if expired {
        query.push(("notice", "session_expired".to_owned()));
    }
    let target = if query.is_empty() {
        "/dashboard/sign-in".to_owned()
    } else {
        format!(
            "/dashboard/sign-in?{}",
            serde_urlencoded::to_string(&query).unwrap_or_default()
        )
    };
    let mut response = Redirect::to(&target).into_response();
    if expired && let Ok(v) = clear_session_cookie().parse() {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response
}

/// Who acts through a dashboard session, for the audit log: the session and the key that
/// opened it (the service names both), plus the address and the request id.
fn as_dashboard(caller: &mut Caller, parts: &Parts) {
    crate::extract::identify(&mut caller.actor, parts);
}

impl FromRequestParts<AppState> for Session {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        if let Some(session) = parts.extensions.get::<Session>() {
            return Ok(session.clone());
        }
        let Some(secret) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(to_sign_in(parts, false));
        };
        match state.services.session(secret).await {
            Ok(mut caller) => {
                crate::observe::attribute(parts, &caller.workspace_id);
                as_dashboard(&mut caller, parts);
                let session = Session::new(caller, secret);
                parts.extensions.insert(session.clone());
                Ok(session)
            }
            Err(e) if e.kind == ErrorKind::Unauthorized => Err(to_sign_in(parts, true)),
            Err(e) => Err(layout::error_page(&e)),
        }
    }
}

/// A form posted by a signed-in person from one of this dashboard's own pages: the session is
/// valid and the CSRF token matches it, or the request is refused before any handler runs.
#[derive(Debug)]
pub struct CsrfForm {
    pub session: Session,
    pub form: FormData,
}

pub fn csrf_refused() -> Response {
    tracing::info!("dashboard form refused: missing or invalid CSRF token");
    layout::message_page(
        StatusCode::FORBIDDEN,
        "This form was not accepted",
        "Its security token is missing or out of date, which happens when the form comes from \
         another site or from a page opened before you last signed in. Nothing was changed. Go \
         back, reload the page and try again.",
    )
}

impl FromRequest<AppState> for CsrfForm {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let session = Session::from_request_parts(&mut parts, state).await?;
        let bytes = axum::body::to_bytes(body, MAX_FORM_BYTES)
            .await
            .map_err(|_| {
                layout::message_page(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "This form is too large",
                    "Shorten what you typed and try again.",
                )
            })?;
        let form = FormData::parse(&bytes).unwrap_or_default();
        if !form.get(CSRF_FIELD).is_some_and(|t| session.csrf_ok(t)) {
            return Err(csrf_refused());
        }
        Ok(CsrfForm { session, form })
    }
}
