//! `/admin/anvandare`: the tenant's accounts. An administrator creates accounts with a
//! first password, changes names and roles, disables and enables accounts, and sets a
//! new password. An administrator cannot disable or demote their own account, so a
//! tenant never loses its last administrator by mistake.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use vidare_domain::ids::{OrganisationId, UserId};
use vidare_domain::model::tenant::{Role, RoleKind, User};
use vidare_domain::model::{Email, Text};
use vidare_domain::Localized;
use vidare_store::repo::tenants::NewUser;
use vidare_store::repo::Page as StorePage;
use vidare_store::StoreError;

use super::{role_name, role_options, section_nav, FieldErrors};
use crate::auth::{hash_password, password_problem};
use crate::pages::{render, Ctx, NavItem, Page};
use crate::routes::{access, RouteDef};
use crate::AppState;

pub(super) fn routes() -> Vec<RouteDef> {
    vec![
        RouteDef::get("/admin/anvandare", access::ADMIN, list),
        RouteDef::post("/admin/anvandare", access::ADMIN, create),
        RouteDef::get("/admin/anvandare/{id}", access::ADMIN, edit),
        RouteDef::post("/admin/anvandare/{id}", access::ADMIN, update),
        RouteDef::post("/admin/anvandare/{id}/aktiv", access::ADMIN, set_active),
        RouteDef::post(
            "/admin/anvandare/{id}/losenord",
            access::ADMIN,
            reset_password,
        ),
    ]
}

/// The longest display name accepted.
const MAX_NAME: usize = 200;

/// One account in the list.
struct Row {
    id: i64,
    email: String,
    name: String,
    role: &'static str,
    organisation: String,
    active: bool,
}

/// What the create form holds, to show it again after a refusal.
#[derive(Default, Deserialize, Clone)]
struct NewForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    organisation: String,
    #[serde(default)]
    password: String,
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct List {
    page: Page,
    admin_nav: Vec<NavItem>,
    rows: Vec<Row>,
    roles: Vec<(&'static str, &'static str)>,
    organisations: Vec<(i64, String)>,
    form: NewForm,
    errors: FieldErrors,
    notice: Option<&'static str>,
}

#[derive(Deserialize)]
struct Done {
    klart: Option<String>,
}

/// The tenant's organisations as `(id, name)`, for the organisation choice.
async fn organisations(state: &AppState, ctx: &Ctx) -> Result<Vec<(i64, String)>, StoreError> {
    let s = ctx.who().scoped(state.store());
    Ok(s.list_organisations(StorePage::first(10_000))
        .await?
        .into_iter()
        .map(|o| (o.id.get(), format!("{} ({})", o.name, o.org_number)))
        .collect())
}

async fn list_page(
    state: &AppState,
    ctx: &Ctx,
    form: NewForm,
    errors: FieldErrors,
    notice: Option<&'static str>,
) -> Response {
    let s = ctx.who().scoped(state.store());
    let (users, orgs) = match (s.list_users().await, organisations(state, ctx).await) {
        (Ok(u), Ok(o)) => (u, o),
        (Err(e), _) | (_, Err(e)) => return ctx.store_error(e).into_response(),
    };
    let rows = users
        .iter()
        .map(|u| Row {
            id: u.id.get(),
            email: u.email.to_string(),
            name: u.display_name.to_string(),
            role: role_name(ctx.lang, u.role.kind()),
            organisation: org_name(&orgs, u.role.organisation_id()),
            active: u.active,
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = List {
        page: ctx.page("admin.users_title"),
        admin_nav: section_nav(ctx),
        rows,
        roles: role_options(ctx.lang),
        organisations: orgs,
        form,
        errors,
        notice,
    };
    (status, render(&page, ctx.lang)).into_response()
}

fn org_name(orgs: &[(i64, String)], id: Option<OrganisationId>) -> String {
    id.and_then(|id| orgs.iter().find(|(o, _)| *o == id.get()))
        .map(|(_, n)| n.clone())
        .unwrap_or_default()
}

fn notice_of(done: Option<&str>) -> Option<&'static str> {
    match done {
        Some("skapat") => Some("admin.user_created"),
        Some("sparat") => Some("admin.user_saved"),
        Some("aktiverat") => Some("admin.user_enabled"),
        Some("inaktiverat") => Some("admin.user_disabled"),
        Some("losenord") => Some("admin.password_reset_done"),
        _ => None,
    }
}

async fn list(State(state): State<AppState>, ctx: Ctx, Query(q): Query<Done>) -> Response {
    list_page(
        &state,
        &ctx,
        NewForm::default(),
        FieldErrors::default(),
        notice_of(q.klart.as_deref()),
    )
    .await
}

/// Checks the role and organisation fields; the organisation counts only for a
/// supplier user.
fn parse_role(
    ctx: &Ctx,
    errors: &mut FieldErrors,
    orgs: &[(i64, String)],
    role: &str,
    organisation: &str,
) -> Option<Role> {
    let Ok(kind) = RoleKind::parse(role.trim()) else {
        errors.add("role", ctx.t("admin.choose_role"));
        return None;
    };
    let org = if kind == RoleKind::SupplierUser {
        match organisation.trim().parse::<i64>() {
            Ok(id) if orgs.iter().any(|(o, _)| *o == id) => Some(OrganisationId(id)),
            _ => {
                errors.add("organisation", ctx.t("admin.choose_organisation"));
                return None;
            }
        }
    } else {
        None
    };
    match Role::from_parts(kind, org) {
        Ok(r) => Some(r),
        Err(v) => {
            errors.add("organisation", v.message(ctx.lang));
            None
        }
    }
}

/// Hashes a password off the async workers (argon2 is deliberately slow).
async fn hash(password: &str) -> Option<String> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .ok()
}

async fn create(State(state): State<AppState>, ctx: Ctx, Form(f): Form<NewForm>) -> Response {
    let orgs = match organisations(&state, &ctx).await {
        Ok(o) => o,
        Err(e) => return ctx.store_error(e).into_response(),
    };
    let mut errors = FieldErrors::default();
    let email = match Email::parse(&f.email) {
        Ok(e) => Some(e),
        Err(e) => {
            errors.add("email", e.message(ctx.lang));
            None
        }
    };
    let name = match Text::parse_max(&f.name, MAX_NAME) {
        Ok(n) => Some(n),
        Err(e) => {
            errors.add("name", e.message(ctx.lang));
            None
        }
    };
    let role = parse_role(&ctx, &mut errors, &orgs, &f.role, &f.organisation);
    if let Some(key) = password_problem(&f.password, f.email.trim()) {
        errors.add("password", ctx.t(key));
    }
    let (Some(email), Some(name), Some(role), true) = (email, name, role, errors.is_empty()) else {
        return list_page(&state, &ctx, blank_password(f), errors, None).await;
    };
    let Some(hashed) = hash(&f.password).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "").into_response();
    };
    let s = ctx.who().scoped(state.store());
    let new = NewUser {
        email,
        display_name: name,
        role,
    };
    match s.insert_user_with_password(&new, &hashed).await {
        Ok(_) => Redirect::to("/admin/anvandare?klart=skapat").into_response(),
        Err(StoreError::Conflict { field: "email" }) => {
            errors.add("email", ctx.t("admin.email_taken"));
            list_page(&state, &ctx, blank_password(f), errors, None).await
        }
        Err(StoreError::Rule(v)) => {
            errors.add("organisation", v.message(ctx.lang));
            list_page(&state, &ctx, blank_password(f), errors, None).await
        }
        Err(e) => ctx.store_error(e).into_response(),
    }
}

/// A refused form is shown again without the password: it is never echoed into a page.
fn blank_password(mut f: NewForm) -> NewForm {
    f.password.clear();
    f
}

#[derive(Template)]
#[template(path = "admin/user.html")]
struct Edit {
    page: Page,
    admin_nav: Vec<NavItem>,
    id: i64,
    email: String,
    name: String,
    role: String,
    organisation: String,
    active: bool,
    own: bool,
    roles: Vec<(&'static str, &'static str)>,
    organisations: Vec<(i64, String)>,
    errors: FieldErrors,
    notice: Option<&'static str>,
}

/// The edit page for `user`, with the fields as given (after a refusal) or as stored.
async fn edit_page(
    state: &AppState,
    ctx: &Ctx,
    user: &User,
    fields: Option<(String, String, String)>,
    errors: FieldErrors,
    notice: Option<&'static str>,
) -> Response {
    let orgs = match organisations(state, ctx).await {
        Ok(o) => o,
        Err(e) => return ctx.store_error(e).into_response(),
    };
    let (name, role, organisation) = fields.unwrap_or_else(|| {
        (
            user.display_name.to_string(),
            user.role.kind().as_str().to_string(),
            user.role
                .organisation_id()
                .map(|o| o.get().to_string())
                .unwrap_or_default(),
        )
    });
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = Edit {
        page: ctx.page("admin.user_title"),
        admin_nav: section_nav(ctx),
        id: user.id.get(),
        email: user.email.to_string(),
        name,
        role,
        organisation,
        active: user.active,
        own: ctx.who().user_id == Some(user.id),
        roles: role_options(ctx.lang),
        organisations: orgs,
        errors,
        notice,
    };
    (status, render(&page, ctx.lang)).into_response()
}

/// The account `id` of the acting administrator's tenant (another tenant's is not
/// found).
async fn load(state: &AppState, ctx: &Ctx, id: i64) -> Result<User, Response> {
    ctx.who()
        .scoped(state.store())
        .get_user(UserId(id))
        .await
        .map_err(|e| ctx.store_error(e).into_response())
}

async fn edit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<Done>,
) -> Response {
    let user = match load(&state, &ctx, id).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    edit_page(
        &state,
        &ctx,
        &user,
        None,
        FieldErrors::default(),
        notice_of(q.klart.as_deref()),
    )
    .await
}

#[derive(Deserialize)]
struct UpdateForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    organisation: String,
}

async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<UpdateForm>,
) -> Response {
    let user = match load(&state, &ctx, id).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let orgs = match organisations(&state, &ctx).await {
        Ok(o) => o,
        Err(e) => return ctx.store_error(e).into_response(),
    };
    let mut errors = FieldErrors::default();
    let name = match Text::parse_max(&f.name, MAX_NAME) {
        Ok(n) => Some(n),
        Err(e) => {
            errors.add("name", e.message(ctx.lang));
            None
        }
    };
    let role = parse_role(&ctx, &mut errors, &orgs, &f.role, &f.organisation);
    let own = ctx.who().user_id == Some(user.id);
    if own && role.is_some_and(|r| r.kind() != RoleKind::TenantAdmin) {
        errors.add("role", ctx.t("admin.not_own_role"));
    }
    let fields = (f.name.clone(), f.role.clone(), f.organisation.clone());
    let (Some(name), Some(role), true) = (name, role, errors.is_empty()) else {
        return edit_page(&state, &ctx, &user, Some(fields), errors, None).await;
    };
    let s = ctx.who().scoped(state.store());
    match s.update_user(user.id, &name, role).await {
        Ok(()) => Redirect::to(&format!("/admin/anvandare/{id}?klart=sparat")).into_response(),
        Err(StoreError::Rule(v)) => {
            errors.add("organisation", v.message(ctx.lang));
            edit_page(&state, &ctx, &user, Some(fields), errors, None).await
        }
        Err(e) => ctx.store_error(e).into_response(),
    }
}

#[derive(Deserialize)]
struct ActiveForm {
    #[serde(default)]
    aktiv: String,
}

async fn set_active(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<ActiveForm>,
) -> Response {
    let user = match load(&state, &ctx, id).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let active = match f.aktiv.as_str() {
        "true" => true,
        "false" => false,
        _ => {
            let mut errors = FieldErrors::default();
            errors.add("aktiv", ctx.t("admin.bad_active"));
            return edit_page(&state, &ctx, &user, None, errors, None).await;
        }
    };
    if !active && ctx.who().user_id == Some(user.id) {
        let mut errors = FieldErrors::default();
        errors.add("aktiv", ctx.t("admin.not_own_account"));
        return edit_page(&state, &ctx, &user, None, errors, None).await;
    }
    let s = ctx.who().scoped(state.store());
    match s.set_user_active(user.id, active).await {
        Ok(()) => Redirect::to(&format!(
            "/admin/anvandare/{id}?klart={}",
            if active { "aktiverat" } else { "inaktiverat" }
        ))
        .into_response(),
        Err(e) => ctx.store_error(e).into_response(),
    }
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    password: String,
}

async fn reset_password(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<PasswordForm>,
) -> Response {
    let user = match load(&state, &ctx, id).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let problem = if ctx.who().user_id == Some(user.id) {
        // Resetting ends every session, the administrator's own too; their own
        // password is changed on the account page, which keeps this session.
        Some("admin.own_password")
    } else {
        password_problem(&f.password, user.email.as_str())
    };
    if let Some(key) = problem {
        let mut errors = FieldErrors::default();
        errors.add("password", ctx.t(key));
        return edit_page(&state, &ctx, &user, None, errors, None).await;
    }
    let Some(hashed) = hash(&f.password).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "").into_response();
    };
    let s = ctx.who().scoped(state.store());
    match s.reset_user_password(user.id, &hashed).await {
        Ok(()) => Redirect::to(&format!("/admin/anvandare/{id}?klart=losenord")).into_response(),
        Err(e) => ctx.store_error(e).into_response(),
    }
}
