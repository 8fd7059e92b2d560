//! What the mock portal does to a request besides answering it: a global rate limit (a token bucket answering 429
//! with `Retry-After`), latency, and injected faults drawn at random for a fraction of requests.
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// A fault the portal can inject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// 500 before the action is applied.
    ErrorBefore,
    /// The action is applied, then 500: the client cannot tell it happened.
    ErrorAfter,
    /// 429 with `Retry-After`, nothing applied.
    RateLimited,
    /// The request sleeps past the client's timeout before it is handled (whether it is then applied depends on
    /// whether the server notices the client gone: ambiguous, like a real stall).
    Stall,
    /// The action is applied, then the connection is dropped before the answer is complete.
    Drop,
}

impl FaultKind {
    /// Every kind.
    pub const ALL: [FaultKind; 5] = [
        FaultKind::ErrorBefore,
        FaultKind::ErrorAfter,
        FaultKind::RateLimited,
        FaultKind::Stall,
        FaultKind::Drop,
    ];

    /// The name on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            FaultKind::ErrorBefore => "error-before",
            FaultKind::ErrorAfter => "error-after",
            FaultKind::RateLimited => "rate-limit",
            FaultKind::Stall => "stall",
            FaultKind::Drop => "drop",
        }
    }
}

impl std::str::FromStr for FaultKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FaultKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "{s:?}: one of {}",
                    FaultKind::ALL.map(FaultKind::as_str).join(", ")
                )
            })
    }
}

/// Fault injection settings.
#[derive(Debug, Clone)]
pub struct FaultConfig {
    /// The fraction of requests that get a fault (0 to 1).
    pub rate: f64,
    /// The kinds drawn from (uniformly).
    pub kinds: Vec<FaultKind>,
    /// How long a stall lasts.
    pub stall: Duration,
    /// `Retry-After` of an injected 429, in seconds.
    pub retry_after: u64,
    /// A seed, for a reproducible sequence of faults.
    pub seed: Option<u64>,
}

impl Default for FaultConfig {
    fn default() -> Self {
        Self {
            rate: 0.0,
            kinds: FaultKind::ALL.to_vec(),
            stall: Duration::from_secs(60),
            retry_after: 1,
            seed: None,
        }
    }
}

/// Draws faults.
pub struct Faults {
    config: FaultConfig,
    rng: Mutex<StdRng>,
}

impl Faults {
    /// Faults as configured.
    pub fn new(config: FaultConfig) -> Self {
        let rng = match config.seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::from_rng(&mut rand::rng()),
        };
        Self {
            config,
            rng: Mutex::new(rng),
        }
    }

    /// The settings.
    pub fn config(&self) -> &FaultConfig {
        &self.config
    }

    /// The fault for the next request, if any.
    pub fn draw(&self) -> Option<FaultKind> {
        if self.config.rate <= 0.0 || self.config.kinds.is_empty() {
            return None;
        }
        let mut rng = self.rng.lock().expect("fault rng");
        if rng.random_range(0.0..1.0) >= self.config.rate {
            return None;
        }
        let i = rng.random_range(0..self.config.kinds.len());
        Some(self.config.kinds[i])
    }
}

/// A rate: requests per second, parsed from `N/s`, `N/min`, `N/h` or a bare number (per second).
pub fn parse_rate(text: &str) -> Result<f64, String> {
    let (count, unit) = text.split_once('/').unwrap_or((text, "s"));
    let count: f64 = count
        .trim()
        .parse()
        .map_err(|_| format!("{text:?}: expected N/s, N/min or N/h"))?;
    let seconds = match unit.trim() {
        "s" | "sec" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        other => return Err(format!("{text:?}: unknown unit {other:?}")),
    };
    if !(count > 0.0 && count.is_finite()) {
        return Err(format!("{text:?}: the count must be positive"));
    }
    Ok(count / seconds)
}

/// One token bucket for the whole portal: `per_second` tokens a second, as many in the bucket at most (at least one).
pub struct RateLimiter {
    per_second: f64,
    capacity: f64,
    bucket: Mutex<(f64, Instant)>,
}

impl RateLimiter {
    /// A limiter of `per_second` requests a second.
    pub fn new(per_second: f64) -> Self {
        let capacity = per_second.max(1.0);
        Self {
            per_second,
            capacity,
            bucket: Mutex::new((capacity, Instant::now())),
        }
    }

    /// Takes a token, or says how long until one is there.
    pub fn take(&self) -> Result<(), Duration> {
        let mut guard = self.bucket.lock().expect("bucket");
        let (tokens, last) = *guard;
        let now = Instant::now();
        let tokens =
            (tokens + now.duration_since(last).as_secs_f64() * self.per_second).min(self.capacity);
        if tokens >= 1.0 {
            *guard = (tokens - 1.0, now);
            Ok(())
        } else {
            *guard = (tokens, now);
            Err(Duration::from_secs_f64((1.0 - tokens) / self.per_second))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse() {
        assert_eq!(parse_rate("50/s").unwrap(), 50.0);
        assert_eq!(parse_rate("120/min").unwrap(), 2.0);
        assert_eq!(parse_rate("7").unwrap(), 7.0);
        assert!(parse_rate("0/s").is_err());
        assert!(parse_rate("5/fortnight").is_err());
    }

    #[test]
    fn the_bucket_refuses_past_its_capacity() {
        let limiter = RateLimiter::new(5.0);
        for _ in 0..5 {
            limiter.take().unwrap();
        }
        let wait = limiter.take().unwrap_err();
        assert!(wait <= Duration::from_millis(200), "{wait:?}");
    }

    #[test]
    fn faults_come_at_the_configured_rate() {
        let faults = Faults::new(FaultConfig {
            rate: 0.2,
            seed: Some(7),
            ..FaultConfig::default()
        });
        let n = (0..10_000).filter(|_| faults.draw().is_some()).count();
        assert!((1_700..2_300).contains(&n), "{n}");
        assert_eq!("drop".parse::<FaultKind>().unwrap(), FaultKind::Drop);
    }
}
