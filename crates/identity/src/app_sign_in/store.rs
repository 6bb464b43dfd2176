//! App sign-in's `app_sign_in` rows and every change to them: a new request
//! (its code and browser binding kept only as MACs), finding it by binding or
//! code, approving or refusing it (number picks counted in the row, each
//! decision audited in its transaction and announced on the event bus), the
//! single-use collection of the sign-in, and the purge.

use platform::app::AppState;
use platform::audit::{self, AuditEntry};
use platform::error::AppError;
use platform::principal::Principal;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::Expr;

use super::{Approval, Decided, LIFETIME, Outcome, Pick, Request, Started, Status, Strength};
use crate::guesses::{self, Claim, Secret};
use crate::store;

pub mod entity {
    //! `app_sign_in` rows: one browser waiting to be signed in by another device.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "app_sign_in")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub code_mac: String,
        pub browser_mac: String,
        pub user_agent: Option<String>,
        pub ip: Option<String>,
        /// The name of its [`Status`](super::super::Status).
        pub status: String,
        pub approved_by: Option<String>,
        pub created_at: TimeDateTimeWithTimeZone,
        pub expires_at: TimeDateTimeWithTimeZone,
        /// Where the waiting browser goes once signed in (a path on this site).
        pub next: Option<String>,
        /// The number the waiting browser shows (10–99).
        pub number: Option<i16>,
        /// The numbers the approver picks from, space-separated.
        pub choices: Option<String>,
        pub wrong_picks: i32,
        /// The approving session's strength (the name of a
        /// [`Strength`](super::super::Strength)) and authentication time
        /// (Unix seconds), which the new session carries.
        pub approver_strength: Option<String>,
        pub approver_authenticated_at: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

fn code_mac(state: &AppState, code: &str) -> String {
    state.keys.blind_index("identity.app-sign-in.code", code)
}

fn browser_mac(state: &AppState, binding: &str) -> String {
    state.keys.blind_index("identity.app-sign-in.browser", binding)
}

/// The request a row holds.
fn request(row: entity::Model) -> Result<Request, DbErr> {
    let unknown = |what: &str, name: &str| DbErr::Type(format!("app_sign_in {what} {name:?} is unknown"));
    let status = Status::named(&row.status).ok_or_else(|| unknown("status", &row.status))?;
    let strength = match row.approver_strength.as_deref() {
        Some(name) => Some(Strength::named(name).ok_or_else(|| unknown("strength", name))?),
        None => None,
    };
    let approval = match (row.approved_by, strength, row.approver_authenticated_at) {
        (Some(account_id), Some(strength), Some(authenticated_at)) => {
            Some(Approval { account_id, strength, authenticated_at })
        }
        _ => None,
    };
    Ok(Request {
        id: row.id,
        user_agent: row.user_agent,
        ip: row.ip,
        status,
        created_at: row.created_at,
        expires_at: row.expires_at,
        next: row.next,
        number: row.number,
        choices: row.choices.as_deref().unwrap_or("").split_whitespace().map(str::to_owned).collect(),
        approval,
    })
}

/// A random index below `n` (at most 256), without modulo bias.
fn random_below(n: usize) -> usize {
    let limit = 256 - 256 % n;
    loop {
        let [b] = platform::crypto::random_bytes::<1>();
        if usize::from(b) < limit {
            return usize::from(b) % n;
        }
    }
}

/// A new request from the browser with `user_agent` at `ip`, going on to
/// `next` (a safe path on this site) once signed in.
pub(crate) async fn start(
    state: &AppState,
    user_agent: Option<&str>,
    ip: &str,
    next: Option<&str>,
) -> Result<Started, AppError> {
    let code = platform::crypto::random_token();
    let binding = platform::crypto::random_token();
    let now = platform::db::now();
    let (number, choices) = super::number_and_choices(random_below);
    let choices = choices.iter().map(i16::to_string).collect::<Vec<_>>().join(" ");
    let row = entity::ActiveModel {
        id: Set(Uuid::now_v7().to_string()),
        code_mac: Set(code_mac(state, &code)),
        browser_mac: Set(browser_mac(state, &binding)),
        user_agent: Set(user_agent.map(|ua| ua.chars().take(300).collect())),
        ip: Set(Some(ip.to_owned())),
        status: Set(Status::Pending.name().to_owned()),
        approved_by: Set(None),
        created_at: Set(now),
        expires_at: Set(now + LIFETIME),
        next: Set(next.map(str::to_owned)),
        number: Set(Some(number)),
        choices: Set(Some(choices)),
        wrong_picks: Set(0),
        approver_strength: Set(None),
        approver_authenticated_at: Set(None),
    }
    .insert(&state.db)
    .await?;
    Ok(Started { request: request(row)?, code, binding })
}

/// The request `id`, if the browser whose cookie carries `binding` asked for it.
pub(crate) async fn bound(state: &AppState, binding: &str, id: &str) -> Result<Option<Request>, AppError> {
    let row = entity::Entity::find_by_id(id.to_owned()).one(&state.db).await?;
    Ok(row.filter(|r| crate::model::same(&r.browser_mac, &browser_mac(state, binding))).map(request).transpose()?)
}

/// The request whose QR code carries `code`, while it waits.
pub(crate) async fn pending_by_code(state: &AppState, code: &str) -> Result<Option<Request>, AppError> {
    if code.is_empty() || code.len() > 100 {
        return Ok(None);
    }
    let row = entity::Entity::find().filter(entity::Column::CodeMac.eq(code_mac(state, code))).one(&state.db).await?;
    let request = row.map(request).transpose()?;
    Ok(request.filter(|r| r.outcome(platform::db::now()) == Outcome::Pending))
}

/// The name of the service whose pending authorization request `next`
/// continues, if it is one. Only a request the server holds (validated
/// when it arrived) names a service: a link that merely carries a
/// `client_id` could make the approver see any service's name.
pub(crate) async fn asking_service(state: &AppState, next: Option<&str>) -> Result<Option<String>, AppError> {
    let Some(pending) = super::pending_authorization(next) else { return Ok(None) };
    let Some(held) = crate::oidc::held_request(state, &pending).await? else { return Ok(None) };
    Ok(crate::oidc::store::client(&state.db, &held.client_id).await?.map(|c| c.name))
}

/// Collects an approved request's sign-in, once (even with two tabs racing:
/// only one update finds it approved): the principal of the approving
/// account, with the approver's proof as it was when they approved, never
/// fresher or stronger. None when it was collected already or the account
/// is no longer active.
pub(crate) async fn collect(state: &AppState, request: &Request) -> Result<Option<Principal>, AppError> {
    let taken = entity::Entity::update_many()
        .col_expr(entity::Column::Status, Expr::value(Status::Used.name()))
        .filter(entity::Column::Id.eq(&request.id))
        .filter(entity::Column::Status.eq(Status::Approved.name()))
        .exec(&state.db)
        .await?
        .rows_affected
        == 1;
    let Some(approval) = request.approval.as_ref().filter(|_| taken) else { return Ok(None) };
    let account = store::account_by_id(&state.db, &approval.account_id)
        .await?
        .filter(|a| a.status == store::account::Status::Active);
    let Some(account) = account else { return Ok(None) };
    let principal =
        store::principal_approved_on_another_device(&account, approval.strength.into(), approval.authenticated_at)?;
    Ok(Some(principal))
}

/// Wakes the waiting browser, on whichever server holds it.
async fn announce(state: &AppState, id: &str) {
    if let Err(error) = state.events.publish(&state.db, &Decided { id: id.to_owned() }).await {
        // The decision is committed; a waiter still sees it when its hold ends.
        tracing::warn!(%error, "app sign-in decision not announced");
    }
}

fn audit_entry(principal: &Principal, action: &str, id: &str) -> AuditEntry {
    AuditEntry::new(format!("account:{}", principal.account_id), action, format!("app_sign_in:{id}"))
}

/// Refuses a pending request, and wakes its waiting browser; false when it
/// no longer waits.
pub(crate) async fn refuse(state: &AppState, principal: &Principal, id: &str) -> Result<bool, AppError> {
    let txn = platform::db::begin_write(&state.db).await?;
    let refused = entity::Entity::update_many()
        .col_expr(entity::Column::Status, Expr::value(Status::Denied.name()))
        .filter(entity::Column::Id.eq(id))
        .filter(entity::Column::Status.eq(Status::Pending.name()))
        .exec(&txn)
        .await?
        .rows_affected
        == 1;
    if refused {
        audit::record(&txn, &state.keys, audit_entry(principal, "account.app_sign_in_denied", id)).await?;
    }
    txn.commit().await?;
    if refused {
        announce(state, id).await;
    }
    Ok(refused)
}

/// Checks the picked number in one write transaction: right approves with
/// the approver's proof; wrong is counted, and the last allowed wrong pick
/// refuses the request. A decision wakes the waiting browser.
pub(crate) async fn pick(state: &AppState, principal: &Principal, id: &str, picked: &str) -> Result<Pick, AppError> {
    let outcome = decide_pick(state, principal, id, picked).await?;
    if matches!(outcome, Pick::Approved | Pick::Ended) {
        announce(state, id).await;
    }
    Ok(outcome)
}

async fn decide_pick(state: &AppState, principal: &Principal, id: &str, picked: &str) -> Result<Pick, AppError> {
    use sea_orm::sea_query::ExprTrait;
    let pending = || {
        entity::Entity::update_many()
            .filter(entity::Column::Id.eq(id))
            .filter(entity::Column::Status.eq(Status::Pending.name()))
    };
    let txn = platform::db::begin_write(&state.db).await?;
    let row = entity::Entity::find_by_id(id.to_owned()).one(&txn).await?.map(request).transpose()?;
    let row = row.filter(|r| r.outcome(platform::db::now()) == Outcome::Pending);
    let Some(number) = row.and_then(|r| r.number) else {
        txn.rollback().await?;
        return Ok(Pick::Gone);
    };
    // Every pick is claimed under the approving account before it is
    // checked, across requests; a right one clears the run.
    let approver = principal.account_id.to_string();
    let key = guesses::account_key(state, Secret::Approval, &approver);
    if let Claim::Throttled { minutes } =
        guesses::claim(state, &txn, Secret::Approval, std::slice::from_ref(&key), Some(&approver)).await?
    {
        txn.rollback().await?;
        return Ok(Pick::Throttled { minutes });
    }
    if super::is_right(number, picked) {
        guesses::clear(&txn, &[key]).await?;
        let approved = pending()
            .col_expr(entity::Column::Status, Expr::value(Status::Approved.name()))
            .col_expr(entity::Column::ApprovedBy, Expr::value(principal.account_id.to_string()))
            .col_expr(entity::Column::ApproverStrength, Expr::value(Strength::from(principal.strength).name()))
            .col_expr(entity::Column::ApproverAuthenticatedAt, Expr::value(principal.authenticated_at))
            .exec(&txn)
            .await?
            .rows_affected
            == 1;
        if !approved {
            txn.rollback().await?;
            return Ok(Pick::Gone);
        }
        audit::record(&txn, &state.keys, audit_entry(principal, "account.app_sign_in_approved", id)).await?;
        txn.commit().await?;
        return Ok(Pick::Approved);
    }
    // Counted in one statement (concurrent picks each count), then read back.
    let counted = pending()
        .col_expr(entity::Column::WrongPicks, Expr::col(entity::Column::WrongPicks).add(1))
        .exec(&txn)
        .await?
        .rows_affected
        == 1;
    let wrong_picks = match entity::Entity::find_by_id(id.to_owned()).one(&txn).await? {
        Some(row) if counted => row.wrong_picks,
        _ => {
            txn.rollback().await?;
            return Ok(Pick::Gone);
        }
    };
    audit::record(&txn, &state.keys, audit_entry(principal, "account.app_sign_in_wrong_number", id)).await?;
    let outcome = Pick::wrong(wrong_picks);
    if outcome == Pick::Ended {
        pending().col_expr(entity::Column::Status, Expr::value(Status::Denied.name())).exec(&txn).await?;
        audit::record(&txn, &state.keys, audit_entry(principal, "account.app_sign_in_denied", id)).await?;
    }
    txn.commit().await?;
    Ok(outcome)
}

/// Deletes requests that ended more than a day ago.
pub(crate) async fn purge(conn: &impl ConnectionTrait) -> Result<u64, DbErr> {
    let before = platform::db::now() - time::Duration::days(1);
    Ok(entity::Entity::delete_many().filter(entity::Column::ExpiresAt.lt(before)).exec(conn).await?.rows_affected)
}
