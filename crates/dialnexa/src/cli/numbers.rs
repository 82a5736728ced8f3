//! `dialnexa numbers …`: a small client of the HTTP API, for people at a terminal. It prints
//! tables (or the raw JSON with --json) and turns the error envelope into one readable line.

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use serde_json::{Value, json};
use std::process::ExitCode;

#[derive(Debug, Clone, Args)]
pub struct ClientArgs {
    /// Base URL of a running `dialnexa serve`.
    #[arg(
        long,
        env = "DIALNEXA_API_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    pub api_url: String,
    /// API key; by default the demo key file in the working folder, when there is one.
    #[arg(long, env = "DIALNEXA_API_KEY", hide_env_values = true)]
    pub api_key: Option<crate::config::Secret>,
    /// Print the API's JSON instead of a table.
    #[arg(long, global = true)]
    pub json: bool,
}

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
}

struct Client {
    http: reqwest::Client,
    base: String,
    key: String,
}

impl Client {
    fn new(args: &ClientArgs) -> anyhow::Result<Self> {
        let key = match &args.api_key {
            Some(k) => k.expose().to_owned(),
            None => std::fs::read_to_string(crate::demo::DEMO_KEY_FILE)
                .map(|k| k.trim().to_owned())
                .context("no API key: pass --api-key or set DIALNEXA_API_KEY")?,
        };
        Ok(Client {
            http: reqwest::Client::new(),
            base: args.api_url.trim_end_matches('/').to_owned(),
            key,
        })
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> anyhow::Result<Value> {
        let resp = req
            .bearer_auth(&self.key)
            .send()
            .await
            .with_context(|| format!("cannot reach {}", self.base))?;
        let status = resp.status();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            let message = body["message"].as_str().unwrap_or("request failed");
            let code = body["code"].as_str().unwrap_or("error");
            bail!("{} {code}: {message}", status.as_u16());
        }
        Ok(body)
    }

    async fn get(&self, path: &str, query: &[(&str, String)]) -> anyhow::Result<Value> {
        self.send(self.http.get(format!("{}{path}", self.base)).query(query))
            .await
    }

    async fn post(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        self.send(self.http.post(format!("{}{path}", self.base)).json(&body))
            .await
    }
}

pub async fn run(args: ClientArgs, command: NumbersCommand) -> anyhow::Result<ExitCode> {
    let client = Client::new(&args)?;
    let out = match command {
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
            client
                .get("/v1/organization-phone-numbers/available", &q)
                .await?
        }
        NumbersCommand::Buy {
            phone_number,
            provider,
        } => {
            let mut body = json!({ "phone_number": phone_number });
            if let Some(p) = provider {
                body["provider"] = json!(p);
            }
            client
                .post("/v1/organization-phone-numbers/purchase", body)
                .await?
        }
        NumbersCommand::List {
            page,
            limit,
            status,
        } => {
            let mut q = vec![("page", page.to_string()), ("limit", limit.to_string())];
            q.extend(status.map(|s| ("status", s)));
            client.get("/v1/organization-phone-numbers", &q).await?
        }
        NumbersCommand::Get { id } => {
            client
                .get(&format!("/v1/organization-phone-numbers/{id}"), &[])
                .await?
        }
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print_table(&out);
    }
    Ok(ExitCode::SUCCESS)
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(cell).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

/// Lists (`items`) become one row per item; a single record becomes one row.
fn print_table(out: &Value) {
    let rows: Vec<&Value> = match out.get("items").and_then(Value::as_array) {
        Some(items) => items.iter().collect(),
        None => vec![out],
    };
    let columns: &[&str] = if rows.first().is_some_and(|r| r.get("purchasable").is_some()) {
        &[
            "phone_number",
            "type",
            "region",
            "capabilities",
            "monthly_cost_usd",
            "provider",
            "blocked_by",
        ]
    } else {
        &[
            "id",
            "phone_number",
            "status",
            "type",
            "provider",
            "monthly_cost_usd",
            "nickname",
            "next_renewal_at",
        ]
    };
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|r| columns.iter().map(|c| cell(&r[*c])).collect())
        .collect();
    let widths: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            table
                .iter()
                .map(|row| row[i].len())
                .chain([c.len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<String>| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    println!(
        "{}",
        line(columns.iter().map(|c| c.to_uppercase()).collect())
    );
    for row in table {
        println!("{}", line(row));
    }
    if let Some(total) = out.get("total") {
        println!("{} of {total}", rows.len());
    }
}
