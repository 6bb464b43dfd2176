//! Identity's schema: people, accounts, one-time-code verifications and
//! sign-in throttles. A person is not always an account (dependants), so
//! they are separate from the start.

use sea_orm::{ConnectionTrait, TransactionTrait};
use sea_orm_migration::prelude::*;

pub(crate) fn all() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(Accounts),
        Box::new(SecondFactors),
        Box::new(OpenIdConnect),
        Box::new(Documents),
        Box::new(Profile),
        Box::new(Deletion),
        Box::new(PushedRequests),
        Box::new(ClientKeys),
        Box::new(IdTokenAlg),
        Box::new(Guardians),
        Box::new(AppSignIns),
        Box::new(PairwiseSubjects),
        Box::new(Passkeys),
        Box::new(MobileNumbers),
        Box::new(ChangeTargets),
        Box::new(MarkDemoDatabases),
        Box::new(NumberKeys),
        Box::new(PendingAuthorizations),
        Box::new(GrantTimes),
        Box::new(OfflineAccess),
        Box::new(GuessKeys),
        Box::new(AccountLanguages),
        Box::new(AppSignInProof),
        Box::new(AccountScopes),
        Box::new(VouchedProfileFields),
    ]
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

struct OpenIdConnect;

impl MigrationName for OpenIdConnect {
    fn name(&self) -> &str {
        "m20261125_100003_identity_oidc"
    }
}

#[derive(DeriveIden)]
enum OidcClient {
    Table,
    ClientId,
    SecretMac,
    Name,
    RedirectUris,
    PostLogoutRedirectUris,
    Scopes,
    Public,
    CreatedAt,
}

#[derive(DeriveIden)]
enum OidcConsent {
    Table,
    AccountId,
    ClientId,
    Scopes,
    GrantedAt,
}

#[derive(DeriveIden)]
enum OidcCode {
    Table,
    CodeMac,
    ClientId,
    AccountId,
    RedirectUri,
    Scopes,
    Nonce,
    CodeChallenge,
    AuthTime,
    Amr,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum OidcToken {
    Table,
    TokenMac,
    Kind,
    ClientId,
    AccountId,
    Scopes,
    FamilyId,
    CodeMac,
    AuthTime,
    Amr,
    ExpiresAt,
    UsedAt,
    RevokedAt,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for OpenIdConnect {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(OidcClient::Table)
                .col(ColumnDef::new(OidcClient::ClientId).string_len(64).not_null().primary_key())
                .col(ColumnDef::new(OidcClient::SecretMac).string_len(64).null())
                .col(ColumnDef::new(OidcClient::Name).string_len(200).not_null())
                .col(ColumnDef::new(OidcClient::RedirectUris).text().not_null())
                .col(ColumnDef::new(OidcClient::PostLogoutRedirectUris).text().not_null())
                .col(ColumnDef::new(OidcClient::Scopes).text().not_null())
                .col(ColumnDef::new(OidcClient::Public).boolean().not_null())
                .col(ColumnDef::new(OidcClient::CreatedAt).timestamp_with_time_zone().not_null())
                .to_owned(),
        )
        .await?;
        let client_fk = |table: DynIden, col: DynIden| {
            ForeignKey::create()
                .from(table, col)
                .to(OidcClient::Table, OidcClient::ClientId)
                .on_delete(ForeignKeyAction::Cascade)
                .to_owned()
        };
        let account_fk = |table: DynIden, col: DynIden| {
            ForeignKey::create()
                .from(table, col)
                .to(Account::Table, Account::Id)
                .on_delete(ForeignKeyAction::Cascade)
                .to_owned()
        };
        m.create_table(
            Table::create()
                .table(OidcConsent::Table)
                .col(ColumnDef::new(OidcConsent::AccountId).string_len(36).not_null())
                .col(ColumnDef::new(OidcConsent::ClientId).string_len(64).not_null())
                .col(ColumnDef::new(OidcConsent::Scopes).text().not_null())
                .col(ColumnDef::new(OidcConsent::GrantedAt).timestamp_with_time_zone().not_null())
                .primary_key(Index::create().col(OidcConsent::AccountId).col(OidcConsent::ClientId))
                .foreign_key(&mut account_fk(OidcConsent::Table.into_iden(), OidcConsent::AccountId.into_iden()))
                .foreign_key(&mut client_fk(OidcConsent::Table.into_iden(), OidcConsent::ClientId.into_iden()))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(OidcCode::Table)
                .col(ColumnDef::new(OidcCode::CodeMac).string_len(64).not_null().primary_key())
                .col(ColumnDef::new(OidcCode::ClientId).string_len(64).not_null())
                .col(ColumnDef::new(OidcCode::AccountId).string_len(36).not_null())
                .col(ColumnDef::new(OidcCode::RedirectUri).text().not_null())
                .col(ColumnDef::new(OidcCode::Scopes).text().not_null())
                .col(ColumnDef::new(OidcCode::Nonce).string_len(512).null())
                .col(ColumnDef::new(OidcCode::CodeChallenge).string_len(128).null())
                .col(ColumnDef::new(OidcCode::AuthTime).big_integer().not_null())
                .col(ColumnDef::new(OidcCode::Amr).string_len(64).not_null())
                .col(ColumnDef::new(OidcCode::ExpiresAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(OidcCode::UsedAt).timestamp_with_time_zone().null())
                .foreign_key(&mut account_fk(OidcCode::Table.into_iden(), OidcCode::AccountId.into_iden()))
                .foreign_key(&mut client_fk(OidcCode::Table.into_iden(), OidcCode::ClientId.into_iden()))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(OidcToken::Table)
                .col(ColumnDef::new(OidcToken::TokenMac).string_len(64).not_null().primary_key())
                .col(ColumnDef::new(OidcToken::Kind).string_len(16).not_null())
                .col(ColumnDef::new(OidcToken::ClientId).string_len(64).not_null())
                .col(ColumnDef::new(OidcToken::AccountId).string_len(36).not_null())
                .col(ColumnDef::new(OidcToken::Scopes).text().not_null())
                .col(ColumnDef::new(OidcToken::FamilyId).string_len(36).not_null())
                .col(ColumnDef::new(OidcToken::CodeMac).string_len(64).null())
                .col(ColumnDef::new(OidcToken::AuthTime).big_integer().not_null())
                .col(ColumnDef::new(OidcToken::Amr).string_len(64).not_null())
                .col(ColumnDef::new(OidcToken::ExpiresAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(OidcToken::UsedAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(OidcToken::RevokedAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(OidcToken::CreatedAt).timestamp_with_time_zone().not_null())
                .foreign_key(&mut account_fk(OidcToken::Table.into_iden(), OidcToken::AccountId.into_iden()))
                .foreign_key(&mut client_fk(OidcToken::Table.into_iden(), OidcToken::ClientId.into_iden()))
                .check(Expr::col(OidcToken::Kind).is_in(["access", "refresh"]))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("oidc_token_family_idx").table(OidcToken::Table).col(OidcToken::FamilyId).to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("oidc_token_code_idx").table(OidcToken::Table).col(OidcToken::CodeMac).to_owned(),
        )
        .await?;
        Ok(())
    }
}

struct Documents;

impl MigrationName for Documents {
    fn name(&self) -> &str {
        "m20261125_100004_identity_documents"
    }
}

#[derive(DeriveIden)]
enum IdentityDocument {
    Table,
    Id,
    PersonId,
    Kind,
    NumberSealed,
    BlindIndex,
    Source,
    VerifiedBy,
    VerifiedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Documents {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(IdentityDocument::Table)
                .col(ColumnDef::new(IdentityDocument::Id).string_len(36).not_null().primary_key())
                .col(ColumnDef::new(IdentityDocument::PersonId).string_len(36).not_null())
                .col(ColumnDef::new(IdentityDocument::Kind).string_len(16).not_null())
                // Sealed with the data key; never stored or logged in clear.
                .col(ColumnDef::new(IdentityDocument::NumberSealed).text().not_null())
                // Keyed hash for look-ups: one real-name identity per document.
                .col(ColumnDef::new(IdentityDocument::BlindIndex).string_len(64).not_null().unique_key())
                .col(ColumnDef::new(IdentityDocument::Source).string_len(16).not_null())
                .col(ColumnDef::new(IdentityDocument::VerifiedBy).string_len(100).not_null())
                .col(ColumnDef::new(IdentityDocument::VerifiedAt).timestamp_with_time_zone().not_null())
                .foreign_key(
                    ForeignKey::create()
                        .from(IdentityDocument::Table, IdentityDocument::PersonId)
                        .to(Person::Table, Person::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .check(Expr::col(IdentityDocument::Kind).is_in(["hkid", "passport"]))
                .check(Expr::col(IdentityDocument::Source).is_in(["officer", "assertion"]))
                .to_owned(),
        )
        .await
    }
}

struct Profile;

impl MigrationName for Profile {
    fn name(&self) -> &str {
        "m20261125_100005_identity_profile"
    }
}

#[derive(DeriveIden)]
enum ProfileField {
    Table,
    PersonId,
    Field,
    Value,
    Source,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Profile {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ProfileField::Table)
                .col(ColumnDef::new(ProfileField::PersonId).string_len(36).not_null())
                .col(ColumnDef::new(ProfileField::Field).string_len(32).not_null())
                .col(ColumnDef::new(ProfileField::Value).string_len(400).not_null())
                // Who vouches for the value: `self` (typed by the resident) or `officer`.
                .col(ColumnDef::new(ProfileField::Source).string_len(16).not_null())
                .col(ColumnDef::new(ProfileField::UpdatedAt).timestamp_with_time_zone().not_null())
                .primary_key(Index::create().col(ProfileField::PersonId).col(ProfileField::Field))
                .foreign_key(
                    ForeignKey::create()
                        .from(ProfileField::Table, ProfileField::PersonId)
                        .to(Person::Table, Person::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        // The profile fields each service was allowed to receive (per field, not only per scope).
        m.alter_table(
            Table::alter()
                .table(OidcConsent::Table)
                .add_column(ColumnDef::new(Alias::new("fields")).text().not_null().default("[]"))
                .to_owned(),
        )
        .await
    }
}

struct Deletion;

impl MigrationName for Deletion {
    fn name(&self) -> &str {
        "m20261125_100006_identity_account_deletion"
    }
}

#[derive(DeriveIden)]
enum AccountDeletion {
    Table,
    AccountId,
    RequestedAt,
    DeleteAfter,
}

#[async_trait::async_trait]
impl MigrationTrait for Deletion {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(AccountDeletion::Table)
                .col(ColumnDef::new(AccountDeletion::AccountId).string_len(36).not_null().primary_key())
                .col(ColumnDef::new(AccountDeletion::RequestedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(AccountDeletion::DeleteAfter).timestamp_with_time_zone().not_null())
                .foreign_key(
                    ForeignKey::create()
                        .from(AccountDeletion::Table, AccountDeletion::AccountId)
                        .to(Account::Table, Account::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await
    }
}

struct PushedRequests;

impl MigrationName for PushedRequests {
    fn name(&self) -> &str {
        "m20261125_100007_identity_oidc_par"
    }
}

#[derive(DeriveIden)]
enum OidcPar {
    Table,
    RequestMac,
    ClientId,
    Params,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for PushedRequests {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(OidcPar::Table)
                .col(ColumnDef::new(OidcPar::RequestMac).string_len(64).not_null().primary_key())
                .col(ColumnDef::new(OidcPar::ClientId).string_len(64).not_null())
                .col(ColumnDef::new(OidcPar::Params).text().not_null())
                .col(ColumnDef::new(OidcPar::ExpiresAt).timestamp_with_time_zone().not_null())
                .foreign_key(
                    ForeignKey::create()
                        .from(OidcPar::Table, OidcPar::ClientId)
                        .to(OidcClient::Table, OidcClient::ClientId)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await
    }
}

struct ClientKeys;

impl MigrationName for ClientKeys {
    fn name(&self) -> &str {
        "m20261125_100008_identity_oidc_client_keys"
    }
}

#[derive(DeriveIden)]
enum OidcJti {
    Table,
    JtiMac,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for ClientKeys {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Public keys of clients that authenticate with signed assertions (private_key_jwt).
        m.alter_table(
            Table::alter()
                .table(OidcClient::Table)
                .add_column(ColumnDef::new(Alias::new("jwks")).text().null())
                .to_owned(),
        )
        .await?;
        // Assertion IDs already seen: an assertion is good once.
        m.create_table(
            Table::create()
                .table(OidcJti::Table)
                .col(ColumnDef::new(OidcJti::JtiMac).string_len(64).not_null().primary_key())
                .col(ColumnDef::new(OidcJti::ExpiresAt).timestamp_with_time_zone().not_null())
                .to_owned(),
        )
        .await
    }
}

struct IdTokenAlg;

impl MigrationName for IdTokenAlg {
    fn name(&self) -> &str {
        "m20261125_100009_identity_oidc_id_token_alg"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for IdTokenAlg {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // ES256 by default; RS256 for relying parties that cannot verify EC signatures.
        m.alter_table(
            Table::alter()
                .table(OidcClient::Table)
                .add_column(ColumnDef::new(Alias::new("id_token_alg")).string_len(8).not_null().default("ES256"))
                .to_owned(),
        )
        .await
    }
}

struct Guardians;

impl MigrationName for Guardians {
    fn name(&self) -> &str {
        "m20261125_100010_identity_guardians"
    }
}

#[derive(DeriveIden)]
enum Guardian {
    Table,
    PersonId,
    AccountId,
    Relation,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Guardians {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // A dependant is a person without an account, looked after by one or more accounts.
        m.create_table(
            Table::create()
                .table(Guardian::Table)
                .col(ColumnDef::new(Guardian::PersonId).string_len(36).not_null())
                .col(ColumnDef::new(Guardian::AccountId).string_len(36).not_null())
                .col(ColumnDef::new(Guardian::Relation).string_len(16).not_null())
                .col(ColumnDef::new(Guardian::CreatedAt).timestamp_with_time_zone().not_null())
                .primary_key(Index::create().col(Guardian::PersonId).col(Guardian::AccountId))
                .foreign_key(
                    ForeignKey::create()
                        .from(Guardian::Table, Guardian::PersonId)
                        .to(Person::Table, Person::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Guardian::Table, Guardian::AccountId)
                        .to(Account::Table, Account::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .check(Expr::col(Guardian::Relation).is_in(["child", "parent", "relative", "other"]))
                .to_owned(),
        )
        .await
    }
}

struct AppSignIns;

impl MigrationName for AppSignIns {
    fn name(&self) -> &str {
        "m20261125_100011_identity_app_sign_in"
    }
}

#[derive(DeriveIden)]
enum AppSignIn {
    Table,
    Id,
    CodeMac,
    BrowserMac,
    UserAgent,
    Ip,
    Status,
    ApprovedBy,
    CreatedAt,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for AppSignIns {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // A browser waiting to be signed in by a device that already is.
        m.create_table(
            Table::create()
                .table(AppSignIn::Table)
                .col(ColumnDef::new(AppSignIn::Id).string_len(36).not_null().primary_key())
                .col(ColumnDef::new(AppSignIn::CodeMac).string_len(64).not_null().unique_key())
                .col(ColumnDef::new(AppSignIn::BrowserMac).string_len(64).not_null())
                .col(ColumnDef::new(AppSignIn::UserAgent).string_len(300))
                .col(ColumnDef::new(AppSignIn::Ip).string_len(45))
                .col(ColumnDef::new(AppSignIn::Status).string_len(16).not_null())
                .col(ColumnDef::new(AppSignIn::ApprovedBy).string_len(36))
                .col(ColumnDef::new(AppSignIn::CreatedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(AppSignIn::ExpiresAt).timestamp_with_time_zone().not_null())
                .foreign_key(
                    ForeignKey::create()
                        .from(AppSignIn::Table, AppSignIn::ApprovedBy)
                        .to(Account::Table, Account::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .check(Expr::col(AppSignIn::Status).is_in(["pending", "approved", "denied", "used"]))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("app_sign_in_expires").table(AppSignIn::Table).col(AppSignIn::ExpiresAt).to_owned(),
        )
        .await
    }
}

struct PairwiseSubjects;

impl MigrationName for PairwiseSubjects {
    fn name(&self) -> &str {
        "m20261125_100012_identity_oidc_subject_type"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for PairwiseSubjects {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // `public`: sub is the account id; `pairwise`: a per-sector keyed hash.
        m.alter_table(
            Table::alter()
                .table(OidcClient::Table)
                .add_column(ColumnDef::new(Alias::new("subject_type")).string_len(8).not_null().default("public"))
                .to_owned(),
        )
        .await
    }
}

struct Passkeys;

impl MigrationName for Passkeys {
    fn name(&self) -> &str {
        "m20261125_100013_identity_passkeys"
    }
}

#[derive(DeriveIden)]
enum Passkey {
    Table,
    Id,
    AccountId,
    CredentialId,
    Name,
    Credential,
    CreatedAt,
    LastUsedAt,
}

#[derive(DeriveIden)]
enum PasskeyCeremony {
    Table,
    Id,
    Purpose,
    AccountId,
    State,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Passkeys {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // A WebAuthn credential: `credential` is webauthn-rs's `Passkey` as
        // JSON (public key, counter, backup state); `credential_id` is its
        // ID in base64url, unique across accounts.
        m.create_table(
            Table::create()
                .table(Passkey::Table)
                .col(ColumnDef::new(Passkey::Id).string_len(36).not_null().primary_key())
                .col(ColumnDef::new(Passkey::AccountId).string_len(36).not_null())
                .col(ColumnDef::new(Passkey::CredentialId).string_len(1400).not_null().unique_key())
                .col(ColumnDef::new(Passkey::Name).string_len(100).not_null())
                .col(ColumnDef::new(Passkey::Credential).text().not_null())
                .col(ColumnDef::new(Passkey::CreatedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(Passkey::LastUsedAt).timestamp_with_time_zone())
                .foreign_key(
                    ForeignKey::create()
                        .from(Passkey::Table, Passkey::AccountId)
                        .to(Account::Table, Account::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("passkey_account").table(Passkey::Table).col(Passkey::AccountId).to_owned(),
        )
        .await?;
        // A registration or sign-in in flight: webauthn-rs's state, kept
        // here so whichever server gets the answer can finish it.
        m.create_table(
            Table::create()
                .table(PasskeyCeremony::Table)
                .col(ColumnDef::new(PasskeyCeremony::Id).string_len(64).not_null().primary_key())
                .col(ColumnDef::new(PasskeyCeremony::Purpose).string_len(16).not_null())
                .col(ColumnDef::new(PasskeyCeremony::AccountId).string_len(36))
                .col(ColumnDef::new(PasskeyCeremony::State).text().not_null())
                .col(ColumnDef::new(PasskeyCeremony::ExpiresAt).timestamp_with_time_zone().not_null())
                .foreign_key(
                    ForeignKey::create()
                        .from(PasskeyCeremony::Table, PasskeyCeremony::AccountId)
                        .to(Account::Table, Account::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .check(Expr::col(PasskeyCeremony::Purpose).is_in(["register", "sign_in", "second_step"]))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("passkey_ceremony_expires")
                .table(PasskeyCeremony::Table)
                .col(PasskeyCeremony::ExpiresAt)
                .to_owned(),
        )
        .await
    }
}

struct MobileNumbers;

impl MigrationName for MobileNumbers {
    fn name(&self) -> &str {
        "m20261125_100014_identity_mobile_numbers"
    }
}

#[derive(DeriveIden)]
enum CodeSendCount {
    Table,
    Key,
    Day,
    Sent,
}

#[async_trait::async_trait]
impl MigrationTrait for MobileNumbers {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // An account is named by an e-mail address, a mobile number, or both.
        let db = m.get_connection();
        match m.get_database_backend() {
            sea_orm::DatabaseBackend::Sqlite => {
                // SQLite cannot drop a NOT NULL with ALTER TABLE. Its documented
                // way for a change that leaves the stored rows as they are
                // (sqlite.org/lang_altertable.html, section 7): edit the table's
                // definition in the schema and bump the schema version, in one
                // transaction on one connection.
                let txn = db.begin().await?;
                let row = txn
                    .query_one_raw(sea_orm::Statement::from_string(
                        sea_orm::DatabaseBackend::Sqlite,
                        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'account'",
                    ))
                    .await?
                    .ok_or_else(|| DbErr::Migration("account table missing".to_owned()))?;
                let sql: String = row.try_get("", "sql")?;
                let from = r#""email" varchar(320) NOT NULL"#;
                if !sql.contains(from) {
                    return Err(DbErr::Migration(format!("account.email is not as expected: {sql}")));
                }
                let version: i64 = txn
                    .query_one_raw(sea_orm::Statement::from_string(
                        sea_orm::DatabaseBackend::Sqlite,
                        "PRAGMA schema_version",
                    ))
                    .await?
                    .ok_or_else(|| DbErr::Migration("no schema version".to_owned()))?
                    .try_get_by_index(0)?;
                txn.execute_unprepared("PRAGMA writable_schema = ON").await?;
                txn.execute_raw(sea_orm::Statement::from_sql_and_values(
                    sea_orm::DatabaseBackend::Sqlite,
                    "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'account'",
                    [sql.replace(from, r#""email" varchar(320)"#).into()],
                ))
                .await?;
                txn.execute_unprepared(&format!("PRAGMA schema_version = {}", version + 1)).await?;
                txn.execute_unprepared("PRAGMA writable_schema = OFF").await?;
                txn.commit().await?;
            }
            _ => {
                db.execute_unprepared("ALTER TABLE account ALTER COLUMN email DROP NOT NULL").await?;
            }
        }
        m.alter_table(
            Table::alter()
                .table(Account::Table)
                .add_column(ColumnDef::new(Alias::new("phone")).string_len(16))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Account::Table)
                .add_column(ColumnDef::new(Alias::new("phone_verified_at")).timestamp_with_time_zone())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("account_phone").table(Account::Table).col(Alias::new("phone")).unique().to_owned(),
        )
        .await?;
        // One-time codes sent by SMS, counted per number, per network
        // address and overall, per UTC day (DESIGN §6: SMS pumping).
        m.create_table(
            Table::create()
                .table(CodeSendCount::Table)
                .col(ColumnDef::new(CodeSendCount::Key).string_len(80).not_null())
                .col(ColumnDef::new(CodeSendCount::Day).string_len(10).not_null())
                .col(ColumnDef::new(CodeSendCount::Sent).integer().not_null())
                .primary_key(Index::create().col(CodeSendCount::Key).col(CodeSendCount::Day))
                .to_owned(),
        )
        .await
    }
}

struct ChangeTargets;

impl MigrationName for ChangeTargets {
    fn name(&self) -> &str {
        "m20261125_100015_identity_verification_target"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for ChangeTargets {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // A change of e-mail address or mobile number: the new one, which the code proves.
        m.alter_table(
            Table::alter()
                .table(Verification::Table)
                .add_column(ColumnDef::new(Alias::new("target")).string_len(320))
                .to_owned(),
        )
        .await
    }
}

struct MarkDemoDatabases;

impl MigrationName for MarkDemoDatabases {
    fn name(&self) -> &str {
        "m20261130_100016_identity_mark_demo_databases"
    }
}

/// A database an earlier `serve --demo` filled holds the demo accounts
/// (published passwords) but predates the platform's demo mark: mark it, so
/// that only a demo server may serve it from now on.
#[async_trait::async_trait]
impl MigrationTrait for MarkDemoDatabases {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared(&format!(
                "INSERT INTO installation_mark (name, set_at) SELECT 'demo', CURRENT_TIMESTAMP \
                 WHERE EXISTS (SELECT 1 FROM account WHERE email LIKE '%@{}') \
                 AND NOT EXISTS (SELECT 1 FROM installation_mark WHERE name = 'demo')",
                crate::demo::DOMAIN
            ))
            .await
            .map(|_| ())
    }
}

struct NumberKeys;

impl MigrationName for NumberKeys {
    fn name(&self) -> &str {
        "m20261201_100017_identity_verification_number_key"
    }
}

/// The per-number SMS cap's key of the number a verification's codes go
/// to: a resend counts against it even when no account has the number.
#[async_trait::async_trait]
impl MigrationTrait for NumberKeys {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Verification::Table)
                .add_column(ColumnDef::new(Alias::new("number_key")).string_len(100))
                .to_owned(),
        )
        .await
    }
}

struct PendingAuthorizations;

impl MigrationName for PendingAuthorizations {
    fn name(&self) -> &str {
        "m20261202_300001_identity_oidc_pending"
    }
}

#[derive(DeriveIden)]
enum OidcPending {
    Table,
    PendingMac,
    ClientId,
    Params,
    RequestedAt,
    PriorSession,
    ConfirmedAccount,
    StepUpDeclined,
    ExpiresAt,
}

/// Authorization requests kept on the server while the person signs in,
/// chooses an account or decides (the browser carries only their ID), and
/// the identity level each code was issued at (its ID token's `acr`).
#[async_trait::async_trait]
impl MigrationTrait for PendingAuthorizations {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(OidcPending::Table)
                .col(ColumnDef::new(OidcPending::PendingMac).string_len(64).not_null().primary_key())
                .col(ColumnDef::new(OidcPending::ClientId).string_len(64).not_null())
                .col(ColumnDef::new(OidcPending::Params).text().not_null())
                .col(ColumnDef::new(OidcPending::RequestedAt).big_integer().not_null())
                .col(ColumnDef::new(OidcPending::PriorSession).string_len(100).null())
                .col(ColumnDef::new(OidcPending::ConfirmedAccount).string_len(36).null())
                .col(ColumnDef::new(OidcPending::StepUpDeclined).boolean().not_null().default(false))
                .col(ColumnDef::new(OidcPending::ExpiresAt).timestamp_with_time_zone().not_null())
                .foreign_key(
                    ForeignKey::create()
                        .from(OidcPending::Table, OidcPending::ClientId)
                        .to(OidcClient::Table, OidcClient::ClientId)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        // Codes issued before this have none: their ID tokens report the account's level at exchange, as before.
        m.alter_table(
            Table::alter()
                .table(OidcCode::Table)
                .add_column(ColumnDef::new(Alias::new("level")).string_len(20).null())
                .to_owned(),
        )
        .await
    }
}

struct GrantTimes;

impl MigrationName for GrantTimes {
    fn name(&self) -> &str {
        "m20261202_400001_identity_oidc_token_granted_at"
    }
}

/// When a token's grant was made, so a refresh token's absolute lifetime
/// counts from the grant, not from its latest rotation. Nullable: a server
/// of the previous release writes tokens without it during a rolling
/// upgrade. Existing tokens get the oldest time their family still shows.
#[async_trait::async_trait]
impl MigrationTrait for GrantTimes {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(OidcToken::Table)
                .add_column(ColumnDef::new(Alias::new("granted_at")).timestamp_with_time_zone())
                .to_owned(),
        )
        .await?;
        m.get_connection()
            .execute_unprepared(
                "UPDATE oidc_token SET granted_at = \
                 (SELECT MIN(f.created_at) FROM oidc_token f WHERE f.family_id = oidc_token.family_id)",
            )
            .await
            .map(|_| ())
    }
}

struct OfflineAccess;

impl MigrationName for OfflineAccess {
    fn name(&self) -> &str {
        "m20261202_400002_identity_oidc_offline_access"
    }
}

/// Refresh tokens now need the `offline_access` scope, which a client must
/// be allowed. Clients registered before got refresh tokens, so they keep
/// the permission (they must now ask for it). `scopes` is a JSON array of
/// strings that always holds `openid`.
#[async_trait::async_trait]
impl MigrationTrait for OfflineAccess {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared(
                "UPDATE oidc_client SET scopes = substr(scopes, 1, length(scopes) - 1) || ',\"offline_access\"]' \
                 WHERE scopes LIKE '[\"%\"]' AND scopes NOT LIKE '%\"offline_access\"%'",
            )
            .await
            .map(|_| ())
    }
}

struct GuessKeys;

impl MigrationName for GuessKeys {
    fn name(&self) -> &str {
        "m20261202_100001_identity_verification_to_key"
    }
}

/// The MAC of the address or number a verification's codes go to (a
/// decoy's too): wrong guesses are counted under it across verifications,
/// and e-mail sends against its daily cap.
#[async_trait::async_trait]
impl MigrationTrait for GuessKeys {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Verification::Table)
                .add_column(ColumnDef::new(Alias::new("to_key")).string_len(64))
                .to_owned(),
        )
        .await
    }
}

struct AccountLanguages;

impl MigrationName for AccountLanguages {
    fn name(&self) -> &str {
        "m20261202_100002_identity_account_lang"
    }
}

/// The language an account last signed in with: notices nobody asked for
/// in a request (a lock after wrong codes, which someone else may cause)
/// go in it.
#[async_trait::async_trait]
impl MigrationTrait for AccountLanguages {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Account::Table)
                .add_column(ColumnDef::new(Alias::new("lang")).string_len(8))
                .to_owned(),
        )
        .await
    }
}

struct AppSignInProof;

impl MigrationName for AppSignInProof {
    fn name(&self) -> &str {
        "m20261202_200001_identity_app_sign_in_proof"
    }
}

/// "Sign in with the app" keeps where the browser goes next, the number it
/// shows and the choices the approver picks from, the wrong picks, and the
/// approving session's strength and authentication time (the new session
/// carries them, never more). All nullable or defaulted: rows from before
/// have none and can no longer be approved (they last two minutes).
#[async_trait::async_trait]
impl MigrationTrait for AppSignInProof {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one at a time.
        let columns = [
            ColumnDef::new(Alias::new("next")).text().to_owned(),
            ColumnDef::new(Alias::new("number")).small_integer().to_owned(),
            ColumnDef::new(Alias::new("choices")).string_len(64).to_owned(),
            ColumnDef::new(Alias::new("wrong_picks")).integer().not_null().default(0).to_owned(),
            ColumnDef::new(Alias::new("approver_strength")).string_len(16).to_owned(),
            ColumnDef::new(Alias::new("approver_authenticated_at")).big_integer().to_owned(),
        ];
        for column in columns {
            m.alter_table(Table::alter().table(AppSignIn::Table).add_column(column).to_owned()).await?;
        }
        Ok(())
    }
}

struct AccountScopes;

impl MigrationName for AccountScopes {
    fn name(&self) -> &str {
        "m20261202_500001_identity_account_scopes"
    }
}

/// Officers' permissions as scopes of their own (DESIGN §5), beside the
/// broad role: a JSON array of scope slugs. Officers already there keep
/// what the role alone let them do: verifying real-name identities.
#[async_trait::async_trait]
impl MigrationTrait for AccountScopes {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Account::Table)
                .add_column(ColumnDef::new(Alias::new("scopes")).text().not_null().default("[]"))
                .to_owned(),
        )
        .await?;
        m.get_connection()
            .execute_unprepared(&format!(
                "UPDATE account SET scopes = '[\"{}\"]' WHERE roles LIKE '%\"officer\"%'",
                crate::real_name::VERIFIER_SCOPE
            ))
            .await
            .map(|_| ())
    }
}

struct VouchedProfileFields;

impl MigrationName for VouchedProfileFields {
    fn name(&self) -> &str {
        "m20261202_500002_identity_profile_field_document"
    }
}

/// A profile field a real-name verification recorded (name, birth date)
/// names the document record that vouches for it (its kind, who checked
/// it, how and when); fields the resident typed have none.
#[async_trait::async_trait]
impl MigrationTrait for VouchedProfileFields {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(ProfileField::Table)
                .add_column(ColumnDef::new(Alias::new("document_id")).string_len(36))
                .to_owned(),
        )
        .await
    }
}
