//! The two languages of the user interface and of every message a user may read.

use serde::{Deserialize, Serialize};

/// A user-interface language. Swedish is the default everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Sv,
    En,
}

impl Lang {
    /// The BCP 47 tag (`sv`, `en`).
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Sv => "sv",
            Lang::En => "en",
        }
    }

    /// Parses a language tag such as `sv`, `sv-SE`, `en-GB`; anything else is `None`.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "sv" => Some(Lang::Sv),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
}

/// An error or notice that can explain itself to a user in either language.
pub trait Localized {
    /// The message in the given language, phrased so the reader knows what to do.
    fn message(&self, lang: Lang) -> String;
}
