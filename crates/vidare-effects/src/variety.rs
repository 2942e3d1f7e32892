//! Variety of placements — Vidare's own definitions (no standard metric exists, BRIEF §6):
//!
//! - **offered**: distinct placement types (by code) with an agreement in the period;
//! - **used**: distinct types among the period's placements;
//! - **effective number** `exp(H)`, `H = −Σ pᵢ ln pᵢ` over the used types' shares of
//!   placements (Hill number of order 1: as many equally used types would give the same
//!   entropy);
//! - **Simpson index** `D = Σ pᵢ²` (chance two placements are of the same type), with the
//!   diversity `1 − D` and the inverse `1 / D` (Hill number of order 2);
//! - **unmet needs**: groups of registered participants with a documented need whose
//!   share placed is clearly below everyone's (the group's 95 % interval lies wholly
//!   under the overall one), referrals suppliers declined per type, and types offered
//!   but never used.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::data::{AgeBand, EducationLevel, EffectsData, SwedishLevel};
use crate::stats::{wilson95, Proportion};
use crate::Figure;

/// Placements of one type.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TypeUse {
    pub code: String,
    pub name_sv: String,
    pub name_en: String,
    pub offered: bool,
    pub placements: u64,
    pub share: f64,
    pub declined_referrals: u64,
}

/// Diversity of the used types.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Diversity {
    pub shannon: f64,
    pub effective_number: f64,
    pub simpson: f64,
    pub gini_simpson: f64,
    pub inverse_simpson: f64,
}

/// Variety in one period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VarietyFigures {
    pub types_offered: u64,
    pub types_used: u64,
    pub diversity: Figure<Diversity>,
    pub types: Vec<TypeUse>,
    /// Offered (an agreement exists) but no placement made.
    pub offered_not_used: Vec<String>,
}

/// Diversity indices from counts per category.
pub fn diversity(counts: &[u64]) -> Figure<Diversity> {
    let total: u64 = counts.iter().sum();
    if total == 0 {
        return Figure::insufficient(
            "no_placements",
            "Inga placeringar i perioden: mångfalden kan inte beräknas.",
            "No placements in the period: variety cannot be computed.",
        );
    }
    let t = total as f64;
    let mut h = 0.0;
    let mut d = 0.0;
    for &c in counts.iter().filter(|&&c| c > 0) {
        let p = c as f64 / t;
        h -= p * p.ln();
        d += p * p;
    }
    Figure::Value(Diversity {
        shannon: h,
        effective_number: h.exp(),
        simpson: d,
        gini_simpson: 1.0 - d,
        inverse_simpson: 1.0 / d,
    })
}

/// Variety over the placements `idx` and the agreements `agreements` (indices) in force
/// in the same period.
pub fn variety(data: &EffectsData, idx: &[u32], agreements: &[u32]) -> VarietyFigures {
    let ty = &data.placement_types;
    // Key by code so several municipalities' types pool.
    let mut by_code: BTreeMap<&str, (u64, bool, u64, usize)> = BTreeMap::new();
    for &a in agreements {
        let t = data.agreements.placement_type[a as usize] as usize;
        let e = by_code
            .entry(ty.code[t].as_str())
            .or_insert((0, false, 0, t));
        e.1 = true;
    }
    for &i in idx {
        let t = data.placements.placement_type[i as usize] as usize;
        by_code
            .entry(ty.code[t].as_str())
            .or_insert((0, false, 0, t))
            .0 += 1;
    }
    // Declined referrals are per type row; sum those whose code appears.
    for t in 0..ty.len() {
        if let Some(e) = by_code.get_mut(ty.code[t].as_str()) {
            e.2 += ty.declined_referrals[t] as u64;
        }
    }
    let total: u64 = by_code.values().map(|e| e.0).sum();
    let counts: Vec<u64> = by_code.values().map(|e| e.0).collect();
    let types: Vec<TypeUse> = by_code
        .iter()
        .map(|(code, &(n, offered, declined, t))| TypeUse {
            code: code.to_string(),
            name_sv: ty.name_sv[t].clone(),
            name_en: ty.name_en[t].clone(),
            offered,
            placements: n,
            share: if total > 0 {
                n as f64 / total as f64
            } else {
                0.0
            },
            declined_referrals: declined,
        })
        .collect();
    VarietyFigures {
        types_offered: types.iter().filter(|t| t.offered).count() as u64,
        types_used: types.iter().filter(|t| t.placements > 0).count() as u64,
        diversity: diversity(&counts),
        offered_not_used: types
            .iter()
            .filter(|t| t.offered && t.placements == 0)
            .map(|t| t.code.clone())
            .collect(),
        types,
    }
}

/// The share placed in one need group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NeedGroup {
    pub key: &'static str,
    pub name_sv: &'static str,
    pub name_en: &'static str,
    pub placed: Figure<Proportion>,
    /// The group's interval lies wholly below everyone's.
    pub unmet: bool,
}

/// Placement rates of registered participants with documented needs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnmetNeeds {
    pub overall: Figure<Proportion>,
    pub groups: Vec<NeedGroup>,
}

type NeedTest = fn(&EffectsData, usize) -> bool;

const NEEDS: [(&str, &str, &str, NeedTest); 7] = [
    (
        "health_limitation",
        "Hälsobegränsning",
        "Health limitation",
        |d, p| d.participants.health_limitation[p],
    ),
    ("no_swedish", "Ingen svenska", "No Swedish", |d, p| {
        d.participants.swedish_level[p] == SwedishLevel::None
    }),
    (
        "basic_swedish",
        "Grundläggande svenska",
        "Basic Swedish",
        |d, p| d.participants.swedish_level[p] == SwedishLevel::Basic,
    ),
    ("age_55_64", "55–64 år", "Aged 55–64", |d, p| {
        d.participants.age_band[p] == AgeBand::A55_64
    }),
    (
        "long_term_support",
        "Minst 24 månader med försörjningsstöd",
        "At least 24 months on income support",
        |d, p| d.participants.months_on_income_support[p] >= 24,
    ),
    (
        "no_prior_work",
        "Ingen tidigare arbetslivserfarenhet",
        "No prior work experience",
        |d, p| !d.participants.prior_work_experience[p],
    ),
    (
        "primary_education",
        "Förgymnasial utbildning",
        "Primary education only",
        |d, p| d.participants.education[p] == EducationLevel::Primary,
    ),
];

/// Share placed per need group among the participants `people` (indices); `placed[p]`
/// says whether participant `p` has any placement in the period.
pub fn unmet_needs(data: &EffectsData, people: &[u32], placed: &[bool]) -> UnmetNeeds {
    let n = people.len() as u64;
    let k = people.iter().filter(|&&p| placed[p as usize]).count() as u64;
    let overall = wilson95(k, n);
    let groups = NEEDS
        .iter()
        .map(|&(key, sv, en, test)| {
            let (mut gn, mut gk) = (0u64, 0u64);
            for &p in people {
                if test(data, p as usize) {
                    gn += 1;
                    gk += placed[p as usize] as u64;
                }
            }
            let fig = wilson95(gk, gn);
            let unmet = match (fig.value(), overall.value()) {
                (Some(g), Some(o)) => g.upper < o.lower,
                _ => false,
            };
            NeedGroup {
                key,
                name_sv: sv,
                name_en: en,
                placed: fig,
                unmet,
            }
        })
        .collect();
    UnmetNeeds { overall, groups }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diversity_of_even_and_skewed_use() {
        let d = diversity(&[10, 10, 10, 10]).value().copied().unwrap();
        assert!((d.effective_number - 4.0).abs() < 1e-12);
        assert!((d.inverse_simpson - 4.0).abs() < 1e-12);
        let s = diversity(&[97, 1, 1, 1, 0]).value().copied().unwrap();
        assert!(s.effective_number < 1.3 && s.effective_number > 1.0);
        assert!((s.simpson - (0.97f64.powi(2) + 3.0 * 0.0001)).abs() < 1e-12);
        assert!(diversity(&[0, 0]).reason().is_some());
        assert!(diversity(&[]).reason().is_some());
    }
}
