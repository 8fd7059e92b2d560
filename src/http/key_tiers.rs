//! Rate tiers of developer keys: each tier a rate and a daily quota per key; an admin places a key in one on the
//! account pages, and `ratelimit` enforces both.
use super::ratelimit::Rate;

/// A rate tier of developer keys: its rate and how many calls a day it may make, written `NAME=RATE@DAILY`
/// (`partner=50/s:100@200000`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tier {
    /// The name admins pick.
    pub name: String,
    /// The rate, per key.
    pub rate: Rate,
    /// Calls a day, per key (UTC days).
    pub daily: u64,
}

/// The tiers keys may be in, as configured (the pages offer them; the limiter enforces them).
#[derive(Debug, Clone)]
pub struct KeyTiers {
    /// Keys in no tier.
    pub default: Tier,
    /// The named tiers.
    pub named: Vec<Tier>,
}

impl KeyTiers {
    /// From the rate-limit settings.
    pub fn new(settings: &super::ratelimit::RateLimits) -> Self {
        Self {
            default: settings.tier(None),
            named: settings.tiers.clone(),
        }
    }

    /// The tier named `name` (the default one when `None` or no longer configured).
    pub fn get(&self, name: Option<&str>) -> &Tier {
        name.and_then(|n| self.named.iter().find(|t| t.name == n))
            .unwrap_or(&self.default)
    }

    /// Every tier name, the default first.
    pub fn names(&self) -> Vec<String> {
        std::iter::once(self.default.name.clone())
            .chain(self.named.iter().map(|t| t.name.clone()))
            .collect()
    }
}

/// The tier of keys no admin placed in one.
pub const DEFAULT_TIER: &str = "default";

/// Parses `NAME=RATE@DAILY`.
pub fn parse_tier(s: &str) -> Result<Tier, String> {
    let bad = || format!("{s:?} is not NAME=RATE@DAILY (partner=50/s:100@200000)");
    let (name, rest) = s.split_once('=').ok_or_else(bad)?;
    let (rate, daily) = rest.rsplit_once('@').ok_or_else(bad)?;
    let name = name.trim();
    if name.is_empty()
        || name == DEFAULT_TIER
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(format!(
            "{name:?}: a tier name is letters, digits, - and _ (and not {DEFAULT_TIER:?})"
        ));
    }
    Ok(Tier {
        name: name.to_owned(),
        rate: rate.parse()?,
        daily: daily.trim().parse().map_err(|_| bad())?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::ratelimit::RateLimits;

    #[test]
    fn tiers_parse_and_unknown_ones_fall_back_to_the_default() {
        let t = parse_tier("partner=50/s:100@200000").unwrap();
        assert_eq!(t.name, "partner");
        assert_eq!(t.rate, Rate::per_second(50, 100));
        assert_eq!(t.daily, 200_000);
        assert!(parse_tier("partner=50/s").is_err());
        assert!(parse_tier("default=1/s@1").is_err());
        assert!(parse_tier("a b=1/s@1").is_err());
        let settings = RateLimits {
            tiers: vec![t.clone()],
            ..RateLimits::default()
        };
        assert_eq!(settings.tier(Some("partner")), t);
        assert_eq!(settings.tier(Some("gone")).name, DEFAULT_TIER);
        assert_eq!(settings.tier(None).daily, 10_000);
    }
}
