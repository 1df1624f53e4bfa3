//! yarn berry (v2+) `yarn.lock`: YAML, read with `saphyr-parser`'s events (which carry lines)
//! into a small tree, then into entries for [`super::yarn`].
//!
//! - `__metadata.version`: the lockfile versions yarn 2 to 4 have written, 4 to 10 (yarn 4.x
//!   writes 10 since 4.10; yarn ≤ 3 wrote 4 to 6, whose keys lack the `npm:` protocol and are
//!   normalised as yarn does). Any other version is unsupported.
//! - A key lists descriptors separated by `, ` (`"lodash@npm:^4.17.0, lodash@npm:^4.17.21"`);
//!   `resolution` is the locator, which gives the real name (an alias key `x@npm:real@^1` has
//!   resolution `real@npm:1.2.3`) and the source: `npm:` the registry (or the
//!   `__archiveUrl` it names), `workspace:DIR` a first-party workspace (`.` the root), `file:`,
//!   `portal:`, `link:` and `exec:` a path (relative to the workspace of the `locator` parameter),
//!   a git URL with `#commit=SHA` git, any other URL a tarball.
//! - `patch:` entries: the package is the upstream one (`typescript@patch:typescript@npm%3A6.0.3#…`
//!   is `typescript` 6.0.3 from the registry, so advisories for 6.0.3 match it) plus a local
//!   patch. It stays its own entry (its own lines and edges) next to the upstream entry; it
//!   depends on the upstream entry, which yarn fetches to build it. yarn's built-in
//!   compatibility patches (`optional!builtin<compat/fsevents>`, `~builtin<…>` before yarn 4)
//!   are applied by yarn to every matching dependency: a dependency `fsevents: npm:^2.3.3`
//!   goes to the patch entry when the lockfile has one for `fsevents@npm:^2.3.3`.
//! - A dependency `name: range` goes to the entry whose key lists `name@range`, with a bare
//!   semver range or tag normalised to `npm:range` as yarn's `normalizeDependency` does.
//!   `dependenciesMeta.NAME.optional` marks optional dependencies. Peer dependencies are not
//!   edges: yarn provides them from the dependent's parent, whose own edge already reaches the
//!   provider.
//! - `checksum` (`10c0/<hex>`, or bare hex before cache keys were prefixed) is the hash of the
//!   zip in yarn's cache, not of the npm tarball: it is not a package checksum.
//! - YAML anchors, aliases, tags' meanings and multiple documents are not used by yarn; an
//!   alias is an error, as is nesting deeper than a lockfile has.

use std::borrow::Cow;
use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScanError, Span};

use super::node;
use super::yarn::{Dep, Entry, Flavour, Lock, split_descriptor};
use super::{ResolveError, ResolveErrorKind};
use crate::model::{Ecosystem, LineSpan, Package, PackageSource};

/// The `__metadata.version` values yarn berry has written.
const VERSIONS: std::ops::RangeInclusive<u32> = 4..=10;

/// A YAML node, as much of it as a lockfile needs.
#[derive(Debug)]
enum Node<'a> {
    Scalar(Cow<'a, str>, usize),
    /// Keys with their lines, and values.
    Map(Vec<(Cow<'a, str>, usize, Node<'a>)>),
    Seq,
}

impl<'a> Node<'a> {
    fn get(&self, key: &str) -> Option<(&Node<'a>, usize)> {
        match self {
            Node::Map(items) => items.iter().find(|(k, _, _)| k == key).map(|(_, line, v)| (v, *line)),
            _ => None,
        }
    }

    fn scalar(&self) -> Option<&str> {
        match self {
            Node::Scalar(s, _) => Some(s),
            _ => None,
        }
    }
}

/// Deeper than any lockfile (entry → `dependenciesMeta` → name → `optional`).
const MAX_DEPTH: usize = 16;

struct Tree<'a, 'p> {
    parser: Parser<'a, saphyr_parser::StrInput<'a>>,
    path: &'p str,
    /// The text's last line: the parser places an empty value at the end of a file without a
    /// final newline one line below it, and every line reported stays within the text.
    max_line: usize,
}

impl<'a> Tree<'a, '_> {
    fn scan_error(&self, e: &ScanError) -> ResolveError {
        ResolveError::new(self.path, Some(self.at(e.marker().line())), ResolveErrorKind::Yaml(e.info().to_owned()))
    }

    fn next(&mut self) -> Result<(Event<'a>, Span), ResolveError> {
        match self.parser.next_event() {
            Some(Ok(ev)) => Ok(ev),
            Some(Err(e)) => Err(self.scan_error(&e)),
            None => Err(ResolveError::new(self.path, None, ResolveErrorKind::Yaml("unexpected end of input".into()))),
        }
    }

    /// A parser's line, within the text.
    fn at(&self, line: usize) -> usize {
        line.clamp(1, self.max_line)
    }

    fn error(&self, line: usize, message: &str) -> ResolveError {
        ResolveError::new(self.path, Some(line), ResolveErrorKind::Yaml(message.to_owned()))
    }

    /// The node starting with `event`, and the last line it spans.
    fn node(&mut self, event: Event<'a>, span: Span, depth: usize) -> Result<(Node<'a>, usize), ResolveError> {
        let line = self.at(span.start.line());
        if depth > MAX_DEPTH {
            return Err(self.error(line, "nested too deeply for a yarn lockfile"));
        }
        match event {
            Event::Scalar(value, ..) => Ok((Node::Scalar(value, line), self.at(span.end.line()).max(line))),
            Event::MappingStart(..) => {
                let mut items = Vec::new();
                let mut last = line;
                loop {
                    let (event, span) = self.next()?;
                    let key_line = self.at(span.start.line());
                    let key = match event {
                        Event::MappingEnd => break,
                        Event::Scalar(key, ..) => key,
                        _ => return Err(self.error(key_line, "a mapping key that is not a string")),
                    };
                    let (event, span) = self.next()?;
                    let (value, end) = self.node(event, span, depth + 1)?;
                    last = last.max(end).max(key_line);
                    items.push((key, key_line, value));
                }
                Ok((Node::Map(items), last))
            }
            Event::SequenceStart(..) => {
                let mut last = line;
                loop {
                    let (event, span) = self.next()?;
                    if matches!(event, Event::SequenceEnd) {
                        break;
                    }
                    let (_, end) = self.node(event, span, depth + 1)?;
                    last = last.max(end);
                }
                Ok((Node::Seq, last))
            }
            Event::Alias(_) => Err(self.error(line, "YAML aliases are not used by yarn lockfiles")),
            _ => Err(self.error(line, "unexpected YAML structure")),
        }
    }

    /// The document's root node (`None` for an empty document).
    fn root(&mut self) -> Result<Option<Node<'a>>, ResolveError> {
        let mut root = None;
        loop {
            let (event, span) = self.next()?;
            match event {
                Event::StreamStart | Event::DocumentStart(_) | Event::DocumentEnd => {}
                Event::StreamEnd => return Ok(root),
                event if root.is_none() => root = Some(self.node(event, span, 0)?.0),
                _ => return Err(self.error(span.start.line(), "more than one YAML document")),
            }
        }
    }
}

/// `name@range` with a bare semver range or tag given yarn's default `npm:` protocol, as
/// `Configuration.normalizeDependency` does (`ms@2.1.2` → `ms@npm:2.1.2`).
pub(crate) fn normalize_descriptor<'a>(name: &str, range: &'a str) -> Cow<'a, str> {
    if !range.is_empty() && !range.contains([':', '/', '#']) {
        Cow::Owned(format!("{name}@npm:{range}"))
    } else {
        Cow::Owned(format!("{name}@{range}"))
    }
}

/// A reference's `::key=value&…` parameters, decoded.
fn params(reference: &str) -> (&str, Vec<(String, String)>) {
    match reference.split_once("::") {
        Some((main, query)) => {
            let pairs = query
                .split('&')
                .filter_map(|kv| {
                    let (k, v) = kv.split_once('=')?;
                    Some((decode(k).into_owned(), decode(v).into_owned()))
                })
                .collect();
            (main, pairs)
        }
        None => (reference, Vec::new()),
    }
}

fn decode(s: &str) -> Cow<'_, str> {
    percent_encoding::percent_decode_str(s).decode_utf8_lossy()
}

/// The source of a git reference with `#commit=SHA` (or the older `#commit:SHA`).
fn berry_git(reference: &str) -> Option<PackageSource> {
    let (base, fragment) = reference.split_once('#')?;
    let commit = fragment
        .split('&')
        .find_map(|p| p.strip_prefix("commit=").or_else(|| p.strip_prefix("commit:")))
        .filter(|c| node::is_commit(c));
    if let Some(commit) = commit
        && (base.contains("://") || base.starts_with("git@") || base.starts_with("git+"))
    {
        let url = base.strip_prefix("git+").unwrap_or(base);
        return Some(PackageSource::Git {
            url: url.to_owned(),
            reference: None,
            commit: Some(commit.to_ascii_lowercase()),
        });
    }
    node::git_source(reference)
}

/// What a locator's reference says about a package: its source, the real name (for a patch,
/// the patched package's), and the workspace directory for `workspace:`.
struct Located {
    name: String,
    source: PackageSource,
    workspace: Option<String>,
}

fn locate(name: &str, reference: &str, lock_dir: &str, depth: usize) -> Located {
    let plain = |source| Located { name: name.to_owned(), source, workspace: None };
    let (main, params) = params(reference);
    let param = |key: &str| params.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    if let Some(rest) = main.strip_prefix("npm:") {
        let _ = rest;
        return plain(match param("__archiveUrl") {
            Some(url) => node::source_of(Some(url), name, lock_dir),
            None => node::npm_registry(),
        });
    }
    if let Some(dir) = main.strip_prefix("workspace:") {
        let dir = node::join_dir(lock_dir, dir);
        return Located {
            name: name.to_owned(),
            source: PackageSource::Path { dir: dir.clone() },
            workspace: Some(dir),
        };
    }
    if let Some(rest) = main.strip_prefix("patch:")
        && depth < 4
    {
        let inner = decode(rest.split('#').next().unwrap_or(rest));
        let (inner_name, inner_reference) = split_descriptor(&inner);
        let mut located = locate(inner_name, inner_reference, lock_dir, depth + 1);
        located.workspace = None;
        return located;
    }
    for protocol in ["file:", "portal:", "link:", "exec:"] {
        if let Some(rel) = main.strip_prefix(protocol) {
            // Relative to the workspace that declared it (`::locator=app%40workspace%3Apackages/app`).
            let base = param("locator")
                .map(|l| split_descriptor(l).1)
                .and_then(|r| r.strip_prefix("workspace:"))
                .map_or_else(|| lock_dir.to_owned(), |d| node::join_dir(lock_dir, d));
            return plain(PackageSource::Path { dir: node::join_dir(&base, rel) });
        }
    }
    if let Some(git) = berry_git(main) {
        return plain(git);
    }
    plain(PackageSource::Tarball { url: main.to_owned() })
}

/// Parse a berry lockfile.
pub(crate) fn parse(path: &str, text: &str, lock_dir: &str) -> Result<Lock, ResolveError> {
    let mut tree = Tree { parser: Parser::new_from_str(text), path, max_line: text.split('\n').count() };
    let root = tree.root()?;
    let Some(Node::Map(items)) = root else {
        return Err(ResolveError::new(
            path,
            Some(1),
            ResolveErrorKind::Yaml("not a mapping of lockfile entries".into()),
        ));
    };
    // The version first: it decides how keys are read.
    let Some((metadata, meta_line)) = items.iter().find(|(k, _, _)| k == "__metadata").map(|(_, l, v)| (v, *l)) else {
        return Err(ResolveError::new(path, Some(1), ResolveErrorKind::Format("no `__metadata` entry".into())));
    };
    let (version_text, version_line) = match metadata.get("version") {
        Some((Node::Scalar(v, line), _)) => (v.as_ref(), *line),
        _ => {
            return Err(ResolveError::new(
                path,
                Some(meta_line),
                ResolveErrorKind::Format("`__metadata` has no `version`".into()),
            ));
        }
    };
    if !version_text.parse::<u32>().is_ok_and(|v| VERSIONS.contains(&v)) {
        return Err(ResolveError::new(
            path,
            Some(version_line),
            ResolveErrorKind::UnsupportedFormatVersion {
                format: "yarn.lock __metadata.version",
                version: version_text.to_owned(),
                supported: "4 to 10",
            },
        ));
    }
    let mut lock = Lock {
        flavour: Flavour::Berry,
        entries: Vec::with_capacity(items.len()),
        descriptors: HashMap::with_capacity(items.len() * 2),
        builtin_patches: HashMap::new(),
        bound: HashMap::new(),
    };
    for (key, line, value) in &items {
        if key == "__metadata" {
            continue;
        }
        let index = lock.entries.len();
        let entry = entry(path, lock_dir, key, *line, value)?;
        lock.entries.push(entry);
        for descriptor in key.split(',').map(str::trim).filter(|d| !d.is_empty()) {
            let (name, range) = split_descriptor(descriptor);
            let normalised = normalize_descriptor(name, range).into_owned();
            if let Some(rest) = range.strip_prefix("patch:") {
                let (inner, selector) = rest.split_once('#').unwrap_or((rest, ""));
                if selector.contains("builtin<") {
                    let inner = decode(inner);
                    let (inner_name, inner_range) = split_descriptor(&inner);
                    lock.builtin_patches.insert(normalize_descriptor(inner_name, inner_range).into_owned(), index);
                }
            }
            if let Some((unbound, _)) = descriptor.split_once("::") {
                lock.bound
                    .entry(unbound.to_owned())
                    .and_modify(|e| {
                        if *e != Some(index) {
                            *e = None;
                        }
                    })
                    .or_insert(Some(index));
            }
            if normalised != descriptor {
                lock.descriptors.insert(descriptor.to_owned(), index);
            }
            lock.descriptors.insert(normalised, index);
        }
    }
    Ok(lock)
}

fn entry(path: &str, lock_dir: &str, key: &str, line: usize, value: &Node<'_>) -> Result<Entry, ResolveError> {
    let invalid = |message: String| ResolveError::new(path, Some(line), ResolveErrorKind::InvalidPackage(message));
    let Node::Map(_) = value else { return Err(invalid(format!("`{key}` is not a mapping"))) };
    let end = last_line(value).max(line);
    let Some(resolution) = value.get("resolution").and_then(|(v, _)| v.scalar()) else {
        return Err(invalid(format!("`{key}` has no `resolution`")));
    };
    let Some(version) = value.get("version").and_then(|(v, _)| v.scalar()) else {
        return Err(invalid(format!("`{key}` has no `version`")));
    };
    let (name, reference) = split_descriptor(resolution);
    if name.is_empty() || reference.is_empty() {
        return Err(invalid(format!("`{key}`: `{resolution}` is not a locator (`name@reference`)")));
    }
    let located = locate(name, reference, lock_dir, 0);
    let mut optional: Vec<&str> = Vec::new();
    if let Some((Node::Map(meta), _)) = value.get("dependenciesMeta") {
        for (dep, _, settings) in meta {
            if settings.get("optional").and_then(|(v, _)| v.scalar()) == Some("true") {
                optional.push(split_descriptor(dep).0);
            }
        }
    }
    let mut deps = Vec::new();
    if let Some((Node::Map(list), _)) = value.get("dependencies") {
        for (dep, dep_line, range) in list {
            let Some(range) = range.scalar() else {
                return Err(ResolveError::new(
                    path,
                    Some(*dep_line),
                    ResolveErrorKind::InvalidPackage(format!("`{key}`: the range of `{dep}` is not a string")),
                ));
            };
            deps.push(Dep {
                name: dep.as_ref().to_owned(),
                range: range.to_owned(),
                optional: optional.contains(&dep.as_ref()),
                line: *dep_line,
            });
        }
    }
    // The name an alias installs it under: the key's name, when it is not the real one.
    let first = key.split(',').next().unwrap_or(key).trim();
    let key_name = split_descriptor(first).0;
    let patch_of = key.split(',').map(str::trim).find_map(|d| {
        let rest = split_descriptor(d).1.strip_prefix("patch:")?;
        Some(decode(rest.split('#').next().unwrap_or(rest)).into_owned())
    });
    let mut package = Package::new(Ecosystem::Npm, located.name, version.to_owned(), located.source);
    if key_name != package.name && !key_name.is_empty() {
        package.alias = Some(key_name.to_owned());
    }
    package.lines = Some(LineSpan { start: line, end });
    Ok(Entry { package, deps, workspace: located.workspace, patch_of })
}

fn last_line(node: &Node<'_>) -> usize {
    match node {
        Node::Scalar(_, line) => *line,
        Node::Map(items) => items.iter().map(|(_, l, v)| last_line(v).max(*l)).max().unwrap_or(0),
        Node::Seq => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "__metadata:\n  version: 8\n  cacheKey: 10c0\n\n";

    #[test]
    fn entries_sources_and_edges() {
        let text = format!(
            "{HEAD}\"a@npm:^1.0.0, a@npm:^1.1.0\":\n  version: 1.2.0\n  resolution: \"a@npm:1.2.0\"\n  dependencies:\n    b: \"npm:^2\"\n    fsevents: \"npm:^2.3.3\"\n  dependenciesMeta:\n    fsevents:\n      optional: true\n  checksum: 10c0/abc\n  languageName: node\n  linkType: hard\n\n\"b-alias@npm:b@^2\":\n  version: 2.0.0\n  resolution: \"b@npm:2.0.0\"\n\n\"fsevents@npm:^2.3.3\":\n  version: 2.3.3\n  resolution: \"fsevents@npm:2.3.3\"\n\n\"fsevents@patch:fsevents@npm%3A^2.3.3#optional!builtin<compat/fsevents>\":\n  version: 2.3.3\n  resolution: \"fsevents@patch:fsevents@npm%3A2.3.3#optional!builtin<compat/fsevents>::version=2.3.3&hash=df0bf1\"\n\n\"app@workspace:.\":\n  version: 0.0.0-use.local\n  resolution: \"app@workspace:.\"\n"
        );
        let lock = parse("yarn.lock", &text, ".").unwrap();
        assert_eq!(lock.entries.len(), 5);
        let a = &lock.entries[0];
        assert_eq!(a.package.lines, Some(LineSpan { start: 5, end: 16 }));
        assert!(a.package.checksums.is_empty(), "berry checksums hash yarn's cache zip, not the tarball");
        assert!(a.deps[1].optional && !a.deps[0].optional);
        assert_eq!(lock.descriptors.get("a@npm:^1.1.0"), Some(&0));
        assert_eq!(lock.descriptors.get("b@npm:^2"), None);
        assert_eq!(lock.entries[1].package.name, "b");
        assert_eq!(lock.entries[1].package.alias.as_deref(), Some("b-alias"));
        let patch = &lock.entries[3];
        assert_eq!((patch.package.name.as_str(), patch.package.version.as_str()), ("fsevents", "2.3.3"));
        assert_eq!(patch.package.source, node::npm_registry());
        assert_eq!(patch.patch_of.as_deref(), Some("fsevents@npm:^2.3.3"));
        assert_eq!(lock.builtin_patches.get("fsevents@npm:^2.3.3"), Some(&3));
        let root = &lock.entries[4];
        assert_eq!(root.workspace.as_deref(), Some("."));
    }

    #[test]
    fn versions_and_errors() {
        for v in ["4", "6", "8", "10"] {
            assert!(parse("yarn.lock", &format!("__metadata:\n  version: {v}\n"), ".").is_ok(), "{v}");
        }
        let e = parse("yarn.lock", "# x\n__metadata:\n  version: 99\n", ".").unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(matches!(e.kind, ResolveErrorKind::UnsupportedFormatVersion { ref version, .. } if version == "99"));
        let e = parse("yarn.lock", &format!("{HEAD}\"a@npm:1\":\n  resolution: \"a@npm:1.0.0\"\n"), ".").unwrap_err();
        assert_eq!(e.line, Some(5));
        let e = parse("yarn.lock", &format!("{HEAD}\"a@npm:1\":\n  version: 1\n"), ".").unwrap_err();
        assert!(matches!(e.kind, ResolveErrorKind::InvalidPackage(_)));
        let e = parse("yarn.lock", &format!("{HEAD}a: &x\n  version: 1\nb: *x\n"), ".").unwrap_err();
        assert_eq!(e.line, Some(7));
        assert!(parse("yarn.lock", "__metadata:\n  version: [8\n", ".").is_err());
        assert!(parse("yarn.lock", "__metadata: 1\n", ".").is_err());
    }

    #[test]
    fn old_keys_without_the_npm_protocol_are_normalised() {
        let text = "__metadata:\n  version: 4\n\n\"debug@^4.0.0\":\n  version: 4.3.3\n  resolution: \"debug@npm:4.3.3\"\n  dependencies:\n    ms: 2.1.2\n\n\"ms@2.1.2\":\n  version: 2.1.2\n  resolution: \"ms@npm:2.1.2\"\n";
        let lock = parse("yarn.lock", text, ".").unwrap();
        assert_eq!(lock.descriptors.get("ms@npm:2.1.2"), Some(&1));
        assert_eq!(lock.descriptors.get("debug@^4.0.0"), Some(&0));
    }

    #[test]
    fn locators_name_their_sources() {
        let sha = "0948d999f2fddf9f90991956493f976273c5da1f";
        let git = |url: &str| PackageSource::Git { url: url.into(), reference: None, commit: Some(sha.into()) };
        assert_eq!(
            locate("v", &format!("https://github.com/vuejs/vue.git#commit={sha}"), ".", 0).source,
            git("https://github.com/vuejs/vue.git")
        );
        assert_eq!(
            locate("v", &format!("https://github.com/vuejs/vue.git#commit:{sha}"), ".", 0).source,
            git("https://github.com/vuejs/vue.git")
        );
        assert_eq!(
            locate("v", &format!("ssh://git@github.com:o/r.git#commit={sha}"), ".", 0).source,
            git("ssh://git@github.com:o/r.git")
        );
        assert_eq!(
            locate("x", "file:../x::locator=app%40workspace%3Apackages%2Fapp", ".", 0).source,
            PackageSource::Path { dir: "packages/x".into() }
        );
        assert_eq!(
            locate("x", "portal:./vendor/x", "web", 0).source,
            PackageSource::Path { dir: "web/vendor/x".into() }
        );
        let w = locate("w", "workspace:packages/w", ".", 0);
        assert_eq!(w.workspace.as_deref(), Some("packages/w"));
        assert_eq!(
            locate("t", "patch:t@npm%3A1.0.0#./p.patch::version=1.0.0&hash=abc", ".", 0).source,
            node::npm_registry()
        );
        assert_eq!(
            locate("x", "https://example.com/x.tgz", ".", 0).source,
            PackageSource::Tarball { url: "https://example.com/x.tgz".into() }
        );
        assert_eq!(
            locate("x", "npm:1.0.0::__archiveUrl=https%3A%2F%2Fnpm.example.com%2Fx%2F-%2Fx-1.0.0.tgz", ".", 0).source,
            PackageSource::Registry { url: "https://npm.example.com".into(), sparse: false, default_registry: false }
        );
        assert_eq!(normalize_descriptor("ms", "2.1.2"), "ms@npm:2.1.2");
        let text = "__metadata:\n  version: 8\n\n\"x@portal:./x::locator=app%40workspace%3A.\":\n  version: 0.0.0-use.local\n  resolution: \"x@portal:./x::locator=app%40workspace%3A.\"\n";
        let lock = parse("yarn.lock", text, ".").unwrap();
        assert_eq!(lock.bound.get("x@portal:./x"), Some(&Some(0)));
        assert_eq!(normalize_descriptor("ms", "npm:2.1.2"), "ms@npm:2.1.2");
        assert_eq!(normalize_descriptor("r", "o/r#main"), "r@o/r#main");
    }
}
