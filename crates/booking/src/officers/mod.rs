//! Officers at the centre: who may do what (the three officer scopes and
//! their extractors), and the rules of checking a booking in and of
//! registering a walk-in, without I/O. The look-ups, the conditional
//! updates and the specimen label are in `store`, pages and API in `http`.
//!
//! Separation of duties (ARCHITECTURE.md, booking): `booking-staff` checks
//! people in and registers walk-ins; `booking-lab` sees specimen codes and
//! records results, nothing else; `booking-results` joins a specimen to its
//! booking and tells the person.

pub(crate) mod http;
pub mod store;

use platform::principal::ScopeGuard;
use time::{Date, OffsetDateTime};

use crate::bookings::Status;
use crate::errors::BookingError;

/// Checks people in at a centre and registers walk-ins.
pub const STAFF_SCOPE: &str = "booking-staff";
/// The laboratory: pending specimens and their results, by specimen code only.
pub const LAB_SCOPE: &str = "booking-lab";
/// Joins specimens to bookings and notifies results.
pub const RESULTS_SCOPE: &str = "booking-results";

/// Marker for `RequireScope<Staff>`.
#[derive(Debug)]
pub struct Staff;

impl ScopeGuard for Staff {
    const SCOPE: &'static str = STAFF_SCOPE;
}

/// Marker for `RequireScope<Lab>`.
#[derive(Debug)]
pub struct Lab;

impl ScopeGuard for Lab {
    const SCOPE: &'static str = LAB_SCOPE;
}

/// Marker for `RequireScope<Results>`.
#[derive(Debug)]
pub struct Results;

impl ScopeGuard for Results {
    const SCOPE: &'static str = RESULTS_SCOPE;
}

/// Unknown references an officer may look up in an hour before look-ups
/// answer 429: enough for typing slips, far too few to guess 45-bit references.
pub const LOOK_UP_MISSES_PER_HOUR: i32 = 20;

/// The start of the UTC hour `now` is in: the window misses are counted in.
pub fn hour_of(now: OffsetDateTime) -> OffsetDateTime {
    now.replace_minute(0).and_then(|t| t.replace_second(0)).and_then(|t| t.replace_nanosecond(0)).unwrap_or(now)
}

/// Why a booking cannot be checked in now, if it cannot: only a confirmed
/// booking, and only on its slot's local day.
pub fn check_in_refusal(status: Option<Status>, slot_day: Date, today: Date) -> Option<BookingError> {
    match status {
        Some(Status::Cancelled) => Some(BookingError::AlreadyCancelled),
        Some(Status::Attended) => Some(BookingError::AlreadyAttended),
        Some(Status::NoShow) | None => Some(BookingError::WrongDay),
        Some(Status::Confirmed) if slot_day != today => Some(BookingError::WrongDay),
        Some(Status::Confirmed) => None,
    }
}

/// The vaccination record due when a vaccination booking is attended
/// (dose = the booking's step, product = the product's code, date = the
/// local day), for platform's `HealthRecords` contract.
pub fn vaccination(product_code: &str, step: i32, steps: i32, day: Date) -> platform::contracts::HealthEventKind {
    platform::contracts::HealthEventKind::Vaccination {
        product: product_code.to_owned(),
        dose: u8::try_from(step).unwrap_or(1),
        doses_in_series: u8::try_from(steps).unwrap_or(1),
        date: day.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn only_a_confirmed_booking_on_its_day_is_checked_in() {
        let today = date!(2026 - 12 - 01);
        assert_eq!(check_in_refusal(Some(Status::Confirmed), today, today), None);
        assert_eq!(
            check_in_refusal(Some(Status::Confirmed), date!(2026 - 12 - 02), today),
            Some(BookingError::WrongDay)
        );
        assert_eq!(check_in_refusal(Some(Status::Attended), today, today), Some(BookingError::AlreadyAttended));
        assert_eq!(check_in_refusal(Some(Status::Cancelled), today, today), Some(BookingError::AlreadyCancelled));
        assert_eq!(check_in_refusal(Some(Status::NoShow), today, today), Some(BookingError::WrongDay));
    }

    #[test]
    fn misses_count_per_hour() {
        assert_eq!(hour_of(datetime!(2026-12-01 09:59:59.5 UTC)), datetime!(2026-12-01 09:00 UTC));
    }

    #[test]
    fn a_vaccination_names_dose_product_and_local_day() {
        assert_eq!(
            vaccination("EU/1/20/1528", 2, 3, date!(2026 - 12 - 01)),
            platform::contracts::HealthEventKind::Vaccination {
                product: "EU/1/20/1528".to_owned(),
                dose: 2,
                doses_in_series: 3,
                date: "2026-12-01".to_owned(),
            }
        );
    }
}
