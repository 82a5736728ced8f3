//! What every API command shares: the flags that say which server and key, one HTTP client
//! that turns the error envelope into a `ClientError` whose exit code says what happened (1 the
//! API refused, 2 the command was wrong, 3 the server could not be reached), and the output:
//! the API's JSON with `--json`, a table otherwise. A new resource's commands are a module
//! beside `numbers.rs` calling `Client::get/post/patch/delete` and `print`.

use clap::Args;
use reqwest::Method;
use serde_json::Value;
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

/// Why an API command failed, and so its exit code.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The API answered with an error envelope.
    #[error("{status} {code}: {message}")]
    Api {
        status: u16,
        code: String,
        message: String,
    },
    /// The command cannot be sent as given (no key, a contradiction between flags).
    #[error("{0}")]
    Usage(String),
    /// No answer: nothing listens there, or it did not answer in time.
    #[error("cannot reach {url}: {detail}")]
    Unreachable { url: String, detail: String },
}

impl ClientError {
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(match self {
            ClientError::Api { .. } => 1,
            ClientError::Usage(_) => 2,
            ClientError::Unreachable { .. } => 3,
        })
    }
}

pub type ClientResult<T> = Result<T, ClientError>;

pub struct Client {
    http: reqwest::Client,
    base: String,
    key: String,
}

impl Client {
    pub fn new(args: &ClientArgs) -> ClientResult<Self> {
        let key = match &args.api_key {
            Some(k) => k.expose().to_owned(),
            None => std::fs::read_to_string(crate::demo::DEMO_KEY_FILE)
                .map(|k| k.trim().to_owned())
                .map_err(|_| {
                    ClientError::Usage(
                        "no API key: pass --api-key or set DIALNEXA_API_KEY".to_owned(),
                    )
                })?,
        };
        Ok(Client {
            http: reqwest::Client::new(),
            base: args.api_url.trim_end_matches('/').to_owned(),
            key,
        })
    }

    pub async fn get(&self, path: &str, query: &[(&str, String)]) -> ClientResult<Value> {
        self.send(Method::GET, path, query, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> ClientResult<Value> {
        self.send(Method::POST, path, &[], Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> ClientResult<Value> {
        self.send(Method::PATCH, path, &[], Some(body)).await
    }

    pub async fn delete(&self, path: &str, query: &[(&str, String)]) -> ClientResult<Value> {
        self.send(Method::DELETE, path, query, None).await
    }

    /// The answer's JSON (`null` for an empty body), or the envelope as an error.
    async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<Value>,
    ) -> ClientResult<Value> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .query(query)
            .bearer_auth(&self.key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let unreachable = |e: reqwest::Error| ClientError::Unreachable {
            url: self.base.clone(),
            detail: causes(&e.without_url()),
        };
        let response = request.send().await.map_err(unreachable)?;
        let status = response.status();
        let text = response.text().await.map_err(unreachable)?;
        let body: Value = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        if status.is_success() {
            return Ok(body);
        }
        Err(ClientError::Api {
            status: status.as_u16(),
            code: body["code"].as_str().unwrap_or("error").to_owned(),
            message: body["message"]
                .as_str()
                .unwrap_or_else(|| status.canonical_reason().unwrap_or("request failed"))
                .to_owned(),
        })
    }
}

/// An error and its causes on one line: reqwest's own message alone ("error sending request")
/// does not say that the connection was refused.
fn causes(e: &dyn std::error::Error) -> String {
    let mut line = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        line.push_str(": ");
        line.push_str(&cause.to_string());
        source = cause.source();
    }
    line
}

/// The API's JSON with `--json`, else a table of `columns` (one row per item of a list, one
/// row for a single record).
pub fn print(json: bool, out: &Value, columns: &[&str]) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(out)?);
    } else {
        print_table(out, columns);
    }
    Ok(())
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(cell).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

fn print_table(out: &Value, columns: &[&str]) {
    let rows: Vec<&Value> = match out.get("items").and_then(Value::as_array) {
        Some(items) => items.iter().collect(),
        None => vec![out],
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
