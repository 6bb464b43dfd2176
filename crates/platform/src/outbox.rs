//! The notification outbox (DESIGN.md §7): domain code enqueues a message in
//! the same transaction as the change it announces; a worker claims due
//! messages under a lease, delivers them by e-mail (SMTP), SMS (webhook to a
//! gateway) or the development sink, and records the outcome, retrying with
//! exponential back-off. A worker killed mid-delivery loses nothing: its
//! lease runs out and another worker delivers the message (at least once).
//! Each claim carries a lease token; a worker renews the lease before each
//! delivery and records an outcome only while it still holds the token, so
//! two workers never both deliver a message whose lease ran out in a batch.
//! A message may carry a QR code ([`QrPicture`]): an e-mail then shows it as
//! a picture below its text (an HTML alternative with the PNG inline, the
//! plain text kept as the first alternative); an SMS carries the text alone.

use std::time::Duration;

use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType};
use sea_orm::{ActiveValue::Set, Condition, QueryOrder, QuerySelect};
use serde::Serialize;

use crate::app::{AppState, Shutdown};
use crate::config::{Config, MailTransport, SmsTransport, SmtpSecurity};
use crate::db;
use crate::i18n::Lang;

pub mod entity {
    //! `outbox` rows.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "outbox")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub channel: String,
        pub recipient: String,
        pub lang: String,
        pub subject: Option<String>,
        pub body: String,
        pub status: String,
        pub attempts: i32,
        pub next_attempt_at: TimeDateTimeWithTimeZone,
        pub locked_until: Option<TimeDateTimeWithTimeZone>,
        pub last_error: Option<String>,
        pub created_at: TimeDateTimeWithTimeZone,
        pub sent_at: Option<TimeDateTimeWithTimeZone>,
        /// Set by each claim; only its holder renews or records an outcome.
        pub lease_token: Option<String>,
        /// What the message's QR code holds, and the picture's description.
        pub qr: Option<String>,
        pub qr_alt: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// How a message travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Email,
    Sms,
    /// Straight to the development sink, whatever the transports are.
    Dev,
}

impl Channel {
    fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
            Channel::Dev => "dev",
        }
    }
}

/// A message to send, already written in the recipient's language.
#[derive(Debug, Clone)]
pub struct Notification {
    pub channel: Channel,
    /// An e-mail address, or a phone number in E.164 form (`+85291234567`).
    pub recipient: String,
    pub lang: Lang,
    /// E-mail subject; ignored for SMS.
    pub subject: Option<String>,
    pub body: String,
    /// A QR code an e-mail shows below its text; ignored for SMS.
    pub qr: Option<QrPicture>,
}

/// A QR code in a message: what it holds (a booking's reference, say, which
/// the text should also give, for anyone who cannot see the picture) and
/// the picture's text alternative in the recipient's language.
#[derive(Debug, Clone)]
pub struct QrPicture {
    pub payload: String,
    pub alt: String,
}

/// Why a message could not be enqueued.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error("recipient {0:?} is not a valid e-mail address")]
    BadEmail(String),
    #[error("recipient is not a phone number in E.164 form (+ and 8 to 15 digits)")]
    BadPhone,
    #[error("message body is empty or longer than 20000 characters")]
    BadBody,
    #[error("a QR code's text is empty or longer than 500 characters, or its description is empty")]
    BadQr,
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<OutboxError> for crate::error::AppError {
    fn from(e: OutboxError) -> Self {
        crate::error::AppError::internal(e)
    }
}

/// Adds `n` to the outbox inside the caller's transaction. Call
/// `state.outbox_wake.notify_one()` after commit to deliver at once.
pub async fn enqueue(conn: &impl ConnectionTrait, n: Notification) -> Result<String, OutboxError> {
    match n.channel {
        Channel::Email => {
            n.recipient.parse::<Mailbox>().map_err(|_| OutboxError::BadEmail(n.recipient.clone()))?;
        }
        Channel::Sms => {
            let digits = n.recipient.strip_prefix('+').ok_or(OutboxError::BadPhone)?;
            if !(8..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(OutboxError::BadPhone);
            }
        }
        Channel::Dev => {}
    }
    if n.body.is_empty() || n.body.chars().count() > 20_000 {
        return Err(OutboxError::BadBody);
    }
    if n.qr.as_ref().is_some_and(|q| q.payload.is_empty() || q.payload.len() > 500 || q.alt.trim().is_empty()) {
        return Err(OutboxError::BadQr);
    }
    let (qr, qr_alt) = n.qr.map(|q| (q.payload, q.alt.chars().take(300).collect())).unzip();
    let id = Uuid::now_v7().to_string();
    let now = db::now();
    entity::ActiveModel {
        id: Set(id.clone()),
        channel: Set(n.channel.as_str().to_owned()),
        recipient: Set(n.recipient),
        lang: Set(n.lang.tag().to_owned()),
        subject: Set(n.subject.map(|s| s.chars().take(300).collect())),
        body: Set(n.body),
        status: Set("pending".to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        locked_until: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
        lease_token: Set(None),
        qr: Set(qr),
        qr_alt: Set(qr_alt),
    }
    .insert(conn)
    .await?;
    Ok(id)
}

/// Messages waiting to be delivered.
pub async fn depth(db: &DatabaseConnection) -> Result<u64, DbErr> {
    entity::Entity::find().filter(entity::Column::Status.eq("pending")).count(db).await
}

/// Delivers messages over the configured transports.
#[derive(Clone)]
pub struct Deliverer {
    config: Config,
    smtp: Option<AsyncSmtpTransport<Tokio1Executor>>,
    http: reqwest::Client,
}

impl Deliverer {
    pub fn new(config: &Config) -> Self {
        let smtp = (config.mail.transport == MailTransport::Smtp)
            .then(|| smtp_transport(config))
            .and_then(|r| r.map_err(|e| tracing::error!(error = %e, "SMTP transport misconfigured")).ok());
        let http = reqwest::Client::builder().timeout(Duration::from_secs(15)).build().unwrap_or_default();
        Self { config: config.clone(), smtp, http }
    }

    async fn deliver(&self, m: &entity::Model) -> Result<(), String> {
        if goes_to_dev_sink(&self.config, &m.channel) {
            // The development sink: the log, and the row itself (admins read it).
            tracing::info!(id = %m.id, channel = %m.channel, recipient = %m.recipient, subject = ?m.subject, body = %m.body, "dev sink: notification");
            return Ok(());
        }
        match m.channel.as_str() {
            "email" => self.send_email(m).await,
            _ => self.send_sms(m).await,
        }
    }

    async fn send_email(&self, m: &entity::Model) -> Result<(), String> {
        let smtp = self.smtp.as_ref().ok_or("SMTP transport is not configured")?;
        let from: Mailbox = self.config.mail.from.parse().map_err(|e| format!("mail.from: {e}"))?;
        let to: Mailbox = m.recipient.parse().map_err(|e| format!("recipient: {e}"))?;
        let builder = lettre::Message::builder()
            .from(from)
            .to(to)
            .subject(m.subject.clone().unwrap_or_default())
            .message_id(Some(format!("<{}@lionrock>", m.id)));
        let message = match &m.qr {
            Some(payload) => {
                let alt = m.qr_alt.as_deref().unwrap_or(payload);
                builder.multipart(with_qr_picture(&m.body, &m.lang, payload, alt)?)
            }
            None => builder.header(ContentType::TEXT_PLAIN).body(m.body.clone()),
        }
        .map_err(|e| format!("building message: {e}"))?;
        smtp.send(message).await.map(|_| ()).map_err(|e| format!("SMTP: {e}"))
    }

    async fn send_sms(&self, m: &entity::Model) -> Result<(), String> {
        let sms = &self.config.sms;
        let mut request = self
            .http
            .post(&sms.webhook_url)
            // Lets the gateway drop a retry of a message it already sent.
            .header("idempotency-key", &m.id)
            .json(&serde_json::json!({ "id": m.id, "to": m.recipient, "message": m.body, "lang": m.lang }));
        if !sms.webhook_token.is_empty() {
            request = request.bearer_auth(sms.webhook_token.expose());
        }
        let response = request.send().await.map_err(|e| format!("SMS gateway: {}", e.without_url()))?;
        if response.status().is_success() { Ok(()) } else { Err(format!("SMS gateway answered {}", response.status())) }
    }
}

/// Pixels per QR module in an e-mail's picture, and the light margin
/// around the code in modules (the four the QR specification asks for).
const QR_SCALE: usize = 6;
const QR_QUIET: usize = 4;

/// `text` as plain text, or as HTML in `lang` with `payload`'s QR code as an
/// inline PNG below it (described by `alt`): clients that show no HTML
/// keep the text, which gives the code in words.
fn with_qr_picture(text: &str, lang: &str, payload: &str, alt: &str) -> Result<MultiPart, String> {
    let (png, side) = qr_png(payload)?;
    let html = format!(
        "<!DOCTYPE html><html lang=\"{}\"><body><div style=\"white-space:pre-wrap\">{}</div>\
         <p><img src=\"cid:qr\" alt=\"{}\" width=\"{side}\" height=\"{side}\"></p></body></html>",
        crate::form::escape(lang),
        crate::form::escape(text),
        crate::form::escape(alt),
    );
    let png_type = ContentType::parse("image/png").map_err(|e| format!("image/png: {e}"))?;
    Ok(MultiPart::alternative().singlepart(SinglePart::plain(text.to_owned())).multipart(
        MultiPart::related()
            .singlepart(SinglePart::html(html))
            .singlepart(Attachment::new_inline("qr".to_owned()).body(png, png_type)),
    ))
}

/// `payload`'s QR code as a greyscale PNG, and its side in pixels.
fn qr_png(payload: &str) -> Result<(Vec<u8>, usize), String> {
    let code = qrcode::QrCode::new(payload.as_bytes()).map_err(|e| format!("QR code: {e}"))?;
    let modules = code.width();
    let dark = code.to_colors();
    let side = (modules + 2 * QR_QUIET) * QR_SCALE;
    let mut pixels = vec![255u8; side * side];
    for (i, colour) in dark.iter().enumerate() {
        if *colour != qrcode::Color::Dark {
            continue;
        }
        let (x, y) = ((i % modules + QR_QUIET) * QR_SCALE, (i / modules + QR_QUIET) * QR_SCALE);
        for row in y..y + QR_SCALE {
            pixels[row * side + x..row * side + x + QR_SCALE].fill(0);
        }
    }
    let mut png = Vec::new();
    let edge = u32::try_from(side).map_err(|_| "QR code too large".to_owned())?;
    let mut encoder = png::Encoder::new(&mut png, edge, edge);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| format!("PNG: {e}"))?;
    writer.write_image_data(&pixels).map_err(|e| format!("PNG: {e}"))?;
    writer.finish().map_err(|e| format!("PNG: {e}"))?;
    Ok((png, side))
}

/// Whether messages of `channel` go to the development sink (the log and
/// the operators' page) rather than a real transport.
pub fn goes_to_dev_sink(config: &Config, channel: &str) -> bool {
    match channel {
        "email" => config.mail.transport == MailTransport::Dev,
        "sms" => config.sms.transport == SmsTransport::Dev,
        _ => true,
    }
}

fn smtp_transport(config: &Config) -> Result<AsyncSmtpTransport<Tokio1Executor>, lettre::transport::smtp::Error> {
    let mail = &config.mail;
    let mut builder = match mail.smtp_security {
        SmtpSecurity::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&mail.smtp_host),
        SmtpSecurity::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&mail.smtp_host)?,
        SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&mail.smtp_host)?,
    }
    .port(mail.smtp_port)
    .timeout(Some(Duration::from_secs(20)));
    if !mail.smtp_username.is_empty() {
        builder =
            builder.credentials(Credentials::new(mail.smtp_username.clone(), mail.smtp_password.expose().to_owned()));
    }
    Ok(builder.build())
}

fn seconds(s: u64) -> time::Duration {
    time::Duration::seconds(i64::try_from(s).unwrap_or(i64::MAX))
}

/// The wait before attempt `attempts + 1`: base × 2^(attempts−1), capped,
/// with up to 10% jitter so retries from many messages spread out.
pub fn backoff(config: &Config, attempts: u32) -> time::Duration {
    let o = &config.outbox;
    let exp = o.backoff_base_secs.saturating_mul(1u64 << std::cmp::min(attempts.saturating_sub(1), 30));
    let capped = std::cmp::min(exp, o.backoff_max_secs);
    let jitter_ms = (u64::from(crate::crypto::random_bytes::<2>()[0]) * capped * 100) / 255;
    time::Duration::seconds(i64::try_from(capped).unwrap_or(i64::MAX))
        + time::Duration::milliseconds(i64::try_from(jitter_ms).unwrap_or(0))
}

/// How long one delivery may take before it is abandoned (and retried):
/// well inside the lease, so a lease never runs out during a delivery.
pub fn delivery_deadline(config: &Config) -> Duration {
    Duration::from_millis(config.outbox.lease_secs.saturating_mul(1000) * 3 / 4)
}

/// Claims up to `limit` due messages for this worker (lease), in one
/// transaction; `FOR UPDATE SKIP LOCKED` keeps workers on other servers off
/// them. The claim carries a fresh lease token: only its holder may renew the
/// lease or record an outcome.
pub async fn claim(db: &DatabaseConnection, config: &Config, limit: u64) -> Result<Vec<entity::Model>, DbErr> {
    let txn = db::begin_write(db).await?;
    let now = db::now();
    // Claimed as often as allowed without an outcome (each attempt crashed
    // its worker, or hung past its lease): give up rather than try forever.
    let given_up = entity::Entity::update_many()
        .col_expr(entity::Column::Status, Expr::value("failed"))
        .col_expr(
            entity::Column::LastError,
            Expr::value(format!("no outcome after {} attempts", config.outbox.max_attempts)),
        )
        .col_expr(entity::Column::LeaseToken, Expr::value(Option::<String>::None))
        .filter(entity::Column::Status.eq("pending"))
        .filter(entity::Column::Attempts.gte(i32::try_from(config.outbox.max_attempts).unwrap_or(i32::MAX)))
        .filter(entity::Column::LockedUntil.lte(now))
        .exec(&txn)
        .await?
        .rows_affected;
    if given_up > 0 {
        tracing::error!(given_up, "notifications failed for good: claimed as often as allowed without an outcome");
        metrics::counter!("outbox_failed_total", "channel" => "unknown").increment(given_up);
    }
    let due = entity::Entity::find()
        .filter(entity::Column::Status.eq("pending"))
        .filter(entity::Column::NextAttemptAt.lte(now))
        .filter(Condition::any().add(entity::Column::LockedUntil.is_null()).add(entity::Column::LockedUntil.lte(now)))
        .order_by_asc(entity::Column::NextAttemptAt)
        .limit(limit)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .all(&txn)
        .await?;
    if due.is_empty() {
        txn.commit().await?;
        return Ok(due);
    }
    let ids: Vec<String> = due.iter().map(|m| m.id.clone()).collect();
    let lease_end = now + seconds(config.outbox.lease_secs);
    let token = hex::encode(crate::crypto::random_bytes::<16>());
    entity::Entity::update_many()
        .col_expr(entity::Column::LockedUntil, Expr::value(lease_end))
        .col_expr(entity::Column::LeaseToken, Expr::value(token.clone()))
        .col_expr(entity::Column::Attempts, Expr::col(entity::Column::Attempts).add(1))
        .filter(entity::Column::Id.is_in(ids))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(due
        .into_iter()
        .map(|mut m| {
            m.attempts += 1;
            m.locked_until = Some(lease_end);
            m.lease_token = Some(token.clone());
            m
        })
        .collect())
}

/// The row, if it is still pending and leased to the holder of `m`'s token.
fn still_ours(m: &entity::Model) -> Condition {
    Condition::all()
        .add(entity::Column::Id.eq(m.id.clone()))
        .add(entity::Column::Status.eq("pending"))
        .add(entity::Column::LeaseToken.eq(m.lease_token.clone().unwrap_or_default()))
}

/// Extends from now the lease of every message of one claim that is still
/// pending under `token`; returns how many it extended.
pub async fn renew(db: &DatabaseConnection, config: &Config, token: &str) -> Result<u64, DbErr> {
    let lease_end = db::now() + seconds(config.outbox.lease_secs);
    let done = entity::Entity::update_many()
        .col_expr(entity::Column::LockedUntil, Expr::value(lease_end))
        .filter(entity::Column::Status.eq("pending"))
        .filter(entity::Column::LeaseToken.eq(token))
        .exec(db)
        .await?;
    Ok(done.rows_affected)
}

/// Records a delivery's outcome, if this worker still holds the lease.
/// Returns false when it no longer does: then the outcome is dropped, so a
/// stale worker can never write `failed` over another worker's `sent`.
pub async fn record_outcome(
    db: &DatabaseConnection,
    config: &Config,
    m: &entity::Model,
    outcome: Result<(), String>,
) -> Result<bool, DbErr> {
    let now = db::now();
    let mut update = entity::Entity::update_many()
        .col_expr(entity::Column::LockedUntil, Expr::value(Option::<TimeDateTimeWithTimeZone>::None))
        .col_expr(entity::Column::LeaseToken, Expr::value(Option::<String>::None));
    let counter = match &outcome {
        Ok(()) => {
            update = update
                .col_expr(entity::Column::Status, Expr::value("sent"))
                .col_expr(entity::Column::SentAt, Expr::value(Some(now)))
                .col_expr(entity::Column::LastError, Expr::value(Option::<String>::None));
            "outbox_delivered_total"
        }
        Err(error) => {
            let attempts = u32::try_from(m.attempts).unwrap_or(u32::MAX);
            update =
                update.col_expr(entity::Column::LastError, Expr::value(error.chars().take(500).collect::<String>()));
            if attempts >= config.outbox.max_attempts {
                update = update.col_expr(entity::Column::Status, Expr::value("failed"));
                "outbox_failed_total"
            } else {
                update = update.col_expr(entity::Column::NextAttemptAt, Expr::value(now + backoff(config, attempts)));
                "outbox_retries_total"
            }
        }
    };
    let done = update.filter(still_ours(m)).exec(db).await?;
    if done.rows_affected != 1 {
        tracing::warn!(id = %m.id, channel = %m.channel, "outbox lease lost before the outcome was recorded; outcome dropped");
        metrics::counter!("outbox_lease_lost_total", "channel" => m.channel.clone()).increment(1);
        return Ok(false);
    }
    metrics::counter!(counter, "channel" => m.channel.clone()).increment(1);
    match outcome {
        Ok(()) => {}
        Err(error) if counter == "outbox_failed_total" => {
            tracing::error!(id = %m.id, channel = %m.channel, attempts = m.attempts, %error, "notification failed for good");
        }
        Err(error) => {
            tracing::warn!(id = %m.id, channel = %m.channel, attempts = m.attempts, %error, "notification delivery failed; will retry");
        }
    }
    Ok(true)
}

/// Messages claimed at once. Their leases are renewed together before each
/// delivery, so none runs out while the batch is worked through.
const BATCH: u64 = 10;

/// One pass: claim due messages, then deliver them one by one, each within
/// the deadline, renewing the batch's leases before each delivery and
/// recording each outcome under the lease token. If a renewal finds fewer
/// messages than are left (a lease ran out, say while the database was
/// unreachable, and another worker took them), the rest of the batch is left
/// to whoever holds it now. Returns how many were claimed.
pub async fn deliver_due(db: &DatabaseConnection, config: &Config, deliverer: &Deliverer) -> Result<usize, DbErr> {
    let batch = claim(db, config, BATCH).await?;
    let token = batch.first().and_then(|m| m.lease_token.clone()).unwrap_or_default();
    for (done, m) in batch.iter().enumerate() {
        let left = u64::try_from(batch.len() - done).unwrap_or(u64::MAX);
        if renew(db, config, &token).await? < left {
            tracing::warn!(left, "outbox lease lost mid-batch; leaving the rest to its holder");
            metrics::counter!("outbox_lease_lost_total", "channel" => m.channel.clone()).increment(1);
            break;
        }
        let deadline = delivery_deadline(config);
        // A task of its own, so a panicking transport fails this delivery
        // (and is recorded) instead of taking the worker down with it.
        let task = {
            let (deliverer, m) = (deliverer.clone(), m.clone());
            tokio::spawn(async move { deliverer.deliver(&m).await })
        };
        // If this worker is cancelled (shutdown), so is the delivery: it must
        // not carry on unrecorded while its lease runs out.
        let cancel_with_worker = crate::app::AbortOnDrop(task.abort_handle());
        let outcome = match tokio::time::timeout(deadline, task).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(e)) if e.is_panic() => Err("delivery panicked".to_owned()),
            Ok(Err(_)) => Err("delivery was cancelled".to_owned()),
            Err(_) => {
                cancel_with_worker.0.abort();
                Err(format!("delivery took longer than {} s", deadline.as_secs_f32()))
            }
        };
        record_outcome(db, config, m, outcome).await?;
    }
    Ok(batch.len())
}

/// The delivery loop: polls, and wakes early when something is enqueued.
pub async fn run_worker(state: AppState, mut shutdown: Shutdown) {
    let deliverer = Deliverer::new(&state.config);
    let poll = Duration::from_secs(state.config.outbox.poll_secs);
    tracing::info!("outbox worker started");
    loop {
        if shutdown.is_triggered() {
            break;
        }
        let tried = match deliver_due(&state.db, &state.config, &deliverer).await {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(error = %e, "outbox pass failed");
                0
            }
        };
        if tried > 0 {
            continue;
        }
        tokio::select! {
            () = state.outbox_wake.notified() => {}
            () = tokio::time::sleep(poll) => {}
            () = shutdown.wait() => break,
        }
    }
    tracing::info!("outbox worker stopped");
}

/// Recent messages, newest first, for the operators' page.
pub async fn recent_messages(db: &DatabaseConnection, limit: u64) -> Result<Vec<entity::Model>, DbErr> {
    entity::Entity::find().order_by_desc(entity::Column::CreatedAt).limit(limit).all(db).await
}

/// One page of messages, newest first (by creation time, then ID), after
/// `after`; fetches one row more than `limit`, so the caller knows whether
/// another page follows.
pub async fn page_newest_first(
    db: &DatabaseConnection,
    limit: u64,
    after: Option<&crate::paging::Cursor>,
) -> Result<Vec<entity::Model>, DbErr> {
    let mut query = entity::Entity::find().order_by_desc(entity::Column::CreatedAt).order_by_desc(entity::Column::Id);
    if let Some(c) = after {
        query =
            query.filter(Condition::any().add(entity::Column::CreatedAt.lt(c.at)).add(
                Condition::all().add(entity::Column::CreatedAt.eq(c.at)).add(entity::Column::Id.lt(c.id.as_str())),
            ));
    }
    query.limit(limit.saturating_add(1)).all(db).await
}

/// Deletes delivered messages older than `outbox.retention_days` (and failed
/// ones after four times that): their text can hold codes and personal data.
pub async fn purge_old(db: &DatabaseConnection, config: &Config) -> Result<u64, DbErr> {
    let days = i64::from(config.outbox.retention_days);
    let now = db::now();
    let sent = entity::Entity::delete_many()
        .filter(entity::Column::Status.eq("sent"))
        .filter(entity::Column::CreatedAt.lt(now - time::Duration::days(days)))
        .exec(db)
        .await?
        .rows_affected;
    let failed = entity::Entity::delete_many()
        .filter(entity::Column::Status.eq("failed"))
        .filter(entity::Column::CreatedAt.lt(now - time::Duration::days(days * 4)))
        .exec(db)
        .await?
        .rows_affected;
    Ok(sent + failed)
}

/// Enqueues `n` in a transaction of its own and wakes the worker.
pub async fn enqueue_now(state: &AppState, n: Notification) -> Result<String, OutboxError> {
    let txn = db::begin_write(&state.db).await?;
    let id = enqueue(&txn, n).await?;
    txn.commit().await?;
    state.outbox_wake.notify_one();
    Ok(id)
}
