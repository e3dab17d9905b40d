//! The console for operators (agencies, clients, grants: a new client's secret is shown once)
//! and auditors (the newest entries of the audit log). Each change is an `admin` entry of the
//! audit log under `user:<name>`, like a change made with the CLI or the admin API.

use super::super::AppState;
use super::words::Words;
use super::{page, server_error, Person};
use crate::access::GrantRequest;
use crate::console::Area;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use std::collections::HashMap;

#[derive(Template)]
#[template(path = "console/access.html")]
struct Access {
    w: &'static Words,
    person: Option<Person>,
    csrf: String,
    notice: String,
    problem: String,
    /// A client just made: (id, secret), shown this once.
    created: Option<(String, String)>,
    agencies: Vec<(String, String)>,
    datasets: Vec<String>,
    clients: Vec<(String, String, String, String)>,
    /// Each client's use of the API over the last 30 days, by client id.
    usage: std::collections::HashMap<String, crate::store::Usage>,
    /// Active grants of the active clients.
    grants: Vec<crate::store::GrantRow>,
}

/// What the access page says after an action.
#[derive(Default)]
pub(super) struct Outcome {
    pub(super) status: Option<StatusCode>,
    pub(super) notice: String,
    pub(super) problem: String,
    pub(super) created: Option<(String, String)>,
}

pub(super) async fn render(state: &AppState, person: Person, outcome: Outcome) -> Response {
    let agencies = match state.store.agencies().await {
        Ok(a) => a,
        Err(e) => return server_error(&e),
    };
    let mut clients = Vec::new();
    let mut grants = Vec::new();
    let today = crate::catalog::today();
    for (code, name) in &agencies {
        let cs = match state.store.clients_of(code).await {
            Ok(cs) => cs,
            Err(e) => return server_error(&e),
        };
        for c in cs.iter().filter(|c| c.revoked_at.is_none()) {
            match state.store.active_grants(&c.id, &today).await {
                Ok(g) => grants.extend(g),
                Err(e) => return server_error(&e),
            }
        }
        clients.extend(
            cs.into_iter().map(|c| (format!("{code} · {name}"), c.id, c.created_at, c.revoked_at.unwrap_or_default())),
        );
    }
    let datasets = match state.store.list_datasets().await {
        Ok(d) => d.into_iter().map(|d| d.name).collect(),
        Err(e) => return server_error(&e),
    };
    let month_ago = (chrono::Utc::now() - chrono::Duration::days(30)).to_rfc3339();
    let usage = match state.store.usage_by_actor(&month_ago).await {
        Ok(u) => u.into_iter().map(|u| (u.actor.clone(), u)).collect(),
        Err(e) => return server_error(&e),
    };
    let page_data = Access {
        usage,
        w: person.w,
        csrf: person.csrf.clone(),
        notice: outcome.notice,
        problem: outcome.problem,
        created: outcome.created,
        agencies,
        datasets,
        clients,
        grants,
        person: Some(person),
    };
    page(outcome.status.unwrap_or(StatusCode::OK), &page_data)
}

/// `GET /access`: agencies and their clients, and the forms to add a client or a grant.
pub(super) async fn access(State(state): State<AppState>, person: Person) -> Response {
    if let Some(r) = person.refusal(Area::Access) {
        return r;
    }
    render(&state, person, Outcome::default()).await
}

pub(super) fn problem(text: String) -> Outcome {
    Outcome { status: Some(StatusCode::BAD_REQUEST), problem: text, ..Outcome::default() }
}

/// `POST /access/clients` `agency`: a new client; its secret is on this answer only.
pub(super) async fn create_client(
    State(state): State<AppState>,
    person: Person,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Some(r) = person.form_refusal(&form, Area::Access) {
        return r;
    }
    let agency = form.get("agency").cloned().unwrap_or_default();
    let outcome = match crate::access::create_client(&state.store, &agency).await {
        Ok((id, secret)) => {
            match person.log_action(&state, "client create", &agency, serde_json::json!({ "client": id })).await {
                Ok(()) => Outcome { created: Some((id, secret)), ..Outcome::default() },
                Err(r) => {
                    // Not logged, not shown: the client is revoked before anyone can use it.
                    let _ = state.store.revoke_client(&id).await;
                    return r;
                }
            }
        }
        Err(e) => problem(e.to_string()),
    };
    state.callers.clear();
    render(&state, person, outcome).await
}

/// `POST /access/grants`: a grant, with its legal basis (and purpose, for personal fields).
pub(super) async fn add_grant(
    State(state): State<AppState>,
    person: Person,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Some(r) = person.form_refusal(&form, Area::Access) {
        return r;
    }
    let field = |k: &str| form.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let list = field("fields");
    let fields = (!list.is_empty()).then(|| list.split(',').map(|f| f.trim().to_string()).collect());
    let until = Some(field("until")).filter(|u| !u.is_empty());
    let (client, dataset, scope, basis, purpose) =
        (field("client"), field("dataset"), field("scope"), field("basis"), field("purpose"));
    let request = GrantRequest {
        client_id: &client,
        dataset: &dataset,
        scope: &scope,
        fields,
        until,
        basis: &basis,
        purpose: &purpose,
        sensitive: form.contains_key("sensitive"),
        protect: Default::default(),
        personal_days: state.personal_grant_days,
    };
    let outcome = match crate::access::add_grant(&state.store, request).await {
        Ok(g) => {
            let agency = state.store.client(&client).await.ok().flatten().map(|c| c.agency).unwrap_or_default();
            let detail = serde_json::to_value(&g).unwrap_or_default();
            if let Err(r) = person.log_action(&state, "grant add", &agency, detail).await {
                let _ = state.store.revoke_grant(&g.id).await;
                return r;
            }
            let ends = g.until.as_deref().map(|u| format!(" → {u}")).unwrap_or_default();
            Outcome {
                notice: format!("{}: {} · {} · {}{ends}", person.w.granted, client, scope, dataset),
                ..Outcome::default()
            }
        }
        Err(e) => problem(e.to_string()),
    };
    state.callers.clear();
    render(&state, person, outcome).await
}

#[derive(Template)]
#[template(path = "console/audit.html")]
struct Audit {
    w: &'static Words,
    person: Option<Person>,
    csrf: String,
    /// The search as asked: actor, dataset, status, from, to.
    q: [String; 5],
    entries: Vec<crate::store::AuditRow>,
    /// The result of `verify`, when asked for.
    verdict: Option<(bool, String)>,
}

async fn audit_page(
    state: &AppState,
    person: Person,
    q: &HashMap<String, String>,
    verdict: Option<(bool, String)>,
) -> Response {
    let get = |k: &str| q.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let asked = [get("actor"), get("dataset"), get("status"), get("from"), get("to")];
    let status = asked[2].parse::<i64>().ok();
    // A day given as its date covers the whole day.
    let to = match asked[4].len() == 10 {
        true => chrono::NaiveDate::parse_from_str(&asked[4], "%Y-%m-%d")
            .ok()
            .and_then(|d| d.succ_opt())
            .map_or(asked[4].clone(), |d| d.to_string()),
        false => asked[4].clone(),
    };
    match state.store.search_audit(&asked[0], &asked[1], status, &asked[3], &to, 200).await {
        Ok(entries) => {
            let data =
                Audit { w: person.w, csrf: person.csrf.clone(), q: asked, entries, verdict, person: Some(person) };
            page(StatusCode::OK, &data)
        }
        Err(e) => server_error(&e),
    }
}

/// `GET /audit?actor=&dataset=&status=&from=&to=`: the newest 200 entries that match.
pub(super) async fn audit(
    State(state): State<AppState>,
    person: Person,
    axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>,
) -> Response {
    if let Some(r) = person.refusal(Area::Audit) {
        return r;
    }
    audit_page(&state, person, &q, None).await
}

/// `POST /audit/verify`: checks every entry against the key and the newest checkpoint, as
/// `lgsp audit verify` does; the verification is itself an entry.
pub(super) async fn verify(
    State(state): State<AppState>,
    person: Person,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Some(r) = person.form_refusal(&form, Area::Audit) {
        return r;
    }
    let verdict = match crate::audit::verify_with_checkpoints(&state.store, &state.objects).await {
        Ok(v) => match v.broken {
            None => (true, format!("{} · {} rows · head {}", person.w.verified, v.rows, v.head)),
            Some((row, why)) => (false, format!("{} {row}: {why}", person.w.broken_at)),
        },
        Err(e) => (false, e.to_string()),
    };
    let detail = serde_json::json!({ "intact": verdict.0, "result": verdict.1 });
    if let Err(r) = person.log_action(&state, "audit verify", "", detail).await {
        return r;
    }
    audit_page(&state, person, &HashMap::new(), Some(verdict)).await
}
