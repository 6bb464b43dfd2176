//! Credentials' configuration section, `[credentials]`: the name of the
//! certificate issuer written into every record, how old a verifier's
//! trust list may grow before it warns, and how long records are kept. Strict like every section:
//! unknown keys are refused, `LIONROCK_CREDENTIALS__<KEY>` overrides the file.

use std::sync::LazyLock;

use platform::app::AppState;
use platform::config::{Loaded, Section, SectionError, parse_section, section_defaults};
use serde::{Deserialize, Serialize};

/// The settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// The certificate issuer (`is` in every record): the health authority's name.
    pub issuer: String,
    /// Hours after which a verifier calls its trust list stale and says so.
    pub stale_after_hours: u32,
    /// Days a record is kept after its credential expires (so its holder
    /// can still have it re-issued), then deleted by the daily clean-up.
    pub retention_days: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self { issuer: "Department of Health".to_owned(), stale_after_hours: 48, retention_days: 730 }
    }
}

/// The section credentials contributes.
pub const SECTION: Section = Section { defaults: section_defaults::<Settings>, load };

fn load(table: toml::Table) -> Result<Loaded, SectionError> {
    let settings: Settings = parse_section(table)?;
    let issuer = settings.issuer.trim();
    if issuer.is_empty() || issuer.chars().count() > 80 {
        return Err(SectionError::new("issuer", "must be 1 to 80 characters"));
    }
    if !(1..=24 * 30).contains(&settings.stale_after_hours) {
        return Err(SectionError::new("stale_after_hours", "must be 1 to 720"));
    }
    if !(1..=3650).contains(&settings.retention_days) {
        return Err(SectionError::new("retention_days", "must be 1 to 3650"));
    }
    Ok(Loaded::new(settings.clone(), &settings))
}

/// The settings in force.
pub fn of(state: &AppState) -> Settings {
    static DEFAULT: LazyLock<Settings> = LazyLock::new(Settings::default);
    state.config.section::<Settings>(crate::NAME).unwrap_or(&DEFAULT).clone()
}
