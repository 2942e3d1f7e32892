//! `vidare bench effects`: the effect measurement end to end on a generated database —
//! loading every tenant into the columnar data, then computing every figure and the
//! counterfactual estimate — with wall times and the process's peak memory.
//!
//! Targets (issue 7, national scale: ~1,000,000 placed participants, ~12,000,000
//! attendance months): ≤ 10 s end to end from PostgreSQL, ≤ 3 s for the computation,
//! peak memory ≤ 2 GiB.

use std::time::Instant;

use vidare_effects::counterfactual;
use vidare_effects::data::EffectsData;
use vidare_effects::summary::{self, Options};
use vidare_store::Store;

use crate::Failure;

/// Runs the benchmark against the database at `url` (which must already hold data, e.g.
/// from `vidare generate --scale national`).
pub async fn run(url: &str, round: Option<i64>) -> Result<(), Failure> {
    let started = Instant::now();
    let store = Store::connect(url).await?;
    store.require_current_schema().await?;
    let data = store.effects_data(None).await?;
    let load = started.elapsed();
    let round = match round {
        Some(id) => Some(
            data.rounds
                .ext_id
                .iter()
                .position(|&r| r == id)
                .ok_or_else(|| {
                    Failure::input(
                        format!("--round: det finns ingen omgång med id {id}."),
                        format!("--round: there is no round with id {id}."),
                    )
                })? as u32,
        ),
        None => None,
    };
    let t = Instant::now();
    let figures = summary::compute(
        &data,
        &Options {
            round,
            ..Default::default()
        },
    );
    let figures_time = t.elapsed();
    let t = Instant::now();
    let estimate = counterfactual::estimate(
        &data,
        &counterfactual::Options {
            round,
            ..Default::default()
        },
    );
    let counterfactual_time = t.elapsed();
    // What `vidare effects` and the dashboards run: both side by side on two threads.
    let t = Instant::now();
    let (_, _) = summary::compute_with_estimate(
        &data,
        &Options {
            round,
            ..Default::default()
        },
        &counterfactual::Options {
            round,
            ..Default::default()
        },
    );
    let both_time = t.elapsed();
    let t = Instant::now();
    let json = serde_json::to_string(&figures).map_err(anyhow::Error::from)?;
    let serialise_time = t.elapsed();
    // End to end as `vidare effects` runs: without the one-thread runs of the figures and
    // the estimate, which are timed here only to show the parts.
    let total = started.elapsed() - figures_time - counterfactual_time;
    let attendance: u64 = data
        .placements
        .attendance_months
        .iter()
        .map(|&m| u64::from(m))
        .sum();
    println!("effects benchmark ({})", store.kind().as_str());
    println!(
        "data: {} municipalities, {} participants, {} placements, {} attendance months, {} payment rows",
        data.tenants.ext_id.len(),
        data.participants.len(),
        data.placements.len(),
        attendance,
        data.payments.len()
    );
    println!("load            {:>8.3} s", load.as_secs_f64());
    println!("figures         {:>8.3} s", figures_time.as_secs_f64());
    println!(
        "counterfactual  {:>8.3} s ({})",
        counterfactual_time.as_secs_f64(),
        match &estimate {
            Ok(e) => e
                .effects
                .first()
                .map(|m| format!("ATT {:+.4} [{:+.4}, {:+.4}]", m.att, m.ci_low, m.ci_high))
                .unwrap_or_default(),
            Err(r) => r.en.clone(),
        }
    );
    println!(
        "json            {:>8.3} s ({} bytes)",
        serialise_time.as_secs_f64(),
        json.len()
    );
    println!(
        "computation     {:>8.3} s side by side on two threads (one after the other {:.3} s; target ≤ 3 s)",
        both_time.as_secs_f64(),
        (figures_time + counterfactual_time).as_secs_f64()
    );
    println!(
        "end to end      {:>8.3} s (target ≤ 10 s from PostgreSQL)",
        total.as_secs_f64()
    );
    println!(
        "peak memory     {:>8} MiB (target ≤ 2048)",
        super::peak_rss_kib().map_or("?".into(), |k| (k / 1024).to_string())
    );
    // The same analysis in Python (pandas, statsmodels, scikit-learn, lifelines), same
    // data, same run: the ratio of the times and the agreement of the estimates.
    let options = counterfactual::Options {
        round,
        ..Default::default()
    };
    match super::effects_reference::run(&data, &options) {
        Ok(r) => super::effects_reference::print(
            &r,
            figures_time,
            counterfactual_time,
            both_time,
            &estimate,
        ),
        Err(e) => println!("python reference: not run ({e:#})"),
    }
    dashboard(&store, &data).await
}

/// The management dashboard `/effekter` of the municipality with the most participants,
/// served by the real router over this database and asked for as a signed-in browser
/// would: the first request after the cache is cleared computes the municipality's
/// figures while the viewer waits (what only a never-viewed scope does); later requests
/// read the cache; after a recorded change the stale figures are shown at once while a
/// background task computes new ones. Target: ≤ 200 ms.
async fn dashboard(store: &Store, data: &EffectsData) -> Result<(), Failure> {
    use http_body_util::BodyExt;
    use vidare_domain::model::tenant::Role;
    use vidare_domain::model::{Email, Text};

    let mut counts = vec![0u32; data.tenants.ext_id.len()];
    for &t in &data.participants.tenant {
        counts[t as usize] += 1;
    }
    let Some(k) = (0..counts.len()).max_by_key(|&i| counts[i]) else {
        println!("dashboard: no municipality to show");
        return Ok(());
    };
    let tenant = vidare_domain::ids::TenantId(data.tenants.ext_id[k]);
    // A management account of the benchmark's own (reused on later runs), with a fresh
    // random password each run.
    let s = store.tenant_as(tenant, vidare_store::Actor::system("bench"));
    let email = Email::parse("bench-ledning@vidare.invalid").map_err(anyhow::Error::from)?;
    let user = match s.user_by_email(&email).await? {
        Some(u) => u.id,
        None => {
            s.insert_user(&vidare_store::repo::tenants::NewUser {
                email: email.clone(),
                display_name: Text::parse("Benchmark (ledning)").map_err(anyhow::Error::from)?,
                role: Role::Management,
            })
            .await?
        }
    };
    let password = vidare_web::session::new_secret();
    s.set_password_hash(user, &vidare_web::auth::hash_password(&password), None)
        .await?;
    s.clear_cached_effects().await?;

    let server = super::http::Served::start(store).await?;
    let base = server.base.clone();
    let client: super::http::Http =
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .build(hyper_util::client::legacy::connect::HttpConnector::new());
    let outcome = async {
        let session =
            super::http::sign_in_as(&client, &base, tenant.get(), email.as_str(), &password)
                .await?;
        let cookie = format!("vidare_session={session}");
        let mut times = Vec::new();
        for i in 0..22 {
            if i == 21 {
                // A change of the data (the parameter set in use saved again as a new
                // version, same values): the figures are stale.
                let current = s.current_parameter_set().await?;
                s.save_parameter_set(&vidare_store::repo::effects::NewParameterSet {
                    name: current.name.clone(),
                    parameters: current.parameters.clone(),
                    sources: current.sources.clone(),
                    note: Some("vidare bench effects".into()),
                })
                .await?;
            }
            let t = Instant::now();
            let resp = client
                .request(super::http::get(
                    &format!("{base}/effekter"),
                    Some(&cookie),
                )?)
                .await
                .map_err(|e| anyhow::anyhow!("GET /effekter: {e}"))?;
            let status = resp.status();
            resp.into_body()
                .collect()
                .await
                .map_err(|e| anyhow::anyhow!("GET /effekter: {e}"))?;
            if status != hyper::StatusCode::OK {
                return Err(anyhow::anyhow!("GET /effekter answered {status}").into());
            }
            times.push(t.elapsed());
        }
        Ok::<_, Failure>(times)
    }
    .await;
    drop(client);
    server.stop().await;
    let times = outcome?;
    let first = times[0];
    let stale = times[21];
    let mut cached = times[1..21].to_vec();
    cached.sort_unstable();
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
    let served = stale.max(*cached.last().expect("20 requests"));
    println!(
        "dashboard       /effekter of {} ({} participants): never computed before {:.1} ms (computes while the viewer waits); from the cache p50 {:.1} ms, max {:.1} ms; after a change {:.1} ms (stale figures shown, recomputed in the background)",
        data.tenants.name[k],
        counts[k],
        ms(first),
        ms(cached[cached.len() / 2]),
        ms(*cached.last().expect("20 requests")),
        ms(stale),
    );
    println!(
        "dashboard       views served from the cache, current or stale: max {:.1} ms (target ≤ 200 ms: {})",
        ms(served),
        if served.as_millis() <= 200 { "met" } else { "NOT met" }
    );
    Ok(())
}
