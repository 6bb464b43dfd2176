//! The test kit (feature `testkit`): starts the real app on `127.0.0.1:0`
//! with a fresh database (SQLite always, PostgreSQL when
//! `LIONROCK_TEST_POSTGRES_URL` is set), gives an HTTP client with a cookie
//! jar and a CSRF helper, opens signed-in sessions for a given principal,
//! and provides real peers for the outbox (an SMTP sink, an HTTP receiver)
//! and a real browser with axe-core checks.

#![allow(clippy::unwrap_used, clippy::expect_used, unreachable_pub)]

pub mod browser;
pub mod sinks;
pub mod webauthn;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::cookie::Jar;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use tokio::task::JoinHandle;

use crate::app::{AppState, Server, ShutdownTrigger};
use crate::config::Config;
use crate::crypto::Keys;
use crate::module::Module;
use crate::principal::Principal;
use crate::session::{self, Device};

pub const POSTGRES_ENV: &str = "LIONROCK_TEST_POSTGRES_URL";

/// True when CI asked for every service-backed suite to run.
pub fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// The value of a service variable; `None` (with a printed reason) when it
/// is absent outside CI; a failure when it is absent under `CI=true`.
pub fn service_env(var: &str, what: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => Some(v),
        _ if ci() => panic!("CI=true but {var} is not set: the {what} suite cannot run"),
        _ => {
            // Once per variable, straight to stderr: the test harness
            // captures eprintln!, and a skip must be seen.
            static SAID: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
            let mut said = SAID.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if !said.iter().any(|v| v == var) {
                said.push(var.to_owned());
                use std::io::Write;
                let _ = writeln!(
                    std::io::stderr(),
                    "skip: {what} tests: {var} is not set (see README: Tests; .ci/run sets it)"
                );
            }
            None
        }
    }
}

/// Which database a test app uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A change to the test app's configuration.
type Configure = Box<dyn FnOnce(&mut Config) + Send>;

/// Builds a [`TestApp`].
pub struct TestAppBuilder {
    modules: Vec<Module>,
    backend: Backend,
    configure: Vec<Configure>,
    data_dir: Option<Arc<tempfile::TempDir>>,
    keys: Option<Keys>,
    pg_schema: Option<String>,
    statements: Option<Arc<Statements>>,
}

/// Every SQL statement the app's database connection ran, in order, from
/// [`TestAppBuilder::count_statements`]: a regression guard on how many
/// round trips a request makes, which no timing can give.
#[derive(Debug, Default)]
pub struct Statements(std::sync::Mutex<Vec<String>>);

impl Statements {
    /// The statements run since the last call, and forgets them.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }
}

/// A running lionrock on a random port with its own database.
pub struct TestApp {
    pub addr: SocketAddr,
    pub state: AppState,
    pub backend: Backend,
    modules: Vec<Module>,
    keys: Keys,
    pg_schema: Option<String>,
    data_dir: Arc<tempfile::TempDir>,
    trigger: ShutdownTrigger,
    task: Option<JoinHandle<std::io::Result<()>>>,
    statements: Option<Arc<Statements>>,
}

impl TestApp {
    /// The platform plus `modules`, on SQLite.
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder {
            modules: vec![crate::app::platform_module()],
            backend: Backend::Sqlite,
            configure: Vec::new(),
            data_dir: None,
            keys: None,
            pg_schema: None,
            statements: None,
        }
    }

    /// The platform alone, on SQLite, with the outbox worker off.
    pub async fn spawn() -> TestApp {
        Self::builder().spawn().await
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.state.db
    }

    /// The statement log of an app built with
    /// [`TestAppBuilder::count_statements`].
    pub fn statements(&self) -> &Statements {
        self.statements.as_deref().expect("build the app with count_statements()")
    }

    /// A fresh anonymous client (own cookie jar, no redirects followed).
    pub fn client(&self) -> TestClient {
        TestClient::new(self.addr)
    }

    /// A client signed in as `principal` (a real session row and cookie).
    pub async fn sign_in_as(&self, principal: &Principal) -> TestClient {
        let token = session::create(self.db(), principal, self.state.session_lifetimes(), Device::default())
            .await
            .expect("create session");
        let client = self.client();
        client.jar.add_cookie_str(
            &format!("{}={}; Path=/", crate::web::session_cookie_name(false), token.expose()),
            &client.base.parse().unwrap(),
        );
        client
    }

    /// Stops the server (graceful) and waits for it.
    pub async fn stop(mut self) {
        self.shutdown().await;
    }

    async fn shutdown(&mut self) {
        self.trigger.trigger();
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(30), task).await;
        }
    }

    /// Stops this server and starts another on the same database and data
    /// directory, as after a crash or a deploy.
    pub async fn restart(mut self, configure: impl FnOnce(&mut Config) + Send + 'static) -> TestApp {
        self.shutdown().await;
        let mut builder = TestApp::builder();
        builder.modules = self.modules.clone();
        builder.backend = self.backend;
        builder.data_dir = Some(self.data_dir.clone());
        builder.keys = Some(self.keys.clone());
        builder.pg_schema = self.pg_schema.clone();
        builder.statements = self.statements.clone();
        let base = self.state.config.clone();
        builder.configure.push(Box::new(move |c| *c = base));
        builder.configure.push(Box::new(configure));
        // The schema must outlive this instance: the new one takes it over.
        self.pg_schema = None;
        builder.spawn().await
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.trigger.trigger();
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

impl TestAppBuilder {
    pub fn module(mut self, module: Module) -> Self {
        self.modules.push(module);
        self
    }

    /// Changes every module (the platform's too) before the app is built:
    /// say, without its API routes.
    pub fn map_modules(mut self, f: impl Fn(Module) -> Module) -> Self {
        self.modules = self.modules.into_iter().map(f).collect();
        self
    }

    pub fn config(mut self, f: impl FnOnce(&mut Config) + Send + 'static) -> Self {
        self.configure.push(Box::new(f));
        self
    }

    pub fn backend(mut self, backend: Backend) -> Self {
        self.backend = backend;
        self
    }

    /// A second server on `other`'s database (its PostgreSQL schema or
    /// SQLite file), data directory and keys, as when several servers run
    /// behind one load balancer.
    pub fn same_database_as(mut self, other: &TestApp) -> Self {
        self.backend = other.backend;
        self.data_dir = Some(other.data_dir.clone());
        self.keys = Some(other.keys.clone());
        self.pg_schema = other.pg_schema.clone();
        self
    }

    /// Known keys instead of fresh random ones.
    pub fn keys(mut self, keys: Keys) -> Self {
        self.keys = Some(keys);
        self
    }

    /// Logs every SQL statement the app's connection runs (in and out of
    /// transactions; not `BEGIN`/`COMMIT`), read with [`TestApp::statements`].
    pub fn count_statements(mut self) -> Self {
        self.statements = Some(Arc::default());
        self
    }

    pub async fn spawn(self) -> TestApp {
        crate::install_crypto_provider();
        let data_dir = self.data_dir.unwrap_or_else(|| Arc::new(tempfile::tempdir().expect("temp dir")));
        let mut config = Config::default();
        config.server.listen = SocketAddr::from(([127, 0, 0, 1], 0));
        config.server.data_dir = data_dir.path().to_owned();
        config.outbox.worker = false;
        config.database.max_connections = 5;
        for f in self.configure {
            f(&mut config);
        }
        let keys = self.keys.unwrap_or_else(Keys::ephemeral);
        let (db, pg_schema) = match self.backend {
            Backend::Sqlite => (crate::db::connect(&config).await.expect("open SQLite"), None),
            Backend::Postgres => {
                let url = std::env::var(POSTGRES_ENV).expect("postgres test without LIONROCK_TEST_POSTGRES_URL");
                let schema = match self.pg_schema {
                    Some(s) => s,
                    None => {
                        let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
                        let admin = crate::db::connect_url(&url, 1, 5000, None).await.expect("connect PostgreSQL");
                        admin.execute_unprepared(&format!("CREATE SCHEMA \"{schema}\"")).await.expect("create schema");
                        admin.close().await.ok();
                        schema
                    }
                };
                config.database.url = crate::config::Secret::new(url.clone());
                let db = crate::db::connect_url(&url, config.database.max_connections, 5000, Some(&schema))
                    .await
                    .expect("connect PostgreSQL schema");
                (db, Some(schema))
            }
        };
        let mut db = db;
        if let Some(log) = self.statements.clone() {
            db.set_metric_callback(move |info| {
                log.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(info.statement.sql.clone());
            });
        }
        let state = AppState::with_db(config, keys.clone(), &self.modules, db).expect("state");
        state.migrator.run(&state.db).await.expect("migrate");
        let server = Server::bind(state.clone(), &self.modules, state.config.server.listen).await.expect("bind");
        let addr = server.local_addr();
        let (trigger, shutdown) = crate::app::shutdown_channel();
        let task = tokio::spawn(server.run(shutdown));
        TestApp {
            addr,
            state,
            backend: self.backend,
            modules: self.modules,
            keys,
            pg_schema,
            data_dir,
            trigger,
            task: Some(task),
            statements: self.statements,
        }
    }
}

/// An HTTP client bound to one test app, with its own cookie jar.
#[derive(Clone)]
pub struct TestClient {
    pub http: reqwest::Client,
    pub jar: Arc<Jar>,
    pub base: String,
}

impl TestClient {
    /// A client for a server at `addr` (any lionrock, not only a `TestApp`).
    pub fn new(addr: SocketAddr) -> Self {
        let jar = Arc::new(Jar::default());
        let http = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client");
        Self { http, jar, base: format!("http://{addr}") }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.expect("GET")
    }

    /// The CSRF token of this client's session, read from a page as a browser would.
    pub async fn csrf_token(&self) -> String {
        let html = self.get("/en/").await.text().await.expect("page");
        meta_content(&html, "csrf-token").expect("csrf-token meta tag")
    }

    /// Posts a form with a valid CSRF token added.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let token = self.csrf_token().await;
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push((crate::web::CSRF_FIELD, &token));
        self.http.post(self.url(path)).form(&all).send().await.expect("POST")
    }

    /// Posts a form exactly as given (no CSRF token added).
    pub async fn post_form_raw(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.http.post(self.url(path)).form(fields).send().await.expect("POST")
    }

    /// Posts JSON (bearer-style API use: no CSRF token).
    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.http.post(self.url(path)).json(body).send().await.expect("POST")
    }
}

/// For tests only: a basic-level resident who signed in on this device with
/// a password just now (production code builds a `Principal` from the proof
/// it checked, through `Principal::new`).
pub fn resident_signed_in_now(account_id: crate::principal::AccountId) -> Principal {
    use crate::principal::{AuthStrength, IdentityLevel, Role};
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    Principal::new(account_id, IdentityLevel::Basic, vec![Role::Resident], AuthStrength::Password, now)
}

/// The `content` of `<meta name="…">` in a page.
pub fn meta_content(html: &str, name: &str) -> Option<String> {
    let marker = format!("<meta name=\"{name}\" content=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

/// Polls `check` until it returns `Some`, or panics after `limit`.
/// For waiting on background work (the outbox worker), never for asserting speed.
pub async fn eventually<T, F, Fut>(what: &str, limit: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("timed out waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// An empty, unmigrated database on `backend` (for tests of migrations
/// themselves); the directory holds the SQLite file.
pub async fn empty_database(backend: Backend) -> (DatabaseConnection, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = match backend {
        Backend::Sqlite => {
            let url = format!("sqlite://{}", dir.path().join("lionrock.db").display());
            crate::db::connect_url(&url, 5, 5000, None).await.expect("open SQLite")
        }
        Backend::Postgres => {
            let url = std::env::var(POSTGRES_ENV).expect("postgres test without LIONROCK_TEST_POSTGRES_URL");
            let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
            let admin = crate::db::connect_url(&url, 1, 5000, None).await.expect("connect PostgreSQL");
            admin.execute_unprepared(&format!("CREATE SCHEMA \"{schema}\"")).await.expect("create schema");
            admin.close().await.ok();
            crate::db::connect_url(&url, 5, 5000, Some(&schema)).await.expect("connect PostgreSQL schema")
        }
    };
    (db, dir)
}

/// Takes away the audit log's append-only triggers, as a forger with the
/// database owner's rights (or the SQLite file) could, so that tests can
/// show the chain itself exposes what the forger does next.
pub async fn drop_audit_triggers(db: &DatabaseConnection) {
    let statements: &[&str] = match db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => {
            &["ALTER TABLE audit_log DISABLE TRIGGER USER", "ALTER TABLE audit_head DISABLE TRIGGER USER"]
        }
        _ => &[
            "DROP TRIGGER IF EXISTS audit_log_no_update",
            "DROP TRIGGER IF EXISTS audit_log_no_delete",
            "DROP TRIGGER IF EXISTS audit_head_advances",
            "DROP TRIGGER IF EXISTS audit_head_kept",
        ],
    };
    for sql in statements {
        db.execute_unprepared(sql).await.expect("drop audit triggers");
    }
}

/// The platform's migrations as they were before the audit key (for tests
/// of the upgrade).
pub fn migrations_before_the_audit_key() -> Vec<Box<dyn sea_orm_migration::MigrationTrait>> {
    let mut all = crate::migrations::all();
    let at = all.iter().position(|m| m.name() == crate::migrations::AUDIT_HARDENING).unwrap();
    all.truncate(at);
    all
}

/// Appends `n` entries linked the way lionrock did before the audit key
/// (plain SHA-256), to a log migrated by [`migrations_before_the_audit_key`].
/// Moves every applied migration a day into the past, as for a database an
/// older release set up long before the upgrade a test then runs.
pub async fn age_migrations(db: &DatabaseConnection) {
    db.execute_unprepared("UPDATE seaql_migrations SET applied_at = applied_at - 86400").await.expect("age migrations");
}

pub async fn append_plain_audit_entries(db: &DatabaseConnection, n: i64) {
    use sea_orm::{ActiveModelTrait, EntityTrait};
    for _ in 0..n {
        let txn = crate::db::begin_write(db).await.unwrap();
        let head = txn
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                "SELECT seq, hash FROM audit_head",
            ))
            .await
            .unwrap()
            .unwrap();
        let seq: i64 = head.try_get("", "seq").unwrap();
        let mut row = crate::audit::log::Model {
            seq: seq + 1,
            id: uuid::Uuid::now_v7().to_string(),
            at: crate::db::now(),
            actor: "account:1".into(),
            action: "legacy.act".into(),
            object: format!("object:{}", seq + 1),
            request_id: None,
            prev_hash: head.try_get("", "hash").unwrap(),
            hash: String::new(),
        };
        row.hash = crate::audit::plain_link(&row);
        let hash = row.hash.clone();
        crate::audit::log::Entity::insert(crate::audit::log::ActiveModel::from(row).reset_all())
            .exec(&txn)
            .await
            .unwrap();
        txn.execute_unprepared(&format!("UPDATE audit_head SET seq = {}, hash = '{hash}'", seq + 1)).await.unwrap();
        txn.commit().await.unwrap();
    }
}

/// Runs a store test on SQLite, and on PostgreSQL when it is configured:
/// `both_backends!(audit_chain_verifies)` expands to a module with tests
/// `sqlite` and `postgres`, each calling `audit_chain_verifies(Backend)`.
#[macro_export]
macro_rules! both_backends {
    ($name:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$name($crate::testkit::Backend::Sqlite).await;
            }
            #[tokio::test]
            async fn postgres() {
                if $crate::testkit::service_env($crate::testkit::POSTGRES_ENV, "PostgreSQL").is_some() {
                    super::$name($crate::testkit::Backend::Postgres).await;
                }
            }
        }
    };
}
