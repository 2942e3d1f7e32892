//! Operations: `/metrics` counts requests by route template and status, on both
//! backends; `serve` stops when its shutdown future completes.

mod support;

use axum::http::StatusCode;
use support::{Browser, TestApp};
use vidare_domain::model::tenant::RoleKind;
use vidare_store::BackendKind;

/// The value of the sample line that starts with `series` (name and labels).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .map(|v| v.parse().expect("a number"))
}

async fn metrics_count_requests_by_route_template(kind: BackendKind) {
    let app = TestApp::new(kind).await;
    let mut anon = Browser::default();
    for _ in 0..3 {
        assert_eq!(app.get(&mut anon, "/healthz").await.status, StatusCode::OK);
    }
    for path in ["/finns-inte", "/inte-heller/42"] {
        assert_eq!(app.get(&mut anon, path).await.status, StatusCode::NOT_FOUND);
    }
    // A case file that does not exist, and one the public may not see.
    let (mut cw, _) = app.sign_in(RoleKind::CaseWorker).await;
    assert_eq!(
        app.get(&mut cw, "/deltagare/987654").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&mut anon, "/deltagare/987654").await.status,
        StatusCode::SEE_OTHER
    );

    let r = app.get(&mut anon, "/metrics").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let m = &r.body;
    let req = |method: &str, route: &str, status: u16| {
        sample(
            m,
            &format!(
                "vidare_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}}"
            ),
        )
    };
    assert_eq!(req("GET", "/healthz", 200), Some(3.0), "{m}");
    assert_eq!(req("GET", "unmatched", 404), Some(2.0), "{m}");
    assert_eq!(req("GET", "/deltagare/{id}", 404), Some(1.0), "{m}");
    assert_eq!(req("GET", "/deltagare/{id}", 303), Some(1.0), "{m}");
    // sign_in: the form, the submission, the account page.
    assert_eq!(req("GET", "/logga-in", 200), Some(1.0), "{m}");
    assert_eq!(req("POST", "/logga-in", 303), Some(1.0), "{m}");
    // The scrape itself is recorded once it has answered, so it is not in its own output.
    assert_eq!(req("GET", "/metrics", 200), None, "{m}");

    // The histogram agrees with the counter.
    let h = "method=\"GET\",route=\"/healthz\",status=\"200\"";
    assert_eq!(
        sample(
            m,
            &format!("vidare_http_request_duration_seconds_bucket{{{h},le=\"+Inf\"}}")
        ),
        Some(3.0)
    );
    assert_eq!(
        sample(
            m,
            &format!("vidare_http_request_duration_seconds_count{{{h}}}")
        ),
        Some(3.0)
    );
    assert!(
        sample(
            m,
            &format!("vidare_http_request_duration_seconds_sum{{{h}}}")
        )
        .unwrap()
            > 0.0
    );
    // No raw paths: ids and guessed URLs never become labels.
    for raw in ["987654", "finns-inte", "inte-heller", "@test.example"] {
        assert!(!m.contains(raw), "{raw} leaked into /metrics:\n{m}");
    }
    assert!(sample(m, "vidare_process_uptime_seconds").is_some());
    let backend = kind.as_str();
    assert!(
        sample(
            m,
            &format!("vidare_db_pool_max_connections{{backend=\"{backend}\"}}")
        )
        .unwrap()
            >= 1.0,
        "{m}"
    );
    assert!(sample(
        m,
        &format!("vidare_db_pool_connections{{backend=\"{backend}\",state=\"idle\"}}")
    )
    .is_some());

    // A second scrape sees the first.
    let again = app.get(&mut anon, "/metrics").await.body;
    assert_eq!(
        sample(
            &again,
            "vidare_http_requests_total{method=\"GET\",route=\"/metrics\",status=\"200\"}"
        ),
        Some(1.0)
    );
}

macro_rules! both {
    ($($name:ident),*) => {
        mod sqlite { $( #[tokio::test] async fn $name() { super::$name(vidare_store::BackendKind::Sqlite).await } )* }
        mod postgres { $( #[tokio::test] async fn $name() { super::$name(vidare_store::BackendKind::Postgres).await } )* }
    };
}

both!(metrics_count_requests_by_route_template);

/// `serve` answers on a real socket and returns once its shutdown future completes.
#[tokio::test]
async fn serve_stops_gracefully_on_shutdown() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let db = vidare_store::testing::TestDb::sqlite().await;
    let version = db.store.require_current_schema().await.unwrap();
    let app = vidare_web::router(vidare_web::AppState::new(db.store.clone(), version));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(vidare_web::serve(listener, app, async move {
        let _ = stopped.await;
    }));

    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    conn.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"status\":\"ok\""), "{answer}");

    stop.send(()).unwrap();
    // Bounded, so a server that never stops fails the test instead of hanging it.
    let finished = tokio::time::timeout(std::time::Duration::from_secs(30), server)
        .await
        .expect("serve returns after shutdown");
    finished.unwrap().unwrap();
}
