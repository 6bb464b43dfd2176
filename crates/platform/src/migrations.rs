//! The platform's own schema: sessions, the audit log, the notification
//! outbox, signing keys and idempotency records. One schema for SQLite and
//! PostgreSQL; forward-only.

use sea_orm::DatabaseBackend;
use sea_orm_migration::prelude::*;

/// The platform's migrations, oldest first.
pub fn all() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(CoreTables),
        Box::new(SigningKeys),
        Box::new(OutboxLeaseToken),
        Box::new(AuditHardening),
        Box::new(IdempotencyRecords),
        Box::new(InstallationMarks),
        Box::new(RsaSigningKeys),
        Box::new(SigningKeyCertificates),
        Box::new(OneActiveSigningKey),
        Box::new(OutboxQrCode),
    ]
}

struct CoreTables;

impl MigrationName for CoreTables {
    fn name(&self) -> &str {
        "m20261125_000001_platform_core"
    }
}

#[derive(DeriveIden)]
enum Session {
    Table,
    Id,
    AccountId,
    Principal,
    CreatedAt,
    LastSeenAt,
    IdleExpiresAt,
    AbsoluteExpiresAt,
    UserAgent,
    Ip,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Seq,
    Id,
    At,
    Actor,
    Action,
    Object,
    RequestId,
    PrevHash,
    Hash,
}

#[derive(DeriveIden)]
enum AuditHead {
    Table,
    Id,
    Seq,
    Hash,
    KeyedFrom,
    KeyedFromMac,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    Channel,
    Recipient,
    Lang,
    Subject,
    Body,
    Status,
    Attempts,
    NextAttemptAt,
    LockedUntil,
    LastError,
    CreatedAt,
    SentAt,
    /// Added by `m20261130_000001_outbox_lease_token`.
    LeaseToken,
    Qr,
    QrAlt,
}

/// The hash the first audit entry chains to.
pub(crate) const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[async_trait::async_trait]
impl MigrationTrait for CoreTables {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Session::Table)
                .col(ColumnDef::new(Session::Id).string_len(64).not_null().primary_key())
                .col(ColumnDef::new(Session::AccountId).string_len(36).not_null())
                .col(ColumnDef::new(Session::Principal).text().not_null())
                .col(ColumnDef::new(Session::CreatedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(Session::LastSeenAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(Session::IdleExpiresAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(Session::AbsoluteExpiresAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(Session::UserAgent).string_len(200).null())
                .col(ColumnDef::new(Session::Ip).string_len(45).null())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("session_account_idx").table(Session::Table).col(Session::AccountId).to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(AuditLog::Table)
                .col(ColumnDef::new(AuditLog::Seq).big_integer().not_null().primary_key())
                .col(ColumnDef::new(AuditLog::Id).string_len(36).not_null().unique_key())
                .col(ColumnDef::new(AuditLog::At).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(AuditLog::Actor).string_len(100).not_null())
                .col(ColumnDef::new(AuditLog::Action).string_len(100).not_null())
                .col(ColumnDef::new(AuditLog::Object).string_len(200).not_null())
                .col(ColumnDef::new(AuditLog::RequestId).string_len(64).null())
                .col(ColumnDef::new(AuditLog::PrevHash).string_len(64).not_null())
                .col(ColumnDef::new(AuditLog::Hash).string_len(64).not_null().unique_key())
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(AuditHead::Table)
                .col(ColumnDef::new(AuditHead::Id).integer().not_null().primary_key())
                .col(ColumnDef::new(AuditHead::Seq).big_integer().not_null())
                .col(ColumnDef::new(AuditHead::Hash).string_len(64).not_null())
                .check(Expr::col(AuditHead::Id).eq(1))
                .to_owned(),
        )
        .await?;
        m.exec_stmt(
            Query::insert()
                .into_table(AuditHead::Table)
                .columns([AuditHead::Id, AuditHead::Seq, AuditHead::Hash])
                .values_panic([1.into(), 0i64.into(), GENESIS_HASH.into()])
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Outbox::Table)
                .col(ColumnDef::new(Outbox::Id).string_len(36).not_null().primary_key())
                .col(ColumnDef::new(Outbox::Channel).string_len(16).not_null())
                .col(ColumnDef::new(Outbox::Recipient).string_len(320).not_null())
                .col(ColumnDef::new(Outbox::Lang).string_len(8).not_null())
                .col(ColumnDef::new(Outbox::Subject).string_len(300).null())
                .col(ColumnDef::new(Outbox::Body).text().not_null())
                .col(ColumnDef::new(Outbox::Status).string_len(16).not_null())
                .col(ColumnDef::new(Outbox::Attempts).integer().not_null().default(0))
                .col(ColumnDef::new(Outbox::NextAttemptAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(Outbox::LockedUntil).timestamp_with_time_zone().null())
                .col(ColumnDef::new(Outbox::LastError).string_len(500).null())
                .col(ColumnDef::new(Outbox::CreatedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(Outbox::SentAt).timestamp_with_time_zone().null())
                .check(Expr::col(Outbox::Status).is_in(["pending", "sent", "failed"]))
                .check(Expr::col(Outbox::Channel).is_in(["email", "sms", "dev"]))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("outbox_due_idx")
                .table(Outbox::Table)
                .col(Outbox::Status)
                .col(Outbox::NextAttemptAt)
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}

struct SigningKeys;

impl MigrationName for SigningKeys {
    fn name(&self) -> &str {
        "m20261125_000002_platform_signing_keys"
    }
}

#[derive(DeriveIden)]
enum SigningKey {
    Table,
    Kid,
    Purpose,
    Alg,
    PrivateSealed,
    X,
    Y,
    Status,
    CreatedAt,
    PublishUntil,
}

#[async_trait::async_trait]
impl MigrationTrait for SigningKeys {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(SigningKey::Table)
                .col(ColumnDef::new(SigningKey::Kid).string_len(64).not_null().primary_key())
                .col(ColumnDef::new(SigningKey::Purpose).string_len(32).not_null())
                .col(ColumnDef::new(SigningKey::Alg).string_len(16).not_null())
                .col(ColumnDef::new(SigningKey::PrivateSealed).text().not_null())
                .col(ColumnDef::new(SigningKey::X).string_len(64).not_null())
                .col(ColumnDef::new(SigningKey::Y).string_len(64).not_null())
                .col(ColumnDef::new(SigningKey::Status).string_len(16).not_null())
                .col(ColumnDef::new(SigningKey::CreatedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(SigningKey::PublishUntil).timestamp_with_time_zone().null())
                .check(Expr::col(SigningKey::Status).is_in(["active", "retired"]))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("signing_key_purpose_idx")
                .table(SigningKey::Table)
                .col(SigningKey::Purpose)
                .col(SigningKey::Status)
                .to_owned(),
        )
        .await
    }
}

struct OutboxLeaseToken;

impl MigrationName for OutboxLeaseToken {
    fn name(&self) -> &str {
        "m20261130_000001_outbox_lease_token"
    }
}

/// Each claim writes a fresh token; a worker records an outcome only while
/// the row still carries its token, so a worker whose lease ran out cannot
/// write over what the next one did.
#[async_trait::async_trait]
impl MigrationTrait for OutboxLeaseToken {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Outbox::Table)
                .add_column(ColumnDef::new(Outbox::LeaseToken).string_len(32).null())
                .to_owned(),
        )
        .await
    }
}

struct AuditHardening;

/// The migration that brought the audit key (and `keyed_from`).
pub const AUDIT_HARDENING: &str = "m20261130_000002_audit_hardening";

/// The name of the installation's first migration.
pub(crate) const FIRST: &str = "m20261125_000001_platform_core";

impl MigrationName for AuditHardening {
    fn name(&self) -> &str {
        AUDIT_HARDENING
    }
}

/// Refuses changes to audit rows on PostgreSQL, and lets the head only
/// advance by one entry, or take its seal once: `keyed_from_mac` may go
/// from NULL to a value (nothing else changing) when `keyed_from` > 1.
/// `keyed_from` never changes.
const PG_APPEND_ONLY: &[&str] = &[
    "CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN RAISE EXCEPTION 'the audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME; END $$",
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
     FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()",
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
     FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()",
    "CREATE TRIGGER audit_head_advances BEFORE UPDATE ON audit_head FOR EACH ROW
     WHEN (NEW.id <> OLD.id OR NEW.keyed_from <> OLD.keyed_from OR NOT (
         (NEW.seq = OLD.seq + 1 AND NEW.keyed_from_mac IS NOT DISTINCT FROM OLD.keyed_from_mac)
         OR (NEW.seq = OLD.seq AND NEW.hash = OLD.hash AND OLD.keyed_from > 1
             AND OLD.keyed_from_mac IS NULL AND NEW.keyed_from_mac IS NOT NULL)))
     EXECUTE FUNCTION audit_refuse_change()",
    "CREATE TRIGGER audit_head_kept BEFORE DELETE ON audit_head
     FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()",
    "CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head
     FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()",
];

/// The same on SQLite (defence in depth: whoever can write the file can
/// drop them, which the chain's MACs then expose).
const SQLITE_APPEND_ONLY: &[&str] = &[
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
     BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: UPDATE on audit_log refused'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
     BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: DELETE on audit_log refused'); END",
    "CREATE TRIGGER audit_head_advances BEFORE UPDATE ON audit_head
     WHEN NEW.id <> OLD.id OR NEW.keyed_from <> OLD.keyed_from OR NOT (
         (NEW.seq = OLD.seq + 1 AND NEW.keyed_from_mac IS OLD.keyed_from_mac)
         OR (NEW.seq = OLD.seq AND NEW.hash = OLD.hash AND OLD.keyed_from > 1
             AND OLD.keyed_from_mac IS NULL AND NEW.keyed_from_mac IS NOT NULL))
     BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: UPDATE on audit_head refused'); END",
    "CREATE TRIGGER audit_head_kept BEFORE DELETE ON audit_head
     BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: DELETE on audit_head refused'); END",
];

/// Links are keyed from here on: entries already written keep their plain
/// SHA-256 links, and `keyed_from` records where the keyed ones begin (1 on
/// a new installation). On an upgraded log `keyed_from_mac` (the seal, see
/// `audit::seal`) is written by the first process with the key, right after
/// this migration or by `lionrock audit seal`. Then the database refuses to
/// change audit rows.
#[async_trait::async_trait]
impl MigrationTrait for AuditHardening {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(AuditHead::Table)
                .add_column(ColumnDef::new(AuditHead::KeyedFrom).big_integer().not_null().default(1))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(AuditHead::Table)
                .add_column(ColumnDef::new(AuditHead::KeyedFromMac).string_len(64).null())
                .to_owned(),
        )
        .await?;
        m.exec_stmt(
            Query::update()
                .table(AuditHead::Table)
                .value(AuditHead::KeyedFrom, Expr::col(AuditHead::Seq).add(1))
                .to_owned(),
        )
        .await?;
        let triggers = match m.get_database_backend() {
            DatabaseBackend::Postgres => PG_APPEND_ONLY,
            _ => SQLITE_APPEND_ONLY,
        };
        for sql in triggers {
            m.get_connection().execute_unprepared(sql).await?;
        }
        Ok(())
    }
}

struct IdempotencyRecords;

impl MigrationName for IdempotencyRecords {
    fn name(&self) -> &str {
        "m20261130_000003_idempotency"
    }
}

#[derive(DeriveIden)]
enum Idempotency {
    Table,
    Id,
    Fingerprint,
    Lease,
    LockedUntil,
    Status,
    Headers,
    Body,
    CreatedAt,
    ExpiresAt,
}

/// One row per caller and `Idempotency-Key`: the row's ID is a MAC of both,
/// so a second request with the key is one conditional insert away from
/// knowing it is a retry. While the first request runs the row holds a
/// lease (token and end); then the response (status, replayed headers, the
/// sealed body) until it expires.
#[async_trait::async_trait]
impl MigrationTrait for IdempotencyRecords {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Idempotency::Table)
                .col(ColumnDef::new(Idempotency::Id).string_len(64).not_null().primary_key())
                .col(ColumnDef::new(Idempotency::Fingerprint).string_len(64).not_null())
                .col(ColumnDef::new(Idempotency::Lease).string_len(64).null())
                .col(ColumnDef::new(Idempotency::LockedUntil).timestamp_with_time_zone().null())
                .col(ColumnDef::new(Idempotency::Status).integer().null())
                .col(ColumnDef::new(Idempotency::Headers).text().null())
                .col(ColumnDef::new(Idempotency::Body).text().null())
                .col(ColumnDef::new(Idempotency::CreatedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(Idempotency::ExpiresAt).timestamp_with_time_zone().not_null())
                // Running (a lease, no response) or done (a response, no lease).
                .check(
                    Expr::col(Idempotency::Status)
                        .is_null()
                        .and(Expr::col(Idempotency::Lease).is_not_null())
                        .and(Expr::col(Idempotency::LockedUntil).is_not_null())
                        .or(Expr::col(Idempotency::Status)
                            .between(200, 499)
                            .and(Expr::col(Idempotency::Lease).is_null())
                            .and(Expr::col(Idempotency::Body).is_not_null())),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idempotency_expires_idx")
                .table(Idempotency::Table)
                .col(Idempotency::ExpiresAt)
                .to_owned(),
        )
        .await
    }
}

struct InstallationMarks;

impl MigrationName for InstallationMarks {
    fn name(&self) -> &str {
        "m20261130_000004_installation_mark"
    }
}

#[derive(DeriveIden)]
enum InstallationMark {
    Table,
    Name,
    SetAt,
}

/// Facts about the whole database, such as "`serve --demo` made it".
#[async_trait::async_trait]
impl MigrationTrait for InstallationMarks {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(InstallationMark::Table)
                .col(ColumnDef::new(InstallationMark::Name).string_len(32).not_null().primary_key())
                .col(ColumnDef::new(InstallationMark::SetAt).timestamp_with_time_zone().not_null())
                .to_owned(),
        )
        .await
    }
}

struct RsaSigningKeys;

impl MigrationName for RsaSigningKeys {
    fn name(&self) -> &str {
        "m20261202_000001_signing_key_rsa_modulus"
    }
}

/// An RSA key's `x` holds its modulus (342 characters of base64url for
/// 2048 bits): PostgreSQL refused it in the 64-character column made for
/// P-256 coordinates, so RS256 ID tokens failed there. SQLite never
/// enforced the length.
#[async_trait::async_trait]
impl MigrationTrait for RsaSigningKeys {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != sea_orm::DbBackend::Postgres {
            return Ok(());
        }
        m.alter_table(
            Table::alter()
                .table(SigningKey::Table)
                .modify_column(ColumnDef::new(SigningKey::X).text().not_null())
                .modify_column(ColumnDef::new(SigningKey::Y).text().not_null())
                .to_owned(),
        )
        .await
    }
}

struct SigningKeyCertificates;

impl MigrationName for SigningKeyCertificates {
    fn name(&self) -> &str {
        "m20261203_000001_signing_key_certificate"
    }
}

#[derive(DeriveIden)]
enum SigningKeyCertificate {
    Certificate,
}

/// Keys that others import (the DCC root and document signers) carry an
/// X.509 certificate (base64 DER); the others have none.
#[async_trait::async_trait]
impl MigrationTrait for SigningKeyCertificates {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(SigningKey::Table)
                .add_column(ColumnDef::new(SigningKeyCertificate::Certificate).text().null())
                .to_owned(),
        )
        .await
    }
}

struct OneActiveSigningKey;

impl MigrationName for OneActiveSigningKey {
    fn name(&self) -> &str {
        "m20261203_000002_signing_key_one_active"
    }
}

/// One active key per purpose and algorithm, kept by the database: two
/// servers making a key on first use at the same moment could otherwise
/// both insert one (and a DCC signer could hang from a root that does not
/// sign the trust lists). Any extra active keys a past race left are
/// retired first, the newest kept; the retired ones stay published for two
/// years (the longest anything a DCC key signed lives), so nothing they
/// signed stops verifying.
#[async_trait::async_trait]
impl MigrationTrait for OneActiveSigningKey {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let backend = m.get_database_backend();
        let until = time::OffsetDateTime::now_utc() + time::Duration::days(2 * 365);
        let placeholder = if backend == DatabaseBackend::Postgres { "$1" } else { "?" };
        let conn = m.get_connection();
        conn.execute_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            format!(
                "UPDATE signing_key SET status = 'retired', publish_until = {placeholder} \
                 WHERE status = 'active' AND EXISTS (SELECT 1 FROM signing_key newer \
                 WHERE newer.purpose = signing_key.purpose AND newer.alg = signing_key.alg \
                 AND newer.status = 'active' AND (newer.created_at > signing_key.created_at \
                 OR (newer.created_at = signing_key.created_at AND newer.kid > signing_key.kid)))"
            ),
            [until.into()],
        ))
        .await?;
        conn.execute_unprepared(
            "CREATE UNIQUE INDEX signing_key_one_active ON signing_key (purpose, alg) WHERE status = 'active'",
        )
        .await?;
        Ok(())
    }
}

struct OutboxQrCode;

impl MigrationName for OutboxQrCode {
    fn name(&self) -> &str {
        "m20261201_000001_outbox_qr_code"
    }
}

/// A message may carry a QR code (what it holds, and the picture's
/// description), which an e-mail shows below its text. One column per
/// statement: SQLite alters a table one change at a time.
#[async_trait::async_trait]
impl MigrationTrait for OutboxQrCode {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for column in [Outbox::Qr, Outbox::QrAlt] {
            m.alter_table(
                Table::alter()
                    .table(Outbox::Table)
                    .add_column(ColumnDef::new(column).string_len(500).null())
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
