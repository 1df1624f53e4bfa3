//! Entry points for the fuzz targets in `fuzz/`: one per parser of untrusted input. Not a public
//! API.
//!
//! Each function takes arbitrary bytes, runs the production code path on them, and checks what
//! must hold whatever the input (indices in range, two readers agreeing, no unsafe character
//! left by the sanitiser). None of them panics by design: a panic, a hang or an unbounded
//! allocation is a bug the fuzzer found. Inputs that hold several files or strings separate
//! them with NUL bytes (no text format chainward reads has a raw NUL), so seeds stay readable.
//!
//! Panics that production code contains ([`crate::panics::contain`]: third-party parsers) are
//! contained here too; the fuzz targets' panic hook treats only the others as crashes. Nothing
//! here prints, reads the environment or touches the file system.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::advisory::version::Version;
use crate::model::{Ecosystem, Package, PackageSource, RootComponent};
use crate::resolve::{ResolveOptions, Resolved, Resolver as _};
use crate::sanitize;
use crate::source::{Source, SourceError};

/// The NUL-separated parts of an input.
fn parts(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    data.split(|&b| b == 0)
}

/// The NUL-separated parts of an input that are UTF-8 (others become empty strings, so the
/// position of each part stays the same).
fn text_parts(data: &[u8]) -> impl Iterator<Item = &str> {
    parts(data).map(|p| std::str::from_utf8(p).unwrap_or_default())
}

/// A tree of files held in memory.
#[derive(Debug, Default)]
pub struct MemorySource {
    /// Sorted paths, as [`Source::files`] returns them.
    paths: Vec<String>,
    files: BTreeMap<String, Vec<u8>>,
}

impl MemorySource {
    /// A tree of `files` (path, content); a later file of the same path replaces an earlier.
    pub fn new(files: impl IntoIterator<Item = (String, Vec<u8>)>) -> Self {
        let files: BTreeMap<String, Vec<u8>> = files.into_iter().collect();
        MemorySource { paths: files.keys().cloned().collect(), files }
    }
}

impl Source for MemorySource {
    fn describe(&self) -> String {
        "<memory>".to_owned()
    }

    fn local_root(&self) -> Option<&Path> {
        None
    }

    fn files(&self) -> Result<&[String], SourceError> {
        Ok(&self.paths)
    }

    fn read(&self, path: &str) -> Result<Vec<u8>, SourceError> {
        self.files
            .get(path)
            .cloned()
            .ok_or_else(|| SourceError { path: path.to_owned(), message: "no such file".to_owned() })
    }
}

/// Where the fuzzed lockfile sits: one directory down, so path dependencies can point both
/// inside the tree and out of it (`../x`).
const LOCK_DIR: &str = "ws";

/// The tree a lockfile target's input describes: the lockfile `lock_name` (the first part),
/// the manifest `manifest_name` beside it (the second), then `PATH\nCONTENT` files relative to
/// the lockfile's directory. Returns the lockfile's path and bytes, and the tree.
fn tree_of<'d>(data: &'d [u8], lock_name: &str, manifest_name: &str) -> (String, &'d [u8], MemorySource) {
    let mut pieces = parts(data);
    let lock = pieces.next().unwrap_or_default();
    let lock_path = format!("{LOCK_DIR}/{lock_name}");
    let mut files = vec![(lock_path.clone(), lock.to_vec())];
    if let Some(manifest) = pieces.next() {
        files.push((format!("{LOCK_DIR}/{manifest_name}"), manifest.to_vec()));
    }
    for piece in pieces {
        let (path, content) = match piece.iter().position(|&b| b == b'\n') {
            Some(i) => (piece.get(..i).unwrap_or_default(), piece.get(i + 1..).unwrap_or_default()),
            None => (piece, &[][..]),
        };
        let path = String::from_utf8_lossy(path);
        files.push((crate::source::join(LOCK_DIR, &path), content.to_vec()));
    }
    (lock_path, lock, MemorySource::new(files))
}

/// `Cargo.lock` through [`crate::resolve::cargo::CargoLockResolver`], lockfile only and with
/// its manifests. Input: the lockfile, then NUL, the `Cargo.toml` beside it, then any number
/// of NUL-separated `PATH\nCONTENT` files (`PATH` relative to the lockfile's directory: member
/// manifests such as `crates/a/Cargo.toml`).
pub fn cargo_lock(data: &[u8]) {
    let (lock_path, lock, source) = tree_of(data, "Cargo.lock", "Cargo.toml");
    let resolver = crate::resolve::cargo::CargoLockResolver;
    for lockfile_only in [true, false] {
        let options = ResolveOptions { cargo_metadata: false, lockfile_only };
        if let Ok(resolved) = resolver.resolve(&source, &lock_path, lock, &options) {
            check_resolved(&resolved, lock);
            let graph = crate::model::Graph::merge(vec![resolved], "fuzz");
            for node in &graph.nodes {
                assert!(!node.id.is_empty(), "a node without an id");
            }
        }
    }
}

/// A lockfile named `file_name` through the resolver that claims it, lockfile only and with the
/// files around it. Input: the lockfile, then NUL, the file `companion` beside it (its
/// manifest: `package.json`, `pyproject.toml`, `Gemfile`, ...), then any number of NUL-separated
/// `PATH\nCONTENT` files (`PATH` relative to the lockfile's directory: workspace members'
/// `packages/a/package.json`, an included `requirements/base.txt`). Every package is of
/// `ecosystem`.
fn lockfile(file_name: &str, companion: &str, ecosystem: Ecosystem, data: &[u8]) {
    let (lock_path, lock, source) = tree_of(data, file_name, companion);
    let all = crate::resolve::registry();
    let Some(resolver) = all.iter().find(|r| r.claims(Path::new(&lock_path))) else { return };
    for lockfile_only in [true, false] {
        let options = ResolveOptions { cargo_metadata: false, lockfile_only };
        match resolver.resolve(&source, &lock_path, lock, &options) {
            Ok(read) => {
                check_resolved(&read, lock);
                for p in &read.packages {
                    assert_eq!(p.ecosystem, ecosystem, "{} is not a {ecosystem} package", p.name);
                    for c in &p.checksums {
                        assert!(
                            crate::model::Checksum::from_hex(c.algorithm(), c.hex()).as_ref() == Some(c),
                            "checksum {c:?}"
                        );
                    }
                    assert!(p.unpinned.is_none() || p.version.is_empty(), "an unpinned package with a version");
                    let _ = p.purl();
                }
                let graph = crate::model::Graph::merge(vec![read], "fuzz");
                for node in &graph.nodes {
                    assert!(!node.id.is_empty(), "a node without an id");
                    assert!(node.depends_on.iter().all(|d| !d.is_empty()), "an edge without an id");
                }
            }
            Err(e) => {
                assert_eq!(e.path, lock_path, "an error about another file: {e}");
                let _ = e.to_string();
            }
        }
    }
}

/// A JavaScript lockfile: [`lockfile`] with its `package.json`.
fn js_lockfile(file_name: &str, data: &[u8]) {
    lockfile(file_name, "package.json", Ecosystem::Npm, data);
}

/// `package-lock.json` (npm): the lockfile, NUL, its `package.json`, then NUL-separated `PATH\nCONTENT` files.
pub fn package_lock(data: &[u8]) {
    js_lockfile("package-lock.json", data);
}

/// `yarn.lock` (classic and berry): the lockfile, NUL, its `package.json`, then NUL-separated `PATH\nCONTENT` files.
pub fn yarn_lock(data: &[u8]) {
    js_lockfile("yarn.lock", data);
}

/// `pnpm-lock.yaml`: the lockfile, NUL, its `package.json`, then NUL-separated `PATH\nCONTENT` files.
pub fn pnpm_lock(data: &[u8]) {
    js_lockfile("pnpm-lock.yaml", data);
}

/// `bun.lock`: the lockfile, NUL, its `package.json`, then NUL-separated `PATH\nCONTENT` files.
pub fn bun_lock(data: &[u8]) {
    js_lockfile("bun.lock", data);
}

/// `poetry.lock`: the lockfile, NUL, its `pyproject.toml`, then NUL-separated `PATH\nCONTENT` files.
pub fn poetry_lock(data: &[u8]) {
    lockfile("poetry.lock", "pyproject.toml", Ecosystem::PyPI, data);
}

/// `pdm.lock`: the lockfile, NUL, its `pyproject.toml`, then NUL-separated `PATH\nCONTENT` files.
pub fn pdm_lock(data: &[u8]) {
    lockfile("pdm.lock", "pyproject.toml", Ecosystem::PyPI, data);
}

/// `uv.lock`: the lockfile, NUL, its `pyproject.toml`, then NUL-separated `PATH\nCONTENT` files.
pub fn uv_lock(data: &[u8]) {
    lockfile("uv.lock", "pyproject.toml", Ecosystem::PyPI, data);
}

/// `pylock.toml` (PEP 751): the lockfile, NUL, its `pyproject.toml`, then NUL-separated `PATH\nCONTENT` files.
pub fn pylock_toml(data: &[u8]) {
    lockfile("pylock.toml", "pyproject.toml", Ecosystem::PyPI, data);
}

/// `Pipfile.lock`: the lockfile, NUL, its `Pipfile`, then NUL-separated `PATH\nCONTENT` files.
pub fn pipfile_lock(data: &[u8]) {
    lockfile("Pipfile.lock", "Pipfile", Ecosystem::PyPI, data);
}

/// `requirements.txt`: the file, NUL, a `base.txt` beside it (what `-r base.txt` includes),
/// then NUL-separated `PATH\nCONTENT` files (more includes).
pub fn requirements_txt(data: &[u8]) {
    lockfile("requirements.txt", "base.txt", Ecosystem::PyPI, data);
}

/// `go.mod`: the file, NUL, the `go.sum` beside it, then NUL-separated `PATH\nCONTENT` files.
pub fn go_mod(data: &[u8]) {
    lockfile("go.mod", "go.sum", Ecosystem::Go, data);
}

/// `go.work`: the file, NUL, a `go.mod` beside it, then NUL-separated `PATH\nCONTENT` files
/// (members' `a/go.mod`).
pub fn go_work(data: &[u8]) {
    lockfile("go.work", "go.mod", Ecosystem::Go, data);
}

/// `Gemfile.lock`: the lockfile, NUL, its `Gemfile`, then NUL-separated `PATH\nCONTENT` files.
pub fn gemfile_lock(data: &[u8]) {
    lockfile("Gemfile.lock", "Gemfile", Ecosystem::RubyGems, data);
}

/// `composer.lock`: the lockfile, NUL, its `composer.json`, then NUL-separated `PATH\nCONTENT` files.
pub fn composer_lock(data: &[u8]) {
    lockfile("composer.lock", "composer.json", Ecosystem::Packagist, data);
}

/// What every resolved lockfile satisfies.
fn check_resolved(resolved: &Resolved, lock: &[u8]) {
    let n = resolved.packages.len();
    let lines = lock.split(|&b| b == b'\n').count();
    for p in &resolved.packages {
        assert!(p.dependencies.iter().all(|&d| d < n), "an edge out of range in {}", p.name);
        if let Some(span) = p.lines {
            assert!(1 <= span.start && span.start <= span.end && span.end <= lines, "bad span {span:?}");
        }
        let _ = p.id();
    }
    match &resolved.root {
        RootComponent::Package(i) => assert!(*i < n, "root {i} out of range"),
        RootComponent::Synthetic { depends_on, .. } => assert!(depends_on.iter().all(|&d| d < n)),
    }
}

/// The fast canonical `Cargo.lock` reader against the `toml` crate: whenever the fast reader
/// accepts a text, the `toml` crate must read it to the same tables, and the line spans must
/// be those of the general line scan.
pub fn cargo_lock_differential(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Some((fast, spans)) = crate::resolve::cargo_canonical::parse(text) else { return };
    let general: Result<crate::resolve::cargo::LockWire, _> = toml::from_str(text);
    assert!(
        general.as_ref().is_ok_and(|g| crate::resolve::cargo::RawLock::from_wire(g) == fast),
        "the fast reader read {fast:?}, the toml crate {general:?}"
    );
    assert_eq!(spans, crate::resolve::cargo::package_spans(text), "the fast reader's spans differ");
}

/// `chainward.toml`: [`crate::config::parse`].
pub fn config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match crate::config::parse("chainward.toml", text) {
        Ok(config) => {
            for ignore in &config.ignores {
                assert!(!ignore.reason.trim().is_empty(), "an ignore without a reason was accepted");
                let _ = (ignore.package_parts(), ignore.until_string());
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

/// A CycloneDX JSON document as scan input: [`crate::sbom::input::is_cyclonedx_json`] and
/// [`crate::sbom::input::parse`] (what `scan` runs).
pub fn cyclonedx_input(data: &[u8]) {
    let one_line = |s: &str| !s.chars().any(sanitize::is_unsafe);
    let _ = crate::sbom::input::is_cyclonedx_json(data);
    let input = match crate::sbom::input::parse("bom.json", data) {
        Ok(input) => input,
        Err(e) => {
            assert!(one_line(&e.message) && e.problems.iter().all(|p| one_line(p)), "unsanitised error {e:?}");
            assert!(e.problems.len() <= crate::sbom::input::MAX_PROBLEMS + 1, "{} problems", e.problems.len());
            return;
        }
    };
    assert!(!input.packages.is_empty(), "an SBOM without packages was accepted");
    assert!(input.packages.len() <= input.matched, "more packages than matched components");
    assert!(input.problems.len() <= crate::sbom::input::MAX_PROBLEMS + 1, "{} problems", input.problems.len());
    for note in input.notes("bom.json") {
        assert!(one_line(&note), "unsanitised note {note:?}");
    }
    for pair in input.packages.windows(2) {
        if let [a, b] = pair {
            let (ka, kb) = ((a.ecosystem, &a.name, &a.version), (b.ecosystem, &b.name, &b.version));
            assert!(ka < kb, "packages not sorted and deduplicated: {ka:?} then {kb:?}");
        }
    }
    for p in &input.packages {
        let purl = p.purl.as_deref().unwrap_or_default();
        let parsed = crate::sbom::input::from_purl(purl);
        assert_eq!(parsed, Some((p.ecosystem, p.name.clone(), p.version.clone())), "purl {purl:?}");
        if let Some(c) = &p.checksum {
            assert!(c.len() == 71 && c.starts_with("sha256:"), "checksum {c:?}");
        }
    }
    // The dependency graph: indices in range, edges sorted, unique and without self-loops.
    let graph = &input.graph;
    let len = graph.components.len();
    assert!(len <= input.components, "{len} graph components of {} components", input.components);
    assert!(graph.root.is_none_or(|r| r < len), "root {:?} of {len} components", graph.root);
    for &(from, to) in &graph.edges {
        assert!(from < len && to < len, "edge ({from}, {to}) of {len} components");
        assert_ne!(from, to, "self-loop");
    }
    for pair in graph.edges.windows(2) {
        if let [a, b] = pair {
            assert!(a < b, "edges not sorted and deduplicated: {a:?} then {b:?}");
        }
    }
    if !graph.has_dependencies {
        assert!(graph.edges.is_empty() && graph.dangling == 0, "edges without a `dependencies` array");
    }
    for c in &graph.components {
        assert!(!c.bom_ref.is_empty(), "empty bom-ref");
        let package = c.purl.as_deref().and_then(crate::sbom::input::from_purl);
        assert_eq!(c.package, package, "package of {:?}", c.purl);
    }
    // What `inventory add` stores of it: the root first, edges in range, and each component's
    // parent on a shortest path from the root is a real edge, one step nearer the root.
    let snapshot = crate::inventory::snapshot::from_sbom(&input, "p", "r");
    let n = snapshot.components.len();
    assert!(n >= len && n <= len + 1, "{n} stored components of {len}");
    assert!(snapshot.edges.iter().all(|&(a, b)| (a as usize) < n && (b as usize) < n && a != b), "edge out of range");
    let parents = snapshot.parents();
    assert_eq!(parents.len(), n);
    let depth = |mut i: usize| {
        let mut d = 0usize;
        while let Some(Some(p)) = parents.get(i) {
            assert!(snapshot.edges.binary_search(&(*p, u32::try_from(i).unwrap_or(u32::MAX))).is_ok(), "parent edge");
            i = *p as usize;
            d += 1;
            assert!(d <= n, "a cycle of parents");
        }
        (i, d)
    };
    let depths: Vec<(usize, usize)> = (0..n).map(depth).collect();
    for &(top, d) in &depths {
        assert!(top == 0 || d == 0, "a parent chain that does not end at the root");
    }
    // Shortest: no edge leads from a reached component to one deeper than one step below it.
    let reached = |i: usize| i == 0 || depths.get(i).is_some_and(|&(top, d)| top == 0 && d > 0);
    for &(a, b) in &snapshot.edges {
        let (a, b) = (a as usize, b as usize);
        if reached(a) {
            assert!(reached(b), "an edge from a reached component to an unreached one");
            let (da, db) = (depths.get(a).map_or(0, |x| x.1), depths.get(b).map_or(0, |x| x.1));
            assert!(db <= da + 1, "a path that is not shortest");
        }
    }
}

/// One OSV record: `crate::advisory::osv::parse_record`, then what the matcher does with it.
pub fn osv_record(data: &[u8]) {
    let mut unknown = BTreeSet::new();
    // As the loader does: a parser's panic is contained and is this record's error.
    let parsed = crate::panics::contain(|| crate::advisory::osv::parse_record(data, &mut unknown));
    let Ok(Ok(Some(advisory))) = parsed else { return };
    check_advisory(&advisory);
}

/// What the matcher does with a parsed advisory: every affected entry evaluated against the
/// versions the record itself names (the matcher sorts range events by version).
fn check_advisory(advisory: &crate::advisory::Advisory) {
    let _ = advisory.severity();
    let _ = advisory.link();
    for affected in &advisory.affected {
        let _ = affected.fixed();
        let named = affected
            .ranges
            .iter()
            .flat_map(|r| &r.events)
            .map(|e| match e {
                crate::advisory::Event::Introduced(v)
                | crate::advisory::Event::Fixed(v)
                | crate::advisory::Event::LastAffected(v)
                | crate::advisory::Event::Limit(v) => v.as_str(),
            })
            .chain(affected.versions.iter().map(String::as_str))
            .take(64);
        for raw in named {
            let _ = affected.evaluate(raw, &Version::parse(affected.ecosystem, raw));
        }
    }
}

/// An OSV export zip: [`crate::advisory::osv::load_zip_reader`], the loader's production path
/// for zips.
pub fn osv_zip(data: &[u8]) {
    let Ok(loaded) = crate::advisory::osv::load_zip_reader("osv.zip", std::io::Cursor::new(data)) else { return };
    assert!(loaded.errors.len() <= loaded.failed, "more errors kept than counted");
    for advisory in &loaded.advisories {
        check_advisory(advisory);
    }
}

/// A RustSec advisory file (TOML front matter in Markdown):
/// [`crate::advisory::rustsec::parse_contained`], the loader's production path (a panic of the
/// `rustsec` crate is contained and is this file's error, not a crash).
pub fn rustsec_advisory(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(Some(advisory)) = crate::advisory::rustsec::parse_contained("crates/x/RUSTSEC-2000-0000.md", text) else {
        return;
    };
    check_advisory(&advisory);
}

/// Package URLs: [`crate::sbom::input::from_purl`] on the first part; the second and third
/// parts (name, version) made a crates.io package whose purl
/// ([`crate::model::purl::for_package`]) must read back to the same name and version, and
/// whose fast-path purl must equal the `purl` crate's.
pub fn purl(data: &[u8]) {
    let mut texts = text_parts(data);
    let given = texts.next().unwrap_or_default();
    if let Some((ecosystem, name, version)) = crate::sbom::input::from_purl(given) {
        let _ = (ecosystem.purl_type(), name, version);
    }
    let name = texts.next().unwrap_or_default().to_owned();
    let version = texts.next().unwrap_or_default().to_owned();
    let crates_io = PackageSource::Registry {
        url: crate::resolve::cargo::CRATES_IO_INDEX.to_owned(),
        sparse: false,
        default_registry: true,
    };
    let package = Package::new(Ecosystem::Cargo, name.clone(), version.clone(), crates_io);
    if let Some(purl) = crate::model::purl::for_package(&package) {
        let built = ::purl::GenericPurlBuilder::<String>::new("cargo".to_owned(), name.as_str())
            .with_version(version.as_str())
            .build()
            .ok()
            .map(|p| p.to_string());
        assert_eq!(Some(&purl), built.as_ref(), "the fast path and the builder disagree");
        // A purl without a version (an empty one) names no release: from_purl skips it.
        let back = crate::sbom::input::from_purl(&purl);
        let expected = (!version.is_empty()).then(|| (Ecosystem::Cargo, name.clone(), version.clone()));
        assert_eq!(back, expected, "{purl} does not read back");
    }
    // Another registry and a git source: never read back as the crates.io crate.
    for source in [
        PackageSource::Registry { url: "https://example.com/index".to_owned(), sparse: true, default_registry: false },
        PackageSource::Git { url: "https://example.com/r".to_owned(), reference: None, commit: Some(version.clone()) },
    ] {
        let package = Package::new(Ecosystem::Cargo, name.clone(), version.clone(), source);
        if let Some(purl) = crate::model::purl::for_package(&package) {
            assert_eq!(crate::sbom::input::from_purl(&purl), None, "{purl} reads as a crates.io crate");
        }
    }
}

/// Versions of every ecosystem: [`Version::parse`] of up to three NUL-separated strings, in the
/// ecosystem the first byte selects, and the ordering of what parsed: reflexive, antisymmetric
/// and, but for Maven, transitive. Maven's `ComparableVersion` is itself not transitive
/// (`0-a < 0 < l < 0-a`), and chainward follows it, so the matcher sorts with
/// [`crate::advisory::version::sort_tolerant_by`], which must give a permutation and never panic.
pub fn version(data: &[u8]) {
    use std::cmp::Ordering;
    let Some((&selector, rest)) = data.split_first() else { return };
    let ecosystem =
        Ecosystem::ALL.get(usize::from(selector) % Ecosystem::ALL.len()).copied().unwrap_or(Ecosystem::Cargo);
    let versions: Vec<Version> = text_parts(rest).take(3).filter_map(|s| Version::parse(ecosystem, s).ok()).collect();
    for a in &versions {
        assert_eq!(a.partial_cmp(a), Some(Ordering::Equal), "not reflexive: {a:?}");
        for b in &versions {
            let (ab, ba) = (a.partial_cmp(b), b.partial_cmp(a));
            assert_eq!(ab, ba.map(Ordering::reverse), "not antisymmetric: {a:?} {b:?}");
            for c in &versions {
                if ecosystem != Ecosystem::Maven && a <= b && b <= c {
                    assert!(a <= c, "not transitive: {a:?} <= {b:?} <= {c:?}");
                }
            }
        }
    }
    // The matcher's sort, on every order of the versions repeated (enough items for the
    // standard library's sorts to notice an inconsistent order, were they used).
    let mut items: Vec<(usize, &Version)> = versions.iter().cycle().take(versions.len() * 11).enumerate().collect();
    crate::advisory::version::sort_tolerant_by(&mut items, |(_, a), (_, b)| {
        a.partial_cmp(b).unwrap_or(Ordering::Equal)
    });
    let mut seen: Vec<usize> = items.iter().map(|(i, _)| *i).collect();
    seen.sort_unstable();
    assert!(seen.iter().enumerate().all(|(i, &j)| i == j), "the tolerant sort lost or repeated an item");
}

/// crates.io responses: the same bytes as a sparse-index file, an API `/versions` page and an
/// API `/owners` response.
pub fn crates_io_response(data: &[u8]) {
    let _ = crate::registry::crates_io::parse_index("serde", data);
    let _ = crate::registry::crates_io::parse_versions("serde", data);
    let _ = crate::registry::crates_io::parse_owners(data);
}

/// npm responses: the same bytes as a packument and an attestations document.
pub fn npm_response(data: &[u8]) {
    let _ = crate::registry::npm::parse_packument(data);
    let _ = crate::registry::npm::parse_attestations(data);
}

/// PyPI responses: the same bytes as a project JSON and a provenance object.
pub fn pypi_response(data: &[u8]) {
    let _ = crate::registry::pypi::parse_project(data);
    let _ = crate::registry::pypi::parse_provenance(data);
}

/// The sanitiser: no unsafe character survives [`sanitize::line`]; a short, safe line passes
/// unchanged; [`sanitize::json_output`] leaves no unsafe character raw and keeps the document's
/// value.
pub fn sanitize(data: &[u8]) {
    let Some((&max, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    let max = usize::from(max);
    let line = sanitize::line(&text, max);
    assert!(!line.chars().any(sanitize::is_unsafe), "unsafe character left in {line:?}");
    if text.chars().count() <= max && !text.chars().any(sanitize::is_unsafe) {
        assert_eq!(line, text, "a safe, short line was changed");
    }
    let _ = (sanitize::value(&text), sanitize::diagnostic(&text));
    let cell = sanitize::cell(&text, max);
    assert!(!cell.chars().any(sanitize::is_unsafe), "unsafe character left in the cell {cell:?}");
    let multiline = sanitize::multiline(&text, max);
    let raw = multiline.chars().find(|&c| c != '\n' && sanitize::is_unsafe(c));
    assert!(raw.is_none(), "multiline left {raw:?} raw");

    let out = sanitize::json_output(rest.to_vec());
    if let Ok(out_text) = std::str::from_utf8(&out) {
        let raw = out_text.chars().find(|&c| sanitize::is_unsafe(c) && !matches!(c, '\n' | '\r' | '\t'));
        assert!(std::str::from_utf8(rest).is_err() || raw.is_none(), "json_output left {raw:?} raw");
    }
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(rest) {
        let again: Result<serde_json::Value, _> = serde_json::from_slice(&out);
        assert!(again.as_ref().is_ok_and(|v| *v == value), "json_output changed the value: {again:?}");
    }
}

/// The `history` walk cache: a cache file's bytes decoded as [`crate::history::cache`] reads
/// them (postcard into the cached walk; a file that does not decode is not used). Whatever
/// decodes must encode again and decode to the same walk, and following the merges of every
/// interval ([`crate::history::Timeline::representative`]) must end, cycles included.
pub fn history_cache(data: &[u8]) {
    let Some(saved) = crate::history::cache::decode(data) else { return };
    let timeline = &saved.timeline;
    for i in 0..timeline.intervals.len() {
        let Ok(i) = u32::try_from(i) else { break };
        let r = timeline.representative(i);
        let _ = timeline.intervals.get(r as usize).map(|iv| iv.removed.and_then(|c| timeline.commit(c)));
        let _ = timeline.commit(timeline.intervals.get(i as usize).map_or(0, |iv| iv.introduced));
    }
    let again = postcard::to_stdvec(&saved).ok();
    let decoded = again.as_deref().and_then(|b| postcard::from_bytes::<crate::history::Saved>(b).ok());
    assert!(
        decoded.is_some_and(|d| d.timeline == saved.timeline && d.seen == saved.seen && d.checksums == saved.checksums),
        "a decoded walk cache does not read back the same"
    );
}

/// `$CARGO_HOME`'s files as [`crate::registry::cargo_home`] reads them, the same bytes as each:
/// a `.cache` index file ([`crate::registry::cargo_home::parse_index_cache`]: whatever parses
/// must be exactly the concatenation the format describes, each entry's line found again by its
/// version, and each line given to [`crate::compiled::summary::CrateSummary::from_index_line`]),
/// a published `Cargo.toml` (`manifest_proc_macro`) and a `.crate` archive (`crate_proc_macro`).
pub fn cargo_index_cache(data: &[u8]) {
    use crate::registry::cargo_home::{crate_proc_macro, manifest_proc_macro, parse_index_cache};
    if let Ok(cache) = parse_index_cache(data) {
        assert!(cache.schema <= crate::compiled::summary::INDEX_V_MAX, "schema {} accepted", cache.schema);
        let mut again = vec![crate::registry::cargo_home::CACHE_VERSION];
        again.extend_from_slice(&cache.schema.to_le_bytes());
        again.extend_from_slice(cache.index_version);
        again.push(0);
        for (version, line) in &cache.entries {
            assert!(!version.is_empty() && !version.contains('\0') && !line.contains(&0), "a field holds a NUL");
            again.extend_from_slice(version.as_bytes());
            again.push(0);
            again.extend_from_slice(line);
            again.push(0);
            let first = cache.entries.iter().find(|(v, _)| v == version).map(|(_, l)| *l);
            assert_eq!(cache.line(version), first, "version {version} not found as the first of its entries");
        }
        assert!(again == data, "the parsed entries are not the file");
        // The fast search finds what the full parse finds, whenever the lines are JSON objects
        // (a line that reads like a version could pass for one: then only a summary is lost).
        if cache.entries.iter().all(|(_, line)| line.first() == Some(&b'{')) {
            for (version, _) in cache.entries.iter().take(64) {
                let fast = crate::registry::cargo_home::find_index_line(data, version);
                assert_eq!(fast, Ok(cache.line(version)), "find_index_line disagrees on {version}");
            }
        }
        for (version, line) in cache.entries.iter().take(64) {
            if let Ok(line) = std::str::from_utf8(line) {
                let _ = crate::compiled::summary::CrateSummary::from_index_line(line, "x", version);
            }
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = manifest_proc_macro(text);
    }
    let _ = crate_proc_macro(data, "x", "1.0.0");
}

/// The compiled view (`compiled::`): NUL-separated parts: a Cargo.lock, the `Cargo.toml` beside
/// it, a dependency `target` string (`cfg(...)` or a triple), then crates.io index lines. The
/// workspace manifest is read, the lines become the crates' summaries, and every package gets a
/// status for the host and for every target; the target string is evaluated for a few
/// platforms. Whatever the input: no panic, and when a lockfile is decided, every package of it
/// has a status.
pub fn compiled_view(data: &[u8]) {
    use crate::compiled::{self, Options, Targets, metadata::Gathered, platform, summary::CrateSummary};
    let mut parts = parts(data);
    let lock = parts.next().unwrap_or_default().to_vec();
    let manifest = parts.next().unwrap_or_default().to_vec();
    let target = std::str::from_utf8(parts.next().unwrap_or_default()).unwrap_or_default();
    for triple in ["x86_64-unknown-linux-gnu", "x86_64-pc-windows-msvc", "wasm32-unknown-unknown"] {
        if let Ok(p) = platform::Platform::new(triple) {
            let _ = platform::matches(target, &p);
        }
    }
    let mut gathered = Gathered::default();
    for line in parts.filter_map(|p| std::str::from_utf8(p).ok()) {
        let Ok(value) = serde_json::from_str::<serde_json::Value>(line) else { continue };
        let (Some(name), Some(version)) =
            (value.get("name").and_then(|v| v.as_str()), value.get("vers").and_then(|v| v.as_str()))
        else {
            continue;
        };
        if let Ok(summary) = CrateSummary::from_index_line(line, name, version) {
            gathered.summaries.insert((name.to_owned(), version.to_owned()), summary);
        }
    }
    let source = MemorySource::new([("Cargo.lock".to_owned(), lock), ("Cargo.toml".to_owned(), manifest)]);
    let Ok(excludes) = crate::discover::Excludes::new(&[]) else { return };
    let options = ResolveOptions { lockfile_only: true, ..ResolveOptions::default() };
    let Ok(resolution) = crate::resolve::tree(&source, None, &excludes, &options) else { return };
    for (targets, tests) in [(Targets::Host, false), (Targets::All, true)] {
        let mut resolution = resolution.clone();
        let options = Options { targets, tests, ..Options::default() };
        if let Ok(outcome) = compiled::annotate_with(&mut resolution, &source, &options, &gathered)
            && outcome.lockfiles > 0
        {
            let decided = resolution.resolved.iter().filter(|r| r.packages.iter().any(|p| p.compiled.is_some()));
            for r in decided {
                assert!(r.packages.iter().all(|p| p.compiled.is_some()), "a package of {} has no status", r.path);
            }
        }
    }
}

/// A RustSec advisory-db `.tar.gz` as `db update` downloads it:
/// [`crate::advisory::local::read_rustsec_archive`], the extraction's production path, with the
/// files kept in memory. Whatever the input: every file given out has a safe relative path
/// under `crates/` or `rust/` (or is `README.md` / `LICENSE*`), is given once and within the
/// size limit, and an archive accepted holds a file under `crates/` and reports what it gave.
pub fn rustsec_archive(data: &[u8]) {
    use crate::advisory::local::{MAX_ARCHIVE_ENTRIES, MAX_ARCHIVE_FILE, MAX_ARCHIVE_PATH, read_rustsec_archive};
    let mut files: BTreeMap<String, usize> = BTreeMap::new();
    let result = read_rustsec_archive(data, &mut |path, contents| {
        assert!(path.len() <= MAX_ARCHIVE_PATH, "a path longer than the limit: {path:?}");
        assert!(contents.len() as u64 <= MAX_ARCHIVE_FILE, "a file larger than the limit: {path:?}");
        assert!(path.split('/').all(|c| !c.is_empty() && c != "." && c != ".."), "an unsafe component: {path:?}");
        assert!(!path.contains(['\\', '\0', ':']), "an unsafe character: {path:?}");
        assert!(
            path.starts_with("crates/")
                || path.starts_with("rust/")
                || path == "README.md"
                || (path.starts_with("LICENSE") && !path.contains('/')),
            "a file outside what is kept: {path:?}"
        );
        assert!(files.insert(path.to_owned(), contents.len()).is_none(), "{path:?} given twice");
        Ok(())
    });
    assert!(files.len() <= MAX_ARCHIVE_ENTRIES, "more files than entries allowed");
    if let Ok(extracted) = result {
        assert_eq!(extracted.files, files.len(), "the count of files given");
        assert_eq!(extracted.bytes, files.values().map(|&n| n as u64).sum::<u64>(), "the bytes given");
        assert!(files.keys().any(|p| p.starts_with("crates/")), "accepted without crates/");
        assert!(
            extracted.commit.as_ref().is_none_or(|c| c.len() == 40 && crate::model::is_hex(c)),
            "a commit that is not 40 hex digits: {:?}",
            extracted.commit
        );
    }
}
