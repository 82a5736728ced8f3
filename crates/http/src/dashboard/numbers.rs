//! The phone numbers table (filters, pagination, empty state) and the list's row helpers.
//! A number's own page lives in `number`.

use super::agents::all_agents;
use super::format;
use super::layout::{Nav, error_page, page};
use super::session::Session;
use crate::AppState;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use dialnexa_domain::{AgentId, CountryIso, NumberStatus, PhoneNumberId};
use dialnexa_service::Services;
use dialnexa_store::{Agent, NumberFilter, Page, PhoneNumberRecord};
use maud::{Markup, html};
use serde::Deserialize;
use std::collections::HashMap;

pub use super::number::{confirm_release, default, detail, edit, release, routing};

pub const PAGE_SIZE: u32 = 25;
const MAX_QUERY_CHARS: usize = 100;

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    country: Option<String>,
    status: Option<String>,
    q: Option<String>,
    agent: Option<String>,
    page: Option<String>,
    notice: Option<String>,
}

/// What a person sees first for a number: its nickname, else the number itself.
pub fn display_name(r: &PhoneNumberRecord) -> String {
    r.nickname
        .clone()
        .unwrap_or_else(|| r.phone_number.international())
}

pub fn status_badge(s: NumberStatus) -> Markup {
    html! { span class={ "badge status-" (s.as_str()) } { (format::status(s)) } }
}

pub fn country_cell(services: &Services, c: CountryIso) -> Markup {
    html! {
        span.cc { (c.as_str()) }
        span.sr-only { " (" (services.country_name(c)) ")" }
    }
}

pub fn agent_names(agents: &[Agent]) -> HashMap<&str, &str> {
    agents
        .iter()
        .map(|a| (a.id.as_str(), a.name.as_str()))
        .collect()
}

/// The filters as given, checked; the first value that makes no sense is reported.
struct Filters {
    country: String,
    status: String,
    q: String,
    agent: String,
    page: u32,
    error: Option<&'static str>,
}

impl Filters {
    fn from_query(q: &ListQuery) -> Self {
        let mut f = Filters {
            country: q
                .country
                .as_deref()
                .unwrap_or("")
                .trim()
                .to_ascii_uppercase(),
            status: q
                .status
                .as_deref()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase(),
            q: q.q
                .as_deref()
                .unwrap_or("")
                .trim()
                .chars()
                .take(MAX_QUERY_CHARS)
                .collect(),
            agent: q.agent.as_deref().unwrap_or("").trim().to_owned(),
            page: q
                .page
                .as_deref()
                .and_then(|p| p.parse().ok())
                .filter(|p| *p >= 1)
                .unwrap_or(1),
            error: None,
        };
        if !f.country.is_empty() && CountryIso::parse(&f.country).is_err() {
            f.error = Some("Choose a country from the list.");
            f.country.clear();
        }
        if !f.status.is_empty() && f.status.parse::<NumberStatus>().is_err() {
            f.error = Some("Choose a status from the list.");
            f.status.clear();
        }
        if !f.agent.is_empty() && AgentId::parse(&f.agent).is_none() {
            f.agent.clear();
        }
        f
    }

    fn to_store(&self) -> NumberFilter {
        NumberFilter {
            status: self.status.parse().ok(),
            country: CountryIso::parse(&self.country).ok(),
            agent_id: AgentId::parse(&self.agent),
            q: (!self.q.is_empty()).then(|| self.q.clone()),
            ..NumberFilter::default()
        }
    }

    fn any(&self) -> bool {
        !(self.country.is_empty()
            && self.status.is_empty()
            && self.q.is_empty()
            && self.agent.is_empty())
    }

    fn link(&self, page: u32) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        for (k, v) in [
            ("country", &self.country),
            ("status", &self.status),
            ("q", &self.q),
            ("agent", &self.agent),
        ] {
            if !v.is_empty() {
                pairs.push((k, v.clone()));
            }
        }
        if page > 1 {
            pairs.push(("page", page.to_string()));
        }
        let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        if query.is_empty() {
            "/dashboard/numbers".to_owned()
        } else {
            format!("/dashboard/numbers?{query}")
        }
    }
}

#[tracing::instrument(skip_all, fields(workspace = %session.caller.workspace_id))]
pub async fn list(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<ListQuery>,
) -> Response {
    let services = &state.services;
    let caller = &session.caller;
    let filters = Filters::from_query(&query);
    let page_req = Page {
        page: filters.page,
        limit: PAGE_SIZE,
    };
    let loaded = async {
        let workspace = services.workspace(caller).await?;
        let (numbers, total) = services
            .list_numbers(caller, &filters.to_store(), page_req)
            .await?;
        let agents = all_agents(services, caller).await?;
        Ok((workspace, numbers, total, agents))
    };
    let (workspace, numbers, total, agents) = match loaded.await {
        Ok(v) => v,
        Err(e) => return error_page(&e),
    };
    let names = agent_names(&agents);
    let default = workspace.default_phone_number_id.as_ref();
    let pages = total.div_ceil(u64::from(PAGE_SIZE)).max(1);
    let mut countries = workspace.enabled_countries.clone();
    if let Ok(c) = CountryIso::parse(&filters.country)
        && !countries.contains(&c)
    {
        countries.push(c);
    }
    let agent_filter = AgentId::parse(&filters.agent);
    let notice = super::layout::notice_text(query.notice.as_deref());

    let body = html! {
        div.heading-row {
            h1 { "Phone numbers" }
            a.button.primary href="/dashboard/buy" { "Buy a number" }
        }
        @if total == 0 && !filters.any() {
            section.empty aria-labelledby="empty-title" {
                h2 #empty-title { "No phone numbers yet" }
                p { "Buy a number to give your AI agents a line: search by country, area code or letters, see the monthly price, and it is yours in seconds." }
                a.button.primary href="/dashboard/buy" { "Buy a number" }
            }
        } @else {
            form.filters method="get" action="/dashboard/numbers" role="search" aria-label="Filter phone numbers" {
                div.field {
                    label for="f-q" { "Search" }
                    input #f-q type="search" name="q" value=(filters.q) placeholder="Number, nickname or label" maxlength="100";
                }
                div.field {
                    label for="f-country" { "Country" }
                    select #f-country name="country" {
                        option value="" { "All countries" }
                        @for c in &countries {
                            option value=(c.as_str()) selected[c.as_str() == filters.country] {
                                (services.country_name(*c)) " (" (c.as_str()) ")"
                            }
                        }
                    }
                }
                div.field {
                    label for="f-status" { "Status" }
                    select #f-status name="status" {
                        @for (value, label) in [("", "Active and pending"), ("active", "Active"), ("pending", "Pending"), ("released", "Released"), ("failed", "Failed")] {
                            option value=(value) selected[value == filters.status] { (label) }
                        }
                    }
                }
                @if !filters.agent.is_empty() {
                    input type="hidden" name="agent" value=(filters.agent);
                }
                div.actions {
                    button type="submit" { "Filter" }
                    @if filters.any() { a href="/dashboard/numbers" { "Clear filters" } }
                }
            }
            @if let Some(e) = filters.error { p.form-error role="alert" { (e) } }
            @if let Some(agent) = &agent_filter {
                p.hint { "Showing numbers routed to agent " strong { (names.get(agent.as_str()).copied().unwrap_or(agent.as_str())) } "." }
            }
            p.summary #numbers-summary {
                (total) @if total == 1 { " number" } @else { " numbers" }
                @if filters.any() { " match these filters" }
                @if pages > 1 { " · page " (filters.page) " of " (pages) }
            }
            @if numbers.is_empty() {
                section.empty {
                    h2 { "No numbers match" }
                    p { "Try other filters, or " a href="/dashboard/numbers" { "show all numbers" } "." }
                }
            } @else {
                div.table-wrap role="region" aria-labelledby="numbers-caption" tabindex="0" {
                    table.numbers {
                        caption #numbers-caption { "Phone numbers of this workspace" }
                        thead {
                            tr {
                                th scope="col" { "Name" }
                                th scope="col" { "Number" }
                                th scope="col" { "Country" }
                                th scope="col" { "Type" }
                                th scope="col" { "Capabilities" }
                                th scope="col" { "Status" }
                                th scope="col" { "Provider" }
                                th scope="col" { "Inbound agent" }
                                th scope="col" class="num" { "Monthly cost" }
                                th scope="col" { "Next renewal" }
                            }
                        }
                        tbody {
                            @for r in &numbers {
                                (row(services, r, &names, default == Some(&r.id)))
                            }
                        }
                    }
                }
                @if pages > 1 {
                    nav.pagination aria-label="Pages of phone numbers" {
                        @if filters.page > 1 {
                            a rel="prev" href=(filters.link(filters.page - 1)) { "← Previous page" }
                        }
                        span { "Page " (filters.page) " of " (pages) }
                        @if u64::from(filters.page) < pages {
                            a rel="next" href=(filters.link(filters.page + 1)) { "Next page →" }
                        }
                    }
                }
            }
        }
    };
    page("Phone numbers", Some(&session), Nav::Numbers, notice, body).into_response()
}

fn row(
    services: &Services,
    r: &PhoneNumberRecord,
    agents: &HashMap<&str, &str>,
    is_default: bool,
) -> Markup {
    let international = r.phone_number.international();
    html! {
        tr {
            th scope="row" {
                a href={ "/dashboard/numbers/" (r.id) } {
                    (r.nickname.as_deref().unwrap_or(&international))
                }
                @if is_default { " " span.badge.default { "Default" } }
                @if let Some(label) = &r.label { div.sub { (label) } }
            }
            td.nowrap { (international) }
            td { (country_cell(services, *r.phone_number.country())) }
            td { (format::number_type(r.number_type)) }
            td { (format::capabilities(r.capabilities)) }
            td { (status_badge(r.status)) }
            td { (format::provider(r.provider)) }
            td {
                @match &r.inbound_agent_id {
                    Some(a) => (agents.get(a.as_str()).copied().unwrap_or(a.as_str())),
                    None => span.muted { "None" },
                }
            }
            td.num {
                @if r.provider.is_carrier() { (format::money(r.monthly_cost)) } @else { span.muted { "—" } }
            }
            td.nowrap {
                @match services.next_renewal(r) {
                    Some(ts) => (format::date(ts)),
                    None => span.muted { "—" },
                }
            }
        }
    }
}

/// The path of a number's page.
pub fn number_path(id: &PhoneNumberId) -> String {
    format!("/dashboard/numbers/{id}")
}
