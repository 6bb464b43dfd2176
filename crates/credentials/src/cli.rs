//! Credentials' command, `lionrock credentials …`: one subcommand per
//! module below (`issue`, `verify`, `trust add`), so each stays in its own
//! file and the shared definition here stays small.

mod issue;
mod trust;
mod verify;

use clap::{Args, FromArgMatches, Subcommand};
use platform::cli::{Command, Context, Failure};

/// The command credentials adds to the binary.
pub(crate) const COMMANDS: [Command; 1] = [Command {
    command: || {
        Credentials::augment_args(
            clap::Command::new("credentials")
                .about("Signed health credentials: issue in bulk, verify codes, manage the trust list"),
        )
    },
    run: |c, m| Box::pin(run(c, m)),
}];

#[derive(Debug, Args)]
struct Credentials {
    #[command(subcommand)]
    command: Sub,
}

#[derive(Debug, Subcommand)]
enum Sub {
    /// Issue records in bulk from a CSV file (columns: see the README).
    Issue(issue::IssueArgs),
    /// Verify a credential (an HC1: code, or a PNG picture of its QR code):
    /// exit 0 valid, 1 invalid, 2 usage.
    Verify(verify::VerifyArgs),
    /// The trust list: foreign document signers.
    Trust(trust::TrustArgs),
}

async fn run(ctx: Context, matches: clap::ArgMatches) -> Result<(), Failure> {
    let args = Credentials::from_arg_matches(&matches)
        .map_err(|e| Failure::usage(e.to_string().lines().next().unwrap_or_default().to_owned()))?;
    match args.command {
        Sub::Issue(args) => issue::run(ctx, args).await,
        Sub::Verify(args) => verify::run(ctx, args).await,
        Sub::Trust(args) => trust::run(ctx, args).await,
    }
}
