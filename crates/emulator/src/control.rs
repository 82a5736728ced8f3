//! Test controls under `/_emulator/`: see and bend the carriers' world (who owns a number,
//! what fails next) without going through a carrier API. No auth, JSON in and out.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::faults::{FaultSettings, FaultUpdate};
use crate::inventory::NumberType;
use crate::market::{new_twilio_sid, normalize_e164};
use crate::state::EmulatorState;
use crate::store::{OwnedNumber, StoreError};
use crate::telnyx::new_number_id;

/// The owner tag of numbers "another buyer" holds.
pub const OTHER_OWNER: &str = "other";

pub(crate) fn router() -> Router<EmulatorState> {
    Router::new()
        .route("/_emulator/health", get(health))
        .route("/_emulator/inventory", get(inventory))
        .route("/_emulator/numbers/{number}", get(number))
        .route("/_emulator/numbers/{number}/take", post(take))
        .route("/_emulator/numbers/{number}/assign", post(assign))
        .route("/_emulator/numbers/{number}/release", post(release))
        .route("/_emulator/owned", get(owned))
        .route("/_emulator/faults", get(faults).post(set_faults))
        .route("/_emulator/clock", get(clock).post(advance_clock))
        .route("/_emulator/reset", post(reset))
}

/// A control failure: `{"error": "..."}`.
pub(crate) struct ControlError(StatusCode, String);

impl From<StoreError> for ControlError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = ?e, "emulator control failed");
        ControlError(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error".to_owned(),
        )
    }
}

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

fn bad_request(message: impl Into<String>) -> ControlError {
    ControlError(StatusCode::BAD_REQUEST, message.into())
}

fn e164(raw: &str) -> Result<String, ControlError> {
    normalize_e164(raw).ok_or_else(|| bad_request(format!("{raw} is not an E.164 number")))
}

async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// How many numbers each country holds, per type.
async fn inventory(State(state): State<EmulatorState>) -> Json<Value> {
    let countries: Vec<Value> = state
        .inventory()
        .countries()
        .iter()
        .map(|c| {
            json!({
                "country": c.iso,
                "name": c.name,
                "calling_code": format!("+{}", c.calling_code),
                "local": c.size(NumberType::Local),
                "mobile": c.size(NumberType::Mobile),
                "toll_free": c.size(NumberType::TollFree),
            })
        })
        .collect();
    Json(json!({ "countries": countries }))
}

#[derive(Serialize)]
struct NumberStatus {
    phone_number: String,
    /// In stock and owned by nobody: a carrier would sell it.
    available: bool,
    in_inventory: bool,
    owner: Option<String>,
    sid: Option<String>,
}

async fn status_of(
    state: &EmulatorState,
    e164: String,
) -> Result<Json<NumberStatus>, ControlError> {
    let owned = state.store().get(&e164).await?;
    let in_inventory = state.inventory().lookup(&e164).is_some();
    Ok(Json(NumberStatus {
        available: in_inventory && owned.is_none(),
        in_inventory,
        owner: owned.as_ref().map(|n| n.owner.clone()),
        sid: owned.and_then(|n| n.sid),
        phone_number: e164,
    }))
}

/// `GET /_emulator/numbers/{e164}`
async fn number(
    State(state): State<EmulatorState>,
    Path(raw): Path<String>,
) -> Result<Json<NumberStatus>, ControlError> {
    status_of(&state, e164(&raw)?).await
}

fn new_owned(e164: &str, owner: String, sid: Option<String>) -> OwnedNumber {
    let now = Timestamp::now();
    OwnedNumber {
        e164: e164.to_owned(),
        owner,
        sid,
        friendly_name: None,
        voice_url: None,
        app_id: None,
        settings: Default::default(),
        created_at: now,
        updated_at: now,
    }
}

/// `POST /_emulator/numbers/{e164}/take`: another buyer gets the number, whoever had it.
async fn take(
    State(state): State<EmulatorState>,
    Path(raw): Path<String>,
) -> Result<Json<NumberStatus>, ControlError> {
    let e164 = e164(&raw)?;
    state
        .store()
        .put(new_owned(&e164, OTHER_OWNER.to_owned(), None))
        .await?;
    tracing::info!(number = %e164, "another buyer took the number");
    status_of(&state, e164).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AssignBody {
    carrier: String,
    friendly_name: Option<String>,
}

/// `POST /_emulator/numbers/{e164}/assign {"carrier": "twilio"|"plivo"|"telnyx"}`: the configured
/// account owns the number without having bought it (an orphan for reconciliation tests).
async fn assign(
    State(state): State<EmulatorState>,
    Path(raw): Path<String>,
    body: Bytes,
) -> Result<Json<NumberStatus>, ControlError> {
    let e164 = e164(&raw)?;
    let body: AssignBody = serde_json::from_slice(&body).map_err(|e| {
        bad_request(format!(
            "expected {{\"carrier\": \"twilio\"|\"plivo\"|\"telnyx\"}}: {e}"
        ))
    })?;
    let config = state.config();
    let (owner, sid) = match body.carrier.as_str() {
        "twilio" => (config.twilio.owner(), Some(new_twilio_sid())),
        "plivo" => (config.plivo.owner(), None),
        "telnyx" => (config.telnyx.owner(), Some(new_number_id())),
        other => {
            return Err(bad_request(format!(
                "unknown carrier {other}; use twilio, plivo or telnyx"
            )));
        }
    };
    let mut number = new_owned(&e164, owner, sid);
    number.friendly_name = body.friendly_name;
    state.store().put(number).await?;
    tracing::info!(number = %e164, carrier = %body.carrier, "number planted");
    status_of(&state, e164).await
}

/// `POST /_emulator/numbers/{e164}/release`: nobody owns the number any more.
async fn release(
    State(state): State<EmulatorState>,
    Path(raw): Path<String>,
) -> Result<Json<NumberStatus>, ControlError> {
    let e164 = e164(&raw)?;
    state.store().release(&e164, None).await?;
    status_of(&state, e164).await
}

#[derive(Serialize)]
struct OwnedEntry {
    phone_number: String,
    owner: String,
    sid: Option<String>,
    friendly_name: Option<String>,
    created_at: String,
}

/// `GET /_emulator/owned`: every owned number, oldest first.
async fn owned(State(state): State<EmulatorState>) -> Result<Json<Vec<OwnedEntry>>, ControlError> {
    let numbers = state.store().list(None).await?;
    Ok(Json(
        numbers
            .into_iter()
            .map(|n| OwnedEntry {
                phone_number: n.e164,
                owner: n.owner,
                sid: n.sid,
                friendly_name: n.friendly_name,
                created_at: n.created_at.to_string(),
            })
            .collect(),
    ))
}

async fn faults(State(state): State<EmulatorState>) -> Json<FaultSettings> {
    Json(state.faults().snapshot())
}

/// `POST /_emulator/faults`: see [`FaultUpdate`].
async fn set_faults(
    State(state): State<EmulatorState>,
    body: Bytes,
) -> Result<Json<FaultSettings>, ControlError> {
    let update: FaultUpdate = if body.iter().all(u8::is_ascii_whitespace) {
        FaultUpdate::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| bad_request(format!("invalid faults: {e}")))?
    };
    let settings = state
        .faults()
        .apply(update)
        .map_err(|e| bad_request(e.to_string()))?;
    tracing::info!(?settings, "faults set");
    Ok(Json(settings))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockUpdate {
    advance_secs: u64,
}

/// `GET /_emulator/clock`: the emulator's time and how far tests moved it.
async fn clock(State(state): State<EmulatorState>) -> Json<Value> {
    Json(json!({
        "now": state.now().to_string(),
        "offset_secs": state.clock_offset() / 1000,
    }))
}

/// `POST /_emulator/clock {"advance_secs": N}`: moves the emulator's clock forward, so held
/// numbers (Telnyx reservations) run out without waiting.
async fn advance_clock(
    State(state): State<EmulatorState>,
    body: Bytes,
) -> Result<Json<Value>, ControlError> {
    let update: ClockUpdate = serde_json::from_slice(&body)
        .map_err(|e| bad_request(format!("expected {{\"advance_secs\": N}}: {e}")))?;
    state.advance_clock(std::time::Duration::from_secs(update.advance_secs));
    tracing::info!(advance_secs = update.advance_secs, "emulator clock moved");
    Ok(clock(State(state)).await)
}

/// `POST /_emulator/reset`: no owners, no faults.
async fn reset(State(state): State<EmulatorState>) -> Result<Json<Value>, ControlError> {
    state.store().clear().await?;
    state.faults().reset();
    tracing::info!("emulator reset");
    Ok(Json(json!({ "status": "reset" })))
}
