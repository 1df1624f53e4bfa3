//! `yarn.lock`: yarn classic (v1, yarn's own syntax) and yarn berry (v2+, YAML with a
//! `__metadata` key; the berry reader is [`super::yarn_berry`]).
//!
//! # Telling them apart
//!
//! By structure, not by the comment: a file with a top-level `__metadata` key is berry;
//! anything else is read as classic (whose header comment `# yarn lockfile v1` is checked when
//! present: a higher version is an unsupported format version, as yarn 1 says).
//!
//! # Classic (v1)
//!
//! The syntax is yarn's own (`src/lockfile/parse.js`), read by a tokenizer and a recursive
//! parser with yarn's semantics: quoted strings are JSON strings, unquoted ones start with a
//! letter, `/`, `.` or `-` and run to `:`, space, `,` or the end of the line; numbers and
//! `true`/`false` are their own tokens; comments run to the end of the line; indentation is two
//! spaces per level (an odd count is an error); a property is `key value` or `key:` followed by
//! a block one level deeper; several keys separated by commas share one value. Each top-level
//! block is one package: its header lists the descriptors (`name@range`, aliases
//! `x@npm:real@range`, unquoted or quoted) that yarn resolved to it. Fields: `version`,
//! `resolved` (the tarball URL, whose `#fragment` is the tarball's SHA-1 for registry and tarball
//! URLs and the commit for git URLs), `integrity` (SRI, see [`Checksum::from_sri`]),
//! `dependencies` and `optionalDependencies` (`name "range"`).
//!
//! An edge `name range` goes to the block whose header lists exactly `name@range`, as yarn's
//! `Lockfile::getLocked` looks it up. A missing optional dependency is not an error. An alias's
//! package is its real name (`x@npm:real@^1` is `real`, installed as `x`: the `alias`). GitHub
//! tarballs (`codeload.github.com/OWNER/REPO/tar.gz/SHA`), GitLab and Bitbucket archives and
//! `https://github.com/OWNER/REPO#SHA` are git sources at that commit; a block without `resolved`
//! whose header has a `file:`/`link:` range is a path package.
//!
//! The classic lockfile does not list the project's own packages: the root is a first-party
//! package made from `package.json` (its name and version, else the directory's name), its
//! `dependencies`, `optionalDependencies` and `devDependencies` are its edges (found in the
//! lockfile as `name@range`), and workspace members are found from its `workspaces` globs over
//! the tree's files. Peer dependencies are not edges: yarn classic does not install them.
//!
//! # Berry (v2+)
//!
//! See [`super::yarn_berry`]: keys are comma-separated descriptors, `resolution` is the locator
//! (it gives the real name and the source), workspaces are in the file (`name@workspace:dir`,
//! the root `workspace:.`). Berry's `checksum` is the hash of yarn's own cache zip, not of the
//! npm tarball, so it is not a [`Package::checksums`] entry (a CycloneDX hash must be of the
//! component itself).
//!
//! # Both
//!
//! Dev and optional are not in the lockfile: they come from the workspaces' `package.json`
//! (`dependencies` normal, `optionalDependencies` optional, `devDependencies` dev) through
//! [`node::apply_scopes`]. Without a `package.json`, or with
//! [`ResolveOptions::lockfile_only`], edges are still read but scopes stay unknown. A
//! `package.json` that cannot be read is an error of [`Resolved::errors`] (the packages are
//! complete; the scopes are not). A dependency the lockfile does not hold (a hand-trimmed or
//! stale lockfile) is a [`ResolveErrorKind::DanglingDependency`] of [`Resolved::errors`] naming
//! the line: the packages are still listed, and the run fails as it must. Berry applies the
//! root `package.json`'s `resolutions` to dependencies before looking them up (the lockfile
//! keeps the dependents' original ranges): they are applied when that file is read; when it is
//! not (`lockfile_only`, or no `package.json`), a dependency the lockfile does not hold goes to
//! the one package of that name if there is exactly one, and is not an error (it may be
//! overridden).
//!
//! Package counts: one package per block (berry workspaces and the classic root are first-party
//! packages on top of those).

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use super::node::{self, Edge, PackageJson};
use super::{ResolveError, ResolveErrorKind, ResolveOptions, Resolved, Resolver, Warning, yarn_berry};
use crate::model::{Checksum, DependencyKind, Ecosystem, LineSpan, Package, PackageSource, RootComponent};
use crate::source::Source;

/// Reads `yarn.lock`, classic and berry.
#[derive(Debug, Clone, Copy, Default)]
pub struct YarnLockResolver;

impl Resolver for YarnLockResolver {
    fn name(&self) -> &'static str {
        "yarn"
    }

    fn claims(&self, path: &Path) -> bool {
        super::node::claims_named(path, &["yarn.lock"])
    }

    fn resolve(
        &self,
        source: &dyn Source,
        path: &str,
        bytes: &[u8],
        options: &ResolveOptions,
    ) -> Result<Resolved, ResolveError> {
        let text = super::utf8(path, bytes)?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let dir = lock_dir(path);
        let lock = if is_berry(text) { yarn_berry::parse(path, text, &dir)? } else { parse_classic(path, text, &dir)? };
        Ok(assemble(source, path, &dir, lock, options))
    }
}

/// The directory of a lockfile path (`.` for the root).
fn lock_dir(path: &str) -> String {
    match path.rsplit_once('/') {
        Some((dir, _)) if !dir.is_empty() => dir.to_owned(),
        _ => ".".to_owned(),
    }
}

/// Whether the text is a berry lockfile: a top-level `__metadata` key.
fn is_berry(text: &str) -> bool {
    text.lines().any(|l| {
        let l = l.trim_end();
        l.starts_with("__metadata:") || l.starts_with("\"__metadata\":") || l.starts_with("'__metadata':")
    })
}

/// Which flavour a lockfile is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavour {
    Classic,
    Berry,
}

/// One dependency as a lockfile entry lists it.
#[derive(Debug, Clone)]
pub(crate) struct Dep {
    /// The name it is depended on under (an alias name for aliases).
    pub(crate) name: String,
    /// The range as written.
    pub(crate) range: String,
    /// `optionalDependencies` (classic) or `dependenciesMeta.NAME.optional` (berry).
    pub(crate) optional: bool,
    /// Its line.
    pub(crate) line: usize,
}

/// One lockfile entry, before edges.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// The package, without edges or scopes.
    pub(crate) package: Package,
    /// Its dependencies.
    pub(crate) deps: Vec<Dep>,
    /// Berry workspaces: the workspace directory relative to the scanned root.
    pub(crate) workspace: Option<String>,
    /// Berry `patch:` entries: the descriptor (`name@range`) of the package the patch applies to.
    pub(crate) patch_of: Option<String>,
}

/// A parsed lockfile.
#[derive(Debug)]
pub(crate) struct Lock {
    pub(crate) flavour: Flavour,
    pub(crate) entries: Vec<Entry>,
    /// Descriptor (`name@range`, normalised for berry) → entry.
    pub(crate) descriptors: HashMap<String, usize>,
    /// Berry: a descriptor wrapped by one of yarn's built-in compatibility patches
    /// (`fsevents@npm:^2` → `fsevents@patch:fsevents@npm%3A^2#optional!builtin<compat/fsevents>`)
    /// → the patch entry, which is what yarn installs for it.
    pub(crate) builtin_patches: HashMap<String, usize>,
    /// Berry: a descriptor with `::` parameters, by its part before them → the entry, or
    /// `None` when several entries share that part.
    pub(crate) bound: HashMap<String, Option<usize>>,
}

impl Lock {
    /// The entry a dependency resolves to, as the package manager looks it up.
    fn find(&self, name: &str, range: &str) -> Option<usize> {
        let descriptor = format!("{name}@{range}");
        match self.flavour {
            Flavour::Classic => self.descriptors.get(&descriptor).copied(),
            Flavour::Berry => {
                let normalised = yarn_berry::normalize_descriptor(name, range);
                self.builtin_patches
                    .get(normalised.as_ref())
                    .or_else(|| self.descriptors.get(normalised.as_ref()))
                    .or_else(|| self.descriptors.get(&descriptor))
                    .copied()
                    .or_else(|| {
                        // A `file:`/`portal:`/`link:` range yarn bound to its workspace
                        // (`x@portal:./x::locator=app%40workspace%3A.`), when only one is.
                        self.bound.get(normalised.as_ref()).copied().flatten()
                    })
            }
        }
    }
}

/// The `name` and `range` of a descriptor (`@scope/name@range`): the name runs to the first `@`
/// after the scope, as yarn's `normalizePattern` splits it. A descriptor without a range has
/// the empty range.
pub(crate) fn split_descriptor(descriptor: &str) -> (&str, &str) {
    let from = usize::from(descriptor.starts_with('@'));
    match descriptor.get(from..).and_then(|rest| rest.find('@')) {
        Some(at) => {
            let at = at + from;
            (descriptor.get(..at).unwrap_or(descriptor), descriptor.get(at + 1..).unwrap_or(""))
        }
        None => (descriptor, ""),
    }
}

// ---------------------------------------------------------------------------------------------
// Classic: tokenizer and parser (yarn's `src/lockfile/parse.js`).

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok<'a> {
    Newline,
    Indent(usize),
    /// A string, number or boolean (yarn's valid property values), as text.
    Str(Cow<'a, str>),
    /// Numbers and booleans are values but not keys.
    Scalar(&'a str),
    Colon,
    Comma,
    Eof,
    Invalid(&'static str),
}

struct Tokenizer<'a> {
    text: &'a str,
    pos: usize,
    line: usize,
    last_newline: bool,
}

impl<'a> Tokenizer<'a> {
    /// The next token and its line; comments are returned as `Err(comment text)` so the parser
    /// can check the version comment, as yarn's `onComment` does.
    fn next(&mut self) -> (Result<Tok<'a>, &'a str>, usize) {
        loop {
            let bytes = self.text.as_bytes();
            let Some(&c) = bytes.get(self.pos) else { return (Ok(Tok::Eof), self.line) };
            let line = self.line;
            let rest = self.text.get(self.pos..).unwrap_or("");
            let was_newline = self.last_newline;
            self.last_newline = false;
            match c {
                b'\n' | b'\r' => {
                    let crlf = c == b'\r' && bytes.get(self.pos + 1) == Some(&b'\n');
                    self.pos += if crlf { 2 } else { 1 };
                    // A lone `\r` ends a line for yarn, but lines are counted as everywhere else
                    // in chainward (and in editors and SARIF viewers): by `\n`.
                    if c == b'\n' || crlf {
                        self.line += 1;
                    }
                    self.last_newline = true;
                    return (Ok(Tok::Newline), line);
                }
                b'#' => {
                    let len = rest.find('\n').unwrap_or(rest.len());
                    // A `\r` before the newline is part of the comment in yarn; trim it.
                    let comment = rest.get(1..len).unwrap_or("").trim_end_matches('\r');
                    self.pos += len;
                    return (Err(comment), line);
                }
                b' ' => {
                    let count = rest.bytes().take_while(|&b| b == b' ').count();
                    self.pos += count;
                    if was_newline {
                        if count % 2 == 1 {
                            return (Ok(Tok::Invalid("invalid number of spaces")), line);
                        }
                        return (Ok(Tok::Indent(count / 2)), line);
                    }
                }
                b'"' => {
                    let mut end = None;
                    let mut escaped = false;
                    for (i, b) in rest.bytes().enumerate().skip(1) {
                        if escaped {
                            escaped = false;
                        } else if b == b'\\' {
                            escaped = true;
                        } else if b == b'"' {
                            end = Some(i);
                            break;
                        }
                    }
                    let Some(end) = end else {
                        self.pos = self.text.len();
                        return (Ok(Tok::Invalid("unterminated string")), line);
                    };
                    let quoted = rest.get(..=end).unwrap_or("");
                    let inner = rest.get(1..end).unwrap_or("");
                    self.line += inner.bytes().filter(|&b| b == b'\n').count();
                    self.pos += end + 1;
                    let tok = if !inner.contains('\\') && !inner.bytes().any(|b| b < 0x20) {
                        Tok::Str(Cow::Borrowed(inner))
                    } else {
                        match serde_json::from_str::<String>(quoted) {
                            Ok(s) => Tok::Str(Cow::Owned(s)),
                            Err(_) => Tok::Invalid("invalid string"),
                        }
                    };
                    return (Ok(tok), line);
                }
                b'0'..=b'9' => {
                    let len = rest.bytes().take_while(u8::is_ascii_digit).count();
                    self.pos += len;
                    return (Ok(Tok::Scalar(rest.get(..len).unwrap_or(""))), line);
                }
                b':' => {
                    self.pos += 1;
                    return (Ok(Tok::Colon), line);
                }
                b',' => {
                    self.pos += 1;
                    return (Ok(Tok::Comma), line);
                }
                _ if rest.starts_with("true") => {
                    self.pos += 4;
                    return (Ok(Tok::Scalar("true")), line);
                }
                _ if rest.starts_with("false") => {
                    self.pos += 5;
                    return (Ok(Tok::Scalar("false")), line);
                }
                b'a'..=b'z' | b'A'..=b'Z' | b'/' | b'.' | b'-' => {
                    let len = rest.find([':', ' ', '\n', '\r', ',']).unwrap_or(rest.len());
                    self.pos += len;
                    return (Ok(Tok::Str(Cow::Borrowed(rest.get(..len).unwrap_or("")))), line);
                }
                _ => {
                    // Skip the character so the parser's error names it, then fail.
                    self.pos += rest.chars().next().map_or(1, char::len_utf8);
                    return (Ok(Tok::Invalid("unexpected character")), line);
                }
            }
        }
    }
}

/// A classic property value.
#[derive(Debug)]
enum Value<'a> {
    Str(Cow<'a, str>),
    Map(Vec<Prop<'a>>),
}

/// One property: its keys (several when comma-separated), value and lines.
#[derive(Debug)]
struct Prop<'a> {
    keys: Vec<Cow<'a, str>>,
    line: usize,
    end: usize,
    value: Value<'a>,
}

/// The deepest nesting yarn's lockfile uses is 3 (entry, `dependencies`, dependency): a much
/// deeper file is not a lockfile, and must not exhaust the stack.
const MAX_DEPTH: usize = 16;

struct ClassicParser<'a, 'p> {
    tokens: Tokenizer<'a>,
    tok: Tok<'a>,
    line: usize,
    path: &'p str,
}

impl<'a> ClassicParser<'a, '_> {
    fn error(&self, message: impl Into<String>) -> ResolveError {
        ResolveError::new(self.path, Some(self.line), ResolveErrorKind::Format(message.into()))
    }

    fn unexpected(&self, what: &str) -> ResolveError {
        let found = match &self.tok {
            Tok::Newline => "end of line".to_owned(),
            Tok::Indent(_) => "indentation".to_owned(),
            Tok::Str(s) => format!("`{s}`"),
            Tok::Scalar(s) => format!("`{s}`"),
            Tok::Colon => "`:`".to_owned(),
            Tok::Comma => "`,`".to_owned(),
            Tok::Eof => "end of file".to_owned(),
            Tok::Invalid(why) => (*why).to_owned(),
        };
        self.error(format!("not a yarn lockfile: {what}, found {found}"))
    }

    /// Advance, skipping comments (checking the `yarn lockfile vN` one).
    fn next(&mut self) -> Result<(), ResolveError> {
        loop {
            let (tok, line) = self.tokens.next();
            self.line = line;
            match tok {
                Ok(tok) => {
                    self.tok = tok;
                    return Ok(());
                }
                Err(comment) => {
                    if let Some(version) = comment.trim().strip_prefix("yarn lockfile v")
                        && version.bytes().all(|b| b.is_ascii_digit())
                        && !version.is_empty()
                        && version != "1"
                        && version.trim_start_matches('0') != "1"
                    {
                        return Err(ResolveError::new(
                            self.path,
                            Some(line),
                            ResolveErrorKind::UnsupportedFormatVersion {
                                format: "yarn.lock (classic)",
                                version: format!("v{version}"),
                                supported: "v1 and berry",
                            },
                        ));
                    }
                }
            }
        }
    }

    /// yarn's `Parser.parse(indent)`.
    fn parse(&mut self, indent: usize, depth: usize) -> Result<Vec<Prop<'a>>, ResolveError> {
        if depth > MAX_DEPTH {
            return Err(self.error("not a yarn lockfile: nested too deeply"));
        }
        let mut obj = Vec::new();
        loop {
            match &self.tok {
                Tok::Newline => {
                    self.next()?;
                    if indent == 0 {
                        continue;
                    }
                    match self.tok {
                        Tok::Indent(n) if n == indent => self.next()?,
                        _ => break,
                    }
                }
                Tok::Indent(n) => {
                    if *n == indent {
                        self.next()?;
                    } else {
                        break;
                    }
                }
                Tok::Eof => break,
                Tok::Str(key) => {
                    let line = self.line;
                    let mut keys = vec![key.clone()];
                    self.next()?;
                    while self.tok == Tok::Comma {
                        self.next()?;
                        let Tok::Str(key) = &self.tok else { return Err(self.unexpected("expected a string")) };
                        keys.push(key.clone());
                        self.next()?;
                    }
                    let was_colon = self.tok == Tok::Colon;
                    if was_colon {
                        self.next()?;
                    }
                    match &self.tok {
                        Tok::Str(value) => {
                            obj.push(Prop { keys, line, end: self.line, value: Value::Str(value.clone()) });
                            self.next()?;
                        }
                        Tok::Scalar(value) => {
                            obj.push(Prop { keys, line, end: self.line, value: Value::Str(Cow::Borrowed(value)) });
                            self.next()?;
                        }
                        _ if was_colon => {
                            let value = self.parse(indent + 1, depth + 1)?;
                            let end = value.iter().map(|p| p.end).max().unwrap_or(line).max(line);
                            obj.push(Prop { keys, line, end, value: Value::Map(value) });
                            if indent > 0 && !matches!(self.tok, Tok::Indent(_)) {
                                break;
                            }
                        }
                        _ => return Err(self.unexpected("invalid value type")),
                    }
                }
                _ => return Err(self.unexpected("expected a key")),
            }
        }
        Ok(obj)
    }
}

/// The line of the first unresolved merge-conflict marker, if any.
fn conflict_marker(text: &str) -> Option<usize> {
    text.lines().position(|l| l.starts_with("<<<<<<<") || l.starts_with(">>>>>>>")).map(|i| i + 1)
}

/// Where a classic `resolved` URL says the package comes from: hosted-git archives are git
/// sources at their commit, the rest as [`node::source_of`] says.
fn classic_source(resolved: &str, name: &str, lock_dir: &str) -> PackageSource {
    let commit_source = |url: String, commit: &str| {
        node::is_commit(commit).then(|| PackageSource::Git {
            url,
            reference: None,
            commit: Some(commit.to_ascii_lowercase()),
        })
    };
    // https://codeload.github.com/OWNER/REPO/tar.gz/SHA
    if let Some(rest) = resolved.strip_prefix("https://codeload.github.com/") {
        let parts: Vec<&str> = rest.split('/').collect();
        if let [owner, repo, "tar.gz", sha] = parts.as_slice()
            && let Some(s) = commit_source(format!("https://github.com/{owner}/{repo}.git"), sha)
        {
            return s;
        }
    }
    // https://gitlab.com/OWNER/REPO/repository/archive.tar.gz?ref=SHA
    if let Some((base, sha)) = resolved.split_once("/repository/archive.tar.gz?ref=")
        && base.starts_with("https://")
        && let Some(s) = commit_source(format!("{base}.git"), sha)
    {
        return s;
    }
    // https://bitbucket.org/OWNER/REPO/get/SHA.tar.gz
    if let Some(rest) = resolved.strip_prefix("https://bitbucket.org/")
        && let Some((repo, file)) = rest.split_once("/get/")
        && let Some(sha) = file.strip_suffix(".tar.gz")
        && let Some(s) = commit_source(format!("https://bitbucket.org/{repo}.git"), sha)
    {
        return s;
    }
    // https://github.com/OWNER/REPO#SHA (a hosted git repository without `.git`)
    if let Some((base, fragment)) = resolved.split_once('#')
        && ["https://github.com/", "https://gitlab.com/", "https://bitbucket.org/"].iter().any(|h| base.starts_with(h))
        && !base.to_ascii_lowercase().ends_with(".git")
        && base.matches('/').count() == 4
        && let Some(s) = commit_source(format!("{base}.git"), fragment)
    {
        return s;
    }
    node::source_of(Some(resolved), name, lock_dir)
}

/// Parse a classic lockfile.
fn parse_classic(path: &str, text: &str, lock_dir: &str) -> Result<Lock, ResolveError> {
    if let Some(line) = conflict_marker(text) {
        return Err(ResolveError::new(
            path,
            Some(line),
            ResolveErrorKind::Format(
                "unresolved merge conflict (run `yarn install` to let yarn merge the lockfile)".to_owned(),
            ),
        ));
    }
    let mut parser =
        ClassicParser { tokens: Tokenizer { text, pos: 0, line: 1, last_newline: true }, tok: Tok::Eof, line: 1, path };
    parser.next()?;
    let top = parser.parse(0, 0)?;
    if parser.tok != Tok::Eof {
        // yarn stops reading here and ignores the rest; chainward does not drop packages
        // silently.
        return Err(parser.unexpected("expected a package block at the start of the line"));
    }
    let mut lock = Lock {
        flavour: Flavour::Classic,
        entries: Vec::with_capacity(top.len()),
        descriptors: HashMap::with_capacity(top.len() * 2),
        builtin_patches: HashMap::new(),
        bound: HashMap::new(),
    };
    for prop in top {
        let Value::Map(fields) = prop.value else {
            return Err(ResolveError::new(
                path,
                Some(prop.line),
                ResolveErrorKind::Format(format!(
                    "not a yarn lockfile: `{}` is a value, not a package block",
                    prop.keys.first().map(Cow::as_ref).unwrap_or_default()
                )),
            ));
        };
        let index = lock.entries.len();
        lock.entries.push(classic_entry(path, lock_dir, &prop.keys, prop.line, prop.end, &fields)?);
        for key in prop.keys {
            // A later block wins, as in yarn's parsed object.
            lock.descriptors.insert(key.into_owned(), index);
        }
    }
    Ok(lock)
}

fn classic_entry(
    path: &str,
    lock_dir: &str,
    keys: &[Cow<'_, str>],
    line: usize,
    end: usize,
    fields: &[Prop<'_>],
) -> Result<Entry, ResolveError> {
    let first = keys.first().map(Cow::as_ref).unwrap_or_default();
    let (header_name, _) = split_descriptor(first);
    // The real name: an alias `x@npm:real@range` is `real`.
    let mut name = header_name;
    let mut alias = None;
    for key in keys {
        let (n, range) = split_descriptor(key);
        if let Some(target) = range.strip_prefix("npm:") {
            let (real, real_range) = split_descriptor(target);
            if !real_range.is_empty() && !real.is_empty() && real != n {
                name = real;
                alias = Some(n);
                break;
            }
        }
    }
    let mut version = None;
    let mut resolved = None;
    let mut integrity = None;
    let mut deps = Vec::new();
    for field in fields {
        let Some(key) = field.keys.first() else { continue };
        match (key.as_ref(), &field.value) {
            ("version", Value::Str(v)) => version = Some(v.as_ref()),
            ("resolved", Value::Str(v)) => resolved = Some(v.as_ref()),
            ("integrity", Value::Str(v)) => integrity = Some((v.as_ref(), field.line)),
            (kind @ ("dependencies" | "optionalDependencies"), Value::Map(list)) => {
                for dep in list {
                    let Value::Str(range) = &dep.value else { continue };
                    for dep_name in &dep.keys {
                        deps.push(Dep {
                            name: dep_name.as_ref().to_owned(),
                            range: range.as_ref().to_owned(),
                            optional: kind == "optionalDependencies",
                            line: dep.line,
                        });
                    }
                }
            }
            _ => {}
        }
    }
    let Some(version) = version else {
        return Err(ResolveError::new(
            path,
            Some(line),
            ResolveErrorKind::InvalidPackage(format!("`{first}` has no `version`")),
        ));
    };
    let source = match resolved {
        Some(url) => classic_source(url, name, lock_dir),
        None => keys
            .iter()
            .find_map(|k| {
                let (_, range) = split_descriptor(k);
                let p = range.strip_prefix("file:").or_else(|| range.strip_prefix("link:"))?;
                Some(PackageSource::Path { dir: node::join_dir(lock_dir, p) })
            })
            .unwrap_or_else(node::npm_registry),
    };
    let mut checksums = Vec::new();
    if let Some((sri, at)) = integrity {
        checksums = Checksum::from_sri(sri).map_err(|e| {
            ResolveError::new(
                path,
                Some(at),
                ResolveErrorKind::InvalidPackage(format!("`{name}@{version}`: invalid integrity: {e}")),
            )
        })?;
    }
    // The `#sha1` of a registry or tarball URL is the tarball's SHA-1 (of a git URL, the commit).
    if matches!(source, PackageSource::Registry { .. } | PackageSource::Tarball { .. })
        && let Some((_, fragment)) = resolved.and_then(|r| r.rsplit_once('#'))
        && let Some(sha1) = Checksum::from_hex("sha1", fragment)
        && !checksums.contains(&sha1)
    {
        checksums.push(sha1);
        checksums.sort_unstable_by(|a, b| b.cmp(a));
    }
    let mut package = Package::new(Ecosystem::Npm, name.to_owned(), version.to_owned(), source);
    package.alias = alias.map(str::to_owned);
    package.checksums = checksums;
    package.lines = Some(LineSpan { start: line, end: end.max(line) });
    Ok(Entry { package, deps, workspace: None, patch_of: None })
}

// ---------------------------------------------------------------------------------------------
// Both: first-party packages, edges and scopes.

/// How a workspace's `package.json` declares a dependency, for yarn: `optionalDependencies`
/// first (yarn lets them override `dependencies`), then `dependencies`, then `devDependencies`.
/// Peer dependencies are not installed for a workspace.
fn declared_kind(manifest: &PackageJson, name: &str) -> Option<DependencyKind> {
    if manifest.optional_dependencies.contains_key(name) {
        Some(DependencyKind::Optional)
    } else if manifest.dependencies.contains_key(name) {
        Some(DependencyKind::Normal)
    } else if manifest.dev_dependencies.contains_key(name) {
        Some(DependencyKind::Dev)
    } else {
        None
    }
}

/// The `package.json` of a directory (relative to the scanned root).
fn manifest_path(dir: &str) -> String {
    if dir == "." { "package.json".to_owned() } else { format!("{dir}/package.json") }
}

/// Read a `package.json`: `Ok(None)` when it does not exist, `Err` when it cannot be read.
fn read_manifest(source: &dyn Source, path: &str) -> Result<Option<PackageJson>, ResolveError> {
    Ok(read_manifest_with_resolutions(source, path)?.map(|(m, _)| m))
}

/// [`read_manifest`], with the berry `resolutions` of a root manifest.
fn read_manifest_with_resolutions(
    source: &dyn Source,
    path: &str,
) -> Result<Option<(PackageJson, Vec<Override>)>, ResolveError> {
    if !source.exists(path) {
        return Ok(None);
    }
    let bytes = source.read(path).map_err(|e| ResolveError::new(path, None, ResolveErrorKind::Io(e.message)))?;
    let manifest = PackageJson::parse(&bytes).map_err(|e| ResolveError::new(path, None, ResolveErrorKind::Json(e)))?;
    let overrides = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| {
            let map = v.get("resolutions")?.as_object()?.clone();
            Some(map.iter().filter_map(|(k, v)| Override::parse(k, v.as_str()?)).collect())
        })
        .unwrap_or_default();
    Ok(Some((manifest, overrides)))
}

/// One entry of a berry root manifest's `resolutions` (`"trim": "1.0.1"`,
/// `"a@^1": "1.2.0"`, `"parent/child": "…"`, `"**/child": "…"`), applied to dependencies as
/// yarn's `reduceDependency` hook does: the first that matches replaces the range.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Override {
    /// The dependent it is limited to (`parent` of `parent/child`), with its optional version.
    from: Option<(String, Option<String>)>,
    /// The dependency's name.
    name: String,
    /// The dependency's range it is limited to.
    range: Option<String>,
    /// The range it becomes.
    reference: String,
}

impl Override {
    fn parse(pattern: &str, reference: &str) -> Option<Override> {
        let pattern = pattern.strip_prefix("**/").unwrap_or(pattern);
        // `@s/a@1/@s/b@2`: split after the first ident (two segments when scoped).
        let segments: Vec<&str> = pattern.split('/').collect();
        let first_len = if pattern.starts_with('@') { 2 } else { 1 };
        let (from, descriptor) = if segments.len() > first_len {
            let from = segments.get(..first_len)?.join("/");
            let rest = segments.get(first_len..)?.join("/");
            let rest = rest.strip_prefix("**/").map_or(rest.clone(), str::to_owned);
            (Some(from), rest)
        } else {
            (None, pattern.to_owned())
        };
        let split = |d: &str| {
            let (n, r) = split_descriptor(d);
            (n.to_owned(), (!r.is_empty()).then(|| r.to_owned()))
        };
        let (name, range) = split(&descriptor);
        if name.is_empty() {
            return None;
        }
        Some(Override { from: from.map(|f| split(&f)), name, range, reference: reference.to_owned() })
    }

    /// The range a dependency `name@range` of `dependent` becomes, if this override applies.
    fn apply(&self, dependent: &Package, name: &str, range: &str) -> Option<&str> {
        if self.name != name {
            return None;
        }
        if let Some(r) = &self.range
            && yarn_berry::normalize_descriptor(name, r) != yarn_berry::normalize_descriptor(name, range)
        {
            return None;
        }
        if let Some((from, from_range)) = &self.from {
            let dependent_name = dependent.alias.as_deref().unwrap_or(&dependent.name);
            if from != dependent_name && *from != dependent.name {
                return None;
            }
            if let Some(r) = from_range
                && r.strip_prefix("npm:").unwrap_or(r) != dependent.version
            {
                return None;
            }
        }
        Some(&self.reference)
    }
}

/// The member directories of a classic workspace: the directories (relative to the scanned
/// root) that match the root `package.json`'s `workspaces` globs and hold a `package.json`.
fn workspace_dirs(source: &dyn Source, lock_dir: &str, globs: &[String]) -> Vec<String> {
    let mut include = globset::GlobSetBuilder::new();
    let mut exclude = globset::GlobSetBuilder::new();
    let mut any = false;
    for pattern in globs {
        let (negated, pattern) = match pattern.strip_prefix('!') {
            Some(p) => (true, p),
            None => (false, pattern.as_str()),
        };
        let pattern = pattern.trim_start_matches("./").trim_end_matches('/');
        if pattern.is_empty() || pattern.starts_with('/') || pattern.split('/').any(|p| p == "..") {
            continue;
        }
        let Ok(glob) = globset::GlobBuilder::new(pattern).literal_separator(true).build() else { continue };
        if negated {
            exclude.add(glob);
        } else {
            include.add(glob);
            any = true;
        }
    }
    if !any {
        return Vec::new();
    }
    let (Ok(include), Ok(exclude)) = (include.build(), exclude.build()) else { return Vec::new() };
    let Ok(files) = source.files() else { return Vec::new() };
    let prefix = if lock_dir == "." { String::new() } else { format!("{lock_dir}/") };
    let mut dirs = Vec::new();
    for file in files {
        let Some(rel) = file.strip_prefix(&prefix) else { continue };
        let Some(dir) = rel.strip_suffix("/package.json") else { continue };
        if dir.split('/').any(|p| p == "node_modules") {
            continue;
        }
        if include.is_match(dir) && !exclude.is_match(dir) {
            dirs.push(node::join_dir(lock_dir, dir));
        }
    }
    dirs
}

/// The name of the directory a lockfile is in, for a root without a `package.json` name.
fn dir_name(source: &dyn Source, lock_dir: &str) -> String {
    super::dir_name(source, lock_dir).unwrap_or_else(|| "root".to_owned())
}

/// Packages, edges, first-party packages and scopes from a parsed lockfile.
fn assemble(source: &dyn Source, path: &str, lock_dir: &str, lock: Lock, options: &ResolveOptions) -> Resolved {
    let mut warnings = Vec::new();
    let mut errors = Vec::new();
    let Lock { flavour, entries, descriptors, builtin_patches, bound } = lock;
    let lock = Lock { flavour, entries: Vec::new(), descriptors, builtin_patches, bound };
    let mut packages = Vec::with_capacity(entries.len() + 1);
    let mut deps_of = Vec::with_capacity(entries.len() + 1);
    let mut patch_of = Vec::with_capacity(entries.len() + 1);
    let mut root = None;
    for (i, entry) in entries.into_iter().enumerate() {
        let mut package = entry.package;
        if let Some(dir) = entry.workspace {
            package.first_party = true;
            package.source = PackageSource::Path { dir: dir.clone() };
            if dir == lock_dir && root.is_none() {
                root = Some(i);
            }
        }
        packages.push(package);
        deps_of.push(entry.deps);
        patch_of.push(entry.patch_of);
    }
    // The manifests of the first-party packages (None: not read or absent).
    let mut manifests: BTreeMap<usize, PackageJson> = BTreeMap::new();
    let mut scopes_known = !options.lockfile_only;
    let mut overrides = Vec::new();
    let root_manifest = if options.lockfile_only {
        None
    } else {
        match read_manifest_with_resolutions(source, &manifest_path(lock_dir)) {
            Ok(Some((m, o))) => {
                overrides = o;
                Some(m)
            }
            Ok(None) => None,
            Err(e) => {
                errors.push(e);
                scopes_known = false;
                None
            }
        }
    };
    if root_manifest.is_none() {
        scopes_known = false;
    }
    // Berry's `resolutions` are in the root manifest: without it, a dependency the lockfile does
    // not hold under its own descriptor may be overridden, and is not an error.
    let overrides_known = root_manifest.is_some() || flavour == Flavour::Classic;
    let root = if let Some(i) = root {
        i
    } else {
        let name = root_manifest.as_ref().and_then(|m| m.name.clone()).unwrap_or_else(|| dir_name(source, lock_dir));
        let version = root_manifest.as_ref().and_then(|m| m.version.clone()).unwrap_or_default();
        let mut package = Package::new(Ecosystem::Npm, name, version, PackageSource::Path { dir: lock_dir.to_owned() });
        package.first_party = true;
        packages.push(package);
        deps_of.push(Vec::new());
        patch_of.push(None);
        packages.len() - 1
    };
    if let Some(m) = root_manifest {
        if flavour == Flavour::Berry
            && let Some(p) = packages.get_mut(root)
        {
            if let Some(name) = &m.name {
                p.name.clone_from(name);
            }
            if let Some(version) = &m.version {
                p.version.clone_from(version);
            }
        }
        manifests.insert(root, m);
    }
    // Workspace members: berry lists them; classic has them from the root's globs.
    if scopes_known {
        if flavour == Flavour::Berry {
            for (i, p) in packages.iter_mut().enumerate() {
                if !p.first_party || i == root {
                    continue;
                }
                let PackageSource::Path { dir } = &p.source else { continue };
                match read_manifest(source, &manifest_path(dir)) {
                    Ok(Some(m)) => {
                        if let Some(version) = &m.version {
                            p.version.clone_from(version);
                        }
                        manifests.insert(i, m);
                    }
                    Ok(None) => warnings.push(Warning {
                        path: path.to_owned(),
                        line: p.lines.map(|l| l.start),
                        message: format!(
                            "workspace `{}` has no {}: its dependencies are taken as normal ones",
                            p.name,
                            manifest_path(dir)
                        ),
                    }),
                    Err(e) => {
                        errors.push(e);
                        scopes_known = false;
                    }
                }
            }
        } else if let Some(globs) = manifests.get(&root).map(|m| m.workspaces.clone()) {
            for dir in workspace_dirs(source, lock_dir, &globs) {
                match read_manifest(source, &manifest_path(&dir)) {
                    Ok(Some(m)) => {
                        let name = m.name.clone().unwrap_or_else(|| dir.rsplit('/').next().unwrap_or(&dir).to_owned());
                        let version = m.version.clone().unwrap_or_default();
                        let mut package = Package::new(Ecosystem::Npm, name, version, PackageSource::Path { dir });
                        package.first_party = true;
                        packages.push(package);
                        deps_of.push(Vec::new());
                        patch_of.push(None);
                        manifests.insert(packages.len() - 1, m);
                    }
                    Ok(None) => {}
                    Err(e) => {
                        errors.push(e);
                        scopes_known = false;
                    }
                }
            }
        }
    }
    // Classic first-party packages: their dependencies come from their manifests.
    let mut members_by_name: HashMap<String, usize> = HashMap::new();
    for (i, p) in packages.iter().enumerate() {
        if p.first_party && i != root {
            members_by_name.entry(p.name.clone()).or_insert(i);
        }
    }
    if flavour == Flavour::Classic {
        for (&i, m) in &manifests {
            let Some(list) = deps_of.get_mut(i) else { continue };
            let groups = [(&m.dependencies, false), (&m.dev_dependencies, false), (&m.optional_dependencies, true)];
            for (group, optional) in groups {
                for (name, range) in group {
                    list.push(Dep { name: name.clone(), range: range.clone(), optional, line: 0 });
                }
            }
        }
    }
    // Without the `resolutions`, the one package of a name stands for a dependency on it.
    let mut only_named: HashMap<String, Option<usize>> = HashMap::new();
    if !overrides_known {
        for (j, p) in packages.iter().enumerate().filter(|(_, p)| !p.first_party) {
            for name in [Some(p.name.as_str()), p.alias.as_deref()].into_iter().flatten() {
                only_named
                    .entry(name.to_owned())
                    .and_modify(|e| {
                        if *e != Some(j) {
                            *e = None;
                        }
                    })
                    .or_insert(Some(j));
            }
        }
    }
    // Edges.
    let mut edges: Vec<Vec<Edge>> = vec![Vec::new(); packages.len()];
    for (i, deps) in deps_of.iter().enumerate() {
        let manifest = manifests.get(&i);
        let Some(out) = edges.get_mut(i) else { continue };
        for dep in deps {
            // Berry applies the root's `resolutions` to every dependency (classic writes the
            // original descriptors in its headers, so nothing is needed there).
            let range = match (flavour, packages.get(i)) {
                (Flavour::Berry, Some(p)) => {
                    overrides.iter().find_map(|o| o.apply(p, &dep.name, &dep.range)).unwrap_or(&dep.range)
                }
                _ => &dep.range,
            };
            let found = lock.find(&dep.name, range).or_else(|| {
                // A classic workspace member is linked, not locked.
                (flavour == Flavour::Classic).then(|| members_by_name.get(&dep.name).copied()).flatten()
            });
            let declared = manifest.and_then(|m| declared_kind(m, &dep.name));
            let kind = declared.unwrap_or(if dep.optional { DependencyKind::Optional } else { DependencyKind::Normal });
            match found {
                Some(j) if j != i => out.push(Edge { to: j, kind }),
                Some(_) => {}
                None if dep.optional || kind == DependencyKind::Optional => {}
                None if !overrides_known => {
                    // The one entry of that name, when there is only one; else no edge.
                    if let Some(j) = only_named.get(dep.name.as_str()).copied().flatten()
                        && j != i
                    {
                        out.push(Edge { to: j, kind });
                    }
                }
                None => {
                    let p = packages.get(i);
                    let label = p.map(|p| format!("{}@{}", p.name, p.version)).unwrap_or_default();
                    let (at, line) = if dep.line == 0 {
                        let dir = p.and_then(|p| match &p.source {
                            PackageSource::Path { dir } => Some(dir.as_str()),
                            _ => None,
                        });
                        (manifest_path(dir.unwrap_or(lock_dir)), None)
                    } else {
                        (path.to_owned(), Some(dep.line))
                    };
                    errors.push(ResolveError::new(
                        at,
                        line,
                        ResolveErrorKind::DanglingDependency {
                            package: label,
                            dependency: format!("{}@{}", dep.name, dep.range),
                        },
                    ));
                }
            }
        }
    }
    // A patched package is built from the package it patches: yarn resolves and fetches that
    // one for it, so it is reached through the patch.
    for (i, base) in patch_of.iter().enumerate() {
        let Some(base) = base else { continue };
        let (name, range) = split_descriptor(base);
        if let Some(j) = lock.descriptors.get(base).copied().or_else(|| lock.find(name, range))
            && j != i
            && let Some(out) = edges.get_mut(i)
        {
            out.push(Edge { to: j, kind: DependencyKind::Normal });
        }
    }
    for out in &mut edges {
        out.sort_unstable();
        out.dedup();
    }
    if scopes_known {
        node::apply_scopes(&mut packages, &edges);
    } else {
        for (p, out) in packages.iter_mut().zip(&edges) {
            p.dependencies = out.iter().map(|e| e.to).collect();
        }
    }
    Resolved { path: path.to_owned(), packages, root: RootComponent::Package(root), warnings, errors }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classic(text: &str) -> Result<Lock, ResolveError> {
        parse_classic("yarn.lock", text, ".")
    }

    #[test]
    fn descriptors_split_after_the_scope() {
        assert_eq!(split_descriptor("@babel/core@^7.0.0"), ("@babel/core", "^7.0.0"));
        assert_eq!(split_descriptor("x@npm:y@^1"), ("x", "npm:y@^1"));
        assert_eq!(split_descriptor("balanced-match"), ("balanced-match", ""));
        assert_eq!(split_descriptor("@scope/only"), ("@scope/only", ""));
        assert_eq!(split_descriptor(""), ("", ""));
    }

    #[test]
    fn classic_headers_fields_and_edges() {
        let text = "# yarn lockfile v1\n\n\n\"@a/b@^1.0.0\", \"@a/b@^1.1.0\":\n  version \"1.2.0\"\n  resolved \"https://registry.yarnpkg.com/@a/b/-/b-1.2.0.tgz#0123456789abcdef0123456789abcdef01234567\"\n  dependencies:\n    c \"~2\"\n  optionalDependencies:\n    gone \"^9\"\n\nc@~2, c@2.0.0:\n  version \"2.0.1\"\n  # a comment\n\n\"x-alias@npm:real@^3\":\n  version 3\n";
        let lock = classic(text).unwrap();
        assert_eq!(lock.entries.len(), 3);
        let b = &lock.entries[0];
        assert_eq!((b.package.name.as_str(), b.package.version.as_str()), ("@a/b", "1.2.0"));
        assert_eq!(b.package.lines, Some(LineSpan { start: 4, end: 10 }));
        assert_eq!(b.package.checksums, [Checksum::Sha1("0123456789abcdef0123456789abcdef01234567".into())]);
        assert_eq!(b.deps.len(), 2);
        assert!(b.deps[1].optional);
        assert_eq!(lock.find("c", "~2"), Some(1));
        assert_eq!(lock.find("c", "2.0.0"), Some(1));
        assert_eq!(lock.find("c", "^2"), None, "exact descriptor match, as yarn's getLocked");
        assert_eq!(lock.find("@a/b", "^1.1.0"), Some(0));
        let alias = &lock.entries[2];
        assert_eq!(alias.package.name, "real");
        assert_eq!(alias.package.alias.as_deref(), Some("x-alias"));
        assert_eq!(alias.package.version, "3");
        assert_eq!(lock.entries[1].package.lines, Some(LineSpan { start: 12, end: 13 }));
    }

    #[test]
    fn classic_errors_name_the_line() {
        let odd = classic("a@1:\n   version \"1\"\n").unwrap_err();
        assert_eq!(odd.line, Some(2));
        let no_version = classic("a@1:\n  resolved \"https://x/a.tgz\"\n").unwrap_err();
        assert_eq!(no_version.line, Some(1));
        assert!(matches!(no_version.kind, ResolveErrorKind::InvalidPackage(_)));
        let future = classic("# yarn lockfile v2\n").unwrap_err();
        assert!(matches!(future.kind, ResolveErrorKind::UnsupportedFormatVersion { .. }));
        assert_eq!(future.line, Some(1));
        let conflict = classic("a@1:\n<<<<<<< HEAD\n  version \"1\"\n").unwrap_err();
        assert_eq!(conflict.line, Some(2));
        assert!(classic("a@1:\n  version \"1\n").is_err(), "unterminated string");
        assert!(classic("@a@1:\n  version \"1\"\n").is_err(), "`@` cannot start an unquoted key");
        assert!(classic("a@1:\n  integrity sha512-notbase64\n  version \"1\"\n").is_err());
        let mut deep = "a:\n".to_owned();
        for d in 1..40 {
            deep.push_str(&"  ".repeat(d));
            deep.push_str("k:\n");
        }
        assert!(classic(&deep).is_err());
        assert!(classic("").unwrap().entries.is_empty());
        assert!(classic("# yarn lockfile v1\n").unwrap().entries.is_empty());
        assert!(classic("a@1:\n\tversion \"1\"\n").is_err(), "tabs are not indentation");
    }

    #[test]
    fn classic_strings_are_json_strings() {
        let lock = classic("\"a\\u0040b@1\":\n  version \"1\\\"x\"\n").unwrap();
        assert_eq!(lock.entries[0].package.version, "1\"x");
        assert!(lock.descriptors.contains_key("a@b@1"));
        let tight = classic("a@1:\n  version \"1\"\n  dependencies:\n    b \"2\"\nb@2:\n  version \"2\"\n").unwrap();
        assert_eq!(tight.entries[0].package.lines, Some(LineSpan { start: 1, end: 4 }), "no blank line between blocks");
        let crlf = classic("a@1:\r\n  version \"1.0.0\"\r\n\r\nb@2:\r\n  version \"2.0.0\"\r\n").unwrap();
        assert_eq!(crlf.entries[1].package.lines, Some(LineSpan { start: 4, end: 5 }));
    }

    #[test]
    fn hosted_git_archives_are_git_sources() {
        let sha = "0a2d2506c1fe299691fc5db53a2097db3bd615bc";
        let git = |url: &str| PackageSource::Git { url: url.into(), reference: None, commit: Some(sha.into()) };
        assert_eq!(
            classic_source(&format!("https://codeload.github.com/o/r/tar.gz/{sha}"), "r", "."),
            git("https://github.com/o/r.git")
        );
        assert_eq!(
            classic_source(&format!("https://gitlab.com/o/r/repository/archive.tar.gz?ref={sha}"), "r", "."),
            git("https://gitlab.com/o/r.git")
        );
        assert_eq!(
            classic_source(&format!("https://bitbucket.org/o/r/get/{sha}.tar.gz"), "r", "."),
            git("https://bitbucket.org/o/r.git")
        );
        assert_eq!(
            classic_source(&format!("https://github.com/o/r#{sha}"), "r", "."),
            git("https://github.com/o/r.git")
        );
        assert_eq!(classic_source("https://registry.yarnpkg.com/r/-/r-1.0.0.tgz#abc", "r", "."), node::npm_registry());
    }

    #[test]
    fn berry_resolutions_match_as_yarn_matches_them() {
        let pkg =
            |name: &str, version: &str| Package::new(Ecosystem::Npm, name.into(), version.into(), node::npm_registry());
        let any = Override::parse("trim", "1.0.1").unwrap();
        assert_eq!(any.apply(&pkg("remark-parse", "8.0.3"), "trim", "npm:0.0.1"), Some("1.0.1"));
        assert_eq!(any.apply(&pkg("remark-parse", "8.0.3"), "other", "npm:0.0.1"), None);
        let ranged = Override::parse("trim@0.0.1", "1.0.1").unwrap();
        assert_eq!(ranged.apply(&pkg("x", "1"), "trim", "npm:0.0.1"), Some("1.0.1"), "bare and npm: ranges match");
        assert_eq!(ranged.apply(&pkg("x", "1"), "trim", "npm:0.0.2"), None);
        let scoped = Override::parse("@s/parent/@s/child", "2.0.0").unwrap();
        assert_eq!(scoped.from, Some(("@s/parent".into(), None)));
        assert_eq!(scoped.name, "@s/child");
        assert_eq!(scoped.apply(&pkg("@s/parent", "1.0.0"), "@s/child", "npm:^1"), Some("2.0.0"));
        assert_eq!(scoped.apply(&pkg("@s/other", "1.0.0"), "@s/child", "npm:^1"), None);
        let glob = Override::parse("**/child", "3.0.0").unwrap();
        assert_eq!((glob.from, glob.name.as_str()), (None, "child"));
        let versioned = Override::parse("parent@1.0.0/child", "3.0.0").unwrap();
        assert_eq!(versioned.apply(&pkg("parent", "1.0.0"), "child", "npm:^1"), Some("3.0.0"));
        assert_eq!(versioned.apply(&pkg("parent", "1.0.1"), "child", "npm:^1"), None);
    }

    #[test]
    fn claims_yarn_lock_outside_node_modules() {
        let r = YarnLockResolver;
        assert!(r.claims(Path::new("yarn.lock")));
        assert!(r.claims(Path::new("web/yarn.lock")));
        assert!(!r.claims(Path::new("node_modules/x/yarn.lock")));
        assert!(!r.claims(Path::new("yarn.lock.bak")));
    }

    #[test]
    fn berry_is_told_by_structure() {
        assert!(is_berry("# comment\n\n__metadata:\n  version: 8\n"));
        assert!(!is_berry("# yarn lockfile v1\n\na@1:\n  version \"1\"\n"));
    }
}
