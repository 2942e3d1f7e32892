//! `vidare export …`: files for others to read.
//!
//! - `ocds`: open data, the tenant's procurement rounds as an OCDS 1.1 release package
//!   (`--round ID` or `--all`);
//! - `research`: pseudonymised participant episodes for researchers, as CSV or Parquet,
//!   with a codebook;
//! - `invoices`: a month's invoices and credit notes as Peppol BIS Billing 3.0 UBL files
//!   and a CSV (see `crate::invoices`).
//!
//! Every run is recorded in the tenant's audit log (who exported what); the research
//! export also writes the access log for every participant whose data it read. Files
//! are written under a temporary name and renamed when complete, so a failed run leaves
//! no half-written file. Add an export by adding a variant to [`Export`] and a branch to
//! [`run`].

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, Utc};
use clap::{ArgGroup, Args, Subcommand, ValueEnum};
use vidare_domain::deadline::stockholm_today;
use vidare_domain::ids::RoundId;
use vidare_domain::Lang;
use vidare_exchange::ocds::OcidPrefix;
use vidare_exchange::research::{self, EpisodeInput, PseudonymKey};
use vidare_store::{Change, Store};
use vidare_web::pages::open_data::ocds::{self as ocds_load, OcdsError};

use crate::config::Config;
use crate::Failure;

/// What to export.
#[derive(Subcommand)]
pub enum Export {
    /// Procurement rounds as an OCDS 1.1 release package (open data, JSON).
    Ocds(OcdsArgs),
    /// Pseudonymised participant episodes for researchers, with a codebook.
    Research(ResearchArgs),
    /// A month's invoices and credit notes as Peppol BIS Billing 3.0 UBL files and a CSV.
    Invoices(crate::invoices::ExportArgs),
}

/// `vidare export ocds`.
#[derive(Args)]
#[command(group(ArgGroup::new("which").required(true).args(["round", "all"])))]
pub struct OcdsArgs {
    /// The tenant (municipality), by its short name.
    #[arg(long)]
    pub tenant: String,
    /// The round to export, by id.
    #[arg(long)]
    pub round: Option<i64>,
    /// Export every published round of the tenant.
    #[arg(long)]
    pub all: bool,
    /// The file to write (JSON).
    #[arg(long)]
    pub out: PathBuf,
    /// The tenant's registered OCID prefix (ocds-xxxxxx) for this run; otherwise the one
    /// stored for the tenant (`vidare tenant set-ocid-prefix`), then VIDARE_OCID_PREFIXES,
    /// and for synthetic tenants the standard's test prefix.
    #[arg(long)]
    pub ocid_prefix: Option<String>,
    /// Where the packages are published, for their URIs.
    #[arg(long, env = "VIDARE_PUBLIC_URL")]
    pub base_url: Option<String>,
}

/// The file format of a research export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Csv,
    Parquet,
}

/// `vidare export research`.
#[derive(Args)]
pub struct ResearchArgs {
    /// The tenant (municipality), by its short name.
    #[arg(long)]
    pub tenant: String,
    /// csv or parquet.
    #[arg(long, value_enum)]
    pub format: Format,
    /// The directory to write into (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    /// A key file (64 hex digits) for pseudonyms that stay the same across exports;
    /// created with a new random key if it does not exist. Without it every export gets
    /// a random key that is not kept. Must not be inside the export directory.
    #[arg(long)]
    pub key_file: Option<PathBuf>,
    /// The reference date for censoring and follow-ups due (YYYY-MM-DD); default today.
    #[arg(long)]
    pub as_of: Option<String>,
}

/// Runs an export.
pub async fn run(store: &Store, export: Export, config: &Config) -> Result<(), Failure> {
    match export {
        Export::Ocds(args) => ocds(store, args, config).await,
        Export::Research(args) => research(store, args, config.lang).await,
        Export::Invoices(args) => crate::invoices::export(store, args, config.lang).await,
    }
}

use crate::user::tenant_by_slug as tenant;

/// Writes `bytes` to `path` through a temporary file in the same directory. Public files
/// (open data) are readable by everyone; research files only by their owner.
fn write_atomically(path: &Path, bytes: &[u8], public: bool) -> Result<(), Failure> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| cannot_write(path, e))?;
    tmp.write_all(bytes).map_err(|e| cannot_write(path, e))?;
    #[cfg(unix)]
    if public {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(|e| cannot_write(path, e))?;
    }
    #[cfg(not(unix))]
    let _ = public;
    tmp.persist(path).map_err(|e| cannot_write(path, e.error))?;
    Ok(())
}

fn cannot_write(path: &Path, e: std::io::Error) -> Failure {
    Failure::input(
        format!("--out: kan inte skriva {}: {e}", path.display()),
        format!("--out: cannot write {}: {e}", path.display()),
    )
}

async fn ocds(store: &Store, args: OcdsArgs, config: &Config) -> Result<(), Failure> {
    let tenant = tenant(store, &args.tenant).await?;
    let mut prefixes = ocds_load::configured_prefixes().clone();
    if let Some(p) = &args.ocid_prefix {
        let p = OcidPrefix::parse(p).map_err(|_| {
            Failure::input(
                format!("--ocid-prefix: {p:?} är inget OCID-prefix; det ska vara ocds- följt av sex små bokstäver eller siffror."),
                format!("--ocid-prefix: {p:?} is not an OCID prefix; expected ocds- and six lower-case letters or digits."),
            )
        })?;
        prefixes.set(tenant.slug.as_str(), p);
    }
    let base = args
        .base_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", config.addr))
        .trim_end_matches('/')
        .to_string();
    let now = Utc::now();
    // A tenant without a prefix is told so, whether one round or all are asked for.
    let result = match ocds_load::prefix_for(store, &prefixes, &tenant).await {
        Err(e) => Err(e),
        Ok(_) => match args.round {
            Some(id) => {
                // The round must be this tenant's.
                if store.round_tenant(RoundId(id)).await? != Some(tenant.id) {
                    Err(OcdsError::NotFound)
                } else {
                    ocds_load::round_package(store, &prefixes, RoundId(id), &base, now)
                        .await
                        .map(Some)
                }
            }
            None => {
                ocds_load::tenants_package(
                    store,
                    &prefixes,
                    std::slice::from_ref(&tenant),
                    format!(
                        "{base}/oppen-data/ocds.json?kommun={}",
                        tenant.slug.as_str()
                    ),
                    &base,
                    now,
                )
                .await
            }
        },
    };
    let package = match result {
        Ok(Some(p)) => p,
        Ok(None) => {
            return Err(Failure::input(
                format!("{} har inga publicerade upphandlingar (upphandlingar som planeras publiceras inte).", tenant.name),
                format!("{} has no published rounds (rounds being planned are not published).", tenant.name),
            ))
        }
        Err(OcdsError::NotFound) => {
            return Err(Failure::input(
                format!(
                    "--round: {} har ingen publicerad upphandling med id {}.",
                    tenant.name,
                    args.round.unwrap_or_default()
                ),
                format!(
                    "--round: {} has no published round with id {}.",
                    tenant.name,
                    args.round.unwrap_or_default()
                ),
            ))
        }
        Err(OcdsError::NoPrefix { tenant }) => {
            return Err(Failure::input(
                format!("{tenant} har inget registrerat OCID-prefix. Spara det med `vidare tenant set-ocid-prefix --tenant {tenant} ocds-xxxxxx` (eller på sidan Öppna data), eller ange det med --ocid-prefix eller VIDARE_OCID_PREFIXES ({tenant}=ocds-xxxxxx); ett prefix fås kostnadsfritt från Open Contracting Partnership (data@open-contracting.org)."),
                format!("{tenant} has no registered OCID prefix. Store it with `vidare tenant set-ocid-prefix --tenant {tenant} ocds-xxxxxx` (or on the Open data page), or give it with --ocid-prefix or VIDARE_OCID_PREFIXES ({tenant}=ocds-xxxxxx); the Open Contracting Partnership assigns one free of charge (data@open-contracting.org)."),
            ))
        }
        Err(OcdsError::Store(e)) => return Err(e.into()),
    };
    let releases = package["releases"].as_array().map_or(0, Vec::len);
    let bytes = serde_json::to_vec_pretty(&package).map_err(anyhow::Error::from)?;
    write_atomically(&args.out, &bytes, true)?;
    store
        .tenant_as(tenant.id, vidare_store::Actor::system("cli"))
        .audit(Change::action(
            "export",
            "ocds",
            args.round.map(|r| r.to_string()),
            Some(serde_json::json!({
                "rounds": if args.all { "all".to_string() } else { args.round.unwrap_or_default().to_string() },
                "releases": releases,
                "file": args.out.display().to_string(),
            })),
        ))
        .await?;
    match config.lang {
        Lang::Sv => println!(
            "Skrev {releases} OCDS-releaser till {}.",
            args.out.display()
        ),
        Lang::En => println!("Wrote {releases} OCDS releases to {}.", args.out.display()),
    }
    Ok(())
}

/// Reads or creates the key file.
fn key_from_file(path: &Path, out: &Path) -> Result<(PseudonymKey, bool), Failure> {
    // The key must never land in the export directory.
    let out_abs = std::fs::canonicalize(out).unwrap_or_else(|_| out.to_path_buf());
    let key_dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let key_dir_abs = std::fs::canonicalize(key_dir).unwrap_or_else(|_| key_dir.to_path_buf());
    if key_dir_abs.starts_with(&out_abs) {
        return Err(Failure::input(
            "--key-file: nyckeln får inte ligga i exportkatalogen; lägg den utanför --out.",
            "--key-file: the key must not be inside the export directory; keep it outside --out.",
        ));
    }
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let key = PseudonymKey::from_hex(&text).map_err(|_| {
                Failure::input(
                    format!(
                        "--key-file: {} ska innehålla nyckeln som 64 hexadecimala tecken.",
                        path.display()
                    ),
                    format!(
                        "--key-file: {} must hold the key as 64 hexadecimal digits.",
                        path.display()
                    ),
                )
            })?;
            Ok((key, false))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = PseudonymKey::random();
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(0o600);
            }
            let mut f = opts.open(path).map_err(|e| {
                Failure::input(
                    format!("--key-file: kan inte skapa {}: {e}", path.display()),
                    format!("--key-file: cannot create {}: {e}", path.display()),
                )
            })?;
            writeln!(f, "{}", key.to_hex())?;
            Ok((key, true))
        }
        Err(e) => Err(Failure::input(
            format!("--key-file: kan inte läsa {}: {e}", path.display()),
            format!("--key-file: cannot read {}: {e}", path.display()),
        )),
    }
}

async fn research(store: &Store, args: ResearchArgs, lang: Lang) -> Result<(), Failure> {
    let tenant = tenant(store, &args.tenant).await?;
    let as_of = match &args.as_of {
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
            Failure::input(
                format!("--as-of: {s:?} är inget datum; skriv ÅÅÅÅ-MM-DD."),
                format!("--as-of: {s:?} is not a date; write YYYY-MM-DD."),
            )
        })?,
        None => stockholm_today(Utc::now()),
    };
    std::fs::create_dir_all(&args.out).map_err(|e| cannot_write(&args.out, e))?;
    let (key, created) = match &args.key_file {
        Some(path) => {
            let (k, created) = key_from_file(path, &args.out)?;
            (Some(k), created)
        }
        None => (None, false),
    };
    let key_supplied = key.is_some();
    let key = key.unwrap_or_else(PseudonymKey::random);

    let scoped = store.tenant_as(tenant.id, vidare_store::Actor::system("cli"));
    let episodes = scoped.research_episodes().await?;
    let inputs: Vec<EpisodeInput> = episodes
        .iter()
        .map(|e| EpisodeInput {
            tenant_id: tenant.id.get(),
            placement_id: e.placement_id.get(),
            participant_id: e.participant_id.get(),
            organisation_id: e.organisation_id.get(),
            birth_date: e.birth_date,
            covariates: e.covariates.clone(),
            registered_on: e.registered_on,
            placement_type: e.placement_type_code.clone(),
            procurement: match e.legal_basis {
                Some(b) => research::Procurement::Round(b.as_str()),
                None => research::Procurement::NoRound,
            },
            start_date: e.start_date,
            end_date: e.end_date,
            planned_end: e.planned_end,
            weekly_minutes: e.weekly_minutes,
            exit: e.exit,
            follow_ups: e.follow_ups.clone(),
        })
        .collect();
    let rows = research::episodes(&inputs, &key, as_of);

    // Who read whose data, and who exported what: before the data leave for the files.
    let mut participants: Vec<_> = episodes.iter().map(|e| e.participant_id).collect();
    participants.sort_unstable_by_key(|p| p.get());
    participants.dedup();
    scoped
        .log_access(&participants, "research export (pseudonymised)", None)
        .await?;
    let data_file = match args.format {
        Format::Csv => "episodes.csv",
        Format::Parquet => "episodes.parquet",
    };
    scoped
        .audit(Change::action(
            "export",
            "research",
            None,
            Some(serde_json::json!({
                "format": data_file,
                "rows": rows.len(),
                "participants": participants.len(),
                "as_of": as_of.to_string(),
                "key_fingerprint": key.fingerprint(),
                "key_supplied": key_supplied,
                "directory": args.out.display().to_string(),
            })),
        ))
        .await?;

    let data_path = args.out.join(data_file);
    match args.format {
        Format::Csv => {
            let mut buf = Vec::new();
            research::write_csv(&mut buf, &rows)?;
            write_atomically(&data_path, &buf, false)?;
        }
        Format::Parquet => {
            let tmp = tempfile::NamedTempFile::new_in(&args.out)
                .map_err(|e| cannot_write(&data_path, e))?;
            research::write_parquet(tmp.path(), &rows)
                .map_err(|e| Failure::Other(anyhow::anyhow!("{}: {e}", data_path.display())))?;
            tmp.persist(&data_path)
                .map_err(|e| cannot_write(&data_path, e.error))?;
        }
    }
    let info = research::ExportInfo {
        tenant_name: tenant.name.to_string(),
        exported_at: Utc::now(),
        as_of,
        rows: rows.len(),
        key_fingerprint: key.fingerprint(),
        key_supplied,
        files: vec![data_file.to_string()],
    };
    write_atomically(
        &args.out.join("codebook.md"),
        research::codebook_markdown(&info).as_bytes(),
        false,
    )?;
    write_atomically(
        &args.out.join("codebook.csv"),
        research::codebook_csv().as_bytes(),
        false,
    )?;
    match lang {
        Lang::Sv => {
            println!(
                "Skrev {} episoder ({} deltagare) till {} med kodbok (codebook.md, codebook.csv). Nyckelns fingeravtryck: {}.",
                rows.len(),
                participants.len(),
                data_path.display(),
                key.fingerprint()
            );
            if created {
                println!(
                    "Ny nyckel sparad i {}: förvara den säkert.",
                    args.key_file.as_deref().unwrap_or(Path::new("")).display()
                );
            }
        }
        Lang::En => {
            println!(
                "Wrote {} episodes ({} participants) to {} with a codebook (codebook.md, codebook.csv). Key fingerprint: {}.",
                rows.len(),
                participants.len(),
                data_path.display(),
                key.fingerprint()
            );
            if created {
                println!(
                    "New key saved in {}: keep it safe.",
                    args.key_file.as_deref().unwrap_or(Path::new("")).display()
                );
            }
        }
    }
    Ok(())
}
