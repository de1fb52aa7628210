//! The PSIRT portfolio's reach, on SQLite and PostgreSQL: a vulnerability
//! found in two builds counts each vehicle that runs either of them once,
//! per ECU slot the vehicles running one of them there, per model the
//! vehicles of that model; a vehicle or an installation above the reader's
//! clearance counts nowhere, and neither does a build a vehicle ran before
//! another replaced it. The expected counts are worked out
//! here from the fleet table the test installs.
//!
//! Both builds carry the npm package `i18next` 1.10.2, which the corpus's
//! real OSV record GHSA-f89g-whpf-6q9m (CVE-2017-16008) says is vulnerable.

mod support;

use std::collections::{BTreeMap, BTreeSet};

use keelson_core::{Marking, Role, Tlp};
use keelson_server::config::Config;
use keelson_server::findings;
use keelson_store::feeds::FeedFile;
use keelson_store::fleet::{SoftwareBuild, Vehicle, VehicleModel};
use keelson_store::installations::{Ecu, NewInstallation};
use keelson_store::sboms::Subject;
use serde_json::{Value, json};
use support::TestApp;

const OSV: &str = "osv/osv-schema/tools/ghsa/testdata/less_than_equals_with_patch.osv.json";
const CVE: &str = "CVE-2017-16008";
const TCU: &str = "tcu-4.2.0";
const IVI: &str = "ivi-3.1.0";

/// One vehicle: its model, its marking, and its ECU slots as (ECU, build,
/// marking of the installation); `replaced` were installed first and then
/// replaced by `slots`, so they run no more.
struct Row {
    vehicle: &'static str,
    model: &'static str,
    tlp: Tlp,
    slots: &'static [(&'static str, &'static str, Tlp)],
    replaced: &'static [(&'static str, &'static str)],
}

const FLEET: [Row; 6] = [
    Row {
        vehicle: "v1",
        model: "sedan",
        tlp: Tlp::Amber,
        slots: &[("tcu", TCU, Tlp::Amber), ("ivi", IVI, Tlp::Amber)],
        replaced: &[],
    },
    Row {
        vehicle: "v2",
        model: "sedan",
        tlp: Tlp::Amber,
        slots: &[("tcu", TCU, Tlp::Amber)],
        replaced: &[],
    },
    Row {
        vehicle: "v3",
        model: "van",
        tlp: Tlp::Green,
        slots: &[("ivi", IVI, Tlp::Amber)],
        replaced: &[],
    },
    Row {
        vehicle: "v4",
        model: "van",
        tlp: Tlp::Red,
        slots: &[("tcu", TCU, Tlp::Amber)],
        replaced: &[],
    },
    Row {
        vehicle: "v5",
        model: "sedan",
        tlp: Tlp::Amber,
        slots: &[("tcu", TCU, Tlp::Red)],
        replaced: &[],
    },
    Row {
        vehicle: "v6",
        model: "van",
        tlp: Tlp::Amber,
        slots: &[("tcu", "tcu-other", Tlp::Amber)],
        replaced: &[("tcu", TCU)],
    },
];

/// A CycloneDX SBOM of a firmware that contains i18next.
fn sbom(subject: &str) -> Vec<u8> {
    let bom = json!({
        "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
        "metadata": { "component": { "type": "firmware", "name": "firmware", "purl": subject } },
        "components": [{ "type": "library", "bom-ref": "i18n", "name": "i18next",
                         "version": "1.10.2", "purl": "pkg:npm/i18next@1.10.2" }]
    });
    bom.to_string().into_bytes()
}

fn amber() -> Marking {
    Marking::new(Tlp::Amber)
}

/// The catalogue, the builds with their SBOMs, the corpus OSV record and
/// the fleet table; `None` without the corpus.
async fn set_up(app: &TestApp) -> Option<()> {
    let bytes = std::fs::read(keelson_testkit::corpus_path(OSV)?).expect("osv record");
    let feed = FeedFile {
        sha256: "corpus-osv".to_owned(),
        kind: "osv".to_owned(),
        name: "less_than_equals_with_patch.osv.json".to_owned(),
        bytes,
    };
    app.store.store_feed_file("test", feed).await.expect("feed");
    for model in ["sedan", "van"] {
        let record = VehicleModel {
            id: model.to_owned(),
            make: "Acme".to_owned(),
            model: model.to_owned(),
            year: None,
            platform: None,
            dbc_files: Vec::new(),
            marking: amber(),
        };
        app.store
            .create_vehicle_model("test", &record)
            .await
            .expect("model");
    }
    for ecu in ["tcu", "ivi"] {
        let record = Ecu {
            id: ecu.to_owned(),
            name: ecu.to_owned(),
            supplier: None,
            hardware_part_number: None,
            model_id: None,
            marking: amber(),
        };
        app.store.create_ecu("test", &record).await.expect("ECU");
    }
    for (id, ecu) in [(TCU, "tcu"), (IVI, "ivi"), ("tcu-other", "tcu")] {
        add_build(app, id, ecu).await;
    }
    for row in &FLEET {
        install_row(app, row).await;
    }
    Some(())
}

async fn add_build(app: &TestApp, id: &str, ecu: &str) {
    let build = SoftwareBuild {
        id: id.to_owned(),
        ecu: ecu.to_owned(),
        firmware_version: "1".to_owned(),
        digest: None,
        marking: amber(),
    };
    app.store.create_build("test", &build).await.expect("build");
    if id == "tcu-other" {
        return;
    }
    let bytes = sbom(&format!("pkg:generic/acme/{id}"));
    let parsed = keelson_sbom::import(&bytes).expect("sbom");
    let new = findings::new_sbom(Subject::Build(id.to_owned()), &parsed, bytes);
    app.store.attach_sbom("test", new).await.expect("attach");
}

async fn install_row(app: &TestApp, row: &Row) {
    let vehicle = Vehicle {
        id: row.vehicle.to_owned(),
        model_id: Some(row.model.to_owned()),
        vin_hash: None,
        region: None,
        marking: Marking::new(row.tlp),
    };
    app.store
        .create_vehicle("test", &vehicle)
        .await
        .expect("vehicle");
    let earlier = row
        .replaced
        .iter()
        .map(|(ecu, build)| (ecu, build, &Tlp::Amber, 1));
    let current = row
        .slots
        .iter()
        .map(|(ecu, build, tlp)| (ecu, build, tlp, 2));
    for (ecu, build, tlp, day) in earlier.chain(current) {
        let installation = NewInstallation {
            vehicle_id: row.vehicle.to_owned(),
            ecu_id: (*ecu).to_owned(),
            build_id: (*build).to_owned(),
            installed_at_us: 1_700_000_000_000_000 + day * 86_400_000_000,
            source: "import".to_owned(),
            marking: Marking::new(*tlp),
        };
        app.store
            .install_build("test", installation)
            .await
            .expect("install");
    }
}

/// What an internal reader, who is named on no RED record, may count: per
/// vehicle, model and ECU slot, the vehicles running one of `builds`.
fn expected_reach(builds: &[&str]) -> (u64, Value, Value) {
    let mut vehicles = BTreeSet::new();
    let mut models: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut ecus: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for row in FLEET.iter().filter(|row| row.tlp != Tlp::Red) {
        for (ecu, build, tlp) in row.slots {
            if *tlp == Tlp::Red || !builds.contains(build) {
                continue;
            }
            vehicles.insert(row.vehicle);
            models.entry(row.model).or_default().insert(row.vehicle);
            ecus.entry(ecu).or_default().insert(row.vehicle);
        }
    }
    let reach = |groups: BTreeMap<&str, BTreeSet<&str>>| {
        let list: Vec<Value> = groups
            .into_iter()
            .map(|(id, vehicles)| json!({ "id": id, "vehicles": vehicles.len() }))
            .collect();
        Value::Array(list)
    };
    (vehicles.len() as u64, reach(models), reach(ecus))
}

#[tokio::test]
async fn a_vehicle_counts_once_and_records_above_the_readers_clearance_count_nowhere() {
    for app in TestApp::on_both_backends(Config::default()).await {
        if set_up(&app).await.is_none() {
            return;
        }
        let token = app.token_for("pia", Role::PsirtEngineer, None).await;

        let (status, portfolio) = app.get("/api/v1/findings", Some(&token)).await;
        assert_eq!(status, 200, "{portfolio}");
        let items = portfolio["items"].as_array().expect("items");
        let entry = items
            .iter()
            .find(|entry| entry["vulnerability"] == CVE)
            .unwrap_or_else(|| panic!("no entry for {CVE} in {portfolio}"));
        let (vehicles, models, ecus) = expected_reach(&[TCU, IVI]);
        assert_eq!(entry["builds"], json!([IVI, TCU]));
        assert_eq!(entry["vehicles_affected"], vehicles, "{entry}");
        assert_eq!(entry["models"], models, "{entry}");
        assert_eq!(entry["ecus"], ecus, "{entry}");

        let (_, build) = app
            .get(&format!("/api/v1/builds/{TCU}/findings"), Some(&token))
            .await;
        let (on_tcu, _, _) = expected_reach(&[TCU]);
        assert_eq!(build["items"][0]["vehicles_affected"], on_tcu, "{build}");
    }
}

/// The vehicles the portfolio's entry for [`CVE`] counts for this reader,
/// or `None` when the reader sees no such entry.
async fn vehicles_affected(app: &TestApp, token: &str) -> Option<u64> {
    let (status, portfolio) = app.get("/api/v1/findings", Some(token)).await;
    assert_eq!(status, 200, "{portfolio}");
    let items = portfolio["items"].as_array().expect("items");
    let entry = items.iter().find(|entry| entry["vulnerability"] == CVE)?;
    entry["vehicles_affected"].as_u64()
}

/// The server keeps a reader's portfolio between requests: a vehicle that
/// starts running an affected build counts in the next answer, one whose
/// only affected build an update replaced counts no more, and a
/// reader who may not see the builds is not given the portfolio kept for
/// one who may.
#[tokio::test]
async fn a_kept_portfolio_follows_the_fleet_and_stays_with_its_reader() {
    for app in TestApp::on_both_backends(Config::default()).await {
        if set_up(&app).await.is_none() {
            return;
        }
        let engineer = app.token_for("pia", Role::PsirtEngineer, None).await;
        let partner = app.token_for("pat", Role::Partner, Some("tier1")).await;
        let (before, _, _) = expected_reach(&[TCU, IVI]);
        assert_eq!(vehicles_affected(&app, &engineer).await, Some(before));
        assert_eq!(vehicles_affected(&app, &engineer).await, Some(before));

        let newcomer = Row {
            vehicle: "v7",
            model: "van",
            tlp: Tlp::Green,
            slots: &[("ivi", IVI, Tlp::Green)],
            replaced: &[],
        };
        install_row(&app, &newcomer).await;
        assert_eq!(vehicles_affected(&app, &engineer).await, Some(before + 1));

        let update = NewInstallation {
            vehicle_id: "v2".to_owned(),
            ecu_id: "tcu".to_owned(),
            build_id: "tcu-other".to_owned(),
            installed_at_us: 1_800_000_000_000_000,
            source: "ota".to_owned(),
            marking: amber(),
        };
        app.store
            .install_build("test", update)
            .await
            .expect("update");
        assert_eq!(
            vehicles_affected(&app, &engineer).await,
            Some(before),
            "v2 ran only the affected TCU build, which the update replaced"
        );

        assert_eq!(
            vehicles_affected(&app, &partner).await,
            None,
            "a partner may not see AMBER builds not shared with its organisation"
        );
    }
}
