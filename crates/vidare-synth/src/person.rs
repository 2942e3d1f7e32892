//! A registered person's covariates, drawn from the model's distributions.

use chrono::{Datelike, Days, NaiveDate};
use serde::Serialize;
use vidare_domain::model::participant::{Covariates, EducationLevel, Gender, SwedishLevel};

use crate::model::Model;
use crate::rng::Rng;

/// Age at registration, in the bands the model uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum AgeBand {
    A18_24,
    A25_34,
    A35_44,
    A45_54,
    A55_64,
}

impl AgeBand {
    /// Every band, youngest first.
    pub const ALL: [AgeBand; 5] = [
        AgeBand::A18_24,
        AgeBand::A25_34,
        AgeBand::A35_44,
        AgeBand::A45_54,
        AgeBand::A55_64,
    ];

    /// Youngest and oldest age in the band.
    pub fn years(self) -> (u32, u32) {
        match self {
            AgeBand::A18_24 => (18, 24),
            AgeBand::A25_34 => (25, 34),
            AgeBand::A35_44 => (35, 44),
            AgeBand::A45_54 => (45, 54),
            AgeBand::A55_64 => (55, 64),
        }
    }

    /// `18-24` and so on.
    pub fn label(self) -> &'static str {
        match self {
            AgeBand::A18_24 => "18-24",
            AgeBand::A25_34 => "25-34",
            AgeBand::A35_44 => "35-44",
            AgeBand::A45_54 => "45-54",
            AgeBand::A55_64 => "55-64",
        }
    }
}

/// A registered person as the model sees them.
#[derive(Debug, Clone)]
pub struct Person {
    pub registered_on: NaiveDate,
    pub birth_date: NaiveDate,
    pub age_band: AgeBand,
    pub covariates: Covariates,
}

impl Person {
    /// Draws a person registering on `registered_on`; `reform` says whether that is
    /// from 2023 on, when the entrants' make-up drifts.
    pub fn draw(model: &Model, rng: &mut Rng, registered_on: NaiveDate, reform: bool) -> Person {
        let age_band = AgeBand::ALL[rng.weighted(&model.age_weights())];
        let (lo, hi) = age_band.years();
        // A birth date that makes the person `age` on the registration day.
        let age = rng.between(lo as i64, hi as i64) as u32;
        let latest = registered_on
            .with_year(registered_on.year() - age as i32)
            .unwrap_or_else(|| {
                // 29 February in a common year.
                NaiveDate::from_ymd_opt(registered_on.year() - age as i32, 2, 28).expect("valid")
            });
        let birth_date = latest - Days::new(rng.below(365));

        let g = rng.uniform();
        let gender = if g < model.gender_other_or_unknown {
            if rng.chance(0.5) {
                Gender::Other
            } else {
                Gender::Unknown
            }
        } else if g < model.gender_other_or_unknown + model.female {
            Gender::Female
        } else {
            Gender::Male
        };
        let born_abroad =
            rng.chance(model.born_abroad + if reform { model.born_abroad_drift } else { 0.0 });
        let (primary, post, unknown) = if born_abroad {
            (
                model.education_primary_abroad,
                model.education_post_abroad,
                model.education_unknown_abroad,
            )
        } else {
            (
                model.education_primary_native,
                model.education_post_native,
                model.education_unknown_native,
            )
        };
        let education = [
            EducationLevel::Primary,
            EducationLevel::UpperSecondary,
            EducationLevel::PostSecondary,
            EducationLevel::Unknown,
        ][rng.weighted(&[primary, 1.0 - primary - post - unknown, post, unknown])];
        let mean = model.months_on_support_mean
            * if reform {
                model.months_on_support_drift
            } else {
                1.0
            };
        let months = (1.0 + rng.exponential(mean)).floor().min(480.0) as u32;
        let health = rng.chance(
            model.health_limitation
                + if reform {
                    model.health_limitation_drift
                } else {
                    0.0
                },
        );
        let swedish_level = if born_abroad {
            let (n, b, i) = (
                model.swedish_none,
                model.swedish_basic,
                model.swedish_intermediate,
            );
            [
                SwedishLevel::None,
                SwedishLevel::Basic,
                SwedishLevel::Intermediate,
                SwedishLevel::Fluent,
            ][rng.weighted(&[n, b, i, 1.0 - n - b - i])]
        } else {
            SwedishLevel::Fluent
        };
        let mut work = model.prior_work;
        if born_abroad {
            work += model.prior_work_abroad;
        }
        if age_band == AgeBand::A18_24 {
            work += model.prior_work_young;
        }
        let prior_work_experience = rng.chance(work);
        Person {
            registered_on,
            birth_date,
            age_band,
            covariates: Covariates {
                gender,
                born_abroad,
                education,
                months_on_income_support: months,
                health_limitation: health,
                swedish_level,
                prior_work_experience,
            },
        }
    }
}
