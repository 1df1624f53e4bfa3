//! `chainward sbom`: resolve every lockfile into one graph and export it as CycloneDX, with
//! `--vex` the advisories affecting its components.

use std::path::Path;
use std::time::Instant;

use crate::cli::{Cli, SbomArgs};
use crate::config::Config;
use crate::discover::Excludes;
use crate::finding::Finding;
use crate::model::Graph;
use crate::report::ReportError;
use crate::resolve::{self, Resolution, ResolveOptions};
use crate::source::Source;
use crate::source::git::{self, GitTree};
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
    // With --rev: the revision's tree, read from git objects (nothing checked out, nothing run).
    let revision = args.rev.as_deref().map(|rev| Revision::open(&args.path, rev)).transpose()?;
    // The policy file (`--config`, or `chainward.toml` at the root of PATH: in the work tree, or
    // in the revision's tree with --rev) decides discovery as it does for `scan`: its `exclude`
    // and `requirements` add to the flags, so both commands read the same files.
    let config = match (&args.config, &revision) {
        (Some(path), _) => Some(crate::config::load(path).map_err(|e| Error::Usage(e.to_string()))?),
        (None, Some(revision)) => revision.policy()?,
        (None, None) => {
            let file = super::split_file(&args.path).0.join(crate::config::FILE_NAME);
            if file.is_file() {
                Some(crate::config::load(&file).map_err(|e| Error::Usage(e.to_string()))?)
            } else {
                None
            }
        }
    };
    let mut exclude = args.exclude.clone();
    let mut requirements = args.requirements.clone();
    if let Some(config) = &config {
        exclude.extend(config.exclude.iter().cloned());
        requirements.extend(config.requirements.iter().cloned());
    }
    let excludes = Excludes::new(&exclude)?.with_requirements(&requirements)?;
    let mut properties = Vec::new();
    // The compiled view, when one of its options is given: statuses become the components'
    // `chainward:compiled` properties and their scope.
    let compiled = args
        .compiled
        .any()
        .then(|| -> Result<super::CompiledRequest, Error> {
            Ok(super::CompiledRequest {
                options: super::compiled_options(&args.compiled, env)?,
                registry: env.registry_config(args.offline),
                cargo_home: env.cargo_home.as_ref().map(crate::registry::cargo_home::CargoHome::new),
                always: true,
            })
        })
        .transpose()?;
    let mut compiled_notes = Vec::new();
    let resolution = if let Some(revision) = &revision {
        properties.push(("chainward:git-commit".to_owned(), revision.commit.clone()));
        properties.push(("chainward:git-revision".to_owned(), revision.rev.clone()));
        let mut resolution =
            resolve::tree(&revision.tree, revision.only.as_deref(), &excludes, &ResolveOptions::default())?;
        // Named as the work tree's SBOM would be: a revision's tree has no directory name.
        resolution.name.clone_from(&revision.name);
        if let Some(c) = &compiled {
            c.annotate(&mut resolution, &revision.tree, &mut compiled_notes, true)?;
        }
        resolution
    } else {
        let source = crate::source::open(&args.path)?;
        let options = ResolveOptions { cargo_metadata: args.cargo_metadata, ..ResolveOptions::default() };
        let mut resolution = resolve::work_tree(&source, &excludes, &options)?;
        if let Some(c) = &compiled {
            c.annotate(&mut resolution, &source, &mut compiled_notes, true)?;
        }
        resolution
    };
    for note in &compiled_notes {
        out.warning(cli.quiet, note);
    }

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
    let sbom_options = sbom::SbomOptions {
        spec: args.spec_version,
        format: args.format,
        timestamp,
        deterministic,
        missing,
        properties,
    };
    let mut vex_errors = Vec::new();
    let mut vulnerabilities = Vec::new();
    if args.vex {
        if args.format != sbom::SbomFormat::Json {
            return Err(Error::Usage("--vex needs --format json".to_owned()));
        }
        let (active, suppressed, notes, errors) = vex_findings(cli, args, config.as_ref(), &vex_resolution, env, out)?;
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
    // The command ends the process: freeing the graph node by node (a tenth of `sbom`'s time on a
    // large lockfile) would only delay the exit. Its memory goes back with the process.
    std::mem::forget(graph);
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
/// policy file `config`), with the policy's warnings and the database notes, and the advisories
/// that could not be loaded or evaluated.
fn vex_findings(
    cli: &Cli,
    args: &crate::cli::SbomArgs,
    config: Option<&Config>,
    resolution: &Resolution,
    env: &Env,
    out: &mut Output<'_>,
) -> Result<VexFindings, Error> {
    let mut notes = Vec::new();
    let packages = resolution.scan_packages();
    let (_, index) = super::load_for(cli, &args.db, args.offline, env, out, &mut notes, &packages, false)?;
    let mut errors: Vec<ReportError> = index.errors.iter().map(super::database_error).collect();
    errors.extend(super::uncovered(&index, &packages, !args.db.is_empty()));
    notes.extend(index.notes.iter().cloned());
    let findings = super::matched(&index, &packages, &mut errors);
    Ok(match config {
        Some(c) => {
            let applied = crate::policy::apply_ignores(findings, c, super::today(env));
            notes.extend(applied.warnings);
            (applied.active, applied.suppressed, notes, errors)
        }
        None => (findings, Vec::new(), notes, errors),
    })
}

/// `sbom --rev`: one revision of the repository containing PATH.
struct Revision {
    /// The revision's tree below PATH's directory.
    tree: GitTree,
    /// The lockfile PATH names, when it names one.
    only: Option<String>,
    /// REV as given.
    rev: String,
    /// The full id of the commit REV names.
    commit: String,
    /// The name of the SBOM's root when it has several lockfiles: PATH's directory's, as for
    /// the work tree (see [`root_name`]).
    name: String,
}

impl Revision {
    /// The tree of `rev` in the repository containing `path` (a directory of a work tree, a
    /// lockfile in one, or a bare repository).
    fn open(path: &Path, rev: &str) -> Result<Revision, Error> {
        let (dir, only) = super::split_file(path);
        let (repo_dir, prefix) = git::discover_for_revision(&dir)?;
        let tree = GitTree::at_revision(&repo_dir, &prefix, rev)?;
        let commit = tree.commit().unwrap_or_default();
        let name = std::fs::canonicalize(&dir).ok().and_then(|d| root_name(&d)).unwrap_or_else(|| "root".to_owned());
        Ok(Revision { tree, only, rev: rev.to_owned(), commit, name })
    }

    /// The revision's `chainward.toml` at the root of PATH, when it has one.
    fn policy(&self) -> Result<Option<Config>, Error> {
        if !self.tree.files()?.iter().any(|f| f == crate::config::FILE_NAME) {
            return Ok(None);
        }
        let bytes = self.tree.read(crate::config::FILE_NAME)?;
        let label = format!("{}:{}", self.tree.describe(), crate::config::FILE_NAME);
        let text = String::from_utf8(bytes).map_err(|e| Error::Usage(format!("{label}: not UTF-8: {e}")))?;
        crate::config::parse(&label, &text).map(Some).map_err(|e| Error::Usage(e.to_string()))
    }
}

/// The name of directory `dir` (canonical) as the root of an SBOM: its own name, the name of the
/// project for a repository's `.git` directory, and without `.git` for a bare repository
/// (`project.git` is `project`).
fn root_name(dir: &Path) -> Option<String> {
    let name = dir.file_name()?.to_str()?;
    if name == ".git" {
        return dir.parent().and_then(root_name);
    }
    Some(name.strip_suffix(".git").filter(|s| !s.is_empty()).unwrap_or(name).to_owned())
}
