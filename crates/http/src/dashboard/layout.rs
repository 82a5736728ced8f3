//! The page shell (skip link, navigation, sign-out, notices) and the small pieces every page
//! shares: labelled inputs with their error beside them, the CSRF field, error pages. Service
//! errors become pages here, logged once like the API's envelope, never shown raw.

use super::session::{CSRF_FIELD, Session};
use crate::error::status_of;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use dialnexa_domain::PhoneNumberId;
use dialnexa_service::ServiceError;
use maud::{DOCTYPE, Markup, html};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Numbers,
    Buy,
    Agents,
    Webhooks,
    Settings,
    None,
}

/// A service error kept for the form it refused: `field` is the input it is about, by the
/// service's name for it (`ServiceError::field`), `None` for the form as a whole.
#[derive(Debug, Clone)]
pub struct FormError {
    pub field: Option<&'static str>,
    pub message: String,
    pub code: &'static str,
    /// The status the page answers with.
    pub status: StatusCode,
}

impl FormError {
    pub fn new(e: &ServiceError) -> Self {
        log(e);
        FormError {
            field: e.field,
            message: e.message.clone(),
            code: e.code,
            status: status(e),
        }
    }

    /// The message when it concerns `field`.
    pub fn on(err: Option<&FormError>, field: &str) -> Option<String> {
        err.filter(|e| e.field == Some(field))
            .map(|e| e.message.clone())
    }

    /// The message when it concerns none of the form's `fields`: the form as a whole.
    pub fn general(err: Option<&FormError>, fields: &[&str]) -> Option<String> {
        err.filter(|e| e.field.is_none_or(|f| !fields.contains(&f)))
            .map(|e| e.message.clone())
    }
}

/// Log a service error the way the API does: server errors with their internal detail, once.
pub fn log(e: &ServiceError) {
    crate::error::log(e, "dashboard: ");
}

pub fn status(e: &ServiceError) -> StatusCode {
    status_of(e.kind)
}

/// The path of a number's page.
pub fn number_path(id: &PhoneNumberId) -> String {
    format!("/dashboard/numbers/{id}")
}

/// `?notice=`, which a page shows after a redirect to it.
#[derive(Debug, Default, serde::Deserialize)]
pub struct NoticeQuery {
    pub notice: Option<String>,
}

/// Fixed messages for `?notice=` after a redirect; unknown codes show nothing.
pub fn notice_text(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "signed_out" => "You are signed out.",
        "session_expired" => {
            "Your session ended (its API key may have been revoked). Sign in again."
        }
        "key_revoked_self" => "You revoked the API key this session used, so you are signed out.",
        "purchased" => "Number bought. Its first month is charged today.",
        "pending" => {
            "The carrier has not confirmed this purchase yet. It settles by itself within a minute: reload this page to see it."
        }
        "saved" => "Name and label saved.",
        "routing_saved" => "Routing saved.",
        "default_set" => "The workspace's default number is saved.",
        "default_cleared" => "The workspace has no default number any more.",
        "released" => {
            "Number released. Calls no longer route to it, and no further rental is charged."
        }
        "agent_created" => "Agent created.",
        "agent_renamed" => "Agent renamed.",
        "agent_deleted" => "Agent deleted.",
        "telephony_saved" => "Telephony settings saved.",
        "key_revoked" => "API key revoked. Requests with it are refused from now on.",
        _ => return None,
    })
}

pub fn csrf_field(session: &Session) -> Markup {
    html! { input type="hidden" name=(CSRF_FIELD) value=(session.csrf()); }
}

/// An error message tied to the input `id` (through `aria-describedby`).
pub fn field_error(id: &str, message: Option<&str>) -> Markup {
    html! {
        @if let Some(m) = message {
            p.field-error id={ (id) "-error" } { (m) }
        }
    }
}

pub fn form_error(message: Option<&str>) -> Markup {
    html! {
        @if let Some(m) = message {
            p.form-error role="alert" { (m) }
        }
    }
}

/// A labelled text input with an optional hint and its error right below it.
pub struct TextInput<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub label: &'a str,
    pub value: &'a str,
    pub hint: Option<&'a str>,
    pub error: Option<&'a str>,
    pub required: bool,
    pub kind: &'a str,
    pub maxlength: Option<u32>,
    pub autocomplete: &'a str,
}

impl<'a> TextInput<'a> {
    pub fn new(id: &'a str, name: &'a str, label: &'a str, value: &'a str) -> Self {
        TextInput {
            id,
            name,
            label,
            value,
            hint: None,
            error: None,
            required: false,
            kind: "text",
            maxlength: None,
            autocomplete: "off",
        }
    }

    pub fn render(&self) -> Markup {
        let described = match (self.hint.is_some(), self.error.is_some()) {
            (false, false) => None,
            (true, false) => Some(format!("{}-hint", self.id)),
            (false, true) => Some(format!("{}-error", self.id)),
            (true, true) => Some(format!("{0}-hint {0}-error", self.id)),
        };
        html! {
            div.field {
                label for=(self.id) { (self.label) }
                @if let Some(h) = self.hint { p.hint id={ (self.id) "-hint" } { (h) } }
                input id=(self.id) name=(self.name) type=(self.kind) value=(self.value)
                    autocomplete=(self.autocomplete)
                    maxlength=[self.maxlength]
                    required[self.required]
                    aria-invalid=[self.error.map(|_| "true")]
                    aria-describedby=[described];
                (field_error(self.id, self.error))
            }
        }
    }
}

fn nav_link(href: &str, label: &str, this: Nav, active: Nav) -> Markup {
    html! {
        li { a href=(href) aria-current=[(this == active).then_some("page")] { (label) } }
    }
}

/// A whole page. `session` is `None` on pages seen before sign-in.
pub fn page(
    title: &str,
    session: Option<&Session>,
    active: Nav,
    notice: Option<&str>,
    body: Markup,
) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · DialNexa Numbers" }
                link rel="stylesheet" href="/dashboard/assets/app.css";
            }
            body {
                a.skip href="#main" { "Skip to main content" }
                header.top {
                    div.bar {
                        a.brand href="/dashboard/numbers" { "DialNexa " span { "Numbers" } }
                        @if let Some(session) = session {
                            nav aria-label="Main" {
                                ul {
                                    (nav_link("/dashboard/numbers", "Phone numbers", Nav::Numbers, active))
                                    (nav_link("/dashboard/buy", "Buy a number", Nav::Buy, active))
                                    (nav_link("/dashboard/agents", "Agents", Nav::Agents, active))
                                    (nav_link("/dashboard/webhooks", "Webhooks", Nav::Webhooks, active))
                                    (nav_link("/dashboard/settings", "Settings", Nav::Settings, active))
                                }
                            }
                            form.signout method="post" action="/dashboard/sign-out" {
                                (csrf_field(session))
                                button.link type="submit" { "Sign out" }
                            }
                        }
                    }
                }
                main #main tabindex="-1" {
                    @if let Some(n) = notice {
                        div.notice role="status" { (n) }
                    }
                    (body)
                }
            }
        }
    }
}

/// A page that only says what happened: errors, refusals, not found.
pub fn message_page(status: StatusCode, title: &str, message: &str) -> Response {
    let body = html! {
        h1 { (title) }
        p.lead { (message) }
        p { a href="/dashboard/numbers" { "Back to your phone numbers" } }
    };
    (status, page(title, None, Nav::None, None, body)).into_response()
}

pub fn error_page(e: &ServiceError) -> Response {
    log(e);
    let title = match e.kind {
        dialnexa_service::ErrorKind::NotFound => "Not found",
        dialnexa_service::ErrorKind::Forbidden => "Not allowed",
        dialnexa_service::ErrorKind::Unavailable | dialnexa_service::ErrorKind::BadGateway => {
            "Temporarily unavailable"
        }
        dialnexa_service::ErrorKind::Internal => "Something went wrong",
        _ => "This did not work",
    };
    message_page(status(e), title, &e.message)
}

/// A 303 to a dashboard page with a notice.
pub fn redirect_with(path: &str, notice: &str) -> Response {
    let (base, fragment) = match path.split_once('#') {
        Some((base, fragment)) => (base, format!("#{fragment}")),
        None => (path, String::new()),
    };
    let sep = if base.contains('?') { '&' } else { '?' };
    redirect(&format!("{base}{sep}notice={notice}{fragment}"))
}

/// A 303 to `location`; one that cannot be a header (a control character that came in with a
/// path id or `next=`) is a 400 page, where axum's `Redirect` would answer a plain-text 500.
pub fn redirect(location: &str) -> Response {
    if location.chars().any(char::is_control) {
        return bad_address();
    }
    axum::response::Redirect::to(location).into_response()
}

/// The page for an address carrying characters no dashboard address has.
pub fn bad_address() -> Response {
    message_page(
        StatusCode::BAD_REQUEST,
        "This address is not valid",
        "It contains control characters, which no dashboard address has. Check the link you \
         followed, or start again from your phone numbers.",
    )
}
