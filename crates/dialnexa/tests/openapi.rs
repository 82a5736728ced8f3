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
    // The seed's flat record, or the official spec's answer to a body in its shape.
    assert_eq!(
        responses["201"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/PurchaseAnswer"
    );
    let answers = &doc["components"]["schemas"]["PurchaseAnswer"]["oneOf"];
    assert_eq!(
        answers,
        &serde_json::json!([
            {"$ref": "#/components/schemas/PhoneNumberView"},
            {"$ref": "#/components/schemas/SpecPurchaseView"}
        ])
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

/// The document tells the truth about what every operation takes and answers: list bounds,
/// the filters' values, required parameters, and the statuses any operation may answer.
#[test]
fn parameters_state_their_bounds_and_operations_every_status() {
    let doc = generated();
    let param = |path: &str, name: &str| {
        doc["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{path} has no {name}"))
            .clone()
    };
    for path in [
        "/v1/organization-phone-numbers",
        "/v1/agents",
        "/v1/billing/charges",
        "/v1/audit-events",
    ] {
        assert_eq!(param(path, "page")["schema"]["minimum"], 1, "{path}");
        assert_eq!(param(path, "limit")["schema"]["minimum"], 1, "{path}");
        assert_eq!(param(path, "limit")["schema"]["maximum"], 100, "{path}");
    }
    let country = param(
        "/v1/organization-phone-numbers/plivo-numbers",
        "country_iso",
    );
    assert_eq!(country["required"], true);
    let codes = country["schema"]["enum"].as_array().unwrap();
    assert!(codes.contains(&"IN".into()) && !codes.contains(&"XX".into()));
    let status = param("/v1/organization-phone-numbers", "status");
    assert_eq!(
        status["schema"]["enum"],
        serde_json::json!(["", "pending", "active", "failed", "released"])
    );
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            if op.get("security").is_some() {
                assert!(responses.contains_key("401"), "{method} {path} lacks 401");
                assert!(responses.contains_key("503"), "{method} {path} lacks 503");
                // Every keyed operation is rate limited per key (`--rate-limit-rps`).
                assert!(responses.contains_key("429"), "{method} {path} lacks 429");
            }
            if op.get("requestBody").is_some() {
                for status in ["400", "413"] {
                    assert!(
                        responses.contains_key(status),
                        "{method} {path} lacks {status}"
                    );
                }
            }
            let idempotent = op["parameters"]
                .as_array()
                .is_some_and(|ps| ps.iter().any(|p| p["name"] == "Idempotency-Key"));
            if idempotent {
                for status in ["409", "422"] {
                    assert!(
                        responses.contains_key(status),
                        "{method} {path} lacks {status}"
                    );
                }
            }
        }
    }
}
