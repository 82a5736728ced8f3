//! A number after purchase: renamed, routed, made the workspace default or no longer the
//! default. Its release is a saga of its own (`crate::saga::release`).

use crate::agents::{not_live, unknown_agent, unknown_number};
use crate::audit::{AuditEntry, actions};
use crate::carriers::owned_number;
use crate::model::{PhoneNumber, Workspace};
use crate::numbers::number_not_found;
use crate::{Caller, ServiceError, ServiceResult, Services};
use dialnexa_carriers::NumberUpdate;
use dialnexa_domain::{AgentId, NumberStatus, PhoneNumberId};
use dialnexa_store::{DefaultRefused, NumberChanges, PhoneNumberRecord, UpdateRefused};

pub const MAX_TEXT_CHARS: usize = 255;

/// `PATCH /v1/organization-phone-numbers/{id}` as asked: `None` leaves a field alone,
/// `Some(None)` clears it (for text, `""` clears too).
#[derive(Debug, Clone, Default)]
pub struct NumberPatch {
    pub nickname: Option<Option<String>>,
    pub label: Option<Option<String>>,
    pub inbound_agent_id: Option<Option<String>>,
    pub outbound_agent_id: Option<Option<String>>,
}

fn check_text(
    field: &'static str,
    value: &Option<Option<String>>,
) -> ServiceResult<Option<Option<String>>> {
    let Some(value) = value else {
        return Ok(None);
    };
    let text = value.as_deref().map(str::trim).unwrap_or("");
    if text.is_empty() {
        return Ok(Some(None));
    }
    if text.chars().count() > MAX_TEXT_CHARS || text.chars().any(char::is_control) {
        let code = if field == "nickname" {
            "invalid_nickname"
        } else {
            "invalid_label"
        };
        return Err(ServiceError::bad_request(
            code,
            format!(
                "{field} must be at most {MAX_TEXT_CHARS} characters on one line; send null or \"\" to clear it."
            ),
        )
        .on(field));
    }
    Ok(Some(Some(text.to_owned())))
}

/// `named` is how the API's body calls the field (`agent_id` for the inbound agent).
fn check_agent(
    field: &'static str,
    named: &str,
    value: &Option<Option<String>>,
) -> ServiceResult<Option<Option<AgentId>>> {
    let Some(value) = value else {
        return Ok(None);
    };
    match value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(Some(None)),
        Some(raw) => AgentId::parse(raw)
            .map(|a| Some(Some(a)))
            .ok_or_else(|| unknown_agent(named, raw).on(field)),
    }
}

/// What a number update asked for, for its audit row: the fields sent and their values.
fn patch_detail(patch: &NumberPatch) -> serde_json::Value {
    let mut detail = serde_json::Map::new();
    for (field, value) in [
        ("nickname", &patch.nickname),
        ("label", &patch.label),
        ("agent_id", &patch.inbound_agent_id),
        ("outbound_agent_id", &patch.outbound_agent_id),
    ] {
        if let Some(value) = value {
            detail.insert(field.to_owned(), serde_json::json!(value));
        }
    }
    serde_json::Value::Object(detail)
}

impl Services {
    #[tracing::instrument(skip_all, fields(workspace = %caller.workspace_id, number = %id))]
    pub async fn update_number(
        &self,
        caller: &Caller,
        id: &str,
        patch: NumberPatch,
    ) -> ServiceResult<PhoneNumber> {
        let entry = AuditEntry::new(actions::NUMBER_UPDATE, "phone_number")
            .on(id.trim())
            .with(patch_detail(&patch));
        let updated = self.update_number_unaudited(caller, id, patch).await;
        self.audited(caller, entry, updated, |_| None).await
    }

    async fn update_number_unaudited(
        &self,
        caller: &Caller,
        id: &str,
        patch: NumberPatch,
    ) -> ServiceResult<PhoneNumber> {
        let number_id = PhoneNumberId::parse(id).ok_or_else(number_not_found)?;
        let changes = NumberChanges {
            nickname: check_text("nickname", &patch.nickname)?,
            label: check_text("label", &patch.label)?,
            inbound_agent_id: check_agent("inbound_agent_id", "agent_id", &patch.inbound_agent_id)?,
            outbound_agent_id: check_agent(
                "outbound_agent_id",
                "outbound_agent_id",
                &patch.outbound_agent_id,
            )?,
        };
        let before = self.number_record(caller, id).await?;
        if changes.is_empty() {
            return self.with_trunk(before).await;
        }
        let now = self.clock.now();
        let event = crate::webhooks::updated_event(now);
        let updated = self
            .store
            .update_number(&caller.workspace_id, &number_id, &changes, now, &event)
            .await?
            .map_err(|refused| match refused {
                UpdateRefused::NumberNotFound => number_not_found(),
                UpdateRefused::NumberNotLive(status) => not_live("id", id, status),
                UpdateRefused::AgentNotFound(agent) => {
                    if changes.inbound_agent_id == Some(Some(agent.clone())) {
                        unknown_agent("agent_id", agent.as_str()).on("inbound_agent_id")
                    } else {
                        unknown_agent("outbound_agent_id", agent.as_str()).on("outbound_agent_id")
                    }
                }
            })?;
        self.wake_webhooks();
        if updated.nickname != before.nickname {
            self.push_friendly_name(&updated).await;
        }
        self.with_trunk(updated).await
    }

    /// Mirror the nickname as the carrier's friendly name. Best effort: our row is the truth,
    /// so a carrier failure is logged and the update still succeeds.
    async fn push_friendly_name(&self, record: &PhoneNumberRecord) {
        if record.status != NumberStatus::Active || record.carrier_ref.is_none() {
            return;
        }
        let Ok(carrier) = self.carriers.get(record.provider) else {
            return;
        };
        let update = NumberUpdate {
            friendly_name: Some(
                record
                    .nickname
                    .clone()
                    .unwrap_or_else(|| record.phone_number.to_string()),
            ),
            voice_url: None,
        };
        if let Err(e) = carrier.update(&owned_number(record), &update).await {
            tracing::warn!(id = %record.id, provider = %record.provider, error = %e,
                "could not update the carrier's friendly name; the nickname is saved");
        }
    }

    /// `None` clears the default.
    #[tracing::instrument(skip_all, fields(workspace = %caller.workspace_id))]
    pub async fn set_default_number(
        &self,
        caller: &Caller,
        phone_number_id: Option<&str>,
    ) -> ServiceResult<Workspace> {
        let entry = AuditEntry::new(actions::DEFAULT_NUMBER_SET, "workspace")
            .on(caller.workspace_id.as_str())
            .with(serde_json::json!({ "phone_number_id": phone_number_id }));
        let set = self
            .set_default_number_unaudited(caller, phone_number_id)
            .await;
        self.audited(caller, entry, set, |_| None).await
    }

    async fn set_default_number_unaudited(
        &self,
        caller: &Caller,
        phone_number_id: Option<&str>,
    ) -> ServiceResult<Workspace> {
        const FIELD: &str = "phone_number_id";
        let raw = phone_number_id.map(str::trim).filter(|r| !r.is_empty());
        let id = raw
            .map(|r| PhoneNumberId::parse(r).ok_or_else(|| unknown_number(FIELD, r)))
            .transpose()?;
        self.store
            .set_default_number(&caller.workspace_id, id.as_ref())
            .await?
            .map(Into::into)
            .map_err(|refused| match refused {
                DefaultRefused::NumberNotFound => unknown_number(FIELD, raw.unwrap_or("")),
                DefaultRefused::NumberNotActive(status) => {
                    not_live(FIELD, raw.unwrap_or(""), status)
                }
            })
    }

    /// Clears the default only while it is `id`, so a page shown before the default moved
    /// cannot clear the new one.
    #[tracing::instrument(skip_all, fields(workspace = %caller.workspace_id, number = %id))]
    pub async fn unset_default_number(
        &self,
        caller: &Caller,
        id: &str,
    ) -> ServiceResult<Workspace> {
        let workspace = self.workspace(caller).await?;
        match &workspace.default_phone_number_id {
            Some(current) if current.as_str() == id => self.set_default_number(caller, None).await,
            _ => Ok(workspace),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_fields_trim_clear_and_cap() {
        assert_eq!(check_text("nickname", &None).unwrap(), None);
        assert_eq!(check_text("nickname", &Some(None)).unwrap(), Some(None));
        assert_eq!(
            check_text("nickname", &Some(Some("  ".into()))).unwrap(),
            Some(None)
        );
        assert_eq!(
            check_text("nickname", &Some(Some(" Sales ".into()))).unwrap(),
            Some(Some("Sales".into()))
        );
        let long = "x".repeat(256);
        assert_eq!(
            check_text("nickname", &Some(Some(long))).unwrap_err().code,
            "invalid_nickname"
        );
        assert!(check_text("label", &Some(Some("x".repeat(255)))).is_ok());
        assert_eq!(
            check_text("label", &Some(Some("a\nb".into())))
                .unwrap_err()
                .code,
            "invalid_label"
        );
    }

    #[test]
    fn agent_fields_parse_or_detach() {
        assert_eq!(
            check_agent("inbound_agent_id", "agent_id", &Some(Some("".into()))).unwrap(),
            Some(None)
        );
        assert!(matches!(
            check_agent(
                "inbound_agent_id",
                "agent_id",
                &Some(Some("agt_abc".into()))
            )
            .unwrap(),
            Some(Some(_))
        ));
        assert_eq!(
            check_agent("inbound_agent_id", "agent_id", &Some(Some("bob".into())))
                .unwrap_err()
                .code,
            "unknown_agent"
        );
    }
}
