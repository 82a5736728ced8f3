//! How an agent update becomes one write: which version it changes (a new draft after a
//! published one, or a published one only with `update_deployment`), what the request sets on
//! it, and which numbers go live (all of a version's when it is published; at once without a
//! version named, as the API was before versions).

use crate::agent_input::{AgentInput, ParsedAgent, live_of};
use crate::agents::{field_of, not_live, unknown_number};
use crate::audit::AuditEntry;
use crate::{Caller, ServiceError, ServiceResult, Services};
use dialnexa_domain::PhoneNumberId;
use dialnexa_store::{AgentVersion, AgentWrite, Direction, NumberChoice};

fn agent_not_found() -> ServiceError {
    ServiceError::not_found("Agent")
}

impl Services {
    /// The write an update asks for, computed from the agent as read.
    pub(crate) async fn plan(
        &self,
        caller: &Caller,
        agent: &dialnexa_store::Agent,
        input: &AgentInput,
        parsed: &ParsedAgent,
        entry: &AuditEntry,
    ) -> ServiceResult<AgentWrite> {
        let now = self.clock.now();
        let inbound = self
            .number_choice(caller, Direction::Inbound, input)
            .await?;
        let outbound = self
            .number_choice(caller, Direction::Outbound, input)
            .await?;
        let latest = agent.current_version_number;
        let n = parsed.version_number.unwrap_or(latest);
        let (mut version, is_new) = match agent.version(n) {
            Some(v)
                if v.is_published()
                    && parsed.version_number.is_some()
                    && !parsed.update_deployment =>
            {
                return Err(ServiceError::bad_request(
                    "version_published",
                    format!(
                        "Version {n} is published. Edit a new draft (version_number {}) and publish \
                         it, or send update_deployment: true to change the published version.",
                        latest + 1
                    ),
                )
                .on("version_number"));
            }
            Some(v) => (v.clone(), false),
            None if n == latest + 1 && agent.version(latest).is_some_and(|v| v.is_published()) => {
                let from = agent.version(latest).cloned().ok_or_else(agent_not_found)?;
                let draft = AgentVersion {
                    version_number: n,
                    version_title: Some(format!("Version {n}")),
                    published_at: None,
                    created_at: now,
                    ..from
                };
                (draft, true)
            }
            None => {
                return Err(ServiceError::new(
                    crate::ErrorKind::NotFound,
                    "not_found",
                    format!(
                        "Agent version {n} not found: this agent's newest version is {latest}; \
                         a new draft is version {} once {latest} is published.",
                        latest + 1
                    ),
                )
                .on("version_number"));
            }
        };
        let was_published = version.is_published();
        parsed.settings.apply(&mut version);
        if let Some(name) = &parsed.name {
            version.title.clone_from(name);
        }
        let mut asked = Vec::new();
        for (direction, choice) in [
            (Direction::Inbound, inbound),
            (Direction::Outbound, outbound),
        ] {
            if let Some(choice) = choice {
                asked.push(direction);
                match direction {
                    Direction::Inbound => version.inbound = choice,
                    Direction::Outbound => version.outbound = choice,
                }
            }
        }
        version.updated_at = now;
        // Without a version named, numbers go live at once (the API before versions); a
        // version's numbers go live when it is published, or at once when it already is.
        let live = if parsed.publish {
            version.published_at = Some(now);
            live_of(&version, &[Direction::Inbound, Direction::Outbound])
        } else if parsed.version_number.is_none() || was_published {
            live_of(&version, &asked)
        } else {
            Vec::new()
        };
        let becomes_current = n >= latest;
        Ok(AgentWrite {
            workspace_id: caller.workspace_id.clone(),
            agent_id: agent.id.clone(),
            revision: agent.revision,
            now,
            name: becomes_current.then(|| version.title.clone()),
            agent_type: None,
            pipeline_type: parsed.pipeline_type.clone(),
            timezone: parsed.timezone.clone(),
            publish: parsed.publish,
            current_version_number: is_new.then_some(n),
            version: Some(version),
            live,
            audit: self.audit_row(&caller.workspace_id, &caller.actor, entry, Ok(())),
        })
    }

    /// What a body says about one direction's number: `None` when it says nothing, `Detach`
    /// for null or "", or a live number of the workspace.
    pub(crate) async fn number_choice(
        &self,
        caller: &Caller,
        direction: Direction,
        input: &AgentInput,
    ) -> ServiceResult<Option<NumberChoice>> {
        let field = field_of(direction);
        let raw = match direction {
            Direction::Inbound => &input.inbound_phone_number_id,
            Direction::Outbound => &input.outbound_phone_number_id,
        };
        let Some(raw) = raw else { return Ok(None) };
        let raw = raw.as_deref().map(str::trim).unwrap_or("");
        if raw.is_empty() {
            return Ok(Some(NumberChoice::Detach));
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
        Ok(Some(NumberChoice::Route(id)))
    }
}
