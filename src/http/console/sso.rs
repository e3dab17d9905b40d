//! Console sign-in through the province's single sign-on: `GET /login/sso` sends the browser to
//! the provider with a state bound to it by a cookie; `GET /login/sso/callback` finishes the
//! sign-in (`console::sso`) and opens a session for the hub account the provider names, if that
//! account exists and is enabled (deny by default). Every callback is in the audit log under the
//! name it claimed, refused or not, like a password sign-in.

use super::super::auth::AuditInfo;
use super::super::AppState;
use super::words::Words;
use super::{cookie, page, set_cookie, set_cookie_for, words, SESSION_COOKIE};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The cookie binding a sign-in under way to the browser that started it.
const SSO_COOKIE: &str = "lgsp_sso";

#[derive(Template)]
#[template(path = "console/sso.html")]
struct Answer {
    w: &'static Words,
    person: Option<super::Person>,
    signed_in: bool,
    message: String,
}

fn refused(w: &'static Words, status: StatusCode, message: String) -> Response {
    page(status, &Answer { w, person: None, signed_in: false, message })
}

/// The state cookie: SameSite=Lax, since the provider's redirect back is a navigation from
/// another site (a Strict cookie would not come with it).
fn state_cookie(state: &AppState, value: &str, max_age: i64) -> HeaderValue {
    set_cookie_for(state, SSO_COOKIE, value, max_age, "Lax")
}

/// `GET /login/sso`.
pub(super) async fn start(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let w = words(&headers);
    let Some(sso) = state.sso.clone() else {
        let said = "single sign-on is not set up here (LGSP_SSO_ISSUER): sign in with a name and password";
        return refused(w, StatusCode::NOT_FOUND, said.into());
    };
    let base = crate::http::sharing_files::base_url(&state, &headers);
    match sso.start(&sso.redirect_url(&base)).await {
        Ok(started) => {
            let mut r = Redirect::to(&started.url).into_response();
            r.headers_mut().insert("set-cookie", state_cookie(&state, &started.state, 600));
            r
        }
        Err(e) => refused(w, StatusCode::BAD_GATEWAY, e.to_string()),
    }
}

/// `GET /login/sso/callback?code=&state=` (or `?error=&error_description=`).
pub(super) async fn callback(
    State(state): State<AppState>,
    Extension(audit): Extension<Arc<Mutex<AuditInfo>>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let w = words(&headers);
    let Some(sso) = state.sso.clone() else {
        return refused(w, StatusCode::NOT_FOUND, "single sign-on is not set up here".into());
    };
    let get = |k: &str| q.get(k).map(String::as_str).unwrap_or_default();
    if !get("error").is_empty() {
        let said = format!("the sign-on provider said {}: {}", get("error"), get("error_description"));
        return refused(w, StatusCode::UNAUTHORIZED, said.chars().take(300).collect());
    }
    // The state must be the one this browser started with (no sign-in forced on someone else).
    if get("state").is_empty() || cookie(&headers, SSO_COOKIE) != Some(get("state")) {
        return super::forged(w);
    }
    let name = match sso.finish(get("state"), get("code")).await {
        Ok(name) => name,
        Err(e) => return refused(w, StatusCode::UNAUTHORIZED, e.to_string()),
    };
    if let Ok(mut i) = audit.lock() {
        i.client_id = format!("user:{}", name.chars().filter(|c| !c.is_control()).take(64).collect::<String>());
    }
    let account = match state.store.user(&name).await {
        Ok(a) => a.filter(|a| a.disabled_at.is_none()),
        Err(e) => return super::server_error(&e),
    };
    let Some(role) = account.and_then(|a| crate::console::Role::parse(&a.role).ok()) else {
        return refused(w, StatusCode::FORBIDDEN, format!("{} ({name})", w.no_account));
    };
    match crate::console::sign_in(&state.store, &name, role).await {
        Ok((id, _)) => {
            let mut r = page(StatusCode::OK, &Answer { w, person: None, signed_in: true, message: String::new() });
            let max_age = crate::console::LIFETIME.num_seconds();
            r.headers_mut().append("set-cookie", set_cookie(&state, SESSION_COOKIE, &id, max_age));
            r.headers_mut().append("set-cookie", state_cookie(&state, "", 0));
            r
        }
        Err(e) => super::server_error(&e),
    }
}
