//! OpenID Connect relying party (the `openidconnect` crate speaks the protocol): discovery from the issuer, the
//! authorization code flow with PKCE, `state` and `nonce`, the ID token's signature checked against the provider's
//! JWKS (fetched again when a token names a key it does not hold: the provider rotated its keys), its `iss`, `aud`, `exp`, `iat` and `nonce` checked, the claims read into a [`FederatedIdentity`], and the
//! RP-initiated logout address. Discovery happens at the first sign-in (and again after a failure), so a provider
//! that is down does not keep the server from starting. The sign-ins under way live in the store (see
//! [`crate::accounts::federated`]); this module holds no per-sign-in state.
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreIdToken, CoreJsonWebKeySet, CoreTokenResponse,
};
use openidconnect::{
    AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken, IssuerUrl,
    LogoutRequest, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier,
    PostLogoutRedirectUrl, ProviderMetadataWithLogout, RedirectUrl, Scope,
    SignatureVerificationError, TokenResponse,
};
use tokio::sync::RwLock;

use crate::accounts::Role;
use crate::accounts::federated::FederatedIdentity;

/// How the server signs people in through an OpenID Provider (`--oidc-*`).
#[derive(Debug, Clone)]
pub struct OidcConfig {
    /// The issuer (`--oidc-issuer`); its `/.well-known/openid-configuration` is read.
    pub issuer: String,
    /// This server's client id at the provider.
    pub client_id: String,
    /// Its secret.
    pub client_secret: String,
    /// The address the provider sends people back to (`…/login/oidc/callback`).
    pub redirect_url: String,
    /// Where the provider sends people after signing out (`…/login`).
    pub post_logout_redirect_url: String,
    /// The claim naming the agency (`agency`).
    pub agency_claim: String,
    /// The claim listing groups (`groups`).
    pub groups_claim: String,
    /// Which group grants which role (`GROUP=ROLE`), the first match winning.
    pub group_roles: Vec<(String, Role)>,
    /// The scopes asked for besides `openid`.
    pub scopes: Vec<String>,
}

impl OidcConfig {
    /// The default claims and scopes for `issuer`, with the addresses under `base` (this server's public address).
    pub fn new(issuer: &str, client_id: &str, client_secret: &str, base: &str) -> Self {
        let base = base.trim_end_matches('/');
        Self {
            issuer: issuer.to_owned(),
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            redirect_url: format!("{base}/login/oidc/callback"),
            post_logout_redirect_url: format!("{base}/login"),
            agency_claim: "agency".into(),
            groups_claim: "groups".into(),
            group_roles: Vec::new(),
            scopes: vec!["profile".into(), "email".into()],
        }
    }
}

/// Parses `GROUP=ROLE`.
pub fn parse_group_role(s: &str) -> Result<(String, Role), String> {
    let (group, role) = s
        .rsplit_once('=')
        .ok_or_else(|| format!("{s:?} is not GROUP=ROLE (opendata-publishers=publisher)"))?;
    let role = Role::parse(role.trim()).ok_or_else(|| format!("{role:?} is not a role"))?;
    Ok((group.trim().to_owned(), role))
}

/// Why a sign-in was refused: each has its own sentence on the page the person sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInFailure {
    /// The `state` came back unknown, used or expired, or not from this browser.
    WrongState,
    /// The authorization code had been presented before.
    ReplayedCode,
    /// The provider refused to exchange the code (expired, used, or not ours).
    CodeRefused,
    /// The ID token's nonce is not the one sent.
    WrongNonce,
    /// The ID token is for another client.
    WrongAudience,
    /// The ID token was issued by someone else.
    WrongIssuer,
    /// The ID token has expired, or its issue time is out of bounds.
    Expired,
    /// The ID token is signed with a key the provider does not publish.
    UnknownKey,
    /// The signature does not verify, or the token is malformed.
    BadSignature,
    /// The provider said no (the person cancelled, or an error at the provider).
    ProviderError,
    /// The provider cannot be reached or answered nonsense.
    Unreachable,
}

impl SignInFailure {
    /// A stable name for logs and tests (`data-reason` on the page).
    pub fn code(self) -> &'static str {
        match self {
            Self::WrongState => "wrong-state",
            Self::ReplayedCode => "replayed-code",
            Self::CodeRefused => "code-refused",
            Self::WrongNonce => "wrong-nonce",
            Self::WrongAudience => "wrong-audience",
            Self::WrongIssuer => "wrong-issuer",
            Self::Expired => "expired",
            Self::UnknownKey => "unknown-key",
            Self::BadSignature => "bad-signature",
            Self::ProviderError => "provider-error",
            Self::Unreachable => "provider-unreachable",
        }
    }
}

/// What the provider told us, checked.
#[derive(Debug, Clone)]
pub struct VerifiedSignIn {
    /// Who.
    pub identity: FederatedIdentity,
    /// The raw ID token (the logout hint).
    pub id_token: String,
}

/// A fresh authorization request: send the browser to `url`; keep the rest server-side.
#[derive(Debug, Clone)]
pub struct AuthorizationStart {
    /// The provider's authorization address with every parameter.
    pub url: String,
    /// `state`.
    pub state: String,
    /// `nonce`.
    pub nonce: String,
    /// PKCE verifier.
    pub pkce_verifier: String,
}

struct Discovered {
    metadata: ProviderMetadataWithLogout,
}

/// The relying party.
pub struct Oidc {
    config: OidcConfig,
    http: reqwest::Client,
    discovered: RwLock<Option<Arc<Discovered>>>,
}

/// The leeway for `iat` in the future (clocks differ a little).
const IAT_SKEW_SECS: i64 = 60;
/// The oldest `iat` accepted.
const IAT_MAX_AGE_SECS: i64 = 3600;

impl Oidc {
    /// A relying party for `config` (nothing is fetched yet).
    pub fn new(config: OidcConfig) -> Result<Self, String> {
        IssuerUrl::new(config.issuer.clone()).map_err(|e| format!("--oidc-issuer: {e}"))?;
        RedirectUrl::new(config.redirect_url.clone())
            .map_err(|e| format!("the OIDC redirect address: {e}"))?;
        let http = reqwest::Client::builder()
            // The provider's endpoints answer directly; following redirects would let them point us anywhere.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            config,
            http,
            discovered: RwLock::new(None),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &OidcConfig {
        &self.config
    }

    async fn discovered(&self) -> Result<Arc<Discovered>, SignInFailure> {
        if let Some(d) = self.discovered.read().await.clone() {
            return Ok(d);
        }
        let issuer =
            IssuerUrl::new(self.config.issuer.clone()).map_err(|_| SignInFailure::Unreachable)?;
        let metadata = ProviderMetadataWithLogout::discover_async(issuer, &self.http)
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "OpenID Provider discovery failed");
                SignInFailure::Unreachable
            })?;
        let d = Arc::new(Discovered { metadata });
        *self.discovered.write().await = Some(d.clone());
        Ok(d)
    }

    /// Fetches the JWKS again (the provider rotated its keys); true when fetched. ID tokens reach us only from the
    /// provider's token endpoint, over a connection we opened, so outsiders cannot make us fetch.
    async fn refresh_jwks(&self, seen: &Arc<Discovered>) -> bool {
        let uri = seen.metadata.jwks_uri().clone();
        match CoreJsonWebKeySet::fetch_async(&uri, &self.http).await {
            Ok(jwks) => {
                let d = Arc::new(Discovered {
                    metadata: seen.metadata.clone().set_jwks(jwks),
                });
                *self.discovered.write().await = Some(d);
                true
            }
            Err(e) => {
                tracing::warn!(error = %e, "fetching the OpenID Provider's keys failed");
                false
            }
        }
    }

    fn client(
        &self,
        d: &Discovered,
    ) -> Result<
        CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
        SignInFailure,
    > {
        Ok(CoreClient::from_provider_metadata(
            d.metadata.clone(),
            ClientId::new(self.config.client_id.clone()),
            Some(ClientSecret::new(self.config.client_secret.clone())),
        )
        .set_redirect_uri(
            RedirectUrl::new(self.config.redirect_url.clone())
                .map_err(|_| SignInFailure::Unreachable)?,
        ))
    }

    /// Starts a sign-in: the authorization address with a fresh `state`, `nonce` and PKCE challenge (S256).
    pub async fn start(&self, ui_locale: &str) -> Result<AuthorizationStart, SignInFailure> {
        let d = self.discovered().await?;
        let client = self.client(&d)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge)
            .add_extra_param("ui_locales", ui_locale);
        for scope in &self.config.scopes {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.url();
        Ok(AuthorizationStart {
            url: url.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Ends a sign-in: exchanges `code` (with the PKCE verifier), verifies the ID token against `nonce`, and reads
    /// the identity from its claims.
    pub async fn finish(
        &self,
        code: &str,
        pkce_verifier: &str,
        nonce: &str,
        iss: Option<&str>,
    ) -> Result<VerifiedSignIn, SignInFailure> {
        let d = self.discovered().await?;
        // RFC 9207: when the provider names itself in the response, it must be the one we asked.
        if let Some(iss) = iss
            && iss != d.metadata.issuer().as_str()
        {
            return Err(SignInFailure::WrongIssuer);
        }
        let client = self.client(&d)?;
        let response: CoreTokenResponse = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|_| SignInFailure::Unreachable)?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
            .request_async(&self.http)
            .await
            .map_err(|e| {
                tracing::info!(error = %e, "the OpenID Provider refused the code");
                match e {
                    openidconnect::RequestTokenError::ServerResponse(_) => {
                        SignInFailure::CodeRefused
                    }
                    _ => SignInFailure::Unreachable,
                }
            })?;
        let _ = response.access_token();
        let id_token = response
            .id_token()
            .ok_or(SignInFailure::BadSignature)?
            .clone();
        let nonce = Nonce::new(nonce.to_owned());
        match self.verify(&d, &id_token, &nonce) {
            Err(SignInFailure::UnknownKey) if self.refresh_jwks(&d).await => {
                let d = self.discovered().await?;
                self.verify(&d, &id_token, &nonce)?;
            }
            other => other?,
        }
        let raw = id_token.to_string();
        Ok(VerifiedSignIn {
            identity: self.identity(&raw)?,
            id_token: raw,
        })
    }

    fn verify(
        &self,
        d: &Discovered,
        token: &CoreIdToken,
        nonce: &Nonce,
    ) -> Result<(), SignInFailure> {
        let client = self.client(d)?;
        let verifier = client
            .id_token_verifier()
            .set_issue_time_verifier_fn(|iat| {
                let now = chrono::Utc::now();
                if iat > now + chrono::Duration::seconds(IAT_SKEW_SECS) {
                    Err(format!("issued in the future ({iat})"))
                } else if iat < now - chrono::Duration::seconds(IAT_MAX_AGE_SECS) {
                    Err(format!("issued too long ago ({iat})"))
                } else {
                    Ok(())
                }
            });
        token.claims(&verifier, nonce).map(|_| ()).map_err(|e| {
            tracing::info!(error = %e, "ID token refused");
            match e {
                ClaimsVerificationError::Expired(_) => SignInFailure::Expired,
                ClaimsVerificationError::InvalidAudience(_) => SignInFailure::WrongAudience,
                ClaimsVerificationError::InvalidIssuer(_) => SignInFailure::WrongIssuer,
                ClaimsVerificationError::InvalidNonce(_) => SignInFailure::WrongNonce,
                ClaimsVerificationError::SignatureVerification(
                    SignatureVerificationError::NoMatchingKey,
                ) => SignInFailure::UnknownKey,
                _ => SignInFailure::BadSignature,
            }
        })
    }

    /// The identity in a verified ID token's payload (the standard claims and the configured agency and groups).
    fn identity(&self, raw: &str) -> Result<FederatedIdentity, SignInFailure> {
        let payload = raw.split('.').nth(1).ok_or(SignInFailure::BadSignature)?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .map_err(|_| SignInFailure::BadSignature)?;
        let claims: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|_| SignInFailure::BadSignature)?;
        Ok(identity_from_claims(&self.config, &claims))
    }

    /// The provider's logout address for a session opened with `id_token` (`None` when it has none).
    pub async fn logout_url(&self, id_token: &str) -> Option<String> {
        let d = self.discovered().await.ok()?;
        let endpoint = d
            .metadata
            .additional_metadata()
            .end_session_endpoint
            .clone()?;
        let token: CoreIdToken = id_token.parse().ok()?;
        let mut request = LogoutRequest::from(endpoint)
            .set_id_token_hint(&token)
            .set_client_id(ClientId::new(self.config.client_id.clone()));
        if let Ok(url) = PostLogoutRedirectUrl::new(self.config.post_logout_redirect_url.clone()) {
            request = request.set_post_logout_redirect_uri(url);
        }
        Some(request.http_get_url().to_string())
    }
}

/// Reads the identity from verified claims.
pub fn identity_from_claims(config: &OidcConfig, claims: &serde_json::Value) -> FederatedIdentity {
    let text = |name: &str| {
        claims
            .get(name)
            .and_then(|v| v.as_str())
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let subject = text("sub").unwrap_or_default();
    let email = text("email")
        .filter(|_| claims.get("email_verified") != Some(&serde_json::Value::Bool(false)));
    let groups: Vec<String> = match claims.get(&config.groups_claim) {
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        Some(serde_json::Value::String(s)) => s
            .split([',', ' '])
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    };
    let role = config
        .group_roles
        .iter()
        .find(|(g, _)| groups.iter().any(|h| h == g))
        .map(|(_, r)| *r);
    FederatedIdentity {
        display_name: text("name")
            .or_else(|| text("preferred_username"))
            .or_else(|| email.clone())
            .unwrap_or_else(|| subject.clone()),
        subject,
        email,
        agency: text(&config.agency_claim),
        role,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_map_to_the_first_matching_role() {
        let mut config = OidcConfig::new("http://op", "c", "s", "http://rp/");
        assert_eq!(config.redirect_url, "http://rp/login/oidc/callback");
        config.group_roles = vec![
            parse_group_role("admins=admin").unwrap(),
            parse_group_role("pubs=publisher").unwrap(),
        ];
        let claims = serde_json::json!({"sub": "u1", "groups": ["x", "pubs"], "agency": "G12", "email": "a@b",
            "email_verified": false});
        let who = identity_from_claims(&config, &claims);
        assert_eq!(who.role, Some(Role::Publisher));
        assert_eq!(who.agency.as_deref(), Some("G12"));
        assert_eq!(who.email, None, "an unverified address is not taken");
        assert_eq!(who.display_name, "u1");
        let none = identity_from_claims(&config, &serde_json::json!({"sub": "u2"}));
        assert_eq!(none.role, None);
        assert!(parse_group_role("nope").is_err());
        assert!(parse_group_role("g=king").is_err());
    }
}
