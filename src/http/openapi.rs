//! The OpenAPI 3.0 document of the route table: every path and query parameter, request bodies,
//! and the response schemas: the error envelope, OAuth2 answers, data files and JSON objects.

use super::routes::{routes, Body, Param, Returns, Route};
use serde_json::{json, Map, Value};

/// The error envelope every error answer carries (`error::ApiError`).
fn error_schema() -> Value {
    json!({
        "type": "object",
        "required": ["status", "code", "message", "request_id"],
        "properties": {
            "status": { "type": "integer", "description": "The HTTP status" },
            "code": { "type": "string", "description": "Machine code: bad_request, unauthorized, forbidden, not_found, gone, quota_exceeded, audit_unavailable, ..." },
            "message": { "type": "string", "description": "What is wrong and what to do" },
            "request_id": { "type": "string", "description": "The request's id, as in the audit log" }
        }
    })
}

fn components() -> Value {
    json!({
        "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
        "schemas": {
            "Error": error_schema(),
            "OAuthError": {
                "type": "object", "required": ["error"],
                "properties": { "error": { "type": "string" }, "error_description": { "type": "string" } }
            },
            "Token": {
                "type": "object", "required": ["access_token", "token_type", "expires_in"],
                "properties": {
                    "access_token": { "type": "string" },
                    "token_type": { "type": "string", "enum": ["Bearer"] },
                    "expires_in": { "type": "integer" }
                }
            }
        }
    })
}

/// The schema of a parameter or body field.
fn schema_of(p: &Param) -> Value {
    match p.values {
        [] if p.boolean => json!({ "type": "boolean" }),
        [] if !p.map_of.is_empty() => {
            json!({ "type": "object", "additionalProperties": { "type": "string", "enum": p.map_of } })
        }
        [] if p.list => json!({ "type": "array", "minItems": 1, "items": { "type": "string", "minLength": 1 } }),
        [] if p.integer => json!({ "type": "integer", "format": "int64", "minimum": 0, "maximum": i64::MAX }),
        // Years 1000 to 9999, as every date the hub reads.
        [] if p.date => json!({ "type": "string", "format": "date", "pattern": "^[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}$" }),
        [] if !p.pattern.is_empty() => json!({ "type": "string", "pattern": p.pattern }),
        [] => json!({ "type": "string", "minLength": 1, "pattern": "\\S" }),
        values => json!({ "type": "string", "enum": values }),
    }
}

fn param(p: &Param, location: &str) -> Value {
    let schema = schema_of(p);
    json!({ "name": p.name, "in": location, "required": p.required || location == "path", "description": p.description, "schema": schema })
}

/// `{name}` segments of a path, in order.
fn path_params(path: &str) -> Vec<&str> {
    path.split('/').filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}'))).collect()
}

fn error(description: &str, schema: &str) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } } })
}

fn success(returns: &Returns) -> Map<String, Value> {
    let mut out = Map::new();
    let content = |types: &[(&str, Value)]| -> Value {
        types.iter().map(|(t, s)| (t.to_string(), json!({ "schema": s }))).collect::<Map<_, _>>().into()
    };
    let binary = json!({ "type": "string", "format": "binary" });
    let text = json!({ "type": "string" });
    match returns {
        Returns::Json => {
            out.insert("200".into(), json!({ "description": "success", "content": content(&[("application/json", json!({ "type": "object" }))]) }));
        }
        Returns::Text => {
            out.insert(
                "200".into(),
                json!({ "description": "success", "content": content(&[("text/plain", text.clone())]) }),
            );
        }
        Returns::Token => {
            out.insert("200".into(), json!({ "description": "a bearer token", "content": content(&[("application/json", json!({ "$ref": "#/components/schemas/Token" }))]) }));
        }
        Returns::Data { ranges } => {
            let files = content(&[
                ("application/vnd.apache.parquet", binary.clone()),
                ("text/csv", text.clone()),
                ("application/x-ndjson", text.clone()),
            ]);
            out.insert("200".into(), json!({ "description": "the data, in the format asked for", "content": files }));
            if *ranges {
                out.insert("206".into(), json!({ "description": "the byte range asked for", "content": content(&[("application/vnd.apache.parquet", binary.clone())]) }));
                out.insert("416".into(), error("the range starts past the end of the file", "Error"));
            }
            out.insert("410".into(), error("the files were removed by retention", "Error"));
        }
        Returns::Report => {
            let files = content(&[
                ("application/json", json!({ "type": "object" })),
                ("text/csv", text.clone()),
                ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", binary.clone()),
                ("text/html", text.clone()),
            ]);
            out.insert("200".into(), json!({ "description": "the report", "content": files }));
        }
        Returns::JsonOrHtml => {
            let files = content(&[("application/json", json!({ "type": "object" })), ("text/html", text.clone())]);
            out.insert("200".into(), json!({ "description": "the answer, as JSON or a page", "content": files }));
        }
    }
    out
}

fn operation(route: &Route) -> Value {
    let mut params: Vec<Value> = path_params(route.path)
        .into_iter()
        .map(|name| param(&Param { name, required: true, ..Param::EMPTY }, "path"))
        .collect();
    params.extend(route.query.iter().map(|p| param(p, "query")));
    let mut responses = success(&route.returns);
    let envelope = if route.returns == Returns::Token { "OAuthError" } else { "Error" };
    responses.insert("400".into(), error("bad input", envelope));
    responses.insert("503".into(), error("the audit log cannot be written: retry after Retry-After", "Error"));
    if route.method == "POST" {
        responses.insert("413".into(), error("the body is too large", "Error"));
    }
    if route.returns == Returns::Token {
        responses.insert("401".into(), error("unknown client, wrong secret or revoked client", "OAuthError"));
        responses.insert("429".into(), error("too many failed attempts: retry after Retry-After", "OAuthError"));
    }
    if route.bearer {
        responses.insert("401".into(), error("missing, unknown, expired or revoked token", "Error"));
        responses.insert("403".into(), error("not granted", "Error"));
        responses.insert("404".into(), error("unknown version, record, catalog, agency or client", "Error"));
        responses.insert("409".into(), error("exists already", "Error"));
        responses.insert("429".into(), error("quota used up: retry after Retry-After", "Error"));
    }
    let mut op = json!({
        "summary": route.summary,
        "operationId": format!("{}{}", route.method.to_lowercase(), route.path.replace(['/', '{', '}', '.'], "_")),
        "parameters": params,
        "responses": responses,
    });
    if route.bearer {
        op["security"] = json!([{ "bearer": [] }]);
    }
    match &route.body {
        Body::None => {}
        Body::Form(fields) => {
            let props: Map<String, Value> = fields.iter().map(|f| (f.name.to_string(), schema_of(f))).collect();
            let required: Vec<&str> = fields.iter().filter(|f| f.required).map(|f| f.name).collect();
            op["requestBody"] = json!({ "required": true, "content": { "application/x-www-form-urlencoded": { "schema": { "type": "object", "properties": props, "required": required } } } });
        }
        Body::Json(fields) => {
            let props: Map<String, Value> = fields.iter().map(|f| (f.name.to_string(), schema_of(f))).collect();
            let required: Vec<&str> = fields.iter().filter(|f| f.required).map(|f| f.name).collect();
            op["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": { "type": "object", "properties": props, "required": required, "additionalProperties": false } } } });
        }
    }
    op
}

/// The OpenAPI 3.0 document of every route.
pub(crate) fn document() -> Value {
    let mut paths = Map::new();
    for (route, _) in routes() {
        let item = paths.entry(route.path.to_string()).or_insert_with(|| json!({}));
        item[route.method.to_lowercase()] = operation(&route);
    }
    json!({
        "openapi": "3.0.3",
        "info": { "title": "lgsp-hub consumer API", "version": env!("CARGO_PKG_VERSION") },
        "paths": paths,
        "components": components(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_lists_every_route_and_declares_its_path_parameters() {
        let doc = document();
        let mut documented: Vec<String> = doc["paths"]
            .as_object()
            .unwrap()
            .iter()
            .flat_map(|(p, item)| item.as_object().unwrap().keys().map(move |m| format!("{} {p}", m.to_uppercase())))
            .collect();
        let mut routed: Vec<String> = routes().iter().map(|(r, _)| format!("{} {}", r.method, r.path)).collect();
        documented.sort();
        routed.sort();
        assert_eq!(documented, routed);
        let record = &doc["paths"]["/api/v1/datasets/{name}/records/{key}"]["get"]["parameters"];
        let names: Vec<&str> = record.as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["name", "key"]);
    }

    #[test]
    fn an_error_answer_has_every_field_the_envelope_schema_requires() {
        let e = super::super::error::ApiError::not_found("x");
        let body = axum::response::IntoResponse::into_response(e);
        let bytes = futures::executor::block_on(axum::body::to_bytes(body.into_body(), 1 << 16)).unwrap();
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        for field in error_schema()["required"].as_array().unwrap() {
            assert!(v.get(field.as_str().unwrap()).is_some(), "{field} missing from {v}");
        }
    }
}
