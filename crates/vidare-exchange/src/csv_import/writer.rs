//! The canonical format written for Swedish spreadsheets: UTF-8 with a
//! byte-order mark (so Excel recognises the encoding), `;` between fields (the
//! list separator of Swedish Windows), CRLF line ends and the Swedish header.

use std::io::{self, Write};

use super::header::Column;

/// Writes the byte-order mark and the canonical header of `F`, and returns a
/// writer for the rows.
pub(crate) fn start<F: Column, W: Write>(mut out: W) -> io::Result<csv::Writer<W>> {
    out.write_all(b"\xEF\xBB\xBF")?;
    let mut writer = csv::WriterBuilder::new()
        .delimiter(b';')
        .terminator(csv::Terminator::CRLF)
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(out);
    writer.write_record(F::SPECS.iter().map(|spec| spec.name_sv))?;
    Ok(writer)
}

/// `ja` or `nej`.
pub(crate) fn yes_no(value: bool) -> &'static str {
    if value {
        "ja"
    } else {
        "nej"
    }
}
