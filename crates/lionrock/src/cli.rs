//! Command line: `serve`, `migrate`, `config check`, `audit verify`,
//! `audit checkpoint`, `keys init`. Data goes to stdout (JSON with `--json`), logs to stderr.
//! Usage and configuration errors exit with 2 and one line naming the
//! problem; failures at run time exit with 1.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use platform::app::{AppState, Server, StartError};
use platform::config::Config;
use platform::crypto::{Key, Keys};
use serde_json::json;

#[derive(Debug, Parser)]
#[command(name = "lionrock", version, about = "One binary for a city's digital identity, portal and public e-services")]
pub struct Cli {
    /// TOML configuration file (defaults, then this file, then LIONROCK_* variables).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Print results as JSON.
    #[arg(long, global = true)]
    json: bool,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Pretty)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the web server (and the notification worker).
    Serve {
        /// Create keys and demo data in the data directory if missing.
        #[arg(long)]
        demo: bool,
        /// Address to listen on (overrides server.listen).
        #[arg(long, value_name = "ADDR")]
        listen: Option<SocketAddr>,
    },
    /// Apply pending database migrations.
    Migrate,
    /// Configuration commands.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Audit log commands.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Key management.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Accounts.
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
    /// OpenID Connect clients (relying parties).
    Clients {
        #[command(subcommand)]
        command: ClientsCommand,
    },
}

#[derive(Debug, Subcommand)]
enum ClientsCommand {
    /// Register a client; prints its client_id and (unless --public) its secret, once.
    Create {
        /// Shown to residents on the consent page.
        #[arg(long)]
        name: String,
        /// Where codes may be sent; may be repeated.
        #[arg(long = "redirect-uri", required = true)]
        redirect_uris: Vec<String>,
        /// Where residents may be sent after signing out; may be repeated.
        #[arg(long = "post-logout-redirect-uri")]
        post_logout_redirect_uris: Vec<String>,
        /// A client that cannot keep a secret (a browser or mobile app): PKCE only.
        #[arg(long)]
        public: bool,
        /// Scopes it may ask for besides openid; may be repeated.
        #[arg(long = "scope")]
        scopes: Vec<String>,
        /// A JWK Set file: the client signs assertions with these keys
        /// (private_key_jwt) instead of holding a secret.
        #[arg(long, value_name = "FILE")]
        jwks_file: Option<PathBuf>,
        /// Sign its ID tokens with RS256 (the default is ES256).
        #[arg(long)]
        rs256: bool,
        /// Give it pairwise subjects: a `sub` per resident that no other
        /// service can link (its redirect URIs must share one host).
        #[arg(long)]
        pairwise: bool,
    },
}

#[derive(Debug, Subcommand)]
enum UsersCommand {
    /// Create an active account (the first administrator, or scripted set-up).
    #[command(group(clap::ArgGroup::new("name").required(true).args(["email", "phone"])))]
    Create {
        /// The account's e-mail address.
        #[arg(long)]
        email: Option<String>,
        /// Or its mobile number (e.g. +852 9123 4567).
        #[arg(long)]
        phone: Option<String>,
        /// Read the password from standard input (required: never from the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
        /// Mark the identity as verified against a document.
        #[arg(long)]
        real_name: bool,
        /// Role to grant; may be repeated.
        #[arg(long, value_enum)]
        role: Vec<RoleArg>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum RoleArg {
    Admin,
    Officer,
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Load and validate the configuration, then print it (secrets redacted).
    Check,
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Walk the chain and report the first broken link (exit 1 if any).
    Verify {
        /// A checkpoint saved from `audit checkpoint --json`: also fail if
        /// the chain up to it was rewritten or cut.
        #[arg(long, value_name = "FILE")]
        checkpoint: Option<PathBuf>,
    },
    /// Verify the chain, then print its head signed with the audit key, to
    /// keep away from the database (exit 1 if the chain is broken).
    Checkpoint,
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// Create the data-encryption, blind-index and audit key files if missing.
    Init,
    /// Make a new signing key active; the old one stays published for verification.
    Rotate {
        /// What the key signs.
        #[arg(long, value_parser = ["oidc"])]
        purpose: String,
    },
}

/// A failure with its exit code: 2 for what the operator must fix in the
/// invocation or configuration, 1 for everything else.
struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    fn usage(message: impl std::fmt::Display) -> Self {
        Self { code: 2, message: message.to_string() }
    }
    fn runtime(message: impl std::fmt::Display) -> Self {
        Self { code: 1, message: message.to_string() }
    }
}

impl From<StartError> for Failure {
    fn from(e: StartError) -> Self {
        Failure::runtime(e)
    }
}

/// Parses the command line. Help and version print as clap writes them;
/// any mistake is one line on stderr and exit 2.
fn parse_cli() -> Result<Cli, ExitCode> {
    use clap::error::ErrorKind;
    let e = match Cli::try_parse() {
        Ok(cli) => return Ok(cli),
        Err(e) => e,
    };
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            Err(ExitCode::SUCCESS)
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            eprintln!("error: a command is missing; try 'lionrock --help'");
            Err(ExitCode::from(2))
        }
        _ => {
            let text = e.to_string();
            let first = text.lines().next().unwrap_or("invalid arguments");
            let first = first.strip_prefix("error: ").unwrap_or(first);
            eprintln!("error: {first}; try 'lionrock --help'");
            Err(ExitCode::from(2))
        }
    }
}

pub fn main() -> ExitCode {
    let cli = match parse_cli() {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    init_logging(cli.log_format);
    platform::install_crypto_provider();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(f) => {
            eprintln!("error: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

fn init_logging(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("LIONROCK_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Pretty => builder.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())).try_init(),
    };
}

fn load_config(file: Option<&Path>) -> Result<Config, Failure> {
    Config::load(file, std::env::vars()).map_err(Failure::usage)
}

fn load_keys(config: &Config) -> Result<Keys, Failure> {
    let data = Key::load("crypto.data_key_file", &config.data_key_path()).map_err(Failure::usage)?;
    let blind = Key::load("crypto.blind_index_key_file", &config.blind_index_key_path()).map_err(Failure::usage)?;
    let audit = Key::load("crypto.audit_key_file", &config.audit_key_path()).map_err(Failure::usage)?;
    Ok(Keys::new(data, blind, audit))
}

/// A checkpoint file this installation signed; anything else is a usage
/// error (2), except a MAC that does not verify, which is a failed check (1).
fn read_checkpoint(path: &Path, keys: &Keys) -> Result<platform::audit::Checkpoint, Failure> {
    use platform::audit::CheckpointError;
    let text =
        std::fs::read_to_string(path).map_err(|e| Failure::usage(format!("--checkpoint {}: {e}", path.display())))?;
    platform::audit::Checkpoint::parse(&text, keys).map_err(|e| {
        let message = format!("--checkpoint {}: {e}", path.display());
        match e {
            CheckpointError::Malformed(_) => Failure::usage(message),
            CheckpointError::Forged => Failure::runtime(message),
        }
    })
}

fn print_report(report: &platform::audit::VerifyReport, json_out: bool) -> Result<(), Failure> {
    if json_out {
        println!("{}", serde_json::to_string(report).map_err(Failure::runtime)?);
    } else if let Some(b) = &report.first_broken {
        println!("audit log broken at entry {}: {} ({} entries verified before it)", b.seq, b.reason, report.entries);
    } else {
        println!("audit log intact: {} entries verified", report.entries);
    }
    Ok(())
}

fn create_keys(config: &Config) -> Result<Vec<PathBuf>, Failure> {
    let mut created = Vec::new();
    for path in [config.data_key_path(), config.blind_index_key_path(), config.audit_key_path()] {
        if Key::create_file(&path).map_err(|e| Failure::runtime(format!("{}: {e}", path.display())))? {
            created.push(path);
        }
    }
    Ok(created)
}

async fn run(cli: Cli) -> Result<ExitCode, Failure> {
    let config = load_config(cli.config.as_deref())?;
    let modules = crate::modules();
    match cli.command {
        Command::Serve { demo, listen } => serve(config, demo, listen, cli.json).await,
        Command::Migrate => {
            let db = platform::db::connect(&config).await.map_err(Failure::runtime)?;
            let pending = platform::app::migrator(&modules).run(&db).await.map_err(Failure::runtime)?;
            if cli.json {
                println!("{}", json!({ "applied": pending }));
            } else if pending.is_empty() {
                println!("database is up to date");
            } else {
                for name in &pending {
                    println!("applied {name}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Config { command: ConfigCommand::Check } => {
            if cli.json {
                println!("{}", serde_json::to_string_pretty(&config).map_err(Failure::runtime)?);
            } else {
                let text = toml::to_string_pretty(&config).map_err(Failure::runtime)?;
                println!("# configuration is valid; effective values (secrets redacted):\n{text}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit { command: AuditCommand::Verify { checkpoint } } => {
            let keys = load_keys(&config)?;
            let checkpoint = checkpoint.map(|path| read_checkpoint(&path, &keys)).transpose()?;
            let db = platform::db::connect(&config).await.map_err(Failure::runtime)?;
            let report = platform::audit::verify(&db, &keys, checkpoint.as_ref()).await.map_err(Failure::runtime)?;
            print_report(&report, cli.json)?;
            if report.ok
                && !cli.json
                && let Some(cp) = &checkpoint
            {
                println!("the chain still holds the checkpoint of entry {}", cp.seq);
            }
            Ok(if report.ok { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        Command::Audit { command: AuditCommand::Checkpoint } => {
            let keys = load_keys(&config)?;
            let db = platform::db::connect(&config).await.map_err(Failure::runtime)?;
            let (report, checkpoint) = platform::audit::checkpoint(&db, &keys).await.map_err(Failure::runtime)?;
            let Some(cp) = checkpoint else {
                print_report(&report, cli.json)?;
                return Ok(ExitCode::from(1));
            };
            if cli.json {
                println!("{}", serde_json::to_string(&cp).map_err(Failure::runtime)?);
            } else {
                let at = cp.at.format(&time::format_description::well_known::Rfc3339).map_err(Failure::runtime)?;
                println!("audit checkpoint: entry {} hash {} at {at}", cp.seq, cp.hash);
                println!("keyed from entry {}; mac {}", cp.keyed_from, cp.mac);
                println!("(keep the output of `lionrock audit checkpoint --json` away from this database)");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Users { command: UsersCommand::Create { email, phone, password_stdin: _, real_name, role } } => {
            let mut password = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut password)
                .map_err(|e| Failure::usage(format!("--password-stdin: cannot read standard input: {e}")))?;
            // One trailing newline is how `echo` and here-strings end input, not part of the password.
            let password = password.strip_suffix('\n').map(|p| p.strip_suffix('\r').unwrap_or(p)).unwrap_or(&password);
            let keys = load_keys(&config)?;
            let state = AppState::new(config, keys, &modules).await?;
            state.migrator.run(&state.db).await.map_err(Failure::runtime)?;
            let roles: Vec<String> = role
                .iter()
                .map(|r| {
                    match r {
                        RoleArg::Admin => "admin",
                        RoleArg::Officer => "officer",
                    }
                    .to_owned()
                })
                .collect();
            let name = match (&email, &phone) {
                (Some(e), _) => identity::accounts::NewUser::Email(e),
                (None, Some(p)) => identity::accounts::NewUser::Phone(p),
                (None, None) => return Err(Failure::usage("users create: give --email or --phone")),
            };
            let account = identity::accounts::create_user_named(&state, name, password, real_name, roles.clone())
                .await
                .map_err(|e| match e {
                    identity::accounts::CreateUserError::Internal(m) => Failure::runtime(m),
                    other => Failure::usage(other),
                })?;
            if cli.json {
                println!(
                    "{}",
                    json!({ "account_id": account.id, "email": account.email, "phone": account.phone, "level": account.level, "roles": roles })
                );
            } else {
                println!("created account {} for {}", account.id, account.name());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Clients {
            command:
                ClientsCommand::Create {
                    name,
                    redirect_uris,
                    post_logout_redirect_uris,
                    public,
                    scopes,
                    jwks_file,
                    rs256,
                    pairwise,
                },
        } => {
            let jwks = jwks_file
                .map(|p| {
                    std::fs::read_to_string(&p).map_err(|e| Failure::usage(format!("--jwks-file {}: {e}", p.display())))
                })
                .transpose()?;
            let keys = load_keys(&config)?;
            let state = AppState::new(config, keys, &modules).await?;
            state.migrator.run(&state.db).await.map_err(Failure::runtime)?;
            let new = identity::oidc::NewClient {
                name,
                redirect_uris,
                post_logout_redirect_uris,
                scopes,
                public,
                jwks,
                rs256,
                pairwise,
            };
            let created = identity::oidc::create_client(&state, new).await.map_err(|e| match e {
                identity::oidc::ClientError::Internal(m) => Failure::runtime(m),
                other => Failure::usage(other),
            })?;
            if cli.json {
                println!("{}", serde_json::to_string(&created).map_err(Failure::runtime)?);
            } else {
                println!("client_id: {}", created.client_id);
                if let Some(secret) = &created.client_secret {
                    println!("client_secret: {secret}\n(shown once: store it now)");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Keys { command: KeysCommand::Rotate { purpose } } => {
            let purpose =
                platform::keys::Purpose::parse(&purpose).ok_or_else(|| Failure::usage("--purpose: unknown"))?;
            let keys = load_keys(&config)?;
            let state = AppState::new(config, keys, &modules).await?;
            state.migrator.run(&state.db).await.map_err(Failure::runtime)?;
            // Keep the old key published for as long as anything it signed may be checked.
            let keep = time::Duration::days(1);
            let kid = platform::keys::rotate(&state.db, &state.keys, purpose, keep).await.map_err(Failure::runtime)?;
            if cli.json {
                println!("{}", json!({ "purpose": purpose.as_str(), "active_kid": kid }));
            } else {
                println!(
                    "new {} signing key {kid} is active; the previous one stays published for a day",
                    purpose.as_str()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Keys { command: KeysCommand::Init } => {
            let created = create_keys(&config)?;
            if cli.json {
                println!("{}", json!({ "created": created }));
            } else if created.is_empty() {
                println!("keys already exist; nothing changed");
            } else {
                for p in &created {
                    println!("created {}", p.display());
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn serve(
    mut config: Config,
    demo: bool,
    listen: Option<SocketAddr>,
    json_out: bool,
) -> Result<ExitCode, Failure> {
    match listen {
        Some(addr) => config.server.listen = addr,
        // Demo accounts have published passwords: unless told otherwise on
        // the command line, a demo is reachable from this machine only.
        None if demo && !config.server.listen.ip().is_loopback() => {
            let loopback = SocketAddr::from(([127, 0, 0, 1], config.server.listen.port()));
            tracing::warn!(configured = %config.server.listen, listen = %loopback, "demo mode listens on loopback; pass --listen to choose");
            config.server.listen = loopback;
        }
        None => {}
    }
    let modules = crate::modules();
    if demo {
        create_keys(&config)?;
    }
    let keys = load_keys(&config)?;
    let state = AppState::new(config, keys, &modules).await?;
    state.migrator.run(&state.db).await.map_err(Failure::runtime)?;
    let mut demo_notes = Vec::new();
    if demo {
        state.set_demo();
        for loader in modules.iter().filter_map(|m| m.demo) {
            demo_notes.extend(loader(state.clone()).await.map_err(|e| Failure::usage(format!("demo data: {e}")))?);
        }
    }
    // Before anyone hears the server is up: a SIGTERM from then on stops it gracefully.
    let stop_signal = platform::app::os_signal();
    let server = Server::bind(state.clone(), &modules, state.config.server.listen).await?;
    let addr = server.local_addr();
    let url =
        if state.config.server.public_url.is_empty() { format!("http://{addr}") } else { state.config.public_url() };
    if json_out {
        println!("{}", json!({ "listening": addr.to_string(), "url": url, "demo": demo, "demo_notes": demo_notes }));
    } else {
        println!("lionrock {} listening on {url}", env!("CARGO_PKG_VERSION"));
        if state.config.server.public_url.is_empty() && addr.ip().is_loopback() {
            // A relying-party ID cannot be an IP address; lionrock serves loopback as localhost.
            println!("for passkeys, open http://localhost:{}", addr.port());
        }
        if demo {
            println!("demo mode: data in {}", state.config.server.data_dir.display());
            for note in &demo_notes {
                println!("  {note}");
            }
        }
    }
    if !demo {
        use platform::config::{MailTransport, SmsTransport};
        if state.config.mail.transport == MailTransport::Dev || state.config.sms.transport == SmsTransport::Dev {
            tracing::warn!(
                "mail.transport or sms.transport is \"dev\": those messages are not sent, only logged and shown to administrators"
            );
        }
    }
    let (trigger, shutdown) = platform::app::shutdown_channel();
    tokio::spawn(async move {
        stop_signal.await;
        tracing::info!("shutdown requested; finishing in-flight requests");
        trigger.trigger();
    });
    server.run(shutdown).await.map_err(Failure::runtime)?;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}
