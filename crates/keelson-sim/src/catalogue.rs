//! The demo catalogue: the vehicle models of the simulated fleet, their
//! ECUs, the software builds those ECUs run (and the builds an OTA campaign
//! moves them to), and the CAN messages each model's DBC file defines.
//!
//! The DBC files themselves live in `demo/dbc/` and are embedded here; the
//! message tables below mirror them so that frames can be encoded without a
//! DBC writer. A test decodes generated frames with Keelson's DBC decoder to
//! keep the two in step.

/// One vehicle model of the demo fleet.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSpec {
    pub id: &'static str,
    pub make: &'static str,
    pub model: &'static str,
    pub year: i32,
    pub platform: &'static str,
    /// Where the model is sold; each vehicle gets one of these.
    pub regions: &'static [&'static str],
    /// The DBC file (relative to the DBC folder) of the model's bus.
    pub dbc_file: &'static str,
    pub ecus: &'static [EcuSpec],
    pub messages: &'static [MessageSpec],
    /// The CAN identifier of the message that carries the vehicle speed.
    pub speed_message: u32,
}

/// One ECU slot of a model, with the build it leaves the factory with.
#[derive(Debug, Clone, PartialEq)]
pub struct EcuSpec {
    pub id: &'static str,
    /// What the ECU does (`gateway`, `tcu`, `ivi`).
    pub role: &'static str,
    pub name: &'static str,
    pub supplier: &'static str,
    pub hardware_part_number: &'static str,
    pub factory_build: BuildSpec,
    /// The build an OTA campaign installs, when there is one.
    pub update: Option<BuildSpec>,
}

/// One firmware build; `sbom` is the file name under `demo/sbom/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuildSpec {
    pub id: &'static str,
    pub version: &'static str,
    pub sbom: &'static str,
}

/// One CAN message of a DBC file.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageSpec {
    pub id: u32,
    pub name: &'static str,
    pub dlc: u8,
    pub signals: &'static [SignalSpec],
}

/// One little-endian (Intel) signal of a message.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalSpec {
    pub name: &'static str,
    pub start_bit: u32,
    pub length: u32,
    pub signed: bool,
    pub factor: f64,
    pub offset: f64,
}

/// A DBC file of the demo, by the name models refer to it with.
#[derive(Debug, Clone, Copy)]
pub struct DbcFile {
    pub name: &'static str,
    pub text: &'static str,
}

/// The DBC files of the demo fleet.
pub const DBC_FILES: [DbcFile; 3] = [
    DbcFile {
        name: "nordvik_e1.dbc",
        text: include_str!("../../../demo/dbc/nordvik_e1.dbc"),
    },
    DbcFile {
        name: "nordvik_c3.dbc",
        text: include_str!("../../../demo/dbc/nordvik_c3.dbc"),
    },
    DbcFile {
        name: "halden_v2.dbc",
        text: include_str!("../../../demo/dbc/halden_v2.dbc"),
    },
];

const fn signal(
    name: &'static str,
    start_bit: u32,
    length: u32,
    signed: bool,
    factor: f64,
    offset: f64,
) -> SignalSpec {
    SignalSpec {
        name,
        start_bit,
        length,
        signed,
        factor,
        offset,
    }
}

const BCM_BODY: MessageSpec = MessageSpec {
    id: 800,
    name: "BCM_Body",
    dlc: 4,
    signals: &[
        signal("DoorsLocked", 0, 1, false, 1.0, 0.0),
        signal("DriverDoorOpen", 1, 1, false, 1.0, 0.0),
        signal("KeyFobInRange", 2, 1, false, 1.0, 0.0),
        signal("CabinTemp", 8, 8, false, 0.5, -40.0),
    ],
};

const TCU_LINK: MessageSpec = MessageSpec {
    id: 1000,
    name: "TCU_Link",
    dlc: 4,
    signals: &[
        signal("CellularRssi", 0, 8, true, 1.0, 0.0),
        signal("GnssFix", 8, 1, false, 1.0, 0.0),
        signal("BackendConnected", 9, 1, false, 1.0, 0.0),
    ],
};

const fn build(id: &'static str, version: &'static str, sbom: &'static str) -> BuildSpec {
    BuildSpec { id, version, sbom }
}

/// The models of the demo fleet.
pub const MODELS: [ModelSpec; 3] = [
    ModelSpec {
        id: "nordvik-aurora-2024",
        make: "Nordvik",
        model: "Aurora EV",
        year: 2024,
        platform: "NV-E1",
        regions: &["EU", "UK"],
        dbc_file: "nordvik_e1.dbc",
        speed_message: 200,
        ecus: &[
            EcuSpec {
                id: "nv-e1-gateway",
                role: "gateway",
                name: "Central gateway",
                supplier: "Brightline Electronics",
                hardware_part_number: "BLE-GW-220",
                factory_build: build(
                    "nv-e1-gateway-4.2.1",
                    "4.2.1",
                    "nv-e1-gateway-4.2.1.cdx.json",
                ),
                update: None,
            },
            EcuSpec {
                id: "nv-e1-tcu",
                role: "tcu",
                name: "Telematics control unit",
                supplier: "Corvid Connect",
                hardware_part_number: "CC-TCU-5G-01",
                factory_build: build("nv-e1-tcu-3.1.0", "3.1.0", "nv-e1-tcu-3.1.0.cdx.json"),
                update: Some(build(
                    "nv-e1-tcu-3.2.0",
                    "3.2.0",
                    "nv-e1-tcu-3.2.0.cdx.json",
                )),
            },
            EcuSpec {
                id: "nv-e1-ivi",
                role: "ivi",
                name: "Infotainment head unit",
                supplier: "Lumen Cockpit Systems",
                hardware_part_number: "LCS-HU-9",
                factory_build: build("nv-e1-ivi-7.4.2", "7.4.2", "nv-e1-ivi-7.4.2.cdx.json"),
                update: None,
            },
        ],
        messages: &[
            MessageSpec {
                id: 200,
                name: "VCU_Drive",
                dlc: 8,
                signals: &[
                    signal("VehicleSpeed", 0, 16, false, 0.01, 0.0),
                    signal("MotorTorque", 16, 16, true, 0.1, 0.0),
                    signal("AccelPedal", 32, 8, false, 0.4, 0.0),
                    signal("BrakePressed", 40, 1, false, 1.0, 0.0),
                    signal("GearSelector", 41, 3, false, 1.0, 0.0),
                ],
            },
            MessageSpec {
                id: 496,
                name: "BMS_Pack",
                dlc: 8,
                signals: &[
                    signal("StateOfCharge", 0, 8, false, 0.5, 0.0),
                    signal("PackVoltage", 8, 16, false, 0.1, 0.0),
                    signal("PackCurrent", 24, 16, true, 0.1, 0.0),
                    signal("CellTempMax", 40, 8, false, 1.0, -40.0),
                ],
            },
            BCM_BODY,
            TCU_LINK,
        ],
    },
    ModelSpec {
        id: "nordvik-tessera-2022",
        make: "Nordvik",
        model: "Tessera",
        year: 2022,
        platform: "NV-C3",
        regions: &["EU", "US"],
        dbc_file: "nordvik_c3.dbc",
        speed_message: 416,
        ecus: &[
            EcuSpec {
                id: "nv-c3-gateway",
                role: "gateway",
                name: "Central gateway",
                supplier: "Brightline Electronics",
                hardware_part_number: "BLE-GW-180",
                factory_build: build(
                    "nv-c3-gateway-3.9.0",
                    "3.9.0",
                    "nv-c3-gateway-3.9.0.cdx.json",
                ),
                update: None,
            },
            EcuSpec {
                id: "nv-c3-tcu",
                role: "tcu",
                name: "Telematics control unit",
                supplier: "Corvid Connect",
                hardware_part_number: "CC-TCU-4G-07",
                factory_build: build("nv-c3-tcu-2.8.4", "2.8.4", "nv-c3-tcu-2.8.4.cdx.json"),
                update: None,
            },
            EcuSpec {
                id: "nv-c3-ivi",
                role: "ivi",
                name: "Infotainment head unit",
                supplier: "Lumen Cockpit Systems",
                hardware_part_number: "LCS-HU-7",
                factory_build: build("nv-c3-ivi-6.1.0", "6.1.0", "nv-c3-ivi-6.1.0.cdx.json"),
                update: None,
            },
        ],
        messages: &[
            MessageSpec {
                id: 180,
                name: "ECM_Engine",
                dlc: 8,
                signals: &[
                    signal("EngineSpeed", 0, 16, false, 0.25, 0.0),
                    signal("CoolantTemp", 16, 8, false, 1.0, -40.0),
                    signal("ThrottlePosition", 24, 8, false, 0.4, 0.0),
                    signal("FuelLevel", 32, 8, false, 0.5, 0.0),
                ],
            },
            MessageSpec {
                id: 416,
                name: "ABS_WheelSpeed",
                dlc: 8,
                signals: &[
                    signal("WheelSpeedFL", 0, 16, false, 0.01, 0.0),
                    signal("WheelSpeedFR", 16, 16, false, 0.01, 0.0),
                    signal("WheelSpeedRL", 32, 16, false, 0.01, 0.0),
                    signal("WheelSpeedRR", 48, 16, false, 0.01, 0.0),
                ],
            },
            BCM_BODY,
            TCU_LINK,
        ],
    },
    ModelSpec {
        id: "halden-courier-2023",
        make: "Halden Motors",
        model: "Courier",
        year: 2023,
        platform: "HM-V2",
        regions: &["US", "CA"],
        dbc_file: "halden_v2.dbc",
        speed_message: 257,
        ecus: &[
            EcuSpec {
                id: "hm-v2-gateway",
                role: "gateway",
                name: "Central gateway",
                supplier: "Brightline Electronics",
                hardware_part_number: "BLE-GW-220",
                factory_build: build(
                    "hm-v2-gateway-1.4.0",
                    "1.4.0",
                    "hm-v2-gateway-1.4.0.cdx.json",
                ),
                update: None,
            },
            EcuSpec {
                id: "hm-v2-tcu",
                role: "tcu",
                name: "Telematics control unit",
                supplier: "Ostra Telematik",
                hardware_part_number: "OT-T2",
                factory_build: build("hm-v2-tcu-2.0.4", "2.0.4", "hm-v2-tcu-2.0.4.cdx.json"),
                update: Some(build(
                    "hm-v2-tcu-2.1.0",
                    "2.1.0",
                    "hm-v2-tcu-2.1.0.cdx.json",
                )),
            },
        ],
        messages: &[
            MessageSpec {
                id: 257,
                name: "VCU_Motion",
                dlc: 8,
                signals: &[
                    signal("VehicleSpeed", 0, 16, false, 0.01, 0.0),
                    signal("AxleTorque", 16, 16, true, 1.0, 0.0),
                    signal("PayloadMass", 32, 16, false, 1.0, 0.0),
                ],
            },
            MessageSpec {
                id: 672,
                name: "CDM_CargoDoors",
                dlc: 2,
                signals: &[
                    signal("RearDoorOpen", 0, 1, false, 1.0, 0.0),
                    signal("SideDoorOpen", 1, 1, false, 1.0, 0.0),
                    signal("CargoLocked", 2, 1, false, 1.0, 0.0),
                ],
            },
            BCM_BODY,
            TCU_LINK,
        ],
    },
];

impl ModelSpec {
    /// The ECU of this model with `role`.
    pub fn ecu(&self, role: &str) -> Option<&EcuSpec> {
        self.ecus.iter().find(|ecu| ecu.role == role)
    }

    pub fn message(&self, id: u32) -> Option<&MessageSpec> {
        self.messages.iter().find(|message| message.id == id)
    }
}

/// Every build of the catalogue: factory builds and OTA updates, each once.
pub fn all_builds() -> Vec<(&'static EcuSpec, BuildSpec)> {
    let mut builds = Vec::new();
    for model in &MODELS {
        for ecu in model.ecus {
            builds.push((ecu, ecu.factory_build));
            builds.extend(ecu.update.map(|update| (ecu, update)));
        }
    }
    builds
}

/// Whether any model's DBC file defines a message with this identifier.
pub fn is_known_can_id(id: u32) -> bool {
    MODELS
        .iter()
        .any(|model| model.messages.iter().any(|message| message.id == id))
}
