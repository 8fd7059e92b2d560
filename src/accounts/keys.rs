//! Developers' consumer keys: a developer names and revokes their own keys; each is shown once and stored as its
//! sha256 (like account tokens); a key authenticates as its owner with the consumer role, whatever the owner's own
//! role, so a key handed to a script never carries curation rights. An admin may set a key's rate tier. Calls per key
//! and day are counted in memory ([`KeyCounter`]) and flushed to `api_key_usage`; the developer portal charts them.
use std::collections::HashMap;
use std::sync::Mutex;

use rand::RngCore;
use serde::Serialize;
use sqlx::Row;

use registry::changelog::{Appender, NewEntry, now, sha256_hex};
use registry::{InputProblem, RegistryError};

use super::{Accounts, Principal, Role};

/// Every developer key starts with this, so a token is looked up in the right table.
pub const KEY_PREFIX: &str = "odk_";

/// The key a caller used: its id (the rate limiter's bucket key) and its tier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRef {
    /// Key id.
    pub id: i64,
    /// The rate tier an admin set, if any.
    pub tier: Option<String>,
}

/// A developer key as its owner and admins see it (never the secret).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKey {
    /// Id.
    pub id: i64,
    /// The owner's account.
    pub account_id: i64,
    /// The name the developer gave it.
    pub name: String,
    /// Rate tier (`None`: the default tier).
    pub tier: Option<String>,
    /// When it was created.
    pub created_at: String,
    /// When it was revoked.
    pub revoked_at: Option<String>,
}

/// One day of a key's calls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyDay {
    /// `YYYY-MM-DD` (UTC).
    pub day: String,
    /// Calls answered.
    pub calls: u64,
}

/// Calls per key and day not yet flushed, and this node's count of today's calls per key (for the daily quota).
#[derive(Debug, Default)]
pub struct KeyCounter {
    pending: Mutex<HashMap<(i64, String), u64>>,
    today: Mutex<HashMap<i64, (String, u64)>>,
}

fn today() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}

impl KeyCounter {
    /// Counts one call of key `id`; returns this node's count of the key's calls today, this one included.
    pub fn record(&self, id: i64) -> u64 {
        let day = today();
        *self
            .pending
            .lock()
            .expect("key counter lock")
            .entry((id, day.clone()))
            .or_default() += 1;
        let mut today = self.today.lock().expect("key counter lock");
        let entry = today.entry(id).or_insert_with(|| (day.clone(), 0));
        if entry.0 != day {
            *entry = (day, 0);
        }
        entry.1 += 1;
        entry.1
    }

    /// This node's count of key `id`'s calls today.
    pub fn today(&self, id: i64) -> u64 {
        let day = today();
        self.today
            .lock()
            .expect("key counter lock")
            .get(&id)
            .filter(|(d, _)| *d == day)
            .map_or(0, |(_, n)| *n)
    }

    fn take(&self) -> HashMap<(i64, String), u64> {
        std::mem::take(&mut *self.pending.lock().expect("key counter lock"))
    }

    fn put_back(&self, batch: HashMap<(i64, String), u64>) {
        let mut pending = self.pending.lock().expect("key counter lock");
        for (k, n) in batch {
            *pending.entry(k).or_default() += n;
        }
    }
}

/// Generates a new developer key.
pub fn generate_key() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{KEY_PREFIX}{}", hex::encode(bytes))
}

const KEY_COLUMNS: &str = "id, account_id, name, tier, created_at, revoked_at";

fn key_from_row(row: &sqlx::any::AnyRow) -> Result<ApiKey, RegistryError> {
    Ok(ApiKey {
        id: row.try_get(0)?,
        account_id: row.try_get(1)?,
        name: row.try_get(2)?,
        tier: row.try_get(3)?,
        created_at: row.try_get(4)?,
        revoked_at: row.try_get(5)?,
    })
}

/// Records key `id` as it now is in the change log (its row's hash; the secret only as the stored sha256).
async fn log_key(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    id: i64,
    actor: &str,
    action: &str,
) -> Result<(), RegistryError> {
    let row = sqlx::query(
        "SELECT id, account_id, name, token_sha256, tier, created_at, revoked_at FROM api_keys WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&mut **tx)
    .await?;
    let doc = serde_json::json!({
        "id": row.try_get::<i64, _>(0)?,
        "accountId": row.try_get::<i64, _>(1)?,
        "name": row.try_get::<String, _>(2)?,
        "tokenSha256": row.try_get::<String, _>(3)?,
        "tier": row.try_get::<Option<String>, _>(4)?,
        "createdAt": row.try_get::<String, _>(5)?,
        "revokedAt": row.try_get::<Option<String>, _>(6)?,
    });
    let hash = sha256_hex(doc.to_string().as_bytes());
    let mut log = Appender::start(tx).await?;
    log.append(
        tx,
        &NewEntry {
            actor,
            action,
            subject: &format!("urn:opendata:api-key:{id}"),
            before: None,
            after: Some(&hash),
            detail: serde_json::json!({}),
        },
    )
    .await?;
    Ok(())
}

impl Accounts {
    /// The principal of a developer key (`hash` is its sha256): the owner, as a consumer, with the key's reference.
    pub(super) async fn authenticate_key(
        &self,
        hash: &str,
    ) -> Result<Option<Principal>, RegistryError> {
        let row = sqlx::query(
            "SELECT k.id, k.tier, a.id, a.name FROM api_keys k JOIN accounts a ON a.id = k.account_id \
             WHERE k.token_sha256 = $1 AND k.revoked_at IS NULL AND a.revoked_at IS NULL",
        )
        .bind(hash)
        .fetch_optional(self.db.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(Principal {
            id: row.try_get(2)?,
            name: row.try_get(3)?,
            role: Role::Consumer,
            lists: vec![],
            agency: None,
            key: Some(ApiKeyRef {
                id: row.try_get(0)?,
                tier: row.try_get(1)?,
            }),
        }))
    }

    /// Creates a key named `name` for account `account_id`; returns it with the secret, shown this once.
    pub async fn create_key(
        &self,
        account_id: i64,
        name: &str,
        actor: &str,
    ) -> Result<(ApiKey, String), RegistryError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(RegistryError::invalid(InputProblem::field(
                "name",
                "a key name of 1 to 100 characters is required",
            )));
        }
        let secret = generate_key();
        let mut w = self.db.write().await?;
        let active = sqlx::query(
            "SELECT COUNT(*) FROM api_keys WHERE account_id = $1 AND revoked_at IS NULL",
        )
        .bind(account_id)
        .fetch_one(&mut *w.tx)
        .await?
        .try_get::<i64, _>(0)?;
        if active >= MAX_KEYS {
            return Err(RegistryError::invalid(InputProblem::field(
                "name",
                format!("at most {MAX_KEYS} active keys per account; revoke one first"),
            )));
        }
        let id = sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 FROM api_keys")
            .fetch_one(&mut *w.tx)
            .await?
            .try_get::<i64, _>(0)?;
        sqlx::query(
            "INSERT INTO api_keys (id, account_id, name, token_sha256, tier, created_at) \
             VALUES ($1, $2, $3, $4, NULL, $5)",
        )
        .bind(id)
        .bind(account_id)
        .bind(name)
        .bind(sha256_hex(secret.as_bytes()))
        .bind(now())
        .execute(&mut *w.tx)
        .await?;
        log_key(&mut w.tx, id, actor, "key.create").await?;
        let key = self.key_in(&mut w.tx, id).await?;
        w.commit().await?;
        Ok((key, secret))
    }

    async fn key_in(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        id: i64,
    ) -> Result<ApiKey, RegistryError> {
        let row = sqlx::query(&format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE id = $1"))
            .bind(id)
            .fetch_one(&mut **tx)
            .await?;
        key_from_row(&row)
    }

    /// Revokes key `id` of account `account_id` (`None`: of any account, for admins): it stops at once.
    pub async fn revoke_key(
        &self,
        id: i64,
        account_id: Option<i64>,
        actor: &str,
    ) -> Result<(), RegistryError> {
        let mut w = self.db.write().await?;
        let owner =
            sqlx::query("SELECT account_id FROM api_keys WHERE id = $1 AND revoked_at IS NULL")
                .bind(id)
                .fetch_optional(&mut *w.tx)
                .await?
                .map(|r| r.try_get::<i64, _>(0))
                .transpose()?;
        match owner {
            Some(o) if account_id.is_none_or(|a| a == o) => {}
            _ => {
                return Err(RegistryError::invalid(InputProblem::field(
                    "key",
                    format!("no active key {id} of this account"),
                )));
            }
        }
        sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2")
            .bind(now())
            .bind(id)
            .execute(&mut *w.tx)
            .await?;
        log_key(&mut w.tx, id, actor, "key.revoke").await?;
        w.commit().await?;
        Ok(())
    }

    /// Sets the rate tier of key `id` (`None`: the default tier).
    pub async fn set_key_tier(
        &self,
        id: i64,
        tier: Option<&str>,
        actor: &str,
    ) -> Result<(), RegistryError> {
        let mut w = self.db.write().await?;
        let found = sqlx::query("UPDATE api_keys SET tier = $1 WHERE id = $2")
            .bind(tier)
            .bind(id)
            .execute(&mut *w.tx)
            .await?
            .rows_affected();
        if found == 0 {
            return Err(RegistryError::invalid(InputProblem::field(
                "key",
                format!("no key {id}"),
            )));
        }
        log_key(&mut w.tx, id, actor, "key.tier").await?;
        w.commit().await?;
        Ok(())
    }

    /// The keys of account `account_id` (every account's when `None`), newest first, revoked ones included.
    pub async fn keys(&self, account_id: Option<i64>) -> Result<Vec<ApiKey>, RegistryError> {
        let rows = match account_id {
            Some(a) => {
                sqlx::query(&format!(
                    "SELECT {KEY_COLUMNS} FROM api_keys WHERE account_id = $1 ORDER BY id DESC"
                ))
                .bind(a)
                .fetch_all(self.db.pool())
                .await?
            }
            None => {
                sqlx::query(&format!(
                    "SELECT {KEY_COLUMNS} FROM api_keys ORDER BY id DESC"
                ))
                .fetch_all(self.db.pool())
                .await?
            }
        };
        rows.iter().map(key_from_row).collect()
    }

    /// Counts one answered call of a developer key; returns this node's count of its calls today.
    pub fn count_key_call(&self, key: i64) -> u64 {
        self.key_calls.record(key)
    }

    /// This node's count of key `key`'s calls today.
    pub fn key_calls_today(&self, key: i64) -> u64 {
        self.key_calls.today(key)
    }

    /// Writes the counted calls to the store; on failure they are kept for the next flush.
    pub async fn flush_key_calls(&self) -> Result<usize, RegistryError> {
        let batch = self.key_calls.take();
        if batch.is_empty() {
            return Ok(0);
        }
        let n = batch.len();
        let result: Result<(), RegistryError> = async {
            let mut w = self.db.write().await?;
            for ((key, day), calls) in &batch {
                sqlx::query(
                    "INSERT INTO api_key_usage (key_id, day, calls) VALUES ($1, $2, $3) \
                     ON CONFLICT (key_id, day) DO UPDATE SET calls = api_key_usage.calls + excluded.calls",
                )
                .bind(key)
                .bind(day)
                .bind(*calls as i64)
                .execute(&mut *w.tx)
                .await?;
            }
            w.commit().await?;
            Ok(())
        }
        .await;
        match result {
            Ok(()) => Ok(n),
            Err(e) => {
                self.key_calls.put_back(batch);
                Err(e)
            }
        }
    }

    /// Key `key`'s calls on each of the last `days` days (oldest first, days without calls as 0).
    pub async fn key_usage(&self, key: i64, days: u32) -> Result<Vec<KeyDay>, RegistryError> {
        let end = chrono::Utc::now().date_naive();
        let start = end - chrono::Days::new(u64::from(days.max(1)) - 1);
        let rows = sqlx::query(
            "SELECT day, calls FROM api_key_usage WHERE key_id = $1 AND day >= $2 ORDER BY day",
        )
        .bind(key)
        .bind(start.format("%Y-%m-%d").to_string())
        .fetch_all(self.db.pool())
        .await?;
        let mut found = HashMap::new();
        for r in &rows {
            found.insert(r.try_get::<String, _>(0)?, r.try_get::<i64, _>(1)?);
        }
        Ok(start
            .iter_days()
            .take_while(|d| *d <= end)
            .map(|d| {
                let day = d.format("%Y-%m-%d").to_string();
                let calls = found.get(&day).copied().unwrap_or(0).max(0) as u64;
                KeyDay { day, calls }
            })
            .collect())
    }
}

/// The most active keys one account may hold.
pub const MAX_KEYS: i64 = 10;

/// Flushes developer-key call counts every few seconds until the task is aborted.
pub async fn keep_flushing(accounts: Accounts) {
    loop {
        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
        if let Err(e) = accounts.flush_key_calls().await {
            tracing::warn!(error = %e, "flushing key call counts failed; kept for the next flush");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_counted_per_key_and_taken_once() {
        let c = KeyCounter::default();
        assert_eq!(c.record(1), 1);
        assert_eq!(c.record(1), 2);
        assert_eq!(c.record(2), 1);
        assert_eq!(c.today(1), 2);
        let batch = c.take();
        assert_eq!(batch.values().sum::<u64>(), 3);
        assert!(c.take().is_empty());
        c.put_back(batch);
        assert_eq!(c.take().len(), 2);
        // Today's count survives a flush: it is the quota's, not the store's.
        assert_eq!(c.today(1), 2);
    }

    #[test]
    fn keys_are_recognisable() {
        let k = generate_key();
        assert!(k.starts_with(KEY_PREFIX));
        assert_eq!(k.len(), KEY_PREFIX.len() + 64);
    }
}
