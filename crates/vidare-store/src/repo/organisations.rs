//! Supplier organisations.

use vidare_domain::ids::{OrganisationId, TenantId};
use vidare_domain::model::organisation::{Headcount, LegalForm, NewOrganisation, Organisation};
use vidare_domain::model::{Email, Text};
use vidare_domain::money::Money;
use vidare_domain::orgnr::OrganisationNumber;

use crate::repo::Page;
use crate::rows::{conv, count, int};
use crate::{with_pool, Scoped, StoreError};

#[derive(sqlx::FromRow)]
struct OrganisationRow {
    id: i64,
    tenant_id: i64,
    org_number: String,
    name: String,
    legal_form: String,
    idea_driven: bool,
    in_idea_driven_register: bool,
    headcount_total: Option<i64>,
    headcount_target_groups: Option<i64>,
    annual_turnover_ore: Option<i64>,
    email: Option<String>,
    synthetic: bool,
}

impl TryFrom<OrganisationRow> for Organisation {
    type Error = StoreError;
    fn try_from(r: OrganisationRow) -> Result<Self, StoreError> {
        const E: &str = "organisation";
        let headcount = match (r.headcount_total, r.headcount_target_groups) {
            (Some(t), Some(g)) => Some(conv(
                E,
                r.id,
                Headcount::new(count(E, r.id, t)?, count(E, r.id, g)?),
            )?),
            _ => None,
        };
        Ok(Organisation {
            id: OrganisationId(r.id),
            tenant_id: TenantId(r.tenant_id),
            org_number: conv(E, r.id, OrganisationNumber::parse(&r.org_number))?,
            name: conv(E, r.id, Text::parse(&r.name))?,
            legal_form: conv(E, r.id, LegalForm::parse(&r.legal_form))?,
            idea_driven: r.idea_driven,
            in_idea_driven_register: r.in_idea_driven_register,
            headcount,
            annual_turnover: r.annual_turnover_ore.map(Money::from_ore),
            email: r
                .email
                .map(|e| conv(E, r.id, Email::parse(&e)))
                .transpose()?,
            synthetic: r.synthetic,
        })
    }
}

const COLUMNS: &str =
    "id, tenant_id, org_number, name, legal_form, idea_driven, in_idea_driven_register, \
    headcount_total, headcount_target_groups, annual_turnover_ore, email, synthetic";

impl Scoped<'_> {
    /// Registers an organisation. The same organisation number twice in a tenant is a
    /// conflict on `org_number`.
    pub async fn insert_organisation(
        &self,
        o: &NewOrganisation,
    ) -> Result<OrganisationId, StoreError> {
        let id = self.insert_row(o).await?;
        Ok(OrganisationId(id))
    }

    /// The organisation with this id in the tenant.
    pub async fn get_organisation(&self, id: OrganisationId) -> Result<Organisation, StoreError> {
        let row: Option<OrganisationRow> = with_pool!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM organisations WHERE tenant_id = $1 AND id = $2"
            ))
            .bind(self.tid())
            .bind(id.get())
            .fetch_optional(pool)
            .await?
        });
        row.ok_or(StoreError::NotFound {
            entity: "organisation",
        })?
        .try_into()
    }

    /// The organisation with this organisation number in the tenant, if any.
    pub async fn organisation_by_number(
        &self,
        number: &OrganisationNumber,
    ) -> Result<Option<Organisation>, StoreError> {
        let row: Option<OrganisationRow> = with_pool!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM organisations WHERE tenant_id = $1 AND org_number = $2"
            ))
            .bind(self.tid())
            .bind(number.canonical())
            .fetch_optional(pool)
            .await?
        });
        row.map(Organisation::try_from).transpose()
    }

    /// A page of the tenant's organisations, by name.
    pub async fn list_organisations(&self, page: Page) -> Result<Vec<Organisation>, StoreError> {
        let rows: Vec<OrganisationRow> = with_pool!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM organisations WHERE tenant_id = $1 ORDER BY name, id LIMIT $2 OFFSET $3"
            ))
            .bind(self.tid())
            .bind(int(page.limit))
            .bind(int(page.offset))
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(Organisation::try_from).collect()
    }

    /// How many organisations the tenant has.
    pub async fn count_organisations(&self) -> Result<u64, StoreError> {
        let n: i64 = with_pool!(self, |pool| {
            sqlx::query_scalar("SELECT COUNT(*) FROM organisations WHERE tenant_id = $1")
                .bind(self.tid())
                .fetch_one(pool)
                .await?
        });
        Ok(n as u64)
    }
}
