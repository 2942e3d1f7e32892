//! The demo municipality: a small, fixed, entirely synthetic municipality ("Storsjö
//! kommun (demo)") with suppliers, a baseline period arranged the old way (2021–2022),
//! a reserved procurement with framework agreements (2023–2024), the next round being
//! planned, and participants with placements, attendance, exits and follow-ups.
//!
//! Every name, identity number and organisation number is fictitious and every record is
//! marked synthetic. The generator work (`vidare generate`) replaces this with data at
//! realistic scale and a known true effect.

use chrono::{Datelike, Months, NaiveDate};
use vidare_domain::calendar::DecisionDelivery;
use vidare_domain::deadline::Deadline;
use vidare_domain::ids::{AgreementId, OrganisationId, PlacementTypeId};
use vidare_domain::model::organisation::{Headcount, LegalForm, NewOrganisation};
use vidare_domain::model::participant::{
    Covariates, EducationLevel, Gender, NewParticipant, SwedishLevel,
};
use vidare_domain::model::placement::{
    AttendanceMonth, AttendanceStatus, ExitOutcome, FollowUpPoint, FollowUpStatus,
    ReferralStatus, WeeklyMinutes, working_days_in,
};
use vidare_domain::model::procurement::{
    AbsenceRule, ContractKind, ContractPeriod, CpvCode, LegalBasis, RoundStatus,
};
use vidare_domain::model::tenant::Role;
use vidare_domain::model::{Email, Slug, Text};
use vidare_domain::money::Money;
use vidare_domain::orgnr::OrganisationNumber;
use vidare_domain::period::{DateRange, YearMonth};
use vidare_domain::personnummer::{IdentityKind, PersonalIdentityNumber};
use vidare_store::repo::placements::{NewPlacement, NewReferral};
use vidare_store::repo::procurement::{NewAgreement, NewLot, NewPlacementType, NewRound};
use vidare_store::repo::tenants::{NewTenant, NewUser};
use vidare_store::{Scoped, Store, StoreError};

/// The demo tenant's short name.
pub const SLUG: &str = "demo";

/// Creates the demo municipality unless it exists. Returns whether it was created.
pub async fn ensure(store: &Store) -> Result<bool, StoreError> {
    if store.tenant_by_slug(SLUG).await?.is_some() {
        return Ok(false);
    }
    let tenant = store
        .insert_tenant(&NewTenant {
            slug: slug(SLUG),
            name: text("Storsjö kommun (demo)"),
            municipality_code: None,
            synthetic: true,
        })
        .await?;
    if let Err(e) = seed(store.tenant(tenant)).await {
        tracing::error!(error = %e, "seeding the demo failed; delete the demo database and run `vidare demo` again");
        return Err(e);
    }
    Ok(true)
}

fn text(s: &str) -> Text {
    Text::parse(s).expect("demo text is valid")
}

fn slug(s: &str) -> Slug {
    Slug::parse(s).expect("demo slug is valid")
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("demo date is valid")
}

/// A small deterministic generator (SplitMix64), so the demo is the same every time.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// (code, Swedish name, English name)
const PLACEMENT_TYPES: &[(&str, &str, &str)] = &[
    ("carpentry", "Snickeri", "Carpentry"),
    ("gardening", "Trädgård och grönytor", "Gardening"),
    ("cafe", "Café och kök", "Café and kitchen"),
    ("second-hand", "Second hand-butik", "Second-hand retail"),
    ("recycling", "Återbruk och återvinning", "Recycling and re-use"),
    ("textiles", "Textil och sömnad", "Textiles"),
    ("cleaning", "Städ", "Cleaning"),
    ("property", "Fastighetsskötsel", "Property maintenance"),
    ("bicycle", "Cykelverkstad", "Bicycle repair"),
    ("office", "Kontor och reception", "Office and reception"),
    ("animal-care", "Djurskötsel", "Animal care"),
    ("digital", "Digitala tjänster", "Digital services"),
];

/// (name, legal form, group digit, idea-driven, total, from target groups, turnover kr, types)
type Supplier = (&'static str, LegalForm, u8, bool, u32, u32, i64, &'static [&'static str]);

const SUPPLIERS: &[Supplier] = &[
    ("Kvarnbackens Arbetskooperativ ek. för.", LegalForm::EconomicAssociation, 7, true, 34, 21, 4_200_000, &["carpentry", "property"]),
    ("Gröna Händer Storsjö", LegalForm::NonProfitAssociation, 8, true, 18, 11, 1_600_000, &["gardening"]),
    ("Returhuset Storsjö ek. för.", LegalForm::EconomicAssociation, 7, true, 41, 26, 6_900_000, &["second-hand", "recycling"]),
    ("Kafé Mötesplatsen ek. för.", LegalForm::EconomicAssociation, 7, true, 15, 9, 2_100_000, &["cafe"]),
    ("Stickan och Tråden ek. för.", LegalForm::EconomicAssociation, 7, true, 9, 6, 800_000, &["textiles"]),
    ("Solkattens Städ ek. för.", LegalForm::EconomicAssociation, 7, true, 22, 12, 3_300_000, &["cleaning"]),
    ("Trampa Cykelkooperativ ek. för.", LegalForm::EconomicAssociation, 7, true, 7, 4, 650_000, &["bicycle"]),
    ("Stiftelsen Hagens Djurgård", LegalForm::Foundation, 8, true, 12, 5, 1_900_000, &["animal-care"]),
    ("DigiVerkstan Storsjö AB (svb)", LegalForm::LimitedCompanyRestrictedProfit, 5, true, 11, 4, 2_400_000, &["digital", "office"]),
    // Falls below the 30 % share test: eligibility checks have something to catch.
    ("Fixarna Fastighetsservice AB", LegalForm::LimitedCompany, 5, false, 80, 16, 24_000_000, &["property", "cleaning"]),
];

const FIRST_NAMES: &[&str] = &[
    "Amina", "Erik", "Fatima", "Johan", "Leila", "Mohammed", "Sara", "Oskar", "Hanna", "Ali",
    "Elin", "Yusuf", "Maja", "Daniel", "Noor", "Lars", "Ida", "Omar", "Karin", "Ahmed",
];
const LAST_NAMES: &[&str] = &[
    "Demosson", "Testberg", "Provström", "Exempelsdotter", "Fiktivsson", "Låtsasgren",
    "Påhittad", "Syntesson", "Modellqvist", "Skenlund",
];

async fn seed(s: Scoped<'_>) -> Result<(), StoreError> {
    let mut rng = Rng(20_240_422);

    let mut types: Vec<(&str, PlacementTypeId)> = Vec::new();
    for (code, sv, en) in PLACEMENT_TYPES {
        let id = s
            .insert_placement_type(&NewPlacementType {
                code: slug(code),
                name_sv: text(sv),
                name_en: text(en),
            })
            .await?;
        types.push((code, id));
    }
    let type_id = |code: &str| {
        types
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, id)| *id)
            .expect("known placement type")
    };

    let mut orgs: Vec<(OrganisationId, &Supplier)> = Vec::new();
    for (i, sup) in SUPPLIERS.iter().enumerate() {
        let (name, form, group, idea, total, target, turnover, _) = *sup;
        let i = i as u8;
        let payload = [group, 6, 9 - i % 7, 4, 1, 2 + i, 3, 5, 7];
        let org_number = OrganisationNumber::from_payload(payload).expect("valid demo org number");
        let email_local: String = name
            .to_lowercase()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .take(16)
            .collect();
        let id = s
            .insert_organisation(&NewOrganisation {
                org_number,
                name: text(name),
                legal_form: form,
                idea_driven: idea,
                in_idea_driven_register: idea && i % 3 == 0,
                headcount: Some(Headcount::new(total, target).expect("valid demo headcount")),
                annual_turnover: Some(Money::from_kronor(turnover)),
                email: Some(Email::parse(&format!("{email_local}@demo.invalid")).expect("valid")),
                synthetic: true,
            })
            .await?;
        orgs.push((id, sup));
    }

    for (email, name, role) in [
        ("admin@storsjo.demo.invalid", "Ada Administratör", Role::TenantAdmin),
        ("upphandlare@storsjo.demo.invalid", "Ulla Upphandlare", Role::ProcurementOfficer),
        ("handlaggare@storsjo.demo.invalid", "Hassan Handläggare", Role::CaseWorker),
        ("forskare@storsjo.demo.invalid", "Fredrika Forskare", Role::Researcher),
        ("ledning@storsjo.demo.invalid", "Lennart Ledning", Role::Management),
        (
            "leverantor@kvarnbacken.demo.invalid",
            "Lisa Leverantör",
            Role::SupplierUser {
                organisation_id: orgs[0].0,
            },
        ),
    ] {
        s.insert_user(&NewUser {
            email: Email::parse(email).expect("valid"),
            display_name: text(name),
            role,
        })
        .await?;
    }

    // Baseline 2021–2022: placements arranged the old way, four kinds only.
    let baseline = DateRange::new(date(2021, 1, 1), Some(date(2022, 12, 31))).expect("valid");
    let mut baseline_agreements = Vec::new();
    for (org_index, code) in [(0, "carpentry"), (3, "cafe"), (5, "cleaning"), (9, "property")] {
        let id = s
            .insert_agreement(&NewAgreement {
                round_id: None,
                lot_id: None,
                organisation_id: orgs[org_index].0,
                placement_type_id: type_id(code),
                capacity: 6,
                price_per_month: Money::from_kronor(2_800),
                period: baseline,
                rank: None,
                absence_rule: AbsenceRule::PayFullMonth,
                signed_on: Some(date(2020, 12, 10)),
            })
            .await?;
        baseline_agreements.push(id);
    }

    // The reserved procurement, 2023–2024 with options to 2026.
    let round = s
        .insert_round(&NewRound {
            title: text("Reserverad upphandling av sysselsättningsplatser 2023–2024"),
            reference: Some(text("AME 2022/118")),
            legal_basis: LegalBasis::ReservedIntegration,
            contract_kind: ContractKind::SocialServices,
            cpv_codes: vec![
                CpvCode::parse("85312320-8").expect("valid"),
                CpvCode::parse("80500000-9").expect("valid"),
            ],
            estimated_value: Money::from_kronor(7_400_000),
            contract_period: ContractPeriod::new(date(2023, 1, 1), 24, 24).expect("valid"),
            tender_deadline: Some(
                Deadline::new(date(2022, 10, 14).and_hms_opt(12, 0, 0).expect("valid")).expect("valid"),
            ),
            status: RoundStatus::Contracted,
            synthetic: true,
        })
        .await?;
    let decision_sent = date(2022, 11, 21);
    let signing = vidare_domain::calendar::earliest_signing_date(decision_sent, DecisionDelivery::Electronic);
    let reform = DateRange::new(date(2023, 1, 1), Some(date(2024, 12, 31))).expect("valid");
    let reform_codes = [
        "carpentry", "gardening", "cafe", "second-hand", "recycling", "textiles", "cleaning",
        "property", "bicycle", "office",
    ];
    let mut reform_agreements: Vec<AgreementId> = Vec::new();
    for (n, code) in reform_codes.iter().enumerate() {
        let lot = s
            .insert_lot(
                round,
                &NewLot {
                    number: n as u32 + 1,
                    placement_type_id: type_id(code),
                    title: text(PLACEMENT_TYPES.iter().find(|t| t.0 == *code).expect("known").1),
                    description: None,
                    places: 4 + (n as u32 % 4),
                    max_price_per_month: Money::from_kronor(4_500),
                    reserved: true,
                },
            )
            .await?;
        // Every eligible supplier offering this type gets an agreement, ranked by order.
        let mut rank = 0;
        for (org, sup) in &orgs {
            let eligible = Headcount::new(sup.4, sup.5).expect("valid").meets_share_test();
            if !sup.7.contains(code) || !eligible {
                continue;
            }
            rank += 1;
            let id = s
                .insert_agreement(&NewAgreement {
                    round_id: Some(round),
                    lot_id: Some(lot),
                    organisation_id: *org,
                    placement_type_id: type_id(code),
                    capacity: 3 + (n as u32 % 3),
                    price_per_month: Money::from_kronor(3_400 + 100 * (n as i64 % 6)),
                    period: reform,
                    rank: Some(rank),
                    absence_rule: AbsenceRule::DeductUnexcused,
                    signed_on: Some(signing),
                })
                .await?;
            reform_agreements.push(id);
        }
    }

    // The next round, being planned: more kinds of placements.
    let next = s
        .insert_round(&NewRound {
            title: text("Reserverad upphandling av sysselsättningsplatser 2025–2026"),
            reference: Some(text("AME 2024/57")),
            legal_basis: LegalBasis::ReservedIntegration,
            contract_kind: ContractKind::SocialServices,
            cpv_codes: vec![CpvCode::parse("85312320-8").expect("valid")],
            estimated_value: Money::from_kronor(9_800_000),
            contract_period: ContractPeriod::new(date(2025, 7, 1), 24, 24).expect("valid"),
            tender_deadline: None,
            status: RoundStatus::Planning,
            synthetic: true,
        })
        .await?;
    for (n, (code, sv, _)) in PLACEMENT_TYPES.iter().enumerate() {
        s.insert_lot(
            next,
            &NewLot {
                number: n as u32 + 1,
                placement_type_id: type_id(code),
                title: text(sv),
                description: None,
                places: 4,
                max_price_per_month: Money::from_kronor(4_800),
                reserved: true,
            },
        )
        .await?;
    }

    // Participants: half placed in the baseline period, half under the reserved round,
    // and a few never placed (the comparison pool).
    for i in 0..72u16 {
        let birth = date(1966 + rng.below(38) as i32, 1 + rng.below(12) as u32, 1 + rng.below(28) as u32);
        let kind = if rng.chance(10) {
            IdentityKind::Samordningsnummer
        } else {
            IdentityKind::Personnummer
        };
        let pnr = PersonalIdentityNumber::from_parts(birth, 100 + i * 7, kind).expect("valid");
        let born_abroad = rng.chance(55);
        let participant = s
            .insert_participant(&NewParticipant {
                personal_number: pnr,
                first_name: text(rng.pick(FIRST_NAMES)),
                last_name: text(rng.pick(LAST_NAMES)),
                covariates: Covariates {
                    gender: if rng.chance(48) { Gender::Female } else { Gender::Male },
                    born_abroad,
                    education: *rng.pick(&[
                        EducationLevel::Primary,
                        EducationLevel::Primary,
                        EducationLevel::UpperSecondary,
                        EducationLevel::PostSecondary,
                    ]),
                    months_on_income_support: 3 + rng.below(60) as u32,
                    health_limitation: rng.chance(30),
                    swedish_level: if born_abroad {
                        *rng.pick(&[SwedishLevel::Basic, SwedishLevel::Intermediate, SwedishLevel::Fluent])
                    } else {
                        SwedishLevel::Fluent
                    },
                    prior_work_experience: rng.chance(60),
                },
                synthetic: true,
            })
            .await?;
        if i % 12 == 11 {
            continue; // comparison pool: never placed
        }
        let (agreements, period_start, months_span) = if i % 2 == 0 {
            (&baseline_agreements, date(2021, 1, 1), 14)
        } else {
            (&reform_agreements, date(2023, 1, 1), 14)
        };
        let agreement = *rng.pick(agreements);
        let referred_on = period_start
            .checked_add_months(Months::new(rng.below(months_span) as u32))
            .expect("valid")
            .with_day(1 + rng.below(20) as u32)
            .expect("valid");
        let referral = match s
            .insert_referral(&NewReferral {
                participant_id: participant,
                agreement_id: agreement,
                reason: text("Deltagarens önskemål och behov matchar placeringen."),
                referred_on,
            })
            .await
        {
            Ok(r) => r,
            // The agreement is full on that day: this participant stays in the pool.
            Err(StoreError::Rule(_)) => continue,
            Err(e) => return Err(e),
        };
        let start = referred_on + chrono::Duration::days(7);
        s.decide_referral(referral, ReferralStatus::Accepted, referred_on + chrono::Duration::days(3))
            .await?;
        let planned_end = start.checked_add_months(Months::new(6)).expect("valid");
        let placement = s
            .insert_placement(&NewPlacement {
                referral_id: Some(referral),
                participant_id: participant,
                agreement_id: agreement,
                start,
                planned_end,
                hours_per_week: WeeklyMinutes::new((15 + 5 * rng.below(4) as u32) * 60).expect("valid"),
                goals: Some(text("Stärka arbetsförmågan och pröva yrket.")),
            })
            .await?;
        let months = 3 + rng.below(6) as u32;
        let exit_date = start.checked_add_months(Months::new(months)).expect("valid");
        let open = DateRange::new(start, Some(exit_date)).expect("valid");
        for month in YearMonth::of(start).iter_to(YearMonth::of(exit_date)) {
            let days = working_days_in(month, &open);
            if days == 0 {
                continue;
            }
            let sick = rng.below(2) as u32;
            s.upsert_attendance(&AttendanceMonth {
                placement_id: placement,
                month,
                attended_minutes: (days - sick) * 4 * 60,
                sick_days: sick,
                leave_days: 0,
                unexcused_days: 0,
                status: AttendanceStatus::Approved,
            })
            .await?;
        }
        // Better outcomes under the reserved round, as the evaluation found.
        let success = if i % 2 == 0 { 30 } else { 45 };
        let outcome = if rng.chance(success) {
            *rng.pick(&[
                ExitOutcome::WorkUnsubsidised,
                ExitOutcome::WorkSubsidised,
                ExitOutcome::StudiesWithAllowance,
            ])
        } else {
            *rng.pick(&[
                ExitOutcome::OtherProgramme,
                ExitOutcome::Illness,
                ExitOutcome::Interrupted,
                ExitOutcome::MunicipalEmployment,
                ExitOutcome::Moved,
            ])
        };
        let exit = s.record_exit(placement, exit_date, outcome, None).await?;
        for point in FollowUpPoint::ALL {
            let due = point.due_on(exit_date);
            if due > date(2025, 6, 30) {
                break;
            }
            let status = if outcome.counts_as_work_or_studies() && rng.chance(80) {
                if outcome == ExitOutcome::StudiesWithAllowance {
                    FollowUpStatus::Studying
                } else {
                    FollowUpStatus::Employed
                }
            } else {
                *rng.pick(&[FollowUpStatus::Unemployed, FollowUpStatus::OnIncomeSupport, FollowUpStatus::InProgramme])
            };
            s.record_follow_up(exit, *point, due, status).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use vidare_store::repo::Page;

    use super::*;

    #[tokio::test]
    async fn the_demo_is_created_once_and_is_synthetic() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("demo.sqlite").display());
        let store = Store::connect(&url).await.unwrap();
        store.migrate().await.unwrap();
        assert!(ensure(&store).await.unwrap());
        assert!(!ensure(&store).await.unwrap());
        let tenant = store.tenant_by_slug(SLUG).await.unwrap().unwrap();
        assert!(tenant.synthetic);
        let s = store.tenant(tenant.id);
        assert_eq!(s.list_placement_types().await.unwrap().len(), 12);
        assert_eq!(s.count_organisations().await.unwrap(), SUPPLIERS.len() as u64);
        let participants = s.list_participants(Page::first(1000)).await.unwrap();
        assert_eq!(participants.len(), 72);
        assert!(participants.iter().all(|p| p.synthetic));
        assert_eq!(s.list_rounds().await.unwrap().len(), 2);
        assert_eq!(s.list_users().await.unwrap().len(), 6);
        // At least one supplier fails the share test.
        let orgs = s.list_organisations(Page::first(100)).await.unwrap();
        assert!(orgs.iter().any(|o| !o.headcount.unwrap().meets_share_test()));
        // Most participants were placed.
        let mut placed = 0;
        for p in &participants {
            if !s.placements_of_participant(p.id).await.unwrap().is_empty() {
                placed += 1;
            }
        }
        assert!(placed >= 50, "{placed} placed");
    }
}
