//! An agent create or update as sent, parsed once for every front-end: the name (the spec's
//! `title`), the spec's type and pipeline, the version settings this service keeps (ids of
//! catalogs it does not own, stored as given), and the version and publication asked for.

use crate::{ServiceError, ServiceResult};
use dialnexa_domain::PhoneNumberId;
use dialnexa_store::{AgentVersion, Direction, NumberChoice};

pub const MAX_NAME_CHARS: usize = 255;
/// The spec caps a version title at 35 characters.
pub const MAX_VERSION_TITLE_CHARS: usize = 35;
/// Ids of the platform's voice, language, LLM and transcriber catalogs: opaque, short.
const MAX_ID_CHARS: usize = 128;

pub const AGENT_TYPES: [&str; 2] = ["Single_Prompt_Agent", "Conversational_Flow_Agent"];
pub const PIPELINE_TYPES: [&str; 2] = ["Cascaded", "Speech_To_Speech"];
const SINGLE_PROMPT: &str = "Single_Prompt_Agent";

/// What a create or an update asks for. `None` leaves a field alone; for the nullable ones
/// `Some(None)` clears. For the number fields, `Some(None)` (or an empty string on the wire)
/// detaches and `Some(Some(id))` binds.
#[derive(Debug, Clone, Default)]
pub struct AgentInput {
    pub name: Option<String>,
    pub inbound_phone_number_id: Option<Option<String>>,
    pub outbound_phone_number_id: Option<Option<String>>,
    pub agent_type: Option<String>,
    pub pipeline_type: Option<Option<String>>,
    pub timezone: Option<Option<String>>,
    pub version_title: Option<Option<String>>,
    pub language_id: Option<Option<String>>,
    pub voice_id: Option<Option<String>>,
    pub llm_id: Option<Option<String>>,
    pub transcriber_id: Option<Option<String>>,
    /// The spec's versioned edit: which version an update changes. Without it an update acts
    /// on the current version and on live routing directly, as before versions existed.
    pub version_number: Option<i64>,
    /// Publish the version: its numbers become live routing.
    pub is_published: Option<bool>,
    /// Allow changing a version that is already published.
    pub update_deployment: Option<bool>,
}

/// The version settings a request changes (`None`: left alone, `Some(None)`: cleared).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct VersionSettings {
    pub version_title: Option<Option<String>>,
    pub language_id: Option<Option<String>>,
    pub voice_id: Option<Option<String>>,
    pub llm_id: Option<Option<String>>,
    pub transcriber_id: Option<Option<String>>,
}

impl VersionSettings {
    pub fn apply(&self, v: &mut dialnexa_store::AgentVersion) {
        let set = |slot: &mut Option<String>, change: &Option<Option<String>>| {
            if let Some(value) = change {
                slot.clone_from(value);
            }
        };
        set(&mut v.version_title, &self.version_title);
        set(&mut v.language_id, &self.language_id);
        set(&mut v.voice_id, &self.voice_id);
        set(&mut v.llm_id, &self.llm_id);
        set(&mut v.transcriber_id, &self.transcriber_id);
    }
}

/// Everything but the numbers, checked.
#[derive(Debug, Clone, Default)]
pub(crate) struct ParsedAgent {
    pub name: Option<String>,
    pub agent_type: Option<String>,
    pub pipeline_type: Option<Option<String>>,
    pub timezone: Option<Option<String>>,
    pub settings: VersionSettings,
    pub version_number: Option<i64>,
    pub publish: bool,
    pub update_deployment: bool,
}

fn refused(field: &'static str, code: &'static str, message: String) -> ServiceError {
    ServiceError::bad_request(code, message).on(field)
}

pub(crate) fn check_name(raw: &str) -> ServiceResult<String> {
    let name = raw.trim();
    if name.is_empty()
        || name.chars().count() > MAX_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(refused(
            "name",
            "invalid_name",
            format!("name is required: 1 to {MAX_NAME_CHARS} characters, on one line."),
        ));
    }
    Ok(name.to_owned())
}

/// A short one-line text; blank clears it.
fn check_text(
    field: &'static str,
    max: usize,
    raw: &Option<Option<String>>,
) -> ServiceResult<Option<Option<String>>> {
    let Some(raw) = raw else { return Ok(None) };
    let text = raw.as_deref().map(str::trim).unwrap_or("");
    if text.is_empty() {
        return Ok(Some(None));
    }
    if text.chars().count() > max || text.chars().any(char::is_control) {
        return Err(refused(
            field,
            "invalid_field",
            format!("{field} must be at most {max} characters, on one line; null clears it."),
        ));
    }
    Ok(Some(Some(text.to_owned())))
}

fn one_of(field: &'static str, allowed: &[&str], raw: &str) -> ServiceResult<String> {
    allowed
        .iter()
        .find(|a| **a == raw.trim())
        .map(|a| (*a).to_owned())
        .ok_or_else(|| {
            refused(
                field,
                "invalid_field",
                format!("{field} must be one of {}.", allowed.join(", ")),
            )
        })
}

fn check_timezone(raw: &Option<Option<String>>) -> ServiceResult<Option<Option<String>>> {
    let Some(name) = check_text("timezone", 64, raw)? else {
        return Ok(None);
    };
    if let Some(name) = &name
        && jiff::tz::TimeZone::get(name).is_err()
    {
        return Err(refused(
            "timezone",
            "invalid_timezone",
            format!("timezone: `{name}` is not an IANA time zone such as Asia/Kolkata."),
        ));
    }
    Ok(Some(name))
}

impl AgentInput {
    /// `agent_type` as it will be after the request: what it asks for, or `current`.
    pub(crate) fn parse(&self, current_type: Option<&str>) -> ServiceResult<ParsedAgent> {
        let agent_type = self
            .agent_type
            .as_deref()
            .map(|t| one_of("agent_type", &AGENT_TYPES, t))
            .transpose()?;
        if let (Some(wanted), Some(current)) = (&agent_type, current_type)
            && wanted != current
        {
            return Err(refused(
                "agent_type",
                "immutable_field",
                format!("agent_type is set when an agent is created; this one is {current}."),
            ));
        }
        let single_prompt = agent_type
            .as_deref()
            .or(current_type)
            .unwrap_or(SINGLE_PROMPT)
            == SINGLE_PROMPT;
        let pipeline_type = match &self.pipeline_type {
            None => None,
            Some(None) => Some(None),
            Some(Some(_)) if !single_prompt => {
                return Err(refused(
                    "pipeline_type",
                    "invalid_field",
                    "pipeline_type applies to Single_Prompt_Agent only.".into(),
                ));
            }
            Some(Some(p)) => Some(Some(one_of("pipeline_type", &PIPELINE_TYPES, p)?)),
        };
        let version_number = match self.version_number {
            Some(n) if n < 1 => {
                return Err(refused(
                    "version_number",
                    "invalid_field",
                    "version_number must be a whole number of at least 1.".into(),
                ));
            }
            other => other,
        };
        Ok(ParsedAgent {
            name: self.name.as_deref().map(check_name).transpose()?,
            agent_type,
            pipeline_type,
            timezone: check_timezone(&self.timezone)?,
            settings: VersionSettings {
                version_title: check_text(
                    "version_title",
                    MAX_VERSION_TITLE_CHARS,
                    &self.version_title,
                )?,
                language_id: check_text("language_id", MAX_ID_CHARS, &self.language_id)?,
                voice_id: check_text("voice_id", MAX_ID_CHARS, &self.voice_id)?,
                llm_id: check_text("llm_id", MAX_ID_CHARS, &self.llm_id)?,
                transcriber_id: check_text("transcriber_id", MAX_ID_CHARS, &self.transcriber_id)?,
            },
            version_number,
            publish: self.is_published == Some(true),
            update_deployment: self.update_deployment == Some(true),
        })
    }
}

/// A new agent's pipeline: the one asked for, `Cascaded` for a single-prompt agent, none for
/// a flow agent.
pub(crate) fn new_pipeline(agent_type: &str, asked: &Option<Option<String>>) -> Option<String> {
    match asked {
        Some(p) => p.clone(),
        None if agent_type == SINGLE_PROMPT => Some("Cascaded".to_owned()),
        None => None,
    }
}

/// The live bindings a published version asks for: each direction it names a number for (or
/// detaches), in `directions` only.
pub(crate) fn live_of(
    version: &AgentVersion,
    directions: &[Direction],
) -> Vec<(Direction, Option<PhoneNumberId>)> {
    let mut live = Vec::new();
    for direction in directions {
        let choice = match direction {
            Direction::Inbound => &version.inbound,
            Direction::Outbound => &version.outbound,
        };
        match choice {
            NumberChoice::Unset => {}
            NumberChoice::Detach => live.push((*direction, None)),
            NumberChoice::Route(id) => live.push((*direction, Some(id.clone()))),
        }
    }
    live
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_specs_fields_are_checked() {
        let ok = AgentInput {
            name: Some(" Support ".into()),
            agent_type: Some("Conversational_Flow_Agent".into()),
            timezone: Some(Some("Asia/Kolkata".into())),
            voice_id: Some(Some(" voice_1 ".into())),
            version_title: Some(None),
            ..Default::default()
        }
        .parse(None)
        .unwrap();
        assert_eq!(ok.name.as_deref(), Some("Support"));
        assert_eq!(ok.settings.voice_id, Some(Some("voice_1".into())));
        assert_eq!(ok.settings.version_title, Some(None));
        assert_eq!(new_pipeline("Conversational_Flow_Agent", &None), None);
        assert_eq!(
            new_pipeline(SINGLE_PROMPT, &None).as_deref(),
            Some("Cascaded")
        );

        let code = |input: AgentInput, current: Option<&str>| {
            let e = input.parse(current).unwrap_err();
            (e.code, e.field.unwrap_or(""))
        };
        let bad_type = AgentInput {
            agent_type: Some("Robot".into()),
            ..Default::default()
        };
        assert_eq!(code(bad_type, None), ("invalid_field", "agent_type"));
        let flow_pipeline = AgentInput {
            pipeline_type: Some(Some("Cascaded".into())),
            ..Default::default()
        };
        assert_eq!(
            code(flow_pipeline, Some("Conversational_Flow_Agent")),
            ("invalid_field", "pipeline_type")
        );
        let moved = AgentInput {
            agent_type: Some("Conversational_Flow_Agent".into()),
            ..Default::default()
        };
        assert_eq!(
            code(moved, Some(SINGLE_PROMPT)),
            ("immutable_field", "agent_type")
        );
        let zone = AgentInput {
            timezone: Some(Some("Mars/Olympus".into())),
            ..Default::default()
        };
        assert_eq!(code(zone, None), ("invalid_timezone", "timezone"));
        let title = AgentInput {
            version_title: Some(Some("x".repeat(36))),
            ..Default::default()
        };
        assert_eq!(code(title, None), ("invalid_field", "version_title"));
        let version = AgentInput {
            version_number: Some(0),
            ..Default::default()
        };
        assert_eq!(code(version, None), ("invalid_field", "version_number"));
    }
}
