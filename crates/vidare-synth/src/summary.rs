//! What a reviewer checks in a generated data set: sizes, outcome shares by period,
//! prices, eligibility failures, and the content hash.

use std::fmt;

use serde::Serialize;
use vidare_domain::model::organisation::Headcount;

use crate::municipality::Municipality;
use crate::rows::Table;
use crate::Scale;

/// Counts for one group of registrants.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Group {
    pub people: u64,
    /// With the main outcome (work or studies within 12 months).
    pub outcome: u64,
    pub exits: u64,
    pub exits_to_work_or_studies: u64,
}

impl Group {
    fn share(a: u64, b: u64) -> f64 {
        if b == 0 {
            0.0
        } else {
            a as f64 / b as f64
        }
    }
}

/// The summary of a run.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub scale: &'static str,
    pub seed: u64,
    pub content_sha256: String,
    pub municipalities: u64,
    pub population: u64,
    pub rows: Vec<(&'static str, u64)>,
    pub baseline_placed: Group,
    pub reform_placed: Group,
    pub pool_baseline: Group,
    pub pool_reform: Group,
    pub placed_per_year: Vec<(i32, u64)>,
    /// Price per placement-month (öre) of the reserved round's agreements.
    pub reserved_prices: Vec<i64>,
    pub old_prices: Vec<i64>,
    pub tendered_prices: Vec<i64>,
    pub organisations: u64,
    pub organisations_below_share_test: u64,
    pub bids: u64,
    pub bids_failing_share_test: u64,
    pub bids_failing_purpose_test: u64,
    pub invoiced_ore_by_year: Vec<(i32, i64)>,
    pub placement_months_invoiced: u64,
    pub true_att: f64,
}

impl Summary {
    /// An empty summary.
    pub fn new(scale: Scale, seed: u64) -> Summary {
        Summary {
            scale: scale.as_str(),
            seed,
            content_sha256: String::new(),
            municipalities: 0,
            population: 0,
            rows: Table::ALL.iter().map(|t| (t.name(), 0)).collect(),
            baseline_placed: Group::default(),
            reform_placed: Group::default(),
            pool_baseline: Group::default(),
            pool_reform: Group::default(),
            placed_per_year: (2021..=2024).map(|y| (y, 0)).collect(),
            reserved_prices: Vec::new(),
            old_prices: Vec::new(),
            tendered_prices: Vec::new(),
            organisations: 0,
            organisations_below_share_test: 0,
            bids: 0,
            bids_failing_share_test: 0,
            bids_failing_purpose_test: 0,
            invoiced_ore_by_year: (2021..=2025).map(|y| (y, 0)).collect(),
            placement_months_invoiced: 0,
            true_att: 0.0,
        }
    }

    /// Adds a municipality.
    pub fn add(&mut self, m: &Municipality) {
        let t = &m.tables;
        self.municipalities += 1;
        self.population += u64::from(m.spec.population);
        for (i, n) in t.counts().iter().enumerate() {
            self.rows[i].1 += n;
        }
        for p in &m.people {
            let g = match (p.placed, p.reform_period) {
                (true, false) => &mut self.baseline_placed,
                (true, true) => &mut self.reform_placed,
                (false, false) => &mut self.pool_baseline,
                (false, true) => &mut self.pool_reform,
            };
            g.people += 1;
            g.outcome += u64::from(p.y());
            if let Some(e) = p.exit {
                g.exits += 1;
                g.exits_to_work_or_studies += u64::from(e.counts_as_work_or_studies());
            }
            if p.placed {
                let y = chrono::Datelike::year(&p.registered_on);
                if let Some(e) = self.placed_per_year.iter_mut().find(|(yy, _)| *yy == y) {
                    e.1 += 1;
                }
            }
        }
        for a in &t.agreements {
            if a.round_id.is_some() {
                self.reserved_prices.push(a.price_ore);
            } else {
                self.old_prices.push(a.price_ore);
            }
        }
        self.tendered_prices
            .extend(t.bid_lots.iter().map(|b| b.price_ore));
        self.organisations += t.organisations.len() as u64;
        self.organisations_below_share_test += t
            .organisations
            .iter()
            .filter(|o| {
                !Headcount::new(o.headcount_total, o.headcount_target)
                    .expect("valid")
                    .meets_share_test()
            })
            .count() as u64;
        self.bids += t.bids.len() as u64;
        self.bids_failing_share_test +=
            t.qualifications.iter().filter(|q| !q.share_pass).count() as u64;
        self.bids_failing_purpose_test +=
            t.qualifications.iter().filter(|q| !q.purpose_pass).count() as u64;
        for i in &t.invoices {
            let year: i32 = std::str::from_utf8(&i.month[..4])
                .expect("ASCII")
                .parse()
                .expect("year");
            if let Some(e) = self
                .invoiced_ore_by_year
                .iter_mut()
                .find(|(y, _)| *y == year)
            {
                e.1 += i.total_ore;
            }
        }
        self.placement_months_invoiced += t.invoice_lines.len() as u64;
    }

    /// Rows of a table.
    pub fn rows_of(&self, table: Table) -> u64 {
        self.rows[table as usize].1
    }

    /// Mean price per placement-month of the reserved round's agreements, in kronor.
    pub fn mean_reserved_price_kr(&self) -> f64 {
        mean(&self.reserved_prices) / 100.0
    }

    /// Share of exits to work or studies among placements of a group.
    pub fn exit_share(g: &Group) -> f64 {
        Group::share(g.exits_to_work_or_studies, g.exits)
    }

    /// Share with the main outcome in a group.
    pub fn outcome_share(g: &Group) -> f64 {
        Group::share(g.outcome, g.people)
    }
}

fn mean(v: &[i64]) -> f64 {
    if v.is_empty() {
        0.0
    } else {
        v.iter().sum::<i64>() as f64 / v.len() as f64
    }
}

fn quantiles(v: &[i64]) -> String {
    if v.is_empty() {
        return "–".into();
    }
    let mut s = v.to_vec();
    s.sort_unstable();
    let q = |p: f64| s[((s.len() - 1) as f64 * p).round() as usize] / 100;
    format!(
        "min {} | p10 {} | median {} | mean {:.0} | p90 {} | max {} kr (n = {})",
        q(0.0),
        q(0.1),
        q(0.5),
        mean(&s) / 100.0,
        q(0.9),
        q(1.0),
        s.len()
    )
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "scale {} | seed {} | content SHA-256 {}",
            self.scale, self.seed, self.content_sha256
        )?;
        writeln!(
            f,
            "municipalities {} | inhabitants {}",
            self.municipalities, self.population
        )?;
        writeln!(f, "\nrows")?;
        for (t, n) in &self.rows {
            writeln!(f, "  {t:<24} {n:>12}")?;
        }
        writeln!(f, "\nplaced participants by registration year")?;
        for (y, n) in &self.placed_per_year {
            writeln!(f, "  {y}: {n}")?;
        }
        writeln!(f, "\noutcomes by period (main outcome: work or studies within 12 months of registering; exits: share to work or studies)")?;
        for (label, g) in [
            ("placed the old way (2021–2022)", &self.baseline_placed),
            ("placed, reserved round (2023–)", &self.reform_placed),
            ("never placed, registered ≤ 2022", &self.pool_baseline),
            ("never placed, registered 2023–", &self.pool_reform),
        ] {
            writeln!(
                f,
                "  {label:<33} people {:>8} | outcome {:>5.1} % | exits {:>8} | to work or studies {:>5.1} %",
                g.people,
                100.0 * Summary::outcome_share(g),
                g.exits,
                100.0 * Summary::exit_share(g)
            )?;
        }
        let naive =
            Summary::outcome_share(&self.reform_placed) - Summary::outcome_share(&self.pool_reform);
        writeln!(
            f,
            "  true ATT {:+.1} pp | naive placed − never placed (2023–) {:+.1} pp | naive reserved − old way {:+.1} pp",
            100.0 * self.true_att,
            100.0 * naive,
            100.0 * (Summary::outcome_share(&self.reform_placed) - Summary::outcome_share(&self.baseline_placed))
        )?;
        writeln!(f, "\nprices per placement-month")?;
        writeln!(
            f,
            "  reserved round agreements  {}",
            quantiles(&self.reserved_prices)
        )?;
        writeln!(
            f,
            "  all tenders                {}",
            quantiles(&self.tendered_prices)
        )?;
        writeln!(
            f,
            "  the old way                {}",
            quantiles(&self.old_prices)
        )?;
        writeln!(
            f,
            "  per place and year (reserved mean × 12): {:.0} kr",
            12.0 * self.mean_reserved_price_kr()
        )?;
        writeln!(f, "\neligibility")?;
        writeln!(
            f,
            "  organisations {} | below the 30 % share test {}",
            self.organisations, self.organisations_below_share_test
        )?;
        writeln!(
            f,
            "  tenders {} | failing the share test {} | failing the purpose test {}",
            self.bids, self.bids_failing_share_test, self.bids_failing_purpose_test
        )?;
        writeln!(f, "\ninvoiced (excl. VAT)")?;
        for (y, ore) in &self.invoiced_ore_by_year {
            writeln!(f, "  {y}: {:.0} kr", *ore as f64 / 100.0)?;
        }
        Ok(())
    }
}
