//! Threat intelligence over the API: indicators (list with filters, create,
//! show), attack patterns such as Automotive Threat Matrix techniques (list,
//! and one by Keelson ID, STIX ID or technique ID, so reports can name the
//! technique a rule's `atm_tags` point at), STIX 2.1 bundle import and export.
//!
//! Every read passes the clearance gate: a record above the reader's clearance
//! is a 404 like a missing one, and an export carries only what its reader (or
//! the partner organisation it is cut for) may receive, never TLP:RED.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use keelson_core::{Marking, Tlp};
use keelson_exchange::stix::{AttackPattern, Body, Indicator};
use keelson_store::intel::IntelRecord;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::alerts::parse_time;
use super::{Page, PageQuery};
use crate::AppState;
use crate::auth::Caller;
use crate::clearance::{visible, visible_only};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery};
use crate::intel::{self, ImportMarking, IntelError, IntelImportReport, NewIndicator};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_indicators, create_indicator))
        .routes(routes!(get_indicator))
        .routes(routes!(list_attack_patterns))
        .routes(routes!(get_attack_pattern))
        .routes(routes!(import_bundle))
        .routes(routes!(export_bundle))
}

/// An indicator as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IndicatorView {
    pub id: String,
    pub stix_id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub pattern: String,
    pub pattern_type: String,
    pub valid_from: String,
    pub valid_until: Option<String>,
    pub labels: Vec<String>,
    pub created: String,
    pub modified: String,
    /// `import:sha256:DIGEST` or `user:NAME`.
    pub source: String,
    pub added_by: String,
    pub added_at: String,
    pub marking: Marking,
}

/// An attack pattern (technique) as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AttackPatternView {
    pub id: String,
    pub stix_id: String,
    /// The technique ID, such as `ATM-T0031`.
    pub external_id: Option<String>,
    pub name: String,
    pub description: Option<String>,
    /// The kill chain phases (tactics), comma-separated.
    pub tactic: Option<String>,
    #[schema(value_type = Vec<Object>)]
    pub external_references: Value,
    #[schema(value_type = Vec<Object>)]
    pub kill_chain_phases: Value,
    pub source: String,
    pub added_at: String,
    pub modified: String,
    pub marking: Marking,
}

fn indicator_view(record: IntelRecord) -> Result<IndicatorView, ApiError> {
    let Ok(Body::Indicator(body)) = serde_json::from_value::<Body>(record.body.clone()) else {
        return Err(ApiError::internal(format!(
            "indicator {} does not read",
            record.id
        )));
    };
    let Indicator {
        name,
        description,
        pattern,
        pattern_type,
        valid_from,
        valid_until,
        labels,
    } = body;
    Ok(IndicatorView {
        id: record.id,
        stix_id: record.stix_id,
        name,
        description,
        pattern,
        pattern_type,
        valid_from,
        valid_until,
        labels,
        created: record.created,
        modified: record.modified,
        source: record.source,
        added_by: record.added_by,
        added_at: record.added_at,
        marking: record.marking,
    })
}

fn attack_pattern_view(record: IntelRecord) -> Result<AttackPatternView, ApiError> {
    let Ok(Body::AttackPattern(body)) = serde_json::from_value::<Body>(record.body.clone()) else {
        return Err(ApiError::internal(format!(
            "attack pattern {} does not read",
            record.id
        )));
    };
    let AttackPattern {
        name,
        description,
        external_references,
        kill_chain_phases,
    } = body;
    Ok(AttackPatternView {
        id: record.id,
        stix_id: record.stix_id,
        external_id: record.external_id,
        name,
        description,
        tactic: record.tactic,
        external_references: serde_json::to_value(external_references).unwrap_or_default(),
        kill_chain_phases: serde_json::to_value(kill_chain_phases).unwrap_or_default(),
        source: record.source,
        added_at: record.added_at,
        modified: record.modified,
        marking: record.marking,
    })
}

impl From<IntelError> for ApiError {
    fn from(error: IntelError) -> Self {
        match error {
            IntelError::Stix(error) => ApiError::invalid(format!("stix: {error}")),
            IntelError::Store(error) => error.into(),
        }
    }
}

/// Filters and paging of the indicator list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct IndicatorQuery {
    #[param(value_type = Option<String>)]
    pub tlp: Option<Tlp>,
    /// `stix`, `sigma`, ...
    pub pattern_type: Option<String>,
    /// Indicators carrying this label.
    pub label: Option<String>,
    /// `import:sha256:DIGEST` or `user:NAME`.
    pub source: Option<String>,
    /// RFC 3339: indicators valid at this time (`valid_from` <= t < `valid_until`).
    pub valid_at: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// Indicators the caller may see, oldest added first.
#[utoipa::path(get, path = "/api/v1/indicators", tag = "intel", params(IndicatorQuery),
    responses((status = 200, body = Page<IndicatorView>), (status = 400)))]
pub(crate) async fn list_indicators(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<IndicatorQuery>,
) -> Result<Json<Page<IndicatorView>>, ApiError> {
    let valid_at = query
        .valid_at
        .as_deref()
        .map(|t| parse_time("valid_at", t))
        .transpose()?;
    let records = visible_only(&caller, state.store.intel_objects(Some("indicator")).await?);
    let mut views = Vec::new();
    for view in records.into_iter().map(indicator_view) {
        let view = view?;
        if indicator_matches(&view, &query, valid_at) {
            views.push(view);
        }
    }
    let page = PageQuery {
        limit: query.limit,
        cursor: query.cursor,
    };
    Ok(Json(page.page(views)?))
}

fn indicator_matches(view: &IndicatorView, query: &IndicatorQuery, valid_at: Option<i64>) -> bool {
    let time = |text: &str| parse_time("", text).ok();
    query.tlp.is_none_or(|tlp| view.marking.tlp == tlp)
        && query
            .pattern_type
            .as_ref()
            .is_none_or(|t| &view.pattern_type == t)
        && query
            .label
            .as_ref()
            .is_none_or(|label| view.labels.contains(label))
        && query
            .source
            .as_ref()
            .is_none_or(|source| &view.source == source)
        && valid_at.is_none_or(|at| {
            time(&view.valid_from).is_some_and(|from| from <= at)
                && view
                    .valid_until
                    .as_deref()
                    .and_then(time)
                    .is_none_or(|until| at < until)
        })
}

/// Creates an indicator (internal roles); its STIX ID is a UUIDv5 of its Keelson
/// ID, so every export names it the same. A field that breaks STIX 2.1 is a 422
/// naming it.
#[utoipa::path(post, path = "/api/v1/indicators", tag = "intel", request_body = NewIndicator,
    responses((status = 201, body = IndicatorView),
              (status = 422, body = crate::error::ErrorBody)))]
async fn create_indicator(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(new): ApiJson<NewIndicator>,
) -> Result<(StatusCode, Json<IndicatorView>), ApiError> {
    caller.require_internal()?;
    let record = intel::create_indicator(&state.store, &caller.user.name, new).await?;
    Ok((StatusCode::CREATED, Json(indicator_view(record)?)))
}

/// One indicator by Keelson ID or STIX ID.
#[utoipa::path(get, path = "/api/v1/indicators/{id}", tag = "intel",
    params(("id" = String, Path)),
    responses((status = 200, body = IndicatorView), (status = 404)))]
async fn get_indicator(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<IndicatorView>, ApiError> {
    let found = state.store.intel_object(&id).await?;
    let found = found.filter(|record| record.kind == "indicator");
    let record = visible(&caller, found, &format!("indicator {id}"))?;
    Ok(Json(indicator_view(record)?))
}

/// Filters and paging of the attack-pattern list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AttackPatternQuery {
    /// The technique ID (`ATM-T0031`; case-insensitive).
    pub external_id: Option<String>,
    /// A kill chain phase (tactic) name.
    pub tactic: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// Attack patterns (techniques) the caller may see, oldest added first.
#[utoipa::path(get, path = "/api/v1/attack-patterns", tag = "intel",
    params(AttackPatternQuery),
    responses((status = 200, body = Page<AttackPatternView>), (status = 400)))]
pub(crate) async fn list_attack_patterns(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<AttackPatternQuery>,
) -> Result<Json<Page<AttackPatternView>>, ApiError> {
    let records = state.store.intel_objects(Some("attack-pattern")).await?;
    let mut views = Vec::new();
    for record in visible_only(&caller, records) {
        let wanted_id = query.external_id.as_deref().is_none_or(|wanted| {
            record
                .external_id
                .as_deref()
                .is_some_and(|id| id.eq_ignore_ascii_case(wanted))
        });
        let wanted_tactic = query.tactic.as_deref().is_none_or(|wanted| {
            record
                .tactic
                .as_deref()
                .is_some_and(|t| t.split(',').any(|t| t == wanted))
        });
        if wanted_id && wanted_tactic {
            views.push(attack_pattern_view(record)?);
        }
    }
    let page = PageQuery {
        limit: query.limit,
        cursor: query.cursor,
    };
    Ok(Json(page.page(views)?))
}

/// One attack pattern by Keelson ID, STIX ID or technique ID (`ATM-T0031`, as a
/// rule's `atm_tags` name it; case-insensitive). Of several techniques with one
/// ID, the latest added the caller may see.
#[utoipa::path(get, path = "/api/v1/attack-patterns/{id}", tag = "intel",
    params(("id" = String, Path)),
    responses((status = 200, body = AttackPatternView), (status = 404)))]
async fn get_attack_pattern(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<AttackPatternView>, ApiError> {
    let direct = state.store.intel_object(&id).await?;
    let direct = direct.filter(|record| record.kind == "attack-pattern");
    let found = match direct {
        Some(record) => Some(record),
        None => by_technique_id(&state, &caller, &id).await?,
    };
    let record = visible(&caller, found, &format!("attack pattern {id}"))?;
    Ok(Json(attack_pattern_view(record)?))
}

async fn by_technique_id(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<Option<IntelRecord>, ApiError> {
    let records = state.store.intel_objects(Some("attack-pattern")).await?;
    let matching = records.into_iter().filter(|record| {
        record
            .external_id
            .as_deref()
            .is_some_and(|known| known.eq_ignore_ascii_case(id))
    });
    Ok(visible_only(caller, matching.collect()).pop())
}

/// The marking of an imported bundle's objects that carry no TLP marking.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// Default AMBER.
    #[param(value_type = Option<String>)]
    pub tlp: Option<Tlp>,
    /// Partner organisations (comma-separated) AMBER objects are shared with.
    pub share_with: Option<String>,
}

/// Imports a STIX 2.1 bundle (internal roles): its indicators, attack patterns,
/// vulnerabilities and relationships are stored, other types counted in
/// `not_kept`. An object already stored at the same or a later `modified` is
/// unchanged; a malformed bundle is a 422 naming the JSON pointer. RED objects
/// are readable by the importer only.
#[utoipa::path(post, path = "/api/v1/intel/import", tag = "intel", params(ImportQuery),
    request_body(content = String, description = "a STIX 2.1 bundle (JSON)"),
    responses((status = 201, body = IntelImportReport), (status = 200, body = IntelImportReport),
              (status = 422, body = crate::error::ErrorBody)))]
async fn import_bundle(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ImportQuery>,
    body: Bytes,
) -> Result<(StatusCode, Json<IntelImportReport>), ApiError> {
    caller.require_internal()?;
    let marking = ImportMarking {
        default_tlp: query.tlp.unwrap_or(Tlp::Amber),
        shared_with_orgs: split_list(query.share_with.as_deref()),
        named_readers: vec![caller.user.name.clone()],
    };
    let report = intel::import(&state.store, &caller.user.name, &body, &marking).await?;
    let changed = report
        .imported
        .stored
        .values()
        .chain(report.imported.updated.values());
    let status = if changed.sum::<u64>() > 0 {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(report)))
}

fn split_list(text: Option<&str>) -> Vec<String> {
    text.unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Whose view an export is cut for.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    /// Only what this partner organisation may receive; default the caller's view.
    pub partner: Option<String>,
}

/// A STIX 2.1 bundle of the intelligence the caller (or `partner`) may receive,
/// never TLP:RED; a partner caller gets its own organisation's view.
#[utoipa::path(get, path = "/api/v1/intel/export", tag = "intel", params(ExportQuery),
    responses((status = 200, body = Object), (status = 403)))]
async fn export_bundle(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ExportQuery>,
) -> Result<Json<Value>, ApiError> {
    let reader = match query.partner {
        Some(org) => {
            caller.require_internal()?;
            intel::partner(&org)
        }
        None => caller.principal.clone(),
    };
    Ok(Json(intel::export(&state.store, &reader).await?))
}
