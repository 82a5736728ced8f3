//! Finding and running Prism for the contract tests: each test starts the mock it needs on a
//! free port and stops it on drop, so `cargo test` alone runs the contract once Prism is
//! installed (`scripts/prism.sh install`).

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const START_TIMEOUT: Duration = Duration::from_secs(90);

/// The Prism binary, or `None` when the environment explicitly opts out of the contract
/// tests. A missing install fails loudly so CI can never pass without running them.
pub fn binary() -> Option<PathBuf> {
    let found = std::env::var_os("PRISM_BIN")
        .map(PathBuf::from)
        .or_else(|| {
            let dir = std::env::var_os("PRISM_DIR")
                .map(PathBuf::from)
                .or_else(|| {
                    std::env::var_os("HOME")
                        .map(|home| Path::new(&home).join(".cache/dialnexa-prism"))
                })?;
            Some(dir.join("node_modules/.bin/prism"))
        });
    match found {
        Some(path) if path.is_file() => Some(path),
        _ if std::env::var("DIALNEXA_SKIP_PRISM").as_deref() == Ok("1") => {
            eprintln!("DIALNEXA_SKIP_PRISM=1: skipping the Prism contract test");
            None
        }
        other => panic!(
            "Prism is not installed (looked at {other:?}). Run `scripts/prism.sh install`, \
             set PRISM_BIN to a prism binary, or set DIALNEXA_SKIP_PRISM=1 to skip on purpose."
        ),
    }
}

/// `shared/specs/NAME`, found beside the repository (or under `DIALNEXA_SPECS_DIR`).
pub fn spec(name: &str) -> PathBuf {
    if let Some(dir) = std::env::var_os("DIALNEXA_SPECS_DIR") {
        return Path::new(&dir).join(name);
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|dir| dir.join("shared/specs").join(name))
        .find(|path| path.is_file())
        .unwrap_or_else(|| {
            panic!(
                "no shared/specs/{name} above {}",
                env!("CARGO_MANIFEST_DIR")
            )
        })
}

/// A running `prism mock`, killed on drop.
pub struct Prism {
    child: Child,
    pub base_url: String,
    log: Arc<Mutex<String>>,
}

impl Prism {
    /// Starts a mock of `spec` and waits until it listens. Retries on a new port when another
    /// process grabbed the one we picked in between.
    pub fn start(binary: &Path, spec: &Path) -> Prism {
        let mut last_log = String::new();
        for _ in 0..3 {
            match Prism::try_start(binary, spec) {
                Ok(prism) => return prism,
                Err(log) => last_log = log,
            }
        }
        panic!("Prism did not start for {}:\n{last_log}", spec.display());
    }

    fn try_start(binary: &Path, spec: &Path) -> Result<Prism, String> {
        let port = free_port();
        let mut child = Command::new(binary)
            .args(["mock", "-h", "127.0.0.1", "-p", &port.to_string()])
            .arg(spec)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", binary.display()));
        // Prism logs every request; the pipes must be drained or it blocks once they fill.
        let log = Arc::new(Mutex::new(String::new()));
        drain(child.stdout.take(), log.clone());
        drain(child.stderr.take(), log.clone());
        let prism = Prism {
            child,
            base_url: format!("http://127.0.0.1:{port}"),
            log,
        };

        let started = Instant::now();
        let mut prism = prism;
        loop {
            if prism.log().contains("Prism is listening") {
                return Ok(prism);
            }
            if let Ok(Some(status)) = prism.child.try_wait() {
                return Err(format!("exited with {status}\n{}", prism.log()));
            }
            if started.elapsed() > START_TIMEOUT {
                return Err(format!(
                    "not listening after {START_TIMEOUT:?}\n{}",
                    prism.log()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Everything Prism printed so far, for failure messages.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn drain(pipe: Option<impl Read + Send + 'static>, log: Arc<Mutex<String>>) {
    let Some(pipe) = pipe else { return };
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            let mut log = log.lock().unwrap();
            log.push_str(&line);
            log.push('\n');
        }
    });
}
