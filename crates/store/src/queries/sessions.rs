//! SQL of dashboard sessions and the key-revocation counter, shared by both backends.

pub(crate) const INSERT_SESSION: &str = "INSERT INTO dashboard_sessions \
     (id_hash, workspace_id, api_key_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)";

/// A live session: not expired, and its key not revoked (the revocation trigger deletes the
/// row too; the join keeps a session dead even in the instant between).
pub(crate) const SESSION: &str = "SELECT s.workspace_id, s.api_key_id, s.expires_at \
     FROM dashboard_sessions s JOIN api_keys k ON k.id = s.api_key_id \
     WHERE s.id_hash = $1 AND s.expires_at > $2 AND k.revoked_at IS NULL";

pub(crate) const DELETE_SESSION: &str = "DELETE FROM dashboard_sessions WHERE id_hash = $1";

pub(crate) const DELETE_EXPIRED_SESSIONS: &str =
    "DELETE FROM dashboard_sessions WHERE expires_at <= $1";

pub(crate) const KEY_REVOCATIONS: &str = "SELECT n FROM key_revocations WHERE id = 1";
