//! The emulator held to the carriers' documents: it runs behind Prism in validating-proxy
//! mode, the adapters drive every route they use through it, success and error paths, and
//! every request and every answer must validate (Prism reports violations in `sl-violations`).
//! Without this, the emulator and the adapters could share a mistake and still agree.

use crate::documents::Document;
use crate::prism::{self, Prism};
use crate::proxy::Recorder;
use crate::{e164, query};
use dialnexa_carriers::{
    Carrier, CarrierError, NumberUpdate, PlivoCarrier, PlivoConfig, TelnyxCarrier, TelnyxConfig,
    TwilioCarrier, TwilioConfig,
};
use dialnexa_domain::NumberType;
use dialnexa_emulator::{EmulatorConfig, RunningEmulator};
use serde_json::{Value, json};
use std::time::Duration;

/// The emulator, Prism validating in front of it, and the recorder in front of Prism.
struct Behind {
    emulator: RunningEmulator,
    prism: Prism,
    recorder: Recorder,
    _document: Document,
}

impl Behind {
    async fn start(test: &str, document: impl FnOnce() -> Option<Document>) -> Option<Behind> {
        let binary = prism::binary(test)?;
        let document = document()?;
        let emulator = dialnexa_emulator::start(EmulatorConfig::default())
            .await
            .unwrap();
        let prism = Prism::proxy(&binary, &document.path, &emulator.base_url());
        let recorder = Recorder::start(&prism.base_url).await;
        Some(Behind {
            emulator,
            prism,
            recorder,
            _document: document,
        })
    }

    fn url(&self) -> &str {
        &self.recorder.base_url
    }

    /// Injects faults straight into the emulator (not through Prism: no carrier route).
    async fn faults(&self, faults: Value) {
        let url = format!("{}/_emulator/faults", self.emulator.base_url());
        let answer = reqwest::Client::new()
            .post(url)
            .json(&faults)
            .send()
            .await
            .unwrap();
        assert!(answer.status().is_success());
    }

    /// Every exchange since the last call validated, request and answer; returns how many
    /// there were, for the caller to check that each route it meant to drive was driven.
    #[track_caller]
    fn assert_valid(&self) -> usize {
        let exchanges = self.recorder.take();
        for exchange in &exchanges {
            assert!(
                exchange.violations.is_empty(),
                "{} {} ({}) breaks the carrier's document: {:#?}\nbody: {:?}\nPrism log:\n{}",
                exchange.method,
                exchange.path_and_query,
                exchange.status,
                exchange.violations,
                exchange.error_body,
                self.prism.log()
            );
        }
        exchanges.len()
    }

    /// The statuses the emulator answered, in order, since the last call.
    fn statuses(&self) -> Vec<u16> {
        self.recorder.last_statuses()
    }
}

#[tokio::test]
async fn the_emulators_twilio_answers_as_twilios_document_says() {
    let test = "the_emulators_twilio_answers_as_twilios_document_says";
    let Some(b) = Behind::start(test, || Document::twilio(test)).await else {
        return;
    };
    let account = b.emulator.config().twilio.clone();
    let carrier = |token: &str| {
        TwilioCarrier::new(TwilioConfig {
            base_url: b.url().to_owned(),
            ..TwilioConfig::new(account.account_sid.clone(), token)
        })
        .unwrap()
    };
    let twilio = carrier(&account.auth_token);

    let mut local = query("US", NumberType::Local, "voice,sms");
    local.area_code = Some("415".to_owned());
    local.contains = Some("55*".to_owned());
    assert!(!twilio.search(&local).await.unwrap().is_empty());
    twilio
        .search(&query("GB", NumberType::Mobile, "sms"))
        .await
        .unwrap();
    twilio
        .search(&query("US", NumberType::TollFree, ""))
        .await
        .unwrap();
    // No stock there: Twilio's 404, read as nothing found.
    assert_eq!(
        twilio.search(&query("JP", NumberType::Local, "")).await,
        Ok(vec![])
    );

    let number = e164("+14155552671");
    let owned = twilio.buy(&number).await.unwrap();
    assert_eq!(twilio.buy(&number).await, Err(CarrierError::NotAvailable));
    assert_eq!(
        twilio.buy(&e164("+14152001234")).await,
        Err(CarrierError::NotAvailable)
    );
    assert!(twilio.fetch_owned(&number).await.unwrap().is_some());
    assert_eq!(twilio.list_owned().await.unwrap().len(), 1);
    let update = NumberUpdate {
        friendly_name: Some("Front desk".to_owned()),
        voice_url: Some("https://agents.example.com/voice/agt_1".to_owned()),
    };
    twilio.update(&owned, &update).await.unwrap();
    twilio.release(&owned).await.unwrap();
    assert_eq!(twilio.release(&owned).await, Err(CarrierError::NotFound));
    assert_eq!(twilio.fetch_owned(&number).await, Ok(None));
    assert_eq!(
        carrier("wrong-token").list_owned().await,
        Err(CarrierError::Unauthorized)
    );
    assert_eq!(b.assert_valid(), 14);

    for status in [503, 429] {
        b.faults(json!({ "fail_next": 1, "fail_status": status }))
            .await;
        let result = twilio.search(&local).await;
        assert!(
            matches!(result, Err(CarrierError::Transient(_))),
            "{result:?}"
        );
    }
    b.faults(json!({ "fail_next": 1, "fail_status": 500 }))
        .await;
    let result = twilio.buy(&number).await;
    assert!(
        matches!(result, Err(CarrierError::UnknownOutcome(_))),
        "{result:?}"
    );
    assert_eq!(b.statuses(), [503, 429, 500]);
    assert_eq!(b.assert_valid(), 3);
}

#[tokio::test]
async fn the_emulators_plivo_answers_as_the_plivo_contract_says() {
    let test = "the_emulators_plivo_answers_as_the_plivo_contract_says";
    let Some(b) = Behind::start(test, || Some(Document::contract("plivo.openapi.json"))).await
    else {
        return;
    };
    let account = b.emulator.config().plivo.clone();
    let carrier = |token: &str| {
        PlivoCarrier::new(PlivoConfig {
            base_url: b.url().to_owned(),
            ..PlivoConfig::new(account.auth_id.clone(), token)
        })
        .unwrap()
    };
    let plivo = carrier(&account.auth_token);

    let mut local = query("US", NumberType::Local, "voice,sms");
    local.area_code = Some("415".to_owned());
    local.region = Some("California".to_owned());
    assert!(!plivo.search(&local).await.unwrap().is_empty());
    plivo
        .search(&query("GB", NumberType::Mobile, "sms,mms"))
        .await
        .unwrap();
    plivo
        .search(&query("US", NumberType::TollFree, ""))
        .await
        .unwrap();

    let number = e164("+14155552671");
    let owned = plivo.buy(&number).await.unwrap();
    assert_eq!(plivo.buy(&number).await, Err(CarrierError::NotAvailable));
    assert!(plivo.fetch_owned(&number).await.unwrap().is_some());
    assert_eq!(plivo.list_owned().await.unwrap().len(), 1);
    let update = NumberUpdate {
        friendly_name: Some("Front desk".to_owned()),
        voice_url: None,
    };
    plivo.update(&owned, &update).await.unwrap();
    plivo.release(&owned).await.unwrap();
    assert_eq!(plivo.release(&owned).await, Err(CarrierError::NotFound));
    assert_eq!(plivo.fetch_owned(&number).await, Ok(None));
    assert_eq!(
        carrier("wrong-token-wrong-token-wrong-token-0000")
            .list_owned()
            .await,
        Err(CarrierError::Unauthorized)
    );
    assert_eq!(b.assert_valid(), 12);

    for status in [429, 500] {
        b.faults(json!({ "fail_next": 1, "fail_status": status }))
            .await;
        assert!(plivo.list_owned().await.is_err());
    }
    assert_eq!(b.statuses(), [429, 500]);
    assert_eq!(b.assert_valid(), 2);
}

#[tokio::test]
async fn the_emulators_telnyx_answers_as_the_telnyx_contract_says() {
    let test = "the_emulators_telnyx_answers_as_the_telnyx_contract_says";
    let Some(b) = Behind::start(test, || Some(Document::contract("telnyx.openapi.json"))).await
    else {
        return;
    };
    let carrier = |key: &str| {
        TelnyxCarrier::new(TelnyxConfig {
            base_url: b.url().to_owned(),
            order_poll_interval: Duration::from_millis(10),
            ..TelnyxConfig::new(key)
        })
        .unwrap()
    };
    let telnyx = carrier(&b.emulator.config().telnyx.api_key);

    let mut local = query("US", NumberType::Local, "voice,sms");
    local.area_code = Some("415".to_owned());
    local.contains = Some("55*".to_owned());
    local.region = Some("CA".to_owned());
    assert!(!telnyx.search(&local).await.unwrap().is_empty());
    telnyx
        .search(&query("GB", NumberType::Mobile, "sms"))
        .await
        .unwrap();

    let number = e164("+14155552671");
    let held = telnyx
        .reserve(std::slice::from_ref(&number), Duration::from_secs(1800))
        .await
        .unwrap();
    assert_eq!(held.held, std::slice::from_ref(&number));
    // Ordered (pending), polled (settled), then read for its id.
    let owned = telnyx.buy(&number).await.unwrap();
    assert_eq!(telnyx.buy(&number).await, Err(CarrierError::NotAvailable));
    assert!(telnyx.fetch_owned(&number).await.unwrap().is_some());
    assert_eq!(telnyx.list_owned().await.unwrap().len(), 1);
    let update = NumberUpdate {
        friendly_name: Some("Front desk".to_owned()),
        voice_url: None,
    };
    telnyx.update(&owned, &update).await.unwrap();
    telnyx.release(&owned).await.unwrap();
    assert_eq!(telnyx.release(&owned).await, Err(CarrierError::NotFound));
    assert_eq!(telnyx.fetch_owned(&number).await, Ok(None));
    assert_eq!(
        carrier("KEYwrong").list_owned().await,
        Err(CarrierError::Unauthorized)
    );
    assert_eq!(b.assert_valid(), 14);

    for status in [503, 429] {
        b.faults(json!({ "fail_next": 1, "fail_status": status }))
            .await;
        assert!(telnyx.list_owned().await.is_err());
    }
    // An order Telnyx cannot complete: the number is not ours.
    b.faults(json!({ "order_fail_next": 1 })).await;
    assert_eq!(telnyx.buy(&number).await, Err(CarrierError::NotAvailable));
    assert_eq!(b.statuses(), [503, 429, 200, 200]);
    assert_eq!(b.assert_valid(), 4);
}
