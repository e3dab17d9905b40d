//! The route table: one list builds both the router and the OpenAPI document, so the two
//! cannot drift apart.

use super::route_spec::{date, int, needed, one_of, r, text};
pub(crate) use super::route_spec::{Body, Param, Returns, Route};
use super::{admin, catalogs, contract, data, datasets, reports, token, AppState};
use axum::routing::{get, post, MethodRouter};

/// An agency's electronic identifier.
const AGENCY_CODE: &str = r"^[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}$";

const FORMAT: Param = one_of("format", &["parquet", "csv", "ndjson"], "Encoding (default parquet)");
const AS_OF: Param = date("asOf", "The date the catalog is read on, yyyy-mm-dd (default today)");

const SNAPSHOT_QUERY: &[Param] = &[int("version", "The version (default the current one)"), FORMAT];
const CHANGES_QUERY: &[Param] =
    &[int("since", "Changes after this version (default: after the caller's position)"), FORMAT];
const AS_OF_QUERY: &[Param] = &[AS_OF];
const CURRENT_QUERY: &[Param] = &[date("at", "The date the old code was read on, yyyy-mm-dd"), AS_OF];
const REPORT_QUERY: &[Param] = &[
    text("agency", "Only this agency's part"),
    one_of("format", &["json", "csv", "xlsx", "html"], "Encoding (default json)"),
    one_of("lang", &["vi", "en"], "Language (default vi)"),
];
const SCHEMA_QUERY: &[Param] =
    &[one_of("format", &["frictionless", "jsonschema"], "Frictionless Table Schema (default) or JSON Schema")];
const SUBJECT_QUERY: &[Param] = &[one_of("format", &["json", "html"], "json (default) or a printable page")];
const SEARCH_QUERY: &[Param] = &[needed("q", "Part of a name"), AS_OF];
const TOKEN_FORM: &[Param] = &[
    Param { name: "grant_type", required: true, values: &["client_credentials"], ..Param::EMPTY },
    text("client_id", "The client id, when not sent with HTTP Basic"),
    text("client_secret", "The client secret, when not sent with HTTP Basic"),
];
const AGENCY_BODY: &[Param] = &[
    Param {
        name: "code",
        required: true,
        pattern: AGENCY_CODE,
        description: "Agency code AAA.BB.CC.XNN",
        ..Param::EMPTY
    },
    needed("name", "Agency name"),
];
const CLIENT_BODY: &[Param] =
    &[Param { name: "agency", required: true, pattern: AGENCY_CODE, description: "Agency code", ..Param::EMPTY }];
const GRANT_BODY: &[Param] = &[
    needed("client", "Client id"),
    needed("dataset", "A published dataset, or * with the admin or reports scope"),
    Param {
        name: "scope",
        required: true,
        values: &["snapshot", "changes", "lookup", "reports", "admin"],
        ..Param::EMPTY
    },
    Param { name: "fields", list: true, description: "Only these fields (default every field)", ..Param::EMPTY },
    date("until", "Last day of the grant, yyyy-mm-dd"),
    needed("basis", "Legal basis: the law, decree or decision that allows the sharing"),
    text("purpose", "What the receiving agency uses the data for (required when personal fields are granted)"),
    Param { name: "sensitive", boolean: true, description: "Grant sensitive personal fields", ..Param::EMPTY },
    Param {
        name: "protect",
        map_of: &["last4", "initials", "year", "pseudonym"],
        description: "How fields are delivered: {field: last4|initials|year|pseudonym}",
        ..Param::EMPTY
    },
];

/// Every route with its handler.
pub(crate) fn routes() -> Vec<(Route, MethodRouter<AppState>)> {
    vec![
        (
            r("POST", "/token", "OAuth2 client credentials (HTTP Basic) → bearer token", false)
                .body(Body::Form(TOKEN_FORM))
                .returns(Returns::Token),
            post(token::post_token),
        ),
        (r("GET", "/healthz", "Store and object store reachable", false).returns(Returns::Text), get(super::healthz)),
        (r("GET", "/metrics", "Prometheus metrics", false).returns(Returns::Text), get(super::get_metrics)),
        (r("GET", "/openapi.json", "This document", false), get(get_openapi)),
        (r("GET", "/api/v1/me", "The caller and what it may call", true), get(datasets::get_me)),
        (r("GET", "/api/v1/datasets", "Datasets the caller holds a grant on", true), get(datasets::list_datasets)),
        (
            r("GET", "/api/v1/datasets/{name}", "Data dictionary of a dataset (granted fields only)", true),
            get(datasets::get_dataset),
        ),
        (r("GET", "/api/v1/datasets/{name}/versions", "Published versions", true), get(datasets::list_versions)),
        (
            r(
                "GET",
                "/api/v1/datasets/{name}/schema",
                "The data contract as the caller receives it (?format=frictionless|jsonschema)",
                true,
            )
            .query(SCHEMA_QUERY),
            get(contract::get_schema),
        ),
        (
            r(
                "GET",
                "/api/v1/datasets/{name}/snapshot",
                "A version's snapshot (?version=&format=parquet|csv|ndjson)",
                true,
            )
            .query(SNAPSHOT_QUERY)
            .returns(Returns::Data { ranges: true }),
            get(data::get_snapshot),
        ),
        (
            r(
                "GET",
                "/api/v1/datasets/{name}/changes",
                "Changes after a version, default after the caller's last pull (?since=&format=)",
                true,
            )
            .query(CHANGES_QUERY)
            .returns(Returns::Data { ranges: false }),
            get(data::get_changes),
        ),
        (
            r("GET", "/api/v1/datasets/{name}/records/{key}", "The current master record of a business key", true),
            get(data::get_record),
        ),
        (
            r("GET", "/dmdc/Metadata/{catalog}", "Fields of a shared catalog (NGSP shape)", true).query(AS_OF_QUERY),
            get(catalogs::get_metadata),
        ),
        (
            r("GET", "/dmdc/Category/{catalog}", "Rows of a shared catalog valid on ?asOf= (NGSP shape)", true)
                .query(AS_OF_QUERY),
            get(catalogs::get_category),
        ),
        (
            r(
                "GET",
                "/api/v1/catalogs/{catalog}/codes/{code}",
                "What a code is on ?asOf=: valid, retired (succeeded by), unknown",
                true,
            )
            .query(AS_OF_QUERY),
            get(catalogs::get_lookup),
        ),
        (
            r(
                "GET",
                "/api/v1/catalogs/{catalog}/codes/{code}/current",
                "The current code(s) an old code became (?at=&asOf=)",
                true,
            )
            .query(CURRENT_QUERY),
            get(catalogs::get_resolve),
        ),
        (r("GET", "/api/v1/admin/agencies", "Admin: every agency", true), get(admin::list_agencies)),
        (
            r("POST", "/api/v1/admin/agencies", "Admin: add an agency {code, name}", true)
                .body(Body::Json(AGENCY_BODY)),
            post(admin::add_agency),
        ),
        (
            r("GET", "/api/v1/admin/agencies/{code}/clients", "Admin: an agency's clients", true),
            get(admin::list_clients),
        ),
        (
            r("POST", "/api/v1/admin/clients", "Admin: create a client {agency}; the secret is shown once", true)
                .body(Body::Json(CLIENT_BODY)),
            post(admin::create_client),
        ),
        (
            r("POST", "/api/v1/admin/clients/{id}/revoke", "Admin: revoke a client and its tokens", true),
            post(admin::revoke_client),
        ),
        (
            r("GET", "/api/v1/admin/clients/{id}/grants", "Admin: a client's active grants", true),
            get(admin::list_grants),
        ),
        (
            r(
                "POST",
                "/api/v1/admin/grants",
                "Admin: grant {client, dataset, scope, fields?, until?, basis, purpose?, sensitive?, protect?}",
                true,
            )
            .body(Body::Json(GRANT_BODY)),
            post(admin::add_grant),
        ),
        (r("POST", "/api/v1/admin/grants/{id}/revoke", "Admin: revoke a grant", true), post(admin::revoke_grant)),
        (
            r(
                "GET",
                "/api/v1/admin/subjects/{key}",
                "Admin: a person's records and their disclosures (?format=json|html)",
                true,
            )
            .query(SUBJECT_QUERY)
            .returns(Returns::JsonOrHtml),
            get(admin::get_subject_report),
        ),
        (
            r(
                "GET",
                "/api/v1/reports/{kind}/{period}",
                "Reports: monthly/yyyy-mm or quarterly/yyyy-Qn (?agency=&format=json|csv|xlsx|html&lang=vi|en)",
                true,
            )
            .query(REPORT_QUERY)
            .returns(Returns::Report),
            get(reports::get_report),
        ),
        (
            r(
                "GET",
                "/api/v1/catalogs/{catalog}/search",
                "Names containing ?q= (diacritics, case, tone placement ignored)",
                true,
            )
            .query(SEARCH_QUERY),
            get(catalogs::get_search),
        ),
    ]
}

async fn get_openapi() -> axum::response::Response {
    let body = serde_json::to_vec_pretty(&super::openapi::document()).unwrap_or_default();
    let mut r = axum::response::Response::new(axum::body::Body::from(body));
    r.headers_mut().insert("content-type", axum::http::HeaderValue::from_static("application/json"));
    r
}
