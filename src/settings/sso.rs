//! Single sign-on settings: the province's OpenID Connect provider the console signs people in
//! with (see `console::sso`).

use serde::Deserialize;

/// Single sign-on settings: `[sso]` in `lgsp.toml` or the `LGSP_SSO_*` variables.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SsoSettings {
    /// The provider's issuer URL; its discovery document is
    /// `<issuer>/.well-known/openid-configuration`. Env: `LGSP_SSO_ISSUER`.
    pub issuer: String,
    /// The hub's client id at the provider. Env: `LGSP_SSO_CLIENT_ID`.
    #[serde(default)]
    pub client_id: String,
    /// The hub's client secret (sent with HTTP Basic authentication).
    /// Env: `LGSP_SSO_CLIENT_SECRET`.
    #[serde(default)]
    pub client_secret: String,
    /// Where the provider sends the browser back, as registered with it (default
    /// `<public URL>/login/sso/callback`, or the address the request was sent to).
    /// Env: `LGSP_SSO_REDIRECT_URL`.
    #[serde(default)]
    pub redirect_url: Option<String>,
    /// The ID token's claim naming the hub account (default `preferred_username`).
    /// Env: `LGSP_SSO_USERNAME_CLAIM`.
    #[serde(default = "default_claim")]
    pub username_claim: String,
}

fn default_claim() -> String {
    "preferred_username".into()
}

impl std::fmt::Debug for SsoSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SsoSettings").field("issuer", &self.issuer).field("client_id", &self.client_id).finish()
    }
}

impl SsoSettings {
    /// Applies the `LGSP_SSO_*` variables over `current` (the issuer turns sign-on on).
    pub fn apply_env(current: &mut Option<SsoSettings>, get: impl Fn(&str) -> Option<String>) {
        if let Some(issuer) = get("LGSP_SSO_ISSUER").filter(|v| !v.trim().is_empty()) {
            let s = current.get_or_insert_with(|| SsoSettings {
                issuer: String::new(),
                client_id: String::new(),
                client_secret: String::new(),
                redirect_url: None,
                username_claim: default_claim(),
            });
            s.issuer = issuer.trim().trim_end_matches('/').to_string();
        }
        let Some(s) = current.as_mut() else { return };
        if let Some(v) = get("LGSP_SSO_CLIENT_ID") {
            s.client_id = v;
        }
        if let Some(v) = get("LGSP_SSO_CLIENT_SECRET") {
            s.client_secret = v;
        }
        if let Some(v) = get("LGSP_SSO_REDIRECT_URL") {
            s.redirect_url = Some(v).filter(|v| !v.is_empty());
        }
        if let Some(v) = get("LGSP_SSO_USERNAME_CLAIM").filter(|v| !v.is_empty()) {
            s.username_claim = v;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issuer_variable_turns_sign_on_on_and_the_others_refine_it() {
        let mut s = None;
        SsoSettings::apply_env(&mut s, |k| (k == "LGSP_SSO_CLIENT_ID").then(|| "hub".to_string()));
        assert!(s.is_none(), "no issuer, no sign-on");
        let vars = [
            ("LGSP_SSO_ISSUER", "https://sso.tinh.gov.vn/realms/x/"),
            ("LGSP_SSO_CLIENT_ID", "hub"),
            ("LGSP_SSO_CLIENT_SECRET", "secret-value"),
        ];
        SsoSettings::apply_env(&mut s, |k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string()));
        let s = s.unwrap();
        assert_eq!((s.issuer.as_str(), s.client_id.as_str()), ("https://sso.tinh.gov.vn/realms/x", "hub"));
        assert_eq!(s.username_claim, "preferred_username");
        assert!(!format!("{s:?}").contains("secret-value"), "the secret is not printed");
    }
}
