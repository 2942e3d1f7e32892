//! Participants: residents far from the labour market, with the covariates an
//! evaluation needs to compare like with like.

use serde::{Deserialize, Serialize};

use super::{RuleViolation, Text};
use crate::ids::{ParticipantId, TenantId};
use crate::personnummer::PersonalIdentityNumber;

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
}

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
}
