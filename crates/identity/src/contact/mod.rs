//! Sign-in details: the e-mail address and mobile number an account is
//! known by. A resident who registered with one can add the other, or
//! change either, proving the new one with a one-time code sent to it (SMS
//! codes count against the caps). The old address or number is told of the
//! change. Asking for an address or number another account has looks the
//! same as any other request; that account's owner is told instead.
//!
//! Like other changes to how one signs in, this needs a recent sign-in.

use askama::Template;
use axum::Extension;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use platform::app::AppState;
use platform::audit::{self, AuditEntry};
use platform::error::AppError;
use platform::extract::PageForm;
use platform::form::FormErrors;
use platform::outbox;
use platform::page::PageContext;
use platform::principal::SignedIn;
use platform::web::ClientInfo;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::Expr;
use serde::Deserialize;

use crate::accounts::{self, Started};
use crate::model::{Identifier, OneTimeCode, Phone};
use crate::notices;
use crate::pages::ReturnTo;
use crate::pages::{RecentSignIn, see_other};
use crate::store::verification::Purpose;
use crate::store::{self, account};
use axum::Router;
use axum::middleware;
use axum::routing::get;

/// Changing the e-mail address or mobile number.
pub(crate) fn pages() -> Router<AppState> {
    let sensitive = || middleware::from_fn(platform::ratelimit::sensitive);
    Router::new().route("/account/sign-in-details", get(page).post(submit).route_layer(sensitive())).route(
        "/account/sign-in-details/verify",
        get(verify_page).post(verify).route_layer(sensitive()).route_layer(Extension(ReturnTo(PAGE))),
    )
}

const PURPOSE_CHANGE_EMAIL: Purpose = Purpose::ChangeEmail;
const PURPOSE_CHANGE_PHONE: Purpose = Purpose::ChangePhone;
pub(crate) const PAGE: &str = "/account/sign-in-details";

fn purpose(id: &Identifier) -> Purpose {
    match id {
        Identifier::Email(_) => PURPOSE_CHANGE_EMAIL,
        Identifier::Phone(_) => PURPOSE_CHANGE_PHONE,
    }
}

/// Starts adding or changing `account`'s e-mail address or mobile number to
/// `new`: a code to `new`, or (if another account has it) a notice to its
/// owner and a decoy. `None` if `new` is already this account's.
async fn start(
    state: &AppState,
    ctx: &PageContext,
    account: &account::Model,
    new: &Identifier,
    ip: &str,
) -> Result<Option<Started>, AppError> {
    let current = match new {
        Identifier::Email(_) => account.email.as_deref(),
        Identifier::Phone(_) => account.phone.as_deref(),
    };
    if current == Some(new.as_str()) {
        return Ok(None);
    }
    let verification_id = Uuid::now_v7().to_string();
    let code = OneTimeCode::generate();
    let txn = platform::db::begin_write(&state.db).await?;
    if let Err(cap) = accounts::store::count_send(state, &txn, new, ip).await? {
        txn.rollback().await?;
        return Ok(Some(Started::Capped(cap)));
    }
    let mac = accounts::store::code_mac(state, &verification_id, &code);
    let to = crate::guesses::to_key(state, new);
    match store::account_by(&txn, new).await? {
        None => {
            store::create_verification(&txn, &verification_id, Some(&account.id), purpose(new), mac, None, to).await?;
            store::set_verification_target(&txn, &verification_id, new.as_str()).await?;
            outbox::enqueue(&txn, notices::code_message(state, ctx.lang, new, &code)).await?;
        }
        Some(_) => {
            // A decoy the code of which is never sent; the owner is told.
            let decoy = accounts::store::code_mac(state, &verification_id, &OneTimeCode::generate());
            store::create_verification(&txn, &verification_id, None, purpose(new), decoy, None, to).await?;
            let body = ctx.t("contact-taken-body");
            outbox::enqueue(&txn, notices::to_address(state, ctx.lang, new, "contact-taken-subject", body)).await?;
        }
    }
    txn.commit().await?;
    state.outbox_wake.notify_one();
    Ok(Some(Started::Verification(verification_id)))
}

/// What entering the code did.
enum Finished {
    Changed,
    Code(accounts::VerifyOutcome),
    /// Another account took the address or number in the meantime.
    Taken,
}

async fn finish(
    state: &AppState,
    ctx: &PageContext,
    account: &account::Model,
    verification_id: &str,
    code: &OneTimeCode,
) -> Result<Finished, AppError> {
    let purposes = [PURPOSE_CHANGE_EMAIL, PURPOSE_CHANGE_PHONE];
    let Some(v) = store::verification_by_id(&state.db, verification_id).await? else {
        return Ok(Finished::Code(accounts::VerifyOutcome::Unknown));
    };
    // Someone else's change (or a decoy) is "wrong code" here, never a way in.
    if v.account_id.as_deref().is_some_and(|id| id != account.id) {
        return Ok(Finished::Code(accounts::VerifyOutcome::Unknown));
    }
    let (txn, _, purpose) = match accounts::store::check_code(state, verification_id, code, &purposes).await? {
        accounts::store::CodeCheck::Right { txn, account_id, purpose } => (txn, account_id, purpose),
        accounts::store::CodeCheck::Not(outcome) => return Ok(Finished::Code(outcome)),
    };
    let Some(target) = v.target else { return Err(AppError::internal("change verification without a target")) };
    let phone = purpose == PURPOSE_CHANGE_PHONE;
    let (value_col, verified_col) = if phone {
        (account::Column::Phone, account::Column::PhoneVerifiedAt)
    } else {
        (account::Column::Email, account::Column::EmailVerifiedAt)
    };
    let updated = account::Entity::update_many()
        .col_expr(value_col, Expr::value(target.clone()))
        .col_expr(verified_col, Expr::value(platform::db::now()))
        .filter(account::Column::Id.eq(account.id.as_str()))
        .exec(&txn)
        .await;
    match updated {
        Ok(_) => {}
        Err(e) if platform::db::is_unique_violation(&e) => {
            txn.rollback().await?;
            return Ok(Finished::Taken);
        }
        Err(e) => return Err(e.into()),
    }
    let action = if phone { "account.change_phone" } else { "account.change_email" };
    let subject = format!("account:{}", account.id);
    audit::record(&txn, &state.keys, AuditEntry::new(subject.clone(), action, subject)).await?;
    // The old address or number hears of it (the new one just proved itself).
    let old = if phone {
        account.phone.as_deref().map(|p| Identifier::Phone(Phone::stored(p)))
    } else {
        account.email.as_deref().and_then(|e| crate::model::Email::parse(e).ok()).map(Identifier::Email)
    };
    if let Some(old) = old {
        let body = ctx.t("contact-changed-body");
        outbox::enqueue(&txn, notices::to_address(state, ctx.lang, &old, "contact-changed-subject", body)).await?;
    }
    txn.commit().await?;
    state.outbox_wake.notify_one();
    Ok(Finished::Changed)
}

// ---- pages ------------------------------------------------------------------

#[derive(Template)]
#[template(path = "sign_in_details.html")]
struct DetailsPage<'a> {
    ctx: &'a PageContext,
    errors: FormErrors,
    email: &'a str,
    email_verified: bool,
    phone: &'a str,
    phone_verified: bool,
    value: &'a str,
    changed: bool,
}

#[derive(Template)]
#[template(path = "sign_in_details_verify.html")]
struct VerifyPage<'a> {
    ctx: &'a PageContext,
    errors: FormErrors,
    verification_id: &'a str,
    by_sms: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct DetailsQuery {
    changed: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ValueForm {
    value: String,
}

async fn details_page(
    ctx: &PageContext,
    account: &account::Model,
    errors: FormErrors,
    value: &str,
    changed: bool,
    status: StatusCode,
) -> Result<Response, AppError> {
    let content = DetailsPage {
        ctx,
        errors,
        email: account.email.as_deref().unwrap_or(""),
        email_verified: account.email_verified_at.is_some(),
        phone: account.phone.as_deref().unwrap_or(""),
        phone_verified: account.phone_verified_at.is_some(),
        value,
        changed,
    };
    ctx.page(status, "contact-title", &content)
}

/// `GET /{lang}/account/sign-in-details`.
pub(crate) async fn page(
    State(state): State<AppState>,
    RecentSignIn(principal): RecentSignIn,
    ctx: PageContext,
    Query(q): Query<DetailsQuery>,
) -> Result<Response, AppError> {
    let account = crate::pages::signed_in_account(&state, &principal).await?;
    details_page(&ctx, &account, FormErrors::new(), "", q.changed.is_some(), StatusCode::OK).await
}

/// `POST /{lang}/account/sign-in-details`: a new address or number.
pub(crate) async fn submit(
    State(state): State<AppState>,
    RecentSignIn(principal): RecentSignIn,
    ctx: PageContext,
    client: Extension<ClientInfo>,
    PageForm(form): PageForm<ValueForm>,
) -> Result<Response, AppError> {
    let account = crate::pages::signed_in_account(&state, &principal).await?;
    let mut errors = FormErrors::new();
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    if let Some(new) = crate::pages::identifier_field(&state, &mut errors, "value", &form.value) {
        match start(&state, &ctx, &account, &new, &client.rate_key()).await? {
            Some(Started::Verification(v)) => {
                return Ok(see_other(&ctx.href(&format!("{PAGE}/verify?v={v}"))));
            }
            Some(Started::Capped(cap)) => {
                status = StatusCode::TOO_MANY_REQUESTS;
                crate::pages::capped_error(&mut errors, "value", cap);
            }
            None => errors.add("value", "contact-same"),
        }
    }
    details_page(&ctx, &account, errors, form.value.trim(), false, status).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct VerifyQuery {
    v: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct VerifyForm {
    v: String,
    code: String,
}

async fn verify_form(
    state: &AppState,
    ctx: &PageContext,
    v: &str,
    errors: FormErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let by_sms = store::verification_by_id(&state.db, v).await?.is_some_and(|r| r.purpose == PURPOSE_CHANGE_PHONE);
    ctx.page(status, "contact-verify-title", &VerifyPage { ctx, errors, verification_id: v, by_sms })
}

/// `GET /{lang}/account/sign-in-details/verify?v=`.
pub(crate) async fn verify_page(
    State(state): State<AppState>,
    SignedIn(_): SignedIn,
    ctx: PageContext,
    Query(q): Query<VerifyQuery>,
) -> Result<Response, AppError> {
    if Uuid::parse_str(&q.v).is_err() {
        return Err(AppError::not_found());
    }
    verify_form(&state, &ctx, &q.v, FormErrors::new(), StatusCode::OK).await
}

/// `POST /{lang}/account/sign-in-details/verify`.
pub(crate) async fn verify(
    State(state): State<AppState>,
    RecentSignIn(principal): RecentSignIn,
    ctx: PageContext,
    PageForm(form): PageForm<VerifyForm>,
) -> Result<Response, AppError> {
    if Uuid::parse_str(&form.v).is_err() {
        return Err(AppError::not_found());
    }
    let account = crate::pages::signed_in_account(&state, &principal).await?;
    let mut errors = FormErrors::new();
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    if let Some(code) = crate::pages::code_field(&mut errors, &form.code) {
        use accounts::VerifyOutcome as V;
        match finish(&state, &ctx, &account, &form.v, &code).await? {
            Finished::Changed => return Ok(see_other(&format!("{}?changed=1", ctx.href(PAGE)))),
            Finished::Taken => errors.add("code", "contact-taken-meanwhile"),
            Finished::Code(V::Wrong { tries_left }) if tries_left > 0 => {
                errors.add_with("code", "code-wrong", vec![("tries", tries_left.to_string())])
            }
            Finished::Code(V::Throttled { minutes }) => {
                status = StatusCode::TOO_MANY_REQUESTS;
                errors.add_with("code", "code-throttled", vec![("minutes", minutes.to_string())])
            }
            Finished::Code(V::Expired) => errors.add("code", "code-expired"),
            Finished::Code(V::Unknown) => return Err(AppError::not_found()),
            Finished::Code(_) => errors.add("code", "code-no-tries"),
        }
    }
    verify_form(&state, &ctx, &form.v, errors, status).await
}
