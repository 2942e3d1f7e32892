//! Participants. Reading one is a read of personal data: the web layer records it in
//! the access log; this layer only fetches.

use vidare_domain::ids::{ParticipantId, TenantId};
use vidare_domain::model::participant::{
    Covariates, EducationLevel, Gender, NewParticipant, Participant, SwedishLevel,
};
use vidare_domain::model::Text;
use vidare_domain::personnummer::PersonalIdentityNumber;

use crate::repo::Page;
use crate::rows::{conv, count, int};
use crate::{with_pool, Scoped, StoreError};

#[derive(sqlx::FromRow)]
struct ParticipantRow {
    id: i64,
    tenant_id: i64,
    personal_number: String,
    first_name: String,
    last_name: String,
    gender: String,
    born_abroad: bool,
    education: String,
    months_on_income_support: i64,
    health_limitation: bool,
    swedish_level: String,
    prior_work_experience: bool,
    synthetic: bool,
    anonymised_on: Option<chrono::NaiveDate>,
}

impl TryFrom<ParticipantRow> for Participant {
    type Error = StoreError;
    fn try_from(r: ParticipantRow) -> Result<Self, StoreError> {
        const E: &str = "participant";
        Ok(Participant {
            id: ParticipantId(r.id),
            tenant_id: TenantId(r.tenant_id),
            personal_number: conv(
                E,
                r.id,
                PersonalIdentityNumber::parse_canonical(&r.personal_number),
            )?,
            first_name: conv(E, r.id, Text::parse(&r.first_name))?,
            last_name: conv(E, r.id, Text::parse(&r.last_name))?,
            covariates: Covariates {
                gender: conv(E, r.id, Gender::parse(&r.gender))?,
                born_abroad: r.born_abroad,
                education: conv(E, r.id, EducationLevel::parse(&r.education))?,
                months_on_income_support: count(E, r.id, r.months_on_income_support)?,
                health_limitation: r.health_limitation,
                swedish_level: conv(E, r.id, SwedishLevel::parse(&r.swedish_level))?,
                prior_work_experience: r.prior_work_experience,
            },
            synthetic: r.synthetic,
            anonymised_on: r.anonymised_on,
        })
    }
}

const COLUMNS: &str = "id, tenant_id, personal_number, first_name, last_name, gender, born_abroad, \
    education, months_on_income_support, health_limitation, swedish_level, prior_work_experience, synthetic, anonymised_on";

/// The search condition: name ($2) or identity number ($3).
const MATCHES: &str = " AND (LOWER(first_name || ' ' || last_name) LIKE $2 ESCAPE '\\' \
     OR personal_number LIKE $3)";

/// A participant as one element of the JSON array a page is read as ([`COLUMNS`] in
/// order). Yes/no columns arrive as `true`/`false` from PostgreSQL and as `1`/`0`
/// from SQLite, which has no boolean type.
#[derive(serde::Deserialize)]
struct JsonParticipantRow(
    i64,
    i64,
    String,
    String,
    String,
    String,
    JsonBool,
    String,
    i64,
    JsonBool,
    String,
    JsonBool,
    JsonBool,
    Option<chrono::NaiveDate>,
);

/// A truth value as either database writes it into JSON: `true`/`false` on PostgreSQL,
/// `1`/`0` on SQLite. Read with a visitor that takes both, not as an untagged enum: that
/// buffers the value and, for every SQLite number, builds and formats an error for the
/// `bool` it tried first (3 % of the list page's time under load, `perf`).
struct JsonBool(bool);

impl<'de> serde::Deserialize<'de> for JsonBool {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = JsonBool;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("true, false, 1 or 0")
            }
            fn visit_bool<E: serde::de::Error>(self, b: bool) -> Result<JsonBool, E> {
                Ok(JsonBool(b))
            }
            fn visit_i64<E: serde::de::Error>(self, i: i64) -> Result<JsonBool, E> {
                Ok(JsonBool(i != 0))
            }
            fn visit_u64<E: serde::de::Error>(self, i: u64) -> Result<JsonBool, E> {
                Ok(JsonBool(i != 0))
            }
        }
        d.deserialize_any(Visitor)
    }
}

impl From<JsonBool> for bool {
    fn from(b: JsonBool) -> bool {
        b.0
    }
}

impl From<JsonParticipantRow> for ParticipantRow {
    fn from(r: JsonParticipantRow) -> Self {
        ParticipantRow {
            id: r.0,
            tenant_id: r.1,
            personal_number: r.2,
            first_name: r.3,
            last_name: r.4,
            gender: r.5,
            born_abroad: r.6.into(),
            education: r.7,
            months_on_income_support: r.8,
            health_limitation: r.9.into(),
            swedish_level: r.10,
            prior_work_experience: r.11.into(),
            synthetic: r.12.into(),
            anonymised_on: r.13,
        }
    }
}

impl Scoped<'_> {
    /// Registers a participant. The same identity number twice in a tenant is a conflict
    /// on `personal_number`.
    pub async fn insert_participant(
        &self,
        p: &NewParticipant,
    ) -> Result<ParticipantId, StoreError> {
        p.covariates.check()?;
        let id = self.insert_row(p).await?;
        Ok(ParticipantId(id))
    }

    /// The participant with this id in the tenant.
    pub async fn get_participant(&self, id: ParticipantId) -> Result<Participant, StoreError> {
        let row: Option<ParticipantRow> = with_pool!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM participants WHERE tenant_id = $1 AND id = $2"
            ))
            .bind(self.tid())
            .bind(id.get())
            .fetch_optional(pool)
            .await?
        });
        row.ok_or(StoreError::NotFound {
            entity: "participant",
        })?
        .try_into()
    }

    /// The participant with this identity number in the tenant, if any.
    pub async fn participant_by_personal_number(
        &self,
        pnr: &PersonalIdentityNumber,
    ) -> Result<Option<Participant>, StoreError> {
        let row: Option<ParticipantRow> = with_pool!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM participants WHERE tenant_id = $1 AND personal_number = $2"
            ))
            .bind(self.tid())
            .bind(pnr.canonical())
            .fetch_optional(pool)
            .await?
        });
        row.map(Participant::try_from).transpose()
    }

    /// A page of the tenant's participants, by name.
    pub async fn list_participants(&self, page: Page) -> Result<Vec<Participant>, StoreError> {
        self.participant_page(None, page).await
    }

    /// A page of participants by name, all of the tenant's or those matching
    /// `filter` = (name pattern, identity-number pattern), read as **one** row: the
    /// database folds the page into a JSON array. On SQLite each row of a result is
    /// copied value by value and handed from the connection's thread to the request's
    /// task on its own; for the participant list, read on every view, that hand-over
    /// cost more than the query (`vidare bench http`, see docs/ARCHITECTURE.md).
    async fn participant_page(
        &self,
        filter: Option<(&str, &str)>,
        page: Page,
    ) -> Result<Vec<Participant>, StoreError> {
        let sqlite = self.store().kind() == crate::BackendKind::Sqlite;
        let (aggregate, fields) = if sqlite {
            ("json_group_array", "json_array")
        } else {
            ("json_agg", "json_build_array")
        };
        let (condition, limit) = match filter {
            None => ("", "$2 OFFSET $3"),
            Some(_) => (MATCHES, "$4 OFFSET $5"),
        };
        let sql = format!(
            "SELECT COALESCE({aggregate}({fields}({COLUMNS}) ORDER BY last_name, first_name, id),              '[]'){cast} FROM (SELECT {COLUMNS} FROM participants WHERE tenant_id = $1{condition}              ORDER BY last_name, first_name, id LIMIT {limit}) AS page",
            cast = if sqlite { "" } else { "::text" },
        );
        let json: String = with_pool!(self, |pool| {
            let mut q = sqlx::query_scalar(&sql).bind(self.tid());
            if let Some((pattern, pnr_pattern)) = filter {
                q = q.bind(pattern).bind(pnr_pattern);
            }
            q.bind(int(page.limit))
                .bind(int(page.offset))
                .fetch_one(pool)
                .await?
        });
        let rows: Vec<JsonParticipantRow> = serde_json::from_str(&json).map_err(|e| {
            StoreError::Database(sqlx::Error::Decode(
                format!("a page of participants: {e}").into(),
            ))
        })?;
        rows.into_iter()
            .map(|r| Participant::try_from(ParticipantRow::from(r)))
            .collect()
    }

    /// How many participants the tenant has; kept until the tenant's next recorded
    /// change (`cache::StampedCache`), since the participant list shows it on every page.
    pub async fn count_participants(&self) -> Result<u64, StoreError> {
        let stamp = self.data_position().await?;
        if let Some(n) = self.store().participant_counts().get(&self.tid(), stamp) {
            return Ok(n);
        }
        let n: i64 = with_pool!(self, |pool| {
            sqlx::query_scalar("SELECT COUNT(*) FROM participants WHERE tenant_id = $1")
                .bind(self.tid())
                .fetch_one(pool)
                .await?
        });
        self.store()
            .participant_counts()
            .put(self.tid(), stamp, n as u64);
        Ok(n as u64)
    }

    /// Participants whose name or identity number contains `query` (case-insensitive
    /// for ASCII letters), by name; an empty query lists everyone.
    pub async fn search_participants(
        &self,
        query: &str,
        page: Page,
    ) -> Result<(u64, Vec<Participant>), StoreError> {
        let q = query.trim();
        if q.is_empty() {
            let total = self.count_participants().await?;
            return Ok((total, self.list_participants(page).await?));
        }
        // The identity number is stored as 12 digits: search digits without separators.
        let digits: String = q.chars().filter(|c| c.is_ascii_digit()).collect();
        let escaped = q
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let pattern = format!("%{escaped}%");
        let pnr_pattern =
            if digits.len() >= 4 && digits.len() == q.replace(['-', '+', ' '], "").len() {
                format!("%{digits}%")
            } else {
                // Never matches a 12-digit number.
                "-".to_string()
            };
        let total: i64 = with_pool!(self, |pool| {
            sqlx::query_scalar(&format!(
                "SELECT COUNT(*) FROM participants WHERE tenant_id = $1{MATCHES}"
            ))
            .bind(self.tid())
            .bind(&pattern)
            .bind(&pnr_pattern)
            .fetch_one(pool)
            .await?
        });
        let people = self
            .participant_page(Some((&pattern, &pnr_pattern)), page)
            .await?;
        Ok((total as u64, people))
    }
}
