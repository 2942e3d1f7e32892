//! Personal data leaves the audit log with the participant, and the log still proves
//! itself: after anonymisation no entry holds the participant's name, identity number
//! or free text, `verify_audit` still passes, and editing, emptying or deleting an
//! entry — redacted or not — is still found. Logs written before migration 0014 are
//! converted (an intact chain) or kept as they are (a broken one) and verify as before.
//! Both backends.

use chrono::{NaiveDate, TimeZone, Utc};
use vidare_domain::ids::*;
use vidare_domain::model::organisation::{Headcount, LegalForm, NewOrganisation};
use vidare_domain::model::participant::{
    Covariates, EducationLevel, Gender, NewParticipant, SwedishLevel,
};
use vidare_domain::model::placement::WeeklyMinutes;
use vidare_domain::model::placement::{ExitOutcome, FollowUpPoint, FollowUpStatus, NoteKind};
use vidare_domain::model::procurement::AbsenceRule;
use vidare_domain::model::{Slug, Text};
use vidare_domain::money::Money;
use vidare_domain::orgnr::OrganisationNumber;
use vidare_domain::period::DateRange;
use vidare_domain::personnummer::{IdentityKind, PersonalIdentityNumber};
use vidare_store::audit::{AuditEntry, AuditFilter, ProblemKind};
use vidare_store::repo::casework::PlacementTerms;
use vidare_store::repo::placements::NewReferral;
use vidare_store::repo::procurement::{NewAgreement, NewPlacementType};
use vidare_store::repo::tenants::NewTenant;
use vidare_store::testing::TestDb;
use vidare_store::{BackendKind, Scoped, Store};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn text(s: &str) -> Text {
    Text::parse(s).unwrap()
}

fn pnr(serial: u16) -> PersonalIdentityNumber {
    PersonalIdentityNumber::from_parts(d(1988, 3, 14), serial, IdentityKind::Personnummer).unwrap()
}

fn person(serial: u16, first: &str, last: &str) -> NewParticipant {
    NewParticipant {
        personal_number: pnr(serial),
        first_name: text(first),
        last_name: text(last),
        covariates: Covariates {
            gender: Gender::Female,
            born_abroad: false,
            education: EducationLevel::Primary,
            months_on_income_support: 24,
            health_limitation: true,
            swedish_level: SwedishLevel::Basic,
            prior_work_experience: false,
        },
        synthetic: true,
    }
}

/// Every entry of the tenant's log, oldest first.
async fn all_entries(s: &Scoped<'_>) -> Vec<AuditEntry> {
    let mut e = s
        .audit_entries(&AuditFilter {
            limit: 100_000,
            ..Default::default()
        })
        .await
        .unwrap();
    e.reverse();
    e
}

/// Every stored text of an entry, as one string.
fn everything(e: &AuditEntry) -> String {
    format!(
        "{} {} {} {} {} {}",
        e.actor,
        e.action,
        e.entity,
        e.entity_id.as_deref().unwrap_or(""),
        e.before_json.as_deref().unwrap_or(""),
        e.after_json.as_deref().unwrap_or("")
    )
}

/// Runs a statement on the writer.
async fn exec(store: &Store, sql: &str) {
    vidare_store::with_writer!(store, |pool| {
        sqlx::query(sql).execute(pool).await.unwrap();
    });
}

/// Removes the append-only guard, as someone with full database access could.
async fn drop_guard(store: &Store) {
    match store.kind() {
        BackendKind::Sqlite => {
            exec(store, "DROP TRIGGER audit_log_no_update").await;
            exec(store, "DROP TRIGGER audit_log_no_delete").await;
        }
        BackendKind::Postgres => exec(store, "DROP TRIGGER audit_log_no_change ON audit_log").await,
    }
}

/// `(seq, problem)` of every problem `verify_audit` finds in tenant `t`.
async fn problems(store: &Store, t: TenantId) -> Vec<(i64, ProblemKind)> {
    store
        .tenant(t)
        .verify_audit()
        .await
        .unwrap()
        .problems
        .into_iter()
        .map(|p| (p.seq, p.problem))
        .collect()
}

/// The texts that must not survive anonymisation anywhere in the log.
const SECRETS: &[&str] = &[
    "Alva",
    "Bergström",
    "Behöver stöd efter lång sjukskrivning",
    "Truckkort och arbetsträning",
    "Alva och hennes mamma Karin",
    "Alva berättade om sin ångest",
    "Sjukskriven för utmattning",
    "Anställningsavtal Snickarglädje",
    "Avböjd: passar inte gruppen",
];

async fn anonymisation_empties_the_log_and_keeps_its_proof(db: TestDb) {
    let store = &db.store;
    let tenant = store
        .insert_tenant(&NewTenant {
            slug: Slug::parse("gallring").unwrap(),
            name: text("Gallringskommun"),
            municipality_code: None,
            synthetic: true,
        })
        .await
        .unwrap();
    let s = store.tenant(tenant);
    let org = s
        .insert_organisation(&NewOrganisation {
            org_number: OrganisationNumber::from_payload([7, 6, 9, 6, 0, 0, 1, 2, 3]).unwrap(),
            name: text("Snickarglädje ekonomisk förening"),
            legal_form: LegalForm::EconomicAssociation,
            idea_driven: true,
            in_idea_driven_register: false,
            headcount: Some(Headcount::new(10, 5).unwrap()),
            annual_turnover: None,
            email: None,
            synthetic: true,
        })
        .await
        .unwrap();
    let pt = s
        .insert_placement_type(&NewPlacementType {
            code: Slug::parse("carpentry").unwrap(),
            name_sv: text("Snickeri"),
            name_en: text("Carpentry"),
        })
        .await
        .unwrap();
    let agreement = s
        .insert_agreement(&NewAgreement {
            round_id: None,
            lot_id: None,
            organisation_id: org,
            placement_type_id: pt,
            capacity: 5,
            price_per_month: Money::from_kronor(3_000),
            period: DateRange::new(d(2024, 1, 1), Some(d(2024, 12, 31))).unwrap(),
            rank: Some(1),
            absence_rule: AbsenceRule::DeductUnexcused,
            signed_on: None,
        })
        .await
        .unwrap();
    let terms = |goals: &str| PlacementTerms {
        start: d(2024, 3, 1),
        planned_end: d(2024, 8, 31),
        hours_per_week: WeeklyMinutes::new(20 * 60).unwrap(),
        goals: Some(text(goals)),
    };

    // Alva: everything case work writes, then an exit in 2024.
    let alva = s
        .register_participant(&person(1, "Alva", "Bergström"), d(2023, 6, 1))
        .await
        .unwrap();
    let declined = s
        .insert_referral(&NewReferral {
            participant_id: alva,
            agreement_id: agreement,
            reason: text("Behöver stöd efter lång sjukskrivning"),
            referred_on: d(2024, 1, 20),
        })
        .await
        .unwrap();
    s.decline_referral(
        declined,
        Some(org),
        Some(&text("Avböjd: passar inte gruppen")),
        d(2024, 1, 22),
    )
    .await
    .unwrap();
    let referral = s
        .insert_referral(&NewReferral {
            participant_id: alva,
            agreement_id: agreement,
            reason: text("Behöver stöd efter lång sjukskrivning"),
            referred_on: d(2024, 2, 20),
        })
        .await
        .unwrap();
    let placement = s
        .accept_referral(
            referral,
            Some(org),
            &terms("Truckkort och arbetsträning"),
            d(2024, 2, 21),
        )
        .await
        .unwrap();
    s.add_placement_note(
        placement,
        NoteKind::Meeting,
        d(2024, 3, 5),
        Some(&text("Alva och hennes mamma Karin")),
        &text("Alva berättade om sin ångest"),
    )
    .await
    .unwrap();
    s.pause_placement(
        placement,
        d(2024, 4, 1),
        Some(&text("Sjukskriven för utmattning")),
    )
    .await
    .unwrap();
    s.resume_placement(placement, d(2024, 4, 15)).await.unwrap();
    let exit = s
        .record_exit(
            placement,
            d(2024, 6, 30),
            ExitOutcome::StudiesWithAllowance,
            Some(&text("Anställningsavtal Snickarglädje")),
        )
        .await
        .unwrap();
    s.record_follow_up(
        exit,
        FollowUpPoint::Months3,
        d(2024, 10, 1),
        FollowUpStatus::Studying,
    )
    .await
    .unwrap();
    // Bodil: still placed, so kept.
    let bodil = s
        .register_participant(&person(2, "Bodil", "Nyström"), d(2023, 6, 1))
        .await
        .unwrap();
    let r = s
        .insert_referral(&NewReferral {
            participant_id: bodil,
            agreement_id: agreement,
            reason: text("Bodils skäl"),
            referred_on: d(2024, 2, 20),
        })
        .await
        .unwrap();
    s.accept_referral(r, Some(org), &terms("Bodils mål"), d(2024, 2, 21))
        .await
        .unwrap();

    // Before: the log knows Alva, and every entry about her says so.
    let before = all_entries(&s).await;
    let about_alva: Vec<i64> = before
        .iter()
        .filter(|e| e.participant_id == Some(alva.get()))
        .map(|e| e.seq)
        .collect();
    // Registration, two referrals, the decline, the acceptance (referral + placement),
    // the note, the pause and its end, the exit, the follow-up.
    assert_eq!(about_alva.len(), 11, "{before:#?}");
    let text_of = |entries: &[AuditEntry]| entries.iter().map(everything).collect::<String>();
    assert!(text_of(&before).contains("Alva berättade om sin ångest"));
    // Identity numbers are masked completely, birth date included.
    let all = text_of(&before);
    assert!(
        all.contains("\"personal_number\":\"********-****\""),
        "{all}"
    );
    for n in [pnr(1), pnr(2)] {
        let c = n.canonical();
        assert!(!all.contains(&c) && !all.contains(&c[..8]) && !all.contains(&c[2..8]));
    }
    // Organisations and other tenant-level entries are about nobody.
    assert!(before
        .iter()
        .filter(|e| [
            "organisations",
            "placement_types",
            "framework_agreements",
            "tenants"
        ]
        .contains(&e.entity.as_str()))
        .all(|e| e.participant_id.is_none()));

    let ids = s
        .anonymise_participants(d(2025, 1, 1), d(2026, 1, 1))
        .await
        .unwrap();
    assert_eq!(ids, vec![alva]);

    let after = all_entries(&s).await;
    let all = text_of(&after);
    for secret in SECRETS {
        assert!(
            !all.contains(secret),
            "{secret:?} is still in the log: {all}"
        );
    }
    // Bodil's entries are untouched.
    assert!(all.contains("Bodil") && all.contains("Bodils skäl"));
    // Every entry about Alva is emptied, keeps its digest, and points to one record.
    let record = after
        .iter()
        .find(|e| e.action == "redact" && e.entity == "audit_log")
        .expect("the redaction is in the log");
    let listed: serde_json::Value =
        serde_json::from_str(record.after_json.as_deref().unwrap()).unwrap();
    assert_eq!(listed["participant"], alva.get());
    assert_eq!(listed["reason"], "anonymise");
    assert_eq!(
        listed["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect::<Vec<_>>(),
        about_alva
    );
    for e in after.iter().filter(|e| about_alva.contains(&e.seq)) {
        assert_eq!(e.redacted_by, Some(record.seq), "{e:?}");
        assert!(e.before_json.is_none() && e.after_json.is_none() && e.payload_salt.is_none());
        let old = before.iter().find(|b| b.seq == e.seq).unwrap();
        assert_eq!(
            (&e.payload_digest, &e.hash),
            (&old.payload_digest, &old.hash)
        );
    }
    // The anonymisation itself stays readable.
    assert!(after.iter().any(|e| e.action == "anonymise"
        && e.entity_id.as_deref() == Some(&alva.get().to_string())
        && e.after_json.is_some()));
    let report = store.verify_audit().await.unwrap();
    assert!(report.is_intact(), "{:?}", report.problems);
    assert_eq!(report.redacted, about_alva.len() as u64);
    // A second run finds nobody and empties nothing more.
    assert!(s
        .anonymise_participants(d(2025, 1, 1), d(2026, 1, 1))
        .await
        .unwrap()
        .is_empty());

    // The guard still refuses anything but a redaction.
    let refused = vidare_store::with_writer!(store, |pool| {
        sqlx::query("UPDATE audit_log SET actor = 'mallory' WHERE tenant_id = $1 AND seq = $2")
            .bind(tenant.get())
            .bind(about_alva[0])
            .execute(pool)
            .await
            .map(|_| ())
    });
    assert!(refused.is_err());
    let refused = vidare_store::with_writer!(store, |pool| {
        sqlx::query("UPDATE audit_log SET after_json = 'x' WHERE tenant_id = $1 AND seq = $2")
            .bind(tenant.get())
            .bind(about_alva[0])
            .execute(pool)
            .await
            .map(|_| ())
    });
    assert!(refused.is_err(), "a redacted entry cannot be filled again");

    // Someone with full database access removes the guard.
    drop_guard(store).await;
    let t = tenant.get();
    let redacted = about_alva[0];
    let bodils = after
        .iter()
        .find(|e| e.participant_id == Some(bodil.get()) && e.after_json.is_some())
        .unwrap()
        .clone();
    let set = |sql: &'static str, seq: i64| async move {
        vidare_store::with_writer!(store, |pool| {
            sqlx::query(sql)
                .bind(t)
                .bind(seq)
                .execute(pool)
                .await
                .unwrap();
        });
    };
    // 1. A redacted entry's actor is changed.
    set(
        "UPDATE audit_log SET actor = 'mallory' WHERE tenant_id = $1 AND seq = $2",
        redacted,
    )
    .await;
    assert_eq!(
        problems(store, tenant).await,
        vec![(redacted, ProblemKind::Altered)]
    );
    set(
        "UPDATE audit_log SET actor = 'system:cli' WHERE tenant_id = $1 AND seq = $2",
        redacted,
    )
    .await;
    assert!(problems(store, tenant).await.is_empty(), "restored");
    // 2. Something is written into a redacted entry's payload.
    set("UPDATE audit_log SET after_json = '{\"first_name\":\"Alva\"}' WHERE tenant_id = $1 AND seq = $2", redacted).await;
    assert_eq!(
        problems(store, tenant).await,
        vec![(redacted, ProblemKind::Altered)]
    );
    set(
        "UPDATE audit_log SET after_json = NULL WHERE tenant_id = $1 AND seq = $2",
        redacted,
    )
    .await;
    // 3. An entry still holding its payload is edited.
    set("UPDATE audit_log SET after_json = REPLACE(after_json, 'Bodil', 'Berit') WHERE tenant_id = $1 AND seq = $2", bodils.seq).await;
    assert_eq!(
        problems(store, tenant).await,
        vec![(bodils.seq, ProblemKind::Altered)]
    );
    vidare_store::with_writer!(store, |pool| {
        sqlx::query("UPDATE audit_log SET after_json = $3 WHERE tenant_id = $1 AND seq = $2")
            .bind(t)
            .bind(bodils.seq)
            .bind(&bodils.after_json)
            .execute(pool)
            .await
            .unwrap();
    });
    assert!(problems(store, tenant).await.is_empty(), "restored");
    // 4. An entry is emptied as if redacted, pointing at the real record, which does not
    // list it; or at an entry that is no redaction at all.
    let fake = format!(
        "UPDATE audit_log SET after_json = NULL, before_json = NULL, payload_salt = NULL, redacted_by = {} \
         WHERE tenant_id = $1 AND seq = $2",
        record.seq
    );
    vidare_store::with_writer!(store, |pool| {
        sqlx::query(&fake)
            .bind(t)
            .bind(bodils.seq)
            .execute(pool)
            .await
            .unwrap();
    });
    assert_eq!(
        problems(store, tenant).await,
        vec![(bodils.seq, ProblemKind::UnrecordedRedaction)]
    );
    set(
        "UPDATE audit_log SET redacted_by = seq + 1 WHERE tenant_id = $1 AND seq = $2",
        bodils.seq,
    )
    .await;
    assert_eq!(
        problems(store, tenant).await,
        vec![(bodils.seq, ProblemKind::UnrecordedRedaction)]
    );
    set(
        "UPDATE audit_log SET redacted_by = NULL WHERE tenant_id = $1 AND seq = $2",
        bodils.seq,
    )
    .await;
    assert_eq!(
        problems(store, tenant).await,
        vec![(bodils.seq, ProblemKind::Altered)],
        "emptied without any redaction: no longer matches its digest"
    );
    // 5. The record is edited to cover it.
    set("UPDATE audit_log SET after_json = REPLACE(after_json, '\"entries\":[', '\"entries\":[0,') WHERE tenant_id = $1 AND seq = $2", record.seq).await;
    assert!(problems(store, tenant)
        .await
        .contains(&(record.seq, ProblemKind::Altered)));
    // 6. A redacted entry is deleted.
    set(
        "DELETE FROM audit_log WHERE tenant_id = $1 AND seq = $2",
        redacted,
    )
    .await;
    assert!(problems(store, tenant)
        .await
        .iter()
        .any(|(seq, p)| *seq == redacted + 1 && matches!(p, ProblemKind::Missing { .. })));
}

// ---------------------------------------------------------------------------------
// Logs written before migration 0014.

/// The hash of an entry written by the first version of the log, pinned: converting
/// and verifying old logs depends on computing exactly this.
#[test]
fn version_1_hashes_are_computed_as_before() {
    let e = AuditEntry {
        tenant_id: 1,
        seq: 2,
        at: Utc.with_ymd_and_hms(2024, 3, 1, 9, 30, 0).unwrap() + chrono::Duration::microseconds(123456),
        actor_user_id: Some(7),
        actor: "handlaggare@kommun.example".into(),
        action: "create".into(),
        entity: "participants".into(),
        entity_id: Some("1".into()),
        before_json: None,
        after_json: Some(r#"{"participant":{"first_name":"Alva","last_name":"Lind","personal_number":"19900517-****"},"registered_on":"2024-03-01"}"#.into()),
        prev_hash: "ab".repeat(32),
        hash: String::new(),
        hash_version: 1,
        participant_id: None,
        payload_salt: None,
        payload_digest: None,
        redacted_by: None,
    };
    // Computed by Vidare before migration 0014.
    assert_eq!(
        e.compute_hash(),
        "99c0a73cd053e929cdb47d152170fea3a11845059d4ff49d0017b66d26b37f9c"
    );
}

/// A tenant, participants and audit entries as Vidare wrote them before migration 0014
/// (the schema up to 0012, each entry's hash over its payload, identity numbers with
/// their birth date). Returns the chain's head hash.
struct Legacy<'a> {
    store: &'a Store,
    tenant: i64,
    seq: i64,
    prev: String,
}

impl<'a> Legacy<'a> {
    async fn tenant(store: &'a Store, id: i64, slug: &str) -> Legacy<'a> {
        vidare_store::with_writer!(store, |pool| {
            sqlx::query("INSERT INTO tenants (id, slug, name, synthetic, created_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(id)
                .bind(slug)
                .bind("Gammal kommun")
                .bind(true)
                .bind(Utc::now())
                .execute(pool)
                .await
                .unwrap();
        });
        Legacy {
            store,
            tenant: id,
            seq: 0,
            prev: String::new(),
        }
    }

    async fn participant(&mut self, id: i64, serial: u16, first: &str, anonymised: bool) {
        let p = person(serial, first, "Gammalsson");
        vidare_store::with_writer!(self.store, |pool| {
            sqlx::query(
                "INSERT INTO participants (id, tenant_id, personal_number, first_name, last_name, gender, \
                 born_abroad, education, months_on_income_support, health_limitation, swedish_level, \
                 prior_work_experience, synthetic, registered_on, anonymised_on) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
            )
            .bind(id)
            .bind(self.tenant)
            .bind(p.personal_number.canonical())
            .bind(if anonymised { "Anonymiserad" } else { first })
            .bind("Gammalsson")
            .bind(p.covariates.gender.as_str())
            .bind(false)
            .bind(p.covariates.education.as_str())
            .bind(24i64)
            .bind(false)
            .bind(p.covariates.swedish_level.as_str())
            .bind(false)
            .bind(true)
            .bind(d(2020, 5, 4))
            .bind(anonymised.then(|| d(2025, 1, 1)))
            .execute(pool)
            .await
            .unwrap();
        });
        // What the first version wrote: the number masked but for its birth date.
        let masked = format!("{}-****", &p.personal_number.canonical()[..8]);
        self.entry(
            "create",
            "participants",
            Some(id),
            None,
            Some(format!(
                r#"{{"participant":{{"first_name":"{first}","last_name":"Gammalsson","personal_number":"{masked}"}},"registered_on":"2020-05-04"}}"#
            )),
        )
        .await;
    }

    async fn entry(
        &mut self,
        action: &str,
        entity: &str,
        id: Option<i64>,
        before: Option<String>,
        after: Option<String>,
    ) -> i64 {
        self.seq += 1;
        let mut e = AuditEntry {
            tenant_id: self.tenant,
            seq: self.seq,
            at: Utc.with_ymd_and_hms(2024, 3, 1, 9, 0, 0).unwrap()
                + chrono::Duration::seconds(self.seq),
            actor_user_id: None,
            actor: "system:cli".into(),
            action: action.into(),
            entity: entity.into(),
            entity_id: id.map(|i| i.to_string()),
            before_json: before,
            after_json: after,
            prev_hash: self.prev.clone(),
            hash: String::new(),
            hash_version: 1,
            participant_id: None,
            payload_salt: None,
            payload_digest: None,
            redacted_by: None,
        };
        e.hash = e.compute_hash();
        vidare_store::with_writer!(self.store, |pool| {
            sqlx::query(
                "INSERT INTO audit_log (tenant_id, seq, at, actor_user_id, actor, action, entity, entity_id, \
                 before_json, after_json, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(e.tenant_id)
            .bind(e.seq)
            .bind(e.at)
            .bind(e.actor_user_id)
            .bind(&e.actor)
            .bind(&e.action)
            .bind(&e.entity)
            .bind(&e.entity_id)
            .bind(&e.before_json)
            .bind(&e.after_json)
            .bind(&e.prev_hash)
            .bind(&e.hash)
            .execute(pool)
            .await
            .unwrap();
            sqlx::query(
                "INSERT INTO audit_heads (tenant_id, seq, hash, data_seq) VALUES ($1, $2, $3, $2) \
                 ON CONFLICT (tenant_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, data_seq = excluded.data_seq",
            )
            .bind(e.tenant_id)
            .bind(e.seq)
            .bind(&e.hash)
            .execute(pool)
            .await
            .unwrap();
        });
        self.prev = e.hash;
        self.seq
    }
}

async fn logs_from_before_0014_are_converted_and_still_verify(db: TestDb) {
    let store = &db.store;
    store.migrate_until(12).await.unwrap();

    // Tenant 1: an intact chain.
    let mut a = Legacy::tenant(store, 1, "gammal").await;
    a.entry(
        "create",
        "tenants",
        Some(1),
        None,
        Some(r#"{"slug":"gammal"}"#.into()),
    )
    .await;
    a.participant(1, 1, "Alva", false).await;
    a.participant(2, 2, "Bodil", true).await;
    a.entry(
        "update",
        "participants",
        Some(1),
        Some(r#"{"first_name":"Alva"}"#.into()),
        Some(r#"{"first_name":"Alwa"}"#.into()),
    )
    .await;
    a.entry("sign_in", "users", Some(1), None, None).await;
    let old_head = a.prev.clone();
    // Tenant 2: a chain someone already edited.
    let mut b = Legacy::tenant(store, 2, "bruten").await;
    b.participant(3, 3, "Cecilia", false).await;
    b.entry(
        "update",
        "participants",
        Some(3),
        Some(r#"{"first_name":"Cecilia"}"#.into()),
        Some(r#"{"first_name":"Cilla"}"#.into()),
    )
    .await;
    b.entry("sign_in", "users", Some(1), None, None).await;
    vidare_store::with_writer!(store, |pool| {
        // Before 0014 the guard has no exceptions: take it away as the intruder did.
        let _ = sqlx::query("DROP TRIGGER IF EXISTS audit_log_no_update")
            .execute(pool)
            .await;
        let _ = sqlx::query("DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log")
            .execute(pool)
            .await;
        sqlx::query("UPDATE audit_log SET actor = 'mallory' WHERE tenant_id = 2 AND seq = 3")
            .execute(pool)
            .await
            .unwrap();
    });
    // Put the guard back (the migration replaces it).
    match store.kind() {
        BackendKind::Sqlite => exec(store, "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END").await,
        BackendKind::Postgres => exec(store, "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()").await,
    }

    let upgrade = store.upgrade_audit_log().await;
    assert!(upgrade.is_err(), "the columns are not there before 0014");
    store.migrate().await.unwrap();

    // Tenant 1: converted, and intact.
    let report = store.verify_audit().await.unwrap();
    assert_eq!(
        report
            .problems
            .iter()
            .map(|p| (p.tenant_id, p.seq, p.problem.clone()))
            .collect::<Vec<_>>(),
        vec![(2, 3, ProblemKind::Altered)],
        "only the edit made before the migration"
    );
    let s1 = store.tenant(TenantId(1));
    let entries = all_entries(&s1).await;
    assert!(entries.iter().all(|e| e.hash_version == 2), "{entries:#?}");
    let all: String = entries.iter().map(everything).collect();
    assert!(
        !all.contains("19880314") && !all.contains("880314"),
        "{all}"
    );
    assert!(all.contains("********-****"));
    // Bodil was anonymised before: her entries are emptied now.
    assert!(!all.contains("Bodil"), "{all}");
    assert!(all.contains("Alva") && all.contains("Alwa"));
    let up = entries
        .iter()
        .find(|e| e.action == "upgrade")
        .expect("recorded");
    let body: serde_json::Value = serde_json::from_str(up.after_json.as_deref().unwrap()).unwrap();
    assert_eq!(body["previous_head"]["seq"], 5);
    assert_eq!(body["previous_head"]["hash"], old_head.as_str());
    assert_eq!(body["entries"], 5);
    assert_eq!(body["personal_numbers_masked"], 2);
    assert_eq!(
        entries
            .iter()
            .filter(|e| e.participant_id == Some(1))
            .count(),
        2,
        "the registration and the update are about Alva"
    );
    // Migrating again changes nothing.
    store.migrate().await.unwrap();
    assert_eq!(all_entries(&s1).await.len(), entries.len());

    // Alva is anonymised now: converted entries are redacted like new ones.
    let ids = s1
        .anonymise_participants(d(2025, 1, 1), d(2026, 1, 1))
        .await
        .unwrap();
    assert_eq!(ids, vec![ParticipantId(1)]);
    let all: String = all_entries(&s1).await.iter().map(everything).collect();
    assert!(!all.contains("Alva") && !all.contains("Alwa"), "{all}");
    let report = store.verify_audit().await.unwrap();
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);

    // Tenant 2: left at version 1, still reported, still redactable.
    let s2 = store.tenant(TenantId(2));
    let entries = all_entries(&s2).await;
    assert!(entries
        .iter()
        .filter(|e| e.action != "redact")
        .all(|e| e.hash_version == 1));
    assert_eq!(
        entries
            .iter()
            .filter(|e| e.participant_id == Some(3))
            .count(),
        2
    );
    s2.anonymise_participants(d(2025, 1, 1), d(2026, 1, 1))
        .await
        .unwrap();
    let entries = all_entries(&s2).await;
    let all: String = entries.iter().map(everything).collect();
    assert!(!all.contains("Cecilia") && !all.contains("Cilla"), "{all}");
    assert_eq!(
        problems(store, TenantId(2)).await,
        vec![(3, ProblemKind::Altered)]
    );
    // A redacted version-1 entry's header is still checked, through its record.
    drop_guard(store).await;
    exec(
        store,
        "UPDATE audit_log SET actor = 'mallory' WHERE tenant_id = 2 AND seq = 1",
    )
    .await;
    assert_eq!(
        problems(store, TenantId(2)).await,
        vec![(1, ProblemKind::Altered), (3, ProblemKind::Altered)]
    );
    // Passing a redacted version-2 entry off as version 1 is found too.
    let redacted_v2 = all_entries(&s1)
        .await
        .into_iter()
        .find(|e| e.redacted_by.is_some())
        .unwrap();
    exec(
        store,
        &format!(
            "UPDATE audit_log SET hash_version = 1 WHERE tenant_id = 1 AND seq = {}",
            redacted_v2.seq
        ),
    )
    .await;
    assert_eq!(
        problems(store, TenantId(1)).await,
        vec![(redacted_v2.seq, ProblemKind::Altered)]
    );
}

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(vidare_store::testing::TestDb::sqlite().await).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(vidare_store::testing::TestDb::postgres().await).await;
                }
            )*
        }
    };
}

both!(anonymisation_empties_the_log_and_keeps_its_proof);

mod legacy {
    #[tokio::test]
    async fn sqlite() {
        super::logs_from_before_0014_are_converted_and_still_verify(
            vidare_store::testing::TestDb::sqlite_unmigrated().await,
        )
        .await;
    }

    #[tokio::test]
    async fn postgres() {
        super::logs_from_before_0014_are_converted_and_still_verify(
            vidare_store::testing::TestDb::postgres_unmigrated().await,
        )
        .await;
    }
}
