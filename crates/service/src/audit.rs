//! The audit log: every change a workspace's actors ask for, with who asked (API key, dashboard
//! session or operator; the client's address; the request's id), what it was about and how it
//! ended. Where one store call makes the change (agents) the row is written in its
//! transaction; elsewhere it is written right after, with the outcome. A row that cannot be
//! written is logged, never turned into the failure of a change that already happened.

use crate::{Actor, Caller, ServiceError, ServiceResult, Services, input, model::Page};
use dialnexa_domain::{AuditEventId, WorkspaceId};
use dialnexa_store::{AuditFilter, NewAuditEvent};
use jiff::{SignedDuration, Timestamp};

/// How long rows are kept; the retention worker deletes older ones.
pub const RETENTION: SignedDuration = SignedDuration::from_hours(400 * 24);
/// Rows one retention round deletes per statement.
const PRUNE_BATCH: u32 = 1_000;
/// The longest filter value accepted: ids and action names are far shorter.
const MAX_FILTER_CHARS: usize = 128;

/// The actions recorded, as the log and its `action` filter name them.
pub mod actions {
    pub const NUMBER_PURCHASE: &str = "phone_number.purchase";
    pub const NUMBER_RELEASE: &str = "phone_number.release";
    pub const NUMBER_UPDATE: &str = "phone_number.update";
    pub const SIP_TRUNK_LINK: &str = "phone_number.sip_trunk_link";
    pub const AGENT_CREATE: &str = "agent.create";
    pub const AGENT_UPDATE: &str = "agent.update";
    pub const AGENT_PUBLISH: &str = "agent.publish";
    pub const AGENT_DELETE: &str = "agent.delete";
    pub const TELEPHONY_CONFIG_UPDATE: &str = "workspace.telephony_config.update";
    pub const DEFAULT_NUMBER_SET: &str = "workspace.default_phone_number.set";
    pub const API_KEY_CREATE: &str = "api_key.create";
    pub const API_KEY_REVOKE: &str = "api_key.revoke";
    pub const KYC_DECIDE: &str = "kyc.decide";
    pub const RESERVATION_CREATE: &str = "reservation.create";
    pub const RESERVATION_RELEASE: &str = "reservation.release";
    pub const ORDER_CREATE: &str = "order.create";
    pub const WEBHOOK_CREATE: &str = "webhook.create";
    pub const WEBHOOK_UPDATE: &str = "webhook.update";
    pub const WEBHOOK_DELETE: &str = "webhook.delete";
}

/// What one audit row is about, before its outcome is known.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub action: &'static str,
    pub resource_type: &'static str,
    pub resource_id: Option<String>,
    /// What the request asked for (never a secret).
    pub detail: serde_json::Value,
}

impl AuditEntry {
    pub fn new(action: &'static str, resource_type: &'static str) -> Self {
        AuditEntry {
            action,
            resource_type,
            resource_id: None,
            detail: serde_json::json!({}),
        }
    }

    pub fn on(mut self, id: impl Into<String>) -> Self {
        self.resource_id = Some(id.into());
        self
    }

    pub fn with(mut self, detail: serde_json::Value) -> Self {
        self.detail = detail;
        self
    }
}

/// One row of the log, as the service hands it out.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    pub id: AuditEventId,
    pub occurred_at: Timestamp,
    pub actor_type: String,
    pub actor_id: Option<String>,
    pub api_key_id: Option<String>,
    pub ip: Option<String>,
    pub request_id: Option<String>,
    pub action: String,
    pub resource_type: String,
    pub resource_id: Option<String>,
    pub outcome: String,
    pub error_code: Option<String>,
    pub detail: serde_json::Value,
}

impl From<NewAuditEvent> for AuditEvent {
    fn from(e: NewAuditEvent) -> Self {
        AuditEvent {
            id: e.id,
            occurred_at: e.occurred_at,
            actor_type: e.actor_type,
            actor_id: e.actor_id,
            api_key_id: e.api_key_id,
            ip: e.ip,
            request_id: e.request_id,
            action: e.action,
            resource_type: e.resource_type,
            resource_id: e.resource_id,
            outcome: e.outcome,
            error_code: e.error_code,
            detail: serde_json::from_str(&e.detail).unwrap_or_default(),
        }
    }
}

/// `GET /v1/audit-events` as asked for; [`AuditQuery::parse`] checks it once.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub page: Option<i64>,
    pub limit: Option<i64>,
    /// An API key id (`key_…`, also matching what its dashboard sessions did), a dashboard
    /// session, or `admin_token`/`cli` for the operator.
    pub actor: Option<String>,
    pub action: Option<String>,
    pub resource: Option<String>,
    /// RFC 3339, inclusive.
    pub from: Option<String>,
    /// RFC 3339, exclusive.
    pub to: Option<String>,
}

fn filter_value(field: &'static str, raw: &Option<String>) -> ServiceResult<Option<String>> {
    let Some(value) = input::present(raw) else {
        return Ok(None);
    };
    if value.chars().count() > MAX_FILTER_CHARS || value.chars().any(char::is_control) {
        return Err(ServiceError::bad_request(
            "invalid_filter",
            format!("{field} must be at most {MAX_FILTER_CHARS} characters, on one line."),
        )
        .on(field));
    }
    Ok(Some(value.to_owned()))
}

impl AuditQuery {
    pub fn parse(&self) -> ServiceResult<(AuditFilter, Page)> {
        let page = Page::parse(self.page, self.limit)?;
        // A time given blank is not a time: only an absent one means "unbounded".
        let time = |field, raw: &Option<String>| {
            raw.as_deref()
                .map(|t| input::instant(field, t.trim()))
                .transpose()
        };
        let filter = AuditFilter {
            actor: filter_value("actor", &self.actor)?,
            action: filter_value("action", &self.action)?,
            resource: filter_value("resource", &self.resource)?,
            from: time("from", &self.from)?,
            to: time("to", &self.to)?,
        };
        Ok((filter, page))
    }
}

impl Services {
    /// The row recording `entry` done by `actor` in `workspace`, and how it ended.
    pub(crate) fn audit_row(
        &self,
        workspace: &WorkspaceId,
        actor: &Actor,
        entry: &AuditEntry,
        outcome: Result<(), &ServiceError>,
    ) -> NewAuditEvent {
        NewAuditEvent {
            id: AuditEventId::generate(),
            workspace_id: workspace.clone(),
            occurred_at: self.clock.now(),
            actor_type: actor.type_name().to_owned(),
            actor_id: Some(actor.id()),
            api_key_id: actor.key().map(ToString::to_string),
            ip: actor.ip.map(|ip| ip.to_string()),
            request_id: actor.request_id.clone(),
            action: entry.action.to_owned(),
            resource_type: entry.resource_type.to_owned(),
            resource_id: entry.resource_id.clone(),
            outcome: if outcome.is_ok() {
                "success"
            } else {
                "failure"
            }
            .to_owned(),
            error_code: outcome.err().map(|e| e.code.to_owned()),
            detail: entry.detail.to_string(),
        }
    }

    /// Record how `result` ended, then hand it back. `id_of` names the resource a success
    /// made or touched, when the entry could not name it beforehand.
    pub(crate) async fn audited<T>(
        &self,
        caller: &Caller,
        entry: AuditEntry,
        result: ServiceResult<T>,
        id_of: impl FnOnce(&T) -> Option<String>,
    ) -> ServiceResult<T> {
        self.audited_as(&caller.actor, &caller.workspace_id, entry, result, id_of)
            .await
    }

    /// [`Services::audited`] for an actor acting on a workspace from outside it (the operator).
    pub(crate) async fn audited_as<T>(
        &self,
        actor: &Actor,
        workspace: &WorkspaceId,
        mut entry: AuditEntry,
        result: ServiceResult<T>,
        id_of: impl FnOnce(&T) -> Option<String>,
    ) -> ServiceResult<T> {
        if let Ok(value) = &result
            && let Some(id) = id_of(value)
        {
            entry.resource_id = Some(id);
        }
        let row = self.audit_row(workspace, actor, &entry, result.as_ref().map(drop));
        if let Err(e) = self.store.insert_audit_event(&row).await {
            tracing::error!(action = entry.action, workspace = %workspace, error = %e,
                "could not write the audit row of a request");
        }
        result
    }

    /// Record a refused or failed request whose success would have been recorded in its own
    /// transaction; hands the error back.
    pub(crate) async fn audit_failure(
        &self,
        caller: &Caller,
        entry: AuditEntry,
        error: ServiceError,
    ) -> ServiceError {
        match self
            .audited(caller, entry, Err::<(), _>(error), |_| None)
            .await
        {
            Err(e) => e,
            Ok(()) => unreachable!("an error stays an error"),
        }
    }

    /// A page of the caller's workspace's audit log, newest first.
    #[tracing::instrument(skip_all, fields(workspace = %caller.workspace_id))]
    pub async fn audit_events(
        &self,
        caller: &Caller,
        query: &AuditQuery,
    ) -> ServiceResult<(Vec<AuditEvent>, u64, Page)> {
        let (filter, page) = query.parse()?;
        let (rows, total) = self
            .store
            .list_audit_events(&caller.workspace_id, &filter, page.into())
            .await?;
        Ok((rows.into_iter().map(Into::into).collect(), total, page))
    }

    /// Delete every row older than [`RETENTION`]; how many went.
    #[tracing::instrument(skip_all)]
    pub async fn prune_audit_events(&self) -> ServiceResult<u64> {
        let before = self.clock.now() - RETENTION;
        let mut deleted = 0;
        loop {
            let n = self
                .store
                .delete_audit_events_before(before, PRUNE_BATCH)
                .await?;
            deleted += n;
            if n < u64::from(PRUNE_BATCH) {
                return Ok(deleted);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_checked_once() {
        let q = AuditQuery {
            actor: Some(" key_abc ".into()),
            from: Some("2027-01-01T00:00:00Z".into()),
            ..Default::default()
        };
        let (filter, page) = q.parse().unwrap();
        assert_eq!(filter.actor.as_deref(), Some("key_abc"));
        assert_eq!((page.page, page.limit), (1, 20));
        let bad = |q: AuditQuery| q.parse().unwrap_err();
        let e = bad(AuditQuery {
            to: Some("yesterday".into()),
            ..Default::default()
        });
        assert_eq!((e.code, e.field), ("invalid_time", Some("to")));
        let blank = bad(AuditQuery {
            from: Some(" ".into()),
            ..Default::default()
        });
        assert_eq!((blank.code, blank.field), ("invalid_time", Some("from")));
        let e = bad(AuditQuery {
            action: Some("x".repeat(129)),
            ..Default::default()
        });
        assert_eq!((e.code, e.field), ("invalid_filter", Some("action")));
        assert_eq!(
            bad(AuditQuery {
                limit: Some(0),
                ..Default::default()
            })
            .code,
            "invalid_limit"
        );
    }
}
