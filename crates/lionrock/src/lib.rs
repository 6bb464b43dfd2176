//! The composition root: the command line, and the list of modules (the
//! platform and every domain) that make up one lionrock.

pub mod cli;

use platform::module::Module;

/// Every module, platform first; the order of their migrations follows it.
pub fn modules() -> Vec<Module> {
    vec![
        platform::app::platform_module(),
        identity::module(),
        credentials::module(),
        booking::module(),
        opendata::module(),
    ]
}
