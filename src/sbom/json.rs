//! The CycloneDX JSON document written directly from the graph.
//!
//! Byte for byte the document the `cyclonedx-bom` model writes (see [`super::cyclonedx`], which
//! keeps that path for XML and as the oracle of the tests): the same fields in the same order,
//! the same pretty-printing (two spaces per level, `"key": value`, `[]` for an empty array), the
//! same normalisation of the model's `NormalizedString` fields (CR, LF and tab become spaces), the
//! same string escaping (`serde_json`'s, then [`crate::sanitize::json_output`]'s `\uXXXX` for DEL,
//! C1 controls, format characters and U+2028/9), and CycloneDX 1.6 `authors` objects where the
//! model writes the 1.5 `author` string.
//!
//! No model object is built per component: every value is written from the [`Node`] into one
//! reusable buffer, which goes to the writer in pieces of at most [`MAX_WRITE`] bytes whenever it
//! holds more than [`FLUSH_AT`]: memory stays proportional to one component.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Write;

use cyclonedx_bom::external_models::date_time::DateTime;
use cyclonedx_bom::external_models::spdx::SpdxExpression;
use cyclonedx_bom::external_models::uri::{Purl, Uri};
use serde_json::Value;
use uuid::Uuid;

use super::cyclonedx::{Entry, SbomError, SbomOptions, SpecVersion, in_ref_order, model_error, unexpected};
use crate::model::package::GitReference;
use crate::model::{Checksum, Graph, Node, Package, PackageSource, Scope};
use crate::sanitize;

/// The buffer goes to the writer once it holds this much.
const FLUSH_AT: usize = 56 << 10;
/// The largest single write.
const MAX_WRITE: usize = 1 << 16;

/// A line break and the indentation of pretty JSON (two spaces per level), up to level 16.
const NEWLINE: &[u8; 33] = b"\n                                ";

/// The markup of an object's key at a level, made at compile time: `,`, the line break and
/// indentation, `"key": ` and the opening quote of a string value, written in one copy.
struct Key {
    bytes: [u8; 48],
    len: usize,
}

impl Key {
    /// The key `name` of an object whose fields are at `level`. Evaluated at compile time (see
    /// [`k!`]), where a key too long for the array fails the build.
    #[expect(clippy::indexing_slicing, reason = "evaluated at compile time: out of bounds fails the build")]
    const fn new(level: usize, name: &str) -> Key {
        let mut bytes = [b' '; 48];
        bytes[0] = b',';
        bytes[1] = b'\n';
        let mut len = 2 + 2 * level;
        bytes[len] = b'"';
        len += 1;
        let name = name.as_bytes();
        let mut i = 0;
        while i < name.len() {
            bytes[len] = name[i];
            len += 1;
            i += 1;
        }
        bytes[len] = b'"';
        bytes[len + 1] = b':';
        bytes[len + 2] = b' ';
        bytes[len + 3] = b'"';
        Key { bytes, len: len + 4 }
    }

    /// The markup: without the comma for the first field, without the opening quote unless
    /// the value is a string.
    fn markup(&self, first: bool, string: bool) -> &[u8] {
        let end = if string { self.len } else { self.len - 1 };
        self.bytes.get(usize::from(first)..end).unwrap_or_default()
    }
}

/// The [`Key`] `$name` at `$level`, made at compile time.
macro_rules! k {
    ($level:expr, $name:literal) => {
        &const { Key::new($level, $name) }
    };
}

/// Write the JSON document for `graph` to `w` (see the module documentation), with `serial` as
/// its serial number and `vulnerabilities` (a VEX) at the end when not empty. Flushes `w`.
pub(super) fn write_document(
    graph: &Graph,
    options: &SbomOptions,
    vulnerabilities: &[Value],
    serial: Uuid,
    w: &mut dyn Write,
) -> Result<(), SbomError> {
    // What the model checks before anything is written.
    if let Some(t) = &options.timestamp {
        DateTime::try_from(t.clone()).map_err(|e| SbomError::Model(e.to_string()))?;
    }
    let mut out = Json { w, buf: Vec::with_capacity(MAX_WRITE + (8 << 10)) };
    let mut ctx = Ctx { authors: options.spec >= SpecVersion::V1_6, licenses: BTreeMap::new(), props: Vec::new() };

    // Head and metadata.
    out.raw("{\n  \"$schema\": \"http://cyclonedx.org/schema/bom-");
    out.raw(options.spec.as_str());
    out.raw(".schema.json\",\n  \"bomFormat\": \"CycloneDX\",\n  \"specVersion\": \"");
    out.raw(options.spec.as_str());
    out.raw("\",\n  \"version\": 1,\n  \"serialNumber\": \"urn:uuid:");
    out.raw(serial.hyphenated().encode_lower(&mut Uuid::encode_buffer()));
    out.raw("\",\n  \"metadata\": {");
    let mut first = true;
    if let Some(t) = &options.timestamp {
        out.field(&mut first, k!(2, "timestamp"), t);
    }
    out.key(&mut first, k!(2, "tools"));
    out.raw("{\n      \"components\": [\n        ");
    tool_component(&mut out);
    out.raw("\n      ]\n    }");
    out.key(&mut first, k!(2, "component"));
    if let Some(node) = &graph.root.node {
        component(&mut out, &mut ctx, node, "application");
    } else {
        out.raw("{");
        let mut f = true;
        out.field(&mut f, k!(3, "type"), "application");
        out.field(&mut f, k!(3, "bom-ref"), &graph.root.id);
        out.normalized_field(&mut f, k!(3, "name"), &graph.root.name);
        if let Some(v) = &graph.root.version {
            out.normalized_field(&mut f, k!(3, "version"), v);
        }
        out.close(2, '}');
    }
    let mut meta_props: Vec<(&str, String)> = options
        .missing
        .iter()
        .map(|(path, reason)| ("chainward:missing", normalized(&format!("{path}: {reason}")).into_owned()))
        .chain(options.properties.iter().map(|(name, value)| (name.as_str(), normalized(value).into_owned())))
        .collect();
    meta_props.sort();
    if !meta_props.is_empty() {
        out.key(&mut first, k!(2, "properties"));
        out.array(2, &meta_props, |out, (name, value)| property::<4>(out, name, value));
    }
    out.key(&mut first, k!(2, "lifecycles"));
    out.raw("[\n      {\n        \"phase\": \"pre-build\"\n      }\n    ]");
    out.raw("\n  }");
    out.flush_if_full()?;

    // Components.
    out.raw(",\n  \"components\": [");
    for (i, node) in graph.nodes.iter().enumerate() {
        if i > 0 {
            out.raw(",");
        }
        out.newline(2);
        component(&mut out, &mut ctx, node, "library");
        out.flush_if_full()?;
    }
    out.close(1, ']');

    // Dependencies.
    let order = in_ref_order(graph);
    out.raw(",\n  \"dependencies\": [");
    for (i, entry) in order.iter().enumerate() {
        let (id, depends_on) = match entry {
            Entry::Node(n) => (&n.id, &n.depends_on),
            Entry::Root => (&graph.root.id, &graph.root.depends_on),
        };
        if i > 0 {
            out.raw(",");
        }
        out.raw("\n    {\n      \"ref\": \"");
        out.string_rest(id);
        if !depends_on.is_empty() {
            out.raw(",\n      \"dependsOn\": [");
            for (j, d) in depends_on.iter().enumerate() {
                out.raw(if j == 0 { "\n        \"" } else { ",\n        \"" });
                out.string_rest(d);
            }
            out.raw("\n      ]");
        }
        out.raw("\n    }");
        out.flush_if_full()?;
    }
    out.close(1, ']');

    // Compositions: as the model path decides them (see `write_document` there).
    out.raw(",\n  \"compositions\": [");
    let any_unpinned = graph.nodes.iter().any(|n| n.package.unpinned.is_some());
    if options.missing.is_empty() && !any_unpinned {
        composition(&mut out, "complete", order.iter().map(|e| e.id(graph)))?;
    } else {
        let mut complete = graph.nodes.iter().filter(|n| n.package.unpinned.is_none()).peekable();
        let some_complete = complete.peek().is_some();
        if some_complete {
            composition(&mut out, "complete", complete.map(|n| n.id.as_str()))?;
            out.raw(",");
        }
        let unpinned = graph.nodes.iter().filter(|n| n.package.unpinned.is_some()).map(|n| n.id.as_str());
        composition(&mut out, "incomplete", std::iter::once(graph.root.id.as_str()).chain(unpinned))?;
    }
    drop(order);
    out.close(1, ']');

    if !vulnerabilities.is_empty() {
        // Pretty-printed as a top-level key, as in the whole document.
        #[derive(serde::Serialize)]
        struct Vex<'v> {
            vulnerabilities: &'v [Value],
        }
        out.flush()?;
        let text = serde_json::to_vec_pretty(&Vex { vulnerabilities }).map_err(model_error)?;
        let body = text.strip_prefix(b"{").and_then(|t| t.strip_suffix(b"\n}")).ok_or_else(|| unexpected("vex"))?;
        out.raw(",");
        let safe = std::str::from_utf8(body).map_err(model_error)?;
        if sanitize::has_unsafe(safe, true) {
            out.buf.extend_from_slice(&sanitize::json_output(body.to_vec()));
        } else {
            out.buf.extend_from_slice(body);
        }
    }
    out.raw("\n}\n");
    out.flush()?;
    out.w.flush()?;
    Ok(())
}

/// One composition (an item of `compositions`, at level 2), its references streamed.
fn composition<'a>(out: &mut Json<'_>, aggregate: &str, refs: impl Iterator<Item = &'a str>) -> Result<(), SbomError> {
    out.raw("\n    {\n      \"aggregate\": \"");
    out.raw(aggregate);
    out.raw("\",\n      \"dependencies\": [");
    for (i, r) in refs.enumerate() {
        out.raw(if i == 0 { "\n        \"" } else { ",\n        \"" });
        out.string_rest(r);
        out.flush_if_full()?;
    }
    out.raw("\n      ]\n    }");
    Ok(())
}

/// What the components of one document share: the spec's form of authors, the licenses seen so
/// far, a reusable list of properties.
struct Ctx<'g> {
    /// CycloneDX 1.6: `authors` objects instead of the `author` string.
    authors: bool,
    /// A `license` string's SPDX expression (`None`: a named license), as the model makes it.
    licenses: BTreeMap<&'g str, Option<String>>,
    /// The component's properties, reused.
    props: Vec<(&'static str, &'g str)>,
}

/// `chainward` itself, in `metadata.tools.components` (fields at level 5).
fn tool_component(out: &mut Json<'_>) {
    let version = env!("CARGO_PKG_VERSION");
    out.raw("{");
    let mut f = true;
    out.field(&mut f, k!(5, "type"), "application");
    out.key(&mut f, k!(5, "bom-ref"));
    out.string(&format!("tool:chainward@{version}"));
    out.field(&mut f, k!(5, "name"), "chainward");
    out.field(&mut f, k!(5, "version"), version);
    if let Ok(purl) = Purl::new("cargo", "chainward", version) {
        out.field(&mut f, k!(5, "purl"), purl.as_ref());
    }
    out.key(&mut f, k!(5, "externalReferences"));
    out.raw("[\n            {\n              \"type\": \"vcs\",\n              \"url\": ");
    out.string(env!("CARGO_PKG_REPOSITORY"));
    out.raw("\n            }\n          ]");
    out.close(4, '}');
}

/// A component of `node`, of type `kind`, its fields at level 3 (in `metadata` as in
/// `components`): the object, from `{` to `}`.
fn component<'g>(out: &mut Json<'_>, ctx: &mut Ctx<'g>, node: &'g Node, kind: &str) {
    const L: usize = 3;
    let p = &node.package;
    out.raw("{");
    let mut f = true;
    out.field(&mut f, k!(L, "type"), kind);
    out.field(&mut f, k!(L, "bom-ref"), &node.id);
    if !p.meta.authors.is_empty() {
        if ctx.authors {
            out.key(&mut f, k!(L, "authors"));
            out.array(L, &p.meta.authors, |out, author| contact::<{ L + 2 }>(out, author));
        } else {
            out.normalized_field(&mut f, k!(L, "author"), &p.meta.authors.join(", "));
        }
    }
    out.normalized_field(&mut f, k!(L, "name"), &p.name);
    out.normalized_field(&mut f, k!(L, "version"), &p.version);
    if let Some(d) = &p.meta.description {
        out.normalized_field(&mut f, k!(L, "description"), d);
    }
    if let Some(scope) = p.scope {
        let scope = match scope {
            Scope::Required => "required",
            Scope::Excluded => "excluded",
            Scope::Optional => "optional",
        };
        out.field(&mut f, k!(L, "scope"), scope);
    }
    if !p.checksums.is_empty() {
        out.key(&mut f, k!(L, "hashes"));
        out.array(L, &p.checksums, |out, c| {
            let alg = match c {
                Checksum::Sha1(_) => "SHA-1",
                Checksum::Sha256(_) => "SHA-256",
                Checksum::Sha384(_) => "SHA-384",
                Checksum::Sha512(_) => "SHA-512",
            };
            out.raw("{");
            let mut f = true;
            out.field(&mut f, k!(L + 2, "alg"), alg);
            out.field(&mut f, k!(L + 2, "content"), c.hex());
            out.close(L + 1, '}');
        });
    }
    if let Some(license) = p.meta.license.as_deref() {
        let expression = ctx
            .licenses
            .entry(license)
            .or_insert_with(|| SpdxExpression::parse_lax(license.to_owned()).ok().map(|e| e.to_string()));
        out.key(&mut f, k!(L, "licenses"));
        out.raw("[");
        out.newline(L + 1);
        out.raw("{");
        let mut lf = true;
        if let Some(e) = expression {
            out.field(&mut lf, k!(L + 2, "expression"), e);
        } else {
            out.key(&mut lf, k!(L + 2, "license"));
            out.raw("{");
            let mut nf = true;
            out.normalized_field(&mut nf, k!(L + 3, "name"), license);
            out.close(L + 2, '}');
        }
        out.close(L + 1, '}');
        out.close(L, ']');
    }
    if let Some(purl) = &node.purl {
        out.field(&mut f, k!(L, "purl"), purl);
    }
    external_references::<L>(out, &mut f, p);
    ctx.props.clear();
    properties(node, &mut ctx.props);
    out.key(&mut f, k!(L, "properties"));
    out.array(L, &ctx.props, |out, (name, value)| property::<{ L + 2 }>(out, name, value));
    out.close(L - 1, '}');
}

/// A property object, its fields at level `L`.
fn property<const L: usize>(out: &mut Json<'_>, name: &str, value: &str) {
    out.raw("{");
    let mut f = true;
    out.field(&mut f, k!(L, "name"), name);
    out.normalized_field(&mut f, k!(L, "value"), value);
    out.close(L - 1, '}');
}

/// A Cargo author string (`Name <email>`) as a CycloneDX organizationalContact, its fields at
/// level `L` (as `super::cyclonedx::contact` makes it).
fn contact<const L: usize>(out: &mut Json<'_>, author: &str) {
    out.raw("{");
    let mut f = true;
    if let Some((name, rest)) = author.split_once('<')
        && let Some(email) = rest.strip_suffix('>')
        && email.contains('@')
        && !email.contains(char::is_whitespace)
    {
        let name = name.trim();
        if !name.is_empty() {
            out.field(&mut f, k!(L, "name"), name);
        }
        out.field(&mut f, k!(L, "email"), email);
    } else {
        out.field(&mut f, k!(L, "name"), author);
    }
    out.close(L - 1, '}');
}

/// `externalReferences`, when there are any (as `super::cyclonedx::external_references`).
fn external_references<const L: usize>(out: &mut Json<'_>, first: &mut bool, p: &Package) {
    let mut any = false;
    let mut push = |out: &mut Json<'_>, kind: &str, url: &str, comment: Option<&str>| {
        if Uri::try_from(url.to_owned()).is_err() {
            return;
        }
        if any {
            out.raw(",");
        } else {
            out.key(first, k!(L, "externalReferences"));
            out.raw("[");
            any = true;
        }
        out.newline(L + 1);
        out.raw("{");
        let mut f = true;
        out.field(&mut f, k!(L + 2, "type"), kind);
        out.field(&mut f, k!(L + 2, "url"), url);
        if let Some(c) = comment {
            out.field(&mut f, k!(L + 2, "comment"), c);
        }
        out.close(L + 1, '}');
    };
    if let PackageSource::Git { url, reference, commit } = &p.source {
        let comment = match (commit, reference) {
            (Some(c), Some(r)) => Some(format!("commit {c}, {r}")),
            (Some(c), None) => Some(format!("commit {c}")),
            (None, Some(r)) => Some(r.to_string()),
            (None, None) => None,
        };
        push(out, "vcs", url, comment.as_deref());
    }
    if let PackageSource::Tarball { url } = &p.source {
        push(out, "distribution", url, None);
    }
    if let Some(repo) = &p.meta.repository
        && !matches!(&p.source, PackageSource::Git { url, .. } if url == repo)
    {
        push(out, "vcs", repo, None);
    }
    if let Some(home) = &p.meta.homepage {
        push(out, "website", home, None);
    }
    if let Some(docs) = &p.meta.documentation {
        push(out, "documentation", docs, None);
    }
    if any {
        out.close(L, ']');
    }
}

/// A component's properties, sorted (as `super::cyclonedx::properties`, values not yet
/// normalised).
fn properties<'g>(node: &'g Node, props: &mut Vec<(&'static str, &'g str)>) {
    let p = &node.package;
    props.extend(node.lockfiles.keys().map(|path| ("chainward:lockfile", path.as_str())));
    if !p.source.is_default_registry() {
        props.push(("chainward:source", p.source.kind()));
    }
    if p.first_party {
        props.push(("chainward:first-party", "true"));
    } else {
        props.push(("chainward:dependency", if p.direct { "direct" } else { "transitive" }));
    }
    for kind in &p.reached_by {
        props.push(("chainward:reached-by", kind.as_str()));
    }
    if let Some(c) = &p.compiled {
        props.push(("chainward:compiled", c.status.as_str()));
        if let Some(reason) = &c.reason {
            props.push(("chainward:compiled-reason", reason));
        }
    }
    if let PackageSource::Registry { url, default_registry: false, .. } = &p.source {
        props.push(("chainward:registry", url));
    }
    if let PackageSource::Git { reference: Some(r), .. } = &p.source {
        props.push(match r {
            GitReference::Branch(b) => ("chainward:git-branch", b),
            GitReference::Tag(t) => ("chainward:git-tag", t),
            GitReference::Rev(r) => ("chainward:git-rev", r),
        });
    }
    if let Some(alias) = &p.alias {
        props.push(("chainward:alias", alias));
    }
    if let Some(script) = p.install_script {
        props.push(("chainward:install-script", if script { "true" } else { "false" }));
    }
    if p.bundled {
        props.push(("chainward:bundled", "true"));
    }
    if let Some(platform) = &p.platform {
        props.push(("chainward:platform", platform));
    }
    for group in &p.groups {
        props.push(("chainward:group", group));
    }
    if let Some(requirement) = &p.unpinned {
        props.push(("chainward:unpinned", requirement));
    }
    props.sort_unstable();
}

/// The model's `NormalizedString`: `\r\n`, then each CR, LF and tab, replaced by a space.
fn normalized(s: &str) -> Cow<'_, str> {
    if s.bytes().any(|b| matches!(b, b'\r' | b'\n' | b'\t')) {
        Cow::Owned(s.replace("\r\n", " ").replace(['\r', '\n', '\t'], " "))
    } else {
        Cow::Borrowed(s)
    }
}

/// The document being written: a buffer, emptied into the writer as it fills.
struct Json<'w> {
    w: &'w mut dyn Write,
    buf: Vec<u8>,
}

impl Json<'_> {
    /// Fixed markup.
    fn raw(&mut self, s: &str) {
        self.buf.extend_from_slice(s.as_bytes());
    }

    /// A line break and the indentation of `level`.
    fn newline(&mut self, level: usize) {
        // Deeper than the document ever goes, but indented all the same.
        if let Some(line) = NEWLINE.get(..=level * 2) {
            self.buf.extend_from_slice(line);
        } else {
            self.buf.push(b'\n');
            self.buf.resize(self.buf.len() + level * 2, b' ');
        }
    }

    /// A key of an object (with the comma before it unless it is the first), up to its value.
    fn key(&mut self, first: &mut bool, key: &Key) {
        self.buf.extend_from_slice(key.markup(std::mem::take(first), false));
    }

    /// A string field.
    fn field(&mut self, first: &mut bool, key: &Key, value: &str) {
        self.buf.extend_from_slice(key.markup(std::mem::take(first), true));
        self.string_rest(value);
    }

    /// A string field the model holds as a `NormalizedString` ([`normalized`]).
    fn normalized_field(&mut self, first: &mut bool, key: &Key, value: &str) {
        self.buf.extend_from_slice(key.markup(std::mem::take(first), true));
        if is_plain(value) {
            // Nothing to normalise either.
            self.plain_rest(value);
        } else {
            self.string_rest(&normalized(value));
        }
    }

    /// The end of an object or array opened at `level`: on its own line, or right after the
    /// opening bracket when empty (`{}`, `[]`).
    fn close(&mut self, level: usize, bracket: char) {
        let open = if bracket == '}' { b'{' } else { b'[' };
        if self.buf.last() != Some(&open) {
            self.newline(level);
        }
        self.buf.push(if bracket == '}' { b'}' } else { b']' });
    }

    /// An array at `level` (the key's), each item at the next level written by `item`.
    fn array<T>(&mut self, level: usize, items: &[T], mut item: impl FnMut(&mut Self, &T)) {
        self.buf.push(b'[');
        for (i, x) in items.iter().enumerate() {
            if i > 0 {
                self.buf.push(b',');
            }
            self.newline(level + 1);
            item(self, x);
        }
        self.close(level, ']');
    }

    /// A JSON string: `serde_json`'s escapes, then `sanitize::json_output`'s for what JSON
    /// leaves raw (DEL, C1 controls, format characters, U+2028/9). Text with nothing to escape,
    /// the usual case, is copied as is.
    fn string(&mut self, s: &str) {
        self.buf.push(b'"');
        self.string_rest(s);
    }

    /// [`Json::string`] after its opening quote (written with the markup before it).
    fn string_rest(&mut self, s: &str) {
        if is_plain(s) {
            self.plain_rest(s);
        } else {
            escape_into(&mut self.buf, s);
            self.buf.push(b'"');
        }
    }

    /// A string with nothing to escape, after its opening quote, and the closing quote.
    fn plain_rest(&mut self, s: &str) {
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.push(b'"');
    }

    /// Write the buffer out once it is large.
    fn flush_if_full(&mut self) -> std::io::Result<()> {
        if self.buf.len() >= FLUSH_AT { self.flush() } else { Ok(()) }
    }

    /// Write the buffer out, in pieces of at most [`MAX_WRITE`] bytes.
    fn flush(&mut self) -> std::io::Result<()> {
        for piece in self.buf.chunks(MAX_WRITE) {
            self.w.write_all(piece)?;
        }
        self.buf.clear();
        Ok(())
    }
}

/// Whether `s` is printable ASCII without `"` or `\\`: nothing to escape, nothing to normalise.
///
/// Checked 8 bytes at a time ([`bad_bytes`]); the last bytes as the string's last 8 (overlapping
/// the words already checked). The document's strings are short (21 bytes on average), where a
/// vectorized byte loop spent more on its tail than on its blocks.
fn is_plain(s: &str) -> bool {
    let bytes = s.as_bytes();
    let (words, _) = bytes.as_chunks::<8>();
    let mut bad = words.iter().fold(0, |bad, word| bad | bad_bytes(u64::from_le_bytes(*word)));
    if let Some(last) = bytes.last_chunk::<8>() {
        bad |= bad_bytes(u64::from_le_bytes(*last));
    } else if let (Some(head), Some(tail)) = (bytes.first_chunk::<4>(), bytes.last_chunk::<4>()) {
        bad |= bad_bytes(u64::from(u32::from_le_bytes(*head)) | u64::from(u32::from_le_bytes(*tail)) << 32);
    } else {
        for &b in bytes {
            bad |= bad_bytes(u64::from(b) * ONES);
        }
    }
    bad & HIGH == 0
}

/// `0x01` in each byte of a word.
const ONES: u64 = 0x0101_0101_0101_0101;
/// The high bit of each byte of a word.
const HIGH: u64 = 0x8080_8080_8080_8080;

/// A word whose [`HIGH`] bits are not all clear when one of the 8 bytes of `x` is below `0x20`,
/// `"`, `\\`, DEL or not ASCII. The borrows of the subtractions can set the bits of other
/// bytes too, but only when some byte is one of those: the answer, any or none, is exact.
fn bad_bytes(x: u64) -> u64 {
    let zero = |v: u64| v.wrapping_sub(ONES) & !v;
    (x.wrapping_sub(0x20 * ONES) & !x) | x | zero(x ^ (0x22 * ONES)) | zero(x ^ (0x5c * ONES)) | zero(x ^ (0x7f * ONES))
}

/// `s` escaped for a JSON string (without the quotes), as `serde_json` then
/// [`sanitize::json_output`] would.
fn escape_into(buf: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut units = [0u16; 2];
    let mut plain = 0;
    for (i, c) in s.char_indices() {
        let short: &[u8] = match c {
            '"' => b"\\\"",
            '\\' => b"\\\\",
            '\u{8}' => b"\\b",
            '\u{c}' => b"\\f",
            '\n' => b"\\n",
            '\r' => b"\\r",
            '\t' => b"\\t",
            c if sanitize::is_unsafe(c) => b"",
            _ => continue,
        };
        buf.extend_from_slice(s.as_bytes().get(plain..i).unwrap_or_default());
        plain = i + c.len_utf8();
        if short.is_empty() {
            for unit in c.encode_utf16(&mut units) {
                buf.extend_from_slice(b"\\u");
                for shift in [12u16, 8, 4, 0] {
                    buf.push(HEX.get(usize::from((*unit >> shift) & 0xf)).copied().unwrap_or(b'0'));
                }
            }
        } else {
            buf.extend_from_slice(short);
        }
    }
    buf.extend_from_slice(s.as_bytes().get(plain..).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped(s: &str) -> String {
        let mut buf = Vec::new();
        escape_into(&mut buf, s);
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn escaping_is_serde_json_then_the_sanitiser() {
        for s in [
            "plain",
            "quote \" backslash \\ slash /",
            "\u{0}\u{1}\u{8}\u{9}\u{a}\u{b}\u{c}\u{d}\u{1b}\u{1f} del \u{7f}",
            "c1 \u{80}\u{9b}\u{9f} nbsp \u{a0} soft \u{ad}",
            "bidi \u{202e}x\u{2066} sep \u{2028}\u{2029} bom \u{feff}",
            "tag \u{e0041} astral 😀 ü ✓",
        ] {
            let serde = serde_json::to_string(s).unwrap();
            let expected = String::from_utf8(sanitize::json_output(serde.into_bytes())).unwrap();
            let mut out = Json { w: &mut std::io::sink(), buf: Vec::new() };
            out.string(s);
            assert_eq!(String::from_utf8(out.buf).unwrap(), expected, "{s:?}");
            assert_eq!(format!("\"{}\"", escaped(s)), expected, "{s:?}");
        }
    }

    #[test]
    fn plain_is_printable_ascii_without_quote_or_backslash() {
        let naive = |s: &str| s.bytes().all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\');
        for len in 0..50 {
            let base = "abcdefghijklmnopqrstuvwxyz0123456789-_.:/@~ABCDEFGHIJKLMNOP".get(..len).unwrap();
            assert!(is_plain(base), "{base:?}");
            for at in 0..len {
                for bad in ["\"", "\\", "\n", "\u{0}", "\u{1f}", "\u{7f}", "é", "\u{2028}", " ", "~"] {
                    let mut s = base.to_owned();
                    s.replace_range(at..=at, bad);
                    assert_eq!(is_plain(&s), naive(&s), "{s:?}");
                }
            }
        }
    }

    #[test]
    fn normalised_as_the_model_does() {
        assert_eq!(normalized("a\r\nb\rc\nd\te"), "a b c d e");
        assert!(matches!(normalized("plain"), Cow::Borrowed(_)));
    }
}
