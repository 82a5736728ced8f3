//! `dialnexa` as a child process: `serve`, `carrier-emulator` and one-shot CLI commands. Each
//! binds its own port (port 0) and the test reads the address back from its stdout; every read
//! of a child's output has a deadline, and a failure shows the child's stdout and stderr.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Bounds a start-up or a CLI command that hangs; a debug build on a busy machine needs time.
pub const CHILD_WITHIN: Duration = Duration::from_secs(90);

const LISTENING: &str = "DialNexa Numbers listening on ";
const EMBEDDED_EMULATOR: &str = "carrier emulator (Twilio, Plivo and Telnyx wire formats) on ";
const EMULATOR_LISTENING: &str = "carrier emulator listening on ";

/// A long-running child, killed when dropped (also when the test panics).
pub struct Proc {
    pub name: String,
    child: Child,
    /// Its stderr, in a file beside the test's data.
    log: PathBuf,
    lines: mpsc::UnboundedReceiver<String>,
    stdout: Vec<String>,
}

impl Proc {
    /// Starts `dialnexa ARGS` in `dir`, with `env` added to the environment.
    pub fn spawn(name: &str, dir: &Path, args: &[String], env: &[(&str, &str)]) -> Proc {
        let log = unused_path(dir, name);
        let stderr = std::fs::File::create(&log).expect("create the child's log file");
        let mut command = Command::new(env!("CARGO_BIN_EXE_dialnexa"));
        command
            .args(args)
            .current_dir(dir)
            .env("DIALNEXA_LOG", "warn,sqlx=warn")
            .env_remove("DATABASE_URL")
            .env_remove("DIALNEXA_FAILPOINTS")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr);
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command.spawn().expect("start the dialnexa binary");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = mpsc::unbounded_channel();
        // Drains stdout to the end, so the child never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        Proc {
            name: name.to_owned(),
            child,
            log,
            lines,
            stdout: Vec::new(),
        }
    }

    /// The rest of the next stdout line that starts with `prefix`.
    pub async fn line(&mut self, prefix: &str) -> String {
        let deadline = tokio::time::Instant::now() + CHILD_WITHIN;
        loop {
            match tokio::time::timeout_at(deadline, self.lines.recv()).await {
                Ok(Some(line)) => {
                    self.stdout.push(line.clone());
                    if let Some(rest) = line.strip_prefix(prefix) {
                        return rest.trim().to_owned();
                    }
                }
                Ok(None) => panic!(
                    "{} ended without printing \"{prefix}\" ({:?}); {}",
                    self.name,
                    self.child.try_wait(),
                    self.output()
                ),
                Err(_) => panic!(
                    "{} printed no \"{prefix}\" within {CHILD_WITHIN:?}; {}",
                    self.name,
                    self.output()
                ),
            }
        }
    }

    /// What the child printed so far, for failure messages.
    pub fn output(&self) -> String {
        format!(
            "stdout:\n{}\nstderr:\n{}",
            self.stdout.join("\n"),
            self.log_text()
        )
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The exit code once the child has exited by itself (`None`: killed by a signal).
    pub async fn exit_code(&mut self) -> Option<i32> {
        let deadline = Instant::now() + CHILD_WITHIN;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for the child") {
                return status.code();
            }
            assert!(
                Instant::now() < deadline,
                "{} did not exit; {}",
                self.name,
                self.output()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Ends the child at once, as a crash or `kill -9` would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `dir/NAME.log`, or `dir/NAME-2.log` and on when a restart reuses the name.
fn unused_path(dir: &Path, name: &str) -> PathBuf {
    (1..)
        .map(|n| match n {
            1 => dir.join(format!("{name}.log")),
            n => dir.join(format!("{name}-{n}.log")),
        })
        .find(|p| !p.exists())
        .expect("a free log name")
}

/// A running `dialnexa serve`.
pub struct Server {
    pub proc: Proc,
    /// `http://127.0.0.1:PORT`, the port the server chose.
    pub url: String,
    /// The embedded carrier emulator's base URL, unless it runs with `--emulator off`.
    pub emulator: Option<String>,
}

impl Server {
    /// `dialnexa serve ARGS` on port 0, waiting until it prints where it listens.
    pub async fn start(name: &str, dir: &Path, args: &[String], env: &[(&str, &str)]) -> Server {
        let mut all = vec!["serve".to_owned(), "--listen".into(), "127.0.0.1:0".into()];
        all.extend_from_slice(args);
        let embedded = !args
            .windows(2)
            .any(|w| w[0] == "--emulator" && w[1] == "off");
        let mut proc = Proc::spawn(name, dir, &all, env);
        let url = proc.line(LISTENING).await;
        let emulator = if embedded {
            Some(proc.line(EMBEDDED_EMULATOR).await)
        } else {
            None
        };
        Server {
            proc,
            url,
            emulator,
        }
    }

    /// The embedded emulator's URL; panics for a server started with `--emulator off`.
    pub fn emulator(&self) -> &str {
        self.emulator
            .as_deref()
            .expect("this server runs the embedded emulator")
    }
}

/// A running `dialnexa carrier-emulator` on port 0 with its state in `dir`.
pub async fn start_emulator(dir: &Path) -> (Proc, String) {
    let args = [
        "carrier-emulator".to_owned(),
        "--listen".into(),
        "127.0.0.1:0".into(),
        "--state".into(),
        dir.join("emulator-state.db").display().to_string(),
    ];
    let mut proc = Proc::spawn("emulator", dir, &args, &[]);
    let url = proc.line(EMULATOR_LISTENING).await;
    (proc, url.trim_end_matches('/').to_owned())
}

/// What a one-shot command did.
#[derive(Debug)]
pub struct Ran {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    /// Its stdout, after checking that it succeeded.
    #[track_caller]
    pub fn ok(&self) -> &str {
        assert_eq!(self.code, Some(0), "the command failed: {self:#?}");
        &self.stdout
    }
}

/// Runs `dialnexa ARGS` to its end (killed after `CHILD_WITHIN`), without blocking the runtime
/// that may be serving its requests.
pub async fn dialnexa(args: &[&str], env: &[(&str, &str)]) -> Ran {
    let stderr = tempfile::NamedTempFile::new().expect("a file for the command's stderr");
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_dialnexa"));
    command
        .args(args)
        .env("DIALNEXA_LOG", "error")
        .env_remove("DATABASE_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr.reopen().expect("reopen the stderr file"))
        .kill_on_drop(true);
    for (k, v) in env {
        command.env(k, v);
    }
    let child = command.spawn().expect("start the dialnexa binary");
    let finished = tokio::time::timeout(CHILD_WITHIN, child.wait_with_output()).await;
    let stderr = std::fs::read_to_string(stderr.path()).unwrap_or_default();
    match finished {
        Ok(Ok(out)) => Ran {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr,
        },
        Ok(Err(e)) => panic!("dialnexa {args:?} could not be waited for: {e}; stderr:\n{stderr}"),
        Err(_) => {
            panic!("dialnexa {args:?} did not finish within {CHILD_WITHIN:?}; stderr:\n{stderr}")
        }
    }
}
