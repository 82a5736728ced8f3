//! Workspace settings: telephony config (enabled countries, default provider), KYC standing
//! per country, and API keys (a new key is shown once, on the answer to its creation).

use super::format;
use super::layout::{
    FormError, Nav, TextInput, csrf_field, error_page, form_error, notice_text, page, redirect_with,
};
use super::session::{CsrfForm, Session, clear_session_cookie};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use dialnexa_domain::{CountryIso, NumberStatus, NumberType, Provider};
use dialnexa_service::ErrorKind;
use dialnexa_service::auth::CreatedKey;
use dialnexa_service::catalog::PriceFilter;
use dialnexa_store::{NumberFilter, Page};
use maud::html;
use serde::Deserialize;

/// Active numbers offered in the default-number selector, newest first.
const SELECTOR_NUMBERS: u32 = 100;

#[derive(Debug, Deserialize)]
pub struct SettingsQuery {
    notice: Option<String>,
}

#[derive(Debug, Default)]
struct Outcome {
    telephony: Option<FormError>,
    default_number: Option<FormError>,
    keys: Option<FormError>,
    key_name: String,
    created: Option<CreatedKey>,
}

async fn render(
    state: &AppState,
    session: &Session,
    notice: Option<&str>,
    outcome: Outcome,
    status: StatusCode,
) -> Response {
    let services = &state.services;
    let caller = &session.caller;
    let loaded = async {
        let workspace = services.workspace(caller).await?;
        let kyc = services.kyc(caller).await?;
        let keys = services.list_api_keys(caller).await?;
        let prices = services.pricing(&PriceFilter::default()).await?;
        let active = NumberFilter {
            status: Some(NumberStatus::Active),
            ..NumberFilter::default()
        };
        let (numbers, active_total) = services
            .list_numbers(
                caller,
                &active,
                Page {
                    page: 1,
                    limit: SELECTOR_NUMBERS,
                },
            )
            .await?;
        Ok((workspace, kyc, keys, prices, numbers, active_total))
    };
    let (workspace, kyc, keys, prices, numbers, active_total) = match loaded.await {
        Ok(v) => v,
        Err(e) => return error_page(&e),
    };
    let mut countries: Vec<CountryIso> = prices
        .iter()
        .map(|p| p.country)
        .chain(workspace.enabled_countries.iter().copied())
        .collect();
    countries.sort_by_key(|c| services.country_name(*c));
    countries.dedup();
    let mut providers: Vec<Provider> = prices.iter().map(|p| p.provider).collect();
    providers.push(workspace.default_provider);
    providers.sort();
    providers.dedup();
    let regulated = |c: CountryIso| -> Vec<&'static str> {
        NumberType::ALL
            .into_iter()
            .filter(|t| services.requires_kyc(c, *t))
            .map(format::number_type)
            .collect()
    };
    let mut key_name = TextInput::new("key-name", "name", "Key name", &outcome.key_name);
    key_name.required = true;
    key_name.maxlength = Some(255);
    key_name.hint = Some("Where the key will be used, e.g. \"production server\".");
    let key_error = FormError::on(outcome.keys.as_ref(), "name");
    key_name.error = key_error.as_deref();

    let body = html! {
        h1 { "Settings" }
        p.lead { (workspace.name) " · " code { (workspace.id) } }

        section #telephony aria-labelledby="telephony-title" {
            h2 #telephony-title { "Telephony" }
            form.card method="post" action="/dashboard/settings/telephony" {
                (csrf_field(session))
                fieldset {
                    legend { "Enabled countries" }
                    p.hint #countries-hint { "Numbers can only be searched for and bought in enabled countries." }
                    div.choices.columns {
                        @for c in &countries {
                            label.choice {
                                input type="checkbox" name="countries" value=(c.as_str())
                                    checked[workspace.enabled_countries.contains(c)];
                                " " (services.country_name(*c)) " (" (c.as_str()) ")"
                            }
                        }
                    }
                }
                fieldset {
                    legend { "Default provider" }
                    p.hint { "The carrier searches and purchases use unless another is chosen." }
                    div.choices {
                        @for p in &providers {
                            label.choice {
                                input type="radio" name="default_provider" value=(p.as_str())
                                    checked[*p == workspace.default_provider];
                                " " (format::provider(*p))
                            }
                        }
                    }
                }
                (form_error(FormError::general(outcome.telephony.as_ref()).as_deref()))
                button.primary type="submit" { "Save telephony settings" }
            }
        }

        section #default-number aria-labelledby="default-title" {
            h2 #default-title { "Default number" }
            form.card.inline method="post" action="/dashboard/settings/default-number" {
                (csrf_field(session))
                div.field {
                    label for="default-number-select" { "Default phone number" }
                    p.hint #default-number-hint {
                        "The number the workspace uses when nothing else is chosen."
                        @if active_total > numbers.len() as u64 {
                            " The " (numbers.len()) " newest active numbers are listed; any number can be made the default from its own page."
                        }
                    }
                    select #default-number-select name="phone_number_id" aria-describedby="default-number-hint" {
                        option value="" selected[workspace.default_phone_number_id.is_none()] { "No default number" }
                        @if let Some(current) = &workspace.default_phone_number_id && !numbers.iter().any(|n| &n.id == current) {
                            option value=(current.as_str()) selected { (current.as_str()) }
                        }
                        @for n in &numbers {
                            @let shown = n.phone_number.international();
                            option value=(n.id.as_str()) selected[workspace.default_phone_number_id.as_ref() == Some(&n.id)] {
                                @match &n.nickname {
                                    Some(nick) => { (nick) " — " (shown) }
                                    None => { (shown) }
                                }
                            }
                        }
                    }
                }
                button.primary type="submit" { "Save default number" }
            }
            (form_error(FormError::general(outcome.default_number.as_ref()).as_deref()))
        }

        section #kyc aria-labelledby="kyc-title" {
            h2 #kyc-title { "KYC" }
            p { "Some countries and number types may only be bought after DialNexa has verified your business (KYC). Your DialNexa operator records each decision; to start or follow up on KYC for a country, contact them with your workspace id " code { (workspace.id) } "." }
            div.table-wrap role="region" aria-labelledby="kyc-caption" tabindex="0" {
                table {
                    caption #kyc-caption { "KYC status per country" }
                    thead {
                        tr {
                            th scope="col" { "Country" }
                            th scope="col" { "Needed for" }
                            th scope="col" { "Status" }
                            th scope="col" { "Updated" }
                        }
                    }
                    tbody {
                        @for k in &kyc {
                            @let needed = regulated(k.country);
                            tr {
                                th scope="row" { (services.country_name(k.country)) " (" (k.country.as_str()) ")" }
                                td {
                                    @if needed.is_empty() { span.muted { "Not needed" } } @else { (needed.join(", ")) " numbers" }
                                }
                                td { span class={ "badge kyc-" (k.status.as_str()) } { (format::kyc(k.status)) } }
                                td { (format::date(k.updated_at)) }
                            }
                        }
                    }
                }
            }
        }

        section #keys aria-labelledby="keys-title" {
            h2 #keys-title { "API keys" }
            @if let Some(created) = &outcome.created {
                div.secret role="status" {
                    p { strong { "Your new API key “" (created.key.name) "”. Copy it now: it is shown only once." } }
                    label for="new-key" { "New API key" }
                    input #new-key type="text" readonly value=(created.secret) autocomplete="off" spellcheck="false";
                }
            }
            form.card.inline method="post" action="/dashboard/settings/keys" {
                (csrf_field(session))
                (key_name.render())
                button.primary type="submit" { "Create API key" }
            }
            (form_error(FormError::general(outcome.keys.as_ref()).as_deref()))
            div.table-wrap role="region" aria-labelledby="keys-caption" tabindex="0" {
                table {
                    caption #keys-caption { "API keys of this workspace" }
                    thead {
                        tr {
                            th scope="col" { "Name" }
                            th scope="col" { "Starts with" }
                            th scope="col" { "Created" }
                            th scope="col" { "Status" }
                            th scope="col" { "Revoke" }
                        }
                    }
                    tbody {
                        @for k in &keys {
                            tr {
                                th scope="row" { (k.name) }
                                td { code { (k.key_prefix) "…" } }
                                td { (format::date(k.created_at)) }
                                td {
                                    @match k.revoked_at {
                                        Some(at) => span.badge.status-released { "Revoked " (format::date(at)) },
                                        None => span.badge.status-active { "Active" },
                                    }
                                }
                                td {
                                    @if k.revoked_at.is_none() {
                                        form method="post" action={ "/dashboard/settings/keys/" (k.id) "/revoke" } {
                                            (csrf_field(session))
                                            button.danger.small type="submit" { "Revoke" span.sr-only { " " (k.name) } }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            p.hint { "Revoking the key you signed in with ends this session." }
        }
    };
    (
        status,
        page("Settings", Some(session), Nav::Settings, notice, body),
    )
        .into_response()
}

#[tracing::instrument(skip_all, fields(workspace = %session.caller.workspace_id))]
pub async fn show(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<SettingsQuery>,
) -> Response {
    render(
        &state,
        &session,
        notice_text(q.notice.as_deref()),
        Outcome::default(),
        StatusCode::OK,
    )
    .await
}

#[tracing::instrument(skip_all)]
pub async fn telephony(
    State(state): State<AppState>,
    CsrfForm { session, form }: CsrfForm,
) -> Response {
    let mut countries = Vec::new();
    for raw in form.all("countries") {
        match CountryIso::parse(raw) {
            Ok(c) => countries.push(c),
            Err(_) => {
                let e = dialnexa_service::ServiceError::bad_request(
                    "invalid_country",
                    format!("`{raw}` is not a country code."),
                );
                let outcome = Outcome {
                    telephony: Some(FormError::new(&e, None)),
                    ..Outcome::default()
                };
                return render(&state, &session, None, outcome, StatusCode::BAD_REQUEST).await;
            }
        }
    }
    let provider =
        match crate::views::parse_provider("default_provider", &form.text("default_provider")) {
            Ok(p) => p,
            Err(e) => {
                let outcome = Outcome {
                    telephony: Some(FormError::new(&e.0, None)),
                    ..Outcome::default()
                };
                return render(&state, &session, None, outcome, StatusCode::BAD_REQUEST).await;
            }
        };
    match state
        .services
        .set_telephony_config(&session.caller, countries, provider)
        .await
    {
        Ok(_) => redirect_with("/dashboard/settings#telephony", "telephony_saved"),
        Err(e) => {
            let status = super::layout::status(&e);
            let outcome = Outcome {
                telephony: Some(FormError::new(&e, None)),
                ..Outcome::default()
            };
            render(&state, &session, None, outcome, status).await
        }
    }
}

#[tracing::instrument(skip_all)]
pub async fn default_number(
    State(state): State<AppState>,
    CsrfForm { session, form }: CsrfForm,
) -> Response {
    let chosen = form.text("phone_number_id");
    let chosen = Some(chosen.trim()).filter(|c| !c.is_empty());
    match state
        .services
        .set_default_number(&session.caller, chosen)
        .await
    {
        Ok(w) if w.default_phone_number_id.is_some() => {
            redirect_with("/dashboard/settings#default-number", "default_set")
        }
        Ok(_) => redirect_with("/dashboard/settings#default-number", "default_cleared"),
        Err(e) => {
            let status = super::layout::status(&e);
            let outcome = Outcome {
                default_number: Some(FormError::new(&e, None)),
                ..Outcome::default()
            };
            render(&state, &session, None, outcome, status).await
        }
    }
}

#[tracing::instrument(skip_all)]
pub async fn create_key(
    State(state): State<AppState>,
    CsrfForm { session, form }: CsrfForm,
) -> Response {
    let name = form.text("name");
    if name.trim().is_empty() {
        let e = dialnexa_service::ServiceError::bad_request(
            "invalid_name",
            "Give the key a name, so you can tell it apart when you revoke it.",
        );
        let outcome = Outcome {
            keys: Some(FormError::new(&e, Some("name"))),
            key_name: name,
            ..Outcome::default()
        };
        return render(&state, &session, None, outcome, StatusCode::BAD_REQUEST).await;
    }
    match state
        .services
        .create_api_key(&session.caller.workspace_id, &name)
        .await
    {
        // Shown on this answer only (no redirect): the page is never cached.
        Ok(created) => {
            let outcome = Outcome {
                created: Some(created),
                ..Outcome::default()
            };
            render(&state, &session, None, outcome, StatusCode::CREATED).await
        }
        Err(e) => {
            let status = super::layout::status(&e);
            let outcome = Outcome {
                keys: Some(FormError::new(&e, None)),
                key_name: name,
                ..Outcome::default()
            };
            render(&state, &session, None, outcome, status).await
        }
    }
}

#[tracing::instrument(skip_all, fields(key = %id))]
pub async fn revoke_key(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { session, .. }: CsrfForm,
) -> Response {
    match state.services.revoke_api_key(&session.caller, &id).await {
        Ok(()) => match state.services.authenticate(session.secret()).await {
            Ok(_) => redirect_with("/dashboard/settings#keys", "key_revoked"),
            Err(e) if e.kind == ErrorKind::Unauthorized => {
                let mut response = redirect_with("/dashboard/sign-in", "key_revoked_self");
                if let Ok(v) = clear_session_cookie().parse() {
                    response.headers_mut().append(header::SET_COOKIE, v);
                }
                response
            }
            Err(e) => error_page(&e),
        },
        Err(e) if e.kind == ErrorKind::NotFound => error_page(&e),
        Err(e) => {
            let status = super::layout::status(&e);
            let outcome = Outcome {
                keys: Some(FormError::new(&e, None)),
                ..Outcome::default()
            };
            render(&state, &session, None, outcome, status).await
        }
    }
}
