//! The browser harness: ChromeDriver and headless Chromium (Debian's packages), the real
//! Vidare server on loopback over a fresh SQLite database with the synthetic demo
//! municipality and one account per role (on the system clock, or on one the test sets
//! and moves), axe-core injected into every page, and the small steps the flows share.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener as StdListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use vidare_domain::ids::TenantId;
use vidare_domain::model::tenant::{Role, RoleKind};
use vidare_domain::model::{Email, Text};
use vidare_store::repo::tenants::NewUser;
use vidare_store::repo::Page;
use vidare_store::testing::TestDb;
use vidare_web::auth::hash_password;
use vidare_web::{AppState, Clock, Settings};

/// Where Debian's packages put the browser and its driver.
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// ChromeDriver from Debian's `chromium-driver`.
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Every account's password.
pub const PASSWORD: &str = "webbläsartest-lösenord-42";

/// axe-core 4, from the npm package `axe-core` (MPL-2.0, `vendor/axe-core.LICENSE`).
const AXE: &str = include_str!("../../vendor/axe.min.js");

/// Runs axe with the WCAG 2.1 A and AA rules and returns a compact summary, so the
/// WebDriver answer stays small: the violations with their nodes, and counts.
const RUN_AXE: &str = r#"
const done = arguments[arguments.length - 1];
axe.run(document, {
  runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
  resultTypes: ['violations']
}).then(r => done({
  violations: r.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({ target: n.target, html: n.html, summary: n.failureSummary }))
  })),
  passes: r.passes.length,
  incomplete: r.incomplete.length
})).catch(e => done({ error: String(e) }));
"#;

/// The e-mail address of the account with this role.
pub fn email(role: RoleKind) -> String {
    format!("{}@browser.test.example", role.as_str())
}

/// A running Vidare server on 127.0.0.1 over a fresh SQLite database.
pub struct Server {
    pub db: TestDb,
    pub base: String,
    pub tenant: TenantId,
    /// The server's clock ("today" on every page); [`Server::start_at`] makes it movable.
    pub clock: Clock,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Server {
    /// Seeds the demo municipality (suppliers, participants, agreements) with one account
    /// per role, and serves the real router on a random loopback port.
    pub async fn start() -> Server {
        Server::start_with(Clock::system()).await
    }

    /// As [`Server::start`], with the server's clock standing at `now` until the test
    /// moves it with `server.clock.set(..)`. (Sessions expire by the system clock.)
    pub async fn start_at(now: DateTime<Utc>) -> Server {
        Server::start_with(Clock::fixed(now)).await
    }

    async fn start_with(clock: Clock) -> Server {
        let db = TestDb::sqlite().await;
        let store = db.store.clone();
        let report = vidare_synth::load::generate_into(
            &store,
            &vidare_synth::Model::default(),
            vidare_synth::Scale::Demo,
            20_240_422,
        )
        .await
        .expect("the demo municipality loads");
        let tenant = report.tenants[0].1;
        let s = store.tenant(tenant);
        let supplier = s
            .list_organisations(Page::first(1000))
            .await
            .unwrap()
            .into_iter()
            .next()
            .expect("the demo has suppliers")
            .id;
        let hash = hash_password(PASSWORD);
        for kind in RoleKind::ALL {
            let role =
                Role::from_parts(*kind, (*kind == RoleKind::SupplierUser).then_some(supplier))
                    .unwrap();
            let id = s
                .insert_user(&NewUser {
                    email: Email::parse(&email(*kind)).unwrap(),
                    display_name: Text::parse(kind.name_sv()).unwrap(),
                    role,
                })
                .await
                .unwrap();
            s.set_password_hash(id, &hash, None).await.unwrap();
        }
        let version = store.require_current_schema().await.unwrap();
        let app = vidare_web::router(
            AppState::with_settings(store, version, Settings::default()).with_clock(clock.clone()),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(vidare_web::serve(listener, app, async move {
            let _ = rx.await;
        }));
        Server {
            db,
            base: format!("http://{addr}"),
            tenant,
            clock,
            shutdown: Some(tx),
            task: Some(task),
        }
    }

    /// A full URL for a path on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Stops serving and waits for the server to finish.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
    }
}

/// ChromeDriver as a child process on a free loopback port, killed when dropped.
pub struct Driver {
    child: Child,
    pub url: String,
    profile: tempfile::TempDir,
}

impl Driver {
    /// Starts ChromeDriver; fails (never skips) when Debian's Chromium is not installed.
    pub fn start() -> Driver {
        for (path, package) in [(CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")] {
            assert!(
                Path::new(path).exists(),
                "{path} is missing: the browser tests need Debian's Chromium and ChromeDriver. \
                 Install them with `apt-get install -y --no-install-recommends chromium chromium-driver` \
                 (package {package}); .ci/run does this on a fresh machine."
            );
        }
        let port = {
            let l = StdListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("ChromeDriver starts");
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let started = Instant::now();
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "ChromeDriver did not listen on {addr} within 20 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Driver {
            child,
            url: format!("http://{addr}"),
            profile: tempfile::tempdir().unwrap(),
        }
    }

    /// A new headless Chromium session with a fresh profile, in Swedish.
    pub async fn browser(&self) -> Client {
        // A fresh, empty profile per session, removed with the driver's temporary folder.
        static SESSIONS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = SESSIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let profile = self.profile.path().join(format!("profile-{n}"));
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--lang=sv-SE",
                    "--window-size=1280,900",
                    format!("--user-data-dir={}", profile.display()),
                ],
                "prefs": { "intl.accept_languages": "sv-SE,sv" }
            }
        });
        let Value::Object(caps) = caps else {
            unreachable!()
        };
        ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&self.url)
            .await
            .expect("a Chromium session through ChromeDriver")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One axe violation.
#[derive(Debug)]
pub struct Violation {
    pub id: String,
    pub impact: String,
    pub help: String,
    pub nodes: Vec<String>,
}

/// What axe found on one page.
#[derive(Debug, Default)]
pub struct AxeReport {
    pub violations: Vec<Violation>,
    pub passes: u64,
    pub incomplete: u64,
}

impl AxeReport {
    /// Violations that fail the test: impact serious or critical.
    pub fn blocking(&self) -> impl Iterator<Item = &Violation> {
        self.violations
            .iter()
            .filter(|v| v.impact == "serious" || v.impact == "critical")
    }

    /// Counts by impact, for the log.
    pub fn counts(&self) -> BTreeMap<&str, usize> {
        let mut m = BTreeMap::new();
        for v in &self.violations {
            *m.entry(v.impact.as_str()).or_default() += 1;
        }
        m
    }
}

/// Injects axe-core into the current page and runs it.
pub async fn axe(client: &Client) -> AxeReport {
    client.execute(AXE, vec![]).await.expect("axe-core loads");
    let r = client
        .execute_async(RUN_AXE, vec![])
        .await
        .expect("axe-core runs");
    if let Some(e) = r.get("error") {
        panic!("axe-core failed: {e}");
    }
    let violations = r["violations"]
        .as_array()
        .expect("violations")
        .iter()
        .map(|v| Violation {
            id: v["id"].as_str().unwrap_or_default().to_string(),
            impact: v["impact"].as_str().unwrap_or("unknown").to_string(),
            help: v["help"].as_str().unwrap_or_default().to_string(),
            nodes: v["nodes"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|n| {
                    format!(
                        "{} {} — {}",
                        n["target"],
                        n["html"].as_str().unwrap_or_default(),
                        n["summary"].as_str().unwrap_or_default().replace('\n', " ")
                    )
                })
                .collect(),
        })
        .collect();
    AxeReport {
        violations,
        passes: r["passes"].as_u64().unwrap_or(0),
        incomplete: r["incomplete"].as_u64().unwrap_or(0),
    }
}

/// The results of every page checked, printed as a table and then judged.
#[derive(Default)]
pub struct Audit {
    pages: Vec<(String, String, AxeReport)>,
}

impl Audit {
    /// Runs axe on the page the browser shows and records it under `who`.
    pub async fn check(&mut self, who: &str, client: &Client) {
        let url = client.current_url().await.unwrap();
        let path = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        };
        let report = axe(client).await;
        self.pages.push((who.to_string(), path, report));
    }

    /// Prints a line per page (so the CI log shows the counts), then fails on any
    /// serious or critical violation, naming the rule, its help and the nodes.
    pub fn finish(self) {
        use std::io::Write;
        // Written to the process's stdout directly: the test harness captures `println!`
        // of passing tests, and these counts belong in the CI log.
        let mut out = std::io::stdout().lock();
        let mut line = |s: String| {
            let _ = writeln!(out, "{s}");
        };
        line("axe-core (WCAG 2.1 A/AA) per page:".into());
        line(format!(
            "{:<24} {:<30} {:>6} {:>8} {:>8} {:>8} {:>6} {:>10}",
            "who", "page", "passes", "critical", "serious", "moderate", "minor", "incomplete"
        ));
        let mut failures = Vec::new();
        for (who, path, r) in &self.pages {
            let c = r.counts();
            let n = |k: &str| c.get(k).copied().unwrap_or(0);
            line(format!(
                "{:<24} {:<30} {:>6} {:>8} {:>8} {:>8} {:>6} {:>10}",
                who,
                path,
                r.passes,
                n("critical"),
                n("serious"),
                n("moderate"),
                n("minor"),
                r.incomplete
            ));
            for v in &r.violations {
                line(format!("  {} [{}]: {}", v.id, v.impact, v.help));
            }
            for v in r.blocking() {
                failures.push(format!(
                    "{who} {path}: {} [{}] {}\n    {}",
                    v.id,
                    v.impact,
                    v.help,
                    v.nodes.join("\n    ")
                ));
            }
        }
        line(format!("axe-core: {} pages checked", self.pages.len()));
        let _ = out.flush();
        assert!(
            failures.is_empty(),
            "serious or critical accessibility violations:\n{}",
            failures.join("\n")
        );
    }
}

/// Signs in through the real form: types the e-mail address and password and submits.
pub async fn sign_in(client: &Client, server: &Server, role: RoleKind) {
    client.goto(&server.url("/logga-in")).await.unwrap();
    client
        .find(Locator::Css("#email"))
        .await
        .unwrap()
        .send_keys(&email(role))
        .await
        .unwrap();
    client
        .find(Locator::Css("#password"))
        .await
        .unwrap()
        .send_keys(PASSWORD)
        .await
        .unwrap();
    client
        .find(Locator::Css(
            "form[action='/logga-in'] button[type='submit']",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_until_path(client, |p| p != "/logga-in").await;
    assert_eq!(
        client.current_url().await.unwrap().path(),
        "/oversikt",
        "sign-in as {role} lands on the dashboard"
    );
}

/// Signs out with the header's button; the session ends and the home page shows.
pub async fn sign_out(client: &Client, server: &Server) {
    client
        .find(Locator::Css("form[action='/logga-ut'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_until_path(client, |p| p == "/").await;
    client.goto(&server.url("/oversikt")).await.unwrap();
    assert_eq!(
        client.current_url().await.unwrap().path(),
        "/logga-in",
        "after signing out, pages behind sign-in send the browser to the sign-in form"
    );
}

/// Waits (at most 15 s) until the browser's path satisfies `ok`.
pub async fn wait_until_path(client: &Client, ok: impl Fn(&str) -> bool) {
    let started = Instant::now();
    loop {
        let url = client.current_url().await.unwrap();
        let ready: Value = client
            .execute("return document.readyState", vec![])
            .await
            .unwrap_or(Value::Null);
        if ok(url.path()) && ready == "complete" {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "the browser stayed at {url}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Clicks the element matching `css` (without waiting for anything).
pub async fn click(client: &Client, css: &str) {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {css}: {e}"));
}

/// Empties the field matching `css` and types `text` into it.
pub async fn type_into(client: &Client, css: &str, text: &str) {
    let e = client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    e.clear().await.unwrap();
    e.send_keys(text).await.unwrap();
}

/// Sets the value of the field (or select) with this id directly: date inputs take keys
/// in the browser's locale order, and a select is chosen by its option's value.
pub async fn set_value(client: &Client, id: &str, value: &str) {
    client
        .execute(
            "const e = document.getElementById(arguments[0]); \
             if (!e) { throw new Error('no element #' + arguments[0]); } \
             e.value = arguments[1];",
            vec![json!(id), json!(value)],
        )
        .await
        .unwrap_or_else(|e| panic!("#{id}: {e}"));
}

/// The value of the field with this id, as the browser holds it.
pub async fn value_of(client: &Client, id: &str) -> String {
    client
        .find(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("#{id}: {e}"))
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default()
}

/// The text of each element matching `css`, as the page shows it (`textContent`, with
/// runs of white space made one space and trimmed; a no-break space is kept).
pub async fn texts(client: &Client, css: &str) -> Vec<String> {
    let v = client
        .execute(
            "return Array.from(document.querySelectorAll(arguments[0])) \
               .map(e => e.textContent.replace(/[ \\t\\n\\r]+/g, ' ').trim());",
            vec![json!(css)],
        )
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    v.as_array()
        .expect("an array of texts")
        .iter()
        .map(|t| t.as_str().unwrap_or_default().to_string())
        .collect()
}

/// The texts of the cells (`th` and `td`, trimmed) of the first table row under
/// `table_css` whose first header cell reads `row`; fails when there is none.
pub async fn row_cells(client: &Client, table_css: &str, row: &str) -> Vec<String> {
    let v = client
        .execute(
            "for (const tr of document.querySelectorAll(arguments[0] + ' tr')) { \
               const th = tr.querySelector('th'); \
               if (th && th.textContent.trim() === arguments[1]) { \
                 return Array.from(tr.children).map(c => c.textContent.trim()); } } \
             return null;",
            vec![json!(table_css), json!(row)],
        )
        .await
        .unwrap();
    v.as_array()
        .unwrap_or_else(|| panic!("no row {row} in {table_css}"))
        .iter()
        .map(|c| c.as_str().unwrap_or_default().to_string())
        .collect()
}

/// The path the browser shows.
pub async fn path(client: &Client) -> String {
    client.current_url().await.unwrap().path().to_string()
}

/// The page's HTML as the browser holds it.
pub async fn source(client: &Client) -> String {
    client.source().await.unwrap()
}

/// Clicks what submits a form or follows a link and waits until the browser has left
/// the current page (its document is gone) and the next one has loaded.
pub async fn follow(client: &Client, css: &str) {
    let old = client.find(Locator::Css("html")).await.unwrap();
    click(client, css).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while old.tag_name().await.is_ok() {
        assert!(
            Instant::now() < deadline,
            "{css}: the page did not change within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let url = client.current_url().await.unwrap();
    wait_until_path(client, |p| p == url.path()).await;
}

/// [`follow`], then waits for the new page's confirmation (the page before may carry
/// a confirmation of its own, which must not be mistaken for this one).
pub async fn submit(client: &Client, css: &str) {
    follow(client, css).await;
    client
        .wait()
        .for_element(Locator::Css(".notice.ok"))
        .await
        .unwrap_or_else(|e| panic!("{css}: no confirmation on the next page: {e}"));
}

/// Downloads `path` with the browser's own session, as a link on the page would:
/// the status and the body as text.
pub async fn fetch(client: &Client, path: &str) -> (u64, String) {
    let v = client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(arguments[0], {credentials: 'same-origin'})
               .then(r => r.text().then(t => done([r.status, t])))
               .catch(e => done([0, String(e)]));",
            vec![json!(path)],
        )
        .await
        .unwrap();
    (v[0].as_u64().unwrap(), v[1].as_str().unwrap().to_string())
}

/// Validates a UBL document against the official EN 16931 and Peppol BIS 3.0
/// schematrons (`scripts/validate-en16931`); a missing validator fails the test.
pub fn validate_ubl(name: &str, xml: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, xml).unwrap();
    let v = vidare_exchange::peppol::validate::validate_or_explain(std::slice::from_ref(&path))
        .expect("validate_or_explain answers or fails the test");
    assert!(v.valid, "{name} fails EN 16931: {:#?}", v.fatal());
}

/// The local paths the links matching `css` point to, in page order, without repeats.
pub async fn local_links(client: &Client, server: &Server, css: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for a in client.find_all(Locator::Css(css)).await.unwrap() {
        let Some(href) = a.prop("href").await.unwrap() else {
            continue;
        };
        if let Some(path) = href.strip_prefix(&server.base) {
            let path = path.split('#').next().unwrap_or_default().to_string();
            if !path.is_empty() && !out.contains(&path) {
                out.push(path);
            }
        }
    }
    out
}

/// Identity numbers in `text`, in every form they are written: `YYYYMMDD-NNNN` or
/// `YYMMDD-NNNN`/`YYMMDD+NNNN` whose date part has a real month (01–12) and a day of
/// 01–31 or, for samordningsnummer, 61–91; and the same twelve or ten digits without a
/// separator (`YYYYMMDDNNNN`, `YYMMDDNNNN`) when they stand alone (no letter or digit
/// either side) and their last digit is the Luhn check digit, so that other long
/// numbers are not mistaken for them. Organisation numbers share the ten-digit shape
/// but their third digit is at least 2, so their "month" is never 01–12 and they are
/// not reported.
pub fn identity_numbers(text: &str) -> Vec<String> {
    let b = text.as_bytes();
    let digits = |from: usize, n: usize| {
        from + n <= b.len() && b[from..from + n].iter().all(u8::is_ascii_digit)
    };
    let alnum_at = |at: usize| b.get(at).is_some_and(u8::is_ascii_alphanumeric);
    let num = |from: usize| u32::from(b[from] - b'0') * 10 + u32::from(b[from + 1] - b'0');
    let date_like = |mm: u32, dd: u32| {
        (1..=12).contains(&mm) && ((1..=31).contains(&dd) || (61..=91).contains(&dd))
    };
    let luhn = |from: usize| {
        let ten: Vec<u8> = b[from..from + 10].iter().map(|d| d - b'0').collect();
        vidare_domain::luhn::is_valid(&ten)
    };
    let mut found = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let boundary = i == 0 || !b[i - 1].is_ascii_digit();
        if boundary {
            // Twelve digits: YYYYMMDD-NNNN.
            if digits(i, 8)
                && b.get(i + 8) == Some(&b'-')
                && digits(i + 9, 4)
                && !digits(i + 13, 1)
                && date_like(num(i + 4), num(i + 6))
            {
                found.push(text[i..i + 13].to_string());
                i += 13;
                continue;
            }
            // Ten digits: YYMMDD-NNNN or YYMMDD+NNNN.
            if digits(i, 6)
                && matches!(b.get(i + 6), Some(b'-') | Some(b'+'))
                && digits(i + 7, 4)
                && !digits(i + 11, 1)
                && date_like(num(i + 2), num(i + 4))
            {
                found.push(text[i..i + 11].to_string());
                i += 11;
                continue;
            }
        }
        let alone = i == 0 || !b[i - 1].is_ascii_alphanumeric();
        if alone {
            // Twelve digits without a separator: YYYYMMDDNNNN.
            if digits(i, 12)
                && !alnum_at(i + 12)
                && date_like(num(i + 4), num(i + 6))
                && luhn(i + 2)
            {
                found.push(text[i..i + 12].to_string());
                i += 12;
                continue;
            }
            // Ten digits without a separator: YYMMDDNNNN.
            if digits(i, 10) && !alnum_at(i + 10) && date_like(num(i + 2), num(i + 4)) && luhn(i) {
                found.push(text[i..i + 10].to_string());
                i += 10;
                continue;
            }
        }
        i += 1;
    }
    found
}

#[test]
fn identity_numbers_are_found_and_organisation_numbers_are_not() {
    assert_eq!(
        identity_numbers("<td>19811218-9876</td>"),
        ["19811218-9876"]
    );
    assert_eq!(
        identity_numbers("811218-9876 och 811278+9876"),
        ["811218-9876", "811278+9876"]
    );
    assert!(identity_numbers("769600-1234 556677-8899").is_empty());
    assert!(identity_numbers("119811218-9876 20240101").is_empty());
    // Without a separator: only with a valid check digit and standing alone.
    assert_eq!(
        identity_numbers("<td>198112189876</td> \"8112189876\""),
        ["198112189876", "8112189876"]
    );
    assert!(identity_numbers("198112189875 8112189875").is_empty());
    assert!(identity_numbers("a8112189876 81121898761 x198112189876b").is_empty());
    assert!(identity_numbers("5566778899 7696001234").is_empty());
}
