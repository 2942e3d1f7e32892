//! `vidare bench`: measured figures for the targets the issues set, each against a
//! reference run on the same machine in the same run.
//!
//! - `import`: loading N participant rows from CSV, against the `sqlite3` shell's
//!   `.import` into a plain table and PostgreSQL's `COPY` of the same file.
//! - `read`: reading one participant by id from SQLite holding N rows (p50, p99).
//! - `http`: the server under load on loopback (`bench/http.rs`): signed-in pages against
//!   the cheapest route, p50/p99 and throughput.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use clap::Subcommand;
use sqlx::Connection;
use vidare_domain::ids::ParticipantId;
use vidare_domain::ids::TenantId;
use vidare_domain::model::participant::{
    Covariates, EducationLevel, Gender, NewParticipant, SwedishLevel,
};
use vidare_domain::model::{Slug, Text};
use vidare_domain::personnummer::{IdentityKind, PersonalIdentityNumber};
use vidare_exchange::csv_import;
use vidare_store::repo::tenants::NewTenant;
use vidare_store::Store;

mod effects;
mod effects_reference;
mod http;

use crate::config::Config;
use crate::Failure;

/// Which benchmark.
#[derive(Subcommand, Debug)]
pub enum Which {
    /// Import N participants from CSV into SQLite and PostgreSQL, against `.import` and COPY.
    Import {
        #[arg(long, default_value_t = 1_000_000)]
        rows: u32,
        /// PostgreSQL server to measure on (a throwaway database is created and dropped).
        #[arg(
            long,
            env = "VIDARE_BENCH_POSTGRES_URL",
            default_value = "postgres://postgres@127.0.0.1:5432/postgres"
        )]
        postgres: String,
        /// Skip PostgreSQL.
        #[arg(long)]
        sqlite_only: bool,
        /// Runs of each side, interleaved; the medians are compared (disk and CPU
        /// speed on a shared machine vary by half from one run to the next).
        #[arg(long, default_value_t = 3)]
        repeat: u32,
    },
    /// Generate a synthetic scale into a fresh SQLite file, or a throwaway PostgreSQL
    /// database with --postgres; print the wall time and the process's peak memory.
    Generate {
        #[arg(long, value_enum, default_value = "national")]
        scale: crate::generate::ScaleArg,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// PostgreSQL server to measure on instead of SQLite (a database is created and dropped).
        #[arg(long)]
        postgres: Option<String>,
    },
    /// Serve the demo in-process and load it over loopback: a trivial route, the
    /// dashboard and two list pages, signed in as a case worker (p50, p99, throughput).
    Http {
        /// Requests per target.
        #[arg(long, default_value_t = 20_000)]
        requests: u32,
        /// Concurrent clients.
        #[arg(long, default_value_t = 32)]
        clients: u32,
        /// Each target stops after this many seconds whatever the count.
        #[arg(long, default_value_t = 120)]
        max_seconds: u64,
        /// Only the reference and the targets whose path contains this (e.g. `deltagare`),
        /// to profile one page.
        #[arg(long)]
        only: Option<String>,
    },
    /// The effect measurement on the database given with --database (e.g. generated at
    /// national scale): load, figures and counterfactual estimate, wall times, peak memory.
    Effects {
        /// Evaluate this round (its id); every round when left out.
        #[arg(long)]
        round: Option<i64>,
    },
    /// Read participants by id from SQLite holding N rows.
    Read {
        #[arg(long, default_value_t = 1_000_000)]
        rows: u32,
        #[arg(long, default_value_t = 20_000)]
        reads: u32,
    },
}

pub async fn run(which: Which, _config: &Config) -> Result<(), Failure> {
    match which {
        Which::Import {
            rows,
            postgres,
            sqlite_only,
            repeat,
        } => import(rows, &postgres, sqlite_only, repeat.max(1)).await,
        Which::Read { rows, reads } => read(rows, reads).await,
        Which::Effects { round } => effects::run(&_config.database_url, round).await,
        Which::Http {
            requests,
            clients,
            max_seconds,
            only,
        } => http::run(requests, clients, max_seconds, only.as_deref()).await,
        Which::Generate {
            scale,
            seed,
            postgres,
        } => generate(scale.into(), seed, postgres.as_deref()).await,
    }
}

/// `n` synthetic participants with distinct identity numbers, the same every run.
pub fn synthetic_participants(n: u32) -> Vec<NewParticipant> {
    let first = [
        "Amina", "Erik", "Fatima", "Johan", "Leila", "Sara", "Oskar", "Åsa",
    ];
    let last = [
        "Demosson",
        "Testberg",
        "Provström",
        "Fiktivsson",
        "Låtsasgren",
        "Öhman",
    ];
    let base = NaiveDate::from_ymd_opt(1960, 1, 1).expect("valid");
    (0..n)
        .map(|i| {
            // 1000 serials per birth date, dates spread over ~45 years.
            let day = i / 1000;
            let serial = (i % 1000) as u16;
            let birth = base + chrono::Duration::days(i64::from(day % 16_000));
            let kind = if day >= 16_000 {
                IdentityKind::Samordningsnummer
            } else {
                IdentityKind::Personnummer
            };
            NewParticipant {
                personal_number: PersonalIdentityNumber::from_parts(birth, serial, kind)
                    .expect("valid synthetic number"),
                first_name: Text::parse(first[(i % 8) as usize]).expect("valid"),
                last_name: Text::parse(last[(i % 6) as usize]).expect("valid"),
                covariates: Covariates {
                    gender: if i % 2 == 0 {
                        Gender::Female
                    } else {
                        Gender::Male
                    },
                    born_abroad: i % 3 == 0,
                    education: EducationLevel::ALL[(i % 4) as usize],
                    months_on_income_support: i % 97,
                    health_limitation: i % 5 == 0,
                    swedish_level: SwedishLevel::ALL[(i % 4) as usize],
                    prior_work_experience: i % 7 != 0,
                },
                synthetic: true,
            }
        })
        .collect()
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

async fn fresh_tenant(store: &Store, run: u32) -> Result<TenantId, Failure> {
    Ok(store
        .insert_tenant(&NewTenant {
            slug: Slug::parse(&format!("bench-{run}")).expect("valid"),
            name: Text::parse("Benchmark").expect("valid"),
            municipality_code: None,
            synthetic: true,
        })
        .await?)
}

/// Parses the file and loads it, as `vidare import` does; returns the elapsed time.
async fn vidare_import(store: &Store, tenant: TenantId, bytes: &[u8]) -> Result<Duration, Failure> {
    let started = Instant::now();
    let today = vidare_domain::deadline::stockholm_today(chrono::Utc::now());
    let rows = csv_import::parse_participants(bytes, today, true)
        .map_err(|f| anyhow::anyhow!("{}", f.report(vidare_domain::Lang::En)))?;
    let parsed = started.elapsed();
    store
        .tenant(tenant)
        .bulk_insert(&rows)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let total = started.elapsed();
    println!(
        "            (parse and validate {:.2} s, load {:.2} s)",
        secs(parsed),
        secs(total - parsed)
    );
    Ok(total)
}

async fn import(rows: u32, postgres: &str, sqlite_only: bool, repeat: u32) -> Result<(), Failure> {
    let dir = tempfile::tempdir()?;
    let csv_path = dir.path().join("participants.csv");
    {
        let file = std::io::BufWriter::new(std::fs::File::create(&csv_path)?);
        // A municipality's file is in case or name order, not in identity-number
        // order as generated: write the rows in a fixed scattered order, a stride
        // through them by a prime larger than any row count (so every row once).
        let people = synthetic_participants(rows);
        let n = people.len() as u64;
        let scattered: Vec<NewParticipant> = (0..n)
            .map(|j| people[(j * 2_654_435_761 % n) as usize].clone())
            .collect();
        csv_import::write_participants_csv(&scattered, file)?;
    }
    let bytes = std::fs::read(&csv_path)?;
    println!(
        "import benchmark: {rows} rows, {:.1} MB CSV, {repeat} interleaved run(s) of each side",
        bytes.len() as f64 / 1e6
    );

    // SQLite reference: the sqlite3 shell's .import into a plain table.
    let mut reference = Vec::new();
    let mut ours = Vec::new();
    for run in 0..repeat {
        let reference_db = dir.path().join(format!("reference-{run}.sqlite"));
        reference.push(sqlite3_import(&reference_db, &csv_path)?);
        let _ = std::fs::remove_file(&reference_db);
        let db = dir.path().join(format!("vidare-{run}.sqlite"));
        let store = Store::connect(&format!("sqlite://{}", db.display())).await?;
        store.migrate().await?;
        let tenant = fresh_tenant(&store, run).await?;
        ours.push(vidare_import(&store, tenant, &bytes).await?);
        store.close().await;
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
        }
        println!(
            "  run {}: sqlite3 .import {:.2} s, vidare import {:.2} s",
            run + 1,
            secs(reference[run as usize]),
            secs(ours[run as usize])
        );
    }
    let (reference, ours) = (Spread::of(reference), Spread::of(ours));
    println!(
        "sqlite:     sqlite3 .import {} | vidare import {} | ratio of medians {:.2} (target ≤ 2.00)",
        reference,
        ours,
        ours.median / reference.median
    );

    if sqlite_only {
        return Ok(());
    }
    let db_name = format!("vidare_bench_{}", std::process::id());
    let mut admin = sqlx::PgConnection::connect(postgres)
        .await
        .map_err(|e| anyhow::anyhow!("cannot reach {}: {e}", vidare_store::redact(postgres)))?;
    sqlx::query(&format!("CREATE DATABASE {db_name}"))
        .execute(&mut admin)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let bench_url = replace_database(postgres, &db_name);
    let outcome = postgres_import(&bench_url, &bytes, repeat).await;
    sqlx::query(&format!("DROP DATABASE {db_name} WITH (FORCE)"))
        .execute(&mut admin)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let pg = outcome?;
    let (plain, keyed, ours) = (
        Spread::of(pg.plain),
        Spread::of(pg.keyed),
        Spread::of(pg.ours),
    );
    println!(
        "postgres:   COPY {plain} | vidare import {ours} | ratio of medians {:.2} (target ≤ 2.00), \
         COPY into a plain table",
        ours.median / plain.median
    );
    println!(
        "postgres:   COPY {keyed} | vidare import {ours} | ratio of medians {:.2} (target ≤ 2.00), \
         COPY into a table with the keys and indexes of participants",
        ours.median / keyed.median
    );
    Ok(())
}

/// Median and range of a few timings, in seconds.
#[derive(Clone, Copy)]
struct Spread {
    median: f64,
    min: f64,
    max: f64,
}

impl Spread {
    fn of(mut times: Vec<Duration>) -> Spread {
        times.sort_unstable();
        let at = |i: usize| secs(times[i]);
        let n = times.len();
        let median = if n % 2 == 1 {
            at(n / 2)
        } else {
            (at(n / 2 - 1) + at(n / 2)) / 2.0
        };
        Spread {
            median,
            min: at(0),
            max: at(n - 1),
        }
    }
}

impl std::fmt::Display for Spread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:.2} s (range {:.2}–{:.2})",
            self.median, self.min, self.max
        )
    }
}

fn sqlite3_import(db: &Path, csv: &Path) -> Result<Duration, Failure> {
    let script = format!(
        "CREATE TABLE plain ({PLAIN_COLUMNS});\n\
         .mode csv\n.separator ;\n.import --skip 1 {} plain\nSELECT count(*) FROM plain;\n",
        csv.display()
    );
    use std::io::Write;
    let started = Instant::now();
    let mut child = Command::new("sqlite3")
        .arg(db)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| anyhow::anyhow!("the sqlite3 shell is needed for the reference run: {e}"))?;
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(script.as_bytes())?;
    let out = child.wait_with_output()?;
    let elapsed = started.elapsed();
    if !out.status.success() || !out.stderr.is_empty() {
        return Err(
            anyhow::anyhow!("sqlite3 failed: {}", String::from_utf8_lossy(&out.stderr)).into(),
        );
    }
    Ok(elapsed)
}

/// The CSV file's columns, as text, for the reference tables.
const PLAIN_COLUMNS: &str = "personnummer TEXT, fornamn TEXT, efternamn TEXT, kon TEXT, \
     fodd_utomlands TEXT, utbildning TEXT, manader TEXT, halsa TEXT, svenska TEXT, \
     erfarenhet TEXT, syntetisk TEXT";

/// The PostgreSQL side: three loads of the same file into one throwaway database,
/// `repeat` times, interleaved.
struct PostgresFigures {
    /// `COPY` into a plain table of text columns.
    plain: Vec<Duration>,
    /// `COPY` into a table with the keys `participants` has (primary key, the tenant's
    /// unique keys, the name and registration indexes, the foreign key to `tenants`).
    keyed: Vec<Duration>,
    /// `vidare import`, each run into a tenant of its own.
    ours: Vec<Duration>,
}

async fn postgres_import(url: &str, bytes: &[u8], repeat: u32) -> Result<PostgresFigures, Failure> {
    let store = Store::connect(url).await?;
    store.migrate().await?;
    let mut figures = PostgresFigures {
        plain: Vec::new(),
        keyed: Vec::new(),
        ours: Vec::new(),
    };
    for run in 0..repeat {
        let tenant = fresh_tenant(&store, run).await?;
        let mut conn = sqlx::PgConnection::connect(url)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let keyed_table = format!(
            "CREATE TABLE keyed (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, \
             tenant_id BIGINT NOT NULL DEFAULT {tid} REFERENCES tenants (id), {PLAIN_COLUMNS}, \
             registered_on DATE, UNIQUE (tenant_id, id), UNIQUE (tenant_id, personnummer)); \
             CREATE INDEX keyed_name ON keyed (tenant_id, efternamn, fornamn); \
             CREATE INDEX keyed_registered ON keyed (tenant_id, registered_on)",
            tid = tenant.get()
        );
        sqlx::raw_sql(&format!(
            "CREATE TABLE plain ({PLAIN_COLUMNS}); {keyed_table}"
        ))
        .execute(&mut conn)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut copy_into = async |table: &str| -> Result<Duration, Failure> {
            let started = Instant::now();
            let mut copy = conn
                .copy_in_raw(&format!(
                    "COPY {table} (personnummer, fornamn, efternamn, kon, fodd_utomlands, \
                     utbildning, manader, halsa, svenska, erfarenhet, syntetisk) \
                     FROM STDIN (FORMAT csv, DELIMITER ';', HEADER true)"
                ))
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            // The BOM belongs to the header line, which COPY skips.
            for chunk in bytes.chunks(1 << 20) {
                copy.send(chunk).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            }
            copy.finish().await.map_err(|e| anyhow::anyhow!("{e}"))?;
            Ok(started.elapsed())
        };
        figures.plain.push(copy_into("plain").await?);
        figures.keyed.push(copy_into("keyed").await?);
        sqlx::raw_sql("DROP TABLE plain; DROP TABLE keyed")
            .execute(&mut conn)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let _ = conn.close().await;
        figures
            .ours
            .push(vidare_import(&store, tenant, bytes).await?);
        let i = run as usize;
        println!(
            "  run {}: COPY plain {:.2} s, COPY keyed {:.2} s, vidare import {:.2} s",
            run + 1,
            secs(figures.plain[i]),
            secs(figures.keyed[i]),
            secs(figures.ours[i])
        );
    }
    store.close().await;
    Ok(figures)
}

/// `postgres://u@h:p/db?x` with the database replaced.
fn replace_database(url: &str, db: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{db}?{q}"),
        None => format!("{base}/{db}"),
    }
}

async fn generate(
    scale: vidare_synth::Scale,
    seed: u64,
    postgres: Option<&str>,
) -> Result<(), Failure> {
    let dir = tempfile::tempdir()?;
    let (url, admin, db_name) = match postgres {
        Some(admin_url) => {
            let db_name = format!("vidare_bench_generate_{}", std::process::id());
            let mut admin = sqlx::PgConnection::connect(admin_url).await.map_err(|e| {
                anyhow::anyhow!("cannot reach {}: {e}", vidare_store::redact(admin_url))
            })?;
            sqlx::query(&format!("CREATE DATABASE {db_name}"))
                .execute(&mut admin)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            (replace_database(admin_url, &db_name), Some(admin), db_name)
        }
        None => (
            format!("sqlite://{}", dir.path().join("vidare.sqlite").display()),
            None,
            String::new(),
        ),
    };
    let started = Instant::now();
    let outcome = async {
        let store = Store::connect(&url).await?;
        store.migrate().await?;
        let report =
            vidare_synth::load::generate_into(&store, &vidare_synth::Model::default(), scale, seed)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        store.close().await;
        Ok::<_, Failure>(report)
    }
    .await;
    let elapsed = started.elapsed();
    if let Some(mut admin) = admin {
        sqlx::query(&format!("DROP DATABASE {db_name} WITH (FORCE)"))
            .execute(&mut admin)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let report = outcome?;
    let backend = if postgres.is_some() {
        "postgres"
    } else {
        "sqlite"
    };
    let target = if postgres.is_some() { 300 } else { 180 };
    println!(
        "generate {} (seed {seed}) into {backend}: {:.1} s (target ≤ {target} s at national scale) | peak RSS {} MiB (target ≤ 4096) | participants {} | attendance months {}",
        scale.as_str(),
        secs(elapsed),
        peak_rss_kib().map_or("?".into(), |k| (k / 1024).to_string()),
        report.summary.rows_of(vidare_synth::rows::Table::Participants),
        report.summary.rows_of(vidare_synth::rows::Table::AttendanceMonths),
    );
    Ok(())
}

/// The process's peak resident set size (VmHWM), in KiB, where /proc tells it.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

async fn read(rows: u32, reads: u32) -> Result<(), Failure> {
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("vidare.sqlite").display());
    let store = Store::connect(&url).await?;
    store.migrate().await?;
    let tenant = fresh_tenant(&store, 0).await?;
    let participants = synthetic_participants(rows);
    let numbered: Vec<_> = participants
        .into_iter()
        .enumerate()
        .map(|(i, row)| vidare_domain::Numbered {
            line: i as u64 + 2,
            row,
        })
        .collect();
    store
        .tenant(tenant)
        .bulk_insert(&numbered)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let scoped = store.tenant(tenant);
    let mut ids: Vec<i64> = Vec::with_capacity(reads as usize);
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    for _ in 0..reads {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        ids.push(1 + (x % u64::from(rows)) as i64);
    }
    // Warm the pool and the page cache as a running server would be.
    for id in ids.iter().take(1000) {
        scoped.get_participant(ParticipantId(*id)).await?;
    }
    let mut times = Vec::with_capacity(ids.len());
    for id in &ids {
        let started = Instant::now();
        scoped.get_participant(ParticipantId(*id)).await?;
        times.push(started.elapsed());
    }
    times.sort_unstable();
    let pct = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
    println!(
        "read by id, SQLite with {rows} rows, {reads} reads: p50 {:.3} ms | p99 {:.3} ms (target < 1 ms) | max {:.3} ms",
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        times.last().expect("reads").as_secs_f64() * 1e3
    );
    store.close().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn database_names_are_replaced() {
        use super::replace_database as r;
        assert_eq!(
            r("postgres://u@h:5432/postgres", "b"),
            "postgres://u@h:5432/b"
        );
        assert_eq!(
            r("postgres://u@h/postgres?sslmode=disable", "b"),
            "postgres://u@h/b?sslmode=disable"
        );
        assert_eq!(r("postgres://u@h", "b"), "postgres://u@h/b");
    }

    #[test]
    fn spreads_take_the_middle_run() {
        use std::time::Duration;
        let ms = |v: &[u64]| {
            v.iter()
                .map(|&m| Duration::from_millis(m))
                .collect::<Vec<_>>()
        };
        let s = super::Spread::of(ms(&[900, 100, 300]));
        assert_eq!((s.median, s.min, s.max), (0.3, 0.1, 0.9));
        let s = super::Spread::of(ms(&[400, 100, 300, 200]));
        assert!((s.median - 0.25).abs() < 1e-12);
        assert_eq!(super::Spread::of(ms(&[70])).median, 0.07);
    }

    #[test]
    fn synthetic_numbers_are_distinct() {
        let rows = super::synthetic_participants(20_000);
        let set: std::collections::HashSet<_> = rows.iter().map(|p| p.personal_number).collect();
        assert_eq!(set.len(), rows.len());
    }
}
