//! Open data's configuration section, `[opendata]`: where each server
//! keeps its search index, how large an uploaded file may be, and whether
//! and how link resources are fetched into the archive. Strict like every section: unknown keys are
//! refused, `LIONROCK_OPENDATA__<KEY>` overrides the file.

use std::path::PathBuf;
use std::sync::LazyLock;

use platform::app::AppState;
use platform::config::{Loaded, Section, SectionError, parse_section, section_defaults};
use serde::{Deserialize, Serialize};

/// The settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Keep the search index in memory only (filled at each start by
    /// replaying the change log: tests, small catalogues), not under the
    /// data directory.
    pub search_in_memory: bool,
    /// The largest file a resource upload may carry, in MiB (200 by
    /// default); a larger one is refused with 413.
    pub max_upload_mb: u64,
    /// How long an upload may take beyond `server.request_timeout_secs`, in
    /// seconds (600 by default: 200 MB at a third of a megabyte a second).
    pub upload_timeout_secs: u64,
    /// Fetch link resources (files elsewhere) of public datasets at most
    /// once a day and keep a new version in the archive when their bytes
    /// change. Off by default: it sends requests to other servers.
    pub fetch_links: bool,
    /// Let that fetching reach loopback, private, link-local and other
    /// internal addresses (off: a link cannot make lionrock probe its own network).
    pub fetch_private_addresses: bool,
    /// How long one fetch may take, in seconds.
    pub fetch_timeout_secs: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            search_in_memory: false,
            max_upload_mb: 200,
            upload_timeout_secs: 600,
            fetch_links: false,
            fetch_private_addresses: false,
            fetch_timeout_secs: 60,
        }
    }
}

impl Settings {
    /// `max_upload_mb` in bytes.
    pub fn max_upload_bytes(&self) -> u64 {
        self.max_upload_mb.saturating_mul(1024 * 1024)
    }
}

/// The section open data contributes.
pub const SECTION: Section = Section { defaults: section_defaults::<Settings>, load };

fn load(table: toml::Table) -> Result<Loaded, SectionError> {
    let settings: Settings = parse_section(table)?;
    if settings.max_upload_mb == 0 {
        return Err(SectionError::new("max_upload_mb", "must be at least 1"));
    }
    if settings.fetch_timeout_secs == 0 {
        return Err(SectionError::new("fetch_timeout_secs", "must be at least 1"));
    }
    Ok(Loaded::new(settings.clone(), &settings))
}

/// The settings in force.
pub fn of(state: &AppState) -> Settings {
    static DEFAULT: LazyLock<Settings> = LazyLock::new(Settings::default);
    state.config.section::<Settings>(crate::NAME).unwrap_or(&DEFAULT).clone()
}

/// The search index's directory: `<data_dir>/opendata/search`.
pub fn index_dir(config: &platform::config::Config) -> PathBuf {
    config.server.data_dir.join("opendata").join("search")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_refused() {
        let table = |s: &str| toml::from_str::<toml::Table>(s).unwrap();
        assert!(load(section_defaults::<Settings>()).is_ok());
        assert!(load(table("search_in_memory = true")).is_ok());
        assert!(load(table("search_in_ram = true")).is_err());
        assert!(load(table("max_upload_mb = 0")).is_err());
        assert_eq!(Settings::default().max_upload_bytes(), 200 * 1024 * 1024);
    }
}
