//! The DataStore's rules, without I/O: a resource's data as a typed table
//! (CKAN's `datastore_*` actions). Column types (`text`, `int`, `numeric`,
//! `bool`, `date`, `timestamp`) and how a value is read as each; a column's
//! type inferred from every value it holds (int widens to numeric, date to
//! timestamp, anything mixed to text); CKAN's rules for column names; the
//! checked parameters of `datastore_search` (every column it names is one
//! of the table's); a load's report of the rows that did not fit.

pub mod file;
pub mod http;
pub mod pusher;
pub mod store;

use serde_json::{Map, Value, json};
use time::{Date, PrimitiveDateTime};

use crate::catalogue::Errors;

/// The most rows `datastore_search` returns at once (CKAN's `ckan.datastore.search.rows_max`).
pub const LIMIT_MAX: i64 = 32_000;
/// Rows per page when the caller names no `limit` (CKAN's).
pub const LIMIT_DEFAULT: i64 = 100;
/// The most columns a table may have (PostgreSQL allows 1,600).
pub const COLUMNS_MAX: usize = 1000;
/// Rejected rows a load's report lists one by one (the count covers all).
pub const PROBLEMS_KEPT: usize = 1000;
/// The system column every table has: the row's number.
pub const ID: &str = "_id";

/// A column's type, by CKAN's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Text,
    Int,
    Numeric,
    Bool,
    Date,
    Timestamp,
}

impl Kind {
    pub const ALL: [Kind; 6] = [Kind::Text, Kind::Int, Kind::Numeric, Kind::Bool, Kind::Date, Kind::Timestamp];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Int => "int",
            Kind::Numeric => "numeric",
            Kind::Bool => "bool",
            Kind::Date => "date",
            Kind::Timestamp => "timestamp",
        }
    }

    /// A type name as CKAN clients write it (`int4`, `float8`, `varchar`, … too).
    pub fn parse(name: &str) -> Option<Kind> {
        match name.trim().to_ascii_lowercase().as_str() {
            "text" | "string" | "varchar" | "char" | "name" | "citext" => Some(Kind::Text),
            "int" | "int2" | "int4" | "int8" | "integer" | "bigint" | "smallint" => Some(Kind::Int),
            "numeric" | "float" | "float4" | "float8" | "double" | "double precision" | "real" | "number" => {
                Some(Kind::Numeric)
            }
            "bool" | "boolean" => Some(Kind::Bool),
            "date" => Some(Kind::Date),
            "timestamp" | "timestamptz" | "datetime" => Some(Kind::Timestamp),
            _ => None,
        }
    }

    /// The narrowest type that holds the values of both.
    pub fn join(self, other: Kind) -> Kind {
        match (self, other) {
            (a, b) if a == b => a,
            (Kind::Int, Kind::Numeric) | (Kind::Numeric, Kind::Int) => Kind::Numeric,
            (Kind::Date, Kind::Timestamp) | (Kind::Timestamp, Kind::Date) => Kind::Timestamp,
            _ => Kind::Text,
        }
    }
}

/// One value of a row, read as its column's type.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Text(String),
    Int(i64),
    Numeric(f64),
    Bool(bool),
    Date(Date),
    Timestamp(PrimitiveDateTime),
}

/// A whole number as written in files: digits with an optional sign. A
/// number with a leading zero (`007`, a code) is not one: it stays text.
fn whole(text: &str) -> Option<i64> {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if digits.len() > 1 && digits.starts_with('0') {
        return None;
    }
    text.parse().ok()
}

/// A decimal number as a file's value suggests one: as [`decimal`], but
/// not with a leading zero before a digit (`007`, `01.5`: codes, kept as text).
fn number_like(text: &str) -> Option<f64> {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if digits.len() > 1 && digits.starts_with('0') && digits[1..].starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    decimal(text)
}

/// A decimal number (`1.5`, `-2e3`); never `inf` or `NaN`.
fn decimal(text: &str) -> Option<f64> {
    if !text.bytes().any(|b| b.is_ascii_digit())
        || !text.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
    {
        return None;
    }
    text.parse::<f64>().ok().filter(|f| f.is_finite())
}

fn boolean(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "true" | "yes" | "y" => Some(true),
        "false" | "no" | "n" => Some(false),
        _ => None,
    }
}

/// Two to four digits of a date part.
fn part(text: &str, len: std::ops::RangeInclusive<usize>) -> Option<i32> {
    if !len.contains(&text.len()) || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// `2026-12-01` (ISO) or `01/12/2026` (day first, as Hong Kong writes it).
fn date(text: &str) -> Option<Date> {
    let (y, m, d) = if let [y, m, d] = text.split('-').collect::<Vec<_>>()[..] {
        (part(y, 4..=4)?, part(m, 2..=2)?, part(d, 2..=2)?)
    } else if let [d, m, y] = text.split('/').collect::<Vec<_>>()[..] {
        (part(y, 4..=4)?, part(m, 1..=2)?, part(d, 1..=2)?)
    } else {
        return None;
    };
    let month = time::Month::try_from(u8::try_from(m).ok()?).ok()?;
    Date::from_calendar_date(y, month, u8::try_from(d).ok()?).ok()
}

/// RFC 3339 (turned to UTC), or ISO 8601 without an offset (taken as
/// written), with `T` or a space; a date alone is its midnight.
fn timestamp(text: &str) -> Option<PrimitiveDateTime> {
    if let Some(d) = date(text) {
        return Some(d.midnight());
    }
    let text = match text.as_bytes().get(10) {
        Some(b' ') => format!("{}T{}", &text[..10], &text[11..]),
        _ => text.to_owned(),
    };
    let t = crate::catalogue::parse_time(&text)?.to_offset(time::UtcOffset::UTC);
    Some(PrimitiveDateTime::new(t.date(), t.time()))
}

/// The narrowest type a value read from a file fits; `None` for an empty one.
pub fn classify(text: &str) -> Option<Kind> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    Some(if whole(t).is_some() {
        Kind::Int
    } else if number_like(t).is_some() {
        Kind::Numeric
    } else if boolean(t).is_some() {
        Kind::Bool
    } else if date(t).is_some() {
        Kind::Date
    } else if timestamp(t).is_some() {
        Kind::Timestamp
    } else {
        Kind::Text
    })
}

/// A value read from a file as `kind`, or why it does not fit. An empty
/// value is null.
pub fn parse_cell(kind: Kind, text: &str) -> Result<Cell, &'static str> {
    let t = text.trim();
    if kind == Kind::Text {
        if text.contains('\0') {
            return Err("contains a NUL character");
        }
        return Ok(if text.is_empty() { Cell::Null } else { Cell::Text(text.to_owned()) });
    }
    if t.is_empty() {
        return Ok(Cell::Null);
    }
    match kind {
        Kind::Text => Ok(Cell::Text(text.to_owned())),
        Kind::Int => match t.parse::<i64>() {
            Ok(n) => Ok(Cell::Int(n)),
            Err(_) if decimal(t).is_some() && !t.contains(['.', 'e', 'E']) => {
                Err("a whole number out of range (-9223372036854775808 to 9223372036854775807)")
            }
            Err(_) => Err("not a whole number"),
        },
        Kind::Numeric => decimal(t).map(Cell::Numeric).ok_or("not a number"),
        Kind::Bool => boolean(t).map(Cell::Bool).ok_or("not a boolean (true/false, yes/no, Y/N)"),
        Kind::Date => date(t).map(Cell::Date).ok_or("not a date (YYYY-MM-DD or DD/MM/YYYY)"),
        Kind::Timestamp => timestamp(t).map(Cell::Timestamp).ok_or("not a timestamp (RFC 3339 or YYYY-MM-DDTHH:MM:SS)"),
    }
}

/// A value of an API record (JSON) as `kind`, or why it does not fit.
pub fn cell_of_json(kind: Kind, value: &Value) -> Result<Cell, String> {
    match (kind, value) {
        (_, Value::Null) => Ok(Cell::Null),
        (_, Value::String(s)) => parse_cell(kind, s).map_err(str::to_owned),
        (Kind::Int, Value::Number(n)) => n.as_i64().map(Cell::Int).ok_or_else(|| "not a whole number".to_owned()),
        (Kind::Numeric, Value::Number(n)) => n.as_f64().map(Cell::Numeric).ok_or_else(|| "not a number".to_owned()),
        (Kind::Bool, Value::Bool(b)) => Ok(Cell::Bool(*b)),
        (Kind::Text, Value::Number(_) | Value::Bool(_)) => Ok(Cell::Text(value.to_string())),
        (Kind::Text, Value::Array(_) | Value::Object(_)) => parse_cell(kind, &value.to_string()).map_err(str::to_owned),
        _ => Err(format!("not of type {}", kind.name())),
    }
}

/// The narrowest type of an API record's value; `None` for null.
pub fn classify_json(value: &Value) -> Option<Kind> {
    match value {
        Value::Null => None,
        Value::Bool(_) => Some(Kind::Bool),
        Value::Number(n) if n.is_i64() => Some(Kind::Int),
        Value::Number(_) => Some(Kind::Numeric),
        Value::String(s) => classify(s),
        Value::Array(_) | Value::Object(_) => Some(Kind::Text),
    }
}

/// The types of a file's columns, learnt from every value (not the first
/// rows): each column is the join of the types of its values; a column
/// with no value at all is text.
#[derive(Debug, Clone, Default)]
pub struct Inference {
    kinds: Vec<Option<Kind>>,
}

impl Inference {
    pub fn new(columns: usize) -> Inference {
        Inference { kinds: vec![None; columns] }
    }

    pub fn see(&mut self, column: usize, kind: Option<Kind>) {
        if let (Some(slot), Some(kind)) = (self.kinds.get_mut(column), kind) {
            *slot = Some(slot.map_or(kind, |k| k.join(kind)));
        }
    }

    pub fn kinds(&self) -> Vec<Kind> {
        self.kinds.iter().map(|k| k.unwrap_or(Kind::Text)).collect()
    }
}

/// What is wrong with a column name (CKAN's rules), if anything.
pub fn name_problem(name: &str) -> Option<&'static str> {
    if name.trim().is_empty() {
        Some("Column names must not be empty")
    } else if name.starts_with('_') {
        Some("Column names must not start with an underscore")
    } else if name.contains('"') {
        Some("Column names must not contain a double quote")
    } else if name.len() > 63 {
        Some("Column names must be at most 63 bytes long")
    } else if name.chars().any(char::is_control) {
        Some("Column names must not contain control characters")
    } else if name != name.trim() {
        Some("Column names must not start or end with spaces")
    } else {
        None
    }
}

/// A column: its name, type and CKAN's free `info` (a label and notes,
/// each a text or `{en, zh-HK, zh-CN}`).
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub id: String,
    pub kind: Kind,
    pub info: Map<String, Value>,
}

impl Field {
    pub fn new(id: impl Into<String>, kind: Kind) -> Field {
        Field { id: id.into(), kind, info: Map::new() }
    }

    /// CKAN's dictionary of a field.
    pub fn dict(&self) -> Value {
        let mut dict = json!({"id": self.id, "type": self.kind.name()});
        if !self.info.is_empty() {
            dict["info"] = Value::Object(self.info.clone());
        }
        dict
    }
}

/// The `_id` column's dictionary.
pub fn id_dict() -> Value {
    json!({"id": ID, "type": "int"})
}

/// Checks a list of column names: each valid, none twice, not too many.
pub fn names_problem(names: &[String]) -> Option<String> {
    if names.len() > COLUMNS_MAX {
        return Some(format!("At most {COLUMNS_MAX} columns"));
    }
    for (i, name) in names.iter().enumerate() {
        if let Some(problem) = name_problem(name) {
            return Some(format!("{problem}: \"{}\"", excerpt(name)));
        }
        if names[..i].contains(name) {
            return Some(format!("Column \"{}\" appears twice", excerpt(name)));
        }
    }
    None
}

const INFO_KEYS: [&str; 3] = ["label", "notes", "type_override"];

/// `info` of a field: `label` and `notes` (text or one text per language).
fn info_of(value: Option<&Value>) -> Result<Map<String, Value>, String> {
    let Some(value) = value.filter(|v| !v.is_null()) else { return Ok(Map::new()) };
    let Value::Object(info) = value else { return Err("info must be an object".to_owned()) };
    for (key, v) in info {
        if !INFO_KEYS.contains(&key.as_str()) {
            return Err(format!("info: unknown key \"{}\" (label, notes, type_override)", excerpt(key)));
        }
        let ok = match v {
            Value::String(s) => s.len() <= 2000,
            Value::Object(texts) => texts.iter().all(|(lang, t)| {
                ["en", "zh-HK", "zh-CN"].contains(&lang.as_str()) && t.as_str().is_some_and(|s| s.len() <= 2000)
            }),
            _ => false,
        };
        if !ok {
            return Err(format!("info.{key}: a text, or texts under en, zh-HK and zh-CN, of at most 2000 bytes"));
        }
    }
    Ok(info.clone())
}

/// CKAN's `fields` parameter: `[{id, type, info}]`; a field without a type
/// takes the one `infer` gives it.
pub fn fields_of(value: &Value, infer: impl Fn(&str) -> Kind) -> Result<Vec<Field>, String> {
    let Value::Array(list) = value else { return Err("fields must be a list of {id, type}".to_owned()) };
    let mut out = Vec::with_capacity(list.len());
    for item in list {
        let Some(id) = item.get("id").and_then(Value::as_str) else {
            return Err("each field needs an id".to_owned());
        };
        let kind = match item.get("type").and_then(Value::as_str) {
            Some(t) => Kind::parse(t).ok_or_else(|| {
                format!(
                    "\"{}\" is not a type: text, int, numeric, bool, date or timestamp (field \"{}\")",
                    excerpt(t),
                    excerpt(id)
                )
            })?,
            None => infer(id),
        };
        out.push(Field { id: id.to_owned(), kind, info: info_of(item.get("info"))? });
    }
    let names: Vec<String> = out.iter().map(|f| f.id.clone()).collect();
    if let Some(problem) = names_problem(&names) {
        return Err(problem);
    }
    Ok(out)
}

/// A list of names given as a JSON list or as comma-separated text.
pub fn names_of(value: &Value) -> Result<Vec<String>, String> {
    match value {
        Value::Null => Ok(Vec::new()),
        Value::String(s) if s.trim_start().starts_with('[') => {
            names_of(&serde_json::from_str::<Value>(s).map_err(|_| "not a JSON list".to_owned())?)
        }
        Value::String(s) => Ok(s.split(',').map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()).collect()),
        Value::Array(list) => {
            list.iter().map(|v| v.as_str().map(str::to_owned).ok_or_else(|| "a list of names".to_owned())).collect()
        }
        _ => Err("a list of names, or names separated by commas".to_owned()),
    }
}

/// A publisher's override of a file column's type: `column=type`.
pub fn override_of(text: &str) -> Result<(String, Kind), String> {
    let (column, kind) =
        text.rsplit_once('=').ok_or_else(|| format!("{text}: write COLUMN=TYPE (e.g. station=text)"))?;
    let kind = Kind::parse(kind)
        .ok_or_else(|| format!("{text}: {kind} is not a type (text, int, numeric, bool, date, timestamp)"))?;
    Ok((column.to_owned(), kind))
}

/// At most 40 characters of a value, to quote it in a message.
pub fn excerpt(text: &str) -> String {
    let mut out: String = text.chars().take(40).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

/// `records`: a list of objects (JSON, or JSON text).
pub fn records_of(value: Option<&Value>) -> Result<Vec<Map<String, Value>>, String> {
    let value = match value {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(v) => json_param(v).map_err(|()| "records must be a JSON list of objects".to_owned())?,
    };
    let Value::Array(list) = value else { return Err("records must be a list of objects".to_owned()) };
    list.into_iter()
        .enumerate()
        .map(|(i, r)| match r {
            Value::Object(map) => Ok(map),
            _ => Err(format!("row {}: not an object", i + 1)),
        })
        .collect()
}

/// The columns API records name, in order of first appearance, each of the
/// narrowest type that holds all their values.
pub fn infer_records(records: &[Map<String, Value>]) -> Vec<Field> {
    let mut names: Vec<String> = Vec::new();
    let mut inference = Inference::default();
    for record in records {
        for (key, value) in record {
            let i = match names.iter().position(|n| n == key) {
                Some(i) => i,
                None => {
                    names.push(key.clone());
                    inference.kinds.push(None);
                    names.len() - 1
                }
            };
            inference.see(i, classify_json(value));
        }
    }
    names.into_iter().zip(inference.kinds()).map(|(n, k)| Field::new(n, k)).collect()
}

/// An API record as cells of the table's columns, `None` where it names no
/// value; `row` counts from 1 for the message.
pub fn record_cells(fields: &[Field], record: &Map<String, Value>, row: usize) -> Result<Vec<Option<Cell>>, String> {
    if let Some(unknown) = record.keys().find(|k| !fields.iter().any(|f| &f.id == *k)) {
        return Err(format!("row {row}: field \"{}\" not in table", excerpt(unknown)));
    }
    fields
        .iter()
        .map(|f| {
            record
                .get(&f.id)
                .map(|v| cell_of_json(f.kind, v).map_err(|reason| format!("row {row}, field \"{}\": {reason}", f.id)))
                .transpose()
        })
        .collect()
}

/// Why a file row does not go in: its column (none when the row itself is
/// wrong), the value, the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowFault {
    pub column: Option<String>,
    pub value: String,
    pub reason: String,
}

/// A file row as cells of the columns, or the first thing wrong with it.
pub fn row_cells(fields: &[Field], cells: Result<Vec<String>, String>) -> Result<Vec<Cell>, RowFault> {
    let cells = cells.map_err(|reason| RowFault { column: None, value: String::new(), reason })?;
    if cells.len() != fields.len() {
        return Err(RowFault {
            column: None,
            value: excerpt(&cells.join(",")),
            reason: format!("has {} values; the header has {}", cells.len(), fields.len()),
        });
    }
    fields
        .iter()
        .zip(cells)
        .map(|(f, text)| {
            parse_cell(f.kind, &text).map_err(|reason| RowFault {
                column: Some(f.id.clone()),
                value: excerpt(&text),
                reason: reason.to_owned(),
            })
        })
        .collect()
}

/// A timestamp as CKAN writes it: `2026-12-01T08:00:00`, with the fraction if any.
pub fn timestamp_text(t: &PrimitiveDateTime) -> String {
    let mut out = format!("{}T{:02}:{:02}:{:02}", t.date(), t.hour(), t.minute(), t.second());
    if t.microsecond() != 0 {
        out.push_str(&format!(".{:06}", t.microsecond()));
    }
    out
}

/// How `datastore_search` matches text.
#[derive(Debug, Clone, PartialEq)]
pub enum Q {
    /// Every word in some text column (case-insensitive).
    Words(Vec<String>),
    /// Each column's text containing its word (case-insensitive).
    PerField(Vec<(String, String)>),
}

/// `datastore_search`'s parameters, checked against the table's columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Search {
    /// The columns returned, in order (`_id` too unless `distinct`).
    pub fields: Vec<Field>,
    /// Column and the values it must have one of.
    pub filters: Vec<(Field, Vec<Cell>)>,
    pub q: Option<Q>,
    /// Column and whether descending.
    pub sort: Vec<(Field, bool)>,
    pub limit: i64,
    pub offset: i64,
    pub distinct: bool,
    pub include_total: bool,
    /// `objects` (CKAN's default) or `lists`.
    pub lists: bool,
}

fn add(errors: &mut Errors, field: &str, message: impl Into<String>) {
    errors.entry(field.to_owned()).or_default().push(message.into());
}

/// The column named `name`, `_id` included.
fn column<'a>(all: &'a [Field], id: &'a Field, name: &str) -> Option<&'a Field> {
    if name == ID { Some(id) } else { all.iter().find(|f| f.id == name) }
}

/// A parameter that may come as JSON text (GET) or as JSON (POST).
fn json_param(value: &Value) -> Result<Value, ()> {
    match value {
        Value::String(s) if s.trim().is_empty() => Ok(Value::Null),
        Value::String(s) if s.trim_start().starts_with(['{', '[']) => serde_json::from_str(s).map_err(|_| ()),
        other => Ok(other.clone()),
    }
}

/// `filters`: `{column: value or [values]}`, each value read as its column's type.
pub fn filters_of(value: &Value, all: &[Field]) -> Result<Vec<(Field, Vec<Cell>)>, String> {
    let id = Field::new(ID, Kind::Int);
    let value = json_param(value).map_err(|()| "filters must be a JSON object".to_owned())?;
    let Value::Object(map) = value else {
        return if value.is_null() { Ok(Vec::new()) } else { Err("filters must be an object".to_owned()) };
    };
    let mut out = Vec::new();
    for (name, wanted) in &map {
        let field = column(all, &id, name).ok_or_else(|| format!("field \"{}\" not in table", excerpt(name)))?;
        let values: Vec<&Value> = match wanted {
            Value::Array(list) => list.iter().collect(),
            one => vec![one],
        };
        if values.is_empty() || values.len() > 1000 {
            return Err(format!("field \"{}\": 1 to 1000 values", excerpt(name)));
        }
        let mut cells = Vec::with_capacity(values.len());
        for v in values {
            let cell =
                cell_of_json(field.kind, v).map_err(|reason| format!("field \"{}\": {reason}", excerpt(name)))?;
            cells.push(cell);
        }
        out.push((field.clone(), cells));
    }
    Ok(out)
}

/// `sort`: `column [asc|desc]`, comma-separated.
fn sort_of(text: &str, all: &[Field]) -> Result<Vec<(Field, bool)>, String> {
    let id = Field::new(ID, Kind::Int);
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, desc) = match part.rsplit_once(' ') {
            Some((name, dir)) if dir.eq_ignore_ascii_case("desc") => (name.trim(), true),
            Some((name, dir)) if dir.eq_ignore_ascii_case("asc") => (name.trim(), false),
            _ => (part, false),
        };
        let name = name.strip_prefix('"').and_then(|n| n.strip_suffix('"')).unwrap_or(name);
        let field = column(all, &id, name).ok_or_else(|| format!("field \"{}\" not in table", excerpt(name)))?;
        out.push((field.clone(), desc));
    }
    Ok(out)
}

/// `q`: words over every text column, or `{column: word}`.
fn q_of(value: &Value, all: &[Field]) -> Result<Option<Q>, String> {
    let value = json_param(value).map_err(|()| "q must be text or a JSON object".to_owned())?;
    match value {
        Value::Null => Ok(None),
        Value::String(s) if s.contains('\0') => Err("q must not contain a NUL character".to_owned()),
        Value::String(s) => {
            let words: Vec<String> = s.split_whitespace().map(str::to_lowercase).collect();
            if words.len() > 32 || s.len() > 500 {
                return Err("at most 32 words and 500 characters".to_owned());
            }
            Ok((!words.is_empty()).then_some(Q::Words(words)))
        }
        Value::Object(map) => {
            let mut out = Vec::new();
            for (name, word) in &map {
                if !all.iter().any(|f| &f.id == name) {
                    return Err(format!("field \"{}\" not in table", excerpt(name)));
                }
                let Some(word) = word.as_str().filter(|w| w.len() <= 500 && !w.contains('\0')) else {
                    return Err(format!("field \"{}\": a text of at most 500 characters", excerpt(name)));
                };
                out.push((name.clone(), word.to_lowercase()));
            }
            Ok((!out.is_empty()).then_some(Q::PerField(out)))
        }
        _ => Err("q must be text or an object".to_owned()),
    }
}

fn flag(params: &Map<String, Value>, name: &str, default: bool, errors: &mut Errors) -> bool {
    match crate::catalogue::bool_of(params.get(name)) {
        Ok(b) => b.unwrap_or(default),
        Err(crate::catalogue::NotABool) => {
            add(errors, name, "Must be true or false");
            default
        }
    }
}

fn number(params: &Map<String, Value>, name: &str, errors: &mut Errors) -> Option<i64> {
    crate::search::integer(params, name, 0).unwrap_or_else(|message| {
        add(errors, name, message);
        None
    })
}

impl Search {
    /// Reads and checks `datastore_search`'s parameters against the table's
    /// columns; every wrong one is named with its message.
    pub fn parse(params: &Map<String, Value>, all: &[Field]) -> Result<Search, Errors> {
        let mut errors = Errors::new();
        let limit = number(params, "limit", &mut errors).unwrap_or(LIMIT_DEFAULT).min(LIMIT_MAX);
        let offset = number(params, "offset", &mut errors).unwrap_or(0);
        let distinct = flag(params, "distinct", false, &mut errors);
        let include_total = flag(params, "include_total", true, &mut errors);
        let id = Field::new(ID, Kind::Int);
        let fields = match params.get("fields").map(names_of).transpose() {
            Ok(Some(names)) if !names.is_empty() => {
                let mut out = Vec::new();
                for name in names {
                    match column(all, &id, &name) {
                        Some(f) => out.push(f.clone()),
                        None => add(&mut errors, "fields", format!("field \"{}\" not in table", excerpt(&name))),
                    }
                }
                out
            }
            Ok(_) => {
                let mut out = if distinct { Vec::new() } else { vec![id.clone()] };
                out.extend(all.iter().cloned());
                out
            }
            Err(message) => {
                add(&mut errors, "fields", message);
                Vec::new()
            }
        };
        let filters = params.get("filters").map(|v| filters_of(v, all)).transpose().unwrap_or_else(|m| {
            add(&mut errors, "filters", m);
            None
        });
        let q = params.get("q").map(|v| q_of(v, all)).transpose().unwrap_or_else(|m| {
            add(&mut errors, "q", m);
            None
        });
        let sort = match crate::search::text(params, "sort") {
            Some(text) => sort_of(&text, all).unwrap_or_else(|m| {
                add(&mut errors, "sort", m);
                Vec::new()
            }),
            None if !distinct => vec![(id, false)],
            None => Vec::new(),
        };
        let lists = match crate::search::text(params, "records_format").as_deref() {
            None | Some("objects") => false,
            Some("lists") => true,
            Some(_) => {
                add(&mut errors, "records_format", "Must be objects or lists");
                false
            }
        };
        if distinct && let Some((f, _)) = sort.iter().find(|(f, _)| !fields.contains(f)) {
            add(&mut errors, "sort", format!("with distinct, sort only by fields returned (not \"{}\")", f.id));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Search {
            fields,
            filters: filters.unwrap_or_default(),
            q: q.flatten(),
            sort,
            limit,
            offset,
            distinct,
            include_total,
            lists,
        })
    }
}

/// A row of a file that was not loaded, and why.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RowProblem {
    /// The row's number among the data rows (1 = the first after the header).
    pub row: u64,
    /// The line of the file it starts on (CSV only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// The column whose value does not fit (none when the row itself is wrong).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// The start of the value.
    pub value: String,
    pub reason: String,
}

/// What a load did.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LoadReport {
    pub resource_id: String,
    /// Data rows in the file.
    pub rows_total: u64,
    pub rows_loaded: u64,
    pub rows_rejected: u64,
    /// The columns and their types.
    #[serde(serialize_with = "fields_json")]
    pub fields: Vec<Field>,
    /// The first [`PROBLEMS_KEPT`] rejected rows.
    pub problems: Vec<RowProblem>,
    pub seconds: f64,
}

fn fields_json<S: serde::Serializer>(fields: &[Field], s: S) -> Result<S::Ok, S::Error> {
    use serde::Serialize;
    fields.iter().map(Field::dict).collect::<Vec<_>>().serialize(s)
}

/// How many rows go in one INSERT: a few hundred, within both databases'
/// limits on bound values (SQLite 32,766; PostgreSQL 65,535).
pub fn batch_rows(columns: usize) -> usize {
    (30_000 / columns.max(1)).clamp(1, 500)
}

/// The table of a resource's data: its ID without dashes and the load's
/// number (each load fills a new table, then takes the old one's place).
/// `None` when the ID is not a UUID (every resource's is).
pub fn table_name(resource_id: &str, generation: i32) -> Option<String> {
    let id = uuid::Uuid::parse_str(resource_id).ok()?;
    Some(format!("opendata_ds_{}_{generation}", id.simple()))
}

/// Why an action was refused, in CKAN's kinds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    NotFound(String),
    Authorization(String),
    Validation(Errors),
}

impl Refusal {
    pub fn invalid(field: &str, message: impl Into<String>) -> Refusal {
        Refusal::Validation(Errors::from([(field.to_owned(), vec![message.into()])]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn values_take_the_narrowest_type() {
        for (text, kind) in [
            ("42", Some(Kind::Int)),
            ("-7", Some(Kind::Int)),
            ("007", Some(Kind::Text)),
            ("0", Some(Kind::Int)),
            ("3.5", Some(Kind::Numeric)),
            ("1e3", Some(Kind::Numeric)),
            ("inf", Some(Kind::Text)),
            ("NaN", Some(Kind::Text)),
            ("99999999999999999999", Some(Kind::Numeric)),
            ("Y", Some(Kind::Bool)),
            ("no", Some(Kind::Bool)),
            ("2026-12-01", Some(Kind::Date)),
            ("1/12/2026", Some(Kind::Date)),
            ("31/02/2026", Some(Kind::Text)),
            ("2026-12-01T08:00:00+08:00", Some(Kind::Timestamp)),
            ("2026-12-01 08:00:00", Some(Kind::Timestamp)),
            ("Sha Tin", Some(Kind::Text)),
            ("  ", None),
            ("", None),
        ] {
            assert_eq!(classify(text), kind, "{text:?}");
        }
    }

    #[test]
    fn a_column_widens_over_all_its_values() {
        let mut i = Inference::new(3);
        for row in [["1", "2026-01-01", ""], ["2", "2026-01-02T10:00:00Z", ""], ["2.5", "2026-01-03", ""]] {
            for (c, v) in row.iter().enumerate() {
                i.see(c, classify(v));
            }
        }
        assert_eq!(i.kinds(), [Kind::Numeric, Kind::Timestamp, Kind::Text]);
        let mut i = Inference::new(1);
        for v in ["1", "2", "yes"] {
            i.see(0, classify(v));
        }
        assert_eq!(i.kinds(), [Kind::Text]);
    }

    #[test]
    fn cells_read_as_their_types_or_say_why_not() {
        assert_eq!(parse_cell(Kind::Int, " 12 "), Ok(Cell::Int(12)));
        assert_eq!(parse_cell(Kind::Int, "12.5"), Err("not a whole number"));
        assert!(parse_cell(Kind::Int, "99999999999999999999").unwrap_err().contains("out of range"));
        assert_eq!(parse_cell(Kind::Int, ""), Ok(Cell::Null));
        assert_eq!(parse_cell(Kind::Bool, "N"), Ok(Cell::Bool(false)));
        assert_eq!(
            parse_cell(Kind::Timestamp, "2026-12-01T08:00:00+08:00"),
            Ok(Cell::Timestamp(time::macros::datetime!(2026-12-01 00:00:00)))
        );
        assert_eq!(parse_cell(Kind::Date, "01/12/2026"), Ok(Cell::Date(time::macros::date!(2026 - 12 - 01))));
        assert_eq!(parse_cell(Kind::Text, "a\0b"), Err("contains a NUL character"));
        assert_eq!(cell_of_json(Kind::Int, &json!(3)), Ok(Cell::Int(3)));
        assert!(cell_of_json(Kind::Int, &json!(true)).is_err());
    }

    #[test]
    fn column_names_follow_ckans_rules() {
        assert_eq!(name_problem("rainfall (mm)"), None);
        assert_eq!(name_problem("地區"), None);
        for bad in ["", "_id", "a\"b", " x", &"x".repeat(64), "a\nb"] {
            assert!(name_problem(bad).is_some(), "{bad:?}");
        }
        assert!(names_problem(&["a".into(), "a".into()]).unwrap().contains("twice"));
    }

    #[test]
    fn search_names_only_known_columns() {
        let all = vec![Field::new("district", Kind::Text), Field::new("pm25", Kind::Numeric)];
        let params = |v: Value| v.as_object().unwrap().clone();
        let s = Search::parse(
            &params(json!({"filters": "{\"district\": [\"Sha Tin\", \"Tai Po\"]}", "sort": "pm25 desc, _id",
                           "limit": "50000", "fields": "district,pm25", "q": "sha"})),
            &all,
        )
        .unwrap();
        assert_eq!(s.limit, LIMIT_MAX);
        assert_eq!(s.fields.len(), 2);
        assert_eq!(
            s.sort.iter().map(|(f, d)| (f.id.as_str(), *d)).collect::<Vec<_>>(),
            [("pm25", true), ("_id", false)]
        );
        assert_eq!(s.filters[0].1, [Cell::Text("Sha Tin".into()), Cell::Text("Tai Po".into())]);
        let e = Search::parse(
            &params(json!({"sort": "pm25; DROP TABLE x", "filters": {"nope": 1}, "fields": ["district", "x\" --"],
                           "limit": "-1", "q": {"pm": "x"}})),
            &all,
        )
        .unwrap_err();
        for key in ["sort", "filters", "fields", "limit", "q"] {
            assert!(e.contains_key(key), "{key}: {e:?}");
        }
        let e = Search::parse(&params(json!({"filters": {"pm25": "lots"}})), &all).unwrap_err();
        assert!(e["filters"][0].contains("not a number"), "{e:?}");
    }

    #[test]
    fn overrides_and_tables_are_named_safely() {
        assert_eq!(override_of("station=text"), Ok(("station".to_owned(), Kind::Text)));
        assert!(override_of("station").is_err());
        assert!(override_of("a=blob").is_err());
        assert_eq!(
            table_name("0190b3a4-1111-7000-8000-000000000001", 2).unwrap(),
            "opendata_ds_0190b3a4111170008000000000000001_2"
        );
        assert_eq!(table_name("x\"; DROP", 1), None);
        assert_eq!(batch_rows(3), 500);
        assert_eq!(batch_rows(1000), 30);
    }

    proptest! {
        // A column's inferred type reads every value the column holds: a
        // load never rejects a row of a file whose types it inferred itself.
        #[test]
        fn the_inferred_type_reads_every_value(values in proptest::collection::vec(
            prop_oneof![
                "-?[0-9]{1,19}", "-?[0-9]{1,5}\\.[0-9]{1,4}", "(true|false|yes|no|Y|N|y|n)",
                "20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])", "[0-3]?[0-9]/[01]?[0-9]/[0-9]{4}",
                "20[0-9]{2}-0[1-9]-1[0-9]T[01][0-9]:[0-5][0-9]:[0-5][0-9](Z|\\+08:00)?", "\\PC{0,12}", ".{0,8}",
            ], 1..20)) {
            let mut inference = Inference::new(1);
            for v in &values {
                inference.see(0, classify(v));
            }
            let kind = inference.kinds()[0];
            for v in &values {
                if !v.contains('\0') {
                    prop_assert!(parse_cell(kind, v).is_ok(), "{v:?} as {kind:?}");
                }
            }
        }

        // Any text at all: parsing never panics, and a value read as its
        // own narrowest type is read as every wider one too.
        #[test]
        fn parsing_any_text_is_total(text in "\\PC{0,30}|[0-9eE+\\-./: T]{0,30}") {
            for kind in Kind::ALL {
                let _ = parse_cell(kind, &text);
            }
            if let Some(k) = classify(&text) {
                prop_assert!(parse_cell(k, &text).is_ok());
                for wider in Kind::ALL {
                    if k.join(wider) == wider && !text.contains('\0') {
                        prop_assert!(parse_cell(wider, &text).is_ok(), "{text:?} {k:?} -> {wider:?}");
                    }
                }
            }
        }
    }
}
