//! Reservations and quantity orders, on both backends: holds are exclusive across workspaces,
//! count only until they expire (a query predicate), and the sweeper expires each once.

use super::{new_number, on_both, t, workspace};
use dialnexa_domain::{
    CountryIso, E164, NumberType, OrderId, PhoneNumberId, Provider, ReservationId, WorkspaceId,
};
use dialnexa_store::{HoldMode, NewOrder, NewReservation, Reserved, SqlStore, StoreError};

const N1: &str = "+14155550101";
const N2: &str = "+14155550102";
const N3: &str = "+14155550103";

fn e(n: &str) -> E164 {
    E164::parse(n).unwrap()
}

fn reservation(ws: &WorkspaceId, numbers: &[&str], until: &str) -> NewReservation {
    NewReservation {
        id: ReservationId::generate(),
        workspace_id: ws.clone(),
        provider: Provider::Twilio,
        phone_numbers: numbers.iter().map(|n| e(n)).collect(),
        carrier_ref: None,
        created_at: t("2027-01-01T00:00:00Z"),
        expires_at: t(until),
    }
}

async fn reserve(store: &SqlStore, new: &NewReservation, now: &str) -> Reserved {
    store.reserve(new, &HoldMode::All, t(now)).await.unwrap()
}

#[tokio::test]
async fn a_hold_is_one_workspaces_until_it_expires() {
    on_both(|store| async move {
        let (a, b) = (workspace(&store).await, workspace(&store).await);
        let now = "2027-01-01T00:00:00Z";
        let first = reservation(&a, &[N1, N2], "2027-01-01T00:30:00Z");
        let Reserved::Held(held) = reserve(&store, &first, now).await else {
            panic!("the first reservation holds its numbers");
        };
        assert_eq!(held.phone_numbers, vec![e(N1), e(N2)]);
        assert_eq!(held.status, "active");

        // All or none: N2 is A's, so B holds nothing, not even N3.
        let second = reservation(&b, &[N2, N3], "2027-01-01T00:30:00Z");
        assert_eq!(
            reserve(&store, &second, now).await,
            Reserved::Refused(vec![e(N2)])
        );
        let all = [e(N1), e(N2), e(N3)];
        assert_eq!(
            store.held_by_others(&b, &all, t(now)).await.unwrap(),
            vec![e(N1), e(N2)]
        );
        assert!(
            store
                .held_by_others(&a, &all, t(now))
                .await
                .unwrap()
                .is_empty()
        );

        // Another workspace's claim is refused; the holder's goes through.
        let err = store
            .insert_pending(&new_number(&b, N1, now))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::NumberAlreadyHeld), "{err:?}");
        store
            .insert_pending(&new_number(&a, N1, now))
            .await
            .unwrap();
        // A number someone bought cannot be reserved.
        let taken = reservation(&b, &[N1], "2027-01-01T00:30:00Z");
        assert_eq!(
            reserve(&store, &taken, now).await,
            Reserved::Refused(vec![e(N1)])
        );

        // Past the deadline the hold no longer counts, before any sweeper ran.
        let later = "2027-01-01T00:30:00Z";
        assert!(
            store
                .held_by_others(&b, &all, t(later))
                .await
                .unwrap()
                .is_empty()
        );
        store
            .insert_pending(&new_number(&b, N2, later))
            .await
            .unwrap();
        let again = reservation(&b, &[N3], "2027-01-01T01:00:00Z");
        assert!(matches!(
            reserve(&store, &again, later).await,
            Reserved::Held(_)
        ));
    })
    .await;
}

#[tokio::test]
async fn an_expired_reservation_is_swept_exactly_once() {
    on_both(|store| async move {
        let ws = workspace(&store).await;
        let new = reservation(&ws, &[N1], "2027-01-01T00:30:00Z");
        reserve(&store, &new, "2027-01-01T00:00:00Z").await;
        let early = store
            .expire_reservations(t("2027-01-01T00:29:59Z"), 10)
            .await
            .unwrap();
        assert!(early.is_empty());
        let at = t("2027-01-01T00:31:00Z");
        let (x, y) = tokio::join!(
            store.expire_reservations(at, 10),
            store.expire_reservations(at, 10)
        );
        let mut swept = x.unwrap();
        swept.extend(y.unwrap());
        assert_eq!(swept, vec![new.id.clone()]);
        let row = store.get_reservation(&ws, &new.id).await.unwrap().unwrap();
        assert_eq!(row.status, "expired");
        assert!(store.expire_reservations(at, 10).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn a_released_reservation_frees_its_numbers_and_is_the_workspaces_alone() {
    on_both(|store| async move {
        let (a, b) = (workspace(&store).await, workspace(&store).await);
        let now = t("2027-01-01T00:01:00Z");
        let new = reservation(&a, &[N1], "2027-01-01T00:30:00Z");
        reserve(&store, &new, "2027-01-01T00:00:00Z").await;
        assert_eq!(store.get_reservation(&b, &new.id).await.unwrap(), None);
        assert_eq!(
            store.release_reservation(&b, &new.id, now).await.unwrap(),
            None
        );
        let released = store.release_reservation(&a, &new.id, now).await.unwrap();
        assert_eq!(released.unwrap().status, "released");
        assert!(
            store
                .held_by_others(&b, &[e(N1)], now)
                .await
                .unwrap()
                .is_empty()
        );
        // Releasing again answers the row as it is.
        let again = store.release_reservation(&a, &new.id, now).await.unwrap();
        assert_eq!(again.unwrap().status, "released");
    })
    .await;
}

#[tokio::test]
async fn an_order_holds_what_it_can_leases_once_and_finishes_once() {
    on_both(|store| async move {
        let (a, b) = (workspace(&store).await, workspace(&store).await);
        let now = t("2027-01-01T00:00:00Z");
        let other = reservation(&b, &[N2], "2027-01-01T00:30:00Z");
        reserve(&store, &other, "2027-01-01T00:00:00Z").await;
        let order = store
            .insert_order(&NewOrder {
                id: OrderId::generate(),
                workspace_id: a.clone(),
                country: CountryIso::parse("US").unwrap(),
                number_type: NumberType::Local,
                area_code: Some("415".into()),
                contains: None,
                region: None,
                quantity: 2,
                provider: Provider::Twilio,
                mode: "all_or_none".into(),
                created_at: now,
            })
            .await
            .unwrap();
        assert_eq!((order.status.as_str(), order.quantity), ("pending", 2));
        let holds = reservation(&a, &[N1, N2, N3], "2027-01-01T00:30:00Z");
        let mode = HoldMode::ForOrder {
            order: order.id.clone(),
            want: 2,
        };
        let Reserved::Held(held) = store.reserve(&holds, &mode, now).await.unwrap() else {
            panic!("the order holds the free numbers");
        };
        assert_eq!(held.phone_numbers, vec![e(N1), e(N3)]);

        let until = t("2027-01-01T00:01:00Z");
        let leased = store
            .lease_order(&order.id, now, until)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(leased.reservation_id, Some(holds.id.clone()));
        let items: Vec<_> = leased
            .items
            .iter()
            .map(|i| (i.position, i.phone_number.clone()))
            .collect();
        assert_eq!(items, vec![(0, e(N1)), (1, e(N3))]);
        assert_eq!(
            store.lease_order(&order.id, now, until).await.unwrap(),
            None
        );
        assert_eq!(store.orders_to_resume(now, 10).await.unwrap(), vec![]);
        assert_eq!(
            store.orders_to_resume(until, 10).await.unwrap(),
            vec![order.id.clone()]
        );

        let bought = PhoneNumberId::generate();
        store
            .set_order_item(&order.id, 0, "bought", Some(&bought), None, now)
            .await
            .unwrap();
        store
            .set_order_item(&order.id, 1, "failed", None, Some("taken"), now)
            .await
            .unwrap();
        assert!(
            store
                .finish_order(&order.id, "failed", Some("why"), now)
                .await
                .unwrap()
        );
        assert!(
            !store
                .finish_order(&order.id, "completed", None, now)
                .await
                .unwrap()
        );
        let done = store.get_order(&a, &order.id).await.unwrap().unwrap();
        assert_eq!(done.status, "failed");
        assert_eq!(done.items[0].phone_number_id, Some(bought));
        assert_eq!(done.items[1].reason.as_deref(), Some("taken"));
        // Its holds went with it; the order is not another workspace's to read.
        assert!(
            store
                .held_by_others(&b, &[e(N1)], now)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(store.get_order(&b, &order.id).await.unwrap(), None);
    })
    .await;
}
