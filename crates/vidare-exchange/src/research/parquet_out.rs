//! The episodes as a Parquet file, written with the `parquet` crate's low-level column
//! writer (no Arrow, no compression codecs: the file is uncompressed, dictionary-encoded
//! where that pays).

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use parquet::data_type::{ByteArray, ByteArrayType, Int32Type};
use parquet::file::properties::WriterProperties;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::file::writer::SerializedFileWriter;
use parquet::record::Field;
use parquet::schema::parser::parse_message_type;

use super::{Cell, ColumnType, EpisodeRow, COLUMNS};

fn schema_text() -> String {
    let mut s = String::from("message episodes {\n");
    for c in COLUMNS {
        match c.kind {
            ColumnType::Text => s.push_str(&format!("  OPTIONAL BYTE_ARRAY {} (UTF8);\n", c.name)),
            ColumnType::Int => s.push_str(&format!("  OPTIONAL INT32 {};\n", c.name)),
        }
    }
    s.push('}');
    s
}

/// Writes the rows to `path` as one row group.
pub fn write_parquet(path: &Path, rows: &[EpisodeRow]) -> parquet::errors::Result<()> {
    let schema = Arc::new(parse_message_type(&schema_text())?);
    let props = Arc::new(
        WriterProperties::builder()
            .set_created_by("vidare research export".to_string())
            .build(),
    );
    let file = File::create(path)?;
    let mut writer = SerializedFileWriter::new(file, schema, props)?;
    let mut group = writer.next_row_group()?;
    let mut i = 0;
    while let Some(mut column) = group.next_column()? {
        let spec = COLUMNS[i];
        let defs: Vec<i16> = rows
            .iter()
            .map(|r| i16::from(r.values[i].is_some()))
            .collect();
        match spec.kind {
            ColumnType::Text => {
                let values: Vec<ByteArray> = rows
                    .iter()
                    .filter_map(|r| match &r.values[i] {
                        Some(Cell::Text(s)) => Some(ByteArray::from(s.as_str())),
                        Some(Cell::Int(n)) => Some(ByteArray::from(n.to_string().as_str())),
                        None => None,
                    })
                    .collect();
                column
                    .typed::<ByteArrayType>()
                    .write_batch(&values, Some(&defs), None)?;
            }
            ColumnType::Int => {
                let values: Vec<i32> = rows
                    .iter()
                    .filter_map(|r| match &r.values[i] {
                        Some(Cell::Int(n)) => Some(*n),
                        Some(Cell::Text(s)) => s.parse().ok(),
                        None => None,
                    })
                    .collect();
                column
                    .typed::<Int32Type>()
                    .write_batch(&values, Some(&defs), None)?;
            }
        }
        column.close()?;
        i += 1;
    }
    group.close()?;
    writer.close()?;
    Ok(())
}

/// Reads an export's Parquet file back into rows (for checks and tests), with the
/// column names of its schema.
pub fn read_parquet(path: &Path) -> parquet::errors::Result<(Vec<String>, Vec<EpisodeRow>)> {
    let reader = SerializedFileReader::new(File::open(path)?)?;
    let names: Vec<String> = reader
        .metadata()
        .file_metadata()
        .schema_descr()
        .columns()
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    let mut rows = Vec::new();
    for row in reader.get_row_iter(None)? {
        let row = row?;
        let values = row
            .get_column_iter()
            .map(|(_, f)| match f {
                Field::Null => None,
                Field::Str(s) => Some(Cell::Text(s.clone())),
                Field::Int(n) => Some(Cell::Int(*n)),
                other => Some(Cell::Text(other.to_string())),
            })
            .collect();
        rows.push(EpisodeRow { values });
    }
    Ok((names, rows))
}
