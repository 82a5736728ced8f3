//! Workspace settings: telephony config (enabled countries, default provider), the default
//! number, KYC standing per country, and API keys (a new key is shown once, on the answer to
//! its creation). `view` draws the page; the forms post to the handlers here.

mod view;

use super::extract::CsrfForm;
use super::layout::NoticeQuery;
use super::layout::{FormError, Nav, error_page, notice_text, page, redirect_with};
use super::session::{Session, clear_session_cookie};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use dialnexa_domain::{NumberStatus, NumberType, Provider};
use dialnexa_service::auth::CreatedKey;
use dialnexa_service::numbers::{NumberFilter, NumberListing};
use dialnexa_service::workspace::TelephonyConfigInput;
use dialnexa_service::{
    ApiKey, Caller, ErrorKind, KycStanding, Page, PhoneNumber, ServiceError, ServiceResult,
    Services, Workspace,
};

/// Active numbers offered in the default-number selector, newest first.
const SELECTOR_NUMBERS: u32 = 100;

/// What the last form on the page did: its error, or a key just created.
#[derive(Debug, Default)]
pub struct Outcome {
    pub telephony: Option<FormError>,
    pub default_number: Option<FormError>,
    pub keys: Option<FormError>,
    pub key_name: String,
    pub created: Option<CreatedKey>,
}

/// What the settings page shows.
pub struct SettingsPage {
    pub workspace: Workspace,
    /// The countries that can be enabled, and the providers that can be the default.
    pub countries: Vec<dialnexa_domain::CountryIso>,
    pub providers: Vec<Provider>,
    /// Each country's KYC standing, with the number types that need it there.
    pub kyc: Vec<(KycStanding, Vec<&'static str>)>,
    pub keys: Vec<ApiKey>,
    /// The newest active numbers, and how many are active in all.
    pub numbers: Vec<PhoneNumber>,
    pub active_total: u64,
    pub outcome: Outcome,
}

pub async fn load(
    services: &Services,
    caller: &Caller,
    outcome: Outcome,
) -> ServiceResult<SettingsPage> {
    let workspace = services.workspace(caller).await?;
    let kyc = services
        .kyc(caller)
        .await?
        .into_iter()
        .map(|k| {
            let needed = NumberType::ALL
                .into_iter()
                .filter(|t| services.requires_kyc(k.country, *t))
                .map(super::format::number_type)
                .collect();
            (k, needed)
        })
        .collect();
    let keys = services.list_api_keys(caller).await?;
    let providers = services.default_provider_choices(caller).await?;
    let countries = services.offered_countries(caller).await?;
    let active = NumberListing {
        filter: NumberFilter {
            status: Some(NumberStatus::Active),
            ..NumberFilter::default()
        },
        page: Page {
            page: 1,
            limit: SELECTOR_NUMBERS,
        },
    };
    let (numbers, active_total) = services.list_numbers(caller, &active).await?;
    Ok(SettingsPage {
        workspace,
        countries,
        providers,
        kyc,
        keys,
        numbers,
        active_total,
        outcome,
    })
}

async fn render(
    state: &AppState,
    session: &Session,
    notice: Option<&str>,
    outcome: Outcome,
    status: StatusCode,
) -> Response {
    match load(&state.services, &session.caller, outcome).await {
        Ok(data) => (
            status,
            page(
                "Settings",
                Some(session),
                Nav::Settings,
                notice,
                view::view(&data, session),
            ),
        )
            .into_response(),
        Err(e) => error_page(&e),
    }
}

#[tracing::instrument(skip_all, fields(workspace = %session.caller.workspace_id))]
pub async fn show(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let notice = notice_text(q.notice.as_deref());
    render(&state, &session, notice, Outcome::default(), StatusCode::OK).await
}

#[tracing::instrument(skip_all)]
pub async fn telephony(
    State(state): State<AppState>,
    CsrfForm { session, form }: CsrfForm,
) -> Response {
    let change = TelephonyConfigInput {
        enabled_countries: Some(form.all("countries").map(str::to_owned).collect()),
        default_provider: Some(form.text("default_provider")),
    };
    match state
        .services
        .set_telephony_config(&session.caller, change)
        .await
    {
        Ok(_) => redirect_with("/dashboard/settings#telephony", "telephony_saved"),
        Err(e) => {
            let error = FormError::new(&e);
            let status = error.status;
            let outcome = Outcome {
                telephony: Some(error),
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
            let error = FormError::new(&e);
            let status = error.status;
            let outcome = Outcome {
                default_number: Some(error),
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
    // The form asks for a name so that keys can be told apart; the API accepts none.
    let created = if name.trim().is_empty() {
        Err(ServiceError::bad_request(
            "invalid_name",
            "Give the key a name, so you can tell it apart when you revoke it.",
        )
        .on("name"))
    } else {
        state
            .services
            .create_api_key(&session.caller.actor, &session.caller.workspace_id, &name)
            .await
    };
    match created {
        // Shown on this answer only (no redirect): the page is never cached.
        Ok(created) => {
            let outcome = Outcome {
                created: Some(created),
                ..Outcome::default()
            };
            render(&state, &session, None, outcome, StatusCode::CREATED).await
        }
        Err(e) => {
            let error = FormError::new(&e);
            let status = error.status;
            let outcome = Outcome {
                keys: Some(error),
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
        Ok(()) => match state.services.session(session.secret()).await {
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
            let error = FormError::new(&e);
            let status = error.status;
            let outcome = Outcome {
                keys: Some(error),
                ..Outcome::default()
            };
            render(&state, &session, None, outcome, status).await
        }
    }
}
