//! The bulk file of `lionrock credentials issue --csv`: RFC 4180 CSV (UTF-8,
//! an optional byte-order mark, CRLF or LF line ends, fields in double
//! quotes when they hold commas, quotes (doubled) or line breaks), whose
//! header row names [`Request`] fields. Our own reader, small and strict,
//! rather than a dependency: an unterminated quote, text after a closing
//! quote or a bare quote inside an unquoted field stops the file with the
//! line it is on; blank lines are skipped.

use crate::records::Request;

/// The columns a file may have: [`Request`]'s fields.
pub const COLUMNS: [&str; 21] = [
    "kind",
    "document_kind",
    "document_number",
    "document_country",
    "family_name",
    "given_name",
    "family_name_standardised",
    "given_name_standardised",
    "birth_date",
    "product",
    "dose_number",
    "doses_in_series",
    "date",
    "test_type",
    "sampled_at",
    "result",
    "centre",
    "first_positive",
    "valid_from",
    "valid_until",
    "reason",
];

/// Why a whole file cannot be read (the operator fixes the file: exit 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error("line {line}: a quoted field is not closed")]
    Unterminated { line: usize },
    #[error("line {line}: a closing quote must be followed by a comma or the end of the line")]
    AfterQuote { line: usize },
    #[error("line {line}: a field with a quote in it must be quoted (and the quote doubled)")]
    BareQuote { line: usize },
    #[error("the file is empty: it needs a header row naming the columns")]
    Empty,
    #[error("unknown column {0:?} in the header (the columns are Request field names, see the README)")]
    UnknownColumn(String),
    #[error("column {0:?} appears twice in the header")]
    DuplicateColumn(String),
}

/// One record of the file: the line it starts on, and its fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub line: usize,
    pub fields: Vec<String>,
}

/// Every record of `text`, header included.
pub fn records(text: &str) -> Result<Vec<Record>, FileError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line = 1;
    while chars.peek().is_some() {
        // A blank line holds no record.
        if matches!(chars.peek(), Some('\n' | '\r')) {
            if chars.next() == Some('\r') && chars.peek() == Some(&'\n') {
                chars.next();
            }
            line += 1;
            continue;
        }
        let start = line;
        let mut fields = Vec::new();
        loop {
            let mut field = String::new();
            let mut ended_line = false;
            if chars.peek() == Some(&'"') {
                chars.next();
                loop {
                    match chars.next() {
                        None => return Err(FileError::Unterminated { line: start }),
                        Some('"') if chars.peek() == Some(&'"') => {
                            chars.next();
                            field.push('"');
                        }
                        Some('"') => break,
                        Some(c) => {
                            if c == '\n' {
                                line += 1;
                            }
                            field.push(c);
                        }
                    }
                }
                match chars.next() {
                    None => ended_line = true,
                    Some(',') => {}
                    Some('\n') => ended_line = true,
                    Some('\r') if chars.peek() == Some(&'\n') => {
                        chars.next();
                        ended_line = true;
                    }
                    Some(_) => return Err(FileError::AfterQuote { line }),
                }
            } else {
                loop {
                    match chars.next() {
                        None | Some('\n') => {
                            ended_line = true;
                            break;
                        }
                        Some('\r') if chars.peek() == Some(&'\n') => {
                            chars.next();
                            ended_line = true;
                            break;
                        }
                        Some(',') => break,
                        Some('"') => return Err(FileError::BareQuote { line }),
                        Some(c) => field.push(c),
                    }
                }
            }
            fields.push(field);
            if ended_line {
                line += 1;
                break;
            }
        }
        out.push(Record { line: start, fields });
    }
    Ok(out)
}

/// The header: each column's index into [`COLUMNS`].
pub fn header(record: &Record) -> Result<Vec<usize>, FileError> {
    let mut seen = Vec::new();
    for name in &record.fields {
        let name = name.trim();
        let Some(i) = COLUMNS.iter().position(|c| *c == name) else {
            return Err(FileError::UnknownColumn(name.to_owned()));
        };
        if seen.contains(&i) {
            return Err(FileError::DuplicateColumn(name.to_owned()));
        }
        seen.push(i);
    }
    Ok(seen)
}

/// A row whose number of fields differs from the header's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrongWidth {
    pub expected: usize,
    pub found: usize,
}

/// The request a row asks for, given the header's columns.
pub fn request(columns: &[usize], record: &Record) -> Result<Request, WrongWidth> {
    if record.fields.len() != columns.len() {
        return Err(WrongWidth { expected: columns.len(), found: record.fields.len() });
    }
    let mut r = Request::default();
    for (column, value) in columns.iter().zip(&record.fields) {
        super::set_field(&mut r, COLUMNS[*column], value);
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn fields(text: &str) -> Vec<Vec<String>> {
        records(text).unwrap().into_iter().map(|r| r.fields).collect()
    }

    #[test]
    fn quoted_fields_hold_commas_quotes_and_line_breaks() {
        let text = "\u{feff}a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\"two\r\nlines\"\r\n\r\nplain,,last\n\"\",\"\",\"\"";
        assert_eq!(
            fields(text),
            [
                vec!["a", "b", "c"],
                vec!["x, y", "say \"hi\"", "two\r\nlines"],
                vec!["plain", "", "last"],
                vec!["", "", ""],
            ]
        );
        let lines: Vec<usize> = records(text).unwrap().iter().map(|r| r.line).collect();
        assert_eq!(lines, [1, 2, 5, 6], "records know the line they start on, past quoted line breaks");
        assert_eq!(fields("a,b\n1,2"), [vec!["a", "b"], vec!["1", "2"]], "no final line break needed");
        assert_eq!(fields("a,\n"), [vec!["a", ""]], "a trailing comma is an empty last field");
    }

    #[test]
    fn malformed_files_name_the_line() {
        assert_eq!(records("a\n\"open\n"), Err(FileError::Unterminated { line: 2 }));
        assert_eq!(records("a\n\"x\"y\n"), Err(FileError::AfterQuote { line: 2 }));
        assert_eq!(records("a\nb\nx\"y\n"), Err(FileError::BareQuote { line: 3 }));
        assert_eq!(records("").unwrap(), []);
    }

    #[test]
    fn the_header_names_request_fields() {
        let head = |t: &str| header(&records(t).unwrap()[0]);
        let columns = head("kind, family_name,reason").unwrap();
        let row = Record { line: 2, fields: vec!["exemption".into(), "Chan".into(), "medical".into()] };
        let parsed = request(&columns, &row).unwrap();
        assert_eq!((parsed.kind.as_str(), parsed.family_name.as_str()), ("exemption", "Chan"));
        assert_eq!(parsed.reason, "medical");
        let short = Record { line: 3, fields: vec!["test".into()] };
        assert_eq!(request(&columns, &short), Err(WrongWidth { expected: 3, found: 1 }));
        assert_eq!(head("kind,booster"), Err(FileError::UnknownColumn("booster".into())));
        assert_eq!(head("kind,kind"), Err(FileError::DuplicateColumn("kind".into())));
    }

    #[test]
    fn every_request_field_is_a_column() {
        let fields = serde_json::to_value(Request::default()).unwrap();
        let mut names: Vec<&str> = fields.as_object().unwrap().keys().map(String::as_str).collect();
        names.sort_unstable();
        let mut columns = COLUMNS.to_vec();
        columns.sort_unstable();
        assert_eq!(names, columns);
        // Each column fills its own field.
        let all: Vec<usize> = (0..COLUMNS.len()).collect();
        let row = Record { line: 2, fields: COLUMNS.iter().map(|c| (*c).to_owned()).collect() };
        let filled = serde_json::to_value(request(&all, &row).unwrap()).unwrap();
        for (name, value) in filled.as_object().unwrap() {
            assert_eq!(value, name, "column {name}");
        }
    }

    proptest::proptest! {
        #[test]
        fn what_a_writer_quotes_reads_back(rows in proptest::collection::vec(
            proptest::collection::vec("(?s).{0,12}", 1..5), 0..6), crlf: bool) {
            let quote = |f: &String| format!("\"{}\"", f.replace('"', "\"\""));
            let end = if crlf { "\r\n" } else { "\n" };
            let text: String =
                rows.iter().map(|r| r.iter().map(quote).collect::<Vec<_>>().join(",") + end).collect();
            proptest::prop_assert_eq!(fields(&text), rows);
        }

        #[test]
        fn no_input_panics(text in "(?s).{0,64}") {
            let _ = records(&text);
        }
    }
}
