#![doc = include_str!("../README.md")]

pub mod advisory;
pub mod cli;
pub mod config;
mod dbcmd;
pub mod discover;
pub mod error;
pub mod finding;
pub mod fsutil;
#[doc(hidden)]
pub mod fuzzing;
pub mod github;
pub mod heuristics;
pub mod model;
pub mod panics;
pub mod policy;
pub mod registry;
pub mod report;
pub mod resolve;
pub mod sanitize;
pub mod sbom;
mod scan;
pub mod source;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

pub use error::Error;

use cli::{Cli, Command, SbomArgs};
use discover::Excludes;
use model::Graph;
use resolve::{ResolveError, ResolveOptions, Resolved, Warning};
use source::{Source, WorkTree};

/// How a run ended; `main` turns it into the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: done, nothing at or above `--fail-on`.
    Success,
    /// 1: findings at or above `--fail-on`.
    Failure,
    /// 2: an error (bad arguments, unreadable input).
    Error,
}

impl ExitStatus {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::Error => 2,
        }
    }
}

/// What `main` reads from the process environment, passed in so the library never does.
#[derive(Debug, Clone, Default)]
pub struct Env {
    /// `SOURCE_DATE_EPOCH`, when set.
    pub source_date_epoch: Option<String>,
    /// chainward's cache directory: `CHAINWARD_CACHE_DIR`, else the platform cache directory.
    pub cache_dir: Option<PathBuf>,
    /// The RustSec advisory-db git URL (`CHAINWARD_RUSTSEC_URL`, default upstream).
    pub rustsec_url: Option<String>,
    /// The OSV exports' base URL (`CHAINWARD_OSV_URL`, default osv.dev's bucket).
    pub osv_url: Option<String>,
    /// The current time (`CHAINWARD_NOW`, RFC 3339), for tests; default the clock.
    pub now: Option<std::time::SystemTime>,
    /// `CHAINWARD_CRATES_IO_INDEX_URL`: the crates.io sparse index (default `https://index.crates.io/`).
    pub crates_io_index_url: Option<String>,
    /// `CHAINWARD_CRATES_IO_API_URL`: the crates.io API (default `https://crates.io/api/v1`).
    pub crates_io_api_url: Option<String>,
    /// `CHAINWARD_NPM_REGISTRY_URL`: the npm registry (default `https://registry.npmjs.org`).
    pub npm_registry_url: Option<String>,
    /// `CHAINWARD_PYPI_URL`: PyPI (default `https://pypi.org`).
    pub pypi_url: Option<String>,
    /// `GITHUB_ACTIONS=true`: running in GitHub Actions.
    pub github_actions: bool,
    /// `GITHUB_STEP_SUMMARY`: where the job summary (Markdown) is appended.
    pub github_step_summary: Option<PathBuf>,
    /// `GITHUB_OUTPUT`: where step outputs are appended.
    pub github_output: Option<PathBuf>,
}

impl Env {
    /// Where `db update` fetches from.
    pub fn update_config(&self, ecosystems: &[model::Ecosystem]) -> advisory::local::UpdateConfig {
        advisory::local::UpdateConfig {
            rustsec_url: self.rustsec_url.clone().unwrap_or_else(|| advisory::local::RUSTSEC_URL.to_owned()),
            osv_url: self.osv_url.clone().unwrap_or_else(|| advisory::local::OSV_URL.to_owned()),
            ecosystems: if ecosystems.is_empty() {
                advisory::local::DEFAULT_ECOSYSTEMS.to_vec()
            } else {
                ecosystems.to_vec()
            },
        }
    }

    /// Where registry metadata comes from: the public registries unless a `CHAINWARD_*_URL`
    /// variable names another, cached under `<cache>/registry`.
    pub fn registry_config(&self, offline: bool) -> registry::RegistryConfig {
        let now = time::OffsetDateTime::from(self.now.unwrap_or_else(std::time::SystemTime::now));
        let mut config = registry::RegistryConfig::public(self.cache_dir.as_ref().map(|d| d.join("registry")), now);
        let set = |slot: &mut String, value: &Option<String>| {
            if let Some(v) = value {
                slot.clone_from(v);
            }
        };
        set(&mut config.crates_io_index, &self.crates_io_index_url);
        set(&mut config.crates_io_api, &self.crates_io_api_url);
        set(&mut config.npm, &self.npm_registry_url);
        set(&mut config.pypi, &self.pypi_url);
        config.offline = offline;
        config
    }

    /// The cache directory, or the error saying how to set one.
    pub fn cache(&self) -> Result<&Path, Error> {
        self.cache_dir.as_deref().ok_or_else(|| Error::Usage("no cache directory: set CHAINWARD_CACHE_DIR".to_owned()))
    }
}

/// Where a run writes: the report to `stdout`, diagnostics to `stderr`.
pub struct Output<'a> {
    /// Report stream.
    pub stdout: &'a mut dyn Write,
    /// Diagnostics stream.
    pub stderr: &'a mut dyn Write,
    /// Whether `stderr` is a terminal (progress bars only there).
    pub stderr_is_terminal: bool,
}

/// Run a parsed command line.
pub fn run(cli: &Cli, env: &Env, out: &mut Output<'_>) -> ExitStatus {
    let result = match &cli.command {
        Command::Sbom(args) => sbom(cli, args, env, out),
        Command::Scan(args) => scan::run(cli, args, env, out),
        Command::Diff(args) => scan::diff(cli, args, env, out),
        Command::Db(args) => dbcmd::run(cli, args, env, out),
    };
    match result {
        Ok(status) => status,
        Err(e) => {
            let _ = writeln!(out.stderr, "error: {e}");
            let mut source = std::error::Error::source(&e);
            while let Some(cause) = source {
                let _ = writeln!(out.stderr, "  caused by: {cause}");
                source = cause.source();
            }
            ExitStatus::Error
        }
    }
}

/// Everything resolved from a tree: the lockfiles that parsed, the errors of those that did not.
#[derive(Debug)]
pub struct Resolution {
    /// Lockfiles that parsed, in path order.
    pub resolved: Vec<Resolved>,
    /// Files that could not be read (lockfiles, or manifests beside them).
    pub errors: Vec<ResolveError>,
    /// Non-fatal diagnostics.
    pub warnings: Vec<Warning>,
    /// Name of the scanned tree (its directory name).
    pub name: String,
}

/// The packages of resolved lockfiles that advisories are matched against: crates.io packages
/// only, as cargo-audit does (a git or path package is not the published crate of that name).
pub fn scan_packages(resolution: &Resolution) -> Vec<finding::ScanPackage> {
    let mut packages = Vec::new();
    for r in &resolution.resolved {
        for p in &r.packages {
            if !p.source.is_default_registry() {
                continue;
            }
            packages.push(finding::ScanPackage {
                ecosystem: p.ecosystem,
                name: p.name.clone(),
                version: p.version.clone(),
                purl: p.purl(),
                checksum: p.checksum.as_ref().map(model::Checksum::prefixed),
                location: finding::Location::block(&r.path, p.lines),
            });
        }
    }
    packages
}

/// Open `path` (a directory, or one lockfile) as a source.
pub fn open(path: &Path) -> Result<WorkTree, Error> {
    let meta = std::fs::metadata(path).map_err(|e| Error::Usage(format!("cannot read `{}`: {e}", path.display())))?;
    if meta.is_dir() {
        return Ok(WorkTree::new(path));
    }
    let file = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| Error::Usage(format!("`{}` is not a file name chainward can read", path.display())))?;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok(WorkTree::single_file(parent, file))
}

/// Discover and resolve every lockfile of `source`.
pub fn resolve_tree(source: &WorkTree, excludes: &Excludes, options: &ResolveOptions) -> Result<Resolution, Error> {
    resolve_source(source, source.only(), excludes, options)
}

/// Discover and resolve every lockfile of any source (a work tree, a git revision, the staged
/// index), or only the file `only` when one was named.
pub fn resolve_source(
    source: &dyn Source,
    only: Option<&str>,
    excludes: &Excludes,
    options: &ResolveOptions,
) -> Result<Resolution, Error> {
    let resolvers = resolve::registry();
    let found = match only {
        Some(file) => {
            // A file named on the command line may have any name (`old.lock`): a `.lock` file no
            // resolver claims by name is read as a Cargo.lock.
            let claimed = resolvers.iter().position(|r| r.claims(Path::new(file)));
            let fallback = Path::new(file).extension().is_some_and(|e| e == "lock").then_some(0);
            let Some(resolver) = claimed.or(fallback) else {
                return Err(Error::Usage(format!("`{file}` is not a lockfile chainward reads (Cargo.lock)")));
            };
            vec![discover::Discovered { path: file.to_owned(), resolver }]
        }
        None => discover::discover(source, &resolvers, excludes)?,
    };
    let name = source
        .local_root()
        .and_then(|r| std::fs::canonicalize(r).ok())
        .and_then(|r| r.file_name().and_then(|n| n.to_str()).map(str::to_owned))
        .unwrap_or_else(|| "root".to_owned());
    if found.is_empty() {
        return Err(Error::Usage(format!(
            "no lockfile found under `{}` (chainward reads Cargo.lock; run `cargo generate-lockfile` to create one)",
            source.describe()
        )));
    }
    let mut resolution = Resolution { resolved: Vec::new(), errors: Vec::new(), warnings: Vec::new(), name };
    for d in found {
        let Some(resolver) = resolvers.get(d.resolver) else { continue };
        let bytes = match source.read(&d.path) {
            Ok(b) => b,
            Err(e) => {
                resolution.errors.push(ResolveError::new(&d.path, None, resolve::ResolveErrorKind::Io(e.message)));
                continue;
            }
        };
        match resolver.resolve(source, &d.path, &bytes, options) {
            Ok(mut r) => {
                resolution.warnings.append(&mut r.warnings);
                resolution.errors.append(&mut r.errors);
                resolution.resolved.push(r);
            }
            Err(e) => resolution.errors.push(e),
        }
    }
    resolution.warnings.sort();
    resolution.warnings.dedup();
    Ok(resolution)
}

fn sbom(cli: &Cli, args: &SbomArgs, env: &Env, out: &mut Output<'_>) -> Result<ExitStatus, Error> {
    let started = Instant::now();
    let timestamp = match env.source_date_epoch.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(epoch) => Some(epoch_to_rfc3339(epoch)?),
        None if args.deterministic => {
            if !cli.quiet {
                let _ = writeln!(
                    out.stderr,
                    "warning: --deterministic without SOURCE_DATE_EPOCH: the SBOM has no metadata.timestamp"
                );
            }
            None
        }
        None => Some(now_rfc3339()?),
    };
    let deterministic = args.deterministic || env.source_date_epoch.is_some();
    let excludes = Excludes::new(&args.exclude)?;
    let source = open(&args.path)?;
    let options = ResolveOptions { cargo_metadata: args.cargo_metadata, ..ResolveOptions::default() };
    let resolution = resolve_tree(&source, &excludes, &options)?;

    if !cli.quiet {
        for w in &resolution.warnings {
            let _ = writeln!(out.stderr, "warning: {w}");
        }
    }
    if !resolution.errors.is_empty() && !args.allow_partial {
        for e in &resolution.errors {
            let _ = writeln!(out.stderr, "error: {e}");
        }
        let _ = writeln!(out.stderr, "error: no SBOM written (use --allow-partial to write what could be read)");
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
    let mut bytes = sbom::render(&graph, &sbom_options)?;
    if args.vex {
        if args.format != sbom::SbomFormat::Json {
            return Err(Error::Usage("--vex needs --format json".to_owned()));
        }
        let (active, suppressed, notes) = scan::vex_findings(cli, args, &vex_resolution, env, out)?;
        let mut doc: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| Error::Usage(format!("cannot add the vulnerabilities: {e}")))?;
        sbom::vex::add_vulnerabilities(&mut doc, &active, &suppressed);
        bytes = serde_json::to_vec_pretty(&doc).map_err(|e| Error::Usage(format!("cannot render the SBOM: {e}")))?;
        bytes.push(b'\n');
        if !cli.quiet {
            for n in &notes {
                let _ = writeln!(out.stderr, "warning: {n}");
            }
        }
    }
    emit(args.output.as_deref(), &bytes, out)?;
    if cli.verbose {
        let _ = writeln!(
            out.stderr,
            "chainward: {} lockfile(s), {} components, {:.1} ms",
            lockfiles,
            graph.nodes.len() + usize::from(graph.root.node.is_some()),
            started.elapsed().as_secs_f64() * 1000.0
        );
    }
    for e in &resolution.errors {
        let _ = writeln!(out.stderr, "error: {e}");
    }
    Ok(if resolution.errors.is_empty() { ExitStatus::Success } else { ExitStatus::Error })
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

/// Write a report or document to `-o FILE` (atomically) or to stdout.
pub(crate) fn emit(output: Option<&Path>, bytes: &[u8], out: &mut Output<'_>) -> Result<(), Error> {
    match output {
        Some(path) => fsutil::write_atomically(path, bytes)
            .map_err(|e| Error::Write { path: path.display().to_string(), message: e.to_string() }),
        None => out
            .stdout
            .write_all(bytes)
            .map_err(|e| Error::Write { path: "<stdout>".to_owned(), message: e.to_string() }),
    }
}
