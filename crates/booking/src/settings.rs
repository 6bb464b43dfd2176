//! Booking's configuration section, `[booking]`: how many live
//! availability streams (server-sent events) one server keeps open, in all
//! and per client address, and how many notices of their own acts one
//! contact is sent per day. Strict like every section: unknown keys are
//! refused, `LIONROCK_BOOKING__<KEY>` overrides the file.

use std::sync::LazyLock;

use platform::app::AppState;
use platform::config::{Loaded, Section, SectionError, parse_section, section_defaults};
use serde::{Deserialize, Serialize};

/// The settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Live availability streams one server keeps open at once; more are
    /// refused with 503 (the page's plain refresh still works).
    pub live_max_streams: u32,
    /// Of those, at most this many from one client address (an IPv4
    /// address or an IPv6 /64, as `server.trusted_proxies` reveals it);
    /// more are refused with 429.
    pub live_max_streams_per_client: u32,
    /// Notices of a resident's own acts (booked, cancelled, moved) and
    /// reminders sent to one e-mail address or phone number per local day;
    /// more are dropped (SMS cost money: "SMS pumping"). Results and
    /// closure notices do not count.
    pub notices_per_contact_per_day: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self { live_max_streams: 5_000, live_max_streams_per_client: 20, notices_per_contact_per_day: 20 }
    }
}

/// The section booking contributes.
pub const SECTION: Section = Section { defaults: section_defaults::<Settings>, load };

fn load(table: toml::Table) -> Result<Loaded, SectionError> {
    let settings: Settings = parse_section(table)?;
    if !(1..=1_000_000).contains(&settings.live_max_streams) {
        return Err(SectionError::new("live_max_streams", "must be 1 to 1000000"));
    }
    if !(1..=settings.live_max_streams).contains(&settings.live_max_streams_per_client) {
        return Err(SectionError::new("live_max_streams_per_client", "must be 1 to live_max_streams"));
    }
    if !(1..=1_000).contains(&settings.notices_per_contact_per_day) {
        return Err(SectionError::new("notices_per_contact_per_day", "must be 1 to 1000"));
    }
    Ok(Loaded::new(settings.clone(), &settings))
}

/// The settings in force.
pub fn of(state: &AppState) -> Settings {
    static DEFAULT: LazyLock<Settings> = LazyLock::new(Settings::default);
    state.config.section::<Settings>(crate::NAME).unwrap_or(&DEFAULT).clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_checked() {
        let table = |s: &str| toml::from_str::<toml::Table>(s).unwrap();
        assert!(load(section_defaults::<Settings>()).is_ok());
        assert_eq!(load(table("live_max_streams = 0")).err().unwrap().key, "live_max_streams");
        let over = "live_max_streams = 10\nlive_max_streams_per_client = 11";
        assert_eq!(load(table(over)).err().unwrap().key, "live_max_streams_per_client");
        assert_eq!(load(table("notices_per_contact_per_day = 0")).err().unwrap().key, "notices_per_contact_per_day");
        assert!(load(table("live_streams = 1")).is_err(), "unknown keys are refused");
    }
}
