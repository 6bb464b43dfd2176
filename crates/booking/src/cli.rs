//! Booking's command, `lionrock booking …`: `import FILE` sets programmes,
//! centres, products and slots up from a TOML or JSON file, idempotently,
//! and prints what it made (`--json`: the IDs by slug); `officers CENTRE`
//! shows or sets (`--set ID,ID`) who works at a centre.

use std::path::PathBuf;

use clap::{Args, FromArgMatches, Subcommand};
use platform::cli::{Command, Context, Failure};
use platform::error::DomainError;

use crate::setup;

/// The command booking adds to the binary.
pub(crate) const COMMANDS: [Command; 1] = [Command {
    command: || {
        Booking::augment_args(
            clap::Command::new("booking")
                .about("Booking programmes: set up programmes, centres and slots from a file; officers per centre"),
        )
    },
    run: |c, m| Box::pin(run(c, m)),
}];

#[derive(Debug, Args)]
struct Booking {
    #[command(subcommand)]
    command: Sub,
}

#[derive(Debug, Subcommand)]
enum Sub {
    /// Create or update programmes, products, centres and slots from a TOML
    /// or JSON file (see `examples/booking.toml`); running it again changes
    /// nothing that exists but what the file changes.
    Import {
        /// The set-up file.
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Show who works at a centre (checks people in, registers walk-ins and
    /// prints labels there), or set it with `--set`.
    Officers {
        /// The centre's ID (`import --json` prints it).
        #[arg(value_name = "CENTRE_ID")]
        centre: String,
        /// Replace the centre's officers with these account IDs (comma
        /// separated; `--set ""` leaves nobody).
        #[arg(long, value_name = "ACCOUNT_IDS", value_delimiter = ',', num_args = 0..)]
        set: Option<Vec<String>>,
    },
}

async fn run(ctx: Context, matches: clap::ArgMatches) -> Result<(), Failure> {
    let args = Booking::from_arg_matches(&matches)
        .map_err(|e| Failure::usage(e.to_string().lines().next().unwrap_or_default().to_owned()))?;
    let file = match args.command {
        Sub::Import { file } => file,
        Sub::Officers { centre, set } => return officers(ctx, &centre, set).await,
    };
    let text = std::fs::read_to_string(&file).map_err(|e| Failure::usage(format!("{}: {e}", file.display())))?;
    let plan = setup::parse(&text)
        .map_err(|e| Failure::usage(format!("{}: {}", file.display(), e.lines().next().unwrap_or_default())))?;
    if let Some(first) = setup::problems(&plan).first() {
        return Err(Failure::usage(format!("{}: {first}", file.display())));
    }
    let state = ctx.state().await?;
    let imported = setup::store::apply(&state, &plan, "cli").await.map_err(Failure::runtime)?;
    let text = imported
        .programmes
        .iter()
        .map(|p| {
            let verb = if p.created { "created" } else { "updated" };
            format!(
                "{verb} programme {} ({}): {} products, {} centres, {} new slots",
                p.slug,
                p.id,
                p.products.len(),
                p.centres.len(),
                p.slots_created
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    ctx.print(serde_json::to_value(&imported).map_err(Failure::runtime)?, text);
    Ok(())
}

async fn officers(ctx: Context, centre: &str, set: Option<Vec<String>>) -> Result<(), Failure> {
    let state = ctx.state().await?;
    let officers = match set {
        Some(given) => {
            let given: Vec<String> = given.into_iter().filter(|g| !g.trim().is_empty()).collect();
            let ids = crate::officers::http::account_ids(&given, "--set")
                .map_err(|_| Failure::usage("--set takes account IDs (UUIDs), comma separated, at most 500"))?;
            crate::officers::store::set_officers(&state, centre, &ids, "cli").await.map_err(|e| {
                if e.problem == crate::errors::BookingError::UnknownCentre.problem() {
                    Failure::usage(format!("no centre has the ID {centre:?}"))
                } else {
                    Failure::runtime(e)
                }
            })?
        }
        None => crate::officers::store::officers_of_centre(&state.db, centre)
            .await
            .map_err(Failure::runtime)?
            .ok_or_else(|| Failure::usage(format!("no centre has the ID {centre:?}")))?,
    };
    let text = if officers.is_empty() { format!("nobody works at centre {centre}") } else { officers.join("\n") };
    ctx.print(serde_json::json!({ "centre_id": centre, "officers": officers }), text);
    Ok(())
}
