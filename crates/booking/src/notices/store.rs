//! Notices into the outbox, in the caller's transaction: each written in
//! the holder's language from `booking-notice-*` in `i18n/*/booking.ftl`.
//! Nothing here reads bookings: callers say what the notice is `About`.

use platform::app::AppState;
use platform::contracts::Contact;
use platform::error::AppError;
use platform::outbox::{Channel, Notification, QrPicture};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

use super::{About, Notice, confirmation_path};
use crate::bookings::Reference;

/// A slot's local start as a resident reads it in a message: `2026-12-02 09:00`.
pub fn local_start(state: &AppState, t: time::OffsetDateTime) -> String {
    let local = state.to_local(t);
    format!("{} {:02}:{:02}", local.date(), local.hour(), local.minute())
}

/// `notice` about `booked`, to `contact`, in their language.
pub fn message(state: &AppState, notice: Notice, contact: &Contact, about: &About) -> Notification {
    let lang = contact.lang;
    let reference = Reference::parse(&about.reference).map(|r| r.display()).unwrap_or_else(|| about.reference.clone());
    let link = format!("{}/{}{}", state.public_url(), lang.prefix(), confirmation_path(&about.booking_id));
    let (programme, centre, address) = (&about.programme, &about.centre, &about.address);
    let time = local_start(state, about.starts_at);
    let args = [
        ("reference", reference.as_str()),
        ("programme", programme.get(lang)),
        ("centre", centre.get(lang)),
        ("address", address.get(lang)),
        ("time", time.as_str()),
        ("link", link.as_str()),
    ];
    let subject = state.catalog.text_with(lang, &format!("{}-subject", notice.key()), &args);
    let (body_key, subject) = match contact.channel {
        Channel::Email | Channel::Dev => (format!("{}-body", notice.key()), Some(subject)),
        Channel::Sms => (format!("{}-sms", notice.key()), None),
    };
    // The code officers scan at check-in, as the confirmation page shows it.
    let qr = matches!(notice, Notice::Confirmed | Notice::Rescheduled | Notice::Reminder).then(|| QrPicture {
        payload: about.reference.clone(),
        alt: state.catalog.text_with(lang, "booking-qr-label", &[("reference", reference.as_str())]),
    });
    Notification {
        channel: contact.channel,
        recipient: contact.recipient.clone(),
        lang,
        subject,
        body: state.catalog.text_with(lang, &body_key, &args),
        qr,
    }
}

/// Puts `notice` about a booking in the outbox inside `txn`, when the
/// holder can be written to.
pub async fn enqueue(
    state: &AppState,
    txn: &impl ConnectionTrait,
    notice: Notice,
    contact: Option<&Contact>,
    about: &About,
) -> Result<(), AppError> {
    if let Some(contact) = contact {
        let message = message(state, notice, contact, about);
        if notice.capped() {
            enqueue_capped(state, txn, message).await?;
        } else {
            platform::outbox::enqueue(txn, message).await?;
        }
    }
    Ok(())
}

/// Puts a notice of a resident's own act (booked, cancelled, moved) or a
/// reminder in the outbox inside `txn`, unless its contact has had
/// `notices_per_contact_per_day` of them today (local day): a loop of
/// booking and cancelling (or moving into tomorrow, which brings a
/// reminder) must not send the city's SMS without end. The
/// count is kept in the database (`booking_notice_tally`, by a keyed blind
/// index of the contact), in `txn`, so every server counts alike and a
/// rolled-back booking counts nothing. A notice over the cap is dropped,
/// with a metric and a log line that names neither the contact nor the
/// booking: the act itself stands, and its page shows the reference.
/// Returns whether the notice was enqueued.
pub async fn enqueue_capped(
    state: &AppState,
    txn: &impl ConnectionTrait,
    message: Notification,
) -> Result<bool, AppError> {
    let cap = crate::settings::of(state).notices_per_contact_per_day;
    let key = state.keys.blind_index("booking.notice-cap", &message.recipient);
    let backend = txn.get_database_backend();
    let sql = match backend {
        DatabaseBackend::Postgres => {
            "INSERT INTO booking_notice_tally (contact_index, day, sent) VALUES ($1, $2, 1) \
             ON CONFLICT (contact_index, day) DO UPDATE SET sent = booking_notice_tally.sent + 1 RETURNING sent"
        }
        _ => {
            "INSERT INTO booking_notice_tally (contact_index, day, sent) VALUES (?, ?, 1) \
             ON CONFLICT (contact_index, day) DO UPDATE SET sent = booking_notice_tally.sent + 1 RETURNING sent"
        }
    };
    let row = txn
        .query_one_raw(Statement::from_sql_and_values(backend, sql, [key.into(), state.today().into()]))
        .await?
        .ok_or_else(|| AppError::internal("the notice tally returned no row"))?;
    let sent: i32 = row.try_get("", "sent")?;
    if u32::try_from(sent).unwrap_or(u32::MAX) > cap {
        metrics::counter!("lionrock_booking_notice_capped_total").increment(1);
        tracing::warn!(cap, "booking: a notice was not sent, its contact reached today's cap");
        return Ok(false);
    }
    platform::outbox::enqueue(txn, message).await?;
    Ok(true)
}

/// Deletes tallies of days before yesterday (local): they count nothing.
pub async fn forget_old_tallies(state: &AppState) -> Result<u64, AppError> {
    let before = state.today().saturating_sub(time::Duration::DAY);
    let backend = state.db.get_database_backend();
    let sql = match backend {
        DatabaseBackend::Postgres => "DELETE FROM booking_notice_tally WHERE day < $1",
        _ => "DELETE FROM booking_notice_tally WHERE day < ?",
    };
    let done = state.db.execute_raw(Statement::from_sql_and_values(backend, sql, [before.into()])).await?;
    Ok(done.rows_affected())
}
