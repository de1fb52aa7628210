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
//! compared or hashed on the way. A portfolio once worked out is kept per
//! reader ([`PortfolioCache`]) until the audit log shows a change to one of
//! the records it was worked out from.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

use keelson_core::{Principal, Severity};
use keelson_store::StoreError;
use keelson_store::cases::CASE_OBJECT;
use keelson_store::feeds::FEED_OBJECT;
use keelson_store::fleet::{BUILD_OBJECT, VEHICLE_OBJECT};
use keelson_store::installations::{ECU_OBJECT, INSTALLATION_OBJECT};
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
/// vulnerability ID: the one worked out for the same reader before, while
/// nothing it was worked out from has changed since.
pub(crate) async fn portfolio(
    state: &AppState,
    caller: &Caller,
) -> Result<Arc<Vec<PortfolioEntry>>, ApiError> {
    let marks = state.store.latest_audit_seqs(&SOURCES).await?;
    if let Some(kept) = state.portfolios.get(&caller.principal, &marks) {
        return Ok(kept);
    }
    let entries = Arc::new(work_out(state, caller).await?);
    state
        .portfolios
        .keep(&caller.principal, marks, entries.clone());
    Ok(entries)
}

/// The audit object types of every record a portfolio is worked out from:
/// builds, ECUs (their hardware part's HBOMs), attached documents, feed
/// files, VEX statements, cases (their build statuses), vehicles and
/// installations. A change of any of them appends an audit entry in the
/// transaction that makes it.
const SOURCES: [&str; 8] = [
    BUILD_OBJECT,
    ECU_OBJECT,
    SBOM_OBJECT,
    FEED_OBJECT,
    VEX_OBJECT,
    CASE_OBJECT,
    VEHICLE_OBJECT,
    INSTALLATION_OBJECT,
];

/// How many readers' portfolios are kept at most; the one used least
/// recently goes first.
const KEPT_READERS: usize = 32;

/// Portfolios worked out before, each with its reader and the latest audit
/// entry of each of the [`SOURCES`] when it was worked out.
#[derive(Debug, Default)]
pub struct PortfolioCache {
    kept: Mutex<Vec<Kept>>,
}

#[derive(Debug)]
struct Kept {
    reader: Principal,
    marks: Vec<Option<i64>>,
    entries: Arc<Vec<PortfolioEntry>>,
}

impl PortfolioCache {
    fn get(&self, reader: &Principal, marks: &[Option<i64>]) -> Option<Arc<Vec<PortfolioEntry>>> {
        let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        let place = kept
            .iter()
            .position(|k| &k.reader == reader && k.marks == marks)?;
        let hit = kept.remove(place);
        let entries = hit.entries.clone();
        kept.push(hit);
        Some(entries)
    }

    fn keep(&self, reader: &Principal, marks: Vec<Option<i64>>, entries: Arc<Vec<PortfolioEntry>>) {
        let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        kept.retain(|k| &k.reader != reader);
        if kept.len() >= KEPT_READERS {
            kept.remove(0);
        }
        let reader = reader.clone();
        kept.push(Kept {
            reader,
            marks,
            entries,
        });
    }
}

async fn work_out(state: &AppState, caller: &Caller) -> Result<Vec<PortfolioEntry>, ApiError> {
    let store = &state.store;
    let builds = visible_only(caller, store.list_builds().await?);
    let matches = state.findings.build_matches(store, &builds).await?;
    let found: Vec<BuildFound<'_>> = builds
        .iter()
        .zip(&matches)
        .map(|(build, found)| build_found(&build.id, found))
        .collect();
    let decisions = BuildDecisions::for_builds(store, &caller.principal, &found).await?;
    let fleet = RunningFleet::visible_to(state, caller, None).await?;

    let grouped = group_by_vulnerability(&found, &decisions);
    let mut tally = Tally::over(&fleet);
    let entries = grouped
        .into_iter()
        .map(|(vulnerability, group)| entry(vulnerability, group, &fleet, &mut tally))
        .collect();
    Ok(entries)
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

fn entry(
    vulnerability: &str,
    group: Group<'_>,
    fleet: &RunningFleet,
    tally: &mut Tally,
) -> PortfolioEntry {
    let mut builds: Vec<&str> = group.found.iter().map(|(build, _)| *build).collect();
    builds.sort_unstable();
    builds.dedup();
    let reach = tally.count(fleet, &builds);

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
        ecus: reach.ecus,
        models: reach.models,
        vehicles_affected: reach.vehicles,
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
/// numbered: vehicles `0..model_of.len()`, models and ECU slots by their
/// place in `models` and `ecus`.
#[derive(Debug, Default)]
pub(crate) struct RunningFleet {
    /// Each vehicle's model (the empty ID for none).
    model_of: Vec<u32>,
    models: Vec<String>,
    ecus: Vec<String>,
    /// Per build, its installations; one per vehicle and ECU slot.
    by_build: HashMap<String, Vec<Running>>,
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
        let mut vehicle_numbers: HashMap<&str, u32> = HashMap::new();
        let mut model_numbers: HashMap<String, u32> = HashMap::new();
        let mut ecu_numbers: HashMap<String, u32> = HashMap::new();
        let mut slots: HashSet<(u32, u32)> = HashSet::with_capacity(running.len());
        for installation in &running {
            let next = fleet.model_of.len() as u32;
            let vehicle = *vehicle_numbers
                .entry(&installation.vehicle_id)
                .or_insert(next);
            if vehicle == next {
                let model = installation.model_id.clone().unwrap_or_default();
                fleet
                    .model_of
                    .push(number(&mut fleet.models, &mut model_numbers, model));
            }
            let ecu = number(
                &mut fleet.ecus,
                &mut ecu_numbers,
                installation.ecu_id.clone(),
            );
            // The store keeps one current installation per slot; a second
            // one would count its vehicle twice on that ECU.
            if slots.insert((vehicle, ecu)) {
                let build = fleet
                    .by_build
                    .entry(installation.build_id.clone())
                    .or_default();
                build.push(Running { vehicle, ecu });
            }
        }
        Ok(fleet)
    }

    /// How many vehicles currently run `build_id`.
    pub(crate) fn vehicles_running(&self, build_id: &str) -> u64 {
        let mut tally = Tally::over(self);
        tally.count(self, &[build_id]).vehicles
    }

    fn running(&self, build_id: &str) -> &[Running] {
        self.by_build.get(build_id).map_or(&[], Vec::as_slice)
    }
}

/// The place of `name` in `names`, where it is added when new.
fn number(names: &mut Vec<String>, numbers: &mut HashMap<String, u32>, name: String) -> u32 {
    if let Some(&number) = numbers.get(&name) {
        return number;
    }
    let number = names.len() as u32;
    names.push(name.clone());
    numbers.insert(name, number);
    number
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
            ecus: reaches(&fleet.ecus, &self.per_ecu),
            models: reaches(&fleet.models, &self.per_model),
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

    /// Vehicles 0-3; model a for 0-1, b for 2-3; build x on ECU e1 of 0, 1
    /// and 2, build y on ECU e2 of 1 and 3, build z on ECU e1 of 3.
    fn fleet() -> RunningFleet {
        let run = |vehicle, ecu| Running { vehicle, ecu };
        RunningFleet {
            model_of: vec![0, 0, 1, 1],
            models: vec!["a".to_owned(), "b".to_owned()],
            ecus: vec!["e1".to_owned(), "e2".to_owned()],
            by_build: HashMap::from([
                ("x".to_owned(), vec![run(0, 0), run(1, 0), run(2, 0)]),
                ("y".to_owned(), vec![run(1, 1), run(3, 1)]),
                ("z".to_owned(), vec![run(3, 0)]),
            ]),
        }
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
    fn a_fleet_of_more_than_one_bitmap_word_counts_every_vehicle() {
        let vehicles = 130;
        let fleet = RunningFleet {
            model_of: vec![0; vehicles],
            models: vec![String::new()],
            ecus: vec!["e".to_owned()],
            by_build: HashMap::from([(
                "x".to_owned(),
                (0..vehicles as u32)
                    .map(|vehicle| Running { vehicle, ecu: 0 })
                    .collect(),
            )]),
        };

        assert_eq!(fleet.vehicles_running("x"), 130);
        assert_eq!(fleet.vehicles_running("y"), 0);
    }
}
