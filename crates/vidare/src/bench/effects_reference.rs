//! The Python reference of `vidare bench effects`: the same analysis written the way a
//! researcher would (`bench/python/effects_reference.py`: pandas, statsmodels,
//! scikit-learn, lifelines), run in the same process run on the same data, timed, and
//! compared with Vidare's figures.
//!
//! The benchmark writes two CSV files into a temporary directory (removed afterwards)
//! from the data Vidare just loaded:
//!
//! - `participants.csv` — one row per registered participant with the covariates, the
//!   register outcome and the roles the estimator gives them
//!   ([`vidare_effects::counterfactual::reference`]). The research export has one row per
//!   placement and no never-placed comparison pool, so the matched comparison needs this
//!   participant-level table;
//! - `episodes.csv` — one row per placement with the research export's columns that the
//!   descriptive part reads (`procurement`, `exit_indicator`, `time_to_work_days`,
//!   `time_to_work_censored`, `followup_3m/6m/12m`, same names and codes; `procurement`
//!   is `round` or `no_round`, since the effects data do not carry the round's legal
//!   basis).
//!
//! Python: `$VIDARE_PYTHON` (default `python3`) with the packages of
//! `bench/python/requirements.txt`; the script: `$VIDARE_REFERENCE_SCRIPT`, else
//! `bench/python/effects_reference.py` under the current directory or the source tree.
//! Reading the CSV files is timed apart and not counted, as loading from the database
//! is not counted in Vidare's computation time.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use vidare_domain::model::placement::{FollowUpPoint, IndicatorCategory};
use vidare_effects::counterfactual::{self, reference, Estimate, Insufficient};
use vidare_effects::data::{date, EffectsData};

/// What the reference run measured and found.
#[derive(Debug)]
pub struct Reference {
    /// Seconds reading the CSV files (not counted).
    pub load: f64,
    /// Seconds for the matched comparison.
    pub counterfactual: f64,
    /// Seconds for exits, Kaplan–Meier, log-rank and follow-ups.
    pub descriptive: f64,
    /// The package versions, as `name version, …`.
    pub versions: String,
    /// The script's whole output.
    pub output: serde_json::Value,
}

fn script() -> PathBuf {
    if let Ok(p) = std::env::var("VIDARE_REFERENCE_SCRIPT") {
        return PathBuf::from(p);
    }
    let local = PathBuf::from("bench/python/effects_reference.py");
    if local.exists() {
        return local;
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench/python/effects_reference.py")
}

/// Writes the episodes table (the research export's columns the reference reads).
fn write_episodes<W: Write>(data: &EffectsData, out: W) -> std::io::Result<()> {
    let mut w = std::io::BufWriter::with_capacity(1 << 20, out);
    writeln!(
        w,
        "procurement,exit_indicator,time_to_work_days,time_to_work_censored,followup_3m,followup_6m,followup_12m"
    )?;
    let pl = &data.placements;
    let as_of = date(data.as_of);
    for i in 0..pl.len() {
        let indicator = pl.exit_outcome[i].map(|o| match o.indicator() {
            IndicatorCategory::Work => "work",
            IndicatorCategory::Studies => "studies",
            IndicatorCategory::Neither => "neither",
        });
        write!(
            w,
            "{},{},{},{}",
            if pl.round[i].is_some() {
                "round"
            } else {
                "no_round"
            },
            indicator.unwrap_or(""),
            pl.days_to_work[i],
            u8::from(pl.work_censored[i]),
        )?;
        for (k, point) in [
            FollowUpPoint::Months3,
            FollowUpPoint::Months6,
            FollowUpPoint::Months12,
        ]
        .into_iter()
        .enumerate()
        {
            let code = match (pl.follow_up[k][i], pl.exit_date[i]) {
                (Some(s), _) => s.as_str(),
                (None, Some(d)) if point.due_on(date(d)) <= as_of => "missing",
                _ => "not_due",
            };
            write!(w, ",{code}")?;
        }
        writeln!(w)?;
    }
    w.flush()
}

/// Writes the inputs, runs the script and reads its output.
pub fn run(data: &EffectsData, options: &counterfactual::Options) -> anyhow::Result<Reference> {
    let dir = tempfile::tempdir()?;
    let participants = dir.path().join("participants.csv");
    let episodes = dir.path().join("episodes.csv");
    reference::write_participants_csv(data, options, std::fs::File::create(&participants)?)?;
    write_episodes(data, std::fs::File::create(&episodes)?)?;
    let python = std::env::var("VIDARE_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = script();
    let out = Command::new(&python)
        .arg(&script)
        .arg("--participants")
        .arg(&participants)
        .arg("--episodes")
        .arg(&episodes)
        .output()
        .map_err(|e| anyhow::anyhow!("cannot run {python} {}: {e}", script.display()))?;
    if !out.status.success() {
        anyhow::bail!(
            "the Python reference failed ({}); install its packages with `{python} -m pip install -r bench/python/requirements.txt` or set VIDARE_PYTHON to a Python that has them:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let output: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let secs = |k: &str| output["seconds"][k].as_f64().unwrap_or(f64::NAN);
    let versions = output["versions"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k} {}", v.as_str().unwrap_or("?")))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    Ok(Reference {
        load: secs("load"),
        counterfactual: secs("counterfactual"),
        descriptive: secs("descriptive"),
        versions,
        output,
    })
}

/// Prints the reference's times beside Vidare's, the ratios, and how far the matched
/// estimates are apart.
pub fn print(
    r: &Reference,
    figures: Duration,
    counterfactual: Duration,
    both: Duration,
    estimate: &Result<Estimate, Insufficient>,
) {
    // Vidare's analysis as it runs (figures and estimate side by side); the one-thread
    // figures are shown too.
    let ours = both.as_secs_f64();
    let sequential = (figures + counterfactual).as_secs_f64();
    let theirs = r.counterfactual + r.descriptive;
    println!("python reference ({})", r.versions);
    println!("  read CSV        {:>8.3} s (not counted)", r.load);
    println!(
        "  counterfactual  {:>8.3} s  Vidare {:>8.3} s  ratio {:>6.1}×",
        r.counterfactual,
        counterfactual.as_secs_f64(),
        r.counterfactual / counterfactual.as_secs_f64()
    );
    println!(
        "  descriptive     {:>8.3} s  (exits, Kaplan–Meier, log-rank, follow-ups; Vidare's figures {:.3} s)",
        r.descriptive,
        figures.as_secs_f64()
    );
    println!(
        "  analysis        {:>8.3} s  Vidare {:>8.3} s  ratio {:>6.1}× (target ≥ 20×; one thread {:.3} s, {:.1}×)",
        theirs,
        ours,
        theirs / ours,
        sequential,
        theirs / sequential
    );
    let cf = &r.output["counterfactual"];
    if let Ok(e) = estimate {
        let main = &e.effects[0];
        let py = &cf["effects"]["y365"];
        let f = |v: &serde_json::Value| v.as_f64().unwrap_or(f64::NAN);
        println!(
            "  agreement       ATT |Δ| {:.1e}, SE |Δ| {:.1e}, log-likelihood |Δ| {:.1e}, matched {} vs {}",
            (main.att - f(&py["att"])).abs(),
            (main.std_error - f(&py["std_error"])).abs(),
            (e.propensity.model.log_likelihood - f(&cf["log_likelihood"])).abs(),
            e.matching.matched,
            cf["matched"]
        );
    }
}
