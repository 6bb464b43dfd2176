//! What booking tells people, through the outbox in the caller's
//! transaction. Residents' notices (confirmation, reminder) are H4's; the
//! result notice is here, written against this one function so the lead
//! can wire the person's contact method once it exists.

use platform::app::AppState;
use platform::error::AppError;
use sea_orm::ConnectionTrait;

use crate::bookings::store::Booked;

/// Tells the person behind `booked` that their result is ready.
///
/// TODO(lead, H4): booking keeps no contact method yet. Once H4's contact
/// (e-mail or mobile number for the booking) lands, enqueue a
/// `platform::outbox::Notification` here with `txn` (the message names the
/// programme and says the result is ready to view; never the result itself
/// by SMS). Until then the result is marked notified and audited only.
pub(crate) async fn result_ready(
    txn: &impl ConnectionTrait,
    state: &AppState,
    booked: &Booked,
) -> Result<(), AppError> {
    let _ = (txn, state);
    tracing::info!(booking = %booked.booking.id, "booking: a result is ready (no contact method to notify yet)");
    Ok(())
}
