//! The participant-level table the reference analysis (`bench/python/effects_reference.py`)
//! reads: one row per registered participant, with the covariates, the register
//! outcome and the roles [`super::estimate`] gives them — so the Python analysis works
//! on exactly the data and definitions Vidare uses, and the benchmark can compare both
//! the time and the figures. Written to any `std::io::Write`; the crate itself opens no
//! files.
//!
//! Columns (CSV, comma-separated, header row, `\n`, empty = missing):
//!
//! | column | content |
//! |---|---|
//! | `tenant` | municipality index (0, 1, …) |
//! | `age_band` | `<18`, `18-24`, …, `65+` |
//! | `gender`, `education`, `swedish_level` | codes as in the database |
//! | `born_abroad`, `health_limitation`, `prior_work_experience` | 0/1 |
//! | `months_on_income_support` | whole months |
//! | `registered_on`, `register_began_on`, `register_observed_until` | `YYYY-MM-DD` |
//! | `treated` | 1 = has a placement under the round (any round when none is chosen) |
//! | `other_round` | 1 = placed under another round (left out of the comparison) |
//! | `baseline_placed` | 1 = placed the old way before the round's agreements began in the municipality |

use std::io::{self, Write};

use super::Options;
use crate::data::{date, EffectsData};

/// Per participant: (treated, other round, placed the old way before the reform).
pub fn roles(data: &EffectsData, options: &Options) -> Vec<(bool, bool, bool)> {
    let np = data.participants.len();
    let pl = &data.placements;
    let mut out = vec![(false, false, false); np];
    let mut old_way_start = vec![i32::MAX; np];
    for i in 0..pl.len() {
        let p = pl.participant[i] as usize;
        match (options.round, pl.round[i]) {
            (None, Some(_)) => out[p].0 = true,
            (Some(sel), Some(r)) if sel == r => out[p].0 = true,
            (_, Some(_)) => out[p].1 = true,
            (_, None) => old_way_start[p] = old_way_start[p].min(pl.start[i]),
        }
    }
    let nt = data.tenants.ext_id.len().max(1);
    let mut reform = vec![i32::MAX; nt];
    for r in 0..data.rounds.len() {
        if options.round.is_none_or(|sel| sel as usize == r) {
            let t = data.rounds.tenant[r] as usize;
            reform[t] = reform[t].min(data.rounds.contract_start[r]);
        }
    }
    for p in 0..np {
        let t = data.participants.tenant[p] as usize;
        out[p].2 = old_way_start[p] < reform[t];
    }
    out
}

/// Writes the table.
pub fn write_participants_csv<W: Write>(
    data: &EffectsData,
    options: &Options,
    out: W,
) -> io::Result<()> {
    let mut w = io::BufWriter::with_capacity(1 << 20, out);
    writeln!(
        w,
        "tenant,age_band,gender,born_abroad,education,months_on_income_support,health_limitation,swedish_level,prior_work_experience,registered_on,register_began_on,register_observed_until,treated,other_round,baseline_placed"
    )?;
    let p = &data.participants;
    let roles = roles(data, options);
    let day = |d: Option<i32>| d.map(|d| date(d).to_string()).unwrap_or_default();
    for (i, &(t, o, b)) in roles.iter().enumerate() {
        writeln!(
            w,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            p.tenant[i],
            p.age_band[i].label().replace('–', "-"),
            p.gender[i].as_str(),
            u8::from(p.born_abroad[i]),
            p.education[i].as_str(),
            p.months_on_income_support[i],
            u8::from(p.health_limitation[i]),
            p.swedish_level[i].as_str(),
            u8::from(p.prior_work_experience[i]),
            day(p.registered_on[i]),
            day(p.register_began_on[i]),
            day(p.register_observed_until[i]),
            u8::from(t),
            u8::from(o),
            u8::from(b),
        )?;
    }
    w.flush()
}
