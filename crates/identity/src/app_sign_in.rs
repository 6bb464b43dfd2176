//! "Sign in with the app": the sign-in page shows a QR code; a device that
//! is already signed in opens it, sees what is asking and from where, and
//! approves; the waiting browser then completes the sign-in.
//!
//! A request is single-use, expires after two minutes and is bound to the
//! browser that asked for it by a cookie: the code in the QR image alone
//! signs nobody in. The waiting page long-polls (`/sign-in/app/status`);
//! a decision is published on the platform's event bus, which wakes the
//! waiter at once on whichever server holds it (PostgreSQL `LISTEN/NOTIFY`
//! across servers); the waiter then reads the request again.

use std::time::Duration;

use askama::Template;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Router, routing::get};
use platform::app::AppState;
use platform::audit::{self, AuditEntry};
use platform::error::AppError;
use platform::events::{Delivery, Event};
use platform::extract::PageForm;
use platform::form::FormErrors;
use platform::page::PageContext;
use platform::principal::{MaybePrincipal, SignedIn};
use platform::web::{self, ClientInfo, RequestId};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::Expr;
use serde::{Deserialize, Serialize};

use crate::store;

/// How long a request waits for its approval.
const LIFETIME: time::Duration = time::Duration::minutes(2);
/// The longest a status request is held open.
const MAX_WAIT_SECS: u64 = 20;
/// Published when a waiting request is approved or refused.
#[derive(Debug, Serialize, Deserialize)]
struct Decided {
    id: String,
}

impl Event for Decided {
    const TOPIC: &'static str = "identity.app_sign_in_decided";
}

pub mod entity {
    //! `app_sign_in` rows: one browser waiting to be signed in by another device.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "app_sign_in")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub code_mac: String,
        pub browser_mac: String,
        pub user_agent: Option<String>,
        pub ip: Option<String>,
        /// `pending`, `approved`, `denied` or `used`.
        pub status: String,
        pub approved_by: Option<String>,
        pub created_at: TimeDateTimeWithTimeZone,
        pub expires_at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/sign-in/app/status", get(status))
}

fn cookie_name(https: bool) -> &'static str {
    if https { "__Host-lr_app_sign_in" } else { "lr_app_sign_in" }
}

fn code_mac(state: &AppState, code: &str) -> String {
    state.keys.blind_index("identity.app-sign-in.code", code)
}

fn browser_mac(state: &AppState, binding: &str) -> String {
    state.keys.blind_index("identity.app-sign-in.browser", binding)
}

/// The request this browser is waiting on, if `id` is one and it is bound here.
async fn bound(
    state: &AppState,
    headers: &HeaderMap,
    https: bool,
    id: &str,
) -> Result<Option<entity::Model>, AppError> {
    let Some(binding) = web::read_cookie(headers, cookie_name(https)) else { return Ok(None) };
    let row = entity::Entity::find_by_id(id.to_owned()).one(&state.db).await?;
    Ok(row.filter(|r| r.browser_mac == browser_mac(state, binding)))
}

/// What the waiting browser is told.
fn outcome(row: &entity::Model) -> &'static str {
    match row.status.as_str() {
        "approved" if platform::db::now() < row.expires_at => "approved",
        "denied" => "denied",
        "pending" if platform::db::now() < row.expires_at => "pending",
        _ => "expired",
    }
}

#[derive(Template)]
#[template(path = "app_sign_in.html")]
struct WaitPage<'a> {
    ctx: &'a PageContext,
    errors: FormErrors,
    id: &'a str,
    link: &'a str,
    qr_data_uri: &'a str,
    expires: &'a str,
}

/// A page that ends the story with one message.
fn ended(ctx: &PageContext, status: StatusCode, title_key: &str, message_key: &str) -> Result<Response, AppError> {
    ctx.page(status, title_key, &EndedPage { ctx, message_key })
}

#[derive(Template)]
#[template(path = "app_sign_in_scan.html")]
struct ScanPage<'a> {
    ctx: &'a PageContext,
}

/// `GET /{lang}/sign-in/scan`: the phone side, for a signed-in resident:
/// scan the code another device shows. The page script reads the QR code
/// with the camera where the browser can (BarcodeDetector), and goes to the
/// approval page only for this site's own approval links; elsewhere the
/// resident uses the phone's camera app.
pub(crate) async fn scan(SignedIn(_): SignedIn, ctx: PageContext) -> Result<Response, AppError> {
    ctx.page(StatusCode::OK, "app-sign-in-scan-title", &ScanPage { ctx: &ctx })
}

/// `GET /{lang}/sign-in/app`: a new request, its QR code, and the cookie that binds it here.
pub(crate) async fn start(
    State(state): State<AppState>,
    ctx: PageContext,
    client: Extension<ClientInfo>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let code = platform::crypto::random_token();
    let binding = platform::crypto::random_token();
    let now = platform::db::now();
    let id = Uuid::now_v7().to_string();
    entity::ActiveModel {
        id: Set(id.clone()),
        code_mac: Set(code_mac(&state, &code)),
        browser_mac: Set(browser_mac(&state, &binding)),
        user_agent: Set(headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().take(300).collect())),
        ip: Set(Some(client.ip.to_string())),
        status: Set("pending".to_owned()),
        approved_by: Set(None),
        created_at: Set(now),
        expires_at: Set(now + LIFETIME),
    }
    .insert(&state.db)
    .await?;
    let link = format!("{}{}?c={code}", state.public_url(), ctx.href("/sign-in/approve"));
    let qr_data_uri = crate::two_step::qr_data_uri(&link)?;
    let expires = ctx.local_clock(now + LIFETIME);
    let content = WaitPage {
        ctx: &ctx,
        errors: FormErrors::new(),
        id: &id,
        link: &link,
        qr_data_uri: &qr_data_uri,
        expires: &expires,
    };
    let mut response = ctx.page(StatusCode::OK, "app-sign-in-title", &content)?;
    let max_age = u64::try_from(LIFETIME.whole_seconds()).unwrap_or(120);
    response
        .headers_mut()
        .append(header::SET_COOKIE, web::cookie(cookie_name(client.https), &binding, client.https, Some(max_age)));
    Ok(response)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct StatusQuery {
    id: String,
    /// Seconds to hold the request open while nothing is decided (at most 20).
    wait: Option<u64>,
}

/// `GET /sign-in/app/status?id=`: `{"status": "pending" | "approved" | "denied" | "expired"}`,
/// held open until something is decided or `wait` seconds pass. Only the
/// browser the request is bound to may ask.
async fn status(
    State(state): State<AppState>,
    client: Extension<ClientInfo>,
    headers: HeaderMap,
    Query(q): Query<StatusQuery>,
) -> Result<Response, AppError> {
    let deadline =
        tokio::time::Instant::now() + Duration::from_secs(q.wait.unwrap_or(MAX_WAIT_SECS).min(MAX_WAIT_SECS));
    // Subscribed before looking, so a decision in between is not missed.
    let mut decided = state.events.subscribe::<Decided>();
    loop {
        let Some(row) = bound(&state, &headers, client.https, &q.id).await? else {
            return Err(AppError::not_found());
        };
        let now = outcome(&row);
        if now != "pending" || tokio::time::Instant::now() >= deadline {
            let body = Json(serde_json::json!({ "status": now }));
            return Ok(body.into_response());
        }
        // Wait for this request's decision (or a hint to look again), at
        // most until the hold ends or the request expires.
        let expires_in = Duration::try_from(row.expires_at - platform::db::now()).unwrap_or_default();
        let until = deadline.min(tokio::time::Instant::now() + expires_in);
        let ours = async {
            loop {
                match decided.next().await {
                    Delivery::Event(Decided { id }) if id == row.id => return,
                    Delivery::Event(_) => {}
                    Delivery::Resync => return,
                }
            }
        };
        let _ = tokio::time::timeout_at(until, ours).await;
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct CompleteForm {
    id: String,
}

/// `POST /{lang}/sign-in/app`: the waiting browser collects its sign-in.
pub(crate) async fn complete(
    State(state): State<AppState>,
    ctx: PageContext,
    client: Extension<ClientInfo>,
    request_id: RequestId,
    headers: HeaderMap,
    PageForm(form): PageForm<CompleteForm>,
) -> Result<Response, AppError> {
    let ended = |key| ended(&ctx, StatusCode::UNPROCESSABLE_ENTITY, "app-sign-in-title", key);
    let Some(row) = bound(&state, &headers, client.https, &form.id).await? else {
        return ended("app-sign-in-expired");
    };
    match outcome(&row) {
        "pending" => {
            // Not yet: the same page again, still waiting.
            let mut errors = FormErrors::new();
            errors.add("continue", "app-sign-in-pending");
            let expires = ctx.local_clock(row.expires_at);
            let content = WaitPage { ctx: &ctx, errors, id: &row.id, link: "", qr_data_uri: "", expires: &expires };
            return ctx.page(StatusCode::UNPROCESSABLE_ENTITY, "app-sign-in-title", &content);
        }
        "denied" => return ended("app-sign-in-denied"),
        "expired" => return ended("app-sign-in-expired"),
        _ => {}
    }
    // Single use, even with two tabs racing: only one update finds it approved.
    let taken = entity::Entity::update_many()
        .col_expr(entity::Column::Status, Expr::value("used"))
        .filter(entity::Column::Id.eq(&row.id))
        .filter(entity::Column::Status.eq("approved"))
        .exec(&state.db)
        .await?
        .rows_affected
        == 1;
    let account = match row.approved_by.as_deref() {
        Some(id) if taken => store::account_by_id(&state.db, id).await?.filter(|a| a.status == "active"),
        _ => None,
    };
    let Some(account) = account else { return ended("app-sign-in-expired") };
    let principal = crate::accounts::principal(&account)?;
    let mut response =
        crate::http::start_session(&state, &ctx, &client, &request_id, &headers, principal, None).await?;
    response
        .headers_mut()
        .append(header::SET_COOKIE, web::cookie(cookie_name(client.https), "", client.https, Some(0)));
    Ok(response)
}

#[derive(Template)]
#[template(path = "app_sign_in_ended.html")]
struct EndedPage<'a> {
    ctx: &'a PageContext,
    message_key: &'a str,
}

#[derive(Template)]
#[template(path = "app_sign_in_approve.html")]
struct ApprovePage<'a> {
    ctx: &'a PageContext,
    code: &'a str,
    device: String,
    ip: &'a str,
    /// Where the address is, if the operator's places file knows it.
    place: &'a str,
    asked_at: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct CodeQuery {
    c: String,
}

async fn pending_by_code(state: &AppState, code: &str) -> Result<Option<entity::Model>, AppError> {
    if code.is_empty() || code.len() > 100 {
        return Ok(None);
    }
    let row = entity::Entity::find().filter(entity::Column::CodeMac.eq(code_mac(state, code))).one(&state.db).await?;
    Ok(row.filter(|r| outcome(r) == "pending"))
}

fn gone(ctx: &PageContext) -> Result<Response, AppError> {
    ended(ctx, StatusCode::GONE, "app-sign-in-approve-title", "app-sign-in-code-gone")
}

/// `GET /{lang}/sign-in/approve?c=`: on the signed-in device, what is asking.
pub(crate) async fn approve_page(
    State(state): State<AppState>,
    ctx: PageContext,
    MaybePrincipal(principal): MaybePrincipal,
    Query(q): Query<CodeQuery>,
) -> Result<Response, AppError> {
    if principal.is_none() {
        // Sign in on this device first, then come back to the same code.
        let next = format!("{}?c={}", ctx.href("/sign-in/approve"), crate::http::urlencode(&q.c));
        return Ok(crate::http::see_other(&crate::http::sign_in_then(&ctx, &next)));
    }
    let Some(row) = pending_by_code(&state, &q.c).await? else { return gone(&ctx) };
    let device = row.user_agent.as_deref().map(|ua| crate::security::describe_device(&ctx, ua)).unwrap_or_default();
    let content = ApprovePage {
        ctx: &ctx,
        code: &q.c,
        device,
        ip: row.ip.as_deref().unwrap_or(""),
        place: row.ip.as_deref().and_then(|ip| crate::settings::of(&state).places.name_of(ip, ctx.lang)).unwrap_or(""),
        asked_at: ctx.local_clock(row.created_at),
    };
    ctx.page(StatusCode::OK, "app-sign-in-approve-title", &content)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct DecisionForm {
    c: String,
    decision: String,
}

/// `POST /{lang}/sign-in/approve`: approve or refuse.
pub(crate) async fn decide(
    State(state): State<AppState>,
    SignedIn(principal): SignedIn,
    ctx: PageContext,
    PageForm(form): PageForm<DecisionForm>,
) -> Result<Response, AppError> {
    let approve = match form.decision.as_str() {
        "approve" => true,
        "deny" => false,
        _ => {
            return Err(crate::errors::IdentityError::BadDecision.into());
        }
    };
    let Some(row) = pending_by_code(&state, &form.c).await? else { return gone(&ctx) };
    let account_id = principal.account_id.to_string();
    let txn = platform::db::begin_write(&state.db).await?;
    let mut update = entity::Entity::update_many()
        .col_expr(entity::Column::Status, Expr::value(if approve { "approved" } else { "denied" }))
        .filter(entity::Column::Id.eq(&row.id))
        .filter(entity::Column::Status.eq("pending"));
    if approve {
        update = update.col_expr(entity::Column::ApprovedBy, Expr::value(account_id.clone()));
    }
    let decided = update.exec(&txn).await?.rows_affected == 1;
    if decided {
        let action = if approve { "account.app_sign_in_approved" } else { "account.app_sign_in_denied" };
        audit::record(
            &txn,
            &state.keys,
            AuditEntry::new(format!("account:{account_id}"), action, format!("app_sign_in:{}", row.id)),
        )
        .await?;
    }
    txn.commit().await?;
    if !decided {
        return gone(&ctx);
    }
    if let Err(error) = state.events.publish(&state.db, &Decided { id: row.id.clone() }).await {
        // The decision is committed; a waiter still sees it when its hold ends.
        tracing::warn!(%error, "app sign-in decision not announced");
    }
    let message_key = if approve { "app-sign-in-approved" } else { "app-sign-in-refused" };
    ended(&ctx, StatusCode::OK, "app-sign-in-approve-title", message_key)
}

/// Deletes requests that ended more than a day ago.
pub(crate) async fn purge(conn: &impl ConnectionTrait) -> Result<u64, DbErr> {
    let before = platform::db::now() - time::Duration::days(1);
    Ok(entity::Entity::delete_many().filter(entity::Column::ExpiresAt.lt(before)).exec(conn).await?.rows_affected)
}
