//! Swedish personal identity numbers (*personnummer*) and coordination numbers
//! (*samordningsnummer*).
//!
//! A value of [`PersonalIdentityNumber`] is always valid: a real birth date, a
//! serial of three digits and a kind; the check digit is derived, never stored,
//! so it cannot disagree with the rest. The storage form is the 12-digit
//! [`canonical`](PersonalIdentityNumber::canonical) string.
//!
//! Personal identity numbers are sensitive personal data (BRIEF §4), so
//! [`Debug`] prints only the masked form; use
//! [`canonical`](PersonalIdentityNumber::canonical) deliberately where the full
//! number is needed.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::lang::{Lang, Localized};
use crate::luhn;

/// Whether a number is a personnummer or a samordningsnummer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityKind {
    /// A personal identity number, given to people registered in Sweden.
    Personnummer,
    /// A coordination number, given to people who are not or have not been
    /// registered in Sweden; written with 60 added to the day of birth.
    Samordningsnummer,
}

/// Why a string is not a valid personal identity or coordination number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityNumberError {
    /// Nothing was entered.
    #[error("the identity number is empty")]
    Empty,
    /// The number has neither 10 nor 12 digits (or, in the storage form, not 12).
    #[error("the identity number must have 10 or 12 digits")]
    WrongLength,
    /// A character other than a digit or a separator was found.
    #[error("the identity number contains a character that is not a digit or separator")]
    InvalidCharacter,
    /// The date part is not a real calendar date (or day is not 1–31 or 61–91).
    #[error("the identity number does not contain a valid date")]
    InvalidDate,
    /// The birth date lies after today.
    #[error("the birth date in the identity number is in the future")]
    FutureDate,
    /// The check digit does not match the other nine digits.
    #[error("the check digit of the identity number is wrong")]
    InvalidChecksum,
    /// The separator is misplaced, repeated, or a `+` in the 12-digit form.
    #[error("the separator in the identity number is misplaced or not allowed")]
    InvalidSeparator,
    /// A serial number above 999 was given to [`PersonalIdentityNumber::from_parts`].
    #[error("the serial number must be between 000 and 999")]
    SerialOutOfRange,
}

impl Localized for IdentityNumberError {
    fn message(&self, lang: Lang) -> String {
        use IdentityNumberError as E;
        let text = match (self, lang) {
            (E::Empty, Lang::Sv) => {
                "Personnumret saknas. Fyll i ett personnummer eller samordningsnummer."
            }
            (E::Empty, Lang::En) => {
                "The identity number is missing. Enter a personal identity number or coordination number."
            }
            (E::WrongLength, Lang::Sv) => {
                "Personnumret har fel antal siffror. Skriv det med 10 siffror (ÅÅMMDD-NNNN) eller 12 siffror (ÅÅÅÅMMDD-NNNN)."
            }
            (E::WrongLength, Lang::En) => {
                "The identity number has the wrong number of digits. Write it with 10 digits (YYMMDD-NNNN) or 12 digits (YYYYMMDD-NNNN)."
            }
            (E::InvalidCharacter, Lang::Sv) => {
                "Personnumret innehåller otillåtna tecken. Använd bara siffror och eventuellt ett bindestreck före de fyra sista siffrorna."
            }
            (E::InvalidCharacter, Lang::En) => {
                "The identity number contains characters that are not allowed. Use only digits and, optionally, a hyphen before the last four digits."
            }
            (E::InvalidDate, Lang::Sv) => {
                "Personnumret innehåller inget giltigt datum. Kontrollera år, månad och dag."
            }
            (E::InvalidDate, Lang::En) => {
                "The identity number does not contain a valid date. Check the year, month and day."
            }
            (E::FutureDate, Lang::Sv) => {
                "Födelsedatumet i personnumret ligger i framtiden. Kontrollera årtalet."
            }
            (E::FutureDate, Lang::En) => {
                "The birth date in the identity number is in the future. Check the year."
            }
            (E::InvalidChecksum, Lang::Sv) => {
                "Kontrollsiffran stämmer inte. Kontrollera att personnumret är rätt skrivet."
            }
            (E::InvalidChecksum, Lang::En) => {
                "The check digit does not match. Check that the identity number is written correctly."
            }
            (E::InvalidSeparator, Lang::Sv) => {
                "Skiljetecknet i personnumret är fel. Skriv ett bindestreck (eller plustecken för den som fyllt 100 år) före de fyra sista siffrorna; med 12 siffror används bara bindestreck."
            }
            (E::InvalidSeparator, Lang::En) => {
                "The separator in the identity number is wrong. Put a hyphen (or a plus sign for a person aged 100 or more) before the last four digits; with 12 digits only a hyphen is allowed."
            }
            (E::SerialOutOfRange, Lang::Sv) => {
                "Födelsenumret måste vara tre siffror, 000–999. Ange ett födelsenummer i det intervallet."
            }
            (E::SerialOutOfRange, Lang::En) => {
                "The serial number must be three digits, 000–999. Give a serial number in that range."
            }
        };
        text.to_owned()
    }
}

/// A valid Swedish personnummer or samordningsnummer.
///
/// Holds the real birth date (for a samordningsnummer, without the +60), the
/// three-digit serial and the kind. Ordering is by birth date, then serial,
/// then kind.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PersonalIdentityNumber {
    birth_date: NaiveDate,
    serial: u16,
    kind: IdentityKind,
}

/// The day offset that marks a samordningsnummer.
const COORDINATION_DAY_OFFSET: u32 = 60;

/// Month and (real) day decoded from the digits, before the year is known.
struct DateParts {
    month: u32,
    day: u32,
    kind: IdentityKind,
}

impl PersonalIdentityNumber {
    /// Parses a number as people write it.
    ///
    /// Accepts `YYMMDD-NNNC`, `YYMMDD+NNNC`, `YYMMDDNNNC`, `YYYYMMDD-NNNC` and
    /// `YYYYMMDDNNNC`, ignoring surrounding whitespace. `today` is needed
    /// because the 10-digit forms leave out the century: it is the most recent
    /// one in which the date is not after `today`, or one century earlier with
    /// `+` (which people use from the year they turn 100).
    pub fn parse(input: &str, today: NaiveDate) -> Result<Self, IdentityNumberError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(IdentityNumberError::Empty);
        }

        let mut digits: Vec<u8> = Vec::with_capacity(12);
        // Number of digits before the separator, and which separator.
        let mut separator: Option<(usize, char)> = None;
        for c in s.chars() {
            match c {
                '0'..='9' => digits.push(c as u8 - b'0'),
                '-' | '+' => {
                    if separator.is_some() {
                        return Err(IdentityNumberError::InvalidSeparator);
                    }
                    separator = Some((digits.len(), c));
                }
                _ => return Err(IdentityNumberError::InvalidCharacter),
            }
        }
        if digits.len() != 10 && digits.len() != 12 {
            return Err(IdentityNumberError::WrongLength);
        }
        let plus = match separator {
            None => false,
            Some((position, _)) if position != digits.len() - 4 => {
                return Err(IdentityNumberError::InvalidSeparator);
            }
            // The `+` only disambiguates the century, which 12 digits already give.
            Some((_, '+')) if digits.len() == 12 => {
                return Err(IdentityNumberError::InvalidSeparator);
            }
            Some((_, c)) => c == '+',
        };

        let ten = &digits[digits.len() - 10..];
        let parts = date_parts(ten)?;
        let year = if digits.len() == 12 {
            number(&digits[..4]) as i32
        } else {
            let yy = number(&ten[..2]) as i32;
            let mut year = today.year().div_euclid(100) * 100 + yy;
            // Compare as tuples: the candidate date may not exist in this century
            // (29 February), and that must not change which century is chosen.
            if (year, parts.month, parts.day) > (today.year(), today.month(), today.day()) {
                year -= 100;
            }
            if plus {
                year -= 100;
            }
            // Only an absurd `today` could get here; keep the 12-digit form possible.
            if !(0..=9999).contains(&year) {
                return Err(IdentityNumberError::InvalidDate);
            }
            year
        };
        let birth_date = NaiveDate::from_ymd_opt(year, parts.month, parts.day)
            .ok_or(IdentityNumberError::InvalidDate)?;
        if birth_date > today {
            return Err(IdentityNumberError::FutureDate);
        }
        if !luhn::is_valid(ten) {
            return Err(IdentityNumberError::InvalidChecksum);
        }
        Ok(Self {
            birth_date,
            serial: number(&ten[6..9]) as u16,
            kind: parts.kind,
        })
    }

    /// Parses the storage form: exactly 12 digits, no separator, no whitespace.
    ///
    /// The century is explicit, so no reference date is needed; the birth date
    /// is therefore not checked against today.
    pub fn parse_canonical(s: &str) -> Result<Self, IdentityNumberError> {
        if s.is_empty() {
            return Err(IdentityNumberError::Empty);
        }
        if let Some(c) = s.chars().find(|c| !c.is_ascii_digit()) {
            return Err(if c == '-' || c == '+' {
                IdentityNumberError::InvalidSeparator
            } else {
                IdentityNumberError::InvalidCharacter
            });
        }
        if s.len() != 12 {
            return Err(IdentityNumberError::WrongLength);
        }
        let digits: Vec<u8> = s.bytes().map(|b| b - b'0').collect();
        let ten = &digits[2..];
        let parts = date_parts(ten)?;
        let birth_date =
            NaiveDate::from_ymd_opt(number(&digits[..4]) as i32, parts.month, parts.day)
                .ok_or(IdentityNumberError::InvalidDate)?;
        if !luhn::is_valid(ten) {
            return Err(IdentityNumberError::InvalidChecksum);
        }
        Ok(Self {
            birth_date,
            serial: number(&ten[6..9]) as u16,
            kind: parts.kind,
        })
    }

    /// Builds a number from its parts; the check digit is computed.
    ///
    /// Meant for synthetic test data. The year must have four digits
    /// (0–9999) so that the canonical form exists.
    pub fn from_parts(
        birth_date: NaiveDate,
        serial: u16,
        kind: IdentityKind,
    ) -> Result<Self, IdentityNumberError> {
        if serial > 999 {
            return Err(IdentityNumberError::SerialOutOfRange);
        }
        if !(0..=9999).contains(&birth_date.year()) {
            return Err(IdentityNumberError::InvalidDate);
        }
        Ok(Self {
            birth_date,
            serial,
            kind,
        })
    }

    /// The storage form `YYYYMMDDNNNC` (a samordningsnummer has day + 60).
    pub fn canonical(&self) -> String {
        self.canonical_ascii()
            .iter()
            .map(|&b| char::from(b))
            .collect()
    }

    /// [`canonical`](Self::canonical) as its twelve ASCII digits, without allocating:
    /// an import keys and sorts a million rows by it.
    pub fn canonical_ascii(&self) -> [u8; 12] {
        let year = self.birth_date.year().unsigned_abs();
        let (month, day) = (self.birth_date.month(), self.written_day());
        let serial = u32::from(self.serial);
        [
            year / 1000 % 10,
            year / 100 % 10,
            year / 10 % 10,
            year % 10,
            month / 10,
            month % 10,
            day / 10,
            day % 10,
            serial / 100,
            serial / 10 % 10,
            serial % 10,
            u32::from(self.check_digit()),
        ]
        .map(|d| b'0' + d as u8)
    }

    /// The 10-digit form `YYMMDD-NNNC` as written on `today`: with `+` instead
    /// of `-` once the person has turned 100, so that
    /// [`parse`](Self::parse) with the same `today` gives this number back.
    ///
    /// A person 200 years or older cannot be written in this form; the result
    /// then parses to someone a century younger.
    pub fn short_form(&self, today: NaiveDate) -> String {
        let separator = if self.age_on(today) >= 100 { '+' } else { '-' };
        format!(
            "{}{separator}{}",
            self.date_digits(),
            self.serial_and_check()
        )
    }

    /// The real date of birth (for a samordningsnummer, without the +60).
    pub fn birth_date(&self) -> NaiveDate {
        self.birth_date
    }

    /// Whether this is a personnummer or a samordningsnummer.
    pub fn kind(&self) -> IdentityKind {
        self.kind
    }

    /// Age in whole years on `date`; 0 before the birth date.
    ///
    /// Someone born on 29 February turns a year older on 1 March in common years.
    pub fn age_on(&self, date: NaiveDate) -> u32 {
        let born = self.birth_date;
        let mut years = date.year() - born.year();
        if (date.month(), date.day()) < (born.month(), born.day()) {
            years -= 1;
        }
        years.max(0) as u32
    }

    /// `YYYYMMDD-****`: the birth date without the digits that identify the
    /// person, for lists and logs.
    pub fn masked(&self) -> String {
        format!("{}{}-****", self.century_digits(), self.date_digits())
    }

    /// The first two digits of the four-digit year.
    fn century_digits(&self) -> String {
        format!("{:02}", self.birth_date.year() / 100)
    }

    /// `YYMMDD` with the samordningsnummer offset applied to the day.
    fn date_digits(&self) -> String {
        format!(
            "{:02}{:02}{:02}",
            self.birth_date.year() % 100,
            self.birth_date.month(),
            self.written_day()
        )
    }

    /// `NNNC`: serial and check digit.
    fn serial_and_check(&self) -> String {
        format!("{:03}{}", self.serial, self.check_digit())
    }

    /// The day as written in the number.
    fn written_day(&self) -> u32 {
        match self.kind {
            IdentityKind::Personnummer => self.birth_date.day(),
            IdentityKind::Samordningsnummer => self.birth_date.day() + COORDINATION_DAY_OFFSET,
        }
    }

    /// The Luhn digit over `YYMMDDNNN`.
    fn check_digit(&self) -> u8 {
        let yy = (self.birth_date.year() % 100) as u32;
        let mm = self.birth_date.month();
        let dd = self.written_day();
        let serial = u32::from(self.serial);
        let payload = [
            yy / 10,
            yy % 10,
            mm / 10,
            mm % 10,
            dd / 10,
            dd % 10,
            serial / 100,
            serial / 10 % 10,
            serial % 10,
        ]
        .map(|d| d as u8);
        luhn::check_digit(&payload)
    }
}

/// Reads month, day and kind from the 10-digit form `YYMMDDNNNC`.
fn date_parts(ten: &[u8]) -> Result<DateParts, IdentityNumberError> {
    let month = number(&ten[2..4]);
    let written_day = number(&ten[4..6]);
    let (day, kind) = match written_day {
        1..=31 => (written_day, IdentityKind::Personnummer),
        61..=91 => (
            written_day - COORDINATION_DAY_OFFSET,
            IdentityKind::Samordningsnummer,
        ),
        _ => return Err(IdentityNumberError::InvalidDate),
    };
    if !(1..=12).contains(&month) {
        return Err(IdentityNumberError::InvalidDate);
    }
    Ok(DateParts { month, day, kind })
}

/// The decimal value of a short run of digit values.
fn number(digits: &[u8]) -> u32 {
    digits.iter().fold(0, |acc, &d| acc * 10 + u32::from(d))
}

/// `YYYYMMDD-NNNC`, the form used in letters and on screen.
impl fmt::Display for PersonalIdentityNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{}-{}",
            self.century_digits(),
            self.date_digits(),
            self.serial_and_check()
        )
    }
}

/// Prints only the masked form, so that numbers do not leak into logs.
impl fmt::Debug for PersonalIdentityNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PersonalIdentityNumber")
            .field(&format_args!("{}", self.masked()))
            .field(&self.kind)
            .finish()
    }
}

impl Serialize for PersonalIdentityNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.canonical())
    }
}

impl<'de> Deserialize<'de> for PersonalIdentityNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Self::parse_canonical(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    type E = IdentityNumberError;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    /// A fixed "today" so the tests do not depend on the clock.
    fn today() -> NaiveDate {
        date(2024, 6, 1)
    }

    fn pn(y: i32, m: u32, d: u32, serial: u16) -> PersonalIdentityNumber {
        PersonalIdentityNumber::from_parts(date(y, m, d), serial, IdentityKind::Personnummer)
            .unwrap()
    }

    fn sn(y: i32, m: u32, d: u32, serial: u16) -> PersonalIdentityNumber {
        PersonalIdentityNumber::from_parts(date(y, m, d), serial, IdentityKind::Samordningsnummer)
            .unwrap()
    }

    /// `YYMMDDNNN` plus its check digit, written with `sep` before the last four.
    fn with_check(payload: &str, sep: &str) -> String {
        let digits: Vec<u8> = payload.bytes().map(|b| b - b'0').collect();
        let c = luhn::check_digit(&digits[digits.len() - 9..]);
        let (head, tail) = payload.split_at(payload.len() - 3);
        format!("{head}{sep}{tail}{c}")
    }

    #[test]
    fn skatteverket_test_number_in_every_form() {
        let expected = pn(1981, 12, 28, 987);
        for input in [
            "811228-9874",
            "8112289874",
            "19811228-9874",
            "198112289874",
            "  811228-9874\n",
        ] {
            let parsed = PersonalIdentityNumber::parse(input, today()).unwrap();
            assert_eq!(parsed, expected, "{input}");
            assert_eq!(parsed.kind(), IdentityKind::Personnummer);
            assert_eq!(parsed.birth_date(), date(1981, 12, 28));
        }
        assert_eq!(expected.canonical(), "198112289874");
        assert_eq!(expected.to_string(), "19811228-9874");
        assert_eq!(expected.short_form(today()), "811228-9874");
        assert_eq!(expected.masked(), "19811228-****");
        assert_eq!(
            PersonalIdentityNumber::parse_canonical("198112289874").unwrap(),
            expected
        );
    }

    #[test]
    fn debug_does_not_reveal_the_number() {
        let debug = format!("{:?}", pn(1981, 12, 28, 987));
        assert!(debug.contains("19811228-****"), "{debug}");
        assert!(!debug.contains("9874"), "{debug}");
    }

    #[test]
    fn century_inference_without_plus() {
        // Born exactly today: this century.
        let s = with_check("240601123", "-");
        assert_eq!(
            PersonalIdentityNumber::parse(&s, today())
                .unwrap()
                .birth_date(),
            date(2024, 6, 1)
        );
        // One day after today would be in the future, so the previous century.
        let s = with_check("240602123", "-");
        assert_eq!(
            PersonalIdentityNumber::parse(&s, today())
                .unwrap()
                .birth_date(),
            date(1924, 6, 2)
        );
        // No separator behaves like `-`.
        let s = with_check("240602123", "");
        assert_eq!(
            PersonalIdentityNumber::parse(&s, today())
                .unwrap()
                .birth_date(),
            date(1924, 6, 2)
        );
        let s = with_check("990101123", "-");
        assert_eq!(
            PersonalIdentityNumber::parse(&s, today())
                .unwrap()
                .birth_date(),
            date(1999, 1, 1)
        );
        let s = with_check("000101123", "-");
        assert_eq!(
            PersonalIdentityNumber::parse(&s, today())
                .unwrap()
                .birth_date(),
            date(2000, 1, 1)
        );
    }

    #[test]
    fn century_inference_with_plus() {
        // Turns 100 today: `+` and one century before the inferred one.
        let s = with_check("240601123", "+");
        let parsed = PersonalIdentityNumber::parse(&s, today()).unwrap();
        assert_eq!(parsed.birth_date(), date(1924, 6, 1));
        assert_eq!(parsed.age_on(today()), 100);
        assert_eq!(parsed.short_form(today()), s);
        // Not yet 100 with `+` would be a person born in the 1800s.
        let s = with_check("240602123", "+");
        assert_eq!(
            PersonalIdentityNumber::parse(&s, today())
                .unwrap()
                .birth_date(),
            date(1824, 6, 2)
        );
        let s = with_check("181228123", "+");
        assert_eq!(
            PersonalIdentityNumber::parse(&s, today())
                .unwrap()
                .birth_date(),
            date(1918, 12, 28)
        );
    }

    #[test]
    fn leap_years() {
        let ok = |s: &str| PersonalIdentityNumber::parse(s, today());
        assert_eq!(
            ok(&with_check("000229123", "-")).unwrap().birth_date(),
            date(2000, 2, 29)
        );
        assert_eq!(
            ok(&with_check("040229123", "-")).unwrap().birth_date(),
            date(2004, 2, 29)
        );
        assert_eq!(ok(&with_check("230229123", "-")), Err(E::InvalidDate));
        assert_eq!(
            ok(&with_check("20240229123", "-")).unwrap().birth_date(),
            date(2024, 2, 29)
        );
        assert_eq!(ok(&with_check("19000229123", "-")), Err(E::InvalidDate));
        // In 2100 the latest "00" is 2100, which is not a leap year; with `+`
        // the person is born in 2000, which is.
        let in_2100 = date(2100, 3, 1);
        assert_eq!(
            PersonalIdentityNumber::parse(&with_check("000229123", "-"), in_2100),
            Err(E::InvalidDate)
        );
        assert_eq!(
            PersonalIdentityNumber::parse(&with_check("000229123", "+"), in_2100)
                .unwrap()
                .birth_date(),
            date(2000, 2, 29)
        );
    }

    #[test]
    fn age_on_birthdays() {
        let p = pn(2000, 2, 29, 1);
        assert_eq!(p.age_on(date(1999, 1, 1)), 0);
        assert_eq!(p.age_on(date(2000, 2, 29)), 0);
        assert_eq!(p.age_on(date(2001, 2, 28)), 0);
        assert_eq!(p.age_on(date(2001, 3, 1)), 1);
        assert_eq!(p.age_on(date(2004, 2, 29)), 4);
        let p = pn(1981, 12, 28, 987);
        assert_eq!(p.age_on(date(2024, 12, 27)), 42);
        assert_eq!(p.age_on(date(2024, 12, 28)), 43);
    }

    #[test]
    fn samordningsnummer() {
        // Skatteverket's example 701063-2391: born 3 October 1970.
        let parsed = PersonalIdentityNumber::parse("701063-2391", today()).unwrap();
        assert_eq!(parsed.kind(), IdentityKind::Samordningsnummer);
        assert_eq!(parsed.birth_date(), date(1970, 10, 3));
        assert_eq!(parsed.canonical(), "197010632391");
        assert_eq!(parsed.to_string(), "19701063-2391");
        assert_eq!(parsed.masked(), "19701063-****");
        assert_eq!(parsed, sn(1970, 10, 3, 239));

        for day in [1, 15, 28, 31] {
            let built = sn(1990, 1, day, 42);
            let written = format!("{:02}", day + 60);
            assert!(built.canonical().starts_with(&format!("199001{written}")));
            let parsed = PersonalIdentityNumber::parse(&built.short_form(today()), today());
            assert_eq!(parsed, Ok(built));
        }
        // Day 61 and 91 are the bounds; 60 and 92 are not days.
        let ok = |s: &str| PersonalIdentityNumber::parse(s, today());
        assert_eq!(
            ok(&with_check("900161123", "-")).unwrap().birth_date(),
            date(1990, 1, 1)
        );
        assert_eq!(
            ok(&with_check("900191123", "-")).unwrap().birth_date(),
            date(1990, 1, 31)
        );
        assert_eq!(ok(&with_check("900160123", "-")), Err(E::InvalidDate));
        assert_eq!(ok(&with_check("900192123", "-")), Err(E::InvalidDate));
        // 30 February plus 60 is still not a date.
        assert_eq!(ok(&with_check("900290123", "-")), Err(E::InvalidDate));
    }

    #[test]
    fn rejects_each_error_kind() {
        let parse = |s: &str| PersonalIdentityNumber::parse(s, today());
        assert_eq!(parse(""), Err(E::Empty));
        assert_eq!(parse("   "), Err(E::Empty));
        assert_eq!(parse("811228-987"), Err(E::WrongLength));
        assert_eq!(parse("81122898745"), Err(E::WrongLength));
        assert_eq!(parse("1981122898745"), Err(E::WrongLength));
        assert_eq!(parse("811228-987A"), Err(E::InvalidCharacter));
        assert_eq!(parse("811228 9874"), Err(E::InvalidCharacter));
        assert_eq!(parse("811228/9874"), Err(E::InvalidCharacter));
        assert_eq!(parse(&with_check("811328987", "-")), Err(E::InvalidDate));
        assert_eq!(parse(&with_check("810028987", "-")), Err(E::InvalidDate));
        assert_eq!(parse(&with_check("811200987", "-")), Err(E::InvalidDate));
        assert_eq!(parse(&with_check("811232987", "-")), Err(E::InvalidDate));
        assert_eq!(parse(&with_check("810431987", "-")), Err(E::InvalidDate));
        assert_eq!(parse(&with_check("20240602123", "-")), Err(E::FutureDate));
        assert_eq!(parse(&with_check("20990101123", "")), Err(E::FutureDate));
        assert_eq!(parse("811228-9875"), Err(E::InvalidChecksum));
        assert_eq!(parse("19811228-9875"), Err(E::InvalidChecksum));
        assert_eq!(parse("19811228+9874"), Err(E::InvalidSeparator));
        assert_eq!(parse("8112-289874"), Err(E::InvalidSeparator));
        assert_eq!(parse("811228--9874"), Err(E::InvalidSeparator));
        assert_eq!(parse("811228-+9874"), Err(E::InvalidSeparator));
        assert_eq!(parse("8112289874-"), Err(E::InvalidSeparator));
        assert_eq!(
            PersonalIdentityNumber::from_parts(
                date(1981, 12, 28),
                1000,
                IdentityKind::Personnummer
            ),
            Err(E::SerialOutOfRange)
        );
        assert_eq!(
            PersonalIdentityNumber::from_parts(date(10000, 1, 1), 1, IdentityKind::Personnummer),
            Err(E::InvalidDate)
        );
    }

    #[test]
    fn parse_canonical_accepts_only_the_storage_form() {
        let p = |s: &str| PersonalIdentityNumber::parse_canonical(s);
        assert_eq!(p("198112289874"), Ok(pn(1981, 12, 28, 987)));
        assert_eq!(p(""), Err(E::Empty));
        assert_eq!(p("8112289874"), Err(E::WrongLength));
        assert_eq!(p("19811228-9874"), Err(E::InvalidSeparator));
        assert_eq!(p(" 198112289874"), Err(E::InvalidCharacter));
        assert_eq!(p("198113289874"), Err(E::InvalidDate));
        assert_eq!(p("198112289875"), Err(E::InvalidChecksum));
        // No reference date, so a future date is accepted here.
        assert!(p(&with_check("20990101123", "")).is_ok());
    }

    #[test]
    fn serde_uses_the_canonical_string() {
        let number = sn(1970, 10, 3, 239);
        let json = serde_json::to_string(&number).unwrap();
        assert_eq!(json, "\"197010632391\"");
        let back: PersonalIdentityNumber = serde_json::from_str(&json).unwrap();
        assert_eq!(back, number);
        assert!(serde_json::from_str::<PersonalIdentityNumber>("\"19701063-2391\"").is_err());
        assert!(serde_json::from_str::<PersonalIdentityNumber>("\"197010632392\"").is_err());
        assert_eq!(
            serde_json::to_string(&IdentityKind::Samordningsnummer).unwrap(),
            "\"samordningsnummer\""
        );
        assert_eq!(
            serde_json::from_str::<IdentityKind>("\"personnummer\"").unwrap(),
            IdentityKind::Personnummer
        );
    }

    #[test]
    fn every_error_has_distinct_messages_in_both_languages() {
        let all = [
            E::Empty,
            E::WrongLength,
            E::InvalidCharacter,
            E::InvalidDate,
            E::FutureDate,
            E::InvalidChecksum,
            E::InvalidSeparator,
            E::SerialOutOfRange,
        ];
        for e in &all {
            let sv = e.message(Lang::Sv);
            let en = e.message(Lang::En);
            assert!(!sv.is_empty() && !en.is_empty() && sv != en, "{e:?}");
            assert!(!e.to_string().is_empty());
        }
        assert_eq!(
            E::InvalidChecksum.message(Lang::Sv),
            "Kontrollsiffran stämmer inte. Kontrollera att personnumret är rätt skrivet."
        );
    }

    fn kind_strategy() -> impl Strategy<Value = IdentityKind> {
        prop_oneof![
            Just(IdentityKind::Personnummer),
            Just(IdentityKind::Samordningsnummer)
        ]
    }

    /// Any number of a person born 1825-01-01 up to today (under 200 years old).
    fn number_strategy() -> impl Strategy<Value = PersonalIdentityNumber> {
        let first = date(1825, 1, 1);
        let span = (today() - first).num_days() as u64;
        (0..=span, 0u16..=999, kind_strategy()).prop_map(move |(offset, serial, kind)| {
            let born = first.checked_add_days(chrono::Days::new(offset)).unwrap();
            PersonalIdentityNumber::from_parts(born, serial, kind).unwrap()
        })
    }

    /// The ten digits `YYMMDDNNNC` without a separator.
    fn ten_digits(n: &PersonalIdentityNumber) -> Vec<u8> {
        n.canonical().bytes().skip(2).map(|b| b - b'0').collect()
    }

    /// Writes ten digit values as `YYMMDD-NNNC`.
    fn write_ten(digits: &[u8]) -> String {
        let s: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
        format!("{}-{}", &s[..6], &s[6..])
    }

    proptest! {
        #[test]
        fn round_trips_through_every_form(n in number_strategy()) {
            let t = today();
            prop_assert_eq!(PersonalIdentityNumber::parse_canonical(&n.canonical()), Ok(n));
            prop_assert_eq!(PersonalIdentityNumber::parse(&n.canonical(), t), Ok(n));
            prop_assert_eq!(PersonalIdentityNumber::parse(&n.to_string(), t), Ok(n));
            // The storage form is the displayed one without its hyphen.
            prop_assert_eq!(n.canonical(), n.to_string().replace('-', ""));
            let short = n.short_form(t);
            prop_assert_eq!(PersonalIdentityNumber::parse(&short, t), Ok(n));
            if n.age_on(t) < 100 {
                prop_assert_eq!(PersonalIdentityNumber::parse(&short.replace('-', ""), t), Ok(n));
            }
            let json = serde_json::to_string(&n).unwrap();
            prop_assert_eq!(serde_json::from_str::<PersonalIdentityNumber>(&json).unwrap(), n);
        }

        #[test]
        fn every_single_digit_substitution_is_rejected(n in number_strategy()) {
            let valid = ten_digits(&n);
            // Every position and every other digit: 90 typos per number.
            for position in 0..10 {
                for replacement in (0..10).filter(|&d| d != valid[position]) {
                    let mut digits = valid.clone();
                    digits[position] = replacement;
                    let typo = write_ten(&digits);
                    prop_assert!(PersonalIdentityNumber::parse(&typo, today()).is_err(), "{}", typo);
                    let plus = typo.replace('-', "+");
                    prop_assert!(PersonalIdentityNumber::parse(&plus, today()).is_err(), "{}", plus);
                }
            }
        }

        #[test]
        fn parsing_arbitrary_text_never_panics(input in "\\PC{0,16}", digits in "[0-9+ -]{0,16}") {
            let _ = PersonalIdentityNumber::parse(&input, today());
            let _ = PersonalIdentityNumber::parse(&digits, today());
            let _ = PersonalIdentityNumber::parse(&digits, date(1, 1, 1));
            let _ = PersonalIdentityNumber::parse_canonical(&input);
            let _ = PersonalIdentityNumber::parse_canonical(&digits);
        }

        #[test]
        fn every_adjacent_transposition_is_rejected(n in number_strategy()) {
            let valid = ten_digits(&n);
            for position in 0..9 {
                let (a, b) = (valid[position], valid[position + 1]);
                // Luhn cannot see 09 <-> 90, and equal digits change nothing.
                if a == b || matches!((a, b), (0, 9) | (9, 0)) {
                    continue;
                }
                let mut digits = valid.clone();
                digits.swap(position, position + 1);
                let typo = write_ten(&digits);
                prop_assert!(PersonalIdentityNumber::parse(&typo, today()).is_err(), "{}", typo);
            }
        }
    }
}
