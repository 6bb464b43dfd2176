//! Identity's configuration section, `[identity]`: which countries' mobile
//! numbers are accepted, the caps on one-time codes sent by SMS (DESIGN §6)
//! and by e-mail, the operator's banned password words, the places file
//! that names where sessions and sign-in requests come from, and how long a
//! service's refresh tokens may keep a grant alive. Strict like every section:
//! unknown keys are refused, `LIONROCK_IDENTITY__<KEY>` overrides the file,
//! and `lionrock config check` reads the banned-words file too.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use platform::app::AppState;
use platform::config::{Loaded, Section, SectionError, parse_section, section_defaults};
use serde::{Deserialize, Serialize};

use crate::places::Places;

/// The settings as written.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Country calling codes numbers may have, e.g. `["852", "853"]`; the
    /// first is assumed when a resident types a local number.
    pub allowed_country_codes: Vec<String>,
    /// One-time codes sent by SMS to one number per UTC day, at most.
    pub sms_max_per_number_per_day: u32,
    /// One-time codes sent by SMS for one network address per UTC day, at most.
    pub sms_max_per_ip_per_day: u32,
    /// One-time codes sent by SMS per UTC day in all, at most.
    pub sms_max_per_day: u32,
    /// E-mails with a one-time code (or the notice that stands in for one)
    /// to one address per UTC day, at most.
    pub email_max_per_address_per_day: u32,
    /// Words no new password may contain, one per line (`#` comments): the
    /// city's name, local teams, the service's other names (NIST SP
    /// 800-63B's context-specific words), besides the bundled list of
    /// common passwords.
    pub banned_words_file: Option<PathBuf>,
    /// Address ranges and their place names in three languages (see
    /// `places`), shown beside sessions and sign-in approvals; none by default.
    pub places_file: Option<PathBuf>,
    /// The absolute lifetime of a grant's refresh tokens, in days, counted
    /// from the code exchange that made the grant: rotation does not extend
    /// it, and a refresh after it is refused (`invalid_grant`).
    pub refresh_token_lifetime_days: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            allowed_country_codes: vec!["852".to_owned()],
            sms_max_per_number_per_day: 10,
            sms_max_per_ip_per_day: 30,
            sms_max_per_day: 10_000,
            email_max_per_address_per_day: 10,
            banned_words_file: None,
            places_file: None,
            refresh_token_lifetime_days: 30,
        }
    }
}

/// The settings as identity uses them: checked, with the banned words read.
#[derive(Debug, Clone, Default)]
pub struct IdentityConfig {
    pub settings: Settings,
    /// The banned-words file's words, lower-cased (empty without one).
    pub banned_words: Vec<String>,
    /// The places file's ranges (none without one).
    pub places: Places,
}

/// The longest `refresh_token_lifetime_days` accepted: a year.
const MAX_REFRESH_TOKEN_LIFETIME_DAYS: u32 = 365;

/// The section identity contributes.
pub const SECTION: Section = Section { defaults: section_defaults::<Settings>, load };

fn load(table: toml::Table) -> Result<Loaded, SectionError> {
    let settings: Settings = parse_section(table)?;
    if let Some(code) = settings
        .allowed_country_codes
        .iter()
        .find(|c| c.is_empty() || c.len() > 3 || !c.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(SectionError::new(
            "allowed_country_codes",
            format!("{code:?} is not a country calling code (1 to 3 digits)"),
        ));
    }
    for (key, cap) in [
        ("sms_max_per_number_per_day", settings.sms_max_per_number_per_day),
        ("sms_max_per_ip_per_day", settings.sms_max_per_ip_per_day),
        ("sms_max_per_day", settings.sms_max_per_day),
        ("email_max_per_address_per_day", settings.email_max_per_address_per_day),
    ] {
        if cap == 0 {
            return Err(SectionError::new(key, "must be at least 1"));
        }
    }
    if !(1..=MAX_REFRESH_TOKEN_LIFETIME_DAYS).contains(&settings.refresh_token_lifetime_days) {
        return Err(SectionError::new(
            "refresh_token_lifetime_days",
            format!("must be 1 to {MAX_REFRESH_TOKEN_LIFETIME_DAYS}"),
        ));
    }
    let banned_words = match &settings.banned_words_file {
        Some(path) => load_banned_words(path).map_err(|e| SectionError::new("banned_words_file", e))?,
        None => Vec::new(),
    };
    let places = match &settings.places_file {
        Some(path) => Places::load(path).map_err(|e| SectionError::new("places_file", e))?,
        None => Places::default(),
    };
    Ok(Loaded::new(IdentityConfig { settings: settings.clone(), banned_words, places }, &settings))
}

/// Reads a banned-words file: lower-cased words of at least 4 characters.
fn load_banned_words(path: &Path) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut words = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let word = line.trim();
        if word.is_empty() || word.starts_with('#') {
            continue;
        }
        if word.chars().count() < 4 {
            return Err(format!("line {}: {word:?} is shorter than 4 characters (it would refuse too much)", n + 1));
        }
        words.push(word.to_lowercase());
    }
    if words.len() > 100_000 {
        return Err(format!("{} words; at most 100000", words.len()));
    }
    Ok(words)
}

impl IdentityConfig {
    /// How long a grant's refresh tokens live, from the code exchange.
    pub fn refresh_token_lifetime(&self) -> time::Duration {
        time::Duration::days(i64::from(self.settings.refresh_token_lifetime_days))
    }
}

/// Identity's settings in this server (loaded with the configuration).
pub fn of(state: &AppState) -> &IdentityConfig {
    static DEFAULT: LazyLock<IdentityConfig> = LazyLock::new(IdentityConfig::default);
    state.config.section::<IdentityConfig>(crate::NAME).unwrap_or(&DEFAULT)
}
