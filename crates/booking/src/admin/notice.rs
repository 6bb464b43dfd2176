//! The notice a closure sends each person affected: written in the three
//! languages (the booking does not record the resident's), with the
//! booking's reference, what happened, and the programme's booking link to
//! rebook. Where it goes is `recipient`: the one place the lead wires to
//! identity's contact details (through platform's `People` contract) when
//! that contract offers them; until then the development sink.

use platform::app::AppState;
use platform::i18n::Lang;
use platform::outbox::{Channel, Notification};

use super::Reason;
use crate::bookings::Reference;
use crate::bookings::store::booking;
use crate::programmes::store::programme;

/// Where a booking's notices go: the booking account's contact (to be wired
/// to `People`), now the development sink named by the account.
pub fn recipient(booking: &booking::Model) -> (Channel, String) {
    (Channel::Dev, format!("account:{}", booking.account_id))
}

/// The notice for `booking`, closed for `reason`: moved to `moved_to` (its
/// local start, shown as `YYYY-MM-DD HH:MM`) or cancelled.
pub fn closure(
    state: &AppState,
    booking: &booking::Model,
    programme: &programme::Model,
    reason: Reason,
    moved_to: Option<&str>,
) -> Notification {
    let reference = Reference::parse(&booking.reference).map(|r| r.display()).unwrap_or(booking.reference.clone());
    let link = format!("{}/{{lang}}/booking/{}", state.public_url().trim_end_matches('/'), programme.slug);
    let (channel, recipient) = recipient(booking);
    let names = programme.names();
    let mut parts = Vec::new();
    for lang in [Lang::En, Lang::ZhHk, Lang::ZhCn] {
        let link = link.replace("{lang}", lang.prefix());
        let args = [
            ("reason", reason.as_str()),
            ("reference", reference.as_str()),
            ("programme", names.get(lang)),
            ("link", link.as_str()),
            ("moved", moved_to.unwrap_or("")),
        ];
        let key = if moved_to.is_some() { "booking-closure-moved" } else { "booking-closure-cancelled" };
        parts.push(state.catalog.text_with(lang, key, &args));
    }
    let lang = state.config.locale.default;
    Notification {
        channel,
        recipient,
        lang,
        subject: Some(state.catalog.text_with(lang, "booking-closure-subject", &[("reason", reason.as_str())])),
        body: parts.join("\n\n"),
    }
}
