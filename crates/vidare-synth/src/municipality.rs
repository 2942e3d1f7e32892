//! Generation of one municipality: its suppliers and procurement, its registrants, and
//! everything that happens to them, from its own random streams.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use chrono::{Datelike, Days, Months, NaiveDate, NaiveTime};
use vidare_domain::calendar::{self, DecisionDelivery};
use vidare_domain::model::organisation::{Headcount, LegalForm};
use vidare_domain::model::participant::{Covariates, Gender};
use vidare_domain::model::placement::{ExitOutcome, FollowUpPoint, FollowUpStatus};
use vidare_domain::model::procurement::AbsenceRule;
use vidare_domain::money::Money;
use vidare_domain::orgnr::OrganisationNumber;
use vidare_domain::personnummer::{IdentityKind, PersonalIdentityNumber};

use crate::model::{logistic, Model};
use crate::names::*;
use crate::person::{AgeBand, Person};
use crate::rng::{Rng, Stream};
use crate::rows::*;

/// The dates every municipality shares.
pub mod timeline {
    use chrono::NaiveDate;

    const fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        match NaiveDate::from_ymd_opt(y, m, day) {
            Some(d) => d,
            None => panic!("invalid date"),
        }
    }

    /// First registration: the baseline period starts.
    pub const BASELINE_START: NaiveDate = d(2021, 1, 1);
    /// Placements starting from this day are under the reserved round's agreements.
    pub const REFORM_START: NaiveDate = d(2023, 1, 1);
    /// Last registration (no one registers after; everyone has 12 months observed).
    pub const REGISTRATION_END: NaiveDate = d(2024, 12, 31);
    /// The data's "today": nothing after it is recorded.
    pub const AS_OF: NaiveDate = d(2025, 12, 31);
    /// Agreements made the old way run until this day for placements already begun.
    pub const OLD_AGREEMENTS_END: NaiveDate = d(2024, 6, 30);
    /// The reserved round's agreements, options used, end on this day.
    pub const RESERVED_AGREEMENTS_END: NaiveDate = d(2026, 12, 31);
    /// The reserved round's tender deadline (local time 12:00).
    pub const TENDER_DEADLINE: NaiveDate = d(2022, 9, 30);
    /// The award decision.
    pub const AWARD_DECIDED: NaiveDate = d(2022, 11, 14);
    pub const AWARD_SENT: NaiveDate = d(2022, 11, 15);
    /// The next round.
    pub const NEXT_CONTRACT_START: NaiveDate = d(2027, 1, 1);
    pub const INVITATIONS_SENT: NaiveDate = d(2025, 11, 10);
    pub const MEETING_DAY: NaiveDate = d(2025, 12, 4);
}

use timeline::*;

/// Which municipality to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    /// Position in the run, from 0; with the seed it keys the random streams.
    pub index: u32,
    pub slug: String,
    pub name: String,
    pub population: u32,
    /// Whether registrations follow the national (benchmark) intensity.
    pub national: bool,
}

/// What the truth and the summary need to know about one registered person.
#[derive(Debug, Clone)]
pub struct PersonTruth {
    pub registered_on: NaiveDate,
    pub age_band: AgeBand,
    pub covariates: Covariates,
    /// Placed at all (either period).
    pub placed: bool,
    /// Placed under the reserved round's agreements: the treatment.
    pub treated: bool,
    /// Whether the placement (if any) started in the reform period.
    pub reform_period: bool,
    /// P(Y(0) = 1 | X) and P(Y(1) = 1 | X).
    pub p0: f64,
    pub p1: f64,
    /// The drawn potential outcomes (only one of them is observed).
    pub y0: bool,
    pub y1: bool,
    /// The exit outcome, once the placement ended.
    pub exit: Option<ExitOutcome>,
    /// Days from registration to beginning work or studies, if within the data.
    pub days_to_work: Option<u32>,
}

impl PersonTruth {
    /// The observed main outcome.
    pub fn y(&self) -> bool {
        if self.treated {
            self.y1
        } else {
            self.y0
        }
    }
}

/// One generated municipality.
#[derive(Debug)]
pub struct Municipality {
    pub spec: Spec,
    pub tables: Tables,
    pub people: Vec<PersonTruth>,
    /// The municipality's own level on the logit scale.
    pub municipality_effect: f64,
}

/// Working days per month as bit masks (bit d−1 = day d), 2020–2027.
fn working_masks() -> &'static [u32] {
    static MASKS: OnceLock<Vec<u32>> = OnceLock::new();
    MASKS.get_or_init(|| {
        let mut out = Vec::new();
        for y in 2020..=2027 {
            for m in 1..=12 {
                let mut mask = 0u32;
                let first = NaiveDate::from_ymd_opt(y, m, 1).expect("valid");
                for d in first.iter_days().take_while(|d| d.month() == m) {
                    if calendar::is_working_day(d) {
                        mask |= 1 << (d.day() - 1);
                    }
                }
                out.push(mask);
            }
        }
        out
    })
}

fn month_index(d: NaiveDate) -> usize {
    ((d.year() - 2020) * 12 + d.month0() as i32) as usize
}

fn days_in_month(y: i32, m: u32) -> u32 {
    let next = if m == 12 {
        NaiveDate::from_ymd_opt(y + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(y, m + 1, 1)
    };
    (next.expect("valid") - NaiveDate::from_ymd_opt(y, m, 1).expect("valid")).num_days() as u32
}

fn add_days(d: NaiveDate, n: i64) -> NaiveDate {
    if n >= 0 {
        d + Days::new(n as u64)
    } else {
        d - Days::new((-n) as u64)
    }
}

fn add_months(d: NaiveDate, n: u32) -> NaiveDate {
    d.checked_add_months(Months::new(n)).expect("date in range")
}

/// The number of suppliers in a municipality of `population`.
pub fn supplier_count(model: &Model, population: u32) -> usize {
    let n = model.suppliers_at_demo_size
        * (population as f64 / model.demo_population).powf(model.supplier_size_elasticity);
    n.round().clamp(model.suppliers_min, model.suppliers_max) as usize
}

struct Org {
    types: Vec<TypeIndex>,
    eligible: bool,
    idea_driven: bool,
}

struct Agreement {
    row: AgreementRow,
    reserved: bool,
}

/// A placement's tender prices and capacities are only final once the placements are
/// known; this remembers what a bid offered until then.
struct PendingBidLot {
    bid_id: u32,
    lot_id: u32,
    price_ore: i64,
    qualified: bool,
    agreement: Option<usize>,
    quality_answer: &'static str,
}

/// Generates one municipality.
pub fn generate(model: &Model, seed: u64, spec: &Spec) -> Municipality {
    let mut sup = Rng::new(seed, spec.index, Stream::Suppliers);
    let mut ppl = Rng::new(seed, spec.index, Stream::People);
    let mut ops = Rng::new(seed, spec.index, Stream::Operations);
    let mut t = Tables::default();
    let pop_factor =
        (spec.population as f64 / model.demo_population).powf(model.supplier_size_elasticity);

    t.placement_types = (0..PLACEMENT_TYPES.len())
        .map(|index| PlacementTypeRow { index })
        .collect();

    // --- suppliers ---
    let n_orgs = supplier_count(model, spec.population);
    let mut orgs: Vec<Org> = Vec::with_capacity(n_orgs);
    let mut names = HashSet::new();
    let mut numbers = HashSet::new();
    for k in 0..n_orgs {
        let (form, name, types, total, target, place) = if k == 0 {
            // The README's supplier account belongs to this one, in every municipality.
            (
                LegalForm::EconomicAssociation,
                "Kvarnbackens Arbetskooperativ ek. för.".to_string(),
                vec![0, 7],
                34,
                21,
                "Kvarnbacken".to_string(),
            )
        } else {
            let weights = [
                model.legal_form_economic_association,
                model.legal_form_non_profit,
                model.legal_form_foundation,
                model.legal_form_ab_svb,
                // The first ten cover the reserved round's lots, so they must be able
                // to qualify.
                if k <= ROUND_TYPES.len() {
                    0.0
                } else {
                    model.legal_form_ab
                },
            ];
            let form = [
                LegalForm::EconomicAssociation,
                LegalForm::NonProfitAssociation,
                LegalForm::Foundation,
                LegalForm::LimitedCompanyRestrictedProfit,
                LegalForm::LimitedCompany,
            ][sup.weighted(&weights)];
            let primary = if k <= ROUND_TYPES.len() {
                ROUND_TYPES[k - 1]
            } else {
                sup.weighted(&PLACEMENT_TYPES.iter().map(|t| t.3).collect::<Vec<_>>())
            };
            let mut types = vec![primary];
            let extra = sup.weighted(&[0.45, 0.4, 0.15]);
            for _ in 0..extra {
                let t = sup.below(PLACEMENT_TYPES.len() as u64) as usize;
                if !types.contains(&t) {
                    types.push(t);
                }
            }
            let (name, place) = loop {
                let place = format!("{}{}", sup.pick(PLACE_HEADS), sup.pick(PLACE_TAILS));
                let word = TYPE_WORDS[primary];
                let name = match form {
                    LegalForm::EconomicAssociation => format!("{place}s {word} ek. för."),
                    LegalForm::NonProfitAssociation => format!("Föreningen {word} {place}"),
                    LegalForm::Foundation => format!("Stiftelsen {place}s {word}"),
                    LegalForm::LimitedCompanyRestrictedProfit => format!("{place} {word} AB (svb)"),
                    _ => format!("{place} {word} AB"),
                };
                if !names.contains(&name) {
                    break (name, place);
                }
            };
            let below = k > ROUND_TYPES.len()
                && sup.chance(if form == LegalForm::LimitedCompany {
                    model.below_share_test_ab
                } else {
                    model.below_share_test
                });
            let total = (model.headcount_median.ln() + model.headcount_sigma * sup.normal())
                .exp()
                .round()
                .clamp(4.0, 200.0) as u32;
            let share = if below {
                0.12 + 0.17 * sup.uniform()
            } else {
                model.target_share_low
                    + (model.target_share_high - model.target_share_low) * sup.uniform()
            };
            let target = ((total as f64 * share).round() as u32).min(total);
            (form, name, types, total, target, place)
        };
        names.insert(name.clone());
        let headcount = Headcount::new(total, target).expect("target within total");
        let idea_driven = form != LegalForm::LimitedCompany;
        let group = match form {
            LegalForm::EconomicAssociation => 7,
            LegalForm::NonProfitAssociation | LegalForm::Foundation => 8,
            _ => 5,
        };
        let org_number = loop {
            let mut p = [0u8; 9];
            p[0] = group;
            for (i, d) in p.iter_mut().enumerate().skip(1) {
                *d = if i == 2 {
                    2 + sup.below(8) as u8
                } else {
                    sup.below(10) as u8
                };
            }
            let n = OrganisationNumber::from_payload(p)
                .expect("valid payload")
                .canonical();
            if numbers.insert(n.clone()) {
                break n;
            }
        };
        let turnover_kr =
            (total as f64 * model.turnover_per_person_kr * (0.7 + 0.6 * sup.uniform()) / 1000.0)
                .round() as i64
                * 1000;
        t.organisations.push(OrganisationRow {
            id: k as u32 + 1,
            org_number,
            name,
            legal_form: form,
            idea_driven,
            in_register: idea_driven && sup.chance(model.in_idea_driven_register),
            headcount_total: total,
            headcount_target: target,
            turnover_ore: Money::from_kronor(turnover_kr).ore(),
            email: format!("info@{}.demo.invalid", ascii(&place)),
        });
        orgs.push(Org {
            types,
            eligible: headcount.meets_share_test(),
            idea_driven,
        });
    }

    // --- agreements made the old way (2021–2022) ---
    let mut agreements: Vec<Agreement> = Vec::new();
    for &ty in OLD_TYPES {
        let offering: Vec<usize> = (0..orgs.len())
            .filter(|&o| orgs[o].types.contains(&ty))
            .take(2)
            .collect();
        for o in offering {
            let steps = ((model.old_price_max_kr - model.old_price_min_kr) / 50.0) as u64;
            let price = model.old_price_min_kr as i64 + 50 * sup.below(steps + 1) as i64;
            agreements.push(Agreement {
                row: AgreementRow {
                    id: agreements.len() as u32 + 1,
                    round_id: None,
                    lot_id: None,
                    organisation_id: o as u32 + 1,
                    type_index: ty,
                    capacity: 0,
                    price_ore: Money::from_kronor(price).ore(),
                    start: BASELINE_START,
                    end: OLD_AGREEMENTS_END,
                    rank: None,
                    absence_rule: AbsenceRule::PayFullMonth,
                    signed_on: add_days(BASELINE_START, -(10 + sup.below(20) as i64)),
                },
                reserved: false,
            });
        }
    }

    // --- the reserved round (tendered 2022, agreements from 2023) ---
    let round = 1u32;
    t.criteria.push(CriterionRow {
        id: 1,
        round_id: round,
        price: true,
        weight: model.price_weight_percent as u32,
    });
    t.criteria.push(CriterionRow {
        id: 2,
        round_id: round,
        price: false,
        weight: 100 - model.price_weight_percent as u32,
    });
    let mut lot_of_type: HashMap<TypeIndex, u32> = HashMap::new();
    for &ty in ROUND_TYPES {
        if orgs.iter().any(|o| o.types.contains(&ty)) {
            let id = t.lots.len() as u32 + 1;
            lot_of_type.insert(ty, id);
            t.lots.push(LotRow {
                id,
                round_id: round,
                number: id,
                type_index: ty,
                places: 0,
                max_price_ore: Money::from_kronor(model.tender_price_max_kr as i64).ore(),
            });
        }
    }
    let mut pending: Vec<PendingBidLot> = Vec::new();
    let deadline_utc = TENDER_DEADLINE
        .and_time(NaiveTime::from_hms_opt(10, 0, 0).expect("valid"))
        .and_utc();
    for (o, org) in orgs.iter().enumerate() {
        let lots: Vec<(TypeIndex, u32)> = org
            .types
            .iter()
            .filter_map(|ty| lot_of_type.get(ty).map(|l| (*ty, *l)))
            .collect();
        if lots.is_empty() {
            continue;
        }
        let bid_id = t.bids.len() as u32 + 1;
        let row = &t.organisations[o];
        t.bids.push(BidRow {
            id: bid_id,
            round_id: round,
            organisation_id: o as u32 + 1,
            submitted_at: deadline_utc
                - chrono::Duration::minutes(60 * 24 * (1 + sup.below(20) as i64) + sup.below(600) as i64),
            purpose_statement: if org.idea_driven {
                "Verksamhetens huvudsakliga syfte är social och yrkesmässig integration av personer som står långt från arbetsmarknaden."
            } else {
                "Vi erbjuder fastighets- och lokalvård och tar emot praktikanter."
            },
            headcount_total: row.headcount_total,
            headcount_target: row.headcount_target,
        });
        let qualified = org.idea_driven && org.eligible;
        let notes = if !org.idea_driven {
            Some(
                "Verksamhetens huvudsakliga syfte är inte social och yrkesmässig integration."
                    .to_string(),
            )
        } else if !org.eligible {
            Some(format!(
                "Andelen från målgrupperna är {} av {} sysselsatta, under 30 %.",
                row.headcount_target, row.headcount_total
            ))
        } else {
            None
        };
        t.qualifications.push(QualificationRow {
            bid_id,
            purpose_pass: org.idea_driven,
            share_pass: org.eligible,
            notes,
        });
        for (_, lot_id) in lots {
            let steps = sup.exponential(model.tender_price_mean_step).round() as i64;
            let price = (model.tender_price_min_kr as i64 + 100 * steps)
                .min(model.tender_price_max_kr as i64);
            pending.push(PendingBidLot {
                bid_id,
                lot_id,
                price_ore: Money::from_kronor(price).ore(),
                qualified,
                agreement: None,
                quality_answer: sup.pick_copy(QUALITY_ANSWERS),
            });
        }
    }
    let signed = calendar::earliest_signing_date(AWARD_SENT, DecisionDelivery::Electronic);
    // The award decision (below) has one result per lot and tender, as the award
    // workflow writes them: every qualified tender ranked by the criteria and given a
    // place in the framework, every unqualified one not ranked.
    let decision = 1u32;
    for lot in &t.lots {
        let mut offers: Vec<usize> = (0..pending.len())
            .filter(|&i| pending[i].lot_id == lot.id && pending[i].qualified)
            .collect();
        for p in pending
            .iter()
            .filter(|p| p.lot_id == lot.id && !p.qualified)
        {
            t.award_results.push(AwardResultRow {
                decision_id: decision,
                lot_id: lot.id,
                bid_id: p.bid_id,
                rank: None,
                total_centi: None,
                awarded: false,
                reason: "not_qualified",
            });
        }
        let Some(min_price) = offers.iter().map(|&i| pending[i].price_ore).min() else {
            continue;
        };
        let mut scored: Vec<(u32, usize)> = Vec::new();
        for &i in &offers {
            let price_score =
                ((100 * min_price) as f64 / pending[i].price_ore as f64).round() as u32;
            let quality = 40 + 5 * sup.below(13) as u32;
            t.scores.push(ScoreRow {
                bid_id: pending[i].bid_id,
                lot_id: lot.id,
                criterion_id: 1,
                score: price_score,
            });
            t.scores.push(ScoreRow {
                bid_id: pending[i].bid_id,
                lot_id: lot.id,
                criterion_id: 2,
                score: quality,
            });
            let w = model.price_weight_percent as u32;
            scored.push((w * price_score + (100 - w) * quality, i));
        }
        scored.sort_by(|a, b| {
            b.0.cmp(&a.0)
                .then(pending[a.1].bid_id.cmp(&pending[b.1].bid_id))
        });
        offers.clear();
        for (rank, (total, i)) in scored.into_iter().enumerate() {
            t.award_results.push(AwardResultRow {
                decision_id: decision,
                lot_id: lot.id,
                bid_id: pending[i].bid_id,
                rank: Some(rank as u32 + 1),
                total_centi: Some(total),
                awarded: true,
                reason: "ranked",
            });
            let org_id = t.bids[pending[i].bid_id as usize - 1].organisation_id;
            pending[i].agreement = Some(agreements.len());
            agreements.push(Agreement {
                row: AgreementRow {
                    id: agreements.len() as u32 + 1,
                    round_id: Some(round),
                    lot_id: Some(lot.id),
                    organisation_id: org_id,
                    type_index: lot.type_index,
                    capacity: 0,
                    price_ore: pending[i].price_ore,
                    start: REFORM_START,
                    end: RESERVED_AGREEMENTS_END,
                    rank: Some(rank as u32 + 1),
                    absence_rule: AbsenceRule::DeductUnexcused,
                    signed_on: signed,
                },
                reserved: true,
            });
        }
    }
    t.award_decisions.push(AwardDecisionRow {
        id: decision,
        round_id: round,
        decided_on: AWARD_DECIDED,
        sent_on: AWARD_SENT,
    });

    // --- registrants ---
    let municipality_effect = model.outcome_municipality_sd * ppl.normal();
    let intensity = model.intensity(spec.national);
    let mut dates: Vec<NaiveDate> = Vec::new();
    for year in BASELINE_START.year()..=REGISTRATION_END.year() {
        let n = ppl.poisson(intensity * spec.population as f64 / 1000.0);
        let first = NaiveDate::from_ymd_opt(year, 1, 1).expect("valid");
        let days = NaiveDate::from_ymd_opt(year, 12, 31)
            .expect("valid")
            .ordinal();
        for _ in 0..n {
            dates.push(add_days(first, ppl.below(days as u64) as i64));
        }
    }
    dates.sort_unstable();

    let by_period_type = |reserved: bool, ty: TypeIndex| -> Vec<usize> {
        (0..agreements.len())
            .filter(|&a| agreements[a].reserved == reserved && agreements[a].row.type_index == ty)
            .collect()
    };
    let old_types: Vec<TypeIndex> = (0..PLACEMENT_TYPES.len())
        .filter(|&ty| !by_period_type(false, ty).is_empty())
        .collect();
    let new_types: Vec<TypeIndex> = (0..PLACEMENT_TYPES.len())
        .filter(|&ty| !by_period_type(true, ty).is_empty())
        .collect();
    let mut people = Vec::with_capacity(dates.len());
    let mut used_numbers: HashSet<(NaiveDate, u16, bool)> = HashSet::with_capacity(dates.len());
    let mut spans: Vec<Vec<(NaiveDate, NaiveDate)>> = vec![Vec::new(); agreements.len()];
    let mut invoice_items: Vec<(u32, usize, InvoiceLineRow)> = Vec::new();
    let masks = working_masks();

    for r in dates {
        // Everything the truth depends on comes from the People stream, in this order.
        let reform_registration = r >= REFORM_START;
        let person = Person::draw(model, &mut ppl, r, reform_registration);
        let referral_delay = ppl.between(
            model.referral_delay_min_days as i64,
            model.referral_delay_max_days as i64,
        );
        let start_delay = ppl.between(
            model.start_delay_min_days as i64,
            model.start_delay_max_days as i64,
        );
        let start = add_days(r, referral_delay + start_delay);
        let reform = start >= REFORM_START;
        let want_placement = ppl.chance(logistic(model.placement_logit(&person, reform)));
        let available = if reform { &new_types } else { &old_types };
        let placed = want_placement && !available.is_empty();
        let treated = placed && reform;
        let eta = model.outcome_logit(&person, r.year(), municipality_effect);
        let p0 = logistic(eta);
        let p1 = logistic(eta + model.tau(&person));
        let u = ppl.uniform();
        let (y0, y1) = (u < p0, u < p1);
        let y = if treated { y1 } else { y0 };
        let young = person.age_band == AgeBand::A18_24;
        let activity = |rng: &mut Rng| {
            let studies = if young {
                model.activity_studies_young
            } else {
                1.0 - model.activity_work_unsubsidised - model.activity_work_subsidised
            };
            let work = 1.0 - studies;
            let unsub = work * model.activity_work_unsubsidised
                / (model.activity_work_unsubsidised + model.activity_work_subsidised);
            [
                ExitOutcome::WorkUnsubsidised,
                ExitOutcome::WorkSubsidised,
                ExitOutcome::StudiesWithAllowance,
            ][rng.weighted(&[unsub, work - unsub, studies])]
        };
        let work: Option<(NaiveDate, ExitOutcome)> = if y {
            let span = model.work_max_days - model.work_min_days;
            let mut days = (model.work_min_days
                + span * ppl.uniform().powf(model.work_timing_shape))
            .floor() as i64;
            if placed {
                // Work begins during the placement, at least two weeks in.
                days = days
                    .max(referral_delay + start_delay + 14)
                    .min(model.work_max_days as i64);
            }
            Some((add_days(r, days), activity(&mut ppl)))
        } else {
            None
        };
        let later: Option<(NaiveDate, ExitOutcome)> = if !y && ppl.chance(model.later_work) {
            Some((add_days(r, 366 + ppl.below(730) as i64), activity(&mut ppl)))
        } else {
            None
        };

        // --- the record, from the Operations stream ---
        let pid = t.participants.len() as u32 + 1;
        let gender = person.covariates.gender;
        let female = match gender {
            Gender::Female => true,
            Gender::Male => false,
            _ => ops.chance(0.5),
        };
        let kind_coord = person.covariates.born_abroad && ops.chance(model.coordination_number);
        let serial = loop {
            let s = ops.below(1000) as u16;
            // The serial's last digit is even for women and odd for men.
            let s = if (s % 2 == 0) == female { s } else { s ^ 1 };
            if used_numbers.insert((person.birth_date, s, kind_coord)) {
                break s;
            }
        };
        let kind = if kind_coord {
            IdentityKind::Samordningsnummer
        } else {
            IdentityKind::Personnummer
        };
        let pnr = PersonalIdentityNumber::from_parts(person.birth_date, serial, kind)
            .expect("valid parts");
        let names = if female {
            FIRST_NAMES_FEMALE
        } else {
            FIRST_NAMES_MALE
        };
        let half = names.len() / 2;
        let abroad_name = ops.chance(if person.covariates.born_abroad {
            0.8
        } else {
            0.1
        });
        let first_name = if abroad_name {
            names[half + ops.below((names.len() - half) as u64) as usize]
        } else {
            names[ops.below(half as u64) as usize]
        };
        let last_name = format!("{}{}", ops.pick(SURNAME_HEADS), ops.pick(SURNAME_TAILS));
        t.participants.push(ParticipantRow {
            id: pid,
            personal_number: pnr.canonical(),
            first_name,
            last_name,
            covariates: person.covariates.clone(),
            registered_on: r,
        });

        let mut exit_outcome = None;
        if placed {
            let c = &person.covariates;
            let weights: Vec<f64> = available
                .iter()
                .map(|&ty| {
                    let mut w = PLACEMENT_TYPES[ty].3;
                    if c.born_abroad && matches!(ty, 2 | 5 | 6) {
                        w *= 1.5;
                    }
                    if female && matches!(ty, 2 | 3 | 5) || !female && matches!(ty, 0 | 7 | 8) {
                        w *= 1.5;
                    }
                    if c.health_limitation && matches!(ty, 5 | 9 | 11) {
                        w *= 1.3;
                    }
                    w
                })
                .collect();
            let ty = available[ops.weighted(&weights)];
            let candidates = by_period_type(reform, ty);
            let cw: Vec<f64> = candidates
                .iter()
                .map(|&a| 1.0 / agreements[a].row.rank.unwrap_or(1) as f64)
                .collect();
            let a = candidates[ops.weighted(&cw)];
            let referred_on = add_days(r, referral_delay);
            if ops.chance(model.declined_referral) {
                let declined_on = add_days(referred_on, -(7 + ops.below(7) as i64)).max(r);
                let other = candidates[ops.below(candidates.len() as u64) as usize];
                let ag = &agreements[other].row;
                if ag.start <= declined_on {
                    t.referrals.push(ReferralRow {
                        id: t.referrals.len() as u32 + 1,
                        participant_id: pid,
                        agreement_id: ag.id,
                        organisation_id: ag.organisation_id,
                        type_index: ty,
                        reason: ops.pick_copy(REFERRAL_REASONS),
                        accepted: false,
                        referred_on: declined_on,
                        decided_on: add_days(declined_on, 2 + ops.below(4) as i64),
                    });
                }
            }
            let ag = agreements[a].row.clone();
            let referral_id = t.referrals.len() as u32 + 1;
            t.referrals.push(ReferralRow {
                id: referral_id,
                participant_id: pid,
                agreement_id: ag.id,
                organisation_id: ag.organisation_id,
                type_index: ty,
                reason: ops.pick_copy(REFERRAL_REASONS),
                accepted: true,
                referred_on,
                decided_on: add_days(
                    referred_on,
                    2 + ops.below(start_delay.max(3) as u64 - 2) as i64,
                )
                .min(start),
            });
            let planned_end = add_days(
                add_months(
                    start,
                    if ops.chance(model.planned_six_months) {
                        6
                    } else {
                        12
                    },
                ),
                -1,
            )
            .min(ag.end);
            // When and why the placement ends, before the agreement's end caps it.
            let (mut end, mut outcome) = if let Some((w, act)) = work {
                (add_days(w, -1).max(start), act)
            } else if ops.chance(model.early_end) {
                let o = [
                    ExitOutcome::Illness,
                    ExitOutcome::Moved,
                    ExitOutcome::Interrupted,
                    ExitOutcome::ParentalLeave,
                    ExitOutcome::Other,
                ][ops.weighted(&[0.3, 0.15, 0.35, 0.1, 0.1])];
                (add_days(start, 30 + ops.below(240) as i64), o)
            } else {
                let months = ops.between(
                    model.extended_min_months as i64,
                    model.extended_max_months as i64 - 1,
                ) as u32;
                let o = [
                    ExitOutcome::OtherProgramme,
                    ExitOutcome::MunicipalEmployment,
                    ExitOutcome::WorkShort,
                    ExitOutcome::StudiesWithoutAllowance,
                    ExitOutcome::Interrupted,
                    ExitOutcome::Other,
                ][ops.weighted(&[0.4, 0.2, 0.1, 0.1, 0.1, 0.1])];
                (add_days(add_months(start, months), ops.below(28) as i64), o)
            };
            if let Some((w, act)) = later {
                if add_days(w, -1) < end {
                    end = add_days(w, -1).max(start);
                    outcome = act;
                }
            }
            if end > ag.end {
                end = ag.end;
                outcome = ExitOutcome::OtherProgramme;
            }
            let hours = if person.covariates.health_limitation {
                [15, 20, 25, 30][ops.weighted(&[0.25, 0.35, 0.25, 0.15])]
            } else {
                [15, 20, 25, 30, 40][ops.weighted(&[0.1, 0.25, 0.2, 0.3, 0.15])]
            };
            let weekly_minutes = hours * 60;
            let open = end > AS_OF;
            let placement_id = t.placements.len() as u32 + 1;
            t.placements.push(PlacementRow {
                id: placement_id,
                referral_id,
                participant_id: pid,
                agreement_id: ag.id,
                organisation_id: ag.organisation_id,
                start,
                end: if open { None } else { Some(end) },
                planned_end: planned_end.max(start),
                weekly_minutes,
                goals: ops.pick_copy(PLACEMENT_GOALS),
            });
            spans[a].push((start, end));

            // Monthly attendance and, for approved months, the invoice line.
            let last = end.min(AS_OF);
            let (mut y_, mut m_) = (start.year(), start.month());
            loop {
                let first_day = if (y_, m_) == (start.year(), start.month()) {
                    start.day()
                } else {
                    1
                };
                let mdays = days_in_month(y_, m_);
                let last_day = if (y_, m_) == (last.year(), last.month()) {
                    last.day()
                } else {
                    mdays
                };
                let range = if last_day >= first_day {
                    ((1u64 << last_day) - 1) as u32 & !((1u32 << (first_day - 1)) - 1)
                } else {
                    0
                };
                let month_first = NaiveDate::from_ymd_opt(y_, m_, 1).expect("valid");
                let wd = (masks[month_index(month_first)] & range).count_ones();
                if wd > 0 {
                    let sick_p = model.sick_rate
                        + if person.covariates.health_limitation {
                            model.sick_rate_health
                        } else {
                            0.0
                        };
                    let sick = ops.binomial(wd, sick_p);
                    let leave = ops.binomial(wd, model.leave_rate);
                    let unexcused = ops.binomial(wd, model.unexcused_rate);
                    let sick = sick.min(wd);
                    let leave = leave.min(wd - sick);
                    let unexcused = unexcused.min(wd - sick - leave);
                    let present = wd - sick - leave - unexcused;
                    let approved = (y_, m_) < (AS_OF.year(), AS_OF.month());
                    let month = month_text(y_, m_);
                    t.attendance.push(AttendanceRow {
                        placement_id,
                        month,
                        attended_minutes: present * weekly_minutes / 5,
                        sick_days: sick as u8,
                        leave_days: leave as u8,
                        unexcused_days: unexcused as u8,
                        approved,
                    });
                    if approved {
                        let calendar_days = last_day + 1 - first_day;
                        let paid = match ag.absence_rule {
                            AbsenceRule::PayFullMonth => calendar_days,
                            AbsenceRule::DeductUnexcused => calendar_days.saturating_sub(unexcused),
                            AbsenceRule::DeductAllAbsence => {
                                calendar_days.saturating_sub(sick + leave + unexcused)
                            }
                        };
                        let amount = Money::from_ore(ag.price_ore)
                            .pro_rata(i64::from(paid), i64::from(mdays))
                            .ore();
                        invoice_items.push((
                            ag.organisation_id,
                            month_index(month_first),
                            InvoiceLineRow {
                                id: 0,
                                invoice_id: 0,
                                placement_id,
                                agreement_id: ag.id,
                                type_index: ty,
                                paid_days: paid as u8,
                                month_days: mdays as u8,
                                price_ore: ag.price_ore,
                                amount_ore: amount,
                            },
                        ));
                    }
                }
                if (y_, m_) == (last.year(), last.month()) {
                    break;
                }
                (y_, m_) = if m_ == 12 { (y_ + 1, 1) } else { (y_, m_ + 1) };
            }

            if !open {
                exit_outcome = Some(outcome);
                let exit_id = t.exits.len() as u32 + 1;
                t.exits.push(ExitRow {
                    id: exit_id,
                    placement_id,
                    exit_date: end,
                    outcome,
                });
                for point in FollowUpPoint::ALL {
                    let due = point.due_on(end);
                    let recorded_on = add_days(due, ops.below(15) as i64);
                    if recorded_on > AS_OF {
                        break;
                    }
                    let retention = match point {
                        FollowUpPoint::Months3 => model.retention_3,
                        FollowUpPoint::Months6 => model.retention_6,
                        FollowUpPoint::Months12 => model.retention_12,
                    };
                    let in_activity = |o: ExitOutcome| match o {
                        ExitOutcome::WorkUnsubsidised => FollowUpStatus::Employed,
                        ExitOutcome::WorkSubsidised => FollowUpStatus::SubsidisedEmployment,
                        _ => FollowUpStatus::Studying,
                    };
                    let otherwise = |rng: &mut Rng| {
                        [
                            FollowUpStatus::OnIncomeSupport,
                            FollowUpStatus::InProgramme,
                            FollowUpStatus::Unemployed,
                            FollowUpStatus::Unknown,
                        ][rng.weighted(&[0.45, 0.25, 0.2, 0.1])]
                    };
                    let status = if outcome.counts_as_work_or_studies() {
                        if ops.chance(retention) {
                            in_activity(outcome)
                        } else {
                            otherwise(&mut ops)
                        }
                    } else if let Some((w, act)) = later.filter(|(w, _)| *w <= due) {
                        let _ = w;
                        if ops.chance(retention) {
                            in_activity(act)
                        } else {
                            otherwise(&mut ops)
                        }
                    } else {
                        otherwise(&mut ops)
                    };
                    t.follow_ups.push(FollowUpRow {
                        id: t.follow_ups.len() as u32 + 1,
                        exit_id,
                        point: *point,
                        recorded_on,
                        status,
                    });
                }
            }
        }

        let began = work.or(later).filter(|(w, _)| *w <= AS_OF);
        t.register_outcomes.push(RegisterOutcomeRow {
            participant_id: pid,
            began,
            observed_until: AS_OF,
        });
        people.push(PersonTruth {
            registered_on: r,
            age_band: person.age_band,
            covariates: person.covariates,
            placed,
            treated,
            reform_period: reform,
            p0,
            p1,
            y0,
            y1,
            exit: exit_outcome,
            days_to_work: began.map(|(w, _)| (w - r).num_days() as u32),
        });
    }

    // --- capacities follow from the placements: the peak in use plus some free places ---
    for (a, ag) in agreements.iter_mut().enumerate() {
        let mut events: Vec<(NaiveDate, i32)> = Vec::with_capacity(spans[a].len() * 2);
        for &(s, e) in &spans[a] {
            events.push((s, 1));
            events.push((add_days(e, 1), -1));
        }
        events.sort_unstable();
        let (mut now, mut peak) = (0i32, 0i32);
        for (_, d) in events {
            now += d;
            peak = peak.max(now);
        }
        ag.row.capacity = (peak as u32 + 1 + sup.below(3) as u32).max(2);
    }
    for lot in &mut t.lots {
        let places: u32 = agreements
            .iter()
            .filter(|a| a.row.lot_id == Some(lot.id))
            .map(|a| a.row.capacity)
            .sum();
        lot.places = if places == 0 {
            2 + sup.below(4) as u32
        } else {
            places
        };
    }
    for p in &pending {
        t.bid_lots.push(BidLotRow {
            bid_id: p.bid_id,
            lot_id: p.lot_id,
            price_ore: p.price_ore,
            capacity: match p.agreement {
                Some(a) => agreements[a].row.capacity,
                None => 2 + sup.below(5) as u32,
            },
            quality_answer: p.quality_answer,
        });
    }
    let lot_places: u64 = t.lots.iter().map(|l| u64::from(l.places)).sum();
    let reference_no = 100 + sup.below(800);
    t.rounds.push(RoundRow {
        id: round,
        title: "Reserverad upphandling av sysselsättningsplatser 2023–2024".into(),
        reference: format!("AME 2022/{reference_no}"),
        cpv_codes: "85312320-8,80500000-9",
        estimated_value_ore: Money::from_kronor(2_900 * 48 * lot_places as i64).ore(),
        contract_start: REFORM_START,
        initial_months: 24,
        option_months: 24,
        tender_deadline_local: Some(format!("{}T12:00:00", TENDER_DEADLINE.format("%Y-%m-%d"))),
        status: "contracted",
        created_at: NaiveDate::from_ymd_opt(2022, 5, 16)
            .expect("valid")
            .and_time(NaiveTime::from_hms_opt(8, 0, 0).expect("valid"))
            .and_utc(),
    });
    t.agreements = agreements.into_iter().map(|a| a.row).collect();

    // --- the next round, being prepared: every type, invitations, a meeting ---
    let next = 2u32;
    let mut next_places = 0u64;
    for ty in 0..PLACEMENT_TYPES.len() {
        let now: u32 = t
            .agreements
            .iter()
            .filter(|a| a.round_id.is_some() && a.type_index == ty)
            .map(|a| a.capacity)
            .sum();
        let places = ((now as f64 * 1.1).round() as u32).max(2);
        next_places += u64::from(places);
        t.lots.push(LotRow {
            id: t.lots.len() as u32 + 1,
            round_id: next,
            number: ty as u32 + 1,
            type_index: ty,
            places,
            max_price_ore: Money::from_kronor(model.next_round_max_price_kr as i64).ore(),
        });
    }
    t.rounds.push(RoundRow {
        id: next,
        title: "Reserverad upphandling av sysselsättningsplatser 2027–2028".into(),
        reference: format!("AME 2025/{}", 100 + sup.below(800)),
        cpv_codes: "85312320-8,80500000-9",
        estimated_value_ore: Money::from_kronor(3_100 * 48 * next_places as i64).ore(),
        contract_start: NEXT_CONTRACT_START,
        initial_months: 24,
        option_months: 24,
        tender_deadline_local: None,
        status: "planning",
        created_at: NaiveDate::from_ymd_opt(2025, 10, 1)
            .expect("valid")
            .and_time(NaiveTime::from_hms_opt(8, 0, 0).expect("valid"))
            .and_utc(),
    });
    for o in &t.organisations {
        t.invitations.push(InvitationRow {
            id: t.invitations.len() as u32 + 1,
            round_id: next,
            organisation_id: Some(o.id),
            recipient_name: o.name.clone(),
            email: o.email.clone(),
            sent_on: INVITATIONS_SENT,
        });
    }
    let potential = (model.potential_suppliers_invited * pop_factor)
        .round()
        .max(1.0) as usize;
    for _ in 0..potential {
        let place = loop {
            let p = format!("{}{}", sup.pick(PLACE_HEADS), sup.pick(PLACE_TAILS));
            let name = format!("{p}s Arbetsintegrerande Förening");
            if names.insert(name) {
                break p;
            }
        };
        t.invitations.push(InvitationRow {
            id: t.invitations.len() as u32 + 1,
            round_id: next,
            organisation_id: None,
            recipient_name: format!("{place}s Arbetsintegrerande Förening"),
            email: format!("kontakt@{}.demo.invalid", ascii(&place)),
            sent_on: INVITATIONS_SENT,
        });
    }
    t.meetings.push(MeetingRow {
        id: 1,
        round_id: next,
        starts_at_local: format!("{}T13:00:00", MEETING_DAY.format("%Y-%m-%d")),
        place: format!("Kommunhuset, {}", spec.name.trim_end_matches(" (demo)")),
        capacity: 80,
    });
    for inv in &t.invitations {
        if sup.chance(0.45) {
            t.registrations.push(RegistrationRow {
                id: t.registrations.len() as u32 + 1,
                meeting_id: 1,
                invitation_id: inv.id,
                organisation_name: inv.recipient_name.clone(),
                attendees: 1 + sup.below(3) as u32,
                registered_on: add_days(INVITATIONS_SENT, 1 + sup.below(21) as i64),
            });
        }
    }

    // --- monthly invoices: one per supplier and month, a line per placement ---
    invoice_items.sort_by_key(|(org, month, line)| (*org, *month, line.placement_id));
    let mut current: Option<(u32, usize)> = None;
    for (org, month, mut line) in invoice_items {
        if current != Some((org, month)) {
            current = Some((org, month));
            let year = 2020 + (month / 12) as i32;
            let m = (month % 12) as u32 + 1;
            let next_month = if m == 12 {
                NaiveDate::from_ymd_opt(year + 1, 1, 5)
            } else {
                NaiveDate::from_ymd_opt(year, m + 1, 5)
            }
            .expect("valid");
            let due = add_days(next_month, 30);
            t.invoices.push(InvoiceRow {
                id: t.invoices.len() as u32 + 1,
                organisation_id: org,
                month: month_text(year, m),
                number: format!("F{year}{m:02}"),
                paid: due <= AS_OF,
                issue_date: next_month,
                due_date: due,
                total_ore: 0,
            });
        }
        let invoice = t.invoices.last_mut().expect("just pushed");
        invoice.total_ore += line.amount_ore;
        line.invoice_id = invoice.id;
        line.id = t.invoice_lines.len() as u32 + 1;
        t.invoice_lines.push(line);
    }

    Municipality {
        spec: spec.clone(),
        tables: t,
        people,
        municipality_effect,
    }
}
