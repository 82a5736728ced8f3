//! Each change of a number writes its outbox event in the change's own transaction, by the store
//! call alone: a failed purchase, a renewal charge (only when it charges), a partial update (its
//! payload made from the updated row). A change that does not happen writes none.

use super::{charge, event, new_number, on_both, t, webhook, workspace};
use dialnexa_domain::{AgentId, EventId, WebhookId, WorkspaceId};
use dialnexa_store::{
    NewEvent, NumberChanges, NumberEvent, PhoneNumberRecord, SqlStore, UpdateRefused,
};
use serde_json::{Value, json};
use std::sync::Arc;

/// An event as an endpoint of the workspace subscribed to `*` gets it: (id, type, payload).
type Seen = (String, String, Value);

/// Everything the outbox holds for `ws`, fanned out to its endpoint `hook` (subscribed to `*`).
async fn outbox(store: &SqlStore, ws: &WorkspaceId, hook: &WebhookId) -> Vec<Seen> {
    store
        .fan_out_events(t("2030-01-01T00:00:00Z"), 1000)
        .await
        .unwrap();
    let page = store.webhook_messages(ws, hook, 100, 0).await.unwrap();
    let mut seen: Vec<Seen> = page
        .messages
        .into_iter()
        .map(|m| {
            let payload = serde_json::from_str(&m.payload).unwrap();
            (m.event_id, m.event_type, payload)
        })
        .collect();
    seen.sort_by(|a, b| a.0.cmp(&b.0));
    seen
}

/// A workspace with an endpoint subscribed to every event, and a number it claimed at `at`.
async fn watched(store: &SqlStore, at: &str) -> (WorkspaceId, WebhookId, PhoneNumberRecord) {
    let ws = workspace(store).await;
    let hook = webhook(&ws, &["*"], true);
    store.insert_webhook(&hook).await.unwrap();
    let n = store
        .insert_pending(&new_number(&ws, "+14155552671", at))
        .await
        .unwrap();
    (ws, hook.id, n)
}

fn new_event(event_type: &str, payload: Value) -> NewEvent {
    NewEvent {
        id: EventId::generate(),
        event_type: event_type.into(),
        payload,
    }
}

fn seen(e: &NewEvent) -> Seen {
    (
        e.id.as_str().to_owned(),
        e.event_type.clone(),
        e.payload.clone(),
    )
}

#[tokio::test]
async fn a_failed_purchase_writes_its_event_with_the_failure_and_only_once() {
    on_both(|store| async move {
        let (ws, hook, n) = watched(&store, "2027-01-02T00:00:00Z").await;
        let now = t("2027-01-02T00:00:05Z");
        let failed = new_event(
            "phone_number.purchase_failed",
            json!({ "id": n.id, "status": "failed", "failure_reason": "refused" }),
        );
        store
            .fail_pending(&n.id, "refused", now, &failed)
            .await
            .unwrap();
        assert_eq!(outbox(&store, &ws, &hook).await, vec![seen(&failed)]);

        // No longer pending: nothing changes, so no second event.
        let again = new_event("phone_number.purchase_failed", json!({}));
        store
            .fail_pending(&n.id, "refused again", now, &again)
            .await
            .unwrap();
        assert_eq!(outbox(&store, &ws, &hook).await, vec![seen(&failed)]);
        let row = store.get_number(&ws, &n.id).await.unwrap().unwrap();
        assert_eq!(row.failure_reason.as_deref(), Some("refused"));
    })
    .await;
}

#[tokio::test]
async fn a_renewal_writes_its_event_only_when_it_charges() {
    on_both(|store| async move {
        let (ws, hook, n) = watched(&store, "2027-01-31T10:00:00Z").await;
        let c0 = charge(0, "2027-01-31T10:00:00Z", "2027-02-28T10:00:00Z");
        let purchased = event();
        store
            .activate_purchase(
                &n.id,
                "PN1",
                t("2027-01-31T10:00:00Z"),
                &c0,
                &purchased,
                None,
            )
            .await
            .unwrap();
        assert_eq!(outbox(&store, &ws, &hook).await, vec![seen(&purchased)]);

        let c1 = charge(1, "2027-02-28T10:00:00Z", "2027-03-31T10:00:00Z");
        let next = t("2027-03-31T10:00:00Z");
        let now = t("2027-03-01T00:00:00Z");
        let renewed = new_event(
            "phone_number.renewed",
            json!({ "id": c1.id, "phone_number_id": n.id, "period_index": 1 }),
        );
        assert!(
            store
                .charge_renewal(&n.id, &c1, next, now, &renewed)
                .await
                .unwrap()
        );
        let mut expected = vec![seen(&purchased), seen(&renewed)];
        expected.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(outbox(&store, &ws, &hook).await, expected);

        // A second worker loses the compare-and-set: no charge, no event.
        let lost = new_event("phone_number.renewed", json!({ "period_index": 1 }));
        let c1_again = charge(1, "2027-02-28T10:00:00Z", "2027-03-31T10:00:00Z");
        assert!(
            !store
                .charge_renewal(&n.id, &c1_again, next, now, &lost)
                .await
                .unwrap()
        );
        assert_eq!(outbox(&store, &ws, &hook).await, expected);
    })
    .await;
}

#[tokio::test]
async fn an_update_writes_its_event_made_from_the_updated_row() {
    on_both(|store| async move {
        let (ws, hook, n) = watched(&store, "2027-01-02T00:00:00Z").await;
        let updated = NumberEvent {
            id: EventId::generate(),
            event_type: "phone_number.updated".into(),
            payload: Arc::new(|row| {
                json!({
                    "id": row.id,
                    "nickname": row.nickname,
                    "label": row.label,
                    "updated_at": row.updated_at.to_string(),
                })
            }),
        };
        let now = t("2027-01-02T00:01:00Z");
        let changes = NumberChanges {
            nickname: Some(Some("Front desk".into())),
            ..Default::default()
        };
        let row = store
            .update_number(&ws, &n.id, &changes, now, &updated)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.nickname.as_deref(), Some("Front desk"));
        let payload = json!({
            "id": n.id,
            "nickname": "Front desk",
            "label": null,
            "updated_at": "2027-01-02T00:01:00Z",
        });
        let expected = vec![(
            updated.id.as_str().to_owned(),
            "phone_number.updated".to_owned(),
            payload,
        )];
        assert_eq!(outbox(&store, &ws, &hook).await, expected);

        // A refused update changes nothing and writes no event.
        let refused = NumberChanges {
            inbound_agent_id: Some(Some(AgentId::generate())),
            ..Default::default()
        };
        let another = NumberEvent {
            id: EventId::generate(),
            ..updated.clone()
        };
        let answer = store
            .update_number(&ws, &n.id, &refused, now, &another)
            .await
            .unwrap();
        assert!(
            matches!(answer, Err(UpdateRefused::AgentNotFound(_))),
            "{answer:?}"
        );
        assert_eq!(outbox(&store, &ws, &hook).await, expected);
    })
    .await;
}
