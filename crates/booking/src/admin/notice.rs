//! The notice a closure sends each person affected, in their language and
//! to where identity says to write to them (platform's `People::contact`):
//! the booking's reference, what happened, and the programme's booking link
//! to rebook.

use platform::app::AppState;
use platform::contracts::Contact;
use platform::outbox::{Channel, Notification};

use super::Reason;
use crate::bookings::Reference;
use crate::bookings::store::booking;
use crate::programmes::store::programme;

/// The notice for `booking`, closed for `reason`, to `contact`: moved to
/// `moved_to` (its local start, shown as `YYYY-MM-DD HH:MM`) or cancelled.
pub fn closure(
    state: &AppState,
    contact: &Contact,
    booking: &booking::Model,
    programme: &programme::Model,
    reason: Reason,
    moved_to: Option<&str>,
) -> Notification {
    let lang = contact.lang;
    let reference = Reference::parse(&booking.reference).map(|r| r.display()).unwrap_or(booking.reference.clone());
    let link = format!("{}/{}/booking/{}", state.public_url().trim_end_matches('/'), lang.prefix(), programme.slug);
    let names = programme.names();
    let args = [
        ("reason", reason.as_str()),
        ("reference", reference.as_str()),
        ("programme", names.get(lang)),
        ("link", link.as_str()),
        ("moved", moved_to.unwrap_or("")),
    ];
    let key = if moved_to.is_some() { "booking-closure-moved" } else { "booking-closure-cancelled" };
    let subject = match contact.channel {
        Channel::Sms => None,
        Channel::Email | Channel::Dev => {
            Some(state.catalog.text_with(lang, "booking-closure-subject", &[("reason", reason.as_str())]))
        }
    };
    Notification {
        channel: contact.channel,
        recipient: contact.recipient.clone(),
        lang,
        subject,
        body: state.catalog.text_with(lang, key, &args),
        // A moved booking keeps its reference: the code officers scan.
        qr: moved_to.map(|_| platform::outbox::QrPicture {
            payload: booking.reference.clone(),
            alt: state.catalog.text_with(lang, "booking-qr-label", &[("reference", reference.as_str())]),
        }),
    }
}
