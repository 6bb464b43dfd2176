//! Rate limits: a per-IP budget for everything (load shaping on one node),
//! and tighter per-IP and per-account budgets for sensitive routes (sign-in,
//! one-time codes). Security-relevant counters that must hold across nodes
//! (failed sign-ins per account) live in the database, in their domain.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use axum::Extension;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::app::AppState;
use crate::config::LimitsConfig;
use crate::error::AppError;
use crate::principal::MaybePrincipal;
use crate::web::ClientInfo;

/// The node's token buckets.
#[derive(Debug)]
pub struct Limiters {
    global_ip: DefaultKeyedRateLimiter<IpAddr>,
    sensitive_ip: DefaultKeyedRateLimiter<IpAddr>,
    sensitive_account: DefaultKeyedRateLimiter<String>,
}

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN)
}

impl Limiters {
    pub fn new(c: &LimitsConfig) -> Self {
        Self {
            global_ip: RateLimiter::keyed(
                Quota::per_second(nz(c.global_per_ip_per_second))
                    .allow_burst(nz(c.global_per_ip_per_second.saturating_mul(2))),
            ),
            sensitive_ip: RateLimiter::keyed(Quota::per_minute(nz(c.sensitive_per_ip_per_minute))),
            sensitive_account: RateLimiter::keyed(Quota::per_minute(nz(c.sensitive_per_account_per_minute))),
        }
    }

    /// Forgets keys whose buckets are full again, so memory stays bounded.
    pub fn prune(&self) {
        self.global_ip.retain_recent();
        self.sensitive_ip.retain_recent();
        self.sensitive_account.retain_recent();
    }
}

fn retry_secs(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

fn client_ip(req: &Request) -> IpAddr {
    req.extensions().get::<ClientInfo>().map_or(IpAddr::from([127, 0, 0, 1]), |c| c.ip)
}

/// Every request: a generous per-IP budget.
pub(crate) async fn global(Extension(state): Extension<AppState>, req: Request, next: Next) -> Response {
    let ip = client_ip(&req);
    if let Err(not_until) = state.limits.global_ip.check_key(&ip) {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        metrics::counter!("rate_limited_total", "limit" => "global_ip").increment(1);
        return AppError::rate_limited(retry_secs(wait)).into_response();
    }
    next.run(req).await
}

/// Sensitive routes: per-IP and, when signed in, per-account budgets.
/// Add with `.route_layer(axum::middleware::from_fn(platform::ratelimit::sensitive))`.
pub async fn sensitive(Extension(state): Extension<AppState>, req: Request, next: Next) -> Response {
    let ip = client_ip(&req);
    let now = DefaultClock::default().now();
    if let Err(not_until) = state.limits.sensitive_ip.check_key(&ip) {
        metrics::counter!("rate_limited_total", "limit" => "sensitive_ip").increment(1);
        tracing::warn!(%ip, "sensitive per-IP rate limit tripped");
        return AppError::rate_limited(retry_secs(not_until.wait_time_from(now))).into_response();
    }
    if let Some(MaybePrincipal(Some(p))) = req.extensions().get::<MaybePrincipal>()
        && let Err(not_until) = state.limits.sensitive_account.check_key(&p.account_id.to_string())
    {
        metrics::counter!("rate_limited_total", "limit" => "sensitive_account").increment(1);
        tracing::warn!(account = %p.account_id, "sensitive per-account rate limit tripped");
        return AppError::rate_limited(retry_secs(not_until.wait_time_from(now))).into_response();
    }
    next.run(req).await
}
