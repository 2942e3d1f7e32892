//! Outcomes at exit: the share of exits to work or studies by the national indicator's
//! definition (Kolada/SKR), each exit category, and employment at the 3-, 6- and
//! 12-month follow-ups — each with its 95 % Wilson interval.
//!
//! Denominators: the placements in the group that have ended with a recorded exit
//! (running placements are not yet an outcome). Follow-ups: the exits with a recorded
//! follow-up at that point, status *unknown* included (it is a recorded answer).

use serde::Serialize;
use vidare_domain::model::placement::{ExitOutcome, FollowUpStatus, IndicatorCategory};

use crate::data::EffectsData;
use crate::stats::{wilson95, Proportion};
use crate::Figure;

/// The share of one exit category.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategoryShare {
    pub outcome: &'static str,
    pub name_sv: &'static str,
    pub name_en: &'static str,
    pub counts_for_indicator: bool,
    pub share: Figure<Proportion>,
}

/// Situation at one follow-up point.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FollowUpShare {
    pub months: u32,
    /// Follow-ups recorded at this point.
    pub recorded: u64,
    /// Employed, with or without subsidy.
    pub employed: Figure<Proportion>,
    /// Employed or studying.
    pub work_or_studies: Figure<Proportion>,
}

/// Outcome figures for one group of placements.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutcomeFigures {
    pub placements: u64,
    pub participants: u64,
    pub exits: u64,
    pub running: u64,
    /// The national indicator: share of exits to work or studies.
    pub work_or_studies: Figure<Proportion>,
    pub work: Figure<Proportion>,
    pub studies: Figure<Proportion>,
    pub categories: Vec<CategoryShare>,
    pub follow_up: Vec<FollowUpShare>,
}

/// Computes the outcome figures over the placements `idx`.
pub fn outcomes(data: &EffectsData, idx: &[u32]) -> OutcomeFigures {
    let pl = &data.placements;
    let mut counts = [0u64; 12];
    let (mut exits, mut work, mut studies) = (0u64, 0u64, 0u64);
    let mut fu_recorded = [0u64; 3];
    let mut fu_employed = [0u64; 3];
    let mut fu_active = [0u64; 3];
    let mut people: Vec<u32> = Vec::with_capacity(idx.len());
    for &i in idx {
        let i = i as usize;
        people.push(pl.participant[i]);
        let Some(o) = pl.exit_outcome[i] else {
            continue;
        };
        exits += 1;
        let pos = ExitOutcome::ALL
            .iter()
            .position(|&x| x == o)
            .expect("listed");
        counts[pos] += 1;
        match o.indicator() {
            IndicatorCategory::Work => work += 1,
            IndicatorCategory::Studies => studies += 1,
            IndicatorCategory::Neither => {}
        }
        for k in 0..3 {
            if let Some(st) = pl.follow_up[k][i] {
                fu_recorded[k] += 1;
                if st.is_employed() {
                    fu_employed[k] += 1;
                }
                if st.is_employed() || st == FollowUpStatus::Studying {
                    fu_active[k] += 1;
                }
            }
        }
    }
    people.sort_unstable();
    people.dedup();
    let categories = ExitOutcome::ALL
        .iter()
        .enumerate()
        .map(|(pos, &o)| CategoryShare {
            outcome: o.as_str(),
            name_sv: o.name_sv(),
            name_en: o.name_en(),
            counts_for_indicator: o.counts_as_work_or_studies(),
            share: no_exits(exits).unwrap_or_else(|| wilson95(counts[pos], exits)),
        })
        .collect();
    let follow_up = [3u32, 6, 12]
        .iter()
        .enumerate()
        .map(|(k, &months)| FollowUpShare {
            months,
            recorded: fu_recorded[k],
            employed: no_follow_ups(fu_recorded[k], months)
                .unwrap_or_else(|| wilson95(fu_employed[k], fu_recorded[k])),
            work_or_studies: no_follow_ups(fu_recorded[k], months)
                .unwrap_or_else(|| wilson95(fu_active[k], fu_recorded[k])),
        })
        .collect();
    OutcomeFigures {
        placements: idx.len() as u64,
        participants: people.len() as u64,
        exits,
        running: idx.len() as u64 - exits,
        work_or_studies: no_exits(exits).unwrap_or_else(|| wilson95(work + studies, exits)),
        work: no_exits(exits).unwrap_or_else(|| wilson95(work, exits)),
        studies: no_exits(exits).unwrap_or_else(|| wilson95(studies, exits)),
        categories,
        follow_up,
    }
}

fn no_exits(exits: u64) -> Option<Figure<Proportion>> {
    (exits == 0).then(|| {
        Figure::insufficient(
            "no_exits",
            "Inga avslutade placeringar i gruppen ännu: andelen kan inte beräknas.",
            "No placements in the group have ended yet: the share cannot be computed.",
        )
    })
}

fn no_follow_ups(recorded: u64, months: u32) -> Option<Figure<Proportion>> {
    (recorded == 0).then(|| {
        Figure::insufficient(
            "no_follow_ups",
            format!("Inga uppföljningar efter {months} månader är registrerade i gruppen."),
            format!("No {months}-month follow-ups are recorded in the group."),
        )
    })
}
