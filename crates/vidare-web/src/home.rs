//! The start page: which municipalities this installation serves. Public: it shows
//! names and counts, never personal data.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::AppState;

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/", get(home))
}

async fn home(State(state): State<AppState>) -> Response {
    let tenants = match state.store().list_tenants().await {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %e, "listing tenants");
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                Html(page(
                    "<p>Databasen svarar inte just nu. Försök igen om en stund.</p>",
                )),
            )
                .into_response();
        }
    };
    let mut body = String::from("<h2>Kommuner</h2><ul>");
    for t in &tenants {
        let s = state.store().tenant(t.id);
        let orgs = s.count_organisations().await.unwrap_or(0);
        let participants = s.count_participants().await.unwrap_or(0);
        body.push_str(&format!(
            "<li><strong>{}</strong>{} — {} leverantörer, {} deltagare</li>",
            escape(t.name.as_str()),
            if t.synthetic {
                " (syntetiska demodata)"
            } else {
                ""
            },
            orgs,
            participants
        ));
    }
    if tenants.is_empty() {
        body.push_str(
            "<li>Inga kommuner ännu. Lägg till en med <code>vidare tenant add</code>.</li>",
        );
    }
    body.push_str("</ul>");
    Html(page(&body)).into_response()
}

fn page(body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"sv\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Vidare</title></head><body><header><h1>Vidare</h1>\
         <p>Reserverad upphandling av sysselsättningsplatser, placeringar och effektmätning.</p>\
         </header><main>{body}</main></body></html>"
    )
}

/// Escapes text for HTML element content and attribute values.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
