//! Notices into the outbox, in the caller's transaction: each written in
//! the holder's language from `booking-notice-*` in `i18n/*/booking.ftl`.
//! Nothing here reads bookings: callers say what the notice is `About`.

use platform::app::AppState;
use platform::contracts::Contact;
use platform::error::AppError;
use platform::outbox::{Channel, Notification, QrPicture};
use sea_orm::ConnectionTrait;

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
        platform::outbox::enqueue(txn, message(state, notice, contact, about)).await?;
    }
    Ok(())
}
