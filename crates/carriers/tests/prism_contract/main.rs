//! Contract tests: every adapter operation runs against Prism mocking the carrier's document
//! (Twilio's own, the project's Plivo and Telnyx contracts), and Prism must find nothing wrong
//! with any request we send. Needs Prism (`scripts/prism.sh install`); without it the tests
//! fail, unless `DIALNEXA_SKIP_PRISM=1` asks to skip them (said on stderr).

mod documents;
mod emulator;
mod prism;
mod proxy;

use dialnexa_carriers::{
    Carrier, CarrierError, NumberUpdate, OwnedNumber, PlivoCarrier, PlivoConfig, SearchQuery,
    TelnyxCarrier, TelnyxConfig, TwilioCarrier, TwilioConfig,
};
use dialnexa_domain::{Capabilities, CountryIso, E164, Money, NumberType};
use documents::Document;
use prism::Prism;
use proxy::Recorder;
use std::time::Duration;

// Prism checks that these match the specs' patterns, never their values.
const TWILIO_SID: &str = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const PLIVO_ID: &str = "MA2025RK4E639VJFZAGV";
const TOKEN: &str = "contract-test-token";
/// The sid in every example of Twilio's spec: Prism never echoes what we send.
const TWILIO_PN: &str = "PNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

fn twilio(base_url: &str, prefer: Option<&str>) -> TwilioCarrier {
    TwilioCarrier::new(TwilioConfig {
        base_url: base_url.to_owned(),
        extra_headers: prefer
            .map(|p| ("Prefer".to_owned(), p.to_owned()))
            .into_iter()
            .collect(),
        http2_prior_knowledge: false,
        ..TwilioConfig::new(TWILIO_SID, TOKEN)
    })
    .unwrap()
}

fn plivo(base_url: &str, prefer: Option<&str>) -> PlivoCarrier {
    PlivoCarrier::new(PlivoConfig {
        base_url: base_url.to_owned(),
        extra_headers: prefer
            .map(|p| ("Prefer".to_owned(), p.to_owned()))
            .into_iter()
            .collect(),
        http2_prior_knowledge: false,
        ..PlivoConfig::new(PLIVO_ID, TOKEN)
    })
    .unwrap()
}

fn telnyx(base_url: &str, prefer: Option<&str>) -> TelnyxCarrier {
    TelnyxCarrier::new(TelnyxConfig {
        base_url: base_url.to_owned(),
        extra_headers: prefer
            .map(|p| ("Prefer".to_owned(), p.to_owned()))
            .into_iter()
            .collect(),
        order_poll_interval: Duration::from_millis(10),
        ..TelnyxConfig::new("KEY0123456789ABCDEF0123456789_contract")
    })
    .unwrap()
}

fn e164(s: &str) -> E164 {
    E164::parse(s).unwrap()
}

fn query(country: &str, number_type: NumberType, caps: &str) -> SearchQuery {
    SearchQuery {
        country: CountryIso::parse(country).unwrap(),
        number_type,
        area_code: None,
        contains: None,
        region: None,
        capabilities: Capabilities::parse_csv(caps).unwrap(),
        limit: 20,
    }
}

/// One mock and the proxy that records what Prism thought of each request.
struct Contract {
    prism: Prism,
    recorder: Recorder,
    _document: Document,
}

impl Contract {
    /// `None` only when `DIALNEXA_SKIP_PRISM=1` asked to skip and Prism is missing.
    async fn start(test: &str, document: impl FnOnce() -> Option<Document>) -> Option<Contract> {
        let binary = prism::binary(test)?;
        let document = document()?;
        let prism = Prism::start(&binary, &document.path);
        let recorder = Recorder::start(&prism.base_url).await;
        Some(Contract {
            prism,
            recorder,
            _document: document,
        })
    }

    fn base_url(&self) -> &str {
        &self.recorder.base_url
    }

    /// Unwraps an adapter result; a failure shows what Prism said about the last request.
    #[track_caller]
    fn ok<T>(&self, result: Result<T, CarrierError>) -> T {
        match result {
            Ok(value) => value,
            Err(err) => panic!(
                "adapter call failed: {err:?}\nlast exchange: {:#?}\nPrism log:\n{}",
                self.recorder.last(),
                self.prism.log()
            ),
        }
    }

    /// Fails on any request Prism rejected since the last call: a 422 (no error response
    /// declared) or a request entry in `sl-violations`. `strict` also fails on response
    /// violations, for specs whose examples are known to fit their schema.
    #[track_caller]
    fn assert_accepted(&self, expected: usize, strict: bool) {
        let exchanges = self.recorder.take();
        assert_eq!(
            exchanges.len(),
            expected,
            "requests through the proxy: {exchanges:#?}"
        );
        for exchange in &exchanges {
            let rejected = exchange.status == 422
                || !exchange.request_violations().is_empty()
                || (strict && !exchange.violations.is_empty());
            assert!(
                !rejected,
                "Prism rejected {} {} ({}): {:#?}\nbody: {:?}\nPrism log:\n{}",
                exchange.method,
                exchange.path_and_query,
                exchange.status,
                exchange.violations,
                exchange.error_body,
                self.prism.log()
            );
        }
    }
}

/// Every Twilio operation once, with the filters the service uses; returns the request count.
async fn exercise_twilio(contract: &Contract) -> usize {
    let carrier = twilio(contract.base_url(), None);
    // Twilio's lists have two examples, one of them empty: ask for the full one.
    let reader = twilio(contract.base_url(), Some("example=readFull"));
    let mut local = query("US", NumberType::Local, "voice,sms");
    local.area_code = Some("808".to_owned());
    local.contains = Some("925*".to_owned());
    local.region = Some("HI".to_owned());
    let found = contract.ok(reader.search(&local).await);
    // The spec's example, with capabilities read from its object.
    assert_eq!(found[0].phone_number, e164("+18089251571"));
    assert_eq!(found[0].locality.as_deref(), Some("Hilo"));
    assert_eq!(found[0].capabilities.to_csv(), "voice,mms");
    contract.ok(carrier
        .search(&query("GB", NumberType::Mobile, "sms"))
        .await);
    let mut toll_free = query("US", NumberType::TollFree, "voice,sms,mms,fax");
    toll_free.contains = Some("800".to_owned());
    contract.ok(carrier.search(&toll_free).await);

    let number = e164("+18089255327");
    let owned = contract.ok(carrier.buy(&number).await);
    assert_eq!(owned.carrier_ref, TWILIO_PN);
    let fetched = contract.ok(reader.fetch_owned(&number).await);
    assert_eq!(fetched.map(|o| o.carrier_ref), Some(TWILIO_PN.to_owned()));
    assert_eq!(contract.ok(reader.list_owned().await).len(), 1);
    // The readiness check's call.
    contract.ok(reader.ping().await);
    let update = NumberUpdate {
        friendly_name: Some("Sales line".to_owned()),
        voice_url: Some("https://agents.example.com/voice/agt_123".to_owned()),
    };
    contract.ok(carrier.update(&owned, &update).await);
    contract.ok(carrier.release(&owned).await);
    9
}

#[tokio::test]
async fn twilio_requests_conform_to_twilios_document_and_errors_classify() {
    let test = "twilio_requests_conform_to_twilios_document_and_errors_classify";
    let Some(contract) = Contract::start(test, || Document::twilio(test)).await else {
        return;
    };
    // Twilio's document declares no 4xx, so Prism answers a bad request with 422; with the
    // overlay's error answers it answers 400 and lists the violations in `sl-violations`
    // instead. Either way the check below fails on it.
    let count = exercise_twilio(&contract).await;
    contract.assert_accepted(count, false);

    let number = e164("+18089255327");
    let owned = OwnedNumber {
        phone_number: number.clone(),
        carrier_ref: TWILIO_PN.to_owned(),
        friendly_name: None,
    };
    let with = |prefer| twilio(contract.base_url(), Some(prefer));
    let taken = with("code=400, example=phoneNumberUnavailable")
        .buy(&number)
        .await;
    assert_eq!(taken, Err(CarrierError::NotAvailable));
    let invalid = with("code=400, example=phoneNumberInvalid")
        .buy(&number)
        .await;
    assert!(
        matches!(&invalid, Err(CarrierError::Rejected(m)) if m.contains("21421")),
        "{invalid:?}"
    );
    let locked_out = with("code=401").list_owned().await;
    assert_eq!(locked_out, Err(CarrierError::Unauthorized));
    let busy = with("code=429")
        .search(&query("US", NumberType::Local, ""))
        .await;
    assert!(matches!(busy, Err(CarrierError::Transient(_))), "{busy:?}");
    let gone = with("code=404, example=notFound").release(&owned).await;
    assert_eq!(gone, Err(CarrierError::NotFound));
    let nothing = with("code=404")
        .search(&query("US", NumberType::Mobile, ""))
        .await;
    assert_eq!(nothing, Ok(Vec::new()));
    // The errors above were chosen with Prefer, not provoked by a bad request.
    contract.assert_accepted(6, false);
}

#[tokio::test]
async fn plivo_requests_conform_to_the_spec_and_errors_classify() {
    let test = "plivo_requests_conform_to_the_contract_and_errors_classify";
    let Some(contract) =
        Contract::start(test, || Some(Document::contract("plivo.openapi.json"))).await
    else {
        return;
    };
    let carrier = plivo(contract.base_url(), None);

    let mut local = query("US", NumberType::Local, "voice,sms");
    local.area_code = Some("415".to_owned());
    local.region = Some("California".to_owned());
    local.limit = 50;
    let found = contract.ok(carrier.search(&local).await);
    // The contract's example, read field by field.
    assert_eq!(found[0].phone_number, e164("+14155550142"));
    assert_eq!(found[0].region.as_deref(), Some("California"));
    assert_eq!(
        found[0].carrier_monthly_cost,
        Some(Money::from_micros(500_000))
    );
    contract.ok(carrier
        .search(&query("GB", NumberType::Mobile, "sms,mms"))
        .await);
    let mut toll_free = query("US", NumberType::TollFree, "");
    toll_free.contains = Some("800".to_owned());
    contract.ok(carrier.search(&toll_free).await);

    let number = e164("+14155550142");
    let owned = contract.ok(carrier.buy(&number).await);
    assert_eq!(owned.carrier_ref, "14155550142");
    assert!(contract.ok(carrier.fetch_owned(&number).await).is_some());
    assert_eq!(contract.ok(carrier.list_owned().await).len(), 1);
    contract.ok(carrier.ping().await);
    let update = NumberUpdate {
        friendly_name: Some("Sales line".to_owned()),
        voice_url: None,
    };
    contract.ok(carrier.update(&owned, &update).await);
    contract.ok(carrier.release(&owned).await);
    // The contract's examples fit its schema: no violation of any kind.
    contract.assert_accepted(9, true);

    let with = |prefer| plivo(contract.base_url(), Some(prefer));
    assert_eq!(
        with("code=404").buy(&number).await,
        Err(CarrierError::NotAvailable)
    );
    assert_eq!(with("code=404").fetch_owned(&number).await, Ok(None));
    assert_eq!(
        with("code=404").release(&owned).await,
        Err(CarrierError::NotFound)
    );
    let refused = with("code=400").buy(&number).await;
    assert!(
        matches!(refused, Err(CarrierError::Rejected(_))),
        "{refused:?}"
    );
    // (Plivo's 401 is plain text, which Prism will not serve to a client asking for JSON;
    // the emulator test and the wire tests hold the adapter to it.)
    let down = with("code=500").buy(&number).await;
    assert!(
        matches!(down, Err(CarrierError::UnknownOutcome(_))),
        "{down:?}"
    );
    contract.assert_accepted(5, true);
}

#[tokio::test]
async fn telnyx_requests_conform_to_the_contract_and_errors_classify() {
    let test = "telnyx_requests_conform_to_the_contract_and_errors_classify";
    let Some(contract) =
        Contract::start(test, || Some(Document::contract("telnyx.openapi.json"))).await
    else {
        return;
    };
    let carrier = telnyx(contract.base_url(), None);
    let mut local = query("US", NumberType::Local, "voice,sms");
    local.area_code = Some("312".to_owned());
    local.contains = Some("555*".to_owned());
    local.region = Some("IL".to_owned());
    let found = contract.ok(carrier.search(&local).await);
    // The contract's example, read field by field.
    assert_eq!(found[0].phone_number, e164("+13125550147"));
    assert_eq!(found[0].region.as_deref(), Some("IL"));
    assert_eq!(found[0].locality.as_deref(), Some("Chicago"));
    assert_eq!(
        found[0].carrier_monthly_cost,
        Some(Money::from_micros(1_000_000))
    );
    contract.ok(carrier.search(&query("GB", NumberType::TollFree, "")).await);

    // An order (pending), one poll (settled), the number's record for its id.
    let number = e164("+13125550147");
    let owned = contract.ok(carrier.buy(&number).await);
    assert_eq!(owned.carrier_ref, "1293384261075731499");
    assert!(contract.ok(carrier.fetch_owned(&number).await).is_some());
    assert_eq!(contract.ok(carrier.list_owned().await).len(), 1);
    contract.ok(carrier.ping().await);
    let update = NumberUpdate {
        friendly_name: Some("Sales line".to_owned()),
        voice_url: None,
    };
    contract.ok(carrier.update(&owned, &update).await);
    contract.ok(carrier.release(&owned).await);
    let held = contract.ok(carrier
        .reserve(std::slice::from_ref(&number), Duration::from_secs(1800))
        .await);
    assert_eq!(held.held, vec![number.clone()]);
    assert_eq!(held.expires_at.to_string(), "2026-03-02T10:30:00Z");
    contract.assert_accepted(11, true);

    let with = |prefer| telnyx(contract.base_url(), Some(prefer));
    assert_eq!(
        with("code=422").buy(&number).await,
        Err(CarrierError::NotAvailable)
    );
    // Telnyx's document declares 422, so Prism reports a bad request in `sl-violations`,
    // never by the status alone: the 422 chosen above is no rejection.
    let chosen = contract.recorder.take();
    assert_eq!(chosen.len(), 1);
    assert!(chosen[0].violations.is_empty(), "{chosen:#?}");
    assert_eq!(
        with("code=404").release(&owned).await,
        Err(CarrierError::NotFound)
    );
    assert_eq!(
        with("code=401").list_owned().await,
        Err(CarrierError::Unauthorized)
    );
    let busy = with("code=429")
        .search(&query("US", NumberType::Local, ""))
        .await;
    assert!(matches!(busy, Err(CarrierError::Transient(_))), "{busy:?}");
    let down = with("code=500").buy(&number).await;
    assert!(
        matches!(down, Err(CarrierError::UnknownOutcome(_))),
        "{down:?}"
    );
    contract.assert_accepted(4, true);
}
