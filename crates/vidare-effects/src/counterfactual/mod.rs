//! Counterfactual effect of a reserved-procurement placement: propensity scores,
//! nearest-neighbour matching with a caliper, the balance table and the matched
//! estimate with its confidence interval — plus the simpler comparison with the same
//! municipality's baseline period.
//!
//! # What is estimated
//!
//! The **average effect on the treated** (ATT): for the participants placed under the
//! reserved round, the difference between what happened and what would have happened to
//! the same people without such a placement.
//!
//! - **Unit**: a registered participant. **Treated**: a participant with a placement
//!   under the round ([`Options::round`]; any round when `None`). **Comparison pool**:
//!   participants with no placement under any round — never placed, or placed the old
//!   way — who registered in the same municipality within the period in which the
//!   treated registered (first to last treated registration), so that the labour market
//!   at entry is comparable. Participants placed under *another* round are left out.
//! - **Main outcome**: began work or studies by the national indicator's definition
//!   (register) within 365 days of registering ([`EffectsData::began_within_year`]).
//!   **Time to work**: the share that had begun within 180 days, and the restricted
//!   mean time to work or studies within the first 365 days (days, `min(T, 365)`;
//!   lower is better). Everyone in the analysis is observed for 365 days or has begun
//!   within them, so none of these is censored; participants without a registration
//!   date or with less than 365 days observed (and nothing begun) are left out and
//!   counted.
//! - **Propensity score**: logistic regression ([`logistic`]) of being treated on age
//!   band, gender, born abroad, education, `ln(1 + months on income support/12)` with
//!   bands 12–23 and 24+ months, health limitation, command of Swedish, prior work
//!   experience and registration year (dummy-coded; reference: the most frequent level,
//!   "no" for yes/no covariates, 0–11 months). A level held only by treated (or only by
//!   comparison) participants would make the model separate; those participants are
//!   outside common support by definition and are left out and counted first.
//! - **Matching** ([`matching`]): 1 nearest neighbour on the logit of the score,
//!   **with replacement**, ties kept, exactly within municipality
//!   ([`Options::within_municipality`]), caliper [`Options::caliper_sd`] (default 0.2)
//!   standard deviations of the logit of the score (Austin 2011). Treated without a
//!   comparison participant within the caliper are dropped and counted.
//! - **Confidence interval**: ATT ± 1.96 × the Abadie–Imbens standard error for
//!   matching with replacement (population ATT; the score treated as known). A paired
//!   bootstrap is not used: it is not valid for nearest-neighbour matching with
//!   replacement (Abadie & Imbens 2008).
//! - **Balance**: standardised mean differences of every covariate level before and
//!   after matching, with the pre-matching standard deviations in the denominator
//!   (`(x̄ₜ − x̄_c) / √((s²ₜ + s²_c)/2)`); |SMD| < 0.1 is the usual threshold.
//! - **Baseline comparison** (a): the treated's share against the share among those
//!   placed the old way before the round's agreements began, in the same municipality,
//!   weighted by the municipality's number of treated; Wald interval.

pub mod design;
pub mod linalg;
pub mod logistic;
pub mod matching;
pub mod reference;

use serde::Serialize;

use crate::data::EffectsData;
use crate::stats::normal_cdf;
use crate::{Figure, Reason};
use design::{Cat, Column};
pub use logistic::{Coefficient, FitError, LogisticFit};

/// The 97.5 % quantile of the standard normal distribution.
pub const Z975: f64 = 1.959_963_984_540_054;

/// Fewest treated and comparison participants for an estimate.
pub const MIN_GROUP: usize = 10;

/// Why there is no counterfactual estimate (code, Swedish, English).
pub type Insufficient = Reason;

/// Choices of the analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// The round whose placements are the treatment (an index into
    /// [`EffectsData::rounds`]); `None`: placements under any round.
    pub round: Option<u32>,
    /// Caliper in standard deviations of the logit of the propensity score.
    pub caliper_sd: f64,
    /// Match only within the participant's own municipality (tenant).
    pub within_municipality: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            round: None,
            caliper_sd: 0.2,
            within_municipality: true,
        }
    }
}

/// A text in Swedish and English.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Text {
    pub sv: String,
    pub en: String,
}

fn text(sv: impl Into<String>, en: impl Into<String>) -> Text {
    Text {
        sv: sv.into(),
        en: en.into(),
    }
}

/// Participants left out of the analysis, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Exclusion {
    /// `no_outcome`, `outside_registration_period`, `other_round`, `level_without_treated`,
    /// `level_without_comparison`, `caliper`, …
    pub code: &'static str,
    /// Whether these are treated participants (else comparison).
    pub treated: bool,
    pub count: u64,
    pub reason: Text,
}

/// Who is in the analysis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Population {
    /// Participants with a placement under the round.
    pub treated_total: u64,
    /// Treated in the propensity model (before the caliper).
    pub treated_analysed: u64,
    /// Comparison participants in the propensity model.
    pub comparison_analysed: u64,
    /// First and last registration day of the treated (days since 1970-01-01).
    pub treated_registered_from: i32,
    pub treated_registered_to: i32,
    pub exclusions: Vec<Exclusion>,
}

/// The share of treated and comparison participants in a band of the propensity score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OverlapBin {
    pub from: f64,
    pub to: f64,
    pub treated: u64,
    pub comparison: u64,
}

/// The propensity model and common support.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Propensity {
    pub model: LogisticFit,
    /// Distinct covariate patterns the model was fitted on (binomial rows).
    pub patterns: u64,
    /// Standard deviation of the logit of the score over all analysed participants.
    pub logit_sd: f64,
    /// Range of the score among the treated and the comparison participants.
    pub treated_range: (f64, f64),
    pub comparison_range: (f64, f64),
    /// Distribution of the score in 20 bands of width 0.05.
    pub overlap: Vec<OverlapBin>,
}

/// How the matching went.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatchingSummary {
    pub method: Text,
    pub with_replacement: bool,
    pub caliper_sd: f64,
    /// The caliper on the logit scale (`caliper_sd × logit_sd`).
    pub caliper_logit: f64,
    pub within_municipality: bool,
    pub treated: u64,
    pub matched: u64,
    /// Treated without a comparison participant within the caliper.
    pub dropped_by_caliper: u64,
    /// Distinct comparison participants used.
    pub controls_used: u64,
    /// `(Σ K)² / Σ K²`: how many equally weighted controls the matched set is worth.
    pub effective_controls: f64,
    /// The largest weight one comparison participant carries.
    pub max_control_weight: f64,
}

/// The effect on one outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Effect {
    /// `work_or_studies_365`, `work_or_studies_180`, `restricted_mean_days_to_work_365`.
    pub outcome: &'static str,
    pub label: Text,
    /// `share` (0–1; the effect is a difference in shares) or `days`.
    pub unit: &'static str,
    /// Mean among the matched treated.
    pub treated_mean: f64,
    /// Mean of their matched comparison participants: what would have happened.
    pub counterfactual_mean: f64,
    /// Average effect on the treated.
    pub att: f64,
    pub std_error: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    /// Two-sided p-value of no effect.
    pub p_value: f64,
    /// Treated minus all comparison participants, before matching (for contrast).
    pub unadjusted_difference: f64,
}

/// One covariate level of the balance table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BalanceRow {
    pub variable: &'static str,
    /// The level's code (`55-64`, `female`, `yes`, …); None for a continuous covariate.
    pub level: Option<String>,
    pub label: Text,
    pub treated_mean_before: f64,
    pub comparison_mean_before: f64,
    pub smd_before: f64,
    pub treated_mean_after: f64,
    pub comparison_mean_after: f64,
    pub smd_after: f64,
}

/// Comparison (a): the treated against the same municipalities' baseline period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BaselineComparison {
    pub outcome: &'static str,
    pub treated: u64,
    /// Participants placed the old way before the round's agreements began.
    pub baseline: u64,
    pub treated_share: f64,
    pub baseline_share: f64,
    /// Treated share minus baseline share, municipalities weighted by their treated.
    pub difference: f64,
    pub std_error: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    /// Treated left out because their municipality has no baseline placements.
    pub treated_without_baseline: u64,
    pub assumptions: Text,
}

/// One assumption the matched estimate rests on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assumption {
    pub code: &'static str,
    pub title: Text,
    pub text: Text,
}

/// The counterfactual estimate and everything needed to judge it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Estimate {
    /// The round's database id (None: every round).
    pub round_id: Option<i64>,
    pub population: Population,
    pub propensity: Propensity,
    pub matching: MatchingSummary,
    /// The main outcome first.
    pub effects: Vec<Effect>,
    pub balance: Vec<BalanceRow>,
    pub max_abs_smd_before: f64,
    pub max_abs_smd_after: f64,
    pub baseline: Figure<BaselineComparison>,
    pub method: Text,
    pub assumptions: Vec<Assumption>,
}

fn insufficient(code: &'static str, sv: impl Into<String>, en: impl Into<String>) -> Insufficient {
    Reason::new(code, sv, en)
}

/// The calendar year of a day number (days since 1970-01-01), by the civil-from-days
/// algorithm of H. Hinnant: integer arithmetic, no table.
pub fn year_of_day(day: i32) -> i32 {
    let z = i64::from(day) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2)) as i32
}

/// Per participant: their role in the analysis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Not in the analysis (no registration, another round, …).
    Out,
    Treated,
    Comparison,
}

/// The outcomes of participant `p`, when observed: (within 365 days, within 180 days,
/// min(days to work, 365)).
fn outcomes(data: &EffectsData, p: usize) -> Option<(f64, f64, f64)> {
    let within = data.began_within_year(p)?;
    let reg = data.participants.registered_on[p]?;
    let days = match data.participants.register_began_on[p] {
        Some(b) => (b - reg).clamp(0, 365),
        None => 365,
    };
    let days = if within { days } else { 365 };
    Some((
        f64::from(u8::from(within)),
        f64::from(u8::from(within && days <= 180)),
        f64::from(days),
    ))
}

/// Estimates the average effect on the treated of a placement under the round. See the
/// module documentation for the design; the result explains itself (population,
/// exclusions, model, matching, balance, assumptions).
pub fn estimate(data: &EffectsData, options: &Options) -> Result<Estimate, Insufficient> {
    if !(options.caliper_sd.is_finite() && options.caliper_sd > 0.0) {
        return Err(insufficient(
            "invalid_caliper",
            "Kalipern måste vara ett positivt tal (standardavvikelser av propensity-poängens logit).",
            "The caliper must be a positive number (standard deviations of the logit of the propensity score).",
        ));
    }
    if let Some(r) = options.round {
        if r as usize >= data.rounds.len() {
            return Err(insufficient(
                "unknown_round",
                "Upphandlingsomgången finns inte i underlaget.",
                "The procurement round is not in the data.",
            ));
        }
    }
    let pt = &data.participants;
    let np = pt.len();
    let ntenants = data.tenants.ext_id.len().max(1);
    // --- treated, other rounds, and the baseline (old-way) placements ---
    let roles = reference::roles(data, options);
    let is_treated: Vec<bool> = roles.iter().map(|r| r.0).collect();
    let other_round: Vec<bool> = roles.iter().map(|r| r.1).collect();
    let treated_total = is_treated.iter().filter(|&&t| t).count() as u64;
    if treated_total == 0 {
        return Err(insufficient(
            "no_treated",
            "Ingen deltagare har en placering inom upphandlingsomgången, så det finns ingen effekt att skatta.",
            "No participant has a placement under the procurement round, so there is no effect to estimate.",
        ));
    }

    // --- the analysis population ---
    let stratum_of = |p: usize| -> usize {
        if options.within_municipality {
            pt.tenant[p] as usize
        } else {
            0
        }
    };
    let nstrata = if options.within_municipality {
        ntenants
    } else {
        1
    };
    let mut role = vec![Role::Out; np];
    let mut ex = ExclusionCounts::default();
    let mut window = vec![(i32::MAX, i32::MIN); nstrata];
    let mut y = vec![(0.0, 0.0, 0.0); np];
    for p in 0..np {
        if !is_treated[p] {
            continue;
        }
        match (pt.registered_on[p], outcomes(data, p)) {
            (Some(reg), Some(o)) => {
                role[p] = Role::Treated;
                y[p] = o;
                let w = &mut window[stratum_of(p)];
                *w = (w.0.min(reg), w.1.max(reg));
            }
            _ => ex.treated_no_outcome += 1,
        }
    }
    for p in 0..np {
        if is_treated[p] {
            continue;
        }
        if other_round[p] {
            ex.other_round += 1;
            continue;
        }
        let (lo, hi) = window[stratum_of(p)];
        match (pt.registered_on[p], outcomes(data, p)) {
            (Some(reg), _) if reg < lo || reg > hi => ex.outside_period += 1,
            (Some(_), Some(o)) => {
                role[p] = Role::Comparison;
                y[p] = o;
            }
            _ => ex.comparison_no_outcome += 1,
        }
    }
    let (reg_from, reg_to) = window
        .iter()
        .fold((i32::MAX, i32::MIN), |a, w| (a.0.min(w.0), a.1.max(w.1)));

    // --- covariate patterns ---
    let mut years: Vec<i32> = (0..np)
        .filter(|&p| role[p] != Role::Out)
        .filter_map(|p| pt.registered_on[p].map(year_of_day))
        .collect();
    years.sort_unstable();
    years.dedup();
    if years.len() > 255 {
        return Err(insufficient(
            "too_many_years",
            "Registreringsdatumen spänner över fler än 255 år.",
            "The registration dates span more than 255 years.",
        ));
    }
    // Every candidate unit as (key << 32 | participant), sorted: runs of equal keys are
    // the distinct patterns.
    let mut sorted: Vec<u64> = Vec::with_capacity(np);
    for (p, &r) in role.iter().enumerate() {
        if r == Role::Out {
            continue;
        }
        let year = year_of_day(pt.registered_on[p].expect("checked"));
        let yi = years.binary_search(&year).expect("listed") as u8;
        sorted.push(u64::from(design::key(pt, p, yi)) << 32 | p as u64);
    }
    sorted.sort_unstable();
    let mut pattern_keys: Vec<u32> = Vec::new();
    // [treated, comparison] per pattern.
    let mut group_counts: Vec<[u64; 2]> = Vec::new();
    for &kp in &sorted {
        let k = (kp >> 32) as u32;
        if pattern_keys.last() != Some(&k) {
            pattern_keys.push(k);
            group_counts.push([0, 0]);
        }
        let g = usize::from(role[(kp & 0xffff_ffff) as usize] != Role::Treated);
        group_counts.last_mut().expect("pushed")[g] += 1;
    }

    // --- levels held only by one group are outside common support ---
    loop {
        let mut changed = false;
        for cat in Cat::ALL {
            let levels = cat.levels(years.len());
            let mut counts = vec![[0u64; 2]; levels];
            for (k, c) in pattern_keys.iter().zip(&group_counts) {
                let l = cat.level(*k) as usize;
                counts[l][0] += c[0];
                counts[l][1] += c[1];
            }
            for (l, c) in counts.iter().enumerate() {
                let as_treated = match c {
                    [t, 0] if *t > 0 => true,
                    [0, k] if *k > 0 => false,
                    _ => continue,
                };
                let g = usize::from(!as_treated);
                for (k, pc) in pattern_keys.iter().zip(group_counts.iter_mut()) {
                    if cat.level(*k) as usize == l {
                        pc[g] = 0;
                    }
                }
                let (_, sv, en) = cat.level_label(l as u8, &years);
                let (csv, cen) = cat.label();
                ex.levels.push(Exclusion {
                    code: if as_treated {
                        "level_without_comparison"
                    } else {
                        "level_without_treated"
                    },
                    treated: as_treated,
                    count: c[0] + c[1],
                    reason: if as_treated {
                        text(
                            format!(
                                "Ingen i jämförelsegruppen har {} = {sv}: utanför gemensamt stöd.",
                                csv.to_lowercase()
                            ),
                            format!(
                                "No comparison participant has {} = {en}: outside common support.",
                                cen.to_lowercase()
                            ),
                        )
                    } else {
                        text(
                            format!(
                                "Ingen behandlad har {} = {sv}: kan inte jämföras.",
                                csv.to_lowercase()
                            ),
                            format!(
                                "No treated participant has {} = {en}: cannot be compared.",
                                cen.to_lowercase()
                            ),
                        )
                    },
                });
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    // The units that remain, in pattern order, and the patterns that still hold any.
    let mut units: Vec<u32> = Vec::with_capacity(sorted.len());
    let mut pattern_of: Vec<u32> = Vec::with_capacity(sorted.len());
    let mut kept_keys: Vec<u32> = Vec::new();
    let mut trials: Vec<f64> = Vec::new();
    let mut successes: Vec<f64> = Vec::new();
    let mut pi = usize::MAX;
    let mut last_key = None;
    for &kp in &sorted {
        let k = (kp >> 32) as u32;
        let p = (kp & 0xffff_ffff) as usize;
        if last_key != Some(k) {
            last_key = Some(k);
            pi = pi.wrapping_add(1);
        }
        let c = group_counts[pi];
        let treated = role[p] == Role::Treated;
        if c[usize::from(!treated)] == 0 {
            role[p] = Role::Out;
            continue;
        }
        if kept_keys.last() != Some(&k) {
            kept_keys.push(k);
            trials.push((c[0] + c[1]) as f64);
            successes.push(c[0] as f64);
        }
        units.push(p as u32);
        pattern_of.push(kept_keys.len() as u32 - 1);
    }
    drop(sorted);
    let pattern_keys = kept_keys;
    let n_t: usize = successes.iter().sum::<f64>() as usize;
    let n_c = units.len() - n_t;
    if n_t < MIN_GROUP || n_c < MIN_GROUP {
        return Err(insufficient(
            "too_few",
            format!(
                "För få deltagare att jämföra: {n_t} behandlade och {n_c} i jämförelsegruppen med observerat utfall (minst {MIN_GROUP} i varje grupp behövs)."
            ),
            format!(
                "Too few participants to compare: {n_t} treated and {n_c} comparison participants with an observed outcome (at least {MIN_GROUP} in each group are needed)."
            ),
        ));
    }

    // --- the propensity model on distinct patterns ---
    let mut columns = vec![Column::Intercept];
    for cat in Cat::ALL {
        let levels = cat.levels(years.len());
        let mut count = vec![0.0; levels];
        for (k, m) in pattern_keys.iter().zip(&trials) {
            count[cat.level(*k) as usize] += m;
        }
        let reference = cat.fixed_reference().unwrap_or_else(|| {
            // The most frequent level (the first of equals).
            let mut best = 0;
            for l in 1..levels {
                if count[l] > count[best] {
                    best = l;
                }
            }
            best as u8
        });
        for (l, &c) in count.iter().enumerate() {
            if l as u8 != reference && c > 0.0 {
                columns.push(Column::Level(cat, l as u8));
            }
        }
        if cat == Cat::Education {
            // Time on income support enters before its bands.
            columns.push(Column::LogMonths);
        }
    }
    let names: Vec<String> = columns.iter().map(|c| c.name(&years)).collect();
    let pcols = columns.len();
    let mut x = Vec::with_capacity(pattern_keys.len() * pcols);
    for &k in &pattern_keys {
        x.extend(columns.iter().map(|c| c.value(k)));
    }
    let fit = logistic::fit(&logistic::Design {
        x: &x,
        names: &names,
        successes: &successes,
        trials: &trials,
    })
    .map_err(|e| {
        Reason::new(
            "propensity_model",
            format!("Propensity-modellen kunde inte skattas. {}", e.sv()),
            format!("The propensity model could not be fitted. {}", e.en()),
        )
    })?;
    let pattern_logit: Vec<f64> = x
        .chunks_exact(pcols)
        .map(|r| fit.linear_predictor(r))
        .collect();
    drop(x);

    // --- scores per unit, caliper ---
    let mut score = Vec::with_capacity(units.len());
    let mut treated_flag = Vec::with_capacity(units.len());
    let mut stratum = Vec::with_capacity(units.len());
    for (u, &p) in units.iter().enumerate() {
        score.push(pattern_logit[pattern_of[u] as usize]);
        treated_flag.push(role[p as usize] == Role::Treated);
        stratum.push(stratum_of(p as usize) as u32);
    }
    let nu = units.len() as f64;
    let mean = score.iter().sum::<f64>() / nu;
    let logit_sd = (score.iter().map(|s| (s - mean) * (s - mean)).sum::<f64>() / (nu - 1.0)).sqrt();
    let caliper_logit = options.caliper_sd * logit_sd;
    let m = matching::nearest_neighbour(&score, &treated_flag, &stratum, nstrata, caliper_logit);
    let counts = m.counts();
    if counts.matched == 0 {
        return Err(insufficient(
            "no_matches",
            "Ingen behandlad deltagare har någon i jämförelsegruppen inom kalipern: grupperna överlappar inte.",
            "No treated participant has a comparison participant within the caliper: the groups do not overlap.",
        ));
    }

    // --- effects ---
    let yu: Vec<[f64; 3]> = units
        .iter()
        .map(|&p| {
            let o = y[p as usize];
            [o.0, o.1, o.2]
        })
        .collect();
    let matched = m.effects(&yu).expect("matched");
    let (mut st, mut sc, mut nt, mut nc) = ([0.0; 3], [0.0; 3], 0.0, 0.0);
    for (v, &t) in yu.iter().zip(&treated_flag) {
        let (s, n) = if t {
            (&mut st, &mut nt)
        } else {
            (&mut sc, &mut nc)
        };
        *n += 1.0;
        for k in 0..3 {
            s[k] += v[k];
        }
    }
    let specs: [(&'static str, Text, &'static str); 3] = [
        (
            "work_or_studies_365",
            text(
                "Började arbeta eller studera inom 12 månader från inskrivningen",
                "Began work or studies within 12 months of registering",
            ),
            "share",
        ),
        (
            "work_or_studies_180",
            text(
                "Började arbeta eller studera inom 180 dagar från inskrivningen",
                "Began work or studies within 180 days of registering",
            ),
            "share",
        ),
        (
            "restricted_mean_days_to_work_365",
            text(
                "Genomsnittlig tid till arbete eller studier under det första året (dagar, högst 365)",
                "Restricted mean time to work or studies within the first year (days, at most 365)",
            ),
            "days",
        ),
    ];
    let mut effects = Vec::new();
    for (k, (code, label, unit)) in specs.into_iter().enumerate() {
        let e = matched[k];
        let z = if e.std_error > 0.0 {
            e.att / e.std_error
        } else {
            f64::INFINITY
        };
        effects.push(Effect {
            outcome: code,
            label,
            unit,
            treated_mean: e.treated_mean,
            counterfactual_mean: e.counterfactual_mean,
            att: e.att,
            std_error: e.std_error,
            ci_low: e.att - Z975 * e.std_error,
            ci_high: e.att + Z975 * e.std_error,
            p_value: 2.0 * (1.0 - normal_cdf(z.abs())),
            unadjusted_difference: st[k] / nt - sc[k] / nc,
        });
    }

    // --- balance, by pattern ---
    let npat = pattern_keys.len();
    // [treated before, comparison before, treated after, comparison after] weights.
    let mut w = vec![[0.0f64; 4]; npat];
    for (u, &t) in treated_flag.iter().enumerate() {
        w[pattern_of[u] as usize][if t { 0 } else { 1 }] += 1.0;
    }
    m.for_each_weighted(|u, k, t| w[pattern_of[u] as usize][if t { 2 } else { 3 }] += k);
    let balance = balance_table(&pattern_keys, &w, &years);
    let max_abs =
        |f: fn(&BalanceRow) -> f64| balance.iter().map(|b| f(b).abs()).fold(0.0, f64::max);
    let max_abs_smd_before = max_abs(|b| b.smd_before);
    let max_abs_smd_after = max_abs(|b| b.smd_after);

    // --- overlap ---
    let mut overlap: Vec<OverlapBin> = (0..20)
        .map(|b| OverlapBin {
            from: b as f64 * 0.05,
            to: (b + 1) as f64 * 0.05,
            treated: 0,
            comparison: 0,
        })
        .collect();
    let (mut tr, mut cr) = ((f64::MAX, f64::MIN), (f64::MAX, f64::MIN));
    for (u, &s) in score.iter().enumerate() {
        let ps = 1.0 / (1.0 + (-s).exp());
        let bin = ((ps * 20.0) as usize).min(19);
        let r = if treated_flag[u] {
            overlap[bin].treated += 1;
            &mut tr
        } else {
            overlap[bin].comparison += 1;
            &mut cr
        };
        *r = (r.0.min(ps), r.1.max(ps));
    }

    let mut exclusions = ex.list();
    if counts.unmatched > 0 {
        exclusions.push(Exclusion {
            code: "caliper",
            treated: true,
            count: counts.unmatched as u64,
            reason: text(
                "Ingen i jämförelsegruppen inom kalipern (utanför gemensamt stöd); ingår inte i skattningen.",
                "No comparison participant within the caliper (outside common support); not in the estimate.",
            ),
        });
    }

    Ok(Estimate {
        round_id: options.round.map(|r| data.rounds.ext_id[r as usize]),
        population: Population {
            treated_total,
            treated_analysed: n_t as u64,
            comparison_analysed: n_c as u64,
            treated_registered_from: reg_from,
            treated_registered_to: reg_to,
            exclusions,
        },
        propensity: Propensity {
            model: fit,
            patterns: npat as u64,
            logit_sd,
            treated_range: tr,
            comparison_range: cr,
            overlap,
        },
        matching: MatchingSummary {
            method: text(
                "1:1 närmaste granne på propensity-poängens logit, med återläggning (en jämförelseperson kan matchas flera gånger), lika avstånd delar matchningen, inom kommun, med kaliper.",
                "1:1 nearest neighbour on the logit of the propensity score, with replacement (a comparison participant may be matched several times), ties sharing the match, within municipality, with a caliper.",
            ),
            with_replacement: true,
            caliper_sd: options.caliper_sd,
            caliper_logit,
            within_municipality: options.within_municipality,
            treated: counts.treated as u64,
            matched: counts.matched as u64,
            dropped_by_caliper: counts.unmatched as u64,
            controls_used: counts.controls_used as u64,
            effective_controls: counts.effective_controls,
            max_control_weight: counts.max_weight,
        },
        effects,
        balance,
        max_abs_smd_before,
        max_abs_smd_after,
        baseline: baseline_comparison(data, &roles),
        method: method_text(),
        assumptions: assumptions(),
    })
}

#[derive(Default)]
struct ExclusionCounts {
    treated_no_outcome: u64,
    comparison_no_outcome: u64,
    outside_period: u64,
    other_round: u64,
    levels: Vec<Exclusion>,
}

impl ExclusionCounts {
    fn list(self) -> Vec<Exclusion> {
        let mut out = Vec::new();
        let no_outcome = |treated, count| {
            Exclusion {
            code: "no_outcome",
            treated,
            count,
            reason: text(
                "Saknar inskrivningsdatum eller registeruppgift för hela första året; utfallet är okänt.",
                "No registration date, or the register does not cover the first year; the outcome is unknown.",
            ),
        }
        };
        if self.treated_no_outcome > 0 {
            out.push(no_outcome(true, self.treated_no_outcome));
        }
        if self.comparison_no_outcome > 0 {
            out.push(no_outcome(false, self.comparison_no_outcome));
        }
        if self.outside_period > 0 {
            out.push(Exclusion {
                code: "outside_registration_period",
                treated: false,
                count: self.outside_period,
                reason: text(
                    "Skrevs in före den första eller efter den sista behandlade i kommunen.",
                    "Registered before the first or after the last treated participant in the municipality.",
                ),
            });
        }
        if self.other_round > 0 {
            out.push(Exclusion {
                code: "other_round",
                treated: false,
                count: self.other_round,
                reason: text(
                    "Placerad inom en annan upphandlingsomgång.",
                    "Placed under another procurement round.",
                ),
            });
        }
        out.extend(self.levels);
        out
    }
}

/// Standardised mean differences of every covariate level, from per-pattern weights
/// `[treated before, comparison before, treated after, comparison after]`.
fn balance_table(keys: &[u32], w: &[[f64; 4]], years: &[i32]) -> Vec<BalanceRow> {
    let row = |variable: &'static str,
               level: Option<String>,
               label: Text,
               f: &dyn Fn(u32) -> f64|
     -> BalanceRow {
        // Weighted mean and variance per group.
        let mut s = [[0.0f64; 3]; 4]; // Σw, Σwx, Σwx²
        for (k, ws) in keys.iter().zip(w) {
            let v = f(*k);
            for g in 0..4 {
                s[g][0] += ws[g];
                s[g][1] += ws[g] * v;
                s[g][2] += ws[g] * v * v;
            }
        }
        let mean = |g: usize| {
            if s[g][0] > 0.0 {
                s[g][1] / s[g][0]
            } else {
                0.0
            }
        };
        let var = |g: usize| {
            if s[g][0] > 1.0 {
                ((s[g][2] - s[g][1] * s[g][1] / s[g][0]) / (s[g][0] - 1.0)).max(0.0)
            } else {
                0.0
            }
        };
        let sd = ((var(0) + var(1)) / 2.0).sqrt();
        let smd = |a: f64, b: f64| if sd > 0.0 { (a - b) / sd } else { 0.0 };
        BalanceRow {
            variable,
            level,
            label,
            treated_mean_before: mean(0),
            comparison_mean_before: mean(1),
            smd_before: smd(mean(0), mean(1)),
            treated_mean_after: mean(2),
            comparison_mean_after: mean(3),
            smd_after: smd(mean(2), mean(3)),
        }
    };
    let mut out = Vec::new();
    for cat in Cat::ALL {
        let (vsv, ven) = cat.label();
        let levels = cat.levels(years.len());
        let present: Vec<u8> = (0..levels as u8)
            .filter(|&l| {
                keys.iter()
                    .zip(w)
                    .any(|(k, ws)| cat.level(*k) == l && ws[0] + ws[1] > 0.0)
            })
            .collect();
        let binary = matches!(cat, Cat::BornAbroad | Cat::Health | Cat::PriorWork);
        for l in present {
            if binary && l == 0 {
                continue;
            }
            let (code, sv, en) = cat.level_label(l, years);
            let label = if binary {
                text(vsv, ven)
            } else {
                text(format!("{vsv}: {sv}"), format!("{ven}: {en}"))
            };
            out.push(row(
                cat.code(),
                (!binary).then_some(code),
                label,
                &move |k| f64::from(u8::from(cat.level(k) == l)),
            ));
        }
        if cat == Cat::MonthsBand {
            out.push(row(
                "months_on_income_support",
                None,
                text("Månader med försörjningsstöd", "Months on income support"),
                &|k| f64::from(design::months(k)),
            ));
            out.push(row(
                "ln_months_on_income_support",
                None,
                text(
                    "ln(1 + månader med försörjningsstöd/12)",
                    "ln(1 + months on income support/12)",
                ),
                &design::log_months,
            ));
        }
    }
    out
}

/// Comparison (a): treated against those placed the old way before the round, in the
/// same municipality.
fn baseline_comparison(
    data: &EffectsData,
    roles: &[(bool, bool, bool)],
) -> Figure<BaselineComparison> {
    let pt = &data.participants;
    let nt = data.tenants.ext_id.len().max(1);
    // [treated n, treated yes, baseline n, baseline yes] per municipality.
    let mut c = vec![[0u64; 4]; nt];
    for (p, &(treated, other_round, baseline)) in roles.iter().enumerate() {
        let Some(y) = data.began_within_year(p) else {
            continue;
        };
        let t = pt.tenant[p] as usize;
        if treated {
            c[t][0] += 1;
            c[t][1] += u64::from(y);
        } else if !other_round && baseline {
            c[t][2] += 1;
            c[t][3] += u64::from(y);
        }
    }
    let (mut n1, mut n0, mut y1, mut y0, mut without) = (0u64, 0u64, 0u64, 0u64, 0u64);
    for x in &c {
        if x[2] == 0 {
            without += x[0];
            continue;
        }
        n1 += x[0];
        y1 += x[1];
        n0 += x[2];
        y0 += x[3];
    }
    if n1 < MIN_GROUP as u64 || n0 < MIN_GROUP as u64 {
        return Figure::insufficient(
            "too_few",
            format!("För få deltagare för jämförelsen med basperioden: {n1} behandlade och {n0} placerade före reformen i samma kommuner (minst {MIN_GROUP} i varje grupp)."),
            format!("Too few participants for the comparison with the baseline period: {n1} treated and {n0} placed before the reform in the same municipalities (at least {MIN_GROUP} in each group)."),
        );
    }
    let (mut diff, mut var) = (0.0, 0.0);
    for x in &c {
        if x[2] == 0 || x[0] == 0 {
            continue;
        }
        let wt = x[0] as f64 / n1 as f64;
        let p1 = x[1] as f64 / x[0] as f64;
        let p0 = x[3] as f64 / x[2] as f64;
        diff += wt * (p1 - p0);
        var += wt * wt * (p1 * (1.0 - p1) / x[0] as f64 + p0 * (1.0 - p0) / x[2] as f64);
    }
    if var <= 0.0 {
        return Figure::insufficient(
            "no_variation",
            "Alla i båda grupperna har samma utfall, så skillnaden saknar meningsfull osäkerhet.",
            "Everyone in both groups has the same outcome, so the difference has no meaningful uncertainty.",
        );
    }
    let se = var.sqrt();
    Figure::Value(BaselineComparison {
        outcome: "work_or_studies_365",
        treated: n1,
        baseline: n0,
        treated_share: y1 as f64 / n1 as f64,
        baseline_share: y0 as f64 / n0 as f64,
        difference: diff,
        std_error: se,
        ci_low: diff - Z975 * se,
        ci_high: diff + Z975 * se,
        treated_without_baseline: without,
        assumptions: text(
            "Jämförelsen med basperioden (deltagare placerade på det gamla sättet före reformen, i samma kommun) visar effekten bara om inget annat än upphandlingen ändrades mellan perioderna: samma slags deltagare placerades, arbetsmarknaden var lika, och utfallet mättes på samma sätt. Ändrades deltagargruppen eller konjunkturen – vilket är vanligt – blandas det in i skillnaden. Kommunerna vägs efter antalet behandlade; intervallet är ett Wald-intervall (normalapproximation).",
            "The comparison with the baseline period (participants placed the old way before the reform, in the same municipality) shows the effect only if nothing but the procurement changed between the periods: the same kind of participants were placed, the labour market was the same, and the outcome was measured the same way. If the participants or the economy changed — as they usually do — that is mixed into the difference. Municipalities are weighted by their number of treated; the interval is a Wald interval (normal approximation).",
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn year_of_day_agrees_with_chrono() {
        for d in (-800_000..800_000).step_by(7) {
            assert_eq!(
                year_of_day(d),
                chrono::Datelike::year(&crate::data::date(d)),
                "day {d}"
            );
        }
        for d in [0, 59, 60, 365, 19_357, 19_358, 20_453, 20_454] {
            assert_eq!(
                year_of_day(d),
                chrono::Datelike::year(&crate::data::date(d))
            );
        }
    }
}

fn method_text() -> Text {
    text(
        "Effekten på de behandlade (ATT) skattas genom att varje deltagare med en placering inom upphandlingen jämförs med den deltagare i samma kommun, inskriven under samma period men utan en sådan placering, som var mest lik i sannolikheten att bli placerad (propensity-poäng). Poängen skattas med logistisk regression på ålder, kön, födelseland, utbildning, tid med försörjningsstöd, hälsobegränsning, svenskkunskaper, tidigare arbetslivserfarenhet och inskrivningsår. Matchningen sker med återläggning och en kaliper på 0,2 standardavvikelser av poängens logit; behandlade utan någon tillräckligt lik jämförelseperson räknas bort och redovisas. Konfidensintervallet (95 %) bygger på Abadie och Imbens varians för matchning med återläggning. Balanstabellen visar att grupperna liknar varandra efter matchningen (standardiserade medelvärdesskillnader under 0,1 brukar anses godtagbara).",
        "The average effect on the treated (ATT) is estimated by comparing each participant with a placement under the procurement with the participant from the same municipality, registered in the same period but without such a placement, who was most alike in the probability of being placed (the propensity score). The score is estimated by logistic regression on age, gender, country of birth, education, time on income support, health limitation, command of Swedish, prior work experience and year of registration. Matching is with replacement, with a caliper of 0.2 standard deviations of the logit of the score; treated participants without a close enough comparison participant are left out and reported. The 95 % confidence interval uses Abadie and Imbens' variance for matching with replacement. The balance table shows that the groups are alike after matching (standardised mean differences below 0.1 are usually considered acceptable).",
    )
}

/// The assumptions of the matched estimate, in plain language.
pub fn assumptions() -> Vec<Assumption> {
    let a = |code, tsv: &str, ten: &str, sv: &str, en: &str| Assumption {
        code,
        title: text(tsv, ten),
        text: text(sv, en),
    };
    vec![
        a(
            "unconfoundedness",
            "Inga dolda skillnader",
            "No hidden differences",
            "Vi antar att de registrerade bakgrundsuppgifterna fångar allt som både påverkar vem som får en placering och hur det går för personen. Om handläggare väljer ut deltagare efter sådant som inte finns i registret – motivation, nätverk, hur nära arbete personen verkar vara – blir skattningen för hög eller för låg, och det kan inte kontrolleras med dessa data.",
            "We assume that the recorded characteristics capture everything that affects both who gets a placement and how things go for the person. If case workers select participants on things the register does not hold — motivation, networks, how close to work the person seems — the estimate is too high or too low, and these data cannot check it.",
        ),
        a(
            "overlap",
            "Jämförbara personer finns",
            "Comparable people exist",
            "Varje behandlad behöver någon i jämförelsegruppen med liknande sannolikhet att bli placerad (gemensamt stöd). Behandlade utan en tillräckligt lik jämförelseperson (utanför kalipern) eller med en egenskap som ingen i jämförelsegruppen har räknas bort; hur många redovisas, och skattningen gäller bara de som är kvar.",
            "Every treated participant needs someone in the comparison group with a similar probability of being placed (common support). Treated participants without a close enough comparison participant (outside the caliper), or with a characteristic no one in the comparison group has, are left out; how many is reported, and the estimate applies only to those who remain.",
        ),
        a(
            "sutva",
            "Ingen påverkan mellan personer",
            "No spill-over between people",
            "En persons utfall antas inte bero på om andra fick en placering, och en placering inom upphandlingen antas vara ungefär samma behandling oavsett leverantör och typ. Om placerade tar jobb som jämförelsepersonerna annars hade fått (undanträngning) överskattas samhällseffekten.",
            "A person's outcome is assumed not to depend on whether others were placed, and a placement under the procurement is assumed to be roughly the same treatment whatever the supplier and type. If those placed take jobs the comparison participants would otherwise have got (displacement), the effect on society is overstated.",
        ),
        a(
            "comparison_group",
            "Vad jämförelsen är",
            "What the comparison is",
            "Jämförelsegruppen är inskrivna som inte fick en placering inom upphandlingen: aldrig placerade eller placerade på det gamla sättet. Skattningen är därför effekten av en upphandlad placering jämfört med det som annars hade hänt, inte jämfört med ingen insats alls.",
            "The comparison group are registered participants who did not get a placement under the procurement: never placed, or placed the old way. The estimate is therefore the effect of a procured placement against what would otherwise have happened, not against no support at all.",
        ),
        a(
            "outcome_measurement",
            "Utfallet mäts lika",
            "The outcome is measured alike",
            "Utfallet – arbete eller studier med studiemedel inom 12 månader från inskrivningen – hämtas ur samma register för båda grupperna och räknas från inskrivningen, inte från placeringens start, så att de placerade inte får ett försprång.",
            "The outcome — work or studies with study allowance within 12 months of registering — comes from the same register for both groups and is counted from registration, not from the start of the placement, so those placed get no head start.",
        ),
        a(
            "model",
            "Modellen och osäkerheten",
            "The model and the uncertainty",
            "Propensity-poängen skattas med en logistisk regression; balanstabellen visar om matchningen lyckades. Konfidensintervallet behandlar poängen som känd och fångar slumpen i urvalet, inte fel i antagandena ovan.",
            "The propensity score is estimated by logistic regression; the balance table shows whether matching succeeded. The confidence interval treats the score as known and covers sampling chance, not errors in the assumptions above.",
        ),
    ]
}
