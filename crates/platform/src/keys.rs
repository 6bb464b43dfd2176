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
use sea_orm::{ActiveValue::Set, QueryOrder, TransactionTrait};
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
        /// Public key coordinates (base64url), for JWKS.
        pub x: String,
        pub y: String,
        /// `active` (signs) or `retired` (only verifies).
        pub status: String,
        pub created_at: TimeDateTimeWithTimeZone,
        /// When a retired key stops being published.
        pub publish_until: Option<TimeDateTimeWithTimeZone>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
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

/// A private signing key in memory. Never printed.
pub struct SigningKey {
    pub kid: String,
    /// PKCS#8 DER.
    pub pkcs8_der: Vec<u8>,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey").field("kid", &self.kid).finish_non_exhaustive()
    }
}

/// A public key as a JSON Web Key (RFC 7517).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Jwk {
    pub kty: &'static str,
    pub crv: &'static str,
    pub kid: String,
    #[serde(rename = "use")]
    pub use_: &'static str,
    pub alg: String,
    pub x: String,
    pub y: String,
}

fn new_key(keys: &Keys, purpose: Purpose) -> Result<entity::Model, DbErr> {
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
        status: "active".to_owned(),
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

async fn active_row(conn: &impl ConnectionTrait, purpose: Purpose) -> Result<Option<entity::Model>, DbErr> {
    entity::Entity::find()
        .filter(entity::Column::Purpose.eq(purpose.as_str()))
        .filter(entity::Column::Status.eq("active"))
        .order_by_desc(entity::Column::CreatedAt)
        .one(conn)
        .await
}

/// The active key for `purpose`, created on first use.
pub async fn active(db: &DatabaseConnection, keys: &Keys, purpose: Purpose) -> Result<SigningKey, DbErr> {
    let row = match active_row(db, purpose).await? {
        Some(row) => row,
        None => {
            let txn = db::begin_write(db).await?;
            // Another server may have made one meanwhile.
            let row = match active_row(&txn, purpose).await? {
                Some(row) => row,
                None => insert(new_key(keys, purpose)?).insert(&txn).await?,
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
    Ok(SigningKey { kid: row.kid.clone(), pkcs8_der: der })
}

/// Makes a new active key; the old one is retired and stays published for
/// `keep` (the longest lifetime of anything it signed).
pub async fn rotate(db: &DatabaseConnection, keys: &Keys, purpose: Purpose, keep: Duration) -> Result<String, DbErr> {
    let txn = db::begin_write(db).await?;
    let now = db::now();
    entity::Entity::update_many()
        .col_expr(entity::Column::Status, Expr::value("retired"))
        .col_expr(entity::Column::PublishUntil, Expr::value(now + keep))
        .filter(entity::Column::Purpose.eq(purpose.as_str()))
        .filter(entity::Column::Status.eq("active"))
        .exec(&txn)
        .await?;
    let row = insert(new_key(keys, purpose)?).insert(&txn).await?;
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
        .filter(|r| r.status == "active" || r.publish_until.is_some_and(|until| until > now))
        .map(|r| Jwk { kty: "EC", crv: "P-256", kid: r.kid, use_: "sig", alg: r.alg, x: r.x, y: r.y })
        .collect())
}

/// Deletes retired keys no longer published.
pub async fn purge(db: &DatabaseConnection) -> Result<u64, DbErr> {
    let txn = db.begin().await?;
    let n = entity::Entity::delete_many()
        .filter(entity::Column::Status.eq("retired"))
        .filter(entity::Column::PublishUntil.lt(db::now()))
        .exec(&txn)
        .await?
        .rows_affected;
    txn.commit().await?;
    Ok(n)
}
