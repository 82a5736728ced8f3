//! `dialnexa-bench run`: the whole benchmark in one pass. The service on the server core, the
//! clients (wrk, the purchase driver, this process) on the client core; then the baselines on
//! the same server core once the service has stopped. Progress goes to stderr, the Markdown
//! table to stdout, everything to `results.json`.

use crate::client;
use crate::drive::{self, Latency, Stop};
use crate::numbers::NumberSource;
use crate::procfs::{self, CpuMeter, PidFile};
use crate::profile::{self, ProfileSummary, Profiler};
use crate::report::{Machine, Results, Scenario, rate, targets};
use crate::server::{self, Floor, Service, ServiceOptions};
use crate::wrk::{self, WrkJob, WrkOutcome};
use anyhow::Context;
use hyper::{Method, StatusCode};
use serde_json::json;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Short durations, for use while developing (under 2 minutes).
    #[arg(long)]
    quick: bool,
    /// `sqlite` (a fresh file in the work folder) or a `postgres://` URL of a fresh database.
    #[arg(long, default_value = "sqlite")]
    database_url: String,
    /// The release `dialnexa` binary.
    #[arg(long)]
    dialnexa: PathBuf,
    /// The service's SQLite migrations, for `store-floor`.
    #[arg(long)]
    migrations: PathBuf,
    /// Scratch folder: databases, logs, wrk scripts.
    #[arg(long)]
    workdir: PathBuf,
    #[arg(long)]
    out: PathBuf,
    /// Every process started is appended here, for the caller's cleanup.
    #[arg(long)]
    pidfile: PathBuf,
    #[arg(long, default_value_t = 0)]
    server_core: usize,
    #[arg(long, default_value_t = 1)]
    client_core: usize,
    /// Attach `perf record` to the server during get, list, search and purchase, writing
    /// reports here.
    /// The profiler costs throughput: figures of such a run are not the benchmark's.
    #[arg(long)]
    profile_dir: Option<PathBuf>,
    #[arg(long, default_value = "unknown")]
    commit: String,
    #[arg(long, default_value = "unknown")]
    date: String,
    /// `NAME=VALUE` set in the service's environment, e.g. to try another allocator with
    /// `LD_PRELOAD`. Repeatable.
    #[arg(long = "server-env", value_name = "NAME=VALUE")]
    server_env: Vec<String>,
    /// Development only: fewer numbers in the list workspace.
    #[arg(long, hide = true)]
    list_size: Option<u64>,
    /// Development only: a smaller burst for purchase-slow-carrier.
    #[arg(long, hide = true)]
    burst: Option<usize>,
}

/// Durations and sizes of a run.
struct Plan {
    warmup: Duration,
    measure: Duration,
    store_floor_seconds: f64,
    list_size: u64,
    load_concurrency: usize,
    read_connections: u32,
    search_connections: u32,
    purchase_concurrency: usize,
    burst: usize,
}

impl Plan {
    fn new(quick: bool) -> Plan {
        Plan {
            warmup: Duration::from_secs(if quick { 1 } else { 3 }),
            measure: Duration::from_secs(if quick { 4 } else { 20 }),
            store_floor_seconds: if quick { 3.0 } else { 10.0 },
            list_size: 10_000,
            load_concurrency: 32,
            read_connections: 32,
            search_connections: 8,
            purchase_concurrency: 16,
            burst: 5_000,
        }
    }
}

struct Ctx<'a> {
    args: &'a RunArgs,
    plan: Plan,
    pids: PidFile,
    profiles: BTreeMap<String, ProfileSummary>,
}

impl Ctx<'_> {
    /// `perf record` on `pid` from now, when the run profiles (`--profile-dir`).
    async fn start_profile(&self, pid: u32, name: &str) -> anyhow::Result<Option<Profiler>> {
        match &self.args.profile_dir {
            Some(dir) => Ok(Some(profile::attach(pid, name, dir, &self.pids).await?)),
            None => Ok(None),
        }
    }

    /// Stops `profiler` and keeps its summary under `name` for the results.
    async fn keep_profile(&mut self, name: &str, profiler: Option<Profiler>) -> anyhow::Result<()> {
        if let Some(p) = profiler {
            self.profiles.insert(name.into(), p.finish().await?);
        }
        Ok(())
    }
}

pub async fn run(mut args: RunArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.workdir)?;
    let mut notes = Vec::new();
    // The service runs in the work folder: relative paths would not reach it there.
    args.dialnexa = std::fs::canonicalize(&args.dialnexa)
        .with_context(|| format!("no dialnexa binary at {}", args.dialnexa.display()))?;
    args.workdir = std::fs::canonicalize(&args.workdir)?;
    args.migrations = std::fs::canonicalize(&args.migrations)?;
    let (cpu, cores) = procfs::machine();
    let machine = Machine {
        cpu,
        cores,
        kernel: read_trimmed("/proc/sys/kernel/osrelease"),
        load_average_at_start: read_trimmed("/proc/loadavg")
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
    };
    for var in &args.server_env {
        anyhow::ensure!(
            var.contains('='),
            "--server-env takes NAME=VALUE, not {var}"
        );
        notes.push(format!("The service ran with {var} in its environment."));
    }
    let postgres = args.database_url.starts_with("postgres");
    let database_url = if postgres {
        args.database_url.clone()
    } else {
        format!("sqlite://{}/db.sqlite", args.workdir.display())
    };
    let mut ctx = Ctx {
        args: &args,
        plan: Plan {
            list_size: args.list_size.unwrap_or(10_000),
            burst: args.burst.unwrap_or(5_000),
            ..Plan::new(args.quick)
        },
        pids: PidFile::new(&args.pidfile),
        profiles: BTreeMap::new(),
    };
    let mut scenarios = Vec::new();
    let (service_scenarios, body) = service_scenarios(&mut ctx, &database_url, &mut notes).await?;
    scenarios.extend(service_scenarios);
    scenarios.push(http_floor(&ctx, &body).await?);
    scenarios.push(store_floor(&ctx).await?);
    if postgres {
        scenarios.push(pg_floor(&ctx, &database_url).await?);
        notes.push(
            "On PostgreSQL the database server is not pinned: its backends run on both cores, \
             beside the service and the client. store-floor still measures SQLite; pg-floor is \
             the floor of the PostgreSQL targets."
                .into(),
        );
    }

    let mut results = Results {
        date: args.date.clone(),
        commit: args.commit.clone(),
        mode: if args.quick { "quick" } else { "full" }.into(),
        database: if postgres { "PostgreSQL" } else { "SQLite" }.into(),
        machine,
        pinning: format!(
            "Pinning (taskset): server processes (dialnexa serve with its in-process carrier \
             emulator, http-floor, store-floor) on core {}; clients (wrk, the purchase driver) on \
             core {}.",
            args.server_core, args.client_core
        ),
        scenarios,
        targets: Vec::new(),
        profiles: std::mem::take(&mut ctx.profiles),
        notes,
    };
    results.targets = targets(&results);
    std::fs::write(&args.out, serde_json::to_string_pretty(&results)? + "\n")
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    print!("{}", results.markdown());
    Ok(())
}

fn read_trimmed(path: &str) -> String {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|_| "unknown".into())
}

fn progress(msg: &str) {
    eprintln!("[bench] {msg}");
}

/// Everything measured on the running service; also the `get` body for http-floor.
async fn service_scenarios(
    ctx: &mut Ctx<'_>,
    database_url: &str,
    notes: &mut Vec<String>,
) -> anyhow::Result<(Vec<Scenario>, PathBuf)> {
    let args = ctx.args;
    let admin = format!("bench-admin-{:016x}", rand::random::<u64>());
    let mut env = args.server_env.clone();
    // The webhooks scenario's receiver listens on this machine.
    env.push("DIALNEXA_WEBHOOKS_ALLOW_PRIVATE=true".into());
    if database_url.starts_with("postgres") {
        // PostgreSQL needs the key that seals SIP trunk passwords (SQLite makes its own).
        use base64::Engine;
        let key = base64::engine::general_purpose::STANDARD.encode(rand::random::<[u8; 32]>());
        env.push(format!("DIALNEXA_ENCRYPTION_KEY={key}"));
    }
    progress("starting dialnexa serve on a fresh database");
    let service = Service::start(
        &ServiceOptions {
            binary: &args.dialnexa,
            core: args.server_core,
            dir: &args.workdir,
            database_url,
            admin_token: &admin,
            env: &env,
        },
        &ctx.pids,
    )
    .await?;
    let (addr, pid) = (service.addr, service.pid);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_after_start = procfs::rss_mb(pid)?;

    // A workspace holding exactly `list_size` numbers, bought through the API.
    let ws = client::expect_json(
        addr,
        Method::POST,
        "/v1/admin/workspaces",
        Some(&admin),
        Some(json!({"name": "bench list", "enabled_countries": ["US"]}).to_string()),
        StatusCode::CREATED,
    )
    .await?;
    let ws_id = ws["id"].as_str().context("workspace without id")?;
    let key = client::expect_json(
        addr,
        Method::POST,
        &format!("/v1/admin/workspaces/{ws_id}/api-keys"),
        Some(&admin),
        Some("{}".into()),
        StatusCode::CREATED,
    )
    .await?["key"]
        .as_str()
        .context("api key answer without key")?
        .to_owned();
    let key: Arc<str> = key.into();
    let numbers = Arc::new(NumberSource::default());
    let p = &ctx.plan;
    progress(&format!(
        "buying {} numbers for the list workspace ({} connections)",
        p.list_size, p.load_concurrency
    ));
    let load = drive::purchases(
        addr,
        key.clone(),
        numbers.clone(),
        p.load_concurrency,
        Stop::After(p.list_size),
    )
    .await?;
    anyhow::ensure!(
        load.errors() == 0,
        "loading the list workspace failed: {:?} {:?}",
        load.statuses,
        load.first_error
    );
    notes.push(format!(
        "Setup: {} numbers bought through the API for `list` in {:.1} s ({} purchases/s, {} \
         connections).",
        rate(p.list_size as f64),
        load.elapsed.as_secs_f64(),
        rate(p.list_size as f64 / load.elapsed.as_secs_f64()),
        p.load_concurrency
    ));
    let id = load.some_id.context("no number id from the load")?;

    let mut out = Vec::new();
    let get_path = format!("/v1/organization-phone-numbers/{id}");
    let (status, body) = client::once(addr, Method::GET, &get_path, Some(&key), None).await?;
    anyhow::ensure!(status == StatusCode::OK, "GET {get_path} answered {status}");
    let body_file = args.workdir.join("get-body.json");
    std::fs::write(&body_file, &body)?;
    let rc = ctx.plan.read_connections;
    out.push(wrk_scenario(ctx, "get", pid, addr, &get_path, Some(&key), false, rc).await?);

    let list_path = "/v1/organization-phone-numbers?page=1&limit=20";
    let list = client::expect_json(
        addr,
        Method::GET,
        list_path,
        Some(&key),
        None,
        StatusCode::OK,
    )
    .await?;
    anyhow::ensure!(
        list["total"].as_u64() == Some(ctx.plan.list_size),
        "the list workspace holds {} numbers",
        list["total"]
    );
    out.push(wrk_scenario(ctx, "list", pid, addr, list_path, Some(&key), false, rc).await?);

    let search_path =
        "/v1/organization-phone-numbers/available?country_iso=US&type=local&limit=20&contains=";
    let sc = ctx.plan.search_connections;
    out.push(wrk_scenario(ctx, "search", pid, addr, search_path, Some(&key), true, sc).await?);

    let demo: Arc<str> = service.demo_key.clone().into();
    out.push(purchase(ctx, pid, addr, demo.clone(), numbers.clone()).await?);
    out.push(slow_carrier(ctx, &service, demo, numbers).await?);

    let events = if ctx.plan.warmup < Duration::from_secs(2) {
        2_000
    } else {
        10_000
    };
    progress(&format!("webhooks: {events} events to a local receiver"));
    out.push(crate::webhooks::scenario(addr, &key, events, 32).await?);

    progress("idle: waiting 3 s after the load");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let rss_after_load = procfs::rss_mb(pid)?;
    let start_ms = service.start_to_first_200.as_secs_f64() * 1000.0;
    service.stop().await?;
    let mut details = BTreeMap::new();
    details.insert("start_to_first_200_ms".into(), json!(start_ms));
    details.insert("rss_after_start_mb".into(), json!(rss_after_start));
    details.insert("rss_after_load_mb".into(), json!(rss_after_load));
    out.push(Scenario {
        name: "idle".into(),
        load: "none; RSS 1 s after the first 200 and 3 s after the last scenario".into(),
        result: format!(
            "start to first 200: {start_ms:.0} ms; RSS {rss_after_start:.1} MB after start, \
             {rss_after_load:.1} MB after the load"
        ),
        details,
        ..Scenario::default()
    });
    Ok((out, body_file))
}

/// Warm-up, then a measured wrk run with the server's CPU metered (and profiled on request).
#[allow(clippy::too_many_arguments)]
async fn wrk_scenario(
    ctx: &mut Ctx<'_>,
    name: &str,
    pid: u32,
    addr: SocketAddr,
    path: &str,
    bearer: Option<&str>,
    random_contains: bool,
    connections: u32,
) -> anyhow::Result<Scenario> {
    let mut job = WrkJob {
        name,
        addr,
        path,
        bearer,
        random_contains,
        connections,
        duration: ctx.plan.warmup,
    };
    progress(&format!("{name}: wrk, {connections} connections"));
    wrk::run(&job, &ctx.args.workdir, &ctx.pids).await?;
    job.duration = ctx.plan.measure;
    let profiler = ctx.start_profile(pid, name).await?;
    let cpu = CpuMeter::start(pid)?;
    let w = wrk::run(&job, &ctx.args.workdir, &ctx.pids).await?;
    let cpu = cpu.percent()?;
    ctx.keep_profile(name, profiler).await?;
    Ok(wrk_result(name, &job, &w, Some(cpu)))
}

fn wrk_result(name: &str, job: &WrkJob<'_>, w: &WrkOutcome, cpu: Option<f64>) -> Scenario {
    Scenario {
        name: name.into(),
        load: format!(
            "wrk, 1 thread, {} connections, {} s",
            job.connections,
            job.duration.as_secs()
        ),
        result: format!("{} req/s", rate(w.requests_per_s)),
        throughput_per_s: Some(w.requests_per_s),
        requests: Some(w.requests),
        latency: Some(Latency {
            p50_ms: w.p50_ms,
            p90_ms: w.p90_ms,
            p99_ms: w.p99_ms,
            max_ms: w.max_ms,
        }),
        errors: Some(w.errors),
        server_cpu_pct: cpu,
        details: BTreeMap::new(),
    }
}

async fn purchase(
    ctx: &mut Ctx<'_>,
    pid: u32,
    addr: SocketAddr,
    key: Arc<str>,
    numbers: Arc<NumberSource>,
) -> anyhow::Result<Scenario> {
    let c = ctx.plan.purchase_concurrency;
    progress(&format!("purchase: {c} connections, distinct numbers"));
    drive::purchases(
        addr,
        key.clone(),
        numbers.clone(),
        c,
        Stop::For(ctx.plan.warmup),
    )
    .await?;
    let profiler = ctx.start_profile(pid, "purchase").await?;
    let cpu = CpuMeter::start(pid)?;
    let o = drive::purchases(addr, key, numbers, c, Stop::For(ctx.plan.measure)).await?;
    let cpu = cpu.percent()?;
    ctx.keep_profile("purchase", profiler).await?;
    let per_s = o.answered as f64 / o.elapsed.as_secs_f64();
    let mut details = BTreeMap::new();
    details.insert("statuses".into(), json!(o.statuses));
    if let Some(e) = &o.first_error {
        details.insert("first_error".into(), json!(e));
    }
    Ok(Scenario {
        name: "purchase".into(),
        load: format!(
            "driver (hyper, HDR histogram), {c} connections, {} s, emulator without added latency",
            ctx.plan.measure.as_secs()
        ),
        result: format!("{} purchases/s", rate(per_s)),
        throughput_per_s: Some(per_s),
        requests: Some(o.answered + o.io_errors),
        latency: Some(Latency::of(&o.histogram)),
        errors: Some(o.errors()),
        server_cpu_pct: Some(cpu),
        details,
    })
}

async fn slow_carrier(
    ctx: &mut Ctx<'_>,
    service: &Service,
    key: Arc<str>,
    numbers: Arc<NumberSource>,
) -> anyhow::Result<Scenario> {
    let n = ctx.plan.burst;
    let pid = service.pid;
    progress(&format!(
        "purchase-slow-carrier: {n} purchases at once, buys +500 ms"
    ));
    set_buy_latency(service.emulator, 500).await?;
    procfs::reset_peak_rss(pid)?;
    // The kernel's peak covers the burst; sampling is a cross-check where clear_refs is refused.
    let sampler = tokio::spawn(async move {
        let mut peak: f64 = 0.0;
        while let Ok(rss) = procfs::rss_mb(pid) {
            peak = peak.max(rss);
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        peak
    });
    let profiler = ctx.start_profile(pid, "purchase-slow-carrier").await?;
    let cpu = CpuMeter::start(pid)?;
    let b = drive::burst(service.addr, key, numbers, n).await?;
    let cpu = cpu.percent()?;
    let peak = procfs::peak_rss_mb(pid)?;
    sampler.abort();
    ctx.keep_profile("purchase-slow-carrier", profiler).await?;
    set_buy_latency(service.emulator, 0).await?;
    let o = &b.outcome;
    let mut details = BTreeMap::new();
    details.insert("wall_s".into(), json!(b.wall.as_secs_f64()));
    details.insert("connect_s".into(), json!(b.connect_time.as_secs_f64()));
    details.insert("peak_rss_mb".into(), json!(peak));
    details.insert("statuses".into(), json!(o.statuses));
    if let Some(e) = &o.first_error {
        details.insert("first_error".into(), json!(e));
    }
    Ok(Scenario {
        name: "purchase-slow-carrier".into(),
        load: format!(
            "driver, {n} connections opened first, one purchase each sent at once; carrier buys \
             take 500 ms more"
        ),
        result: format!(
            "all answered in {:.2} s; peak RSS {peak:.0} MB",
            b.wall.as_secs_f64()
        ),
        throughput_per_s: Some(o.answered as f64 / b.wall.as_secs_f64()),
        requests: Some(n as u64),
        latency: Some(Latency::of(&o.histogram)),
        errors: Some(o.errors()),
        server_cpu_pct: Some(cpu),
        details,
    })
}

async fn set_buy_latency(emulator: SocketAddr, ms: u64) -> anyhow::Result<()> {
    client::expect_json(
        emulator,
        Method::POST,
        "/_emulator/faults",
        None,
        Some(json!({"buy_latency_ms": ms}).to_string()),
        StatusCode::OK,
    )
    .await?;
    Ok(())
}

async fn http_floor(ctx: &Ctx<'_>, body: &Path) -> anyhow::Result<Scenario> {
    let floor = Floor::start(ctx.args.server_core, body, &ctx.pids).await?;
    let rc = ctx.plan.read_connections;
    progress(&format!("http-floor: wrk, {rc} connections"));
    let path = "/v1/organization-phone-numbers/phn_floor";
    let mut job = WrkJob {
        name: "http-floor",
        addr: floor.addr,
        path,
        bearer: None,
        random_contains: false,
        connections: rc,
        duration: ctx.plan.warmup,
    };
    wrk::run(&job, &ctx.args.workdir, &ctx.pids).await?;
    job.duration = ctx.plan.measure;
    let cpu = CpuMeter::start(floor.pid)?;
    let w = wrk::run(&job, &ctx.args.workdir, &ctx.pids).await?;
    let cpu = cpu.percent()?;
    floor.stop().await?;
    Ok(wrk_result("http-floor", &job, &w, Some(cpu)))
}

async fn store_floor(ctx: &Ctx<'_>) -> anyhow::Result<Scenario> {
    let secs = ctx.plan.store_floor_seconds;
    progress(&format!("store-floor: rusqlite loop, {secs} s"));
    let v = server::store_floor(
        ctx.args.server_core,
        &ctx.args.workdir.join("store-floor"),
        &ctx.args.migrations,
        secs,
        &ctx.pids,
    )
    .await?;
    let per_s = v["purchases_per_s"]
        .as_f64()
        .context("store-floor output")?;
    let mut details = BTreeMap::new();
    details.insert("sqlite_version".into(), v["sqlite_version"].clone());
    Ok(Scenario {
        name: "store-floor".into(),
        load: format!(
            "one thread, rusqlite, prepared statements, WAL + synchronous=FULL, {secs} s"
        ),
        result: format!("{} purchases/s", rate(per_s)),
        throughput_per_s: Some(per_s),
        requests: v["purchases"].as_u64(),
        details,
        ..Scenario::default()
    })
}

async fn pg_floor(ctx: &Ctx<'_>, database_url: &str) -> anyhow::Result<Scenario> {
    let secs = ctx.plan.store_floor_seconds;
    progress(&format!(
        "pg-floor: tokio-postgres, 16 connections, {secs} s"
    ));
    let v = server::pg_floor(ctx.args.server_core, database_url, secs, &ctx.pids).await?;
    let per_s = v["purchases_per_s"].as_f64().context("pg-floor output")?;
    let mut details = BTreeMap::new();
    details.insert("server_version".into(), v["server_version"].clone());
    Ok(Scenario {
        name: "pg-floor".into(),
        load: format!(
            "tokio-postgres, prepared statements, 16 connections, the claim committed alone and \
             the activation in one transaction, {secs} s"
        ),
        result: format!("{} purchases/s", rate(per_s)),
        throughput_per_s: Some(per_s),
        requests: v["purchases"].as_u64(),
        details,
        ..Scenario::default()
    })
}
