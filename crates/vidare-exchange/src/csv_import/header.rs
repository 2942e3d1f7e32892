//! The header line: which column of the file holds which field.

use super::cells::fold;
use super::ImportFailure;

/// The fields of one kind of file (participants, organisations).
pub(crate) trait Column: Copy + Eq + 'static {
    /// Every field, in canonical column order.
    const SPECS: &'static [ColumnSpec<Self>];
    /// Pairs of optional columns that must be given both or neither.
    const PAIRS: &'static [(Self, Self)] = &[];
    /// The field's position in [`Column::SPECS`].
    fn index(self) -> usize;
}

/// A field: its accepted header names and whether the column must be present.
pub(crate) struct ColumnSpec<F> {
    pub field: F,
    /// The canonical Swedish header name, written by the export.
    pub name_sv: &'static str,
    /// The English header name.
    pub name_en: &'static str,
    /// Further accepted names (compared folded, like the two above).
    pub aliases: &'static [&'static str],
    pub required: bool,
}

impl<F: Column> ColumnSpec<F> {
    fn matches(&self, folded: &str) -> bool {
        fold(self.name_sv) == folded
            || fold(self.name_en) == folded
            || self.aliases.iter().any(|alias| fold(alias) == folded)
    }
}

/// The spec of `field`.
pub(crate) fn spec<F: Column>(field: F) -> &'static ColumnSpec<F> {
    &F::SPECS[field.index()]
}

/// The field whose English header name is `name`: rule violations from the
/// domain name their field that way.
pub(crate) fn field_named<F: Column>(name: &str) -> Option<F> {
    F::SPECS
        .iter()
        .find(|spec| spec.name_en == name)
        .map(|spec| spec.field)
}

/// The resolved header.
pub(crate) struct Header<F> {
    /// Each column's name as written (trimmed), for error messages.
    pub names: Vec<String>,
    /// Each column's field, in file order.
    pub fields: Vec<F>,
    /// For each field (by [`Column::index`]), the column that holds it.
    pub columns: Vec<Option<usize>>,
}

impl<F: Column> Header<F> {
    /// Matches the header cells to fields, or explains every problem with them.
    /// `names` are the header's cells, trimmed.
    pub fn resolve(names: Vec<String>) -> Result<Header<F>, ImportFailure> {
        let mut fields = Vec::with_capacity(names.len());
        let mut columns: Vec<Option<usize>> = vec![None; F::SPECS.len()];
        let mut problems_sv = Vec::new();
        let mut problems_en = Vec::new();
        let mut unknown = Vec::new();
        for (i, name) in names.iter().enumerate() {
            let number = column_label(i);
            if name.is_empty() {
                problems_sv.push(format!(
                    "Kolumn {number} saknar namn i rubrikraden. Ge den ett av de tillåtna namnen eller ta bort kolumnen."
                ));
                problems_en.push(format!(
                    "Column {number} has no name in the header line. Give it one of the accepted names or remove the column."
                ));
                continue;
            }
            let folded = fold(name);
            let Some(spec) = F::SPECS.iter().find(|spec| spec.matches(&folded)) else {
                unknown.push((number, name));
                continue;
            };
            match columns[spec.field.index()] {
                Some(earlier) => {
                    problems_sv.push(format!(
                        "Kolumnerna \"{}\" (kolumn {}) och \"{name}\" (kolumn {number}) avser båda {}. Ta bort en av dem.",
                        names[earlier],
                        column_label(earlier),
                        spec.name_sv
                    ));
                    problems_en.push(format!(
                        "The columns \"{}\" (column {}) and \"{name}\" (column {number}) are both {}. Remove one of them.",
                        names[earlier],
                        column_label(earlier),
                        spec.name_en
                    ));
                }
                None => columns[spec.field.index()] = Some(i),
            }
            fields.push(spec.field);
        }

        if !unknown.is_empty() && columns.iter().all(Option::is_none) {
            return Err(ImportFailure::unreadable(
                format!(
                    "Första raden ska vara en rubrikrad med kolumnnamn, men inget av namnen känns igen. Lägg till en rubrikrad med kolumnerna {}.",
                    accepted_sv::<F>()
                ),
                format!(
                    "The first line must be a header line with column names, but none of the names is recognised. Add a header line with the columns {}.",
                    accepted_en::<F>()
                ),
            ));
        }
        for (number, name) in &unknown {
            problems_sv.push(format!(
                "Okänd kolumn \"{name}\" (kolumn {number}). Tillåtna kolumner är {}.",
                accepted_sv::<F>()
            ));
            problems_en.push(format!(
                "Unknown column \"{name}\" (column {number}). The accepted columns are {}.",
                accepted_en::<F>()
            ));
        }
        for spec in F::SPECS {
            if spec.required && columns[spec.field.index()].is_none() {
                problems_sv.push(format!(
                    "Kolumnen {} saknas i rubrikraden. Lägg till den (den får också heta {}).",
                    spec.name_sv, spec.name_en
                ));
                problems_en.push(format!(
                    "The column {} is missing from the header line. Add it (it may also be called {}).",
                    spec.name_en, spec.name_sv
                ));
            }
        }
        for &(a, b) in F::PAIRS {
            let (has_a, has_b) = (columns[a.index()].is_some(), columns[b.index()].is_some());
            if has_a != has_b {
                let (present, absent) = if has_a {
                    (spec(a), spec(b))
                } else {
                    (spec(b), spec(a))
                };
                problems_sv.push(format!(
                    "Kolumnen {} finns men inte {}. Ta med båda eller ingen av dem.",
                    present.name_sv, absent.name_sv
                ));
                problems_en.push(format!(
                    "The column {} is present but {} is not. Include both or neither.",
                    present.name_en, absent.name_en
                ));
            }
        }
        if !problems_sv.is_empty() {
            let intro_sv = "Rubrikraden (rad 1) går inte att använda.";
            let intro_en = "The header line (line 1) cannot be used.";
            return Err(ImportFailure::unreadable(
                format!("{intro_sv} {}", problems_sv.join(" ")),
                format!("{intro_en} {}", problems_en.join(" ")),
            ));
        }
        Ok(Header {
            names,
            fields,
            columns,
        })
    }

    /// How many columns the header has.
    pub fn len(&self) -> usize {
        self.names.len()
    }
}

/// `3 (C)`: a 1-based column number with its spreadsheet letters.
fn column_label(index: usize) -> String {
    let mut letters = Vec::new();
    let mut n = index + 1;
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    format!("{} ({})", index + 1, String::from_utf8_lossy(&letters))
}

/// `personnummer, förnamn, … (valfria: kön, …; på engelska: personal_number, …)`.
fn accepted_sv<F: Column>() -> String {
    let required: Vec<&str> = F::SPECS
        .iter()
        .filter(|s| s.required)
        .map(|s| s.name_sv)
        .collect();
    let optional: Vec<&str> = F::SPECS
        .iter()
        .filter(|s| !s.required)
        .map(|s| s.name_sv)
        .collect();
    let english: Vec<&str> = F::SPECS.iter().map(|s| s.name_en).collect();
    format!(
        "{} (valfria: {}; på engelska: {})",
        required.join(", "),
        optional.join(", "),
        english.join(", ")
    )
}

/// `personal_number, first_name, … (optional: gender, …; in Swedish: personnummer, …)`.
fn accepted_en<F: Column>() -> String {
    let required: Vec<&str> = F::SPECS
        .iter()
        .filter(|s| s.required)
        .map(|s| s.name_en)
        .collect();
    let optional: Vec<&str> = F::SPECS
        .iter()
        .filter(|s| !s.required)
        .map(|s| s.name_en)
        .collect();
    let swedish: Vec<&str> = F::SPECS.iter().map(|s| s.name_sv).collect();
    format!(
        "{} (optional: {}; in Swedish: {})",
        required.join(", "),
        optional.join(", "),
        swedish.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_labels() {
        assert_eq!(column_label(0), "1 (A)");
        assert_eq!(column_label(25), "26 (Z)");
        assert_eq!(column_label(26), "27 (AA)");
        assert_eq!(column_label(701), "702 (ZZ)");
        assert_eq!(column_label(702), "703 (AAA)");
    }
}
