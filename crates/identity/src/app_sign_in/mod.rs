//! "Sign in with the app": the sign-in page shows a QR code; a device that
//! is already signed in opens it, sees what is asking (the service, when a
//! service's sign-in started it) and from where, and approves by picking
//! the number the waiting browser shows; the waiting browser then completes
//! the sign-in and goes on where it was going (`next`).
//!
//! A request is single-use, expires after two minutes and is bound to the
//! browser that asked for it by a cookie: the code in the QR image alone
//! signs nobody in. Approving needs a recent sign-in on the approving
//! device, and the new session carries that sign-in's strength and time,
//! never more (its `amr` adds `mca`). Number matching stops a resident who
//! taps "approve" on a request they did not make: wrong picks are counted in
//! the database and end the request. The waiting page long-polls (`/sign-in/app/status`);
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
use platform::principal::{MaybePrincipal, Principal, SignedIn};
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

/// How many numbers the approver picks from.
const CHOICES: usize = 6;
/// Wrong picks that end a request: someone picking blindly gets one of the
/// six choices, a one-in-six chance, once per request (and each refused
/// request is audited and seen by the waiting browser).
const MAX_WRONG_PICKS: i32 = 1;

pub mod entity {
    //! `app_sign_in` rows: one browser waiting to be signed in by another device.
    use platform::principal::AuthStrength;
    use sea_orm::entity::prelude::*;

    /// Where a request stands.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
    #[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
    pub enum Status {
        #[sea_orm(string_value = "pending")]
        Pending,
        #[sea_orm(string_value = "approved")]
        Approved,
        #[sea_orm(string_value = "denied")]
        Denied,
        #[sea_orm(string_value = "used")]
        Used,
    }

    /// The approving session's authenticator strength, as stored.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
    #[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
    pub enum Strength {
        #[sea_orm(string_value = "password")]
        Password,
        #[sea_orm(string_value = "two_factor")]
        TwoFactor,
        #[sea_orm(string_value = "passkey")]
        Passkey,
    }

    impl From<AuthStrength> for Strength {
        fn from(s: AuthStrength) -> Self {
            match s {
                AuthStrength::Password => Strength::Password,
                AuthStrength::TwoFactor => Strength::TwoFactor,
                AuthStrength::Passkey => Strength::Passkey,
            }
        }
    }

    impl From<Strength> for AuthStrength {
        fn from(s: Strength) -> Self {
            match s {
                Strength::Password => AuthStrength::Password,
                Strength::TwoFactor => AuthStrength::TwoFactor,
                Strength::Passkey => AuthStrength::Passkey,
            }
        }
    }

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "app_sign_in")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub code_mac: String,
        pub browser_mac: String,
        pub user_agent: Option<String>,
        pub ip: Option<String>,
        pub status: Status,
        pub approved_by: Option<String>,
        pub created_at: TimeDateTimeWithTimeZone,
        pub expires_at: TimeDateTimeWithTimeZone,
        /// Where the waiting browser goes once signed in (a path on this site).
        pub next: Option<String>,
        /// The number the waiting browser shows (10–99).
        pub number: Option<i16>,
        /// The numbers the approver picks from, space-separated.
        pub choices: Option<String>,
        pub wrong_picks: i32,
        /// The approving session's strength and authentication time (Unix
        /// seconds), which the new session carries.
        pub approver_strength: Option<Strength>,
        pub approver_authenticated_at: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use axum::middleware;
use entity::Status;

/// The waiting browser's pages and the approving phone's.
pub(crate) fn pages() -> Router<AppState> {
    let sensitive = || middleware::from_fn(platform::ratelimit::sensitive);
    let return_to_service = || middleware::from_fn(crate::sign_in::allow_return_to_service);
    Router::new()
        .route("/sign-in/app", get(start).post(complete).route_layer(sensitive()).route_layer(return_to_service()))
        .route("/sign-in/approve", get(approve_page).post(decide).route_layer(sensitive()))
        .route("/sign-in/scan", get(scan))
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Pending,
    Approved,
    Denied,
    Expired,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Pending => "pending",
            Outcome::Approved => "approved",
            Outcome::Denied => "denied",
            Outcome::Expired => "expired",
        }
    }
}

fn outcome(row: &entity::Model) -> Outcome {
    let live = platform::db::now() < row.expires_at;
    match row.status {
        Status::Approved if live => Outcome::Approved,
        Status::Denied => Outcome::Denied,
        Status::Pending if live => Outcome::Pending,
        _ => Outcome::Expired,
    }
}

/// A random index below `n` (at most 256), without modulo bias.
fn random_below(n: usize) -> usize {
    let limit = 256 - 256 % n;
    loop {
        let [b] = platform::crypto::random_bytes::<1>();
        if usize::from(b) < limit {
            return usize::from(b) % n;
        }
    }
}

/// The number the waiting browser shows (two digits, 10–99), and the
/// choices the approver sees: it among distinct decoys, shuffled.
fn number_and_choices() -> (i16, Vec<i16>) {
    let two_digits = || 10 + i16::try_from(random_below(90)).unwrap_or(0);
    let number = two_digits();
    let mut choices = vec![number];
    while choices.len() < CHOICES {
        let decoy = two_digits();
        if !choices.contains(&decoy) {
            choices.push(decoy);
        }
    }
    for i in (1..choices.len()).rev() {
        choices.swap(i, random_below(i + 1));
    }
    (number, choices)
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
    /// The number to pick on the approving device.
    number: String,
    /// Where to go once signed in (a path on this site), or empty.
    next: &'a str,
    /// A new code, and the password form, keeping `next`.
    new_code_href: String,
    password_href: String,
}

impl<'a> WaitPage<'a> {
    fn new(ctx: &'a PageContext, row: &'a entity::Model, expires: &'a str) -> Self {
        let next = row.next.as_deref().and_then(crate::pages::safe_next).unwrap_or("");
        let keep_next = |path: &str| match next {
            "" => ctx.href(path),
            next => format!("{}?next={}", ctx.href(path), crate::pages::urlencode(next)),
        };
        WaitPage {
            ctx,
            errors: FormErrors::new(),
            id: &row.id,
            link: "",
            qr_data_uri: "",
            expires,
            number: row.number.map(|n| n.to_string()).unwrap_or_default(),
            next,
            new_code_href: keep_next("/sign-in/app"),
            password_href: keep_next("/sign-in"),
        }
    }
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

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct StartQuery {
    /// Where to go once signed in: a service's authorization request, say.
    next: String,
}

/// `GET /{lang}/sign-in/app?next=`: a new request, its QR code, the number
/// to pick, and the cookie that binds it here.
pub(crate) async fn start(
    State(state): State<AppState>,
    ctx: PageContext,
    client: Extension<ClientInfo>,
    headers: HeaderMap,
    Query(q): Query<StartQuery>,
) -> Result<Response, AppError> {
    let code = platform::crypto::random_token();
    let binding = platform::crypto::random_token();
    let now = platform::db::now();
    let (number, choices) = number_and_choices();
    let choices = choices.iter().map(i16::to_string).collect::<Vec<_>>().join(" ");
    let row = entity::ActiveModel {
        id: Set(Uuid::now_v7().to_string()),
        code_mac: Set(code_mac(&state, &code)),
        browser_mac: Set(browser_mac(&state, &binding)),
        user_agent: Set(headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().take(300).collect())),
        ip: Set(Some(client.ip.to_string())),
        status: Set(Status::Pending),
        approved_by: Set(None),
        created_at: Set(now),
        expires_at: Set(now + LIFETIME),
        next: Set(crate::pages::safe_next(&q.next).map(str::to_owned)),
        number: Set(Some(number)),
        choices: Set(Some(choices)),
        wrong_picks: Set(0),
        approver_strength: Set(None),
        approver_authenticated_at: Set(None),
    }
    .insert(&state.db)
    .await?;
    let link = format!("{}{}?c={code}", state.public_url(), ctx.href("/sign-in/approve"));
    let qr_data_uri = crate::pages::qr_data_uri(&link)?;
    let expires = ctx.local_clock(row.expires_at);
    let content = WaitPage { link: &link, qr_data_uri: &qr_data_uri, ..WaitPage::new(&ctx, &row, &expires) };
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
        if now != Outcome::Pending || tokio::time::Instant::now() >= deadline {
            let body = Json(serde_json::json!({ "status": now.as_str() }));
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

/// `POST /{lang}/sign-in/app`: the waiting browser collects its sign-in and
/// goes on to the request's `next`.
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
        Outcome::Pending => {
            // Not yet: the same page again, still waiting.
            let expires = ctx.local_clock(row.expires_at);
            let mut content = WaitPage::new(&ctx, &row, &expires);
            content.errors.add("continue", "app-sign-in-pending");
            return ctx.page(StatusCode::UNPROCESSABLE_ENTITY, "app-sign-in-title", &content);
        }
        Outcome::Denied => return ended("app-sign-in-denied"),
        Outcome::Expired => return ended("app-sign-in-expired"),
        Outcome::Approved => {}
    }
    // Single use, even with two tabs racing: only one update finds it approved.
    let taken = entity::Entity::update_many()
        .col_expr(entity::Column::Status, Expr::value(Status::Used))
        .filter(entity::Column::Id.eq(&row.id))
        .filter(entity::Column::Status.eq(Status::Approved))
        .exec(&state.db)
        .await?
        .rows_affected
        == 1;
    // The approver's proof, as it was when they approved: never fresher or stronger.
    let proof = match (&row.approved_by, row.approver_strength, row.approver_authenticated_at) {
        (Some(id), Some(strength), Some(at)) if taken => Some((id, strength, at)),
        _ => None,
    };
    let account = match proof {
        Some((id, strength, at)) => store::account_by_id(&state.db, id)
            .await?
            .filter(|a| a.status == store::account::Status::Active)
            .map(|account| (account, strength, at)),
        None => None,
    };
    let Some((account, strength, at)) = account else { return ended("app-sign-in-expired") };
    let principal = store::principal_approved_on_another_device(&account, strength.into(), at)?;
    let next = row.next.as_deref().and_then(crate::pages::safe_next);
    let mut response =
        crate::sign_in::start_session(&state, &ctx, &client, &request_id, &headers, principal, next).await?;
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
    errors: FormErrors,
    code: &'a str,
    /// The service whose sign-in this is, when one asks.
    service: Option<String>,
    /// Browser and system ("Chrome on Windows"), never the raw user-agent text.
    device: String,
    ip: &'a str,
    /// Where the address is, if the operator's places file knows it.
    place: &'a str,
    asked_at: String,
    /// The numbers to pick from.
    choices: Vec<String>,
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
    Ok(row.filter(|r| outcome(r) == Outcome::Pending))
}

fn gone(ctx: &PageContext) -> Result<Response, AppError> {
    ended(ctx, StatusCode::GONE, "app-sign-in-approve-title", "app-sign-in-code-gone")
}

/// Sign in on this device (again), then come back to the same approval.
fn sign_in_then_approve(ctx: &PageContext, code: &str) -> Response {
    let back = format!("{}?c={}", ctx.href("/sign-in/approve"), crate::pages::urlencode(code));
    crate::pages::see_other(&crate::pages::sign_in_then(ctx, &back))
}

/// The name of the service whose pending authorization request `next`
/// continues, if it is one. Only a request the server holds (validated
/// when it arrived) names a service: a link that merely carries a
/// `client_id` could make the approver see any service's name.
async fn asking_service(state: &AppState, next: Option<&str>) -> Result<Option<String>, AppError> {
    let Some(("/oauth/authorize", query)) = next.and_then(|n| n.split_once('?')) else { return Ok(None) };
    let pending = url::form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "pending").map(|(_, v)| v);
    let Some(pending) = pending else { return Ok(None) };
    let Some(held) = crate::oidc::held_request(state, &pending).await? else { return Ok(None) };
    Ok(crate::oidc::store::client(&state.db, &held.client_id).await?.map(|c| c.name))
}

/// The approval page for `row`, with `errors` (a missing or wrong number).
async fn approval_form(
    state: &AppState,
    ctx: &PageContext,
    row: &entity::Model,
    code: &str,
    errors: FormErrors,
) -> Result<Response, AppError> {
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let content = ApprovePage {
        ctx,
        errors,
        code,
        service: asking_service(state, row.next.as_deref()).await?,
        device: row.user_agent.as_deref().and_then(|ua| crate::devices::known(ctx, ua)).unwrap_or_default(),
        ip: row.ip.as_deref().unwrap_or(""),
        place: row.ip.as_deref().and_then(|ip| crate::settings::of(state).places.name_of(ip, ctx.lang)).unwrap_or(""),
        asked_at: ctx.local_clock(row.created_at),
        choices: row.choices.as_deref().unwrap_or("").split_whitespace().map(str::to_owned).collect(),
    };
    ctx.page(status, "app-sign-in-approve-title", &content)
}

/// `GET /{lang}/sign-in/approve?c=`: on the signed-in device, what is asking,
/// and the numbers to pick from. Needs a recent sign-in on this device.
pub(crate) async fn approve_page(
    State(state): State<AppState>,
    ctx: PageContext,
    MaybePrincipal(principal): MaybePrincipal,
    Query(q): Query<CodeQuery>,
) -> Result<Response, AppError> {
    let Some(principal) = principal else { return Ok(sign_in_then_approve(&ctx, &q.c)) };
    let Some(row) = pending_by_code(&state, &q.c).await? else { return gone(&ctx) };
    if !crate::pages::recently_signed_in(&principal) {
        return Ok(sign_in_then_approve(&ctx, &q.c));
    }
    approval_form(&state, &ctx, &row, &q.c, FormErrors::new()).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct DecisionForm {
    c: String,
    decision: String,
    /// The number picked (when approving).
    number: String,
}

/// What a pick of a number did.
enum Pick {
    Approved,
    Wrong {
        tries_left: i32,
    },
    /// Too many wrong picks: the request is refused.
    Ended,
    /// The request is no longer waiting.
    Gone,
}

/// `POST /{lang}/sign-in/approve`: approve (by picking the number the
/// waiting browser shows) or refuse. The page's checks again: a pending
/// request, a recent sign-in.
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
    if !crate::pages::recently_signed_in(&principal) {
        return Ok(sign_in_then_approve(&ctx, &form.c));
    }
    if !approve {
        if !refuse(&state, &principal, &row.id).await? {
            return gone(&ctx);
        }
        announce(&state, &row.id).await;
        return ended(&ctx, StatusCode::OK, "app-sign-in-approve-title", "app-sign-in-refused");
    }
    let picked = form.number.trim();
    if picked.len() != 2 || !picked.bytes().all(|b| b.is_ascii_digit()) {
        let mut errors = FormErrors::new();
        errors.add("number", "app-sign-in-number-missing");
        return approval_form(&state, &ctx, &row, &form.c, errors).await;
    }
    match pick(&state, &principal, &row.id, picked).await? {
        Pick::Approved => {
            announce(&state, &row.id).await;
            ended(&ctx, StatusCode::OK, "app-sign-in-approve-title", "app-sign-in-approved")
        }
        Pick::Wrong { tries_left } => {
            let mut errors = FormErrors::new();
            errors.add_with("number", "app-sign-in-number-wrong", vec![("tries", tries_left.to_string())]);
            approval_form(&state, &ctx, &row, &form.c, errors).await
        }
        Pick::Ended => {
            announce(&state, &row.id).await;
            ended(&ctx, StatusCode::UNPROCESSABLE_ENTITY, "app-sign-in-approve-title", "app-sign-in-number-ended")
        }
        Pick::Gone => gone(&ctx),
    }
}

/// Wakes the waiting browser, on whichever server holds it.
async fn announce(state: &AppState, id: &str) {
    if let Err(error) = state.events.publish(&state.db, &Decided { id: id.to_owned() }).await {
        // The decision is committed; a waiter still sees it when its hold ends.
        tracing::warn!(%error, "app sign-in decision not announced");
    }
}

fn audit_entry(principal: &Principal, action: &str, id: &str) -> AuditEntry {
    AuditEntry::new(format!("account:{}", principal.account_id), action, format!("app_sign_in:{id}"))
}

/// Refuses a pending request; false when it no longer waits.
async fn refuse(state: &AppState, principal: &Principal, id: &str) -> Result<bool, AppError> {
    let txn = platform::db::begin_write(&state.db).await?;
    let refused = entity::Entity::update_many()
        .col_expr(entity::Column::Status, Expr::value(Status::Denied))
        .filter(entity::Column::Id.eq(id))
        .filter(entity::Column::Status.eq(Status::Pending))
        .exec(&txn)
        .await?
        .rows_affected
        == 1;
    if refused {
        audit::record(&txn, &state.keys, audit_entry(principal, "account.app_sign_in_denied", id)).await?;
    }
    txn.commit().await?;
    Ok(refused)
}

/// Checks the picked number in one write transaction: right approves with
/// the approver's proof; wrong is counted, and the last allowed wrong pick
/// refuses the request.
async fn pick(state: &AppState, principal: &Principal, id: &str, picked: &str) -> Result<Pick, AppError> {
    use sea_orm::sea_query::ExprTrait;
    let pending = || {
        entity::Entity::update_many()
            .filter(entity::Column::Id.eq(id))
            .filter(entity::Column::Status.eq(Status::Pending))
    };
    let txn = platform::db::begin_write(&state.db).await?;
    let row = entity::Entity::find_by_id(id.to_owned()).one(&txn).await?.filter(|r| outcome(r) == Outcome::Pending);
    let Some(number) = row.and_then(|r| r.number) else {
        txn.rollback().await?;
        return Ok(Pick::Gone);
    };
    if crate::model::same(&number.to_string(), picked) {
        let approved = pending()
            .col_expr(entity::Column::Status, Expr::value(Status::Approved))
            .col_expr(entity::Column::ApprovedBy, Expr::value(principal.account_id.to_string()))
            .col_expr(entity::Column::ApproverStrength, Expr::value(entity::Strength::from(principal.strength)))
            .col_expr(entity::Column::ApproverAuthenticatedAt, Expr::value(principal.authenticated_at))
            .exec(&txn)
            .await?
            .rows_affected
            == 1;
        if !approved {
            txn.rollback().await?;
            return Ok(Pick::Gone);
        }
        audit::record(&txn, &state.keys, audit_entry(principal, "account.app_sign_in_approved", id)).await?;
        txn.commit().await?;
        return Ok(Pick::Approved);
    }
    // Counted in one statement (concurrent picks each count), then read back.
    let counted = pending()
        .col_expr(entity::Column::WrongPicks, Expr::col(entity::Column::WrongPicks).add(1))
        .exec(&txn)
        .await?
        .rows_affected
        == 1;
    let wrong_picks = match entity::Entity::find_by_id(id.to_owned()).one(&txn).await? {
        Some(row) if counted => row.wrong_picks,
        _ => {
            txn.rollback().await?;
            return Ok(Pick::Gone);
        }
    };
    audit::record(&txn, &state.keys, audit_entry(principal, "account.app_sign_in_wrong_number", id)).await?;
    let ended = wrong_picks >= MAX_WRONG_PICKS;
    if ended {
        pending().col_expr(entity::Column::Status, Expr::value(Status::Denied)).exec(&txn).await?;
        audit::record(&txn, &state.keys, audit_entry(principal, "account.app_sign_in_denied", id)).await?;
    }
    txn.commit().await?;
    Ok(if ended { Pick::Ended } else { Pick::Wrong { tries_left: MAX_WRONG_PICKS - wrong_picks } })
}

/// Deletes requests that ended more than a day ago.
pub(crate) async fn purge(conn: &impl ConnectionTrait) -> Result<u64, DbErr> {
    let before = platform::db::now() - time::Duration::days(1);
    Ok(entity::Entity::delete_many().filter(entity::Column::ExpiresAt.lt(before)).exec(conn).await?.rows_affected)
}
