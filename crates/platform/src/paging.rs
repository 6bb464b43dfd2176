//! Keyset (cursor) pagination for API lists: a `limit` (default 50, at most
//! 200; more is refused with a 400 problem naming `limit`, never clamped, so
//! a client learns its mistake), an opaque `cursor` (base64url of the last
//! row's sort time and ID; a malformed one is a 400 problem naming `cursor`),
//! and the next page's URL in an RFC 8288 `Link: <…>; rel="next"` header.
//! Lists run newest first on `(time, id)`, so rows added meanwhile never
//! shift a page: they sort before the first one.

use axum::http::HeaderValue;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use time::OffsetDateTime;

use crate::error::{AppError, ErrorKind, FieldError};

/// Items per page when the client does not say.
pub const DEFAULT_LIMIT: u64 = 50;
/// The most items a page may hold.
pub const MAX_LIMIT: u64 = 200;

/// The query parameters of a paged list, as sent (checked by [`PageQuery::parse`]).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items per page, 1 to 200 (default 50). A larger value is refused
    /// with 400, not clamped.
    #[param(value_type = u64, required = false, minimum = 1, maximum = 200)]
    pub limit: Option<String>,
    /// Where to continue: the `next` value of the previous page (also in
    /// its `Link` header). Opaque; omit it for the first page.
    #[param(value_type = String, required = false, pattern = "^[A-Za-z0-9_-]+$", max_length = 200)]
    pub cursor: Option<String>,
}

/// Where a page sorts after, newest first: the last row of the page before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub at: OffsetDateTime,
    pub id: String,
}

/// A checked page request.
#[derive(Debug, Clone)]
pub struct Page {
    pub limit: u64,
    pub after: Option<Cursor>,
}

impl Cursor {
    /// The opaque form: base64url (no padding) of `<unix microseconds>:<id>`.
    pub fn encode(&self) -> String {
        let micros = self.at.unix_timestamp_nanos() / 1000;
        URL_SAFE_NO_PAD.encode(format!("{micros}:{}", self.id))
    }

    /// Reads what [`Cursor::encode`] wrote; anything else is `None`.
    pub fn decode(text: &str) -> Option<Cursor> {
        if text.len() > 200 {
            return None;
        }
        let raw = URL_SAFE_NO_PAD.decode(text).ok()?;
        let raw = std::str::from_utf8(&raw).ok()?;
        let (micros, id) = raw.split_once(':')?;
        if micros.is_empty() || !micros.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return None;
        }
        let at = OffsetDateTime::from_unix_timestamp_nanos(micros.parse::<i128>().ok()?.checked_mul(1000)?).ok()?;
        Some(Cursor { at, id: id.to_owned() })
    }
}

fn bad_parameter(field: &str, code: &str, key: &str, detail: String) -> AppError {
    let mut error = AppError::new(ErrorKind::BadRequest).with_detail(detail);
    error.fields.push(FieldError::new(field, code, key).arg("max", MAX_LIMIT.to_string()));
    error
}

impl PageQuery {
    /// Checks the parameters: 400 naming `limit` or `cursor` when one is wrong.
    pub fn parse(&self) -> Result<Page, AppError> {
        let limit = match self.limit.as_deref() {
            None => DEFAULT_LIMIT,
            Some(text) => match text.trim().parse::<u64>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                Ok(_) => {
                    return Err(bad_parameter(
                        "limit",
                        "out-of-range",
                        "paging-limit-out-of-range",
                        format!("limit must be between 1 and {MAX_LIMIT}"),
                    ));
                }
                Err(_) => {
                    return Err(bad_parameter(
                        "limit",
                        "invalid",
                        "paging-limit-invalid",
                        "limit must be a whole number".to_owned(),
                    ));
                }
            },
        };
        let after = match self.cursor.as_deref() {
            None => None,
            Some(text) => Some(Cursor::decode(text).ok_or_else(|| {
                bad_parameter(
                    "cursor",
                    "invalid",
                    "paging-cursor-invalid",
                    "cursor is not one this server handed out".to_owned(),
                )
            })?),
        };
        Ok(Page { limit, after })
    }
}

/// The `Link` header pointing at the page after `cursor`: `<url>; rel="next"`.
pub fn next_link(base_url: &str, path: &str, limit: u64, cursor: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!("<{base_url}{path}?limit={limit}&cursor={cursor}>; rel=\"next\"")).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_cursor_survives_its_round_trip() {
        let c = Cursor {
            at: OffsetDateTime::from_unix_timestamp_nanos(1_767_225_600_123_456_000).unwrap(),
            id: "0199-ab".into(),
        };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
    }

    #[test]
    fn limits_outside_the_range_are_refused() {
        let q = |l: &str| PageQuery { limit: Some(l.to_owned()), cursor: None }.parse();
        assert_eq!(q("200").unwrap().limit, 200);
        assert_eq!(q("1").unwrap().limit, 1);
        assert_eq!(PageQuery::default().parse().unwrap().limit, DEFAULT_LIMIT);
        for bad in ["0", "201", "-1", "ten", ""] {
            let e = q(bad).unwrap_err();
            assert!(e.is(ErrorKind::BadRequest));
            assert_eq!(e.fields[0].field, "limit", "{bad}");
        }
    }

    proptest! {
        #[test]
        fn decoding_anything_never_panics(text in ".{0,300}") {
            let _ = Cursor::decode(&text);
        }

        #[test]
        fn decoded_cursors_encode_back(micros in 0i64..4_000_000_000_000_000, id in "[a-z0-9-]{1,64}") {
            let c = Cursor { at: OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000).unwrap(), id };
            prop_assert_eq!(Cursor::decode(&c.encode()), Some(c));
        }
    }
}
