//! Shared test harness: a fresh emulator on port 0 per test and a client that speaks to it
//! the way the carriers' SDKs would (Basic auth, forms for Twilio, JSON for Plivo, a bearer
//! key and JSON for Telnyx).

#![allow(dead_code)] // Each test binary uses its own part of the harness.

use dialnexa_emulator::{EmulatorConfig, RunningEmulator, start};
use reqwest::{Client, RequestBuilder, StatusCode};
use serde_json::Value;

pub struct Harness {
    pub emulator: RunningEmulator,
    pub http: Client,
}

impl Harness {
    pub async fn start() -> Harness {
        Harness::with_config(EmulatorConfig::default()).await
    }

    pub async fn with_config(config: EmulatorConfig) -> Harness {
        let emulator = start(config).await.expect("the emulator starts");
        Harness {
            emulator,
            http: Client::new(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.emulator.base_url())
    }

    pub fn account_sid(&self) -> String {
        self.emulator.config().twilio.account_sid.clone()
    }

    pub fn auth_id(&self) -> String {
        self.emulator.config().plivo.auth_id.clone()
    }

    /// A Twilio URL under the configured account: `twilio("/IncomingPhoneNumbers.json")`.
    pub fn twilio(&self, path: &str) -> String {
        self.url(&format!(
            "/2010-04-01/Accounts/{}{path}",
            self.account_sid()
        ))
    }

    /// A Plivo URL under the configured account: `plivo("/Number/")`.
    pub fn plivo(&self, path: &str) -> String {
        self.url(&format!("/v1/Account/{}{path}", self.auth_id()))
    }

    fn twilio_auth(&self, request: RequestBuilder) -> RequestBuilder {
        let account = &self.emulator.config().twilio;
        request.basic_auth(&account.account_sid, Some(&account.auth_token))
    }

    fn plivo_auth(&self, request: RequestBuilder) -> RequestBuilder {
        let account = &self.emulator.config().plivo;
        request.basic_auth(&account.auth_id, Some(&account.auth_token))
    }

    pub async fn twilio_get(&self, path: &str) -> (StatusCode, Value) {
        send(self.twilio_auth(self.http.get(self.twilio(path)))).await
    }

    pub async fn twilio_post(&self, path: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
        send(
            self.twilio_auth(self.http.post(self.twilio(path)))
                .form(form),
        )
        .await
    }

    pub async fn twilio_delete(&self, path: &str) -> (StatusCode, Value) {
        send(self.twilio_auth(self.http.delete(self.twilio(path)))).await
    }

    /// Buys through Twilio and returns the number resource, asserting a 201.
    pub async fn twilio_buy(&self, e164: &str) -> Value {
        let (status, body) = self
            .twilio_post("/IncomingPhoneNumbers.json", &[("PhoneNumber", e164)])
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body
    }

    pub async fn plivo_get(&self, path: &str) -> (StatusCode, Value) {
        send(self.plivo_auth(self.http.get(self.plivo(path)))).await
    }

    pub async fn plivo_post(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        send(self.plivo_auth(self.http.post(self.plivo(path))).json(body)).await
    }

    pub async fn plivo_delete(&self, path: &str) -> (StatusCode, Value) {
        send(self.plivo_auth(self.http.delete(self.plivo(path)))).await
    }

    /// A Telnyx URL: `telnyx("/phone_numbers")`.
    pub fn telnyx(&self, path: &str) -> String {
        self.url(&format!("/v2{path}"))
    }

    fn telnyx_auth(&self, request: RequestBuilder) -> RequestBuilder {
        request.bearer_auth(&self.emulator.config().telnyx.api_key)
    }

    pub async fn telnyx_get(&self, path: &str) -> (StatusCode, Value) {
        send(self.telnyx_auth(self.http.get(self.telnyx(path)))).await
    }

    pub async fn telnyx_post(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        send(
            self.telnyx_auth(self.http.post(self.telnyx(path)))
                .json(body),
        )
        .await
    }

    pub async fn telnyx_patch(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        send(
            self.telnyx_auth(self.http.patch(self.telnyx(path)))
                .json(body),
        )
        .await
    }

    pub async fn telnyx_delete(&self, path: &str) -> (StatusCode, Value) {
        send(self.telnyx_auth(self.http.delete(self.telnyx(path)))).await
    }

    pub async fn control_get(&self, path: &str) -> (StatusCode, Value) {
        send(self.http.get(self.url(&format!("/_emulator{path}")))).await
    }

    pub async fn control_post(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        send(
            self.http
                .post(self.url(&format!("/_emulator{path}")))
                .json(body),
        )
        .await
    }

    /// The emulator's view of a number: `{phone_number, available, in_inventory, owner, sid}`.
    pub async fn number_status(&self, e164: &str) -> Value {
        let (status, body) = self.control_get(&format!("/numbers/{e164}")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }
}

/// Sends a request and reads the answer as JSON (`Null` for an empty body).
pub async fn send(request: RequestBuilder) -> (StatusCode, Value) {
    let response = request.send().await.expect("the emulator answers");
    let status = response.status();
    let text = response.text().await.expect("a readable body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    };
    (status, body)
}
