//! The health records booking asks for through platform's `HealthRecords`
//! contract (credentials signs them): a vaccination when a vaccination
//! booking is attended, a test when a valid result is notified. Best
//! effort after the booking's own commit: a failure is logged, never
//! undoes the attendance or the result.

use platform::app::AppState;
use platform::contracts::{HealthEvent, HealthEventKind};

use crate::bookings::store::Booked;
use crate::people;

/// Issues the record of `kind` for the person behind `booked`, when
/// credentials is part of this binary and booking knows the person's
/// particulars; the record's UVCI, if one was issued.
pub(crate) async fn issue(state: &AppState, booked: &Booked, kind: HealthEventKind, actor: &str) -> Option<String> {
    let service = state.contracts.health_records()?;
    let person = match people::record_person(state, &booked.booking.person_id).await {
        Ok(Some(person)) => person,
        Ok(None) => return None,
        Err(e) => {
            tracing::warn!(error = ?e.cause, booking = %booked.booking.id, "booking: no particulars for a health record");
            return None;
        }
    };
    let event = HealthEvent {
        document: person.document,
        family_name: person.family_name,
        given_name: person.given_name,
        birthdate: person.birthdate,
        kind,
        actor: actor.to_owned(),
    };
    match service.issue(state, event).await {
        Ok(uvci) => Some(uvci),
        Err(e) => {
            tracing::warn!(error = ?e.cause, booking = %booked.booking.id, "booking: issuing a health record failed");
            None
        }
    }
}
