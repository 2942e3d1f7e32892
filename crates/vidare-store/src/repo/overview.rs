//! The tenant-wide counts the overview page shows, in one round trip.

use chrono::NaiveDate;

use crate::{with_pool, Scoped, StoreError};

/// How much a tenant holds: the overview page's figures for the municipality's roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overview {
    pub participants: i64,
    pub organisations: i64,
    /// Framework agreements in force on the day asked about.
    pub agreements_in_force: i64,
    pub rounds: i64,
    pub placement_types: i64,
}

impl Scoped<'_> {
    /// The overview's counts as of `today`, read in one statement so that the figures
    /// are from one snapshot, and kept until the tenant's next recorded change
    /// (`cache::StampedCache`): a view of an unchanged tenant costs one primary-key read.
    pub async fn overview(&self, today: NaiveDate) -> Result<Overview, StoreError> {
        let stamp = self.data_position().await?;
        let key = (self.tid(), today);
        if let Some(o) = self.store().overviews().get(&key, stamp) {
            return Ok(o);
        }
        let row: (i64, i64, i64, i64, i64) = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT \
                 (SELECT COUNT(*) FROM participants WHERE tenant_id = $1), \
                 (SELECT COUNT(*) FROM organisations WHERE tenant_id = $1), \
                 (SELECT COUNT(*) FROM framework_agreements WHERE tenant_id = $1 \
                    AND start_date <= $2 AND (end_date IS NULL OR end_date >= $2)), \
                 (SELECT COUNT(*) FROM procurement_rounds WHERE tenant_id = $1), \
                 (SELECT COUNT(*) FROM placement_types WHERE tenant_id = $1)",
            )
            .bind(self.tid())
            .bind(today)
            .fetch_one(pool)
            .await?
        });
        let o = Overview {
            participants: row.0,
            organisations: row.1,
            agreements_in_force: row.2,
            rounds: row.3,
            placement_types: row.4,
        };
        self.store().overviews().put(key, stamp, o);
        Ok(o)
    }
}
