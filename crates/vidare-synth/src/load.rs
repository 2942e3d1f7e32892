//! Writing generated municipalities into a store: one tenant per municipality, each
//! loaded in one bulk transaction with ids the generator chose (local ids plus the
//! table's largest id before the run).
//!
//! Generation runs on its own thread, one municipality ahead of the loader, so the two
//! cores of a small machine work at once while memory holds at most three
//! municipalities (being generated, queued, being loaded).

use std::time::{Duration, Instant};

use tokio::task::JoinSet;
use vidare_domain::ids::TenantId;
use vidare_domain::model::{Slug, Text};
use vidare_store::bulk::{BulkLoad, Value};
use vidare_store::repo::tenants::NewTenant;
use vidare_store::{BackendKind, Store, StoreError};

use crate::rows::{Bases, Row, Table, Tables};
use crate::summary::Summary;
use crate::truth::Truth;
use crate::{specs, Model, Municipality, Run, Scale};

/// Why a generation into a store failed.
#[derive(Debug)]
pub enum GenerateError {
    /// A tenant with this slug already exists; nothing was written.
    TenantExists(String),
    Store(StoreError),
}

impl std::fmt::Display for GenerateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GenerateError::TenantExists(s) => write!(f, "a tenant named {s} already exists"),
            GenerateError::Store(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for GenerateError {}

impl From<StoreError> for GenerateError {
    fn from(e: StoreError) -> Self {
        GenerateError::Store(e)
    }
}

/// What a generation into a store produced.
#[derive(Debug)]
pub struct Report {
    pub content_sha256: String,
    pub truth: Truth,
    pub summary: Summary,
    /// Each municipality's slug and tenant.
    pub tenants: Vec<(String, TenantId)>,
    /// Wall time the loader waited for the generator.
    pub generate_wait: Duration,
    /// Wall time of loading, less the waiting.
    pub load_time: Duration,
}

/// Generates `scale` from `seed` into `store` (which must be migrated). Refuses, before
/// writing anything, if any of the scale's tenant slugs exists.
///
/// The database checks the rows' foreign keys at demo and region scale; at national
/// scale, a benchmark of the same generator's rows, it skips them where it can (see
/// [`Store::begin_bulk`]).
pub async fn generate_into(
    store: &Store,
    model: &Model,
    scale: Scale,
    seed: u64,
) -> Result<Report, GenerateError> {
    let specs = specs(model, scale);
    for s in &specs {
        if store.tenant_by_slug(&s.slug).await?.is_some() {
            return Err(GenerateError::TenantExists(s.slug.clone()));
        }
    }
    let with_ids = Table::with_ids();
    let names: Vec<&str> = with_ids.iter().map(|t| t.name()).collect();
    let max = store.max_ids(&names).await?;
    let mut bases = Bases::new(0);
    for (t, m) in with_ids.iter().zip(&max) {
        bases.set(*t, *m);
    }

    let check_foreign_keys = scale != Scale::National;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Municipality>(1);
    let producer_model = model.clone();
    let producer = std::thread::spawn(move || {
        let mut run = Run::new(&producer_model, scale, seed);
        for spec in specs {
            let m = crate::generate_municipality(&producer_model, seed, &spec);
            run.add(&m);
            if tx.blocking_send(m).is_err() {
                break; // the loader stopped
            }
        }
        run.finish()
    });

    // PostgreSQL spends most of a load in its own backend process, so two loads (two
    // connections, two municipalities) keep both cores busy; SQLite has one writer.
    let parallel = match store.kind() {
        BackendKind::Postgres => 2,
        BackendKind::Sqlite => 1,
    };
    let mut running: JoinSet<Result<(), StoreError>> = JoinSet::new();
    let mut tenants = Vec::new();
    let mut wait = Duration::ZERO;
    let loading = Instant::now();
    let mut waited = Instant::now();
    let mut failure = None;
    while let Some(m) = rx.recv().await {
        wait += waited.elapsed();
        // Tenants and id ranges are handed out in generation order, so ids do not
        // depend on which load finishes first.
        let tenant = match start_tenant(store, &m).await {
            Ok(t) => t,
            Err(e) => {
                failure = Some(e);
                break;
            }
        };
        tenants.push((m.spec.slug.clone(), tenant));
        let mut b = bases;
        b.tenant = tenant.get();
        advance(&mut bases, &m.tables);
        while running.len() >= parallel {
            if let Some(Err(e)) = running
                .join_next()
                .await
                .map(|r| r.expect("a load task does not panic"))
            {
                failure = Some(e);
            }
        }
        if failure.is_some() {
            break;
        }
        let store = store.clone();
        running.spawn(async move {
            let mut bulk = store.begin_bulk(check_foreign_keys).await?;
            load_tables(&mut bulk, &m.tables, &b).await?;
            bulk.commit().await?;
            tracing::info!(
                municipality = %m.spec.slug,
                participants = m.tables.participants.len(),
                attendance_months = m.tables.attendance.len(),
                "loaded"
            );
            Ok(())
        });
        waited = Instant::now();
    }
    while let Some(r) = running.join_next().await {
        if let Err(e) = r.expect("a load task does not panic") {
            failure.get_or_insert(e);
        }
    }
    let load = loading.elapsed().saturating_sub(wait);
    drop(rx);
    let (hash, truth, summary) = producer
        .join()
        .expect("the generator thread does not panic");
    if let Some(e) = failure {
        return Err(e.into());
    }
    store.reset_id_sequences(&names).await?;
    Ok(Report {
        content_sha256: hash,
        truth,
        summary,
        tenants,
        generate_wait: wait,
        load_time: load,
    })
}

/// Creates the municipality's tenant.
async fn start_tenant(store: &Store, m: &Municipality) -> Result<TenantId, StoreError> {
    store
        .insert_tenant(&NewTenant {
            slug: Slug::parse(&m.spec.slug).expect("generated slugs are valid"),
            name: Text::parse(&m.spec.name).expect("generated names are valid"),
            municipality_code: None,
            synthetic: true,
        })
        .await
}

/// Moves each table's base past a municipality's rows.
fn advance(bases: &mut Bases, t: &Tables) {
    let counts = t.counts();
    for table in Table::ALL {
        if table.has_id() {
            bases.set(table, bases.get(table) + counts[table as usize] as i64);
        }
    }
}

async fn rows<R: Row>(bulk: &mut BulkLoad, rows: &[R], b: &Bases) -> Result<(), StoreError> {
    let started = Instant::now();
    bulk.load(
        R::TABLE.name(),
        R::COLUMNS,
        rows,
        |r: &R, out: &mut Vec<Value<'_>>| r.values(b, out),
    )
    .await?;
    tracing::debug!(
        table = R::TABLE.name(),
        rows = rows.len(),
        seconds = started.elapsed().as_secs_f64(),
        "bulk loaded"
    );
    Ok(())
}

/// Loads every table in [`Table::ALL`] order (parents first).
async fn load_tables(bulk: &mut BulkLoad, t: &Tables, b: &Bases) -> Result<(), StoreError> {
    rows(bulk, &t.organisations, b).await?;
    rows(bulk, &t.placement_types, b).await?;
    rows(bulk, &t.rounds, b).await?;
    rows(bulk, &t.lots, b).await?;
    rows(bulk, &t.criteria, b).await?;
    rows(bulk, &t.bids, b).await?;
    rows(bulk, &t.bid_lots, b).await?;
    rows(bulk, &t.qualifications, b).await?;
    rows(bulk, &t.scores, b).await?;
    rows(bulk, &t.award_decisions, b).await?;
    rows(bulk, &t.award_results, b).await?;
    rows(bulk, &t.agreements, b).await?;
    rows(bulk, &t.participants, b).await?;
    rows(bulk, &t.register_outcomes, b).await?;
    rows(bulk, &t.referrals, b).await?;
    rows(bulk, &t.placements, b).await?;
    rows(bulk, &t.attendance, b).await?;
    rows(bulk, &t.exits, b).await?;
    rows(bulk, &t.follow_ups, b).await?;
    rows(bulk, &t.invoices, b).await?;
    rows(bulk, &t.invoice_lines, b).await?;
    rows(bulk, &t.invitations, b).await?;
    rows(bulk, &t.meetings, b).await?;
    rows(bulk, &t.registrations, b).await?;
    Ok(())
}
