//! One file per subcommand. Each wires the stages (source, discover, resolve, graph, then sbom or
//! match, policy and report) for its command and decides the exit status; the stages themselves
//! live in their own modules and never print.

pub(crate) mod db;
pub(crate) mod diff;
pub(crate) mod history;
pub(crate) mod inventory;
pub(crate) mod sbom;
pub(crate) mod scan;

use std::path::{Path, PathBuf};

use crate::advisory::Index;
use crate::advisory::db::{Select, Wanted};
use crate::cli::Cli;
use crate::finding::{Finding, ScanPackage, match_packages};
use crate::report::ReportError;
use crate::{Env, Error, Output};

/// Write a report or document to `-o FILE` (atomically) or to stdout.
/// The `-o` path, `-` meaning stdout (as for most command-line tools).
pub(crate) fn output_path(output: Option<&Path>) -> Option<&Path> {
    output.filter(|p| *p != Path::new("-"))
}

pub(crate) fn emit(output: Option<&Path>, bytes: &[u8], out: &mut Output<'_>) -> Result<(), Error> {
    match output {
        Some(path) => crate::fsutil::write_atomically(path, bytes)
            .map_err(|e| Error::Write { path: path.display().to_string(), message: e.to_string() }),
        None => out
            .stdout
            .write_all(bytes)
            .map_err(|e| Error::Write { path: "<stdout>".to_owned(), message: e.to_string() }),
    }
}

/// Whether the file at `path` is a CycloneDX JSON SBOM (judged from its first MiB).
pub(crate) fn is_sbom(path: &Path) -> bool {
    use std::io::Read;
    let Ok(mut file) = std::fs::File::open(path) else { return false };
    let mut head = Vec::with_capacity(4096);
    // A lockfile is told apart by its first bytes, without reading it whole (a JSON document
    // starts with `{`, after a byte order mark and blanks); the rest of the first MiB follows.
    if (&mut file).take(512).read_to_end(&mut head).is_err() || !may_be_json_object(&head) {
        return false;
    }
    let rest = (1u64 << 20).saturating_sub(head.len() as u64);
    file.take(rest).read_to_end(&mut head).is_ok() && crate::sbom::input::is_cyclonedx_json(&head)
}

/// Whether a file starting with `head` can be a JSON object: UTF-16 (zero bytes, or its byte
/// order mark) is left to the full check; otherwise the first byte after a UTF-8 byte order mark
/// and JSON's blanks is `{` (or the head is all blanks).
fn may_be_json_object(head: &[u8]) -> bool {
    let head = head.strip_prefix(&[0xef, 0xbb, 0xbf]).unwrap_or(head);
    if head.starts_with(&[0xff, 0xfe]) || head.starts_with(&[0xfe, 0xff]) || head.iter().take(2).any(|b| *b == 0) {
        return true;
    }
    head.iter().find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r')).is_none_or(|b| *b == b'{')
}

/// A time given as an RFC 3339 time or a `YYYY-MM-DD` date (its midnight, UTC).
pub(crate) fn parse_time(value: &str) -> Option<time::OffsetDateTime> {
    let v = value.trim();
    if let Ok(t) = time::OffsetDateTime::parse(v, &time::format_description::well_known::Rfc3339) {
        return Some(t);
    }
    time::Date::parse(v, time::macros::format_description!("[year]-[month]-[day]"))
        .ok()
        .map(|d| d.midnight().assume_utc())
}

/// A directory to walk, and the one file to read when PATH names a file.
pub(crate) fn split_file(path: &Path) -> (PathBuf, Option<String>) {
    if path.is_file()
        && let Some(name) = path.file_name().and_then(|n| n.to_str())
    {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        return (dir, Some(name.to_owned()));
    }
    (path.to_path_buf(), None)
}

pub(crate) fn today(env: &Env) -> time::Date {
    let now = env.now.unwrap_or_else(std::time::SystemTime::now);
    time::OffsetDateTime::from(now).date()
}

/// The managed local database: refreshed first when stale (unless `--offline`).
pub(crate) fn local_database(
    cli: &Cli,
    offline: bool,
    env: &Env,
    out: &mut Output<'_>,
    notes: &mut Vec<String>,
    needed: &std::collections::BTreeSet<crate::model::Ecosystem>,
) -> Result<Vec<PathBuf>, Error> {
    let cache = env.cache()?;
    let db = crate::advisory::local::LocalDb::new(cache);
    let now = env.now.unwrap_or_else(std::time::SystemTime::now);
    // A refresh keeps every ecosystem the database has, and adds the ones this scan needs
    // (a repository that gained a package-lock.json gets npm's advisories, once).
    let present: Vec<crate::model::Ecosystem> =
        crate::model::Ecosystem::ALL.into_iter().filter(|e| db.osv_zip(*e).is_file()).collect();
    let missing: Vec<crate::model::Ecosystem> = needed.iter().copied().filter(|e| !present.contains(e)).collect();
    if db.is_stale(now) || !missing.is_empty() {
        if offline {
            if db.is_stale(now) && !db.sources().is_empty() {
                notes.push("the local advisory database is more than 24 h old (--offline: not refreshed)".to_owned());
            }
        } else {
            let mut ecosystems: Vec<crate::model::Ecosystem> = crate::advisory::local::DEFAULT_ECOSYSTEMS.to_vec();
            ecosystems.extend(present.iter().chain(&missing).copied());
            ecosystems.sort_unstable();
            ecosystems.dedup();
            let _ = db::update(cli, &db, cache, &env.update_config(&ecosystems), true, out)?;
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

/// The advisory databases to use (`--db`, else the managed local database) and the index of the
/// advisories naming one of `packages`: every one when the command also looks advisories up by id
/// (`by_id`), else only those affecting a version in use (all that matching can use).
#[expect(clippy::too_many_arguments, reason = "the command's context, its packages and what it looks up")]
pub(crate) fn load_for(
    cli: &Cli,
    db: &[PathBuf],
    offline: bool,
    env: &Env,
    out: &mut Output<'_>,
    notes: &mut Vec<String>,
    packages: &[ScanPackage],
    by_id: bool,
) -> Result<(Vec<PathBuf>, Index), Error> {
    let db_paths = if db.is_empty() {
        local_database(cli, offline, env, out, notes, &needed_ecosystems(packages))?
    } else {
        db.to_vec()
    };
    let wanted = Wanted::new(packages.iter().map(|p| (p.ecosystem, p.name.as_str(), p.version.as_str())));
    let select = if by_id { Select::Packages(&wanted) } else { Select::Affecting(&wanted) };
    let index = crate::advisory::db::load_selected(&db_paths, env.cache_dir.as_deref(), select)
        .map_err(|e| Error::Usage(format!("cannot load the advisory database: {e}")))?;
    Ok((db_paths, index))
}

/// Print a report's warnings and errors on stderr and decide the exit status: 2 on any error,
/// 1 when a finding fails the policy, else 0.
pub(crate) fn conclude(
    cli: &Cli,
    out: &mut Output<'_>,
    warnings: &[String],
    errors: &[ReportError],
    failing: usize,
) -> crate::ExitStatus {
    for w in warnings {
        out.warning(cli.quiet, w);
    }
    for e in errors {
        out.error(&e.to_string());
    }
    if !errors.is_empty() {
        crate::ExitStatus::Error
    } else if failing > 0 {
        crate::ExitStatus::Failure
    } else {
        crate::ExitStatus::Success
    }
}

/// An advisory record (or a whole source) that could not be loaded, as a report error.
pub(crate) fn database_error(e: &crate::advisory::AdvisoryError) -> ReportError {
    let message = match &e.record {
        Some(record) => format!("advisory {record} could not be loaded, so it was not checked: {}", e.message),
        None => format!("advisory database: {}", e.message),
    };
    ReportError { path: e.path.clone(), line: None, message }
}

/// The ecosystems a scan must have advisories for: those of the packages it matches.
pub(crate) fn needed_ecosystems<'a>(
    packages: impl IntoIterator<Item = &'a ScanPackage>,
) -> std::collections::BTreeSet<crate::model::Ecosystem> {
    packages.into_iter().map(|p| p.ecosystem).collect()
}

/// A report error for each ecosystem of `packages` that no loaded source has records for:
/// those packages were not looked up anywhere, and the run must not pass as clean.
pub(crate) fn uncovered(index: &Index, packages: &[ScanPackage], db_hint: bool) -> Vec<ReportError> {
    let covered: std::collections::BTreeSet<crate::model::Ecosystem> =
        index.sources.iter().flat_map(|s| s.ecosystems.iter().copied()).collect();
    let mut by_ecosystem: std::collections::BTreeMap<crate::model::Ecosystem, (usize, &str)> =
        std::collections::BTreeMap::new();
    for p in packages.iter().filter(|p| !covered.contains(&p.ecosystem)) {
        by_ecosystem.entry(p.ecosystem).or_insert((0, p.location.path.as_str())).0 += 1;
    }
    by_ecosystem
        .into_iter()
        .map(|(ecosystem, (count, path))| {
            let how = if db_hint {
                format!(
                    "pass --db with an OSV export of {} (osv.dev's `{}/all.zip`)",
                    ecosystem.as_str(),
                    ecosystem.as_str()
                )
            } else {
                format!("run `chainward db update --ecosystem {}`, or pass --db", ecosystem.as_str())
            };
            ReportError {
                path: path.to_owned(),
                line: None,
                message: format!(
                    "{count} {} package(s) were not checked: no advisory source loaded has {} records ({how})",
                    ecosystem.as_str(),
                    ecosystem.as_str()
                ),
            }
        })
        .collect()
}

pub(crate) fn matched(index: &Index, packages: &[ScanPackage], errors: &mut Vec<ReportError>) -> Vec<Finding> {
    let (findings, unevaluated) = match_packages(index, packages);
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
    findings
}

/// The compiled view's options from the command line (`--target all` keeps every target).
pub(crate) fn compiled_options(args: &crate::cli::CompiledArgs, env: &Env) -> Result<crate::compiled::Options, Error> {
    use crate::compiled::Targets;
    let targets = if args.target.is_empty() {
        Targets::Host
    } else if args.target.iter().any(|t| t == "all") {
        if args.target.len() > 1 {
            return Err(Error::Usage("--target all cannot be combined with other targets".to_owned()));
        }
        Targets::All
    } else {
        Targets::Triples(args.target.clone())
    };
    Ok(crate::compiled::Options {
        targets,
        features: args.features.clone(),
        all_features: args.all_features,
        no_default_features: args.no_default_features,
        packages: args.package.clone(),
        explicit: true,
        rustflags: env.rustflags.clone(),
        tests: args.tests,
    })
}

/// The compiled view of one side of a scan (or of an SBOM): what to decide for, and where
/// crate metadata comes from.
pub(crate) struct CompiledRequest {
    pub(crate) options: crate::compiled::Options,
    pub(crate) registry: crate::registry::RegistryConfig,
    pub(crate) cargo_home: Option<crate::registry::cargo_home::CargoHome>,
    /// Decide even when the policy file does not ask for it.
    pub(crate) always: bool,
}

impl CompiledRequest {
    /// Decide the status of every Rust package of `resolution` read from `source`; warnings and
    /// notes go to `notes`. `asked`: the policy file read with the source asks for it.
    pub(crate) fn annotate(
        &self,
        resolution: &mut crate::resolve::Resolution,
        source: &dyn crate::source::Source,
        notes: &mut Vec<String>,
        asked: bool,
    ) -> Result<(), Error> {
        let sources = crate::compiled::Sources { registry: &self.registry, cargo_home: self.cargo_home.as_ref() };
        let mut options = self.options.clone();
        options.explicit |= asked;
        let outcome = crate::compiled::annotate(resolution, source, &options, &sources)
            .map_err(|e| Error::Usage(e.to_string()))?;
        notes.extend(outcome.warnings.iter().map(ToString::to_string));
        notes.extend(outcome.notes);
        Ok(())
    }
}
