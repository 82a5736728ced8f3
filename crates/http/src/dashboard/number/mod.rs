//! One number's page: details, nickname and label, routing to agents, the workspace default,
//! its charges (`view`), and its release behind a confirmation (`release`). Each form posts to
//! a handler here that calls one service function and, when refused, shows the page again
//! with the error beside the field it concerns.

mod release;
mod view;

pub use release::{confirm_release, release};

use super::extract::CsrfForm;
use super::layout::NoticeQuery;
use super::layout::{FormError, Nav, error_page, notice_text, page, redirect_with, status};
use super::session::Session;
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use dialnexa_service::lifecycle::NumberPatch;
use dialnexa_service::{
    Agent, Caller, Charge, ChargeFilter, ErrorKind, Page, PhoneNumber, ServiceResult, Services,
    Workspace,
};

/// The inputs of the name and label form, and of the routing form, by the service's names.
const EDIT_FIELDS: &[&str] = &["nickname", "label"];
const ROUTING_FIELDS: &[&str] = &["inbound_agent_id", "outbound_agent_id"];
const CHARGES_SHOWN: u32 = 24;

/// What a page shown again keeps from a refused form: the error, and what was typed.
#[derive(Debug, Default)]
pub struct Refused {
    pub edit: Option<FormError>,
    pub routing: Option<FormError>,
    pub default: Option<FormError>,
    pub nickname: Option<String>,
    pub label: Option<String>,
    pub inbound: Option<String>,
    pub outbound: Option<String>,
}

/// What the number page shows.
pub struct NumberPage {
    pub number: PhoneNumber,
    pub workspace: Workspace,
    pub agents: Vec<Agent>,
    /// The latest charges, and how many there are in all.
    pub charges: Vec<Charge>,
    pub charge_count: u64,
    pub refused: Refused,
}

pub async fn load(
    services: &Services,
    caller: &Caller,
    id: &str,
    refused: Refused,
) -> ServiceResult<NumberPage> {
    let number = services.get_number(caller, id).await?;
    let workspace = services.workspace(caller).await?;
    let agents = services.all_agents(caller).await?;
    let (charges, charge_count) = services
        .list_charges(
            caller,
            Some(number.id.as_str()),
            ChargeFilter::default(),
            Page {
                page: 1,
                limit: CHARGES_SHOWN,
            },
        )
        .await?;
    Ok(NumberPage {
        number,
        workspace,
        agents,
        charges,
        charge_count,
        refused,
    })
}

async fn render(
    state: &AppState,
    session: &Session,
    id: &str,
    notice: Option<&str>,
    refused: Refused,
    status: StatusCode,
) -> Response {
    match load(&state.services, &session.caller, id, refused).await {
        Ok(data) => {
            let title = super::format::display_name(&data.number);
            let body = view::view(&data, session);
            (
                status,
                page(&title, Some(session), Nav::Numbers, notice, body),
            )
                .into_response()
        }
        Err(e) => error_page(&e),
    }
}

#[tracing::instrument(skip_all, fields(workspace = %session.caller.workspace_id, number = %id))]
pub async fn detail(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let notice = notice_text(q.notice.as_deref());
    render(
        &state,
        &session,
        &id,
        notice,
        Refused::default(),
        StatusCode::OK,
    )
    .await
}

#[tracing::instrument(skip_all, fields(workspace = %session.caller.workspace_id, number = %id))]
pub async fn edit(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { session, form }: CsrfForm,
) -> Response {
    let nickname = form.text("nickname");
    let label = form.text("label");
    let patch = NumberPatch {
        nickname: Some(Some(nickname.clone())),
        label: Some(Some(label.clone())),
        ..NumberPatch::default()
    };
    match state
        .services
        .update_number(&session.caller, &id, patch)
        .await
    {
        Ok(r) => redirect_with(&super::layout::number_path(&r.id), "saved"),
        Err(e) if e.kind == ErrorKind::NotFound => error_page(&e),
        Err(e) => {
            let refused = Refused {
                edit: Some(FormError::new(&e)),
                nickname: Some(nickname),
                label: Some(label),
                ..Refused::default()
            };
            render(&state, &session, &id, None, refused, status(&e)).await
        }
    }
}

#[tracing::instrument(skip_all, fields(workspace = %session.caller.workspace_id, number = %id))]
pub async fn routing(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { session, form }: CsrfForm,
) -> Response {
    let inbound = form.text("inbound_agent_id");
    let outbound = form.text("outbound_agent_id");
    let patch = NumberPatch {
        inbound_agent_id: Some(Some(inbound.clone())),
        outbound_agent_id: Some(Some(outbound.clone())),
        ..NumberPatch::default()
    };
    match state
        .services
        .update_number(&session.caller, &id, patch)
        .await
    {
        Ok(r) => redirect_with(&super::layout::number_path(&r.id), "routing_saved"),
        Err(e) if e.kind == ErrorKind::NotFound => error_page(&e),
        Err(e) => {
            let refused = Refused {
                routing: Some(FormError::new(&e)),
                inbound: Some(inbound),
                outbound: Some(outbound),
                ..Refused::default()
            };
            render(&state, &session, &id, None, refused, status(&e)).await
        }
    }
}

#[tracing::instrument(skip_all, fields(workspace = %session.caller.workspace_id, number = %id))]
pub async fn default(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { session, form }: CsrfForm,
) -> Response {
    let clear = form.get("action") == Some("clear");
    let result = if clear {
        state
            .services
            .unset_default_number(&session.caller, &id)
            .await
    } else {
        state
            .services
            .set_default_number(&session.caller, Some(&id))
            .await
    };
    match result {
        Ok(_) => redirect_with(
            &format!("/dashboard/numbers/{id}"),
            if clear {
                "default_cleared"
            } else {
                "default_set"
            },
        ),
        Err(e) => {
            let refused = Refused {
                default: Some(FormError::new(&e)),
                ..Refused::default()
            };
            render(&state, &session, &id, None, refused, status(&e)).await
        }
    }
}
