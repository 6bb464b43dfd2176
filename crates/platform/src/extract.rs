//! Our own body extractors: bad input becomes a precise problem+json (for
//! APIs) instead of the framework's plain-text rejections.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;

use crate::error::{AppError, ErrorKind, FieldError};

/// A JSON request body (`Content-Type: application/json`). Unknown fields
/// are rejected where the target type says `deny_unknown_fields`.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

fn content_type_is(req: &Request, wanted: &str) -> bool {
    req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).and_then(|v| v.split(';').next()).is_some_and(
        |v| {
            let v = v.trim();
            v.eq_ignore_ascii_case(wanted) || (wanted == "application/json" && v.ends_with("+json"))
        },
    )
}

async fn body_bytes<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, AppError> {
    Bytes::from_request(req, state).await.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::new(ErrorKind::PayloadTooLarge)
        } else {
            AppError::new(ErrorKind::BadRequest).with_detail("the request body could not be read")
        }
    })
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !content_type_is(&req, "application/json") {
            return Err(
                AppError::new(ErrorKind::UnsupportedMediaType).with_detail("expected Content-Type: application/json")
            );
        }
        let bytes = body_bytes(req, state).await?;
        if std::str::from_utf8(&bytes).is_err() {
            return Err(AppError::new(ErrorKind::InvalidUtf8).with_detail("the request body is not valid UTF-8"));
        }
        let mut de = serde_json::Deserializer::from_slice(&bytes);
        let parsed = serde_path_to_error::deserialize::<_, T>(&mut de);
        if parsed.is_ok()
            && let Err(e) = de.end()
        {
            return Err(AppError::new(ErrorKind::MalformedJson).with_detail(format!(
                "unexpected data after the JSON value at line {} column {}",
                e.line(),
                e.column()
            )));
        }
        match parsed {
            Ok(v) => Ok(ApiJson(v)),
            Err(e) => {
                let inner = e.inner();
                if inner.is_syntax() || inner.is_eof() {
                    return Err(AppError::new(ErrorKind::MalformedJson).with_detail(format!(
                        "not valid JSON at line {} column {}",
                        inner.line(),
                        inner.column()
                    )));
                }
                let path = e.path().to_string();
                let pointer = if path == "." { String::new() } else { format!("/{}", path.replace('.', "/")) };
                let message = inner.to_string();
                let (code, key) = if message.starts_with("unknown field") {
                    ("unknown", "field-unknown")
                } else if message.starts_with("missing field") {
                    ("required", "field-required")
                } else if message.starts_with("invalid type") {
                    ("wrong-type", "field-wrong-type")
                } else {
                    ("invalid", "field-invalid")
                };
                // A missing field is reported at its parent; name the field itself.
                let field = match (code, message.split('`').nth(1)) {
                    ("required", Some(name)) => format!("{pointer}/{name}"),
                    _ => pointer,
                };
                Err(AppError::validation(vec![FieldError::new(field, code, key)]).with_detail(strip_position(&message)))
            }
        }
    }
}

/// serde_json appends " at line 1 column 9"; the field path says more.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// A URL-encoded form body. Pages usually take the raw pairs and validate
/// them into a form model so they can show the form again with its errors;
/// this extractor is for the common case of a fixed shape.
#[derive(Debug, Clone)]
pub struct PageForm<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for PageForm<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !content_type_is(&req, "application/x-www-form-urlencoded") {
            return Err(AppError::new(ErrorKind::UnsupportedMediaType));
        }
        let bytes = body_bytes(req, state).await?;
        if std::str::from_utf8(&bytes).is_err() {
            return Err(AppError::new(ErrorKind::InvalidUtf8));
        }
        let pairs = form_urlencoded_utf8_check(&bytes)?;
        serde_urlencoded::from_str::<T>(&pairs)
            .map(PageForm)
            .map_err(|e| AppError::new(ErrorKind::BadRequest).with_detail(e.to_string()))
    }
}

/// Rejects percent-encoded bytes that decode to invalid UTF-8 (which the
/// form decoder would otherwise replace silently).
fn form_urlencoded_utf8_check(bytes: &[u8]) -> Result<String, AppError> {
    let text = String::from_utf8(bytes.to_vec()).map_err(|_| AppError::new(ErrorKind::InvalidUtf8))?;
    for part in text.split('&') {
        let part = part.replace('+', " ");
        if percent_encoding::percent_decode_str(&part).decode_utf8().is_err() {
            return Err(AppError::new(ErrorKind::InvalidUtf8));
        }
    }
    Ok(text)
}
