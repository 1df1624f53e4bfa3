//! Go modules: `go.mod` (with its `go.sum` for modules of `go 1.16` and older).
//!
//! # Syntax
//!
//! Read as `golang.org/x/mod/modfile` reads a main module's `go.mod` (strict mode): lines of
//! tokens, `//` comments to the end of the line (a `/*` is an error), `verb (` … `)` blocks whose
//! lines take the block's verb, `"…"` (Go escapes) and `` `…` `` strings on one line, and the
//! punctuation tokens `[ ] { } ,`. Printable non-space characters make up identifiers (Go's
//! `unicode.IsPrint`, approximated by excluding control, format and private-use characters).
//! The directives: `module`, `go` (`1.N[.P][preN]`), `toolchain` (`go1…` or `default`),
//! `godebug key=value`, `require path vX` (`// indirect` as its comment), `exclude path vX`,
//! `replace old [vX] => new vY` or `=> ./dir` (`./`, `../`, `/`, Windows forms), `retract`
//! (a version or `[lo, hi]`), `tool path`, `ignore path`. Versions are SemVer with a `v`
//! (`v1.2` is canonicalized to `v1.2.0`, as modfile does; build metadata other than
//! `+incompatible` is dropped), and their major version must agree with the path (`/v2`,
//! `gopkg.in/x.v3`). An unknown directive, a malformed line or an unterminated block is an
//! error naming the line, as the go command refuses the file.
//!
//! # Packages
//!
//! - The module itself (`module` path, version `""`, a first-party `Path` package on the
//!   `module` line) is the root; without a `module` line (the go command refuses such a main
//!   module, modfile reads it) a synthetic root named after the directory, and a warning.
//! - Every `require`d module path, at the version minimal version selection takes among this
//!   file's requires of that path: the highest (a path required twice gives a warning naming the
//!   version that is not built). `direct` unless every require of the path is `// indirect`
//!   (as modfile's `isIndirect` reads the comment: its fields are `indirect`, or `indirect;`
//!   followed by more).
//!   Since Go 1.17 `go.mod` lists every module the build needs, so the root depends on all of
//!   them (indirect ones too). Lines: the `require` line.
//! - `exclude`: an excluded version is never selected; a require of an excluded version is
//!   ignored (Go ≥ 1.16 does the same, and would then look for a higher version online: a
//!   warning says the module is left out).
//! - `replace`: applied after selection as Go does (a replace naming the selected version wins
//!   over one without a version, which replaces every version). The replacement is the package:
//!   `new vY` a registry package `new@vY` (on the `replace` line); a local directory a `Path`
//!   package named as the module it replaces, version `""`, not matched against advisories.
//!   Two different replacements of one module (and version) is an error, as in Go.
//! - `stdlib`: the standard library, at the higher of the `toolchain` (`go1.23.6-xyz` →
//!   `1.23.6`) and the `go` version (go runs at least the `go` version: an older `toolchain` is
//!   not used), on the line of the directive that wins, written as SemVer without `v` as the
//!   Go vulnerability database writes standard-library versions (`go 1.21` → `1.21.0`,
//!   `1.21rc1` → `1.21.0-rc.1`), so Go.zip's `stdlib` records match. The `go` line is the minimum: the toolchain that builds may be newer.
//!   None without a `go` or `toolchain` line.
//! - `go.sum`: for `go 1.16` and older (or no `go` line: Go assumes 1.16) the module graph is
//!   not pruned and `go.mod` does not list every module; the sibling `go.sum` (read through the
//!   source, so revisions work) adds each module it has an `h1:` line for (not only `/go.mod`)
//!   that `go.mod` does not require, at its highest such version, as an indirect dependency of
//!   the root without a line (go.sum is another file). Its `h1:` value is a hash of the module's
//!   file tree (dirhash), not of an archive: it is not recorded as a checksum. A malformed
//!   `go.sum` line is an error naming the line; a missing (unreadable) `go.sum`, when go.mod
//!   requires anything, an error naming go.mod and its `go` line (exit 2): the module list
//!   would be incomplete without saying so. For `go 1.17` and newer go.sum adds nothing (go.mod
//!   lists every module), but it is checked: a missing or malformed go.sum, or one without a
//!   line for a selected module (the go command would refuse to build), is a warning.
//!
//! Every package has scope `Required` (Go has no development dependencies).
//!
//! # Workspaces
//!
//! A `go.mod` used by the nearest `go.work` above it (or beside it) is built as part of that
//! workspace, and [`super::gowork`] resolves it there; its own resolution is then the module
//! alone, with a warning, so that nothing is reported twice. Both read a `use` directory alike
//! (`use_dir`): `\` as a separator, an absolute directory as none of the tree's (a go.mod
//! such a `use` names is resolved on its own).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::{ResolveError, ResolveErrorKind, ResolveOptions, Resolved, Resolver, Warning};
use crate::advisory::version::Version;
use crate::model::{Ecosystem, LineSpan, Package, PackageSource, RootComponent, Scope};
use crate::source::Source;

/// Reads `go.mod` (and its `go.sum` for `go` ≤ 1.16).
pub struct GoModResolver;

impl Resolver for GoModResolver {
    fn name(&self) -> &'static str {
        "gomod"
    }

    fn claims(&self, path: &Path) -> bool {
        path.file_name().is_some_and(|n| n == "go.mod")
    }

    fn resolve(
        &self,
        source: &dyn Source,
        path: &str,
        bytes: &[u8],
        _options: &ResolveOptions,
    ) -> Result<Resolved, ResolveError> {
        let text = super::utf8(path, bytes)?;
        let dir = parent(path);
        let file = ModFile::parse(text, path)?;
        if let Some((work, line)) = workspace_of(source, &dir) {
            return Ok(member_only(source, path, &dir, &file, &work, line));
        }
        let mut out = Resolved {
            path: path.to_owned(),
            packages: Vec::new(),
            root: RootComponent::Synthetic { name: String::new(), depends_on: BTreeSet::new() },
            warnings: Vec::new(),
            errors: Vec::new(),
        };
        let root = root_package(path, &dir, &file, &mut out);
        let mut builder = Builder::default();
        let mut selected = select(&file.requires, &[&file], path, &mut out.warnings);
        if graph_unpruned(&file) {
            // go.sum: modules of an unpruned graph that go.mod does not list.
            let extra = go_sum_modules(source, path, &file, &mut out.errors);
            let more = select(&extra, &[&file], path, &mut Vec::new());
            selected.extend(more);
        } else if !selected.is_empty() {
            let sum_path = crate::source::join(&dir, "go.sum");
            check_go_sum(source, path, &sum_path, &file, &selected, &mut out.warnings);
        }
        let mut depends = BTreeSet::new();
        for s in &selected {
            let replacement = replacement_for(&file.replaces, &s.path, &s.version);
            let i = builder.add(s, replacement, &dir, None);
            depends.insert(i);
        }
        if let Some((version, line)) = stdlib(&file) {
            depends.insert(builder.stdlib(version, line));
        }
        let mut packages = builder.packages;
        if let Some(mut root) = root {
            let offset = 1;
            root.dependencies = depends.iter().map(|i| i + offset).collect();
            for p in &mut packages {
                p.dependencies = p.dependencies.iter().map(|i| i + offset).collect();
            }
            out.packages.push(root);
            out.packages.extend(packages);
            out.root = RootComponent::Package(0);
        } else {
            out.packages = packages;
            out.root = RootComponent::Synthetic {
                name: super::dir_name(source, &dir).unwrap_or_else(|| "root".to_owned()),
                depends_on: depends,
            };
        }
        Ok(out)
    }
}

/// The directory of a `/`-separated path (`.` at the root).
pub(crate) fn parent(path: &str) -> String {
    path.rsplit_once('/')
        .map_or_else(|| ".".to_owned(), |(d, _)| if d.is_empty() { ".".to_owned() } else { d.to_owned() })
}

/// The first-party package of a module, when it has a `module` line (else a warning).
pub(crate) fn root_package(path: &str, dir: &str, file: &ModFile, out: &mut Resolved) -> Option<Package> {
    let Some((name, line)) = &file.module else {
        out.warnings.push(Warning {
            path: path.to_owned(),
            line: None,
            message: "no `module` directive (the go command refuses such a main module); the root is named after the directory".to_owned(),
        });
        return None;
    };
    let mut root =
        Package::new(Ecosystem::Go, name.clone(), String::new(), PackageSource::Path { dir: dir.to_owned() });
    root.first_party = true;
    root.scope = Some(Scope::Required);
    root.lines = Some(LineSpan { start: *line, end: *line });
    Some(root)
}

/// A `go.mod` of a workspace member: the module alone (its requires are the workspace's).
fn member_only(source: &dyn Source, path: &str, dir: &str, file: &ModFile, work: &str, use_line: usize) -> Resolved {
    let mut out = Resolved {
        path: path.to_owned(),
        packages: Vec::new(),
        root: RootComponent::Synthetic { name: String::new(), depends_on: BTreeSet::new() },
        warnings: vec![Warning {
            path: path.to_owned(),
            line: None,
            message: format!(
                "a module of the workspace `{work}` (its `use` at line {use_line}): its requirements are resolved there, as go builds them"
            ),
        }],
        errors: Vec::new(),
    };
    match root_package(path, dir, file, &mut out) {
        Some(root) => {
            out.packages.push(root);
            out.root = RootComponent::Package(0);
        }
        None => {
            out.root = RootComponent::Synthetic {
                name: super::dir_name(source, dir).unwrap_or_else(|| "root".to_owned()),
                depends_on: BTreeSet::new(),
            };
        }
    }
    out
}

/// The nearest `go.work` at or above `dir`, and the line of its `use` of `dir`, when it uses it.
fn workspace_of(source: &dyn Source, dir: &str) -> Option<(String, usize)> {
    let mut d = dir.to_owned();
    // Bounded by the path's depth.
    for _ in 0..=dir.split('/').count() {
        let work = crate::source::join(&d, "go.work");
        if source.exists(&work) {
            let bytes = source.read(&work).ok()?;
            let text = std::str::from_utf8(&bytes).ok()?;
            let stmts = parse_statements(text, &work).ok()?;
            return stmts
                .iter()
                .filter(|s| s.verb == "use")
                .find_map(|s| {
                    let arg = unquote(s.args.first()?).ok()?;
                    (use_dir(&d, &arg)? == dir).then_some(s.line)
                })
                .map(|line| (work, line));
        }
        if d == "." {
            break;
        }
        d = parent(&d);
    }
    None
}

/// The directory a go.work's `use ARG` names, relative to the scanned tree (`work_dir` is the
/// go.work's directory): `\` is read as a separator (go.work files move between systems, and go on
/// Windows reads `.\a` as `./a`); an absolute directory (`/a`, `\a`, `C:…`) is outside the tree
/// and not read (`None`). Used by [`super::gowork`] and by a go.mod looking for its workspace, so
/// that both agree on the members.
pub(crate) fn use_dir(work_dir: &str, arg: &str) -> Option<String> {
    if is_absolute(arg) {
        return None;
    }
    Some(crate::source::join(work_dir, &arg.replace('\\', "/")))
}

// ---------------------------------------------------------------------------------------------
// Selection and packages

/// One `require` (or a go.sum module, line 0).
#[derive(Debug, Clone)]
pub(crate) struct Require {
    pub(crate) path: String,
    pub(crate) version: String,
    pub(crate) indirect: bool,
    pub(crate) line: usize,
}

/// The target of a `replace`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Replacement {
    /// Module path or directory, as written.
    pub(crate) new: String,
    /// The version, `None` for a directory.
    pub(crate) version: Option<String>,
    /// The `replace` line.
    pub(crate) line: usize,
}

/// The version of each required path that minimal version selection builds, skipping excluded
/// versions: the highest, `direct` when any require of the path is. Sorted by path.
pub(crate) fn select(
    requires: &[Require],
    excluders: &[&ModFile],
    path: &str,
    warnings: &mut Vec<Warning>,
) -> Vec<Require> {
    let mut by_path: BTreeMap<&str, Vec<&Require>> = BTreeMap::new();
    let mut excluded = Vec::new();
    for r in requires {
        if let Some(line) = excluders.iter().find_map(|f| f.excludes.get(&(r.path.clone(), r.version.clone()))) {
            excluded.push((r, *line));
            continue;
        }
        by_path.entry(&r.path).or_default().push(r);
    }
    let mut out = Vec::new();
    for (p, reqs) in by_path {
        let Some(best) =
            reqs.iter().copied().reduce(|a, b| if compare(&b.version, &a.version).is_gt() { b } else { a })
        else {
            continue;
        };
        for r in &reqs {
            if r.version != best.version && r.line > 0 {
                warnings.push(Warning {
                    path: path.to_owned(),
                    line: Some(r.line),
                    message: format!(
                        "`{p}` is required twice: go builds {} (the highest), not {}",
                        best.version, r.version
                    ),
                });
            }
        }
        let mut chosen = best.clone();
        chosen.indirect = reqs.iter().all(|r| r.indirect);
        out.push(chosen);
    }
    let chosen: BTreeMap<&str, &str> = out.iter().map(|k| (k.path.as_str(), k.version.as_str())).collect();
    for (r, line) in excluded {
        let kept = chosen.get(r.path.as_str()).copied();
        warnings.push(Warning {
            path: path.to_owned(),
            line: (r.line > 0).then_some(r.line),
            message: excluded_message(&r.path, &r.version, &format!("line {line}"), kept),
        });
    }
    out
}

/// What a require of an excluded version becomes: go ignores it (Go ≥ 1.16).
pub(crate) fn excluded_message(module: &str, version: &str, excluded_at: &str, kept: Option<&str>) -> String {
    match kept {
        Some(v) => {
            format!("`{module} {version}` is excluded ({excluded_at}): go ignores this requirement and builds {v}")
        }
        None => format!(
            "`{module} {version}` is excluded ({excluded_at}): go ignores this requirement and would look a higher version up online; the module is left out"
        ),
    }
}

/// Go version order (SemVer precedence); unparsable versions (never after validation) by text.
pub(crate) fn compare(a: &str, b: &str) -> std::cmp::Ordering {
    match (Version::parse(Ecosystem::Go, a), Version::parse(Ecosystem::Go, b)) {
        (Ok(x), Ok(y)) => x.partial_cmp(&y).unwrap_or_else(|| a.cmp(b)),
        _ => a.cmp(b),
    }
}

/// The replacement of `path@version`: a replace naming the version wins over one without.
pub(crate) fn replacement_for<'a>(
    replaces: &'a BTreeMap<(String, Option<String>), Replacement>,
    path: &str,
    version: &str,
) -> Option<&'a Replacement> {
    replaces.get(&(path.to_owned(), Some(version.to_owned()))).or_else(|| replaces.get(&(path.to_owned(), None)))
}

/// Packages being built, deduplicated by (name, version, source).
#[derive(Default)]
pub(crate) struct Builder {
    pub(crate) packages: Vec<Package>,
    index: BTreeMap<(String, String, PackageSource), usize>,
}

impl Builder {
    /// Add the package a selected module is (its replacement's when replaced); returns its index.
    /// `line` overrides the package's line (a workspace points at its `use` lines).
    pub(crate) fn add(
        &mut self,
        r: &Require,
        replacement: Option<&Replacement>,
        dir: &str,
        line: Option<usize>,
    ) -> usize {
        let (name, version, source, at) = match replacement {
            Some(Replacement { new, version: Some(v), line: at }) => {
                (new.clone(), v.clone(), PackageSource::default_registry(Ecosystem::Go), *at)
            }
            Some(Replacement { new, version: None, line: at }) => {
                let target = if is_absolute(new) { new.clone() } else { crate::source::join(dir, new) };
                (r.path.clone(), String::new(), PackageSource::Path { dir: target }, *at)
            }
            None => (r.path.clone(), r.version.clone(), PackageSource::default_registry(Ecosystem::Go), r.line),
        };
        let at = line.unwrap_or(at);
        let key = (name.clone(), version.clone(), source.clone());
        if let Some(&i) = self.index.get(&key) {
            if let Some(p) = self.packages.get_mut(i) {
                p.direct |= !r.indirect;
            }
            return i;
        }
        let mut p = Package::new(Ecosystem::Go, name, version, source);
        p.direct = !r.indirect;
        p.scope = Some(Scope::Required);
        p.lines = (at > 0).then_some(LineSpan { start: at, end: at });
        self.packages.push(p);
        let i = self.packages.len() - 1;
        self.index.insert(key, i);
        i
    }

    /// Add the `stdlib` package.
    pub(crate) fn stdlib(&mut self, version: String, line: usize) -> usize {
        let mut p =
            Package::new(Ecosystem::Go, "stdlib".to_owned(), version, PackageSource::default_registry(Ecosystem::Go));
        p.direct = true;
        p.scope = Some(Scope::Required);
        p.lines = Some(LineSpan { start: line, end: line });
        self.packages.push(p);
        self.packages.len() - 1
    }
}

/// The standard library's version and line: go runs the higher of the `toolchain` and the `go`
/// version (a `toolchain` older than `go` is not used), on the line of the directive that wins
/// (the toolchain's when they are equal).
pub(crate) fn stdlib(file: &ModFile) -> Option<(String, usize)> {
    let from_toolchain = file.toolchain.as_ref().and_then(|(name, line)| {
        let v = name.strip_prefix("go")?;
        let v = v.split([' ', '\t', '-']).next().unwrap_or(v);
        Some((go_to_semver(v)?, *line))
    });
    let from_go = file.go.as_ref().and_then(|(v, line)| Some((go_to_semver(v)?, *line)));
    match (from_toolchain, from_go) {
        (Some(t), Some(g)) => Some(if compare(&format!("v{}", g.0), &format!("v{}", t.0)).is_gt() { g } else { t }),
        (t, g) => t.or(g),
    }
}

/// A Go release or language version (`1.21`, `1.21.3`, `1.21rc1`) as the SemVer the Go
/// vulnerability database writes (`1.21.0`, `1.21.3`, `1.21.0-rc.1`).
pub(crate) fn go_to_semver(v: &str) -> Option<String> {
    let split = v.find(|c: char| c.is_ascii_lowercase()).unwrap_or(v.len());
    let (numbers, pre) = v.split_at(split);
    let mut parts = numbers.split('.');
    let major: u64 = parts.next()?.parse().ok()?;
    let minor: u64 = parts.next().map_or(Some(0), |m| m.parse().ok())?;
    let patch: u64 = parts.next().map_or(Some(0), |m| m.parse().ok())?;
    if parts.next().is_some() {
        return None;
    }
    if pre.is_empty() {
        return Some(format!("{major}.{minor}.{patch}"));
    }
    let digits = pre.find(|c: char| c.is_ascii_digit())?;
    let (kind, n) = pre.split_at(digits);
    let n: u64 = n.parse().ok()?;
    Some(format!("{major}.{minor}.{patch}-{kind}.{n}"))
}

/// Whether a `go` version is 1.16 or older (the module graph is not pruned).
fn go_at_most_1_16(v: &str) -> bool {
    let mut parts = v.split(|c: char| !c.is_ascii_digit());
    let major: u64 = parts.next().and_then(|m| m.parse().ok()).unwrap_or(1);
    let minor: u64 = parts.next().and_then(|m| m.parse().ok()).unwrap_or(0);
    major < 1 || (major == 1 && minor <= 16)
}

/// Whether the module graph of `file` is not pruned (`go` 1.16 or older, or no `go` line: go
/// assumes 1.16): go.mod alone then does not list every module of the build.
pub(crate) fn graph_unpruned(file: &ModFile) -> bool {
    file.go.as_ref().is_none_or(|(v, _)| go_at_most_1_16(v))
}

/// The modules of an unpruned graph that `go.mod` (at `path`) does not require: those its sibling
/// `go.sum` has an `h1:` line for (not only `/go.mod`), as indirect requires without a line (go.sum
/// is another file). A malformed go.sum is an error naming its line; an unreadable one, when
/// go.mod requires anything, an error naming go.mod and its `go` line: without it the SBOM would
/// silently miss modules of the build.
pub(crate) fn go_sum_modules(
    source: &dyn Source,
    path: &str,
    file: &ModFile,
    errors: &mut Vec<ResolveError>,
) -> Vec<Require> {
    let sum_path = crate::source::join(&parent(path), "go.sum");
    let bytes = match source.read(&sum_path) {
        Ok(bytes) => bytes,
        Err(e) => {
            if !file.requires.is_empty() {
                let go = match &file.go {
                    Some((v, _)) => format!("`go {v}`"),
                    None => "no `go` line (go then assumes 1.16)".to_owned(),
                };
                errors.push(ResolveError::new(
                    path,
                    file.go.as_ref().map(|(_, l)| *l),
                    ResolveErrorKind::Format(format!(
                        "{go}: the module graph is not pruned (go 1.16 and older), so go.mod alone does not list every module of the build; `{sum_path}` is needed to list them and cannot be read ({})",
                        e.message
                    )),
                ));
            }
            return Vec::new();
        }
    };
    match read_go_sum(&sum_path, &bytes) {
        Ok(entries) => {
            let required: BTreeSet<&str> = file.requires.iter().map(|r| r.path.as_str()).collect();
            entries
                .into_iter()
                .filter(|(p, _, go_mod_only)| !go_mod_only && !required.contains(p.as_str()))
                .map(|(p, v, _)| Require { path: p, version: v, indirect: true, line: 0 })
                .collect()
        }
        Err(e) => {
            errors.push(e);
            Vec::new()
        }
    }
}

/// The entries of a `go.sum`: (module, version, whether the line is only for its `/go.mod`),
/// sorted and deduplicated. A line without three fields is an error, as in Go.
pub(crate) fn read_go_sum(path: &str, bytes: &[u8]) -> Result<Vec<(String, String, bool)>, ResolveError> {
    let text = super::utf8(path, bytes)?;
    let mut out = BTreeSet::new();
    for (i, line) in text.split('\n').enumerate() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.is_empty() {
            continue;
        }
        let [module, version, _hash] = fields.as_slice() else {
            return Err(ResolveError::new(
                path,
                Some(i + 1),
                ResolveErrorKind::Format(format!("malformed go.sum: wrong number of fields {}", fields.len())),
            ));
        };
        let (version, go_mod_only) = match version.strip_suffix("/go.mod") {
            Some(v) => (v, true),
            None => (*version, false),
        };
        out.insert(((*module).to_owned(), version.to_owned(), go_mod_only));
    }
    Ok(out.into_iter().collect())
}

/// For go 1.17 and newer go.sum adds no module, but the go command refuses to build a module
/// whose go.sum lacks the lines of its requirements: warn about those (and about a malformed or
/// missing go.sum). Directory replacements need no line.
fn check_go_sum(
    source: &dyn Source,
    path: &str,
    sum_path: &str,
    file: &ModFile,
    selected: &[Require],
    warnings: &mut Vec<Warning>,
) {
    let mut warn = |message: String| warnings.push(Warning { path: path.to_owned(), line: None, message });
    let Ok(bytes) = source.read(sum_path) else {
        warn(format!("`{sum_path}` not found: go verifies no module download of this module without it"));
        return;
    };
    let entries = match read_go_sum(sum_path, &bytes) {
        Ok(e) => e,
        Err(e) => {
            warn(format!("{e} (go would refuse it; go.mod alone lists every module for go 1.17 and newer)"));
            return;
        }
    };
    let listed: BTreeSet<(&str, &str)> = entries.iter().map(|(p, v, _)| (p.as_str(), v.as_str())).collect();
    let mut missing = Vec::new();
    for s in selected {
        let (p, v) = match replacement_for(&file.replaces, &s.path, &s.version) {
            Some(Replacement { version: None, .. }) => continue,
            Some(Replacement { new, version: Some(v), .. }) => (new.as_str(), v.as_str()),
            None => (s.path.as_str(), s.version.as_str()),
        };
        if !listed.contains(&(p, v)) {
            missing.push(format!("{p}@{v}"));
        }
    }
    if !missing.is_empty() {
        let shown = missing.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
        let more = if missing.len() > 5 { format!(" and {} more", missing.len() - 5) } else { String::new() };
        warn(format!(
            "`{sum_path}` has no line for {} required module(s): {shown}{more} (go refuses to build until `go mod tidy` adds them)",
            missing.len()
        ));
    }
}

// ---------------------------------------------------------------------------------------------
// The go.mod file

/// What a `go.mod` says.
#[derive(Debug, Default)]
pub(crate) struct ModFile {
    pub(crate) module: Option<(String, usize)>,
    pub(crate) go: Option<(String, usize)>,
    pub(crate) toolchain: Option<(String, usize)>,
    pub(crate) requires: Vec<Require>,
    /// (path, version) → line.
    pub(crate) excludes: BTreeMap<(String, String), usize>,
    /// (old path, old version) → replacement.
    pub(crate) replaces: BTreeMap<(String, Option<String>), Replacement>,
}

impl ModFile {
    /// Parse a `go.mod` as the go command does for its main module.
    pub(crate) fn parse(text: &str, path: &str) -> Result<ModFile, ResolveError> {
        let mut file = ModFile::default();
        for s in parse_statements(text, path)? {
            let err = |m: String| ResolveError::new(path, Some(s.line), ResolveErrorKind::Format(m));
            match s.verb.as_str() {
                "module" => {
                    if file.module.is_some() {
                        return Err(err("repeated module statement".into()));
                    }
                    let [p] = s.args.as_slice() else { return Err(err("usage: module module/path".into())) };
                    let p = unquote(p).map_err(&err)?;
                    file.module = Some((p, s.line));
                }
                "go" | "toolchain" | "godebug" | "replace" => {
                    common_directive(&s, path, &mut file.go, &mut file.toolchain, &mut file.replaces)?;
                }
                "require" | "exclude" => {
                    let [p, v] = s.args.as_slice() else {
                        return Err(err(format!("usage: {} module/path v1.2.3", s.verb)));
                    };
                    let p = unquote(p).map_err(&err)?;
                    let v = module_version(&p, v).map_err(&err)?;
                    if s.verb == "require" {
                        let indirect = s.comment.as_deref().is_some_and(is_indirect);
                        file.requires.push(Require { path: p, version: v, indirect, line: s.line });
                    } else {
                        file.excludes.entry((p, v)).or_insert(s.line);
                    }
                }
                "retract" => retract(&s.args).map_err(&err)?,
                "tool" | "ignore" => {
                    let [p] = s.args.as_slice() else {
                        return Err(err(format!(
                            "usage: {} {}",
                            s.verb,
                            if s.verb == "tool" { "module/path" } else { "path" }
                        )));
                    };
                    unquote(p).map_err(&err)?;
                }
                other => return Err(err(format!("unknown directive: {other}"))),
            }
        }
        Ok(file)
    }
}

/// The directives `go.mod` and `go.work` share: `go`, `toolchain`, `godebug`, `replace`.
pub(crate) fn common_directive(
    s: &Stmt,
    path: &str,
    go: &mut Option<(String, usize)>,
    toolchain: &mut Option<(String, usize)>,
    replaces: &mut BTreeMap<(String, Option<String>), Replacement>,
) -> Result<(), ResolveError> {
    let err = |m: String| ResolveError::new(path, Some(s.line), ResolveErrorKind::Format(m));
    match s.verb.as_str() {
        "go" => {
            if go.is_some() {
                return Err(err("repeated go statement".into()));
            }
            let [v] = s.args.as_slice() else { return Err(err("go directive expects exactly one argument".into())) };
            if !is_go_version(v) {
                return Err(err(format!("invalid go version '{v}': must match format 1.23.0")));
            }
            *go = Some((v.clone(), s.line));
        }
        "toolchain" => {
            if toolchain.is_some() {
                return Err(err("repeated toolchain statement".into()));
            }
            let [v] = s.args.as_slice() else {
                return Err(err("toolchain directive expects exactly one argument".into()));
            };
            if !(v == "default" || v == "go1" || v.starts_with("go1.")) {
                return Err(err(format!("invalid toolchain version '{v}': must match format go1.23.0 or default")));
            }
            *toolchain = Some((v.clone(), s.line));
        }
        "godebug" => {
            let ok = matches!(s.args.as_slice(), [kv] if kv.split_once('=').is_some_and(|(k, v)| !k.is_empty() && !k.contains([' ', ',', '"', '`']) && !v.contains([' ', ',', '"', '`'])));
            if !ok {
                return Err(err("usage: godebug key=value".into()));
            }
        }
        "replace" => {
            let args = &s.args;
            let arrow = if args.get(1).is_some_and(|a| a == "=>") { 1 } else { 2 };
            if args.len() < arrow + 2 || args.len() > arrow + 3 || args.get(arrow).is_none_or(|a| a != "=>") {
                return Err(err(
                    "usage: replace module/path [v1.2.3] => other/module v1.4\n\t or replace module/path [v1.2.3] => ../local/directory".into(),
                ));
            }
            let old = unquote(args.first().map_or("", String::as_str)).map_err(&err)?;
            let old_version = match (arrow, args.get(1)) {
                (2, Some(v)) => Some(module_version(&old, v).map_err(&err)?),
                _ => None,
            };
            let new = unquote(args.get(arrow + 1).map_or("", String::as_str)).map_err(&err)?;
            let version = if let Some(v) = args.get(arrow + 2) {
                if is_directory_path(&new) {
                    return Err(err(format!("replacement module directory path {new:?} cannot have version")));
                }
                Some(module_version(&new, v).map_err(&err)?)
            } else {
                if !is_directory_path(&new) {
                    if new.contains('@') {
                        return Err(err(
                            "replacement module must match format 'path version', not 'path@version'".into()
                        ));
                    }
                    return Err(err(
                        "replacement module without version must be directory path (rooted or starting with . or ..)"
                            .into(),
                    ));
                }
                // The go command on a system with `/` separators refuses any backslash.
                if new.contains('\\') {
                    return Err(err(
                        "replacement directory appears to be Windows path (on a non-windows system)".into()
                    ));
                }
                None
            };
            let rep = Replacement { new, version, line: s.line };
            match replaces.get(&(old.clone(), old_version.clone())) {
                Some(prev) if prev.new != rep.new || prev.version != rep.version => {
                    return Err(err(format!(
                        "conflicting replacements for {old}{}: line {} and line {}",
                        old_version.as_deref().map(|v| format!("@{v}")).unwrap_or_default(),
                        prev.line,
                        s.line
                    )));
                }
                Some(_) => {}
                None => {
                    replaces.insert((old, old_version), rep);
                }
            }
        }
        other => return Err(err(format!("unknown directive: {other}"))),
    }
    Ok(())
}

/// modfile's `isIndirect`: the comment's fields are exactly `indirect`, or more than one with
/// the first `indirect;` (`// indirect; needed by x`). `// indirect;` alone, `//indirect;x` and
/// `// indirect x` are not.
fn is_indirect(comment: &str) -> bool {
    let fields: Vec<&str> = comment.strip_prefix("//").unwrap_or(comment).split_whitespace().collect();
    match fields.as_slice() {
        [only] => *only == "indirect",
        [first, _, ..] => *first == "indirect;",
        [] => false,
    }
}

/// `retract vX` or `retract [vX, vY]` (modfile checks the versions are valid).
fn retract(args: &[String]) -> Result<(), String> {
    let check = |v: &str| {
        let v = unquote(v)?;
        canonical(&v).map(|_| ()).ok_or_else(|| format!("invalid module version {v:?}: must be of the form v1.2.3"))
    };
    match args {
        [v] => check(v),
        [open, lo, comma, hi, close] if open == "[" && comma == "," && close == "]" => {
            check(lo)?;
            check(hi)
        }
        _ => Err("usage: retract version | retract [low, high]".into()),
    }
}

/// modfile's `GoVersionRE`: `1.N`, `1.N.P`, with an optional `rcN`/`betaN` suffix.
fn is_go_version(v: &str) -> bool {
    let split = v.find(|c: char| c.is_ascii_lowercase()).unwrap_or(v.len());
    let (numbers, pre) = v.split_at(split);
    let num = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'));
    let parts: Vec<&str> = numbers.split('.').collect();
    let numbers_ok = matches!(parts.as_slice(), [a, b] | [a, b, _] if num(a) && *a != "0" && num(b))
        && parts.get(2).is_none_or(|p| num(p));
    let pre_ok = pre.is_empty() || {
        let d = pre.find(|c: char| c.is_ascii_digit()).unwrap_or(pre.len());
        let (letters, digits) = pre.split_at(d);
        !letters.is_empty()
            && letters.bytes().all(|b| b.is_ascii_lowercase())
            && !digits.is_empty()
            && digits.bytes().all(|b| b.is_ascii_digit())
    };
    numbers_ok && pre_ok
}

/// modfile's `IsDirectoryPath`: Unix and Windows forms, as go.mod files move between systems.
pub(crate) fn is_directory_path(ns: &str) -> bool {
    ns == "."
        || ns == ".."
        || ns.starts_with("./")
        || ns.starts_with(".\\")
        || ns.starts_with("../")
        || ns.starts_with("..\\")
        || is_absolute(ns)
}

/// A rooted directory (`/x`, `\x`, `C:…`).
fn is_absolute(ns: &str) -> bool {
    ns.starts_with('/') || ns.starts_with('\\') || is_windows_path(ns)
}

/// `C:…`
fn is_windows_path(ns: &str) -> bool {
    let b = ns.as_bytes();
    b.len() >= 2 && b.first().is_some_and(u8::is_ascii_alphabetic) && b.get(1) == Some(&b':')
}

/// A module version as modfile reads it (canonical SemVer with `v`), checked against the
/// path's major version suffix.
fn module_version(path: &str, v: &str) -> Result<String, String> {
    let v = unquote(v)?;
    let c = canonical(&v).ok_or_else(|| format!("{path}@{v}: invalid version: must be of the form v1.2.3"))?;
    check_path_major(path, &c)?;
    Ok(c)
}

/// `module.CanonicalVersion`: `v1.2` → `v1.2.0`, build metadata dropped but `+incompatible`.
pub(crate) fn canonical(v: &str) -> Option<String> {
    let rest = v.strip_prefix('v')?;
    let (main, build) = match rest.split_once('+') {
        Some((m, b)) => (m, Some(b)),
        None => (rest, None),
    };
    let (core, pre) = match main.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (main, None),
    };
    let num = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'));
    let parts: Vec<&str> = core.split('.').collect();
    if !parts.iter().all(|p| num(p)) || parts.is_empty() || parts.len() > 3 {
        return None;
    }
    // Short forms (`v1`, `v1.2`) take no pre-release or build.
    if parts.len() < 3 && (pre.is_some() || build.is_some()) {
        return None;
    }
    let ident_ok = |s: &str, numeric_rule: bool| {
        !s.is_empty()
            && s.split('.').all(|id| {
                !id.is_empty()
                    && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    && !(numeric_rule && id.len() > 1 && id.starts_with('0') && id.bytes().all(|b| b.is_ascii_digit()))
            })
    };
    if pre.is_some_and(|p| !ident_ok(p, true)) || build.is_some_and(|b| !ident_ok(b, false)) {
        return None;
    }
    let mut out = format!(
        "v{}.{}.{}",
        parts.first().copied().unwrap_or("0"),
        parts.get(1).copied().unwrap_or("0"),
        parts.get(2).copied().unwrap_or("0")
    );
    if let Some(p) = pre {
        out.push('-');
        out.push_str(p);
    }
    if build == Some("incompatible") {
        out.push_str("+incompatible");
    }
    Some(out)
}

/// `module.CheckPathMajor`: `/vN` (or gopkg.in's `.vN`) paths take vN versions, others v0, v1
/// or `+incompatible`.
fn check_path_major(path: &str, v: &str) -> Result<(), String> {
    let major = v.split(['.', '-', '+']).next().unwrap_or(v);
    let path_major = if let Some(rest) = path.strip_prefix("gopkg.in/") {
        let Some((_, m)) = rest.rsplit_once(".v") else {
            return Err(format!("malformed module path {path:?}: invalid gopkg.in path"));
        };
        let m = m.strip_suffix("-unstable").unwrap_or(m);
        if m.is_empty() || !m.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("malformed module path {path:?}: invalid gopkg.in path"));
        }
        if v.starts_with("v0.0.0-") && m == "1" {
            return Ok(());
        }
        Some(format!("v{m}"))
    } else {
        match path.rsplit_once('/') {
            Some((_, last))
                if last.len() > 1 && last.starts_with('v') && last.bytes().skip(1).all(|b| b.is_ascii_digit()) =>
            {
                let digits = last.get(1..).unwrap_or_default();
                if digits.starts_with('0') || digits == "1" {
                    return Err(format!("malformed module path {path:?}: invalid version suffix {last}"));
                }
                Some(last.to_owned())
            }
            _ => None,
        }
    };
    match path_major {
        None if major == "v0" || major == "v1" || v.ends_with("+incompatible") => Ok(()),
        None => Err(format!("{path}@{v}: invalid version: should be v0 or v1, not {major}")),
        Some(m) if m == major => Ok(()),
        Some(m) => Err(format!("{path}@{v}: invalid version: should be {m}, not {major}")),
    }
}

// ---------------------------------------------------------------------------------------------
// The modfile lexer and parser (shared with go.work)

/// One directive line (a block's lines carry the block's verb).
#[derive(Debug, Clone)]
pub(crate) struct Stmt {
    pub(crate) verb: String,
    /// The other tokens, as written (strings still quoted: [`unquote`]).
    pub(crate) args: Vec<String>,
    /// 1-based line.
    pub(crate) line: usize,
    /// The comment after the tokens (`// indirect`), when there is one.
    pub(crate) comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Newline,
    /// A comment, the line's end.
    Comment(String),
    LParen,
    RParen,
    /// An identifier, string or `[ ] { } ,`.
    Word(String),
    Eof,
}

struct Lexer<'a> {
    rest: std::iter::Peekable<std::str::CharIndices<'a>>,
    text: &'a str,
    line: usize,
    path: &'a str,
}

/// Go's `unicode.IsPrint` minus space, approximated.
fn is_ident(c: char) -> bool {
    !matches!(c, ' ' | '(' | ')' | '[' | ']' | '{' | '}' | ',')
        && !c.is_whitespace()
        && !c.is_control()
        && !matches!(c, '\u{00AD}' | '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}' | '\u{E000}'..='\u{F8FF}' | '\u{F0000}'..)
}

impl Lexer<'_> {
    fn err(&self, m: impl Into<String>) -> ResolveError {
        ResolveError::new(self.path, Some(self.line), ResolveErrorKind::Format(m.into()))
    }

    /// The next token and its line.
    fn next(&mut self) -> Result<(Tok, usize), ResolveError> {
        while let Some(&(_, c)) = self.rest.peek() {
            if c == ' ' || c == '\t' || c == '\r' {
                self.rest.next();
            } else {
                break;
            }
        }
        let line = self.line;
        let Some(&(start, c)) = self.rest.peek() else { return Ok((Tok::Eof, line)) };
        let tail = self.text.get(start..).unwrap_or_default();
        if tail.starts_with("//") {
            let end = tail.find('\n').unwrap_or(tail.len());
            let comment = tail.get(..end).unwrap_or_default().trim_end_matches('\r').to_owned();
            while self.rest.peek().is_some_and(|&(_, c)| c != '\n') {
                self.rest.next();
            }
            return Ok((Tok::Comment(comment), line));
        }
        match c {
            '\n' => {
                self.rest.next();
                self.line += 1;
                Ok((Tok::Newline, line))
            }
            '(' => {
                self.rest.next();
                Ok((Tok::LParen, line))
            }
            ')' => {
                self.rest.next();
                Ok((Tok::RParen, line))
            }
            '[' | ']' | '{' | '}' | ',' => {
                self.rest.next();
                Ok((Tok::Word(c.to_string()), line))
            }
            '"' | '`' => {
                self.rest.next();
                let end = loop {
                    let Some((i, ch)) = self.rest.next() else { return Err(self.err("unexpected EOF in string")) };
                    if ch == '\n' {
                        return Err(self.err("unexpected newline in string"));
                    }
                    if ch == c {
                        break i + ch.len_utf8();
                    }
                    if ch == '\\' && c == '"' {
                        match self.rest.next() {
                            Some((_, '\n')) => return Err(self.err("unexpected newline in string")),
                            Some(_) => {}
                            None => return Err(self.err("unexpected EOF in string")),
                        }
                    }
                };
                Ok((Tok::Word(self.text.get(start..end).unwrap_or_default().to_owned()), line))
            }
            c if !is_ident(c) => Err(self.err(format!("unexpected input character {c:?}"))),
            _ => {
                let mut end = start;
                while let Some(&(i, ch)) = self.rest.peek() {
                    if !is_ident(ch) {
                        break;
                    }
                    let t = self.text.get(i..).unwrap_or_default();
                    if t.starts_with("//") {
                        break;
                    }
                    if t.starts_with("/*") {
                        return Err(self.err("mod files must use // comments, not /* comments"));
                    }
                    end = i + ch.len_utf8();
                    self.rest.next();
                }
                Ok((Tok::Word(self.text.get(start..end).unwrap_or_default().to_owned()), line))
            }
        }
    }
}

/// A line's tokens up to its end; `(` ends it too at the top level (a block opens).
/// Returns the tokens, the comment, and what ended the line.
fn line_tokens(lx: &mut Lexer<'_>, first: Tok, top: bool) -> Result<(Vec<String>, Option<String>, Tok), ResolveError> {
    let mut words = Vec::new();
    let mut tok = first;
    loop {
        match tok {
            Tok::Newline | Tok::Eof => return Ok((words, None, tok)),
            Tok::Comment(c) => {
                // The newline after the comment ends the line with it.
                let (after, _) = lx.next()?;
                return Ok((words, Some(c), after));
            }
            Tok::LParen if top => return Ok((words, None, Tok::LParen)),
            Tok::LParen => words.push("(".to_owned()),
            Tok::RParen => words.push(")".to_owned()),
            Tok::Word(w) => words.push(w),
        }
        tok = lx.next()?.0;
    }
}

/// Every directive of a modfile-syntax file (`go.mod`, `go.work`), blocks flattened.
pub(crate) fn parse_statements(text: &str, path: &str) -> Result<Vec<Stmt>, ResolveError> {
    let mut lx = Lexer { rest: text.char_indices().peekable(), text, line: 1, path };
    let mut out = Vec::new();
    loop {
        let (tok, line) = lx.next()?;
        match tok {
            Tok::Eof => return Ok(out),
            Tok::Newline | Tok::Comment(_) => {}
            first => {
                let (words, comment, end) = line_tokens(&mut lx, first, true)?;
                if end != Tok::LParen {
                    let mut words = words.into_iter();
                    let verb = words.next().unwrap_or_default();
                    out.push(Stmt { verb, args: words.collect(), line, comment });
                    continue;
                }
                let [verb] = words.as_slice() else {
                    return Err(ResolveError::new(
                        path,
                        Some(line),
                        ResolveErrorKind::Format(format!("unknown block type: {}", words.join(" "))),
                    ));
                };
                let verb = verb.clone();
                loop {
                    let (tok, at) = lx.next()?;
                    match tok {
                        Tok::Newline | Tok::Comment(_) => {}
                        Tok::Eof => {
                            return Err(ResolveError::new(
                                path,
                                Some(line),
                                ResolveErrorKind::Format("syntax error (unterminated block started here)".into()),
                            ));
                        }
                        Tok::RParen => {
                            let (after, _) = lx.next()?;
                            let after = match after {
                                Tok::Comment(_) => lx.next()?.0,
                                t => t,
                            };
                            if !matches!(after, Tok::Newline | Tok::Eof) {
                                return Err(ResolveError::new(
                                    path,
                                    Some(at),
                                    ResolveErrorKind::Format(
                                        "syntax error (expected newline after closing paren)".into(),
                                    ),
                                ));
                            }
                            break;
                        }
                        first => {
                            let (args, comment, _) = line_tokens(&mut lx, first, false)?;
                            out.push(Stmt { verb: verb.clone(), args, line: at, comment });
                        }
                    }
                }
            }
        }
    }
}

/// `strconv.Unquote` for `"…"` and `` `…` `` tokens; other tokens as they are.
pub(crate) fn unquote(s: &str) -> Result<String, String> {
    let bad = || format!("invalid quoted string: {s}");
    if let Some(raw) = s.strip_prefix('`') {
        return raw.strip_suffix('`').map(str::to_owned).ok_or_else(bad);
    }
    let Some(inner) = s.strip_prefix('"') else { return Ok(s.to_owned()) };
    let inner = inner.strip_suffix('"').ok_or_else(bad)?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let e = chars.next().ok_or_else(bad)?;
        let hex = |chars: &mut std::str::Chars<'_>, n: usize| -> Result<u32, String> {
            let digits: String = chars.by_ref().take(n).collect();
            if digits.len() != n {
                return Err(bad());
            }
            u32::from_str_radix(&digits, 16).map_err(|_| bad())
        };
        match e {
            'a' => out.push('\u{7}'),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'v' => out.push('\u{b}'),
            '\\' => out.push('\\'),
            '"' => out.push('"'),
            'x' => out.push(char::from_u32(hex(&mut chars, 2)?).ok_or_else(bad)?),
            'u' => out.push(char::from_u32(hex(&mut chars, 4)?).ok_or_else(bad)?),
            'U' => out.push(char::from_u32(hex(&mut chars, 8)?).ok_or_else(bad)?),
            '0'..='7' => {
                let rest: String = chars.by_ref().take(2).collect();
                let digits = format!("{e}{rest}");
                let n = u32::from_str_radix(&digits, 8).map_err(|_| bad())?;
                if digits.len() != 3 || n > 255 {
                    return Err(bad());
                }
                out.push(char::from_u32(n).ok_or_else(bad)?);
            }
            _ => return Err(bad()),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_go_mod_and_go_work_by_name() {
        use crate::resolve::gowork::GoWorkResolver;
        assert!(GoModResolver.claims(Path::new("go.mod")) && GoModResolver.claims(Path::new("svc/a/go.mod")));
        assert!(!GoModResolver.claims(Path::new("go.mod.bak")) && !GoModResolver.claims(Path::new("go.sum")));
        assert!(GoWorkResolver.claims(Path::new("go.work")) && !GoWorkResolver.claims(Path::new("go.work.sum")));
    }

    #[test]
    fn go_versions_become_vulndb_semver() {
        assert_eq!(go_to_semver("1.21").as_deref(), Some("1.21.0"));
        assert_eq!(go_to_semver("1.22.5").as_deref(), Some("1.22.5"));
        assert_eq!(go_to_semver("1.21rc1").as_deref(), Some("1.21.0-rc.1"));
        assert_eq!(go_to_semver("x"), None);
        assert!(is_go_version("1.16") && is_go_version("1.21.0") && is_go_version("1.21rc2"));
        assert!(!is_go_version("1.") && !is_go_version("v1.2") && !is_go_version("1.02") && !is_go_version("0.1"));
        assert!(
            go_at_most_1_16("1.16") && go_at_most_1_16("1.9") && !go_at_most_1_16("1.17") && !go_at_most_1_16("1.23.1")
        );
    }

    #[test]
    fn stdlib_is_the_higher_of_go_and_toolchain() {
        let file = |text: &str| ModFile::parse(text, "go.mod").unwrap();
        // go runs at least the `go` version: an older toolchain line is not used.
        assert_eq!(stdlib(&file("go 1.22.5\ntoolchain go1.21.0\n")), Some(("1.22.5".into(), 1)));
        assert_eq!(stdlib(&file("go 1.22.5\ntoolchain go1.23.1-xyz\n")), Some(("1.23.1".into(), 2)));
        // Equal: the toolchain's line; a release candidate is older than its release.
        assert_eq!(stdlib(&file("go 1.21.0\ntoolchain go1.21.0\n")), Some(("1.21.0".into(), 2)));
        assert_eq!(stdlib(&file("go 1.21\ntoolchain go1.21rc2\n")), Some(("1.21.0".into(), 1)));
        assert_eq!(stdlib(&file("go 1.21rc1\ntoolchain go1.21rc2\n")), Some(("1.21.0-rc.2".into(), 2)));
        // `toolchain default` names no version; 1.9 < 1.10 as numbers.
        assert_eq!(stdlib(&file("go 1.10\ntoolchain default\n")), Some(("1.10.0".into(), 1)));
        assert_eq!(stdlib(&file("go 1.10\ntoolchain go1.9\n")), Some(("1.10.0".into(), 1)));
        assert_eq!(stdlib(&file("toolchain go1.23.0\n")), Some(("1.23.0".into(), 1)));
        assert_eq!(stdlib(&file("module m\n")), None);
    }

    #[test]
    fn indirect_comments_are_read_as_modfile_reads_them() {
        for yes in ["// indirect", "//indirect", "//\tindirect  ", "// indirect; needed by x", "//indirect; x y"] {
            assert!(is_indirect(yes), "{yes:?}");
        }
        for no in ["// indirect;", "//indirect;foo", "// indirect x", "// indirectly", "//", "// not indirect"] {
            assert!(!is_indirect(no), "{no:?}");
        }
    }

    #[test]
    fn use_directories_are_read_alike_by_go_mod_and_go_work() {
        assert_eq!(use_dir(".", "./a").as_deref(), Some("a"));
        assert_eq!(use_dir(".", ".\\a").as_deref(), Some("a"));
        assert_eq!(use_dir("w", "..\\b\\c").as_deref(), Some("b/c"));
        assert_eq!(use_dir("w", ".").as_deref(), Some("w"));
        for absolute in ["/a", "\\a", "C:\\a", "c:/a"] {
            assert_eq!(use_dir(".", absolute), None, "{absolute}");
        }
    }

    #[test]
    fn versions_are_canonicalized_as_modfile_does() {
        assert_eq!(canonical("v1.2").as_deref(), Some("v1.2.0"));
        assert_eq!(canonical("v2.0.0+incompatible").as_deref(), Some("v2.0.0+incompatible"));
        assert_eq!(canonical("v1.0.0+meta").as_deref(), Some("v1.0.0"));
        assert_eq!(
            canonical("v0.0.0-20191109021931-daa7c04131f5").as_deref(),
            Some("v0.0.0-20191109021931-daa7c04131f5")
        );
        assert_eq!(canonical("1.2.3"), None);
        assert_eq!(canonical("v1.2-pre"), None);
        assert_eq!(canonical("v01.2.3"), None);
        assert!(check_path_major("github.com/a/b/v2", "v2.1.0").is_ok());
        assert!(check_path_major("github.com/a/b/v2", "v1.1.0").is_err());
        assert!(check_path_major("github.com/a/b", "v2.1.0").is_err());
        assert!(check_path_major("github.com/a/b", "v2.1.0+incompatible").is_ok());
        assert!(check_path_major("gopkg.in/yaml.v3", "v3.0.1").is_ok());
        assert!(check_path_major("gopkg.in/check.v1", "v0.0.0-20161208181325-20d25e280405").is_ok());
    }

    #[test]
    fn the_lexer_reads_blocks_strings_and_comments() {
        let text = "module \"example.com/m\" // the module\n\nrequire (\n\tx.io/a v1.0.0 // indirect\n\t`x.io/b` v1.1.0\n)\nretract [v1.0.0, v1.0.5] // oops\n";
        let stmts = parse_statements(text, "go.mod").unwrap();
        let got: Vec<_> = stmts.iter().map(|s| (s.verb.as_str(), s.args.len(), s.line, s.comment.is_some())).collect();
        assert_eq!(
            got,
            [("module", 1, 1, true), ("require", 2, 4, true), ("require", 2, 5, false), ("retract", 5, 7, true)]
        );
        let f = ModFile::parse(text, "go.mod").unwrap();
        assert_eq!(f.module, Some(("example.com/m".into(), 1)));
        assert_eq!(
            f.requires.iter().map(|r| (r.path.as_str(), r.indirect)).collect::<Vec<_>>(),
            [("x.io/a", true), ("x.io/b", false)]
        );
        for bad in [
            "require (\nx v1.0.0\n",
            "foo bar\n",
            "require x\n",
            "module a /* b */\n",
            "require \"x v1.0.0\n",
            "replace a => b\n",
            "require (\n) x\n",
            "\u{1}\n",
        ] {
            let e = ModFile::parse(bad, "go.mod").unwrap_err();
            assert_eq!(e.path, "go.mod", "{bad:?}");
            assert!(e.line.is_some(), "{bad:?}");
        }
        assert_eq!(unquote(r#""a\tb\x41\u00e9""#).unwrap(), "a\tbAé");
        assert!(unquote(r#""\q""#).is_err());
    }
}
