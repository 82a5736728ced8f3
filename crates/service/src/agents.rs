//! Agents, the minimum numbers need to route to: a name, and which numbers serve them. The
//! spec's way of routing (`PATCH /v1/agents/{id}` with `inbound_phone_number_id`) and ours
//! (`PATCH` on the number) write the same columns on the number row.

use crate::model::{Agent, Page};
use crate::{Caller, ServiceError, ServiceResult, Services};
use dialnexa_domain::{AgentId, NumberStatus, PhoneNumberId};
use dialnexa_store::{AgentDeletion, Direction, NewAgent, UpdateRefused};

pub const MAX_NAME_CHARS: usize = 255;

/// What a create or an update asks for. For the number fields: `None` leaves the binding
/// alone, `Some(None)` (or an empty string on the wire) detaches, `Some(Some(id))` binds.
#[derive(Debug, Clone, Default)]
pub struct AgentInput {
    pub name: Option<String>,
    pub inbound_phone_number_id: Option<Option<String>>,
    pub outbound_phone_number_id: Option<Option<String>>,
}

fn agent_not_found() -> ServiceError {
    ServiceError::not_found("Agent")
}

fn check_name(raw: &str) -> ServiceResult<String> {
    let name = raw.trim();
    if name.is_empty()
        || name.chars().count() > MAX_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(ServiceError::bad_request(
            "invalid_name",
            format!("name is required: 1 to {MAX_NAME_CHARS} characters, on one line."),
        )
        .on("name"));
    }
    Ok(name.to_owned())
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

impl Services {
    #[tracing::instrument(skip_all, fields(workspace = %caller.workspace_id))]
    pub async fn create_agent(&self, caller: &Caller, input: AgentInput) -> ServiceResult<Agent> {
        let name = check_name(input.name.as_deref().unwrap_or(""))?;
        // Check the numbers first, so a bad one leaves no agent behind.
        let inbound = self
            .live_number_id(
                caller,
                "inbound_phone_number_id",
                &input.inbound_phone_number_id,
            )
            .await?;
        let outbound = self
            .live_number_id(
                caller,
                "outbound_phone_number_id",
                &input.outbound_phone_number_id,
            )
            .await?;
        let agent = self
            .store
            .insert_agent(&NewAgent {
                id: AgentId::generate(),
                workspace_id: caller.workspace_id.clone(),
                name,
                created_at: self.clock.now(),
            })
            .await?;
        let bound = async {
            for (direction, number) in [
                (Direction::Inbound, inbound),
                (Direction::Outbound, outbound),
            ] {
                if let Some(number) = number {
                    self.bind(caller, &agent.id, direction, Some(&number))
                        .await?;
                }
            }
            ServiceResult::Ok(())
        }
        .await;
        if let Err(e) = bound {
            // The number went away between the check and the bind: undo the create.
            let _ = self
                .store
                .delete_agent(&caller.workspace_id, &agent.id, true, self.clock.now())
                .await;
            return Err(e);
        }
        self.get_agent(caller, agent.id.as_str()).await
    }

    pub async fn get_agent(&self, caller: &Caller, id: &str) -> ServiceResult<Agent> {
        let id = AgentId::parse(id).ok_or_else(agent_not_found)?;
        self.store
            .get_agent(&caller.workspace_id, &id)
            .await?
            .map(Into::into)
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
            let (mut batch, total) = self
                .list_agents(
                    caller,
                    Page {
                        page,
                        limit: PER_PAGE,
                    },
                )
                .await?;
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

    /// Rename, and (re)bind the agent's inbound and outbound numbers. Binding a number moves
    /// the agent off the numbers that served it that way before: an agent has one of each.
    #[tracing::instrument(skip_all, fields(workspace = %caller.workspace_id, agent = %id))]
    pub async fn update_agent(
        &self,
        caller: &Caller,
        id: &str,
        input: AgentInput,
    ) -> ServiceResult<Agent> {
        let agent = self.get_agent(caller, id).await?;
        let name = input.name.as_deref().map(check_name).transpose()?;
        // Every number is checked before any binding changes, so a bad one changes nothing.
        let mut bindings = Vec::new();
        for (direction, field, wanted) in [
            (
                Direction::Inbound,
                "inbound_phone_number_id",
                &input.inbound_phone_number_id,
            ),
            (
                Direction::Outbound,
                "outbound_phone_number_id",
                &input.outbound_phone_number_id,
            ),
        ] {
            if wanted.is_some() {
                bindings.push((direction, self.live_number_id(caller, field, wanted).await?));
            }
        }
        for (direction, number) in bindings {
            self.bind(caller, &agent.id, direction, number.as_ref())
                .await?;
        }
        if let Some(name) = name {
            self.store
                .rename_agent(&caller.workspace_id, &agent.id, &name, self.clock.now())
                .await?
                .ok_or_else(agent_not_found)?;
        }
        self.get_agent(caller, agent.id.as_str()).await
    }

    /// Refuses (409, naming them) while live numbers route to the agent, unless `detach`.
    #[tracing::instrument(skip_all, fields(workspace = %caller.workspace_id, agent = %id))]
    pub async fn delete_agent(&self, caller: &Caller, id: &str, detach: bool) -> ServiceResult<()> {
        let id = AgentId::parse(id).ok_or_else(agent_not_found)?;
        match self
            .store
            .delete_agent(&caller.workspace_id, &id, detach, self.clock.now())
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

    /// Resolve a body's phone-number id to a live number of the workspace; `Ok(None)` for
    /// "detach" (absent, null or "").
    async fn live_number_id(
        &self,
        caller: &Caller,
        field: &'static str,
        raw: &Option<Option<String>>,
    ) -> ServiceResult<Option<PhoneNumberId>> {
        let Some(raw) = raw.as_ref().and_then(|r| r.as_deref()).map(str::trim) else {
            return Ok(None);
        };
        if raw.is_empty() {
            return Ok(None);
        }
        let id = PhoneNumberId::parse(raw).ok_or_else(|| unknown_number(field, raw))?;
        let record = self
            .store
            .get_number(&caller.workspace_id, &id)
            .await?
            .ok_or_else(|| unknown_number(field, raw))?;
        if !record.status.holds_number() {
            return Err(not_live(field, raw, record.status));
        }
        Ok(Some(id))
    }

    async fn bind(
        &self,
        caller: &Caller,
        agent: &AgentId,
        direction: Direction,
        number: Option<&PhoneNumberId>,
    ) -> ServiceResult<()> {
        let field = match direction {
            Direction::Inbound => "inbound_phone_number_id",
            Direction::Outbound => "outbound_phone_number_id",
        };
        match self
            .store
            .bind_agent_number(
                &caller.workspace_id,
                agent,
                direction,
                number,
                self.clock.now(),
            )
            .await?
        {
            Ok(()) => Ok(()),
            Err(UpdateRefused::AgentNotFound(_)) => Err(agent_not_found()),
            Err(UpdateRefused::NumberNotFound) => Err(unknown_number(
                field,
                number.map(PhoneNumberId::as_str).unwrap_or(""),
            )),
            Err(UpdateRefused::NumberNotLive(status)) => Err(not_live(
                field,
                number.map(PhoneNumberId::as_str).unwrap_or(""),
                status,
            )),
        }
    }
}
