//! Two-step verification: an authenticator app (TOTP, RFC 6238) enrolled
//! with a QR code, single-use recovery codes, and the second step of
//! sign-in. Every change is audited and e-mailed to the account holder.

use axum::http::HeaderMap;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use platform::app::AppState;
use platform::audit::{self, AuditEntry};
use platform::error::AppError;
use platform::i18n::Lang;
use platform::outbox;
use platform::principal::{AuthStrength, Principal};
use totp_rs::{Builder, Totp};

use crate::guesses::{self, Claim, Secret};
use crate::model::{OneTimeCode, RECOVERY_CODES, RecoveryCode};
use crate::notices;
use crate::store::{self, account};

const SEAL_CONTEXT: &str = "identity.totp";
const ISSUER: &str = "Lionrock";

/// What the resident needs to add lionrock to an authenticator app.
pub struct Enrolment {
    /// The secret in base32, for typing in by hand.
    pub secret_base32: String,
    /// `otpauth://` URL (what the QR code holds).
    pub url: String,
    /// The QR code as an SVG `data:` URI, for an `<img>`.
    pub qr_data_uri: String,
}

fn totp(secret: Vec<u8>, email: &str) -> Result<Totp, AppError> {
    Builder::new()
        .with_secret(secret)
        .with_account_name(email.replace(':', ""))
        .with_issuer(Some(ISSUER))
        .build()
        .map_err(|e| AppError::internal(format!("TOTP: {e}")))
}

fn unix_now() -> u64 {
    u64::try_from(time::OffsetDateTime::now_utc().unix_timestamp()).unwrap_or(0)
}

fn open_secret(state: &AppState, row: &store::totp::Model) -> Result<Vec<u8>, AppError> {
    let sealed = STANDARD.decode(&row.secret_sealed).map_err(AppError::internal)?;
    state.keys.open(SEAL_CONTEXT, &sealed).map_err(AppError::internal)
}

/// The time step a typed code matches, if any (±1 step of clock drift).
fn matching_step(
    state: &AppState,
    row: &store::totp::Model,
    email: &str,
    input: &str,
) -> Result<Option<i64>, AppError> {
    let Some(code) = OneTimeCode::parse(input) else { return Ok(None) };
    let totp = totp(open_secret(state, row)?, email)?;
    Ok(totp.check(code.as_str(), unix_now()).and_then(|step| i64::try_from(step).ok()))
}

fn recovery_mac(state: &AppState, code: &RecoveryCode) -> String {
    state.keys.blind_index("identity.recovery-code", code.as_str())
}

pub async fn is_enabled(state: &AppState, account_id: &str) -> Result<bool, AppError> {
    Ok(store::totp(&state.db, account_id).await?.is_some_and(|t| t.confirmed_at.is_some()))
}

/// Starts enrolment with a fresh secret; `None` if already enabled.
pub async fn begin(state: &AppState, account: &account::Model) -> Result<Option<Enrolment>, AppError> {
    if is_enabled(state, &account.id).await? {
        return Ok(None);
    }
    // Showing the page again keeps the secret the resident may have scanned.
    let secret = match store::totp(&state.db, &account.id).await? {
        Some(pending) => open_secret(state, &pending)?,
        None => {
            let secret = platform::crypto::random_bytes::<20>().to_vec();
            let sealed = STANDARD.encode(state.keys.seal(SEAL_CONTEXT, &secret));
            store::put_pending_totp(&state.db, &account.id, sealed).await?;
            secret
        }
    };
    let secret_base32 = base32::encode(base32::Alphabet::Rfc4648 { padding: false }, &secret);
    let url = totp(secret, account.name())?.to_url().map_err(|e| AppError::internal(format!("TOTP URL: {e}")))?;
    let qr_data_uri = crate::pages::qr_data_uri(&url)?;
    Ok(Some(Enrolment { secret_base32, url, qr_data_uri }))
}

/// The result of confirming enrolment with a first code.
pub enum ConfirmOutcome {
    Enabled(Vec<RecoveryCode>),
    Wrong,
    NotStarted,
}

pub async fn confirm(
    state: &AppState,
    lang: Lang,
    account: &account::Model,
    input: &str,
) -> Result<ConfirmOutcome, AppError> {
    let Some(row) = store::totp(&state.db, &account.id).await?.filter(|t| t.confirmed_at.is_none()) else {
        return Ok(ConfirmOutcome::NotStarted);
    };
    let Some(step) = matching_step(state, &row, account.name(), input)? else {
        return Ok(ConfirmOutcome::Wrong);
    };
    let codes: Vec<RecoveryCode> = (0..RECOVERY_CODES).map(|_| RecoveryCode::generate()).collect();
    let txn = platform::db::begin_write(&state.db).await?;
    if !store::use_totp_step(&txn, &account.id, step, true).await? {
        txn.rollback().await?;
        return Ok(ConfirmOutcome::Wrong);
    }
    store::put_recovery_codes(&txn, &account.id, codes.iter().map(|c| recovery_mac(state, c)).collect()).await?;
    audit::record(
        &txn,
        &state.keys,
        AuditEntry::new(
            format!("account:{}", account.id),
            "account.two_step_enable",
            format!("account:{}", account.id),
        ),
    )
    .await?;
    outbox::enqueue(
        &txn,
        notices::to_holder(state, lang, account, "email-two-step-on-subject", "email-two-step-on-body")?,
    )
    .await?;
    txn.commit().await?;
    state.outbox_wake.notify_one();
    Ok(ConfirmOutcome::Enabled(codes))
}

/// What turning two-step verification off did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disabled {
    Off,
    /// The code was wrong (counted with the second step's guesses).
    Wrong,
    /// Too many wrong second-step codes lately: try again in this many minutes.
    Throttled {
        minutes: i64,
    },
}

/// Turns two-step verification off, given a current code or a recovery code
/// (the caller has checked the password); `new_password` (a hash) replaces a
/// password too short to be the only factor, in the same transaction. The
/// code is a guess at the second step like sign-in's: counted per account
/// before it is checked, so an open session is no way around the wait.
pub async fn disable(
    state: &AppState,
    lang: Lang,
    account: &account::Model,
    input: &str,
    new_password: Option<&str>,
) -> Result<Disabled, AppError> {
    let Some(row) = store::totp(&state.db, &account.id).await?.filter(|t| t.confirmed_at.is_some()) else {
        return Ok(Disabled::Wrong);
    };
    let txn = platform::db::begin_write(&state.db).await?;
    let keys = [guesses::account_key(state, Secret::SecondStep, &account.id)];
    if let Claim::Throttled { minutes } =
        guesses::claim(state, &txn, Secret::SecondStep, &keys, Some(&account.id)).await?
    {
        txn.rollback().await?;
        return Ok(Disabled::Throttled { minutes });
    }
    let proven = match matching_step(state, &row, account.name(), input)? {
        Some(step) => store::use_totp_step(&txn, &account.id, step, false).await?,
        None => match RecoveryCode::parse(input) {
            Some(code) => store::use_recovery_code(&txn, &account.id, &recovery_mac(state, &code)).await?,
            None => false,
        },
    };
    if !proven {
        txn.commit().await?;
        state.outbox_wake.notify_one();
        return Ok(Disabled::Wrong);
    }
    guesses::clear(&txn, &keys).await?;
    store::delete_totp(&txn, &account.id).await?;
    if let Some(phc) = new_password {
        store::set_password(&txn, &account.id, phc).await?;
        let who = format!("account:{}", account.id);
        audit::record(&txn, &state.keys, AuditEntry::new(who.clone(), "account.password_change", who)).await?;
    }
    audit::record(
        &txn,
        &state.keys,
        AuditEntry::new(
            format!("account:{}", account.id),
            "account.two_step_disable",
            format!("account:{}", account.id),
        ),
    )
    .await?;
    outbox::enqueue(
        &txn,
        notices::to_holder(state, lang, account, "email-two-step-off-subject", "email-two-step-off-body")?,
    )
    .await?;
    txn.commit().await?;
    state.outbox_wake.notify_one();
    Ok(Disabled::Off)
}

/// Opens the second step of sign-in; returns the token for its cookie.
pub async fn challenge(state: &AppState, account_id: &str) -> Result<String, AppError> {
    let token = platform::crypto::random_token();
    store::create_challenge(&state.db, &store::challenge_key(&token), account_id).await?;
    Ok(token)
}

/// The result of the second step of sign-in.
pub enum SecondStep {
    SignedIn(Principal),
    Wrong {
        tries_left: i32,
    },
    /// Too many wrong second steps for the account lately, across sign-ins
    /// (a right password does not reset them): nothing was checked or counted.
    Throttled {
        minutes: i64,
    },
    Ended,
}

/// What the resident offers for the second step.
#[derive(Clone, Copy)]
pub enum Proof<'a> {
    /// A code from the authenticator app, or a recovery code.
    Code(&'a str),
    /// An answer from one of the account's passkeys, to the ceremony this
    /// browser started (named by its cookie in `headers`).
    Passkey { headers: &'a HeaderMap, https: bool, answer: &'a str },
}

pub async fn complete(state: &AppState, lang: Lang, token: &str, proof: Proof<'_>) -> Result<SecondStep, AppError> {
    let key = store::challenge_key(token);
    let Some(challenge) = store::challenge(&state.db, &key).await? else { return Ok(SecondStep::Ended) };
    if platform::db::now() >= challenge.expires_at {
        store::delete_challenge(&state.db, &key).await?;
        return Ok(SecondStep::Ended);
    }
    let account = store::account_by_id(&state.db, &challenge.account_id).await?.ok_or_else(AppError::not_found)?;
    // A passkey is checked before the write transaction: its ceremony is
    // single-use already, and recording its use writes too (SQLite allows
    // one writer at a time).
    let passkey_proven = match proof {
        Proof::Passkey { headers, https, answer } => {
            crate::passkeys::check_second_step(state, headers, https, &account.id, answer).await?
        }
        Proof::Code(_) => false,
    };
    let row = store::totp(&state.db, &account.id).await?.filter(|t| t.confirmed_at.is_some());
    let txn = platform::db::begin_write(&state.db).await?;
    if !store::take_challenge_try(&txn, &key).await? {
        store::delete_challenge(&txn, &key).await?;
        txn.commit().await?;
        return Ok(SecondStep::Ended);
    }
    // Counted per account before it is checked, whatever the proof.
    let keys = [guesses::account_key(state, Secret::SecondStep, &account.id)];
    if let Claim::Throttled { minutes } =
        guesses::claim(state, &txn, Secret::SecondStep, &keys, Some(&account.id)).await?
    {
        txn.rollback().await?;
        return Ok(SecondStep::Throttled { minutes });
    }
    let mut used_recovery = false;
    let proven = match (proof, &row) {
        (Proof::Passkey { .. }, _) => passkey_proven,
        (Proof::Code(input), Some(row)) => match matching_step(state, row, account.name(), input)? {
            Some(step) => store::use_totp_step(&txn, &account.id, step, false).await?,
            None => match RecoveryCode::parse(input) {
                Some(code) => {
                    used_recovery = store::use_recovery_code(&txn, &account.id, &recovery_mac(state, &code)).await?;
                    used_recovery
                }
                None => false,
            },
        },
        (Proof::Code(_), None) => false,
    };
    if !proven {
        let tries_left = store::challenge(&txn, &key).await?.map_or(0, |c| c.tries_left);
        txn.commit().await?;
        state.outbox_wake.notify_one();
        return Ok(if tries_left > 0 { SecondStep::Wrong { tries_left } } else { SecondStep::Ended });
    }
    guesses::clear(&txn, &keys).await?;
    store::delete_challenge(&txn, &key).await?;
    if used_recovery {
        let left = store::unused_recovery_codes(&txn, &account.id).await?;
        let body = state.catalog.text_with(lang, "email-recovery-used-body", &[("left", &left.to_string())]);
        let mut n =
            notices::to_holder(state, lang, &account, "email-recovery-used-subject", "email-recovery-used-body")?;
        n.body = body;
        outbox::enqueue(&txn, n).await?;
        audit::record(
            &txn,
            &state.keys,
            AuditEntry::new(
                format!("account:{}", account.id),
                "account.recovery_code_used",
                format!("account:{}", account.id),
            ),
        )
        .await?;
    }
    txn.commit().await?;
    state.outbox_wake.notify_one();
    if passkey_proven {
        return Ok(SecondStep::SignedIn(store::principal(&account, AuthStrength::Passkey)?));
    }
    Ok(SecondStep::SignedIn(store::principal(&account, AuthStrength::TwoFactor)?))
}

/// The current code for a secret (tests and tools).
pub fn current_code(secret_base32: &str) -> Option<String> {
    let secret = base32::decode(base32::Alphabet::Rfc4648 { padding: false }, secret_base32)?;
    let totp = Builder::new().with_secret(secret).with_account_name("x").build().ok()?;
    Some(totp.generate(unix_now()).to_string())
}
