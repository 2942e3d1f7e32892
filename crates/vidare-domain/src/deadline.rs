//! Deadlines stated in Swedish local time.
//!
//! Procurement documents give deadlines such as "2024-05-15 kl. 12.00", meaning
//! the wall-clock time in Sweden. A [`Deadline`] keeps that local time (what
//! people read and what is stored) and converts it to an instant only when it
//! is compared with the clock, so a change of time-zone rules cannot move a
//! stored deadline.

use std::fmt;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};
use chrono_tz::Europe::Stockholm;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::lang::{Lang, Localized};

/// The stored and serialised form: local time to the second, no zone.
const STORAGE_FORMAT: &str = "%Y-%m-%dT%H:%M:%S";

/// Why a deadline could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeadlineError {
    /// The local time falls in the hour skipped when clocks go forward.
    #[error("{0} does not exist in Swedish time because the clocks go forward that night")]
    NonexistentLocalTime(NaiveDateTime),
    /// The text is not a date and time such as `2024-05-15T12:00:00`.
    #[error("the deadline must be written as YYYY-MM-DDTHH:MM:SS")]
    InvalidFormat,
}

impl Localized for DeadlineError {
    fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (DeadlineError::NonexistentLocalTime(t), Lang::Sv) => format!(
                "Klockslaget {} finns inte i svensk tid eftersom klockan ställs fram den natten. Välj en tid före 02.00 eller från 03.00.",
                t.format("%Y-%m-%d %H:%M")
            ),
            (DeadlineError::NonexistentLocalTime(t), Lang::En) => format!(
                "The time {} does not exist in Swedish time because the clocks go forward that night. Choose a time before 02:00 or from 03:00.",
                t.format("%Y-%m-%d %H:%M")
            ),
            (DeadlineError::InvalidFormat, Lang::Sv) => {
                "Tidpunkten är inte rätt skriven. Skriv den som ÅÅÅÅ-MM-DD TT:MM, till exempel 2024-05-15 12:00.".to_owned()
            }
            (DeadlineError::InvalidFormat, Lang::En) => {
                "The time is not written correctly. Write it as YYYY-MM-DD HH:MM, for example 2024-05-15 12:00.".to_owned()
            }
        }
    }
}

/// A deadline in Europe/Stockholm local time, such as a tender deadline.
///
/// Ordered by local time, which (with the rule for ambiguous times below) is
/// the same as ordering by instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Deadline {
    local: NaiveDateTime,
}

impl Deadline {
    /// A deadline at `local` Swedish time.
    ///
    /// Refuses a time in the hour skipped in spring (for example 02:30 on
    /// 2024-03-31), since nobody can meet a deadline that never occurs.
    /// A time in the hour repeated in autumn (02:30 on 2024-10-27) means the
    /// later of the two instants: a deadline must never close earlier than a
    /// reader could think. Fractions of a second are dropped, because
    /// deadlines are given to the minute and stored to the second.
    pub fn new(local: NaiveDateTime) -> Result<Self, DeadlineError> {
        let local = local.with_nanosecond(0).unwrap_or(local);
        if Stockholm.from_local_datetime(&local).latest().is_none() {
            return Err(DeadlineError::NonexistentLocalTime(local));
        }
        Ok(Self { local })
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS`, also accepting `YYYY-MM-DDTHH:MM` and a
    /// space instead of the `T`, as typed into forms.
    pub fn parse(s: &str) -> Result<Self, DeadlineError> {
        let s = s.trim();
        let local = [
            "%Y-%m-%dT%H:%M:%S",
            "%Y-%m-%dT%H:%M",
            "%Y-%m-%d %H:%M:%S",
            "%Y-%m-%d %H:%M",
        ]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(s, format).ok())
        .ok_or(DeadlineError::InvalidFormat)?;
        Self::new(local)
    }

    /// The local Swedish date and time as written.
    pub fn local(&self) -> NaiveDateTime {
        self.local
    }

    /// The instant the deadline passes.
    pub fn instant(&self) -> DateTime<Utc> {
        Stockholm
            .from_local_datetime(&self.local)
            .latest()
            .expect("checked in new")
            .with_timezone(&Utc)
    }

    /// True from the deadline's instant on: a tender arriving exactly at
    /// 12:00:00 for a 12:00 deadline is late.
    pub fn has_passed(&self, now: DateTime<Utc>) -> bool {
        now >= self.instant()
    }
}

/// `2024-05-15 12:00 (Europe/Stockholm)`, with seconds only when not zero.
impl fmt::Display for Deadline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let format = if self.local.second() == 0 {
            "%Y-%m-%d %H:%M"
        } else {
            "%Y-%m-%d %H:%M:%S"
        };
        write!(f, "{} (Europe/Stockholm)", self.local.format(format))
    }
}

impl Serialize for Deadline {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.local.format(STORAGE_FORMAT))
    }
}

impl<'de> Deserialize<'de> for Deadline {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Today's date in Sweden at the instant `now`: the `today` for date rules
/// such as identity-number parsing and statutory periods.
pub fn stockholm_today(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&Stockholm).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn local(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn summer_and_winter_offsets() {
        let summer = Deadline::new(local("2024-05-15 12:00:00")).unwrap();
        assert_eq!(summer.instant(), utc("2024-05-15T10:00:00Z"));
        let winter = Deadline::new(local("2024-01-15 12:00:00")).unwrap();
        assert_eq!(winter.instant(), utc("2024-01-15T11:00:00Z"));
        assert_eq!(summer.local(), local("2024-05-15 12:00:00"));
    }

    #[test]
    fn has_passed_at_the_instant() {
        let deadline = Deadline::new(local("2024-05-15 12:00:00")).unwrap();
        assert!(!deadline.has_passed(utc("2024-05-15T09:59:59Z")));
        assert!(deadline.has_passed(utc("2024-05-15T10:00:00Z")));
        assert!(deadline.has_passed(utc("2024-05-15T10:00:01Z")));
    }

    #[test]
    fn spring_gap_is_refused() {
        let gap = local("2024-03-31 02:30:00");
        assert_eq!(
            Deadline::new(gap),
            Err(DeadlineError::NonexistentLocalTime(gap))
        );
        assert!(Deadline::new(local("2024-03-31 02:00:00")).is_err());
        assert!(Deadline::new(local("2024-03-31 02:59:59")).is_err());
        let before = Deadline::new(local("2024-03-31 01:59:59")).unwrap();
        assert_eq!(before.instant(), utc("2024-03-31T00:59:59Z"));
        let after = Deadline::new(local("2024-03-31 03:00:00")).unwrap();
        assert_eq!(after.instant(), utc("2024-03-31T01:00:00Z"));
    }

    #[test]
    fn autumn_repeat_takes_the_later_instant() {
        // 02:30 happens at 00:30 UTC (summer time) and again at 01:30 UTC.
        let ambiguous = Deadline::new(local("2024-10-27 02:30:00")).unwrap();
        assert_eq!(ambiguous.instant(), utc("2024-10-27T01:30:00Z"));
        assert!(!ambiguous.has_passed(utc("2024-10-27T00:30:00Z")));
        assert!(ambiguous.has_passed(utc("2024-10-27T01:30:00Z")));
        let before = Deadline::new(local("2024-10-27 01:59:59")).unwrap();
        assert_eq!(before.instant(), utc("2024-10-26T23:59:59Z"));
        let after = Deadline::new(local("2024-10-27 03:00:00")).unwrap();
        assert_eq!(after.instant(), utc("2024-10-27T02:00:00Z"));
        // Local order still matches instant order around the fold.
        assert!(before < ambiguous && ambiguous < after);
        assert!(before.instant() < ambiguous.instant() && ambiguous.instant() < after.instant());
    }

    #[test]
    fn display_and_parse() {
        let deadline = Deadline::new(local("2024-05-15 12:00:00")).unwrap();
        assert_eq!(deadline.to_string(), "2024-05-15 12:00 (Europe/Stockholm)");
        let with_seconds = Deadline::new(local("2024-05-15 12:00:30")).unwrap();
        assert_eq!(
            with_seconds.to_string(),
            "2024-05-15 12:00:30 (Europe/Stockholm)"
        );
        for input in [
            "2024-05-15T12:00:00",
            "2024-05-15T12:00",
            "2024-05-15 12:00",
            " 2024-05-15 12:00:00 ",
        ] {
            assert_eq!(Deadline::parse(input), Ok(deadline), "{input}");
        }
        assert_eq!(
            Deadline::parse("15/5 2024"),
            Err(DeadlineError::InvalidFormat)
        );
        assert_eq!(
            Deadline::parse("2024-05-15"),
            Err(DeadlineError::InvalidFormat)
        );
        assert!(matches!(
            Deadline::parse("2024-03-31T02:30"),
            Err(DeadlineError::NonexistentLocalTime(_))
        ));
    }

    #[test]
    fn subseconds_are_dropped() {
        let precise = local("2024-05-15 12:00:00") + chrono::Duration::milliseconds(750);
        let deadline = Deadline::new(precise).unwrap();
        assert_eq!(deadline.local(), local("2024-05-15 12:00:00"));
    }

    #[test]
    fn serde_uses_local_time_without_zone() {
        let deadline = Deadline::new(local("2024-10-27 02:30:00")).unwrap();
        let json = serde_json::to_string(&deadline).unwrap();
        assert_eq!(json, "\"2024-10-27T02:30:00\"");
        assert_eq!(serde_json::from_str::<Deadline>(&json).unwrap(), deadline);
        assert!(serde_json::from_str::<Deadline>("\"2024-03-31T02:30:00\"").is_err());
        assert!(serde_json::from_str::<Deadline>("\"not a time\"").is_err());
    }

    #[test]
    fn today_in_stockholm() {
        // 22:30 UTC on 14 May is 00:30 on 15 May in Swedish summer time.
        assert_eq!(
            stockholm_today(utc("2024-05-14T22:30:00Z")),
            NaiveDate::from_ymd_opt(2024, 5, 15).unwrap()
        );
        assert_eq!(
            stockholm_today(utc("2024-05-14T21:59:59Z")),
            NaiveDate::from_ymd_opt(2024, 5, 14).unwrap()
        );
        // Winter: one hour ahead of UTC.
        assert_eq!(
            stockholm_today(utc("2024-12-31T23:00:00Z")),
            NaiveDate::from_ymd_opt(2025, 1, 1).unwrap()
        );
        assert_eq!(
            stockholm_today(utc("2024-12-31T22:59:59Z")),
            NaiveDate::from_ymd_opt(2024, 12, 31).unwrap()
        );
    }

    #[test]
    fn every_error_has_distinct_messages_in_both_languages() {
        for e in [
            DeadlineError::NonexistentLocalTime(local("2024-03-31 02:30:00")),
            DeadlineError::InvalidFormat,
        ] {
            let (sv, en) = (e.message(Lang::Sv), e.message(Lang::En));
            assert!(!sv.is_empty() && !en.is_empty() && sv != en, "{e:?}");
        }
        assert!(
            DeadlineError::NonexistentLocalTime(local("2024-03-31 02:30:00"))
                .message(Lang::Sv)
                .contains("2024-03-31 02:30")
        );
    }

    proptest! {
        #[test]
        fn existing_local_times_map_back_to_themselves(minutes in 0i64..(11 * 366 * 24 * 60)) {
            let start = local("2020-01-01 00:00:00");
            let time = start + chrono::Duration::minutes(minutes);
            match Deadline::new(time) {
                Ok(deadline) => {
                    let instant = deadline.instant();
                    prop_assert_eq!(instant.with_timezone(&Stockholm).naive_local(), time);
                    prop_assert!(deadline.has_passed(instant));
                    prop_assert!(!deadline.has_passed(instant - chrono::Duration::seconds(1)));
                    // No instant maps to this local time later than the chosen one.
                    let hour_later = instant + chrono::Duration::hours(1);
                    prop_assert_ne!(hour_later.with_timezone(&Stockholm).naive_local(), time);
                    let json = serde_json::to_string(&deadline).unwrap();
                    prop_assert_eq!(serde_json::from_str::<Deadline>(&json).unwrap(), deadline);
                }
                Err(DeadlineError::NonexistentLocalTime(t)) => {
                    prop_assert_eq!(t, time);
                    // Only in the spring-forward hour, 02:00–02:59 on a Sunday in March.
                    prop_assert_eq!(time.hour(), 2);
                    prop_assert_eq!(chrono::Datelike::month(&time), 3);
                }
                Err(e) => prop_assert!(false, "unexpected {e:?}"),
            }
        }

        #[test]
        fn parsing_arbitrary_text_never_panics(input in "\\PC{0,24}") {
            let _ = Deadline::parse(&input);
        }
    }
}
