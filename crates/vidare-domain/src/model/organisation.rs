//! Supplier organisations and the two eligibility tests of reserved procurement
//! (LOU 4 kap. 18 §): the purpose test and the share test (at least 30 % of the people
//! occupied belong to the target groups).

use serde::{Deserialize, Serialize};

use super::{RuleViolation, Text};
use crate::ids::{OrganisationId, TenantId};
use crate::orgnr::OrganisationNumber;

crate::code_enum! {
    /// The organisation's legal form. Any legal form may bid in a reserved procurement.
    pub enum LegalForm {
        /// Ekonomisk förening — the most common form among Swedish WISEs.
        EconomicAssociation = "economic_association",
        /// Ideell förening.
        NonProfitAssociation = "non_profit_association",
        /// Stiftelse.
        Foundation = "foundation",
        /// Aktiebolag med särskild vinstutdelningsbegränsning (svb).
        LimitedCompanyRestrictedProfit = "limited_company_restricted_profit",
        /// Aktiebolag.
        LimitedCompany = "limited_company",
        /// Registrerat trossamfund.
        ReligiousCommunity = "religious_community",
        /// Any other form.
        Other = "other",
    }
}

impl LegalForm {
    /// The form's Swedish name.
    pub fn name_sv(self) -> &'static str {
        match self {
            LegalForm::EconomicAssociation => "Ekonomisk förening",
            LegalForm::NonProfitAssociation => "Ideell förening",
            LegalForm::Foundation => "Stiftelse",
            LegalForm::LimitedCompanyRestrictedProfit => "Aktiebolag (svb)",
            LegalForm::LimitedCompany => "Aktiebolag",
            LegalForm::ReligiousCommunity => "Trossamfund",
            LegalForm::Other => "Annan form",
        }
    }

    /// The form's English name.
    pub fn name_en(self) -> &'static str {
        match self {
            LegalForm::EconomicAssociation => "Economic association",
            LegalForm::NonProfitAssociation => "Non-profit association",
            LegalForm::Foundation => "Foundation",
            LegalForm::LimitedCompanyRestrictedProfit => "Limited company (restricted profit)",
            LegalForm::LimitedCompany => "Limited company",
            LegalForm::ReligiousCommunity => "Religious community",
            LegalForm::Other => "Other",
        }
    }
}

/// The share from the target groups that reserved procurement requires: 30 %.
pub const RESERVED_MIN_TARGET_GROUP_PERCENT: u32 = 30;

/// The people occupied in a business (employees and people in placements alike) and how
/// many of them belong to the target groups of reserved procurement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "HeadcountParts", into = "HeadcountParts")]
pub struct Headcount {
    total: u32,
    from_target_groups: u32,
}

#[derive(Serialize, Deserialize)]
struct HeadcountParts {
    total: u32,
    from_target_groups: u32,
}

impl TryFrom<HeadcountParts> for Headcount {
    type Error = RuleViolation;
    fn try_from(p: HeadcountParts) -> Result<Self, Self::Error> {
        Headcount::new(p.total, p.from_target_groups)
    }
}

impl From<Headcount> for HeadcountParts {
    fn from(h: Headcount) -> Self {
        HeadcountParts {
            total: h.total,
            from_target_groups: h.from_target_groups,
        }
    }
}

impl Headcount {
    /// At least one person occupied; no more from the target groups than in total.
    pub fn new(total: u32, from_target_groups: u32) -> Result<Headcount, RuleViolation> {
        if total == 0 {
            return Err(RuleViolation::new(
                "headcount_total",
                "Antalet sysselsatta måste vara minst 1.",
                "The number of people occupied must be at least 1.",
            ));
        }
        if from_target_groups > total {
            return Err(RuleViolation::new(
                "headcount_target_groups",
                "Antalet från målgrupperna kan inte vara större än antalet sysselsatta.",
                "The number from the target groups cannot exceed the number of people occupied.",
            ));
        }
        Ok(Headcount {
            total,
            from_target_groups,
        })
    }

    /// Everyone occupied in the business.
    pub fn total(&self) -> u32 {
        self.total
    }

    /// Those belonging to the target groups.
    pub fn from_target_groups(&self) -> u32 {
        self.from_target_groups
    }

    /// The share from the target groups in per mille, rounded down (so 29.99 % never
    /// displays as passing).
    pub fn share_permille(&self) -> u32 {
        ((self.from_target_groups as u64 * 1000) / self.total as u64) as u32
    }

    /// The share test (andelskravet): at least 30 % from the target groups, computed
    /// exactly in integers.
    pub fn meets_share_test(&self) -> bool {
        self.from_target_groups as u64 * 100
            >= RESERVED_MIN_TARGET_GROUP_PERCENT as u64 * self.total as u64
    }
}

/// A percentage between 0 and 100 with two decimals, held as basis points (0–10 000).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct Percent(u32);

impl Percent {
    /// From basis points (hundredths of a percent), 0–10 000.
    pub fn from_basis_points(bp: u32) -> Result<Percent, RuleViolation> {
        if bp > 10_000 {
            return Err(RuleViolation::new(
                "percent",
                "Andelen måste ligga mellan 0 och 100 %.",
                "The share must be between 0 and 100 %.",
            ));
        }
        Ok(Percent(bp))
    }

    /// Parses `30`, `30,5`, `30.25` or `30 %` (at most two decimals).
    pub fn parse(input: &str) -> Result<Percent, RuleViolation> {
        let bad = || {
            RuleViolation::new(
                "percent",
                "Ange en andel mellan 0 och 100, till exempel 42 eller 42,5.",
                "Enter a share between 0 and 100, for example 42 or 42.5.",
            )
        };
        let s = input.trim().trim_end_matches('%').trim().replace(',', ".");
        let (whole, frac) = s.split_once('.').unwrap_or((&s, ""));
        if whole.is_empty()
            || whole.len() > 3
            || frac.len() > 2
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        let whole: u32 = whole.parse().map_err(|_| bad())?;
        let frac: u32 = if frac.is_empty() {
            0
        } else {
            format!("{frac:0<2}").parse().map_err(|_| bad())?
        };
        Percent::from_basis_points(whole * 100 + frac).map_err(|_| bad())
    }

    /// Basis points (hundredths of a percent).
    pub fn basis_points(self) -> u32 {
        self.0
    }
}

impl TryFrom<u32> for Percent {
    type Error = RuleViolation;
    fn try_from(bp: u32) -> Result<Self, Self::Error> {
        Percent::from_basis_points(bp)
    }
}

impl From<Percent> for u32 {
    fn from(p: Percent) -> u32 {
        p.0
    }
}

impl std::fmt::Display for Percent {
    /// Swedish style: `42,5 %`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (whole, frac) = (self.0 / 100, self.0 % 100);
        if frac == 0 {
            write!(f, "{whole}\u{a0}%")
        } else if frac % 10 == 0 {
            write!(f, "{whole},{}\u{a0}%", frac / 10)
        } else {
            write!(f, "{whole},{frac:02}\u{a0}%")
        }
    }
}

/// A supplier: usually a work-integration social enterprise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organisation {
    pub id: OrganisationId,
    pub tenant_id: TenantId,
    pub org_number: OrganisationNumber,
    pub name: Text,
    pub legal_form: LegalForm,
    /// Idea-driven (idéburen): run for a public-benefit purpose, profits reinvested.
    pub idea_driven: bool,
    /// Registered in the voluntary register of idea-driven organisations (from 2023),
    /// which LOU 19 kap. 25 a § relies on.
    pub in_idea_driven_register: bool,
    /// The declared headcount and share from target groups, when declared.
    pub headcount: Option<Headcount>,
    /// Declared annual turnover, for the contracts' share of it.
    pub annual_turnover: Option<crate::money::Money>,
    pub email: Option<super::Email>,
    pub synthetic: bool,
}

/// An organisation to register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewOrganisation {
    pub org_number: OrganisationNumber,
    pub name: Text,
    pub legal_form: LegalForm,
    pub idea_driven: bool,
    pub in_idea_driven_register: bool,
    pub headcount: Option<Headcount>,
    pub annual_turnover: Option<crate::money::Money>,
    pub email: Option<super::Email>,
    pub synthetic: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn share_test_is_exact_at_thirty_percent() {
        assert!(Headcount::new(10, 3).unwrap().meets_share_test());
        assert!(!Headcount::new(10, 2).unwrap().meets_share_test());
        // 29.99…% fails, 30 % passes
        assert!(!Headcount::new(3334, 1000).unwrap().meets_share_test());
        assert!(Headcount::new(3333, 1000).unwrap().meets_share_test());
        assert_eq!(Headcount::new(3, 1).unwrap().share_permille(), 333);
    }

    #[test]
    fn headcount_rules_name_the_field() {
        assert_eq!(Headcount::new(0, 0).unwrap_err().field, "headcount_total");
        assert_eq!(
            Headcount::new(5, 6).unwrap_err().field,
            "headcount_target_groups"
        );
    }

    #[test]
    fn percent_parsing_and_display() {
        assert_eq!(Percent::parse("30").unwrap().basis_points(), 3000);
        assert_eq!(Percent::parse("42,5 %").unwrap().basis_points(), 4250);
        assert_eq!(Percent::parse("100").unwrap().basis_points(), 10000);
        assert_eq!(Percent::parse("0.05").unwrap().basis_points(), 5);
        for bad in ["", "-1", "100.01", "101", "abc", "1,234", "1e2"] {
            assert!(Percent::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Percent::parse("42,5").unwrap().to_string(), "42,5\u{a0}%");
        assert_eq!(Percent::parse("7,25").unwrap().to_string(), "7,25\u{a0}%");
    }
}
