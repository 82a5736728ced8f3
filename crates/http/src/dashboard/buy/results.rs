//! Search results as the buy page and the "someone else took it" page show them: each with
//! its price and a Buy link to the confirmation, or why it cannot be bought and where to fix
//! that. Links carry the search they came from, so every page can go back to it.

use crate::dashboard::format::{self, country_name};
use dialnexa_domain::{E164, Provider};
use dialnexa_service::AvailableNumber;
use dialnexa_service::quote::Ineligible;
use dialnexa_service::search::SearchQuery;
use maud::{Markup, html};

/// The search's own fields as the dashboard's addresses spell them, for links back to it.
pub fn context_pairs(q: &SearchQuery) -> Vec<(&'static str, String)> {
    let mut pairs = Vec::new();
    for (k, v) in [
        ("country", &q.country_iso),
        ("type", &q.number_type),
        ("area_code", &q.area_code),
        ("contains", &q.contains),
    ] {
        let v = v.as_deref().map(str::trim).unwrap_or("");
        if !v.is_empty() {
            pairs.push((k, v.to_owned()));
        }
    }
    pairs
}

/// `/dashboard/buy?…` for the search `q`.
pub fn search_link(q: &SearchQuery) -> String {
    format!(
        "/dashboard/buy?{}",
        serde_urlencoded::to_string(context_pairs(q)).unwrap_or_default()
    )
}

pub fn results_table(results: &[AvailableNumber], context: &SearchQuery) -> Markup {
    html! {
        @if results.is_empty() {
            p.empty-line role="status" { "No numbers match this search. Try without an area code, or with fewer letters." }
        } @else {
            div.table-wrap role="region" aria-labelledby="results-caption" tabindex="0" {
                table.results {
                    caption #results-caption { (results.len()) @if results.len() == 1 { " available number" } @else { " available numbers" } }
                    thead {
                        tr {
                            th scope="col" { "Number" }
                            th scope="col" { "Location" }
                            th scope="col" { "Capabilities" }
                            th scope="col" class="num" { "Monthly price" }
                            th scope="col" { "Buy" }
                        }
                    }
                    tbody {
                        @for r in results {
                            @let international = r.phone_number.international();
                            tr {
                                th scope="row" .nowrap { (international) }
                                td {
                                    @let place = [r.locality.as_deref(), r.region.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(", ");
                                    @if place.is_empty() { span.muted { "—" } } @else { (place) }
                                }
                                td { (format::capabilities(r.capabilities)) }
                                td.num {
                                    @match r.monthly_cost { Some(m) => (format::monthly(m)), None => span.muted { "Not listed" } }
                                }
                                td {
                                    @match r.blocked_by {
                                        None => {
                                            a.button.small href=(confirm_link(&r.phone_number, r.provider, context)) {
                                                "Buy" span.sr-only { " " (international) }
                                            }
                                        }
                                        Some(why) => {
                                            @let (reason, href, fix) = format::blocked_reason(why);
                                            span.blocked { (reason) } " "
                                            a href=(href) { (fix) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Why none of these results can be bought (the reason is the same for the whole search).
pub fn blocked_banner(r: &AvailableNumber, why: Ineligible) -> Markup {
    let name = country_name(*r.phone_number.country());
    let (_, href, fix) = format::blocked_reason(why);
    html! {
        div.warning role="note" {
            @match why {
                Ineligible::KycRequired(_) => {
                    (name) " " (format::number_type(r.number_type).to_lowercase())
                    " numbers need approved KYC before this workspace can buy them. "
                }
                Ineligible::CountryNotEnabled => {
                    (name) " is not enabled for this workspace: enable it to buy its numbers. "
                }
                Ineligible::Reserved => {
                    "Another workspace holds this number in a reservation. "
                }
            }
            a href=(href) { (fix) }
        }
    }
}

fn confirm_link(number: &E164, provider: Provider, context: &SearchQuery) -> String {
    let mut pairs = vec![
        ("phone_number", number.as_str().to_owned()),
        ("provider", provider.as_str().to_owned()),
    ];
    pairs.extend(context_pairs(context));
    format!(
        "/dashboard/buy/confirm?{}",
        serde_urlencoded::to_string(&pairs).unwrap_or_default()
    )
}
