//! Caps on one-time codes sent by SMS (DESIGN §6). Every SMS costs money,
//! and a form that sends one to any number invites "SMS pumping": so codes
//! are counted per number, per network address and overall, per UTC day,
//! in the database (every server sees one count). A tripped cap sends
//! nothing, bumps `lionrock_sms_cap_tripped_total{cap=…}` and logs one line
//! with the number masked.
//!
//! A send is counted whether or not the number has an account, so a cap
//! says nothing about who is registered.
//!
//! Codes (and the notices that stand in for them) by e-mail are capped per
//! address per day the same way, in the same table, under the address's
//! MAC (`guesses::to_key`): a form that sends mail to any address must not
//! become a way to flood a mailbox.

use platform::app::AppState;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveValue::Set, ConnectionTrait};

use crate::model::Phone;

pub mod entity {
    //! `code_send_count` rows: codes sent under one key on one day.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "code_send_count")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub key: String,
        /// The UTC day, `YYYY-MM-DD`.
        #[sea_orm(primary_key, auto_increment = false)]
        pub day: String,
        pub sent: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Which cap stopped a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cap {
    Number,
    Ip,
    Day,
    /// E-mail to one address.
    Address,
}

impl Cap {
    fn as_str(self) -> &'static str {
        match self {
            Cap::Number => "number",
            Cap::Ip => "ip",
            Cap::Day => "day",
            Cap::Address => "address",
        }
    }
}

/// A UTC day as the table keys it, `YYYY-MM-DD`.
fn day(t: time::OffsetDateTime) -> String {
    let d = t.date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Counts one send under `key` unless it has reached `cap` today.
async fn take_one(conn: &impl ConnectionTrait, key: &str, day: &str, cap: u32) -> Result<bool, DbErr> {
    let cap = i32::try_from(cap).unwrap_or(i32::MAX);
    for _ in 0..2 {
        let counted = entity::Entity::update_many()
            .col_expr(entity::Column::Sent, Expr::col(entity::Column::Sent).add(1))
            .filter(entity::Column::Key.eq(key))
            .filter(entity::Column::Day.eq(day))
            .filter(entity::Column::Sent.lt(cap))
            .exec(conn)
            .await?;
        if counted.rows_affected == 1 {
            return Ok(true);
        }
        if entity::Entity::find_by_id((key.to_owned(), day.to_owned())).one(conn).await?.is_some() {
            return Ok(false);
        }
        // The first send of the day under this key (or another request's, if it won the race).
        let first = entity::ActiveModel { key: Set(key.to_owned()), day: Set(day.to_owned()), sent: Set(1) };
        let inserted = entity::Entity::insert(first)
            .on_conflict(OnConflict::columns([entity::Column::Key, entity::Column::Day]).do_nothing().to_owned())
            .exec_without_returning(conn)
            .await?;
        if inserted == 1 {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The per-number cap's key for `phone`.
pub fn number_key(state: &AppState, phone: &Phone) -> String {
    format!("n:{}", state.keys.blind_index("identity.sms-cap.number", phone.as_str()))
}

/// Counts a code to `phone` asked for from `ip`, in the caller's
/// transaction; `Err(cap)` when a cap is reached (then roll back: nothing
/// is sent, and nothing stays counted).
pub async fn allow(
    state: &AppState,
    conn: &impl ConnectionTrait,
    phone: &Phone,
    ip: &str,
) -> Result<Result<(), Cap>, DbErr> {
    count(state, conn, Some((number_key(state, phone), phone.masked())), ip).await
}

/// As `allow`, for a resend: the number is known by its cap key (kept on
/// the verification), so a decoy's resend counts exactly as a real one's.
/// `None` only for a verification from before the key was kept.
pub async fn allow_resend(
    state: &AppState,
    conn: &impl ConnectionTrait,
    number_key: Option<&str>,
    ip: &str,
) -> Result<Result<(), Cap>, DbErr> {
    count(state, conn, number_key.map(|k| (k.to_owned(), String::new())), ip).await
}

/// `number`: the per-number key and the masked number for the log.
async fn count(
    state: &AppState,
    conn: &impl ConnectionTrait,
    number: Option<(String, String)>,
    ip: &str,
) -> Result<Result<(), Cap>, DbErr> {
    let sms = &crate::settings::of(state).settings;
    let today = day(platform::db::now());
    let mut caps = vec![
        (Cap::Day, "all".to_owned(), sms.sms_max_per_day),
        (Cap::Ip, format!("i:{}", state.keys.blind_index("identity.sms-cap.ip", ip)), sms.sms_max_per_ip_per_day),
    ];
    let masked = number.as_ref().map(|(_, m)| m.clone()).unwrap_or_default();
    if let Some((key, _)) = number {
        caps.insert(1, (Cap::Number, key, sms.sms_max_per_number_per_day));
    }
    for (cap, key, limit) in caps {
        if !take_one(conn, &key, &today, limit).await? {
            metrics::counter!("lionrock_sms_cap_tripped_total", "cap" => cap.as_str()).increment(1);
            tracing::warn!(cap = cap.as_str(), number = %masked, "SMS cap reached: one-time code not sent");
            return Ok(Err(cap));
        }
    }
    Ok(Ok(()))
}

/// Counts an e-mail to the address whose MAC is `to_key` (kept on the
/// verification, a decoy's too), in the caller's transaction;
/// `Err(Cap::Address)` when the address has had its day's share (then roll
/// back: nothing is sent). The log line names no address.
pub async fn allow_email(
    state: &AppState,
    conn: &impl ConnectionTrait,
    to_key: &str,
) -> Result<Result<(), Cap>, DbErr> {
    let limit = crate::settings::of(state).settings.email_max_per_address_per_day;
    let today = day(platform::db::now());
    if !take_one(conn, &format!("e:{to_key}"), &today, limit).await? {
        metrics::counter!("lionrock_email_cap_tripped_total").increment(1);
        tracing::warn!("e-mail cap reached: one-time code not sent");
        return Ok(Err(Cap::Address));
    }
    Ok(Ok(()))
}

/// Counts older than a week, for the periodic job.
pub(crate) async fn purge(conn: &impl ConnectionTrait) -> Result<u64, DbErr> {
    let cutoff = day(platform::db::now() - time::Duration::days(7));
    Ok(entity::Entity::delete_many().filter(entity::Column::Day.lt(cutoff)).exec(conn).await?.rows_affected)
}
