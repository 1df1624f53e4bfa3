//! Reading an existing CycloneDX JSON SBOM (from chainward, cdxgen, Syft, Trivy, ...) as the
//! packages to scan: every component with a purl of an ecosystem chainward matches.
//!
//! The document comes from a stranger, and a document chainward half understands must not scan
//! as clean: [`parse`] counts every component and says what it could not use (no purl, a purl
//! of an ecosystem chainward does not match, something that is not a component), and a document
//! from which *nothing* can be matched is an error, never an empty scan.
//!
//! Accepted encodings: UTF-8 (with or without a byte order mark) and UTF-16 (LE or BE, with a
//! byte order mark, or without one when the document starts with an ASCII character, as RFC
//! 4627 detects it). Nested `components` and `metadata.component` are read; the walk is
//! iterative (nesting is bounded by `serde_json`'s recursion limit when parsing, and the walk
//! itself uses no recursion).
//!
//! [`parse`] also returns the document's dependency graph ([`SbomGraph`]): every component, and
//! the edges of the top-level `dependencies` array, mapped through `bom-ref`s (never through
//! purls, which tools such as cdxgen spell differently: `pkg:npm/@babel/core@7.23.9` as the
//! bom-ref, `pkg:npm/%40babel/core@7.23.9` as the purl).

use std::borrow::Cow;
use std::collections::HashMap;
use std::str::FromStr;

use purl::GenericPurl;
use serde_json::{Map, Value};

use crate::finding::{Location, ScanPackage};
use crate::model::Ecosystem;
use crate::sanitize;

/// At most this many problems are described one by one; the rest are counted ("and N more").
pub const MAX_PROBLEMS: usize = 20;

/// An SBOM that cannot be read, or from which nothing can be matched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct SbomInputError {
    /// The file (sanitised).
    pub path: String,
    /// Why (sanitised, one line).
    pub message: String,
    /// What was not understood, one line each (sanitised, at most [`MAX_PROBLEMS`] plus an
    /// "and N more" line). Empty when the document could not be read at all.
    pub problems: Vec<String>,
}

/// What [`parse`] made of a CycloneDX JSON document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SbomInput {
    /// The packages to match, sorted and without duplicates. Never empty (an SBOM without any is
    /// an [`SbomInputError`]).
    pub packages: Vec<ScanPackage>,
    /// Components in the document: every entry of every `components` array (nested ones too)
    /// and `metadata.component`.
    pub components: usize,
    /// Components with a purl chainward matches (before duplicates are merged).
    pub matched: usize,
    /// Components without a purl: they cannot be matched. `metadata.component` (what the
    /// document describes, often the application itself) is not counted when it has no purl.
    pub without_purl: usize,
    /// Components whose purl chainward does not match: another ecosystem (`pkg:deb`), another
    /// Cargo registry or a git source (not the crates.io crate of that name), no version.
    pub unsupported: usize,
    /// Entries that are not understood: not an object, a `purl` that is not a string or not a
    /// valid purl, a `components` that is not an array.
    pub malformed: usize,
    /// One line per component not matched or entry not understood, in document order, each
    /// starting with the file and where in the document (`bom.json: components[3]: ...`);
    /// sanitised; at most [`MAX_PROBLEMS`], then one "and N more" line. Problems of the
    /// dependency graph (a duplicate `bom-ref`, a dangling reference, a malformed `dependencies`
    /// entry, which is also counted in `malformed`) come after those of the components.
    pub problems: Vec<String>,
    /// The document's components and dependency edges.
    pub graph: SbomGraph,
}

/// The document's components and dependency edges, for storing and for paths.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SbomGraph {
    /// Every component object (metadata.component first when present, then document order,
    /// nested ones too).
    pub components: Vec<SbomComponent>,
    /// Index of `metadata.component` in `components`, when the document has one.
    pub root: Option<usize>,
    /// Edges `(from, to)` as indices into `components`, sorted, without duplicates or
    /// self-loops.
    pub edges: Vec<(usize, usize)>,
    /// Whether the document has a top-level `dependencies` array at all (an SBOM without one has
    /// no graph: paths are unknown, which is not the same as "everything is direct").
    pub has_dependencies: bool,
    /// `ref`/`dependsOn` values naming no component's bom-ref (each also described in
    /// `problems`).
    pub dangling: usize,
}

/// One component of the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SbomComponent {
    /// Its `bom-ref`; when it has none: its purl; else `#` + where it is in the document
    /// (`#components[3]`). Only a written `bom-ref` can be named by `dependencies`; when several
    /// components carry the same one, each keeps it here, and edges go to the first.
    pub bom_ref: String,
    /// `name` as written (raw data: callers sanitise for display). Empty when absent.
    pub name: String,
    /// `version` as written (raw data: callers sanitise for display). Empty when absent.
    pub version: String,
    /// Its purl, when it has a string one.
    pub purl: Option<String>,
    /// (ecosystem, name, version) when the purl is one chainward matches (as in
    /// [`SbomInput::packages`]).
    pub package: Option<(Ecosystem, String, String)>,
    /// `scope` when it is "required", "optional" or "excluded" (a JSON null or anything else:
    /// `None`).
    pub scope: Option<String>,
}

impl SbomInput {
    /// One line saying how many components were not matched and why, when any were not:
    /// `bom.json: 5 of 12 components not matched: 3 without a purl, 1 with a purl chainward does
    /// not match, 1 not understood`.
    pub fn summary(&self, path: &str) -> Option<String> {
        let unmatched = self.without_purl + self.unsupported + self.malformed;
        (unmatched > 0).then(|| {
            format!(
                "{}: {unmatched} of {} components not matched: {}",
                label(path),
                self.components,
                reasons(self.without_purl, self.unsupported, self.malformed)
            )
        })
    }

    /// [`SbomInput::summary`] followed by [`SbomInput::problems`]: the warnings to print and
    /// report.
    pub fn notes(&self, path: &str) -> Vec<String> {
        self.summary(path).into_iter().chain(self.problems.iter().cloned()).collect()
    }
}

fn reasons(without_purl: usize, unsupported: usize, malformed: usize) -> String {
    let mut parts = Vec::new();
    if without_purl > 0 {
        parts.push(format!("{without_purl} without a purl"));
    }
    if unsupported > 0 {
        parts.push(format!("{unsupported} with a purl chainward does not match"));
    }
    if malformed > 0 {
        parts.push(format!("{malformed} not understood"));
    }
    if parts.is_empty() {
        return "none".to_owned();
    }
    parts.join(", ")
}

/// The file name as it goes into messages.
fn label(path: &str) -> String {
    sanitize::line(path, 1_000)
}

/// Whether `head` (the start of a file, up to a few MiB) looks like a CycloneDX JSON document:
/// a JSON object with a top-level `"bomFormat": "CycloneDX"`, in any accepted encoding.
///
/// The top-level keys are walked without building anything, so a `bomFormat` after a large
/// `components` array is found as long as it is in `head`. When `head` ends inside the top-level
/// object before any `bomFormat`, a top-level `specVersion` or `components` key (neither
/// appears in npm, Composer, Pipfile or SPDX lockfiles and documents) says CycloneDX. Cheap for
/// other files: anything that does not start with `{` is refused at its first byte.
pub fn is_cyclonedx_json(head: &[u8]) -> bool {
    match decode(head, true) {
        Ok(Cow::Borrowed(text)) => top_level_says_cyclonedx(text.as_bytes()),
        Ok(Cow::Owned(text)) => top_level_says_cyclonedx(text.as_bytes()),
        Err(_) => false,
    }
}

/// `bytes` as text: UTF-8 without its byte order mark, or decoded UTF-16. `lossy` (for a
/// truncated head) replaces what does not decode instead of failing.
fn decode(bytes: &[u8], lossy: bool) -> Result<Cow<'_, str>, String> {
    let utf16 = match bytes {
        [0xef, 0xbb, 0xbf, rest @ ..] => return utf8(rest, lossy),
        [0xff, 0xfe, rest @ ..] => Some((rest, false)),
        [0xfe, 0xff, rest @ ..] => Some((rest, true)),
        // No byte order mark: RFC 4627's detection, from the zero byte next to the first ASCII one.
        [0, b, ..] if *b != 0 && b.is_ascii() => Some((bytes, true)),
        [b, 0, ..] if *b != 0 && b.is_ascii() => Some((bytes, false)),
        _ => None,
    };
    let Some((body, big_endian)) = utf16 else { return utf8(bytes, lossy) };
    if body.len() % 2 != 0 && !lossy {
        return Err("invalid UTF-16: an odd number of bytes".to_owned());
    }
    let units = body.chunks_exact(2).map(|p| match p {
        [a, b] if big_endian => u16::from_be_bytes([*a, *b]),
        [a, b] => u16::from_le_bytes([*a, *b]),
        _ => 0,
    });
    let mut text = String::with_capacity(body.len() / 2);
    for c in char::decode_utf16(units) {
        match c {
            Ok(c) => text.push(c),
            Err(_) if lossy => text.push(char::REPLACEMENT_CHARACTER),
            Err(e) => return Err(format!("invalid UTF-16: {e}")),
        }
    }
    Ok(Cow::Owned(text.strip_prefix('\u{feff}').map(str::to_owned).unwrap_or(text)))
}

fn utf8(bytes: &[u8], lossy: bool) -> Result<Cow<'_, str>, String> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(Cow::Borrowed(s)),
        Err(_) if lossy => Ok(String::from_utf8_lossy(bytes)),
        Err(e) => Err(format!("invalid UTF-8: {e}")),
    }
}

/// See [`is_cyclonedx_json`].
fn top_level_says_cyclonedx(b: &[u8]) -> bool {
    let mut scan = Scanner { b, at: 0 };
    scan.ws();
    if !scan.eat(b'{') {
        return false;
    }
    let mut hint = false;
    loop {
        scan.ws();
        match scan.peek() {
            None => return hint,
            Some(b'"') => {}
            // The end of the object (`}`) without a `bomFormat`, or not JSON.
            Some(_) => return false,
        }
        let Some(key) = scan.string() else { return hint };
        scan.ws();
        match scan.peek() {
            None => return hint,
            Some(b':') => scan.at += 1,
            Some(_) => return false,
        }
        scan.ws();
        if key == b"bomFormat" {
            return match scan.string() {
                Some(value) => value == b"CycloneDX",
                None => scan.peek().is_none(),
            };
        }
        hint |= key == b"specVersion" || key == b"components";
        if !scan.skip_value() {
            return hint && scan.peek().is_none();
        }
        scan.ws();
        match scan.peek() {
            None => return hint,
            Some(b',') => scan.at += 1,
            Some(_) => return false,
        }
    }
}

/// A forward-only walk over JSON bytes that builds nothing.
struct Scanner<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.at).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        let ok = self.peek() == Some(c);
        self.at += usize::from(ok);
        ok
    }

    fn ws(&mut self) {
        while self.peek().is_some_and(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    /// A string's raw bytes (escapes left as they are), or `None` when it does not end.
    fn string(&mut self) -> Option<&'a [u8]> {
        if !self.eat(b'"') {
            return None;
        }
        let start = self.at;
        let mut escaped = false;
        while let Some(c) = self.peek() {
            self.at += 1;
            match c {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => return self.b.get(start..self.at - 1),
                _ => {}
            }
        }
        None
    }

    /// Skip one value (nested ones with a depth counter, not recursion). `false` when the
    /// bytes end first or are not JSON.
    fn skip_value(&mut self) -> bool {
        let mut depth = 0usize;
        loop {
            self.ws();
            match self.peek() {
                None => return false,
                Some(b'"') => {
                    if self.string().is_none() {
                        return false;
                    }
                }
                Some(b'{' | b'[') => {
                    depth += 1;
                    self.at += 1;
                    continue;
                }
                Some(b'}' | b']') => {
                    if depth == 0 {
                        return false;
                    }
                    depth -= 1;
                    self.at += 1;
                }
                Some(b',' | b':') if depth > 0 => {
                    self.at += 1;
                    continue;
                }
                Some(_) => {
                    // A number or literal: up to the next delimiter.
                    let start = self.at;
                    while self.peek().is_some_and(|c| !matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')) {
                        self.at += 1;
                    }
                    if self.at == start {
                        return false;
                    }
                }
            }
            if depth == 0 {
                return true;
            }
        }
    }
}

/// A component's SHA-256 hash (`hashes[].alg = "SHA-256"`), as `sha256:<hex>`.
fn sha256(component: &Value) -> Option<String> {
    component.get("hashes")?.as_array()?.iter().find_map(|h| {
        let alg = h.get("alg")?.as_str()?;
        let content = h.get("content")?.as_str()?;
        (alg.eq_ignore_ascii_case("SHA-256") && content.len() == 64 && crate::model::is_hex(content))
            .then(|| format!("sha256:{}", content.to_ascii_lowercase()))
    })
}

/// The packages of a CycloneDX JSON document, and how many components have purls of
/// ecosystems chainward does not match. [`parse`] with its counts folded: an SBOM from which
/// nothing can be matched is an error here too.
pub fn read(path: &str, bytes: &[u8]) -> Result<(Vec<ScanPackage>, usize), SbomInputError> {
    let input = parse(path, bytes)?;
    Ok((input.packages, input.unsupported))
}

/// Read a CycloneDX JSON document: the packages to match, and what could not be used.
///
/// An error when the document cannot be read (not JSON, not CycloneDX) or when *nothing* in it
/// can be matched (no components, or none with a purl chainward matches): scanning it would
/// report nothing and mean nothing. The error says how many components there were and why none
/// matched, and carries the same [`SbomInput::problems`].
///
/// The dependency graph ([`SbomInput::graph`]) never makes an error: a dangling reference, a
/// duplicate `bom-ref` or a malformed `dependencies` entry is a problem, and the rest is read.
pub fn parse(path: &str, bytes: &[u8]) -> Result<SbomInput, SbomInputError> {
    let err = |message: String, problems: Vec<String>| SbomInputError { path: label(path), message, problems };
    let text = decode(bytes, false).map_err(|e| err(e, Vec::new()))?;
    let doc: Value = serde_json::from_str(&text).map_err(|e| err(format!("invalid JSON: {e}"), Vec::new()))?;
    drop(text);
    if !doc.is_object() {
        return Err(err(format!("not a CycloneDX document: the JSON is {}, not an object", kind(&doc)), Vec::new()));
    }
    if doc.get("bomFormat").and_then(Value::as_str) != Some("CycloneDX") {
        return Err(err("not a CycloneDX document (`bomFormat` is not \"CycloneDX\")".to_owned(), Vec::new()));
    }

    let mut walk = Walk { path, input: SbomInput::default(), hidden: 0, refs: HashMap::new() };
    match doc.get("metadata").map(|m| (m, m.get("component"))) {
        Some((_, Some(c))) => walk.component(c, "metadata.component", true),
        Some((m, None)) if !m.is_object() => {
            walk.malformed("metadata", &format!("expected an object, found {}", kind(m)));
        }
        _ => {}
    }
    // Depth-first, in document order; one frame per `components` array, so the stack is as deep
    // as the nesting (which the parser bounds), however many components there are.
    let mut stack: Vec<(std::slice::Iter<'_, Value>, String, usize)> = Vec::new();
    if let Some(cs) = doc.get("metadata").and_then(|m| m.get("component")).and_then(|c| c.get("components")) {
        walk.array(cs, "metadata.component.components".to_owned(), &mut stack);
    }
    if let Some(cs) = doc.get("components") {
        walk.array(cs, "components".to_owned(), &mut stack);
    }
    // The last frame is walked first: the metadata component's children, then `components`.
    stack.reverse();
    while let Some((items, prefix, i)) = stack.last_mut() {
        let Some(c) = items.next() else {
            stack.pop();
            continue;
        };
        let at = format!("{prefix}[{i}]");
        *i += 1;
        walk.component(c, &at, false);
        if let Some(nested) = c.get("components") {
            walk.array(nested, format!("{at}.components"), &mut stack);
        }
    }
    if let Some(dependencies) = doc.get("dependencies") {
        walk.dependencies(dependencies);
    }

    let Walk { mut input, hidden, .. } = walk;
    if hidden > 0 {
        input.problems.push(format!("{}: and {hidden} more", label(path)));
    }
    if input.packages.is_empty() {
        let message = if input.components == 0 && input.malformed == 0 {
            "nothing to scan: the SBOM lists no components".to_owned()
        } else {
            format!(
                "nothing to scan: no component has a purl chainward matches ({} component{}: {})",
                input.components,
                if input.components == 1 { "" } else { "s" },
                reasons(input.without_purl, input.unsupported, input.malformed)
            )
        };
        return Err(err(message, input.problems));
    }
    input.packages.sort_by(|a, b| (a.ecosystem, &a.name, &a.version).cmp(&(b.ecosystem, &b.name, &b.version)));
    input.packages.dedup_by(|a, b| a.ecosystem == b.ecosystem && a.name == b.name && a.version == b.version);
    Ok(input)
}

/// The state of [`parse`]'s walk.
struct Walk<'p, 'v> {
    path: &'p str,
    input: SbomInput,
    /// Problems beyond [`MAX_PROBLEMS`].
    hidden: usize,
    /// Each written `bom-ref`, and the index in `input.graph.components` of the first
    /// component that has it.
    refs: HashMap<&'v str, usize>,
}

impl<'v> Walk<'_, 'v> {
    fn problem(&mut self, at: &str, what: &str) {
        if self.input.problems.len() < MAX_PROBLEMS {
            self.input.problems.push(format!("{}: {at}: {what}", label(self.path)));
        } else {
            self.hidden += 1;
        }
    }

    fn malformed(&mut self, at: &str, what: &str) {
        self.input.malformed += 1;
        self.problem(at, what);
    }

    /// Push a frame for a `components` value (an array, or a problem).
    fn array(&mut self, value: &'v Value, at: String, stack: &mut Vec<(std::slice::Iter<'v, Value>, String, usize)>) {
        match value {
            Value::Array(items) => stack.push((items.iter(), at, 0)),
            Value::Null => {}
            other => self.malformed(&at, &format!("expected an array of components, found {}", kind(other))),
        }
    }

    fn component(&mut self, c: &'v Value, at: &str, is_subject: bool) {
        self.input.components += 1;
        let Some(obj) = c.as_object() else {
            self.malformed(at, &format!("expected a component object, found {}", kind(c)));
            return;
        };
        let named = || {
            let name = obj.get("name").and_then(Value::as_str).unwrap_or_default();
            let version = obj.get("version").and_then(Value::as_str).unwrap_or_default();
            match (name, version) {
                ("", _) => String::new(),
                (n, "") => format!(" (`{}`)", sanitize::value(n)),
                (n, v) => format!(" (`{} {}`)", sanitize::value(n), sanitize::value(v)),
            }
        };
        let purl = match obj.get("purl") {
            None | Some(Value::Null) => {
                self.node(obj, at, is_subject, None, None);
                if !is_subject {
                    self.input.without_purl += 1;
                    let what = format!("no purl: not matched{}", named());
                    self.problem(at, what.trim_start());
                }
                return;
            }
            Some(Value::String(p)) => p,
            Some(other) => {
                self.node(obj, at, is_subject, None, None);
                let what = format!("`purl` is {}, not a string{}", kind(other), named());
                self.malformed(at, &what);
                return;
            }
        };
        let class = classify(purl);
        self.node(obj, at, is_subject, Some(purl), class.as_ref().ok().cloned());
        match class {
            Ok((ecosystem, name, version)) => {
                self.input.matched += 1;
                self.input.packages.push(ScanPackage {
                    ecosystem,
                    name,
                    version,
                    purl: Some(purl.clone()),
                    checksum: sha256(c),
                    install_script: None,
                    location: Location { path: self.path.to_owned(), line: None, end_line: None },
                    compiled: compiled_property(c),
                });
            }
            Err(Unmatched::Invalid(e)) => {
                let what = format!("`{}` is not a valid purl ({})", sanitize::value(purl), sanitize::value(&e));
                self.malformed(at, &what);
            }
            Err(why) => {
                self.input.unsupported += 1;
                let what = format!("`{}` not matched: {}", sanitize::value(purl), why.describe());
                self.problem(at, &what);
            }
        }
    }

    /// Add a component object to the graph (and its `bom-ref` to `refs`).
    fn node(
        &mut self,
        obj: &'v Map<String, Value>,
        at: &str,
        is_subject: bool,
        purl: Option<&str>,
        package: Option<(Ecosystem, String, String)>,
    ) {
        let index = self.input.graph.components.len();
        let written = match obj.get("bom-ref") {
            Some(Value::String(r)) if !r.is_empty() => Some(r.as_str()),
            None | Some(Value::Null | Value::String(_)) => None,
            Some(other) => {
                let what = format!("`bom-ref` is {}, not a string: no dependency can name this component", kind(other));
                self.problem(at, &what);
                None
            }
        };
        if let Some(r) = written {
            if let Some(&first) = self.refs.get(r) {
                // cdxgen lists the metadata component again in `components`: one component,
                // stored once, without a warning.
                let subject_again = self.input.graph.root == Some(first)
                    && self.input.graph.components.get(first).is_some_and(|c| c.purl.as_deref() == purl);
                if subject_again {
                    return;
                }
                let what = format!(
                    "duplicate bom-ref `{}`: dependencies name the first component that has it",
                    sanitize::value(r)
                );
                self.problem(at, &what);
            } else {
                self.refs.insert(r, index);
            }
        }
        let text = |key: &str| obj.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
        let bom_ref = match written.or(purl.filter(|p| !p.is_empty())) {
            Some(r) => r.to_owned(),
            None => format!("#{at}"),
        };
        let scope =
            obj.get("scope").and_then(Value::as_str).filter(|s| matches!(*s, "required" | "optional" | "excluded"));
        if is_subject {
            self.input.graph.root = Some(index);
        }
        self.input.graph.components.push(SbomComponent {
            bom_ref,
            name: text("name"),
            version: text("version"),
            purl: purl.map(str::to_owned),
            package,
            scope: scope.map(str::to_owned),
        });
    }

    /// The edges of the top-level `dependencies` value, through `refs` (after every component).
    fn dependencies(&mut self, value: &Value) {
        let entries = match value {
            Value::Array(entries) => entries,
            Value::Null => return,
            other => {
                let what = format!("expected an array of dependency entries, found {}", kind(other));
                self.malformed("dependencies", &what);
                return;
            }
        };
        self.input.graph.has_dependencies = true;
        let mut edges = Vec::new();
        for (i, entry) in entries.iter().enumerate() {
            let at = || format!("dependencies[{i}]");
            let Some(obj) = entry.as_object() else {
                self.malformed(&at(), &format!("expected a dependency object, found {}", kind(entry)));
                continue;
            };
            // `provides` (CycloneDX 1.6) is not a dependency: ignored.
            let from = match obj.get("ref") {
                Some(Value::String(r)) => self.resolve(r, &at),
                Some(other) => {
                    self.malformed(&at(), &format!("`ref` is {}, not a string", kind(other)));
                    None
                }
                None => {
                    self.malformed(&at(), "no `ref`");
                    None
                }
            };
            let targets = match obj.get("dependsOn") {
                Some(Value::Array(targets)) => targets,
                None | Some(Value::Null) => continue,
                Some(other) => {
                    self.malformed(&at(), &format!("`dependsOn` is {}, not an array", kind(other)));
                    continue;
                }
            };
            for (j, target) in targets.iter().enumerate() {
                let at = || format!("dependencies[{i}].dependsOn[{j}]");
                let Value::String(target) = target else {
                    self.malformed(&at(), &format!("expected a bom-ref string, found {}", kind(target)));
                    continue;
                };
                if let (Some(from), Some(to)) = (from, self.resolve(target, &at))
                    && from != to
                {
                    edges.push((from, to));
                }
            }
        }
        edges.sort_unstable();
        edges.dedup();
        self.input.graph.edges = edges;
    }

    /// The component a `ref` or `dependsOn` value names, or a dangling reference.
    fn resolve(&mut self, r: &str, at: &dyn Fn() -> String) -> Option<usize> {
        let found = self.refs.get(r).copied();
        if found.is_none() {
            self.input.graph.dangling += 1;
            self.problem(&at(), &format!("`{}` names no component's bom-ref", sanitize::value(r)));
        }
        found
    }
}

/// What a JSON value is, for messages.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Why a purl is not matched.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Unmatched {
    /// Not a purl.
    Invalid(String),
    /// A purl type chainward has no advisories for.
    Ecosystem(String),
    /// A Cargo or npm package of another registry.
    OtherRegistry(Ecosystem),
    /// A Cargo or npm package from a git repository.
    Git(Ecosystem),
    /// An npm package from a tarball URL (`download_url`).
    Download,
    /// No version.
    NoVersion,
}

impl Unmatched {
    fn describe(&self) -> String {
        match self {
            Unmatched::Invalid(e) => format!("not a valid purl ({e})"),
            Unmatched::Ecosystem(t) => format!("chainward has no advisories for `{}` packages", sanitize::value(t)),
            Unmatched::OtherRegistry(Ecosystem::Cargo) => {
                "a package of another Cargo registry (`repository_url`), not the crates.io crate of that name"
                    .to_owned()
            }
            Unmatched::OtherRegistry(_) => {
                "a package of another npm registry (`repository_url`), not the npm registry's package of that name"
                    .to_owned()
            }
            Unmatched::Git(Ecosystem::Cargo) => {
                "a Cargo package from a git repository (`vcs_url`), not the crates.io crate".to_owned()
            }
            Unmatched::Git(_) => {
                "an npm package from a git repository (`vcs_url`), not the npm registry's package".to_owned()
            }
            Unmatched::Download => {
                "an npm package downloaded from a URL (`download_url`), not the npm registry's package".to_owned()
            }
            Unmatched::NoVersion => "no version".to_owned(),
        }
    }
}

/// Whether a purl's `repository_url` (or `download_url`) is the npm registry itself.
fn is_npm_registry(url: &str) -> bool {
    let rest = url.trim().split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split(['/', ':']).next().unwrap_or_default().to_ascii_lowercase();
    matches!(host.as_str(), "registry.npmjs.org" | "registry.npmjs.com" | "registry.yarnpkg.com")
}

/// Whether a purl's `repository_url` names crates.io itself (its git or sparse index).
fn is_crates_io_index(url: &str) -> bool {
    let url = url.trim();
    let url = url.strip_prefix("sparse+").or_else(|| url.strip_prefix("registry+")).unwrap_or(url);
    let url = url.trim_end_matches('/');
    let url = url.strip_suffix(".git").unwrap_or(url);
    ["https://github.com/rust-lang/crates.io-index", "https://index.crates.io"]
        .iter()
        .any(|c| url.eq_ignore_ascii_case(c))
}

fn classify(purl: &str) -> Result<(Ecosystem, String, String), Unmatched> {
    let parsed = GenericPurl::<String>::from_str(purl).map_err(|e| Unmatched::Invalid(e.to_string()))?;
    let ecosystem = Ecosystem::from_purl_type(parsed.package_type())
        .ok_or_else(|| Unmatched::Ecosystem(parsed.package_type().to_owned()))?;
    let version = parsed.version().ok_or(Unmatched::NoVersion)?.to_owned();
    let name = parsed.name();
    let namespace = parsed.namespace();
    if matches!(ecosystem, Ecosystem::Cargo | Ecosystem::Npm) {
        for (k, v) in parsed.qualifiers() {
            match k.as_ref() {
                "repository_url" if ecosystem == Ecosystem::Cargo && !is_crates_io_index(v) => {
                    return Err(Unmatched::OtherRegistry(ecosystem));
                }
                "repository_url" if ecosystem == Ecosystem::Npm && !is_npm_registry(v) => {
                    return Err(Unmatched::OtherRegistry(ecosystem));
                }
                "vcs_url" => return Err(Unmatched::Git(ecosystem)),
                "download_url" if ecosystem == Ecosystem::Npm && !is_npm_registry(v) => {
                    return Err(Unmatched::Download);
                }
                _ => {}
            }
        }
    }
    let name = match (ecosystem, namespace) {
        (Ecosystem::Maven, Some(group)) => format!("{group}:{name}"),
        (Ecosystem::Go | Ecosystem::Npm | Ecosystem::Packagist, Some(ns)) => format!("{ns}/{name}"),
        _ => name.to_owned(),
    };
    Ok((ecosystem, name, version))
}

/// (ecosystem, name as the ecosystem's advisories spell it, version) of a purl chainward
/// matches; `None` for other purls.
pub fn from_purl(purl: &str) -> Option<(Ecosystem, String, String)> {
    classify(purl).ok()
}

/// The `chainward:compiled` (and `chainward:compiled-reason`) properties of a component, as
/// chainward's own SBOMs write them; `None` when absent or not one of the four statuses.
fn compiled_property(component: &Value) -> Option<crate::compiled::Compiled> {
    let props = component.get("properties")?.as_array()?;
    let value = |name: &str| {
        props.iter().find_map(|p| {
            (p.get("name")?.as_str()? == name).then(|| p.get("value")?.as_str().map(str::to_owned)).flatten()
        })
    };
    let status = crate::compiled::Status::parse(&value("chainward:compiled")?)?;
    Some(crate::compiled::Compiled { status, reason: value("chainward:compiled-reason") })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purls_of_every_ecosystem() {
        let cases = [
            ("pkg:cargo/time@0.1.45", Some((Ecosystem::Cargo, "time", "0.1.45"))),
            ("pkg:cargo/x@1.0.0?repository_url=https://my.example/index", None),
            ("pkg:cargo/x@1.0.0?vcs_url=git%2Bhttps://example.com/x.git%40abc", None),
            ("pkg:pypi/django@3.2.0", Some((Ecosystem::PyPI, "django", "3.2.0"))),
            ("pkg:golang/github.com/gin-gonic/gin@v1.9.0", Some((Ecosystem::Go, "github.com/gin-gonic/gin", "v1.9.0"))),
            ("pkg:npm/%40babel/traverse@7.23.0", Some((Ecosystem::Npm, "@babel/traverse", "7.23.0"))),
            (
                "pkg:npm/lodash@4.17.4?repository_url=https://registry.npmjs.org",
                Some((Ecosystem::Npm, "lodash", "4.17.4")),
            ),
            ("pkg:npm/lodash@4.17.4?repository_url=https://npm.example.com/repo", None),
            ("pkg:npm/lodash@4.17.4?vcs_url=git%2Bhttps://github.com/lodash/lodash.git", None),
            ("pkg:npm/x@1.0.0?download_url=https://example.com/x-1.0.0.tgz", None),
            (
                "pkg:npm/lodash@4.17.4?download_url=https://registry.npmjs.org/lodash/-/lodash-4.17.4.tgz",
                Some((Ecosystem::Npm, "lodash", "4.17.4")),
            ),
            (
                "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
                Some((Ecosystem::Maven, "org.apache.logging.log4j:log4j-core", "2.14.1")),
            ),
            ("pkg:composer/symfony/http-kernel@5.4.0", Some((Ecosystem::Packagist, "symfony/http-kernel", "5.4.0"))),
            ("pkg:gem/rails@7.0.0", Some((Ecosystem::RubyGems, "rails", "7.0.0"))),
            ("pkg:deb/debian/openssl@3.0.11", None),
            ("pkg:pypi/django", None),
            ("not a purl", None),
        ];
        for (purl, want) in cases {
            let got = from_purl(purl);
            let want = want.map(|(e, n, v)| (e, n.to_owned(), v.to_owned()));
            assert_eq!(got, want, "{purl}");
        }
    }

    #[test]
    fn crates_io_as_repository_url_is_crates_io() {
        for url in [
            "https://github.com/rust-lang/crates.io-index",
            "https://github.com/rust-lang/crates.io-index/",
            "https://github.com/rust-lang/crates.io-index.git",
            "registry%2Bhttps://github.com/rust-lang/crates.io-index",
            "sparse%2Bhttps://index.crates.io/",
            "sparse+https://index.crates.io",
            "https://index.crates.io",
            "https://index.crates.io/",
        ] {
            let purl = format!("pkg:cargo/time@0.1.45?repository_url={url}");
            assert_eq!(from_purl(&purl), Some((Ecosystem::Cargo, "time".to_owned(), "0.1.45".to_owned())), "{purl}");
        }
        for url in ["https://index.crates.io.example", "https://github.com/rust-lang/crates.io-index-fork"] {
            let purl = format!("pkg:cargo/time@0.1.45?repository_url={url}");
            assert_eq!(classify(&purl), Err(Unmatched::OtherRegistry(Ecosystem::Cargo)), "{purl}");
        }
    }

    #[test]
    fn reads_nested_components_and_rejects_other_documents() {
        let doc = br#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [
            {"type": "library", "name": "a", "purl": "pkg:pypi/a@1.0", "components": [
                {"type": "library", "name": "b", "purl": "pkg:golang/example.com/b@v0.1.0"}]},
            {"type": "library", "name": "c"},
            {"type": "library", "name": "d", "purl": "pkg:deb/debian/d@1"}]}"#;
        let (packages, skipped) = read("bom.json", doc).unwrap();
        assert_eq!(packages.len(), 2);
        assert_eq!(skipped, 1);
        let input = parse("bom.json", doc).unwrap();
        assert_eq!((input.components, input.matched, input.without_purl, input.unsupported), (4, 2, 1, 1));
        assert_eq!(
            input.problems,
            [
                "bom.json: components[1]: no purl: not matched (`c`)",
                "bom.json: components[2]: `pkg:deb/debian/d@1` not matched: chainward has no advisories for `deb` packages",
            ]
        );
        assert!(is_cyclonedx_json(doc));
        assert!(read("x.json", br#"{"spdxVersion": "SPDX-2.3"}"#).is_err());
        assert!(read("x.json", b"[").unwrap_err().message.contains("invalid JSON"));
    }

    #[test]
    fn detection_walks_top_level_keys_only() {
        let late = format!(
            r#"{{"components": [{}{{"name": "x", "purl": "pkg:cargo/x@1"}}], "bomFormat": "CycloneDX"}}"#,
            r#"{"name": "pad", "description": "bomFormat"}, "#.repeat(500)
        );
        assert!(late.len() > 4096);
        assert!(is_cyclonedx_json(late.as_bytes()));
        // A nested `bomFormat` is not the document's.
        assert!(!is_cyclonedx_json(br#"{"packages": {"x": {"bomFormat": "CycloneDX"}}}"#));
        assert!(!is_cyclonedx_json(br#"{"bomFormat": "SPDX"}"#));
        assert!(!is_cyclonedx_json(br#"{"name": "x", "lockfileVersion": 3, "packages": {}}"#));
        assert!(!is_cyclonedx_json(b"version = 4\n[[package]]\n"));
        assert!(!is_cyclonedx_json(b""));
        // Truncated inside a top-level `components` array: CycloneDX.
        assert!(is_cyclonedx_json(br#"{"specVersion": "1.5", "components": [{"name": "x", "purl": "pkg:c"#));
        assert!(!is_cyclonedx_json(br#"{"name": "x", "packages": [{"name": "x", "purl": "pkg:c"#));
    }

    #[test]
    fn utf16_and_byte_order_marks_decode() {
        let doc = r#"{"bomFormat": "CycloneDX", "components": [{"name": "ü", "purl": "pkg:cargo/time@0.1.45"}]}"#;
        let mut le = vec![0xff, 0xfe];
        let mut be = vec![0xfe, 0xff];
        let mut le_no_bom = Vec::new();
        for u in doc.encode_utf16() {
            le.extend(u.to_le_bytes());
            be.extend(u.to_be_bytes());
            le_no_bom.extend(u.to_le_bytes());
        }
        let bom8 = [&[0xef, 0xbb, 0xbf][..], doc.as_bytes()].concat();
        for bytes in [&le, &be, &le_no_bom, &bom8] {
            assert!(is_cyclonedx_json(bytes));
            assert_eq!(parse("b.json", bytes).unwrap().packages.len(), 1);
        }
        // A head cut in the middle of a UTF-16 code unit is still detected.
        assert!(is_cyclonedx_json(le.get(..51).unwrap()));
        let mut bad = vec![0xff, 0xfe];
        bad.extend(0xd800u16.to_le_bytes());
        assert!(parse("b.json", &bad).unwrap_err().message.contains("invalid UTF-16"));
    }
}
