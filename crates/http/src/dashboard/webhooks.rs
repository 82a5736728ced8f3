//! Webhooks: the workspace's endpoints and each one's recent deliveries, read-only (endpoints
//! are registered through the API or `dialnexa webhooks create`, where the secret is given).

use super::format::date_time;
use super::layout::{Nav, error_page, page};
use super::session::Session;
use crate::AppState;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use dialnexa_service::model::{Page, Webhook, WebhookDelivery};
use dialnexa_service::{Caller, ServiceResult, Services};
use maud::{Markup, html};

const RECENT: u32 = 10;

/// What the webhooks page shows: each endpoint with its newest deliveries.
pub struct WebhooksPage {
    pub webhooks: Vec<(Webhook, Vec<WebhookDelivery>)>,
}

pub async fn load(services: &Services, caller: &Caller) -> ServiceResult<WebhooksPage> {
    let all = Page {
        page: 1,
        limit: 100,
    };
    let recent = Page {
        page: 1,
        limit: RECENT,
    };
    let (list, _) = services.list_webhooks(caller, all).await?;
    let mut webhooks = Vec::with_capacity(list.len());
    for w in list {
        let (deliveries, _) = services
            .webhook_deliveries(caller, w.id.as_str(), recent)
            .await?;
        webhooks.push((w, deliveries));
    }
    Ok(WebhooksPage { webhooks })
}

fn delivery_row(d: &WebhookDelivery) -> Markup {
    let last = d.attempts.last();
    html! {
        tr {
            td { code { (d.event_type) } }
            td { (d.status) }
            td { (d.attempts.len()) }
            td {
                @match last.and_then(|a| a.status_code) {
                    Some(code) => (code),
                    None => (last.and_then(|a| a.error.as_deref()).unwrap_or("-")),
                }
            }
            td { (date_time(d.created_at)) }
            td {
                @match d.next_retry_at {
                    Some(at) => (date_time(at)),
                    None => "-",
                }
            }
        }
    }
}

pub fn view(data: &WebhooksPage) -> Markup {
    html! {
        h1 { "Webhooks" }
        p.lead {
            "Endpoints that hear of your numbers' events, signed per Standard Webhooks. "
            "Register one with " code { "POST /v1/user-webhooks" } " or "
            code { "dialnexa webhooks create" } "."
        }
        @if data.webhooks.is_empty() {
            p.empty-line { "No webhooks yet." }
        }
        @for (w, deliveries) in &data.webhooks {
            section.card aria-label=(format!("Webhook {}", w.url)) {
                h2 { (w.url) }
                p {
                    (if w.is_active { "Active" } else { "Turned off" })
                    " · events: " (w.events.join(", "))
                    " · " code { (w.id.as_str()) }
                }
                @if let Some(note) = &w.disabled_note {
                    p role="status" { (note) }
                }
                @if deliveries.is_empty() {
                    p.empty-line { "No deliveries yet." }
                } @else {
                    div.table-wrap role="region" aria-label=(format!("Recent deliveries to {}", w.url)) tabindex="0" {
                        table {
                            caption { "Recent deliveries" }
                            thead {
                                tr {
                                    th scope="col" { "Event" }
                                    th scope="col" { "Status" }
                                    th scope="col" { "Attempts" }
                                    th scope="col" { "Last answer" }
                                    th scope="col" { "Created" }
                                    th scope="col" { "Next retry" }
                                }
                            }
                            tbody {
                                @for d in deliveries { (delivery_row(d)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

pub async fn list(State(state): State<AppState>, session: Session) -> Response {
    match load(&state.services, &session.caller).await {
        Ok(data) => {
            page("Webhooks", Some(&session), Nav::Webhooks, None, view(&data)).into_response()
        }
        Err(e) => error_page(&e),
    }
}
