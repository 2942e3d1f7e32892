//! The `vidare` command: one binary for serving, migrating, the demo, imports and
//! benchmarks. Errors are printed as plain sentences (Swedish by default) and give a
//! non-zero exit code; no stack traces.

mod audit;
mod bench;
mod config;
mod demo;
mod effects;
mod export;
mod generate;
mod import;
mod invoices;
mod participants;
mod report;
mod user;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use vidare_domain::{Lang, Localized};
use vidare_store::{Store, StoreError};

use crate::config::Config;

#[derive(Parser)]
#[command(
    name = "vidare",
    version,
    about = "Reserverad upphandling av sysselsättningsplatser, placeringar och effektmätning.",
    long_about = "Vidare: reserved procurement of employment placements from social enterprises, \
                  the placements themselves, and what they achieve."
)]
struct Cli {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: Command,
}

/// Options every command takes. Each can also come from the environment or the
/// configuration file; the command line wins, then the environment, then the file.
#[derive(Args, Debug, Clone)]
pub struct Common {
    /// Database URL: sqlite://PATH or postgres://USER@HOST/DB.
    #[arg(long, global = true, env = "VIDARE_DATABASE_URL")]
    pub database: Option<String>,
    /// Configuration file (TOML).
    #[arg(long, global = true, env = "VIDARE_CONFIG")]
    pub config: Option<PathBuf>,
    /// Log format.
    #[arg(long, global = true, env = "VIDARE_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
    /// Language of messages: sv or en.
    #[arg(long, global = true, env = "VIDARE_LANG")]
    pub lang: Option<String>,
}

/// How log lines are written to standard error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web application and API.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "VIDARE_ADDR")]
        addr: Option<String>,
    },
    /// Apply pending database migrations.
    Migrate,
    /// Create a demo database with synthetic data if there is none, and serve it.
    Demo {
        /// Address to listen on.
        #[arg(long, env = "VIDARE_ADDR")]
        addr: Option<String>,
        /// Create the demo data and exit without serving.
        #[arg(long)]
        no_serve: bool,
    },
    /// Generate synthetic municipalities with a known true effect (demo, region, national).
    Generate(generate::GenerateArgs),
    /// Import participants or organisations from a CSV file (all rows or none).
    Import {
        #[arg(value_enum)]
        kind: import::Kind,
        /// The CSV file: UTF-8 (with or without BOM), `;` or `,` separated.
        file: PathBuf,
        /// The tenant (municipality) to import into, by its short name.
        #[arg(long)]
        tenant: String,
        /// Mark the imported rows as synthetic test data.
        #[arg(long)]
        synthetic: bool,
    },
    /// Manage tenants (municipalities).
    Tenant {
        #[command(subcommand)]
        action: TenantAction,
    },
    /// Manage a tenant's user accounts.
    User {
        #[command(subcommand)]
        action: user::Action,
    },
    /// Check the audit log.
    Audit {
        #[command(subcommand)]
        action: audit::Action,
    },
    /// Participants: anonymisation after the retention period.
    Participants {
        #[command(subcommand)]
        action: participants::Action,
    },
    /// Export files: open data (OCDS) or pseudonymised research data.
    Export {
        #[command(subcommand)]
        what: export::Export,
    },
    /// Invoicing: the municipality's buyer details, draft invoices from approved attendance.
    Invoicing {
        #[command(subcommand)]
        action: invoices::Action,
    },
    /// Print every figure of the effect measurement with its confidence interval.
    Effects(effects::EffectsArgs),
    /// Write the final effect report of a round as HTML or PDF.
    Report(report::ReportArgs),
    /// Run a benchmark and print its figures.
    Bench {
        #[command(subcommand)]
        which: bench::Which,
    },
}

#[derive(Subcommand)]
enum TenantAction {
    /// Add a tenant.
    Add {
        /// Short name used on the command line and in URLs (a–z, 0–9, -).
        slug: String,
        /// Display name, e.g. "Östersunds kommun".
        #[arg(long)]
        name: String,
        /// SCB municipality code, e.g. 2380.
        #[arg(long)]
        municipality_code: Option<String>,
    },
    /// List tenants.
    List,
    /// Store the OCID prefix the tenant's open data (OCDS) is published under, as the
    /// Open Contracting Partnership assigned it; it comes before VIDARE_OCID_PREFIXES.
    SetOcidPrefix {
        /// The tenant (municipality), by its short name.
        #[arg(long)]
        tenant: String,
        /// The prefix: ocds- and six lower-case letters or digits, e.g. ocds-a1b2c3.
        #[arg(required_unless_present = "remove", conflicts_with = "remove")]
        prefix: Option<String>,
        /// Remove the stored prefix instead.
        #[arg(long)]
        remove: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(&cli.common) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    config::init_logging(config.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let lang = config.lang;
    match runtime.block_on(run(cli.command, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}", e.message(lang));
            ExitCode::from(e.exit_code())
        }
    }
}

/// A command's failure, explained to the person who ran it.
#[derive(Debug)]
pub enum Failure {
    /// The user's input was refused (exit code 2).
    Input { sv: String, en: String },
    /// The database said no.
    Store(StoreError),
    /// Anything else (exit code 1).
    Other(anyhow::Error),
}

impl Failure {
    pub fn input(sv: impl Into<String>, en: impl Into<String>) -> Failure {
        Failure::Input {
            sv: sv.into(),
            en: en.into(),
        }
    }

    fn exit_code(&self) -> u8 {
        match self {
            Failure::Input { .. } => 2,
            Failure::Store(e) if e.is_client_error() => 2,
            _ => 1,
        }
    }
}

impl Localized for Failure {
    fn message(&self, lang: Lang) -> String {
        let prefix = match lang {
            Lang::Sv => "fel",
            Lang::En => "error",
        };
        let text = match (self, lang) {
            (Failure::Input { sv, .. }, Lang::Sv) => sv.clone(),
            (Failure::Input { en, .. }, Lang::En) => en.clone(),
            (Failure::Store(e), lang) => e.message(lang),
            (Failure::Other(e), _) => format!("{e:#}"),
        };
        format!("{prefix}: {text}")
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Failure::Store(e)
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Other(e)
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure::Other(e.into())
    }
}

async fn run(command: Command, config: Config) -> Result<(), Failure> {
    match command {
        Command::Serve { addr } => {
            let store = Store::connect(&config.database_url).await?;
            let version = store.require_current_schema().await?;
            let settings = vidare_web::Settings {
                secure_cookies: config.secure_cookies,
                ..Default::default()
            };
            let mailer = mailer(&config)?;
            serve_with(
                store,
                version,
                addr.unwrap_or(config.addr),
                settings,
                mailer,
            )
            .await
        }
        Command::Migrate => {
            let store = Store::connect(&config.database_url).await?;
            store.migrate().await?;
            let version = store.require_current_schema().await?;
            println!(
                "{}",
                match config.lang {
                    Lang::Sv => format!("Databasen har schemaversion {version}."),
                    Lang::En => format!("The database is at schema version {version}."),
                }
            );
            Ok(())
        }
        Command::Demo { addr, no_serve } => {
            let url = if config.database_is_default {
                config::DEMO_DATABASE_URL
            } else {
                &config.database_url
            };
            let store = Store::connect(url).await?;
            store.migrate().await?;
            demo::ensure(&store).await?;
            demo_passwords(&store).await?;
            let version = store.require_current_schema().await?;
            if no_serve {
                return Ok(());
            }
            let addr = addr.unwrap_or(config.addr);
            println!(
                "Vidare demo: http://{addr}/ (lösenord/password: {})",
                vidare_web::pages::DEMO_PASSWORD
            );
            let settings = vidare_web::Settings {
                show_demo_accounts: true,
                ..Default::default()
            };
            serve(store, version, addr, settings).await
        }
        Command::Import {
            kind,
            file,
            tenant,
            synthetic,
        } => {
            let store = Store::connect(&config.database_url).await?;
            store.require_current_schema().await?;
            import::run(&store, kind, &file, &tenant, synthetic, config.lang).await
        }
        Command::Tenant { action } => {
            let store = Store::connect(&config.database_url).await?;
            store.require_current_schema().await?;
            tenant(&store, action).await
        }
        Command::User { action } => {
            let store = Store::connect(&config.database_url).await?;
            store.require_current_schema().await?;
            user::run(&store, action, config.lang).await
        }
        Command::Audit { action } => {
            let store = Store::connect(&config.database_url).await?;
            store.require_current_schema().await?;
            audit::run(&store, action, config.lang).await
        }
        Command::Participants { action } => {
            let store = Store::connect(&config.database_url).await?;
            store.require_current_schema().await?;
            participants::run(&store, action, config.lang).await
        }
        Command::Export { what } => {
            let store = Store::connect(&config.database_url).await?;
            store.require_current_schema().await?;
            export::run(&store, what, &config).await
        }
        Command::Invoicing { action } => {
            let store = Store::connect(&config.database_url).await?;
            store.require_current_schema().await?;
            invoices::run(&store, action, config.lang).await
        }
        Command::Effects(args) => {
            let store = Store::connect(&config.database_url).await?;
            store.require_current_schema().await?;
            effects::run(&store, args, config.lang).await
        }
        Command::Report(args) => {
            let store = Store::connect(&config.database_url).await?;
            store.require_current_schema().await?;
            report::run(&store, args, config.lang).await
        }
        Command::Bench { which } => bench::run(which, &config).await,
        Command::Generate(args) => generate::run(args, &config).await,
    }
}

/// Gives every account of the synthetic demo tenant that has no password the demo's
/// shared password, so each role can sign in.
async fn demo_passwords(store: &Store) -> Result<(), Failure> {
    let Some(tenant) = store.tenant_by_slug(demo::SLUG).await? else {
        return Ok(());
    };
    let s = store.tenant_as(tenant.id, vidare_store::Actor::system("demo"));
    let hash = vidare_web::auth::hash_password(vidare_web::pages::DEMO_PASSWORD);
    for user in s.list_users().await? {
        let has_password = s
            .credentials(&user.email)
            .await?
            .is_some_and(|c| c.password_hash.is_some());
        if !has_password {
            s.set_password_hash(user.id, &hash, None).await?;
        }
    }
    Ok(())
}

/// The mailer for invitation letters when `VIDARE_SMTP_URL` is set.
fn mailer(
    config: &Config,
) -> Result<Option<vidare_web::pages::procurement::mail::Mailer>, Failure> {
    let Some(url) = &config.smtp_url else {
        return Ok(None);
    };
    vidare_web::pages::procurement::mail::Mailer::new(url, &config.smtp_from)
        .map(Some)
        .map_err(|e| {
            Failure::input(
                format!("VIDARE_SMTP_URL/VIDARE_SMTP_FROM är felaktig: {e}"),
                format!("VIDARE_SMTP_URL/VIDARE_SMTP_FROM is invalid: {e}"),
            )
        })
}

async fn serve(
    store: Store,
    schema_version: i64,
    addr: String,
    settings: vidare_web::Settings,
) -> Result<(), Failure> {
    serve_with(store, schema_version, addr, settings, None).await
}

async fn serve_with(
    store: Store,
    schema_version: i64,
    addr: String,
    settings: vidare_web::Settings,
    mailer: Option<vidare_web::pages::procurement::mail::Mailer>,
) -> Result<(), Failure> {
    let listener = tokio::net::TcpListener::bind(&addr).await.map_err(|e| {
        Failure::input(
            format!("Kan inte lyssna på {addr}: {e}. Välj en annan adress med --addr."),
            format!("Cannot listen on {addr}: {e}. Choose another address with --addr."),
        )
    })?;
    let mut state = vidare_web::AppState::with_settings(store.clone(), schema_version, settings);
    if let Some(m) = mailer {
        state = state.with_mailer(m);
    }
    let app = vidare_web::router(state);
    // Dashboards answer from precomputed figures from the start.
    let warming = store.clone();
    tokio::spawn(async move {
        let started = std::time::Instant::now();
        let n = vidare_web::pages::effects::figures::warm_caches(&warming).await;
        tracing::info!(
            tenants = n,
            seconds = started.elapsed().as_secs_f64(),
            "effect figures precomputed"
        );
    });
    vidare_web::serve(listener, app, vidare_web::shutdown_signal()).await?;
    store.close().await;
    Ok(())
}

async fn tenant(store: &Store, action: TenantAction) -> Result<(), Failure> {
    use vidare_domain::model::tenant::MunicipalityCode;
    use vidare_domain::model::{Slug, Text};
    use vidare_store::repo::tenants::NewTenant;
    match action {
        TenantAction::Add {
            slug,
            name,
            municipality_code,
        } => {
            let slug = Slug::parse(&slug).map_err(|e| {
                Failure::input(
                    format!("slug: {}", e.message(Lang::Sv)),
                    format!("slug: {}", e.message(Lang::En)),
                )
            })?;
            let name = Text::parse_max(&name, 200).map_err(|e| {
                Failure::input(
                    format!("--name: {}", e.message(Lang::Sv)),
                    format!("--name: {}", e.message(Lang::En)),
                )
            })?;
            let municipality_code = municipality_code
                .map(|c| MunicipalityCode::parse(&c))
                .transpose()
                .map_err(|e| {
                    Failure::input(
                        format!("--municipality-code: {}", e.sv),
                        format!("--municipality-code: {}", e.en),
                    )
                })?;
            let id = store
                .insert_tenant(&NewTenant {
                    slug: slug.clone(),
                    name,
                    municipality_code,
                    synthetic: false,
                })
                .await?;
            println!("{slug} (id {id})");
            Ok(())
        }
        TenantAction::SetOcidPrefix {
            tenant,
            prefix,
            remove: _,
        } => {
            let t = user::tenant_by_slug(store, &tenant).await?;
            let prefix = prefix
                .map(|p| {
                    vidare_exchange::ocds::OcidPrefix::parse(&p).map_err(|_| {
                        Failure::input(
                            format!("PREFIX: {p:?} är inget OCID-prefix; det ska vara ocds- följt av sex små bokstäver eller siffror, till exempel ocds-a1b2c3."),
                            format!("PREFIX: {p:?} is not an OCID prefix; expected ocds- and six lower-case letters or digits, for example ocds-a1b2c3."),
                        )
                    })
                })
                .transpose()?;
            store
                .tenant(t.id)
                .set_ocid_prefix(prefix.as_ref().map(|p| p.as_str()))
                .await?;
            match prefix {
                Some(p) => println!("{}\t{}", t.slug, p.as_str()),
                None => println!("{}\t-", t.slug),
            }
            Ok(())
        }
        TenantAction::List => {
            for t in store.list_tenants().await? {
                println!(
                    "{}\t{}\t{}{}",
                    t.slug,
                    t.name,
                    t.municipality_code
                        .map(|c| c.as_str().to_string())
                        .unwrap_or_default(),
                    if t.synthetic { "\tsyntetisk" } else { "" }
                );
            }
            Ok(())
        }
    }
}
