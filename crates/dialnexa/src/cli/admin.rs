//! `dialnexa admin …`: operator commands run against the database directly (workspaces, API
//! keys, KYC decisions, rental billing, reconciliation), through the same service layer as the
//! API.

use crate::config::DatabaseArgs;
use anyhow::Context;
use clap::Subcommand;
use dialnexa_domain::{CountryIso, KycStatus, Provider, WorkspaceId, format_time};
use dialnexa_service::auth::WorkspaceSpec;
use dialnexa_service::{Carriers, ServiceConfig, Services, SystemClock};
use dialnexa_store::SqlStore;
use serde_json::{Value, json};
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Workspaces.
    #[command(subcommand)]
    Workspace(WorkspaceCommand),
    /// API keys.
    #[command(subcommand)]
    Key(KeyCommand),
    /// KYC decisions.
    #[command(subcommand)]
    Kyc(KycCommand),
    /// Rental billing.
    #[command(subcommand)]
    Billing(BillingCommand),
    /// Compare our numbers with each carrier account's: orphans (owned at the carrier, unknown
    /// here), ghosts (active here, gone at the carrier) and mismatches. Exit code 0 when all
    /// three are empty, 1 otherwise. --fix releases orphans at the carrier, marks ghosts
    /// released here and adopts the carrier's handle for mismatches.
    Reconcile {
        #[command(flatten)]
        carriers: crate::config::CarrierArgs,
        /// Repair what was found, by the rule above. With --json the report is
        /// {"orphans": [...], "ghosts": [...], "mismatches": [...], "fixed": [...]}.
        #[arg(long)]
        fix: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum BillingCommand {
    /// Charge every rental period that has begun by --until (default: now), each exactly once.
    Run {
        /// An RFC 3339 time or a date, e.g. 2027-06-01.
        #[arg(long)]
        until: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum WorkspaceCommand {
    /// Create a workspace and print its id.
    Create {
        #[arg(long)]
        name: String,
        /// Countries enabled for purchase, e.g. --countries US,GB
        #[arg(long, value_delimiter = ',', default_value = "US")]
        countries: Vec<String>,
        #[arg(long, default_value = "twilio")]
        provider: String,
    },
    /// List workspaces.
    List,
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Create an API key; the secret is printed once.
    Create {
        #[arg(long)]
        workspace: String,
        #[arg(long, default_value = "cli")]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum KycCommand {
    /// Record a KYC decision: not_started, pending, approved or rejected.
    Set {
        #[arg(long)]
        workspace: String,
        #[arg(long)]
        country: String,
        #[arg(long)]
        status: String,
    },
}

async fn reconcile(
    database: &DatabaseArgs,
    carriers: &crate::config::CarrierArgs,
    fix: bool,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let store = SqlStore::connect(&database.store_options()).await?;
    store.migrate().await?;
    let (carriers, emulator) = crate::app::carriers_for(carriers, database).await?;
    let services = Services::new(
        store.shared(),
        carriers,
        Arc::new(SystemClock),
        ServiceConfig::default(),
    )
    .await?;
    let report = services.reconcile(fix).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report);
    }
    if let Some(e) = emulator {
        e.shutdown().await;
    }
    Ok(if report.is_clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn print_report(report: &dialnexa_service::reconcile::ReconcileReport) {
    println!(
        "{:<10} {:<8} {:<18} {:<22} DETAIL",
        "KIND", "PROVIDER", "NUMBER", "ID"
    );
    for o in &report.orphans {
        println!(
            "{:<10} {:<8} {:<18} {:<22} owned at the carrier as {}, unknown here",
            "orphan", o.provider, o.phone_number, "-", o.carrier_ref
        );
    }
    for g in &report.ghosts {
        println!(
            "{:<10} {:<8} {:<18} {:<22} active in {}, gone at the carrier",
            "ghost", g.provider, g.phone_number, g.id, g.workspace_id
        );
    }
    for m in &report.mismatches {
        println!(
            "{:<10} {:<8} {:<18} {:<22} ours {}, carrier's {}",
            "mismatch",
            m.provider,
            m.phone_number,
            m.id,
            m.ours.as_deref().unwrap_or("-"),
            m.carrier
        );
    }
    for f in &report.fixed {
        println!("fixed: {f}");
    }
    println!(
        "{} orphan(s), {} ghost(s), {} mismatch(es)",
        report.orphans.len(),
        report.ghosts.len(),
        report.mismatches.len()
    );
}

/// What a command did: a line for people, or with `--json` one JSON document.
fn say(json: bool, out: Value, line: impl FnOnce() -> String) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!("{}", line());
    }
    Ok(())
}

pub(super) async fn run(
    database: DatabaseArgs,
    command: AdminCommand,
    json: bool,
) -> anyhow::Result<ExitCode> {
    if let AdminCommand::Reconcile { carriers, fix } = &command {
        return reconcile(&database, carriers, *fix, json).await;
    }
    let store = SqlStore::connect(&database.store_options()).await?;
    store.migrate().await?;
    let clock: Arc<dyn dialnexa_service::Clock> = match &command {
        AdminCommand::Billing(BillingCommand::Run { until: Some(until) }) => {
            Arc::new(dialnexa_service::ManualClock::new(parse_instant(until)?))
        }
        _ => Arc::new(SystemClock),
    };
    let services = Services::new(
        store.shared(),
        Carriers::new(),
        clock,
        ServiceConfig::default(),
    )
    .await?;
    match command {
        AdminCommand::Reconcile { .. } => unreachable!("handled above"),
        AdminCommand::Billing(BillingCommand::Run { .. }) => {
            let charged = services.run_renewals().await?;
            let until = format_time(services.clock().now());
            say(json, json!({ "charged": charged, "until": until }), || {
                format!("charged {charged} rental period(s) up to {until}")
            })?;
        }
        AdminCommand::Workspace(WorkspaceCommand::Create {
            name,
            countries,
            provider,
        }) => {
            let enabled_countries = countries
                .iter()
                .filter(|c| !c.is_empty())
                .map(|c| CountryIso::parse(c))
                .collect::<Result<Vec<_>, _>>()?;
            let default_provider: Provider = provider.parse()?;
            let w = services
                .create_workspace(WorkspaceSpec {
                    name,
                    enabled_countries,
                    default_provider,
                    approved_kyc: vec![],
                })
                .await?;
            say(json, workspace_json(&w), || w.id.to_string())?;
        }
        AdminCommand::Workspace(WorkspaceCommand::List) => {
            let workspaces = services.list_workspaces().await?;
            if json {
                let items: Vec<Value> = workspaces.iter().map(workspace_json).collect();
                println!(
                    "{}",
                    serde_json::to_string_pretty(&json!({ "items": items }))?
                );
                return Ok(ExitCode::SUCCESS);
            }
            println!("{:<24} {:<10} {:<20} NAME", "ID", "PROVIDER", "COUNTRIES");
            for w in workspaces {
                let countries: Vec<&str> = w.enabled_countries.iter().map(|c| c.as_str()).collect();
                println!(
                    "{:<24} {:<10} {:<20} {}",
                    w.id,
                    w.default_provider,
                    countries.join(","),
                    w.name
                );
            }
        }
        AdminCommand::Key(KeyCommand::Create { workspace, name }) => {
            let id = WorkspaceId::parse(&workspace).context("workspace ids look like ws_…")?;
            let key = services
                .create_api_key(&dialnexa_service::Actor::operator("cli"), &id, &name)
                .await?;
            eprintln!(
                "API key {} created at {}; the secret below is shown once:",
                key.key.id,
                format_time(key.key.created_at)
            );
            let out = json!({
                "id": key.key.id.to_string(),
                "workspace_id": id.to_string(),
                "name": name,
                "created_at": format_time(key.key.created_at),
                "secret": key.secret,
            });
            say(json, out, || key.secret.to_string())?;
        }
        AdminCommand::Kyc(KycCommand::Set {
            workspace,
            country,
            status,
        }) => {
            let id = WorkspaceId::parse(&workspace).context("workspace ids look like ws_…")?;
            let country = CountryIso::parse(&country)?;
            let status: KycStatus = status.parse()?;
            services
                .set_kyc(
                    &dialnexa_service::Actor::operator("cli"),
                    &id,
                    country,
                    status,
                )
                .await?;
            let out = json!({
                "workspace_id": id.to_string(),
                "country": country.as_str(),
                "status": status.to_string(),
            });
            say(json, out, || format!("KYC for {country} in {id}: {status}"))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn workspace_json(w: &dialnexa_service::Workspace) -> Value {
    let countries: Vec<&str> = w.enabled_countries.iter().map(|c| c.as_str()).collect();
    json!({
        "id": w.id.to_string(),
        "name": w.name,
        "default_provider": w.default_provider.as_str(),
        "enabled_countries": countries,
    })
}

/// `2027-06-01` (midnight UTC) or a full RFC 3339 time.
fn parse_instant(s: &str) -> anyhow::Result<jiff::Timestamp> {
    if let Ok(ts) = s.parse::<jiff::Timestamp>() {
        return Ok(ts);
    }
    let date: jiff::civil::Date = s
        .parse()
        .with_context(|| format!("`{s}` is not a date like 2027-06-01"))?;
    Ok(date.to_zoned(jiff::tz::TimeZone::UTC)?.timestamp())
}
