//! SQL of the audit log: one insert, a filtered page newest first, and the retention delete.

use super::Value;
use crate::{AuditFilter, NewAuditEvent, Page};
use dialnexa_domain::WorkspaceId;

pub(crate) const AUDIT_COLUMNS: &str = "id, workspace_id, occurred_at, actor_type, actor_id, \
     api_key_id, ip, request_id, action, resource_type, resource_id, outcome, error_code, detail";

pub(crate) const INSERT_AUDIT: &str = "INSERT INTO audit_events (id, workspace_id, occurred_at, \
     actor_type, actor_id, api_key_id, ip, request_id, action, resource_type, resource_id, \
     outcome, error_code, detail) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)";

/// Many audit rows in one statement (PostgreSQL's audit lane), one array per column.
pub(crate) const INSERT_AUDIT_BATCH: &str = "INSERT INTO audit_events (id, workspace_id, \
     occurred_at, actor_type, actor_id, api_key_id, ip, request_id, action, resource_type, \
     resource_id, outcome, error_code, detail) \
     SELECT * FROM unnest($1::text[], $2::text[], $3::int8[], $4::text[], $5::text[], \
     $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], \
     $13::text[], $14::text[])";

/// The oldest rows first, a bounded batch at a time, so one round never holds the lock long.
pub(crate) const DELETE_OLD_AUDIT: &str = "DELETE FROM audit_events WHERE id IN \
     (SELECT id FROM audit_events WHERE occurred_at < $1 ORDER BY occurred_at LIMIT $2)";

/// The arguments of [`INSERT_AUDIT`].
pub(crate) fn audit_args(e: &NewAuditEvent) -> Vec<Value> {
    let text = |s: &Option<String>| s.clone().map_or(Value::NullText, Value::Text);
    vec![
        Value::Text(e.id.as_str().to_owned()),
        Value::Text(e.workspace_id.as_str().to_owned()),
        Value::Int(e.occurred_at.as_millisecond()),
        Value::Text(e.actor_type.clone()),
        text(&e.actor_id),
        text(&e.api_key_id),
        text(&e.ip),
        text(&e.request_id),
        Value::Text(e.action.clone()),
        Value::Text(e.resource_type.clone()),
        text(&e.resource_id),
        Value::Text(e.outcome.clone()),
        text(&e.error_code),
        Value::Text(e.detail.clone()),
    ]
}

/// A page of a workspace's audit rows: the count and the page, with their arguments.
pub(crate) struct AuditList {
    pub count_sql: String,
    pub page_sql: String,
    pub args: Vec<Value>,
    pub page_args: Vec<Value>,
}

pub(crate) fn audit_list(workspace: &WorkspaceId, filter: &AuditFilter, page: Page) -> AuditList {
    let mut args = vec![Value::Text(workspace.as_str().to_owned())];
    let mut clauses = vec!["workspace_id = $1".to_owned()];
    let mut push = |clause: &str, value: Value| {
        args.push(value);
        clauses.push(clause.replace('?', &format!("${}", args.len())));
    };
    if let Some(actor) = &filter.actor {
        push(
            "(actor_id = ? OR api_key_id = ?)",
            Value::Text(actor.clone()),
        );
    }
    if let Some(action) = &filter.action {
        push("action = ?", Value::Text(action.clone()));
    }
    if let Some(resource) = &filter.resource {
        push("resource_id = ?", Value::Text(resource.clone()));
    }
    if let Some(from) = filter.from {
        push("occurred_at >= ?", Value::Int(from.as_millisecond()));
    }
    if let Some(to) = filter.to {
        push("occurred_at < ?", Value::Int(to.as_millisecond()));
    }
    let condition = clauses.join(" AND ");
    let mut page_args = args.clone();
    page_args.push(Value::Int(i64::from(page.limit)));
    page_args.push(Value::Int(page.offset() as i64));
    let n = page_args.len();
    AuditList {
        count_sql: format!("SELECT COUNT(*) FROM audit_events WHERE {condition}"),
        page_sql: format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_events WHERE {condition} \
             ORDER BY occurred_at DESC, id DESC LIMIT ${} OFFSET ${n}",
            n - 1
        ),
        args,
        page_args,
    }
}
