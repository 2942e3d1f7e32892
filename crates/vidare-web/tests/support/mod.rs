//! A test application: a fresh database (SQLite or PostgreSQL) with one tenant, one
//! supplier and one account per role, the real router driven in-process, and helpers
//! to sign in and send requests as a browser would (cookies, CSRF token).
#![allow(dead_code)]

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use tower::ServiceExt;
use vidare_domain::ids::{OrganisationId, TenantId};
use vidare_domain::model::organisation::{Headcount, LegalForm, NewOrganisation};
use vidare_domain::model::tenant::{Role, RoleKind};
use vidare_domain::model::{Email, Slug, Text};
use vidare_domain::orgnr::OrganisationNumber;
use vidare_store::repo::tenants::{NewTenant, NewUser};
use vidare_store::testing::TestDb;
use vidare_store::BackendKind;
use vidare_web::auth::hash_password;
use vidare_web::{router, AppState, Settings};

/// Every account's password in tests.
pub const PASSWORD: &str = "test-lösenord-123";

pub struct TestApp {
    pub db: TestDb,
    pub app: Router,
    pub tenant: TenantId,
    pub org: OrganisationId,
    pub other_org: OrganisationId,
}

/// A response, read whole.
pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

/// A browser's state: its cookies.
#[derive(Default, Clone)]
pub struct Browser {
    pub cookies: Vec<(String, String)>,
}

impl Browser {
    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn absorb(&mut self, headers: &axum::http::HeaderMap) {
        for v in headers.get_all(header::SET_COOKIE) {
            let s = v.to_str().unwrap();
            let (kv, attrs) = s.split_once(';').unwrap_or((s, ""));
            let (k, v) = kv.split_once('=').unwrap();
            self.cookies.retain(|(name, _)| name != k);
            if !attrs.contains("Max-Age=0") {
                self.cookies.push((k.to_string(), v.to_string()));
            }
        }
    }
}

/// The e-mail address of the test account with this role.
pub fn email(role: RoleKind) -> String {
    format!("{}@test.example", role.as_str())
}

impl TestApp {
    pub async fn new(kind: BackendKind) -> TestApp {
        let db = TestDb::new(kind).await;
        let store = db.store.clone();
        let tenant = store
            .insert_tenant(&NewTenant {
                slug: Slug::parse("test").unwrap(),
                name: Text::parse("Testkommun").unwrap(),
                municipality_code: None,
                synthetic: true,
            })
            .await
            .unwrap();
        let s = store.tenant(tenant);
        let org = |payload: [u8; 9], name: &str| NewOrganisation {
            org_number: OrganisationNumber::from_payload(payload).unwrap(),
            name: Text::parse(name).unwrap(),
            legal_form: LegalForm::EconomicAssociation,
            idea_driven: true,
            in_idea_driven_register: false,
            headcount: Some(Headcount::new(10, 4).unwrap()),
            annual_turnover: None,
            email: None,
            synthetic: true,
        };
        let org_id = s
            .insert_organisation(&org([7, 6, 9, 6, 0, 0, 1, 2, 3], "Egen ek. för."))
            .await
            .unwrap();
        let other = s
            .insert_organisation(&org([7, 6, 9, 6, 0, 0, 4, 5, 6], "Annan ek. för."))
            .await
            .unwrap();
        let hash = hash_password(PASSWORD);
        for kind in RoleKind::ALL {
            let role = Role::from_parts(*kind, (*kind == RoleKind::SupplierUser).then_some(org_id))
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
        let app = router(AppState::with_settings(store, version, Settings::default()))
            .layer(MockConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
        TestApp {
            db,
            app,
            tenant,
            org: org_id,
            other_org: other,
        }
    }

    /// Sends a request as `browser`, keeping the cookies it is given.
    pub async fn send(&self, browser: &mut Browser, req: Request<Body>) -> Reply {
        let mut req = req;
        if !browser.cookies.is_empty() {
            req.headers_mut()
                .insert(header::COOKIE, browser.cookie_header().parse().unwrap());
        }
        let resp = self.app.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        browser.absorb(&headers);
        let bytes = axum::body::to_bytes(resp.into_body(), 16 << 20)
            .await
            .unwrap();
        Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub async fn get(&self, browser: &mut Browser, path: &str) -> Reply {
        self.send(browser, Request::get(path).body(Body::empty()).unwrap())
            .await
    }

    /// Posts a form, adding the CSRF token the browser's page would carry.
    pub async fn post_form(
        &self,
        browser: &mut Browser,
        path: &str,
        fields: &[(&str, &str)],
        csrf: &str,
    ) -> Reply {
        let mut all: Vec<(&str, &str)> = vec![("_csrf", csrf)];
        all.extend_from_slice(fields);
        let body = serde_urlencoded::to_string(&all).unwrap();
        self.send(
            browser,
            Request::post(path)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .unwrap(),
        )
        .await
    }

    /// Signs in as the test account with `role`; returns the browser and the session's
    /// CSRF token (read from a page, as a browser would).
    pub async fn sign_in(&self, role: RoleKind) -> (Browser, String) {
        let mut b = Browser::default();
        let form = self.get(&mut b, "/logga-in").await;
        assert_eq!(form.status, StatusCode::OK);
        let csrf = hidden_csrf(&form.body);
        let r = self
            .post_form(
                &mut b,
                "/logga-in",
                &[
                    ("tenant", &self.tenant.get().to_string()),
                    ("email", &email(role)),
                    ("password", PASSWORD),
                ],
                &csrf,
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "sign-in as {role}: {}",
            r.body
        );
        let page = self.get(&mut b, "/konto").await;
        assert_eq!(page.status, StatusCode::OK);
        let token = hidden_csrf(&page.body);
        (b, token)
    }
}

/// The value of the first `_csrf` hidden field in a page.
pub fn hidden_csrf(html: &str) -> String {
    let i = html.find("name=\"_csrf\" value=\"").expect("a CSRF field")
        + "name=\"_csrf\" value=\"".len();
    html[i..i + html[i..].find('"').unwrap()].to_string()
}
