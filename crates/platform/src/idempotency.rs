//! `Idempotency-Key` (IETF draft "The Idempotency-Key HTTP Header Field") on
//! every POST under `/api`: the first request with a key runs and its answer
//! is kept for 24 hours; a retry gets that answer again, marked
//! `Idempotent-Replayed: true`, without running the handler.
//!
//! - Scope: keys belong to the caller, never global. The caller is the
//!   signed-in account, else a MAC of the session cookie or of the
//!   `Authorization` header; a request with none of these (one that
//!   authenticates in its body, like a signed assertion, or none at all) is
//!   scoped by the whole request, so only whoever holds that exact body
//!   shares its key. The row ID is a MAC of caller and key: no credential
//!   and no key is stored.
//! - Same key, different request (method, path with query, content type,
//!   body: the fingerprint) → 422 `idempotency-key-reused`. Other headers
//!   (language, `Accept`) do not change what a request does, so a retry may
//!   differ in them and still gets the stored answer.
//! - Concurrency: one conditional insert claims the key, so of two requests
//!   (on one server or two sharing a database) one runs and the other gets
//!   409 `idempotency-key-in-progress` with `Retry-After`. A claim is a lease
//!   that ends a little after the request timeout: a server killed mid-request
//!   leaves a key that the next retry takes over, and a request cut off by
//!   the timeout (or a panic) releases its key at once.
//! - What is kept: 2xx, 3xx and 4xx answers that the same request would get
//!   again (not 401, 403, 408, 425 or 429, which depend on credentials or
//!   time), with the headers worth replaying (never `Set-Cookie`) and the
//!   body sealed with the data key. Any 5xx, or an answer too large to keep,
//!   releases the key: the handler's transaction rolled back, so a retry
//!   runs again.
//! - Opting out: a module lists POST routes that create nothing in
//!   `Module::idempotency_exempt`; their key is ignored.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{MatchedPath, OriginalUri, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, Condition, TryInsertResult};
use sha2::{Digest, Sha256};

use crate::app::AppState;
use crate::error::{AppError, ErrorKind, ErrorReport};
use crate::i18n::Lang;
use crate::principal::MaybePrincipal;
use crate::web::{self, ClientInfo, RequestId, RequestLang};

pub mod entity {
    //! `idempotency` rows.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "idempotency")]
    pub struct Model {
        /// MAC of the caller and the key.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        /// SHA-256 of method, path, content type and body.
        pub fingerprint: String,
        /// While the first request runs: its lease token and end.
        pub lease: Option<String>,
        pub locked_until: Option<TimeDateTimeWithTimeZone>,
        /// Once it answered: status, replayed headers (JSON pairs), sealed body (base64).
        pub status: Option<i32>,
        pub headers: Option<String>,
        pub body: Option<String>,
        pub created_at: TimeDateTimeWithTimeZone,
        pub expires_at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The request header.
pub const HEADER: &str = "idempotency-key";
/// Set on a stored answer sent again.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";
/// Longest key accepted (a UUID is 36).
pub const MAX_KEY_LEN: usize = 128;
/// How long an answer is kept.
pub const KEEP: time::Duration = time::Duration::hours(24);
/// The largest answer kept; a larger one releases its key.
const MAX_STORED_BODY: usize = 1024 * 1024;
/// How far past the request timeout a lease lasts (clock differences between servers).
const LEASE_MARGIN: Duration = Duration::from_secs(10);
/// Headers sent again with a stored answer.
const REPLAYED: [HeaderName; 6] = [
    header::CONTENT_TYPE,
    header::CONTENT_LANGUAGE,
    header::LOCATION,
    header::ETAG,
    header::LAST_MODIFIED,
    header::LINK,
];

/// A client's `Idempotency-Key`: 1 to 128 visible ASCII characters, sent
/// bare or as a structured-field string in double quotes (without escapes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(value: &str) -> Option<Self> {
        let value = value.trim();
        let inner = match value.strip_prefix('"') {
            Some(rest) => rest.strip_suffix('"')?,
            None => value,
        };
        let plain = inner.bytes().all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\');
        (plain && (1..=MAX_KEY_LEN).contains(&inner.len())).then(|| Self(inner.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Should an answer with this status be kept for retries?
pub fn storable(status: StatusCode) -> bool {
    let transient = [
        StatusCode::UNAUTHORIZED,
        StatusCode::FORBIDDEN,
        StatusCode::REQUEST_TIMEOUT,
        StatusCode::TOO_EARLY,
        StatusCode::TOO_MANY_REQUESTS,
    ];
    (200..500).contains(&status.as_u16()) && !transient.contains(&status)
}

/// SHA-256 of what makes two requests the same request.
fn fingerprint(method: &Method, path_and_query: &str, content_type: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    for part in [method.as_str().as_bytes(), path_and_query.as_bytes(), content_type.as_bytes(), body] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    hex::encode(h.finalize())
}

/// Who is asking, as the input of the scope's MAC (never stored as is).
fn caller(req: &Request, fingerprint: &str) -> String {
    if let Some(MaybePrincipal(Some(p))) = req.extensions().get::<MaybePrincipal>() {
        return format!("account\0{}", p.account_id);
    }
    let https = req.extensions().get::<ClientInfo>().is_some_and(|c| c.https);
    if let Some(cookie) = web::read_cookie(req.headers(), web::session_cookie_name(https)) {
        return format!("session\0{cookie}");
    }
    let authorization: Vec<String> = req
        .headers()
        .get_all(header::AUTHORIZATION)
        .iter()
        .map(|v| v.to_str().map_or_else(|_| hex::encode(v.as_bytes()), str::to_owned))
        .collect();
    if !authorization.is_empty() {
        return format!("authorization\0{}", authorization.join("\0"));
    }
    format!("request\0{fingerprint}")
}

/// What the claim found.
enum Claim {
    /// This request holds the key under this lease token: run it.
    Run(String),
    /// Answered before: send the answer again.
    Replay(entity::Model),
    /// The key belongs to a different request.
    Reused,
    /// The first request is still running.
    InProgress,
}

/// Claims the key with one conditional insert (or takes over an expired
/// row, or a lease whose server died, with one conditional update).
async fn claim(db: &DatabaseConnection, id: &str, fp: &str, lease_for: Duration) -> Result<Claim, DbErr> {
    let lease_for = time::Duration::try_from(lease_for).unwrap_or(time::Duration::hours(1));
    // Another round when the row was released or purged between our insert and read.
    for _ in 0..3 {
        let now = crate::db::now();
        let lease = crate::crypto::random_token();
        let row = entity::ActiveModel {
            id: Set(id.to_owned()),
            fingerprint: Set(fp.to_owned()),
            lease: Set(Some(lease.clone())),
            locked_until: Set(Some(now + lease_for)),
            status: Set(None),
            headers: Set(None),
            body: Set(None),
            created_at: Set(now),
            expires_at: Set(now + KEEP),
        };
        let inserted = entity::Entity::insert(row).on_conflict_do_nothing().exec_without_returning(db).await?;
        if matches!(inserted, TryInsertResult::Inserted(1)) {
            return Ok(Claim::Run(lease));
        }
        let Some(existing) = entity::Entity::find_by_id(id.to_owned()).one(db).await? else { continue };
        let live = existing.expires_at > now;
        if live && existing.fingerprint != fp {
            return Ok(Claim::Reused);
        }
        if live && existing.status.is_some() {
            return Ok(Claim::Replay(existing));
        }
        if live && existing.locked_until.is_some_and(|t| t > now) {
            return Ok(Claim::InProgress);
        }
        let taken = entity::Entity::update_many()
            .col_expr(entity::Column::Fingerprint, Expr::value(fp))
            .col_expr(entity::Column::Lease, Expr::value(Some(lease.clone())))
            .col_expr(entity::Column::LockedUntil, Expr::value(Some(now + lease_for)))
            .col_expr(entity::Column::Status, Expr::value(Option::<i32>::None))
            .col_expr(entity::Column::Headers, Expr::value(Option::<String>::None))
            .col_expr(entity::Column::Body, Expr::value(Option::<String>::None))
            .col_expr(entity::Column::CreatedAt, Expr::value(now))
            .col_expr(entity::Column::ExpiresAt, Expr::value(now + KEEP))
            .filter(entity::Column::Id.eq(id))
            .filter(
                Condition::any().add(entity::Column::ExpiresAt.lte(now)).add(
                    Condition::all()
                        .add(entity::Column::Status.is_null())
                        .add(entity::Column::LockedUntil.lte(now))
                        .add(entity::Column::Fingerprint.eq(fp)),
                ),
            )
            .exec(db)
            .await?
            .rows_affected;
        if taken == 1 {
            return Ok(Claim::Run(lease));
        }
    }
    Ok(Claim::InProgress)
}

/// Gives the key up (only while this lease holds it), so a retry runs again.
async fn release(db: &DatabaseConnection, id: &str, lease: &str) {
    let deleted = entity::Entity::delete_many()
        .filter(entity::Column::Id.eq(id))
        .filter(entity::Column::Lease.eq(lease))
        .exec(db)
        .await;
    if let Err(e) = deleted {
        tracing::warn!(error = %e, "idempotency key not released; its lease will run out");
    }
}

/// A held key: released when dropped unfinished (the request was cut off by
/// the timeout, or panicked), so the client's retry runs again.
struct Held {
    db: DatabaseConnection,
    id: String,
    lease: String,
    finished: bool,
}

impl Drop for Held {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let (db, id, lease) = (self.db.clone(), std::mem::take(&mut self.id), std::mem::take(&mut self.lease));
            runtime.spawn(async move { release(&db, &id, &lease).await });
        }
    }
}

/// The seal's associated data: a stored body opens only in its own row.
fn seal_context(id: &str) -> String {
    format!("platform.idempotency.{id}")
}

/// Keeps the answer under this lease; false when the lease was lost (a
/// server took the key over after the lease ran out).
async fn store(
    state: &AppState,
    id: &str,
    lease: &str,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<bool, DbErr> {
    let kept: Vec<(&str, &str)> = REPLAYED
        .iter()
        .flat_map(|name| headers.get_all(name).iter().filter_map(move |v| Some((name.as_str(), v.to_str().ok()?))))
        .collect();
    let headers_json = serde_json::to_string(&kept).map_err(|e| DbErr::Custom(e.to_string()))?;
    let sealed = STANDARD.encode(state.keys.seal(&seal_context(id), body));
    let updated = entity::Entity::update_many()
        .col_expr(entity::Column::Status, Expr::value(Some(i32::from(status.as_u16()))))
        .col_expr(entity::Column::Headers, Expr::value(Some(headers_json)))
        .col_expr(entity::Column::Body, Expr::value(Some(sealed)))
        .col_expr(entity::Column::Lease, Expr::value(Option::<String>::None))
        .col_expr(entity::Column::LockedUntil, Expr::value(Option::<TimeDateTimeWithTimeZone>::None))
        .filter(entity::Column::Id.eq(id))
        .filter(entity::Column::Lease.eq(lease))
        .exec(&state.db)
        .await?;
    Ok(updated.rows_affected == 1)
}

/// The stored answer, sent again.
fn replay(state: &AppState, row: &entity::Model) -> Result<Response, AppError> {
    let damaged = || AppError::internal(std::io::Error::other("stored idempotent response is damaged"));
    let status = row.status.and_then(|s| u16::try_from(s).ok()).and_then(|s| StatusCode::from_u16(s).ok());
    let headers: Vec<(String, String)> =
        row.headers.as_deref().and_then(|h| serde_json::from_str(h).ok()).ok_or_else(damaged)?;
    let sealed = row.body.as_deref().and_then(|b| STANDARD.decode(b).ok()).ok_or_else(damaged)?;
    let body = state.keys.open(&seal_context(&row.id), &sealed).map_err(|_| damaged())?;
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status.ok_or_else(damaged)?;
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            response.headers_mut().append(name, value);
        }
    }
    response.headers_mut().insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
    Ok(response)
}

fn counted(outcome: &'static str) {
    metrics::counter!("idempotency_requests_total", "outcome" => outcome).increment(1);
}

/// The middleware (a route layer inside CSRF, so it sees the matched route
/// and the session's principal).
pub(crate) async fn middleware(State(state): State<AppState>, req: Request, next: Next) -> Response {
    // The URI as the client sent it (a nested router sees its own part only).
    let uri = req.extensions().get::<OriginalUri>().map_or_else(|| req.uri().clone(), |o| o.0.clone());
    if req.method() != Method::POST || !uri.path().starts_with("/api/") {
        return next.run(req).await;
    }
    let mut values = req.headers().get_all(HEADER).iter();
    let Some(first) = values.next() else { return next.run(req).await };
    let exempt = req
        .extensions()
        .get::<MatchedPath>()
        .is_some_and(|route| state.idempotency_exempt.iter().any(|e| e == route.as_str()));
    if exempt {
        return next.run(req).await;
    }
    let key = match (first.to_str().ok().and_then(IdempotencyKey::parse), values.next()) {
        (Some(key), None) => key,
        _ => {
            counted("invalid");
            return AppError::new(ErrorKind::IdempotencyKeyInvalid).into_response();
        }
    };
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, state.config.server.body_limit_bytes).await else {
        return AppError::new(ErrorKind::PayloadTooLarge).into_response();
    };
    let path = uri.path().to_owned();
    let path_and_query = uri.path_and_query().map_or(path.as_str(), |p| p.as_str());
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let fp = fingerprint(&parts.method, path_and_query, &content_type, &bytes);
    let req = Request::from_parts(parts, Body::from(bytes));
    let id = state.keys.blind_index("platform.idempotency", &format!("{}\0{}", caller(&req, &fp), key.as_str()));
    let lease = match claim(&state.db, &id, &fp, state.config.request_timeout() + LEASE_MARGIN).await {
        Ok(Claim::Run(lease)) => lease,
        Ok(Claim::Replay(row)) => {
            counted("replayed");
            return replay(&state, &row).unwrap_or_else(IntoResponse::into_response);
        }
        Ok(Claim::Reused) => {
            counted("reused");
            return AppError::new(ErrorKind::IdempotencyKeyReused).into_response();
        }
        Ok(Claim::InProgress) => {
            counted("in-progress");
            return AppError { retry_after: Some(1), ..AppError::new(ErrorKind::IdempotencyKeyInProgress) }
                .into_response();
        }
        Err(e) => return AppError::internal(e).into_response(),
    };
    counted("run");
    let mut held = Held { db: state.db.clone(), id, lease, finished: false };
    let lang = req.extensions().get::<RequestLang>().map_or(state.config.locale.default, |l| l.lang);
    let request_id = req.extensions().get::<RequestId>().map(|r| r.0.to_string()).unwrap_or_default();
    let response = next.run(req).await;
    let response = keep(&state, &mut held, path, lang, request_id, response).await;
    held.finished = true;
    response
}

/// Keeps a storable answer as the client will see it (an error rendered as
/// problem+json), or releases the key.
async fn keep(
    state: &AppState,
    held: &mut Held,
    path: String,
    lang: Lang,
    request_id: String,
    response: Response,
) -> Response {
    let status = response.status();
    if !storable(status) {
        release(&state.db, &held.id, &held.lease).await;
        return response;
    }
    let mut response = web::render_error(state, path, true, lang, request_id, response);
    // Rendered once, here: `render_errors` lets it pass as it is.
    response.extensions_mut().remove::<ErrorReport>();
    let (parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(e) => {
            release(&state.db, &held.id, &held.lease).await;
            return AppError::internal(e).into_response();
        }
    };
    if bytes.len() > MAX_STORED_BODY {
        tracing::warn!(status = %status, bytes = bytes.len(), "answer too large to keep for Idempotency-Key; key released");
        release(&state.db, &held.id, &held.lease).await;
    } else {
        match store(state, &held.id, &held.lease, status, &parts.headers, &bytes).await {
            Ok(true) => {}
            Ok(false) => tracing::warn!("Idempotency-Key taken over while its request ran; answer not kept"),
            // The lease runs out, then a retry runs again.
            Err(e) => tracing::warn!(error = %e, "answer not kept for Idempotency-Key"),
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Deletes answers older than [`KEEP`] (the platform's periodic job).
pub async fn purge_expired(db: &DatabaseConnection) -> Result<u64, DbErr> {
    let r = entity::Entity::delete_many().filter(entity::Column::ExpiresAt.lte(crate::db::now())).exec(db).await?;
    Ok(r.rows_affected)
}

/// The platform module's periodic job.
pub(crate) async fn job(state: AppState) {
    if let Err(e) = purge_expired(&state.db).await {
        tracing::warn!(error = %e, "idempotency purge failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn keys_are_plain_short_and_optionally_quoted() {
        let uuid = "8e03978e-40d5-43e8-bc93-6894a57f9324";
        assert_eq!(IdempotencyKey::parse(uuid).unwrap().as_str(), uuid);
        assert_eq!(IdempotencyKey::parse(&format!("\"{uuid}\"")).unwrap().as_str(), uuid);
        for bad in ["", "\"\"", "\"open", "a b", "caf\u{e9}", "a\\b", "a\"b", &"k".repeat(MAX_KEY_LEN + 1)] {
            assert!(IdempotencyKey::parse(bad).is_none(), "{bad:?}");
        }
        assert!(IdempotencyKey::parse(&"k".repeat(MAX_KEY_LEN)).is_some());
    }

    #[test]
    fn only_answers_a_retry_would_get_again_are_kept() {
        for kept in [200, 201, 303, 400, 404, 409, 413, 415, 422] {
            assert!(storable(StatusCode::from_u16(kept).unwrap()), "{kept}");
        }
        for not in [401, 403, 408, 425, 429, 500, 502, 503, 504] {
            assert!(!storable(StatusCode::from_u16(not).unwrap()), "{not}");
        }
    }

    #[test]
    fn fingerprints_separate_their_parts() {
        let a = fingerprint(&Method::POST, "/api/a", "application/json", b"{}");
        assert_ne!(a, fingerprint(&Method::POST, "/api/a", "application/json", b"{ }"));
        assert_ne!(a, fingerprint(&Method::POST, "/api/a?x=1", "application/json", b"{}"));
        assert_ne!(a, fingerprint(&Method::POST, "/api/a", "application/x-www-form-urlencoded", b"{}"));
        assert_ne!(
            fingerprint(&Method::POST, "/api/ab", "", b""),
            fingerprint(&Method::POST, "/api/a", "b", b""),
            "length-prefixed"
        );
    }

    proptest! {
        #[test]
        fn every_plain_key_parses_bare_and_quoted(key in "[!#-\\[\\]-~]{1,128}") {
            prop_assert_eq!(IdempotencyKey::parse(&key).map(|k| k.0), Some(key.clone()));
            prop_assert_eq!(IdempotencyKey::parse(&format!("\"{key}\"")).map(|k| k.0), Some(key));
        }

        #[test]
        fn parsed_keys_are_never_empty_long_or_odd(raw in "\\PC{0,200}") {
            if let Some(key) = IdempotencyKey::parse(&raw) {
                prop_assert!((1..=MAX_KEY_LEN).contains(&key.0.len()));
                prop_assert!(key.0.bytes().all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\'));
            }
        }
    }
}
