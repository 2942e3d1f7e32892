//! Reading single cells: yes/no, enumerations and counts, with messages that say
//! what to write instead. A cell spelt as listed (in any ASCII case) is read
//! without allocating; other spellings are folded first (see [`fold_into`]).

use vidare_domain::model::organisation::LegalForm;
use vidare_domain::model::participant::{EducationLevel, Gender, SwedishLevel};
use vidare_domain::{Lang, Localized};

/// Why a cell was refused, in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Msg {
    pub sv: String,
    pub en: String,
}

impl Msg {
    pub fn new(sv: impl Into<String>, en: impl Into<String>) -> Msg {
        Msg {
            sv: sv.into(),
            en: en.into(),
        }
    }

    /// The domain's own explanation of an error.
    pub fn localized(error: &impl Localized) -> Msg {
        Msg {
            sv: error.message(Lang::Sv),
            en: error.message(Lang::En),
        }
    }
}

/// For a row that could not be read although no cell was found wrong.
pub(crate) fn unreadable_row() -> Msg {
    Msg::new(
        "Raden kunde inte läsas. Kontrollera att alla obligatoriska kolumner är ifyllda.",
        "The line could not be read. Check that every required column is filled in.",
    )
}

/// Writes into `out` the comparison key of a header name or a word: trimmed,
/// lower-case, `å`/`ä` → `a`, `ö` → `o`, `é`/`è` → `e`, `ü` → `u`, and every
/// run of spaces, underscores, hyphens and brackets as one `_` (none at either
/// end). So "Född utomlands", "fodd-utomlands" and "FÖDD_UTOMLANDS" agree.
pub(crate) fn fold_into(raw: &str, out: &mut String) {
    out.clear();
    let mut separator = false;
    for c in raw.trim().chars() {
        let c = match c {
            'å' | 'ä' | 'Å' | 'Ä' | 'à' | 'á' => 'a',
            'ö' | 'Ö' => 'o',
            'é' | 'É' | 'è' | 'È' => 'e',
            'ü' | 'Ü' => 'u',
            c => c,
        };
        if matches!(c, '_' | '-' | '(' | ')') || c.is_whitespace() {
            separator = !out.is_empty();
            continue;
        }
        if separator {
            out.push('_');
            separator = false;
        }
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else {
            out.extend(c.to_lowercase());
        }
    }
}

/// [`fold_into`] into a new string, for the few places that run once per file.
pub(crate) fn fold(raw: &str) -> String {
    let mut out = String::new();
    fold_into(raw, &mut out);
    out
}

/// `raw` trimmed, in quotes, cut to 40 characters: for echoing a bad value back.
pub(crate) fn shown(raw: &str) -> String {
    let trimmed = raw.trim();
    let mut chars = trimmed.chars();
    let head: String = chars.by_ref().take(40).collect();
    if chars.next().is_some() {
        format!("\"{head}…\"")
    } else {
        format!("\"{head}\"")
    }
}

/// A yes/no cell: `ja`/`nej`, `yes`/`no`, `sant`/`falskt`, `true`/`false`,
/// `1`/`0`, in any case. `Ok(None)` when empty.
pub(crate) fn optional_bool(raw: &str, scratch: &mut String) -> Result<Option<bool>, Msg> {
    let trimmed = raw.trim();
    // The spellings are ASCII, so most cells are decided without folding.
    for (word, value) in BOOL_WORDS {
        if trimmed.eq_ignore_ascii_case(word) {
            return Ok(Some(*value));
        }
    }
    if trimmed.is_empty() {
        return Ok(None);
    }
    fold_into(trimmed, scratch);
    for (word, value) in BOOL_WORDS {
        if scratch == word {
            return Ok(Some(*value));
        }
    }
    Err(Msg::new(
        format!("{} är inte ja eller nej. Skriv ja eller nej.", shown(raw)),
        format!(
            "{} is not yes or no. Write ja or nej (or yes or no).",
            shown(raw)
        ),
    ))
}

const BOOL_WORDS: &[(&str, bool)] = &[
    ("ja", true),
    ("nej", false),
    ("yes", true),
    ("no", false),
    ("1", true),
    ("0", false),
    ("sant", true),
    ("falskt", false),
    ("true", true),
    ("false", false),
];

/// A yes/no cell that must be filled in.
pub(crate) fn required_bool(raw: &str, scratch: &mut String) -> Result<bool, Msg> {
    optional_bool(raw, scratch)?.ok_or_else(|| {
        Msg::new(
            "Värde saknas. Skriv ja eller nej.",
            "The value is missing. Write ja or nej (or yes or no).",
        )
    })
}

/// Looks `raw` up among the Swedish `words` and the enumeration's codes (`all`
/// with `code`): first as written, ignoring ASCII case, which decides nearly
/// every cell without work; then folded (see [`fold_into`]), so that `OKÄNT`,
/// `okant` and `Upper secondary` are understood too. `Ok(None)` when empty;
/// `Err(())` when nothing matches.
fn lookup<T: Copy>(
    raw: &str,
    scratch: &mut String,
    words: &[(&str, T)],
    all: &[T],
    code: fn(T) -> &'static str,
) -> Result<Option<T>, ()> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    let codes = all.iter().map(|&value| (code(value), value));
    let mut candidates = words.iter().copied().chain(codes.clone());
    if let Some((_, value)) = candidates.find(|(word, _)| trimmed.eq_ignore_ascii_case(word)) {
        return Ok(Some(value));
    }
    fold_into(trimmed, scratch);
    let mut candidates = words.iter().copied().chain(codes);
    match candidates.find(|(word, _)| fold(word) == *scratch) {
        Some((_, value)) => Ok(Some(value)),
        None => Err(()),
    }
}

/// Gender: `kvinna`, `man`, `annat`, `okänt` or the codes `female`, `male`,
/// `other`, `unknown`; empty is unknown.
pub(crate) fn gender(raw: &str, scratch: &mut String) -> Result<Gender, Msg> {
    const WORDS: &[(&str, Gender)] = &[
        ("kvinna", Gender::Female),
        ("man", Gender::Male),
        ("annat", Gender::Other),
        ("annan", Gender::Other),
        ("okänt", Gender::Unknown),
        ("okänd", Gender::Unknown),
    ];
    match lookup(raw, scratch, WORDS, Gender::ALL, Gender::as_str) {
        Ok(value) => Ok(value.unwrap_or(Gender::Unknown)),
        Err(()) => Err(Msg::new(
            format!(
                "Okänt kön {}. Skriv kvinna, man, annat eller okänt, eller lämna tomt.",
                shown(raw)
            ),
            format!(
                "Unknown gender {}. Write kvinna, man, annat or okänt (or female, male, other, unknown), or leave it empty.",
                shown(raw)
            ),
        )),
    }
}

/// Education: `förgymnasial`, `gymnasial`, `eftergymnasial`, `okänd` or the
/// codes `primary`, `upper_secondary`, `post_secondary`, `unknown`; empty is
/// unknown.
pub(crate) fn education(raw: &str, scratch: &mut String) -> Result<EducationLevel, Msg> {
    const WORDS: &[(&str, EducationLevel)] = &[
        ("förgymnasial", EducationLevel::Primary),
        ("gymnasial", EducationLevel::UpperSecondary),
        ("eftergymnasial", EducationLevel::PostSecondary),
        ("okänd", EducationLevel::Unknown),
        ("okänt", EducationLevel::Unknown),
    ];
    match lookup(raw, scratch, WORDS, EducationLevel::ALL, EducationLevel::as_str) {
        Ok(value) => Ok(value.unwrap_or(EducationLevel::Unknown)),
        Err(()) => Err(Msg::new(
            format!(
                "Okänd utbildningsnivå {}. Skriv förgymnasial, gymnasial, eftergymnasial eller okänd, eller lämna tomt.",
                shown(raw)
            ),
            format!(
                "Unknown education level {}. Write förgymnasial, gymnasial, eftergymnasial or okänd (or primary, upper_secondary, post_secondary, unknown), or leave it empty.",
                shown(raw)
            ),
        )),
    }
}

/// Command of Swedish, required: `flytande`, `medel`, `grundläggande`, `ingen`
/// or the codes `fluent`, `intermediate`, `basic`, `none`.
pub(crate) fn swedish_level(raw: &str, scratch: &mut String) -> Result<SwedishLevel, Msg> {
    const WORDS: &[(&str, SwedishLevel)] = &[
        ("flytande", SwedishLevel::Fluent),
        ("medel", SwedishLevel::Intermediate),
        ("grundläggande", SwedishLevel::Basic),
        ("ingen", SwedishLevel::None),
    ];
    const CHOICES_SV: &str = "Skriv flytande, medel, grundläggande eller ingen.";
    const CHOICES_EN: &str =
        "Write flytande, medel, grundläggande or ingen (or fluent, intermediate, basic, none).";
    match lookup(raw, scratch, WORDS, SwedishLevel::ALL, SwedishLevel::as_str) {
        Ok(Some(value)) => Ok(value),
        Ok(None) => Err(Msg::new(
            format!("Svenskanivå saknas. {CHOICES_SV}"),
            format!("The level of Swedish is missing. {CHOICES_EN}"),
        )),
        Err(()) => Err(Msg::new(
            format!("Okänd svenskanivå {}. {CHOICES_SV}", shown(raw)),
            format!("Unknown level of Swedish {}. {CHOICES_EN}", shown(raw)),
        )),
    }
}

/// Legal form, required: the Swedish names (`ekonomisk förening`, `ideell
/// förening`, `stiftelse`, `aktiebolag svb` or `aktiebolag med särskild
/// vinstutdelningsbegränsning`, `aktiebolag`, `trossamfund`, `annan`), the
/// names that [`LegalForm::name_sv`] and [`LegalForm::name_en`] give, or the
/// codes.
pub(crate) fn legal_form(raw: &str, scratch: &mut String) -> Result<LegalForm, Msg> {
    const WORDS: &[(&str, LegalForm)] = &[
        ("ekonomisk förening", LegalForm::EconomicAssociation),
        ("ideell förening", LegalForm::NonProfitAssociation),
        ("stiftelse", LegalForm::Foundation),
        ("aktiebolag svb", LegalForm::LimitedCompanyRestrictedProfit),
        ("ab svb", LegalForm::LimitedCompanyRestrictedProfit),
        (
            "aktiebolag med särskild vinstutdelningsbegränsning",
            LegalForm::LimitedCompanyRestrictedProfit,
        ),
        ("aktiebolag", LegalForm::LimitedCompany),
        ("ab", LegalForm::LimitedCompany),
        ("trossamfund", LegalForm::ReligiousCommunity),
        ("registrerat trossamfund", LegalForm::ReligiousCommunity),
        ("annan", LegalForm::Other),
        ("annan form", LegalForm::Other),
    ];
    const CHOICES_SV: &str = "Skriv ekonomisk förening, ideell förening, stiftelse, aktiebolag svb, aktiebolag, trossamfund eller annan.";
    const CHOICES_EN: &str = "Write ekonomisk förening, ideell förening, stiftelse, aktiebolag svb, aktiebolag, trossamfund or annan (or economic_association, non_profit_association, foundation, limited_company_restricted_profit, limited_company, religious_community, other).";
    match lookup(raw, scratch, WORDS, LegalForm::ALL, LegalForm::as_str) {
        Ok(Some(value)) => Ok(value),
        Ok(None) => Err(Msg::new(
            format!("Juridisk form saknas. {CHOICES_SV}"),
            format!("The legal form is missing. {CHOICES_EN}"),
        )),
        Err(()) => Err(Msg::new(
            format!("Okänd juridisk form {}. {CHOICES_SV}", shown(raw)),
            format!("Unknown legal form {}. {CHOICES_EN}", shown(raw)),
        )),
    }
}

/// A whole number of at least 0, such as `12` or `+12`; values beyond `u32`
/// saturate at `u32::MAX` so that range rules can speak to them. `Ok(None)`
/// when empty, `Err(())` when not a whole number.
pub(crate) fn count(raw: &str) -> Result<Option<u32>, ()> {
    let trimmed = raw.trim();
    let digits = trimmed.strip_prefix('+').unwrap_or(trimmed);
    if digits.is_empty() {
        return if trimmed.is_empty() {
            Ok(None)
        } else {
            Err(())
        };
    }
    let mut value: u32 = 0;
    for b in digits.bytes() {
        if !b.is_ascii_digit() {
            return Err(());
        }
        value = value.saturating_mul(10).saturating_add(u32::from(b - b'0'));
    }
    Ok(Some(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding() {
        assert_eq!(fold(" Född  Utomlands "), "fodd_utomlands");
        assert_eq!(fold("FÖDD-UTOMLANDS"), "fodd_utomlands");
        assert_eq!(fold("född_utomlands"), "fodd_utomlands");
        assert_eq!(fold("Idéburen"), "ideburen");
        assert_eq!(fold("Aktiebolag (svb)"), "aktiebolag_svb");
        assert_eq!(fold("__a__"), "a");
        assert_eq!(fold(""), "");
    }

    #[test]
    fn counts() {
        assert_eq!(count(" 12 "), Ok(Some(12)));
        assert_eq!(count("+3"), Ok(Some(3)));
        assert_eq!(count(""), Ok(None));
        assert_eq!(count("99999999999"), Ok(Some(u32::MAX)));
        for bad in ["-1", "1,5", "1.0", "tolv", "+", "1 2"] {
            assert_eq!(count(bad), Err(()), "{bad}");
        }
    }

    #[test]
    fn bools() {
        let mut s = String::new();
        assert_eq!(optional_bool(" JA ", &mut s), Ok(Some(true)));
        assert_eq!(optional_bool("", &mut s), Ok(None));
        assert!(optional_bool("kanske", &mut s).is_err());
        assert!(required_bool(" ", &mut s).is_err());
    }

    #[test]
    fn shown_values_are_cut() {
        assert_eq!(shown(" x "), "\"x\"");
        assert_eq!(shown(&"a".repeat(50)), format!("\"{}…\"", "a".repeat(40)));
    }
}
