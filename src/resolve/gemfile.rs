//! Bundler's lockfile: `Gemfile.lock` (and `gems.locked`, the name Bundler uses beside a
//! `gems.rb`), read line by line as Bundler's own `Bundler::LockfileParser` reads it.
//!
//! # The format
//!
//! Lines are split on `\n` (a `\r` before it is dropped); blank lines do not matter. A line
//! without indentation starts a section:
//!
//! - `GEM`, `GIT`, `PATH`, `PLUGIN SOURCE`: a source. Its two-space `key: value` options come
//!   first (`remote:`, possibly several; for git `revision:`, `branch:`, `tag:`, `ref:`, `glob:`,
//!   `submodules:`), then `  specs:`, then one four-space line per locked gem,
//!   `name (version)` or `name (version-platform)`, each followed by six-space lines naming its
//!   runtime dependencies, `name` or `name (requirement, requirement)`.
//! - `PLATFORMS`: the platforms the lockfile is resolved for (two-space lines).
//! - `DEPENDENCIES`: the Gemfile's own dependencies, `name`, `name (requirements)`, with a
//!   trailing `!` when the gem comes from a source other than the default one.
//! - `CHECKSUMS` (Bundler 2.5 and later): `name (version[-platform]) sha256=HEX` per gem, several
//!   checksums separated by `,`; git and path gems are listed without one.
//! - `RUBY VERSION`, `BUNDLED WITH`: the Ruby and the Bundler that wrote the file.
//!
//! Any other unindented line starts a section Bundler does not know: Bundler ignores it and its
//! lines, and so does chainward, with a warning. Bundler compares headers exactly, so `GEM `
//! with a trailing space is such a section (the warning says so); a four-space
//! `name (version)` spec line in one (or before any section) would be a gem left out of the
//! scan in silence, so it fails the file with its line. Bundler's format grows by adding sections
//! (`BUNDLED WITH` in 1.10, `PLUGIN SOURCE` in 1.13, `CHECKSUMS` in 2.5) that older Bundlers
//! skip, so there is no format version to refuse: a `BUNDLED WITH` major newer than 4 is a
//! warning, and the file is read.
//!
//! # Packages
//!
//! Every spec line is a package: a platform-specific gem (`nokogiri (1.13.3-x86_64-linux)`)
//! is version `1.13.3` with `platform` `x86_64-linux` (the purl's `platform` qualifier), one
//! package per platform variant (each is its own `.gem` file, with its own checksum). The
//! platform `ruby` is the plain gem. Where they come from:
//!
//! - a `GEM` section whose remote is rubygems.org (`http` or `https`, with or without `www.`)
//!   or gem.coop's root (a mirror of rubygems.org, serving its gems under the same names):
//!   [`PackageSource::default_registry`], matched against advisories. An old Bundler (before
//!   2.2) wrote every global source as one `GEM` section with several remotes; a gem there may
//!   come from any of them, and when rubygems.org is one it is read as rubygems.org's.
//! - another `GEM` remote (a private gem server, a vendor's): a registry that is not the
//!   default one, never matched (a private `rails` is not rubygems.org's `rails`).
//! - `GIT`: a git source, `revision:` as the commit and `branch:`/`tag:`/`ref:` as the
//!   reference.
//! - `PATH`: a local gem (its `remote:` is the directory relative to the lockfile), first-party.
//! - `PLUGIN SOURCE`: a source of a Bundler plugin, read as a registry that is not the default.
//!
//! Bundler keys specs by `name-version-platform`: a second spec line with the same key replaces
//! the first (a warning here; Bundler never writes one).
//!
//! # Edges, direct dependencies, checksums
//!
//! A six-space dependency line names a gem; Bundler resolves it per platform the lockfile is
//! locked for. The dependency of a platform build (`nokogiri (1.13.3-x86_64-linux)`) goes to the
//! specs of that name of the same platform and to its generic (`ruby`) spec, when it has
//! either; otherwise (and for the dependency of a generic gem, which each platform resolves to
//! its own variant) to every spec of that name. More edges than 64 per line of the file (at
//! least 65,536, at most 1,000,000: only a crafted file has them, each spec depending on names
//! with hundreds of variants) fail the file ([`ResolveErrorKind::Format`], at the dependency line
//! that crosses the limit) rather than be linked in part. `bundler` is never a spec (the running Bundler provides
//! itself), so edges to it are left out; any other name that matches no spec is a
//! [`ResolveErrorKind::DanglingDependency`] in [`Resolved::errors`]. `DEPENDENCIES` entries are
//! the synthetic root's dependencies and mark their specs `direct`; an entry with no spec is a
//! warning, unless the Gemfile restricts that gem to some platforms (`platforms: [:windows]`,
//! `platforms :jruby do`): Bundler does not lock a gem for platforms the lockfile is not
//! resolved for (Rails' `tzinfo-data`). A
//! `CHECKSUMS` line lands on the spec of the same name, version and platform as a SHA-256
//! ([`Checksum::Sha256`], hex or base64 as Bundler accepts it); one for a spec that does not
//! exist is a warning (Bundler ignores it too).
//!
//! # Groups and scopes
//!
//! The lockfile has no groups. Unless only the lockfile is read, the `Gemfile` (or `gems.rb`)
//! beside it is scanned, never run, for the static forms: `gem "name"` inside
//! `group :a, :b do … end` blocks and `gem "name", group: :a` / `groups: [:a, :b]`. A gem
//! outside any group is in `default`. Every package gets the groups of the direct dependencies
//! that reach it. A group named `development` or `test` makes what it reaches
//! [`Scope::Excluded`] (the groups deployments leave out, `BUNDLE_WITHOUT=development:test`), a
//! group declared `optional: true` (not installed unless asked for) [`Scope::Optional`], any
//! other group [`Scope::Required`]; a package reached by several groups takes the strongest
//! (required, then optional, then excluded). A direct dependency
//! the Gemfile does not name in this static form (a `gemspec` development dependency, a gem
//! added by Ruby code) counts as `default`. Without a Gemfile, scopes stay unknown.
//!
//! # Errors
//!
//! Where Bundler gives up on the file ("Your lockfile is unreadable": a version
//! `Gem::Version` refuses, a checksum that is not SHA-256, merge-conflict markers) chainward
//! fails the file with its line. Lines Bundler silently skips inside a source section (a spec
//! line without a version, a line with three or eight spaces) would leave a gem out of the
//! scan, so they fail the file too (osv-scalibr skips them). An empty file, or one without any
//! section, is not a lockfile Bundler wrote: an error.
//!
//! Lines: a package's span is its spec line and its dependency lines.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::path::Path;

use crate::model::{Checksum, Ecosystem, GitReference, LineSpan, Package, PackageSource, RootComponent, Scope};
use crate::resolve::{ResolveError, ResolveErrorKind, ResolveOptions, Resolved, Resolver, Warning};
use crate::source::Source;

/// More specs of one name than this is an error: every edge to the name goes to each of them,
/// so a file with thousands would make the graph quadratic. Real gems are locked for a dozen
/// platforms at most.
const MAX_VARIANTS: usize = 256;

/// The newest `BUNDLED WITH` major whose format chainward knows.
const NEWEST_BUNDLER_MAJOR: u64 = 4;

/// The resolver for `Gemfile.lock` and `gems.locked`.
#[derive(Debug, Clone, Copy, Default)]
pub struct GemfileLockResolver;

impl Resolver for GemfileLockResolver {
    fn name(&self) -> &'static str {
        "bundler"
    }

    fn claims(&self, path: &Path) -> bool {
        path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n == "Gemfile.lock" || n == "gems.locked")
    }

    fn resolve(
        &self,
        source: &dyn Source,
        path: &str,
        bytes: &[u8],
        options: &ResolveOptions,
    ) -> Result<Resolved, ResolveError> {
        let text = super::utf8(path, bytes)?;
        let (lock_dir, file) = path.rsplit_once('/').unwrap_or((".", path));
        let name = super::dir_name(source, lock_dir).unwrap_or_else(|| "root".to_owned());
        let mut resolved = parse(text, path, lock_dir, &name)?;
        if !options.lockfile_only {
            let manifest_name = if file == "gems.locked" { "gems.rb" } else { "Gemfile" };
            let manifest =
                if lock_dir == "." { manifest_name.to_owned() } else { format!("{lock_dir}/{manifest_name}") };
            if let Ok(bytes) = source.read(&manifest) {
                let gemfile = gemfile_groups(&String::from_utf8_lossy(&bytes));
                apply_groups(&mut resolved, &gemfile);
                // A gem the Gemfile restricts to other platforms is not locked: that is expected.
                let expected: BTreeSet<String> = gemfile.platform_only.iter().map(|g| not_locked(g)).collect();
                resolved.warnings.retain(|w| !expected.contains(&w.message));
            }
        }
        Ok(resolved)
    }
}

/// Where the gems of a source section come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SourceKind {
    Gem,
    Git,
    Path,
    Plugin,
}

impl SourceKind {
    fn of_header(line: &str) -> Option<SourceKind> {
        match line {
            "GEM" => Some(SourceKind::Gem),
            "GIT" => Some(SourceKind::Git),
            "PATH" => Some(SourceKind::Path),
            "PLUGIN SOURCE" => Some(SourceKind::Plugin),
            _ => None,
        }
    }
}

/// Whether `line` is one of the headers Bundler reads.
fn is_header(line: &str) -> bool {
    SourceKind::of_header(line).is_some()
        || matches!(line, "DEPENDENCIES" | "CHECKSUMS" | "PLATFORMS" | "RUBY VERSION" | "BUNDLED WITH")
}

/// The section a line is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before any section, or in one Bundler does not know.
    Ignored,
    /// A source section: its options, then (after `specs:`) its specs.
    Source,
    Dependencies,
    Checksums,
    Platforms,
    Ruby,
    BundledWith,
}

/// One spec line and what follows it.
#[derive(Debug)]
struct Spec<'t> {
    name: &'t str,
    version: &'t str,
    platform: Option<&'t str>,
    source: usize,
    line: usize,
    end: usize,
    /// Names of the six-space dependency lines, with their lines.
    deps: Vec<(&'t str, usize)>,
    checksums: Vec<Checksum>,
}

/// A line of the `NAME_VERSION` shape: `name`, `name (inside)`, with an optional `!` and an
/// optional trailing token (the checksums).
#[derive(Debug, Clone, Copy)]
struct NameVersion<'t> {
    name: &'t str,
    /// The parenthesised part before the first `-` (a version, or a requirement list).
    version: Option<&'t str>,
    /// After the first `-` inside the parentheses.
    platform: Option<&'t str>,
    token: Option<&'t str>,
}

/// Split a line's text after its indentation the way Bundler's `NAME_VERSION` does for every
/// line Bundler writes; `None` for a line that is not of that shape.
fn name_version(rest: &str) -> Option<NameVersion<'_>> {
    let name_end = rest.find([' ', '(', ')']).unwrap_or(rest.len());
    let (mut name, mut after) = rest.split_at(name_end);
    let mut version = None;
    let mut platform = None;
    if let Some(inner) = after.strip_prefix(" (") {
        let close = inner.find(')')?;
        let (inside, tail) = inner.split_at(close);
        after = tail.get(1..).unwrap_or("");
        match inside.split_once('-') {
            Some((v, p)) => {
                version = Some(v);
                platform = Some(p);
            }
            None => version = Some(inside),
        }
    }
    // The `!` of a dependency from a source other than the default one: the spec says which.
    if let Some(tail) = after.strip_prefix('!') {
        after = tail;
    } else if version.is_none()
        && let Some(n) = name.strip_suffix('!')
    {
        name = n;
    }
    let token = match after {
        "" => None,
        t => {
            let token = t.strip_prefix(' ')?;
            if token.is_empty() || token.contains(' ') {
                return None;
            }
            Some(token)
        }
    };
    if name.is_empty() || name.contains(['!', '(', ')']) {
        return None;
    }
    Some(NameVersion { name, version, platform, token })
}

/// Whether `version` is a version `Gem::Version` accepts in a lockfile spec (digits, then
/// `.`-separated alphanumeric segments; the `-` form never reaches here, Bundler's parser cuts
/// the platform at the first `-`).
fn valid_version(version: &str) -> bool {
    let mut segments = version.split('.');
    segments.next().is_some_and(|first| !first.is_empty() && first.bytes().all(|b| b.is_ascii_digit()))
        && segments.all(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// The indentation of a line (count of leading spaces) and the rest.
fn indent(line: &str) -> (usize, &str) {
    let rest = line.trim_start_matches(' ');
    (line.len() - rest.len(), rest)
}

/// Whether a `GEM` remote is rubygems.org or its gem.coop mirror.
fn is_default_remote(remote: &str) -> bool {
    let lower = remote.trim().to_ascii_lowercase();
    let Some(rest) = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://")) else {
        return false;
    };
    let rest = rest.trim_end_matches('/');
    matches!(rest, "rubygems.org" | "www.rubygems.org" | "gem.coop" | "www.gem.coop")
}

/// `lock_dir` joined with a relative `remote` of a PATH section, normalised (`.` for the root).
fn join_dir(lock_dir: &str, remote: &str) -> String {
    let mut parts: Vec<&str> = if lock_dir == "." { Vec::new() } else { lock_dir.split('/').collect() };
    if remote.starts_with('/') {
        return remote.to_owned();
    }
    for seg in remote.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    if parts.is_empty() { ".".to_owned() } else { parts.join("/") }
}

/// One source section's options, in order.
#[derive(Debug)]
struct SourceOpts<'t> {
    kind: SourceKind,
    options: Vec<(&'t str, &'t str)>,
}

impl SourceOpts<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.options.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }

    /// The package source of the gems of this section, relative to `lock_dir`.
    fn package_source(&self, lock_dir: &str) -> PackageSource {
        match self.kind {
            SourceKind::Git => {
                let reference = self
                    .get("branch")
                    .map(|b| GitReference::Branch(b.to_owned()))
                    .or_else(|| self.get("tag").map(|t| GitReference::Tag(t.to_owned())))
                    .or_else(|| self.get("ref").map(|r| GitReference::Rev(r.to_owned())));
                PackageSource::Git {
                    url: self.get("remote").unwrap_or_default().to_owned(),
                    reference,
                    commit: self.get("revision").map(str::to_owned),
                }
            }
            SourceKind::Path => PackageSource::Path { dir: join_dir(lock_dir, self.get("remote").unwrap_or(".")) },
            SourceKind::Gem => {
                let remotes: Vec<&str> = self.options.iter().filter(|(k, _)| *k == "remote").map(|(_, v)| *v).collect();
                if remotes.iter().any(|r| is_default_remote(r)) {
                    PackageSource::default_registry(Ecosystem::RubyGems)
                } else {
                    PackageSource::Registry {
                        url: remotes.first().copied().unwrap_or_default().to_owned(),
                        sparse: false,
                        default_registry: false,
                    }
                }
            }
            SourceKind::Plugin => PackageSource::Registry {
                url: self
                    .get("remote")
                    .map_or_else(|| format!("plugin:{}", self.get("type").unwrap_or_default()), str::to_owned),
                sparse: false,
                default_registry: false,
            },
        }
    }
}

/// Parse a Gemfile.lock (`path` for messages, `lock_dir` its directory relative to the scanned
/// root, `root_name` the synthetic root's name).
pub fn parse(text: &str, path: &str, lock_dir: &str, root_name: &str) -> Result<Resolved, ResolveError> {
    let err = |line: usize, kind: ResolveErrorKind| ResolveError::new(path, Some(line), kind);
    let format = |line: usize, message: String| err(line, ResolveErrorKind::Format(message));
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut warnings = Vec::new();
    let warn = |warnings: &mut Vec<Warning>, line: usize, message: String| {
        warnings.push(Warning { path: path.to_owned(), line: Some(line), message });
    };

    let mut state = State::Ignored;
    let mut known_section = false;
    // The header of the unknown section being skipped, its line, and whether it is a known
    // header with trailing spaces.
    let mut unknown: Option<(&str, usize, bool)> = None;
    let mut sources: Vec<SourceOpts<'_>> = Vec::new();
    // Index into `sources` of the section whose `specs:` was seen.
    let mut current_source: Option<usize> = None;
    let mut specs: Vec<Spec<'_>> = Vec::new();
    // `name-version-platform` → index of the spec that holds it (Bundler's `@specs`).
    let mut by_full_name: HashMap<(&str, &str, Option<&str>), usize> = HashMap::new();
    let mut dependencies: Vec<(&str, usize)> = Vec::new();
    // Specs per name: each edge to a name goes to all of them, so their number is bounded.
    let mut per_name: HashMap<&str, usize> = HashMap::new();
    let mut checksum_lines: Vec<(NameVersion<'_>, usize)> = Vec::new();

    for (index, raw) in text.split('\n').enumerate() {
        let number = index + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() {
            continue;
        }
        if ["<<<<<<<", "=======", ">>>>>>>", "|||||||"].iter().any(|m| line.contains(m)) {
            let file = path.rsplit('/').next().unwrap_or(path);
            return Err(format(
                number,
                format!(
                    "the lockfile contains merge conflict markers (Bundler refuses it: resolve the conflict or run `git checkout HEAD -- {file}`, then `bundle lock`)"
                ),
            ));
        }
        if let Some(kind) = SourceKind::of_header(line) {
            state = State::Source;
            known_section = true;
            current_source = None;
            sources.push(SourceOpts { kind, options: Vec::new() });
            continue;
        }
        let next = match line {
            "DEPENDENCIES" => Some(State::Dependencies),
            "CHECKSUMS" => Some(State::Checksums),
            "PLATFORMS" => Some(State::Platforms),
            "RUBY VERSION" => Some(State::Ruby),
            "BUNDLED WITH" => Some(State::BundledWith),
            _ => None,
        };
        if let Some(next) = next {
            state = next;
            known_section = true;
            continue;
        }
        if !line.starts_with([' ', '\t']) {
            state = State::Ignored;
            // Bundler compares headers exactly: `GEM ` starts a section it does not know.
            let padded = is_header(line.trim_end());
            unknown = Some((line, number, padded));
            let hint = if padded {
                format!(
                    " (the header has trailing spaces: Bundler reads only `{}` exactly as written)",
                    crate::sanitize::value(line.trim_end())
                )
            } else {
                String::new()
            };
            warn(
                &mut warnings,
                number,
                format!("unknown section `{}` ignored, as Bundler ignores it{hint}", crate::sanitize::value(line)),
            );
            continue;
        }
        let (spaces, rest) = indent(line);
        match state {
            State::Ignored => {
                // Bundler skips the section, but a spec there is a gem it would leave out: the
                // scan would say nothing of it. Refuse rather than drop it silently.
                if spaces == 4
                    && let Some(nv) = name_version(rest)
                    && nv.version.map(str::trim).is_some_and(valid_version)
                {
                    let section = match unknown {
                        Some((header, at, padded)) => format!(
                            "unknown section `{}` (line {at}{})",
                            crate::sanitize::value(header),
                            if padded { ", a header with trailing spaces" } else { "" }
                        ),
                        None => "no section (before the first header)".to_owned(),
                    };
                    return Err(format(
                        number,
                        format!(
                            "spec line `{}` in {section}: Bundler ignores the section and would not install this gem from it; fix the header (`bundle lock` rewrites the file)",
                            crate::sanitize::value(rest)
                        ),
                    ));
                }
            }
            State::Ruby | State::Platforms => {}
            State::BundledWith => {
                let version = line.trim();
                let major = version.split('.').next().and_then(|m| m.parse::<u64>().ok());
                match major {
                    Some(major) if valid_version(version) => {
                        if major > NEWEST_BUNDLER_MAJOR {
                            warn(
                                &mut warnings,
                                number,
                                format!(
                                    "written by Bundler {version}, newer than chainward knows (Bundler 1 to {NEWEST_BUNDLER_MAJOR}): read as Bundler reads it, new sections ignored"
                                ),
                            );
                        }
                    }
                    _ => warn(
                        &mut warnings,
                        number,
                        format!("`BUNDLED WITH` `{}` is not a version (ignored)", crate::sanitize::value(version)),
                    ),
                }
            }
            State::Source => {
                let Some(source) = sources.last_mut() else { continue };
                if line == "  specs:" {
                    current_source = Some(sources.len() - 1);
                    continue;
                }
                if spaces == 2
                    && let Some((key, value)) = rest.split_once(": ")
                    && !key.is_empty()
                    && key.bytes().all(|b| b.is_ascii_alphabetic())
                {
                    source.options.push((key, value));
                    continue;
                }
                let bad = |why: &str| {
                    format(
                        number,
                        format!(
                            "`{}` is not a line Bundler reads in a source section ({why}); Bundler would re-resolve this lockfile",
                            crate::sanitize::value(line.trim())
                        ),
                    )
                };
                let Some(nv) = (spaces == 4 || spaces == 6).then(|| name_version(rest)).flatten() else {
                    return Err(bad(
                        "expected `  key: value`, `  specs:`, a four-space `name (version)` spec or a six-space dependency",
                    ));
                };
                if spaces == 4 {
                    let Some(source) = current_source else {
                        return Err(bad("a spec before the section's `specs:` line"));
                    };
                    let Some(version) = nv.version.map(str::trim) else {
                        return Err(err(
                            number,
                            ResolveErrorKind::InvalidPackage(format!(
                                "spec `{}` has no version (Bundler cannot read this lockfile)",
                                crate::sanitize::value(nv.name)
                            )),
                        ));
                    };
                    // A `!` or a trailing token on a spec line: Bundler's parser ignores them.
                    if !valid_version(version) {
                        return Err(err(
                            number,
                            ResolveErrorKind::InvalidPackage(format!(
                                "`{}`: `{}` is not a gem version (Bundler cannot read this lockfile)",
                                crate::sanitize::value(nv.name),
                                crate::sanitize::value(rest)
                            )),
                        ));
                    }
                    let platform = nv.platform.filter(|p| *p != "ruby");
                    if platform.is_some_and(|p| p.is_empty() || p.contains(char::is_whitespace)) {
                        return Err(bad("an empty or spaced platform"));
                    }
                    let variants = per_name.entry(nv.name).or_insert(0usize);
                    *variants += 1;
                    if *variants > MAX_VARIANTS {
                        return Err(format(
                            number,
                            format!(
                                "more than {MAX_VARIANTS} specs of `{}`: not a lockfile Bundler writes (a gem has one spec per platform it is locked for)",
                                crate::sanitize::value(nv.name)
                            ),
                        ));
                    }
                    let key = (nv.name, version, platform);
                    if let Some(previous) = by_full_name.insert(key, specs.len()) {
                        let was = specs.get(previous).map_or(0, |s| s.line);
                        warn(
                            &mut warnings,
                            number,
                            format!(
                                "`{}` is locked twice (also at line {was}): Bundler keeps this one",
                                crate::sanitize::value(&full_name(nv.name, version, platform))
                            ),
                        );
                    }
                    specs.push(Spec {
                        name: nv.name,
                        version,
                        platform,
                        source,
                        line: number,
                        end: number,
                        deps: Vec::new(),
                        checksums: Vec::new(),
                    });
                } else {
                    let Some(spec) = specs.last_mut().filter(|s| current_source == Some(s.source)) else {
                        return Err(bad("a dependency line before any spec of its section"));
                    };
                    spec.deps.push((nv.name, number));
                    spec.end = number;
                }
            }
            State::Dependencies => match (spaces, name_version(rest)) {
                (2, Some(nv)) => dependencies.push((nv.name, number)),
                _ => warn(
                    &mut warnings,
                    number,
                    format!(
                        "`{}` is not a dependency line (ignored, as Bundler ignores it)",
                        crate::sanitize::value(line.trim())
                    ),
                ),
            },
            State::Checksums => match (spaces, name_version(rest)) {
                (2, Some(nv)) if nv.version.is_some() => checksum_lines.push((nv, number)),
                _ => warn(
                    &mut warnings,
                    number,
                    format!(
                        "`{}` is not a checksum line (ignored, as Bundler ignores it)",
                        crate::sanitize::value(line.trim())
                    ),
                ),
            },
        }
    }
    if !known_section {
        return Err(ResolveError::new(
            path,
            None,
            ResolveErrorKind::Format(if text.trim().is_empty() {
                "empty Gemfile.lock: Bundler has locked nothing (run `bundle lock`)".to_owned()
            } else {
                "not a Gemfile.lock: none of the sections Bundler writes (GEM, GIT, PATH, PLATFORMS, DEPENDENCIES, ...)"
                    .to_owned()
            }),
        ));
    }

    // Checksums onto their specs (Bundler's `parse_checksum`).
    for (nv, number) in checksum_lines {
        let version = nv.version.map(str::trim).unwrap_or_default();
        let platform = nv.platform.filter(|p| *p != "ruby");
        let Some(spec) = by_full_name.get(&(nv.name, version, platform)).and_then(|&i| specs.get_mut(i)) else {
            warn(
                &mut warnings,
                number,
                format!(
                    "checksum for `{}`, which is not a spec of this lockfile (ignored, as Bundler ignores it)",
                    crate::sanitize::value(&full_name(nv.name, version, platform))
                ),
            );
            continue;
        };
        let Some(token) = nv.token else { continue };
        for item in token.split(',') {
            let (algorithm, digest) = item.split_once('=').unwrap_or((item, ""));
            let checksum = if algorithm == "sha256" {
                sha256(digest)
            } else {
                Checksum::from_hex(algorithm, digest).or_else(|| {
                    warn(
                        &mut warnings,
                        number,
                        format!(
                            "checksum `{}` of an algorithm chainward does not read (not recorded)",
                            crate::sanitize::value(item)
                        ),
                    );
                    None
                })
            };
            match checksum {
                Some(c) => spec.checksums.push(c),
                None if algorithm == "sha256" => {
                    return Err(err(
                        number,
                        ResolveErrorKind::InvalidChecksum {
                            package: full_name(nv.name, version, platform),
                            checksum: item.to_owned(),
                        },
                    ));
                }
                None => {}
            }
        }
    }

    // The specs Bundler keeps (the last of each full name), in file order.
    let survivors: Vec<usize> = {
        let mut kept: Vec<usize> = by_full_name.values().copied().collect();
        kept.sort_unstable();
        kept
    };
    let mut packages = Vec::with_capacity(survivors.len());
    let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for &i in &survivors {
        let Some(spec) = specs.get_mut(i) else { continue };
        let source = sources
            .get(spec.source)
            .map_or_else(|| PackageSource::default_registry(Ecosystem::RubyGems), |s| s.package_source(lock_dir));
        let first_party = matches!(source, PackageSource::Path { .. });
        let mut package = Package::new(Ecosystem::RubyGems, spec.name.to_owned(), spec.version.to_owned(), source);
        package.platform = spec.platform.map(str::to_owned);
        package.lines = Some(LineSpan { start: spec.line, end: spec.end });
        package.first_party = first_party;
        let mut checksums = std::mem::take(&mut spec.checksums);
        checksums.sort_unstable_by(|a, b| b.cmp(a));
        checksums.dedup();
        package.checksums = checksums;
        by_name.entry(spec.name).or_default().push(packages.len());
        packages.push(package);
    }
    // The spec variants of a name for one platform (`None`: the generic `ruby` gem).
    let mut by_platform: HashMap<(&str, Option<&str>), Vec<usize>> = HashMap::new();
    for (index, &i) in survivors.iter().enumerate() {
        if let Some(spec) = specs.get(i) {
            by_platform.entry((spec.name, spec.platform)).or_default().push(index);
        }
    }
    let targets = |dep, platform| variants(&by_name, &by_platform, dep, platform);
    // Count the edges before making them: a file where many specs depend on names with many
    // variants has quadratically many (see [`edge_budget`]).
    let budget = edge_budget(text.split('\n').count());
    let mut total = 0usize;
    let over = |number: usize, total: usize| {
        format(
            number,
            format!(
                "more than {budget} dependency edges ({total} by this line): the file links its specs to many platform variants each, which a lockfile Bundler writes does not (at most 64 edges per line of the file, 1,000,000 in all)"
            ),
        )
    };
    for &i in &survivors {
        let Some(spec) = specs.get(i) else { continue };
        for &(dep, number) in &spec.deps {
            if let Some([a, b]) = targets(dep, spec.platform) {
                total = total.saturating_add(a.len() + b.len());
                if total > budget {
                    return Err(over(number, total));
                }
            }
        }
    }
    for &(dep, number) in &dependencies {
        total = total.saturating_add(by_name.get(dep).map_or(0, Vec::len));
        if total > budget {
            return Err(over(number, total));
        }
    }
    let mut errors = Vec::new();
    for (index, &i) in survivors.iter().enumerate() {
        let Some(spec) = specs.get(i) else { continue };
        let mut edges = BTreeSet::new();
        for &(dep, number) in &spec.deps {
            match targets(dep, spec.platform) {
                Some(lists) => edges.extend(lists.iter().flat_map(|l| l.iter().copied()).filter(|&t| t != index)),
                None if dep == "bundler" => {}
                None => errors.push(err(
                    number,
                    ResolveErrorKind::DanglingDependency {
                        package: full_name(spec.name, spec.version, spec.platform),
                        dependency: dep.to_owned(),
                    },
                )),
            }
        }
        if let Some(p) = packages.get_mut(index) {
            p.dependencies = edges;
        }
    }
    let mut depends_on = BTreeSet::new();
    for (dep, number) in dependencies {
        match by_name.get(dep) {
            Some(targets) => {
                for &t in targets {
                    depends_on.insert(t);
                    if let Some(p) = packages.get_mut(t) {
                        p.direct = true;
                    }
                }
            }
            None if dep == "bundler" => {}
            None => warn(&mut warnings, number, not_locked(dep)),
        }
    }
    Ok(Resolved {
        path: path.to_owned(),
        packages,
        root: RootComponent::Synthetic { name: root_name.to_owned(), depends_on },
        warnings,
        errors,
    })
}

/// The specs a dependency line of a spec of `platform` reaches, as two lists (`None` when the
/// name has no spec). Bundler resolves the lockfile per platform: a platform build's dependency
/// is the build of the same platform or the generic gem; a generic gem's dependency is
/// whichever variant each platform picks, so every variant (and so is a platform build's whose
/// platform the name has neither a build of nor a generic gem).
fn variants<'m, 't>(
    by_name: &'m HashMap<&'t str, Vec<usize>>,
    by_platform: &'m HashMap<(&'t str, Option<&'t str>), Vec<usize>>,
    dep: &'t str,
    platform: Option<&'t str>,
) -> Option<[&'m [usize]; 2]> {
    let all = by_name.get(dep)?;
    if let Some(p) = platform {
        let own = by_platform.get(&(dep, Some(p))).map_or(&[][..], Vec::as_slice);
        let generic = by_platform.get(&(dep, None)).map_or(&[][..], Vec::as_slice);
        if !own.is_empty() || !generic.is_empty() {
            return Some([own, generic]);
        }
    }
    Some([all.as_slice(), &[]])
}

/// How many dependency edges a file of `lines` lines may have: 64 a line, at least 65,536 and
/// at most 1,000,000. A real lockfile has a few per line (a dependency line reaches one spec,
/// or the handful of platform builds of a gem); past this, the file is refused with an error
/// rather than linked (or cut short) silently.
fn edge_budget(lines: usize) -> usize {
    lines.saturating_mul(64).clamp(65_536, 1_000_000)
}

/// The warning for a `DEPENDENCIES` entry without a spec.
fn not_locked(name: &str) -> String {
    format!(
        "`{}` is a dependency of the Gemfile but no spec of this lockfile (a gem for platforms the lockfile is not resolved for?): not scanned",
        crate::sanitize::value(name)
    )
}

/// Bundler's full name of a spec: `name-version`, or `name-version-platform`.
fn full_name(name: &str, version: &str, platform: Option<&str>) -> String {
    match platform {
        Some(p) => format!("{name}-{version}-{p}"),
        None => format!("{name}-{version}"),
    }
}

/// A `sha256=` digest as Bundler accepts it: 64 hex digits, or (url-safe) base64 of 32 bytes.
fn sha256(digest: &str) -> Option<Checksum> {
    use base64::Engine as _;
    if let Some(c) = Checksum::from_hex("sha256", digest) {
        return Some(c);
    }
    let trimmed = digest.trim_end_matches('=');
    if trimmed.len() != 43 || digest.len() > 45 {
        return None;
    }
    let standard: String = trimmed
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    let bytes = base64::engine::general_purpose::STANDARD_NO_PAD.decode(standard).ok()?;
    let hex = bytes.iter().fold(String::with_capacity(64), |mut hex, b| {
        use std::fmt::Write as _;
        let _ = write!(hex, "{b:02x}");
        hex
    });
    Checksum::from_hex("sha256", &hex)
}

/// Blocks deeper than this in a Gemfile: not read for groups.
const MAX_GEMFILE_NESTING: usize = 64;

/// More distinct groups than this among the direct dependencies: no groups or scopes (each group
/// is one walk of the graph).
const MAX_GROUPS: usize = 64;

/// What the Gemfile's static forms say about groups.
#[derive(Debug, Default)]
struct GemfileGroups {
    /// The groups of each gem the Gemfile names.
    gems: HashMap<String, BTreeSet<String>>,
    /// Groups declared `optional: true` (not installed unless asked for).
    optional: BTreeSet<String>,
    /// Gems restricted to some platforms (`platforms:`, `platforms … do`): Bundler leaves them
    /// out of the specs when the lockfile is not resolved for those platforms.
    platform_only: BTreeSet<String>,
}

/// The groups the Gemfile gives each gem it names in a static form (`gem "x"` inside
/// `group … do` blocks, `group:`/`groups:` options); gems outside any group are `default`.
fn gemfile_groups(gemfile: &str) -> GemfileGroups {
    let mut out: HashMap<String, BTreeSet<String>> = HashMap::new();
    let mut optional = BTreeSet::new();
    let mut platform_only = BTreeSet::new();
    // One entry per open block: the groups it opened (empty for other blocks), and whether it
    // is a `platforms` block.
    let mut blocks: Vec<(Vec<String>, bool)> = Vec::new();
    for raw in gemfile.lines() {
        let line = strip_comment(raw).trim();
        if line.is_empty() {
            continue;
        }
        let first = line.split(|c: char| c.is_whitespace() || c == '(' || c == '.').next().unwrap_or("");
        if first == "end" {
            blocks.pop();
            continue;
        }
        // `… do` or `… do |x|`.
        let opens = line.ends_with(" do")
            || line.rsplit_once(" do ").is_some_and(|(_, t)| t.starts_with('|') && t.ends_with('|'));
        let opens_keyword =
            matches!(first, "if" | "unless" | "case" | "begin" | "while" | "until" | "def" | "class" | "module");
        if first == "group" && opens {
            let args = line.get(5..).unwrap_or("").trim_start_matches('(');
            let names = symbols(args.rsplit_once(" do").map_or(args, |(a, _)| a));
            if args.contains("optional: true") || args.contains(":optional => true") {
                optional.extend(names.iter().cloned());
            }
            blocks.push((names, false));
            continue;
        }
        if opens || opens_keyword {
            blocks.push((Vec::new(), matches!(first, "platforms" | "platform")));
        }
        if blocks.len() > MAX_GEMFILE_NESTING {
            // Not a Gemfile written by hand: no groups rather than a slow guess.
            return GemfileGroups::default();
        }
        if first == "gem" {
            let args = line.get(3..).unwrap_or("").trim_start_matches('(').trim();
            let Some(name) = quoted(args) else { continue };
            let mut groups: BTreeSet<String> = blocks.iter().flat_map(|(g, _)| g).cloned().collect();
            if blocks.iter().any(|(_, platforms)| *platforms)
                || ["platforms:", "platform:", ":platforms =>", ":platform =>"].iter().any(|k| args.contains(k))
            {
                platform_only.insert(name.to_owned());
            }
            for key in ["groups:", "group:", ":groups =>", ":group =>"] {
                if let Some((_, value)) = args.split_once(key) {
                    let value = value.trim_start();
                    let value = if value.starts_with('[') {
                        value.split(']').next().unwrap_or("")
                    } else {
                        value.split(',').next().unwrap_or("")
                    };
                    groups.extend(symbols(value));
                }
            }
            if groups.is_empty() {
                groups.insert("default".to_owned());
            }
            out.entry(name.to_owned()).or_default().extend(groups);
        }
    }
    GemfileGroups { gems: out, optional, platform_only }
}

/// A line without its `#` comment (a `#` inside a string does not start one).
fn strip_comment(line: &str) -> &str {
    let mut quote = None;
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '#') => return line.get(..i).unwrap_or(line),
            _ => {}
        }
    }
    line
}

/// The first quoted string of `s`.
fn quoted(s: &str) -> Option<&str> {
    let q = s.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let rest = s.get(1..)?;
    rest.split(q).next().filter(|n| !n.is_empty())
}

/// The group names of `:a, :b` / `"a"` / `[:a, :b]`.
fn symbols(s: &str) -> Vec<String> {
    s.split(|c: char| c == ',' || c.is_whitespace() || c == '[' || c == ']' || c == '(' || c == ')')
        .filter_map(|t| {
            let t = t.trim();
            let name = t.strip_prefix(':').or_else(|| quoted(t)).unwrap_or("");
            let name = name.trim_matches(|c| c == '"' || c == '\'');
            (!name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')).then(|| name.to_owned())
        })
        .collect()
}

/// Groups and scopes from the Gemfile's groups of the direct dependencies (see the module docs).
fn apply_groups(resolved: &mut Resolved, gemfile: &GemfileGroups) {
    let RootComponent::Synthetic { depends_on, .. } = &resolved.root else { return };
    let n = resolved.packages.len();
    let mut groups: Vec<BTreeSet<String>> = vec![BTreeSet::new(); n];
    // The strongest scope reaching each package: Required > Optional > Excluded.
    let mut scope: Vec<Option<Scope>> = vec![None; n];
    // Per group, the direct gems in it.
    let mut seeds: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for &d in depends_on {
        let Some(p) = resolved.packages.get(d) else { continue };
        let declared = gemfile.gems.get(&p.name).cloned().unwrap_or_else(|| BTreeSet::from(["default".to_owned()]));
        for g in declared {
            seeds.entry(g).or_default().push(d);
        }
    }
    if seeds.len() > MAX_GROUPS {
        resolved.warnings.push(Warning {
            path: resolved.path.clone(),
            line: None,
            message: format!(
                "the Gemfile names {} groups (more than {MAX_GROUPS}): no groups or scopes recorded",
                seeds.len()
            ),
        });
        return;
    }
    let rank = |s: Option<Scope>| match s {
        None => 0,
        Some(Scope::Excluded) => 1,
        Some(Scope::Optional) => 2,
        Some(Scope::Required) => 3,
    };
    for (group, start) in seeds {
        let this = if matches!(group.as_str(), "development" | "test") {
            Scope::Excluded
        } else if gemfile.optional.contains(&group) {
            Scope::Optional
        } else {
            Scope::Required
        };
        let mut seen = vec![false; n];
        let mut queue: VecDeque<usize> = start.into_iter().collect();
        while let Some(i) = queue.pop_front() {
            let Some(s) = seen.get_mut(i) else { continue };
            if *s {
                continue;
            }
            *s = true;
            if let Some(g) = groups.get_mut(i) {
                g.insert(group.clone());
            }
            if let Some(s) = scope.get_mut(i)
                && rank(Some(this)) > rank(*s)
            {
                *s = Some(this);
            }
            if let Some(p) = resolved.packages.get(i) {
                queue.extend(p.dependencies.iter().copied());
            }
        }
    }
    for ((p, g), s) in resolved.packages.iter_mut().zip(groups).zip(scope) {
        if s.is_some() {
            p.groups = g.into_iter().collect();
            p.scope = s;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_version_splits_as_bundler_does() {
        let nv = name_version("nokogiri (1.13.3-x86_64-linux)").unwrap();
        assert_eq!((nv.name, nv.version, nv.platform), ("nokogiri", Some("1.13.3"), Some("x86_64-linux")));
        let nv = name_version("mongoid (~> 9.0)!").unwrap();
        assert_eq!((nv.name, nv.version), ("mongoid", Some("~> 9.0")));
        let nv = name_version("devise!").unwrap();
        assert_eq!((nv.name, nv.version), ("devise", None));
        let nv = name_version("rack (2.2.3) sha256=ab,sha512=cd").unwrap();
        assert_eq!((nv.version, nv.token), (Some("2.2.3"), Some("sha256=ab,sha512=cd")));
        let nv = name_version("activemodel (>= 5.1, < 8.2, != 7.0.0)").unwrap();
        assert_eq!(nv.version, Some(">= 5.1, < 8.2, != 7.0.0"));
        assert!(name_version("a (1.0").is_none());
        assert!(name_version("a (1.0) x y").is_none());
        assert!(name_version("").is_none());
    }

    #[test]
    fn a_mark_or_token_on_a_spec_line_is_ignored_as_bundler_does() {
        let text = "GEM\n  remote: https://rubygems.org/\n  specs:\n    rack (2.2.3)! extra\n    rake (13.0.6) x\n";
        let lock = parse(text, "Gemfile.lock", ".", "root").unwrap();
        let got: Vec<_> = lock.packages.iter().map(|p| (p.name.as_str(), p.version.as_str())).collect();
        assert_eq!(got, [("rack", "2.2.3"), ("rake", "13.0.6")]);
        assert!(lock.packages.iter().all(|p| p.checksums.is_empty()));
    }

    #[test]
    fn versions_and_remotes() {
        assert!(valid_version("1.13.3") && valid_version("2.0.0.alpha1") && valid_version("36.0.0.1.0"));
        assert!(!valid_version("") && !valid_version("a.1") && !valid_version("1..2") && !valid_version("1.0 "));
        assert!(is_default_remote("https://rubygems.org/") && is_default_remote("http://rubygems.org"));
        assert!(is_default_remote("https://gem.coop/"));
        assert!(!is_default_remote("https://packager.dev/avo-hq/") && !is_default_remote("https://gem.coop/@x/"));
        assert_eq!(join_dir(".", "."), ".");
        assert_eq!(join_dir("app", "../engines/x"), "engines/x");
    }

    #[test]
    fn base64_sha256_digests_are_read() {
        // sha256("") in hex and base64.
        let hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert_eq!(sha256(hex), Some(Checksum::Sha256(hex.into())));
        assert_eq!(sha256("47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU="), Some(Checksum::Sha256(hex.into())));
        assert_eq!(sha256("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU"), Some(Checksum::Sha256(hex.into())));
        assert_eq!(sha256("abc"), None);
    }

    #[test]
    fn gemfile_groups_of_static_forms() {
        let all = gemfile_groups(
            "source \"https://rubygems.org\"\ngem \"rails\", \"~> 8\"\ngroup :development, :test do\n  gem 'rspec' # x\n  if ENV['X']\n    gem \"pry\"\n  end\nend\ngem \"puma\", group: :production\ngem \"x\", groups: [:a, :b]\ngroup :avo, optional: true do\n  source \"https://example.com/\" do\n    gem \"avo-pro\"\n  end\nend\ngem \"late\"\n",
        );
        assert_eq!(all.optional, BTreeSet::from(["avo".to_owned()]));
        assert_eq!(all.gems["avo-pro"], BTreeSet::from(["avo".to_owned()]));
        assert_eq!(all.gems["late"], BTreeSet::from(["default".to_owned()]));
        let p = gemfile_groups(
            "gem \"tzinfo-data\", platforms: %i[windows jruby]\nplatforms :jruby do\n  gem \"jdbc\"\nend\ngem \"x\"\n",
        );
        assert_eq!(p.platform_only, BTreeSet::from(["jdbc".to_owned(), "tzinfo-data".to_owned()]));
        let g = &all.gems;
        assert_eq!(g["rails"], BTreeSet::from(["default".to_owned()]));
        assert_eq!(g["rspec"], BTreeSet::from(["development".to_owned(), "test".to_owned()]));
        assert_eq!(g["pry"], BTreeSet::from(["development".to_owned(), "test".to_owned()]));
        assert_eq!(g["puma"], BTreeSet::from(["production".to_owned()]));
        assert_eq!(g["x"], BTreeSet::from(["a".to_owned(), "b".to_owned()]));
    }
}
