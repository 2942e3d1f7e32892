//! The entities of Vidare's domain, grouped by the part of the mission they serve.
//!
//! - [`tenant`]: municipalities, users and roles;
//! - [`organisation`]: suppliers and their eligibility for reserved procurement;
//! - [`procurement`]: rounds, lots, tenders, evaluation, award, framework agreements;
//! - [`participant`]: residents and the covariates an evaluation uses;
//! - [`placement`]: referrals, placements, attendance, exits and follow-ups;
//! - [`invoice`]: invoices and credit notes derived from approved attendance.
//!
//! Fields are public where their types already guarantee validity; constructors
//! check the rules that span several fields.

pub mod invoice;
pub mod organisation;
pub mod participant;
pub mod placement;
pub mod procurement;
pub mod tenant;
pub mod text;

pub use text::{Email, Slug, Text, TextError};

/// Implements `as_str`, `parse` and serde for a field-less enum stored as a snake_case code.
/// Every code is part of the storage format and the API: never rename one.
#[macro_export]
macro_rules! code_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $code:literal),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable code used in storage, the API and exports.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            /// Parses a stable code.
            pub fn parse(code: &str) -> Result<Self, $crate::model::UnknownCode> {
                match code {
                    $($code => Ok($name::$variant),)+
                    other => Err($crate::model::UnknownCode {
                        kind: stringify!($name),
                        code: other.to_string(),
                        allowed: &[$($code),+],
                    }),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                $name::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

/// A code that is not one of an enumeration's values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} code {code:?}; allowed: {}", allowed.join(", "))]
pub struct UnknownCode {
    /// The enumeration's name.
    pub kind: &'static str,
    /// What was given.
    pub code: String,
    /// Every allowed code.
    pub allowed: &'static [&'static str],
}

impl crate::Localized for UnknownCode {
    fn message(&self, lang: crate::Lang) -> String {
        match lang {
            crate::Lang::Sv => format!(
                "Okänt värde \"{}\". Välj ett av: {}.",
                self.code,
                self.allowed.join(", ")
            ),
            crate::Lang::En => format!(
                "Unknown value \"{}\". Choose one of: {}.",
                self.code,
                self.allowed.join(", ")
            ),
        }
    }
}

/// A rule spanning several fields was broken. `field` names the field to correct.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {en}")]
pub struct RuleViolation {
    /// The field the user should correct (snake_case, as in the API).
    pub field: &'static str,
    /// The message in Swedish.
    pub sv: String,
    /// The message in English.
    pub en: String,
}

impl RuleViolation {
    /// A violation of a rule on `field`, explained in both languages.
    pub fn new(field: &'static str, sv: impl Into<String>, en: impl Into<String>) -> Self {
        RuleViolation {
            field,
            sv: sv.into(),
            en: en.into(),
        }
    }
}

impl crate::Localized for RuleViolation {
    fn message(&self, lang: crate::Lang) -> String {
        match lang {
            crate::Lang::Sv => self.sv.clone(),
            crate::Lang::En => self.en.clone(),
        }
    }
}
