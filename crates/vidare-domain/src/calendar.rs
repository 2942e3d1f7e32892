//! Swedish public holidays and the rule for when a statutory period ends.
//!
//! Holidays follow lag (1989:253) om allmänna helgdagar. Statutory periods
//! follow lag (1930:173) om beräkning av lagstadgad tid: a period whose last day
//! falls on a Saturday, Sunday, public holiday, midsommarafton, julafton or
//! nyårsafton ends on the next working day instead. The standstill period
//! (*avtalsspärr*) after an award decision is such a period (LOU 20 kap.).

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

/// A Swedish public holiday, or one of the three eves that the law on
/// statutory periods treats like one (see [`Holiday::is_public_holiday`]).
///
/// Påskafton (Easter Saturday) and pingstafton are left out: they are not
/// named by either law, and as Saturdays they are non-working days anyway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Holiday {
    /// Nyårsdagen, 1 January.
    NewYearsDay,
    /// Trettondedag jul, 6 January.
    Epiphany,
    /// Långfredagen, the Friday before Easter.
    GoodFriday,
    /// Påskdagen.
    EasterSunday,
    /// Annandag påsk, the Monday after Easter.
    EasterMonday,
    /// Första maj, 1 May.
    MayDay,
    /// Kristi himmelsfärdsdag, Easter + 39 days (a Thursday).
    AscensionDay,
    /// Pingstdagen, Easter + 49 days.
    WhitSunday,
    /// Sveriges nationaldag, 6 June.
    NationalDay,
    /// Midsommarafton, the Friday before midsummer day (not a public holiday,
    /// but equated with one for statutory periods).
    MidsummerEve,
    /// Midsommardagen, the Saturday between 20 and 26 June.
    MidsummerDay,
    /// Alla helgons dag, the Saturday between 31 October and 6 November.
    AllSaintsDay,
    /// Julafton, 24 December (equated with a public holiday for statutory periods).
    ChristmasEve,
    /// Juldagen, 25 December.
    ChristmasDay,
    /// Annandag jul, 26 December.
    BoxingDay,
    /// Nyårsafton, 31 December (equated with a public holiday for statutory periods).
    NewYearsEve,
}

impl Holiday {
    /// The Swedish name, in lower case except for proper nouns, as in running text.
    pub fn name_sv(&self) -> &'static str {
        match self {
            Holiday::NewYearsDay => "nyårsdagen",
            Holiday::Epiphany => "trettondedag jul",
            Holiday::GoodFriday => "långfredagen",
            Holiday::EasterSunday => "påskdagen",
            Holiday::EasterMonday => "annandag påsk",
            Holiday::MayDay => "första maj",
            Holiday::AscensionDay => "Kristi himmelsfärdsdag",
            Holiday::WhitSunday => "pingstdagen",
            Holiday::NationalDay => "Sveriges nationaldag",
            Holiday::MidsummerEve => "midsommarafton",
            Holiday::MidsummerDay => "midsommardagen",
            Holiday::AllSaintsDay => "alla helgons dag",
            Holiday::ChristmasEve => "julafton",
            Holiday::ChristmasDay => "juldagen",
            Holiday::BoxingDay => "annandag jul",
            Holiday::NewYearsEve => "nyårsafton",
        }
    }

    /// The English name.
    pub fn name_en(&self) -> &'static str {
        match self {
            Holiday::NewYearsDay => "New Year's Day",
            Holiday::Epiphany => "Epiphany",
            Holiday::GoodFriday => "Good Friday",
            Holiday::EasterSunday => "Easter Sunday",
            Holiday::EasterMonday => "Easter Monday",
            Holiday::MayDay => "May Day",
            Holiday::AscensionDay => "Ascension Day",
            Holiday::WhitSunday => "Whit Sunday",
            Holiday::NationalDay => "National Day of Sweden",
            Holiday::MidsummerEve => "Midsummer Eve",
            Holiday::MidsummerDay => "Midsummer Day",
            Holiday::AllSaintsDay => "All Saints' Day",
            Holiday::ChristmasEve => "Christmas Eve",
            Holiday::ChristmasDay => "Christmas Day",
            Holiday::BoxingDay => "Boxing Day",
            Holiday::NewYearsEve => "New Year's Eve",
        }
    }

    /// The name in the given language.
    pub fn name(&self, lang: crate::Lang) -> &'static str {
        match lang {
            crate::Lang::Sv => self.name_sv(),
            crate::Lang::En => self.name_en(),
        }
    }

    /// True for the public holidays of lag (1989:253); false for midsommarafton,
    /// julafton and nyårsafton, which only lag (1930:173) treats like holidays.
    pub fn is_public_holiday(&self) -> bool {
        !matches!(
            self,
            Holiday::MidsummerEve | Holiday::ChristmasEve | Holiday::NewYearsEve
        )
    }
}

/// Easter Sunday in the Gregorian calendar (the anonymous Gregorian
/// algorithm, also known as Meeus/Jones/Butcher).
///
/// # Panics
///
/// If `year` is outside chrono's date range.
pub fn easter_sunday(year: i32) -> NaiveDate {
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
    let d = b.div_euclid(4);
    let e = b.rem_euclid(4);
    let f = (b + 8).div_euclid(25);
    let g = (b - f + 1).div_euclid(3);
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c.div_euclid(4);
    let k = c.rem_euclid(4);
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l).div_euclid(451);
    let month = (h + l - 7 * m + 114).div_euclid(31);
    let day = (h + l - 7 * m + 114).rem_euclid(31) + 1;
    date(year, month as u32, day as u32)
}

/// Every holiday and equated eve of `year`, sorted by date.
///
/// Two can fall on the same day (Ascension Day on 1 May as in 2008, Whit
/// Sunday on 6 June as in 2049); both are then listed, in the enum's order.
pub fn holidays(year: i32) -> Vec<(NaiveDate, Holiday)> {
    let easter = easter_sunday(year);
    let after_easter = |days: i64| easter + chrono::Duration::days(days);
    let midsummer_day = first_saturday_from(date(year, 6, 20));
    let mut list = vec![
        (date(year, 1, 1), Holiday::NewYearsDay),
        (date(year, 1, 6), Holiday::Epiphany),
        (after_easter(-2), Holiday::GoodFriday),
        (easter, Holiday::EasterSunday),
        (after_easter(1), Holiday::EasterMonday),
        (date(year, 5, 1), Holiday::MayDay),
        (after_easter(39), Holiday::AscensionDay),
        (after_easter(49), Holiday::WhitSunday),
        (date(year, 6, 6), Holiday::NationalDay),
        (midsummer_day - Days::new(1), Holiday::MidsummerEve),
        (midsummer_day, Holiday::MidsummerDay),
        (
            first_saturday_from(date(year, 10, 31)),
            Holiday::AllSaintsDay,
        ),
        (date(year, 12, 24), Holiday::ChristmasEve),
        (date(year, 12, 25), Holiday::ChristmasDay),
        (date(year, 12, 26), Holiday::BoxingDay),
        (date(year, 12, 31), Holiday::NewYearsEve),
    ];
    list.sort();
    list
}

/// The holiday or equated eve on `date`, if any (the first in enum order
/// when two coincide).
pub fn holiday_on(date: NaiveDate) -> Option<Holiday> {
    holidays(date.year())
        .into_iter()
        .find(|&(d, _)| d == date)
        .map(|(_, h)| h)
}

/// True unless `date` is a Saturday, Sunday, public holiday, midsommarafton,
/// julafton or nyårsafton: the days on which a statutory period may end.
pub fn is_working_day(date: NaiveDate) -> bool {
    !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) && holiday_on(date).is_none()
}

/// `date` itself if it is a working day, otherwise the next working day.
pub fn next_working_day_on_or_after(date: NaiveDate) -> NaiveDate {
    let mut day = date;
    while !is_working_day(day) {
        day = day.succ_opt().expect("date beyond chrono's range");
    }
    day
}

/// The last day of a statutory period of `days` days counted from `start`
/// (the day of the event itself does not count): `start + days`, moved to
/// the next working day if that is not a working day.
pub fn statutory_period_end(start: NaiveDate, days: u32) -> NaiveDate {
    next_working_day_on_or_after(start + Days::new(u64::from(days)))
}

/// How an award decision (*tilldelningsbeslut*) was sent to the tenderers;
/// it decides the length of the standstill period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionDelivery {
    /// By e-mail or another electronic means: 10 days.
    Electronic,
    /// By any other means, such as post: 15 days.
    Other,
}

impl DecisionDelivery {
    /// The length of the standstill period in days (LOU 20 kap. 1 §).
    pub fn standstill_days(self) -> u32 {
        match self {
            DecisionDelivery::Electronic => 10,
            DecisionDelivery::Other => 15,
        }
    }
}

/// The last day of the standstill period (*avtalsspärr*) for a decision sent
/// on `sent`: the contract may not be signed on or before this day.
pub fn standstill_end(sent: NaiveDate, delivery: DecisionDelivery) -> NaiveDate {
    statutory_period_end(sent, delivery.standstill_days())
}

/// The first day on which the contract may be signed: the day after the
/// standstill period ends (which may itself be a weekend day).
pub fn earliest_signing_date(sent: NaiveDate, delivery: DecisionDelivery) -> NaiveDate {
    standstill_end(sent, delivery) + Days::new(1)
}

/// The first Saturday on or after `from`.
fn first_saturday_from(from: NaiveDate) -> NaiveDate {
    let ahead =
        (7 + Weekday::Sat.num_days_from_monday() - from.weekday().num_days_from_monday()) % 7;
    from + Days::new(u64::from(ahead))
}

/// A date known to exist.
fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).expect("date outside chrono's range")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn easter_dates() {
        for (year, expected) in [
            (1818, "1818-03-22"),
            (1943, "1943-04-25"),
            (2000, "2000-04-23"),
            (2008, "2008-03-23"),
            (2011, "2011-04-24"),
            (2019, "2019-04-21"),
            (2024, "2024-03-31"),
            (2025, "2025-04-20"),
            (2026, "2026-04-05"),
            (2027, "2027-03-28"),
            (2038, "2038-04-25"),
            (2285, "2285-03-22"),
        ] {
            assert_eq!(easter_sunday(year), d(expected), "{year}");
        }
    }

    fn check_year(year: i32, expected: &[(&str, Holiday)]) {
        let got = holidays(year);
        let expected: Vec<_> = expected.iter().map(|&(s, h)| (d(s), h)).collect();
        assert_eq!(got, expected, "{year}");
    }

    #[test]
    fn holidays_2024() {
        use Holiday::*;
        check_year(
            2024,
            &[
                ("2024-01-01", NewYearsDay),
                ("2024-01-06", Epiphany),
                ("2024-03-29", GoodFriday),
                ("2024-03-31", EasterSunday),
                ("2024-04-01", EasterMonday),
                ("2024-05-01", MayDay),
                ("2024-05-09", AscensionDay),
                ("2024-05-19", WhitSunday),
                ("2024-06-06", NationalDay),
                ("2024-06-21", MidsummerEve),
                ("2024-06-22", MidsummerDay),
                ("2024-11-02", AllSaintsDay),
                ("2024-12-24", ChristmasEve),
                ("2024-12-25", ChristmasDay),
                ("2024-12-26", BoxingDay),
                ("2024-12-31", NewYearsEve),
            ],
        );
    }

    #[test]
    fn holidays_2025() {
        use Holiday::*;
        check_year(
            2025,
            &[
                ("2025-01-01", NewYearsDay),
                ("2025-01-06", Epiphany),
                ("2025-04-18", GoodFriday),
                ("2025-04-20", EasterSunday),
                ("2025-04-21", EasterMonday),
                ("2025-05-01", MayDay),
                ("2025-05-29", AscensionDay),
                ("2025-06-06", NationalDay),
                ("2025-06-08", WhitSunday),
                ("2025-06-20", MidsummerEve),
                ("2025-06-21", MidsummerDay),
                ("2025-11-01", AllSaintsDay),
                ("2025-12-24", ChristmasEve),
                ("2025-12-25", ChristmasDay),
                ("2025-12-26", BoxingDay),
                ("2025-12-31", NewYearsEve),
            ],
        );
    }

    #[test]
    fn holidays_2026() {
        use Holiday::*;
        check_year(
            2026,
            &[
                ("2026-01-01", NewYearsDay),
                ("2026-01-06", Epiphany),
                ("2026-04-03", GoodFriday),
                ("2026-04-05", EasterSunday),
                ("2026-04-06", EasterMonday),
                ("2026-05-01", MayDay),
                ("2026-05-14", AscensionDay),
                ("2026-05-24", WhitSunday),
                ("2026-06-06", NationalDay),
                ("2026-06-19", MidsummerEve),
                ("2026-06-20", MidsummerDay),
                ("2026-10-31", AllSaintsDay),
                ("2026-12-24", ChristmasEve),
                ("2026-12-25", ChristmasDay),
                ("2026-12-26", BoxingDay),
                ("2026-12-31", NewYearsEve),
            ],
        );
    }

    #[test]
    fn coinciding_holidays() {
        // 2008: Ascension Day fell on 1 May.
        let list = holidays(2008);
        assert!(list.contains(&(d("2008-05-01"), Holiday::MayDay)));
        assert!(list.contains(&(d("2008-05-01"), Holiday::AscensionDay)));
        assert_eq!(holiday_on(d("2008-05-01")), Some(Holiday::MayDay));
        assert_eq!(list.len(), 16);
        assert!(list.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn holiday_lookup_and_names() {
        assert_eq!(holiday_on(d("2024-06-21")), Some(Holiday::MidsummerEve));
        assert_eq!(holiday_on(d("2024-06-20")), None);
        assert_eq!(Holiday::AscensionDay.name_sv(), "Kristi himmelsfärdsdag");
        assert_eq!(Holiday::AllSaintsDay.name_en(), "All Saints' Day");
        assert_eq!(Holiday::ChristmasEve.name(crate::Lang::Sv), "julafton");
        assert!(!Holiday::ChristmasEve.is_public_holiday());
        assert!(Holiday::ChristmasDay.is_public_holiday());
        assert_eq!(
            serde_json::to_string(&Holiday::MidsummerEve).unwrap(),
            "\"midsummer_eve\""
        );
    }

    #[test]
    fn working_days() {
        assert!(!is_working_day(d("2024-04-01"))); // Easter Monday
        assert!(is_working_day(d("2024-04-02")));
        assert!(!is_working_day(d("2024-04-06"))); // Saturday
        assert!(!is_working_day(d("2024-04-07"))); // Sunday
        assert!(!is_working_day(d("2024-06-21"))); // midsommarafton, a Friday
        assert!(!is_working_day(d("2024-12-24"))); // julafton, a Tuesday
        assert!(!is_working_day(d("2024-12-31"))); // nyårsafton
        assert!(is_working_day(d("2024-12-23")));
        assert!(is_working_day(d("2024-12-27")));
        assert_eq!(
            next_working_day_on_or_after(d("2024-12-24")),
            d("2024-12-27")
        );
        assert_eq!(
            next_working_day_on_or_after(d("2024-12-27")),
            d("2024-12-27")
        );
        assert_eq!(
            next_working_day_on_or_after(d("2025-04-18")),
            d("2025-04-22")
        );
    }

    #[test]
    fn official_standstill_example() {
        // Upphandlingsmyndigheten: sent Monday 1 April 2024 by e-mail, standstill
        // through Thursday 11 April, contract may be signed Friday 12 April.
        let sent = d("2024-04-01");
        assert_eq!(
            standstill_end(sent, DecisionDelivery::Electronic),
            d("2024-04-11")
        );
        assert_eq!(
            earliest_signing_date(sent, DecisionDelivery::Electronic),
            d("2024-04-12")
        );
        assert_eq!(
            standstill_end(sent, DecisionDelivery::Other),
            d("2024-04-16")
        );
        assert_eq!(
            earliest_signing_date(sent, DecisionDelivery::Other),
            d("2024-04-17")
        );
    }

    #[test]
    fn standstill_moves_past_non_working_days() {
        let e = DecisionDelivery::Electronic;
        // Day 10 is Saturday 13 April 2024 → Monday 15 April.
        assert_eq!(standstill_end(d("2024-04-03"), e), d("2024-04-15"));
        // Day 10 is Sunday 14 April 2024 → Monday 15 April.
        assert_eq!(standstill_end(d("2024-04-04"), e), d("2024-04-15"));
        // Day 10 is midsommarafton (Friday 21 June 2024) → Monday 24 June.
        assert_eq!(standstill_end(d("2024-06-11"), e), d("2024-06-24"));
        assert_eq!(earliest_signing_date(d("2024-06-11"), e), d("2024-06-25"));
        // Day 10 is julafton 2024; juldagen and annandag follow → Friday 27 December.
        assert_eq!(standstill_end(d("2024-12-14"), e), d("2024-12-27"));
        assert_eq!(standstill_end(d("2024-12-15"), e), d("2024-12-27"));
        assert_eq!(standstill_end(d("2024-12-16"), e), d("2024-12-27"));
        // Day 10 is nyårsafton 2024, then nyårsdagen → Thursday 2 January 2025.
        assert_eq!(standstill_end(d("2024-12-21"), e), d("2025-01-02"));
        assert_eq!(standstill_end(d("2024-12-22"), e), d("2025-01-02"));
        // Day 10 is långfredagen 2025 → Tuesday after Easter.
        assert_eq!(standstill_end(d("2025-04-08"), e), d("2025-04-22"));
        // Day 10 is annandag påsk 2024 → Tuesday 2 April.
        assert_eq!(standstill_end(d("2024-03-22"), e), d("2024-04-02"));
        // Day 15 (other delivery) is Kristi himmelsfärdsdag 2024 → Friday 10 May.
        assert_eq!(
            standstill_end(d("2024-04-24"), DecisionDelivery::Other),
            d("2024-05-10")
        );
        // Trettondedag jul 2025 is a Monday → Tuesday 7 January.
        assert_eq!(standstill_end(d("2024-12-27"), e), d("2025-01-07"));
    }

    proptest! {
        #[test]
        fn statutory_period_end_is_a_nearby_working_day(
            offset in 0u64..(400 * 366),
            days in 0u32..60,
        ) {
            let start = d("1900-01-01") + Days::new(offset);
            let nominal = start + Days::new(u64::from(days));
            let end = statutory_period_end(start, days);
            prop_assert!(is_working_day(end));
            prop_assert!(end >= nominal);
            prop_assert!(end < nominal + Days::new(6));
            // Nothing is skipped: every day in between is a non-working day.
            let mut day = nominal;
            while day < end {
                prop_assert!(!is_working_day(day));
                day = day.succ_opt().unwrap();
            }
        }

        #[test]
        fn holiday_rules_hold_every_year(year in 1583i32..3000) {
            let list = holidays(year);
            prop_assert_eq!(list.len(), 16);
            prop_assert!(list.windows(2).all(|w| w[0] <= w[1]));
            for (day, holiday) in list {
                prop_assert_eq!(day.year(), year);
                match holiday {
                    Holiday::EasterSunday | Holiday::WhitSunday => {
                        prop_assert_eq!(day.weekday(), Weekday::Sun)
                    }
                    Holiday::GoodFriday | Holiday::MidsummerEve => {
                        prop_assert_eq!(day.weekday(), Weekday::Fri)
                    }
                    Holiday::AscensionDay => prop_assert_eq!(day.weekday(), Weekday::Thu),
                    Holiday::EasterMonday => prop_assert_eq!(day.weekday(), Weekday::Mon),
                    Holiday::MidsummerDay => {
                        prop_assert_eq!(day.weekday(), Weekday::Sat);
                        prop_assert!((date(year, 6, 20)..=date(year, 6, 26)).contains(&day));
                    }
                    Holiday::AllSaintsDay => {
                        prop_assert_eq!(day.weekday(), Weekday::Sat);
                        prop_assert!((date(year, 10, 31)..=date(year, 11, 6)).contains(&day));
                    }
                    _ => {}
                }
                // Easter falls between 22 March and 25 April.
                if holiday == Holiday::EasterSunday {
                    prop_assert!((date(year, 3, 22)..=date(year, 4, 25)).contains(&day));
                }
            }
        }
    }
}
