//! Static assets, embedded in the binary and served under fingerprinted names
//! (`app.3f2a9c1e.css`) with a one-year immutable cache lifetime: a changed file gets a
//! new name, so browsers never keep a stale copy.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use std::sync::LazyLock;

use sha2::{Digest, Sha256};

use crate::routes::{Access, RouteDef};
use crate::AppState;

struct Asset {
    name: String,
    mime: &'static str,
    bytes: &'static [u8],
}

/// The assets with their fingerprinted URLs.
pub struct Assets {
    files: Vec<Asset>,
    /// URL of the style sheet.
    pub css: String,
    /// URL of htmx.
    pub htmx: String,
}

fn fingerprint(stem: &str, ext: &str, bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let short: String = digest.iter().take(5).map(|b| format!("{b:02x}")).collect();
    format!("{stem}.{short}.{ext}")
}

impl Assets {
    /// Fingerprints the embedded files.
    pub fn load() -> Assets {
        let sources: [(&str, &str, &'static str, &'static [u8]); 2] = [
            (
                "app",
                "css",
                "text/css; charset=utf-8",
                include_bytes!("../static/app.css"),
            ),
            (
                "htmx",
                "js",
                "text/javascript; charset=utf-8",
                include_bytes!("../static/htmx.min.js"),
            ),
        ];
        let files: Vec<Asset> = sources
            .iter()
            .map(|(stem, ext, mime, bytes)| Asset {
                name: fingerprint(stem, ext, bytes),
                mime,
                bytes,
            })
            .collect();
        Assets {
            css: format!("/static/{}", files[0].name),
            htmx: format!("/static/{}", files[1].name),
            files,
        }
    }
}

/// The assets, fingerprinted once per process.
pub static ASSETS: LazyLock<Assets> = LazyLock::new(Assets::load);

pub(crate) fn routes() -> Vec<RouteDef> {
    vec![RouteDef::get("/static/{file}", Access::Public, serve)]
}

async fn serve(State(_): State<AppState>, Path(file): Path<String>) -> Response {
    match ASSETS.files.iter().find(|a| a.name == file) {
        Some(a) => (
            [
                (header::CONTENT_TYPE, a.mime),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            a.bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
