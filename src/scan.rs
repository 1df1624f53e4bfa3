//! `chainward scan`: resolve (or read an SBOM), match against the advisory databases, report,
//! and decide the exit status.

use std::collections::HashSet;

use crate::advisory::db::Select;
use crate::cli::{Cli, ReportFormat, ScanArgs};
use crate::discover::Excludes;
use crate::finding::{ScanPackage, by_severity, match_packages};
use crate::model::Ecosystem;
use crate::policy::Policy;
use crate::report::{Database, DatabaseSource, Report, ReportError, Summary, Tool};
use crate::resolve::ResolveOptions;
use crate::{Env, Error, ExitStatus, Output};

pub(crate) fn run(cli: &Cli, args: &ScanArgs, env: &Env, out: &mut Output<'_>) -> Result<ExitStatus, Error> {
    let excludes = Excludes::new(&args.exclude)?;
    let mut notes: Vec<String> = Vec::new();
    let db_paths = if args.db.is_empty() { local_database(cli, args, env, out, &mut notes)? } else { args.db.clone() };
    let mut errors: Vec<ReportError> = Vec::new();
    let packages = packages(args, &excludes, &mut errors, &mut notes)?;
    // Only the advisories naming a scanned package are loaded from the compiled indexes.
    let keys: HashSet<(Ecosystem, String)> =
        packages.iter().map(|p| (p.ecosystem, p.ecosystem.normalize_name(&p.name))).collect();
    let index = crate::advisory::db::load_selected(&db_paths, env.cache_dir.as_deref(), Select::Packages(&keys))
        .map_err(|e| Error::Usage(format!("cannot load the advisory database: {e}")))?;
    for e in &index.errors {
        notes.push(format!("skipped advisory: {e}"));
    }
    let (findings, unevaluated) = match_packages(&index, &packages);
    for u in &unevaluated {
        errors.push(ReportError {
            path: u.location.path.clone(),
            line: u.location.line,
            message: format!(
                "could not evaluate {} for `{}` {}: {}",
                u.advisory, u.package.name, u.package.version, u.reason
            ),
        });
    }
    let policy = Policy { fail_on: args.fail_on, deny: args.deny.clone() };
    let failing = findings.iter().filter(|f| policy.fails(f)).count();
    let report = Report {
        version: 1,
        tool: Tool { name: "chainward".to_owned(), version: env!("CARGO_PKG_VERSION").to_owned() },
        database: Database { sources: index.sources.iter().map(DatabaseSource::from).collect() },
        summary: Summary { packages: packages.len(), findings: findings.len(), by_severity: by_severity(&findings) },
        findings,
        suppressed: Vec::new(),
        changes: None,
        warnings: Vec::new(),
        errors,
    };
    let bytes = match args.format {
        ReportFormat::Json => {
            crate::report::json::render(&report).map_err(|e| Error::Usage(format!("cannot render the report: {e}")))?
        }
        ReportFormat::Table => crate::report::table::render(&report).into_bytes(),
    };
    crate::emit(args.output.as_deref(), &bytes, out)?;
    if !cli.quiet {
        for n in &notes {
            let _ = writeln!(out.stderr, "warning: {n}");
        }
    }
    for e in &report.errors {
        let at = e.line.map_or_else(|| e.path.clone(), |l| format!("{}:{l}", e.path));
        let _ = writeln!(out.stderr, "error: {at}: {}", e.message);
    }
    Ok(if !report.errors.is_empty() {
        ExitStatus::Error
    } else if failing > 0 {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

/// The managed local database: refreshed first when stale (unless `--offline`).
fn local_database(
    cli: &Cli,
    args: &ScanArgs,
    env: &Env,
    out: &mut Output<'_>,
    notes: &mut Vec<String>,
) -> Result<Vec<std::path::PathBuf>, Error> {
    let cache = env.cache()?;
    let db = crate::advisory::local::LocalDb::new(cache);
    let now = env.now.unwrap_or_else(std::time::SystemTime::now);
    if db.is_stale(now) {
        if args.offline {
            if !db.sources().is_empty() {
                notes.push("the local advisory database is more than 24 h old (--offline: not refreshed)".to_owned());
            }
        } else {
            let _ = crate::dbcmd::update(cli, &db, cache, &env.update_config(&[]), true, out)?;
        }
    }
    let sources = db.sources();
    if sources.is_empty() {
        return Err(Error::Usage(format!(
            "no advisory database: run `chainward db update` (local database: `{}`), or pass --db PATH \
             (a RustSec advisory-db checkout, a directory of OSV JSON files, or an OSV zip)",
            db.root().display()
        )));
    }
    Ok(sources)
}

/// The packages to match: from an SBOM file, or from every lockfile under the path
/// ([`crate::scan_packages`]).
fn packages(
    args: &ScanArgs,
    excludes: &Excludes,
    errors: &mut Vec<ReportError>,
    notes: &mut Vec<String>,
) -> Result<Vec<ScanPackage>, Error> {
    if args.path.is_file() {
        let bytes = std::fs::read(&args.path)
            .map_err(|e| Error::Usage(format!("cannot read `{}`: {e}", args.path.display())))?;
        if crate::sbom::input::is_cyclonedx_json(&bytes) {
            let label = args.path.display().to_string();
            let (packages, skipped) =
                crate::sbom::input::read(&label, &bytes).map_err(|e| Error::Usage(e.to_string()))?;
            if skipped > 0 {
                notes
                    .push(format!("{label}: {skipped} component(s) with purls of ecosystems chainward does not match"));
            }
            return Ok(packages);
        }
    }
    let source = crate::open(&args.path)?;
    let options = ResolveOptions { lockfile_only: true, ..ResolveOptions::default() };
    let resolution = crate::resolve_tree(&source, excludes, &options)?;
    for e in &resolution.errors {
        errors.push(ReportError { path: e.path.clone(), line: e.line, message: e.kind.to_string() });
    }
    let packages = crate::scan_packages(&resolution);
    Ok(packages)
}
