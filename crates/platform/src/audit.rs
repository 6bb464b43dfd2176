//! The append-only audit log: who did what to which record, each entry
//! chained to the one before by a MAC under the audit key, so that
//! `lionrock audit verify` finds any edit, deletion or truncation, and one
//! who can write to the database but lacks the key file cannot recompute the
//! chain. A signed checkpoint of the head, kept elsewhere, also exposes a
//! rewrite by one who holds the key, or a clean cut of the newest entries.
//! Entries name actors and objects by opaque IDs only (never names or
//! document numbers).
//!
//! Entries written before the audit key existed are linked by plain SHA-256;
//! `audit_head.keyed_from` (set once, by the migration that brought the key,
//! and guarded by a trigger) is the first keyed entry: 1 on an installation
//! that started with the key. Where it is above 1, the key must also vouch
//! for it: `keyed_from_mac`, the *seal*, is a MAC of `keyed_from` and the
//! hash of the last plain entry, written once by a process holding the key
//! right after the upgrade ([`seal_after_upgrade`]) or by `lionrock audit
//! seal` ([`seal`]). Without it, one with database access could relink
//! every entry with plain SHA-256 and move `keyed_from` past the head;
//! `verify` therefore fails on an unsealed or wrongly sealed boundary.
//! Appends never seal: an unsealed boundary met later may be a forgery.
//! Moving `keyed_from` down makes a plain entry fail as keyed.

use sea_orm::entity::prelude::*;
use sea_orm::{
    AccessMode, ActiveValue::NotSet, ActiveValue::Set, DatabaseBackend, DatabaseTransaction, IsolationLevel,
    QueryOrder, QuerySelect, TransactionOptions, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::crypto::Keys;
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
        /// The first entry linked by a MAC; those before predate the audit key.
        pub keyed_from: i64,
        /// The seal: the audit key's MAC of `keyed_from` and the last plain
        /// entry's hash (needed only when `keyed_from` > 1).
        pub keyed_from_mac: Option<String>,
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
/// commits or rolls back with the change it describes. `keys` (the app's)
/// holds the audit key the link is made with. It never seals the start of
/// the keyed chain (see [`seal`]).
///
/// Call it last, right before commit: on PostgreSQL it locks the chain's
/// head row until the transaction ends, and every other audited write on
/// every server waits for that lock, so whatever follows it in the
/// transaction is paid by all of them.
pub async fn record(txn: &DatabaseTransaction, keys: &Keys, entry: AuditEntry) -> Result<log::Model, AuditError> {
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
    // keyed_from is at most the head's seq + 1, so every new entry is keyed.
    row.hash = keyed_link(keys, &row);
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
    head::ActiveModel {
        id: Set(1),
        seq: Set(row.seq),
        hash: Set(row.hash.clone()),
        keyed_from: NotSet,
        keyed_from_mac: NotSet,
    }
    .update(txn)
    .await?;
    Ok(row)
}

/// Appends `entry` in a transaction of its own (for acts with no other write).
pub async fn record_now(db: &DatabaseConnection, keys: &Keys, entry: AuditEntry) -> Result<log::Model, AuditError> {
    let txn = db::begin_write(db).await?;
    let row = record(&txn, keys, entry).await?;
    txn.commit().await?;
    Ok(row)
}

fn check_len(name: &'static str, value: &str, max: usize) -> Result<(), AuditError> {
    if value.is_empty() || value.len() > max {
        return Err(AuditError::InvalidField(name));
    }
    Ok(())
}

/// An unambiguous encoding (a JSON array) of every field but the hash.
fn link_message(row: &log::Model) -> Vec<u8> {
    let at = row.at.format(&Rfc3339).unwrap_or_default();
    serde_json::json!([row.seq, row.id, at, row.actor, row.action, row.object, row.request_id, row.prev_hash])
        .to_string()
        .into_bytes()
}

/// HMAC-SHA-256 under the audit key: what every entry since the key is linked with.
fn keyed_link(keys: &Keys, row: &log::Model) -> String {
    keys.audit_mac("audit-link", &link_message(row))
}

/// Plain SHA-256: how entries were linked before the audit key.
pub(crate) fn plain_link(row: &log::Model) -> String {
    hex::encode(Sha256::digest(link_message(row)))
}

/// What the seal MACs: where the keyed links begin and the hash they start
/// from (the last plain entry's).
fn seal_message(keyed_from: i64, boundary_hash: &str) -> Vec<u8> {
    serde_json::json!([keyed_from, boundary_hash]).to_string().into_bytes()
}

/// Why the start of the keyed chain fails to verify.
const UNSEALED: &str = "the start of the keyed chain is not sealed by the audit key: unless this database was \
     just upgraded from a release before the audit key, treat it as a chain rewritten without the key; after such \
     an upgrade, run `lionrock audit seal` with the key";

/// What [`seal`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealOutcome {
    /// The log started with the key (`keyed_from` is 1): nothing to seal.
    NotNeeded,
    /// A seal was already there (`verify` says whether it holds).
    AlreadySealed,
    /// Sealed the keyed chain starting at this entry.
    Sealed { keyed_from: i64 },
}

/// Why [`seal`] refused.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("the audit log is broken at entry {}, so its keyed start is not sealed", .0.first_broken.as_ref().map_or(0, |b| b.seq))]
    Broken(VerifyReport),
    #[error(
        "this installation had the audit key from its start, so its log never needs a seal: an unsealed start of \
         the keyed chain means the log was rewritten without the key"
    )]
    KeyedFromTheStart,
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Seals the start of the keyed chain of an upgraded log with the audit key:
/// the operator's word that `keyed_from` and the plain entries before it
/// are as the upgrade left them. Run once, right after the upgrade (the
/// database then refuses to change the seal); refused if the chain does not
/// otherwise verify.
pub async fn seal(db: &DatabaseConnection, keys: &Keys) -> Result<SealOutcome, SealError> {
    let txn = db::begin_write(db).await?;
    let head = head::Entity::find_by_id(1)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("audit_head".to_owned()))?;
    if head.keyed_from <= 1 {
        return Ok(SealOutcome::NotNeeded);
    }
    if head.keyed_from_mac.is_some() {
        return Ok(SealOutcome::AlreadySealed);
    }
    if keyed_from_the_start(&txn).await? {
        return Err(SealError::KeyedFromTheStart);
    }
    let report = walk(&txn, keys, &head, None, VERIFY_PAGE, false).await?;
    if !report.ok {
        return Err(SealError::Broken(report));
    }
    let boundary = log::Entity::find_by_id(head.keyed_from - 1)
        .one(&txn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("audit_log entry {}", head.keyed_from - 1)))?;
    let mac = keys.audit_mac(SEAL_PURPOSE, &seal_message(head.keyed_from, &boundary.hash));
    head::ActiveModel { id: Set(1), seq: NotSet, hash: NotSet, keyed_from: NotSet, keyed_from_mac: Set(Some(mac)) }
        .update(&txn)
        .await?;
    txn.commit().await?;
    Ok(SealOutcome::Sealed { keyed_from: head.keyed_from })
}

/// Whether the audit key's migration ran with the installation's first one
/// (within a minute): then no entry was ever linked without the key, and a
/// seal is never the answer.
async fn keyed_from_the_start(txn: &DatabaseTransaction) -> Result<bool, DbErr> {
    use sea_orm::{ConnectionTrait, Statement};
    let backend = txn.get_database_backend();
    let applied_at = |version: &str| {
        Statement::from_sql_and_values(
            backend,
            match backend {
                DatabaseBackend::Postgres => "SELECT applied_at FROM seaql_migrations WHERE version = $1",
                _ => "SELECT applied_at FROM seaql_migrations WHERE version = ?",
            },
            [version.into()],
        )
    };
    let first = txn.query_one_raw(applied_at(crate::migrations::FIRST)).await?;
    let keyed = txn.query_one_raw(applied_at(crate::migrations::AUDIT_HARDENING)).await?;
    match (first, keyed) {
        (Some(first), Some(keyed)) => {
            let (first, keyed): (i64, i64) = (first.try_get("", "applied_at")?, keyed.try_get("", "applied_at")?);
            Ok(keyed - first < 60)
        }
        _ => Ok(false),
    }
}

/// The MAC purpose of the seal.
const SEAL_PURPOSE: &str = "audit-keyed-from";

/// Seals the log (see [`seal`]) if `applied`, the migrations this process
/// just ran, brought the audit key; `None` otherwise. Only then is an
/// unsealed start known to be the upgrade's own and not a forger's.
pub async fn seal_after_upgrade(
    db: &DatabaseConnection,
    keys: &Keys,
    applied: &[String],
) -> Result<Option<SealOutcome>, SealError> {
    if !applied.iter().any(|name| name == crate::migrations::AUDIT_HARDENING) {
        return Ok(None);
    }
    seal(db, keys).await.map(Some)
}

/// Whether the log's keyed start still waits for [`seal`].
pub async fn needs_seal(db: &DatabaseConnection) -> Result<bool, DbErr> {
    let head = head::Entity::find_by_id(1).one(db).await?;
    Ok(head.is_some_and(|h| h.keyed_from > 1 && h.keyed_from_mac.is_none()))
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
    /// The first entry linked under the audit key (1 unless the log
    /// predates the key).
    pub keyed_from: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_broken: Option<BrokenLink>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct BrokenLink {
    /// Sequence number of the first entry that does not verify.
    pub seq: i64,
    pub reason: String,
}

/// The signed head of the chain: kept away from the database, it later
/// shows whether the chain up to `seq` was rewritten or cut.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    pub seq: i64,
    pub hash: String,
    pub keyed_from: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// HMAC-SHA-256 under the audit key over the other fields.
    pub mac: String,
}

/// Why a checkpoint cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("not an audit checkpoint (expected the JSON of `lionrock audit checkpoint --json`): {0}")]
    Malformed(String),
    #[error("its MAC does not verify under this installation's audit key (altered, or from another installation)")]
    Forged,
}

impl Checkpoint {
    fn message(seq: i64, hash: &str, keyed_from: i64, at: OffsetDateTime) -> Vec<u8> {
        let at = at.format(&Rfc3339).unwrap_or_default();
        serde_json::json!([seq, hash, keyed_from, at]).to_string().into_bytes()
    }

    fn sign(keys: &Keys, seq: i64, hash: String, keyed_from: i64) -> Self {
        let at = db::now();
        let mac = keys.audit_mac("audit-checkpoint", &Self::message(seq, &hash, keyed_from, at));
        Self { seq, hash, keyed_from, at, mac }
    }

    /// Reads a checkpoint and checks that this installation's key made it.
    pub fn parse(text: &str, keys: &Keys) -> Result<Self, CheckpointError> {
        let cp: Self = serde_json::from_str(text).map_err(|e| CheckpointError::Malformed(e.to_string()))?;
        let message = Self::message(cp.seq, &cp.hash, cp.keyed_from, cp.at);
        if !keys.audit_mac_valid("audit-checkpoint", &message, &cp.mac) {
            return Err(CheckpointError::Forged);
        }
        Ok(cp)
    }
}

/// How many entries `verify` reads per query.
const VERIFY_PAGE: u64 = 1000;

/// Walks the chain from the start and reports the first broken link; with
/// `checkpoint`, also whether the chain still holds the checkpoint's head.
pub async fn verify(
    db: &DatabaseConnection,
    keys: &Keys,
    checkpoint: Option<&Checkpoint>,
) -> Result<VerifyReport, DbErr> {
    verify_in_pages(db, keys, checkpoint, VERIFY_PAGE).await
}

/// [`verify`] reading `page` entries per query (small pages let tests
/// interleave appends with a walk).
pub async fn verify_in_pages(
    db: &DatabaseConnection,
    keys: &Keys,
    checkpoint: Option<&Checkpoint>,
    page: u64,
) -> Result<VerifyReport, DbErr> {
    Ok(verify_snapshot(db, keys, checkpoint, page).await?.0)
}

/// Verifies the chain and, if it is intact, signs its head.
pub async fn checkpoint(db: &DatabaseConnection, keys: &Keys) -> Result<(VerifyReport, Option<Checkpoint>), DbErr> {
    let (report, head) = verify_snapshot(db, keys, None, VERIFY_PAGE).await?;
    let cp = head.filter(|_| report.ok).map(|h| Checkpoint::sign(keys, h.seq, h.hash, h.keyed_from));
    Ok((report, cp))
}

/// The report, and the head it was checked against.
async fn verify_snapshot(
    db: &DatabaseConnection,
    keys: &Keys,
    checkpoint: Option<&Checkpoint>,
    page: u64,
) -> Result<(VerifyReport, Option<head::Model>), DbErr> {
    // One snapshot for the head and every page, so entries appended during
    // the walk are simply not seen. SQLite in WAL mode gives a read
    // transaction its snapshot at the first read.
    let options = match db.get_database_backend() {
        DatabaseBackend::Postgres => TransactionOptions {
            isolation_level: Some(IsolationLevel::RepeatableRead),
            access_mode: Some(AccessMode::ReadOnly),
            ..TransactionOptions::default()
        },
        _ => TransactionOptions::default(),
    };
    let txn = db.begin_with_options(options).await?;
    let Some(head) = head::Entity::find_by_id(1).one(&txn).await? else {
        let reason = "the chain head (audit_head) is missing".to_owned();
        let report =
            VerifyReport { entries: 0, ok: false, keyed_from: 1, first_broken: Some(BrokenLink { seq: 1, reason }) };
        return Ok((report, None));
    };
    let report = walk(&txn, keys, &head, checkpoint, page.max(1), true).await?;
    txn.commit().await?;
    Ok((report, Some(head)))
}

async fn walk(
    txn: &DatabaseTransaction,
    keys: &Keys,
    head: &head::Model,
    checkpoint: Option<&Checkpoint>,
    page: u64,
    require_seal: bool,
) -> Result<VerifyReport, DbErr> {
    let keyed_from = head.keyed_from;
    let mut entries = 0u64;
    let report = |entries: u64, seq: i64, reason: String| VerifyReport {
        entries,
        ok: false,
        keyed_from,
        first_broken: Some(BrokenLink { seq, reason }),
    };
    if keyed_from < 1 || keyed_from > head.seq + 1 {
        return Ok(report(0, 1, format!("the first keyed entry ({keyed_from}) lies outside the chain")));
    }
    if let Some(cp) = checkpoint
        && cp.keyed_from != keyed_from
    {
        let reason = format!("the first keyed entry moved from {} to {keyed_from} since the checkpoint", cp.keyed_from);
        return Ok(report(0, cp.keyed_from.min(keyed_from), reason));
    }
    let mut last_seq = 0i64;
    let mut prev_hash = GENESIS_HASH.to_owned();
    loop {
        let rows = log::Entity::find()
            .filter(log::Column::Seq.gt(last_seq))
            .order_by_asc(log::Column::Seq)
            .limit(page)
            .all(txn)
            .await?;
        if rows.is_empty() {
            break;
        }
        for row in rows {
            let expected = if row.seq >= keyed_from { keyed_link(keys, &row) } else { plain_link(&row) };
            let found = if row.seq != last_seq + 1 {
                Some((last_seq + 1, format!("entry missing (next entry is {})", row.seq)))
            } else if row.prev_hash != prev_hash {
                Some((row.seq, "previous-hash does not match the entry before".to_owned()))
            } else if expected != row.hash {
                Some((row.seq, "entry content does not match its hash".to_owned()))
            } else if checkpoint.is_some_and(|cp| cp.seq == row.seq && cp.hash != row.hash) {
                Some((row.seq, "differs from the checkpoint: the chain was rewritten up to here".to_owned()))
            } else {
                None
            };
            if let Some((seq, reason)) = found {
                return Ok(report(entries, seq, reason));
            }
            entries += 1;
            last_seq = row.seq;
            prev_hash = row.hash;
            if require_seal && last_seq == keyed_from - 1 && !sealed(keys, head, &prev_hash) {
                return Ok(report(entries, keyed_from, UNSEALED.to_owned()));
            }
        }
    }
    if head.seq != last_seq || head.hash != prev_hash {
        let reason = "entries after this point were removed (chain head does not match)".to_owned();
        return Ok(report(entries, last_seq + 1, reason));
    }
    if let Some(cp) = checkpoint.filter(|cp| cp.seq > last_seq) {
        let reason = format!("the chain ends before the checkpoint's entry {}: it was cut", cp.seq);
        return Ok(report(entries, last_seq + 1, reason));
    }
    Ok(VerifyReport { entries, ok: true, keyed_from, first_broken: None })
}

/// Whether the head's seal vouches for its `keyed_from` after an entry
/// whose hash is `boundary_hash`.
fn sealed(keys: &Keys, head: &head::Model, boundary_hash: &str) -> bool {
    head.keyed_from_mac
        .as_deref()
        .is_some_and(|mac| keys.audit_mac_valid(SEAL_PURPOSE, &seal_message(head.keyed_from, boundary_hash), mac))
}
