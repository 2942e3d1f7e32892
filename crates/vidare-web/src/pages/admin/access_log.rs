//! `/admin/atkomstlogg`: who read which participant's personal data, when and why,
//! filtered by participant or user, and as CSV (the download is itself audited).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use vidare_domain::ids::{ParticipantId, UserId};
use vidare_domain::Lang;
use vidare_store::audit::AccessEntry;
use vidare_store::Change;

use super::{csv_response, local_time, query_string, section_nav, FieldErrors, PAGE_SIZE};
use crate::pages::{render, Ctx, NavItem, Page};
use crate::routes::{access, RouteDef};
use crate::AppState;

pub(super) fn routes() -> Vec<RouteDef> {
    vec![
        RouteDef::get("/admin/atkomstlogg", access::ADMIN, search),
        RouteDef::get(CSV_PATH, access::ADMIN, download),
    ]
}

/// The CSV download of the same search.
const CSV_PATH: &str = "/admin/atkomstlogg.csv";

/// Rows read per query when exporting.
const EXPORT_BATCH: u32 = 5_000;

#[derive(Debug, Default, Deserialize, Clone)]
struct SearchQuery {
    #[serde(default)]
    deltagare: String,
    #[serde(default)]
    anvandare: String,
    sida: Option<u32>,
}

/// The parsed filter: participant and user.
type Filter = (Option<ParticipantId>, Option<UserId>);

impl SearchQuery {
    fn query(&self) -> String {
        query_string(&[
            ("deltagare", self.deltagare.trim()),
            ("anvandare", self.anvandare.trim()),
        ])
    }

    fn filter(&self, ctx: &Ctx) -> Result<Filter, FieldErrors> {
        let mut errors = FieldErrors::default();
        let id = |field: &'static str, v: &str, errors: &mut FieldErrors| {
            let v = v.trim();
            if v.is_empty() {
                return None;
            }
            match v.parse::<i64>() {
                Ok(n) if n > 0 => Some(n),
                _ => {
                    errors.add(field, ctx.t("admin.bad_id"));
                    None
                }
            }
        };
        let participant = id("deltagare", &self.deltagare, &mut errors).map(ParticipantId);
        let user = id("anvandare", &self.anvandare, &mut errors).map(UserId);
        if errors.is_empty() {
            Ok((participant, user))
        } else {
            Err(errors)
        }
    }
}

/// Why personal data was read, in the reader's language (unknown purposes as stored).
fn purpose(ctx: &Ctx, code: &str) -> String {
    match code {
        "participant_list" => ctx.t("admin.purpose_list").to_string(),
        "case_file" => ctx.t("admin.purpose_case_file").to_string(),
        vidare_store::audit::ACCESS_PURPOSE => ctx.t("admin.purpose_audit_log").to_string(),
        other => other.to_string(),
    }
}

struct Row {
    at: String,
    actor: String,
    participant: i64,
    purpose: String,
    route: String,
}

#[derive(Template)]
#[template(path = "admin/access.html")]
struct Search {
    page: Page,
    admin_nav: Vec<NavItem>,
    q: SearchQuery,
    users: Vec<(i64, String)>,
    errors: FieldErrors,
    rows: Vec<Row>,
    query: String,
    prev_page: Option<u32>,
    next_page: Option<u32>,
}

async fn search(State(state): State<AppState>, ctx: Ctx, Query(q): Query<SearchQuery>) -> Response {
    let s = ctx.who().scoped(state.store());
    let users = match s.list_users().await {
        Ok(u) => u
            .into_iter()
            .map(|u| (u.id.get(), format!("{} ({})", u.display_name, u.email)))
            .collect(),
        Err(e) => return ctx.store_error(e).into_response(),
    };
    let page_no = q.sida.unwrap_or(1).clamp(1, 1_000_000);
    let (rows, errors, more) = match q.filter(&ctx) {
        Ok((participant, user)) => {
            let mut entries = match s
                .access_entries(participant, user, PAGE_SIZE + 1, (page_no - 1) * PAGE_SIZE)
                .await
            {
                Ok(e) => e,
                Err(e) => return ctx.store_error(e).into_response(),
            };
            let more = entries.len() > PAGE_SIZE as usize;
            entries.truncate(PAGE_SIZE as usize);
            let rows = entries
                .iter()
                .map(|e| Row {
                    at: local_time(e.at),
                    actor: e.actor.clone(),
                    participant: e.participant_id,
                    purpose: purpose(&ctx, &e.purpose),
                    route: e.route.clone().unwrap_or_default(),
                })
                .collect();
            (rows, FieldErrors::default(), more)
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
        page: ctx.page("admin.access_title"),
        admin_nav: section_nav(&ctx),
        q,
        users,
        errors,
        rows,
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
    let (participant, user) = match q.filter(&ctx) {
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
    let filter = json!({
        "participant_id": participant.map(|p| p.get()),
        "user_id": user.map(|u| u.get()),
    });
    if let Err(e) = s
        .audit(Change::action(
            "export",
            "access_log",
            None,
            Some(json!({ "filter": filter })),
        ))
        .await
    {
        return ctx.store_error(e).into_response();
    }
    let mut entries: Vec<AccessEntry> = Vec::new();
    let mut offset = 0;
    loop {
        let batch = match s
            .access_entries(participant, user, EXPORT_BATCH, offset)
            .await
        {
            Ok(b) => b,
            Err(e) => return ctx.store_error(e).into_response(),
        };
        let n = batch.len();
        entries.extend(batch);
        if n < EXPORT_BATCH as usize {
            break;
        }
        offset += EXPORT_BATCH;
    }
    let rows: Vec<Vec<String>> = entries
        .iter()
        .map(|e| {
            vec![
                local_time(e.at),
                e.actor.clone(),
                e.user_id.map(|u| u.to_string()).unwrap_or_default(),
                e.participant_id.to_string(),
                purpose(&ctx, &e.purpose),
                e.route.clone().unwrap_or_default(),
            ]
        })
        .collect();
    let header = match ctx.lang {
        Lang::Sv => [
            "tid",
            "användare",
            "användar-id",
            "deltagare",
            "syfte",
            "sida",
        ],
        Lang::En => ["time", "user", "user id", "participant", "purpose", "page"],
    };
    csv_response("atkomstlogg.csv", &header, &rows)
}
