//! A number after purchase: renamed, routed, made the workspace default, released.
//!
//! Release is a small saga, like purchase: the intent is saved on the row first (so the
//! workspace default cannot be moved onto it and a second release waits), then the carrier lets
//! go, then one transaction marks it released. A carrier that already forgot the number counts
//! as done; any other carrier failure leaves the number active and answers 5xx, so nothing is
//! lost. A request that dies in between is finished by `recover_releases`.

use crate::agents::{not_live, unknown_agent, unknown_number};
use crate::{Caller, ErrorKind, ServiceError, ServiceResult, Services, failpoints};
use dialnexa_carriers::{CarrierError, NumberUpdate, OwnedNumber};
use dialnexa_domain::{AgentId, EventId, NumberStatus, PhoneNumberId, Provider};
use dialnexa_store::{
    DefaultRefused, NewEvent, NumberChanges, PhoneNumberRecord, ReleaseClaim, UpdateRefused,
    Workspace,
};
use std::time::Duration;

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

fn number_not_found() -> ServiceError {
    ServiceError::not_found("Phone number")
}

fn check_text(
    field: &str,
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
        ));
    }
    Ok(Some(Some(text.to_owned())))
}

fn check_agent(
    field: &str,
    value: &Option<Option<String>>,
) -> ServiceResult<Option<Option<AgentId>>> {
    let Some(value) = value else {
        return Ok(None);
    };
    match value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(Some(None)),
        Some(raw) => AgentId::parse(raw)
            .map(|a| Some(Some(a)))
            .ok_or_else(|| unknown_agent(field, raw)),
    }
}

/// A carrier failure during release, for the caller: nothing changed on our side.
fn release_failed(provider: Provider, e: CarrierError) -> ServiceError {
    match e {
        CarrierError::Unauthorized => ServiceError::new(
            ErrorKind::BadGateway,
            "carrier_auth_failed",
            format!("{provider} refused this deployment's credentials; the number is still active. An operator must fix the carrier configuration."),
        ),
        CarrierError::Rejected(reason) => ServiceError::new(
            ErrorKind::BadGateway,
            "carrier_rejected",
            format!("{provider} refused to release the number; it is still active."),
        )
        .with_internal(reason),
        other => ServiceError::new(
            ErrorKind::Unavailable,
            "carrier_unavailable",
            format!("{provider} is not answering right now; the number is still active. Retry the release in a few seconds."),
        )
        .with_internal(other.to_string()),
    }
}

fn owned(record: &PhoneNumberRecord) -> OwnedNumber {
    OwnedNumber {
        phone_number: record.phone_number.clone(),
        carrier_ref: record.carrier_ref.clone().unwrap_or_default(),
        friendly_name: None,
    }
}

impl Services {
    #[tracing::instrument(skip_all, fields(workspace = %caller.workspace_id, number = %id))]
    pub async fn update_number(
        &self,
        caller: &Caller,
        id: &str,
        patch: NumberPatch,
    ) -> ServiceResult<PhoneNumberRecord> {
        let number_id = PhoneNumberId::parse(id).ok_or_else(number_not_found)?;
        let changes = NumberChanges {
            nickname: check_text("nickname", &patch.nickname)?,
            label: check_text("label", &patch.label)?,
            inbound_agent_id: check_agent("agent_id", &patch.inbound_agent_id)?,
            outbound_agent_id: check_agent("outbound_agent_id", &patch.outbound_agent_id)?,
        };
        let before = self.get_number(caller, id).await?;
        if changes.is_empty() {
            return Ok(before);
        }
        let updated = self
            .store
            .update_number(&caller.workspace_id, &number_id, &changes, self.clock.now())
            .await?
            .map_err(|refused| match refused {
                UpdateRefused::NumberNotFound => number_not_found(),
                UpdateRefused::NumberNotLive(status) => not_live("id", id, status),
                UpdateRefused::AgentNotFound(agent) => {
                    let field = if changes.inbound_agent_id == Some(Some(agent.clone())) {
                        "agent_id"
                    } else {
                        "outbound_agent_id"
                    };
                    unknown_agent(field, agent.as_str())
                }
            })?;
        if updated.nickname != before.nickname {
            self.push_friendly_name(&updated).await;
        }
        Ok(updated)
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
        if let Err(e) = carrier.update(&owned(record), &update).await {
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
        const FIELD: &str = "phone_number_id";
        let raw = phone_number_id.map(str::trim).filter(|r| !r.is_empty());
        let id = raw
            .map(|r| PhoneNumberId::parse(r).ok_or_else(|| unknown_number(FIELD, r)))
            .transpose()?;
        self.store
            .set_default_number(&caller.workspace_id, id.as_ref())
            .await?
            .map_err(|refused| match refused {
                DefaultRefused::NumberNotFound => unknown_number(FIELD, raw.unwrap_or("")),
                DefaultRefused::NumberNotActive(status) => {
                    not_live(FIELD, raw.unwrap_or(""), status)
                }
            })
    }

    /// Release a number at its carrier (or unlink a SIP trunk) and stop routing it.
    #[tracing::instrument(skip_all, fields(workspace = %caller.workspace_id, number = %id))]
    pub async fn release_number(
        &self,
        caller: &Caller,
        id: &str,
    ) -> ServiceResult<PhoneNumberRecord> {
        let number_id = PhoneNumberId::parse(id).ok_or_else(number_not_found)?;
        let record = match self
            .store
            .claim_release(&caller.workspace_id, &number_id, self.clock.now())
            .await?
        {
            ReleaseClaim::Claimed(record) => *record,
            // Released (or never bought) numbers are gone: a second DELETE changes nothing.
            ReleaseClaim::NotFound
            | ReleaseClaim::NotActive(NumberStatus::Released | NumberStatus::Failed) => {
                return Err(number_not_found());
            }
            ReleaseClaim::NotActive(status) => {
                return Err(ServiceError::conflict(
                    "phone_number_not_active",
                    format!(
                        "Phone number {id} is {status}: its purchase has not settled yet. Retry once GET shows it active."
                    ),
                ));
            }
            ReleaseClaim::IsDefault => {
                return Err(ServiceError::conflict(
                    "default_phone_number",
                    format!(
                        "Phone number {id} is this workspace's default number. Make another number the \
                         default (PUT /v1/workspace/default-phone-number {{\"phone_number_id\": \"phn_…\"}}) \
                         or clear it ({{\"phone_number_id\": null}}), then release this one."
                    ),
                ));
            }
            ReleaseClaim::InProgress => {
                return Err(ServiceError::conflict(
                    "release_in_progress",
                    format!(
                        "Phone number {id} is being released by another request; GET it to see the outcome."
                    ),
                ));
            }
        };
        self.config.failpoints.hit(failpoints::RELEASE_AFTER_CLAIM);
        match self.release_at_carrier(&record).await {
            Ok(()) => {
                self.config
                    .failpoints
                    .hit(failpoints::RELEASE_AFTER_CARRIER);
                self.finish_release(&record).await
            }
            Err(e) => {
                self.store.abandon_release(&record.id).await?;
                Err(e)
            }
        }
    }

    /// `Ok` once the carrier no longer has the number on our account.
    async fn release_at_carrier(&self, record: &PhoneNumberRecord) -> ServiceResult<()> {
        if !record.provider.is_carrier() {
            // A bring-your-own number: there is nothing to give back, only the link to drop.
            return Ok(());
        }
        let provider = record.provider;
        let carrier = self.carriers.get(provider)?;
        match carrier.release(&owned(record)).await {
            Ok(()) | Err(CarrierError::NotFound) => Ok(()),
            Err(CarrierError::UnknownOutcome(detail)) => {
                // The release may have happened: ask rather than guess.
                match carrier.fetch_owned(&record.phone_number).await {
                    Ok(None) => Ok(()),
                    Ok(Some(_)) => Err(release_failed(
                        provider,
                        CarrierError::UnknownOutcome(detail),
                    )),
                    Err(e) => Err(release_failed(provider, e)),
                }
            }
            Err(e) => Err(release_failed(provider, e)),
        }
    }

    async fn finish_release(&self, record: &PhoneNumberRecord) -> ServiceResult<PhoneNumberRecord> {
        let event = NewEvent {
            id: EventId::generate(),
            event_type: "phone_number.released".into(),
            payload: serde_json::json!({
                "id": record.id,
                "phone_number": record.phone_number,
                "provider": record.provider,
            }),
        };
        self.store
            .finish_release(&record.id, self.clock.now(), &event)
            .await?
            .ok_or_else(|| ServiceError::internal(format!("release of {} vanished", record.id)))
    }

    /// Finish releases whose request died after saving the intent: the caller asked for the
    /// release, so it is resumed (a carrier that no longer has the number counts as done).
    /// A carrier that does not answer leaves the row for the next round.
    #[tracing::instrument(skip_all)]
    pub async fn recover_releases(&self, min_age: Duration) -> ServiceResult<u32> {
        let age = jiff::SignedDuration::try_from(min_age).unwrap_or_default();
        let now = self.clock.now();
        let before = now.checked_sub(age).unwrap_or(now);
        let mut finished = 0;
        for record in self.store.stale_releases(before, 100).await? {
            match self.release_at_carrier(&record).await {
                Ok(()) => {
                    self.finish_release(&record).await?;
                    finished += 1;
                }
                Err(e) if e.kind == ErrorKind::Unavailable => {
                    tracing::info!(id = %record.id, error = %e, "release still undecided; will retry");
                }
                Err(e) => {
                    tracing::warn!(id = %record.id, error = %e, "the carrier refused the release; the number stays active");
                    self.store.abandon_release(&record.id).await?;
                }
            }
        }
        if finished > 0 {
            tracing::info!(finished, "interrupted releases finished");
        }
        Ok(finished)
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
            check_agent("agent_id", &Some(Some("".into()))).unwrap(),
            Some(None)
        );
        assert!(matches!(
            check_agent("agent_id", &Some(Some("agt_abc".into()))).unwrap(),
            Some(Some(_))
        ));
        assert_eq!(
            check_agent("agent_id", &Some(Some("bob".into())))
                .unwrap_err()
                .code,
            "unknown_agent"
        );
    }
}
