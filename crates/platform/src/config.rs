//! Configuration: defaults, then a TOML file, then `LIONROCK_<SECTION>__<KEY>`
//! environment variables; unknown keys rejected; secrets from `*_file` keys.

use std::any::Any;
use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ipnet::IpNet;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::i18n::Lang;

/// Everything lionrock reads at start-up.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub crypto: CryptoConfig,
    pub locale: LocaleConfig,
    pub limits: LimitsConfig,
    pub mail: MailConfig,
    pub sms: SmsConfig,
    pub outbox: OutboxConfig,
    /// Modules' own sections (`[identity]`, …), read and checked by each
    /// module's [`Section`]; not part of platform's schema.
    #[serde(skip)]
    pub modules: ModuleSections,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address the HTTP server binds.
    pub listen: SocketAddr,
    /// The external URL residents use (absolute links, OIDC issuer, cookies).
    pub public_url: String,
    /// Proxies whose `X-Forwarded-For` / `X-Forwarded-Proto` are believed.
    pub trusted_proxies: Vec<IpNet>,
    /// Where the embedded database, keys and other files live.
    pub data_dir: PathBuf,
    /// Seconds a request may take before it is answered with 503.
    pub request_timeout_secs: u64,
    /// Largest request body accepted, in bytes.
    pub body_limit_bytes: usize,
    /// Seconds in-flight requests get to finish after SIGTERM.
    pub shutdown_grace_secs: u64,
    /// PEM certificate chain for built-in HTTPS (usually a TLS proxy does this).
    pub tls_cert_file: Option<PathBuf>,
    /// PEM private key for built-in HTTPS.
    pub tls_key_file: Option<PathBuf>,
    /// Built-in HTTPS: TLS handshakes in flight at most; further connections
    /// wait in the accept queue until one finishes.
    pub tls_max_handshakes: u32,
    /// Built-in HTTPS: seconds a client gets to complete its TLS handshake.
    pub tls_handshake_timeout_secs: u64,
    /// Who may read `/metrics` (client addresses); loopback only by default.
    pub metrics_allow: Vec<IpNet>,
    /// A session ends after this many seconds without a request.
    pub session_idle_secs: u64,
    /// A session ends this many seconds after sign-in, however active.
    pub session_absolute_secs: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `sqlite://PATH` or `postgres://…`; empty means `sqlite://<data_dir>/lionrock.db`.
    pub url: Secret,
    pub url_file: Option<PathBuf>,
    pub max_connections: u32,
    pub busy_timeout_ms: u64,
    /// SQLite only: when a commit counts as done. `full` (the default): each
    /// commit waits until the write-ahead log is on disk (fsync), so a
    /// confirmed write survives a power cut or an OS crash. `normal`: the log
    /// is synced only at checkpoints; commits are faster, and a crash of
    /// lionrock loses nothing, but a power cut or OS crash can roll back the
    /// last confirmed writes (the database stays consistent).
    pub sqlite_synchronous: SqliteSynchronous,
    /// Whether short, frequent writes (refresh-token grants) share commits
    /// under load (`db::writer`): `auto` (the default) on SQLite, where
    /// writers take turns anyway and each commit is a sync of the log;
    /// `on` or `off` everywhere. Every write is still committed before it
    /// is answered.
    pub group_commit: GroupCommit,
}

/// `database.group_commit`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupCommit {
    #[default]
    Auto,
    On,
    Off,
}

/// How SQLite syncs commits to disk (`database.sqlite_synchronous`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SqliteSynchronous {
    #[default]
    Full,
    Normal,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CryptoConfig {
    /// File holding the 32-byte data-encryption key (64 hex characters).
    /// Empty means `<data_dir>/keys/data.key`.
    pub data_key_file: Option<PathBuf>,
    /// File holding the 32-byte blind-index key (64 hex characters).
    pub blind_index_key_file: Option<PathBuf>,
    /// File holding the 32-byte key that chains the audit log (64 hex
    /// characters). Empty means `<data_dir>/keys/audit.key`.
    pub audit_key_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LocaleConfig {
    pub default: Lang,
    pub timezone: String,
    /// The jurisdiction running lionrock (ISO 3166-1 alpha-2): the issuer
    /// country of signed credentials and of their certificates.
    pub country: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Requests per minute one client IP may make to sensitive routes.
    pub sensitive_per_ip_per_minute: u32,
    /// Requests per minute one account may make to sensitive routes.
    pub sensitive_per_account_per_minute: u32,
    /// Requests per second one client IP may make to anything (load shaping).
    pub global_per_ip_per_second: u32,
    /// Clients (IPv4 addresses, IPv6 /64 networks, accounts) each limiter
    /// remembers at most; idle ones are forgotten to make room, and while
    /// every one is busy a new client gets 429. Bounds memory under a flood.
    pub max_tracked_keys: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailConfig {
    /// `dev` (log and admin page), or `smtp`.
    pub transport: MailTransport,
    pub smtp_host: String,
    pub smtp_port: u16,
    /// `none` (local relay only), `starttls` or `tls`.
    pub smtp_security: SmtpSecurity,
    pub smtp_username: String,
    pub smtp_password: Secret,
    pub smtp_password_file: Option<PathBuf>,
    pub from: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailTransport {
    Dev,
    Smtp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    None,
    Starttls,
    Tls,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmsConfig {
    /// `dev` (log and admin page), or `webhook`.
    pub transport: SmsTransport,
    /// The gateway's HTTP endpoint, for `webhook`.
    pub webhook_url: String,
    /// Sent as `Authorization: Bearer …` to the gateway.
    pub webhook_token: Secret,
    pub webhook_token_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmsTransport {
    Dev,
    Webhook,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutboxConfig {
    /// Run the delivery worker in this process.
    pub worker: bool,
    /// Seconds between polls when idle.
    pub poll_secs: u64,
    /// Delivery attempts before a message is marked failed.
    pub max_attempts: u32,
    /// First retry delay in seconds; doubles each attempt.
    pub backoff_base_secs: u64,
    /// Longest retry delay in seconds.
    pub backoff_max_secs: u64,
    /// Seconds a claimed message stays leased to one worker.
    pub lease_secs: u64,
    /// Days a delivered message is kept (failed ones: four times as long).
    pub retention_days: u32,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: String::new(),
            trusted_proxies: Vec::new(),
            data_dir: PathBuf::from("lionrock-data"),
            request_timeout_secs: 30,
            body_limit_bytes: 1024 * 1024,
            shutdown_grace_secs: 20,
            tls_cert_file: None,
            tls_key_file: None,
            tls_max_handshakes: 256,
            tls_handshake_timeout_secs: 10,
            metrics_allow: vec![
                IpNet::V4(ipnet::Ipv4Net::new_assert(std::net::Ipv4Addr::new(127, 0, 0, 0), 8)),
                IpNet::V6(ipnet::Ipv6Net::new_assert(std::net::Ipv6Addr::LOCALHOST, 128)),
            ],
            session_idle_secs: 30 * 60,
            session_absolute_secs: 12 * 60 * 60,
        }
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: Secret::default(),
            url_file: None,
            max_connections: 10,
            busy_timeout_ms: 5000,
            sqlite_synchronous: SqliteSynchronous::Full,
            group_commit: GroupCommit::Auto,
        }
    }
}

impl Default for LocaleConfig {
    fn default() -> Self {
        Self { default: Lang::En, timezone: "Asia/Hong_Kong".to_owned(), country: "HK".to_owned() }
    }
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            sensitive_per_ip_per_minute: 30,
            sensitive_per_account_per_minute: 10,
            global_per_ip_per_second: 50,
            max_tracked_keys: 100_000,
        }
    }
}

impl Default for MailConfig {
    fn default() -> Self {
        Self {
            transport: MailTransport::Dev,
            smtp_host: "localhost".to_owned(),
            smtp_port: 25,
            smtp_security: SmtpSecurity::None,
            smtp_username: String::new(),
            smtp_password: Secret::default(),
            smtp_password_file: None,
            from: "lionrock <no-reply@localhost>".to_owned(),
        }
    }
}

impl Default for SmsConfig {
    fn default() -> Self {
        Self {
            transport: SmsTransport::Dev,
            webhook_url: String::new(),
            webhook_token: Secret::default(),
            webhook_token_file: None,
        }
    }
}

impl Default for OutboxConfig {
    fn default() -> Self {
        Self {
            worker: true,
            poll_secs: 2,
            max_attempts: 8,
            backoff_base_secs: 30,
            backoff_max_secs: 3600,
            lease_secs: 120,
            retention_days: 7,
        }
    }
}

/// A secret string: wiped from memory on drop, redacted in `Debug`, never
/// serialised back out.
#[derive(Clone, Default, Deserialize)]
#[serde(transparent)]
pub struct Secret(SecretString);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(SecretString::from(value.into()))
    }
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
    pub fn is_empty(&self) -> bool {
        self.expose().is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() { f.write_str("\"\"") } else { f.write_str("\"[redacted]\"") }
    }
}

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(if self.is_empty() { "" } else { "[redacted]" })
    }
}

/// A module's configuration section, `[<module name>]`: strict like
/// platform's (unknown keys refused), set by file or by
/// `LIONROCK_<MODULE>__<KEY>`, checked by `config check` and at start.
#[derive(Clone, Copy)]
pub struct Section {
    /// The defaults, as a TOML table (they type environment values).
    pub defaults: fn() -> toml::Table,
    /// Reads and checks the section (the defaults merged with what was set)
    /// into the typed settings the module reads at run time.
    pub load: fn(toml::Table) -> Result<Loaded, SectionError>,
}

/// A module's checked settings, and their form to show (secrets redacted).
#[derive(Clone)]
pub struct Loaded {
    value: Arc<dyn Any + Send + Sync>,
    shown: toml::Table,
}

impl Loaded {
    /// `value` is what the module reads back with [`Config::section`];
    /// `shown` is what `config check` prints.
    pub fn new<T: Any + Send + Sync>(value: T, shown: &impl Serialize) -> Self {
        Self { value: Arc::new(value), shown: toml::Table::try_from(shown).unwrap_or_default() }
    }
}

/// What is wrong with one key of a module's section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionError {
    /// The key within the section, e.g. `sms_max_per_day`.
    pub key: String,
    pub reason: String,
}

impl SectionError {
    pub fn new(key: impl Into<String>, reason: impl Into<String>) -> Self {
        Self { key: key.into(), reason: reason.into() }
    }
}

/// The defaults of a settings type, as a [`Section`] wants them.
pub fn section_defaults<T: Serialize + Default>() -> toml::Table {
    toml::Table::try_from(T::default()).unwrap_or_default()
}

/// Deserialises a section into its settings type (give the type
/// `#[serde(deny_unknown_fields, default)]`), naming the failing key.
pub fn parse_section<T: serde::de::DeserializeOwned>(table: toml::Table) -> Result<T, SectionError> {
    serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(|e| {
        let reason = e.inner().to_string().lines().next().unwrap_or_default().to_owned();
        SectionError::new(e.path().to_string(), reason)
    })
}

/// The modules' sections: as set (file and environment), and as loaded.
#[derive(Clone, Default)]
pub struct ModuleSections {
    set: BTreeMap<String, toml::Table>,
    loaded: BTreeMap<String, Loaded>,
}

impl fmt::Debug for ModuleSections {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.loaded.iter().map(|(k, v)| (k, &v.shown))).finish()
    }
}

impl Config {
    /// A module's settings, as its [`Section`] loaded them.
    pub fn section<T: Any>(&self, module: &str) -> Option<&T> {
        self.modules.loaded.get(module).and_then(|l| l.value.downcast_ref::<T>())
    }

    /// What is set for a module's section before it is loaded (tests set
    /// module settings here, as a file would).
    pub fn section_mut(&mut self, module: &str) -> &mut toml::Table {
        self.modules.loaded.remove(module);
        self.modules.set.entry(module.to_owned()).or_default()
    }

    /// Loads every module section not loaded yet from what is set, over its
    /// defaults; errors name the file or variable that set the key.
    pub fn load_sections(&mut self, sections: &[(&'static str, Section)]) -> Result<(), ConfigError> {
        self.load_sections_from(sections, &Origins::default())
    }

    fn load_sections_from(
        &mut self,
        sections: &[(&'static str, Section)],
        origins: &Origins,
    ) -> Result<(), ConfigError> {
        for (name, section) in sections {
            if self.modules.loaded.contains_key(*name) {
                continue;
            }
            let mut table = (section.defaults)();
            for (k, v) in self.modules.set.get(*name).cloned().unwrap_or_default() {
                table.insert(k, v);
            }
            let loaded = (section.load)(table).map_err(|e| {
                let key = if e.key.is_empty() { (*name).to_owned() } else { format!("{name}.{}", e.key) };
                ConfigError::new(origins.of(&key), key, e.reason)
            })?;
            self.modules.loaded.insert((*name).to_owned(), loaded);
        }
        Ok(())
    }

    /// Every effective setting, modules' sections included, for `config check`.
    pub fn effective(&self) -> toml::Table {
        let mut table = toml::Table::try_from(self).unwrap_or_default();
        for (name, loaded) in &self.modules.loaded {
            table.insert(name.clone(), toml::Value::Table(loaded.shown.clone()));
        }
        table
    }
}

/// Why configuration could not be loaded: names the source and the key.
#[derive(Debug, thiserror::Error)]
#[error("{source_name}: {key}: {reason}")]
pub struct ConfigError {
    /// The file or environment variable the bad value came from.
    pub source_name: String,
    /// Dotted key, e.g. `server.listen`.
    pub key: String,
    pub reason: String,
}

impl ConfigError {
    fn new(source_name: impl Into<String>, key: impl Into<String>, reason: impl Into<String>) -> Self {
        Self { source_name: source_name.into(), key: key.into(), reason: reason.into() }
    }
}

const ENV_PREFIX: &str = "LIONROCK_";

/// `LIONROCK_*` variables that are not configuration keys: the log filter,
/// and the variables of tests, benchmarks, builds and CI scripts.
pub const NON_CONFIG_VARIABLES: &[&str] = &[
    "LIONROCK_LOG",
    "LIONROCK_TEST_*",
    "LIONROCK_BENCH_*",
    "LIONROCK_CI_*",
    // Read by build scripts (the scanner's QR decoder), never by the server.
    "LIONROCK_BUILD_*",
    // scripts/services.sh: where it installs test tools, and the checkout it runs from.
    "LIONROCK_TOOLS_DIR",
    "LIONROCK_REPO_ROOT",
];

fn is_non_config(name: &str) -> bool {
    NON_CONFIG_VARIABLES.iter().any(|pattern| match pattern.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => name == *pattern,
    })
}

/// Where each configured key's value came from: a file or a variable.
#[derive(Debug, Default)]
struct Origins(BTreeMap<String, String>);

impl Origins {
    /// The file or variable that set `key`, or `defaults`.
    fn of(&self, key: &str) -> String {
        self.0.get(key).cloned().unwrap_or_else(|| "defaults".to_owned())
    }
}

impl Config {
    /// Loads defaults, then `file` (if given), then `LIONROCK_*` variables
    /// from `env`. A `LIONROCK_` variable that names no key is an error,
    /// except those in [`NON_CONFIG_VARIABLES`].
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
        sections: &[(&'static str, Section)],
    ) -> Result<Self, ConfigError> {
        let mut origins = Origins::default();
        let mut table = match file {
            Some(path) => {
                let name = path.display().to_string();
                let text = std::fs::read_to_string(path)
                    .map_err(|e| ConfigError::new(&name, "-", format!("cannot read file: {e}")))?;
                let table: toml::Table = toml::from_str(&text).map_err(|e| {
                    let at = e
                        .span()
                        .map(|s| {
                            let line = text[..s.start].matches('\n').count() + 1;
                            format!(" (line {line})")
                        })
                        .unwrap_or_default();
                    ConfigError::new(&name, "-", format!("not valid TOML{at}: {}", e.message()))
                })?;
                for (section, value) in &table {
                    origins.0.insert(section.clone(), name.clone());
                    for key in value.as_table().into_iter().flat_map(|t| t.keys()) {
                        origins.0.insert(format!("{section}.{key}"), name.clone());
                    }
                }
                table
            }
            None => toml::Table::new(),
        };
        let platform_defaults = toml::Table::try_from(Config::default()).unwrap_or_default();
        let mut defaults = platform_defaults.clone();
        for (name, section) in sections {
            defaults.insert((*name).to_owned(), toml::Value::Table((section.defaults)()));
        }
        let known: Vec<String> = defaults.keys().cloned().collect();
        let mut env: Vec<(String, String)> =
            env.into_iter().filter(|(name, _)| name.starts_with(ENV_PREFIX) && !is_non_config(name)).collect();
        // One order whatever the process environment's, so the same mistake gives the same message.
        env.sort();
        for (name, value) in env {
            let rest = &name[ENV_PREFIX.len()..];
            let (section, key) = env_key(&name, rest, &known)?;
            let entry = table.entry(section.clone()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
            let Some(section_table) = entry.as_table_mut() else {
                return Err(ConfigError::new(&name, &section, "is not a section"));
            };
            section_table.insert(key.clone(), env_value(&defaults, &section, &key, &value));
            origins.0.insert(format!("{section}.{key}"), name);
        }
        let mut set = BTreeMap::new();
        for (name, _) in sections {
            if let Some(value) = table.remove(*name) {
                let origin = origins.of(name);
                let toml::Value::Table(t) = value else {
                    return Err(ConfigError::new(origin, *name, "must be a section ([name]), not a value"));
                };
                set.insert((*name).to_owned(), t);
            }
        }
        if let Some(unknown) = table.keys().find(|k| !platform_defaults.contains_key(*k)) {
            return Err(ConfigError::new(
                origins.of(unknown),
                unknown.as_str(),
                format!("no such configuration section (there are {})", known.join(", ")),
            ));
        }
        let mut config: Config = serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(|e| {
            let key = e.path().to_string();
            // The first line is the reason; the rest repeats the key.
            let reason = e.inner().to_string().lines().next().unwrap_or_default().to_owned();
            ConfigError::new(origins.of(&key), key, reason)
        })?;
        config.modules.set = set;
        config.load_sections_from(sections, &origins)?;
        config.resolve_files()?.validated(&origins)
    }

    /// Reads `*_file` secrets into their values.
    fn resolve_files(mut self) -> Result<Self, ConfigError> {
        fn read(key: &str, path: &Path) -> Result<Secret, ConfigError> {
            let text = std::fs::read_to_string(path)
                .map(Zeroizing::new)
                .map_err(|e| ConfigError::new(path.display().to_string(), key, format!("cannot read: {e}")))?;
            Ok(Secret::new(text.trim_end_matches(['\n', '\r'])))
        }
        if let Some(path) = &self.database.url_file {
            self.database.url = read("database.url_file", path)?;
        }
        if let Some(path) = &self.mail.smtp_password_file {
            self.mail.smtp_password = read("mail.smtp_password_file", path)?;
        }
        if let Some(path) = &self.sms.webhook_token_file {
            self.sms.webhook_token = read("sms.webhook_token_file", path)?;
        }
        Ok(self)
    }

    fn validated(self, origins: &Origins) -> Result<Self, ConfigError> {
        let bad = |key: &str, reason: &str| Err(ConfigError::new(origins.of(key), key, reason));
        let url = self.database.url.expose();
        if !(url.is_empty()
            || url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            return bad("database.url", "must start with sqlite: or postgres://");
        }
        if self.database.max_connections == 0 {
            return bad("database.max_connections", "must be at least 1");
        }
        if !self.server.public_url.is_empty() {
            match reqwest::Url::parse(&self.server.public_url) {
                Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
                _ => return bad("server.public_url", "must be an absolute http(s) URL"),
            }
        }
        if jiff::tz::TimeZone::get(&self.locale.timezone).is_err() {
            return Err(ConfigError::new(
                origins.of("locale.timezone"),
                "locale.timezone",
                format!("{:?} is not a time zone name like Asia/Hong_Kong", self.locale.timezone),
            ));
        }
        if !(self.locale.country.len() == 2 && self.locale.country.bytes().all(|b| b.is_ascii_uppercase())) {
            return bad("locale.country", "must be two capital letters (ISO 3166-1 alpha-2), like HK");
        }
        if self.server.tls_cert_file.is_some() != self.server.tls_key_file.is_some() {
            let (set, missing) = if self.server.tls_cert_file.is_some() {
                ("server.tls_cert_file", "server.tls_key_file")
            } else {
                ("server.tls_key_file", "server.tls_cert_file")
            };
            return Err(ConfigError::new(origins.of(set), missing, format!("required with {set}")));
        }
        if self.server.tls_max_handshakes == 0 {
            return bad("server.tls_max_handshakes", "must be at least 1");
        }
        if self.server.tls_handshake_timeout_secs == 0 {
            return bad("server.tls_handshake_timeout_secs", "must be at least 1");
        }
        if self.server.request_timeout_secs == 0 {
            return bad("server.request_timeout_secs", "must be at least 1");
        }
        if self.server.body_limit_bytes < 1024 {
            return bad("server.body_limit_bytes", "must be at least 1024");
        }
        if self.mail.transport == MailTransport::Smtp && self.mail.smtp_host.is_empty() {
            return bad("mail.smtp_host", "required when mail.transport = \"smtp\"");
        }
        if self.mail.from.parse::<lettre::message::Mailbox>().is_err() {
            return bad("mail.from", "not a valid mailbox, e.g. \"Lionrock <no-reply@example.org>\"");
        }
        if self.sms.transport == SmsTransport::Webhook {
            match reqwest::Url::parse(&self.sms.webhook_url) {
                Ok(u) if matches!(u.scheme(), "http" | "https") => {}
                _ => return bad("sms.webhook_url", "required absolute http(s) URL when sms.transport = \"webhook\""),
            }
        }
        if self.limits.max_tracked_keys == 0 {
            return bad("limits.max_tracked_keys", "must be at least 1");
        }
        if self.outbox.max_attempts == 0 {
            return bad("outbox.max_attempts", "must be at least 1");
        }
        if self.outbox.poll_secs == 0 || self.outbox.lease_secs == 0 {
            return bad("outbox.poll_secs", "outbox.poll_secs and outbox.lease_secs must be at least 1");
        }
        Ok(self)
    }

    /// The database URL, defaulting to a SQLite file in the data directory.
    pub fn database_url(&self) -> String {
        if self.database.url.is_empty() {
            format!("sqlite://{}", self.server.data_dir.join("lionrock.db").display())
        } else {
            self.database.url.expose().to_owned()
        }
    }

    pub fn data_key_path(&self) -> PathBuf {
        self.crypto.data_key_file.clone().unwrap_or_else(|| self.server.data_dir.join("keys").join("data.key"))
    }

    pub fn blind_index_key_path(&self) -> PathBuf {
        self.crypto
            .blind_index_key_file
            .clone()
            .unwrap_or_else(|| self.server.data_dir.join("keys").join("blind-index.key"))
    }

    pub fn audit_key_path(&self) -> PathBuf {
        self.crypto.audit_key_file.clone().unwrap_or_else(|| self.server.data_dir.join("keys").join("audit.key"))
    }

    /// The external base URL without a trailing slash.
    pub fn public_url(&self) -> String {
        if self.server.public_url.is_empty() {
            let scheme = if self.tls() { "https" } else { "http" };
            format!("{scheme}://{}", self.server.listen)
        } else {
            self.server.public_url.trim_end_matches('/').to_owned()
        }
    }

    /// True when this process itself serves HTTPS.
    pub fn tls(&self) -> bool {
        self.server.tls_cert_file.is_some()
    }

    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.server.request_timeout_secs)
    }
}

/// The section and key a `LIONROCK_<SECTION>__<KEY>` variable names, or an
/// error naming the variable (with the likely intended name, when one
/// underscore stands where two belong).
fn env_key(name: &str, rest: &str, sections: &[String]) -> Result<(String, String), ConfigError> {
    let lower = rest.to_ascii_lowercase();
    let Some((section, key)) = lower.split_once("__") else {
        let hint = sections
            .iter()
            .find_map(|s| {
                let key = lower.strip_prefix(s.as_str())?.strip_prefix('_').filter(|k| !k.is_empty())?;
                Some(format!("; did you mean {ENV_PREFIX}{}__{}?", s.to_ascii_uppercase(), key.to_ascii_uppercase()))
            })
            .unwrap_or_default();
        return Err(ConfigError::new(
            name,
            "-",
            format!("names no configuration key: expected {ENV_PREFIX}<SECTION>__<KEY> (two underscores){hint}"),
        ));
    };
    if key.is_empty() {
        return Err(ConfigError::new(name, section, "names no key: expected LIONROCK_<SECTION>__<KEY>"));
    }
    if !sections.iter().any(|s| s == section) {
        return Err(ConfigError::new(
            name,
            section,
            format!("no such configuration section (there are {})", sections.join(", ")),
        ));
    }
    Ok((section.to_owned(), key.to_owned()))
}

/// Turns an environment string into the TOML type the default has at that key.
fn env_value(defaults: &toml::Table, section: &str, key: &str, raw: &str) -> toml::Value {
    let existing = defaults.get(section).and_then(|s| s.get(key));
    match existing {
        Some(toml::Value::Integer(_)) => {
            raw.trim().parse::<i64>().map(toml::Value::Integer).unwrap_or_else(|_| toml::Value::String(raw.to_owned()))
        }
        Some(toml::Value::Boolean(_)) => match raw.trim() {
            "true" | "1" | "yes" | "on" => toml::Value::Boolean(true),
            "false" | "0" | "no" | "off" => toml::Value::Boolean(false),
            _ => toml::Value::String(raw.to_owned()),
        },
        Some(toml::Value::Array(_)) => toml::Value::Array(
            raw.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| toml::Value::String(s.to_owned()))
                .collect(),
        ),
        _ => toml::Value::String(raw.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_load_without_a_file() {
        let c = Config::load(None, env(&[]), &[]).unwrap();
        assert_eq!(c.server.listen.port(), 8080);
        assert!(c.database_url().ends_with("lionrock-data/lionrock.db"));
    }

    #[test]
    fn env_overrides_file_with_typed_values() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "[server]\nlisten = \"127.0.0.1:9000\"\nrequest_timeout_secs = 5\n").unwrap();
        let c = Config::load(
            Some(&path),
            env(&[
                ("LIONROCK_SERVER__REQUEST_TIMEOUT_SECS", "7"),
                ("LIONROCK_SERVER__TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1/32"),
                ("LIONROCK_OUTBOX__WORKER", "false"),
                ("LIONROCK_TEST_POSTGRES_URL", "ignored"),
                ("LIONROCK_LOG", "ignored"),
            ]),
            &[],
        )
        .unwrap();
        assert_eq!(c.server.listen.port(), 9000);
        assert_eq!(c.server.request_timeout_secs, 7);
        assert_eq!(c.server.trusted_proxies.len(), 2);
        assert!(!c.outbox.worker);
    }

    #[test]
    fn unknown_key_in_file_names_file_and_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "[server]\nlisten_on = \"x\"\n").unwrap();
        let err = Config::load(Some(&path), env(&[]), &[]).unwrap_err();
        assert!(err.source_name.ends_with("c.toml"), "{err}");
        assert_eq!(err.key, "server.listen_on");
        assert!(err.reason.contains("listen_on"), "{err}");
    }

    #[test]
    fn the_country_is_two_capital_letters() {
        let err = Config::load(None, env(&[("LIONROCK_LOCALE__COUNTRY", "hk")]), &[]).unwrap_err();
        assert_eq!(err.key, "locale.country");
        let config = Config::load(None, env(&[("LIONROCK_LOCALE__COUNTRY", "MO")]), &[]).unwrap();
        assert_eq!(config.locale.country, "MO");
    }

    #[test]
    fn bad_env_value_names_the_variable() {
        let err = Config::load(None, env(&[("LIONROCK_SERVER__LISTEN", "not-an-address")]), &[]).unwrap_err();
        assert_eq!(err.source_name, "LIONROCK_SERVER__LISTEN");
        assert_eq!(err.key, "server.listen");
    }

    #[test]
    fn unknown_section_from_env_is_rejected() {
        let err = Config::load(None, env(&[("LIONROCK_SERVR__LISTEN", "x")]), &[]).unwrap_err();
        assert_eq!(err.source_name, "LIONROCK_SERVR__LISTEN");
        assert_eq!(err.key, "servr");
        assert!(err.reason.contains("no such configuration section"), "{err}");
    }

    #[test]
    fn unknown_key_from_env_names_the_variable() {
        let err = Config::load(None, env(&[("LIONROCK_SERVER__LISTEN_ON", "x")]), &[]).unwrap_err();
        assert_eq!(err.source_name, "LIONROCK_SERVER__LISTEN_ON");
        assert_eq!(err.key, "server.listen_on");
    }

    #[test]
    fn a_variable_with_one_underscore_is_refused_with_the_likely_name() {
        // It used to be skipped, so the server quietly ran on SQLite.
        let err = Config::load(None, env(&[("LIONROCK_DATABASE_URL", "postgres://db/lionrock")]), &[]).unwrap_err();
        assert_eq!(err.source_name, "LIONROCK_DATABASE_URL");
        assert!(err.reason.contains("did you mean LIONROCK_DATABASE__URL?"), "{err}");
        let err = Config::load(None, env(&[("LIONROCK_LISTEN", "x")]), &[]).unwrap_err();
        assert_eq!(err.source_name, "LIONROCK_LISTEN");
        assert!(!err.reason.contains("did you mean"), "{err}");
        let err = Config::load(None, env(&[("LIONROCK_SERVER__", "x")]), &[]).unwrap_err();
        assert_eq!(err.source_name, "LIONROCK_SERVER__");
    }

    #[test]
    fn documented_non_config_variables_are_left_alone() {
        let c = Config::load(
            None,
            env(&[
                ("LIONROCK_LOG", "debug"),
                ("LIONROCK_TEST_BROWSER", "/usr/bin/chromedriver"),
                ("LIONROCK_BENCH_SECS", "5"),
                ("LIONROCK_CI_DB_MAX_AGE", "3600"),
                ("LIONROCK_TOOLS_DIR", "/var/cache/lionrock-tools"),
                ("LIONROCK_BUILD_QR_DECODER", "/tmp/jsQR.js"),
                ("LIONROCKS_OTHER", "not ours"),
            ]),
            &[],
        );
        assert!(c.is_ok(), "{c:?}");
    }

    #[test]
    fn validation_errors_name_the_file_or_variable_that_set_the_value() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lionrock.toml");
        std::fs::write(&path, "[database]\nmax_connections = 0\n[server]\ntls_cert_file = \"/x.pem\"\n").unwrap();
        let err = Config::load(Some(&path), env(&[]), &[]).unwrap_err();
        assert_eq!(err.source_name, path.display().to_string(), "{err}");
        assert_eq!(err.key, "database.max_connections");

        let err = Config::load(Some(&path), env(&[("LIONROCK_DATABASE__MAX_CONNECTIONS", "4")]), &[]).unwrap_err();
        assert_eq!(err.source_name, path.display().to_string());
        assert_eq!(err.key, "server.tls_key_file", "the missing half is named, with the file that set the other");

        let err = Config::load(None, env(&[("LIONROCK_LOCALE__TIMEZONE", "Mars/Olympus")]), &[]).unwrap_err();
        assert_eq!(err.source_name, "LIONROCK_LOCALE__TIMEZONE");
        assert_eq!(err.to_string().lines().count(), 1);
    }

    #[test]
    fn secrets_come_from_files_and_are_redacted() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("pw");
        std::fs::write(&secret, "hunter2-long-secret\n").unwrap();
        let c =
            Config::load(None, env(&[("LIONROCK_MAIL__SMTP_PASSWORD_FILE", secret.to_str().unwrap())]), &[]).unwrap();
        assert_eq!(c.mail.smtp_password.expose(), "hunter2-long-secret");
        assert!(!format!("{c:?}").contains("hunter2"));
    }

    #[test]
    fn a_secret_shows_only_whether_it_is_set() {
        let set = Secret::new("hunter2-long-secret");
        assert_eq!(format!("{set:?}"), "\"[redacted]\"");
        assert_eq!(serde_json::to_string(&set).unwrap(), "\"[redacted]\"");
        let empty = Secret::default();
        assert!(empty.is_empty());
        assert_eq!(format!("{empty:?}"), "\"\"");
        assert_eq!(serde_json::to_string(&empty).unwrap(), "\"\"");
        let read: Secret = serde_json::from_str("\"from-a-file\"").unwrap();
        assert_eq!(read.clone().expose(), "from-a-file");
    }

    #[test]
    fn invalid_values_are_rejected_with_the_key() {
        let err = Config::load(None, env(&[("LIONROCK_DATABASE__URL", "mysql://x")]), &[]).unwrap_err();
        assert_eq!(err.key, "database.url");
        let err = Config::load(None, env(&[("LIONROCK_SERVER__PUBLIC_URL", "example.org")]), &[]).unwrap_err();
        assert_eq!(err.key, "server.public_url");
    }

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields, default)]
    struct Booking {
        places_per_slot: u32,
        centres: Vec<String>,
    }

    impl Default for Booking {
        fn default() -> Self {
            Self { places_per_slot: 50, centres: vec!["Sha Tin".to_owned()] }
        }
    }

    fn booking_section() -> [(&'static str, Section); 1] {
        fn load(table: toml::Table) -> Result<Loaded, SectionError> {
            let booking: Booking = parse_section(table)?;
            if booking.places_per_slot == 0 {
                return Err(SectionError::new("places_per_slot", "must be at least 1"));
            }
            Ok(Loaded::new(booking, &toml::Table::new()))
        }
        [("booking", Section { defaults: section_defaults::<Booking>, load })]
    }

    #[test]
    fn a_module_section_is_strict_typed_and_layered() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lionrock.toml");
        std::fs::write(&path, "[booking]\nplaces_per_slot = 20\n").unwrap();
        let c =
            Config::load(Some(&path), env(&[("LIONROCK_BOOKING__CENTRES", "Sha Tin, Tsuen Wan")]), &booking_section())
                .unwrap();
        let booking = c.section::<Booking>("booking").unwrap();
        assert_eq!(booking.places_per_slot, 20, "from the file");
        assert_eq!(booking.centres, vec!["Sha Tin", "Tsuen Wan"], "from the environment, typed by the default");
        assert!(c.effective().contains_key("booking"), "config check shows it");

        std::fs::write(&path, "[booking]\nplaces = 20\n").unwrap();
        let err = Config::load(Some(&path), env(&[]), &booking_section()).unwrap_err();
        assert_eq!((err.source_name.as_str(), err.key.as_str()), (path.to_str().unwrap(), "booking.places"));
        let err =
            Config::load(None, env(&[("LIONROCK_BOOKING__PLACES_PER_SLOT", "0")]), &booking_section()).unwrap_err();
        assert_eq!(err.source_name, "LIONROCK_BOOKING__PLACES_PER_SLOT");
        assert_eq!(err.key, "booking.places_per_slot");
        assert_eq!(err.reason, "must be at least 1");
        // Without the module, its section is unknown.
        let err = Config::load(None, env(&[("LIONROCK_BOOKING__PLACES_PER_SLOT", "5")]), &[]).unwrap_err();
        assert!(err.reason.contains("no such configuration section"), "{err}");
    }
}
