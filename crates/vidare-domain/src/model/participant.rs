//! Participants: residents far from the labour market, with the covariates an
//! evaluation needs to compare like with like.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{RuleViolation, Text};
use crate::ids::{ParticipantId, TenantId};
use crate::personnummer::{IdentityKind, PersonalIdentityNumber};

crate::code_enum! {
    /// Gender as recorded by the case worker (not derived from the identity number).
    pub enum Gender {
        Female = "female",
        Male = "male",
        Other = "other",
        Unknown = "unknown",
    }
}

crate::code_enum! {
    /// Highest completed education, in SCB's three broad levels.
    pub enum EducationLevel {
        /// Förgymnasial: at most compulsory school.
        Primary = "primary",
        /// Gymnasial: upper secondary.
        UpperSecondary = "upper_secondary",
        /// Eftergymnasial: post-secondary.
        PostSecondary = "post_secondary",
        Unknown = "unknown",
    }
}

crate::code_enum! {
    /// Command of Swedish, as assessed at registration.
    pub enum SwedishLevel {
        /// Swedish as first language or equivalent.
        Fluent = "fluent",
        Intermediate = "intermediate",
        Basic = "basic",
        None = "none",
    }
}

/// The most months of income support before entry a record may state: 40 years.
pub const MAX_MONTHS_ON_INCOME_SUPPORT: u32 = 480;

/// What an evaluation conditions on: the characteristics that drive both selection into
/// placements and the chance of moving on to work or studies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Covariates {
    pub gender: Gender,
    pub born_abroad: bool,
    pub education: EducationLevel,
    /// Months on income support (försörjningsstöd) before entry.
    pub months_on_income_support: u32,
    /// A documented health limitation or disability affecting work capacity.
    pub health_limitation: bool,
    pub swedish_level: SwedishLevel,
    pub prior_work_experience: bool,
}

impl Covariates {
    /// Checks the ranges that the types alone do not.
    pub fn check(&self) -> Result<(), RuleViolation> {
        if self.months_on_income_support > MAX_MONTHS_ON_INCOME_SUPPORT {
            return Err(RuleViolation::new(
                "months_on_income_support",
                format!(
                    "Antalet månader med försörjningsstöd kan vara högst {MAX_MONTHS_ON_INCOME_SUPPORT}."
                ),
                format!(
                    "Months on income support can be at most {MAX_MONTHS_ON_INCOME_SUPPORT}."
                ),
            ));
        }
        Ok(())
    }
}

/// A resident taking part in the municipality's labour-market activities.
///
/// The identity number is personal data that only case workers see; suppliers and
/// researchers see a pseudonym instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    pub id: ParticipantId,
    pub tenant_id: TenantId,
    pub personal_number: PersonalIdentityNumber,
    pub first_name: Text,
    pub last_name: Text,
    pub covariates: Covariates,
    pub synthetic: bool,
    /// Set once the participant has been anonymised after the retention period: the
    /// name and identity number are then placeholders, see [`anonymised_placeholder`].
    pub anonymised_on: Option<NaiveDate>,
}

impl Participant {
    /// Whether the name and identity number are placeholders.
    pub fn is_anonymised(&self) -> bool {
        self.anonymised_on.is_some()
    }
}

/// The irreversible placeholder identity number an anonymised participant gets: a
/// valid number (so every reader keeps working) with a birth date in the 19th century,
/// which no living person has, derived only from the record's id (so it is unique in the
/// tenant and says nothing about the person). The real birth year is kept apart for the
/// statistics' age bands.
pub fn anonymised_placeholder(id: ParticipantId) -> PersonalIdentityNumber {
    let n = id.get().rem_euclid(36_500_000);
    let day = (n % 365) as u64;
    let serial = ((n / 365) % 1000) as u16;
    let year = 1800 + (n / 365_000) as i32;
    let date = NaiveDate::from_ymd_opt(year, 1, 1).expect("valid year") + chrono::Days::new(day);
    PersonalIdentityNumber::from_parts(date, serial, IdentityKind::Personnummer)
        .expect("serial below 1000 and a four-digit year")
}

/// The first name an anonymised participant gets.
pub const ANONYMISED_FIRST_NAME: &str = "Anonymiserad";

/// A participant as registered, before storage gives it an id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewParticipant {
    pub personal_number: PersonalIdentityNumber,
    pub first_name: Text,
    pub last_name: Text,
    pub covariates: Covariates,
    pub synthetic: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covariate_ranges() {
        let mut c = Covariates {
            gender: Gender::Female,
            born_abroad: true,
            education: EducationLevel::Primary,
            months_on_income_support: 24,
            health_limitation: false,
            swedish_level: SwedishLevel::Basic,
            prior_work_experience: false,
        };
        assert!(c.check().is_ok());
        c.months_on_income_support = 481;
        assert_eq!(c.check().unwrap_err().field, "months_on_income_support");
    }

    #[test]
    fn placeholders_are_unique_and_not_of_living_people() {
        use chrono::Datelike;
        let mut seen = std::collections::HashSet::new();
        for id in [1, 2, 364, 365, 366, 364_999, 365_000, 1_000_000, 36_499_999] {
            let p = anonymised_placeholder(ParticipantId(id));
            assert!(p.birth_date().year() < 1900, "{id}");
            assert!(seen.insert(p.canonical()), "{id} collides");
            // The stored form reads back.
            assert_eq!(
                PersonalIdentityNumber::parse_canonical(&p.canonical()).unwrap(),
                p
            );
        }
    }
}
