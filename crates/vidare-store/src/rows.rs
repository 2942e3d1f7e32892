//! Conversions between stored columns and domain values. A stored value that no longer
//! satisfies the domain's rules is reported as [`StoreError::Corrupt`] rather than
//! silently accepted.

use crate::StoreError;

/// Converts a stored value with a domain parser, naming the row if it fails.
pub(crate) fn conv<T, E: std::fmt::Display>(
    entity: &'static str,
    id: i64,
    result: Result<T, E>,
) -> Result<T, StoreError> {
    result.map_err(|e| StoreError::Corrupt {
        entity,
        id,
        reason: e.to_string(),
    })
}

/// A non-negative count stored as BIGINT.
pub(crate) fn count(entity: &'static str, id: i64, v: i64) -> Result<u32, StoreError> {
    conv(entity, id, u32::try_from(v))
}

/// A non-negative count for binding.
pub(crate) fn int(v: u32) -> i64 {
    i64::from(v)
}
