//! Fixed-shape load through `wrk` (Debian's package): one client thread, N keep-alive
//! connections, closed loop. A generated Lua script adds the API key, varies the request where a
//! scenario needs it, and prints wrk's own latency histogram (microsecond buckets) as JSON.

use crate::procfs::PidFile;
use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct WrkJob<'a> {
    pub name: &'a str,
    pub addr: SocketAddr,
    pub path: &'a str,
    pub bearer: Option<&'a str>,
    /// A four-digit `contains=` drawn at random for every request, appended to `path`.
    pub random_contains: bool,
    pub connections: u32,
    pub duration: Duration,
}

/// What the Lua `done` hook prints.
#[derive(Debug, Clone, Deserialize)]
struct Raw {
    requests: u64,
    duration_us: u64,
    p50_us: f64,
    p90_us: f64,
    p99_us: f64,
    max_us: f64,
    connect: u64,
    read: u64,
    write: u64,
    status: u64,
    timeout: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct WrkOutcome {
    pub requests: u64,
    pub seconds: f64,
    pub requests_per_s: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Socket errors, timeouts and answers other than 2xx/3xx.
    pub errors: u64,
}

const DONE_HOOK: &str = r#"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH-JSON {"requests":%d,"duration_us":%d,"p50_us":%.0f,"p90_us":%.0f,"p99_us":%.0f,' ..
    '"max_us":%.0f,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
"#;

fn script(job: &WrkJob<'_>) -> String {
    let mut lua = String::from("-- written by dialnexa-bench\n");
    if let Some(token) = job.bearer {
        lua.push_str(&format!(
            "wrk.headers[\"Authorization\"] = \"Bearer {token}\"\n"
        ));
    }
    if job.random_contains {
        lua.push_str(&format!(
            "math.randomseed(6)\nrequest = function()\n  return wrk.format(\"GET\", \"{}\" .. \
             string.format(\"%04d\", math.random(0, 9999)))\nend\n",
            job.path
        ));
    }
    lua.push_str(DONE_HOOK);
    lua
}

/// Runs wrk once; `workdir` receives the script.
pub async fn run(job: &WrkJob<'_>, workdir: &Path, pids: &PidFile) -> anyhow::Result<WrkOutcome> {
    let script_path = workdir.join(format!("{}.lua", job.name));
    std::fs::write(&script_path, script(job))?;
    let url = format!("http://{}{}", job.addr, job.path);
    let mut cmd = tokio::process::Command::new("wrk");
    cmd.args(["-t1", "--timeout", "10s"])
        .arg(format!("-c{}", job.connections))
        .arg(format!("-d{}s", job.duration.as_secs().max(1)))
        .arg("-s")
        .arg(&script_path)
        .arg(&url)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    let child = cmd
        .spawn()
        .context("cannot start wrk (apt-get install -y wrk)")?;
    pids.add(child.id())?;
    let output = child.wait_with_output().await?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    anyhow::ensure!(
        output.status.success(),
        "wrk failed for {}: {}{}",
        job.name,
        stdout,
        String::from_utf8_lossy(&output.stderr)
    );
    let json = stdout
        .lines()
        .find_map(|l| l.strip_prefix("BENCH-JSON "))
        .with_context(|| format!("no summary from wrk for {}: {stdout}", job.name))?;
    let raw: Raw = serde_json::from_str(json)?;
    let seconds = raw.duration_us as f64 / 1e6;
    Ok(WrkOutcome {
        requests: raw.requests,
        seconds,
        requests_per_s: raw.requests as f64 / seconds,
        p50_ms: raw.p50_us / 1000.0,
        p90_ms: raw.p90_us / 1000.0,
        p99_ms: raw.p99_us / 1000.0,
        max_ms: raw.max_us / 1000.0,
        errors: raw.connect + raw.read + raw.write + raw.status + raw.timeout,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_carries_the_key_and_the_random_pattern() {
        let job = WrkJob {
            name: "search",
            addr: "127.0.0.1:1".parse().unwrap(),
            path: "/v1/organization-phone-numbers/available?contains=",
            bearer: Some("dnx_live_x"),
            random_contains: true,
            connections: 1,
            duration: Duration::from_secs(1),
        };
        let lua = script(&job);
        assert!(lua.contains("Bearer dnx_live_x"));
        assert!(lua.contains("available?contains=\" .. string.format"));
        assert!(lua.contains("BENCH-JSON"));
    }
}
