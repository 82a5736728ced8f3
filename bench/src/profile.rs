//! Where the server's time goes: `perf record` on the server process (the `cpu-clock` software
//! event, since this machine exposes no hardware counters), summarised as the top symbols by
//! self time and as shares per component (SQLite, sqlx, HTTP, kernel, ...).

use crate::procfs::PidFile;
use anyhow::Context;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use tokio::process::{Child, Command};

pub struct Profiler {
    child: Child,
    data: PathBuf,
    report: PathBuf,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProfileSummary {
    pub report: String,
    pub samples_by_component: BTreeMap<String, f64>,
    pub top_symbols: Vec<(f64, String)>,
}

pub async fn attach(pid: u32, name: &str, dir: &Path, pids: &PidFile) -> anyhow::Result<Profiler> {
    std::fs::create_dir_all(dir)?;
    let data = dir.join(format!("{name}.perf.data"));
    let mut perf = Command::new("perf");
    perf.args(["record", "-e", "cpu-clock", "-F", "999"]);
    // Call stacks on request (`BENCH_PERF_CALL_GRAPH=dwarf`): the release binaries keep no
    // frame pointers, so perf unwinds from a copy of each sample's stack. Much bigger files.
    if let Ok(mode) = std::env::var("BENCH_PERF_CALL_GRAPH") {
        perf.arg("--call-graph").arg(mode);
    }
    let child = perf
        .arg("-p")
        .arg(pid.to_string())
        .arg("-o")
        .arg(&data)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("cannot start perf (apt-get install -y linux-perf)")?;
    pids.add(child.id())?;
    Ok(Profiler {
        child,
        data,
        report: dir.join(format!("{name}.txt")),
    })
}

impl Profiler {
    pub async fn finish(mut self) -> anyhow::Result<ProfileSummary> {
        if let Some(pid) = self.child.id() {
            let _ = Command::new("kill")
                .arg("-INT")
                .arg(pid.to_string())
                .status()
                .await;
        }
        self.child.wait().await?;
        let out = Command::new("perf")
            .args([
                "report",
                "--stdio",
                "--no-children",
                "--sort",
                "dso,sym",
                "-i",
            ])
            .arg(&self.data)
            .stderr(Stdio::null())
            .output()
            .await?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        std::fs::write(&self.report, &text)?;
        let rows = parse(&text);
        let mut by_component = BTreeMap::new();
        for (pct, dso, kernel, sym) in &rows {
            *by_component
                .entry(component(dso, *kernel, sym).to_owned())
                .or_insert(0.0) += pct;
        }
        let top_symbols = rows
            .iter()
            .take(15)
            .map(|(pct, _, _, sym)| (*pct, sym.clone()))
            .collect();
        Ok(ProfileSummary {
            report: self.report.display().to_string(),
            samples_by_component: by_component,
            top_symbols,
        })
    }
}

/// `  12.34%  dialnexa  [.] some::symbol` → (12.34, "dialnexa", false, "some::symbol").
fn parse(text: &str) -> Vec<(f64, String, bool, String)> {
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| {
            let mut parts = l.split_whitespace();
            let pct = parts.next()?.strip_suffix('%')?.parse().ok()?;
            let dso = parts.next()?.to_owned();
            let kernel = parts.next()? == "[k]";
            let sym = parts.collect::<Vec<_>>().join(" ");
            Some((pct, dso, kernel, sym))
        })
        .collect()
}

fn component(dso: &str, kernel: bool, sym: &str) -> &'static str {
    let has = |needles: &[&str]| needles.iter().any(|n| sym.contains(n));
    let switching = [
        "finish_task_switch",
        "_raw_spin_unlock_irq",
        "schedule",
        "futex",
        "wake_up",
        "ttwu",
        "rseq",
        "switch_to",
    ];
    if (kernel || dso.contains("kernel")) && has(&switching) {
        "kernel: thread switches (futex wake-ups, scheduling)"
    } else if kernel || dso.contains("kernel") {
        "kernel: other (loopback TCP, file writes, syscalls)"
    } else if sym.starts_with("sqlite3") || has(&["libsqlite3"]) || is_bundled_c(dso, sym) {
        "SQLite engine"
    } else if has(&["sqlx"]) {
        "sqlx (driver, Any layer, pool)"
    } else if has(&["dialnexa_emulator", "rusqlite"]) {
        "carrier emulator (in-process)"
    } else if has(&["reqwest", "dialnexa_carriers"]) {
        "carrier client (reqwest)"
    } else if has(&["hyper", "http::", "httparse", "axum", "tower"]) {
        "HTTP (hyper, axum, tower)"
    } else if has(&["tokio", "mio::"]) {
        "tokio runtime"
    } else if has(&["serde", "json"]) {
        "JSON (serde)"
    } else if has(&["sha2", "Sha256"]) {
        "SHA-256 (API key hash)"
    } else if has(&["phonenumber", "regex"]) {
        "phonenumber and regex"
    } else if has(&["tracing"]) {
        "tracing"
    } else if has(&["malloc", "free", "memcpy", "memmove", "memset", "realloc"]) {
        "allocator and memcpy"
    } else if has(&["dialnexa"]) {
        "DialNexa code"
    } else {
        "other"
    }
}

/// A C function linked into one of our binaries: SQLite's (bundled by libsqlite3-sys) unless
/// it is ring's cryptography. Rust symbols always carry a `::` path.
fn is_bundled_c(dso: &str, sym: &str) -> bool {
    dso.starts_with("dialnexa") && !sym.contains("::") && !sym.contains("ring_core")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_lines_are_parsed_and_sorted_into_components() {
        let text = "# comment\n    12.50%  dialnexa  [.] sqlite3VdbeExec\n     \
                    3.00%  [kernel.kallsyms]  [k] tcp_sendmsg\n";
        let rows = parse(text);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].0, 12.5);
        assert_eq!(
            component(&rows[0].1, rows[0].2, &rows[0].3),
            "SQLite engine"
        );
        assert!(component(&rows[1].1, rows[1].2, &rows[1].3).starts_with("kernel: other"));
        assert_eq!(
            component("dialnexa", false, "btreeParseCellPtr"),
            "SQLite engine"
        );
        assert_eq!(
            component("libc.so.6", false, "_int_malloc"),
            "allocator and memcpy"
        );
    }
}
