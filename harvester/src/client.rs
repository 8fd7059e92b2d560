//! The HTTP client every source and target shares: per-request timeouts, exponential backoff with full jitter on
//! transient failures (5xx, timeouts, refused or dropped connections, truncated bodies), and `Retry-After` on 429
//! honoured by every worker at once (one client-wide pause), since a rate limit is the server's, not the request's.
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rand::Rng;
use reqwest::{RequestBuilder, StatusCode};

use crate::HarvestError;

/// How hard to retry.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts of one request that fails transiently (the first included).
    pub max_attempts: u32,
    /// The first backoff; each retry doubles it, up to `cap`, and waits a random part of it.
    pub base: Duration,
    /// The longest backoff.
    pub cap: Duration,
    /// 429 answers tolerated for one request (they do not use up `max_attempts`: the server said when to come back).
    pub max_rate_limited: u32,
    /// The wait when a 429 names none.
    pub default_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 10,
            base: Duration::from_millis(100),
            cap: Duration::from_secs(10),
            max_rate_limited: 100,
            default_retry_after: Duration::from_secs(1),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (1 for the first retry): full jitter over an exponential ceiling, never
    /// below a tenth of the base so that a burst of failures does not retry in lockstep at zero.
    pub fn backoff(&self, retry: u32) -> Duration {
        let ceiling = self
            .base
            .saturating_mul(1u32 << retry.saturating_sub(1).min(20))
            .min(self.cap);
        let floor = self.base / 10;
        let jittered = ceiling.mul_f64(rand::rng().random_range(0.0..1.0));
        jittered.max(floor)
    }
}

/// An answer read in full.
#[derive(Debug, Clone)]
pub struct Answer {
    /// HTTP status.
    pub status: StatusCode,
    /// The `Content-Type`, if any.
    pub content_type: Option<String>,
    /// The body.
    pub body: Vec<u8>,
}

/// Why one attempt did not produce a usable answer.
#[derive(Debug)]
enum Failure {
    /// Worth another try: the request may or may not have been applied.
    Transient(String),
    /// The server asked us to wait: the request was not applied.
    RateLimited(Duration),
    /// The request cannot be sent at all (a malformed URL): retrying will not help.
    Unsendable(String),
}

/// Counts across the run, for the report.
#[derive(Debug, Default)]
pub struct Stats {
    /// Requests sent (every attempt).
    pub requests: AtomicU64,
    /// Attempts after a transient failure.
    pub retries: AtomicU64,
    /// 429 answers received.
    pub rate_limited: AtomicU64,
}

/// The shared client.
pub struct Http {
    client: reqwest::Client,
    policy: RetryPolicy,
    /// No request leaves before this instant (set by a 429's `Retry-After`).
    pause_until: Mutex<Option<Instant>>,
    /// Counters.
    pub stats: Stats,
}

impl Http {
    /// A client whose every request times out after `timeout`.
    pub fn new(timeout: Duration, policy: RetryPolicy) -> Result<Self, HarvestError> {
        Self::build(timeout, policy, false)
    }

    /// A client for URLs someone else supplied (harvest sources): it refuses to connect to loopback, private,
    /// link-local and other non-public addresses, whether a name resolves to them or a redirect names them (SSRF).
    /// The check is made on the addresses the connection then uses, so a name cannot resolve differently between the
    /// check and the connection (DNS rebinding).
    pub fn public_only(timeout: Duration, policy: RetryPolicy) -> Result<Self, HarvestError> {
        Self::build(timeout, policy, true)
    }

    fn build(
        timeout: Duration,
        policy: RetryPolicy,
        public_only: bool,
    ) -> Result<Self, HarvestError> {
        let mut builder = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("opendata-harvester/", env!("CARGO_PKG_VERSION")));
        if public_only {
            builder = builder
                .dns_resolver(std::sync::Arc::new(crate::ssrf::PublicOnly))
                .redirect(reqwest::redirect::Policy::custom(|attempt| {
                    if attempt.previous().len() >= 10 {
                        return attempt.error("too many redirects");
                    }
                    match crate::ssrf::check_url(attempt.url()) {
                        Ok(()) => attempt.follow(),
                        Err(e) => attempt.error(e),
                    }
                }));
        }
        let client = builder
            .build()
            .map_err(|e| HarvestError::Config(format!("HTTP client: {e}")))?;
        Ok(Self {
            client,
            policy,
            pause_until: Mutex::new(None),
            stats: Stats::default(),
        })
    }

    /// The underlying client, to build requests.
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// The retry policy.
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// Sends the request `build` makes, retrying transient failures with backoff (only for requests that are safe to
    /// repeat) and waiting out 429s. Any answer that is neither 5xx nor 429 is returned as is.
    pub async fn send(
        &self,
        build: impl Fn() -> RequestBuilder,
        idempotent: bool,
    ) -> Result<Answer, HarvestError> {
        let mut attempt = 0u32;
        let mut limited = 0u32;
        loop {
            attempt += 1;
            match self.attempt(build()).await {
                Ok(answer) => return Ok(answer),
                Err(Failure::Unsendable(reason)) => return Err(HarvestError::Rejected(reason)),
                Err(Failure::RateLimited(wait)) => {
                    limited += 1;
                    attempt -= 1;
                    if limited > self.policy.max_rate_limited {
                        return Err(HarvestError::Transient(format!(
                            "still rate limited after {limited} waits"
                        )));
                    }
                    self.pause(wait);
                }
                Err(Failure::Transient(reason)) => {
                    if !idempotent || attempt >= self.policy.max_attempts {
                        return Err(HarvestError::Transient(if idempotent {
                            format!("{reason} (gave up after {attempt} attempts)")
                        } else {
                            reason
                        }));
                    }
                    self.stats.retries.fetch_add(1, Ordering::Relaxed);
                    let wait = self.policy.backoff(attempt);
                    tracing::debug!(%reason, attempt, ?wait, "retrying");
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    /// Makes every request wait `wait` from now (or longer, if a pause already runs longer).
    fn pause(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut guard = self.pause_until.lock().expect("pause lock");
        if guard.is_none_or(|current| current < until) {
            *guard = Some(until);
        }
    }

    async fn attempt(&self, request: RequestBuilder) -> Result<Answer, Failure> {
        let pause = *self.pause_until.lock().expect("pause lock");
        if let Some(until) = pause {
            let now = Instant::now();
            if until > now {
                // Spread the waiting workers a little so they do not all hit the server in the same millisecond.
                let spread = Duration::from_millis(rand::rng().random_range(0..50));
                tokio::time::sleep(until - now + spread).await;
            }
        }
        self.stats.requests.fetch_add(1, Ordering::Relaxed);
        let response = request.send().await.map_err(|e| {
            if e.is_builder() {
                Failure::Unsendable(describe(&e))
            } else {
                Failure::Transient(describe(&e))
            }
        })?;
        let status = response.status();
        if status == StatusCode::TOO_MANY_REQUESTS {
            self.stats.rate_limited.fetch_add(1, Ordering::Relaxed);
            let wait = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(retry_after)
                .unwrap_or(self.policy.default_retry_after);
            return Err(Failure::RateLimited(wait));
        }
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response
            .bytes()
            .await
            .map_err(|e| Failure::Transient(format!("{status}: {}", describe(&e))))?;
        if status.is_server_error() {
            let text = String::from_utf8_lossy(&body);
            let snippet: String = text.chars().take(200).collect();
            return Err(Failure::Transient(format!("{status}: {snippet}")));
        }
        Ok(Answer {
            status,
            content_type,
            body: body.to_vec(),
        })
    }
}

/// `Retry-After` as seconds (possibly fractional) or an HTTP date.
fn retry_after(value: &str) -> Option<Duration> {
    let v = value.trim();
    if let Ok(seconds) = v.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0)
            .then(|| Duration::from_secs_f64(seconds.min(3600.0)));
    }
    let when = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let delta = when.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(
        delta
            .to_std()
            .unwrap_or_default()
            .min(Duration::from_secs(3600)),
    )
}

/// A transport error in a few words (reqwest's own message hides the cause in its source chain).
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_builder() {
        "cannot build the request"
    } else if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_body() || e.is_decode() {
        "connection dropped while reading the answer"
    } else if e.is_request() {
        "request failed"
    } else {
        "transport error"
    };
    let mut cause = String::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        cause = s.to_string();
        source = s.source();
    }
    if cause.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}: {cause}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_stays_under_the_cap() {
        let p = RetryPolicy {
            base: Duration::from_millis(100),
            cap: Duration::from_secs(2),
            ..RetryPolicy::default()
        };
        for retry in 1..30 {
            let d = p.backoff(retry);
            assert!(d <= Duration::from_secs(2), "{d:?}");
            assert!(d >= Duration::from_millis(10), "{d:?}");
        }
        let first: Duration = (0..200).map(|_| p.backoff(1)).max().unwrap();
        assert!(first <= Duration::from_millis(100));
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(retry_after("2"), Some(Duration::from_secs(2)));
        assert_eq!(retry_after("0.5"), Some(Duration::from_millis(500)));
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after("soon"), None);
    }
}
