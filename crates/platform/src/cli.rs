//! Commands a module adds to the `lionrock` binary (`lionrock users …`,
//! later `lionrock credentials issue …`), and what they run with: the loaded
//! configuration, the modules, `--json`, and a way to open the application.
//! A failure carries its exit code: 2 for what the operator must fix in the
//! invocation or configuration, 1 for the rest; the binary prints it as one
//! line.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;

use crate::app::{AppState, StartError};
use crate::config::Config;
use crate::crypto::{Key, Keys};
use crate::module::Module;

/// Runs a command with the arguments clap matched for it.
pub type Run = fn(Context, clap::ArgMatches) -> Pin<Box<dyn Future<Output = Result<(), Failure>> + Send>>;

/// One top-level command a module adds.
#[derive(Clone, Copy)]
pub struct Command {
    /// Its clap definition (name, arguments, subcommands, help).
    pub command: fn() -> clap::Command,
    pub run: Run,
}

impl Command {
    pub fn name(&self) -> String {
        (self.command)().get_name().to_owned()
    }
}

/// What a command runs with.
pub struct Context {
    pub config: Config,
    /// `--json`: print results as JSON on stdout.
    pub json: bool,
    pub modules: Vec<Module>,
}

impl Context {
    /// The application as `serve` has it (keys loaded, database open and
    /// migrated), without serving.
    pub async fn state(&self) -> Result<AppState, Failure> {
        let keys = load_keys(&self.config)?;
        let state = AppState::new(self.config.clone(), keys, &self.modules).await?;
        state.migrator.run(&state.db).await.map_err(Failure::runtime)?;
        Ok(state)
    }

    /// Prints a result: `json` with `--json`, else the `text` lines.
    pub fn print(&self, json: serde_json::Value, text: impl std::fmt::Display) {
        if self.json {
            println!("{json}");
        } else {
            println!("{text}");
        }
    }
}

/// A command's failure, with its exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    /// The invocation or configuration is wrong (exit 2).
    pub fn usage(message: impl std::fmt::Display) -> Self {
        Self { code: 2, message: message.to_string() }
    }

    /// Something failed while running (exit 1).
    pub fn runtime(message: impl std::fmt::Display) -> Self {
        Self { code: 1, message: message.to_string() }
    }
}

impl From<StartError> for Failure {
    fn from(e: StartError) -> Self {
        match e {
            StartError::Config(e) => Failure::usage(e),
            other => Failure::runtime(other),
        }
    }
}

/// The installation's key files (a missing or malformed one is exit 2).
pub fn load_keys(config: &Config) -> Result<Keys, Failure> {
    let data = Key::load("crypto.data_key_file", &config.data_key_path()).map_err(Failure::usage)?;
    let blind = Key::load("crypto.blind_index_key_file", &config.blind_index_key_path()).map_err(Failure::usage)?;
    let audit = Key::load("crypto.audit_key_file", &config.audit_key_path()).map_err(Failure::usage)?;
    Ok(Keys::new(data, blind, audit))
}

/// Creates the key files that are missing (mode 0600); returns their paths.
pub fn create_keys(config: &Config) -> Result<Vec<PathBuf>, Failure> {
    let mut created = Vec::new();
    for path in [config.data_key_path(), config.blind_index_key_path(), config.audit_key_path()] {
        if Key::create_file(&path).map_err(|e| Failure::runtime(format!("{}: {e}", path.display())))? {
            created.push(path);
        }
    }
    Ok(created)
}
