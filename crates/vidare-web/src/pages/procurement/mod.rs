//! The procurement area's pages: a procurement officer plans a round with its lots,
//! reaches suppliers (invitation letters, an information meeting, the public notice),
//! answers questions, qualifies and evaluates the tenders once the deadline has passed,
//! makes the award decision and signs the framework agreements after the standstill;
//! suppliers tender in their portal; the public reads the notices.
//!
//! Time comes from [`AppState::now`] (a clock tests move). The seal on tenders is the
//! store's: these pages only show what it hands out.
//!
//! Routes are added to [`routes`]; the permission table in
//! `tests/permissions/procurement.rs` lists each of them.

pub mod mail;
mod notices;
mod outreach;
mod portal;
mod rounds;
mod tendering;

pub(crate) use outreach::{parse_meeting, parse_registration, parse_supplier_registration};
pub(crate) use rounds::{parse_criteria_api, parse_lot_api, parse_round_api};

use axum::extract::multipart::MultipartRejection;
use axum::extract::Multipart;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use vidare_domain::model::procurement::{LegalBasis, PlacementType, ProcurementRound, RoundStatus};
use vidare_domain::Lang;
use vidare_store::StoreError;

use crate::pages::Ctx;
use crate::routes::RouteDef;
use crate::upload::with_upload_limit;

/// Every page route of this area; the file uploads accept bodies up to the store's
/// document limit ([`with_upload_limit`]).
pub fn routes() -> Vec<RouteDef> {
    [
        rounds::routes(),
        outreach::routes(),
        tendering::routes(),
        portal::routes(),
        notices::routes(),
    ]
    .into_iter()
    .flatten()
    .map(|def| {
        if UPLOAD_PAGES.contains(&def.path) && def.method == axum::http::Method::POST {
            with_upload_limit(def)
        } else {
            def
        }
    })
    .collect()
}

/// The pages that take a document upload.
const UPLOAD_PAGES: &[&str] = &[
    "/upphandlingar/{id}/dokument",
    "/portal/anbud/{id}/dokument",
];

/// Problems with a submitted form, one per field, shown beside the field and in a
/// summary at the top.
#[derive(Debug, Default, Clone)]
pub struct Errors(Vec<(&'static str, String)>);

impl Errors {
    /// Records a problem with `field`.
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push((field, message.into()));
    }

    /// The problem with `field`, if any.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }

    /// Whether no problem was found.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every problem.
    pub fn all(&self) -> &[(&'static str, String)] {
        &self.0
    }

    /// Records a store refusal on its field (rules) or as a general problem; returns the
    /// error back when it is not the user's to correct.
    pub fn store(&mut self, ctx: &Ctx, e: StoreError) -> Result<(), StoreError> {
        use vidare_domain::Localized;
        match e {
            StoreError::Rule(v) => {
                self.add(v.field, v.message(ctx.lang));
                Ok(())
            }
            StoreError::Conflict { field } => {
                self.add(field, e.message(ctx.lang));
                Ok(())
            }
            StoreError::NotFound { .. } => {
                self.add("id", ctx.t("proc.not_found_item"));
                Ok(())
            }
            other => Err(other),
        }
    }
}

/// A link in a round's own menu.
pub struct Link {
    pub href: String,
    pub label: &'static str,
    pub current: bool,
}

/// The menu of a round's pages.
pub fn round_nav(ctx: &Ctx, id: i64) -> Vec<Link> {
    [
        ("", "proc.nav_overview"),
        ("/delomraden", "proc.nav_lots"),
        ("/inbjudningar", "proc.nav_outreach"),
        ("/fragor", "proc.nav_questions"),
        ("/utvardering", "proc.nav_evaluation"),
        ("/tilldelning", "proc.nav_award"),
        ("/avtal", "proc.nav_agreements"),
    ]
    .iter()
    .map(|(suffix, key)| {
        let href = format!("/upphandlingar/{id}{suffix}");
        Link {
            current: ctx.path == href,
            href,
            label: ctx.t(key),
        }
    })
    .collect()
}

/// A round's status in the user's language.
pub fn status_name(ctx: &Ctx, s: RoundStatus) -> &'static str {
    ctx.t(match s {
        RoundStatus::Planning => "proc.status_planning",
        RoundStatus::Published => "proc.status_published",
        RoundStatus::Evaluation => "proc.status_evaluation",
        RoundStatus::Awarded => "proc.status_awarded",
        RoundStatus::Contracted => "proc.status_contracted",
        RoundStatus::Cancelled => "proc.status_cancelled",
    })
}

/// A legal basis in the user's language.
pub fn basis_name(ctx: &Ctx, b: LegalBasis) -> &'static str {
    ctx.t(match b {
        LegalBasis::ReservedIntegration => "proc.basis_reserved_integration",
        LegalBasis::ReservedIdeaDriven => "proc.basis_reserved_idea_driven",
        LegalBasis::NotReserved => "proc.basis_not_reserved",
    })
}

/// A placement type's name in the user's language.
pub fn type_name(
    lang: Lang,
    types: &[PlacementType],
    id: vidare_domain::ids::PlacementTypeId,
) -> String {
    types
        .iter()
        .find(|t| t.id == id)
        .map(|t| match lang {
            Lang::Sv => t.name_sv.to_string(),
            Lang::En => t.name_en.to_string(),
        })
        .unwrap_or_default()
}

/// The deadline as shown: `2026-03-02 12:00 (Stockholm)`, or a dash.
pub fn deadline_text(r: &ProcurementRound) -> String {
    r.tender_deadline
        .as_ref()
        .map(|d| d.to_string())
        .unwrap_or_else(|| "–".into())
}

/// A share in per mille as `42,5 %`.
pub fn permille_text(pm: u32) -> String {
    format!("{},{}\u{a0}%", pm / 10, pm % 10)
}

/// Points in hundredths as `88,00`.
pub fn centi_text(c: u32) -> String {
    format!("{},{:02}", c / 100, c % 100)
}

/// One uploaded file from a multipart form: its field name, file name, type and bytes.
pub struct Upload {
    pub fields: Vec<(String, String)>,
    pub file: Option<vidare_store::repo::tendering::NewFile>,
}

impl Upload {
    /// A text field's value.
    pub fn field(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }
}

/// Reads a multipart form with at most one file (in the field `file`), keeping the text
/// fields. `Err` when the body is not a readable form. A file over the store's limit
/// stops the reading: it comes back longer than the limit (and what followed it is
/// dropped), so that the store refuses it with its message naming the field; so does a
/// body cut off at the route's limit ([`with_upload_limit`]).
pub async fn read_upload(form: Result<Multipart, MultipartRejection>) -> Result<Upload, ()> {
    let mut form = form.map_err(|_| ())?;
    let mut out = Upload {
        fields: Vec::new(),
        file: None,
    };
    let limit = vidare_store::repo::tendering::MAX_DOCUMENT_BYTES;
    let oversized = |out: &mut Upload, filename: String| {
        out.file = Some(vidare_store::repo::tendering::NewFile {
            filename,
            mime: "application/octet-stream".into(),
            content: vec![0; limit + 1],
        });
    };
    loop {
        let mut field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                oversized(&mut out, String::new());
                break;
            }
            Err(_) => return Err(()),
        };
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            let filename = field.file_name().unwrap_or_default().to_string();
            let mime = field
                .content_type()
                .unwrap_or("application/octet-stream")
                .to_string();
            let mut content = Vec::new();
            loop {
                match field.chunk().await {
                    Ok(Some(chunk)) => content.extend_from_slice(&chunk),
                    Ok(None) => break,
                    Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                        oversized(&mut out, filename);
                        return Ok(out);
                    }
                    Err(_) => return Err(()),
                }
                if content.len() > limit {
                    break;
                }
            }
            let too_big = content.len() > limit;
            out.file = Some(vidare_store::repo::tendering::NewFile {
                filename,
                mime: sniff_mime(&mime, &content),
                content,
            });
            if too_big {
                return Ok(out);
            }
        } else {
            match field.text().await {
                Ok(text) => out.fields.push((name, text)),
                Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                    oversized(&mut out, String::new());
                    break;
                }
                Err(_) => return Err(()),
            }
        }
    }
    Ok(out)
}

/// The stated type, except that a PDF is recognised by its content whatever the browser
/// said (browsers send `application/octet-stream` for unknown extensions).
fn sniff_mime(stated: &str, content: &[u8]) -> String {
    if content.starts_with(b"%PDF-") {
        "application/pdf".into()
    } else {
        stated.to_string()
    }
}

/// A stored file as a download.
pub fn download(filename: &str, mime: &str, content: Vec<u8>) -> Response {
    let safe: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{safe}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        ],
        content,
    )
        .into_response()
}
