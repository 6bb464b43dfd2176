//! Database connection (SQLite embedded or PostgreSQL, same code), write
//! transactions, and the migration runner that composes every module's
//! migrations into one ordered list.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, DatabaseBackend, DatabaseConnection, DatabaseTransaction, DbErr, ExecResult,
    QueryResult, SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};
use sea_orm_migration::{MigrationTrait, MigratorTraitSelf};
use time::OffsetDateTime;

use crate::config::Config;

pub mod writer;

/// Why the database could not be opened or migrated.
#[derive(Debug, thiserror::Error)]
pub enum DbSetupError {
    #[error("database.url: cannot create data directory {path}: {source}")]
    DataDir { path: String, source: std::io::Error },
    #[error("database: cannot connect: {0}")]
    Connect(DbErr),
    #[error("database: migration failed: {0}")]
    Migrate(DbErr),
}

/// Opens the configured database: SQLite with WAL, foreign keys, a busy
/// timeout and `database.sqlite_synchronous` (creating the file and its
/// directory), or PostgreSQL.
pub async fn connect(config: &Config) -> Result<DatabaseConnection, DbSetupError> {
    let db = &config.database;
    open(&config.database_url(), db.max_connections, db.busy_timeout_ms, db.sqlite_synchronous, None).await
}

/// Like [`connect`], with an explicit URL and optional PostgreSQL schema
/// (the test kit gives every PostgreSQL test its own schema); SQLite gets
/// the default `synchronous = FULL`.
pub async fn connect_url(
    url: &str,
    max_connections: u32,
    busy_timeout_ms: u64,
    pg_schema: Option<&str>,
) -> Result<DatabaseConnection, DbSetupError> {
    open(url, max_connections, busy_timeout_ms, crate::config::SqliteSynchronous::default(), pg_schema).await
}

async fn open(
    url: &str,
    max_connections: u32,
    busy_timeout_ms: u64,
    synchronous: crate::config::SqliteSynchronous,
    pg_schema: Option<&str>,
) -> Result<DatabaseConnection, DbSetupError> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
        let path = path.split('?').next().unwrap_or(path);
        if path != ":memory:"
            && let Some(dir) = Path::new(path).parent().filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir)
                .map_err(|source| DbSetupError::DataDir { path: dir.display().to_string(), source })?;
        }
        let busy = Duration::from_millis(busy_timeout_ms);
        let synchronous = match synchronous {
            crate::config::SqliteSynchronous::Full => SqliteSynchronous::Full,
            crate::config::SqliteSynchronous::Normal => SqliteSynchronous::Normal,
        };
        // Connect options: sqlx sets these pragmas on every connection the
        // pool opens, not only the first.
        options.map_sqlx_sqlite_opts(move |o| {
            o.create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(synchronous)
                .foreign_keys(true)
                .busy_timeout(busy)
        });
    }
    if let Some(schema) = pg_schema {
        options.set_schema_search_path(schema.to_owned());
    }
    let db = sea_orm::Database::connect(options).await.map_err(DbSetupError::Connect)?;
    if db.get_database_backend() == DatabaseBackend::Sqlite {
        let path = db.get_sqlite_connection_pool().connect_options().get_filename().to_path_buf();
        WriteQueue::register(path, Duration::from_millis(busy_timeout_ms));
    }
    Ok(db)
}

/// Starts a transaction that will write. On SQLite it takes the write lock
/// up front (`BEGIN IMMEDIATE`) so concurrent writers never fail on a lock
/// upgrade, and before that it waits its turn in this process's write queue
/// ([`WriteQueue`]): writers of one server take the database's single write
/// lock in the order they asked, instead of each sleeping and retrying in
/// SQLite's busy handler (which made a rush's slowest writers wait hundreds
/// of milliseconds). The turn is held by the returned transaction until it
/// commits, rolls back or is dropped.
///
/// Never begin a second write transaction on the same SQLite database while
/// holding one: the second would wait for the first. The queue gives up
/// after the busy timeout with a "database is locked" error, as SQLite did.
pub async fn begin_write(db: &DatabaseConnection) -> Result<WriteTransaction, DbErr> {
    let (options, turn) = match db.get_database_backend() {
        DatabaseBackend::Sqlite => {
            let options = TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..TransactionOptions::default()
            };
            (options, Some(WriteQueue::of(db).turn().await?))
        }
        _ => (TransactionOptions::default(), None),
    };
    let txn = db.begin_with_options(options).await?;
    Ok(WriteTransaction { txn: Some(txn), _turn: turn })
}

/// The writers of one SQLite database file in this process, queued in the
/// order they asked (tokio's mutex is fair: first come, first served).
/// Autocommit writes outside [`begin_write`] do not queue; they meet the
/// queue's holder in SQLite's busy handler as before, and so do other
/// processes (the CLI) writing to the same file.
#[derive(Clone)]
struct WriteQueue {
    lock: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// How long a writer waits for its turn: the connection's busy timeout.
    patience: Duration,
}

/// One queue per SQLite file, made when the file is opened ([`open`]).
static WRITE_QUEUES: std::sync::LazyLock<std::sync::Mutex<HashMap<PathBuf, WriteQueue>>> =
    std::sync::LazyLock::new(Default::default);

impl WriteQueue {
    fn register(path: PathBuf, patience: Duration) {
        let mut queues = WRITE_QUEUES.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        queues.entry(path).or_insert_with(|| WriteQueue { lock: Default::default(), patience });
    }

    /// The queue of `db`'s file (a file opened some other way gets its own
    /// queue on first use, with SQLite's default patience).
    fn of(db: &DatabaseConnection) -> WriteQueue {
        let options = db.get_sqlite_connection_pool().connect_options();
        let path = options.get_filename().to_path_buf();
        let mut queues = WRITE_QUEUES.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        queues
            .entry(path)
            .or_insert_with(|| WriteQueue { lock: Default::default(), patience: Duration::from_secs(5) })
            .clone()
    }

    async fn turn(&self) -> Result<tokio::sync::OwnedMutexGuard<()>, DbErr> {
        let started = std::time::Instant::now();
        let turn = tokio::time::timeout(self.patience, self.lock.clone().lock_owned()).await.map_err(|_| {
            DbErr::Custom("database is locked: no turn in the write queue within the busy timeout".to_owned())
        })?;
        metrics::histogram!("db_write_queue_wait_seconds").record(started.elapsed().as_secs_f64());
        Ok(turn)
    }
}

/// A write transaction from [`begin_write`]: a sea-orm transaction (it
/// dereferences to one, and is a connection for every query) that, on
/// SQLite, holds its turn in the write queue until it ends. Dropped without
/// `commit` it rolls back, and the turn passes on only once SQLite has
/// released its write lock.
pub struct WriteTransaction {
    /// `None` only once committed or rolled back.
    txn: Option<DatabaseTransaction>,
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl WriteTransaction {
    fn txn(&self) -> &DatabaseTransaction {
        match &self.txn {
            Some(txn) => txn,
            // `commit` and `rollback` take `self`: nothing can see it after.
            None => unreachable!("a write transaction used after it ended"),
        }
    }

    pub async fn commit(mut self) -> Result<(), DbErr> {
        match self.txn.take() {
            Some(txn) => txn.commit().await,
            None => Ok(()),
        }
    }

    pub async fn rollback(mut self) -> Result<(), DbErr> {
        match self.txn.take() {
            Some(txn) => txn.rollback().await,
            None => Ok(()),
        }
    }
}

impl std::ops::Deref for WriteTransaction {
    type Target = DatabaseTransaction;

    fn deref(&self) -> &DatabaseTransaction {
        self.txn()
    }
}

impl Drop for WriteTransaction {
    fn drop(&mut self) {
        let (Some(txn), Some(turn)) = (self.txn.take(), self._turn.take()) else { return };
        // sea-orm's own drop only queues the ROLLBACK on the connection, so
        // the next writer in the queue would find SQLite still locked and
        // sleep in the busy handler: roll back first, then pass the turn on.
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    if let Err(error) = txn.rollback().await {
                        tracing::warn!(%error, "rolling back a dropped write transaction failed");
                    }
                    drop(turn);
                });
            }
            Err(_) => drop(txn),
        }
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for WriteTransaction {
    fn get_database_backend(&self) -> DatabaseBackend {
        self.txn().get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.txn().execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.txn().execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.txn().query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.txn().query_all_raw(stmt).await
    }

    fn support_returning(&self) -> bool {
        self.txn().support_returning()
    }
}

/// Now, in UTC, at microsecond precision (what both databases keep).
pub fn now() -> OffsetDateTime {
    let t = OffsetDateTime::now_utc();
    t.replace_nanosecond(t.nanosecond() / 1000 * 1000).unwrap_or(t)
}

/// Arbitrary, fixed key of the PostgreSQL advisory lock migrations take.
const MIGRATION_LOCK_KEY: i64 = 0x6c69_6f6e_726f_636b; // "lionrock"

/// A module's list of migrations.
pub type MigrationSet = fn() -> Vec<Box<dyn MigrationTrait>>;

/// The migrations of every module, in order: the platform's first.
pub struct Migrator {
    sets: Vec<MigrationSet>,
}

impl Migrator {
    pub fn new(sets: Vec<MigrationSet>) -> Self {
        Self { sets }
    }

    /// Applies every pending migration and returns their names. On
    /// PostgreSQL the whole run holds an advisory lock in one transaction,
    /// so servers starting together against one database migrate it once,
    /// and a failed run leaves nothing half-applied.
    pub async fn run(&self, db: &DatabaseConnection) -> Result<Vec<String>, DbSetupError> {
        let names = |pending: Vec<sea_orm_migration::Migration>| -> Vec<String> {
            pending.iter().map(|m| m.name().to_owned()).collect()
        };
        match db.get_database_backend() {
            DatabaseBackend::Postgres => {
                let txn = db.begin().await.map_err(DbSetupError::Migrate)?;
                txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})"))
                    .await
                    .map_err(DbSetupError::Migrate)?;
                let pending =
                    MigratorTraitSelf::get_pending_migrations(self, &txn).await.map_err(DbSetupError::Migrate)?;
                MigratorTraitSelf::up(self, &txn, None).await.map_err(DbSetupError::Migrate)?;
                txn.commit().await.map_err(DbSetupError::Migrate)?;
                Ok(names(pending))
            }
            _ => {
                let pending =
                    MigratorTraitSelf::get_pending_migrations(self, db).await.map_err(DbSetupError::Migrate)?;
                MigratorTraitSelf::up(self, db, None).await.map_err(DbSetupError::Migrate)?;
                Ok(names(pending))
            }
        }
    }

    /// Names of migrations not yet applied.
    pub async fn pending(&self, db: &DatabaseConnection) -> Result<Vec<String>, DbErr> {
        Ok(MigratorTraitSelf::get_pending_migrations(self, db).await?.iter().map(|m| m.name().to_owned()).collect())
    }

    /// True when no migration was ever applied: a database of its own.
    pub async fn nothing_applied(&self, db: &DatabaseConnection) -> Result<bool, DbErr> {
        Ok(self.pending(db).await?.len() == MigratorTraitSelf::migrations(self).len())
    }
}

impl MigratorTraitSelf for Migrator {
    fn migrations(&self) -> Vec<Box<dyn MigrationTrait>> {
        self.sets.iter().flat_map(|set| set()).collect()
    }
}

/// Answers `SELECT 1`: the database is reachable.
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.execute_unprepared("SELECT 1").await.map(|_| ())
}

/// True when `e` is a unique-key violation (so `store` can turn it into a
/// domain error instead of an opaque internal one).
pub fn is_unique_violation(e: &DbErr) -> bool {
    unique_violation(e).is_some()
}

/// The column(s) a unique-key violation is about (`email`, or `a, b`;
/// empty when the driver does not say), or `None` when `e` is not one. Read from the driver's message (SQLite:
/// `UNIQUE constraint failed: account.email`) or detail (PostgreSQL:
/// `Key (email)=(…) already exists.`); the value itself is never returned.
pub fn unique_violation(e: &DbErr) -> Option<String> {
    let Some(sea_orm::SqlErr::UniqueConstraintViolation(message)) = e.sql_err() else {
        return None;
    };
    if let Some(columns) = message.strip_prefix("UNIQUE constraint failed: ") {
        let names: Vec<&str> = columns.split(", ").map(|c| c.rsplit('.').next().unwrap_or(c)).collect();
        return Some(names.join(", "));
    }
    let detail = match e {
        DbErr::Exec(sea_orm::RuntimeErr::SqlxError(err)) | DbErr::Query(sea_orm::RuntimeErr::SqlxError(err)) => err
            .as_database_error()
            .and_then(|d| d.try_downcast_ref::<sea_orm::sqlx::postgres::PgDatabaseError>())
            .and_then(|pg| pg.detail().map(str::to_owned)),
        _ => None,
    };
    let columns =
        detail.as_deref().and_then(|d| d.strip_prefix("Key (")).and_then(|d| d.split_once(")=")).map(|(c, _)| c);
    Some(columns.unwrap_or_default().to_owned())
}

/// True when PostgreSQL aborted the transaction to break a deadlock
/// (SQLSTATE `40P01`) or for a serialization failure (`40001`): nothing it
/// did was kept, and running the whole transaction again may succeed.
/// SQLite's write transactions (`BEGIN IMMEDIATE`) never end so.
pub fn is_retryable_conflict(e: &DbErr) -> bool {
    let code = match e {
        DbErr::Exec(sea_orm::RuntimeErr::SqlxError(err)) | DbErr::Query(sea_orm::RuntimeErr::SqlxError(err)) => {
            err.as_database_error().and_then(|d| d.code().map(|c| c.into_owned()))
        }
        _ => None,
    };
    matches!(code.as_deref(), Some("40P01" | "40001"))
}

/// Pool gauges for `/metrics`: (size, idle).
pub fn pool_usage(db: &DatabaseConnection) -> (u32, u32) {
    match db.get_database_backend() {
        DatabaseBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle() as u32)
        }
        DatabaseBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle() as u32)
        }
        _ => (0, 0),
    }
}
