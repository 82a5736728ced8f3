//! The audit log's rows: who did what to a workspace, and how it ended. Written beside the
//! change (in its transaction where one store call makes it), read back filtered and paged.

use dialnexa_domain::{AuditEventId, WorkspaceId};
use jiff::Timestamp;

/// One audit row, as written and as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEvent {
    pub id: AuditEventId,
    pub workspace_id: WorkspaceId,
    pub occurred_at: Timestamp,
    /// `api_key`, `dashboard`, `operator` or `system`.
    pub actor_type: String,
    /// The key id, the dashboard session, or what the operator used (`admin_token`, `cli`).
    pub actor_id: Option<String>,
    /// The API key behind the request (also for a dashboard session opened with one).
    pub api_key_id: Option<String>,
    pub ip: Option<String>,
    pub request_id: Option<String>,
    /// e.g. `phone_number.purchase`, `agent.publish`, `api_key.revoke`.
    pub action: String,
    /// e.g. `phone_number`, `agent`, `api_key`, `workspace`.
    pub resource_type: String,
    pub resource_id: Option<String>,
    /// `success` or `failure`.
    pub outcome: String,
    /// The stable error code of a failure.
    pub error_code: Option<String>,
    /// A JSON object with what the action was about (never a secret).
    pub detail: String,
}

pub type AuditEvent = NewAuditEvent;

/// Which audit rows to list; every field narrows, `None` does not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Matches the actor id or the API key behind it.
    pub actor: Option<String>,
    pub action: Option<String>,
    /// Matches the resource id.
    pub resource: Option<String>,
    /// From this instant, inclusive.
    pub from: Option<Timestamp>,
    /// Until this instant, exclusive.
    pub to: Option<Timestamp>,
}
