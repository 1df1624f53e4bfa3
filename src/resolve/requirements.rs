//! pip requirements files: `requirements*.txt`, `requirements/*.txt` (pip-tools layouts such as
//! `requirements/dev.txt`), and any file named by `--requirements GLOB` or `requirements = [...]`
//! in `chainward.toml`.
//!
//! # How a file is read
//!
//! As pip's own parser (`pip/_internal/req/req_file.py`) reads it:
//!
//! 0. Lines are split as Python's `str.splitlines` splits them: at `\n`, and also at a lone
//!    `\r`, `\x0b`, `\x0c`, `\x1c`-`\x1e`, `\x85`, U+2028 and U+2029. Line numbers count `\n`
//!    only (an editor's); an editor line holding several pip lines with content is a warning
//!    (editors show it as one line, pip reads each part).
//! 1. Lines ending in `\` are joined with the next (the backslash removed, nothing else); a
//!    comment line ends a continuation. A requirement spanning several lines is reported at its
//!    first line, its span covering all of them.
//! 2. Comments are removed: `#` at the start of a line or preceded by whitespace, to the end of
//!    the line (`sha256:abc#x` keeps its `#`).
//! 3. Environment variables (`${VAR}`) are not expanded: nothing below `lib::run` reads the
//!    environment. A pin containing one is unpinned (see below), with a warning.
//! 4. The line is split at the first space-separated token starting with `-`: what comes before
//!    is the requirement, the rest are options, parsed as pip's `optparse` does (`--opt=value`,
//!    `--opt value`, `-xVALUE`, unique prefixes of long options). An option pip does not know is
//!    an error naming the line, as it is for pip.
//!
//! # Requirements
//!
//! - `name==version` and `name===version` (PEP 440 / 508, with extras `name[a,b]` and markers after
//!   `;`, which are not evaluated: the package is listed whatever the marker says) are PyPI
//!   packages at that version. `name==1.*` is not a pin.
//! - A line that pins no version (`flask>=2`, `requests`, `foo!=1`, `==1.*`, `==${VAR}`) names a
//!   package whose version is unknown: it is a package with version `""` and
//!   [`Package::unpinned`] set to the constraint as written, left out of matching, marked
//!   incomplete in the SBOM, and a [`Warning`] naming the file and line.
//! - `--hash=ALG:HEX` options become checksums (all of them). An algorithm other than sha256,
//!   sha384 or sha512, or a value without `ALG:`, is an error (pip refuses the file); a digest of
//!   the wrong length is a warning and is not recorded.
//! - VCS lines (`git+https://host/repo@rev#egg=name`, `-e git+...`, `name @ git+...`) are `Git`
//!   packages (the `@rev` a commit when it is 40 hex digits, else a `rev` reference); a release
//!   file on PyPI's own file host (`files.pythonhosted.org`) whose name gives the project's name
//!   and version (`NAME-VER-….whl`, `NAME-VER.tar.gz`, `.zip`; names compared as PEP 503 does)
//!   is that PyPI release, matched as a `name==VER` line is; other URLs are `Tarball` packages (other VCS too: chainward's model has git only); local paths and
//!   `file:` URLs are `Path` packages (relative to the requirements file's directory; pip takes
//!   them relative to where it runs, usually the same), a directory is first-party. None of
//!   these is a registry package: they are not matched, and each is a warning at its line ("not
//!   a PyPI release: not checked against advisories"). The name comes from `#egg=`, `name @`, a
//!   wheel's or source distribution's file name (which also gives the version), or else the
//!   last path segment (with a warning).
//! - A malformed requirement (`asdf==`, `==1.0`, `asdf 1.0`, trailing text) is an error naming
//!   the file and line (pip refuses the whole file); the other lines are still read.
//!
//! # Includes
//!
//! `-r FILE` / `--requirement FILE` includes another requirements file, `-c FILE` /
//! `--constraint FILE` a constraints file, both relative to the including file and read through
//! the [`Source`] (so a git revision reads its own). Packages of an included file are listed at
//! the line of the `-r` in the scanned file (their warnings name their own file and line). An
//! include that does not exist, is a URL, or leaves the scanned tree is an error at the `-r`
//! line; a file that includes itself (directly or not) is an error, as it is for pip
//! ("recursively references itself"); nesting is limited to 32 levels. A file is also known by
//! its bytes: reached again through a symlinked directory (a new path, the same bytes) while it
//! is being read, it is the same loop (pip follows it until the OS refuses the path); the same
//! bytes holding no include and no local path are read once whatever the path. One resolution
//! reads at most 256 included files (an error at the `-r` line that would read more).
//!
//! Constraints, as pip applies them, only constrain what is required: a constraint pin
//! (`name==version`) gives its version to a package the requirements name without pinning; a
//! constrained name nothing requires installs nothing and is not listed.
//!
//! # Indexes
//!
//! `--index-url URL` (`-i`) replaces PyPI for the whole pip run: when it is not pypi.org, the
//! packages are `Registry` packages of that index, not PyPI's (a private index, or a mirror
//! chainward cannot tell from one), so they are not matched, and a warning says so.
//! `--extra-index-url` adds an index beside PyPI: pip takes a name from either, as one project,
//! so the packages stay PyPI's and are matched.
//!
//! # Graph
//!
//! pip-compile's `# via` comments (on the lines below the requirement, or on its own line with
//! `--annotation-style=line`) record who required a package: `# via flask` is an edge from
//! `flask`, `# via -r requirements.in` (or `# via project (pyproject.toml)`) makes it direct. A
//! package without `# via` is direct (a hand-written file lists what the project requires). A
//! `# via` name that is not a package of the same file is a warning (pip-compile leaves "unsafe"
//! packages out unless `--allow-unsafe`). Every package is `Required` (pip installs them all).
//! The root is a synthetic component named after the file's directory, depending on the direct
//! packages.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use crate::model::{Checksum, Ecosystem, GitReference, LineSpan, Package, PackageSource, RootComponent, Scope};
use crate::resolve::{ResolveError, ResolveErrorKind, ResolveOptions, Resolved, Resolver, Warning};
use crate::source::Source;

/// How deep `-r`/`-c` includes may nest.
const MAX_INCLUDE_DEPTH: usize = 32;

/// How many files one resolution reads through `-r`/`-c` (a symlinked directory reaches the same
/// files under ever new paths: without a cap, two of them make 2^32 reads).
const MAX_INCLUDED_FILES: usize = 256;

/// A file's identity beside its path: the SHA-256 of its bytes (the same file reached through a
/// symlinked directory has a new path, never new bytes).
type Digest = [u8; 32];

fn digest(bytes: &[u8]) -> Digest {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes).into()
}

/// A file being read, with the files that include it below it on the stack.
#[derive(Debug)]
struct Frame {
    path: String,
    digest: Digest,
}

/// The resolver for pip requirements files.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequirementsResolver;

impl Resolver for RequirementsResolver {
    fn name(&self) -> &'static str {
        "requirements"
    }

    fn claims(&self, path: &Path) -> bool {
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else { return false };
        if !Path::new(name).extension().is_some_and(|e| e.eq_ignore_ascii_case("txt")) {
            return false;
        }
        name.starts_with("requirements") || path.parent().and_then(Path::file_name).is_some_and(|d| d == "requirements")
    }

    fn resolve(
        &self,
        source: &dyn Source,
        path: &str,
        bytes: &[u8],
        _options: &ResolveOptions,
    ) -> Result<Resolved, ResolveError> {
        let text = super::utf8(path, bytes)?;
        // pip decodes the file with its BOM removed.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut ctx = Ctx::new(source);
        let digest = digest(bytes);
        let mut stack = vec![Frame { path: path.to_owned(), digest }];
        ctx.file(path, text, digest, None, &mut stack, false);
        Ok(ctx.finish(source, path))
    }
}

/// One logical line: physical lines joined at trailing backslashes.
#[derive(Debug)]
struct Logical {
    first: usize,
    last: usize,
    text: String,
}

/// The characters other than `\n` at which Python's `str.splitlines` (which pip reads the file
/// with) breaks lines: a lone `\r`, `\x0b`, `\x0c`, `\x1c`-`\x1e`, `\x85`, U+2028, U+2029.
fn is_hidden_break(c: char) -> bool {
    matches!(c, '\r' | '\x0b' | '\x0c' | '\x1c' | '\x1d' | '\x1e' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// A line as pip reads it, with its editor line number.
type PipLine<'a> = (usize, &'a str);

/// The lines of a file as pip reads them (`str.splitlines`), each with its editor line number
/// (only `\n` counted, as editors show them), and the editor lines that hold more than one pip
/// line with content (with the first break character), which editors show as one line.
fn pip_lines(text: &str) -> (Vec<PipLine<'_>>, Vec<(usize, char)>) {
    let mut lines = Vec::new();
    let mut hidden = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let number = i + 1;
        // `\r\n` is one break.
        let editor_line = raw.strip_suffix('\r').unwrap_or(raw);
        let mut with_content = 0;
        for piece in editor_line.split(is_hidden_break) {
            with_content += usize::from(!piece.trim().is_empty());
            lines.push((number, piece));
        }
        if with_content > 1
            && let Some(c) = editor_line.chars().find(|c| is_hidden_break(*c))
        {
            hidden.push((number, c));
        }
    }
    (lines, hidden)
}

/// Join continuation lines as pip's `join_lines` does, over the lines pip reads
/// ([`pip_lines`]); line numbers are an editor's.
fn logical_lines(lines: &[PipLine<'_>]) -> Vec<Logical> {
    let mut out = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    let mut last = 0;
    for &(number, line) in lines {
        last = number;
        let comment = line.trim_start().starts_with('#');
        if !line.ends_with('\\') || comment {
            let line = if comment { format!(" {line}") } else { line.to_owned() };
            match pending.take() {
                Some((first, mut joined)) => {
                    joined.push_str(&line);
                    out.push(Logical { first, last: number, text: joined });
                }
                None => out.push(Logical { first: number, last: number, text: line }),
            }
        } else {
            let stripped = line.trim_matches('\\');
            match &mut pending {
                Some((_, joined)) => joined.push_str(stripped),
                None => pending = Some((number, stripped.to_owned())),
            }
        }
    }
    if let Some((first, text)) = pending {
        out.push(Logical { first, last, text });
    }
    out
}

/// Split off a comment (`#` at the start or after whitespace): the content and the comment's
/// text after `#`.
fn strip_comment(line: &str) -> (&str, Option<&str>) {
    let mut prev_ws = true;
    for (i, c) in line.char_indices() {
        if c == '#' && prev_ws {
            return (line.get(..i).unwrap_or_default(), line.get(i + 1..));
        }
        prev_ws = c.is_whitespace();
    }
    (line, None)
}

/// pip's `break_args_options`: the requirement before the first space-separated token that
/// starts with `-`, and the options from there.
fn break_args_options(line: &str) -> (&str, &str) {
    let mut pos = 0;
    for token in line.split(' ') {
        if token.starts_with('-') {
            return (line.get(..pos).unwrap_or_default().trim(), line.get(pos..).unwrap_or_default());
        }
        pos += token.len() + 1;
    }
    (line.trim(), "")
}

/// The options a requirements file may hold (pip's `SUPPORTED_OPTIONS` and
/// `SUPPORTED_OPTIONS_REQ`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Opt {
    Requirement,
    Constraint,
    Editable,
    IndexUrl,
    ExtraIndexUrl,
    NoIndex,
    FindLinks,
    NoBinary,
    OnlyBinary,
    PreferBinary,
    RequireHashes,
    Pre,
    TrustedHost,
    UseFeature,
    GlobalOption,
    Hash,
    ConfigSettings,
}

impl Opt {
    /// Whether the option applies to the requirement on its line (pip reads these there).
    fn per_requirement(self) -> bool {
        matches!(self, Opt::Hash | Opt::GlobalOption | Opt::ConfigSettings)
    }
}

/// (short, long, option, takes a value)
const OPTIONS: &[(Option<char>, &str, Opt, bool)] = &[
    (Some('r'), "requirement", Opt::Requirement, true),
    (Some('c'), "constraint", Opt::Constraint, true),
    (Some('e'), "editable", Opt::Editable, true),
    (Some('i'), "index-url", Opt::IndexUrl, true),
    (None, "extra-index-url", Opt::ExtraIndexUrl, true),
    (None, "no-index", Opt::NoIndex, false),
    (Some('f'), "find-links", Opt::FindLinks, true),
    (None, "no-binary", Opt::NoBinary, true),
    (None, "only-binary", Opt::OnlyBinary, true),
    (None, "prefer-binary", Opt::PreferBinary, false),
    (None, "require-hashes", Opt::RequireHashes, false),
    (None, "pre", Opt::Pre, false),
    (None, "trusted-host", Opt::TrustedHost, true),
    (None, "use-feature", Opt::UseFeature, true),
    (None, "global-option", Opt::GlobalOption, true),
    (None, "hash", Opt::Hash, true),
    (Some('C'), "config-settings", Opt::ConfigSettings, true),
];

/// Split like Python's `shlex.split` (whitespace, `'…'`, `"…"`, backslash escapes).
fn shlex_split(s: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut in_word = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => current.push(c),
                        None => return Err("no closing quotation".to_owned()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => current.push(c),
                            Some(c) => {
                                current.push('\\');
                                current.push(c);
                            }
                            None => return Err("no closing quotation".to_owned()),
                        },
                        Some(c) => current.push(c),
                        None => return Err("no closing quotation".to_owned()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some(c) => current.push(c),
                    None => return Err("no escaped character".to_owned()),
                }
            }
            c => {
                in_word = true;
                current.push(c);
            }
        }
    }
    if in_word {
        out.push(current);
    }
    Ok(out)
}

/// Parse option tokens as `optparse` does; positional arguments are ignored (as pip ignores them).
fn parse_options(text: &str) -> Result<Vec<(Opt, String, String)>, String> {
    let tokens = shlex_split(text)?;
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(token) = tokens.get(i) {
        i += 1;
        if token == "--" {
            break;
        }
        if let Some(long) = token.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (long, None),
            };
            let exact = OPTIONS.iter().find(|o| o.1 == name);
            let candidates: Vec<_> = OPTIONS.iter().filter(|o| o.1.starts_with(name)).collect();
            let found = match (exact, candidates.as_slice()) {
                (Some(o), _) => *o,
                (None, [o]) => **o,
                (None, []) => return Err(format!("no such option: --{name}")),
                (None, many) => {
                    let names: Vec<String> = many.iter().map(|o| format!("--{}", o.1)).collect();
                    return Err(format!("ambiguous option: --{name} ({})", names.join(", ")));
                }
            };
            let (_, long_name, opt, takes_value) = found;
            let value = if takes_value {
                if let Some(v) = inline {
                    v.to_owned()
                } else {
                    let v = tokens.get(i).ok_or_else(|| format!("--{long_name} option requires an argument"))?;
                    i += 1;
                    v.clone()
                }
            } else if inline.is_some() {
                return Err(format!("--{long_name} option does not take a value"));
            } else {
                String::new()
            };
            out.push((opt, format!("--{long_name}"), value));
        } else if let Some(short) = token.strip_prefix('-').filter(|s| !s.is_empty()) {
            let mut chars = short.chars();
            let Some(letter) = chars.next() else { continue };
            let Some((_, long_name, opt, _)) = OPTIONS.iter().find(|o| o.0 == Some(letter)) else {
                return Err(format!("no such option: -{letter}"));
            };
            // Every short option takes a value: the rest of the token, or the next token.
            let rest = chars.as_str();
            let value = if rest.is_empty() {
                let v = tokens.get(i).ok_or_else(|| format!("-{letter} option requires an argument"))?;
                i += 1;
                v.clone()
            } else {
                rest.to_owned()
            };
            out.push((*opt, format!("--{long_name}"), value));
        }
    }
    Ok(out)
}

/// URL schemes pip takes as links (`is_url`): plain and VCS.
fn url_scheme(s: &str) -> Option<String> {
    let (scheme, _) = s.split_once(':')?;
    let scheme = scheme.to_ascii_lowercase();
    let plain = ["http", "https", "file", "ftp", "git", "svn"];
    let vcs_base = ["git", "hg", "svn", "bzr"];
    let known = plain.contains(&scheme.as_str())
        || scheme.split_once('+').is_some_and(|(vcs, _)| vcs_base.contains(&vcs) && !scheme.contains(' '));
    known.then_some(scheme)
}

/// Archive file names pip installs from (`is_archive_file`).
fn is_archive(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    [".whl", ".zip", ".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tbz", ".tar.xz", ".txz", ".tlz", ".tar.lz", ".tar.lzma"]
        .iter()
        .any(|ext| lower.ends_with(ext))
}

/// A valid PEP 508 name or extra: ASCII letters and digits, `.`, `_`, `-` inside.
fn is_identifier(s: &str) -> bool {
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(f), Some(l)) => {
            f.is_ascii_alphanumeric()
                && l.is_ascii_alphanumeric()
                && b.iter().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
        }
        _ => false,
    }
}

/// The operators of a version specifier, longest first.
const OPERATORS: [&str; 8] = ["===", "==", "!=", "<=", ">=", "~=", "<", ">"];

/// A named requirement (PEP 508).
#[derive(Debug, PartialEq, Eq)]
struct Named {
    name: String,
    /// `name @ URL`.
    url: Option<String>,
    /// The pinned version (`==V` without `*`, or `===V`).
    pin: Option<String>,
    /// The specifiers as written (`>=2, <3`), empty for none.
    spec: String,
    /// An environment variable appears in the specifiers.
    env_var: bool,
}

/// Parse `name[extras] specifiers` or `name[extras] @ url` (markers already split off).
fn parse_named(s: &str) -> Result<Named, String> {
    let s = s.trim();
    let name_end = s.find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))).unwrap_or(s.len());
    let name = s.get(..name_end).unwrap_or_default();
    if name.is_empty() {
        return Err(format!("`{s}` does not start with a package name"));
    }
    if !is_identifier(name) {
        return Err(format!("`{name}` is not a valid package name"));
    }
    let mut rest = s.get(name_end..).unwrap_or_default().trim_start();
    if let Some(after) = rest.strip_prefix('[') {
        let Some((extras, tail)) = after.split_once(']') else {
            return Err("unterminated extras `[`".to_owned());
        };
        for extra in extras.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            if !is_identifier(extra) {
                return Err(format!("`{extra}` is not a valid extra name"));
            }
        }
        rest = tail.trim_start();
    }
    if let Some(url) = rest.strip_prefix('@') {
        let url = url.trim();
        if url.is_empty() || url.contains(char::is_whitespace) {
            return Err(format!("`{url}` is not a URL"));
        }
        return Ok(Named {
            name: name.to_owned(),
            url: Some(url.to_owned()),
            pin: None,
            spec: String::new(),
            env_var: false,
        });
    }
    let mut spec = rest.trim();
    if let Some(inner) = spec.strip_prefix('(') {
        spec = inner.strip_suffix(')').ok_or_else(|| "unbalanced `(` in the version specifier".to_owned())?.trim();
    }
    let mut pin = None;
    let mut env_var = false;
    if !spec.is_empty() {
        for clause in spec.split(',') {
            let clause = clause.trim();
            let Some(op) = OPERATORS.iter().find(|op| clause.starts_with(**op)) else {
                return Err(format!("`{clause}` is not a version specifier (`==1.0`, `>=2`, ...)"));
            };
            let version = clause.get(op.len()..).unwrap_or_default().trim();
            if version.contains("${") {
                env_var = true;
                continue;
            }
            let valid = !version.is_empty()
                && if *op == "===" {
                    !version.contains(char::is_whitespace)
                } else {
                    version.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '*' | '+' | '!' | '_' | '-'))
                };
            if !valid {
                return Err(format!("`{clause}` is not a valid version specifier"));
            }
            if pin.is_none() && (*op == "===" || (*op == "==" && !version.contains('*'))) {
                pin = Some(version.to_owned());
            }
        }
    }
    if env_var {
        pin = None;
    }
    Ok(Named { name: name.to_owned(), url: None, pin, spec: spec.to_owned(), env_var })
}

/// The name and version of a wheel file name (`name-1.0-py3-none-any.whl`).
fn wheel_name(file: &str) -> Option<(String, String)> {
    let stem = file.strip_suffix(".whl").or_else(|| file.strip_suffix(".WHL"))?;
    let parts: Vec<&str> = stem.split('-').collect();
    match parts.as_slice() {
        [name, version, _, _, _] | [name, version, _, _, _, _] if !name.is_empty() && !version.is_empty() => {
            Some(((*name).to_owned(), (*version).to_owned()))
        }
        _ => None,
    }
}

/// Source distribution extensions whose file names are `NAME-VERSION.EXT`.
const SDIST_EXTENSIONS: [&str; 6] = [".tar.gz", ".zip", ".tar.bz2", ".tgz", ".tar.xz", ".tar"];

/// The name and version a distribution's file name gives: a wheel's (`name-1.0-py3-none-any.whl`)
/// or a source distribution's (`name-1.0.tar.gz`, `.zip`; legacy names may hold `-`, so the
/// version is after the `-` that follows `name` when the name is known (compared as PEP 503
/// does), else after the last `-`). The version must be a PEP 440 version.
fn dist_file_name(file: &str, name: Option<&str>) -> Option<(String, String)> {
    let same = |a: &str, b: &str| Ecosystem::PyPI.normalize_name(a) == Ecosystem::PyPI.normalize_name(b);
    let (found, version) = if let Some(w) = wheel_name(file) {
        w
    } else {
        let lower = file.to_ascii_lowercase();
        let ext = SDIST_EXTENSIONS.iter().find(|e| lower.ends_with(**e))?;
        let stem = file.get(..file.len() - ext.len())?;
        let split = match name {
            Some(n) => stem
                .match_indices('-')
                .map(|(i, _)| i)
                .find(|&i| stem.get(..i).is_some_and(|prefix| same(prefix, n)))?,
            None => stem.rfind('-')?,
        };
        (stem.get(..split)?.to_owned(), stem.get(split + 1..)?.to_owned())
    };
    if found.is_empty() || <pep440_rs::Version as std::str::FromStr>::from_str(&version).is_err() {
        return None;
    }
    if name.is_some_and(|n| !same(n, &found)) {
        return None;
    }
    Some((found, version))
}

/// The `#egg=` name of a URL fragment.
fn egg_name(url: &str) -> Option<String> {
    let (_, fragment) = url.split_once('#')?;
    fragment
        .split('&')
        .find_map(|kv| kv.strip_prefix("egg="))
        .map(|e| e.split('[').next().unwrap_or(e).to_owned())
        .filter(|e| !e.is_empty())
}

/// The last path segment of a URL or path, without query, fragment and archive extension.
fn last_segment(s: &str) -> String {
    let s = s.split(['#', '?']).next().unwrap_or(s).trim_end_matches('/');
    let seg = s.rsplit('/').next().unwrap_or(s);
    let seg = seg.strip_suffix(".git").unwrap_or(seg);
    let lower = seg.to_ascii_lowercase();
    for ext in [".tar.gz", ".tar.bz2", ".tar.xz", ".tgz", ".zip", ".tar", ".whl"] {
        if lower.ends_with(ext) {
            return seg.get(..seg.len() - ext.len()).unwrap_or(seg).to_owned();
        }
    }
    seg.to_owned()
}

/// The source of a URL: git (`git+…`, `git://`), a local path (`file:`), or a tarball.
fn url_source(url: &str, dir: &str) -> PackageSource {
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("git+") || lower.starts_with("git:") {
        let bare = url.get(if lower.starts_with("git+") { 4 } else { 0 }..).unwrap_or(url);
        let bare = bare.split('#').next().unwrap_or(bare);
        // `@rev` after the host part (`git+ssh://git@host/repo@rev`).
        let path_start = bare
            .find("://")
            .map_or(0, |i| bare.get(i + 3..).and_then(|r| r.find('/')).map_or(bare.len(), |j| i + 3 + j));
        let (repo, rev) = match bare.get(path_start..).and_then(|p| p.rfind('@')) {
            Some(at) => (bare.get(..path_start + at).unwrap_or(bare), bare.get(path_start + at + 1..)),
            None => (bare, None),
        };
        let rev = rev.filter(|r| !r.is_empty());
        let is_commit = rev.is_some_and(|r| r.len() == 40 && crate::model::is_hex(r));
        return PackageSource::Git {
            url: repo.to_owned(),
            reference: rev.filter(|_| !is_commit).map(|r| GitReference::Rev(r.to_owned())),
            commit: rev.filter(|_| is_commit).map(str::to_ascii_lowercase),
        };
    }
    if let Some(path) = lower.starts_with("file:").then(|| url.get(5..).unwrap_or_default()) {
        let path = path.split('#').next().unwrap_or(path);
        let path = path.strip_prefix("//").unwrap_or(path);
        return PackageSource::Path { dir: local_dir(dir, path) };
    }
    PackageSource::Tarball { url: url.to_owned() }
}

/// A local path relative to the requirements file's directory (absolute paths kept).
fn local_dir(dir: &str, path: &str) -> String {
    if path.starts_with('/') { path.to_owned() } else { crate::source::join(dir, path) }
}

/// How much of a quoted piece of the file a message shows.
const QUOTE_MAX: usize = 100;

/// A message with every `` `quoted` `` piece longer than [`QUOTE_MAX`] characters cut short (a
/// malformed line may be megabytes long).
fn clip_quoted(message: String) -> String {
    if message.len() <= QUOTE_MAX {
        return message;
    }
    let mut out = String::with_capacity(message.len().min(1024));
    for (i, piece) in message.split('`').enumerate() {
        if i > 0 {
            out.push('`');
        }
        if i % 2 == 1 && piece.chars().count() > QUOTE_MAX {
            out.extend(piece.chars().take(QUOTE_MAX));
            out.push('…');
        } else {
            out.push_str(piece);
        }
    }
    out
}

/// The items after `via` of a comment's text (`via a, b` → `a, b`), when it is a `# via` comment.
fn via_items(comment: &str) -> Option<&str> {
    comment.strip_prefix("via").filter(|r| r.is_empty() || r.starts_with(char::is_whitespace))
}

/// The paths of an include chain, `a -> b -> c`.
fn chain(frames: &[Frame]) -> String {
    frames.iter().map(|f| f.path.as_str()).collect::<Vec<_>>().join(" -> ")
}

/// One `# via` item and where it was written.
#[derive(Debug)]
struct Via {
    package: usize,
    item: String,
    file: String,
    line: usize,
}

/// The state of one resolution (a file and everything it includes).
struct Ctx<'s> {
    source: &'s dyn Source,
    packages: Vec<Package>,
    /// Per package: the file and line of its requirement (for warnings).
    origin: Vec<(String, usize)>,
    /// Per package: `# via` seen, and whether one made it direct.
    via: Vec<(bool, bool)>,
    keys: HashMap<(String, String, PackageSource), usize>,
    constraints: HashMap<String, String>,
    /// `--index-url` (the last one wins, as for pip), with its file and line.
    index_url: Option<(String, String, usize)>,
    warnings: Vec<Warning>,
    errors: Vec<ResolveError>,
    /// Files already read (with the constraint flag): their packages are listed once.
    parsed: HashSet<(String, bool)>,
    /// Contents already read (with the constraint flag) whose packages do not depend on the
    /// file's directory (no include, no local path): the same bytes under another path (a
    /// symlinked directory) are not read again.
    parsed_content: HashSet<(Digest, bool)>,
    /// Relative references (includes, local paths) met so far: whether a file made any.
    relative_refs: usize,
    /// Files read through includes (at most [`MAX_INCLUDED_FILES`]), and whether reaching the
    /// cap was reported.
    included: usize,
    cap_reported: bool,
}

impl<'s> Ctx<'s> {
    fn new(source: &'s dyn Source) -> Self {
        Ctx {
            source,
            packages: Vec::new(),
            origin: Vec::new(),
            via: Vec::new(),
            keys: HashMap::new(),
            constraints: HashMap::new(),
            index_url: None,
            warnings: Vec::new(),
            errors: Vec::new(),
            parsed: HashSet::new(),
            parsed_content: HashSet::new(),
            relative_refs: 0,
            included: 0,
            cap_reported: false,
        }
    }

    fn error(&mut self, path: &str, line: usize, message: String) {
        self.errors.push(ResolveError::new(path, Some(line), ResolveErrorKind::Format(clip_quoted(message))));
    }

    fn warn(&mut self, path: &str, line: usize, message: String) {
        self.warnings.push(Warning { path: path.to_owned(), line: Some(line), message: clip_quoted(message) });
    }

    /// Read one requirements (or constraints) file. `listed_at` is the span of the `-r` line in
    /// the scanned file for an included file.
    fn file(
        &mut self,
        path: &str,
        text: &str,
        digest: Digest,
        listed_at: Option<LineSpan>,
        stack: &mut Vec<Frame>,
        constraint: bool,
    ) {
        if !self.parsed.insert((path.to_owned(), constraint)) || self.parsed_content.contains(&(digest, constraint)) {
            return;
        }
        let refs_before = self.relative_refs;
        let dir = crate::resolve::cargo::parent_dir(path);
        let first_package = self.packages.len();
        let mut vias: Vec<Via> = Vec::new();
        // The package the next `# via` comment is about, and whether a `# via` block is open.
        let mut current: Option<usize> = None;
        let mut in_via = false;
        let (lines, hidden) = pip_lines(text);
        for (line, c) in hidden {
            self.warn(
                path,
                line,
                format!(
                    "this line holds several lines for pip, which also breaks lines at U+{:04X} (editors show one line): each part is read as its own line, as pip reads it",
                    u32::from(c)
                ),
            );
        }
        for logical in logical_lines(&lines) {
            let (content, comment) = strip_comment(&logical.text);
            let content = content.trim();
            let span = listed_at.unwrap_or(LineSpan { start: logical.first, end: logical.last });
            if content.is_empty() {
                let Some(comment) = comment else { continue };
                let trimmed = comment.trim();
                if let (Some(rest), Some(package)) = (via_items(trimmed), current) {
                    in_via = true;
                    for item in rest.split(',').map(str::trim).filter(|i| !i.is_empty()) {
                        vias.push(Via { package, item: item.to_owned(), file: path.to_owned(), line: logical.first });
                    }
                } else if in_via && comment.chars().take(2).all(char::is_whitespace) && !trimmed.is_empty() {
                    if let Some(package) = current {
                        vias.push(Via {
                            package,
                            item: trimmed.to_owned(),
                            file: path.to_owned(),
                            line: logical.first,
                        });
                    }
                } else {
                    in_via = false;
                }
                continue;
            }
            in_via = false;
            current = None;
            let line = logical.first;
            let (requirement, options) = break_args_options(content);
            let options = match parse_options(options) {
                Ok(o) => o,
                Err(message) => {
                    self.error(path, line, format!("{message} (pip refuses this requirements file)"));
                    continue;
                }
            };
            if requirement.is_empty() {
                // pip: a line with `-e` is that editable requirement (the first `-e` only), and
                // its other options are not applied; any other line's options are.
                if let Some(first) = options.iter().position(|(o, _, _)| *o == Opt::Editable) {
                    let value = options.get(first).map(|(_, _, v)| v.as_str()).unwrap_or_default();
                    if constraint {
                        self.error(path, line, "editable requirements are not allowed as constraints".to_owned());
                    } else {
                        current = self.editable(path, &dir, line, span, value);
                    }
                    let ignored: Vec<&str> = options
                        .iter()
                        .enumerate()
                        .filter(|(i, (o, _, _))| *i != first && *o != Opt::ConfigSettings)
                        .map(|(_, (_, n, _))| n.as_str())
                        .collect();
                    if !ignored.is_empty() {
                        self.warn(
                            path,
                            line,
                            format!("`{}` beside `-e` on one line is ignored, as pip ignores it", ignored.join("`, `")),
                        );
                    }
                    continue;
                }
                for (opt, name, value) in options {
                    match opt {
                        Opt::Requirement | Opt::Constraint => {
                            self.include(path, &dir, line, span, &value, stack, constraint || opt == Opt::Constraint);
                        }
                        Opt::IndexUrl => self.index_url = Some((value, path.to_owned(), line)),
                        Opt::Hash | Opt::GlobalOption | Opt::ConfigSettings => {
                            self.warn(
                                path,
                                line,
                                format!("`{name}` without a requirement on its line is ignored, as pip ignores it"),
                            );
                        }
                        _ => {}
                    }
                }
                continue;
            }
            let mut checksums = Vec::new();
            for (opt, name, value) in &options {
                match opt {
                    Opt::Hash => match value.split_once(':') {
                        Some((algorithm, digest)) if matches!(algorithm, "sha256" | "sha384" | "sha512") => {
                            match Checksum::from_hex(algorithm, digest) {
                                Some(c) => checksums.push(c),
                                None => self.warn(
                                    path,
                                    line,
                                    format!("`--hash={value}` is not a {algorithm} digest (hex of the right length): not recorded"),
                                ),
                            }
                        }
                        _ => self.error(
                            path,
                            line,
                            format!("`--hash={value}`: pip needs a hash name (sha256, sha384, sha512) followed by a value, like `--hash=sha256:abcde…`"),
                        ),
                    },
                    o if o.per_requirement() => {}
                    _ => self.warn(path, line, format!("`{name}` on a requirement line is ignored, as pip ignores it")),
                }
            }
            checksums.sort_by(|a, b| b.cmp(a));
            checksums.dedup();
            if constraint {
                self.constraint_line(path, line, requirement);
                continue;
            }
            current = self.requirement(path, &dir, line, span, requirement, checksums);
            // pip-compile `--annotation-style=line`: `name==1.0  # via a, -r x.in`.
            if let (Some(package), Some(rest)) = (current, comment.and_then(|c| via_items(c.trim()))) {
                for item in rest.split(',').map(str::trim).filter(|i| !i.is_empty()) {
                    vias.push(Via { package, item: item.to_owned(), file: path.to_owned(), line });
                }
            }
        }
        self.resolve_vias(first_package, vias);
        if self.relative_refs == refs_before {
            self.parsed_content.insert((digest, constraint));
        }
    }

    /// `-r`/`-c VALUE` at `line` of `path`.
    #[expect(clippy::too_many_arguments, reason = "the include's context, all of it needed")]
    fn include(
        &mut self,
        path: &str,
        dir: &str,
        line: usize,
        span: LineSpan,
        value: &str,
        stack: &mut Vec<Frame>,
        constraint: bool,
    ) {
        self.relative_refs += 1;
        let kind = if constraint { "constraints file" } else { "requirements file" };
        if url_scheme(value).is_some() {
            self.error(
                path,
                line,
                format!("the {kind} `{value}` is a URL: chainward reads no network, so it is not read"),
            );
            return;
        }
        if value.contains("${") {
            self.error(
                path,
                line,
                format!(
                    "the {kind} `{value}` names an environment variable, which chainward does not expand: not read"
                ),
            );
            return;
        }
        let target = crate::source::join(dir, value);
        if value.starts_with('/')
            || value.starts_with('\\')
            || value.get(1..2) == Some(":")
            || target == ".."
            || target.starts_with("../")
        {
            self.error(path, line, format!("the {kind} `{value}` is outside the scanned tree: not read"));
            return;
        }
        if let Some(pos) = stack.iter().position(|f| f.path == target) {
            let chain = chain(stack.get(pos..).unwrap_or_default());
            self.error(
                path,
                line,
                format!(
                    "`{target}` recursively references itself (through {chain} -> {target}): pip refuses this file"
                ),
            );
            return;
        }
        if stack.len() >= MAX_INCLUDE_DEPTH {
            self.error(
                path,
                line,
                format!("includes nest deeper than {MAX_INCLUDE_DEPTH} levels: `{target}` not read"),
            );
            return;
        }
        if self.parsed.contains(&(target.clone(), constraint)) {
            // Read already: its packages are listed.
            return;
        }
        if self.included >= MAX_INCLUDED_FILES {
            if !self.cap_reported {
                self.cap_reported = true;
                self.error(
                    path,
                    line,
                    format!(
                        "more than {MAX_INCLUDED_FILES} files included (a symlinked directory reaches the same files under ever new paths): `{target}` and the includes after it are not read"
                    ),
                );
            }
            return;
        }
        self.included += 1;
        let bytes = match self.source.read(&target) {
            Ok(b) => b,
            Err(e) => {
                self.error(path, line, format!("the {kind} `{value}` cannot be read: {}", e.message));
                return;
            }
        };
        let digest = digest(&bytes);
        if let Some(pos) = stack.iter().position(|f| f.digest == digest) {
            let again = stack.get(pos).map(|f| f.path.as_str()).unwrap_or_default();
            let chain = chain(stack.get(pos..).unwrap_or_default());
            self.error(
                path,
                line,
                format!(
                    "`{target}` is `{again}` again (the same bytes, reached through a symlinked directory or a copy): it recursively references itself (through {chain} -> {target}), which pip fails on too: not read"
                ),
            );
            return;
        }
        let Ok(text) = std::str::from_utf8(&bytes) else {
            self.error(path, line, format!("the {kind} `{target}` is not valid UTF-8"));
            return;
        };
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        stack.push(Frame { path: target.clone(), digest });
        self.file(&target, text, digest, Some(span), stack, constraint);
        stack.pop();
    }

    /// A pinned line of a constraints file: remembered for the requirements that name it.
    fn constraint_line(&mut self, path: &str, line: usize, requirement: &str) {
        let requirement = requirement.split(';').next().unwrap_or(requirement);
        if url_scheme(requirement.trim()).is_some() {
            self.error(path, line, "unnamed requirements are not allowed as constraints".to_owned());
            return;
        }
        match parse_named(requirement) {
            Ok(named) => {
                if let Some(pin) = named.pin {
                    self.constraints.entry(Ecosystem::PyPI.normalize_name(&named.name)).or_insert(pin);
                }
            }
            Err(message) => self.error(path, line, format!("invalid constraint: {message}")),
        }
    }

    /// `-e VALUE`: a local project directory or a VCS URL.
    fn editable(&mut self, path: &str, dir: &str, line: usize, span: LineSpan, value: &str) -> Option<usize> {
        let value = value.trim();
        if let Some(scheme) = url_scheme(value) {
            if scheme.contains('+') || scheme == "git" || scheme == "file" {
                return Some(self.link(path, dir, line, span, value, None, Vec::new()));
            }
            self.error(
                path,
                line,
                format!("`-e {value}` should be a path to a local project or a VCS URL (`git+https://…`)"),
            );
            return None;
        }
        let bare = value.split('[').next().unwrap_or(value);
        self.relative_refs += 1;
        let dir = local_dir(dir, bare);
        let name = egg_name(value)
            .unwrap_or_else(|| crate::resolve::dir_name(self.source, &dir).unwrap_or_else(|| "root".to_owned()));
        let mut package = Package::new(Ecosystem::PyPI, name, String::new(), PackageSource::Path { dir });
        package.first_party = true;
        Some(self.add(package, span, path, line))
    }

    /// A URL or local path line (no `name @`): a package that is not a registry package.
    #[expect(clippy::too_many_arguments, reason = "the line's context, all of it needed")]
    fn link(
        &mut self,
        path: &str,
        dir: &str,
        line: usize,
        span: LineSpan,
        target: &str,
        name: Option<String>,
        checksums: Vec<Checksum>,
    ) -> usize {
        let is_url = url_scheme(target).is_some();
        let mut source = if is_url {
            url_source(target, dir)
        } else {
            let bare = target.split('[').next().unwrap_or(target);
            PackageSource::Path { dir: local_dir(dir, bare) }
        };
        if matches!(source, PackageSource::Path { .. }) {
            self.relative_refs += 1;
        }
        let file = last_segment(target.split('[').next().unwrap_or(target));
        let segment_raw = target.split(['#', '?']).next().unwrap_or(target).rsplit('/').next().unwrap_or_default();
        let given = name.or_else(|| egg_name(target));
        // The file's version, when the file is the named project's (pip refuses another's when
        // it installs).
        let (name, version) = match given {
            Some(n) => {
                let version = dist_file_name(segment_raw, Some(&n)).map(|(_, v)| v).unwrap_or_default();
                (n, version)
            }
            None => dist_file_name(segment_raw, None).unwrap_or_else(|| {
                self.warn(
                    path,
                    line,
                    format!("`{target}` names no package (`#egg=NAME` or `NAME @ URL` would): listed as `{file}`"),
                );
                (file, String::new())
            }),
        };
        // A release file on PyPI's own file host is that PyPI release (as pylock.toml's are).
        let lower = target.to_ascii_lowercase();
        if matches!(source, PackageSource::Tarball { .. })
            && !version.is_empty()
            && (lower.starts_with("https://") || lower.starts_with("http://"))
            && super::python::is_pypi_index(target)
        {
            source = PackageSource::default_registry(Ecosystem::PyPI);
        }
        let directory = matches!(source, PackageSource::Path { .. }) && !is_archive(segment_raw);
        let mut package = Package::new(Ecosystem::PyPI, name, version, source);
        package.first_party = directory;
        package.checksums = checksums;
        self.add(package, span, path, line)
    }

    /// A requirement line (markers and options already split off the options).
    fn requirement(
        &mut self,
        path: &str,
        dir: &str,
        line: usize,
        span: LineSpan,
        requirement: &str,
        checksums: Vec<Checksum>,
    ) -> Option<usize> {
        let marker_sep = if url_scheme(requirement).is_some() { "; " } else { ";" };
        let req = requirement.split(marker_sep).next().unwrap_or(requirement).trim();
        if url_scheme(req).is_some() {
            return Some(self.link(path, dir, line, span, req, None, checksums));
        }
        // `name @ URL` (PEP 508) before paths: pip takes a line as a path only when the part
        // before any `@` looks like one.
        let bare = req.split('[').next().unwrap_or(req);
        let before_at = req.split('@').next().unwrap_or(req);
        let looks_like_path = |s: &str| s.contains(['/', '\\']) || s.starts_with('.');
        let url_form = req.contains('@') && !looks_like_path(before_at);
        if !url_form && (looks_like_path(bare) || is_archive(bare)) {
            return Some(self.link(path, dir, line, span, req, None, checksums));
        }
        let named = match parse_named(req) {
            Ok(n) => n,
            Err(message) => {
                self.error(path, line, format!("invalid requirement: {message} (pip refuses this requirements file)"));
                return None;
            }
        };
        if let Some(url) = named.url {
            return Some(self.link(path, dir, line, span, &url, Some(named.name), checksums));
        }
        let source = PackageSource::default_registry(Ecosystem::PyPI);
        let mut package = Package::new(Ecosystem::PyPI, named.name, named.pin.clone().unwrap_or_default(), source);
        package.checksums = checksums;
        if named.pin.is_none() {
            package.unpinned = Some(named.spec);
        }
        Some(self.add(package, span, path, line))
    }

    /// Add a package, or merge it into the same one already listed.
    fn add(&mut self, mut package: Package, span: LineSpan, path: &str, line: usize) -> usize {
        let key = (Ecosystem::PyPI.normalize_name(&package.name), package.version.clone(), package.source.clone());
        if let Some(&i) = self.keys.get(&key)
            && let Some(existing) = self.packages.get_mut(i)
            && existing.unpinned == package.unpinned
        {
            existing.checksums.extend(package.checksums);
            existing.checksums.sort_by(|a, b| b.cmp(a));
            existing.checksums.dedup();
            return i;
        }
        package.lines = Some(span);
        package.scope = Some(Scope::Required);
        let i = self.packages.len();
        self.keys.insert(key, i);
        self.packages.push(package);
        self.origin.push((path.to_owned(), line));
        self.via.push((false, false));
        i
    }

    /// Turn one file's `# via` items into edges and direct flags.
    fn resolve_vias(&mut self, first_package: usize, vias: Vec<Via>) {
        let mut by_name: HashMap<String, usize> = HashMap::new();
        for (i, p) in self.packages.iter().enumerate().skip(first_package) {
            by_name.entry(Ecosystem::PyPI.normalize_name(&p.name)).or_insert(i);
        }
        for via in vias {
            if let Some(flags) = self.via.get_mut(via.package) {
                flags.0 = true;
            }
            let item = via.item.as_str();
            if item.starts_with("-r ") || item.starts_with("--requirement") || item.ends_with(')') {
                if let Some(flags) = self.via.get_mut(via.package) {
                    flags.1 = true;
                }
                continue;
            }
            if item.starts_with('-') {
                // `-c constraints.txt`: a constraint, not a requirement.
                continue;
            }
            let name = item.split_whitespace().next().unwrap_or(item);
            match by_name.get(&Ecosystem::PyPI.normalize_name(name)) {
                Some(&from) => {
                    if let Some(p) = self.packages.get_mut(from) {
                        p.dependencies.insert(via.package);
                    }
                }
                None => self.warn(
                    &via.file,
                    via.line,
                    format!("`# via {name}`: `{name}` is not a package of this file (pip-compile leaves some out): edge not recorded"),
                ),
            }
        }
    }

    fn finish(mut self, source: &dyn Source, path: &str) -> Resolved {
        if let Some((url, file, line)) = self.index_url.clone()
            && !super::python::is_pypi_index(&url)
        {
            let mut any = false;
            let private = super::python::index_source(&url);
            for p in &mut self.packages {
                if p.source.is_default_registry() {
                    p.source = private.clone();
                    any = true;
                }
            }
            if any {
                self.warn(
                    &file,
                    line,
                    format!(
                        "packages come from the index `{}`, not PyPI: they are not matched against PyPI advisories",
                        super::python::without_credentials(&url)
                    ),
                );
            }
        }
        for (i, p) in self.packages.iter_mut().enumerate() {
            if p.unpinned.is_some()
                && let Some(pin) = self.constraints.get(&Ecosystem::PyPI.normalize_name(&p.name))
            {
                p.version.clone_from(pin);
                p.unpinned = None;
            }
            let (has_via, via_direct) = self.via.get(i).copied().unwrap_or_default();
            p.direct = !has_via || via_direct;
        }
        for (p, (file, line)) in self.packages.iter().zip(&self.origin) {
            if let Some(spec) = &p.unpinned {
                let message = if spec.contains("${") {
                    format!(
                        "`{}{spec}` uses an environment variable, which chainward does not expand: the package has no version and is not matched against advisories",
                        p.name
                    )
                } else {
                    format!(
                        "`{}{}{spec}` pins no version (`==`): the package has no version and is not matched against advisories",
                        p.name,
                        if spec.is_empty() { "" } else { " " }
                    )
                };
                self.warnings.push(Warning { path: file.clone(), line: Some(*line), message: clip_quoted(message) });
            }
            // What is not a registry package is not matched: say so, once per package. A local
            // project directory (`-e .`) is first-party code, as a Cargo path crate is: no word.
            let from = match &p.source {
                PackageSource::Path { .. } if p.first_party => continue,
                PackageSource::Git { url, .. } => format!("git `{}`", super::python::without_credentials(url)),
                PackageSource::Tarball { url } => format!("the URL `{}`", super::python::without_credentials(url)),
                PackageSource::Path { dir } => format!("the local path `{dir}`"),
                PackageSource::Registry { .. } => continue,
            };
            let message = format!(
                "`{}` ({from}) is not a PyPI release: not checked against advisories",
                if p.name.is_empty() { "?" } else { p.name.as_str() }
            );
            self.warnings.push(Warning { path: file.clone(), line: Some(*line), message: clip_quoted(message) });
        }
        let dir = crate::resolve::cargo::parent_dir(path);
        let depends_on = self.packages.iter().enumerate().filter(|(_, p)| p.direct).map(|(i, _)| i).collect();
        let name = crate::resolve::dir_name(source, &dir).unwrap_or_else(|| "root".to_owned());
        Resolved {
            path: path.to_owned(),
            packages: self.packages,
            root: RootComponent::Synthetic { name, depends_on },
            warnings: self.warnings,
            errors: self.errors,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_requirements_names_and_directories() {
        let r = RequirementsResolver;
        for yes in [
            "requirements.txt",
            "a/requirements-dev.txt",
            "requirements_test.txt",
            "requirements/dev.txt",
            "x/requirements/base.txt",
        ] {
            assert!(r.claims(Path::new(yes)), "{yes}");
        }
        for no in ["requirements.in", "dev.txt", "notes/requirements.md", "reqs/dev.txt", "requirements"] {
            assert!(!r.claims(Path::new(no)), "{no}");
        }
    }

    #[test]
    fn long_quotes_are_clipped() {
        let long = "x".repeat(500);
        let m = clip_quoted(format!("`{long}` is bad, `ok`"));
        assert_eq!(m, format!("`{}…` is bad, `ok`", "x".repeat(QUOTE_MAX)));
    }

    #[test]
    fn continuation_lines_join_as_pip_joins_them() {
        let lines = logical_lines(&pip_lines("a==1 \\\n  --hash=sha256:x\n# c \\\nb==2\\\n").0);
        let got: Vec<(usize, usize, &str)> = lines.iter().map(|l| (l.first, l.last, l.text.as_str())).collect();
        assert_eq!(got, [(1, 2, "a==1   --hash=sha256:x"), (3, 3, " # c \\"), (4, 5, "b==2")]);
    }

    #[test]
    fn lines_split_as_python_splitlines_numbered_by_newlines() {
        // Python: 'a\r\rb\x1c\x85c\u2028d\x0b\x0ce\r\n'.splitlines()
        //   == ['a', '', 'b', '', 'c', 'd', '', 'e']
        let (lines, hidden) = pip_lines("a\r\rb\x1c\u{85}c\u{2028}d\x0b\x0ce\r\nf\x0c\n");
        let texts: Vec<&str> = lines.iter().map(|(_, t)| *t).filter(|t| !t.is_empty()).collect();
        assert_eq!(texts, ["a", "b", "c", "d", "e", "f"]);
        assert!(lines.iter().all(|(n, t)| *n
            == if *t == "f" {
                2
            } else if t.is_empty() {
                *n
            } else {
                1
            }));
        // Line 1 hides lines from an editor; line 2's trailing form feed hides nothing.
        assert_eq!(hidden, [(1, '\r')]);
    }

    #[test]
    fn distribution_file_names_give_name_and_version() {
        let d = |f: &str, n: Option<&str>| dist_file_name(f, n);
        let pair = |a: &str, b: &str| Some((a.to_owned(), b.to_owned()));
        assert_eq!(d("requests-2.0.0-py2.py3-none-any.whl", None), pair("requests", "2.0.0"));
        assert_eq!(d("Django-1.2.tar.gz", Some("django")), pair("Django", "1.2"));
        assert_eq!(d("python-dateutil-2.8.2.tar.gz", None), pair("python-dateutil", "2.8.2"));
        assert_eq!(d("python-dateutil-2.8.2.tar.gz", Some("python_dateutil")), pair("python-dateutil", "2.8.2"));
        assert_eq!(d("Flask-2.0.0.ZIP", None), pair("Flask", "2.0.0"));
        assert_eq!(d("requests-2.0.0-py2.py3-none-any.whl", Some("urllib3")), None);
        assert_eq!(d("six-latest.tar.gz", None), None);
        assert_eq!(d("six.tar.gz", None), None);
        assert_eq!(d("-1.0.tar.gz", None), None);
        assert_eq!(d("six-1.0", None), None);
    }

    #[test]
    fn comments_need_whitespace_before_the_hash() {
        assert_eq!(strip_comment("a==1 # x"), ("a==1 ", Some(" x")));
        assert_eq!(strip_comment("a --hash=sha256:x;#"), ("a --hash=sha256:x;#", None));
        assert_eq!(strip_comment("# only"), ("", Some(" only")));
    }

    #[test]
    fn pins_are_exact_versions_only() {
        let pin = |s: &str| parse_named(s).map(|n| n.pin);
        assert_eq!(pin("a==1.0"), Ok(Some("1.0".into())));
        assert_eq!(pin("a [x, y] == 2.1.0"), Ok(Some("2.1.0".into())));
        assert_eq!(pin("a===weird"), Ok(Some("weird".into())));
        assert_eq!(pin("a==1.*"), Ok(None));
        assert_eq!(pin("a>=1,<2"), Ok(None));
        assert_eq!(pin("a"), Ok(None));
        assert_eq!(pin("a==${V}"), Ok(None));
        assert!(parse_named("a==").is_err());
        assert!(parse_named("==1.0").is_err());
        assert!(parse_named("a 1.0").is_err());
        assert!(parse_named("a==1.0 trailing").is_err());
    }

    #[test]
    fn options_parse_as_optparse_does() {
        let o = parse_options("--hash sha256:1 --hash=sha256:2 -C x --extra-index https://e -rfile.txt").unwrap();
        let got: Vec<(Opt, &str)> = o.iter().map(|(o, _, v)| (*o, v.as_str())).collect();
        assert_eq!(
            got,
            [
                (Opt::Hash, "sha256:1"),
                (Opt::Hash, "sha256:2"),
                (Opt::ConfigSettings, "x"),
                (Opt::ExtraIndexUrl, "https://e"),
                (Opt::Requirement, "file.txt"),
            ]
        );
        assert!(parse_options("--bogus").is_err());
        assert!(parse_options("--hash").is_err());
        assert_eq!(parse_options("-foo==1.0").unwrap().first().map(|o| o.0), Some(Opt::FindLinks));
    }

    #[test]
    fn git_urls_split_revision_and_commit() {
        let commit = "0123456789abcdef0123456789abcdef01234567";
        assert_eq!(
            url_source(&format!("git+ssh://git@github.com/o/r.git@{commit}#egg=r"), "."),
            PackageSource::Git {
                url: "ssh://git@github.com/o/r.git".into(),
                reference: None,
                commit: Some(commit.into())
            }
        );
        assert_eq!(
            url_source("git+https://github.com/o/r@v1.0", "."),
            PackageSource::Git {
                url: "https://github.com/o/r".into(),
                reference: Some(GitReference::Rev("v1.0".into())),
                commit: None
            }
        );
        assert_eq!(wheel_name("numpy-1.9.2-cp34-none-win32.whl"), Some(("numpy".into(), "1.9.2".into())));
    }
}
