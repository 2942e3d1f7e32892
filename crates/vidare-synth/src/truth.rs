//! The truth: what an evaluation of the generated data should find.
//!
//! The estimand is the average effect on the treated (ATT) of a placement under the
//! reserved round's framework agreements on the main outcome — beginning work or
//! studies within 12 months of registering — against what the same people would have
//! had without it. "Exact" means the expectation given each treated person's
//! covariates: the mean over the treated of `P(Y(1) = 1 | X) − P(Y(0) = 1 | X)`.
//! The realised sample ATT (from the drawn potential outcomes) is reported beside it,
//! with its standard error, and differs from the exact one only by chance.

use std::collections::BTreeMap;

use serde::Serialize;
use vidare_domain::model::participant::Covariates;

use crate::model::{Model, Parameter};
use crate::municipality::{timeline, Municipality, PersonTruth};
use crate::person::AgeBand;
use crate::Scale;

/// The effect in one subgroup of the treated.
#[derive(Debug, Clone, Serialize)]
pub struct SubgroupEffect {
    pub variable: &'static str,
    pub value: String,
    pub treated: u64,
    /// Exact expected ATT in the subgroup (risk difference).
    pub att: f64,
    /// Mean τ(X) on the logit scale in the subgroup.
    pub mean_tau_logit: f64,
}

/// The effect in one municipality.
#[derive(Debug, Clone, Serialize)]
pub struct MunicipalityEffect {
    pub slug: String,
    pub treated: u64,
    pub att: f64,
    /// The municipality's own level on the logit scale.
    pub level_logit: f64,
}

/// Naive comparisons an evaluator might make, and how far off they are.
#[derive(Debug, Clone, Serialize)]
pub struct Naive {
    /// Observed share with Y = 1: placed under the reserved round minus never placed
    /// (registered in the same period).
    pub treated_minus_pool_same_period: f64,
    /// Placed under the reserved round minus placed the old way.
    pub reform_placed_minus_baseline_placed: f64,
}

/// The truth file's content.
#[derive(Debug, Clone, Serialize)]
pub struct Truth {
    pub generator: &'static str,
    pub scale: &'static str,
    pub seed: u64,
    pub content_sha256: String,
    pub main_outcome: &'static str,
    pub main_outcome_definition: &'static str,
    pub treatment: &'static str,
    pub controls: &'static str,
    pub estimand: &'static str,
    pub effect_scale: &'static str,
    pub treated: u64,
    /// Exact expected ATT (risk difference).
    pub att: f64,
    pub mean_p1_treated: f64,
    pub mean_p0_treated: f64,
    pub mean_tau_logit_treated: f64,
    /// The ATT realised in this sample from the drawn potential outcomes.
    pub att_realised: f64,
    pub att_realised_standard_error: f64,
    pub naive: Naive,
    pub subgroups: Vec<SubgroupEffect>,
    pub municipalities: Vec<MunicipalityEffect>,
    pub timeline: Vec<(&'static str, String)>,
    pub parameters: Vec<Parameter>,
}

#[derive(Default, Clone, Copy)]
struct Acc {
    n: u64,
    sum_diff: f64,
    sum_tau: f64,
}

impl Acc {
    fn add(&mut self, diff: f64, tau: f64) {
        self.n += 1;
        self.sum_diff += diff;
        self.sum_tau += tau;
    }
    fn mean(&self) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            self.sum_diff / self.n as f64
        }
    }
}

#[derive(Default, Clone, Copy)]
struct Share {
    n: u64,
    yes: u64,
}

impl Share {
    fn add(&mut self, y: bool) {
        self.n += 1;
        self.yes += u64::from(y);
    }
    fn share(&self) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            self.yes as f64 / self.n as f64
        }
    }
}

/// Accumulates the truth one municipality at a time.
pub struct TruthBuilder {
    model: Model,
    scale: Scale,
    seed: u64,
    all: Acc,
    sum_p1: f64,
    sum_p0: f64,
    realised: f64,
    realised_sq: f64,
    groups: BTreeMap<(&'static str, String), Acc>,
    municipalities: Vec<MunicipalityEffect>,
    treated_obs: Share,
    pool_reform: Share,
    baseline_placed: Share,
}

/// The subgroups a person belongs to.
pub fn subgroups(p: &PersonTruth) -> [(&'static str, String); 9] {
    let c: &Covariates = &p.covariates;
    let months = c.months_on_income_support;
    [
        ("gender", c.gender.as_str().to_string()),
        ("born_abroad", c.born_abroad.to_string()),
        ("education", c.education.as_str().to_string()),
        ("health_limitation", c.health_limitation.to_string()),
        ("swedish_level", c.swedish_level.as_str().to_string()),
        ("prior_work_experience", c.prior_work_experience.to_string()),
        ("age", AgeBand::label(p.age_band).to_string()),
        (
            "months_on_income_support",
            match months {
                0..=11 => "0-11",
                12..=23 => "12-23",
                _ => "24+",
            }
            .to_string(),
        ),
        (
            "registration_year",
            chrono::Datelike::year(&p.registered_on).to_string(),
        ),
    ]
}

impl TruthBuilder {
    /// An empty truth for a run.
    pub fn new(model: &Model, scale: Scale, seed: u64) -> TruthBuilder {
        TruthBuilder {
            model: model.clone(),
            scale,
            seed,
            all: Acc::default(),
            sum_p1: 0.0,
            sum_p0: 0.0,
            realised: 0.0,
            realised_sq: 0.0,
            groups: BTreeMap::new(),
            municipalities: Vec::new(),
            treated_obs: Share::default(),
            pool_reform: Share::default(),
            baseline_placed: Share::default(),
        }
    }

    /// Adds a municipality's people.
    pub fn add(&mut self, m: &Municipality) {
        let mut local = Acc::default();
        for p in &m.people {
            if p.treated {
                let diff = p.p1 - p.p0;
                let tau =
                    crate::model::logistic_inverse(p.p1) - crate::model::logistic_inverse(p.p0);
                self.all.add(diff, tau);
                local.add(diff, tau);
                self.sum_p1 += p.p1;
                self.sum_p0 += p.p0;
                let d = f64::from(u8::from(p.y1)) - f64::from(u8::from(p.y0));
                self.realised += d;
                self.realised_sq += d * d;
                for key in subgroups(p) {
                    self.groups.entry(key).or_default().add(diff, tau);
                }
                self.treated_obs.add(p.y());
            } else if p.placed {
                self.baseline_placed.add(p.y());
            } else if p.reform_period {
                self.pool_reform.add(p.y());
            }
        }
        self.municipalities.push(MunicipalityEffect {
            slug: m.spec.slug.clone(),
            treated: local.n,
            att: local.mean(),
            level_logit: m.municipality_effect,
        });
    }

    /// The finished truth.
    pub fn finish(self, hash: &str) -> Truth {
        let n = self.all.n.max(1) as f64;
        let realised = self.realised / n;
        let var = (self.realised_sq / n - realised * realised).max(0.0);
        let mut parameters = self.model.numeric_parameters();
        parameters.sort_by_key(|p| p.name);
        Truth {
            generator: "vidare-synth v1",
            scale: self.scale.as_str(),
            seed: self.seed,
            content_sha256: hash.to_string(),
            main_outcome: "work_or_studies_within_12_months",
            main_outcome_definition: "Began work (regular labour market, at least one month, subsidised or not) or studies with study allowance within 12 months of registering with the labour-market unit, as the national indicator counts them. In the database: register_outcomes.began_on − participants.registered_on ≤ 365 days; for placed participants the placement's exit records the same event.",
            treatment: "A placement under a framework agreement of the reserved round (framework_agreements.round_id not null), started 2023-01-01 or later.",
            controls: "Participants placed the old way (2021–2022, agreements without a round) and the comparison pool (registered, never placed). Old-way placements have no effect on the main outcome in the model.",
            estimand: "Average effect on the treated (ATT): the mean over the treated of P(Y(1)=1|X) − P(Y(0)=1|X).",
            effect_scale: "Risk difference (share of 1). τ(X) acts on the logit scale; mean_tau_logit reports it there.",
            treated: self.all.n,
            att: self.all.mean(),
            mean_p1_treated: self.sum_p1 / n,
            mean_p0_treated: self.sum_p0 / n,
            mean_tau_logit_treated: self.all.sum_tau / n,
            att_realised: realised,
            att_realised_standard_error: (var / n).sqrt(),
            naive: Naive {
                treated_minus_pool_same_period: self.treated_obs.share() - self.pool_reform.share(),
                reform_placed_minus_baseline_placed: self.treated_obs.share() - self.baseline_placed.share(),
            },
            subgroups: self
                .groups
                .into_iter()
                .map(|((variable, value), a)| SubgroupEffect {
                    variable,
                    value,
                    treated: a.n,
                    att: a.mean(),
                    mean_tau_logit: if a.n == 0 { 0.0 } else { a.sum_tau / a.n as f64 },
                })
                .collect(),
            municipalities: self.municipalities,
            timeline: vec![
                ("baseline_start", timeline::BASELINE_START.to_string()),
                ("reform_start", timeline::REFORM_START.to_string()),
                ("registration_end", timeline::REGISTRATION_END.to_string()),
                ("as_of", timeline::AS_OF.to_string()),
                ("old_agreements_end", timeline::OLD_AGREEMENTS_END.to_string()),
                ("reserved_agreements_end", timeline::RESERVED_AGREEMENTS_END.to_string()),
                ("tender_deadline", timeline::TENDER_DEADLINE.to_string()),
                ("award_sent", timeline::AWARD_SENT.to_string()),
                ("next_contract_start", timeline::NEXT_CONTRACT_START.to_string()),
                ("invitations_sent", timeline::INVITATIONS_SENT.to_string()),
                ("information_meeting", timeline::MEETING_DAY.to_string()),
            ],
            parameters,
        }
    }
}
