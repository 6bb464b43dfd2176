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
    [document-unchecked] This programme needs the identity document checked for this person in their account (real-name): a number typed here cannot be checked.
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
booking-walk-in-birthdate = Date of birth
booking-walk-in-birthdate-hint = As on the identity card. Needed where the programme has an age limit.
booking-walk-in-birthdate-invalid = Enter the date of birth as on the identity card, for example 1950-03-14. It cannot be in the future.
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
booking-admin-closure-where = Choose the programme, or the centres, to close.
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
error-booking-other-programme-title = Another programme
error-booking-other-programme-detail = A booking can move only to another session of its own programme. Please choose one from this programme's list.
error-booking-other-centre-title = Another centre
error-booking-other-centre-detail = This booking or session is at a centre you are not assigned to. Please send the person to their own centre, or ask an administrator to assign you.

# Messages to residents (e-mail subject and body, SMS).
booking-notice-confirmed-subject = Booking confirmed: { $reference }
booking-notice-confirmed-body =
    Your booking for { $programme } is confirmed.

    Reference: { $reference }
    Centre: { $centre }, { $address }
    Time: { $time }

    Show the reference, or the QR code on your confirmation page, at the centre:
    { $link }
booking-notice-confirmed-sms = { $programme }: booking { $reference } confirmed, { $time } at { $centre }. Details: { $link }
booking-notice-cancelled-subject = Booking cancelled: { $reference }
booking-notice-cancelled-body =
    Your booking { $reference } for { $programme } on { $time } at { $centre } has been cancelled, and its place given back.

    If you did not cancel it, please contact the programme's hotline.
booking-notice-cancelled-sms = { $programme }: booking { $reference } on { $time } at { $centre } cancelled.
booking-notice-rescheduled-subject = Booking moved: { $reference }
booking-notice-rescheduled-body =
    Your booking { $reference } for { $programme } has been moved.

    New time: { $time }
    Centre: { $centre }, { $address }

    Your confirmation page, with the QR code:
    { $link }
booking-notice-rescheduled-sms = { $programme }: booking { $reference } moved to { $time } at { $centre }. Details: { $link }
booking-notice-reminder-subject = Reminder: { $programme } tomorrow
booking-notice-reminder-body =
    A reminder of your booking for { $programme } tomorrow.

    Reference: { $reference }
    Time: { $time }
    Centre: { $centre }, { $address }

    Bring your identity document. To cancel or change the time:
    { $link }
booking-notice-reminder-sms = Reminder: { $programme } tomorrow, { $time } at { $centre }, booking { $reference }. { $link }

# Residents' pages.
booking-title = Book an appointment
booking-nav = Bookings
booking-service-summary = Book vaccination, community testing and other appointments, and see free places at each centre.
booking-intro = Choose a programme to find a centre and book a time.
booking-none = No programme takes bookings at the moment.
booking-not-open = This programme is not taking bookings now.
booking-find-link = Find a centre and book
booking-availability-link = Free places at every centre
booking-find-title = Find a centre
booking-find-intro = Choose a district on the list or the map, or sort centres by distance.
booking-find-district = District
booking-find-any-district = All districts
booking-find-near = Sort by distance from
booking-find-near-none = Do not sort by distance
booking-find-submit = Show centres
booking-find-locate = Use my location
booking-find-locating = Finding your location…
booking-find-locate-failed = Your location is not available. Choose a district instead.
booking-find-all = All centres
booking-find-by-distance = Centres, nearest first
booking-find-in-district = Centres in { $district }
booking-find-none = No centre of this programme is in this district. Choose another district.
booking-map-caption = Map of Hong Kong's 18 districts (schematic). Choose a district to see its centres.
booking-map-district = { $district }, centres: { $count }
booking-distance = { $km } km away
booking-hours = Opening hours
booking-accessibility = Accessibility
booking-free-caption = Free places at { $centre }
booking-day-heading = Day
booking-free-heading = Free places
booking-day = { $date } ({ $weekday })
booking-free-count = { $free } free
booking-free-none = full
booking-back-to-centres = Back to the list of centres
booking-centre-title = Choose a time
booking-choose-day = Choose a day
booking-choose-time = Choose a time
booking-times-on = Times on { $day }
booking-no-times = No times are left on this day. Please choose another day.
booking-slot-label = { $start } to { $end }, { $places }
booking-continue = Continue
booking-who-title = Who is the booking for?
booking-who-legend = The person who will attend
booking-who-yourself = Yourself
booking-who-others = To book for a child or a relative you look after, add them to your account first.
booking-who-dependant = A person you look after
booking-who-dependants-link = People you look after
booking-document-when = It is needed only for a person whose document has not been checked.
booking-who-choose = Choose who the booking is for.
booking-who-checked = (identity document { $document } checked)
booking-document-legend = Identity document
booking-document-why = Each person may hold one booking per step of a programme; the document makes sure of it. It is stored encrypted.
booking-document-kind-label = Document type
booking-document-hkid = Hong Kong identity card
booking-document-passport-option = Passport
booking-document-number-label = Document number (for example A123456(3))
booking-document-country-label = Passport issuing country (3 letters, passports only)
booking-review-submit = Review the booking
booking-review-title = Check your booking
booking-review-change = Change these details
booking-confirm-submit = Confirm the booking
booking-change-time = Choose another time
booking-programme = Programme
booking-centre = Centre
booking-time = Time
booking-person = Person
booking-document = Identity document
booking-confirmation-title = Your booking
booking-reference = Booking reference
booking-qr-label = QR code of booking reference { $reference }
booking-qr-note = Show this QR code, or read out the reference, at the centre.
booking-print-note = You can print this page. We have also sent the reference to you by e-mail or SMS.
booking-status = Status
booking-mine-title = My bookings
booking-mine-none = You have no bookings.
booking-view-link = View and print
booking-reschedule-link = Change the time
booking-cancel-link = Cancel the booking
booking-done-cancelled = The booking has been cancelled and its place given back.
booking-done-rescheduled = The booking has been moved to the new time.
booking-cancel-title = Cancel this booking?
booking-cancel-intro = Its place goes back to others at once. You can book again later if places are left.
booking-cancel-submit = Yes, cancel the booking
booking-cancel-keep = No, keep it
booking-reschedule-title = Change the time
booking-reschedule-intro = Booking { $reference } is now for { $time }. Choose a new time: the booking moves only if the new place is free.
booking-reschedule-submit = Move the booking
booking-reschedule-keep = Keep the current time
booking-reschedule-choose = Choose a new time.
booking-weekday-mon = Mon
booking-weekday-tue = Tue
booking-weekday-wed = Wed
booking-weekday-thu = Thu
booking-weekday-fri = Fri
booking-weekday-sat = Sat
booking-weekday-sun = Sun
booking-district-central-western = Central and Western
booking-district-wan-chai = Wan Chai
booking-district-eastern = Eastern
booking-district-southern = Southern
booking-district-yau-tsim-mong = Yau Tsim Mong
booking-district-sham-shui-po = Sham Shui Po
booking-district-kowloon-city = Kowloon City
booking-district-wong-tai-sin = Wong Tai Sin
booking-district-kwun-tong = Kwun Tong
booking-district-kwai-tsing = Kwai Tsing
booking-district-tsuen-wan = Tsuen Wan
booking-district-tuen-mun = Tuen Mun
booking-district-yuen-long = Yuen Long
booking-district-north = North
booking-district-tai-po = Tai Po
booking-district-sha-tin = Sha Tin
booking-district-sai-kung = Sai Kung
booking-district-islands = Islands
booking-notice-result-ready-subject = Your result is ready: { $reference }
booking-notice-result-ready-body =
    The result of your test for { $programme } (reference { $reference }, { $time } at { $centre }) is ready.

    Sign in to see it, or contact the programme's hotline:
    { $link }
booking-notice-result-ready-sms = { $programme }: the result of test { $reference } is ready. Sign in to see it: { $link }
booking-live-title = Free places
booking-live-intro = Free places at each centre today and on the coming days.
booking-live-caption = Free places by centre and day
booking-live-updated = As of { $time }.
booking-live-updated-live = Updated live. Last update:
booking-live-refresh = Refresh
booking-queue-title = Waiting room
booking-queue-heading = Queue to book: { $programme }
booking-queue-intro = Many people are booking now, so this programme has a queue. Join it to get your place, first come, first served. Keep this page open: it shows your position and tells you when it is your turn.
booking-queue-join = Join the queue
booking-queue-expired = Your turn to book has ended. Join the queue again to get a new place.
booking-queue-off = There is no queue for this programme at the moment. You can book straight away.
booking-queue-book = Book now
booking-queue-place = Your place number: { $place }
booking-queue-position = Your position in the queue: { $position }
booking-queue-wait-soon = Estimated wait: less than a minute
booking-queue-wait-one-minute = Estimated wait: about a minute
booking-queue-wait-minutes = Estimated wait: about { $minutes } minutes
booking-queue-keep-open = Keep this page open. It updates by itself and tells you when it is your turn.
booking-queue-refreshes = This page reloads every { $seconds } seconds.
booking-queue-refresh-now = Reload now
booking-queue-admitted = It is your turn to book.
booking-queue-admitted-live = It is your turn to book. Use the “Book now” link below.
booking-queue-admitted-until = Your turn lasts until { $until }.
booking-queue-ready = It is your turn to book. Your { $minutes } minutes to book start when you press the button.
booking-queue-start = Start my turn
booking-rooms-title = Waiting rooms
booking-rooms-intro = When a waiting room is on, residents queue before booking and are let in at the rate you set, first come, first served.
booking-rooms-none = There are no programmes yet.
booking-rooms-caption = Waiting room of each programme
booking-rooms-back = Back to all waiting rooms
booking-room-title = Waiting room settings
booking-room-heading = Waiting room: { $programme }
booking-room-intro = Every change is recorded in the audit log.
booking-room-state = Waiting room
booking-room-on = On
booking-room-off = Off
booking-room-enabled = Waiting room on (residents queue before booking)
booking-room-rate = Visitors let in per minute
booking-room-rate-hint = A whole number from 1 to { $max }.
booking-room-rate-invalid = Enter the visitors let in per minute as a whole number from 1 to { $max }.
booking-room-validity = Minutes an admission lasts
booking-room-validity-hint = A whole number of minutes from 1 to { $max }.
booking-room-validity-invalid = Enter how many minutes an admission lasts as a whole number from 1 to { $max }.
booking-room-joined = Places taken
booking-room-admitted = Let in
booking-room-actions = Actions
booking-room-edit = Change the waiting room of { $programme }
booking-room-save = Save
booking-room-saved = The waiting room of { $programme } was saved.
booking-oauth-scope = Book, move and cancel appointments for you and the people you look after, and see your bookings

# Administrators' pages.
booking-admin-nav = Booking admin
booking-admin-title = Booking administration
booking-admin-intro = Programmes, quotas, slots, public holidays, closures and statistics. Every change is recorded in the audit log.
booking-admin-caption = Programmes
booking-admin-kind = Kind
booking-admin-kind-vaccination = Vaccination
booking-admin-kind-testing = Testing
booking-admin-kind-border = Border quota
booking-admin-kind-other = Other
booking-admin-centres = Centres
booking-admin-statistics-of = Statistics of { $programme }
booking-admin-across = For every programme
booking-admin-back = Back to booking administration
booking-admin-back-to = Back to { $programme }
booking-admin-none = None
booking-admin-yes = Yes
booking-admin-no = No
booking-admin-choose = Choose…
booking-admin-programme-title = Programme
booking-admin-public-availability = Public availability page
booking-admin-settings = Settings
booking-admin-products = Products
booking-admin-product = Product
booking-admin-centres-caption = Centres of { $programme }
booking-admin-district = District
booking-admin-address = Address
booking-admin-hours = Opening hours
booking-admin-slug = Short name
booking-admin-level = Identity level needed
booking-admin-level-basic = Basic
booking-admin-level-real-name = Real name
booking-admin-residents-only = Hong Kong residents only
booking-admin-min-age = Minimum age
booking-admin-max-age = Maximum age
booking-admin-steps = Steps (doses)
booking-admin-repeatable = Booked again after each visit
booking-admin-min-interval = Days from the previous step, at least
booking-admin-max-interval = Days from the previous step, at most
booking-admin-opens = Booking opens
booking-admin-closes = Booking closes
booking-admin-day = Day
booking-admin-day-hint = As YYYY-MM-DD, for example 2026-12-01.
booking-admin-day-invalid = Enter the day as YYYY-MM-DD, for example 2026-12-01.
booking-admin-from = First day
booking-admin-to = Last day
booking-admin-number-invalid = Enter a whole number from { $min } to { $max }.
booking-admin-centre-choose = Choose one of the programme's centres.
booking-admin-product-choose = Choose one of the programme's products.
booking-admin-quota-title = Daily quota
booking-admin-quota-heading = Daily quota: { $programme }
booking-admin-quota-intro = Bookings at a centre stop at its quota for the day and product, even where slots have places. A quota cannot be set below the places already booked.
booking-admin-quota-capacity = Places that day
booking-admin-quota-capacity-hint = A whole number from 0 to 1,000,000.
booking-admin-quota-save = Set quota
booking-admin-quota-saved = The quota was set.
booking-admin-quota-taken = Places booked
booking-admin-quotas-of-day = Quotas on { $day }
booking-admin-quotas-none = No quota is set on this day.
booking-admin-slots-title = Generate slots
booking-admin-slots-heading = Generate slots: { $programme }
booking-admin-slots-intro = Slots are made back to back within each centre's opening hours, skipping public holidays, times already past and slots that exist, so running this again makes nothing twice.
booking-admin-slots-made = Slots made: { $count }.
booking-admin-all-when-none = Tick none for all of them.
booking-admin-slot-minutes = Minutes per slot
booking-admin-slot-minutes-hint = From 5 to 1,440.
booking-admin-slot-capacity = Places per slot
booking-admin-slot-capacity-hint = From 1 to 100,000.
booking-admin-slot-quota = Daily quota per centre and product (optional)
booking-admin-slot-quota-hint = From 1 to 1,000,000; leave empty for no quota.
booking-admin-slots-generate = Generate slots
booking-admin-holidays-title = Public holidays
booking-admin-holidays-heading = Public holidays of { $year }
booking-admin-holidays-intro = Slot generation skips these days. Saving replaces the whole year's list.
booking-admin-holidays-none = No public holidays are loaded for this year.
booking-admin-holidays-saved = The year's public holidays were saved.
booking-admin-holiday-name-column = Holiday
booking-admin-holidays-label = Holidays, one a line
booking-admin-holidays-hint = Each line: the day, then the names in English, Traditional Chinese and Simplified Chinese, separated by "|", for example: 2026-12-25 | Christmas Day | 聖誕節 | 圣诞节. Chinese names may be left out.
booking-admin-holidays-save = Save the holidays of { $year }
booking-admin-holidays-year = Public holidays of { $year }
booking-admin-holiday-date = Line { $line }: start with the day as YYYY-MM-DD.
booking-admin-holiday-year = Line { $line }: the day must be in { $year }.
booking-admin-holiday-name = Line { $line }: give the holiday's name in English after the day.
booking-admin-closure-title = Close a day
booking-admin-closure-intro = For typhoon signal No. 8 or a black rainstorm: the day's sessions at the centres you choose close, their bookings are cancelled or moved, and everyone affected is told and offered rebooking. You will see what would be affected before you confirm.
booking-admin-closure-centres = Centres to close
booking-admin-centres-choose = Choose at least one centre.
booking-admin-closure-reason = Reason
booking-admin-reason-typhoon-8 = Typhoon signal No. 8 or above
booking-admin-reason-black-rainstorm = Black rainstorm signal
booking-admin-reason-choose = Choose the reason.
booking-admin-closure-action = What happens to the bookings
booking-admin-action-cancel = Cancel them (people are offered rebooking)
booking-admin-action-move = Move them to the same time on a later day (cancelled where that time is full)
booking-admin-action-choose = Choose what happens to the bookings.
booking-admin-move-to-label = Later day (to move bookings)
booking-admin-move-to-hint = Only when moving bookings. As YYYY-MM-DD.
booking-admin-closure-check-button = Check what would be affected
booking-admin-closure-check = Check before closing
booking-admin-closure-check-intro = Closing { $day } would affect the following. Nothing has changed yet.
booking-admin-closure-affected = What closing would affect
booking-admin-closure-open-slots = Open slots
booking-admin-closure-confirmed = Confirmed bookings
booking-admin-closure-closed-already = closed already
booking-admin-closure-confirm = Close the day and notify everyone affected
booking-admin-closure-change = Change the closure
booking-admin-closure-done = The day was closed.
booking-admin-closure-slots = Slots closed
booking-admin-closure-cancelled = Bookings cancelled
booking-admin-closure-moved = Bookings moved
booking-admin-closure-notified = People notified
booking-stat-title = Booking statistics
booking-stat-heading = Statistics: { $programme }
booking-stat-all-centres = All centres
booking-stat-all-products = All products
booking-stat-show = Show
booking-stat-csv = Download the period's statistics as CSV (all centres and products)
booking-stat-meaning = Bookings are every booking made for the day; each is still to come, attended, a no-show or cancelled.
booking-stat-legend = Chart legend
booking-stat-bookings = Bookings
booking-stat-confirmed = To come
booking-stat-attended = Attended
booking-stat-no-shows = No-shows
booking-stat-cancelled = Cancelled
booking-stat-by-day = By day
booking-stat-by-centre = By centre
booking-stat-day = Day
booking-stat-chart-desc = Stacked bars: to come, attended, no-shows and cancelled; { $bookings } bookings in all. The table below gives the numbers.
booking-stat-table-caption = { $chart }: the numbers
booking-stat-rows = By day, centre and product
booking-stat-rows-caption = Every day, centre and product with bookings
booking-stat-none = No bookings in this period.
booking-officer-camera-start = Scan with the camera
booking-officer-camera-stop = Stop the camera
booking-officer-camera-label = Camera view: hold the booking's QR code in front of it
booking-officer-camera-looking = Looking for a QR code…
booking-officer-camera-found = Code read: finding the booking.
booking-officer-camera-not-reference = This QR code is not a booking reference.
booking-officer-camera-unavailable = The camera cannot be used here: type the reference instead.
booking-centre-officers-too-many = The list names more than 500 officers.
booking-centre-officer-invalid = This is not an account ID (a UUID).
