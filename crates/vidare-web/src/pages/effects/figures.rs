//! The dashboards' figures: a compact, owned summary of an [`Analysis`] that is cached
//! per tenant and scope in `effects_cache` (JSON), so a dashboard answers from one small
//! read instead of recomputing. Cached figures are *current* while they are younger than
//! [`MAX_AGE_MINUTES`] and the tenant's data position has not moved since (any recorded
//! change of data — a new parameter set, a placement, an exit — makes them stale; a
//! sign-in or another change of accounts does not).
//!
//! Stale figures are still shown at once, marked as being updated, while one background
//! task per tenant and scope computes the new ones (for the largest synthetic
//! municipality of the national data, 85,000 participants, that takes about half a
//! second; the cached page answers in about a millisecond). Only a scope that has never
//! been computed is computed while the viewer waits. The pages show when the figures
//! were computed.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use vidare_effects::stats::Proportion;
use vidare_effects::summary::GroupFigures;
use vidare_effects::Figure;
use vidare_store::repo::effects::CachedFigures;
use vidare_store::Scoped;

use super::analysis::{analyse, Analysis, AnalysisError};

/// Cached figures older than this are recomputed.
pub const MAX_AGE_MINUTES: i64 = 10;

/// Cells counting fewer people than this are not shown to the public.
pub const SMALL_CELL: u64 = 5;

/// A share with its interval, or why there is none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Share {
    pub k: u64,
    pub n: u64,
    pub share: f64,
    pub lower: f64,
    pub upper: f64,
    /// (sv, en) when there is no figure.
    pub reason: Option<(String, String)>,
}

impl Share {
    fn of(f: &Figure<Proportion>) -> Share {
        match f {
            Figure::Value(p) => Share {
                k: p.successes,
                n: p.total,
                share: p.share,
                lower: p.lower,
                upper: p.upper,
                reason: None,
            },
            Figure::Insufficient { reason } => Share {
                k: 0,
                n: 0,
                share: 0.0,
                lower: 0.0,
                upper: 0.0,
                reason: Some((reason.sv.clone(), reason.en.clone())),
            },
        }
    }

    /// Whether the public may see it: both the count and its complement are at least
    /// [`SMALL_CELL`].
    pub fn publishable(&self) -> bool {
        self.reason.is_none() && self.k >= SMALL_CELL && self.n - self.k >= SMALL_CELL
    }
}

/// One supplier or placement type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub key: String,
    pub name: String,
    pub placements: u64,
    pub exits: u64,
    pub work_or_studies: Share,
    pub cost_per_exit_kr: Option<f64>,
}

impl Row {
    fn of(g: &GroupFigures) -> Row {
        Row {
            key: g.key.clone(),
            name: g.name.clone(),
            placements: g.outcomes.placements,
            exits: g.outcomes.exits,
            work_or_studies: Share::of(&g.outcomes.work_or_studies),
            cost_per_exit_kr: g.costs.per_exit_to_work_or_studies_kr.value().copied(),
        }
    }
}

/// A value with a 95 % interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    pub value: f64,
    pub lower: f64,
    pub upper: f64,
}

/// Everything a dashboard shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DashboardFigures {
    pub municipality: String,
    pub as_of: String,
    pub round_title: Option<String>,
    pub placements_before: u64,
    pub placements_after: u64,
    pub exits_before: u64,
    pub exits_after: u64,
    pub work_or_studies_before: Share,
    pub work_or_studies_after: Share,
    pub employed_12_after: Share,
    /// Share begun work or studies within 365 days of the placement's start (1 − S).
    pub began_365_before: Option<Interval>,
    pub began_365_after: Option<Interval>,
    pub log_rank_p: Option<f64>,
    pub att: Option<Interval>,
    pub att_reason: Option<(String, String)>,
    pub cost_total_after_kr: f64,
    pub cost_per_participant_after_kr: Option<f64>,
    pub cost_per_exit_after_kr: Option<f64>,
    pub effective_types_before: Option<f64>,
    pub effective_types_after: Option<f64>,
    pub types_used_before: u64,
    pub types_used_after: u64,
    pub median_cv_before: Option<f64>,
    pub median_cv_after: Option<f64>,
    pub net_5y_kr: Option<f64>,
    pub payback_months: Option<u32>,
    pub sroi: Option<f64>,
    pub by_supplier: Vec<Row>,
    pub by_type: Vec<Row>,
    /// Rounds with placements: (id, title).
    pub rounds: Vec<(i64, String)>,
    pub parameter_set: String,
}

fn began(f: &Figure<vidare_effects::survival::KmCurve>) -> Option<Interval> {
    let c = f.value()?;
    if c.observed_until() < 365 {
        return None;
    }
    let (s, lo, hi) = c.at(365);
    Some(Interval {
        value: 1.0 - s,
        lower: 1.0 - hi,
        upper: 1.0 - lo,
    })
}

impl DashboardFigures {
    /// From a full analysis.
    pub fn of(a: &Analysis) -> DashboardFigures {
        let s = &a.summary;
        let before = s.period("before").expect("computed");
        let after = s.period("after").expect("computed");
        let (att, att_reason) = match &a.counterfactual {
            Ok(e) => (
                e.effects.first().map(|m| Interval {
                    value: m.att,
                    lower: m.ci_low,
                    upper: m.ci_high,
                }),
                None,
            ),
            Err(r) => (None, Some((r.sv.clone(), r.en.clone()))),
        };
        let socio = s.socioeconomic.value();
        DashboardFigures {
            municipality: a.municipality.clone(),
            as_of: s.as_of.clone(),
            round_title: s.round.clone(),
            placements_before: before.outcomes.placements,
            placements_after: after.outcomes.placements,
            exits_before: before.outcomes.exits,
            exits_after: after.outcomes.exits,
            work_or_studies_before: Share::of(&before.outcomes.work_or_studies),
            work_or_studies_after: Share::of(&after.outcomes.work_or_studies),
            employed_12_after: Share::of(&after.outcomes.follow_up[2].employed),
            began_365_before: began(&s.time_to_work.before),
            began_365_after: began(&s.time_to_work.after),
            log_rank_p: s.time_to_work.log_rank.value().map(|r| r.p_value),
            att,
            att_reason,
            cost_total_after_kr: after.costs.total_kr,
            cost_per_participant_after_kr: after.costs.per_participant_kr.value().copied(),
            cost_per_exit_after_kr: after.costs.per_exit_to_work_or_studies_kr.value().copied(),
            effective_types_before: before.variety.diversity.value().map(|d| d.effective_number),
            effective_types_after: after.variety.diversity.value().map(|d| d.effective_number),
            types_used_before: before.variety.types_used,
            types_used_after: after.variety.types_used,
            median_cv_before: before.stability.median_cv.value().copied(),
            median_cv_after: after.stability.median_cv.value().copied(),
            net_5y_kr: socio.map(|r| r.total.net_5y_kr),
            payback_months: socio.and_then(|r| r.total.payback_months),
            sroi: s.sroi.value().map(|r| r.ratio),
            by_supplier: s.by_supplier.iter().map(Row::of).collect(),
            by_type: s.by_type.iter().map(Row::of).collect(),
            rounds: a.rounds.clone(),
            parameter_set: format!("{} v{}", a.parameter_set.name, a.parameter_set.version),
        }
    }
}

/// Figures with their age.
pub struct Fresh {
    pub figures: DashboardFigures,
    pub computed_at: DateTime<Utc>,
    /// Served from the cache (else computed for this request).
    pub cached: bool,
    /// The data have changed (or the figures aged) since: newer figures are being
    /// computed in the background.
    pub updating: bool,
}

/// The (store, tenant, scope) triples whose figures a background task is computing now.
type InFlight = std::collections::HashSet<(usize, i64, String)>;
static IN_FLIGHT: std::sync::LazyLock<std::sync::Mutex<InFlight>> =
    std::sync::LazyLock::new(Default::default);

/// Computes the figures of `scope` for the tenant and caches them, stamped with the data
/// position read before the computation (so a change during it leaves them stale).
async fn compute_and_cache(
    s: &Scoped<'_>,
    round: Option<i64>,
    stamp: i64,
) -> Result<(DashboardFigures, DateTime<Utc>), AnalysisError> {
    let tenant = vidare_domain::ids::TenantId(s.tid());
    let a = analyse(s.store(), Some(tenant), round).await?;
    let figures = DashboardFigures::of(&a);
    let computed_at = Utc::now();
    s.store_cached_effects(
        &scope(round),
        &CachedFigures {
            computed_at,
            data_stamp: stamp,
            figures: serde_json::to_string(&figures).expect("figures serialise"),
        },
    )
    .await?;
    Ok((figures, computed_at))
}

/// Starts a background computation of `scope` unless one is running.
fn refresh_in_background(s: &Scoped<'_>, round: Option<i64>, stamp: i64) {
    let key = (s.store().instance_id(), s.tid(), scope(round));
    if !IN_FLIGHT.lock().expect("lock").insert(key.clone()) {
        return;
    }
    let store = s.store().clone();
    tokio::spawn(async move {
        let s = store.tenant(vidare_domain::ids::TenantId(key.1));
        if let Err(e) = compute_and_cache(&s, round, stamp).await {
            tracing::warn!(tenant = key.1, scope = %key.2, error = ?e, "recomputing the effect figures");
        }
        IN_FLIGHT.lock().expect("lock").remove(&key);
    });
}

/// The cache key of a scope.
pub fn scope(round: Option<i64>) -> String {
    match round {
        Some(r) => format!("round:{r}"),
        None => "all".into(),
    }
}

/// The figures of the scoped tenant: from the cache when current; from the cache marked
/// as updating (and recomputed in the background) when stale; computed now when there
/// are none.
pub async fn figures(s: &Scoped<'_>, round: Option<i64>) -> Result<Fresh, AnalysisError> {
    let key = scope(round);
    let stamp = s.data_position().await?;
    let now = Utc::now();
    if let Some(c) = s.cached_effects(&key).await? {
        if let Ok(figures) = serde_json::from_str::<DashboardFigures>(&c.figures) {
            let current =
                c.data_stamp == stamp && now - c.computed_at < Duration::minutes(MAX_AGE_MINUTES);
            if !current {
                refresh_in_background(s, round, stamp);
            }
            return Ok(Fresh {
                figures,
                computed_at: c.computed_at,
                cached: true,
                updating: !current,
            });
        }
    }
    let (figures, computed_at) = compute_and_cache(s, round, stamp).await?;
    Ok(Fresh {
        figures,
        computed_at,
        cached: false,
        updating: false,
    })
}

/// Computes and caches every tenant's figures (all rounds) that are missing or stale,
/// one tenant after another, so that dashboards are served from the cache from the
/// start: `vidare serve` runs this in the background when it starts. Returns how many
/// tenants it looked at; a tenant whose figures fail is logged and skipped.
pub async fn warm_caches(store: &vidare_store::Store) -> usize {
    let tenants = match store.list_tenants().await {
        Ok(t) => t,
        Err(e) => {
            tracing::warn!(error = %e, "listing tenants to precompute their effect figures");
            return 0;
        }
    };
    for t in &tenants {
        let s = store.tenant(t.id);
        if let Err(e) = figures(&s, None).await {
            tracing::warn!(tenant = %t.slug, error = ?e, "precomputing the effect figures");
        }
    }
    tenants.len()
}
