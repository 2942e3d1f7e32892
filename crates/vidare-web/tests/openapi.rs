//! The OpenAPI description under a snapshot: the served `/api/openapi.json`, pretty-printed
//! with sorted keys, must equal `tests/snapshots/openapi.json`, so every change of the API
//! shows as a diff of that file. `UPDATE_SNAPSHOTS=1` rewrites it. The document is also
//! checked for structure (OpenAPI 3.1, responses everywhere, every `$ref` resolving), and
//! the readable page at `/api/docs` for showing every operation.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use axum::http::StatusCode;
use serde_json::Value;
use support::{Browser, TestApp};
use vidare_store::BackendKind;

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// The value with every object's keys in order, whatever serde_json's map keeps.
fn sorted(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let ordered: BTreeMap<&String, Value> = m.iter().map(|(k, v)| (k, sorted(v))).collect();
            let mut out = serde_json::Map::new();
            for (k, v) in ordered {
                out.insert(k.clone(), v);
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

fn snapshot_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/openapi.json")
}

/// The first differing lines, for the failure message.
fn diff_hint(old: &str, new: &str) -> String {
    let (a, b): (Vec<&str>, Vec<&str>) = (old.lines().collect(), new.lines().collect());
    let mut out = String::new();
    let mut shown = 0;
    for i in 0..a.len().max(b.len()) {
        let (x, y) = (a.get(i), b.get(i));
        if x != y {
            out.push_str(&format!(
                "line {}:\n  - {}\n  + {}\n",
                i + 1,
                x.unwrap_or(&"<end of file>"),
                y.unwrap_or(&"<end of file>")
            ));
            shown += 1;
            if shown == 8 {
                out.push_str("  …\n");
                break;
            }
        }
    }
    out
}

/// Every structural problem of an OpenAPI 3.1 document.
fn check_document(doc: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let version = doc["openapi"].as_str().unwrap_or_default();
    if !version.starts_with("3.1.") {
        problems.push(format!("openapi is {version:?}, not 3.1.x"));
    }
    for key in ["title", "version"] {
        if doc["info"][key].as_str().is_none_or(str::is_empty) {
            problems.push(format!("info.{key} is missing"));
        }
    }
    let schemes: BTreeSet<&str> = doc["components"]["securitySchemes"]
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let tags: BTreeSet<&str> = doc["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["name"].as_str())
        .collect();
    let mut operation_ids = BTreeSet::new();
    let paths = doc["paths"].as_object();
    if paths.is_none_or(|p| p.is_empty()) {
        problems.push("no paths".into());
    }
    for (path, item) in paths.into_iter().flatten() {
        let mut ops = 0;
        for method in METHODS {
            let Some(op) = item.get(*method) else {
                continue;
            };
            ops += 1;
            let at = format!("{} {path}", method.to_uppercase());
            match op["responses"].as_object() {
                Some(r) if !r.is_empty() => {
                    for (status, resp) in r {
                        if resp.get("$ref").is_none() && resp["description"].as_str().is_none() {
                            problems.push(format!("{at}: response {status} has no description"));
                        }
                    }
                }
                _ => problems.push(format!("{at}: no responses")),
            }
            match op["operationId"].as_str() {
                Some(id) => {
                    if !operation_ids.insert(id.to_string()) {
                        problems.push(format!("{at}: operationId {id} is used twice"));
                    }
                }
                None => problems.push(format!("{at}: no operationId")),
            }
            if op["summary"].as_str().is_none_or(str::is_empty) {
                problems.push(format!("{at}: no summary"));
            }
            for tag in op["tags"].as_array().into_iter().flatten() {
                if !tags.contains(tag.as_str().unwrap_or_default()) {
                    problems.push(format!("{at}: tag {tag} is not declared"));
                }
            }
            for req in op["security"].as_array().into_iter().flatten() {
                for name in req.as_object().into_iter().flatten().map(|(k, _)| k) {
                    if !schemes.contains(name.as_str()) {
                        problems.push(format!("{at}: security scheme {name} is not declared"));
                    }
                }
            }
            if op.get("x-required-roles").is_none() {
                problems.push(format!("{at}: no x-required-roles"));
            }
            // Every `{param}` of the path is declared as a path parameter.
            let declared: BTreeSet<&str> = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "path")
                .filter_map(|p| p["name"].as_str())
                .collect();
            for part in path.split('/') {
                if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                    if !declared.contains(name) {
                        problems.push(format!("{at}: path parameter {name} is not declared"));
                    }
                }
            }
        }
        if ops == 0 {
            problems.push(format!("{path}: no operations"));
        }
    }
    check_refs(doc, doc, "#", &mut problems);
    problems
}

/// Every `$ref` in `v` points at something in `doc`.
fn check_refs(doc: &Value, v: &Value, at: &str, problems: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(r) = m.get("$ref") {
                let target = r
                    .as_str()
                    .and_then(|r| r.strip_prefix('#'))
                    .and_then(|pointer| doc.pointer(pointer));
                if target.is_none() {
                    problems.push(format!("{at}: $ref {r} does not resolve"));
                }
            }
            for (k, child) in m {
                check_refs(doc, child, &format!("{at}/{k}"), problems);
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                check_refs(doc, child, &format!("{at}/{i}"), problems);
            }
        }
        _ => {}
    }
}

async fn served_document(app: &TestApp) -> Value {
    let r = app.get(&mut Browser::default(), "/api/openapi.json").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    serde_json::from_str(&r.body).expect("the document is JSON")
}

#[tokio::test]
async fn openapi_document_matches_the_snapshot() {
    let app = TestApp::new(BackendKind::Sqlite).await;
    let doc = served_document(&app).await;
    let text = serde_json::to_string_pretty(&sorted(&doc)).unwrap() + "\n";
    let path = snapshot_path();
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed == text {
        return;
    }
    if std::env::var("UPDATE_SNAPSHOTS").as_deref() == Ok("1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &text).unwrap();
        eprintln!("rewrote {}", path.display());
        return;
    }
    panic!(
        "the served OpenAPI document differs from {}:\n{}\nIf the API change is intended, run \
         `UPDATE_SNAPSHOTS=1 cargo test -p vidare-web --test openapi` and commit the file.",
        path.display(),
        diff_hint(&committed, &text)
    );
}

#[tokio::test]
async fn openapi_document_is_well_formed() {
    let app = TestApp::new(BackendKind::Sqlite).await;
    let doc = served_document(&app).await;
    let problems = check_document(&doc);
    assert!(problems.is_empty(), "{problems:#?}");
    // The security schemes are documented.
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["session"]["in"], "cookie");
    assert_eq!(schemes["csrf"]["name"], "X-CSRF-Token");

    // The checks can fail: a broken reference, a missing response, a 3.0 version.
    let mut broken = doc.clone();
    broken["openapi"] = "3.0.3".into();
    broken["paths"]["/api/v1/me"]["get"]["responses"] = serde_json::json!({});
    broken["paths"]["/api/v1/organisations"]["get"]["responses"]["200"]["content"]
        ["application/json"]["schema"]["$ref"] = "#/components/schemas/Nowhere".into();
    let problems = check_document(&broken);
    assert_eq!(problems.len(), 3, "{problems:#?}");
    assert!(problems.iter().any(|p| p.contains("Nowhere")));
}

#[tokio::test]
async fn docs_page_shows_every_operation() {
    let app = TestApp::new(BackendKind::Sqlite).await;
    let doc = served_document(&app).await;
    let mut anon = Browser::default();
    let r = app.get(&mut anon, "/api/docs").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = r.body;
    assert!(html.contains("<h1>API-dokumentation</h1>"), "{html}");
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let heading = format!("<code>{} {}</code>", method.to_uppercase(), path);
            assert!(html.contains(&heading), "{heading} missing");
            let id = op["operationId"].as_str().unwrap();
            assert!(html.contains(&format!("id=\"{id}\"")), "{id}");
        }
    }
    // Roles in words, the schemas with their fields, and the security schemes.
    assert!(html.contains("Administratör"));
    assert!(html.contains("id=\"schema-NewOrganisationIn\""));
    assert!(html.contains("<code>org_number</code>"));
    assert!(html.contains("X-CSRF-Token"));
    assert!(!html.contains("<script>"), "no inline scripts");
    // In English on request.
    let r = app
        .send(
            &mut anon,
            axum::http::Request::get("/api/docs")
                .header("accept-language", "en")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert!(r.body.contains("<h1>API documentation</h1>"));
    assert!(r.body.contains("Administrator"));
}
