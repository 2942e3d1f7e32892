//! Swedish organisation numbers (*organisationsnummer*).
//!
//! Ten digits with a Luhn check digit. The third digit is at least 2 so that an
//! organisation number can never be mistaken for a personnummer (whose third
//! digit, the first of the month, is 0 or 1). A sole trader uses the owner's
//! personnummer instead; that is deliberately rejected here, because suppliers
//! in reserved procurement are legal persons and personnummer are sensitive.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::lang::{Lang, Localized};
use crate::luhn;

/// Why a string is not a valid organisation number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrganisationNumberError {
    /// Nothing was entered.
    #[error("the organisation number is empty")]
    Empty,
    /// Neither 10 digits nor 12 digits.
    #[error("the organisation number must have 10 digits")]
    WrongLength,
    /// A character other than a digit or a hyphen was found.
    #[error("the organisation number contains a character that is not a digit or hyphen")]
    InvalidCharacter,
    /// The hyphen is misplaced or repeated.
    #[error("the hyphen in the organisation number is misplaced")]
    InvalidSeparator,
    /// A 12-digit number that does not start with `16`.
    #[error("a 12-digit organisation number must start with 16")]
    InvalidPrefix,
    /// The third digit is 0 or 1, as in a personnummer.
    #[error("the third digit of an organisation number must be at least 2")]
    ThirdDigitTooLow,
    /// A payload element given to [`OrganisationNumber::from_payload`] is above 9.
    #[error("every digit of an organisation number must be between 0 and 9")]
    DigitOutOfRange,
    /// The check digit does not match the other nine digits.
    #[error("the check digit of the organisation number is wrong")]
    InvalidChecksum,
}

impl Localized for OrganisationNumberError {
    fn message(&self, lang: Lang) -> String {
        use OrganisationNumberError as E;
        let text = match (self, lang) {
            (E::Empty, Lang::Sv) => "Organisationsnumret saknas. Fyll i organisationsnumret.",
            (E::Empty, Lang::En) => "The organisation number is missing. Enter the organisation number.",
            (E::WrongLength, Lang::Sv) => {
                "Organisationsnumret har fel antal siffror. Skriv det med 10 siffror, till exempel 556016-0680."
            }
            (E::WrongLength, Lang::En) => {
                "The organisation number has the wrong number of digits. Write it with 10 digits, for example 556016-0680."
            }
            (E::InvalidCharacter, Lang::Sv) => {
                "Organisationsnumret innehåller otillåtna tecken. Använd bara siffror och eventuellt ett bindestreck före de fyra sista siffrorna."
            }
            (E::InvalidCharacter, Lang::En) => {
                "The organisation number contains characters that are not allowed. Use only digits and, optionally, a hyphen before the last four digits."
            }
            (E::InvalidSeparator, Lang::Sv) => {
                "Bindestrecket i organisationsnumret står på fel plats. Skriv det före de fyra sista siffrorna, till exempel 556016-0680."
            }
            (E::InvalidSeparator, Lang::En) => {
                "The hyphen in the organisation number is in the wrong place. Put it before the last four digits, for example 556016-0680."
            }
            (E::InvalidPrefix, Lang::Sv) => {
                "Ett organisationsnummer med 12 siffror ska börja med 16. Ta bort de två första siffrorna eller kontrollera numret."
            }
            (E::InvalidPrefix, Lang::En) => {
                "A 12-digit organisation number must start with 16. Remove the first two digits or check the number."
            }
            (E::ThirdDigitTooLow, Lang::Sv) => {
                "Det här ser ut som ett personnummer, inte ett organisationsnummer (tredje siffran ska vara minst 2). Ange organisationens organisationsnummer."
            }
            (E::ThirdDigitTooLow, Lang::En) => {
                "This looks like a personal identity number, not an organisation number (the third digit must be at least 2). Enter the organisation's number."
            }
            (E::DigitOutOfRange, Lang::Sv) => {
                "Varje siffra i organisationsnumret måste vara 0–9. Kontrollera siffrorna."
            }
            (E::DigitOutOfRange, Lang::En) => {
                "Every digit of the organisation number must be 0–9. Check the digits."
            }
            (E::InvalidChecksum, Lang::Sv) => {
                "Kontrollsiffran stämmer inte. Kontrollera att organisationsnumret är rätt skrivet."
            }
            (E::InvalidChecksum, Lang::En) => {
                "The check digit does not match. Check that the organisation number is written correctly."
            }
        };
        text.to_owned()
    }
}

/// A valid Swedish organisation number: ten digits, Luhn check digit last,
/// third digit at least 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrganisationNumber {
    /// Digit values 0..=9; a fixed array keeps the type `Copy` and its order numeric.
    digits: [u8; 10],
}

impl OrganisationNumber {
    /// Parses `NNNNNN-NNNN`, `NNNNNNNNNN`, `16NNNNNNNNNN` or `16NNNNNN-NNNN`,
    /// ignoring surrounding whitespace.
    ///
    /// The `16` prefix is how 12-digit registers (for example Skatteverket's)
    /// tell organisations from people, whose 12-digit form starts with a century.
    pub fn parse(input: &str) -> Result<Self, OrganisationNumberError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(OrganisationNumberError::Empty);
        }
        let mut digits: Vec<u8> = Vec::with_capacity(12);
        let mut hyphen_at: Option<usize> = None;
        for c in s.chars() {
            match c {
                '0'..='9' => digits.push(c as u8 - b'0'),
                '-' if hyphen_at.is_none() => hyphen_at = Some(digits.len()),
                '-' => return Err(OrganisationNumberError::InvalidSeparator),
                _ => return Err(OrganisationNumberError::InvalidCharacter),
            }
        }
        let ten = match digits.len() {
            10 => &digits[..],
            12 if digits.starts_with(&[1, 6]) => &digits[2..],
            12 => return Err(OrganisationNumberError::InvalidPrefix),
            _ => return Err(OrganisationNumberError::WrongLength),
        };
        if hyphen_at.is_some_and(|at| at != digits.len() - 4) {
            return Err(OrganisationNumberError::InvalidSeparator);
        }
        if ten[2] < 2 {
            return Err(OrganisationNumberError::ThirdDigitTooLow);
        }
        if !luhn::is_valid(ten) {
            return Err(OrganisationNumberError::InvalidChecksum);
        }
        let mut array = [0; 10];
        array.copy_from_slice(ten);
        Ok(Self { digits: array })
    }

    /// Builds a number from its first nine digits, computing the check digit.
    ///
    /// Meant for synthetic test data; the third-digit rule still applies.
    pub fn from_payload(first_nine: [u8; 9]) -> Result<Self, OrganisationNumberError> {
        if first_nine.iter().any(|&d| d > 9) {
            return Err(OrganisationNumberError::DigitOutOfRange);
        }
        if first_nine[2] < 2 {
            return Err(OrganisationNumberError::ThirdDigitTooLow);
        }
        let mut digits = [0; 10];
        digits[..9].copy_from_slice(&first_nine);
        digits[9] = luhn::check_digit(&first_nine);
        Ok(Self { digits })
    }

    /// The storage form: ten digits without a hyphen.
    pub fn canonical(&self) -> String {
        self.canonical_ascii()
            .iter()
            .map(|&b| char::from(b))
            .collect()
    }

    /// [`canonical`](Self::canonical) as its ten ASCII digits, without allocating.
    pub fn canonical_ascii(&self) -> [u8; 10] {
        self.digits.map(|d| b'0' + d)
    }

    /// The first digit (*gruppnummer*), which tells the broad legal form.
    pub fn group_digit(&self) -> u8 {
        self.digits[0]
    }

    /// An English description of the legal-entity group given by the first digit.
    ///
    /// Bolagsverket warns that the group is only indicative (for example, both
    /// 2 and 8 are used by religious communities), so never rely on it for
    /// legal decisions.
    pub fn legal_entity_group(&self) -> &'static str {
        match self.group_digit() {
            1 => "Estate of a deceased person",
            2 => "State, region, municipality or parish",
            3 => "Foreign company trading or owning property in Sweden",
            5 => "Limited company",
            6 => "Simple partnership",
            7 => "Economic association or housing cooperative",
            8 => "Non-profit association or foundation",
            9 => "Trading or limited partnership",
            _ => "Other or unknown group",
        }
    }
}

/// `NNNNNN-NNNN`, the form printed on invoices and registration certificates.
impl fmt::Display for OrganisationNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.canonical();
        write!(f, "{}-{}", &s[..6], &s[6..])
    }
}

impl FromStr for OrganisationNumber {
    type Err = OrganisationNumberError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for OrganisationNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.canonical())
    }
}

impl<'de> Deserialize<'de> for OrganisationNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    type E = OrganisationNumberError;

    #[test]
    fn known_numbers_are_valid() {
        // Ericsson, Saab, Stockholms stad, Göteborgs stad.
        for (input, group) in [
            ("556016-0680", 5),
            ("556036-0793", 5),
            ("212000-0142", 2),
            ("212000-1355", 2),
        ] {
            let n = OrganisationNumber::parse(input).unwrap();
            assert_eq!(n.to_string(), input);
            assert_eq!(n.group_digit(), group);
        }
        let ericsson = OrganisationNumber::parse("556016-0680").unwrap();
        assert_eq!(ericsson.canonical(), "5560160680");
        assert_eq!(ericsson.legal_entity_group(), "Limited company");
        assert_eq!(
            OrganisationNumber::from_payload([5, 5, 6, 0, 1, 6, 0, 6, 8]),
            Ok(ericsson)
        );
        for input in [
            "5560160680",
            "165560160680",
            "16556016-0680",
            " 556016-0680 ",
        ] {
            assert_eq!(OrganisationNumber::parse(input), Ok(ericsson), "{input}");
        }
        assert_eq!("556016-0680".parse(), Ok(ericsson));
    }

    #[test]
    fn groups() {
        let group = |first: u8| {
            OrganisationNumber::from_payload([first, 0, 2, 0, 0, 0, 0, 0, 1])
                .unwrap()
                .legal_entity_group()
        };
        assert_eq!(group(2), "State, region, municipality or parish");
        assert_eq!(group(7), "Economic association or housing cooperative");
        assert_eq!(group(8), "Non-profit association or foundation");
        assert_eq!(group(9), "Trading or limited partnership");
        assert_eq!(group(4), "Other or unknown group");
    }

    #[test]
    fn rejects_each_error_kind() {
        let p = OrganisationNumber::parse;
        assert_eq!(p(""), Err(E::Empty));
        assert_eq!(p("  "), Err(E::Empty));
        assert_eq!(p("556016-068"), Err(E::WrongLength));
        assert_eq!(p("55601606801"), Err(E::WrongLength));
        assert_eq!(p("556016 0680"), Err(E::InvalidCharacter));
        assert_eq!(p("SE556016068001"), Err(E::InvalidCharacter));
        assert_eq!(p("55601-60680"), Err(E::InvalidSeparator));
        assert_eq!(p("556016--0680"), Err(E::InvalidSeparator));
        assert_eq!(p("165560-160680"), Err(E::InvalidSeparator));
        assert_eq!(p("195560160680"), Err(E::InvalidPrefix));
        // A personnummer (Skatteverket's test number) is not an organisation number.
        assert_eq!(p("811228-9874"), Err(E::ThirdDigitTooLow));
        assert_eq!(p("556016-0681"), Err(E::InvalidChecksum));
        assert_eq!(
            OrganisationNumber::from_payload([5, 5, 1, 0, 1, 6, 0, 6, 8]),
            Err(E::ThirdDigitTooLow)
        );
        assert_eq!(
            OrganisationNumber::from_payload([5, 5, 6, 0, 1, 6, 0, 6, 10]),
            Err(E::DigitOutOfRange)
        );
    }

    #[test]
    fn serde_uses_the_canonical_string() {
        let n = OrganisationNumber::parse("556016-0680").unwrap();
        let json = serde_json::to_string(&n).unwrap();
        assert_eq!(json, "\"5560160680\"");
        assert_eq!(
            serde_json::from_str::<OrganisationNumber>(&json).unwrap(),
            n
        );
        assert!(serde_json::from_str::<OrganisationNumber>("\"5560160681\"").is_err());
    }

    #[test]
    fn every_error_has_distinct_messages_in_both_languages() {
        for e in [
            E::Empty,
            E::WrongLength,
            E::InvalidCharacter,
            E::InvalidSeparator,
            E::InvalidPrefix,
            E::ThirdDigitTooLow,
            E::DigitOutOfRange,
            E::InvalidChecksum,
        ] {
            let (sv, en) = (e.message(Lang::Sv), e.message(Lang::En));
            assert!(!sv.is_empty() && !en.is_empty() && sv != en, "{e:?}");
        }
    }

    fn payload_strategy() -> impl Strategy<Value = [u8; 9]> {
        proptest::array::uniform9(0u8..10).prop_map(|mut p| {
            // Keep the third digit valid; the other digits are unconstrained.
            p[2] = 2 + p[2] % 8;
            p
        })
    }

    fn digits_of(n: &OrganisationNumber) -> Vec<u8> {
        n.canonical().bytes().map(|b| b - b'0').collect()
    }

    fn write(digits: &[u8]) -> String {
        let s: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
        format!("{}-{}", &s[..6], &s[6..])
    }

    proptest! {
        #[test]
        fn valid_numbers_round_trip(payload in payload_strategy()) {
            let n = OrganisationNumber::from_payload(payload).unwrap();
            prop_assert_eq!(OrganisationNumber::parse(&n.canonical()), Ok(n));
            prop_assert_eq!(OrganisationNumber::parse(&n.to_string()), Ok(n));
            prop_assert_eq!(OrganisationNumber::parse(&format!("16{}", n.canonical())), Ok(n));
            prop_assert_eq!(OrganisationNumber::parse(&format!("16{n}")), Ok(n));
            let json = serde_json::to_string(&n).unwrap();
            prop_assert_eq!(serde_json::from_str::<OrganisationNumber>(&json).unwrap(), n);
        }

        #[test]
        fn every_single_digit_substitution_is_rejected(payload in payload_strategy()) {
            let valid = digits_of(&OrganisationNumber::from_payload(payload).unwrap());
            for position in 0..10 {
                for replacement in (0..10).filter(|&d| d != valid[position]) {
                    let mut digits = valid.clone();
                    digits[position] = replacement;
                    prop_assert!(OrganisationNumber::parse(&write(&digits)).is_err());
                }
            }
        }

        #[test]
        fn parsing_arbitrary_text_never_panics(input in "\\PC{0,16}", digits in "[0-9 -]{0,16}") {
            let _ = OrganisationNumber::parse(&input);
            let _ = OrganisationNumber::parse(&digits);
        }

        #[test]
        fn every_adjacent_transposition_is_rejected(payload in payload_strategy()) {
            let valid = digits_of(&OrganisationNumber::from_payload(payload).unwrap());
            for position in 0..9 {
                let (a, b) = (valid[position], valid[position + 1]);
                if a == b || matches!((a, b), (0, 9) | (9, 0)) {
                    continue;
                }
                let mut digits = valid.clone();
                digits.swap(position, position + 1);
                prop_assert!(OrganisationNumber::parse(&write(&digits)).is_err());
            }
        }
    }
}
