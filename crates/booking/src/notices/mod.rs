//! Messages to residents about their bookings (DESIGN §7): the booking
//! confirmed (with its reference, a link to its confirmation page and, in
//! an e-mail, the QR code officers scan), cancelled, moved to another time
//! (with the code), and the reminder the day before (with the code). Here the wording, without
//! I/O: each message is written in the holder's language from
//! `booking-notice-*` in `i18n/*/booking.ftl`; the features put it in the
//! outbox inside their own transaction. The reminder job is in `store`.

pub mod store;

/// What a notice says about a booking (taken from the booking, its slot,
/// centre and programme by whoever writes the notice).
#[derive(Debug, Clone)]
pub struct About {
    pub booking_id: String,
    /// As stored (ten characters).
    pub reference: String,
    pub programme: Names,
    pub centre: Names,
    pub address: Names,
    pub starts_at: time::OffsetDateTime,
}

use crate::programmes::Names;

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
    /// Whether the notice counts against its contact's daily cap
    /// (`store::enqueue_capped`): those of the resident's own acts (booked,
    /// cancelled, moved), which they can repeat at will, and the reminders
    /// those acts bring (a booking made or moved into tomorrow is reminded
    /// on the job's next run). Results and closures are not capped.
    pub fn capped(self) -> bool {
        matches!(self, Notice::Confirmed | Notice::Cancelled | Notice::Rescheduled | Notice::Reminder)
    }

    pub(crate) fn key(self) -> &'static str {
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
