//! Open data's configuration section, `[opendata]`: where each server
//! keeps its search index. Strict like every section: unknown keys are
//! refused, `LIONROCK_OPENDATA__<KEY>` overrides the file.

use std::path::PathBuf;
use std::sync::LazyLock;

use platform::app::AppState;
use platform::config::{Loaded, Section, SectionError, parse_section, section_defaults};
use serde::{Deserialize, Serialize};

/// The settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Keep the search index in memory only (filled at each start by
    /// replaying the change log: tests, small catalogues), not under the
    /// data directory.
    pub search_in_memory: bool,
}

/// The section open data contributes.
pub const SECTION: Section = Section { defaults: section_defaults::<Settings>, load };

fn load(table: toml::Table) -> Result<Loaded, SectionError> {
    let settings: Settings = parse_section(table)?;
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
    }
}
