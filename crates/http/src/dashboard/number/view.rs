//! The number page as markup: a pure function of what `super::load` read.

use super::{EDIT_FIELDS, NumberPage, ROUTING_FIELDS};
use crate::dashboard::format::{self, country_cell, country_name, display_name, status_badge};
use crate::dashboard::layout::{
    FormError, TextInput, csrf_field, field_error, form_error, number_path,
};
use crate::dashboard::session::Session;
use dialnexa_domain::NumberStatus;
use dialnexa_service::{Agent, Charge, PhoneNumber};
use maud::{Markup, html};

pub fn view(data: &NumberPage, session: &Session) -> Markup {
    let record = &data.number;
    let refused = &data.refused;
    let is_default = data.workspace.is_default(&record.id);
    let live = record.status.holds_number();
    let name = display_name(record);
    let path = number_path(&record.id);
    let paid_until = record.paid_until(&data.charges);

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

    html! {
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
                dt { "Country" } dd { (country_name(*record.phone_number.country())) " " (country_cell(*record.phone_number.country())) }
                dt { "Type" } dd { (format::number_type(record.number_type)) }
                dt { "Capabilities" } dd { (format::capabilities(record.capabilities)) }
                dt { "Provider" } dd { (format::provider(record.provider)) }
                dt { "Monthly cost" } dd {
                    @if record.provider.is_carrier() { (format::monthly(record.monthly_cost)) } @else { "No rental: your own SIP trunk" }
                }
                dt { "Bought" } dd { (format::date(record.activated_at.unwrap_or(record.created_at))) }
                @if let Some(next) = record.next_renewal_at {
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
                    (form_error(FormError::general(refused.edit.as_ref(), EDIT_FIELDS).as_deref()))
                    button.primary type="submit" { "Save name and label" }
                }
            }

            section aria-labelledby="routing-title" {
                h2 #routing-title { "Routing" }
                @if data.agents.is_empty() {
                    p { "You have no agents yet. " a href="/dashboard/agents" { "Create an agent" } " to route this number's calls to it." }
                }
                form.card method="post" action={ (path) "/routing" } {
                    (csrf_field(session))
                    (agent_select("inbound_agent_id", "Inbound calls go to", "The agent that answers calls to this number.", &data.agents, &inbound, inbound_error.as_deref()))
                    (agent_select("outbound_agent_id", "Outbound caller ID of", "The agent that calls out from this number.", &data.agents, &outbound, outbound_error.as_deref()))
                    (form_error(FormError::general(refused.routing.as_ref(), ROUTING_FIELDS).as_deref()))
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
                        (form_error(FormError::general(refused.default.as_ref(), &[]).as_deref()))
                        button type="submit" { "Clear the default" }
                    } @else {
                        p { "The default number is the one the workspace uses when nothing else is chosen." }
                        input type="hidden" name="action" value="set";
                        (form_error(FormError::general(refused.default.as_ref(), &[]).as_deref()))
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
            (charges_table(&data.charges, data.charge_count, record))
        }

    }
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

fn charges_table(charges: &[Charge], total: u64, record: &PhoneNumber) -> Markup {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dashboard::number::Refused;
    use dialnexa_domain::{
        Capabilities, Capability, E164, Money, NumberType, PhoneNumberId, Provider, WorkspaceId,
    };
    use dialnexa_service::{Caller, ServiceError, Workspace};

    fn page_refused(routing: ServiceError) -> String {
        let now = jiff::Timestamp::UNIX_EPOCH;
        let workspace = WorkspaceId::generate();
        let number = PhoneNumber {
            id: PhoneNumberId::generate(),
            phone_number: E164::parse("+14155552671").unwrap(),
            number_type: NumberType::Local,
            capabilities: Capabilities::default().with(Capability::Voice),
            monthly_cost: Money::from_micros(1_150_000),
            provider: Provider::Twilio,
            status: NumberStatus::Active,
            label: None,
            nickname: None,
            inbound_agent_id: None,
            outbound_agent_id: None,
            created_at: now,
            updated_at: now,
            activated_at: Some(now),
            released_at: None,
            next_renewal_at: None,
            sip_trunk: None,
        };
        let data = NumberPage {
            number,
            workspace: Workspace {
                id: workspace.clone(),
                name: "W".into(),
                default_provider: Provider::Twilio,
                enabled_countries: vec![],
                default_phone_number_id: None,
                created_at: now,
            },
            agents: vec![],
            charges: vec![],
            charge_count: 0,
            refused: Refused {
                routing: Some(FormError::new(&routing)),
                ..Refused::default()
            },
        };
        let session = Session::new(
            Caller::with_key(workspace, dialnexa_domain::ApiKeyId::generate()),
            "dnx_live_test",
        );
        view(&data, &session).into_string()
    }

    #[test]
    fn a_refused_agent_is_shown_beside_the_select_the_service_names() {
        for (field, other) in [
            ("inbound_agent_id", "outbound_agent_id"),
            ("outbound_agent_id", "inbound_agent_id"),
        ] {
            let e = ServiceError::bad_request("unknown_agent", "not an agent here").on(field);
            let html = page_refused(e);
            assert!(html.contains(&format!(r#"id="{field}-error""#)), "{html}");
            assert!(!html.contains(&format!(r#"id="{other}-error""#)), "{html}");
        }
        // An error about no input of the form is the form's own.
        let html = page_refused(ServiceError::conflict("phone_number_not_active", "gone"));
        assert!(html.contains(r#"class="form-error""#), "{html}");
        assert!(!html.contains("agent_id-error"), "{html}");
    }
}
