//! Reading a data file row by row: CSV (any number of rows, streamed; a
//! UTF-8 byte-order mark is skipped) and JSON (an array of objects, read
//! whole: its columns are the keys in order of first appearance). A row
//! that cannot be read as text (not UTF-8) is handed on as a problem, so
//! the load reports it and goes on; only a file that cannot be read at all
//! stops it.

use std::io::Read;

use serde_json::{Map, Value};

/// A data file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
}

impl Format {
    pub fn parse(name: &str) -> Option<Format> {
        match name.to_ascii_lowercase().as_str() {
            "csv" => Some(Format::Csv),
            "json" => Some(Format::Json),
            _ => None,
        }
    }

    /// The format a file's name suggests (CSV unless it ends `.json`).
    pub fn of_path(path: &std::path::Path) -> Format {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("json") => Format::Json,
            _ => Format::Csv,
        }
    }
}

/// Why a file could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("reading the file failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Malformed(String),
}

/// One data row as read: its line (CSV) and values, or why it is not text.
#[derive(Debug)]
pub struct RawRow {
    pub line: Option<u64>,
    pub cells: Result<Vec<String>, String>,
}

enum Source<R: Read> {
    Csv(csv::ByteRecordsIntoIter<R>),
    Json(std::vec::IntoIter<Map<String, Value>>),
}

/// A file's header and its data rows, one at a time.
pub struct Rows<R: Read> {
    pub header: Vec<String>,
    source: Source<R>,
}

fn text_of(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl<R: Read> Rows<R> {
    /// Opens a file: reads its header (CSV) or all of it (JSON).
    pub fn open(reader: R, format: Format) -> Result<Rows<R>, FileError> {
        match format {
            Format::Csv => {
                let mut csv = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
                let header = csv.byte_headers().map_err(csv_error)?.clone();
                let mut names = Vec::with_capacity(header.len());
                for (i, name) in header.iter().enumerate() {
                    let name = std::str::from_utf8(name).map_err(|_| {
                        FileError::Malformed(format!("the header's column {} is not UTF-8 text", i + 1))
                    })?;
                    let name = if i == 0 { name.trim_start_matches('\u{feff}') } else { name };
                    names.push(name.trim().to_owned());
                }
                if names.is_empty() || names.iter().all(String::is_empty) {
                    return Err(FileError::Malformed("the file has no header row".to_owned()));
                }
                Ok(Rows { header: names, source: Source::Csv(csv.into_byte_records()) })
            }
            Format::Json => {
                let list: Vec<Ordered> = serde_json::from_reader(std::io::BufReader::new(reader)).map_err(|e| {
                    if e.is_io() {
                        FileError::Io(std::io::Error::other(e.to_string()))
                    } else {
                        FileError::Malformed(format!("not a JSON array of objects: {e}"))
                    }
                })?;
                let mut header: Vec<String> = Vec::new();
                let mut rows = Vec::with_capacity(list.len());
                for Ordered(pairs) in list {
                    for (key, _) in &pairs {
                        if !header.contains(key) {
                            header.push(key.clone());
                        }
                    }
                    rows.push(pairs.into_iter().collect::<Map<String, Value>>());
                }
                Ok(Rows { header, source: Source::Json(rows.into_iter()) })
            }
        }
    }
}

/// A JSON object's members in the file's order (serde_json's map sorts
/// them), so a JSON file's columns come in the order it names them.
struct Ordered(Vec<(String, Value)>);

impl<'de> serde::Deserialize<'de> for Ordered {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Ordered, D::Error> {
        struct Members;
        impl<'de> serde::de::Visitor<'de> for Members {
            type Value = Ordered;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Ordered, A::Error> {
                let mut out = Vec::new();
                while let Some(member) = map.next_entry::<String, Value>()? {
                    out.push(member);
                }
                Ok(Ordered(out))
            }
        }
        d.deserialize_map(Members)
    }
}

fn csv_error(e: csv::Error) -> FileError {
    let line = e.position().map(|p| format!(" (line {})", p.line())).unwrap_or_default();
    match e.into_kind() {
        csv::ErrorKind::Io(e) => FileError::Io(e),
        other => FileError::Malformed(format!("not CSV{line}: {other:?}")),
    }
}

impl<R: Read> Iterator for Rows<R> {
    type Item = Result<RawRow, FileError>;

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.source {
            Source::Csv(records) => {
                let record = match records.next()? {
                    Ok(r) => r,
                    Err(e) => return Some(Err(csv_error(e))),
                };
                let line = record.position().map(csv::Position::line);
                let cells: Result<Vec<String>, String> = record
                    .iter()
                    .enumerate()
                    .map(|(i, v)| {
                        std::str::from_utf8(v)
                            .map(str::to_owned)
                            .map_err(|_| format!("column {} is not valid UTF-8 text", i + 1))
                    })
                    .collect();
                Some(Ok(RawRow { line, cells }))
            }
            Source::Json(rows) => {
                let map = rows.next()?;
                let cells = self.header.iter().map(|k| map.get(k).map(text_of).unwrap_or_default()).collect();
                Some(Ok(RawRow { line: None, cells: Ok(cells) }))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_come_with_their_lines_and_bad_bytes_as_problems() {
        let data = b"\xef\xbb\xbfdistrict,pm25\nSha Tin,12\n\"Tai\nPo\",\xff\nKwun Tong\n".to_vec();
        let rows = Rows::open(std::io::Cursor::new(data), Format::Csv).unwrap();
        assert_eq!(rows.header, ["district", "pm25"]);
        let all: Vec<RawRow> = rows.map(Result::unwrap).collect();
        assert_eq!(all.len(), 3);
        assert_eq!((all[0].line, all[0].cells.clone()), (Some(2), Ok(vec!["Sha Tin".to_owned(), "12".to_owned()])));
        assert_eq!(all[1].line, Some(3));
        assert!(all[1].cells.as_ref().unwrap_err().contains("column 2"));
        assert_eq!(all[2].cells.as_ref().unwrap().len(), 1, "a short row is handed on as it is");
    }

    #[test]
    fn json_is_an_array_of_objects() {
        let data = br#"[{"b": 1, "a": "x"}, {"a": null, "c": true}]"#.to_vec();
        let rows = Rows::open(std::io::Cursor::new(data), Format::Json).unwrap();
        assert_eq!(rows.header, ["b", "a", "c"], "in the file's order");
        let cells: Vec<Vec<String>> = rows.map(|r| r.unwrap().cells.unwrap()).collect();
        assert_eq!(cells, [vec!["1", "x", ""], vec!["", "", "true"]]);
        assert!(Rows::open(std::io::Cursor::new(b"{}".to_vec()), Format::Json).is_err());
        assert!(Rows::open(std::io::Cursor::new(b"[1]".to_vec()), Format::Json).is_err());
    }

    proptest::proptest! {
        // Any bytes at all: reading never panics, and every row is either
        // cells or a reason (a load then reports it).
        #[test]
        fn any_bytes_read_without_panicking(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400)) {
            for format in [Format::Csv, Format::Json] {
                if let Ok(rows) = Rows::open(std::io::Cursor::new(bytes.clone()), format) {
                    for row in rows.take(1000) {
                        let _ = row;
                    }
                }
            }
        }

        // What a CSV writer writes (quotes, commas, new lines, any script
        // inside values) reads back as the same values, row by row.
        #[test]
        fn csv_values_read_back_as_written(
            table in proptest::collection::vec(proptest::collection::vec("\\PC{0,12}|[\",\n\r ]{0,4}", 3), 1..30)
        ) {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(["a", "b", "c"]).unwrap();
            for row in &table {
                w.write_record(row).unwrap();
            }
            let bytes = w.into_inner().unwrap();
            let rows = Rows::open(std::io::Cursor::new(bytes), Format::Csv).unwrap();
            proptest::prop_assert_eq!(&rows.header, &["a", "b", "c"]);
            let read: Vec<Vec<String>> = rows.map(|r| r.unwrap().cells.unwrap()).collect();
            proptest::prop_assert_eq!(read, table);
        }
    }
}
