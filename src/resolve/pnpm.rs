//! `pnpm-lock.yaml`: lockfile versions 5.0 to 5.4 (pnpm 5 to 7), 6.0 and 6.1 (pnpm 8), 7.0
//! (pnpm 9 pre-releases) and 9.0 (pnpm 9 and 10).
//!
//! # Layout
//!
//! - `lockfileVersion`: a number in 5.x (`5.4`), a string from 6.0 on (`'9.0'`). pnpm never
//!   wrote 8.x; 7.0 was written by pnpm 9 pre-releases with the 9.0 layout (it is read as 9.0
//!   when it has `snapshots`, else as 6.x). Other versions are
//!   [`ResolveErrorKind::UnsupportedFormatVersion`].
//! - `importers`: one entry per workspace project (`.` is the root, `packages/x` a member),
//!   with `dependencies`, `devDependencies` and `optionalDependencies`. Their values are
//!   `{specifier, version}` maps (6.0+) or plain versions next to a separate `specifiers` map
//!   (5.x). Single-project 5.x and 6.x lockfiles have these maps at the top level instead.
//!   Importers become first-party [`PackageSource::Path`] packages; the root importer is the
//!   lockfile's root package. A `link:../x` version points at another importer.
//! - `packages`: one entry per key, each one [`Package`] (the count SOURCES.md makes). Keys
//!   are dependency paths:
//!   - 5.x: `/name/1.0.0`, `/@scope/name/1.0.0`, with a peer suffix after `_`
//!     (`/react-dom/18.2.0_react@18.2.0`, or a hash when long);
//!   - 6.x: `/name@1.0.0`, with peer suffixes in parentheses (`/x@1.0.0(react@18.2.0)`);
//!   - 9.0: `name@1.0.0` without peers; the peer variants are keys of `snapshots`, which hold
//!     the dependency edges (`dependencies`, `optionalDependencies`). A package's edges are the
//!     union of its snapshots' edges.
//!
//!   Peer-suffix variants of one package in 5.x/6.x are separate keys and so separate
//!   packages with the same identity (the graph merges them later). The suffix is never part
//!   of the version. Keys that are not registry paths (`github.com/o/r/<sha>`, `file:../x`,
//!   `host/path/x.tgz`, `name@https://…`) take their name and version from the entry's
//!   `name:`/`version:` fields; a 5.x/6.x key with a host (`registry.example.com/x/1.0.0`)
//!   names a registry on that host.
//! - `resolution`: `integrity` (SRI, to [`Checksum`]s), `tarball` (via [`node::source_of`]; a
//!   `codeload.github.com/o/r/tar.gz/<sha>` tarball is that GitHub commit), `{type: git, repo,
//!   commit}`, `{type: directory, directory}`.
//!
//! # Edges
//!
//! A dependency `name: reference` turns into the key it points at as pnpm's dependency-path
//! `refToRelative` does: `link:` references point at importers; in 5.x/6.x a `file:`
//! reference, or one with a `/` before any `(`, is a key already (an alias `/bar/1.0.0`, a git
//! key `github.com/o/r/<sha>`), anything else is a version (`/name/ref`, `/name@ref`, peer
//! suffix included as written); in 9.0 a reference starting with `@`, or with an `@` before any
//! `:` and `(`, is a key (an alias `bar@1.0.0`), else it is `name@ref`. An alias (`foo:
//! /bar/1.0.0`, `foo: bar@1.0.0`) installs package `bar` under the name `foo`
//! ([`Package::alias`]).
//!
//! # Scopes
//!
//! 5.x and 6.x entries carry pnpm's own verdict: `dev: true` is dev-only (excluded, reached by
//! dev), `dev: false` production, no `dev` both (required), `optional: true` optional. 9.0 has
//! no such flags: scopes come from the importers' dependency kinds through
//! [`node::apply_scopes`]. Either way `direct` means "a dependency of an importer".
//!
//! `requiresBuild: true` (5.x/6.x; gone in 9.0) sets [`Package::install_script`]: pnpm expects
//! to run a build step (install scripts, `binding.gyp`). pnpm 7 and 8 also write it, with
//! `--lockfile-only`, for optional packages they did not look into, so it is pnpm's
//! expectation, not proof.
//!
//! # Errors
//!
//! Not UTF-8, not YAML, not a mapping with a `lockfileVersion`, an unknown version, a section
//! of the wrong type or a duplicated key (which pnpm's own YAML reader rejects) make the file
//! fail ([`Err`]). Problems of single entries do not hide the rest of the lockfile: an entry
//! whose name and version cannot be known, a broken `integrity`, and an edge that matches no
//! key ([`ResolveErrorKind::DanglingDependency`], with the line of the dependency) are
//! [`ResolveError`]s in [`Resolved::errors`], so the run reports them (and fails) while every
//! other package is still listed. A missing optional dependency is not an error: pnpm leaves
//! out optional packages of other platforms.
//!
//! # YAML
//!
//! The file is read with `saphyr-parser`'s event parser into a small tree with line numbers.
//! Aliases (`*x`) are refused (pnpm never writes them; expanding them is how "YAML bombs"
//! explode), nesting is limited to [`MAX_DEPTH`] levels, and the tree is built without
//! recursion. A file with several documents (pnpm 10 puts its config-dependency "env lockfile"
//! first) is read from its last document that has a `lockfileVersion`.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use saphyr_parser::{Event, Parser, ScalarStyle};

use super::node::{self, Edge};
use super::{ResolveError, ResolveErrorKind, ResolveOptions, Resolved, Resolver, Warning};
use crate::model::{Checksum, DependencyKind, Ecosystem, LineSpan, Package, PackageSource, RootComponent, Scope};
use crate::source::Source;

/// The deepest nesting of YAML collections read (pnpm writes at most 5).
pub const MAX_DEPTH: usize = 64;

/// The versions chainward reads, as error messages say them.
const SUPPORTED: &str = "5.0 to 5.4, 6.0, 6.1, 7.0 and 9.0";

/// Reads `pnpm-lock.yaml`.
#[derive(Debug, Clone, Copy, Default)]
pub struct PnpmLockResolver;

impl Resolver for PnpmLockResolver {
    fn name(&self) -> &'static str {
        "pnpm"
    }

    /// `pnpm-lock.yaml`, except pnpm's own copy in `node_modules/.pnpm/lock.yaml` (a different
    /// name) and any lockfile inside `node_modules` (an installed package's, not the project's).
    fn claims(&self, path: &Path) -> bool {
        super::node::claims_named(path, &["pnpm-lock.yaml"])
    }

    fn resolve(
        &self,
        source: &dyn Source,
        path: &str,
        bytes: &[u8],
        options: &ResolveOptions,
    ) -> Result<Resolved, ResolveError> {
        let text = super::utf8(path, bytes)?;
        let docs = parse_yaml(text)
            .map_err(|(line, message)| ResolveError::new(path, line, ResolveErrorKind::Yaml(message)))?;
        let doc = docs.iter().rev().find(|d| d.get("lockfileVersion").is_some()).ok_or_else(|| {
            let line = docs.first().map(Node::line);
            ResolveError::new(
                path,
                line,
                ResolveErrorKind::Format(
                    "not a pnpm lockfile: no `lockfileVersion` mapping key (pnpm writes one first)".to_owned(),
                ),
            )
        })?;
        Lock::new(source, path, doc, options)?.resolve()
    }
}

// ---------------------------------------------------------------------------------------------
// YAML

/// A YAML node with its lines.
#[derive(Debug)]
enum Node<'a> {
    /// A scalar; `plain` for unquoted ones (where `~`, `null` and nothing mean null).
    Scalar { value: Cow<'a, str>, plain: bool, line: usize, last: usize },
    /// A mapping, entries in file order.
    Map { entries: Vec<(Node<'a>, Node<'a>)>, line: usize, last: usize },
    /// A sequence (its items are not needed).
    Seq { line: usize, last: usize },
}

const EMPTY: &[(Node<'static>, Node<'static>)] = &[];

impl<'a> Node<'a> {
    /// The first line.
    fn line(&self) -> usize {
        match self {
            Node::Scalar { line, .. } | Node::Map { line, .. } | Node::Seq { line, .. } => *line,
        }
    }

    /// The last line with content (of a scalar or of any scalar inside).
    fn last(&self) -> usize {
        match self {
            Node::Scalar { last, .. } | Node::Map { last, .. } | Node::Seq { last, .. } => *last,
        }
    }

    /// The value of a non-null scalar.
    fn str(&self) -> Option<&str> {
        match self {
            Node::Scalar { value, plain, .. } => {
                let null = *plain && matches!(value.as_ref(), "" | "~" | "null" | "Null" | "NULL");
                (!null).then_some(value.as_ref())
            }
            _ => None,
        }
    }

    fn is_null(&self) -> bool {
        matches!(self, Node::Scalar { .. }) && self.str().is_none()
    }

    /// The entries of a mapping (none for anything else).
    fn entries(&self) -> &[(Node<'a>, Node<'a>)] {
        match self {
            Node::Map { entries, .. } => entries,
            _ => EMPTY,
        }
    }

    /// The value of `key` in a mapping.
    fn get(&self, key: &str) -> Option<&Node<'a>> {
        self.entries().iter().find(|(k, _)| k.str() == Some(key)).map(|(_, v)| v)
    }

    /// The scalar value of `key`.
    fn get_str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Node::str)
    }

    /// `key: true`
    fn flag(&self, key: &str) -> Option<bool> {
        match self.get_str(key)? {
            "true" | "True" | "TRUE" => Some(true),
            "false" | "False" | "FALSE" => Some(false),
            _ => None,
        }
    }
}

/// A collection being built.
enum Frame<'a> {
    Map { entries: Vec<(Node<'a>, Node<'a>)>, key: Option<Node<'a>>, line: usize, last: usize },
    Seq { line: usize, last: usize },
}

/// Every document of `text` as a tree, or the line and message of the first error.
fn parse_yaml(text: &str) -> Result<Vec<Node<'_>>, (Option<usize>, String)> {
    let mut parser = Parser::new_from_str(text);
    let mut docs = Vec::new();
    let mut stack: Vec<Frame<'_>> = Vec::new();
    // The parser places an empty value at the end of a file without a final newline one line
    // below the last: every line stays within the text.
    let max_line = text.split('\n').count();
    while let Some(next) = parser.next_event() {
        let (event, span) = next.map_err(|e| (Some(e.marker().line().min(max_line)), e.info().to_owned()))?;
        let line = span.start.line().clamp(1, max_line);
        let node = match event {
            Event::StreamEnd => break,
            Event::Nothing | Event::StreamStart | Event::DocumentStart(_) | Event::DocumentEnd => continue,
            Event::Alias(_) => {
                return Err((
                    Some(line),
                    "YAML aliases (`*name`) are not read: pnpm never writes them, and expanding them can blow up"
                        .to_owned(),
                ));
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                if stack.len() >= MAX_DEPTH {
                    return Err((Some(line), format!("YAML nested deeper than {MAX_DEPTH} levels")));
                }
                stack.push(if matches!(event, Event::MappingStart(..)) {
                    Frame::Map { entries: Vec::new(), key: None, line, last: line }
                } else {
                    Frame::Seq { line, last: line }
                });
                continue;
            }
            Event::Scalar(value, style, ..) => {
                let last = span.end.line().clamp(line, max_line);
                Node::Scalar { value, plain: style == ScalarStyle::Plain, line, last }
            }
            Event::MappingEnd | Event::SequenceEnd => match stack.pop() {
                Some(Frame::Map { entries, key, line, last }) => {
                    if let Some(key) = key {
                        // A key without a value cannot come from the parser; keep it as null.
                        let at = key.last();
                        let null = Node::Scalar { value: Cow::Borrowed(""), plain: true, line: at, last: at };
                        let mut entries = entries;
                        entries.push((key, null));
                        Node::Map { entries, line, last }
                    } else {
                        Node::Map { entries, line, last }
                    }
                }
                Some(Frame::Seq { line, last }) => Node::Seq { line, last },
                None => return Err((Some(line), "unbalanced YAML collection".to_owned())),
            },
        };
        let node_last = node.last();
        match stack.last_mut() {
            None => docs.push(node),
            Some(Frame::Map { entries, key, last, .. }) => {
                *last = (*last).max(node_last);
                match key.take() {
                    None => *key = Some(node),
                    Some(k) => entries.push((k, node)),
                }
            }
            Some(Frame::Seq { last, .. }) => *last = (*last).max(node_last),
        }
    }
    Ok(docs)
}

// ---------------------------------------------------------------------------------------------
// Dependency paths

/// The lockfile layout a `lockfileVersion` selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// 5.x: `/name/1.0.0_peer`
    V5,
    /// 6.x (and 7.0 without `snapshots`): `/name@1.0.0(peer)`
    V6,
    /// 9.0 (and 7.0 with `snapshots`): `name@1.0.0`, peers in `snapshots`
    V9,
}

/// A `semver.valid` version (node-semver also takes a leading `v` or `=`).
fn valid_semver(v: &str) -> bool {
    let v = v.strip_prefix(['v', '=']).unwrap_or(v);
    semver::Version::parse(v).is_ok()
}

/// The byte index where the trailing parenthesised peer suffix of a key starts
/// (`x@1.0.0(a@1(b@2))(c@3)` → at the first `(`), as pnpm's `indexOfPeersSuffix`.
fn peers_suffix_start(key: &str) -> Option<usize> {
    let bytes = key.as_bytes();
    if bytes.last() != Some(&b')') {
        return None;
    }
    let mut depth = 0usize;
    for i in (0..bytes.len()).rev() {
        match bytes.get(i) {
            Some(b')') => depth += 1,
            Some(b'(') => {
                depth = depth.checked_sub(1)?;
                if depth == 0 && (i == 0 || bytes.get(i - 1) != Some(&b')')) {
                    return Some(i);
                }
            }
            _ if depth == 0 => return None,
            _ => {}
        }
    }
    None
}

/// `key` without its parenthesised peer suffix.
fn without_peers(key: &str) -> &str {
    peers_suffix_start(key).and_then(|i| key.get(..i)).unwrap_or(key)
}

/// A registry package read from a dependency path: its host (for keys with one), name and
/// version (without the peer suffix).
#[derive(Debug, Clone, PartialEq, Eq)]
struct DepPath<'k> {
    host: Option<&'k str>,
    name: &'k str,
    version: &'k str,
}

/// Read a `packages` key as pnpm's dependency-path `parse` does; `None` when it has no valid
/// semver version (git, file and tarball keys, or garbage).
fn parse_dep_path(key: &str, layout: Layout) -> Option<DepPath<'_>> {
    if layout == Layout::V9 {
        let at = key.get(1..)?.find('@')? + 1;
        let name = key.get(..at)?;
        let version = without_peers(key.get(at + 1..)?);
        return (!name.is_empty() && valid_semver(version)).then_some(DepPath { host: None, name, version });
    }
    let (host, rest) = if let Some(rest) = key.strip_prefix('/') {
        (None, rest)
    } else {
        let (host, rest) = key.split_once('/')?;
        (Some(host), rest)
    };
    // 6.x `name@version`.
    if layout == Layout::V6 {
        let head = rest.get(..peers_suffix_start(rest).unwrap_or(rest.len()))?;
        if let Some(at) = head.get(1..).and_then(|h| h.rfind('@')).map(|i| i + 1) {
            let name = head.get(..at)?;
            let version = head.get(at + 1..)?;
            let name_ok = if name.starts_with('@') { name.matches('/').count() == 1 } else { !name.contains('/') };
            if name_ok && !name.is_empty() && valid_semver(version) {
                return Some(DepPath { host, name, version });
            }
        }
    }
    // 5.x `name/version`.
    let name_len = if rest.starts_with('@') {
        let first = rest.find('/')?;
        first + 1 + rest.get(first + 1..)?.find('/')?
    } else {
        rest.find('/')?
    };
    let name = rest.get(..name_len)?;
    let mut version = rest.get(name_len + 1..)?;
    if version.contains('(') && version.ends_with(')') {
        version = version.get(..version.find('(')?)?;
    } else if let Some(i) = version.find('_') {
        version = version.get(..i)?;
    }
    (!name.is_empty() && valid_semver(version)).then_some(DepPath { host, name, version })
}

/// What a dependency reference points at.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target<'r> {
    /// `link:PATH`: a directory, relative to the declaring importer.
    Link(&'r str),
    /// A `packages` key (5.x/6.x) or `snapshots` key (9.0).
    Key(Cow<'r, str>),
}

/// The key a dependency `name: reference` points at, as pnpm's `refToRelative`.
fn ref_to_key<'r>(layout: Layout, name: &str, reference: &'r str) -> Target<'r> {
    if let Some(path) = reference.strip_prefix("link:") {
        return Target::Link(path);
    }
    match layout {
        Layout::V5 | Layout::V6 => {
            if reference.starts_with("file:") {
                return Target::Key(Cow::Borrowed(reference));
            }
            let head = reference.split('(').next().unwrap_or(reference);
            if head.contains('/') {
                Target::Key(Cow::Borrowed(reference))
            } else if layout == Layout::V5 {
                Target::Key(Cow::Owned(format!("/{name}/{reference}")))
            } else {
                Target::Key(Cow::Owned(format!("/{name}@{reference}")))
            }
        }
        Layout::V9 => {
            if reference.starts_with('@') {
                return Target::Key(Cow::Borrowed(reference));
            }
            let Some(at) = reference.find('@') else {
                return Target::Key(Cow::Owned(format!("{name}@{reference}")));
            };
            let before = |c: char| reference.find(c).is_none_or(|i| at < i);
            if before(':') && before('(') {
                Target::Key(Cow::Borrowed(reference))
            } else {
                Target::Key(Cow::Owned(format!("{name}@{reference}")))
            }
        }
    }
}

/// The GitHub commit a `codeload.github.com/OWNER/REPO/tar.gz/SHA` tarball is.
fn codeload_commit(url: &str) -> Option<PackageSource> {
    let rest = url.strip_prefix("https://codeload.github.com/")?;
    let mut parts = rest.split('/');
    let (owner, repo, kind, commit) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    (kind == "tar.gz" && node::is_commit(commit) && parts.next().is_none()).then(|| PackageSource::Git {
        url: format!("https://github.com/{owner}/{repo}.git"),
        reference: None,
        commit: Some(commit.to_ascii_lowercase()),
    })
}

// ---------------------------------------------------------------------------------------------
// The lockfile

/// One importer (workspace project).
struct Importer<'d, 'a> {
    /// Its directory relative to the lockfile, normalised (`.`, `packages/x`).
    dir: String,
    node: &'d Node<'a>,
}

/// One package entry (or, for 9.0, one `packages` key).
struct Entry<'d, 'a> {
    key: &'d str,
    line: usize,
    node: &'d Node<'a>,
}

struct Lock<'s, 'd, 'a> {
    source: &'s dyn Source,
    path: &'s str,
    base_dir: String,
    layout: Layout,
    options: &'s ResolveOptions,
    doc: &'d Node<'a>,
    importers: Vec<Importer<'d, 'a>>,
    entries: Vec<Entry<'d, 'a>>,
    errors: Vec<ResolveError>,
    warnings: Vec<Warning>,
}

/// The entries of section `name` of the document: empty when absent or null, an error when it
/// is not a mapping, or has a key twice (pnpm's YAML reader refuses duplicated keys).
fn section<'d, 'a>(path: &str, doc: &'d Node<'a>, name: &str) -> Result<&'d [(Node<'a>, Node<'a>)], ResolveError> {
    match doc.get(name) {
        None => Ok(EMPTY),
        Some(n) if n.is_null() => Ok(EMPTY),
        Some(Node::Map { entries, .. }) => {
            let mut seen = std::collections::HashSet::with_capacity(entries.len());
            for (k, _) in entries {
                let Some(key) = k.str() else {
                    return Err(ResolveError::new(
                        path,
                        Some(k.line()),
                        ResolveErrorKind::Yaml(format!("a key of `{name}` is not a string")),
                    ));
                };
                if !seen.insert(key) {
                    return Err(ResolveError::new(
                        path,
                        Some(k.line()),
                        ResolveErrorKind::Yaml(format!("`{name}` has the key `{key}` twice")),
                    ));
                }
            }
            Ok(entries)
        }
        Some(n) => {
            Err(ResolveError::new(path, Some(n.line()), ResolveErrorKind::Yaml(format!("`{name}` must be a mapping"))))
        }
    }
}

/// The dependency maps of an importer, with the kind each gives.
const IMPORTER_KINDS: [(&str, DependencyKind); 3] = [
    ("dependencies", DependencyKind::Normal),
    ("optionalDependencies", DependencyKind::Optional),
    ("devDependencies", DependencyKind::Dev),
];

/// The dependency maps of a package or snapshot (peers are resolved into `dependencies`).
const PACKAGE_KINDS: [(&str, DependencyKind); 2] =
    [("dependencies", DependencyKind::Normal), ("optionalDependencies", DependencyKind::Optional)];

impl<'s, 'd, 'a> Lock<'s, 'd, 'a> {
    fn new(
        source: &'s dyn Source,
        path: &'s str,
        doc: &'d Node<'a>,
        options: &'s ResolveOptions,
    ) -> Result<Self, ResolveError> {
        let version_node = doc.get("lockfileVersion");
        let version = version_node.and_then(Node::str).unwrap_or_default();
        let line = version_node.map(Node::line);
        let layout = match version {
            "5" | "5.0" | "5.1" | "5.2" | "5.3" | "5.4" => Layout::V5,
            "7.0" if doc.get("snapshots").is_some() => Layout::V9,
            "6" | "6.0" | "6.1" | "7.0" => Layout::V6,
            "9" | "9.0" => Layout::V9,
            other => {
                return Err(ResolveError::new(
                    path,
                    line,
                    ResolveErrorKind::UnsupportedFormatVersion {
                        format: "pnpm-lock.yaml lockfileVersion",
                        version: if other.is_empty() { "(empty)".to_owned() } else { other.to_owned() },
                        supported: SUPPORTED,
                    },
                ));
            }
        };
        let mut importers = Vec::new();
        if doc.get("importers").is_some() {
            for (k, v) in section(path, doc, "importers")? {
                let dir = node::join_dir(".", k.str().unwrap_or_default());
                if importers.iter().any(|i: &Importer<'_, '_>| i.dir == dir) {
                    return Err(ResolveError::new(
                        path,
                        Some(k.line()),
                        ResolveErrorKind::Yaml(format!("importer `{dir}` appears twice")),
                    ));
                }
                importers.push(Importer { dir, node: v });
            }
        }
        if !importers.iter().any(|i| i.dir == ".") {
            // Single-project lockfiles keep the root's dependencies at the top level; a
            // workspace whose root has no dependencies has none: either way the root exists.
            let root = if doc.get("importers").is_none() { doc } else { &NULL_NODE };
            importers.insert(0, Importer { dir: ".".to_owned(), node: root });
        } else if let Some(at) = importers.iter().position(|i| i.dir == ".") {
            let root = importers.remove(at);
            importers.insert(0, root);
        }
        for name in IMPORTER_KINDS.iter().map(|(n, _)| *n) {
            for importer in &importers {
                if let Some(n) = importer.node.get(name)
                    && !n.is_null()
                    && !matches!(n, Node::Map { .. })
                {
                    return Err(ResolveError::new(
                        path,
                        Some(n.line()),
                        ResolveErrorKind::Yaml(format!("`{name}` must be a mapping")),
                    ));
                }
            }
        }
        let entries = section(path, doc, "packages")?
            .iter()
            .map(|(k, v)| Entry { key: k.str().unwrap_or_default(), line: k.line(), node: v })
            .collect();
        Ok(Lock {
            source,
            path,
            base_dir: super::cargo::parent_dir(path),
            layout,
            options,
            doc,
            importers,
            entries,
            errors: Vec::new(),
            warnings: Vec::new(),
        })
    }

    fn error(&mut self, line: usize, kind: ResolveErrorKind) {
        self.errors.push(ResolveError::new(self.path, Some(line), kind));
    }

    /// The package of one `packages` entry, or `None` (with an error) when its name or version
    /// cannot be known.
    fn package(&mut self, entry: &Entry<'_, '_>) -> Option<Package> {
        let node = entry.node;
        let key = entry.key;
        let parsed = parse_dep_path(key, self.layout);
        let field_name = node.get_str("name");
        let field_version = node.get_str("version");
        let (name, version) = match (field_name, parsed.as_ref()) {
            (Some(name), _) => (name, field_version.or(parsed.as_ref().map(|p| p.version))),
            (None, Some(p)) => (p.name, Some(p.version)),
            (None, None) if self.layout == Layout::V9 => {
                // `name@https://…`, `name@file:…`: the name is in the key, the version a field.
                let at = key.get(1..).and_then(|k| k.find('@')).map(|i| i + 1);
                match at.and_then(|at| key.get(..at)) {
                    Some(name) => (name, field_version),
                    None => ("", None),
                }
            }
            (None, None) => ("", None),
        };
        let Some(version) = version.filter(|_| !name.is_empty()) else {
            let what = if name.is_empty() { "no package name" } else { "no version" };
            self.error(
                entry.line,
                ResolveErrorKind::InvalidPackage(format!(
                    "`{key}`: {what} (not a registry dependency path, and no `name:`/`version:` fields)"
                )),
            );
            return None;
        };
        let resolution = node.get("resolution");
        let field = |k: &str| resolution.and_then(|r| r.get_str(k));
        let source = if let Some(dir) = field("directory") {
            PackageSource::Path { dir: node::join_dir(&self.base_dir, dir) }
        } else if field("type") == Some("git") || field("commit").is_some() {
            let repo = field("repo").unwrap_or_default();
            let commit = field("commit").map(str::to_ascii_lowercase);
            match (node::git_source(&format!("{repo}#{}", commit.as_deref().unwrap_or_default())), &commit) {
                (Some(PackageSource::Git { url, .. }), _) => PackageSource::Git { url, reference: None, commit },
                _ => PackageSource::Git { url: repo.to_owned(), reference: None, commit },
            }
        } else if let Some(tarball) = field("tarball") {
            codeload_commit(tarball).unwrap_or_else(|| node::source_of(Some(tarball), name, &self.base_dir))
        } else if let Some(path) = key.strip_prefix("file:").or_else(|| key.strip_prefix("link:")) {
            PackageSource::Path { dir: node::join_dir(&self.base_dir, path) }
        } else if let Some(host) = parsed.as_ref().and_then(|p| p.host) {
            if host == "registry.npmjs.org" || host == "registry.yarnpkg.com" {
                node::npm_registry()
            } else {
                PackageSource::Registry { url: format!("https://{host}"), sparse: false, default_registry: false }
            }
        } else {
            node::npm_registry()
        };
        let mut package = Package::new(Ecosystem::Npm, name.to_owned(), version.to_owned(), source);
        if let Some(integrity) = field("integrity") {
            match Checksum::from_sri(integrity) {
                Ok(sums) => package.checksums = sums,
                Err(reason) => {
                    let line = resolution.map_or(entry.line, Node::line);
                    self.error(line, ResolveErrorKind::InvalidPackage(format!("`{name} {version}`: {reason}")));
                }
            }
        }
        package.lines = Some(LineSpan { start: entry.line, end: node.last().max(entry.line) });
        if node.flag("requiresBuild") == Some(true) {
            package.install_script = Some(true);
        }
        Some(package)
    }

    fn resolve(mut self) -> Result<Resolved, ResolveError> {
        // Importers first (the root at 0), then one package per `packages` key.
        let mut packages: Vec<Package> = Vec::with_capacity(self.importers.len() + self.entries.len());
        for importer in &self.importers {
            let dir = node::join_dir(&self.base_dir, &importer.dir);
            let mut p = Package::new(Ecosystem::Npm, String::new(), String::new(), PackageSource::Path { dir });
            p.first_party = true;
            p.scope = Some(Scope::Required);
            packages.push(p);
        }
        let importer_count = packages.len();
        // Key → index into `packages`.
        let mut by_key: HashMap<&str, usize> = HashMap::with_capacity(self.entries.len());
        let entries = std::mem::take(&mut self.entries);
        let importers = std::mem::take(&mut self.importers);
        let mut entry_of: Vec<Option<usize>> = Vec::with_capacity(importer_count + entries.len());
        entry_of.resize(importer_count, None);
        for (e, entry) in entries.iter().enumerate() {
            if let Some(p) = self.package(entry) {
                by_key.insert(entry.key, packages.len());
                packages.push(p);
                entry_of.push(Some(e));
            }
        }
        let importer_at: HashMap<&str, usize> =
            importers.iter().enumerate().map(|(i, imp)| (imp.dir.as_str(), i)).collect();

        // Snapshots (9.0): key → the package it is a variant of, and its node.
        let snapshots: HashMap<&str, (usize, &Node<'_>)> = if self.layout == Layout::V9 {
            let mut map = HashMap::new();
            for (k, v) in section(self.path, self.doc, "snapshots")? {
                let key = k.str().unwrap_or_default();
                match by_key.get(without_peers(key)) {
                    Some(&i) => {
                        map.insert(key, (i, v));
                    }
                    None => self.error(
                        k.line(),
                        ResolveErrorKind::InvalidPackage(format!(
                            "snapshot `{key}` has no `packages` entry `{}`",
                            without_peers(key)
                        )),
                    ),
                }
            }
            map
        } else {
            HashMap::new()
        };

        let mut edges: Vec<Vec<Edge>> = vec![Vec::new(); packages.len()];
        // The names each package is installed under (for aliases).
        let mut installed_as: Vec<BTreeSet<&str>> = vec![BTreeSet::new(); packages.len()];
        // Link names of importers, for members without a readable package.json.
        let mut link_names: Vec<Option<&str>> = vec![None; importer_count];

        let layout = self.layout;
        let mut dangling = Vec::new();
        let mut resolve_edge = |from: usize,
                                importer_dir: Option<&str>,
                                dep: &'d Node<'a>,
                                reference: &'d Node<'a>,
                                kind: DependencyKind,
                                edges: &mut Vec<Vec<Edge>>,
                                installed_as: &mut Vec<BTreeSet<&'d str>>,
                                link_names: &mut Vec<Option<&'d str>>| {
            let Some(name) = dep.str() else { return };
            // Importers in 6.0+ write `{specifier, version}`; 5.x and packages a plain version.
            let reference = match reference {
                Node::Map { .. } => reference.get_str("version"),
                other => other.str(),
            };
            let Some(reference) = reference else {
                dangling.push((dep.line(), from, name.to_owned(), String::from("(no version)"), kind));
                return;
            };
            match ref_to_key(layout, name, reference) {
                Target::Link(link) => {
                    let dir = node::join_dir(importer_dir.unwrap_or("."), link);
                    if let Some(&to) = importer_at.get(dir.as_str()) {
                        if let Some(slot) = link_names.get_mut(to)
                            && slot.is_none()
                        {
                            *slot = Some(name);
                        }
                        if let Some(list) = edges.get_mut(from) {
                            list.push(Edge { to, kind });
                        }
                    }
                    // A link to a directory that is not a project of this lockfile (pnpm
                    // `link:` to anywhere): nothing in the lockfile to point at.
                }
                Target::Key(key) => {
                    let to = if layout == Layout::V9 {
                        snapshots.get(key.as_ref()).map(|(i, _)| *i)
                    } else {
                        by_key.get(key.as_ref()).copied()
                    };
                    match to {
                        Some(to) => {
                            if let Some(list) = edges.get_mut(from) {
                                list.push(Edge { to, kind });
                            }
                            if let Some(names) = installed_as.get_mut(to) {
                                names.insert(name);
                            }
                        }
                        None => dangling.push((dep.line(), from, name.to_owned(), key.into_owned(), kind)),
                    }
                }
            }
        };

        for (i, importer) in importers.iter().enumerate() {
            for (section_name, kind) in IMPORTER_KINDS {
                for (dep, reference) in importer.node.get(section_name).map(Node::entries).unwrap_or_default() {
                    resolve_edge(
                        i,
                        Some(&importer.dir),
                        dep,
                        reference,
                        kind,
                        &mut edges,
                        &mut installed_as,
                        &mut link_names,
                    );
                }
            }
        }
        if layout == Layout::V9 {
            let mut snapshot_list: Vec<(&str, &(usize, &Node<'_>))> = snapshots.iter().map(|(k, v)| (*k, v)).collect();
            snapshot_list.sort_unstable_by_key(|(_, (_, n))| n.line());
            for (_, &(from, node)) in snapshot_list {
                for (section_name, kind) in PACKAGE_KINDS {
                    for (dep, reference) in node.get(section_name).map(Node::entries).unwrap_or_default() {
                        resolve_edge(from, None, dep, reference, kind, &mut edges, &mut installed_as, &mut link_names);
                    }
                }
            }
        } else {
            for (from, e) in entry_of.iter().enumerate() {
                let Some(entry) = e.and_then(|e| entries.get(e)) else { continue };
                for (section_name, kind) in PACKAGE_KINDS {
                    for (dep, reference) in entry.node.get(section_name).map(Node::entries).unwrap_or_default() {
                        resolve_edge(from, None, dep, reference, kind, &mut edges, &mut installed_as, &mut link_names);
                    }
                }
            }
        }
        for list in &mut edges {
            list.sort_unstable();
            list.dedup();
        }

        // Importer names and versions.
        for (i, importer) in importers.iter().enumerate() {
            let manifest = if self.options.lockfile_only { None } else { self.manifest(&importer.dir) };
            let Some(p) = packages.get_mut(i) else { continue };
            let fallback_name = || {
                if let Some(name) = link_names.get(i).copied().flatten() {
                    return name.to_owned();
                }
                let dir = node::join_dir(&self.base_dir, &importer.dir);
                super::dir_name(self.source, &dir).unwrap_or_else(|| "root".to_owned())
            };
            p.name = manifest.as_ref().and_then(|m| m.name.clone()).unwrap_or_else(fallback_name);
            p.version = manifest.and_then(|m| m.version).unwrap_or_default();
        }

        for (line, from, name, key, kind) in dangling {
            // pnpm leaves out optional packages it does not install (other platforms).
            if kind == DependencyKind::Optional {
                continue;
            }
            let package = packages.get(from).map(label).unwrap_or_default();
            let dependency = format!("{name}: {key}");
            self.error(line, ResolveErrorKind::DanglingDependency { package, dependency });
        }
        // Aliases: a package installed only under other names than its own.
        for (p, names) in packages.iter_mut().zip(&installed_as).skip(importer_count) {
            if !names.is_empty() && !names.contains(p.name.as_str()) {
                p.alias = names.iter().next().map(|n| (*n).to_owned());
            }
        }

        node::apply_scopes(&mut packages, &edges);
        if layout != Layout::V9 {
            // pnpm's own verdicts, where it wrote them.
            let flagged = entries.iter().any(|e| e.node.get("dev").is_some() || e.node.get("optional").is_some());
            if flagged {
                for (p, e) in packages.iter_mut().zip(&entry_of) {
                    let Some(entry) = e.and_then(|e| entries.get(e)) else { continue };
                    let dev = entry.node.flag("dev");
                    let optional = entry.node.flag("optional") == Some(true);
                    p.reached_by.clear();
                    p.scope = Some(if dev == Some(true) {
                        p.reached_by.insert(DependencyKind::Dev);
                        Scope::Excluded
                    } else if optional {
                        Scope::Optional
                    } else {
                        Scope::Required
                    });
                }
            }
        }

        Ok(Resolved {
            path: self.path.to_owned(),
            packages,
            root: RootComponent::Package(0),
            warnings: self.warnings,
            errors: self.errors,
        })
    }

    /// The `package.json` of an importer, when it is inside the tree and readable. A malformed
    /// one is a warning (the lockfile is still complete).
    fn manifest(&mut self, importer_dir: &str) -> Option<node::PackageJson> {
        let dir = node::join_dir(&self.base_dir, importer_dir);
        if dir.starts_with("..") || dir.starts_with('/') {
            return None;
        }
        let path = crate::source::join(&dir, "package.json");
        let bytes = self.source.read(&path).ok()?;
        match node::PackageJson::parse(&bytes) {
            Ok(m) => Some(m),
            Err(message) => {
                self.warnings.push(Warning { path, line: None, message: format!("not read: {message}") });
                None
            }
        }
    }
}

static NULL_NODE: Node<'static> = Node::Scalar { value: Cow::Borrowed(""), plain: true, line: 1, last: 1 };

/// `name version` of a package, as errors name it.
fn label(p: &Package) -> String {
    if p.version.is_empty() { p.name.clone() } else { format!("{} {}", p.name, p.version) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzzing::MemorySource;

    fn run(files: &[(&str, &str)], lockfile_only: bool) -> Result<Resolved, ResolveError> {
        let source = MemorySource::new(files.iter().map(|(p, t)| ((*p).to_owned(), t.as_bytes().to_vec())));
        let (path, text) = files.first().copied().unwrap_or_default();
        PnpmLockResolver.resolve(
            &source,
            path,
            text.as_bytes(),
            &ResolveOptions { lockfile_only, ..Default::default() },
        )
    }

    fn lock(text: &str) -> Resolved {
        run(&[("pnpm-lock.yaml", text)], false).unwrap()
    }

    fn find<'r>(r: &'r Resolved, name: &str, version: &str) -> (usize, &'r Package) {
        r.packages.iter().enumerate().find(|(_, p)| p.name == name && p.version == version).unwrap()
    }

    #[test]
    fn claims_project_lockfiles_only() {
        let claims = |p: &str| PnpmLockResolver.claims(Path::new(p));
        assert!(claims("pnpm-lock.yaml") && claims("apps/web/pnpm-lock.yaml"));
        assert!(!claims("node_modules/x/pnpm-lock.yaml") && !claims("node_modules/.pnpm/lock.yaml"));
        assert!(!claims("pnpm-lock.yml") && !claims("pnpm-workspace.yaml"));
    }

    #[test]
    fn dependency_paths_read_as_pnpm_reads_them() {
        let dp = |k, l| parse_dep_path(k, l).map(|d| (d.host, d.name, d.version));
        assert_eq!(dp("/foo/1.0.0", Layout::V5), Some((None, "foo", "1.0.0")));
        assert_eq!(dp("/@s/foo/1.0.0_react@18.2.0+x@1.0.0", Layout::V5), Some((None, "@s/foo", "1.0.0")));
        assert_eq!(dp("/foo/1.4.0_@types+babel__core@7.1.14", Layout::V5), Some((None, "foo", "1.4.0")));
        assert_eq!(dp("/a/5.13.0_33fffc354ccfa91fbe7d1677b9395a0a", Layout::V5), Some((None, "a", "5.13.0")));
        assert_eq!(
            dp("registry.npmjs.org/@foo/bar/1.1.0", Layout::V5),
            Some((Some("registry.npmjs.org"), "@foo/bar", "1.1.0"))
        );
        assert_eq!(dp("github.com/kevva/is-positive", Layout::V5), None);
        assert_eq!(dp("/foo/bar", Layout::V5), None);
        assert_eq!(dp("file:../x", Layout::V5), None);
        assert_eq!(dp("/react-dom@18.0.0-rc.3(react@18.2.0)", Layout::V6), Some((None, "react-dom", "18.0.0-rc.3")));
        assert_eq!(dp("/@s/x@1.0.0(@t/y@2.0.0)(z@3.0.0)", Layout::V6), Some((None, "@s/x", "1.0.0")));
        assert_eq!(dp("@s/x@1.0.0", Layout::V9), Some((None, "@s/x", "1.0.0")));
        assert_eq!(dp("x@https://codeload.github.com/o/r/tar.gz/abc", Layout::V9), None);
        assert_eq!(without_peers("a@1.0.0(b@1.0.0(c@2.0.0))(d@1.0.0)"), "a@1.0.0");
        assert_eq!(without_peers("a@1.0.0"), "a@1.0.0");
        assert_eq!(without_peers("a@file:x(y"), "a@file:x(y");
        assert_eq!(peers_suffix_start(")"), None);
        assert_eq!(peers_suffix_start("()"), Some(0));
    }

    #[test]
    fn references_turn_into_keys_as_ref_to_relative() {
        let key = |l, n, r| match ref_to_key(l, n, r) {
            Target::Key(k) => k.into_owned(),
            Target::Link(p) => format!("LINK {p}"),
        };
        assert_eq!(key(Layout::V5, "a", "1.0.0_b@2.0.0"), "/a/1.0.0_b@2.0.0");
        assert_eq!(key(Layout::V5, "foo", "/bar/1.0.0"), "/bar/1.0.0");
        assert_eq!(key(Layout::V5, "r", "github.com/o/r/abc"), "github.com/o/r/abc");
        assert_eq!(key(Layout::V5, "f", "file:../f"), "file:../f");
        assert_eq!(key(Layout::V6, "a", "1.0.0(@t/b@2.0.0)"), "/a@1.0.0(@t/b@2.0.0)");
        assert_eq!(key(Layout::V6, "foo", "/@s/bar@1.0.0"), "/@s/bar@1.0.0");
        assert_eq!(key(Layout::V9, "a", "1.0.0(b@2.0.0(c@1.0.0))"), "a@1.0.0(b@2.0.0(c@1.0.0))");
        assert_eq!(key(Layout::V9, "foo", "bar@1.0.0"), "bar@1.0.0");
        assert_eq!(key(Layout::V9, "foo", "@s/bar@1.0.0"), "@s/bar@1.0.0");
        assert_eq!(
            key(Layout::V9, "x", "https://codeload.github.com/o/r/tar.gz/abc"),
            "x@https://codeload.github.com/o/r/tar.gz/abc"
        );
        assert_eq!(
            key(Layout::V9, "x", "git+ssh://git@github.com/o/r.git#abc"),
            "x@git+ssh://git@github.com/o/r.git#abc"
        );
        assert_eq!(key(Layout::V9, "x", "file:../x"), "x@file:../x");
        assert_eq!(key(Layout::V9, "x", "link:../x"), "LINK ../x");
    }

    const V5: &str = "lockfileVersion: 5.4

specifiers:
  a: ^1.0.0
  alias: npm:real@^2.0.0
  d: ^1.0.0
  o: ^1.0.0

dependencies:
  a: 1.0.0_p@1.0.0
  alias: /real/2.0.0

optionalDependencies:
  o: 1.0.0

devDependencies:
  d: 1.0.0

packages:

  /a/1.0.0_p@1.0.0:
    resolution: {integrity: sha512-V/LGr1APy+PXIwKebEWrkZPwoeoF+w1jiOBUmuxuiUIaOHtob8Qc9BTrYo7VuI5fR8tqsy+buA2WFooR5olqvQ==}
    peerDependencies:
      p: ^1
    dependencies:
      p: 1.0.0
    requiresBuild: true
    dev: false

  /real/2.0.0:
    resolution: {integrity: sha1-2jmQH3MUs5NbvPGr8h3DPlCRQho=}
    dev: false

  /p/1.0.0:
    resolution: {tarball: https://npm.example.com/repo/p/-/p-1.0.0.tgz}

  /o/1.0.0:
    resolution: {integrity: sha512-V/LGr1APy+PXIwKebEWrkZPwoeoF+w1jiOBUmuxuiUIaOHtob8Qc9BTrYo7VuI5fR8tqsy+buA2WFooR5olqvQ==}
    optionalDependencies:
      gone: 1.0.0
    dev: false
    optional: true

  /d/1.0.0:
    resolution: {integrity: sha512-V/LGr1APy+PXIwKebEWrkZPwoeoF+w1jiOBUmuxuiUIaOHtob8Qc9BTrYo7VuI5fR8tqsy+buA2WFooR5olqvQ==}
    dev: true
";

    #[test]
    fn v5_single_project_uses_pnpm_flags_aliases_and_sources() {
        let res =
            run(&[("pnpm-lock.yaml", V5), ("package.json", r#"{"name": "app", "version": "1.2.3"}"#)], false).unwrap();
        assert!(res.errors.is_empty(), "{:?}", res.errors);
        assert_eq!(res.packages.len(), 6);
        let root = &res.packages[0];
        assert_eq!((root.name.as_str(), root.version.as_str(), root.first_party), ("app", "1.2.3", true));
        assert!(matches!(res.root, RootComponent::Package(0)));
        let (ai, pkg_a) = find(&res, "a", "1.0.0");
        assert_eq!((pkg_a.scope, pkg_a.install_script, pkg_a.direct), (Some(Scope::Required), Some(true), true));
        assert_eq!(pkg_a.lines, Some(LineSpan { start: 21, end: 28 }));
        let (pi, pkg_p) = find(&res, "p", "1.0.0");
        assert!(pkg_a.dependencies.contains(&pi) && root.dependencies.contains(&ai));
        // No `dev` flag: used by both production and dev.
        assert_eq!(pkg_p.scope, Some(Scope::Required));
        assert_eq!(
            pkg_p.source,
            PackageSource::Registry {
                url: "https://npm.example.com/repo".into(),
                sparse: false,
                default_registry: false
            }
        );
        let (_, real) = find(&res, "real", "2.0.0");
        assert_eq!(real.alias.as_deref(), Some("alias"));
        assert!(matches!(real.checksum(), Some(Checksum::Sha1(h)) if h == "da39901f7314b3935bbcf1abf21dc33e5091421a"));
        let (_, pkg_o) = find(&res, "o", "1.0.0");
        assert_eq!(pkg_o.scope, Some(Scope::Optional));
        let (_, pkg_d) = find(&res, "d", "1.0.0");
        assert_eq!(
            (pkg_d.scope, pkg_d.reached_by.iter().copied().collect::<Vec<_>>()),
            (Some(Scope::Excluded), vec![DependencyKind::Dev])
        );
        // Lockfile only: no package.json, the name falls back.
        let res = run(&[("pnpm-lock.yaml", V5), ("package.json", r#"{"name": "app"}"#)], true).unwrap();
        assert_eq!(res.packages[0].name, "root");
    }

    const V9: &str = "lockfileVersion: '9.0'

importers:

  .:
    devDependencies:
      lib:
        specifier: workspace:*
        version: link:packages/lib
      t:
        specifier: ^1.0.0
        version: 1.0.0

  packages/lib:
    dependencies:
      x:
        specifier: npm:y@^1
        version: y@1.0.0
      r:
        specifier: ^1.0.0
        version: 1.0.0(p@1.0.0)
      g:
        specifier: github:o/g
        version: https://codeload.github.com/o/g/tar.gz/0123456789abcdef0123456789abcdef01234567
    optionalDependencies:
      fsevents:
        specifier: ^2
        version: 2.3.3

packages:

  y@1.0.0:
    resolution: {integrity: sha512-V/LGr1APy+PXIwKebEWrkZPwoeoF+w1jiOBUmuxuiUIaOHtob8Qc9BTrYo7VuI5fR8tqsy+buA2WFooR5olqvQ==}

  r@1.0.0:
    resolution: {integrity: sha512-V/LGr1APy+PXIwKebEWrkZPwoeoF+w1jiOBUmuxuiUIaOHtob8Qc9BTrYo7VuI5fR8tqsy+buA2WFooR5olqvQ==}
    peerDependencies:
      p: '*'

  p@1.0.0:
    resolution: {integrity: sha512-V/LGr1APy+PXIwKebEWrkZPwoeoF+w1jiOBUmuxuiUIaOHtob8Qc9BTrYo7VuI5fR8tqsy+buA2WFooR5olqvQ==}

  p@2.0.0:
    resolution: {integrity: sha512-V/LGr1APy+PXIwKebEWrkZPwoeoF+w1jiOBUmuxuiUIaOHtob8Qc9BTrYo7VuI5fR8tqsy+buA2WFooR5olqvQ==}

  g@https://codeload.github.com/o/g/tar.gz/0123456789abcdef0123456789abcdef01234567:
    resolution: {tarball: https://codeload.github.com/o/g/tar.gz/0123456789abcdef0123456789abcdef01234567}
    version: 3.0.0

  t@1.0.0:
    resolution: {integrity: sha512-V/LGr1APy+PXIwKebEWrkZPwoeoF+w1jiOBUmuxuiUIaOHtob8Qc9BTrYo7VuI5fR8tqsy+buA2WFooR5olqvQ==}

snapshots:

  y@1.0.0: {}

  r@1.0.0(p@1.0.0):
    dependencies:
      p: 1.0.0

  r@1.0.0(p@2.0.0):
    dependencies:
      p: 2.0.0

  p@1.0.0: {}

  p@2.0.0: {}

  g@https://codeload.github.com/o/g/tar.gz/0123456789abcdef0123456789abcdef01234567: {}

  t@1.0.0:
    dependencies:
      r: 1.0.0(p@2.0.0)
";

    #[test]
    fn v9_workspace_unions_snapshots_and_computes_scopes() {
        let r = lock(V9);
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert_eq!(r.packages.len(), 2 + 6);
        let lib = &r.packages[1];
        // No package.json: the name the root links it under.
        assert_eq!((lib.name.as_str(), lib.first_party), ("lib", true));
        assert_eq!(lib.source, PackageSource::Path { dir: "packages/lib".into() });
        assert!(r.packages[0].dependencies.contains(&1));
        let (_, y) = find(&r, "y", "1.0.0");
        assert_eq!((y.alias.as_deref(), y.scope, y.direct), (Some("x"), Some(Scope::Required), true));
        // One package, the union of its two snapshots' edges.
        let (_, rr) = find(&r, "r", "1.0.0");
        let (p1, _) = find(&r, "p", "1.0.0");
        let (p2, p2p) = find(&r, "p", "2.0.0");
        assert_eq!(rr.dependencies, [p1, p2].into_iter().collect());
        assert_eq!(rr.lines, Some(LineSpan { start: 35, end: 38 }));
        // p@2.0.0 is reached through the dev-only `t`, but also through `r` (required).
        assert_eq!(p2p.scope, Some(Scope::Required));
        let (_, t) = find(&r, "t", "1.0.0");
        assert_eq!(t.scope, Some(Scope::Excluded));
        let (_, g) = find(&r, "g", "3.0.0");
        assert_eq!(
            g.source,
            PackageSource::Git {
                url: "https://github.com/o/g.git".into(),
                reference: None,
                commit: Some("0123456789abcdef0123456789abcdef01234567".into())
            }
        );
    }

    #[test]
    fn errors_name_their_lines() {
        let err = |text: &str| run(&[("sub/pnpm-lock.yaml", text)], true).unwrap_err();
        let e = err("lockfileVersion: '10.0'\n");
        assert_eq!((e.path.as_str(), e.line), ("sub/pnpm-lock.yaml", Some(1)));
        assert!(matches!(e.kind, ResolveErrorKind::UnsupportedFormatVersion { ref version, .. } if version == "10.0"));
        assert!(matches!(err("a: b\n").kind, ResolveErrorKind::Format(_)));
        assert!(matches!(err("").kind, ResolveErrorKind::Format(_)));
        assert!(matches!(err("lockfileVersion: 5.4\npackages: {\n").kind, ResolveErrorKind::Yaml(_)));
        let deep = format!("lockfileVersion: 5.4\nx: {}", "[".repeat(MAX_DEPTH + 1));
        assert!(matches!(err(&deep).kind, ResolveErrorKind::Yaml(ref m) if m.contains("nested")));
        assert!(run(&[("pnpm-lock.yaml", "\u{feff}lockfileVersion: 5.4\n")], true).is_ok());
        assert!(matches!(
            PnpmLockResolver.resolve(&MemorySource::default(), "pnpm-lock.yaml", b"\xff", &ResolveOptions::default()),
            Err(ResolveError { kind: ResolveErrorKind::NotUtf8, .. })
        ));
        // A dangling required edge is an error with its line; a missing optional one is not.
        let r = lock(
            "lockfileVersion: '6.0'\ndependencies:\n  a:\n    specifier: ^1\n    version: 1.0.0\noptionalDependencies:\n  b:\n    specifier: ^1\n    version: 1.0.0\n",
        );
        assert_eq!(r.errors.len(), 1);
        assert_eq!(r.errors[0].line, Some(3));
        assert!(
            matches!(&r.errors[0].kind, ResolveErrorKind::DanglingDependency { dependency, .. } if dependency == "a: /a@1.0.0")
        );
    }

    #[test]
    fn the_last_lockfile_document_is_read() {
        let text = "---\nlockfileVersion: '9.0'\nimporters:\n  .:\n    configDependencies: {}\n---\nlockfileVersion: '9.0'\npackages:\n  a@1.0.0: {}\n";
        let r = lock(text);
        assert_eq!(r.packages.len(), 2);
        assert_eq!(r.packages[1].lines, Some(LineSpan { start: 9, end: 9 }));
    }

    #[test]
    fn mutated_lockfiles_never_panic() {
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            usize::try_from(seed % (n.max(1) as u64)).unwrap()
        };
        let pieces: [&[u8]; 10] = [b"\n", b":", b" ", b"'", b"{", b"}", b"(", b")", b"_", b"link:.."];
        for base in [V5, V9] {
            for _ in 0..1500 {
                let mut bytes = base.as_bytes().to_vec();
                for _ in 0..=next(4) {
                    let at = next(bytes.len() + 1);
                    match next(3) {
                        0 if at < bytes.len() => {
                            bytes.remove(at);
                        }
                        1 => bytes.splice(at..at, pieces[next(pieces.len())].iter().copied()).for_each(drop),
                        _ => bytes.truncate(at),
                    }
                }
                let source = MemorySource::default();
                let _ = PnpmLockResolver.resolve(&source, "pnpm-lock.yaml", &bytes, &ResolveOptions::default());
            }
        }
    }
}
