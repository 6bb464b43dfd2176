//! The two-step operations over the authenticator, recovery-code and
//! sign-in challenge tables (`crate::store`): enrol, confirm, turn off, open
//! and complete the second step of sign-in. Each change is one transaction
//! with its audit rows and its notice to the account holder.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use platform::app::AppState;
use platform::audit::{self, AuditEntry};
use platform::error::AppError;
use platform::i18n::Lang;
use platform::outbox;
use platform::principal::AuthStrength;

use crate::guesses::{self, Claim, Secret};
use crate::model::{OneTimeCode, RECOVERY_CODES, RecoveryCode};
use crate::notices;
use crate::store::{self, account};
use crate::two_step::{
    ConfirmOutcome, Disabled, Enrolment, Methods, Owed, Proof, SEAL_CONTEXT, SecondStep, totp, unix_now,
};

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

pub(crate) async fn is_enabled(state: &AppState, account_id: &str) -> Result<bool, AppError> {
    Ok(store::totp(&state.db, account_id).await?.is_some_and(|t| t.confirmed_at.is_some()))
}

/// Starts enrolment with a fresh secret; `None` if already enabled.
pub(crate) async fn begin(state: &AppState, account: &account::Model) -> Result<Option<Enrolment>, AppError> {
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
    Ok(Some(Enrolment { secret_base32, url }))
}

/// Confirms enrolment with a first code: two-step verification is on, and
/// here are its recovery codes.
pub(crate) async fn confirm(
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

/// Turns two-step verification off, given a current code or a recovery code
/// (the caller has checked the password); `new_password` (a hash) replaces a
/// password too short to be the only factor, in the same transaction. The
/// code is a guess at the second step like sign-in's: counted per account
/// before it is checked, so an open session is no way around the wait.
pub(crate) async fn disable(
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
pub(crate) async fn challenge(state: &AppState, account_id: &str) -> Result<String, AppError> {
    let token = platform::crypto::random_token();
    store::create_challenge(&state.db, &store::challenge_key(&token), account_id).await?;
    Ok(token)
}

/// The ways the account the sign-in `token` stands for can take its second
/// step; `None` when that sign-in has ended.
pub(crate) async fn methods(state: &AppState, token: &str) -> Result<Option<Methods>, AppError> {
    let Some(challenge) = store::challenge(&state.db, &store::challenge_key(token)).await? else {
        return Ok(None);
    };
    let code = is_enabled(state, &challenge.account_id).await?;
    let passkeys = crate::passkeys::available(&state.public_url())
        && crate::passkeys::store::count(&state.db, &challenge.account_id).await? > 0;
    Ok(Some(Methods { code, passkeys }))
}

/// The second step the sign-in `token` stands for; `None` when that sign-in
/// has ended (an expired one is deleted).
pub(crate) async fn owed(state: &AppState, token: &str) -> Result<Option<Owed>, AppError> {
    let key = store::challenge_key(token);
    let Some(challenge) = store::challenge(&state.db, &key).await? else { return Ok(None) };
    if platform::db::now() >= challenge.expires_at {
        store::delete_challenge(&state.db, &key).await?;
        return Ok(None);
    }
    let account = store::account_by_id(&state.db, &challenge.account_id).await?.ok_or_else(AppError::not_found)?;
    Ok(Some(Owed { key, account }))
}

/// Completes the second step `owed` with `proof`. A passkey's answer is
/// checked before (`Proof::Passkey`), outside this write transaction: its
/// ceremony is single-use already, and recording its use writes too
/// (SQLite allows one writer at a time).
pub(crate) async fn complete(
    state: &AppState,
    lang: Lang,
    owed: Owed,
    proof: Proof<'_>,
) -> Result<SecondStep, AppError> {
    let Owed { key, account } = owed;
    let passkey_proven = matches!(proof, Proof::Passkey(Some(_)));
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
        (Proof::Passkey(proven), _) => proven.is_some(),
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
