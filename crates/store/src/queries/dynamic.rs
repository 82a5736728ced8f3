//! The statements whose shape depends on the request (a list page's filters, a partial
//! update's fields), built with their arguments for either backend to run.

use super::{LIVE, NUMBER_COLUMNS};
use crate::{NumberChanges, NumberFilter, Page};
use dialnexa_domain::{AgentId, PhoneNumberId, WorkspaceId};
use jiff::Timestamp;

/// A statement argument whose kind is known only at run time (the dynamic statements below).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    Text(String),
    NullText,
    Int(i64),
}

/// A WHERE clause built from optional filters, numbering its `$n` placeholders as it grows.
struct Where {
    clauses: Vec<String>,
    args: Vec<Value>,
}

impl Where {
    /// Every `?` in `clause` becomes the same new placeholder bound to `arg`.
    fn push(&mut self, clause: &str, arg: &str) {
        self.args.push(Value::Text(arg.to_owned()));
        self.clauses
            .push(clause.replace('?', &format!("${}", self.args.len())));
    }
}

/// A list page of numbers: the count and the page, with their arguments.
pub(crate) struct NumberList {
    /// Counts the matching rows, or sums the kept counters when only the status filters.
    pub count_sql: String,
    pub count_args: Vec<Value>,
    pub page_sql: String,
    pub page_args: Vec<Value>,
}

/// `LIKE` matches `%` and `_` as wildcards: a search for them must match them literally.
fn like_pattern(q: &str) -> String {
    let mut pattern = String::with_capacity(q.len() + 2);
    pattern.push('%');
    for c in q.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

pub(crate) fn number_list(
    workspace: &WorkspaceId,
    filter: &NumberFilter,
    page: Page,
) -> NumberList {
    let mut w = Where {
        clauses: vec!["workspace_id = $1".to_owned()],
        args: vec![Value::Text(workspace.as_str().to_owned())],
    };
    match filter.status {
        Some(status) => w.push("status = ?", status.as_str()),
        None => w.clauses.push(LIVE.to_owned()),
    }
    let only_status = filter.country.is_none()
        && filter.number_type.is_none()
        && filter.provider.is_none()
        && filter.agent_id.is_none()
        && filter.q.as_deref().is_none_or(str::is_empty);
    if let Some(c) = filter.country {
        w.push("country_code = ?", c.as_str());
    }
    if let Some(t) = filter.number_type {
        w.push("number_type = ?", t.as_str());
    }
    if let Some(p) = filter.provider {
        w.push("provider = ?", p.as_str());
    }
    if let Some(a) = &filter.agent_id {
        w.push(
            "(inbound_agent_id = ? OR outbound_agent_id = ?)",
            a.as_str(),
        );
    }
    if let Some(q) = filter.q.as_deref().filter(|q| !q.is_empty()) {
        w.push(
            "(LOWER(phone_number) LIKE ? ESCAPE '\\' \
             OR LOWER(COALESCE(nickname, '')) LIKE ? ESCAPE '\\' \
             OR LOWER(COALESCE(label, '')) LIKE ? ESCAPE '\\')",
            &like_pattern(q),
        );
    }
    let Where { clauses, args } = w;
    let where_sql = clauses.join(" AND ");
    // Filtered by status alone, the total is the sum of the counters the triggers keep per
    // workspace and status: a few rows instead of a count of them all.
    let count_sql = if only_status {
        format!(
            "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM phone_number_counts WHERE {where_sql}"
        )
    } else {
        format!("SELECT COUNT(*) FROM phone_numbers WHERE {where_sql}")
    };
    let n = args.len();
    let page_sql = format!(
        "SELECT {NUMBER_COLUMNS} FROM phone_numbers WHERE {where_sql} \
         ORDER BY created_at DESC, id DESC LIMIT ${} OFFSET ${}",
        n + 1,
        n + 2
    );
    let mut page_args = args.clone();
    page_args.push(Value::Int(i64::from(page.limit)));
    page_args.push(Value::Int(page.offset() as i64));
    NumberList {
        count_sql,
        count_args: args,
        page_sql,
        page_args,
    }
}

/// A partial update of a live number, with the agents it names (each must belong to the
/// workspace at the moment of the write: an `EXISTS` in the same statement).
pub(crate) struct NumberUpdate {
    pub sql: String,
    pub args: Vec<Value>,
    pub agents: Vec<AgentId>,
}

pub(crate) fn number_update(
    workspace: &WorkspaceId,
    id: &PhoneNumberId,
    changes: &NumberChanges,
    now: Timestamp,
) -> NumberUpdate {
    let mut args = vec![
        Value::Text(id.as_str().to_owned()),
        Value::Text(workspace.as_str().to_owned()),
        Value::Int(now.as_millisecond()),
    ];
    let mut sets = vec!["updated_at = $3".to_owned()];
    let mut conditions = vec![
        "id = $1".to_owned(),
        "workspace_id = $2".to_owned(),
        LIVE.to_owned(),
    ];
    let mut agents = Vec::new();
    let text = |v: &Option<String>| v.clone().map_or(Value::NullText, Value::Text);
    for (column, change) in [("nickname", &changes.nickname), ("label", &changes.label)] {
        if let Some(value) = change {
            args.push(text(value));
            sets.push(format!("{column} = ${}", args.len()));
        }
    }
    let agent_fields = [
        ("inbound_agent_id", &changes.inbound_agent_id),
        ("outbound_agent_id", &changes.outbound_agent_id),
    ];
    for (column, change) in agent_fields {
        if let Some(value) = change {
            args.push(text(&value.as_ref().map(|a| a.as_str().to_owned())));
            let n = args.len();
            sets.push(format!("{column} = ${n}"));
            if let Some(agent) = value {
                conditions.push(format!(
                    "EXISTS (SELECT 1 FROM agents WHERE agents.id = ${n} AND agents.workspace_id = $2)"
                ));
                agents.push(agent.clone());
            }
        }
    }
    NumberUpdate {
        sql: format!(
            "UPDATE phone_numbers SET {} WHERE {} RETURNING {NUMBER_COLUMNS}",
            sets.join(", "),
            conditions.join(" AND ")
        ),
        args,
        agents,
    }
}
