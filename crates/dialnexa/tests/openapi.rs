//! The committed `docs/openapi.json` is what the code generates: a handler whose annotation
//! changes without the file being regenerated fails here, and so does a hand edit.

mod support;

use serde_json::Value;
use std::path::PathBuf;

const REGENERATE: &str = "cargo run -q -p dialnexa -- openapi > docs/openapi.json";

fn committed_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json")
}

fn committed() -> Value {
    let path = committed_path();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}; generate it with `{REGENERATE}`",
            path.display()
        )
    });
    serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "{} is not JSON ({e}); regenerate it with `{REGENERATE}`",
            path.display()
        )
    })
}

fn generated() -> Value {
    serde_json::from_str(&dialnexa_http::openapi::openapi_json()).unwrap()
}

#[test]
fn committed_document_matches_the_code() {
    assert!(
        committed() == generated(),
        "docs/openapi.json has drifted from the code's OpenAPI annotations; \
         regenerate it with `{REGENERATE}` and commit the result"
    );
}

#[tokio::test]
async fn the_openapi_command_prints_the_generated_document() {
    let out = support::process::dialnexa(&["openapi"], &[]).await;
    let printed: Value = serde_json::from_str(out.ok()).unwrap();
    assert_eq!(printed, generated());
}

#[test]
fn purchase_documents_the_seed_contract() {
    let doc = generated();
    let purchase = &doc["paths"]["/v1/organization-phone-numbers/purchase"]["post"];
    assert!(purchase.is_object(), "POST purchase is missing");
    let responses = &purchase["responses"];
    assert_eq!(
        responses["201"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/PhoneNumberView"
    );
    for status in ["400", "403", "409"] {
        assert_eq!(
            responses[status]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/ErrorBody",
            "purchase lacks the {status} error envelope"
        );
    }
    assert_eq!(purchase["security"], serde_json::json!([{ "bearer": [] }]));
    let envelope = &doc["components"]["schemas"]["ErrorBody"]["properties"];
    for field in ["statusCode", "message", "error", "code"] {
        assert!(envelope[field].is_object(), "ErrorBody lacks {field}");
    }
}
