//! `/admin/granskningslogg`: search the tenant's audit log, download the result as
//! CSV (the download is itself audited), and see whether the tenant's hash chain is
//! intact. Entries about a participant hold their personal data until it is redacted,
//! so showing or downloading them is recorded in the access log (purpose `audit_log`)
//! for each participant whose entries still have a payload.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use vidare_domain::{Lang, Localized};
use vidare_store::audit::{participants_shown, AuditEntry, AuditFilter, ACCESS_PURPOSE};
use vidare_store::Change;

use super::{csv_response, day_start, local_time, parse_day, query_string, section_nav};
use super::{FieldErrors, PAGE_SIZE};
use crate::pages::{render, Ctx, NavItem, Page};
use crate::routes::{access, RouteDef};
use crate::AppState;

pub(super) fn routes() -> Vec<RouteDef> {
    vec![
        RouteDef::get("/admin/granskningslogg", access::ADMIN, search),
        RouteDef::get(CSV_PATH, access::ADMIN, download),
    ]
}

/// The CSV download of the same search.
const CSV_PATH: &str = "/admin/granskningslogg.csv";

/// Rows read per query when exporting.
const EXPORT_BATCH: u32 = 5_000;

/// The search form's fields, in Swedish as they appear in the address.
#[derive(Debug, Default, Deserialize, Clone)]
struct SearchQuery {
    #[serde(default)]
    entitet: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    aktor: String,
    #[serde(default)]
    fran: String,
    #[serde(default)]
    till: String,
    sida: Option<u32>,
}

impl SearchQuery {
    /// The query string for the same search (without the page).
    fn query(&self) -> String {
        query_string(&[
            ("entitet", self.entitet.trim()),
            ("id", self.id.trim()),
            ("aktor", self.aktor.trim()),
            ("fran", self.fran.trim()),
            ("till", self.till.trim()),
        ])
    }

    /// The store's filter, or the fields that are wrong. `till` is inclusive: the
    /// filter ends where the next day starts.
    fn filter(&self, ctx: &Ctx) -> Result<AuditFilter, FieldErrors> {
        let mut errors = FieldErrors::default();
        let from = parse_day(&mut errors, ctx, "fran", Some(&self.fran));
        let until = parse_day(&mut errors, ctx, "till", Some(&self.till));
        if let (Some(f), Some(u)) = (from, until) {
            if u < f {
                errors.add("till", ctx.t("admin.until_before_from"));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let text = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        Ok(AuditFilter {
            entity: text(&self.entitet),
            entity_id: text(&self.id),
            // Actors are e-mail addresses, stored lower-case.
            actor: text(&self.aktor).map(|a| if a.contains('@') { a.to_lowercase() } else { a }),
            from: from.and_then(day_start),
            until: until.and_then(|d| d.succ_opt()).and_then(day_start),
            limit: PAGE_SIZE,
            offset: 0,
        })
    }

    /// The filter as recorded in the export's audit entry.
    fn as_json(&self) -> serde_json::Value {
        json!({
            "entity": self.entitet.trim(),
            "entity_id": self.id.trim(),
            "actor": self.aktor.trim(),
            "from": self.fran.trim(),
            "until": self.till.trim(),
        })
    }
}

/// One entry as shown.
struct Row {
    seq: i64,
    at: String,
    actor: String,
    action: String,
    entity: String,
    entity_id: String,
    before: String,
    after: String,
    /// The redaction entry that removed the record before and after, if one did.
    redacted_by: Option<i64>,
}

impl Row {
    fn new(e: &AuditEntry) -> Row {
        Row {
            seq: e.seq,
            at: local_time(e.at),
            actor: e.actor.clone(),
            action: e.action.clone(),
            entity: e.entity.clone(),
            entity_id: e.entity_id.clone().unwrap_or_default(),
            before: e.before_json.clone().unwrap_or_default(),
            after: e.after_json.clone().unwrap_or_default(),
            redacted_by: e.redacted_by,
        }
    }
}

/// The record before and after as downloaded; a redacted entry says so, naming the
/// entry that redacted it.
fn payload(e: &AuditEntry, ctx: &Ctx) -> (String, String) {
    match e.redacted_by {
        Some(by) => (
            String::new(),
            format!("{} {by}", ctx.t("admin.redacted_by")),
        ),
        None => (
            e.before_json.clone().unwrap_or_default(),
            e.after_json.clone().unwrap_or_default(),
        ),
    }
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct Search {
    page: Page,
    admin_nav: Vec<NavItem>,
    q: SearchQuery,
    errors: FieldErrors,
    rows: Vec<Row>,
    /// Entries checked in the tenant's chain.
    checked: u64,
    /// What the check found wrong, as `(entry, problem)`.
    problems: Vec<(i64, String)>,
    query: String,
    prev_page: Option<u32>,
    next_page: Option<u32>,
}

async fn search(State(state): State<AppState>, ctx: Ctx, Query(q): Query<SearchQuery>) -> Response {
    let s = ctx.who().scoped(state.store());
    let report = match s.verify_audit().await {
        Ok(r) => r,
        Err(e) => return ctx.store_error(e).into_response(),
    };
    let checked = report.entries;
    let problems = report
        .problems
        .iter()
        .map(|p| (p.seq, p.problem.message(ctx.lang)))
        .collect();
    let page_no = q.sida.unwrap_or(1).clamp(1, 1_000_000);
    let (rows, errors, more) = match q.filter(&ctx) {
        Ok(mut f) => {
            // One row more than shown tells whether there is a next page.
            f.limit = PAGE_SIZE + 1;
            f.offset = (page_no - 1) * PAGE_SIZE;
            let mut entries = match s.audit_entries(&f).await {
                Ok(e) => e,
                Err(e) => return ctx.store_error(e).into_response(),
            };
            let more = entries.len() > PAGE_SIZE as usize;
            entries.truncate(PAGE_SIZE as usize);
            // Recorded before the page is shown: no entry, no page.
            if let Err(e) = s
                .log_access(
                    &participants_shown(&entries),
                    ACCESS_PURPOSE,
                    Some("/admin/granskningslogg"),
                )
                .await
            {
                return ctx.store_error(e).into_response();
            }
            (
                entries.iter().map(Row::new).collect(),
                FieldErrors::default(),
                more,
            )
        }
        Err(errors) => (Vec::new(), errors, false),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let query = q.query();
    let page = Search {
        page: ctx.page("admin.audit_title"),
        admin_nav: section_nav(&ctx),
        q,
        errors,
        rows,
        checked,
        problems,
        query,
        prev_page: (page_no > 1).then(|| page_no - 1),
        next_page: more.then(|| page_no + 1),
    };
    (status, render(&page, ctx.lang)).into_response()
}

async fn download(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<SearchQuery>,
) -> Response {
    let mut filter = match q.filter(&ctx) {
        Ok(f) => f,
        Err(errors) => {
            let text: Vec<String> = errors
                .all()
                .iter()
                .map(|(f, m)| format!("{f}: {m}"))
                .collect();
            return (StatusCode::UNPROCESSABLE_ENTITY, text.join("\n")).into_response();
        }
    };
    let s = ctx.who().scoped(state.store());
    // The export is recorded before anything leaves: no entry, no file.
    if let Err(e) = s
        .audit(Change::action(
            "export",
            "audit_log",
            None,
            Some(json!({ "filter": q.as_json() })),
        ))
        .await
    {
        return ctx.store_error(e).into_response();
    }
    filter.limit = EXPORT_BATCH;
    let mut rows = Vec::new();
    let mut shown = Vec::new();
    // Entries written while the export runs push older ones down a page; remembering
    // the oldest entry written out keeps any from appearing twice.
    let mut oldest = i64::MAX;
    loop {
        let batch = match s.audit_entries(&filter).await {
            Ok(b) => b,
            Err(e) => return ctx.store_error(e).into_response(),
        };
        let n = batch.len();
        let fresh: Vec<&AuditEntry> = batch.iter().filter(|e| e.seq < oldest).collect();
        if let Some(last) = fresh.last() {
            oldest = last.seq;
        }
        shown.extend(participants_shown(fresh.iter().copied()));
        rows.extend(fresh.into_iter().map(|e| {
            let (before, after) = payload(e, &ctx);
            vec![
                e.seq.to_string(),
                local_time(e.at),
                e.actor.clone(),
                e.action.clone(),
                e.entity.clone(),
                e.entity_id.clone().unwrap_or_default(),
                before,
                after,
            ]
        }));
        if n < EXPORT_BATCH as usize {
            break;
        }
        filter.offset += EXPORT_BATCH;
    }
    // The personal data in the file is recorded before the file leaves.
    if let Err(e) = s.log_access(&shown, ACCESS_PURPOSE, Some(CSV_PATH)).await {
        return ctx.store_error(e).into_response();
    }
    let header = match ctx.lang {
        Lang::Sv => [
            "nr",
            "tid",
            "aktör",
            "händelse",
            "post",
            "id",
            "före",
            "efter",
        ],
        Lang::En => [
            "seq", "time", "actor", "action", "entity", "id", "before", "after",
        ],
    };
    csv_response("granskningslogg.csv", &header, &rows)
}
