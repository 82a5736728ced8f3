//! SQL of agent versions, and the builder of the one agent update whose shape depends on what
//! a change touches. Both backends run these unchanged.

use super::Value;
use crate::{AgentVersion, AgentWrite};

pub(crate) const VERSION_COLUMNS: &str = "agent_id, version_number, version_title, title, \
     language_id, voice_id, llm_id, transcriber_id, inbound_phone_number_id, \
     outbound_phone_number_id, published_at, created_at, updated_at";

/// One version row, inserted or replaced: `$1` the agent, `$2` its workspace, then the
/// version's columns in the order of [`version_args`].
pub(crate) const UPSERT_VERSION: &str = "INSERT INTO agent_versions (agent_id, workspace_id, \
     version_number, version_title, title, language_id, voice_id, llm_id, transcriber_id, \
     inbound_phone_number_id, outbound_phone_number_id, published_at, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
     ON CONFLICT (agent_id, version_number) DO UPDATE SET \
     version_title = excluded.version_title, title = excluded.title, \
     language_id = excluded.language_id, voice_id = excluded.voice_id, \
     llm_id = excluded.llm_id, transcriber_id = excluded.transcriber_id, \
     inbound_phone_number_id = excluded.inbound_phone_number_id, \
     outbound_phone_number_id = excluded.outbound_phone_number_id, \
     published_at = excluded.published_at, updated_at = excluded.updated_at";

/// One published version per agent: publishing `$2` ends the others'.
pub(crate) const UNPUBLISH_OTHERS: &str = "UPDATE agent_versions SET published_at = NULL \
     WHERE agent_id = $1 AND version_number <> $2 AND published_at IS NOT NULL";

pub(crate) const DELETE_VERSIONS: &str =
    "DELETE FROM agent_versions WHERE agent_id = $1 AND workspace_id = $2";

/// The versions of `n` agents (`$1`..), oldest first: one query for a whole page.
pub(crate) fn versions_of(n: usize) -> String {
    let list = (1..=n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "SELECT {VERSION_COLUMNS} FROM agent_versions WHERE agent_id IN ({list}) \
         ORDER BY agent_id, version_number"
    )
}

/// The arguments of [`UPSERT_VERSION`].
pub(crate) fn version_args(agent: &str, workspace: &str, v: &AgentVersion) -> Vec<Value> {
    let text = |s: Option<&str>| s.map_or(Value::NullText, |s| Value::Text(s.to_owned()));
    vec![
        Value::Text(agent.to_owned()),
        Value::Text(workspace.to_owned()),
        Value::Int(v.version_number),
        text(v.version_title.as_deref()),
        Value::Text(v.title.clone()),
        text(v.language_id.as_deref()),
        text(v.voice_id.as_deref()),
        text(v.llm_id.as_deref()),
        text(v.transcriber_id.as_deref()),
        text(v.inbound.to_column()),
        text(v.outbound.to_column()),
        v.published_at
            .map_or(Value::NullText, |t| Value::Int(t.as_millisecond())),
        Value::Int(v.created_at.as_millisecond()),
        Value::Int(v.updated_at.as_millisecond()),
    ]
}

/// The agent row's part of a write: compare-and-set on its revision, which it moves.
pub(crate) fn agent_update(change: &AgentWrite) -> (String, Vec<Value>) {
    let mut args = vec![
        Value::Text(change.agent_id.as_str().to_owned()),
        Value::Text(change.workspace_id.as_str().to_owned()),
        Value::Int(change.revision),
        Value::Int(change.now.as_millisecond()),
    ];
    let mut sets = vec![
        "updated_at = $4".to_owned(),
        "revision = revision + 1".to_owned(),
    ];
    let mut set = |column: &str, value: Value| {
        args.push(value);
        sets.push(format!("{column} = ${}", args.len()));
    };
    let text = |s: &Option<String>| s.clone().map_or(Value::NullText, Value::Text);
    if let Some(name) = &change.name {
        set("name", Value::Text(name.clone()));
    }
    if let Some(agent_type) = &change.agent_type {
        set("agent_type", Value::Text(agent_type.clone()));
    }
    if let Some(pipeline_type) = &change.pipeline_type {
        set("pipeline_type", text(pipeline_type));
    }
    if let Some(timezone) = &change.timezone {
        set("timezone", text(timezone));
    }
    if let Some(current) = change.current_version_number {
        set("current_version_number", Value::Int(current));
    }
    let sql = format!(
        "UPDATE agents SET {} WHERE id = $1 AND workspace_id = $2 AND revision = $3",
        sets.join(", ")
    );
    (sql, args)
}
