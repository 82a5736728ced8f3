//! One number's page: details, nickname and label, routing to agents, the workspace default,
//! its charges, and release behind a confirmation that says what stops and when.

use super::agents::all_agents;
use super::format;
use super::layout::{
    FormError, Nav, TextInput, csrf_field, error_page, field_error, form_error, notice_text, page,
    redirect_with,
};
use super::numbers::{country_cell, display_name, number_path, status_badge};
use super::session::{CsrfForm, Session};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use dialnexa_domain::NumberStatus;
use dialnexa_service::ErrorKind;
use dialnexa_service::lifecycle::NumberPatch;
use dialnexa_store::{Agent, Charge, ChargeFilter, Page, PhoneNumberRecord};
use maud::{Markup, html};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

/// What a re-rendered page keeps from a refused form.
#[derive(Debug, Default)]
struct Refused {
    edit: Option<FormError>,
    routing: Option<FormError>,
    default: Option<FormError>,
    nickname: Option<String>,
    label: Option<String>,
    inbound: Option<String>,
    outbound: Option<String>,
}

const CHARGES_SHOWN: u32 = 24;

async fn render(
    state: &AppState,
    session: &Session,
    id: &str,
    notice: Option<&str>,
    refused: Refused,
    status: StatusCode,
) -> Response {
    let services = &state.services;
    let caller = &session.caller;
    let loaded = async {
        let record = services.get_number(caller, id).await?;
        let workspace = services.workspace(caller).await?;
        let agents = all_agents(services, caller).await?;
        let (charges, charge_count) = services
            .list_charges(
                caller,
                Some(record.id.as_str()),
                ChargeFilter::default(),
                Page {
                    page: 1,
                    limit: CHARGES_SHOWN,
                },
            )
            .await?;
        Ok((record, workspace, agents, charges, charge_count))
    };
    let (record, workspace, agents, charges, charge_count) = match loaded.await {
        Ok(v) => v,
        Err(e) => return error_page(&e),
    };
    let is_default = workspace.default_phone_number_id.as_ref() == Some(&record.id);
    let live = record.status.holds_number();
    let name = display_name(&record);
    let path = number_path(&record.id);
    let paid_until = charges.iter().map(|c| c.period_end).max();

    let nickname = refused
        .nickname
        .clone()
        .unwrap_or_else(|| record.nickname.clone().unwrap_or_default());
    let label = refused
        .label
        .clone()
        .unwrap_or_else(|| record.label.clone().unwrap_or_default());
    let inbound = refused.inbound.clone().unwrap_or_else(|| {
        record
            .inbound_agent_id
            .as_ref()
            .map(|a| a.to_string())
            .unwrap_or_default()
    });
    let outbound = refused.outbound.clone().unwrap_or_else(|| {
        record
            .outbound_agent_id
            .as_ref()
            .map(|a| a.to_string())
            .unwrap_or_default()
    });
    let mut nick_input = TextInput::new("nickname", "nickname", "Nickname", &nickname);
    nick_input.hint = Some("Shown instead of the number in tables and agent selectors.");
    nick_input.maxlength = Some(255);
    let nick_error = FormError::on(refused.edit.as_ref(), "nickname");
    nick_input.error = nick_error.as_deref();
    let mut label_input = TextInput::new("label", "label", "Label", &label);
    label_input.hint = Some("A note for your team, e.g. \"EU support line\".");
    label_input.maxlength = Some(255);
    let label_error = FormError::on(refused.edit.as_ref(), "label");
    label_input.error = label_error.as_deref();
    let inbound_error = FormError::on(refused.routing.as_ref(), "inbound_agent_id");
    let outbound_error = FormError::on(refused.routing.as_ref(), "outbound_agent_id");

    let body = html! {
        p.crumbs { a href="/dashboard/numbers" { "← Phone numbers" } }
        div.heading-row {
            h1 { (name) }
            div.badges {
                (status_badge(record.status))
                @if is_default { " " span.badge.default { "Default number" } }
            }
        }
        @if record.nickname.is_some() { p.lead.nowrap { (record.phone_number.international()) } }

        section aria-labelledby="details-title" {
            h2 #details-title { "Details" }
            dl.details {
                dt { "Number" } dd { (record.phone_number.as_str()) }
                dt { "Country" } dd { (services.country_name(*record.phone_number.country())) " " (country_cell(services, *record.phone_number.country())) }
                dt { "Type" } dd { (format::number_type(record.number_type)) }
                dt { "Capabilities" } dd { (format::capabilities(record.capabilities)) }
                dt { "Provider" } dd { (format::provider(record.provider)) }
                dt { "Monthly cost" } dd {
                    @if record.provider.is_carrier() { (format::monthly(record.monthly_cost)) } @else { "No rental: your own SIP trunk" }
                }
                dt { "Bought" } dd { (format::date(record.activated_at.unwrap_or(record.created_at))) }
                @if let Some(next) = services.next_renewal(&record) {
                    dt { "Next renewal" } dd { (format::date(next)) }
                }
                @if let Some(released) = record.released_at {
                    dt { "Released" } dd { (format::date_time(released)) }
                    @if let Some(until) = paid_until {
                        dt { "Paid period ends" } dd { (format::date(until)) }
                    }
                }
                dt { "Id" } dd { code { (record.id) } }
            }
        }

        @if live {
            section aria-labelledby="edit-title" {
                h2 #edit-title { "Name and label" }
                form.card method="post" action={ (path) "/edit" } {
                    (csrf_field(session))
                    (nick_input.render())
                    (label_input.render())
                    (form_error(FormError::general(refused.edit.as_ref()).as_deref()))
                    button.primary type="submit" { "Save name and label" }
                }
            }

            section aria-labelledby="routing-title" {
                h2 #routing-title { "Routing" }
                @if agents.is_empty() {
                    p { "You have no agents yet. " a href="/dashboard/agents" { "Create an agent" } " to route this number's calls to it." }
                }
                form.card method="post" action={ (path) "/routing" } {
                    (csrf_field(session))
                    (agent_select("inbound_agent_id", "Inbound calls go to", "The agent that answers calls to this number.", &agents, &inbound, inbound_error.as_deref()))
                    (agent_select("outbound_agent_id", "Outbound caller ID of", "The agent that calls out from this number.", &agents, &outbound, outbound_error.as_deref()))
                    (form_error(FormError::general(refused.routing.as_ref()).as_deref()))
                    button.primary type="submit" { "Save routing" }
                }
            }

            section aria-labelledby="default-title" {
                h2 #default-title { "Workspace default" }
                form.card method="post" action={ (path) "/default" } {
                    (csrf_field(session))
                    @if is_default {
                        p { "This is the workspace's default number. A default number cannot be released until another number is the default or the default is cleared." }
                        input type="hidden" name="action" value="clear";
                        (form_error(FormError::general(refused.default.as_ref()).as_deref()))
                        button type="submit" { "Clear the default" }
                    } @else {
                        p { "The default number is the one the workspace uses when nothing else is chosen." }
                        input type="hidden" name="action" value="set";
                        (form_error(FormError::general(refused.default.as_ref()).as_deref()))
                        button type="submit" disabled[record.status != NumberStatus::Active] { "Make this the default number" }
                    }
                }
            }
        }

        @if record.status == NumberStatus::Active {
            section aria-labelledby="release-title" {
                h2 #release-title { "Release" }
                p { "Give the number back to the carrier and stop its rental. You will be asked to confirm." }
                a.button.danger href={ (path) "/release" } { "Release this number…" }
            }
        }

        section aria-labelledby="charges-title" {
            h2 #charges-title { "Charges" }
            (charges_table(&charges, charge_count, &record))
        }

    };
    (
        status,
        page(&name, Some(session), Nav::Numbers, notice, body),
    )
        .into_response()
}

fn agent_select(
    name: &str,
    label: &str,
    hint: &str,
    agents: &[Agent],
    selected: &str,
    error: Option<&str>,
) -> Markup {
    let described = match error {
        Some(_) => format!("{name}-hint {name}-error"),
        None => format!("{name}-hint"),
    };
    html! {
        div.field {
            label for=(name) { (label) }
            p.hint id={ (name) "-hint" } { (hint) }
            select id=(name) name=(name) aria-describedby=(described) aria-invalid=[error.map(|_| "true")] {
                option value="" selected[selected.is_empty()] { "No agent" }
                @for a in agents {
                    option value=(a.id.as_str()) selected[a.id.as_str() == selected] { (a.name) }
                }
            }
            (field_error(name, error))
        }
    }
}

fn charges_table(charges: &[Charge], total: u64, record: &PhoneNumberRecord) -> Markup {
    html! {
        @if charges.is_empty() {
            @if record.provider.is_carrier() {
                p { "No charges yet: the first month is charged when the purchase completes." }
            } @else {
                p { "Numbers on your own SIP trunk have no rental." }
            }
        } @else {
            div.table-wrap role="region" aria-labelledby="charges-caption" tabindex="0" {
                table {
                    caption #charges-caption {
                        "Rental charges of this number"
                        @if total > charges.len() as u64 { " (the latest " (charges.len()) " of " (total) ")" }
                    }
                    thead {
                        tr {
                            th scope="col" { "Period" }
                            th scope="col" { "Month" }
                            th scope="col" class="num" { "Amount" }
                            th scope="col" { "Charged" }
                        }
                    }
                    tbody {
                        @for c in charges {
                            tr {
                                th scope="row" { (format::date(c.period_start)) " – " (format::date(c.period_end)) }
                                td { (c.period_index + 1) }
                                td.num { (format::money(c.amount)) }
                                td { (format::date_time(c.created_at)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[tracing::instrument(skip_all, fields(workspace = %session.caller.workspace_id, number = %id))]
pub async fn detail(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Response {
    render(
        &state,
        &session,
        &id,
        notice_text(q.notice.as_deref()),
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
        Ok(r) => redirect_with(&number_path(&r.id), "saved"),
        Err(e) if e.kind == ErrorKind::NotFound => error_page(&e),
        Err(e) => {
            let field = match e.code {
                "invalid_nickname" => Some("nickname"),
                "invalid_label" => Some("label"),
                _ => None,
            };
            let refused = Refused {
                edit: Some(FormError::new(&e, field)),
                nickname: Some(nickname),
                label: Some(label),
                ..Refused::default()
            };
            render(
                &state,
                &session,
                &id,
                None,
                refused,
                super::layout::status(&e),
            )
            .await
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
        Ok(r) => redirect_with(&number_path(&r.id), "routing_saved"),
        Err(e) if e.kind == ErrorKind::NotFound => error_page(&e),
        Err(e) => {
            // The service names the field it refused in its message.
            let field = match e.code {
                "unknown_agent" if e.message.starts_with("outbound_agent_id") => {
                    Some("outbound_agent_id")
                }
                "unknown_agent" => Some("inbound_agent_id"),
                _ => None,
            };
            let refused = Refused {
                routing: Some(FormError::new(&e, field)),
                inbound: Some(inbound),
                outbound: Some(outbound),
                ..Refused::default()
            };
            render(
                &state,
                &session,
                &id,
                None,
                refused,
                super::layout::status(&e),
            )
            .await
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
        // Only clear when this number is the default, so a stale page cannot clear another.
        match state.services.workspace(&session.caller).await {
            Ok(w)
                if w.default_phone_number_id.as_ref().map(|d| d.as_str()) == Some(id.as_str()) =>
            {
                state
                    .services
                    .set_default_number(&session.caller, None)
                    .await
            }
            other => other,
        }
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
                default: Some(FormError::new(&e, None)),
                ..Refused::default()
            };
            render(
                &state,
                &session,
                &id,
                None,
                refused,
                super::layout::status(&e),
            )
            .await
        }
    }
}

async fn render_release(
    state: &AppState,
    session: &Session,
    id: &str,
    error: Option<FormError>,
    status: StatusCode,
) -> Response {
    let services = &state.services;
    let loaded = async {
        let record = services.get_number(&session.caller, id).await?;
        let workspace = services.workspace(&session.caller).await?;
        let agents = all_agents(services, &session.caller).await?;
        Ok((record, workspace, agents))
    };
    let (record, workspace, agents) = match loaded.await {
        Ok(v) => v,
        Err(e) => return error_page(&e),
    };
    let path = number_path(&record.id);
    let name = display_name(&record);
    let international = record.phone_number.international();
    let is_default = workspace.default_phone_number_id.as_ref() == Some(&record.id);
    let inbound = record.inbound_agent_id.as_ref().map(|a| {
        agents
            .iter()
            .find(|x| &x.id == a)
            .map(|x| x.name.clone())
            .unwrap_or_else(|| a.to_string())
    });
    let paid_until = services.next_renewal(&record);
    let title = format!("Release {name}?");
    let body = html! {
        p.crumbs { a href=(path) { "← " (name) } }
        h1 { (title) }
        @if record.status != NumberStatus::Active {
            p.lead { "This number is " (format::status(record.status).to_lowercase()) ", so there is nothing to release." }
            p { a href=(path) { "Back to the number" } }
        } @else {
            p.lead {
                "You are about to release " strong.nowrap { (international) }
                @if let Some(n) = &record.nickname { " (" (n) ")" }
                " from this workspace."
            }
            h2 { "What stops" }
            ul.consequences {
                li {
                    strong { "Routing stops now. " }
                    @match &inbound {
                        Some(agent) => { "Calls to this number no longer reach " (agent) ", and no agent can call out from it." }
                        None => { "Calls to this number are no longer answered, and no agent can call out from it." }
                    }
                }
                @if record.provider.is_carrier() {
                    li {
                        strong { "Billing stops at the end of the paid period. " }
                        @match paid_until {
                            Some(until) => { "This month is paid until " (format::date(until)) "; nothing more is charged after that, and nothing is refunded." }
                            None => { "Nothing more is charged after the current period." }
                        }
                    }
                    li { "The number goes back to " (format::provider(record.provider)) ". Someone else may buy it, so you may not get it back." }
                } @else {
                    li { "The link to your SIP trunk is removed; the number stays yours at your own carrier." }
                }
            }
            @if is_default {
                p.warning role="note" { "This is the workspace's default number. Make another number the default, or clear the default on the number's page, before releasing it." }
            }
            form.card method="post" action={ (path) "/release" } {
                (csrf_field(session))
                (form_error(error.as_ref().map(|e| e.message.as_str())))
                div.actions {
                    button.danger type="submit" { "Release " (international) }
                    a href=(path) { "Cancel, keep the number" }
                }
            }
        }
    };
    (
        status,
        page(&title, Some(session), Nav::Numbers, None, body),
    )
        .into_response()
}

#[tracing::instrument(skip_all, fields(workspace = %session.caller.workspace_id, number = %id))]
pub async fn confirm_release(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
) -> Response {
    render_release(&state, &session, &id, None, StatusCode::OK).await
}

#[tracing::instrument(skip_all, fields(workspace = %session.caller.workspace_id, number = %id))]
pub async fn release(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { session, .. }: CsrfForm,
) -> Response {
    match state.services.release_number(&session.caller, &id).await {
        Ok(r) => redirect_with(&number_path(&r.id), "released"),
        Err(e) if e.kind == ErrorKind::NotFound => error_page(&e),
        Err(e) => {
            let status = super::layout::status(&e);
            render_release(
                &state,
                &session,
                &id,
                Some(FormError::new(&e, None)),
                status,
            )
            .await
        }
    }
}
