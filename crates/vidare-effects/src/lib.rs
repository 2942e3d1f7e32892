//! Effect measurement for Vidare (issue 7): what the placements achieve and what the
//! money buys. Pure computation over a columnar [`data::EffectsData`]; loading it is the
//! store's job (`vidare_store::repo::effects`), so this crate does no I/O.
//!
//! Every figure that can lack data is a [`Figure`]: either a value or
//! [`Figure::Insufficient`] with a reason a reader can understand — never a made-up
//! number and never a panic.

pub mod counterfactual;
pub mod data;

pub use data::EffectsData;
pub mod costs;
pub mod outcomes;
pub mod socioeconomic;
pub mod sroi;
pub mod stability;
pub mod stats;
pub mod summary;
pub mod survival;
pub mod variety;

use serde::Serialize;

/// Why a figure could not be computed, in Swedish and English.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    /// A stable machine-readable code (`empty_group`, `no_events`, …).
    pub code: &'static str,
    pub sv: String,
    pub en: String,
}

impl Reason {
    /// A reason with its code and both languages.
    pub fn new(code: &'static str, sv: impl Into<String>, en: impl Into<String>) -> Reason {
        Reason {
            code,
            sv: sv.into(),
            en: en.into(),
        }
    }
}

/// A computed figure, or the explanation why there is too little data for it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Figure<T> {
    Value(T),
    Insufficient { reason: Reason },
}

impl<T> Figure<T> {
    /// The value, if there is one.
    pub fn value(&self) -> Option<&T> {
        match self {
            Figure::Value(v) => Some(v),
            Figure::Insufficient { .. } => None,
        }
    }

    /// The value, if there is one, by value.
    pub fn into_value(self) -> Option<T> {
        match self {
            Figure::Value(v) => Some(v),
            Figure::Insufficient { .. } => None,
        }
    }

    /// The reason, if insufficient.
    pub fn reason(&self) -> Option<&Reason> {
        match self {
            Figure::Value(_) => None,
            Figure::Insufficient { reason } => Some(reason),
        }
    }

    /// Maps the value.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Figure<U> {
        match self {
            Figure::Value(v) => Figure::Value(f(v)),
            Figure::Insufficient { reason } => Figure::Insufficient { reason },
        }
    }

    /// An insufficient figure.
    pub fn insufficient(code: &'static str, sv: impl Into<String>, en: impl Into<String>) -> Self {
        Figure::Insufficient {
            reason: Reason::new(code, sv, en),
        }
    }
}
