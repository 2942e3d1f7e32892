//! Every figure at once: the periods before and after the reform (placements arranged
//! the old way vs under a procurement round), by supplier and by type, time to work,
//! unmet needs, socio-economic return, sensitivity and SROI.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::costs::{costs, CostFigures};
use crate::data::{date, EffectsData};
use crate::outcomes::{outcomes, OutcomeFigures};
use crate::socioeconomic::{
    sensitivity, socioeconomic, Inputs, ParameterSet, SensitivityRow, SocioEconomic,
};
use crate::sroi::{sroi, Sroi};
use crate::stability::{stability, StabilityFigures};
use crate::survival::{kaplan_meier, log_rank, KmCurve, LogRank};
use crate::variety::{unmet_needs, variety, UnmetNeeds, VarietyFigures};
use crate::Figure;

/// What to compute.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Evaluate this round (index into `data.rounds`) as "after"; None: every round.
    pub round: Option<u32>,
    pub parameters: ParameterSet,
}

/// Figures for one period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodFigures {
    /// `before` (old way) or `after` (under a procurement round).
    pub key: &'static str,
    pub outcomes: OutcomeFigures,
    pub costs: CostFigures,
    pub variety: VarietyFigures,
    pub stability: StabilityFigures,
    pub unmet_needs: UnmetNeeds,
}

/// Outcomes and costs of one supplier or type (after period).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupFigures {
    pub key: String,
    pub name: String,
    pub outcomes: OutcomeFigures,
    pub costs: CostFigures,
}

/// Time to work, before vs after.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimeToWork {
    pub before: Figure<KmCurve>,
    pub after: Figure<KmCurve>,
    pub log_rank: Figure<LogRank>,
}

/// Everything.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub as_of: String,
    pub round: Option<String>,
    pub municipalities: usize,
    pub registered: u64,
    pub placements: u64,
    pub periods: Vec<PeriodFigures>,
    pub by_supplier: Vec<GroupFigures>,
    pub by_type: Vec<GroupFigures>,
    pub time_to_work: TimeToWork,
    pub parameters: ParameterSet,
    pub socioeconomic: Figure<SocioEconomic>,
    pub sensitivity: Vec<SensitivityRow>,
    pub sroi: Figure<Sroi>,
}

impl Summary {
    /// The period with `key`.
    pub fn period(&self, key: &str) -> Option<&PeriodFigures> {
        self.periods.iter().find(|p| p.key == key)
    }
}

/// Computes every figure.
pub fn compute(data: &EffectsData, options: &Options) -> Summary {
    let pl = &data.placements;
    let is_after = |r: Option<u32>| match (options.round, r) {
        (Some(want), Some(r)) => want == r,
        (None, Some(_)) => true,
        _ => false,
    };
    let mut before = Vec::new();
    let mut after = Vec::new();
    for i in 0..pl.len() {
        if pl.round[i].is_none() {
            before.push(i as u32);
        } else if is_after(pl.round[i]) {
            after.push(i as u32);
        }
    }
    let (mut ag_before, mut ag_after) = (Vec::new(), Vec::new());
    for a in 0..data.agreements.len() {
        if data.agreements.round[a].is_none() {
            ag_before.push(a as u32);
        } else if is_after(data.agreements.round[a]) {
            ag_after.push(a as u32);
        }
    }
    // The reform starts when the evaluated round's agreements start.
    let reform_start = match options.round {
        Some(r) => Some(data.rounds.contract_start[r as usize]),
        None => ag_after
            .iter()
            .map(|&a| data.agreements.start[a as usize])
            .min(),
    };
    let np = data.participants.len();
    let mut placed_before = vec![false; np];
    let mut placed_after = vec![false; np];
    for &i in &before {
        placed_before[pl.participant[i as usize] as usize] = true;
    }
    for &i in &after {
        placed_after[pl.participant[i as usize] as usize] = true;
    }
    let (mut reg_before, mut reg_after) = (Vec::new(), Vec::new());
    for p in 0..np {
        match (data.participants.registered_on[p], reform_start) {
            (Some(d), Some(s)) if d >= s => reg_after.push(p as u32),
            (Some(_), _) => reg_before.push(p as u32),
            (None, _) => {}
        }
    }
    let period = |key, idx: &[u32], ags: &[u32], people: &[u32], placed: &[bool]| PeriodFigures {
        key,
        outcomes: outcomes(data, idx),
        costs: costs(data, idx),
        variety: variety(data, idx, ags),
        stability: stability(data, ags),
        unmet_needs: unmet_needs(data, people, placed),
    };
    let periods = vec![
        period("before", &before, &ag_before, &reg_before, &placed_before),
        period("after", &after, &ag_after, &reg_after, &placed_after),
    ];

    let focus: &[u32] = if after.is_empty() { &before } else { &after };
    let group_by = |key_of: &dyn Fn(usize) -> u32, name_of: &dyn Fn(u32) -> (String, String)| {
        let mut groups: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
        for &i in focus {
            groups.entry(key_of(i as usize)).or_default().push(i);
        }
        let mut out: Vec<GroupFigures> = groups
            .into_iter()
            .map(|(k, idx)| {
                let (key, name) = name_of(k);
                GroupFigures {
                    key,
                    name,
                    outcomes: outcomes(data, &idx),
                    costs: costs(data, &idx),
                }
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name).then(a.key.cmp(&b.key)));
        out
    };
    let by_supplier = group_by(&|i| pl.supplier[i], &|s| {
        (
            data.suppliers.ext_id[s as usize].to_string(),
            data.suppliers.name[s as usize].clone(),
        )
    });
    // Types pool across municipalities by code.
    let mut code_index: BTreeMap<&str, u32> = BTreeMap::new();
    for t in 0..data.placement_types.len() {
        code_index
            .entry(data.placement_types.code[t].as_str())
            .or_insert(t as u32);
    }
    let by_type = group_by(
        &|i| code_index[data.placement_types.code[pl.placement_type[i] as usize].as_str()],
        &|t| {
            (
                data.placement_types.code[t as usize].clone(),
                data.placement_types.name_sv[t as usize].clone(),
            )
        },
    );

    let km = |idx: &[u32]| {
        let t: Vec<i32> = idx.iter().map(|&i| pl.days_to_work[i as usize]).collect();
        let e: Vec<bool> = idx.iter().map(|&i| !pl.work_censored[i as usize]).collect();
        kaplan_meier(&t, &e)
    };
    let mut t = Vec::with_capacity(before.len() + after.len());
    let mut e = Vec::with_capacity(t.capacity());
    let mut g = Vec::with_capacity(t.capacity());
    for (k, idx) in [&before, &after].into_iter().enumerate() {
        for &i in idx {
            t.push(pl.days_to_work[i as usize]);
            e.push(!pl.work_censored[i as usize]);
            g.push(k as u32);
        }
    }
    let time_to_work = TimeToWork {
        before: km(&before),
        after: km(&after),
        log_rank: log_rank(&t, &e, &g, 2),
    };

    let after_fig = &periods[1];
    let inputs = Inputs {
        participants: after_fig.outcomes.participants,
        exits_to_work: after_fig
            .outcomes
            .work
            .value()
            .map(|p| p.successes)
            .unwrap_or(0),
        exits_to_studies: after_fig
            .outcomes
            .studies
            .value()
            .map(|p| p.successes)
            .unwrap_or(0),
        placement_cost_kr: after_fig.costs.total_kr,
    };
    let params = &options.parameters;
    Summary {
        as_of: date(data.as_of).to_string(),
        round: options.round.map(|r| data.rounds.title[r as usize].clone()),
        municipalities: data.tenants.ext_id.len(),
        registered: np as u64,
        placements: pl.len() as u64,
        by_supplier,
        by_type,
        time_to_work,
        parameters: params.clone(),
        socioeconomic: socioeconomic(inputs, params),
        sensitivity: sensitivity(inputs, params),
        sroi: sroi(inputs, params),
        periods,
    }
}

/// Every figure and the matched estimate, computed side by side on two threads: they
/// read the same data and share nothing else, and the estimate (logistic regression and
/// matching) takes about as long as all the other figures together. The results are the
/// same as from [`compute`] and [`crate::counterfactual::estimate`] called one after
/// the other.
pub fn compute_with_estimate(
    data: &EffectsData,
    options: &Options,
    counterfactual: &crate::counterfactual::Options,
) -> (
    Summary,
    Result<crate::counterfactual::Estimate, crate::counterfactual::Insufficient>,
) {
    std::thread::scope(|s| {
        let estimate = s.spawn(|| crate::counterfactual::estimate(data, counterfactual));
        let summary = compute(data, options);
        match estimate.join() {
            Ok(e) => (summary, e),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}
