//! `chainward sbom`: resolve every lockfile into one graph and export it as CycloneDX, with
//! `--vex` the advisories affecting its components.

use std::collections::HashSet;
use std::time::Instant;

use crate::advisory::db::Select;
use crate::cli::{Cli, SbomArgs};
use crate::discover::Excludes;
use crate::finding::Finding;
use crate::model::{Ecosystem, Graph};
use crate::report::ReportError;
use crate::resolve::{self, Resolution, ResolveOptions};
use crate::{Env, Error, ExitStatus, Output, sbom};

pub(crate) fn run(cli: &Cli, args: &SbomArgs, env: &Env, out: &mut Output<'_>) -> Result<ExitStatus, Error> {
    let started = Instant::now();
    let timestamp = match env.source_date_epoch.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(epoch) => Some(epoch_to_rfc3339(epoch)?),
        None if args.deterministic => {
            out.warning(cli.quiet, "--deterministic without SOURCE_DATE_EPOCH: the SBOM has no metadata.timestamp");
            None
        }
        None => Some(now_rfc3339()?),
    };
    let deterministic = args.deterministic || env.source_date_epoch.is_some();
    // The policy file (`--config`, or `chainward.toml` at the root of PATH) decides discovery as
    // it does for `scan`: its `exclude` and `requirements` add to the flags, so both commands
    // read the same files.
    let mut exclude = args.exclude.clone();
    let mut requirements = args.requirements.clone();
    let policy = match &args.config {
        Some(path) => Some(path.clone()),
        None => Some(super::split_file(&args.path).0.join(crate::config::FILE_NAME)).filter(|f| f.is_file()),
    };
    if let Some(file) = policy {
        let config = crate::config::load(&file).map_err(|e| Error::Usage(e.to_string()))?;
        exclude.extend(config.exclude);
        requirements.extend(config.requirements);
    }
    let excludes = Excludes::new(&exclude)?.with_requirements(&requirements)?;
    let source = crate::source::open(&args.path)?;
    let options = ResolveOptions { cargo_metadata: args.cargo_metadata, ..ResolveOptions::default() };
    let resolution = resolve::work_tree(&source, &excludes, &options)?;

    for w in &resolution.warnings {
        out.warning(cli.quiet, &w.to_string());
    }
    if !resolution.errors.is_empty() && !args.allow_partial {
        for e in &resolution.errors {
            out.error(&e.to_string());
        }
        out.error("no SBOM written (use --allow-partial to write what could be read)");
        return Ok(ExitStatus::Error);
    }

    let lockfiles = resolution.resolved.len();
    // --vex matches the same packages the SBOM lists.
    let vex_resolution = Resolution {
        resolved: if args.vex { resolution.resolved.clone() } else { Vec::new() },
        errors: Vec::new(),
        warnings: Vec::new(),
        name: resolution.name.clone(),
    };
    let graph = Graph::merge(resolution.resolved, &resolution.name);
    let missing = resolution.errors.iter().map(|e| (e.path.clone(), e.kind.to_string())).collect();
    let sbom_options =
        sbom::SbomOptions { spec: args.spec_version, format: args.format, timestamp, deterministic, missing };
    let mut vex_errors = Vec::new();
    let mut vulnerabilities = Vec::new();
    if args.vex {
        if args.format != sbom::SbomFormat::Json {
            return Err(Error::Usage("--vex needs --format json".to_owned()));
        }
        let (active, suppressed, notes, errors) = vex_findings(cli, args, &vex_resolution, env, out)?;
        vex_errors = errors;
        vulnerabilities = sbom::vex::vulnerabilities(&graph, &active, &suppressed);
        for n in &notes {
            out.warning(cli.quiet, n);
        }
    }
    drop(vex_resolution);
    // Streamed: a million-package SBOM is never held whole. `-o` goes through a temporary file
    // renamed into place, so a failure never leaves half a document there.
    let render = |w: &mut dyn std::io::Write| sbom::render_to_with_vex(&graph, &sbom_options, &vulnerabilities, w);
    match super::output_path(args.output.as_deref()) {
        Some(path) => crate::fsutil::write_atomically_with(path, render)
            .map_err(|e| Error::Write { path: path.display().to_string(), message: e.to_string() })?,
        None => render(&mut *out.stdout).map_err(|e| match e {
            sbom::SbomError::Write(e) => Error::Write { path: "<stdout>".to_owned(), message: e.to_string() },
            other @ sbom::SbomError::Model(_) => Error::Sbom(other),
        })?,
    }
    // Advisories that could not be loaded or evaluated: the VEX is incomplete, and says so here.
    for e in &vex_errors {
        out.error(&e.to_string());
    }
    if cli.verbose {
        out.info(&format!(
            "chainward: {} lockfile(s), {} components, {:.1} ms",
            lockfiles,
            graph.nodes.len() + usize::from(graph.root.node.is_some()),
            started.elapsed().as_secs_f64() * 1000.0
        ));
    }
    for e in &resolution.errors {
        out.error(&e.to_string());
    }
    Ok(if resolution.errors.is_empty() && vex_errors.is_empty() { ExitStatus::Success } else { ExitStatus::Error })
}

fn epoch_to_rfc3339(epoch: &str) -> Result<String, Error> {
    let secs: i64 = epoch.parse().map_err(|_| {
        Error::Usage(format!("SOURCE_DATE_EPOCH must be a number of seconds since 1970-01-01, got `{epoch}`"))
    })?;
    let t = time::OffsetDateTime::from_unix_timestamp(secs)
        .map_err(|e| Error::Usage(format!("SOURCE_DATE_EPOCH `{epoch}` is out of range: {e}")))?;
    t.format(&time::format_description::well_known::Rfc3339).map_err(|e| Error::Usage(e.to_string()))
}

fn now_rfc3339() -> Result<String, Error> {
    let now = time::OffsetDateTime::now_utc().replace_nanosecond(0).map_err(|e| Error::Usage(e.to_string()))?;
    now.format(&time::format_description::well_known::Rfc3339).map_err(|e| Error::Usage(e.to_string()))
}

/// Active findings, findings silenced by the policy, warnings, and errors.
type VexFindings = (Vec<Finding>, Vec<Finding>, Vec<String>, Vec<ReportError>);

/// `sbom --vex`: the findings of the packages of `resolution` (active, and silenced by the
/// policy file), with the policy's warnings and the database notes, and the advisories that
/// could not be loaded or evaluated.
fn vex_findings(
    cli: &Cli,
    args: &crate::cli::SbomArgs,
    resolution: &Resolution,
    env: &Env,
    out: &mut Output<'_>,
) -> Result<VexFindings, Error> {
    let mut notes = Vec::new();
    let file = if let Some(path) = &args.config {
        Some(path.clone())
    } else {
        let (dir, _) = super::split_file(&args.path);
        Some(dir.join(crate::config::FILE_NAME)).filter(|f| f.is_file())
    };
    let config = file.map(|f| crate::config::load(&f).map_err(|e| Error::Usage(e.to_string()))).transpose()?;
    let packages = resolution.scan_packages();
    let db_paths = if args.db.is_empty() {
        super::local_database(cli, args.offline, env, out, &mut notes, &super::needed_ecosystems(&packages))?
    } else {
        args.db.clone()
    };
    let keys: HashSet<(Ecosystem, String)> =
        packages.iter().map(|p| (p.ecosystem, p.ecosystem.normalize_name(&p.name))).collect();
    let index = crate::advisory::db::load_selected(&db_paths, env.cache_dir.as_deref(), Select::Packages(&keys))
        .map_err(|e| Error::Usage(format!("cannot load the advisory database: {e}")))?;
    let mut errors: Vec<ReportError> = index.errors.iter().map(super::database_error).collect();
    errors.extend(super::uncovered(&index, &packages, !args.db.is_empty()));
    notes.extend(index.notes.iter().cloned());
    let findings = super::matched(&index, &packages, &mut errors);
    Ok(match &config {
        Some(c) => {
            let applied = crate::policy::apply_ignores(findings, c, super::today(env));
            notes.extend(applied.warnings);
            (applied.active, applied.suppressed, notes, errors)
        }
        None => (findings, Vec::new(), notes, errors),
    })
}
