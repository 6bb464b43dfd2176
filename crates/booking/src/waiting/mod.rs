//! The virtual waiting room: when an administrator switches it on for a
//! programme, residents beyond its admission rate wait for their turn in a
//! first-come queue. Here the rules, without I/O: the settings, the
//! admission clock (how many places are admitted by a given time), a
//! place's position and honest estimated wait, and the admission token.
//! Tables and operations are in `store`, the API in `http`, the pages in `pages`.
//!
//! Decisions (documented in the API too):
//! - Only signed-in residents queue: booking needs an account anyway, and
//!   a place bound to an account cannot be multiplied by opening tabs or
//!   clearing cookies. One place per account per programme; joining again
//!   returns the same place. Many accounts get many places, but each token
//!   works only for its own account, and the duplicate check by identity
//!   document still allows one booking per person per step.
//! - Places are numbered 1, 2, 3… per programme by a counter in the room's
//!   row, taken in the joining transaction (one row lock on PostgreSQL,
//!   `BEGIN IMMEDIATE` on SQLite): first come, first served on every server.
//! - Admission is a clock computed from stored numbers and the time only
//!   (a generic cell-rate algorithm): `rate_per_minute` places per minute
//!   for as long as anyone waits, with at most one minute's worth banked
//!   while the queue stood empty (settled when the next place is taken).
//!   Any server answering computes the same (joining writes it back
//!   conditionally; asking where one stands only computes it), so
//!   positions do not depend on who polls or when.
//! - An admitted place gets a token valid for `validity_minutes` from the
//!   moment its admission was started (by joining: a POST; looking, a GET,
//!   never starts it). A place whose turn came must be started within
//!   `validity_minutes` of that moment (computed from the clock:
//!   `ready_until`), else it lapses as an admission does: places cannot be
//!   banked by joining and never coming back. The token is an HMAC under a key of its own
//!   (derived from the data key for `booking.admission`, apart from the
//!   blind-index key) over the programme, the account, the place and the
//!   expiry: it cannot be
//!   forged, does not work for another account or programme, and fails
//!   after its expiry. It is valid for its whole window, not single use, so
//!   that a resident may book for themselves and the people they look
//!   after, and reschedule, in one admission. Once it has expired, joining
//!   again puts the account at the back of the queue.

pub(crate) mod http;
pub(crate) mod pages;
pub mod store;

use platform::crypto::Keys;

/// The header API clients send the admission token in.
pub const ADMISSION_HEADER: &str = "lionrock-admission";
/// The cookie (per programme: `lr_admission_<programme ID>`) pages carry it in.
pub const ADMISSION_COOKIE_PREFIX: &str = "lr_admission_";
/// The most places a room admits per minute.
pub const MAX_RATE: u32 = 1_000_000;
/// The longest an admission lasts, in minutes.
pub const MAX_VALIDITY_MINUTES: u32 = 24 * 60;
/// Milliseconds in the window whose admissions may be banked.
const BURST_MS: i64 = 60_000;

/// The cookie that carries a programme's admission token.
pub fn cookie_name(programme_id: &str) -> String {
    format!("{ADMISSION_COOKIE_PREFIX}{programme_id}")
}

/// A room's settings, as an administrator sets them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// Whether visitors must queue before booking.
    pub enabled: bool,
    /// Visitors admitted per minute (1 to 1,000,000).
    pub rate_per_minute: u32,
    /// How long an admission lasts, in minutes (1 to 1,440).
    pub validity_minutes: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { enabled: false, rate_per_minute: 600, validity_minutes: 15 }
    }
}

/// A setting out of range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadSetting {
    Rate,
    Validity,
}

impl Settings {
    /// The settings if every value is in range.
    pub fn check(self) -> Result<Settings, BadSetting> {
        if !(1..=MAX_RATE).contains(&self.rate_per_minute) {
            return Err(BadSetting::Rate);
        }
        if !(1..=MAX_VALIDITY_MINUTES).contains(&self.validity_minutes) {
            return Err(BadSetting::Validity);
        }
        Ok(self)
    }

    pub fn validity_ms(self) -> i64 {
        i64::from(self.validity_minutes) * 60_000
    }
}

/// The admission clock of a room: places `1..=admitted` are admitted, and
/// `at_ms` (Unix milliseconds) is the virtual time up to which admissions
/// have been spent. Stored in the room's row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    pub admitted: i64,
    pub at_ms: i64,
}

impl Clock {
    /// The clock of a room switched on at `now_ms`: nobody admitted yet, one
    /// minute's worth of admissions available at once.
    pub fn start(now_ms: i64) -> Clock {
        Clock { admitted: 0, at_ms: now_ms - BURST_MS }
    }
}

/// A time as Unix milliseconds, the unit of the admission clock.
pub fn unix_ms(t: time::OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// `a * b / c` rounded up, without overflow (`c > 0`).
fn mul_div_ceil(a: i64, b: i64, c: i64) -> i64 {
    let n = i128::from(a) * i128::from(b);
    let c = i128::from(c);
    i64::try_from((n + c - 1).div_euclid(c)).unwrap_or(i64::MAX)
}

/// The clock at `now_ms` with `joined` places taken: admits the next places
/// by number at `rate` per minute for all the time anyone was waiting. A
/// pure function of its inputs, so every server computes the same; a
/// `now_ms` before the stored time admits nobody more.
pub fn advance(clock: Clock, joined: i64, rate_per_minute: u32, now_ms: i64) -> Clock {
    let rate = i64::from(rate_per_minute.max(1));
    let waiting = joined - clock.admitted;
    if waiting <= 0 || now_ms <= clock.at_ms {
        return clock;
    }
    let credits = i64::try_from(i128::from(now_ms - clock.at_ms) * i128::from(rate) / 60_000).unwrap_or(i64::MAX);
    let admit = credits.min(waiting);
    if admit == 0 {
        return clock;
    }
    Clock { admitted: clock.admitted + admit, at_ms: clock.at_ms + mul_div_ceil(admit, 60_000, rate) }
}

/// The clock just before place `joined + 1` is taken at `now_ms`: advanced,
/// and if nobody is left waiting, the time the room stood idle is banked
/// for at most one minute, so a quiet hour does not let a crowd in at once.
pub fn before_join(clock: Clock, joined: i64, rate_per_minute: u32, now_ms: i64) -> Clock {
    let clock = advance(clock, joined, rate_per_minute, now_ms);
    if clock.admitted < joined {
        return clock;
    }
    Clock { admitted: clock.admitted, at_ms: clock.at_ms.max(now_ms - BURST_MS) }
}

/// Where a place stands against the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Turn {
    /// Admitted: the place may book.
    Admitted,
    /// `position` places are yet to be admitted up to and including this
    /// one; it should be admitted in about `wait_seconds`.
    Waiting { position: i64, wait_seconds: i64 },
}

/// Where `place` stands at `now_ms` after the clock was advanced to `clock`.
/// The wait is when the clock, at `rate` per minute, reaches the place.
pub fn turn(place: i64, clock: Clock, rate_per_minute: u32, now_ms: i64) -> Turn {
    let position = place - clock.admitted;
    if position <= 0 {
        return Turn::Admitted;
    }
    let rate = i64::from(rate_per_minute.max(1));
    let at = clock.at_ms + mul_div_ceil(position, 60_000, rate);
    let wait_seconds = mul_div_ceil((at - now_ms).max(0), 1, 1000).max(1);
    Turn::Waiting { position, wait_seconds }
}

/// Until when a place whose turn has come may start its admission (Unix
/// ms), or `None` while it waits. Its turn came when the clock reached it:
/// the clock admits one place every `60000 / rate` ms, so place `place` was
/// reached that long per place before `clock.at_ms` (never before the place
/// was taken, `joined_ms`: a banked minute does not age a new place). A
/// place not started (joined again, a POST) within the admission's validity
/// from then lapses like an admission that ran out: no account banks a
/// place it never used, however long ago its turn came.
pub fn ready_until(place: i64, clock: Clock, settings: Settings, joined_ms: i64) -> Option<i64> {
    let behind = clock.admitted - place;
    if behind < 0 {
        return None;
    }
    let rate = i128::from(settings.rate_per_minute.max(1));
    let earlier = i64::try_from(i128::from(behind) * 60_000 / rate).unwrap_or(i64::MAX);
    let came = clock.at_ms.saturating_sub(earlier).max(joined_ms);
    Some(came.saturating_add(settings.validity_ms()))
}

/// An admission, as a token carries it. The programme and account are not
/// in the token: they come from the request, and the MAC covers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admission {
    pub place: i64,
    pub expires_ms: i64,
}

/// Version prefix of tokens (`a1` was MACed with the blind-index key).
const TOKEN_VERSION: &str = "a2";

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// No token came with the request.
    Missing,
    /// Not a token, made with another key, or for another account or programme.
    Invalid,
    /// A true token whose admission is over.
    Expired,
}

impl Refused {
    /// The problem's `reason`.
    pub fn slug(self) -> &'static str {
        match self {
            Refused::Missing => "admission-missing",
            Refused::Invalid => "admission-invalid",
            Refused::Expired => "admission-expired",
        }
    }
}

/// The MAC's purpose: its key is derived for it alone (`Keys::token_mac`).
const MAC_PURPOSE: &str = "booking.admission";

fn mac_message(programme_id: &str, account_id: &str, admission: Admission) -> String {
    format!("{programme_id}\0{account_id}\0{}\0{}", admission.place, admission.expires_ms)
}

fn mac(keys: &Keys, programme_id: &str, account_id: &str, admission: Admission) -> String {
    keys.token_mac(MAC_PURPOSE, mac_message(programme_id, account_id, admission).as_bytes())
}

impl Admission {
    /// The token for this admission of `account_id` in `programme_id`:
    /// `a2.<place>.<expiry ms>.<MAC>`. The same admission always gives the
    /// same token, whichever server makes it.
    pub fn token(self, keys: &Keys, programme_id: &str, account_id: &str) -> String {
        format!("{TOKEN_VERSION}.{}.{}.{}", self.place, self.expires_ms, mac(keys, programme_id, account_id, self))
    }

    /// Checks a presented token for `account_id` in `programme_id` at `now_ms`.
    pub fn verify(
        keys: &Keys,
        programme_id: &str,
        account_id: &str,
        presented: Option<&str>,
        now_ms: i64,
    ) -> Result<Admission, Refused> {
        let presented = presented.map(str::trim).filter(|t| !t.is_empty()).ok_or(Refused::Missing)?;
        let (admission, presented_mac) = parse(presented).ok_or(Refused::Invalid)?;
        // Checked in constant time: the time taken says nothing about how
        // much of the presented MAC was right.
        let message = mac_message(programme_id, account_id, admission);
        if !keys.token_mac_valid(MAC_PURPOSE, message.as_bytes(), presented_mac) {
            return Err(Refused::Invalid);
        }
        if now_ms >= admission.expires_ms {
            return Err(Refused::Expired);
        }
        Ok(admission)
    }
}

/// The parts of a token, if it has the shape of one.
fn parse(token: &str) -> Option<(Admission, &str)> {
    let mut parts = token.split('.');
    if parts.next()? != TOKEN_VERSION {
        return None;
    }
    let place: i64 = parts.next()?.parse().ok()?;
    let expires_ms: i64 = parts.next()?.parse().ok()?;
    let mac = parts.next()?;
    if parts.next().is_some() || place < 1 || mac.len() != 64 || !mac.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    Some((Admission { place, expires_ms }, mac))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const T0: i64 = 1_800_000_000_000;

    #[test]
    fn a_fresh_room_admits_one_minute_s_worth_at_once_then_the_rate() {
        let clock = Clock::start(T0);
        // 100 join at once, 10 per minute: 10 are admitted now.
        let now = advance(clock, 100, 10, T0);
        assert_eq!(now.admitted, 10);
        // Six seconds later one more, a minute later ten more.
        assert_eq!(advance(now, 100, 10, T0 + 5_999).admitted, 10);
        assert_eq!(advance(now, 100, 10, T0 + 6_000).admitted, 11);
        assert_eq!(advance(now, 100, 10, T0 + 60_000).admitted, 20);
        // Advancing in steps gives what one step gives.
        let mut stepped = now;
        for s in 1..=60 {
            stepped = advance(stepped, 100, 10, T0 + s * 1_000);
        }
        assert_eq!(stepped, advance(now, 100, 10, T0 + 60_000));
    }

    #[test]
    fn an_idle_room_banks_at_most_a_minute() {
        let clock = advance(Clock::start(T0), 5, 10, T0);
        assert_eq!(clock.admitted, 5);
        // An hour with nobody waiting, then 1000 join: 10 go in, not 600.
        let later = T0 + 3_600_000;
        let joining = before_join(clock, 5, 10, later);
        assert_eq!(advance(joining, 1005, 10, later).admitted, 15);
    }

    #[test]
    fn waiting_time_counts_whoever_asks_and_whenever() {
        // 100 wait; nobody asks for ten minutes: a hundred are admitted then,
        // as if someone had asked every second.
        let clock = advance(Clock::start(T0), 100, 10, T0);
        assert_eq!(advance(clock, 100, 10, T0 + 600_000).admitted, 100);
        // Joining while others wait banks nothing and loses nothing.
        assert_eq!(before_join(clock, 100, 10, T0 + 60_000), advance(clock, 100, 10, T0 + 60_000));
    }

    #[test]
    fn a_place_whose_turn_came_lapses_after_the_validity_unless_started() {
        let settings = Settings { enabled: true, rate_per_minute: 10, validity_minutes: 15 };
        // 100 join at T0, 10 a minute with the first minute banked: place
        // 100's turn came at T0 + 9 min, place 50's at T0 + 4 min, place 1's
        // before T0 (the banked minute), so counted from when it joined.
        let clock = advance(Clock::start(T0), 100, 10, T0 + 600_000);
        let validity = settings.validity_ms();
        assert_eq!(ready_until(100, clock, settings, T0), Some(T0 + 540_000 + validity));
        assert_eq!(ready_until(50, clock, settings, T0), Some(T0 + 240_000 + validity));
        assert_eq!(ready_until(1, clock, settings, T0), Some(T0 + validity));
        // A place still waiting has no deadline.
        let early = advance(Clock::start(T0), 100, 10, T0 + 60_000);
        assert_eq!(ready_until(30, early, settings, T0), None);
        // Days later the same numbers say the same: long lapsed.
        let days = advance(clock, 100, 10, T0 + 3 * 86_400_000);
        assert!(ready_until(100, days, settings, T0).unwrap() < T0 + 86_400_000);
    }

    #[test]
    fn the_clock_never_goes_back() {
        let clock = advance(Clock::start(T0), 100, 10, T0 + 30_000);
        assert_eq!(advance(clock, 100, 10, T0), clock);
    }

    #[test]
    fn position_and_wait_are_honest() {
        let clock = advance(Clock::start(T0), 100, 10, T0);
        assert_eq!(turn(10, clock, 10, T0), Turn::Admitted);
        // Place 11 is next: one interval (6 s) away; place 20 ten intervals.
        assert_eq!(turn(11, clock, 10, T0), Turn::Waiting { position: 1, wait_seconds: 6 });
        assert_eq!(turn(20, clock, 10, T0), Turn::Waiting { position: 10, wait_seconds: 60 });
        // When the estimate has passed, the place is admitted.
        assert_eq!(turn(20, advance(clock, 100, 10, T0 + 60_000), 10, T0 + 60_000), Turn::Admitted);
    }

    #[test]
    fn settings_are_checked() {
        assert!(Settings::default().check().is_ok());
        assert!(!Settings::default().enabled, "off by default");
        let s = Settings { rate_per_minute: 0, ..Settings::default() };
        assert_eq!(s.check(), Err(BadSetting::Rate));
        let s = Settings { validity_minutes: MAX_VALIDITY_MINUTES + 1, ..Settings::default() };
        assert_eq!(s.check(), Err(BadSetting::Validity));
    }

    #[test]
    fn tokens_are_bound_to_programme_account_and_time() {
        let keys = Keys::ephemeral();
        let a = Admission { place: 7, expires_ms: T0 + 900_000 };
        let token = a.token(&keys, "p1", "acc1");
        assert_eq!(token, a.token(&keys, "p1", "acc1"), "the same on every server");
        assert!(token.starts_with("a2."), "{token}");
        // Its MAC is under a key of its own, not the blind-index key (whose MACs are kept at rest).
        let message = format!("p1\0acc1\0{}\0{}", 7, T0 + 900_000);
        assert!(!token.ends_with(&keys.blind_index("booking.admission", &message)), "{token}");
        assert_eq!(Admission::verify(&keys, "p1", "acc1", Some(&token), T0), Ok(a));
        assert_eq!(Admission::verify(&keys, "p1", "acc2", Some(&token), T0), Err(Refused::Invalid));
        assert_eq!(Admission::verify(&keys, "p2", "acc1", Some(&token), T0), Err(Refused::Invalid));
        assert_eq!(Admission::verify(&Keys::ephemeral(), "p1", "acc1", Some(&token), T0), Err(Refused::Invalid));
        assert_eq!(Admission::verify(&keys, "p1", "acc1", Some(&token), T0 + 900_000), Err(Refused::Expired));
        assert_eq!(Admission::verify(&keys, "p1", "acc1", None, T0), Err(Refused::Missing));
        assert_eq!(Admission::verify(&keys, "p1", "acc1", Some(" "), T0), Err(Refused::Missing));
        // A later expiry with the old MAC: forged.
        let forged = token.replacen(&format!(".{}.", T0 + 900_000), &format!(".{}.", T0 + 9_000_000), 1);
        assert_eq!(Admission::verify(&keys, "p1", "acc1", Some(&forged), T0 + 1_000_000), Err(Refused::Invalid));
    }

    proptest! {
        #[test]
        fn admissions_follow_the_rate(
            rate in 1u32..5_000,
            steps in proptest::collection::vec((0i64..120_000, 0i64..500), 1..40),
        ) {
            let mut clock = Clock::start(T0);
            let (mut now, mut joined) = (T0, 0);
            for (dt, more) in steps {
                now += dt;
                joined += more;
                let next = advance(clock, joined, rate, now);
                prop_assert!(next.admitted >= clock.admitted, "never un-admits");
                prop_assert!(next.admitted <= joined, "never admits a place not taken");
                // Within the rate: what the time since the clock's own time allows.
                let allowed = i128::from(rate) * i128::from(now - clock.at_ms) / 60_000;
                prop_assert!(i128::from(next.admitted - clock.admitted) <= allowed);
                // A join never banks more than a minute.
                prop_assert!(before_join(next, joined, rate, now).at_ms >= next.at_ms.min(now - BURST_MS));
                // And never stalls: with people waiting, a full interval admits someone.
                let later = now + mul_div_ceil(1, 60_000, i64::from(rate));
                if joined > next.admitted {
                    prop_assert!(advance(next, joined, rate, later).admitted > next.admitted);
                }
                clock = next;
            }
        }

        #[test]
        fn every_waiting_place_has_a_later_wait_than_the_one_before(
            rate in 1u32..5_000, admitted in 0i64..1000, place in 1i64..2000,
        ) {
            let clock = Clock { admitted, at_ms: T0 };
            match (turn(place, clock, rate, T0), turn(place + 1, clock, rate, T0)) {
                (Turn::Admitted, _) => prop_assert!(place <= admitted),
                (Turn::Waiting { position, wait_seconds: a }, Turn::Waiting { wait_seconds: b, .. }) => {
                    prop_assert_eq!(position, place - admitted);
                    prop_assert!(b >= a);
                }
                (Turn::Waiting { .. }, Turn::Admitted) => prop_assert!(false, "a later place went first"),
            }
        }

        #[test]
        fn parsing_tokens_never_panics(s in "\\PC{0,120}") {
            let keys = Keys::ephemeral();
            prop_assert!(Admission::verify(&keys, "p", "a", Some(&s), T0).is_err());
        }
    }
}
