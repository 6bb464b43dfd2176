//! The signing-key service (DESIGN.md §8): ES256 (P-256) keys per purpose,
//! generated here, stored sealed with the data key, named by `kid`, rotated
//! with `lionrock keys rotate`. A retired key stays published until
//! everything it signed has expired.
//!
//! - `oidc`: ID tokens, published as JWKS (and RS256 beside it for clients
//!   that ask).
//! - `dcc-csca` and `dcc-dsc`: signed health credentials (EU DCC). The root
//!   (CSCA) key has a self-signed X.509 certificate; each document-signer
//!   (DSC) key has a certificate issued under the active root, and its `kid`
//!   is the DCC's: the first 8 bytes of the SHA-256 of that certificate,
//!   in base64. Foreign verifiers import the certificates from the trust
//!   lists.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::EncodePrivateKey;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, QueryOrder};
use serde::Serialize;
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use crate::crypto::Keys;
use crate::db;

pub mod entity {
    //! `signing_key` rows.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "signing_key")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub kid: String,
        pub purpose: String,
        pub alg: String,
        /// Base64 of the PKCS#8 private key sealed with the data key.
        pub private_sealed: String,
        /// Public key (base64url): the curve point for ES256, or for RS256
        /// the modulus in `x` and the exponent in `y`.
        pub x: String,
        pub y: String,
        pub status: Status,
        pub created_at: TimeDateTimeWithTimeZone,
        /// When a retired key stops being published.
        pub publish_until: Option<TimeDateTimeWithTimeZone>,
        /// Base64 DER X.509 certificate (DCC keys only).
        pub certificate: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}

    /// Where a key stands (the same strings in the database).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
    #[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
    pub enum Status {
        /// It signs (and is published).
        #[sea_orm(string_value = "active")]
        Active,
        /// It only verifies: published until `publish_until`.
        #[sea_orm(string_value = "retired")]
        Retired,
    }
}

/// What a key is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Oidc,
    /// The root of signed credentials: it signs document-signer
    /// certificates and the trust lists.
    DccCsca,
    /// Document signers: they sign credentials.
    DccDsc,
}

impl Purpose {
    pub const ALL: [Purpose; 3] = [Purpose::Oidc, Purpose::DccCsca, Purpose::DccDsc];

    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Oidc => "oidc",
            Purpose::DccCsca => "dcc-csca",
            Purpose::DccDsc => "dcc-dsc",
        }
    }

    pub fn parse(s: &str) -> Option<Purpose> {
        Purpose::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// Keys that carry an X.509 certificate (made by [`dcc_signer`] and [`rotate_dcc`]).
    pub fn has_certificate(self) -> bool {
        matches!(self, Purpose::DccCsca | Purpose::DccDsc)
    }

    fn seal_context(self) -> String {
        format!("signing-key.{}", self.as_str())
    }
}

/// A signature algorithm the service makes keys for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    Es256,
    Rs256,
}

impl Alg {
    pub fn as_str(self) -> &'static str {
        match self {
            Alg::Es256 => "ES256",
            Alg::Rs256 => "RS256",
        }
    }

    pub fn parse(s: &str) -> Option<Alg> {
        match s {
            "ES256" => Some(Alg::Es256),
            "RS256" => Some(Alg::Rs256),
            _ => None,
        }
    }
}

/// A private signing key in memory. Never printed.
pub struct SigningKey {
    pub kid: String,
    pub alg: Alg,
    /// ES256: PKCS#8 DER. RS256: PKCS#1 DER (what jsonwebtoken takes).
    pub der: Vec<u8>,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey").field("kid", &self.kid).finish_non_exhaustive()
    }
}

/// A public key as a JSON Web Key (RFC 7517): EC (`crv`, `x`, `y`) or RSA (`n`, `e`).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Jwk {
    pub kty: &'static str,
    pub kid: String,
    #[serde(rename = "use")]
    pub use_: &'static str,
    pub alg: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crv: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
}

impl Jwk {
    fn of(row: entity::Model) -> Jwk {
        let rsa = row.alg == "RS256";
        Jwk {
            kty: if rsa { "RSA" } else { "EC" },
            kid: row.kid,
            use_: "sig",
            alg: row.alg,
            crv: (!rsa).then_some("P-256"),
            x: (!rsa).then(|| row.x.clone()),
            y: (!rsa).then(|| row.y.clone()),
            n: rsa.then(|| row.x.clone()),
            e: rsa.then(|| row.y.clone()),
        }
    }
}

fn new_key(keys: &Keys, purpose: Purpose, alg: Alg) -> Result<entity::Model, DbErr> {
    if alg == Alg::Rs256 {
        return new_rsa_key(keys, purpose);
    }
    let secret = loop {
        // Uniform over the valid scalars: retry the (astronomically rare) out-of-range draw.
        if let Ok(key) = p256::SecretKey::from_slice(&crate::crypto::random_bytes::<32>()) {
            break key;
        }
    };
    let der = secret.to_pkcs8_der().map_err(|e| DbErr::Custom(format!("PKCS#8: {e}")))?;
    let point = secret.public_key().to_encoded_point(false);
    let (Some(x), Some(y)) = (point.x(), point.y()) else {
        return Err(DbErr::Custom("public key has no coordinates".to_owned()));
    };
    let sec1 = point.as_bytes();
    // kid: the first 16 bytes of the SHA-256 of the public key, base64url.
    let kid = URL_SAFE_NO_PAD.encode(&Sha256::digest(sec1)[..16]);
    Ok(entity::Model {
        kid,
        purpose: purpose.as_str().to_owned(),
        alg: "ES256".to_owned(),
        private_sealed: STANDARD.encode(keys.seal(&purpose.seal_context(), der.as_bytes())),
        x: URL_SAFE_NO_PAD.encode(x),
        y: URL_SAFE_NO_PAD.encode(y),
        status: entity::Status::Active,
        created_at: db::now(),
        publish_until: None,
        certificate: None,
    })
}

fn new_rsa_key(keys: &Keys, purpose: Purpose) -> Result<entity::Model, DbErr> {
    use rsa::pkcs1::EncodeRsaPrivateKey;
    use rsa::traits::PublicKeyParts;
    let private =
        rsa::RsaPrivateKey::new(&mut rand_core::OsRng, 2048).map_err(|e| DbErr::Custom(format!("RSA: {e}")))?;
    let der = private.to_pkcs1_der().map_err(|e| DbErr::Custom(format!("PKCS#1: {e}")))?;
    let n = private.n().to_bytes_be();
    let e = private.e().to_bytes_be();
    let kid = URL_SAFE_NO_PAD.encode(&Sha256::digest(&n)[..16]);
    Ok(entity::Model {
        kid,
        purpose: purpose.as_str().to_owned(),
        alg: "RS256".to_owned(),
        private_sealed: STANDARD.encode(keys.seal(&purpose.seal_context(), der.as_bytes())),
        x: URL_SAFE_NO_PAD.encode(&n),
        y: URL_SAFE_NO_PAD.encode(&e),
        status: entity::Status::Active,
        created_at: db::now(),
        publish_until: None,
        certificate: None,
    })
}

fn insert(model: entity::Model) -> entity::ActiveModel {
    entity::ActiveModel {
        kid: Set(model.kid),
        purpose: Set(model.purpose),
        alg: Set(model.alg),
        private_sealed: Set(model.private_sealed),
        x: Set(model.x),
        y: Set(model.y),
        status: Set(model.status),
        created_at: Set(model.created_at),
        publish_until: Set(model.publish_until),
        certificate: Set(model.certificate),
    }
}

async fn active_row(conn: &impl ConnectionTrait, purpose: Purpose, alg: Alg) -> Result<Option<entity::Model>, DbErr> {
    entity::Entity::find()
        .filter(entity::Column::Purpose.eq(purpose.as_str()))
        .filter(entity::Column::Alg.eq(alg.as_str()))
        .filter(entity::Column::Status.eq(entity::Status::Active))
        .order_by_desc(entity::Column::CreatedAt)
        .one(conn)
        .await
}

/// The active ES256 key for `purpose`, created on first use.
pub async fn active(db: &DatabaseConnection, keys: &Keys, purpose: Purpose) -> Result<SigningKey, DbErr> {
    active_for(db, keys, purpose, Alg::Es256).await
}

/// The active key of `alg` for `purpose`, created on first use.
pub async fn active_for(db: &DatabaseConnection, keys: &Keys, purpose: Purpose, alg: Alg) -> Result<SigningKey, DbErr> {
    if purpose.has_certificate() {
        return Err(DbErr::Custom(format!("{} keys need a certificate: use dcc_signer", purpose.as_str())));
    }
    let row = match active_row(db, purpose, alg).await? {
        Some(row) => row,
        None => {
            // Generate before taking the write lock (RSA takes a while).
            let fresh = new_key(keys, purpose, alg)?;
            let txn = db::begin_write(db).await?;
            // Another server may have made one meanwhile (the database allows
            // one active key per purpose and algorithm: a lost race re-reads).
            let row = match active_row(&txn, purpose, alg).await? {
                Some(row) => row,
                None => match insert(fresh).insert(&txn).await {
                    Ok(row) => row,
                    Err(e) if db::is_unique_violation(&e) => {
                        drop(txn);
                        return Box::pin(active_for(db, keys, purpose, alg)).await;
                    }
                    Err(e) => return Err(e),
                },
            };
            txn.commit().await?;
            row
        }
    };
    open(keys, purpose, &row)
}

fn open(keys: &Keys, purpose: Purpose, row: &entity::Model) -> Result<SigningKey, DbErr> {
    let sealed =
        STANDARD.decode(&row.private_sealed).map_err(|e| DbErr::Custom(format!("signing key {}: {e}", row.kid)))?;
    let der = keys.open(&purpose.seal_context(), &sealed).map_err(|e| {
        DbErr::Custom(format!("signing key {}: {e} (is crypto.data_key_file the one it was made with?)", row.kid))
    })?;
    Ok(SigningKey { kid: row.kid.clone(), alg: Alg::parse(&row.alg).unwrap_or(Alg::Es256), der })
}

/// Makes a new active key of each algorithm in use; the old ones are
/// retired and stay published for `keep` (the longest lifetime of anything
/// they signed). Returns the new ES256 key's `kid`.
pub async fn rotate(db: &DatabaseConnection, keys: &Keys, purpose: Purpose, keep: Duration) -> Result<String, DbErr> {
    if purpose.has_certificate() {
        return Err(DbErr::Custom(format!("{} keys need a certificate: use rotate_dcc", purpose.as_str())));
    }
    let rsa_in_use = active_row(db, purpose, Alg::Rs256).await?.is_some();
    let fresh_es = new_key(keys, purpose, Alg::Es256)?;
    let fresh_rs = if rsa_in_use { Some(new_key(keys, purpose, Alg::Rs256)?) } else { None };
    let txn = db::begin_write(db).await?;
    let now = db::now();
    entity::Entity::update_many()
        .col_expr(entity::Column::Status, Expr::value(entity::Status::Retired))
        .col_expr(entity::Column::PublishUntil, Expr::value(now + keep))
        .filter(entity::Column::Purpose.eq(purpose.as_str()))
        .filter(entity::Column::Status.eq(entity::Status::Active))
        .exec(&txn)
        .await?;
    let row = insert(fresh_es).insert(&txn).await?;
    if let Some(rs) = fresh_rs {
        insert(rs).insert(&txn).await?;
    }
    txn.commit().await?;
    Ok(row.kid)
}

/// The keys to publish: the active one and retired ones still needed.
pub async fn published(db: &DatabaseConnection, purpose: Purpose) -> Result<Vec<Jwk>, DbErr> {
    let now: OffsetDateTime = db::now();
    let rows = entity::Entity::find()
        .filter(entity::Column::Purpose.eq(purpose.as_str()))
        .order_by_desc(entity::Column::CreatedAt)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter(|r| r.status == entity::Status::Active || r.publish_until.is_some_and(|until| until > now))
        .map(Jwk::of)
        .collect())
}

/// Deletes retired keys no longer published.
pub async fn purge(db: &DatabaseConnection) -> Result<u64, DbErr> {
    let txn = db::begin_write(db).await?;
    let n = entity::Entity::delete_many()
        .filter(entity::Column::Status.eq(entity::Status::Retired))
        .filter(entity::Column::PublishUntil.lt(db::now()))
        .exec(&txn)
        .await?
        .rows_affected;
    txn.commit().await?;
    Ok(n)
}

// ---- signed credentials (EU DCC): the root and document signers ----------

/// How long a root (CSCA) certificate is valid.
pub const CSCA_LIFETIME: Duration = Duration::days(4 * 365);
/// How long a document-signer certificate is valid: the longest a
/// credential lives (a year) after the signer's year of use.
pub const DSC_LIFETIME: Duration = Duration::days(2 * 365);
/// How long a retired document signer stays in the trust list: until every
/// credential it signed (valid for at most a year) has expired.
pub const DSC_KEEP: Duration = Duration::days(366);

/// The names written into DCC certificates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateNames {
    /// ISO 3166-1 alpha-2 (`locale.country`).
    pub country: String,
    /// The organisation: the public URL's host.
    pub organisation: String,
}

impl CertificateNames {
    pub fn of(config: &crate::config::Config) -> CertificateNames {
        let host = url::Url::parse(&config.server.public_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| "lionrock".to_owned());
        CertificateNames { country: config.locale.country.clone(), organisation: host }
    }
}

/// The active document signer: its key, its DCC `kid` and certificate.
pub struct DocumentSigner {
    pub key: SigningKey,
    pub kid: [u8; 8],
    pub certificate: Vec<u8>,
}

impl fmt::Debug for DocumentSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DocumentSigner").field("kid", &self.key.kid).finish_non_exhaustive()
    }
}

/// A published certificate (DCC keys).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    /// The DCC key identifier: base64 of the first 8 bytes of the SHA-256 of `der`.
    pub kid: String,
    pub der: Vec<u8>,
    pub created_at: OffsetDateTime,
    /// Signing now, or retired and kept for verifying.
    pub active: bool,
}

/// The DCC `kid` of a certificate.
pub fn dcc_kid(der: &[u8]) -> [u8; 8] {
    let mut kid = [0u8; 8];
    kid.copy_from_slice(&Sha256::digest(der)[..8]);
    kid
}

fn cert_err(e: crate::certificate::CertificateError) -> DbErr {
    DbErr::Custom(e.to_string())
}

/// A new DCC key with its certificate: self-signed for the root, else
/// issued by `root` (its certificate and PKCS#8 key).
fn new_dcc_key(
    keys: &Keys,
    purpose: Purpose,
    names: &CertificateNames,
    root: Option<(&[u8], &[u8])>,
) -> Result<entity::Model, DbErr> {
    let mut model = new_key(keys, purpose, Alg::Es256)?;
    let pkcs8 = open(keys, purpose, &model)?.der;
    let spki = crate::certificate::public_key_info(&pkcs8).map_err(cert_err)?;
    let now = std::time::SystemTime::now();
    let (lifetime, role) = match purpose {
        Purpose::DccCsca => (CSCA_LIFETIME, "CSCA"),
        _ => (DSC_LIFETIME, "DSC"),
    };
    let created = OffsetDateTime::now_utc();
    let common_name = format!("{} DCC {role} {}", names.organisation, created.date());
    let mut request = crate::certificate::Request {
        country: &names.country,
        organisation: &names.organisation,
        common_name: &common_name,
        root: purpose == Purpose::DccCsca,
        not_before: now,
        not_after: now + std::time::Duration::from_secs(lifetime.whole_seconds().unsigned_abs()),
    };
    let issuer = match root {
        Some((certificate, key_pkcs8)) => {
            // A signer's certificate never outlives its root's.
            if let Some(root_end) = not_after(certificate) {
                request.not_after = request.not_after.min(root_end);
            }
            crate::certificate::Issuer::Root { certificate, key_pkcs8 }
        }
        None => crate::certificate::Issuer::SelfSigned,
    };
    let der = crate::certificate::issue(&request, &spki, &pkcs8, issuer).map_err(cert_err)?;
    model.kid = STANDARD.encode(dcc_kid(&der));
    model.certificate = Some(STANDARD.encode(&der));
    Ok(model)
}

/// When a certificate stops being valid.
fn not_after(der: &[u8]) -> Option<std::time::SystemTime> {
    use x509_cert::der::Decode;
    let cert = x509_cert::Certificate::from_der(der).ok()?;
    Some(cert.tbs_certificate().validity().not_after.to_system_time())
}

/// Whether the certificate is valid for at least `needed` more.
fn lasts(der: &[u8], needed: Duration) -> bool {
    let needed = std::time::Duration::from_secs(needed.whole_seconds().unsigned_abs());
    not_after(der).is_some_and(|end| end > std::time::SystemTime::now() + needed)
}

fn certificate_of(row: &entity::Model) -> Result<Vec<u8>, DbErr> {
    row.certificate
        .as_deref()
        .and_then(|c| STANDARD.decode(c).ok())
        .ok_or_else(|| DbErr::Custom(format!("signing key {} has no certificate", row.kid)))
}

/// Makes whichever of the active root and document signer is missing.
/// Returns both rows.
async fn ensure_dcc(
    db: &DatabaseConnection,
    keys: &Keys,
    names: &CertificateNames,
) -> Result<(entity::Model, entity::Model), DbErr> {
    // Another server may make them at the same moment: generate outside the
    // write lock, then keep whatever is active once inside it.
    for _ in 0..3 {
        let root = active_row(db, Purpose::DccCsca, Alg::Es256).await?;
        let signer = active_row(db, Purpose::DccDsc, Alg::Es256).await?;
        if let (Some(root), Some(signer)) = (&root, &signer) {
            return Ok((root.clone(), signer.clone()));
        }
        let fresh_root = match &root {
            Some(_) => None,
            None => Some(new_dcc_key(keys, Purpose::DccCsca, names, None)?),
        };
        let Some(root_row) = root.clone().or_else(|| fresh_root.clone()) else { continue };
        let root_der = certificate_of(&root_row)?;
        let root_key = open(keys, Purpose::DccCsca, &root_row)?;
        let fresh_signer = new_dcc_key(keys, Purpose::DccDsc, names, Some((&root_der, &root_key.der)))?;

        let txn = db::begin_write(db).await?;
        let root_now = active_row(&txn, Purpose::DccCsca, Alg::Es256).await?;
        if root_now.as_ref().map(|r| &r.kid) != root.as_ref().map(|r| &r.kid) {
            // The root changed under us: our signer hangs from the wrong one.
            txn.rollback().await?;
            continue;
        }
        // A lost race to insert (one active key per purpose) aborts the
        // transaction on PostgreSQL: stop at once and read theirs next round.
        let lost = |e: &DbErr| db::is_unique_violation(e);
        let root_row = match (root_now, fresh_root) {
            (Some(existing), _) => existing,
            (None, Some(fresh)) => match insert(fresh).insert(&txn).await {
                Ok(row) => row,
                Err(e) if lost(&e) => continue,
                Err(e) => return Err(e),
            },
            (None, None) => return Err(DbErr::Custom("DCC root vanished".to_owned())),
        };
        let signer_row = match active_row(&txn, Purpose::DccDsc, Alg::Es256).await? {
            Some(existing) => existing,
            None => match insert(fresh_signer).insert(&txn).await {
                Ok(row) => row,
                Err(e) if lost(&e) => continue,
                Err(e) => return Err(e),
            },
        };
        txn.commit().await?;
        return Ok((root_row, signer_row));
    }
    Err(DbErr::Custom("DCC keys changed three times while being made; try again".to_owned()))
}

/// The active document signer, with the root above it made on first use.
pub async fn dcc_signer(
    db: &DatabaseConnection,
    keys: &Keys,
    names: &CertificateNames,
) -> Result<DocumentSigner, DbErr> {
    let (root, mut row) = ensure_dcc(db, keys, names).await?;
    // Everything a signer signs lives up to DSC_KEEP, and must stay
    // verifiable under its certificate: an ageing signer (or a root too old
    // for a new signer) is replaced before that can fail.
    if !lasts(&certificate_of(&row)?, DSC_KEEP) {
        // A new signer gets a full lifetime only under a root that lasts it.
        let purpose = if lasts(&certificate_of(&root)?, DSC_LIFETIME) { Purpose::DccDsc } else { Purpose::DccCsca };
        // Servers signing at the same moment all see the ageing signer:
        // only the first replaces it, the others use the replacement.
        rotate_dcc_replacing(db, keys, purpose, names, "system", Some(&row.kid)).await?;
        row = ensure_dcc(db, keys, names).await?.1;
    }
    let certificate = certificate_of(&row)?;
    Ok(DocumentSigner { key: open(keys, Purpose::DccDsc, &row)?, kid: dcc_kid(&certificate), certificate })
}

/// The active root (CSCA) key and its certificate: it signs the trust lists.
pub async fn dcc_root(
    db: &DatabaseConnection,
    keys: &Keys,
    names: &CertificateNames,
) -> Result<(SigningKey, Vec<u8>), DbErr> {
    let (row, _) = ensure_dcc(db, keys, names).await?;
    Ok((open(keys, Purpose::DccCsca, &row)?, certificate_of(&row)?))
}

/// Rotates a DCC key. A new root also gets a new document signer under it
/// (the old signer's chain ends at the old root); a new signer is issued
/// under the active root. Retired roots stay published for a signer's
/// lifetime, retired signers for [`DSC_KEEP`]. Returns the new key's `kid`.
pub async fn rotate_dcc(
    db: &DatabaseConnection,
    keys: &Keys,
    purpose: Purpose,
    names: &CertificateNames,
    actor: &str,
) -> Result<String, DbErr> {
    rotate_dcc_replacing(db, keys, purpose, names, actor, None).await
}

/// [`rotate_dcc`], and when `replacing` names a signer, only while it is
/// still the active one (else nothing changes, and the active signer's kid
/// is returned).
async fn rotate_dcc_replacing(
    db: &DatabaseConnection,
    keys: &Keys,
    purpose: Purpose,
    names: &CertificateNames,
    actor: &str,
    replacing: Option<&str>,
) -> Result<String, DbErr> {
    let (root, _) = ensure_dcc(db, keys, names).await?;
    let (fresh_root, signer_root) = match purpose {
        Purpose::DccCsca => {
            let fresh = new_dcc_key(keys, Purpose::DccCsca, names, None)?;
            (Some(fresh.clone()), fresh)
        }
        Purpose::DccDsc => (None, root.clone()),
        Purpose::Oidc => return Err(DbErr::Custom("oidc keys have no certificate: use rotate".to_owned())),
    };
    let root_key = open(keys, Purpose::DccCsca, &signer_root)?;
    let fresh_signer =
        new_dcc_key(keys, Purpose::DccDsc, names, Some((&certificate_of(&signer_root)?, &root_key.der)))?;
    let txn = db::begin_write(db).await?;
    let now = db::now();
    let retire = |p: Purpose, keep: Duration| {
        entity::Entity::update_many()
            .col_expr(entity::Column::Status, Expr::value(entity::Status::Retired))
            .col_expr(entity::Column::PublishUntil, Expr::value(now + keep))
            .filter(entity::Column::Purpose.eq(p.as_str()))
            .filter(entity::Column::Status.eq(entity::Status::Active))
    };
    if let Some(replacing) = replacing {
        // Retire exactly the ageing signer, or stop: a row lock (PostgreSQL)
        // or the write lock (SQLite) makes one server of several do it.
        let done = retire(Purpose::DccDsc, DSC_KEEP).filter(entity::Column::Kid.eq(replacing)).exec(&txn).await?;
        if done.rows_affected == 0 {
            txn.rollback().await?;
            let active = active_row(db, Purpose::DccDsc, Alg::Es256).await?;
            return active.map(|a| a.kid).ok_or_else(|| DbErr::Custom("no active DCC signer".to_owned()));
        }
    }
    // Another server rotating at the same moment inserts its own first (one
    // active key per purpose): when replacing an ageing signer, theirs will
    // do; a rotation asked for by hand says so.
    let raced = |e: DbErr| async move {
        if !db::is_unique_violation(&e) {
            return Err(e);
        }
        match (replacing, active_row(db, Purpose::DccDsc, Alg::Es256).await?) {
            (Some(_), Some(active)) => Ok(active.kid),
            _ => Err(DbErr::Custom("the DCC keys were rotated meanwhile; try again".to_owned())),
        }
    };
    if let Some(fresh_root) = &fresh_root {
        // Signers it issued may live DSC_LIFETIME; credentials DSC_KEEP after that is not needed.
        retire(Purpose::DccCsca, DSC_LIFETIME).exec(&txn).await?;
        if let Err(e) = insert(fresh_root.clone()).insert(&txn).await {
            drop(txn);
            return raced(e).await;
        }
    } else if active_row(&txn, Purpose::DccCsca, Alg::Es256).await?.map(|r| r.kid) != Some(root.kid.clone()) {
        txn.rollback().await?;
        return Err(DbErr::Custom("the DCC root was rotated meanwhile; try again".to_owned()));
    }
    retire(Purpose::DccDsc, DSC_KEEP).exec(&txn).await?;
    let signer = match insert(fresh_signer).insert(&txn).await {
        Ok(signer) => signer,
        Err(e) => {
            drop(txn);
            return raced(e).await;
        }
    };
    let object = format!("signing-key:{}", fresh_root.as_ref().map_or(&signer.kid, |r| &r.kid));
    crate::audit::record(&txn, keys, crate::audit::AuditEntry::new(actor, "keys.rotate", object))
        .await
        .map_err(|e| DbErr::Custom(e.to_string()))?;
    txn.commit().await?;
    Ok(match fresh_root {
        Some(root) => root.kid,
        None => signer.kid,
    })
}

/// The certificates to publish for `purpose` (a DCC purpose): the active
/// one and retired ones still kept, newest first.
pub async fn certificates(db: &DatabaseConnection, purpose: Purpose) -> Result<Vec<Certificate>, DbErr> {
    let now: OffsetDateTime = db::now();
    let rows = entity::Entity::find()
        .filter(entity::Column::Purpose.eq(purpose.as_str()))
        .order_by_desc(entity::Column::CreatedAt)
        .all(db)
        .await?;
    let mut out = Vec::new();
    for row in rows {
        let active = row.status == entity::Status::Active;
        if !(active || row.publish_until.is_some_and(|until| until > now)) || row.certificate.is_none() {
            continue;
        }
        out.push(Certificate { der: certificate_of(&row)?, kid: row.kid, created_at: row.created_at, active });
    }
    Ok(out)
}

/// A published root (CSCA): its signing key, its DER certificate, and
/// whether it is the active one.
#[derive(Debug)]
pub struct Root {
    pub key: SigningKey,
    pub certificate: Vec<u8>,
    pub active: bool,
}

/// Every published root with its key, the active one first (made on first
/// use): a signature by each lets verifiers that pinned a retired root move
/// to the active one.
pub async fn dcc_roots(db: &DatabaseConnection, keys: &Keys, names: &CertificateNames) -> Result<Vec<Root>, DbErr> {
    ensure_dcc(db, keys, names).await?;
    let now: OffsetDateTime = db::now();
    let rows = entity::Entity::find()
        .filter(entity::Column::Purpose.eq(Purpose::DccCsca.as_str()))
        .order_by_desc(entity::Column::CreatedAt)
        .all(db)
        .await?;
    let mut roots = Vec::new();
    for row in rows {
        let active = row.status == entity::Status::Active;
        if !(active || row.publish_until.is_some_and(|until| until > now)) || row.certificate.is_none() {
            continue;
        }
        roots.push(Root { key: open(keys, Purpose::DccCsca, &row)?, certificate: certificate_of(&row)?, active });
    }
    roots.sort_by_key(|r| !r.active);
    Ok(roots)
}
