//! Setting a programme up from a file (`lionrock booking import FILE`, the
//! demo, tests): programmes with their eligibility, products, centres with
//! opening hours, and slots generated from those hours. Here the plan as
//! read (TOML or JSON), its checks and the slot generation, without I/O;
//! `store` applies a plan idempotently (by slugs and slot start times).

pub mod store;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::{Date, Time, Weekday};

use crate::programmes::{DISTRICTS, Eligibility, Kind, Names};

/// A set-up file: one or more programmes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    #[serde(rename = "programme")]
    pub programmes: Vec<ProgrammePlan>,
}

/// A programme as the file describes it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgrammePlan {
    pub slug: String,
    pub kind: Kind,
    pub name: Names,
    pub eligibility: Eligibility,
    /// When bookings open (RFC 3339); open from the start when absent.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub opens_at: Option<time::OffsetDateTime>,
    /// When bookings close (RFC 3339, exclusive); never when absent.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closes_at: Option<time::OffsetDateTime>,
    #[serde(rename = "product")]
    pub products: Vec<ProductPlan>,
    #[serde(rename = "centre")]
    pub centres: Vec<CentrePlan>,
    #[serde(default, rename = "slots")]
    pub slots: Vec<SlotsPlan>,
}

/// A product (a vaccine brand, a kind of test) the programme offers.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductPlan {
    pub code: String,
    pub name: Names,
}

/// A centre (or a border port), with its opening hours in local time.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CentrePlan {
    pub slug: String,
    pub name: Names,
    pub address: Names,
    /// One of Hong Kong's eighteen districts (`sha-tin`, `wan-chai`, …).
    pub district: String,
    pub latitude: f64,
    pub longitude: f64,
    /// Weekday (`mon` … `sun`) to opening periods (`09:00-13:00`), local time.
    pub hours: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub accessibility: Names,
}

/// Slots to generate from the centres' opening hours.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SlotsPlan {
    /// First day: `YYYY-MM-DD`, `today` or `today+N`.
    pub from: String,
    /// Days from `from`, inclusive of it.
    pub days: u32,
    /// Length of each slot.
    pub minutes: u32,
    /// Places in each slot.
    pub capacity: u32,
    /// Product codes to make slots for (every product by default).
    #[serde(default)]
    pub products: Vec<String>,
    /// Centre slugs (every centre by default).
    #[serde(default)]
    pub centres: Vec<String>,
    /// A daily quota per centre and product on each day given slots (none
    /// by default): a day's bookings stop there even with places left.
    #[serde(default)]
    pub quota: Option<u32>,
}

/// What importing made or found, by slug, for `--json`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Imported {
    pub programmes: Vec<ImportedProgramme>,
}

#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct ImportedProgramme {
    pub slug: String,
    pub id: String,
    pub created: bool,
    /// Product code to ID.
    pub products: BTreeMap<String, String>,
    /// Centre slug to ID.
    pub centres: BTreeMap<String, String>,
    /// Slots made by this import (ones that existed are kept as they are).
    pub slots_created: u64,
}

/// A local opening period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub start: Time,
    pub end: Time,
}

const WEEKDAYS: [(&str, Weekday); 7] = [
    ("mon", Weekday::Monday),
    ("tue", Weekday::Tuesday),
    ("wed", Weekday::Wednesday),
    ("thu", Weekday::Thursday),
    ("fri", Weekday::Friday),
    ("sat", Weekday::Saturday),
    ("sun", Weekday::Sunday),
];

/// `09:00-13:00` as a period.
pub fn parse_period(text: &str) -> Option<Period> {
    let format = time::macros::format_description!("[hour]:[minute]");
    let (a, b) = text.trim().split_once('-')?;
    let start = Time::parse(a.trim(), format).ok()?;
    let end = Time::parse(b.trim(), format).ok()?;
    (start < end).then_some(Period { start, end })
}

/// A day as the plan writes it: `YYYY-MM-DD`, `today` or `today+N`.
pub fn parse_day(text: &str, today: Date) -> Option<Date> {
    let text = text.trim();
    if let Some(rest) = text.strip_prefix("today") {
        let days: i64 = if rest.is_empty() { 0 } else { rest.strip_prefix('+')?.parse().ok()? };
        return today.checked_add(time::Duration::days(days));
    }
    Date::parse(text, time::macros::format_description!("[year]-[month]-[day]")).ok()
}

impl CentrePlan {
    /// The opening periods on `weekday`.
    pub fn periods(&self, weekday: Weekday) -> Vec<Period> {
        periods(&self.hours, weekday)
    }
}

/// The opening periods on `weekday` of a centre open `hours` (weekday to
/// `HH:MM-HH:MM` periods).
pub fn periods(hours: &BTreeMap<String, Vec<String>>, weekday: Weekday) -> Vec<Period> {
    let Some((key, _)) = WEEKDAYS.iter().find(|(_, w)| *w == weekday) else { return Vec::new() };
    hours.get(*key).map(|list| list.iter().filter_map(|p| parse_period(p)).collect()).unwrap_or_default()
}

/// The local start times of the slots a centre has on `day`: back to back
/// in each opening period, the last one ending by the period's end.
pub fn slot_starts(periods: &[Period], minutes: u32) -> Vec<Time> {
    let step = time::Duration::minutes(i64::from(minutes.max(1)));
    let mut out = Vec::new();
    for p in periods {
        let mut t = p.start;
        loop {
            let end = t + step;
            if end <= t || end > p.end {
                break;
            }
            out.push(t);
            t = end;
        }
    }
    out
}

/// What is wrong with a plan, one line per problem (empty when it can be applied).
pub fn problems(plan: &Plan) -> Vec<String> {
    let mut out = Vec::new();
    let slug_ok = |s: &str| {
        !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    for (i, p) in plan.programmes.iter().enumerate() {
        let at = format!("programme[{i}] ({})", p.slug);
        if !slug_ok(&p.slug) {
            out.push(format!("{at}: slug must be 1-64 lower-case letters, digits and dashes"));
        }
        if p.name.en.trim().is_empty() {
            out.push(format!("{at}: name.en is required"));
        }
        let e = &p.eligibility;
        if !(1..=9).contains(&e.steps) {
            out.push(format!("{at}: eligibility.steps must be 1 to 9"));
        }
        if let (Some(min), Some(max)) = (e.min_age, e.max_age)
            && min > max
        {
            out.push(format!("{at}: eligibility.min_age is above max_age"));
        }
        if let (Some(min), Some(max)) = (e.min_interval_days, e.max_interval_days)
            && min > max
        {
            out.push(format!("{at}: eligibility.min_interval_days is above max_interval_days"));
        }
        if p.products.is_empty() {
            out.push(format!("{at}: needs at least one product"));
        }
        for d in &p.products {
            if !slug_ok(&d.code) {
                out.push(format!("{at}: product code {:?} must be lower-case letters, digits and dashes", d.code));
            }
        }
        for c in &p.centres {
            let at = format!("{at} centre {}", c.slug);
            if !slug_ok(&c.slug) {
                out.push(format!("{at}: slug must be 1-64 lower-case letters, digits and dashes"));
            }
            if !DISTRICTS.contains(&c.district.as_str()) {
                out.push(format!("{at}: district must be one of {}", DISTRICTS.join(", ")));
            }
            if !(-90.0..=90.0).contains(&c.latitude) || !(-180.0..=180.0).contains(&c.longitude) {
                out.push(format!("{at}: latitude and longitude are out of range"));
            }
            for (day, periods) in &c.hours {
                if !WEEKDAYS.iter().any(|(k, _)| k == day) {
                    out.push(format!("{at}: hours.{day} is not a weekday (mon … sun)"));
                }
                for text in periods.iter().filter(|t| parse_period(t).is_none()) {
                    out.push(format!("{at}: hours.{day} {text:?} is not HH:MM-HH:MM"));
                }
            }
        }
        for (j, s) in p.slots.iter().enumerate() {
            let at = format!("{at} slots[{j}]");
            if parse_day(&s.from, Date::MIN).is_none() {
                out.push(format!("{at}: from must be YYYY-MM-DD, today or today+N"));
            }
            if !(1..=366).contains(&s.days) || !(5..=1440).contains(&s.minutes) || !(1..=100_000).contains(&s.capacity)
            {
                out.push(format!("{at}: days must be 1-366, minutes 5-1440 and capacity 1-100000"));
            }
            if s.quota.is_some_and(|q| !(1..=1_000_000).contains(&q)) {
                out.push(format!("{at}: quota must be 1-1000000"));
            }
            for code in s.products.iter().filter(|c| !p.products.iter().any(|d| &d.code == *c)) {
                out.push(format!("{at}: product {code:?} is not one of the programme's"));
            }
            for slug in s.centres.iter().filter(|c| !p.centres.iter().any(|x| &x.slug == *c)) {
                out.push(format!("{at}: centre {slug:?} is not one of the programme's"));
            }
        }
    }
    out
}

/// Reads a plan from TOML, or JSON when the text starts with `{`; an
/// error is one line.
pub fn parse(text: &str) -> Result<Plan, String> {
    if text.trim_start().starts_with('{') {
        serde_json::from_str(text).map_err(|e| e.to_string())
    } else {
        toml::from_str(text).map_err(|e| {
            // toml's Display draws the line with a caret over several lines;
            // operators get one: where, and what.
            let message = e.message().trim();
            match e.span() {
                Some(span) => {
                    let line = text.get(..span.start).map_or(0, |before| before.matches('\n').count()) + 1;
                    format!("line {line}: {message}")
                }
                None => message.to_owned(),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, time};

    #[test]
    fn slots_fill_each_period_back_to_back() {
        let periods = [parse_period("09:00-10:00").unwrap(), parse_period("14:00-14:50").unwrap()];
        assert_eq!(
            slot_starts(&periods, 20),
            vec![time!(09:00), time!(09:20), time!(09:40), time!(14:00), time!(14:20)]
        );
        assert!(parse_period("10:00-09:00").is_none());
        assert!(parse_period("9am-5pm").is_none());
    }

    #[test]
    fn days_are_dates_or_relative_to_today() {
        let today = date!(2026 - 11 - 30);
        assert_eq!(parse_day("today", today), Some(today));
        assert_eq!(parse_day("today+2", today), Some(date!(2026 - 12 - 02)));
        assert_eq!(parse_day("2027-01-05", today), Some(date!(2027 - 01 - 05)));
        assert_eq!(parse_day("tomorrow", today), None);
    }
}
