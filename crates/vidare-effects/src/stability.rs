//! Supplier income stability — Vidare's definitions (BRIEF §6):
//!
//! For each supplier and period, the **window** is every calendar month in which the
//! supplier held an agreement of that period (from the agreement's start to its end or
//! the data's last month). In the window:
//! - **monthly income**: invoiced amounts for the month under the period's agreements;
//! - **volatility**: coefficient of variation `sd / mean` of the monthly incomes (sample
//!   sd, n − 1), months without income counted as 0;
//! - **months without income**: window months with no invoiced amount;
//! - **share of turnover**: income per year (window total × 12 / window months) over the
//!   declared annual turnover, where declared.

use std::collections::HashMap;

use serde::Serialize;

use crate::data::{month_label, month_of_day, EffectsData};
use crate::stats::{median, spread, Spread};
use crate::Figure;

/// One supplier's income in one period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SupplierIncome {
    pub supplier: u32,
    pub name: String,
    pub first_month: String,
    pub window_months: u32,
    pub total_ore: i64,
    pub months_without_income: u32,
    pub volatility: Figure<Spread>,
    pub share_of_turnover: Option<f64>,
    /// Income per window month, öre, from `first_month` on.
    pub monthly_ore: Vec<i64>,
}

/// Stability over all suppliers in one period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StabilityFigures {
    pub suppliers: Vec<SupplierIncome>,
    pub median_cv: Figure<f64>,
    pub mean_months_without_income: Figure<f64>,
    pub median_share_of_turnover: Figure<f64>,
    /// Sum over suppliers per month: (`YYYY-MM`, öre).
    pub monthly_total: Vec<(String, i64)>,
}

/// Stability for the agreements in `agreements` (indices; one period).
pub fn stability(data: &EffectsData, agreements: &[u32]) -> StabilityFigures {
    let last_month = month_of_day(data.as_of);
    // Window per supplier: [first, last] month, as a set of months.
    let mut windows: HashMap<u32, Vec<bool>> = HashMap::new();
    let mut first: HashMap<u32, i32> = HashMap::new();
    let mut span: Vec<(u32, i32, i32)> = Vec::new();
    let in_period: std::collections::HashSet<u32> = agreements.iter().copied().collect();
    for &a in agreements {
        let a = a as usize;
        let s = data.agreements.supplier[a];
        let from = month_of_day(data.agreements.start[a]);
        let to = data.agreements.end[a]
            .map(month_of_day)
            .unwrap_or(last_month)
            .min(last_month);
        if to < from {
            continue;
        }
        span.push((s, from, to));
        let f = first.entry(s).or_insert(from);
        *f = (*f).min(from);
    }
    let mut last: HashMap<u32, i32> = HashMap::new();
    for &(s, _, to) in &span {
        let l = last.entry(s).or_insert(to);
        *l = (*l).max(to);
    }
    for &(s, from, to) in &span {
        let f = first[&s];
        let w = windows
            .entry(s)
            .or_insert_with(|| vec![false; (last[&s] - f + 1) as usize]);
        for m in from..=to {
            w[(m - f) as usize] = true;
        }
    }
    let mut income: HashMap<u32, Vec<i64>> = windows
        .iter()
        .map(|(&s, w)| (s, vec![0i64; w.len()]))
        .collect();
    let mut totals: std::collections::BTreeMap<i32, i64> = Default::default();
    let pay = &data.payments;
    for r in 0..pay.len() {
        if !in_period.contains(&pay.agreement[r]) {
            continue;
        }
        let s = pay.supplier[r];
        *totals.entry(pay.month[r]).or_default() += pay.amount_ore[r];
        if let (Some(v), Some(&f)) = (income.get_mut(&s), first.get(&s)) {
            let k = pay.month[r] - f;
            if k >= 0 && (k as usize) < v.len() {
                v[k as usize] += pay.amount_ore[r];
            }
        }
    }
    let mut suppliers: Vec<SupplierIncome> = windows
        .iter()
        .map(|(&s, w)| {
            let inc = &income[&s];
            let months: Vec<f64> = w
                .iter()
                .zip(inc)
                .filter(|(inw, _)| **inw)
                .map(|(_, &v)| v as f64)
                .collect();
            let window_months = months.len() as u32;
            let total: i64 = w.iter().zip(inc).filter(|(i, _)| **i).map(|(_, v)| v).sum();
            let share = data.suppliers.annual_turnover_ore[s as usize]
                .filter(|&t| t > 0 && window_months > 0)
                .map(|t| total as f64 * 12.0 / window_months as f64 / t as f64);
            SupplierIncome {
                supplier: s,
                name: data.suppliers.name[s as usize].clone(),
                first_month: month_label(first[&s]),
                window_months,
                total_ore: total,
                months_without_income: months.iter().filter(|&&v| v <= 0.0).count() as u32,
                volatility: spread(&months),
                share_of_turnover: share,
                monthly_ore: inc.clone(),
            }
        })
        .collect();
    suppliers.sort_by(|a, b| a.name.cmp(&b.name).then(a.supplier.cmp(&b.supplier)));
    let none = |what: &str| -> Figure<f64> {
        Figure::insufficient(
            "no_suppliers",
            format!("Inga leverantörer med {what} i perioden."),
            format!(
                "No suppliers with {} in the period.",
                match what {
                    "beräkningsbar variation" => "a computable volatility",
                    "deklarerad omsättning" => "declared turnover",
                    _ => "agreements",
                }
            ),
        )
    };
    let mut cvs: Vec<f64> = suppliers
        .iter()
        .filter_map(|s| s.volatility.value().map(|v| v.cv))
        .collect();
    let mut shares: Vec<f64> = suppliers
        .iter()
        .filter_map(|s| s.share_of_turnover)
        .collect();
    let median_cv = median(&mut cvs)
        .map(Figure::Value)
        .unwrap_or_else(|| none("beräkningsbar variation"));
    let median_share = median(&mut shares)
        .map(Figure::Value)
        .unwrap_or_else(|| none("deklarerad omsättning"));
    let mean_without = if suppliers.is_empty() {
        none("avtal")
    } else {
        Figure::Value(
            suppliers
                .iter()
                .map(|s| s.months_without_income as f64)
                .sum::<f64>()
                / suppliers.len() as f64,
        )
    };
    StabilityFigures {
        suppliers,
        median_cv,
        mean_months_without_income: mean_without,
        median_share_of_turnover: median_share,
        monthly_total: totals
            .into_iter()
            .map(|(m, v)| (month_label(m), v))
            .collect(),
    }
}
