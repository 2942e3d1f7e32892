//! Synthetic municipalities with a known true effect.
//!
//! `vidare-synth` generates whole municipalities — suppliers, a baseline period arranged
//! the old way (2021–2022), a reserved procurement with framework agreements
//! (2023–2024), the next round being prepared, and registered residents with
//! referrals, placements, monthly attendance, exits, follow-ups and invoices, plus a
//! comparison pool who were never placed — from a documented model ([`model`]) in
//! which placements under the reserved round have a known effect that varies with the
//! participants' covariates. The truth ([`truth::Truth`]) is the exact expected effect
//! on the treated, computed from each treated person's two outcome probabilities.
//!
//! Generation is deterministic: the same seed gives the same rows, byte for byte, and
//! the content hash ([`Run::finish`]) over them in a canonical order proves it. Each
//! municipality has its own random streams keyed by the seed and its index, so the
//! generator streams municipality by municipality and memory stays bounded by the
//! largest one. [`load::generate_into`] writes the rows into a [`vidare_store::Store`]
//! with explicit ids through the store's bulk loader.
//!
//! Every name, identity number and organisation number is fictitious, every tenant is
//! marked synthetic, and so are the organisations, rounds and participants in it.

pub mod load;
pub mod model;
pub mod municipality;
pub mod names;
pub mod person;
pub mod rng;
pub mod rows;
pub mod summary;
pub mod truth;

use sha2::{Digest, Sha256};
use vidare_store::bulk::write_copy_line;

pub use model::Model;
pub use municipality::{generate as generate_municipality, Municipality, Spec};

use crate::rows::{Bases, Row, TableVisitor};

/// How much to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// One municipality the size of Östersund, tenant `demo`.
    Demo,
    /// Eight municipalities of one region, tenants `region-1` … `region-8`.
    Region,
    /// 290 municipalities, about 1,000,000 placed participants: for benchmarks.
    National,
}

impl Scale {
    /// `demo`, `region` or `national`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scale::Demo => "demo",
            Scale::Region => "region",
            Scale::National => "national",
        }
    }

    /// Parses `demo`, `region` or `national`.
    pub fn parse(s: &str) -> Option<Scale> {
        match s {
            "demo" => Some(Scale::Demo),
            "region" => Some(Scale::Region),
            "national" => Some(Scale::National),
            _ => None,
        }
    }
}

/// The demo municipality's name.
pub const DEMO_NAME: &str = "Storsjö kommun (demo)";

/// The region's municipalities: (name, population). The first is the demo's size; the
/// others are sized like the smaller municipalities of a northern county.
const REGION: &[(&str, u32)] = &[
    ("Storsjö", 64_000),
    ("Lingonvik", 15_000),
    ("Tallfors", 11_800),
    ("Ripdal", 11_500),
    ("Myrberg", 10_000),
    ("Björkholm", 7_000),
    ("Kottnäs", 6_000),
    ("Tjäderå", 5_300),
];

fn genitive(place: &str) -> String {
    if place.ends_with('s') || place.ends_with('x') || place.ends_with('z') {
        place.to_string()
    } else {
        format!("{place}s")
    }
}

/// The inverse of the standard normal distribution function (Acklam's rational
/// approximation, relative error below 1.2e-9), for municipality sizes.
fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.38357751867269e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e1,
        1.615858368580409e2,
        -1.556989798598866e2,
        6.680131188771972e1,
        -1.328068155288572e1,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-3,
        3.224671290700398e-1,
        2.445134137142996,
        3.754408661907416,
    ];
    let low = 0.02425;
    if p < low {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - low {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        -normal_quantile(1.0 - p)
    }
}

/// The municipalities of a scale, in generation order.
pub fn specs(model: &Model, scale: Scale) -> Vec<Spec> {
    match scale {
        Scale::Demo => vec![Spec {
            index: 0,
            slug: "demo".into(),
            name: DEMO_NAME.into(),
            population: model.demo_population as u32,
            national: false,
        }],
        Scale::Region => REGION
            .iter()
            .enumerate()
            .map(|(i, (place, population))| Spec {
                index: i as u32,
                slug: format!("region-{}", i + 1),
                name: format!("{} kommun (syntetisk)", genitive(place)),
                population: *population,
                national: false,
            })
            .collect(),
        Scale::National => {
            // Sizes are fixed log-normal quantiles scaled to the national population,
            // so the country looks the same whatever the seed; the seed changes people.
            let n = model.national_municipalities as usize;
            let raw: Vec<f64> = (0..n)
                .map(|i| {
                    (model.national_population_sigma * normal_quantile((i as f64 + 0.5) / n as f64))
                        .exp()
                })
                .collect();
            let total: f64 = raw.iter().sum();
            (0..n)
                .map(|i| {
                    // Largest first, so the heaviest municipality is not the last.
                    let population = (raw[n - 1 - i] / total * model.national_population)
                        .round()
                        .max(2_000.0) as u32;
                    let head = names::PLACE_HEADS[i % names::PLACE_HEADS.len()];
                    let tail = names::MUNICIPALITY_TAILS
                        [(i / names::PLACE_HEADS.len()) % names::MUNICIPALITY_TAILS.len()];
                    let prefix = if i >= names::PLACE_HEADS.len() * names::MUNICIPALITY_TAILS.len()
                    {
                        "Nya "
                    } else {
                        ""
                    };
                    Spec {
                        index: i as u32,
                        slug: format!("kommun-{:03}", i + 1),
                        name: format!(
                            "{prefix}{} kommun (syntetisk)",
                            genitive(&format!("{head}{tail}"))
                        ),
                        population,
                        national: true,
                    }
                })
                .collect()
        }
    }
}

/// The running results of a generation: the content hash, the truth and the summary,
/// fed one municipality at a time in order.
pub struct Run {
    hasher: Sha256,
    buf: Vec<u8>,
    pub truth: truth::TruthBuilder,
    pub summary: summary::Summary,
}

impl Run {
    /// A run of `scale` from `seed`.
    pub fn new(model: &Model, scale: Scale, seed: u64) -> Run {
        let mut hasher = Sha256::new();
        hasher.update(format!(
            "vidare-synth v1 scale={} seed={seed}\n",
            scale.as_str()
        ));
        Run {
            hasher,
            buf: Vec::with_capacity(1 << 20),
            truth: truth::TruthBuilder::new(model, scale, seed),
            summary: summary::Summary::new(scale, seed),
        }
    }

    /// Adds a municipality: hashes its rows (local ids, canonical text) and counts it.
    pub fn add(&mut self, m: &Municipality) {
        self.hasher.update(format!(
            "municipality {} {} {} {}\n",
            m.spec.index, m.spec.slug, m.spec.name, m.spec.population
        ));
        struct Hash<'a> {
            hasher: &'a mut Sha256,
            buf: &'a mut Vec<u8>,
        }
        impl TableVisitor for Hash<'_> {
            fn visit<R: Row>(&mut self, rows: &[R]) {
                self.hasher
                    .update(format!("table {} {}\n", R::TABLE.name(), rows.len()));
                let mut values = Vec::with_capacity(R::COLUMNS.len());
                for r in rows {
                    values.clear();
                    r.values(&Bases::LOCAL, &mut values);
                    write_copy_line(self.buf, &values);
                    if self.buf.len() >= 1 << 20 {
                        self.hasher.update(&self.buf[..]);
                        self.buf.clear();
                    }
                }
                self.hasher.update(&self.buf[..]);
                self.buf.clear();
            }
        }
        m.tables.visit(&mut Hash {
            hasher: &mut self.hasher,
            buf: &mut self.buf,
        });
        self.truth.add(m);
        self.summary.add(m);
    }

    /// The content hash (hex SHA-256), the truth and the summary.
    pub fn finish(self) -> (String, truth::Truth, summary::Summary) {
        let hash: String = self
            .hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let truth = self.truth.finish(&hash);
        let mut summary = self.summary;
        summary.content_sha256 = hash.clone();
        summary.true_att = truth.att;
        (hash, truth, summary)
    }
}

/// Generates a whole scale in memory, without a database: for tests and dry runs.
/// Calls `each` with every municipality before dropping it.
pub fn generate_all(
    model: &Model,
    scale: Scale,
    seed: u64,
    mut each: impl FnMut(&Municipality),
) -> (String, truth::Truth, summary::Summary) {
    let mut run = Run::new(model, scale, seed);
    for spec in specs(model, scale) {
        let m = generate_municipality(model, seed, &spec);
        run.add(&m);
        each(&m);
    }
    run.finish()
}
