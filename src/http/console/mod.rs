//! The web console at `/` (the integration portal): sign-in with local accounts, pages per role,
//! Vietnamese by default with English at `/lang/en`. Sessions ride an HttpOnly, SameSite=Strict
//! cookie; every form carries the session's CSRF token (the sign-in form a token of its own,
//! also in a cookie); every page has a strict Content-Security-Policy and is an audit-log entry
//! under `user:<name>`, like any request.

mod access;
mod actions;
mod catalog_changes;
mod catalogs;
mod changes;
mod crosswalk;
mod entities;
mod golden;
mod pages;
mod pipelines;
mod quarantine;
mod reports;
mod review;
mod revoke;
mod rows;
mod runs;
mod sso;
mod words;

use super::auth::AuditInfo;
use super::AppState;
use crate::console::{Area, Role, Session};
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use words::Words;

const SESSION_COOKIE: &str = "lgsp_session";
const LOGIN_COOKIE: &str = "lgsp_login";
const LANG_COOKIE: &str = "lgsp_lang";

/// The console's routes.
pub(super) fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/", get(pages::overview))
        .route("/login", get(login_page).post(login))
        .route("/login/sso", get(sso::start))
        .route("/login/sso/callback", get(sso::callback))
        .route("/logout", post(logout))
        .route("/lang/{code}", get(lang))
        .route("/console.css", get(css))
        .route("/datasets", get(pages::datasets))
        .route("/datasets/{name}", get(quarantine::dataset))
        .route("/datasets/{name}/quarantine.csv", get(quarantine::quarantine_csv))
        .route("/datasets/{name}/changes", get(changes::changes))
        .route("/datasets/{name}/rows", get(rows::rows))
        .route("/access", get(access::access))
        .route("/access/clients", post(access::create_client))
        .route("/access/grants", post(access::add_grant))
        .route("/access/clients/{id}/revoke", post(revoke::revoke_client))
        .route("/access/grants/{id}/revoke", post(revoke::revoke_grant))
        .route("/audit", get(access::audit))
        .route("/audit/verify", post(access::verify))
        .route("/catalogs", get(catalogs::catalogs))
        .route("/catalogs/{id}", get(catalogs::catalog))
        .route("/catalogs/{id}/versions/{version}", get(catalog_changes::version))
        .route("/catalogs/{id}/crosswalk", get(crosswalk::crosswalk))
        .route("/pipelines", get(pipelines::pipelines))
        .route("/pipelines/check", post(pipelines::check))
        .route("/pipelines/upload", post(pipelines::upload))
        .route("/reports", get(reports::reports))
        .route("/reports/download", get(reports::download))
        .route("/runs", get(runs::runs))
        .route("/runs/now", post(actions::run_now))
        .route("/runs/{id}", get(runs::run))
        .route("/runs/{id}/decision", post(actions::decide))
        .route("/entities", get(entities::first))
        .route("/entities/{entity}", get(entities::entities))
        .route("/entities/{entity}/correct", post(entities::correct))
        .route("/review", get(review::queue))
        .route("/review/{id}", get(review::pair).post(review::decide))
        .layer(axum::middleware::map_response(secure_headers))
}

/// Headers of every console answer: a strict CSP (nothing but the hub's own files), no framing,
/// no sniffing, no caching of pages that hold data.
async fn secure_headers(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    h.entry("cache-control").or_insert(HeaderValue::from_static("no-store"));
    r
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The words of the language the browser chose.
fn words(headers: &HeaderMap) -> &'static Words {
    words::of(cookie(headers, LANG_COOKIE))
}

/// `Set-Cookie` text: HttpOnly, SameSite=Strict, Secure when the hub is reached over HTTPS.
fn set_cookie(state: &AppState, name: &str, value: &str, max_age: i64) -> HeaderValue {
    set_cookie_for(state, name, value, max_age, "Strict")
}

/// `Set-Cookie` text with the SameSite rule `same_site` (`Lax` for a cookie that must come
/// back with a navigation from another site).
fn set_cookie_for(state: &AppState, name: &str, value: &str, max_age: i64, same_site: &str) -> HeaderValue {
    let secure = if state.public_url.as_deref().is_some_and(|u| u.starts_with("https://")) { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{name}={value}; Path=/; HttpOnly; SameSite={same_site}; Max-Age={max_age}{secure}"))
        .unwrap_or_else(|_| HeaderValue::from_static("lgsp_invalid=; Max-Age=0"))
}

/// A file to download: its bytes, media type and name (a name that cannot be a header value is
/// left out rather than failing the answer).
fn download(bytes: Vec<u8>, mime: &'static str, file_name: &str) -> Response {
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    h.insert("content-type", HeaderValue::from_static(mime));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\"")) {
        h.insert("content-disposition", v);
    }
    r
}

/// A signed-in person, with what the role may open (for the menu).
#[derive(Clone)]
pub(crate) struct Person {
    pub(crate) user: String,
    pub(crate) role: &'static str,
    pub(crate) csrf: String,
    pub(crate) datasets: bool,
    pub(crate) review: bool,
    pub(crate) runs: bool,
    pub(crate) access: bool,
    pub(crate) audit: bool,
    pub(crate) reports: bool,
    role_of: Role,
    pub(crate) w: &'static Words,
}

impl Person {
    fn of(s: Session, w: &'static Words) -> Person {
        Person {
            datasets: s.role.may(Area::Datasets),
            review: s.role.may(Area::Review),
            runs: s.role.may(Area::Runs),
            access: s.role.may(Area::Access),
            audit: s.role.may(Area::Audit),
            reports: s.role.may(Area::Reports),
            role: s.role.as_str(),
            role_of: s.role,
            user: s.user,
            csrf: s.csrf,
            w,
        }
    }

    /// The page saying the role may not open `area` (403), if it may not.
    pub(crate) fn refusal(&self, area: Area) -> Option<Response> {
        (!self.role_of.may(area))
            .then(|| page(StatusCode::FORBIDDEN, &pages::Denied { w: self.w, person: Some(self.clone()) }))
    }

    /// The refusal of a form posted without this session's token, or by a role that may not
    /// act in `area`.
    pub(crate) fn form_refusal(&self, form: &HashMap<String, String>, area: Area) -> Option<Response> {
        if form.get("csrf") != Some(&self.csrf) {
            return Some(forged(self.w));
        }
        self.refusal(area)
    }

    /// Appends the `admin` entry of this person's action (before the action: none without its
    /// entry); the answer to give when the log cannot take it.
    pub(crate) async fn log_action(
        &self,
        state: &AppState,
        action: &str,
        agency: &str,
        detail: serde_json::Value,
    ) -> Result<(), Response> {
        let entry = crate::audit::admin_entry(&format!("user:{}", self.user), action, agency, detail);
        state.audit.append(entry).await.map(|_| ()).map_err(|e| server_error(&e))
    }
}

impl FromRequestParts<AppState> for Person {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Person, Response> {
        let id = cookie(&parts.headers, SESSION_COOKIE).unwrap_or_default().to_string();
        let session = match id.is_empty() {
            true => None,
            false => crate::console::session(&state.store, &id).await.map_err(|e| server_error(&e))?,
        };
        let Some(session) = session else { return Err(Redirect::to("/login").into_response()) };
        if let Some(info) = parts.extensions.get::<Arc<Mutex<AuditInfo>>>() {
            if let Ok(mut i) = info.lock() {
                i.client_id = format!("user:{}", session.user);
            }
        }
        Ok(Person::of(session, words(&parts.headers)))
    }
}

fn server_error(e: &dyn std::fmt::Display) -> Response {
    tracing::error!(error = %e, "console");
    (StatusCode::SERVICE_UNAVAILABLE, "the store cannot be read: try again shortly").into_response()
}

/// A rendered page.
pub(crate) fn page(status: StatusCode, t: &impl askama::Template) -> Response {
    match t.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => server_error(&e),
    }
}

async fn css() -> Response {
    let mut r = include_str!("../../../templates/console/console.css").into_response();
    r.headers_mut().insert("content-type", HeaderValue::from_static("text/css; charset=utf-8"));
    r.headers_mut().insert("cache-control", HeaderValue::from_static("max-age=3600"));
    r
}

/// `GET /lang/{vi|en}`: remembers the language, back to the overview.
async fn lang(State(state): State<AppState>, Path(code): Path<String>) -> Response {
    let code = if code == "en" { "en" } else { "vi" };
    let mut r = Redirect::to("/").into_response();
    r.headers_mut().insert("set-cookie", set_cookie(&state, LANG_COOKIE, code, 365 * 86_400));
    r
}

/// `GET /login`: the form, with a fresh token also set in a cookie (double submit).
async fn login_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    login_form(&state, words(&headers), false)
}

fn login_form(state: &AppState, w: &'static Words, failed: bool) -> Response {
    let csrf = crate::access::random_token(24);
    let status = if failed { StatusCode::UNAUTHORIZED } else { StatusCode::OK };
    let mut r = page(status, &pages::Login { w, person: None, csrf: csrf.clone(), failed, sso: state.sso.is_some() });
    r.headers_mut().insert("set-cookie", set_cookie(state, LOGIN_COOKIE, &csrf, 3600));
    r
}

/// A form whose token does not match: refused, nothing done.
pub(crate) fn forged(w: &'static Words) -> Response {
    page(StatusCode::FORBIDDEN, &pages::Denied { w, person: None })
}

/// `POST /login`: signs in; failures throttled like `/token` (per name and per address).
async fn login(
    State(state): State<AppState>,
    Extension(audit): Extension<Arc<Mutex<AuditInfo>>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let w = words(&headers);
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or_default();
    if field("csrf").is_empty() || cookie(&headers, LOGIN_COOKIE) != Some(field("csrf")) {
        return forged(w);
    }
    let name: String = field("name").chars().filter(|c| !c.is_control()).take(64).collect();
    let peer = audit.lock().map(|i| i.peer.clone()).unwrap_or_default();
    if let Ok(mut i) = audit.lock() {
        i.client_id = format!("user:{name}");
    }
    let ip = peer.parse::<std::net::SocketAddr>().map(|a| a.ip().to_string()).unwrap_or(peer);
    let (by_user, by_address) = (format!("user:{name}"), format!("address:{ip}"));
    if state.client_failures.check(&by_user).and(state.address_failures.check(&by_address)).is_err() {
        return (StatusCode::TOO_MANY_REQUESTS, "too many failed sign-ins: wait a minute").into_response();
    }
    let role = match crate::console::authenticate(&state.store, &name, field("password")).await {
        Ok(Some(role)) => role,
        Ok(None) => {
            state.client_failures.fail(&by_user);
            state.address_failures.fail(&by_address);
            return login_form(&state, w, true);
        }
        Err(e) => return server_error(&e),
    };
    state.client_failures.clear(&by_user);
    match crate::console::sign_in(&state.store, &name, role).await {
        Ok((id, _)) => {
            let mut r = Redirect::to("/").into_response();
            let max_age = crate::console::LIFETIME.num_seconds();
            r.headers_mut().append("set-cookie", set_cookie(&state, SESSION_COOKIE, &id, max_age));
            r.headers_mut().append("set-cookie", set_cookie(&state, LOGIN_COOKIE, "", 0));
            r
        }
        Err(e) => server_error(&e),
    }
}

/// `POST /logout`: ends the session (its CSRF token required).
async fn logout(
    State(state): State<AppState>,
    person: Person,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if form.get("csrf") != Some(&person.csrf) {
        return forged(person.w);
    }
    if let Some(id) = cookie(&headers, SESSION_COOKIE) {
        if let Err(e) = crate::console::sign_out(&state.store, id).await {
            return server_error(&e);
        }
    }
    let mut r = Redirect::to("/login").into_response();
    r.headers_mut().insert("set-cookie", set_cookie(&state, SESSION_COOKIE, "", 0));
    r
}
