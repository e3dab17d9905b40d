//! An operator revokes a client (it and its tokens stop working at once) or one grant from the
//! access page. Logged as an `admin` entry (`client revoke`, `grant revoke`) before it takes
//! effect.

use super::super::AppState;
use super::access::{problem, render, Outcome};
use super::{server_error, Person};
use crate::console::Area;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Form;
use std::collections::HashMap;

/// `POST /access/clients/{id}/revoke`.
pub(super) async fn revoke_client(
    State(state): State<AppState>,
    person: Person,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Some(r) = person.form_refusal(&form, Area::Access) {
        return r;
    }
    let client = match state.store.client(&id).await {
        Ok(Some(c)) if c.revoked_at.is_none() => c,
        Ok(_) => return render(&state, person, problem(format!("no active client '{id}'"))).await,
        Err(e) => return server_error(&e),
    };
    // Logged first: no revocation without its entry.
    if let Err(r) =
        person.log_action(&state, "client revoke", &client.agency, serde_json::json!({ "client": id })).await
    {
        return r;
    }
    let outcome = match state.store.revoke_client(&id).await {
        Ok(_) => Outcome { notice: format!("{}: {id}", person.w.revoked), ..Outcome::default() },
        Err(e) => return server_error(&e),
    };
    state.callers.clear();
    render(&state, person, outcome).await
}

/// `POST /access/grants/{id}/revoke`.
pub(super) async fn revoke_grant(
    State(state): State<AppState>,
    person: Person,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Some(r) = person.form_refusal(&form, Area::Access) {
        return r;
    }
    let grant = match state.store.grant(&id).await {
        Ok(Some(g)) if g.revoked_at.is_none() => g,
        Ok(_) => return render(&state, person, problem(format!("no active grant '{id}'"))).await,
        Err(e) => return server_error(&e),
    };
    let agency = state.store.client(&grant.client_id).await.ok().flatten().map(|c| c.agency).unwrap_or_default();
    let detail =
        serde_json::json!({ "grant": id, "client": grant.client_id, "dataset": grant.dataset, "scope": grant.scope });
    // Logged first: no revocation without its entry.
    if let Err(r) = person.log_action(&state, "grant revoke", &agency, detail).await {
        return r;
    }
    if let Err(e) = state.store.revoke_grant(&id).await {
        return server_error(&e);
    }
    state.callers.clear();
    let notice = format!("{}: {} · {} · {}", person.w.revoked, grant.client_id, grant.scope, grant.dataset);
    render(&state, person, Outcome { notice, ..Outcome::default() }).await
}
