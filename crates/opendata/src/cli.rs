//! Open data's command, `lionrock opendata …`: `organisation create`,
//! `publisher add` (an account publishes for an organisation), and `token
//! create` / `token revoke` (CKAN API tokens: the secret is printed once,
//! on stdout only, and kept as a MAC; it is never logged).

use clap::{Args, FromArgMatches, Subcommand};
use platform::cli::{Command, Context, Failure};
use serde_json::json;

use crate::catalogue::Texts;
use crate::catalogue::store::{self as catalogue, Actor, WriteError};
use crate::publishers::store as publishers;

/// The command open data adds to the binary.
pub(crate) const COMMANDS: [Command; 1] = [Command {
    command: || {
        Opendata::augment_args(
            clap::Command::new("opendata").about("Open data: organisations, publishers and CKAN API tokens"),
        )
    },
    run: |c, m| Box::pin(run(c, m)),
}];

#[derive(Debug, Args)]
struct Opendata {
    #[command(subcommand)]
    command: Sub,
}

#[derive(Debug, Subcommand)]
enum Sub {
    /// Organisations (publishers of datasets).
    Organisation {
        #[command(subcommand)]
        command: OrganisationSub,
    },
    /// Who publishes for an organisation.
    Publisher {
        #[command(subcommand)]
        command: PublisherSub,
    },
    /// CKAN API tokens, which scripts (`ckanapi`) send in `Authorization`.
    Token {
        #[command(subcommand)]
        command: TokenSub,
    },
}

#[derive(Debug, Subcommand)]
enum OrganisationSub {
    /// Create an organisation.
    Create {
        /// Its URL name: 2 to 100 lower-case letters, digits, `-` and `_`.
        name: String,
        #[arg(long)]
        title_en: String,
        #[arg(long, default_value = "")]
        title_zh_hk: String,
        #[arg(long, default_value = "")]
        title_zh_cn: String,
    },
}

#[derive(Debug, Subcommand)]
enum PublisherSub {
    /// Let an account publish for an organisation.
    Add {
        /// The organisation's name or ID.
        organisation: String,
        /// The account's ID (a UUID, as identity shows it).
        account: String,
    },
}

#[derive(Debug, Subcommand)]
enum TokenSub {
    /// Make a token for an account; it is printed once.
    Create {
        /// The account's ID (a UUID).
        account: String,
        /// What the token is for, to recognise it later.
        #[arg(long, default_value = "api")]
        name: String,
    },
    /// Revoke a token by its ID; it stops working at once on every server.
    Revoke {
        /// The token's ID (printed when it was made).
        id: String,
    },
}

fn account_id(text: &str) -> Result<String, Failure> {
    uuid::Uuid::parse_str(text)
        .map(|u| u.to_string())
        .map_err(|_| Failure::usage(format!("{text}: an account ID is a UUID")))
}

async fn run(ctx: Context, matches: clap::ArgMatches) -> Result<(), Failure> {
    let args = Opendata::from_arg_matches(&matches)
        .map_err(|e| Failure::usage(e.to_string().lines().next().unwrap_or_default().to_owned()))?;
    let actor = Actor { id: "cli".to_owned(), request_id: None };
    match args.command {
        Sub::Organisation { command: OrganisationSub::Create { name, title_en, title_zh_hk, title_zh_cn } } => {
            let state = ctx.state().await?;
            let title = Texts::new(title_en, title_zh_hk, title_zh_cn);
            let made = catalogue::create_organisation(&state, &name, title, Texts::default(), &actor).await;
            let made = made.map_err(|e| match e {
                WriteError::Invalid(errors) => Failure::usage(format!("{name}: {errors:?}")),
                WriteError::NotFound => Failure::runtime("not found"),
                WriteError::Db(e) => Failure::runtime(e),
            })?;
            ctx.print(
                json!({"id": made.id, "name": made.name}),
                format!("created organisation {} ({})", made.name, made.id),
            );
        }
        Sub::Publisher { command: PublisherSub::Add { organisation, account } } => {
            let account = account_id(&account)?;
            let state = ctx.state().await?;
            let org = catalogue::organisation(&state.db, &organisation)
                .await
                .map_err(Failure::runtime)?
                .ok_or_else(|| Failure::usage(format!("{organisation}: no such organisation")))?;
            let added = publishers::add_publisher(&state, &org.id, &account, "cli").await.map_err(Failure::runtime)?;
            let text = if added { "now publishes for" } else { "already publishes for" };
            ctx.print(
                json!({"organisation": org.name, "account": account, "added": added}),
                format!("{account} {text} {}", org.name),
            );
        }
        Sub::Token { command: TokenSub::Create { account, name } } => {
            let account = account_id(&account)?;
            if name.is_empty() || name.chars().count() > 100 {
                return Err(Failure::usage("--name: 1 to 100 characters"));
            }
            let state = ctx.state().await?;
            let (id, token) =
                publishers::create_token(&state, &account, &name, "cli").await.map_err(Failure::runtime)?;
            ctx.print(
                json!({"id": id, "account": account, "token": token}),
                format!("token {id} for {account} (shown once; send it as the Authorization header):\n{token}"),
            );
        }
        Sub::Token { command: TokenSub::Revoke { id } } => {
            let state = ctx.state().await?;
            if !publishers::revoke_token(&state, &id, "cli").await.map_err(Failure::runtime)? {
                return Err(Failure::usage(format!("{id}: no live token has this ID")));
            }
            ctx.print(json!({"id": id, "revoked": true}), format!("revoked token {id}"));
        }
    }
    Ok(())
}
