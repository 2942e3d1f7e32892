//! Prints the summary and the truth of a scale without a database:
//! `cargo run --release -p vidare-synth --example summary -- demo 1`.

fn main() {
    let mut args = std::env::args().skip(1);
    let scale = vidare_synth::Scale::parse(&args.next().unwrap_or_else(|| "demo".into()))
        .expect("demo, region or national");
    let seed: u64 = args.next().map_or(1, |s| s.parse().expect("a number"));
    let started = std::time::Instant::now();
    let (_, truth, summary) =
        vidare_synth::generate_all(&vidare_synth::Model::default(), scale, seed, |_| {});
    println!("{summary}");
    println!(
        "ATT {:.4} (realised {:.4} ± {:.4}), treated {}",
        truth.att, truth.att_realised, truth.att_realised_standard_error, truth.treated
    );
    eprintln!("generated in {:.2} s", started.elapsed().as_secs_f64());
}
