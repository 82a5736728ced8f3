//! The emulator driven by the carriers' official Python SDKs from PyPI (`twilio`, `plivo`,
//! `telnyx`, pinned in `tests/sdk/requirements.txt`): real clients nobody here wrote. The
//! SDK tests themselves are pytest files in `tests/sdk/`; this starts an emulator for them,
//! installs the SDKs (`scripts/python-sdks.sh`) and fails with pytest's output when any fails.
//! `DIALNEXA_SKIP_SDK=1` skips on purpose, and says so.

use dialnexa_emulator::{EmulatorConfig, start};
use std::path::Path;
use std::process::Command;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_sdks_search_buy_change_and_release_numbers() {
    if std::env::var("DIALNEXA_SKIP_SDK").as_deref() == Ok("1") {
        eprintln!("DIALNEXA_SKIP_SDK=1: the official SDK test is SKIPPED; it did not run");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let install = Command::new("bash")
        .arg(root.join("scripts/python-sdks.sh"))
        .arg("python")
        .output()
        .expect("bash runs");
    assert!(
        install.status.success(),
        "installing the SDKs failed (set DIALNEXA_SKIP_SDK=1 to skip on purpose):\n{}",
        String::from_utf8_lossy(&install.stderr)
    );
    let python = String::from_utf8(install.stdout).unwrap().trim().to_owned();

    let emulator = start(EmulatorConfig::default()).await.unwrap();
    let config = emulator.config().clone();
    let tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk");
    // pytest blocks; the emulator answers on the runtime's other thread meanwhile.
    let run = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
            .arg(&tests)
            .env("EMULATOR_URL", emulator.base_url())
            .env("EMULATOR_TWILIO_ACCOUNT_SID", &config.twilio.account_sid)
            .env("EMULATOR_TWILIO_AUTH_TOKEN", &config.twilio.auth_token)
            .env("EMULATOR_PLIVO_AUTH_ID", &config.plivo.auth_id)
            .env("EMULATOR_PLIVO_AUTH_TOKEN", &config.plivo.auth_token)
            .env("EMULATOR_TELNYX_API_KEY", &config.telnyx.api_key)
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .output()
            .map(|out| (out, emulator))
    });
    let (out, _emulator) = run.await.unwrap().expect("python runs");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "the official SDKs failed:\n{report}");
    // Six SDK tests (two per carrier): none may go missing unnoticed.
    assert!(report.contains("6 passed"), "{report}");
}
