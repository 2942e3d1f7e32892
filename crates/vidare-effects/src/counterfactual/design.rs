//! The covariates of the propensity model: every participant's covariates packed into
//! one `u32` pattern key, dummy coding of the categories, and their labels.
//!
//! Participants with the same key have the same propensity score, so the model is fitted
//! on the distinct patterns with their counts (binomial rows) — the same estimate as on
//! the individual rows, at a fraction of the cost.

use crate::data::{AgeBand, EducationLevel, Gender, Participants, SwedishLevel};

/// Bit layout of a key: age 3 | gender 2 | born abroad 1 | education 2 | months 9 |
/// health 1 | Swedish 2 | prior work 1 | registration-year index 8.
const MONTHS_CAP: u32 = 511;

/// A categorical covariate (binary ones have levels 0 = no, 1 = yes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cat {
    Age,
    Gender,
    BornAbroad,
    Education,
    MonthsBand,
    Health,
    Swedish,
    PriorWork,
    Year,
}

impl Cat {
    /// In the order the model and the balance table list them.
    pub const ALL: [Cat; 9] = [
        Cat::Age,
        Cat::Gender,
        Cat::BornAbroad,
        Cat::Education,
        Cat::MonthsBand,
        Cat::Health,
        Cat::Swedish,
        Cat::PriorWork,
        Cat::Year,
    ];

    /// Number of possible levels.
    pub fn levels(self, years: usize) -> usize {
        match self {
            Cat::Age => AgeBand::ALL.len(),
            Cat::Gender | Cat::Education | Cat::Swedish => 4,
            Cat::BornAbroad | Cat::Health | Cat::PriorWork => 2,
            Cat::MonthsBand => 3,
            Cat::Year => years,
        }
    }

    /// Binary covariates and the months bands have a fixed reference level (no / 0–11
    /// months); the other categories use their most frequent level.
    pub fn fixed_reference(self) -> Option<u8> {
        match self {
            Cat::BornAbroad | Cat::Health | Cat::PriorWork | Cat::MonthsBand => Some(0),
            _ => None,
        }
    }

    /// The variable's code.
    pub fn code(self) -> &'static str {
        match self {
            Cat::Age => "age",
            Cat::Gender => "gender",
            Cat::BornAbroad => "born_abroad",
            Cat::Education => "education",
            Cat::MonthsBand => "months_on_income_support",
            Cat::Health => "health_limitation",
            Cat::Swedish => "swedish_level",
            Cat::PriorWork => "prior_work_experience",
            Cat::Year => "registration_year",
        }
    }

    /// The variable's name in Swedish and English.
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            Cat::Age => ("Ålder", "Age"),
            Cat::Gender => ("Kön", "Gender"),
            Cat::BornAbroad => ("Utrikes född", "Born abroad"),
            Cat::Education => ("Utbildning", "Education"),
            Cat::MonthsBand => ("Månader med försörjningsstöd", "Months on income support"),
            Cat::Health => ("Hälsobegränsning", "Health limitation"),
            Cat::Swedish => ("Svenskkunskaper", "Command of Swedish"),
            Cat::PriorWork => ("Tidigare arbetslivserfarenhet", "Prior work experience"),
            Cat::Year => ("Inskrivningsår", "Year registered"),
        }
    }

    /// The level's code and its labels in Swedish and English.
    pub fn level_label(self, level: u8, years: &[i32]) -> (String, String, String) {
        let l = level as usize;
        let s = |c: &str, sv: &str, en: &str| (c.to_string(), sv.to_string(), en.to_string());
        match self {
            Cat::Age => {
                let b = AgeBand::ALL[l];
                (
                    b.label().replace('–', "-"),
                    b.label().into(),
                    b.label().into(),
                )
            }
            Cat::Gender => match Gender::ALL[l] {
                Gender::Female => s("female", "kvinna", "female"),
                Gender::Male => s("male", "man", "male"),
                Gender::Other => s("other", "annat", "other"),
                Gender::Unknown => s("unknown", "okänt", "unknown"),
            },
            Cat::Education => match EducationLevel::ALL[l] {
                EducationLevel::Primary => s("primary", "förgymnasial", "primary"),
                EducationLevel::UpperSecondary => {
                    s("upper_secondary", "gymnasial", "upper secondary")
                }
                EducationLevel::PostSecondary => {
                    s("post_secondary", "eftergymnasial", "post-secondary")
                }
                EducationLevel::Unknown => s("unknown", "okänd", "unknown"),
            },
            Cat::Swedish => match SwedishLevel::ALL[l] {
                SwedishLevel::Fluent => s("fluent", "flytande", "fluent"),
                SwedishLevel::Intermediate => s("intermediate", "mellannivå", "intermediate"),
                SwedishLevel::Basic => s("basic", "grundläggande", "basic"),
                SwedishLevel::None => s("none", "ingen", "none"),
            },
            Cat::MonthsBand => [
                s("0-11", "0–11", "0–11"),
                s("12-23", "12–23", "12–23"),
                s("24+", "24 eller fler", "24 or more"),
            ][l]
                .clone(),
            Cat::BornAbroad | Cat::Health | Cat::PriorWork => {
                if l == 1 {
                    s("yes", "ja", "yes")
                } else {
                    s("no", "nej", "no")
                }
            }
            Cat::Year => {
                let y = years[l].to_string();
                (y.clone(), y.clone(), y)
            }
        }
    }

    /// The level of a key.
    #[inline]
    pub fn level(self, key: u32) -> u8 {
        (match self {
            Cat::Age => key & 7,
            Cat::Gender => (key >> 3) & 3,
            Cat::BornAbroad => (key >> 5) & 1,
            Cat::Education => (key >> 6) & 3,
            Cat::MonthsBand => match months(key) {
                0..=11 => 0,
                12..=23 => 1,
                _ => 2,
            },
            Cat::Health => (key >> 17) & 1,
            Cat::Swedish => (key >> 18) & 3,
            Cat::PriorWork => (key >> 20) & 1,
            Cat::Year => (key >> 21) & 0xff,
        }) as u8
    }
}

/// Months on income support of a key (capped at 511).
#[inline]
pub fn months(key: u32) -> u32 {
    (key >> 8) & MONTHS_CAP
}

/// `ln(1 + months/12)`: how time on income support enters the model.
#[inline]
pub fn log_months(key: u32) -> f64 {
    (months(key) as f64 / 12.0).ln_1p()
}

fn position<T: PartialEq>(all: &[T], x: &T) -> u32 {
    all.iter().position(|v| v == x).expect("listed in ALL") as u32
}

/// The key of participant `i`, with `year_index` the index of their registration year.
pub fn key(p: &Participants, i: usize, year_index: u8) -> u32 {
    position(&AgeBand::ALL, &p.age_band[i])
        | position(Gender::ALL, &p.gender[i]) << 3
        | u32::from(p.born_abroad[i]) << 5
        | position(EducationLevel::ALL, &p.education[i]) << 6
        | u32::from(p.months_on_income_support[i]).min(MONTHS_CAP) << 8
        | u32::from(p.health_limitation[i]) << 17
        | position(SwedishLevel::ALL, &p.swedish_level[i]) << 18
        | u32::from(p.prior_work_experience[i]) << 20
        | u32::from(year_index) << 21
}

/// One column of the design matrix.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Column {
    Intercept,
    /// 1 when the category has this level.
    Level(Cat, u8),
    /// `ln(1 + months/12)`.
    LogMonths,
}

impl Column {
    /// The value for a key.
    #[inline]
    pub fn value(self, key: u32) -> f64 {
        match self {
            Column::Intercept => 1.0,
            Column::Level(c, l) => f64::from(u8::from(c.level(key) == l)),
            Column::LogMonths => log_months(key),
        }
    }

    /// The column's name in the model (`age[55-64]`, `born_abroad`, …).
    pub fn name(self, years: &[i32]) -> String {
        match self {
            Column::Intercept => "intercept".into(),
            Column::LogMonths => "ln(1+months_on_income_support/12)".into(),
            Column::Level(c, l) => match c {
                Cat::BornAbroad | Cat::Health | Cat::PriorWork => c.code().into(),
                _ => format!("{}[{}]", c.code(), c.level_label(l, years).0),
            },
        }
    }
}
