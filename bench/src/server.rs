//! Processes under test, each pinned to the server core with `taskset`: `dialnexa serve` on a
//! fresh database with its embedded carrier emulator, and the `http-floor` baseline.

use crate::client;
use crate::procfs::PidFile;
use anyhow::Context;
use hyper::{Method, StatusCode};
use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

pub struct Service {
    child: Child,
    pub pid: u32,
    pub addr: SocketAddr,
    pub emulator: SocketAddr,
    pub demo_key: String,
    /// From spawning the process to the first `200` on `GET /health`.
    pub start_to_first_200: Duration,
}

pub struct ServiceOptions<'a> {
    pub binary: &'a Path,
    pub core: usize,
    pub dir: &'a Path,
    pub database_url: &'a str,
    pub admin_token: &'a str,
    /// `NAME=VALUE` pairs added to the service's environment.
    pub env: &'a [String],
}

/// A port nobody listens on now (the service is told it on the command line, so the clock
/// can start before the process binds it).
fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn pinned(core: usize, program: &Path) -> Command {
    let mut cmd = Command::new("taskset");
    cmd.arg("-c").arg(core.to_string()).arg(program);
    cmd.kill_on_drop(true);
    cmd
}

impl Service {
    pub async fn start(o: &ServiceOptions<'_>, pids: &PidFile) -> anyhow::Result<Service> {
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()?).parse()?;
        let log = std::fs::File::create(o.dir.join("serve.log"))?;
        let mut cmd = pinned(o.core, o.binary);
        cmd.arg("serve")
            .arg("--listen")
            .arg(addr.to_string())
            .arg("--database-url")
            .arg(o.database_url)
            .arg("--emulator-state")
            .arg(o.dir.join("emu.db"))
            .arg("--admin-token")
            .arg(o.admin_token)
            .envs(o.env.iter().filter_map(|kv| kv.split_once('=')))
            .current_dir(o.dir)
            .stdout(Stdio::piped())
            .stderr(log);
        let started = Instant::now();
        let mut child = cmd
            .spawn()
            .with_context(|| format!("cannot start {}", o.binary.display()))?;
        let pid = child.id().context("the service exited at once")?;
        pids.add(Some(pid))?;
        let start_to_first_200 = match first_200(addr, started, &mut child).await {
            Ok(t) => t,
            Err(e) => {
                let log = std::fs::read_to_string(o.dir.join("serve.log")).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(10).collect();
                let tail: Vec<&str> = tail.into_iter().rev().collect();
                return Err(e.context(format!("serve.log ends with:\n{}", tail.join("\n"))));
            }
        };

        let stdout = child.stdout.take().context("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let emulator_url = line_after(
            &mut lines,
            "carrier emulator (Twilio, Plivo and Telnyx wire formats) on ",
        )
        .await?;
        let demo_key = line_after(&mut lines, "its API key, shown once: ").await?;
        let emulator = emulator_url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .with_context(|| format!("bad emulator URL {emulator_url}"))?;
        // Nobody reads the rest; a full pipe must never block the service.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Service {
            child,
            pid,
            addr,
            emulator,
            demo_key,
            start_to_first_200,
        })
    }

    /// SIGTERM, then up to 10 s for a graceful stop before SIGKILL.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        terminate(self.pid).await;
        if tokio::time::timeout(Duration::from_secs(10), self.child.wait())
            .await
            .is_err()
        {
            self.child.kill().await?;
        }
        Ok(())
    }
}

/// Polls `/health` every millisecond until it answers 200.
async fn first_200(
    addr: SocketAddr,
    started: Instant,
    child: &mut Child,
) -> anyhow::Result<Duration> {
    loop {
        if let Ok((StatusCode::OK, _)) =
            client::once(addr, Method::GET, "/health", None, None).await
        {
            return Ok(started.elapsed());
        }
        if let Some(status) = child.try_wait()? {
            anyhow::bail!("the service exited with {status} before answering");
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(60),
            "the service did not answer /health within 60 s"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

async fn line_after(
    lines: &mut Lines<BufReader<ChildStdout>>,
    prefix: &str,
) -> anyhow::Result<String> {
    let read = async {
        while let Some(line) = lines.next_line().await? {
            if let Some(rest) = line.strip_prefix(prefix) {
                return Ok(rest.trim().to_owned());
            }
        }
        anyhow::bail!("the service never printed {prefix:?}")
    };
    tokio::time::timeout(Duration::from_secs(10), read)
        .await
        .with_context(|| format!("waiting for {prefix:?}"))?
}

async fn terminate(pid: u32) {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status()
        .await;
}

/// The `http-floor` baseline, pinned like the service.
pub struct Floor {
    child: Child,
    pub pid: u32,
    pub addr: SocketAddr,
}

impl Floor {
    pub async fn start(core: usize, body: &Path, pids: &PidFile) -> anyhow::Result<Floor> {
        let me = std::env::current_exe()?;
        let mut cmd = pinned(core, &me);
        cmd.arg("http-floor")
            .arg("--body")
            .arg(body)
            .stdout(Stdio::piped());
        let mut child = cmd.spawn()?;
        let pid = child.id().context("http-floor exited at once")?;
        pids.add(Some(pid))?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let addr = line_after(&mut lines, "http-floor listening on ")
            .await?
            .parse()?;
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Floor { child, pid, addr })
    }

    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.child.kill().await?;
        Ok(())
    }
}

/// Runs `store-floor` pinned to `core` and returns what it printed.
pub async fn store_floor(
    core: usize,
    dir: &Path,
    migrations: &Path,
    seconds: f64,
    pids: &PidFile,
) -> anyhow::Result<serde_json::Value> {
    let me = std::env::current_exe()?;
    let mut cmd = pinned(core, &me);
    cmd.arg("store-floor")
        .arg("--dir")
        .arg(dir)
        .arg("--migrations")
        .arg(migrations)
        .arg("--seconds")
        .arg(seconds.to_string())
        .stdout(Stdio::piped());
    let child = cmd.spawn()?;
    pids.add(child.id())?;
    let output = child.wait_with_output().await?;
    anyhow::ensure!(output.status.success(), "store-floor failed");
    Ok(serde_json::from_slice(&output.stdout)?)
}

/// `dialnexa-bench pg-floor` pinned to `core`, into the run's (migrated) database.
pub async fn pg_floor(
    core: usize,
    database_url: &str,
    seconds: f64,
    pids: &PidFile,
) -> anyhow::Result<serde_json::Value> {
    let me = std::env::current_exe()?;
    let mut cmd = pinned(core, &me);
    cmd.arg("pg-floor")
        .arg("--database-url")
        .arg(database_url)
        .arg("--seconds")
        .arg(seconds.to_string())
        .stdout(Stdio::piped());
    let child = cmd.spawn()?;
    pids.add(child.id())?;
    let output = child.wait_with_output().await?;
    anyhow::ensure!(output.status.success(), "pg-floor failed");
    Ok(serde_json::from_slice(&output.stdout)?)
}
