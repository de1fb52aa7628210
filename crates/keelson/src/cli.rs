//! The command-line grammar (clap). Every command takes the store options;
//! each subcommand's flags live beside its name here, its work in
//! `commands/`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "keelson",
    version,
    about = "Vehicle security operations and PSIRT platform"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalOptions,
    #[command(subcommand)]
    pub command: Command,
}

/// The MQTT source of `serve` (the other MQTT settings are in the
/// configuration file and `KEELSON_MQTT_*`).
#[derive(Debug, Clone, Default, Args)]
pub struct MqttOptions {
    /// The broker to subscribe to, such as mqtt://127.0.0.1:1883 [env: KEELSON_MQTT_URL].
    #[arg(long, value_name = "URL")]
    pub mqtt_url: Option<String>,
    /// The topic filter [env: KEELSON_MQTT_TOPIC; default vehicles/+/events].
    #[arg(long, value_name = "FILTER")]
    pub mqtt_topic: Option<String>,
    /// This node's stable MQTT client ID [env: KEELSON_MQTT_CLIENT_ID; default keelson].
    #[arg(long, value_name = "ID")]
    pub mqtt_client_id: Option<String>,
    /// Run the in-process broker here (build feature mqtt-embedded)
    /// [env: KEELSON_MQTT_EMBEDDED_LISTEN].
    #[arg(long, value_name = "ADDR")]
    pub mqtt_embedded_listen: Option<String>,
}

/// The simulated fleet of `keelson demo` and `keelson simulate`.
#[derive(Debug, Clone, Args)]
pub struct FleetOptions {
    /// How many vehicles (the remote-command fan-out needs 20 or more).
    #[arg(long, value_name = "N", default_value_t = 24)]
    pub vehicles: usize,
    /// Background events per second over the whole fleet.
    #[arg(long, value_name = "R", default_value_t = 20.0)]
    pub rate: f64,
    /// The seed of the fleet and its traffic.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub seed: u64,
}

impl FleetOptions {
    /// The most vehicles a simulation holds (each keeps its state in memory).
    pub const MAX_VEHICLES: usize = 100_000;

    /// Refuses a fleet too large to hold or a rate that is no number.
    pub fn check(&self) -> anyhow::Result<()> {
        if self.vehicles > Self::MAX_VEHICLES {
            anyhow::bail!(
                "--vehicles {}: at most {} are simulated",
                self.vehicles,
                Self::MAX_VEHICLES
            );
        }
        if !self.rate.is_finite() || self.rate < 0.0 {
            anyhow::bail!(
                "--rate {}: must be a number of events per second, 0 or more",
                self.rate
            );
        }
        Ok(())
    }
}

/// Options every command accepts (each also readable from `KEELSON_*`).
#[derive(Debug, Clone, Args)]
pub struct GlobalOptions {
    /// The embedded store's folder [env: KEELSON_DATA_DIR; default ./keelson-data].
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// A PostgreSQL URL instead of the embedded store [env: KEELSON_DATABASE].
    #[arg(long, global = true, value_name = "URL")]
    pub database: Option<String>,
    /// A TOML configuration file [env: KEELSON_CONFIG].
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Log level filter, such as `info` or `debug` [env: KEELSON_LOG_LEVEL].
    #[arg(long, global = true, value_name = "FILTER")]
    pub log_level: Option<String>,
    /// Log line format: human or json [env: KEELSON_LOG_FORMAT].
    #[arg(long, global = true, value_name = "FORMAT")]
    pub log_format: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (API, web pages, ingest sources).
    Serve {
        /// Address to listen on [env: KEELSON_LISTEN; default 127.0.0.1:8080].
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
        #[command(flatten)]
        mqtt: MqttOptions,
    },
    /// The server on a fresh embedded store seeded with a simulated fleet
    /// whose traffic (and attacks) keep every screen busy. Prints the URL
    /// and one-time admin credentials as JSON.
    Demo {
        /// Address to listen on [default 127.0.0.1:8080; port 0 picks a free one].
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
        #[command(flatten)]
        fleet: FleetOptions,
    },
    /// Drive a deployment with the demo fleet's traffic over MQTT or HTTP.
    Simulate {
        #[command(flatten)]
        fleet: FleetOptions,
        /// Publish to this MQTT broker, such as mqtt://127.0.0.1:1883.
        #[arg(
            long,
            value_name = "URL",
            conflicts_with = "http",
            required_unless_present = "http"
        )]
        mqtt: Option<String>,
        /// The topic of each vehicle's events; `{id}` becomes the vehicle ID.
        #[arg(long, value_name = "PATTERN", default_value = "vehicles/{id}/events")]
        topic: String,
        /// Post NDJSON to this Keelson server's /api/v1/telemetry.
        #[arg(long, value_name = "URL", requires = "token")]
        http: Option<String>,
        /// The API token for --http.
        #[arg(long, value_name = "TOKEN")]
        token: Option<String>,
        /// Simulated seconds to run, one step per second of wall time.
        #[arg(long, value_name = "S", default_value_t = 60)]
        duration: u64,
        /// The simulated clock's start (RFC 3339) [default now]; with --seed
        /// it makes a run repeatable event for event.
        #[arg(long, value_name = "TIME")]
        start: Option<String>,
    },
    /// Accounts and tokens.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// The audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// The effective configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Decode captures and event files into the store.
    Ingest {
        /// Files to ingest (candump, ASC, TRC, labelled CSV, NDJSON, DLT).
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// The vehicle for records that name none (CAN captures never do).
        #[arg(long, value_name = "ID")]
        vehicle: Option<String>,
        /// auto, candump, asc, trc, csv (layout detected), csv-hcrl, csv-daga,
        /// csv-road, csv-j1939, label-prefixed, ndjson or dlt.
        #[arg(long, default_value = "auto", value_name = "FORMAT")]
        format: String,
        /// Print the totals as one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Offline detection: Sigma rules over events decoded from files,
    /// alerts as NDJSON.
    Detect {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// A folder of Sigma rules (`.yml`/`.yaml`, searched recursively).
        #[arg(long, value_name = "DIR")]
        rules: Option<PathBuf>,
        /// A CAN baseline profile (from `keelson baseline learn`) to check
        /// the frames of CAN captures against.
        #[arg(long, value_name = "PROFILE")]
        profile: Option<PathBuf>,
        /// DBC files of the vehicle model: check decoded signals against the
        /// ranges the profile learned with them (turns that check on).
        #[arg(long, value_name = "DBC")]
        dbc: Vec<PathBuf>,
        /// The format of every file (default: detected per file).
        #[arg(long, default_value = "auto", value_name = "FORMAT")]
        format: String,
    },
    /// Sigma rules.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Incident playbooks (YAML).
    #[command(subcommand)]
    Playbooks(PlaybooksCommand),
    /// CAN baselines learned from clean captures.
    #[command(subcommand)]
    Baseline(BaselineCommand),
    /// Score CAN baseline detection on labelled captures: one JSON line per
    /// file (frames, attack_frames, tp, fp, fn, precision, recall, f1,
    /// false_alarms_per_hour, median_latency_ms).
    Eval {
        #[arg(required = true, value_name = "LABELLED")]
        files: Vec<PathBuf>,
        #[arg(long, value_name = "PROFILE")]
        profile: PathBuf,
        /// The format of every file (default: detected per file).
        #[arg(long, default_value = "auto", value_name = "FORMAT")]
        format: String,
    },
    /// The fleet inventory: vehicle models, vehicles, ECUs, installed builds.
    #[command(subcommand)]
    Fleet(FleetCommand),
    /// SBOMs and HBOMs.
    #[command(subcommand)]
    Sbom(SbomCommand),
    /// Match one SBOM against the imported knowledge base (offline, for pipelines).
    Scan {
        sbom: PathBuf,
        /// json, table or sarif.
        #[arg(long, default_value = "json")]
        format: String,
        /// Exit 1 when a finding is at least this severe (low, medium, high,
        /// critical); a finding without any CVSS score counts as reaching it.
        #[arg(long, value_name = "SEVERITY")]
        fail_on: Option<String>,
        /// A supplier register (CSV: name,country[,aliases]) to read supplier
        /// countries from (default: the register in the store).
        #[arg(long, value_name = "FILE")]
        suppliers: Option<PathBuf>,
        /// Countries of origin to flag, comma-separated ISO 3166-1 codes or
        /// names (default: `prohibited_supplier_countries` of the config).
        #[arg(long, value_name = "COUNTRIES", value_delimiter = ',')]
        prohibited_countries: Option<Vec<String>>,
        /// Exit 1 when a component's supplier country is prohibited.
        #[arg(long)]
        fail_on_origin: bool,
    },
    /// The supplier register: the suppliers whose country of origin is known.
    #[command(subcommand)]
    Suppliers(SuppliersCommand),
    /// The vulnerability knowledge base.
    #[command(subcommand)]
    Vulndb(VulndbCommand),
    /// Records that failed to decode.
    #[command(subcommand)]
    Quarantine(QuarantineCommand),
    /// CSAF 2.0 advisories.
    #[command(subcommand)]
    Csaf(CsafCommand),
    /// VEX documents (OpenVEX, CycloneDX VEX, CSAF VEX).
    #[command(subcommand)]
    Vex(VexCommand),
    /// Threat intelligence: STIX 2.1 bundles in and out.
    #[command(subcommand)]
    Intel(IntelCommand),
    /// Per-source retention of stored events.
    #[command(subcommand)]
    Retention(RetentionCommand),
    /// PSIRT cases.
    #[command(subcommand)]
    Cases(CasesCommand),
    /// VSOC incidents (alerts grouped per rule, scope and time window).
    #[command(subcommand, alias = "incident")]
    Incidents(IncidentsCommand),
    /// Forensic evidence packages.
    #[command(subcommand)]
    Evidence(EvidenceCommand),
    /// VSOC reports: metrics per period and the UN R155 monitoring report.
    #[command(subcommand, alias = "reports")]
    Report(ReportCommand),
    /// Security-test findings (SARIF) of builds.
    #[command(subcommand)]
    Findings(FindingsCommand),
    /// ISO/SAE 21434 TARAs (threat analysis and risk assessment).
    #[command(subcommand)]
    Tara(TaraCommand),
    /// Webhook notifications.
    #[command(subcommand)]
    Webhooks(WebhooksCommand),
    /// Score CVSS vectors: one JSON line per vector.
    Cvss {
        /// Vectors (v2 without prefix; v3.x and v4.0 with `CVSS:x.y/`).
        #[arg(required = true, value_name = "VECTOR")]
        vectors: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an account; the password is read from stdin or generated.
    CreateUser {
        name: String,
        /// admin, vsoc-analyst, detection-engineer, psirt-engineer or partner.
        #[arg(long)]
        role: String,
        /// The partner's organisation.
        #[arg(long)]
        org: Option<String>,
    },
    /// Create an API token for a user; prints the token alone on one line.
    CreateToken {
        /// The user the token acts as.
        name: String,
        /// Days until the token expires (default: never, until revoked).
        #[arg(long, value_name = "N")]
        expires_days: Option<u32>,
        /// A label for the token.
        #[arg(long, default_value = "cli")]
        label: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute the hash chain; exit 1 naming the first broken entry.
    Verify,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Check every rule in a folder: one JSON line per rule with its status
    /// (ok, unsupported, error) and reason; exit 1 when any is not ok.
    Validate { dir: PathBuf },
    /// Load every rule file in a folder into the store: one JSON line per
    /// file (created, updated, unchanged or error with line and reason);
    /// running it again changes nothing. Exit 1 when any file is refused.
    Import { dir: PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum PlaybooksCommand {
    /// Check a playbook file, or every `.yml`/`.yaml` file in a folder: one
    /// JSON line per file, ok or every problem with its line; exit 1 when
    /// any file has a problem.
    Validate { path: PathBuf },
    /// Store a playbook file, or every one in a folder: one JSON line per
    /// file (created, replaced, unchanged, or error with the problems); a
    /// replacement needs a higher version. Exit 1 when any file is refused.
    Import { path: PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// Learn a per-model profile from clean CAN captures.
    Learn {
        #[arg(required = true, value_name = "CAPTURE")]
        captures: Vec<PathBuf>,
        /// The vehicle model the captures come from.
        #[arg(long, value_name = "NAME")]
        model: String,
        /// Where to write the profile (JSON).
        #[arg(short = 'o', long = "output", value_name = "PROFILE")]
        output: PathBuf,
        /// DBC files of the vehicle model (opendbc `IMPORT` lines are expanded
        /// from the same folder): also learn each decoded signal's range.
        #[arg(long, value_name = "DBC")]
        dbc: Vec<PathBuf>,
        /// The format of every capture (default: detected per file).
        #[arg(long, default_value = "auto", value_name = "FORMAT")]
        format: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum FleetCommand {
    /// Import an inventory file (CSV, or JSON Lines: one object per line);
    /// prints counts as JSON. Bad rows are listed with file, line and
    /// reason, and then nothing is imported (exit 2).
    Import { file: std::path::PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum SbomCommand {
    /// Check documents against the official schemas: one JSON line per file
    /// listing every problem; exit 1 when any file has one.
    Validate {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Attach an SBOM to a software build, or an HBOM to an ECU hardware
    /// part; prints the import counts.
    Import {
        file: PathBuf,
        /// The software build the document describes.
        #[arg(
            long,
            value_name = "ID",
            required_unless_present = "hardware_part",
            conflicts_with = "hardware_part"
        )]
        build: Option<String>,
        /// The ECU hardware part number the document describes (an HBOM):
        /// its devices' CPEs count as platforms for builds on such ECUs.
        #[arg(long, value_name = "PART")]
        hardware_part: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum SuppliersCommand {
    /// Replace the register with a CSV file (header `name,country`, and
    /// optionally `aliases` separated by `;`; countries as ISO 3166-1 codes
    /// or names); prints what changed. Bad rows are listed with line and
    /// reason, and then nothing is stored (exit 2).
    Import { file: PathBuf },
    /// The register as NDJSON, in file order.
    List,
}

#[derive(Debug, Subcommand)]
pub enum CsafCommand {
    /// Check documents against the CSAF 2.0 schema and the mandatory tests
    /// (section 6.1): one JSON line per file; exit 1 when any is invalid, 2
    /// when a file cannot be read.
    Validate {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// The CSAF 2.0 security advisory of a case: the preview of its next
    /// revision (status draft), a published revision, or, with --publish, a new
    /// revision published; exit 2 when there is no such case the reader may see.
    Export {
        /// The case ID.
        case: String,
        /// Write the document here instead of stdout.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
        /// A published revision instead of the preview.
        #[arg(long, value_name = "N", conflicts_with = "publish")]
        revision: Option<i64>,
        /// Publish a new revision (the revision history grows by one).
        #[arg(long, requires = "summary")]
        publish: bool,
        /// What the new revision changes (with --publish).
        #[arg(long, value_name = "TEXT")]
        summary: Option<String>,
        #[command(flatten)]
        reader: ReaderOptions,
    },
}

#[derive(Debug, Subcommand)]
pub enum VexCommand {
    /// Read an OpenVEX document and write it as another format on stdout.
    Convert {
        file: PathBuf,
        /// openvex, cyclonedx (1.6), cyclonedx-1.5 or csaf.
        #[arg(long, value_name = "FORMAT")]
        to: String,
        /// The publisher's namespace URL (CSAF needs one; OpenVEX has none).
        #[arg(long, value_name = "URL")]
        namespace: Option<String>,
        /// The TLP label of the output (CSAF needs one; OpenVEX has none).
        #[arg(long, value_name = "LABEL")]
        tlp: Option<String>,
    },
    /// Store the statements of supplier VEX documents (OpenVEX, CycloneDX VEX or
    /// CSAF VEX, told from the document): one JSON line per file; exit 2 when a
    /// file cannot be read or is not VEX (the other files are still imported).
    Import {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// The statements' TLP label; default: a CSAF document's own, else AMBER.
        #[arg(long, value_name = "LABEL")]
        tlp: Option<String>,
    },
    /// The VEX of one build on stdout; exit 2 when there is no such build the
    /// reader may see.
    Export {
        #[arg(long, value_name = "ID")]
        build: String,
        /// openvex, cyclonedx (1.6), cyclonedx-1.5 or csaf.
        #[arg(long, value_name = "FORMAT", default_value = "openvex")]
        format: String,
        #[command(flatten)]
        reader: ReaderOptions,
    },
}

#[derive(Debug, Subcommand)]
pub enum IntelCommand {
    /// Store the indicators, attack patterns, vulnerabilities and relationships of
    /// STIX 2.1 bundles: one JSON line of counts per type per file (objects of
    /// other types are counted in `not_kept`); exit 2 when a file is no valid
    /// bundle, naming the JSON pointer (the other files are still imported).
    Import {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// The label of objects that carry no TLP marking (default AMBER).
        #[arg(long, value_name = "LABEL")]
        tlp: Option<String>,
        /// A partner organisation the AMBER objects are shared with (repeatable).
        #[arg(long = "share-with", value_name = "ORG")]
        share_with: Vec<String>,
        /// A user who may read the RED objects (repeatable).
        #[arg(long = "named-reader", value_name = "USER")]
        named_readers: Vec<String>,
    },
    /// A STIX 2.1 bundle of what the reader (or `--partner`) may receive, never
    /// TLP:RED; IDs are stable across exports.
    Export {
        /// stix (the only format).
        #[arg(long, value_name = "FORMAT", default_value = "stix")]
        format: String,
        /// Only what this partner organisation may receive.
        #[arg(long, value_name = "ORG")]
        partner: Option<String>,
        /// Write the bundle here instead of stdout.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
        #[command(flatten)]
        reader: ReaderOptions,
    },
}

#[derive(Debug, Subcommand)]
pub enum VulndbCommand {
    /// Load OSV records (JSON or OSV's zip), NVD CVE API 2.0 JSON, the CISA
    /// KEV catalogue or FIRST EPSS CSV; prints counts per source.
    Import {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum QuarantineCommand {
    /// List quarantined records (not yet replayed), oldest first, as NDJSON:
    /// each with its exact bytes in raw_base64, and in raw as text when
    /// they are UTF-8 (null otherwise).
    List {
        /// Include records already replayed.
        #[arg(long)]
        all: bool,
        /// The most records to print (the oldest first).
        #[arg(long, default_value_t = 100)]
        limit: u64,
    },
    /// Decode quarantined records again (after a decoder fix, or with
    /// --format); those that decode now are stored and marked replayed.
    /// Prints {"replayed", "accepted", "duplicates", "still_quarantined"}.
    Replay {
        /// Decode every record with this format instead of the one it names.
        #[arg(long, value_name = "FORMAT")]
        format: Option<String>,
    },
}

/// Whose clearance a read uses.
#[derive(Debug, Clone, Args)]
pub struct ReaderOptions {
    /// Read as this user (their role, organisation and TLP clearance);
    /// default: the local operator, an internal reader that sees every
    /// case but TLP:RED ones it is not named on.
    #[arg(long = "as", value_name = "USER")]
    pub reader: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum IncidentsCommand {
    /// Incidents as NDJSON, most recently seen first.
    List {
        /// new, acknowledged, investigating, contained, resolved or
        /// false_positive.
        #[arg(long)]
        state: Option<String>,
        /// none, low, medium, high or critical.
        #[arg(long)]
        severity: Option<String>,
        #[command(flatten)]
        reader: ReaderOptions,
    },
    /// One incident with its scope (vehicles, builds, regions), alerts and
    /// comments as JSON; exit 2 when there is no such incident the reader
    /// may see.
    Show {
        id: String,
        #[command(flatten)]
        reader: ReaderOptions,
    },
    /// Write the incident's evidence package: a ZIP of its record, alerts,
    /// cited events, timeline and the affected vehicles' log uploads, with a
    /// manifest of SHA-256 digests signed by the instance's Ed25519 key.
    /// Prints `{"file", "sha256", "files", "signing_key"}`; the export is
    /// audited.
    Export {
        id: String,
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: PathBuf,
        #[command(flatten)]
        reader: ReaderOptions,
    },
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// The UN R155 monitoring report of a period, written to FILE as HTML
    /// or PDF, counting what the reader may see and marked with the
    /// strictest TLP it draws on. Prints `{"file", "format", "tlp",
    /// "sha256"}`; the export is audited.
    R155 {
        /// A date (YYYY-MM-DD, from its first instant) or an RFC 3339 time.
        #[arg(long, value_name = "DATE")]
        from: String,
        /// A date (up to the end of that day) or an RFC 3339 time (excluded).
        #[arg(long, value_name = "DATE")]
        to: String,
        /// html or pdf.
        #[arg(long, value_name = "FORMAT", default_value = "pdf")]
        format: String,
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: PathBuf,
        #[command(flatten)]
        reader: ReaderOptions,
    },
    /// The metrics of a period as JSON (the answer of
    /// `GET /api/v1/reports/metrics`).
    Metrics {
        #[arg(long, value_name = "DATE")]
        from: String,
        #[arg(long, value_name = "DATE")]
        to: String,
        /// day, week or month.
        #[arg(long, value_name = "PERIOD", default_value = "month")]
        period: String,
        #[command(flatten)]
        reader: ReaderOptions,
    },
}

#[derive(Debug, Subcommand)]
pub enum EvidenceCommand {
    /// Check an evidence package: the manifest's signature and every file's
    /// digest. Prints `{"valid", "incident_id", "signing_key", "files",
    /// "problems": [{"file", "reason"}]}`; exit 1 when anything is wrong.
    Verify {
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// The signer's public key (hex) to require; default: the key the
        /// manifest names, which proves integrity but not origin.
        #[arg(long, value_name = "HEX")]
        key: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum CasesCommand {
    /// Cases as NDJSON, most recently received first.
    List {
        /// received, triage, analysis, remediation, disclosure, closed,
        /// not_affected, duplicate or rejected.
        #[arg(long)]
        state: Option<String>,
        /// none, low, medium, high or critical.
        #[arg(long)]
        severity: Option<String>,
        /// The owner's user name.
        #[arg(long)]
        owner: Option<String>,
        #[command(flatten)]
        reader: ReaderOptions,
    },
    /// One case with its builds, risks, tasks and comments as JSON; exit 2
    /// when there is no such case the reader may see.
    Show {
        id: String,
        #[command(flatten)]
        reader: ReaderOptions,
    },
    /// A case's history from the audit log, oldest first, one JSON line per
    /// change (transitions, field and CVSS changes, build statuses, VEX,
    /// advisory revisions, comments, tasks); exit 2 as for `show`.
    History {
        id: String,
        #[command(flatten)]
        reader: ReaderOptions,
    },
    /// Determine and record the ISO/SAE 21434 risk of one build of a case
    /// by the configured `[risk_matrix]`; prints `{"outcome", "risk"}`.
    Risk {
        /// The case ID.
        id: String,
        /// A build the case concerns.
        #[arg(long, value_name = "ID")]
        build: String,
        /// The determination's JSON (`impacts` and `feasibility`, as the
        /// API takes it); `-` reads standard input.
        #[arg(long, value_name = "FILE")]
        input: std::path::PathBuf,
    },
    /// A case's remediation packages (each with the vehicles currently on
    /// its fixed builds) and compensating controls (with `expired`) as
    /// `{"packages", "controls"}`; exit 2 when there is no such case the
    /// reader may see.
    Remediation {
        id: String,
        #[command(flatten)]
        reader: ReaderOptions,
    },
}

#[derive(Debug, Subcommand)]
pub enum FindingsCommand {
    /// Store the results of a SARIF 2.1.0 report on a build, once per
    /// fingerprint; prints {"build", "stored", "duplicates", "cases"}; exit 2 when
    /// the file is not SARIF Keelson can read or the build does not exist.
    Import {
        #[arg(value_name = "FILE")]
        file: PathBuf,
        #[arg(long, value_name = "ID")]
        build: String,
        /// Open a case (intake security_test) for each newly stored finding at
        /// this severity or above (none, low, medium, high, critical); a finding
        /// whose vulnerability an open case tracks joins that case.
        #[arg(long, value_name = "SEVERITY")]
        open_cases: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum WebhooksCommand {
    /// Webhook deliveries as NDJSON, newest first: URL, event, payload,
    /// status (pending, delivered, failed), attempts, last status code and
    /// error.
    Deliveries {
        #[arg(long)]
        status: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum TaraCommand {
    /// Import a TARA (JSON Lines, see docs/tara.md); prints `{"tara",
    /// "created", "updated", "unchanged"}`. Any bad line refuses the whole
    /// file: one `{"file", "line", "reason"}` line each, exit 2.
    Import { file: std::path::PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum RetentionCommand {
    /// Delete events older than their source's `[retention]` period (events
    /// an alert cites are kept); prints the counts per source as JSON.
    Run,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the effective configuration with secrets masked.
    Show,
}
