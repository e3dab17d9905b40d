//! Sign-in through the province's single sign-on, by OpenID Connect (authorization code flow
//! with PKCE, a state bound to the browser and a nonce): the console sends the browser to the
//! provider, which sends it back with a code; the hub exchanges the code for an ID token and
//! checks its signature against the provider's published keys, its issuer, audience, expiry and
//! nonce. The token's claim names the person; the account, its role and whether it is enabled
//! stay the hub's (an operator adds it with `lgsp user add NAME --role ROLE --sso`): a person
//! the provider knows and the hub does not is refused.

use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use sha2::Digest as _;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub use crate::settings::sso::SsoSettings;

/// Errors of single sign-on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the sign-on provider at {url} did not answer as expected: {detail}")]
    Provider { url: String, detail: String },
    #[error("this sign-in was not started here, was finished already or took over 10 minutes: sign in again")]
    State,
    #[error("the sign-on provider refused the code ({status}): {detail}")]
    Token { status: u16, detail: String },
    #[error("the ID token does not hold: {0}")]
    IdToken(String),
    #[error("the ID token has no text claim '{0}' (set LGSP_SSO_USERNAME_CLAIM to the claim that names the account)")]
    Claim(String),
    #[error("LGSP_SSO_ISSUER is set but LGSP_SSO_CLIENT_ID is not: register the hub with the provider and set both")]
    Settings,
}

type Result<T> = std::result::Result<T, Error>;

/// What the provider's discovery document says.
#[derive(Debug, Clone, Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
}

/// A sign-in under way: what its callback must match.
struct Pending {
    nonce: String,
    verifier: String,
    redirect_url: String,
    started: Instant,
}

/// How long a person has to sign in at the provider.
const PENDING_FOR: Duration = Duration::from_secs(600);
/// Sign-ins under way kept at most (anyone may start one): the oldest goes first.
const MAX_PENDING: usize = 10_000;
/// Signature algorithms accepted on ID tokens (asymmetric only: never `none` or a shared secret).
const ALGORITHMS: [Algorithm; 8] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
];

/// A sign-in started: send the browser to `url`; bind `state` to it (a cookie).
pub struct Started {
    pub url: String,
    pub state: String,
}

/// The single sign-on client of `lgsp serve`.
pub struct Sso {
    settings: SsoSettings,
    http: reqwest::Client,
    discovery: tokio::sync::Mutex<Option<Discovery>>,
    keys: tokio::sync::Mutex<jsonwebtoken::jwk::JwkSet>,
    pending: Mutex<HashMap<String, Pending>>,
}

impl Sso {
    pub fn new(settings: SsoSettings) -> Result<Sso> {
        if settings.client_id.is_empty() {
            return Err(Error::Settings);
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::Provider { url: settings.issuer.clone(), detail: e.to_string() })?;
        Ok(Sso {
            settings,
            http,
            discovery: Default::default(),
            keys: tokio::sync::Mutex::new(jsonwebtoken::jwk::JwkSet { keys: Vec::new() }),
            pending: Mutex::default(),
        })
    }

    /// The callback address: the one set, else `<base>/login/sso/callback`.
    pub fn redirect_url(&self, base: &str) -> String {
        self.settings.redirect_url.clone().unwrap_or_else(|| format!("{base}/login/sso/callback"))
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T> {
        let failed = |detail: String| Error::Provider { url: url.to_string(), detail };
        let answer = self.http.get(url).send().await.map_err(|e| failed(e.to_string()))?;
        let answer = answer.error_for_status().map_err(|e| failed(e.to_string()))?;
        let text = answer.text().await.map_err(|e| failed(e.to_string()))?;
        serde_json::from_str(&text).map_err(|e| failed(e.to_string()))
    }

    async fn discovery(&self) -> Result<Discovery> {
        let mut cached = self.discovery.lock().await;
        if let Some(d) = cached.as_ref() {
            return Ok(d.clone());
        }
        let url = format!("{}/.well-known/openid-configuration", self.settings.issuer);
        let d: Discovery = self.get_json(&url).await?;
        if d.issuer.trim_end_matches('/') != self.settings.issuer {
            let detail = format!("its discovery document names issuer {}", d.issuer);
            return Err(Error::Provider { url, detail });
        }
        *cached = Some(d.clone());
        Ok(d)
    }

    /// Starts a sign-in whose callback is `redirect_url`.
    pub async fn start(&self, redirect_url: &str) -> Result<Started> {
        let d = self.discovery().await?;
        let (state, nonce, verifier) =
            (crate::access::random_token(24), crate::access::random_token(24), crate::access::random_token(32));
        let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(&verifier));
        let mut url = url::Url::parse(&d.authorization_endpoint)
            .map_err(|e| Error::Provider { url: d.authorization_endpoint.clone(), detail: e.to_string() })?;
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.settings.client_id)
            .append_pair("redirect_uri", redirect_url)
            .append_pair("scope", "openid profile email")
            .append_pair("state", &state)
            .append_pair("nonce", &nonce)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256");
        if let Ok(mut pending) = self.pending.lock() {
            pending.retain(|_, p| p.started.elapsed() < PENDING_FOR);
            if pending.len() >= MAX_PENDING {
                let oldest = pending.iter().min_by_key(|(_, p)| p.started).map(|(k, _)| k.clone());
                if let Some(k) = oldest {
                    pending.remove(&k);
                }
            }
            let redirect_url = redirect_url.to_string();
            pending.insert(state.clone(), Pending { nonce, verifier, redirect_url, started: Instant::now() });
        }
        Ok(Started { url: url.into(), state })
    }

    /// Finishes the sign-in `state` with the provider's `code`: the account name the verified
    /// ID token gives. A state is used once.
    pub async fn finish(&self, state: &str, code: &str) -> Result<String> {
        let pending = self.pending.lock().ok().and_then(|mut p| p.remove(state));
        let pending = pending.filter(|p| p.started.elapsed() < PENDING_FOR).ok_or(Error::State)?;
        let d = self.discovery().await?;
        let answer = self
            .http
            .post(&d.token_endpoint)
            .basic_auth(&self.settings.client_id, Some(&self.settings.client_secret))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", &pending.redirect_url),
                ("code_verifier", &pending.verifier),
            ])
            .send()
            .await
            .map_err(|e| Error::Provider { url: d.token_endpoint.clone(), detail: e.to_string() })?;
        let status = answer.status();
        let body = answer.text().await.unwrap_or_default();
        if !status.is_success() {
            return Err(Error::Token { status: status.as_u16(), detail: body.chars().take(300).collect() });
        }
        #[derive(Deserialize)]
        struct Tokens {
            id_token: String,
        }
        let tokens: Tokens = serde_json::from_str(&body)
            .map_err(|e| Error::Provider { url: d.token_endpoint.clone(), detail: format!("no ID token: {e}") })?;
        let claims = self.verify(&d, &tokens.id_token).await?;
        if claims.get("nonce").and_then(|n| n.as_str()) != Some(pending.nonce.as_str()) {
            return Err(Error::IdToken("its nonce is not this sign-in's".into()));
        }
        let claim = &self.settings.username_claim;
        claims.get(claim).and_then(|v| v.as_str()).map(str::to_string).ok_or_else(|| Error::Claim(claim.clone()))
    }

    /// The claims of `token` once its signature (by a key the provider publishes), issuer,
    /// audience and expiry hold.
    async fn verify(&self, d: &Discovery, token: &str) -> Result<serde_json::Map<String, serde_json::Value>> {
        let bad = |e: jsonwebtoken::errors::Error| Error::IdToken(e.to_string());
        let header = jsonwebtoken::decode_header(token).map_err(bad)?;
        if !ALGORITHMS.contains(&header.alg) {
            return Err(Error::IdToken(format!("signed with {:?}, not an accepted algorithm", header.alg)));
        }
        let key = self.key(d, header.kid.as_deref()).await?;
        let mut v = Validation::new(header.alg);
        v.set_issuer(&[&d.issuer]);
        v.set_audience(&[&self.settings.client_id]);
        v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        Ok(jsonwebtoken::decode(token, &key, &v).map_err(bad)?.claims)
    }

    /// The provider's key `kid`, fetching its keys again when it is not known (keys rotate).
    async fn key(&self, d: &Discovery, kid: Option<&str>) -> Result<DecodingKey> {
        let mut keys = self.keys.lock().await;
        let find = |set: &jsonwebtoken::jwk::JwkSet| match kid {
            Some(kid) => set.find(kid).cloned(),
            None => (set.keys.len() == 1).then(|| set.keys[0].clone()),
        };
        let jwk = match find(&keys) {
            Some(jwk) => jwk,
            None => {
                *keys = self.get_json(&d.jwks_uri).await?;
                find(&keys).ok_or_else(|| {
                    Error::IdToken(format!("signed by key {kid:?}, which the provider does not publish"))
                })?
            }
        };
        DecodingKey::from_jwk(&jwk).map_err(|e| Error::IdToken(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_id_is_needed() {
        let mut s = None;
        SsoSettings::apply_env(&mut s, |k| (k == "LGSP_SSO_ISSUER").then(|| "https://sso.tinh.gov.vn".to_string()));
        assert!(matches!(Sso::new(s.unwrap()), Err(Error::Settings)));
    }
}
