//! The placements area's pages: case work (referrals, following a placement, exits and
//! follow-ups, the municipality's approval of monthly attendance) and the suppliers'
//! portal (agreements and free places, referrals to answer, monthly attendance).
//! Routes are added to [`routes`]; the permission table in
//! `tests/permissions/placements.rs` must list each of them.

mod attendance;
mod casework;
mod portal;

use chrono::NaiveDate;
use vidare_domain::ids::PlacementTypeId;
use vidare_domain::model::placement::{
    ExitOutcome, FollowUpPoint, FollowUpStatus, NoteKind, WeeklyMinutes,
};
use vidare_domain::model::procurement::PlacementType;
use vidare_domain::{Lang, Localized};
use vidare_store::repo::casework::DueState;

use super::Ctx;
use crate::routes::RouteDef;

/// Every page route of this area.
pub fn routes() -> Vec<RouteDef> {
    [casework::routes(), attendance::routes(), portal::routes()]
        .into_iter()
        .flatten()
        .collect()
}

/// Problems with a submitted form, one per field, shown next to the field and in a
/// summary at the top of the page.
#[derive(Debug, Default, Clone)]
pub struct FieldErrors(Vec<(String, String)>);

impl FieldErrors {
    /// Records a problem with `field` (the first problem of a field is kept).
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        if self.get(field).is_none() {
            self.0.push((field.to_string(), message.into()));
        }
    }

    /// The problem with `field`, if any (for the templates).
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    /// Whether `field` has a problem (for the templates).
    pub fn has(&self, field: &str) -> bool {
        self.get(field).is_some()
    }

    /// Whether the form is acceptable.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every problem, in the order found.
    pub fn all(&self) -> &[(String, String)] {
        &self.0
    }
}

/// A required `YYYY-MM-DD` field.
pub fn req_date(errors: &mut FieldErrors, ctx: &Ctx, field: &str, v: &str) -> Option<NaiveDate> {
    let v = v.trim();
    if v.is_empty() {
        errors.add(field, ctx.t("placements.required"));
        return None;
    }
    match NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            errors.add(field, ctx.t("placements.bad_date"));
            None
        }
    }
}

/// Hours written the Swedish or English way (`12,5`, `12.5`, `12`), in whole minutes;
/// empty is `None`.
pub fn parse_hours(v: &str) -> Result<Option<u32>, ()> {
    let v = v.trim().replace(',', ".").replace(' ', "");
    if v.is_empty() {
        return Ok(None);
    }
    let (whole, frac) = v.split_once('.').unwrap_or((&v, ""));
    if whole.is_empty() && frac.is_empty()
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
        || frac.len() > 2
        || whole.len() > 5
    {
        return Err(());
    }
    let h: u32 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| ())?
    };
    let f: u32 = match frac.len() {
        0 => 0,
        1 => frac.parse::<u32>().map_err(|_| ())? * 6,
        _ => (frac.parse::<u32>().map_err(|_| ())? * 60 + 50) / 100,
    };
    Ok(Some(h * 60 + f))
}

/// A required hours-per-week field (`20`, `20,5`), 1–60 hours.
pub fn req_weekly_hours(
    errors: &mut FieldErrors,
    ctx: &Ctx,
    field: &str,
    v: &str,
) -> Option<WeeklyMinutes> {
    match parse_hours(v) {
        Ok(Some(m)) => match WeeklyMinutes::new(m) {
            Ok(w) => Some(w),
            Err(e) => {
                errors.add(field, e.message(ctx.lang));
                None
            }
        },
        Ok(None) => {
            errors.add(field, ctx.t("placements.required"));
            None
        }
        Err(()) => {
            errors.add(field, ctx.t("placements.bad_hours"));
            None
        }
    }
}

/// A whole number of days; empty is zero.
pub fn parse_days(v: &str) -> Result<u32, ()> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(0);
    }
    v.parse::<u32>()
        .map_err(|_| ())
        .and_then(|n| if n > 31 { Err(()) } else { Ok(n) })
}

/// Minutes as hours the Swedish way: `12`, `12,5`, `12,25`.
pub fn hours_sv(minutes: u32) -> String {
    let h = minutes / 60;
    let m = minutes % 60;
    if m == 0 {
        return h.to_string();
    }
    let hundredths = (m * 100 + 30) / 60;
    let s = format!("{h},{hundredths:02}");
    s.trim_end_matches('0').to_string()
}

/// A placement type's name in the user's language.
pub fn type_name(lang: Lang, types: &[PlacementType], id: PlacementTypeId) -> String {
    types
        .iter()
        .find(|t| t.id == id)
        .map(|t| match lang {
            Lang::Sv => t.name_sv.to_string(),
            Lang::En => t.name_en.to_string(),
        })
        .unwrap_or_default()
}

/// An exit outcome's name in the user's language.
pub fn outcome_name(lang: Lang, o: ExitOutcome) -> &'static str {
    match lang {
        Lang::Sv => o.name_sv(),
        Lang::En => o.name_en(),
    }
}

/// The translation key of a follow-up status.
pub fn follow_up_status_key(s: FollowUpStatus) -> &'static str {
    match s {
        FollowUpStatus::Employed => "placements.fu_employed",
        FollowUpStatus::SubsidisedEmployment => "placements.fu_subsidised_employment",
        FollowUpStatus::Studying => "placements.fu_studying",
        FollowUpStatus::InProgramme => "placements.fu_in_programme",
        FollowUpStatus::Unemployed => "placements.fu_unemployed",
        FollowUpStatus::OnIncomeSupport => "placements.fu_on_income_support",
        FollowUpStatus::Unknown => "placements.fu_unknown",
    }
}

/// The translation key of a follow-up point.
pub fn point_key(p: FollowUpPoint) -> &'static str {
    match p {
        FollowUpPoint::Months3 => "placements.point_3",
        FollowUpPoint::Months6 => "placements.point_6",
        FollowUpPoint::Months12 => "placements.point_12",
    }
}

/// The anchor of each state's section on `/uppfoljningar` (the overview links to them).
pub fn due_anchor(state: DueState) -> &'static str {
    match state {
        DueState::Overdue => "forsenade",
        DueState::DueNow => "att-gora-nu",
        DueState::Coming => "kommande",
    }
}

/// The translation key of a note kind.
pub fn note_kind_key(k: NoteKind) -> &'static str {
    match k {
        NoteKind::Progress => "placements.note_progress",
        NoteKind::Meeting => "placements.note_meeting",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_both_ways() {
        assert_eq!(parse_hours("12"), Ok(Some(720)));
        assert_eq!(parse_hours("12,5"), Ok(Some(750)));
        assert_eq!(parse_hours("12.25"), Ok(Some(735)));
        assert_eq!(parse_hours(" "), Ok(None));
        assert!(parse_hours("tolv").is_err());
        assert!(parse_hours("-3").is_err());
        assert!(parse_hours("1,234").is_err());
        assert_eq!(hours_sv(750), "12,5");
        assert_eq!(hours_sv(735), "12,25");
        assert_eq!(hours_sv(720), "12");
        assert_eq!(parse_days(""), Ok(0));
        assert!(parse_days("32").is_err());
    }
}

/// What a form was filled in with, to show it again after a refusal.
#[derive(Debug, Default, Clone)]
pub struct Values(pub std::collections::HashMap<String, String>);

impl Values {
    /// The value of `field`, or empty.
    pub fn get(&self, field: &str) -> &str {
        self.0.get(field).map(String::as_str).unwrap_or("")
    }

    /// Whether `field` holds `value` (for selected options and checked boxes).
    pub fn is(&self, field: &str, value: &str) -> bool {
        self.get(field) == value
    }
}
