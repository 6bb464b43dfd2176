//! The records' periodic work, run by the module's job.

use platform::app::AppState;

use super::store;

/// The module's periodic work: the retention clean-up (errors are logged;
/// the next run tries again).
pub(crate) async fn job(state: AppState) {
    if let Err(e) = store::purge(&state).await {
        tracing::warn!(error = ?e.cause, "credentials: purging expired records failed");
    }
}
