//! Per-client rate limits: a GCRA bucket (the `governor` crate) per API account, else per client address, with a
//! quota per role, a stricter bucket for expensive endpoints, `RateLimit-*` headers on every limited answer and `429`
//! problem+json with `Retry-After` when a bucket is empty.
//!
//! Limits live in this node's memory: a deployment of several nodes divides each quota by the node count
//! ([`RateLimits::nodes`]). Every tracked key costs memory, so a background task ([`keep_tidy`]) forgets the keys
//! whose bucket has refilled and, past [`RateLimits::max_tracked_keys`] per bucket, the idlest ones.
use std::hash::Hash;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use dashmap::DashMap;
use governor::Quota;
use governor::clock::{Clock, MonotonicClock};
use governor::middleware::StateInformationMiddleware;
use governor::nanos::Nanos;
use governor::state::StateStore;
use governor::state::keyed::ShrinkableKeyedStateStore;
use ipnet::IpNet;
use tokio::sync::Notify;

use super::{ApiError, AppState};
use crate::accounts::{Principal, Role};

/// How often idle keys are forgotten.
const SWEEP_EVERY: Duration = Duration::from_secs(10);

/// Paths never limited: probes and the metrics scrape.
fn is_exempt(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/metrics")
}

/// Paths whose answers are costly to compute: SPARQL, the full DCAT export, the tabular data API.
fn is_expensive(path: &str) -> bool {
    path == "/sparql"
        || path == "/catalog"
        || path == "/api/v1/data"
        || path.starts_with("/api/v1/data/")
}

/// A rate: `count` requests per `per`, and up to `burst` at once after a quiet spell.
///
/// Written `COUNT/UNIT[:BURST]` with the unit `s`, `min` or `h` (`20/s:40`, `600/min`); the burst defaults to twice
/// the count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Requests per period.
    pub count: u32,
    /// The period.
    pub per: Duration,
    /// Requests allowed at once.
    pub burst: u32,
}

impl Rate {
    /// `count` requests a second, `burst` at once.
    pub const fn per_second(count: u32, burst: u32) -> Self {
        Self {
            count,
            per: Duration::from_secs(1),
            burst,
        }
    }

    /// This node's share of the rate when `nodes` nodes enforce it independently: the interval between requests
    /// multiplied, the burst divided (rounded up).
    fn quota(self, nodes: u32) -> Quota {
        let nodes = nodes.max(1);
        let interval = (self.per / self.count.max(1)).saturating_mul(nodes);
        let burst = NonZeroU32::new(self.burst.div_ceil(nodes)).unwrap_or(NonZeroU32::MIN);
        Quota::with_period(interval.max(Duration::from_nanos(1)))
            .expect("a positive period")
            .allow_burst(burst)
    }
}

impl FromStr for Rate {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("{s:?} is not a rate like 20/s, 20/s:40 or 600/min");
        let (rate, burst) = match s.trim().split_once(':') {
            Some((rate, burst)) => (rate, Some(burst.trim().parse::<u32>().map_err(|_| bad())?)),
            None => (s.trim(), None),
        };
        let (count, unit) = rate.split_once('/').ok_or_else(bad)?;
        let count: u32 = count.trim().parse().map_err(|_| bad())?;
        let per = match unit.trim() {
            "s" | "sec" | "second" => Duration::from_secs(1),
            "m" | "min" | "minute" => Duration::from_secs(60),
            "h" | "hour" => Duration::from_secs(3600),
            _ => return Err(bad()),
        };
        let burst = burst.unwrap_or(count.saturating_mul(2));
        if count == 0 || burst == 0 {
            return Err(format!("{s:?}: the count and the burst must be positive"));
        }
        if per / count < Duration::from_micros(1) {
            return Err(format!("{s:?}: at most 1,000,000 a second"));
        }
        Ok(Self { count, per, burst })
    }
}

impl std::fmt::Display for Rate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let unit = match self.per.as_secs() {
            60 => "min",
            3600 => "h",
            _ => "s",
        };
        write!(f, "{}/{unit}:{}", self.count, self.burst)
    }
}

/// A role's own quota, written `ROLE=RATE` (`consumer=50/s:100`).
pub fn parse_role_rate(s: &str) -> Result<(Role, Rate), String> {
    let (role, rate) = s
        .split_once('=')
        .ok_or_else(|| format!("{s:?} is not ROLE=RATE (consumer=50/s:100)"))?;
    let role = <Role as clap::ValueEnum>::from_str(role.trim(), true)
        .map_err(|_| format!("{role:?} is not a role"))?;
    if role == Role::Admin {
        return Err("admins are not limited".into());
    }
    Ok((role, rate.parse()?))
}

/// A trusted proxy: a CIDR (`10.0.0.0/8`) or one address.
pub fn parse_trusted_proxy(s: &str) -> Result<IpNet, String> {
    let s = s.trim();
    s.parse::<IpNet>()
        .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("{s:?} is neither an address nor a CIDR"))
}

pub use super::key_tiers::{DEFAULT_TIER, Tier, parse_tier};

/// Rate-limit settings.
#[derive(Debug, Clone)]
pub struct RateLimits {
    /// Off: nothing is limited and no `RateLimit-*` header is sent.
    pub enabled: bool,
    /// Callers without a valid token, per client address.
    pub anonymous: Rate,
    /// Callers with a valid token, per account, unless [`Self::roles`] names their role. Admins are never limited.
    pub keyed: Rate,
    /// Per-role quotas overriding [`Self::keyed`].
    pub roles: Vec<(Role, Rate)>,
    /// Expensive endpoints (`/sparql`, `/catalog`, `/api/v1/data/`) for anonymous callers, instead of
    /// [`Self::anonymous`].
    pub expensive_anonymous: Rate,
    /// Expensive endpoints for callers with a token, instead of their role's quota.
    pub expensive_keyed: Rate,
    /// Peers whose `X-Forwarded-For` is believed (reverse proxies, load balancers).
    pub trusted_proxies: Vec<IpNet>,
    /// How many nodes share the load: each enforces its share of every quota.
    pub nodes: u32,
    /// The most keys one bucket tracks before the idlest are forgotten.
    pub max_tracked_keys: usize,
    /// Developer-key tiers admins may place keys in.
    pub tiers: Vec<Tier>,
    /// Calls a day of a developer key in no tier (whose rate is the consumer role's).
    pub key_daily: u64,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            enabled: true,
            anonymous: Rate::per_second(20, 40),
            keyed: Rate::per_second(100, 200),
            roles: Vec::new(),
            expensive_anonymous: Rate::per_second(2, 5),
            expensive_keyed: Rate::per_second(10, 20),
            trusted_proxies: Vec::new(),
            nodes: 1,
            max_tracked_keys: 100_000,
            tiers: Vec::new(),
            key_daily: 10_000,
        }
    }
}

impl RateLimits {
    /// The quota of a role with a token.
    pub fn for_role(&self, role: Role) -> Rate {
        self.roles
            .iter()
            .rev()
            .find(|(r, _)| *r == role)
            .map_or(self.keyed, |(_, rate)| *rate)
    }

    /// The tier named `name`, or the default tier when none is (or no longer is) configured by that name.
    pub fn tier(&self, name: Option<&str>) -> Tier {
        name.and_then(|n| self.tiers.iter().find(|t| t.name == n))
            .cloned()
            .unwrap_or_else(|| Tier {
                name: DEFAULT_TIER.to_owned(),
                rate: self.for_role(Role::Consumer),
                daily: self.key_daily,
            })
    }
}

/// The principal found by the rate limiter, handed to [`super::Caller`] so the token is looked up once.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Principal);

/// The key store of one bucket: governor's GCRA state (the theoretical arrival time, in nanoseconds since the
/// limiter started) per key, in a map we keep a handle on so the idlest keys can be evicted.
struct TrackedKeys<K: Hash + Eq> {
    map: Arc<DashMap<K, AtomicU64>>,
    cap: usize,
    over_cap: Arc<Notify>,
}

impl<K: Hash + Eq> Clone for TrackedKeys<K> {
    fn clone(&self) -> Self {
        Self {
            map: self.map.clone(),
            cap: self.cap,
            over_cap: self.over_cap.clone(),
        }
    }
}

/// Governor's compare-and-swap update of one state (0 = never seen).
fn measure<T, E>(
    cell: &AtomicU64,
    f: impl Fn(Option<Nanos>) -> Result<(T, Nanos), E>,
) -> Result<T, E> {
    let mut prev = cell.load(Ordering::Acquire);
    loop {
        let (result, next) = f((prev != 0).then(|| Nanos::new(prev)))?;
        match cell.compare_exchange_weak(prev, next.as_u64(), Ordering::Release, Ordering::Relaxed)
        {
            Ok(_) => return Ok(result),
            Err(actual) => prev = actual,
        }
    }
}

impl<K: Hash + Eq + Clone> StateStore for TrackedKeys<K> {
    type Key = K;

    fn measure_and_replace<T, F, E>(&self, key: &K, f: F) -> Result<T, E>
    where
        F: Fn(Option<Nanos>) -> Result<(T, Nanos), E>,
    {
        if let Some(cell) = self.map.get(key) {
            return measure(&cell, f);
        }
        let result = {
            let cell = self.map.entry(key.clone()).or_default();
            measure(&cell, f)
        };
        // Checked with the entry released: `len` locks every shard.
        if self.map.len() > self.cap {
            self.over_cap.notify_one();
        }
        result
    }
}

impl<K: Hash + Eq + Clone> ShrinkableKeyedStateStore<K> for TrackedKeys<K> {
    fn retain_recent(&self, drop_below: Nanos) {
        let drop_below = drop_below.as_u64();
        self.map
            .retain(|_, tat| tat.load(Ordering::Relaxed) > drop_below);
    }

    fn shrink_to_fit(&self) {
        self.map.shrink_to_fit();
    }

    fn len(&self) -> usize {
        self.map.len()
    }

    fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

impl<K: Hash + Eq + Clone> TrackedKeys<K> {
    /// Over the cap, forgets the keys idle the longest (earliest arrival times) down to 90% of the cap; returns how
    /// many went. Those callers start again with a full bucket, the smallest gift we can make.
    fn evict_idle(&self) -> usize {
        let len = self.map.len();
        if len <= self.cap {
            return 0;
        }
        let excess = len - self.cap * 9 / 10;
        let mut tats: Vec<u64> = self
            .map
            .iter()
            .map(|e| e.value().load(Ordering::Relaxed))
            .collect();
        if excess >= tats.len() {
            self.map.clear();
            return tats.len();
        }
        let (_, cutoff, _) = tats.select_nth_unstable(excess - 1);
        let cutoff = *cutoff;
        let mut left = excess;
        self.map.retain(|_, tat| {
            if left > 0 && tat.load(Ordering::Relaxed) <= cutoff {
                left -= 1;
                false
            } else {
                true
            }
        });
        excess - left
    }
}

/// What one bucket decided for one request.
#[derive(Debug, Clone, Copy)]
struct Verdict {
    bucket: &'static str,
    limit: u32,
    remaining: u32,
    /// Until the bucket is full again.
    reset: Duration,
    /// Set when refused: until the next request can pass.
    retry_after: Option<Duration>,
}

fn whole_seconds(d: Duration) -> u64 {
    d.as_nanos().div_ceil(1_000_000_000) as u64
}

impl Verdict {
    fn write_headers(&self, headers: &mut HeaderMap) {
        let number = |n: u64| HeaderValue::from_str(&n.to_string()).expect("digits");
        headers.insert("ratelimit-limit", number(self.limit.into()));
        headers.insert("ratelimit-remaining", number(self.remaining.into()));
        headers.insert("ratelimit-reset", number(whole_seconds(self.reset)));
    }
}

type Gcra<K> = governor::RateLimiter<K, TrackedKeys<K>, MonotonicClock, StateInformationMiddleware>;

/// One quota applied per key.
struct Bucket<K: Hash + Eq + Clone> {
    name: &'static str,
    gcra: Gcra<K>,
    keys: TrackedKeys<K>,
    quota: Quota,
}

impl<K: Hash + Eq + Clone> Bucket<K> {
    fn new(name: &'static str, rate: Rate, settings: &RateLimits, over_cap: &Arc<Notify>) -> Self {
        let quota = rate.quota(settings.nodes);
        let keys = TrackedKeys {
            map: Arc::new(DashMap::new()),
            cap: settings.max_tracked_keys.max(1),
            over_cap: over_cap.clone(),
        };
        let gcra: Gcra<K> = governor::RateLimiter::new(quota, keys.clone(), MonotonicClock);
        Self {
            name,
            gcra,
            keys,
            quota,
        }
    }

    fn check(&self, key: &K) -> Verdict {
        let limit = self.quota.burst_size().get();
        let interval = self.quota.replenish_interval();
        match self.gcra.check_key(key) {
            Ok(state) => {
                let remaining = state.remaining_burst_capacity().min(limit);
                Verdict {
                    bucket: self.name,
                    limit,
                    remaining,
                    reset: interval * (limit - remaining),
                    retry_after: None,
                }
            }
            Err(not_until) => {
                let wait = not_until.wait_time_from(self.gcra.clock().now());
                Verdict {
                    bucket: self.name,
                    limit,
                    remaining: 0,
                    reset: wait + interval * (limit - 1),
                    retry_after: Some(wait),
                }
            }
        }
    }

    fn sweep(&self) {
        self.gcra.retain_recent();
        let evicted = self.keys.evict_idle();
        if evicted > 0 {
            tracing::warn!(
                bucket = self.name,
                evicted,
                "rate-limit key cap reached; idle keys forgotten"
            );
        }
        self.gcra.shrink_to_fit();
    }
}

/// Every bucket of this node.
pub struct Limiter {
    trusted_proxies: Vec<IpNet>,
    anonymous: Bucket<IpAddr>,
    roles: Vec<(Role, Bucket<i64>)>,
    expensive_anonymous: Bucket<IpAddr>,
    expensive_keyed: Bucket<i64>,
    /// Per developer key, one bucket per tier (the default tier first), each with its daily quota.
    tiers: Vec<(Tier, Bucket<i64>)>,
    nodes: u32,
    over_cap: Arc<Notify>,
}

impl Limiter {
    /// The buckets for `settings`, or `None` when limits are off.
    pub fn new(settings: &RateLimits) -> Option<Self> {
        if !settings.enabled {
            return None;
        }
        let over_cap = Arc::new(Notify::new());
        let role = |role: Role, name| {
            (
                role,
                Bucket::new(name, settings.for_role(role), settings, &over_cap),
            )
        };
        Some(Self {
            trusted_proxies: settings.trusted_proxies.clone(),
            anonymous: Bucket::new("anonymous", settings.anonymous, settings, &over_cap),
            roles: vec![
                role(Role::Consumer, "consumer"),
                role(Role::Publisher, "publisher"),
                role(Role::Approver, "approver"),
                role(Role::Steward, "steward"),
                role(Role::Harvester, "harvester"),
            ],
            expensive_anonymous: Bucket::new(
                "expensive-anonymous",
                settings.expensive_anonymous,
                settings,
                &over_cap,
            ),
            expensive_keyed: Bucket::new(
                "expensive-keyed",
                settings.expensive_keyed,
                settings,
                &over_cap,
            ),
            tiers: std::iter::once(settings.tier(None))
                .chain(settings.tiers.iter().cloned())
                .map(|tier| {
                    // Bucket names are static (metrics label them); tiers are few and fixed at start.
                    let name: &'static str =
                        Box::leak(format!("key-{}", tier.name).into_boxed_str());
                    let bucket = Bucket::new(name, tier.rate, settings, &over_cap);
                    (tier, bucket)
                })
                .collect(),
            nodes: settings.nodes.max(1),
            over_cap,
        })
    }

    fn tier(&self, name: Option<&str>) -> &(Tier, Bucket<i64>) {
        name.and_then(|n| self.tiers.iter().find(|(t, _)| t.name == n))
            .unwrap_or(&self.tiers[0])
    }

    /// This node's share of a tier's daily quota.
    fn daily_share(&self, tier: Option<&str>) -> u64 {
        self.tier(tier).0.daily.div_ceil(u64::from(self.nodes))
    }

    /// `None` for admins, who are never limited.
    fn check_account(&self, principal: &Principal, expensive: bool) -> Option<Verdict> {
        if expensive && principal.role != Role::Admin {
            return Some(self.expensive_keyed.check(&principal.id));
        }
        if let Some(key) = &principal.key {
            return Some(self.tier(key.tier.as_deref()).1.check(&key.id));
        }
        self.roles
            .iter()
            .find(|(role, _)| *role == principal.role)
            .map(|(_, bucket)| bucket.check(&principal.id))
    }

    fn check_address(&self, address: IpAddr, expensive: bool) -> Verdict {
        let key = bucket_key(address);
        if expensive {
            self.expensive_anonymous.check(&key)
        } else {
            self.anonymous.check(&key)
        }
    }

    /// Forgets refilled keys, then the idlest past the cap.
    pub fn sweep(&self) {
        self.anonymous.sweep();
        self.expensive_anonymous.sweep();
        self.expensive_keyed.sweep();
        for (_, bucket) in &self.roles {
            bucket.sweep();
        }
        for (_, bucket) in &self.tiers {
            bucket.sweep();
        }
    }

    /// How many keys each bucket tracks.
    pub fn tracked_keys(&self) -> Vec<(&'static str, usize)> {
        let mut all = vec![
            (self.anonymous.name, self.anonymous.keys.map.len()),
            (
                self.expensive_anonymous.name,
                self.expensive_anonymous.keys.map.len(),
            ),
            (
                self.expensive_keyed.name,
                self.expensive_keyed.keys.map.len(),
            ),
        ];
        all.extend(self.roles.iter().map(|(_, b)| (b.name, b.keys.map.len())));
        all.extend(self.tiers.iter().map(|(_, b)| (b.name, b.keys.map.len())));
        all
    }
}

/// Sweeps the buckets every few seconds, and at once when one goes over its key cap. Runs until aborted.
pub async fn keep_tidy(limiter: Arc<Limiter>) {
    let mut every = tokio::time::interval(SWEEP_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = every.tick() => {}
            () = limiter.over_cap.notified() => {}
        }
        limiter.sweep();
    }
}

/// IPv4-mapped IPv6 addresses as IPv4.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// The key an address is limited under: IPv6 clients by their /64, since one host commonly holds a whole /64.
fn bucket_key(address: IpAddr) -> IpAddr {
    match canonical(address) {
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(Ipv6Addr::from(prefix))
        }
        v4 => v4,
    }
}

/// The client's address: the peer's, or, when the peer is a trusted proxy, the nearest untrusted hop of
/// `X-Forwarded-For` read right to left (the left part is whatever the client chose to send).
fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let mut client = canonical(peer);
    if !is_trusted(&client) {
        return client;
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    for hop in hops.into_iter().rev() {
        let Some(ip) = hop
            .parse::<IpAddr>()
            .ok()
            .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
        else {
            break;
        };
        client = canonical(ip);
        if !is_trusted(&client) {
            break;
        }
    }
    client
}

/// The client's address as the rate limiter sees it (the TCP peer, or the nearest untrusted `X-Forwarded-For` hop
/// behind a trusted proxy), for handlers that count per address (the sign-in lock-out).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress(pub IpAddr);

impl axum::extract::FromRequestParts<AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
        let trusted = state
            .rate_limits
            .as_ref()
            .map_or(&[][..], |l| &l.trusted_proxies[..]);
        Ok(Self(client_address(peer, &parts.headers, trusted)))
    }
}

/// The bearer token, when the header has one.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
}

/// The middleware: finds the caller's bucket, refuses with `429` when it is empty, and adds the `RateLimit-*`
/// headers to whatever is answered. A token that is not valid is limited by address like no token at all.
pub async fn limit(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if is_exempt(path) {
        return next.run(req).await;
    }
    let limiter = state.rate_limits.clone();
    // Developer keys' calls are counted (and held to their daily quota) even when rates are off.
    let keyed =
        bearer(req.headers()).is_some_and(|t| t.starts_with(crate::accounts::keys::KEY_PREFIX));
    if limiter.is_none() && !keyed {
        return next.run(req).await;
    }
    let expensive = is_expensive(path);
    let principal = match bearer(req.headers()) {
        None => None,
        Some(token) => match state.accounts.authenticate(token).await {
            Ok(found) => found,
            Err(e) => {
                tracing::warn!(error = %e, "token lookup failed; limiting by address");
                None
            }
        },
    };
    if let Some(key) = principal.as_ref().and_then(|p| p.key.as_ref()) {
        if let Some(limiter) = &limiter
            && state.accounts.key_calls_today(key.id) >= limiter.daily_share(key.tier.as_deref())
        {
            state.metrics.rejected("key-daily");
            let now = chrono::Utc::now();
            let midnight = (now.date_naive() + chrono::Days::new(1))
                .and_hms_opt(0, 0, 0)
                .expect("midnight")
                .and_utc();
            return ApiError::TooManyRequests {
                retry_after_secs: (midnight - now).num_seconds().max(1) as u64,
            }
            .into_response();
        }
        state.accounts.count_key_call(key.id);
    }
    let Some(limiter) = limiter else {
        if let Some(p) = principal {
            req.extensions_mut().insert(Authenticated(p));
        }
        return next.run(req).await;
    };
    let verdict = match &principal {
        Some(p) => limiter.check_account(p, expensive),
        None => {
            let peer = req
                .extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
            let client = client_address(peer, req.headers(), &limiter.trusted_proxies);
            Some(limiter.check_address(client, expensive))
        }
    };
    if let Some(p) = principal {
        req.extensions_mut().insert(Authenticated(p));
    }
    let Some(verdict) = verdict else {
        return next.run(req).await;
    };
    if let Some(wait) = verdict.retry_after {
        state.metrics.rejected(verdict.bucket);
        let mut response = ApiError::TooManyRequests {
            retry_after_secs: whole_seconds(wait).max(1),
        }
        .into_response();
        verdict.write_headers(response.headers_mut());
        return response;
    }
    let mut response = next.run(req).await;
    verdict.write_headers(response.headers_mut());
    response
}

#[cfg(test)]
#[path = "ratelimit_tests.rs"]
mod tests;
