//! Group commit (`db::writer::Writer`): jobs waiting while a batch runs
//! share the next commit; every caller hears of its job only once that
//! commit is done, so what it was told is in the database; a job that
//! fails is rolled back alone, and the others in its batch still commit.

use platform::both_backends;
use platform::config::GroupCommit;
use platform::db::writer::Writer;
use platform::testkit::{Backend, TestApp};
use sea_orm::{ConnectionTrait, DbErr};

/// Why a test job refused after its insert (which must then not stay).
#[derive(Debug)]
enum JobError {
    Refused,
    Db(DbErr),
}

impl From<DbErr> for JobError {
    fn from(e: DbErr) -> Self {
        JobError::Db(e)
    }
}

fn insert(id: i64) -> String {
    format!("INSERT INTO writer_probe (id) VALUES ({id})")
}

async fn count(app: &TestApp, id: i64) -> i64 {
    let row = app
        .db()
        .query_one_raw(sea_orm::Statement::from_string(
            app.db().get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM writer_probe WHERE id = {id}"),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "n").unwrap()
}

async fn waiting_jobs_share_a_commit_and_fail_alone(backend: Backend) {
    let app = TestApp::builder().backend(backend).spawn().await;
    app.db().execute_unprepared("CREATE TABLE writer_probe (id BIGINT PRIMARY KEY)").await.unwrap();
    let writer = std::sync::Arc::new(Writer::new(app.db().clone(), GroupCommit::On));
    assert!(writer.grouped());

    // The first job holds its batch open until the others are queued behind it.
    let (release, held) = tokio::sync::oneshot::channel::<()>();
    let w = writer.clone();
    let first = tokio::spawn(async move {
        w.write(move |txn| {
            Box::pin(async move {
                txn.execute_unprepared(&insert(0)).await?;
                held.await.ok();
                Ok::<_, JobError>(())
            })
        })
        .await
    });
    let mut rest = Vec::new();
    for id in 1..=9_i64 {
        let w = writer.clone();
        rest.push(tokio::spawn(async move {
            let result = w
                .write(move |txn| {
                    Box::pin(async move {
                        match id {
                            // A duplicate key: the statement fails.
                            4 => txn.execute_unprepared(&insert(0)).await?,
                            // Inserts, then refuses: its insert must not stay.
                            7 => {
                                txn.execute_unprepared(&insert(100)).await?;
                                return Err(JobError::Refused);
                            }
                            _ => txn.execute_unprepared(&insert(id)).await?,
                        };
                        Ok(id)
                    })
                })
                .await;
            (id, result)
        }));
    }
    // The test runs on one thread: yielding lets every spawned caller queue its job.
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
    release.send(()).unwrap();
    first.await.unwrap().unwrap();
    for task in rest {
        let (id, result) = task.await.unwrap();
        match id {
            4 => assert!(matches!(&result, Err(JobError::Db(e)) if platform::db::is_unique_violation(e)), "{result:?}"),
            7 => assert!(matches!(result, Err(JobError::Refused)), "{result:?}"),
            _ => {
                assert_eq!(result.unwrap(), id);
                // Answered only once committed: another connection sees it.
                assert_eq!(count(&app, id).await, 1, "job {id} answered before its commit");
            }
        }
    }
    assert_eq!(count(&app, 0).await, 1);
    assert_eq!(count(&app, 100).await, 0, "a refused job's statements are rolled back");
    // The nine queued while the first ran: with it, or all in the next commit.
    assert!((1..=2).contains(&writer.commits()), "ten jobs, {} commits", writer.commits());
}
both_backends!(waiting_jobs_share_a_commit_and_fail_alone);

async fn without_group_commit_each_job_is_its_own_transaction(backend: Backend) {
    let app = TestApp::builder().backend(backend).spawn().await;
    app.db().execute_unprepared("CREATE TABLE writer_probe (id BIGINT PRIMARY KEY)").await.unwrap();
    let writer = Writer::new(app.db().clone(), GroupCommit::Off);
    assert!(!writer.grouped());
    let ok = writer
        .write(|txn| {
            Box::pin(async move {
                txn.execute_unprepared(&insert(1)).await?;
                Ok::<_, JobError>(())
            })
        })
        .await;
    assert!(ok.is_ok(), "{ok:?}");
    let refused = writer
        .write(|txn| {
            Box::pin(async move {
                txn.execute_unprepared(&insert(2)).await?;
                Err::<(), _>(JobError::Refused)
            })
        })
        .await;
    assert!(matches!(refused, Err(JobError::Refused)));
    assert_eq!((count(&app, 1).await, count(&app, 2).await), (1, 0));
    assert_eq!(writer.commits(), 0);
}
both_backends!(without_group_commit_each_job_is_its_own_transaction);

#[tokio::test]
async fn auto_groups_commits_on_sqlite() {
    let app = TestApp::spawn().await;
    assert_eq!(app.state.config.database.group_commit, GroupCommit::Auto);
    assert!(app.state.writer.grouped(), "SQLite: the app's writer groups commits");
}

/// On SQLite the group commit's transaction takes its turn in the same
/// in-process write queue as every `begin_write`: while another writer
/// holds the turn, a batch waits for it in the queue, not in SQLite's busy
/// handler. The writer here has a busy timeout of zero, so a batch that
/// skipped the queue would meet the held lock and fail at once; one that
/// queues can only finish after the holder commits (the wait below only
/// decides how long the test looks for a premature answer: it can never
/// fail a writer that queues).
#[tokio::test]
async fn a_group_commit_waits_its_turn_in_the_write_queue() {
    let app = TestApp::spawn().await;
    app.db().execute_unprepared("CREATE TABLE writer_probe (id BIGINT PRIMARY KEY)").await.unwrap();
    let impatient = platform::db::connect_url(&app.state.config.database_url(), 2, 0, None).await.unwrap();
    let writer = std::sync::Arc::new(Writer::new(impatient, GroupCommit::On));

    let held = platform::db::begin_write(app.db()).await.unwrap();
    held.execute_unprepared(&insert(1)).await.unwrap();
    let w = writer.clone();
    let mut job = tokio::spawn(async move {
        w.write(|txn| {
            Box::pin(async move {
                txn.execute_unprepared(&insert(2)).await?;
                Ok::<_, JobError>(())
            })
        })
        .await
    });
    if let Ok(early) = tokio::time::timeout(std::time::Duration::from_millis(500), &mut job).await {
        panic!("the batch ran while another writer held the turn (it skipped the queue): {early:?}");
    }
    held.commit().await.unwrap();
    let done = job.await.unwrap();
    assert!(done.is_ok(), "{done:?}");
    assert_eq!((count(&app, 1).await, count(&app, 2).await), (1, 1));
    assert_eq!(writer.commits(), 1);
}
