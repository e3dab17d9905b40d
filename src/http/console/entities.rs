//! The steward's master entities: the entities of a kind (`person`, …) with how many source
//! records each holds, found by master id or by a record; an entity's records (the cross-
//! references: source, key, link probability, since which version, the entity before); and the
//! corrections: unmerge the entity into the groups its records came from, or detach one record.
//! Each correction is an `admin` audit entry first, then the entities are resolved again.

use super::super::AppState;
use super::words::Words;
use super::{page, server_error, Person};
use crate::console::Area;
use crate::store::XrefRow;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use std::collections::{BTreeMap, HashMap};

/// Entities listed at most.
const SHOWN: usize = 200;

#[derive(Template)]
#[template(path = "console/entities.html")]
struct Entities {
    w: &'static Words,
    person: Option<Person>,
    csrf: String,
    entity: String,
    kinds: Vec<String>,
    q: String,
    /// (master id, records) of the entities shown, the largest first.
    masters: Vec<(String, usize)>,
    total: usize,
    /// The entity opened: its id and records.
    opened: Option<(String, Vec<XrefRow>)>,
    /// The opened entity's golden record, field by field with where each value came from.
    golden: Vec<super::golden::Field>,
}

/// The entity kinds the pipelines match into.
fn kinds(state: &AppState) -> Vec<String> {
    let mut k: Vec<String> =
        state.specs.iter().filter_map(|s| s.matching.as_ref().and_then(|m| m.entity.clone())).collect();
    k.sort();
    k.dedup();
    k
}

/// `GET /entities`: the first kind of entity the pipelines match into.
pub(super) async fn first(State(state): State<AppState>, person: Person) -> Response {
    if let Some(r) = person.refusal(Area::Review) {
        return r;
    }
    match kinds(&state).first() {
        Some(k) => Redirect::to(&format!("/entities/{k}")).into_response(),
        None => (StatusCode::NOT_FOUND, "no pipeline matches its records into master entities").into_response(),
    }
}

/// `GET /entities/{entity}?q=&master=`.
pub(super) async fn entities(
    State(state): State<AppState>,
    person: Person,
    Path(entity): Path<String>,
    Query(p): Query<HashMap<String, String>>,
) -> Response {
    if let Some(r) = person.refusal(Area::Review) {
        return r;
    }
    let xrefs = match state.store.xrefs(&entity).await {
        Ok(x) => x,
        Err(e) => return server_error(&e),
    };
    let q = p.get("q").map(|q| q.trim().to_string()).unwrap_or_default();
    let mut by_master: BTreeMap<&str, usize> = BTreeMap::new();
    for x in &xrefs {
        let record = format!("{}|{}", x.source, x.source_key);
        if q.is_empty() || x.master_id.contains(&q) || record.contains(&q) {
            *by_master.entry(x.master_id.as_str()).or_default() += 1;
        }
    }
    let mut masters: Vec<(String, usize)> = by_master.into_iter().map(|(m, n)| (m.to_string(), n)).collect();
    masters.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let total = masters.len();
    masters.truncate(SHOWN);
    let opened = p.get("master").filter(|m| !m.is_empty()).map(|m| {
        let members: Vec<XrefRow> = xrefs.iter().filter(|x| &x.master_id == m).cloned().collect();
        (m.clone(), members)
    });
    let golden = match &opened {
        Some((_, members)) => match super::golden::fields(&state, person.w, &entity, members).await {
            Ok(g) => g,
            Err(e) => return server_error(&e),
        },
        None => Vec::new(),
    };
    let data = Entities {
        w: person.w,
        csrf: person.csrf.clone(),
        kinds: kinds(&state),
        entity,
        q,
        masters,
        total,
        opened,
        golden,
        person: Some(person),
    };
    page(StatusCode::OK, &data)
}

/// `POST /entities/{entity}/correct` `action=unmerge&master=ID` or `action=detach&record=S|K`.
pub(super) async fn correct(
    State(state): State<AppState>,
    person: Person,
    Path(entity): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Some(r) = person.form_refusal(&form, Area::Review) {
        return r;
    }
    let by = format!("user:{}", person.user);
    let get = |k: &str| form.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let (action, subject) = match get("action").as_str() {
        "unmerge" => ("entity unmerge", get("master")),
        "detach" => ("entity detach", get("record")),
        _ => return (StatusCode::BAD_REQUEST, "action is unmerge or detach").into_response(),
    };
    let detail = serde_json::json!({ "entity": entity, "subject": subject, "by": by });
    if let Err(r) = person.log_action(&state, action, "", detail).await {
        return r;
    }
    let done = match action {
        "entity unmerge" => crate::entity::unmerge(&state.store, &entity, &subject).await.map(|_| subject.clone()),
        _ => crate::entity::detach(&state.store, &entity, &subject).await,
    };
    if let Err(e) = done {
        return (StatusCode::BAD_REQUEST, e.to_string()).into_response();
    }
    if let Err(e) = crate::entity::resolve(&state.store, &state.objects, &state.specs, &entity, "console").await {
        return server_error(&e);
    }
    // A detached record shows with its own entity now; an unmerged entity's records with theirs.
    let q = if action == "entity detach" { subject } else { String::new() };
    let q: String = url::form_urlencoded::byte_serialize(q.as_bytes()).collect();
    Redirect::to(&format!("/entities/{entity}?q={q}")).into_response()
}
