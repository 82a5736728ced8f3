//! `dialnexa numbers …`: the phone-number API from a terminal (search, buy, list, get, update,
//! release, and `order`, in `order.rs`), each a request through `client.rs`.

use super::client::{Client, ClientArgs, ClientError, print};
use clap::Subcommand;
use serde_json::{Map, Value, json};
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum NumbersCommand {
    /// Search a carrier's inventory.
    Search {
        #[arg(long, default_value = "US")]
        country: String,
        #[arg(long = "type", default_value = "local")]
        number_type: String,
        #[arg(long)]
        area_code: Option<String>,
        /// Digits, * for any digit, or letters as on a phone keypad (e.g. STORE).
        #[arg(long)]
        contains: Option<String>,
        #[arg(long, default_value_t = 10)]
        limit: u32,
        #[arg(long)]
        provider: Option<String>,
    },
    /// Buy a number (E.164, e.g. +14155552671).
    Buy {
        phone_number: String,
        #[arg(long)]
        provider: Option<String>,
    },
    /// The workspace's numbers.
    List {
        #[arg(long, default_value_t = 1)]
        page: u32,
        #[arg(long, default_value_t = 20)]
        limit: u32,
        /// pending, active, failed or released
        #[arg(long)]
        status: Option<String>,
    },
    /// One number.
    Get { id: String },
    /// Rename a number or route it; "" clears a field.
    Update {
        id: String,
        #[arg(long)]
        nickname: Option<String>,
        #[arg(long)]
        label: Option<String>,
        /// The agent answering inbound calls (agt_…).
        #[arg(long)]
        agent: Option<String>,
        /// The agent using the number as outbound caller ID (agt_…).
        #[arg(long)]
        outbound_agent: Option<String>,
    },
    /// Give a number back to its carrier; routing stops, the paid period runs out.
    Release { id: String },
    /// Buy numbers by the dozen (e.g. --area-code 212 --quantity 20), with a progress bar.
    Order(super::order::OrderArgs),
}

const SEARCH_COLUMNS: &[&str] = &[
    "phone_number",
    "type",
    "region",
    "capabilities",
    "monthly_cost_usd",
    "provider",
    "blocked_by",
];

const NUMBER_COLUMNS: &[&str] = &[
    "id",
    "phone_number",
    "status",
    "type",
    "provider",
    "monthly_cost_usd",
    "nickname",
    "next_renewal_at",
];

const NUMBERS: &str = "/v1/organization-phone-numbers";

pub async fn run(args: ClientArgs, command: NumbersCommand) -> anyhow::Result<ExitCode> {
    let client = Client::new(&args)?;
    let (out, columns) = match command {
        NumbersCommand::Search {
            country,
            number_type,
            area_code,
            contains,
            limit,
            provider,
        } => {
            let mut q = vec![
                ("country_iso", country),
                ("type", number_type),
                ("limit", limit.to_string()),
            ];
            q.extend(area_code.map(|a| ("area_code", a)));
            q.extend(contains.map(|c| ("contains", c)));
            q.extend(provider.map(|p| ("provider", p)));
            let found = client.get(&format!("{NUMBERS}/available"), &q).await?;
            (found, SEARCH_COLUMNS)
        }
        NumbersCommand::Buy {
            phone_number,
            provider,
        } => {
            let mut body = json!({ "phone_number": phone_number });
            if let Some(p) = provider {
                body["provider"] = json!(p);
            }
            let bought = client.post(&format!("{NUMBERS}/purchase"), body).await?;
            (bought, NUMBER_COLUMNS)
        }
        NumbersCommand::List {
            page,
            limit,
            status,
        } => {
            let mut q = vec![("page", page.to_string()), ("limit", limit.to_string())];
            q.extend(status.map(|s| ("status", s)));
            (client.get(NUMBERS, &q).await?, NUMBER_COLUMNS)
        }
        NumbersCommand::Get { id } => {
            let one = client.get(&format!("{NUMBERS}/{id}"), &[]).await?;
            (one, NUMBER_COLUMNS)
        }
        NumbersCommand::Update {
            id,
            nickname,
            label,
            agent,
            outbound_agent,
        } => {
            let changes = changes([
                ("nickname", nickname),
                ("label", label),
                ("agent_id", agent),
                ("outbound_agent_id", outbound_agent),
            ])?;
            let updated = client.patch(&format!("{NUMBERS}/{id}"), changes).await?;
            (updated, NUMBER_COLUMNS)
        }
        NumbersCommand::Release { id } => {
            let released = client.delete(&format!("{NUMBERS}/{id}"), &[]).await?;
            (released, NUMBER_COLUMNS)
        }
        NumbersCommand::Order(order) => return super::order::run(&args, order).await,
    };
    print(args.json, &out, columns)?;
    Ok(ExitCode::SUCCESS)
}

/// A PATCH body of the fields given: a value sets, "" clears (null), an absent flag leaves the
/// field alone. No field at all is a mistake of the command, not a request.
fn changes<const N: usize>(fields: [(&str, Option<String>); N]) -> Result<Value, ClientError> {
    let body: Map<String, Value> = fields
        .into_iter()
        .filter_map(|(name, value)| {
            let value = value?;
            let value = if value.is_empty() {
                Value::Null
            } else {
                Value::String(value)
            };
            Some((name.to_owned(), value))
        })
        .collect();
    if body.is_empty() {
        return Err(ClientError::Usage(
            "nothing to update: pass --nickname, --label, --agent or --outbound-agent".into(),
        ));
    }
    Ok(Value::Object(body))
}

#[cfg(test)]
mod tests {
    use super::changes;
    use serde_json::json;

    #[test]
    fn an_update_sends_the_fields_given_and_clears_the_empty_ones() {
        let body = changes([
            ("nickname", Some("Sales".to_owned())),
            ("label", None),
            ("agent_id", Some(String::new())),
        ])
        .unwrap();
        assert_eq!(body, json!({"nickname": "Sales", "agent_id": null}));
        assert!(changes([("nickname", None)]).is_err());
    }
}
