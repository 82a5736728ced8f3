//! Server-side render time of every dashboard page for a workspace with 1,000 numbers.
//!
//! `cargo bench -p dialnexa --bench dashboard` builds the real application (SQLite, embedded
//! carrier emulator), buys 1,000 numbers through the purchase saga, names and routes some of
//! them, then sends each page's request straight into the router (no socket, no client) and
//! times it to the last byte of the body. The budget is 50 ms per page; the report says which
//! pages are within it. Under `cargo test` it runs once with a few numbers, as a smoke test
//! that every page still renders (no timing is judged there).

use anyhow::{Context, bail};
use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode, header};
use clap::Parser;
use dialnexa::app::Application;
use dialnexa::config::ServeArgs;
use dialnexa_domain::{CountryIso, Provider};
use dialnexa_http::AppState;
use dialnexa_service::agents::AgentInput;
use dialnexa_service::auth::WorkspaceSpec;
use dialnexa_service::lifecycle::NumberPatch;
use dialnexa_service::numbers::NumberQuery;
use dialnexa_service::saga::purchase::{PurchaseOutcome, PurchaseRequest};
use dialnexa_service::search::SearchQuery;
use dialnexa_service::{Caller, Services};
use std::time::{Duration, Instant};
use tower::ServiceExt;

const BUDGET: Duration = Duration::from_millis(50);
const AREA_CODES: &[&str] = &[
    "415", "212", "312", "646", "213", "303", "206", "617", "512", "702", "305", "404", "503",
    "602", "718", "917", "202", "713", "214", "615",
];

#[derive(Parser)]
struct Serve {
    #[command(flatten)]
    args: ServeArgs,
}

struct Settings {
    numbers: usize,
    agents: usize,
    warmup: usize,
    iterations: usize,
}

fn main() -> anyhow::Result<()> {
    let bench = std::env::args().any(|a| a == "--bench");
    let settings = if bench {
        Settings {
            numbers: 1_000,
            agents: 25,
            warmup: 20,
            iterations: 200,
        }
    } else {
        Settings {
            numbers: 12,
            agents: 3,
            warmup: 0,
            iterations: 1,
        }
    };
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(settings, bench))
}

async fn run(settings: Settings, report_timing: bool) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let db = format!("sqlite://{}", dir.path().join("bench.db").display());
    let emulator_state = dir.path().join("emulator.db");
    let serve = Serve::try_parse_from([
        "bench",
        "--listen",
        "127.0.0.1:0",
        "--database-url",
        &db,
        "--emulator",
        "on",
        "--emulator-state",
        emulator_state.to_str().context("temp path is not UTF-8")?,
        "--no-demo",
    ])?;
    let app = Application::build(serve.args).await?;
    let services = app.services().clone();

    let started = Instant::now();
    let (secret, caller) = seed(&services, &settings).await?;
    eprintln!(
        "seeded {} numbers and {} agents in {:.1}s",
        settings.numbers,
        settings.agents,
        started.elapsed().as_secs_f64()
    );
    let first = NumberQuery {
        limit: Some("1".into()),
        ..NumberQuery::default()
    };
    let (numbers, _) = services.list_numbers(&caller, &first.parse()?).await?;
    let one = numbers
        .first()
        .context("no number was bought")?
        .id
        .to_string();
    let last_page = settings.numbers.div_ceil(25);
    let available = services
        .search(&caller, &search("907", settings.numbers.min(5)).parse()?)
        .await?;
    let candidate = available
        .first()
        .context("the emulator offered nothing to confirm")?
        .phone_number
        .as_str()
        .replace('+', "%2B");

    let pages: Vec<(&str, String, bool)> = vec![
        ("sign-in", "/dashboard/sign-in".into(), false),
        ("numbers (page 1)", "/dashboard/numbers".into(), true),
        (
            "numbers (last page)",
            format!("/dashboard/numbers?page={last_page}"),
            true,
        ),
        (
            "numbers (filtered)",
            "/dashboard/numbers?country=US&status=active&q=415".into(),
            true,
        ),
        ("number detail", format!("/dashboard/numbers/{one}"), true),
        (
            "release confirmation",
            format!("/dashboard/numbers/{one}/release"),
            true,
        ),
        ("buy (form)", "/dashboard/buy".into(), true),
        (
            "buy (search results)*",
            "/dashboard/buy?country=US&type=local&area_code=907".into(),
            true,
        ),
        (
            "buy (confirmation)",
            format!("/dashboard/buy/confirm?phone_number={candidate}&provider=twilio"),
            true,
        ),
        ("agents", "/dashboard/agents".into(), true),
        ("settings", "/dashboard/settings".into(), true),
    ];

    let router = dialnexa_http::router(AppState::new(services.clone(), None));
    // Signed in as the dashboard does it: a server-side session opened with the key.
    let session = services.open_session(&secret).await?;
    let cookie = format!(
        "{}={}",
        dialnexa_http::dashboard::SESSION_COOKIE,
        session.token
    );
    let mut over = Vec::new();
    if report_timing {
        println!(
            "Dashboard server-side render time, {} numbers, {} agents, {} requests per page (budget {} ms)",
            settings.numbers,
            settings.agents,
            settings.iterations,
            BUDGET.as_millis()
        );
        println!(
            "{:<24} {:>8} {:>8} {:>8} {:>9}",
            "page", "p50 ms", "p95 ms", "max ms", "bytes"
        );
    }
    for (name, path, signed_in) in &pages {
        let mut times = Vec::with_capacity(settings.iterations);
        let mut bytes = 0;
        for i in 0..settings.warmup + settings.iterations {
            let mut request = Request::get(path.as_str());
            if *signed_in {
                request = request.header(header::COOKIE, &cookie);
            }
            let request = request.body(Body::empty())?;
            let t0 = Instant::now();
            let response = router.clone().oneshot(request).await?;
            let status = response.status();
            let body = to_bytes(response.into_body(), usize::MAX).await?;
            let elapsed = t0.elapsed();
            if status != StatusCode::OK {
                bail!(
                    "{name} ({path}) answered {status}: {}",
                    String::from_utf8_lossy(&body)
                );
            }
            if i >= settings.warmup {
                times.push(elapsed);
            }
            bytes = body.len();
        }
        if *name == "numbers (page 1)" {
            let body = fetch(&router, path, &cookie).await?;
            let expected = format!("{} numbers", settings.numbers);
            if !body.contains(&expected) {
                bail!("the numbers page does not say {expected}");
            }
        }
        times.sort();
        let pct = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
        let (p50, p95, max) = (pct(0.50), pct(0.95), times[times.len() - 1]);
        if p95 > BUDGET {
            over.push(*name);
        }
        if report_timing {
            println!(
                "{name:<24} {:>8.2} {:>8.2} {:>8.2} {bytes:>9}",
                ms(p50),
                ms(p95),
                ms(max)
            );
        }
    }
    if report_timing {
        println!("* includes the carrier search (the embedded emulator over loopback).");
        if over.is_empty() {
            println!("every page within {} ms at p95", BUDGET.as_millis());
        } else {
            println!("OVER BUDGET at p95: {}", over.join(", "));
        }
    } else {
        println!("dashboard bench smoke run: {} pages rendered", pages.len());
    }
    drop(app);
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn fetch(router: &axum::Router, path: &str, cookie: &str) -> anyhow::Result<String> {
    let request = Request::get(path)
        .header(header::COOKIE, cookie)
        .body(Body::empty())?;
    let response = router.clone().oneshot(request).await?;
    let body = to_bytes(response.into_body(), usize::MAX).await?;
    Ok(String::from_utf8_lossy(&body).into_owned())
}

fn search(area_code: &str, limit: usize) -> SearchQuery {
    SearchQuery {
        country_iso: Some("US".into()),
        number_type: Some("local".into()),
        area_code: Some(area_code.to_owned()),
        limit: Some(limit.clamp(1, 100).to_string()),
        ..SearchQuery::default()
    }
}

/// A workspace like a busy customer's: the numbers bought through the saga (so each has its
/// first charge), a third of them nicknamed, a tenth routed to agents.
async fn seed(services: &Services, s: &Settings) -> anyhow::Result<(String, Caller)> {
    let country = |c: &str| CountryIso::parse(c).expect("static");
    let workspace = services
        .create_workspace(WorkspaceSpec {
            name: "Bench workspace".into(),
            enabled_countries: vec![country("US"), country("GB"), country("IN")],
            default_provider: Provider::Twilio,
            approved_kyc: vec![country("IN")],
        })
        .await?;
    let key = services
        .create_api_key(
            &dialnexa_service::Actor::operator("cli"),
            &workspace.id,
            "bench",
        )
        .await?;
    let caller = services.authenticate(&key.secret).await?;
    let mut agents = Vec::new();
    for i in 0..s.agents {
        let input = AgentInput {
            name: Some(format!("Agent {i:02}")),
            ..AgentInput::default()
        };
        agents.push(services.create_agent(&caller, input).await?.id.to_string());
    }
    let mut bought = 0;
    'codes: for code in AREA_CODES {
        for found in services
            .search(&caller, &search(code, 100).parse()?)
            .await?
        {
            let req = PurchaseRequest {
                phone_number: found.phone_number,
                provider: None,
                country: None,
                resumed_from: None,
            };
            let record = match services.purchase(&caller, req).await? {
                PurchaseOutcome::Active(r) | PurchaseOutcome::Pending(r) => r,
            };
            let mut patch = NumberPatch::default();
            if bought % 3 == 0 {
                patch.nickname = Some(Some(format!("Line {bought:04}")));
                patch.label = Some(Some("bench".into()));
            }
            if bought % 10 == 0 && !agents.is_empty() {
                patch.inbound_agent_id = Some(Some(agents[bought / 10 % agents.len()].clone()));
            }
            services
                .update_number(&caller, record.id.as_str(), patch)
                .await?;
            bought += 1;
            if bought == s.numbers {
                break 'codes;
            }
        }
    }
    if bought < s.numbers {
        bail!("the emulator offered only {bought} numbers");
    }
    Ok((key.secret, caller))
}
