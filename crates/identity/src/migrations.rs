//! Identity's schema: people, accounts, one-time-code verifications and
//! sign-in throttles. A person is not always an account (dependants), so
//! they are separate from the start.

use sea_orm_migration::prelude::*;

pub(crate) fn all() -> Vec<Box<dyn MigrationTrait>> {
    vec![Box::new(Accounts), Box::new(SecondFactors)]
}

struct Accounts;

impl MigrationName for Accounts {
    fn name(&self) -> &str {
        "m20261125_100001_identity_accounts"
    }
}

#[derive(DeriveIden)]
enum Person {
    Table,
    Id,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Account {
    Table,
    Id,
    PersonId,
    Email,
    EmailVerifiedAt,
    PasswordHash,
    Status,
    Level,
    Roles,
    CreatedAt,
    LastSignInAt,
}

#[derive(DeriveIden)]
enum Verification {
    Table,
    Id,
    AccountId,
    Purpose,
    CodeMac,
    ExpiresAt,
    TriesLeft,
    Sends,
    LastSentAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SignInThrottle {
    Table,
    KeyMac,
    Failures,
    ThrottledUntil,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Accounts {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Person::Table)
                .col(ColumnDef::new(Person::Id).string_len(36).not_null().primary_key())
                .col(ColumnDef::new(Person::CreatedAt).timestamp_with_time_zone().not_null())
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Account::Table)
                .col(ColumnDef::new(Account::Id).string_len(36).not_null().primary_key())
                .col(ColumnDef::new(Account::PersonId).string_len(36).not_null().unique_key())
                .col(ColumnDef::new(Account::Email).string_len(320).not_null().unique_key())
                .col(ColumnDef::new(Account::EmailVerifiedAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(Account::PasswordHash).string_len(200).null())
                .col(ColumnDef::new(Account::Status).string_len(16).not_null())
                .col(ColumnDef::new(Account::Level).string_len(16).not_null())
                .col(ColumnDef::new(Account::Roles).string_len(200).not_null())
                .col(ColumnDef::new(Account::CreatedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(Account::LastSignInAt).timestamp_with_time_zone().null())
                .foreign_key(
                    ForeignKey::create()
                        .from(Account::Table, Account::PersonId)
                        .to(Person::Table, Person::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .check(Expr::col(Account::Status).is_in(["pending", "active", "disabled"]))
                .check(Expr::col(Account::Level).is_in(["basic", "real_name"]))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Verification::Table)
                .col(ColumnDef::new(Verification::Id).string_len(36).not_null().primary_key())
                // Null for a decoy: registration with an address that already
                // has an account looks the same as a new one.
                .col(ColumnDef::new(Verification::AccountId).string_len(36).null())
                .col(ColumnDef::new(Verification::Purpose).string_len(16).not_null())
                .col(ColumnDef::new(Verification::CodeMac).string_len(64).not_null())
                .col(ColumnDef::new(Verification::ExpiresAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(Verification::TriesLeft).integer().not_null())
                .col(ColumnDef::new(Verification::Sends).integer().not_null())
                .col(ColumnDef::new(Verification::LastSentAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(Verification::CreatedAt).timestamp_with_time_zone().not_null())
                .foreign_key(
                    ForeignKey::create()
                        .from(Verification::Table, Verification::AccountId)
                        .to(Account::Table, Account::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .check(Expr::col(Verification::TriesLeft).gte(0))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(SignInThrottle::Table)
                .col(ColumnDef::new(SignInThrottle::KeyMac).string_len(64).not_null().primary_key())
                .col(ColumnDef::new(SignInThrottle::Failures).integer().not_null())
                .col(ColumnDef::new(SignInThrottle::ThrottledUntil).timestamp_with_time_zone().null())
                .col(ColumnDef::new(SignInThrottle::UpdatedAt).timestamp_with_time_zone().not_null())
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}

struct SecondFactors;

impl MigrationName for SecondFactors {
    fn name(&self) -> &str {
        "m20261125_100002_identity_second_factors"
    }
}

#[derive(DeriveIden)]
enum TotpAuthenticator {
    Table,
    AccountId,
    SecretSealed,
    ConfirmedAt,
    LastStep,
    CreatedAt,
}

#[derive(DeriveIden)]
enum RecoveryCode {
    Table,
    CodeMac,
    AccountId,
    UsedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SignInChallenge {
    Table,
    Id,
    AccountId,
    ExpiresAt,
    TriesLeft,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for SecondFactors {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let to_account = |from_table: DynIden, from_col: DynIden| {
            ForeignKey::create()
                .from(from_table, from_col)
                .to(Account::Table, Account::Id)
                .on_delete(ForeignKeyAction::Cascade)
                .to_owned()
        };
        m.create_table(
            Table::create()
                .table(TotpAuthenticator::Table)
                .col(ColumnDef::new(TotpAuthenticator::AccountId).string_len(36).not_null().primary_key())
                // Base64 of the secret sealed with the data key.
                .col(ColumnDef::new(TotpAuthenticator::SecretSealed).string_len(200).not_null())
                .col(ColumnDef::new(TotpAuthenticator::ConfirmedAt).timestamp_with_time_zone().null())
                // The last 30-second step accepted: a code is good once.
                .col(ColumnDef::new(TotpAuthenticator::LastStep).big_integer().not_null().default(0))
                .col(ColumnDef::new(TotpAuthenticator::CreatedAt).timestamp_with_time_zone().not_null())
                .foreign_key(&mut to_account(
                    TotpAuthenticator::Table.into_iden(),
                    TotpAuthenticator::AccountId.into_iden(),
                ))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(RecoveryCode::Table)
                .col(ColumnDef::new(RecoveryCode::CodeMac).string_len(64).not_null().primary_key())
                .col(ColumnDef::new(RecoveryCode::AccountId).string_len(36).not_null())
                .col(ColumnDef::new(RecoveryCode::UsedAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(RecoveryCode::CreatedAt).timestamp_with_time_zone().not_null())
                .foreign_key(&mut to_account(RecoveryCode::Table.into_iden(), RecoveryCode::AccountId.into_iden()))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("recovery_code_account_idx")
                .table(RecoveryCode::Table)
                .col(RecoveryCode::AccountId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(SignInChallenge::Table)
                .col(ColumnDef::new(SignInChallenge::Id).string_len(64).not_null().primary_key())
                .col(ColumnDef::new(SignInChallenge::AccountId).string_len(36).not_null())
                .col(ColumnDef::new(SignInChallenge::ExpiresAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(SignInChallenge::TriesLeft).integer().not_null())
                .col(ColumnDef::new(SignInChallenge::CreatedAt).timestamp_with_time_zone().not_null())
                .foreign_key(&mut to_account(
                    SignInChallenge::Table.into_iden(),
                    SignInChallenge::AccountId.into_iden(),
                ))
                .check(Expr::col(SignInChallenge::TriesLeft).gte(0))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
