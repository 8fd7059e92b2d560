//! Accounts signed in through an OpenID Provider, and the sign-ins under way.
//!
//! The provider's subject (`sub`) is the account's key: the first sign-in creates the account, later ones find it
//! and bring its agency, e-mail address and (when the provider's groups name one) its role up to date, each change in
//! the change log. A new account whose groups map to no role gets none (`role = 'none'`): it exists, admins see it,
//! and it may do nothing until one grants it a role. Developers signing in to the developer portal become consumers.
//!
//! A sign-in under way is kept server-side (`oidc_logins`, the `state` stored as its sha256 with the nonce and the
//! PKCE verifier) and taken once; the authorization codes presented are remembered (`oidc_used_codes`) so that a
//! replayed code is recognised as such.
use rand::RngCore;
use sqlx::Row;

use registry::changelog::{now, sha256_hex};
use registry::{InputProblem, RegistryError};

use super::{Accounts, Principal, Role, generate_token, log_account, principal_from_row};

/// How long a sign-in may take at the provider.
pub const PENDING_MINUTES: i64 = 10;

/// What a sign-in under way is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// The curation pages (`/manage`).
    Curation,
    /// The developer portal (`/developers`).
    Developer,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::Curation => "curation",
            Self::Developer => "developer",
        }
    }
}

/// A sign-in under way, as stored when it started.
#[derive(Debug, Clone)]
pub struct PendingSignIn {
    /// The nonce sent to the provider.
    pub nonce: String,
    /// The PKCE code verifier.
    pub pkce_verifier: String,
    /// What for.
    pub purpose: Purpose,
    /// Where to go afterwards.
    pub next: String,
}

/// Who the provider says signed in (from a verified ID token).
#[derive(Debug, Clone, Default)]
pub struct FederatedIdentity {
    /// `sub`.
    pub subject: String,
    /// A name to show (`name`, else `preferred_username`, else `email`, else the subject).
    pub display_name: String,
    /// `email`, when verified or not said otherwise.
    pub email: Option<String>,
    /// The agency claim.
    pub agency: Option<String>,
    /// The role the groups claim maps to, when one does.
    pub role: Option<Role>,
}

/// The account a sign-in found or made.
#[derive(Debug, Clone)]
pub enum SignedInAccount {
    /// It may sign in.
    Active(Principal),
    /// It exists but has no role yet.
    AwaitingRole {
        /// Its name.
        name: String,
    },
    /// An admin disabled it.
    Disabled {
        /// Its name.
        name: String,
    },
}

/// A random value for `state`, `nonce` or a PKCE verifier.
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

impl Accounts {
    /// Stores a sign-in under way, keyed by its `state`.
    pub async fn start_sign_in(
        &self,
        state: &str,
        pending: &PendingSignIn,
    ) -> Result<(), RegistryError> {
        let expires = (chrono::Utc::now() + chrono::Duration::minutes(PENDING_MINUTES))
            .format("%Y-%m-%dT%H:%M:%S%.6fZ")
            .to_string();
        let mut w = self.db.write().await?;
        sqlx::query("DELETE FROM oidc_logins WHERE expires_at < $1")
            .bind(now())
            .execute(&mut *w.tx)
            .await?;
        sqlx::query(
            "INSERT INTO oidc_logins (state_sha256, nonce, pkce_verifier, purpose, next, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(sha256_hex(state.as_bytes()))
        .bind(&pending.nonce)
        .bind(&pending.pkce_verifier)
        .bind(pending.purpose.as_str())
        .bind(&pending.next)
        .bind(expires)
        .execute(&mut *w.tx)
        .await?;
        w.commit().await?;
        Ok(())
    }

    /// Takes the sign-in under way with this `state` (once: it is deleted); `None` when there is none or it expired.
    pub async fn take_sign_in(&self, state: &str) -> Result<Option<PendingSignIn>, RegistryError> {
        let hash = sha256_hex(state.as_bytes());
        let mut w = self.db.write().await?;
        let row = sqlx::query(
            "SELECT nonce, pkce_verifier, purpose, next, expires_at FROM oidc_logins WHERE state_sha256 = $1",
        )
        .bind(&hash)
        .fetch_optional(&mut *w.tx)
        .await?;
        sqlx::query("DELETE FROM oidc_logins WHERE state_sha256 = $1")
            .bind(&hash)
            .execute(&mut *w.tx)
            .await?;
        w.commit().await?;
        let Some(row) = row else { return Ok(None) };
        if row.try_get::<String, _>(4)? < now() {
            return Ok(None);
        }
        Ok(Some(PendingSignIn {
            nonce: row.try_get(0)?,
            pkce_verifier: row.try_get(1)?,
            purpose: if row.try_get::<String, _>(2)? == "developer" {
                Purpose::Developer
            } else {
                Purpose::Curation
            },
            next: row.try_get(3)?,
        }))
    }

    /// Remembers that `code` was presented; true when it had been already (a replay). Codes older than a day are
    /// forgotten (providers let a code live for minutes).
    pub async fn code_seen_before(&self, code: &str) -> Result<bool, RegistryError> {
        let hash = sha256_hex(code.as_bytes());
        let day_ago = (chrono::Utc::now() - chrono::Duration::days(1))
            .format("%Y-%m-%dT%H:%M:%S%.6fZ")
            .to_string();
        let mut w = self.db.write().await?;
        sqlx::query("DELETE FROM oidc_used_codes WHERE used_at < $1")
            .bind(day_ago)
            .execute(&mut *w.tx)
            .await?;
        let seen = sqlx::query("SELECT 1 FROM oidc_used_codes WHERE code_sha256 = $1")
            .bind(&hash)
            .fetch_optional(&mut *w.tx)
            .await?
            .is_some();
        if !seen {
            sqlx::query("INSERT INTO oidc_used_codes (code_sha256, used_at) VALUES ($1, $2)")
                .bind(&hash)
                .bind(now())
                .execute(&mut *w.tx)
                .await?;
        }
        w.commit().await?;
        Ok(seen)
    }

    /// Finds (or creates) the account of a verified identity and brings it up to date; see the module's rules.
    pub async fn federated_sign_in(
        &self,
        who: &FederatedIdentity,
        purpose: Purpose,
    ) -> Result<SignedInAccount, RegistryError> {
        if who.subject.is_empty() || who.subject.len() > 255 {
            return Err(RegistryError::invalid(InputProblem::field(
                "sub",
                "the provider sent no usable subject",
            )));
        }
        let mut w = self.db.write().await?;
        let row = sqlx::query(
            "SELECT id, role, agency, email, revoked_at FROM accounts WHERE oidc_subject = $1",
        )
        .bind(&who.subject)
        .fetch_optional(&mut *w.tx)
        .await?;
        let mapped = who
            .role
            .filter(|r| !matches!(r, Role::Publisher | Role::Approver) || who.agency.is_some());
        let id = match row {
            Some(r) => {
                let id: i64 = r.try_get(0)?;
                let role: String = r.try_get(1)?;
                let agency: Option<String> = r.try_get(2)?;
                let email: Option<String> = r.try_get(3)?;
                let mut new_role = role.clone();
                if let Some(m) = mapped {
                    new_role = m.as_str().to_owned();
                } else if purpose == Purpose::Developer && role == "none" {
                    new_role = Role::Consumer.as_str().to_owned();
                }
                let new_agency = who.agency.clone().or(agency.clone());
                let new_email = who.email.clone().or(email.clone());
                if (&new_role, &new_agency, &new_email) != (&role, &agency, &email) {
                    sqlx::query(
                        "UPDATE accounts SET role = $1, agency = $2, email = $3 WHERE id = $4",
                    )
                    .bind(&new_role)
                    .bind(&new_agency)
                    .bind(&new_email)
                    .bind(id)
                    .execute(&mut *w.tx)
                    .await?;
                    log_account(&mut w.tx, id, "system", "account.federated-update").await?;
                }
                id
            }
            None => {
                let role = match (mapped, purpose) {
                    (Some(r), _) => r.as_str(),
                    (None, Purpose::Developer) => Role::Consumer.as_str(),
                    (None, Purpose::Curation) => "none",
                };
                let name = self.free_name(&mut w.tx, who).await?;
                let id = sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 FROM accounts")
                    .fetch_one(&mut *w.tx)
                    .await?
                    .try_get::<i64, _>(0)?;
                sqlx::query(
                    "INSERT INTO accounts (id, name, role, lists, agency, token_sha256, created_at, oidc_subject, email) \
                     VALUES ($1, $2, $3, '', $4, $5, $6, $7, $8)",
                )
                .bind(id)
                .bind(&name)
                .bind(role)
                .bind(&who.agency)
                // A token nobody is shown: the account signs in through the provider only.
                .bind(sha256_hex(generate_token().as_bytes()))
                .bind(now())
                .bind(&who.subject)
                .bind(&who.email)
                .execute(&mut *w.tx)
                .await?;
                log_account(&mut w.tx, id, "system", "account.federated-create").await?;
                id
            }
        };
        let row = sqlx::query(
            "SELECT id, name, role, lists, agency, revoked_at FROM accounts WHERE id = $1",
        )
        .bind(id)
        .fetch_one(&mut *w.tx)
        .await?;
        w.commit().await?;
        let name: String = row.try_get(1)?;
        if row.try_get::<Option<String>, _>(5)?.is_some() {
            return Ok(SignedInAccount::Disabled { name });
        }
        if row.try_get::<String, _>(2)? == "none" {
            return Ok(SignedInAccount::AwaitingRole { name });
        }
        Ok(SignedInAccount::Active(principal_from_row(&row)?))
    }

    /// A unique account name for a new federated account: its display name, else with the subject added.
    async fn free_name(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        who: &FederatedIdentity,
    ) -> Result<String, RegistryError> {
        let base: String = who.display_name.trim().chars().take(80).collect();
        let base = if base.is_empty() {
            who.subject.chars().take(80).collect()
        } else {
            base
        };
        let short: String = who.subject.chars().take(16).collect();
        for candidate in [base.clone(), format!("{base} ({short})")] {
            let taken = sqlx::query("SELECT 1 FROM accounts WHERE name = $1")
                .bind(&candidate)
                .fetch_optional(&mut **tx)
                .await?;
            if taken.is_none() {
                return Ok(candidate);
            }
        }
        Ok(format!(
            "{base} ({})",
            random_secret().get(..8).unwrap_or("x")
        ))
    }
}
