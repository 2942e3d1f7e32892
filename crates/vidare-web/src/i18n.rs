//! The user interface's texts, Swedish first and English second, from
//! `locales/sv/*.toml` and `locales/en/*.toml` (embedded in the binary). Swedish formats
//! for dates and amounts come from the domain (`Money::format_sv`).

use std::collections::HashMap;
use std::sync::LazyLock;

use vidare_domain::Lang;

fn flatten(prefix: &str, table: &toml::Table, out: &mut HashMap<String, String>) {
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::Table(t) => flatten(&key, t, out),
            toml::Value::String(s) => {
                out.insert(key, s.clone());
            }
            other => panic!("translation {key} must be text, is {other:?}"),
        }
    }
}

/// Merges one language's files (one per area of the product). A key defined in two
/// files is a mistake and panics.
fn load(sources: &[(&str, &str)]) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for (name, source) in sources {
        let table: toml::Table = toml::from_str(source)
            .unwrap_or_else(|e| panic!("translation file {name} is not valid TOML: {e}"));
        let mut part = HashMap::new();
        flatten("", &table, &mut part);
        for (k, v) in part {
            if out.insert(k.clone(), v).is_some() {
                panic!("translation key {k} is defined twice (again in {name})");
            }
        }
    }
    out
}

/// The files of one language, `locales/<lang>/<area>.toml`.
macro_rules! locale_files {
    ($lang:literal) => {
        &[
            (
                "core",
                include_str!(concat!("../locales/", $lang, "/core.toml")),
            ),
            (
                "procurement",
                include_str!(concat!("../locales/", $lang, "/procurement.toml")),
            ),
            (
                "placements",
                include_str!(concat!("../locales/", $lang, "/placements.toml")),
            ),
            (
                "effects",
                include_str!(concat!("../locales/", $lang, "/effects.toml")),
            ),
            (
                "invoicing",
                include_str!(concat!("../locales/", $lang, "/invoicing.toml")),
            ),
            (
                "open_data",
                include_str!(concat!("../locales/", $lang, "/open_data.toml")),
            ),
        ]
    };
}

static SV: LazyLock<HashMap<String, String>> = LazyLock::new(|| load(locale_files!("sv")));
static EN: LazyLock<HashMap<String, String>> = LazyLock::new(|| load(locale_files!("en")));

/// The text for `key` in `lang`. A missing key shows as the key itself (and a test
/// makes sure none is missing).
pub fn t(lang: Lang, key: &str) -> &'static str {
    let map: &'static HashMap<String, String> = match lang {
        Lang::Sv => &SV,
        Lang::En => &EN,
    };
    match map.get(key) {
        Some(s) => s.as_str(),
        None => {
            tracing::warn!(key, lang = lang.tag(), "missing translation");
            // Leaking once per missing key is bounded by the number of keys in the code.
            Box::leak(key.to_string().into_boxed_str())
        }
    }
}

/// Every key of a language, for tests.
pub fn keys(lang: Lang) -> Vec<&'static str> {
    let map: &'static HashMap<String, String> = match lang {
        Lang::Sv => &SV,
        Lang::En => &EN,
    };
    let mut keys: Vec<&str> = map.keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_have_the_same_keys() {
        assert_eq!(keys(Lang::Sv), keys(Lang::En));
        assert!(keys(Lang::Sv).len() > 50);
    }

    /// Every key that a template or the code asks for exists.
    #[test]
    fn every_key_used_exists() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut used = Vec::new();
        for dir in ["templates", "src"] {
            for entry in walk(&root.join(dir)) {
                let text = std::fs::read_to_string(&entry).unwrap();
                for marker in ["t(\"", "tr(\""] {
                    for (i, _) in text.match_indices(marker) {
                        let rest = &text[i + marker.len()..];
                        let key = &rest[..rest.find('"').unwrap()];
                        if key.contains('.') && !key.contains(' ') {
                            used.push((entry.display().to_string(), key.to_string()));
                        }
                    }
                }
            }
        }
        assert!(used.len() > 20, "found {} uses", used.len());
        let known = keys(Lang::Sv);
        let missing: Vec<_> = used
            .iter()
            .filter(|(_, k)| !known.contains(&k.as_str()))
            .collect();
        assert!(missing.is_empty(), "missing translations: {missing:?}");
    }

    fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
        out
    }

    #[test]
    fn swedish_is_the_default() {
        assert_eq!(t(Lang::default(), "auth.sign_in"), "Logga in");
        assert_eq!(t(Lang::En, "auth.sign_in"), "Sign in");
    }
}
