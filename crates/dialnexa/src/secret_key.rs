//! The key that seals stored secrets (SIP trunk passwords). It comes from configuration; the
//! embedded SQLite default, which must work with no configuration at all, generates one on
//! first start and keeps it beside the database (mode 0600). PostgreSQL deployments share one
//! database across servers, so every server must be given the same key: there is no default.

use crate::config::ServeArgs;
use anyhow::{Context, bail};
use dialnexa_service::cipher::EncryptionKey;
use std::io::Write;
use std::path::{Path, PathBuf};

pub const KEY_FILE: &str = "dialnexa-secret.key";

/// The key `serve` runs with, or why it cannot start.
pub fn resolve(args: &ServeArgs) -> anyhow::Result<EncryptionKey> {
    if let Some(given) = &args.encryption_key {
        return EncryptionKey::from_base64(given.expose())
            .context("--encryption-key / DIALNEXA_ENCRYPTION_KEY");
    }
    if !args.database.database_url.starts_with("sqlite:") {
        bail!(
            "an encryption key is required on PostgreSQL: it seals stored SIP trunk passwords, and \
             every server sharing the database must use the same one. Generate it once with \
             `openssl rand -base64 32` and pass it as --encryption-key or DIALNEXA_ENCRYPTION_KEY"
        );
    }
    load_or_create(&key_path(args))
}

pub fn key_path(args: &ServeArgs) -> PathBuf {
    args.database.data_dir().join(KEY_FILE)
}

fn read_key(path: &Path) -> anyhow::Result<EncryptionKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the encryption key file {}", path.display()))?;
    EncryptionKey::from_base64(&text).with_context(|| format!("{}", path.display()))
}

/// Reuse the key file, or create it. Creation is atomic (a private temp file hard-linked into
/// place), so two servers starting at once on one SQLite file end up with the same key.
pub fn load_or_create(path: &Path) -> anyhow::Result<EncryptionKey> {
    if path.exists() {
        return read_key(path);
    }
    let key = EncryptionKey::generate();
    let tmp = path.with_file_name(format!("{KEY_FILE}.tmp-{}", std::process::id()));
    let written = (|| -> std::io::Result<()> {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&tmp)?;
        file.write_all(format!("{}\n", key.to_base64()).as_bytes())?;
        file.sync_all()
    })();
    let linked = written.and_then(|()| std::fs::hard_link(&tmp, path));
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => {
            tracing::info!(
                path = %path.display(),
                "generated the key that seals stored SIP trunk passwords; back it up with the database"
            );
            Ok(key)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read_key(path),
        Err(e) => Err(e)
            .with_context(|| format!("cannot write the encryption key file {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_file_is_created_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(KEY_FILE);
        let first = load_or_create(&path).unwrap();
        let again = load_or_create(&path).unwrap();
        assert_eq!(first, again);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "garbage").unwrap();
        assert!(load_or_create(&path).is_err());
    }
}
