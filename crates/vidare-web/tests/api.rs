//! The JSON API over HTTP, on both backends: token and session authentication, tenant
//! isolation, roles, problem documents for every kind of bad input, supplier scoping,
//! and the access log of participant reads.

mod support;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use chrono::NaiveDate;
use serde_json::{json, Value};
use support::{Browser, Reply, TestApp};
use vidare_domain::ids::{OrganisationId, ParticipantId, PlacementId, TenantId};
use vidare_domain::model::organisation::{LegalForm, NewOrganisation};
use vidare_domain::model::placement::{
    ExitOutcome, FollowUpPoint, FollowUpStatus, NoteKind, WeeklyMinutes,
};
use vidare_domain::model::procurement::{
    AbsenceRule, ContractKind, ContractPeriod, CpvCode, LegalBasis, RoundStatus,
};
use vidare_domain::model::tenant::{Role, RoleKind};
use vidare_domain::model::{Slug, Text};
use vidare_domain::money::Money;
use vidare_domain::orgnr::OrganisationNumber;
use vidare_domain::period::DateRange;
use vidare_domain::personnummer::{IdentityKind, PersonalIdentityNumber};
use vidare_store::repo::auth::secret_hash;
use vidare_store::repo::placements::NewPlacement;
use vidare_store::repo::procurement::{NewAgreement, NewLot, NewPlacementType, NewRound};
use vidare_store::repo::tenants::NewTenant;
use vidare_store::BackendKind;

/// Creates an API token with `role` in `tenant`; returns its secret.
async fn token(app: &TestApp, tenant: TenantId, role: Role, name: &str) -> String {
    let secret = format!("vdr_test_{name}_{}", tenant.get());
    app.db
        .store
        .tenant(tenant)
        .create_api_token(
            &Text::parse(name).unwrap(),
            &secret_hash(&secret),
            role,
            None,
        )
        .await
        .unwrap();
    secret
}

/// A request with the token, JSON body when given, and extra headers.
fn request(
    method: &str,
    path: &str,
    bearer: Option<&str>,
    body: Option<&str>,
    headers: &[(&str, &str)],
) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(path);
    if let Some(t) = bearer {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    if body.is_some() {
        b = b.header(header::CONTENT_TYPE, "application/json");
    }
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(body.map(|s| Body::from(s.to_string())).unwrap_or_default())
        .unwrap()
}

async fn get(app: &TestApp, bearer: &str, path: &str) -> Reply {
    app.send(
        &mut Browser::default(),
        request("GET", path, Some(bearer), None, &[]),
    )
    .await
}

async fn post(app: &TestApp, bearer: &str, path: &str, body: &str) -> Reply {
    app.send(
        &mut Browser::default(),
        request("POST", path, Some(bearer), Some(body), &[]),
    )
    .await
}

fn json_of(r: &Reply) -> Value {
    serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("{e}: {}", r.body))
}

/// Asserts a problem document with `status`; returns it.
fn problem(r: &Reply, status: StatusCode) -> Value {
    assert_eq!(r.status, status, "{}", r.body);
    assert_eq!(
        r.headers[header::CONTENT_TYPE],
        "application/problem+json",
        "{}",
        r.body
    );
    let p = json_of(r);
    assert_eq!(p["status"], status.as_u16());
    assert!(p["type"].as_str().unwrap().starts_with("https://"));
    assert!(!p["title"].as_str().unwrap().is_empty());
    p
}

fn fields(p: &Value) -> Vec<String> {
    let mut f: Vec<String> = p["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            assert!(!e["message"].as_str().unwrap().is_empty(), "{e}");
            e["field"].as_str().unwrap().to_string()
        })
        .collect();
    f.sort();
    f
}

fn org_number(payload: [u8; 9]) -> String {
    OrganisationNumber::from_payload(payload)
        .unwrap()
        .to_string()
}

fn personnummer(serial: u16) -> String {
    PersonalIdentityNumber::from_parts(
        NaiveDate::from_ymd_opt(1988, 4, 12).unwrap(),
        serial,
        IdentityKind::Personnummer,
    )
    .unwrap()
    .to_string()
}

fn participant_body(pnr: &str) -> String {
    json!({
        "personal_number": pnr,
        "first_name": "Test",
        "last_name": "Testsson",
        "gender": "female",
        "born_abroad": true,
        "education": "primary",
        "months_on_income_support": 24,
        "health_limitation": false,
        "swedish_level": "basic",
        "prior_work_experience": true
    })
    .to_string()
}

async fn org_count(app: &TestApp) -> u64 {
    app.db
        .store
        .tenant(app.tenant)
        .count_organisations()
        .await
        .unwrap()
}

/// A second tenant with one organisation of its own.
async fn second_tenant(app: &TestApp) -> (TenantId, OrganisationId) {
    let store = &app.db.store;
    let t = store
        .insert_tenant(&NewTenant {
            slug: Slug::parse("annan").unwrap(),
            name: Text::parse("Annan kommun").unwrap(),
            municipality_code: None,
            synthetic: true,
        })
        .await
        .unwrap();
    let o = store
        .tenant(t)
        .insert_organisation(&NewOrganisation {
            org_number: OrganisationNumber::from_payload([8, 0, 2, 4, 0, 0, 1, 1, 1]).unwrap(),
            name: Text::parse("Bortre förening").unwrap(),
            legal_form: LegalForm::NonProfitAssociation,
            idea_driven: true,
            in_idea_driven_register: false,
            headcount: None,
            annual_turnover: None,
            email: None,
            synthetic: true,
        })
        .await
        .unwrap();
    (t, o)
}

async fn tokens_are_tenant_scoped(kind: BackendKind) {
    let app = TestApp::new(kind).await;
    let ours = token(&app, app.tenant, Role::TenantAdmin, "integration").await;
    let (other, other_org) = second_tenant(&app).await;
    let theirs = token(&app, other, Role::TenantAdmin, "integration").await;

    let r = get(&app, &ours, "/api/v1/me").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let me = json_of(&r);
    assert_eq!(me["data"]["tenant"]["id"], app.tenant.get());
    assert_eq!(me["data"]["role"], "tenant_admin");
    assert_eq!(me["data"]["authenticated_by"], "token");
    assert_eq!(me["data"]["name"], "integration");

    // Each token sees its own tenant's organisations and nothing of the other's.
    let list = json_of(&get(&app, &ours, "/api/v1/organisations").await);
    assert_eq!(list["meta"]["total"], 2);
    assert_eq!(list["meta"]["limit"], 50);
    assert_eq!(list["meta"]["offset"], 0);
    assert_eq!(list["data"].as_array().unwrap().len(), 2);
    let list = json_of(&get(&app, &theirs, "/api/v1/organisations").await);
    assert_eq!(list["meta"]["total"], 1);
    assert_eq!(list["data"][0]["id"], other_org.get());
    problem(
        &get(&app, &theirs, &format!("/api/v1/organisations/{}", app.org)).await,
        StatusCode::NOT_FOUND,
    );
    problem(
        &get(&app, &ours, &format!("/api/v1/organisations/{other_org}")).await,
        StatusCode::NOT_FOUND,
    );
    let r = get(&app, &ours, &format!("/api/v1/organisations/{}", app.org)).await;
    assert_eq!(r.status, StatusCode::OK);
    let o = json_of(&r);
    assert_eq!(
        o["data"]["org_number"],
        org_number([7, 6, 9, 6, 0, 0, 1, 2, 3])
    );
    assert_eq!(o["data"]["legal_form"], "economic_association");
    assert_eq!(o["data"]["headcount"]["share_permille"], 400);
    assert_eq!(o["data"]["headcount"]["meets_share_test"], true);

    // Paging.
    let page = json_of(&get(&app, &ours, "/api/v1/organisations?limit=1&offset=1").await);
    assert_eq!(page["meta"], json!({"total": 2, "limit": 1, "offset": 1}));
    assert_eq!(page["data"].as_array().unwrap().len(), 1);
}

async fn bad_tokens_get_401(kind: BackendKind) {
    let app = TestApp::new(kind).await;
    let mut anon = Browser::default();
    problem(
        &app.get(&mut anon, "/api/v1/me").await,
        StatusCode::UNAUTHORIZED,
    );
    problem(
        &get(&app, "vdr_no_such_token", "/api/v1/me").await,
        StatusCode::UNAUTHORIZED,
    );
    // A revoked token stops working at once.
    let secret = token(&app, app.tenant, Role::TenantAdmin, "revoked").await;
    assert_eq!(
        get(&app, &secret, "/api/v1/me").await.status,
        StatusCode::OK
    );
    let s = app.db.store.tenant(app.tenant);
    let id = s.list_api_tokens().await.unwrap()[0].id;
    s.revoke_api_token(id).await.unwrap();
    let p = problem(
        &get(&app, &secret, "/api/v1/me").await,
        StatusCode::UNAUTHORIZED,
    );
    assert!(p["title"].as_str().unwrap().contains("Bearer"));
    // An expired one too.
    let expired = "vdr_test_expired";
    s.create_api_token(
        &Text::parse("expired").unwrap(),
        &secret_hash(expired),
        Role::TenantAdmin,
        Some(chrono::Utc::now() - chrono::Duration::hours(1)),
    )
    .await
    .unwrap();
    problem(
        &get(&app, expired, "/api/v1/organisations").await,
        StatusCode::UNAUTHORIZED,
    );
    // A POST with a bad token writes nothing.
    let body = json!({"org_number": org_number([5, 5, 6, 0, 1, 6, 0, 6, 8]), "name": "X", "legal_form": "other"});
    problem(
        &post(&app, &secret, "/api/v1/organisations", &body.to_string()).await,
        StatusCode::UNAUTHORIZED,
    );
    // So does one with no credentials at all (401, not a CSRF 403).
    problem(
        &app.send(
            &mut Browser::default(),
            request(
                "POST",
                "/api/v1/organisations",
                None,
                Some(&body.to_string()),
                &[],
            ),
        )
        .await,
        StatusCode::UNAUTHORIZED,
    );
    assert_eq!(org_count(&app).await, 2);
}

async fn roles_are_enforced(kind: BackendKind) {
    let app = TestApp::new(kind).await;
    let researcher = token(&app, app.tenant, Role::Researcher, "forskning").await;
    let management = token(&app, app.tenant, Role::Management, "ledning").await;
    let case_worker = token(&app, app.tenant, Role::CaseWorker, "handlaggning").await;
    for path in [
        "/api/v1/participants",
        "/api/v1/organisations",
        "/api/v1/audit",
    ] {
        let p = problem(&get(&app, &researcher, path).await, StatusCode::FORBIDDEN);
        assert_eq!(p["title"], "Din roll har inte behörighet till detta.");
    }
    problem(
        &get(&app, &case_worker, "/api/v1/audit").await,
        StatusCode::FORBIDDEN,
    );
    problem(
        &get(&app, &case_worker, "/api/v1/rounds").await,
        StatusCode::FORBIDDEN,
    );
    let body = json!({"org_number": org_number([5, 5, 6, 0, 1, 6, 0, 6, 8]), "name": "X", "legal_form": "other"});
    problem(
        &post(
            &app,
            &management,
            "/api/v1/organisations",
            &body.to_string(),
        )
        .await,
        StatusCode::FORBIDDEN,
    );
    assert_eq!(org_count(&app).await, 2);
    // What the roles may do, they can.
    assert_eq!(
        get(&app, &management, "/api/v1/organisations").await.status,
        StatusCode::OK
    );
    assert_eq!(
        get(&app, &researcher, "/api/v1/placement-types")
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        get(&app, &case_worker, "/api/v1/participants").await.status,
        StatusCode::OK
    );
}

async fn every_bad_field_is_listed(kind: BackendKind) {
    let app = TestApp::new(kind).await;
    let officer = token(&app, app.tenant, Role::ProcurementOfficer, "upphandling").await;
    let body = json!({
        "org_number": "556016-0681",
        "name": "   ",
        "legal_form": "bolag",
        "headcount_total": 5,
        "headcount_target_groups": 7,
        "annual_turnover_ore": -1,
        "email": "inte en adress"
    })
    .to_string();
    let p = problem(
        &post(&app, &officer, "/api/v1/organisations", &body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    );
    assert_eq!(
        fields(&p),
        [
            "annual_turnover_ore",
            "email",
            "headcount_target_groups",
            "legal_form",
            "name",
            "org_number"
        ]
    );
    // Swedish by default, from the domain's own messages.
    let msg = |p: &Value, field: &str| {
        p["errors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["field"] == field)
            .unwrap()["message"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(msg(&p, "org_number").contains("Kontrollsiffran"), "{p}");
    assert!(msg(&p, "headcount_target_groups").contains("målgrupperna"));
    // English when asked.
    let r = app
        .send(
            &mut Browser::default(),
            request(
                "POST",
                "/api/v1/organisations",
                Some(&officer),
                Some(&body),
                &[("accept-language", "en-GB,en;q=0.9")],
            ),
        )
        .await;
    let p = problem(&r, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(msg(&p, "org_number").contains("check digit"), "{p}");
    assert!(msg(&p, "legal_form").contains("economic_association"));
    // Missing required fields are named too.
    let p = problem(
        &post(&app, &officer, "/api/v1/organisations", "{}").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    );
    assert_eq!(fields(&p), ["legal_form", "name", "org_number"]);
    assert_eq!(org_count(&app).await, 2, "nothing was written");

    // Participants: a bad personnummer, an unknown code and a number out of range.
    let case_worker = token(&app, app.tenant, Role::CaseWorker, "handlaggning").await;
    let mut body: Value = serde_json::from_str(&participant_body("19880412-1235")).unwrap();
    body["gender"] = "okänt".into();
    body["months_on_income_support"] = 999.into();
    body["first_name"] = "".into();
    body.as_object_mut().unwrap().remove("swedish_level");
    let p = problem(
        &post(
            &app,
            &case_worker,
            "/api/v1/participants",
            &body.to_string(),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    );
    assert_eq!(
        fields(&p),
        [
            "first_name",
            "gender",
            "months_on_income_support",
            "personal_number",
            "swedish_level"
        ]
    );
    // A birth date in the future is refused as of today.
    let future = PersonalIdentityNumber::from_parts(
        chrono::Utc::now().date_naive() + chrono::Duration::days(400),
        123,
        IdentityKind::Personnummer,
    )
    .unwrap()
    .to_string();
    let p = problem(
        &post(
            &app,
            &case_worker,
            "/api/v1/participants",
            &participant_body(&future),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    );
    assert_eq!(fields(&p), ["personal_number"]);
    assert!(msg(&p, "personal_number").contains("framtiden"));
    let s = app.db.store.tenant(app.tenant);
    assert_eq!(s.count_participants().await.unwrap(), 0);
}

async fn malformed_input_is_400(kind: BackendKind) {
    let app = TestApp::new(kind).await;
    let officer = token(&app, app.tenant, Role::TenantAdmin, "admin").await;
    // Not JSON at all.
    let p = problem(
        &post(&app, &officer, "/api/v1/organisations", "{\"name\": ").await,
        StatusCode::BAD_REQUEST,
    );
    assert!(p["type"].as_str().unwrap().ends_with("/malformed"));
    assert!(p["detail"].as_str().unwrap().contains("JSON"));
    // Trailing garbage.
    problem(
        &post(&app, &officer, "/api/v1/organisations", "{} x").await,
        StatusCode::BAD_REQUEST,
    );
    // The wrong shape: a number where text belongs names the field.
    let p = problem(
        &post(&app, &officer, "/api/v1/organisations", "{\"name\": 5}").await,
        StatusCode::BAD_REQUEST,
    );
    assert_eq!(fields(&p), ["name"]);
    // An unknown field, an array instead of an object.
    problem(
        &post(&app, &officer, "/api/v1/organisations", "{\"namn\": \"x\"}").await,
        StatusCode::BAD_REQUEST,
    );
    problem(
        &post(&app, &officer, "/api/v1/organisations", "[]").await,
        StatusCode::BAD_REQUEST,
    );
    // No JSON content type.
    let r = app
        .send(
            &mut Browser::default(),
            Request::post("/api/v1/organisations")
                .header(header::AUTHORIZATION, format!("Bearer {officer}"))
                .header(header::CONTENT_TYPE, "text/plain")
                .body(Body::from("{}"))
                .unwrap(),
        )
        .await;
    problem(&r, StatusCode::BAD_REQUEST);
    // Path and query parameters that do not parse name themselves.
    let p = problem(
        &get(&app, &officer, "/api/v1/participants/abc").await,
        StatusCode::BAD_REQUEST,
    );
    assert_eq!(fields(&p), ["id"]);
    let p = problem(
        &get(&app, &officer, "/api/v1/organisations?limit=abc").await,
        StatusCode::BAD_REQUEST,
    );
    assert_eq!(fields(&p), ["limit"]);
    let p = problem(
        &get(&app, &officer, "/api/v1/organisations?limit=0").await,
        StatusCode::BAD_REQUEST,
    );
    assert_eq!(fields(&p), ["limit"]);
    let p = problem(
        &get(&app, &officer, "/api/v1/audit?from=igar").await,
        StatusCode::BAD_REQUEST,
    );
    assert_eq!(fields(&p), ["from"]);
    // Unknown API paths are problem documents too.
    problem(
        &get(&app, &officer, "/api/v1/finns-inte").await,
        StatusCode::NOT_FOUND,
    );
    problem(
        &get(&app, &officer, "/api/v1/participants/999999").await,
        StatusCode::NOT_FOUND,
    );
    assert_eq!(org_count(&app).await, 2);
}

async fn duplicates_are_409(kind: BackendKind) {
    let app = TestApp::new(kind).await;
    let officer = token(&app, app.tenant, Role::ProcurementOfficer, "upphandling").await;
    let number = org_number([5, 5, 6, 0, 1, 6, 0, 6, 8]);
    let body = json!({
        "org_number": number,
        "name": "Ny förening",
        "legal_form": "non_profit_association",
        "idea_driven": true,
        "headcount_total": 20,
        "headcount_target_groups": 6,
        "annual_turnover_ore": 123456789,
        "email": "info@ny.example"
    });
    let r = post(&app, &officer, "/api/v1/organisations", &body.to_string()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let created = json_of(&r);
    let id = created["data"]["id"].as_i64().unwrap();
    assert_eq!(
        r.headers[header::LOCATION],
        format!("/api/v1/organisations/{id}")
    );
    assert_eq!(created["data"]["org_number"], number);
    assert_eq!(created["data"]["annual_turnover"]["ore"], 123456789);
    assert_eq!(
        created["data"]["annual_turnover"]["formatted"],
        "1\u{a0}234\u{a0}567,89\u{a0}kr"
    );
    assert_eq!(created["data"]["headcount"]["meets_share_test"], true);
    let r = get(&app, &officer, &format!("/api/v1/organisations/{id}")).await;
    assert_eq!(json_of(&r)["data"], created["data"]);
    // The same number again, written without its hyphen.
    let mut again = body.clone();
    again["org_number"] = number.replace('-', "").into();
    again["name"] = "Dubblett".into();
    let p = problem(
        &post(&app, &officer, "/api/v1/organisations", &again.to_string()).await,
        StatusCode::CONFLICT,
    );
    assert_eq!(fields(&p), ["org_number"]);
    assert_eq!(org_count(&app).await, 3);
    // The change is in the audit log, as the token's.
    let admin = token(&app, app.tenant, Role::TenantAdmin, "granskning").await;
    let log = json_of(&get(&app, &admin, "/api/v1/audit?entity=organisations&limit=5").await);
    assert_eq!(log["meta"]["total"], 3, "{log}");
    assert_eq!(log["data"][0]["actor"], "token:upphandling");
    assert_eq!(log["data"][0]["entity_id"], id.to_string());
    assert_eq!(log["data"][0]["after"]["name"], "Ny förening");
    let log = json_of(&get(&app, &admin, "/api/v1/audit?actor=token:upphandling").await);
    assert_eq!(log["meta"]["total"], 1);
    let log = json_of(&get(&app, &admin, "/api/v1/audit?from=2999-01-01T00:00:00Z").await);
    assert_eq!(log["meta"]["total"], 0);

    // Participants: the same personnummer twice.
    let case_worker = token(&app, app.tenant, Role::CaseWorker, "handlaggning").await;
    let pnr = personnummer(234);
    let r = post(
        &app,
        &case_worker,
        "/api/v1/participants",
        &participant_body(&pnr),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let short = pnr[2..].to_string();
    let p = problem(
        &post(
            &app,
            &case_worker,
            "/api/v1/participants",
            &participant_body(&short),
        )
        .await,
        StatusCode::CONFLICT,
    );
    assert_eq!(fields(&p), ["personal_number"]);
}

async fn session_posts_need_the_csrf_header(kind: BackendKind) {
    let app = TestApp::new(kind).await;
    let (mut b, csrf) = app.sign_in(RoleKind::ProcurementOfficer).await;
    let r = app.get(&mut b, "/api/v1/me").await;
    assert_eq!(json_of(&r)["data"]["authenticated_by"], "session");
    let body = json!({
        "org_number": org_number([5, 5, 6, 0, 1, 6, 0, 6, 8]),
        "name": "Via webbläsaren",
        "legal_form": "other"
    })
    .to_string();
    let p = problem(
        &app.send(
            &mut b,
            request("POST", "/api/v1/organisations", None, Some(&body), &[]),
        )
        .await,
        StatusCode::FORBIDDEN,
    );
    assert!(p["type"].as_str().unwrap().ends_with("/csrf"));
    problem(
        &app.send(
            &mut b,
            request(
                "POST",
                "/api/v1/organisations",
                None,
                Some(&body),
                &[("x-csrf-token", "forged")],
            ),
        )
        .await,
        StatusCode::FORBIDDEN,
    );
    assert_eq!(org_count(&app).await, 2, "nothing was written");
    let r = app
        .send(
            &mut b,
            request(
                "POST",
                "/api/v1/organisations",
                None,
                Some(&body),
                &[("x-csrf-token", &csrf)],
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(org_count(&app).await, 3);
}

async fn suppliers_see_only_their_own(kind: BackendKind) {
    let app = TestApp::new(kind).await;
    let s = app.db.store.tenant(app.tenant);
    let supplier = token(
        &app,
        app.tenant,
        Role::SupplierUser {
            organisation_id: app.org,
        },
        "leverantor",
    )
    .await;
    let r = get(
        &app,
        &supplier,
        &format!("/api/v1/organisations/{}", app.org),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(json_of(&r)["data"]["id"], app.org.get());
    // Another organisation's id is not found, exactly like an id that does not exist.
    let other = problem(
        &get(
            &app,
            &supplier,
            &format!("/api/v1/organisations/{}", app.other_org),
        )
        .await,
        StatusCode::NOT_FOUND,
    );
    let missing = problem(
        &get(&app, &supplier, "/api/v1/organisations/987654").await,
        StatusCode::NOT_FOUND,
    );
    assert_eq!(other, missing);
    problem(
        &get(&app, &supplier, "/api/v1/organisations").await,
        StatusCode::FORBIDDEN,
    );
    problem(
        &get(&app, &supplier, "/api/v1/participants").await,
        StatusCode::FORBIDDEN,
    );

    // Agreements: one each; the supplier sees only its own.
    let pt = s
        .insert_placement_type(&NewPlacementType {
            code: Slug::parse("snickeri").unwrap(),
            name_sv: Text::parse("Snickeri").unwrap(),
            name_en: Text::parse("Carpentry").unwrap(),
        })
        .await
        .unwrap();
    let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    for (org, price) in [(app.org, 1_250_000), (app.other_org, 1_100_000)] {
        s.insert_agreement(&NewAgreement {
            round_id: None,
            lot_id: None,
            organisation_id: org,
            placement_type_id: pt,
            capacity: 4,
            price_per_month: Money::from_ore(price),
            period: DateRange::new(start, None).unwrap(),
            rank: Some(1),
            absence_rule: AbsenceRule::DeductUnexcused,
            signed_on: None,
        })
        .await
        .unwrap();
    }
    let list = json_of(&get(&app, &supplier, "/api/v1/agreements").await);
    assert_eq!(list["meta"]["total"], 1, "{list}");
    assert_eq!(list["data"][0]["organisation_id"], app.org.get());
    assert_eq!(list["data"][0]["price_per_month"]["ore"], 1_250_000);
    assert_eq!(
        list["data"][0]["price_per_month"]["formatted"],
        "12\u{a0}500,00\u{a0}kr"
    );
    assert_eq!(list["data"][0]["start"], "2024-01-01");
    assert_eq!(list["data"][0]["in_force"], true);
    let officer = token(&app, app.tenant, Role::ProcurementOfficer, "upphandling").await;
    let list = json_of(&get(&app, &officer, "/api/v1/agreements").await);
    assert_eq!(list["meta"]["total"], 2);
    let types = json_of(&get(&app, &supplier, "/api/v1/placement-types").await);
    assert_eq!(types["data"][0]["code"], "snickeri");
    assert_eq!(types["meta"]["total"], 1);
}

async fn rounds_come_with_their_lots(kind: BackendKind) {
    let app = TestApp::new(kind).await;
    let s = app.db.store.tenant(app.tenant);
    let pt = s
        .insert_placement_type(&NewPlacementType {
            code: Slug::parse("kafe").unwrap(),
            name_sv: Text::parse("Kafé").unwrap(),
            name_en: Text::parse("Café").unwrap(),
        })
        .await
        .unwrap();
    let round = s
        .insert_round(&NewRound {
            title: Text::parse("Sysselsättningsplatser 2026").unwrap(),
            reference: Some(Text::parse("KS 2025/17").unwrap()),
            legal_basis: LegalBasis::ReservedIntegration,
            contract_kind: ContractKind::SocialServices,
            cpv_codes: vec![CpvCode::parse("85312320-8").unwrap()],
            estimated_value: Money::from_kronor(1_000_000),
            contract_period: ContractPeriod::new(
                NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
                24,
                12,
            )
            .unwrap(),
            tender_deadline: None,
            status: RoundStatus::Planning,
            synthetic: false,
        })
        .await
        .unwrap();
    s.insert_lot(
        round,
        &NewLot {
            number: 1,
            placement_type_id: pt,
            title: Text::parse("Kafé och kök").unwrap(),
            description: None,
            places: 6,
            max_price_per_month: Money::from_kronor(14_000),
            reserved: true,
        },
    )
    .await
    .unwrap();
    let officer = token(&app, app.tenant, Role::ProcurementOfficer, "upphandling").await;
    let list = json_of(&get(&app, &officer, "/api/v1/rounds").await);
    assert_eq!(list["meta"]["total"], 1);
    assert!(list["data"][0].get("lots").is_none());
    let r = get(&app, &officer, &format!("/api/v1/rounds/{round}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let d = json_of(&r)["data"].clone();
    assert_eq!(d["title"], "Sysselsättningsplatser 2026");
    assert_eq!(d["legal_basis"], "reserved_integration");
    assert_eq!(d["contract_start"], "2026-01-01");
    assert_eq!(d["initial_end"], "2027-12-31");
    assert_eq!(d["max_end"], "2028-12-31");
    assert_eq!(d["estimated_value"]["ore"], 100_000_000);
    assert_eq!(d["lots"][0]["places"], 6);
    assert_eq!(d["lots"][0]["max_price_per_month"]["ore"], 1_400_000);
    problem(
        &get(&app, &officer, "/api/v1/rounds/424242").await,
        StatusCode::NOT_FOUND,
    );
}

async fn participant_reads_are_logged(kind: BackendKind) {
    let app = TestApp::new(kind).await;
    let case_worker = token(&app, app.tenant, Role::CaseWorker, "handlaggning").await;
    let pnr = personnummer(456);
    let r = post(
        &app,
        &case_worker,
        "/api/v1/participants",
        &participant_body(&pnr),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let created = json_of(&r);
    let id = ParticipantId(created["data"]["id"].as_i64().unwrap());
    assert_eq!(created["data"]["personal_number"], pnr);
    assert_eq!(created["data"]["education"], "primary");
    let path = format!("/api/v1/participants/{id}");
    let r = get(&app, &case_worker, &path).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(json_of(&r)["data"]["personal_number"], pnr);
    let list = json_of(&get(&app, &case_worker, "/api/v1/participants").await);
    assert_eq!(list["meta"]["total"], 1);
    assert_eq!(list["data"][0]["id"], id.get());

    let s = app.db.store.tenant(app.tenant);
    let log = s.access_entries(Some(id), None, 10, 0).await.unwrap();
    let mut purposes: Vec<&str> = log.iter().map(|e| e.purpose.as_str()).collect();
    purposes.sort();
    assert_eq!(purposes, ["case_file", "participant_list", "registration"]);
    assert!(log.iter().all(|e| e.actor == "token:handlaggning"));
    let read = log.iter().find(|e| e.purpose == "case_file").unwrap();
    assert_eq!(read.route.as_deref(), Some(path.as_str()));
    // A refused read is not a read: nothing is logged for a researcher's 403.
    let researcher = token(&app, app.tenant, Role::Researcher, "forskning").await;
    problem(&get(&app, &researcher, &path).await, StatusCode::FORBIDDEN);
    assert_eq!(
        s.access_entries(Some(id), None, 10, 0).await.unwrap().len(),
        3
    );
    // The personnummer never reaches the audit log in full.
    let audit = s
        .audit_entries(&vidare_store::audit::AuditFilter {
            entity: Some("participants".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(audit.len(), 1);
    let digits: String = pnr.chars().filter(char::is_ascii_digit).collect();
    assert!(!audit[0]
        .after_json
        .as_deref()
        .unwrap()
        .contains(&digits[8..]));
}

/// A placement of `who` under a fresh agreement of the test supplier.
async fn placement_of(
    app: &TestApp,
    who: ParticipantId,
    code: &str,
    start: NaiveDate,
) -> PlacementId {
    let s = app.db.store.tenant(app.tenant);
    let pt = s
        .insert_placement_type(&NewPlacementType {
            code: Slug::parse(code).unwrap(),
            name_sv: Text::parse(code).unwrap(),
            name_en: Text::parse(code).unwrap(),
        })
        .await
        .unwrap();
    let agreement = s
        .insert_agreement(&NewAgreement {
            round_id: None,
            lot_id: None,
            organisation_id: app.org,
            placement_type_id: pt,
            capacity: 5,
            price_per_month: Money::from_kronor(4_000),
            period: DateRange::new(d(2024, 1, 1), Some(d(2026, 12, 31))).unwrap(),
            rank: Some(1),
            absence_rule: AbsenceRule::DeductUnexcused,
            signed_on: None,
        })
        .await
        .unwrap();
    s.insert_placement(&NewPlacement {
        referral_id: None,
        participant_id: who,
        agreement_id: agreement,
        start,
        planned_end: start + chrono::Days::new(180),
        hours_per_week: WeeklyMinutes::new(20 * 60).unwrap(),
        goals: Some(Text::parse("Arbetsträning").unwrap()),
    })
    .await
    .unwrap()
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

async fn right_of_access_export(kind: BackendKind) {
    let app = TestApp::new(kind).await;
    let s = app.db.store.tenant(app.tenant);
    let case_worker = token(&app, app.tenant, Role::CaseWorker, "handlaggning").await;
    let register = |pnr: String| {
        let app = &app;
        let case_worker = case_worker.clone();
        async move {
            let r = post(
                app,
                &case_worker,
                "/api/v1/participants",
                &participant_body(&pnr),
            )
            .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
            ParticipantId(json_of(&r)["data"]["id"].as_i64().unwrap())
        }
    };
    let pnr = personnummer(457);
    let other_pnr = personnummer(458);
    let id = register(pnr.clone()).await;
    let other = register(other_pnr.clone()).await;

    // Two placements: one ended, with a note, an exit and a follow-up; one running,
    // with a three-party meeting and a pause. Another participant has a note of its own.
    let ended = placement_of(&app, id, "kafe", d(2024, 1, 15)).await;
    s.add_placement_note(
        ended,
        NoteKind::Progress,
        d(2024, 2, 1),
        None,
        &Text::parse("Kommer i tid till kaféet").unwrap(),
    )
    .await
    .unwrap();
    let exit = s
        .record_exit(
            ended,
            d(2024, 5, 31),
            ExitOutcome::WorkUnsubsidised,
            Some(&Text::parse("Anställningsavtal").unwrap()),
        )
        .await
        .unwrap();
    s.record_follow_up(
        exit,
        FollowUpPoint::Months3,
        d(2024, 9, 2),
        FollowUpStatus::Employed,
    )
    .await
    .unwrap();
    let running = placement_of(&app, id, "snickeri", d(2024, 10, 1)).await;
    s.add_placement_note(
        running,
        NoteKind::Meeting,
        d(2024, 10, 20),
        Some(&Text::parse("Deltagaren, handledare, handläggare").unwrap()),
        &Text::parse("Mål: maskinsnickeri").unwrap(),
    )
    .await
    .unwrap();
    s.pause_placement(
        running,
        d(2024, 11, 4),
        Some(&Text::parse("Sjukskriven").unwrap()),
    )
    .await
    .unwrap();
    let elsewhere = placement_of(&app, other, "tryckeri", d(2024, 3, 1)).await;
    s.add_placement_note(
        elsewhere,
        NoteKind::Progress,
        d(2024, 3, 5),
        None,
        &Text::parse("Annans anteckning").unwrap(),
    )
    .await
    .unwrap();
    let path = format!("/api/v1/participants/{id}/record");
    let logged = |who: ParticipantId| {
        let s = &s;
        async move { s.access_entries(Some(who), None, 1000, 0).await.unwrap() }
    };
    let reads_before = logged(id).await.len();

    let r = get(&app, &case_worker, &path).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let data = &json_of(&r)["data"];
    let digits = |p: &str| p.chars().filter(char::is_ascii_digit).collect::<String>();
    assert_eq!(data["participant"]["id"], id.get());
    assert_eq!(data["participant"]["personal_number"], digits(&pnr));
    assert_eq!(data["participant"]["first_name"], "Test");
    let placements = data["placements"].as_array().unwrap();
    assert_eq!(placements.len(), 2, "{data}");
    let of = |pid: PlacementId| {
        placements
            .iter()
            .find(|p| p["placement"]["id"] == pid.get())
            .unwrap_or_else(|| panic!("placement {pid:?} missing: {data}"))
    };
    let first = of(ended);
    assert_eq!(first["organisation_name"], "Egen ek. för.");
    assert_eq!(first["notes"][0]["body"], "Kommer i tid till kaféet");
    assert_eq!(first["exit"]["outcome"], "work_unsubsidised");
    assert_eq!(first["exit"]["evidence"], "Anställningsavtal");
    assert_eq!(first["follow_ups"][0]["point"], "3");
    assert_eq!(first["follow_ups"][0]["status"], "employed");
    let second = of(running);
    assert_eq!(second["notes"][0]["kind"], "meeting");
    assert_eq!(
        second["notes"][0]["attendees"],
        "Deltagaren, handledare, handläggare"
    );
    assert_eq!(second["pauses"][0]["reason"], "Sjukskriven");
    assert_eq!(second["exit"], Value::Null);
    // The reads of the data so far are part of the answer.
    assert!(data["access_log"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["purpose"] == "registration"));
    // Nothing of anyone else.
    assert!(!r.body.contains("Annans anteckning"));
    assert!(!r.body.contains(&digits(&other_pnr)) && !r.body.contains(&other_pnr));

    // The export is itself a read, logged with its purpose and route, and audited.
    let reads = logged(id).await;
    assert_eq!(reads.len(), reads_before + 1);
    let export = reads
        .iter()
        .find(|e| e.purpose == "right_of_access_export")
        .expect("the export is logged");
    assert_eq!(export.actor, "token:handlaggning");
    assert_eq!(export.route.as_deref(), Some(path.as_str()));
    assert!(logged(other)
        .await
        .iter()
        .all(|e| e.purpose != "right_of_access_export"));
    let audit = s
        .audit_entries(&vidare_store::audit::AuditFilter {
            entity: Some("participants".into()),
            entity_id: Some(id.to_string()),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(audit.iter().any(|e| e.action == "export"), "{audit:?}");

    // Suppliers, researchers and management are refused, and nothing is logged.
    for (role, name) in [
        (
            Role::SupplierUser {
                organisation_id: app.org,
            },
            "leverantor",
        ),
        (Role::Researcher, "forskare"),
        (Role::Management, "ledning"),
        (Role::ProcurementOfficer, "upphandlare"),
    ] {
        let t = token(&app, app.tenant, role, name).await;
        let r = get(&app, &t, &path).await;
        problem(&r, StatusCode::FORBIDDEN);
        assert!(!r.body.contains("Kommer i tid"), "{name}");
    }
    assert_eq!(
        logged(id).await.len(),
        reads_before + 1,
        "refusals are not reads"
    );
    // Another tenant's case worker, or an unknown id, finds nothing.
    let (t2, _) = second_tenant(&app).await;
    let theirs = token(&app, t2, Role::CaseWorker, "annan").await;
    problem(&get(&app, &theirs, &path).await, StatusCode::NOT_FOUND);
    problem(
        &get(&app, &case_worker, "/api/v1/participants/999999/record").await,
        StatusCode::NOT_FOUND,
    );
    assert_eq!(logged(id).await.len(), reads_before + 1);
}

macro_rules! both {
    ($($name:ident),*) => {
        mod sqlite { $( #[tokio::test] async fn $name() { super::$name(vidare_store::BackendKind::Sqlite).await } )* }
        mod postgres { $( #[tokio::test] async fn $name() { super::$name(vidare_store::BackendKind::Postgres).await } )* }
    };
}

both!(
    tokens_are_tenant_scoped,
    bad_tokens_get_401,
    roles_are_enforced,
    every_bad_field_is_listed,
    malformed_input_is_400,
    duplicates_are_409,
    session_posts_need_the_csrf_header,
    suppliers_see_only_their_own,
    rounds_come_with_their_lots,
    participant_reads_are_logged,
    right_of_access_export
);
