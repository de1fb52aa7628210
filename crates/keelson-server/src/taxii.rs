//! The TAXII 2.1 server: discovery (`/taxii2/`), one API root (`/taxii2/api/`),
//! and one read-only collection per partner organisation, with its objects
//! (`added_after`, `limit`/`next` paging, `match[id]`, `match[type]`), manifest,
//! single objects and their versions. Callers authenticate with Keelson's bearer
//! tokens (or the browser session).
//!
//! **Invariant: a collection carries only what its organisation may receive.**
//! CLEAR and GREEN objects go to every partner's collection; AMBER and
//! AMBER+STRICT only to the collections of the organisations the marking shares
//! them with; RED to none, whoever is named on it. A partner sees only its own
//! organisation's collection; any other collection ID is a 404 like one that does
//! not exist. Internal users may read every collection, as its partner sees it.
//!
//! The store keeps one version per STIX ID (the latest imported), so `versions`
//! lists that one and `match[version]` other than `last`/`all` matches it exactly.

use std::collections::BTreeSet;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use keelson_core::{Role, Tlp};
use keelson_exchange::stix::{self, deterministic_id, tlp::tlp2_marking_definition};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiPath};
use crate::intel;

/// The TAXII media type of every answer.
pub const TAXII_MEDIA_TYPE: &str = "application/taxii+json;version=2.1";
/// The media type of the objects a collection holds.
pub const STIX_MEDIA_TYPE: &str = "application/stix+json;version=2.1";
/// The API root's path.
const API_ROOT: &str = "/taxii2/api/";
/// When the TLP 2.0 marking-definitions were published: their `date_added`.
const MARKINGS_ADDED: &str = "2022-10-01T00:00:00Z";
/// Objects per page when the client asks for more or names no limit.
const MAX_PAGE: usize = 1000;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(discovery))
        .routes(routes!(api_root))
        .routes(routes!(collections))
        .routes(routes!(collection))
        .routes(routes!(objects))
        .routes(routes!(manifest))
        .routes(routes!(object))
        .routes(routes!(versions))
}

/// A TAXII error message (TAXII 2.1 section 3.6.1).
#[derive(Debug)]
pub struct TaxiiError {
    status: StatusCode,
    title: String,
}

impl TaxiiError {
    fn new(status: StatusCode, title: impl Into<String>) -> Self {
        Self {
            status,
            title: title.into(),
        }
    }

    fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, format!("{what} not found"))
    }
}

impl From<ApiError> for TaxiiError {
    fn from(error: ApiError) -> Self {
        Self::new(error.status, error.message)
    }
}

impl From<keelson_store::StoreError> for TaxiiError {
    fn from(error: keelson_store::StoreError) -> Self {
        ApiError::from(error).into()
    }
}

impl IntoResponse for TaxiiError {
    fn into_response(self) -> Response {
        let body = json!({
            "title": self.title,
            "http_status": self.status.as_u16().to_string(),
        });
        taxii(self.status, body, None)
    }
}

/// An answer in the TAXII media type, with the date headers of a page.
fn taxii(status: StatusCode, body: Value, dates: Option<(String, String)>) -> Response {
    let mut response = (status, Json(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(TAXII_MEDIA_TYPE),
    );
    if let Some((first, last)) = dates {
        for (name, value) in [
            ("x-taxii-date-added-first", first),
            ("x-taxii-date-added-last", last),
        ] {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(name, value);
            }
        }
    }
    response
}

/// The authenticated caller, after checking that the client accepts TAXII 2.1.
fn admit(headers: &HeaderMap, caller: Result<Caller, ApiError>) -> Result<Caller, TaxiiError> {
    let caller = caller?;
    let Some(accept) = headers.get(header::ACCEPT) else {
        return Ok(caller);
    };
    let accept = accept.to_str().unwrap_or_default().to_ascii_lowercase();
    let acceptable = accept.split(',').any(|entry| {
        let entry: String = entry
            .split(";q=")
            .next()
            .unwrap_or_default()
            .replace(' ', "");
        matches!(
            entry.as_str(),
            "*/*" | "application/*" | "application/taxii+json" | TAXII_MEDIA_TYPE
        )
    });
    if acceptable {
        Ok(caller)
    } else {
        let title = format!("this server answers {TAXII_MEDIA_TYPE} only");
        Err(TaxiiError::new(StatusCode::NOT_ACCEPTABLE, title))
    }
}

/// The UUID of an organisation's collection (a UUIDv5 of its name).
pub fn collection_id(organisation: &str) -> String {
    let id = deterministic_id("taxii-collection", organisation);
    id.split_once("--")
        .map(|(_, uuid)| uuid.to_owned())
        .unwrap_or(id)
}

/// The organisations whose collections the caller may read.
async fn readable_organisations(
    state: &AppState,
    caller: &Caller,
) -> Result<Vec<String>, TaxiiError> {
    if caller.user.role == Role::Partner {
        return Ok(caller.principal.organisation.iter().cloned().collect());
    }
    let users = state.store.list_users().await?;
    let partners: BTreeSet<String> = users
        .into_iter()
        .filter(|user| user.role == Role::Partner)
        .filter_map(|user| user.organisation)
        .collect();
    Ok(partners.into_iter().collect())
}

/// The organisation of the collection `id`, when the caller may read it.
async fn organisation_of(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<String, TaxiiError> {
    let organisations = readable_organisations(state, caller).await?;
    organisations
        .into_iter()
        .find(|organisation| collection_id(organisation) == id)
        .ok_or_else(|| TaxiiError::not_found(&format!("collection {id}")))
}

fn collection_resource(organisation: &str) -> Value {
    json!({
        "id": collection_id(organisation),
        "title": format!("Keelson intelligence for {organisation}"),
        "description": "Indicators, attack patterns, vulnerabilities and relationships this \
                        organisation may receive under TLP (never TLP:RED).",
        "can_read": true,
        "can_write": false,
        "media_types": [STIX_MEDIA_TYPE],
    })
}

/// The server's discovery resource.
#[utoipa::path(get, path = "/taxii2/", tag = "taxii",
    responses((status = 200, description = "TAXII discovery", content_type = TAXII_MEDIA_TYPE)))]
async fn discovery(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Result<Caller, ApiError>,
) -> Result<Response, TaxiiError> {
    admit(&headers, caller)?;
    let body = json!({
        "title": format!("Keelson TAXII ({})", state.config.csaf_publisher),
        "description": "Threat intelligence shared with partner organisations under TLP 2.0.",
        "default": API_ROOT,
        "api_roots": [API_ROOT],
    });
    Ok(taxii(StatusCode::OK, body, None))
}

/// The API root.
#[utoipa::path(get, path = "/taxii2/api/", tag = "taxii",
    responses((status = 200, description = "TAXII API root", content_type = TAXII_MEDIA_TYPE)))]
async fn api_root(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Result<Caller, ApiError>,
) -> Result<Response, TaxiiError> {
    admit(&headers, caller)?;
    let body = json!({
        "title": "Keelson threat intelligence",
        "versions": [TAXII_MEDIA_TYPE],
        "max_content_length": state.config.api_body_limit,
    });
    Ok(taxii(StatusCode::OK, body, None))
}

/// The collections the caller may read: a partner its own organisation's.
#[utoipa::path(get, path = "/taxii2/api/collections/", tag = "taxii",
    responses((status = 200, description = "TAXII collections", content_type = TAXII_MEDIA_TYPE)))]
async fn collections(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Result<Caller, ApiError>,
) -> Result<Response, TaxiiError> {
    let caller = admit(&headers, caller)?;
    let organisations = readable_organisations(&state, &caller).await?;
    let list: Vec<Value> = organisations
        .iter()
        .map(|o| collection_resource(o))
        .collect();
    Ok(taxii(StatusCode::OK, json!({ "collections": list }), None))
}

/// One collection.
#[utoipa::path(get, path = "/taxii2/api/collections/{id}/", tag = "taxii",
    params(("id" = String, Path)),
    responses((status = 200, description = "TAXII collection", content_type = TAXII_MEDIA_TYPE),
              (status = 404)))]
async fn collection(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Result<Caller, ApiError>,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, TaxiiError> {
    let caller = admit(&headers, caller)?;
    let organisation = organisation_of(&state, &caller, &id).await?;
    Ok(taxii(
        StatusCode::OK,
        collection_resource(&organisation),
        None,
    ))
}

/// One object of a collection as TAXII lists it.
struct Entry {
    id: String,
    kind: String,
    version: String,
    date_added: String,
    date_added_us: i64,
    object: Value,
}

/// Everything the organisation may receive, in `date_added` order, after the
/// TLP marking-definitions the objects use.
async fn collection_entries(
    state: &AppState,
    organisation: &str,
) -> Result<Vec<Entry>, TaxiiError> {
    let records = state.store.intel_objects(None).await?;
    let shared = intel::shareable(&intel::partner(organisation), records);
    let labels: BTreeSet<Tlp> = shared.iter().map(|record| record.marking.tlp).collect();

    let mut entries: Vec<Entry> = labels
        .into_iter()
        .map(|tlp| {
            let object = tlp2_marking_definition(tlp);
            Entry {
                id: object["id"].as_str().unwrap_or_default().to_owned(),
                kind: "marking-definition".to_owned(),
                version: object["created"].as_str().unwrap_or_default().to_owned(),
                date_added: MARKINGS_ADDED.to_owned(),
                date_added_us: 0,
                object,
            }
        })
        .collect();
    for record in &shared {
        let Some(export) = intel::export_object(record) else {
            continue;
        };
        entries.push(Entry {
            id: record.stix_id.clone(),
            kind: record.kind.clone(),
            version: record.modified.clone(),
            date_added: record.added_at.clone(),
            date_added_us: record.added_at_us,
            object: stix::object(&export),
        });
    }
    Ok(entries)
}

/// The filters and paging of `objects` and `manifest`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ObjectQuery {
    /// Only objects added after this time (RFC 3339).
    pub added_after: Option<String>,
    /// Objects per page (at most 1000).
    pub limit: Option<String>,
    /// The `next` of the previous page.
    pub next: Option<String>,
    /// STIX IDs, comma-separated.
    #[serde(rename = "match[id]")]
    #[param(rename = "match[id]")]
    pub match_id: Option<String>,
    /// STIX types, comma-separated.
    #[serde(rename = "match[type]")]
    #[param(rename = "match[type]")]
    pub match_type: Option<String>,
    /// `last` (default), `first`, `all` or `modified` timestamps, comma-separated.
    #[serde(rename = "match[version]")]
    #[param(rename = "match[version]")]
    pub match_version: Option<String>,
    /// `2.1` (the only one served).
    #[serde(rename = "match[spec_version]")]
    #[param(rename = "match[spec_version]")]
    pub match_spec_version: Option<String>,
}

/// One page of a filtered collection.
struct Selection<'a> {
    entries: Vec<&'a Entry>,
    more: bool,
    next: Option<String>,
}

fn select<'a>(entries: &'a [Entry], query: &ObjectQuery) -> Result<Selection<'a>, TaxiiError> {
    let bad = |what: String| TaxiiError::new(StatusCode::BAD_REQUEST, what);
    let after = query
        .added_after
        .as_deref()
        .map(|text| {
            micros(text).ok_or_else(|| bad(format!("added_after {text:?} is not an RFC 3339 time")))
        })
        .transpose()?;
    let limit = match query.limit.as_deref() {
        None => MAX_PAGE,
        Some(text) => match text.parse::<usize>() {
            Ok(limit) if limit > 0 => limit.min(MAX_PAGE),
            _ => return Err(bad(format!("limit {text:?} is not a positive integer"))),
        },
    };
    let offset = match query.next.as_deref() {
        None => 0,
        Some(text) => text
            .parse::<usize>()
            .map_err(|_| bad(format!("next {text:?} is not ours")))?,
    };
    let ids = list(query.match_id.as_deref());
    let types = list(query.match_type.as_deref());
    let versions = list(query.match_version.as_deref());
    let spec = list(query.match_spec_version.as_deref());

    let matching: Vec<&Entry> = entries
        .iter()
        .filter(|entry| after.is_none_or(|after| entry.date_added_us > after))
        .filter(|entry| ids.is_empty() || ids.contains(&entry.id.as_str()))
        .filter(|entry| types.is_empty() || types.contains(&entry.kind.as_str()))
        .filter(|entry| version_matches(&versions, &entry.version))
        .filter(|_| spec.is_empty() || spec.contains(&"2.1"))
        .collect();
    let end = offset.saturating_add(limit).min(matching.len());
    let more = end < matching.len();
    let page = matching
        .into_iter()
        .skip(offset)
        .take(end.saturating_sub(offset))
        .collect();
    Ok(Selection {
        entries: page,
        more,
        next: more.then(|| end.to_string()),
    })
}

/// An RFC 3339 time in microseconds since the epoch.
fn micros(text: &str) -> Option<i64> {
    let rfc3339 = &time::format_description::well_known::Rfc3339;
    let at = time::OffsetDateTime::parse(text, rfc3339).ok()?;
    i64::try_from(at.unix_timestamp_nanos() / 1_000).ok()
}

fn list(text: Option<&str>) -> Vec<&str> {
    text.unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .collect()
}

/// One version is kept per object, so `first`, `last` and `all` all match it.
fn version_matches(versions: &[&str], version: &str) -> bool {
    versions.is_empty()
        || versions
            .iter()
            .any(|wanted| matches!(*wanted, "first" | "last" | "all") || *wanted == version)
}

fn page_dates(selection: &Selection<'_>) -> Option<(String, String)> {
    let first = selection.entries.first()?;
    let last = selection.entries.last()?;
    Some((first.date_added.clone(), last.date_added.clone()))
}

async fn selection_of(
    state: &AppState,
    headers: &HeaderMap,
    caller: Result<Caller, ApiError>,
    id: &str,
) -> Result<Vec<Entry>, TaxiiError> {
    let caller = admit(headers, caller)?;
    let organisation = organisation_of(state, &caller, id).await?;
    collection_entries(state, &organisation).await
}

/// The objects of a collection, in `date_added` order, in an envelope.
#[utoipa::path(get, path = "/taxii2/api/collections/{id}/objects/", tag = "taxii",
    params(("id" = String, Path), ObjectQuery),
    responses((status = 200, description = "TAXII envelope", content_type = TAXII_MEDIA_TYPE),
              (status = 400), (status = 404)))]
async fn objects(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Result<Caller, ApiError>,
    ApiPath(id): ApiPath<String>,
    query: Result<Query<ObjectQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, TaxiiError> {
    let entries = selection_of(&state, &headers, caller, &id).await?;
    let Query(query) =
        query.map_err(|e| TaxiiError::new(StatusCode::BAD_REQUEST, e.body_text()))?;
    let selection = select(&entries, &query)?;
    let objects: Vec<&Value> = selection
        .entries
        .iter()
        .map(|entry| &entry.object)
        .collect();
    let mut body = json!({ "more": selection.more, "objects": objects });
    if let Some(next) = &selection.next {
        body["next"] = json!(next);
    }
    Ok(taxii(StatusCode::OK, body, page_dates(&selection)))
}

/// The manifest of a collection: each object's ID, date added, version and media
/// type.
#[utoipa::path(get, path = "/taxii2/api/collections/{id}/manifest/", tag = "taxii",
    params(("id" = String, Path), ObjectQuery),
    responses((status = 200, description = "TAXII manifest", content_type = TAXII_MEDIA_TYPE),
              (status = 400), (status = 404)))]
async fn manifest(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Result<Caller, ApiError>,
    ApiPath(id): ApiPath<String>,
    query: Result<Query<ObjectQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, TaxiiError> {
    let entries = selection_of(&state, &headers, caller, &id).await?;
    let Query(query) =
        query.map_err(|e| TaxiiError::new(StatusCode::BAD_REQUEST, e.body_text()))?;
    let selection = select(&entries, &query)?;
    let records: Vec<Value> = selection
        .entries
        .iter()
        .map(|entry| {
            json!({"id": entry.id, "date_added": entry.date_added, "version": entry.version,
                   "media_type": STIX_MEDIA_TYPE})
        })
        .collect();
    let mut body = json!({ "more": selection.more, "objects": records });
    if let Some(next) = &selection.next {
        body["next"] = json!(next);
    }
    Ok(taxii(StatusCode::OK, body, page_dates(&selection)))
}

fn find<'a>(entries: &'a [Entry], object_id: &str) -> Result<&'a Entry, TaxiiError> {
    entries
        .iter()
        .find(|entry| entry.id == object_id)
        .ok_or_else(|| TaxiiError::not_found(&format!("object {object_id}")))
}

/// One object of a collection, in an envelope.
#[utoipa::path(get, path = "/taxii2/api/collections/{id}/objects/{object_id}/", tag = "taxii",
    params(("id" = String, Path), ("object_id" = String, Path)),
    responses((status = 200, description = "TAXII envelope", content_type = TAXII_MEDIA_TYPE),
              (status = 404)))]
async fn object(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Result<Caller, ApiError>,
    ApiPath((id, object_id)): ApiPath<(String, String)>,
) -> Result<Response, TaxiiError> {
    let entries = selection_of(&state, &headers, caller, &id).await?;
    let entry = find(&entries, &object_id)?;
    let body = json!({ "more": false, "objects": [entry.object] });
    let dates = Some((entry.date_added.clone(), entry.date_added.clone()));
    Ok(taxii(StatusCode::OK, body, dates))
}

/// The versions of one object (Keelson keeps the latest).
#[utoipa::path(get, path = "/taxii2/api/collections/{id}/objects/{object_id}/versions/",
    tag = "taxii", params(("id" = String, Path), ("object_id" = String, Path)),
    responses((status = 200, description = "TAXII versions", content_type = TAXII_MEDIA_TYPE),
              (status = 404)))]
async fn versions(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Result<Caller, ApiError>,
    ApiPath((id, object_id)): ApiPath<(String, String)>,
) -> Result<Response, TaxiiError> {
    let entries = selection_of(&state, &headers, caller, &id).await?;
    let entry = find(&entries, &object_id)?;
    let body = json!({ "more": false, "versions": [entry.version] });
    let dates = Some((entry.date_added.clone(), entry.date_added.clone()));
    Ok(taxii(StatusCode::OK, body, dates))
}
