//! `/api/v1/admin`: agencies, clients and grants over HTTP, for callers holding the admin
//! credential (an `admin` grant on `*`). Every change is an `admin` entry of the audit log.

use super::auth::Caller;
use super::error::ApiError;
use super::AppState;
use crate::access::{self, GrantRequest};
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

type Reply = Result<Json<Value>, ApiError>;

fn require_admin(caller: &Caller) -> Result<(), ApiError> {
    match access::is_admin(&caller.grants) {
        true => Ok(()),
        false => Err(ApiError::forbidden(
            "the admin API needs the admin credential (a client created with `lgsp client create --admin`)",
        )),
    }
}

fn body<T>(b: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    b.map(|Json(t)| t)
        .map_err(|e| ApiError::bad_request(format!("the body must be JSON of the documented shape: {}", e.body_text())))
}

/// Access errors are the caller's: 404 for what does not exist, 409 for a duplicate, 400 otherwise.
fn user_error(e: access::Error) -> ApiError {
    match e {
        access::Error::NoAgency(_) | access::Error::NoClient(_) => ApiError::not_found(e.to_string()),
        access::Error::AgencyExists(_) => ApiError::new(StatusCode::CONFLICT, "conflict", e.to_string()),
        access::Error::AgencyCode(_) | access::Error::Grant(_) => ApiError::bad_request(e.to_string()),
        e => e.into(),
    }
}

async fn log(state: &AppState, caller: &Caller, action: &str, agency: &str, detail: Value) {
    state.callers.clear();
    if let Err(e) = state.audit.append(crate::audit::admin_entry(&caller.client_id, action, agency, detail)).await {
        tracing::error!(error = %e, "could not append to the audit log");
    }
}

/// `GET /api/v1/admin/agencies`.
pub(crate) async fn list_agencies(State(state): State<AppState>, caller: Caller) -> Reply {
    require_admin(&caller)?;
    let agencies: Vec<_> =
        state.store.agencies().await?.into_iter().map(|(code, name)| json!({ "code": code, "name": name })).collect();
    Ok(Json(json!({ "agencies": agencies })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewAgency {
    code: String,
    name: String,
}

/// `POST /api/v1/admin/agencies` `{code, name}`.
pub(crate) async fn add_agency(
    State(state): State<AppState>,
    caller: Caller,
    b: Result<Json<NewAgency>, JsonRejection>,
) -> Reply {
    require_admin(&caller)?;
    let a = body(b)?;
    access::add_agency(&state.store, &a.code, &a.name).await.map_err(user_error)?;
    log(&state, &caller, "agency add", &a.code, json!({ "name": a.name })).await;
    Ok(Json(json!({ "code": a.code, "name": a.name })))
}

/// `GET /api/v1/admin/agencies/{code}/clients`.
pub(crate) async fn list_clients(State(state): State<AppState>, caller: Caller, Path(code): Path<String>) -> Reply {
    require_admin(&caller)?;
    if state.store.agency(&code).await?.is_none() {
        return Err(user_error(access::Error::NoAgency(code)));
    }
    Ok(Json(json!({ "agency": code, "clients": state.store.clients_of(&code).await? })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewClient {
    agency: String,
}

/// `POST /api/v1/admin/clients` `{agency}`: the secret is in this answer only.
pub(crate) async fn create_client(
    State(state): State<AppState>,
    caller: Caller,
    b: Result<Json<NewClient>, JsonRejection>,
) -> Reply {
    require_admin(&caller)?;
    let c = body(b)?;
    let (id, secret) = access::create_client(&state.store, &c.agency).await.map_err(user_error)?;
    log(&state, &caller, "client create", &c.agency, json!({ "client": id })).await;
    Ok(Json(json!({ "client_id": id, "client_secret": secret, "agency": c.agency })))
}

/// `POST /api/v1/admin/clients/{id}/revoke`: the client and its tokens stop working at once.
pub(crate) async fn revoke_client(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Reply {
    require_admin(&caller)?;
    let agency = state.store.client(&id).await?.map(|c| c.agency).unwrap_or_default();
    if !state.store.revoke_client(&id).await? {
        return Err(user_error(access::Error::NoClient(id)));
    }
    log(&state, &caller, "client revoke", &agency, json!({ "client": id })).await;
    Ok(Json(json!({ "client_id": id, "revoked": true })))
}

/// `GET /api/v1/admin/clients/{id}/grants`: active grants.
pub(crate) async fn list_grants(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Reply {
    require_admin(&caller)?;
    if state.store.client(&id).await?.is_none() {
        return Err(user_error(access::Error::NoClient(id)));
    }
    Ok(Json(json!({ "client_id": id, "grants": state.store.active_grants(&id, &crate::catalog::today()).await? })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewGrant {
    client: String,
    dataset: String,
    scope: String,
    #[serde(default)]
    fields: Option<Vec<String>>,
    #[serde(default)]
    until: Option<String>,
    basis: String,
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    sensitive: bool,
    #[serde(default)]
    protect: crate::protect::Protections,
}

/// `POST /api/v1/admin/grants` `{client, dataset, scope, fields?, until?, basis, purpose?,
/// sensitive?, protect?}`.
pub(crate) async fn add_grant(
    State(state): State<AppState>,
    caller: Caller,
    b: Result<Json<NewGrant>, JsonRejection>,
) -> Reply {
    require_admin(&caller)?;
    let g = body(b)?;
    let req = GrantRequest {
        client_id: &g.client,
        dataset: &g.dataset,
        scope: &g.scope,
        fields: g.fields.clone(),
        until: g.until.clone(),
        basis: &g.basis,
        purpose: &g.purpose,
        sensitive: g.sensitive,
        protect: g.protect.clone(),
        personal_days: state.personal_grant_days,
    };
    let row = access::add_grant(&state.store, req).await.map_err(user_error)?;
    let agency = state.store.client(&g.client).await?.map(|c| c.agency).unwrap_or_default();
    let value = serde_json::to_value(&row).unwrap_or_default();
    log(&state, &caller, "grant add", &agency, value.clone()).await;
    Ok(Json(value))
}

/// `POST /api/v1/admin/grants/{id}/revoke`.
pub(crate) async fn revoke_grant(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Reply {
    require_admin(&caller)?;
    let Some(g) = state.store.grant(&id).await? else {
        return Err(ApiError::not_found(format!("grant '{id}' does not exist")));
    };
    if !state.store.revoke_grant(&id).await? {
        return Err(ApiError::not_found(format!("grant '{id}' is revoked already")));
    }
    let agency = state.store.client(&g.client_id).await?.map(|c| c.agency).unwrap_or_default();
    log(
        &state,
        &caller,
        "grant revoke",
        &agency,
        json!({ "grant": id, "client": g.client_id, "dataset": g.dataset, "scope": g.scope }),
    )
    .await;
    Ok(Json(json!({ "grant": id, "revoked": true })))
}

/// `?format=` of a subject report.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SubjectQuery {
    format: Option<String>,
}

/// `GET /api/v1/admin/subjects/{key}?format=json|html`: the records holding a person and every
/// disclosure of them. The report itself is an `admin` entry of the audit log.
pub(crate) async fn get_subject_report(
    State(state): State<AppState>,
    caller: Caller,
    Path(key): Path<String>,
    Query(q): Query<SubjectQuery>,
) -> Result<Response, ApiError> {
    require_admin(&caller)?;
    let html = match q.format.as_deref() {
        None | Some("json") => false,
        Some("html") => true,
        Some(other) => return Err(ApiError::bad_request(format!("format '{other}': use json or html"))),
    };
    let report = crate::subject::report(&state.store, &key).await.map_err(|e| match e {
        crate::subject::Error::Key => ApiError::bad_request(e.to_string()),
        crate::subject::Error::Store(e) => e.into(),
    })?;
    log(&state, &caller, "subject report", "", report.summary()).await;
    Ok(match html {
        true => ([("content-type", "text/html; charset=utf-8")], crate::subject::to_html(&report)).into_response(),
        false => Json(report).into_response(),
    })
}
