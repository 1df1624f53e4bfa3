//! Resolvers: one per lockfile family, behind one small trait.
//!
//! `claims` decides from the path alone whether a resolver reads a file (pure, cheap, tested on
//! its own); `resolve` parses the bytes. A file that fails to parse becomes a [`ResolveError`]
//! naming the file and line; the other files go on.

pub mod bun;
pub mod cargo;
pub(crate) mod cargo_canonical;
pub mod cargo_manifest;
pub mod composer;
pub mod gemfile;
pub mod gomod;
pub mod gowork;
pub mod node;
pub mod package_lock;
pub mod pdm;
pub mod pipfile;
pub mod pnpm;
pub mod poetry;
pub mod pylock;
pub mod python;
pub mod requirements;
pub mod uv;
pub mod yarn;
pub mod yarn_berry;

use std::fmt;
use std::path::Path;

use crate::Error;
use crate::discover::{self, Excludes};
use crate::model::{Package, RootComponent};
use crate::source::{SkipKind, Source, WorkTree};

/// A diagnostic that does not stop the resolver (a missing manifest, an unknown scope, ...).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Warning {
    /// The file the warning is about, relative to the scanned root.
    pub path: String,
    /// Its 1-based line, when known.
    pub line: Option<usize>,
    /// What happened.
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.path, self.message),
            None => write!(f, "{}: {}", self.path, self.message),
        }
    }
}

/// What a resolver makes of one lockfile.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The lockfile's path relative to the scanned root, `/`-separated.
    pub path: String,
    /// Every package of the lockfile; edges are indices into this list.
    pub packages: Vec<Package>,
    /// The component this lockfile describes (its root package, or a synthetic workspace root).
    pub root: RootComponent,
    /// Non-fatal diagnostics.
    pub warnings: Vec<Warning>,
    /// Errors in files around the lockfile (a malformed member `Cargo.toml`): the packages are
    /// still complete, but some facts (scopes, licenses) are missing, and the run must say so.
    pub errors: Vec<ResolveError>,
}

/// Options that change how resolvers work.
#[derive(Debug, Clone, Default)]
pub struct ResolveOptions {
    /// Run `cargo metadata --offline --locked` to learn licenses, descriptions, authors and
    /// repository URLs. Off by default: nothing is ever run unless asked for.
    pub cargo_metadata: bool,
    /// Read the lockfile only, not the manifests beside it: no scopes, direct flags or
    /// members (what `scan` needs is the packages and their lines).
    pub lockfile_only: bool,
}

/// A lockfile family.
pub trait Resolver: Send + Sync {
    /// Short name (`cargo`).
    fn name(&self) -> &'static str;
    /// Whether this resolver reads the file at `path` (relative to the scanned root).
    fn claims(&self, path: &Path) -> bool;
    /// Parse the lockfile at `path` whose content is `bytes`. `source` gives access to sibling
    /// files (manifests).
    fn resolve(
        &self,
        source: &dyn Source,
        path: &str,
        bytes: &[u8],
        options: &ResolveOptions,
    ) -> Result<Resolved, ResolveError>;
}

/// The files chainward reads, for messages.
const READ: &str = "Cargo.lock; package-lock.json, npm-shrinkwrap.json, yarn.lock, pnpm-lock.yaml, bun.lock; \
    poetry.lock, uv.lock, pylock.toml, pdm.lock, Pipfile.lock, requirements*.txt, requirements/*.txt; go.mod, go.work; \
    Gemfile.lock; composer.lock";

/// Every resolver chainward has, in the order they are asked.
pub fn registry() -> Vec<Box<dyn Resolver>> {
    vec![
        Box::new(cargo::CargoLockResolver),
        Box::new(package_lock::PackageLockResolver),
        Box::new(yarn::YarnLockResolver),
        Box::new(pnpm::PnpmLockResolver),
        Box::new(bun::BunLockResolver),
        Box::new(poetry::PoetryLockResolver),
        Box::new(uv::UvLockResolver),
        Box::new(pylock::PylockResolver),
        Box::new(pdm::PdmLockResolver),
        Box::new(pipfile::PipfileLockResolver),
        Box::new(requirements::RequirementsResolver),
        Box::new(gomod::GoModResolver),
        Box::new(gowork::GoWorkResolver),
        Box::new(gemfile::GemfileLockResolver),
        Box::new(composer::ComposerLockResolver),
    ]
}

/// Everything resolved from a tree: the lockfiles that parsed, the errors of those that did not.
#[derive(Debug, Clone)]
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

impl Resolution {
    /// The packages advisories are matched against: crates.io packages only, as cargo-audit
    /// does (a git or path package is not the published crate of that name).
    pub fn scan_packages(&self) -> Vec<crate::finding::ScanPackage> {
        let mut packages = Vec::with_capacity(self.resolved.iter().map(|r| r.packages.len()).sum());
        for r in &self.resolved {
            for p in &r.packages {
                // An unpinned requirement has no version to match (its resolver warned).
                if !p.source.is_default_registry() || p.unpinned.is_some() {
                    continue;
                }
                packages.push(crate::finding::ScanPackage {
                    ecosystem: p.ecosystem,
                    name: p.name.clone(),
                    version: p.version.clone(),
                    purl: p.purl(),
                    checksum: p.checksum().map(crate::model::Checksum::prefixed),
                    install_script: p.install_script,
                    location: crate::finding::Location::block(&r.path, p.lines),
                    compiled: p.compiled.clone(),
                });
            }
        }
        packages
    }
}

/// Discover and resolve every lockfile of a work tree (only its one file, when it was opened
/// on a file).
pub fn work_tree(source: &WorkTree, excludes: &Excludes, options: &ResolveOptions) -> Result<Resolution, Error> {
    tree(source, source.only(), excludes, options)
}

/// Discover and resolve every lockfile of any source (a work tree, a git revision, the staged
/// index), or only the file `only` when one was named.
pub fn tree(
    source: &dyn Source,
    only: Option<&str>,
    excludes: &Excludes,
    options: &ResolveOptions,
) -> Result<Resolution, Error> {
    let resolvers = registry();
    let found = match only {
        Some(file) => {
            // A file named on the command line may have any name (`old.lock`): a `.lock` file no
            // resolver claims by name is read as a Cargo.lock.
            // A file `--requirements GLOB` names is a requirements file, whatever its name.
            let claimed = resolvers.iter().position(|r| r.claims(Path::new(file))).or_else(|| {
                excludes
                    .is_requirements(file)
                    .then(|| resolvers.iter().position(|r| r.name() == "requirements"))
                    .flatten()
            });
            let fallback = Path::new(file).extension().is_some_and(|e| e == "lock").then_some(0);
            let Some(resolver) = claimed.or(fallback) else {
                return Err(Error::Usage(format!(
                    "`{file}` is not a lockfile chainward reads ({READ}; a lockfile of another name is read as a Cargo.lock when it ends in .lock, and `--requirements GLOB` reads any file as a requirements file)"
                )));
            };
            vec![discover::Discovered { path: file.to_owned(), resolver }]
        }
        None => discover::discover(source, &resolvers, excludes)?,
    };
    let (found, superseded) = discover::prefer_superseding(found);
    // What the listing left out: an unreadable directory may hold lockfiles (the scan is not
    // complete, and says so), a symlinked lockfile leaving the tree is not read (an error, as it
    // would have been scanned), a nested repository or an ignore file is worth a word.
    let mut skipped_errors = Vec::new();
    let mut skipped_warnings = Vec::new();
    if only.is_none() {
        for skip in source.skipped() {
            match skip.kind {
                SkipKind::Unreadable => skipped_errors.push(ResolveError::new(
                    &skip.path,
                    None,
                    ResolveErrorKind::NotRead(format!("{} (lockfiles in it were not read)", skip.message)),
                )),
                SkipKind::Link => {
                    let claimed = resolvers.iter().any(|r| r.claims(Path::new(&skip.path)));
                    if claimed && !excludes.is_excluded(&skip.path) {
                        skipped_errors.push(ResolveError::new(
                            &skip.path,
                            None,
                            ResolveErrorKind::NotRead(skip.message.clone()),
                        ));
                    }
                }
                SkipKind::Nested | SkipKind::IgnoreFile => {
                    skipped_warnings.push(Warning {
                        path: skip.path.clone(),
                        line: None,
                        message: skip.message.clone(),
                    });
                }
            }
        }
    }
    let name = dir_name(source, ".").unwrap_or_else(|| "root".to_owned());
    if found.is_empty() && skipped_errors.is_empty() {
        return Err(Error::Usage(format!(
            "no lockfile found under `{}` (chainward reads {READ}; the package manager writes one: `cargo generate-lockfile`, `npm install --package-lock-only`, `uv lock`, `poetry lock`, `bundle lock`, `composer update --lock`, ...)",
            source.describe()
        )));
    }
    for (d, winner) in superseded {
        skipped_warnings.push(Warning {
            path: d.path,
            line: None,
            message: format!(
                "not read: `{winner}` in the same directory takes precedence, as the package manager reads it"
            ),
        });
    }
    let mut resolution = Resolution { resolved: Vec::new(), errors: skipped_errors, warnings: skipped_warnings, name };
    for d in found {
        let Some(resolver) = resolvers.get(d.resolver) else { continue };
        let bytes = match source.read(&d.path) {
            Ok(b) => b,
            Err(e) => {
                resolution.errors.push(ResolveError::new(&d.path, None, ResolveErrorKind::Io(e.message)));
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

/// A lockfile or manifest that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {kind}", location(path, *line))]
pub struct ResolveError {
    /// The file, relative to the scanned root.
    pub path: String,
    /// The 1-based line, when known.
    pub line: Option<usize>,
    /// What is wrong.
    pub kind: ResolveErrorKind,
}

fn location(path: &str, line: Option<usize>) -> String {
    match line {
        Some(line) => format!("{path}:{line}"),
        None => path.to_owned(),
    }
}

impl ResolveError {
    /// A new error.
    pub fn new(path: impl Into<String>, line: Option<usize>, kind: ResolveErrorKind) -> Self {
        ResolveError { path: path.into(), line, kind }
    }
}

/// The ways a lockfile or manifest can be wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveErrorKind {
    /// The file could not be read.
    #[error("cannot read file: {0}")]
    Io(String),
    /// A directory or link the listing could not (or would not) follow.
    #[error("{0}")]
    NotRead(String),
    /// The file is not valid UTF-8.
    #[error("file is not valid UTF-8")]
    NotUtf8,
    /// Not valid TOML, or a field has the wrong type.
    #[error("invalid TOML: {0}")]
    Syntax(String),
    /// A lockfile format version chainward does not know.
    #[error(
        "unsupported lockfile version {0} (chainward reads Cargo.lock versions 1 to 4; a newer cargo wrote this file, please upgrade chainward)"
    )]
    UnsupportedVersion(String),
    /// Not valid JSON (package-lock.json, bun.lock), or a field has the wrong type.
    #[error("invalid JSON: {0}")]
    Json(String),
    /// Not valid YAML (pnpm-lock.yaml, yarn berry), or a field has the wrong type.
    #[error("invalid YAML: {0}")]
    Yaml(String),
    /// Not a lockfile of its format (yarn.lock syntax, a binary `bun.lockb`, ...).
    #[error("{0}")]
    Format(String),
    /// A lockfile format version chainward does not know, in a family other than Cargo's.
    #[error("unsupported {format} version {version} (chainward reads {supported}; please upgrade chainward)")]
    UnsupportedFormatVersion {
        /// What the version is of (`package-lock.json lockfileVersion`).
        format: &'static str,
        /// The version as written.
        version: String,
        /// The versions chainward reads (`1 to 3`).
        supported: &'static str,
    },
    /// A `version` no cargo ever wrote (`0`, `-1`, `"3"`).
    #[error("invalid lockfile version {0} (cargo writes versions 1 to 4)")]
    InvalidVersion(String),
    /// A package is missing a required field or has an invalid one.
    #[error("invalid package: {0}")]
    InvalidPackage(String),
    /// A checksum that is not 64 hex digits.
    #[error("invalid checksum for `{package}`: `{checksum}` is not 64 hex digits (SHA-256)")]
    InvalidChecksum {
        /// `name version`
        package: String,
        /// The offending value.
        checksum: String,
    },
    /// A source string chainward cannot read.
    #[error("invalid source for `{package}`: `{source_id}` ({reason})")]
    InvalidSource {
        /// `name version`
        package: String,
        /// The offending value.
        source_id: String,
        /// Why.
        reason: String,
    },
    /// The same package twice.
    #[error("duplicate package `{0}`")]
    DuplicatePackage(String),
    /// A dependency edge that matches no package.
    #[error("`{package}` depends on `{dependency}`, which is not a package of this lockfile")]
    DanglingDependency {
        /// `name version`
        package: String,
        /// The dependency string.
        dependency: String,
    },
    /// A dependency edge that matches several packages.
    #[error("`{package}` depends on `{dependency}`, which matches several packages: {candidates}")]
    AmbiguousDependency {
        /// `name version`
        package: String,
        /// The dependency string.
        dependency: String,
        /// The matches.
        candidates: String,
    },
    /// A v1 `[metadata]` checksum entry for a package that is not in the lockfile.
    #[error("`[metadata]` has a checksum for `{0}`, which is not a package of this lockfile")]
    UnknownChecksumEntry(String),
}

/// The name of directory `dir` (relative to the scanned root, `.` for the root): its last
/// segment, or for the root the scanned directory's own name when the source is on disk.
/// `None` when there is no name to give (the root of a git revision or of a tree in memory).
pub fn dir_name(source: &dyn Source, dir: &str) -> Option<String> {
    match dir.rsplit('/').next() {
        Some(base) if !base.is_empty() && base != "." && base != ".." => Some(base.to_owned()),
        _ => source
            .local_root()
            .and_then(|r| std::fs::canonicalize(r).ok())
            .and_then(|r| r.file_name().and_then(|n| n.to_str()).map(str::to_owned)),
    }
}

/// A lockfile's bytes as text, or the error that names the file as not UTF-8.
pub fn utf8<'a>(path: &str, bytes: &'a [u8]) -> Result<&'a str, ResolveError> {
    std::str::from_utf8(bytes).map_err(|_| ResolveError::new(path, None, ResolveErrorKind::NotUtf8))
}

/// The 1-based line of a byte offset in `text`.
pub fn line_of_offset(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes().get(..end).map_or(1, |b| b.split(|&c| c == b'\n').count())
}

/// The 1-based line of any byte offset of one text, each in O(log lines): for files where many
/// offsets are looked up ([`line_of_offset`] counts from the start every time).
#[derive(Debug, Clone)]
pub struct LineIndex {
    /// The byte offset where each line starts.
    starts: Vec<usize>,
}

impl LineIndex {
    /// Index the line starts of `text`.
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.bytes().enumerate().filter(|(_, b)| *b == b'\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    /// The 1-based line of `offset` (as [`line_of_offset`] counts it).
    pub fn line(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset).max(1)
    }
}

/// Map a `toml` deserialization error to a [`ResolveError`] with its line.
pub fn toml_error(path: &str, text: &str, err: &toml::de::Error) -> ResolveError {
    let line = err.span().map(|span| line_of_offset(text, span.start));
    ResolveError::new(path, line, ResolveErrorKind::Syntax(err.message().trim().to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_index_agrees_with_counting_from_the_start() {
        for text in ["", "a", "a\n", "\n\n", "one\ntwo\r\nthree\n\nfive", "x\ny\n"] {
            let index = LineIndex::new(text);
            for offset in 0..=text.len() + 2 {
                assert_eq!(index.line(offset), line_of_offset(text, offset), "{text:?} at {offset}");
            }
        }
    }
}
