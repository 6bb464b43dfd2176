//! The `credential_record` table: issuing a record (checked, given a UVCI,
//! signed by the active document signer, sealed and audited in one
//! transaction), a holder's records, hiding, re-issuing and revoking.
//!
//! A record holds personal health data, so the payload and the signed
//! `HC1:` text are sealed with the data key; the holder is found by the
//! shared index of their identity document, never by the number.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use platform::app::AppState;
use platform::audit::{self, AuditEntry};
use platform::error::{AppError, FieldError};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::Expr;
use sea_orm::{QueryOrder, QuerySelect};
use time::OffsetDateTime;

use super::{Entry, Holder, Issuing, Kind, Problem, Request};
use crate::errors::CredentialsError;

pub mod entity {
    //! `credential_record` rows.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "credential_record")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub uvci: String,
        pub kind: String,
        /// The holder's identity document's shared index (`Document::index`).
        pub holder_index: String,
        /// That document, masked (`A123***(3)`).
        pub holder_masked: Option<String>,
        /// The DCC payload (JSON), sealed.
        pub payload_sealed: String,
        /// The signed `HC1:` text, sealed.
        pub hc1_sealed: String,
        pub dsc_kid: String,
        pub issued_at: TimeDateTimeWithTimeZone,
        pub expires_at: TimeDateTimeWithTimeZone,
        /// Who issued it (`account:<id>`, `cli`, or another domain's actor).
        pub issued_by: String,
        /// The holder chose not to list it.
        pub hidden_at: Option<TimeDateTimeWithTimeZone>,
        pub revoked_at: Option<TimeDateTimeWithTimeZone>,
        /// The record that replaced it when it was re-issued.
        pub replaced_by: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

const PAYLOAD_CONTEXT: &str = "credentials.record.payload";
const HC1_CONTEXT: &str = "credentials.record.hc1";

/// A record as its holder and officers see it.
#[derive(Debug, Clone)]
pub struct Record {
    pub id: String,
    pub uvci: String,
    pub kind: Kind,
    pub dcc: hcert::Dcc,
    pub hc1: String,
    pub issued_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub hidden: bool,
    pub revoked: bool,
    pub replaced_by: Option<String>,
    /// The holder's document, masked (`A123***(3)`).
    pub holder_masked: Option<String>,
    /// Who issued it (`account:<id>`, `cli`, …).
    pub issued_by: String,
}

/// A record just issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    pub id: String,
    pub uvci: String,
    pub hc1: String,
}

/// The problems of a request as a validation error (fields as JSON pointers).
pub fn invalid(problems: &[Problem]) -> AppError {
    AppError::validation(problems.iter().map(|p| FieldError::new(format!("/{}", p.field), "invalid", p.key)).collect())
}

fn open(state: &AppState, row: entity::Model) -> Result<Record, AppError> {
    let unseal = |context: &str, sealed: &str| -> Result<Vec<u8>, AppError> {
        let bytes = STANDARD.decode(sealed).map_err(AppError::internal)?;
        state.keys.open(context, &bytes).map_err(AppError::internal)
    };
    let payload: serde_json::Value =
        serde_json::from_slice(&unseal(PAYLOAD_CONTEXT, &row.payload_sealed)?).map_err(AppError::internal)?;
    let dcc = hcert::schema::parse(&payload).map_err(AppError::internal)?;
    let hc1 = String::from_utf8(unseal(HC1_CONTEXT, &row.hc1_sealed)?).map_err(AppError::internal)?;
    Ok(Record {
        kind: Kind::parse(&row.kind).ok_or_else(|| AppError::internal(format!("record kind {}", row.kind)))?,
        id: row.id,
        uvci: row.uvci,
        dcc,
        hc1,
        issued_at: row.issued_at,
        expires_at: row.expires_at,
        hidden: row.hidden_at.is_some(),
        revoked: row.revoked_at.is_some(),
        replaced_by: row.replaced_by,
        holder_masked: row.holder_masked,
        issued_by: row.issued_by,
    })
}

/// A row about to be signed: whom it is for, what kind, by whom, when, and
/// until when.
struct Draft<'a> {
    kind: Kind,
    holder_index: String,
    holder_masked: Option<String>,
    actor: &'a str,
    now: OffsetDateTime,
    expires_at: OffsetDateTime,
}

/// Signs `dcc` (whose entry carries `uvci`) with the active document
/// signer and seals it into a new row: the one place claims are made, so
/// issuing and re-issuing sign alike. A credential that would expire at
/// once is refused (`credentials-expired`).
async fn signed(
    state: &AppState,
    dcc: &hcert::Dcc,
    uvci: String,
    draft: Draft<'_>,
) -> Result<(entity::ActiveModel, Issued), AppError> {
    if draft.expires_at <= draft.now {
        return Err(CredentialsError::Expired.into());
    }
    let names = platform::keys::CertificateNames::of(&state.config);
    let signer = platform::keys::dcc_signer(&state.db, &state.keys, &names).await?;
    let key = <p256::ecdsa::SigningKey as p256::pkcs8::DecodePrivateKey>::from_pkcs8_der(&signer.key.der)
        .map_err(|e| AppError::internal(format!("document signer key: {e}")))?;
    let claims = hcert::Claims {
        issuer: Some(state.config.locale.country.clone()),
        issued_at: draft.now.unix_timestamp(),
        expires_at: draft.expires_at.unix_timestamp(),
    };
    let hc1 = hcert::encode(dcc, &claims, &hcert::Signer::Es256 { key, kid: hcert::Kid(signer.kid) })
        .map_err(|e| AppError::from(CredentialsError::NotSignable).with_detail(e.to_string()))?;
    let payload = serde_json::to_vec(dcc).map_err(AppError::internal)?;
    let id = Uuid::now_v7().to_string();
    let row = entity::ActiveModel {
        id: Set(id.clone()),
        uvci: Set(uvci.clone()),
        kind: Set(draft.kind.as_str().to_owned()),
        holder_index: Set(draft.holder_index),
        holder_masked: Set(draft.holder_masked),
        payload_sealed: Set(STANDARD.encode(state.keys.seal(PAYLOAD_CONTEXT, &payload))),
        hc1_sealed: Set(STANDARD.encode(state.keys.seal(HC1_CONTEXT, hc1.as_bytes()))),
        dsc_kid: Set(STANDARD.encode(signer.kid)),
        issued_at: Set(draft.now),
        expires_at: Set(draft.expires_at),
        issued_by: Set(draft.actor.to_owned()),
        hidden_at: Set(None),
        revoked_at: Set(None),
        replaced_by: Set(None),
    };
    Ok((row, Issued { id, uvci, hc1 }))
}

/// Issues the record a request asks for, by `actor` (`account:<id>`, `cli`,
/// …): checked, signed, stored sealed and audited in one transaction.
pub async fn issue(state: &AppState, actor: &str, request: &Request) -> Result<Issued, AppError> {
    let (holder, entry) = request.parse(platform::db::now(), state.today()).map_err(|p| invalid(&p))?;
    issue_checked(state, actor, &holder, &entry).await
}

/// Issues a record for a holder and entry already checked.
pub async fn issue_checked(state: &AppState, actor: &str, holder: &Holder, entry: &Entry) -> Result<Issued, AppError> {
    let settings = crate::settings::of(state);
    let now = platform::db::now();
    let country = state.config.locale.country.clone();
    let uvci = super::new_uvci(&country, &platform::crypto::random_bytes::<24>());
    let issuing = Issuing { country: &country, issuer: &settings.issuer, uvci: &uvci, now };
    let dcc = super::payload(holder, entry, &issuing);
    let draft = Draft {
        kind: entry.kind(),
        holder_index: holder.document.index(&state.keys),
        holder_masked: Some(holder.document.masked()),
        actor,
        now,
        expires_at: super::expiry(entry, now, |d| state.end_of_day(d)),
    };
    let (row, issued) = signed(state, &dcc, uvci, draft).await?;
    let txn = platform::db::begin_write(&state.db).await?;
    row.insert(&txn).await?;
    audit::record(
        &txn,
        &state.keys,
        AuditEntry::new(actor.to_owned(), "credentials.issue", format!("credential:{}", issued.id)),
    )
    .await?;
    txn.commit().await?;
    metrics::counter!("lionrock_credentials_issued_total", "kind" => entry.kind().as_str()).increment(1);
    Ok(issued)
}

/// The records issued to the holder of the document with this index,
/// newest first; hidden ones too when `with_hidden`. Replaced records are
/// left out (their replacement stands for them).
pub async fn of_holder(state: &AppState, holder_index: &str, with_hidden: bool) -> Result<Vec<Record>, AppError> {
    let mut query = entity::Entity::find()
        .filter(entity::Column::HolderIndex.eq(holder_index))
        .filter(entity::Column::ReplacedBy.is_null())
        .order_by_desc(entity::Column::IssuedAt)
        .order_by_desc(entity::Column::Id);
    if !with_hidden {
        query = query.filter(entity::Column::HiddenAt.is_null());
    }
    query.all(&state.db).await?.into_iter().map(|row| open(state, row)).collect()
}

/// One of the holder's records (`None` when it is not theirs).
pub async fn of_holder_by_id(state: &AppState, holder_index: &str, id: &str) -> Result<Option<Record>, AppError> {
    let row = entity::Entity::find_by_id(id.to_owned())
        .filter(entity::Column::HolderIndex.eq(holder_index))
        .one(&state.db)
        .await?;
    row.map(|row| open(state, row)).transpose()
}

/// A record by its ID, whoever holds it (for the officer who issued it).
pub async fn by_id(state: &AppState, id: &str) -> Result<Option<Record>, AppError> {
    let row = entity::Entity::find_by_id(id.to_owned()).one(&state.db).await?;
    row.map(|row| open(state, row)).transpose()
}

/// Hides a record from its holder's list, or shows it again.
pub async fn set_hidden(
    state: &AppState,
    actor: &str,
    holder_index: &str,
    id: &str,
    hidden: bool,
) -> Result<(), AppError> {
    let txn = platform::db::begin_write(&state.db).await?;
    let value = hidden.then(platform::db::now);
    let done = entity::Entity::update_many()
        .col_expr(entity::Column::HiddenAt, Expr::value(value))
        .filter(entity::Column::Id.eq(id))
        .filter(entity::Column::HolderIndex.eq(holder_index))
        .exec(&txn)
        .await?;
    if done.rows_affected == 0 {
        return Err(AppError::not_found());
    }
    let action = if hidden { "credentials.hide" } else { "credentials.show" };
    audit::record(&txn, &state.keys, AuditEntry::new(actor.to_owned(), action, format!("credential:{id}"))).await?;
    txn.commit().await?;
    Ok(())
}

/// Re-issues one of the holder's records: the same facts under a new UVCI
/// and a fresh signature; the old one is revoked (its UVCI joins the
/// revocation list) and points to its replacement, in one transaction.
///
/// The new credential expires when the record's own facts say (a test
/// three days after its sample, an exemption at the end of its period), so
/// re-issuing never extends validity; an expired record, or one that would
/// expire at once, is refused (409 `credentials-expired`). A holder has at
/// most [`REISSUES_PER_DAY`](super::REISSUES_PER_DAY) re-issues in any 24
/// hours (429 `credentials-reissue-limit`), counted from the replaced rows
/// inside the transaction, so parallel requests cannot pass it.
pub async fn reissue(state: &AppState, actor: &str, holder_index: &str, id: &str) -> Result<Issued, AppError> {
    let Some(old) = of_holder_by_id(state, holder_index, id).await? else { return Err(AppError::not_found()) };
    if old.revoked || old.replaced_by.is_some() {
        return Err(CredentialsError::Revoked.into());
    }
    let now = platform::db::now();
    // A record whose product lionrock no longer issues cannot be signed again.
    let entry = Entry::of_dcc(&old.dcc).ok_or_else(|| {
        AppError::from(CredentialsError::NotSignable).with_detail("the record's product is no longer issued")
    })?;
    // Never later than the record it replaces (a vaccination's year is
    // counted from its first issue, not from each re-issue).
    let expires_at = super::expiry(&entry, now, |d| state.end_of_day(d)).min(old.expires_at);
    if old.expires_at <= now || expires_at <= now {
        return Err(CredentialsError::Expired.into());
    }
    let settings = crate::settings::of(state);
    let uvci = super::new_uvci(&state.config.locale.country, &platform::crypto::random_bytes::<24>());
    let mut dcc = old.dcc.clone();
    for ci in dcc_uvcis(&mut dcc) {
        *ci = uvci.clone();
    }
    for is in dcc_issuers(&mut dcc) {
        is.clone_from(&settings.issuer);
    }
    let draft = Draft {
        kind: old.kind,
        holder_index: holder_index.to_owned(),
        holder_masked: old.holder_masked.clone(),
        actor,
        now,
        expires_at,
    };
    let (row, issued) = signed(state, &dcc, uvci, draft).await?;
    let txn = platform::db::begin_write(&state.db).await?;
    // The holder's rows are the lock the count below needs: FOR UPDATE on
    // PostgreSQL (in ID order, so two re-issues never wait on each other
    // crosswise); on SQLite the write transaction holds the database's
    // single write lock already.
    entity::Entity::find()
        .select_only()
        .column(entity::Column::Id)
        .filter(entity::Column::HolderIndex.eq(holder_index))
        .order_by_asc(entity::Column::Id)
        .lock_exclusive()
        .into_tuple::<String>()
        .all(&txn)
        .await?;
    let recent: Vec<Option<OffsetDateTime>> = entity::Entity::find()
        .select_only()
        .column(entity::Column::RevokedAt)
        .filter(entity::Column::HolderIndex.eq(holder_index))
        .filter(entity::Column::ReplacedBy.is_not_null())
        .filter(entity::Column::RevokedAt.gt(now - super::REISSUE_WINDOW))
        .order_by_asc(entity::Column::RevokedAt)
        .into_tuple()
        .all(&txn)
        .await?;
    if recent.len() as u64 >= super::REISSUES_PER_DAY {
        let oldest = recent.first().copied().flatten().unwrap_or(now);
        let wait = (oldest + super::REISSUE_WINDOW - now).whole_seconds().max(1);
        let mut refused = AppError::from(CredentialsError::ReissueLimit { limit: super::REISSUES_PER_DAY });
        refused.retry_after = Some(u32::try_from(wait).unwrap_or(u32::MAX));
        return Err(refused);
    }
    let done = entity::Entity::update_many()
        .col_expr(entity::Column::RevokedAt, Expr::value(Some(now)))
        .col_expr(entity::Column::ReplacedBy, Expr::value(Some(issued.id.clone())))
        .filter(entity::Column::Id.eq(id))
        .filter(entity::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    if done.rows_affected == 0 {
        // Re-issued or revoked by a parallel request.
        return Err(CredentialsError::Revoked.into());
    }
    row.insert(&txn).await?;
    for (action, object) in [("credentials.reissue", id), ("credentials.issue", issued.id.as_str())] {
        audit::record(&txn, &state.keys, AuditEntry::new(actor.to_owned(), action, format!("credential:{object}")))
            .await?;
    }
    txn.commit().await?;
    Ok(issued)
}

fn dcc_uvcis(dcc: &mut hcert::Dcc) -> Vec<&mut String> {
    let mut out = Vec::new();
    out.extend(dcc.v.iter_mut().flatten().map(|r| &mut r.ci));
    out.extend(dcc.t.iter_mut().flatten().map(|r| &mut r.ci));
    out.extend(dcc.r.iter_mut().flatten().map(|r| &mut r.ci));
    out.extend(dcc.e.iter_mut().flatten().map(|r| &mut r.ci));
    out
}

fn dcc_issuers(dcc: &mut hcert::Dcc) -> Vec<&mut String> {
    let mut out = Vec::new();
    out.extend(dcc.v.iter_mut().flatten().map(|r| &mut r.is));
    out.extend(dcc.t.iter_mut().flatten().map(|r| &mut r.is));
    out.extend(dcc.r.iter_mut().flatten().map(|r| &mut r.is));
    out.extend(dcc.e.iter_mut().flatten().map(|r| &mut r.is));
    out
}

/// The kind of the record with this UVCI (`None` when there is none).
pub async fn kind_of(state: &AppState, uvci: &str) -> Result<Option<Kind>, AppError> {
    let kind: Option<String> = entity::Entity::find()
        .select_only()
        .column(entity::Column::Kind)
        .filter(entity::Column::Uvci.eq(uvci))
        .into_tuple()
        .one(&state.db)
        .await?;
    kind.map(|k| Kind::parse(&k).ok_or_else(|| AppError::internal(format!("record kind {k}")))).transpose()
}

/// Revokes a record by its UVCI (an officer found it wrong, say).
pub async fn revoke(state: &AppState, actor: &str, uvci: &str) -> Result<(), AppError> {
    let txn = platform::db::begin_write(&state.db).await?;
    let Some(row) = entity::Entity::find().filter(entity::Column::Uvci.eq(uvci)).one(&txn).await? else {
        return Err(AppError::not_found());
    };
    if row.revoked_at.is_some() {
        return Err(CredentialsError::Revoked.into());
    }
    entity::Entity::update_many()
        .col_expr(entity::Column::RevokedAt, Expr::value(Some(platform::db::now())))
        .filter(entity::Column::Id.eq(&row.id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        &state.keys,
        AuditEntry::new(actor.to_owned(), "credentials.revoke", format!("credential:{}", row.id)),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Every revoked UVCI still within its credential's lifetime, with when it
/// was revoked, oldest first (expired ones no verifier would accept anyway).
pub async fn revoked(state: &AppState) -> Result<Vec<(String, OffsetDateTime)>, AppError> {
    let rows = entity::Entity::find()
        .filter(entity::Column::RevokedAt.is_not_null())
        .filter(entity::Column::ExpiresAt.gt(platform::db::now()))
        .order_by_asc(entity::Column::RevokedAt)
        .all(&state.db)
        .await?;
    Ok(rows.into_iter().filter_map(|r| r.revoked_at.map(|at| (r.uvci, at))).collect())
}

/// Deletes records whose credential expired more than `retention_days`
/// ago (DESIGN.md §6: kept no longer than needed); returns how many.
/// Run by the module's periodic job.
pub async fn purge(state: &AppState) -> Result<u64, AppError> {
    let days = i64::from(crate::settings::of(state).retention_days);
    let txn = platform::db::begin_write(&state.db).await?;
    let gone = entity::Entity::delete_many()
        .filter(entity::Column::ExpiresAt.lt(platform::db::now() - time::Duration::days(days)))
        .exec(&txn)
        .await?
        .rows_affected;
    if gone > 0 {
        audit::record(&txn, &state.keys, AuditEntry::new("system", "credentials.purge", format!("records:{gone}")))
            .await?;
    }
    txn.commit().await?;
    Ok(gone)
}
