//! Slow and idle clients over raw TCP: a header that never completes and a connection that
//! sends nothing are closed after `--header-read-timeout-ms`, an idle kept-alive connection
//! after `--idle-timeout-ms`, and a request being served is not cut short by either. The
//! deadlines are small here; the read bound only keeps a broken server from hanging the test.

use crate::helpers::TestApp;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Far beyond every deadline the tests set: reaching it means the server kept the connection.
const BOUND: Duration = Duration::from_secs(30);

async fn app(header_ms: u64, idle_ms: u64) -> TestApp {
    TestApp::spawn_with(|a| {
        a.guards.header_read_timeout_ms = header_ms;
        a.guards.idle_timeout_ms = idle_ms;
    })
    .await
}

/// Everything the server sends until it closes the connection.
async fn until_closed(stream: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let read = tokio::time::timeout(BOUND, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the server kept the connection open");
    String::from_utf8_lossy(&got).into_owned()
}

#[tokio::test]
async fn a_header_that_never_completes_is_closed() {
    let app = app(200, 60_000).await;
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: dialnexa\r\nX-Slow: ")
        .await
        .unwrap();
    let answer = until_closed(&mut stream).await;
    assert!(!answer.contains("200 OK"), "{answer}");

    // Nothing at all is no better.
    let mut silent = TcpStream::connect(app.addr).await.unwrap();
    let answer = until_closed(&mut silent).await;
    assert!(!answer.contains("200 OK"), "{answer}");
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed_after_its_answers() {
    let app = app(60_000, 300).await;
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: dialnexa\r\n\r\n")
        .await
        .unwrap();
    // Kept alive (HTTP/1.1), the connection is closed by the server once idle, after the answer.
    let answer = until_closed(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    assert_eq!(answer.matches("HTTP/1.1 ").count(), 1, "{answer}");
}

#[tokio::test]
async fn a_request_slower_than_the_deadlines_is_answered() {
    let app = app(200, 200).await;
    let t = app.tenant(&["US"], &[]).await;
    // The carrier takes longer than both deadlines: the purchase is still answered in full.
    app.set_faults(serde_json::json!({"buy_latency_ms": 1_000}))
        .await;
    let body = r#"{"phone_number": "+14155552671"}"#;
    let request = format!(
        "POST /v1/organization-phone-numbers/purchase HTTP/1.1\r\nHost: dialnexa\r\n\
         Authorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         \r\n{body}",
        t.key,
        body.len()
    );
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let answer = until_closed(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 201 Created"), "{answer}");
    assert!(answer.contains(r#""status":"active""#), "{answer}");
}
