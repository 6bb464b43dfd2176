//! Passkeys' tables (`passkey`, `passkey_ceremony`) and every operation on
//! them: starting and taking ceremonies, checking an authenticator's
//! answer, adding, using and removing passkeys (with their audit rows and
//! notices in the same transaction).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use platform::app::AppState;
use platform::audit::{self, AuditEntry};
use platform::error::AppError;
use platform::i18n::Lang;
use platform::outbox;
use sea_orm::ActiveValue::Set;
use sea_orm::QueryOrder;
use sea_orm::entity::prelude::*;
use serde::de::DeserializeOwned;
use webauthn_rs::prelude::{
    AuthenticationResult, DiscoverableAuthentication, Passkey, PasskeyAuthentication, PasskeyRegistration,
    PublicKeyCredential, RegisterPublicKeyCredential, Uuid, Webauthn,
};

use super::{CEREMONY_LIFETIME, MAX_PER_ACCOUNT, NAME_MAX, NotAdded, Purpose, SecondStepProven, Started};
use crate::errors::IdentityError;
use crate::notices;
use crate::store::account;

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
        /// `register`, `sign_in` or `second_step` (`Purpose::as_str`).
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

/// Keeps a ceremony's state under a fresh token; `options` go back to the
/// browser with the token in a cookie.
async fn start(
    state: &AppState,
    purpose: Purpose,
    account_id: Option<&str>,
    ceremony_state: String,
    options: serde_json::Value,
) -> Result<Started, AppError> {
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
    Ok(Started { options, token })
}

/// Takes (reads and deletes, once) the ceremony that the browser's cookie
/// `token` names, if it was started for `purpose`; `None` if there is none,
/// it expired, or another request took it.
pub(crate) async fn take(
    state: &AppState,
    token: Option<&str>,
    purpose: Purpose,
) -> Result<Option<ceremony::Model>, AppError> {
    let Some(token) = token else { return Ok(None) };
    let key = ceremony_key(state, token);
    let txn = platform::db::begin_write(&state.db).await?;
    let Some(row) = ceremony::Entity::find_by_id(key.clone()).one(&txn).await? else { return Ok(None) };
    let deleted = ceremony::Entity::delete_many().filter(ceremony::Column::Id.eq(key)).exec(&txn).await?;
    txn.commit().await?;
    let fresh = platform::db::now() < row.expires_at;
    Ok((deleted.rows_affected == 1 && fresh && row.purpose == purpose.as_str()).then_some(row))
}

/// Records a passkey's use: its new counter and backup state, and when.
async fn used(
    state: &AppState,
    row: entity::Model,
    mut passkey: Passkey,
    result: &AuthenticationResult,
) -> Result<(), AppError> {
    // Read again under the write lock, so two uses at once both count.
    let txn = platform::db::begin_write(&state.db).await?;
    let Some(row) = entity::Entity::find_by_id(row.id).one(&txn).await? else {
        txn.rollback().await?;
        return Ok(());
    };
    if let Ok(stored) = from_json::<Passkey>(&row.credential) {
        passkey = stored;
    }
    let credential = match passkey.update_credential(result) {
        Some(true) => to_json(&passkey)?,
        _ => row.credential.clone(),
    };
    let mut active: entity::ActiveModel = row.into();
    active.credential = Set(credential);
    active.last_used_at = Set(Some(platform::db::now()));
    active.update(&txn).await?;
    txn.commit().await?;
    Ok(())
}

/// The audit row and the notice to the holder of a change to their passkeys.
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

/// Starts adding a passkey to `account`, unless it has the most it may.
pub(crate) async fn start_registration(
    state: &AppState,
    rp: &Webauthn,
    account: &account::Model,
) -> Result<Started, AppError> {
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
    start(state, Purpose::Register, Some(&account.id), to_json(&registration)?, options).await
}

/// Checks the authenticator's `answer` to a registration ceremony of
/// `account_id`: the new passkey, or why there is none.
pub(crate) async fn check_registration(
    state: &AppState,
    rp: &Webauthn,
    ceremony: &ceremony::Model,
    account_id: &str,
    answer: &str,
) -> Result<Result<Passkey, NotAdded>, AppError> {
    let registration: PasskeyRegistration = from_json(&ceremony.state)?;
    let answer = serde_json::from_str::<RegisterPublicKeyCredential>(answer);
    let passkey = match &answer {
        Ok(answer) => rp.finish_passkey_registration(answer, &registration).map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    let why = match passkey {
        Ok(passkey) => return Ok(Ok(passkey)),
        Err(why) => why,
    };
    tracing::info!(account = %account_id, %why, "passkey registration refused");
    // The browser should not have offered it (it is excluded); say so plainly if it did.
    let again = match &answer {
        Ok(answer) => {
            let id = URL_SAFE_NO_PAD.encode(&answer.raw_id);
            list(&state.db, account_id).await?.iter().any(|p| p.credential_id == id)
        }
        Err(_) => false,
    };
    Ok(Err(if again { NotAdded::AlreadyAdded } else { NotAdded::Refused }))
}

/// Adds a checked passkey to `account` under `name` (cut to the longest
/// allowed), audited, and tells its holder.
pub(crate) async fn add(
    state: &AppState,
    lang: Lang,
    account: &account::Model,
    name: &str,
    passkey: &Passkey,
) -> Result<Result<(), NotAdded>, AppError> {
    let credential_id: &[u8] = passkey.cred_id().as_ref();
    let credential_id = URL_SAFE_NO_PAD.encode(credential_id);
    let txn = platform::db::begin_write(&state.db).await?;
    if entity::Entity::find().filter(entity::Column::CredentialId.eq(credential_id.as_str())).one(&txn).await?.is_some()
    {
        txn.rollback().await?;
        return Ok(Err(NotAdded::AlreadyAdded));
    }
    // The limit again, under the write lock: ceremonies started side by
    // side each passed it when they began.
    if count(&txn, &account.id).await? >= MAX_PER_ACCOUNT {
        txn.rollback().await?;
        return Err(IdentityError::PasskeyLimit { max: MAX_PER_ACCOUNT }.into());
    }
    entity::ActiveModel {
        id: Set(Uuid::now_v7().to_string()),
        account_id: Set(account.id.clone()),
        credential_id: Set(credential_id),
        name: Set(name.chars().take(NAME_MAX).collect()),
        credential: Set(to_json(passkey)?),
        created_at: Set(platform::db::now()),
        last_used_at: Set(None),
    }
    .insert(&txn)
    .await?;
    notify(
        state,
        &txn,
        lang,
        account,
        "account.passkey_add",
        "email-passkey-added-subject",
        "email-passkey-added-body",
    )
    .await?;
    txn.commit().await?;
    state.outbox_wake.notify_one();
    Ok(Ok(()))
}

/// Removes the passkey `id` of `account`, audited, and tells its holder;
/// false if the account has no such passkey.
pub(crate) async fn remove(state: &AppState, lang: Lang, account: &account::Model, id: &str) -> Result<bool, AppError> {
    let txn = platform::db::begin_write(&state.db).await?;
    let removed = entity::Entity::delete_many()
        .filter(entity::Column::Id.eq(id))
        .filter(entity::Column::AccountId.eq(account.id.as_str()))
        .exec(&txn)
        .await?;
    if removed.rows_affected == 0 {
        txn.rollback().await?;
        return Ok(false);
    }
    notify(
        state,
        &txn,
        lang,
        account,
        "account.passkey_remove",
        "email-passkey-removed-subject",
        "email-passkey-removed-body",
    )
    .await?;
    txn.commit().await?;
    state.outbox_wake.notify_one();
    Ok(true)
}

/// Starts a sign-in with whichever passkey the resident picks (no name
/// typed first).
pub(crate) async fn start_sign_in(state: &AppState, rp: &Webauthn) -> Result<Started, AppError> {
    let (mut options, authentication) = rp.start_discoverable_authentication().map_err(AppError::internal)?;
    // A button press, not autofill: the browser's own dialog.
    options.mediation = None;
    let options = serde_json::to_value(&options).map_err(AppError::internal)?;
    start(state, Purpose::SignIn, None, to_json(&authentication)?, options).await
}

/// The active account a discoverable sign-in answer proves, if it does
/// (recording the passkey's use).
pub(crate) async fn check_sign_in(
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
        crate::store::account_by_id(&state.db, &row.account_id).await?.filter(|a| a.status == account::Status::Active);
    if account.is_some() {
        used(state, row, passkey, &result).await?;
    }
    Ok(account)
}

/// Starts the second step of a password sign-in (whose challenge cookie is
/// `challenge_token`) with one of the account's passkeys.
pub(crate) async fn start_second_step(
    state: &AppState,
    rp: &Webauthn,
    challenge_token: Option<&str>,
) -> Result<Started, AppError> {
    let challenge = match challenge_token {
        Some(token) => crate::store::challenge(&state.db, &crate::store::challenge_key(token)).await?,
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
    start(state, Purpose::SecondStep, Some(&challenge.account_id), state_json, options).await
}

/// Checks a second-step answer for `account_id` against the ceremony the
/// browser's cookie `token` names; the proof if it proves one of its passkeys.
pub(crate) async fn check_second_step(
    state: &AppState,
    token: Option<&str>,
    account_id: &str,
    answer: &str,
) -> Result<Option<SecondStepProven>, AppError> {
    let Some(rp) = super::relying_party(&state.public_url()) else { return Ok(None) };
    let Some(ceremony) = take(state, token, Purpose::SecondStep).await? else { return Ok(None) };
    if ceremony.account_id.as_deref() != Some(account_id) {
        return Ok(None);
    }
    let Ok(answer) = serde_json::from_str::<PublicKeyCredential>(answer) else { return Ok(None) };
    let authentication: PasskeyAuthentication = from_json(&ceremony.state)?;
    let credential_id = URL_SAFE_NO_PAD.encode(answer.get_credential_id());
    let Some(row) = entity::Entity::find()
        .filter(entity::Column::CredentialId.eq(credential_id.as_str()))
        .filter(entity::Column::AccountId.eq(account_id))
        .one(&state.db)
        .await?
    else {
        return Ok(None);
    };
    match rp.finish_passkey_authentication(&answer, &authentication) {
        Ok(result) => {
            let passkey: Passkey = from_json(&row.credential)?;
            used(state, row, passkey, &result).await?;
            Ok(Some(SecondStepProven(())))
        }
        Err(e) => {
            tracing::info!(account = %account_id, error = %e, "passkey second step refused");
            Ok(None)
        }
    }
}
