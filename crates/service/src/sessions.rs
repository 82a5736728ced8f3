//! Dashboard sessions, kept on the server: signing in with an API key opens one under a random
//! id (the cookie's value; only its SHA-256 is stored) that expires after `SESSION_TTL`, ends
//! on sign-out, and ends with the key it was opened with. A copied cookie is worth nothing
//! after any of these, unlike the API key it replaces.
//!
//! The sign-in form, which comes before any session, is bound to a pre-session: a random id in
//! its own cookie, and a form token that is an HMAC of that id under a key of the deployment
//! (derived from `--encryption-key`, the same on every server). A token is only good with the
//! cookie it was made for, and only the server can make one.

use crate::auth::hash_key;
use crate::cipher::EncryptionKey;
use crate::{Caller, ErrorKind, ServiceError, ServiceResult, Services};
use dialnexa_domain::{ApiKeyId, WorkspaceId};
use dialnexa_store::NewSession;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use std::time::Duration;

/// A session lasts a working day; signing in again is one paste.
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 60 * 60);
const SIGN_IN_CONTEXT: &[u8] = b"dialnexa dashboard sign-in v1";

/// A session just opened: `token` goes into the cookie and nowhere else.
#[derive(Clone)]
pub struct OpenedSession {
    pub token: String,
    pub caller: Caller,
}

impl std::fmt::Debug for OpenedSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenedSession")
            .field("token", &"<redacted>")
            .field("caller", &self.caller)
            .finish()
    }
}

/// A random id, hex: 256 bits nobody can guess.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The key signing sign-in forms: derived from the deployment's encryption key, so every
/// server sharing a database accepts the others' forms; random (this process only) without one.
pub(crate) fn sign_in_key(key: Option<&EncryptionKey>) -> [u8; 32] {
    match key {
        Some(key) => key.derive(SIGN_IN_CONTEXT),
        None => rand::random(),
    }
}

fn no_session() -> ServiceError {
    ServiceError::new(
        ErrorKind::Unauthorized,
        "unauthorized",
        "This dashboard session has ended: sign in again.",
    )
}

impl Services {
    /// Sign in with an API key: a new session of its workspace. Expired sessions of anyone are
    /// cleaned up on the way, so the table holds live sessions and a day's worth at most.
    #[tracing::instrument(skip_all)]
    pub async fn open_session(&self, api_key: &str) -> ServiceResult<OpenedSession> {
        // Refuses malformed keys without a database read, as the API does.
        self.authenticate(api_key).await?;
        let (workspace_id, api_key_id) = self
            .store
            .authenticate_key(&hash_key(api_key))
            .await?
            .ok_or_else(|| {
                ServiceError::new(
                    ErrorKind::Unauthorized,
                    "unauthorized",
                    "API key is missing or invalid",
                )
            })?;
        let now = self.clock.now();
        let ttl = jiff::SignedDuration::try_from(SESSION_TTL)
            .map_err(|e| ServiceError::internal(e.to_string()))?;
        let token = random_token();
        self.store
            .insert_session(&NewSession {
                id_hash: hash_key(&token),
                workspace_id: workspace_id.clone(),
                api_key_id: api_key_id.clone(),
                created_at: now,
                expires_at: now + ttl,
            })
            .await?;
        if let Err(e) = self.store.delete_expired_sessions(now).await {
            tracing::warn!(error = %e, "could not clean up expired dashboard sessions");
        }
        let caller = dashboard_caller(workspace_id, &token, api_key_id);
        Ok(OpenedSession { token, caller })
    }

    /// The workspace of a live session; `Unauthorized` once it expired, was signed out, or
    /// lost its key.
    pub async fn session(&self, token: &str) -> ServiceResult<Caller> {
        if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(no_session());
        }
        let record = self
            .store
            .session(&hash_key(token), self.clock.now())
            .await?
            .ok_or_else(no_session)?;
        Ok(dashboard_caller(
            record.workspace_id,
            token,
            record.api_key_id,
        ))
    }

    /// Sign out: the session ends on every server at once.
    pub async fn close_session(&self, token: &str) -> ServiceResult<()> {
        self.store.delete_session(&hash_key(token)).await?;
        Ok(())
    }

    fn sign_in_mac(&self, pre_session: &str) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(self.sign_in_key.as_slice())
            .expect("HMAC accepts keys of any length");
        mac.update(pre_session.as_bytes());
        mac
    }

    /// The sign-in form's token for the pre-session `pre_session`.
    pub fn sign_in_token(&self, pre_session: &str) -> String {
        hex::encode(self.sign_in_mac(pre_session).finalize().into_bytes())
    }

    /// Whether `given` is the token of `pre_session` (in constant time).
    pub fn sign_in_token_ok(&self, pre_session: &str, given: &str) -> bool {
        hex::decode(given.trim())
            .is_ok_and(|bytes| self.sign_in_mac(pre_session).verify_slice(&bytes).is_ok())
    }
}

/// The caller of a dashboard request: the session (named by a prefix of its stored hash, which
/// the audit log may show: it opens nothing) and the key that opened it.
fn dashboard_caller(workspace_id: WorkspaceId, token: &str, key: ApiKeyId) -> Caller {
    let actor = crate::actor::Actor::new(crate::actor::ActorKind::Dashboard {
        session: format!("ses_{}", &hash_key(token)[..20]),
        key,
    });
    Caller::new(workspace_id, actor)
}
