//! Who may use which route: every route of [`vidare_web::routes::all`] × every role and
//! the public, on both backends, checked against a table written out here, apart from
//! the code. A route without a row in the table fails the test, so a new route cannot
//! be added without stating who may use it.
//!
//! Also: tenants are isolated over HTTP, a supplier cannot reach another organisation,
//! and no administration form changes anything without the session's CSRF token.

mod adminkit;
#[path = "permissions/effects.rs"]
mod effects;
#[path = "permissions/invoicing.rs"]
mod invoicing;
#[path = "permissions/open_data.rs"]
mod open_data;
#[path = "permissions/placements.rs"]
mod placements;
#[path = "permissions/procurement.rs"]
mod procurement;
mod support;

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use vidare_domain::ids::{ParticipantId, RoundId, TenantId, UserId};
use vidare_domain::model::procurement::{
    ContractKind, ContractPeriod, CpvCode, LegalBasis, RoundStatus,
};
use vidare_domain::model::tenant::{Role, RoleKind};
use vidare_domain::model::Text;
use vidare_domain::money::Money;
use vidare_store::repo::auth::secret_hash;
use vidare_store::repo::procurement::NewRound;
use vidare_store::{BackendKind, Store};

use adminkit::{
    multipart, participant, post_form_without_token, post_multipart, second_tenant, session,
    user_id, PNG,
};
use support::{email, Browser, Reply, TestApp};

/// Who is asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Who {
    Public,
    Admin,
    Procurement,
    CaseWorker,
    Supplier,
    Researcher,
    Management,
}
use Who::*;

impl Who {
    const ALL: [Who; 7] = [
        Public,
        Admin,
        Procurement,
        CaseWorker,
        Supplier,
        Researcher,
        Management,
    ];

    fn role(self) -> Option<RoleKind> {
        match self {
            Public => None,
            Admin => Some(RoleKind::TenantAdmin),
            Procurement => Some(RoleKind::ProcurementOfficer),
            CaseWorker => Some(RoleKind::CaseWorker),
            Supplier => Some(RoleKind::SupplierUser),
            Researcher => Some(RoleKind::Researcher),
            Management => Some(RoleKind::Management),
        }
    }
}

const EVERYONE: &[Who] = &[
    Public,
    Admin,
    Procurement,
    CaseWorker,
    Supplier,
    Researcher,
    Management,
];
const SIGNED_IN: &[Who] = &[
    Admin,
    Procurement,
    CaseWorker,
    Supplier,
    Researcher,
    Management,
];
const ADMIN_ONLY: &[Who] = &[Admin];
const PERSONAL_DATA: &[Who] = &[Admin, CaseWorker];
const REGISTER: &[Who] = &[Admin, Procurement, CaseWorker, Management];
const PROCUREMENT: &[Who] = &[Admin, Procurement];

/// The rule for every route: method, path template, who may use it. Written by hand
/// from the product's permission model, not derived from the code under test.
const CORE_TABLE: &[(&str, &str, &[Who])] = &[
    // Public pages and machinery.
    ("GET", "/", EVERYONE),
    ("GET", "/healthz", EVERYONE),
    ("GET", "/metrics", EVERYONE),
    ("GET", "/static/{file}", EVERYONE),
    ("GET", "/sprak", EVERYONE),
    ("GET", "/logo/{tenant}", EVERYONE),
    ("GET", "/logga-in", EVERYONE),
    ("POST", "/logga-in", EVERYONE),
    ("POST", "/logga-ut", EVERYONE),
    ("GET", "/api/openapi.json", EVERYONE),
    ("GET", "/api/docs", EVERYONE),
    // Anyone signed in.
    ("GET", "/oversikt", SIGNED_IN),
    ("GET", "/konto", SIGNED_IN),
    ("POST", "/konto/losenord", SIGNED_IN),
    ("POST", "/konto/sprak", SIGNED_IN),
    ("GET", "/api/v1/me", SIGNED_IN),
    ("GET", "/api/v1/placement-types", SIGNED_IN),
    // Participants' personal data: case workers and administrators only.
    ("GET", "/deltagare", PERSONAL_DATA),
    ("GET", "/deltagare/{id}", PERSONAL_DATA),
    ("GET", "/api/v1/participants", PERSONAL_DATA),
    ("POST", "/api/v1/participants", PERSONAL_DATA),
    ("GET", "/api/v1/participants/{id}", PERSONAL_DATA),
    // The supplier register; a supplier may read its own organisation.
    ("GET", "/leverantorer", REGISTER),
    ("GET", "/api/v1/organisations", REGISTER),
    ("POST", "/api/v1/organisations", PROCUREMENT),
    (
        "GET",
        "/api/v1/organisations/{id}",
        &[Admin, Procurement, CaseWorker, Management, Supplier],
    ),
    // Procurement and contracts; suppliers see their own agreements.
    ("GET", "/api/v1/rounds", PROCUREMENT),
    ("GET", "/api/v1/rounds/{id}", PROCUREMENT),
    ("GET", "/api/v1/agreements", &[Admin, Procurement, Supplier]),
    // A supplier's portal: see tests/permissions/placements.rs.
    // Administration.
    ("GET", "/admin", ADMIN_ONLY),
    ("GET", "/admin/anvandare", ADMIN_ONLY),
    ("POST", "/admin/anvandare", ADMIN_ONLY),
    ("GET", "/admin/anvandare/{id}", ADMIN_ONLY),
    ("POST", "/admin/anvandare/{id}", ADMIN_ONLY),
    ("POST", "/admin/anvandare/{id}/aktiv", ADMIN_ONLY),
    ("POST", "/admin/anvandare/{id}/losenord", ADMIN_ONLY),
    ("GET", "/admin/granskningslogg", ADMIN_ONLY),
    ("GET", "/admin/granskningslogg.csv", ADMIN_ONLY),
    ("GET", "/admin/atkomstlogg", ADMIN_ONLY),
    ("GET", "/admin/atkomstlogg.csv", ADMIN_ONLY),
    ("GET", "/admin/api-nycklar", ADMIN_ONLY),
    ("POST", "/admin/api-nycklar", ADMIN_ONLY),
    ("POST", "/admin/api-nycklar/{id}/aterkalla", ADMIN_ONLY),
    ("GET", "/admin/logotyp", ADMIN_ONLY),
    ("POST", "/admin/logotyp", ADMIN_ONLY),
    ("POST", "/admin/logotyp/ta-bort", ADMIN_ONLY),
    ("GET", "/admin/gallring", ADMIN_ONLY),
    ("POST", "/admin/gallring", ADMIN_ONLY),
    ("GET", "/api/v1/audit", ADMIN_ONLY),
    ("GET", "/api/v1/retention", ADMIN_ONLY),
    ("POST", "/api/v1/retention", ADMIN_ONLY),
];

/// Every row: the core table here and each area's table in `tests/permissions/`.
fn table() -> Vec<(&'static str, &'static str, &'static [Who])> {
    [
        CORE_TABLE,
        procurement::TABLE,
        placements::TABLE,
        effects::TABLE,
        invoicing::TABLE,
        open_data::TABLE,
    ]
    .concat()
}

/// Records the routes need in their paths, all in the test tenant.
struct Samples {
    tenant: TenantId,
    participant: ParticipantId,
    /// An account of its own, so the administrator's forms never touch the role accounts.
    user: UserId,
    /// An API token of its own, which the revoke route may revoke.
    token: i64,
    organisation: i64,
    round: RoundId,
    asset: String,
    /// The areas' own samples, by the path segment before the parameter.
    areas: Vec<(&'static str, String)>,
}

impl Samples {
    /// `path` with each `{parameter}` replaced by a sample id, chosen by the segment
    /// before it (`/deltagare/{id}` is a participant). A parameter without a sample fails
    /// the test with a message saying where to add one.
    fn fill(&self, path: &str) -> String {
        let segments: Vec<&str> = path.split('/').collect();
        let mut out = Vec::with_capacity(segments.len());
        for (i, seg) in segments.iter().enumerate() {
            if !(seg.starts_with('{') && seg.ends_with('}')) {
                out.push(seg.to_string());
                continue;
            }
            let prev = if i > 0 { segments[i - 1] } else { "" };
            let value = match (prev, *seg) {
                (_, "{file}") => self.asset.clone(),
                (_, "{tenant}") => self.tenant.get().to_string(),
                ("deltagare" | "participants", _) => self.participant.get().to_string(),
                ("anvandare" | "users", _) => self.user.get().to_string(),
                ("api-nycklar" | "tokens", _) => self.token.to_string(),
                ("leverantorer" | "organisations", _) => self.organisation.to_string(),
                ("rounds" | "upphandlingar", _) => self.round.get().to_string(),
                (prev, _) if self.areas.iter().any(|(k, _)| *k == prev) => self
                    .areas
                    .iter()
                    .find(|(k, _)| *k == prev)
                    .map(|(_, v)| v.clone())
                    .unwrap(),
                _ => panic!(
                    "no sample id for {seg} in {path}: add one to Samples::fill in tests/permissions.rs"
                ),
            };
            out.push(value);
        }
        out.join("/")
    }
}

async fn samples(app: &TestApp) -> Samples {
    let store = &app.db.store;
    let s = store.tenant(app.tenant);
    let participant = participant(store, app.tenant, 11).await;
    let user = adminkit::add_user(store, app.tenant, "prov@test.example", Role::Researcher).await;
    let token = s
        .create_api_token(
            &Text::parse("prov").unwrap(),
            &secret_hash("vdr_sample"),
            Role::Researcher,
            None,
        )
        .await
        .unwrap();
    let start = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let round = s
        .insert_round(&NewRound {
            title: Text::parse("Sysselsättningsplatser 2026").unwrap(),
            reference: None,
            legal_basis: LegalBasis::ReservedIntegration,
            contract_kind: ContractKind::SocialServices,
            cpv_codes: vec![CpvCode::parse("85312320-8").unwrap()],
            estimated_value: Money::from_kronor(1_000_000),
            contract_period: ContractPeriod::new(start, 24, 12).unwrap(),
            tender_deadline: None,
            status: RoundStatus::Planning,
            synthetic: true,
        })
        .await
        .unwrap();
    let css = vidare_web::assets::ASSETS.css.clone();
    Samples {
        tenant: app.tenant,
        participant,
        user,
        token,
        organisation: app.org.get(),
        round,
        asset: css.trim_start_matches("/static/").to_string(),
        areas: [
            procurement::samples(app).await,
            placements::samples(app).await,
            effects::samples(app).await,
            invoicing::samples(app).await,
            open_data::samples(app).await,
        ]
        .concat(),
    }
}

/// One API token per role, for the `/api/` routes.
async fn tokens(app: &TestApp) -> Vec<(Who, String)> {
    let s = app.db.store.tenant(app.tenant);
    let mut out = Vec::new();
    for who in Who::ALL {
        let Some(kind) = who.role() else { continue };
        let role =
            Role::from_parts(kind, (kind == RoleKind::SupplierUser).then_some(app.org)).unwrap();
        let secret = format!("vdr_test_{}", kind.as_str());
        s.create_api_token(
            &Text::parse(kind.as_str()).unwrap(),
            &secret_hash(&secret),
            role,
            None,
        )
        .await
        .unwrap();
        out.push((who, secret));
    }
    out
}

/// A request to `url` as `who`, with a valid CSRF token on a POST so that what is
/// tested is the permission, not the forgery protection.
async fn ask(app: &TestApp, method: &Method, url: &str, who: Who, bearer: Option<&str>) -> Reply {
    let api = url.starts_with("/api/");
    let (mut browser, csrf) = match (who.role(), bearer) {
        (_, Some(_)) => (Browser::default(), String::new()),
        (Some(kind), None) => session(&app.db.store, app.tenant, &email(kind)).await,
        // The public gets the sign-in form's double-submit cookie.
        (None, None) => {
            let token = "0".repeat(64);
            (
                Browser {
                    cookies: vec![("vidare_csrf".into(), token.clone())],
                },
                token,
            )
        }
    };
    let mut req = Request::builder().method(method.clone()).uri(url);
    if let Some(secret) = bearer {
        req = req.header(header::AUTHORIZATION, format!("Bearer {secret}"));
    }
    let body = if method == Method::POST {
        if bearer.is_none() {
            req = req.header("x-csrf-token", &csrf);
        }
        if api {
            req = req.header(header::CONTENT_TYPE, "application/json");
            Body::from("{}")
        } else {
            req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
            Body::from(format!("_csrf={csrf}"))
        }
    } else {
        Body::empty()
    };
    app.send(&mut browser, req.body(body).unwrap()).await
}

fn to_sign_in(r: &Reply) -> bool {
    r.status.is_redirection()
        && r.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|l| l.starts_with("/logga-in"))
}

/// What went wrong with one request, or nothing.
fn judge(
    method: &Method,
    path: &str,
    url: &str,
    who: Who,
    via: &str,
    allowed: bool,
    r: &Reply,
) -> Option<String> {
    let api = path.starts_with("/api/");
    let ok = if allowed {
        r.status != StatusCode::UNAUTHORIZED
            && r.status != StatusCode::FORBIDDEN
            && !to_sign_in(r)
            && !r.status.is_server_error()
    } else if who == Public {
        if api {
            r.status == StatusCode::UNAUTHORIZED
        } else {
            r.status == StatusCode::SEE_OTHER && to_sign_in(r)
        }
    } else {
        r.status == StatusCode::FORBIDDEN
    };
    (!ok).then(|| {
        format!(
            "{method} {url} as {who:?} ({via}): expected {}, got {} {:?}",
            if allowed { "allowed" } else { "denied" },
            r.status,
            r.headers.get(header::LOCATION)
        )
    })
}

async fn every_route_for_every_role(kind: BackendKind) {
    let app = TestApp::new(kind).await;
    let samples = samples(&app).await;
    let tokens = tokens(&app).await;

    let routes: Vec<(Method, &'static str)> = vidare_web::routes::all()
        .into_iter()
        .map(|r| (r.method, r.path))
        .collect();
    let table = table();
    let mut missing = Vec::new();
    for (m, p) in &routes {
        if !table.iter().any(|(tm, tp, _)| *tm == m.as_str() && tp == p) {
            missing.push(format!("{m} {p}"));
        }
    }
    assert!(
        missing.is_empty(),
        "routes without a permission rule in tests/permissions.rs or tests/permissions/<area>.rs: {missing:?}"
    );
    let stale: Vec<_> = table
        .iter()
        .filter(|(tm, tp, _)| !routes.iter().any(|(m, p)| m.as_str() == *tm && p == tp))
        .map(|(m, p, _)| format!("{m} {p}"))
        .collect();
    assert!(
        stale.is_empty(),
        "rows for routes that do not exist: {stale:?}"
    );
    let unique: BTreeSet<_> = table.iter().map(|(m, p, _)| (m, p)).collect();
    assert_eq!(unique.len(), table.len(), "a route has two rows");

    let mut failures = Vec::new();
    let mut checked = 0;
    for (method, path) in &routes {
        let (_, _, allowed) = table
            .iter()
            .find(|(m, p, _)| *m == method.as_str() && p == path)
            .unwrap();
        let url = samples.fill(path);
        for who in Who::ALL {
            let r = ask(&app, method, &url, who, None).await;
            checked += 1;
            failures.extend(judge(
                method,
                path,
                &url,
                who,
                "session",
                allowed.contains(&who),
                &r,
            ));
            if path.starts_with("/api/") {
                if let Some((_, secret)) = tokens.iter().find(|(w, _)| *w == who) {
                    let r = ask(&app, method, &url, who, Some(secret)).await;
                    checked += 1;
                    failures.extend(judge(
                        method,
                        path,
                        &url,
                        who,
                        "API token",
                        allowed.contains(&who),
                        &r,
                    ));
                }
            }
        }
    }
    assert!(checked > 300, "only {checked} requests");
    assert!(
        failures.is_empty(),
        "{} wrong answers:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The test tenant's data that another tenant's administrator must neither see nor
/// change.
struct Theirs {
    participant: ParticipantId,
    user: UserId,
    token: i64,
    token_secret: &'static str,
}

async fn tenants_are_isolated(kind: BackendKind) {
    let app = TestApp::new(kind).await;
    let store = &app.db.store;
    let other = second_tenant(store).await;
    let theirs = Theirs {
        participant: participant(store, app.tenant, 21).await,
        user: user_id(store, app.tenant, &email(RoleKind::CaseWorker)).await,
        token: store
            .tenant(app.tenant)
            .create_api_token(
                &Text::parse("Tenant-A-systemet").unwrap(),
                &secret_hash("vdr_theirs"),
                Role::Researcher,
                None,
            )
            .await
            .unwrap(),
        token_secret: "vdr_theirs",
    };
    // The first tenant's case worker reads the participant: an access-log entry.
    let (mut cw, _) = session(store, app.tenant, &email(RoleKind::CaseWorker)).await;
    let url = format!("/deltagare/{}", theirs.participant.get());
    assert_eq!(app.get(&mut cw, &url).await.status, StatusCode::OK);

    let before = snapshot(store, app.tenant).await;
    let (mut b, csrf) = session(store, other, "admin@annan.example").await;
    let u = theirs.user.get();
    for path in [
        format!("/admin/anvandare/{u}"),
        format!("/deltagare/{}", theirs.participant.get()),
        format!("/api/v1/participants/{}", theirs.participant.get()),
        format!("/api/v1/organisations/{}", app.org.get()),
    ] {
        let r = app.get(&mut b, &path).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "GET {path}");
    }
    let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            format!("/admin/anvandare/{u}/aktiv"),
            vec![("aktiv", "false")],
        ),
        (
            format!("/admin/anvandare/{u}/losenord"),
            vec![("password", "ett helt nytt lösenord")],
        ),
        (
            format!("/admin/anvandare/{u}"),
            vec![("name", "Kapad"), ("role", "tenant_admin")],
        ),
        (
            format!("/admin/api-nycklar/{}/aterkalla", theirs.token),
            vec![],
        ),
    ];
    for (path, fields) in &posts {
        let r = app.post_form(&mut b, path, fields, &csrf).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "POST {path}: {}", r.body);
    }
    assert_eq!(
        snapshot(store, app.tenant).await,
        before,
        "the first tenant changed"
    );
    assert!(store
        .api_token(&secret_hash(theirs.token_secret))
        .await
        .unwrap()
        .is_some());

    // Lists, logs and exports show only the asking tenant's own records.
    let pages = [
        "/admin/anvandare".to_string(),
        "/admin/api-nycklar".to_string(),
        "/admin/granskningslogg".to_string(),
        format!("/admin/granskningslogg?entitet=users&id={u}"),
        "/admin/granskningslogg.csv".to_string(),
        "/admin/atkomstlogg".to_string(),
        format!("/admin/atkomstlogg?deltagare={}", theirs.participant.get()),
        "/admin/atkomstlogg.csv".to_string(),
        "/api/v1/audit".to_string(),
    ];
    for path in &pages {
        let r = app.get(&mut b, path).await;
        assert_eq!(r.status, StatusCode::OK, "GET {path}: {}", r.body);
        for leak in ["test.example", "Tenant-A-systemet", "Testkommun"] {
            assert!(
                !r.body.contains(leak),
                "GET {path} shows {leak}:\n{}",
                r.body
            );
        }
    }
    let r = app
        .get(
            &mut b,
            &format!("/admin/atkomstlogg?deltagare={}", theirs.participant.get()),
        )
        .await;
    assert!(r.body.contains("Inga poster matchar"), "{}", r.body);
    // The first tenant's administrator does see its own log.
    let (mut a, _) = session(store, app.tenant, &email(RoleKind::TenantAdmin)).await;
    let r = app
        .get(
            &mut a,
            &format!("/admin/atkomstlogg?deltagare={}", theirs.participant.get()),
        )
        .await;
    assert!(r.body.contains("case_worker@test.example"), "{}", r.body);
}

/// What an administration form could change in a tenant: the audit chain (every change
/// writes to it), the accounts with their password hashes and activity, the tokens,
/// the logo and the retention period.
async fn snapshot(store: &Store, tenant: TenantId) -> String {
    let s = store.tenant(tenant);
    let entries = s
        .audit_entries(&vidare_store::audit::AuditFilter {
            limit: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    let mut out = format!("head {:?}\n", entries.first().map(|e| e.seq));
    for u in s.list_users().await.unwrap() {
        let c = s.credentials(&u.email).await.unwrap().unwrap();
        out.push_str(&format!("{u:?} {:?}\n", c.password_hash));
    }
    for t in s.list_api_tokens().await.unwrap() {
        out.push_str(&format!("{:?} {:?}\n", t.id, t.revoked_at));
    }
    out.push_str(&format!("{:?}\n", store.tenant_logo(tenant).await.unwrap()));
    out.push_str(&format!(
        "retention {}\n",
        s.retention_years().await.unwrap()
    ));
    out
}

async fn suppliers_see_only_their_own_organisation(kind: BackendKind) {
    let app = TestApp::new(kind).await;
    let (mut b, _) = session(&app.db.store, app.tenant, &email(RoleKind::SupplierUser)).await;
    let own = app
        .get(&mut b, &format!("/api/v1/organisations/{}", app.org.get()))
        .await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.body);
    let other = app
        .get(
            &mut b,
            &format!("/api/v1/organisations/{}", app.other_org.get()),
        )
        .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND, "{}", other.body);
    assert!(!other.body.contains("Annan ek. för."));
    let list = app.get(&mut b, "/api/v1/agreements").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let portal = app.get(&mut b, "/portal").await;
    assert!(portal.body.contains("Egen ek. för.") && !portal.body.contains("Annan ek. för."));
}

/// A state-changing body for each administration form.
fn admin_form(path: &str) -> Vec<(&'static str, &'static str)> {
    if path == "/admin/anvandare" {
        vec![
            ("email", "ny@test.example"),
            ("name", "Ny Person"),
            ("role", "researcher"),
            ("password", "ett långt lösenord"),
        ]
    } else if path.ends_with("/aktiv") {
        vec![("aktiv", "false")]
    } else if path.ends_with("/losenord") {
        vec![("password", "ett helt nytt lösenord")]
    } else if path.starts_with("/admin/anvandare/") {
        vec![("name", "Nytt namn"), ("role", "management")]
    } else if path == "/admin/api-nycklar" {
        vec![("name", "Nytt system"), ("role", "researcher")]
    } else if path == "/admin/gallring" {
        vec![("retention_years", "7")]
    } else {
        vec![]
    }
}

async fn admin_forms_need_the_csrf_token(kind: BackendKind) {
    let app = TestApp::new(kind).await;
    let store = &app.db.store;
    let samples = samples(&app).await;
    store
        .tenant(app.tenant)
        .set_tenant_logo(Some(("image/png", PNG)))
        .await
        .unwrap();
    let (mut b, csrf) = session(store, app.tenant, &email(RoleKind::TenantAdmin)).await;
    let posts: Vec<&'static str> = vidare_web::routes::all()
        .into_iter()
        .filter(|r| r.method == Method::POST && r.path.starts_with("/admin"))
        .map(|r| r.path)
        .collect();
    assert!(posts.len() >= 8, "{posts:?}");
    let forged = "f".repeat(64);
    for path in &posts {
        let url = samples.fill(path);
        let before = snapshot(store, app.tenant).await;
        let r = if *path == "/admin/logotyp" {
            let (ct, body) = multipart(&[(
                "logo",
                Some(("l.svg", "image/svg+xml")),
                &b"<svg></svg>"[..],
            )]);
            let missing = post_multipart(&app, &mut b, &url, &ct, body).await;
            assert_eq!(
                missing.status,
                StatusCode::FORBIDDEN,
                "no token: POST {url}"
            );
            let (ct, body) = multipart(&[
                ("_csrf", None, forged.as_bytes()),
                (
                    "logo",
                    Some(("l.svg", "image/svg+xml")),
                    &b"<svg></svg>"[..],
                ),
            ]);
            post_multipart(&app, &mut b, &url, &ct, body).await
        } else {
            let fields = admin_form(path);
            let missing = post_form_without_token(&app, &mut b, &url, &fields).await;
            assert_eq!(
                missing.status,
                StatusCode::FORBIDDEN,
                "no token: POST {url}"
            );
            let header = app
                .send(
                    &mut b,
                    Request::post(url.as_str())
                        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                        .header("x-csrf-token", &forged)
                        .body(Body::from(serde_urlencoded::to_string(&fields).unwrap()))
                        .unwrap(),
                )
                .await;
            assert_eq!(
                header.status,
                StatusCode::FORBIDDEN,
                "forged header: POST {url}"
            );
            app.post_form(&mut b, &url, &fields, &forged).await
        };
        assert_eq!(r.status, StatusCode::FORBIDDEN, "forged token: POST {url}");
        assert_eq!(
            snapshot(store, app.tenant).await,
            before,
            "POST {url} changed something"
        );
    }
    // The same requests with the right token do change things: the check above could
    // have failed.
    for path in &posts {
        let url = samples.fill(path);
        let before = snapshot(store, app.tenant).await;
        let r = if *path == "/admin/logotyp" {
            let (ct, body) = multipart(&[
                ("_csrf", None, csrf.as_bytes()),
                (
                    "logo",
                    Some(("l.svg", "image/svg+xml")),
                    &b"<svg></svg>"[..],
                ),
            ]);
            post_multipart(&app, &mut b, &url, &ct, body).await
        } else {
            app.post_form(&mut b, &url, &admin_form(path), &csrf).await
        };
        assert!(
            r.status == StatusCode::SEE_OTHER || r.status == StatusCode::OK,
            "POST {url} with the token: {} {}",
            r.status,
            r.body
        );
        assert_ne!(
            snapshot(store, app.tenant).await,
            before,
            "POST {url} changed nothing"
        );
    }
}

macro_rules! both {
    ($($name:ident),*) => {
        mod sqlite { $( #[tokio::test] async fn $name() { super::$name(vidare_store::BackendKind::Sqlite).await } )* }
        mod postgres { $( #[tokio::test] async fn $name() { super::$name(vidare_store::BackendKind::Postgres).await } )* }
    };
}

both!(
    every_route_for_every_role,
    tenants_are_isolated,
    suppliers_see_only_their_own_organisation,
    admin_forms_need_the_csrf_token
);
