//! Checks a release package against the vendored OCDS 1.1.5 schema with the declared
//! extensions, and every codelist-typed value against its codelist.
//!
//! The release schema is the core `release-schema.json` with each declared extension's
//! `release-schema.json` applied as a JSON Merge Patch (RFC 7396), as the standard's
//! tooling does. The package schema refers to the release schema by its canonical URL;
//! that URL is answered from the merged schema, nothing is fetched. Formats (`date-time`,
//! `uri`) are checked too. Then the data are walked beside the merged schema: where the
//! schema names a `codelist`, the value (or each array item) must be a code of that CSV —
//! the core's, or the extension's that declares it. Closed and open codelists are both
//! checked: Vidare uses no codes of its own.
//!
//! Only built with the `ocds-validate` feature (the tests use it).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::EXTENSIONS;

/// The canonical URL the package schema uses for the release schema.
pub const RELEASE_SCHEMA_URL: &str =
    "https://standard.open-contracting.org/schema/1__1__5/release-schema.json";

macro_rules! vendored {
    ($path:literal) => {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../vendor/ocds/",
            $path
        ))
    };
}

const PACKAGE_SCHEMA: &str = vendored!("1.1.5/release-package-schema.json");
const RELEASE_SCHEMA: &str = vendored!("1.1.5/release-schema.json");

/// A codelist: its file name and CSV text.
type Codelist = (&'static str, &'static str);

/// Each extension folder's release-schema patch and codelists.
const EXTENSION_FILES: &[(&str, &str, &[Codelist])] = &[
    (
        "lots",
        vendored!("extensions/lots/release-schema.json"),
        &[],
    ),
    (
        "bid",
        vendored!("extensions/bid/release-schema.json"),
        &[
            (
                "bidStatistics.csv",
                vendored!("extensions/bid/codelists/bidStatistics.csv"),
            ),
            (
                "bidStatus.csv",
                vendored!("extensions/bid/codelists/bidStatus.csv"),
            ),
        ],
    ),
    (
        "otherRequirements",
        vendored!("extensions/otherRequirements/release-schema.json"),
        &[(
            "reservedParticipation.csv",
            vendored!("extensions/otherRequirements/codelists/reservedParticipation.csv"),
        )],
    ),
    (
        "techniques",
        vendored!("extensions/techniques/release-schema.json"),
        &[
            (
                "frameworkAgreementMethod.csv",
                vendored!("extensions/techniques/codelists/frameworkAgreementMethod.csv"),
            ),
            (
                "dynamicPurchasingSystemStatus.csv",
                vendored!("extensions/techniques/codelists/dynamicPurchasingSystemStatus.csv"),
            ),
            (
                "dynamicPurchasingSystemType.csv",
                vendored!("extensions/techniques/codelists/dynamicPurchasingSystemType.csv"),
            ),
        ],
    ),
];

const CORE_CODELISTS: &[(&str, &str)] = &[
    (
        "awardCriteria.csv",
        vendored!("1.1.5/codelists/awardCriteria.csv"),
    ),
    (
        "awardStatus.csv",
        vendored!("1.1.5/codelists/awardStatus.csv"),
    ),
    (
        "contractStatus.csv",
        vendored!("1.1.5/codelists/contractStatus.csv"),
    ),
    ("currency.csv", vendored!("1.1.5/codelists/currency.csv")),
    (
        "documentType.csv",
        vendored!("1.1.5/codelists/documentType.csv"),
    ),
    (
        "extendedProcurementCategory.csv",
        vendored!("1.1.5/codelists/extendedProcurementCategory.csv"),
    ),
    (
        "initiationType.csv",
        vendored!("1.1.5/codelists/initiationType.csv"),
    ),
    (
        "itemClassificationScheme.csv",
        vendored!("1.1.5/codelists/itemClassificationScheme.csv"),
    ),
    ("method.csv", vendored!("1.1.5/codelists/method.csv")),
    (
        "milestoneStatus.csv",
        vendored!("1.1.5/codelists/milestoneStatus.csv"),
    ),
    (
        "milestoneType.csv",
        vendored!("1.1.5/codelists/milestoneType.csv"),
    ),
    ("partyRole.csv", vendored!("1.1.5/codelists/partyRole.csv")),
    (
        "procurementCategory.csv",
        vendored!("1.1.5/codelists/procurementCategory.csv"),
    ),
    (
        "relatedProcess.csv",
        vendored!("1.1.5/codelists/relatedProcess.csv"),
    ),
    (
        "relatedProcessScheme.csv",
        vendored!("1.1.5/codelists/relatedProcessScheme.csv"),
    ),
    (
        "releaseTag.csv",
        vendored!("1.1.5/codelists/releaseTag.csv"),
    ),
    (
        "submissionMethod.csv",
        vendored!("1.1.5/codelists/submissionMethod.csv"),
    ),
    (
        "tenderStatus.csv",
        vendored!("1.1.5/codelists/tenderStatus.csv"),
    ),
    (
        "unitClassificationScheme.csv",
        vendored!("1.1.5/codelists/unitClassificationScheme.csv"),
    ),
];

/// One problem found in a package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// JSON Pointer of the offending value.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// RFC 7396 JSON Merge Patch.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(p) => {
            if !target.is_object() {
                *target = Value::Object(Map::new());
            }
            let t = target.as_object_mut().expect("object");
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        other => *target = other.clone(),
    }
}

/// The core release schema with the patches of the extensions a package declares.
pub fn merged_release_schema(declared: &[String]) -> Result<Value, Vec<Problem>> {
    let mut schema: Value = serde_json::from_str(RELEASE_SCHEMA).expect("vendored schema");
    let mut problems = Vec::new();
    for url in declared {
        let Some((_, folder)) = EXTENSIONS.iter().find(|(u, _)| u == url) else {
            problems.push(Problem {
                path: "/extensions".into(),
                message: format!("extension {url} is not vendored in vendor/ocds/extensions"),
            });
            continue;
        };
        let (_, patch, _) = EXTENSION_FILES
            .iter()
            .find(|(f, _, _)| f == folder)
            .expect("every declared extension has its files");
        let patch: Value = serde_json::from_str(patch).expect("vendored patch");
        merge_patch(&mut schema, &patch);
    }
    if problems.is_empty() {
        Ok(schema)
    } else {
        Err(problems)
    }
}

fn codes(csv_text: &str) -> BTreeSet<String> {
    let mut r = csv::ReaderBuilder::new().from_reader(csv_text.as_bytes());
    let headers = r.headers().expect("codelist header").clone();
    let col = headers
        .iter()
        .position(|h| h == "Code")
        .expect("codelist has a Code column");
    r.records()
        .map(|rec| rec.expect("codelist row")[col].to_string())
        .collect()
}

/// Every codelist the declared extensions bring, with the core's.
fn codelists(declared: &[String]) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = CORE_CODELISTS
        .iter()
        .map(|(n, t)| (n.to_string(), codes(t)))
        .collect();
    for url in declared {
        if let Some((_, folder)) = EXTENSIONS.iter().find(|(u, _)| u == url) {
            if let Some((_, _, lists)) = EXTENSION_FILES.iter().find(|(f, _, _)| f == folder) {
                for (n, t) in *lists {
                    out.insert(n.to_string(), codes(t));
                }
            }
        }
    }
    out
}

struct Local(Value);

impl jsonschema::Retrieve for Local {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        if uri.as_str() == RELEASE_SCHEMA_URL {
            Ok(self.0.clone())
        } else {
            Err(format!("{uri} is not vendored; nothing is fetched").into())
        }
    }
}

/// Validates a release package: the schema with its declared extensions, then the
/// codelists. Returns every problem found (empty: valid).
pub fn validate_package(package: &Value) -> Vec<Problem> {
    let declared: Vec<String> = package
        .get("extensions")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let release_schema = match merged_release_schema(&declared) {
        Ok(s) => s,
        Err(p) => return p,
    };
    let package_schema: Value = serde_json::from_str(PACKAGE_SCHEMA).expect("vendored schema");
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .should_validate_formats(true)
        .with_retriever(Local(release_schema.clone()))
        .build(&package_schema)
        .expect("the vendored schema compiles");
    let mut problems: Vec<Problem> = validator
        .iter_errors(package)
        .map(|e| Problem {
            path: e.instance_path().to_string(),
            message: e.to_string(),
        })
        .collect();
    let lists = codelists(&declared);
    if let Some(releases) = package.get("releases").and_then(Value::as_array) {
        for (i, r) in releases.iter().enumerate() {
            check_codes(
                r,
                &release_schema,
                &release_schema,
                &lists,
                &format!("/releases/{i}"),
                &mut problems,
            );
        }
    }
    problems
}

/// Follows `$ref: #/definitions/X` within the release schema.
fn resolve<'a>(node: &'a Value, root: &'a Value) -> &'a Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(r) if r.starts_with("#/definitions/") => root
            .pointer(&r[1..])
            .map(|n| resolve(n, root))
            .unwrap_or(node),
        _ => node,
    }
}

fn check_codes(
    data: &Value,
    schema: &Value,
    root: &Value,
    lists: &BTreeMap<String, BTreeSet<String>>,
    path: &str,
    problems: &mut Vec<Problem>,
) {
    let schema = resolve(schema, root);
    if let Some(list) = schema.get("codelist").and_then(Value::as_str) {
        let open = schema
            .get("openCodelist")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let Some(allowed) = lists.get(list) else {
            problems.push(Problem {
                path: path.to_string(),
                message: format!("codelist {list} is not vendored"),
            });
            return;
        };
        let mut check = |v: &Value, p: String| {
            if let Some(s) = v.as_str() {
                if !allowed.contains(s) {
                    problems.push(Problem {
                        path: p,
                        message: format!(
                            "{s:?} is not a code of the {} codelist {list}",
                            if open { "open" } else { "closed" }
                        ),
                    });
                }
            }
        };
        match data {
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    check(v, format!("{path}/{i}"));
                }
            }
            v => check(v, path.to_string()),
        }
        return;
    }
    match data {
        Value::Object(map) => {
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                for (k, v) in map {
                    if let Some(s) = props.get(k) {
                        check_codes(v, s, root, lists, &format!("{path}/{k}"), problems);
                    }
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (i, v) in items.iter().enumerate() {
                    check_codes(
                        v,
                        item_schema,
                        root,
                        lists,
                        &format!("{path}/{i}"),
                        problems,
                    );
                }
            }
        }
        _ => {}
    }
}
