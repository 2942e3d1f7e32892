//! The part shared by every kind of file: encoding, delimiter, header, the row
//! loop with its line numbers, numbers given twice, and collecting every error.
//!
//! Speed: a record is read into a reused [`ByteRecord`], its buffer is checked
//! as UTF-8 once (not field by field), and cells are handed out as `&str`
//! slices of it; headers are matched to fields once. Numbers given twice are
//! found by sorting the numbers at the end rather than hashing each row, which
//! is faster here and cannot be slowed down by crafted input.

use csv::{ByteRecord, ReaderBuilder};
use vidare_domain::Numbered;

use super::cells::Msg;
use super::header::{field_named, Column, Header};
use super::{ImportFailure, RowError};

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A row error before the column index is turned into the header's name.
struct Pending {
    line: u64,
    column: Option<usize>,
    msg: Msg,
}

/// One row being read: its cells, its line, and where its errors go.
pub(crate) struct Cells<'a, F> {
    record: &'a ByteRecord,
    /// The record's buffer, checked as UTF-8; every cell is a slice of it.
    text: &'a str,
    header: &'a Header<F>,
    errors: &'a mut Vec<Pending>,
    /// The row's physical line in the file.
    pub line: u64,
    /// A buffer for folding words, reused from row to row.
    pub scratch: &'a mut String,
    failed: bool,
}

impl<'a, F: Column> Cells<'a, F> {
    /// The cells of the row with their column index and field, in file order.
    pub fn iter(&self) -> impl Iterator<Item = (usize, F, &'a str)> + 'a {
        let (record, text) = (self.record, self.text);
        self.header
            .fields
            .iter()
            .copied()
            .enumerate()
            .map(move |(i, field)| (i, field, cell(record, text, i)))
    }

    /// Records an error in column `column` (an index into the header).
    pub fn fail(&mut self, column: usize, msg: Msg) {
        self.push(Some(column), msg);
    }

    /// Records an error in the column of `field`; a no-op if the file lacks it
    /// (which the header check rules out for every field that can fail).
    pub fn fail_field(&mut self, field: F, msg: Msg) {
        if let Some(column) = self.header.columns[field.index()] {
            self.fail(column, msg);
        }
    }

    /// Records an error about a rule broken by `field` (as the domain names it,
    /// which is the column's English name), or about the whole row if no column
    /// has that name.
    pub fn fail_rule(&mut self, field: &str, msg: Msg) {
        let column = field_named::<F>(field).and_then(|f| self.header.columns[f.index()]);
        self.push(column, msg);
    }

    fn push(&mut self, column: Option<usize>, msg: Msg) {
        self.failed = true;
        self.errors.push(Pending {
            line: self.line,
            column,
            msg,
        });
    }

    /// Whether an error has been recorded for this row.
    pub fn failed(&self) -> bool {
        self.failed
    }
}

/// Cell `i` of a record whose buffer is `text` (checked by [`record_text`]).
fn cell<'r>(record: &ByteRecord, text: &'r str, i: usize) -> &'r str {
    record
        .range(i)
        .and_then(|range| text.get(range))
        .unwrap_or_default()
}

/// The record's buffer as `&str`, provided it is UTF-8 and every cell boundary
/// falls between characters (so that [`cell`] never fails); otherwise the byte
/// offset in the buffer where the trouble starts.
fn record_text(record: &ByteRecord) -> Result<&str, usize> {
    let text = std::str::from_utf8(record.as_slice()).map_err(|e| e.valid_up_to())?;
    if text.is_ascii() {
        return Ok(text);
    }
    for i in 0..record.len() {
        if let Some(range) = record.range(i) {
            if !text.is_char_boundary(range.start) {
                return Err(range.start);
            }
        }
    }
    Ok(text)
}

/// How a kind of file states that a value must not repeat.
pub(crate) struct Unique<F> {
    /// The column holding the value.
    pub field: F,
    /// The message for a repeat, given the line of the first occurrence.
    pub message: fn(u64) -> Msg,
}

/// Files whose body is at least this large are read in two halves at once
/// when the machine has two or more cores.
pub(crate) const PARALLEL_MIN_BYTES: usize = 1 << 20;

/// What the rows need to know about the file.
struct Context<'h, F, P> {
    header: &'h Header<F>,
    delimiter: u8,
    cr_only: bool,
    parse_row: &'h P,
}

/// What reading a run of rows found, with lines counted from the run's start.
struct Chunk<K, T> {
    rows: Vec<Numbered<T>>,
    keys: Vec<(K, u64)>,
    errors: Vec<Pending>,
    /// Line breaks in the run (counted only where runs are split, so without
    /// bare `\r` line ends).
    breaks: u64,
}

/// Why a run of rows stopped early.
enum Stop {
    /// Invalid UTF-8 on this line of the run.
    NotUtf8(u64),
    /// The csv reader failed (it does not on an in-memory input).
    Csv(String),
}

impl Stop {
    fn into_failure(self, line_offset: u64) -> ImportFailure {
        match self {
            Stop::NotUtf8(line) => not_utf8(line + line_offset),
            Stop::Csv(e) => csv_failure(&e),
        }
    }
}

/// Reads a whole file. `parse_row` returns, for each row, its unique key when
/// that cell is valid, and the row when nothing is wrong with it (recording
/// its errors through [`Cells`] otherwise).
///
/// A body of at least `parallel_min` bytes is read in two threads when the
/// machine has more than one core and [`split_point`] finds a safe cut.
pub(crate) fn read_table_with<F, K, T, P>(
    input: &[u8],
    unique: Unique<F>,
    parse_row: &P,
    parallel_min: usize,
) -> Result<Vec<Numbered<T>>, ImportFailure>
where
    F: Column + Sync,
    K: Ord + Copy + Send,
    T: Send,
    P: Fn(&mut Cells<'_, F>) -> (Option<K>, Option<T>) + Sync,
{
    let input = input.strip_prefix(BOM).unwrap_or(input);
    if input.iter().all(u8::is_ascii_whitespace) {
        return Err(empty_file());
    }
    let cr_only = !input.contains(&b'\n') && input.contains(&b'\r');
    let delimiter = detect_delimiter(input);

    let mut reader = reader_for(input, delimiter);
    let mut record = ByteRecord::new();
    if !reader
        .read_byte_record(&mut record)
        .map_err(|e| csv_failure(&e))?
    {
        return Err(empty_file());
    }
    let mut lines = LineCounter::new(input, cr_only);
    let header_line = lines.line_of(record.position());
    let text = record_text(&record)
        .map_err(|at| not_utf8(header_line + lines.breaks(&record.as_slice()[..at])))?;
    let names: Vec<String> = (0..record.len())
        .map(|i| cell(&record, text, i).trim().to_owned())
        .collect();
    let header = Header::<F>::resolve(names)?;
    let body_start = usize::try_from(reader.position().byte())
        .unwrap_or(usize::MAX)
        .min(input.len());
    let context = Context {
        header: &header,
        delimiter,
        cr_only,
        parse_row,
    };

    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let split = if cores > 1 {
        split_point(input, body_start, cr_only, parallel_min)
    } else {
        None
    };
    let chunks = match split {
        None => vec![read_chunk(&input[body_start..], &context)],
        Some(split) => std::thread::scope(|scope| {
            let second = scope.spawn(|| read_chunk(&input[split..], &context));
            let first = read_chunk(&input[body_start..split], &context);
            let second = second
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            vec![first, second]
        }),
    };

    let mut offset = lines.breaks(&input[..body_start]);
    let mut rows: Vec<Numbered<T>> = Vec::new();
    let mut keys: Vec<(K, u64)> = Vec::new();
    let mut errors: Vec<Pending> = Vec::new();
    for chunk in chunks {
        let mut chunk = chunk.map_err(|stop| stop.into_failure(offset))?;
        if offset > 0 {
            chunk.rows.iter_mut().for_each(|r| r.line += offset);
            chunk.keys.iter_mut().for_each(|k| k.1 += offset);
            chunk.errors.iter_mut().for_each(|e| e.line += offset);
        }
        // `reserve_exact` on a large vector is a cheap `realloc` (pages are
        // remapped, not copied); only the second half's rows are moved.
        if rows.is_empty() {
            rows = chunk.rows;
        } else {
            rows.reserve_exact(chunk.rows.len());
            rows.append(&mut chunk.rows);
        }
        if keys.is_empty() {
            keys = chunk.keys;
        } else {
            keys.reserve_exact(chunk.keys.len());
            keys.append(&mut chunk.keys);
        }
        errors.append(&mut chunk.errors);
        offset += chunk.breaks;
    }

    // Numbers given twice: sorted by key, then line, each run's first line is
    // the earliest, and every later line in the run is an error naming it.
    // Each half comes sorted, and the stable sort merges two sorted runs in
    // linear time.
    keys.sort();
    let unique_column = header.columns[unique.field.index()];
    for run in keys.chunk_by(|a, b| a.0 == b.0) {
        let first = run[0].1;
        for &(_, line) in &run[1..] {
            errors.push(Pending {
                line,
                column: unique_column,
                msg: (unique.message)(first),
            });
        }
    }

    if errors.is_empty() {
        return Ok(rows);
    }
    drop(rows);
    // Within a row, errors about the whole row first, then by column. The sort
    // is stable, so one cell's errors keep their order.
    errors.sort_by_key(|e| (e.line, e.column.map_or(0, |c| c + 1)));
    Err(ImportFailure::Rows(
        errors
            .into_iter()
            .map(|e| RowError {
                line: e.line,
                column: e.column.map(|c| header.names[c].clone()),
                message_sv: e.msg.sv,
                message_en: e.msg.en,
            })
            .collect(),
    ))
}

/// A csv reader as every run uses it.
fn reader_for(input: &[u8], delimiter: u8) -> csv::Reader<&[u8]> {
    ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .buffer_capacity(1 << 16)
        .from_reader(input)
}

/// Where to cut the body in two, if it is worth it and safe: just after a line
/// break near the middle, provided nothing before it is quoted. Without a
/// quote no line break can be inside a field, so every line break ends a
/// record and both halves read exactly as the whole would.
pub(crate) fn split_point(
    input: &[u8],
    body_start: usize,
    cr_only: bool,
    parallel_min: usize,
) -> Option<usize> {
    let body = input.len().checked_sub(body_start)?;
    if cr_only || body < parallel_min.max(2) {
        return None;
    }
    let middle = body_start + body / 2;
    let split = middle + input[middle..].iter().position(|&b| b == b'\n')? + 1;
    if split >= input.len() || input[..split].contains(&b'"') {
        return None;
    }
    Some(split)
}

/// Reads the rows in `run` (a run of whole records of the body).
fn read_chunk<F, K, T, P>(run: &[u8], context: &Context<'_, F, P>) -> Result<Chunk<K, T>, Stop>
where
    F: Column,
    K: Ord + Copy,
    P: Fn(&mut Cells<'_, F>) -> (Option<K>, Option<T>),
{
    let header = context.header;
    let mut reader = reader_for(run, context.delimiter);
    let mut lines = LineCounter::new(run, context.cr_only);
    let mut record = ByteRecord::new();
    // Canonical rows are about 75 bytes; a wrong guess only costs a reallocation.
    let mut rows = Vec::with_capacity(run.len() / 64);
    let mut keys: Vec<(K, u64)> = Vec::with_capacity(rows.capacity());
    let mut errors: Vec<Pending> = Vec::new();
    let mut scratch = String::new();
    while reader
        .read_byte_record(&mut record)
        .map_err(|e| Stop::Csv(e.to_string()))?
    {
        let line = lines.line_of(record.position());
        let text = record_text(&record)
            .map_err(|at| Stop::NotUtf8(line + lines.breaks(&record.as_slice()[..at])))?;
        if text.trim().is_empty() {
            // Nothing but empty (or blank) cells, as spreadsheets leave below the data.
            continue;
        }
        if record.len() != header.len() {
            let (found, expected) = (record.len(), header.len());
            let d = char::from(context.delimiter);
            errors.push(Pending {
                line,
                column: None,
                msg: Msg::new(
                    format!(
                        "Raden har {found} fält men rubrikraden har {expected}. Kontrollera att värden som innehåller {d} står inom citattecken och att varje citattecken (\") är avslutat."
                    ),
                    format!(
                        "The line has {found} fields but the header line has {expected}. Check that values containing {d} are in quotes and that every quote (\") is closed."
                    ),
                ),
            });
            continue;
        }
        let mut cells = Cells {
            record: &record,
            text,
            header,
            errors: &mut errors,
            line,
            scratch: &mut scratch,
            failed: false,
        };
        let (key, parsed) = (context.parse_row)(&mut cells);
        debug_assert_eq!(parsed.is_none(), cells.failed(), "line {line}");
        if let Some(key) = key {
            keys.push((key, line));
        }
        match parsed {
            Some(row) if errors.is_empty() => rows.push(Numbered { line, row }),
            // Nothing will be imported: stop keeping rows.
            _ if rows.capacity() > 0 => rows = Vec::new(),
            _ => {}
        }
    }
    keys.sort_unstable();
    Ok(Chunk {
        rows,
        keys,
        errors,
        breaks: reader.position().line().saturating_sub(1),
    })
}

fn csv_failure(e: &dyn std::fmt::Display) -> ImportFailure {
    ImportFailure::unreadable(
        format!("Filen kunde inte läsas som CSV: {e}."),
        format!("The file could not be read as CSV: {e}."),
    )
}

fn empty_file() -> ImportFailure {
    ImportFailure::unreadable(
        "Filen är tom. Den ska börja med en rubrikrad med kolumnernas namn, följd av en rad per post.",
        "The file is empty. It must start with a header line naming the columns, followed by one line per record.",
    )
}

fn not_utf8(line: u64) -> ImportFailure {
    ImportFailure::unreadable(
        format!(
            "Filen är inte UTF-8 (ogiltiga tecken på rad {line}); spara den som UTF-8 (CSV UTF-8 i Excel) och importera den igen."
        ),
        format!(
            "The file is not UTF-8 (invalid characters on line {line}); save it as UTF-8 (\"CSV UTF-8\" in Excel) and import it again."
        ),
    )
}

/// `;` or `,`: whichever occurs more often outside quotes on the header line;
/// `;` on a tie.
fn detect_delimiter(input: &[u8]) -> u8 {
    let (mut semicolons, mut commas) = (0usize, 0usize);
    let mut quoted = false;
    for &b in input {
        match b {
            b'"' => quoted = !quoted,
            b'\n' | b'\r' if !quoted => break,
            b';' if !quoted => semicolons += 1,
            b',' if !quoted => commas += 1,
            _ => {}
        }
    }
    if commas > semicolons {
        b','
    } else {
        b';'
    }
}

/// Physical line numbers of records.
///
/// The csv crate's own line count is that of the position where it started
/// reading a record, which lies before the blank lines it skipped and, with
/// CRLF line ends, before the `\n` that ends the previous record; it also
/// counts only `\n`. So the record's line is its count plus the line breaks
/// between that position and the record's first byte, and in a file with bare
/// `\r` line ends the breaks are counted here.
struct LineCounter<'a> {
    input: &'a [u8],
    cr_only: bool,
    /// For `cr_only`: bytes up to here have been counted into `line`.
    scanned: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(input: &'a [u8], cr_only: bool) -> Self {
        LineCounter {
            input,
            cr_only,
            scanned: 0,
            line: 1,
        }
    }

    /// Line breaks in `bytes`: `\n`, or `\r` in a file that uses nothing else.
    fn breaks(&self, bytes: &[u8]) -> u64 {
        let needle = if self.cr_only { b'\r' } else { b'\n' };
        bytes.iter().filter(|&&b| b == needle).count() as u64
    }

    /// The line of the record that starts reading at `position`.
    fn line_of(&mut self, position: Option<&csv::Position>) -> u64 {
        let Some(position) = position else {
            return self.line;
        };
        let start = usize::try_from(position.byte())
            .unwrap_or(usize::MAX)
            .min(self.input.len());
        let mut line = if self.cr_only {
            let from = self.scanned.min(start);
            self.line += self.breaks(&self.input[from..start]);
            self.scanned = start;
            self.line
        } else {
            position.line()
        };
        for &b in &self.input[start..] {
            match b {
                b'\n' => line += 1,
                b'\r' if self.cr_only => line += 1,
                b'\r' => {}
                _ => break,
            }
        }
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiter_detection() {
        assert_eq!(detect_delimiter(b"a;b;c\n1,2,3,4,5"), b';');
        assert_eq!(detect_delimiter(b"a,b,c\n1;2;3;4;5"), b',');
        assert_eq!(detect_delimiter(b"\"a;b;c\",d,e\n"), b',');
        assert_eq!(detect_delimiter(b"a;b,c"), b';');
        assert_eq!(detect_delimiter(b""), b';');
    }

    #[test]
    fn cells_split_inside_a_character_are_refused() {
        // "\xC3" and "\xA5" are each invalid, but together they spell "å".
        let mut record = ByteRecord::new();
        record.push_field(b"a\xC3");
        record.push_field(b"\xA5b");
        assert_eq!(std::str::from_utf8(record.as_slice()), Ok("aåb"));
        assert_eq!(record_text(&record), Err(2));

        let mut record = ByteRecord::new();
        record.push_field("å".as_bytes());
        record.push_field(b"b");
        let text = record_text(&record).unwrap();
        assert_eq!(cell(&record, text, 0), "å");
        assert_eq!(cell(&record, text, 1), "b");
    }
}
