//! The signing-key service (DESIGN.md §8): ES256 (P-256) keys per purpose
//! (`oidc`, later `dcc-dsc`), generated here, stored sealed with the data
//! key, named by `kid`, rotated with `lionrock keys rotate`. A retired key
//! stays published until everything it signed has expired.

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
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Oidc => "oidc",
        }
    }

    pub fn parse(s: &str) -> Option<Purpose> {
        match s {
            "oidc" => Some(Purpose::Oidc),
            _ => None,
        }
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
    let row = match active_row(db, purpose, alg).await? {
        Some(row) => row,
        None => {
            // Generate before taking the write lock (RSA takes a while).
            let fresh = new_key(keys, purpose, alg)?;
            let txn = db::begin_write(db).await?;
            // Another server may have made one meanwhile.
            let row = match active_row(&txn, purpose, alg).await? {
                Some(row) => row,
                None => insert(fresh).insert(&txn).await?,
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
