//! Programmes: what can be booked (vaccination, community testing, border
//! quotas, or any other an administrator defines), where (centres or ports)
//! and who may book it (eligibility as data). Here the rules, without I/O:
//! the kinds, trilingual names, opening hours and the eligibility check that
//! every booking passes. Tables and queries are in `store`, the API in `http`.

pub(crate) mod http;
pub mod store;

use platform::i18n::Lang;
use platform::principal::IdentityLevel;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

/// What a programme is for (stored as its slug).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Vaccination,
    Testing,
    Border,
    Other,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Vaccination, Kind::Testing, Kind::Border, Kind::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Vaccination => "vaccination",
            Kind::Testing => "testing",
            Kind::Border => "border",
            Kind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A text in the three languages lionrock speaks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Names {
    pub en: String,
    #[serde(rename = "zh-HK")]
    pub zh_hk: String,
    #[serde(rename = "zh-CN")]
    pub zh_cn: String,
}

impl Names {
    /// The text in `lang`, or in English where that one is empty.
    pub fn get(&self, lang: Lang) -> &str {
        let s = match lang {
            Lang::En => &self.en,
            Lang::ZhHk => &self.zh_hk,
            Lang::ZhCn => &self.zh_cn,
        };
        if s.is_empty() { &self.en } else { s }
    }
}

/// Who may book a programme, as its administrator set it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Eligibility {
    /// The identity level the booking account needs: `basic` or `real_name`.
    #[schema(value_type = String, example = "basic")]
    pub level: IdentityLevel,
    /// Only holders of a Hong Kong identity card (residents) may book.
    #[serde(default)]
    pub residents_only: bool,
    /// Age on the day of the slot, in whole years, inclusive.
    pub min_age: Option<u32>,
    pub max_age: Option<u32>,
    /// Steps (doses) in the course; step 1 is the first.
    #[serde(default = "one")]
    pub steps: u32,
    /// Days from the previous step's attendance to the next step's slot.
    pub min_interval_days: Option<u32>,
    pub max_interval_days: Option<u32>,
    /// A service people come back to (a test, a border crossing), not a
    /// course: each attendance frees the person for another booking, and
    /// `steps` does not limit them. Each booking then has the next visit's
    /// number as its step (one active booking per person and visit);
    /// `min_interval_days` is the least time between visits, and the
    /// product and `max_interval_days` do not bind.
    #[serde(default)]
    pub repeatable: bool,
}

fn one() -> u32 {
    1
}

/// What is known about the person and the slot when they book.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    /// The booking account's identity level.
    pub level: IdentityLevel,
    /// The person's identity document's kind (`hkid`, `passport`).
    pub document_kind: &'a str,
    pub birthdate: Option<Date>,
    /// The slot's local day and product.
    pub slot_day: Date,
    pub product_id: &'a str,
    /// Steps the person attended in this programme: (step, local day, product).
    pub attended: &'a [(u32, Date, String)],
}

/// Why someone may not book (the API's 422 names it as `reason`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ineligible {
    /// The booking account's identity was not checked to the level needed.
    Level,
    NotResident,
    BirthdateUnknown,
    TooYoung {
        min: u32,
    },
    TooOld {
        max: u32,
    },
    /// Every step of the course is attended.
    CourseComplete,
    /// The next step's slot is before its window opens, or after it closes.
    TooSoon {
        earliest: Date,
    },
    TooLate {
        latest: Date,
    },
    /// The next step must use the product of the previous one.
    OtherProduct,
    /// The programme takes no bookings now.
    NotOpen,
    /// The slot has begun or is over.
    SlotPast,
    /// The person has no checked identity document and none was given.
    DocumentNeeded,
    /// The programme (real-name level, or residents only) needs the
    /// document identity checked for the person; one typed with the booking
    /// proves nothing.
    DocumentUnchecked,
}

impl Ineligible {
    /// Stable machine-readable reason.
    pub fn slug(&self) -> &'static str {
        match self {
            Ineligible::Level => "level",
            Ineligible::NotResident => "not-resident",
            Ineligible::BirthdateUnknown => "birthdate-unknown",
            Ineligible::TooYoung { .. } => "too-young",
            Ineligible::TooOld { .. } => "too-old",
            Ineligible::CourseComplete => "course-complete",
            Ineligible::TooSoon { .. } => "too-soon",
            Ineligible::TooLate { .. } => "too-late",
            Ineligible::OtherProduct => "other-product",
            Ineligible::NotOpen => "not-open",
            Ineligible::SlotPast => "slot-past",
            Ineligible::DocumentNeeded => "document-needed",
            Ineligible::DocumentUnchecked => "document-unchecked",
        }
    }

    /// Arguments of its translated message.
    pub fn args(&self) -> Vec<(&'static str, String)> {
        match self {
            Ineligible::TooYoung { min } => vec![("min", min.to_string())],
            Ineligible::TooOld { max } => vec![("max", max.to_string())],
            Ineligible::TooSoon { earliest } => vec![("date", earliest.to_string())],
            Ineligible::TooLate { latest } => vec![("date", latest.to_string())],
            Ineligible::Level
            | Ineligible::NotResident
            | Ineligible::BirthdateUnknown
            | Ineligible::CourseComplete
            | Ineligible::OtherProduct
            | Ineligible::NotOpen
            | Ineligible::SlotPast
            | Ineligible::DocumentNeeded
            | Ineligible::DocumentUnchecked => Vec::new(),
        }
    }
}

/// Whole years from `born` to `on`.
pub fn age_on(born: Date, on: Date) -> u32 {
    let mut years = on.year() - born.year();
    if (on.month() as u8, on.day()) < (born.month() as u8, born.day()) {
        years -= 1;
    }
    u32::try_from(years).unwrap_or(0)
}

impl Eligibility {
    /// Whether a booking needs the person's document as identity checked it,
    /// not one typed with the booking: a real-name programme, or one for
    /// residents only (anyone can type a valid-looking number, or someone
    /// else's, and hold places with it).
    pub fn needs_checked_document(&self) -> bool {
        self.level == IdentityLevel::RealName || self.residents_only
    }

    /// Whether `check` needs the person's birth date (an age rule).
    pub fn has_age_rule(&self) -> bool {
        self.min_age.is_some() || self.max_age.is_some()
    }

    /// The step this person would book, or why they may not.
    pub fn check(&self, facts: &Facts<'_>) -> Result<u32, Ineligible> {
        if self.level == IdentityLevel::RealName && facts.level != IdentityLevel::RealName {
            return Err(Ineligible::Level);
        }
        if self.residents_only && facts.document_kind != "hkid" {
            return Err(Ineligible::NotResident);
        }
        if self.has_age_rule() {
            let Some(born) = facts.birthdate else { return Err(Ineligible::BirthdateUnknown) };
            let age = age_on(born, facts.slot_day);
            if let Some(min) = self.min_age.filter(|min| age < *min) {
                return Err(Ineligible::TooYoung { min });
            }
            if let Some(max) = self.max_age.filter(|max| age > *max) {
                return Err(Ineligible::TooOld { max });
            }
        }
        let Some(previous) = facts.attended.iter().max_by_key(|(step, ..)| *step) else { return Ok(1) };
        let step = previous.0 + 1;
        if step > self.steps && !self.repeatable {
            return Err(Ineligible::CourseComplete);
        }
        let (_, day, product) = previous;
        if let Some(min) = self.min_interval_days {
            let earliest = day.saturating_add(time::Duration::days(i64::from(min)));
            if facts.slot_day < earliest {
                return Err(Ineligible::TooSoon { earliest });
            }
        }
        if self.repeatable {
            return Ok(step);
        }
        if let Some(max) = self.max_interval_days {
            let latest = day.saturating_add(time::Duration::days(i64::from(max)));
            if facts.slot_day > latest {
                return Err(Ineligible::TooLate { latest });
            }
        }
        if product != facts.product_id {
            return Err(Ineligible::OtherProduct);
        }
        Ok(step)
    }
}

/// When a programme takes bookings: `opens_at` inclusive, `closes_at` exclusive.
pub fn is_open(opens_at: Option<OffsetDateTime>, closes_at: Option<OffsetDateTime>, now: OffsetDateTime) -> bool {
    opens_at.is_none_or(|o| now >= o) && closes_at.is_none_or(|c| now < c)
}

/// Hong Kong's eighteen districts, the values a centre's `district` takes
/// (the Fluent key of each is `booking-district-<slug>`).
pub const DISTRICTS: [&str; 18] = [
    "central-western",
    "wan-chai",
    "eastern",
    "southern",
    "yau-tsim-mong",
    "sham-shui-po",
    "kowloon-city",
    "wong-tai-sin",
    "kwun-tong",
    "kwai-tsing",
    "tsuen-wan",
    "tuen-mun",
    "yuen-long",
    "north",
    "tai-po",
    "sha-tin",
    "sai-kung",
    "islands",
];

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const OPEN: Eligibility = Eligibility {
        level: IdentityLevel::Basic,
        residents_only: false,
        min_age: None,
        max_age: None,
        steps: 2,
        min_interval_days: Some(21),
        max_interval_days: Some(56),
        repeatable: false,
    };

    fn facts(attended: &[(u32, Date, String)]) -> Facts<'_> {
        Facts {
            level: IdentityLevel::Basic,
            document_kind: "hkid",
            birthdate: Some(date!(1950 - 03 - 01)),
            slot_day: date!(2026 - 12 - 01),
            product_id: "p1",
            attended,
        }
    }

    #[test]
    fn a_first_booking_is_step_one_and_the_second_waits_for_its_window() {
        assert_eq!(OPEN.check(&facts(&[])), Ok(1));
        let first = [(1, date!(2026 - 11 - 20), "p1".to_owned())];
        assert_eq!(OPEN.check(&facts(&first)), Err(Ineligible::TooSoon { earliest: date!(2026 - 12 - 11) }));
        let first = [(1, date!(2026 - 11 - 01), "p1".to_owned())];
        assert_eq!(OPEN.check(&facts(&first)), Ok(2));
        let first = [(1, date!(2026 - 09 - 01), "p1".to_owned())];
        assert_eq!(OPEN.check(&facts(&first)), Err(Ineligible::TooLate { latest: date!(2026 - 10 - 27) }));
        let other = [(1, date!(2026 - 11 - 01), "p2".to_owned())];
        assert_eq!(OPEN.check(&facts(&other)), Err(Ineligible::OtherProduct));
        let both = [(1, date!(2026 - 10 - 01), "p1".to_owned()), (2, date!(2026 - 11 - 01), "p1".to_owned())];
        assert_eq!(OPEN.check(&facts(&both)), Err(Ineligible::CourseComplete));
    }

    #[test]
    fn age_level_and_residency_are_checked_on_the_slot_day() {
        let elderly = Eligibility { min_age: Some(60), max_age: Some(120), ..OPEN };
        assert_eq!(elderly.check(&facts(&[])), Ok(1));
        let young = Facts { birthdate: Some(date!(1966 - 12 - 02)), ..facts(&[]) };
        assert_eq!(elderly.check(&young), Err(Ineligible::TooYoung { min: 60 }));
        let sixty = Facts { birthdate: Some(date!(1966 - 12 - 01)), ..facts(&[]) };
        assert_eq!(elderly.check(&sixty), Ok(1));
        assert_eq!(elderly.check(&Facts { birthdate: None, ..facts(&[]) }), Err(Ineligible::BirthdateUnknown));
        let checked = Eligibility { level: IdentityLevel::RealName, residents_only: true, ..OPEN };
        assert_eq!(checked.check(&facts(&[])), Err(Ineligible::Level));
        let real = Facts { level: IdentityLevel::RealName, ..facts(&[]) };
        assert_eq!(checked.check(&real), Ok(1));
        assert_eq!(checked.check(&Facts { document_kind: "passport", ..real }), Err(Ineligible::NotResident));
    }

    #[test]
    fn a_repeatable_service_is_booked_again_after_each_visit() {
        let testing = Eligibility { steps: 1, min_interval_days: None, max_interval_days: None, ..OPEN };
        let visited = [(1, date!(2026 - 11 - 20), "p2".to_owned())];
        assert_eq!(testing.check(&facts(&visited)), Err(Ineligible::CourseComplete), "a course of one");
        let repeatable = Eligibility { repeatable: true, ..testing };
        assert_eq!(repeatable.check(&facts(&[])), Ok(1));
        // The next visit's number, whatever the product and however long ago.
        assert_eq!(repeatable.check(&facts(&visited)), Ok(2));
        let twice = [(1, date!(2025 - 01 - 01), "p1".to_owned()), (2, date!(2026 - 11 - 30), "p1".to_owned())];
        assert_eq!(repeatable.check(&facts(&twice)), Ok(3));
        // A least time between visits still holds.
        let weekly = Eligibility { min_interval_days: Some(7), ..repeatable };
        assert_eq!(weekly.check(&facts(&twice)), Err(Ineligible::TooSoon { earliest: date!(2026 - 12 - 07) }));
    }

    #[test]
    fn ages_count_whole_years() {
        assert_eq!(age_on(date!(2000 - 02 - 29), date!(2018 - 02 - 28)), 17);
        assert_eq!(age_on(date!(2000 - 02 - 29), date!(2018 - 03 - 01)), 18);
        assert_eq!(age_on(date!(2030 - 01 - 01), date!(2026 - 01 - 01)), 0);
    }
}
