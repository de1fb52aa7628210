//! `keelson vex convert`: an OpenVEX file written as OpenVEX, CycloneDX VEX or CSAF
//! VEX. (`keelson vex export --build` waits for findings per build in the store.)

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};
use keelson_core::Tlp;
use keelson_exchange::vex::{self, CycloneDxVersion};

use crate::cli::VexCommand;

pub fn run(command: VexCommand) -> anyhow::Result<ExitCode> {
    match command {
        VexCommand::Convert {
            file,
            to,
            namespace,
            tlp,
        } => convert(&file, &to, namespace, tlp.as_deref()),
    }
}

fn convert(
    path: &Path,
    to: &str,
    namespace: Option<String>,
    tlp: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(path).with_context(|| format!("{}", path.display()))?;
    let mut document = vex::parse_openvex(&bytes).with_context(|| format!("{}", path.display()))?;
    let output = match to {
        "openvex" => vex::to_openvex(&document),
        "cyclonedx" | "cyclonedx-1.6" => vex::to_cyclonedx(&document, CycloneDxVersion::V1_6),
        "cyclonedx-1.5" => vex::to_cyclonedx(&document, CycloneDxVersion::V1_5),
        "csaf" => {
            let Some(label) = tlp else {
                bail!("--to csaf needs --tlp: OpenVEX carries no TLP label to take it from");
            };
            document.tlp = label.parse::<Tlp>()?;
            document.author_namespace = namespace;
            vex::to_csaf(&document)?
        }
        other => bail!("--to {other:?}: expected openvex, cyclonedx, cyclonedx-1.5 or csaf"),
    };
    println!("{}", serde_json::to_string_pretty(&output)?);
    Ok(ExitCode::SUCCESS)
}
