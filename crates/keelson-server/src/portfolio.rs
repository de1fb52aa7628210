//! The PSIRT portfolio: each vulnerability found in the builds a reader may
//! see, with the builds it affects, the ECU slots and vehicle models those
//! builds currently run on, how many vehicles run at least one of them, and
//! the VEX decisions per build. The API's findings list pages it and the
//! portfolio page shows it whole; both call [`portfolio`], so the two cannot
//! count differently. Only records the reader may read are matched, listed
//! or counted.
//!
//! The cost is in the counting: a vulnerability found in fifty builds that
//! each run on thousands of vehicles. The fleet the reader may see is
//! numbered once per request ([`RunningFleet`]), and each vulnerability's
//! vehicles are counted with a bitmap over those numbers ([`Tally`]), so a
//! count is one pass over the installations of its builds, with no string
//! compared or hashed on the way. What a reader's portfolio was worked out
//! from is kept per reader ([`PortfolioCache`]) in two parts, each with the
//! latest audit entries of the records it was read from: the findings per
//! vulnerability (builds, SBOMs, feeds, VEX, cases) and the numbered fleet
//! (vehicles, installations). A change to the findings' records works them
//! out again; a roll-out step, which changes a few vehicles' installations,
//! reads again only those vehicles.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

use keelson_core::{Principal, Severity};
use keelson_store::StoreError;
use keelson_store::cases::CASE_OBJECT;
use keelson_store::feeds::FEED_OBJECT;
use keelson_store::fleet::{BUILD_OBJECT, VEHICLE_OBJECT};
use keelson_store::installations::{ECU_OBJECT, INSTALLATION_OBJECT, RunningInstallation};
use keelson_store::readable::Readable;
use keelson_store::sboms::SBOM_OBJECT;
use keelson_store::vex::VEX_OBJECT;
use keelson_vulndb::Finding;
use serde::Serialize;

use crate::AppState;
use crate::auth::Caller;
use crate::clearance::visible_only;
use crate::error::ApiError;
use crate::findings::BuildMatch;
use crate::vex::{BuildDecisions, BuildFound};

/// How many vehicles an affected build reaches through one ECU or model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub(crate) struct Reach {
    pub(crate) id: String,
    pub(crate) vehicles: u64,
}

/// One vulnerability across the portfolio.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub(crate) struct PortfolioEntry {
    pub(crate) vulnerability: String,
    pub(crate) aliases: Vec<String>,
    /// The highest severity among its findings; null when none is scored.
    pub(crate) severity: Option<Severity>,
    pub(crate) kev: bool,
    pub(crate) epss: Option<f64>,
    /// The affected builds.
    pub(crate) builds: Vec<String>,
    /// ECU slots on which an affected build currently runs.
    pub(crate) ecus: Vec<Reach>,
    /// Vehicle models with a vehicle that currently runs an affected build
    /// (`id` is empty for vehicles without a model).
    pub(crate) models: Vec<Reach>,
    /// Vehicles that currently run at least one affected build.
    pub(crate) vehicles_affected: u64,
    /// Per affected build that a stored VEX statement or a case decides: its VEX
    /// status (`not_affected`, `affected`, `fixed`, `under_investigation`).
    pub(crate) vex: BTreeMap<String, String>,
}

/// Every vulnerability found in the builds the caller may see, ordered by
/// vulnerability ID, from what was kept for the same reader where nothing
/// it was worked out from has changed since.
pub(crate) async fn portfolio(
    state: &AppState,
    caller: &Caller,
) -> Result<Arc<Vec<PortfolioEntry>>, ApiError> {
    let marks = Marks::read(state).await?;
    let kept = state.portfolios.get(&caller.principal);
    if let Some(kept) = kept.as_ref().filter(|kept| kept.marks == marks) {
        return Ok(kept.entries.clone());
    }

    let findings = match &kept {
        Some(kept) if kept.marks.findings == marks.findings => kept.findings.clone(),
        _ => Arc::new(findings_per_vulnerability(state, caller).await?),
    };
    let fleet = match kept {
        Some(kept) if kept.marks.fleet == marks.fleet => kept.fleet,
        Some(kept) => Arc::new(patched(state, caller, kept.fleet, &kept.marks.fleet).await?),
        None => Arc::new(RunningFleet::visible_to(state, caller, None).await?),
    };
    let entries = Arc::new(with_reach(&findings, &fleet));
    state.portfolios.keep(Kept {
        reader: caller.principal.clone(),
        marks,
        findings,
        fleet,
        entries: entries.clone(),
    });
    Ok(entries)
}

/// The audit object types of the records a portfolio's findings are worked
/// out from: builds, ECUs (their hardware part's HBOMs), attached
/// documents, feed files, VEX statements and cases (their build statuses).
const FINDINGS_SOURCES: [&str; 6] = [
    BUILD_OBJECT,
    ECU_OBJECT,
    SBOM_OBJECT,
    FEED_OBJECT,
    VEX_OBJECT,
    CASE_OBJECT,
];

/// The audit object types of the records the fleet's reach is counted
/// from.
const FLEET_SOURCES: [&str; 2] = [VEHICLE_OBJECT, INSTALLATION_OBJECT];

/// Changed audit entries of vehicles and installations beyond which the
/// fleet is read whole again rather than patched vehicle by vehicle.
const PATCH_LIMIT: u64 = 2_000;

/// How many readers' portfolios are kept at most; the one used least
/// recently goes first.
const KEPT_READERS: usize = 32;

/// The latest audit entry of each source type, when a part was read.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Marks {
    findings: Vec<Option<i64>>,
    fleet: Vec<Option<i64>>,
}

impl Marks {
    async fn read(state: &AppState) -> Result<Self, StoreError> {
        let store = &state.store;
        Ok(Self {
            findings: store.latest_audit_seqs(&FINDINGS_SOURCES).await?,
            fleet: store.latest_audit_seqs(&FLEET_SOURCES).await?,
        })
    }
}

/// Portfolios worked out before, per reader, with their parts and marks.
#[derive(Debug, Default)]
pub struct PortfolioCache {
    kept: Mutex<Vec<Kept>>,
}

#[derive(Debug, Clone)]
struct Kept {
    reader: Principal,
    marks: Marks,
    /// The entries without their reach.
    findings: Arc<Vec<PortfolioEntry>>,
    fleet: Arc<RunningFleet>,
    entries: Arc<Vec<PortfolioEntry>>,
}

impl PortfolioCache {
    fn get(&self, reader: &Principal) -> Option<Kept> {
        let kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        kept.iter().find(|kept| &kept.reader == reader).cloned()
    }

    fn keep(&self, fresh: Kept) {
        let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        kept.retain(|kept| kept.reader != fresh.reader);
        if kept.len() >= KEPT_READERS {
            kept.remove(0);
        }
        kept.push(fresh);
    }
}

/// The portfolio's entries without their reach: per vulnerability the
/// affected builds, flags and decided VEX status.
async fn findings_per_vulnerability(
    state: &AppState,
    caller: &Caller,
) -> Result<Vec<PortfolioEntry>, ApiError> {
    let store = &state.store;
    let builds = visible_only(caller, store.list_builds().await?);
    let matches = state.findings.build_matches(store, &builds).await?;
    let found: Vec<BuildFound<'_>> = builds
        .iter()
        .zip(&matches)
        .map(|(build, found)| build_found(&build.id, found))
        .collect();
    let decisions = BuildDecisions::for_builds(store, &caller.principal, &found).await?;

    let grouped = group_by_vulnerability(&found, &decisions);
    Ok(grouped
        .into_iter()
        .map(|(vulnerability, group)| unreached_entry(vulnerability, group))
        .collect())
}

/// The kept fleet with the vehicles changed since `after` read again, or
/// the whole fleet read again when too many changed.
async fn patched(
    state: &AppState,
    caller: &Caller,
    fleet: Arc<RunningFleet>,
    after: &[Option<i64>],
) -> Result<RunningFleet, StoreError> {
    let (vehicles_after, installations_after) = (after[0], after[1]);
    let changed = state
        .store
        .vehicles_changed_after(vehicles_after, installations_after, PATCH_LIMIT)
        .await?;
    let Some(changed) = changed else {
        return RunningFleet::visible_to(state, caller, None).await;
    };

    let vehicles: Vec<String> = changed.into_iter().collect();
    let reader = Readable::by(&caller.principal);
    let running = state
        .store
        .running_installations_on(&reader, &vehicles)
        .await?;
    let mut fleet = Arc::unwrap_or_clone(fleet);
    fleet.replace(&vehicles, &running);
    Ok(fleet)
}

/// The entries with the vehicles, models and ECU slots their builds reach.
fn with_reach(findings: &[PortfolioEntry], fleet: &RunningFleet) -> Vec<PortfolioEntry> {
    let mut tally = Tally::over(fleet);
    findings
        .iter()
        .map(|unreached| {
            let builds: Vec<&str> = unreached.builds.iter().map(String::as_str).collect();
            let reach = tally.count(fleet, &builds);
            PortfolioEntry {
                ecus: reach.ecus,
                models: reach.models,
                vehicles_affected: reach.vehicles,
                ..unreached.clone()
            }
        })
        .collect()
}

fn build_found<'a>(build_id: &'a str, found: &'a BuildMatch) -> BuildFound<'a> {
    BuildFound {
        build_id,
        products: &found.products,
        findings: &found.report.findings,
    }
}

/// One vulnerability's findings, in build order, and the decided VEX
/// status per build.
#[derive(Default)]
struct Group<'a> {
    found: Vec<(&'a str, &'a Finding)>,
    vex: BTreeMap<String, String>,
}

/// The findings grouped per vulnerability, ordered by vulnerability ID.
fn group_by_vulnerability<'a>(
    builds: &[BuildFound<'a>],
    decisions: &[BuildDecisions],
) -> Vec<(&'a str, Group<'a>)> {
    let mut place: HashMap<&str, usize> = HashMap::new();
    let mut groups: Vec<(&str, Group<'_>)> = Vec::new();
    for (build, decisions) in builds.iter().zip(decisions) {
        for finding in build.findings {
            let vulnerability = finding.vulnerability.as_str();
            let index = *place.entry(vulnerability).or_insert_with(|| {
                groups.push((vulnerability, Group::default()));
                groups.len() - 1
            });
            let group = &mut groups[index].1;
            if let Some(status) = decisions.status_of_finding(finding) {
                group.vex.insert(build.build_id.to_owned(), status.status);
            }
            group.found.push((build.build_id, finding));
        }
    }
    groups.sort_unstable_by(|a, b| a.0.cmp(b.0));
    groups
}

fn unreached_entry(vulnerability: &str, group: Group<'_>) -> PortfolioEntry {
    let mut builds: Vec<&str> = group.found.iter().map(|(build, _)| *build).collect();
    builds.sort_unstable();
    builds.dedup();

    let findings = group.found.iter().map(|(_, finding)| *finding);
    PortfolioEntry {
        vulnerability: vulnerability.to_owned(),
        aliases: group
            .found
            .first()
            .map(|(_, finding)| finding.aliases.clone())
            .unwrap_or_default(),
        severity: findings
            .clone()
            .filter_map(|finding| finding.severity)
            .max(),
        kev: findings.clone().any(|finding| finding.kev),
        epss: findings.filter_map(|finding| finding.epss).reduce(f64::max),
        builds: builds.into_iter().map(str::to_owned).collect(),
        ecus: Vec::new(),
        models: Vec::new(),
        vehicles_affected: 0,
        vex: group.vex,
    }
}

/// One current installation, by the numbers [`RunningFleet`] gives.
#[derive(Debug, Clone, Copy)]
struct Running {
    vehicle: u32,
    ecu: u32,
}

/// What the caller may see of the current installations of some builds,
/// numbered: vehicles `0..model_of.len()`, and models, ECU slots and builds
/// by their place in `models`, `ecus` and `builds`.
#[derive(Debug, Clone, Default)]
pub(crate) struct RunningFleet {
    /// Each vehicle's model (the empty ID for none).
    model_of: Vec<u32>,
    /// Each vehicle's installations, as (build, ECU slot).
    held: Vec<Vec<(u32, u32)>>,
    vehicles: HashMap<String, u32>,
    models: Names,
    ecus: Names,
    builds: Names,
    /// Per build, its installations; one per vehicle and ECU slot.
    by_build: Vec<Vec<Running>>,
}

impl RunningFleet {
    /// The installations the caller may see, on vehicles the caller may
    /// see: of `builds`, or of every build.
    pub(crate) async fn visible_to(
        state: &AppState,
        caller: &Caller,
        builds: Option<&[String]>,
    ) -> Result<Self, StoreError> {
        let reader = Readable::by(&caller.principal);
        let running = state.store.running_installations(&reader, builds).await?;
        let mut fleet = RunningFleet::default();
        for installation in &running {
            fleet.add(installation);
        }
        Ok(fleet)
    }

    fn add(&mut self, installation: &RunningInstallation) {
        let model = self
            .models
            .number(installation.model_id.as_deref().unwrap_or_default());
        let vehicle = match self.vehicles.get(&installation.vehicle_id) {
            Some(&vehicle) => vehicle,
            None => {
                let vehicle = self.model_of.len() as u32;
                self.vehicles
                    .insert(installation.vehicle_id.clone(), vehicle);
                self.model_of.push(model);
                self.held.push(Vec::new());
                vehicle
            }
        };
        self.model_of[vehicle as usize] = model;

        // The store keeps one current installation per slot; a second one
        // would count its vehicle twice on that ECU.
        let ecu = self.ecus.number(&installation.ecu_id);
        let held = &mut self.held[vehicle as usize];
        if held.iter().any(|&(_, slot)| slot == ecu) {
            return;
        }
        let build = self.builds.number(&installation.build_id);
        held.push((build, ecu));
        if self.by_build.len() <= build as usize {
            self.by_build.resize_with(build as usize + 1, Vec::new);
        }
        self.by_build[build as usize].push(Running { vehicle, ecu });
    }

    /// Forgets what `vehicles` ran and adds `running`, their current
    /// installations as the caller may see them now.
    fn replace(&mut self, vehicles: &[String], running: &[RunningInstallation]) {
        for id in vehicles {
            let Some(&vehicle) = self.vehicles.get(id) else {
                continue;
            };
            for (build, _) in std::mem::take(&mut self.held[vehicle as usize]) {
                self.by_build[build as usize].retain(|running| running.vehicle != vehicle);
            }
        }
        for installation in running {
            self.add(installation);
        }
    }

    /// How many vehicles currently run `build_id`.
    pub(crate) fn vehicles_running(&self, build_id: &str) -> u64 {
        let mut tally = Tally::over(self);
        tally.count(self, &[build_id]).vehicles
    }

    fn running(&self, build_id: &str) -> &[Running] {
        self.builds
            .get(build_id)
            .map_or(&[], |build| self.by_build[build as usize].as_slice())
    }
}

/// Names numbered in the order they were first met.
#[derive(Debug, Clone, Default)]
struct Names {
    names: Vec<String>,
    numbers: HashMap<String, u32>,
}

impl Names {
    /// The place of `name`, where it is added when new.
    fn number(&mut self, name: &str) -> u32 {
        if let Some(&number) = self.numbers.get(name) {
            return number;
        }
        let number = self.names.len() as u32;
        self.names.push(name.to_owned());
        self.numbers.insert(name.to_owned(), number);
        number
    }

    fn get(&self, name: &str) -> Option<u32> {
        self.numbers.get(name).copied()
    }

    fn len(&self) -> usize {
        self.names.len()
    }
}

/// What a set of builds reaches in the fleet.
#[derive(Debug, Default, PartialEq, Eq)]
struct FleetReach {
    vehicles: u64,
    ecus: Vec<Reach>,
    models: Vec<Reach>,
}

/// Counters reused from one vulnerability to the next: a bitmap of the
/// vehicles already counted and the counts per ECU slot and model, each
/// cleared after use by walking back over what it touched.
struct Tally {
    seen: Vec<u64>,
    touched: Vec<u32>,
    per_ecu: Vec<u64>,
    per_model: Vec<u64>,
}

impl Tally {
    fn over(fleet: &RunningFleet) -> Self {
        Tally {
            seen: vec![0; fleet.model_of.len().div_ceil(64)],
            touched: Vec::new(),
            per_ecu: vec![0; fleet.ecus.len()],
            per_model: vec![0; fleet.models.len()],
        }
    }

    /// The vehicles that run at least one of `builds`, in all and per model,
    /// and per ECU slot the vehicles running one of them there. A vehicle
    /// holds one build per slot, so a slot's vehicles are the sum over the
    /// builds without counting any twice.
    fn count(&mut self, fleet: &RunningFleet, builds: &[&str]) -> FleetReach {
        for build in builds {
            for running in fleet.running(build) {
                self.per_ecu[running.ecu as usize] += 1;
                let (word, bit) = (running.vehicle as usize / 64, running.vehicle % 64);
                if self.seen[word] & (1 << bit) == 0 {
                    self.seen[word] |= 1 << bit;
                    self.touched.push(running.vehicle);
                    self.per_model[fleet.model_of[running.vehicle as usize] as usize] += 1;
                }
            }
        }

        let reach = FleetReach {
            vehicles: self.touched.len() as u64,
            ecus: reaches(&fleet.ecus.names, &self.per_ecu),
            models: reaches(&fleet.models.names, &self.per_model),
        };
        self.clear();
        reach
    }

    fn clear(&mut self) {
        for vehicle in self.touched.drain(..) {
            self.seen[vehicle as usize / 64] = 0;
        }
        self.per_ecu.iter_mut().for_each(|count| *count = 0);
        self.per_model.iter_mut().for_each(|count| *count = 0);
    }
}

/// The non-zero counts, by name.
fn reaches(names: &[String], counts: &[u64]) -> Vec<Reach> {
    let mut reached: Vec<Reach> = names
        .iter()
        .zip(counts)
        .filter(|(_, count)| **count > 0)
        .map(|(id, count)| Reach {
            id: id.clone(),
            vehicles: *count,
        })
        .collect();
    reached.sort_by(|a, b| a.id.cmp(&b.id));
    reached
}

#[cfg(test)]
mod tests {
    use super::*;

    fn installation(vehicle: &str, model: &str, ecu: &str, build: &str) -> RunningInstallation {
        RunningInstallation {
            vehicle_id: vehicle.to_owned(),
            model_id: Some(model.to_owned()),
            ecu_id: ecu.to_owned(),
            build_id: build.to_owned(),
        }
    }

    fn numbered(running: &[RunningInstallation]) -> RunningFleet {
        let mut fleet = RunningFleet::default();
        for installation in running {
            fleet.add(installation);
        }
        fleet
    }

    /// Vehicles 0-3; model a for 0-1, b for 2-3; build x on ECU e1 of 0, 1
    /// and 2, build y on ECU e2 of 1 and 3, build z on ECU e1 of 3.
    fn fleet() -> RunningFleet {
        numbered(&[
            installation("0", "a", "e1", "x"),
            installation("1", "a", "e1", "x"),
            installation("1", "a", "e2", "y"),
            installation("2", "b", "e1", "x"),
            installation("3", "b", "e2", "y"),
            installation("3", "b", "e1", "z"),
        ])
    }

    fn reach(id: &str, vehicles: u64) -> Reach {
        Reach {
            id: id.to_owned(),
            vehicles,
        }
    }

    #[test]
    fn a_vehicle_running_two_affected_builds_counts_once_overall_and_per_model() {
        let fleet = fleet();
        let mut tally = Tally::over(&fleet);

        let both = tally.count(&fleet, &["x", "y"]);

        assert_eq!(both.vehicles, 4, "vehicle 1 runs x and y");
        assert_eq!(both.models, [reach("a", 2), reach("b", 2)]);
        assert_eq!(both.ecus, [reach("e1", 3), reach("e2", 2)]);
    }

    #[test]
    fn counts_start_from_zero_for_every_set_of_builds() {
        let fleet = fleet();
        let mut tally = Tally::over(&fleet);
        tally.count(&fleet, &["x", "y", "z"]);

        let alone = tally.count(&fleet, &["z"]);

        assert_eq!(alone.vehicles, 1);
        assert_eq!(alone.models, [reach("b", 1)]);
        assert_eq!(alone.ecus, [reach("e1", 1)]);
        assert_eq!(tally.count(&fleet, &["unknown"]), FleetReach::default());
    }

    #[test]
    fn a_second_installation_on_one_slot_does_not_count_its_vehicle_twice() {
        let fleet = numbered(&[
            installation("0", "a", "e1", "x"),
            installation("0", "a", "e1", "x"),
        ]);

        assert_eq!(fleet.vehicles_running("x"), 1);
    }

    #[test]
    fn a_fleet_of_more_than_one_bitmap_word_counts_every_vehicle() {
        let running: Vec<RunningInstallation> = (0..130)
            .map(|vehicle| installation(&vehicle.to_string(), "", "e", "x"))
            .collect();
        let fleet = numbered(&running);

        assert_eq!(fleet.vehicles_running("x"), 130);
        assert_eq!(fleet.vehicles_running("y"), 0);
    }

    /// Vehicle 1 moves from y to w on e2, vehicle 3 leaves the reader's
    /// view, vehicle 4 arrives: the patched fleet counts as one numbered
    /// afresh from the rows after the change.
    #[test]
    fn a_patched_fleet_counts_as_a_fresh_one() {
        let mut patched = fleet();
        let changed = ["1", "3", "4"].map(str::to_owned);
        let now = [
            installation("1", "a", "e1", "x"),
            installation("1", "a", "e2", "w"),
            installation("4", "b", "e2", "y"),
        ];
        patched.replace(&changed, &now);
        let fresh = numbered(&[
            installation("0", "a", "e1", "x"),
            installation("1", "a", "e1", "x"),
            installation("1", "a", "e2", "w"),
            installation("2", "b", "e1", "x"),
            installation("4", "b", "e2", "y"),
        ]);

        for builds in [&["x"][..], &["y"], &["z"], &["w"], &["x", "y", "w"]] {
            let counted = Tally::over(&patched).count(&patched, builds);
            let expected = Tally::over(&fresh).count(&fresh, builds);
            assert_eq!(counted, expected, "{builds:?}");
        }
    }
}
