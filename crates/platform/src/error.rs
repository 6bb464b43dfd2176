//! The one error catalogue: every failure a handler or layer can produce has
//! a [`ProblemType`]: a stable slug, an HTTP status, a problem `type` URI and
//! a translated title and detail. Platform's own kinds are [`ErrorKind`];
//! each domain declares its errors as enums implementing [`DomainError`],
//! mapping every variant to its problem type in one exhaustive match, and
//! lists their problem types in its `Module`. Everything is rendered in one
//! place (`web::render_errors`) as RFC 9457 problem+json or an accessible
//! HTML page, depending on who asked; forms show the same message in their
//! error summary.

use std::fmt;
use std::sync::Arc;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Every kind of error a client can see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    BadRequest,
    MalformedJson,
    InvalidUtf8,
    Unauthenticated,
    Forbidden,
    CsrfRejected,
    NotFound,
    MethodNotAllowed,
    Conflict,
    Duplicate,
    PayloadTooLarge,
    UnsupportedMediaType,
    Validation,
    RateLimited,
    Timeout,
    Unavailable,
    Internal,
    /// `Idempotency-Key` is empty, too long, not plain text, or repeated.
    IdempotencyKeyInvalid,
    /// The key was already used by this caller for a different request.
    IdempotencyKeyReused,
    /// The request that first used the key is still running.
    IdempotencyKeyInProgress,
    /// An `Authorization: Bearer` token that is unknown, expired or revoked
    /// (RFC 6750 `invalid_token`).
    InvalidToken,
    /// An app's access token lacks the OAuth scope the route needs (RFC 6750
    /// `insufficient_scope`; the detail names it as `scope`).
    InsufficientScope,
}

impl ErrorKind {
    /// Stable identifier, part of the public contract.
    pub const fn slug(self) -> &'static str {
        match self {
            ErrorKind::BadRequest => "bad-request",
            ErrorKind::MalformedJson => "malformed-json",
            ErrorKind::InvalidUtf8 => "invalid-utf8",
            ErrorKind::Unauthenticated => "unauthenticated",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::CsrfRejected => "csrf-rejected",
            ErrorKind::NotFound => "not-found",
            ErrorKind::MethodNotAllowed => "method-not-allowed",
            ErrorKind::Conflict => "conflict",
            ErrorKind::Duplicate => "duplicate",
            ErrorKind::PayloadTooLarge => "payload-too-large",
            ErrorKind::UnsupportedMediaType => "unsupported-media-type",
            ErrorKind::Validation => "validation",
            ErrorKind::RateLimited => "rate-limited",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::Internal => "internal",
            ErrorKind::IdempotencyKeyInvalid => "idempotency-key-invalid",
            ErrorKind::IdempotencyKeyReused => "idempotency-key-reused",
            ErrorKind::IdempotencyKeyInProgress => "idempotency-key-in-progress",
            ErrorKind::InvalidToken => "invalid-token",
            ErrorKind::InsufficientScope => "insufficient-scope",
        }
    }

    pub const fn status(self) -> StatusCode {
        match self {
            ErrorKind::BadRequest
            | ErrorKind::MalformedJson
            | ErrorKind::InvalidUtf8
            | ErrorKind::IdempotencyKeyInvalid => StatusCode::BAD_REQUEST,
            ErrorKind::Unauthenticated | ErrorKind::InvalidToken => StatusCode::UNAUTHORIZED,
            ErrorKind::Forbidden | ErrorKind::CsrfRejected | ErrorKind::InsufficientScope => StatusCode::FORBIDDEN,
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ErrorKind::Conflict | ErrorKind::Duplicate | ErrorKind::IdempotencyKeyInProgress => StatusCode::CONFLICT,
            ErrorKind::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorKind::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorKind::Validation | ErrorKind::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorKind::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ErrorKind::Timeout => StatusCode::SERVICE_UNAVAILABLE,
            ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Its problem type.
    pub const fn problem(self) -> ProblemType {
        ProblemType { slug: self.slug(), status: self.status() }
    }

    /// The kind for an error status a layer produced without our help.
    pub fn from_status(status: StatusCode) -> ErrorKind {
        match status {
            StatusCode::UNAUTHORIZED => ErrorKind::Unauthenticated,
            StatusCode::FORBIDDEN => ErrorKind::Forbidden,
            StatusCode::NOT_FOUND => ErrorKind::NotFound,
            StatusCode::METHOD_NOT_ALLOWED => ErrorKind::MethodNotAllowed,
            StatusCode::CONFLICT => ErrorKind::Conflict,
            StatusCode::PAYLOAD_TOO_LARGE => ErrorKind::PayloadTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorKind::UnsupportedMediaType,
            StatusCode::UNPROCESSABLE_ENTITY => ErrorKind::Validation,
            StatusCode::TOO_MANY_REQUESTS => ErrorKind::RateLimited,
            StatusCode::REQUEST_TIMEOUT | StatusCode::GATEWAY_TIMEOUT => ErrorKind::Timeout,
            StatusCode::SERVICE_UNAVAILABLE => ErrorKind::Unavailable,
            s if s.is_server_error() => ErrorKind::Internal,
            _ => ErrorKind::BadRequest,
        }
    }

    pub const ALL: [ErrorKind; 22] = [
        ErrorKind::BadRequest,
        ErrorKind::MalformedJson,
        ErrorKind::InvalidUtf8,
        ErrorKind::Unauthenticated,
        ErrorKind::Forbidden,
        ErrorKind::CsrfRejected,
        ErrorKind::NotFound,
        ErrorKind::MethodNotAllowed,
        ErrorKind::Conflict,
        ErrorKind::Duplicate,
        ErrorKind::PayloadTooLarge,
        ErrorKind::UnsupportedMediaType,
        ErrorKind::Validation,
        ErrorKind::RateLimited,
        ErrorKind::Timeout,
        ErrorKind::Unavailable,
        ErrorKind::Internal,
        ErrorKind::IdempotencyKeyInvalid,
        ErrorKind::IdempotencyKeyReused,
        ErrorKind::IdempotencyKeyInProgress,
        ErrorKind::InvalidToken,
        ErrorKind::InsufficientScope,
    ];
}

/// The stable identity of one kind of error: its slug (unique across
/// lionrock, part of the public contract: domains prefix theirs, e.g.
/// `identity-passkey-limit`) and its HTTP status. The problem `type` URI and
/// the Fluent keys of its title and detail follow from the slug.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProblemType {
    pub slug: &'static str,
    pub status: StatusCode,
}

impl ProblemType {
    pub const fn new(slug: &'static str, status: StatusCode) -> Self {
        Self { slug, status }
    }

    /// The problem `type` URI (RFC 9457 §3.1.1).
    pub fn type_uri(self) -> String {
        format!("urn:lionrock:problem:{}", self.slug)
    }

    /// Fluent key of the short title shown to people (a `/` in the slug
    /// becomes `-`: Fluent identifiers have no slashes).
    pub fn title_key(self) -> String {
        format!("error-{}-title", self.slug.replace('/', "-"))
    }

    /// Fluent key of the longer explanation shown to people.
    pub fn detail_key(self) -> String {
        format!("error-{}-detail", self.slug.replace('/', "-"))
    }
}

/// Platform's own problem types, one per [`ErrorKind`].
pub const PLATFORM_PROBLEMS: [ProblemType; 22] = {
    let mut all = [ErrorKind::Internal.problem(); 22];
    let mut i = 0;
    while i < ErrorKind::ALL.len() {
        all[i] = ErrorKind::ALL[i].problem();
        i += 1;
    }
    all
};

/// An error a domain declares. Implement it on an enum with one exhaustive
/// `match` (no catch-all arm), so a new variant cannot go without its
/// problem type; list every type in the module's `problems`, so a test can
/// check each has its title and detail in every language.
pub trait DomainError: fmt::Debug + Send + Sync + 'static {
    fn problem(&self) -> ProblemType;

    /// Values the translated detail names (`{ $max }`); never personal data.
    /// A value named `reason` is a stable machine code refining the problem
    /// type (why a booking is refused: `too-young`): API clients also get
    /// it as the problem's `reason` member, and the detail may select on it.
    fn args(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }

    /// The request field the error is about, if one (a form shows the
    /// message beside it; the API names it in `errors`).
    fn field(&self) -> Option<&'static str> {
        None
    }
}

impl<E: DomainError> From<E> for AppError {
    fn from(e: E) -> Self {
        let problem = e.problem();
        let args = e.args();
        let fields = e
            .field()
            .map(|field| {
                let mut f = FieldError::new(field, problem.slug, problem.detail_key());
                f.args = args.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect();
                vec![f]
            })
            .unwrap_or_default();
        AppError { problem, args, fields, ..AppError::new(ErrorKind::Internal) }
    }
}

/// One invalid field of a request.
#[derive(Debug, Clone, Serialize)]
pub struct FieldError {
    /// JSON pointer or form field name, e.g. `/email` or `email`.
    pub field: String,
    /// Stable machine code, e.g. `required`, `too-long`.
    pub code: String,
    /// Fluent key of the message; rendered in the asker's language.
    #[serde(skip)]
    pub message_key: String,
    #[serde(skip)]
    pub args: Vec<(String, String)>,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: impl Into<String>, message_key: impl Into<String>) -> Self {
        Self { field: field.into(), code: code.into(), message_key: message_key.into(), args: Vec::new() }
    }

    pub fn arg(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.args.push((name.into(), value.into()));
        self
    }
}

/// The error every handler returns.
pub struct AppError {
    pub problem: ProblemType,
    /// Values for the problem's translated detail.
    pub args: Vec<(&'static str, String)>,
    /// A developer's note for API clients, in English (say, which JSON
    /// property failed to parse); pages and people get the translated detail.
    pub detail: Option<String>,
    pub fields: Vec<FieldError>,
    /// Seconds to wait, for `RateLimited`.
    pub retry_after: Option<u32>,
    /// What went wrong inside: logged with the request ID, never sent.
    pub cause: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl AppError {
    pub fn new(kind: ErrorKind) -> Self {
        Self {
            problem: kind.problem(),
            args: Vec::new(),
            detail: None,
            fields: Vec::new(),
            retry_after: None,
            cause: None,
        }
    }

    pub fn is(&self, kind: ErrorKind) -> bool {
        self.problem == kind.problem()
    }

    /// Adds a developer's note (English) for API clients.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn validation(fields: Vec<FieldError>) -> Self {
        Self { fields, ..Self::new(ErrorKind::Validation) }
    }

    pub fn not_found() -> Self {
        Self::new(ErrorKind::NotFound)
    }

    pub fn rate_limited(retry_after_secs: u64) -> Self {
        let secs = u32::try_from(retry_after_secs).unwrap_or(u32::MAX).max(1);
        Self { retry_after: Some(secs), ..Self::new(ErrorKind::RateLimited) }
    }

    /// An app's access token lacks OAuth scope `scope` (`None`: the route
    /// takes no app at all, only the person themselves).
    pub fn insufficient_scope(scope: Option<&str>) -> Self {
        let error = Self::new(ErrorKind::InsufficientScope);
        match scope {
            Some(scope) => Self { args: vec![("scope", scope.to_owned())], ..error }
                .with_detail(format!("the access token was not granted the scope {scope}")),
            None => error.with_detail("this operation is not open to apps acting with an access token"),
        }
    }

    /// The `WWW-Authenticate` challenge of a bearer-token error (RFC 6750 §3).
    fn challenge(&self) -> Option<String> {
        if self.is(ErrorKind::InvalidToken) {
            return Some("Bearer realm=\"lionrock\", error=\"invalid_token\"".to_owned());
        }
        if !self.is(ErrorKind::InsufficientScope) {
            return None;
        }
        let mut value = "Bearer realm=\"lionrock\", error=\"insufficient_scope\"".to_owned();
        // Scope names are plain (`module::OAuthScope`), so they need no quoting.
        if let Some((_, scope)) = self.args.iter().find(|(k, _)| *k == "scope") {
            value.push_str(&format!(", scope=\"{scope}\""));
        }
        Some(value)
    }

    /// An error only the operator can fix; `cause` is logged, never shown.
    pub fn internal(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self { cause: Some(cause.into()), ..Self::new(ErrorKind::Internal) }
    }
}

impl fmt::Debug for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppError")
            .field("problem", &self.problem.slug)
            .field("detail", &self.detail)
            .field("fields", &self.fields)
            .field("cause", &self.cause.as_ref().map(|c| c.to_string()))
            .finish()
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.problem.slug)?;
        if let Some(cause) = &self.cause {
            write!(f, ": {cause}")?;
            let mut source = cause.source();
            while let Some(s) = source {
                write!(f, ": {s}")?;
                source = s.source();
            }
        }
        Ok(())
    }
}

/// A pool with no connection free within its acquire timeout becomes 503
/// `unavailable` with `Retry-After` (overload, not a fault). A unique key
/// that refused a write becomes 409 `duplicate` naming the
/// column (never the value), or a plain 409 `conflict` when the key is not
/// a plain column list (an expression index); any other database error is
/// internal. A store that knows which request field a key guards should
/// map the violation to its own domain error instead.
impl From<sea_orm::DbErr> for AppError {
    fn from(e: sea_orm::DbErr) -> Self {
        if matches!(e, sea_orm::DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout)) {
            // Every connection stayed busy for the whole acquire timeout: the
            // server is overloaded, not broken. The client may try again.
            tracing::warn!("database pool exhausted: answering 503");
            return AppError { retry_after: Some(1), cause: Some(e.into()), ..AppError::new(ErrorKind::Unavailable) };
        }
        let Some(columns) = crate::db::unique_violation(&e) else {
            return AppError::internal(e);
        };
        // Logged (the renderer logs only internal errors): a collision the
        // code did not expect deserves a look.
        tracing::warn!(error = %e, "unique key refused a write");
        let plain = !columns.is_empty()
            && columns.split(", ").all(|c| !c.is_empty() && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
        if !plain {
            return AppError { cause: Some(e.into()), ..AppError::new(ErrorKind::Conflict) };
        }
        AppError {
            args: vec![("field", columns.clone())],
            fields: vec![FieldError::new(columns.clone(), "duplicate", "error-duplicate-field").arg("field", columns)],
            cause: Some(e.into()),
            ..AppError::new(ErrorKind::Duplicate)
        }
    }
}

/// Carried in response extensions from a handler to the renderer.
#[derive(Clone)]
pub struct ErrorReport(pub Arc<AppError>);

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut response = self.problem.status.into_response();
        if let Some(v) = self.challenge().and_then(|c| HeaderValue::from_str(&c).ok()) {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
        response.extensions_mut().insert(ErrorReport(Arc::new(self)));
        response
    }
}

/// Problem details body (RFC 9457), as `application/problem+json`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// The problem type: `urn:lionrock:problem:<slug>`, stable per kind of error.
    #[serde(rename = "type")]
    #[schema(format = "uri", example = "urn:lionrock:problem:validation")]
    pub type_uri: String,
    /// A short summary of the type, in the asker's language.
    pub title: String,
    /// The HTTP status code.
    #[schema(minimum = 400, maximum = 599)]
    pub status: u16,
    /// An explanation of this occurrence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The path of the request that failed.
    pub instance: String,
    /// The request's ID, also in the `x-request-id` response header and the server's log.
    pub request_id: String,
    /// The invalid fields of the request (validation errors and bad parameters).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemField>,
    /// A stable machine code refining `type` where it has one (why a booking
    /// was refused: `too-young`, `course-complete`, …): the error's `reason` argument.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// One invalid field or parameter of a request.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProblemField {
    /// A JSON pointer into the body (`/email`), or a parameter or form field name (`limit`).
    pub field: String,
    /// A stable machine code: `required`, `invalid`, `unknown`, `wrong-type`, `out-of-range`, …
    pub code: String,
    /// What is wrong, in the asker's language.
    pub message: String,
}

pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exhausted_pool_is_unavailable_for_a_moment_not_a_fault() {
        let e = AppError::from(sea_orm::DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout));
        assert_eq!((e.problem.status, e.retry_after), (StatusCode::SERVICE_UNAVAILABLE, Some(1)));
        let e = AppError::from(sea_orm::DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::ConnectionClosed));
        assert_eq!((e.problem.status, e.retry_after), (StatusCode::INTERNAL_SERVER_ERROR, None));
    }

    #[test]
    fn slugs_are_unique_and_statuses_are_errors() {
        let mut slugs: Vec<_> = ErrorKind::ALL.iter().map(|k| k.slug()).collect();
        slugs.sort_unstable();
        slugs.dedup();
        assert_eq!(slugs.len(), ErrorKind::ALL.len());
        for kind in ErrorKind::ALL {
            assert!(kind.status().is_client_error() || kind.status().is_server_error());
        }
    }

    #[test]
    fn every_kind_has_translated_title_and_detail() {
        let catalog = crate::i18n::Catalog::new(&crate::i18n::PLATFORM_FTL).unwrap();
        for lang in crate::i18n::Lang::ALL {
            for problem in PLATFORM_PROBLEMS {
                assert!(catalog.has(lang, &problem.title_key()), "{lang} {}", problem.title_key());
                assert!(catalog.has(lang, &problem.detail_key()), "{lang} {}", problem.detail_key());
            }
        }
    }

    #[test]
    fn bearer_errors_carry_their_rfc_6750_challenge() {
        let challenge =
            |e: AppError| e.into_response().headers().get("www-authenticate").map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(
            challenge(AppError::new(ErrorKind::InvalidToken)).unwrap(),
            r#"Bearer realm="lionrock", error="invalid_token""#
        );
        assert_eq!(
            challenge(AppError::insufficient_scope(Some("booking"))).unwrap(),
            r#"Bearer realm="lionrock", error="insufficient_scope", scope="booking""#
        );
        assert_eq!(
            challenge(AppError::insufficient_scope(None)).unwrap(),
            r#"Bearer realm="lionrock", error="insufficient_scope""#
        );
        assert_eq!(challenge(AppError::new(ErrorKind::Forbidden)), None);
    }

    #[test]
    fn internal_display_includes_cause_chain_for_logs() {
        let e = AppError::internal(std::io::Error::other("disk full"));
        assert_eq!(e.to_string(), "internal: disk full");
    }
}
