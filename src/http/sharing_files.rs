//! Delta Sharing files: a table's snapshot at a version (`query`), its change data feed between
//! two versions (`changes`), and the signed links the files are downloaded through.
//!
//! A grant on every field gets the stored files (an S3 pre-signed URL when the object store is
//! S3, else a signed hub link). A grant limited to some fields, or delivering fields masked or
//! pseudonymized, gets files encoded for that client on each download (the same bytes each
//! time, so clients may read them in ranges).

use super::auth::Caller;
use super::error::ApiError;
use super::sharing::{manifest, metadata, ndjson, table, timestamp, versions, Audit};
use super::AppState;
use crate::access::{find_grant, granted_fields};
use crate::sharing::{file_line, millis, protocol_line, FileKind, FileLine, Link};
use crate::store::{DatasetRow, GrantRow, VersionRow};
use crate::versions::Manifest;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;

/// Whether a grant gets files encoded for its client rather than the stored ones.
fn restricted(grant: &GrantRow) -> bool {
    granted_fields(grant).is_some() || grant.protect.is_some()
}

/// The key links are signed with (none loaded: no link is issued or honoured).
fn link_key(state: &AppState) -> Result<crate::digest::MacKey, ApiError> {
    let secret = state.store.audit_chain().key().ok_or_else(|| ApiError::internal("the hub's key is not loaded"))?;
    Ok(crate::sharing::links::link_key(secret))
}

/// The address consumers reach this hub at: the setting, else the address of the request.
pub(crate) fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(u) = &state.public_url {
        return u.clone();
    }
    let host = headers.get("host").and_then(|v| v.to_str().ok()).unwrap_or("127.0.0.1");
    let proto = headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()).unwrap_or("http");
    format!("{proto}://{host}")
}

/// The bytes of a version's file as `grant` delivers it to `caller`.
async fn encoded(
    state: &AppState,
    caller: &Caller,
    grant: &GrantRow,
    row: &VersionRow,
    kind: FileKind,
) -> Result<(Vec<u8>, usize), ApiError> {
    let df = super::data::read(state, &format!("{}/{}", row.prefix, kind.file_name())).await?;
    let mut df = super::data::granted(state, caller, grant, df)?;
    let rows = df.height();
    Ok((crate::parquet_io::to_bytes(&mut df, &crate::parquet_io::Options::default())?, rows))
}

/// What a file line needs, beside the version.
struct Listing<'a> {
    state: &'a AppState,
    caller: &'a Caller,
    grant: &'a GrantRow,
    base: String,
    expires: i64,
}

impl Listing<'_> {
    /// The line listing one file (`file` or `cdf`) of `row`, whose manifest is `m` (the
    /// caller checked that retention kept its files).
    async fn line(&self, row: &VersionRow, m: &Manifest, kind: FileKind) -> Result<(String, u64), ApiError> {
        let (size, id, rows) = match restricted(self.grant) {
            false => {
                let f = m
                    .files
                    .get(kind.manifest_key())
                    .ok_or_else(|| ApiError::internal("a file of the version is not in its manifest"))?;
                (f.bytes, f.sha256.clone(), f.rows)
            }
            true => {
                let (bytes, rows) = encoded(self.state, self.caller, self.grant, row, kind).await?;
                (bytes.len() as u64, crate::digest::sha256_hex(&bytes), rows as u64)
            }
        };
        let link = Link {
            client: self.caller.client_id.clone(),
            agency: self.caller.agency.clone(),
            dataset: row.dataset.clone(),
            version: row.version,
            kind,
            expires: self.expires,
        };
        let presigned = match restricted(self.grant) {
            true => None,
            false => {
                let path = format!("{}/{}", row.prefix, kind.file_name());
                let ttl = std::time::Duration::from_secs(self.state.sharing_link_seconds.max(1) as u64);
                self.state.objects.presigned_get(&path, ttl).await.map_err(ApiError::internal)?
            }
        };
        let url = match presigned {
            Some(url) => url,
            None => format!("{}/delta-sharing/files/{}", self.base, link.sign(&link_key(self.state)?)),
        };
        let action = if kind == FileKind::Snapshot { "file" } else { "cdf" };
        let line = FileLine {
            url: &url,
            id: &id,
            size,
            rows,
            version: row.version,
            timestamp: millis(&row.created_at),
            expires: self.expires * 1000,
        };
        Ok((file_line(action, &line), rows))
    }
}

fn listing<'a>(state: &'a AppState, caller: &'a Caller, grant: &'a GrantRow, headers: &HeaderMap) -> Listing<'a> {
    let expires = chrono::Utc::now().timestamp() + state.sharing_link_seconds;
    Listing { state, caller, grant, base: base_url(state, headers), expires }
}

fn grant_for<'a>(caller: &'a Caller, d: &DatasetRow, kind: FileKind) -> Result<&'a GrantRow, ApiError> {
    find_grant(&caller.grants, &d.name, kind.scope())
        .ok_or_else(|| ApiError::forbidden(format!("no {} grant on '{}'", kind.scope(), d.name)))
}

async fn version_row(state: &AppState, d: &DatasetRow, version: i64) -> Result<VersionRow, ApiError> {
    state
        .store
        .version(&d.name, version)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("'{}' has no version {version}", d.name)))
}

/// The body of a query: which version (`version` or `timestamp`); hints are accepted and
/// ignored (every file is listed).
#[derive(Deserialize, Default)]
pub(crate) struct QueryBody {
    version: Option<i64>,
    timestamp: Option<String>,
    #[serde(rename = "limitHint")]
    _limit_hint: Option<i64>,
    #[serde(rename = "predicateHints")]
    _predicate_hints: Option<serde_json::Value>,
    #[serde(rename = "jsonPredicateHints")]
    _json_predicate_hints: Option<serde_json::Value>,
}

/// `POST …/tables/{table}/query`: the snapshot file of the current version, of `version`, or of
/// the version current at `timestamp`.
pub(crate) async fn post_query(
    State(state): State<AppState>,
    caller: Caller,
    audit: Audit,
    headers: HeaderMap,
    Path(path): Path<(String, String, String)>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let q: QueryBody = match body.is_empty() {
        true => QueryBody::default(),
        false => serde_json::from_slice(&body)
            .map_err(|e| ApiError::bad_request(format!("the query body is not the protocol's JSON: {e}")))?,
    };
    let d = table(&state, &caller, &audit, &path).await?;
    let grant = grant_for(&caller, &d, FileKind::Snapshot)?;
    let version = match (q.version, q.timestamp) {
        (Some(_), Some(_)) => return Err(ApiError::bad_request("give version or timestamp, not both")),
        (Some(v), None) => v,
        (None, Some(t)) => {
            crate::sharing::version_at(&versions(&state, &d.name).await?, timestamp("timestamp", &t)?)
                .ok_or_else(|| ApiError::bad_request(format!("no version of '{}' was published by {t}", d.name)))?
        }
        (None, None) => d.current_version,
    };
    let row = version_row(&state, &d, version).await?;
    crate::versions::ensure_kept(&state.store, &d.name, version).await?;
    let m = manifest(&state, &row).await?;
    let (file, rows) = listing(&state, &caller, grant, &headers).line(&row, &m, FileKind::Snapshot).await?;
    super::data::note(&audit, grant, Some(version), 0);
    tracing::debug!(dataset = %d.name, version, rows, "delta sharing query");
    Ok(ndjson(vec![protocol_line(), metadata(&d, &m, &caller), file], version))
}

/// `…/changes?startingVersion=&endingVersion=&startingTimestamp=&endingTimestamp=`.
#[derive(Deserialize)]
pub(crate) struct ChangesQuery {
    #[serde(rename = "startingVersion")]
    starting_version: Option<i64>,
    #[serde(rename = "endingVersion")]
    ending_version: Option<i64>,
    #[serde(rename = "startingTimestamp")]
    starting_timestamp: Option<String>,
    #[serde(rename = "endingTimestamp")]
    ending_timestamp: Option<String>,
    #[serde(rename = "includeHistoricalMetadata")]
    _include_historical_metadata: Option<String>,
}

/// `GET …/tables/{table}/changes`: one change-data file per version from the starting version
/// to the ending one (default the current), each row with its `_change_type` (insert,
/// update_preimage, update_postimage, delete).
pub(crate) async fn get_changes(
    State(state): State<AppState>,
    caller: Caller,
    audit: Audit,
    headers: HeaderMap,
    Path(path): Path<(String, String, String)>,
    Query(q): Query<ChangesQuery>,
) -> Result<Response, ApiError> {
    let d = table(&state, &caller, &audit, &path).await?;
    let grant = grant_for(&caller, &d, FileKind::Changes)?;
    let all = versions(&state, &d.name).await?;
    let start = match (q.starting_version, &q.starting_timestamp) {
        (Some(v), None) => v.max(1),
        (None, Some(t)) => crate::sharing::first_since(&all, timestamp("startingTimestamp", t)?)
            .ok_or_else(|| ApiError::bad_request(format!("no version was published at or after {t}")))?,
        _ => return Err(ApiError::bad_request("give startingVersion or startingTimestamp (one of them)")),
    };
    let end = match (q.ending_version, &q.ending_timestamp) {
        (Some(v), None) => v,
        (None, Some(t)) => crate::sharing::version_at(&all, timestamp("endingTimestamp", t)?).unwrap_or(0),
        (None, None) => d.current_version,
        _ => return Err(ApiError::bad_request("give endingVersion or endingTimestamp, not both")),
    };
    if start > d.current_version || end > d.current_version {
        return Err(ApiError::bad_request(format!(
            "'{}' is at version {}: ask for versions up to it",
            d.name, d.current_version
        )));
    }
    if end < start {
        return Err(ApiError::bad_request(format!("endingVersion {end} is before startingVersion {start}")));
    }
    // Retention keeps the newest versions: the starting one kept, every later one is.
    crate::versions::ensure_kept(&state.store, &d.name, start).await?;
    let list = listing(&state, &caller, grant, &headers);
    let (mut files, mut last) = (Vec::new(), None);
    for v in start..=end {
        let row = version_row(&state, &d, v).await?;
        let m = manifest(&state, &row).await?;
        files.push(list.line(&row, &m, FileKind::Changes).await?.0);
        last = Some(m);
    }
    // The metadata is the ending version's (start <= end: there is one).
    let m = last.ok_or_else(|| ApiError::internal("no version between start and end"))?;
    let mut lines = vec![protocol_line(), metadata(&d, &m, &caller)];
    lines.extend(files);
    super::data::note(&audit, grant, Some(end), 0);
    Ok(ndjson(lines, start))
}

/// `GET /delta-sharing/files/{link}`: the file a signed link names, while the link is valid and
/// its client still holds the grant; whole or in byte ranges. Each download is in the audit log
/// under the link's client.
pub(crate) async fn get_file(
    State(state): State<AppState>,
    audit: Audit,
    method: axum::http::Method,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    let link = Link::verify(&token, &link_key(&state)?, chrono::Utc::now().timestamp())
        .map_err(|e| ApiError::forbidden(e.to_string()))?;
    if let Ok(mut i) = audit.0.lock() {
        i.client_id = link.client.clone();
        i.agency = link.agency.clone();
        i.dataset = link.dataset.clone();
        i.version = Some(link.version);
    }
    let revoked = || ApiError::forbidden("the client was revoked or no longer holds the grant");
    let client = state.store.client(&link.client).await?.filter(|c| c.revoked_at.is_none()).ok_or_else(revoked)?;
    let grants = state.store.active_grants(&client.id, &crate::catalog::today()).await?;
    let grant = find_grant(&grants, &link.dataset, link.kind.scope()).ok_or_else(revoked)?.clone();
    let caller = Caller { client_id: client.id, agency: client.agency, grants: grants.clone() };
    let row = state
        .store
        .version(&link.dataset, link.version)
        .await?
        .ok_or_else(|| ApiError::not_found("the version of the link is gone"))?;
    crate::versions::ensure_kept(&state.store, &link.dataset, link.version).await?;
    let (response, rows) = match restricted(&grant) {
        false => {
            let path = format!("{}/{}", row.prefix, link.kind.file_name());
            let rows = manifest(&state, &row).await?.files.get(link.kind.manifest_key()).map_or(0, |f| f.rows);
            (super::files::stream_file(&state, &path, &headers).await?, rows as usize)
        }
        true => {
            let (bytes, rows) = encoded(&state, &caller, &grant, &row, link.kind).await?;
            (super::files::send_bytes(bytes, &headers), rows)
        }
    };
    let partial = response.status() == axum::http::StatusCode::PARTIAL_CONTENT;
    let from = (link.kind == FileKind::Changes).then_some(link.version - 1);
    match method == axum::http::Method::HEAD {
        true => super::data::note(&audit, &grant, Some(link.version), 0),
        false => super::data::offer(&audit, &caller, &grant, link.version, rows, partial, from),
    }
    Ok(response)
}
