//! Events of changes whose store call writes no outbox row of its own (a purchase left pending
//! or failed, an update, a renewal, a drift found by reconciliation): written right after the
//! change commits. A crash in between loses that one event, unlike the events written inside
//! their change's transaction (purchased, released, sip_trunk.linked); an event that cannot be
//! written is logged and never fails the change, which has happened.

use crate::Services;
use crate::model::PhoneNumber;
use dialnexa_domain::{EventId, WorkspaceId, format_time};
use dialnexa_store::{NewEvent, PhoneNumberRecord};

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

    /// `phone_number.purchase_failed` for a pending purchase just unwound.
    pub(crate) async fn emit_purchase_failed(&self, pending: &PhoneNumberRecord, reason: &str) {
        let mut data = number_data(&self.present(pending.clone()));
        data["status"] = "failed".into();
        data["failure_reason"] = reason.into();
        let ws = &pending.workspace_id;
        self.emit(ws, None, "phone_number.purchase_failed", data)
            .await;
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
