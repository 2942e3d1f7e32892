//! Credentials, sessions, sign-in throttling and API tokens. Secrets are never stored:
//! sessions and tokens are known by the SHA-256 of their value; passwords by their
//! argon2id hash (computed by the web layer).

use chrono::{DateTime, Duration, SubsecRound, Utc};
use sha2::{Digest, Sha256};
use vidare_domain::ids::{OrganisationId, UserId};
use vidare_domain::model::tenant::{Role, RoleKind, User};
use vidare_domain::model::{Email, Text};
use vidare_domain::Lang;

use crate::audit::hex;
use crate::rows::conv;
use crate::{with_pool, with_tx, with_writer, Change, Scoped, Store, StoreError};

/// The SHA-256 of a secret (session cookie, API token), as stored.
pub fn secret_hash(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// A user with what sign-in needs.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub user: User,
    pub password_hash: Option<String>,
    pub lang: Option<Lang>,
}

/// A live session.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    pub lang: Option<Lang>,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// An API token's grant.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ApiToken {
    pub id: i64,
    pub tenant_id: i64,
    pub name: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct CredRow {
    id: i64,
    tenant_id: i64,
    email: String,
    display_name: String,
    role: String,
    organisation_id: Option<i64>,
    active: bool,
    password_hash: Option<String>,
    lang: Option<String>,
}

fn user_of(r: &CredRow) -> Result<User, StoreError> {
    const E: &str = "user";
    let kind = conv(E, r.id, RoleKind::parse(&r.role))?;
    Ok(User {
        id: UserId(r.id),
        tenant_id: vidare_domain::ids::TenantId(r.tenant_id),
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

fn lang_of(s: Option<&str>) -> Option<Lang> {
    s.and_then(Lang::from_tag)
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    id: i64,
    tenant_id: i64,
    email: String,
    display_name: String,
    role: String,
    organisation_id: Option<i64>,
    active: bool,
    lang: Option<String>,
    csrf_token: String,
    created_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: i64,
    tenant_id: i64,
    name: String,
    role: String,
    organisation_id: Option<i64>,
    created_at: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
    last_used_at: Option<DateTime<Utc>>,
}

impl TryFrom<TokenRow> for ApiToken {
    type Error = StoreError;
    fn try_from(r: TokenRow) -> Result<Self, StoreError> {
        const E: &str = "api_token";
        let kind = conv(E, r.id, RoleKind::parse(&r.role))?;
        Ok(ApiToken {
            id: r.id,
            tenant_id: r.tenant_id,
            name: r.name,
            role: conv(
                E,
                r.id,
                Role::from_parts(kind, r.organisation_id.map(OrganisationId)),
            )?,
            created_at: r.created_at,
            expires_at: r.expires_at,
            revoked_at: r.revoked_at,
            last_used_at: r.last_used_at,
        })
    }
}

impl Store {
    /// Finds the live session whose cookie hashes to `token_hash`, with its user.
    /// Expired sessions and disabled users give `None`.
    /// Served from the in-process cache for up to [`crate::cache::TTL`].
    pub async fn session(&self, token_hash: &str) -> Result<Option<Session>, StoreError> {
        if let Some(s) = self.auth_cache().session(token_hash) {
            if s.expires_at > Utc::now() {
                return Ok(Some(s));
            }
            return Ok(None);
        }
        let generation = self.auth_cache().generation();
        let row: Option<SessionRow> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT u.id, u.tenant_id, u.email, u.display_name, u.role, u.organisation_id, u.active, u.lang, \
                 s.csrf_token, s.created_at, s.last_seen_at, s.expires_at \
                 FROM sessions s JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.user_id \
                 WHERE s.token_hash = $1",
            )
            .bind(token_hash)
            .fetch_optional(pool)
            .await?
        });
        let Some(r) = row else { return Ok(None) };
        if r.expires_at <= Utc::now() || !r.active {
            return Ok(None);
        }
        let cred = CredRow {
            id: r.id,
            tenant_id: r.tenant_id,
            email: r.email,
            display_name: r.display_name,
            role: r.role,
            organisation_id: r.organisation_id,
            active: r.active,
            password_hash: None,
            lang: r.lang,
        };
        let session = Session {
            user: user_of(&cred)?,
            lang: lang_of(cred.lang.as_deref()),
            csrf_token: r.csrf_token,
            created_at: r.created_at,
            last_seen_at: r.last_seen_at,
            expires_at: r.expires_at,
        };
        self.auth_cache()
            .put_session(generation, token_hash, session.clone());
        Ok(Some(session))
    }

    /// Extends a session's idle expiry (never past `absolute_end`).
    pub async fn touch_session(
        &self,
        token_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let now = Utc::now().trunc_subsecs(6);
        with_writer!(self, |pool| {
            sqlx::query(
                "UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE token_hash = $3",
            )
            .bind(now)
            .bind(expires_at)
            .bind(token_hash)
            .execute(pool)
            .await?;
        });
        self.auth_cache().touched(token_hash, now, expires_at);
        Ok(())
    }

    /// Ends a session.
    pub async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        with_writer!(self, |pool| {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                .bind(token_hash)
                .execute(pool)
                .await?;
        });
        self.auth_cache().forget_session(token_hash);
        Ok(())
    }

    /// Removes expired sessions and old sign-in failures; returns how many sessions went.
    pub async fn purge_expired(&self) -> Result<u64, StoreError> {
        let now = Utc::now();
        let n = with_writer!(self, |pool| {
            let n = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected();
            sqlx::query("DELETE FROM login_failures WHERE at < $1")
                .bind(now - Duration::days(1))
                .execute(pool)
                .await?;
            n
        });
        Ok(n)
    }

    /// The tenant and grant of a live API token, served from the in-process cache for
    /// up to [`crate::cache::TTL`] (a revocation by this process takes effect at once).
    pub async fn api_token(&self, token_hash: &str) -> Result<Option<ApiToken>, StoreError> {
        let generation = self.auth_cache().generation();
        let mut token = match self.auth_cache().token(token_hash) {
            Some(t) => t,
            None => {
                let row: Option<TokenRow> = with_pool!(self, |pool| {
                    sqlx::query_as(
                        "SELECT id, tenant_id, name, role, organisation_id, created_at, expires_at, revoked_at, last_used_at \
                         FROM api_tokens WHERE token_hash = $1",
                    )
                    .bind(token_hash)
                    .fetch_optional(pool)
                    .await?
                });
                let Some(token) = row.map(ApiToken::try_from).transpose()? else {
                    return Ok(None);
                };
                token
            }
        };
        let now = Utc::now();
        if token.revoked_at.is_some() || token.expires_at.is_some_and(|e| e <= now) {
            return Ok(None);
        }
        // Recorded at most once a minute per token, to keep reads cheap.
        if token
            .last_used_at
            .is_none_or(|t| now - t > Duration::minutes(1))
        {
            let now = now.trunc_subsecs(6);
            with_writer!(self, |pool| {
                sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                    .bind(now)
                    .bind(token.id)
                    .execute(pool)
                    .await?;
            });
            token.last_used_at = Some(now);
        }
        self.auth_cache()
            .put_token(generation, token_hash, token.clone());
        Ok(Some(token))
    }
}

impl Scoped<'_> {
    /// The user with this e-mail and what sign-in needs, if any.
    pub async fn credentials(&self, email: &Email) -> Result<Option<Credentials>, StoreError> {
        let row: Option<CredRow> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT id, tenant_id, email, display_name, role, organisation_id, active, password_hash, lang \
                 FROM users WHERE tenant_id = $1 AND email = $2",
            )
            .bind(self.tid())
            .bind(email.as_str())
            .fetch_optional(pool)
            .await?
        });
        row.map(|r| {
            Ok(Credentials {
                user: user_of(&r)?,
                lang: lang_of(r.lang.as_deref()),
                password_hash: r.password_hash,
            })
        })
        .transpose()
    }

    /// Sets a user's password hash and ends the user's other sessions (all of them when
    /// `keep_session` is `None`).
    pub async fn set_password_hash(
        &self,
        user: UserId,
        hash: &str,
        keep_session: Option<&str>,
    ) -> Result<(), StoreError> {
        with_tx!(self, |tx| {
            let n =
                sqlx::query("UPDATE users SET password_hash = $1 WHERE tenant_id = $2 AND id = $3")
                    .bind(hash)
                    .bind(self.tid())
                    .bind(user.get())
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound { entity: "user" });
            }
            sqlx::query(
                "DELETE FROM sessions WHERE tenant_id = $1 AND user_id = $2 AND ($3 IS NULL OR token_hash <> $3)",
            )
            .bind(self.tid())
            .bind(user.get())
            .bind(keep_session)
            .execute(&mut *tx)
            .await?;
            crate::audit_append!(
                tx,
                self,
                Change::action(
                    "password_change",
                    "users",
                    Some(user.get().to_string()),
                    None
                )
            );
        });
        self.store().auth_cache().forget_user(user.get());
        Ok(())
    }

    /// Sets a user's preferred language.
    pub async fn set_user_lang(&self, user: UserId, lang: Lang) -> Result<(), StoreError> {
        with_writer!(self, |pool| {
            sqlx::query("UPDATE users SET lang = $1 WHERE tenant_id = $2 AND id = $3")
                .bind(lang.tag())
                .bind(self.tid())
                .bind(user.get())
                .execute(pool)
                .await?;
        });
        self.store().auth_cache().forget_user(user.get());
        Ok(())
    }

    /// Enables or disables an account; disabling ends its sessions.
    pub async fn set_user_active(&self, user: UserId, active: bool) -> Result<(), StoreError> {
        let before = self.get_user(user).await?;
        with_tx!(self, |tx| {
            sqlx::query("UPDATE users SET active = $1 WHERE tenant_id = $2 AND id = $3")
                .bind(active)
                .bind(self.tid())
                .bind(user.get())
                .execute(&mut *tx)
                .await?;
            if !active {
                sqlx::query("DELETE FROM sessions WHERE tenant_id = $1 AND user_id = $2")
                    .bind(self.tid())
                    .bind(user.get())
                    .execute(&mut *tx)
                    .await?;
            }
            crate::audit_append!(
                tx,
                self,
                Change::update(
                    "users",
                    user.get(),
                    &serde_json::json!({ "active": before.active }),
                    &serde_json::json!({ "active": active })
                )
            );
        });
        self.store().auth_cache().forget_user(user.get());
        Ok(())
    }

    /// Starts a session for a user who has just proved who they are.
    pub async fn create_session(
        &self,
        token_hash: &str,
        user: UserId,
        csrf_token: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let now = Utc::now().trunc_subsecs(6);
        with_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO sessions (token_hash, tenant_id, user_id, csrf_token, created_at, last_seen_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $5, $6)",
            )
            .bind(token_hash)
            .bind(self.tid())
            .bind(user.get())
            .bind(csrf_token)
            .bind(now)
            .bind(expires_at)
            .execute(&mut *tx)
            .await?;
            crate::audit_append!(
                tx,
                self,
                Change::action("sign_in", "users", Some(user.get().to_string()), None)
            );
        });
        Ok(())
    }

    /// Records a failed sign-in for throttling.
    pub async fn record_login_failure(&self, email: &str, ip: &str) -> Result<(), StoreError> {
        with_writer!(self, |pool| {
            sqlx::query(
                "INSERT INTO login_failures (tenant_id, email, ip, at) VALUES ($1, $2, $3, $4)",
            )
            .bind(self.tid())
            .bind(email)
            .bind(ip)
            .bind(Utc::now())
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Failed sign-ins since `since` for this e-mail in the tenant, and from this address
    /// across all tenants.
    pub async fn login_failures_since(
        &self,
        email: &str,
        ip: &str,
        since: DateTime<Utc>,
    ) -> Result<(u64, u64), StoreError> {
        let (by_email, by_ip): (i64, i64) = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM login_failures WHERE tenant_id = $1 AND email = $2 AND at >= $4), \
                        (SELECT COUNT(*) FROM login_failures WHERE ip = $3 AND at >= $4)",
            )
            .bind(self.tid())
            .bind(email)
            .bind(ip)
            .bind(since)
            .fetch_one(pool)
            .await?
        });
        Ok((by_email as u64, by_ip as u64))
    }

    /// Forgets an account's failures after a successful sign-in.
    pub async fn clear_login_failures(&self, email: &str) -> Result<(), StoreError> {
        with_writer!(self, |pool| {
            sqlx::query("DELETE FROM login_failures WHERE tenant_id = $1 AND email = $2")
                .bind(self.tid())
                .bind(email)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Creates an API token for a system integration; the caller keeps the secret.
    pub async fn create_api_token(
        &self,
        name: &Text,
        token_hash: &str,
        role: Role,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<i64, StoreError> {
        let created_by = self.actor().user_id;
        let id: i64 = with_tx!(self, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO api_tokens (tenant_id, name, token_hash, role, organisation_id, created_by, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(self.tid())
            .bind(name.as_str())
            .bind(token_hash)
            .bind(role.kind().as_str())
            .bind(role.organisation_id().map(|o| o.get()))
            .bind(created_by.map(|u| u.get()))
            .bind(Utc::now().trunc_subsecs(6))
            .bind(expires_at)
            .fetch_one(&mut *tx)
            .await?;
            crate::audit_append!(
                tx,
                self,
                Change::create(
                    "api_tokens",
                    id,
                    &serde_json::json!({ "name": name, "role": role, "expires_at": expires_at })
                )
            );
            id
        });
        Ok(id)
    }

    /// Revokes a token of this tenant.
    pub async fn revoke_api_token(&self, id: i64) -> Result<(), StoreError> {
        with_tx!(self, |tx| {
            let n = sqlx::query(
                "UPDATE api_tokens SET revoked_at = $1 WHERE tenant_id = $2 AND id = $3 AND revoked_at IS NULL",
            )
            .bind(Utc::now().trunc_subsecs(6))
            .bind(self.tid())
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound {
                    entity: "api_token",
                });
            }
            crate::audit_append!(
                tx,
                self,
                Change::action("revoke", "api_tokens", Some(id.to_string()), None)
            );
        });
        self.store().auth_cache().forget_token(id);
        Ok(())
    }

    /// The tenant's tokens, newest first.
    pub async fn list_api_tokens(&self) -> Result<Vec<ApiToken>, StoreError> {
        let rows: Vec<TokenRow> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT id, tenant_id, name, role, organisation_id, created_at, expires_at, revoked_at, last_used_at \
                 FROM api_tokens WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC",
            )
            .bind(self.tid())
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(ApiToken::try_from).collect()
    }
}
