//! `keelson cases list`, `show`, `history` and `remediation`: cases read
//! from the store through the same clearance rule as the API, as JSON on
//! stdout.
//! A reader that stops early (`| head`) ends the command quietly.
//! `keelson cases risk` records a build's ISO/SAE 21434 risk through the
//! same input and matrix as the API; `remediation` shows the case's
//! remediation packages and compensating controls.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, anyhow, bail};
use keelson_core::Principal;
use keelson_server::config::Config;
use keelson_server::risk::RiskInput;
use keelson_store::Store;
use keelson_store::cases::CaseFilter;
use keelson_store::cases::remediation::today;
use keelson_store::cases::risk::CaseRisk;
use keelson_store::cases::work::CaseBuild;
use serde_json::json;

use super::{local_actor, open_store};
use crate::cli::{CasesCommand, ReaderOptions};

pub async fn run(config: Config, command: CasesCommand) -> anyhow::Result<ExitCode> {
    let store = open_store(&config).await?;
    let result = match command {
        CasesCommand::List {
            state,
            severity,
            owner,
            reader,
        } => {
            let filter = CaseFilter {
                state: state.as_deref().map(str::parse).transpose()?,
                severity: severity.as_deref().map(str::parse).transpose()?,
                owner,
                ..CaseFilter::default()
            };
            list(&store, &filter, &reader).await
        }
        CasesCommand::Show { id, reader } => show(&store, &id, &reader).await,
        CasesCommand::History { id, reader } => history(&store, &id, &reader).await,
        CasesCommand::Risk { id, build, input } => risk(&store, &config, &id, &build, &input).await,
        CasesCommand::Remediation { id, reader } => remediation(&store, &id, &reader).await,
    };
    store.close().await?;
    result
}

/// The principal whose clearance applies.
pub(super) async fn reader(store: &Store, options: &ReaderOptions) -> anyhow::Result<Principal> {
    let Some(name) = &options.reader else {
        return Ok(Principal::system());
    };
    let user = store
        .user_by_name(name)
        .await?
        .with_context(|| format!("--as {name:?}: no such user"))?;
    Ok(user.principal())
}

async fn list(
    store: &Store,
    filter: &CaseFilter,
    options: &ReaderOptions,
) -> anyhow::Result<ExitCode> {
    let reader = reader(store, options).await?;
    let cases = store.list_cases(filter).await?;
    let mut stdout = std::io::stdout().lock();
    for case in cases.iter().filter(|case| reader.may_read(&case.marking)) {
        writeln!(stdout, "{}", serde_json::to_string(case)?)?;
    }
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}

async fn show(store: &Store, id: &str, options: &ReaderOptions) -> anyhow::Result<ExitCode> {
    let reader = reader(store, options).await?;
    let Some(case) = store
        .case(id)
        .await?
        .filter(|case| reader.may_read(&case.marking))
    else {
        bail!("case {id} not found");
    };
    let builds = readable_builds(store, &reader, store.case_builds(id).await?).await?;
    let readable: Vec<&str> = builds.iter().map(|b| b.build_id.as_str()).collect();
    let risks: Vec<CaseRisk> = store
        .case_risks(id)
        .await?
        .into_iter()
        .filter(|risk| readable.contains(&risk.build_id.as_str()))
        .collect();
    let mut detail = serde_json::to_value(&case)?;
    detail["builds"] = json!(builds);
    detail["risks"] = json!(risks);
    detail["tasks"] = json!(store.case_tasks(id).await?);
    detail["comments"] = json!(store.case_comments(id).await?);
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{detail}")?;
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}

async fn history(store: &Store, id: &str, options: &ReaderOptions) -> anyhow::Result<ExitCode> {
    let reader = reader(store, options).await?;
    let readable = store
        .case(id)
        .await?
        .is_some_and(|case| reader.may_read(&case.marking));
    if !readable {
        bail!("case {id} not found");
    }
    let mut stdout = std::io::stdout().lock();
    for entry in store.case_history(id).await? {
        writeln!(stdout, "{}", serde_json::to_string(&entry)?)?;
    }
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}

async fn remediation(store: &Store, id: &str, options: &ReaderOptions) -> anyhow::Result<ExitCode> {
    let reader = reader(store, options).await?;
    if !store
        .case(id)
        .await?
        .is_some_and(|case| reader.may_read(&case.marking))
    {
        bail!("case {id} not found");
    }
    let packages = store.case_remediations(id).await?;
    let packages = keelson_server::remediation::with_reach(store, &reader, packages).await?;
    let controls = store.case_controls(id, &today()).await?;
    let mut stdout = std::io::stdout().lock();
    writeln!(
        stdout,
        "{}",
        json!({"packages": packages, "controls": controls})
    )?;
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}

async fn risk(
    store: &Store,
    config: &Config,
    id: &str,
    build: &str,
    input: &Path,
) -> anyhow::Result<ExitCode> {
    let text = if input == Path::new("-") {
        std::io::read_to_string(std::io::stdin()).context("cannot read standard input")?
    } else {
        std::fs::read_to_string(input)
            .with_context(|| format!("cannot read {}", input.display()))?
    };
    let request: RiskInput = serde_json::from_str(&text)
        .with_context(|| format!("{}: not a risk determination", input.display()))?;
    let determination = request
        .determine(&config.risk_matrix)
        .map_err(|reason| anyhow!("{}: {reason}", input.display()))?;
    let (outcome, risk) = store
        .set_case_risk(&local_actor(), id, build, &determination)
        .await?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", json!({"outcome": outcome, "risk": risk}))?;
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The builds whose inventory record the reader may see, as the API shows them.
async fn readable_builds(
    store: &Store,
    reader: &Principal,
    builds: Vec<CaseBuild>,
) -> anyhow::Result<Vec<CaseBuild>> {
    let mut readable = Vec::with_capacity(builds.len());
    for build in builds {
        let record = store.build(&build.build_id).await?;
        if record.is_some_and(|record| reader.may_read(&record.marking)) {
            readable.push(build);
        }
    }
    Ok(readable)
}
