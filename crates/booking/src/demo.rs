//! Booking's demo data for `serve --demo`: the programmes of
//! `examples/booking.toml` (community testing that any signed-in resident
//! at the basic level may book, with small slots from now to six days on;
//! vaccination with two vaccines and two doses; a border-port daily quota),
//! set up as `lionrock booking import` does, so loading twice changes
//! nothing.

use platform::app::AppState;

use crate::setup;

/// The example set-up file, the demo's data.
const PLAN: &str = include_str!("../../../examples/booking.toml");

pub(crate) async fn load(state: AppState) -> Result<Vec<String>, String> {
    let plan = setup::parse(PLAN).map_err(|e| format!("examples/booking.toml: {e}"))?;
    if let Some(first) = setup::problems(&plan).first() {
        return Err(format!("examples/booking.toml: {first}"));
    }
    let imported = setup::store::apply(&state, &plan, "demo").await.map_err(|e| e.to_string())?;
    let slots: u64 = imported.programmes.iter().map(|p| p.slots_created).sum();
    let base = state.public_url();
    let base = base.trim_end_matches('/');
    Ok(vec![format!(
        "demo booking: {} programmes ({slots} new slots); sign in as the demo resident and book community testing: \
         free places at {base}/api/v1/booking/programmes/community-testing/availability, then POST \
         {base}/api/v1/booking/bookings {{\"slot_id\": …}}",
        imported.programmes.len()
    )])
}
