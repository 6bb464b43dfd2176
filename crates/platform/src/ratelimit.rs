//! Rate limits: a per-IP budget for everything (load shaping on one node),
//! and tighter per-IP and per-account budgets for sensitive routes (sign-in,
//! one-time codes). Security-relevant counters that must hold across nodes
//! (failed sign-ins per account) live in the database, in their domain.

use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Extension;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::nanos::Nanos;
use governor::state::StateStore;
use governor::state::keyed::{DashMapStateStore, ShrinkableKeyedStateStore};
use governor::{Quota, RateLimiter};

use crate::app::AppState;
use crate::config::LimitsConfig;
use crate::error::AppError;
use crate::principal::MaybePrincipal;
use crate::web::ClientInfo;

/// Whose budget a request from `ip` spends: an IPv4 address, or an IPv6
/// address's /64 (one subscriber's network: a client may use any address
/// in it). IPv4-mapped IPv6 addresses count as their IPv4 address.
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !u128::from(u64::MAX))),
        v4 => v4,
    }
}

/// Governor's map of buckets, shared between the limiter and [`Bounded`],
/// which needs to see the keys to cap them.
#[derive(Debug)]
struct SharedStore<K: Hash + Eq + Clone>(Arc<DashMapStateStore<K>>);

impl<K: Hash + Eq + Clone> StateStore for SharedStore<K> {
    type Key = K;

    fn measure_and_replace<T, F, E>(&self, key: &K, f: F) -> Result<T, E>
    where
        F: Fn(Option<Nanos>) -> Result<(T, Nanos), E>,
    {
        self.0.measure_and_replace(key, f)
    }
}

impl<K: Hash + Eq + Clone> ShrinkableKeyedStateStore<K> for SharedStore<K> {
    fn retain_recent(&self, drop_below: Nanos) {
        ShrinkableKeyedStateStore::retain_recent(&*self.0, drop_below);
    }

    fn shrink_to_fit(&self) {
        ShrinkableKeyedStateStore::shrink_to_fit(&*self.0);
    }

    fn len(&self) -> usize {
        ShrinkableKeyedStateStore::len(&*self.0)
    }

    fn is_empty(&self) -> bool {
        ShrinkableKeyedStateStore::is_empty(&*self.0)
    }
}

/// Why a request was refused.
enum Refused {
    /// The key's bucket is empty for this long.
    Wait(Duration),
    /// The map holds `limits.max_tracked_keys` busy keys; a new one waits.
    Full,
}

/// How often a full map is swept for idle keys, at most (a sweep walks it all).
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// A keyed limiter that remembers at most `max_keys` keys, so a flood of
/// addresses cannot grow memory without bound. A new key arriving at a full
/// map first makes it forget idle keys (buckets full again, as housekeeping
/// does each minute); if every key is still busy the newcomer is refused.
/// Keys already known keep their own budget: evicting one would hand its
/// owner a fresh bucket.
#[derive(Debug)]
struct Bounded<K: Hash + Eq + Clone> {
    /// The limit's name in metrics and logs.
    name: &'static str,
    limiter: RateLimiter<K, SharedStore<K>, DefaultClock>,
    keys: Arc<DashMapStateStore<K>>,
    max_keys: usize,
    last_sweep: Mutex<Option<Instant>>,
}

impl<K: Hash + Eq + Clone> Bounded<K> {
    fn new(name: &'static str, quota: Quota, max_keys: usize) -> Self {
        let keys = Arc::new(DashMapStateStore::default());
        Self {
            name,
            limiter: RateLimiter::new(quota, SharedStore(keys.clone()), DefaultClock::default()),
            keys,
            max_keys: max_keys.max(1),
            last_sweep: Mutex::new(None),
        }
    }

    fn check(&self, key: &K) -> Result<(), Refused> {
        if !self.keys.contains_key(key) && self.keys.len() >= self.max_keys {
            let swept = self.sweep_if_due();
            if self.keys.len() >= self.max_keys {
                if swept {
                    tracing::warn!(limit = self.name, "limits.max_tracked_keys clients are all busy: new ones get 429");
                }
                return Err(Refused::Full);
            }
        }
        self.limiter
            .check_key(key)
            .map_err(|not_until| Refused::Wait(not_until.wait_time_from(DefaultClock::default().now())))
    }

    /// Forgets idle keys unless that was done less than [`SWEEP_EVERY`] ago;
    /// says whether it did.
    fn sweep_if_due(&self) -> bool {
        // Another thread sweeping now is as good as sweeping here.
        let Ok(mut last) = self.last_sweep.try_lock() else {
            return false;
        };
        if last.is_some_and(|t| t.elapsed() < SWEEP_EVERY) {
            return false;
        }
        *last = Some(Instant::now());
        self.limiter.retain_recent();
        true
    }

    fn prune(&self) {
        self.limiter.retain_recent();
    }

    fn len(&self) -> usize {
        self.limiter.len()
    }
}

/// The node's token buckets.
#[derive(Debug)]
pub struct Limiters {
    global_ip: Bounded<IpAddr>,
    sensitive_ip: Bounded<IpAddr>,
    sensitive_account: Bounded<String>,
}

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN)
}

impl Limiters {
    pub fn new(c: &LimitsConfig) -> Self {
        let max = usize::try_from(c.max_tracked_keys).unwrap_or(usize::MAX);
        Self {
            global_ip: Bounded::new(
                "global_ip",
                Quota::per_second(nz(c.global_per_ip_per_second))
                    .allow_burst(nz(c.global_per_ip_per_second.saturating_mul(2))),
                max,
            ),
            sensitive_ip: Bounded::new("sensitive_ip", Quota::per_minute(nz(c.sensitive_per_ip_per_minute)), max),
            sensitive_account: Bounded::new(
                "sensitive_account",
                Quota::per_minute(nz(c.sensitive_per_account_per_minute)),
                max,
            ),
        }
    }

    /// Forgets keys whose buckets are full again (housekeeping, each minute).
    pub fn prune(&self) {
        self.global_ip.prune();
        self.sensitive_ip.prune();
        self.sensitive_account.prune();
    }

    /// How many keys each limiter remembers now, by limit name.
    pub fn tracked(&self) -> [(&'static str, usize); 3] {
        [
            (self.global_ip.name, self.global_ip.len()),
            (self.sensitive_ip.name, self.sensitive_ip.len()),
            (self.sensitive_account.name, self.sensitive_account.len()),
        ]
    }
}

/// The 429 for a refusal, counted under `limit`.
fn refusal(limit: &'static str, refused: Refused) -> Response {
    let wait = match refused {
        Refused::Wait(wait) => {
            metrics::counter!("rate_limited_total", "limit" => limit).increment(1);
            wait
        }
        Refused::Full => {
            metrics::counter!("rate_limit_full_total", "limit" => limit).increment(1);
            SWEEP_EVERY
        }
    };
    AppError::rate_limited(retry_secs(wait)).into_response()
}

fn retry_secs(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

fn client_ip(req: &Request) -> IpAddr {
    req.extensions().get::<ClientInfo>().map_or(IpAddr::from([127, 0, 0, 1]), |c| c.ip)
}

/// Every request: a generous per-IP budget.
pub(crate) async fn global(Extension(state): Extension<AppState>, req: Request, next: Next) -> Response {
    // The load balancer's and monitoring's probes answer whatever the load:
    // a server that refuses them is taken out of service.
    if matches!(req.uri().path(), "/healthz" | "/readyz" | "/metrics") {
        return next.run(req).await;
    }
    if let Err(refused) = state.limits.global_ip.check(&client_key(client_ip(&req))) {
        return refusal("global_ip", refused);
    }
    next.run(req).await
}

/// Sensitive routes: per-IP and, when signed in, per-account budgets.
/// Add with `.route_layer(axum::middleware::from_fn(platform::ratelimit::sensitive))`.
pub async fn sensitive(Extension(state): Extension<AppState>, req: Request, next: Next) -> Response {
    let ip = client_ip(&req);
    if let Err(refused) = state.limits.sensitive_ip.check(&client_key(ip)) {
        tracing::warn!(%ip, "sensitive per-IP rate limit tripped");
        return refusal("sensitive_ip", refused);
    }
    if let Some(MaybePrincipal(Some(p))) = req.extensions().get::<MaybePrincipal>()
        && let Err(refused) = state.limits.sensitive_account.check(&p.account_id.to_string())
    {
        tracing::warn!(account = %p.account_id, "sensitive per-account rate limit tripped");
        return refusal("sensitive_account", refused);
    }
    next.run(req).await
}
