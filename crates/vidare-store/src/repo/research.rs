//! Read-only loading of participant episodes for research exports. The identity number
//! is read only to derive the birth date (for age bands) and never leaves this module;
//! names are not read at all. The caller writes the access log and the audit entry (see
//! `vidare export research`).

use chrono::NaiveDate;
use vidare_domain::ids::{OrganisationId, ParticipantId, PlacementId};
use vidare_domain::model::participant::{Covariates, EducationLevel, Gender, SwedishLevel};
use vidare_domain::model::placement::{ExitOutcome, FollowUpPoint, FollowUpStatus};
use vidare_domain::model::procurement::LegalBasis;
use vidare_domain::personnummer::PersonalIdentityNumber;

use crate::rows::{conv, count};
use crate::{with_pool, Scoped, StoreError};

/// One placement with what a research export needs of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResearchEpisode {
    pub placement_id: PlacementId,
    pub participant_id: ParticipantId,
    pub organisation_id: OrganisationId,
    /// From the identity number; for an anonymised participant 1 July of the kept birth
    /// year.
    pub birth_date: NaiveDate,
    pub covariates: Covariates,
    pub registered_on: Option<NaiveDate>,
    pub placement_type_code: String,
    /// The legal basis of the round the agreement came from; `None` for agreements from
    /// before the rounds.
    pub legal_basis: Option<LegalBasis>,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub planned_end: NaiveDate,
    pub weekly_minutes: u32,
    pub exit: Option<(NaiveDate, ExitOutcome)>,
    pub follow_ups: Vec<(FollowUpPoint, FollowUpStatus)>,
}

#[derive(sqlx::FromRow)]
struct Row {
    placement_id: i64,
    participant_id: i64,
    organisation_id: i64,
    start_date: NaiveDate,
    end_date: Option<NaiveDate>,
    planned_end: NaiveDate,
    weekly_minutes: i64,
    personal_number: String,
    gender: String,
    born_abroad: bool,
    education: String,
    months_on_income_support: i64,
    health_limitation: bool,
    swedish_level: String,
    prior_work_experience: bool,
    registered_on: Option<NaiveDate>,
    placement_type: String,
    legal_basis: Option<String>,
    exit_date: Option<NaiveDate>,
    outcome: Option<String>,
}

impl Scoped<'_> {
    /// Every placement of the tenant with its participant's covariates, exit and
    /// follow-ups, by placement id.
    pub async fn research_episodes(&self) -> Result<Vec<ResearchEpisode>, StoreError> {
        let rows: Vec<Row> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT p.id AS placement_id, p.participant_id, p.organisation_id, p.start_date, \
                 p.end_date, p.planned_end, p.weekly_minutes, pa.personal_number, pa.gender, \
                 pa.born_abroad, pa.education, pa.months_on_income_support, pa.health_limitation, \
                 pa.swedish_level, pa.prior_work_experience, pa.registered_on, \
                 t.code AS placement_type, r.legal_basis, e.exit_date, e.outcome \
                 FROM placements p \
                 JOIN participants pa ON pa.tenant_id = p.tenant_id AND pa.id = p.participant_id \
                 JOIN framework_agreements a ON a.tenant_id = p.tenant_id AND a.id = p.agreement_id \
                 JOIN placement_types t ON t.tenant_id = a.tenant_id AND t.id = a.placement_type_id \
                 LEFT JOIN procurement_rounds r ON r.tenant_id = a.tenant_id AND r.id = a.round_id \
                 LEFT JOIN exits e ON e.tenant_id = p.tenant_id AND e.placement_id = p.id \
                 WHERE p.tenant_id = $1 ORDER BY p.id",
            )
            .bind(self.tid())
            .fetch_all(pool)
            .await?
        });
        let follow_rows: Vec<(i64, String, String)> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT e.placement_id, f.point, f.status FROM follow_ups f \
                 JOIN exits e ON e.tenant_id = f.tenant_id AND e.id = f.exit_id \
                 WHERE f.tenant_id = $1 ORDER BY e.placement_id",
            )
            .bind(self.tid())
            .fetch_all(pool)
            .await?
        });
        let birth_years = self.anonymised_birth_years().await?;
        let mut follow: std::collections::HashMap<i64, Vec<(FollowUpPoint, FollowUpStatus)>> =
            std::collections::HashMap::new();
        for (placement, point, status) in follow_rows {
            const E: &str = "follow_up";
            follow.entry(placement).or_default().push((
                conv(E, placement, FollowUpPoint::parse(&point))?,
                conv(E, placement, FollowUpStatus::parse(&status))?,
            ));
        }
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            const E: &str = "placement";
            let id = r.placement_id;
            let birth_date = match birth_years.get(&r.participant_id) {
                Some(year) => conv(
                    "participant",
                    r.participant_id,
                    NaiveDate::from_ymd_opt(*year, 7, 1).ok_or("birth year out of range"),
                )?,
                None => conv(
                    "participant",
                    r.participant_id,
                    PersonalIdentityNumber::parse_canonical(&r.personal_number),
                )?
                .birth_date(),
            };
            let exit = match (r.exit_date, r.outcome) {
                (Some(d), Some(o)) => Some((d, conv(E, id, ExitOutcome::parse(&o))?)),
                _ => None,
            };
            out.push(ResearchEpisode {
                placement_id: PlacementId(id),
                participant_id: ParticipantId(r.participant_id),
                organisation_id: OrganisationId(r.organisation_id),
                birth_date,
                covariates: Covariates {
                    gender: conv(E, id, Gender::parse(&r.gender))?,
                    born_abroad: r.born_abroad,
                    education: conv(E, id, EducationLevel::parse(&r.education))?,
                    months_on_income_support: count(E, id, r.months_on_income_support)?,
                    health_limitation: r.health_limitation,
                    swedish_level: conv(E, id, SwedishLevel::parse(&r.swedish_level))?,
                    prior_work_experience: r.prior_work_experience,
                },
                registered_on: r.registered_on,
                placement_type_code: r.placement_type,
                legal_basis: r
                    .legal_basis
                    .map(|b| conv(E, id, LegalBasis::parse(&b)))
                    .transpose()?,
                start_date: r.start_date,
                end_date: r.end_date,
                planned_end: r.planned_end,
                weekly_minutes: count(E, id, r.weekly_minutes)?,
                exit,
                follow_ups: follow.remove(&id).unwrap_or_default(),
            });
        }
        Ok(out)
    }

    /// The kept birth years of anonymised participants (whose identity numbers are
    /// placeholders). Empty on a database without the anonymisation columns (before
    /// migration 0005).
    async fn anonymised_birth_years(
        &self,
    ) -> Result<std::collections::HashMap<i64, i32>, StoreError> {
        let has_columns = self
            .store()
            .schema_has_column("participants", "birth_year")
            .await?;
        if !has_columns {
            return Ok(Default::default());
        }
        let rows: Vec<(i64, Option<i64>)> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT id, birth_year FROM participants \
                 WHERE tenant_id = $1 AND anonymised_on IS NOT NULL",
            )
            .bind(self.tid())
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .filter_map(|(id, y)| y.and_then(|y| i32::try_from(y).ok()).map(|y| (id, y)))
            .collect())
    }
}

impl crate::Store {
    /// Whether `table` has `column` (tables and columns of Vidare's own schema only).
    async fn schema_has_column(&self, table: &str, column: &str) -> Result<bool, StoreError> {
        let n: i64 = with_pool!(self, |pool| {
            match self.kind() {
                crate::BackendKind::Sqlite => {
                    sqlx::query_scalar(
                        "SELECT COUNT(*) FROM pragma_table_info($1) WHERE name = $2",
                    )
                    .bind(table)
                    .bind(column)
                    .fetch_one(pool)
                    .await?
                }
                crate::BackendKind::Postgres => {
                    sqlx::query_scalar(
                        "SELECT COUNT(*) FROM information_schema.columns \
                         WHERE table_name = $1 AND column_name = $2 AND table_schema = current_schema()",
                    )
                    .bind(table)
                    .bind(column)
                    .fetch_one(pool)
                    .await?
                }
            }
        });
        Ok(n > 0)
    }
}
