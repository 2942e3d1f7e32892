//! The documented model: who registers, who is placed, and what happens to them.
//!
//! Every number the generator uses is a named parameter here, with its unit and its
//! source (a section of the domain brief, or "assumption"). The same list is written
//! into the truth file and tabled in `docs/synthetic-data.md`.
//!
//! **Outcome.** The main outcome *Y* is whether a registered person began work or
//! studies, as the national indicator counts them (regular work of at least a month,
//! subsidised or not; studies with study allowance), within 12 months of registering
//! with the labour-market unit. Its potential outcomes are
//!
//! ```text
//! P(Y(0) = 1 | X) = logistic(η(X))            η = intercept + year + municipality + β·X
//! P(Y(1) = 1 | X) = logistic(η(X) + τ(X))     τ = the reserved-procurement effect
//! ```
//!
//! on the logit scale, where *treatment* is a placement under a framework agreement
//! of the reserved round (2023–2024). Placements arranged the old way (2021–2022) have
//! no effect on *Y* (an assumption: the reform's effect is measured against them and
//! against no placement alike). Both potential outcomes are drawn with one uniform
//! number per person, `Y(d) = [U < P(Y(d) = 1 | X)]`, so the individual effect is
//! `Y(1) − Y(0) ∈ {0, 1}` and its expectation is exactly `P1 − P0`.
//!
//! **Selection.** Placement depends on the covariates (case workers place those with
//! work experience and fewer obstacles more often, and more people after the reform),
//! and the entrants' covariates drift after the reform, so both "placed versus not
//! placed" and "after versus before" comparisons are biased.

use serde::Serialize;

use crate::person::{AgeBand, Person};
use vidare_domain::model::participant::{EducationLevel, Gender, SwedishLevel};

/// One parameter of the model, as documented and written to the truth file.
#[derive(Debug, Clone, Serialize)]
pub struct Parameter {
    pub name: &'static str,
    pub value: serde_json::Value,
    pub unit: &'static str,
    pub source: &'static str,
    pub description: &'static str,
}

macro_rules! model {
    ($( $name:ident = $value:expr, $unit:literal, $source:expr, $desc:literal; )*) => {
        /// The model's parameters. `Model::default()` is the documented calibration.
        #[derive(Debug, Clone, PartialEq)]
        pub struct Model {
            $(#[doc = $desc] pub $name: f64,)*
        }

        impl Default for Model {
            fn default() -> Model {
                Model { $($name: $value,)* }
            }
        }

        impl Model {
            /// Every numeric parameter with its unit and source.
            pub fn numeric_parameters(&self) -> Vec<Parameter> {
                vec![$(Parameter {
                    name: stringify!($name),
                    value: serde_json::json!(self.$name),
                    unit: $unit,
                    source: $source,
                    description: $desc,
                },)*]
            }
        }
    };
}

const A: &str = "assumption";

model! {
    // --- sizes ---
    demo_population = 64_000.0, "inhabitants", "issue: a municipality the size of Östersund", "Population of the demo municipality.";
    national_municipalities = 290.0, "municipalities", "issue; SCB: Sweden has 290 municipalities", "Municipalities at national scale.";
    national_population = 10_550_000.0, "inhabitants", "assumption (SCB order of magnitude, 2024)", "Population shared among the national municipalities.";
    national_population_sigma = 1.1, "log-units", "assumption", "Spread of municipality sizes (log-normal quantiles) at national scale.";
    registrations_per_1000 = 14.0, "registrations per 1,000 inhabitants and year", "assumption calibrated to the issue's 400–600 placed participants a year in the demo", "Registrations with the labour-market unit (demo and region).";
    national_registrations_per_1000 = 43.0, "registrations per 1,000 inhabitants and year", "assumption: scaled up so national scale reaches the benchmark's ~1,000,000 placed participants", "Registrations with the labour-market unit at national scale.";
    suppliers_at_demo_size = 25.0, "organisations", "issue: about 25 social enterprises in the demo", "Supplier organisations in a municipality of the demo's size.";
    supplier_size_elasticity = 0.6, "elasticity", A, "How the number of suppliers grows with population (power law).";
    suppliers_min = 4.0, "organisations", A, "Fewest suppliers in a municipality.";
    suppliers_max = 150.0, "organisations", A, "Most suppliers in a municipality.";
    potential_suppliers_invited = 5.0, "organisations", A, "Potential suppliers, not yet registered, invited to the next round's information meeting (at demo size).";

    // --- suppliers ---
    legal_form_economic_association = 0.58, "share", "BRIEF §3 (most WISEs are economic associations); share an assumption", "Share of suppliers that are economic associations.";
    legal_form_non_profit = 0.16, "share", A, "Share that are non-profit associations.";
    legal_form_foundation = 0.08, "share", A, "Share that are foundations.";
    legal_form_ab_svb = 0.12, "share", A, "Share that are limited companies with restricted profit distribution (svb).";
    legal_form_ab = 0.06, "share", A, "Share that are ordinary limited companies.";
    below_share_test = 0.12, "share", "assumption (issue: a few fall below 30 %)", "Share of idea-driven suppliers whose target-group share is below 30 % (ordinary limited companies: see below_share_test_ab).";
    below_share_test_ab = 0.6, "share", A, "Share of ordinary limited companies below 30 %.";
    headcount_median = 15.0, "people", A, "Median number of people occupied in a supplier (log-normal).";
    headcount_sigma = 0.6, "log-units", A, "Spread of supplier headcounts.";
    target_share_low = 0.35, "share", "BRIEF §3 (≥ 30 % required)", "Lowest target-group share of a supplier passing the share test.";
    target_share_high = 0.85, "share", A, "Highest target-group share.";
    turnover_per_person_kr = 150_000.0, "kr per person and year", A, "Annual turnover per person occupied.";
    in_idea_driven_register = 0.4, "share", "BRIEF §3 (voluntary register from 2023); share an assumption", "Share of idea-driven suppliers in the register of idea-driven organisations.";

    // --- prices ---
    old_price_min_kr = 2_600.0, "kr per placement-month", "assumption near BRIEF §5 (35,000 kr per place and year)", "Lowest price of a placement arranged the old way.";
    old_price_max_kr = 3_000.0, "kr per placement-month", "assumption near BRIEF §5", "Highest price arranged the old way.";
    tender_price_min_kr = 2_500.0, "kr per placement-month", "issue (tenders 2,500–4,500)", "Lowest tendered price.";
    tender_price_mean_step = 3.5, "steps of 100 kr", "calibrated to BRIEF §5: mean ≈ 2,900 kr/month ≈ 35,000 kr per place and year", "Mean of the exponential number of 100-kr steps above the lowest price.";
    tender_price_max_kr = 4_500.0, "kr per placement-month", "issue (tenders 2,500–4,500)", "Maximum price per lot in the reserved round; no tender exceeds it.";
    next_round_max_price_kr = 4_800.0, "kr per placement-month", A, "Maximum price per lot in the next round.";
    price_weight_percent = 40.0, "percent", A, "Weight of price among the award criteria (quality has the rest).";

    // --- covariates ---
    age_18_24 = 0.18, "share", A, "Share of registrants aged 18–24.";
    age_25_34 = 0.28, "share", A, "Share aged 25–34.";
    age_35_44 = 0.24, "share", A, "Share aged 35–44.";
    age_45_54 = 0.19, "share", A, "Share aged 45–54.";
    age_55_64 = 0.11, "share", A, "Share aged 55–64.";
    female = 0.46, "share", A, "Share recorded as female.";
    gender_other_or_unknown = 0.01, "share", A, "Share recorded as other or unknown.";
    born_abroad = 0.55, "share", "assumption (most long-term income-support recipients are born abroad)", "Share born abroad, before the reform.";
    born_abroad_drift = 0.06, "share", A, "Added to the share born abroad among those registering from 2023 (selection into period).";
    coordination_number = 0.04, "share of those born abroad", A, "Share of those born abroad who have a samordningsnummer.";
    education_primary_native = 0.30, "share", A, "Primary education only, born in Sweden.";
    education_post_native = 0.12, "share", A, "Post-secondary education, born in Sweden.";
    education_unknown_native = 0.03, "share", A, "Education unknown, born in Sweden (the rest: upper secondary).";
    education_primary_abroad = 0.45, "share", A, "Primary education only, born abroad.";
    education_post_abroad = 0.20, "share", A, "Post-secondary education, born abroad.";
    education_unknown_abroad = 0.10, "share", A, "Education unknown, born abroad (the rest: upper secondary).";
    months_on_support_mean = 20.0, "months", A, "Mean months on income support before registering (exponential, at least 1).";
    months_on_support_drift = 1.2, "factor", A, "Factor on that mean for those registering from 2023 (the reform targeted long-term recipients).";
    health_limitation = 0.28, "share", A, "Share with a documented health limitation, before the reform.";
    health_limitation_drift = 0.04, "share", A, "Added from 2023.";
    swedish_none = 0.08, "share of those born abroad", A, "No Swedish.";
    swedish_basic = 0.32, "share of those born abroad", A, "Basic Swedish.";
    swedish_intermediate = 0.38, "share of those born abroad", A, "Intermediate Swedish (the rest: fluent; everyone born in Sweden is fluent).";
    prior_work = 0.62, "share", A, "Share with prior work experience (born in Sweden, aged 25+).";
    prior_work_abroad = -0.12, "share", A, "Added for those born abroad.";
    prior_work_young = -0.20, "share", A, "Added for those aged 18–24.";

    // --- selection into placement (logit) ---
    placement_intercept = -0.15, "logit", "assumption calibrated to ≈ 55–60 % placed", "Intercept of the probability of being placed.";
    placement_reform = 0.35, "logit", "BRIEF §1 (more kinds of placements after the reform)", "Added from 2023: more places and kinds.";
    placement_prior_work = 0.60, "logit", A, "Prior work experience.";
    placement_health = -0.70, "logit", A, "Health limitation.";
    placement_swedish_none = -0.90, "logit", A, "No Swedish.";
    placement_swedish_basic = -0.25, "logit", A, "Basic Swedish.";
    placement_age_18_24 = 0.20, "logit", A, "Aged 18–24.";
    placement_age_55_64 = -0.50, "logit", A, "Aged 55–64.";
    placement_long_term = 0.30, "logit", A, "At least 12 months on income support (the target group).";
    placement_born_abroad = 0.10, "logit", A, "Born abroad.";

    // --- outcome without the reform (logit of Y(0)) ---
    outcome_intercept = -0.30, "logit", "calibrated to BRIEF §4: exits to work or studies 35–47 %", "Intercept of P(Y(0)).";
    outcome_year_2021 = -0.05, "logit", "assumption (labour market after the pandemic)", "Registered in 2021.";
    outcome_year_2022 = 0.15, "logit", A, "Registered in 2022.";
    outcome_year_2023 = -0.05, "logit", A, "Registered in 2023.";
    outcome_year_2024 = -0.20, "logit", "assumption (weaker labour market 2024)", "Registered in 2024.";
    outcome_municipality_sd = 0.10, "logit", A, "Standard deviation of a municipality's own level (drawn once per municipality).";
    outcome_age_18_24 = 0.25, "logit", A, "Aged 18–24.";
    outcome_age_45_54 = -0.25, "logit", A, "Aged 45–54.";
    outcome_age_55_64 = -0.70, "logit", A, "Aged 55–64.";
    outcome_female = -0.05, "logit", A, "Female.";
    outcome_born_abroad = -0.15, "logit", A, "Born abroad.";
    outcome_education_primary = -0.35, "logit", A, "Primary education only.";
    outcome_education_post = 0.35, "logit", A, "Post-secondary education.";
    outcome_education_unknown = -0.20, "logit", A, "Education unknown.";
    outcome_log_months = -0.25, "logit per ln(1 + months/12)", A, "Time on income support before registering.";
    outcome_health = -0.75, "logit", A, "Health limitation.";
    outcome_swedish_none = -0.60, "logit", A, "No Swedish.";
    outcome_swedish_basic = -0.35, "logit", A, "Basic Swedish.";
    outcome_swedish_intermediate = -0.12, "logit", A, "Intermediate Swedish.";
    outcome_prior_work = 0.45, "logit", A, "Prior work experience.";

    // --- the true effect τ(X) of a reserved-procurement placement (logit) ---
    tau_intercept = 0.20, "logit", "assumption (BRIEF §1: participants moved on to work or studies)", "Effect for the reference person.";
    tau_born_abroad = 0.20, "logit", "assumption (language practice at the workplace)", "Added for those born abroad.";
    tau_no_prior_work = 0.15, "logit", A, "Added for those without prior work experience.";
    tau_health = -0.15, "logit", A, "Added for those with a health limitation.";
    tau_long_term = 0.10, "logit", A, "Added for those at least 24 months on income support.";
    tau_age_55_64 = -0.15, "logit", A, "Added for those aged 55–64.";

    // --- timing and the course of a placement ---
    referral_delay_min_days = 7.0, "days", A, "Shortest time from registration to referral.";
    referral_delay_max_days = 42.0, "days", A, "Longest time from registration to referral.";
    start_delay_min_days = 5.0, "days", A, "Shortest time from referral to start.";
    start_delay_max_days = 21.0, "days", A, "Longest time from referral to start.";
    declined_referral = 0.07, "share of placed", A, "Share whose first referral the supplier declined.";
    work_min_days = 45.0, "days from registration", A, "Earliest start of work or studies for Y = 1.";
    work_max_days = 365.0, "days from registration", "definition of the main outcome (12 months)", "Latest start of work or studies for Y = 1.";
    work_timing_shape = 0.9, "power", A, "Start of work = min + (max − min)·U^shape.";
    later_work = 0.30, "probability", A, "For Y = 0: probability of beginning work or studies 13–36 months after registering.";
    activity_work_unsubsidised = 0.50, "share", A, "Work without subsidy, among those who begin work or studies (aged 25+).";
    activity_work_subsidised = 0.28, "share", A, "Subsidised work (the rest: studies with study allowance).";
    activity_studies_young = 0.40, "share", A, "Studies with study allowance, among those aged 18–24.";
    planned_six_months = 0.35, "share", A, "Placements planned for 6 months (the rest: 12 months).";
    early_end = 0.28, "probability", A, "For Y = 0: probability the placement ends early (illness, move, interruption) after 1–9 months.";
    extended_min_months = 12.0, "months", A, "Otherwise a placement without work ends after between this …";
    extended_max_months = 22.0, "months", A, "… and this many months (extensions included).";
    sick_rate = 0.05, "share of working days", A, "Sick days per working day.";
    sick_rate_health = 0.07, "share of working days", A, "Added for those with a health limitation.";
    leave_rate = 0.02, "share of working days", A, "Approved leave per working day.";
    unexcused_rate = 0.03, "share of working days", A, "Unexcused absence per working day.";
    retention_3 = 0.85, "probability", "assumption (BRIEF §4: follow-up after exit)", "Still in work or studies at the 3-month follow-up.";
    retention_6 = 0.80, "probability", A, "… at 6 months.";
    retention_12 = 0.72, "probability", "assumption (BRIEF §4: WISE evaluators ask who is employed after 12 months)", "… at 12 months.";
}

/// The logistic function.
pub fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

impl Model {
    /// The registration share of each age band, in [`AgeBand::ALL`] order.
    pub fn age_weights(&self) -> [f64; 5] {
        [
            self.age_18_24,
            self.age_25_34,
            self.age_35_44,
            self.age_45_54,
            self.age_55_64,
        ]
    }

    /// Logit of being placed.
    pub fn placement_logit(&self, p: &Person, reform: bool) -> f64 {
        let c = &p.covariates;
        let mut x = self.placement_intercept;
        if reform {
            x += self.placement_reform;
        }
        if c.prior_work_experience {
            x += self.placement_prior_work;
        }
        if c.health_limitation {
            x += self.placement_health;
        }
        x += match c.swedish_level {
            SwedishLevel::None => self.placement_swedish_none,
            SwedishLevel::Basic => self.placement_swedish_basic,
            _ => 0.0,
        };
        x += match p.age_band {
            AgeBand::A18_24 => self.placement_age_18_24,
            AgeBand::A55_64 => self.placement_age_55_64,
            _ => 0.0,
        };
        if c.months_on_income_support >= 12 {
            x += self.placement_long_term;
        }
        if c.born_abroad {
            x += self.placement_born_abroad;
        }
        x
    }

    /// η(X): the logit of P(Y(0) = 1) for a person registered in `year` in a
    /// municipality whose own level is `municipality_effect`.
    pub fn outcome_logit(&self, p: &Person, year: i32, municipality_effect: f64) -> f64 {
        let c = &p.covariates;
        let mut x = self.outcome_intercept + municipality_effect;
        x += match year {
            2021 => self.outcome_year_2021,
            2022 => self.outcome_year_2022,
            2023 => self.outcome_year_2023,
            _ => self.outcome_year_2024,
        };
        x += match p.age_band {
            AgeBand::A18_24 => self.outcome_age_18_24,
            AgeBand::A45_54 => self.outcome_age_45_54,
            AgeBand::A55_64 => self.outcome_age_55_64,
            _ => 0.0,
        };
        if c.gender == Gender::Female {
            x += self.outcome_female;
        }
        if c.born_abroad {
            x += self.outcome_born_abroad;
        }
        x += match c.education {
            EducationLevel::Primary => self.outcome_education_primary,
            EducationLevel::PostSecondary => self.outcome_education_post,
            EducationLevel::Unknown => self.outcome_education_unknown,
            EducationLevel::UpperSecondary => 0.0,
        };
        x += self.outcome_log_months * (1.0 + c.months_on_income_support as f64 / 12.0).ln();
        if c.health_limitation {
            x += self.outcome_health;
        }
        x += match c.swedish_level {
            SwedishLevel::None => self.outcome_swedish_none,
            SwedishLevel::Basic => self.outcome_swedish_basic,
            SwedishLevel::Intermediate => self.outcome_swedish_intermediate,
            SwedishLevel::Fluent => 0.0,
        };
        if c.prior_work_experience {
            x += self.outcome_prior_work;
        }
        x
    }

    /// τ(X): the effect of a reserved-procurement placement on the logit scale.
    pub fn tau(&self, p: &Person) -> f64 {
        let c = &p.covariates;
        let mut t = self.tau_intercept;
        if c.born_abroad {
            t += self.tau_born_abroad;
        }
        if !c.prior_work_experience {
            t += self.tau_no_prior_work;
        }
        if c.health_limitation {
            t += self.tau_health;
        }
        if c.months_on_income_support >= 24 {
            t += self.tau_long_term;
        }
        if p.age_band == AgeBand::A55_64 {
            t += self.tau_age_55_64;
        }
        t
    }

    /// Registrations per 1,000 inhabitants and year at a scale.
    pub fn intensity(&self, national: bool) -> f64 {
        if national {
            self.national_registrations_per_1000
        } else {
            self.registrations_per_1000
        }
    }
}

/// The inverse of [`logistic`].
pub fn logistic_inverse(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}
