//! The settings page as markup: a pure function of what `super::load` read.

use super::SettingsPage;
use crate::dashboard::format::{self, country_name};
use crate::dashboard::layout::{FormError, TextInput, csrf_field, form_error};
use crate::dashboard::session::Session;
use maud::{Markup, html};

pub fn view(data: &SettingsPage, session: &Session) -> Markup {
    let workspace = &data.workspace;
    let outcome = &data.outcome;
    let mut key_name = TextInput::new("key-name", "name", "Key name", &outcome.key_name);
    key_name.required = true;
    key_name.maxlength = Some(255);
    key_name.hint = Some("Where the key will be used, e.g. \"production server\".");
    let key_error = FormError::on(outcome.keys.as_ref(), "name");
    key_name.error = key_error.as_deref();

    html! {
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
                        @for c in &data.countries {
                            label.choice {
                                input type="checkbox" name="countries" value=(c.as_str())
                                    checked[workspace.enabled_countries.contains(c)];
                                " " (country_name(*c)) " (" (c.as_str()) ")"
                            }
                        }
                    }
                }
                fieldset {
                    legend { "Default provider" }
                    p.hint { "The carrier searches and purchases use unless another is chosen." }
                    div.choices {
                        @for p in &data.providers {
                            label.choice {
                                input type="radio" name="default_provider" value=(p.as_str())
                                    checked[*p == workspace.default_provider];
                                " " (format::provider(*p))
                            }
                        }
                    }
                }
                (form_error(FormError::general(outcome.telephony.as_ref(), &[]).as_deref()))
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
                        @if data.active_total > data.numbers.len() as u64 {
                            " The " (data.numbers.len()) " newest active numbers are listed; any number can be made the default from its own page."
                        }
                    }
                    select #default-number-select name="phone_number_id" aria-describedby="default-number-hint" {
                        option value="" selected[workspace.default_phone_number_id.is_none()] { "No default number" }
                        @if let Some(current) = &workspace.default_phone_number_id && !data.numbers.iter().any(|n| &n.id == current) {
                            option value=(current.as_str()) selected { (current.as_str()) }
                        }
                        @for n in &data.numbers {
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
            (form_error(FormError::general(outcome.default_number.as_ref(), &[]).as_deref()))
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
                        @for (k, needed) in &data.kyc {
                            tr {
                                th scope="row" { (country_name(k.country)) " (" (k.country.as_str()) ")" }
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
            (form_error(FormError::general(outcome.keys.as_ref(), &["name"]).as_deref()))
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
                        @for k in &data.keys {
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
    }
}
