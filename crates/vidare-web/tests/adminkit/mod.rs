//! Helpers for the administration and permission tests: sessions made directly in the
//! store (no password hashing per request), sample records, and multipart bodies.
#![allow(dead_code)]

use axum::body::Body;
use axum::http::{header, Request};
use chrono::NaiveDate;
use vidare_domain::ids::{ParticipantId, TenantId, UserId};
use vidare_domain::model::participant::{
    Covariates, EducationLevel, Gender, NewParticipant, SwedishLevel,
};
use vidare_domain::model::tenant::Role;
use vidare_domain::model::{Email, Slug, Text};
use vidare_domain::personnummer::{IdentityKind, PersonalIdentityNumber};
use vidare_store::repo::auth::secret_hash;
use vidare_store::repo::tenants::{NewTenant, NewUser};
use vidare_store::{Actor, Store};

use crate::support::{Browser, Reply, TestApp};

/// A browser signed in as the account `email` of `tenant`, with its CSRF token. The
/// session is written straight into the store: what is tested here is what a session
/// may do, not how it was obtained (`signin.rs` tests that).
pub async fn session(store: &Store, tenant: TenantId, email: &str) -> (Browser, String) {
    let s = store.tenant(tenant);
    let user = s
        .user_by_email(&Email::parse(email).unwrap())
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no account {email}"));
    let token = vidare_web::session::new_secret();
    let csrf = vidare_web::session::new_secret();
    store
        .tenant_as(tenant, Actor::user(user.id, email))
        .create_session(
            &secret_hash(&token),
            user.id,
            &csrf,
            chrono::Utc::now() + chrono::Duration::hours(1),
        )
        .await
        .unwrap();
    (
        Browser {
            cookies: vec![("vidare_session".into(), token)],
        },
        csrf,
    )
}

/// The id of the account `email` in `tenant`.
pub async fn user_id(store: &Store, tenant: TenantId, email: &str) -> UserId {
    store
        .tenant(tenant)
        .user_by_email(&Email::parse(email).unwrap())
        .await
        .unwrap()
        .unwrap()
        .id
}

/// Adds an account (without a password) to `tenant`.
pub async fn add_user(store: &Store, tenant: TenantId, email: &str, role: Role) -> UserId {
    store
        .tenant(tenant)
        .insert_user(&NewUser {
            email: Email::parse(email).unwrap(),
            display_name: Text::parse(email).unwrap(),
            role,
        })
        .await
        .unwrap()
}

/// A second tenant with an administrator `admin@annan.example`.
pub async fn second_tenant(store: &Store) -> TenantId {
    let t = store
        .insert_tenant(&NewTenant {
            slug: Slug::parse("annan").unwrap(),
            name: Text::parse("Annan kommun").unwrap(),
            municipality_code: None,
            synthetic: true,
        })
        .await
        .unwrap();
    add_user(store, t, "admin@annan.example", Role::TenantAdmin).await;
    t
}

/// A synthetic participant, `serial` making the identity number unique.
pub async fn participant(store: &Store, tenant: TenantId, serial: u16) -> ParticipantId {
    let born = NaiveDate::from_ymd_opt(1990, 5, 17).unwrap();
    store
        .tenant(tenant)
        .insert_participant(&NewParticipant {
            personal_number: PersonalIdentityNumber::from_parts(
                born,
                serial,
                IdentityKind::Personnummer,
            )
            .unwrap(),
            first_name: Text::parse("Testa").unwrap(),
            last_name: Text::parse(&format!("Person {serial}")).unwrap(),
            covariates: Covariates {
                gender: Gender::Female,
                born_abroad: false,
                education: EducationLevel::UpperSecondary,
                months_on_income_support: 12,
                health_limitation: false,
                swedish_level: SwedishLevel::Intermediate,
                prior_work_experience: true,
            },
            synthetic: true,
        })
        .await
        .unwrap()
}

/// One field of a multipart form: name, `Some((filename, content type))` for a file,
/// and the content.
pub type Part<'a> = (&'a str, Option<(&'a str, &'a str)>, &'a [u8]);

/// A `multipart/form-data` body. Returns the content type header and the body.
pub fn multipart(fields: &[Part]) -> (String, Vec<u8>) {
    let boundary = "----vidare-test-boundary-7MA4YWxk";
    let mut body = Vec::new();
    for (name, file, content) in fields {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match file {
            Some((filename, ct)) => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: {ct}\r\n\r\n"
                )
                .as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Posts a multipart body as `browser`.
pub async fn post_multipart(
    app: &TestApp,
    browser: &mut Browser,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
) -> Reply {
    app.send(
        browser,
        Request::post(path)
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .unwrap(),
    )
    .await
}

/// Posts a form without any CSRF token at all.
pub async fn post_form_without_token(
    app: &TestApp,
    browser: &mut Browser,
    path: &str,
    fields: &[(&str, &str)],
) -> Reply {
    app.send(
        browser,
        Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(serde_urlencoded::to_string(fields).unwrap()))
            .unwrap(),
    )
    .await
}

/// A tiny valid PNG (1×1 pixel).
pub const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82";
