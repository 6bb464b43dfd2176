//! The `identity_document` table: recording a checked document (sealed,
//! blind-indexed, the profile's name and birth date vouched for by it, the
//! level raised, audited and the owner told, in one transaction), a
//! person's documents, masked, for their data download, and their checked
//! document for other domains.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use platform::app::AppState;
use platform::audit::{self, AuditEntry};
use platform::error::AppError;
use platform::outbox;
use platform::principal::IdentityLevel;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::Expr;

use super::{AccountRef, Checked, Document, Outcome, Particulars, Source};
use crate::store;

pub mod document {
    //! `identity_document` rows.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "identity_document")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub person_id: String,
        pub kind: String,
        pub number_sealed: String,
        pub blind_index: String,
        pub source: String,
        pub verified_by: String,
        pub verified_at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The account `who` names, if any.
async fn find_account(
    state: &AppState,
    conn: &impl ConnectionTrait,
    who: &AccountRef<'_>,
) -> Result<Option<store::account::Model>, AppError> {
    match who {
        AccountRef::Identifier(id) => Ok(store::account_by(conn, id).await?),
        AccountRef::Subject { client, sub } => {
            // A source learns a resident's subject only from an ID token it got with their consent.
            for account_id in crate::oidc::store::accounts_consented_to(conn, &client.client_id).await? {
                if crate::oidc::subject(state, client, &account_id) == *sub {
                    return Ok(store::account_by_id(conn, &account_id).await?);
                }
            }
            Ok(None)
        }
    }
}

/// Records that `source` checked `document` and read `particulars` from it
/// for the account `who` names: the document sealed and blind-indexed, the
/// name and birth date into the profile vouched for by it, the level raised
/// in every session, an audit row and a notice, in one transaction.
pub async fn verify(
    state: &AppState,
    source: Source<'_>,
    who: &AccountRef<'_>,
    document: &Document,
    particulars: &Particulars,
) -> Result<Outcome, AppError> {
    let blind = document.index(&state.keys);
    let txn = platform::db::begin_write(&state.db).await?;
    let Some(account) = find_account(state, &txn, who).await? else { return Ok(Outcome::NoSuchAccount) };
    if matches!(source, Source::Officer(officer) if officer == account.id) {
        return Ok(Outcome::OwnAccount);
    }
    if let Some(existing) = document::Entity::find().filter(document::Column::BlindIndex.eq(&blind)).one(&txn).await? {
        return Ok(if existing.person_id == account.person_id {
            Outcome::AlreadyVerified
        } else {
            Outcome::DocumentTaken
        });
    }
    if document::Entity::find().filter(document::Column::PersonId.eq(&account.person_id)).one(&txn).await?.is_some() {
        return Ok(Outcome::AlreadyVerified);
    }
    let sealed = document.seal(&state.keys);
    let document_id = Uuid::now_v7().to_string();
    document::ActiveModel {
        id: Set(document_id.clone()),
        person_id: Set(account.person_id.clone()),
        kind: Set(document.kind().to_owned()),
        number_sealed: Set(STANDARD.encode(sealed)),
        blind_index: Set(blind),
        source: Set(source.slug().to_owned()),
        verified_by: Set(source.actor()),
        verified_at: Set(platform::db::now()),
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        if platform::db::is_unique_violation(&e) {
            AppError::new(platform::error::ErrorKind::Conflict)
        } else {
            e.into()
        }
    })?;
    for (slug, value) in [("name", &particulars.name), ("birthdate", &particulars.birthdate)] {
        crate::profile::store::record_vouched(&txn, &account.person_id, slug, value, source.slug(), &document_id)
            .await?;
    }
    store::account::Entity::update_many()
        .col_expr(store::account::Column::Level, Expr::value(store::account::Level::RealName))
        .filter(store::account::Column::Id.eq(&account.id))
        .exec(&txn)
        .await?;
    platform::session::update_principals(&txn, &account.id, |p| p.level = IdentityLevel::RealName).await?;
    audit::record(
        &txn,
        &state.keys,
        AuditEntry::new(source.actor(), "identity.verify_document", format!("account:{}", account.id)),
    )
    .await?;
    let lang = crate::notices::language(state, &account);
    let notice = crate::notices::to_holder(state, lang, &account, "email-real-name-subject", "email-real-name-body")?;
    outbox::enqueue(&txn, notice).await?;
    txn.commit().await?;
    state.outbox_wake.notify_one();
    Ok(Outcome::Verified)
}

/// A person's checked documents, for their data download: kind, masked
/// number, source and time (never the number in clear).
pub(crate) async fn documents_of(state: &AppState, person_id: &str) -> Result<Vec<Checked>, AppError> {
    let rows = document::Entity::find().filter(document::Column::PersonId.eq(person_id)).all(&state.db).await?;
    let mut out = Vec::with_capacity(rows.len());
    for d in rows {
        let sealed = STANDARD.decode(&d.number_sealed).map_err(AppError::internal)?;
        let masked = Document::open(&d.kind, &sealed, &state.keys)
            .ok_or_else(|| AppError::internal(format!("identity document {} cannot be opened", d.id)))?
            .masked();
        out.push(Checked { id: d.id, kind: d.kind, number: masked, source: d.source, verified_at: d.verified_at });
    }
    Ok(out)
}

/// The checked document of a person (an account's holder or a dependant),
/// for other domains (the platform's people service): its shared index and
/// masked number.
pub(crate) async fn checked_person(
    state: &AppState,
    person_id: &str,
) -> Result<Option<platform::contracts::CheckedPerson>, AppError> {
    let Some(row) = document::Entity::find().filter(document::Column::PersonId.eq(person_id)).one(&state.db).await?
    else {
        return Ok(None);
    };
    let sealed = STANDARD.decode(&row.number_sealed).map_err(AppError::internal)?;
    let document = Document::open(&row.kind, &sealed, &state.keys)
        .ok_or_else(|| AppError::internal(format!("identity document {} cannot be opened", row.id)))?;
    Ok(Some(platform::contracts::CheckedPerson {
        document_index: row.blind_index,
        masked_document: document.masked(),
        document_kind: row.kind,
    }))
}
