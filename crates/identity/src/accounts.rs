//! What identity does with accounts: register (with an e-mailed one-time
//! code), verify, resend, sign in with throttling, and create accounts for
//! operators. Pages and the CLI call these; they call the store, the audit
//! log and the outbox, in one transaction each.

use platform::app::AppState;
use platform::audit::{self, AuditEntry};
use platform::error::AppError;
use platform::i18n::Lang;
use platform::outbox::{self, Channel, Notification};
use platform::principal::{AccountId, AuthStrength, IdentityLevel, Principal, Role};
use sea_orm::TransactionTrait;

use crate::model::{self, Email, NewPassword, OneTimeCode};
use crate::password;
use crate::store::{self, StoreError, account};

const PURPOSE_EMAIL: &str = "email";

fn code_mac(state: &AppState, verification_id: &str, code: &OneTimeCode) -> String {
    state.keys.blind_index("identity.one-time-code", &format!("{verification_id}:{}", code.as_str()))
}

fn throttle_key(state: &AppState, email: &str) -> String {
    state.keys.blind_index("identity.sign-in", &email.trim().to_lowercase())
}

/// Constant-time comparison of two MACs.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A fixed, translated e-mail to an account holder (a security notice).
pub(crate) fn notice(state: &AppState, lang: Lang, to: &str, subject_key: &str, body_key: &str) -> Notification {
    Notification {
        channel: Channel::Email,
        recipient: to.to_owned(),
        lang,
        subject: Some(state.catalog.text(lang, subject_key)),
        body: state.catalog.text(lang, body_key),
    }
}

fn code_email(state: &AppState, lang: Lang, to: &Email, code: &OneTimeCode) -> Notification {
    let minutes = model::CODE_LIFETIME.whole_minutes().to_string();
    Notification {
        channel: Channel::Email,
        recipient: to.as_str().to_owned(),
        lang,
        subject: Some(state.catalog.text(lang, "email-code-subject")),
        body: state.catalog.text_with(lang, "email-code-body", &[("code", code.as_str()), ("minutes", &minutes)]),
    }
}

/// Registers `email` with `password`, and returns the verification ID the
/// resident continues with. If the address already has an account, its
/// owner is told by e-mail instead, and the answer looks the same.
pub async fn register(state: &AppState, lang: Lang, email: &Email, password: NewPassword) -> Result<String, AppError> {
    // Hash first, whatever happens next, so both paths take as long.
    let phc = password::hash_blocking(password).await.map_err(AppError::internal)?;
    let verification_id = uuid::Uuid::now_v7().to_string();
    let txn = platform::db::begin_write(&state.db).await?;
    let created = match store::account_by_email(&txn, email).await? {
        Some(_) => None,
        None => {
            let new =
                store::NewAccount { email, password_hash: Some(phc), active: false, real_name: false, roles: vec![] };
            match store::create_account(&txn, new).await {
                Ok(account) => Some(account),
                // Lost a race with a registration of the same address.
                Err(StoreError::EmailTaken) => None,
                Err(StoreError::Db(e)) => return Err(e.into()),
            }
        }
    };
    let txn = match created {
        Some(account) => {
            let code = OneTimeCode::generate();
            let mac = code_mac(state, &verification_id, &code);
            store::create_verification(&txn, &verification_id, Some(&account.id), PURPOSE_EMAIL, mac).await?;
            outbox::enqueue(&txn, code_email(state, lang, email, &code)).await?;
            audit::record(
                &txn,
                AuditEntry::new(
                    format!("account:{}", account.id),
                    "account.register",
                    format!("account:{}", account.id),
                ),
            )
            .await?;
            txn
        }
        None => {
            // A fresh transaction: on PostgreSQL a failed insert aborts the old one.
            txn.rollback().await?;
            let txn = platform::db::begin_write(&state.db).await?;
            // A decoy verification whose code is never sent.
            let decoy = code_mac(state, &verification_id, &OneTimeCode::generate());
            store::create_verification(&txn, &verification_id, None, PURPOSE_EMAIL, decoy).await?;
            outbox::enqueue(&txn, notice(state, lang, email.as_str(), "email-exists-subject", "email-exists-body"))
                .await?;
            txn
        }
    };
    txn.commit().await?;
    state.outbox_wake.notify_one();
    Ok(verification_id)
}

/// The result of entering a code.
#[derive(Debug)]
pub enum VerifyOutcome {
    Verified(Box<account::Model>),
    Wrong { tries_left: i32 },
    NoTriesLeft,
    Expired,
    Unknown,
}

/// A code checked: right (with the write transaction still open for the
/// caller to finish the job in), or why not.
enum CodeCheck {
    Right { txn: sea_orm::DatabaseTransaction, account_id: String },
    Not(VerifyOutcome),
}

/// Checks `code` for a verification of `purpose`, spending one try atomically.
async fn check_code(
    state: &AppState,
    verification_id: &str,
    code: &OneTimeCode,
    purpose: &str,
) -> Result<CodeCheck, AppError> {
    let Some(v) = store::verification_by_id(&state.db, verification_id).await?.filter(|v| v.purpose == purpose) else {
        return Ok(CodeCheck::Not(VerifyOutcome::Unknown));
    };
    if platform::db::now() >= v.expires_at {
        return Ok(CodeCheck::Not(VerifyOutcome::Expired));
    }
    let txn = platform::db::begin_write(&state.db).await?;
    if !store::take_try(&txn, verification_id).await? {
        txn.commit().await?;
        return Ok(CodeCheck::Not(VerifyOutcome::NoTriesLeft));
    }
    let right = same(&code_mac(state, verification_id, code), &v.code_mac);
    let (Some(account_id), true) = (v.account_id, right) else {
        // Read after the decrement: concurrent guesses each see their own count.
        let tries_left = store::verification_by_id(&txn, verification_id).await?.map_or(0, |v| v.tries_left);
        txn.commit().await?;
        return Ok(CodeCheck::Not(VerifyOutcome::Wrong { tries_left }));
    };
    store::delete_verification(&txn, verification_id).await?;
    Ok(CodeCheck::Right { txn, account_id })
}

pub async fn verify(state: &AppState, verification_id: &str, code: &OneTimeCode) -> Result<VerifyOutcome, AppError> {
    let (txn, account_id) = match check_code(state, verification_id, code, PURPOSE_EMAIL).await? {
        CodeCheck::Right { txn, account_id } => (txn, account_id),
        CodeCheck::Not(outcome) => return Ok(outcome),
    };
    store::activate(&txn, &account_id).await?;
    audit::record(
        &txn,
        AuditEntry::new(format!("account:{account_id}"), "account.verify_email", format!("account:{account_id}")),
    )
    .await?;
    let account = store::account_by_id(&txn, &account_id).await?.ok_or_else(AppError::not_found)?;
    txn.commit().await?;
    Ok(VerifyOutcome::Verified(Box::new(account)))
}

const PURPOSE_RECOVER: &str = "recover";

/// Starts account recovery: a code to the address if it has an account,
/// a decoy otherwise, and the same answer either way.
pub async fn recover_start(state: &AppState, lang: Lang, email: &Email) -> Result<String, AppError> {
    let verification_id = uuid::Uuid::now_v7().to_string();
    let code = OneTimeCode::generate();
    let txn = platform::db::begin_write(&state.db).await?;
    match store::account_by_email(&txn, email).await?.filter(|a| a.status != "disabled") {
        Some(account) => {
            store::create_verification(
                &txn,
                &verification_id,
                Some(&account.id),
                PURPOSE_RECOVER,
                code_mac(state, &verification_id, &code),
            )
            .await?;
            let minutes = model::CODE_LIFETIME.whole_minutes().to_string();
            outbox::enqueue(
                &txn,
                Notification {
                    channel: Channel::Email,
                    recipient: account.email.clone(),
                    lang,
                    subject: Some(state.catalog.text(lang, "email-recover-subject")),
                    body: state.catalog.text_with(
                        lang,
                        "email-recover-body",
                        &[("code", code.as_str()), ("minutes", &minutes)],
                    ),
                },
            )
            .await?;
        }
        None => {
            let decoy = code_mac(state, &verification_id, &OneTimeCode::generate());
            store::create_verification(&txn, &verification_id, None, PURPOSE_RECOVER, decoy).await?;
        }
    }
    txn.commit().await?;
    state.outbox_wake.notify_one();
    Ok(verification_id)
}

/// The result of finishing recovery.
#[derive(Debug)]
pub enum RecoverOutcome {
    /// The password is changed and every session ended; two-step
    /// verification, if on, is still asked at the next sign-in.
    Done,
    Code(VerifyOutcome),
}

/// Finishes recovery with the e-mailed code and a new password.
pub async fn recover_finish(
    state: &AppState,
    lang: Lang,
    verification_id: &str,
    code: &OneTimeCode,
    password: NewPassword,
) -> Result<RecoverOutcome, AppError> {
    // Hash before the transaction (it takes a while, and holds no lock).
    let phc = password::hash_blocking(password).await.map_err(AppError::internal)?;
    let (txn, account_id) = match check_code(state, verification_id, code, PURPOSE_RECOVER).await? {
        CodeCheck::Right { txn, account_id } => (txn, account_id),
        CodeCheck::Not(outcome) => return Ok(RecoverOutcome::Code(outcome)),
    };
    let account = store::account_by_id(&txn, &account_id).await?.ok_or_else(AppError::not_found)?;
    store::set_password(&txn, &account_id, &phc).await?;
    // The address is proven: a pending account becomes active.
    store::activate(&txn, &account_id).await?;
    platform::session::revoke_all(&txn, &account_id).await?;
    audit::record(
        &txn,
        AuditEntry::new(format!("account:{account_id}"), "account.recover", format!("account:{account_id}")),
    )
    .await?;
    outbox::enqueue(&txn, notice(state, lang, &account.email, "email-recovered-subject", "email-recovered-body"))
        .await?;
    txn.commit().await?;
    state.outbox_wake.notify_one();
    Ok(RecoverOutcome::Done)
}

/// Whether the account behind a recovery has two-step verification (for
/// the password length rule).
pub async fn recovery_has_second_factor(state: &AppState, verification_id: &str) -> Result<bool, AppError> {
    let Some(account_id) = store::verification_by_id(&state.db, verification_id).await?.and_then(|v| v.account_id)
    else {
        return Ok(false);
    };
    crate::two_step::is_enabled(state, &account_id).await
}

/// The result of asking for a new code.
#[derive(Debug, PartialEq, Eq)]
pub enum ResendOutcome {
    Sent,
    TooSoon,
    Unknown,
}

pub async fn resend(state: &AppState, lang: Lang, verification_id: &str) -> Result<ResendOutcome, AppError> {
    let Some(v) = store::verification_by_id(&state.db, verification_id).await? else {
        return Ok(ResendOutcome::Unknown);
    };
    let txn = platform::db::begin_write(&state.db).await?;
    let code = OneTimeCode::generate();
    if !store::replace_code(&txn, verification_id, code_mac(state, verification_id, &code)).await? {
        txn.commit().await?;
        return Ok(ResendOutcome::TooSoon);
    }
    // A decoy resends nothing, but answers the same.
    if let Some(account) = match v.account_id.as_deref() {
        Some(id) => store::account_by_id(&txn, id).await?,
        None => None,
    } {
        let email = Email::parse(&account.email).map_err(|_| AppError::internal("stored e-mail address invalid"))?;
        outbox::enqueue(&txn, code_email(state, lang, &email, &code)).await?;
    }
    txn.commit().await?;
    state.outbox_wake.notify_one();
    Ok(ResendOutcome::Sent)
}

/// The result of a sign-in attempt. `Failed` never says why.
#[derive(Debug)]
pub enum SignInOutcome {
    SignedIn(Principal),
    /// The password was right; an authenticator code is owed (the token goes in a cookie).
    SecondFactor {
        challenge: String,
    },
    NeedsVerification {
        verification_id: String,
    },
    Failed,
    Throttled {
        minutes: i64,
    },
}

/// The principal an account stands for.
pub fn principal(account: &account::Model) -> Result<Principal, AppError> {
    let id = uuid::Uuid::parse_str(&account.id).map_err(AppError::internal)?;
    let slugs: Vec<String> = serde_json::from_str(&account.roles).map_err(AppError::internal)?;
    let mut roles = vec![Role::Resident];
    for slug in slugs {
        match slug.as_str() {
            "admin" => roles.push(Role::Admin),
            "officer" => roles.push(Role::Officer),
            _ => tracing::warn!(account = %account.id, role = %slug, "unknown role ignored"),
        }
    }
    Ok(Principal {
        account_id: AccountId(id),
        level: if account.level == "real_name" { IdentityLevel::RealName } else { IdentityLevel::Basic },
        strength: AuthStrength::Password,
        roles,
        scopes: Vec::new(),
        authenticated_at: time::OffsetDateTime::now_utc().unix_timestamp(),
    })
}

pub async fn sign_in(
    state: &AppState,
    lang: Lang,
    email_input: &str,
    password_input: &str,
    ip: &str,
) -> Result<SignInOutcome, AppError> {
    let key = throttle_key(state, email_input);
    // Counted in the database, so every server sees the same count.
    let ip_key = state.keys.blind_index("identity.sign-in-ip", ip);
    let now = platform::db::now();
    let mut until = None;
    for k in [&key, &ip_key] {
        let t = store::throttle_state(&state.db, k).await?.and_then(|t| t.throttled_until).filter(|u| *u > now);
        until = until.max(t);
    }
    if let Some(until) = until {
        return Ok(SignInOutcome::Throttled { minutes: model::minutes_until(until, now) });
    }
    let account = match Email::parse(email_input) {
        Ok(email) => store::account_by_email(&state.db, &email).await?,
        Err(_) => None,
    };
    let normalised = model::normalise_password(password_input);
    let phc = account.as_ref().and_then(|a| a.password_hash.clone());
    let right = password::verify_blocking(normalised, phc).await;
    let account = match (account, right) {
        (Some(account), true) if account.status != "disabled" => account,
        (account, _) => {
            let txn = platform::db::begin_write(&state.db).await?;
            store::record_failure(&txn, &key, |n| model::throttle_until(n, platform::db::now())).await?;
            store::record_failure(&txn, &ip_key, |n| model::ip_throttle_until(n, platform::db::now())).await?;
            if let Some(a) = &account {
                audit::record(
                    &txn,
                    AuditEntry::new("anonymous", "account.sign_in_failed", format!("account:{}", a.id)),
                )
                .await?;
            }
            txn.commit().await?;
            return Ok(SignInOutcome::Failed);
        }
    };
    store::clear_failures(&state.db, &key).await?;
    if account.status == "pending" {
        let email = Email::parse(&account.email).map_err(|_| AppError::internal("stored e-mail address invalid"))?;
        let verification_id = uuid::Uuid::now_v7().to_string();
        let code = OneTimeCode::generate();
        let txn = platform::db::begin_write(&state.db).await?;
        store::create_verification(
            &txn,
            &verification_id,
            Some(&account.id),
            PURPOSE_EMAIL,
            code_mac(state, &verification_id, &code),
        )
        .await?;
        outbox::enqueue(&txn, code_email(state, lang, &email, &code)).await?;
        txn.commit().await?;
        state.outbox_wake.notify_one();
        return Ok(SignInOutcome::NeedsVerification { verification_id });
    }
    if crate::two_step::is_enabled(state, &account.id).await? {
        return Ok(SignInOutcome::SecondFactor { challenge: crate::two_step::challenge(state, &account.id).await? });
    }
    Ok(SignInOutcome::SignedIn(principal(&account)?))
}

/// Records a completed sign-in (after the session exists).
pub async fn signed_in(state: &AppState, principal: &Principal, request_id: Option<&str>) -> Result<(), AppError> {
    let id = principal.account_id.to_string();
    let txn = state.db.begin().await?;
    store::record_sign_in(&txn, &id).await?;
    audit::record(
        &txn,
        AuditEntry::new(format!("account:{id}"), "account.sign_in", format!("account:{id}")).request(request_id),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Why an operator's `users create` failed.
#[derive(Debug, thiserror::Error)]
pub enum CreateUserError {
    #[error("--email: not a valid e-mail address")]
    Email,
    #[error("password: {0}")]
    Password(&'static str),
    #[error("--email: an account with this address exists")]
    Exists,
    #[error("{0}")]
    Internal(String),
}

/// Creates an active account for an operator (`lionrock users create`).
pub async fn create_user(
    state: &AppState,
    email: &str,
    password: &str,
    real_name: bool,
    roles: Vec<String>,
) -> Result<account::Model, CreateUserError> {
    let email = Email::parse(email).map_err(|_| CreateUserError::Email)?;
    let password = model::PASSWORD_POLICY.check(password, Some(&email), false).map_err(|p| {
        CreateUserError::Password(match p {
            model::PasswordProblem::Missing => "empty",
            model::PasswordProblem::TooShort { .. } => "shorter than 15 characters",
            model::PasswordProblem::TooLong { .. } => "longer than 128 characters",
            model::PasswordProblem::Common => "too common",
            model::PasswordProblem::ContainsContext => "contains the e-mail address or the service name",
        })
    })?;
    let internal = |e: &dyn std::fmt::Display| CreateUserError::Internal(e.to_string());
    let phc = password::hash_blocking(password).await.map_err(|e| internal(&e))?;
    let txn = platform::db::begin_write(&state.db).await.map_err(|e| internal(&e))?;
    let new = store::NewAccount { email: &email, password_hash: Some(phc), active: true, real_name, roles };
    let account = store::create_account(&txn, new).await.map_err(|e| match e {
        StoreError::EmailTaken => CreateUserError::Exists,
        StoreError::Db(e) => internal(&e),
    })?;
    audit::record(&txn, AuditEntry::new("cli", "account.create", format!("account:{}", account.id)))
        .await
        .map_err(|e| internal(&e))?;
    txn.commit().await.map_err(|e| internal(&e))?;
    Ok(account)
}
