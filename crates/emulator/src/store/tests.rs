//! The store's own tests: group commit, one owner per number, checkpoints, reopening.

use super::*;

fn number(e164: &str, owner: &str) -> OwnedNumber {
    let now = Timestamp::now();
    OwnedNumber {
        e164: e164.into(),
        owner: owner.into(),
        sid: None,
        friendly_name: None,
        voice_url: None,
        app_id: None,
        settings: BTreeMap::new(),
        created_at: now,
        updated_at: now,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buys_at_once_are_committed_together_with_one_owner_per_number() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let store = Store::open(Some(&path)).unwrap();
    // 200 buyers of 50 numbers at once, four for each number.
    let buys = (0..200).map(|i| {
        let store = store.clone();
        async move {
            let e164 = format!("+1415555{:04}", i % 50);
            let outcome = store.insert(number(&e164, &format!("twilio:AC{i}"))).await;
            (e164, outcome)
        }
    });
    let outcomes = futures::future::join_all(buys).await;
    let mut owners: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (e164, outcome) in outcomes {
        match outcome {
            Ok(bought) => owners.entry(e164).or_default().push(bought.owner),
            Err(StoreError::Taken) => {}
            Err(e) => panic!("{e164}: {e}"),
        }
    }
    assert_eq!(owners.len(), 50);
    assert!(owners.values().all(|o| o.len() == 1), "{owners:?}");
    // What the buyers were told is what the file holds, after a reopen too.
    drop(store);
    let reopened = Store::open(Some(&path)).unwrap();
    let held = reopened.list(None).await.unwrap();
    assert_eq!(held.len(), 50);
    for n in held {
        assert_eq!(owners[&n.e164], std::slice::from_ref(&n.owner));
    }
    assert_eq!(reopened.with_owned(|set| set.len()), 50);
}

#[tokio::test]
async fn a_number_has_one_owner_at_a_time() {
    let store = Store::open(None).unwrap();
    store
        .insert(number("+14155552671", "twilio:AC1"))
        .await
        .unwrap();
    let again = store.insert(number("+14155552671", "plivo:MA1")).await;
    assert!(matches!(again, Err(StoreError::Taken)));
    assert!(
        !store
            .release("+14155552671", Some("plivo:MA1"))
            .await
            .unwrap()
    );
    assert!(
        store
            .release("+14155552671", Some("twilio:AC1"))
            .await
            .unwrap()
    );
    store
        .insert(number("+14155552671", "plivo:MA1"))
        .await
        .unwrap();
    let put = store.put(number("+14155552671", "other")).await.unwrap();
    assert_eq!(store.get("+14155552671").await.unwrap(), Some(put));
}

#[tokio::test]
async fn the_wal_is_checkpointed_and_starts_over() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("emulator.db");
    let store = Store::open(Some(&path)).unwrap();
    for line in 0..10 * CHECKPOINT_EVERY {
        let e164 = format!("+1415555{line:04}");
        store.insert(number(&e164, "twilio:AC1")).await.unwrap();
    }
    // A final checkpoint may still be copying: the next statement waits for it.
    assert!(store.get("+14155550000").await.unwrap().is_some());
    let wal = std::fs::metadata(dir.path().join("emulator.db-wal"))
        .unwrap()
        .len();
    // Without checkpoints the WAL would hold every page written: some 17 MB.
    assert!(wal < 8 << 20, "the WAL has grown to {wal} bytes");
    drop(store);
    let reopened = Store::open(Some(&path)).unwrap();
    assert_eq!(reopened.list(None).await.unwrap().len(), 1_000);
}

#[tokio::test]
async fn updates_merge_settings_and_survive_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state/emulator.db");
    let store = Store::open(Some(&path)).unwrap();
    store
        .insert(number("+442071234567", "twilio:AC1"))
        .await
        .unwrap();
    let changes = NumberChanges {
        friendly_name: Some("Front desk".into()),
        settings: [("voice_method".to_owned(), "GET".to_owned())].into(),
        ..NumberChanges::default()
    };
    assert!(
        store
            .update("+442071234567", "twilio:AC2", changes.clone())
            .await
            .unwrap()
            .is_none()
    );
    store
        .update("+442071234567", "twilio:AC1", changes)
        .await
        .unwrap()
        .unwrap();
    drop(store);
    let reopened = Store::open(Some(&path)).unwrap();
    let got = reopened.get("+442071234567").await.unwrap().unwrap();
    assert_eq!(got.friendly_name.as_deref(), Some("Front desk"));
    assert_eq!(got.settings["voice_method"], "GET");
    assert!(reopened.with_owned(|o| o.contains_e164("+442071234567") && o.len() == 1));
    assert!(reopened.release("+442071234567", None).await.unwrap());
    assert_eq!(reopened.with_owned(NumberSet::len), 0);
}
