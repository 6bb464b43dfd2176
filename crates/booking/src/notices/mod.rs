//! Messages to residents about their bookings (DESIGN §7): the booking
//! confirmed (with its reference and a link to its confirmation page, which
//! shows the QR code: the outbox sends plain text), cancelled, moved to
//! another time, and the reminder the day before. Here the wording, without
//! I/O: each message is written in the holder's language from
//! `booking-notice-*` in `i18n/*/booking.ftl`; the features put it in the
//! outbox inside their own transaction. The reminder job is in `store`.

pub mod store;

use platform::app::AppState;
use platform::contracts::Contact;
use platform::outbox::{Channel, Notification};

use crate::bookings::Reference;
use crate::bookings::store::Booked;

/// Which message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    Confirmed,
    Cancelled,
    Rescheduled,
    Reminder,
    /// A test's result is ready (never the result itself: a message can be read by others).
    ResultReady,
}

impl Notice {
    fn key(self) -> &'static str {
        match self {
            Notice::Confirmed => "booking-notice-confirmed",
            Notice::Cancelled => "booking-notice-cancelled",
            Notice::Rescheduled => "booking-notice-rescheduled",
            Notice::Reminder => "booking-notice-reminder",
            Notice::ResultReady => "booking-notice-result-ready",
        }
    }
}

/// Path of a booking's confirmation page, without the language prefix.
pub fn confirmation_path(id: &str) -> String {
    format!("/booking/bookings/{id}")
}

/// A slot's local start as a resident reads it in a message: `2026-12-02 09:00`.
pub fn local_start(state: &AppState, t: time::OffsetDateTime) -> String {
    let local = state.to_local(t);
    format!("{} {:02}:{:02}", local.date(), local.hour(), local.minute())
}

/// `notice` about `booked`, to `contact`, in their language.
pub fn message(state: &AppState, notice: Notice, contact: &Contact, booked: &Booked) -> Notification {
    let lang = contact.lang;
    let reference = Reference::parse(&booked.booking.reference)
        .map(|r| r.display())
        .unwrap_or_else(|| booked.booking.reference.clone());
    let link = format!("{}/{}{}", state.public_url(), lang.prefix(), confirmation_path(&booked.booking.id));
    let (programme, centre, address) = (booked.programme.names(), booked.centre.names(), booked.centre.address());
    let time = local_start(state, booked.slot.starts_at);
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
    Notification {
        channel: contact.channel,
        recipient: contact.recipient.clone(),
        lang,
        subject,
        body: state.catalog.text_with(lang, &body_key, &args),
    }
}
