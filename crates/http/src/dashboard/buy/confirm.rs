//! The confirmation before a purchase (the service's quote: provider, monthly price, first
//! billing period), the purchase itself, and the page for a number someone else took first,
//! with fresh results.

use super::results::{context_pairs, results_table, search_link};
use crate::AppState;
use crate::dashboard::extract::CsrfForm;
use crate::dashboard::format::{self, country_name};
use crate::dashboard::layout::{
    FormError, Nav, csrf_field, error_page, message_page, number_path, page, redirect_with,
};
use crate::dashboard::session::{FormData, Session};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use dialnexa_domain::E164;
use dialnexa_service::quote::{Quote, QuoteRequest};
use dialnexa_service::saga::purchase::{PurchaseInput, PurchaseOutcome, PurchaseRequest};
use dialnexa_service::search::SearchQuery;
use dialnexa_service::{AvailableNumber, Caller, ErrorKind, ServiceError, ServiceResult, Services};
use maud::{Markup, html};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct ConfirmQuery {
    phone_number: Option<String>,
    provider: Option<String>,
    /// The search the number was found with, to go back to it.
    #[serde(flatten)]
    context: SearchQuery,
}

/// What the confirmation shows.
pub struct ConfirmPage {
    pub number: E164,
    pub quote: Quote,
    pub context: SearchQuery,
    /// Why the purchase was refused, when it was.
    pub error: Option<FormError>,
}

/// What someone sees when the number went to another buyer first.
pub struct TakenPage {
    pub number: E164,
    pub message: String,
    /// The search again (the number's country and type when there was none).
    pub context: SearchQuery,
    /// `None` when the carrier did not answer the new search.
    pub fresh: Option<Vec<AvailableNumber>>,
}

/// The page for a purchase that cannot even be described: a number that is none, or an
/// unknown provider.
fn unreadable(e: &ServiceError) -> Response {
    if e.field == Some("phone_number") {
        message_page(
            StatusCode::BAD_REQUEST,
            "Not a phone number",
            &format!("{} Search for a number to buy instead.", e.message),
        )
    } else {
        error_page(e)
    }
}

pub async fn load(
    services: &Services,
    caller: &Caller,
    req: &PurchaseRequest,
    context: SearchQuery,
    error: Option<FormError>,
) -> ServiceResult<ConfirmPage> {
    let number = req.phone_number.clone();
    let quote = services
        .quote(caller, QuoteRequest::for_number(&number, req.provider))
        .await?;
    Ok(ConfirmPage {
        number,
        quote,
        context,
        error,
    })
}

async fn render(
    state: &AppState,
    session: &Session,
    req: &PurchaseRequest,
    context: SearchQuery,
    error: Option<FormError>,
) -> Response {
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.status);
    match load(&state.services, &session.caller, req, context, error).await {
        Ok(data) => {
            let title = format!("Buy {}?", data.number.international());
            let body = view(&data, session);
            (status, page(&title, Some(session), Nav::Buy, None, body)).into_response()
        }
        Err(e) => error_page(&e),
    }
}

#[tracing::instrument(skip_all, fields(workspace = %session.caller.workspace_id))]
pub async fn confirm(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<ConfirmQuery>,
) -> Response {
    let input = PurchaseInput {
        phone_number: q.phone_number,
        provider: q.provider,
        country: None,
        spec_names: false,
    };
    match input.parse(None) {
        Ok(req) => render(&state, &session, &req, q.context, None).await,
        Err(e) => unreadable(&e),
    }
}

/// The search a confirmation form came from, from its `ctx_` fields.
fn context_of(form: &FormData) -> SearchQuery {
    let field = |name| form.get(name).map(str::to_owned);
    SearchQuery {
        country_iso: field("ctx_country"),
        number_type: field("ctx_type"),
        area_code: field("ctx_area_code"),
        contains: field("ctx_contains"),
        ..SearchQuery::default()
    }
}

#[tracing::instrument(skip_all, fields(workspace = %session.caller.workspace_id))]
pub async fn purchase(
    State(state): State<AppState>,
    CsrfForm { session, form }: CsrfForm,
) -> Response {
    let input = PurchaseInput {
        phone_number: form.get("phone_number").map(str::to_owned),
        provider: form.get("provider").map(str::to_owned),
        country: None,
        spec_names: false,
    };
    let req = match input.parse(None) {
        Ok(req) => req,
        Err(e) => return unreadable(&e),
    };
    let context = context_of(&form);
    match state.services.purchase(&session.caller, req.clone()).await {
        Ok(PurchaseOutcome::Active(r)) => redirect_with(&number_path(&r.id), "purchased"),
        Ok(PurchaseOutcome::Pending(r)) => redirect_with(&number_path(&r.id), "pending"),
        Err(e) if e.kind == ErrorKind::Conflict => {
            let data = taken(
                &state.services,
                &session.caller,
                &req.phone_number,
                &e,
                context,
            )
            .await;
            (
                StatusCode::CONFLICT,
                page(
                    "Number taken",
                    Some(&session),
                    Nav::Buy,
                    None,
                    taken_view(&data),
                ),
            )
                .into_response()
        }
        Err(e) => render(&state, &session, &req, context, Some(FormError::new(&e))).await,
    }
}

/// 409: the number went to someone else; search again for what is still there.
async fn taken(
    services: &Services,
    caller: &Caller,
    number: &E164,
    e: &ServiceError,
    mut context: SearchQuery,
) -> TakenPage {
    crate::dashboard::layout::log(e);
    if context
        .country_iso
        .as_deref()
        .is_none_or(|c| c.trim().is_empty())
    {
        context.country_iso = Some(number.country().as_str().to_owned());
        context.number_type = Some(number.number_type().as_str().to_owned());
    }
    let fresh = match context.parse() {
        Ok(req) => services.search(caller, &req).await.ok(),
        Err(_) => None,
    };
    // The original letters may have matched only the number that is gone; fresh results
    // drop the number itself from what is offered.
    let fresh = fresh.map(|v| {
        v.into_iter()
            .filter(|r| &r.phone_number != number)
            .collect()
    });
    TakenPage {
        number: number.clone(),
        message: e.message.clone(),
        context,
        fresh,
    }
}

pub fn view(data: &ConfirmPage, session: &Session) -> Markup {
    let quote = &data.quote;
    let (country, number_type) = (quote.country, quote.number_type);
    let price = quote.monthly_cost;
    let first = quote.first_period;
    let international = data.number.international();
    let back = if context_pairs(&data.context).is_empty() {
        search_link(&SearchQuery {
            country_iso: Some(country.as_str().to_owned()),
            ..SearchQuery::default()
        })
    } else {
        search_link(&data.context)
    };
    let fix = data.error.as_ref().and_then(|e| match e.code {
        "kyc_required" => Some(("/dashboard/settings#kyc", "See this workspace's KYC status")),
        "country_not_enabled" => Some((
            "/dashboard/settings#telephony",
            "Enable the country in telephony settings",
        )),
        _ => None,
    });
    html! {
        p.crumbs { a href=(back) { "← Back to the search results" } }
        h1 { "Buy " (international) "?" }
        dl.details {
            dt { "Number" } dd.nowrap { (international) }
            dt { "Country" } dd { (country_name(country)) " (" (country.as_str()) ")" }
            dt { "Type" } dd { (format::number_type(number_type)) }
            dt { "Provider" } dd { (format::provider(quote.provider)) }
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
            input type="hidden" name="phone_number" value=(data.number.as_str());
            input type="hidden" name="provider" value=(quote.provider.as_str());
            @for (k, v) in context_pairs(&data.context) {
                input type="hidden" name={ "ctx_" (k) } value=(v);
            }
            @if let Some(e) = &data.error {
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
    }
}

pub fn taken_view(data: &TakenPage) -> Markup {
    html! {
        h1 { "Someone else just took " (data.number.international()) }
        div.form-error role="alert" {
            p { (data.message) }
            p { "Nothing was bought and nothing was charged." }
        }
        section aria-labelledby="fresh-title" {
            h2 #fresh-title { "Numbers still available" }
            @match &data.fresh {
                Some(results) => (results_table(results, &data.context)),
                None => p { "The carrier did not answer a new search just now." },
            }
            p { a href=(search_link(&data.context)) { "Search again" } }
        }
    }
}
