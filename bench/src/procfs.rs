//! What the kernel knows about a process: resident memory, its peak, and CPU time. Also the
//! list of processes `run` started, kept in a file so `bench/run`'s trap can stop them even if
//! `run` itself is killed.

use anyhow::Context;
use std::io::Write;
use std::path::{Path, PathBuf};

fn status_field_kib(pid: u32, field: &str) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("process {pid} is gone"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .with_context(|| format!("no {field} for process {pid}"))
}

/// Resident set size now, in MB (10^6 bytes).
pub fn rss_mb(pid: u32) -> anyhow::Result<f64> {
    Ok(status_field_kib(pid, "VmRSS:")? as f64 * 1024.0 / 1e6)
}

/// Peak resident set size since start or since `reset_peak_rss`, in MB (10^6 bytes).
pub fn peak_rss_mb(pid: u32) -> anyhow::Result<f64> {
    Ok(status_field_kib(pid, "VmHWM:")? as f64 * 1024.0 / 1e6)
}

/// Resets the peak (`VmHWM`) to the current RSS (Linux `clear_refs` value 5).
pub fn reset_peak_rss(pid: u32) -> anyhow::Result<()> {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5")
        .with_context(|| format!("cannot reset the peak RSS of process {pid}"))
}

/// User plus system CPU time of the whole process (all threads), in seconds.
pub fn cpu_seconds(pid: u32) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("process {pid} is gone"))?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat
        .rsplit_once(')')
        .map(|(_, r)| r)
        .context("bad /proc stat")?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let ticks: u64 = fields
        .get(11..13)
        .context("short /proc stat")?
        .iter()
        .map(|f| f.parse::<u64>().unwrap_or(0))
        .sum();
    Ok(ticks as f64 / clock_ticks_per_second())
}

fn clock_ticks_per_second() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// CPU use of a process over an interval, in percent of one core.
pub struct CpuMeter {
    pid: u32,
    cpu: f64,
    at: std::time::Instant,
}

impl CpuMeter {
    pub fn start(pid: u32) -> anyhow::Result<CpuMeter> {
        Ok(CpuMeter {
            pid,
            cpu: cpu_seconds(pid)?,
            at: std::time::Instant::now(),
        })
    }

    pub fn percent(&self) -> anyhow::Result<f64> {
        let used = cpu_seconds(self.pid)? - self.cpu;
        Ok(100.0 * used / self.at.elapsed().as_secs_f64())
    }
}

/// Appends every started process id to a file.
#[derive(Debug, Clone)]
pub struct PidFile(PathBuf);

impl PidFile {
    pub fn new(path: &Path) -> PidFile {
        PidFile(path.to_owned())
    }

    pub fn add(&self, pid: Option<u32>) -> anyhow::Result<()> {
        if let Some(pid) = pid {
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.0)?;
            writeln!(f, "{pid}")?;
        }
        Ok(())
    }
}

/// The first CPU model name and the number of online cores.
pub fn machine() -> (String, usize) {
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|r| r.trim_start_matches([' ', '\t', ':']).trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into());
    // Not `available_parallelism`: this process is pinned to one core.
    let cores = std::fs::read_to_string("/proc/cpuinfo")
        .map(|s| s.lines().filter(|l| l.starts_with("processor")).count())
        .unwrap_or(1);
    (model, cores)
}
