//! Schema migrations, written once with sea-query's builder so that the
//! same definitions create the SQLite and the PostgreSQL schema. They run on
//! every open; applied ones are recorded in `seaql_migrations` under the
//! explicit names below, which must never change once released.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_integer_null, blob, boolean, integer, integer_null, string, string_null,
    string_uniq, text, text_null,
};

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(Accounts),
            Box::new(AuditChain),
            Box::new(FleetInventory),
            Box::new(Telemetry),
            Box::new(VulnerabilityFeeds),
            Box::new(BuildSboms),
            Box::new(EcuInstallations),
            Box::new(Detection),
            Box::new(TelemetryPipeline),
            Box::new(QuarantineOnce),
            Box::new(Cases),
            Box::new(VexStatements),
            Box::new(RiskRemediation),
            Box::new(HardwareBomsAndSuppliers),
            Box::new(Incidents),
            Box::new(ThreatIntel),
            Box::new(MonitoringLoop),
            Box::new(PlaybooksEvidence),
            Box::new(Dashboards),
            Box::new(ListIndexes),
            Box::new(AlertDayTallies),
            Box::new(ReportCounts),
            Box::new(AuditByObjectType),
        ]
    }
}

/// Users, API tokens and browser sessions.
struct Accounts;

impl MigrationName for Accounts {
    fn name(&self) -> &str {
        "m0001_accounts"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Accounts {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let users = Table::create()
            .table("users")
            .if_not_exists()
            .col(string("id").primary_key())
            .col(string_uniq("name"))
            .col(string("role"))
            .col(string_null("organisation"))
            .col(string("password_hash"))
            .col(big_integer("created_at_us"))
            .col(boolean("disabled"))
            .to_owned();
        manager.create_table(users).await?;

        let tokens = Table::create()
            .table("api_tokens")
            .if_not_exists()
            .col(string("id").primary_key())
            .col(string("user_id"))
            .col(string("name"))
            .col(string_uniq("token_hash"))
            .col(big_integer("created_at_us"))
            .col(big_integer_null("expires_at_us"))
            .col(big_integer_null("revoked_at_us"))
            .to_owned();
        manager.create_table(tokens).await?;

        let sessions = Table::create()
            .table("sessions")
            .if_not_exists()
            .col(string("id_hash").primary_key())
            .col(string("user_id"))
            .col(string("csrf_token"))
            .col(big_integer("created_at_us"))
            .col(big_integer("expires_at_us"))
            .to_owned();
        manager.create_table(sessions).await
    }
}

/// The hash-chained audit log.
struct AuditChain;

impl MigrationName for AuditChain {
    fn name(&self) -> &str {
        "m0002_audit_chain"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for AuditChain {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let audit = Table::create()
            .table("audit_log")
            .if_not_exists()
            .col(big_integer("seq").primary_key())
            .col(big_integer("at_us"))
            .col(string("actor"))
            .col(string("action"))
            .col(string("object_type"))
            .col(string("object_id"))
            .col(string_null("before_digest"))
            .col(string_null("after_digest"))
            .col(text_null("detail"))
            .col(string("prev_hash"))
            .col(string("hash"))
            .to_owned();
        manager.create_table(audit).await?;

        let by_object = Index::create()
            .name("audit_log_by_object")
            .table("audit_log")
            .col("object_type")
            .col("object_id")
            .to_owned();
        manager.create_index(by_object).await?;

        // A second writer that raced for the same chain head fails here
        // instead of forking the chain.
        let one_successor = Index::create()
            .name("audit_log_one_successor")
            .table("audit_log")
            .col("prev_hash")
            .unique()
            .to_owned();
        manager.create_index(one_successor).await
    }
}

/// Vehicle models, vehicles and software builds, each with its TLP marking.
struct FleetInventory;

impl MigrationName for FleetInventory {
    fn name(&self) -> &str {
        "m0003_fleet_inventory"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for FleetInventory {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let models = marked(Table::create().table("vehicle_models").if_not_exists())
            .col(string("id").primary_key())
            .col(string("make"))
            .col(string("model"))
            .col(integer_null("year"))
            .col(string_null("platform"))
            .col(text("dbc_files"))
            .col(big_integer("created_at_us"))
            .to_owned();
        manager.create_table(models).await?;

        let vehicles = marked(Table::create().table("vehicles").if_not_exists())
            .col(string("id").primary_key())
            .col(string_null("model_id"))
            .col(string_null("vin_hash"))
            .col(string_null("region"))
            .col(big_integer("created_at_us"))
            .to_owned();
        manager.create_table(vehicles).await?;

        let builds = marked(Table::create().table("software_builds").if_not_exists())
            .col(string("id").primary_key())
            .col(string("ecu"))
            .col(string("firmware_version"))
            .col(string_null("digest"))
            .col(big_integer("created_at_us"))
            .to_owned();
        manager.create_table(builds).await
    }
}

/// Normalized events and the quarantine of records that failed to decode.
struct Telemetry;

impl MigrationName for Telemetry {
    fn name(&self) -> &str {
        "m0004_telemetry"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Telemetry {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let events = Table::create()
            .table("events")
            .if_not_exists()
            .col(string("dedup_key").primary_key())
            .col(string_null("event_id"))
            .col(string_null("vehicle_id"))
            .col(string("source"))
            .col(string("kind"))
            .col(big_integer_null("vehicle_time_us"))
            .col(big_integer("received_time_us"))
            .col(string_null("ecu"))
            .col(string_null("build_id"))
            .col(text("attributes"))
            .to_owned();
        manager.create_table(events).await?;
        let by_vehicle = Index::create()
            .name("events_by_vehicle")
            .table("events")
            .col("vehicle_id")
            .col("received_time_us")
            .to_owned();
        manager.create_index(by_vehicle).await?;

        let quarantine = Table::create()
            .table("quarantine")
            .if_not_exists()
            .col(string("id").primary_key())
            .col(string("source"))
            .col(string("origin"))
            .col(string("position"))
            .col(text("reason"))
            .col(blob("raw"))
            .col(string_null("format"))
            .col(string_null("vehicle_id"))
            .col(big_integer("received_at_us"))
            .col(big_integer_null("replayed_at_us"))
            .to_owned();
        manager.create_table(quarantine).await
    }
}

struct VulnerabilityFeeds;

impl MigrationName for VulnerabilityFeeds {
    fn name(&self) -> &str {
        "m0005_vulnerability_feeds"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for VulnerabilityFeeds {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let feeds = Table::create()
            .table("feed_files")
            .if_not_exists()
            .col(string("sha256").primary_key())
            .col(big_integer("seq").unique_key())
            .col(string("kind"))
            .col(string("name"))
            .col(blob("bytes"))
            .col(big_integer("imported_at_us"))
            .to_owned();
        manager.create_table(feeds).await
    }
}

struct BuildSboms;

impl MigrationName for BuildSboms {
    fn name(&self) -> &str {
        "m0006_build_sboms"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for BuildSboms {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let documents = Table::create()
            .table("sbom_documents")
            .if_not_exists()
            .col(string("id").primary_key())
            .col(string("build_id"))
            .col(string("sha256"))
            .col(string("format"))
            .col(big_integer("components"))
            .col(blob("bytes"))
            .col(big_integer("imported_at_us"))
            .to_owned();
        manager.create_table(documents).await?;
        let one_per_build = Index::create()
            .name("sbom_documents_by_build")
            .table("sbom_documents")
            .col("build_id")
            .col("sha256")
            .unique()
            .to_owned();
        manager.create_index(one_per_build).await
    }
}

/// ECUs and the history of builds installed on each vehicle's ECU slots.
struct EcuInstallations;

impl MigrationName for EcuInstallations {
    fn name(&self) -> &str {
        "m0007_ecu_installations"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for EcuInstallations {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let ecus = marked(Table::create().table("ecus").if_not_exists())
            .col(string("id").primary_key())
            .col(string("name"))
            .col(string_null("supplier"))
            .col(string_null("hardware_part_number"))
            .col(string_null("model_id"))
            .col(big_integer("created_at_us"))
            .to_owned();
        manager.create_table(ecus).await?;

        let installations = marked(Table::create().table("installations").if_not_exists())
            .col(string("id").primary_key())
            .col(string("vehicle_id"))
            .col(string("ecu_id"))
            .col(string("build_id"))
            .col(big_integer("installed_at_us"))
            .col(big_integer_null("removed_at_us"))
            .col(string("source"))
            .col(big_integer("recorded_at_us"))
            .to_owned();
        manager.create_table(installations).await?;
        let by_slot = Index::create()
            .name("installations_by_slot")
            .table("installations")
            .col("vehicle_id")
            .col("ecu_id")
            .col("installed_at_us")
            .to_owned();
        manager.create_index(by_slot).await?;
        let by_build = Index::create()
            .name("installations_by_build")
            .table("installations")
            .col("build_id")
            .to_owned();
        manager.create_index(by_build).await
    }
}

/// Detection rules as data, the alerts they raise and the events alerts cite.
struct Detection;

impl MigrationName for Detection {
    fn name(&self) -> &str {
        "m0008_detection"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Detection {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let rules = marked(Table::create().table("detection_rules").if_not_exists())
            .col(string("id").primary_key())
            .col(string("title"))
            .col(string("status"))
            .col(string_null("level"))
            .col(text("sigma"))
            .col(string("sha256"))
            .col(text("scope_models"))
            .col(text("scope_builds"))
            .col(string_null("valid_until"))
            .col(text("atm_tags"))
            .col(string("created_by"))
            .col(big_integer("created_at_us"))
            .col(string("updated_by"))
            .col(big_integer("updated_at_us"))
            .to_owned();
        manager.create_table(rules).await?;

        let alerts = marked(Table::create().table("alerts").if_not_exists())
            .col(string("id").primary_key())
            .col(string("rule_id"))
            .col(string("sigma_rule"))
            .col(string("title"))
            .col(string("severity"))
            .col(boolean("test"))
            .col(boolean("correlation"))
            .col(string_null("vehicle_id"))
            .col(string_null("build_id"))
            .col(big_integer("first_seen_us"))
            .col(big_integer("last_seen_us"))
            .col(big_integer("count"))
            .col(text("evidence"))
            .col(text("atm_tags"))
            .col(string("status"))
            .col(big_integer("created_at_us"))
            .col(big_integer("updated_at_us"))
            .to_owned();
        manager.create_table(alerts).await?;
        // The deduplication lookup: the latest alert of one rule and vehicle.
        let by_rule_vehicle = Index::create()
            .name("alerts_by_rule_vehicle")
            .table("alerts")
            .col("sigma_rule")
            .col("vehicle_id")
            .col("last_seen_us")
            .to_owned();
        manager.create_index(by_rule_vehicle).await?;

        let cited = Table::create()
            .table("alert_events")
            .if_not_exists()
            .col(string("alert_id"))
            .col(string("event_key"))
            .primary_key(Index::create().col("alert_id").col("event_key"))
            .to_owned();
        manager.create_table(cited).await?;
        // A retention job asks "is this event cited?" by event key.
        let by_event = Index::create()
            .name("alert_events_by_event")
            .table("alert_events")
            .col("event_key")
            .to_owned();
        manager.create_index(by_event).await
    }
}

/// Log uploads kept as evidence, the key a quarantined file record would
/// have been stored under (so a replay stores it under the same key), and
/// the index retention deletes by.
struct TelemetryPipeline;

impl MigrationName for TelemetryPipeline {
    fn name(&self) -> &str {
        "m0009_telemetry_pipeline"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for TelemetryPipeline {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let uploads = Table::create()
            .table("log_uploads")
            .if_not_exists()
            .col(string("id").primary_key())
            .col(string("vehicle_id"))
            .col(string("sha256"))
            .col(big_integer("size"))
            .col(string("uploaded_by"))
            .col(string_null("format"))
            .col(string("status"))
            .col(big_integer("accepted"))
            .col(big_integer("duplicates"))
            .col(big_integer("quarantined"))
            .col(text_null("error"))
            .col(big_integer("uploaded_at_us"))
            .col(big_integer_null("finished_at_us"))
            .to_owned();
        manager.create_table(uploads).await?;
        let by_vehicle = Index::create()
            .name("log_uploads_by_vehicle")
            .table("log_uploads")
            .col("vehicle_id")
            .col("uploaded_at_us")
            .to_owned();
        manager.create_index(by_vehicle).await?;

        let record_key = Table::alter()
            .table("quarantine")
            .add_column(string_null("record_key"))
            .to_owned();
        manager.alter_table(record_key).await?;

        let by_age = Index::create()
            .name("events_by_source_age")
            .table("events")
            .col("source")
            .col("received_time_us")
            .to_owned();
        manager.create_index(by_age).await
    }
}

/// Each quarantined record kept once under its own key, and the orderings the
/// event and quarantine lists page by.
struct QuarantineOnce;

impl MigrationName for QuarantineOnce {
    fn name(&self) -> &str {
        "m0010_quarantine_once"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for QuarantineOnce {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let dedup_key = Table::alter()
            .table("quarantine")
            .add_column(string_null("dedup_key"))
            .to_owned();
        manager.alter_table(dedup_key).await?;

        // A file record's key names the file's digest and the record's place
        // in it, which is what identifies the record: the oldest row of each
        // such key takes it, and copies left by earlier re-ingests keep none
        // (several NULLs never clash in a unique index, on either database).
        let oldest_of_each = Query::select()
            .expr(Expr::col("id").min())
            .from("quarantine")
            .and_where(Expr::col("record_key").is_not_null())
            .group_by_col("record_key")
            .to_owned();
        let backfill = Query::update()
            .table("quarantine")
            .value("dedup_key", Expr::col("record_key"))
            .and_where(Expr::col("id").in_subquery(oldest_of_each))
            .to_owned();
        manager.exec_stmt(backfill).await?;

        let once = Index::create()
            .name("quarantine_once")
            .table("quarantine")
            .col("dedup_key")
            .unique()
            .to_owned();
        manager.create_index(once).await?;

        let quarantine_by_age = Index::create()
            .name("quarantine_by_age")
            .table("quarantine")
            .col("received_at_us")
            .col("id")
            .to_owned();
        manager.create_index(quarantine_by_age).await?;

        let events_by_age = Index::create()
            .name("events_by_age")
            .table("events")
            .col("received_time_us")
            .col("dedup_key")
            .to_owned();
        manager.create_index(events_by_age).await
    }
}

/// PSIRT cases with their vulnerability IDs, per-build statuses, comments
/// and tasks, and the reports of the public disclosure intake.
struct Cases;

impl MigrationName for Cases {
    fn name(&self) -> &str {
        "m0011_cases"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Cases {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let cases = marked(Table::create().table("cases").if_not_exists())
            .col(string("id").primary_key())
            .col(text("title"))
            .col(string("intake_kind"))
            .col(string_null("intake_source"))
            .col(string("state"))
            .col(string("severity"))
            .col(string_null("owner"))
            .col(string_null("team"))
            .col(string_null("duplicate_of"))
            .col(big_integer("received_at_us"))
            .col(big_integer_null("due_at_us"))
            .col(big_integer_null("finished_at_us"))
            .col(string("opened_by"))
            .col(big_integer("updated_at_us"))
            .col(big_integer("version"))
            .to_owned();
        manager.create_table(cases).await?;
        manager
            .create_index(index("cases_by_state", "cases", &["state"]))
            .await?;

        let vulnerabilities = Table::create()
            .table("case_vulnerabilities")
            .if_not_exists()
            .col(string("case_id"))
            .col(string("vulnerability_id"))
            .primary_key(Index::create().col("case_id").col("vulnerability_id"))
            .to_owned();
        manager.create_table(vulnerabilities).await?;
        let by_vulnerability = index(
            "case_vulnerabilities_by_id",
            "case_vulnerabilities",
            &["vulnerability_id"],
        );
        manager.create_index(by_vulnerability).await?;

        let builds = Table::create()
            .table("case_builds")
            .if_not_exists()
            .col(string("case_id"))
            .col(string("build_id"))
            .col(string("status"))
            .col(string("updated_by"))
            .col(big_integer("updated_at_us"))
            .primary_key(Index::create().col("case_id").col("build_id"))
            .to_owned();
        manager.create_table(builds).await?;
        let by_build = index("case_builds_by_build", "case_builds", &["build_id"]);
        manager.create_index(by_build).await?;

        self.create_work_tables(manager).await?;
        self.create_disclosures(manager).await
    }
}

impl Cases {
    async fn create_work_tables(&self, manager: &SchemaManager<'_>) -> Result<(), DbErr> {
        let comments = Table::create()
            .table("case_comments")
            .if_not_exists()
            .col(string("id").primary_key())
            .col(string("case_id"))
            .col(string("author"))
            .col(text("body"))
            .col(big_integer("created_at_us"))
            .to_owned();
        manager.create_table(comments).await?;
        let by_case = index("case_comments_by_case", "case_comments", &["case_id"]);
        manager.create_index(by_case).await?;

        let tasks = Table::create()
            .table("case_tasks")
            .if_not_exists()
            .col(string("id").primary_key())
            .col(string("case_id"))
            .col(text("title"))
            .col(string_null("assignee"))
            .col(boolean("done"))
            .col(string("created_by"))
            .col(big_integer("created_at_us"))
            .col(big_integer("updated_at_us"))
            .to_owned();
        manager.create_table(tasks).await?;
        let by_case = index("case_tasks_by_case", "case_tasks", &["case_id"]);
        manager.create_index(by_case).await
    }

    async fn create_disclosures(&self, manager: &SchemaManager<'_>) -> Result<(), DbErr> {
        let disclosures = Table::create()
            .table("disclosures")
            .if_not_exists()
            .col(string("id").primary_key())
            .col(string("case_id"))
            .col(text("title"))
            .col(text("description"))
            .col(text_null("reporter_contact"))
            .col(text("affected_product"))
            .col(string_null("cvss_vector"))
            .col(big_integer("received_at_us"))
            .to_owned();
        manager.create_table(disclosures).await
    }
}

/// Stored VEX statements, the published revisions of a case's CSAF advisory, the
/// case's CVSS vector (the advisory's score, whose changes the case history
/// shows), and security-test findings (SARIF) per build.
struct VexStatements;

impl MigrationName for VexStatements {
    fn name(&self) -> &str {
        "m0012_vex_statements"
    }
}

/// ISO/SAE 21434 risk determinations per case and build, imported TARAs
/// and the threat scenarios a case realises, remediation packages and
/// compensating controls, and webhook deliveries.
struct RiskRemediation;

impl MigrationName for RiskRemediation {
    fn name(&self) -> &str {
        "m0013_risk_remediation"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for VexStatements {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let statements = marked(Table::create().table("vex_statements").if_not_exists())
            .col(string("id").primary_key())
            .col(string("import_id"))
            .col(string("sha256"))
            .col(text("document_id"))
            .col(string("format"))
            .col(text("author"))
            .col(string("vulnerability_id"))
            .col(text("aliases"))
            .col(text("product"))
            .col(text_null("component"))
            .col(string("status"))
            .col(string_null("justification"))
            .col(text_null("impact"))
            .col(text_null("action"))
            .col(big_integer_null("stated_at_us"))
            .col(string("imported_by"))
            .col(big_integer("imported_at_us"))
            .to_owned();
        manager.create_table(statements).await?;
        for (name, column) in [
            ("vex_statements_by_product", "product"),
            ("vex_statements_by_sha256", "sha256"),
        ] {
            manager
                .create_index(index(name, "vex_statements", &[column]))
                .await?;
        }

        let advisories = Table::create()
            .table("case_advisories")
            .if_not_exists()
            .col(string("case_id"))
            .col(big_integer("revision"))
            .col(string("tracking_id"))
            .col(text("summary"))
            .col(text("document"))
            .col(string("published_by"))
            .col(big_integer("published_at_us"))
            .primary_key(Index::create().col("case_id").col("revision"))
            .to_owned();
        manager.create_table(advisories).await?;

        let cvss = Table::alter()
            .table("cases")
            .add_column(string_null("cvss_vector"))
            .to_owned();
        manager.alter_table(cvss).await?;
        self.create_security_findings(manager).await
    }
}

impl VexStatements {
    /// Results of security tests (SARIF) per build, once per fingerprint.
    async fn create_security_findings(&self, manager: &SchemaManager<'_>) -> Result<(), DbErr> {
        let findings = Table::create()
            .table("security_findings")
            .if_not_exists()
            .col(string("id").primary_key())
            .col(string("build_id"))
            .col(text("tool"))
            .col(text("rule_id"))
            .col(string("level"))
            .col(string("severity"))
            .col(text("message"))
            .col(text_null("location"))
            .col(text("fingerprint"))
            .col(string("imported_by"))
            .col(big_integer("imported_at_us"))
            .to_owned();
        manager.create_table(findings).await?;
        let once = Index::create()
            .name("security_findings_once")
            .table("security_findings")
            .col("build_id")
            .col("fingerprint")
            .unique()
            .to_owned();
        manager.create_index(once).await
    }
}

#[async_trait::async_trait]
impl MigrationTrait for RiskRemediation {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let risks = Table::create()
            .table("case_risks")
            .if_not_exists()
            .col(string("case_id"))
            .col(string("build_id"))
            .col(text("impacts"))
            .col(text("feasibility"))
            .col(string("feasibility_rating"))
            .col(integer("risk_value"))
            .col(text("matrix"))
            .col(string("assessed_by"))
            .col(big_integer("assessed_at_us"))
            .primary_key(Index::create().col("case_id").col("build_id"))
            .to_owned();
        manager.create_table(risks).await?;
        self.create_tara_tables(manager).await?;
        self.create_remediation_tables(manager).await?;
        let deliveries = Table::create()
            .table("webhook_deliveries")
            .if_not_exists()
            .col(string("id").primary_key())
            .col(text("url"))
            .col(string("event"))
            .col(text("payload"))
            .col(string("status"))
            .col(integer("attempts"))
            .col(integer_null("last_status_code"))
            .col(text_null("last_error"))
            .col(big_integer("created_at_us"))
            .col(big_integer("updated_at_us"))
            .to_owned();
        manager.create_table(deliveries).await
    }
}

impl RiskRemediation {
    async fn create_remediation_tables(&self, manager: &SchemaManager<'_>) -> Result<(), DbErr> {
        let packages = Table::create()
            .table("remediation_packages")
            .if_not_exists()
            .col(string("id").primary_key())
            .col(string("case_id"))
            .col(text("plan"))
            .col(string("created_by"))
            .col(big_integer("created_at_us"))
            .col(string("updated_by"))
            .col(big_integer("updated_at_us"))
            .to_owned();
        manager.create_table(packages).await?;
        let by_case = index(
            "remediation_packages_by_case",
            "remediation_packages",
            &["case_id"],
        );
        manager.create_index(by_case).await?;

        let controls = Table::create()
            .table("compensating_controls")
            .if_not_exists()
            .col(string("id").primary_key())
            .col(string("case_id"))
            .col(string("owner"))
            .col(text("description"))
            .col(string("expires_on"))
            .col(string("created_by"))
            .col(big_integer("created_at_us"))
            .to_owned();
        manager.create_table(controls).await?;
        let by_case = index(
            "compensating_controls_by_case",
            "compensating_controls",
            &["case_id"],
        );
        manager.create_index(by_case).await
    }

    async fn create_tara_tables(&self, manager: &SchemaManager<'_>) -> Result<(), DbErr> {
        let taras = marked(Table::create().table("taras").if_not_exists())
            .col(string("id").primary_key())
            .col(text("title"))
            .col(string("imported_by"))
            .col(big_integer("imported_at_us"))
            .col(big_integer("updated_at_us"))
            .to_owned();
        manager.create_table(taras).await?;

        let records = Table::create()
            .table("tara_records")
            .if_not_exists()
            .col(string("tara_id"))
            .col(string("kind"))
            .col(string("record_id"))
            .col(text("body"))
            .primary_key(Index::create().col("tara_id").col("kind").col("record_id"))
            .to_owned();
        manager.create_table(records).await?;

        let links = Table::create()
            .table("case_threats")
            .if_not_exists()
            .col(string("case_id"))
            .col(string("tara_id"))
            .col(string("threat_id"))
            .col(string("linked_by"))
            .col(big_integer("linked_at_us"))
            .primary_key(
                Index::create()
                    .col("case_id")
                    .col("tara_id")
                    .col("threat_id"),
            )
            .to_owned();
        manager.create_table(links).await
    }
}

/// A plain index over `columns` of `table`.
fn index(name: &str, table: &str, columns: &[&str]) -> IndexCreateStatement {
    let mut statement = Index::create();
    statement.name(name).table(table.to_owned());
    for column in columns {
        statement.col((*column).to_owned());
    }
    statement.to_owned()
}

/// Adds the TLP marking columns every shareable record carries.
fn marked(table: &mut TableCreateStatement) -> &mut TableCreateStatement {
    table
        .col(string("tlp"))
        .col(text("shared_with_orgs"))
        .col(text("named_readers"))
}

/// Bills of materials for ECU hardware parts beside those for software
/// builds (a document now names its subject's kind and ID), and the supplier
/// register that gives components their country of origin.
struct HardwareBomsAndSuppliers;

impl MigrationName for HardwareBomsAndSuppliers {
    fn name(&self) -> &str {
        "m0014_hardware_boms_and_suppliers"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for HardwareBomsAndSuppliers {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let drop_old_index = Index::drop()
            .name("sbom_documents_by_build")
            .table("sbom_documents")
            .to_owned();
        manager.drop_index(drop_old_index).await?;
        let rename = Table::alter()
            .table("sbom_documents")
            .rename_column("build_id", "subject_id")
            .to_owned();
        manager.alter_table(rename).await?;
        let kind = Table::alter()
            .table("sbom_documents")
            .add_column(string("subject_kind").default("build"))
            .to_owned();
        manager.alter_table(kind).await?;
        let one_per_subject = Index::create()
            .name("sbom_documents_by_subject")
            .table("sbom_documents")
            .col("subject_kind")
            .col("subject_id")
            .col("sha256")
            .unique()
            .to_owned();
        manager.create_index(one_per_subject).await?;

        let suppliers = Table::create()
            .table("supplier_register")
            .if_not_exists()
            .col(string("name_key").primary_key())
            .col(text("name"))
            .col(string("country"))
            .col(text("aliases"))
            .col(big_integer("line"))
            .col(big_integer("imported_at_us"))
            .to_owned();
        manager.create_table(suppliers).await
    }
}

/// VSOC incidents: alerts grouped per rule, scope and marking, their
/// response stamps, analysts' comments, containment notes, and the PSIRT
/// case each was escalated to.
struct Incidents;

impl MigrationName for Incidents {
    fn name(&self) -> &str {
        "m0015_incidents"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Incidents {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let incidents = marked(Table::create().table("incidents").if_not_exists())
            .col(string("id").primary_key())
            .col(text("title"))
            .col(string("state"))
            .col(string("severity"))
            .col(string("sigma_rule"))
            .col(string_null("build_id"))
            .col(string_null("model_id"))
            .col(string_null("owner"))
            .col(text("custom_fields"))
            .col(big_integer("first_event_us"))
            .col(big_integer("detected_us"))
            .col(big_integer("last_seen_us"))
            .col(big_integer_null("acknowledged_us"))
            .col(big_integer_null("investigating_us"))
            .col(big_integer_null("contained_us"))
            .col(big_integer_null("resolved_us"))
            .col(big_integer_null("false_positive_us"))
            .col(big_integer("created_at_us"))
            .col(big_integer("updated_at_us"))
            .to_owned();
        manager.create_table(incidents).await?;
        let open_by_rule = Index::create()
            .name("incidents_by_rule")
            .table("incidents")
            .col("sigma_rule")
            .col("state")
            .to_owned();
        manager.create_index(open_by_rule).await?;

        let members = Table::create()
            .table("incident_alerts")
            .if_not_exists()
            .col(string("alert_id").primary_key())
            .col(string("incident_id"))
            .to_owned();
        manager.create_table(members).await?;
        let by_incident = Index::create()
            .name("incident_alerts_by_incident")
            .table("incident_alerts")
            .col("incident_id")
            .to_owned();
        manager.create_index(by_incident).await?;

        let comments = Table::create()
            .table("incident_comments")
            .if_not_exists()
            .col(string("id").primary_key())
            .col(string("incident_id"))
            .col(string("author"))
            .col(text("body"))
            .col(big_integer("at_us"))
            .to_owned();
        manager.create_table(comments).await?;

        let containments = Table::create()
            .table("incident_containments")
            .if_not_exists()
            .col(string("id").primary_key())
            .col(string("incident_id"))
            .col(text("action"))
            .col(text("scope"))
            .col(string("recorded_by"))
            .col(big_integer("recorded_at_us"))
            .col(big_integer_null("expires_at_us"))
            .to_owned();
        manager.create_table(containments).await?;

        let escalations = Table::create()
            .table("incident_escalations")
            .if_not_exists()
            .col(string("incident_id").primary_key())
            .col(string("case_id"))
            .col(text("summary"))
            .col(string("escalated_by"))
            .col(big_integer("escalated_at_us"))
            .to_owned();
        manager.create_table(escalations).await?;
        let by_case = index(
            "incident_escalations_by_case",
            "incident_escalations",
            &["case_id"],
        );
        manager.create_index(by_case).await
    }
}

/// Threat intelligence from STIX 2.1: indicators, attack patterns (such as
/// Automotive Threat Matrix techniques), vulnerabilities and relationships, one
/// row per STIX ID at its latest version, each with its TLP marking.
struct ThreatIntel;

impl MigrationName for ThreatIntel {
    fn name(&self) -> &str {
        "m0016_threat_intel"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for ThreatIntel {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let objects = marked(Table::create().table("intel_objects").if_not_exists())
            .col(string("id").primary_key())
            .col(string("kind"))
            .col(string_uniq("stix_id"))
            .col(string("created"))
            .col(string("modified"))
            .col(big_integer("modified_us"))
            .col(text_null("name"))
            .col(string_null("external_id"))
            .col(text_null("tactic"))
            .col(string_null("valid_from"))
            .col(string_null("valid_until"))
            .col(text("body"))
            .col(string("source"))
            .col(string("added_by"))
            .col(big_integer("added_at_us"))
            .to_owned();
        manager.create_table(objects).await?;
        let by_kind = index(
            "intel_objects_by_kind",
            "intel_objects",
            &["kind", "added_at_us"],
        );
        manager.create_index(by_kind).await?;
        let by_external_id = index(
            "intel_objects_by_external_id",
            "intel_objects",
            &["external_id"],
        );
        manager.create_index(by_external_id).await
    }
}

/// The loop from PSIRT back into detection: a case's threat indicators, the
/// detection rules generated from them (a rule names its case and
/// indicator), heightened alerts, the roll-out milestones of remediation
/// packages, and the withdrawal of compensating controls.
struct MonitoringLoop;

impl MigrationName for MonitoringLoop {
    fn name(&self) -> &str {
        "m0017_monitoring_loop"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for MonitoringLoop {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let indicators = Table::create()
            .table("case_indicators")
            .if_not_exists()
            .col(string("id").primary_key())
            .col(string("case_id"))
            .col(string("kind"))
            .col(text("definition"))
            .col(string("created_by"))
            .col(big_integer("created_at_us"))
            .to_owned();
        manager.create_table(indicators).await?;
        let by_case = index("case_indicators_by_case", "case_indicators", &["case_id"]);
        manager.create_index(by_case).await?;

        for column in ["case_id", "indicator_id"] {
            let add = Table::alter()
                .table("detection_rules")
                .add_column(string_null(column))
                .to_owned();
            manager.alter_table(add).await?;
        }
        let rules_by_case = index("detection_rules_by_case", "detection_rules", &["case_id"]);
        manager.create_index(rules_by_case).await?;
        let heightened = Table::alter()
            .table("alerts")
            .add_column(boolean("heightened").default(false))
            .to_owned();
        manager.alter_table(heightened).await?;

        self.add_withdrawal(manager).await?;
        let milestones = Table::create()
            .table("remediation_milestones")
            .if_not_exists()
            .col(string("package_id"))
            .col(string("phase"))
            .col(string("case_id"))
            .col(text_null("note"))
            .col(string("recorded_by"))
            .col(big_integer("reached_at_us"))
            .primary_key(Index::create().col("package_id").col("phase"))
            .to_owned();
        manager.create_table(milestones).await?;
        let by_case = index(
            "remediation_milestones_by_case",
            "remediation_milestones",
            &["case_id"],
        );
        manager.create_index(by_case).await
    }
}

impl MonitoringLoop {
    /// A compensating control can be withdrawn before its expiry day.
    async fn add_withdrawal(&self, manager: &SchemaManager<'_>) -> Result<(), DbErr> {
        let columns = [
            big_integer_null("withdrawn_at_us"),
            string_null("withdrawn_by"),
            text_null("withdraw_reason"),
        ];
        for column in columns {
            let add = Table::alter()
                .table("compensating_controls")
                .add_column(column)
                .to_owned();
            manager.alter_table(add).await?;
        }
        Ok(())
    }
}

/// Incident playbooks and their runs (one row per step, with who, when,
/// outcome and detail), the log requests a run sends to vehicles, and the
/// evidence analysts upload to an incident.
struct PlaybooksEvidence;

impl MigrationName for PlaybooksEvidence {
    fn name(&self) -> &str {
        "m0018_playbooks_evidence"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for PlaybooksEvidence {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let playbooks = Table::create()
            .table("playbooks")
            .if_not_exists()
            .col(string("id").primary_key())
            .col(text("title"))
            .col(big_integer("version"))
            .col(text("source"))
            .col(string("sha256"))
            .col(text("bindings"))
            .col(string("updated_by"))
            .col(big_integer("created_at_us"))
            .col(big_integer("updated_at_us"))
            .to_owned();
        manager.create_table(playbooks).await?;

        let runs = Table::create()
            .table("playbook_runs")
            .if_not_exists()
            .col(string("id").primary_key())
            .col(string("incident_id"))
            .col(string("playbook_id"))
            .col(big_integer("playbook_version"))
            .col(string("trigger"))
            .col(string_null("automatic_key"))
            .col(string("started_by"))
            .col(big_integer("started_at_us"))
            .to_owned();
        manager.create_table(runs).await?;
        let once = index(
            "playbook_runs_once_per_incident",
            "playbook_runs",
            &["automatic_key"],
        )
        .unique()
        .to_owned();
        manager.create_index(once).await?;
        let by_incident = index(
            "playbook_runs_by_incident",
            "playbook_runs",
            &["incident_id"],
        );
        manager.create_index(by_incident).await?;

        let steps = Table::create()
            .table("playbook_steps")
            .if_not_exists()
            .col(string("id").primary_key())
            .col(string("run_id"))
            .col(integer("position"))
            .col(string("step_id"))
            .col(string("kind"))
            .col(text("title"))
            .col(text("spec"))
            .col(string("state"))
            .col(string_null("actor"))
            .col(big_integer_null("at_us"))
            .col(text_null("detail"))
            .to_owned();
        manager.create_table(steps).await?;
        let by_run = index("playbook_steps_by_run", "playbook_steps", &["run_id"]);
        manager.create_index(by_run).await?;

        let requests = marked(Table::create().table("log_requests").if_not_exists())
            .col(string("id").primary_key())
            .col(string("vehicle_id"))
            .col(string("incident_id"))
            .col(string_null("run_id"))
            .col(text("note"))
            .col(string("requested_by"))
            .col(big_integer("requested_at_us"))
            .col(string("state"))
            .col(string_null("upload_id"))
            .col(big_integer_null("fulfilled_at_us"))
            .to_owned();
        manager.create_table(requests).await?;
        let by_vehicle = index("log_requests_by_vehicle", "log_requests", &["vehicle_id"]);
        manager.create_index(by_vehicle).await?;

        let evidence = Table::create()
            .table("incident_evidence")
            .if_not_exists()
            .col(string("id").primary_key())
            .col(string("incident_id"))
            .col(string("sha256"))
            .col(big_integer("size"))
            .col(string("kind"))
            .col(text("name"))
            .col(text_null("description"))
            .col(string("uploaded_by"))
            .col(big_integer("uploaded_at_us"))
            .to_owned();
        manager.create_table(evidence).await?;
        let once = index(
            "incident_evidence_once",
            "incident_evidence",
            &["incident_id", "sha256"],
        )
        .unique()
        .to_owned();
        manager.create_index(once).await?;
        let by_digest = index(
            "incident_evidence_by_digest",
            "incident_evidence",
            &["sha256"],
        );
        manager.create_index(by_digest).await
    }
}

/// Users' own dashboards: a title and the widgets (each a chart or a table
/// over a saved query) as JSON, listed per owner.
struct Dashboards;

impl MigrationName for Dashboards {
    fn name(&self) -> &str {
        "m0019_dashboards"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Dashboards {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let dashboards = Table::create()
            .table("dashboards")
            .if_not_exists()
            .col(string("id").primary_key())
            .col(string("owner"))
            .col(text("title"))
            .col(text("widgets"))
            .col(big_integer("created_at_us"))
            .col(big_integer("updated_at_us"))
            .to_owned();
        manager.create_table(dashboards).await?;
        let by_owner = index("dashboards_by_owner", "dashboards", &["owner"]);
        manager.create_index(by_owner).await
    }
}

/// Indexes for the alert and incident lists and the fleet overview, which
/// read a page or a window of rows in last-seen order rather than the whole
/// table: the order itself, and the order within each filter the lists
/// offer.
struct ListIndexes;

impl MigrationName for ListIndexes {
    fn name(&self) -> &str {
        "m0020_list_indexes"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for ListIndexes {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let indexes = [
            index("alerts_by_last_seen", "alerts", &["last_seen_us", "id"]),
            index(
                "alerts_by_vehicle_seen",
                "alerts",
                &["vehicle_id", "last_seen_us"],
            ),
            index(
                "alerts_by_severity_seen",
                "alerts",
                &["severity", "last_seen_us"],
            ),
            index(
                "alerts_by_rule_seen",
                "alerts",
                &["rule_id", "last_seen_us"],
            ),
            index(
                "incidents_by_last_seen",
                "incidents",
                &["last_seen_us", "id"],
            ),
            index(
                "incidents_by_state_seen",
                "incidents",
                &["state", "last_seen_us"],
            ),
            index("incidents_by_detected", "incidents", &["detected_us"]),
        ];
        for statement in indexes {
            manager.create_index(statement).await?;
        }
        Ok(())
    }
}

/// The fleet overview's alert counts per UTC day, severity, ATM tags,
/// vehicle region and markings (see `alert_tallies`), counted once here
/// from the alerts already stored and kept in step from then on.
struct AlertDayTallies;

impl MigrationName for AlertDayTallies {
    fn name(&self) -> &str {
        "m0021_alert_day_tallies"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for AlertDayTallies {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let key = [
            "day",
            "severity",
            "atm_tags",
            "region",
            "vehicle_tlp",
            "vehicle_orgs",
            "vehicle_readers",
            "tlp",
            "shared_with_orgs",
            "named_readers",
        ];
        let mut primary_key = Index::create();
        for column in key {
            primary_key.col(column);
        }
        let tallies = Table::create()
            .table("alert_day_tallies")
            .if_not_exists()
            .col(big_integer("day"))
            .col(string("severity"))
            .col(text("atm_tags"))
            .col(string("region"))
            .col(string("vehicle_tlp"))
            .col(text("vehicle_orgs"))
            .col(text("vehicle_readers"))
            .col(string("tlp"))
            .col(text("shared_with_orgs"))
            .col(text("named_readers"))
            .col(big_integer("alerts"))
            .primary_key(&mut primary_key)
            .to_owned();
        manager.create_table(tallies).await?;
        crate::alert_tallies::count(
            manager.get_connection(),
            crate::alert_tallies::every_alert(),
            crate::alert_tallies::Change::Add,
        )
        .await
        .map_err(|error| DbErr::Migration(format!("counting the stored alerts: {error}")))
    }
}

/// What reports count without reading every alert of a period: on each
/// incident the union of its alerts' ATM tags and when a sighting of one of
/// them was last stored (`incidents::facts`, worked out here for the
/// incidents already stored), the alerts raised per UTC day
/// (`alert_tallies`, counted here from the alerts already stored), and the
/// creation-time index that the parts of a day a report's period cuts
/// through are counted by.
struct ReportCounts;

impl MigrationName for ReportCounts {
    fn name(&self) -> &str {
        "m0022_report_counts"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for ReportCounts {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let columns = [
            text("atm_tags").default("[]").to_owned(),
            big_integer_null("last_sighting_stored_us"),
        ];
        for column in columns {
            let add = Table::alter()
                .table("incidents")
                .add_column(column)
                .to_owned();
            manager.alter_table(add).await?;
        }
        crate::incidents::facts::backfill(manager.get_connection())
            .await
            .map_err(|error| DbErr::Migration(format!("incident facts: {error}")))?;

        let key = [
            "day",
            "test",
            "severity",
            "atm_tags",
            "tlp",
            "shared_with_orgs",
            "named_readers",
        ];
        let mut primary_key = Index::create();
        for column in key {
            primary_key.col(column);
        }
        let tallies = Table::create()
            .table("alert_raised_tallies")
            .if_not_exists()
            .col(big_integer("day"))
            .col(boolean("test"))
            .col(string("severity"))
            .col(text("atm_tags"))
            .col(string("tlp"))
            .col(text("shared_with_orgs"))
            .col(text("named_readers"))
            .col(big_integer("alerts"))
            .primary_key(&mut primary_key)
            .to_owned();
        manager.create_table(tallies).await?;
        crate::alert_tallies::count_raised(
            manager.get_connection(),
            crate::alert_tallies::every_alert(),
        )
        .await
        .map_err(|error| DbErr::Migration(format!("counting the raised alerts: {error}")))?;

        let by_creation = index("alerts_by_created", "alerts", &["created_at_us"]);
        manager.create_index(by_creation).await
    }
}

/// The latest audit entry of each object type, read by index: the mark a
/// cache of a roll-up compares to know whether anything it read changed.
struct AuditByObjectType;

impl MigrationName for AuditByObjectType {
    fn name(&self) -> &str {
        "m0023_audit_by_object_type"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for AuditByObjectType {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let by_type = Index::create()
            .name("audit_log_by_type")
            .table("audit_log")
            .col("object_type")
            .col("seq")
            .to_owned();
        manager.create_index(by_type).await
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
    use sea_orm_migration::prelude::*;

    use super::Migrator;
    use crate::StoreLocation;
    use crate::testing::{fresh_postgres, fresh_sqlite, postgres_url};

    /// Quarantine rows as an ingest before `m0010` left them: the same file
    /// record quarantined twice (ingested twice), another file record, and
    /// a request line, which has no record key.
    const EARLIER_ROWS: [(&str, Option<&str>); 4] = [
        ("0001", Some("file:a")),
        ("0002", Some("file:a")),
        ("0003", Some("file:b")),
        ("0004", None),
    ];

    async fn connect(location: &StoreLocation) -> DatabaseConnection {
        let url = match location {
            StoreLocation::DataDir(dir) => {
                format!("sqlite://{}?mode=rwc", crate::sqlite_file(dir).display())
            }
            StoreLocation::Postgres(url) => url.clone(),
        };
        Database::connect(url).await.expect("connect")
    }

    async fn insert_earlier_rows(db: &DatabaseConnection) {
        for (id, record_key) in EARLIER_ROWS {
            let row = Query::insert()
                .into_table("quarantine")
                .columns([
                    "id",
                    "source",
                    "origin",
                    "position",
                    "reason",
                    "raw",
                    "received_at_us",
                    "record_key",
                ])
                .values_panic([
                    id.into(),
                    "file".into(),
                    "capture.log".into(),
                    "line 1".into(),
                    "bad".into(),
                    b"x".to_vec().into(),
                    0i64.into(),
                    record_key.map(str::to_owned).into(),
                ])
                .to_owned();
            db.execute(&row).await.expect("insert");
        }
    }

    async fn dedup_keys(db: &DatabaseConnection) -> Vec<(String, Option<String>)> {
        let select = Query::select()
            .columns(["id", "dedup_key"])
            .from("quarantine")
            .order_by("id", Order::Asc)
            .to_owned();
        let rows = db.query_all(&select).await.expect("select");
        rows.iter()
            .map(|row| {
                let id: String = row.try_get("", "id").expect("id");
                let key: Option<String> = row.try_get("", "dedup_key").expect("key");
                (id, key)
            })
            .collect()
    }

    /// The oldest copy of each file record takes its record key as its
    /// dedup key; later copies and keyless rows keep none, so the unique
    /// index can be built over a database that already holds duplicates.
    async fn m0010_keys_the_oldest_copy_of_each_file_record(location: StoreLocation) {
        let db = connect(&location).await;
        Migrator::up(&db, Some(9)).await.expect("up to m0009");
        insert_earlier_rows(&db).await;

        Migrator::up(&db, None).await.expect("m0010");

        let keys = dedup_keys(&db).await;
        let expected = [
            ("0001", Some("file:a")),
            ("0002", None),
            ("0003", Some("file:b")),
            ("0004", None),
        ];
        let expected: Vec<(String, Option<String>)> = expected
            .iter()
            .map(|(id, key)| ((*id).to_owned(), key.map(str::to_owned)))
            .collect();
        assert_eq!(keys, expected);
        db.close().await.expect("close");
    }

    #[tokio::test]
    async fn m0010_backfills_keys_on_sqlite() {
        let (location, _dir) = fresh_sqlite().expect("temp dir");
        m0010_keys_the_oldest_copy_of_each_file_record(location).await;
    }

    #[tokio::test]
    async fn m0010_backfills_keys_on_postgres() {
        let Some(server) = postgres_url() else { return };
        let location = fresh_postgres(&server).await.expect("fresh database");
        m0010_keys_the_oldest_copy_of_each_file_record(location).await;
    }

    async fn insert_row(db: &DatabaseConnection, table: &str, row: &[(&str, Value)]) {
        let insert = Query::insert()
            .into_table(table.to_owned())
            .columns(row.iter().map(|(column, _)| (*column).to_owned()))
            .values_panic(row.iter().map(|(_, value)| value.clone().into()))
            .to_owned();
        db.execute(&insert).await.expect("insert");
    }

    /// An alert row as `m0021` left the table, raised at `created` and last
    /// merged into at `updated`.
    async fn insert_alert(db: &DatabaseConnection, id: &str, tags: &str, times: (i64, i64)) {
        let (created, updated) = times;
        let row = [
            ("id", id.into()),
            ("rule_id", "r-fob".into()),
            ("sigma_rule", "fob-relay".into()),
            ("title", "Key fob relay".into()),
            ("severity", "high".into()),
            ("test", (id == "a4").into()),
            ("correlation", false.into()),
            ("first_seen_us", created.into()),
            ("last_seen_us", created.into()),
            ("count", 1i64.into()),
            ("evidence", "[]".into()),
            ("atm_tags", tags.into()),
            ("status", "open".into()),
            ("tlp", "AMBER".into()),
            ("shared_with_orgs", "[]".into()),
            ("named_readers", "[]".into()),
            ("created_at_us", created.into()),
            ("updated_at_us", updated.into()),
        ];
        insert_row(db, "alerts", &row).await;
    }

    async fn insert_incident(db: &DatabaseConnection, id: &str, alerts: &[&str]) {
        let row = [
            ("id", id.into()),
            ("title", "Key fob relay on the fleet".into()),
            ("state", "new".into()),
            ("severity", "high".into()),
            ("sigma_rule", "fob-relay".into()),
            ("custom_fields", "{}".into()),
            ("first_event_us", 0i64.into()),
            ("detected_us", 0i64.into()),
            ("last_seen_us", 0i64.into()),
            ("tlp", "AMBER".into()),
            ("shared_with_orgs", "[]".into()),
            ("named_readers", "[]".into()),
            ("created_at_us", 0i64.into()),
            ("updated_at_us", 0i64.into()),
        ];
        insert_row(db, "incidents", &row).await;
        for alert in alerts {
            let link = [("alert_id", (*alert).into()), ("incident_id", id.into())];
            insert_row(db, "incident_alerts", &link).await;
        }
    }

    /// Incidents stored before `m0022` take the union of their alerts' tags
    /// and their latest creation or merge, and the raised-day tallies count
    /// the alerts already stored.
    async fn m0022_works_out_incident_facts_and_raised_tallies(location: StoreLocation) {
        const DAY: i64 = 86_400_000_000;
        let db = connect(&location).await;
        Migrator::up(&db, Some(21)).await.expect("up to m0021");
        insert_alert(&db, "a1", r#"["ATM-T0031"]"#, (DAY + 10, DAY + 90)).await;
        insert_alert(
            &db,
            "a2",
            r#"["ATM-T0031","ATM-T0012"]"#,
            (DAY + 50, DAY + 50),
        )
        .await;
        insert_alert(&db, "a3", "[]", (3 * DAY + 7, 3 * DAY + 7)).await;
        insert_alert(&db, "a4", "[]", (3 * DAY + 8, 3 * DAY + 8)).await;
        insert_incident(&db, "i1", &["a1", "a2"]).await;
        insert_incident(&db, "i2", &["a3"]).await;
        insert_incident(&db, "i3", &[]).await;

        Migrator::up(&db, None).await.expect("m0022");

        let select = Query::select()
            .columns(["id", "atm_tags", "last_sighting_stored_us"])
            .from("incidents")
            .order_by("id", Order::Asc)
            .to_owned();
        let rows = db.query_all(&select).await.expect("select");
        let facts: Vec<(String, String, Option<i64>)> = rows
            .iter()
            .map(|row| {
                let id: String = row.try_get("", "id").expect("id");
                let tags: String = row.try_get("", "atm_tags").expect("tags");
                let last: Option<i64> = row.try_get("", "last_sighting_stored_us").expect("last");
                (id, tags, last)
            })
            .collect();
        let expected = [
            ("i1", r#"["ATM-T0012","ATM-T0031"]"#, Some(DAY + 90)),
            ("i2", "[]", Some(3 * DAY + 7)),
            ("i3", "[]", None),
        ]
        .map(|(id, tags, last)| (id.to_owned(), tags.to_owned(), last));
        assert_eq!(facts, expected);

        let select = Query::select()
            .columns(["day", "test", "atm_tags", "alerts"])
            .from("alert_raised_tallies")
            .to_owned();
        let rows = db.query_all(&select).await.expect("select");
        let mut tallies: Vec<(i64, bool, String, i64)> = rows
            .iter()
            .map(|row| {
                let day: i64 = row.try_get("", "day").expect("day");
                let test: bool = row.try_get("", "test").expect("test");
                let tags: String = row.try_get("", "atm_tags").expect("tags");
                let alerts: i64 = row.try_get("", "alerts").expect("alerts");
                (day, test, tags, alerts)
            })
            .collect();
        tallies.sort();
        let expected = [
            (1, false, r#"["ATM-T0031","ATM-T0012"]"#, 1),
            (1, false, r#"["ATM-T0031"]"#, 1),
            (3, false, "[]", 1),
            (3, true, "[]", 1),
        ]
        .map(|(day, test, tags, alerts)| (day, test, tags.to_owned(), alerts));
        assert_eq!(tallies, expected);
        db.close().await.expect("close");
    }

    #[tokio::test]
    async fn m0022_works_out_report_counts_on_sqlite() {
        let (location, _dir) = fresh_sqlite().expect("temp dir");
        m0022_works_out_incident_facts_and_raised_tallies(location).await;
    }

    #[tokio::test]
    async fn m0022_works_out_report_counts_on_postgres() {
        let Some(server) = postgres_url() else { return };
        let location = fresh_postgres(&server).await.expect("fresh database");
        m0022_works_out_incident_facts_and_raised_tallies(location).await;
    }

    /// A document attached before `m0014` is its build's SBOM afterwards.
    async fn m0014_keeps_earlier_documents_as_build_sboms(location: StoreLocation) {
        let db = connect(&location).await;
        Migrator::up(&db, Some(11)).await.expect("up to m0011");
        let row = Query::insert()
            .into_table("sbom_documents")
            .columns([
                "id",
                "build_id",
                "sha256",
                "format",
                "components",
                "bytes",
                "imported_at_us",
            ])
            .values_panic([
                "doc-1".into(),
                "tcu-4.2.0".into(),
                "ab".into(),
                "CycloneDX 1.6 JSON".into(),
                3i64.into(),
                b"{}".to_vec().into(),
                0i64.into(),
            ])
            .to_owned();
        db.execute(&row).await.expect("insert");

        Migrator::up(&db, None).await.expect("m0014");

        let select = Query::select()
            .columns(["subject_kind", "subject_id"])
            .from("sbom_documents")
            .to_owned();
        let rows = db.query_all(&select).await.expect("select");
        let subjects: Vec<(String, String)> = rows
            .iter()
            .map(|row| {
                let kind: String = row.try_get("", "subject_kind").expect("kind");
                let id: String = row.try_get("", "subject_id").expect("id");
                (kind, id)
            })
            .collect();
        assert_eq!(subjects, [("build".to_owned(), "tcu-4.2.0".to_owned())]);
        db.close().await.expect("close");
    }

    #[tokio::test]
    async fn m0014_keeps_build_sboms_on_sqlite() {
        let (location, _dir) = fresh_sqlite().expect("temp dir");
        m0014_keeps_earlier_documents_as_build_sboms(location).await;
    }

    #[tokio::test]
    async fn m0014_keeps_build_sboms_on_postgres() {
        let Some(server) = postgres_url() else { return };
        let location = fresh_postgres(&server).await.expect("fresh database");
        m0014_keeps_earlier_documents_as_build_sboms(location).await;
    }
}
