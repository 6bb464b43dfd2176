//! The security page's queries and operations: what the page shows,
//! ending a session and disconnecting a service (each audited in its own
//! transaction), the password change, and gathering everything kept about
//! a person, from every feature's tables, for their data download.

use platform::app::AppState;
use platform::audit::{self, AuditEntry};
use platform::error::AppError;
use platform::i18n::Lang;
use platform::session::{self, SessionInfo};

use crate::accounts::{self, PasswordCheck};
use crate::dependants;
use crate::model::NewPassword;
use crate::oidc::store::{self as oidc_store, consent};
use crate::profile::store::entity as profile_field;
use crate::real_name::Checked;
use crate::store::{self, account};
use crate::{passkeys, two_step};

/// How many recent audited actions the page lists.
const PAGE_ACTIVITY: u64 = 20;
/// How many the data download holds.
const DOWNLOAD_ACTIVITY: u64 = 1000;

/// What the security page shows.
pub(crate) struct Overview {
    pub(crate) sessions: Vec<SessionInfo>,
    /// The services the account is connected to, with their names.
    pub(crate) connected: Vec<(consent::Model, String)>,
    pub(crate) activity: Vec<audit::log::Model>,
    pub(crate) two_step: bool,
    pub(crate) passkeys: u64,
}

/// The account's sessions, connected services, recent activity and how it signs in.
pub(crate) async fn overview(state: &AppState, account_id: &str) -> Result<Overview, AppError> {
    Ok(Overview {
        sessions: session::list_for_account(&state.db, account_id).await?,
        connected: oidc_store::consents_for_account(&state.db, account_id).await?,
        activity: audit::entries_about(&state.db, &format!("account:{account_id}"), "account.", PAGE_ACTIVITY).await?,
        two_step: two_step::store::is_enabled(state, account_id).await?,
        passkeys: passkeys::store::count(&state.db, account_id).await?,
    })
}

/// Ends one of the account's sessions by its row key (audited; nothing if
/// it is not theirs).
pub(crate) async fn end_session(state: &AppState, account_id: &str, session_id: &str) -> Result<(), AppError> {
    let txn = platform::db::begin_write(&state.db).await?;
    if session::revoke_by_id(&txn, account_id, session_id).await? {
        let who = format!("account:{account_id}");
        audit::record(&txn, &state.keys, AuditEntry::new(who.clone(), "account.session_end", who)).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Disconnects the account from a service: its consent and tokens go (audited).
pub(crate) async fn disconnect(state: &AppState, account_id: &str, client_id: &str) -> Result<(), AppError> {
    let txn = platform::db::begin_write(&state.db).await?;
    if oidc_store::disconnect(&txn, account_id, client_id).await? {
        audit::record(
            &txn,
            &state.keys,
            AuditEntry::new(format!("account:{account_id}"), "account.disconnect", format!("client:{client_id}")),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Changes the password once the current one (`current`, its guesses
/// counted like sign-in's from `ip`) is right; with `keep` (the row key of
/// the session to keep), every other session ends. The owner is told in `lang`.
pub(crate) async fn change_password(
    state: &AppState,
    lang: Lang,
    account: &account::Model,
    current: &str,
    new: NewPassword,
    ip: &str,
    keep: Option<&str>,
) -> Result<PasswordCheck, AppError> {
    let check = accounts::store::check_password(state, account, current, ip).await?;
    if check == PasswordCheck::Right {
        let phc = crate::password::hash_blocking(new).await.map_err(AppError::internal)?;
        accounts::store::change_password(state, lang, account, &phc, keep).await?;
    }
    Ok(check)
}

/// A dependant as their guardian's data download shows them.
pub(crate) struct DependantData {
    pub(crate) link: dependants::store::entity::Model,
    pub(crate) profile: Vec<profile_field::Model>,
    pub(crate) documents: Vec<Checked>,
}

/// Everything lionrock keeps about a person, from every feature.
pub(crate) struct Download {
    pub(crate) account: account::Model,
    pub(crate) sessions: Vec<SessionInfo>,
    pub(crate) connected: Vec<(consent::Model, String)>,
    pub(crate) profile: Vec<profile_field::Model>,
    pub(crate) documents: Vec<Checked>,
    pub(crate) dependants: Vec<DependantData>,
    pub(crate) activity: Vec<audit::log::Model>,
    pub(crate) passkeys: Vec<passkeys::store::entity::Model>,
    pub(crate) two_step: bool,
    pub(crate) recovery_codes_left: u64,
}

/// Gathers everything kept about the person whose account is `account_id`.
pub(crate) async fn download(state: &AppState, account_id: &str) -> Result<Download, AppError> {
    let account = store::account_by_id(&state.db, account_id).await?.ok_or_else(AppError::not_found)?;
    let sessions = session::list_for_account(&state.db, account_id).await?;
    let connected = oidc_store::consents_for_account(&state.db, account_id).await?;
    let profile = crate::profile::store::values(&state.db, &account.person_id).await?;
    let documents = crate::real_name::store::documents_of(state, &account.person_id).await?;
    let mut dependants = Vec::new();
    for link in dependants::store::links(&state.db, account_id).await? {
        let profile = crate::profile::store::values(&state.db, &link.person_id).await?;
        let documents = crate::real_name::store::documents_of(state, &link.person_id).await?;
        dependants.push(DependantData { link, profile, documents });
    }
    let activity =
        audit::entries_about(&state.db, &format!("account:{account_id}"), "account.", DOWNLOAD_ACTIVITY).await?;
    let passkeys = passkeys::store::list(&state.db, account_id).await?;
    let two_step = two_step::store::is_enabled(state, account_id).await?;
    let recovery_codes_left = store::unused_recovery_codes(&state.db, account_id).await?;
    Ok(Download {
        account,
        sessions,
        connected,
        profile,
        documents,
        dependants,
        activity,
        passkeys,
        two_step,
        recovery_codes_left,
    })
}
