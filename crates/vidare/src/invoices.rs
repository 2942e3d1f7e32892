//! Invoicing from the command line:
//!
//! - `vidare export invoices --tenant T --month YYYY-MM --out DIR`: every approved, sent
//!   or paid invoice and credit note of the month as a Peppol BIS Billing 3.0 UBL file,
//!   plus one CSV of all their lines for Swedish Excel;
//! - `vidare invoicing settings …`: the municipality's buyer details on the invoices;
//! - `vidare invoicing create --month YYYY-MM`: draft invoices from approved attendance.
//!
//! All documents are built in memory before anything is written, so a refused export
//! writes nothing; each file is written under a temporary name and renamed. Every run is
//! audit-logged.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, Utc};
use clap::{Args, Subcommand};
use vidare_domain::deadline::stockholm_today;
use vidare_domain::model::invoice::{InvoiceDocument, InvoiceStatus};
use vidare_domain::model::Text;
use vidare_domain::orgnr::OrganisationNumber;
use vidare_domain::period::YearMonth;
use vidare_domain::Lang;
use vidare_exchange::peppol::{file_name, invoices_csv, ubl_xml};
use vidare_store::repo::invoices::{InvoiceFilter, InvoicingSettings};
use vidare_store::{Change, Store};

use crate::Failure;

/// `vidare export invoices`.
#[derive(Args)]
pub struct ExportArgs {
    /// The tenant (municipality), by its short name.
    #[arg(long)]
    pub tenant: String,
    /// The month invoiced (YYYY-MM).
    #[arg(long)]
    pub month: String,
    /// The directory to write into (created if missing).
    #[arg(long)]
    pub out: PathBuf,
}

/// `vidare invoicing …`.
#[derive(Subcommand)]
pub enum Action {
    /// Set the municipality's details as the buyer on its suppliers' invoices.
    Settings {
        /// The tenant (municipality), by its short name.
        #[arg(long)]
        tenant: String,
        /// The municipality's organisation number (NNNNNN-NNNN).
        #[arg(long)]
        org_number: String,
        /// The buyer reference printed on every invoice (e.g. the unit's reference).
        #[arg(long)]
        reference: String,
        /// Payment terms in days.
        #[arg(long, default_value_t = 30)]
        payment_days: u32,
        #[arg(long)]
        street: Option<String>,
        #[arg(long)]
        postcode: Option<String>,
        #[arg(long)]
        city: Option<String>,
    },
    /// Create draft invoices for a month from approved attendance.
    Create {
        /// The tenant (municipality), by its short name.
        #[arg(long)]
        tenant: String,
        /// The month to invoice (YYYY-MM).
        #[arg(long)]
        month: String,
        /// The invoice date (YYYY-MM-DD); default today.
        #[arg(long)]
        issue_date: Option<String>,
    },
}

use crate::user::tenant_by_slug as tenant;

fn month(s: &str) -> Result<YearMonth, Failure> {
    YearMonth::parse(s).map_err(|_| {
        Failure::input(
            format!("--month: {s:?} är ingen månad; skriv ÅÅÅÅ-MM, till exempel 2024-03."),
            format!("--month: {s:?} is not a month; write YYYY-MM, for example 2024-03."),
        )
    })
}

fn optional_text(flag: &str, v: Option<String>) -> Result<Option<Text>, Failure> {
    v.filter(|s| !s.trim().is_empty())
        .map(|s| {
            Text::parse(&s)
                .map_err(|e| Failure::input(format!("--{flag}: {e}"), format!("--{flag}: {e}")))
        })
        .transpose()
}

/// Runs `vidare invoicing …`.
pub async fn run(store: &Store, action: Action, lang: Lang) -> Result<(), Failure> {
    match action {
        Action::Settings {
            tenant: slug,
            org_number,
            reference,
            payment_days,
            street,
            postcode,
            city,
        } => {
            let t = tenant(store, &slug).await?;
            let org_number = OrganisationNumber::parse(&org_number).map_err(|e| {
                Failure::input(
                    format!(
                        "--org-number: {}",
                        vidare_domain::Localized::message(&e, Lang::Sv)
                    ),
                    format!(
                        "--org-number: {}",
                        vidare_domain::Localized::message(&e, Lang::En)
                    ),
                )
            })?;
            let settings = InvoicingSettings {
                org_number,
                buyer_reference: optional_text("reference", Some(reference))?.ok_or_else(|| {
                    Failure::input(
                        "--reference: referensen saknas.",
                        "--reference: the reference is missing.",
                    )
                })?,
                street: optional_text("street", street)?,
                postcode: optional_text("postcode", postcode)?,
                city: optional_text("city", city)?,
                payment_days,
            };
            store
                .tenant(t.id)
                .save_invoicing_settings(&settings)
                .await?;
            println!(
                "{}",
                match lang {
                    Lang::Sv => format!("Fakturauppgifterna för {} är sparade.", t.name),
                    Lang::En => format!("The invoicing details of {} are saved.", t.name),
                }
            );
            Ok(())
        }
        Action::Create {
            tenant: slug,
            month: m,
            issue_date,
        } => {
            let t = tenant(store, &slug).await?;
            let m = month(&m)?;
            let issue = match issue_date {
                Some(s) => NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_err(|_| {
                    Failure::input(
                        format!("--issue-date: {s:?} är inget datum; skriv ÅÅÅÅ-MM-DD."),
                        format!("--issue-date: {s:?} is not a date; write YYYY-MM-DD."),
                    )
                })?,
                None => stockholm_today(Utc::now()),
            };
            let created = store
                .tenant(t.id)
                .create_invoices_for_month(m, issue)
                .await?;
            println!(
                "{}",
                match lang {
                    Lang::Sv => format!(
                        "{} fakturautkast för {m} med {} rader, totalt {}.",
                        created.invoices.len(),
                        created.lines,
                        created.total
                    ),
                    Lang::En => format!(
                        "{} draft invoices for {m} with {} lines, {} in total.",
                        created.invoices.len(),
                        created.lines,
                        created.total
                    ),
                }
            );
            Ok(())
        }
    }
}

/// Runs `vidare export invoices`.
pub async fn export(store: &Store, args: ExportArgs, lang: Lang) -> Result<(), Failure> {
    let t = tenant(store, &args.tenant).await?;
    let m = month(&args.month)?;
    let s = store.tenant(t.id);
    let invoices = s
        .list_invoices(&InvoiceFilter {
            month: Some(m),
            ..InvoiceFilter::default()
        })
        .await?;
    let mut docs: Vec<InvoiceDocument> = Vec::new();
    for inv in invoices.iter().filter(|i| i.status != InvoiceStatus::Draft) {
        docs.push(s.invoice_document(inv.id).await?);
    }
    if docs.is_empty() {
        return Err(Failure::input(
            format!("--month: {} har inga godkända fakturor för {m}. Skapa och godkänn dem först (utkast exporteras inte).", t.name),
            format!("--month: {} has no approved invoices for {m}. Create and approve them first (drafts are not exported).", t.name),
        ));
    }
    std::fs::create_dir_all(&args.out).map_err(|e| cannot_write(&args.out, e))?;
    let mut written = Vec::new();
    for doc in &docs {
        let path = args.out.join(file_name(doc));
        write_atomically(&path, ubl_xml(doc).as_bytes())?;
        written.push(path);
    }
    let csv = args.out.join(format!("fakturor-{m}.csv"));
    write_atomically(&csv, &invoices_csv(&docs))?;
    s.audit(Change::action(
        "export",
        "invoices",
        None,
        Some(serde_json::json!({
            "month": m,
            "documents": docs.iter().map(|d| d.number.clone()).collect::<Vec<_>>(),
            "format": "peppol-bis-billing-3.0+csv",
        })),
    ))
    .await?;
    for p in &written {
        println!("{}", p.display());
    }
    println!("{}", csv.display());
    eprintln!(
        "{}",
        match lang {
            Lang::Sv => format!(
                "{} dokument (Peppol BIS Billing 3.0) och en CSV för {m}.",
                docs.len()
            ),
            Lang::En => format!(
                "{} documents (Peppol BIS Billing 3.0) and one CSV for {m}.",
                docs.len()
            ),
        }
    );
    Ok(())
}

/// Writes `bytes` to `path` through a temporary file in the same directory.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| cannot_write(path, e))?;
    tmp.write_all(bytes).map_err(|e| cannot_write(path, e))?;
    tmp.persist(path).map_err(|e| cannot_write(path, e.error))?;
    Ok(())
}

fn cannot_write(path: &Path, e: std::io::Error) -> Failure {
    Failure::input(
        format!("--out: kan inte skriva {}: {e}", path.display()),
        format!("--out: cannot write {}: {e}", path.display()),
    )
}
