//! Accounts and roles: random API tokens shown once and stored as sha256 hashes; each account has one role, scoped to
//! code lists (steward) or to one agency (publisher, approver). Web sessions of the curation pages: a random id in
//! the cookie, stored as its sha256 with an expiry, so that signing out really revokes; an optional password per
//! account for them, stored as an argon2id hash.
//!
//! Beside this module: [`federated`] (accounts signed in through an OpenID Provider, and the sign-ins under way),
//! [`directory`] (what admins see and change: roles, agencies, disabling) and [`keys`] (developers' consumer keys and
//! their calls per day).
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sqlx::Row;

use registry::changelog::{Appender, NewEntry, now, sha256_hex};
use registry::db::Migrations;
use registry::{Database, InputProblem, RegistryError};

pub mod directory;
pub mod federated;
pub mod keys;

pub use keys::{ApiKeyRef, KeyCounter};

/// The migrations of this module.
pub const ACCOUNT_MIGRATIONS: Migrations = Migrations {
    steps: &[
        (
            9001,
            "accounts",
            include_str!("../../migrations/sqlite/9001_accounts.sql"),
            include_str!("../../migrations/postgres/9001_accounts.sql"),
        ),
        (
            9003,
            "sessions",
            include_str!("../../migrations/sqlite/9003_sessions.sql"),
            include_str!("../../migrations/postgres/9003_sessions.sql"),
        ),
        (
            9004,
            "passwords",
            include_str!("../../migrations/sqlite/9004_passwords.sql"),
            include_str!("../../migrations/postgres/9004_passwords.sql"),
        ),
        (
            9102,
            "sign-in failures",
            include_str!("../../migrations/sqlite/9102_sign_in_failures.sql"),
            include_str!("../../migrations/postgres/9102_sign_in_failures.sql"),
        ),
        (
            9301,
            "federated accounts and developer keys",
            include_str!("../../migrations/sqlite/9301_federated_accounts.sql"),
            include_str!("../../migrations/postgres/9301_federated_accounts.sql"),
        ),
        (
            9302,
            "accounts adopted into the change log",
            include_str!("../../migrations/sqlite/9302_accounts_log_adopted.sql"),
            include_str!("../../migrations/postgres/9302_accounts_log_adopted.sql"),
        ),
    ],
};

/// What an account may do.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything.
    Admin,
    /// Curates the code lists named in its scope.
    Steward,
    /// Describes the datasets of one agency.
    Publisher,
    /// Approves the datasets of one agency.
    Approver,
    /// Reads with a key (higher rate limits).
    Consumer,
    /// Writes harvested datasets of every agency into this catalog (`opendata harvest --target-kind opendata`), and
    /// nothing else.
    Harvester,
}

impl Role {
    /// Every role, in the order the account pages offer them.
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::Steward,
        Role::Publisher,
        Role::Approver,
        Role::Consumer,
        Role::Harvester,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Steward => "steward",
            Self::Publisher => "publisher",
            Self::Approver => "approver",
            Self::Consumer => "consumer",
            Self::Harvester => "harvester",
        }
    }

    /// From the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "admin" => Self::Admin,
            "steward" => Self::Steward,
            "publisher" => Self::Publisher,
            "approver" => Self::Approver,
            "consumer" => Self::Consumer,
            "harvester" => Self::Harvester,
            _ => return None,
        })
    }
}

/// An authenticated caller.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Principal {
    /// Account id.
    pub id: i64,
    /// Unique name, recorded in the change log.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Code lists a steward curates (`*` for all).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lists: Vec<String>,
    /// The agency of a publisher or approver.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agency: Option<String>,
    /// The developer key this caller used, when it used one (the account is then a consumer, whatever its role).
    #[serde(skip)]
    #[schema(ignore)]
    pub key: Option<ApiKeyRef>,
}

impl Principal {
    /// This account as the catalog's dataset rules judge it.
    pub fn curator(&self) -> catalog::Curator<'_> {
        catalog::Curator {
            name: &self.name,
            role: match self.role {
                Role::Admin => catalog::CuratorRole::Admin,
                Role::Publisher => catalog::CuratorRole::Publisher,
                Role::Approver => catalog::CuratorRole::Approver,
                Role::Harvester => catalog::CuratorRole::Harvester,
                Role::Steward | Role::Consumer => catalog::CuratorRole::Other,
            },
            agency: self.agency.as_deref(),
        }
    }

    /// This account as the registry's code-list rules judge it.
    pub fn steward(&self) -> registry::Steward<'_> {
        registry::Steward {
            name: &self.name,
            role: match self.role {
                Role::Admin => registry::StewardRole::Admin,
                Role::Steward => registry::StewardRole::Steward(&self.lists),
                Role::Publisher | Role::Approver | Role::Consumer | Role::Harvester => {
                    registry::StewardRole::Other
                }
            },
        }
    }

    /// Administers the server (accounts, tokens, harvest records)?
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// Signs in to the curation pages? Every role but consumers, who only read the APIs, and harvesters.
    pub fn curates(&self) -> bool {
        !matches!(self.role, Role::Consumer | Role::Harvester)
    }

    /// Curates some code lists (an admin, or a steward with lists)?
    pub fn curates_lists(&self) -> bool {
        self.steward().curates_some()
    }

    /// May this principal change code list `list`?
    pub fn may_curate(&self, list: &str) -> bool {
        self.steward().may_curate(list)
    }
}

/// A request to create an account.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewAccount {
    /// Unique name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Code lists (stewards).
    #[serde(default)]
    pub lists: Vec<String>,
    /// Agency code (publishers and approvers).
    #[serde(default)]
    pub agency: Option<String>,
}

/// A created account with its token, which is never shown again.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IssuedToken {
    /// The account.
    #[serde(flatten)]
    pub principal: Principal,
    /// The secret token.
    pub token: String,
}

/// Generates a new random token.
pub fn generate_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("odt_{}", hex::encode(bytes))
}

/// The account store.
#[derive(Clone, Debug)]
pub struct Accounts {
    db: Database,
    /// Principals of this process's own tasks (the harvest scheduler), by their token's sha256: held in memory only,
    /// so each node has its own, nothing is stored, and a restart forgets them.
    services: std::sync::Arc<std::sync::RwLock<Vec<(String, Principal)>>>,
    /// Calls per developer key and day, counted in memory and flushed to the store.
    key_calls: std::sync::Arc<KeyCounter>,
}

impl Accounts {
    /// Accounts in `db`.
    pub fn new(db: Database) -> Self {
        Self {
            db,
            services: Default::default(),
            key_calls: Default::default(),
        }
    }

    /// A token for a task of this process acting as `name` with `role` (the harvest scheduler writing harvested
    /// datasets through the API): valid in this process only, until it stops; the change log records `name`.
    pub fn service_token(&self, name: &str, role: Role) -> String {
        let token = generate_token();
        let principal = Principal {
            id: 0,
            name: name.to_owned(),
            role,
            lists: vec![],
            agency: None,
            key: None,
        };
        self.services
            .write()
            .expect("service tokens lock")
            .push((sha256_hex(token.as_bytes()), principal));
        token
    }

    /// Creates an account with a fresh token (or `token` when given, for the bootstrap admin), recorded in the change
    /// log as done by the system.
    pub async fn create(
        &self,
        new: NewAccount,
        token: Option<String>,
    ) -> Result<IssuedToken, RegistryError> {
        self.create_by(new, token, "system").await
    }

    /// Creates an account, recording `actor` in the change log.
    pub async fn create_by(
        &self,
        new: NewAccount,
        token: Option<String>,
        actor: &str,
    ) -> Result<IssuedToken, RegistryError> {
        let mut problems = Vec::new();
        let name = new.name.trim();
        if name.is_empty() || name.len() > 100 {
            problems.push(InputProblem::field(
                "name",
                "a name of 1 to 100 characters is required",
            ));
        }
        match new.role {
            Role::Steward if new.lists.is_empty() => problems.push(InputProblem::field(
                "lists",
                "a steward needs at least one code list (or \"*\")",
            )),
            Role::Publisher | Role::Approver if new.agency.is_none() => problems.push(
                InputProblem::field("agency", "publishers and approvers belong to one agency"),
            ),
            _ => {}
        }
        if !problems.is_empty() {
            return Err(RegistryError::Invalid(problems));
        }
        let token = token.unwrap_or_else(generate_token);
        let mut w = self.db.write().await?;
        let taken = sqlx::query("SELECT 1 FROM accounts WHERE name = $1")
            .bind(name)
            .fetch_optional(&mut *w.tx)
            .await?;
        if taken.is_some() {
            return Err(RegistryError::invalid(InputProblem::field(
                "name",
                format!("{name:?} is taken"),
            )));
        }
        let id = sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 FROM accounts")
            .fetch_one(&mut *w.tx)
            .await?
            .try_get::<i64, _>(0)?;
        sqlx::query(
            "INSERT INTO accounts (id, name, role, lists, agency, token_sha256, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(name)
        .bind(new.role.as_str())
        .bind(new.lists.join(","))
        .bind(new.agency.as_deref())
        .bind(sha256_hex(token.as_bytes()))
        .bind(now())
        .execute(&mut *w.tx)
        .await?;
        log_account(&mut w.tx, id, actor, "account.create").await?;
        w.commit().await?;
        let principal = Principal {
            id,
            name: name.to_owned(),
            role: new.role,
            lists: new.lists,
            agency: new.agency,
            key: None,
        };
        Ok(IssuedToken { principal, token })
    }

    /// Makes `token` the bootstrap admin's token, creating the `admin` account when missing.
    pub async fn ensure_admin_token(&self, token: &str) -> Result<(), RegistryError> {
        let hash = sha256_hex(token.as_bytes());
        let mut w = self.db.write().await?;
        let row = sqlx::query(
            "SELECT id, token_sha256 FROM accounts WHERE name = 'admin' AND role = 'admin'",
        )
        .fetch_optional(&mut *w.tx)
        .await?;
        let found = match row {
            Some(r) => Some((r.try_get::<i64, _>(0)?, r.try_get::<String, _>(1)?)),
            None => None,
        };
        if let Some((id, current)) = &found
            && *current != hash
        {
            sqlx::query("UPDATE accounts SET token_sha256 = $1 WHERE id = $2")
                .bind(&hash)
                .bind(id)
                .execute(&mut *w.tx)
                .await?;
            log_account(&mut w.tx, *id, "system", "account.token").await?;
        }
        w.commit().await?;
        if found.is_none() {
            let new = NewAccount {
                name: "admin".into(),
                role: Role::Admin,
                lists: vec![],
                agency: None,
            };
            self.create(new, Some(token.to_owned())).await?;
        }
        Ok(())
    }

    /// True when an admin account exists.
    pub async fn has_admin(&self) -> Result<bool, RegistryError> {
        let row = sqlx::query(
            "SELECT COUNT(*) FROM accounts WHERE role = 'admin' AND revoked_at IS NULL",
        )
        .fetch_one(self.db.pool())
        .await?;
        Ok(row.try_get::<i64, _>(0)? > 0)
    }

    /// The principal owning `token`, if any. Lookup is by the token's sha256, so the secret is never compared.
    pub async fn authenticate(&self, token: &str) -> Result<Option<Principal>, RegistryError> {
        let hash = sha256_hex(token.as_bytes());
        if let Some((_, p)) = self
            .services
            .read()
            .expect("service tokens lock")
            .iter()
            .find(|(h, _)| *h == hash)
        {
            return Ok(Some(p.clone()));
        }
        if token.starts_with(keys::KEY_PREFIX) {
            return self.authenticate_key(&hash).await;
        }
        let row = sqlx::query(
            "SELECT id, name, role, lists, agency FROM accounts \
             WHERE token_sha256 = $1 AND revoked_at IS NULL AND role <> 'none'",
        )
        .bind(hash)
        .fetch_optional(self.db.pool())
        .await?;
        row.as_ref().map(principal_from_row).transpose()
    }

    /// Opens a web session for `principal` lasting `ttl`; returns the session id for the cookie (shown once, stored
    /// as its sha256). Expired sessions are purged on the way.
    pub async fn open_session(
        &self,
        principal: &Principal,
        ttl: chrono::Duration,
    ) -> Result<String, RegistryError> {
        self.open_session_with(principal, ttl, None).await
    }

    /// Opens a web session like [`Self::open_session`], remembering the ID token it was signed in with (sent back to
    /// the provider when signing out).
    pub async fn open_session_with(
        &self,
        principal: &Principal,
        ttl: chrono::Duration,
        id_token: Option<&str>,
    ) -> Result<String, RegistryError> {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let id = hex::encode(bytes);
        let created = now();
        let expires = (chrono::Utc::now() + ttl)
            .format("%Y-%m-%dT%H:%M:%S%.6fZ")
            .to_string();
        sqlx::query("DELETE FROM account_sessions WHERE expires_at < $1")
            .bind(&created)
            .execute(self.db.pool())
            .await?;
        sqlx::query(
            "INSERT INTO account_sessions (session_sha256, account_id, created_at, expires_at, id_token) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(sha256_hex(id.as_bytes()))
        .bind(principal.id)
        .bind(created)
        .bind(expires)
        .bind(id_token)
        .execute(self.db.pool())
        .await?;
        Ok(id)
    }

    /// The principal of an unexpired session whose account is not revoked.
    pub async fn session(&self, id: &str) -> Result<Option<Principal>, RegistryError> {
        let row = sqlx::query(
            "SELECT a.id, a.name, a.role, a.lists, a.agency FROM account_sessions s \
             JOIN accounts a ON a.id = s.account_id \
             WHERE s.session_sha256 = $1 AND s.expires_at > $2 AND a.revoked_at IS NULL AND a.role <> 'none'",
        )
        .bind(sha256_hex(id.as_bytes()))
        .bind(now())
        .fetch_optional(self.db.pool())
        .await?;
        row.as_ref().map(principal_from_row).transpose()
    }

    /// Ends a session (signing out): the cookie stops working at once, wherever it was copied. Returns the ID token
    /// the session was opened with, when it came from an OpenID Provider.
    pub async fn close_session(&self, id: &str) -> Result<Option<String>, RegistryError> {
        let hash = sha256_hex(id.as_bytes());
        let id_token =
            sqlx::query("SELECT id_token FROM account_sessions WHERE session_sha256 = $1")
                .bind(&hash)
                .fetch_optional(self.db.pool())
                .await?
                .map(|r| r.try_get::<Option<String>, _>(0))
                .transpose()?
                .flatten();
        sqlx::query("DELETE FROM account_sessions WHERE session_sha256 = $1")
            .bind(&hash)
            .execute(self.db.pool())
            .await?;
        Ok(id_token)
    }
}

impl Accounts {
    /// Sets (or replaces) the password `name` signs in to the curation pages with.
    pub async fn set_password(&self, name: &str, password: &str) -> Result<(), RegistryError> {
        if password.chars().count() < MIN_PASSWORD_CHARS {
            return Err(RegistryError::invalid(InputProblem::field(
                "password",
                format!("at least {MIN_PASSWORD_CHARS} characters"),
            )));
        }
        let password = password.to_owned();
        let hash = tokio::task::spawn_blocking(move || hash_password(&password))
            .await
            .map_err(|e| RegistryError::Storage(e.to_string()))??;
        let mut w = self.db.write().await?;
        let id = sqlx::query("SELECT id FROM accounts WHERE name = $1 AND revoked_at IS NULL")
            .bind(name)
            .fetch_optional(&mut *w.tx)
            .await?
            .map(|r| r.try_get::<i64, _>(0))
            .transpose()?
            .ok_or_else(|| {
                RegistryError::invalid(InputProblem::field("name", format!("no account {name:?}")))
            })?;
        sqlx::query("UPDATE accounts SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(id)
            .execute(&mut *w.tx)
            .await?;
        log_account(&mut w.tx, id, name, "account.password").await?;
        w.commit().await?;
        Ok(())
    }

    /// True when some account has a password (the sign-in page then offers it).
    pub async fn has_passwords(&self) -> Result<bool, RegistryError> {
        let row = sqlx::query(
            "SELECT COUNT(*) FROM accounts WHERE password_hash IS NOT NULL AND revoked_at IS NULL",
        )
        .fetch_one(self.db.pool())
        .await?;
        Ok(row.try_get::<i64, _>(0)? > 0)
    }

    /// The principal whose name and password these are. An unknown name costs the same hashing as a wrong password,
    /// so the time taken does not tell which names exist.
    pub async fn authenticate_password(
        &self,
        name: &str,
        password: &str,
    ) -> Result<Option<Principal>, RegistryError> {
        let row = sqlx::query(
            "SELECT id, name, role, lists, agency, password_hash FROM accounts \
             WHERE name = $1 AND revoked_at IS NULL AND role <> 'none'",
        )
        .bind(name)
        .fetch_optional(self.db.pool())
        .await?;
        let stored: Option<String> = match &row {
            Some(r) => r.try_get(5)?,
            None => None,
        };
        let password = password.to_owned();
        let matches = tokio::task::spawn_blocking(move || {
            let hash = stored.unwrap_or_else(|| DUMMY_HASH.to_owned());
            let ok = verify_password(&hash, &password);
            ok && hash != DUMMY_HASH
        })
        .await
        .map_err(|e| RegistryError::Storage(e.to_string()))?;
        match row {
            Some(r) if matches => Ok(Some(principal_from_row(&r)?)),
            _ => Ok(None),
        }
    }
}

impl Accounts {
    /// The store (for the sign-in lock-out, [`crate::lockout`]).
    pub(crate) fn database(&self) -> &Database {
        &self.db
    }

    /// Records every account in the change log once, when the log has never recorded one (a store from before the
    /// change log covered accounts); afterwards every account change is recorded as it happens. Done once per store:
    /// a row in `accounts_log_adopted` says so, and later starts read nothing else (looking through the log for an
    /// account entry read all of it when the only ones were at its end: 9 s of a cold start at 1,000,000 datasets).
    pub async fn adopt_into_log(&self) -> Result<usize, RegistryError> {
        let mut w = self.db.write().await?;
        let done = sqlx::query("SELECT 1 FROM accounts_log_adopted LIMIT 1")
            .fetch_optional(&mut *w.tx)
            .await?;
        if done.is_some() {
            return Ok(0);
        }
        let ids: Vec<i64> = sqlx::query("SELECT id FROM accounts ORDER BY id")
            .fetch_all(&mut *w.tx)
            .await?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<Result<_, _>>()?;
        let logged = if ids.is_empty() {
            None
        } else {
            sqlx::query("SELECT 1 FROM change_log WHERE action LIKE 'account.%' LIMIT 1")
                .fetch_optional(&mut *w.tx)
                .await?
        };
        let mut adopted = 0;
        if logged.is_none() {
            for id in &ids {
                log_account(&mut w.tx, *id, "system", "account.adopt").await?;
            }
            adopted = ids.len();
        }
        sqlx::query("INSERT INTO accounts_log_adopted (adopted_at) VALUES ($1)")
            .bind(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
            .execute(&mut *w.tx)
            .await?;
        w.commit().await?;
        Ok(adopted)
    }
}

/// The change-log subject of an account: by id, so that the public change feed shows no names.
pub fn account_subject(id: i64) -> String {
    format!("urn:opendata:account:{id}")
}

const ACCOUNT_COLUMNS: &str = "id, name, role, lists, agency, token_sha256, password_hash, created_at, revoked_at, \
     oidc_subject, email";

/// The hash of an account row as the change log records it: sha256 of the canonical JSON of every column (the token
/// and password only as the hashes stored).
fn account_hash(row: &sqlx::any::AnyRow) -> Result<String, RegistryError> {
    let doc = serde_json::json!({
        "id": row.try_get::<i64, _>(0)?,
        "name": row.try_get::<String, _>(1)?,
        "role": row.try_get::<String, _>(2)?,
        "lists": row.try_get::<String, _>(3)?,
        "agency": row.try_get::<Option<String>, _>(4)?,
        "tokenSha256": row.try_get::<String, _>(5)?,
        "passwordHash": row.try_get::<Option<String>, _>(6)?,
        "createdAt": row.try_get::<String, _>(7)?,
        "revokedAt": row.try_get::<Option<String>, _>(8)?,
    });
    // The columns of federated accounts count only when set, so the hashes recorded before them still hold.
    let mut doc = doc;
    for (i, key) in [(9, "oidcSubject"), (10, "email")] {
        if let Some(v) = row.try_get::<Option<String>, _>(i)? {
            doc[key] = serde_json::Value::String(v);
        }
    }
    Ok(sha256_hex(doc.to_string().as_bytes()))
}

/// Appends a change-log entry recording account `id` as it now is in the transaction.
pub(crate) async fn log_account(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    id: i64,
    actor: &str,
    action: &str,
) -> Result<(), RegistryError> {
    let row = sqlx::query(&format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1"
    ))
    .bind(id)
    .fetch_one(&mut **tx)
    .await?;
    let hash = account_hash(&row)?;
    let mut log = Appender::start(tx).await?;
    log.append(
        tx,
        &NewEntry {
            actor,
            action,
            subject: &account_subject(id),
            before: None,
            after: Some(&hash),
            detail: serde_json::json!({}),
        },
    )
    .await?;
    Ok(())
}

/// Checks every account row against the hash the change log recorded for it last.
pub async fn verify_accounts(
    pool: &sqlx::AnyPool,
    log: &registry::verify::LogIndex,
) -> Result<Vec<registry::verify::Finding>, RegistryError> {
    // A store from before migration 9301 (a backup being verified) has no federated columns: they hash as absent.
    let federated = sqlx::query("SELECT oidc_subject, email FROM accounts LIMIT 1")
        .fetch_optional(pool)
        .await
        .is_ok();
    let columns = if federated {
        ACCOUNT_COLUMNS.to_owned()
    } else {
        ACCOUNT_COLUMNS.replace(", oidc_subject, email", ", NULL, NULL")
    };
    let rows = sqlx::query(&format!("SELECT {columns} FROM accounts ORDER BY id"))
        .fetch_all(pool)
        .await?;
    let mut findings = Vec::new();
    for row in &rows {
        let id: i64 = row.try_get(0)?;
        let name: String = row.try_get(1)?;
        if let Some(problem) = log.check(&format!("account/{id}"), "account.", &account_hash(row)?)
        {
            findings.push(registry::verify::Finding::new(
                "account",
                format!("{name} (id {id})"),
                problem,
            ));
        }
    }
    Ok(findings)
}

/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// A hash of a password nobody has, verified when the name is unknown.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Rd9bkrxUWvB26s6MW0BVwhUuvLsyCsFYQNNuCTtRMqk";

/// An argon2id PHC string of `password` with a fresh random salt (argon2's default, OWASP-recommended parameters).
fn hash_password(password: &str) -> Result<String, RegistryError> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| RegistryError::Storage(e.to_string()))?;
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| RegistryError::Storage(e.to_string()))
}

fn verify_password(hash: &str, password: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash).is_ok_and(|parsed| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A principal from `id, name, role, lists, agency`.
pub(crate) fn principal_from_row(row: &sqlx::any::AnyRow) -> Result<Principal, RegistryError> {
    let role: String = row.try_get(2)?;
    let lists: String = row.try_get(3)?;
    Ok(Principal {
        id: row.try_get(0)?,
        name: row.try_get(1)?,
        role: Role::parse(&role)
            .ok_or_else(|| RegistryError::Storage(format!("unknown role {role:?}")))?,
        lists: lists
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        agency: row.try_get(4)?,
        key: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_a_fresh_salt_and_verify() {
        let a = hash_password("correct horse battery").unwrap();
        let b = hash_password("correct horse battery").unwrap();
        assert!(a.starts_with("$argon2id$"), "{a}");
        assert_ne!(a, b, "each hash has its own salt");
        assert!(verify_password(&a, "correct horse battery"));
        assert!(!verify_password(&a, "correct horse batterY"));
        assert!(!verify_password("not a hash", "x"));
        // The dummy hash parses, so an unknown name costs a full verification.
        assert!(argon2::password_hash::PasswordHash::new(DUMMY_HASH).is_ok());
    }
}
