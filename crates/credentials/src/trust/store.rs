//! The trust data: our own published certificates (`platform::keys`), the
//! `credential_foreign_signer` table of other countries' document signers an
//! administrator imported (import and removal each audited in their
//! transaction), the revocation list, and the signatures by the active root.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use platform::app::AppState;
use platform::audit::{self, AuditEntry};
use platform::error::{AppError, FieldError};
use platform::keys::{CertificateNames, Purpose};
use sea_orm::ActiveValue::Set;
use sea_orm::QueryOrder;
use sea_orm::entity::prelude::*;

use super::{Bundle, BundlePayload, CertificateType, Revocation, TrustListEntry};
use crate::errors::CredentialsError;

pub mod entity {
    //! `credential_foreign_signer` rows.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "credential_foreign_signer")]
    pub struct Model {
        /// Hex SHA-256 of the DER certificate.
        #[sea_orm(primary_key, auto_increment = false)]
        pub thumbprint: String,
        /// The DCC kid, base64.
        pub kid: String,
        pub country: String,
        /// The DER certificate, base64.
        pub certificate: String,
        pub not_after: TimeDateTimeWithTimeZone,
        pub created_at: TimeDateTimeWithTimeZone,
        pub created_by: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

fn names(state: &AppState) -> CertificateNames {
    CertificateNames::of(&state.config)
}

fn foreign_entry(row: &entity::Model) -> Result<TrustListEntry, AppError> {
    let der = STANDARD.decode(&row.certificate).map_err(AppError::internal)?;
    Ok(TrustListEntry::new(&der, &row.country, CertificateType::Dsc, row.created_at))
}

/// Our published certificates of a DCC purpose (the root made on first use).
async fn own(
    state: &AppState,
    purpose: Purpose,
    certificate_type: CertificateType,
) -> Result<Vec<TrustListEntry>, AppError> {
    platform::keys::dcc_root(&state.db, &state.keys, &names(state)).await?;
    let country = &state.config.locale.country;
    Ok(platform::keys::certificates(&state.db, purpose)
        .await?
        .iter()
        .map(|c| TrustListEntry::new(&c.der, country, certificate_type, c.created_at))
        .collect())
}

/// The document signers: ours (active and retired ones still kept), then
/// the foreign ones still valid, oldest import first.
pub async fn dsc(state: &AppState) -> Result<Vec<TrustListEntry>, AppError> {
    let mut all = own(state, Purpose::DccDsc, CertificateType::Dsc).await?;
    let rows = entity::Entity::find()
        .filter(entity::Column::NotAfter.gt(platform::db::now()))
        .order_by_asc(entity::Column::CreatedAt)
        .order_by_asc(entity::Column::Thumbprint)
        .all(&state.db)
        .await?;
    for row in &rows {
        all.push(foreign_entry(row)?);
    }
    Ok(all)
}

/// Our root certificates (active, and retired ones still kept).
pub async fn csca(state: &AppState) -> Result<Vec<TrustListEntry>, AppError> {
    own(state, Purpose::DccCsca, CertificateType::Csca).await
}

/// The revoked credentials still within their lifetime, by UVCI hash.
pub async fn revocations(state: &AppState) -> Result<Vec<Revocation>, AppError> {
    Ok(crate::records::store::revoked(state)
        .await?
        .into_iter()
        .map(|(uvci, revoked_at)| Revocation { uvci_hash: super::uvci_hash(&uvci), revoked_at })
        .collect())
}

/// Signs `message` with the active root: ES256, r‖s.
pub async fn sign_by_root(state: &AppState, message: &[u8]) -> Result<[u8; 64], AppError> {
    let (key, _) = platform::keys::dcc_root(&state.db, &state.keys, &names(state)).await?;
    super::sign(&key.der, message).map_err(AppError::internal)
}

/// Everything a verifier trusts, as the bundle carries it, made now.
pub async fn payload(state: &AppState) -> Result<BundlePayload, AppError> {
    let now = platform::db::now();
    let (_, root) = platform::keys::dcc_root(&state.db, &state.keys, &names(state)).await?;
    Ok(BundlePayload {
        issued_at: now.replace_nanosecond(0).unwrap_or(now),
        country: state.config.locale.country.clone(),
        time_zone: state.config.locale.timezone.clone(),
        active_root: super::thumbprint(&root),
        dsc: dsc(state).await?,
        revoked: revocations(state).await?.into_iter().map(|r| r.uvci_hash).collect(),
        rules: crate::rules::store::in_force(&state.db, now).await?,
        stale_after_hours: crate::settings::of(state).stale_after_hours,
    })
}

/// The trust bundle, signed by every published root, the active one first.
pub async fn bundle(state: &AppState) -> Result<Bundle, AppError> {
    let roots = platform::keys::dcc_roots(&state.db, &state.keys, &names(state)).await?;
    let mut payload = payload(state).await?;
    // The active root of the same read as the signatures (a rotation may have come between).
    if let Some(active) = roots.first() {
        payload.active_root = super::thumbprint(&active.certificate);
    }
    let keys: Vec<(&[u8], &[u8])> = roots.iter().map(|r| (r.key.der.as_slice(), r.certificate.as_slice())).collect();
    Bundle::sign(&payload, &keys).map_err(AppError::internal)
}

/// Imports a foreign document signer by `actor`; returns its entry.
pub async fn import(
    state: &AppState,
    actor: &str,
    country: &str,
    certificate: &str,
) -> Result<TrustListEntry, AppError> {
    let now = platform::db::now();
    let signer = super::check_foreign(country, certificate, now).map_err(|problem| {
        let (field, key) = problem.field_and_key();
        AppError::validation(vec![FieldError::new(field, "invalid", key)]).with_detail(problem.describe())
    })?;
    let entry = TrustListEntry::new(&signer.der, &signer.country, CertificateType::Dsc, now);
    let ours = platform::keys::certificates(&state.db, Purpose::DccDsc).await?;
    let txn = platform::db::begin_write(&state.db).await?;
    let known = entity::Entity::find_by_id(entry.thumbprint.clone()).one(&txn).await?.is_some();
    if known || ours.iter().any(|c| c.der == signer.der) {
        return Err(CredentialsError::SignerKnown.into());
    }
    // Another certificate under the same kid: verifiers look signers up by
    // kid, so the second would shadow (or be shadowed by) the first.
    let kid_taken = entity::Entity::find().filter(entity::Column::Kid.eq(&entry.kid)).one(&txn).await?.is_some();
    if kid_taken || ours.iter().any(|c| c.kid == entry.kid) {
        return Err(CredentialsError::KidTaken.into());
    }
    entity::ActiveModel {
        thumbprint: Set(entry.thumbprint.clone()),
        kid: Set(entry.kid.clone()),
        country: Set(signer.country.clone()),
        certificate: Set(entry.raw_data.clone()),
        not_after: Set(signer.not_after),
        created_at: Set(now),
        created_by: Set(actor.to_owned()),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        &state.keys,
        AuditEntry::new(actor.to_owned(), "credentials.trust.import", format!("dsc:{}", entry.thumbprint)),
    )
    .await?;
    txn.commit().await?;
    Ok(entry)
}

/// A kid as a path segment carries it: standard or URL-safe base64.
pub fn normalise_kid(kid: &str) -> String {
    kid.trim().replace('-', "+").replace('_', "/")
}

/// Removes the foreign document signers with this kid (ours cannot be
/// removed here: `lionrock keys rotate` retires them). Not found when none.
pub async fn remove(state: &AppState, actor: &str, kid: &str) -> Result<(), AppError> {
    let kid = normalise_kid(kid);
    let txn = platform::db::begin_write(&state.db).await?;
    let rows = entity::Entity::find().filter(entity::Column::Kid.eq(&kid)).all(&txn).await?;
    if rows.is_empty() {
        return Err(AppError::not_found());
    }
    entity::Entity::delete_many().filter(entity::Column::Kid.eq(&kid)).exec(&txn).await?;
    for row in rows {
        audit::record(
            &txn,
            &state.keys,
            AuditEntry::new(actor.to_owned(), "credentials.trust.remove", format!("dsc:{}", row.thumbprint)),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}
