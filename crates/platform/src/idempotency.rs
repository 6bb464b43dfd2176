//! `Idempotency-Key` (IETF draft "The Idempotency-Key HTTP Header Field") on
//! every POST under `/api`: the first request with a key runs and its answer
//! is kept for 24 hours; a retry gets that answer again, marked
//! `Idempotent-Replayed: true`, without running the handler.
//!
//! - Scope: keys belong to the caller, never global. The caller is the
//!   signed-in account (and the app, for one acting with an access token),
//!   else a MAC of the session cookie or of the
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
//!   that ends a little after the request timeout.
//! - What is kept: 2xx, 3xx and 4xx answers that the same request would get
//!   again (not 401, 403, 408, 425 or 429, which depend on credentials or
//!   time), with the headers worth replaying (never `Set-Cookie`) and the
//!   body sealed with the data key, up to [`MAX_STORED_BODY`]. In the
//!   request scope (no credential outside the body) only 2xx answers are
//!   kept, up to [`MAX_STORED_BODY_REQUEST_SCOPE`], so anonymous callers
//!   cannot fill the table with rejected requests.
//! - A 5xx, or an answer not kept in its scope, releases the key, so a
//!   retry runs again. That is right when the handler's transaction rolled
//!   back, which is what a handler returning an error normally means; it is
//!   not guaranteed (a handler that fails after committing would run twice),
//!   so handlers commit last.
//! - Not exactly-once across failures: the answer is stored in its own
//!   statement after the handler's transaction commits (tried a few times).
//!   When that is impossible (the store fails, the server dies, the request
//!   timeout or a panic cuts the request off, the answer is too large to
//!   keep), the key is left holding no answer, and once its lease ends every
//!   retry gets 409 `idempotency-key-outcome-unknown` until the key expires,
//!   rather than running the handler a second time: the first request may
//!   have completed. The client checks the outcome and, if need be, sends
//!   the request again with a new key.
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
use sea_orm::{ActiveValue::Set, TryInsertResult};
use sha2::{Digest, Sha256};

use crate::app::AppState;
use crate::error::{AppError, ErrorKind, ErrorReport, ProblemType};
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
/// The largest answer kept for a caller with a credential; a larger one
/// leaves its key's outcome unknown.
pub const MAX_STORED_BODY: usize = 1024 * 1024;
/// The largest answer kept in the request scope (no credential outside the body).
pub const MAX_STORED_BODY_REQUEST_SCOPE: usize = 64 * 1024;
/// Attempts at storing an answer before giving up (its key's outcome is then unknown).
const STORE_ATTEMPTS: u32 = 3;

/// A retry whose first request may have completed without its answer being
/// kept (the server died, the request was cut off, the store failed): it
/// is not run again. 409, like the in-progress answer: the request
/// conflicts with the key's state, and sending it again will not help.
pub const OUTCOME_UNKNOWN: ProblemType = ProblemType::new("idempotency-key-outcome-unknown", StatusCode::CONFLICT);
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

/// Should an answer with this status be kept for retries? Not one that
/// says what the client must do first and then try again: sign in (401),
/// get a permission (403), meet a precondition such as an admission from a
/// waiting room (428), or slow down (408, 425, 429).
pub fn storable(status: StatusCode) -> bool {
    let transient = [
        StatusCode::UNAUTHORIZED,
        StatusCode::FORBIDDEN,
        StatusCode::REQUEST_TIMEOUT,
        StatusCode::TOO_EARLY,
        StatusCode::PRECONDITION_REQUIRED,
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

/// How a key's caller is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// A signed-in account: known before the handler runs.
    Credential,
    /// A session cookie or an `Authorization` header that nothing has
    /// checked yet (the handler will): anyone can send one, so like the
    /// request scope, only its successes are kept.
    Claimed,
    /// Nothing outside the body: the whole request is the scope.
    Request,
}

impl Scope {
    /// Is an answer with this status and length kept for retries? Refusals
    /// are kept only for a signed-in caller, so that nobody unchecked can
    /// fill the table with them.
    fn keeps(self, status: StatusCode) -> bool {
        storable(status) && (self == Scope::Credential || status.is_success())
    }

    fn max_body(self) -> usize {
        match self {
            Scope::Credential => MAX_STORED_BODY,
            Scope::Claimed | Scope::Request => MAX_STORED_BODY_REQUEST_SCOPE,
        }
    }
}

/// Who is asking, as the input of the scope's MAC (never stored as is).
fn caller(req: &Request, fingerprint: &str) -> (Scope, String) {
    if let Some(MaybePrincipal(Some(p))) = req.extensions().get::<MaybePrincipal>() {
        // An app acting for the account keys apart from the person and from
        // other apps: none replays an answer another was allowed to get.
        return match &p.granted {
            None => (Scope::Credential, format!("account\0{}", p.account_id)),
            Some(grant) => (Scope::Credential, format!("account\0{}\0client\0{}", p.account_id, grant.client)),
        };
    }
    let https = req.extensions().get::<ClientInfo>().is_some_and(|c| c.https);
    if let Some(cookie) = web::read_cookie(req.headers(), web::session_cookie_name(https)) {
        return (Scope::Claimed, format!("session\0{cookie}"));
    }
    let authorization: Vec<String> = req
        .headers()
        .get_all(header::AUTHORIZATION)
        .iter()
        .map(|v| v.to_str().map_or_else(|_| hex::encode(v.as_bytes()), str::to_owned))
        .collect();
    if !authorization.is_empty() {
        return (Scope::Claimed, format!("authorization\0{}", authorization.join("\0")));
    }
    (Scope::Request, format!("request\0{fingerprint}"))
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
    /// The first request's lease ended without an answer: it may have completed.
    OutcomeUnknown,
}

/// Claims the key with one conditional insert (or takes over an expired
/// row with one conditional update). A lease that ended without an answer
/// is never taken over: its request may have committed.
///
/// Every write of this module goes through [`crate::db::begin_write`]: on
/// SQLite an autocommit write does not queue with the other writers and,
/// in a rush, could sleep in the busy handler past the timeout ("database
/// is locked").
async fn claim(db: &DatabaseConnection, id: &str, fp: &str, lease_for: Duration) -> Result<Claim, DbErr> {
    let lease_for = time::Duration::try_from(lease_for).unwrap_or(time::Duration::hours(1));
    // Another round when the row was released or purged between our insert and read.
    for _ in 0..3 {
        let txn = crate::db::begin_write(db).await?;
        let claimed = claim_once(&txn, id, fp, lease_for).await?;
        txn.commit().await?;
        if let Some(claim) = claimed {
            return Ok(claim);
        }
    }
    Ok(Claim::InProgress)
}

/// One round of [`claim`] in `txn`; `None` when the row went away meanwhile.
async fn claim_once(
    txn: &impl ConnectionTrait,
    id: &str,
    fp: &str,
    lease_for: time::Duration,
) -> Result<Option<Claim>, DbErr> {
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
    let inserted = entity::Entity::insert(row).on_conflict_do_nothing().exec_without_returning(txn).await?;
    if matches!(inserted, TryInsertResult::Inserted(1)) {
        return Ok(Some(Claim::Run(lease)));
    }
    let Some(existing) = entity::Entity::find_by_id(id.to_owned()).one(txn).await? else { return Ok(None) };
    let live = existing.expires_at > now;
    if live && existing.fingerprint != fp {
        return Ok(Some(Claim::Reused));
    }
    if live && existing.status.is_some() {
        return Ok(Some(Claim::Replay(existing)));
    }
    if live && existing.locked_until.is_some_and(|t| t > now) {
        return Ok(Some(Claim::InProgress));
    }
    if live {
        return Ok(Some(Claim::OutcomeUnknown));
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
        .filter(entity::Column::ExpiresAt.lte(now))
        .exec(txn)
        .await?
        .rows_affected;
    Ok((taken == 1).then_some(Claim::Run(lease)))
}

/// Runs `statement` alone in a write transaction (see [`claim`]).
async fn write<F>(db: &DatabaseConnection, statement: F) -> Result<u64, DbErr>
where
    F: AsyncFnOnce(&crate::db::WriteTransaction) -> Result<u64, DbErr>,
{
    let txn = crate::db::begin_write(db).await?;
    let n = statement(&txn).await?;
    txn.commit().await?;
    Ok(n)
}

/// Gives the key up (only while this lease holds it), so a retry runs again.
async fn release(db: &DatabaseConnection, id: &str, lease: &str) {
    let deleted = write(db, async |txn| {
        let done = entity::Entity::delete_many()
            .filter(entity::Column::Id.eq(id))
            .filter(entity::Column::Lease.eq(lease))
            .exec(txn)
            .await?;
        Ok(done.rows_affected)
    })
    .await;
    if let Err(e) = deleted {
        tracing::warn!(error = %e, "idempotency key not released; its lease will run out");
    }
}

/// Ends the lease at once, keeping no answer: the request may have
/// committed, so retries get [`OUTCOME_UNKNOWN`] instead of running again.
async fn abandon(db: &DatabaseConnection, id: &str, lease: &str) {
    let ended = write(db, async |txn| {
        let done = entity::Entity::update_many()
            .col_expr(entity::Column::LockedUntil, Expr::value(Some(crate::db::now() - time::Duration::seconds(1))))
            .filter(entity::Column::Id.eq(id))
            .filter(entity::Column::Lease.eq(lease))
            .filter(entity::Column::Status.is_null())
            .exec(txn)
            .await?;
        Ok(done.rows_affected)
    })
    .await;
    if let Err(e) = ended {
        tracing::warn!(error = %e, "idempotency lease not ended; it will run out");
    }
}

/// A held key, abandoned when dropped unfinished (the request was cut off
/// by the timeout, or panicked, perhaps after its handler committed): the
/// client's retry is told the outcome is unknown.
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
            runtime.spawn(async move { abandon(&db, &id, &lease).await });
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
    let updated = write(&state.db, async |txn| {
        let done = entity::Entity::update_many()
            .col_expr(entity::Column::Status, Expr::value(Some(i32::from(status.as_u16()))))
            .col_expr(entity::Column::Headers, Expr::value(Some(headers_json)))
            .col_expr(entity::Column::Body, Expr::value(Some(sealed)))
            .col_expr(entity::Column::Lease, Expr::value(Option::<String>::None))
            .col_expr(entity::Column::LockedUntil, Expr::value(Option::<TimeDateTimeWithTimeZone>::None))
            .filter(entity::Column::Id.eq(id))
            .filter(entity::Column::Lease.eq(lease))
            .exec(txn)
            .await?;
        Ok(done.rows_affected)
    })
    .await?;
    Ok(updated == 1)
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
    let (scope, caller) = caller(&req, &fp);
    let id = state.keys.blind_index("platform.idempotency", &format!("{caller}\0{}", key.as_str()));
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
        Ok(Claim::OutcomeUnknown) => {
            counted("outcome-unknown");
            return AppError { problem: OUTCOME_UNKNOWN, ..AppError::new(ErrorKind::Conflict) }.into_response();
        }
        Err(e) => return AppError::internal(e).into_response(),
    };
    counted("run");
    let mut held = Held { db: state.db.clone(), id, lease, finished: false };
    let lang = req.extensions().get::<RequestLang>().map_or(state.config.locale.default, |l| l.lang);
    let request_id = req.extensions().get::<RequestId>().map(|r| r.0.to_string()).unwrap_or_default();
    let response = next.run(req).await;
    let response = keep(&state, &held, scope, path, lang, request_id, response).await;
    held.finished = true;
    response
}

/// Keeps an answer its scope keeps, as the client will see it (an error
/// rendered as problem+json); releases the key of one it does not.
async fn keep(
    state: &AppState,
    held: &Held,
    scope: Scope,
    path: String,
    lang: Lang,
    request_id: String,
    response: Response,
) -> Response {
    let status = response.status();
    if !scope.keeps(status) {
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
            abandon(&state.db, &held.id, &held.lease).await;
            return AppError::internal(e).into_response();
        }
    };
    if bytes.len() > scope.max_body() {
        tracing::warn!(status = %status, bytes = bytes.len(), "answer too large to keep for Idempotency-Key; retries get outcome-unknown");
        abandon(&state.db, &held.id, &held.lease).await;
    } else {
        store_retrying(state, held, status, &parts.headers, &bytes).await;
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Stores the answer, trying again after a failure; when every attempt
/// fails the lease is ended (retries get outcome-unknown, never a rerun).
async fn store_retrying(state: &AppState, held: &Held, status: StatusCode, headers: &HeaderMap, body: &[u8]) {
    let mut pause = Duration::from_millis(50);
    for attempt in 1..=STORE_ATTEMPTS {
        match store(state, &held.id, &held.lease, status, headers, body).await {
            Ok(true) => return,
            Ok(false) => {
                tracing::warn!("Idempotency-Key taken over while its request ran; answer not kept");
                return;
            }
            Err(e) if attempt < STORE_ATTEMPTS => {
                tracing::warn!(error = %e, attempt, "answer not kept for Idempotency-Key; trying again");
                tokio::time::sleep(pause).await;
                pause *= 4;
            }
            Err(e) => {
                tracing::error!(error = %e, "answer not kept for Idempotency-Key; retries get outcome-unknown");
                abandon(&state.db, &held.id, &held.lease).await;
            }
        }
    }
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
        for not in [401, 403, 408, 425, 428, 429, 500, 502, 503, 504] {
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
