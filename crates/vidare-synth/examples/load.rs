//! Generates a scale into a database, as `vidare generate` does, without the rest of the
//! command line: `cargo run --release -p vidare-synth --example load -- demo 1 sqlite://x.db`.

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let scale =
        vidare_synth::Scale::parse(&args.next().expect("scale")).expect("demo, region or national");
    let seed: u64 = args.next().expect("seed").parse().expect("a number");
    let url = args.next().expect("database URL");
    let started = std::time::Instant::now();
    let store = vidare_store::Store::connect(&url).await.expect("connect");
    store.migrate().await.expect("migrate");
    let report =
        vidare_synth::load::generate_into(&store, &vidare_synth::Model::default(), scale, seed)
            .await
            .expect("generate");
    store.close().await;
    println!(
        "{:.1} s (writes {:.1} s, waiting {:.1} s) hash {}",
        started.elapsed().as_secs_f64(),
        report.load_time.as_secs_f64(),
        report.generate_wait.as_secs_f64(),
        report.content_sha256
    );
}
