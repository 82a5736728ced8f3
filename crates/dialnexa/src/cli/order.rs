//! `dialnexa numbers order`: a quantity order from a terminal. It places the order, then polls
//! it, showing the numbers bought on a progress bar (on stderr, hidden when that is not a
//! terminal), and prints the order once it settles: the numbers bought, and why any failed.

use super::client::{Client, ClientArgs, print};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};
use std::process::ExitCode;
use std::time::Duration;

/// How often a waiting command asks how far the order got.
const POLL: Duration = Duration::from_millis(500);

const ITEM_COLUMNS: &[&str] = &["phone_number", "status", "phone_number_id", "reason"];

/// What to order.
#[derive(Debug, clap::Args)]
pub struct OrderArgs {
    #[arg(long, default_value = "US")]
    pub country: String,
    #[arg(long = "type", default_value = "local")]
    pub number_type: String,
    #[arg(long)]
    pub area_code: Option<String>,
    /// Digits, * for any digit, or letters as on a phone keypad (e.g. STORE).
    #[arg(long)]
    pub contains: Option<String>,
    #[arg(long)]
    pub region: Option<String>,
    /// How many numbers to buy, 1 to 100.
    #[arg(long)]
    pub quantity: u32,
    #[arg(long)]
    pub provider: Option<String>,
    /// all_or_none (every number or none) or best_effort (as many as can be bought).
    #[arg(long, default_value = "all_or_none")]
    pub mode: String,
    /// Print the order as placed and return, instead of waiting for it to settle.
    #[arg(long)]
    pub no_wait: bool,
}

impl OrderArgs {
    fn body(&self) -> Value {
        let mut body = json!({
            "country_iso": self.country,
            "type": self.number_type,
            "quantity": self.quantity,
            "mode": self.mode,
        });
        for (name, value) in [
            ("area_code", &self.area_code),
            ("contains", &self.contains),
            ("region", &self.region),
            ("provider", &self.provider),
        ] {
            if let Some(v) = value {
                body[name] = json!(v);
            }
        }
        body
    }
}

pub async fn run(args: &ClientArgs, order: OrderArgs) -> anyhow::Result<ExitCode> {
    let client = Client::new(args)?;
    let placed = client
        .post("/v1/organization-phone-numbers/orders", order.body())
        .await?;
    let id = placed["id"].as_str().unwrap_or_default().to_owned();
    if order.no_wait {
        print(args.json, &placed, &["id", "status", "quantity", "mode"])?;
        return Ok(ExitCode::SUCCESS);
    }
    let bar = ProgressBar::new(u64::from(order.quantity));
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} numbers bought {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(id.clone());
    let path = format!("/v1/organization-phone-numbers/orders/{id}");
    let settled = loop {
        let now = client.get(&path, &[]).await?;
        bar.set_position(now["bought"].as_u64().unwrap_or(0));
        if now["status"] != "pending" {
            break now;
        }
        bar.tick();
        tokio::time::sleep(POLL).await;
    };
    bar.finish_and_clear();
    let status = settled["status"].as_str().unwrap_or_default();
    if args.json {
        print(true, &settled, &[])?;
    } else {
        println!(
            "order {id}: {status}, {} of {} bought{}",
            settled["bought"],
            settled["quantity"],
            settled["failure_reason"]
                .as_str()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        );
        print(false, &json!({"items": settled["items"]}), ITEM_COLUMNS)?;
    }
    // A script can tell an order that got everything from one that did not.
    Ok(match status {
        "completed" => ExitCode::SUCCESS,
        _ => ExitCode::FAILURE,
    })
}
