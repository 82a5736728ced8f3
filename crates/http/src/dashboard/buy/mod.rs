//! Buying a number: the search page (country, type, area code, letters) with its results
//! (`results`), the confirmation stating the monthly price and that billing starts today, and
//! the purchase's outcome, including "someone else just took it" (`confirm`). The search is the
//! API's (`SearchQuery`), parsed by the service.

mod confirm;
mod results;

pub use confirm::{confirm, purchase};

use super::format::{self, country_name};
use super::layout::{FormError, Nav, TextInput, error_page, field_error, form_error, page};
use super::session::Session;
use crate::AppState;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use dialnexa_domain::{CountryIso, NumberType};
use dialnexa_service::quote::Ineligible;
use dialnexa_service::search::SearchQuery;
use dialnexa_service::{AvailableNumber, Caller, ServiceResult, Services};
use maud::{Markup, html};
use results::{blocked_banner, results_table};

/// The search form's inputs, by the service's names.
const SEARCH_FIELDS: &[&str] = &["country_iso", "area_code", "contains"];

/// What the buy page shows.
pub struct BuyPage {
    /// The search as typed, shown back as it was.
    pub query: SearchQuery,
    /// The countries to choose from, and which of them are enabled.
    pub countries: Vec<CountryIso>,
    pub enabled: Vec<CountryIso>,
    /// `None` before a search.
    pub results: Option<Vec<AvailableNumber>>,
    pub error: Option<FormError>,
}

pub async fn load(
    services: &Services,
    caller: &Caller,
    query: SearchQuery,
) -> ServiceResult<BuyPage> {
    let countries = services.offered_countries(caller).await?;
    let enabled = services.workspace(caller).await?.enabled_countries;
    let searched = query
        .country_iso
        .as_deref()
        .is_some_and(|c| !c.trim().is_empty());
    let (results, error) = if !searched {
        (None, None)
    } else {
        let found = match query.parse() {
            Ok(req) => services.search(caller, &req).await,
            Err(e) => Err(e),
        };
        match found {
            Ok(found) => (Some(found), None),
            Err(e) => (None, Some(FormError::new(&e))),
        }
    };
    Ok(BuyPage {
        query,
        countries,
        enabled,
        results,
        error,
    })
}

#[tracing::instrument(skip_all, fields(workspace = %session.caller.workspace_id))]
pub async fn search(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<SearchQuery>,
) -> Response {
    let data = match load(&state.services, &session.caller, query).await {
        Ok(data) => data,
        Err(e) => return error_page(&e),
    };
    let code = data.error.as_ref().map_or(StatusCode::OK, |e| e.status);
    (
        code,
        page("Buy a number", Some(&session), Nav::Buy, None, view(&data)),
    )
        .into_response()
}

pub fn view(data: &BuyPage) -> Markup {
    html! {
        h1 { "Buy a number" }
        p.lead { "Pick a country and type. Each result shows its monthly price; billing starts on the day you buy." }
        (search_form(data))
        @if let Some(results) = &data.results {
            section aria-labelledby="results-title" {
                h2 #results-title { "Available numbers" }
                @if let Some(first) = results.first() && let Some(why) = first.blocked_by && why != Ineligible::Reserved {
                    (blocked_banner(first, why))
                }
                (results_table(results, &data.query))
            }
        }
    }
}

fn text(v: &Option<String>) -> &str {
    v.as_deref().map(str::trim).unwrap_or("")
}

fn search_form(data: &BuyPage) -> Markup {
    let query = &data.query;
    let error = data.error.as_ref();
    let enabled = &data.enabled;
    let selected = text(&query.country_iso).to_ascii_uppercase();
    let selected = if selected.is_empty() {
        enabled
            .first()
            .map(|c| c.as_str().to_owned())
            .unwrap_or_default()
    } else {
        selected
    };
    let number_type = text(&query.number_type)
        .parse()
        .unwrap_or(NumberType::Local);
    let mut area = TextInput::new(
        "area_code",
        "area_code",
        "Area code (optional)",
        text(&query.area_code),
    );
    area.hint = Some("Digits only, e.g. 415 or 22.");
    area.maxlength = Some(6);
    let area_error = FormError::on(error, "area_code");
    area.error = area_error.as_deref();
    let mut contains = TextInput::new(
        "contains",
        "contains",
        "Contains (optional)",
        text(&query.contains),
    );
    contains.hint =
        Some("Digits or letters: STORE finds numbers containing 78673. * matches any digit.");
    contains.maxlength = Some(16);
    let contains_error = FormError::on(error, "contains");
    contains.error = contains_error.as_deref();
    let country_error = FormError::on(error, "country_iso");
    html! {
        form.card.search method="get" action="/dashboard/buy" role="search" aria-label="Search available numbers" {
            div.grid {
                div.field {
                    label for="country" { "Country" }
                    select #country name="country" aria-invalid=[country_error.as_ref().map(|_| "true")] aria-describedby=[country_error.as_ref().map(|_| "country-error")] {
                        @for c in &data.countries {
                            option value=(c.as_str()) selected[c.as_str() == selected] {
                                (country_name(*c)) " (" (c.as_str()) ")"
                                @if !enabled.contains(c) { " — not enabled" }
                            }
                        }
                    }
                    (field_error("country", country_error.as_deref()))
                }
                fieldset.field {
                    legend { "Type" }
                    div.choices {
                        @for t in NumberType::ALL {
                            label.choice {
                                input type="radio" name="type" value=(t.as_str()) checked[t == number_type];
                                " " (format::number_type(t))
                            }
                        }
                    }
                }
                (area.render())
                (contains.render())
            }
            (form_error(FormError::general(error, SEARCH_FIELDS).as_deref()))
            button.primary type="submit" { "Search numbers" }
        }
    }
}
