//! The administration pages as an administrator uses them, on both backends: accounts,
//! the audit and access logs with their CSV exports, API tokens and the logo.

mod adminkit;
mod support;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use vidare_domain::model::tenant::{Role, RoleKind};
use vidare_store::audit::AuditFilter;
use vidare_store::repo::auth::secret_hash;
use vidare_store::{Backend, BackendKind, Change, Store};

use adminkit::{multipart, participant, post_multipart, second_tenant, session, user_id, PNG};
use support::{email, hidden_csrf, Browser, TestApp};

fn admin_email() -> String {
    email(RoleKind::TenantAdmin)
}

async fn admin(app: &TestApp) -> (Browser, String) {
    session(&app.db.store, app.tenant, &admin_email()).await
}

/// The newest audit entries of the test tenant.
async fn newest(store: &Store, app: &TestApp, n: u32) -> Vec<vidare_store::audit::AuditEntry> {
    store
        .tenant(app.tenant)
        .audit_entries(&AuditFilter {
            limit: n,
            ..Default::default()
        })
        .await
        .unwrap()
}

/// Signs in through the form, as a person would; returns the status of the answer.
async fn sign_in_status(app: &TestApp, who: &str, password: &str) -> (StatusCode, Browser) {
    let mut b = Browser::default();
    let form = app.get(&mut b, "/logga-in").await;
    let csrf = hidden_csrf(&form.body);
    let r = app
        .post_form(
            &mut b,
            "/logga-in",
            &[
                ("tenant", &app.tenant.get().to_string()),
                ("email", who),
                ("password", password),
            ],
            &csrf,
        )
        .await;
    (r.status, b)
}

async fn accounts(kind: BackendKind) {
    let app = TestApp::new(kind).await;
    let store = &app.db.store;
    let (mut b, csrf) = admin(&app).await;

    let r = app.get(&mut b, "/admin/anvandare").await;
    assert_eq!(r.status, StatusCode::OK);
    for role in RoleKind::ALL {
        assert!(r.body.contains(&email(*role)), "{}", r.body);
    }
    assert!(
        r.body.contains("href=\"/admin\""),
        "the main menu leads here"
    );
    let (mut cw, _) = session(store, app.tenant, &email(RoleKind::CaseWorker)).await;
    assert!(!app
        .get(&mut cw, "/oversikt")
        .await
        .body
        .contains("href=\"/admin\""));
    let r = app.get(&mut b, "/admin").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.headers["location"], "/admin/anvandare");

    // Every field wrong at once: each named, nothing written, the password not echoed.
    let users_before = store.tenant(app.tenant).list_users().await.unwrap().len();
    let r = app
        .post_form(
            &mut b,
            "/admin/anvandare",
            &[
                ("email", "inte-en-adress"),
                ("name", "  "),
                ("role", "root"),
                ("password", "hemligt-kort"),
            ],
            &csrf,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    for text in [
        "Ange en e-postadress",
        "Fältet får inte vara tomt",
        "Välj en av rollerna",
        "href=\"#email\"",
        "href=\"#name\"",
        "href=\"#role\"",
        "aria-invalid=\"true\"",
        "value=\"inte-en-adress\"",
    ] {
        assert!(r.body.contains(text), "{text}: {}", r.body);
    }
    assert!(!r.body.contains("hemligt-kort"));
    let r = app
        .post_form(
            &mut b,
            "/admin/anvandare",
            &[
                ("email", "kort@test.example"),
                ("name", "Kort"),
                ("role", "researcher"),
                ("password", "kort"),
            ],
            &csrf,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("minst 12 tecken"), "{}", r.body);

    // A supplier user needs one of this tenant's organisations.
    let other = second_tenant(store).await;
    let foreign_org = store
        .tenant(other)
        .insert_organisation(&vidare_domain::model::organisation::NewOrganisation {
            org_number: vidare_domain::orgnr::OrganisationNumber::from_payload([
                8, 0, 2, 0, 0, 0, 1, 1, 1,
            ])
            .unwrap(),
            name: vidare_domain::model::Text::parse("Främmande förening").unwrap(),
            legal_form: vidare_domain::model::organisation::LegalForm::EconomicAssociation,
            idea_driven: true,
            in_idea_driven_register: false,
            headcount: None,
            annual_turnover: None,
            email: None,
            synthetic: true,
        })
        .await
        .unwrap();
    for org in [String::new(), foreign_org.get().to_string(), "x".into()] {
        let r = app
            .post_form(
                &mut b,
                "/admin/anvandare",
                &[
                    ("email", "lev@test.example"),
                    ("name", "Leverantör"),
                    ("role", "supplier_user"),
                    ("organisation", &org),
                    ("password", "ett långt lösenord"),
                ],
                &csrf,
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "org {org:?}");
        assert!(
            r.body.contains("måste höra till en organisation"),
            "{}",
            r.body
        );
        assert!(!r.body.contains("Främmande förening"));
    }
    // The same e-mail (in another case) is refused on the e-mail field.
    let r = app
        .post_form(
            &mut b,
            "/admin/anvandare",
            &[
                ("email", &email(RoleKind::CaseWorker).to_uppercase()),
                ("name", "Dubblett"),
                ("role", "case_worker"),
                ("password", "ett långt lösenord"),
            ],
            &csrf,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body
            .contains("Det finns redan ett konto med den e-postadressen"),
        "{}",
        r.body
    );
    assert!(r.body.contains("id=\"email-error\""));
    assert_eq!(
        store.tenant(app.tenant).list_users().await.unwrap().len(),
        users_before
    );

    // In English when the user reads English.
    b.cookies.push(("vidare_lang".into(), "en".into()));
    let r = app
        .post_form(
            &mut b,
            "/admin/anvandare",
            &[
                ("email", "nope"),
                ("name", "X"),
                ("role", "researcher"),
                ("password", "ett långt lösenord"),
            ],
            &csrf,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Enter an e-mail address"), "{}", r.body);
    b.cookies.retain(|(k, _)| k != "vidare_lang");

    // Created: listed, can sign in, audited as the administrator without the password.
    let r = app
        .post_form(
            &mut b,
            "/admin/anvandare",
            &[
                ("email", " Lev@Test.Example "),
                ("name", "Lena Leverantör"),
                ("role", "supplier_user"),
                ("organisation", &app.org.get().to_string()),
                ("password", "ett långt lösenord"),
            ],
            &csrf,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = app
        .get(&mut b, r.headers["location"].to_str().unwrap())
        .await;
    assert!(r.body.contains("Kontot är skapat"));
    assert!(r.body.contains("lev@test.example") && r.body.contains("Egen ek. för."));
    let new_id = user_id(store, app.tenant, "lev@test.example").await;
    let entry = &newest(store, &app, 1).await[0];
    assert_eq!(
        (
            entry.action.as_str(),
            entry.entity.as_str(),
            entry.actor.as_str()
        ),
        ("create", "users", admin_email().as_str())
    );
    assert_eq!(
        entry.entity_id.as_deref(),
        Some(new_id.get().to_string().as_str())
    );
    let after = entry.after_json.as_deref().unwrap();
    assert!(
        after.contains("supplier_user") && !after.contains("argon2"),
        "{after}"
    );
    let (status, mut lev) = sign_in_status(&app, "lev@test.example", "ett långt lösenord").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(app.get(&mut lev, "/portal").await.status, StatusCode::OK);

    // Name and role: changed and audited with before and after.
    let url = format!("/admin/anvandare/{}", new_id.get());
    let r = app.get(&mut b, &url).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Lena Leverantör"));
    let r = app
        .post_form(&mut b, &url, &[("name", ""), ("role", "management")], &csrf)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post_form(
            &mut b,
            &url,
            &[
                ("name", "Lena Ledning"),
                ("role", "management"),
                ("organisation", &app.org.get().to_string()),
            ],
            &csrf,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let u = store.tenant(app.tenant).get_user(new_id).await.unwrap();
    assert_eq!(
        (u.display_name.as_str(), u.role),
        ("Lena Ledning", Role::Management)
    );
    let entry = &newest(store, &app, 1).await[0];
    assert_eq!(entry.action, "update");
    assert!(entry
        .before_json
        .as_deref()
        .unwrap()
        .contains("supplier_user"));
    assert!(entry.after_json.as_deref().unwrap().contains("management"));
    // The role applies at once: the portal is a supplier's.
    assert_eq!(
        app.get(&mut lev, "/portal").await.status,
        StatusCode::FORBIDDEN
    );

    // An administrator cannot lock themselves out.
    let own = format!(
        "/admin/anvandare/{}",
        user_id(store, app.tenant, &admin_email()).await.get()
    );
    let r = app
        .post_form(
            &mut b,
            &own,
            &[("name", "Jag"), ("role", "researcher")],
            &csrf,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("administratörsrollen"), "{}", r.body);
    let r = app
        .post_form(
            &mut b,
            &format!("{own}/aktiv"),
            &[("aktiv", "false")],
            &csrf,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("ditt eget konto"), "{}", r.body);
    let r = app
        .post_form(
            &mut b,
            &format!("{own}/losenord"),
            &[("password", "ett nytt långt lösenord")],
            &csrf,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.get(&mut b, "/admin/anvandare").await.status,
        StatusCode::OK
    );

    // Disabled: the session ends and sign-in fails; enabled again: it works.
    let r = app
        .post_form(
            &mut b,
            &format!("{url}/aktiv"),
            &[("aktiv", "kanske")],
            &csrf,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post_form(
            &mut b,
            &format!("{url}/aktiv"),
            &[("aktiv", "false")],
            &csrf,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        !store
            .tenant(app.tenant)
            .get_user(new_id)
            .await
            .unwrap()
            .active
    );
    assert_eq!(
        app.get(&mut lev, "/oversikt").await.status,
        StatusCode::SEE_OTHER
    );
    let (status, _) = sign_in_status(&app, "lev@test.example", "ett långt lösenord").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let r = app
        .post_form(&mut b, &format!("{url}/aktiv"), &[("aktiv", "true")], &csrf)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let (status, mut lev) = sign_in_status(&app, "lev@test.example", "ett långt lösenord").await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    // A new password: too short refused; set, it ends the sessions and works.
    let r = app
        .post_form(
            &mut b,
            &format!("{url}/losenord"),
            &[("password", "kort")],
            &csrf,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("minst 12 tecken"));
    let r = app
        .post_form(
            &mut b,
            &format!("{url}/losenord"),
            &[("password", "återställt lösenord")],
            &csrf,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.get(&mut lev, "/oversikt").await.status,
        StatusCode::SEE_OTHER
    );
    let (status, _) = sign_in_status(&app, "lev@test.example", "återställt lösenord").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(newest(store, &app, 2).await[1].action, "password_reset");

    // Someone else's or no one's account is not found.
    let r = app.get(&mut b, "/admin/anvandare/987654").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

async fn audit_log(kind: BackendKind) {
    let app = TestApp::new(kind).await;
    let store = &app.db.store;
    let s = store.tenant(app.tenant);
    for i in 0..60 {
        s.audit(Change::action("test", "probe", Some(i.to_string()), None))
            .await
            .unwrap();
    }
    let (mut b, _) = admin(&app).await;

    let r = app.get(&mut b, "/admin/granskningslogg").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains("Granskningsloggen är obruten"),
        "{}",
        r.body
    );
    assert!(r.body.contains("granskningslogg?sida=2"), "paged");
    let r = app.get(&mut b, "/admin/granskningslogg?sida=2").await;
    assert!(r.body.contains("granskningslogg?sida=1"));
    assert!(!r.body.contains("sida=3"));

    let r = app
        .get(&mut b, "/admin/granskningslogg?entitet=users")
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("<td>users</td>") && !r.body.contains("<td>probe</td>"));
    let r = app
        .get(&mut b, "/admin/granskningslogg?entitet=probe&id=7")
        .await;
    assert_eq!(r.body.matches("<td>probe</td>").count(), 1, "{}", r.body);
    let r = app
        .get(
            &mut b,
            &format!(
                "/admin/granskningslogg?aktor={}",
                admin_email().to_uppercase()
            ),
        )
        .await;
    assert!(r.body.contains("<td>sign_in</td>") && !r.body.contains("<td>probe</td>"));
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Stockholm)
        .date_naive();
    let r = app
        .get(
            &mut b,
            &format!("/admin/granskningslogg?entitet=probe&fran={today}&till={today}"),
        )
        .await;
    assert_eq!(r.body.matches("<td>probe</td>").count(), 50);
    let r = app
        .get(
            &mut b,
            "/admin/granskningslogg?fran=2000-01-01&till=2000-01-31",
        )
        .await;
    assert!(r.body.contains("Inga poster matchar"));
    let r = app
        .get(&mut b, "/admin/granskningslogg?fran=2026-13-01")
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("ÅÅÅÅ-MM-DD") && r.body.contains("href=\"#fran\""));
    let r = app
        .get(
            &mut b,
            "/admin/granskningslogg?fran=2026-02-01&till=2026-01-01",
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // CSV: what Swedish Excel opens, and the export is itself in the log.
    let users_entries = s
        .audit_entries(&AuditFilter {
            entity: Some("users".into()),
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .len();
    let r = app
        .get(&mut b, "/admin/granskningslogg.csv?entitet=users")
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    assert!(r.headers[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .contains("granskningslogg.csv"));
    assert!(
        r.body
            .starts_with("\u{feff}nr;tid;aktör;händelse;post;id;före;efter\r\n"),
        "{:?}",
        &r.body[..80]
    );
    let lines: Vec<&str> = r.body.trim_end_matches("\r\n").split("\r\n").collect();
    assert_eq!(lines.len(), 1 + users_entries, "{}", r.body);
    let created = lines
        .iter()
        .find(|l| l.contains(";create;users;"))
        .expect("a created account");
    // JSON cells hold quotes, so they are quoted with the quotes doubled.
    assert!(created.contains(";\"{\"\""), "{created}");
    assert!(!r.body.replace("\r\n", "").contains('\n'));
    let export = &newest(store, &app, 1).await[0];
    assert_eq!(
        (export.action.as_str(), export.entity.as_str()),
        ("export", "audit_log")
    );
    assert!(export
        .after_json
        .as_deref()
        .unwrap()
        .contains("\"entity\":\"users\""));
    let r = app
        .get(&mut b, "/admin/granskningslogg.csv?till=igår")
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Someone with database access rewrites an entry: the page says so and names it.
    let drop_guard = match store.kind() {
        BackendKind::Sqlite => "DROP TRIGGER audit_log_no_update",
        BackendKind::Postgres => "DROP TRIGGER audit_log_no_change ON audit_log",
    };
    let tamper = "UPDATE audit_log SET actor = 'mallory' WHERE tenant_id = $1 AND seq = 5";
    match store.backend() {
        Backend::Sqlite(pool) => {
            sqlx::query(drop_guard).execute(pool).await.unwrap();
            sqlx::query(tamper)
                .bind(app.tenant.get())
                .execute(pool)
                .await
                .unwrap();
        }
        Backend::Postgres(pool) => {
            sqlx::query(drop_guard).execute(pool).await.unwrap();
            sqlx::query(tamper)
                .bind(app.tenant.get())
                .execute(pool)
                .await
                .unwrap();
        }
    }
    let r = app.get(&mut b, "/admin/granskningslogg").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains("Granskningsloggen har ändrats"),
        "{}",
        r.body
    );
    assert!(
        r.body.contains("Post 5: har ändrats efter att den skrevs"),
        "{}",
        r.body
    );
}

async fn access_log(kind: BackendKind) {
    let app = TestApp::new(kind).await;
    let store = &app.db.store;
    let p = participant(store, app.tenant, 31).await;
    let q = participant(store, app.tenant, 32).await;
    let (mut cw, _) = session(store, app.tenant, &email(RoleKind::CaseWorker)).await;
    assert_eq!(
        app.get(&mut cw, &format!("/deltagare/{}", p.get()))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(app.get(&mut cw, "/deltagare").await.status, StatusCode::OK);
    let (mut b, _) = admin(&app).await;

    let r = app.get(&mut b, "/admin/atkomstlogg").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.body.matches("case_worker@test.example").count(),
        3 + 1,
        "three reads, and the user choice"
    );
    assert!(r.body.contains("Deltagarakt") && r.body.contains("Deltagarlista"));
    let r = app
        .get(&mut b, &format!("/admin/atkomstlogg?deltagare={}", q.get()))
        .await;
    assert_eq!(r.body.matches("<td>Deltagarlista</td>").count(), 1);
    assert!(!r.body.contains("Deltagarakt"));
    let admin_id = user_id(store, app.tenant, &admin_email()).await;
    let r = app
        .get(
            &mut b,
            &format!("/admin/atkomstlogg?anvandare={}", admin_id.get()),
        )
        .await;
    assert!(r.body.contains("Inga poster matchar"));
    let r = app.get(&mut b, "/admin/atkomstlogg?deltagare=abc").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("bara siffror"));

    let r = app
        .get(
            &mut b,
            &format!("/admin/atkomstlogg.csv?deltagare={}", p.get()),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r
        .body
        .starts_with("\u{feff}tid;användare;användar-id;deltagare;syfte;sida\r\n"));
    let lines: Vec<&str> = r.body.trim_end_matches("\r\n").split("\r\n").collect();
    assert_eq!(lines.len(), 3, "{}", r.body);
    assert!(lines
        .iter()
        .skip(1)
        .all(|l| l.contains(&format!(";{};", p.get()))));
    let export = &newest(store, &app, 1).await[0];
    assert_eq!(
        (export.action.as_str(), export.entity.as_str()),
        ("export", "access_log")
    );
    // The log shows ids, never identity numbers.
    assert!(!r.body.contains("19900517"));
}

/// Entries about a participant hold their record until it is redacted: the audit log's
/// page, its CSV download and its API each record who read them in the access log.
/// Once the participant is anonymised, neither shows their data, and reading their
/// emptied entries is no read of personal data.
async fn audit_log_reads_are_access_logged(kind: BackendKind) {
    use vidare_domain::ids::ParticipantId;
    use vidare_domain::model::participant::{
        Covariates, EducationLevel, Gender, NewParticipant, SwedishLevel,
    };
    use vidare_domain::model::Text;
    use vidare_domain::personnummer::{IdentityKind, PersonalIdentityNumber};

    let app = TestApp::new(kind).await;
    let store = &app.db.store;
    let s = store.tenant(app.tenant);
    let day = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
    let pnr = PersonalIdentityNumber::from_parts(day(1979, 11, 2), 41, IdentityKind::Personnummer)
        .unwrap();
    let greta = s
        .register_participant(
            &NewParticipant {
                personal_number: pnr,
                first_name: Text::parse("Greta").unwrap(),
                last_name: Text::parse("Granskad").unwrap(),
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
            },
            day(2019, 4, 1),
        )
        .await
        .unwrap();
    let other = participant(store, app.tenant, 42).await;
    let reads = |p: ParticipantId| async move {
        store
            .tenant(app.tenant)
            .access_entries(Some(p), None, 100, 0)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.purpose == "audit_log")
            .map(|e| e.route.unwrap_or_default())
            .collect::<Vec<_>>()
    };
    let (mut b, _) = admin(&app).await;

    // A page without entries about participants records nothing.
    let r = app
        .get(&mut b, "/admin/granskningslogg?entitet=users")
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(reads(greta).await.is_empty());
    // The page of Greta's entries records her, and only her.
    let r = app
        .get(
            &mut b,
            &format!(
                "/admin/granskningslogg?entitet=participants&id={}",
                greta.get()
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Granskad"), "{}", r.body);
    assert!(
        !r.body.contains(&pnr.canonical()[..8]),
        "no birth date in the log"
    );
    assert_eq!(reads(greta).await, vec!["/admin/granskningslogg"]);
    assert!(reads(other).await.is_empty());
    // The whole log as CSV records everyone in it.
    let r = app.get(&mut b, "/admin/granskningslogg.csv").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Granskad"));
    assert_eq!(
        reads(greta).await,
        vec!["/admin/granskningslogg.csv", "/admin/granskningslogg"]
    );
    assert_eq!(reads(other).await, vec!["/admin/granskningslogg.csv"]);
    // The API too.
    let secret = "vdr_granskning_admin";
    s.create_api_token(
        &Text::parse("granskning").unwrap(),
        &secret_hash(secret),
        Role::TenantAdmin,
        None,
    )
    .await
    .unwrap();
    let api = |path: String| {
        Request::get(path)
            .header(header::AUTHORIZATION, format!("Bearer {secret}"))
            .body(Body::empty())
            .unwrap()
    };
    let r = app
        .send(
            &mut Browser::default(),
            api(format!(
                "/api/v1/audit?entity=participants&entity_id={}",
                greta.get()
            )),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let entry = &body["data"][0];
    assert_eq!(entry["participant_id"], greta.get());
    assert_eq!(entry["after"]["participant"]["last_name"], "Granskad");
    assert_eq!(entry["hash_version"], 2);
    assert!(entry["payload_digest"].as_str().unwrap().len() == 64);
    assert_eq!(reads(greta).await[0], "/api/v1/audit");
    // The access log names the purpose.
    let r = app
        .get(
            &mut b,
            &format!("/admin/atkomstlogg?deltagare={}", greta.get()),
        )
        .await;
    assert_eq!(
        r.body.matches("<td>Granskningslogg</td>").count(),
        3,
        "{}",
        r.body
    );

    // After anonymisation: the entries say they were redacted, nothing personal shows,
    // and reading them records nothing.
    let today = chrono::Utc::now().date_naive();
    assert_eq!(
        s.anonymise_participants(day(2021, 1, 1), today)
            .await
            .unwrap(),
        vec![greta]
    );
    let before = reads(greta).await.len();
    let r = app
        .get(
            &mut b,
            &format!(
                "/admin/granskningslogg?entitet=participants&id={}",
                greta.get()
            ),
        )
        .await;
    assert!(
        !r.body.contains("Greta") && !r.body.contains("Granskad"),
        "{}",
        r.body
    );
    assert!(
        r.body.contains("Personuppgifterna är gallrade av post"),
        "{}",
        r.body
    );
    let r = app.get(&mut b, "/admin/granskningslogg.csv").await;
    assert!(
        !r.body.contains("Greta") && !r.body.contains("Granskad"),
        "{}",
        r.body
    );
    assert!(r.body.contains("Personuppgifterna är gallrade av post"));
    let r = app
        .send(
            &mut Browser::default(),
            api(format!(
                "/api/v1/audit?entity=participants&entity_id={}",
                greta.get()
            )),
        )
        .await;
    let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let registered = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "create")
        .unwrap();
    assert!(registered["after"].is_null() && registered["before"].is_null());
    assert!(registered["redacted_by"].as_i64().unwrap() > registered["seq"].as_i64().unwrap());
    assert!(!r.body.contains("Granskad"));
    assert_eq!(
        reads(greta).await.len(),
        before,
        "nothing personal was read"
    );
    // The chain is intact.
    let r = app.get(&mut b, "/admin/granskningslogg").await;
    assert!(
        r.body.contains("Granskningsloggen är obruten"),
        "{}",
        r.body
    );
}

/// The retention period: five years unless the administrator sets another, on the page
/// or through the API; bad input is refused naming the field and changes nothing; every
/// change is audited; the page and the API show today's cut-off and who is past it.
async fn retention_period(kind: BackendKind) {
    use vidare_domain::deadline::stockholm_today;
    use vidare_domain::model::participant::{
        Covariates, EducationLevel, Gender, NewParticipant, SwedishLevel,
    };
    use vidare_domain::model::Text;
    use vidare_domain::personnummer::{IdentityKind, PersonalIdentityNumber};
    use vidare_store::repo::tenants::retention_cutoff;

    let app = TestApp::new(kind).await;
    let store = &app.db.store;
    let s = store.tenant(app.tenant);
    let today = stockholm_today(chrono::Utc::now());
    // Registered eight and three years ago, never placed.
    for (serial, years_ago) in [(51u16, 8u32), (52, 3)] {
        s.register_participant(
            &NewParticipant {
                personal_number: PersonalIdentityNumber::from_parts(
                    chrono::NaiveDate::from_ymd_opt(1985, 1, 9).unwrap(),
                    serial,
                    IdentityKind::Personnummer,
                )
                .unwrap(),
                first_name: Text::parse("Rut").unwrap(),
                last_name: Text::parse("Retention").unwrap(),
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
            },
            retention_cutoff(today, years_ago),
        )
        .await
        .unwrap();
    }
    let (mut b, csrf) = admin(&app).await;
    let r = app.get(&mut b, "/admin/gallring").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("<dd>5 år</dd>"), "{}", r.body);
    assert!(r
        .body
        .contains(&format!("<dd>{}</dd>", retention_cutoff(today, 5))));
    assert!(
        r.body.contains("<dd>1</dd>"),
        "one past five years: {}",
        r.body
    );
    assert!(r
        .body
        .contains("href=\"/admin/gallring\" aria-current=\"page\""));

    let head = newest(store, &app, 1).await[0].seq;
    for (value, message) in [
        ("", "helt antal år"),
        ("fem", "helt antal år"),
        ("0", "mellan 1 och 50"),
        ("51", "mellan 1 och 50"),
    ] {
        let r = app
            .post_form(
                &mut b,
                "/admin/gallring",
                &[("retention_years", value)],
                &csrf,
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{value:?}");
        assert!(r.body.contains(message), "{value:?}: {}", r.body);
        assert!(r.body.contains("href=\"#retention_years\""), "{}", r.body);
        assert!(
            r.body.contains(&format!("value=\"{value}\"")),
            "kept: {}",
            r.body
        );
    }
    assert_eq!(s.retention_years().await.unwrap(), 5);
    assert_eq!(newest(store, &app, 1).await[0].seq, head, "nothing written");

    let r = app
        .post_form(
            &mut b,
            "/admin/gallring",
            &[("retention_years", " 2 ")],
            &csrf,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = app.get(&mut b, "/admin/gallring?sparad=1").await;
    assert!(r.body.contains("Gallringsfristen är sparad."));
    assert!(
        r.body.contains("<dd>2 år</dd>") && r.body.contains("<dd>2</dd>"),
        "{}",
        r.body
    );
    let e = &newest(store, &app, 1).await[0];
    assert_eq!(
        (e.action.as_str(), e.entity.as_str()),
        ("update", "tenants")
    );
    assert_eq!(e.before_json.as_deref(), Some("{\"retention_years\":5}"));
    assert_eq!(e.after_json.as_deref(), Some("{\"retention_years\":2}"));
    assert_eq!(e.actor, admin_email());

    // The API.
    let secret = "vdr_gallring_admin";
    s.create_api_token(
        &Text::parse("gallring").unwrap(),
        &secret_hash(secret),
        Role::TenantAdmin,
        None,
    )
    .await
    .unwrap();
    let call = |method: &str, body: Option<&str>| {
        let mut r = Request::builder()
            .method(method)
            .uri("/api/v1/retention")
            .header(header::AUTHORIZATION, format!("Bearer {secret}"));
        if body.is_some() {
            r = r.header(header::CONTENT_TYPE, "application/json");
        }
        r.body(Body::from(body.unwrap_or("").to_string())).unwrap()
    };
    let r = app.send(&mut Browser::default(), call("GET", None)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["data"]["retention_years"], 2);
    assert_eq!(v["data"]["cutoff"], retention_cutoff(today, 2).to_string());
    assert_eq!(v["data"]["due"], 2);
    for body in [
        r#"{"retention_years": 0}"#,
        r#"{"retention_years": 51}"#,
        "{}",
    ] {
        let r = app
            .send(&mut Browser::default(), call("POST", Some(body)))
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            r.body
        );
        let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(
            v["errors"][0]["field"], "retention_years",
            "{body}: {}",
            r.body
        );
    }
    let r = app
        .send(
            &mut Browser::default(),
            call("POST", Some(r#"{"retention_years": "sju"}"#)),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(s.retention_years().await.unwrap(), 2);
    let r = app
        .send(
            &mut Browser::default(),
            call("POST", Some(r#"{"retention_years": 7}"#)),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["data"]["retention_years"], 7);
    assert_eq!(v["data"]["due"], 1);
    let e = &newest(store, &app, 1).await[0];
    assert_eq!(e.after_json.as_deref(), Some("{\"retention_years\":7}"));
    assert_eq!(e.actor, "token:gallring");
}

async fn api_tokens(kind: BackendKind) {
    let app = TestApp::new(kind).await;
    let store = &app.db.store;
    let (mut b, csrf) = admin(&app).await;
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(2))
        .date_naive()
        .to_string();

    for (fields, message) in [
        (
            vec![("name", ""), ("role", "researcher")],
            "får inte vara tomt",
        ),
        (
            vec![("name", "Lev"), ("role", "supplier_user")],
            "måste höra till en organisation",
        ),
        (
            vec![
                ("name", "Gammal"),
                ("role", "researcher"),
                ("expires", "2020-01-01"),
            ],
            "redan passerat",
        ),
        (
            vec![
                ("name", "Fel"),
                ("role", "researcher"),
                ("expires", "31/12"),
            ],
            "ÅÅÅÅ-MM-DD",
        ),
        (
            vec![("name", "Fel"), ("role", "gud")],
            "Välj en av rollerna",
        ),
    ] {
        let r = app
            .post_form(&mut b, "/admin/api-nycklar", &fields, &csrf)
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{fields:?}");
        assert!(r.body.contains(message), "{message}: {}", r.body);
    }
    assert!(store
        .tenant(app.tenant)
        .list_api_tokens()
        .await
        .unwrap()
        .is_empty());

    let r = app
        .post_form(
            &mut b,
            "/admin/api-nycklar",
            &[
                ("name", "Ekonomisystemet"),
                ("role", "researcher"),
                ("expires", &tomorrow),
            ],
            &csrf,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.headers[header::CACHE_CONTROL], "no-store");
    let i = r.body.find("value=\"vdr_").expect("the secret is shown") + "value=\"".len();
    let secret = r.body[i..i + r.body[i..].find('"').unwrap()].to_string();
    assert_eq!(secret.len(), 4 + 64);
    let me = app
        .send(
            &mut Browser::default(),
            Request::get("/api/v1/me")
                .header(header::AUTHORIZATION, format!("Bearer {secret}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    // Shown once: not on the list, not in the log.
    let r = app.get(&mut b, "/admin/api-nycklar").await;
    assert!(r.body.contains("Ekonomisystemet") && !r.body.contains(&secret));
    assert!(r.body.contains("Aktiv"));
    for e in newest(store, &app, 100).await {
        assert!(!format!("{e:?}").contains(&secret[4..]));
    }
    let token = store.tenant(app.tenant).list_api_tokens().await.unwrap()[0].clone();
    assert!(token.expires_at.is_some());

    let path = format!("/admin/api-nycklar/{}/aterkalla", token.id);
    let r = app.post_form(&mut b, &path, &[], &csrf).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(store
        .api_token(&secret_hash(&secret))
        .await
        .unwrap()
        .is_none());
    let me = app
        .send(
            &mut Browser::default(),
            Request::get("/api/v1/me")
                .header(header::AUTHORIZATION, format!("Bearer {secret}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED);
    assert!(app
        .get(&mut b, "/admin/api-nycklar?klart=aterkallad")
        .await
        .body
        .contains("Återkallad"));
    let r = app.post_form(&mut b, &path, &[], &csrf).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // A supplier token is limited to its organisation.
    let r = app
        .post_form(
            &mut b,
            "/admin/api-nycklar",
            &[
                ("name", "Leverantörens system"),
                ("role", "supplier_user"),
                ("organisation", &app.org.get().to_string()),
            ],
            &csrf,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let t = store.tenant(app.tenant).list_api_tokens().await.unwrap();
    assert_eq!(
        t[0].role,
        Role::SupplierUser {
            organisation_id: app.org
        }
    );
}

async fn logo(kind: BackendKind) {
    let app = TestApp::new(kind).await;
    let store = &app.db.store;
    let (mut b, csrf) = admin(&app).await;
    let r = app.get(&mut b, "/admin/logotyp").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("enctype=\"multipart/form-data\""));
    assert!(r.body.contains("Ingen logotyp"));

    let upload = |bytes: Vec<u8>, filename: &'static str, ct: &'static str| {
        multipart(&[
            ("_csrf", None, csrf.as_bytes()),
            ("logo", Some((filename, ct)), bytes.as_slice()),
        ])
    };
    let (ct, body) = upload(PNG.to_vec(), "logo.png", "image/png");
    let r = post_multipart(&app, &mut b, "/admin/logotyp", &ct, body).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let mut anon = Browser::default();
    let r = app
        .get(&mut anon, &format!("/logo/{}", app.tenant.get()))
        .await;
    assert_eq!(r.headers[header::CONTENT_TYPE], "image/png");
    assert_eq!(
        store.tenant_logo(app.tenant).await.unwrap(),
        Some(("image/png".to_string(), PNG.to_vec()))
    );
    assert_eq!(newest(store, &app, 1).await[0].entity, "tenants");

    // Judged by content: an SVG sent as "application/octet-stream" is an SVG.
    let svg = b"<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 10 10\"><rect width=\"10\" height=\"10\"/></svg>\n";
    let (ct, body) = upload(svg.to_vec(), "logo.svg", "application/octet-stream");
    let r = post_multipart(&app, &mut b, "/admin/logotyp", &ct, body).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        store.tenant_logo(app.tenant).await.unwrap().unwrap().0,
        "image/svg+xml"
    );

    // Refusals name the field and keep the logo as it was.
    let mut big = PNG.to_vec();
    big.resize(256 * 1024 + 1, 0);
    for (bytes, name, ct, message) in [
        (
            b"GIF89a\x01\x00".to_vec(),
            "logo.gif",
            "image/gif",
            "varken PNG eller SVG",
        ),
        (
            b"GIF89a".to_vec(),
            "logo.png",
            "image/png",
            "varken PNG eller SVG",
        ),
        (big, "stor.png", "image/png", "större än 256 kB"),
        (Vec::new(), "", "application/octet-stream", "Välj en fil"),
    ] {
        let (ct, body) = upload(bytes, name, ct);
        let r = post_multipart(&app, &mut b, "/admin/logotyp", &ct, body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{message}");
        assert!(r.body.contains(message), "{message}: {}", r.body);
        assert!(r.body.contains("href=\"#logo\""));
        assert_eq!(
            store.tenant_logo(app.tenant).await.unwrap().unwrap().0,
            "image/svg+xml"
        );
    }
    // Exactly at the limit is accepted.
    let mut limit = PNG.to_vec();
    limit.resize(256 * 1024, 0);
    let (ct, body) = upload(limit, "logo.png", "image/png");
    let r = post_multipart(&app, &mut b, "/admin/logotyp", &ct, body).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);

    let r = app
        .post_form(&mut b, "/admin/logotyp/ta-bort", &[], &csrf)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(store.tenant_logo(app.tenant).await.unwrap().is_none());
}

macro_rules! both {
    ($($name:ident),*) => {
        mod sqlite { $( #[tokio::test] async fn $name() { super::$name(vidare_store::BackendKind::Sqlite).await } )* }
        mod postgres { $( #[tokio::test] async fn $name() { super::$name(vidare_store::BackendKind::Postgres).await } )* }
    };
}

both!(
    accounts,
    audit_log,
    access_log,
    audit_log_reads_are_access_logged,
    retention_period,
    api_tokens,
    logo
);
