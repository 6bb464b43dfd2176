//! Open data's command, `lionrock opendata …`: `organisation create`,
//! `publisher add` (an account publishes for an organisation), `token
//! create` / `token revoke` (CKAN API tokens: the secret is printed once,
//! on stdout only, and kept as a MAC; it is never logged), `reindex` (the
//! search index rebuilt, with a progress line), `harvest URL` (another
//! CKAN instance's datasets copied here, incrementally), `datastore load`
//! (a CSV or JSON file into a resource's table, with the report of rows
//! left out) and, hidden, `generate` (made-up datasets for benchmarks).

use clap::{Args, FromArgMatches, Subcommand};
use platform::cli::{Command, Context, Failure};
use serde_json::json;

use crate::catalogue::Texts;
use crate::catalogue::store::{self as catalogue, Actor, WriteError};
use crate::publishers::store as publishers;
use crate::search::{self, index::Place, index::SearchIndex};

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
    /// Copy another CKAN instance's public datasets here, and on later runs
    /// only what changed there (datasets gone from it are marked deleted).
    Harvest {
        /// The source's base URL (its Action API is under `/api/3/action/`).
        url: String,
        /// Put every dataset in this organisation (name or ID); without it
        /// each goes to an organisation of its source organisation's name.
        #[arg(long)]
        organisation: Option<String>,
    },
    /// A resource's data as a table (CKAN's DataStore).
    Datastore {
        #[command(subcommand)]
        command: DatastoreSub,
    },
    /// Rebuild this server's search index from the database (stop the
    /// server first: it holds the index while it runs).
    Reindex,
    /// Add made-up datasets for benchmarks (the demo's organisations are
    /// made when missing).
    #[command(hide = true)]
    Generate {
        /// How many.
        #[arg(long, default_value_t = 1000)]
        count: usize,
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
enum DatastoreSub {
    /// Load a CSV file, or a JSON array of objects, into a resource's table,
    /// replacing what it held (in one transaction: a failed load changes
    /// nothing). Column types come from every value; rows that do not fit
    /// are reported and left out.
    Load {
        /// The resource's ID.
        resource_id: String,
        /// The file.
        file: std::path::PathBuf,
        /// csv or json (default: from the file's name; CSV unless it ends .json).
        #[arg(long)]
        format: Option<String>,
        /// A column's type instead of the inferred one: COLUMN=TYPE, TYPE one of text, int,
        /// numeric, bool, date, timestamp. Repeat for more columns.
        #[arg(long = "type", value_name = "COLUMN=TYPE")]
        types: Vec<String>,
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
        Sub::Reindex => reindex(&ctx).await?,
        Sub::Harvest { url, organisation } => harvest(&ctx, &url, organisation.as_deref()).await?,
        Sub::Datastore { command: DatastoreSub::Load { resource_id, file, format, types } } => {
            datastore_load(&ctx, &resource_id, &file, format.as_deref(), &types, &actor).await?;
        }
        Sub::Generate { count } => generate(&ctx, count, &actor).await?,
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

/// `opendata reindex`: a progress line on stderr, the result on stdout, a
/// one-line error on failure.
async fn reindex(ctx: &Context) -> Result<(), Failure> {
    let state = ctx.state().await?;
    if crate::settings::of(&state).search_in_memory {
        return Err(Failure::usage(
            "opendata.search_in_memory is set: each server fills its index from the change log when it starts",
        ));
    }
    let dir = crate::settings::index_dir(&state.config);
    let index = SearchIndex::open(Place::Directory(&dir)).map_err(|e| Failure::runtime(format!("reindex: {e}")))?;
    let started = std::time::Instant::now();
    let done = search::node::rebuild(&state.db, &index, 1000, |done, total| {
        let percent = (done * 100).checked_div(total).unwrap_or(100);
        eprint!("\rreindex: {done}/{total} datasets ({percent}%)");
    })
    .await
    .map_err(|e| Failure::runtime(format!("reindex: {e}")))?;
    eprintln!();
    let seconds = started.elapsed().as_secs_f64();
    ctx.print(
        json!({"datasets": done, "seconds": seconds, "applied": index.applied(), "dir": dir.display().to_string()}),
        format!("reindexed {done} datasets in {seconds:.1} s into {}", dir.display()),
    );
    Ok(())
}

/// `opendata harvest URL`: the report on stdout; a source that cannot be
/// read is one error line and exit 1, and so is a run where a dataset
/// failed (after the report, which names each and why).
async fn harvest(ctx: &Context, url: &str, organisation: Option<&str>) -> Result<(), Failure> {
    let state = ctx.state().await?;
    let limits = crate::harvest::remote::Limits::default();
    let report = crate::harvest::remote::harvest(&state, url, organisation, limits)
        .await
        .map_err(|e| Failure::runtime(format!("harvest: {e}")))?;
    let mut text = format!(
        "harvested {}: {} created, {} updated, {} unchanged, {} deleted, {} failed",
        report.source, report.created, report.updated, report.unchanged, report.deleted, report.failed
    );
    for f in &report.failures {
        text = format!("{text}\n  {}: {}", f.name, f.reason);
    }
    ctx.print(serde_json::to_value(&report).unwrap_or_default(), text);
    if report.failed > 0 {
        return Err(Failure::runtime(format!("harvest: {} datasets could not be harvested", report.failed)));
    }
    Ok(())
}

/// `opendata generate --count N`: N made-up datasets, 10,000 per transaction.
async fn generate(ctx: &Context, count: usize, actor: &Actor) -> Result<(), Failure> {
    let state = ctx.state().await?;
    for o in crate::demo::organisations() {
        if catalogue::organisation(&state.db, o.name).await.map_err(Failure::runtime)?.is_none() {
            catalogue::create_organisation(&state, o.name, o.title, o.description, actor)
                .await
                .map_err(|e| Failure::runtime(format!("{e:?}")))?;
        }
    }
    let from = usize::try_from(catalogue::dataset_count(&state.db).await.map_err(Failure::runtime)?).unwrap_or(0);
    let started = std::time::Instant::now();
    let mut made = 0;
    while made < count {
        let batch = crate::demo::generated(from + made, (count - made).min(10_000));
        made += batch.len();
        catalogue::insert_many(&state, &batch, actor).await.map_err(|e| Failure::runtime(format!("{e:?}")))?;
        eprint!("\rgenerate: {made}/{count} datasets");
    }
    eprintln!();
    let seconds = started.elapsed().as_secs_f64();
    ctx.print(json!({"datasets": made, "seconds": seconds}), format!("generated {made} datasets in {seconds:.1} s"));
    Ok(())
}

/// `opendata datastore load`: the report on stdout (JSON with `--json`),
/// the rows left out listed (the first 20 as text; up to 1,000 in JSON).
async fn datastore_load(
    ctx: &Context,
    resource_id: &str,
    file: &std::path::Path,
    format: Option<&str>,
    types: &[String],
    actor: &Actor,
) -> Result<(), Failure> {
    use crate::datastore::{self, file::Format, store::LoadError};
    let format = match format {
        Some(f) => Format::parse(f).ok_or_else(|| Failure::usage(format!("--format {f}: csv or json")))?,
        None => Format::of_path(file),
    };
    let overrides = types.iter().map(|t| datastore::override_of(t)).collect::<Result<Vec<_>, _>>();
    let overrides = overrides.map_err(|e| Failure::usage(format!("--type {e}")))?;
    let reader = std::fs::File::open(file).map_err(|e| Failure::usage(format!("{}: {e}", file.display())))?;
    let state = ctx.state().await?;
    let progress = |done: u64, total: u64| {
        let percent = (done * 100).checked_div(total).unwrap_or(100);
        eprint!("\rdatastore load: {done}/{total} rows ({percent}%)");
    };
    let loaded =
        datastore::store::load_watched(&state, resource_id, reader, format, &overrides, actor, &progress).await;
    eprintln!();
    let report = loaded.map_err(|e| match e {
        LoadError::NotFound => Failure::usage(format!("{resource_id}: no such resource")),
        other => Failure::runtime(format!("datastore load: {other}")),
    })?;
    let rate = report.rows_loaded as f64 / report.seconds.max(1e-9);
    let mut json = serde_json::to_value(&report).map_err(Failure::runtime)?;
    json["rows_per_second"] = json!(rate.round());
    let mut text = format!(
        "loaded {} of {} rows into resource {resource_id} in {:.1} s ({:.0} rows/s); {} rejected",
        report.rows_loaded, report.rows_total, report.seconds, rate, report.rows_rejected
    );
    let types: Vec<String> = report.fields.iter().map(|f| format!("{} {}", f.id, f.kind.name())).collect();
    text.push_str(&format!("\ncolumns: {}", types.join(", ")));
    for p in report.problems.iter().take(20) {
        let line = p.line.map(|l| format!(" (line {l})")).unwrap_or_default();
        let column = p.column.as_deref().map(|c| format!(", column {c}")).unwrap_or_default();
        text.push_str(&format!("\nrow {}{line}{column}: {}: \"{}\"", p.row, p.reason, p.value));
    }
    if report.rows_rejected > 20 {
        text.push_str(&format!("\n… and {} more (--json lists up to 1,000)", report.rows_rejected - 20));
    }
    ctx.print(json, text);
    Ok(())
}
