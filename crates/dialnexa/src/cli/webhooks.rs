//! `dialnexa webhooks …`: list, create and delete the workspace's user webhooks through the API.

use super::client::{Client, ClientArgs, print};
use clap::Subcommand;
use serde_json::{Value, json};
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum WebhooksCommand {
    /// The workspace's webhooks, newest first.
    List {
        #[arg(long, default_value_t = 1)]
        page: u32,
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
    /// A new webhook: where to POST events, which ones, and the secret that signs them.
    Create {
        #[arg(long)]
        url: String,
        /// An event name, repeated or comma-separated; `*` for all.
        #[arg(long = "event", value_delimiter = ',', required = true)]
        events: Vec<String>,
        /// Signs every delivery (Standard Webhooks); `whsec_<base64>` is used decoded. Read
        /// from the environment so that it stays out of the process list.
        #[arg(long, env = "DIALNEXA_WEBHOOK_SECRET", hide_env_values = true)]
        secret: String,
        /// Registered turned off.
        #[arg(long)]
        inactive: bool,
    },
    /// Delete a webhook and its delivery log.
    Delete { id: String },
}

const COLUMNS: &[&str] = &["id", "url", "events", "is_active", "createdAt"];

pub async fn run(args: ClientArgs, command: WebhooksCommand) -> anyhow::Result<ExitCode> {
    let client = Client::new(&args)?;
    let (out, table, columns) = match command {
        WebhooksCommand::List { page, limit } => {
            let q = [("page", page.to_string()), ("limit", limit.to_string())];
            let out = client.get("/v1/user-webhooks", &q).await?;
            let table = json!({ "items": out["webhooks"] });
            (out, table, COLUMNS)
        }
        WebhooksCommand::Create {
            url,
            events,
            secret,
            inactive,
        } => {
            let body = json!({
                "url": url,
                "events": events,
                "secret": secret,
                "is_active": !inactive,
            });
            let out = client.post("/v1/user-webhooks", body).await?;
            let table = out["webhook"].clone();
            (out, table, COLUMNS)
        }
        WebhooksCommand::Delete { id } => {
            let out = client
                .delete(&format!("/v1/user-webhooks/{id}"), &[])
                .await?;
            let table = match &out {
                Value::Null => json!({ "id": id, "message": "deleted" }),
                other => other.clone(),
            };
            (out, table, &["id", "message"][..])
        }
    };
    if args.json {
        print(true, &out, columns)?;
    } else {
        print(false, &table, columns)?;
    }
    Ok(ExitCode::SUCCESS)
}
