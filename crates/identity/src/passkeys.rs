//! Passkeys (WebAuthn, through webauthn-rs). A resident adds them on the
//! passkeys page, then signs in with one instead of a password, or uses one
//! for the second step after a password when two-step verification is on.
//! A passkey checks the person on the device (fingerprint, face or PIN:
//! user verification is required), so a passkey sign-in counts as two
//! factors (`AuthStrength::Passkey`).
//!
//! Each ceremony is two requests. `…/options` starts it: webauthn-rs's state
//! is kept in `passkey_ceremony` (keyed by a MAC of an HttpOnly cookie, five
//! minutes, single use, so any server can finish it) and the answer is the
//! options for `navigator.credentials`. The page's form then posts the
//! authenticator's answer in a hidden field, so outcomes and errors are
//! ordinary pages with an error summary.
//!
//! The relying-party ID is the host of `server.public_url`. A loopback
//! address (development, tests) becomes `localhost`, since an IP address
//! cannot be a relying-party ID; any other IP address turns passkeys off.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use platform::app::AppState;
use platform::audit::{self, AuditEntry};
use platform::error::AppError;
use platform::extract::PageForm;
use platform::form::FormErrors;
use platform::i18n::Lang;
use platform::outbox;
use platform::page::PageContext;
use platform::principal::AuthStrength;
use platform::web::{self, ClientInfo, RequestId};
use sea_orm::ActiveValue::Set;
use sea_orm::QueryOrder;
use sea_orm::entity::prelude::*;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use webauthn_rs::prelude::{
    DiscoverableAuthentication, Passkey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, Url, Uuid, Webauthn, WebauthnBuilder,
};

use crate::devices;
use crate::errors::IdentityError;
use crate::notices;
use crate::pages::ReturnTo;
use crate::pages::{RecentSignIn, safe_next, see_other};
use crate::sign_in::start_session;
use crate::store::{self, account};
use axum::Router;
use axum::middleware;
use axum::routing::{get, post};

/// Signing in with a passkey, and the account's passkeys page.
pub(crate) fn pages() -> Router<AppState> {
    let sensitive = || middleware::from_fn(platform::ratelimit::sensitive);
    let return_to_service = || middleware::from_fn(crate::sign_in::allow_return_to_service);
    Router::new()
        .route("/sign-in/passkey", post(sign_in).route_layer(sensitive()).route_layer(return_to_service()))
        .route("/sign-in/passkey/options", post(sign_in_options).route_layer(sensitive()))
        .route("/sign-in/two-step/passkey/options", post(second_step_options).route_layer(sensitive()))
        .route("/account/passkeys", get(page).post(add))
        .route(
            "/account/passkeys/options",
            post(register_options).route_layer(Extension(ReturnTo("/account/passkeys"))),
        )
        .route("/account/passkeys/remove", post(remove).route_layer(Extension(ReturnTo("/account/passkeys"))))
}

/// How long a ceremony may take (the browser's own timeout is shorter).
const CEREMONY_LIFETIME: time::Duration = time::Duration::minutes(5);
/// The most passkeys one account may have.
pub const MAX_PER_ACCOUNT: u64 = 20;
const NAME_MAX: usize = 60;

pub mod entity {
    //! `passkey` rows: one WebAuthn credential of an account.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "passkey")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub account_id: String,
        /// The credential ID, base64url.
        pub credential_id: String,
        pub name: String,
        /// webauthn-rs's `Passkey`, as JSON.
        pub credential: String,
        pub created_at: TimeDateTimeWithTimeZone,
        pub last_used_at: Option<TimeDateTimeWithTimeZone>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod ceremony {
    //! `passkey_ceremony` rows: a registration or sign-in in flight.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "passkey_ceremony")]
    pub struct Model {
        /// MAC of the cookie's token.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        /// `register`, `sign_in` or `second_step`.
        pub purpose: String,
        pub account_id: Option<String>,
        /// webauthn-rs's ceremony state, as JSON.
        pub state: String,
        pub expires_at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// What a ceremony is for; a ceremony started for one cannot finish another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Register,
    SignIn,
    SecondStep,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::Register => "register",
            Purpose::SignIn => "sign_in",
            Purpose::SecondStep => "second_step",
        }
    }
}

/// The relying-party ID and origin of this server, or `None` when its
/// public URL cannot be one (an IP address other than loopback).
fn origin(state: &AppState) -> Option<(String, Url)> {
    let mut origin = Url::parse(&state.public_url()).ok()?;
    let loopback = match origin.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        _ => false,
    };
    if loopback {
        origin.set_host(Some("localhost")).ok()?;
    }
    Some((origin.domain()?.to_owned(), origin))
}

/// Whether this server offers passkeys (for pages deciding what to show).
pub fn available(state: &AppState) -> bool {
    origin(state).is_some()
}

/// This server as a WebAuthn relying party, for a ceremony.
pub fn relying_party(state: &AppState) -> Option<Webauthn> {
    let (rp_id, origin) = origin(state)?;
    WebauthnBuilder::new(&rp_id, &origin).ok()?.rp_name("Lionrock").build().ok()
}

fn unavailable() -> AppError {
    IdentityError::PasskeysUnavailable.into()
}

fn cookie_name(https: bool) -> &'static str {
    if https { "__Host-lr_passkey" } else { "lr_passkey" }
}

fn ceremony_key(state: &AppState, token: &str) -> String {
    state.keys.blind_index("identity.passkey-ceremony", token)
}

fn account_uuid(account_id: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(account_id).map_err(AppError::internal)
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, AppError> {
    serde_json::to_string(value).map_err(AppError::internal)
}

fn from_json<T: DeserializeOwned>(text: &str) -> Result<T, AppError> {
    serde_json::from_str(text).map_err(AppError::internal)
}

/// Keeps a ceremony's state; returns the options as the response, with the
/// cookie that names the ceremony.
async fn start(
    state: &AppState,
    https: bool,
    purpose: Purpose,
    account_id: Option<&str>,
    ceremony_state: String,
    options: serde_json::Value,
) -> Result<Response, AppError> {
    let token = platform::crypto::random_token();
    ceremony::ActiveModel {
        id: Set(ceremony_key(state, &token)),
        purpose: Set(purpose.as_str().to_owned()),
        account_id: Set(account_id.map(str::to_owned)),
        state: Set(ceremony_state),
        expires_at: Set(platform::db::now() + CEREMONY_LIFETIME),
    }
    .insert(&state.db)
    .await?;
    let max_age = u64::try_from(CEREMONY_LIFETIME.whole_seconds()).unwrap_or(300);
    let mut response = Json(options).into_response();
    response.headers_mut().append(header::SET_COOKIE, web::cookie(cookie_name(https), &token, https, Some(max_age)));
    // Never cached: the platform marks every response `no-store` unless it says otherwise.
    Ok(response)
}

/// Takes (reads and deletes, once) the ceremony this browser started for
/// `purpose`; `None` if there is none, it expired, or another request took it.
async fn take(
    state: &AppState,
    headers: &HeaderMap,
    https: bool,
    purpose: Purpose,
) -> Result<Option<ceremony::Model>, AppError> {
    let Some(token) = web::read_cookie(headers, cookie_name(https)) else { return Ok(None) };
    let key = ceremony_key(state, token);
    let Some(row) = ceremony::Entity::find_by_id(key.clone()).one(&state.db).await? else { return Ok(None) };
    let deleted = ceremony::Entity::delete_many().filter(ceremony::Column::Id.eq(key)).exec(&state.db).await?;
    let fresh = platform::db::now() < row.expires_at;
    Ok((deleted.rows_affected == 1 && fresh && row.purpose == purpose.as_str()).then_some(row))
}

fn clear_cookie(response: &mut Response, https: bool) {
    response.headers_mut().append(header::SET_COOKIE, web::cookie(cookie_name(https), "", https, Some(0)));
}

pub async fn list(conn: &impl ConnectionTrait, account_id: &str) -> Result<Vec<entity::Model>, DbErr> {
    entity::Entity::find()
        .filter(entity::Column::AccountId.eq(account_id))
        .order_by_asc(entity::Column::CreatedAt)
        .all(conn)
        .await
}

pub async fn count(conn: &impl ConnectionTrait, account_id: &str) -> Result<u64, DbErr> {
    entity::Entity::find().filter(entity::Column::AccountId.eq(account_id)).count(conn).await
}

/// Ended ceremonies, for the periodic job.
pub(crate) async fn purge(conn: &impl ConnectionTrait) -> Result<u64, DbErr> {
    let done =
        ceremony::Entity::delete_many().filter(ceremony::Column::ExpiresAt.lt(platform::db::now())).exec(conn).await?;
    Ok(done.rows_affected)
}

/// Records a passkey's use: its new counter and backup state, and when.
async fn used(
    conn: &impl ConnectionTrait,
    row: entity::Model,
    mut passkey: Passkey,
    result: &webauthn_rs::prelude::AuthenticationResult,
) -> Result<(), AppError> {
    let credential = match passkey.update_credential(result) {
        Some(true) => to_json(&passkey)?,
        _ => row.credential.clone(),
    };
    let mut active: entity::ActiveModel = row.into();
    active.credential = Set(credential);
    active.last_used_at = Set(Some(platform::db::now()));
    active.update(conn).await?;
    Ok(())
}

async fn notify(
    state: &AppState,
    txn: &sea_orm::DatabaseTransaction,
    lang: Lang,
    account: &account::Model,
    action: &str,
    subject: &str,
    body: &str,
) -> Result<(), AppError> {
    let subject_account = format!("account:{}", account.id);
    audit::record(txn, &state.keys, AuditEntry::new(subject_account.clone(), action, subject_account)).await?;
    outbox::enqueue(txn, notices::to_holder(state, lang, account, subject, body)?).await?;
    Ok(())
}

// ---- the passkeys page --------------------------------------------------

struct PasskeyRow {
    id: String,
    name: String,
    added: String,
    last_used: String,
}

#[derive(Template)]
#[template(path = "passkeys.html")]
struct PasskeysPage<'a> {
    ctx: &'a PageContext,
    errors: FormErrors,
    passkeys: Vec<PasskeyRow>,
    available: bool,
    full: bool,
    name: &'a str,
    added: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct AddedQuery {
    added: Option<String>,
}

async fn passkeys_page(
    state: &AppState,
    ctx: &PageContext,
    account_id: &str,
    errors: FormErrors,
    name: &str,
    added: bool,
) -> Result<Response, AppError> {
    let rows = list(&state.db, account_id).await?;
    let full = rows.len() as u64 >= MAX_PER_ACCOUNT;
    let passkeys = rows
        .into_iter()
        .map(|p| PasskeyRow {
            id: p.id,
            name: p.name,
            added: ctx.local_time(p.created_at),
            last_used: p.last_used_at.map(|t| ctx.local_time(t)).unwrap_or_else(|| ctx.t("passkeys-never-used")),
        })
        .collect();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let available = available(state);
    ctx.page(status, "passkeys-title", &PasskeysPage { ctx, errors, passkeys, available, full, name, added })
}

pub(crate) async fn page(
    State(state): State<AppState>,
    RecentSignIn(principal): RecentSignIn,
    ctx: PageContext,
    axum::extract::Query(q): axum::extract::Query<AddedQuery>,
) -> Result<Response, AppError> {
    passkeys_page(&state, &ctx, &principal.account_id.to_string(), FormErrors::new(), "", q.added.is_some()).await
}

/// `POST /{lang}/account/passkeys/options`: starts adding a passkey.
pub(crate) async fn register_options(
    State(state): State<AppState>,
    RecentSignIn(principal): RecentSignIn,
    client: Extension<ClientInfo>,
) -> Result<Response, AppError> {
    let rp = relying_party(&state).ok_or_else(unavailable)?;
    let account = crate::pages::signed_in_account(&state, &principal).await?;
    let existing = list(&state.db, &account.id).await?;
    if existing.len() as u64 >= MAX_PER_ACCOUNT {
        return Err(IdentityError::PasskeyLimit { max: MAX_PER_ACCOUNT }.into());
    }
    // Asking for a passkey the authenticator already holds for this account is refused by the browser.
    let exclude = existing
        .iter()
        .map(|p| from_json::<Passkey>(&p.credential).map(|k| k.cred_id().clone()))
        .collect::<Result<Vec<_>, _>>()?;
    let (options, registration) = rp
        .start_passkey_registration(account_uuid(&account.id)?, account.name(), account.name(), Some(exclude))
        .map_err(AppError::internal)?;
    let mut options = serde_json::to_value(&options).map_err(AppError::internal)?;
    // A passkey is a discoverable credential: it can sign in without a name typed first.
    if let Some(selection) = options.pointer_mut("/publicKey/authenticatorSelection").and_then(|s| s.as_object_mut()) {
        selection.insert("residentKey".to_owned(), "preferred".into());
    }
    start(&state, client.https, Purpose::Register, Some(&account.id), to_json(&registration)?, options).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct AddForm {
    name: String,
    credential: String,
}

/// `POST /{lang}/account/passkeys`: finishes adding a passkey.
pub(crate) async fn add(
    State(state): State<AppState>,
    RecentSignIn(principal): RecentSignIn,
    ctx: PageContext,
    client: Extension<ClientInfo>,
    headers: HeaderMap,
    PageForm(form): PageForm<AddForm>,
) -> Result<Response, AppError> {
    let account_id = principal.account_id.to_string();
    let mut errors = FormErrors::new();
    let name = form.name.trim();
    if name.chars().count() > NAME_MAX {
        errors.add_with("name", "passkey-name-too-long", vec![("max", NAME_MAX.to_string())]);
    }
    if form.credential.trim().is_empty() {
        errors.add("name", "passkey-no-answer");
    }
    let rp = relying_party(&state).ok_or_else(unavailable)?;
    let ceremony = take(&state, &headers, client.https, Purpose::Register).await?;
    let ceremony = ceremony.filter(|c| c.account_id.as_deref() == Some(account_id.as_str()));
    if errors.is_empty() && ceremony.is_none() {
        errors.add("name", "passkey-ended");
    }
    let (Some(ceremony), true) = (ceremony, errors.is_empty()) else {
        let mut response = passkeys_page(&state, &ctx, &account_id, errors, name, false).await?;
        clear_cookie(&mut response, client.https);
        return Ok(response);
    };
    let registration: PasskeyRegistration = from_json(&ceremony.state)?;
    let answer = serde_json::from_str::<RegisterPublicKeyCredential>(&form.credential);
    let passkey = match &answer {
        Ok(answer) => rp.finish_passkey_registration(answer, &registration).map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    let passkey = match passkey {
        Ok(passkey) => passkey,
        Err(why) => {
            tracing::info!(account = %account_id, %why, "passkey registration refused");
            // The browser should not have offered it (it is excluded); say so plainly if it did.
            let again = match &answer {
                Ok(answer) => {
                    let id = URL_SAFE_NO_PAD.encode(&answer.raw_id);
                    list(&state.db, &account_id).await?.iter().any(|p| p.credential_id == id)
                }
                Err(_) => false,
            };
            errors.add("name", if again { "passkey-already-added" } else { "passkey-refused" });
            let mut response = passkeys_page(&state, &ctx, &account_id, errors, name, false).await?;
            clear_cookie(&mut response, client.https);
            return Ok(response);
        }
    };
    let account = crate::pages::signed_in_account(&state, &principal).await?;
    let name = if name.is_empty() {
        headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| devices::describe(&ctx, ua))
            .unwrap_or_else(|| ctx.t("passkeys-default-name"))
    } else {
        name.to_owned()
    };
    let credential_id: &[u8] = passkey.cred_id().as_ref();
    let credential_id = URL_SAFE_NO_PAD.encode(credential_id);
    let txn = platform::db::begin_write(&state.db).await?;
    if entity::Entity::find().filter(entity::Column::CredentialId.eq(credential_id.as_str())).one(&txn).await?.is_some()
    {
        txn.rollback().await?;
        errors.add("name", "passkey-already-added");
        return passkeys_page(&state, &ctx, &account_id, errors, &name, false).await;
    }
    entity::ActiveModel {
        id: Set(Uuid::now_v7().to_string()),
        account_id: Set(account_id.clone()),
        credential_id: Set(credential_id),
        name: Set(name.chars().take(NAME_MAX).collect()),
        credential: Set(to_json(&passkey)?),
        created_at: Set(platform::db::now()),
        last_used_at: Set(None),
    }
    .insert(&txn)
    .await?;
    notify(
        &state,
        &txn,
        ctx.lang,
        &account,
        "account.passkey_add",
        "email-passkey-added-subject",
        "email-passkey-added-body",
    )
    .await?;
    txn.commit().await?;
    state.outbox_wake.notify_one();
    let mut response = see_other(&format!("{}?added=1", ctx.href("/account/passkeys")));
    clear_cookie(&mut response, client.https);
    Ok(response)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RemoveForm {
    id: String,
}

/// `POST /{lang}/account/passkeys/remove`.
pub(crate) async fn remove(
    State(state): State<AppState>,
    RecentSignIn(principal): RecentSignIn,
    ctx: PageContext,
    PageForm(form): PageForm<RemoveForm>,
) -> Result<Response, AppError> {
    let account_id = principal.account_id.to_string();
    let account = crate::pages::signed_in_account(&state, &principal).await?;
    let txn = platform::db::begin_write(&state.db).await?;
    let removed = entity::Entity::delete_many()
        .filter(entity::Column::Id.eq(form.id.as_str()))
        .filter(entity::Column::AccountId.eq(account_id.as_str()))
        .exec(&txn)
        .await?;
    if removed.rows_affected == 0 {
        txn.rollback().await?;
        return Err(AppError::not_found());
    }
    notify(
        &state,
        &txn,
        ctx.lang,
        &account,
        "account.passkey_remove",
        "email-passkey-removed-subject",
        "email-passkey-removed-body",
    )
    .await?;
    txn.commit().await?;
    state.outbox_wake.notify_one();
    Ok(see_other(&ctx.href("/account/passkeys")))
}

// ---- signing in ---------------------------------------------------------

/// `POST /{lang}/sign-in/passkey/options`: starts a sign-in with whichever
/// passkey the resident picks (no name typed first).
pub(crate) async fn sign_in_options(
    State(state): State<AppState>,
    client: Extension<ClientInfo>,
) -> Result<Response, AppError> {
    let rp = relying_party(&state).ok_or_else(unavailable)?;
    let (mut options, authentication) = rp.start_discoverable_authentication().map_err(AppError::internal)?;
    // A button press, not autofill: the browser's own dialog.
    options.mediation = None;
    let options = serde_json::to_value(&options).map_err(AppError::internal)?;
    start(&state, client.https, Purpose::SignIn, None, to_json(&authentication)?, options).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct AnswerForm {
    credential: String,
    next: String,
}

/// The account a discoverable sign-in answer proves, if it does.
async fn check_sign_in(
    state: &AppState,
    rp: &Webauthn,
    ceremony: &ceremony::Model,
    answer: &str,
) -> Result<Option<account::Model>, AppError> {
    let Ok(answer) = serde_json::from_str::<PublicKeyCredential>(answer) else { return Ok(None) };
    let authentication: DiscoverableAuthentication = from_json(&ceremony.state)?;
    let Ok((user, credential_id)) = rp.identify_discoverable_authentication(&answer) else { return Ok(None) };
    let credential_id = URL_SAFE_NO_PAD.encode(credential_id);
    let Some(row) = entity::Entity::find()
        .filter(entity::Column::CredentialId.eq(credential_id.as_str()))
        .filter(entity::Column::AccountId.eq(user.to_string()))
        .one(&state.db)
        .await?
    else {
        return Ok(None);
    };
    let passkey: Passkey = from_json(&row.credential)?;
    let result = match rp.finish_discoverable_authentication_v2(&answer, authentication, &passkey) {
        Ok(result) => result,
        Err(e) => {
            tracing::info!(account = %row.account_id, error = %e, "passkey sign-in refused");
            return Ok(None);
        }
    };
    let account =
        store::account_by_id(&state.db, &row.account_id).await?.filter(|a| a.status == account::Status::Active);
    if account.is_some() {
        used(&state.db, row, passkey, &result).await?;
    }
    Ok(account)
}

/// `POST /{lang}/sign-in/passkey`: finishes a passkey sign-in.
pub(crate) async fn sign_in(
    State(state): State<AppState>,
    ctx: PageContext,
    client: Extension<ClientInfo>,
    request_id: RequestId,
    headers: HeaderMap,
    PageForm(form): PageForm<AnswerForm>,
) -> Result<Response, AppError> {
    let rp = relying_party(&state).ok_or_else(unavailable)?;
    let next = safe_next(&form.next);
    let mut errors = FormErrors::new();
    match take(&state, &headers, client.https, Purpose::SignIn).await? {
        None => errors.add("passkey", "passkey-ended"),
        Some(_) if form.credential.trim().is_empty() => errors.add("passkey", "passkey-no-answer"),
        Some(ceremony) => match check_sign_in(&state, &rp, &ceremony, &form.credential).await? {
            Some(account) => {
                let principal = store::principal(&account, AuthStrength::Passkey)?;
                let mut response = start_session(&state, &ctx, &client, &request_id, &headers, principal, next).await?;
                clear_cookie(&mut response, client.https);
                return Ok(response);
            }
            None => errors.add("passkey", "passkey-sign-in-failed"),
        },
    }
    let mut response = crate::sign_in::sign_in_form(&state, &ctx, errors, next.unwrap_or(""))?;
    clear_cookie(&mut response, client.https);
    Ok(response)
}

/// `POST /{lang}/sign-in/two-step/passkey/options`: the second step of a
/// password sign-in, with one of the account's passkeys.
pub(crate) async fn second_step_options(
    State(state): State<AppState>,
    client: Extension<ClientInfo>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let rp = relying_party(&state).ok_or_else(unavailable)?;
    let challenge = match crate::pages::second_step_token(&headers, client.https) {
        Some(token) => store::challenge(&state.db, &store::challenge_key(token)).await?,
        None => None,
    };
    let Some(challenge) = challenge.filter(|c| platform::db::now() < c.expires_at) else {
        return Err(IdentityError::NoSecondStepWaiting.into());
    };
    let passkeys = list(&state.db, &challenge.account_id)
        .await?
        .iter()
        .map(|p| from_json::<Passkey>(&p.credential))
        .collect::<Result<Vec<_>, _>>()?;
    if passkeys.is_empty() {
        return Err(IdentityError::NoPasskey.into());
    }
    let (options, authentication) = rp.start_passkey_authentication(&passkeys).map_err(AppError::internal)?;
    let options = serde_json::to_value(&options).map_err(AppError::internal)?;
    let state_json = to_json(&authentication)?;
    start(&state, client.https, Purpose::SecondStep, Some(&challenge.account_id), state_json, options).await
}

/// Checks a second-step answer for `account_id`; true if it proves one of its passkeys.
pub(crate) async fn check_second_step(
    state: &AppState,
    headers: &HeaderMap,
    https: bool,
    account_id: &str,
    answer: &str,
) -> Result<bool, AppError> {
    let Some(rp) = relying_party(state) else { return Ok(false) };
    let Some(ceremony) = take(state, headers, https, Purpose::SecondStep).await? else { return Ok(false) };
    if ceremony.account_id.as_deref() != Some(account_id) {
        return Ok(false);
    }
    let Ok(answer) = serde_json::from_str::<PublicKeyCredential>(answer) else { return Ok(false) };
    let authentication: PasskeyAuthentication = from_json(&ceremony.state)?;
    let credential_id = URL_SAFE_NO_PAD.encode(answer.get_credential_id());
    let Some(row) = entity::Entity::find()
        .filter(entity::Column::CredentialId.eq(credential_id.as_str()))
        .filter(entity::Column::AccountId.eq(account_id))
        .one(&state.db)
        .await?
    else {
        return Ok(false);
    };
    match rp.finish_passkey_authentication(&answer, &authentication) {
        Ok(result) => {
            let passkey: Passkey = from_json(&row.credential)?;
            let txn = platform::db::begin_write(&state.db).await?;
            used(&txn, row, passkey, &result).await?;
            txn.commit().await?;
            Ok(true)
        }
        Err(e) => {
            tracing::info!(account = %account_id, error = %e, "passkey second step refused");
            Ok(false)
        }
    }
}
