//! The phone numbers table: filters, pagination and the empty state. Its query is the JSON
//! list's (`NumberQuery`), parsed by the service; a filter it refuses is dropped and named.
//! A number's own page is `number`.

use super::format::{self, country_cell, country_name, status_badge};
use super::layout::{Nav, NoticeQuery, error_page, notice_text, page};
use super::session::Session;
use crate::AppState;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use dialnexa_service::numbers::{NumberListing, NumberQuery};
use dialnexa_service::{Agent, Caller, PhoneNumber, ServiceResult, Services, Workspace};
use maud::{Markup, html};
use std::collections::HashMap;

pub const PAGE_SIZE: u32 = 25;

/// What the table shows.
pub struct NumbersPage {
    pub listing: NumberListing,
    /// Why a filter in the address was dropped.
    pub refused: Option<String>,
    pub workspace: Workspace,
    pub numbers: Vec<PhoneNumber>,
    pub total: u64,
    pub agents: Vec<Agent>,
    pub notice: Option<&'static str>,
}

/// Parses the query as the API does, at the table's page size; each refused filter is dropped
/// (the first refusal is kept to show) until what is left parses.
fn listing(query: NumberQuery) -> ServiceResult<(NumberListing, Option<String>)> {
    let mut query = NumberQuery {
        limit: Some(PAGE_SIZE.to_string()),
        ..query
    };
    let mut refused = None;
    loop {
        match query.parse() {
            Ok(listing) => return Ok((listing, refused)),
            Err(e) => match e.field.and_then(|f| query.without(f)) {
                Some(rest) => {
                    refused.get_or_insert(e.message);
                    query = rest;
                }
                None => return Err(e),
            },
        }
    }
}

pub async fn load(
    services: &Services,
    caller: &Caller,
    query: NumberQuery,
    notice: Option<&str>,
) -> ServiceResult<NumbersPage> {
    let (listing, refused) = listing(query)?;
    let workspace = services.workspace(caller).await?;
    let (numbers, total) = services.list_numbers(caller, &listing).await?;
    let agents = services.all_agents(caller).await?;
    Ok(NumbersPage {
        listing,
        refused,
        workspace,
        numbers,
        total,
        agents,
        notice: notice_text(notice),
    })
}

#[tracing::instrument(skip_all, fields(workspace = %session.caller.workspace_id))]
pub async fn list(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<NumberQuery>,
    Query(notice): Query<NoticeQuery>,
) -> Response {
    match load(
        &state.services,
        &session.caller,
        query,
        notice.notice.as_deref(),
    )
    .await
    {
        Ok(data) => page(
            "Phone numbers",
            Some(&session),
            Nav::Numbers,
            data.notice,
            view(&data),
        )
        .into_response(),
        Err(e) => error_page(&e),
    }
}

/// The address of another page of the same filters.
fn link(listing: &NumberListing, page: u32) -> String {
    let f = &listing.filter;
    let mut pairs: Vec<(&str, String)> = Vec::new();
    if let Some(c) = f.country {
        pairs.push(("country", c.as_str().to_owned()));
    }
    if let Some(s) = f.status {
        pairs.push(("status", s.as_str().to_owned()));
    }
    if let Some(q) = &f.q {
        pairs.push(("q", q.clone()));
    }
    if let Some(a) = &f.agent_id {
        pairs.push(("agent", a.to_string()));
    }
    if let Some(t) = f.number_type {
        pairs.push(("type", t.as_str().to_owned()));
    }
    if let Some(p) = f.provider {
        pairs.push(("provider", p.as_str().to_owned()));
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

pub fn view(data: &NumbersPage) -> Markup {
    let filter = &data.listing.filter;
    let current = data.listing.page.page;
    let any = !filter.is_empty();
    let names: HashMap<&str, &str> = data
        .agents
        .iter()
        .map(|a| (a.id.as_str(), a.name.as_str()))
        .collect();
    let total = data.total;
    let pages = total.div_ceil(u64::from(PAGE_SIZE)).max(1);
    let mut countries = data.workspace.enabled_countries.clone();
    if let Some(c) = filter.country
        && !countries.contains(&c)
    {
        countries.push(c);
    }
    let selected_country = filter.country.map(|c| c.as_str().to_owned());
    let selected_status = filter.status.map(|s| s.as_str()).unwrap_or("");
    html! {
        div.heading-row {
            h1 { "Phone numbers" }
            a.button.primary href="/dashboard/buy" { "Buy a number" }
        }
        @if total == 0 && !any {
            section.empty aria-labelledby="empty-title" {
                h2 #empty-title { "No phone numbers yet" }
                p { "Buy a number to give your AI agents a line: search by country, area code or letters, see the monthly price, and it is yours in seconds." }
                a.button.primary href="/dashboard/buy" { "Buy a number" }
            }
        } @else {
            form.filters method="get" action="/dashboard/numbers" role="search" aria-label="Filter phone numbers" {
                div.field {
                    label for="f-q" { "Search" }
                    input #f-q type="search" name="q" value=(filter.q.as_deref().unwrap_or("")) placeholder="Number, nickname or label" maxlength="100";
                }
                div.field {
                    label for="f-country" { "Country" }
                    select #f-country name="country" {
                        option value="" { "All countries" }
                        @for c in &countries {
                            option value=(c.as_str()) selected[Some(c.as_str()) == selected_country.as_deref()] {
                                (country_name(*c)) " (" (c.as_str()) ")"
                            }
                        }
                    }
                }
                div.field {
                    label for="f-status" { "Status" }
                    select #f-status name="status" {
                        @for (value, label) in [("", "Active and pending"), ("active", "Active"), ("pending", "Pending"), ("released", "Released"), ("failed", "Failed")] {
                            option value=(value) selected[value == selected_status] { (label) }
                        }
                    }
                }
                @if let Some(agent) = &filter.agent_id {
                    input type="hidden" name="agent" value=(agent.as_str());
                }
                div.actions {
                    button type="submit" { "Filter" }
                    @if any { a href="/dashboard/numbers" { "Clear filters" } }
                }
            }
            @if let Some(e) = &data.refused { p.form-error role="alert" { (e) } }
            @if let Some(agent) = &filter.agent_id {
                p.hint { "Showing numbers routed to agent " strong { (names.get(agent.as_str()).copied().unwrap_or(agent.as_str())) } "." }
            }
            p.summary #numbers-summary {
                (total) @if total == 1 { " number" } @else { " numbers" }
                @if any { " match these filters" }
                @if pages > 1 { " · page " (current) " of " (pages) }
            }
            @if data.numbers.is_empty() {
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
                            @for r in &data.numbers {
                                (row(r, &names, data.workspace.is_default(&r.id)))
                            }
                        }
                    }
                }
                @if pages > 1 {
                    nav.pagination aria-label="Pages of phone numbers" {
                        @if current > 1 {
                            a rel="prev" href=(link(&data.listing, current - 1)) { "← Previous page" }
                        }
                        span { "Page " (current) " of " (pages) }
                        @if u64::from(current) < pages {
                            a rel="next" href=(link(&data.listing, current + 1)) { "Next page →" }
                        }
                    }
                }
            }
        }
    }
}

fn row(r: &PhoneNumber, agents: &HashMap<&str, &str>, is_default: bool) -> Markup {
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
            td { (country_cell(*r.phone_number.country())) }
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
                @match r.next_renewal_at {
                    Some(ts) => (format::date(ts)),
                    None => span.muted { "—" },
                }
            }
        }
    }
}
