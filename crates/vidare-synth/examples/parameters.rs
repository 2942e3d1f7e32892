//! Prints the model's parameters as the Markdown table in `docs/synthetic-data.md`:
//! `cargo run -p vidare-synth --example parameters`.

fn main() {
    println!("| parameter | value | unit | source | meaning |");
    println!("|---|---|---|---|---|");
    for p in vidare_synth::Model::default().numeric_parameters() {
        let value = p.value.as_f64().expect("numeric");
        println!(
            "| `{}` | {} | {} | {} | {} |",
            p.name, value, p.unit, p.source, p.description
        );
    }
}
