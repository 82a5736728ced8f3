//! API keys: random secrets shown once and stored as SHA-256 hashes, and the workspaces they
//! open. A high-entropy key needs no slow password hash: nobody can brute-force 190 bits.

use crate::audit::{AuditEntry, actions};
use crate::model::{ApiKey, Workspace};
use crate::{Actor, Caller, ServiceError, ServiceResult, Services};
use dialnexa_domain::{ApiKeyId, CountryIso, KycStatus, Provider, WorkspaceId};
use dialnexa_store::{NewApiKey, NewWorkspace};
use rand::Rng;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const KEY_PREFIX: &str = "dnx_live_";
const KEY_RANDOM_LEN: usize = 32;
const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A freshly created key: the secret exists only in this value.
#[derive(Clone)]
pub struct CreatedKey {
    pub key: ApiKey,
    pub secret: String,
}

impl std::fmt::Debug for CreatedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedKey")
            .field("key", &self.key)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// The key's SHA-256 in lowercase hex, as stored. Encoded into a buffer: `hex::encode` builds
/// its string a `char` at a time, which cost every authenticated request 2.6 % of a cached GET.
pub fn hash_key(secret: &str) -> String {
    let mut hex = [0u8; 64];
    hex::encode_to_slice(Sha256::digest(secret.as_bytes()), &mut hex)
        .expect("64 hex digits for 32 bytes");
    String::from_utf8(hex.to_vec()).expect("hex digits are UTF-8")
}

fn generate_secret() -> String {
    let mut rng = rand::rng();
    let random: String = (0..KEY_RANDOM_LEN)
        .map(|_| BASE62[rng.random_range(0..BASE62.len())] as char)
        .collect();
    format!("{KEY_PREFIX}{random}")
}

/// Keys this process verified recently, by hash, so a request does not read the database to
/// authenticate. Every revocation, through any server, moves the store's revocation counter,
/// which each request reads (cheaply: on PostgreSQL in the batched token query); a counter
/// other than the one the cache was filled under empties it, so a revoked key is refused at
/// once everywhere. A zero `ttl` turns it off. Only keys that verified are kept, so wrong keys
/// cannot fill it.
#[derive(Debug)]
pub(crate) struct KeyCache {
    ttl: Duration,
    entries: Mutex<Entries>,
}

#[derive(Debug, Default)]
struct Entries {
    /// The revocation counter the entries were verified under.
    revocations: u64,
    keys: HashMap<String, (Caller, Instant)>,
}

/// Past this many keys the cache starts again from empty rather than tracking age.
const KEY_CACHE_MAX: usize = 10_000;

impl KeyCache {
    pub(crate) fn new(ttl: Duration) -> Self {
        KeyCache {
            ttl,
            entries: Mutex::new(Entries::default()),
        }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn enabled(&self) -> bool {
        !self.ttl.is_zero()
    }

    /// The key's caller, if it was verified within `ttl` and no key was revoked since
    /// (`revocations` is the store's counter, read for this request).
    fn get(&self, hash: &str, revocations: u64) -> Option<Caller> {
        let mut entries = self.entries();
        if entries.revocations != revocations {
            entries.keys.clear();
            entries.revocations = revocations;
            return None;
        }
        let (caller, at) = entries.keys.get(hash)?;
        (at.elapsed() < self.ttl).then(|| caller.clone())
    }

    /// The workspace of a key verified before, whether or not it may still be used.
    fn workspace_of(&self, hash: &str) -> Option<WorkspaceId> {
        let entries = self.entries();
        entries
            .keys
            .get(hash)
            .map(|(caller, _)| caller.workspace_id.clone())
    }

    /// Remember a key verified under `revocations`.
    fn put(&self, hash: String, caller: Caller, revocations: u64) {
        if !self.enabled() {
            return;
        }
        let mut entries = self.entries();
        if entries.revocations != revocations {
            return;
        }
        if entries.keys.len() >= KEY_CACHE_MAX {
            entries.keys.clear();
        }
        entries.keys.insert(hash, (caller, Instant::now()));
    }

    fn clear(&self) {
        self.entries().keys.clear();
    }
}

/// What a new workspace starts with.
#[derive(Debug, Clone)]
pub struct WorkspaceSpec {
    pub name: String,
    pub enabled_countries: Vec<CountryIso>,
    pub default_provider: Provider,
    pub approved_kyc: Vec<CountryIso>,
}

impl Services {
    /// Resolve a bearer secret to its workspace and key; `Unauthorized` for anything else. The
    /// caller's address and request id are the front-end's to add.
    pub async fn authenticate(&self, secret: &str) -> ServiceResult<Caller> {
        let unauthorized = || {
            ServiceError::new(
                crate::ErrorKind::Unauthorized,
                "unauthorized",
                "API key is missing or invalid",
            )
        };
        if !secret.starts_with(KEY_PREFIX) || secret.len() > 128 {
            return Err(unauthorized());
        }
        let hash = hash_key(secret);
        // Read before the key: a revocation committed after this read is seen next request.
        let revocations = if self.keys.enabled() {
            // A key verified before names its workspace, whose change token is read in the same
            // look as the count, for the request's cached reads (`Caller::token_at_auth`).
            let (revocations, token) = match self.keys.workspace_of(&hash) {
                Some(workspace) => {
                    let (revocations, token) = self.store.revocations_and_token(&workspace).await?;
                    (revocations, token.map(|token| (workspace, token)))
                }
                None => (self.store.key_revocations().await?, None),
            };
            if let Some(mut caller) = self.keys.get(&hash, revocations) {
                caller.token_at_auth = token
                    .filter(|(workspace, _)| *workspace == caller.workspace_id)
                    .map(|(_, token)| token);
                return Ok(caller);
            }
            Some(revocations)
        } else {
            None
        };
        let (workspace_id, key_id) = self
            .store
            .authenticate_key(&hash)
            .await?
            .ok_or_else(unauthorized)?;
        let caller = Caller::with_key(workspace_id, key_id);
        if let Some(revocations) = revocations {
            self.keys.put(hash, caller.clone(), revocations);
        }
        Ok(caller)
    }

    pub async fn create_workspace(&self, spec: WorkspaceSpec) -> ServiceResult<Workspace> {
        let name = spec.name.trim();
        crate::input::no_nul("name", name)?;
        if name.is_empty() || name.chars().count() > 255 {
            return Err(ServiceError::bad_request(
                "invalid_name",
                "A workspace name is required and must be at most 255 characters.",
            ));
        }
        if !spec.default_provider.is_carrier() {
            return Err(ServiceError::bad_request(
                "invalid_provider",
                "The default provider must be a carrier: twilio, plivo or telnyx.",
            ));
        }
        let now = self.clock.now();
        let workspace = self
            .store
            .create_workspace(&NewWorkspace {
                id: WorkspaceId::generate(),
                name: name.to_owned(),
                default_provider: spec.default_provider,
                enabled_countries: spec.enabled_countries,
                created_at: now,
            })
            .await?;
        for country in spec.approved_kyc {
            self.store
                .set_kyc_status(&workspace.id, country, KycStatus::Approved, now)
                .await?;
        }
        Ok(workspace.into())
    }

    /// A new key of `workspace`, made by `actor` (the operator, or someone signed in to the
    /// workspace's dashboard); audited, without its secret.
    pub async fn create_api_key(
        &self,
        actor: &Actor,
        workspace: &WorkspaceId,
        name: &str,
    ) -> ServiceResult<CreatedKey> {
        let entry = AuditEntry::new(actions::API_KEY_CREATE, "api_key")
            .with(serde_json::json!({ "name": name.trim() }));
        let created = self.create_api_key_unaudited(workspace, name).await;
        if matches!(&created, Err(e) if e.kind == crate::ErrorKind::NotFound) {
            // No such workspace: there is no log to write it in.
            return created;
        }
        self.audited_as(actor, workspace, entry, created, |k| {
            Some(k.key.id.to_string())
        })
        .await
    }

    async fn create_api_key_unaudited(
        &self,
        workspace: &WorkspaceId,
        name: &str,
    ) -> ServiceResult<CreatedKey> {
        crate::input::no_nul("name", name)?;
        if self.store.get_workspace(workspace).await?.is_none() {
            return Err(ServiceError::not_found("Workspace"));
        }
        let secret = generate_secret();
        let new = NewApiKey {
            id: ApiKeyId::generate(),
            workspace_id: workspace.clone(),
            name: name.trim().chars().take(255).collect(),
            key_hash: hash_key(&secret),
            key_prefix: secret.chars().take(KEY_PREFIX.len() + 4).collect(),
            created_at: self.clock.now(),
        };
        self.store.insert_api_key(&new).await?;
        let key = ApiKey {
            id: new.id,
            workspace_id: new.workspace_id,
            name: new.name,
            key_prefix: new.key_prefix,
            created_at: new.created_at,
            revoked_at: None,
        };
        Ok(CreatedKey { key, secret })
    }

    pub async fn list_api_keys(&self, caller: &Caller) -> ServiceResult<Vec<ApiKey>> {
        let keys = self.store.list_api_keys(&caller.workspace_id).await?;
        Ok(keys.into_iter().map(Into::into).collect())
    }

    pub async fn revoke_api_key(&self, caller: &Caller, id: &str) -> ServiceResult<()> {
        let entry = AuditEntry::new(actions::API_KEY_REVOKE, "api_key").on(id.trim());
        let revoked = self.revoke_api_key_unaudited(caller, id).await;
        self.audited(caller, entry, revoked, |_| None).await
    }

    async fn revoke_api_key_unaudited(&self, caller: &Caller, id: &str) -> ServiceResult<()> {
        let id = ApiKeyId::parse(id).ok_or_else(|| ServiceError::not_found("API key"))?;
        match self
            .store
            .revoke_api_key(&caller.workspace_id, &id, self.clock.now())
            .await
            .inspect(|()| self.keys.clear())
        {
            Err(dialnexa_store::StoreError::NotFound) => Err(ServiceError::not_found("API key")),
            other => Ok(other?),
        }
    }

    pub async fn list_workspaces(&self) -> ServiceResult<Vec<Workspace>> {
        let workspaces = self.store.list_workspaces().await?;
        Ok(workspaces.into_iter().map(Into::into).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Stored hashes are lowercase hex SHA-256: keys issued before still match.
    #[test]
    fn a_key_hashes_to_its_sha256_in_lowercase_hex() {
        assert_eq!(
            hash_key("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn secrets_are_long_random_and_prefixed() {
        let a = generate_secret();
        let b = generate_secret();
        assert!(a.starts_with(KEY_PREFIX));
        assert_eq!(a.len(), KEY_PREFIX.len() + KEY_RANDOM_LEN);
        assert_ne!(a, b);
        assert_ne!(hash_key(&a), hash_key(&b));
        assert_eq!(hash_key(&a).len(), 64);
    }
}
