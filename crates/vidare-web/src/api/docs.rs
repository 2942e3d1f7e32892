//! `GET /api/docs`: the OpenAPI document as a readable page, rendered on the server (no
//! JavaScript, nothing from a CDN). Endpoints are grouped by tag, each with its method,
//! path, summary, required roles, authentication, parameters, request body and
//! responses; the schemas follow, each with its fields.

use askama::Template;
use axum::response::Response;
use serde_json::Value;
use vidare_domain::model::tenant::RoleKind;
use vidare_domain::Lang;

use super::openapi::{self, BEARER, CSRF, SESSION};
use crate::i18n::t;
use crate::pages::{render, Ctx, Page};

/// A run of text, shown as code when it was between backticks.
struct Inline {
    text: String,
    code: bool,
}

/// A piece of a type's description, linked when it names a schema.
struct Seg {
    text: String,
    href: Option<String>,
}

/// A parameter of an operation.
struct Param {
    name: String,
    location: String,
    ty: Vec<Seg>,
    required: &'static str,
    description: Vec<Inline>,
}

/// An operation's request body.
struct Body {
    content_type: String,
    ty: Vec<Seg>,
    description: Vec<Inline>,
}

/// One answer of an operation.
struct Reply {
    status: String,
    description: Vec<Inline>,
    content_type: String,
    ty: Vec<Seg>,
}

/// One operation, as shown.
struct Operation {
    anchor: String,
    method: String,
    path: String,
    summary: String,
    description: Vec<Vec<Inline>>,
    roles: String,
    auth: String,
    params: Vec<Param>,
    body: Option<Body>,
    replies: Vec<Reply>,
}

/// A group of operations.
struct Tag {
    name: String,
    description: Vec<Inline>,
    operations: Vec<Operation>,
}

/// A field of a schema.
struct Field {
    name: String,
    ty: Vec<Seg>,
    required: &'static str,
    description: Vec<Inline>,
}

/// A schema of the components, as shown.
struct SchemaView {
    name: String,
    description: Vec<Inline>,
    /// Schemas whose fields this one includes (`allOf`).
    includes: Vec<Seg>,
    /// The allowed values of a code.
    values: Vec<String>,
    fields: Vec<Field>,
}

/// A security scheme.
struct Scheme {
    name: String,
    how: String,
    description: String,
}

#[derive(Template)]
#[template(path = "api_docs.html")]
struct DocsPage {
    page: Page,
    title: String,
    version: String,
    intro: Vec<Vec<Inline>>,
    schemes: Vec<Scheme>,
    tags: Vec<Tag>,
    schemas: Vec<SchemaView>,
}

/// Splits text at backticks: the odd runs are code.
fn inline(s: &str) -> Vec<Inline> {
    s.split('`')
        .enumerate()
        .filter(|(_, part)| !part.is_empty())
        .map(|(i, part)| Inline {
            text: part.to_string(),
            code: i % 2 == 1,
        })
        .collect()
}

fn paragraphs(s: &str) -> Vec<Vec<Inline>> {
    s.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(inline)
        .collect()
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

fn plain(s: impl Into<String>) -> Seg {
    Seg {
        text: s.into(),
        href: None,
    }
}

/// `#/components/schemas/Name` → `Name`.
fn ref_name(r: &str) -> &str {
    r.rsplit('/').next().unwrap_or(r)
}

/// A schema's type in words, linking the schemas it names.
fn describe(schema: &Value, lang: Lang) -> Vec<Seg> {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = ref_name(r);
        return vec![Seg {
            text: name.to_string(),
            href: Some(format!("#schema-{name}")),
        }];
    }
    for (key, sep) in [("oneOf", " | "), ("anyOf", " | "), ("allOf", " & ")] {
        if let Some(parts) = schema.get(key).and_then(Value::as_array) {
            let mut out = Vec::new();
            for (i, part) in parts.iter().enumerate() {
                if i > 0 {
                    out.push(plain(sep));
                }
                out.extend(describe(part, lang));
            }
            return out;
        }
    }
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if types.is_empty() {
        return vec![plain(t(lang, "api.any_json"))];
    }
    let mut out = Vec::new();
    for (i, ty) in types.iter().enumerate() {
        if i > 0 {
            out.push(plain(" | "));
        }
        match *ty {
            "array" => {
                out.push(plain(format!("{} ", t(lang, "api.array_of"))));
                out.extend(describe(&schema["items"], lang));
            }
            "null" => out.push(plain("null")),
            other => {
                let mut s = other.to_string();
                if let Some(f) = schema.get("format").and_then(Value::as_str) {
                    s.push_str(&format!(" ({f})"));
                }
                out.push(plain(s));
            }
        }
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        let values: Vec<&str> = values.iter().filter_map(Value::as_str).collect();
        out.push(plain(format!(": {}", values.join(", "))));
    }
    let (min, max) = (schema.get("minimum"), schema.get("maximum"));
    if min.is_some() || max.is_some() {
        let bound = |v: Option<&Value>| v.map(|v| v.to_string()).unwrap_or_default();
        out.push(plain(format!(", {}–{}", bound(min), bound(max))));
    }
    out
}

fn yes_no(lang: Lang, b: bool) -> &'static str {
    t(lang, if b { "common.yes" } else { "common.no" })
}

fn role_names(codes: &Value, lang: Lang) -> String {
    let codes: Vec<&str> = codes
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if codes.is_empty() {
        return t(lang, "api.public").to_string();
    }
    if codes.len() == RoleKind::ALL.len() {
        return t(lang, "api.any_role").to_string();
    }
    codes
        .iter()
        .filter_map(|c| RoleKind::parse(c).ok())
        .map(|r| match lang {
            Lang::Sv => r.name_sv(),
            Lang::En => r.name_en(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn scheme_name(name: &str, lang: Lang) -> &'static str {
    match name {
        BEARER => t(lang, "api.scheme_bearer"),
        SESSION => t(lang, "api.scheme_session"),
        CSRF => t(lang, "api.scheme_csrf"),
        _ => "?",
    }
}

fn auth(security: &Value, lang: Lang) -> String {
    let alternatives: Vec<String> = security
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .map(|req| {
            // In the order a caller thinks of them: the credential, then the CSRF header.
            let mut names: Vec<&str> = req.keys().map(String::as_str).collect();
            names.sort_by_key(|n| [BEARER, SESSION, CSRF].iter().position(|s| s == n));
            names
                .into_iter()
                .map(|k| scheme_name(k, lang))
                .collect::<Vec<_>>()
                .join(" + ")
        })
        .collect();
    if alternatives.is_empty() {
        t(lang, "api.public").to_string()
    } else {
        alternatives.join(&format!(" {} ", t(lang, "api.or")))
    }
}

/// The first media type of a `content` map and its schema.
fn content(c: &Value, lang: Lang) -> (String, Vec<Seg>) {
    match c.as_object().and_then(|m| m.iter().next()) {
        Some((ct, media)) => (ct.clone(), describe(&media["schema"], lang)),
        None => (String::new(), Vec::new()),
    }
}

fn operation(doc: &Value, method: &str, path: &str, op: &Value, lang: Lang) -> Operation {
    let params = op["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| Param {
            name: text(&p["name"]).to_string(),
            location: text(&p["in"]).to_string(),
            ty: describe(&p["schema"], lang),
            required: yes_no(lang, p["required"].as_bool().unwrap_or(false)),
            description: inline(text(&p["description"])),
        })
        .collect();
    let body = op.get("requestBody").map(|b| {
        let (content_type, ty) = content(&b["content"], lang);
        Body {
            content_type,
            ty,
            description: inline(text(&b["description"])),
        }
    });
    let mut statuses: Vec<(&String, &Value)> =
        op["responses"].as_object().into_iter().flatten().collect();
    statuses.sort_by(|a, b| a.0.cmp(b.0));
    let replies = statuses
        .into_iter()
        .map(|(status, r)| {
            // Shared answers (401, 403) are references to components.responses.
            let r = match r.get("$ref").and_then(Value::as_str) {
                Some(target) => &doc["components"]["responses"][ref_name(target)],
                None => r,
            };
            let (content_type, ty) = content(&r["content"], lang);
            Reply {
                status: status.clone(),
                description: inline(text(&r["description"])),
                content_type,
                ty,
            }
        })
        .collect();
    Operation {
        anchor: text(&op["operationId"]).to_string(),
        method: method.to_ascii_uppercase(),
        path: path.to_string(),
        summary: text(&op["summary"]).to_string(),
        description: paragraphs(text(&op["description"])),
        roles: role_names(&op["x-required-roles"], lang),
        auth: auth(&op["security"], lang),
        params,
        body,
        replies,
    }
}

fn fields_of(schema: &Value, lang: Lang) -> Vec<Field> {
    let required: Vec<&str> = schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    schema["properties"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, p)| Field {
            name: name.clone(),
            ty: describe(p, lang),
            required: yes_no(lang, required.contains(&name.as_str())),
            description: inline(text(&p["description"])),
        })
        .collect()
}

fn schema_view(name: &str, s: &Value, lang: Lang) -> SchemaView {
    let mut includes = Vec::new();
    let mut fields = fields_of(s, lang);
    for part in s["allOf"].as_array().into_iter().flatten() {
        if part.get("$ref").is_some() {
            if !includes.is_empty() {
                includes.push(plain(", "));
            }
            includes.extend(describe(part, lang));
        } else {
            fields.extend(fields_of(part, lang));
        }
    }
    SchemaView {
        name: name.to_string(),
        description: inline(text(&s["description"])),
        includes,
        values: s["enum"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        fields,
    }
}

const METHODS: &[&str] = &["get", "post", "put", "patch", "delete"];

/// `GET /api/docs`.
pub(super) async fn page(ctx: Ctx) -> Response {
    let lang = ctx.lang;
    let doc = openapi::document();
    let mut tags: Vec<Tag> = doc["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|tag| Tag {
            name: text(&tag["name"]).to_string(),
            description: inline(text(&tag["description"])),
            operations: Vec::new(),
        })
        .collect();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for method in METHODS {
            let Some(op) = item.get(*method) else {
                continue;
            };
            let name = op["tags"][0].as_str().unwrap_or_default();
            let operation = operation(doc, method, path, op, lang);
            match tags.iter_mut().find(|t| t.name == name) {
                Some(tag) => tag.operations.push(operation),
                None => tags.push(Tag {
                    name: name.to_string(),
                    description: Vec::new(),
                    operations: vec![operation],
                }),
            }
        }
    }
    let schemes = doc["components"]["securitySchemes"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, s)| Scheme {
            name: scheme_name(name, lang).to_string(),
            how: match text(&s["type"]) {
                "http" => "Authorization: Bearer …".to_string(),
                _ => format!("{} {}", text(&s["in"]), text(&s["name"])),
            },
            description: text(&s["description"]).to_string(),
        })
        .collect();
    let schemas = doc["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, s)| schema_view(name, s, lang))
        .collect();
    render(
        &DocsPage {
            page: ctx.page("api.docs_title"),
            title: text(&doc["info"]["title"]).to_string(),
            version: text(&doc["info"]["version"]).to_string(),
            intro: paragraphs(text(&doc["info"]["description"])),
            schemes,
            tags,
            schemas,
        },
        lang,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_in_words() {
        let lang = Lang::En;
        let words = |v: Value| {
            describe(&v, lang)
                .into_iter()
                .map(|s| s.text)
                .collect::<String>()
        };
        assert_eq!(
            words(serde_json::json!({"type": ["string", "null"], "format": "date"})),
            "string (date) | null"
        );
        assert_eq!(
            words(
                serde_json::json!({"type": "array", "items": {"$ref": "#/components/schemas/X"}})
            ),
            "array of X"
        );
        let segs = describe(&serde_json::json!({"$ref": "#/components/schemas/X"}), lang);
        assert_eq!(segs[0].href.as_deref(), Some("#schema-X"));
        let code = inline("send `a` and `b`");
        assert_eq!(code.len(), 4);
        assert!(code[1].code && !code[2].code);
    }
}
