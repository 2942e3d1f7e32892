//! Tenants and users.

use chrono::Utc;
use vidare_domain::ids::{OrganisationId, TenantId, UserId};
use vidare_domain::model::tenant::{MunicipalityCode, Role, RoleKind, Tenant, User};
use vidare_domain::model::{Email, Slug, Text};

use crate::rows::conv;
use crate::{with_pool, with_tx, Change, Scoped, Store, StoreError};

/// A tenant to create.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NewTenant {
    pub slug: Slug,
    pub name: Text,
    pub municipality_code: Option<MunicipalityCode>,
    pub synthetic: bool,
}

/// A user to create.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NewUser {
    pub email: Email,
    pub display_name: Text,
    pub role: Role,
}

#[derive(sqlx::FromRow)]
struct TenantRow {
    id: i64,
    slug: String,
    name: String,
    municipality_code: Option<String>,
    synthetic: bool,
}

impl TryFrom<TenantRow> for Tenant {
    type Error = StoreError;
    fn try_from(r: TenantRow) -> Result<Self, StoreError> {
        const E: &str = "tenant";
        Ok(Tenant {
            id: TenantId(r.id),
            slug: conv(E, r.id, Slug::parse(&r.slug))?,
            name: conv(E, r.id, Text::parse(&r.name))?,
            municipality_code: r
                .municipality_code
                .map(|c| conv(E, r.id, MunicipalityCode::parse(&c)))
                .transpose()?,
            synthetic: r.synthetic,
        })
    }
}

const TENANT_COLUMNS: &str = "id, slug, name, municipality_code, synthetic";

impl Store {
    /// Creates a tenant. A slug already in use is a [`StoreError::Conflict`] on `slug`.
    pub async fn insert_tenant(&self, t: &NewTenant) -> Result<TenantId, StoreError> {
        let id: i64 = with_tx!(self, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO tenants (slug, name, municipality_code, synthetic, created_at)
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(t.slug.as_str())
            .bind(t.name.as_str())
            .bind(t.municipality_code.map(|c| c.as_str().to_string()))
            .bind(t.synthetic)
            .bind(Utc::now())
            .fetch_one(&mut *tx)
            .await?;
            // The tenant's audit chain starts with its own creation.
            let scoped = self.tenant(TenantId(id));
            crate::audit_append!(tx, scoped, Change::create("tenants", id, t));
            id
        });
        Ok(TenantId(id))
    }

    /// The tenant with this slug, if any.
    pub async fn tenant_by_slug(&self, slug: &str) -> Result<Option<Tenant>, StoreError> {
        let row: Option<TenantRow> = with_pool!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {TENANT_COLUMNS} FROM tenants WHERE slug = $1"
            ))
            .bind(slug)
            .fetch_optional(pool)
            .await?
        });
        row.map(Tenant::try_from).transpose()
    }

    /// The tenant with this id.
    pub async fn get_tenant(&self, id: TenantId) -> Result<Tenant, StoreError> {
        let row: Option<TenantRow> = with_pool!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {TENANT_COLUMNS} FROM tenants WHERE id = $1"
            ))
            .bind(id.get())
            .fetch_optional(pool)
            .await?
        });
        row.ok_or(StoreError::NotFound { entity: "tenant" })?
            .try_into()
    }

    /// Every tenant, by name.
    pub async fn list_tenants(&self) -> Result<Vec<Tenant>, StoreError> {
        let rows: Vec<TenantRow> = with_pool!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {TENANT_COLUMNS} FROM tenants ORDER BY name, id"
            ))
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(Tenant::try_from).collect()
    }
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    tenant_id: i64,
    email: String,
    display_name: String,
    role: String,
    organisation_id: Option<i64>,
    active: bool,
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;
    fn try_from(r: UserRow) -> Result<Self, StoreError> {
        const E: &str = "user";
        let kind = conv(E, r.id, RoleKind::parse(&r.role))?;
        Ok(User {
            id: UserId(r.id),
            tenant_id: TenantId(r.tenant_id),
            email: conv(E, r.id, Email::parse(&r.email))?,
            display_name: conv(E, r.id, Text::parse(&r.display_name))?,
            role: conv(
                E,
                r.id,
                Role::from_parts(kind, r.organisation_id.map(OrganisationId)),
            )?,
            active: r.active,
        })
    }
}

const USER_COLUMNS: &str = "id, tenant_id, email, display_name, role, organisation_id, active";

impl Scoped<'_> {
    /// Creates a user. The same e-mail twice in a tenant is a conflict on `email`.
    pub async fn insert_user(&self, u: &NewUser) -> Result<UserId, StoreError> {
        let id: i64 = with_tx!(self, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO users (tenant_id, email, display_name, role, organisation_id, active, created_at)
                 VALUES ($1, $2, $3, $4, $5, TRUE, $6) RETURNING id",
            )
            .bind(self.tid())
            .bind(u.email.as_str())
            .bind(u.display_name.as_str())
            .bind(u.role.kind().as_str())
            .bind(u.role.organisation_id().map(|o| o.get()))
            .bind(Utc::now())
            .fetch_one(&mut *tx)
            .await?;
            crate::audit_append!(tx, self, Change::create("users", id, u));
            id
        });
        Ok(UserId(id))
    }

    /// The user with this id in the tenant.
    pub async fn get_user(&self, id: UserId) -> Result<User, StoreError> {
        let row: Option<UserRow> = with_pool!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {USER_COLUMNS} FROM users WHERE tenant_id = $1 AND id = $2"
            ))
            .bind(self.tid())
            .bind(id.get())
            .fetch_optional(pool)
            .await?
        });
        row.ok_or(StoreError::NotFound { entity: "user" })?
            .try_into()
    }

    /// The user with this e-mail address in the tenant, if any.
    pub async fn user_by_email(&self, email: &Email) -> Result<Option<User>, StoreError> {
        let row: Option<UserRow> = with_pool!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {USER_COLUMNS} FROM users WHERE tenant_id = $1 AND email = $2"
            ))
            .bind(self.tid())
            .bind(email.as_str())
            .fetch_optional(pool)
            .await?
        });
        row.map(User::try_from).transpose()
    }

    /// Every user of the tenant, by e-mail.
    pub async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        let rows: Vec<UserRow> = with_pool!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {USER_COLUMNS} FROM users WHERE tenant_id = $1 ORDER BY email"
            ))
            .bind(self.tid())
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(User::try_from).collect()
    }
}

/// A tenant's logo: its media type and bytes.
pub type Logo = (String, Vec<u8>);

impl Store {
    /// The tenant's logo, if one was uploaded.
    pub async fn tenant_logo(&self, id: TenantId) -> Result<Option<Logo>, StoreError> {
        let row: Option<(Option<String>, Option<Vec<u8>>)> = with_pool!(self, |pool| {
            sqlx::query_as("SELECT logo_mime, logo FROM tenants WHERE id = $1")
                .bind(id.get())
                .fetch_optional(pool)
                .await?
        });
        Ok(match row {
            Some((Some(mime), Some(bytes))) => Some((mime, bytes)),
            _ => None,
        })
    }
}

impl Scoped<'_> {
    /// Sets or removes the tenant's logo (PNG or SVG, at most 256 KiB).
    pub async fn set_tenant_logo(&self, logo: Option<(&str, &[u8])>) -> Result<(), StoreError> {
        if let Some((mime, bytes)) = logo {
            if !matches!(mime, "image/png" | "image/svg+xml") || bytes.len() > 256 * 1024 {
                return Err(vidare_domain::model::RuleViolation::new(
                    "logo",
                    "Logotypen ska vara en PNG- eller SVG-fil på högst 256 kB.",
                    "The logo must be a PNG or SVG file of at most 256 kB.",
                )
                .into());
            }
        }
        with_tx!(self, |tx| {
            sqlx::query("UPDATE tenants SET logo_mime = $1, logo = $2 WHERE id = $3")
                .bind(logo.map(|(m, _)| m))
                .bind(logo.map(|(_, b)| b))
                .bind(self.tid())
                .execute(&mut *tx)
                .await?;
            crate::audit_append!(
                tx,
                self,
                Change::action(
                    "update",
                    "tenants",
                    Some(self.tid().to_string()),
                    Some(
                        serde_json::json!({ "logo": logo.map(|(m, b)| format!("{m}, {} bytes", b.len())) })
                    )
                )
            );
        });
        Ok(())
    }
}

/// Whether `s` is an OCID prefix as the Open Contracting Partnership assigns them:
/// `ocds-` and six lower-case letters or digits.
pub fn is_ocid_prefix(s: &str) -> bool {
    s.len() == 11
        && s.starts_with("ocds-")
        && s[5..]
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

impl Store {
    /// The OCID prefix stored for the tenant (open data), if one is.
    pub async fn tenant_ocid_prefix(&self, id: TenantId) -> Result<Option<String>, StoreError> {
        let row: Option<Option<String>> = with_pool!(self, |pool| {
            sqlx::query_scalar("SELECT ocid_prefix FROM tenants WHERE id = $1")
                .bind(id.get())
                .fetch_optional(pool)
                .await?
        });
        match row {
            Some(p) => Ok(p),
            None => Err(StoreError::NotFound { entity: "tenant" }),
        }
    }
}

impl Scoped<'_> {
    /// Stores the tenant's registered OCID prefix (`ocds-xxxxxx`), or removes it with
    /// `None`; audit-logged with the value before and after. A malformed prefix is a
    /// rule violation on `ocid_prefix`.
    pub async fn set_ocid_prefix(&self, prefix: Option<&str>) -> Result<(), StoreError> {
        if let Some(p) = prefix {
            if !is_ocid_prefix(p) {
                return Err(vidare_domain::model::RuleViolation::new(
                    "ocid_prefix",
                    format!("OCID-prefix: {p:?} är inget OCID-prefix. Det ska vara ocds- följt av sex små bokstäver eller siffror, till exempel ocds-a1b2c3."),
                    format!("OCID prefix: {p:?} is not an OCID prefix. It must be ocds- followed by six lower-case letters or digits, for example ocds-a1b2c3."),
                )
                .into());
            }
        }
        with_tx!(self, |tx| {
            let before: Option<Option<String>> =
                sqlx::query_scalar("SELECT ocid_prefix FROM tenants WHERE id = $1")
                    .bind(self.tid())
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some(before) = before else {
                return Err(StoreError::NotFound { entity: "tenant" });
            };
            sqlx::query("UPDATE tenants SET ocid_prefix = $1 WHERE id = $2")
                .bind(prefix)
                .bind(self.tid())
                .execute(&mut *tx)
                .await?;
            crate::audit_append!(
                tx,
                self,
                Change::update(
                    "tenants",
                    self.tid(),
                    &serde_json::json!({ "ocid_prefix": before }),
                    &serde_json::json!({ "ocid_prefix": prefix }),
                )
            );
        });
        Ok(())
    }
}

/// How many years a participant's personal data is kept after their last activity by
/// default: five, after the weeding rule for social services records, socialtjänstlagen
/// (2001:453) 12 kap. 1 § ("uppgifter i en personakt ska gallras fem år efter det att
/// sista anteckningen gjordes i akten"). The column's default (migration 0014).
pub const DEFAULT_RETENTION_YEARS: u32 = 5;

/// The retention periods a tenant may choose, in whole years.
pub const RETENTION_YEARS: std::ops::RangeInclusive<u32> = 1..=50;

/// The cut-off of a retention period: participants whose last activity came before it
/// are due for anonymisation on `today` (the same day `years` years earlier; 29
/// February becomes 28 February).
pub fn retention_cutoff(today: chrono::NaiveDate, years: u32) -> chrono::NaiveDate {
    today
        .checked_sub_months(chrono::Months::new(years.saturating_mul(12)))
        .unwrap_or(chrono::NaiveDate::MIN)
}

impl Scoped<'_> {
    /// The tenant's retention period in years (see [`DEFAULT_RETENTION_YEARS`]).
    pub async fn retention_years(&self) -> Result<u32, StoreError> {
        let years: Option<i64> = with_pool!(self, |pool| {
            sqlx::query_scalar("SELECT retention_years FROM tenants WHERE id = $1")
                .bind(self.tid())
                .fetch_optional(pool)
                .await?
        });
        let years = years.ok_or(StoreError::NotFound { entity: "tenant" })?;
        u32::try_from(years).map_err(|_| StoreError::Corrupt {
            entity: "tenants",
            id: self.tid(),
            reason: format!("retention_years {years} is out of range"),
        })
    }

    /// Sets the tenant's retention period; audit-logged with the value before and
    /// after. Outside [`RETENTION_YEARS`] it is a rule violation on `retention_years`.
    pub async fn set_retention_years(&self, years: i64) -> Result<(), StoreError> {
        let (low, high) = (*RETENTION_YEARS.start(), *RETENTION_YEARS.end());
        if !(i64::from(low)..=i64::from(high)).contains(&years) {
            return Err(vidare_domain::model::RuleViolation::new(
                "retention_years",
                format!("Gallringsfristen ska vara mellan {low} och {high} år, inte {years}."),
                format!(
                    "The retention period must be between {low} and {high} years, not {years}."
                ),
            )
            .into());
        }
        with_tx!(self, |tx| {
            let before: Option<i64> =
                sqlx::query_scalar("SELECT retention_years FROM tenants WHERE id = $1")
                    .bind(self.tid())
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some(before) = before else {
                return Err(StoreError::NotFound { entity: "tenant" });
            };
            sqlx::query("UPDATE tenants SET retention_years = $1 WHERE id = $2")
                .bind(years)
                .bind(self.tid())
                .execute(&mut *tx)
                .await?;
            crate::audit_append!(
                tx,
                self,
                Change::update(
                    "tenants",
                    self.tid(),
                    &serde_json::json!({ "retention_years": before }),
                    &serde_json::json!({ "retention_years": years }),
                )
            );
        });
        Ok(())
    }

    /// Today's cut-off under the tenant's retention period: who last acted before it is
    /// due for anonymisation.
    pub async fn retention_cutoff(
        &self,
        today: chrono::NaiveDate,
    ) -> Result<chrono::NaiveDate, StoreError> {
        Ok(retention_cutoff(today, self.retention_years().await?))
    }
}
