//! The documents Prism checks against: Twilio's own, with the project's overlay of the error
//! answers Twilio documents outside it (`contracts/twilio-errors.overlay.json`), and the
//! project's Plivo and Telnyx contracts as they are.

use crate::prism;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// A document on disk for Prism; a built one lives in a temporary directory as long as this.
pub struct Document {
    pub path: PathBuf,
    _dir: Option<tempfile::TempDir>,
}

impl Document {
    /// The project's contract `crates/carriers/contracts/NAME`, unchanged.
    pub fn contract(name: &str) -> Document {
        let path = prism::contract(name);
        assert!(path.is_file(), "no contract document at {}", path.display());
        Document { path, _dir: None }
    }

    /// Twilio's api_v2010 document with the overlay applied; `None` when skipping on purpose.
    pub fn twilio(test: &str) -> Option<Document> {
        let official = prism::twilio_document(test)?;
        let mut document = read(&official);
        let overlay = read(&prism::contract("twilio-errors.overlay.json"));
        apply_overlay(&mut document, &overlay);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("twilio_api_v2010.dialnexa.json");
        std::fs::write(&path, serde_json::to_vec(&document).unwrap()).unwrap();
        Some(Document {
            path,
            _dir: Some(dir),
        })
    }
}

fn read(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Adds the overlay's components, its error answers to each listed operation, and drops
/// `format: uri` from the links Twilio writes as paths. Panics on a path or operation the
/// document lacks: an overlay that no longer fits must not pass silently.
fn apply_overlay(document: &mut Value, overlay: &Value) {
    for kind in ["schemas", "responses"] {
        let added = overlay["components"][kind].as_object().unwrap().clone();
        let target = object(&mut document["components"], kind);
        target.extend(added);
    }
    let operations = overlay["operations"].as_object().unwrap();
    for (path, methods) in operations {
        for (method, statuses) in methods.as_object().unwrap() {
            let operation = &mut document["paths"][path][method];
            assert!(
                operation.is_object(),
                "Twilio's document has no {method} {path}"
            );
            let responses = object(operation, "responses");
            for status in statuses.as_array().unwrap() {
                let status = status.as_str().unwrap();
                let reference = format!("#/components/responses/dialnexa.twilio_{status}");
                responses.insert(status.to_owned(), serde_json::json!({ "$ref": reference }));
            }
        }
    }
    let links = &overlay["relative_links"];
    for path in links["in_responses_of"].as_array().unwrap() {
        let path = path.as_str().unwrap();
        let schema = &mut document["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
            ["schema"]["properties"];
        assert!(
            schema.is_object(),
            "Twilio's document has no list answer at {path}"
        );
        for property in links["properties"].as_array().unwrap() {
            if let Some(Value::Object(p)) = schema.get_mut(property.as_str().unwrap()) {
                p.remove("format");
            }
        }
    }
}

fn object<'a>(value: &'a mut Value, key: &str) -> &'a mut Map<String, Value> {
    value
        .as_object_mut()
        .unwrap()
        .entry(key)
        .or_insert_with(|| Value::Object(Map::new()))
        .as_object_mut()
        .unwrap()
}
