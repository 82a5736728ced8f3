//! First start: a demo workspace (US, GB and IN enabled; KYC approved for IN) and its API key,
//! printed once and kept in a file readable only by its owner.

use anyhow::Context;
use dialnexa_domain::{CountryIso, Provider};
use dialnexa_service::Services;
use dialnexa_service::auth::WorkspaceSpec;
use std::path::{Path, PathBuf};

pub const DEMO_KEY_FILE: &str = "dialnexa-demo-key.txt";

#[derive(Clone)]
pub struct DemoKey {
    pub workspace_id: String,
    pub secret: String,
    pub path: PathBuf,
}

impl std::fmt::Debug for DemoKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoKey")
            .field("workspace_id", &self.workspace_id)
            .field("path", &self.path)
            .finish()
    }
}

/// Creates the demo workspace when the database has no workspace at all.
pub async fn ensure_demo_workspace(
    services: &Services,
    dir: &Path,
) -> anyhow::Result<Option<DemoKey>> {
    if !services.list_workspaces().await?.is_empty() {
        return Ok(None);
    }
    let country = |c: &str| CountryIso::parse(c).expect("static country code");
    let workspace = services
        .create_workspace(WorkspaceSpec {
            name: "Demo workspace".into(),
            enabled_countries: vec![country("US"), country("GB"), country("IN")],
            default_provider: Provider::Twilio,
            approved_kyc: vec![country("IN")],
        })
        .await?;
    let key = services
        .create_api_key(
            &dialnexa_service::Actor::system("demo"),
            &workspace.id,
            "demo",
        )
        .await?;
    let path = dir.join(DEMO_KEY_FILE);
    write_private(&path, &format!("{}\n", key.secret))
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(Some(DemoKey {
        workspace_id: workspace.id.to_string(),
        secret: key.secret,
        path,
    }))
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(contents.as_bytes())
}
