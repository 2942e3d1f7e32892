//! Repository methods, one module per part of the domain. Tenants are global; every
//! other method hangs off [`crate::Scoped`] and is limited to its tenant.

pub mod auth;
pub mod casework;
pub mod effects;
pub mod invoices;
pub mod open_data;
pub mod organisations;
pub mod overview;
pub mod participants;
pub mod placements;
pub mod procurement;
pub mod research;
pub mod tenants;
pub mod tendering;
pub mod users;

/// A page of a list: `limit` rows after skipping `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub limit: u32,
    pub offset: u32,
}

impl Page {
    /// The first `limit` rows.
    pub fn first(limit: u32) -> Page {
        Page { limit, offset: 0 }
    }
}

impl Default for Page {
    fn default() -> Self {
        Page::first(100)
    }
}
