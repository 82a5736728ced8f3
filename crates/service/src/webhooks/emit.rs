//! The payloads of a number's events, and the two events written apart from any change. Every
//! change of a number writes its event in the change's own transaction, by the store call that
//! makes the change (purchased, purchase_failed, updated, released, renewed, sip_trunk.linked).
//! `Services::emit` is left for two events that change no row, written right after their cause
//! and never failing it: `phone_number.purchase_pending`, tied to the 202 answer (the pending row
//! was written before the carrier was called, and the lost answer changes nothing), and
//! `reconcile.drift`, a detection named by its event id: a crash before it is written loses
//! nothing, as the next reconciliation finds the drift again and writes it then.

use crate::Services;
use crate::model::PhoneNumber;
use dialnexa_domain::{EventId, WorkspaceId, format_time};
use dialnexa_store::{NewEvent, NumberEvent, PhoneNumberRecord};
use jiff::Timestamp;
use std::sync::Arc;

/// The `data` of a number's events: the number as `GET /v1/organization-phone-numbers/{id}`
/// shows it (its SIP trunk's details aside, which `GET` reads apart).
pub(crate) fn number_data(n: &PhoneNumber) -> serde_json::Value {
    let inbound = n.inbound_agent_id.as_ref().map(|a| a.to_string());
    serde_json::json!({
        "id": n.id,
        "phone_number": n.phone_number,
        "country_code": n.phone_number.country(),
        "type": n.number_type,
        "capabilities": n.capabilities,
        "monthly_cost_usd": n.monthly_cost,
        "label": n.label,
        "nickname": n.nickname,
        "agent_id": inbound,
        "inbound_agent_id": inbound,
        "outbound_agent_id": n.outbound_agent_id.as_ref().map(|a| a.to_string()),
        "status": n.status,
        "provider": n.provider,
        "sip_trunk_enabled": n.provider == dialnexa_domain::Provider::SipTrunk,
        "created_at": format_time(n.created_at),
        "updated_at": format_time(n.updated_at),
        "released_at": n.released_at.map(format_time),
        "next_renewal_at": n.next_renewal_at.map(format_time),
    })
}

/// `phone_number.updated`, made by `update_number` from the row it leaves, in its
/// transaction: the number as `GET` shows it after the update (presented as of `now`, the
/// update's time, as `present` would do then).
pub(crate) fn updated_event(now: Timestamp) -> NumberEvent {
    NumberEvent {
        id: EventId::generate(),
        event_type: "phone_number.updated".into(),
        payload: Arc::new(move |row| number_data(&PhoneNumber::new(row.clone(), now))),
    }
}

impl Services {
    /// Write `event_type` for `workspace` and wake the delivery worker. `id` names the event
    /// when it must be written once only (a drift found again and again is one event a day).
    pub(crate) async fn emit(
        &self,
        workspace: &WorkspaceId,
        id: Option<EventId>,
        event_type: &str,
        payload: serde_json::Value,
    ) {
        let event = NewEvent {
            id: id.unwrap_or_else(EventId::generate),
            event_type: event_type.into(),
            payload,
        };
        match self
            .store
            .record_event(workspace, &event, self.clock.now())
            .await
        {
            Ok(()) => self.wake_webhooks(),
            Err(e) => tracing::warn!(error = %e, event_type, "writing an event failed"),
        }
    }

    /// `phone_number.purchase_failed` for a pending purchase being unwound, for
    /// `fail_pending` to write with the unwinding.
    pub(crate) fn purchase_failed_event(
        &self,
        pending: &PhoneNumberRecord,
        reason: &str,
        now: Timestamp,
    ) -> NewEvent {
        let mut data = number_data(&self.present(pending.clone()));
        data["status"] = "failed".into();
        data["updated_at"] = format_time(now).into();
        data["failure_reason"] = reason.into();
        NewEvent {
            id: EventId::generate(),
            event_type: "phone_number.purchase_failed".into(),
            payload: data,
        }
    }

    /// `reconcile.drift`, once a day per number and kind however often it is found again.
    pub(crate) async fn emit_drift(
        &self,
        workspace: &WorkspaceId,
        kind: &str,
        number: &dialnexa_domain::PhoneNumberId,
        data: serde_json::Value,
    ) {
        let day = self.clock.now().as_second() / 86_400;
        let suffix = number.as_str().trim_start_matches("phn_");
        let id = EventId::from_trusted(format!("evt_{kind}{day}_{suffix}"));
        self.emit(workspace, Some(id), "reconcile.drift", data)
            .await;
    }
}
