//! `dialnexa agents …`: list, create and delete the workspace's agents through the API.

use super::client::{Client, ClientArgs, print};
use clap::Subcommand;
use serde_json::{Value, json};
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum AgentsCommand {
    /// The workspace's agents, newest first.
    List {
        #[arg(long, default_value_t = 1)]
        page: u32,
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
    /// A new agent.
    Create {
        #[arg(long)]
        name: String,
    },
    /// Delete an agent; with --detach, the numbers routed to it stop being routed first.
    Delete {
        id: String,
        #[arg(long)]
        detach: bool,
    },
}

const AGENT_COLUMNS: &[&str] = &[
    "id",
    "name",
    "inbound_phone_number_id",
    "outbound_phone_number_id",
    "created_at",
];

pub async fn run(args: ClientArgs, command: AgentsCommand) -> anyhow::Result<ExitCode> {
    let client = Client::new(&args)?;
    let (out, columns) = match command {
        AgentsCommand::List { page, limit } => {
            let q = [("page", page.to_string()), ("limit", limit.to_string())];
            (client.get("/v1/agents", &q).await?, AGENT_COLUMNS)
        }
        AgentsCommand::Create { name } => {
            let created = client.post("/v1/agents", json!({ "name": name })).await?;
            (created, AGENT_COLUMNS)
        }
        AgentsCommand::Delete { id, detach } => {
            let q = [("detach", detach.to_string())];
            let answer = client.delete(&format!("/v1/agents/{id}"), &q).await?;
            // An empty answer is a deletion too: say which.
            let deleted = match answer {
                Value::Null => json!({ "id": id, "deleted": true }),
                other => other,
            };
            (deleted, &["id", "deleted"][..])
        }
    };
    print(args.json, &out, columns)?;
    Ok(ExitCode::SUCCESS)
}
