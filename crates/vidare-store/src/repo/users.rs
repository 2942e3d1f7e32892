//! Account administration: creating an account with its first password, changing a
//! name or role, and an administrator's password reset. Each change is written to the
//! audit log in the same transaction, so a change without its entry cannot happen.
//! Enabling and disabling accounts is [`Scoped::set_user_active`] in `auth.rs`.

use chrono::{SubsecRound, Utc};
use vidare_domain::ids::UserId;
use vidare_domain::model::tenant::Role;
use vidare_domain::model::{RuleViolation, Text};

use crate::repo::tenants::NewUser;
use crate::{with_tx, Change, Scoped, StoreError};

/// The refusal for a supplier organisation that is not the tenant's.
fn unknown_organisation() -> StoreError {
    RuleViolation::new(
        "organisation_id",
        "Organisationen finns inte i leverantörsregistret. Välj en registrerad leverantör.",
        "The organisation is not in the supplier register. Choose a registered supplier.",
    )
    .into()
}

impl Scoped<'_> {
    /// Creates an account with its first password hash (argon2id, computed by the
    /// caller). A supplier user's organisation must be one of the tenant's; the same
    /// e-mail twice in a tenant is a [`StoreError::Conflict`] on `email`. The account
    /// and its password are written together or not at all.
    pub async fn insert_user_with_password(
        &self,
        u: &NewUser,
        password_hash: &str,
    ) -> Result<UserId, StoreError> {
        let id: i64 = with_tx!(self, |tx| {
            if let Some(org) = u.role.organisation_id() {
                let found: Option<i64> = sqlx::query_scalar(
                    "SELECT id FROM organisations WHERE tenant_id = $1 AND id = $2",
                )
                .bind(self.tid())
                .bind(org.get())
                .fetch_optional(&mut *tx)
                .await?;
                if found.is_none() {
                    return Err(unknown_organisation());
                }
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO users (tenant_id, email, display_name, role, organisation_id, active, created_at, password_hash)
                 VALUES ($1, $2, $3, $4, $5, TRUE, $6, $7) RETURNING id",
            )
            .bind(self.tid())
            .bind(u.email.as_str())
            .bind(u.display_name.as_str())
            .bind(u.role.kind().as_str())
            .bind(u.role.organisation_id().map(|o| o.get()))
            .bind(Utc::now().trunc_subsecs(6))
            .bind(password_hash)
            .fetch_one(&mut *tx)
            .await?;
            crate::audit_append!(tx, self, Change::create("users", id, u));
            id
        });
        Ok(UserId(id))
    }

    /// Changes an account's display name and role. The audit entry holds both before
    /// and after; a supplier user's organisation must be one of the tenant's.
    pub async fn update_user(
        &self,
        id: UserId,
        display_name: &Text,
        role: Role,
    ) -> Result<(), StoreError> {
        let before = self.get_user(id).await?;
        with_tx!(self, |tx| {
            if let Some(org) = role.organisation_id() {
                let found: Option<i64> = sqlx::query_scalar(
                    "SELECT id FROM organisations WHERE tenant_id = $1 AND id = $2",
                )
                .bind(self.tid())
                .bind(org.get())
                .fetch_optional(&mut *tx)
                .await?;
                if found.is_none() {
                    return Err(unknown_organisation());
                }
            }
            let n = sqlx::query(
                "UPDATE users SET display_name = $1, role = $2, organisation_id = $3 WHERE tenant_id = $4 AND id = $5",
            )
            .bind(display_name.as_str())
            .bind(role.kind().as_str())
            .bind(role.organisation_id().map(|o| o.get()))
            .bind(self.tid())
            .bind(id.get())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound { entity: "user" });
            }
            crate::audit_append!(
                tx,
                self,
                Change::update(
                    "users",
                    id.get(),
                    &serde_json::json!({ "display_name": before.display_name, "role": before.role }),
                    &serde_json::json!({ "display_name": display_name, "role": role })
                )
            );
        });
        self.store().auth_cache().forget_user(id.get());
        Ok(())
    }

    /// An administrator sets a new password for an account: every session of the
    /// account ends, and the log says it was a reset (not the user's own change).
    pub async fn reset_user_password(&self, id: UserId, hash: &str) -> Result<(), StoreError> {
        with_tx!(self, |tx| {
            let n =
                sqlx::query("UPDATE users SET password_hash = $1 WHERE tenant_id = $2 AND id = $3")
                    .bind(hash)
                    .bind(self.tid())
                    .bind(id.get())
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound { entity: "user" });
            }
            sqlx::query("DELETE FROM sessions WHERE tenant_id = $1 AND user_id = $2")
                .bind(self.tid())
                .bind(id.get())
                .execute(&mut *tx)
                .await?;
            crate::audit_append!(
                tx,
                self,
                Change::action("password_reset", "users", Some(id.get().to_string()), None)
            );
        });
        self.store().auth_cache().forget_user(id.get());
        Ok(())
    }
}
