//! The append-only audit log: who did what to which record, each entry
//! hash-chained to the one before, so that `lionrock audit verify` finds any
//! edit, deletion or truncation. Entries name actors and objects by opaque
//! IDs only (never names or document numbers).

use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, DatabaseTransaction, QueryOrder, QuerySelect, TransactionTrait};
use serde::Serialize;
use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc3339;

use crate::db;
use crate::migrations::GENESIS_HASH;

/// One thing that happened, as a domain reports it.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    /// Opaque ID of who acted: an account ID, `system`, or `cli:<user>`.
    pub actor: String,
    /// Dotted verb, e.g. `booking.cancel`.
    pub action: String,
    /// Opaque ID of what it was done to, e.g. `booking:0199…`.
    pub object: String,
    pub request_id: Option<String>,
}

impl AuditEntry {
    pub fn new(actor: impl Into<String>, action: impl Into<String>, object: impl Into<String>) -> Self {
        Self { actor: actor.into(), action: action.into(), object: object.into(), request_id: None }
    }

    pub fn request(mut self, request_id: Option<&str>) -> Self {
        self.request_id = request_id.map(str::to_owned);
        self
    }
}

pub mod log {
    //! `audit_log` rows.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_log")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub seq: i64,
        pub id: String,
        pub at: TimeDateTimeWithTimeZone,
        pub actor: String,
        pub action: String,
        pub object: String,
        pub request_id: Option<String>,
        pub prev_hash: String,
        pub hash: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod head {
    //! `audit_head`: the single row holding the chain's last link.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_head")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i32,
        pub seq: i64,
        pub hash: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Why an entry could not be recorded.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("audit entry field {0} is empty or longer than allowed")]
    InvalidField(&'static str),
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<AuditError> for crate::error::AppError {
    fn from(e: AuditError) -> Self {
        crate::error::AppError::internal(e)
    }
}

/// Appends `entry` inside the caller's write transaction, so the audit entry
/// commits or rolls back with the change it describes.
pub async fn record(txn: &DatabaseTransaction, entry: AuditEntry) -> Result<log::Model, AuditError> {
    check_len("actor", &entry.actor, 100)?;
    check_len("action", &entry.action, 100)?;
    check_len("object", &entry.object, 200)?;
    // The head row is the chain's lock: FOR UPDATE on PostgreSQL; on SQLite
    // the write transaction already holds the database's single write lock.
    let head = head::Entity::find_by_id(1)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("audit_head".to_owned()))?;
    let mut row = log::Model {
        seq: head.seq + 1,
        id: Uuid::now_v7().to_string(),
        at: db::now(),
        actor: entry.actor,
        action: entry.action,
        object: entry.object,
        request_id: entry.request_id,
        prev_hash: head.hash,
        hash: String::new(),
    };
    row.hash = link_hash(&row);
    log::ActiveModel {
        seq: Set(row.seq),
        id: Set(row.id.clone()),
        at: Set(row.at),
        actor: Set(row.actor.clone()),
        action: Set(row.action.clone()),
        object: Set(row.object.clone()),
        request_id: Set(row.request_id.clone()),
        prev_hash: Set(row.prev_hash.clone()),
        hash: Set(row.hash.clone()),
    }
    .insert(txn)
    .await?;
    head::ActiveModel { id: Set(1), seq: Set(row.seq), hash: Set(row.hash.clone()) }.update(txn).await?;
    Ok(row)
}

/// Appends `entry` in a transaction of its own (for acts with no other write).
pub async fn record_now(db: &DatabaseConnection, entry: AuditEntry) -> Result<log::Model, AuditError> {
    let txn = db::begin_write(db).await?;
    let row = record(&txn, entry).await?;
    txn.commit().await?;
    Ok(row)
}

fn check_len(name: &'static str, value: &str, max: usize) -> Result<(), AuditError> {
    if value.is_empty() || value.len() > max {
        return Err(AuditError::InvalidField(name));
    }
    Ok(())
}

/// SHA-256 over an unambiguous encoding (a JSON array) of every field but the hash.
fn link_hash(row: &log::Model) -> String {
    let at = row.at.format(&Rfc3339).unwrap_or_default();
    let fields =
        serde_json::json!([row.seq, row.id, at, row.actor, row.action, row.object, row.request_id, row.prev_hash]);
    hex::encode(Sha256::digest(fields.to_string().as_bytes()))
}

/// The newest entries about `object` whose action starts with `prefix`
/// (for a resident's own history pages).
pub async fn entries_about(
    db: &DatabaseConnection,
    object: &str,
    prefix: &str,
    limit: u64,
) -> Result<Vec<log::Model>, DbErr> {
    log::Entity::find()
        .filter(log::Column::Object.eq(object))
        .filter(log::Column::Action.starts_with(prefix))
        .order_by_desc(log::Column::Seq)
        .limit(limit)
        .all(db)
        .await
}

/// What `audit verify` found.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct VerifyReport {
    pub entries: u64,
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_broken: Option<BrokenLink>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct BrokenLink {
    /// Sequence number of the first entry that does not verify.
    pub seq: i64,
    pub reason: String,
}

/// Walks the chain from the start and reports the first broken link.
pub async fn verify(db: &DatabaseConnection) -> Result<VerifyReport, DbErr> {
    // Read the chain and its head in one snapshot.
    let txn = db.begin().await?;
    let head = head::Entity::find_by_id(1).one(&txn).await?;
    let mut pages = log::Entity::find().order_by_asc(log::Column::Seq).paginate(&txn, 1000);
    let mut expected_seq = 1i64;
    let mut prev_hash = GENESIS_HASH.to_owned();
    let mut entries = 0u64;
    let broken = |seq: i64, reason: &str| BrokenLink { seq, reason: reason.to_owned() };
    while let Some(rows) = pages.fetch_and_next().await? {
        for row in rows {
            let found = if row.seq != expected_seq {
                Some(broken(expected_seq, &format!("entry missing (next entry is {})", row.seq)))
            } else if row.prev_hash != prev_hash {
                Some(broken(row.seq, "previous-hash does not match the entry before"))
            } else if link_hash(&row) != row.hash {
                Some(broken(row.seq, "entry content does not match its hash"))
            } else {
                None
            };
            if let Some(link) = found {
                return Ok(VerifyReport { entries, ok: false, first_broken: Some(link) });
            }
            entries += 1;
            expected_seq += 1;
            prev_hash = row.hash;
        }
    }
    txn.commit().await?;
    let head_ok = head.as_ref().is_some_and(|h| h.seq == expected_seq - 1 && h.hash == prev_hash);
    Ok(VerifyReport {
        entries,
        ok: head_ok,
        first_broken: (!head_ok)
            .then(|| broken(expected_seq, "entries after this point were removed (chain head does not match)")),
    })
}
