//! Identity's commands: `lionrock users create` (the first administrator,
//! or scripted set-up) and `lionrock clients create` (register an OpenID
//! Connect relying party). Results print as JSON with `--json`.

use std::path::PathBuf;

use clap::{Args, FromArgMatches, Subcommand, ValueEnum};
use platform::cli::{Command, Context, Failure};
use serde_json::json;

use crate::{accounts, oidc};

/// The commands identity adds to the binary.
pub(crate) const COMMANDS: [Command; 3] = [
    Command {
        command: || Users::augment_args(clap::Command::new("users").about("Accounts")),
        run: |c, m| Box::pin(users(c, m)),
    },
    Command {
        command: || {
            Clients::augment_args(clap::Command::new("clients").about("OpenID Connect clients (relying parties)"))
        },
        run: |c, m| Box::pin(clients(c, m)),
    },
    Command {
        command: || {
            HashRate::augment_args(
                clap::Command::new("password-hash-rate")
                    .about("Raw Argon2id verifications per second at sign-in's cost (a benchmark's yardstick)")
                    .hide(true),
            )
        },
        run: |c, m| Box::pin(hash_rate(c, m)),
    },
];

/// `lionrock password-hash-rate` (hidden): what `bench/ratio.sh` holds
/// password sign-ins against.
#[derive(Debug, Args)]
struct HashRate {
    /// How long to hash.
    #[arg(long, default_value_t = 4.0)]
    seconds: f64,
    /// Threads (default: one per core, as the sign-in pool has).
    #[arg(long)]
    threads: Option<usize>,
}

#[derive(Debug, Args)]
struct Users {
    #[command(subcommand)]
    command: UsersCommand,
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
        /// An officer's permission (needs --role officer), one the modules
        /// of this binary declare (an unknown one is refused with the
        /// list); may be repeated.
        #[arg(long, requires = "role")]
        scope: Vec<String>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum RoleArg {
    Admin,
    Officer,
}

#[derive(Debug, Args)]
struct Clients {
    #[command(subcommand)]
    command: ClientsCommand,
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
        /// Scopes it may ask for besides openid (email, profile, address,
        /// phone; offline_access for refresh tokens; real_name_source); may
        /// be repeated.
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

fn parse<T: FromArgMatches>(matches: &clap::ArgMatches) -> Result<T, Failure> {
    T::from_arg_matches(matches).map_err(|e| Failure::usage(e.to_string().lines().next().unwrap_or_default()))
}

async fn users(ctx: Context, matches: clap::ArgMatches) -> Result<(), Failure> {
    let Users { command: UsersCommand::Create { email, phone, password_stdin: _, real_name, role, scope } } =
        parse(&matches)?;
    // Wiped when dropped, like every secret we hold in memory.
    let mut password = zeroize::Zeroizing::new(String::new());
    std::io::Read::read_to_string(&mut std::io::stdin(), &mut password)
        .map_err(|e| Failure::usage(format!("--password-stdin: cannot read standard input: {e}")))?;
    // One trailing newline is how `echo` and here-strings end input, not part of the password.
    let password = password.strip_suffix('\n').map(|p| p.strip_suffix('\r').unwrap_or(p)).unwrap_or(&password);
    let name = match (&email, &phone) {
        (Some(e), _) => accounts::NewUser::Email(e),
        (None, Some(p)) => accounts::NewUser::Phone(p),
        (None, None) => return Err(Failure::usage("users create: give --email or --phone")),
    };
    let state = ctx.state().await?;
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
    if !scope.is_empty() && !role.iter().any(|r| matches!(r, RoleArg::Officer)) {
        return Err(Failure::usage("--scope: only an officer (--role officer) has scopes"));
    }
    // The scopes the binary's modules declare (identity depends on none of them).
    let offered = &state.officer_scopes;
    let mut scopes: Vec<String> = Vec::new();
    for s in scope {
        if !offered.iter().any(|o| o.name == s) {
            let names: Vec<&str> = offered.iter().map(|o| o.name).collect();
            return Err(Failure::usage(format!(
                "--scope {s:?}: no such officer scope (offered: {})",
                names.join(", ")
            )));
        }
        if !scopes.contains(&s) {
            scopes.push(s);
        }
    }
    let account = accounts::store::create_user_named(&state, name, password, real_name, roles.clone(), scopes.clone())
        .await
        .map_err(|e| match e {
            accounts::CreateUserError::Internal(m) => Failure::runtime(m),
            other => Failure::usage(other),
        })?;
    ctx.print(
        json!({ "account_id": account.id, "email": account.email, "phone": account.phone, "level": account.level, "roles": roles, "scopes": scopes }),
        format!("created account {} for {}", account.id, account.name()),
    );
    Ok(())
}

async fn clients(ctx: Context, matches: clap::ArgMatches) -> Result<(), Failure> {
    let Clients {
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
    } = parse(&matches)?;
    let jwks = jwks_file
        .map(|p| std::fs::read_to_string(&p).map_err(|e| Failure::usage(format!("--jwks-file {}: {e}", p.display()))))
        .transpose()?;
    let state = ctx.state().await?;
    let new = oidc::NewClient { name, redirect_uris, post_logout_redirect_uris, scopes, public, jwks, rs256, pairwise };
    let created = oidc::create_client(&state, new).await.map_err(|e| match e {
        oidc::ClientError::Internal(m) => Failure::runtime(m),
        other => Failure::usage(other),
    })?;
    let mut text = format!("client_id: {}", created.client_id);
    if let Some(secret) = &created.client_secret {
        text.push_str(&format!("\nclient_secret: {secret}\n(shown once: store it now)"));
    }
    ctx.print(serde_json::to_value(&created).map_err(Failure::runtime)?, text);
    Ok(())
}

async fn hash_rate(ctx: Context, matches: clap::ArgMatches) -> Result<(), Failure> {
    let HashRate { seconds, threads } = parse(&matches)?;
    if !(seconds > 0.0 && seconds <= 600.0) {
        return Err(Failure::usage("--seconds: more than 0, at most 600"));
    }
    let threads = threads.unwrap_or_else(crate::password::pool_threads).max(1);
    let (done, took) = tokio::task::spawn_blocking(move || crate::password::raw_rate(threads, seconds))
        .await
        .map_err(Failure::runtime)?;
    let per_s = done as f64 / took.as_secs_f64();
    ctx.print(
        json!({
            "hashes_per_s": (per_s * 10.0).round() / 10.0, "hashes": done, "seconds": took.as_secs_f64(), "threads": threads,
            "m_cost_kib": crate::password::M_COST, "t_cost": crate::password::T_COST, "p_cost": crate::password::P_COST,
        }),
        format!("{per_s:.1} Argon2id verifications/s on {threads} threads ({done} in {:.1} s)", took.as_secs_f64()),
    );
    Ok(())
}
