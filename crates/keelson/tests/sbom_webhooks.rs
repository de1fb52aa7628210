//! `keelson sbom import` tells webhook subscribers of the KEV findings a new
//! SBOM brings to a build, as the API does: the delivery reaches a real HTTP
//! receiver on a local port with its HMAC-SHA256 signature (checked with
//! Python's `hmac` module), is recorded, and a second SBOM with the same
//! finding announces nothing. `keelson vulndb import` announces the KEV
//! finding a new catalogue makes of a finding the build already had.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::sync::mpsc;

use serde_json::{Value, json};
use support::{keelson, stderr, stdout_lines};

const SECRET: &str = "cli-hook-secret";
const OSV: &str = "osv/osv-schema/tools/osv-linter/testdata/PYSEC-2023-74.json";

/// A receiver answering 204 to every POST; each body arrives on the channel
/// with its signature header.
fn start_receiver() -> (String, mpsc::Receiver<(String, String)>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("address"));
    let (sender, received) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream);
            let (mut length, mut signature) = (0, String::new());
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                let lower = line.to_ascii_lowercase();
                if let Some(value) = lower.strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap_or(0);
                }
                if lower.starts_with("x-keelson-signature:") {
                    signature = line["x-keelson-signature:".len()..].trim().to_owned();
                }
                line.clear();
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let answer =
                "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
            let _ = reader.get_mut().write_all(answer.as_bytes());
            let _ = sender.send((signature, String::from_utf8_lossy(&body).into_owned()));
        }
    });
    (url, received)
}

fn python_signature(body: &str) -> String {
    let script = "import hashlib, hmac, sys\n\
                  print('sha256=' + hmac.new(sys.argv[1].encode(), sys.argv[2].encode(), hashlib.sha256).hexdigest())";
    let output = Command::new("python3")
        .args(["-c", script, SECRET, body])
        .output()
        .expect("python3");
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path.display().to_string()
}

fn run(data: &Path, args: &[&str]) -> std::process::Output {
    let output = keelson(data, args);
    assert!(output.status.success(), "{args:?}: {}", stderr(&output));
    output
}

#[test]
fn an_imported_sbom_announces_its_new_kev_finding_once() {
    let Some(osv) = keelson_testkit::corpus_path(OSV) else {
        return;
    };
    let data = keelson_store::testing::TempDir::new().expect("dir");
    let files = keelson_store::testing::TempDir::new().expect("dir");
    let (url, received) = start_receiver();
    let config = write(
        &files.path,
        "keelson.toml",
        &format!(
            "webhook_retry_secs = []\n[[webhooks]]\nurl = \"{url}\"\nsecret = \"{SECRET}\"\n\
             events = [\"finding.kev\"]\nmax_tlp = \"AMBER\"\n"
        ),
    );
    // A one-entry KEV catalogue naming the CVE of the corpus OSV record.
    let kev = write(
        &files.path,
        "known_exploited_vulnerabilities.json",
        r#"{"catalogVersion": "test", "vulnerabilities": [
            {"cveID": "CVE-2023-32681", "dateAdded": "2023-06-01"}]}"#,
    );
    let fleet = write(
        &files.path,
        "fleet.csv",
        "vehicle,model,make,model_name,ecu,build,firmware_version,installed_at,tlp\n\
         v1,m1,Acme,Roadster,hu,hu-1.0,1.0,2026-01-01T00:00:00Z,GREEN\n",
    );
    let sbom = json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
                      "components": [{"type": "library", "bom-ref": "requests", "name": "requests",
                                      "version": "2.9.2", "purl": "pkg:pypi/requests@2.9.2"}]});
    let first = write(&files.path, "first.cdx.json", &sbom.to_string());
    let mut again = sbom.clone();
    again["serialNumber"] = json!("urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79");
    let second = write(&files.path, "second.cdx.json", &again.to_string());

    let osv = osv.display().to_string();
    run(&data.path, &["vulndb", "import", &osv, &kev]);
    run(&data.path, &["fleet", "import", &fleet]);
    let with_config = |args: &[&str]| {
        let mut all = vec!["--config", config.as_str()];
        all.extend_from_slice(args);
        run(&data.path, &all)
    };
    with_config(&["sbom", "import", &first, "--build", "hu-1.0"]);
    with_config(&["sbom", "import", &second, "--build", "hu-1.0"]);

    // The command returns once its deliveries are recorded: all are in.
    let seen: Vec<(String, String)> = received.try_iter().collect();
    assert_eq!(seen.len(), 1, "announced once: {seen:?}");
    let (signature, body) = &seen[0];
    assert_eq!(signature, &python_signature(body));
    let payload: Value = serde_json::from_str(body).expect("JSON body");
    assert_eq!(payload["event"], "finding.kev");
    assert_eq!(payload["data"]["vulnerability"], "CVE-2023-32681");
    assert_eq!(payload["data"]["build_id"], "hu-1.0");

    let deliveries = stdout_lines(&with_config(&["webhooks", "deliveries"]));
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0]["status"], "delivered");
    assert_eq!(deliveries[0]["id"], payload["id"]);
}

#[test]
fn a_kev_catalogue_that_lists_a_builds_cve_announces_the_finding_once() {
    let Some(osv) = keelson_testkit::corpus_path(OSV) else {
        return;
    };
    let data = keelson_store::testing::TempDir::new().expect("dir");
    let files = keelson_store::testing::TempDir::new().expect("dir");
    let (url, received) = start_receiver();
    let config = write(
        &files.path,
        "keelson.toml",
        &format!(
            "webhook_retry_secs = []\n[[webhooks]]\nurl = \"{url}\"\nsecret = \"{SECRET}\"\n\
             events = [\"finding.kev\", \"finding.critical\"]\nmax_tlp = \"AMBER\"\n"
        ),
    );
    let kev = write(
        &files.path,
        "known_exploited_vulnerabilities.json",
        r#"{"catalogVersion": "test", "vulnerabilities": [
            {"cveID": "CVE-2023-32681", "dateAdded": "2023-06-01"}]}"#,
    );
    let fleet = write(
        &files.path,
        "fleet.csv",
        "vehicle,model,make,model_name,ecu,build,firmware_version,installed_at,tlp\n\
         v1,m1,Acme,Roadster,hu,hu-1.0,1.0,2026-01-01T00:00:00Z,GREEN\n",
    );
    let sbom = json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
                      "components": [{"type": "library", "bom-ref": "requests", "name": "requests",
                                      "version": "2.9.2", "purl": "pkg:pypi/requests@2.9.2"}]});
    let sbom = write(&files.path, "hu.cdx.json", &sbom.to_string());
    let with_config = |args: &[&str]| {
        let mut all = vec!["--config", config.as_str()];
        all.extend_from_slice(args);
        run(&data.path, &all)
    };

    // The finding exists before the catalogue; it is neither KEV nor critical.
    with_config(&["vulndb", "import", &osv.display().to_string()]);
    with_config(&["fleet", "import", &fleet]);
    with_config(&["sbom", "import", &sbom, "--build", "hu-1.0"]);
    assert_eq!(received.try_iter().count(), 0, "nothing to announce yet");
    with_config(&["vulndb", "import", &kev]);
    with_config(&["vulndb", "import", &kev]);

    let seen: Vec<(String, String)> = received.try_iter().collect();
    assert_eq!(seen.len(), 1, "announced once: {seen:?}");
    let (signature, body) = &seen[0];
    assert_eq!(signature, &python_signature(body));
    let payload: Value = serde_json::from_str(body).expect("JSON body");
    assert_eq!(payload["event"], "finding.kev");
    assert_eq!(payload["data"]["vulnerability"], "CVE-2023-32681");
    assert_eq!(payload["data"]["build_id"], "hu-1.0");
}
