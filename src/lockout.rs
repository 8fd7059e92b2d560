//! The password sign-in lock-out: failed password sign-ins are counted per account name and per client address; past
//! a few free failures each further failure locks that name (or address) out for a delay that doubles each time, up to
//! a ceiling. A locked sign-in is refused before the password is even hashed. Every lock-out is recorded in the change
//! log (`sign-in.lockout`, with the name and address in the entry's private detail), so the audit trail shows who was
//! being guessed at and from where. The counts live in SQL, so every node behind a balancer sees the same ones.
use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use registry::RegistryError;
use registry::changelog::{Appender, NewEntry};
use sqlx::Row;

use crate::accounts::Accounts;

/// Failures of one account name before it is locked.
pub const FREE_PER_ACCOUNT: i64 = 5;
/// Failures from one address before it is locked (higher: an office shares one address).
pub const FREE_PER_ADDRESS: i64 = 20;
/// The first lock's length; each further failure doubles it.
pub const FIRST_DELAY_SECS: i64 = 1;
/// The longest lock.
pub const MAX_DELAY_SECS: i64 = 15 * 60;
/// Failures older than this are forgotten.
pub const FORGET_AFTER_HOURS: i64 = 24;

/// The lock after the `failures`-th failure of a key allowed `free` of them: none while free, then 1 s, 2 s, 4 s, ...
pub fn delay_after(failures: i64, free: i64) -> Option<i64> {
    if failures < free {
        return None;
    }
    let doublings = u32::try_from(failures - free).unwrap_or(u32::MAX).min(20);
    Some((FIRST_DELAY_SECS << doublings).min(MAX_DELAY_SECS))
}

fn keys(name: &str, address: IpAddr) -> [(String, i64, &'static str); 2] {
    [
        (format!("account:{name}"), FREE_PER_ACCOUNT, "account"),
        (format!("address:{address}"), FREE_PER_ADDRESS, "address"),
    ]
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn format_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// Whole seconds until `until`, at least 1.
fn seconds_until(until: DateTime<Utc>, at: DateTime<Utc>) -> u64 {
    let ms = (until - at).num_milliseconds().max(0);
    u64::try_from((ms + 999) / 1000).unwrap_or(1).max(1)
}

impl Accounts {
    /// Seconds until a password sign-in of `name` from `address` is allowed again, when either is locked out.
    pub async fn sign_in_locked(
        &self,
        name: &str,
        address: IpAddr,
    ) -> Result<Option<u64>, RegistryError> {
        let at = Utc::now();
        let mut wait = None;
        for (key, _, _) in keys(name, address) {
            let row = sqlx::query("SELECT locked_until FROM sign_in_failures WHERE subject = $1")
                .bind(&key)
                .fetch_optional(self.database().pool())
                .await?;
            let until: Option<String> = match row {
                Some(r) => r.try_get(0)?,
                None => None,
            };
            if let Some(until) = until.as_deref().and_then(parse_time)
                && until > at
            {
                wait = wait.max(Some(seconds_until(until, at)));
            }
        }
        Ok(wait)
    }

    /// Counts a failed password sign-in of `name` from `address`; returns the seconds of the lock it starts, if it
    /// starts one (recorded in the change log).
    pub async fn sign_in_failed(
        &self,
        name: &str,
        address: IpAddr,
    ) -> Result<Option<u64>, RegistryError> {
        let at = Utc::now();
        let stamp = format_time(at);
        let forget_before = format_time(at - Duration::hours(FORGET_AFTER_HOURS));
        let mut w = self.database().write().await?;
        sqlx::query(
            "DELETE FROM sign_in_failures WHERE last_failure_at < $1 \
             AND (locked_until IS NULL OR locked_until < $2)",
        )
        .bind(&forget_before)
        .bind(&stamp)
        .execute(&mut *w.tx)
        .await?;
        let mut longest: Option<u64> = None;
        let mut locks = Vec::new();
        for (key, free, scope) in keys(name, address) {
            let row = sqlx::query("SELECT failures FROM sign_in_failures WHERE subject = $1")
                .bind(&key)
                .fetch_optional(&mut *w.tx)
                .await?;
            let failures = match &row {
                Some(r) => r.try_get::<i64, _>(0)? + 1,
                None => 1,
            };
            let delay = delay_after(failures, free);
            let until = delay.map(|d| format_time(at + Duration::seconds(d)));
            if row.is_some() {
                sqlx::query(
                    "UPDATE sign_in_failures SET failures = $2, last_failure_at = $3, locked_until = $4 \
                     WHERE subject = $1",
                )
                .bind(&key)
                .bind(failures)
                .bind(&stamp)
                .bind(&until)
                .execute(&mut *w.tx)
                .await?;
            } else {
                sqlx::query(
                    "INSERT INTO sign_in_failures (subject, failures, last_failure_at, locked_until) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(&key)
                .bind(failures)
                .bind(&stamp)
                .bind(&until)
                .execute(&mut *w.tx)
                .await?;
            }
            if let Some(d) = delay {
                longest = longest.max(u64::try_from(d).ok());
                locks.push(serde_json::json!({
                    "scope": scope, "failures": failures, "lockedUntil": until, "seconds": d
                }));
            }
        }
        if !locks.is_empty() {
            let mut log = Appender::start(&mut w.tx).await?;
            log.append(
                &mut w.tx,
                &NewEntry {
                    actor: "anonymous",
                    action: "sign-in.lockout",
                    subject: "urn:opendata:sign-in",
                    before: None,
                    after: None,
                    detail: serde_json::json!({
                        "account": name, "address": address.to_string(), "locks": locks
                    }),
                },
            )
            .await?;
        }
        w.commit().await?;
        Ok(longest)
    }

    /// A password sign-in of `name` succeeded: the name's failures are forgotten (the address's are not, so signing in
    /// to one's own account does not reset guessing at others).
    pub async fn sign_in_succeeded(&self, name: &str) -> Result<(), RegistryError> {
        sqlx::query("DELETE FROM sign_in_failures WHERE subject = $1")
            .bind(format!("account:{name}"))
            .execute(self.database().pool())
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delay_doubles_past_the_free_failures_up_to_a_ceiling() {
        assert_eq!(delay_after(4, 5), None);
        assert_eq!(delay_after(5, 5), Some(1));
        assert_eq!(delay_after(6, 5), Some(2));
        assert_eq!(delay_after(9, 5), Some(16));
        assert_eq!(delay_after(40, 5), Some(MAX_DELAY_SECS));
        assert_eq!(delay_after(i64::MAX, 5), Some(MAX_DELAY_SECS));
    }
}
