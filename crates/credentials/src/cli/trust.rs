//! `lionrock credentials trust add --country XX --cert FILE`: trust another
//! country's document signer (DER or PEM), as the API's import does.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use platform::cli::{Context, Failure};

use crate::trust;

#[derive(Debug, Args)]
pub(crate) struct TrustArgs {
    #[command(subcommand)]
    command: TrustCommand,
}

#[derive(Debug, Subcommand)]
enum TrustCommand {
    /// Trust a foreign document signer (DSC) certificate.
    Add {
        /// Its country, ISO 3166-1 alpha-2 (DE).
        #[arg(long)]
        country: String,
        /// The certificate file: DER or PEM.
        #[arg(long, value_name = "FILE")]
        cert: PathBuf,
    },
}

pub(crate) async fn run(ctx: Context, args: TrustArgs) -> Result<(), Failure> {
    let TrustCommand::Add { country, cert } = args.command;
    let bytes = std::fs::read(&cert).map_err(|e| Failure::usage(format!("--cert {}: {e}", cert.display())))?;
    // DER as read, or PEM text, both as the API takes them.
    let text = match std::str::from_utf8(&bytes) {
        Ok(text) if text.trim_start().starts_with("-----BEGIN") => text.to_owned(),
        _ => base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &bytes),
    };
    if let Err(problem) = trust::check_foreign(&country, &text, platform::db::now()) {
        let flag = if problem.field_and_key().0 == "/country" { "--country" } else { "--cert" };
        return Err(Failure::usage(format!("{flag}: {}", problem.describe())));
    }
    let state = ctx.state().await?;
    let entry = trust::store::import(&state, "cli", &country, &text).await.map_err(|e| {
        if e.problem.status == axum::http::StatusCode::CONFLICT {
            Failure::runtime("this document signer is in the trust list already")
        } else {
            Failure::runtime(e)
        }
    })?;
    ctx.print(
        serde_json::to_value(&entry).map_err(Failure::runtime)?,
        format!("trusted {} document signer kid {} (thumbprint {})", entry.country, entry.kid, entry.thumbprint),
    );
    Ok(())
}
