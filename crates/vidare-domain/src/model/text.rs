//! Validated text values: non-empty bounded text, slugs and e-mail addresses.

use serde::{Deserialize, Serialize};

use crate::{Lang, Localized};

/// Why a text value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// Nothing but whitespace was given.
    #[error("must not be empty")]
    Empty,
    /// Longer than allowed.
    #[error("must be at most {max} characters")]
    TooLong { max: usize },
    /// Contains characters that are not allowed here.
    #[error("{0}")]
    Invalid(&'static str),
}

impl Localized for TextError {
    fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (TextError::Empty, Lang::Sv) => "Fältet får inte vara tomt. Fyll i ett värde.".into(),
            (TextError::Empty, Lang::En) => "The field must not be empty. Enter a value.".into(),
            (TextError::TooLong { max }, Lang::Sv) => {
                format!("Texten är för lång. Korta den till högst {max} tecken.")
            }
            (TextError::TooLong { max }, Lang::En) => {
                format!("The text is too long. Shorten it to at most {max} characters.")
            }
            (TextError::Invalid(what), Lang::Sv) => match *what {
                "slug" => "Använd bara små bokstäver a–z, siffror och bindestreck.".into(),
                "email" => "Ange en e-postadress på formen namn@exempel.se.".into(),
                _ => "Värdet innehåller otillåtna tecken.".into(),
            },
            (TextError::Invalid(what), Lang::En) => match *what {
                "slug" => "Use only lower-case letters a–z, digits and hyphens.".into(),
                "email" => "Enter an e-mail address such as name@example.org.".into(),
                _ => "The value contains characters that are not allowed.".into(),
            },
        }
    }
}

/// Trimmed, non-empty text of at most [`Text::MAX`] characters, without control characters
/// other than line breaks and tabs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Text(String);

impl Text {
    /// The longest text accepted in a single field.
    pub const MAX: usize = 10_000;

    /// Trims and checks `input`.
    pub fn parse(input: &str) -> Result<Text, TextError> {
        Text::parse_max(input, Text::MAX)
    }

    /// Trims and checks `input` against a field-specific maximum length.
    pub fn parse_max(input: &str, max: usize) -> Result<Text, TextError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(TextError::Empty);
        }
        if trimmed.chars().count() > max {
            return Err(TextError::TooLong { max });
        }
        if trimmed
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
        {
            return Err(TextError::Invalid("text"));
        }
        Ok(Text(trimmed.to_string()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Text {
    type Error = TextError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Text::parse(&s)
    }
}

impl From<Text> for String {
    fn from(t: Text) -> String {
        t.0
    }
}

/// A short identifier for URLs and command lines: `a-z`, `0-9` and `-`, 1–63 characters,
/// starting with a letter.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Slug(String);

impl Slug {
    /// Checks `input` (not trimmed: a slug with spaces is a mistake worth reporting).
    pub fn parse(input: &str) -> Result<Slug, TextError> {
        if input.is_empty() {
            return Err(TextError::Empty);
        }
        if input.len() > 63 {
            return Err(TextError::TooLong { max: 63 });
        }
        let valid = input.starts_with(|c: char| c.is_ascii_lowercase())
            && input
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !valid {
            return Err(TextError::Invalid("slug"));
        }
        Ok(Slug(input.to_string()))
    }

    /// The slug.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Slug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Slug {
    type Error = TextError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Slug::parse(&s)
    }
}

impl From<Slug> for String {
    fn from(t: Slug) -> String {
        t.0
    }
}

/// An e-mail address, stored lower-case. Checks the shape only (`local@domain.tld`);
/// whether it reaches anyone is for the mail server to say.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// Trims, lower-cases and checks `input`.
    pub fn parse(input: &str) -> Result<Email, TextError> {
        let s = input.trim().to_lowercase();
        if s.is_empty() {
            return Err(TextError::Empty);
        }
        if s.len() > 254 {
            return Err(TextError::TooLong { max: 254 });
        }
        let Some((local, domain)) = s.split_once('@') else {
            return Err(TextError::Invalid("email"));
        };
        let ok = !local.is_empty()
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !s.chars().any(|c| c.is_whitespace() || c.is_control());
        if !ok {
            return Err(TextError::Invalid("email"));
        }
        Ok(Email(s))
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Email {
    type Error = TextError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Email::parse(&s)
    }
}

impl From<Email> for String {
    fn from(t: Email) -> String {
        t.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(Text::parse("  Snickeri ").unwrap().as_str(), "Snickeri");
        assert_eq!(Text::parse("   "), Err(TextError::Empty));
        assert_eq!(
            Text::parse_max("abcdef", 5),
            Err(TextError::TooLong { max: 5 })
        );
        assert!(Text::parse("a\u{0}b").is_err());
        assert!(Text::parse("rad 1\nrad 2").is_ok());
    }

    #[test]
    fn slugs() {
        assert!(Slug::parse("ostersund").is_ok());
        assert!(Slug::parse("region-1").is_ok());
        assert!(Slug::parse("Östersund").is_err());
        assert!(Slug::parse("1abc").is_err());
        assert!(Slug::parse("").is_err());
    }

    #[test]
    fn emails() {
        assert_eq!(
            Email::parse(" Anna@Kommun.SE ").unwrap().as_str(),
            "anna@kommun.se"
        );
        for bad in [
            "",
            "anna",
            "anna@",
            "@kommun.se",
            "anna@kommun",
            "a b@c.se",
            "a@b@c.se",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }
}
