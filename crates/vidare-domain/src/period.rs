//! Calendar months, inclusive date ranges and sets of date ranges.
//!
//! Placements are billed per month and last from a start date to an end date
//! that may not be known yet, so ranges are inclusive at both ends and may be
//! open-ended. [`DateRangeSet`] answers "which days was this person placed"
//! when a placement has several spells (like eVaka's `DateSet`).

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::lang::{Lang, Localized};

/// Why a month or date range could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    /// A month number outside 1–12.
    #[error("the month must be between 1 and 12")]
    InvalidMonth,
    /// A year outside the range of supported dates.
    #[error("the year is outside the supported range")]
    YearOutOfRange,
    /// A month not written as `YYYY-MM`.
    #[error("the month must be written as YYYY-MM")]
    InvalidFormat,
    /// A range whose end date is before its start date.
    #[error("the end date is before the start date")]
    EndBeforeStart,
}

impl Localized for PeriodError {
    fn message(&self, lang: Lang) -> String {
        use PeriodError as E;
        let text = match (self, lang) {
            (E::InvalidMonth, Lang::Sv) => "Månaden måste vara 1–12. Ange en giltig månad.",
            (E::InvalidMonth, Lang::En) => "The month must be 1–12. Enter a valid month.",
            (E::YearOutOfRange, Lang::Sv) => {
                "Året ligger utanför det tillåtna intervallet. Kontrollera årtalet."
            }
            (E::YearOutOfRange, Lang::En) => {
                "The year is outside the supported range. Check the year."
            }
            (E::InvalidFormat, Lang::Sv) => {
                "Månaden är inte rätt skriven. Skriv den som ÅÅÅÅ-MM, till exempel 2024-05."
            }
            (E::InvalidFormat, Lang::En) => {
                "The month is not written correctly. Write it as YYYY-MM, for example 2024-05."
            }
            (E::EndBeforeStart, Lang::Sv) => {
                "Slutdatumet ligger före startdatumet. Ändra så att perioden slutar samma dag som den börjar eller senare."
            }
            (E::EndBeforeStart, Lang::En) => {
                "The end date is before the start date. Change it so the period ends on or after the day it starts."
            }
        };
        text.to_owned()
    }
}

/// A calendar month, such as 2024-05: the unit of billing and reporting.
///
/// Ordered chronologically. Serialised as `"YYYY-MM"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct YearMonth {
    year: i32,
    month: u32,
}

impl YearMonth {
    /// The month `month` (1–12) of `year`.
    pub fn new(year: i32, month: u32) -> Result<Self, PeriodError> {
        if !(1..=12).contains(&month) {
            return Err(PeriodError::InvalidMonth);
        }
        // Every day of the month must be a chrono date, so first_day and
        // last_day can never fail.
        if NaiveDate::from_ymd_opt(year, month, 1).is_none()
            || NaiveDate::from_ymd_opt(year, 12, 31).is_none()
        {
            return Err(PeriodError::YearOutOfRange);
        }
        Ok(Self { year, month })
    }

    /// Parses `YYYY-MM`, the form used in URLs, forms and files.
    ///
    /// Years outside 0000–9999 are written with a sign, as chrono writes dates
    /// (`+10000-01`, `-0001-12`), so that every value round-trips.
    pub fn parse(s: &str) -> Result<Self, PeriodError> {
        let (year_part, month_part) = s.rsplit_once('-').ok_or(PeriodError::InvalidFormat)?;
        let unsigned_year = year_part.strip_prefix(['+', '-']).unwrap_or(year_part);
        let all_digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        if month_part.len() != 2
            || !all_digits(month_part)
            || unsigned_year.len() < 4
            || !all_digits(unsigned_year)
        {
            return Err(PeriodError::InvalidFormat);
        }
        let year: i32 = year_part.parse().map_err(|_| PeriodError::YearOutOfRange)?;
        let month: u32 = month_part.parse().map_err(|_| PeriodError::InvalidFormat)?;
        Self::new(year, month)
    }

    /// The month that contains `date`.
    pub fn of(date: NaiveDate) -> Self {
        Self {
            year: date.year(),
            month: date.month(),
        }
    }

    /// The year.
    pub fn year(self) -> i32 {
        self.year
    }

    /// The month number, 1–12.
    pub fn month(self) -> u32 {
        self.month
    }

    /// The first day of the month.
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("validated in new")
    }

    /// The last day of the month.
    pub fn last_day(self) -> NaiveDate {
        let (year, month) = if self.month == 12 {
            (self.year + 1, 1)
        } else {
            (self.year, self.month + 1)
        };
        match NaiveDate::from_ymd_opt(year, month, 1) {
            Some(next_first) => next_first.pred_opt().expect("validated in new"),
            // December of chrono's last year.
            None => NaiveDate::from_ymd_opt(self.year, 12, 31).expect("validated in new"),
        }
    }

    /// The number of days in the month (28–31).
    pub fn days(self) -> u32 {
        self.last_day().day()
    }

    /// The whole month as a date range.
    pub fn range(self) -> DateRange {
        DateRange {
            start: self.first_day(),
            end: Some(self.last_day()),
        }
    }

    /// The following month.
    ///
    /// # Panics
    ///
    /// After the last month chrono can represent (year 262 142 or so).
    pub fn next(self) -> Self {
        let next = if self.month == 12 {
            Self::new(self.year + 1, 1)
        } else {
            Self::new(self.year, self.month + 1)
        };
        next.expect("YearMonth beyond chrono's range")
    }

    /// The preceding month.
    ///
    /// # Panics
    ///
    /// Before the first month chrono can represent.
    pub fn prev(self) -> Self {
        let prev = if self.month == 1 {
            Self::new(self.year - 1, 12)
        } else {
            Self::new(self.year, self.month - 1)
        };
        prev.expect("YearMonth beyond chrono's range")
    }

    /// Every month from `self` through `end`, inclusive; empty if `end` is
    /// earlier than `self`.
    pub fn iter_to(self, end: YearMonth) -> impl Iterator<Item = YearMonth> {
        Months::new(self, end)
    }
}

/// `YYYY-MM`.
impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if (0..=9999).contains(&self.year) {
            write!(f, "{:04}-{:02}", self.year, self.month)
        } else {
            write!(f, "{:+05}-{:02}", self.year, self.month)
        }
    }
}

impl FromStr for YearMonth {
    type Err = PeriodError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for YearMonth {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for YearMonth {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Iterator over consecutive months, inclusive at both ends.
struct Months {
    next: Option<YearMonth>,
    last: YearMonth,
}

impl Months {
    fn new(first: YearMonth, last: YearMonth) -> Self {
        Self {
            next: (first <= last).then_some(first),
            last,
        }
    }

    fn empty() -> Self {
        let any = YearMonth { year: 0, month: 1 };
        Self {
            next: None,
            last: any,
        }
    }
}

impl Iterator for Months {
    type Item = YearMonth;

    fn next(&mut self) -> Option<YearMonth> {
        let current = self.next?;
        // Stop before calling next() on the last month, which may be chrono's last.
        self.next = (current < self.last).then(|| current.next());
        Some(current)
    }
}

/// An inclusive range of dates, open-ended when the end is not known.
///
/// Serialised as `{"start": "YYYY-MM-DD", "end": "YYYY-MM-DD" | null}`;
/// deserialising checks that the end is not before the start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawDateRange")]
pub struct DateRange {
    start: NaiveDate,
    end: Option<NaiveDate>,
}

/// The unchecked shape of a [`DateRange`], for deserialising.
#[derive(Deserialize)]
struct RawDateRange {
    start: NaiveDate,
    end: Option<NaiveDate>,
}

impl TryFrom<RawDateRange> for DateRange {
    type Error = PeriodError;

    fn try_from(raw: RawDateRange) -> Result<Self, PeriodError> {
        DateRange::new(raw.start, raw.end)
    }
}

impl DateRange {
    /// The days from `start` through `end` inclusive, or from `start` on when
    /// `end` is `None`. A one-day range has `end == Some(start)`.
    pub fn new(start: NaiveDate, end: Option<NaiveDate>) -> Result<Self, PeriodError> {
        match end {
            Some(end) if end < start => Err(PeriodError::EndBeforeStart),
            _ => Ok(Self { start, end }),
        }
    }

    /// The first day.
    pub fn start(&self) -> NaiveDate {
        self.start
    }

    /// The last day, or `None` when open-ended.
    pub fn end(&self) -> Option<NaiveDate> {
        self.end
    }

    /// True when the range has no end date.
    pub fn is_open_ended(&self) -> bool {
        self.end.is_none()
    }

    /// True when `date` is one of the range's days.
    pub fn contains(&self, date: NaiveDate) -> bool {
        date >= self.start && self.end.is_none_or(|end| date <= end)
    }

    /// True when the two ranges share at least one day.
    pub fn overlaps(&self, other: &DateRange) -> bool {
        self.end.is_none_or(|end| other.start <= end)
            && other.end.is_none_or(|end| self.start <= end)
    }

    /// The days both ranges share, if any.
    pub fn intersection(&self, other: &DateRange) -> Option<DateRange> {
        let start = self.start.max(other.start);
        let end = min_end(self.end, other.end);
        DateRange::new(start, end).ok()
    }

    /// How many days of `month` lie inside the range (0 to 31): the basis of
    /// pro-rata billing of partial months.
    pub fn days_in(&self, month: YearMonth) -> u32 {
        self.intersection(&month.range())
            .and_then(|r| r.len_days())
            .unwrap_or(0)
    }

    /// The months the range touches, first to last.
    ///
    /// An open-ended range has no last month, so this yields nothing for it;
    /// use [`months_until`](Self::months_until) there.
    pub fn months(&self) -> impl Iterator<Item = YearMonth> {
        match self.end {
            Some(end) => Months::new(YearMonth::of(self.start), YearMonth::of(end)),
            None => Months::empty(),
        }
    }

    /// The months the range touches up to and including the month of
    /// `until` (or of the end, if earlier); empty if `until` is before the start.
    pub fn months_until(&self, until: NaiveDate) -> impl Iterator<Item = YearMonth> {
        let last = self.end.map_or(until, |end| end.min(until));
        if last < self.start {
            Months::empty()
        } else {
            Months::new(YearMonth::of(self.start), YearMonth::of(last))
        }
    }

    /// The number of days, or `None` when open-ended.
    pub fn len_days(&self) -> Option<u32> {
        self.end.map(|end| days_between(self.start, end))
    }
}

/// Inclusive day count from `start` to `end`, which is not before `start`.
fn days_between(start: NaiveDate, end: NaiveDate) -> u32 {
    // chrono's whole range is under 200 million days, well within u32.
    (end - start).num_days() as u32 + 1
}

/// The earlier of two optional ends, where `None` means "no end".
fn min_end(a: Option<NaiveDate>, b: Option<NaiveDate>) -> Option<NaiveDate> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}

/// The later of two optional ends, where `None` means "no end".
fn max_end(a: Option<NaiveDate>, b: Option<NaiveDate>) -> Option<NaiveDate> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        _ => None,
    }
}

/// A set of dates stored as sorted, non-overlapping, non-adjacent ranges.
///
/// Overlapping or adjacent ranges are merged on insert, so the stored ranges
/// are the unique shortest description of the set and can be compared directly.
/// Serialised as the list of those ranges.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(transparent)]
pub struct DateRangeSet {
    ranges: Vec<DateRange>,
}

impl DateRangeSet {
    /// The empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// The normalised ranges, sorted by start. Only the last may be open-ended.
    pub fn ranges(&self) -> &[DateRange] {
        &self.ranges
    }

    /// True when the set has no dates.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Adds every day of `range`, merging it with ranges it overlaps or touches.
    pub fn insert(&mut self, range: DateRange) {
        let at = self.ranges.partition_point(|r| r.start <= range.start);
        self.ranges.insert(at, range);
        // Only a neighbourhood changes, but one linear pass keeps the code simple.
        let mut merged: Vec<DateRange> = Vec::with_capacity(self.ranges.len());
        for r in self.ranges.drain(..) {
            match merged.last_mut() {
                Some(last) if touches(last, &r) => last.end = max_end(last.end, r.end),
                _ => merged.push(r),
            }
        }
        self.ranges = merged;
    }

    /// True when `date` is in one of the ranges.
    pub fn contains(&self, date: NaiveDate) -> bool {
        let after = self.ranges.partition_point(|r| r.start <= date);
        after > 0 && self.ranges[after - 1].contains(date)
    }

    /// The number of days in the set up to and including `until`.
    pub fn total_days_until(&self, until: NaiveDate) -> u32 {
        self.ranges
            .iter()
            .take_while(|r| r.start <= until)
            .map(|r| days_between(r.start, r.end.map_or(until, |end| end.min(until))))
            .sum()
    }

    /// The parts of `within` that are not in the set, in order. The last gap
    /// is open-ended when `within` is and the set does not cover its tail.
    pub fn gaps_within(&self, within: &DateRange) -> Vec<DateRange> {
        let mut gaps = Vec::new();
        // First day not yet accounted for; `None` once the rest is covered.
        let mut cursor = Some(within.start);
        for r in &self.ranges {
            let Some(from) = cursor else { break };
            if r.end.is_some_and(|end| end < from) {
                continue;
            }
            if within.end.is_some_and(|end| r.start > end) {
                break;
            }
            if r.start > from {
                let before = r.start.pred_opt().expect("r.start > from");
                gaps.push(DateRange {
                    start: from,
                    end: Some(before),
                });
            }
            cursor = r.end.and_then(|end| end.succ_opt());
        }
        if let Some(from) = cursor {
            if within.end.is_none_or(|end| from <= end) {
                gaps.push(DateRange {
                    start: from,
                    end: within.end,
                });
            }
        }
        gaps
    }
}

impl FromIterator<DateRange> for DateRangeSet {
    fn from_iter<I: IntoIterator<Item = DateRange>>(iter: I) -> Self {
        let mut set = DateRangeSet::new();
        set.extend(iter);
        set
    }
}

impl Extend<DateRange> for DateRangeSet {
    fn extend<I: IntoIterator<Item = DateRange>>(&mut self, iter: I) {
        for range in iter {
            self.insert(range);
        }
    }
}

/// True when `b`, which starts no earlier than `a`, overlaps `a` or starts the
/// day after it ends, so the two should be one range.
fn touches(a: &DateRange, b: &DateRange) -> bool {
    match a.end {
        None => true,
        Some(end) => end.succ_opt().is_none_or(|after| b.start <= after),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn ym(y: i32, m: u32) -> YearMonth {
        YearMonth::new(y, m).unwrap()
    }

    fn r(start: &str, end: Option<&str>) -> DateRange {
        DateRange::new(d(start), end.map(d)).unwrap()
    }

    #[test]
    fn year_month_basics() {
        let may = ym(2024, 5);
        assert_eq!(may.to_string(), "2024-05");
        assert_eq!(YearMonth::parse("2024-05"), Ok(may));
        assert_eq!("2024-05".parse::<YearMonth>(), Ok(may));
        assert_eq!(may.first_day(), d("2024-05-01"));
        assert_eq!(may.last_day(), d("2024-05-31"));
        assert_eq!(may.days(), 31);
        assert_eq!(ym(2024, 2).days(), 29);
        assert_eq!(ym(2023, 2).days(), 28);
        assert_eq!(ym(1900, 2).days(), 28);
        assert_eq!(ym(2024, 12).next(), ym(2025, 1));
        assert_eq!(ym(2025, 1).prev(), ym(2024, 12));
        assert_eq!(YearMonth::of(d("2024-02-29")), ym(2024, 2));
        assert_eq!(ym(2024, 12).last_day(), d("2024-12-31"));
        assert!(ym(2023, 12) < ym(2024, 1));
        assert_eq!(
            ym(2024, 11).iter_to(ym(2025, 2)).collect::<Vec<_>>(),
            vec![ym(2024, 11), ym(2024, 12), ym(2025, 1), ym(2025, 2)]
        );
        assert_eq!(ym(2024, 5).iter_to(ym(2024, 5)).count(), 1);
        assert_eq!(ym(2024, 5).iter_to(ym(2024, 4)).count(), 0);
    }

    #[test]
    fn year_month_errors() {
        assert_eq!(YearMonth::new(2024, 0), Err(PeriodError::InvalidMonth));
        assert_eq!(YearMonth::new(2024, 13), Err(PeriodError::InvalidMonth));
        assert_eq!(
            YearMonth::new(i32::MAX, 1),
            Err(PeriodError::YearOutOfRange)
        );
        assert_eq!(YearMonth::parse("2024-13"), Err(PeriodError::InvalidMonth));
        for bad in [
            "",
            "2024",
            "2024-5",
            "24-05",
            "2024/05",
            "2024-05-01",
            " 2024-05",
            "2024-0a",
        ] {
            assert!(YearMonth::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(YearMonth::parse("2024-5"), Err(PeriodError::InvalidFormat));
        assert_eq!(
            YearMonth::parse("99999999999-01"),
            Err(PeriodError::YearOutOfRange)
        );
    }

    #[test]
    fn year_month_extreme_years_round_trip() {
        for month in [ym(0, 1), ym(-1, 12), ym(10_000, 3)] {
            assert_eq!(YearMonth::parse(&month.to_string()), Ok(month), "{month}");
        }
        assert_eq!(ym(-1, 12).to_string(), "-0001-12");
        assert_eq!(ym(10_000, 3).to_string(), "+10000-03");
        let last = YearMonth::of(NaiveDate::MAX);
        assert_eq!(last.last_day(), NaiveDate::MAX);
        assert_eq!(last.iter_to(last).count(), 1);
    }

    #[test]
    fn year_month_serde() {
        let json = serde_json::to_string(&ym(2024, 5)).unwrap();
        assert_eq!(json, "\"2024-05\"");
        assert_eq!(
            serde_json::from_str::<YearMonth>(&json).unwrap(),
            ym(2024, 5)
        );
        assert!(serde_json::from_str::<YearMonth>("\"2024-13\"").is_err());
    }

    #[test]
    fn date_range_basics() {
        assert_eq!(
            DateRange::new(d("2024-05-02"), Some(d("2024-05-01"))),
            Err(PeriodError::EndBeforeStart)
        );
        let one_day = r("2024-05-01", Some("2024-05-01"));
        assert_eq!(one_day.len_days(), Some(1));
        let spring = r("2024-03-15", Some("2024-05-10"));
        assert_eq!(spring.start(), d("2024-03-15"));
        assert_eq!(spring.end(), Some(d("2024-05-10")));
        assert!(!spring.is_open_ended());
        assert!(spring.contains(d("2024-03-15")));
        assert!(spring.contains(d("2024-05-10")));
        assert!(!spring.contains(d("2024-03-14")));
        assert!(!spring.contains(d("2024-05-11")));
        assert_eq!(spring.len_days(), Some(17 + 30 + 10));
        assert_eq!(spring.days_in(ym(2024, 3)), 17);
        assert_eq!(spring.days_in(ym(2024, 4)), 30);
        assert_eq!(spring.days_in(ym(2024, 5)), 10);
        assert_eq!(spring.days_in(ym(2024, 6)), 0);
        assert_eq!(
            spring.months().collect::<Vec<_>>(),
            vec![ym(2024, 3), ym(2024, 4), ym(2024, 5)]
        );
        assert_eq!(spring.months_until(d("2024-04-01")).count(), 2);
        assert_eq!(spring.months_until(d("2024-03-14")).count(), 0);

        let open = r("2024-11-20", None);
        assert!(open.is_open_ended());
        assert_eq!(open.len_days(), None);
        assert!(open.contains(d("2099-01-01")));
        assert_eq!(open.days_in(ym(2024, 11)), 11);
        assert_eq!(open.days_in(ym(2030, 2)), 28);
        assert_eq!(open.months().count(), 0);
        assert_eq!(
            open.months_until(d("2025-01-05")).collect::<Vec<_>>(),
            vec![ym(2024, 11), ym(2024, 12), ym(2025, 1)]
        );
    }

    #[test]
    fn overlaps_and_intersection() {
        let a = r("2024-01-01", Some("2024-01-31"));
        let b = r("2024-01-31", Some("2024-02-10"));
        let c = r("2024-02-01", None);
        assert!(a.overlaps(&b) && b.overlaps(&a));
        assert!(!a.overlaps(&c) && !c.overlaps(&a));
        assert!(b.overlaps(&c));
        assert_eq!(
            a.intersection(&b),
            Some(r("2024-01-31", Some("2024-01-31")))
        );
        assert_eq!(a.intersection(&c), None);
        assert_eq!(
            b.intersection(&c),
            Some(r("2024-02-01", Some("2024-02-10")))
        );
        let d2 = r("2024-03-01", None);
        assert_eq!(c.intersection(&d2), Some(d2));
    }

    #[test]
    fn date_range_serde_checks_order() {
        let range = r("2024-01-01", None);
        let json = serde_json::to_string(&range).unwrap();
        assert_eq!(json, r#"{"start":"2024-01-01","end":null}"#);
        assert_eq!(serde_json::from_str::<DateRange>(&json).unwrap(), range);
        assert!(
            serde_json::from_str::<DateRange>(r#"{"start":"2024-01-02","end":"2024-01-01"}"#)
                .is_err()
        );
    }

    #[test]
    fn date_range_set_merges_and_finds_gaps() {
        let mut set = DateRangeSet::new();
        assert!(set.is_empty());
        set.insert(r("2024-01-10", Some("2024-01-20")));
        set.insert(r("2024-02-01", Some("2024-02-05")));
        // Adjacent to the first range: merged.
        set.insert(r("2024-01-21", Some("2024-01-25")));
        assert_eq!(
            set.ranges(),
            &[
                r("2024-01-10", Some("2024-01-25")),
                r("2024-02-01", Some("2024-02-05"))
            ]
        );
        assert!(set.contains(d("2024-01-21")));
        assert!(!set.contains(d("2024-01-26")));
        assert!(!set.contains(d("2024-01-09")));
        assert_eq!(set.total_days_until(d("2024-01-31")), 16);
        assert_eq!(set.total_days_until(d("2024-02-02")), 18);
        assert_eq!(set.total_days_until(d("2024-01-01")), 0);
        assert_eq!(
            set.gaps_within(&r("2024-01-01", Some("2024-02-10"))),
            vec![
                r("2024-01-01", Some("2024-01-09")),
                r("2024-01-26", Some("2024-01-31")),
                r("2024-02-06", Some("2024-02-10")),
            ]
        );
        assert_eq!(
            set.gaps_within(&r("2024-01-15", None)),
            vec![r("2024-01-26", Some("2024-01-31")), r("2024-02-06", None)]
        );
        assert_eq!(
            set.gaps_within(&r("2024-01-11", Some("2024-01-12"))),
            vec![]
        );
        // An open-ended range swallows everything after its start.
        set.insert(r("2024-01-24", None));
        assert_eq!(set.ranges(), &[r("2024-01-10", None)]);
        assert_eq!(set.gaps_within(&r("2024-01-15", None)), vec![]);
        assert_eq!(set.total_days_until(d("2024-01-19")), 10);
        let collected: DateRangeSet = [r("2024-01-10", None)].into_iter().collect();
        assert_eq!(collected, set);
    }

    #[test]
    fn every_error_has_distinct_messages_in_both_languages() {
        for e in [
            PeriodError::InvalidMonth,
            PeriodError::YearOutOfRange,
            PeriodError::InvalidFormat,
            PeriodError::EndBeforeStart,
        ] {
            let (sv, en) = (e.message(Lang::Sv), e.message(Lang::En));
            assert!(!sv.is_empty() && !en.is_empty() && sv != en, "{e:?}");
        }
    }

    /// Day `n` of the property-test window.
    fn day(n: i64) -> NaiveDate {
        d("2024-01-01") + chrono::Duration::days(n)
    }

    /// Ranges starting in a 100-day window, mostly short, sometimes open-ended.
    fn range_strategy() -> impl Strategy<Value = DateRange> {
        (0i64..100, prop::option::weighted(0.85, 0i64..30)).prop_map(|(start, len)| {
            DateRange::new(day(start), len.map(|l| day(start + l))).unwrap()
        })
    }

    fn assert_normalised(set: &DateRangeSet) -> Result<(), TestCaseError> {
        for pair in set.ranges().windows(2) {
            let end = pair[0].end();
            prop_assert!(end.is_some(), "only the last range may be open-ended");
            // At least one day between consecutive ranges.
            prop_assert!(end.unwrap().succ_opt().unwrap() < pair[1].start());
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn date_range_set_matches_its_inputs(ranges in prop::collection::vec(range_strategy(), 0..10)) {
            let mut set = DateRangeSet::new();
            for (i, range) in ranges.iter().enumerate() {
                set.insert(*range);
                assert_normalised(&set)?;
                let inserted = &ranges[..=i];
                for n in -3..140 {
                    let date = day(n);
                    prop_assert_eq!(
                        set.contains(date),
                        inserted.iter().any(|r| r.contains(date)),
                        "{}", date
                    );
                }
            }
            for until in [-1i64, 0, 50, 99, 139] {
                let expected = (0..=until).filter(|&n| set.contains(day(n))).count() as u32;
                prop_assert_eq!(set.total_days_until(day(until)), expected);
            }
            // Insertion order does not matter.
            let reversed: DateRangeSet = ranges.iter().rev().copied().collect();
            prop_assert_eq!(&reversed, &set);
        }

        #[test]
        fn gaps_are_the_complement(
            ranges in prop::collection::vec(range_strategy(), 0..8),
            window in range_strategy(),
        ) {
            let set: DateRangeSet = ranges.into_iter().collect();
            let gaps = set.gaps_within(&window);
            let gap_set: DateRangeSet = gaps.iter().copied().collect();
            // Gaps are already normalised and in order.
            prop_assert_eq!(gap_set.ranges(), &gaps[..]);
            for n in -3..160 {
                let date = day(n);
                let in_gap = gaps.iter().any(|g| g.contains(date));
                prop_assert_eq!(in_gap, window.contains(date) && !set.contains(date), "{}", date);
            }
            if window.is_open_ended() {
                let last_covered_forever = set.ranges().last().is_some_and(|r| r.is_open_ended());
                prop_assert_eq!(gaps.last().is_some_and(|g| g.is_open_ended()), !last_covered_forever);
            }
        }

        #[test]
        fn days_in_months_add_up(range in range_strategy()) {
            let until = day(200);
            let total: u32 = range.months_until(until).map(|m| range.days_in(m)).sum();
            let expected = range.len_days().unwrap_or_else(|| (until - range.start()).num_days() as u32 + 1);
            if range.is_open_ended() {
                // The last month counts in full for an open-ended range.
                prop_assert_eq!(total, expected + (YearMonth::of(until).last_day() - until).num_days() as u32);
            } else {
                prop_assert_eq!(total, expected);
                prop_assert_eq!(range.months().count(), range.months_until(until).count());
            }
        }

        #[test]
        fn intersection_agrees_with_contains(a in range_strategy(), b in range_strategy()) {
            let both = a.intersection(&b);
            prop_assert_eq!(both.is_some(), a.overlaps(&b));
            for n in -3..140 {
                let date = day(n);
                prop_assert_eq!(
                    both.is_some_and(|r| r.contains(date)),
                    a.contains(date) && b.contains(date)
                );
            }
        }

        #[test]
        fn parsing_arbitrary_text_never_panics(input in "\\PC{0,12}", monthish in "[+-]?[0-9]{0,12}-[0-9]{0,3}") {
            let _ = YearMonth::parse(&input);
            let _ = YearMonth::parse(&monthish);
        }

        #[test]
        fn year_month_round_trips(year in 0i32..=9999, month in 1u32..=12) {
            let m = ym(year, month);
            prop_assert_eq!(YearMonth::parse(&m.to_string()), Ok(m));
            prop_assert_eq!(m.next().prev(), m);
            prop_assert_eq!(m.last_day().succ_opt().map(YearMonth::of), Some(m.next()));
            prop_assert_eq!(m.days(), (m.last_day() - m.first_day()).num_days() as u32 + 1);
        }
    }
}
