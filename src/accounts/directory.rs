//! What admins see of accounts and change in them: every account with its role, agency, code lists and keys;
//! granting a role (with its scope), revoking it, disabling and enabling an account. Disabling takes effect at once:
//! its sessions are deleted, and every token, key and session lookup already refuses a disabled account. Every change
//! is recorded in the change log with the admin who made it.
use serde::Serialize;
use sqlx::Row;

use registry::changelog::now;
use registry::{InputProblem, RegistryError};

use super::{Accounts, Role, log_account};

/// An account as the account pages list it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountSummary {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Role (`None`: not granted yet).
    pub role: Option<Role>,
    /// Code lists (stewards).
    pub lists: Vec<String>,
    /// Agency (publishers, approvers).
    pub agency: Option<String>,
    /// E-mail address (federated accounts).
    pub email: Option<String>,
    /// Signs in through the OpenID Provider.
    pub federated: bool,
    /// Disabled by an admin.
    pub disabled: bool,
}

/// A role with its scope, as an admin grants it.
#[derive(Debug, Clone)]
pub struct Grant {
    /// The role.
    pub role: Role,
    /// Code lists (stewards).
    pub lists: Vec<String>,
    /// Agency (publishers and approvers).
    pub agency: Option<String>,
}

impl Accounts {
    /// Registers a developer (where no OpenID Provider is configured): a consumer account with `name` and `email`
    /// (not verified: this server sends no mail). Returns its principal.
    pub async fn register_developer(
        &self,
        name: &str,
        email: &str,
    ) -> Result<super::Principal, RegistryError> {
        let email = email.trim();
        let at = email.find('@');
        if email.len() > 254
            || !at.is_some_and(|i| {
                i > 0 && i + 1 < email.len() && !email.contains(char::is_whitespace)
            })
        {
            return Err(RegistryError::invalid(InputProblem::field(
                "email",
                "an e-mail address like name@example.com is required",
            )));
        }
        let new = super::NewAccount {
            name: name.to_owned(),
            role: Role::Consumer,
            lists: vec![],
            agency: None,
        };
        let issued = self.create_by(new, None, "self-registration").await?;
        let mut w = self.db.write().await?;
        sqlx::query("UPDATE accounts SET email = $1 WHERE id = $2")
            .bind(email)
            .bind(issued.principal.id)
            .execute(&mut *w.tx)
            .await?;
        log_account(
            &mut w.tx,
            issued.principal.id,
            "self-registration",
            "account.email",
        )
        .await?;
        w.commit().await?;
        Ok(issued.principal)
    }

    /// Every account, by name.
    pub async fn list_accounts(&self) -> Result<Vec<AccountSummary>, RegistryError> {
        let rows = sqlx::query(
            "SELECT id, name, role, lists, agency, email, oidc_subject, revoked_at FROM accounts ORDER BY name",
        )
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let lists: String = r.try_get(3)?;
                Ok(AccountSummary {
                    id: r.try_get(0)?,
                    name: r.try_get(1)?,
                    role: Role::parse(&r.try_get::<String, _>(2)?),
                    lists: lists
                        .split(',')
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect(),
                    agency: r.try_get(4)?,
                    email: r.try_get(5)?,
                    federated: r.try_get::<Option<String>, _>(6)?.is_some(),
                    disabled: r.try_get::<Option<String>, _>(7)?.is_some(),
                })
            })
            .collect()
    }

    /// One account.
    pub async fn account(&self, id: i64) -> Result<Option<AccountSummary>, RegistryError> {
        Ok(self.list_accounts().await?.into_iter().find(|a| a.id == id))
    }

    /// Grants account `id` a role with its scope (replacing its role), by admin `actor`.
    pub async fn grant_role(
        &self,
        id: i64,
        grant: &Grant,
        actor: &str,
    ) -> Result<(), RegistryError> {
        let mut problems = Vec::new();
        match grant.role {
            Role::Steward if grant.lists.is_empty() => problems.push(InputProblem::field(
                "lists",
                "a steward needs at least one code list (or \"*\")",
            )),
            Role::Publisher | Role::Approver if grant.agency.is_none() => problems.push(
                InputProblem::field("agency", "publishers and approvers belong to one agency"),
            ),
            _ => {}
        }
        if !problems.is_empty() {
            return Err(RegistryError::Invalid(problems));
        }
        self.change(id, actor, "account.grant", |q| {
            q.push((
                "UPDATE accounts SET role = $1, lists = $2, agency = $3 WHERE id = $4",
                vec![
                    Some(grant.role.as_str().to_owned()),
                    Some(grant.lists.join(",")),
                    grant.agency.clone(),
                ],
            ))
        })
        .await
    }

    /// Takes account `id`'s role away (it keeps existing, and may do nothing); its sessions end.
    pub async fn revoke_role(&self, id: i64, actor: &str) -> Result<(), RegistryError> {
        self.change(id, actor, "account.revoke-role", |q| {
            q.push((
                "UPDATE accounts SET role = 'none', lists = '' WHERE id = $1",
                vec![],
            ))
        })
        .await
    }

    /// Disables (or enables again) account `id`: when disabled, its sessions are deleted and its tokens and keys
    /// refused from this moment on.
    pub async fn set_disabled(
        &self,
        id: i64,
        disabled: bool,
        actor: &str,
    ) -> Result<(), RegistryError> {
        let at = now();
        if disabled {
            self.change(id, actor, "account.disable", |q| {
                q.push((
                    "UPDATE accounts SET revoked_at = $1 WHERE id = $2",
                    vec![Some(at.clone())],
                ))
            })
            .await
        } else {
            self.change(id, actor, "account.enable", |q| {
                q.push((
                    "UPDATE accounts SET revoked_at = NULL WHERE id = $1",
                    vec![],
                ))
            })
            .await
        }
    }

    /// Runs one update of account `id` (its text parameters, then the id), deletes its sessions unless enabling,
    /// and records the change; refuses the bootstrap admin changing itself out of its own role.
    async fn change(
        &self,
        id: i64,
        actor: &str,
        action: &str,
        build: impl FnOnce(&mut Vec<(&'static str, Vec<Option<String>>)>),
    ) -> Result<(), RegistryError> {
        let mut statements = Vec::new();
        build(&mut statements);
        let mut w = self.db.write().await?;
        let target = sqlx::query("SELECT name FROM accounts WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *w.tx)
            .await?
            .map(|r| r.try_get::<String, _>(0))
            .transpose()?
            .ok_or_else(|| {
                RegistryError::invalid(InputProblem::field("account", format!("no account {id}")))
            })?;
        if target == actor && action != "account.enable" {
            return Err(RegistryError::Conflict(
                "an admin does not change or disable their own account here; ask another admin"
                    .into(),
            ));
        }
        for (sql, params) in statements {
            let mut q = sqlx::query(sql);
            for p in params {
                q = q.bind(p);
            }
            q.bind(id).execute(&mut *w.tx).await?;
        }
        if action != "account.enable" && action != "account.grant" {
            sqlx::query("DELETE FROM account_sessions WHERE account_id = $1")
                .bind(id)
                .execute(&mut *w.tx)
                .await?;
        }
        log_account(&mut w.tx, id, actor, action).await?;
        w.commit().await?;
        Ok(())
    }
}
