//! OpenID Connect provider tables: clients, remembered consent, pending
//! authorization requests, one-time authorization codes, and access /
//! refresh tokens (stored as MACs).

use platform::app::AppState;
use platform::audit::{self, AuditEntry};
use platform::error::AppError;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{ActiveValue::Set, Condition, FromQueryResult, Iterable, QueryOrder, QueryResult};
use time::OffsetDateTime;

use crate::profile::store::entity as profile_field;
use crate::store::account;

pub mod client {
    //! `oidc_client` rows: relying parties.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "oidc_client")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub client_id: String,
        /// MAC of the client secret; none for public clients.
        pub secret_mac: Option<String>,
        pub name: String,
        /// JSON arrays.
        pub redirect_uris: String,
        pub post_logout_redirect_uris: String,
        pub scopes: String,
        pub public: bool,
        pub created_at: TimeDateTimeWithTimeZone,
        /// JWK Set of a client that signs its own assertions (private_key_jwt).
        pub jwks: Option<String>,
        /// How its ID tokens are signed: `ES256` or `RS256`.
        pub id_token_alg: String,
        /// `public` (the account id) or `pairwise` (per-sector `sub`).
        pub subject_type: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod consent {
    //! `oidc_consent` rows: what a person allowed a client to receive.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "oidc_consent")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub account_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub client_id: String,
        pub scopes: String,
        pub granted_at: TimeDateTimeWithTimeZone,
        /// JSON array of the profile fields the person chose to share.
        pub fields: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod code {
    //! `oidc_code` rows: authorization codes (single use, one minute).
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "oidc_code")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub code_mac: String,
        pub client_id: String,
        pub account_id: String,
        pub redirect_uri: String,
        pub scopes: String,
        pub nonce: Option<String>,
        pub code_challenge: Option<String>,
        pub auth_time: i64,
        pub amr: String,
        pub expires_at: TimeDateTimeWithTimeZone,
        pub used_at: Option<TimeDateTimeWithTimeZone>,
        /// The identity level the person had when the code was issued
        /// (`basic` or `real_name`): the ID token's `acr`. None on codes
        /// issued before it was kept.
        pub level: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod token {
    //! `oidc_token` rows: access and refresh tokens.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "oidc_token")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub token_mac: String,
        pub kind: Kind,
        pub client_id: String,
        pub account_id: String,
        pub scopes: String,
        /// Every token descended from one authorization shares a family;
        /// reuse of a spent refresh token revokes the family.
        pub family_id: String,
        pub code_mac: Option<String>,
        pub auth_time: i64,
        pub amr: String,
        pub expires_at: TimeDateTimeWithTimeZone,
        pub used_at: Option<TimeDateTimeWithTimeZone>,
        pub revoked_at: Option<TimeDateTimeWithTimeZone>,
        pub created_at: TimeDateTimeWithTimeZone,
        /// When the grant was made (its code exchange), carried by every
        /// rotation: a refresh token's absolute lifetime counts from here.
        /// None only on rows an older server wrote during an upgrade.
        pub granted_at: Option<TimeDateTimeWithTimeZone>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}

    /// What a token is (the same strings in the database).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
    #[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
    pub enum Kind {
        /// A bearer token for userinfo (ten minutes).
        #[sea_orm(string_value = "access")]
        Access,
        /// Buys new tokens once (rotation), until the grant's absolute end.
        #[sea_orm(string_value = "refresh")]
        Refresh,
    }
}

pub mod par {
    //! `oidc_par` rows: pushed authorization requests (RFC 9126).
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "oidc_par")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub request_mac: String,
        pub client_id: String,
        /// The authorization parameters, as JSON.
        pub params: String,
        pub expires_at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub async fn insert_par(conn: &impl ConnectionTrait, model: par::Model) -> Result<(), DbErr> {
    par::ActiveModel {
        request_mac: Set(model.request_mac),
        client_id: Set(model.client_id),
        params: Set(model.params),
        expires_at: Set(model.expires_at),
    }
    .insert(conn)
    .await?;
    Ok(())
}

pub async fn par(conn: &impl ConnectionTrait, request_mac: &str) -> Result<Option<par::Model>, DbErr> {
    par::Entity::find_by_id(request_mac.to_owned()).one(conn).await
}

/// Consumes a pushed request of `client_id` that has not expired: one
/// conditional DELETE, so of two concurrent uses only one gets it.
pub async fn take_par(
    conn: &impl ConnectionTrait,
    request_mac: &str,
    client_id: &str,
) -> Result<Option<par::Model>, DbErr> {
    let Some(row) = par(conn, request_mac).await? else { return Ok(None) };
    let taken = par::Entity::delete_many()
        .filter(par::Column::RequestMac.eq(request_mac))
        .filter(par::Column::ClientId.eq(client_id))
        .filter(par::Column::ExpiresAt.gt(platform::db::now()))
        .exec(conn)
        .await?
        .rows_affected;
    Ok((taken == 1).then_some(row))
}

pub mod pending {
    //! `oidc_pending` rows: authorization requests waiting for the person
    //! (to sign in, choose an account, get a real-name identity or decide).
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "oidc_pending")]
    pub struct Model {
        /// MAC of the ID the browser carries.
        #[sea_orm(primary_key, auto_increment = false)]
        pub pending_mac: String,
        pub client_id: String,
        /// The authorization parameters as the client sent them, as JSON.
        pub params: String,
        /// When the request arrived (Unix seconds, our clock).
        pub requested_at: i64,
        /// The row ID of the session the browser had then, if any: a
        /// sign-in since the request is a session other than this one.
        pub prior_session: Option<String>,
        /// The account the person confirmed (`prompt=select_account`).
        pub confirmed_account: Option<String>,
        /// The person chose to go on without the real-name identity that
        /// the client asked for voluntarily (`acr_values`).
        pub step_up_declined: bool,
        pub expires_at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub async fn insert_pending(conn: &impl ConnectionTrait, model: pending::Model) -> Result<(), DbErr> {
    pending::ActiveModel {
        pending_mac: Set(model.pending_mac),
        client_id: Set(model.client_id),
        params: Set(model.params),
        requested_at: Set(model.requested_at),
        prior_session: Set(model.prior_session),
        confirmed_account: Set(model.confirmed_account),
        step_up_declined: Set(model.step_up_declined),
        expires_at: Set(model.expires_at),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// A pending request that has not expired.
pub async fn pending(conn: &impl ConnectionTrait, pending_mac: &str) -> Result<Option<pending::Model>, DbErr> {
    Ok(pending::Entity::find_by_id(pending_mac.to_owned())
        .one(conn)
        .await?
        .filter(|p| platform::db::now() < p.expires_at))
}

/// Records a choice the person made on a pending request: the account
/// they confirmed, or that they go on without a real-name identity. False
/// if the request is gone or expired.
pub async fn record_choice(
    conn: &impl ConnectionTrait,
    pending_mac: &str,
    choice: super::Choice,
    account_id: &str,
) -> Result<bool, DbErr> {
    let (column, value) = match choice {
        super::Choice::ThisAccount => (pending::Column::ConfirmedAccount, Expr::value(account_id)),
        super::Choice::WithoutRealName => (pending::Column::StepUpDeclined, Expr::value(true)),
    };
    Ok(pending::Entity::update_many()
        .col_expr(column, value)
        .filter(pending::Column::PendingMac.eq(pending_mac))
        .filter(pending::Column::ExpiresAt.gt(platform::db::now()))
        .exec(conn)
        .await?
        .rows_affected
        == 1)
}

/// Ends a pending request (a code was issued or the person declined): one
/// conditional DELETE, so of two concurrent answers only one counts.
pub async fn take_pending(conn: &impl ConnectionTrait, pending_mac: &str) -> Result<bool, DbErr> {
    Ok(pending::Entity::delete_many()
        .filter(pending::Column::PendingMac.eq(pending_mac))
        .filter(pending::Column::ExpiresAt.gt(platform::db::now()))
        .exec(conn)
        .await?
        .rows_affected
        == 1)
}

pub async fn client(conn: &impl ConnectionTrait, client_id: &str) -> Result<Option<client::Model>, DbErr> {
    client::Entity::find_by_id(client_id.to_owned()).one(conn).await
}

/// Every client, the newest first (the administrators' list).
pub async fn clients(conn: &impl ConnectionTrait) -> Result<Vec<client::Model>, DbErr> {
    client::Entity::find().order_by_desc(client::Column::CreatedAt).all(conn).await
}

/// Registers a client for `actor` (an administrator's account, or `system` for
/// the command line), with its audit row in
/// the same transaction.
pub(crate) async fn insert_client_by(state: &AppState, model: client::Model, actor: &str) -> Result<(), AppError> {
    let client_id = model.client_id.clone();
    let txn = platform::db::begin_write(&state.db).await?;
    insert_client(&txn, model).await?;
    let entry = AuditEntry::new(actor, "oidc.client_create", format!("client:{client_id}"));
    audit::record(&txn, &state.keys, entry).await?;
    txn.commit().await?;
    Ok(())
}

/// Removes a client on an administrator's behalf (its consents, codes and
/// tokens go with it), audited; false if there was none.
pub(crate) async fn remove_client(state: &AppState, client_id: &str, admin: &str) -> Result<bool, AppError> {
    let txn = platform::db::begin_write(&state.db).await?;
    let removed = client::Entity::delete_by_id(client_id.to_owned()).exec(&txn).await?.rows_affected == 1;
    if removed {
        let entry = AuditEntry::new(format!("account:{admin}"), "oidc.client_remove", format!("client:{client_id}"));
        audit::record(&txn, &state.keys, entry).await?;
    }
    txn.commit().await?;
    Ok(removed)
}

pub async fn insert_client(conn: &impl ConnectionTrait, model: client::Model) -> Result<(), DbErr> {
    client::ActiveModel {
        client_id: Set(model.client_id),
        secret_mac: Set(model.secret_mac),
        name: Set(model.name),
        redirect_uris: Set(model.redirect_uris),
        post_logout_redirect_uris: Set(model.post_logout_redirect_uris),
        scopes: Set(model.scopes),
        public: Set(model.public),
        created_at: Set(model.created_at),
        jwks: Set(model.jwks),
        id_token_alg: Set(model.id_token_alg),
        subject_type: Set(model.subject_type),
    }
    .insert(conn)
    .await?;
    Ok(())
}

pub async fn consent(
    conn: &impl ConnectionTrait,
    account_id: &str,
    client_id: &str,
) -> Result<Option<consent::Model>, DbErr> {
    consent::Entity::find_by_id((account_id.to_owned(), client_id.to_owned())).one(conn).await
}

pub async fn put_consent(
    conn: &impl ConnectionTrait,
    account_id: &str,
    client_id: &str,
    scopes: &str,
    fields: &str,
) -> Result<(), DbErr> {
    consent::Entity::delete_by_id((account_id.to_owned(), client_id.to_owned())).exec(conn).await?;
    consent::ActiveModel {
        account_id: Set(account_id.to_owned()),
        client_id: Set(client_id.to_owned()),
        scopes: Set(scopes.to_owned()),
        granted_at: Set(platform::db::now()),
        fields: Set(fields.to_owned()),
    }
    .insert(conn)
    .await?;
    Ok(())
}

pub async fn insert_code(conn: &impl ConnectionTrait, model: code::Model) -> Result<(), DbErr> {
    code::ActiveModel {
        code_mac: Set(model.code_mac),
        client_id: Set(model.client_id),
        account_id: Set(model.account_id),
        redirect_uri: Set(model.redirect_uri),
        scopes: Set(model.scopes),
        nonce: Set(model.nonce),
        code_challenge: Set(model.code_challenge),
        auth_time: Set(model.auth_time),
        amr: Set(model.amr),
        expires_at: Set(model.expires_at),
        used_at: Set(None),
        level: Set(model.level),
    }
    .insert(conn)
    .await?;
    Ok(())
}

pub async fn code(conn: &impl ConnectionTrait, code_mac: &str) -> Result<Option<code::Model>, DbErr> {
    code::Entity::find_by_id(code_mac.to_owned()).one(conn).await
}

/// Marks a code used, atomically: false if it already was.
pub async fn spend_code(conn: &impl ConnectionTrait, code_mac: &str) -> Result<bool, DbErr> {
    let r = code::Entity::update_many()
        .col_expr(code::Column::UsedAt, Expr::value(platform::db::now()))
        .filter(code::Column::CodeMac.eq(code_mac))
        .filter(code::Column::UsedAt.is_null())
        .exec(conn)
        .await?;
    Ok(r.rows_affected == 1)
}

pub async fn insert_token(conn: &impl ConnectionTrait, model: token::Model) -> Result<(), DbErr> {
    token::ActiveModel {
        token_mac: Set(model.token_mac),
        kind: Set(model.kind),
        client_id: Set(model.client_id),
        account_id: Set(model.account_id),
        scopes: Set(model.scopes),
        family_id: Set(model.family_id),
        code_mac: Set(model.code_mac),
        auth_time: Set(model.auth_time),
        amr: Set(model.amr),
        expires_at: Set(model.expires_at),
        used_at: Set(None),
        revoked_at: Set(None),
        created_at: Set(model.created_at),
        granted_at: Set(model.granted_at),
    }
    .insert(conn)
    .await?;
    Ok(())
}

pub async fn token(conn: &impl ConnectionTrait, token_mac: &str) -> Result<Option<token::Model>, DbErr> {
    token::Entity::find_by_id(token_mac.to_owned()).one(conn).await
}

/// Spends a refresh token that is neither spent nor revoked, in one
/// statement (`UPDATE … RETURNING`, so of two concurrent uses only one gets
/// it), and returns it as spent; `None` if there is no such token.
pub async fn spend_refresh_returning(
    conn: &impl ConnectionTrait,
    token_mac: &str,
    now: OffsetDateTime,
) -> Result<Option<token::Model>, DbErr> {
    let stmt = Query::update()
        .table(token::Entity)
        .value(token::Column::UsedAt, Expr::value(now))
        .and_where(token::Column::TokenMac.eq(token_mac))
        .and_where(token::Column::Kind.eq(token::Kind::Refresh))
        .and_where(token::Column::UsedAt.is_null())
        .and_where(token::Column::RevokedAt.is_null())
        .returning_all()
        .to_owned();
    let row = conn.query_one(&stmt).await?;
    row.map(|r| token::Model::from_query_result(&r, "")).transpose()
}

/// Stores new tokens in one statement.
pub async fn insert_tokens(conn: &impl ConnectionTrait, models: [token::Model; 2]) -> Result<(), DbErr> {
    token::Entity::insert_many(models.map(|m| token::ActiveModel::from(m).reset_all()))
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// Revokes one token (an access token its client gives up).
pub async fn revoke_token(conn: &impl ConnectionTrait, token_mac: &str) -> Result<u64, DbErr> {
    Ok(token::Entity::update_many()
        .col_expr(token::Column::RevokedAt, Expr::value(platform::db::now()))
        .filter(token::Column::TokenMac.eq(token_mac))
        .filter(token::Column::RevokedAt.is_null())
        .exec(conn)
        .await?
        .rows_affected)
}

/// Revokes every token of a family.
pub async fn revoke_family(conn: &impl ConnectionTrait, family_id: &str) -> Result<u64, DbErr> {
    Ok(token::Entity::update_many()
        .col_expr(token::Column::RevokedAt, Expr::value(platform::db::now()))
        .filter(token::Column::FamilyId.eq(family_id))
        .filter(token::Column::RevokedAt.is_null())
        .exec(conn)
        .await?
        .rows_affected)
}

/// Revokes the whole grant behind an authorization code: the tokens issued
/// from it and every token of their families (later refreshes carry the
/// family, not the code).
pub async fn revoke_grant(conn: &impl ConnectionTrait, code_mac: &str) -> Result<u64, DbErr> {
    let families = Query::select()
        .column(token::Column::FamilyId)
        .from(token::Entity)
        .and_where(token::Column::CodeMac.eq(code_mac))
        .to_owned();
    Ok(token::Entity::update_many()
        .col_expr(token::Column::RevokedAt, Expr::value(platform::db::now()))
        .filter(
            Condition::any()
                .add(token::Column::CodeMac.eq(code_mac))
                .add(token::Column::FamilyId.in_subquery(families)),
        )
        .filter(token::Column::RevokedAt.is_null())
        .exec(conn)
        .await?
        .rows_affected)
}

/// Revokes every access and refresh token of an account, and spends its
/// unexchanged codes, for every client (account recovery, a deletion
/// request, a password change that ends other sessions): refreshing or
/// exchanging is then `invalid_grant` and introspection says inactive.
pub async fn revoke_account(conn: &impl ConnectionTrait, account_id: &str) -> Result<u64, DbErr> {
    let now = platform::db::now();
    // Codes not yet exchanged are spent too: one issued a moment before
    // would otherwise still buy fresh tokens.
    code::Entity::update_many()
        .col_expr(code::Column::UsedAt, Expr::value(now))
        .filter(code::Column::AccountId.eq(account_id))
        .filter(code::Column::UsedAt.is_null())
        .exec(conn)
        .await?;
    Ok(token::Entity::update_many()
        .col_expr(token::Column::RevokedAt, Expr::value(now))
        .filter(token::Column::AccountId.eq(account_id))
        .filter(token::Column::RevokedAt.is_null())
        .exec(conn)
        .await?
        .rows_affected)
}

/// Deletes codes and tokens that expired more than a day ago, and pending
/// authorization requests that expired.
pub async fn purge(conn: &impl ConnectionTrait) -> Result<u64, DbErr> {
    let cutoff: OffsetDateTime = platform::db::now() - time::Duration::days(1);
    let codes = code::Entity::delete_many().filter(code::Column::ExpiresAt.lt(cutoff)).exec(conn).await?.rows_affected;
    let tokens =
        token::Entity::delete_many().filter(token::Column::ExpiresAt.lt(cutoff)).exec(conn).await?.rows_affected;
    let pushed = par::Entity::delete_many().filter(par::Column::ExpiresAt.lt(cutoff)).exec(conn).await?.rows_affected;
    let assertions =
        jti::Entity::delete_many().filter(jti::Column::ExpiresAt.lt(cutoff)).exec(conn).await?.rows_affected;
    // Anyone can make a pending request with a GET: they go as soon as they expire.
    let waiting = pending::Entity::delete_many()
        .filter(pending::Column::ExpiresAt.lt(platform::db::now()))
        .exec(conn)
        .await?
        .rows_affected;
    Ok(codes + tokens + pushed + assertions + waiting)
}

/// The clients an account has consented to, with their names.
pub async fn consents_for_account(
    conn: &impl ConnectionTrait,
    account_id: &str,
) -> Result<Vec<(consent::Model, String)>, DbErr> {
    let consents = consent::Entity::find().filter(consent::Column::AccountId.eq(account_id)).all(conn).await?;
    let mut out = Vec::with_capacity(consents.len());
    for c in consents {
        let name = client(conn, &c.client_id).await?.map(|c| c.name).unwrap_or_default();
        out.push((c, name));
    }
    Ok(out)
}

/// The accounts that have consented to a client (whose subjects it may know).
pub async fn accounts_consented_to(conn: &impl ConnectionTrait, client_id: &str) -> Result<Vec<String>, DbErr> {
    Ok(consent::Entity::find()
        .filter(consent::Column::ClientId.eq(client_id))
        .all(conn)
        .await?
        .into_iter()
        .map(|c| c.account_id)
        .collect())
}

/// Withdraws consent and revokes the client's tokens for the account.
pub async fn disconnect(conn: &impl ConnectionTrait, account_id: &str, client_id: &str) -> Result<bool, DbErr> {
    let removed =
        consent::Entity::delete_by_id((account_id.to_owned(), client_id.to_owned())).exec(conn).await?.rows_affected;
    token::Entity::update_many()
        .col_expr(token::Column::RevokedAt, Expr::value(platform::db::now()))
        .filter(token::Column::AccountId.eq(account_id))
        .filter(token::Column::ClientId.eq(client_id))
        .filter(token::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(removed == 1)
}

pub mod jti {
    //! `oidc_jti` rows: client-assertion IDs already used.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "oidc_jti")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub jti_mac: String,
        pub expires_at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Records an assertion ID; false if it was seen before (a replay).
pub async fn use_jti(conn: &impl ConnectionTrait, jti_mac: &str, expires_at: OffsetDateTime) -> Result<bool, DbErr> {
    if jti::Entity::find_by_id(jti_mac.to_owned()).one(conn).await?.is_some() {
        return Ok(false);
    }
    let inserted =
        jti::ActiveModel { jti_mac: Set(jti_mac.to_owned()), expires_at: Set(expires_at) }.insert(conn).await;
    match inserted {
        Ok(_) => Ok(true),
        Err(e) if platform::db::is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e),
    }
}

// ---- the reads behind every bearer request, userinfo and introspection: one round trip each

/// Every column of `E`, each as `<prefix><column>` (so joined tables never
/// clash, and `Model::from_query_result(row, prefix)` reads them back).
fn columns_of<E: EntityTrait>(q: &mut SelectStatement, prefix: &str) {
    for c in E::Column::iter() {
        q.expr_as(Expr::col((E::default(), c)), Alias::new(format!("{prefix}{}", c.as_str())));
    }
}

fn column_is<A: EntityTrait, B: EntityTrait>(a: A::Column, b: B::Column) -> Expr {
    Expr::col((A::default(), a)).equals((B::default(), b))
}

async fn rows(conn: &impl ConnectionTrait, q: &SelectStatement) -> Result<Vec<QueryResult>, DbErr> {
    conn.query_all(q).await
}

/// What a client may be told about an account: the account, the client,
/// the profile fields the person allowed it (JSON array, as consented) and
/// the person's profile values.
#[derive(Debug, Clone)]
pub struct Released {
    pub account: account::Model,
    pub client: client::Model,
    pub consented_fields: Option<String>,
    /// (field slug, value)
    pub profile: Vec<(String, String)>,
}

/// The client, the consent and the profile joined to a query that already
/// has the account (as `account`); one row per profile value, at least one.
fn join_released(q: &mut SelectStatement) {
    columns_of::<client::Entity>(q, "c_");
    q.expr_as(Expr::col((consent::Entity, consent::Column::Fields)), Alias::new("s_fields"))
        .expr_as(Expr::col((profile_field::Entity, profile_field::Column::Field)), Alias::new("p_field"))
        .expr_as(Expr::col((profile_field::Entity, profile_field::Column::Value)), Alias::new("p_value"))
        .left_join(
            consent::Entity,
            Condition::all()
                .add(column_is::<consent::Entity, account::Entity>(consent::Column::AccountId, account::Column::Id))
                .add(column_is::<consent::Entity, client::Entity>(consent::Column::ClientId, client::Column::ClientId)),
        )
        .left_join(
            profile_field::Entity,
            column_is::<profile_field::Entity, account::Entity>(
                profile_field::Column::PersonId,
                account::Column::PersonId,
            ),
        );
}

fn released_of(rows: &[QueryResult]) -> Result<Option<Released>, DbErr> {
    let Some(first) = rows.first() else { return Ok(None) };
    let mut profile = Vec::new();
    for row in rows {
        let field: Option<String> = row.try_get("", "p_field")?;
        let value: Option<String> = row.try_get("", "p_value")?;
        if let (Some(field), Some(value)) = (field, value) {
            profile.push((field, value));
        }
    }
    Ok(Some(Released {
        account: account::Model::from_query_result(first, "a_")?,
        client: client::Model::from_query_result(first, "c_")?,
        consented_fields: first.try_get("", "s_fields")?,
        profile,
    }))
}

/// [`Released`] for `account_id` and `client_id`, in one query (the ID
/// token's requested claims).
pub async fn released(
    conn: &impl ConnectionTrait,
    client_id: &str,
    account_id: &str,
) -> Result<Option<Released>, DbErr> {
    let mut q = Query::select();
    q.from(account::Entity);
    columns_of::<account::Entity>(&mut q, "a_");
    q.inner_join(client::Entity, client::Column::ClientId.eq(client_id));
    join_released(&mut q);
    q.and_where(account::Column::Id.eq(account_id));
    released_of(&rows(conn, &q).await?)
}

/// The token with MAC `token_mac` joined to its account, their columns
/// prefixed `t_` and `a_`: the start of the one-query reads below.
fn token_and_account(token_mac: &str) -> SelectStatement {
    let mut q = Query::select();
    q.from(token::Entity);
    columns_of::<token::Entity>(&mut q, "t_");
    columns_of::<account::Entity>(&mut q, "a_");
    q.inner_join(
        account::Entity,
        column_is::<account::Entity, token::Entity>(account::Column::Id, token::Column::AccountId),
    )
    .and_where(token::Column::TokenMac.eq(token_mac));
    q
}

/// A token with its account (the bearer of an API request), in one query.
pub async fn token_with_account(
    conn: &impl ConnectionTrait,
    token_mac: &str,
) -> Result<Option<(token::Model, account::Model)>, DbErr> {
    let q = token_and_account(token_mac);
    let Some(row) = rows(conn, &q).await?.into_iter().next() else { return Ok(None) };
    Ok(Some((token::Model::from_query_result(&row, "t_")?, account::Model::from_query_result(&row, "a_")?)))
}

/// A token with everything userinfo answers from ([`Released`] for its
/// account and client), in one query.
pub async fn token_with_released(
    conn: &impl ConnectionTrait,
    token_mac: &str,
) -> Result<Option<(token::Model, Released)>, DbErr> {
    let mut q = token_and_account(token_mac);
    q.inner_join(
        client::Entity,
        column_is::<client::Entity, token::Entity>(client::Column::ClientId, token::Column::ClientId),
    );
    join_released(&mut q);
    let rows = rows(conn, &q).await?;
    let Some(first) = rows.first() else { return Ok(None) };
    let token = token::Model::from_query_result(first, "t_")?;
    Ok(released_of(&rows)?.map(|released| (token, released)))
}

/// A client and, if it exists, a token (whoever it was issued to): the two
/// reads of an introspection, in one query.
pub async fn client_with_token(
    conn: &impl ConnectionTrait,
    client_id: &str,
    token_mac: &str,
) -> Result<Option<(client::Model, Option<token::Model>)>, DbErr> {
    let mut q = Query::select();
    q.from(client::Entity);
    columns_of::<client::Entity>(&mut q, "c_");
    columns_of::<token::Entity>(&mut q, "t_");
    q.left_join(token::Entity, token::Column::TokenMac.eq(token_mac)).and_where(client::Column::ClientId.eq(client_id));
    let Some(row) = rows(conn, &q).await?.into_iter().next() else { return Ok(None) };
    let token = match row.try_get::<Option<String>>("", "t_token_mac")? {
        Some(_) => Some(token::Model::from_query_result(&row, "t_")?),
        None => None,
    };
    Ok(Some((client::Model::from_query_result(&row, "c_")?, token)))
}
