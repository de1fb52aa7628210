//! The files the demo seeds the store with, embedded from `demo/` and
//! `rules/` at build time: the SBOM of every catalogue build, the
//! knowledge-base feed files, and the Sigma rules.

/// A file as the demo ships it.
#[derive(Debug, Clone, Copy)]
pub struct DemoFile {
    pub name: &'static str,
    pub bytes: &'static [u8],
}

macro_rules! demo_files {
    ($dir:literal: $($name:literal),+ $(,)?) => {
        &[$(DemoFile {
            name: $name,
            bytes: include_bytes!(concat!("../../../../", $dir, "/", $name)),
        }),+]
    };
}

/// CycloneDX 1.5 SBOMs, one per build, named as `BuildSpec::sbom` names them.
pub const SBOMS: &[DemoFile] = demo_files!("demo/sbom":
    "hm-v2-gateway-1.4.0.cdx.json",
    "hm-v2-tcu-2.0.4.cdx.json",
    "hm-v2-tcu-2.1.0.cdx.json",
    "nv-c3-gateway-3.9.0.cdx.json",
    "nv-c3-ivi-6.1.0.cdx.json",
    "nv-c3-tcu-2.8.4.cdx.json",
    "nv-e1-gateway-4.2.1.cdx.json",
    "nv-e1-ivi-7.4.2.cdx.json",
    "nv-e1-tcu-3.1.0.cdx.json",
    "nv-e1-tcu-3.2.0.cdx.json",
);

/// The knowledge base: NVD CVE API 2.0 records, OSV records and a KEV extract.
pub const FEEDS: &[DemoFile] = demo_files!("demo/vulndb":
    "nvd-demo.json",
    "GO-2023-2102.json",
    "GO-2023-2402.json",
    "kev-demo.json",
);

/// The rules Keelson ships for vehicles.
pub const SHIPPED_RULES: &[DemoFile] = demo_files!("rules/vehicle":
    "key_fob_relay.yml",
    "odometer_rollback.yml",
    "remote_command_fanout.yml",
    "secoc_failure_burst.yml",
    "telematics_login_brute_force.yml",
    "uds_security_access_brute_force.yml",
    "uds_session_while_moving.yml",
);

/// The demo's own rules, for the buses and backend of the demo fleet.
pub const DEMO_RULES: &[DemoFile] = demo_files!("demo/rules":
    "can_fuzzing.yml",
    "can_injection.yml",
    "remote_command_flood.yml",
);

/// The SBOM file named `name`.
pub fn sbom(name: &str) -> Option<&'static DemoFile> {
    SBOMS.iter().find(|file| file.name == name)
}
