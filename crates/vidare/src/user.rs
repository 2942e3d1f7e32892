//! `vidare user add|list|disable`: accounts from the command line, for the first
//! administrator of a new tenant and for scripted set-ups. Changes are audited as
//! `system:cli`.
//!
//! The password never travels on the command line (where `ps` and shell history would
//! show it): it comes from `VIDARE_PASSWORD`, from standard input when that is not a
//! terminal, or is generated and printed once with `--generate-password`.

use std::io::{BufRead, IsTerminal};

use clap::Subcommand;
use vidare_domain::model::tenant::{Role, RoleKind, Tenant};
use vidare_domain::model::{Email, Text};
use vidare_domain::orgnr::OrganisationNumber;
use vidare_domain::{Lang, Localized};
use vidare_store::repo::tenants::NewUser;
use vidare_store::{Store, StoreError};
use vidare_web::i18n::t;

use crate::Failure;

/// The environment variable a new account's password may come from.
pub const PASSWORD_ENV: &str = "VIDARE_PASSWORD";

/// Characters of a generated password: 128 bits from the secret generator, hex.
const GENERATED_LEN: usize = 32;

#[derive(Subcommand)]
pub enum Action {
    /// Add an account. The password comes from VIDARE_PASSWORD, from standard input
    /// (one line) when it is not a terminal, or is generated with --generate-password.
    Add {
        /// The tenant, by its short name.
        #[arg(long)]
        tenant: String,
        /// tenant_admin, procurement_officer, case_worker, supplier_user, researcher or management.
        #[arg(long)]
        role: String,
        /// The account's e-mail address (its sign-in name).
        email: String,
        /// Display name; the e-mail address when not given.
        #[arg(long)]
        name: Option<String>,
        /// A supplier user's organisation, by organisation number.
        #[arg(long)]
        organisation: Option<String>,
        /// Generate a password and print it once.
        #[arg(long)]
        generate_password: bool,
    },
    /// List a tenant's accounts.
    List {
        /// The tenant, by its short name.
        #[arg(long)]
        tenant: String,
    },
    /// Disable an account: it can no longer sign in, and its sessions end.
    Disable {
        /// The tenant, by its short name.
        #[arg(long)]
        tenant: String,
        /// The account's e-mail address.
        email: String,
    },
}

/// Runs a `user` command.
pub async fn run(store: &Store, action: Action, lang: Lang) -> Result<(), Failure> {
    match action {
        Action::Add {
            tenant,
            role,
            email,
            name,
            organisation,
            generate_password,
        } => {
            add(
                store,
                &tenant,
                &role,
                &email,
                name.as_deref(),
                organisation.as_deref(),
                generate_password,
                lang,
            )
            .await
        }
        Action::List { tenant } => list(store, &tenant, lang).await,
        Action::Disable { tenant, email } => disable(store, &tenant, &email, lang).await,
    }
}

/// The tenant named by `--tenant`, or a message naming the option and pointing to
/// `vidare tenant list`. Every command that takes `--tenant` uses this.
pub async fn tenant_by_slug(store: &Store, slug: &str) -> Result<Tenant, Failure> {
    store.tenant_by_slug(slug).await?.ok_or_else(|| {
        Failure::input(
            format!("--tenant: det finns ingen kommun med kortnamnet {slug:?}. Se `vidare tenant list`."),
            format!("--tenant: there is no tenant called {slug:?}. See `vidare tenant list`."),
        )
    })
}

/// A field's refusal, named by its option.
fn field_error(option: &str, e: &impl Localized) -> Failure {
    Failure::input(
        format!("{option}: {}", e.message(Lang::Sv)),
        format!("{option}: {}", e.message(Lang::En)),
    )
}

/// Where the password comes from, in order: generated, the environment, standard input.
fn password(generate: bool) -> Result<(String, bool), Failure> {
    if generate {
        let secret = vidare_web::session::new_secret();
        return Ok((secret[..GENERATED_LEN].to_string(), true));
    }
    if let Ok(p) = std::env::var(PASSWORD_ENV) {
        return Ok((p, false));
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Err(Failure::input(
            format!(
                "Ange lösenordet i miljövariabeln {PASSWORD_ENV}, skicka det på standard in (en rad), \
                 eller använd --generate-password. Lösenordet tas aldrig som argument."
            ),
            format!(
                "Give the password in the environment variable {PASSWORD_ENV}, send it on standard input \
                 (one line), or use --generate-password. The password is never taken as an argument."
            ),
        ));
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    Ok((line.trim_end_matches(['\r', '\n']).to_string(), false))
}

#[allow(clippy::too_many_arguments)]
async fn add(
    store: &Store,
    slug: &str,
    role: &str,
    email: &str,
    name: Option<&str>,
    organisation: Option<&str>,
    generate: bool,
    lang: Lang,
) -> Result<(), Failure> {
    let tenant = tenant_by_slug(store, slug).await?;
    let email = Email::parse(email).map_err(|e| field_error("EMAIL", &e))?;
    let name = Text::parse_max(name.unwrap_or(email.as_str()), 200)
        .map_err(|e| field_error("--name", &e))?;
    let kind = RoleKind::parse(role.trim()).map_err(|_| {
        let all: Vec<&str> = RoleKind::ALL.iter().map(|k| k.as_str()).collect();
        Failure::input(
            format!(
                "--role: okänd roll {role:?}. Välj en av: {}.",
                all.join(", ")
            ),
            format!(
                "--role: unknown role {role:?}. Choose one of: {}.",
                all.join(", ")
            ),
        )
    })?;
    let s = store.tenant(tenant.id);
    let org = match (kind, organisation) {
        (RoleKind::SupplierUser, None) => {
            return Err(Failure::input(
                "--organisation: en leverantörsanvändare måste höra till en organisation. Ange dess organisationsnummer.",
                "--organisation: a supplier user must belong to an organisation. Give its organisation number.",
            ))
        }
        (RoleKind::SupplierUser, Some(number)) => {
            let number = OrganisationNumber::parse(number)
                .map_err(|e| field_error("--organisation", &e))?;
            let o = s.organisation_by_number(&number).await?.ok_or_else(|| {
                Failure::input(
                    format!("--organisation: {number} finns inte i leverantörsregistret för {}. Importera organisationen först.", tenant.name),
                    format!("--organisation: {number} is not in the supplier register of {}. Import the organisation first.", tenant.name),
                )
            })?;
            Some(o.id)
        }
        (_, Some(_)) => {
            return Err(Failure::input(
                "--organisation: bara leverantörsanvändare hör till en organisation. Ta bort --organisation eller välj rollen supplier_user.",
                "--organisation: only supplier users belong to an organisation. Remove --organisation or choose the role supplier_user.",
            ))
        }
        (_, None) => None,
    };
    let role = Role::from_parts(kind, org).map_err(|e| field_error("--role", &e))?;
    let (password, generated) = password(generate)?;
    if let Some(key) = vidare_web::auth::password_problem(&password, email.as_str()) {
        return Err(Failure::input(
            format!("Lösenordet: {}", t(Lang::Sv, key)),
            format!("The password: {}", t(Lang::En, key)),
        ));
    }
    let shown = generated.then(|| password.clone());
    // argon2 is deliberately slow: off the async workers.
    let hash = tokio::task::spawn_blocking(move || vidare_web::auth::hash_password(&password))
        .await
        .map_err(|e| Failure::Other(e.into()))?;
    let new = NewUser {
        email: email.clone(),
        display_name: name,
        role,
    };
    match s.insert_user_with_password(&new, &hash).await {
        Ok(id) => {
            match lang {
                Lang::Sv => println!(
                    "Kontot {email} ({}) är skapat i {} (id {id}).",
                    kind.name_sv(),
                    tenant.name
                ),
                Lang::En => println!(
                    "Created the account {email} ({}) in {} (id {id}).",
                    kind.name_en(),
                    tenant.name
                ),
            }
            if let Some(p) = shown {
                match lang {
                    Lang::Sv => println!("Lösenord (visas bara nu): {p}"),
                    Lang::En => println!("Password (shown only now): {p}"),
                }
            }
            Ok(())
        }
        Err(StoreError::Conflict { field: "email" }) => Err(Failure::input(
            format!(
                "Det finns redan ett konto med e-postadressen {email} i {}.",
                tenant.name
            ),
            format!(
                "An account with the e-mail address {email} already exists in {}.",
                tenant.name
            ),
        )),
        Err(e) => Err(e.into()),
    }
}

async fn list(store: &Store, slug: &str, lang: Lang) -> Result<(), Failure> {
    let tenant = tenant_by_slug(store, slug).await?;
    let s = store.tenant(tenant.id);
    for u in s.list_users().await? {
        let org = match u.role.organisation_id() {
            Some(id) => s.get_organisation(id).await?.org_number.to_string(),
            None => String::new(),
        };
        let (role, state) = match lang {
            Lang::Sv => (
                u.role.kind().name_sv(),
                if u.active { "aktivt" } else { "inaktiverat" },
            ),
            Lang::En => (
                u.role.kind().name_en(),
                if u.active { "active" } else { "disabled" },
            ),
        };
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}",
            u.email,
            u.display_name,
            u.role.kind().as_str(),
            role,
            org,
            state
        );
    }
    Ok(())
}

async fn disable(store: &Store, slug: &str, email: &str, lang: Lang) -> Result<(), Failure> {
    let tenant = tenant_by_slug(store, slug).await?;
    let email = Email::parse(email).map_err(|e| field_error("EMAIL", &e))?;
    let s = store.tenant(tenant.id);
    let user = s.user_by_email(&email).await?.ok_or_else(|| {
        Failure::input(
            format!("Det finns inget konto med e-postadressen {email} i {}. Se `vidare user list`.", tenant.name),
            format!("There is no account with the e-mail address {email} in {}. See `vidare user list`.", tenant.name),
        )
    })?;
    if user.active {
        s.set_user_active(user.id, false).await?;
    }
    match lang {
        Lang::Sv => println!("Kontot {email} är inaktiverat."),
        Lang::En => println!("The account {email} is disabled."),
    }
    Ok(())
}
