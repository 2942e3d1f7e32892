//! Case work and the suppliers' portal in storage, on SQLite and PostgreSQL alike: every
//! "bad input" rule of the placements issue is refused with a message naming the field,
//! and a refused request leaves no row and no audit entry behind.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use vidare_domain::ids::*;
use vidare_domain::model::organisation::{Headcount, LegalForm, NewOrganisation};
use vidare_domain::model::participant::{
    Covariates, EducationLevel, Gender, NewParticipant, SwedishLevel,
};
use vidare_domain::model::placement::{
    AttendanceStatus, ExitOutcome, FollowUpPoint, FollowUpStatus, NoteKind, ReferralStatus,
    WeeklyMinutes,
};
use vidare_domain::model::procurement::AbsenceRule;
use vidare_domain::model::{Slug, Text};
use vidare_domain::money::Money;
use vidare_domain::orgnr::OrganisationNumber;
use vidare_domain::period::{DateRange, YearMonth};
use vidare_domain::personnummer::{IdentityKind, PersonalIdentityNumber};
use vidare_store::audit::AuditFilter;
use vidare_store::repo::casework::{
    AttendanceReport, DueState, FollowUpReminders, HoursAndGoals, PlacementTerms,
};
use vidare_store::repo::placements::NewReferral;
use vidare_store::repo::procurement::{NewAgreement, NewPlacementType};
use vidare_store::repo::tenants::NewTenant;
use vidare_store::repo::Page;
use vidare_store::testing::TestDb;
use vidare_store::{Scoped, Store, StoreError};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn at(y: i32, m: u32, day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, day, 10, 0, 0).unwrap()
}

fn text(s: &str) -> Text {
    Text::parse(s).unwrap()
}

fn month(y: i32, m: u32) -> YearMonth {
    YearMonth::new(y, m).unwrap()
}

struct Fx {
    tenant: TenantId,
    org: OrganisationId,
    other_org: OrganisationId,
    /// 2 places, in force 2024.
    agreement: AgreementId,
    /// The other supplier's agreement, 5 places, in force 2024.
    other_agreement: AgreementId,
    /// Ended 2023-12-31.
    expired: AgreementId,
}

async fn fixture(store: &Store, slug: &str) -> Fx {
    let tenant = store
        .insert_tenant(&NewTenant {
            slug: Slug::parse(slug).unwrap(),
            name: text("Testkommun"),
            municipality_code: None,
            synthetic: true,
        })
        .await
        .unwrap();
    let s = store.tenant(tenant);
    let org = |payload: [u8; 9]| NewOrganisation {
        org_number: OrganisationNumber::from_payload(payload).unwrap(),
        name: text("Snickarglädje ekonomisk förening"),
        legal_form: LegalForm::EconomicAssociation,
        idea_driven: true,
        in_idea_driven_register: false,
        headcount: Some(Headcount::new(10, 5).unwrap()),
        annual_turnover: None,
        email: None,
        synthetic: true,
    };
    let o1 = s
        .insert_organisation(&org([7, 6, 9, 6, 0, 0, 1, 2, 3]))
        .await
        .unwrap();
    let o2 = s
        .insert_organisation(&org([7, 6, 9, 6, 0, 0, 4, 5, 6]))
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
    let agreement = |org, capacity, start, end| NewAgreement {
        round_id: None,
        lot_id: None,
        organisation_id: org,
        placement_type_id: pt,
        capacity,
        price_per_month: Money::from_kronor(3_000),
        period: DateRange::new(start, Some(end)).unwrap(),
        rank: Some(1),
        absence_rule: AbsenceRule::DeductUnexcused,
        signed_on: None,
    };
    let a = s
        .insert_agreement(&agreement(o1, 2, d(2024, 1, 1), d(2024, 12, 31)))
        .await
        .unwrap();
    let b = s
        .insert_agreement(&agreement(o2, 5, d(2024, 1, 1), d(2024, 12, 31)))
        .await
        .unwrap();
    let expired = s
        .insert_agreement(&agreement(o1, 5, d(2023, 1, 1), d(2023, 12, 31)))
        .await
        .unwrap();
    Fx {
        tenant,
        org: o1,
        other_org: o2,
        agreement: a,
        other_agreement: b,
        expired,
    }
}

fn new_participant(serial: u16, name: &str) -> NewParticipant {
    NewParticipant {
        personal_number: PersonalIdentityNumber::from_parts(
            d(1988, 3, 14),
            serial,
            IdentityKind::Personnummer,
        )
        .unwrap(),
        first_name: text(name),
        last_name: text("Testsson"),
        covariates: Covariates {
            gender: Gender::Female,
            born_abroad: true,
            education: EducationLevel::Primary,
            months_on_income_support: 30,
            health_limitation: false,
            swedish_level: SwedishLevel::Basic,
            prior_work_experience: false,
        },
        synthetic: true,
    }
}

async fn person(s: &Scoped<'_>, serial: u16) -> ParticipantId {
    s.register_participant(&new_participant(serial, "Alva"), d(2023, 6, 1))
        .await
        .unwrap()
}

async fn audit_len(s: &Scoped<'_>) -> usize {
    s.audit_entries(&AuditFilter {
        limit: 10_000,
        ..Default::default()
    })
    .await
    .unwrap()
    .len()
}

fn rule(e: StoreError) -> (String, String) {
    match e {
        StoreError::Rule(v) => (v.field.to_string(), v.sv),
        other => panic!("expected a rule violation, got {other:?}"),
    }
}

fn terms(start: NaiveDate, end: NaiveDate) -> PlacementTerms {
    PlacementTerms {
        start,
        planned_end: end,
        hours_per_week: WeeklyMinutes::new(20 * 60).unwrap(),
        goals: Some(text("Arbetsträning i snickeriet")),
    }
}

async fn refer(s: &Scoped<'_>, p: ParticipantId, a: AgreementId, on: NaiveDate) -> ReferralId {
    s.insert_referral(&NewReferral {
        participant_id: p,
        agreement_id: a,
        reason: text("Behov av praktisk arbetsträning"),
        referred_on: on,
    })
    .await
    .unwrap()
}

/// A placement at `fx.org` from 2024-03-01, through an accepted referral.
async fn placement(s: &Scoped<'_>, fx: &Fx, serial: u16) -> PlacementId {
    let p = person(s, serial).await;
    let r = refer(s, p, fx.agreement, d(2024, 2, 20)).await;
    s.accept_referral(
        r,
        Some(fx.org),
        &terms(d(2024, 3, 1), d(2024, 8, 31)),
        d(2024, 2, 21),
    )
    .await
    .unwrap()
}

async fn referral_beyond_capacity_or_to_an_expired_agreement_is_refused(db: TestDb) {
    let fx = fixture(&db.store, "kapacitet").await;
    let s = db.store.tenant(fx.tenant);
    let (a, b, c) = (
        person(&s, 1).await,
        person(&s, 2).await,
        person(&s, 3).await,
    );
    refer(&s, a, fx.agreement, d(2024, 2, 1)).await;
    refer(&s, b, fx.agreement, d(2024, 2, 1)).await;
    let places = s
        .free_places(d(2024, 2, 1), None, Some(fx.org))
        .await
        .unwrap();
    let mine = places
        .iter()
        .find(|p| p.agreement.id == fx.agreement)
        .unwrap();
    assert_eq!((mine.used, mine.pending, mine.free()), (0, 2, 0));

    let audit = audit_len(&s).await;
    let err = s
        .insert_referral(&NewReferral {
            participant_id: c,
            agreement_id: fx.agreement,
            reason: text("Skäl"),
            referred_on: d(2024, 2, 2),
        })
        .await
        .unwrap_err();
    let (field, msg) = rule(err);
    assert_eq!(field, "agreement_id");
    assert!(msg.contains("inga lediga platser"), "{msg}");
    let err = s
        .insert_referral(&NewReferral {
            participant_id: c,
            agreement_id: fx.expired,
            reason: text("Skäl"),
            referred_on: d(2024, 2, 2),
        })
        .await
        .unwrap_err();
    let (field, msg) = rule(err);
    assert_eq!(field, "agreement_id");
    assert!(msg.contains("gäller inte"), "{msg}");
    assert!(s.referrals_of_participant(c).await.unwrap().is_empty());
    assert_eq!(audit_len(&s).await, audit, "nothing written");
    // The expired agreement is not offered at all.
    let offered = s.free_places(d(2024, 2, 2), None, None).await.unwrap();
    assert!(offered.iter().all(|p| p.agreement.id != fx.expired));
    assert!(offered
        .iter()
        .any(|p| p.agreement.id == fx.other_agreement && p.free() == 5));
}

async fn the_supplier_accepts_or_declines_its_own_referrals(db: TestDb) {
    let fx = fixture(&db.store, "svar").await;
    let s = db.store.tenant(fx.tenant);
    let (a, b) = (person(&s, 1).await, person(&s, 2).await);
    let ra = refer(&s, a, fx.agreement, d(2024, 2, 1)).await;
    let rb = refer(&s, b, fx.agreement, d(2024, 2, 1)).await;

    // Another supplier cannot see or answer it.
    assert!(matches!(
        s.get_referral(ra, Some(fx.other_org)).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        s.accept_referral(
            ra,
            Some(fx.other_org),
            &terms(d(2024, 3, 1), d(2024, 6, 30)),
            d(2024, 2, 2)
        )
        .await,
        Err(StoreError::NotFound { .. })
    ));
    let listed = s.referrals_to_organisation(fx.org, 50).await.unwrap();
    assert_eq!(listed.len(), 2);
    assert!(listed[0].pseudonym.starts_with("D-") && listed[0].pseudonym.len() == 8);
    assert!(s
        .referrals_to_organisation(fx.other_org, 50)
        .await
        .unwrap()
        .is_empty());

    // Bad terms: planned end before start, start outside the agreement; nothing changes.
    let audit = audit_len(&s).await;
    let (field, _) = rule(
        s.accept_referral(
            ra,
            Some(fx.org),
            &terms(d(2024, 3, 1), d(2024, 2, 1)),
            d(2024, 2, 2),
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(field, "planned_end");
    let (field, _) = rule(
        s.accept_referral(
            ra,
            Some(fx.org),
            &terms(d(2025, 1, 10), d(2025, 6, 1)),
            d(2024, 2, 2),
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(field, "start");
    assert_eq!(audit_len(&s).await, audit);
    assert!(s.placements_of_participant(a).await.unwrap().is_empty());

    let pid = s
        .accept_referral(
            ra,
            Some(fx.org),
            &terms(d(2024, 3, 1), d(2024, 8, 31)),
            d(2024, 2, 2),
        )
        .await
        .unwrap();
    let p = s.get_placement(pid).await.unwrap();
    assert_eq!(p.period.start(), d(2024, 3, 1));
    assert_eq!(p.referral_id, Some(ra));
    assert_eq!(p.hours_per_week.minutes(), 1200);
    let view = s.get_referral(ra, Some(fx.org)).await.unwrap();
    assert_eq!(view.referral.status, ReferralStatus::Accepted);
    assert_eq!(view.placement_id, Some(pid));
    // Twice is refused.
    let (field, _) = rule(
        s.accept_referral(
            ra,
            Some(fx.org),
            &terms(d(2024, 3, 1), d(2024, 8, 31)),
            d(2024, 2, 2),
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(field, "status");

    s.decline_referral(
        rb,
        Some(fx.org),
        Some(&text("Ingen handledare ledig")),
        d(2024, 2, 3),
    )
    .await
    .unwrap();
    let view = s.get_referral(rb, None).await.unwrap();
    assert_eq!(view.referral.status, ReferralStatus::Declined);
    assert_eq!(
        view.decision_note.as_deref(),
        Some("Ingen handledare ledig")
    );
    // The declined referral's place is free again: one running placement, one free.
    let places = s
        .free_places(d(2024, 3, 5), None, Some(fx.org))
        .await
        .unwrap();
    let mine = places
        .iter()
        .find(|p| p.agreement.id == fx.agreement)
        .unwrap();
    assert_eq!((mine.used, mine.pending, mine.free()), (1, 0, 1));
    // A placement that starts later already holds its place.
    let places = s
        .free_places(d(2024, 2, 10), None, Some(fx.org))
        .await
        .unwrap();
    let mine = places
        .iter()
        .find(|p| p.agreement.id == fx.agreement)
        .unwrap();
    assert_eq!((mine.used, mine.free()), (1, 1));
}

async fn attendance_rules_hold_and_nothing_is_half_written(db: TestDb) {
    let fx = fixture(&db.store, "narvaro").await;
    let s = db.store.tenant(fx.tenant);
    let p1 = placement(&s, &fx, 1).await;
    let p2 = placement(&s, &fx, 2).await;
    let may = month(2024, 5);
    let lines = s.attendance_lines(fx.org, may).await.unwrap();
    assert_eq!(lines.len(), 2);
    assert!(lines.iter().all(|l| l.attendance.is_none()));
    assert!(s
        .attendance_lines(fx.other_org, may)
        .await
        .unwrap()
        .is_empty());

    let ok = |p, minutes| AttendanceReport {
        placement_id: p,
        attended_minutes: minutes,
        sick_days: 1,
        leave_days: 0,
        unexcused_days: 2,
    };
    let audit = audit_len(&s).await;
    // May 2024 has 21 working days: at most 210 hours. The second line is too much, so
    // the first is not saved either.
    let err = s
        .submit_attendance(
            fx.org,
            may,
            &[ok(p1, 80 * 60), ok(p2, 211 * 60)],
            at(2024, 6, 3),
        )
        .await
        .unwrap_err();
    let (field, msg) = rule(err);
    assert_eq!(field, "attended_hours");
    assert!(msg.contains("210 timmar"), "{msg}");
    assert!(
        msg.starts_with("D-"),
        "names the participant by pseudonym: {msg}"
    );
    assert!(s.attendance_of_placement(p1).await.unwrap().is_empty());
    assert_eq!(audit_len(&s).await, audit);

    // Too many absence days.
    let mut absent = ok(p1, 0);
    absent.sick_days = 22;
    let (field, _) = rule(
        s.submit_attendance(fx.org, may, &[absent], at(2024, 6, 3))
            .await
            .unwrap_err(),
    );
    assert_eq!(field, "absence_days");

    // After the deadline (5 June) and before the month: refused.
    let (field, msg) = rule(
        s.submit_attendance(fx.org, may, &[ok(p1, 60)], at(2024, 6, 6))
            .await
            .unwrap_err(),
    );
    assert_eq!(field, "month");
    assert!(msg.contains("2024-06-05"), "{msg}");
    let (field, _) = rule(
        s.submit_attendance(fx.org, month(2024, 7), &[ok(p1, 60)], at(2024, 6, 3))
            .await
            .unwrap_err(),
    );
    assert_eq!(field, "month");
    // A configurable deadline: the 10th lets 6 June through.
    s.set_attendance_deadline_day(10).await.unwrap();
    assert_eq!(
        rule(s.set_attendance_deadline_day(29).await.unwrap_err()).0,
        "attendance_deadline_day"
    );

    // Another supplier's placement is not found, and nothing is saved.
    assert!(matches!(
        s.submit_attendance(fx.other_org, may, &[ok(p1, 60)], at(2024, 6, 3))
            .await,
        Err(StoreError::NotFound { .. })
    ));

    s.submit_attendance(
        fx.org,
        may,
        &[ok(p1, 80 * 60), ok(p2, 100 * 60)],
        at(2024, 6, 6),
    )
    .await
    .unwrap();
    let saved = s.attendance_of_placement(p1).await.unwrap();
    assert_eq!(saved.len(), 1);
    assert_eq!(saved[0].status, AttendanceStatus::Submitted);
    assert_eq!(saved[0].attended_minutes, 4800);
    // Corrections before approval replace the report.
    s.submit_attendance(fx.org, may, &[ok(p1, 81 * 60)], at(2024, 6, 7))
        .await
        .unwrap();
    assert_eq!(
        s.attendance_of_placement(p1).await.unwrap()[0].attended_minutes,
        81 * 60
    );

    let status = s.attendance_month_status(may).await.unwrap();
    assert_eq!(status.len(), 1);
    assert_eq!(
        (
            status[0].placements,
            status[0].submitted,
            status[0].approved
        ),
        (2, 2, 0)
    );

    // Approval locks the month.
    let (field, _) = rule(
        s.approve_attendance(fx.other_org, may, at(2024, 6, 8))
            .await
            .unwrap_err(),
    );
    assert_eq!(field, "organisation_id");
    assert_eq!(
        s.approve_attendance(fx.org, may, at(2024, 6, 8))
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        s.attendance_of_placement(p2).await.unwrap()[0].status,
        AttendanceStatus::Approved
    );
    let audit = audit_len(&s).await;
    let (field, msg) = rule(
        s.submit_attendance(fx.org, may, &[ok(p1, 10 * 60)], at(2024, 6, 9))
            .await
            .unwrap_err(),
    );
    assert_eq!(field, "month");
    assert!(msg.contains("låst"), "{msg}");
    assert_eq!(
        s.attendance_of_placement(p1).await.unwrap()[0].attended_minutes,
        81 * 60
    );
    assert_eq!(audit_len(&s).await, audit);
    // Approving again finds nothing submitted.
    assert!(s
        .approve_attendance(fx.org, may, at(2024, 6, 9))
        .await
        .is_err());
    // The totals the effect measurement reads followed every write (including the
    // resubmissions that replaced a month's minutes).
    let mismatches = vidare_store::testing::totals_mismatches(&db.store).await;
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

async fn exits_pauses_notes_and_follow_ups(db: TestDb) {
    let fx = fixture(&db.store, "avslut").await;
    let s = db.store.tenant(fx.tenant);
    let p = placement(&s, &fx, 1).await;
    let audit = audit_len(&s).await;

    // An exit before the start is refused.
    let (field, msg) = rule(
        s.record_exit(p, d(2024, 2, 28), ExitOutcome::WorkUnsubsidised, None)
            .await
            .unwrap_err(),
    );
    assert_eq!(field, "exit_date");
    assert!(msg.contains("2024-03-01"), "{msg}");
    // A meeting needs its attendees; notes cannot predate the placement.
    assert_eq!(
        rule(
            s.add_placement_note(
                p,
                NoteKind::Meeting,
                d(2024, 3, 10),
                None,
                &text("Bra start")
            )
            .await
            .unwrap_err()
        )
        .0,
        "attendees"
    );
    assert_eq!(
        rule(
            s.add_placement_note(p, NoteKind::Progress, d(2024, 2, 1), None, &text("x"))
                .await
                .unwrap_err()
        )
        .0,
        "noted_on"
    );
    // Pauses: within the placement, one at a time, resumed after they start.
    assert_eq!(
        rule(s.pause_placement(p, d(2024, 2, 1), None).await.unwrap_err()).0,
        "pause_start"
    );
    assert_eq!(
        rule(s.resume_placement(p, d(2024, 4, 1)).await.unwrap_err()).0,
        "resume_on"
    );
    assert_eq!(
        rule(s.change_planned_end(p, d(2024, 2, 1)).await.unwrap_err()).0,
        "planned_end"
    );
    assert_eq!(audit_len(&s).await, audit, "refusals write nothing");

    s.add_placement_note(
        p,
        NoteKind::Meeting,
        d(2024, 3, 15),
        Some(&text("Deltagaren, handledare, handläggare")),
        &text("Mål: pröva maskinsnickeri"),
    )
    .await
    .unwrap();
    s.add_placement_note(
        p,
        NoteKind::Progress,
        d(2024, 4, 2),
        None,
        &text("Kommer i tid"),
    )
    .await
    .unwrap();
    let notes = s.notes_of_placement(p).await.unwrap();
    assert_eq!(notes.len(), 2);
    assert_eq!(notes[0].kind, NoteKind::Progress);
    s.pause_placement(p, d(2024, 4, 10), Some(&text("Sjukskriven")))
        .await
        .unwrap();
    assert_eq!(
        rule(
            s.pause_placement(p, d(2024, 4, 12), None)
                .await
                .unwrap_err()
        )
        .0,
        "pause_start"
    );
    assert_eq!(
        rule(s.resume_placement(p, d(2024, 4, 9)).await.unwrap_err()).0,
        "resume_on"
    );
    s.resume_placement(p, d(2024, 4, 30)).await.unwrap();
    s.change_planned_end(p, d(2024, 10, 31)).await.unwrap();
    assert_eq!(
        s.get_placement(p).await.unwrap().planned_end,
        d(2024, 10, 31)
    );

    let exit = s
        .record_exit(
            p,
            d(2024, 9, 15),
            ExitOutcome::WorkSubsidised,
            Some(&text("Anställningsavtal")),
        )
        .await
        .unwrap();
    assert_eq!(
        s.get_placement(p).await.unwrap().period.end(),
        Some(d(2024, 9, 15))
    );
    // Ended: twice is refused, and it can no longer be paused or moved.
    assert_eq!(
        rule(
            s.record_exit(p, d(2024, 9, 20), ExitOutcome::Other, None)
                .await
                .unwrap_err()
        )
        .0,
        "exit_date"
    );
    assert_eq!(
        rule(s.change_planned_end(p, d(2024, 12, 1)).await.unwrap_err()).0,
        "planned_end"
    );

    // Due follow-ups: 3 months after 15 September is 15 December.
    let due = s.due_follow_ups(d(2024, 12, 1), 13).await.unwrap();
    assert!(due.is_empty(), "{due:?}");
    let due = s.due_follow_ups(d(2024, 12, 1), 14).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(
        (due[0].point, due[0].due_on),
        (FollowUpPoint::Months3, d(2024, 12, 15))
    );
    assert_eq!(due[0].participant_name, "Alva Testsson");
    let due = s.due_follow_ups(d(2025, 9, 20), 0).await.unwrap();
    assert_eq!(
        s.count_due_follow_ups(d(2025, 9, 20)).await.unwrap(),
        due.len() as u64
    );
    assert_eq!(due.len(), 3, "all three points overdue");

    // A follow-up before the exit is refused.
    let audit = audit_len(&s).await;
    let (field, msg) = rule(
        s.record_follow_up(
            exit,
            FollowUpPoint::Months3,
            d(2024, 9, 1),
            FollowUpStatus::Employed,
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(field, "recorded_on");
    assert!(msg.contains("2024-09-15"), "{msg}");
    assert_eq!(audit_len(&s).await, audit);
    s.record_follow_up(
        exit,
        FollowUpPoint::Months3,
        d(2024, 12, 16),
        FollowUpStatus::Employed,
    )
    .await
    .unwrap();
    let due = s.due_follow_ups(d(2025, 9, 20), 0).await.unwrap();
    assert_eq!(
        s.count_due_follow_ups(d(2025, 9, 20)).await.unwrap(),
        due.len() as u64
    );
    assert_eq!(
        due.iter().map(|x| x.point).collect::<Vec<_>>(),
        [FollowUpPoint::Months6, FollowUpPoint::Months12]
    );
    // The page's count in SQL agrees with the list on every day of a year and a half,
    // month ends included.
    let mut day = d(2024, 9, 1);
    while day <= d(2026, 3, 1) {
        assert_eq!(
            s.count_due_follow_ups(day).await.unwrap(),
            s.due_follow_ups(day, 0).await.unwrap().len() as u64,
            "{day}"
        );
        day = day.succ_opt().unwrap();
    }
}

async fn hours_and_goals_change_while_running(db: TestDb) {
    let fx = fixture(&db.store, "timmar").await;
    let s = db.store.tenant(fx.tenant);
    let p = placement(&s, &fx, 1).await;
    let audit = audit_len(&s).await;

    // Nothing to change is refused; the same values write nothing.
    assert_eq!(
        rule(
            s.change_hours_and_goals(p, &HoursAndGoals::default())
                .await
                .unwrap_err()
        )
        .0,
        "hours_per_week"
    );
    s.change_hours_and_goals(
        p,
        &HoursAndGoals {
            hours_per_week: Some(WeeklyMinutes::new(20 * 60).unwrap()),
            goals: Some(Some(text("Arbetsträning i snickeriet"))),
        },
    )
    .await
    .unwrap();
    assert_eq!(audit_len(&s).await, audit, "no change, no entry");

    // Hours alone: the goals stay; the audit entry holds before and after.
    s.change_hours_and_goals(
        p,
        &HoursAndGoals {
            hours_per_week: Some(WeeklyMinutes::new(25 * 60 + 30).unwrap()),
            goals: None,
        },
    )
    .await
    .unwrap();
    let now = s.get_placement(p).await.unwrap();
    assert_eq!(now.hours_per_week.minutes(), 25 * 60 + 30);
    assert_eq!(now.goals, Some(text("Arbetsträning i snickeriet")));
    let entries = s
        .audit_entries(&AuditFilter {
            limit: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    let last = &entries[0];
    assert_eq!(
        (last.action.as_str(), last.entity.as_str()),
        ("update", "placements")
    );
    assert_eq!(
        last.entity_id.as_deref(),
        Some(p.get().to_string().as_str())
    );
    let json = |s: &Option<String>| -> serde_json::Value {
        serde_json::from_str(s.as_deref().unwrap()).unwrap()
    };
    assert_eq!(
        json(&last.before_json),
        serde_json::json!({ "weekly_minutes": 1200 })
    );
    assert_eq!(
        json(&last.after_json),
        serde_json::json!({ "weekly_minutes": 1530 })
    );

    // Goals alone, then removed.
    s.change_hours_and_goals(
        p,
        &HoursAndGoals {
            hours_per_week: None,
            goals: Some(Some(text("Truckkort"))),
        },
    )
    .await
    .unwrap();
    assert_eq!(
        s.get_placement(p).await.unwrap().goals,
        Some(text("Truckkort"))
    );
    s.change_hours_and_goals(
        p,
        &HoursAndGoals {
            hours_per_week: None,
            goals: Some(None),
        },
    )
    .await
    .unwrap();
    let now = s.get_placement(p).await.unwrap();
    assert_eq!(now.goals, None);
    assert_eq!(now.hours_per_week.minutes(), 25 * 60 + 30);
    assert_eq!(audit_len(&s).await, audit + 3);

    // Ended: refused, nothing written.
    s.record_exit(p, d(2024, 6, 30), ExitOutcome::Other, None)
        .await
        .unwrap();
    let audit = audit_len(&s).await;
    let (field, msg) = rule(
        s.change_hours_and_goals(
            p,
            &HoursAndGoals {
                hours_per_week: Some(WeeklyMinutes::new(10 * 60).unwrap()),
                goals: Some(Some(text("Nytt mål"))),
            },
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(field, "hours_per_week");
    assert!(msg.contains("avslutad"), "{msg}");
    let now = s.get_placement(p).await.unwrap();
    assert_eq!(
        (now.hours_per_week.minutes(), now.goals),
        (25 * 60 + 30, None)
    );
    assert_eq!(audit_len(&s).await, audit);
    // Another tenant's placement is not found.
    let other = fixture(&db.store, "timmar-annan").await;
    assert!(matches!(
        db.store
            .tenant(other.tenant)
            .change_hours_and_goals(
                p,
                &HoursAndGoals {
                    hours_per_week: Some(WeeklyMinutes::new(600).unwrap()),
                    goals: None,
                },
            )
            .await,
        Err(StoreError::NotFound { .. })
    ));
}

async fn follow_up_reminders_split_due_now_from_overdue(db: TestDb) {
    let fx = fixture(&db.store, "paminnelser").await;
    let s = db.store.tenant(fx.tenant);
    let p = placement(&s, &fx, 1).await;
    let exit = s
        .record_exit(p, d(2024, 6, 30), ExitOutcome::Other, None)
        .await
        .unwrap();
    // 3 months after 30 June is 30 September.
    let due_on = d(2024, 9, 30);
    let state = |today| DueState::of(due_on, today);
    assert_eq!(state(d(2024, 9, 29)), DueState::Coming);
    assert_eq!(state(due_on), DueState::DueNow);
    assert_eq!(state(d(2024, 10, 29)), DueState::DueNow);
    assert_eq!(state(d(2024, 10, 30)), DueState::Overdue);
    for (today, due_now, overdue) in [
        (d(2024, 9, 29), 0, 0),
        (due_on, 1, 0),
        (d(2024, 10, 29), 1, 0),
        (d(2024, 10, 30), 0, 1),
        // 31 December: the 6-month point falls due, the 3-month one is overdue.
        (d(2024, 12, 31), 1, 1),
    ] {
        assert_eq!(
            s.follow_up_reminders(today).await.unwrap(),
            FollowUpReminders { due_now, overdue },
            "{today}"
        );
        let listed = s.due_follow_ups(today, 0).await.unwrap();
        assert_eq!(
            listed
                .iter()
                .filter(|f| f.state(today) == DueState::DueNow)
                .count() as u64,
            due_now
        );
        assert_eq!(
            listed
                .iter()
                .filter(|f| f.state(today) == DueState::Overdue)
                .count() as u64,
            overdue
        );
    }
    s.record_follow_up(
        exit,
        FollowUpPoint::Months3,
        d(2024, 11, 2),
        FollowUpStatus::Unemployed,
    )
    .await
    .unwrap();
    assert_eq!(
        s.follow_up_reminders(d(2024, 12, 31)).await.unwrap(),
        FollowUpReminders {
            due_now: 1,
            overdue: 0
        }
    );
}

async fn coming_agreements_are_listed_after_those_in_force(db: TestDb) {
    let fx = fixture(&db.store, "kommande").await;
    let s = db.store.tenant(fx.tenant);
    let current = s.get_agreement(fx.agreement).await.unwrap();
    let coming = s
        .insert_agreement(&NewAgreement {
            round_id: None,
            lot_id: None,
            organisation_id: fx.org,
            placement_type_id: current.placement_type_id,
            capacity: 7,
            price_per_month: Money::from_kronor(3_500),
            period: DateRange::new(d(2025, 1, 1), Some(d(2026, 12, 31))).unwrap(),
            rank: Some(1),
            absence_rule: AbsenceRule::DeductUnexcused,
            signed_on: None,
        })
        .await
        .unwrap();
    let listed = s
        .current_and_coming_agreements(d(2024, 6, 1), fx.org)
        .await
        .unwrap();
    let ids: Vec<AgreementId> = listed.iter().map(|a| a.agreement.id).collect();
    // The expired one and the other supplier's are left out.
    assert_eq!(ids, [fx.agreement, coming]);
    assert_eq!((listed[1].used, listed[1].free()), (0, 7));
    // Once it is in force it is simply current; the old one has ended.
    let listed = s
        .current_and_coming_agreements(d(2025, 1, 1), fx.org)
        .await
        .unwrap();
    let ids: Vec<AgreementId> = listed.iter().map(|a| a.agreement.id).collect();
    assert_eq!(ids, [coming]);
    // The free places offered to case workers stay those in force.
    assert!(s
        .free_places(d(2024, 6, 1), None, Some(fx.org))
        .await
        .unwrap()
        .iter()
        .all(|a| a.agreement.id != coming));
}

async fn pseudonyms_are_stable_per_tenant(db: TestDb) {
    let a = fixture(&db.store, "pseudo-a").await;
    let b = fixture(&db.store, "pseudo-b").await;
    let sa = db.store.tenant(a.tenant);
    let sb = db.store.tenant(b.tenant);
    let pa = person(&sa, 1).await;
    let one = sa.casework_settings().await.unwrap().pseudonym(pa);
    let again = sa.casework_settings().await.unwrap().pseudonym(pa);
    assert_eq!(one, again);
    assert_eq!(one.len(), 8);
    assert!(one.starts_with("D-"));
    assert!(one[2..]
        .chars()
        .all(|c| "0123456789ABCDEFGHJKMNPQRSTVWXYZ".contains(c)));
    // The same id in another tenant (its own key) gives another pseudonym.
    let other = sb.casework_settings().await.unwrap().pseudonym(pa);
    assert_ne!(one, other);
    // Distinct participants, distinct pseudonyms (over a small sample).
    let settings = sa.casework_settings().await.unwrap();
    let all: std::collections::HashSet<String> = (1..200)
        .map(|i| settings.pseudonym(ParticipantId(i)))
        .collect();
    assert_eq!(all.len(), 199);
}

async fn register_search_export_and_anonymise(db: TestDb) {
    let fx = fixture(&db.store, "anonym").await;
    let s = db.store.tenant(fx.tenant);
    let gone = placement(&s, &fx, 1).await;
    let running = placement(&s, &fx, 2).await;
    let gone_person = s.get_placement(gone).await.unwrap().participant_id;
    let running_person = s.get_placement(running).await.unwrap().participant_id;
    s.add_placement_note(
        gone,
        NoteKind::Progress,
        d(2024, 3, 5),
        None,
        &text("Alva trivs"),
    )
    .await
    .unwrap();
    let exit = s
        .record_exit(
            gone,
            d(2024, 6, 30),
            ExitOutcome::StudiesWithAllowance,
            Some(&text("Antagningsbesked")),
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
    let never = s
        .register_participant(&new_participant(3, "Bodil"), d(2021, 1, 10))
        .await
        .unwrap();

    // The same identity number twice is a conflict.
    assert!(matches!(
        s.register_participant(&new_participant(3, "Bodil"), d(2021, 1, 10))
            .await,
        Err(StoreError::Conflict {
            field: "personal_number"
        })
    ));
    let (n, found) = s
        .search_participants("bodil", Page::first(10))
        .await
        .unwrap();
    assert_eq!((n, found.len()), (1, 1));
    let pnr = new_participant(3, "Bodil").personal_number.canonical();
    let (n, _) = s
        .search_participants(&format!("{}-{}", &pnr[2..8], &pnr[8..]), Page::first(10))
        .await
        .unwrap();
    assert_eq!(n, 1, "found by personnummer with a dash");
    let (n, _) = s
        .search_participants("100%", Page::first(10))
        .await
        .unwrap();
    assert_eq!(n, 0);

    let record = s.participant_record(gone_person).await.unwrap();
    assert_eq!(record.placements.len(), 1);
    assert_eq!(record.placements[0].notes.len(), 1);
    assert_eq!(record.placements[0].follow_ups.len(), 1);
    assert_eq!(record.referrals.len(), 1);

    let (field, _) = rule(
        s.anonymise_participants(d(2030, 1, 1), d(2025, 1, 1))
            .await
            .unwrap_err(),
    );
    assert_eq!(field, "before");
    let ids = s
        .anonymise_participants(d(2025, 1, 1), d(2026, 1, 1))
        .await
        .unwrap();
    assert_eq!(ids, vec![gone_person, never]);
    let p = s.get_participant(gone_person).await.unwrap();
    assert!(p.is_anonymised());
    assert_eq!(p.first_name.as_str(), "Anonymiserad");
    assert_ne!(p.personal_number, new_participant(1, "x").personal_number);
    assert!(p.personal_number.canonical().starts_with("18"));
    // The statistics remain: covariates, placement, exit, follow-up.
    assert_eq!(p.covariates.months_on_income_support, 30);
    let record = s.participant_record(gone_person).await.unwrap();
    assert_eq!(record.placements.len(), 1);
    assert_eq!(
        record.placements[0].exit.as_ref().unwrap().outcome,
        ExitOutcome::StudiesWithAllowance
    );
    assert_eq!(record.placements[0].exit.as_ref().unwrap().evidence, None);
    assert_eq!(record.placements[0].notes[0].body, "[anonymiserad]");
    assert_eq!(record.placements[0].follow_ups.len(), 1);
    // The running one is kept; a second run finds nothing more.
    assert!(!s
        .get_participant(running_person)
        .await
        .unwrap()
        .is_anonymised());
    assert!(s
        .anonymise_participants(d(2025, 1, 1), d(2026, 1, 1))
        .await
        .unwrap()
        .is_empty());
    let anonymised = s
        .audit_entries(&AuditFilter {
            entity: Some("participants".into()),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "anonymise")
        .count();
    assert_eq!(anonymised, 2);
    assert!(db.store.verify_audit().await.unwrap().is_intact());
}

/// Many case workers referring to the last places at once never take more places than
/// the agreement has: the free places are counted under the agreement's lock
/// (PostgreSQL; SQLite's single writer serialises the transactions anyway). Three rounds,
/// each a new agreement with one of its two places taken and twelve referrals racing for
/// the other, so that a missing lock is caught even when one round happens not to race.
async fn simultaneous_referrals_never_exceed_capacity(db: TestDb) {
    let fx = fixture(&db.store, "samtidigt").await;
    let s = db.store.tenant(fx.tenant);
    let template = s.get_agreement(fx.agreement).await.unwrap();
    let first = person(&s, 1).await;
    let mut people = Vec::new();
    for serial in 2..14 {
        people.push(person(&s, serial).await);
    }
    for round in 0..3 {
        let agreement = s
            .insert_agreement(&NewAgreement {
                round_id: None,
                lot_id: None,
                organisation_id: template.organisation_id,
                placement_type_id: template.placement_type_id,
                capacity: 2,
                price_per_month: template.price_per_month,
                period: template.period,
                rank: Some(round + 2),
                absence_rule: template.absence_rule,
                signed_on: None,
            })
            .await
            .unwrap();
        refer(&s, first, agreement, d(2024, 2, 1)).await;
        let results = futures_util::future::join_all(people.iter().map(|p| {
            let store = db.store.clone();
            let (p, tenant) = (*p, fx.tenant);
            async move {
                store
                    .tenant(tenant)
                    .insert_referral(&NewReferral {
                        participant_id: p,
                        agreement_id: agreement,
                        reason: text("Behov av praktisk arbetsträning"),
                        referred_on: d(2024, 2, 2),
                    })
                    .await
            }
        }))
        .await;
        let mut granted = 0;
        for r in results {
            match r {
                Ok(_) => granted += 1,
                Err(e) => {
                    let (field, msg) = rule(e);
                    assert_eq!(field, "agreement_id");
                    assert!(msg.contains("inga lediga platser"), "{msg}");
                }
            }
        }
        assert_eq!(
            granted, 1,
            "round {round}: exactly the one free place is taken"
        );
        let places = s
            .free_places(d(2024, 2, 2), None, Some(fx.org))
            .await
            .unwrap();
        let this = places.iter().find(|p| p.agreement.id == agreement).unwrap();
        assert_eq!((this.used, this.pending, this.free()), (0, 2, 0));
    }
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

both!(
    referral_beyond_capacity_or_to_an_expired_agreement_is_refused,
    the_supplier_accepts_or_declines_its_own_referrals,
    attendance_rules_hold_and_nothing_is_half_written,
    exits_pauses_notes_and_follow_ups,
    hours_and_goals_change_while_running,
    follow_up_reminders_split_due_now_from_overdue,
    coming_agreements_are_listed_after_those_in_force,
    pseudonyms_are_stable_per_tenant,
    register_search_export_and_anonymise,
    simultaneous_referrals_never_exceed_capacity,
);
