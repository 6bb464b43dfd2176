# Booking: programmes, centres, slots and bookings.

booking-period-date = Give the day as YYYY-MM-DD.
booking-period-range = The last day must not be before the first, and at most { $days } days after it.
booking-document-kind = Choose a Hong Kong identity card or a passport.
booking-document-hkid-format = Enter the identity card number as printed, for example A123456(3).
booking-document-hkid-check = This identity card number is not valid: check the digit in brackets.
booking-document-passport = Enter the passport number (5 to 20 letters and digits) and its issuing country (3 letters).

error-booking-full-title = No places left
error-booking-full-detail = Every place in this session has been taken. Please choose another time or centre.
error-booking-ineligible-title = Not eligible for this booking
error-booking-ineligible-detail = { $reason ->
    [level] This programme needs an account whose identity has been checked (real-name level).
    [not-resident] This programme is open only to holders of a Hong Kong identity card.
    [birthdate-unknown] This programme has an age limit, and we do not know this person's date of birth.
    [too-young] This person must be at least { $min } years old on the day of the session.
    [too-old] This person must be at most { $max } years old on the day of the session.
    [course-complete] This person has attended every step of this programme already.
    [too-soon] The next step can be booked from { $date }. Please choose a later day.
    [too-late] The next step had to be taken by { $date }. Please contact the programme's hotline.
    [other-product] The next step must use the same product as the previous one. Please choose a centre that offers it.
    [not-open] This programme is not taking bookings now.
    [slot-past] This session has started or is over. Please choose a later one.
    [document-needed] Enter this person's identity document: it makes sure each person books once.
   *[other] This person may not book this session.
}
error-booking-duplicate-title = Already booked
error-booking-duplicate-detail = This person already holds a booking for this step of the programme. Cancel it first to book another time.
error-booking-unknown-slot-title = Session not found
error-booking-unknown-slot-detail = There is no such session. Please choose one from the list of available sessions.
error-booking-unknown-booking-title = Booking not found
error-booking-unknown-booking-detail = You have no booking with this reference.
error-booking-unknown-person-title = Person not found
error-booking-unknown-person-detail = You can book only for yourself and for the people you look after.
error-booking-already-cancelled-title = Already cancelled
error-booking-already-cancelled-detail = This booking was cancelled already.
error-booking-not-cancellable-title = Cannot be cancelled
error-booking-not-cancellable-detail = This booking has been attended, was missed, or its session has started, so it can no longer be cancelled.
error-booking-slot-closed-title = Session closed
error-booking-slot-closed-detail = This session has been closed. Please choose another time or centre.

# Officers at the centre, the laboratory and the results role.
error-booking-unknown-reference-title = Reference not found
error-booking-unknown-reference-detail = No booking has this reference. Check it with the person and type it again.
error-booking-wrong-day-title = Not today
error-booking-wrong-day-detail = This booking is for another day. It can be checked in only on the day of its session.
error-booking-already-attended-title = Already checked in
error-booking-already-attended-detail = This booking has been checked in already.
error-booking-too-many-look-ups-title = Too many unknown references
error-booking-too-many-look-ups-detail = You have looked up too many references that do not exist. Please wait for the next hour.
error-booking-unknown-specimen-title = Specimen not found
error-booking-unknown-specimen-detail = No specimen with a result to record or notify has this code.
error-booking-result-recorded-title = Result already recorded
error-booking-result-recorded-detail = A result has been recorded for this specimen already.
booking-officer-nav = Check-in
booking-officer-title = Check in at the centre
booking-officer-look-up-heading = Find a booking
booking-officer-reference-hint = Scan the booking's QR code or type its reference, for example K7Q2M-9XD3P.
booking-officer-look-up = Find booking
booking-officer-found = Booking
booking-officer-check-in = Mark attended
booking-officer-cannot-check-in = This booking cannot be checked in now.
booking-officer-checked-in = Checked in.
booking-officer-free = { $free } free
booking-field-reference = Booking reference
booking-field-programme = Programme
booking-field-centre = Centre
booking-field-time = Time
booking-field-document = Identity document
booking-field-status = Status
booking-field-specimen = Specimen code
booking-field-result = Result
booking-field-collected = Collected
booking-status-confirmed = Confirmed
booking-status-cancelled = Cancelled
booking-status-attended = Attended
booking-status-no-show = Did not attend
booking-walk-in-title = Register a walk-in
booking-walk-in-intro = Register a person without a booking in one of today's sessions.
booking-walk-in-slot = Session
booking-walk-in-slot-missing = Choose a session.
booking-walk-in-hkid = Hong Kong identity card number
booking-walk-in-hkid-hint = As printed, for example A123456(3).
booking-walk-in-submit = Register and mark attended
booking-label-title = Specimen label
booking-label-print = Print this label and put it on the specimen tube.
booking-lab-nav = Laboratory
booking-lab-title = Laboratory results
booking-lab-record-heading = Record a result
booking-lab-record = Record result
booking-lab-recorded = Result recorded for { $code }.
booking-lab-pending-heading = Specimens awaiting a result
booking-lab-none = No specimens are awaiting a result.
booking-specimen-code-invalid = Enter the specimen code as printed on the label.
booking-result-missing = Choose a result.
booking-result-negative = Negative
booking-result-positive = Positive
booking-result-invalid = Invalid
booking-results-nav = Results
booking-results-title = Results to notify
booking-results-none = No results are waiting to be notified.
booking-results-notify = Notify
error-booking-waiting-room-title = Please wait your turn
error-booking-waiting-room-detail = { $reason ->
    [admission-expired] Your turn to book has ended. Join the queue again to get a new place.
    [admission-invalid] This admission is not valid for your account. Join the queue to get your own place.
   *[other] Many people are booking now, so this programme has a queue. Join it to get your place; you can book when it is your turn.
}
error-booking-waiting-room-settings-title = Waiting room settings out of range
error-booking-waiting-room-settings-detail = The admission rate must be 1 to { $max_rate } visitors a minute, and an admission must last 1 to { $max_validity } minutes.
error-booking-quota-below-taken-title = Quota below places taken
error-booking-quota-below-taken-detail = { $taken } places of this day's quota are already booked: the quota cannot be set below that. Cancel bookings first, or choose a higher quota.
error-booking-unknown-programme-title = Programme not found
error-booking-unknown-programme-detail = There is no such programme.
error-booking-unknown-centre-title = Centre not found
error-booking-unknown-centre-detail = There is no such centre in this programme.
booking-plan-invalid = { $problem }
booking-admin-range = This number is out of range.
booking-admin-product-unknown = This product is not one of the programme's.
booking-admin-year = The day must be in { $year }.
booking-admin-name = Give the holiday's name in English.
booking-admin-move-to = To move bookings, give a later day.
booking-closure-subject = { $reason ->
    [black-rainstorm] Your booking: closed for the black rainstorm signal
   *[other] Your booking: closed for typhoon signal No. 8
}
booking-closure-cancelled = { $reason ->
    [black-rainstorm] Because of the black rainstorm signal
   *[other] Because of typhoon signal No. 8
}, your booking { $reference } ({ $programme }) is cancelled. Please rebook: { $link }
booking-closure-moved = { $reason ->
    [black-rainstorm] Because of the black rainstorm signal
   *[other] Because of typhoon signal No. 8
}, your booking { $reference } ({ $programme }) is moved to { $moved }, the same centre. To choose another time: { $link }
