//! The account operations: register, verify, resend, recover, sign in,
//! check and change a password, and operators' accounts. Each is one
//! transaction over the account tables (`crate::store`), with its audit
//! rows and outbox messages in that same transaction.

use platform::app::AppState;
use platform::audit::{self, AuditEntry};
use platform::error::AppError;
use platform::i18n::Lang;
use platform::outbox::{self};
use platform::principal::{AuthStrength, Principal};

use crate::accounts::{
    CreateUserError, Guess, NewUser, PasswordCheck, RECOVERY, REGISTRATION, RESENDABLE, RecoverOutcome, ResendOutcome,
    SignInOutcome, Started, VerifyOutcome, WaitRule, by_sms, recovery_purpose, registration_purpose,
};
use crate::guesses::{self, Claim, Secret};
use crate::model::{self, Email, Identifier, NewPassword, OneTimeCode, Phone};
use crate::notices;
use crate::password;
use crate::sms::{self, Cap};
use crate::store::verification::Purpose;
use crate::store::{self, StoreError, account};

pub(crate) fn code_mac(state: &AppState, verification_id: &str, code: &OneTimeCode) -> String {
    state.keys.blind_index("identity.one-time-code", &format!("{verification_id}:{}", code.as_str()))
}

/// The key failed sign-ins are counted under: the address or number as
/// typed, normalised where it parses (so `9123 4567` and `+85291234567` count together).
fn throttle_key(state: &AppState, input: &str) -> String {
    let name = match Identifier::parse(input, &crate::settings::of(state).settings.allowed_country_codes) {
        Ok(id) => id.as_str().to_owned(),
        Err(_) => input.trim().to_lowercase(),
    };
    state.keys.blind_index("identity.sign-in", &name)
}

/// Counts a message to `to` against the caps: an SMS against the SMS
/// caps, an e-mail against the address's daily cap. Call it whether or not
/// `to` has an account, so a cap says nothing about who is registered.
pub(crate) async fn count_send(
    state: &AppState,
    txn: &sea_orm::DatabaseTransaction,
    to: &Identifier,
    ip: &str,
) -> Result<Result<(), Cap>, AppError> {
    match to {
        Identifier::Phone(phone) => Ok(sms::allow(state, txn, phone, ip).await?),
        Identifier::Email(_) => Ok(sms::allow_email(state, txn, &guesses::to_key(state, to)).await?),
    }
}

/// The per-number SMS cap's key, kept on a verification whose codes go to `to` by SMS.
pub(crate) fn number_key(state: &AppState, to: &Identifier) -> Option<String> {
    match to {
        Identifier::Phone(phone) => Some(sms::number_key(state, phone)),
        Identifier::Email(_) => None,
    }
}

/// Registers `id` (an e-mail address or mobile number) with `password`;
/// the code goes there. If it already has an account, its owner is told
/// instead, and the answer looks the same.
pub async fn register(
    state: &AppState,
    lang: Lang,
    id: &Identifier,
    password: NewPassword,
    ip: &str,
) -> Result<Started, AppError> {
    // Hash first, whatever happens next, so both paths take as long.
    let phc = password::hash_blocking(password).await.map_err(AppError::internal)?;
    let verification_id = uuid::Uuid::now_v7().to_string();
    let purpose = registration_purpose(id);
    let txn = platform::db::begin_write(&state.db).await?;
    let created = match store::account_by(&txn, id).await? {
        Some(_) => None,
        None => {
            let new = store::NewAccount {
                id,
                password_hash: Some(phc),
                active: false,
                real_name: false,
                roles: vec![],
                scopes: vec![],
            };
            match store::create_account(&txn, new).await {
                Ok(account) => Some(account),
                // Lost a race with a registration of the same address.
                Err(StoreError::Taken) => None,
                Err(StoreError::Db(e)) => return Err(e.into()),
            }
        }
    };
    let txn = match created {
        Some(account) => {
            if let Err(cap) = count_send(state, &txn, id, ip).await? {
                txn.rollback().await?;
                return Ok(Started::Capped(cap));
            }
            let code = OneTimeCode::generate();
            let mac = code_mac(state, &verification_id, &code);
            let (number, to) = (number_key(state, id), guesses::to_key(state, id));
            store::create_verification(&txn, &verification_id, Some(&account.id), purpose, mac, number, to).await?;
            outbox::enqueue(&txn, notices::code_message(state, lang, id, &code)).await?;
            audit::record(
                &txn,
                &state.keys,
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
            if let Err(cap) = count_send(state, &txn, id, ip).await? {
                txn.rollback().await?;
                return Ok(Started::Capped(cap));
            }
            // A decoy verification whose code is never sent.
            let decoy = code_mac(state, &verification_id, &OneTimeCode::generate());
            let (number, to) = (number_key(state, id), guesses::to_key(state, id));
            store::create_verification(&txn, &verification_id, None, purpose, decoy, number, to).await?;
            let body = state.catalog.text(lang, "email-exists-body");
            outbox::enqueue(&txn, notices::to_address(state, lang, id, "email-exists-subject", body)).await?;
            txn
        }
    };
    txn.commit().await?;
    state.outbox_wake.notify_one();
    Ok(Started::Verification(verification_id))
}

/// A code checked: right (with the write transaction still open for the
/// caller to finish the job in, and the purpose it was for), or why not.
pub(crate) enum CodeCheck {
    Right { txn: platform::db::WriteTransaction, account_id: String, purpose: Purpose },
    Not(VerifyOutcome),
}

/// Checks `code` for a verification of one of `purposes`, spending one try
/// atomically and counting a guess under the account's and the address's
/// or number's keys before comparing (`guesses`).
pub(crate) async fn check_code(
    state: &AppState,
    verification_id: &str,
    code: &OneTimeCode,
    purposes: &[Purpose],
) -> Result<CodeCheck, AppError> {
    let Some(v) =
        store::verification_by_id(&state.db, verification_id).await?.filter(|v| purposes.contains(&v.purpose))
    else {
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
    let keys = guesses::code_keys(state, &v);
    if let Claim::Throttled { minutes } =
        guesses::claim(state, &txn, Secret::Code, &keys, v.account_id.as_deref()).await?
    {
        if !guesses::waiting(&txn, v.to_key.as_deref()).await? {
            // Only the account waits (its codes were guessed at through
            // another address or number). Saying so would tell that this
            // address belongs to that account: answer as a wrong code
            // instead, spending the try, without checking the code.
            let tries_left = store::verification_by_id(&txn, verification_id).await?.map_or(0, |v| v.tries_left);
            txn.commit().await?;
            return Ok(CodeCheck::Not(VerifyOutcome::Wrong { tries_left }));
        }
        // Nothing counted, not even the verification's try.
        txn.rollback().await?;
        return Ok(CodeCheck::Not(VerifyOutcome::Throttled { minutes }));
    }
    let right = model::same(&code_mac(state, verification_id, code), &v.code_mac);
    let (Some(account_id), true) = (v.account_id, right) else {
        // Read after the decrement: concurrent guesses each see their own count.
        let tries_left = store::verification_by_id(&txn, verification_id).await?.map_or(0, |v| v.tries_left);
        txn.commit().await?;
        state.outbox_wake.notify_one();
        return Ok(CodeCheck::Not(VerifyOutcome::Wrong { tries_left }));
    };
    guesses::clear(&txn, &keys).await?;
    store::delete_verification(&txn, verification_id).await?;
    Ok(CodeCheck::Right { txn, account_id, purpose: v.purpose })
}

pub async fn verify(state: &AppState, verification_id: &str, code: &OneTimeCode) -> Result<VerifyOutcome, AppError> {
    let (txn, account_id, purpose) = match check_code(state, verification_id, code, &REGISTRATION).await? {
        CodeCheck::Right { txn, account_id, purpose } => (txn, account_id, purpose),
        CodeCheck::Not(outcome) => return Ok(outcome),
    };
    let phone = purpose == Purpose::Phone;
    store::activate(&txn, &account_id, phone).await?;
    let action = if phone { "account.verify_phone" } else { "account.verify_email" };
    audit::record(
        &txn,
        &state.keys,
        AuditEntry::new(format!("account:{account_id}"), action, format!("account:{account_id}")),
    )
    .await?;
    let account = store::account_by_id(&txn, &account_id).await?.ok_or_else(AppError::not_found)?;
    txn.commit().await?;
    Ok(VerifyOutcome::Verified(Box::new(account)))
}

/// Starts account recovery: a code to the address or number if it has an
/// account, a decoy otherwise, and the same answer either way.
pub async fn recover_start(state: &AppState, lang: Lang, id: &Identifier, ip: &str) -> Result<Started, AppError> {
    let verification_id = uuid::Uuid::now_v7().to_string();
    let code = OneTimeCode::generate();
    let purpose = recovery_purpose(id);
    let txn = platform::db::begin_write(&state.db).await?;
    if let Err(cap) = count_send(state, &txn, id, ip).await? {
        txn.rollback().await?;
        return Ok(Started::Capped(cap));
    }
    match store::account_by(&txn, id).await?.filter(|a| a.status != account::Status::Disabled) {
        Some(account) => {
            let mac = code_mac(state, &verification_id, &code);
            let (number, to) = (number_key(state, id), guesses::to_key(state, id));
            store::create_verification(&txn, &verification_id, Some(&account.id), purpose, mac, number, to).await?;
            let minutes = model::CODE_LIFETIME.whole_minutes().to_string();
            let body_key = match id {
                Identifier::Email(_) => "email-recover-body",
                Identifier::Phone(_) => "sms-recover-body",
            };
            let body = state.catalog.text_with(lang, body_key, &[("code", code.as_str()), ("minutes", &minutes)]);
            outbox::enqueue(&txn, notices::to_address(state, lang, id, "email-recover-subject", body)).await?;
        }
        None => {
            let decoy = code_mac(state, &verification_id, &OneTimeCode::generate());
            let (number, to) = (number_key(state, id), guesses::to_key(state, id));
            store::create_verification(&txn, &verification_id, None, purpose, decoy, number, to).await?;
        }
    }
    txn.commit().await?;
    state.outbox_wake.notify_one();
    Ok(Started::Verification(verification_id))
}

/// Finishes recovery with the code and a new password.
pub async fn recover_finish(
    state: &AppState,
    lang: Lang,
    verification_id: &str,
    code: &OneTimeCode,
    password: NewPassword,
) -> Result<RecoverOutcome, AppError> {
    // Hash before the transaction (it takes a while, and holds no lock).
    let phc = password::hash_blocking(password).await.map_err(AppError::internal)?;
    let (txn, account_id, purpose) = match check_code(state, verification_id, code, &RECOVERY).await? {
        CodeCheck::Right { txn, account_id, purpose } => (txn, account_id, purpose),
        CodeCheck::Not(outcome) => return Ok(RecoverOutcome::Code(outcome)),
    };
    let account = store::account_by_id(&txn, &account_id).await?.ok_or_else(AppError::not_found)?;
    store::set_password(&txn, &account_id, &phc).await?;
    // The address or number is proven: a pending account becomes active.
    store::activate(&txn, &account_id, purpose == Purpose::RecoverPhone).await?;
    platform::session::revoke_all(&txn, &account_id).await?;
    // Whoever held the account before may hold its services' tokens too.
    crate::oidc::store::revoke_account(&txn, &account_id).await?;
    audit::record(
        &txn,
        &state.keys,
        AuditEntry::new(format!("account:{account_id}"), "account.recover", format!("account:{account_id}")),
    )
    .await?;
    outbox::enqueue(
        &txn,
        notices::to_holder(state, lang, &account, "email-recovered-subject", "email-recovered-body")?,
    )
    .await?;
    txn.commit().await?;
    state.outbox_wake.notify_one();
    Ok(RecoverOutcome::Done)
}

/// Whether the codes of verification `id` go by SMS (a decoy's say the same as a real one's).
pub async fn sent_by_sms(state: &AppState, verification_id: &str) -> Result<bool, AppError> {
    Ok(store::verification_by_id(&state.db, verification_id).await?.is_some_and(|v| by_sms(v.purpose)))
}

pub async fn resend(state: &AppState, lang: Lang, verification_id: &str, ip: &str) -> Result<ResendOutcome, AppError> {
    // Only registration's and recovery's codes (`RESENDABLE`).
    let Some(v) =
        store::verification_by_id(&state.db, verification_id).await?.filter(|v| RESENDABLE.contains(&v.purpose))
    else {
        return Ok(ResendOutcome::Unknown);
    };
    let account = match v.account_id.as_deref() {
        Some(id) => store::account_by_id(&state.db, id).await?,
        None => None,
    };
    let txn = platform::db::begin_write(&state.db).await?;
    let code = OneTimeCode::generate();
    if !store::replace_code(&txn, verification_id, code_mac(state, verification_id, &code)).await? {
        txn.commit().await?;
        return Ok(ResendOutcome::TooSoon);
    }
    // A decoy resends nothing, but answers the same (and counts the same).
    let to = match &account {
        Some(a) if by_sms(v.purpose) => a.phone.as_deref().map(|p| Identifier::Phone(Phone::stored(p))),
        Some(a) => a.email.as_deref().and_then(|e| Email::parse(e).ok()).map(Identifier::Email),
        None => None,
    };
    let allowed = if by_sms(v.purpose) {
        // The number's own count, kept on the verification: a decoy's too.
        let key = v.number_key.clone().or_else(|| to.as_ref().and_then(|to| number_key(state, to)));
        sms::allow_resend(state, &txn, key.as_deref(), ip).await?
    } else {
        // Likewise the address's, by the MAC kept on the verification.
        match v.to_key.clone().or_else(|| to.as_ref().map(|to| guesses::to_key(state, to))) {
            Some(key) => sms::allow_email(state, &txn, &key).await?,
            None => Ok(()),
        }
    };
    if let Err(cap) = allowed {
        txn.rollback().await?;
        return Ok(ResendOutcome::Capped(cap));
    }
    if let Some(to) = to {
        outbox::enqueue(&txn, notices::code_message(state, lang, &to, &code)).await?;
    }
    txn.commit().await?;
    state.outbox_wake.notify_one();
    Ok(ResendOutcome::Sent)
}

/// Checks a new password for an account named by `id`: the policy (length,
/// common passwords, the account's own name) and the operator's banned words.
pub fn new_password(
    state: &AppState,
    raw: &str,
    id: Option<&Identifier>,
    second_factor: bool,
) -> Result<NewPassword, model::PasswordProblem> {
    let checked = match id {
        Some(id) => model::PASSWORD_POLICY.check_for(raw, id, second_factor),
        None => model::PASSWORD_POLICY.check(raw, None, second_factor),
    };
    checked?.without(&crate::settings::of(state).banned_words)
}

/// Counts a sign-in guess under the address's and the network address's
/// keys before the password is checked, in one write transaction; nothing
/// is counted while either waits. A burst of parallel guesses thus gets
/// exactly the ones the rules allow.
async fn claim_guess(state: &AppState, key: &str, ip_key: &str) -> Result<Guess, AppError> {
    let now = platform::db::now();
    let txn = platform::db::begin_write(&state.db).await?;
    let rules: [(&str, WaitRule); 2] = [(key, model::throttle_until), (ip_key, model::ip_throttle_until)];
    let mut ip_wait = None;
    for (k, rule) in rules {
        let Some(failures) = store::claim_guess(&txn, k, now).await? else {
            txn.rollback().await?;
            let mut until = now;
            for k in [key, ip_key] {
                let t = store::throttle_state(&state.db, k).await?.and_then(|t| t.throttled_until);
                until = until.max(t.unwrap_or(now));
            }
            return Ok(Guess::Throttled(until));
        };
        let wait = rule(failures, now);
        store::set_wait(&txn, k, wait).await?;
        if k == ip_key {
            ip_wait = wait;
        }
    }
    txn.commit().await?;
    Ok(Guess::Counted { ip_wait })
}

/// Signs in with an e-mail address or mobile number (`name_input`) and a password.
pub async fn sign_in(
    state: &AppState,
    lang: Lang,
    name_input: &str,
    password_input: &str,
    ip: &str,
) -> Result<SignInOutcome, AppError> {
    let key = throttle_key(state, name_input);
    // Counted in the database, so every server sees the same count.
    let ip_key = state.keys.blind_index("identity.sign-in-ip", ip);
    let ip_wait = match claim_guess(state, &key, &ip_key).await? {
        Guess::Counted { ip_wait } => ip_wait,
        Guess::Throttled(until) => {
            let now = platform::db::now();
            return Ok(SignInOutcome::Throttled { minutes: model::minutes_until(until, now) });
        }
    };
    let account = match Identifier::parse(name_input, &crate::settings::of(state).settings.allowed_country_codes) {
        Ok(id) => store::account_by(&state.db, &id).await?,
        Err(_) => None,
    };
    let normalised = model::normalise_password(password_input);
    let phc = account.as_ref().and_then(|a| a.password_hash.clone());
    let right = password::verify_blocking(normalised, phc).await;
    let account = match (account, right) {
        (Some(account), true) if account.status != account::Status::Disabled => account,
        (account, _) => {
            // The failure was counted when the guess was claimed.
            if let Some(a) = &account {
                let txn = platform::db::begin_write(&state.db).await?;
                audit::record(
                    &txn,
                    &state.keys,
                    AuditEntry::new("anonymous", "account.sign_in_failed", format!("account:{}", a.id)),
                )
                .await?;
                txn.commit().await?;
            }
            return Ok(SignInOutcome::Failed);
        }
    };
    // Right: the address's run ends; the network address gets its guess back.
    let txn = platform::db::begin_write(&state.db).await?;
    store::clear_failures(&txn, &key).await?;
    store::refund_guess(&txn, &ip_key, model::FREE_FAILURES_PER_IP, ip_wait).await?;
    txn.commit().await?;
    if account.status == account::Status::Pending {
        // The password is right but the address or number was never proven: a new code.
        let to = notices::contact(&account)?;
        let purpose = registration_purpose(&to);
        let verification_id = uuid::Uuid::now_v7().to_string();
        let code = OneTimeCode::generate();
        let txn = platform::db::begin_write(&state.db).await?;
        if let Err(cap) = count_send(state, &txn, &to, ip).await? {
            txn.rollback().await?;
            return Ok(SignInOutcome::Capped(cap));
        }
        let mac = code_mac(state, &verification_id, &code);
        let (number, to_key) = (number_key(state, &to), guesses::to_key(state, &to));
        store::create_verification(&txn, &verification_id, Some(&account.id), purpose, mac, number, to_key).await?;
        outbox::enqueue(&txn, notices::code_message(state, lang, &to, &code)).await?;
        txn.commit().await?;
        state.outbox_wake.notify_one();
        return Ok(SignInOutcome::NeedsVerification { verification_id });
    }
    if crate::two_step::store::is_enabled(state, &account.id).await? {
        return Ok(SignInOutcome::SecondFactor {
            challenge: crate::two_step::store::challenge(state, &account.id).await?,
        });
    }
    Ok(SignInOutcome::SignedIn(store::principal(&account, AuthStrength::Password)?))
}

/// Checks the current password of a signed-in resident before a change
/// (a new password, two-step verification off, deletion). Each guess is
/// counted like a sign-in's, under the account's and the network address's
/// keys, so an open session is no way around the sign-in throttle.
pub async fn check_password(
    state: &AppState,
    account: &account::Model,
    input: &str,
    ip: &str,
) -> Result<PasswordCheck, AppError> {
    let key = throttle_key(state, account.name());
    let ip_key = state.keys.blind_index("identity.sign-in-ip", ip);
    let ip_wait = match claim_guess(state, &key, &ip_key).await? {
        Guess::Counted { ip_wait } => ip_wait,
        Guess::Throttled(until) => {
            return Ok(PasswordCheck::Throttled { minutes: model::minutes_until(until, platform::db::now()) });
        }
    };
    let right = password::verify_blocking(model::normalise_password(input), account.password_hash.clone()).await;
    let txn = platform::db::begin_write(&state.db).await?;
    if right {
        store::clear_failures(&txn, &key).await?;
        store::refund_guess(&txn, &ip_key, model::FREE_FAILURES_PER_IP, ip_wait).await?;
    } else {
        let who = format!("account:{}", account.id);
        audit::record(&txn, &state.keys, AuditEntry::new(who.clone(), "account.password_check_failed", who)).await?;
    }
    txn.commit().await?;
    Ok(if right { PasswordCheck::Right } else { PasswordCheck::Wrong })
}

/// Sets a signed-in resident's new password (its hash, `phc`). With
/// `end_others` (the row key of the session to keep), every other session
/// of the account ends, and so do the tokens services hold for it. Audited,
/// and the owner is told, in the same transaction.
pub async fn change_password(
    state: &AppState,
    lang: Lang,
    account: &account::Model,
    phc: &str,
    end_others: Option<&str>,
) -> Result<(), AppError> {
    let txn = platform::db::begin_write(&state.db).await?;
    store::set_password(&txn, &account.id, phc).await?;
    if let Some(keep) = end_others {
        platform::session::revoke_others(&txn, &account.id, keep).await?;
        crate::oidc::store::revoke_account(&txn, &account.id).await?;
    }
    let who = format!("account:{}", account.id);
    audit::record(&txn, &state.keys, AuditEntry::new(who.clone(), "account.password_change", who)).await?;
    let body_key =
        if end_others.is_some() { "email-password-changed-ended-body" } else { "email-password-changed-body" };
    outbox::enqueue(&txn, notices::to_holder(state, lang, account, "email-password-changed-subject", body_key)?)
        .await?;
    txn.commit().await?;
    state.outbox_wake.notify_one();
    Ok(())
}

/// Records a completed sign-in (after the session exists), made in `lang`.
pub async fn signed_in(
    state: &AppState,
    lang: Lang,
    principal: &Principal,
    request_id: Option<&str>,
) -> Result<(), AppError> {
    let id = principal.account_id.to_string();
    let txn = platform::db::begin_write(&state.db).await?;
    store::record_sign_in(&txn, &id, lang.tag()).await?;
    audit::record(
        &txn,
        &state.keys,
        AuditEntry::new(format!("account:{id}"), "account.sign_in", format!("account:{id}")).request(request_id),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Creates an active account for an operator (`lionrock users create`).
pub async fn create_user(
    state: &AppState,
    email: &str,
    password: &str,
    real_name: bool,
    roles: Vec<String>,
) -> Result<account::Model, CreateUserError> {
    create_user_named(state, NewUser::Email(email), password, real_name, roles, vec![]).await
}

/// The same, for an account named by an e-mail address or a mobile number,
/// with officer scopes (`real_name::VERIFIER_SCOPE`, …).
pub async fn create_user_named(
    state: &AppState,
    name: NewUser<'_>,
    password: &str,
    real_name: bool,
    roles: Vec<String>,
    scopes: Vec<String>,
) -> Result<account::Model, CreateUserError> {
    let id = match name {
        NewUser::Email(e) => Identifier::Email(Email::parse(e).map_err(|_| CreateUserError::Email)?),
        NewUser::Phone(p) => Identifier::Phone(
            Phone::parse(p, &crate::settings::of(state).settings.allowed_country_codes)
                .map_err(|_| CreateUserError::Phone)?,
        ),
    };
    let password = new_password(state, password, Some(&id), false).map_err(|p| {
        CreateUserError::Password(match p {
            model::PasswordProblem::Missing => "empty",
            model::PasswordProblem::TooShort { .. } => "shorter than 15 characters",
            model::PasswordProblem::TooLong { .. } => "longer than 128 characters",
            model::PasswordProblem::Common => "too common",
            model::PasswordProblem::ContainsContext => "contains the e-mail address, mobile number or service name",
            model::PasswordProblem::Banned => "contains a word in identity.banned_words_file",
        })
    })?;
    let internal = |e: &dyn std::fmt::Display| CreateUserError::Internal(e.to_string());
    let phc = password::hash_blocking(password).await.map_err(|e| internal(&e))?;
    let txn = platform::db::begin_write(&state.db).await.map_err(|e| internal(&e))?;
    let new = store::NewAccount { id: &id, password_hash: Some(phc), active: true, real_name, roles, scopes };
    let account = store::create_account(&txn, new).await.map_err(|e| match e {
        StoreError::Taken => CreateUserError::Exists,
        StoreError::Db(e) => internal(&e),
    })?;
    audit::record(&txn, &state.keys, AuditEntry::new("cli", "account.create", format!("account:{}", account.id)))
        .await
        .map_err(|e| internal(&e))?;
    txn.commit().await.map_err(|e| internal(&e))?;
    Ok(account)
}
