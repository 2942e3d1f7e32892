//! Nearest-neighbour matching on a scalar score (the logit of the propensity score)
//! with replacement, a caliper and exact strata, and the Abadie–Imbens variance of the
//! matched estimate of the average effect on the treated.
//!
//! **Matching.** Every treated unit is matched to the comparison unit(s) of its own
//! stratum whose score is nearest, *with replacement* (a comparison unit may serve
//! several treated). Ties are kept, as in Abadie & Imbens (2006) and Stata's
//! `teffects`: all comparison units at exactly the nearest distance share the match
//! equally (weight `1/|J(i)|` each). A treated unit whose nearest distance exceeds the
//! caliper is not matched and leaves the estimate (it is reported as off common
//! support). Comparison units are sorted once by (stratum, score) and grouped into
//! blocks of equal scores; each treated unit finds its block by binary search, so
//! matching costs `O(n log n)` whatever the number of ties.
//!
//! **Estimate.** `τ̂ = (1/N₁) Σ_{i matched} (Yᵢ − Ŷᵢ(0))`, `Ŷᵢ(0)` the weighted mean of
//! the outcome over the matched comparison units.
//!
//! **Variance.** Abadie & Imbens (2006) / Abadie, Drukker, Herr & Imbens (2004), for the
//! population average effect on the treated with `M = 1` and ties:
//!
//! ```text
//! V̂ = (1/N₁²) [ Σ_{i treated} (Yᵢ − Ŷᵢ(0) − τ̂)²  +  Σ_{j comparison} (Kⱼ² − K′ⱼ) σ̂²ⱼ ]
//! ```
//!
//! with `Kⱼ = Σᵢ wᵢⱼ` (how often `j` is used, as a weight) and `K′ⱼ = Σᵢ wᵢⱼ²`. The
//! conditional variance `σ̂²ⱼ` of a comparison unit is estimated by matching it to its
//! nearest *other* comparison units in the same stratum (`J` of them, all ties):
//! `J/(J+1) · (Yⱼ − Ȳ_J)²`; inside a block of `B ≥ 2` equal scores this sums to
//! `B · s²` with `s²` the block's sample variance, which is what is used. A comparison
//! unit alone in its stratum borrows the variance of all comparison units. The
//! variance treats the propensity score as known (no Abadie–Imbens 2016 adjustment for
//! its estimation; for the effect on the treated that adjustment can go either way —
//! the recovery test across seeds checks the resulting coverage).

/// A comparison block: comparison units of one stratum with the same score.
#[derive(Debug, Clone, Copy)]
struct Block {
    /// Range in `order`.
    start: u32,
    end: u32,
    score: f64,
    stratum: u32,
}

/// A treated unit's match: one block, or two equidistant blocks.
#[derive(Debug, Clone, Copy)]
enum Match {
    None,
    One(u32),
    Two(u32, u32),
}

/// The result of matching.
#[derive(Debug, Clone)]
pub struct Matching {
    /// Comparison units (indices into the inputs), sorted by (stratum, score).
    order: Vec<u32>,
    blocks: Vec<Block>,
    /// Per stratum, the range of its blocks.
    stratum_blocks: Vec<(u32, u32)>,
    /// Treated units (indices into the inputs) and their matches.
    treated: Vec<(u32, Match)>,
    /// Σᵢ wᵢⱼ per block (the same for every unit of the block), and Σᵢ wᵢⱼ².
    block_k: Vec<f64>,
    block_k2: Vec<f64>,
    /// Distance to the nearest comparison unit of every treated unit (∞ if none).
    pub nearest_distance: Vec<f64>,
}

/// Counts describing a matching.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MatchCounts {
    pub treated: usize,
    pub matched: usize,
    /// Treated without a comparison unit within the caliper (or none in their stratum).
    pub unmatched: usize,
    /// Distinct comparison units used.
    pub controls_used: usize,
    /// `(Σ K)² / Σ K²` over comparison units: the effective number of controls.
    pub effective_controls: f64,
    /// The largest weight a comparison unit carries (`max K`).
    pub max_weight: f64,
}

/// Matches every treated unit to its nearest comparison unit(s) within `caliper`
/// (an absolute distance on the score's scale; `f64::INFINITY` for none), within
/// strata. `stratum[i]` must be below `strata`. Scores must be finite.
pub fn nearest_neighbour(
    score: &[f64],
    treated: &[bool],
    stratum: &[u32],
    strata: usize,
    caliper: f64,
) -> Matching {
    let n = score.len();
    assert_eq!(treated.len(), n);
    assert_eq!(stratum.len(), n);
    // Sort (stratum, score, unit) triples held together: the comparisons then read
    // contiguous memory. The score's bits are mapped to an unsigned integer in the
    // order of `f64::total_cmp`.
    let ordered = |x: f64| {
        let b = x.to_bits();
        if b >> 63 == 1 {
            !b
        } else {
            b | 1 << 63
        }
    };
    let mut triples: Vec<(u32, u64, u32)> = (0..n)
        .filter(|&i| !treated[i])
        .map(|i| (stratum[i], ordered(score[i]), i as u32))
        .collect();
    triples.sort_unstable();
    let order: Vec<u32> = triples.iter().map(|t| t.2).collect();
    drop(triples);
    let mut blocks = Vec::new();
    let mut stratum_blocks = vec![(0u32, 0u32); strata];
    let mut k = 0usize;
    while k < order.len() {
        let h = stratum[order[k] as usize];
        let first_block = blocks.len() as u32;
        while k < order.len() && stratum[order[k] as usize] == h {
            let s = score[order[k] as usize];
            let start = k;
            while k < order.len()
                && stratum[order[k] as usize] == h
                && score[order[k] as usize] == s
            {
                k += 1;
            }
            blocks.push(Block {
                start: start as u32,
                end: k as u32,
                score: s,
                stratum: h,
            });
        }
        stratum_blocks[h as usize] = (first_block, blocks.len() as u32);
    }

    let mut block_k = vec![0.0; blocks.len()];
    let mut block_k2 = vec![0.0; blocks.len()];
    let mut matches = Vec::new();
    let mut nearest_distance = Vec::new();
    for i in 0..n {
        if !treated[i] {
            continue;
        }
        let s = score[i];
        let (b0, b1) = stratum_blocks[stratum[i] as usize];
        let slice = &blocks[b0 as usize..b1 as usize];
        let pos = slice.partition_point(|b| b.score < s);
        let left = pos.checked_sub(1).map(|p| (p, s - slice[p].score));
        let right = (pos < slice.len()).then(|| (pos, slice[pos].score - s));
        let (m, d) = match (left, right) {
            (None, None) => (Match::None, f64::INFINITY),
            (Some((l, dl)), None) => (Match::One(b0 + l as u32), dl),
            (None, Some((r, dr))) => (Match::One(b0 + r as u32), dr),
            (Some((l, dl)), Some((r, dr))) => {
                if dl < dr {
                    (Match::One(b0 + l as u32), dl)
                } else if dr < dl {
                    (Match::One(b0 + r as u32), dr)
                } else {
                    (Match::Two(b0 + l as u32, b0 + r as u32), dl)
                }
            }
        };
        nearest_distance.push(d);
        let m = if d > caliper { Match::None } else { m };
        let size = |b: u32| (blocks[b as usize].end - blocks[b as usize].start) as f64;
        match m {
            Match::None => {}
            Match::One(b) => {
                let w = 1.0 / size(b);
                block_k[b as usize] += w;
                block_k2[b as usize] += w * w;
            }
            Match::Two(a, b) => {
                let w = 1.0 / (size(a) + size(b));
                for x in [a, b] {
                    block_k[x as usize] += w;
                    block_k2[x as usize] += w * w;
                }
            }
        }
        matches.push((i as u32, m));
    }
    Matching {
        order,
        blocks,
        stratum_blocks,
        treated: matches,
        block_k,
        block_k2,
        nearest_distance,
    }
}

/// The matched estimate of one outcome.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MatchedEffect {
    /// Mean outcome of the matched treated.
    pub treated_mean: f64,
    /// Mean of their matched comparison outcomes (the counterfactual).
    pub counterfactual_mean: f64,
    /// `treated_mean − counterfactual_mean`.
    pub att: f64,
    /// Abadie–Imbens standard error.
    pub std_error: f64,
}

impl Matching {
    /// Counts of the matching.
    pub fn counts(&self) -> MatchCounts {
        let matched = self
            .treated
            .iter()
            .filter(|(_, m)| !matches!(m, Match::None))
            .count();
        let (mut sum_k, mut sum_k_sq, mut used, mut max_k) = (0.0, 0.0, 0usize, 0.0f64);
        for (b, &k) in self.blocks.iter().zip(&self.block_k) {
            if k > 0.0 {
                let size = (b.end - b.start) as f64;
                used += (b.end - b.start) as usize;
                sum_k += size * k;
                sum_k_sq += size * k * k;
                max_k = max_k.max(k);
            }
        }
        MatchCounts {
            treated: self.treated.len(),
            matched,
            unmatched: self.treated.len() - matched,
            controls_used: used,
            effective_controls: if sum_k_sq > 0.0 {
                sum_k * sum_k / sum_k_sq
            } else {
                0.0
            },
            max_weight: max_k,
        }
    }

    /// Calls `f(unit, weight)` for every matched treated unit (weight 1) and every used
    /// comparison unit (weight `Kⱼ`): the matched sample, for balance checks.
    /// `f(unit, weight, treated)`.
    pub fn for_each_weighted(&self, mut f: impl FnMut(usize, f64, bool)) {
        for &(i, m) in &self.treated {
            if !matches!(m, Match::None) {
                f(i as usize, 1.0, true);
            }
        }
        for (b, &k) in self.blocks.iter().zip(&self.block_k) {
            if k > 0.0 {
                for &j in &self.order[b.start as usize..b.end as usize] {
                    f(j as usize, k, false);
                }
            }
        }
    }

    /// Whether treated unit `i` (an input index) was matched.
    pub fn matched_treated(&self) -> impl Iterator<Item = usize> + '_ {
        self.treated
            .iter()
            .filter(|(_, m)| !matches!(m, Match::None))
            .map(|&(i, _)| i as usize)
    }

    /// The matched estimate of the average effect on the treated for outcome `y`
    /// (indexed like the inputs), with its Abadie–Imbens standard error. None when no
    /// treated unit was matched.
    pub fn effect(&self, y: &[f64]) -> Option<MatchedEffect> {
        let y1: Vec<[f64; 1]> = y.iter().map(|&v| [v]).collect();
        self.effects(&y1).map(|[e]| e)
    }

    /// [`Matching::effect`] for `K` outcomes at once (`y[i][k]` is outcome `k` of unit
    /// `i`): one pass over the matched sample instead of `K`.
    pub fn effects<const K: usize>(&self, y: &[[f64; K]]) -> Option<[MatchedEffect; K]> {
        // Per block: Σ y, Σ y².
        let nb = self.blocks.len();
        let mut sum = vec![[0.0; K]; nb];
        let mut sum_sq = vec![[0.0; K]; nb];
        let (mut all, mut all_sq, mut all_n) = ([0.0; K], [0.0; K], 0.0);
        for (b, blk) in self.blocks.iter().enumerate() {
            for &j in &self.order[blk.start as usize..blk.end as usize] {
                let v = &y[j as usize];
                for k in 0..K {
                    sum[b][k] += v[k];
                    sum_sq[b][k] += v[k] * v[k];
                }
            }
            for k in 0..K {
                all[k] += sum[b][k];
                all_sq[k] += sum_sq[b][k];
            }
            all_n += (blk.end - blk.start) as f64;
        }
        let size = |b: u32| (self.blocks[b as usize].end - self.blocks[b as usize].start) as f64;
        let mut n1 = 0.0;
        let mut diffs: Vec<[f64; K]> = Vec::with_capacity(self.treated.len());
        let (mut sum_t, mut sum_c) = ([0.0; K], [0.0; K]);
        for &(i, m) in &self.treated {
            let mut y0 = [0.0; K];
            match m {
                Match::None => continue,
                Match::One(b) => {
                    for k in 0..K {
                        y0[k] = sum[b as usize][k] / size(b);
                    }
                }
                Match::Two(a, b) => {
                    for k in 0..K {
                        y0[k] = (sum[a as usize][k] + sum[b as usize][k]) / (size(a) + size(b));
                    }
                }
            }
            let y1 = &y[i as usize];
            n1 += 1.0;
            let mut d = [0.0; K];
            for k in 0..K {
                sum_t[k] += y1[k];
                sum_c[k] += y0[k];
                d[k] = y1[k] - y0[k];
            }
            diffs.push(d);
        }
        if n1 == 0.0 {
            return None;
        }
        let att: [f64; K] = std::array::from_fn(|k| (sum_t[k] - sum_c[k]) / n1);
        let mut treated_part = [0.0; K];
        for d in &diffs {
            for k in 0..K {
                treated_part[k] += (d[k] - att[k]) * (d[k] - att[k]);
            }
        }
        // Variance of the comparison units' outcomes, for those alone in their stratum.
        let pooled_var: [f64; K] = std::array::from_fn(|k| {
            if all_n > 1.0 {
                ((all_sq[k] - all[k] * all[k] / all_n) / (all_n - 1.0)).max(0.0)
            } else {
                0.0
            }
        });
        let mut control_part = [0.0; K];
        for (b, blk) in self.blocks.iter().enumerate() {
            let kw = self.block_k[b];
            let factor = kw * kw - self.block_k2[b];
            if factor <= 0.0 {
                continue;
            }
            let bsize = (blk.end - blk.start) as f64;
            for k in 0..K {
                // Σ over the block's units of σ̂²ⱼ.
                let sigma_sum = if bsize >= 2.0 {
                    let s2 =
                        ((sum_sq[b][k] - sum[b][k] * sum[b][k] / bsize) / (bsize - 1.0)).max(0.0);
                    bsize * s2
                } else {
                    let j = self.order[blk.start as usize] as usize;
                    self.singleton_sigma2(b, y[j][k], |x| sum[x][k])
                        .unwrap_or(pooled_var[k])
                };
                control_part[k] += factor * sigma_sum;
            }
        }
        Some(std::array::from_fn(|k| MatchedEffect {
            treated_mean: sum_t[k] / n1,
            counterfactual_mean: sum_c[k] / n1,
            att: att[k],
            std_error: ((treated_part[k] + control_part[k]) / (n1 * n1)).sqrt(),
        }))
    }

    /// `J/(J+1) (Yⱼ − Ȳ_J)²` for the single unit of block `b`, `J` its nearest other
    /// comparison units in the stratum (the nearest neighbouring block, or both when
    /// equidistant; `sum(x)` is block `x`'s outcome sum). None when the stratum has no
    /// other comparison unit.
    fn singleton_sigma2(&self, b: usize, yj: f64, sum: impl Fn(usize) -> f64) -> Option<f64> {
        let blk = self.blocks[b];
        let (s, e) = self.stratum_blocks[blk.stratum as usize];
        let left = (b > s as usize).then(|| b - 1);
        let right = (b + 1 < e as usize).then(|| b + 1);
        let dist = |x: usize| (self.blocks[x].score - blk.score).abs();
        let size = |x: usize| (self.blocks[x].end - self.blocks[x].start) as f64;
        let (j, total) = match (left, right) {
            (None, None) => return None,
            (Some(x), None) | (None, Some(x)) => (size(x), sum(x)),
            (Some(l), Some(r)) => {
                if dist(l) < dist(r) {
                    (size(l), sum(l))
                } else if dist(r) < dist(l) {
                    (size(r), sum(r))
                } else {
                    (size(l) + size(r), sum(l) + sum(r))
                }
            }
        };
        let mean = total / j;
        Some(j / (j + 1.0) * (yj - mean) * (yj - mean))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_nearest_within_caliper_and_keeps_ties() {
        // Units: treated at 0.0, 1.0, 5.0; controls at -0.1, 0.1, 0.1, 1.3, 10.0.
        let score = [0.0, 1.0, 5.0, -0.1, 0.1, 0.1, 1.3, 10.0];
        let treated = [true, true, true, false, false, false, false, false];
        let stratum = [0; 8];
        let m = nearest_neighbour(&score, &treated, &stratum, 1, 0.5);
        let c = m.counts();
        assert_eq!(c.treated, 3);
        assert_eq!(c.matched, 2); // 5.0 is 3.7 from 1.3: beyond the caliper
                                  // Treated 0.0: -0.1 and the two 0.1 are all 0.1 away → three-way tie.
                                  // Treated 1.0: 1.3 (0.3 away).
        assert_eq!(c.controls_used, 4);
        let y = [1.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0];
        let e = m.effect(&y).unwrap();
        // Ŷ(0) for unit 0: (0 + 1 + 0)/3; for unit 1: 0.
        assert!((e.counterfactual_mean - (1.0 / 3.0) / 2.0).abs() < 1e-12);
        assert!((e.att - (1.0 - 1.0 / 6.0)).abs() < 1e-12);
    }

    #[test]
    fn strata_are_matched_separately() {
        let score = [0.0, 0.0, 0.05, 3.0];
        let treated = [true, true, false, false];
        let stratum = [0, 1, 0, 1];
        let m = nearest_neighbour(&score, &treated, &stratum, 2, f64::INFINITY);
        let y = [1.0, 1.0, 0.0, 1.0];
        let e = m.effect(&y).unwrap();
        assert_eq!(e.counterfactual_mean, 0.5);
        // Stratum 0's control is 0.05 away but stratum 1's treated must use 3.0.
        assert_eq!(m.nearest_distance, vec![0.05, 3.0]);
    }

    #[test]
    fn variance_matches_the_abadie_imbens_formula_by_hand() {
        // One stratum; treated at 0, 0, 2; controls at 0 (y 1), 0 (y 0), 2 (y 1), 2.5 (y 0).
        let score = [0.0, 0.0, 2.0, 0.0, 0.0, 2.0, 2.5];
        let treated = [true, true, true, false, false, false, false];
        let y = [1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0];
        let m = nearest_neighbour(&score, &treated, &[0; 7], 1, f64::INFINITY);
        let e = m.effect(&y).unwrap();
        // Ŷ(0): 0.5, 0.5, 1 → diffs 0.5, -0.5, 0 → τ = 0.
        assert!((e.att - 0.0).abs() < 1e-15);
        // Treated part: 0.25 + 0.25 + 0 = 0.5.
        // Block {3,4}: K = 2 × 1/2 = 1 per unit, K' = 2 × 1/4 = 0.5 → K² − K' = 0.5;
        //   Σσ̂² = B s² = 2 × 0.5 = 1 → 0.5.
        // Block {5}: K = 1, K' = 1 → 0.
        let v: f64 = (0.5 + 0.5) / 9.0;
        assert!((e.std_error - v.sqrt()).abs() < 1e-15);
    }

    #[test]
    fn nothing_matched_gives_no_effect() {
        let m = nearest_neighbour(&[0.0, 9.0], &[true, false], &[0, 0], 1, 1.0);
        assert_eq!(m.counts().unmatched, 1);
        assert!(m.effect(&[1.0, 0.0]).is_none());
    }
}
