//! Files, the rules without I/O: a resource's uploaded file is kept as a
//! content-addressed blob (SHA-256) in chunk rows, each upload a new
//! version of the resource; what a download is called and served as (a
//! tidied file name, the format guessed from it, a media type that never
//! lets an upload run as a page); lionrock's own download URL and the
//! resource it names; and the parameters of data.gov.hk's historical
//! archive API (`YYYYMMDD` days and `YYYYMMDD-HHMM` minutes on Hong Kong's
//! clock, `max` and `skip`), each refusal precise.

pub mod fetch;
pub mod http;
pub mod store;

use std::collections::HashMap;

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

/// Bytes per chunk row: neither a write nor a read holds more of a file.
pub const CHUNK_BYTES: usize = 1 << 20;

/// The longest file name kept (CKAN's `munge_filename` keeps 100 before the extension).
const FILENAME_MAX: usize = 100;

/// One version of a resource's file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub id: String,
    pub resource_id: String,
    /// 1 for the first version of the resource, then 2, 3, …
    pub seq: i32,
    /// Lower-case hex.
    pub sha256: String,
    pub size: i64,
    pub filename: String,
    pub media_type: String,
    /// `upload` (a publisher sent it) or `fetch` (lionrock fetched a link).
    pub source: String,
    pub uploaded_at: OffsetDateTime,
    /// An account ID, `cli` or `demo`.
    pub uploaded_by: String,
}

/// CKAN's `hash` field of a file we hold: `sha256:<hex>`.
pub fn hash_field(sha256: &str) -> String {
    format!("sha256:{sha256}")
}

/// Whether `s` is a SHA-256 as we store it: 64 lower-case hex digits.
pub fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A file name safe in a URL path and a `Content-Disposition` header, from
/// what a client sent: the last path segment (browsers may send a whole
/// path), letters, digits, `.`, `-` and `_` kept, anything else `_`, no
/// leading dot, at most 100 characters with the extension kept.
pub fn tidy_filename(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let mut name: String =
        last.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '_' }).collect();
    while name.starts_with('.') {
        name.remove(0);
    }
    if name.len() > FILENAME_MAX {
        let ext = name.rsplit_once('.').map(|(_, e)| e.to_owned()).filter(|e| e.len() <= 16).unwrap_or_default();
        let keep = FILENAME_MAX - if ext.is_empty() { 0 } else { ext.len() + 1 };
        name.truncate(keep);
        if !ext.is_empty() {
            name = format!("{name}.{ext}");
        }
    }
    if name.trim_matches(['_', '.']).is_empty() { "file".to_owned() } else { name }
}

/// The format CKAN would show for a file name: its extension, upper-case
/// (`rain.csv` is `CSV`); empty without one.
pub fn format_of(filename: &str) -> String {
    match filename.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && !ext.is_empty() && ext.len() <= 16 => ext.to_ascii_uppercase(),
        _ => String::new(),
    }
}

/// The media type a download is served as: from the file name's
/// extension, else from the format, else `application/octet-stream`.
pub fn media_type(filename: &str, format: &str) -> String {
    let by_name = mime_guess::from_path(filename).first();
    let by_format = || mime_guess::from_ext(&format.to_ascii_lowercase()).first();
    by_name.or_else(by_format).map_or_else(|| "application/octet-stream".to_owned(), |m| m.essence_str().to_owned())
}

/// Media types a browser may show in the page (data and pictures that run
/// nothing). Anything else (HTML, SVG, XML, scripts, unknown types) is sent
/// as an attachment, so an upload never runs as a page of ours.
const SHOWN_INLINE: [&str; 9] = [
    "text/csv",
    "text/plain",
    "application/json",
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/octet-stream",
];

pub fn inline(media_type: &str) -> bool {
    SHOWN_INLINE.contains(&media_type)
}

/// `/dataset/{dataset}/resource/{resource}/download/{filename}`: CKAN's
/// form of an uploaded file's address (the public URL goes before it).
pub fn download_path(dataset_id: &str, resource_id: &str, filename: &str) -> String {
    format!("/dataset/{dataset_id}/resource/{resource_id}/download/{filename}")
}

/// The resource a download URL of ours names, if `url` is one.
pub fn resource_of_url(public_url: &str, url: &str) -> Option<String> {
    let path = url.strip_prefix(public_url.trim_end_matches('/'))?;
    let path = path.split(['?', '#']).next().unwrap_or("");
    let mut parts = path.split('/');
    match (parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(""), Some("dataset"), Some(d), Some("resource"), Some(r), Some("download"))
            if !d.is_empty() && !r.is_empty() && parts.count() <= 1 =>
        {
            Some(r.to_owned())
        }
        _ => None,
    }
}

// ---- the historical archive's parameters ----

/// What is wrong with a parameter: the field, a stable code, the message's
/// Fluent key and an English note for developers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub field: &'static str,
    pub code: &'static str,
    pub key: &'static str,
    pub detail: String,
}

fn refusal(field: &'static str, code: &'static str, key: &'static str, detail: impl Into<String>) -> Refusal {
    Refusal { field, code, key, detail: detail.into() }
}

/// `YYYYMMDD`, a day on Hong Kong's clock.
pub fn parse_day(s: &str) -> Option<Date> {
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year: i32 = s[..4].parse().ok()?;
    let month = Month::try_from(s[4..6].parse::<u8>().ok()?).ok()?;
    Date::from_calendar_date(year, month, s[6..].parse().ok()?).ok()
}

/// `YYYYMMDD-HHMM`, a minute on Hong Kong's clock.
pub fn parse_minute(s: &str) -> Option<PrimitiveDateTime> {
    let (day, hm) = s.split_once('-')?;
    if hm.len() != 4 || !hm.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let time = Time::from_hms(hm[..2].parse().ok()?, hm[2..].parse().ok()?, 0).ok()?;
    Some(PrimitiveDateTime::new(parse_day(day)?, time))
}

/// A local time as the archive writes it: `YYYYMMDD-HHMM`.
pub fn stamp(local: PrimitiveDateTime) -> String {
    format!(
        "{:04}{:02}{:02}-{:02}{:02}",
        local.year(),
        u8::from(local.month()),
        local.day(),
        local.hour(),
        local.minute()
    )
}

/// `get-file`'s `time`: a minute (the version current at its end), or a
/// whole day (current at the day's end).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moment {
    Minute(PrimitiveDateTime),
    Day(Date),
}

impl Moment {
    /// The first local instant after the moment: versions before it count.
    pub fn until(self) -> PrimitiveDateTime {
        match self {
            Moment::Minute(t) => t.saturating_add(time::Duration::MINUTE),
            Moment::Day(d) => d.next_day().unwrap_or(d).midnight(),
        }
    }
}

pub fn parse_moment(s: &str) -> Result<Moment, Refusal> {
    if let Some(t) = parse_minute(s) {
        return Ok(Moment::Minute(t));
    }
    if let Some(d) = parse_day(s) {
        return Ok(Moment::Day(d));
    }
    let detail = if s.is_empty() {
        "time is required: YYYYMMDD-HHMM (Hong Kong time), e.g. 20261201-0930".to_owned()
    } else {
        format!("time {s:?} is not a time: YYYYMMDD-HHMM (Hong Kong time), e.g. 20261201-0930")
    };
    Err(refusal("time", if s.is_empty() { "required" } else { "invalid" }, "opendata-archive-bad-time", detail))
}

/// A period of whole days, `start` to `end` inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub start: Date,
    pub end: Date,
}

fn day_param(params: &HashMap<String, String>, field: &'static str, errors: &mut Vec<Refusal>) -> Option<Date> {
    let raw = params.get(field).map(|s| s.trim()).unwrap_or("");
    if raw.is_empty() {
        let detail = format!("{field} is required: a day as YYYYMMDD, e.g. 20261201");
        errors.push(refusal(field, "required", "opendata-archive-day-required", detail));
        return None;
    }
    let day = parse_day(raw);
    if day.is_none() {
        let detail = format!("{field} {raw:?} is not a day: YYYYMMDD, e.g. 20261201");
        errors.push(refusal(field, "invalid", "opendata-archive-bad-day", detail));
    }
    day
}

/// `start` and `end` (both required, `end` not before `start`).
pub fn period(params: &HashMap<String, String>, errors: &mut Vec<Refusal>) -> Option<Period> {
    let start = day_param(params, "start", errors);
    let end = day_param(params, "end", errors);
    let (start, end) = (start?, end?);
    if end < start {
        let detail = format!("end {end} is before start {start}");
        errors.push(refusal("end", "before-start", "opendata-archive-end-before-start", detail));
        return None;
    }
    Some(Period { start, end })
}

/// `list-files`' order: by dataset, then resource name, A to Z or Z to A.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    #[default]
    Asc,
    Desc,
}

/// The most files one `list-files` call gives.
pub const MAX_FILES: u32 = 1000;
/// How many it gives when `max` is not said.
pub const DEFAULT_FILES: u32 = 100;

/// `list-files`' parameters, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListFiles {
    pub period: Period,
    pub category: Option<String>,
    pub provider: Option<String>,
    /// Upper-case, as formats are kept.
    pub format: Option<String>,
    /// Lower-case words that must all appear in the dataset's or resource's names.
    pub search: Vec<String>,
    pub order: Order,
    pub max: u32,
    pub skip: u32,
}

fn number(
    params: &HashMap<String, String>,
    field: &'static str,
    range: std::ops::RangeInclusive<u32>,
    default: u32,
    errors: &mut Vec<Refusal>,
) -> u32 {
    let Some(raw) = params.get(field).map(|s| s.trim()).filter(|s| !s.is_empty()) else { return default };
    match raw.parse::<u32>().ok().filter(|n| range.contains(n)) {
        Some(n) => n,
        None => {
            let detail = format!("{field} {raw:?} must be a whole number from {} to {}", range.start(), range.end());
            errors.push(refusal(field, "out-of-range", "opendata-archive-out-of-range", detail));
            default
        }
    }
}

fn text(params: &HashMap<String, String>, field: &str) -> Option<String> {
    params.get(field).map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

pub fn list_files(params: &HashMap<String, String>) -> Result<ListFiles, Vec<Refusal>> {
    let mut errors = Vec::new();
    let period = period(params, &mut errors);
    let order = match text(params, "order").as_deref() {
        None | Some("asc") => Order::Asc,
        Some("desc") => Order::Desc,
        Some(other) => {
            let detail = format!("order {other:?} must be asc or desc");
            errors.push(refusal("order", "invalid", "opendata-archive-bad-order", detail));
            Order::Asc
        }
    };
    let max = number(params, "max", 1..=MAX_FILES, DEFAULT_FILES, &mut errors);
    let skip = number(params, "skip", 0..=u32::MAX, 0, &mut errors);
    let search: Vec<String> = text(params, "search")
        .map(|s| s.to_lowercase().split_whitespace().take(16).map(str::to_owned).collect())
        .unwrap_or_default();
    for (field, value) in params {
        if value.len() > 500 {
            let field = ["category", "provider", "format", "search", "url"]
                .into_iter()
                .find(|f| f == field)
                .unwrap_or("search");
            errors.push(refusal(
                field,
                "too-long",
                "opendata-archive-too-long",
                format!("{field} is over 500 characters"),
            ));
        }
    }
    match period {
        Some(period) if errors.is_empty() => Ok(ListFiles {
            period,
            category: text(params, "category"),
            provider: text(params, "provider"),
            format: text(params, "format").map(|f| f.to_ascii_uppercase()),
            search,
            order,
            max,
            skip,
        }),
        _ => Err(errors),
    }
}

/// `url`, required, of a file in the archive.
pub fn url_param(params: &HashMap<String, String>, errors: &mut Vec<Refusal>) -> Option<String> {
    match text(params, "url") {
        None => {
            errors.push(refusal("url", "required", "opendata-archive-url-required", "url is required: a file's URL"));
            None
        }
        Some(u) if u.len() > 2000 => {
            errors.push(refusal("url", "too-long", "opendata-archive-too-long", "url is over 2000 characters"));
            None
        }
        Some(u) => Some(u),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    fn params(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn file_names_are_tidied_for_urls_and_headers() {
        assert_eq!(tidy_filename("rain.csv"), "rain.csv");
        assert_eq!(tidy_filename("C:\\Users\\me\\雨量 2026.csv"), "___2026.csv");
        assert_eq!(tidy_filename("/etc/../.passwd"), "passwd");
        assert_eq!(tidy_filename("a\"b;c\r\n.csv"), "a_b_c__.csv");
        assert_eq!(tidy_filename(""), "file");
        assert_eq!(tidy_filename("..."), "file");
        let long = format!("{}.xlsx", "x".repeat(300));
        let tidy = tidy_filename(&long);
        assert_eq!(tidy.len(), FILENAME_MAX);
        assert!(tidy.ends_with(".xlsx"));
    }

    #[test]
    fn formats_and_media_types_come_from_the_name() {
        assert_eq!(format_of("rain.csv"), "CSV");
        assert_eq!(format_of("rain"), "");
        assert_eq!(format_of(".csv"), "");
        assert_eq!(media_type("rain.csv", ""), "text/csv");
        assert_eq!(media_type("file", "json"), "application/json");
        assert_eq!(media_type("file", ""), "application/octet-stream");
        assert!(inline("text/csv"));
        for active in ["text/html", "image/svg+xml", "application/xhtml+xml", "text/javascript", "text/xml"] {
            assert!(!inline(active), "{active}");
        }
    }

    #[test]
    fn our_download_urls_name_their_resource() {
        let base = "https://data.example.hk";
        let url = format!("{base}{}", download_path("d1", "r1", "rain.csv"));
        assert_eq!(resource_of_url(base, &url).as_deref(), Some("r1"));
        assert_eq!(
            resource_of_url(&format!("{base}/"), &format!("{base}/dataset/d/resource/r/download")),
            Some("r".into())
        );
        assert_eq!(resource_of_url(base, "https://elsewhere.hk/dataset/d/resource/r/download/x"), None);
        assert_eq!(resource_of_url(base, &format!("{base}/dataset/d/resource/r/other/x")), None);
        assert_eq!(resource_of_url(base, &format!("{base}/dataset/d/resource/r/download/x/y")), None);
    }

    #[test]
    fn days_and_minutes_are_read_as_the_archive_writes_them() {
        assert_eq!(parse_day("20261201"), Some(date!(2026 - 12 - 01)));
        for bad in ["2026121", "20261301", "20260230", "2026-12-01", "+2026120"] {
            assert_eq!(parse_day(bad), None, "{bad}");
        }
        let t = parse_minute("20261201-0930").unwrap();
        assert_eq!(t, datetime!(2026-12-01 09:30));
        assert_eq!(stamp(t), "20261201-0930");
        assert_eq!(parse_minute("20261201-2460"), None);
        assert_eq!(parse_moment("20261201-0930").unwrap().until(), datetime!(2026-12-01 09:31));
        assert_eq!(parse_moment("20261201").unwrap().until(), datetime!(2026-12-02 00:00));
        assert_eq!(parse_moment("yesterday").unwrap_err().code, "invalid");
        assert_eq!(parse_moment("").unwrap_err().code, "required");
    }

    #[test]
    fn list_files_refuses_each_bad_parameter_by_name() {
        let ok = list_files(&params(&[("start", "20261201"), ("end", "20261231"), ("format", "csv")])).unwrap();
        assert_eq!((ok.max, ok.skip, ok.order, ok.format.as_deref()), (100, 0, Order::Asc, Some("CSV")));
        let errors = list_files(&params(&[("start", "20261301"), ("max", "0"), ("order", "up")])).unwrap_err();
        let fields: Vec<(&str, &str)> = errors.iter().map(|e| (e.field, e.code)).collect();
        assert_eq!(fields, [("start", "invalid"), ("end", "required"), ("order", "invalid"), ("max", "out-of-range")]);
        let errors = list_files(&params(&[("start", "20261202"), ("end", "20261201")])).unwrap_err();
        assert_eq!((errors[0].field, errors[0].code), ("end", "before-start"));
        let errors = list_files(&params(&[("start", "20261201"), ("end", "20261201"), ("max", "1001")])).unwrap_err();
        assert_eq!(errors[0].detail, "max \"1001\" must be a whole number from 1 to 1000");
    }

    proptest::proptest! {
        #[test]
        fn any_client_file_name_becomes_a_safe_one(raw in "\\PC{0,300}") {
            let name = tidy_filename(&raw);
            proptest::prop_assert!(!name.is_empty() && name.len() <= FILENAME_MAX, "{name}");
            proptest::prop_assert!(name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)), "{name}");
            proptest::prop_assert!(!name.starts_with('.'), "{name}");
        }

        #[test]
        fn days_and_minutes_read_back_what_stamp_writes(days in 0i64..200_000, minute in 0i64..1440) {
            let day = date!(1900 - 01 - 01) + time::Duration::days(days);
            let t = day.midnight() + time::Duration::minutes(minute);
            proptest::prop_assert_eq!(parse_minute(&stamp(t)), Some(t));
            proptest::prop_assert_eq!(parse_day(&stamp(t)[..8]), Some(day));
        }

        #[test]
        fn any_text_is_refused_or_read_without_panicking(raw in "\\PC{0,20}") {
            let _ = parse_moment(&raw);
            let _ = resource_of_url("https://data.example.hk", &raw);
        }
    }
}
