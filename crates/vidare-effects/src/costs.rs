//! Costs: what was paid (invoice lines, credit notes subtracted) for a group of
//! placements — in total, per participant, per placement-month (attendance months
//! reported) and per exit to work or studies (national indicator).

use serde::Serialize;

use crate::data::EffectsData;
use crate::Figure;

/// Cost figures for one group of placements. Money in kronor (f64; öre / 100).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostFigures {
    pub total_kr: f64,
    pub participants: u64,
    pub placement_months: u64,
    pub exits_to_work_or_studies: u64,
    pub per_participant_kr: Figure<f64>,
    pub per_placement_month_kr: Figure<f64>,
    pub per_exit_to_work_or_studies_kr: Figure<f64>,
}

/// Costs over the placements `idx`.
pub fn costs(data: &EffectsData, idx: &[u32]) -> CostFigures {
    let pl = &data.placements;
    let mut total: i64 = 0;
    let mut months: u64 = 0;
    let mut exits: u64 = 0;
    let mut people: Vec<u32> = Vec::with_capacity(idx.len());
    for &i in idx {
        let i = i as usize;
        total += pl.paid_ore[i];
        months += pl.attendance_months[i] as u64;
        exits += pl.exited_to_work_or_studies(i) as u64;
        people.push(pl.participant[i]);
    }
    people.sort_unstable();
    people.dedup();
    let total_kr = total as f64 / 100.0;
    let per = |n: u64, code: &'static str, sv: &str, en: &str| {
        if n == 0 {
            Figure::insufficient(code, sv, en)
        } else {
            Figure::Value(total_kr / n as f64)
        }
    };
    CostFigures {
        total_kr,
        participants: people.len() as u64,
        placement_months: months,
        exits_to_work_or_studies: exits,
        per_participant_kr: per(
            people.len() as u64,
            "no_participants",
            "Inga deltagare i gruppen.",
            "No participants in the group.",
        ),
        per_placement_month_kr: per(
            months,
            "no_attendance",
            "Ingen närvaro rapporterad i gruppen.",
            "No attendance reported in the group.",
        ),
        per_exit_to_work_or_studies_kr: per(
            exits,
            "no_exits_to_work",
            "Ingen i gruppen har gått till arbete eller studier ännu: kostnaden per utfall kan inte beräknas.",
            "Nobody in the group has moved on to work or studies yet: the cost per outcome cannot be computed.",
        ),
    }
}
