//! `GET /metrics`: request counts and latencies in Prometheus' text format, for a
//! scraper.
//!
//! Public, as scrape endpoints conventionally are, and therefore bound to carry no
//! personal data: requests are labelled by the matched route *template*
//! (`/deltagare/{id}`, never `/deltagare/42`), the method and the status; requests that
//! match no route share the label `unmatched`, so neither ids nor guessed URLs reach the
//! output and the number of series stays bounded by the route table. Besides those: the
//! process's uptime and the database pool's size.
//!
//! The registry is small and hand-written (atomic counters, fixed buckets) rather than
//! the `metrics` crates, whose recorder is process-global: each router built by
//! [`crate::routes::build`] gets its own registry, so two servers (or two tests) in one
//! process never mix their counts.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use vidare_store::Backend;

use crate::routes::{Access, RouteDef};
use crate::AppState;

/// Upper bounds of the latency buckets, in seconds (`+Inf` is implied).
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// The label for requests that matched no route.
const UNMATCHED: &str = "unmatched";

pub(crate) fn routes() -> Vec<RouteDef> {
    vec![RouteDef::get("/metrics", Access::Public, metrics)]
}

/// One series: a request counter and its latency histogram.
#[derive(Default)]
struct Series {
    count: AtomicU64,
    /// Sum of latencies in nanoseconds.
    sum_nanos: AtomicU64,
    /// Per-bucket (not cumulative) counts; the last is `+Inf`.
    buckets: [AtomicU64; BUCKETS.len() + 1],
}

#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Key {
    route: String,
    method: String,
    status: u16,
}

/// Request counts and latencies of one router.
#[derive(Default)]
pub struct Registry {
    series: RwLock<HashMap<Key, Arc<Series>>>,
}

impl Registry {
    /// An empty registry to share between the middleware and the handler.
    pub fn shared() -> Arc<Registry> {
        Arc::new(Registry::default())
    }

    fn observe(&self, key: Key, seconds: f64) {
        let existing = self.series.read().expect("lock").get(&key).cloned();
        let series = match existing {
            Some(s) => s,
            None => self
                .series
                .write()
                .expect("lock")
                .entry(key)
                .or_default()
                .clone(),
        };
        let bucket = BUCKETS
            .iter()
            .position(|le| seconds <= *le)
            .unwrap_or(BUCKETS.len());
        series.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        series
            .sum_nanos
            .fetch_add((seconds * 1e9) as u64, Ordering::Relaxed);
        series.count.fetch_add(1, Ordering::Relaxed);
    }

    /// The request series in Prometheus' text exposition format, sorted so the output
    /// is stable.
    fn render(&self, out: &mut String) {
        let mut all: Vec<(Key, Arc<Series>)> = self
            .series
            .read()
            .expect("lock")
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        let labels = |k: &Key| {
            format!(
                "method=\"{}\",route=\"{}\",status=\"{}\"",
                escape(&k.method),
                escape(&k.route),
                k.status
            )
        };
        out.push_str("# HELP vidare_http_requests_total HTTP requests answered, by route template, method and status.\n");
        out.push_str("# TYPE vidare_http_requests_total counter\n");
        for (k, s) in &all {
            let _ = writeln!(
                out,
                "vidare_http_requests_total{{{}}} {}",
                labels(k),
                s.count.load(Ordering::Relaxed)
            );
        }
        out.push_str("# HELP vidare_http_request_duration_seconds Time from receiving a request to sending its response headers.\n");
        out.push_str("# TYPE vidare_http_request_duration_seconds histogram\n");
        for (k, s) in &all {
            let l = labels(k);
            let mut cumulative = 0;
            for (i, le) in BUCKETS.iter().enumerate() {
                cumulative += s.buckets[i].load(Ordering::Relaxed);
                let _ = writeln!(
                    out,
                    "vidare_http_request_duration_seconds_bucket{{{l},le=\"{le}\"}} {cumulative}"
                );
            }
            cumulative += s.buckets[BUCKETS.len()].load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "vidare_http_request_duration_seconds_bucket{{{l},le=\"+Inf\"}} {cumulative}"
            );
            let _ = writeln!(
                out,
                "vidare_http_request_duration_seconds_sum{{{l}}} {}",
                s.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9
            );
            // The count is the histogram's own total, so `_count` and `+Inf` agree even
            // while other requests are being recorded.
            let _ = writeln!(
                out,
                "vidare_http_request_duration_seconds_count{{{l}}} {cumulative}"
            );
        }
    }
}

/// A label value with `\`, `"` and line breaks escaped as the format requires.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The middleware: times each request and records it under its route template. Also
/// hands the registry to the `/metrics` handler through the request's extensions.
pub async fn record(
    State(registry): State<Arc<Registry>>,
    mut req: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| UNMATCHED.to_string(), |m| m.as_str().to_string());
    let method = match *req.method() {
        // Only the methods the application routes; anything else is one label, so a
        // client inventing methods cannot grow the output.
        Method::GET
        | Method::HEAD
        | Method::POST
        | Method::PUT
        | Method::PATCH
        | Method::DELETE => req.method().as_str().to_string(),
        _ => "OTHER".to_string(),
    };
    req.extensions_mut().insert(registry.clone());
    let response = next.run(req).await;
    registry.observe(
        Key {
            route,
            method,
            status: response.status().as_u16(),
        },
        started.elapsed().as_secs_f64(),
    );
    response
}

async fn metrics(
    State(state): State<AppState>,
    registry: Option<Extension<Arc<Registry>>>,
) -> Response {
    let mut out = String::with_capacity(4096);
    if let Some(Extension(registry)) = registry {
        registry.render(&mut out);
    }
    out.push_str("# HELP vidare_process_uptime_seconds Seconds since the server started.\n");
    out.push_str("# TYPE vidare_process_uptime_seconds gauge\n");
    let _ = writeln!(
        out,
        "vidare_process_uptime_seconds {}",
        state.inner.started.elapsed().as_secs_f64()
    );
    let (size, idle, max) = match state.store().backend() {
        Backend::Sqlite(p) => (p.size(), p.num_idle(), p.options().get_max_connections()),
        Backend::Postgres(p) => (p.size(), p.num_idle(), p.options().get_max_connections()),
    };
    let backend = state.store().kind().as_str();
    out.push_str("# HELP vidare_db_pool_connections Open database connections, by state.\n");
    out.push_str("# TYPE vidare_db_pool_connections gauge\n");
    let _ = writeln!(
        out,
        "vidare_db_pool_connections{{backend=\"{backend}\",state=\"idle\"}} {idle}"
    );
    let _ = writeln!(
        out,
        "vidare_db_pool_connections{{backend=\"{backend}\",state=\"in_use\"}} {}",
        (size as usize).saturating_sub(idle)
    );
    out.push_str("# HELP vidare_db_pool_max_connections The database pool's limit.\n");
    out.push_str("# TYPE vidare_db_pool_max_connections gauge\n");
    let _ = writeln!(
        out,
        "vidare_db_pool_max_connections{{backend=\"{backend}\"}} {max}"
    );
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_cumulative_and_labels_escaped() {
        let r = Registry::default();
        let key = |route: &str| Key {
            route: route.into(),
            method: "GET".into(),
            status: 200,
        };
        r.observe(key("/a"), 0.0005);
        r.observe(key("/a"), 0.003);
        r.observe(key("/a"), 99.0);
        r.observe(key("/\"b\""), 0.02);
        let mut out = String::new();
        r.render(&mut out);
        assert!(out.contains(
            "vidare_http_requests_total{method=\"GET\",route=\"/a\",status=\"200\"} 3\n"
        ));
        assert!(out.contains("route=\"/a\",status=\"200\",le=\"0.001\"} 1\n"));
        assert!(out.contains("route=\"/a\",status=\"200\",le=\"0.005\"} 2\n"));
        assert!(out.contains("route=\"/a\",status=\"200\",le=\"10\"} 2\n"));
        assert!(out.contains("route=\"/a\",status=\"200\",le=\"+Inf\"} 3\n"));
        assert!(out.contains("route=\"/\\\"b\\\"\""));
    }
}
