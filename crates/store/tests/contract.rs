//! The store contract: every test runs the same body on SQLite and on PostgreSQL, so the one
//! `SqlStore` behaves the same on both backends.

use dialnexa_domain::{
    AgentId, AuditEventId, Capabilities, Capability, ChargeId, CountryIso, E164, EventId,
    KycStatus, Money, NumberStatus, NumberType, PhoneNumberId, Provider, WorkspaceId,
};
use dialnexa_store::{
    AgentDeletion, AgentRefused, AgentVersion, AgentWrite, AuditFilter, Direction,
    IdempotencyBegin, NewAgent, NewAuditEvent, NewCharge, NewEvent, NewNumber, NewWorkspace,
    NumberChoice, NumberFilter, Page, PhoneNumberRecord, ReleaseClaim, SqlStore, StoreError,
    StoreOptions,
};
use jiff::Timestamp;
use std::future::Future;

#[path = "contract/events.rs"]
mod events;
#[path = "contract/holds.rs"]
mod holds;

/// Runs `body` once against a fresh SQLite file and once against a fresh PostgreSQL database.
async fn on_both<F, Fut>(body: F)
where
    F: Fn(SqlStore) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}", dir.path().join("store.db").display());
    let postgres = dialnexa_store::testing::migrated_postgres_database().await;
    for url in [sqlite, postgres] {
        let store = SqlStore::connect(&StoreOptions::new(url)).await.unwrap();
        store.migrate().await.unwrap();
        body(store.clone()).await;
        store.close().await;
    }
}

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

async fn workspace(store: &SqlStore) -> WorkspaceId {
    let id = WorkspaceId::generate();
    store
        .create_workspace(&NewWorkspace {
            id: id.clone(),
            name: "w".into(),
            default_provider: Provider::Twilio,
            enabled_countries: vec![CountryIso::parse("US").unwrap()],
            created_at: t("2027-01-01T00:00:00Z"),
        })
        .await
        .unwrap();
    id
}

fn new_number(ws: &WorkspaceId, number: &str, at: &str) -> NewNumber {
    NewNumber {
        id: PhoneNumberId::generate(),
        workspace_id: ws.clone(),
        phone_number: E164::parse(number).unwrap(),
        number_type: NumberType::Local,
        capabilities: Capabilities::default().with(Capability::Voice),
        monthly_cost: Money::from_micros(1_150_000),
        provider: Provider::Twilio,
        created_at: t(at),
    }
}

fn charge(index: u32, start: &str, end: &str) -> NewCharge {
    NewCharge {
        id: ChargeId::generate(),
        period_index: index,
        period_start: t(start),
        period_end: t(end),
        amount: Money::from_micros(1_150_000),
    }
}

fn event() -> NewEvent {
    NewEvent {
        id: EventId::generate(),
        event_type: "phone_number.purchased".into(),
        payload: serde_json::json!({}),
    }
}

#[tokio::test]
async fn a_number_is_claimed_by_one_row_across_workspaces() {
    on_both(|store| async move {
        let (a, b) = (workspace(&store).await, workspace(&store).await);
        let first = store
            .insert_pending(&new_number(&a, "+14155552671", "2027-01-01T00:00:00Z"))
            .await
            .unwrap();
        assert_eq!(first.status, NumberStatus::Pending);
        let again = store
            .insert_pending(&new_number(&b, "+14155552671", "2027-01-01T00:00:01Z"))
            .await;
        assert!(
            matches!(again, Err(StoreError::NumberAlreadyHeld)),
            "{again:?}"
        );
        // A failed purchase frees the claim.
        store
            .fail_pending(&first.id, "refused", t("2027-01-01T00:00:02Z"), &event())
            .await
            .unwrap();
        let second = store
            .insert_pending(&new_number(&b, "+14155552671", "2027-01-01T00:00:03Z"))
            .await
            .unwrap();
        assert_eq!(second.workspace_id, b);
    })
    .await;
}

#[tokio::test]
async fn activation_is_idempotent_and_charges_once() {
    on_both(|store| async move {
        let ws = workspace(&store).await;
        let n = store
            .insert_pending(&new_number(&ws, "+14155552671", "2027-01-31T10:00:00Z"))
            .await
            .unwrap();
        let c = charge(0, "2027-01-31T10:00:00Z", "2027-02-28T10:00:00Z");
        let now = t("2027-01-31T10:00:00Z");
        let active = store
            .activate_purchase(&n.id, "PN1", now, &c, &event(), None)
            .await
            .unwrap();
        assert_eq!(active.status, NumberStatus::Active);
        assert_eq!(active.carrier_ref.as_deref(), Some("PN1"));
        let again = store
            .activate_purchase(
                &n.id,
                "PN1",
                now,
                &charge(0, "2027-01-31T10:00:00Z", "2027-02-28T10:00:00Z"),
                &event(),
                None,
            )
            .await
            .unwrap();
        assert_eq!(again.id, active.id);
        let (charges, total) = store
            .list_charges(&ws, &Default::default(), Page { page: 1, limit: 10 })
            .await
            .unwrap();
        assert_eq!(total, 1);
        assert_eq!(charges[0].period_start, t("2027-01-31T10:00:00Z"));
        // A failed row cannot be activated.
        let other = store
            .insert_pending(&new_number(&ws, "+14155552672", "2027-01-31T10:00:00Z"))
            .await
            .unwrap();
        store
            .fail_pending(&other.id, "x", now, &event())
            .await
            .unwrap();
        let refused = store
            .activate_purchase(&other.id, "PN2", now, &c, &event(), None)
            .await;
        assert!(
            matches!(refused, Err(StoreError::Conflict(_))),
            "{refused:?}"
        );
    })
    .await;
}

/// A purchase's audit row commits with its activation: activations at once (one batch on
/// PostgreSQL) each write theirs, a refused activation writes none, and a failed commit
/// neither activates nor audits.
/// `count` numbers of `ws` claimed at the same moment, `+1415555` then `first`, `first + 1`, ….
async fn pending_numbers(
    store: &SqlStore,
    ws: &WorkspaceId,
    first: usize,
    count: usize,
) -> Vec<PhoneNumberRecord> {
    let mut pending = Vec::new();
    for i in first..first + count {
        let number = format!("+1415555{i:04}");
        let n = store
            .insert_pending(&new_number(ws, &number, "2027-01-31T10:00:00Z"))
            .await
            .unwrap();
        pending.push(n);
    }
    pending
}

/// The activation of `id` at `now` with its first charge and `audit`, on a task of its own, so
/// that activations asked together share a batch.
fn spawn_activation(
    store: &SqlStore,
    id: &PhoneNumberId,
    now: Timestamp,
    audit: NewAuditEvent,
) -> tokio::task::JoinHandle<Result<PhoneNumberRecord, StoreError>> {
    let (store, id) = (store.clone(), id.clone());
    tokio::spawn(async move {
        let c = charge(0, "2027-01-31T10:00:00Z", "2027-02-28T10:00:00Z");
        store
            .activate_purchase(&id, "PN", now, &c, &event(), Some(&audit))
            .await
    })
}

/// The resource ids of the workspace's audit rows, sorted, and the total its listing reports.
async fn audited(store: &SqlStore, ws: &WorkspaceId) -> (Vec<String>, u64) {
    let page = Page {
        page: 1,
        limit: 100,
    };
    let (rows, total) = store
        .list_audit_events(ws, &AuditFilter::default(), page)
        .await
        .unwrap();
    let mut ids: Vec<_> = rows.into_iter().filter_map(|r| r.resource_id).collect();
    ids.sort();
    (ids, total)
}

#[tokio::test]
async fn an_activation_writes_its_audit_row_in_its_transaction() {
    on_both(|store| async move {
        let ws = workspace(&store).await;
        let now = t("2027-01-31T10:00:00Z");
        let mut pending = pending_numbers(&store, &ws, 3000, 20).await;
        let refused = pending.pop().unwrap();
        store
            .fail_pending(&refused.id, "x", now, &event())
            .await
            .unwrap();
        let activations = pending.iter().chain([&refused]).map(|n| {
            let audit = audit_row(
                &ws,
                "phone_number.purchase",
                n.id.as_str(),
                "2027-01-31T10:00:00Z",
            );
            spawn_activation(&store, &n.id, now, audit)
        });
        let results: Vec<_> = futures::future::join_all(activations).await;
        assert!(results[..19].iter().all(|r| r.as_ref().unwrap().is_ok()));
        assert!(
            results[19].as_ref().unwrap().is_err(),
            "a failed row is not activated"
        );
        let (audited, total) = audited(&store, &ws).await;
        assert_eq!(
            total, 19,
            "one row per activation, none for the refused one"
        );
        let mut activated: Vec<_> = pending.iter().map(|n| n.id.to_string()).collect();
        activated.sort();
        assert_eq!(audited, activated);
    })
    .await;
}

/// An audit row that cannot be written (its id taken) does not undo the activation it came
/// with: the number is active, charged once, and the rows of the other activations of its batch
/// are written.
#[tokio::test]
async fn an_activation_commits_when_its_audit_row_cannot_be_written() {
    on_both(|store| async move {
        let ws = workspace(&store).await;
        let now = t("2027-01-31T10:00:00Z");
        let taken = audit_row(&ws, "phone_number.purchase", "x", "2027-01-31T09:00:00Z");
        store.insert_audit_event(&taken).await.unwrap();
        let pending = pending_numbers(&store, &ws, 4000, 8).await;
        let activations = pending.iter().enumerate().map(|(i, n)| {
            let mut audit = audit_row(
                &ws,
                "phone_number.purchase",
                n.id.as_str(),
                "2027-01-31T10:00:00Z",
            );
            if i == 0 {
                audit.id = taken.id.clone();
            }
            spawn_activation(&store, &n.id, now, audit)
        });
        for result in futures::future::join_all(activations).await {
            assert_eq!(result.unwrap().unwrap().status, NumberStatus::Active);
        }
        for n in &pending {
            let read = store.get_number(&ws, &n.id).await.unwrap().unwrap();
            assert_eq!(read.status, NumberStatus::Active);
        }
        let (_, charges) = store
            .list_charges(
                &ws,
                &Default::default(),
                Page {
                    page: 1,
                    limit: 100,
                },
            )
            .await
            .unwrap();
        assert_eq!(charges, 8);
        let (audited, _) = audited(&store, &ws).await;
        let mut expected: Vec<_> = pending[1..].iter().map(|n| n.id.to_string()).collect();
        expected.push("x".into());
        expected.sort();
        assert_eq!(audited, expected, "every row but the clashing one");
    })
    .await;
}

#[tokio::test]
async fn a_renewal_period_is_claimed_once() {
    on_both(|store| async move {
        let ws = workspace(&store).await;
        let n = store
            .insert_pending(&new_number(&ws, "+14155552671", "2027-01-31T10:00:00Z"))
            .await
            .unwrap();
        let bought = t("2027-01-31T10:00:00Z");
        store
            .activate_purchase(
                &n.id,
                "PN1",
                bought,
                &charge(0, "2027-01-31T10:00:00Z", "2027-02-28T10:00:00Z"),
                &event(),
                None,
            )
            .await
            .unwrap();
        assert!(
            store
                .due_renewals(t("2027-02-28T09:59:59Z"), 10)
                .await
                .unwrap()
                .is_empty()
        );
        let due = store
            .due_renewals(t("2027-03-01T00:00:00Z"), 10)
            .await
            .unwrap();
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].next_period_index, 1);
        assert_eq!(due[0].next_period_start, t("2027-02-28T10:00:00Z"));
        let c1 = charge(1, "2027-02-28T10:00:00Z", "2027-03-31T10:00:00Z");
        let now = t("2027-03-01T00:00:00Z");
        assert!(
            store
                .charge_renewal(&n.id, &c1, t("2027-03-31T10:00:00Z"), now, &event())
                .await
                .unwrap()
        );
        // A second worker with the same view loses the compare-and-set.
        assert!(
            !store
                .charge_renewal(
                    &n.id,
                    &charge(1, "2027-02-28T10:00:00Z", "2027-03-31T10:00:00Z"),
                    t("2027-03-31T10:00:00Z"),
                    now,
                    &event(),
                )
                .await
                .unwrap()
        );
        let (_, total) = store
            .list_charges(&ws, &Default::default(), Page { page: 1, limit: 10 })
            .await
            .unwrap();
        assert_eq!(total, 2);
        assert!(store.due_renewals(now, 10).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn idempotency_keys_claim_replay_and_expire() {
    on_both(|store| async move {
        let ws = workspace(&store).await;
        let now = t("2027-01-01T12:00:00Z");
        let long_ago = t("2026-12-31T12:00:00Z");
        let stale = t("2027-01-01T11:58:30Z");
        let begin = |hash: &'static str, at: Timestamp, stale_before: Timestamp| {
            let (store, ws) = (store.clone(), ws.clone());
            async move {
                store
                    .idempotency_begin(&ws, "k1", hash, at, long_ago, stale_before)
                    .await
                    .unwrap()
            }
        };
        assert_eq!(
            begin("h1", now, stale).await,
            IdempotencyBegin::Started { resumed_from: None }
        );
        assert_eq!(begin("h1", now, stale).await, IdempotencyBegin::InFlight);
        assert_eq!(begin("h2", now, stale).await, IdempotencyBegin::Mismatch);
        // In flight for longer than the stale limit: the next request takes it over, once.
        let later = t("2027-01-01T12:05:00Z");
        let resumed = begin("h1", later, t("2027-01-01T12:03:30Z")).await;
        assert_eq!(
            resumed,
            IdempotencyBegin::Started {
                resumed_from: Some(now)
            }
        );
        assert_eq!(
            begin("h1", later, t("2027-01-01T12:03:30Z")).await,
            IdempotencyBegin::InFlight
        );
        store
            .idempotency_complete(&ws, "k1", 201, "{\"id\":1}")
            .await
            .unwrap();
        assert_eq!(
            begin("h1", later, stale).await,
            IdempotencyBegin::Completed {
                status: 201,
                body: "{\"id\":1}".into()
            }
        );
        // Another workspace's key of the same name is its own.
        let other = workspace(&store).await;
        let theirs = store
            .idempotency_begin(&other, "k1", "h9", now, long_ago, stale)
            .await
            .unwrap();
        assert_eq!(theirs, IdempotencyBegin::Started { resumed_from: None });
        // Abandoned keys start afresh.
        store.idempotency_abandon(&other, "k1").await.unwrap();
        let again = store
            .idempotency_begin(&other, "k1", "h8", now, long_ago, stale)
            .await
            .unwrap();
        assert_eq!(again, IdempotencyBegin::Started { resumed_from: None });
        // After the replay window the key is forgotten.
        let next_day = t("2027-01-02T13:00:00Z");
        let fresh = store
            .idempotency_begin(
                &ws,
                "k1",
                "h2",
                next_day,
                t("2027-01-01T13:00:00Z"),
                next_day,
            )
            .await
            .unwrap();
        assert_eq!(fresh, IdempotencyBegin::Started { resumed_from: None });
    })
    .await;
}

#[tokio::test]
async fn lists_are_scoped_filtered_and_paginated_newest_first() {
    on_both(|store| async move {
        let (a, b) = (workspace(&store).await, workspace(&store).await);
        for (i, n) in ["+14155552671", "+14155552672", "+14155552673"]
            .iter()
            .enumerate()
        {
            store
                .insert_pending(&new_number(&a, n, &format!("2027-01-01T00:00:0{i}Z")))
                .await
                .unwrap();
        }
        store
            .insert_pending(&new_number(&b, "+14155552674", "2027-01-01T00:00:09Z"))
            .await
            .unwrap();
        let page = |p| Page { page: p, limit: 2 };
        let (first, total) = store
            .list_numbers(&a, &NumberFilter::default(), page(1))
            .await
            .unwrap();
        assert_eq!(total, 3);
        assert_eq!(
            first
                .iter()
                .map(|r| r.phone_number.as_str())
                .collect::<Vec<_>>(),
            ["+14155552673", "+14155552672"]
        );
        let (second, _) = store
            .list_numbers(&a, &NumberFilter::default(), page(2))
            .await
            .unwrap();
        assert_eq!(second.len(), 1);
        let q = NumberFilter {
            q: Some("2672".into()),
            ..Default::default()
        };
        let (found, total) = store.list_numbers(&a, &q, page(1)).await.unwrap();
        assert_eq!((found.len(), total), (1, 1));
        let active = NumberFilter {
            status: Some(NumberStatus::Active),
            ..Default::default()
        };
        assert_eq!(store.list_numbers(&a, &active, page(1)).await.unwrap().1, 0);
        // Workspace b sees only its own.
        assert_eq!(
            store
                .list_numbers(&b, &NumberFilter::default(), page(1))
                .await
                .unwrap()
                .1,
            1
        );
        let theirs = store
            .list_numbers(&b, &NumberFilter::default(), page(1))
            .await
            .unwrap()
            .0;
        assert!(store.get_number(&a, &theirs[0].id).await.unwrap().is_none());
    })
    .await;
}

/// Fifty claims at once of ten numbers: on SQLite they reach the writer together and share one
/// group commit, where each claim is undone alone when it loses (a savepoint each). One claim
/// per number wins, every loser is told so, and nothing of the losers is left behind.
#[tokio::test]
async fn concurrent_claims_in_one_batch_have_one_winner_per_number() {
    on_both(|store| async move {
        let ws = workspace(&store).await;
        let claims = (0..50).map(|i| {
            let store = store.clone();
            let number = format!("+1415555260{}", i % 10);
            let new = new_number(&ws, &number, "2027-01-01T00:00:00Z");
            async move { store.insert_pending(&new).await }
        });
        let results = futures::future::join_all(claims).await;
        let won = results.iter().filter(|r| r.is_ok()).count();
        let lost = results
            .iter()
            .filter(|r| matches!(r, Err(StoreError::NumberAlreadyHeld)))
            .count();
        assert_eq!((won, lost), (10, 40));
        let (rows, total) = store
            .list_numbers(
                &ws,
                &NumberFilter::default(),
                Page {
                    page: 1,
                    limit: 100,
                },
            )
            .await
            .unwrap();
        assert_eq!((rows.len(), total), (10, 10));
        let mut numbers: Vec<_> = rows.iter().map(|r| r.phone_number.as_str()).collect();
        numbers.sort_unstable();
        numbers.dedup();
        assert_eq!(numbers.len(), 10);
    })
    .await;
}

/// List totals filtered by status alone come from counters kept by triggers (migration 0005):
/// they must agree with the rows through every status change, per workspace.
#[tokio::test]
async fn list_totals_follow_every_status_change() {
    on_both(|store| async move {
        let (a, b) = (workspace(&store).await, workspace(&store).await);
        let now = t("2027-01-01T00:00:00Z");
        let mut ids = Vec::new();
        for n in 0..5 {
            let number = format!("+1415555267{n}");
            let row = store
                .insert_pending(&new_number(&a, &number, "2027-01-01T00:00:00Z"))
                .await
                .unwrap();
            ids.push(row.id);
        }
        store
            .insert_pending(&new_number(&b, "+14155552679", "2027-01-01T00:00:00Z"))
            .await
            .unwrap();
        for id in &ids[..3] {
            let c = charge(0, "2027-01-01T00:00:00Z", "2027-02-01T00:00:00Z");
            store
                .activate_purchase(id, "PN", now, &c, &event(), None)
                .await
                .unwrap();
        }
        store
            .fail_pending(&ids[3], "refused", now, &event())
            .await
            .unwrap();
        // Failing a row that is no longer pending changes nothing, counters included.
        store
            .fail_pending(&ids[0], "late", now, &event())
            .await
            .unwrap();
        let claim = store.claim_release(&a, &ids[1], now).await.unwrap();
        assert!(matches!(claim, ReleaseClaim::Claimed(_)));
        store.finish_release(&ids[1], now, &event()).await.unwrap();
        // A second finish is idempotent.
        store.finish_release(&ids[1], now, &event()).await.unwrap();

        let total = |ws: WorkspaceId, status: Option<NumberStatus>| {
            let store = store.clone();
            async move {
                let filter = NumberFilter {
                    status,
                    ..Default::default()
                };
                let (items, total) = store
                    .list_numbers(
                        &ws,
                        &filter,
                        Page {
                            page: 1,
                            limit: 100,
                        },
                    )
                    .await
                    .unwrap();
                assert_eq!(items.len() as u64, total, "{status:?}");
                total
            }
        };
        assert_eq!(total(a.clone(), None).await, 3); // 2 active, 1 pending
        assert_eq!(total(a.clone(), Some(NumberStatus::Active)).await, 2);
        assert_eq!(total(a.clone(), Some(NumberStatus::Pending)).await, 1);
        assert_eq!(total(a.clone(), Some(NumberStatus::Failed)).await, 1);
        assert_eq!(total(a.clone(), Some(NumberStatus::Released)).await, 1);
        assert_eq!(total(b.clone(), None).await, 1);
        assert_eq!(total(b.clone(), Some(NumberStatus::Active)).await, 0);
    })
    .await;
}

#[tokio::test]
async fn kyc_and_api_keys() {
    on_both(|store| async move {
        let ws = workspace(&store).await;
        let us = CountryIso::parse("US").unwrap();
        assert_eq!(
            store.kyc_status(&ws, us).await.unwrap(),
            KycStatus::NotStarted
        );
        store
            .set_kyc_status(&ws, us, KycStatus::Pending, t("2027-01-01T00:00:00Z"))
            .await
            .unwrap();
        store
            .set_kyc_status(&ws, us, KycStatus::Approved, t("2027-01-02T00:00:00Z"))
            .await
            .unwrap();
        assert_eq!(
            store.kyc_status(&ws, us).await.unwrap(),
            KycStatus::Approved
        );
        assert_eq!(store.kyc_statuses(&ws).await.unwrap().len(), 1);

        let key = dialnexa_store::NewApiKey {
            id: dialnexa_domain::ApiKeyId::generate(),
            workspace_id: ws.clone(),
            name: "k".into(),
            key_hash: "abc123".into(),
            key_prefix: "dnx_live_ab".into(),
            created_at: t("2027-01-01T00:00:00Z"),
        };
        store.insert_api_key(&key).await.unwrap();
        assert_eq!(
            store
                .authenticate_key("abc123")
                .await
                .unwrap()
                .map(|(w, _)| w),
            Some(ws.clone())
        );
        store
            .revoke_api_key(&ws, &key.id, t("2027-01-03T00:00:00Z"))
            .await
            .unwrap();
        assert!(store.authenticate_key("abc123").await.unwrap().is_none());
        assert!(matches!(
            store
                .revoke_api_key(&ws, &key.id, t("2027-01-03T00:00:00Z"))
                .await,
            Err(StoreError::NotFound)
        ));
    })
    .await;
}

#[tokio::test]
async fn reference_data_is_seeded() {
    on_both(|store| async move {
        let price = store
            .price(
                Provider::Twilio,
                CountryIso::parse("IN").unwrap(),
                NumberType::Local,
            )
            .await
            .unwrap();
        assert_eq!(price, Some(Money::from_micros(1_150_000)));
        let plivo = store
            .price(
                Provider::Plivo,
                CountryIso::parse("US").unwrap(),
                NumberType::Local,
            )
            .await
            .unwrap();
        assert_eq!(plivo, Some(Money::from_micros(800_000)));
        let policy = store.regulatory_policy().await.unwrap();
        assert!(policy.requires_kyc(CountryIso::parse("IN").unwrap(), NumberType::Mobile));
        assert!(policy.requires_kyc(CountryIso::parse("US").unwrap(), NumberType::TollFree));
        assert!(!policy.requires_kyc(CountryIso::parse("US").unwrap(), NumberType::Local));
        store.ping().await.unwrap();
    })
    .await;
}

fn audit_row(ws: &WorkspaceId, action: &str, resource: &str, at: &str) -> NewAuditEvent {
    NewAuditEvent {
        id: AuditEventId::generate(),
        workspace_id: ws.clone(),
        occurred_at: t(at),
        actor_type: "api_key".into(),
        actor_id: Some("key_a".into()),
        api_key_id: Some("key_a".into()),
        ip: Some("127.0.0.1".into()),
        request_id: Some("req-1".into()),
        action: action.into(),
        resource_type: "agent".into(),
        resource_id: Some(resource.into()),
        outcome: "success".into(),
        error_code: None,
        detail: "{}".into(),
    }
}

fn draft(number: i64, title: &str, at: &str) -> AgentVersion {
    AgentVersion {
        version_number: number,
        version_title: Some(format!("Version {number}")),
        title: title.into(),
        language_id: None,
        voice_id: Some("voice_1".into()),
        llm_id: None,
        transcriber_id: None,
        inbound: NumberChoice::Unset,
        outbound: NumberChoice::Unset,
        published_at: None,
        created_at: t(at),
        updated_at: t(at),
    }
}

async fn audit_actions(store: &SqlStore, ws: &WorkspaceId) -> Vec<String> {
    let (rows, _) = store
        .list_audit_events(
            ws,
            &AuditFilter::default(),
            Page {
                page: 1,
                limit: 100,
            },
        )
        .await
        .unwrap();
    rows.into_iter().map(|r| r.action).collect()
}

#[tokio::test]
async fn an_agent_version_routes_numbers_only_once_published_and_writes_its_audit_row() {
    on_both(|store| async move {
        let ws = workspace(&store).await;
        let n = store
            .insert_pending(&new_number(&ws, "+14155552671", "2027-01-01T00:00:00Z"))
            .await
            .unwrap();
        let id = AgentId::generate();
        let mut version = draft(1, "Support", "2027-01-02T00:00:00Z");
        version.inbound = NumberChoice::Route(n.id.clone());
        let created = store
            .insert_agent(
                &NewAgent {
                    id: id.clone(),
                    workspace_id: ws.clone(),
                    agent_type: "Single_Prompt_Agent".into(),
                    pipeline_type: Some("Cascaded".into()),
                    timezone: None,
                    version,
                    created_at: t("2027-01-02T00:00:00Z"),
                },
                &[],
                &audit_row(&ws, "agent.create", id.as_str(), "2027-01-02T00:00:00Z"),
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!((created.name.as_str(), created.revision), ("Support", 0));
        assert_eq!(created.versions.len(), 1);
        assert_eq!(
            created.versions[0].inbound,
            NumberChoice::Route(n.id.clone())
        );
        assert!(!created.versions[0].is_published());
        assert!(created.inbound_numbers.is_empty(), "a draft routes nothing");
        let number = store.get_number(&ws, &n.id).await.unwrap().unwrap();
        assert_eq!(number.inbound_agent_id, None);

        let mut published = created.versions[0].clone();
        published.published_at = Some(t("2027-01-03T00:00:00Z"));
        let publish = AgentWrite {
            workspace_id: ws.clone(),
            agent_id: id.clone(),
            revision: 0,
            now: t("2027-01-03T00:00:00Z"),
            name: Some("Front desk".into()),
            agent_type: None,
            pipeline_type: None,
            timezone: Some(Some("Asia/Kolkata".into())),
            version: Some(published),
            publish: true,
            current_version_number: None,
            live: vec![(Direction::Inbound, Some(n.id.clone()))],
            audit: audit_row(&ws, "agent.publish", id.as_str(), "2027-01-03T00:00:00Z"),
        };
        let live = store.write_agent(&publish).await.unwrap().unwrap();
        assert_eq!(live.inbound_numbers, vec![n.id.clone()]);
        assert_eq!((live.name.as_str(), live.revision), ("Front desk", 1));
        assert_eq!(live.timezone.as_deref(), Some("Asia/Kolkata"));
        assert!(live.versions[0].is_published());
        let number = store.get_number(&ws, &n.id).await.unwrap().unwrap();
        assert_eq!(number.inbound_agent_id, Some(id.clone()));

        // Computed from an old revision: refused, nothing written.
        let stale = store.write_agent(&publish).await.unwrap();
        assert_eq!(stale.unwrap_err(), AgentRefused::Changed);

        // A second version published with a number that is gone: refused as a whole.
        let mut second = draft(2, "Front desk", "2027-01-04T00:00:00Z");
        second.published_at = Some(t("2027-01-04T00:00:00Z"));
        let ghost = PhoneNumberId::generate();
        let refused = store
            .write_agent(&AgentWrite {
                revision: 1,
                name: Some("Never".into()),
                version: Some(second.clone()),
                current_version_number: Some(2),
                live: vec![(Direction::Outbound, Some(ghost.clone()))],
                audit: audit_row(&ws, "agent.publish", id.as_str(), "2027-01-04T00:00:00Z"),
                ..publish.clone()
            })
            .await
            .unwrap();
        assert_eq!(
            refused.unwrap_err(),
            AgentRefused::NumberNotFound(Direction::Outbound, ghost)
        );
        let after = store.get_agent(&ws, &id).await.unwrap().unwrap();
        assert_eq!(
            (after.name.as_str(), after.versions.len()),
            ("Front desk", 1)
        );

        // Publishing version 2 ends version 1's publication; detaching stops the routing.
        let two = store
            .write_agent(&AgentWrite {
                revision: 1,
                name: None,
                version: Some(second),
                current_version_number: Some(2),
                live: vec![(Direction::Inbound, None)],
                audit: audit_row(&ws, "agent.publish", id.as_str(), "2027-01-04T00:00:00Z"),
                ..publish.clone()
            })
            .await
            .unwrap()
            .unwrap();
        assert_eq!(two.current_version_number, 2);
        let published: Vec<bool> = two
            .versions
            .iter()
            .map(AgentVersion::is_published)
            .collect();
        assert_eq!(published, vec![false, true]);
        assert!(two.inbound_numbers.is_empty());
        assert_eq!(
            store
                .list_agents(&ws, Page { page: 1, limit: 10 })
                .await
                .unwrap()
                .0[0]
                .versions
                .len(),
            2
        );

        let gone = audit_row(&ws, "agent.delete", id.as_str(), "2027-01-05T00:00:00Z");
        let now = t("2027-01-05T00:00:00Z");
        assert_eq!(
            store
                .delete_agent(&ws, &id, false, now, &gone)
                .await
                .unwrap(),
            AgentDeletion::Deleted
        );
        assert_eq!(
            store
                .delete_agent(&ws, &id, false, now, &gone)
                .await
                .unwrap(),
            AgentDeletion::NotFound
        );
        assert_eq!(
            audit_actions(&store, &ws).await,
            [
                "agent.delete",
                "agent.publish",
                "agent.publish",
                "agent.create"
            ],
            "one row per write that happened, newest first"
        );
    })
    .await;
}

#[tokio::test]
async fn audit_events_are_filtered_paged_scoped_and_expire() {
    on_both(|store| async move {
        let (ws, other) = (workspace(&store).await, workspace(&store).await);
        let mut rows = vec![
            audit_row(
                &ws,
                "phone_number.purchase",
                "phn_1",
                "2027-01-01T00:00:00Z",
            ),
            audit_row(&ws, "phone_number.release", "phn_1", "2027-02-01T00:00:00Z"),
            audit_row(&ws, "agent.create", "agt_1", "2027-03-01T00:00:00Z"),
            audit_row(&other, "agent.create", "agt_2", "2027-03-01T00:00:00Z"),
        ];
        rows[2].actor_type = "dashboard".into();
        rows[2].actor_id = Some("ses_1".into());
        rows[2].api_key_id = Some("key_b".into());
        for row in &rows {
            store.insert_audit_event(row).await.unwrap();
        }
        let list = |filter: AuditFilter, page: u32, limit: u32| {
            let (store, ws) = (store.clone(), ws.clone());
            async move {
                let (events, total) = store
                    .list_audit_events(&ws, &filter, Page { page, limit })
                    .await
                    .unwrap();
                (events.into_iter().map(|e| e.id).collect::<Vec<_>>(), total)
            }
        };
        let id = |i: usize| rows[i].id.clone();
        assert_eq!(
            list(AuditFilter::default(), 1, 10).await,
            (vec![id(2), id(1), id(0)], 3)
        );
        assert_eq!(list(AuditFilter::default(), 2, 2).await, (vec![id(0)], 3));
        let by = |f: fn(&mut AuditFilter)| {
            let mut filter = AuditFilter::default();
            f(&mut filter);
            filter
        };
        assert_eq!(
            list(by(|f| f.actor = Some("key_b".into())), 1, 10).await.0,
            vec![id(2)],
            "the key behind a dashboard session"
        );
        assert_eq!(
            list(by(|f| f.actor = Some("ses_1".into())), 1, 10).await.0,
            vec![id(2)]
        );
        assert_eq!(
            list(
                by(|f| f.action = Some("phone_number.release".into())),
                1,
                10
            )
            .await
            .0,
            vec![id(1)]
        );
        assert_eq!(
            list(by(|f| f.resource = Some("phn_1".into())), 1, 10)
                .await
                .0,
            vec![id(1), id(0)]
        );
        let window = by(|f| {
            f.from = Some("2027-02-01T00:00:00Z".parse().unwrap());
            f.to = Some("2027-03-01T00:00:00Z".parse().unwrap());
        });
        assert_eq!(list(window, 1, 10).await, (vec![id(1)], 1));
        let (read, _) = store
            .list_audit_events(&ws, &AuditFilter::default(), Page { page: 1, limit: 1 })
            .await
            .unwrap();
        assert_eq!(read[0], rows[2], "every column reads back as written");

        let deleted = store
            .delete_audit_events_before(t("2027-02-15T00:00:00Z"), 1)
            .await
            .unwrap();
        assert_eq!(deleted, 1, "a bounded batch, oldest first");
        store
            .delete_audit_events_before(t("2027-02-15T00:00:00Z"), 100)
            .await
            .unwrap();
        assert_eq!(list(AuditFilter::default(), 1, 10).await, (vec![id(2)], 1));
        let (theirs, _) = store
            .list_audit_events(&other, &AuditFilter::default(), Page { page: 1, limit: 10 })
            .await
            .unwrap();
        assert_eq!(theirs.len(), 1);
    })
    .await;
}

/// Audit rows written at once (a burst of requests) are each kept, and one row that cannot be
/// written (its id already taken) fails alone, not the rows written beside it.
#[tokio::test]
async fn audit_rows_written_at_once_are_each_kept_or_refused_alone() {
    on_both(|store| async move {
        let ws = workspace(&store).await;
        let rows: Vec<NewAuditEvent> = (0..200)
            .map(|i| {
                audit_row(
                    &ws,
                    "agent.create",
                    &format!("agt_{i}"),
                    "2027-01-01T00:00:00Z",
                )
            })
            .collect();
        let mut twice = rows[7].clone();
        twice.detail = "{\"second\": true}".into();
        let writes = rows.iter().chain([&twice]).map(|row| {
            let store = store.clone();
            let row = row.clone();
            tokio::spawn(async move { store.insert_audit_event(&row).await })
        });
        let results: Vec<_> = futures::future::join_all(writes)
            .await
            .into_iter()
            .map(|joined| joined.unwrap())
            .collect();
        let refused = results.iter().filter(|r| r.is_err()).count();
        assert_eq!(refused, 1, "only the row whose id was taken fails");
        let (kept, total) = store
            .list_audit_events(
                &ws,
                &AuditFilter::default(),
                Page {
                    page: 1,
                    limit: 100,
                },
            )
            .await
            .unwrap();
        assert_eq!(total, 200, "every other row is kept");
        assert!(
            kept.iter().all(|e| e.detail == "{}"),
            "the refused row wrote nothing"
        );
    })
    .await;
}

#[tokio::test]
async fn pending_purchases_count_unsettled_claims_of_every_workspace() {
    on_both(|store| async move {
        let (a, b) = (workspace(&store).await, workspace(&store).await);
        assert_eq!(store.pending_purchases().await.unwrap(), 0);
        let first = store
            .insert_pending(&new_number(&a, "+14155552671", "2027-01-01T00:00:00Z"))
            .await
            .unwrap();
        let second = store
            .insert_pending(&new_number(&b, "+14155552672", "2027-01-01T00:00:00Z"))
            .await
            .unwrap();
        assert_eq!(store.pending_purchases().await.unwrap(), 2);
        let c = charge(0, "2027-01-01T00:00:00Z", "2027-02-01T00:00:00Z");
        let now = t("2027-01-01T00:00:01Z");
        store
            .activate_purchase(&first.id, "PN1", now, &c, &event(), None)
            .await
            .unwrap();
        assert_eq!(store.pending_purchases().await.unwrap(), 1);
        store
            .fail_pending(&second.id, "refused", now, &event())
            .await
            .unwrap();
        assert_eq!(store.pending_purchases().await.unwrap(), 0);

        // Between calls no connection is lent out, and the reads above left one to reuse.
        let pool = store.pool_status();
        assert_eq!(pool.in_use, 0, "{pool:?}");
        assert!(pool.idle >= 1 && pool.idle <= pool.max, "{pool:?}");
        assert_eq!(pool.waiting, 0, "{pool:?}");
    })
    .await;
}

#[tokio::test]
async fn sessions_live_until_they_expire_are_signed_out_or_lose_their_key() {
    use dialnexa_domain::ApiKeyId;
    use dialnexa_store::{NewApiKey, NewSession, SessionRecord};
    on_both(|store| async move {
        let ws = workspace(&store).await;
        let key = |hash: &str| NewApiKey {
            id: ApiKeyId::generate(),
            workspace_id: ws.clone(),
            name: "k".into(),
            key_hash: hash.into(),
            key_prefix: "dnx_live_abcd".into(),
            created_at: t("2027-01-01T00:00:00Z"),
        };
        let (kept, revoked) = (key("hash-kept"), key("hash-revoked"));
        for k in [&kept, &revoked] {
            store.insert_api_key(k).await.unwrap();
        }
        let session = |id_hash: &str, key: &NewApiKey, expires: &str| NewSession {
            id_hash: id_hash.into(),
            workspace_id: ws.clone(),
            api_key_id: key.id.clone(),
            created_at: t("2027-01-01T00:00:00Z"),
            expires_at: t(expires),
        };
        for s in [
            session("s-live", &kept, "2027-01-02T00:00:00Z"),
            session("s-out", &kept, "2027-01-02T00:00:00Z"),
            session("s-old", &kept, "2027-01-01T06:00:00Z"),
            session("s-revoked", &revoked, "2027-01-02T00:00:00Z"),
        ] {
            store.insert_session(&s).await.unwrap();
        }
        let noon = t("2027-01-01T12:00:00Z");
        assert_eq!(
            store.session("s-live", noon).await.unwrap(),
            Some(SessionRecord {
                workspace_id: ws.clone(),
                api_key_id: kept.id.clone(),
                expires_at: t("2027-01-02T00:00:00Z"),
            })
        );
        assert_eq!(store.session("s-old", noon).await.unwrap(), None, "expired");
        assert_eq!(store.session("nothing", noon).await.unwrap(), None);

        store.delete_session("s-out").await.unwrap();
        assert_eq!(store.session("s-out", noon).await.unwrap(), None);

        // Revoking a key ends its sessions and moves the counter every server checks.
        let before = store.key_revocations().await.unwrap();
        assert!(store.session("s-revoked", noon).await.unwrap().is_some());
        store.revoke_api_key(&ws, &revoked.id, noon).await.unwrap();
        assert_eq!(store.session("s-revoked", noon).await.unwrap(), None);
        assert_eq!(store.key_revocations().await.unwrap(), before + 1);
        // A second revocation of the same key changes nothing.
        assert!(store.revoke_api_key(&ws, &revoked.id, noon).await.is_err());
        assert_eq!(store.key_revocations().await.unwrap(), before + 1);

        assert_eq!(store.delete_expired_sessions(noon).await.unwrap(), 1);
        assert!(store.session("s-live", noon).await.unwrap().is_some());
    })
    .await;
}

/// An authenticated request reads the key revocation count and its workspace's change token
/// together: they agree with each read alone, stay while nothing is committed, and move with a
/// revocation or a change of a number committed through another store on the same database
/// (another server, or the command line), on both backends.
#[tokio::test]
async fn revocations_and_token_read_together_see_the_commits_of_another_store() {
    use dialnexa_domain::ApiKeyId;
    use dialnexa_store::NewApiKey;
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}", dir.path().join("store.db").display());
    let postgres = dialnexa_store::testing::migrated_postgres_database().await;
    for url in [sqlite, postgres] {
        let store = SqlStore::connect(&StoreOptions::new(url.clone()))
            .await
            .unwrap();
        store.migrate().await.unwrap();
        let other = SqlStore::connect(&StoreOptions::new(url)).await.unwrap();
        let ws = workspace(&store).await;
        let key = NewApiKey {
            id: ApiKeyId::generate(),
            workspace_id: ws.clone(),
            name: "k".into(),
            key_hash: "hash".into(),
            key_prefix: "dnx_live_abcd".into(),
            created_at: t("2027-01-01T00:00:00Z"),
        };
        other.insert_api_key(&key).await.unwrap();

        let (revocations, token) = store.revocations_and_token(&ws).await.unwrap();
        assert_eq!(revocations, store.key_revocations().await.unwrap());
        assert!(token.is_some());
        assert_eq!(token, store.change_token(&ws).await.unwrap());
        assert_eq!(
            store.revocations_and_token(&ws).await.unwrap(),
            (revocations, token),
            "nothing committed since"
        );

        let noon = t("2027-01-01T12:00:00Z");
        other.revoke_api_key(&ws, &key.id, noon).await.unwrap();
        let (revoked, same) = store.revocations_and_token(&ws).await.unwrap();
        assert_eq!(
            revoked,
            revocations + 1,
            "a revocation through another store"
        );
        assert_eq!(store.key_revocations().await.unwrap(), revoked);

        other
            .insert_pending(&new_number(&ws, "+14155550100", "2027-01-01T12:00:00Z"))
            .await
            .unwrap();
        let (count, moved) = store.revocations_and_token(&ws).await.unwrap();
        assert_eq!(count, revoked, "no revocation since");
        assert_ne!(moved, same, "a number claimed through another store");
        assert_eq!(moved, store.change_token(&ws).await.unwrap());
        other.close().await;
        store.close().await;
    }
}

fn webhook(ws: &WorkspaceId, events: &[&str], active: bool) -> dialnexa_store::WebhookRecord {
    dialnexa_store::WebhookRecord {
        id: dialnexa_domain::WebhookId::generate(),
        workspace_id: ws.clone(),
        url: "https://hooks.example.com/x".into(),
        events: events.iter().map(|e| e.to_string()).collect(),
        is_active: active,
        secret_sealed: "sealed".into(),
        failing_since: None,
        disabled_note: None,
        created_at: t("2027-01-01T00:00:00Z"),
        updated_at: t("2027-01-01T00:00:00Z"),
    }
}

#[tokio::test]
async fn webhook_messages_are_fanned_out_once_claimed_once_per_lease_and_settled() {
    use dialnexa_store::{AttemptOutcome, WebhookAttempt};
    on_both(|store| async move {
        let ws = workspace(&store).await;
        let other = workspace(&store).await;
        let purchases = webhook(&ws, &["phone_number.purchased"], true);
        let all = webhook(&ws, &["*"], true);
        let off = webhook(&ws, &["*"], false);
        let theirs = webhook(&other, &["*"], true);
        for w in [&purchases, &all, &off, &theirs] {
            store.insert_webhook(w).await.unwrap();
        }
        let (listed, total) = store.list_webhooks(&ws, 10, 0).await.unwrap();
        assert_eq!((listed.len(), total), (3, 3));
        assert_eq!(store.get_webhook(&other, &all.id).await.unwrap(), None);
        assert_eq!(
            store.get_webhook(&ws, &all.id).await.unwrap(),
            Some(all.clone())
        );

        let at = t("2027-01-02T00:00:00Z");
        let mut released = event();
        released.event_type = "phone_number.released".into();
        store.record_event(&ws, &event(), at).await.unwrap();
        store.record_event(&ws, &released, at).await.unwrap();
        // An event id written twice is one event.
        store.record_event(&ws, &released, at).await.unwrap();
        // One from before the endpoints existed reaches none of them.
        let before = t("2026-12-31T00:00:00Z");
        store.record_event(&ws, &event(), before).await.unwrap();
        assert_eq!(store.fan_out_events(at, 100).await.unwrap(), 3);
        assert_eq!(store.fan_out_events(at, 100).await.unwrap(), 0);

        // purchased → both subscribed active endpoints; released → "*" only.
        let lease = t("2027-01-02T00:00:30Z");
        let claimed = store.claim_webhook_messages(at, lease, 100).await.unwrap();
        assert_eq!(claimed.len(), 3, "{claimed:?}");
        assert!(
            claimed
                .iter()
                .all(|m| m.attempts == 1 && m.workspace_id == ws)
        );
        assert!(claimed.iter().all(|m| m.webhook_id != off.id));
        // Leased: nobody else gets them until the lease runs out.
        assert!(
            store
                .claim_webhook_messages(at, lease, 100)
                .await
                .unwrap()
                .is_empty()
        );
        let again = store
            .claim_webhook_messages(lease, t("2027-01-02T00:01:00Z"), 100)
            .await
            .unwrap();
        assert_eq!(again.len(), 3);
        assert!(again.iter().all(|m| m.attempts == 2));

        let now = t("2027-01-02T00:00:40Z");
        let settle =
            |m: &dialnexa_store::WebhookMessage, status: &'static str, code| AttemptOutcome {
                webhook_id: m.webhook_id.clone(),
                attempt: WebhookAttempt {
                    message_id: m.id.clone(),
                    attempt: m.attempts,
                    attempted_at: now,
                    status_code: Some(code),
                    duration_ms: 12,
                    error: None,
                },
                status,
                next_attempt_at: (status == "pending").then(|| t("2027-01-02T00:05:00Z")),
                disable_if_failing_since: t("2026-12-28T00:00:00Z"),
                disabled_note: "webhook.disabled: test".into(),
            };
        for m in &again {
            let outcome = if m.webhook_id == purchases.id {
                settle(m, "delivered", 200)
            } else {
                settle(m, "pending", 500)
            };
            store.record_webhook_attempt(&outcome).await.unwrap();
        }
        let page = store
            .webhook_messages(&ws, &purchases.id, 10, 0)
            .await
            .unwrap();
        assert_eq!(page.total, 1);
        assert_eq!(page.messages[0].status, "delivered");
        assert_eq!(page.attempts.len(), 1);
        assert_eq!(page.attempts[0].status_code, Some(200));
        let page = store.webhook_messages(&ws, &all.id, 10, 0).await.unwrap();
        assert_eq!(page.total, 2);
        assert!(page.messages.iter().all(|m| m.status == "pending"));
        // Not due yet; due at the retry time.
        assert!(
            store
                .claim_webhook_messages(now, lease, 100)
                .await
                .unwrap()
                .is_empty()
        );
        let due = t("2027-01-02T00:05:00Z");
        let retried = store
            .claim_webhook_messages(due, t("2027-01-02T00:05:30Z"), 100)
            .await
            .unwrap();
        assert_eq!(retried.len(), 2);
        // Another workspace cannot retry or read them.
        let m = &retried[0];
        assert!(
            store
                .retry_webhook_message(&other, &all.id, &m.id, due)
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(
            store
                .webhook_messages(&other, &all.id, 10, 0)
                .await
                .unwrap()
                .total,
            0
        );

        // Failing since before the threshold: turned off, with the note.
        let mut failing = settle(m, "failed", 500);
        failing.disable_if_failing_since = t("2027-01-03T00:00:00Z");
        store.record_webhook_attempt(&failing).await.unwrap();
        let w = store.get_webhook(&ws, &all.id).await.unwrap().unwrap();
        assert!(!w.is_active);
        assert_eq!(w.failing_since, Some(now));
        assert_eq!(w.disabled_note.as_deref(), Some("webhook.disabled: test"));
        // A retry by hand makes a failed message due again.
        let back = store
            .retry_webhook_message(&ws, &all.id, &m.id, t("2027-01-02T00:06:00Z"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(back.status, "pending");

        // Turned on by its owner: the note and the failure streak are forgotten.
        let mut on = w.clone();
        on.is_active = true;
        assert!(store.update_webhook(&on).await.unwrap());
        let w = store.get_webhook(&ws, &all.id).await.unwrap().unwrap();
        assert_eq!(
            (w.is_active, w.failing_since, w.disabled_note),
            (true, None, None)
        );

        assert!(!store.delete_webhook(&other, &all.id).await.unwrap());
        assert!(store.delete_webhook(&ws, &all.id).await.unwrap());
        assert_eq!(
            store
                .webhook_messages(&ws, &all.id, 10, 0)
                .await
                .unwrap()
                .total,
            0
        );
        assert_eq!(store.get_webhook(&ws, &all.id).await.unwrap(), None);
    })
    .await;
}
