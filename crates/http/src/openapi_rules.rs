//! What every operation of the document shares, stated once so the document tells the truth
//! everywhere: the bounds of the list parameters and the values of the filters (as the
//! service's parsers accept them), the `Idempotency-Key` header's shape and the answers it
//! brings, and the statuses any operation may answer (401 without a key, 429 over the key's rate
//! limit, 413 for a body over the limit, 503 while the database cannot answer).

use dialnexa_domain::CountryIso;
use serde_json::{Map, Value, json};

const METHODS: [&str; 5] = ["get", "put", "post", "patch", "delete"];
/// Text on one line: the parsers refuse control characters (C0, DEL and C1, as `char::is_control`).
const ONE_LINE: &str = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$";

/// The countries the service knows (libphonenumber's), as `CountryIso::parse` accepts them.
fn countries() -> Vec<String> {
    let mut out = Vec::new();
    for a in b'A'..=b'Z' {
        for b in b'A'..=b'Z' {
            let code = String::from_utf8(vec![a, b]).unwrap_or_default();
            if CountryIso::parse(&code).is_ok() {
                out.push(code);
            }
        }
    }
    out
}

/// A query value the parsers treat as absent when blank: the values, or nothing.
fn optional_enum(values: &[&str]) -> Value {
    let mut all = vec![""];
    all.extend_from_slice(values);
    json!({"type": "string", "enum": all})
}

/// The schema of a query parameter, by name, as the service parses it.
fn query_schema(path: &str, name: &str, countries: &[String]) -> Option<Value> {
    let providers = ["twilio", "plivo", "telnyx"];
    Some(match name {
        "page" => json!({"type": "integer", "format": "int64", "minimum": 1, "maximum": u32::MAX}),
        "limit" => json!({"type": "integer", "format": "int64", "minimum": 1, "maximum": 100}),
        "country_iso" | "country_code"
            if path.ends_with("/available") || path.ends_with("/plivo-numbers") =>
        {
            json!({"type": "string", "enum": countries})
        }
        "country_iso" | "country_code" => {
            let mut all = vec![String::new()];
            all.extend_from_slice(countries);
            json!({"type": "string", "enum": all})
        }
        "type" => optional_enum(&["local", "mobile", "toll_free"]),
        "status" => optional_enum(&["pending", "active", "failed", "released"]),
        "provider" if path == "/v1/phone-number-pricing" => optional_enum(&[
            "twilio",
            "plivo",
            "telnyx",
            "tp_twilio",
            "tp_plivo",
            "tp_telnyx",
        ]),
        "provider" if path == "/v1/organization-phone-numbers" => {
            optional_enum(&["twilio", "plivo", "telnyx", "sip_trunk"])
        }
        "provider" => optional_enum(&providers),
        "capabilities" => {
            json!({"type": "string", "pattern": "^((voice|sms|mms|fax)(,(voice|sms|mms|fax))*)?$"})
        }
        "area_code" => json!({"type": "string", "pattern": "^[0-9]{0,6}$"}),
        // The list's free-text search refuses only NUL.
        "q" => json!({"type": "string", "pattern": "^[^\\u0000]*$"}),
        "contains" => json!({"type": "string", "pattern": "^(\\+?[0-9A-Za-z*]{1,16})?$"}),
        "actor" | "action" | "resource" => {
            json!({"type": "string", "maxLength": 128, "pattern": ONE_LINE})
        }
        "from" | "to" | "period_from" | "period_to" => {
            json!({"type": "string", "format": "date-time"})
        }
        "detach" => json!({"type": "boolean"}),
        _ => return None,
    })
}

/// One-line text with something besides spaces in it, as names must be.
const NAME: &str = "^[^\\u0000-\\u001F\\u007F-\\u009F]*[^\\u0000-\\u001F\\u007F-\\u009F\\s][^\\u0000-\\u001F\\u007F-\\u009F]*$";

/// The schema of a request body's property, by its component and name, as the service parses it.
fn property_schema(
    component: &str,
    property: &str,
    nullable: bool,
    countries: &[String],
) -> Option<Value> {
    let or_null = |mut schema: Value| {
        if nullable {
            schema["type"] = json!([schema["type"].clone(), "null"]);
            if let Some(values) = schema.get_mut("enum").and_then(Value::as_array_mut) {
                values.push(Value::Null);
            }
        }
        schema
    };
    Some(match (component, property) {
        ("ConfigBody" | "CreateWorkspace", "enabled_countries" | "approved_kyc") => {
            or_null(json!({"type": "array", "items": {"type": "string", "enum": countries}}))
        }
        ("ConfigBody" | "CreateWorkspace", "default_provider") => {
            or_null(json!({"type": "string", "enum": ["twilio", "plivo", "telnyx"]}))
        }
        ("KycBody", "status") => {
            json!({"type": "string", "enum": ["not_started", "pending", "approved", "rejected"]})
        }
        ("CreateWorkspace" | "AgentBody", "name") => {
            or_null(json!({"type": "string", "maxLength": 255, "pattern": NAME}))
        }
        ("PatchBody", "nickname" | "label") => {
            or_null(json!({"type": "string", "maxLength": 255, "pattern": ONE_LINE}))
        }
        _ => return None,
    })
}

/// The request bodies' properties whose values the service narrows further than their types.
fn narrow_bodies(doc: &mut Value, countries: &[String]) {
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for (component, schema) in schemas.iter_mut() {
        let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) else {
            continue;
        };
        for (name, property) in properties.iter_mut() {
            let nullable = property["type"]
                .as_array()
                .is_some_and(|t| t.iter().any(|t| t == "null"));
            if let Some(mut narrowed) = property_schema(component, name, nullable, countries) {
                if let Some(description) = property.get("description") {
                    narrowed["description"] = description.clone();
                }
                *property = narrowed;
            }
        }
    }
}

fn error(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    })
}

fn add_response(responses: &mut Map<String, Value>, status: &str, description: &str) {
    responses
        .entry(status.to_owned())
        .or_insert_with(|| error(description));
}

/// Apply the shared rules to the generated document.
pub fn apply(doc: &mut Value) {
    let countries = countries();
    narrow_bodies(doc, &countries);
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let probe = path == "/health" || path == "/ready" || path == "/openapi.json";
        for method in METHODS {
            let Some(op) = item.get_mut(method).and_then(Value::as_object_mut) else {
                continue;
            };
            let mut idempotent = false;
            if let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) {
                for p in params.iter_mut() {
                    let name = p["name"].as_str().unwrap_or_default().to_owned();
                    match p["in"].as_str() {
                        Some("query") => {
                            if let Some(schema) = query_schema(path, &name, &countries) {
                                p["schema"] = schema;
                            }
                        }
                        Some("path") if name == "country" => {
                            p["schema"] = json!({"type": "string", "enum": countries});
                        }
                        Some("header") if name == "Idempotency-Key" => {
                            idempotent = true;
                            p["schema"] = json!({"type": "string", "pattern": "^[!-~]{1,255}$"});
                        }
                        _ => {}
                    }
                }
            }
            let queried = op
                .get("parameters")
                .and_then(Value::as_array)
                .is_some_and(|ps| ps.iter().any(|p| p["in"] == "query"));
            let secured = op.contains_key("security");
            let has_body = op.contains_key("requestBody");
            let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
                continue;
            };
            if secured {
                add_response(responses, "401", "Missing or unknown credentials.");
                add_response(
                    responses,
                    "429",
                    "Over the API key's rate limit; Retry-After says when to come back.",
                );
            }
            if queried {
                add_response(responses, "400", "An invalid query parameter.");
            }
            if has_body || idempotent {
                add_response(
                    responses,
                    "400",
                    "Bad JSON, an invalid field, or an invalid Idempotency-Key.",
                );
            }
            if has_body {
                add_response(responses, "413", "The body is larger than 64 KB.");
            }
            if idempotent {
                add_response(
                    responses,
                    "409",
                    "A request with this Idempotency-Key is still running (see Retry-After).",
                );
                add_response(
                    responses,
                    "422",
                    "The Idempotency-Key was used with another request.",
                );
            }
            if !probe {
                add_response(
                    responses,
                    "503",
                    "The database (or a carrier) cannot answer now; retry.",
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_country_list_is_what_the_parser_accepts() {
        let all = countries();
        assert!(all.len() > 200, "{}", all.len());
        for known in ["US", "GB", "IN", "DE"] {
            assert!(all.iter().any(|c| c == known), "{known}");
        }
        assert!(!all.iter().any(|c| c == "XX"));
    }
}
