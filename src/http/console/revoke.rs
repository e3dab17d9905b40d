//! An operator revokes a client from the access page: the client and its tokens stop working at
//! once. Logged as an `admin` entry (`client revoke`) before it takes effect.

use super::super::AppState;
use super::access::{logged, problem, refused, render, Outcome};
use super::{server_error, Person};
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
    if let Some(r) = refused(&person, &form) {
        return r;
    }
    let client = match state.store.client(&id).await {
        Ok(Some(c)) if c.revoked_at.is_none() => c,
        Ok(_) => return render(&state, person, problem(format!("no active client '{id}'"))).await,
        Err(e) => return server_error(&e),
    };
    // Logged first: no revocation without its entry.
    if !logged(&state, &person, "client revoke", &client.agency, serde_json::json!({ "client": id })).await {
        return server_error(&"the audit log cannot be written");
    }
    let outcome = match state.store.revoke_client(&id).await {
        Ok(_) => Outcome { notice: format!("{}: {id}", person.w.revoked), ..Outcome::default() },
        Err(e) => return server_error(&e),
    };
    state.callers.clear();
    render(&state, person, outcome).await
}
