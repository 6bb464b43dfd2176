//! Booking's errors: every variant has a stable problem type, a status and
//! a translated title and detail (`error-booking-<name>-title`/`-detail` in
//! `i18n/*/booking.ftl`). The slugs are `booking/<name>`, so problem types
//! read `urn:lionrock:problem:booking/full` (the contract: a full
//! slot is a 409 whose type ends in `/booking/full`).

use axum::http::StatusCode;
use platform::error::{AppError, DomainError, ProblemType};

use crate::programmes::Ineligible;
use crate::waiting::{BadSetting, Refused};

const FULL: ProblemType = ProblemType::new("booking/full", StatusCode::CONFLICT);
const INELIGIBLE: ProblemType = ProblemType::new("booking/ineligible", StatusCode::UNPROCESSABLE_ENTITY);
const DUPLICATE: ProblemType = ProblemType::new("booking/duplicate", StatusCode::CONFLICT);
const UNKNOWN_SLOT: ProblemType = ProblemType::new("booking/unknown-slot", StatusCode::NOT_FOUND);
const UNKNOWN_BOOKING: ProblemType = ProblemType::new("booking/unknown-booking", StatusCode::NOT_FOUND);
const UNKNOWN_PERSON: ProblemType = ProblemType::new("booking/unknown-person", StatusCode::NOT_FOUND);
const ALREADY_CANCELLED: ProblemType = ProblemType::new("booking/already-cancelled", StatusCode::CONFLICT);
const NOT_CANCELLABLE: ProblemType = ProblemType::new("booking/not-cancellable", StatusCode::CONFLICT);
const SLOT_CLOSED: ProblemType = ProblemType::new("booking/slot-closed", StatusCode::CONFLICT);
const UNKNOWN_REFERENCE: ProblemType = ProblemType::new("booking/unknown-reference", StatusCode::NOT_FOUND);
const WRONG_DAY: ProblemType = ProblemType::new("booking/wrong-day", StatusCode::CONFLICT);
const ALREADY_ATTENDED: ProblemType = ProblemType::new("booking/already-attended", StatusCode::CONFLICT);
const TOO_MANY_LOOK_UPS: ProblemType = ProblemType::new("booking/too-many-look-ups", StatusCode::TOO_MANY_REQUESTS);
const UNKNOWN_SPECIMEN: ProblemType = ProblemType::new("booking/unknown-specimen", StatusCode::NOT_FOUND);
const RESULT_RECORDED: ProblemType = ProblemType::new("booking/result-recorded", StatusCode::CONFLICT);
const WAITING_ROOM: ProblemType = ProblemType::new("booking/waiting-room", StatusCode::PRECONDITION_REQUIRED);
const BAD_WAITING_ROOM: ProblemType =
    ProblemType::new("booking/waiting-room-settings", StatusCode::UNPROCESSABLE_ENTITY);

const QUOTA_BELOW_TAKEN: ProblemType = ProblemType::new("booking/quota-below-taken", StatusCode::CONFLICT);
const UNKNOWN_PROGRAMME: ProblemType = ProblemType::new("booking/unknown-programme", StatusCode::NOT_FOUND);
const UNKNOWN_CENTRE: ProblemType = ProblemType::new("booking/unknown-centre", StatusCode::NOT_FOUND);

const OTHER_PROGRAMME: ProblemType = ProblemType::new("booking/other-programme", StatusCode::UNPROCESSABLE_ENTITY);
const OTHER_CENTRE: ProblemType = ProblemType::new("booking/other-centre", StatusCode::FORBIDDEN);

/// Every problem type booking can answer with (the module lists them).
pub const PROBLEMS: [ProblemType; 22] = [
    FULL,
    INELIGIBLE,
    DUPLICATE,
    UNKNOWN_SLOT,
    UNKNOWN_BOOKING,
    UNKNOWN_PERSON,
    ALREADY_CANCELLED,
    NOT_CANCELLABLE,
    SLOT_CLOSED,
    UNKNOWN_REFERENCE,
    WRONG_DAY,
    ALREADY_ATTENDED,
    TOO_MANY_LOOK_UPS,
    UNKNOWN_SPECIMEN,
    RESULT_RECORDED,
    WAITING_ROOM,
    BAD_WAITING_ROOM,
    QUOTA_BELOW_TAKEN,
    UNKNOWN_PROGRAMME,
    UNKNOWN_CENTRE,
    OTHER_PROGRAMME,
    OTHER_CENTRE,
];

/// What can go wrong in booking that the person or client can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BookingError {
    /// No place is left in the slot (or in the centre's quota for its day and product).
    Full,
    /// The person may not book this slot; the reason is in the problem's `reason`.
    Ineligible(Ineligible),
    /// The person holds a booking for this programme step already.
    Duplicate,
    UnknownSlot,
    /// No booking with this ID was made by the caller.
    UnknownBooking,
    /// The caller may not act for this person (or there is no such person).
    UnknownPerson,
    AlreadyCancelled,
    /// Attended, missed, or its slot has begun: it can no longer be cancelled.
    NotCancellable,
    /// The slot was closed (a typhoon, a centre closing).
    SlotClosed,
    /// No booking has this reference (an officer's look-up; counted).
    UnknownReference,
    /// The booking's slot is not today (where lionrock runs).
    WrongDay,
    AlreadyAttended,
    /// The officer looked up too many unknown references this hour.
    TooManyLookUps,
    /// No specimen has this code.
    UnknownSpecimen,
    /// The specimen's result was recorded already.
    ResultRecorded,
    /// The programme's waiting room is on and the request carried no valid
    /// admission of the caller: queue at `/api/v1/booking/programmes/{id}/queue`.
    WaitingRoom {
        programme_id: String,
        refused: Refused,
    },
    /// A waiting room setting is out of range (`field`: `rate_per_minute`, `validity_minutes`).
    BadWaitingRoom(BadSetting),
    /// An administrator set a day's quota below the places already taken.
    QuotaBelowTaken {
        taken: i64,
    },
    UnknownProgramme,
    /// No such centre (in the programme named).
    UnknownCentre,
    /// A booking moves only to a slot of its own programme.
    OtherProgramme,
    /// The officer does not work at the booking's (or slot's) centre.
    OtherCentre,
}

impl DomainError for BookingError {
    fn problem(&self) -> ProblemType {
        match self {
            BookingError::Full => FULL,
            BookingError::Ineligible(_) => INELIGIBLE,
            BookingError::Duplicate => DUPLICATE,
            BookingError::UnknownSlot => UNKNOWN_SLOT,
            BookingError::UnknownBooking => UNKNOWN_BOOKING,
            BookingError::UnknownPerson => UNKNOWN_PERSON,
            BookingError::AlreadyCancelled => ALREADY_CANCELLED,
            BookingError::NotCancellable => NOT_CANCELLABLE,
            BookingError::SlotClosed => SLOT_CLOSED,
            BookingError::UnknownReference => UNKNOWN_REFERENCE,
            BookingError::WrongDay => WRONG_DAY,
            BookingError::AlreadyAttended => ALREADY_ATTENDED,
            BookingError::TooManyLookUps => TOO_MANY_LOOK_UPS,
            BookingError::UnknownSpecimen => UNKNOWN_SPECIMEN,
            BookingError::ResultRecorded => RESULT_RECORDED,
            BookingError::WaitingRoom { .. } => WAITING_ROOM,
            BookingError::BadWaitingRoom(_) => BAD_WAITING_ROOM,
            BookingError::QuotaBelowTaken { .. } => QUOTA_BELOW_TAKEN,
            BookingError::UnknownProgramme => UNKNOWN_PROGRAMME,
            BookingError::UnknownCentre => UNKNOWN_CENTRE,
            BookingError::OtherProgramme => OTHER_PROGRAMME,
            BookingError::OtherCentre => OTHER_CENTRE,
        }
    }

    fn args(&self) -> Vec<(&'static str, String)> {
        match self {
            BookingError::Ineligible(reason) => {
                let mut args = vec![("reason", reason.slug().to_owned())];
                args.extend(reason.args());
                args
            }
            BookingError::WaitingRoom { programme_id, refused } => vec![
                ("reason", refused.slug().to_owned()),
                ("queue", "/api/v1/booking/programmes/{id}/queue".replace("{id}", programme_id)),
            ],
            BookingError::BadWaitingRoom(_) => vec![
                ("max_rate", crate::waiting::MAX_RATE.to_string()),
                ("max_validity", crate::waiting::MAX_VALIDITY_MINUTES.to_string()),
            ],
            BookingError::QuotaBelowTaken { taken } => vec![("taken", taken.to_string())],
            BookingError::Full
            | BookingError::Duplicate
            | BookingError::UnknownSlot
            | BookingError::UnknownBooking
            | BookingError::UnknownPerson
            | BookingError::AlreadyCancelled
            | BookingError::NotCancellable
            | BookingError::SlotClosed
            | BookingError::UnknownReference
            | BookingError::WrongDay
            | BookingError::AlreadyAttended
            | BookingError::TooManyLookUps
            | BookingError::UnknownSpecimen
            | BookingError::ResultRecorded
            | BookingError::UnknownProgramme
            | BookingError::UnknownCentre
            | BookingError::OtherProgramme
            | BookingError::OtherCentre => Vec::new(),
        }
    }

    fn field(&self) -> Option<&'static str> {
        match self {
            BookingError::BadWaitingRoom(BadSetting::Rate) => Some("rate_per_minute"),
            BookingError::BadWaitingRoom(BadSetting::Validity) => Some("validity_minutes"),
            BookingError::Full
            | BookingError::Ineligible(_)
            | BookingError::Duplicate
            | BookingError::UnknownSlot
            | BookingError::UnknownBooking
            | BookingError::UnknownPerson
            | BookingError::AlreadyCancelled
            | BookingError::NotCancellable
            | BookingError::SlotClosed
            | BookingError::UnknownReference
            | BookingError::WrongDay
            | BookingError::AlreadyAttended
            | BookingError::TooManyLookUps
            | BookingError::UnknownSpecimen
            | BookingError::ResultRecorded
            | BookingError::WaitingRoom { .. }
            | BookingError::QuotaBelowTaken { .. }
            | BookingError::UnknownProgramme
            | BookingError::UnknownCentre
            | BookingError::OtherProgramme
            | BookingError::OtherCentre => None,
        }
    }
}

/// A refusal the store gave, shown beside a form's field with the same
/// translated detail the API gives.
#[derive(Debug)]
pub(crate) struct Refusal(pub ProblemType, pub Vec<(&'static str, String)>);

impl DomainError for Refusal {
    fn problem(&self) -> ProblemType {
        self.0
    }

    fn args(&self) -> Vec<(&'static str, String)> {
        self.1.clone()
    }
}

/// The error as a form message when it is one of booking's own (the
/// resident can act on it), else the error itself for the error page.
pub(crate) fn refusal(e: AppError) -> Result<(StatusCode, Refusal), AppError> {
    if PROBLEMS.contains(&e.problem) { Ok((e.problem.status, Refusal(e.problem, e.args))) } else { Err(e) }
}
