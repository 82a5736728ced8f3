//! Finding and running Prism for the contract tests: each test starts the mock it needs on a
//! free port and stops it on drop, so `cargo test` alone runs the contract once Prism is
//! installed (`scripts/prism.sh install`).

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const START_TIMEOUT: Duration = Duration::from_secs(90);

/// Where `scripts/prism.sh install` puts Prism and Twilio's document.
fn install_dir() -> Option<PathBuf> {
    std::env::var_os("PRISM_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|home| Path::new(&home).join(".cache/dialnexa-prism"))
        })
}

/// Whether the environment asked, explicitly, to run without Prism.
fn skipping() -> bool {
    std::env::var("DIALNEXA_SKIP_PRISM").as_deref() == Ok("1")
}

/// `path` if it is a file; otherwise `None` when skipping was asked for (said on stderr), and
/// a panic when not, so a machine without Prism can never pass these tests by accident.
fn installed(what: &str, path: Option<PathBuf>, test: &str) -> Option<PathBuf> {
    match path {
        Some(path) if path.is_file() => Some(path),
        _ if skipping() => {
            eprintln!("DIALNEXA_SKIP_PRISM=1: {test} SKIPPED (no {what}); it did not run");
            None
        }
        other => panic!(
            "{what} is not installed (looked at {other:?}). Run `bash scripts/prism.sh install`, \
             or set DIALNEXA_SKIP_PRISM=1 to skip the Prism tests on purpose."
        ),
    }
}

/// The Prism binary (`PRISM_BIN`, or the install dir), or `None` when skipping on purpose.
pub fn binary(test: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PRISM_BIN")
        .map(PathBuf::from)
        .or_else(|| Some(install_dir()?.join("node_modules/.bin/prism")));
    installed("Prism", path, test)
}

/// Twilio's own api_v2010 document from the npm registry, as installed by `prism.sh`.
pub fn twilio_document(test: &str) -> Option<PathBuf> {
    let path = install_dir().map(|dir| dir.join("twilio_api_v2010.json"));
    installed("Twilio's OpenAPI document", path, test)
}

/// One of the project's own contract documents, `crates/carriers/contracts/NAME`.
pub fn contract(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("contracts")
        .join(name)
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
        Prism::start_with(binary, spec, None)
    }

    /// Starts a validating proxy in front of `upstream`: Prism forwards every request and
    /// reports what breaks `spec`, in the request or in the answer, in `sl-violations`.
    pub fn proxy(binary: &Path, spec: &Path, upstream: &str) -> Prism {
        Prism::start_with(binary, spec, Some(upstream))
    }

    fn start_with(binary: &Path, spec: &Path, upstream: Option<&str>) -> Prism {
        Prism::try_start(binary, spec, upstream)
            .unwrap_or_else(|log| panic!("Prism did not start for {}:\n{log}", spec.display()))
    }

    fn try_start(binary: &Path, spec: &Path, upstream: Option<&str>) -> Result<Prism, String> {
        // `prism mock DOCUMENT` or `prism proxy DOCUMENT UPSTREAM`, on a port Prism binds
        // itself (port 0) and names in its "listening" line.
        let command = if upstream.is_some() { "proxy" } else { "mock" };
        let mut child = Command::new(binary)
            .args([command, "-h", "127.0.0.1", "-p", "0"])
            .arg(spec)
            .args(upstream)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", binary.display()));
        // Prism logs every request; the pipes must be drained or it blocks once they fill.
        let log = Arc::new(Mutex::new(String::new()));
        drain(child.stdout.take(), log.clone());
        drain(child.stderr.take(), log.clone());
        let mut prism = Prism {
            child,
            base_url: String::new(),
            log,
        };

        let started = Instant::now();
        loop {
            if let Some(url) = listening_on(&prism.log()) {
                prism.base_url = url;
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

/// The address in Prism's "Prism is listening on http://127.0.0.1:PORT" line.
fn listening_on(log: &str) -> Option<String> {
    let (_, rest) = log.split_once("Prism is listening on ")?;
    let url = rest.split_whitespace().next()?;
    url.rsplit_once(':')
        .is_some_and(|(_, port)| port.parse::<u16>().is_ok_and(|p| p != 0))
        .then(|| url.trim_end_matches('/').to_owned())
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
