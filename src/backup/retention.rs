//! Which backups a retention policy keeps: a pure function of (backup times, now, policy), so that it can be tested
//! with a simulated clock.
//!
//! Periods are UTC calendar periods. `daily=N` promises, for each of the N calendar days ending with today (the day
//! holding `now`), the newest backup made on that day; `monthly=N` the newest backup of each of the N calendar months
//! ending with this month; `yearly=N` the same per calendar year; `last=N` the N newest backups. A period without a
//! backup is simply empty: older backups are not kept in its place. The newest backup is always kept, and so is any
//! backup dated after `now` (a clock that went back must not delete anything).
use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, Utc};

/// How many backups of each kind to keep (`--keep daily=30,monthly=24`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Policy {
    /// The N newest backups.
    pub last: u32,
    /// The newest backup of each of the last N calendar days (UTC), today included.
    pub daily: u32,
    /// The newest backup of each of the last N calendar months (UTC), this month included.
    pub monthly: u32,
    /// The newest backup of each of the last N calendar years (UTC), this year included.
    pub yearly: u32,
}

impl Policy {
    /// The default: 30 days and 25 months (so that a state at least two years old can always be restored).
    pub const DEFAULT: Policy = Policy {
        last: 0,
        daily: 30,
        monthly: 25,
        yearly: 0,
    };
}

impl FromStr for Policy {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let mut policy = Policy::default();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (kind, count) = part
                .split_once('=')
                .ok_or_else(|| format!("{part:?} is not KIND=COUNT (e.g. daily=30,monthly=24)"))?;
            let count: u32 = count
                .trim()
                .parse()
                .map_err(|_| format!("{part:?}: the count must be a whole number"))?;
            let slot = match kind.trim() {
                "last" => &mut policy.last,
                "daily" => &mut policy.daily,
                "monthly" => &mut policy.monthly,
                "yearly" => &mut policy.yearly,
                other => {
                    return Err(format!(
                        "unknown retention kind {other:?} (last, daily, monthly, yearly)"
                    ));
                }
            };
            *slot = count;
        }
        if policy == Policy::default() {
            return Err(format!(
                "{text:?} keeps nothing: give at least one of last, daily, monthly, yearly (e.g. daily=30,monthly=24)"
            ));
        }
        Ok(policy)
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = [
            ("last", self.last),
            ("daily", self.daily),
            ("monthly", self.monthly),
            ("yearly", self.yearly),
        ]
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(k, n)| format!("{k}={n}"))
        .collect();
        f.write_str(&parts.join(","))
    }
}

/// The indexes (into `backups`) of the backups `policy` keeps at `now`; every other backup may be deleted.
pub fn keep(backups: &[DateTime<Utc>], now: DateTime<Utc>, policy: &Policy) -> BTreeSet<usize> {
    let mut kept = BTreeSet::new();
    // Past backups, newest first (ties broken by index so the result is deterministic).
    let mut past: Vec<usize> = Vec::new();
    for (i, t) in backups.iter().enumerate() {
        if *t > now {
            kept.insert(i);
        } else {
            past.push(i);
        }
    }
    past.sort_by(|a, b| backups[*b].cmp(&backups[*a]).then(a.cmp(b)));
    if let Some(newest) = past.first() {
        kept.insert(*newest);
    }
    kept.extend(past.iter().take(policy.last as usize));
    let today = now.date_naive();
    let periods: [Period; 3] = [
        (
            policy.daily,
            |d| d,
            |d, i| d.checked_sub_days(Days::new(i.into())),
        ),
        (policy.monthly, first_of_month, |d, i| {
            first_of_month(d).checked_sub_months(Months::new(i))
        }),
        (policy.yearly, first_of_year, |d, i| {
            NaiveDate::from_ymd_opt(d.year() - i as i32, 1, 1)
        }),
    ];
    for (count, period_of, nth_back) in periods {
        if count == 0 {
            continue;
        }
        // The promised periods, each named by its first day.
        let Some(oldest) = nth_back(today, count - 1) else {
            continue;
        };
        let oldest = period_of(oldest);
        let mut seen = BTreeSet::new();
        for &i in &past {
            let period = period_of(backups[i].date_naive());
            if period < oldest {
                break;
            }
            // `past` is newest first: the first backup met in a period is its newest.
            if seen.insert(period) {
                kept.insert(i);
            }
        }
    }
    kept
}

/// A kind of calendar period: its count, the period holding a date (named by its first day), the date `i` periods
/// before a date.
type Period = (
    u32,
    fn(NaiveDate) -> NaiveDate,
    fn(NaiveDate, u32) -> Option<NaiveDate>,
);

fn first_of_month(d: NaiveDate) -> NaiveDate {
    d.with_day(1).expect("every month has a first day")
}

fn first_of_year(d: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(d.year(), 1, 1).expect("every year has a first day")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
    }

    #[test]
    fn parses_and_prints_policies() {
        let p: Policy = "daily=30, monthly=24".parse().unwrap();
        assert_eq!(
            p,
            Policy {
                daily: 30,
                monthly: 24,
                ..Policy::default()
            }
        );
        assert_eq!(p.to_string(), "daily=30,monthly=24");
        assert_eq!(Policy::DEFAULT.to_string(), "daily=30,monthly=25");
        assert!("weekly=3".parse::<Policy>().unwrap_err().contains("weekly"));
        assert!("daily".parse::<Policy>().is_err());
        assert!("daily=-1".parse::<Policy>().is_err());
        assert!(
            "daily=0"
                .parse::<Policy>()
                .unwrap_err()
                .contains("keeps nothing")
        );
    }

    /// What the policy promises, computed the slow way from every backup ever made (none deleted): for each promised
    /// day and month, the newest backup made in it, plus the newest overall.
    fn promised(made: &[DateTime<Utc>], now: DateTime<Utc>, p: &Policy) -> BTreeSet<DateTime<Utc>> {
        let mut out = BTreeSet::new();
        let past: Vec<DateTime<Utc>> = made.iter().copied().filter(|t| *t <= now).collect();
        if let Some(newest) = past.iter().max() {
            out.insert(*newest);
        }
        for i in 0..p.daily {
            let day = now.date_naive() - Duration::days(i.into());
            if let Some(t) = past.iter().filter(|t| t.date_naive() == day).max() {
                out.insert(*t);
            }
        }
        for i in 0..p.monthly {
            let (mut y, mut m) = (now.year(), now.month() as i32 - i as i32);
            while m < 1 {
                m += 12;
                y -= 1;
            }
            if let Some(t) = past
                .iter()
                .filter(|t| t.year() == y && t.month() as i32 == m)
                .max()
            {
                out.insert(*t);
            }
        }
        out
    }

    /// A simulated clock over 800 days: after each backup the policy runs and deletes what it does not keep; the
    /// survivors must be exactly what was promised (so nothing promised was ever deleted earlier).
    fn simulate(times: Vec<DateTime<Utc>>, policy: Policy) -> Vec<DateTime<Utc>> {
        let mut stored: Vec<DateTime<Utc>> = Vec::new();
        let mut made = Vec::new();
        for t in times {
            stored.push(t);
            made.push(t);
            let kept = keep(&stored, t, &policy);
            stored = kept.iter().map(|&i| stored[i]).collect();
            let now_set: BTreeSet<_> = stored.iter().copied().collect();
            assert_eq!(now_set, promised(&made, t, &policy), "at {t}");
            assert_eq!(now_set.len(), stored.len());
        }
        stored
    }

    #[test]
    fn one_backup_a_day_for_800_days_keeps_30_days_and_24_months() {
        let start = at(2024, 1, 1, 2);
        let times: Vec<_> = (0..800).map(|d| start + Duration::days(d)).collect();
        let end = *times.last().unwrap();
        let stored = simulate(times, "daily=30,monthly=24".parse().unwrap());
        // 30 days of 2026-02-09 .. 2026-03-10, plus the last backup of each of the 22 earlier months back to 2024-04:
        // 30 + 22 (this month and last month are already covered by the daily ones' newest).
        assert_eq!(end, at(2026, 3, 10, 2));
        assert_eq!(stored.len(), 30 + 22);
        let oldest = *stored.iter().min().unwrap();
        assert_eq!(oldest, at(2024, 4, 30, 2));
        // The oldest is 23 months and 10 days old (679 days): monthly=25, the default, reaches past two years.
        assert_eq!((end - oldest).num_days(), 679);
        let stored = simulate(
            (0..800).map(|d| start + Duration::days(d)).collect(),
            Policy::DEFAULT,
        );
        assert_eq!(stored.len(), 30 + 23);
        // The last backup of March 2024 is kept until March 2026 ends: two years.
        assert_eq!(*stored.iter().min().unwrap(), at(2024, 3, 31, 2));
        for d in 0..30 {
            assert!(stored.contains(&(end - Duration::days(d))));
        }
    }

    #[test]
    fn several_backups_a_day_with_gaps_for_800_days() {
        let start = at(2023, 11, 15, 0);
        let mut times = Vec::new();
        for d in 0..800i64 {
            // A ten-day outage, and a day with a single backup.
            if (300..310).contains(&d) {
                continue;
            }
            let per_day = if d == 500 { 1 } else { 4 };
            for k in 0..per_day {
                times.push(start + Duration::days(d) + Duration::minutes(k * 360 + d % 50));
            }
        }
        let stored = simulate(times.clone(), Policy::DEFAULT);
        // At most one per promised day and month, the newest of each.
        let end = *times.last().unwrap();
        let days: BTreeSet<_> = stored.iter().map(|t| t.date_naive()).collect();
        assert_eq!(days.len(), stored.len());
        assert!(stored.len() <= 30 + 24);
        for t in &stored {
            let newest_that_day = times
                .iter()
                .filter(|u| u.date_naive() == t.date_naive())
                .max();
            assert_eq!(Some(t), newest_that_day);
        }
        assert!(stored.contains(&end));
        // And with the last-N and yearly kinds on top.
        let p: Policy = "last=5,daily=7,monthly=3,yearly=3".parse().unwrap();
        let mut stored = Vec::new();
        for t in &times {
            stored.push(*t);
            let kept = keep(&stored, *t, &p);
            stored = kept.iter().map(|&i| stored[i]).collect();
        }
        let newest5: Vec<_> = times.iter().rev().take(5).copied().collect();
        for t in &newest5 {
            assert!(stored.contains(t));
        }
        assert_eq!(
            end.date_naive(),
            NaiveDate::from_ymd_opt(2026, 1, 22).unwrap()
        );
        let years: BTreeSet<_> = stored.iter().map(|t| t.year()).collect();
        assert_eq!(years, [2024, 2025, 2026].into_iter().collect());
        assert!(
            stored.contains(
                &times
                    .iter()
                    .filter(|t| t.year() == 2024)
                    .max()
                    .copied()
                    .unwrap()
            )
        );
        // 7 days; last=5 adds 3 more of today's; monthly=3 adds the newest of December and November 2025; yearly=3
        // adds the newest of 2024 (2025's is December's).
        assert_eq!(stored.len(), 7 + 2 + 1 + 3);
    }

    #[test]
    fn future_backups_and_the_newest_are_kept() {
        let now = at(2026, 1, 10, 12);
        let backups = [at(2020, 1, 1, 0), at(2026, 1, 11, 0), at(2025, 1, 1, 0)];
        let p: Policy = "daily=1".parse().unwrap();
        // Nothing today: the newest past backup is still kept, and the one from the future.
        assert_eq!(keep(&backups, now, &p), [1, 2].into_iter().collect());
        assert!(keep(&[], now, &p).is_empty());
    }
}
