//! `GET /healthz`: whether the server and its database answer. Public, no personal data.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::json;

use crate::routes::{Access, RouteDef};
use crate::AppState;

pub(crate) fn routes() -> Vec<RouteDef> {
    vec![RouteDef::get("/healthz", Access::Public, healthz)]
}

async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<serde_json::Value>) {
    let db = state.store().ping().await;
    let status = if db.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    if let Err(e) = &db {
        tracing::warn!(error = %e, "health check: database did not answer");
    }
    (
        status,
        Json(json!({
            "status": if db.is_ok() { "ok" } else { "unavailable" },
            "database": {
                "backend": state.store().kind().as_str(),
                "reachable": db.is_ok(),
                "schema_version": state.inner.schema_version,
            },
            "version": env!("CARGO_PKG_VERSION"),
            "uptime_seconds": state.inner.started.elapsed().as_secs(),
        })),
    )
}
