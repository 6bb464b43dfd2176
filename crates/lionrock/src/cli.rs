//! Command line: the binary's own commands (`serve`, `migrate`, `config
//! check`, `audit verify|checkpoint|seal`, `keys init|rotate`) and those the
//! modules add (`users`, `clients`, …). Data goes to stdout (JSON with
//! `--json`), logs to stderr.
//! Usage and configuration errors exit with 2 and one line naming the
//! problem; failures at run time exit with 1.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use platform::app::{AppState, Server};
use platform::cli::{Command as ModuleCommand, Context, Failure, create_keys, load_keys};
use platform::config::Config;
use platform::crypto::Keys;
use platform::sea_orm::DatabaseConnection;
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
    /// After an upgrade from a release without the audit key: seal where the
    /// keyed links begin with the key (once; exit 1 if the chain is broken).
    Seal,
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// Create the data-encryption, blind-index and audit key files if missing.
    Init,
    /// Make a new signing key active; the old one stays published for verification.
    Rotate {
        /// What the key signs: ID tokens (`oidc`), or signed credentials: the
        /// root that certifies document signers (`dcc-csca`; a new root also
        /// gets a new document signer under it) or a document signer (`dcc-dsc`).
        #[arg(long, value_parser = ["oidc", "dcc-csca", "dcc-dsc"])]
        purpose: String,
    },
}

/// What the command line asked for: one of the binary's own commands, or
/// one a module added.
enum Parsed {
    Own(Cli),
    Module { config: Option<PathBuf>, json: bool, log_format: LogFormat, command: ModuleCommand, matches: ArgMatches },
}

/// The binary's own commands, with every module's added (`users`, …).
fn command_line(modules: &[platform::module::Module]) -> clap::Command {
    let mut command = Cli::command();
    for added in modules.iter().flat_map(|m| m.commands) {
        command = command.subcommand((added.command)());
    }
    command
}

/// Parses the command line. Help and version print as clap writes them;
/// any mistake is one line on stderr and exit 2.
fn parse_cli(modules: &[platform::module::Module]) -> Result<Parsed, ExitCode> {
    use clap::error::ErrorKind;
    let result = command_line(modules).try_get_matches().and_then(|matches| {
        let added = matches
            .subcommand_name()
            .and_then(|name| modules.iter().flat_map(|m| m.commands).find(|c| c.name() == name));
        match added {
            Some(command) => {
                let matches = matches.subcommand().map(|(_, m)| m.clone()).unwrap_or_default();
                Ok(Parsed::Module {
                    config: matches.get_one::<PathBuf>("config").cloned(),
                    json: matches.get_flag("json"),
                    log_format: matches.get_one::<LogFormat>("log_format").copied().unwrap_or(LogFormat::Pretty),
                    command: *command,
                    matches,
                })
            }
            None => Cli::from_arg_matches(&matches).map(Parsed::Own),
        }
    });
    let e = match result {
        Ok(parsed) => return Ok(parsed),
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
    let modules = crate::modules();
    let parsed = match parse_cli(&modules) {
        Ok(parsed) => parsed,
        Err(code) => return code,
    };
    init_logging(match &parsed {
        Parsed::Own(cli) => cli.log_format,
        Parsed::Module { log_format, .. } => *log_format,
    });
    platform::install_crypto_provider();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let outcome = runtime.block_on(async {
        match parsed {
            Parsed::Own(cli) => run(cli, modules).await,
            Parsed::Module { config, json, command, matches, .. } => {
                let config = load_config(config.as_deref(), &modules)?;
                (command.run)(Context { config, json, modules }, matches).await.map(|()| ExitCode::SUCCESS)
            }
        }
    });
    match outcome {
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

fn load_config(file: Option<&Path>, modules: &[platform::module::Module]) -> Result<Config, Failure> {
    Config::load(file, std::env::vars(), &platform::app::config_sections(modules)).map_err(Failure::usage)
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

async fn run(cli: Cli, modules: Vec<platform::module::Module>) -> Result<ExitCode, Failure> {
    let config = load_config(cli.config.as_deref(), &modules)?;
    match cli.command {
        Command::Serve { demo, listen } => serve(config, &modules, demo, listen, cli.json).await,
        Command::Migrate => {
            let db = platform::db::connect(&config).await.map_err(Failure::runtime)?;
            let pending = platform::app::migrator(&modules).run(&db).await.map_err(Failure::runtime)?;
            // Keys are optional here (migrations may run where they are not).
            match load_keys(&config) {
                Ok(keys) => seal_after_upgrade(&db, &keys, &pending).await?,
                Err(_) => warn_if_unsealed(&db).await?,
            }
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
                println!("{}", serde_json::to_string_pretty(&config.effective()).map_err(Failure::runtime)?);
            } else {
                let text = toml::to_string_pretty(&config.effective()).map_err(Failure::runtime)?;
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
        Command::Audit { command: AuditCommand::Seal } => {
            use platform::audit::{SealError, SealOutcome};
            let keys = load_keys(&config)?;
            let db = platform::db::connect(&config).await.map_err(Failure::runtime)?;
            let outcome = match platform::audit::seal(&db, &keys).await {
                Ok(outcome) => outcome,
                Err(SealError::Broken(report)) => {
                    print_report(&report, cli.json)?;
                    return Ok(ExitCode::from(1));
                }
                Err(e @ SealError::KeyedFromTheStart) => return Err(Failure::runtime(e)),
                Err(SealError::Db(e)) => return Err(Failure::runtime(e)),
            };
            let (sealed, note) = match outcome {
                SealOutcome::NotNeeded => {
                    (false, "the audit log was keyed from its first entry: nothing to seal".to_owned())
                }
                SealOutcome::AlreadySealed => (false, "the audit log was already sealed; nothing changed".to_owned()),
                SealOutcome::Sealed { keyed_from } => {
                    (true, format!("sealed the audit log's keyed chain from entry {keyed_from} with the audit key"))
                }
            };
            let report = platform::audit::verify(&db, &keys, None).await.map_err(Failure::runtime)?;
            if cli.json {
                println!("{}", json!({ "sealed": sealed, "report": report }));
            } else {
                println!("{note}");
                print_report(&report, false)?;
            }
            Ok(if report.ok { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        Command::Keys { command: KeysCommand::Rotate { purpose } } => {
            let purpose =
                platform::keys::Purpose::parse(&purpose).ok_or_else(|| Failure::usage("--purpose: unknown"))?;
            let keys = load_keys(&config)?;
            let state = AppState::new(config, keys, &modules).await?;
            let applied = state.migrator.run(&state.db).await.map_err(Failure::runtime)?;
            seal_after_upgrade(&state.db, &state.keys, &applied).await?;
            let (kid, kept) = if purpose.has_certificate() {
                let names = platform::keys::CertificateNames::of(&state.config);
                let kid = platform::keys::rotate_dcc(&state.db, &state.keys, purpose, &names, "cli")
                    .await
                    .map_err(Failure::runtime)?;
                (kid, "until every credential it signed has expired")
            } else {
                // Keep the old key published for as long as anything it signed may be checked.
                let keep = time::Duration::days(1);
                let kid =
                    platform::keys::rotate(&state.db, &state.keys, purpose, keep).await.map_err(Failure::runtime)?;
                (kid, "for a day")
            };
            if cli.json {
                println!("{}", json!({ "purpose": purpose.as_str(), "active_kid": kid }));
            } else {
                println!(
                    "new {} signing key {kid} is active; the previous one stays published {kept}",
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

/// After the migration that brought the audit key, run by this process
/// holding the key: seals the log's keyed start (see `audit::seal`).
/// Otherwise only warns if the log still waits for `lionrock audit seal`.
async fn seal_after_upgrade(db: &DatabaseConnection, keys: &Keys, applied: &[String]) -> Result<(), Failure> {
    use platform::audit::{SealError, SealOutcome};
    match platform::audit::seal_after_upgrade(db, keys, applied).await {
        Ok(Some(SealOutcome::Sealed { keyed_from })) => {
            tracing::info!(keyed_from, "sealed the audit log's keyed chain with the audit key");
            Ok(())
        }
        Ok(_) => warn_if_unsealed(db).await,
        Err(SealError::Broken(report)) => {
            let broken = report.first_broken.map(|b| format!("entry {}: {}", b.seq, b.reason)).unwrap_or_default();
            tracing::error!(%broken, "the audit log does not verify, so its keyed chain was not sealed");
            Ok(())
        }
        Err(e @ SealError::KeyedFromTheStart) => {
            tracing::error!(error = %e, "the audit log was not sealed");
            Ok(())
        }
        Err(SealError::Db(e)) => Err(Failure::runtime(e)),
    }
}

async fn warn_if_unsealed(db: &DatabaseConnection) -> Result<(), Failure> {
    if platform::audit::needs_seal(db).await.map_err(Failure::runtime)? {
        tracing::warn!(
            "the audit log's keyed chain is not sealed: `lionrock audit verify` fails until `lionrock audit seal` runs with the audit key (do it right after the upgrade)"
        );
    }
    Ok(())
}

async fn serve(
    mut config: Config,
    modules: &[platform::module::Module],
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
    if demo {
        create_keys(&config)?;
    }
    let keys = load_keys(&config)?;
    let state = AppState::new(config, keys, modules).await?;
    // Nothing applied yet: a database of its own, which a demo may fill.
    let fresh = state.migrator.nothing_applied(&state.db).await.map_err(Failure::runtime)?;
    let applied = state.migrator.run(&state.db).await.map_err(Failure::runtime)?;
    seal_after_upgrade(&state.db, &state.keys, &applied).await?;
    let demo_db = platform::demo::is_demo(&state.db).await.map_err(Failure::runtime)?;
    if demo && !demo_db && !fresh {
        return Err(Failure::usage(
            "this database was set up before, not by `serve --demo`; demo data, whose passwords are published, \
             goes only into a database of its own (choose another server.data_dir or database.url)",
        ));
    }
    if !demo && demo_db {
        return Err(Failure::usage(
            "this database holds demo data with published passwords (made by `serve --demo`); serve it only \
             with --demo, and run a real installation on a database of its own",
        ));
    }
    let mut demo_notes = Vec::new();
    if demo {
        platform::demo::mark(&state.db).await.map_err(Failure::runtime)?;
        state.set_demo();
        for loader in modules.iter().filter_map(|m| m.demo) {
            demo_notes.extend(loader(state.clone()).await.map_err(|e| Failure::usage(format!("demo data: {e}")))?);
        }
    }
    // Before anyone hears the server is up: a SIGTERM from then on stops it gracefully.
    let stop_signal = platform::app::os_signal();
    let server = Server::bind(state.clone(), modules, state.config.server.listen).await?;
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
