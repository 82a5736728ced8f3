//! Buying a number: search (country, type, area code, letters), results each with a Buy
//! button or the reason it cannot be bought here, a confirmation stating the monthly price and
//! that billing starts today, and the purchase's outcome, including "someone else just took
//! it" with fresh results.

use super::format;
use super::layout::{
    FormError, Nav, TextInput, csrf_field, error_page, form_error, message_page, page,
    redirect_with,
};
use super::numbers::number_path;
use super::session::{CsrfForm, Session};
use crate::AppState;
use crate::views::{parse_e164, parse_provider};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use dialnexa_domain::{BillingPeriod, CountryIso, E164, NumberType, Provider};
use dialnexa_service::catalog::PriceFilter;
use dialnexa_service::purchase::{PurchaseOutcome, PurchaseRequest};
use dialnexa_service::search::{SearchRequest, SearchResult};
use dialnexa_service::{ErrorKind, ServiceError, Services};
use maud::{Markup, html};
use serde::Deserialize;

const RESULTS: u32 = 20;

/// A search as typed; kept as text so a refused value can be shown back as it was.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct SearchForm {
    country: Option<String>,
    #[serde(rename = "type")]
    number_type: Option<String>,
    area_code: Option<String>,
    contains: Option<String>,
}

impl SearchForm {
    fn text(v: &Option<String>) -> &str {
        v.as_deref().map(str::trim).unwrap_or("")
    }

    fn number_type(&self) -> NumberType {
        Self::text(&self.number_type)
            .parse()
            .unwrap_or(NumberType::Local)
    }

    /// The query string of this search, for links that come back to it.
    fn query(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        for (k, v) in [
            ("country", &self.country),
            ("type", &self.number_type),
            ("area_code", &self.area_code),
            ("contains", &self.contains),
        ] {
            let v = Self::text(v);
            if !v.is_empty() {
                pairs.push((k, v.to_owned()));
            }
        }
        pairs
    }

    fn request(&self) -> Result<SearchRequest, FormError> {
        let country = CountryIso::parse(Self::text(&self.country)).map_err(|_| FormError {
            field: Some("country"),
            message: "Choose a country from the list.".into(),
            code: "invalid_country",
        })?;
        let non_empty = |v: &Option<String>| {
            let t = Self::text(v);
            (!t.is_empty()).then(|| t.to_owned())
        };
        Ok(SearchRequest {
            country,
            number_type: self.number_type(),
            area_code: non_empty(&self.area_code),
            contains: non_empty(&self.contains),
            region: None,
            capabilities: Default::default(),
            limit: RESULTS,
            provider: None,
        })
    }
}

fn search_field(code: &str) -> Option<&'static str> {
    match code {
        "invalid_area_code" => Some("area_code"),
        "invalid_contains" => Some("contains"),
        "invalid_country" => Some("country"),
        _ => None,
    }
}

/// Countries to offer: those some carrier here sells, and those the workspace enabled.
async fn country_options(
    services: &Services,
    session: &Session,
) -> Result<(Vec<CountryIso>, Vec<CountryIso>, Provider), ServiceError> {
    let workspace = services.workspace(&session.caller).await?;
    let mut all: Vec<CountryIso> = services
        .pricing(&PriceFilter::default())
        .await?
        .into_iter()
        .map(|p| p.country)
        .chain(workspace.enabled_countries.iter().copied())
        .collect();
    all.sort_by_key(|c| services.country_name(*c));
    all.dedup();
    Ok((all, workspace.enabled_countries, workspace.default_provider))
}

fn search_form(
    services: &Services,
    countries: &[CountryIso],
    enabled: &[CountryIso],
    form: &SearchForm,
    error: Option<&FormError>,
) -> Markup {
    let selected = SearchForm::text(&form.country).to_ascii_uppercase();
    let selected = if selected.is_empty() {
        enabled
            .first()
            .map(|c| c.as_str().to_owned())
            .unwrap_or_default()
    } else {
        selected
    };
    let number_type = form.number_type();
    let mut area = TextInput::new(
        "area_code",
        "area_code",
        "Area code (optional)",
        SearchForm::text(&form.area_code),
    );
    area.hint = Some("Digits only, e.g. 415 or 22.");
    area.maxlength = Some(6);
    let area_error = FormError::on(error, "area_code");
    area.error = area_error.as_deref();
    let mut contains = TextInput::new(
        "contains",
        "contains",
        "Contains (optional)",
        SearchForm::text(&form.contains),
    );
    contains.hint =
        Some("Digits or letters: STORE finds numbers containing 78673. * matches any digit.");
    contains.maxlength = Some(16);
    let contains_error = FormError::on(error, "contains");
    contains.error = contains_error.as_deref();
    let country_error = FormError::on(error, "country");
    html! {
        form.card.search method="get" action="/dashboard/buy" role="search" aria-label="Search available numbers" {
            div.grid {
                div.field {
                    label for="country" { "Country" }
                    select #country name="country" aria-invalid=[country_error.as_ref().map(|_| "true")] aria-describedby=[country_error.as_ref().map(|_| "country-error")] {
                        @for c in countries {
                            option value=(c.as_str()) selected[c.as_str() == selected] {
                                (services.country_name(*c)) " (" (c.as_str()) ")"
                                @if !enabled.contains(c) { " — not enabled" }
                            }
                        }
                    }
                    (super::layout::field_error("country", country_error.as_deref()))
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
            (form_error(FormError::general(error).as_deref()))
            button.primary type="submit" { "Search numbers" }
        }
    }
}

fn results_table(results: &[SearchResult], form: &SearchForm) -> Markup {
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
                            @let international = r.number.phone_number.international();
                            tr {
                                th scope="row" .nowrap { (international) }
                                td {
                                    @let place = [r.number.locality.as_deref(), r.number.region.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(", ");
                                    @if place.is_empty() { span.muted { "—" } } @else { (place) }
                                }
                                td { (format::capabilities(r.number.capabilities)) }
                                td.num {
                                    @match r.monthly_cost { Some(m) => (format::monthly(m)), None => span.muted { "Not listed" } }
                                }
                                td {
                                    @match r.blocked_by {
                                        None => {
                                            a.button.small href=(confirm_link(&r.number.phone_number, r.provider, form)) {
                                                "Buy" span.sr-only { " " (international) }
                                            }
                                        }
                                        Some(code) => {
                                            @let (reason, href, fix) = format::blocked_reason(code);
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
fn blocked_banner(services: &Services, r: &SearchResult, code: &str) -> Markup {
    let country = *r.number.phone_number.country();
    let name = services.country_name(country);
    let (_, href, fix) = format::blocked_reason(code);
    html! {
        div.warning role="note" {
            @match code {
                "kyc_required" => {
                    (name) " " (format::number_type(r.number.number_type).to_lowercase())
                    " numbers need approved KYC before this workspace can buy them. "
                }
                "country_not_enabled" => {
                    (name) " is not enabled for this workspace: enable it to buy its numbers. "
                }
                _ => { "This workspace cannot buy these numbers. " }
            }
            a href=(href) { (fix) }
        }
    }
}

fn confirm_link(number: &E164, provider: Provider, form: &SearchForm) -> String {
    let mut pairs = vec![
        ("phone_number", number.as_str().to_owned()),
        ("provider", provider.as_str().to_owned()),
    ];
    pairs.extend(form.query());
    format!(
        "/dashboard/buy/confirm?{}",
        serde_urlencoded::to_string(&pairs).unwrap_or_default()
    )
}

#[tracing::instrument(skip_all, fields(workspace = %session.caller.workspace_id))]
pub async fn search(
    State(state): State<AppState>,
    session: Session,
    Query(form): Query<SearchForm>,
) -> Response {
    let services = &state.services;
    let (countries, enabled, _) = match country_options(services, &session).await {
        Ok(v) => v,
        Err(e) => return error_page(&e),
    };
    let searched = !SearchForm::text(&form.country).is_empty();
    let mut error = None;
    let mut results = None;
    let mut status = StatusCode::OK;
    if searched {
        match form.request() {
            Err(e) => {
                status = StatusCode::BAD_REQUEST;
                error = Some(e);
            }
            Ok(req) => match services.search(&session.caller, req).await {
                Ok(found) => results = Some(found),
                Err(e) => {
                    status = super::layout::status(&e);
                    error = Some(FormError::new(&e, search_field(e.code)));
                }
            },
        }
    }
    let body = html! {
        h1 { "Buy a number" }
        p.lead { "Pick a country and type. Each result shows its monthly price; billing starts on the day you buy." }
        (search_form(services, &countries, &enabled, &form, error.as_ref()))
        @if let Some(results) = &results {
            section aria-labelledby="results-title" {
                h2 #results-title { "Available numbers" }
                @if let Some(first) = results.first() && let Some(code) = first.blocked_by {
                    (blocked_banner(services, first, code))
                }
                (results_table(results, &form))
            }
        }
    };
    (
        status,
        page("Buy a number", Some(&session), Nav::Buy, None, body),
    )
        .into_response()
}

/// What the confirmation needs, read from its query string or the refused form.
struct Candidate {
    number: E164,
    provider: Provider,
    context: SearchForm,
}

#[derive(Debug, Deserialize)]
pub struct ConfirmQuery {
    phone_number: Option<String>,
    provider: Option<String>,
    #[serde(flatten)]
    context: SearchForm,
}

async fn render_confirm(
    state: &AppState,
    session: &Session,
    c: &Candidate,
    error: Option<FormError>,
    status: StatusCode,
) -> Response {
    let services = &state.services;
    let number_type = c.number.number_type();
    let country = *c.number.country();
    let price = match services
        .pricing(&PriceFilter {
            country: Some(country),
            provider: Some(c.provider),
            number_type: Some(number_type),
        })
        .await
    {
        Ok(rows) => rows.first().map(|p| p.monthly_cost),
        Err(e) => return error_page(&e),
    };
    let international = c.number.international();
    let now = services.clock().now();
    let first = BillingPeriod::nth(now, 0);
    let mut back = c.context.query();
    if back.is_empty() {
        back.push(("country", country.as_str().to_owned()));
    }
    let back = format!(
        "/dashboard/buy?{}",
        serde_urlencoded::to_string(&back).unwrap_or_default()
    );
    let title = format!("Buy {international}?");
    let fix = error.as_ref().and_then(|e| match e.code {
        "kyc_required" => Some(("/dashboard/settings#kyc", "See this workspace's KYC status")),
        "country_not_enabled" => Some((
            "/dashboard/settings#telephony",
            "Enable the country in telephony settings",
        )),
        _ => None,
    });
    let body = html! {
        p.crumbs { a href=(back) { "← Back to the search results" } }
        h1 { (title) }
        dl.details {
            dt { "Number" } dd.nowrap { (international) }
            dt { "Country" } dd { (services.country_name(country)) " (" (country.as_str()) ")" }
            dt { "Type" } dd { (format::number_type(number_type)) }
            dt { "Provider" } dd { (format::provider(c.provider)) }
            dt { "Monthly price" } dd {
                @match price { Some(p) => strong { (format::monthly(p)) }, None => "Not listed for this provider" }
            }
        }
        @if let Some(p) = price {
            p.billing {
                strong { "Billing starts today. " }
                (format::money(p)) " is charged now for the first month ("
                (format::date(first.start)) " – " (format::date(first.end))
                "), then " (format::money(p)) " every month until you release the number."
            }
        }
        form.card method="post" action="/dashboard/buy" {
            (csrf_field(session))
            input type="hidden" name="phone_number" value=(c.number.as_str());
            input type="hidden" name="provider" value=(c.provider.as_str());
            @for (k, v) in c.context.query() {
                input type="hidden" name={ "ctx_" (k) } value=(v);
            }
            @if let Some(e) = &error {
                div.form-error role="alert" {
                    p { (e.message) }
                    @if let Some((href, label)) = fix { p { a href=(href) { (label) } } }
                }
            }
            div.actions {
                button.primary type="submit" {
                    "Buy " (international)
                    @if let Some(p) = price { " for " (format::monthly(p)) }
                }
                a href=(back) { "Cancel" }
            }
        }
    };
    (status, page(&title, Some(session), Nav::Buy, None, body)).into_response()
}

#[tracing::instrument(skip_all, fields(workspace = %session.caller.workspace_id))]
pub async fn confirm(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<ConfirmQuery>,
) -> Response {
    let candidate = match candidate(
        &state,
        &session,
        q.phone_number.as_deref(),
        q.provider.as_deref(),
        q.context,
    )
    .await
    {
        Ok(c) => c,
        Err(response) => return response,
    };
    render_confirm(&state, &session, &candidate, None, StatusCode::OK).await
}

async fn candidate(
    state: &AppState,
    session: &Session,
    number: Option<&str>,
    provider: Option<&str>,
    context: SearchForm,
) -> Result<Candidate, Response> {
    let number = parse_e164("phone_number", number).map_err(|e| {
        message_page(
            StatusCode::BAD_REQUEST,
            "Not a phone number",
            &format!("{} Search for a number to buy instead.", e.0.message),
        )
    })?;
    let provider = match provider.map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => parse_provider("provider", p).map_err(|e| error_page(&e.0))?,
        None => match state.services.workspace(&session.caller).await {
            Ok(w) => w.default_provider,
            Err(e) => return Err(error_page(&e)),
        },
    };
    Ok(Candidate {
        number,
        provider,
        context,
    })
}

#[tracing::instrument(skip_all, fields(workspace = %session.caller.workspace_id))]
pub async fn purchase(
    State(state): State<AppState>,
    CsrfForm { session, form }: CsrfForm,
) -> Response {
    let context = SearchForm {
        country: form.get("ctx_country").map(str::to_owned),
        number_type: form.get("ctx_type").map(str::to_owned),
        area_code: form.get("ctx_area_code").map(str::to_owned),
        contains: form.get("ctx_contains").map(str::to_owned),
    };
    let c = match candidate(
        &state,
        &session,
        form.get("phone_number"),
        form.get("provider"),
        context,
    )
    .await
    {
        Ok(c) => c,
        Err(response) => return response,
    };
    let req = PurchaseRequest {
        phone_number: c.number.clone(),
        provider: Some(c.provider),
        country: None,
        resumed_from: None,
    };
    match state.services.purchase(&session.caller, req).await {
        Ok(PurchaseOutcome::Active(r)) => redirect_with(&number_path(&r.id), "purchased"),
        Ok(PurchaseOutcome::Pending(r)) => redirect_with(&number_path(&r.id), "pending"),
        Err(e) if e.kind == ErrorKind::Conflict => taken(&state, &session, &c, &e).await,
        Err(e) => {
            let status = super::layout::status(&e);
            render_confirm(&state, &session, &c, Some(FormError::new(&e, None)), status).await
        }
    }
}

/// 409: the number went to someone else. Say so, and show what is still there.
async fn taken(state: &AppState, session: &Session, c: &Candidate, e: &ServiceError) -> Response {
    super::layout::log(e);
    let mut context = c.context.clone();
    if SearchForm::text(&context.country).is_empty() {
        context.country = Some(c.number.country().as_str().to_owned());
        context.number_type = Some(c.number.number_type().as_str().to_owned());
    }
    // The original letters may have matched only the number that is gone; fresh results
    // drop the number itself from what is offered.
    let fresh = match context.request() {
        Ok(req) => state.services.search(&session.caller, req).await.ok(),
        Err(_) => None,
    };
    let fresh: Option<Vec<SearchResult>> = fresh.map(|v| {
        v.into_iter()
            .filter(|r| r.number.phone_number != c.number)
            .collect()
    });
    let again = format!(
        "/dashboard/buy?{}",
        serde_urlencoded::to_string(context.query()).unwrap_or_default()
    );
    let international = c.number.international();
    let body = html! {
        h1 { "Someone else just took " (international) }
        div.form-error role="alert" {
            p { (e.message) }
            p { "Nothing was bought and nothing was charged." }
        }
        section aria-labelledby="fresh-title" {
            h2 #fresh-title { "Numbers still available" }
            @match &fresh {
                Some(results) => (results_table(results, &context)),
                None => p { "The carrier did not answer a new search just now." },
            }
            p { a href=(again) { "Search again" } }
        }
    };
    (
        StatusCode::CONFLICT,
        page("Number taken", Some(session), Nav::Buy, None, body),
    )
        .into_response()
}
