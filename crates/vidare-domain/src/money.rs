//! Amounts of Swedish kronor, held as whole öre.
//!
//! Money is never a floating-point number: prices, invoices and pro-rata
//! shares must add up to the öre, and binary fractions cannot represent 0,10 kr.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, Neg, Sub};

use serde::{Deserialize, Serialize};

use crate::lang::{Lang, Localized};

/// Öre per krona.
const ORE_PER_KRONA: i64 = 100;

/// Non-breaking space: keeps "1 234 kr" on one line.
const NBSP: char = '\u{00A0}';

/// Narrow non-breaking space, which some word processors use between digit groups.
const NNBSP: char = '\u{202F}';

/// An amount in Swedish kronor, as a whole number of öre (1 kr = 100 öre).
///
/// Serialised as the integer number of öre, so stored and exchanged values are exact.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Money(i64);

/// Why a string is not an amount of money.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Nothing was entered.
    #[error("the amount is empty")]
    Empty,
    /// A letter or symbol that has no place in an amount.
    #[error("the amount contains a character that is not a digit, sign, separator or \"kr\"")]
    InvalidCharacter,
    /// More than two digits after the decimal comma.
    #[error("the amount has more than two decimals")]
    TooManyDecimals,
    /// Digits, separators and sign are not arranged like an amount, for
    /// example "12 34", "1,", ",5" or "--3".
    #[error("the amount is not written as an amount, such as 1 234,50")]
    InvalidFormat,
    /// The amount is too large to store.
    #[error("the amount is too large")]
    Overflow,
}

impl Localized for MoneyError {
    fn message(&self, lang: Lang) -> String {
        use MoneyError as E;
        let text = match (self, lang) {
            (E::Empty, Lang::Sv) => "Beloppet saknas. Fyll i ett belopp, till exempel 1 234,50.",
            (E::Empty, Lang::En) => "The amount is missing. Enter an amount, for example 1 234,50.",
            (E::InvalidCharacter, Lang::Sv) => {
                "Beloppet innehåller otillåtna tecken. Använd bara siffror, decimalkomma och eventuellt \"kr\"."
            }
            (E::InvalidCharacter, Lang::En) => {
                "The amount contains characters that are not allowed. Use only digits, a decimal comma and, optionally, \"kr\"."
            }
            (E::TooManyDecimals, Lang::Sv) => {
                "Beloppet har fler än två decimaler. Avrunda till hela ören, till exempel 12,35."
            }
            (E::TooManyDecimals, Lang::En) => {
                "The amount has more than two decimals. Round to whole öre, for example 12,35."
            }
            (E::InvalidFormat, Lang::Sv) => {
                "Beloppet är inte rätt skrivet. Skriv det som 1234,50 eller 1 234,50 (mellanslag mellan tusental)."
            }
            (E::InvalidFormat, Lang::En) => {
                "The amount is not written correctly. Write it as 1234,50 or 1 234,50 (a space between thousands)."
            }
            (E::Overflow, Lang::Sv) => "Beloppet är för stort. Kontrollera antalet siffror.",
            (E::Overflow, Lang::En) => "The amount is too large. Check the number of digits.",
        };
        text.to_owned()
    }
}

impl Money {
    /// Zero kronor.
    pub const ZERO: Money = Money(0);

    /// An amount of `ore` öre.
    pub const fn from_ore(ore: i64) -> Money {
        Money(ore)
    }

    /// An amount of whole kronor.
    ///
    /// # Panics
    ///
    /// If the amount in öre does not fit in an `i64` (about ±92 000 billion kronor).
    pub const fn from_kronor(kronor: i64) -> Money {
        match kronor.checked_mul(ORE_PER_KRONA) {
            Some(ore) => Money(ore),
            None => panic!("amount in kronor overflows Money"),
        }
    }

    /// The amount in öre.
    pub const fn ore(self) -> i64 {
        self.0
    }

    /// `self + other`, or `None` on overflow.
    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    /// `self - other`, or `None` on overflow.
    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.0.checked_sub(other.0).map(Money)
    }

    /// `self * factor` (for example a monthly price times a number of months),
    /// or `None` on overflow.
    pub fn checked_mul(self, factor: i64) -> Option<Money> {
        self.0.checked_mul(factor).map(Money)
    }

    /// `self * numerator / denominator`, rounded to the nearest öre with halves
    /// away from zero (as in ordinary commercial rounding).
    ///
    /// Used for partial months: `price.pro_rata(days_present, days_in_month)`.
    /// The product is computed in 128 bits, so it cannot overflow on the way.
    ///
    /// # Panics
    ///
    /// If `denominator` is not positive, or the result does not fit in an `i64`
    /// (only possible when `|numerator| > denominator`).
    pub fn pro_rata(self, numerator: i64, denominator: i64) -> Money {
        assert!(denominator > 0, "pro_rata denominator must be positive");
        let product = i128::from(self.0) * i128::from(numerator);
        let denominator = i128::from(denominator);
        let mut quotient = product / denominator;
        let remainder = product % denominator;
        if remainder.abs() * 2 >= denominator {
            quotient += product.signum();
        }
        Money(i64::try_from(quotient).expect("pro_rata result overflows Money"))
    }

    /// Parses an amount as Swedes write it.
    ///
    /// Accepts `1234`, `1234,50`, `1 234,5`, `1 234,50 kr`, `1234.50` and
    /// `-12,00`. Thousands may be separated by a space, a non-breaking space or
    /// a narrow non-breaking space, but then every group after the first must
    /// have three digits, so that a stray space ("12 34") is not silently
    /// accepted. A point is taken as a decimal point, never as a thousands
    /// separator, so "1.234" is refused (three decimals) rather than misread.
    pub fn parse_sv(input: &str) -> Result<Money, MoneyError> {
        let mut s = input.trim();
        if s.is_empty() {
            return Err(MoneyError::Empty);
        }
        if let Some(stripped) = strip_suffix_ignore_case(s, "kr") {
            s = stripped.trim_end();
        }
        let (negative, s) = match s.strip_prefix(['-', '\u{2212}']) {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let (integer, fraction) = match s.find([',', '.']) {
            Some(at) => (&s[..at], Some(&s[at + 1..])),
            None => (s, None),
        };

        let mut ore: i128 = 0;
        let mut groups = 0usize;
        for (index, group) in integer.split([' ', NBSP, NNBSP]).enumerate() {
            check_digits(group)?;
            if group.is_empty() || (index > 0 && group.len() != 3) {
                return Err(MoneyError::InvalidFormat);
            }
            groups += 1;
            for b in group.bytes() {
                ore = ore
                    .checked_mul(10)
                    .and_then(|v| v.checked_add(i128::from(b - b'0')))
                    .ok_or(MoneyError::Overflow)?;
            }
        }
        // Digit groups of at most three only when there is more than one group.
        if groups > 1 && integer.split([' ', NBSP, NNBSP]).next().map_or(0, str::len) > 3 {
            return Err(MoneyError::InvalidFormat);
        }
        ore = ore
            .checked_mul(i128::from(ORE_PER_KRONA))
            .ok_or(MoneyError::Overflow)?;

        if let Some(fraction) = fraction {
            check_digits(fraction)?;
            match fraction.len() {
                0 => return Err(MoneyError::InvalidFormat),
                1 | 2 => {}
                _ => return Err(MoneyError::TooManyDecimals),
            }
            let mut cents: i128 = fraction
                .bytes()
                .fold(0, |acc, b| acc * 10 + i128::from(b - b'0'));
            if fraction.len() == 1 {
                cents *= 10;
            }
            ore += cents;
        }

        let signed = if negative { -ore } else { ore };
        i64::try_from(signed)
            .map(Money)
            .map_err(|_| MoneyError::Overflow)
    }

    /// `1 234,50 kr`: for people. Non-breaking spaces between thousands and
    /// before "kr" keep the amount on one line; negatives start with `-`.
    pub fn format_sv(self) -> String {
        let mut out = String::new();
        if self.0 < 0 {
            out.push('-');
        }
        let kronor = (self.0.unsigned_abs() / ORE_PER_KRONA as u64).to_string();
        // The first group has one to three digits; every later group has three.
        let head = match kronor.len() % 3 {
            0 => 3,
            short => short,
        };
        let (first, rest) = kronor.split_at(head);
        out.push_str(first);
        for group in rest.as_bytes().chunks(3) {
            out.push(NBSP);
            out.extend(group.iter().map(|&b| char::from(b)));
        }
        out.push_str(&format!(",{:02}{NBSP}kr", self.abs_ore_part()));
        out
    }

    /// `1234,50`: for CSV read by Swedish spreadsheets (decimal comma, no
    /// thousands separator, no unit).
    pub fn format_plain_sv(self) -> String {
        self.format_with(',')
    }

    /// `1234.50`: for machine formats such as UBL invoices (xs:decimal).
    pub fn format_decimal(self) -> String {
        self.format_with('.')
    }

    fn format_with(self, decimal_separator: char) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        format!(
            "{sign}{}{decimal_separator}{:02}",
            self.0.unsigned_abs() / ORE_PER_KRONA as u64,
            self.abs_ore_part()
        )
    }

    /// The öre after the decimal comma, ignoring the sign.
    fn abs_ore_part(self) -> u64 {
        self.0.unsigned_abs() % ORE_PER_KRONA as u64
    }
}

/// Same as [`Money::format_sv`].
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.format_sv())
    }
}

/// Fails with `InvalidCharacter` unless `s` is only ASCII digits. Digits,
/// separators and letters are told apart so that "12 kr 50" and "1 2a" give
/// the more helpful error.
fn check_digits(s: &str) -> Result<(), MoneyError> {
    match s.chars().find(|c| !c.is_ascii_digit()) {
        None => Ok(()),
        Some(c) if c.is_alphabetic() => Err(MoneyError::InvalidCharacter),
        Some(',' | '.' | '-' | '\u{2212}' | ' ' | NBSP | NNBSP) => Err(MoneyError::InvalidFormat),
        Some(_) => Err(MoneyError::InvalidCharacter),
    }
}

/// `s` without a trailing `suffix` compared ASCII case-insensitively.
fn strip_suffix_ignore_case<'a>(s: &'a str, suffix: &str) -> Option<&'a str> {
    let at = s.len().checked_sub(suffix.len())?;
    let tail = s.get(at..)?;
    tail.eq_ignore_ascii_case(suffix).then(|| &s[..at])
}

/// # Panics
///
/// On overflow, in every build profile: a wrapped amount would be a silent
/// accounting error. Use [`Money::checked_add`] where overflow is possible.
impl Add for Money {
    type Output = Money;

    fn add(self, other: Money) -> Money {
        self.checked_add(other).expect("Money addition overflowed")
    }
}

/// # Panics
///
/// On overflow, in every build profile; see [`Money::checked_sub`].
impl Sub for Money {
    type Output = Money;

    fn sub(self, other: Money) -> Money {
        self.checked_sub(other)
            .expect("Money subtraction overflowed")
    }
}

/// # Panics
///
/// For `i64::MIN` öre, which has no positive counterpart.
impl Neg for Money {
    type Output = Money;

    fn neg(self) -> Money {
        Money(self.0.checked_neg().expect("Money negation overflowed"))
    }
}

/// Sums amounts, panicking on overflow like [`Add`].
impl Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, Add::add)
    }
}

/// Sums borrowed amounts, panicking on overflow like [`Add`].
impl<'a> Sum<&'a Money> for Money {
    fn sum<I: Iterator<Item = &'a Money>>(iter: I) -> Money {
        iter.copied().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    type E = MoneyError;

    fn m(ore: i64) -> Money {
        Money::from_ore(ore)
    }

    #[test]
    fn constructors_and_arithmetic() {
        assert_eq!(Money::ZERO, Money::default());
        assert_eq!(Money::from_kronor(35_000).ore(), 3_500_000);
        assert_eq!(m(150) + m(50), m(200));
        assert_eq!(m(150) - m(200), m(-50));
        assert_eq!(-m(150), m(-150));
        assert_eq!([m(1), m(2), m(3)].into_iter().sum::<Money>(), m(6));
        assert_eq!([m(1), m(2)].iter().sum::<Money>(), m(3));
        assert_eq!(Vec::<Money>::new().into_iter().sum::<Money>(), Money::ZERO);
        assert_eq!(m(i64::MAX).checked_add(m(1)), None);
        assert_eq!(m(i64::MIN).checked_sub(m(1)), None);
        assert_eq!(m(300).checked_mul(12), Some(m(3600)));
        assert_eq!(m(i64::MAX).checked_mul(2), None);
        assert!(m(-1) < Money::ZERO);
    }

    #[test]
    #[should_panic(expected = "overflow")]
    fn add_panics_on_overflow() {
        let _ = m(i64::MAX) + m(1);
    }

    #[test]
    fn pro_rata_rounds_half_away_from_zero() {
        // 10 000 kr for 10 of 31 days: 3 225,806… kr → 3 225,81 kr.
        assert_eq!(Money::from_kronor(10_000).pro_rata(10, 31), m(322_581));
        assert_eq!(m(1).pro_rata(1, 2), m(1));
        assert_eq!(m(-1).pro_rata(1, 2), m(-1));
        assert_eq!(m(3).pro_rata(1, 2), m(2));
        assert_eq!(m(-3).pro_rata(1, 2), m(-2));
        assert_eq!(m(1).pro_rata(1, 3), m(0));
        assert_eq!(m(2).pro_rata(1, 3), m(1));
        assert_eq!(m(100).pro_rata(-1, 4), m(-25));
        assert_eq!(m(i64::MAX).pro_rata(i64::MAX, i64::MAX), m(i64::MAX));
        assert_eq!(m(i64::MIN).pro_rata(1, 1), m(i64::MIN));
    }

    #[test]
    #[should_panic(expected = "positive")]
    fn pro_rata_refuses_zero_denominator() {
        let _ = m(100).pro_rata(1, 0);
    }

    #[test]
    fn parses_swedish_amounts() {
        let p = Money::parse_sv;
        assert_eq!(p("1234"), Ok(m(123_400)));
        assert_eq!(p("1234,50"), Ok(m(123_450)));
        assert_eq!(p("1 234,5"), Ok(m(123_450)));
        assert_eq!(p("1 234,50 kr"), Ok(m(123_450)));
        assert_eq!(p("1 234,50kr"), Ok(m(123_450)));
        assert_eq!(p("1 234,50 KR"), Ok(m(123_450)));
        assert_eq!(p("1234.50"), Ok(m(123_450)));
        assert_eq!(p("-12,00"), Ok(m(-1200)));
        assert_eq!(p("\u{2212}12,00"), Ok(m(-1200)));
        assert_eq!(
            p("1\u{00A0}234\u{00A0}567,89\u{00A0}kr"),
            Ok(m(123_456_789))
        );
        assert_eq!(p("1\u{202F}234,00"), Ok(m(123_400)));
        assert_eq!(p("  0,05 "), Ok(m(5)));
        assert_eq!(p("0"), Ok(Money::ZERO));
        assert_eq!(p("-0"), Ok(Money::ZERO));
        assert_eq!(p("92233720368547758,07"), Ok(m(i64::MAX)));
        assert_eq!(p("-92 233 720 368 547 758,08"), Ok(m(i64::MIN)));
    }

    #[test]
    fn rejects_malformed_amounts() {
        let p = Money::parse_sv;
        assert_eq!(p(""), Err(E::Empty));
        assert_eq!(p("  "), Err(E::Empty));
        assert_eq!(p("kr"), Err(E::InvalidFormat));
        assert_eq!(p("12a"), Err(E::InvalidCharacter));
        assert_eq!(p("tolv"), Err(E::InvalidCharacter));
        assert_eq!(p("12,5x"), Err(E::InvalidCharacter));
        assert_eq!(p("$12"), Err(E::InvalidCharacter));
        assert_eq!(p("12,345"), Err(E::TooManyDecimals));
        assert_eq!(p("1.234"), Err(E::TooManyDecimals));
        assert_eq!(p("12 34"), Err(E::InvalidFormat));
        assert_eq!(p("1234 567"), Err(E::InvalidFormat));
        assert_eq!(p("1  234"), Err(E::InvalidFormat));
        assert_eq!(p("1,"), Err(E::InvalidFormat));
        assert_eq!(p(",50"), Err(E::InvalidFormat));
        assert_eq!(p("-"), Err(E::InvalidFormat));
        assert_eq!(p("--3"), Err(E::InvalidFormat));
        assert_eq!(p("1,2,3"), Err(E::InvalidFormat));
        assert_eq!(p("1.234,50"), Err(E::InvalidFormat));
        assert_eq!(p("- 12"), Err(E::InvalidFormat));
        assert_eq!(p("92233720368547758,08"), Err(E::Overflow));
        assert_eq!(
            p("99999999999999999999999999999999999999999"),
            Err(E::Overflow)
        );
    }

    #[test]
    fn formats() {
        let amount = m(123_450);
        assert_eq!(amount.format_sv(), "1\u{00A0}234,50\u{00A0}kr");
        assert_eq!(amount.to_string(), amount.format_sv());
        assert_eq!(amount.format_plain_sv(), "1234,50");
        assert_eq!(amount.format_decimal(), "1234.50");
        assert_eq!(m(-5).format_sv(), "-0,05\u{00A0}kr");
        assert_eq!(m(-5).format_plain_sv(), "-0,05");
        assert_eq!(m(-5).format_decimal(), "-0.05");
        assert_eq!(m(0).format_sv(), "0,00\u{00A0}kr");
        assert_eq!(m(99_900).format_sv(), "999,00\u{00A0}kr");
        assert_eq!(m(100_000).format_sv(), "1\u{00A0}000,00\u{00A0}kr");
        assert_eq!(
            m(-12_345_678_900).format_sv(),
            "-123\u{00A0}456\u{00A0}789,00\u{00A0}kr"
        );
        assert_eq!(
            m(i64::MIN).format_sv(),
            "-92\u{00A0}233\u{00A0}720\u{00A0}368\u{00A0}547\u{00A0}758,08\u{00A0}kr"
        );
    }

    #[test]
    fn serde_is_the_integer_ore() {
        assert_eq!(serde_json::to_string(&m(123_450)).unwrap(), "123450");
        assert_eq!(serde_json::from_str::<Money>("-5").unwrap(), m(-5));
        assert!(serde_json::from_str::<Money>("1.5").is_err());
    }

    #[test]
    fn every_error_has_distinct_messages_in_both_languages() {
        for e in [
            E::Empty,
            E::InvalidCharacter,
            E::TooManyDecimals,
            E::InvalidFormat,
            E::Overflow,
        ] {
            let (sv, en) = (e.message(Lang::Sv), e.message(Lang::En));
            assert!(!sv.is_empty() && !en.is_empty() && sv != en, "{e:?}");
        }
    }

    const BOUND: i64 = 1_000_000_000_000_000;

    proptest! {
        #[test]
        fn formats_round_trip_through_parse(ore in -BOUND..=BOUND) {
            let amount = m(ore);
            prop_assert_eq!(Money::parse_sv(&amount.format_sv()), Ok(amount));
            prop_assert_eq!(Money::parse_sv(&amount.format_plain_sv()), Ok(amount));
            prop_assert_eq!(Money::parse_sv(&amount.format_decimal()), Ok(amount));
        }

        #[test]
        fn formats_round_trip_for_any_i64(ore in any::<i64>()) {
            let amount = m(ore);
            prop_assert_eq!(Money::parse_sv(&amount.format_sv()), Ok(amount));
            prop_assert_eq!(Money::parse_sv(&amount.format_decimal()), Ok(amount));
        }

        #[test]
        fn parsing_arbitrary_text_never_panics(
            input in "\\PC{0,24}",
            amountish in "[0-9 ,.\u{a0}\u{202f}\u{2212}-]{0,24}(kr|KR)?",
        ) {
            let _ = Money::parse_sv(&input);
            let _ = Money::parse_sv(&amountish);
        }

        #[test]
        fn pro_rata_of_the_whole_is_identity(ore in any::<i64>(), n in 1i64..=i64::MAX) {
            prop_assert_eq!(m(ore).pro_rata(n, n), m(ore));
        }

        #[test]
        fn pro_rata_parts_are_within_half_an_ore(ore in -BOUND..=BOUND, k in 0i64..=31, n in 1i64..=31) {
            let k = k.min(n);
            let exact = i128::from(ore) * i128::from(k);
            let got = i128::from(m(ore).pro_rata(k, n).ore()) * i128::from(n);
            prop_assert!((got - exact).abs() * 2 <= i128::from(n));
        }
    }
}
