//! Server-side browser sessions: an opaque random token in an `HttpOnly`
//! cookie, its SHA-256 as the row key, idle and absolute expiry, and the
//! `Principal` it stands for. Identity creates and rotates them; every
//! request resolves them in `web::sessions`.

use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveValue::Set, QueryFilter};
use sha2::{Digest, Sha256};
use time::Duration;

use crate::crypto;
use crate::db;
use crate::principal::Principal;

pub mod entity {
    //! `session` rows.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "session")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub account_id: String,
        pub principal: String,
        pub created_at: TimeDateTimeWithTimeZone,
        pub last_seen_at: TimeDateTimeWithTimeZone,
        pub idle_expires_at: TimeDateTimeWithTimeZone,
        pub absolute_expires_at: TimeDateTimeWithTimeZone,
        pub user_agent: Option<String>,
        pub ip: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// How long sessions live.
#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    pub idle: Duration,
    pub absolute: Duration,
}

/// The secret a session cookie carries. Never logged.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken(String);

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionToken([redacted])")
    }
}

impl SessionToken {
    pub fn generate() -> Self {
        Self(crypto::random_token())
    }
    /// Accepts a cookie value only if it looks like one of ours.
    pub fn parse(value: &str) -> Option<Self> {
        (value.len() == 43 && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
            .then(|| Self(value.to_owned()))
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    fn row_id(&self) -> String {
        hex::encode(Sha256::digest(self.0.as_bytes()))
    }
}

/// Where and on what a session was opened, for the resident's session list.
#[derive(Debug, Clone, Default)]
pub struct Device {
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

/// When a session for `principal` must end whatever its use: its absolute
/// lifetime counts from when the person last proved who they are, so a
/// session opened on another device's approval ends with the approver's
/// proof instead of living longer than it.
fn absolute_end(principal: &Principal, now: time::OffsetDateTime, lifetimes: Lifetimes) -> time::OffsetDateTime {
    let proven = time::OffsetDateTime::from_unix_timestamp(principal.authenticated_at).unwrap_or(now);
    std::cmp::min(proven, now) + lifetimes.absolute
}

/// Opens a session for `principal` and returns the token for the cookie.
pub async fn create(
    conn: &impl ConnectionTrait,
    principal: &Principal,
    lifetimes: Lifetimes,
    device: Device,
) -> Result<SessionToken, DbErr> {
    let token = SessionToken::generate();
    let now = db::now();
    let principal_json = serde_json::to_string(principal).map_err(|e| DbErr::Custom(e.to_string()))?;
    entity::ActiveModel {
        id: Set(token.row_id()),
        account_id: Set(principal.account_id.to_string()),
        principal: Set(principal_json),
        created_at: Set(now),
        last_seen_at: Set(now),
        idle_expires_at: Set(now + lifetimes.idle),
        absolute_expires_at: Set(absolute_end(principal, now, lifetimes)),
        user_agent: Set(device.user_agent.map(|ua| ua.chars().take(200).collect())),
        ip: Set(device.ip),
    }
    .insert(conn)
    .await?;
    Ok(token)
}

/// The principal behind `token`, if the session is live; extends its idle
/// expiry (at most once a minute, to keep reads cheap). That touch and the
/// deletion of an expired row are upkeep: when they cannot be written (the
/// write queue gave up in a rush) it is logged and the answer stands, so a
/// request never fails for them; the next request touches again.
pub async fn resolve(
    db: &DatabaseConnection,
    token: &SessionToken,
    lifetimes: Lifetimes,
) -> Result<Option<Principal>, DbErr> {
    let Some(row) = entity::Entity::find_by_id(token.row_id()).one(db).await? else {
        return Ok(None);
    };
    let now = db::now();
    if now >= row.idle_expires_at || now >= row.absolute_expires_at {
        if let Err(error) = drop_session(db, row.id).await {
            tracing::warn!(%error, "an expired session's row could not be deleted (the session stays expired)");
        }
        return Ok(None);
    }
    if now - row.last_seen_at >= Duration::minutes(1)
        && let Err(error) = touch(db, &row.id, now, lifetimes).await
    {
        tracing::warn!(%error, "a session's idle expiry could not be extended (next request tries again)");
    }
    match serde_json::from_str::<Principal>(&row.principal) {
        Ok(p) => Ok(Some(p)),
        Err(e) => {
            tracing::warn!(error = %e, "session with unreadable principal dropped");
            drop_session(db, row.id).await?;
            Ok(None)
        }
    }
}

/// Extends the idle expiry of session row `id` from `now`. Through the
/// write queue like every other writer: an autocommit write would meet a
/// busy SQLite in its busy handler, and could sleep there past the timeout
/// while the queue keeps the lock.
async fn touch(
    db: &DatabaseConnection,
    id: &str,
    now: time::OffsetDateTime,
    lifetimes: Lifetimes,
) -> Result<(), DbErr> {
    let txn = db::begin_write(db).await?;
    entity::Entity::update_many()
        .col_expr(entity::Column::LastSeenAt, Expr::value(now))
        .col_expr(entity::Column::IdleExpiresAt, Expr::value(now + lifetimes.idle))
        .filter(entity::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    txn.commit().await
}

/// Deletes the session row `id` (through the write queue, see `touch`).
async fn drop_session(db: &DatabaseConnection, id: String) -> Result<(), DbErr> {
    let txn = db::begin_write(db).await?;
    entity::Entity::delete_by_id(id).exec(&txn).await?;
    txn.commit().await
}

/// Ends one session.
pub async fn revoke(conn: &impl ConnectionTrait, token: &SessionToken) -> Result<(), DbErr> {
    entity::Entity::delete_by_id(token.row_id()).exec(conn).await?;
    Ok(())
}

/// One live session of an account, for the resident's security page. `id`
/// is the row key (a hash), never the cookie's token.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub id: String,
    pub created_at: time::OffsetDateTime,
    pub last_seen_at: time::OffsetDateTime,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

/// The account's live sessions, most recently used first.
pub async fn list_for_account(conn: &impl ConnectionTrait, account_id: &str) -> Result<Vec<SessionInfo>, DbErr> {
    use sea_orm::QueryOrder;
    let now = db::now();
    Ok(entity::Entity::find()
        .filter(entity::Column::AccountId.eq(account_id))
        .filter(entity::Column::IdleExpiresAt.gt(now))
        .filter(entity::Column::AbsoluteExpiresAt.gt(now))
        .order_by_desc(entity::Column::LastSeenAt)
        .all(conn)
        .await?
        .into_iter()
        .map(|r| SessionInfo {
            id: r.id,
            created_at: r.created_at,
            last_seen_at: r.last_seen_at,
            user_agent: r.user_agent,
            ip: r.ip,
        })
        .collect())
}

/// The row key of the session a token opens (to mark "this device").
pub fn id_of(token: &SessionToken) -> String {
    token.row_id()
}

/// Ends one of the account's sessions by its row key; false if not theirs.
pub async fn revoke_by_id(conn: &impl ConnectionTrait, account_id: &str, id: &str) -> Result<bool, DbErr> {
    Ok(entity::Entity::delete_many()
        .filter(entity::Column::Id.eq(id))
        .filter(entity::Column::AccountId.eq(account_id))
        .exec(conn)
        .await?
        .rows_affected
        == 1)
}

/// Changes the principal of every live session of an account (after a
/// change of identity level or roles), so the change applies at once.
pub async fn update_principals(
    conn: &impl ConnectionTrait,
    account_id: &str,
    change: impl Fn(&mut Principal),
) -> Result<u64, DbErr> {
    let rows = entity::Entity::find().filter(entity::Column::AccountId.eq(account_id)).all(conn).await?;
    let mut n = 0;
    for row in rows {
        let Ok(mut principal) = serde_json::from_str::<Principal>(&row.principal) else { continue };
        change(&mut principal);
        let json = serde_json::to_string(&principal).map_err(|e| DbErr::Custom(e.to_string()))?;
        entity::ActiveModel { id: Set(row.id), principal: Set(json), ..Default::default() }.update(conn).await?;
        n += 1;
    }
    Ok(n)
}

/// Ends every session of an account (password change, account deletion).
pub async fn revoke_all(conn: &impl ConnectionTrait, account_id: &str) -> Result<u64, DbErr> {
    Ok(entity::Entity::delete_many().filter(entity::Column::AccountId.eq(account_id)).exec(conn).await?.rows_affected)
}

/// Ends every session of an account but one (`keep`, a row key): "sign out
/// everywhere else" after a password change.
pub async fn revoke_others(conn: &impl ConnectionTrait, account_id: &str, keep: &str) -> Result<u64, DbErr> {
    Ok(entity::Entity::delete_many()
        .filter(entity::Column::AccountId.eq(account_id))
        .filter(entity::Column::Id.ne(keep))
        .exec(conn)
        .await?
        .rows_affected)
}

/// Deletes expired sessions; returns how many.
pub async fn purge_expired(conn: &impl ConnectionTrait) -> Result<u64, DbErr> {
    let now = db::now();
    Ok(entity::Entity::delete_many()
        .filter(entity::Column::IdleExpiresAt.lte(now).or(entity::Column::AbsoluteExpiresAt.lte(now)))
        .exec(conn)
        .await?
        .rows_affected)
}
