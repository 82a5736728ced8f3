//! `/v1/agents` on the wire: the official spec's `Agents` shape (a type, the current version
//! and every version, each saying whether it is published) plus this API's own fields (`name`,
//! and the numbers routing to the agent live), and the bodies a create or an update takes.

use crate::extract::double_option;
use dialnexa_domain::{PhoneNumberId, format_time};
use dialnexa_service::Agent;
use dialnexa_service::agents::AgentInput;
use dialnexa_service::model::AgentVersion;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgentView {
    #[schema(example = "agt_01kdz3f4w7x2kx5mb9qz")]
    id: String,
    /// The title of the current version.
    name: String,
    /// The spec's name for `name`.
    title: String,
    #[schema(
        example = "Single_Prompt_Agent",
        pattern = "^(Single_Prompt_Agent|Conversational_Flow_Agent)$"
    )]
    agent_type: String,
    /// `Cascaded` or `Speech_To_Speech`; none for a flow agent.
    pipeline_type: Option<String>,
    #[schema(example = "Asia/Kolkata")]
    timezone: Option<String>,
    /// The newest version.
    current_version_number: i64,
    current_version: Option<AgentVersionView>,
    /// Every version, oldest first; at most one is published.
    versions: Vec<AgentVersionView>,
    /// The number whose inbound calls this agent answers now (the newest, when several do).
    inbound_phone_number_id: Option<String>,
    outbound_phone_number_id: Option<String>,
    inbound_phone_number_ids: Vec<String>,
    outbound_phone_number_ids: Vec<String>,
    created_at: String,
    updated_at: String,
}

/// One version. Its phone numbers route live calls only while it is published.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgentVersionView {
    agent_id: String,
    version_number: i64,
    version_title: Option<String>,
    title: Option<String>,
    is_published: bool,
    language_id: Option<String>,
    voice_id: Option<String>,
    llm_id: Option<String>,
    transcriber_id: Option<String>,
    /// The inbound number this version routes once published.
    inbound_phone_number_id: Option<String>,
    outbound_phone_number_id: Option<String>,
    published_at: Option<String>,
    created_at: String,
    updated_at: String,
}

fn ids(list: &[PhoneNumberId]) -> Vec<String> {
    list.iter().map(ToString::to_string).collect()
}

fn version_view(agent: &Agent, v: &AgentVersion) -> AgentVersionView {
    AgentVersionView {
        agent_id: agent.id.to_string(),
        version_number: v.version_number,
        version_title: v.version_title.clone(),
        title: Some(v.title.clone()),
        is_published: v.is_published,
        language_id: v.language_id.clone(),
        voice_id: v.voice_id.clone(),
        llm_id: v.llm_id.clone(),
        transcriber_id: v.transcriber_id.clone(),
        inbound_phone_number_id: v.inbound_phone_number_id.as_ref().map(ToString::to_string),
        outbound_phone_number_id: v.outbound_phone_number_id.as_ref().map(ToString::to_string),
        published_at: v.published_at.map(format_time),
        created_at: format_time(v.created_at),
        updated_at: format_time(v.updated_at),
    }
}

impl From<Agent> for AgentView {
    fn from(a: Agent) -> Self {
        AgentView {
            id: a.id.to_string(),
            title: a.name.clone(),
            name: a.name.clone(),
            agent_type: a.agent_type.clone(),
            pipeline_type: a.pipeline_type.clone(),
            timezone: a.timezone.clone(),
            current_version_number: a.current_version_number,
            current_version: a.current_version().map(|v| version_view(&a, v)),
            versions: a.versions.iter().map(|v| version_view(&a, v)).collect(),
            inbound_phone_number_id: a.inbound_numbers.first().map(ToString::to_string),
            outbound_phone_number_id: a.outbound_numbers.first().map(ToString::to_string),
            inbound_phone_number_ids: ids(&a.inbound_numbers),
            outbound_phone_number_ids: ids(&a.outbound_numbers),
            created_at: format_time(a.created_at),
            updated_at: format_time(a.updated_at),
        }
    }
}

/// A create or an update. Absent fields stay as they are; `null` clears a nullable one and
/// detaches a number (so does `""`). The spec's many voice and prompt settings that this
/// service does not keep are accepted and ignored.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AgentBody {
    /// Required on create (alias `title`).
    #[serde(alias = "title")]
    #[schema(min_length = 1, max_length = 255, example = "Customer Support Agent")]
    name: Option<String>,
    /// Set on create only (default `Single_Prompt_Agent`).
    #[schema(pattern = "^(Single_Prompt_Agent|Conversational_Flow_Agent)$")]
    agent_type: Option<String>,
    /// `Cascaded` (the default of a single-prompt agent) or `Speech_To_Speech`.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(pattern = "^(Cascaded|Speech_To_Speech)$")]
    pipeline_type: Option<Option<String>>,
    /// An IANA time zone.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(example = "Asia/Kolkata", max_length = 64)]
    timezone: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(max_length = 35)]
    version_title: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(max_length = 128)]
    language_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(max_length = 128)]
    voice_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(max_length = 128)]
    llm_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(max_length = 128)]
    transcriber_id: Option<Option<String>>,
    /// A number of this workspace the version routes inbound calls from, once published.
    #[serde(default, deserialize_with = "double_option")]
    inbound_phone_number_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    outbound_phone_number_id: Option<Option<String>>,
    /// Update only: the version to change. Without it an update changes the current version
    /// and live routing at once (this API before versions).
    #[schema(minimum = 1)]
    version_number: Option<i64>,
    /// Publish the version: the numbers it names become live routing.
    is_published: Option<bool>,
    /// Allow changing a version that is already published.
    update_deployment: Option<bool>,
}

impl From<AgentBody> for AgentInput {
    fn from(b: AgentBody) -> Self {
        AgentInput {
            name: b.name,
            agent_type: b.agent_type,
            pipeline_type: b.pipeline_type,
            timezone: b.timezone,
            version_title: b.version_title,
            language_id: b.language_id,
            voice_id: b.voice_id,
            llm_id: b.llm_id,
            transcriber_id: b.transcriber_id,
            inbound_phone_number_id: b.inbound_phone_number_id,
            outbound_phone_number_id: b.outbound_phone_number_id,
            version_number: b.version_number,
            is_published: b.is_published,
            update_deployment: b.update_deployment,
        }
    }
}

/// `DELETE`'s answer: the spec's `{success, message}`, and the `id`/`deleted` this API
/// answered before.
#[derive(Debug, Serialize, ToSchema)]
pub struct Deleted {
    success: bool,
    #[schema(example = "Agent deleted successfully")]
    message: &'static str,
    id: String,
    deleted: bool,
}

impl Deleted {
    pub fn new(id: String) -> Self {
        Deleted {
            success: true,
            message: "Agent deleted successfully",
            id,
            deleted: true,
        }
    }
}
