//! An agent as the service hands it out: the official spec's shape (a type, versions of which
//! one is published) and which live numbers route to it now.

use dialnexa_domain::{AgentId, PhoneNumberId};
use dialnexa_store::NumberChoice;
use jiff::Timestamp;

/// An AI agent numbers route calls to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    pub id: AgentId,
    /// The title of its current version.
    pub name: String,
    pub agent_type: String,
    pub pipeline_type: Option<String>,
    pub timezone: Option<String>,
    /// The newest version.
    pub current_version_number: i64,
    /// Oldest first.
    pub versions: Vec<AgentVersion>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Live numbers whose inbound calls go to this agent, newest first.
    pub inbound_numbers: Vec<PhoneNumberId>,
    /// Live numbers this agent calls out from, newest first.
    pub outbound_numbers: Vec<PhoneNumberId>,
}

impl Agent {
    pub fn current_version(&self) -> Option<&AgentVersion> {
        self.versions
            .iter()
            .find(|v| v.version_number == self.current_version_number)
    }

    /// The version that answers live calls, if one is published.
    pub fn published_version(&self) -> Option<&AgentVersion> {
        self.versions.iter().find(|v| v.is_published)
    }
}

/// One version of an agent's settings; only the published one answers live calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentVersion {
    pub version_number: i64,
    pub version_title: Option<String>,
    pub title: String,
    pub is_published: bool,
    pub language_id: Option<String>,
    pub voice_id: Option<String>,
    pub llm_id: Option<String>,
    pub transcriber_id: Option<String>,
    /// The inbound number this version routes once published (`None`: none named, or detach).
    pub inbound_phone_number_id: Option<PhoneNumberId>,
    pub outbound_phone_number_id: Option<PhoneNumberId>,
    pub published_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

fn routed(choice: NumberChoice) -> Option<PhoneNumberId> {
    match choice {
        NumberChoice::Route(id) => Some(id),
        NumberChoice::Unset | NumberChoice::Detach => None,
    }
}

impl From<dialnexa_store::AgentVersion> for AgentVersion {
    fn from(v: dialnexa_store::AgentVersion) -> Self {
        AgentVersion {
            is_published: v.is_published(),
            version_number: v.version_number,
            version_title: v.version_title,
            title: v.title,
            language_id: v.language_id,
            voice_id: v.voice_id,
            llm_id: v.llm_id,
            transcriber_id: v.transcriber_id,
            inbound_phone_number_id: routed(v.inbound),
            outbound_phone_number_id: routed(v.outbound),
            published_at: v.published_at,
            created_at: v.created_at,
            updated_at: v.updated_at,
        }
    }
}

impl From<dialnexa_store::Agent> for Agent {
    fn from(a: dialnexa_store::Agent) -> Self {
        Agent {
            id: a.id,
            name: a.name,
            agent_type: a.agent_type,
            pipeline_type: a.pipeline_type,
            timezone: a.timezone,
            current_version_number: a.current_version_number,
            versions: a.versions.into_iter().map(Into::into).collect(),
            created_at: a.created_at,
            updated_at: a.updated_at,
            inbound_numbers: a.inbound_numbers,
            outbound_numbers: a.outbound_numbers,
        }
    }
}
