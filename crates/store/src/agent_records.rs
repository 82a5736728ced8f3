//! Agents and their versions as the store keeps them, and the one write that changes an agent.
//! The service decides what a request means (which version, whether it is published, which
//! numbers go live); the store applies that decision in one transaction, with its audit row.

use crate::{Direction, NewAuditEvent};
use dialnexa_domain::{AgentId, E164, PhoneNumberId, WorkspaceId};
use jiff::Timestamp;

/// An AI agent numbers route calls to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    pub id: AgentId,
    pub workspace_id: WorkspaceId,
    /// The title of its current version.
    pub name: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// `Single_Prompt_Agent` or `Conversational_Flow_Agent`.
    pub agent_type: String,
    /// `Cascaded` or `Speech_To_Speech` for a single-prompt agent, none for a flow agent.
    pub pipeline_type: Option<String>,
    pub timezone: Option<String>,
    /// The newest version.
    pub current_version_number: i64,
    /// Moves with every write: a change read from one revision applies only to that revision.
    pub revision: i64,
    /// Oldest first.
    pub versions: Vec<AgentVersion>,
    /// Live numbers whose inbound calls go to this agent, newest first.
    pub inbound_numbers: Vec<PhoneNumberId>,
    /// Live numbers this agent calls out from, newest first.
    pub outbound_numbers: Vec<PhoneNumberId>,
}

impl Agent {
    pub fn version(&self, number: i64) -> Option<&AgentVersion> {
        self.versions.iter().find(|v| v.version_number == number)
    }
}

/// What a version says about one direction's number, kept until the version is published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NumberChoice {
    /// The version names no number this way: publishing it leaves live routing alone.
    Unset,
    /// Publishing it detaches whatever number serves the agent this way.
    Detach,
    Route(PhoneNumberId),
}

impl NumberChoice {
    pub(crate) fn to_column(&self) -> Option<&str> {
        match self {
            NumberChoice::Unset => None,
            NumberChoice::Detach => Some(""),
            NumberChoice::Route(id) => Some(id.as_str()),
        }
    }

    pub(crate) fn from_column(raw: Option<String>) -> Self {
        match raw {
            None => NumberChoice::Unset,
            Some(s) if s.is_empty() => NumberChoice::Detach,
            Some(s) => NumberChoice::Route(PhoneNumberId::from_trusted(s)),
        }
    }
}

/// One version of an agent's settings. Only the published one answers live calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentVersion {
    pub version_number: i64,
    pub version_title: Option<String>,
    pub title: String,
    pub language_id: Option<String>,
    pub voice_id: Option<String>,
    pub llm_id: Option<String>,
    pub transcriber_id: Option<String>,
    pub inbound: NumberChoice,
    pub outbound: NumberChoice,
    pub published_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl AgentVersion {
    pub fn is_published(&self) -> bool {
        self.published_at.is_some()
    }
}

#[derive(Debug, Clone)]
pub struct NewAgent {
    pub id: AgentId,
    pub workspace_id: WorkspaceId,
    pub agent_type: String,
    pub pipeline_type: Option<String>,
    pub timezone: Option<String>,
    /// Version 1 (its title is the agent's name); published at once when `published_at` is set.
    pub version: AgentVersion,
    pub created_at: Timestamp,
}

/// A decided change to one agent, applied all or nothing. The live bindings are applied in
/// order; each names the direction and the number (or none) that serves the agent that way
/// afterwards, as `AgentStore::bind_agent_number` did.
#[derive(Debug, Clone)]
pub struct AgentWrite {
    pub workspace_id: WorkspaceId,
    pub agent_id: AgentId,
    /// The revision the change was computed from; another write since makes it `Conflict`.
    pub revision: i64,
    pub now: Timestamp,
    pub name: Option<String>,
    pub agent_type: Option<String>,
    pub pipeline_type: Option<Option<String>>,
    pub timezone: Option<Option<String>>,
    /// The version row as it is after the change (inserted when new).
    pub version: Option<AgentVersion>,
    /// The version becomes the published one (the others stop being published).
    pub publish: bool,
    pub current_version_number: Option<i64>,
    pub live: Vec<(Direction, Option<PhoneNumberId>)>,
    pub audit: NewAuditEvent,
}

/// Why an agent write did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentRefused {
    AgentNotFound,
    /// Another write changed the agent since it was read: read again and retry.
    Changed,
    /// A number to bind is not one of the workspace's.
    NumberNotFound(Direction, PhoneNumberId),
    /// A number to bind no longer routes anything.
    NumberNotLive(Direction, PhoneNumberId, dialnexa_domain::NumberStatus),
}

/// What deleting an agent did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentDeletion {
    Deleted,
    NotFound,
    /// Live numbers still point at the agent (and `detach` was not asked for).
    InUse(Vec<(PhoneNumberId, E164)>),
}
