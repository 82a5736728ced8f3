//! A tiny stand-in carrier for the wire tests: it records every request byte for byte and
//! answers whatever the test scripted, so a test can assert exactly what went over the wire.

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use dialnexa_carriers::{PlivoCarrier, PlivoConfig, TwilioCarrier, TwilioConfig};
use dialnexa_domain::E164;
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::AsyncReadExt;

pub const TWILIO_SID: &str = "AC0123456789abcdef0123456789abcdef";
pub const PLIVO_ID: &str = "MA2025RK4E639VJFZAGV";
pub const TOKEN: &str = "tok-very-secret-42";
pub const PN: &str = "PN0123456789abcdef0123456789abcdef";

/// One request as the carrier saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: String,
    pub authorization: String,
    pub content_type: String,
    pub body: String,
}

/// What the fake answers.
pub enum Reply {
    Json(u16, Value),
    Empty(u16),
    /// Sit on the request for this long before answering, to trip the adapter's timeout.
    Stall(Duration),
}

type Script = dyn Fn(&Recorded) -> Reply + Send + Sync;

#[derive(Clone)]
struct Shared {
    script: Arc<Script>,
    requests: Arc<Mutex<Vec<Recorded>>>,
}

pub struct Fake {
    pub base_url: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
}

impl Fake {
    pub async fn start(script: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> Fake {
        let shared = Shared {
            script: Arc::new(script),
            requests: Arc::default(),
        };
        let requests = shared.requests.clone();
        let app = Router::new().fallback(answer).with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Fake { base_url, requests }
    }

    /// Answers every request the same way.
    pub async fn always(status: u16, body: Value) -> Fake {
        Fake::start(move |_| Reply::Json(status, body.clone())).await
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    pub fn only_request(&self) -> Recorded {
        let requests = self.requests();
        assert_eq!(
            requests.len(),
            1,
            "expected exactly one request, got {requests:#?}"
        );
        requests.into_iter().next().unwrap()
    }
}

async fn answer(State(shared): State<Shared>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let recorded = Recorded {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().unwrap_or_default().to_owned(),
        authorization: header("authorization"),
        content_type: header("content-type"),
        body: String::from_utf8(to_bytes(body, usize::MAX).await.unwrap().to_vec()).unwrap(),
    };
    shared.requests.lock().unwrap().push(recorded.clone());
    match (shared.script)(&recorded) {
        Reply::Json(status, json) => {
            (StatusCode::from_u16(status).unwrap(), axum::Json(json)).into_response()
        }
        Reply::Empty(status) => Response::builder()
            .status(status)
            .body(Body::empty())
            .unwrap()
            .into_response(),
        Reply::Stall(duration) => {
            tokio::time::sleep(duration).await;
            (StatusCode::OK, "{}").into_response()
        }
    }
}

/// An address where nothing listens: the port was free a moment ago.
pub fn refused_base_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

/// A server that reads the request and hangs up without answering: the request left us, the
/// answer was lost.
pub async fn hang_up_base_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buf = vec![0u8; 64 * 1024];
            let _ = socket.read(&mut buf).await;
            drop(socket);
        }
    });
    base_url
}

pub fn basic_auth(user: &str) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{TOKEN}"));
    format!("Basic {encoded}")
}

pub fn twilio(base_url: &str) -> TwilioCarrier {
    twilio_with_timeout(base_url, Duration::from_secs(5))
}

pub fn twilio_with_timeout(base_url: &str, timeout: Duration) -> TwilioCarrier {
    TwilioCarrier::new(TwilioConfig {
        base_url: base_url.to_owned(),
        timeout,
        ..TwilioConfig::new(TWILIO_SID, TOKEN)
    })
    .unwrap()
}

pub fn plivo(base_url: &str) -> PlivoCarrier {
    plivo_with(base_url, Duration::from_secs(5), None)
}

pub fn plivo_with(base_url: &str, timeout: Duration, app_id: Option<&str>) -> PlivoCarrier {
    PlivoCarrier::new(PlivoConfig {
        base_url: base_url.to_owned(),
        timeout,
        app_id: app_id.map(str::to_owned),
        ..PlivoConfig::new(PLIVO_ID, TOKEN)
    })
    .unwrap()
}

pub fn e164(s: &str) -> E164 {
    E164::parse(s).unwrap()
}

pub const TELNYX_KEY: &str = "KEY0123456789ABCDEF0123456789_tok-very-secret";

/// A Telnyx adapter against `base_url` that polls orders every few milliseconds.
pub fn telnyx(base_url: &str) -> dialnexa_carriers::TelnyxCarrier {
    dialnexa_carriers::TelnyxCarrier::new(dialnexa_carriers::TelnyxConfig {
        base_url: base_url.to_owned(),
        order_poll_interval: Duration::from_millis(5),
        order_wait: Duration::from_millis(200),
        connection_id: Some("1684641123236054244".to_owned()),
        ..dialnexa_carriers::TelnyxConfig::new(TELNYX_KEY)
    })
    .unwrap()
}
