//! Every identity query: people, accounts, verifications, sign-in
//! throttles. Unique-key conflicts become domain errors; any other driver
//! error stays an opaque `DbErr`.

use platform::error::AppError;
use platform::principal::{AccountId, AuthStrength, IdentityLevel, Principal, Role};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveValue::Set, Condition};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::model::{CODE_LIFETIME, CODE_MAX_SENDS, CODE_RESEND_AFTER, CODE_TRIES, Email, Identifier};

pub mod person {
    //! `person` rows: someone lionrock knows about, with or without an account.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "person")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub created_at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod account {
    //! `account` rows: how a person signs in.
    use platform::principal::IdentityLevel;
    use sea_orm::entity::prelude::*;

    /// Where an account stands.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum, serde::Serialize)]
    #[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
    #[serde(rename_all = "snake_case")]
    pub enum Status {
        /// Its e-mail address or number is not yet verified.
        #[sea_orm(string_value = "pending")]
        Pending,
        #[sea_orm(string_value = "active")]
        Active,
        #[sea_orm(string_value = "disabled")]
        Disabled,
    }

    /// How well the account's person is known (DESIGN §6).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum, serde::Serialize)]
    #[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
    #[serde(rename_all = "snake_case")]
    pub enum Level {
        #[sea_orm(string_value = "basic")]
        Basic,
        /// An identity document was checked.
        #[sea_orm(string_value = "real_name")]
        RealName,
    }

    impl Level {
        pub fn identity_level(self) -> IdentityLevel {
            match self {
                Level::Basic => IdentityLevel::Basic,
                Level::RealName => IdentityLevel::RealName,
            }
        }
    }

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "account")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub person_id: String,
        /// An e-mail address, a mobile number (E.164), or both.
        pub email: Option<String>,
        pub email_verified_at: Option<TimeDateTimeWithTimeZone>,
        pub phone: Option<String>,
        pub phone_verified_at: Option<TimeDateTimeWithTimeZone>,
        pub password_hash: Option<String>,
        pub status: Status,
        pub level: Level,
        /// JSON array of role slugs.
        pub roles: String,
        /// JSON array of officer scope slugs (what the officer role may do here).
        pub scopes: String,
        pub created_at: TimeDateTimeWithTimeZone,
        pub last_sign_in_at: Option<TimeDateTimeWithTimeZone>,
        /// The language of the last sign-in (`Lang::tag`), for notices no
        /// request of the owner's asked for.
        pub lang: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}

    impl Model {
        /// What the account is known by, for pages and labels: its e-mail
        /// address, else its mobile number.
        pub fn name(&self) -> &str {
            self.email.as_deref().or(self.phone.as_deref()).unwrap_or_default()
        }
    }
}

pub mod verification {
    //! `verification` rows: a one-time code in flight.
    use sea_orm::entity::prelude::*;

    /// What a verification's code proves.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
    #[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
    pub enum Purpose {
        /// A new account's e-mail address (registration).
        #[sea_orm(string_value = "email")]
        Email,
        /// A new account's mobile number (registration).
        #[sea_orm(string_value = "phone")]
        Phone,
        /// Recovering an account through its e-mail address.
        #[sea_orm(string_value = "recover")]
        Recover,
        /// Recovering an account through its mobile number.
        #[sea_orm(string_value = "recover_phone")]
        RecoverPhone,
        /// A new e-mail address for an account (`contact`).
        #[sea_orm(string_value = "change_email")]
        ChangeEmail,
        /// A new mobile number for an account (`contact`).
        #[sea_orm(string_value = "change_phone")]
        ChangePhone,
    }

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "verification")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub account_id: Option<String>,
        pub purpose: Purpose,
        pub code_mac: String,
        pub expires_at: TimeDateTimeWithTimeZone,
        pub tries_left: i32,
        pub sends: i32,
        pub last_sent_at: TimeDateTimeWithTimeZone,
        pub created_at: TimeDateTimeWithTimeZone,
        /// For a change of address or number: the new one, proven by the code.
        pub target: Option<String>,
        /// For codes by SMS: the per-number cap's key (`sms::number_key`),
        /// also on a decoy, so its resends count like a real one's.
        pub number_key: Option<String>,
        /// The MAC of the address or number the codes go to
        /// (`guesses::to_key`), also on a decoy: wrong codes count under
        /// it across verifications, and e-mails against its daily cap.
        pub to_key: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod throttle {
    //! `sign_in_throttle` rows, keyed by a MAC of the e-mail address.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sign_in_throttle")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub key_mac: String,
        pub failures: i32,
        pub throttled_until: Option<TimeDateTimeWithTimeZone>,
        pub updated_at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod totp {
    //! `totp_authenticator` rows: one authenticator app per account.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "totp_authenticator")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub account_id: String,
        pub secret_sealed: String,
        pub confirmed_at: Option<TimeDateTimeWithTimeZone>,
        pub last_step: i64,
        pub created_at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod recovery {
    //! `recovery_code` rows, keyed by a MAC of the code.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "recovery_code")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub code_mac: String,
        pub account_id: String,
        pub used_at: Option<TimeDateTimeWithTimeZone>,
        pub created_at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod challenge {
    //! `sign_in_challenge` rows: a password accepted, a second factor owed.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sign_in_challenge")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub account_id: String,
        pub expires_at: TimeDateTimeWithTimeZone,
        pub tries_left: i32,
        pub created_at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A store failure a caller can act on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("an account with this e-mail address or mobile number exists")]
    Taken,
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// What a new account starts as.
#[derive(Debug, Clone)]
pub struct NewAccount<'a> {
    /// Its e-mail address or mobile number.
    pub id: &'a Identifier,
    pub password_hash: Option<String>,
    pub active: bool,
    pub real_name: bool,
    pub roles: Vec<String>,
    pub scopes: Vec<String>,
}

/// Creates a person and their account.
pub async fn create_account(conn: &impl ConnectionTrait, new: NewAccount<'_>) -> Result<account::Model, StoreError> {
    let now = platform::db::now();
    let person_id = Uuid::now_v7().to_string();
    person::ActiveModel { id: Set(person_id.clone()), created_at: Set(now) }.insert(conn).await?;
    let roles = serde_json::to_string(&new.roles).map_err(|e| DbErr::Custom(e.to_string()))?;
    let scopes = serde_json::to_string(&new.scopes).map_err(|e| DbErr::Custom(e.to_string()))?;
    let model = account::ActiveModel {
        id: Set(Uuid::now_v7().to_string()),
        person_id: Set(person_id),
        email: Set(match new.id {
            Identifier::Email(e) => Some(e.as_str().to_owned()),
            Identifier::Phone(_) => None,
        }),
        email_verified_at: Set((new.active && matches!(new.id, Identifier::Email(_))).then_some(now)),
        phone: Set(match new.id {
            Identifier::Phone(p) => Some(p.as_str().to_owned()),
            Identifier::Email(_) => None,
        }),
        phone_verified_at: Set((new.active && matches!(new.id, Identifier::Phone(_))).then_some(now)),
        password_hash: Set(new.password_hash),
        status: Set(if new.active { account::Status::Active } else { account::Status::Pending }),
        level: Set(if new.real_name { account::Level::RealName } else { account::Level::Basic }),
        roles: Set(roles),
        scopes: Set(scopes),
        created_at: Set(now),
        last_sign_in_at: Set(None),
        lang: Set(None),
    };
    model
        .insert(conn)
        .await
        .map_err(|e| if platform::db::is_unique_violation(&e) { StoreError::Taken } else { StoreError::Db(e) })
}

/// How many accounts have an e-mail address outside `emails` (or none at all).
pub async fn count_accounts_except(conn: &impl ConnectionTrait, emails: &[&str]) -> Result<u64, DbErr> {
    account::Entity::find()
        .filter(
            Condition::any()
                .add(account::Column::Email.is_null())
                .add(account::Column::Email.is_not_in(emails.iter().copied())),
        )
        .count(conn)
        .await
}

pub async fn account_by_email(conn: &impl ConnectionTrait, email: &Email) -> Result<Option<account::Model>, DbErr> {
    account::Entity::find().filter(account::Column::Email.eq(email.as_str())).one(conn).await
}

/// The account an e-mail address or mobile number names.
pub async fn account_by(conn: &impl ConnectionTrait, id: &Identifier) -> Result<Option<account::Model>, DbErr> {
    let column = match id {
        Identifier::Email(_) => account::Column::Email,
        Identifier::Phone(_) => account::Column::Phone,
    };
    account::Entity::find().filter(column.eq(id.as_str())).one(conn).await
}

pub async fn account_by_id(conn: &impl ConnectionTrait, id: &str) -> Result<Option<account::Model>, DbErr> {
    account::Entity::find_by_id(id.to_owned()).one(conn).await
}

/// Marks the e-mail address (or, with `phone`, the mobile number) verified
/// and the account active.
pub async fn activate(conn: &impl ConnectionTrait, account_id: &str, phone: bool) -> Result<(), DbErr> {
    let now = platform::db::now();
    let verified = if phone { account::Column::PhoneVerifiedAt } else { account::Column::EmailVerifiedAt };
    account::Entity::update_many()
        .col_expr(account::Column::Status, Expr::value(account::Status::Active))
        .col_expr(verified, Expr::value(now))
        .filter(account::Column::Id.eq(account_id))
        .filter(account::Column::Status.eq(account::Status::Pending))
        .exec(conn)
        .await?;
    Ok(())
}

pub async fn set_password(conn: &impl ConnectionTrait, account_id: &str, phc: &str) -> Result<(), DbErr> {
    account::Entity::update_many()
        .col_expr(account::Column::PasswordHash, Expr::value(phc))
        .filter(account::Column::Id.eq(account_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Records a sign-in, and the language it was made in (`Lang::tag`).
pub async fn record_sign_in(conn: &impl ConnectionTrait, account_id: &str, lang: &str) -> Result<(), DbErr> {
    account::Entity::update_many()
        .col_expr(account::Column::LastSignInAt, Expr::value(platform::db::now()))
        .col_expr(account::Column::Lang, Expr::value(lang))
        .filter(account::Column::Id.eq(account_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Starts a verification with a code already MACed by the caller (the MAC
/// binds the verification ID, so the ID is chosen here and passed back in).
pub async fn create_verification(
    conn: &impl ConnectionTrait,
    id: &str,
    account_id: Option<&str>,
    purpose: verification::Purpose,
    code_mac: String,
    number_key: Option<String>,
    to_key: String,
) -> Result<verification::Model, DbErr> {
    let now = platform::db::now();
    verification::ActiveModel {
        id: Set(id.to_owned()),
        account_id: Set(account_id.map(str::to_owned)),
        purpose: Set(purpose),
        code_mac: Set(code_mac),
        expires_at: Set(now + CODE_LIFETIME),
        tries_left: Set(CODE_TRIES),
        sends: Set(1),
        last_sent_at: Set(now),
        created_at: Set(now),
        target: Set(None),
        number_key: Set(number_key),
        to_key: Set(Some(to_key)),
    }
    .insert(conn)
    .await
}

/// Records the new address or number a change verification proves.
pub async fn set_verification_target(conn: &impl ConnectionTrait, id: &str, target: &str) -> Result<(), DbErr> {
    verification::Entity::update_many()
        .col_expr(verification::Column::Target, Expr::value(target))
        .filter(verification::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

pub async fn verification_by_id(conn: &impl ConnectionTrait, id: &str) -> Result<Option<verification::Model>, DbErr> {
    verification::Entity::find_by_id(id.to_owned()).one(conn).await
}

/// Spends one try, atomically: false when none was left (so parallel
/// guesses cannot exceed the limit).
pub async fn take_try(conn: &impl ConnectionTrait, id: &str) -> Result<bool, DbErr> {
    let result = verification::Entity::update_many()
        .col_expr(verification::Column::TriesLeft, Expr::col(verification::Column::TriesLeft).sub(1))
        .filter(verification::Column::Id.eq(id))
        .filter(verification::Column::TriesLeft.gt(0))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Replaces the code of a verification, if the resend rules allow it now
/// (a minute since the last send, at most `CODE_MAX_SENDS` sends).
pub async fn replace_code(conn: &impl ConnectionTrait, id: &str, code_mac: String) -> Result<bool, DbErr> {
    let now = platform::db::now();
    let result = verification::Entity::update_many()
        .col_expr(verification::Column::CodeMac, Expr::value(code_mac))
        .col_expr(verification::Column::ExpiresAt, Expr::value(now + CODE_LIFETIME))
        .col_expr(verification::Column::TriesLeft, Expr::value(CODE_TRIES))
        .col_expr(verification::Column::Sends, Expr::col(verification::Column::Sends).add(1))
        .col_expr(verification::Column::LastSentAt, Expr::value(now))
        .filter(verification::Column::Id.eq(id))
        .filter(verification::Column::Sends.lt(CODE_MAX_SENDS))
        .filter(verification::Column::LastSentAt.lte(now - CODE_RESEND_AFTER))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn delete_verification(conn: &impl ConnectionTrait, id: &str) -> Result<(), DbErr> {
    verification::Entity::delete_by_id(id.to_owned()).exec(conn).await?;
    Ok(())
}

/// Deletes verifications that expired more than a day ago.
pub async fn purge_verifications(conn: &impl ConnectionTrait) -> Result<u64, DbErr> {
    let cutoff = platform::db::now() - time::Duration::days(1);
    Ok(verification::Entity::delete_many()
        .filter(verification::Column::ExpiresAt.lt(cutoff))
        .exec(conn)
        .await?
        .rows_affected)
}

/// Deletes second-step challenges that have expired.
pub async fn purge_challenges(conn: &impl ConnectionTrait) -> Result<u64, DbErr> {
    Ok(challenge::Entity::delete_many()
        .filter(challenge::Column::ExpiresAt.lt(platform::db::now()))
        .exec(conn)
        .await?
        .rows_affected)
}

/// The throttle for one e-mail-address MAC, if any.
pub async fn throttle_state(conn: &impl ConnectionTrait, key_mac: &str) -> Result<Option<throttle::Model>, DbErr> {
    throttle::Entity::find_by_id(key_mac.to_owned()).one(conn).await
}

/// Claims one guess under `key_mac` before the password is checked, in one
/// statement: `None` while a wait runs (then nothing is counted), else the
/// run's count including this guess (a run untouched for `FAILURE_MEMORY`
/// starts again at 1). Counting before checking is what keeps a parallel
/// burst to the guesses the rules allow: each request sees the ones before.
/// Call `set_wait` with the count in the same write transaction.
pub async fn claim_guess(
    conn: &impl ConnectionTrait,
    key_mac: &str,
    now: OffsetDateTime,
) -> Result<Option<i32>, DbErr> {
    let failures = Expr::col((throttle::Entity, throttle::Column::Failures));
    let updated_at = Expr::col((throttle::Entity, throttle::Column::UpdatedAt));
    let until = Expr::col((throttle::Entity, throttle::Column::ThrottledUntil));
    let on_conflict = OnConflict::column(throttle::Column::KeyMac)
        .value(
            throttle::Column::Failures,
            Expr::case(updated_at.gt(now - crate::model::FAILURE_MEMORY), failures.add(1)).finally(1),
        )
        .value(throttle::Column::UpdatedAt, now)
        .action_and_where(until.clone().is_null().or(until.lte(now)))
        .to_owned();
    let first = throttle::ActiveModel {
        key_mac: Set(key_mac.to_owned()),
        failures: Set(1),
        throttled_until: Set(None),
        updated_at: Set(now),
    };
    // No row comes back when the wait runs (the update's condition failed).
    let rows = throttle::Entity::insert(first).on_conflict(on_conflict).exec_with_returning_many(conn).await?;
    Ok(rows.first().map(|row| row.failures))
}

/// Sets the wait that the count `claim_guess` returned calls for.
pub async fn set_wait(conn: &impl ConnectionTrait, key_mac: &str, until: Option<OffsetDateTime>) -> Result<(), DbErr> {
    throttle::Entity::update_many()
        .col_expr(throttle::Column::ThrottledUntil, Expr::value(until))
        .filter(throttle::Column::KeyMac.eq(key_mac))
        .exec(conn)
        .await?;
    Ok(())
}

/// Gives back a guess `claim_guess` counted that turned out right, in one
/// statement; the wait goes if the count falls below `free`, or if it is
/// the one this guess set (`ours`): a right password never leaves a wait
/// behind for others on the same key (for keys that a success does not
/// clear, such as a network address). A wait another guess set stays.
pub async fn refund_guess(
    conn: &impl ConnectionTrait,
    key_mac: &str,
    free: i32,
    ours: Option<OffsetDateTime>,
) -> Result<(), DbErr> {
    let failures = Expr::col(throttle::Column::Failures);
    let mut lifted = Condition::any().add(failures.clone().lte(free));
    if let Some(ours) = ours {
        lifted = lifted.add(Expr::col(throttle::Column::ThrottledUntil).eq(ours));
    }
    throttle::Entity::update_many()
        .col_expr(throttle::Column::Failures, failures.clone().sub(1))
        .col_expr(
            throttle::Column::ThrottledUntil,
            Expr::case(lifted, Expr::value(Option::<OffsetDateTime>::None))
                .finally(Expr::col(throttle::Column::ThrottledUntil))
                .into(),
        )
        .filter(throttle::Column::KeyMac.eq(key_mac))
        .filter(throttle::Column::Failures.gt(0))
        .exec(conn)
        .await?;
    Ok(())
}

pub async fn clear_failures(conn: &impl ConnectionTrait, key_mac: &str) -> Result<(), DbErr> {
    throttle::Entity::delete_by_id(key_mac.to_owned()).exec(conn).await?;
    Ok(())
}

/// Forgets throttles untouched for a day.
pub async fn purge_throttles(conn: &impl ConnectionTrait) -> Result<u64, DbErr> {
    let cutoff = platform::db::now() - time::Duration::days(1);
    Ok(throttle::Entity::delete_many()
        .filter(Condition::all().add(throttle::Column::UpdatedAt.lt(cutoff)))
        .exec(conn)
        .await?
        .rows_affected)
}

/// The account's authenticator app, confirmed or not.
pub async fn totp(conn: &impl ConnectionTrait, account_id: &str) -> Result<Option<totp::Model>, DbErr> {
    totp::Entity::find_by_id(account_id.to_owned()).one(conn).await
}

/// Stores a new, unconfirmed secret (replacing an unconfirmed one).
pub async fn put_pending_totp(
    conn: &impl ConnectionTrait,
    account_id: &str,
    secret_sealed: String,
) -> Result<(), DbErr> {
    totp::Entity::delete_many()
        .filter(totp::Column::AccountId.eq(account_id))
        .filter(totp::Column::ConfirmedAt.is_null())
        .exec(conn)
        .await?;
    totp::ActiveModel {
        account_id: Set(account_id.to_owned()),
        secret_sealed: Set(secret_sealed),
        confirmed_at: Set(None),
        last_step: Set(0),
        created_at: Set(platform::db::now()),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Accepts time step `step` once: false if it (or a later one) was used.
pub async fn use_totp_step(
    conn: &impl ConnectionTrait,
    account_id: &str,
    step: i64,
    confirm: bool,
) -> Result<bool, DbErr> {
    let mut update = totp::Entity::update_many()
        .col_expr(totp::Column::LastStep, Expr::value(step))
        .filter(totp::Column::AccountId.eq(account_id))
        .filter(totp::Column::LastStep.lt(step));
    if confirm {
        update = update.col_expr(totp::Column::ConfirmedAt, Expr::value(platform::db::now()));
    }
    Ok(update.exec(conn).await?.rows_affected == 1)
}

pub async fn delete_totp(conn: &impl ConnectionTrait, account_id: &str) -> Result<(), DbErr> {
    totp::Entity::delete_many().filter(totp::Column::AccountId.eq(account_id)).exec(conn).await?;
    recovery::Entity::delete_many().filter(recovery::Column::AccountId.eq(account_id)).exec(conn).await?;
    Ok(())
}

/// Replaces the account's recovery codes with these MACs.
pub async fn put_recovery_codes(conn: &impl ConnectionTrait, account_id: &str, macs: Vec<String>) -> Result<(), DbErr> {
    recovery::Entity::delete_many().filter(recovery::Column::AccountId.eq(account_id)).exec(conn).await?;
    let now = platform::db::now();
    for mac in macs {
        recovery::ActiveModel {
            code_mac: Set(mac),
            account_id: Set(account_id.to_owned()),
            used_at: Set(None),
            created_at: Set(now),
        }
        .insert(conn)
        .await?;
    }
    Ok(())
}

/// Spends a recovery code, atomically; false if unknown, used, or another account's.
pub async fn use_recovery_code(conn: &impl ConnectionTrait, account_id: &str, mac: &str) -> Result<bool, DbErr> {
    let result = recovery::Entity::update_many()
        .col_expr(recovery::Column::UsedAt, Expr::value(platform::db::now()))
        .filter(recovery::Column::CodeMac.eq(mac))
        .filter(recovery::Column::AccountId.eq(account_id))
        .filter(recovery::Column::UsedAt.is_null())
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn unused_recovery_codes(conn: &impl ConnectionTrait, account_id: &str) -> Result<u64, DbErr> {
    recovery::Entity::find()
        .filter(recovery::Column::AccountId.eq(account_id))
        .filter(recovery::Column::UsedAt.is_null())
        .count(conn)
        .await
}

pub async fn create_challenge(conn: &impl ConnectionTrait, id: &str, account_id: &str) -> Result<(), DbErr> {
    let now = platform::db::now();
    challenge::ActiveModel {
        id: Set(id.to_owned()),
        account_id: Set(account_id.to_owned()),
        expires_at: Set(now + crate::model::CHALLENGE_LIFETIME),
        tries_left: Set(crate::model::CHALLENGE_TRIES),
        created_at: Set(now),
    }
    .insert(conn)
    .await?;
    Ok(())
}

pub async fn challenge(conn: &impl ConnectionTrait, id: &str) -> Result<Option<challenge::Model>, DbErr> {
    challenge::Entity::find_by_id(id.to_owned()).one(conn).await
}

/// Spends one try of a challenge, atomically.
pub async fn take_challenge_try(conn: &impl ConnectionTrait, id: &str) -> Result<bool, DbErr> {
    let result = challenge::Entity::update_many()
        .col_expr(challenge::Column::TriesLeft, Expr::col(challenge::Column::TriesLeft).sub(1))
        .filter(challenge::Column::Id.eq(id))
        .filter(challenge::Column::TriesLeft.gt(0))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn delete_challenge(conn: &impl ConnectionTrait, id: &str) -> Result<(), DbErr> {
    challenge::Entity::delete_by_id(id.to_owned()).exec(conn).await?;
    Ok(())
}

// ---- the principal of an account ------------------------------------------

/// Who an account is: its ID, identity level, roles and officer scopes.
fn who(account: &account::Model) -> Result<(AccountId, IdentityLevel, Vec<Role>, Vec<String>), AppError> {
    let id = Uuid::parse_str(&account.id).map_err(AppError::internal)?;
    let slugs: Vec<String> = serde_json::from_str(&account.roles).map_err(AppError::internal)?;
    let mut roles = vec![Role::Resident];
    for slug in slugs {
        match slug.as_str() {
            "admin" => roles.push(Role::Admin),
            "officer" => roles.push(Role::Officer),
            _ => tracing::warn!(account = %account.id, role = %slug, "unknown role ignored"),
        }
    }
    let level = account.level.identity_level();
    // Scopes refine the officer role; without it they grant nothing.
    let scopes: Vec<String> = if roles.contains(&Role::Officer) {
        serde_json::from_str(&account.scopes).map_err(AppError::internal)?
    } else {
        Vec::new()
    };
    Ok((AccountId(id), level, roles, scopes))
}

/// The principal of an account that has just proved who it is, on this
/// device, with `strength`.
pub fn principal(account: &account::Model, strength: AuthStrength) -> Result<Principal, AppError> {
    let (id, level, roles, scopes) = who(account)?;
    Ok(Principal::new(id, level, roles, strength, OffsetDateTime::now_utc().unix_timestamp()).with_scopes(scopes))
}

/// The principal of an account signed in by another device's approval:
/// the approving session's `strength` and `authenticated_at`, never more.
pub fn principal_approved_on_another_device(
    account: &account::Model,
    strength: AuthStrength,
    authenticated_at: i64,
) -> Result<Principal, AppError> {
    let (id, level, roles, scopes) = who(account)?;
    Ok(Principal::approved_on_another_device(id, level, roles, strength, authenticated_at).with_scopes(scopes))
}

/// The row key of a second-step challenge (the cookie holds the token).
pub fn challenge_key(token: &str) -> String {
    hex_sha256(token)
}

fn hex_sha256(s: &str) -> String {
    Sha256::digest(s.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}
