//! SROI (social return on investment): a value map from stakeholders to outcomes,
//! indicators and financial proxies, with deadweight, attribution, displacement,
//! drop-off and discounting (BRIEF §6).
//!
//! - stakeholders: the four payers of [`crate::socioeconomic`];
//! - outcomes and indicators: *in work* (exits to work, national indicator) and *in
//!   studies* (exits to studies with study allowance);
//! - financial proxies: the payer's yearly value of one person-year in work or studies
//!   ([`crate::socioeconomic::value_per_person_year`]);
//! - impact in year 1 = quantity × `retention_year1` × proxy × (1 − deadweight) ×
//!   (1 − attribution) × (1 − displacement); year *t* multiplies by
//!   (1 − drop-off)^(t − 1); value discounted by (1 + r)^−t over `sroi_years` years;
//! - investment: what the placements cost plus administration per participant;
//! - **SROI ratio** = present value of the impact / investment.

use serde::Serialize;

use crate::socioeconomic::{value_per_person_year, Inputs, ParameterSet};
use crate::Figure;

/// One line of the value map.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValueMapLine {
    pub stakeholder: &'static str,
    pub outcome: &'static str,
    pub quantity: f64,
    pub proxy_kr: f64,
    pub impact_year1_kr: f64,
    pub present_value_kr: f64,
}

/// The SROI result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sroi {
    pub lines: Vec<ValueMapLine>,
    pub investment_kr: f64,
    pub present_value_kr: f64,
    pub net_present_value_kr: f64,
    pub ratio: f64,
    pub years: u32,
}

/// Computes the SROI; insufficient without investment.
pub fn sroi(inputs: Inputs, p: &ParameterSet) -> Figure<Sroi> {
    let investment =
        inputs.placement_cost_kr + p.admin_cost_per_participant_kr * inputs.participants as f64;
    if investment <= 0.0 || inputs.participants == 0 {
        return Figure::insufficient(
            "no_investment",
            "Inga kostnader eller deltagare: SROI-kvoten saknar nämnare.",
            "No costs or participants: the SROI ratio has no denominator.",
        );
    }
    let years = p.sroi_years.round().max(1.0) as u32;
    let factor =
        (1.0 - p.sroi_deadweight) * (1.0 - p.sroi_attribution) * (1.0 - p.sroi_displacement);
    let mut lines = Vec::new();
    for (stakeholder, work, studies) in value_per_person_year(p) {
        for (outcome, quantity, proxy) in [
            ("in_work", inputs.exits_to_work as f64, work),
            ("in_studies", inputs.exits_to_studies as f64, studies),
        ] {
            if quantity == 0.0 || proxy == 0.0 {
                continue;
            }
            let impact1 = quantity * p.retention_year1 * proxy * factor;
            let pv: f64 = (1..=years)
                .map(|t| {
                    impact1 * (1.0 - p.annual_drop_off).powi(t as i32 - 1)
                        / (1.0 + p.discount_rate).powi(t as i32)
                })
                .sum();
            lines.push(ValueMapLine {
                stakeholder,
                outcome,
                quantity,
                proxy_kr: proxy,
                impact_year1_kr: impact1,
                present_value_kr: pv,
            });
        }
    }
    let pv: f64 = lines.iter().map(|l| l.present_value_kr).sum();
    Figure::Value(Sroi {
        lines,
        investment_kr: investment,
        present_value_kr: pv,
        net_present_value_kr: pv - investment,
        ratio: pv / investment,
        years,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratio_by_hand() {
        let mut p = ParameterSet::default();
        p.sroi_years = 1.0;
        let inputs = Inputs {
            participants: 10,
            exits_to_work: 4,
            exits_to_studies: 0,
            placement_cost_kr: 400_000.0,
        };
        let s = sroi(inputs, &p).value().cloned().unwrap();
        let per_year: f64 = value_per_person_year(&p).iter().map(|v| v.1).sum();
        let expect = 4.0 * 0.8 * per_year * 0.7 * 0.8 * 0.9 / 1.035;
        assert!((s.present_value_kr - expect).abs() < 1e-6);
        assert!((s.ratio - expect / 500_000.0).abs() < 1e-12);
        // More deadweight, less return.
        p.sroi_deadweight = 0.6;
        assert!(sroi(inputs, &p).value().unwrap().ratio < s.ratio);
    }

    #[test]
    fn nothing_invested_is_explained() {
        let inputs = Inputs {
            participants: 0,
            exits_to_work: 0,
            exits_to_studies: 0,
            placement_cost_kr: 0.0,
        };
        assert_eq!(
            sroi(inputs, &ParameterSet::default())
                .reason()
                .unwrap()
                .code,
            "no_investment"
        );
    }
}
