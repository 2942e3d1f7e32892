//! The deterministic random numbers behind every synthetic value.
//!
//! Each municipality gets its own ChaCha8 generator, keyed by the run's seed and the
//! municipality's index, and separate streams within it for separate purposes, so a
//! municipality can be generated on its own and a change in how (say) invoices are
//! drawn does not move anyone's outcome. The distributions are written here rather
//! than taken from a crate, so that the numbers depend only on ChaCha's output and this
//! file.

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sha2::{Digest, Sha256};

/// What a stream of random numbers is used for. Each has its own ChaCha stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Organisations, placement types and procurement.
    Suppliers = 1,
    /// Registrations, covariates, selection and potential outcomes.
    People = 2,
    /// Everything operational: referrals, placements, attendance, follow-ups, names.
    Operations = 3,
}

/// A deterministic random number generator.
pub struct Rng(ChaCha8Rng);

impl Rng {
    /// The generator for one purpose in one municipality of a run.
    pub fn new(seed: u64, municipality: u32, stream: Stream) -> Rng {
        // Hashing spreads nearby seeds and indices over the whole key space.
        let mut h = Sha256::new();
        h.update(b"vidare-synth/v1");
        h.update(seed.to_le_bytes());
        h.update(municipality.to_le_bytes());
        let key: [u8; 32] = h.finalize().into();
        let mut rng = ChaCha8Rng::from_seed(key);
        rng.set_stream(stream as u64);
        Rng(rng)
    }

    /// 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform on [0, 1) with 53 bits of precision.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform integer in `0..n` (n > 0), by rejection so every value is equally likely.
    pub fn below(&mut self, n: u64) -> u64 {
        debug_assert!(n > 0);
        let zone = u64::MAX - (u64::MAX - n + 1) % n;
        loop {
            let x = self.next_u64();
            if x <= zone {
                return x % n;
            }
        }
    }

    /// Uniform integer in `lo..=hi`.
    pub fn between(&mut self, lo: i64, hi: i64) -> i64 {
        debug_assert!(lo <= hi);
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.uniform() < p
    }

    /// Standard normal, by Box–Muller (one of the pair is discarded to keep the stream
    /// simple to reason about).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.uniform(); // (0, 1]
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Exponential with the given mean.
    pub fn exponential(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.uniform()).ln()
    }

    /// Poisson with mean `lambda`: exact (Knuth) for small means, a rounded normal
    /// approximation for large ones, where the difference is immaterial.
    pub fn poisson(&mut self, lambda: f64) -> u64 {
        if lambda <= 0.0 {
            return 0;
        }
        if lambda > 50.0 {
            let x = lambda + lambda.sqrt() * self.normal();
            return x.round().max(0.0) as u64;
        }
        let limit = (-lambda).exp();
        let mut k = 0;
        let mut p = self.uniform();
        while p > limit {
            k += 1;
            p *= self.uniform();
        }
        k
    }

    /// Binomial(n, p) by counting, for the small n (working days in a month) used here.
    pub fn binomial(&mut self, n: u32, p: f64) -> u32 {
        (0..n).filter(|_| self.chance(p)).count() as u32
    }

    /// An index drawn with the given (non-negative, not all zero) weights.
    pub fn weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut x = self.uniform() * total;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        // Rounding can leave x a hair above the last weight.
        weights.iter().rposition(|w| *w > 0.0).unwrap_or(0)
    }

    /// A copy of one of `items`, uniformly.
    pub fn pick_copy<T: Copy>(&mut self, items: &[T]) -> T {
        *self.pick(items)
    }

    /// One of `items`, uniformly.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: Vec<u64> = {
            let mut r = Rng::new(1, 0, Stream::People);
            (0..4).map(|_| r.next_u64()).collect()
        };
        let b: Vec<u64> = {
            let mut r = Rng::new(1, 0, Stream::People);
            (0..4).map(|_| r.next_u64()).collect()
        };
        let c: Vec<u64> = {
            let mut r = Rng::new(1, 0, Stream::Operations);
            (0..4).map(|_| r.next_u64()).collect()
        };
        let d: Vec<u64> = {
            let mut r = Rng::new(1, 1, Stream::People);
            (0..4).map(|_| r.next_u64()).collect()
        };
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
    }

    #[test]
    fn distributions_have_their_moments() {
        let mut r = Rng::new(7, 0, Stream::People);
        let n = 200_000;
        let (mut s, mut s2, mut e, mut p) = (0.0, 0.0, 0.0, 0u64);
        for _ in 0..n {
            let z = r.normal();
            s += z;
            s2 += z * z;
            e += r.exponential(3.0);
            p += r.poisson(4.0);
        }
        let n = n as f64;
        assert!((s / n).abs() < 0.01);
        assert!((s2 / n - 1.0).abs() < 0.02);
        assert!((e / n - 3.0).abs() < 0.05);
        assert!((p as f64 / n - 4.0).abs() < 0.03);
        let mut counts = [0u32; 3];
        for _ in 0..30_000 {
            counts[r.weighted(&[1.0, 2.0, 0.0])] += 1;
        }
        assert_eq!(counts[2], 0);
        assert!((counts[1] as f64 / counts[0] as f64 - 2.0).abs() < 0.1);
        for _ in 0..1000 {
            assert!((3..=5).contains(&r.between(3, 5)));
        }
    }
}
