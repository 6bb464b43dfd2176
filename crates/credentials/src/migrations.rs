//! Credentials' schema, forward-only. Migration names start
//! `m<date>_<time>_credentials_`.

use sea_orm_migration::prelude::*;

pub(crate) fn all() -> Vec<Box<dyn MigrationTrait>> {
    vec![Box::new(Records)]
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
