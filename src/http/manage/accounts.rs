//! `/manage/accounts` (admins only): every account with its role, agency, code lists, e-mail address, kind (shared
//! sign-in or local) and keys; `/manage/accounts/{id}`: one account, with forms to grant or revoke its role, disable or
//! enable it, and set the rate tier of (or revoke) its developer keys. The rules and the change log are
//! [`crate::accounts::directory`]'s and [`crate::accounts::keys`]'s; these handlers only read forms and render.
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;

use super::account_texts::{self, AccountText};
use super::session::{Posted, SignedIn};
use super::texts::ManageText;
use super::{Frame, parts, problems_shown, render, see};
use crate::accounts::Role;
use crate::accounts::directory::{AccountSummary, Grant};
use crate::accounts::keys::ApiKey;
use crate::http::pages::{Chrome, Ctx};
use crate::http::ratelimit::DEFAULT_TIER;
use crate::http::{ApiError, AppState};

/// An account as a row of text.
struct Row {
    id: i64,
    name: String,
    role: String,
    has_role: bool,
    agency: String,
    lists: String,
    email: String,
    status: &'static str,
    kind: &'static str,
    disabled: bool,
    keys: usize,
}

/// A key as a row, with the tiers to choose from.
struct KeyRow {
    id: i64,
    name: String,
    created_at: String,
    revoked: bool,
    tiers: Vec<(String, String, bool)>,
}

#[derive(Template)]
#[template(path = "manage_accounts.html")]
struct AccountsPage {
    c: Chrome,
    m: &'static ManageText,
    f: Frame,
    a: &'static AccountText,
    rows: Vec<Row>,
}

#[derive(Template)]
#[template(path = "manage_account.html")]
struct AccountPage {
    c: Chrome,
    m: &'static ManageText,
    f: Frame,
    a: &'static AccountText,
    row: Row,
    roles: Vec<(&'static str, &'static str, bool)>,
    keys: Vec<KeyRow>,
    problems: Vec<String>,
}

/// A role's label.
pub fn role_label(m: &ManageText, a: &AccountText, role: Option<Role>) -> &'static str {
    match role {
        None => a.no_role,
        Some(Role::Admin) => m.role_admin,
        Some(Role::Steward) => m.role_steward,
        Some(Role::Publisher) => m.role_publisher,
        Some(Role::Approver) => m.role_approver,
        Some(Role::Consumer) => m.role_consumer,
        Some(Role::Harvester) => "harvester",
    }
}

fn row(m: &ManageText, a: &AccountText, s: &AccountSummary, keys: &[ApiKey]) -> Row {
    Row {
        id: s.id,
        name: s.name.clone(),
        role: role_label(m, a, s.role).to_owned(),
        has_role: s.role.is_some(),
        agency: s.agency.clone().unwrap_or_default(),
        lists: s.lists.join(","),
        email: s.email.clone().unwrap_or_default(),
        status: if s.disabled {
            a.disabled_status
        } else {
            a.active
        },
        kind: if s.federated { a.federated } else { a.local },
        disabled: s.disabled,
        keys: keys
            .iter()
            .filter(|k| k.account_id == s.id && k.revoked_at.is_none())
            .count(),
    }
}

fn admin_only(me: &SignedIn) -> Result<(), ApiError> {
    if me.principal.is_admin() {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "{}: only admins manage accounts",
            me.principal.name
        )))
    }
}

/// `GET /manage/accounts`.
pub async fn list(State(state): State<AppState>, ctx: Ctx, me: SignedIn) -> Response {
    let result = async {
        admin_only(&me)?;
        let a = account_texts::of(ctx.lang);
        let (c, m, f) = parts(&ctx, &me, a.accounts, "accounts");
        let keys = state.accounts.keys(None).await?;
        let rows = state
            .accounts
            .list_accounts()
            .await?
            .iter()
            .map(|s| row(m, a, s, &keys))
            .collect();
        Ok(render(&ctx, &AccountsPage { c, m, f, a, rows }))
    }
    .await;
    ctx.respond(result)
}

async fn account_page(
    state: &AppState,
    ctx: &Ctx,
    me: &SignedIn,
    id: i64,
    problems: Vec<String>,
) -> Result<Response, ApiError> {
    admin_only(me)?;
    let a = account_texts::of(ctx.lang);
    let summary = state
        .accounts
        .account(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("account {id}")))?;
    let (c, m, f) = parts(ctx, me, summary.name.clone(), "accounts");
    let keys = state.accounts.keys(Some(id)).await?;
    let tiers = state.key_tiers.names();
    let page = AccountPage {
        row: row(m, a, &summary, &keys),
        roles: Role::ALL
            .iter()
            .map(|r| {
                (
                    r.as_str(),
                    role_label(m, a, Some(*r)),
                    summary.role == Some(*r),
                )
            })
            .collect(),
        keys: keys
            .iter()
            .map(|k| KeyRow {
                id: k.id,
                name: k.name.clone(),
                created_at: k.created_at.clone(),
                revoked: k.revoked_at.is_some(),
                tiers: tiers
                    .iter()
                    .map(|t| {
                        let label = if t == DEFAULT_TIER {
                            a.default_tier.to_owned()
                        } else {
                            t.clone()
                        };
                        let chosen = k.tier.as_deref().unwrap_or(DEFAULT_TIER) == t;
                        (t.clone(), label, chosen)
                    })
                    .collect(),
            })
            .collect(),
        c,
        m,
        f,
        a,
        problems: problems.clone(),
    };
    Ok(if problems.is_empty() {
        render(ctx, &page)
    } else {
        super::render_problems(ctx, &page)
    })
}

/// `GET /manage/accounts/{id}`.
pub async fn account(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    ctx: Ctx,
    me: SignedIn,
) -> Response {
    let result = account_page(&state, &ctx, &me, id, vec![]).await;
    ctx.respond(result)
}

/// After a change: the account's page, or the page again with the problems.
async fn after(
    state: &AppState,
    ctx: &Ctx,
    me: &SignedIn,
    id: i64,
    result: Result<(), registry::RegistryError>,
) -> Response {
    match result {
        Ok(()) => see(&format!("/manage/accounts/{id}")),
        Err(e) => {
            let e: ApiError = e.into();
            match super::input_problems(&e) {
                Some(problems) => ctx.respond(account_page(state, ctx, me, id, problems).await),
                None => ctx.error(e),
            }
        }
    }
}

/// `POST /manage/accounts/{id}/grant`: role, agency, lists.
pub async fn grant(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    ctx: Ctx,
    posted: Posted,
) -> Response {
    let Posted { me, form } = posted;
    if let Err(e) = admin_only(&me) {
        return ctx.error(e);
    }
    let Some(role) = Role::parse(form.value("role")) else {
        return ctx.error(problems_shown(ApiError::Unprocessable(vec![
            registry::InputProblem::field("role", "not a role"),
        ])));
    };
    let agency = Some(form.value("agency").trim())
        .filter(|a| !a.is_empty())
        .map(str::to_owned);
    let lists = form
        .value("lists")
        .split(',')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    let grant = Grant {
        role,
        lists,
        agency,
    };
    let result = state
        .accounts
        .grant_role(id, &grant, &me.principal.name)
        .await;
    after(&state, &ctx, &me, id, result).await
}

/// `POST /manage/accounts/{id}/revoke-role`.
pub async fn revoke_role(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    ctx: Ctx,
    posted: Posted,
) -> Response {
    if let Err(e) = admin_only(&posted.me) {
        return ctx.error(e);
    }
    let result = state
        .accounts
        .revoke_role(id, &posted.me.principal.name)
        .await;
    after(&state, &ctx, &posted.me, id, result).await
}

/// `POST /manage/accounts/{id}/disable`: its sessions, tokens and keys stop at once.
pub async fn disable(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    ctx: Ctx,
    posted: Posted,
) -> Response {
    if let Err(e) = admin_only(&posted.me) {
        return ctx.error(e);
    }
    let result = state
        .accounts
        .set_disabled(id, true, &posted.me.principal.name)
        .await;
    after(&state, &ctx, &posted.me, id, result).await
}

/// `POST /manage/accounts/{id}/enable`.
pub async fn enable(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    ctx: Ctx,
    posted: Posted,
) -> Response {
    if let Err(e) = admin_only(&posted.me) {
        return ctx.error(e);
    }
    let result = state
        .accounts
        .set_disabled(id, false, &posted.me.principal.name)
        .await;
    after(&state, &ctx, &posted.me, id, result).await
}

/// The account a key belongs to (for coming back to its page).
async fn key_owner(state: &AppState, key: i64) -> Result<i64, ApiError> {
    state
        .accounts
        .keys(None)
        .await?
        .into_iter()
        .find(|k| k.id == key)
        .map(|k| k.account_id)
        .ok_or_else(|| ApiError::NotFound(format!("key {key}")))
}

/// `POST /manage/accounts/keys/{key}/tier`.
pub async fn set_tier(
    State(state): State<AppState>,
    Path(key): Path<i64>,
    ctx: Ctx,
    posted: Posted,
) -> Response {
    let Posted { me, form } = posted;
    if let Err(e) = admin_only(&me) {
        return ctx.error(e);
    }
    let owner = match key_owner(&state, key).await {
        Ok(o) => o,
        Err(e) => return ctx.error(e),
    };
    let tier = form.value("tier");
    let tier = match tier {
        "" | DEFAULT_TIER => None,
        t if state.key_tiers.named.iter().any(|n| n.name == t) => Some(t),
        _ => {
            return ctx.error(problems_shown(ApiError::Unprocessable(vec![
                registry::InputProblem::field("tier", format!("{tier:?} is not a configured tier")),
            ])));
        }
    };
    let result = state
        .accounts
        .set_key_tier(key, tier, &me.principal.name)
        .await;
    after(&state, &ctx, &me, owner, result).await
}

/// `POST /manage/accounts/keys/{key}/revoke`.
pub async fn revoke_key(
    State(state): State<AppState>,
    Path(key): Path<i64>,
    ctx: Ctx,
    posted: Posted,
) -> Response {
    if let Err(e) = admin_only(&posted.me) {
        return ctx.error(e);
    }
    let owner = match key_owner(&state, key).await {
        Ok(o) => o,
        Err(e) => return ctx.error(e),
    };
    let result = state
        .accounts
        .revoke_key(key, None, &posted.me.principal.name)
        .await;
    after(&state, &ctx, &posted.me, owner, result).await
}
