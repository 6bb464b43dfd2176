//! Group commit: one task takes short write jobs from a channel and runs
//! those that are waiting in one transaction, each inside its own
//! savepoint, then commits them together. Every caller awaits the commit
//! that holds its job, so nothing is answered before it is durable; under
//! load, one commit (one WAL sync on SQLite) serves many jobs instead of
//! one each. A job that fails is rolled back to its savepoint and told its
//! error; the others in the batch go on and commit. A failed commit is
//! every job's error in that batch (none of them took effect).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use sea_orm::{DatabaseBackend, DatabaseConnection, DatabaseTransaction, DbErr, TransactionTrait};
use tokio::sync::{mpsc, oneshot};

use crate::config::GroupCommit;
use crate::contracts::BoxFuture;

/// The most jobs one transaction takes: a batch stays short, so a caller
/// that arrives during a commit waits for at most one batch before its own.
const MAX_BATCH: usize = 64;

/// A write job: statements on the transaction it is handed (a savepoint of
/// the batch's transaction), and nothing slow.
type Work<T, E> = Box<dyn for<'t> FnOnce(&'t DatabaseTransaction) -> BoxFuture<'t, Result<T, E>> + Send>;

/// A job with its reply, with the result type erased for the channel.
trait Job: Send {
    /// Runs the work in a savepoint of `txn`; false when it failed (and
    /// was rolled back to the savepoint).
    fn run<'t>(&'t mut self, txn: &'t DatabaseTransaction) -> BoxFuture<'t, bool>;
    /// Tells the caller: its result if the batch committed (or its own
    /// error, which needed no commit), else the commit's error.
    fn finish(self: Box<Self>, committed: Result<(), &DbErr>);
}

struct Pending<T, E> {
    work: Option<Work<T, E>>,
    result: Option<Result<T, E>>,
    reply: oneshot::Sender<Result<T, E>>,
}

impl<T: Send + 'static, E: From<DbErr> + Send + 'static> Job for Pending<T, E> {
    fn run<'t>(&'t mut self, txn: &'t DatabaseTransaction) -> BoxFuture<'t, bool> {
        Box::pin(async move {
            let Some(work) = self.work.take() else { return false };
            let savepoint = match txn.begin().await {
                Ok(s) => s,
                Err(e) => {
                    self.result = Some(Err(e.into()));
                    return false;
                }
            };
            let result = match work(&savepoint).await {
                Ok(value) => savepoint.commit().await.map(|()| value).map_err(E::from),
                Err(e) => {
                    // Should this fail, the batch's commit fails too, and says so to every job.
                    let _ = savepoint.rollback().await;
                    Err(e)
                }
            };
            let ok = result.is_ok();
            self.result = Some(result);
            ok
        })
    }

    fn finish(self: Box<Self>, committed: Result<(), &DbErr>) {
        let result = match (self.result, committed) {
            (Some(Err(e)), _) => Err(e),
            (Some(Ok(value)), Ok(())) => Ok(value),
            (Some(Ok(_)), Err(e)) => Err(E::from(copy(e))),
            (None, Err(e)) => Err(E::from(copy(e))),
            (None, Ok(())) => Err(E::from(DbErr::Custom("write job did not run".to_owned()))),
        };
        let _ = self.reply.send(result);
    }
}

/// A commit's error for every job of its batch (`DbErr` is not `Clone`).
fn copy(e: &DbErr) -> DbErr {
    DbErr::Custom(format!("group commit failed: {e}"))
}

/// The writer of one database: its task started on first use and ended
/// when the writer is dropped. Without group commit, each job is simply
/// its own write transaction on the caller's task.
pub struct Writer {
    db: DatabaseConnection,
    grouped: bool,
    jobs: Mutex<Option<mpsc::UnboundedSender<Box<dyn Job>>>>,
    commits: Arc<AtomicU64>,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer").finish_non_exhaustive()
    }
}

impl Writer {
    /// `auto` groups commits on SQLite only: there every write waits for
    /// the one write lock and every commit syncs the log, so sharing
    /// commits is pure gain; PostgreSQL runs writers side by side.
    pub fn new(db: DatabaseConnection, mode: GroupCommit) -> Self {
        let grouped = match mode {
            GroupCommit::Auto => db.get_database_backend() == DatabaseBackend::Sqlite,
            GroupCommit::On => true,
            GroupCommit::Off => false,
        };
        Self { db, grouped, jobs: Mutex::new(None), commits: Arc::default() }
    }

    /// How many group commits (batches) the writer has made.
    pub fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    /// Whether jobs share commits.
    pub fn grouped(&self) -> bool {
        self.grouped
    }

    /// Runs `work` in the next group commit and returns its result once
    /// that commit is durable: `work`'s own error (its statements rolled
    /// back), or the commit's. `work` runs on the writer's task, one job
    /// at a time: it should only issue its statements (do the hashing and
    /// signing before). Dropping the returned future does not withdraw a
    /// job already sent: it may still commit.
    pub async fn write<T, E, F>(&self, work: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbErr> + Send + 'static,
        F: for<'t> FnOnce(&'t DatabaseTransaction) -> BoxFuture<'t, Result<T, E>> + Send + 'static,
    {
        if !self.grouped {
            let txn = super::begin_write(&self.db).await?;
            return match work(&txn).await {
                Ok(value) => txn.commit().await.map(|()| value).map_err(E::from),
                Err(e) => {
                    let _ = txn.rollback().await;
                    Err(e)
                }
            };
        }
        let (reply, answer) = oneshot::channel();
        let work: Work<T, E> = Box::new(work);
        let mut job: Box<dyn Job> = Box::new(Pending { work: Some(work), result: None, reply });
        // A writer task that died (a job panicked) is replaced once.
        for _ in 0..2 {
            let sender = self.sender();
            match sender.send(job) {
                Ok(()) => break,
                Err(mpsc::error::SendError(back)) => {
                    job = back;
                    if let Ok(mut jobs) = self.jobs.lock() {
                        *jobs = None;
                    }
                }
            }
        }
        answer.await.unwrap_or_else(|_| Err(E::from(DbErr::Custom("database writer stopped".to_owned()))))
    }

    fn sender(&self) -> mpsc::UnboundedSender<Box<dyn Job>> {
        let mut jobs = self.jobs.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match jobs.as_ref().filter(|s| !s.is_closed()) {
            Some(s) => s.clone(),
            None => {
                let (tx, rx) = mpsc::unbounded_channel();
                tokio::spawn(run(self.db.clone(), rx, self.commits.clone()));
                *jobs = Some(tx.clone());
                tx
            }
        }
    }
}

/// The writer's task: a batch of whatever is waiting, one transaction, one
/// commit, then the replies; until every sender is gone.
async fn run(db: DatabaseConnection, mut jobs: mpsc::UnboundedReceiver<Box<dyn Job>>, commits: Arc<AtomicU64>) {
    let mut batch: Vec<Box<dyn Job>> = Vec::with_capacity(MAX_BATCH);
    while jobs.recv_many(&mut batch, MAX_BATCH).await > 0 {
        metrics::histogram!("db_group_commit_jobs").record(batch.len() as f64);
        let committed = match super::begin_write(&db).await {
            Ok(txn) => {
                for job in &mut batch {
                    job.run(&txn).await;
                }
                txn.commit().await
            }
            Err(e) => Err(e),
        };
        commits.fetch_add(1, Ordering::Relaxed);
        for job in batch.drain(..) {
            job.finish(committed.as_ref().map(|_| ()));
        }
    }
}
