//! Socio-economic return per payer (municipality, region, state, the individual) after
//! 1 and 5 years, with the payback time — from a versioned, cited [`ParameterSet`] — and
//! a sensitivity table.
//!
//! **Model** (in the spirit of NyttoSam and Upphandlingsmyndigheten's calculator, BRIEF
//! §6). The placements' outcomes are the exits to work and to studies (national
//! indicator). Of these, the share `counterfactual_share` would have happened anyway;
//! the rest are *additional* person-years: in year *t* (1–5) an additional person is
//! still in work or studies with probability `retention_year1 · (1 − annual_drop_off)^(t−1)`.
//! Per additional person-year:
//!
//! | payer | work | studies |
//! |---|---|---|
//! | municipality | income support saved + municipal income tax | income support saved |
//! | region | regional income tax | — |
//! | state | employer contributions − wage subsidy (subsidised share) | − study grant |
//! | individual | net wage − income support lost | study grant − income support lost |
//!
//! Costs: the municipality pays the placements (what was invoiced) and
//! `admin_cost_per_participant_kr` per participant. Values are discounted at
//! `discount_rate` per year (middle of year). Payback: the first month in which the
//! cumulative discounted benefit reaches the cost, assuming benefits accrue evenly over
//! each year; none within 5 years is reported as such.

use serde::{Deserialize, Serialize};
use vidare_domain::model::RuleViolation;

use crate::Figure;

/// One parameter's metadata.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ParamSpec {
    pub key: &'static str,
    pub unit: &'static str,
    pub min: f64,
    pub max: f64,
    pub name_sv: &'static str,
    pub name_en: &'static str,
    /// The default's source.
    pub source: &'static str,
}

macro_rules! params {
    ($( $field:ident = $default:expr, $unit:literal, [$min:expr, $max:expr], $sv:literal, $en:literal, $src:literal; )+) => {
        /// The parameters of the socio-economic and SROI calculations.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        pub struct ParameterSet {
            $(pub $field: f64,)+
        }

        impl Default for ParameterSet {
            fn default() -> Self {
                ParameterSet { $($field: $default,)+ }
            }
        }

        /// Every parameter, in display order.
        pub const SPECS: &[ParamSpec] = &[
            $(ParamSpec { key: stringify!($field), unit: $unit, min: $min, max: $max,
                name_sv: $sv, name_en: $en, source: $src },)+
        ];

        impl ParameterSet {
            /// A parameter by key.
            pub fn get(&self, key: &str) -> Option<f64> {
                match key { $(stringify!($field) => Some(self.$field),)+ _ => None }
            }

            /// Sets a parameter by key; false for an unknown key.
            pub fn set(&mut self, key: &str, value: f64) -> bool {
                match key { $(stringify!($field) => { self.$field = value; true })+ _ => false }
            }
        }
    };
}

params! {
    income_support_per_month_kr = 13_500.0, "kr/månad", [0.0, 100_000.0],
        "Försörjningsstöd per månad", "Income support per month",
        "Samordningsförbundet Uppsala län (2022): 162 000 kr per helårsekvivalent med försörjningsstöd, SCB-baserat (BRIEF §5); 162 000 / 12";
    monthly_wage_kr = 20_500.0, "kr/månad", [0.0, 200_000.0],
        "Bruttolön per månad i arbete", "Gross monthly wage in work",
        "Upphandlingsmyndighetens kalkylator för sysselsättningskrav, räkneexempel: 20 500 kr i månaden (BRIEF §6)";
    municipal_tax_rate = 0.21, "andel", [0.0, 0.6],
        "Kommunal inkomstskatt (kommunen)", "Municipal income tax (municipality)",
        "Antagande: SCB:s genomsnittliga kommunalskatt ≈ 32 %, varav kommunen ≈ 21 procentenheter";
    regional_tax_rate = 0.115, "andel", [0.0, 0.6],
        "Kommunal inkomstskatt (regionen)", "Municipal income tax (region)",
        "Antagande: SCB:s genomsnittliga kommunalskatt ≈ 32 %, varav regionen ≈ 11,5 procentenheter";
    employer_contribution_rate = 0.3142, "andel", [0.0, 1.0],
        "Arbetsgivaravgifter", "Employer social contributions",
        "Antagande: lagstadgade arbetsgivaravgifter 31,42 % (Skatteverket)";
    subsidised_share = 0.36, "andel", [0.0, 1.0],
        "Andel av arbetena med lönestöd", "Share of jobs that are subsidised",
        "Antagande: syntetiska modellen 0,28 / (0,50 + 0,28) (docs/synthetic-data.md); ersätts med utfallet när det finns";
    wage_subsidy_rate = 0.5, "andel av lönen", [0.0, 1.0],
        "Lönestöd som andel av lönekostnaden", "Wage subsidy as a share of the wage cost",
        "Antagande";
    study_grant_per_month_kr = 3_600.0, "kr/månad", [0.0, 50_000.0],
        "Studiebidrag per månad", "Study grant per month",
        "Antagande: studiemedlets bidragsdel i storleksordningen 3 600 kr per månad (CSN)";
    admin_cost_per_participant_kr = 10_000.0, "kr/deltagare", [0.0, 1_000_000.0],
        "Administration per deltagare", "Administration per participant",
        "Upphandlingsmyndighetens kalkylator, räkneexempel: administration 10 000 kr (BRIEF §6)";
    counterfactual_share = 0.0, "andel", [0.0, 1.0],
        "Andel som hade fått arbete ändå (kontrafaktiskt)", "Share who would have found work anyway (counterfactual)",
        "Upphandlingsmyndighetens kalkylator: kontrafaktiskt förblir personen arbetslös (BRIEF §6); jämför den matchade skattningen i rapporten";
    retention_year1 = 0.8, "andel", [0.0, 1.0],
        "Andel kvar i arbete eller studier år 1", "Share still in work or studies in year 1",
        "Antagande: medel av uppföljningarna efter 3, 6 och 12 månader (0,85, 0,80, 0,72; BRIEF §4)";
    annual_drop_off = 0.1, "andel per år", [0.0, 1.0],
        "Avtagande per år därefter", "Drop-off per year thereafter",
        "Antagande";
    discount_rate = 0.035, "per år", [0.0, 0.2],
        "Diskonteringsränta", "Discount rate",
        "ASEK: samhällsekonomisk kalkylränta ≈ 3,5 % (BRIEF §6)";
    sroi_deadweight = 0.3, "andel", [0.0, 1.0],
        "SROI: dödvikt", "SROI: deadweight",
        "Antagande: skillnaden mellan tidigare och nuvarande andel till arbete eller studier i samma storleksordning (BRIEF §4: 35–47 %)";
    sroi_attribution = 0.2, "andel", [0.0, 1.0],
        "SROI: andel som tillskrivs andra aktörer", "SROI: share attributed to others",
        "Antagande";
    sroi_displacement = 0.1, "andel", [0.0, 1.0],
        "SROI: undanträngning", "SROI: displacement",
        "Antagande (Upphandlingsmyndighetens kalkylator räknar inte med undanträngning, BRIEF §6)";
    sroi_years = 5.0, "år", [1.0, 10.0],
        "SROI: effektens längd", "SROI: duration of the effect",
        "Antagande: NyttoSam redovisar lönsamhet efter 1 och 5 år (BRIEF §6)";
}

impl ParameterSet {
    /// Refuses impossible values, naming the parameter.
    pub fn validate(&self) -> Result<(), RuleViolation> {
        for spec in SPECS {
            let v = self.get(spec.key).expect("every spec is a field");
            if !v.is_finite() || v < spec.min || v > spec.max {
                return Err(RuleViolation::new(
                    spec.key,
                    format!(
                        "{} måste vara mellan {} och {} ({}).",
                        spec.name_sv,
                        fmt_num(spec.min),
                        fmt_num(spec.max),
                        spec.unit
                    ),
                    format!(
                        "{} must be between {} and {} ({}).",
                        spec.name_en,
                        fmt_num(spec.min),
                        fmt_num(spec.max),
                        spec.unit
                    ),
                ));
            }
        }
        if self.sroi_deadweight + self.sroi_attribution + self.sroi_displacement > 1.0 {
            return Err(RuleViolation::new(
                "sroi_deadweight",
                "Dödvikt, tillskrivning och undanträngning kan tillsammans vara högst 1.",
                "Deadweight, attribution and displacement can together be at most 1.",
            ));
        }
        if self.sroi_years.fract() != 0.0 {
            return Err(RuleViolation::new(
                "sroi_years",
                "SROI: effektens längd anges i hela år.",
                "SROI: the duration of the effect is a whole number of years.",
            ));
        }
        Ok(())
    }
}

fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

/// What the calculation takes from the data.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Inputs {
    pub participants: u64,
    pub exits_to_work: u64,
    pub exits_to_studies: u64,
    /// Invoiced for the placements, kr.
    pub placement_cost_kr: f64,
}

/// The payers.
pub const PAYERS: [&str; 4] = ["municipality", "region", "state", "individual"];

/// Return for one payer (or the total).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PayerReturn {
    pub payer: &'static str,
    pub cost_kr: f64,
    pub benefit_1y_kr: f64,
    pub benefit_5y_kr: f64,
    pub net_1y_kr: f64,
    pub net_5y_kr: f64,
    /// Months until the discounted benefit covers the cost; None if not within 5 years
    /// (or, for a payer without cost, 0).
    pub payback_months: Option<u32>,
}

/// The socio-economic return.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SocioEconomic {
    pub inputs: Inputs,
    pub additional_work: f64,
    pub additional_studies: f64,
    pub payers: Vec<PayerReturn>,
    pub total: PayerReturn,
}

/// Yearly (undiscounted) value of one additional person-year, per payer: (work, studies).
fn yearly_values(p: &ParameterSet) -> [(f64, f64); 4] {
    let wage = p.monthly_wage_kr * 12.0;
    let support = p.income_support_per_month_kr * 12.0;
    let grant = p.study_grant_per_month_kr * 12.0;
    let subsidy =
        p.subsidised_share * p.wage_subsidy_rate * wage * (1.0 + p.employer_contribution_rate);
    [
        (support + wage * p.municipal_tax_rate, support),
        (wage * p.regional_tax_rate, 0.0),
        (wage * p.employer_contribution_rate - subsidy, -grant),
        (
            wage * (1.0 - p.municipal_tax_rate - p.regional_tax_rate) - support,
            grant - support,
        ),
    ]
}

/// Share of the additional persons still in place in year `t` (1-based).
fn persistence(p: &ParameterSet, t: u32) -> f64 {
    p.retention_year1 * (1.0 - p.annual_drop_off).powi(t as i32 - 1)
}

fn discount(p: &ParameterSet, t: u32) -> f64 {
    (1.0 + p.discount_rate).powf(-(t as f64 - 0.5))
}

/// Computes the return; insufficient without participants.
pub fn socioeconomic(inputs: Inputs, p: &ParameterSet) -> Figure<SocioEconomic> {
    if inputs.participants == 0 {
        return Figure::insufficient(
            "no_participants",
            "Inga deltagare: den samhällsekonomiska kalkylen saknar underlag.",
            "No participants: the socio-economic calculation has nothing to go on.",
        );
    }
    let add_work = inputs.exits_to_work as f64 * (1.0 - p.counterfactual_share);
    let add_studies = inputs.exits_to_studies as f64 * (1.0 - p.counterfactual_share);
    let values = yearly_values(p);
    let municipal_cost =
        inputs.placement_cost_kr + p.admin_cost_per_participant_kr * inputs.participants as f64;
    let costs = [municipal_cost, 0.0, 0.0, 0.0];
    let per_year = |payer: usize, t: u32| -> f64 {
        let (w, s) = values[payer];
        (add_work * w + add_studies * s) * persistence(p, t) * discount(p, t)
    };
    let payback = |yearly: &dyn Fn(u32) -> f64, cost: f64| -> Option<u32> {
        if cost <= 0.0 {
            return Some(0);
        }
        let mut cum = 0.0;
        for t in 1..=5u32 {
            let y = yearly(t);
            for m in 1..=12u32 {
                cum += y / 12.0;
                if cum >= cost {
                    return Some((t - 1) * 12 + m);
                }
            }
        }
        None
    };
    let mut payers = Vec::new();
    for (k, &name) in PAYERS.iter().enumerate() {
        let b1 = per_year(k, 1);
        let b5: f64 = (1..=5).map(|t| per_year(k, t)).sum();
        payers.push(PayerReturn {
            payer: name,
            cost_kr: costs[k],
            benefit_1y_kr: b1,
            benefit_5y_kr: b5,
            net_1y_kr: b1 - costs[k],
            net_5y_kr: b5 - costs[k],
            payback_months: payback(&|t| per_year(k, t), costs[k]),
        });
    }
    let total_year = |t: u32| (0..4).map(|k| per_year(k, t)).sum::<f64>();
    let cost: f64 = costs.iter().sum();
    let b1 = total_year(1);
    let b5: f64 = (1..=5).map(total_year).sum();
    let total = PayerReturn {
        payer: "total",
        cost_kr: cost,
        benefit_1y_kr: b1,
        benefit_5y_kr: b5,
        net_1y_kr: b1 - cost,
        net_5y_kr: b5 - cost,
        payback_months: payback(&total_year, cost),
    };
    Figure::Value(SocioEconomic {
        inputs,
        additional_work: add_work,
        additional_studies: add_studies,
        payers,
        total,
    })
}

/// One row of the sensitivity table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SensitivityRow {
    pub parameter: &'static str,
    pub value: f64,
    pub total_net_1y_kr: f64,
    pub total_net_5y_kr: f64,
    pub municipality_net_5y_kr: f64,
    pub payback_months: Option<u32>,
    pub sroi_ratio: Option<f64>,
}

/// Varies one parameter at a time around `p`.
pub fn sensitivity(inputs: Inputs, p: &ParameterSet) -> Vec<SensitivityRow> {
    let variations: [(&'static str, Vec<f64>); 6] = [
        ("counterfactual_share", vec![0.0, 0.25, 0.5]),
        (
            "monthly_wage_kr",
            vec![p.monthly_wage_kr * 0.8, p.monthly_wage_kr * 1.2],
        ),
        (
            "retention_year1",
            vec![
                (p.retention_year1 - 0.2).max(0.0),
                (p.retention_year1 + 0.1).min(1.0),
            ],
        ),
        ("annual_drop_off", vec![0.0, 0.3]),
        ("discount_rate", vec![0.0, 0.07]),
        (
            "income_support_per_month_kr",
            vec![
                p.income_support_per_month_kr * 0.8,
                p.income_support_per_month_kr * 1.2,
            ],
        ),
    ];
    let mut rows = Vec::new();
    for (key, values) in variations {
        for v in values {
            let mut q = p.clone();
            q.set(key, v);
            if let Figure::Value(r) = socioeconomic(inputs, &q) {
                rows.push(SensitivityRow {
                    parameter: key,
                    value: v,
                    total_net_1y_kr: r.total.net_1y_kr,
                    total_net_5y_kr: r.total.net_5y_kr,
                    municipality_net_5y_kr: r.payers[0].net_5y_kr,
                    payback_months: r.total.payback_months,
                    sroi_ratio: crate::sroi::sroi(inputs, &q).value().map(|s| s.ratio),
                });
            }
        }
    }
    rows
}

/// The yearly value per additional person-year per payer (work, studies), for the
/// report's value map.
pub fn value_per_person_year(p: &ParameterSet) -> Vec<(&'static str, f64, f64)> {
    yearly_values(p)
        .iter()
        .zip(PAYERS)
        .map(|(&(w, s), name)| (name, w, s))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs() -> Inputs {
        Inputs {
            participants: 100,
            exits_to_work: 30,
            exits_to_studies: 10,
            placement_cost_kr: 3_000_000.0,
        }
    }

    #[test]
    fn default_set_is_valid_and_every_spec_has_a_source() {
        ParameterSet::default().validate().unwrap();
        assert!(SPECS.iter().all(|s| !s.source.is_empty()));
        assert_eq!(SPECS.len(), 17);
    }

    #[test]
    fn impossible_values_are_refused_by_field() {
        let mut p = ParameterSet::default();
        p.discount_rate = -0.01;
        assert_eq!(p.validate().unwrap_err().field, "discount_rate");
        let mut p = ParameterSet::default();
        p.counterfactual_share = f64::NAN;
        assert_eq!(p.validate().unwrap_err().field, "counterfactual_share");
        let mut p = ParameterSet::default();
        p.sroi_deadweight = 0.6;
        p.sroi_attribution = 0.6;
        assert_eq!(p.validate().unwrap_err().field, "sroi_deadweight");
    }

    #[test]
    fn payer_values_add_up_and_payback_is_consistent() {
        let p = ParameterSet::default();
        let r = socioeconomic(inputs(), &p).value().cloned().unwrap();
        let sum5: f64 = r.payers.iter().map(|x| x.benefit_5y_kr).sum();
        assert!((sum5 - r.total.benefit_5y_kr).abs() < 1e-6);
        // Municipality, year 1: 30 work × 0.8 × (162 000 + 246 000 × 0.21) / 1.035^0.5.
        let expect = 30.0 * 0.8 * (162_000.0 + 246_000.0 * 0.21) / 1.035f64.sqrt()
            + 10.0 * 0.8 * 162_000.0 / 1.035f64.sqrt();
        assert!((r.payers[0].benefit_1y_kr - expect).abs() < 1e-6);
        assert_eq!(r.payers[0].cost_kr, 3_000_000.0 + 100.0 * 10_000.0);
        if let Some(m) = r.total.payback_months {
            assert!(m >= 1 && m <= 60);
        }
        // Everyone would have found work anyway: no benefit, never paid back.
        let mut q = p.clone();
        q.counterfactual_share = 1.0;
        let r = socioeconomic(inputs(), &q).value().cloned().unwrap();
        assert_eq!(r.total.benefit_5y_kr, 0.0);
        assert_eq!(r.total.payback_months, None);
    }

    #[test]
    fn no_participants_is_explained() {
        let mut i = inputs();
        i.participants = 0;
        assert!(socioeconomic(i, &ParameterSet::default())
            .reason()
            .is_some());
        assert!(sensitivity(i, &ParameterSet::default()).is_empty());
    }
}
