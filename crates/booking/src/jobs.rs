//! Booking's periodic work, run by the module's job (once a minute): mark
//! no-shows once their slot's local day has ended, remind everyone
//! whose booking is tomorrow, and forget notice tallies of past days.

use platform::app::AppState;

/// The module's job (errors are logged; the next run tries again).
pub async fn job(state: AppState) {
    match crate::officers::store::mark_no_shows(&state).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(n, "booking: marked no-shows"),
        Err(e) => tracing::warn!(error = %e, "booking: marking no-shows failed"),
    }
    if let Err(error) = crate::bookings::store::remind_due(&state).await {
        tracing::warn!(error = %error.problem.slug, "booking reminders failed; the next run retries");
    }
    if let Err(error) = crate::notices::store::forget_old_tallies(&state).await {
        tracing::warn!(error = %error.problem.slug, "booking: forgetting old notice tallies failed");
    }
}
