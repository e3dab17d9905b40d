//! The route table: one list builds both the router and the OpenAPI document, so the two
//! cannot drift apart.

use super::{admin, catalogs, data, reports, token, AppState};
use axum::routing::{get, post, MethodRouter};
use utoipa::openapi::path::{HttpMethod, OperationBuilder, PathItem, PathsBuilder};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ComponentsBuilder, Info, OpenApi, Response};

/// One route of the API.
pub struct Route {
    /// `GET` or `POST`.
    pub method: &'static str,
    /// Path template, `{name}` for parameters.
    pub path: &'static str,
    /// What it does.
    pub summary: &'static str,
    /// Statuses it answers besides errors of the envelope.
    pub ok: &'static str,
    /// Needs a bearer token.
    pub bearer: bool,
}

const fn r(method: &'static str, path: &'static str, summary: &'static str, ok: &'static str, bearer: bool) -> Route {
    Route { method, path, summary, ok, bearer }
}

/// Every route with its handler.
pub fn routes() -> Vec<(Route, MethodRouter<AppState>)> {
    vec![
        (
            r("POST", "/token", "OAuth2 client credentials (HTTP Basic) → bearer token", "200", false),
            post(token::post_token),
        ),
        (r("GET", "/healthz", "Store and object store reachable", "200", false), get(super::healthz)),
        (r("GET", "/metrics", "Prometheus metrics", "200", false), get(super::get_metrics)),
        (r("GET", "/openapi.json", "This document", "200", false), get(get_openapi)),
        (r("GET", "/api/v1/me", "The caller and what it may call", "200", true), get(data::get_me)),
        (r("GET", "/api/v1/datasets", "Datasets the caller holds a grant on", "200", true), get(data::list_datasets)),
        (
            r("GET", "/api/v1/datasets/{name}", "Data dictionary of a dataset (granted fields only)", "200", true),
            get(data::get_dataset),
        ),
        (r("GET", "/api/v1/datasets/{name}/versions", "Published versions", "200", true), get(data::list_versions)),
        (
            r(
                "GET",
                "/api/v1/datasets/{name}/snapshot",
                "A version's snapshot (?version=&format=parquet|csv|ndjson)",
                "200",
                true,
            ),
            get(data::get_snapshot),
        ),
        (
            r(
                "GET",
                "/api/v1/datasets/{name}/changes",
                "Changes after a version, default after the caller's last pull (?since=&format=)",
                "200",
                true,
            ),
            get(data::get_changes),
        ),
        (
            r(
                "GET",
                "/api/v1/datasets/{name}/records/{key}",
                "The current master record of a business key",
                "200",
                true,
            ),
            get(data::get_record),
        ),
        (
            r("GET", "/dmdc/Metadata/{catalog}", "Fields of a shared catalog (NGSP shape)", "200", true),
            get(catalogs::get_metadata),
        ),
        (
            r("GET", "/dmdc/Category/{catalog}", "Rows of a shared catalog valid on ?asOf= (NGSP shape)", "200", true),
            get(catalogs::get_category),
        ),
        (
            r(
                "GET",
                "/api/v1/catalogs/{catalog}/codes/{code}",
                "What a code is on ?asOf=: valid, retired (succeeded by), unknown",
                "200",
                true,
            ),
            get(catalogs::get_lookup),
        ),
        (
            r(
                "GET",
                "/api/v1/catalogs/{catalog}/codes/{code}/current",
                "The current code(s) an old code became (?at=&asOf=)",
                "200",
                true,
            ),
            get(catalogs::get_resolve),
        ),
        (r("GET", "/api/v1/admin/agencies", "Admin: every agency", "200", true), get(admin::list_agencies)),
        (
            r("POST", "/api/v1/admin/agencies", "Admin: add an agency {code, name}", "200", true),
            post(admin::add_agency),
        ),
        (
            r("GET", "/api/v1/admin/agencies/{code}/clients", "Admin: an agency's clients", "200", true),
            get(admin::list_clients),
        ),
        (
            r(
                "POST",
                "/api/v1/admin/clients",
                "Admin: create a client {agency}; the secret is shown once",
                "200",
                true,
            ),
            post(admin::create_client),
        ),
        (
            r("POST", "/api/v1/admin/clients/{id}/revoke", "Admin: revoke a client and its tokens", "200", true),
            post(admin::revoke_client),
        ),
        (
            r("GET", "/api/v1/admin/clients/{id}/grants", "Admin: a client's active grants", "200", true),
            get(admin::list_grants),
        ),
        (
            r(
                "POST",
                "/api/v1/admin/grants",
                "Admin: grant {client, dataset, scope, fields?, until?, basis}",
                "200",
                true,
            ),
            post(admin::add_grant),
        ),
        (
            r("POST", "/api/v1/admin/grants/{id}/revoke", "Admin: revoke a grant", "200", true),
            post(admin::revoke_grant),
        ),
        (
            r(
                "GET",
                "/api/v1/reports/{kind}/{period}",
                "Reports: monthly/yyyy-mm or quarterly/yyyy-Qn (?agency=&format=json|csv|xlsx|html&lang=vi|en)",
                "200",
                true,
            ),
            get(reports::get_report),
        ),
        (
            r(
                "GET",
                "/api/v1/catalogs/{catalog}/search",
                "Names containing ?q= (diacritics, case, tone placement ignored)",
                "200",
                true,
            ),
            get(catalogs::get_search),
        ),
    ]
}

/// The OpenAPI 3 document of [`routes`].
pub fn openapi() -> OpenApi {
    let mut paths = PathsBuilder::new();
    for (route, _) in routes() {
        let mut op = OperationBuilder::new()
            .summary(Some(route.summary))
            .response(route.ok, Response::new("success"))
            .response("400", Response::new("bad input (error envelope)"))
            .response("404", Response::new("unknown dataset, version, catalog or route (error envelope)"));
        if route.bearer {
            op = op
                .security(SecurityRequirement::new("bearer", Vec::<String>::new()))
                .response("401", Response::new("missing, unknown, expired or revoked token"))
                .response("403", Response::new("not granted"))
                .response("429", Response::new("quota used up; see Retry-After"));
        }
        let method = if route.method == "POST" { HttpMethod::Post } else { HttpMethod::Get };
        paths = paths.path(route.path, PathItem::new(method, op.build()));
    }
    let mut doc = OpenApi::new(Info::new("lgsp-hub consumer API", env!("CARGO_PKG_VERSION")), paths.build());
    doc.components = Some(
        ComponentsBuilder::new()
            .security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)))
            .build(),
    );
    doc
}

async fn get_openapi() -> axum::response::Response {
    let body = openapi().to_pretty_json().unwrap_or_default();
    let mut r = axum::response::Response::new(axum::body::Body::from(body));
    r.headers_mut().insert("content-type", axum::http::HeaderValue::from_static("application/json"));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_lists_every_route_and_nothing_else() {
        let doc = serde_json::to_value(openapi()).unwrap();
        let documented: Vec<String> = doc["paths"]
            .as_object()
            .unwrap()
            .iter()
            .flat_map(|(p, item)| item.as_object().unwrap().keys().map(move |m| format!("{} {p}", m.to_uppercase())))
            .collect();
        let mut routed: Vec<String> = routes().iter().map(|(r, _)| format!("{} {}", r.method, r.path)).collect();
        let mut documented = documented;
        documented.sort();
        routed.sort();
        assert_eq!(documented, routed);
    }
}
