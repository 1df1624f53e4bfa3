//! `Cargo.lock`: lockfile versions 1 (with `[root]` or `[metadata]` checksums), 2, 3 and 4.
//!
//! The file is deserialized into a private wire struct that mirrors it, then turned into
//! [`Package`]s with real validation: checksums are 64 hex digits, sources are known kinds,
//! no package appears twice, and every dependency string resolves to exactly one package
//! (`name`, `name version` or `name version (source)`, as cargo writes them).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::{ResolveError, ResolveErrorKind, ResolveOptions, Resolved, Resolver, cargo_manifest, toml_error};
use crate::model::package::GitReference;
use crate::model::{Checksum, Ecosystem, LineSpan, Package, PackageSource};
use crate::source::Source;

/// A hash map with foldhash's fast, randomly seeded hasher.
type FastMap<K, V> = foldhash::HashMap<K, V>;

/// crates.io's git index, as lockfiles name it.
pub const CRATES_IO_INDEX: &str = "https://github.com/rust-lang/crates.io-index";
/// crates.io's sparse index.
pub const CRATES_IO_SPARSE: &str = "https://index.crates.io/";

/// The newest lockfile version chainward reads.
pub const MAX_VERSION: i64 = 4;

/// Reads `Cargo.lock`.
#[derive(Debug, Clone, Copy, Default)]
pub struct CargoLockResolver;

impl Resolver for CargoLockResolver {
    fn name(&self) -> &'static str {
        "cargo"
    }

    fn claims(&self, path: &Path) -> bool {
        path.file_name().is_some_and(|n| n == "Cargo.lock")
    }

    fn resolve(
        &self,
        source: &dyn Source,
        path: &str,
        bytes: &[u8],
        options: &ResolveOptions,
    ) -> Result<Resolved, ResolveError> {
        let text = super::utf8(path, bytes)?;
        let lockfile = parse(path, text)?;
        let empty = lockfile.packages.is_empty();
        let mut resolved = if options.lockfile_only {
            cargo_manifest::lockfile_only(source, path, lockfile)
        } else {
            cargo_manifest::enrich(source, path, lockfile, options)?
        };
        if empty {
            // Cargo always writes at least the workspace's own packages: an empty file is
            // truncated or hand-made, and "0 packages, nothing found" must not look clean.
            resolved.warnings.push(super::Warning {
                path: path.to_owned(),
                line: None,
                message: "the lockfile lists no package (cargo writes at least the workspace's own): truncated or \
                          not a real Cargo.lock?"
                    .to_owned(),
            });
        }
        Ok(resolved)
    }
}

/// The lockfile format version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LockVersion {
    /// No `version` key, full `name version (source)` edges and `[metadata]` checksums or `[root]`.
    V1,
    /// No `version` key, inline checksums, abbreviated edges.
    V2,
    /// `version = 3`
    V3,
    /// `version = 4`
    V4,
}

/// A parsed `Cargo.lock`, before manifest enrichment.
#[derive(Debug, Clone)]
pub struct Lockfile {
    /// Format version.
    pub version: LockVersion,
    /// Every package (a v1 `[root]` first); edges are indices into this list.
    pub packages: Vec<Package>,
    /// The v1 `[root]` package, when there is one (index 0).
    pub root: Option<usize>,
}

/// The file as written, before validation.
#[derive(Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct LockWire {
    pub(crate) version: Option<toml::Value>,
    #[serde(default)]
    pub(crate) package: Vec<PackageWire>,
    pub(crate) root: Option<PackageWire>,
    #[serde(default)]
    pub(crate) metadata: BTreeMap<String, toml::Value>,
}

/// One `[[package]]` (or v1 `[root]`) table as written.
#[derive(Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct PackageWire {
    pub(crate) name: Option<String>,
    pub(crate) version: Option<String>,
    pub(crate) source: Option<String>,
    pub(crate) checksum: Option<String>,
    #[serde(default)]
    pub(crate) dependencies: Vec<String>,
}

/// The file as read, every string borrowed: from the text (cargo's canonical layout, read by
/// [`super::cargo_canonical`]) or from the `toml` crate's [`LockWire`] (anything else).
#[derive(Debug, Default)]
pub(crate) struct RawLock<'a> {
    pub(crate) version: Option<RawVersion>,
    pub(crate) root: Option<RawPackage<'a>>,
    pub(crate) packages: Vec<RawPackage<'a>>,
    /// `[metadata]`: each value when it is a string, else `None`.
    pub(crate) metadata: BTreeMap<&'a str, Option<&'a str>>,
    /// Every package's dependency strings, one after the other ([`RawPackage::dependencies`]).
    pub(crate) dependencies: Vec<&'a str>,
}

/// The top-level `version`: an integer, or what was written instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RawVersion {
    Integer(i64),
    Other(String),
}

/// One `[[package]]` (or v1 `[root]`) table, borrowed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawPackage<'a> {
    pub(crate) name: Option<&'a str>,
    pub(crate) version: Option<&'a str>,
    pub(crate) source: Option<&'a str>,
    pub(crate) checksum: Option<&'a str>,
    /// Its dependency strings: `RawLock::dependencies[start..end]`.
    pub(crate) dependencies: (usize, usize),
}

impl<'a> RawLock<'a> {
    /// The strings of a `LockWire` the `toml` crate read.
    pub(crate) fn from_wire(wire: &'a LockWire) -> RawLock<'a> {
        let mut lock = RawLock {
            version: wire.version.as_ref().map(|v| match v {
                toml::Value::Integer(n) => RawVersion::Integer(*n),
                other => RawVersion::Other(other.to_string()),
            }),
            metadata: wire.metadata.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect(),
            ..RawLock::default()
        };
        let raw = |w: &'a PackageWire, deps: &mut Vec<&'a str>| {
            let from = deps.len();
            deps.extend(w.dependencies.iter().map(String::as_str));
            RawPackage {
                name: w.name.as_deref(),
                version: w.version.as_deref(),
                source: w.source.as_deref(),
                checksum: w.checksum.as_deref(),
                dependencies: if deps.len() > from { (from, deps.len()) } else { (0, 0) },
            }
        };
        let mut deps = Vec::new();
        lock.root = wire.root.as_ref().map(|w| raw(w, &mut deps));
        lock.packages = wire.package.iter().map(|w| raw(w, &mut deps)).collect();
        lock.dependencies = deps;
        lock
    }

    /// A package's dependency strings.
    pub(crate) fn dependencies_of(&self, package: &RawPackage<'_>) -> &[&'a str] {
        self.dependencies.get(package.dependencies.0..package.dependencies.1).unwrap_or_default()
    }
}

/// Two reads of a file are equal when they hold the same strings (where each package's
/// dependencies sit in the shared list does not matter).
impl PartialEq for RawLock<'_> {
    fn eq(&self, other: &Self) -> bool {
        let same = |a: &RawPackage<'_>, b: &RawPackage<'_>| {
            (a.name, a.version, a.source, a.checksum) == (b.name, b.version, b.source, b.checksum)
                && self.dependencies_of(a) == other.dependencies_of(b)
        };
        self.version == other.version
            && self.metadata == other.metadata
            && self.packages.len() == other.packages.len()
            && self.packages.iter().zip(&other.packages).all(|(a, b)| same(a, b))
            && match (&self.root, &other.root) {
                (None, None) => true,
                (Some(a), Some(b)) => same(a, b),
                _ => false,
            }
    }
}

/// Parse a `Cargo.lock`. `path` is only used in errors and for path packages' directory.
pub fn parse(path: &str, text: &str) -> Result<Lockfile, ResolveError> {
    // The canonical layout cargo writes is read by the fast reader, borrowing from the text;
    // anything else (comments after values, escapes, inline tables, other tables) by the
    // `toml` crate, which then reports errors with their line.
    let wire: LockWire;
    let (lock, spans) = if let Some(read) = super::cargo_canonical::parse(text) {
        read
    } else {
        wire = toml::from_str(text).map_err(|e| toml_error(path, text, &e))?;
        (RawLock::from_wire(&wire), package_spans(text))
    };
    let version = lock_version(path, text, &lock)?;
    let dir = parent_dir(path);

    let has_root = lock.root.is_some();
    let Spans { root: root_span, packages: package_spans } = spans;
    let package_spans = (package_spans.len() == lock.packages.len()).then_some(package_spans);
    let line_of = |i: usize| -> Option<LineSpan> {
        match (has_root, i) {
            (true, 0) => root_span,
            (true, i) => package_spans.as_ref().and_then(|s| s.get(i - 1).copied()),
            (false, i) => package_spans.as_ref().and_then(|s| s.get(i).copied()),
        }
    };

    // The root (a v1 `[root]`) first, then the packages (not copied into one list: that list
    // was a page of memory per fifty packages).
    let raws = || lock.root.iter().chain(&lock.packages);
    let count = lock.packages.len() + usize::from(has_root);
    let mut packages = Vec::with_capacity(count);
    // Source ids as written, and the key every dependency string is matched on.
    let mut source_ids: Vec<Option<&str>> = Vec::with_capacity(count);
    // The last source parsed: a lockfile names a handful of sources thousands of times.
    let mut last_source: Option<(&str, PackageSource)> = None;
    for (i, w) in raws().enumerate() {
        let lines = line_of(i);
        let line = lines.map(|l| l.start);
        let invalid = |what: &str| ResolveError::new(path, line, ResolveErrorKind::InvalidPackage(what.to_owned()));
        // Not blank (what `trim` would leave empty), decided on the first character of a name.
        let blank = |s: &str| s.chars().all(char::is_whitespace);
        let name = w.name.filter(|n| !blank(n)).ok_or_else(|| invalid("a package has no `name`"))?;
        let version = w.version.filter(|v| !blank(v)).ok_or_else(|| invalid(&format!("`{name}` has no `version`")))?;
        let source = match w.source {
            None => PackageSource::Path { dir: dir.clone() },
            Some(s) => match &last_source {
                Some((id, parsed)) if *id == s => parsed.clone(),
                _ => {
                    let parsed = parse_source(s).map_err(|reason| {
                        ResolveError::new(
                            path,
                            line,
                            ResolveErrorKind::InvalidSource {
                                package: format!("{name} {version}"),
                                source_id: s.to_owned(),
                                reason,
                            },
                        )
                    })?;
                    last_source = Some((s, parsed.clone()));
                    parsed
                }
            },
        };
        let mut package = Package::new(Ecosystem::Cargo, name.to_owned(), version.to_owned(), source);
        package.lines = lines;
        if let Some(sum) = w.checksum {
            package.checksums = vec![parse_checksum(sum).ok_or_else(|| {
                ResolveError::new(
                    path,
                    line,
                    ResolveErrorKind::InvalidChecksum {
                        package: format!("{} {}", package.name, package.version),
                        checksum: sum.to_owned(),
                    },
                )
            })?];
        }
        packages.push(package);
        source_ids.push(w.source);
    }

    // Index by name; names with more than a few packages, by name and version too (a lockfile
    // may hold thousands of versions of one name: every lookup below stays proportional to the
    // packages that can match). Reject duplicates (same name, version and source).
    // foldhash: the names are hashed a few times per dependency string; SipHash cost more than
    // the rest of the lookup (the seed is random per process, so collisions cannot be planned).
    // Most names have one package: its index is kept inline, allocating nothing.
    let mut by_name: FastMap<&str, Same> =
        FastMap::with_capacity_and_hasher(packages.len(), foldhash::fast::RandomState::default());
    for (i, p) in packages.iter().enumerate() {
        by_name.entry(p.name.as_str()).or_default().push(i);
    }
    let mut by_name_version: FastMap<(&str, &str), Same> = FastMap::default();
    for (&name, same) in &by_name {
        if same.len() > FEW {
            for &i in same {
                if let Some(p) = packages.get(i) {
                    by_name_version.entry((name, p.version.as_str())).or_default().push(i);
                }
            }
        }
    }
    // The first package (in file order) with the same name, version and source as an earlier one.
    let mut duplicate: Option<usize> = None;
    let mut check = |same: &[usize]| {
        let key = |i: usize| (packages.get(i).map(|p| p.version.as_str()), source_ids.get(i));
        let mut twin_at = |i: usize| {
            if duplicate.is_none_or(|d| i < d) {
                duplicate = Some(i);
            }
        };
        // A few packages are compared pairwise.
        if same.len() <= FEW {
            for (k, &i) in same.iter().enumerate() {
                if same.get(..k).unwrap_or_default().iter().any(|&j| key(j) == key(i)) {
                    twin_at(i);
                }
            }
        } else {
            // More (thousands of sources of one version) by a set: no lockfile makes this
            // quadratic.
            let mut seen =
                foldhash::HashSet::with_capacity_and_hasher(same.len(), foldhash::fast::RandomState::default());
            for &i in same {
                if !seen.insert(key(i)) {
                    twin_at(i);
                }
            }
        }
    };
    for same in by_name.values().filter(|s| s.len() <= FEW).chain(by_name_version.values()) {
        check(same);
    }
    if let Some(i) = duplicate
        && let Some(p) = packages.get(i)
    {
        return Err(ResolveError::new(
            path,
            line_of(i).map(|l| l.start),
            ResolveErrorKind::DuplicatePackage(format!("{} {}", p.name, p.version)),
        ));
    }
    // The packages a dependency string (`name`, `name version`, `name version (source)`) names.
    let names = |spec: &DepSpec<'_>, j: usize| -> bool {
        spec.version.is_none_or(|v| packages.get(j).is_some_and(|p| p.version == v))
            && spec
                .source
                .is_none_or(|s| source_ids.get(j).copied().flatten().map(without_precise) == Some(without_precise(s)))
            && (!spec.requires_no_source || spec.source.is_some() || source_ids.get(j).is_some_and(Option::is_none))
    };
    let candidates = |spec: &DepSpec<'_>| -> Vec<usize> {
        same_name_in(&by_name, &by_name_version, spec.name, spec.version)
            .iter()
            .copied()
            .filter(|&j| names(spec, j))
            .collect()
    };

    // v1: checksums live in `[metadata]` as `"checksum NAME VERSION (SOURCE)" = "HASH"`.
    // Only for errors: the line of a `[metadata]` entry.
    let entry_line = |key: &str| {
        let metadata = table_line(text, "metadata").map(|start| LineSpan { start, end: usize::MAX - 1 });
        line_containing(text, metadata, key)
    };
    let mut checksums: Vec<(usize, Checksum)> = Vec::new();
    for (&key, &value) in &lock.metadata {
        let Some(spec) = key.strip_prefix("checksum ") else { continue };
        let Some(value) = value else {
            return Err(ResolveError::new(
                path,
                entry_line(key),
                ResolveErrorKind::Syntax(format!("`[metadata]` entry `{key}` is not a string")),
            ));
        };
        let mut dep = DepSpec::parse(spec);
        // A checksum key always names the source; one without names a path package.
        dep.requires_no_source = true;
        let Some(&i) = candidates(&dep).first() else {
            return Err(ResolveError::new(
                path,
                entry_line(key),
                ResolveErrorKind::UnknownChecksumEntry(spec.to_owned()),
            ));
        };
        if value == "<none>" {
            continue;
        }
        let checksum = parse_checksum(value).ok_or_else(|| {
            ResolveError::new(
                path,
                entry_line(key),
                ResolveErrorKind::InvalidChecksum { package: spec.to_owned(), checksum: value.to_owned() },
            )
        })?;
        checksums.push((i, checksum));
    }

    // Dependency edges.
    let mut edges: Vec<Vec<usize>> = Vec::with_capacity(packages.len());
    for (i, raw) in raws().enumerate() {
        let deps = lock.dependencies_of(raw);
        let mut resolved = Vec::with_capacity(deps.len());
        for &dep in deps {
            let spec = DepSpec::parse(dep);
            // The common case, one package of that name that fits, without allocating.
            let mut fitting = same_name_in(&by_name, &by_name_version, spec.name, spec.version)
                .iter()
                .copied()
                .filter(|&j| names(&spec, j));
            if let (Some(j), None) = (fitting.next(), fitting.next()) {
                resolved.push(j);
                continue;
            }
            let mut found = candidates(&spec);
            if found.len() > 1 && spec.source.is_none() {
                // Cargo omits the source of path packages: with the same name and version from
                // a registry too, a string without a source names the path package.
                found.retain(|&j| source_ids.get(j).is_some_and(Option::is_none));
                if found.is_empty() {
                    found = candidates(&spec);
                }
            }
            let label = || packages.get(i).map(|p| format!("{} {}", p.name, p.version)).unwrap_or_default();
            match found.as_slice() {
                [j] => resolved.push(*j),
                [] => {
                    return Err(ResolveError::new(
                        path,
                        line_containing(text, line_of(i), dep),
                        ResolveErrorKind::DanglingDependency { package: label(), dependency: dep.to_owned() },
                    ));
                }
                many => {
                    let candidates = many
                        .iter()
                        .filter_map(|&j| Some((packages.get(j)?, source_ids.get(j)?)))
                        .map(|(p, source)| match source {
                            Some(s) => format!("`{} {} ({s})`", p.name, p.version),
                            None => format!("`{} {}`", p.name, p.version),
                        })
                        .collect::<Vec<_>>()
                        .join(", ");
                    return Err(ResolveError::new(
                        path,
                        line_containing(text, line_of(i), dep),
                        ResolveErrorKind::AmbiguousDependency {
                            package: label(),
                            dependency: dep.to_owned(),
                            candidates,
                        },
                    ));
                }
            }
        }
        edges.push(resolved);
    }
    for (i, checksum) in checksums {
        if let Some(p) = packages.get_mut(i) {
            p.checksums = vec![checksum];
        }
    }
    for (package, deps) in packages.iter_mut().zip(edges) {
        package.dependencies = deps.into_iter().collect();
    }

    Ok(Lockfile { version, packages, root: has_root.then_some(0) })
}

/// The packages of a name that can have this version (when given): every package of the name
/// when it has at most [`FEW`] (the caller compares their versions), else those of the version.
fn same_name_in<'a>(
    by_name: &'a FastMap<&'a str, Same>,
    by_name_version: &'a FastMap<(&'a str, &'a str), Same>,
    name: &'a str,
    version: Option<&'a str>,
) -> &'a [usize] {
    let same = by_name.get(name).map_or(&[][..], Same::as_slice);
    match version {
        Some(version) if same.len() > FEW => by_name_version.get(&(name, version)).map_or(&[][..], Same::as_slice),
        _ => same,
    }
}

/// The most packages of one name looked through one by one; a name with more is indexed by
/// version too.
const FEW: usize = 8;

/// The packages of one name (or name and version).
type Same = smallvec::SmallVec<[usize; 2]>;

fn lock_version(path: &str, text: &str, lock: &RawLock<'_>) -> Result<LockVersion, ResolveError> {
    let line =
        || text.lines().position(|l| l.trim_start().starts_with("version") && !l.starts_with(' ')).map(|i| i + 1);
    match &lock.version {
        None => {
            let v1_metadata = lock.metadata.keys().any(|k| k.starts_with("checksum "));
            let full_edges = lock.packages.iter().any(|p| lock.dependencies_of(p).iter().any(|d| d.contains(" (")));
            Ok(if lock.root.is_some() || v1_metadata || full_edges { LockVersion::V1 } else { LockVersion::V2 })
        }
        Some(RawVersion::Integer(1)) => Ok(LockVersion::V1),
        Some(RawVersion::Integer(2)) => Ok(LockVersion::V2),
        Some(RawVersion::Integer(3)) => Ok(LockVersion::V3),
        Some(RawVersion::Integer(4)) => Ok(LockVersion::V4),
        Some(RawVersion::Integer(n)) if *n > MAX_VERSION => {
            Err(ResolveError::new(path, line(), ResolveErrorKind::UnsupportedVersion(n.to_string())))
        }
        Some(RawVersion::Integer(n)) => {
            Err(ResolveError::new(path, line(), ResolveErrorKind::InvalidVersion(n.to_string())))
        }
        Some(RawVersion::Other(other)) => {
            Err(ResolveError::new(path, line(), ResolveErrorKind::InvalidVersion(other.clone())))
        }
    }
}

/// A dependency string: `name`, `name version` or `name version (source)`.
struct DepSpec<'a> {
    name: &'a str,
    version: Option<&'a str>,
    source: Option<&'a str>,
    /// Match only packages without a source when no source is given (`[metadata]` keys).
    requires_no_source: bool,
}

impl<'a> DepSpec<'a> {
    fn parse(s: &'a str) -> Self {
        DepSpec::canonical(s).unwrap_or_else(|| DepSpec::general(s))
    }

    fn general(s: &'a str) -> Self {
        // Cargo writes no blanks around a dependency string: trim only when there are some.
        let edges = [s.as_bytes().first(), s.as_bytes().last()];
        let s = if edges.iter().all(|b| b.is_some_and(u8::is_ascii_graphic)) { s } else { s.trim() };
        // Byte searches: `str::split_once` with a char pattern costs more than these short
        // strings' whole length.
        let split = |s: &'a str, byte: u8| {
            let at = s.bytes().position(|b| b == byte)?;
            Some((s.get(..at)?, s.get(at + 1..)?))
        };
        let (head, source) = match split(s, b'(') {
            Some((head, rest)) => (head.trim_end(), Some(rest.strip_suffix(')').unwrap_or(rest))),
            None => (s, None),
        };
        let (name, version) = match split(head, b' ') {
            Some((name, version)) => (name, Some(version.trim()).filter(|v| !v.is_empty())),
            None => (head, None),
        };
        DepSpec { name, version, source, requires_no_source: false }
    }

    /// `name`, `name version` or `name version (source)` exactly as cargo writes them (name and
    /// version printable ASCII without `(`, one space between the parts), read in one pass; the
    /// same as [`DepSpec::general`] reads them. Anything else is `None`.
    fn canonical(s: &'a str) -> Option<Self> {
        let word = |from: usize| {
            let rest = s.as_bytes().get(from..)?;
            let len = rest.iter().position(|&b| !b.is_ascii_graphic() || b == b'(').unwrap_or(rest.len());
            (len > 0).then_some(from + len)
        };
        let spec = |name, version, source| DepSpec { name, version, source, requires_no_source: false };
        let name_end = word(0)?;
        let name = s.get(..name_end)?;
        let Some(rest) = s.get(name_end..).filter(|r| !r.is_empty()) else {
            return Some(spec(name, None, None));
        };
        let version_end = word(name_end + 1).filter(|_| rest.starts_with(' '))?;
        let version = s.get(name_end + 1..version_end)?;
        match s.get(version_end..)? {
            "" => Some(spec(name, Some(version), None)),
            tail => Some(spec(name, Some(version), Some(tail.strip_prefix(" (")?.strip_suffix(')')?))),
        }
    }
}

/// A source id without its `#commit` fragment: dependency strings name git sources that way.
fn without_precise(source: &str) -> &str {
    source.bytes().position(|b| b == b'#').and_then(|at| source.get(..at)).unwrap_or(source)
}

/// The line of a quoted string (a dependency, a `[metadata]` key) inside a span of lines, else
/// the span's first line.
fn line_containing(text: &str, span: Option<LineSpan>, needle: &str) -> Option<usize> {
    let span = span?;
    let quoted = format!("\"{needle}\"");
    let found = text
        .lines()
        .enumerate()
        .skip(span.start.saturating_sub(1))
        .take(span.end.saturating_sub(span.start) + 1)
        .find(|(_, l)| l.contains(&quoted));
    Some(found.map_or(span.start, |(i, _)| i + 1))
}

fn parse_checksum(s: &str) -> Option<Checksum> {
    (s.len() == 64 && crate::model::is_hex(s)).then(|| Checksum::Sha256(s.to_ascii_lowercase()))
}

/// Parse a lockfile `source` string.
pub fn parse_source(s: &str) -> Result<PackageSource, String> {
    if let Some(url) = s.strip_prefix("registry+") {
        check_url(url)?;
        return Ok(PackageSource::Registry {
            url: url.to_owned(),
            sparse: false,
            default_registry: url == CRATES_IO_INDEX,
        });
    }
    if let Some(url) = s.strip_prefix("sparse+") {
        check_url(url)?;
        let default_registry = url == CRATES_IO_SPARSE || url == CRATES_IO_SPARSE.trim_end_matches('/');
        return Ok(PackageSource::Registry { url: url.to_owned(), sparse: true, default_registry });
    }
    if let Some(rest) = s.strip_prefix("git+") {
        let (rest, commit) = match rest.split_once('#') {
            Some((r, c)) => (r, Some(c)),
            None => (rest, None),
        };
        if let Some(c) = commit
            && (c.len() < 7 || c.len() > 64 || !crate::model::is_hex(c))
        {
            return Err(format!("`{c}` is not a commit id"));
        }
        let (url, query) = match rest.split_once('?') {
            Some((u, q)) => (u, Some(q)),
            None => (rest, None),
        };
        check_url(url)?;
        let mut reference = None;
        for pair in query.unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let v = percent_encoding::percent_decode_str(v).decode_utf8_lossy().into_owned();
            // As cargo's `SourceId` reads it: `ref` is the old spelling of `branch` (lockfiles
            // written before cargo 0.1 have it), other keys are ignored.
            match k {
                "branch" | "ref" => reference = Some(GitReference::Branch(v)),
                "tag" => reference = Some(GitReference::Tag(v)),
                "rev" => reference = Some(GitReference::Rev(v)),
                _ => {}
            }
        }
        return Ok(PackageSource::Git { url: url.to_owned(), reference, commit: commit.map(str::to_ascii_lowercase) });
    }
    Err("unknown source kind: expected `registry+`, `sparse+` or `git+`".to_owned())
}

fn check_url(url: &str) -> Result<(), String> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err("not a URL".to_owned());
    };
    if scheme.is_empty() || !scheme.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'-' || b == b'.') {
        return Err("not a URL".to_owned());
    }
    if rest.is_empty() || rest.chars().any(char::is_whitespace) {
        return Err("not a URL".to_owned());
    }
    Ok(())
}

/// The directory of a `/`-separated relative path (`.` for the root).
pub fn parent_dir(path: &str) -> String {
    match path.rsplit_once('/') {
        Some((dir, _)) if !dir.is_empty() => dir.to_owned(),
        _ => ".".to_owned(),
    }
}

/// Line spans of `[root]` and of every `[[package]]` block, in order.
///
/// Cargo writes lockfiles in a fixed shape, so a line scan (as scalibr's cargolock extractor
/// does) is exact: a block runs from its header to the last non-blank, non-comment line before
/// the next table header. If the count does not match the parsed packages (a hand-written file
/// using inline tables), lines are left unknown rather than guessed.
pub(crate) fn package_spans(text: &str) -> Spans {
    let mut root = None;
    let mut spans = Vec::new();
    // The block being read: (is_root, is_package, span).
    let mut current: Option<(bool, bool, LineSpan)> = None;
    let close = |cur: Option<(bool, bool, LineSpan)>, root: &mut Option<LineSpan>, spans: &mut Vec<LineSpan>| {
        if let Some((is_root, is_package, span)) = cur {
            if is_root {
                *root = Some(span);
            } else if is_package {
                spans.push(span);
            }
        }
    };
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let t = line.trim();
        if t.starts_with('[') {
            close(current.take(), &mut root, &mut spans);
            let header: String =
                t.split('#').next().unwrap_or_default().chars().filter(|c| !c.is_whitespace()).collect();
            current = Some((header == "[root]", header == "[[package]]", LineSpan { start: n, end: n }));
        } else if !t.is_empty()
            && !t.starts_with('#')
            && let Some((_, _, span)) = current.as_mut()
        {
            span.end = n;
        }
    }
    close(current.take(), &mut root, &mut spans);
    Spans { root, packages: spans }
}

/// Line spans of a lockfile's `[root]` and `[[package]]` blocks, in file order.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Spans {
    /// The v1 `[root]` block.
    pub(crate) root: Option<LineSpan>,
    /// Every `[[package]]` block.
    pub(crate) packages: Vec<LineSpan>,
}

/// The line of a top-level `[name]` table header.
fn table_line(text: &str, name: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            l.trim()
                .strip_prefix('[')
                .and_then(|rest| rest.trim_start().strip_prefix(name))
                .is_some_and(|rest| rest.trim() == "]")
        })
        .map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn a_canonical_dependency_string_is_read_as_the_general_reading_reads_it() {
        let general = |s| {
            let spec = DepSpec::general(s);
            (spec.name, spec.version, spec.source)
        };
        let mut read = 0;
        for s in [
            "serde",
            "serde 1.0.0",
            "serde 1.0.0 (registry+https://github.com/rust-lang/crates.io-index)",
            "git2 0.1.0 (git+https://x/y?branch=a(b)#abc)",
            "a 1 (x(y))",
            "a 1 (x",
            "a 1 (x) ",
            " a 1",
            "a  1",
            "a 1  (x)",
            "a 1 2",
            "a(b) 1",
            "a 1(x)",
            "a\t1",
            "a 1\t",
            "é 1",
            "a é",
            "a ",
            "",
            "(x)",
            "a 1 ()",
        ] {
            if let Some(fast) = DepSpec::canonical(s) {
                read += 1;
                assert_eq!((fast.name, fast.version, fast.source), general(s), "{s:?}");
            }
        }
        assert!(read >= 6, "{read}");
    }

    fn fixture(name: &str) -> String {
        std::fs::read_to_string(format!("{}/testdata/lockfiles/cargo/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    #[test]
    fn a_dependency_without_source_names_the_path_package_of_that_version() {
        let lock = parse("Cargo.lock", &fixture("path-and-registry-same-version.lock")).unwrap();
        let find = |name: &str, kind: &str| {
            lock.packages.iter().position(|p| p.name == name && p.source.kind() == kind).unwrap()
        };
        let (app, helper) = (find("app", "path"), find("helper", "path"));
        let (itoa_path, itoa_registry) = (find("itoa", "path"), find("itoa", "registry"));
        assert_eq!(lock.packages[app].dependencies, [helper, itoa_path].into_iter().collect());
        assert_eq!(lock.packages[helper].dependencies, [itoa_registry].into_iter().collect());
        assert!(lock.packages[itoa_registry].checksum().is_some());
    }

    /// `n` versions of `dup` (the last depending on every other by `name version`), one path
    /// package `dup 0.{twin}.0` when `twin` is given, and `extra` written after them.
    fn many_versions(n: usize, twin: Option<usize>, extra: &str) -> String {
        use std::fmt::Write as _;
        let source = "registry+https://github.com/rust-lang/crates.io-index";
        let mut text = String::from("version = 4\n");
        for i in 0..n {
            let _ = write!(text, "\n[[package]]\nname = \"dup\"\nversion = \"0.{i}.0\"\nsource = \"{source}\"\n");
        }
        if let Some(t) = twin {
            let _ = write!(text, "\n[[package]]\nname = \"dup\"\nversion = \"0.{t}.0\"\n");
        }
        text.push_str("\n[[package]]\nname = \"top\"\nversion = \"1.0.0\"\ndependencies = [\n");
        for i in 0..n {
            let _ = writeln!(text, " \"dup 0.{i}.0 ({source})\",");
        }
        text.push_str("]\n");
        text.push_str(extra);
        text
    }

    #[test]
    fn names_with_few_and_with_many_packages_resolve_and_find_duplicates_alike() {
        let source = "registry+https://github.com/rust-lang/crates.io-index";
        // Up to FEW packages of a name are compared one by one, more are indexed by version:
        // both sides of the limit resolve every edge and report the first duplicate's line.
        for n in [2, FEW, FEW + 1, 40] {
            let lock = parse("Cargo.lock", &many_versions(n, Some(1), "")).unwrap();
            let top = lock.packages.iter().position(|p| p.name == "top").unwrap();
            let registry = |i: usize| {
                lock.packages.iter().position(|p| p.version == format!("0.{i}.0") && p.source.kind() == "registry")
            };
            let expected: BTreeSet<usize> = (0..n).map(|i| registry(i).unwrap()).collect();
            assert_eq!(lock.packages[top].dependencies, expected, "{n}");

            let twice = format!("\n[[package]]\nname = \"dup\"\nversion = \"0.0.0\"\nsource = \"{source}\"\n");
            let text = many_versions(n, Some(1), &twice);
            let err = parse("Cargo.lock", &text).unwrap_err();
            assert_eq!(err.kind, ResolveErrorKind::DuplicatePackage("dup 0.0.0".to_owned()), "{n}");
            let line = text.lines().count() - 3;
            assert_eq!(err.line, Some(line), "{n}: the line of the second `[[package]]`");
            // A path package of a version is no duplicate of the registry's; a second one is.
            let again = "\n[[package]]\nname = \"dup\"\nversion = \"0.1.0\"\n";
            let err = parse("Cargo.lock", &many_versions(n, Some(1), again)).unwrap_err();
            assert_eq!(err.kind, ResolveErrorKind::DuplicatePackage("dup 0.1.0".to_owned()), "{n}");
        }
    }

    #[test]
    fn many_sources_of_one_version_are_told_apart_and_a_repeated_one_is_a_duplicate() {
        use std::fmt::Write as _;
        let git = |i: usize| format!("git+https://example.com/r{i}#{:040x}", i + 1);
        for n in [3, FEW + 1, 3000] {
            let mut text = String::from("version = 4\n");
            for i in 0..n {
                let _ = write!(text, "\n[[package]]\nname = \"dup\"\nversion = \"1.0.0\"\nsource = \"{}\"\n", git(i));
            }
            let lock = parse("Cargo.lock", &text).unwrap();
            assert_eq!(lock.packages.len(), n);
            let _ = write!(text, "\n[[package]]\nname = \"dup\"\nversion = \"1.0.0\"\nsource = \"{}\"\n", git(n / 2));
            let err = parse("Cargo.lock", &text).unwrap_err();
            assert_eq!(err.kind, ResolveErrorKind::DuplicatePackage("dup 1.0.0".to_owned()), "{n}");
            assert_eq!(err.line, Some(text.lines().count() - 3), "{n}");
        }
    }

    #[test]
    fn sources_parse_into_their_parts() {
        assert_eq!(
            parse_source("sparse+https://index.crates.io/"),
            Ok(PackageSource::Registry { url: CRATES_IO_SPARSE.into(), sparse: true, default_registry: true })
        );
        assert_eq!(
            parse_source("git+https://github.com/a/b?tag=v%2B1#0123456789abcdef0123456789abcdef01234567"),
            Ok(PackageSource::Git {
                url: "https://github.com/a/b".into(),
                reference: Some(GitReference::Tag("v+1".into())),
                commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
            })
        );
        assert!(parse_source("path+file:///x").is_err());
        assert!(parse_source("git+https://github.com/a/b#not-a-commit").is_err());
        assert!(parse_source("registry+not a url").is_err());
        // As cargo reads it: `ref` (lockfiles of 2014) is a branch, other keys are ignored.
        let git = |reference: Option<GitReference>| {
            Ok(PackageSource::Git { url: "https://github.com/a/b".into(), reference, commit: Some("0123456".into()) })
        };
        assert_eq!(
            parse_source("git+https://github.com/a/b?ref=bundle#0123456"),
            git(Some(GitReference::Branch("bundle".into())))
        );
        assert_eq!(parse_source("git+https://github.com/a/b?color=red#0123456"), git(None));
        assert_eq!(
            parse_source("git+https://github.com/a/b?rev=x&color=red#0123456"),
            git(Some(GitReference::Rev("x".into())))
        );
    }
}
