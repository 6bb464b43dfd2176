//! Composition: the application state every handler shares, built from
//! the modules (`module::Module`), the router with its middleware stack,
//! the operational endpoints, supervised background work, and the server
//! with graceful shutdown.

use std::any::{Any, TypeId};
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::extract::State;
use axum::http::{Request, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Extension, Json, Router, middleware};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sea_orm::DatabaseConnection;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tower::util::MapRequestLayer;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::assets::Assets;
use crate::config::Config;
use crate::crypto::Keys;
use crate::db::{self, Migrator};
use crate::i18n::{Catalog, Ftl, Lang};
use crate::module::{Job, Module, NavLink, ServiceLink};
use crate::ratelimit::Limiters;
use crate::session::Lifetimes;
use crate::{outbox, page, web};

/// Platform's problem types: one per `ErrorKind`, and the ones its layers add.
const PLATFORM_MODULE_PROBLEMS: [crate::error::ProblemType; crate::error::PLATFORM_PROBLEMS.len() + 1] = {
    let kinds = crate::error::PLATFORM_PROBLEMS;
    let mut all = [crate::idempotency::OUTCOME_UNKNOWN; crate::error::PLATFORM_PROBLEMS.len() + 1];
    let mut i = 0;
    while i < kinds.len() {
        all[i] = kinds[i];
        i += 1;
    }
    all
};

/// The platform's own module: its schema, translations, assets and pages.
pub fn platform_module() -> Module {
    Module {
        migrations: crate::migrations::all,
        translations: &crate::i18n::PLATFORM_FTL,
        assets: crate::assets::platform_assets,
        styles: &["app.css"],
        scripts: &["app.js"],
        pages: || {
            Router::new()
                .route("/", get(page::home))
                .route("/admin/outbox", get(page::admin_outbox))
                .route("/api", get(crate::openapi::reference_page))
        },
        api: crate::openapi::platform_api,
        problems: &PLATFORM_MODULE_PROBLEMS,
        job: Some(|state| Box::pin(crate::idempotency::job(state))),
        ..Module::named("platform")
    }
}

/// Shared by every handler (cheap to clone).
#[derive(Clone)]
pub struct AppState(Arc<AppInner>);

pub struct AppInner {
    pub config: Config,
    pub db: DatabaseConnection,
    /// Group commit of short writes on `db` (`database.group_commit`).
    pub writer: db::writer::Writer,
    pub catalog: Catalog,
    pub assets: Assets,
    /// Every module's stylesheets and scripts, which every page loads.
    pub styles: Vec<String>,
    pub scripts: Vec<String>,
    /// Pages the service worker keeps for offline use.
    pub offline: Vec<crate::module::OfflinePage>,
    pub keys: Keys,
    /// `locale.timezone`, for showing times (they are stored in UTC).
    pub timezone: jiff::tz::TimeZone,
    pub limits: Limiters,
    pub services: Vec<ServiceLink>,
    pub nav: Vec<NavLink>,
    pub csrf_exempt: Vec<String>,
    pub idempotency_exempt: Vec<String>,
    /// Path prefixes that enforce their own body limit (`Module::own_body_limit`).
    pub own_body_limit: Vec<String>,
    /// The OpenAPI document of every module's API (`/api/v1/openapi.json`).
    pub api_doc: serde_json::Value,
    jobs: Vec<Job>,
    /// Every module's long-running worker, by module name.
    module_workers: Vec<(&'static str, crate::module::Worker)>,
    /// What modules keep per server (a local index, a cache), by type.
    extensions: Extensions,
    pub migrator: Migrator,
    /// Woken when a notification is enqueued, so delivery starts at once.
    pub outbox_wake: Notify,
    /// Background workers that should be running, and whether they are.
    pub workers: Workers,
    /// Typed events to and from every server (`LISTEN/NOTIFY` on PostgreSQL).
    pub events: crate::events::Bus,
    /// The services modules offer each other.
    pub contracts: crate::contracts::Contracts,
    /// Every module's OAuth scopes (`Module::oauth_scopes`), which identity offers apps.
    pub oauth_scopes: Vec<crate::module::OAuthScope>,
    /// Every module's officer scopes (`Module::officer_scopes`), which
    /// administrators grant officers.
    pub officer_scopes: Vec<crate::module::OfficerScope>,
    /// The last database readiness check, for `/readyz` (see `database_readiness`).
    readiness: tokio::sync::Mutex<Option<Readiness>>,
    /// `serve --demo`: every page says the site holds made-up data.
    demo: std::sync::atomic::AtomicBool,
    /// The address actually bound (port 0 becomes a real port).
    bound: OnceLock<SocketAddr>,
    metrics: PrometheusHandle,
}

impl Deref for AppState {
    type Target = AppInner;
    fn deref(&self) -> &AppInner {
        &self.0
    }
}

impl AppInner {
    /// The last second of `date` where lionrock runs (`locale.timezone`),
    /// as a UTC time: when something valid "until" that day ends.
    pub fn end_of_day(&self, date: time::Date) -> time::OffsetDateTime {
        let utc_end = date.with_hms(23, 59, 59).map(|t| t.assume_utc()).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        let local =
            jiff::civil::date(date.year() as i16, u8::from(date.month()) as i8, date.day() as i8).at(23, 59, 59, 0);
        self.timezone
            .to_timestamp(local)
            .ok()
            .and_then(|t| time::OffsetDateTime::from_unix_timestamp(t.as_second()).ok())
            .unwrap_or(utc_end)
    }

    /// A wall-clock time where lionrock runs (`locale.timezone`), as a UTC
    /// time. In a gap (clocks going forward) it is the time after the gap;
    /// in a fold, the earlier of the two.
    pub fn from_local(&self, local: time::PrimitiveDateTime) -> time::OffsetDateTime {
        let civil = jiff::civil::date(local.year() as i16, u8::from(local.month()) as i8, local.day() as i8).at(
            local.hour() as i8,
            local.minute() as i8,
            local.second() as i8,
            0,
        );
        self.timezone
            .to_ambiguous_timestamp(civil)
            .compatible()
            .ok()
            .and_then(|t| time::OffsetDateTime::from_unix_timestamp(t.as_second()).ok())
            .unwrap_or_else(|| local.assume_utc())
    }

    /// The first instant of `date` where lionrock runs, as a UTC time.
    pub fn start_of_day(&self, date: time::Date) -> time::OffsetDateTime {
        self.from_local(date.midnight())
    }

    /// `t` on the wall clock where lionrock runs.
    pub fn to_local(&self, t: time::OffsetDateTime) -> time::PrimitiveDateTime {
        let offset = jiff::Timestamp::from_second(t.unix_timestamp())
            .map(|ts| self.timezone.to_offset(ts).seconds())
            .unwrap_or(0);
        let local = time::UtcOffset::from_whole_seconds(offset).map(|o| t.to_offset(o)).unwrap_or(t);
        time::PrimitiveDateTime::new(local.date(), local.time())
    }

    /// Today's date where lionrock runs (`locale.timezone`).
    pub fn today(&self) -> time::Date {
        self.to_local(time::OffsetDateTime::now_utc()).date()
    }

    /// The external base URL without a trailing slash: `server.public_url`,
    /// or else this server's own bound address.
    pub fn public_url(&self) -> String {
        if !self.config.server.public_url.is_empty() {
            return self.config.public_url();
        }
        let scheme = if self.config.tls() { "https" } else { "http" };
        match self.bound.get() {
            Some(addr) => format!("{scheme}://{addr}"),
            None => self.config.public_url(),
        }
    }

    /// Marks this server as a demo (`serve --demo`): pages show a banner.
    pub fn set_demo(&self) {
        self.demo.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn is_demo(&self) -> bool {
        self.demo.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn session_lifetimes(&self) -> Lifetimes {
        Lifetimes {
            idle: time::Duration::seconds(i64::try_from(self.config.server.session_idle_secs).unwrap_or(i64::MAX)),
            absolute: time::Duration::seconds(
                i64::try_from(self.config.server.session_absolute_secs).unwrap_or(i64::MAX),
            ),
        }
    }
}

/// Why lionrock could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Assets(#[from] crate::assets::DuplicateAsset),
    #[error(transparent)]
    Db(#[from] db::DbSetupError),
    #[error(transparent)]
    Catalog(#[from] crate::i18n::CatalogError),
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsConfigError),
    #[error(transparent)]
    Contracts(#[from] crate::contracts::DuplicateContract),
    #[error(transparent)]
    OAuthScopes(#[from] crate::module::OAuthScopeError),
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: SocketAddr, source: std::io::Error },
}

/// The configuration sections of these modules, by module name.
pub fn config_sections(modules: &[Module]) -> Vec<(&'static str, crate::config::Section)> {
    modules.iter().filter_map(|m| m.config.map(|s| (m.name, s))).collect()
}

/// The migrations of these modules, in order.
pub fn migrator(modules: &[Module]) -> Migrator {
    Migrator::new(modules.iter().map(|m| m.migrations).collect())
}

/// The translations of these modules.
pub fn catalog(modules: &[Module]) -> Result<Catalog, crate::i18n::CatalogError> {
    let sources: Vec<Ftl> = modules.iter().flat_map(|m| m.translations.iter().copied()).collect();
    Catalog::new(&sources)
}

fn prometheus() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = || {
                PrometheusBuilder::new()
                    .set_buckets_for_metric(
                        Matcher::Full("http_request_duration_seconds".to_owned()),
                        &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0],
                    )
                    .unwrap_or_else(|_| PrometheusBuilder::new())
            };
            builder().install_recorder().unwrap_or_else(|_| builder().build_recorder().handle())
        })
        .clone()
}

/// What modules keep per server, one value per type, made on first use.
/// (Tests run several servers in one process, so a `static` would be shared
/// between them; this lives and dies with its server's state.)
#[derive(Default)]
struct Extensions(Mutex<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>);

impl AppState {
    /// This server's value of type `T`, made by `make` the first time it
    /// is asked for (under a lock: `make` runs once per server).
    pub fn extension<T: Any + Send + Sync>(&self, make: impl FnOnce(&AppState) -> T) -> Arc<T> {
        let mut map = self.extensions.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(value) = map.get(&TypeId::of::<T>()).and_then(|v| v.clone().downcast::<T>().ok()) {
            return value;
        }
        let value = Arc::new(make(self));
        map.insert(TypeId::of::<T>(), value.clone());
        value
    }

    /// Runs every module's periodic job once (the housekeeping task does
    /// this each minute; tests call it instead of waiting).
    pub async fn run_jobs(&self) {
        for job in &self.jobs {
            job(self.clone()).await;
        }
    }

    /// Connects to the database and assembles the state. Does not migrate.
    pub async fn new(config: Config, keys: Keys, modules: &[Module]) -> Result<Self, StartError> {
        let db = db::connect(&config).await?;
        Self::with_db(config, keys, modules, db)
    }

    /// Assembles the state around an open database connection.
    pub fn with_db(
        mut config: Config,
        keys: Keys,
        modules: &[Module],
        db: DatabaseConnection,
    ) -> Result<Self, StartError> {
        // Loaded with the configuration already, except where a caller (a
        // test) built the configuration by hand.
        config.load_sections(&config_sections(modules))?;
        let styles = modules.iter().flat_map(|m| m.styles.iter().map(|s| (*s).to_owned())).collect();
        let scripts = modules.iter().flat_map(|m| m.scripts.iter().map(|s| (*s).to_owned())).collect();
        let catalog = catalog(modules)?;
        Ok(Self(Arc::new(AppInner {
            api_doc: crate::openapi::document(modules, &catalog),
            catalog,
            assets: Assets::load(modules)?,
            styles,
            scripts,
            offline: modules.iter().flat_map(|m| m.offline.iter().copied()).collect(),
            timezone: jiff::tz::TimeZone::get(&config.locale.timezone).unwrap_or(jiff::tz::TimeZone::UTC),
            limits: Limiters::new(&config.limits),
            services: modules.iter().flat_map(|m| m.services.iter().copied()).collect(),
            nav: modules.iter().flat_map(|m| m.nav.iter().copied()).collect(),
            jobs: modules.iter().filter_map(|m| m.job).collect(),
            module_workers: modules.iter().filter_map(|m| m.worker.map(|w| (m.name, w))).collect(),
            extensions: Extensions::default(),
            csrf_exempt: modules.iter().flat_map(|m| m.csrf_exempt.iter().map(|s| (*s).to_owned())).collect(),
            idempotency_exempt: modules
                .iter()
                .flat_map(|m| m.idempotency_exempt.iter().map(|s| (*s).to_owned()))
                .collect(),
            own_body_limit: modules.iter().flat_map(|m| m.own_body_limit.iter().map(|s| (*s).to_owned())).collect(),
            migrator: migrator(modules),
            outbox_wake: Notify::new(),
            workers: Workers::default(),
            events: crate::events::Bus::default(),
            contracts: crate::contracts::Contracts::of(modules)?,
            oauth_scopes: crate::module::oauth_scopes(modules)?,
            officer_scopes: crate::module::officer_scopes(modules)?,
            demo: std::sync::atomic::AtomicBool::new(false),
            readiness: tokio::sync::Mutex::new(None),
            bound: OnceLock::new(),
            metrics: prometheus(),
            writer: db::writer::Writer::new(db.clone(), config.database.group_commit),
            config,
            db,
            keys,
        })))
    }
}

/// Builds the router: every module's routes inside the platform's middleware.
pub fn router(state: AppState, modules: &[Module]) -> Router {
    let mut pages: Router<AppState> = Router::new();
    let mut root: Router<AppState> = Router::new()
        .route("/", get(root_redirect))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .route("/assets/{name}", get(crate::assets::serve))
        .route("/sw.js", get(crate::pwa::service_worker));
    pages = pages.merge(crate::pwa::pages());
    for module in modules {
        pages = pages.merge((module.pages)());
        root = root.merge((module.routes)());
        let (api, _) = (module.api)().split_for_parts();
        root = root.merge(api);
    }
    for lang in Lang::ALL {
        root = root.nest(&format!("/{}", lang.prefix()), pages.clone());
        // `/en/` serves the same landing page as `/en`.
        root = root.route(&format!("/{}/", lang.prefix()), get(page::home));
    }
    let body_limit = state.config.server.body_limit_bytes;
    // Layers run outermost last-added: request ID first, then CSRF and
    // `Idempotency-Key` last before the handler.
    // `route_layer` wraps each route's 405 answer too, so it is put back
    // unwrapped afterwards: a wrong method answers 405 before CSRF has a say,
    // and an unknown path 404.
    let router = root
        .route_layer(middleware::from_fn_with_state(state.clone(), crate::idempotency::middleware))
        .route_layer(middleware::from_fn_with_state(state.clone(), web::csrf))
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(web::not_found)
        .layer(middleware::from_fn_with_state(state.clone(), web::body_limit))
        .layer(axum::extract::DefaultBodyLimit::max(body_limit))
        .layer(middleware::from_fn_with_state(state.clone(), web::sessions))
        // A bare 408 that `render_errors` turns into the 503 `timeout` problem.
        .layer(middleware::from_fn_with_state(state.clone(), web::timeout))
        // Load shaping comes before any database work (sessions).
        .layer(middleware::from_fn(crate::ratelimit::global))
        .layer(CatchPanicLayer::custom(|_| {
            crate::error::AppError::new(crate::error::ErrorKind::Internal).into_response()
        }))
        .layer(middleware::from_fn_with_state(state.clone(), web::render_errors))
        .layer(middleware::from_fn_with_state(state.clone(), web::language))
        .layer(Extension(state.clone()))
        .layer(CompressionLayer::new());
    web::static_headers(router)
        .layer(middleware::from_fn(web::form_action))
        .layer(middleware::from_fn(web::hsts))
        .layer(middleware::from_fn(web::record_metrics))
        .layer(middleware::from_fn_with_state(state.clone(), web::client_info))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
            let id = web::RequestId::of(req.extensions()).map(|r| r.0).unwrap_or_default();
            tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path())
        }))
        .layer(SetRequestIdLayer::x_request_id(web::MakeUuidV7))
        .layer(MapRequestLayer::new(web::drop_unsafe_request_id))
        .with_state(state)
}

/// A route exists for the path, not for the method (axum adds `Allow`).
async fn method_not_allowed() -> StatusCode {
    StatusCode::METHOD_NOT_ALLOWED
}

async fn root_redirect(lang: Extension<web::RequestLang>) -> Redirect {
    Redirect::to(&format!("/{}/", lang.lang.prefix()))
}

async fn healthz() -> impl IntoResponse {
    Json(json!({ "status": "ok" }))
}

/// Ready when the database answers, no migration is pending and every
/// background worker this server runs is up.
async fn readyz(State(state): State<AppState>) -> Response {
    let (db_ok, pending) = database_readiness(&state).await;
    let migrated = pending.as_ref().is_some_and(Vec::is_empty);
    let workers = state.workers.snapshot();
    // On PostgreSQL, a server hears other servers' events once it listens.
    let events = workers.contains_key("events").then(|| state.events.is_listening());
    let workers_ok = workers.values().all(|up| *up) && events != Some(false);
    let ready = db_ok && migrated && workers_ok;
    let body = json!({
        "status": if ready { "ready" } else { "not-ready" },
        "checks": {
            "database": if db_ok { "ok" } else { "unreachable" },
            "migrations": match &pending {
                Some(p) if p.is_empty() => json!("ok"),
                Some(p) => json!({ "pending": p }),
                None => json!("unknown"),
            },
            "workers": workers.iter().map(|(name, up)| (*name, if *up { "ok" } else { "down" })).collect::<BTreeMap<_, _>>(),
            "events": match events {
                None => "in-process",
                Some(true) => "listening",
                Some(false) => "not-listening",
            },
        }
    });
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(body)).into_response()
}

/// When the database was last checked, whether it answered, and the
/// migrations it lacked.
type Readiness = (tokio::time::Instant, bool, Option<Vec<String>>);

/// Whether the database answers, and the migrations it still lacks (`None`
/// when that could not be read). Probes are not rate limited, so the
/// answer is kept for a second: a flood of probes costs one query a second.
async fn database_readiness(state: &AppState) -> (bool, Option<Vec<String>>) {
    let mut cached = state.readiness.lock().await;
    if let Some((at, db_ok, pending)) = cached.as_ref()
        && at.elapsed() < Duration::from_secs(1)
    {
        return (*db_ok, pending.clone());
    }
    let db_ok = db::ping(&state.db).await.is_ok();
    let pending = if db_ok { state.migrator.pending(&state.db).await.ok() } else { None };
    *cached = Some((tokio::time::Instant::now(), db_ok, pending.clone()));
    (db_ok, pending)
}

/// Prometheus text: request counters and histograms, plus gauges read now.
/// `GET /metrics`: Prometheus text, for the addresses in `server.metrics_allow` only.
async fn metrics_text(State(state): State<AppState>, client: Extension<web::ClientInfo>) -> Response {
    if !state.config.server.metrics_allow.iter().any(|net| net.contains(&client.ip)) {
        return crate::error::AppError::new(crate::error::ErrorKind::Forbidden)
            .with_detail("Metrics are only served to the addresses in server.metrics_allow.")
            .into_response();
    }
    let (size, idle) = db::pool_usage(&state.db);
    metrics::gauge!("db_pool_connections").set(f64::from(size));
    metrics::gauge!("db_pool_idle_connections").set(f64::from(idle));
    metrics::gauge!("db_pool_max_connections").set(f64::from(state.config.database.max_connections));
    for (limit, keys) in state.limits.tracked() {
        metrics::gauge!("rate_limit_tracked_keys", "limit" => limit).set(keys as f64);
    }
    match outbox::depth(&state.db).await {
        Ok(depth) => metrics::gauge!("outbox_pending_messages").set(depth as f64),
        Err(e) => tracing::warn!(error = %e, "outbox depth unavailable"),
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], state.metrics.render()).into_response()
}

/// A shutdown signal every task can wait on.
#[derive(Clone)]
pub struct Shutdown(watch::Receiver<bool>);

/// The sending half: `trigger` starts the shutdown.
pub struct ShutdownTrigger(watch::Sender<bool>);

pub fn shutdown_channel() -> (ShutdownTrigger, Shutdown) {
    let (tx, rx) = watch::channel(false);
    (ShutdownTrigger(tx), Shutdown(rx))
}

impl ShutdownTrigger {
    pub fn trigger(&self) {
        let _ = self.0.send(true);
    }
}

impl Shutdown {
    pub async fn wait(&mut self) {
        let _ = self.0.wait_for(|stop| *stop).await;
    }
    pub fn is_triggered(&self) -> bool {
        *self.0.borrow()
    }
}

/// Plain TCP, or built-in TLS.
enum Listener {
    Plain(TcpListener),
    Tls(crate::tls::TlsListener),
}

/// A bound server, ready to run: `bind` returns the real port (port 0 works).
pub struct Server {
    listener: Listener,
    local_addr: SocketAddr,
    router: Router,
    pub state: AppState,
}

impl Server {
    pub async fn bind(state: AppState, modules: &[Module], addr: SocketAddr) -> Result<Self, StartError> {
        let acceptor = match (&state.config.server.tls_cert_file, &state.config.server.tls_key_file) {
            (Some(cert), Some(key)) => Some(crate::tls::acceptor(cert, key)?),
            _ => None,
        };
        let listen_error = |source| StartError::Listen { addr, source };
        let tcp = TcpListener::bind(addr).await.map_err(listen_error)?;
        let local_addr = tcp.local_addr().map_err(listen_error)?;
        let _ = state.bound.set(local_addr);
        let listener = match acceptor {
            Some(acceptor) => Listener::Tls(
                crate::tls::TlsListener::new(
                    tcp,
                    acceptor,
                    usize::try_from(state.config.server.tls_max_handshakes).unwrap_or(usize::MAX),
                    Duration::from_secs(state.config.server.tls_handshake_timeout_secs),
                )
                .map_err(listen_error)?,
            ),
            None => Listener::Plain(tcp),
        };
        Ok(Self { router: router(state.clone(), modules), listener, local_addr, state })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serves until `shutdown` fires, then lets in-flight requests finish
    /// (up to the configured grace period). Runs the outbox worker and
    /// housekeeping alongside, each under a supervisor that restarts it after
    /// a panic; after the server stops they get the same grace period to
    /// finish, then are cancelled (a cancelled delivery's lease runs out and
    /// another worker retries it), so shutdown always ends.
    pub async fn run(self, shutdown: Shutdown) -> std::io::Result<()> {
        let grace = Duration::from_secs(self.state.config.server.shutdown_grace_secs);
        let mut tasks = tokio::task::JoinSet::new();
        if self.state.config.outbox.worker {
            tasks.spawn(supervise(self.state.clone(), "outbox", shutdown.clone(), outbox::run_worker));
        }
        tasks.spawn(supervise(self.state.clone(), "housekeeping", shutdown.clone(), housekeeping));
        for (name, worker) in self.state.module_workers.clone() {
            tasks.spawn(supervise(self.state.clone(), name, shutdown.clone(), worker));
        }
        if self.state.db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            tasks.spawn(supervise(self.state.clone(), "events", shutdown.clone(), crate::events::listen));
        }
        let stop = shutdown.clone();
        let serve = async move {
            match self.listener {
                Listener::Plain(l) => serve_on(l, self.router, stop).await,
                Listener::Tls(l) => serve_on(l, self.router, stop).await,
            }
        };
        let mut after = shutdown;
        let result = tokio::select! {
            r = serve => r,
            () = async { after.wait().await; tokio::time::sleep(grace).await } => {
                tracing::warn!(?grace, "in-flight requests did not finish within the grace period");
                Ok(())
            }
        };
        let finished = tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} }).await;
        if finished.is_err() {
            tracing::warn!(?grace, "background work did not finish within the grace period; cancelled");
            tasks.shutdown().await;
        }
        result
    }
}

/// Which background workers this server runs, and whether each is up (not
/// crashed and waiting to restart). `/readyz` is not ready while one is down.
#[derive(Debug, Default)]
pub struct Workers(Mutex<BTreeMap<&'static str, bool>>);

impl Workers {
    pub fn set(&self, name: &'static str, up: bool) {
        if let Ok(mut map) = self.0.lock() {
            map.insert(name, up);
        }
    }

    /// Each worker's name and whether it is up.
    pub fn snapshot(&self) -> BTreeMap<&'static str, bool> {
        self.0.lock().map(|map| map.clone()).unwrap_or_default()
    }
}

/// Cancels a spawned task when dropped, so cancelling its owner cancels it
/// too (a supervisor's worker, a worker's delivery).
pub(crate) struct AbortOnDrop(pub(crate) tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs `work` until shutdown, restarting it (after a back-off of half a
/// second, doubling to half a minute) whenever it panics or returns early.
/// Meanwhile it is reported down in [`Workers`], logged and counted in
/// `worker_restarts_total`.
pub async fn supervise<F, Fut>(state: AppState, name: &'static str, mut shutdown: Shutdown, work: F)
where
    F: Fn(AppState, Shutdown) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut delay = Duration::from_millis(500);
    loop {
        state.workers.set(name, true);
        let task = tokio::spawn(work(state.clone(), shutdown.clone()));
        let _cancel_with_supervisor = AbortOnDrop(task.abort_handle());
        let ended = task.await;
        if shutdown.is_triggered() {
            return;
        }
        state.workers.set(name, false);
        match ended {
            Err(e) if e.is_panic() => tracing::error!(worker = name, ?delay, "background worker panicked; restarting"),
            _ => tracing::error!(worker = name, ?delay, "background worker stopped by itself; restarting"),
        }
        metrics::counter!("worker_restarts_total", "worker" => name).increment(1);
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = shutdown.wait() => return,
        }
        delay = std::cmp::min(delay * 2, Duration::from_secs(30));
    }
}

async fn serve_on<L>(listener: L, router: Router, mut stop: Shutdown) -> std::io::Result<()>
where
    L: axum::serve::Listener,
    L::Addr: std::fmt::Debug,
    web::PeerAddr: for<'a> axum::extract::connect_info::Connected<axum::serve::IncomingStream<'a, L>>,
{
    axum::serve(listener, router.into_make_service_with_connect_info::<web::PeerAddr>())
        .with_graceful_shutdown(async move { stop.wait().await })
        .await
}

/// Periodic clean-up: expired sessions, idle rate-limit buckets.
async fn housekeeping(state: AppState, mut shutdown: Shutdown) {
    // First run a period after start: nothing is due at boot.
    let period = Duration::from_secs(60);
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = shutdown.wait() => return,
        }
        state.limits.prune();
        if let Err(e) = crate::session::purge_expired(&state.db).await {
            tracing::warn!(error = %e, "session purge failed");
        }
        if let Err(e) = outbox::purge_old(&state.db, &state.config).await {
            tracing::warn!(error = %e, "outbox purge failed");
        }
        if let Err(e) = crate::keys::purge(&state.db).await {
            tracing::warn!(error = %e, "signing-key purge failed");
        }
        state.run_jobs().await;
    }
}

/// Resolves on SIGINT or SIGTERM. The handlers are installed when this is
/// called, not when the future is first polled: call it before telling
/// anyone the server is up, or a prompt SIGTERM kills the process outright.
pub fn os_signal() -> impl Future<Output = ()> + Send {
    #[cfg(unix)]
    let (interrupt, terminate) = {
        use tokio::signal::unix::{SignalKind, signal};
        (signal(SignalKind::interrupt()).ok(), signal(SignalKind::terminate()).ok())
    };
    async move {
        #[cfg(unix)]
        {
            let wait = |s: Option<tokio::signal::unix::Signal>| async move {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! { () = wait(interrupt) => {}, () = wait(terminate) => {} }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// Runs `fut` until it ends or shutdown fires.
pub async fn until_shutdown<F: Future<Output = ()>>(fut: F, mut shutdown: Shutdown) {
    tokio::select! { () = fut => {}, () = shutdown.wait() => {} }
}
