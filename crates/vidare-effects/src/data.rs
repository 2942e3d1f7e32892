//! The input every effect computation takes: a columnar, memory-lean picture of one or
//! more municipalities' labour-market placements.
//!
//! Layout rules:
//! - one `Vec` per column; row `i` of a table is element `i` of each of its columns;
//! - references between tables are `u32` **indices** into the other table's columns
//!   (not database ids; each table keeps its database id in `ext_id` for reports);
//! - dates are `i32` **days since 1970-01-01** ([`day`], [`date`]); months are `i32`
//!   month numbers `year * 12 + (month − 1)` ([`month_number`]);
//! - money is `i64` öre.
//!
//! The store fills the raw columns ([`EffectsData`] fields are public) and then calls
//! [`EffectsData::finish`], which derives the per-episode time to work and checks that
//! every column has its table's length and every index is in range.

use chrono::{Datelike, NaiveDate};
pub use vidare_domain::model::participant::{EducationLevel, Gender, SwedishLevel};
pub use vidare_domain::model::placement::{ExitOutcome, FollowUpStatus};

/// Days since 1970-01-01 of a date.
pub fn day(d: NaiveDate) -> i32 {
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days() as i32
}

/// The date of a day number.
pub fn date(day: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch") + chrono::Duration::days(day as i64)
}

/// `year * 12 + (month − 1)` of a date.
pub fn month_number(d: NaiveDate) -> i32 {
    d.year() * 12 + d.month0() as i32
}

/// The month number of a day number.
pub fn month_of_day(day_number: i32) -> i32 {
    month_number(date(day_number))
}

/// `YYYY-MM` of a month number.
pub fn month_label(month: i32) -> String {
    format!(
        "{:04}-{:02}",
        month.div_euclid(12),
        month.rem_euclid(12) + 1
    )
}

/// Age band at registration (from the identity number's birth date), the bands the
/// generator and the national statistics use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AgeBand {
    Under18,
    A18_24,
    A25_34,
    A35_44,
    A45_54,
    A55_64,
    Over64,
}

impl AgeBand {
    /// Every band, youngest first.
    pub const ALL: [AgeBand; 7] = [
        AgeBand::Under18,
        AgeBand::A18_24,
        AgeBand::A25_34,
        AgeBand::A35_44,
        AgeBand::A45_54,
        AgeBand::A55_64,
        AgeBand::Over64,
    ];

    /// The band of an age in whole years.
    pub fn of_age(age: u32) -> AgeBand {
        match age {
            0..=17 => AgeBand::Under18,
            18..=24 => AgeBand::A18_24,
            25..=34 => AgeBand::A25_34,
            35..=44 => AgeBand::A35_44,
            45..=54 => AgeBand::A45_54,
            55..=64 => AgeBand::A55_64,
            _ => AgeBand::Over64,
        }
    }

    /// A label such as `18–24`.
    pub fn label(self) -> &'static str {
        match self {
            AgeBand::Under18 => "<18",
            AgeBand::A18_24 => "18–24",
            AgeBand::A25_34 => "25–34",
            AgeBand::A35_44 => "35–44",
            AgeBand::A45_54 => "45–54",
            AgeBand::A55_64 => "55–64",
            AgeBand::Over64 => "65+",
        }
    }
}

/// Municipalities (tenants) the data come from.
#[derive(Debug, Clone, Default)]
pub struct Tenants {
    pub ext_id: Vec<i64>,
    pub slug: Vec<String>,
    pub name: Vec<String>,
}

/// Registered participants: the placed and the never-placed comparison pool.
#[derive(Debug, Clone, Default)]
pub struct Participants {
    pub ext_id: Vec<i64>,
    pub tenant: Vec<u32>,
    pub age_band: Vec<AgeBand>,
    pub gender: Vec<Gender>,
    pub born_abroad: Vec<bool>,
    pub education: Vec<EducationLevel>,
    pub months_on_income_support: Vec<u16>,
    pub health_limitation: Vec<bool>,
    pub swedish_level: Vec<SwedishLevel>,
    pub prior_work_experience: Vec<bool>,
    /// `participants.registered_on` (None for records imported without it).
    pub registered_on: Vec<Option<i32>>,
    /// Register: first start of work or studies (indicator definition), if seen.
    pub register_began_on: Vec<Option<i32>>,
    /// Register: what began (an exit-outcome code: work or studies).
    pub register_activity: Vec<Option<ExitOutcome>>,
    /// Register: the last day the register was observed for this person (None: no
    /// register row).
    pub register_observed_until: Vec<Option<i32>>,
}

impl Participants {
    /// Number of participants.
    pub fn len(&self) -> usize {
        self.ext_id.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.ext_id.is_empty()
    }
}

/// Placement episodes: one row per placement.
#[derive(Debug, Clone, Default)]
pub struct Placements {
    pub ext_id: Vec<i64>,
    pub participant: Vec<u32>,
    pub placement_type: Vec<u32>,
    pub supplier: Vec<u32>,
    pub agreement: Vec<u32>,
    /// The procurement round the agreement came from (None: arranged the old way).
    pub round: Vec<Option<u32>>,
    pub start: Vec<i32>,
    pub end: Vec<Option<i32>>,
    pub exit_date: Vec<Option<i32>>,
    pub exit_outcome: Vec<Option<ExitOutcome>>,
    /// Follow-up status at 3, 6 and 12 months after the exit (None: not recorded).
    pub follow_up: [Vec<Option<FollowUpStatus>>; 3],
    /// Attendance months reported for the placement.
    pub attendance_months: Vec<u16>,
    /// Minutes attended over all months.
    pub attended_minutes: Vec<u32>,
    /// Amount invoiced for the placement (credit notes subtracted), öre.
    pub paid_ore: Vec<i64>,
    /// Derived by [`EffectsData::finish`]: days from the placement's start to the start
    /// of work or studies (indicator definition), or to the end of observation.
    pub days_to_work: Vec<i32>,
    /// Derived: `true` when no work or studies were observed (right-censored).
    pub work_censored: Vec<bool>,
}

impl Placements {
    /// Number of placements.
    pub fn len(&self) -> usize {
        self.ext_id.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.ext_id.is_empty()
    }

    /// Whether placement `i` ended with work or studies by the national indicator.
    pub fn exited_to_work_or_studies(&self, i: usize) -> bool {
        self.exit_outcome[i].is_some_and(|o| o.counts_as_work_or_studies())
    }
}

/// Monthly payments: invoice lines summed per supplier, agreement and month.
#[derive(Debug, Clone, Default)]
pub struct Payments {
    pub supplier: Vec<u32>,
    pub agreement: Vec<u32>,
    /// Month number ([`month_number`]) of the invoiced month.
    pub month: Vec<i32>,
    pub amount_ore: Vec<i64>,
}

impl Payments {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.month.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.month.is_empty()
    }
}

/// Framework agreements (and the old-way agreements without a round).
#[derive(Debug, Clone, Default)]
pub struct Agreements {
    pub ext_id: Vec<i64>,
    pub supplier: Vec<u32>,
    pub placement_type: Vec<u32>,
    pub round: Vec<Option<u32>>,
    pub start: Vec<i32>,
    pub end: Vec<Option<i32>>,
    pub capacity: Vec<u32>,
    pub price_per_month_ore: Vec<i64>,
}

impl Agreements {
    /// Number of agreements.
    pub fn len(&self) -> usize {
        self.ext_id.len()
    }
}

/// Suppliers (organisations holding agreements).
#[derive(Debug, Clone, Default)]
pub struct Suppliers {
    pub ext_id: Vec<i64>,
    pub tenant: Vec<u32>,
    pub name: Vec<String>,
    /// Declared annual turnover, öre.
    pub annual_turnover_ore: Vec<Option<i64>>,
}

impl Suppliers {
    /// Number of suppliers.
    pub fn len(&self) -> usize {
        self.ext_id.len()
    }
}

/// Placement types.
#[derive(Debug, Clone, Default)]
pub struct PlacementTypes {
    pub ext_id: Vec<i64>,
    pub tenant: Vec<u32>,
    pub code: Vec<String>,
    pub name_sv: Vec<String>,
    pub name_en: Vec<String>,
    /// Referrals to this type that the supplier declined.
    pub declined_referrals: Vec<u32>,
}

impl PlacementTypes {
    /// Number of types.
    pub fn len(&self) -> usize {
        self.ext_id.len()
    }
}

/// Procurement rounds.
#[derive(Debug, Clone, Default)]
pub struct Rounds {
    pub ext_id: Vec<i64>,
    pub tenant: Vec<u32>,
    pub title: Vec<String>,
    /// First day of the round's agreements.
    pub contract_start: Vec<i32>,
}

impl Rounds {
    /// Number of rounds.
    pub fn len(&self) -> usize {
        self.ext_id.len()
    }
}

/// Everything an effect computation reads.
#[derive(Debug, Clone, Default)]
pub struct EffectsData {
    /// The data's "today": nothing later is recorded (censoring day when a participant
    /// has no register row).
    pub as_of: i32,
    pub tenants: Tenants,
    pub participants: Participants,
    pub placements: Placements,
    pub payments: Payments,
    pub agreements: Agreements,
    pub suppliers: Suppliers,
    pub placement_types: PlacementTypes,
    pub rounds: Rounds,
}

/// A column with the wrong length or an index out of range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataError(pub String);

impl std::fmt::Display for DataError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DataError {}

macro_rules! check_len {
    ($n:expr, $table:literal, $($col:expr => $name:literal),+ $(,)?) => {
        $(if $col.len() != $n {
            return Err(DataError(format!(
                "{}.{} has {} rows, expected {}", $table, $name, $col.len(), $n
            )));
        })+
    };
}

fn check_index(col: &[u32], bound: usize, what: &str) -> Result<(), DataError> {
    if let Some(bad) = col.iter().find(|&&i| i as usize >= bound) {
        return Err(DataError(format!(
            "{what}: index {bad} out of range (< {bound})"
        )));
    }
    Ok(())
}

fn check_opt_index(col: &[Option<u32>], bound: usize, what: &str) -> Result<(), DataError> {
    if let Some(bad) = col.iter().flatten().find(|&&i| i as usize >= bound) {
        return Err(DataError(format!(
            "{what}: index {bad} out of range (< {bound})"
        )));
    }
    Ok(())
}

impl EffectsData {
    /// Checks the columns and derives `placements.days_to_work` / `work_censored`.
    ///
    /// Time to work for a placement: from its start to the first start of work or
    /// studies by the national indicator's definition on or after the start — the
    /// register's `began_on` when the register has one, else the exit date of an exit to
    /// work or studies. Without either, the time is censored at the end of observation
    /// (the register's `observed_until`, else [`EffectsData::as_of`]); a negative time
    /// (data ending before the start) is clamped to 0 and censored.
    pub fn finish(&mut self) -> Result<(), DataError> {
        let np = self.participants.len();
        let p = &self.participants;
        check_len!(np, "participants",
            p.tenant => "tenant", p.age_band => "age_band", p.gender => "gender",
            p.born_abroad => "born_abroad", p.education => "education",
            p.months_on_income_support => "months_on_income_support",
            p.health_limitation => "health_limitation", p.swedish_level => "swedish_level",
            p.prior_work_experience => "prior_work_experience",
            p.registered_on => "registered_on", p.register_began_on => "register_began_on",
            p.register_activity => "register_activity",
            p.register_observed_until => "register_observed_until");
        check_index(&p.tenant, self.tenants.ext_id.len(), "participants.tenant")?;

        let n = self.placements.len();
        let pl = &self.placements;
        check_len!(n, "placements",
            pl.participant => "participant", pl.placement_type => "placement_type",
            pl.supplier => "supplier", pl.agreement => "agreement", pl.round => "round",
            pl.start => "start", pl.end => "end", pl.exit_date => "exit_date",
            pl.exit_outcome => "exit_outcome", pl.follow_up[0] => "follow_up[0]",
            pl.follow_up[1] => "follow_up[1]", pl.follow_up[2] => "follow_up[2]",
            pl.attendance_months => "attendance_months",
            pl.attended_minutes => "attended_minutes", pl.paid_ore => "paid_ore");
        check_index(&pl.participant, np, "placements.participant")?;
        check_index(
            &pl.placement_type,
            self.placement_types.len(),
            "placements.placement_type",
        )?;
        check_index(&pl.supplier, self.suppliers.len(), "placements.supplier")?;
        check_index(&pl.agreement, self.agreements.len(), "placements.agreement")?;
        check_opt_index(&pl.round, self.rounds.len(), "placements.round")?;

        let a = &self.agreements;
        check_len!(a.len(), "agreements",
            a.supplier => "supplier", a.placement_type => "placement_type", a.round => "round",
            a.start => "start", a.end => "end", a.capacity => "capacity",
            a.price_per_month_ore => "price_per_month_ore");
        check_index(&a.supplier, self.suppliers.len(), "agreements.supplier")?;
        check_index(
            &a.placement_type,
            self.placement_types.len(),
            "agreements.placement_type",
        )?;
        check_opt_index(&a.round, self.rounds.len(), "agreements.round")?;

        let pay = &self.payments;
        check_len!(pay.len(), "payments",
            pay.supplier => "supplier", pay.agreement => "agreement", pay.amount_ore => "amount_ore");
        check_index(&pay.supplier, self.suppliers.len(), "payments.supplier")?;
        check_index(&pay.agreement, self.agreements.len(), "payments.agreement")?;

        let s = &self.suppliers;
        check_len!(s.len(), "suppliers", s.tenant => "tenant", s.name => "name",
            s.annual_turnover_ore => "annual_turnover_ore");
        let t = &self.placement_types;
        check_len!(t.len(), "placement_types", t.tenant => "tenant", t.code => "code",
            t.name_sv => "name_sv", t.name_en => "name_en",
            t.declined_referrals => "declined_referrals");
        let r = &self.rounds;
        check_len!(r.len(), "rounds", r.tenant => "tenant", r.title => "title",
            r.contract_start => "contract_start");
        let tn = &self.tenants;
        check_len!(tn.ext_id.len(), "tenants", tn.slug => "slug", tn.name => "name");

        let mut days = Vec::with_capacity(n);
        let mut censored = Vec::with_capacity(n);
        for i in 0..n {
            let (d, c) = self.time_to_work(i);
            days.push(d);
            censored.push(c);
        }
        self.placements.days_to_work = days;
        self.placements.work_censored = censored;
        Ok(())
    }

    fn time_to_work(&self, i: usize) -> (i32, bool) {
        let pl = &self.placements;
        let p = pl.participant[i] as usize;
        let start = pl.start[i];
        let from_register = self.participants.register_began_on[p].filter(|&d| d >= start);
        let from_exit = match (pl.exit_outcome[i], pl.exit_date[i]) {
            (Some(o), Some(d)) if o.counts_as_work_or_studies() && d >= start => Some(d),
            _ => None,
        };
        let event = match (from_register, from_exit) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        match event {
            Some(d) => (d - start, false),
            None => {
                let until = self.participants.register_observed_until[p].unwrap_or(self.as_of);
                ((until - start).max(0), true)
            }
        }
    }

    /// Whether placement `i` is under a procurement round (the reform), as opposed to
    /// arranged the old way.
    pub fn is_reserved(&self, i: usize) -> bool {
        self.placements.round[i].is_some()
    }

    /// The main outcome for participant `p`: began work or studies (register) within
    /// 365 days of registering. None when the registration date or the register row is
    /// missing, or when fewer than 365 days were observed and nothing began yet.
    pub fn began_within_year(&self, p: usize) -> Option<bool> {
        let reg = self.participants.registered_on[p]?;
        let observed = self.participants.register_observed_until[p]?;
        match self.participants.register_began_on[p] {
            Some(b) if b - reg <= 365 => Some(true),
            _ if observed - reg >= 365 => Some(false),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers_round_trip() {
        let d = NaiveDate::from_ymd_opt(2023, 1, 1).unwrap();
        assert_eq!(day(d), 19358);
        assert_eq!(date(19358), d);
        assert_eq!(month_label(month_number(d)), "2023-01");
        assert_eq!(month_of_day(19358 + 31), month_number(d) + 1);
    }
}
