//! Vidare's domain: the types and rules of reserved procurement of employment
//! placements, the placements themselves and their outcomes.
//!
//! Nothing here does I/O. Every type is built through a constructor that checks
//! its invariants ("parse, don't validate"), so a value that exists is valid.
//! Storage, web and exchange crates convert to and from these types at their edges.

pub mod calendar;
pub mod deadline;
pub mod ids;
pub mod lang;
pub mod luhn;
pub mod model;
pub mod money;
pub mod orgnr;
pub mod period;
pub mod personnummer;

pub use lang::{Lang, Localized};

/// A value with the line of the file it came from, so that errors found later (a key
/// already stored, say) can point the user at the right line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Numbered<T> {
    /// The 1-based line in the source file (the header is line 1).
    pub line: u64,
    pub row: T,
}
