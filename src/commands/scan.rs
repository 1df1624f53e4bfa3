//! `chainward scan` and `chainward diff`: resolve (or read an SBOM), match against the advisory
//! databases, apply the policy (ignores, `--fail-on`, the base revision), report, and decide the
//! exit status.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;

use crate::advisory::db::Select;
use crate::cli::{Cli, CommonScanArgs, ReportFormat, ScanArgs};
use crate::config::Config;
use crate::discover::Excludes;
use crate::finding::{Finding, ScanPackage, by_severity};
use crate::heuristics::{Locked, Settings};
use crate::model::Ecosystem;
use crate::policy::Policy;
use crate::report::{Database, DatabaseSource, Report, ReportError, Summary, Tool};
use crate::resolve::Resolution;
use crate::resolve::ResolveOptions;
use crate::source::Source;
use crate::source::git::{self, GitTree};
use crate::{Env, Error, ExitStatus, Output};

use super::diff::{Versions, change_set};
use super::{local_database, matched, split_file, today};

/// What to scan, from `scan` or `diff` arguments.
pub(crate) struct Request<'a> {
    pub(crate) path: &'a Path,
    pub(crate) base: Option<&'a str>,
    pub(crate) head: Option<&'a str>,
    pub(crate) staged: bool,
    pub(crate) common: &'a CommonScanArgs,
}

pub(crate) fn run(cli: &Cli, args: &ScanArgs, env: &Env, out: &mut Output<'_>) -> Result<ExitStatus, Error> {
    let request = Request {
        path: &args.path,
        base: args.base.as_deref(),
        head: args.head.as_deref(),
        staged: args.staged,
        common: &args.common,
    };
    pipeline(cli, &request, env, out)
}

/// One side of a comparison: its packages, and the policy file found in it.
struct Side {
    packages: Vec<ScanPackage>,
    /// Every resolved package (all sources), for the change set: (lockfile, ecosystem, name) →
    /// versions with their line.
    versions: Versions,
    /// Every resolved package with its source and checksum, for the diff-mode rules.
    locked: Vec<Locked>,
    config: Option<Config>,
}

#[expect(clippy::too_many_lines, reason = "the scan pipeline, step by step")]
pub(crate) fn pipeline(cli: &Cli, req: &Request<'_>, env: &Env, out: &mut Output<'_>) -> Result<ExitStatus, Error> {
    let mut notes: Vec<String> = Vec::new();
    let mut errors: Vec<ReportError> = Vec::new();
    let git_mode = req.base.is_some() || req.head.is_some() || req.staged;
    let sbom_input = !git_mode && req.path.is_file() && super::is_sbom(req.path);

    // The policy file named on the command line is read first: its `exclude` applies to discovery.
    let explicit_config = match &req.common.config {
        Some(path) => Some(crate::config::load(path).map_err(|e| Error::Usage(e.to_string()))?),
        None => None,
    };
    let mut exclude = req.common.exclude.clone();
    let mut requirements = req.common.requirements.clone();
    if let Some(c) = &explicit_config {
        exclude.extend(c.exclude.iter().cloned());
        requirements.extend(c.requirements.iter().cloned());
    }
    // Checked now, so a bad pattern is a usage error before anything is read. Each side adds
    // the `exclude` and `requirements` of its own `chainward.toml` when no policy file was named.
    Excludes::new(&exclude)?.with_requirements(&requirements)?;
    let excludes =
        Exclusions { patterns: &exclude, requirements: &requirements, with_tree_policy: explicit_config.is_none() };

    // The compiled view (Rust): on with registry lookups, with any of its options, or when the
    // policy file asks for `compiled-only`; without the registry, from the caches only.
    // In diff mode it needs the whole graph's metadata, not only what the change adds: there
    // only on request.
    let explicit = req.common.compiled.any()
        || req.common.compiled_only
        || req.common.no_dev
        || explicit_config.as_ref().is_some_and(|c| c.compiled_only);
    let mut compiled_options = super::compiled_options(&req.common.compiled, env)?;
    compiled_options.explicit = explicit;
    let compiled = super::CompiledRequest {
        options: compiled_options,
        registry: env.registry_config(req.common.offline || req.common.no_registry),
        cargo_home: env.cargo_home.as_ref().map(crate::registry::cargo_home::CargoHome::new),
        always: explicit || (!req.common.no_registry && req.base.is_none()),
    };
    let (head, base, base_label, head_label) = if sbom_input {
        (sbom_side(req.path, &mut notes, &mut errors)?, None, None, None)
    } else if git_mode {
        let (dir, only) = split_file(req.path);
        let (repo, prefix) = git::discover(&dir)?;
        let workdir =
            git::workdir(&repo).ok_or_else(|| Error::Usage("a bare repository has no work tree".to_owned()))?;
        drop(repo);
        let (head_source, head_label): (Box<dyn Source>, String) = if req.staged {
            (Box::new(GitTree::staged(&workdir, &prefix)?), "staged".to_owned())
        } else if let Some(rev) = req.head {
            let tree = GitTree::at_revision(&workdir, &prefix, rev)?;
            let label = format!("{rev} ({})", tree.commit().unwrap_or_default());
            (Box::new(tree), label)
        } else {
            // Compared with a revision: leave nested repositories out, as the revision does.
            (Box::new(crate::source::WorkTree::new(&dir).without_nested_repositories()), "worktree".to_owned())
        };
        let role = Role::Head { compared: req.base.is_some() };
        let head = tree_side(
            head_source.as_ref(),
            only.as_deref(),
            &excludes,
            &mut errors,
            role,
            &mut notes,
            Some(&compiled),
        )?;
        let (base, base_label) = match req.base {
            Some(rev) => {
                let tree = GitTree::at_revision(&workdir, &prefix, rev)?;
                let label = format!("{rev} ({})", tree.commit().unwrap_or_default());
                (
                    Some(tree_side(&tree, only.as_deref(), &excludes, &mut errors, Role::Base, &mut notes, None)?),
                    Some(label),
                )
            }
            None => (None, None),
        };
        (head, base, base_label, Some(head_label))
    } else {
        let (dir, only) = split_file(req.path);
        let source = crate::source::WorkTree::new(&dir);
        (
            tree_side(
                &source,
                only.as_deref(),
                &excludes,
                &mut errors,
                Role::Head { compared: false },
                &mut notes,
                Some(&compiled),
            )?,
            None,
            None,
            None,
        )
    };
    let config = explicit_config.or_else(|| head.config.clone());

    let db_paths = if req.common.db.is_empty() {
        let needed = super::needed_ecosystems(head.packages.iter().chain(base.iter().flat_map(|b| &b.packages)));
        local_database(cli, req.common.offline, env, out, &mut notes, &needed)?
    } else {
        req.common.db.clone()
    };
    // Only the advisories affecting a scanned package's version (or that cannot be evaluated for
    // it) are loaded from the compiled indexes: matching needs no other.
    let in_use = crate::advisory::db::Wanted::new(
        head.packages
            .iter()
            .chain(base.iter().flat_map(|b| &b.packages))
            .map(|p| (p.ecosystem, p.name.as_str(), p.version.as_str())),
    );
    let index = crate::advisory::db::load_selected(&db_paths, env.cache_dir.as_deref(), Select::Affecting(&in_use))
        .map_err(|e| Error::Usage(format!("cannot load the advisory database: {e}")))?;
    // A record that did not load could be the one that matters: the run is not clean.
    errors.extend(index.errors.iter().map(super::database_error));
    errors.extend(super::uncovered(&index, &head.packages, !req.common.db.is_empty()));
    notes.extend(index.notes.iter().cloned());

    let mut findings = matched(&index, &head.packages, &mut errors);
    // Findings already present at the base: not reported in diff mode, but the policy's ignores
    // are judged against them too (an ignore that silences one is in use, not "matched nothing").
    let mut at_base = Vec::new();
    let mut changes = None;
    if let (Some(base), Some(base_label)) = (&base, &base_label) {
        let mut ignored = Vec::new();
        let before: HashSet<(String, String, String, String)> =
            matched(&index, &base.packages, &mut ignored).iter().map(finding_key).collect();
        (findings, at_base) = findings.into_iter().partition(|f| !before.contains(&finding_key(f)));
        let mut set = change_set(&base.versions, &head.versions);
        set.base.clone_from(base_label);
        set.head = head_label.clone().unwrap_or_default();
        let base_ignores = base.config.as_ref().map(|c| c.ignores.as_slice()).unwrap_or_default();
        let head_ignores = config.as_ref().map(|c| c.ignores.as_slice()).unwrap_or_default();
        set.new_suppressions = crate::policy::new_suppressions(base_ignores, head_ignores);
        changes = Some(set);
    }

    // The heuristics: in diff mode only for what the change adds or updates.
    let settings = Settings::from_config(config.as_ref().map(|c| &c.heuristics));
    let mut registry_warnings = Vec::new();
    let candidates: std::borrow::Cow<'_, [ScanPackage]> = match &base {
        Some(base) => {
            let before: HashSet<(&str, Ecosystem, &str, &str)> = base
                .packages
                .iter()
                .map(|p| (p.location.path.as_str(), p.ecosystem, p.name.as_str(), p.version.as_str()))
                .collect();
            head.packages
                .iter()
                .filter(|p| {
                    !before.contains(&(p.location.path.as_str(), p.ecosystem, p.name.as_str(), p.version.as_str()))
                })
                .cloned()
                .collect::<Vec<_>>()
                .into()
        }
        None => head.packages.as_slice().into(),
    };
    if let Some(base) = &base {
        findings.extend(crate::heuristics::diff_findings(&settings, &base.locked, &head.locked));
    }
    if settings.wants_registry() && !req.common.no_registry && !candidates.is_empty() {
        let started = std::time::Instant::now();
        let registry = env.registry_config(req.common.offline);
        let ctx = crate::heuristics::Context { now: registry.now, settings: &settings, diff: base.is_some() };
        let wanted = wanted(&candidates);
        let first_time = registry.cache_dir.as_ref().is_none_or(|d| !d.exists());
        if out.stderr_is_terminal && !cli.quiet && !req.common.offline && first_time {
            // A cold cache on a big lockfile waits on crates.io's one API request a second.
            let _ = writeln!(
                out.stderr,
                "looking up registry metadata for {} package(s): the first time takes a while (crates.io allows one API request a second); later scans use the cache, --no-registry skips it",
                wanted.len()
            );
        }
        let show_progress = out.stderr_is_terminal && !cli.quiet && !req.common.offline;
        let fetched = fetch_registry(
            &registry,
            &wanted,
            &|meta, version| ctx.want_detail(meta, version),
            show_progress.then_some(&mut *out.stderr),
            std::time::Duration::from_secs(1),
        );
        for f in &fetched.failures {
            registry_warnings.push(describe_failure(f));
        }
        registry_warnings.extend(fetched.notes.iter().cloned());
        // Registries delete malicious releases; a version in use that its registry no longer
        // lists is worth a look even when no rule can judge it.
        let mut missing: BTreeMap<Ecosystem, Vec<String>> = BTreeMap::new();
        for (ecosystem, name, version) in &fetched.missing {
            missing.entry(*ecosystem).or_default().push(format!("{name} {version}"));
        }
        for (ecosystem, list) in missing {
            registry_warnings.push(format!(
                "{} does not list {} version(s) in use: {} (deleted or never published there; registries delete \
                 malicious releases)",
                ecosystem.as_str(),
                list.len(),
                crate::registry::safe_text(&list.join(", "), 400)
            ));
        }
        if cli.verbose {
            let _ = writeln!(
                out.stderr,
                "registry metadata: {} package(s), {} request(s), {} from the cache, {:.0?}",
                fetched.packages.len(),
                fetched.requests,
                fetched.cache_hits,
                started.elapsed()
            );
        }
        findings.extend(crate::heuristics::registry_findings(&ctx, &candidates, &fetched));
    }
    // A rule with a lockfile side and a registry side (install-script-added) may see the same
    // thing twice: keep one finding per rule, package and place, the registry's (it says more).
    let mut seen = HashSet::new();
    let mut unique: Vec<Finding> = findings
        .into_iter()
        .rev()
        .filter(|f| {
            seen.insert((
                f.id.clone(),
                f.package.name.clone(),
                f.package.version.clone(),
                f.location.path.clone(),
                f.location.line,
            ))
        })
        .collect();
    unique.reverse();
    let mut findings = unique;
    crate::finding::sort(&mut findings);
    // Keyed by the purl too (a git fork and the registry crate of one name and version are two
    // packages); should two still meet, the most compiled status wins.
    let mut statuses: std::collections::HashMap<(&str, &str, &str, Option<&str>), &crate::compiled::Compiled> =
        std::collections::HashMap::new();
    for p in &head.packages {
        let Some(c) = p.compiled.as_ref() else { continue };
        let key = (p.location.path.as_str(), p.name.as_str(), p.version.as_str(), p.purl.as_deref());
        let slot = statuses.entry(key).or_insert(c);
        if c.status < slot.status {
            *slot = c;
        }
    }
    for f in &mut findings {
        let key =
            (f.location.path.as_str(), f.package.name.as_str(), f.package.version.as_str(), f.package.purl.as_deref());
        f.compiled = statuses.get(&key).map(|c| (*c).clone());
    }

    let today = today(env);
    let (active, suppressed, warnings) = match &config {
        Some(c) => {
            let baseline: HashSet<(String, String, String, String)> = at_base.iter().map(finding_key).collect();
            findings.append(&mut at_base);
            let mut applied = crate::policy::apply_ignores(findings, c, today);
            applied.active.retain(|f| !baseline.contains(&finding_key(f)));
            applied.suppressed.retain(|f| !baseline.contains(&finding_key(f)));
            (applied.active, applied.suppressed, applied.warnings)
        }
        None => (findings, Vec::new(), Vec::new()),
    };
    // --compiled-only / --no-dev: findings in crates cargo does not compile (or only for tests)
    // are reported apart, out of the exit code.
    let compiled_only = req.common.compiled_only || config.as_ref().is_some_and(|c| c.compiled_only);
    let (active, not_compiled): (Vec<Finding>, Vec<Finding>) = active.into_iter().partition(|f| {
        !f.compiled.as_ref().is_some_and(|c| {
            (compiled_only && c.status == crate::compiled::Status::No)
                || (req.common.no_dev && c.status == crate::compiled::Status::Dev)
        })
    });
    // Everything worth a look is in the report too, not only on stderr; each line sanitised.
    let warnings: Vec<String> =
        notes.into_iter().chain(warnings).chain(registry_warnings).map(|w| crate::sanitize::diagnostic(&w)).collect();
    let errors: Vec<ReportError> = errors.into_iter().map(ReportError::sanitized).collect();
    let policy = Policy::from_config(req.common.fail_on, req.common.deny.clone(), config.as_ref());
    let failing = active.iter().filter(|f| policy.fails(f)).count();
    let report = Report {
        version: 1,
        tool: Tool { name: "chainward".to_owned(), version: env!("CARGO_PKG_VERSION").to_owned() },
        database: Database { sources: index.sources.iter().map(DatabaseSource::from).collect() },
        summary: Summary { packages: head.packages.len(), findings: active.len(), by_severity: by_severity(&active) },
        findings: active,
        suppressed,
        not_compiled,
        changes,
        warnings,
        errors,
    };
    // Only SARIF and annotations name paths relative to the repository root.
    let needs_prefix = req.common.format == ReportFormat::Sarif || (env.github_actions && req.common.annotate);
    let path_prefix = if needs_prefix { repo_prefix(req.path) } else { String::new() };
    let bytes = render(&report, req.common.format, &path_prefix)?;
    super::emit(super::output_path(req.common.output.as_deref()), &bytes, out)?;
    github(req, env, &report, &path_prefix, out)?;
    let status = super::conclude(cli, out, &report.warnings, &report.errors, failing);
    // The command ends the process: freeing the index and the packages piece by piece would
    // only delay the exit. Their memory goes back with the process.
    std::mem::forget((index, head, base));
    Ok(status)
}

fn render(report: &Report, format: ReportFormat, path_prefix: &str) -> Result<Vec<u8>, Error> {
    let failed = |e: serde_json::Error| Error::Usage(format!("cannot render the report: {e}"));
    Ok(match format {
        ReportFormat::Json => crate::report::json::render(report).map_err(failed)?,
        ReportFormat::Table => crate::report::table::render(report).into_bytes(),
        ReportFormat::Markdown => crate::report::markdown::render(report).into_bytes(),
        ReportFormat::Sarif => {
            let options = crate::report::sarif::SarifOptions { path_prefix, category: "chainward" };
            crate::report::sarif::render(report, &options).map_err(failed)?
        }
    })
}

/// In GitHub Actions: the step summary, the step outputs, and (with `--annotate`) workflow
/// commands.
fn github(req: &Request<'_>, env: &Env, report: &Report, path_prefix: &str, out: &mut Output<'_>) -> Result<(), Error> {
    if !env.github_actions {
        return Ok(());
    }
    let failed =
        |path: &Path, e: std::io::Error| Error::Write { path: path.display().to_string(), message: e.to_string() };
    if let Some(path) = &env.github_step_summary {
        crate::github::append_step_summary(path, &crate::report::markdown::render(report))
            .map_err(|e| failed(path, e))?;
    }
    if let Some(path) = &env.github_output {
        let sarif = match (req.common.format, super::output_path(req.common.output.as_deref())) {
            (ReportFormat::Sarif, Some(p)) => p.display().to_string(),
            _ => String::new(),
        };
        let count = report.findings.len().to_string();
        crate::github::write_outputs(path, &[("findings", count.as_str()), ("sarif-file", sarif.as_str())])
            .map_err(|e| failed(path, e))?;
    }
    if req.common.annotate {
        let _ = out.stdout.write_all(crate::github::annotations(report, path_prefix).as_bytes());
    }
    Ok(())
}

/// (id, ecosystem, name, version): what "the same finding" means between base and head. Names
/// compare as the ecosystem does (PEP 503 for PyPI: `Django` at the base is `django` now).
fn finding_key(f: &Finding) -> (String, String, String, String) {
    let name = match crate::model::Ecosystem::from_osv(&f.package.ecosystem) {
        Some(ecosystem) => ecosystem.normalize_name(&f.package.name),
        None => f.package.name.clone(),
    };
    (f.id.clone(), f.package.ecosystem.clone(), name, f.package.version.clone())
}

/// A registry failure as one warning: which registry, what went wrong, which metadata is missing.
/// Run the registry lookups. With `progress` (stderr on a terminal), a progress line is kept up
/// to date there once they take longer than `after`, and wiped when they end: a cold cache on a
/// big lockfile waits minutes on crates.io's one API request a second.
fn fetch_registry(
    registry: &crate::registry::RegistryConfig,
    wanted: &[crate::registry::Wanted],
    want_detail: &crate::registry::WantDetail<'_>,
    progress: Option<&mut dyn std::io::Write>,
    after: std::time::Duration,
) -> crate::registry::Fetched {
    use std::time::{Duration, Instant};
    let Some(stderr) = progress else { return crate::registry::fetch(registry, wanted, want_detail) };
    let counts = crate::registry::Progress::default();
    let started = Instant::now();
    let this = std::thread::current();
    std::thread::scope(|s| {
        let worker = s.spawn(|| {
            let fetched = crate::registry::fetch_watched(registry, wanted, want_detail, &counts);
            this.unpark();
            fetched
        });
        let mut width = 0;
        loop {
            std::thread::park_timeout(Duration::from_millis(250));
            if worker.is_finished() {
                break;
            }
            if started.elapsed() >= after {
                let line = progress_line(counts.read());
                let _ = write!(stderr, "\r{line:<width$}");
                let _ = stderr.flush();
                width = width.max(line.chars().count());
            }
        }
        if width > 0 {
            let _ = write!(stderr, "\r{:width$}\r", "");
            let _ = stderr.flush();
        }
        worker.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// The progress line of a registry lookup.
fn progress_line(r: crate::registry::ProgressReading) -> String {
    if r.to_detail == 0 {
        format!("registry metadata: {}/{} package(s) listed", r.listed, r.packages)
    } else {
        format!("registry metadata: {} package(s) listed; release details {}/{}", r.packages, r.detailed, r.to_detail)
    }
}

fn describe_failure(f: &crate::registry::Failure) -> String {
    const SHOWN: usize = 5;
    let mut names: Vec<&str> = f.packages.iter().map(String::as_str).take(SHOWN).collect();
    let more = f.packages.len().saturating_sub(SHOWN);
    let more_text = format!("and {more} more");
    if more > 0 {
        names.push(&more_text);
    }
    // What is missing, and what it would have fed.
    let (what, rules) = match f.registry.as_str() {
        "crates.io API" => ("publisher and owner data", "maintainer-change, ownership-change and provenance"),
        "npm attestations" | "PyPI Integrity API" => ("provenance", "provenance"),
        _ => ("metadata", "registry"),
    };
    format!(
        "{}: {}; no {what} for {} package(s) ({}), so the {rules} rules did not judge them",
        f.registry,
        f.message,
        f.packages.len(),
        names.join(", ")
    )
}

/// The registry lookups for `packages`: one per (ecosystem, name), with every version in use.
fn wanted(packages: &[ScanPackage]) -> Vec<crate::registry::Wanted> {
    let mut by_name: BTreeMap<(Ecosystem, &str), BTreeSet<&str>> = BTreeMap::new();
    for p in packages {
        by_name.entry((p.ecosystem, p.name.as_str())).or_default().insert(p.version.as_str());
    }
    by_name
        .into_iter()
        .map(|((ecosystem, name), versions)| crate::registry::Wanted {
            ecosystem,
            name: name.to_owned(),
            versions: versions.into_iter().map(str::to_owned).collect(),
        })
        .collect()
}

/// The `--exclude` and `--requirements` patterns (and those of a policy file named with
/// `--config`), and whether each side adds the `exclude` and `requirements` of its own
/// `chainward.toml`.
struct Exclusions<'a> {
    patterns: &'a [String],
    requirements: &'a [String],
    with_tree_policy: bool,
}

/// Which side of a scan a tree is.
#[derive(Clone, Copy)]
enum Role {
    /// The base revision of a comparison.
    Base,
    /// What is scanned; `compared` with a base revision or not.
    Head { compared: bool },
}

/// Resolve a tree into a [`Side`]. At a base revision, unreadable lockfiles are warnings (the
/// comparison is then against what could be read), not errors of this run.
fn tree_side(
    source: &dyn Source,
    only: Option<&str>,
    excludes: &Exclusions<'_>,
    errors: &mut Vec<ReportError>,
    role: Role,
    notes: &mut Vec<String>,
    compiled: Option<&super::CompiledRequest>,
) -> Result<Side, Error> {
    let is_base = matches!(role, Role::Base);
    let config = match source.read("chainward.toml") {
        Ok(bytes) => {
            let label = format!("{}:chainward.toml", source.describe());
            let text = String::from_utf8_lossy(&bytes);
            match crate::config::parse(if source.local_root().is_some() { "chainward.toml" } else { &label }, &text) {
                Ok(c) => Some(c),
                Err(e) if is_base => {
                    notes.push(format!("at the base revision: {e}"));
                    None
                }
                Err(e) => return Err(Error::Usage(e.to_string())),
            }
        }
        Err(_) => None,
    };
    let mut patterns = excludes.patterns.to_vec();
    let mut requirements = excludes.requirements.to_vec();
    if excludes.with_tree_policy
        && let Some(c) = &config
    {
        patterns.extend(c.exclude.iter().cloned());
        requirements.extend(c.requirements.iter().cloned());
    }
    let excludes = Excludes::new(&patterns)?.with_requirements(&requirements)?;
    let options = ResolveOptions { lockfile_only: true, ..ResolveOptions::default() };
    let mut resolution = match crate::resolve::tree(source, only, &excludes, &options) {
        Ok(r) => r,
        // No lockfile at the base revision: everything at head is new.
        Err(Error::Usage(message)) if is_base => {
            notes.push(format!("at the base revision: {message}"));
            Resolution { resolved: Vec::new(), errors: Vec::new(), warnings: Vec::new(), name: String::new() }
        }
        Err(e) => return Err(e),
    };
    if !is_base {
        notes.extend(resolution.warnings.iter().map(ToString::to_string));
    }
    if let Some(c) = compiled {
        let asked = config.as_ref().is_some_and(|c| c.compiled_only);
        if c.always || asked {
            c.annotate(&mut resolution, source, notes, asked)?;
        }
    }
    for e in &resolution.errors {
        if is_base {
            notes.push(format!("at the base revision: {e}"));
        } else {
            errors.push(ReportError { path: e.path.clone(), line: e.line, message: e.kind.to_string() });
        }
    }
    let mut versions: Versions = BTreeMap::new();
    let mut locked = Vec::new();
    // What only a comparison uses: every version of every package, and their sources and checksums.
    let compared = !matches!(role, Role::Head { compared: false });
    let to_compare: &[crate::resolve::Resolved] = if compared { &resolution.resolved } else { &[] };
    for r in to_compare {
        for p in &r.packages {
            // Keyed by the name as the ecosystem compares it (PEP 503 for PyPI), so a name
            // written `Django` at the base and `django` now is one package that changed version.
            versions
                .entry((r.path.clone(), p.ecosystem, p.ecosystem.normalize_name(&p.name)))
                .or_default()
                .push((p.version.clone(), p.lines.map(|l| l.start)));
            locked.push(Locked {
                ecosystem: p.ecosystem,
                name: p.name.clone(),
                version: p.version.clone(),
                purl: p.purl(),
                source: crate::heuristics::source_label(p.ecosystem, &p.source),
                default_registry: p.source.is_default_registry(),
                checksums: p.checksums.iter().map(crate::model::Checksum::prefixed).collect(),
                install_script: p.install_script,
                location: crate::finding::Location::block(&r.path, p.lines),
            });
        }
    }
    let packages = resolution.scan_packages();
    // The command ends the process (as at its end, below): the resolved graph is not freed
    // package by package, which cost a tenth of a warm scan of a large lockfile.
    std::mem::forget(resolution);
    Ok(Side { packages, versions, locked, config })
}

/// An SBOM given as PATH. What it does not understand is a warning (counted, described); an SBOM
/// from which nothing can be matched is an error of the report (exit 2), never an empty pass.
fn sbom_side(path: &Path, notes: &mut Vec<String>, errors: &mut Vec<ReportError>) -> Result<Side, Error> {
    let bytes = std::fs::read(path).map_err(|e| Error::Usage(format!("cannot read `{}`: {e}", path.display())))?;
    let label = path.display().to_string();
    let packages = match crate::sbom::input::parse(&label, &bytes) {
        Ok(input) => {
            notes.extend(input.notes(&label));
            let decided = input.packages.iter().filter(|p| p.compiled.is_some()).count();
            if decided > 0 {
                // Whoever wrote the SBOM decided these, for targets and features it does not
                // record: say where they come from, since --compiled-only acts on them.
                notes.push(format!(
                    "{label}: the compiled status of {decided} package(s) is the SBOM's own (`chainward:compiled` properties, decided when it was written, for the targets and features used then)"
                ));
            }
            input.packages
        }
        Err(e) => {
            notes.extend(e.problems.iter().cloned());
            errors.push(ReportError { path: e.path, line: None, message: e.message });
            Vec::new()
        }
    };
    Ok(Side { packages, versions: BTreeMap::new(), locked: Vec::new(), config: None })
}

/// PATH relative to its git repository's root, as a prefix for SARIF and annotation paths
/// (`""` outside a repository or at its root).
fn repo_prefix(path: &Path) -> String {
    let (dir, _) = split_file(path);
    match git::work_tree_prefix(&dir) {
        Some(prefix) if !prefix.is_empty() => format!("{prefix}/"),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{ProgressReading, RegistryConfig, Wanted};
    use std::io::{BufRead as _, BufReader, Write as _};
    use std::net::TcpListener;
    use std::time::Duration;

    /// A registry on 127.0.0.1 that answers every request with 404 after `delay`.
    fn slow_registry(delay: Duration) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                    line.clear();
                }
                std::thread::sleep(delay);
                let _ = stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            }
        });
        url
    }

    /// A lookup that takes `delay`, with a progress line after `after`.
    fn lookup(delay: Duration, after: Duration) -> (crate::registry::Fetched, String) {
        let url = slow_registry(delay);
        let cache = tempfile::tempdir().unwrap();
        let mut config = RegistryConfig::public(Some(cache.path().to_owned()), time::OffsetDateTime::UNIX_EPOCH);
        config.crates_io_index = format!("{url}/");
        let wanted = [Wanted { ecosystem: Ecosystem::Cargo, name: "slow".into(), versions: vec!["1.0.0".into()] }];
        let mut stderr = Vec::new();
        let fetched = fetch_registry(&config, &wanted, &|_, _| false, Some(&mut stderr), after);
        (fetched, String::from_utf8(stderr).unwrap())
    }

    #[test]
    fn a_slow_lookup_shows_a_progress_line_then_wipes_it() {
        let (fetched, stderr) = lookup(Duration::from_millis(1500), Duration::ZERO);
        assert_eq!(fetched.not_found, [(Ecosystem::Cargo, "slow".to_owned())]);
        let line = "registry metadata: 0/1 package(s) listed";
        assert!(stderr.starts_with(&format!("\r{line}")), "{stderr:?}");
        assert!(stderr.ends_with(&format!("\r{}\r", " ".repeat(line.len()))), "{stderr:?}");
    }

    #[test]
    fn a_lookup_done_before_the_threshold_prints_nothing() {
        let (fetched, stderr) = lookup(Duration::ZERO, Duration::from_secs(3600));
        assert_eq!(fetched.not_found.len(), 1);
        assert_eq!(stderr, "");
    }

    #[test]
    fn the_progress_line_says_which_stage() {
        let r = ProgressReading { packages: 923, listed: 400, to_detail: 0, detailed: 0 };
        assert_eq!(progress_line(r), "registry metadata: 400/923 package(s) listed");
        let r = ProgressReading { packages: 923, listed: 923, to_detail: 98, detailed: 12 };
        assert_eq!(progress_line(r), "registry metadata: 923 package(s) listed; release details 12/98");
    }
}
