//! Agents as the official spec has them: a type, and versions of which one is published. The
//! numbers a version names are kept on the version and become live routing (the number row's
//! agent columns, which `PATCH` on a number writes too) only when it is published. An update
//! without `version_number` (outside the spec, as this API was before versions) changes the
//! current version in place and live routing at once. Each write and its audit row are one
//! transaction; a refused write is audited on its own.

pub use crate::agent_input::AgentInput;
use crate::agent_input::{check_name, live_of, new_pipeline};
use crate::audit::{AuditEntry, actions};
use crate::model::{Agent, Page};
use crate::{Caller, ServiceError, ServiceResult, Services};
use dialnexa_domain::{AgentId, NumberStatus, PhoneNumberId};
use dialnexa_store::{
    AgentDeletion, AgentRefused, AgentVersion, Direction, NewAgent, NumberChoice,
};

/// How often an update computed from a read is recomputed when another write got in between.
const WRITE_ATTEMPTS: usize = 3;

fn agent_not_found() -> ServiceError {
    ServiceError::not_found("Agent")
}

/// A phone-number id named in a request body: one of this workspace's numbers, or a 400.
pub(crate) fn unknown_number(field: &'static str, raw: &str) -> ServiceError {
    ServiceError::bad_request(
        "unknown_phone_number",
        format!(
            "{field}: `{raw}` is not a phone number of this workspace. List yours with \
             GET /v1/organization-phone-numbers."
        ),
    )
    .on(field)
}

pub(crate) fn not_live(field: &'static str, id: &str, status: NumberStatus) -> ServiceError {
    ServiceError::conflict(
        "phone_number_not_active",
        format!("{field}: phone number {id} is {status}, so it cannot route calls any more."),
    )
    .on(field)
}

pub(crate) fn unknown_agent(field: &str, raw: &str) -> ServiceError {
    ServiceError::bad_request(
        "unknown_agent",
        format!(
            "{field}: `{raw}` is not an agent of this workspace. Create one with POST /v1/agents \
             or list yours with GET /v1/agents."
        ),
    )
}

pub(crate) fn field_of(direction: Direction) -> &'static str {
    match direction {
        Direction::Inbound => "inbound_phone_number_id",
        Direction::Outbound => "outbound_phone_number_id",
    }
}

fn refusal(refused: AgentRefused) -> ServiceError {
    match refused {
        AgentRefused::AgentNotFound => agent_not_found(),
        AgentRefused::Changed => ServiceError::conflict(
            "agent_changed",
            "The agent was changed by another request at the same time; retry.",
        ),
        AgentRefused::NumberNotFound(d, id) => unknown_number(field_of(d), id.as_str()),
        AgentRefused::NumberNotLive(d, id, status) => not_live(field_of(d), id.as_str(), status),
    }
}

/// What the request sent, for its audit row (every field here is a setting, none a secret).
fn detail(input: &AgentInput) -> serde_json::Value {
    serde_json::json!({
        "name": input.name,
        "agent_type": input.agent_type,
        "version_number": input.version_number,
        "is_published": input.is_published,
        "inbound_phone_number_id": input.inbound_phone_number_id,
        "outbound_phone_number_id": input.outbound_phone_number_id,
    })
}

impl Services {
    #[tracing::instrument(skip_all, fields(workspace = %caller.workspace_id))]
    pub async fn create_agent(&self, caller: &Caller, input: AgentInput) -> ServiceResult<Agent> {
        let entry = AuditEntry::new(actions::AGENT_CREATE, "agent").with(detail(&input));
        match self.create_agent_audited(caller, &input, &entry).await {
            Ok(agent) => Ok(agent),
            Err(e) => Err(self.audit_failure(caller, entry, e).await),
        }
    }

    async fn create_agent_audited(
        &self,
        caller: &Caller,
        input: &AgentInput,
        entry: &AuditEntry,
    ) -> ServiceResult<Agent> {
        let parsed = input.parse(None)?;
        let name = check_name(input.name.as_deref().unwrap_or(""))?;
        let choice = |found: Option<NumberChoice>| match found {
            None | Some(NumberChoice::Detach) => NumberChoice::Unset,
            Some(choice) => choice,
        };
        let inbound = choice(
            self.number_choice(caller, Direction::Inbound, input)
                .await?,
        );
        let outbound = choice(
            self.number_choice(caller, Direction::Outbound, input)
                .await?,
        );
        let now = self.clock.now();
        let agent_type = parsed
            .agent_type
            .clone()
            .unwrap_or_else(|| "Single_Prompt_Agent".to_owned());
        let mut version = AgentVersion {
            version_number: 1,
            version_title: Some("Version 1".to_owned()),
            title: name,
            language_id: None,
            voice_id: None,
            llm_id: None,
            transcriber_id: None,
            inbound,
            outbound,
            published_at: parsed.publish.then_some(now),
            created_at: now,
            updated_at: now,
        };
        parsed.settings.apply(&mut version);
        let live: Vec<(Direction, PhoneNumberId)> = if parsed.publish {
            live_of(&version, &[Direction::Inbound, Direction::Outbound])
                .into_iter()
                .filter_map(|(d, n)| n.map(|n| (d, n)))
                .collect()
        } else {
            Vec::new()
        };
        let new = NewAgent {
            id: AgentId::generate(),
            workspace_id: caller.workspace_id.clone(),
            pipeline_type: new_pipeline(&agent_type, &parsed.pipeline_type),
            agent_type,
            timezone: parsed.timezone.clone().flatten(),
            version,
            created_at: now,
        };
        let row = self.audit_row(
            &caller.workspace_id,
            &caller.actor,
            &entry.clone().on(new.id.as_str()),
            Ok(()),
        );
        let agent = self.store.insert_agent(&new, &live, &row).await?;
        Ok(agent.map_err(refusal)?.into())
    }

    pub async fn get_agent(&self, caller: &Caller, id: &str) -> ServiceResult<Agent> {
        Ok(self.agent_record(caller, id).await?.into())
    }

    async fn agent_record(
        &self,
        caller: &Caller,
        id: &str,
    ) -> ServiceResult<dialnexa_store::Agent> {
        let id = AgentId::parse(id).ok_or_else(agent_not_found)?;
        self.store
            .get_agent(&caller.workspace_id, &id)
            .await?
            .ok_or_else(agent_not_found)
    }

    pub async fn list_agents(
        &self,
        caller: &Caller,
        page: Page,
    ) -> ServiceResult<(Vec<Agent>, u64)> {
        let (agents, total) = self
            .store
            .list_agents(&caller.workspace_id, page.into())
            .await?;
        Ok((agents.into_iter().map(Into::into).collect(), total))
    }

    /// Every agent of the workspace by name, for selectors and name look-ups; bounded, since
    /// a selector of more than a few thousand names helps nobody.
    pub async fn all_agents(&self, caller: &Caller) -> ServiceResult<Vec<Agent>> {
        const PER_PAGE: u32 = 100;
        const MAX_PAGES: u32 = 20;
        let mut agents = Vec::new();
        for page in 1..=MAX_PAGES {
            let page = Page {
                page,
                limit: PER_PAGE,
            };
            let (mut batch, total) = self.list_agents(caller, page).await?;
            let done = batch.len() < PER_PAGE as usize
                || agents.len() as u64 + batch.len() as u64 >= total;
            agents.append(&mut batch);
            if done {
                break;
            }
        }
        agents.sort_by_key(|a| a.name.to_lowercase());
        Ok(agents)
    }

    /// Change an agent: see the module's summary for what a version, `is_published` and
    /// `update_deployment` do. Audited as `agent.publish` when it publishes.
    #[tracing::instrument(skip_all, fields(workspace = %caller.workspace_id, agent = %id))]
    pub async fn update_agent(
        &self,
        caller: &Caller,
        id: &str,
        input: AgentInput,
    ) -> ServiceResult<Agent> {
        let action = if input.is_published == Some(true) {
            actions::AGENT_PUBLISH
        } else {
            actions::AGENT_UPDATE
        };
        let entry = AuditEntry::new(action, "agent")
            .on(id.trim())
            .with(detail(&input));
        let mut last = None;
        for _ in 0..WRITE_ATTEMPTS {
            let written = async {
                let agent = self.agent_record(caller, id).await?;
                let parsed = input.parse(Some(&agent.agent_type))?;
                let change = self.plan(caller, &agent, &input, &parsed, &entry).await?;
                Ok::<_, ServiceError>(self.store.write_agent(&change).await?)
            }
            .await;
            match written {
                Ok(Ok(agent)) => return Ok(agent.into()),
                Ok(Err(AgentRefused::Changed)) => last = Some(refusal(AgentRefused::Changed)),
                Ok(Err(refused)) => {
                    last = Some(refusal(refused));
                    break;
                }
                Err(e) => {
                    last = Some(e);
                    break;
                }
            }
        }
        let e = last.unwrap_or_else(|| ServiceError::internal("no attempt was made"));
        Err(self.audit_failure(caller, entry, e).await)
    }

    /// Refuses (409, naming them) while live numbers route to the agent, unless `detach`.
    #[tracing::instrument(skip_all, fields(workspace = %caller.workspace_id, agent = %id))]
    pub async fn delete_agent(&self, caller: &Caller, id: &str, detach: bool) -> ServiceResult<()> {
        let entry = AuditEntry::new(actions::AGENT_DELETE, "agent")
            .on(id.trim())
            .with(serde_json::json!({ "detach": detach }));
        let deleted = self.delete_agent_once(caller, id, detach, &entry).await;
        match deleted {
            Ok(()) => Ok(()),
            Err(e) => Err(self.audit_failure(caller, entry, e).await),
        }
    }

    async fn delete_agent_once(
        &self,
        caller: &Caller,
        id: &str,
        detach: bool,
        entry: &AuditEntry,
    ) -> ServiceResult<()> {
        let agent = AgentId::parse(id).ok_or_else(agent_not_found)?;
        let row = self.audit_row(&caller.workspace_id, &caller.actor, entry, Ok(()));
        let now = self.clock.now();
        match self
            .store
            .delete_agent(&caller.workspace_id, &agent, detach, now, &row)
            .await?
        {
            AgentDeletion::Deleted => Ok(()),
            AgentDeletion::NotFound => Err(agent_not_found()),
            AgentDeletion::InUse(numbers) => {
                let list = numbers
                    .iter()
                    .map(|(id, number)| format!("{number} ({id})"))
                    .collect::<Vec<_>>()
                    .join(", ");
                Err(ServiceError::conflict(
                    "agent_in_use",
                    format!(
                        "Agent {id} still routes these phone numbers: {list}. Point them elsewhere \
                         (PATCH /v1/organization-phone-numbers/{{id}} with \"agent_id\": null), or \
                         delete with ?detach=true to detach them all."
                    ),
                ))
            }
        }
    }
}
