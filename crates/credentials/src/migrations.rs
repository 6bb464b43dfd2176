//! Credentials' schema, forward-only. Migration names start
//! `m<date>_<time>_credentials_`.

use sea_orm_migration::prelude::*;

pub(crate) fn all() -> Vec<Box<dyn MigrationTrait>> {
    vec![Box::new(Records), Box::new(RulesTable), Box::new(ForeignSigners), Box::new(HolderMasked)]
}

struct Records;

impl MigrationName for Records {
    fn name(&self) -> &str {
        "m20261130_100000_credentials_records"
    }
}

#[derive(DeriveIden)]
enum CredentialRecord {
    Table,
    Id,
    Uvci,
    Kind,
    HolderIndex,
    PayloadSealed,
    Hc1Sealed,
    DscKid,
    IssuedAt,
    ExpiresAt,
    IssuedBy,
    HiddenAt,
    RevokedAt,
    ReplacedBy,
    HolderMasked,
}

#[async_trait::async_trait]
impl MigrationTrait for Records {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use CredentialRecord as R;
        m.create_table(
            Table::create()
                .table(R::Table)
                .col(ColumnDef::new(R::Id).string_len(36).not_null().primary_key())
                .col(ColumnDef::new(R::Uvci).string_len(80).not_null().unique_key())
                .col(ColumnDef::new(R::Kind).string_len(16).not_null())
                .col(ColumnDef::new(R::HolderIndex).string_len(64).not_null())
                .col(ColumnDef::new(R::PayloadSealed).text().not_null())
                .col(ColumnDef::new(R::Hc1Sealed).text().not_null())
                .col(ColumnDef::new(R::DscKid).string_len(16).not_null())
                .col(ColumnDef::new(R::IssuedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(R::ExpiresAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(R::IssuedBy).string_len(100).not_null())
                .col(ColumnDef::new(R::HiddenAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(R::RevokedAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(R::ReplacedBy).string_len(36).null())
                .check(Expr::col(R::Kind).is_in(["vaccination", "test", "recovery", "exemption"]))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("credential_record_holder")
                .table(R::Table)
                .col(R::HolderIndex)
                .col(R::IssuedAt)
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("credential_record_revoked").table(R::Table).col(R::RevokedAt).to_owned())
            .await
    }
}

struct RulesTable;

impl MigrationName for RulesTable {
    fn name(&self) -> &str {
        "m20261130_110000_credentials_rules"
    }
}

#[derive(DeriveIden)]
enum CredentialRules {
    Table,
    Version,
    Document,
    ValidFrom,
    CreatedAt,
    CreatedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for RulesTable {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use CredentialRules as R;
        // Every version is kept; the newest one whose valid_from has come applies.
        m.create_table(
            Table::create()
                .table(R::Table)
                .col(ColumnDef::new(R::Version).integer().not_null().primary_key())
                .col(ColumnDef::new(R::Document).text().not_null())
                .col(ColumnDef::new(R::ValidFrom).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(R::CreatedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(R::CreatedBy).string_len(100).not_null())
                .check(Expr::col(R::Version).gt(1))
                .to_owned(),
        )
        .await
    }
}

struct ForeignSigners;

impl MigrationName for ForeignSigners {
    fn name(&self) -> &str {
        "m20261130_110100_credentials_foreign_signers"
    }
}

#[derive(DeriveIden)]
enum CredentialForeignSigner {
    Table,
    Thumbprint,
    Kid,
    Country,
    Certificate,
    NotAfter,
    CreatedAt,
    CreatedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for ForeignSigners {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use CredentialForeignSigner as F;
        m.create_table(
            Table::create()
                .table(F::Table)
                .col(ColumnDef::new(F::Thumbprint).string_len(64).not_null().primary_key())
                .col(ColumnDef::new(F::Kid).string_len(16).not_null())
                .col(ColumnDef::new(F::Country).string_len(2).not_null())
                .col(ColumnDef::new(F::Certificate).text().not_null())
                .col(ColumnDef::new(F::NotAfter).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(F::CreatedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(F::CreatedBy).string_len(100).not_null())
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("credential_foreign_signer_kid").table(F::Table).col(F::Kid).to_owned())
            .await
    }
}

struct HolderMasked;

impl MigrationName for HolderMasked {
    fn name(&self) -> &str {
        "m20261130_140000_credentials_holder_masked"
    }
}

/// The holder's document, masked (`A123***(3)`), so the issuing officer's
/// confirmation can be shown again after a redirect without the number.
#[async_trait::async_trait]
impl MigrationTrait for HolderMasked {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(CredentialRecord::Table)
                .add_column(ColumnDef::new(CredentialRecord::HolderMasked).string_len(40).null())
                .to_owned(),
        )
        .await
    }
}
