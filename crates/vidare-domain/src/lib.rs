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
