//! Test helper: the generator's in-memory tables (`vidare_synth::Municipality`) as the
//! columnar [`EffectsData`] the store would load from the same rows — so the effect
//! computations can be checked against the generator's known truth without a
//! database. `vidare-synth` is only a dev-dependency of this crate.
//!
//! Use: `mod synth_data;` then [`Builder`] (`add` each municipality of
//! `vidare_synth::generate_all`, then `finish`) or [`demo`].

#![allow(dead_code)]

use std::collections::HashMap;

use chrono::NaiveDate;
use vidare_domain::model::placement::FollowUpPoint;
use vidare_domain::personnummer::PersonalIdentityNumber;
use vidare_effects::data::{day, AgeBand, EffectsData};
use vidare_synth::names::PLACEMENT_TYPES;
use vidare_synth::{Model, Municipality, Scale};

/// Accumulates municipalities into one [`EffectsData`].
#[derive(Default)]
pub struct Builder {
    data: EffectsData,
}

fn month_number_of(text: &[u8; 7]) -> i32 {
    let s = std::str::from_utf8(text).expect("ascii month");
    let y: i32 = s[..4].parse().expect("year");
    let m: i32 = s[5..].parse().expect("month");
    y * 12 + m - 1
}

impl Builder {
    /// Adds one generated municipality as the next tenant.
    pub fn add(&mut self, m: &Municipality) {
        let d = &mut self.data;
        let t = &m.tables;
        let tenant = d.tenants.ext_id.len() as u32;
        d.tenants.ext_id.push(i64::from(tenant) + 1);
        d.tenants.slug.push(m.spec.slug.clone());
        d.tenants.name.push(m.spec.name.clone());

        // Organisations → suppliers.
        let sup_base = d.suppliers.len() as u32;
        let mut org_index = HashMap::new();
        for (k, o) in t.organisations.iter().enumerate() {
            org_index.insert(o.id, sup_base + k as u32);
            d.suppliers.ext_id.push(i64::from(o.id));
            d.suppliers.tenant.push(tenant);
            d.suppliers.name.push(o.name.clone());
            d.suppliers.annual_turnover_ore.push(Some(o.turnover_ore));
        }
        // Placement types (local id = index + 1).
        let type_base = d.placement_types.len() as u32;
        let mut declined = vec![0u32; t.placement_types.len()];
        for r in &t.referrals {
            if !r.accepted {
                declined[r.type_index] += 1;
            }
        }
        for (k, pt) in t.placement_types.iter().enumerate() {
            let (code, sv, en, _) = PLACEMENT_TYPES[pt.index];
            d.placement_types.ext_id.push(pt.index as i64 + 1);
            d.placement_types.tenant.push(tenant);
            d.placement_types.code.push(code.into());
            d.placement_types.name_sv.push(sv.into());
            d.placement_types.name_en.push(en.into());
            d.placement_types.declined_referrals.push(declined[k]);
        }
        let type_of = |ty: usize| type_base + ty as u32;
        // Rounds.
        let round_base = d.rounds.len() as u32;
        let mut round_index = HashMap::new();
        for (k, r) in t.rounds.iter().enumerate() {
            round_index.insert(r.id, round_base + k as u32);
            d.rounds.ext_id.push(i64::from(r.id));
            d.rounds.tenant.push(tenant);
            d.rounds.title.push(r.title.clone());
            d.rounds.contract_start.push(day(r.contract_start));
        }
        // Agreements.
        let ag_base = d.agreements.len() as u32;
        let mut ag_index = HashMap::new();
        for (k, a) in t.agreements.iter().enumerate() {
            ag_index.insert(a.id, ag_base + k as u32);
            d.agreements.ext_id.push(i64::from(a.id));
            d.agreements.supplier.push(org_index[&a.organisation_id]);
            d.agreements.placement_type.push(type_of(a.type_index));
            d.agreements.round.push(a.round_id.map(|r| round_index[&r]));
            d.agreements.start.push(day(a.start));
            d.agreements.end.push(Some(day(a.end)));
            d.agreements.capacity.push(a.capacity);
            d.agreements.price_per_month_ore.push(a.price_ore);
        }
        // Participants and their register rows.
        let part_base = d.participants.len() as u32;
        let mut part_index = HashMap::new();
        let register: HashMap<u32, _> = t
            .register_outcomes
            .iter()
            .map(|r| (r.participant_id, r))
            .collect();
        let p = &mut d.participants;
        for (k, row) in t.participants.iter().enumerate() {
            part_index.insert(row.id, part_base + k as u32);
            let pnr = PersonalIdentityNumber::parse_canonical(&row.personal_number)
                .expect("generated identity numbers are valid");
            let c = &row.covariates;
            p.ext_id.push(i64::from(row.id));
            p.tenant.push(tenant);
            p.age_band
                .push(AgeBand::of_age(pnr.age_on(row.registered_on)));
            p.gender.push(c.gender);
            p.born_abroad.push(c.born_abroad);
            p.education.push(c.education);
            p.months_on_income_support
                .push(c.months_on_income_support.min(u32::from(u16::MAX)) as u16);
            p.health_limitation.push(c.health_limitation);
            p.swedish_level.push(c.swedish_level);
            p.prior_work_experience.push(c.prior_work_experience);
            p.registered_on.push(Some(day(row.registered_on)));
            let reg = register.get(&row.id);
            p.register_began_on
                .push(reg.and_then(|r| r.began.map(|(d, _)| day(d))));
            p.register_activity
                .push(reg.and_then(|r| r.began.map(|(_, a)| a)));
            p.register_observed_until
                .push(reg.map(|r| day(r.observed_until)));
        }
        // Placements with exits, follow-ups, attendance and payments.
        let pl_base = d.placements.len() as u32;
        let mut pl_index = HashMap::new();
        for (k, row) in t.placements.iter().enumerate() {
            pl_index.insert(row.id, pl_base + k as u32);
            let a = ag_index[&row.agreement_id];
            let pl = &mut d.placements;
            pl.ext_id.push(i64::from(row.id));
            pl.participant.push(part_index[&row.participant_id]);
            pl.placement_type
                .push(d.agreements.placement_type[a as usize]);
            pl.supplier.push(org_index[&row.organisation_id]);
            pl.agreement.push(a);
            pl.round.push(d.agreements.round[a as usize]);
            pl.start.push(day(row.start));
            pl.end.push(row.end.map(day));
            pl.exit_date.push(None);
            pl.exit_outcome.push(None);
            for f in pl.follow_up.iter_mut() {
                f.push(None);
            }
            pl.attendance_months.push(0);
            pl.attended_minutes.push(0);
            pl.paid_ore.push(0);
        }
        let pl = &mut d.placements;
        let mut exit_placement = HashMap::new();
        for e in &t.exits {
            let i = pl_index[&e.placement_id] as usize;
            exit_placement.insert(e.id, i);
            pl.exit_date[i] = Some(day(e.exit_date));
            pl.exit_outcome[i] = Some(e.outcome);
        }
        for f in &t.follow_ups {
            let i = exit_placement[&f.exit_id];
            let slot = match f.point {
                FollowUpPoint::Months3 => 0,
                FollowUpPoint::Months6 => 1,
                FollowUpPoint::Months12 => 2,
            };
            pl.follow_up[slot][i] = Some(f.status);
        }
        for a in &t.attendance {
            let i = pl_index[&a.placement_id] as usize;
            pl.attendance_months[i] += 1;
            pl.attended_minutes[i] += a.attended_minutes;
        }
        let invoice_month: HashMap<u32, i32> = t
            .invoices
            .iter()
            .map(|inv| (inv.id, month_number_of(&inv.month)))
            .collect();
        let mut payments: HashMap<(u32, u32, i32), i64> = HashMap::new();
        for l in &t.invoice_lines {
            let i = pl_index[&l.placement_id] as usize;
            pl.paid_ore[i] += l.amount_ore;
            let a = ag_index[&l.agreement_id];
            *payments
                .entry((
                    d.agreements.supplier[a as usize],
                    a,
                    invoice_month[&l.invoice_id],
                ))
                .or_default() += l.amount_ore;
        }
        let mut payments: Vec<_> = payments.into_iter().collect();
        payments.sort_unstable();
        for ((s, a, month), amount) in payments {
            d.payments.supplier.push(s);
            d.payments.agreement.push(a);
            d.payments.month.push(month);
            d.payments.amount_ore.push(amount);
        }
        let as_of = day(NaiveDate::from_ymd_opt(2025, 12, 31).expect("date"));
        d.as_of = d.as_of.max(as_of);
    }

    /// The finished data (columns checked, time to work derived).
    pub fn finish(mut self) -> EffectsData {
        self.data.finish().expect("consistent columns");
        self.data
    }
}

/// A whole scale from `seed`: the effects data and the generator's truth.
pub fn generate(scale: Scale, seed: u64) -> (EffectsData, vidare_synth::truth::Truth) {
    let mut b = Builder::default();
    let (_, truth, _) = vidare_synth::generate_all(&Model::default(), scale, seed, |m| b.add(m));
    (b.finish(), truth)
}

/// The demo scale from `seed`.
pub fn demo(seed: u64) -> (EffectsData, vidare_synth::truth::Truth) {
    generate(Scale::Demo, seed)
}
