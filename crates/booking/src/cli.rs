//! Booking's command, `lionrock booking …`: `import FILE` sets programmes,
//! centres, products and slots up from a TOML or JSON file, idempotently,
//! and prints what it made (`--json`: the IDs by slug).

use std::path::PathBuf;

use clap::{Args, FromArgMatches, Subcommand};
use platform::cli::{Command, Context, Failure};

use crate::setup;

/// The command booking adds to the binary.
pub(crate) const COMMANDS: [Command; 1] = [Command {
    command: || {
        Booking::augment_args(
            clap::Command::new("booking").about("Booking programmes: set up programmes, centres and slots from a file"),
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
}

async fn run(ctx: Context, matches: clap::ArgMatches) -> Result<(), Failure> {
    let args = Booking::from_arg_matches(&matches)
        .map_err(|e| Failure::usage(e.to_string().lines().next().unwrap_or_default().to_owned()))?;
    let Sub::Import { file } = args.command;
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
