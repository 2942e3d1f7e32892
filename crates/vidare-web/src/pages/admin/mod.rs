//! Administration of a tenant, for its administrators only: accounts, the audit log,
//! the access log, API tokens, the logo and the retention period. Every page here is behind
//! [`access::ADMIN`](crate::routes::access::ADMIN); every change goes through a
//! [`Scoped`](vidare_store::Scoped) method that writes the audit log in the same
//! transaction, and every export is itself audited.

mod access_log;
mod audit_log;
mod logo;
mod retention;
mod tokens;
mod users;

use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Europe::Stockholm;
use vidare_domain::model::tenant::RoleKind;
use vidare_domain::Lang;

use super::{Ctx, NavItem};
use crate::routes::{access, RouteDef};

/// Rows per page of the logs.
const PAGE_SIZE: u32 = 50;

/// Every administration route.
pub(super) fn routes() -> Vec<RouteDef> {
    [
        vec![RouteDef::get("/admin", access::ADMIN, start)],
        users::routes(),
        audit_log::routes(),
        access_log::routes(),
        tokens::routes(),
        logo::routes(),
        retention::routes(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The section starts with the accounts.
async fn start() -> Redirect {
    Redirect::to("/admin/anvandare")
}

/// The administration section's own menu, shown on each of its pages.
const SECTIONS: &[(&str, &str)] = &[
    ("/admin/anvandare", "admin.users_title"),
    ("/admin/granskningslogg", "admin.audit_title"),
    ("/admin/atkomstlogg", "admin.access_title"),
    ("/admin/api-nycklar", "admin.tokens_title"),
    ("/admin/logotyp", "admin.logo_title"),
    (retention::PATH, "admin.retention_title"),
];

/// The section menu with the current page marked.
fn section_nav(ctx: &Ctx) -> Vec<NavItem> {
    SECTIONS
        .iter()
        .map(|(href, key)| NavItem {
            href,
            label: ctx.t(key),
            current: ctx.path == *href || ctx.path.starts_with(&format!("{href}/")),
        })
        .collect()
}

/// Problems with a submitted form, one per field, shown next to the field and in a
/// summary at the top of the page.
#[derive(Debug, Default, Clone)]
pub struct FieldErrors(Vec<(&'static str, String)>);

impl FieldErrors {
    /// Records a problem with `field`.
    fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push((field, message.into()));
    }

    /// The problem with `field`, if any (for the templates).
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }

    /// Whether the form is acceptable.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every problem, in the order found.
    pub fn all(&self) -> &[(&'static str, String)] {
        &self.0
    }
}

/// A role's name in the user's language.
fn role_name(lang: Lang, kind: RoleKind) -> &'static str {
    match lang {
        Lang::Sv => kind.name_sv(),
        Lang::En => kind.name_en(),
    }
}

/// The roles to choose from, as `(code, name)`.
fn role_options(lang: Lang) -> Vec<(&'static str, &'static str)> {
    RoleKind::ALL
        .iter()
        .map(|k| (k.as_str(), role_name(lang, *k)))
        .collect()
}

/// An instant as Swedish local time, `2026-03-01 14:05:09`.
fn local_time(at: DateTime<Utc>) -> String {
    at.with_timezone(&Stockholm)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// The instant a Swedish calendar day starts (midnight always exists in Stockholm:
/// the clocks change at 02:00 and 03:00).
fn day_start(day: NaiveDate) -> Option<DateTime<Utc>> {
    use chrono::TimeZone;
    Stockholm
        .from_local_datetime(&day.and_hms_opt(0, 0, 0)?)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

/// Parses an optional `YYYY-MM-DD` field; an empty field is `None`.
fn parse_day(
    errors: &mut FieldErrors,
    ctx: &Ctx,
    field: &'static str,
    value: Option<&str>,
) -> Option<NaiveDate> {
    let v = value.map(str::trim).filter(|v| !v.is_empty())?;
    match NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            errors.add(field, ctx.t("admin.bad_date"));
            None
        }
    }
}

/// A query string from `(name, value)` pairs, leaving out empty values.
fn query_string(pairs: &[(&str, &str)]) -> String {
    let parts: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", super::url_encode(v)))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

/// One CSV field: quoted when it holds the separator, a quote or a line break, and
/// defused when a spreadsheet would read it as a formula (`=`, `+`, `-`, `@`, tab or
/// carriage return first).
fn csv_field(value: &str) -> String {
    let defused = match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}"),
        _ => value.to_string(),
    };
    if defused.contains([';', '"', '\n', '\r']) {
        format!("\"{}\"", defused.replace('"', "\"\""))
    } else {
        defused
    }
}

/// A CSV download in the format Swedish Excel opens: UTF-8 with a byte-order mark,
/// `;` between fields, CRLF line ends.
fn csv_response(filename: &str, header: &[&str], rows: &[Vec<String>]) -> Response {
    let mut out = String::from("\u{feff}");
    let mut line = |fields: Vec<String>| {
        out.push_str(&fields.join(";"));
        out.push_str("\r\n");
    };
    line(header.iter().map(|h| csv_field(h)).collect());
    for row in rows {
        line(row.iter().map(|f| csv_field(f)).collect());
    }
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        out,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(csv_field("enkel"), "enkel");
        assert_eq!(csv_field("a;b"), "\"a;b\"");
        assert_eq!(csv_field("säger \"hej\""), "\"säger \"\"hej\"\"\"");
        assert_eq!(csv_field("två\nrader"), "\"två\nrader\"");
        assert_eq!(csv_field("=SUMMA(A1)"), "'=SUMMA(A1)");
        assert_eq!(csv_field("@x;y"), "\"'@x;y\"");
    }

    #[test]
    fn swedish_days_start_at_local_midnight() {
        let winter = day_start(NaiveDate::from_ymd_opt(2026, 1, 15).unwrap()).unwrap();
        assert_eq!(winter.to_rfc3339(), "2026-01-14T23:00:00+00:00");
        let summer = day_start(NaiveDate::from_ymd_opt(2026, 7, 1).unwrap()).unwrap();
        assert_eq!(summer.to_rfc3339(), "2026-06-30T22:00:00+00:00");
        assert_eq!(local_time(summer), "2026-07-01 00:00:00");
    }

    #[test]
    fn query_strings_skip_empty_values() {
        assert_eq!(query_string(&[("a", ""), ("b", "")]), "");
        assert_eq!(
            query_string(&[("entitet", "users"), ("id", ""), ("aktor", "a b")]),
            "?entitet=users&aktor=a%20b"
        );
    }
}
