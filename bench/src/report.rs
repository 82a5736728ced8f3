//! The results: `results.json` for machines and a Markdown table for people, with each target
//! of the benchmarks issue beside what was measured.

use crate::drive::Latency;
use crate::profile::ProfileSummary;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;

#[derive(Debug, Serialize)]
pub struct Results {
    pub date: String,
    pub commit: String,
    /// `full` or `quick`.
    pub mode: String,
    pub database: String,
    pub machine: Machine,
    pub pinning: String,
    pub scenarios: Vec<Scenario>,
    pub targets: Vec<Target>,
    pub profiles: BTreeMap<String, ProfileSummary>,
    pub notes: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Machine {
    pub cpu: String,
    pub cores: usize,
    pub kernel: String,
    pub load_average_at_start: String,
}

#[derive(Debug, Default, Serialize)]
pub struct Scenario {
    pub name: String,
    /// Tool, concurrency and duration, as a sentence.
    pub load: String,
    /// The headline figure, e.g. "41,234 req/s".
    pub result: String,
    pub throughput_per_s: Option<f64>,
    pub requests: Option<u64>,
    pub latency: Option<Latency>,
    pub errors: Option<u64>,
    /// Server CPU over the measured interval, in percent of one core.
    pub server_cpu_pct: Option<f64>,
    /// Scenario-specific figures (wall time, RSS, statuses, ...).
    pub details: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Serialize)]
pub struct Target {
    pub scenario: String,
    pub target: String,
    pub measured: String,
    pub met: bool,
}

impl Results {
    pub fn scenario(&self, name: &str) -> Option<&Scenario> {
        self.scenarios.iter().find(|s| s.name == name)
    }

    pub fn markdown(&self) -> String {
        let mut md = String::new();
        let m = &self.machine;
        let _ = writeln!(
            md,
            "DialNexa Numbers benchmarks, {} run on {}: {} ({} cores), Linux {}, load average at \
             start {}; commit {}, {}.\n\n{}\n",
            self.mode,
            self.database,
            m.cpu,
            m.cores,
            m.kernel,
            m.load_average_at_start,
            self.commit,
            self.date,
            self.pinning
        );
        md.push_str(
            "| Scenario | Load | Result | p50 | p99 | Errors | Server CPU |\n\
             |---|---|---|---:|---:|---:|---:|\n",
        );
        for s in &self.scenarios {
            let (p50, p99) = s.latency.as_ref().map_or(("–".into(), "–".into()), |l| {
                (format!("{:.2} ms", l.p50_ms), format!("{:.2} ms", l.p99_ms))
            });
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} | {} |",
                s.name,
                s.load,
                s.result,
                p50,
                p99,
                s.errors.map_or("–".into(), |e| e.to_string()),
                s.server_cpu_pct.map_or("–".into(), |c| format!("{c:.0} %")),
            );
        }
        md.push_str("\n| Target | Measured | Met |\n|---|---|---|\n");
        for t in &self.targets {
            let _ = writeln!(
                md,
                "| {} | {} | {} |",
                t.target,
                t.measured,
                if t.met { "yes" } else { "**no**" }
            );
        }
        for (name, p) in &self.profiles {
            let _ = writeln!(
                md,
                "\nWhere `{name}` spends the server's CPU (perf, self time):\n"
            );
            let mut parts: Vec<_> = p.samples_by_component.iter().collect();
            parts.sort_by(|a, b| b.1.total_cmp(a.1));
            for (component, pct) in parts.iter().filter(|(_, p)| **p >= 0.5) {
                let _ = writeln!(md, "- {pct:.1} % {component}");
            }
        }
        for note in &self.notes {
            let _ = writeln!(md, "\n{note}");
        }
        md
    }
}

/// Thousands separators for a rate.
pub fn rate(x: f64) -> String {
    let n = x.round() as u64;
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// How fast a burst must be absorbed, against the floor of the database it runs on: the 5,000
/// purchases must all be answered within the carrier's added delay plus the time the floor
/// would take to write 5,000 purchases at this multiple of its rate. On SQLite the service
/// group-commits while store-floor commits one purchase at a time, so it must beat the floor;
/// on PostgreSQL pg-floor already writes on 16 connections at once.
const BURST_VS_STORE_FLOOR: f64 = 3.0;
const BURST_VS_PG_FLOOR: f64 = 0.5;
/// The carrier's added delay in `purchase-slow-carrier`, in seconds.
const BURST_CARRIER_DELAY_S: f64 = 0.5;

/// The targets of the benchmark issues, each a ratio against a floor measured in the same run
/// (or a size or time that does not depend on the machine's speed), against what was
/// measured; a missing figure fails its target.
pub fn targets(r: &Results) -> Vec<Target> {
    let detail = |name: &str, key: &str| {
        r.scenario(name)
            .and_then(|s| s.details.get(key))
            .and_then(|v| v.as_f64())
    };
    let postgres = r.database == "PostgreSQL";
    let (floor, get, list, purchase, burst) = if postgres {
        ("pg-floor", 0.4, 0.25, 0.5, BURST_VS_PG_FLOOR)
    } else {
        ("store-floor", 0.5, 0.3, 0.25, BURST_VS_STORE_FLOOR)
    };
    let mut out = vec![
        ratio(r, "get", "http-floor", get),
        ratio(r, "list", "http-floor", list),
        ratio(r, "search", "http-floor", 0.01),
        ratio(r, "purchase", floor, purchase),
    ];
    for name in ["purchase", "purchase-slow-carrier"] {
        let e = r.scenario(name).and_then(|s| s.errors);
        out.push(Target {
            scenario: name.into(),
            target: format!("`{name}`: zero errors"),
            measured: e.map_or("not measured".into(), |e| format!("{e} errors")),
            met: e == Some(0),
        });
    }
    let floor_rate = r.scenario(floor).and_then(|s| s.throughput_per_s);
    let limit = floor_rate
        .filter(|f| *f > 0.0)
        .map(|f| BURST_CARRIER_DELAY_S + 5_000.0 / (burst * f));
    let wall = detail("purchase-slow-carrier", "wall_s");
    out.push(Target {
        scenario: "purchase-slow-carrier".into(),
        target: format!(
            "`purchase-slow-carrier`: 5,000 answered within the carrier's 0.5 s plus 5,000 \
             purchases at {burst} × `{floor}`"
        ),
        measured: match (wall, limit) {
            (Some(w), Some(l)) => format!("{w:.2} s (limit {l:.2} s)"),
            _ => "not measured".into(),
        },
        met: matches!((wall, limit), (Some(w), Some(l)) if w <= l),
    });
    out.push(at_most(
        "webhooks",
        "`webhooks`: p99 from event commit to receipt ≤ 250 ms when idle",
        detail("webhooks", "idle_p99_ms"),
        250.0,
        "ms",
    ));
    let per_s = detail("webhooks", "deliveries_per_s");
    out.push(Target {
        scenario: "webhooks".into(),
        target: "`webhooks`: ≥ 2,000 deliveries/s".into(),
        measured: per_s.map_or("not measured".into(), |v| format!("{} /s", rate(v))),
        met: per_s.is_some_and(|v| v >= 2_000.0),
    });
    out.extend([
        at_most(
            "purchase-slow-carrier",
            "`purchase-slow-carrier`: peak RSS ≤ 250 MB",
            detail("purchase-slow-carrier", "peak_rss_mb"),
            250.0,
            "MB",
        ),
        at_most(
            "idle",
            "idle RSS after start ≤ 30 MB",
            detail("idle", "rss_after_start_mb"),
            30.0,
            "MB",
        ),
        at_most(
            "idle",
            "idle RSS after the load ≤ 30 MB",
            detail("idle", "rss_after_load_mb"),
            30.0,
            "MB",
        ),
        at_most(
            "idle",
            "start to first 200 on `/health` ≤ 300 ms",
            detail("idle", "start_to_first_200_ms"),
            300.0,
            "ms",
        ),
    ]);
    out
}

fn ratio(r: &Results, name: &str, floor: &str, min: f64) -> Target {
    let rps = |name: &str| r.scenario(name).and_then(|s| s.throughput_per_s);
    let (value, measured) = match (rps(name), rps(floor)) {
        (Some(a), Some(b)) if b > 0.0 => (
            Some(a / b),
            format!("{} × ({} / {} per s)", ratio_text(a / b), rate(a), rate(b)),
        ),
        _ => (None, "not measured".into()),
    };
    Target {
        scenario: name.into(),
        target: format!("`{name}` ≥ {min} × `{floor}`"),
        measured,
        met: value.is_some_and(|v| v >= min),
    }
}

/// Two decimals, or three significant digits below 0.1 so a small ratio never reads as zero.
fn ratio_text(x: f64) -> String {
    if x >= 0.1 {
        format!("{x:.2}")
    } else {
        format!("{x:.3}")
    }
}

fn at_most(scenario: &str, target: &str, value: Option<f64>, max: f64, unit: &str) -> Target {
    Target {
        scenario: scenario.into(),
        target: target.into(),
        measured: value.map_or("not measured".into(), |v| format!("{v:.1} {unit}")),
        met: value.is_some_and(|v| v <= max),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn rates_get_thousands_separators() {
        assert_eq!(super::rate(1234567.4), "1,234,567");
        assert_eq!(super::rate(999.0), "999");
        assert_eq!(super::rate(1000.0), "1,000");
        assert_eq!(super::ratio_text(0.25), "0.25");
        assert_eq!(super::ratio_text(0.0046), "0.005");
    }
}
