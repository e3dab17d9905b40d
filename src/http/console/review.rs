//! The steward's review queue: pairs of records matching scored between the thresholds, the
//! least certain first; a pair side by side with each comparison's level and weight and the
//! match-weight waterfall (prior, each comparison, total) as SVG; accept or reject with `a` and
//! `r` (access keys), skip with `s`. A decision is an `admin` entry of the audit log and applies
//! from the next resolution of the entity.

use super::super::AppState;
use super::words::Words;
use super::{page, server_error, Person};
use crate::console::Area;
use crate::store::ReviewRow;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use std::collections::HashMap;

#[derive(Template)]
#[template(path = "console/reviews.html")]
struct Queue {
    w: &'static Words,
    person: Option<Person>,
    items: Vec<ReviewRow>,
}

/// Pending items, the least certain (closest to even odds) first.
async fn pending(state: &AppState) -> crate::store::Result<Vec<ReviewRow>> {
    let mut items = state.store.reviews(None, false).await?;
    items.sort_by(|a, b| (a.probability - 0.5).abs().total_cmp(&(b.probability - 0.5).abs()).then(a.id.cmp(&b.id)));
    Ok(items)
}

/// `GET /review`.
pub(super) async fn queue(State(state): State<AppState>, person: Person) -> Response {
    if let Some(r) = person.refusal(Area::Review) {
        return r;
    }
    match pending(&state).await {
        Ok(items) => page(StatusCode::OK, &Queue { w: person.w, person: Some(person), items }),
        Err(e) => server_error(&e),
    }
}

/// One comparison of a pair.
struct Step {
    column: String,
    a: String,
    b: String,
    level: String,
    weight: f64,
}

#[derive(Template)]
#[template(path = "console/review.html")]
struct Pair {
    w: &'static Words,
    person: Option<Person>,
    csrf: String,
    item: ReviewRow,
    prior: f64,
    steps: Vec<Step>,
    total: f64,
    probability: f64,
    svg: String,
    next: Option<String>,
}

/// The waterfall of match weights: from 0, the prior, then each comparison, to the total (a
/// bar per step, green when it adds, red when it takes away, the total in blue). Numbers only:
/// nothing of the records is in it.
fn waterfall(prior: f64, weights: &[f64]) -> String {
    let mut ends = vec![prior];
    for w in weights {
        ends.push(ends.last().copied().unwrap_or(0.0) + w);
    }
    let lo = ends.iter().copied().fold(0.0_f64, f64::min);
    let hi = ends.iter().copied().fold(0.0_f64, f64::max);
    let span = (hi - lo).max(1e-9);
    let (width, bar, gap) = (640.0, 22.0, 6.0);
    let x = |v: f64| 10.0 + (v - lo) / span * (width - 20.0);
    let rows = weights.len() + 2;
    let height = rows as f64 * (bar + gap) + gap;
    let mut svg = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="match weight waterfall"><line x1="{z:.1}" y1="0" x2="{z:.1}" y2="{height}" stroke="#555" stroke-dasharray="3,3"/>"##,
        z = x(0.0)
    );
    let mut start = 0.0;
    let mut push = |i: usize, from: f64, to: f64, colour: &str| {
        let (a, b) = (x(from.min(to)), x(from.max(to)));
        let y = gap + i as f64 * (bar + gap);
        svg.push_str(&format!(
            r#"<rect class="step" x="{a:.1}" y="{y:.1}" width="{w:.1}" height="{bar}" fill="{colour}"/>"#,
            w = (b - a).max(1.0)
        ));
    };
    for (i, end) in ends.iter().enumerate() {
        let colour = if *end >= start { "#2e8b57" } else { "#c0392b" };
        push(i, start, *end, colour);
        start = *end;
    }
    push(rows - 1, 0.0, start, "#0b4f8a");
    svg.push_str("</svg>");
    svg
}

/// `GET /review/{id}`: the pair, its comparisons and waterfall, and the decision form.
pub(super) async fn pair(State(state): State<AppState>, person: Person, Path(id): Path<String>) -> Response {
    if let Some(r) = person.refusal(Area::Review) {
        return r;
    }
    let item = match state.store.review(&id).await {
        Ok(Some(r)) => r,
        Ok(None) => return (StatusCode::NOT_FOUND, "no such review item").into_response(),
        Err(e) => return server_error(&e),
    };
    let e: serde_json::Value = serde_json::from_str(&item.detail).unwrap_or_default();
    let text = |s: &serde_json::Value, k: &str| s[k].as_str().unwrap_or_default().to_string();
    let steps: Vec<Step> = e["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| Step {
            column: text(s, "column"),
            a: text(s, "a"),
            b: text(s, "b"),
            level: text(s, "level"),
            weight: s["weight"].as_f64().unwrap_or(0.0),
        })
        .collect();
    let prior = e["prior_weight"].as_f64().unwrap_or(0.0);
    let weights: Vec<f64> = steps.iter().map(|s| s.weight).collect();
    let next = match pending(&state).await {
        Ok(items) => items.into_iter().map(|r| r.id).find(|i| *i != item.id).map(|i| format!("/review/{i}")),
        Err(e) => return server_error(&e),
    };
    let data = Pair {
        w: person.w,
        csrf: person.csrf.clone(),
        prior,
        total: e["total_weight"].as_f64().unwrap_or(prior + weights.iter().sum::<f64>()),
        probability: e["probability"].as_f64().unwrap_or(item.probability),
        svg: waterfall(prior, &weights),
        steps,
        item,
        next,
        person: Some(person),
    };
    page(StatusCode::OK, &data)
}

/// `POST /review/{id}` `decision=accept|reject`: records the steward's decision; on to the
/// next pair.
pub(super) async fn decide(
    State(state): State<AppState>,
    person: Person,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Some(r) = person.form_refusal(&form, Area::Review) {
        return r;
    }
    let decision = match form.get("decision").map(String::as_str) {
        Some("accept") => "accept",
        Some("reject") => "reject",
        _ => return (StatusCode::BAD_REQUEST, "decision is accept or reject").into_response(),
    };
    let item = match state.store.review(&id).await {
        Ok(Some(r)) => r,
        Ok(None) => return (StatusCode::NOT_FOUND, "no such review item").into_response(),
        Err(e) => return server_error(&e),
    };
    let by = format!("user:{}", person.user);
    let detail =
        serde_json::json!({ "entity": item.entity, "a": item.a, "b": item.b, "probability": item.probability });
    if let Err(r) = person.log_action(&state, &format!("review {decision}"), "", detail).await {
        return r;
    }
    if let Err(e) = state.store.decide(&item.entity, &item.a, &item.b, decision, &by).await {
        return server_error(&e);
    }
    let next = pending(&state).await.ok().and_then(|items| items.into_iter().next());
    Redirect::to(&next.map_or("/review".to_string(), |r| format!("/review/{}", r.id))).into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_waterfall_has_a_bar_per_step_and_the_total() {
        let svg = super::waterfall(-3.0, &[4.5, -1.0, 6.0]);
        assert_eq!(svg.matches(r#"class="step""#).count(), 5);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    }
}
