//! The steward's pipelines: each pipeline file the hub loaded with its schedule and next fire
//! time, the files that do not load with their `check` error, and a form to check a pipeline
//! file before anyone saves it (pasted or uploaded as text: its errors name the key and line).
//! Nothing is saved or run from here: an operator puts a checked file in the pipelines folder.

use super::super::AppState;
use super::words::Words;
use super::{page, Person};
use crate::console::Area;
use askama::Template;
use axum::extract::Multipart;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::response::Response;
use axum::Form;
use std::collections::HashMap;

/// A pipeline's line: id, dataset, owner, schedule, next fire time, fields.
type Line = (String, String, String, String, String, usize);

#[derive(Template)]
#[template(path = "console/pipelines.html")]
struct Pipelines {
    w: &'static Words,
    person: Option<Person>,
    csrf: String,
    pipelines: Vec<Line>,
    /// The files of the pipelines folder that did not load, with their error.
    broken: Vec<String>,
    /// The text checked, as sent back into the form.
    text: String,
    /// The check's answer: (passed, what it says).
    checked: Option<(bool, String)>,
}

fn lines(state: &AppState) -> Vec<Line> {
    let now = chrono::Utc::now();
    state
        .specs
        .iter()
        .map(|s| {
            let next = s.schedule.as_ref().and_then(|c| c.next(now));
            (
                s.id.to_string(),
                s.dataset.to_string(),
                s.owner().to_string(),
                s.schedule.as_ref().map(|c| c.as_str().to_string()).unwrap_or_default(),
                next.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)).unwrap_or_default(),
                s.fields.len(),
            )
        })
        .collect()
}

/// The page; a check that found mistakes is still a 200: the check itself worked.
fn render(state: &AppState, person: Person, text: String, checked: Option<(bool, String)>) -> Response {
    let data = Pipelines {
        w: person.w,
        csrf: person.csrf.clone(),
        pipelines: lines(state),
        broken: state.pipeline_errors.to_vec(),
        text,
        checked,
        person: Some(person),
    };
    page(StatusCode::OK, &data)
}

/// `GET /pipelines`.
pub(super) async fn pipelines(State(state): State<AppState>, person: Person) -> Response {
    if let Some(r) = person.refusal(Area::Runs) {
        return r;
    }
    render(&state, person, String::new(), None)
}

/// Largest pipeline file checked here.
const MAX_TEXT: usize = 256 * 1024;

/// `POST /pipelines/check` `text`: `lgsp check` on the text, without saving it.
pub(super) async fn check(
    State(state): State<AppState>,
    person: Person,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Some(r) = person.form_refusal(&form, Area::Runs) {
        return r;
    }
    let text = form.get("text").cloned().unwrap_or_default();
    verdict(&state, person, "pasted.toml", text)
}

/// `POST /pipelines/upload` (multipart: `csrf`, `file`): the same check on an uploaded file,
/// its errors naming the file.
pub(super) async fn upload(State(state): State<AppState>, person: Person, mut parts: Multipart) -> Response {
    let mut form = HashMap::new();
    let (mut name, mut bytes) = (String::from("uploaded.toml"), Vec::new());
    loop {
        match parts.next_field().await {
            Ok(Some(field)) => {
                let field_name = field.name().unwrap_or_default().to_string();
                if field_name == "file" {
                    if let Some(f) = field.file_name().filter(|f| !f.is_empty()) {
                        name = f.rsplit(['/', '\\']).next().unwrap_or(f).to_string();
                    }
                }
                match field.bytes().await {
                    Ok(b) if field_name == "file" => bytes = b.to_vec(),
                    Ok(b) => drop(form.insert(field_name, String::from_utf8_lossy(&b).into_owned())),
                    Err(e) => return (StatusCode::BAD_REQUEST, format!("reading the upload: {e}")).into_response(),
                }
            }
            Ok(None) => break,
            Err(e) => return (StatusCode::BAD_REQUEST, format!("reading the upload: {e}")).into_response(),
        }
    }
    if let Some(r) = person.form_refusal(&form, Area::Runs) {
        return r;
    }
    match String::from_utf8(bytes) {
        Ok(text) => verdict(&state, person, &name, text),
        Err(e) => {
            let said =
                format!("{name}: not UTF-8 text (byte {}): save the file as UTF-8", e.utf8_error().valid_up_to());
            render(&state, person, String::new(), Some((false, said)))
        }
    }
}

/// `lgsp check` on `text` as file `name`, shown with the text.
fn verdict(state: &AppState, person: Person, name: &str, text: String) -> Response {
    if text.len() > MAX_TEXT {
        let said = format!("{name} is {} bytes: a pipeline file is at most {MAX_TEXT}", text.len());
        return render(state, person, String::new(), Some((false, said)));
    }
    let checked = match crate::pipeline::check::parse(std::path::Path::new(name), &text) {
        Ok(spec) => {
            let known = state.specs.iter().any(|s| s.id == spec.id);
            let kind = if known { person.w.replaces_pipeline } else { person.w.new_pipeline };
            (true, format!("{kind}: {} → {} ({} fields)", spec.id, spec.dataset, spec.fields.len()))
        }
        Err(e) => (false, e.to_string()),
    };
    render(state, person, text, Some(checked))
}
