//! PSIRT findings over the API: attaching an SBOM to a build, the
//! findings of one build with how many vehicles currently run it, and the
//! portfolio (per vulnerability: the builds, ECUs and models it reaches and
//! how many vehicles run an affected build). Only records the caller may
//! read are matched, listed or counted.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use keelson_store::sboms::{Attached, SbomRecord, Subject};
use keelson_vulndb::{Finding, MatchWarning};
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::fleet::INVENTORY_WRITERS;
use super::{Page, PageQuery};
use crate::AppState;
use crate::auth::Caller;
use crate::clearance::{visible, visible_only};
use crate::error::{ApiError, ApiPath, ApiQuery};
use crate::finding_events::FindingEvents;
use crate::findings;
use crate::portfolio::{PortfolioEntry, RunningFleet};
use crate::vex::{BuildDecisions, VexStatus};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(attach_sbom))
        .routes(routes!(build_findings))
        .routes(routes!(attach_hbom))
        .routes(routes!(hardware_findings))
        .routes(routes!(portfolio))
}

/// What attaching answered.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct AttachAnswer {
    sbom: SbomRecord,
    already_attached: bool,
}

/// Attaches an SBOM or HBOM (CycloneDX or SPDX, the request body as is) to
/// a build, like `keelson sbom import --build`.
#[utoipa::path(post, path = "/api/v1/builds/{id}/sbom", tag = "psirt",
    params(("id" = String, Path)), request_body(content = String, description = "the document"),
    responses((status = 201, body = AttachAnswer), (status = 200, body = AttachAnswer),
              (status = 400), (status = 404)))]
async fn attach_sbom(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<AttachAnswer>), ApiError> {
    caller.require(INVENTORY_WRITERS)?;
    visible(
        &caller,
        state.store.build(&id).await?,
        &format!("build {id}"),
    )?;
    attach(&state, &caller, Subject::Build(id), &body).await
}

/// Attaches an HBOM (CycloneDX or SPDX, the request body as is) to an ECU
/// hardware part, like `keelson sbom import --hardware-part`. Its devices'
/// CPEs count as platforms for the builds that run on an ECU with that part.
#[utoipa::path(post, path = "/api/v1/hardware-parts/{part}/hbom", tag = "psirt",
    params(("part" = String, Path, description = "the ECU hardware part number")),
    request_body(content = String, description = "the document"),
    responses((status = 201, body = AttachAnswer), (status = 200, body = AttachAnswer),
              (status = 400), (status = 404)))]
async fn attach_hbom(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(part): ApiPath<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<AttachAnswer>), ApiError> {
    caller.require(INVENTORY_WRITERS)?;
    visible_part_ecus(&state, &caller, &part).await?;
    attach(&state, &caller, Subject::HardwarePart(part), &body).await
}

async fn attach(
    state: &AppState,
    caller: &Caller,
    subject: Subject,
    body: &[u8],
) -> Result<(StatusCode, Json<AttachAnswer>), ApiError> {
    let sbom = keelson_sbom::import(body)
        .map_err(|error| ApiError::bad_request(format!("sbom: {error}")))?;

    let new = findings::new_sbom(subject.clone(), &sbom, body.to_vec());
    let events = FindingEvents {
        store: &state.store,
        cache: &state.findings,
        notifier: &state.notifier,
    };
    let before = events.before_attaching(&subject).await?;
    let answer = match state.store.attach_sbom(&caller.user.name, new).await? {
        Attached::New(sbom) => (StatusCode::CREATED, false, sbom),
        Attached::Already(sbom) => (StatusCode::OK, true, sbom),
    };
    let (status, already_attached, sbom) = answer;
    if !already_attached {
        events.announce_new(&before).await?;
    }
    Ok((
        status,
        Json(AttachAnswer {
            sbom,
            already_attached,
        }),
    ))
}

/// The ECUs with a hardware part number that the caller may see; none is a
/// 404, as for any record the caller may not see.
async fn visible_part_ecus(
    state: &AppState,
    caller: &Caller,
    part: &str,
) -> Result<Vec<String>, ApiError> {
    let ecus: Vec<String> = visible_only(caller, state.store.list_ecus().await?)
        .into_iter()
        .filter(|ecu| ecu.hardware_part_number.as_deref() == Some(part))
        .map(|ecu| ecu.id)
        .collect();
    if ecus.is_empty() {
        return Err(ApiError::not_found(format!("hardware part {part}")));
    }
    Ok(ecus)
}

/// How many vehicles (that the caller may see) currently run a build the
/// caller may see on one of `ecus`.
async fn vehicles_on_ecus(
    state: &AppState,
    caller: &Caller,
    ecus: &[String],
) -> Result<u64, ApiError> {
    let installations = visible_only(caller, state.store.current_installations().await?);
    let mut vehicle_ids: Vec<&str> = installations
        .iter()
        .filter(|installation| ecus.contains(&installation.ecu_id))
        .map(|installation| installation.vehicle_id.as_str())
        .collect();
    vehicle_ids.sort_unstable();
    vehicle_ids.dedup();
    let vehicles = state.store.vehicles_with_ids(&vehicle_ids).await?;
    Ok(visible_only(caller, vehicles).len() as u64)
}

/// One finding of a build with the number of vehicles that run the build.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct BuildFinding {
    /// The matcher's finding (`vulnerability`, `aliases`, `purl` or `cpe`,
    /// `component`, `version`, `severity`, `cvss`, `kev`, `epss`, `evidence`).
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub(crate) finding: Finding,
    /// Vehicles (that the caller may see) on which the build is currently
    /// installed.
    pub(crate) vehicles_affected: u64,
    /// The stored VEX statement or case status that decides the finding for
    /// this build (the latest recorded), null when none does.
    pub(crate) vex: Option<VexStatus>,
}

/// The findings of one build.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct BuildFindings {
    pub(crate) build: String,
    pub(crate) items: Vec<BuildFinding>,
    pub(crate) total: u64,
    /// Components the matcher could not judge, and why.
    #[schema(value_type = Vec<Object>)]
    pub(crate) warnings: Vec<MatchWarning>,
}

/// The findings of a build's attached SBOMs, with evidence.
#[utoipa::path(get, path = "/api/v1/builds/{id}/findings", tag = "psirt",
    params(("id" = String, Path)),
    responses((status = 200, body = BuildFindings), (status = 404)))]
pub(crate) async fn build_findings(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<BuildFindings>, ApiError> {
    let store = &state.store;
    visible(&caller, store.build(&id).await?, &format!("build {id}"))?;
    let report = state.findings.build_report(store, &id).await?;
    let running =
        RunningFleet::visible_to(&state, &caller, Some(std::slice::from_ref(&id))).await?;
    let decisions = BuildDecisions::load(store, &caller.principal, &id, &report.findings).await?;

    let vehicles_affected = running.vehicles_running(&id);
    let items: Vec<BuildFinding> = report
        .findings
        .into_iter()
        .map(|finding| BuildFinding {
            vex: decisions.status_of_finding(&finding),
            finding,
            vehicles_affected,
        })
        .collect();
    Ok(Json(BuildFindings {
        build: id,
        total: items.len() as u64,
        items,
        warnings: report.warnings,
    }))
}

/// The findings of one hardware part.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct HardwareFindings {
    hardware_part: String,
    /// The ECUs (that the caller may see) with this part number.
    ecus: Vec<String>,
    /// Vehicles (that the caller may see) with a build currently installed
    /// on one of those ECUs.
    vehicles_affected: u64,
    #[schema(value_type = Vec<Object>)]
    items: Vec<Finding>,
    total: u64,
    #[schema(value_type = Vec<Object>)]
    warnings: Vec<MatchWarning>,
}

/// The findings of the HBOMs attached to an ECU hardware part, with
/// evidence.
#[utoipa::path(get, path = "/api/v1/hardware-parts/{part}/findings", tag = "psirt",
    params(("part" = String, Path, description = "the ECU hardware part number")),
    responses((status = 200, body = HardwareFindings), (status = 404)))]
async fn hardware_findings(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(part): ApiPath<String>,
) -> Result<Json<HardwareFindings>, ApiError> {
    let ecus = visible_part_ecus(&state, &caller, &part).await?;
    let report = state.findings.hardware_report(&state.store, &part).await?;
    let vehicles_affected = vehicles_on_ecus(&state, &caller, &ecus).await?;
    Ok(Json(HardwareFindings {
        vehicles_affected,
        hardware_part: part,
        ecus,
        total: report.findings.len() as u64,
        items: report.findings,
        warnings: report.warnings,
    }))
}

/// Per vulnerability: the builds, ECUs and models it reaches and how many
/// vehicles currently run an affected build.
#[utoipa::path(get, path = "/api/v1/findings", tag = "psirt", params(PageQuery),
    responses((status = 200, body = Page<PortfolioEntry>)))]
pub(crate) async fn portfolio(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<Page<PortfolioEntry>>, ApiError> {
    let entries = crate::portfolio::portfolio(&state, &caller).await?;
    Ok(Json(page.page_of(&entries)?))
}
