//! Guesses at one-time codes and at the second step of sign-in, counted in
//! the database across challenges, not only per challenge: a code's per
//! account and per address or number it goes to (a decoy's too, so an
//! unknown address waits like a known one), the second step's per account
//! and apart from the password's (a right password never resets them).
//! Each guess is claimed before it is checked, in the checker's write
//! transaction, with the sign-in throttle's one-statement
//! `store::claim_guess`, and backs off as passwords do
//! (`model::throttle_until`). The owner is told when a run of failures
//! starts its first wait: once per run, never once per guess.

use platform::app::AppState;
use platform::audit::{self, AuditEntry};
use platform::error::AppError;
use platform::outbox;
use sea_orm::DatabaseTransaction;

use crate::model::{self, Identifier};
use crate::store::{self, verification};

/// What was guessed at: whose key it counts under, and what the owner hears.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Secret {
    /// A one-time code sent by e-mail or SMS (registration, recovery, a change of address or number).
    Code,
    /// The second step of sign-in: an authenticator code, a recovery code or a passkey.
    SecondStep,
    /// The number an approver picks for a sign-in with the app: counted
    /// under the approving account, across requests, so a stream of
    /// requests cannot get blind taps one request at a time.
    Approval,
}

impl Secret {
    fn context(self) -> &'static str {
        match self {
            Secret::Code => "identity.code-guess.account",
            Secret::SecondStep => "identity.second-step-guess.account",
            Secret::Approval => "identity.approval-guess.account",
        }
    }

    /// The notice's subject and body, and the audit action, when a wait starts.
    fn locked(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Secret::Code => ("email-codes-locked-subject", "email-codes-locked-body", "account.codes_locked"),
            Secret::SecondStep => {
                ("email-second-step-locked-subject", "email-second-step-locked-body", "account.second_step_locked")
            }
            Secret::Approval => {
                ("email-approvals-locked-subject", "email-approvals-locked-body", "account.app_approvals_locked")
            }
        }
    }
}

/// The key an account's guesses at `secret` count under.
pub(crate) fn account_key(state: &AppState, secret: Secret, account_id: &str) -> String {
    state.keys.blind_index(secret.context(), account_id)
}

/// The MAC of an address or number codes go to (`verification.to_key`):
/// guesses at codes sent there count under it.
pub(crate) fn to_key(state: &AppState, to: &Identifier) -> String {
    state.keys.blind_index("identity.code-to", to.as_str())
}

/// The keys a guess at a verification's code counts under: its account's
/// (none for a decoy) and its address's or number's.
pub(crate) fn code_keys(state: &AppState, v: &verification::Model) -> Vec<String> {
    let account = v.account_id.as_deref().map(|id| account_key(state, Secret::Code, id));
    account.into_iter().chain(v.to_key.clone()).collect()
}

/// What claiming a guess found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Claim {
    /// Counted as a failure until the guess proves right (then `clear`).
    Counted,
    /// Nothing counted: a wait runs for about this many minutes. The
    /// caller rolls its transaction back.
    Throttled { minutes: i64 },
}

/// Claims one guess under each of `keys`, in `txn`, before it is checked:
/// a burst of parallel guesses gets exactly the ones the rules allow. When
/// this guess starts a wait on a key, `owner` (the account the secret
/// belongs to, if any) is told and the lock audited, in `txn`.
pub(crate) async fn claim(
    state: &AppState,
    txn: &DatabaseTransaction,
    secret: Secret,
    keys: &[String],
    owner: Option<&str>,
) -> Result<Claim, AppError> {
    let now = platform::db::now();
    let mut locked = false;
    for key in keys {
        let Some(failures) = store::claim_guess(txn, key, now).await? else {
            let mut until = now;
            for k in keys {
                let t = store::throttle_state(txn, k).await?.and_then(|t| t.throttled_until);
                until = until.max(t.unwrap_or(now));
            }
            return Ok(Claim::Throttled { minutes: model::minutes_until(until, now) });
        };
        store::set_wait(txn, key, model::throttle_until(failures, now)).await?;
        // The run's first wait; later ones in the same run are not news.
        locked |= failures == model::FREE_FAILURES;
    }
    if let (true, Some(owner)) = (locked, owner) {
        tell(state, txn, secret, owner).await?;
    }
    Ok(Claim::Counted)
}

/// Whether guesses under `key` (if any) wait now.
pub(crate) async fn waiting(txn: &DatabaseTransaction, key: Option<&str>) -> Result<bool, AppError> {
    let Some(key) = key else { return Ok(false) };
    let until = store::throttle_state(txn, key).await?.and_then(|t| t.throttled_until);
    Ok(until.is_some_and(|until| until > platform::db::now()))
}

/// A right guess: the runs under `keys` end.
pub(crate) async fn clear(txn: &DatabaseTransaction, keys: &[String]) -> Result<(), AppError> {
    for key in keys {
        store::clear_failures(txn, key).await?;
    }
    Ok(())
}

/// Tells the owner that guessing at their `secret` now waits, in the
/// language they last signed in with, and audits it.
async fn tell(state: &AppState, txn: &DatabaseTransaction, secret: Secret, account_id: &str) -> Result<(), AppError> {
    let Some(account) = store::account_by_id(txn, account_id).await? else { return Ok(()) };
    let lang = crate::notices::language(state, &account);
    let (subject, body, action) = secret.locked();
    outbox::enqueue(txn, crate::notices::to_holder(state, lang, &account, subject, body)?).await?;
    let object = format!("account:{account_id}");
    audit::record(txn, &state.keys, AuditEntry::new("anonymous", action, object)).await?;
    Ok(())
}
