//! A steward's actions on runs from the console: run a pipeline now, and approve or reject a run
//! held by a quality gate. Each is an audit-log entry (under `user:<name>`) before it takes
//! effect; runs go on in the background and show up on the runs page.

use super::super::AppState;
use super::{server_error, Person};
use crate::console::Area;
use crate::outcome::RunStatus;
use crate::pipeline::{Approval, PipelineSpec, RunOptions};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use std::collections::HashMap;

/// Runs `spec` in the background as the scheduler would (then resolves its entities); with
/// `approved`, the approval of the held run it names, decided once the run used its input.
fn spawn_run(state: &AppState, spec: PipelineSpec, opts: RunOptions, approved: Option<(String, String)>) {
    let (store, objects, specs) = (state.store.clone(), state.objects.clone(), state.specs.clone());
    tokio::spawn(async move {
        match crate::pipeline::run(&store, &objects, &spec, opts).await {
            Ok(report) => {
                if let Some((held, by)) = approved {
                    let decided = match report.approves.as_deref() == Some(held.as_str()) {
                        true => store.decide_run(&held, RunStatus::Approved, &by).await.map(|_| ()),
                        false => {
                            tracing::warn!(run = %held, "the input changed since the run was held; it stays held");
                            Ok(())
                        }
                    };
                    if let Err(e) = decided {
                        tracing::warn!(run = %held, error = %e, "could not record the approval");
                    }
                }
                if let Err(e) = crate::entity::resolve_after(&store, &objects, &specs, &spec, &report, "console").await
                {
                    tracing::warn!(pipeline = %spec.id, error = %e, "entity resolution failed");
                }
            }
            Err(e) => tracing::warn!(pipeline = %spec.id, error = %e, "a run started from the console failed"),
        }
    });
}

/// `POST /runs/now` `pipeline=ID`: runs the pipeline now, in the background.
pub(super) async fn run_now(
    State(state): State<AppState>,
    person: Person,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Some(r) = person.form_refusal(&form, Area::Runs) {
        return r;
    }
    let id = form.get("pipeline").map(String::as_str).unwrap_or_default();
    let Some(spec) = state.specs.iter().find(|s| s.id.as_str() == id).cloned() else {
        return (StatusCode::NOT_FOUND, format!("no pipeline '{id}' in the pipelines folder")).into_response();
    };
    let by = format!("user:{}", person.user);
    let detail = serde_json::json!({ "pipeline": id, "dataset": spec.dataset.as_str(), "by": by });
    if let Err(r) = person.log_action(&state, "run_now", spec.owner(), detail).await {
        return r;
    }
    let opts = RunOptions { trigger: Some("console".into()), lease: Some(RUN_LEASE), ..Default::default() };
    spawn_run(&state, spec, opts, None);
    Redirect::to(&format!("/runs?pipeline={id}")).into_response()
}

/// How long a run started here holds its pipeline's lease between heartbeats.
const RUN_LEASE: std::time::Duration = std::time::Duration::from_secs(30);

/// `POST /runs/{id}/decision` `decision=approve|reject`, `note`: a steward's decision on a
/// held run. Rejecting records it; approving runs the pipeline again on the same input with its
/// gates waived for that input only.
pub(super) async fn decide(
    State(state): State<AppState>,
    person: Person,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Some(r) = person.form_refusal(&form, Area::Runs) {
        return r;
    }
    let run = match state.store.get_run(&id).await {
        Ok(Some(r)) => r,
        Ok(None) => return (StatusCode::NOT_FOUND, "no such run").into_response(),
        Err(e) => return server_error(&e),
    };
    if run.status != RunStatus::Held.as_str() {
        return (StatusCode::CONFLICT, format!("run {id} is {}, not held: only a held run is decided", run.status))
            .into_response();
    }
    let Some(spec) = state.specs.iter().find(|s| s.id.as_str() == run.pipeline).cloned() else {
        return (StatusCode::NOT_FOUND, format!("pipeline '{}' is no longer in the pipelines folder", run.pipeline))
            .into_response();
    };
    let by = format!("user:{}", person.user);
    let note = form.get("note").map(String::as_str).unwrap_or_default();
    let approve = match form.get("decision").map(String::as_str) {
        Some("approve") => true,
        Some("reject") => false,
        _ => return (StatusCode::BAD_REQUEST, "decision is approve or reject").into_response(),
    };
    let action = if approve { "run_approve" } else { "run_reject" };
    let detail = serde_json::json!({ "run": id, "pipeline": run.pipeline, "dataset": run.dataset, "by": by, "note": note, "input_sha256": run.input_sha256 });
    if let Err(r) = person.log_action(&state, action, spec.owner(), detail).await {
        return r;
    }
    if !approve {
        return match state.store.decide_run(&id, RunStatus::Rejected, &by).await {
            Ok(true) => Redirect::to(&format!("/runs/{id}")).into_response(),
            Ok(false) => (StatusCode::CONFLICT, "the run was decided meanwhile").into_response(),
            Err(e) => server_error(&e),
        };
    }
    let Some(sha) = run.input_sha256.clone() else {
        return (StatusCode::CONFLICT, "the held run has no input checksum to approve").into_response();
    };
    let local = std::path::PathBuf::from(&run.input_path);
    let opts = RunOptions {
        input: local.is_file().then_some(local),
        trigger: Some("approval".into()),
        approval: Some(Approval { run_id: id.clone(), input_sha256: sha }),
        lease: Some(RUN_LEASE),
        encoding: run.encoding.as_deref().and_then(crate::pipeline::Encoding::parse),
        ..RunOptions::default()
    };
    spawn_run(&state, spec, opts, Some((id.clone(), by)));
    Redirect::to(&format!("/runs?pipeline={}", run.pipeline)).into_response()
}
