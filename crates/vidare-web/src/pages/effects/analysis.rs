//! One run of the effect measurement: load the data, compute every figure and the
//! counterfactual estimate with the tenant's current parameter set. Shared by the pages,
//! the API, `vidare effects` and `vidare report`.

use chrono::Utc;
use serde::Serialize;
use vidare_domain::ids::TenantId;
use vidare_domain::Lang;
use vidare_effects::counterfactual::{self, Estimate, Insufficient};
use vidare_effects::summary::{self, Summary};
use vidare_effects::EffectsData;
use vidare_store::repo::effects::StoredParameterSet;
use vidare_store::{Store, StoreError};

use super::report::{render, ReportInput};

/// What went wrong.
#[derive(Debug)]
pub enum AnalysisError {
    Store(StoreError),
    /// No round with that id (in the tenant).
    UnknownRound(i64),
}

impl From<StoreError> for AnalysisError {
    fn from(e: StoreError) -> Self {
        AnalysisError::Store(e)
    }
}

impl AnalysisError {
    /// Swedish and English explanation.
    pub fn messages(&self) -> (String, String) {
        match self {
            AnalysisError::Store(e) => (
                vidare_domain::Localized::message(e, Lang::Sv),
                vidare_domain::Localized::message(e, Lang::En),
            ),
            AnalysisError::UnknownRound(id) => (
                format!("Det finns ingen upphandlingsomgång med id {id}."),
                format!("There is no procurement round with id {id}."),
            ),
        }
    }
}

/// Everything computed.
pub struct Analysis {
    pub municipality: String,
    pub synthetic: bool,
    pub round_id: Option<i64>,
    pub parameter_set: StoredParameterSet,
    /// Rounds with placements: (id, title).
    pub rounds: Vec<(i64, String)>,
    pub summary: Summary,
    pub counterfactual: Result<Estimate, Insufficient>,
    /// Milliseconds spent loading and computing.
    pub load_ms: u128,
    pub compute_ms: u128,
}

/// The JSON `vidare effects --json` prints and the API returns.
#[derive(Serialize)]
pub struct AnalysisJson<'a> {
    pub municipality: &'a str,
    pub synthetic: bool,
    pub round_id: Option<i64>,
    pub parameter_set: ParameterSetJson<'a>,
    pub figures: &'a Summary,
    pub counterfactual: CounterfactualJson<'a>,
}

/// The parameter set used.
#[derive(Serialize)]
pub struct ParameterSetJson<'a> {
    pub id: Option<i64>,
    pub name: &'a str,
    pub version: i64,
}

/// The counterfactual estimate, or why there is none.
#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CounterfactualJson<'a> {
    Estimate(&'a Estimate),
    Insufficient { reason: &'a Insufficient },
}

impl Analysis {
    /// The JSON form.
    pub fn json(&self) -> AnalysisJson<'_> {
        AnalysisJson {
            municipality: &self.municipality,
            synthetic: self.synthetic,
            round_id: self.round_id,
            parameter_set: ParameterSetJson {
                id: self.parameter_set.id,
                name: &self.parameter_set.name,
                version: self.parameter_set.version,
            },
            figures: &self.summary,
            counterfactual: match &self.counterfactual {
                Ok(e) => CounterfactualJson::Estimate(e),
                Err(r) => CounterfactualJson::Insufficient { reason: r },
            },
        }
    }

    /// The final report as HTML.
    pub fn report_html(&self, lang: Lang) -> String {
        let set = &self.parameter_set;
        let label = format!("{} v{}", set.name, set.version);
        let sources = |k: &str| set.sources.get(k).cloned().unwrap_or_default();
        render(
            lang,
            &ReportInput {
                municipality: &self.municipality,
                summary: &self.summary,
                counterfactual: &self.counterfactual,
                parameter_set: &label,
                sources: &sources,
                generated_on: &Utc::now().date_naive().to_string(),
                synthetic: self.synthetic,
            },
        )
    }
}

/// Computes on already loaded data.
pub fn compute(
    data: &EffectsData,
    round_id: Option<i64>,
    parameter_set: StoredParameterSet,
    municipality: String,
    synthetic: bool,
) -> Result<Analysis, AnalysisError> {
    let started = std::time::Instant::now();
    let round = match round_id {
        Some(id) => Some(
            data.rounds
                .ext_id
                .iter()
                .position(|&r| r == id)
                .ok_or(AnalysisError::UnknownRound(id))? as u32,
        ),
        None => None,
    };
    let (summary, counterfactual) = summary::compute_with_estimate(
        data,
        &summary::Options {
            round,
            parameters: parameter_set.parameters.clone(),
        },
        &counterfactual::Options {
            round,
            ..Default::default()
        },
    );
    let mut used = vec![false; data.rounds.len()];
    for r in data.placements.round.iter().flatten() {
        used[*r as usize] = true;
    }
    let rounds = (0..data.rounds.len())
        .filter(|&r| used[r])
        .map(|r| (data.rounds.ext_id[r], data.rounds.title[r].clone()))
        .collect();
    Ok(Analysis {
        municipality,
        synthetic,
        round_id,
        parameter_set,
        rounds,
        summary,
        counterfactual,
        load_ms: 0,
        compute_ms: started.elapsed().as_millis(),
    })
}

/// Loads and computes for one tenant (or every tenant when `tenant` and `round_id` are
/// None), for a round or all rounds.
pub async fn analyse(
    store: &Store,
    tenant: Option<TenantId>,
    round_id: Option<i64>,
) -> Result<Analysis, AnalysisError> {
    let tenant = match (tenant, round_id) {
        (Some(t), Some(r)) => {
            if store.round_tenant(vidare_domain::ids::RoundId(r)).await? != Some(t) {
                return Err(AnalysisError::UnknownRound(r));
            }
            Some(t)
        }
        (None, Some(r)) => Some(
            store
                .round_tenant(vidare_domain::ids::RoundId(r))
                .await?
                .ok_or(AnalysisError::UnknownRound(r))?,
        ),
        (t, None) => t,
    };
    let started = std::time::Instant::now();
    let data = store.effects_data(tenant).await?;
    let load_ms = started.elapsed().as_millis();
    let (name, synthetic, set) = match tenant {
        Some(t) => {
            let scoped = store.tenant(t);
            let info = store.get_tenant(t).await?;
            (
                info.name.to_string(),
                info.synthetic,
                scoped.current_parameter_set().await?,
            )
        }
        None => {
            let tenants = store.list_tenants().await?;
            let synthetic = !tenants.is_empty() && tenants.iter().all(|t| t.synthetic);
            (
                format!("{} kommuner / municipalities", tenants.len()),
                synthetic,
                StoredParameterSet::builtin(),
            )
        }
    };
    // Seconds of computation at national scale: off the async workers, so the server
    // keeps answering other requests meanwhile.
    let mut a = tokio::task::spawn_blocking(move || compute(&data, round_id, set, name, synthetic))
        .await
        .unwrap_or_else(|e| match e.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(e) => panic!("the effect computation stopped: {e}"),
        })?;
    a.load_ms = load_ms;
    Ok(a)
}
