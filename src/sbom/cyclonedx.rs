//! The merged graph as a CycloneDX document, built with the `cyclonedx-bom` crate.
//!
//! JSON is written directly from the graph by `sbom::json`, byte for byte the document this
//! module's model path writes (tests compare the two on every fixture and corpus lockfile); the
//! model path writes XML, and JSON for [`render_to_with_vex_via_model`].
//!
//! `cyclonedx-bom` 0.8 models CycloneDX 1.3 to 1.5. Version 1.5 is written by the crate as is;
//! 1.6 (ECMA-424) is the crate's 1.5 document plus what 1.6 changes for our content: the
//! `specVersion` and XML namespace, and `authors` objects instead of the deprecated `author`
//! string. Everything chainward writes for 1.5 is valid 1.6, and both are checked against the
//! official schemas in tests.
//!
//! Reproducibility: components, dependencies and properties are always sorted. With a fixed
//! timestamp (`SOURCE_DATE_EPOCH`) or `--deterministic`, the serial number is a UUIDv5 of the
//! document's content, so the same input gives byte-identical output.
//!
//! Streaming: the document is never held whole. The crate writes small documents (the head with
//! the metadata; one component; one dependency; a composition with a placeholder reference),
//! and the pieces are cut out of them and written in order. Pretty-printing indents by nesting
//! depth only, so every piece has the bytes it would have in the whole document.
//!
//! XML: the crate writes `metadata.lifecycles` after `metadata.component`, which the official
//! 1.5 and 1.6 XSDs reject; chainward puts it right after `timestamp`, where they want it.
//!
//! Untrusted text (names, versions, descriptions, paths from lockfiles and manifests) is made
//! safe as it is written. JSON: through [`crate::sanitize::json_output`] (lossless `\uXXXX`
//! escapes of DEL, C1 and format characters). XML: characters XML 1.0 does not allow (C0
//! controls but tab, LF, CR; U+FFFE, U+FFFF) cannot be written at all and become the
//! sanitiser's visible escapes (`\u{1b}`, `\0`; lossy, and visibly so); DEL, C1 controls, bidi
//! and other format characters and U+2028/9 anywhere, and tab, LF and CR inside values, become
//! numeric character references (`&#x202E;`, lossless for an XML reader), so that the bytes of
//! the document hold nothing that can reorder, hide or break a line where it is displayed.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{BufWriter, Write};

use cyclonedx_bom::external_models::date_time::DateTime;
use cyclonedx_bom::external_models::normalized_string::NormalizedString;
use cyclonedx_bom::external_models::spdx::SpdxExpression;
use cyclonedx_bom::external_models::uri::{Purl, Uri};
use cyclonedx_bom::models::bom::{Bom, UrnUuid};
use cyclonedx_bom::models::component::{Classification, Component, Components, Scope as CdxScope};
use cyclonedx_bom::models::composition::{AggregateType, Composition, Compositions};
use cyclonedx_bom::models::dependency::{Dependencies, Dependency};
use cyclonedx_bom::models::external_reference::{
    ExternalReference, ExternalReferenceType, ExternalReferences, Uri as ExtUri,
};
use cyclonedx_bom::models::hash::{Hash, HashAlgorithm, HashValue, Hashes};
use cyclonedx_bom::models::license::{License, LicenseChoice, Licenses};
use cyclonedx_bom::models::lifecycle::{Lifecycle, Lifecycles, Phase};
use cyclonedx_bom::models::metadata::Metadata;
use cyclonedx_bom::models::property::{Properties, Property};
use cyclonedx_bom::models::tool::Tools;
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::model::graph::GraphRoot;
use crate::model::package::GitReference;
use crate::model::{Checksum, Graph, Node, Package, PackageSource, Scope};
use crate::sanitize;

/// Namespace of chainward's UUIDv5 serial numbers.
const SERIAL_NAMESPACE: Uuid = Uuid::from_u128(0x6c1b_0d3e_5a2f_4b6e_9d0c_2f7a_c4a1_e8b3);

/// CycloneDX specification version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum SpecVersion {
    /// CycloneDX 1.5
    #[value(name = "1.5")]
    V1_5,
    /// CycloneDX 1.6 (ECMA-424)
    #[value(name = "1.6")]
    V1_6,
}

impl SpecVersion {
    /// `1.5` or `1.6`.
    pub fn as_str(self) -> &'static str {
        match self {
            SpecVersion::V1_5 => "1.5",
            SpecVersion::V1_6 => "1.6",
        }
    }
}

/// Output encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SbomFormat {
    /// JSON
    Json,
    /// XML
    Xml,
}

/// How to render.
#[derive(Debug, Clone)]
pub struct SbomOptions {
    /// Spec version.
    pub spec: SpecVersion,
    /// Encoding.
    pub format: SbomFormat,
    /// `metadata.timestamp`, RFC 3339. `None` omits it.
    pub timestamp: Option<String>,
    /// Serial number from content (UUIDv5) instead of random (UUIDv4).
    pub deterministic: bool,
    /// Files that could not be read (`--allow-partial`): (path, reason). Makes the document say
    /// it is incomplete.
    pub missing: Vec<(String, String)>,
    /// More `metadata.properties` (name, value), such as the revision an SBOM was read from
    /// (`chainward:git-commit`, `chainward:git-revision`). Written sorted, with the others.
    pub properties: Vec<(String, String)>,
}

/// The document could not be built or written.
#[derive(Debug, thiserror::Error)]
pub enum SbomError {
    /// The CycloneDX model rejected a value.
    #[error("cannot build the CycloneDX document: {0}")]
    Model(String),
    /// Writing the document failed.
    #[error("cannot write the SBOM: {0}")]
    Write(#[from] std::io::Error),
}

/// Render `graph` as a CycloneDX document in memory. [`render_to`] into a `Vec`.
pub fn render(graph: &Graph, options: &SbomOptions) -> Result<Vec<u8>, SbomError> {
    let mut out = Vec::with_capacity(1 << 16);
    render_to(graph, options, &mut out)?;
    Ok(out)
}

/// Write `graph` as a CycloneDX document to `out`, one component at a time: memory stays
/// proportional to one component, not to the document.
///
/// The serial number comes first in the document. A random one (UUIDv4) is written in one pass.
/// A deterministic one is a UUIDv5 of the SHA-256 of the document written with the nil UUID in
/// its place, so the document is written twice: once into the hash, then into `out`.
///
/// Untrusted text is made safe as it is written (see the module documentation). On error, `out`
/// may hold part of a document: write to a temporary file and rename it only on success.
pub fn render_to(graph: &Graph, options: &SbomOptions, out: &mut dyn Write) -> Result<(), SbomError> {
    render_to_with_vex(graph, options, &[], out)
}

/// [`render_to`], with a `vulnerabilities` array (a VEX: [`super::vex::vulnerabilities`]) at the
/// end of the document, when not empty. JSON only: an error for XML (before anything is
/// written). A deterministic serial number covers the vulnerabilities too.
///
/// JSON is written directly from the graph (`sbom::json`); XML through the `cyclonedx-bom`
/// model ([`render_to_with_vex_via_model`]).
pub fn render_to_with_vex(
    graph: &Graph,
    options: &SbomOptions,
    vulnerabilities: &[Value],
    out: &mut dyn Write,
) -> Result<(), SbomError> {
    match options.format {
        SbomFormat::Json => render_with(graph, options, vulnerabilities, out, super::json::write_document),
        SbomFormat::Xml => render_to_with_vex_via_model(graph, options, vulnerabilities, out),
    }
}

/// [`render_to_with_vex`] through the `cyclonedx-bom` model, in JSON too: one small model
/// document per component, serialized by the crate and cut into the streamed document. The
/// writer of XML, and for JSON the reference the direct writer is tested against (the same
/// bytes); several times slower than the direct JSON writer.
pub fn render_to_with_vex_via_model(
    graph: &Graph,
    options: &SbomOptions,
    vulnerabilities: &[Value],
    out: &mut dyn Write,
) -> Result<(), SbomError> {
    if !vulnerabilities.is_empty() && options.format != SbomFormat::Json {
        return Err(SbomError::Model("vulnerabilities (a VEX) can only be written in JSON".to_owned()));
    }
    render_with(graph, options, vulnerabilities, out, |graph, options, vulnerabilities, serial, w| {
        let mut buffered = BufWriter::with_capacity(1 << 16, w);
        write_document(graph, options, vulnerabilities, serial, &mut buffered)?;
        buffered.flush()?;
        Ok(())
    })
}

/// One way of writing the document, given its serial number.
type WriteDocument = fn(
    graph: &Graph,
    options: &SbomOptions,
    vulnerabilities: &[Value],
    serial: Uuid,
    w: &mut dyn Write,
) -> Result<(), SbomError>;

/// The serial number (see [`render_to`]), then the document written by `write` into `out`.
fn render_with(
    graph: &Graph,
    options: &SbomOptions,
    vulnerabilities: &[Value],
    out: &mut dyn Write,
    write: WriteDocument,
) -> Result<(), SbomError> {
    let serial = if options.deterministic {
        let mut hash = HashWriter(Sha256::new());
        write(graph, options, vulnerabilities, Uuid::nil(), &mut hash)?;
        // UUIDv5 names are hashed with SHA-1; SHA-256 the megabytes first, which is much faster.
        Uuid::new_v5(&SERIAL_NAMESPACE, &hash.0.finalize())
    } else {
        Uuid::new_v4()
    };
    write(graph, options, vulnerabilities, serial, out)
}

/// An `io::Write` that only hashes.
struct HashWriter(Sha256);

impl Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub(super) fn model_error(e: impl std::fmt::Display) -> SbomError {
    SbomError::Model(e.to_string())
}

pub(super) fn unexpected(what: &str) -> SbomError {
    SbomError::Model(format!("unexpected output from the CycloneDX writer ({what})"))
}

/// A document with nothing but what is given: the crate writes it, and the pieces chainward
/// streams are cut out of it. Pretty-printing indents by nesting depth only, so a piece cut out
/// of a small document has the bytes it has in the whole one.
fn mini() -> Bom {
    Bom {
        version: 1,
        serial_number: None,
        metadata: None,
        components: None,
        services: None,
        external_references: None,
        dependencies: None,
        compositions: None,
        properties: None,
        vulnerabilities: None,
        signature: None,
        annotations: None,
        formulation: None,
        spec_version: cyclonedx_bom::models::bom::SpecVersion::V1_5,
    }
}

/// What the crate's 1.5 writer makes of `bom`, as text.
fn serialize(bom: Bom, format: SbomFormat) -> Result<String, SbomError> {
    let mut out = Vec::with_capacity(1024);
    match format {
        SbomFormat::Json => bom.output_as_json_v1_5(&mut out).map_err(model_error)?,
        SbomFormat::Xml => bom.output_as_xml_v1_5(&mut out).map_err(model_error)?,
    }
    String::from_utf8(out).map_err(model_error)
}

/// The part of a serialized [`mini`] document after its fixed head (`"version": 1,` or the
/// `<bom ...>` start tag) and before its end (`\n}` or `\n</bom>`): one top-level section, such
/// as `\n  "components": [\n    {...}\n  ]`.
fn section(text: &str, format: SbomFormat) -> Result<&str, SbomError> {
    let (head_end, tail) = match format {
        SbomFormat::Json => {
            let head = "\n  \"version\": 1,";
            (text.find(head).map(|at| at + head.len()), "\n}")
        }
        SbomFormat::Xml => {
            (text.find("\n<bom ").and_then(|at| text.get(at..)?.find('>').map(|end| at + end + 1)), "\n</bom>")
        }
    };
    let head_end = head_end.ok_or_else(|| unexpected("no document head"))?;
    text.get(head_end..).and_then(|s| s.strip_suffix(tail)).ok_or_else(|| unexpected("no document end"))
}

/// A one-item section split into its opening line, the item and its closing line (each
/// starting with a line break).
fn split_section(section: &str) -> Result<(&str, &str, &str), SbomError> {
    let item_at = section.get(1..).and_then(|s| s.find('\n')).map(|i| i + 1).ok_or_else(|| unexpected("no item"))?;
    let close_at = section.rfind('\n').filter(|&at| at > item_at).ok_or_else(|| unexpected("no section end"))?;
    match (section.get(..item_at), section.get(item_at..close_at), section.get(close_at..)) {
        (Some(open), Some(item), Some(close)) => Ok((open, item, close)),
        _ => Err(unexpected("section")),
    }
}

/// Where the document goes, and how untrusted text is made safe for its format.
struct Out<'w> {
    w: &'w mut dyn Write,
    format: SbomFormat,
}

impl Out<'_> {
    /// Text the crate serialized (or chainward put together) from untrusted values.
    fn text(&mut self, text: &str) -> Result<(), SbomError> {
        match self.format {
            SbomFormat::Json => {
                // Pretty JSON's only raw controls are its line breaks (strings escape theirs).
                if sanitize::has_unsafe(text, true) {
                    self.w.write_all(&sanitize::json_output(text.as_bytes().to_vec()))?;
                } else {
                    self.w.write_all(text.as_bytes())?;
                }
            }
            SbomFormat::Xml => self.w.write_all(xml_safe(text).as_bytes())?,
        }
        Ok(())
    }

    /// Fixed markup.
    fn raw(&mut self, text: &str) -> Result<(), SbomError> {
        self.w.write_all(text.as_bytes())?;
        Ok(())
    }
}

/// A package of the graph, or its root.
#[derive(Clone, Copy)]
pub(super) enum Entry<'g> {
    Node(&'g Node),
    Root,
}

impl<'g> Entry<'g> {
    /// Its id (`bom-ref`).
    pub(super) fn id(self, graph: &'g Graph) -> &'g str {
        match self {
            Entry::Node(n) => &n.id,
            Entry::Root => &graph.root.id,
        }
    }

    fn dependency(self, graph: &Graph) -> Dependency {
        let (id, depends_on) = match self {
            Entry::Node(n) => (&n.id, &n.depends_on),
            Entry::Root => (&graph.root.id, &graph.root.depends_on),
        };
        Dependency { dependency_ref: id.clone(), dependencies: depends_on.iter().cloned().collect() }
    }
}

/// The one order of `dependencies` and of the `complete` composition: by id, the root among the
/// packages (after a package with the same id, as a stable sort would put it).
pub(super) fn in_ref_order(graph: &Graph) -> Vec<Entry<'_>> {
    let mut order: Vec<Entry<'_>> = Vec::with_capacity(graph.nodes.len() + 1);
    order.extend(graph.nodes.iter().map(Entry::Node));
    if graph.nodes.is_sorted_by(|a, b| a.id <= b.id) {
        // Sorted already (the graph's invariant): put the root into place.
        let at = order.partition_point(|e| e.id(graph) <= graph.root.id.as_str());
        order.insert(at, Entry::Root);
    } else {
        order.push(Entry::Root);
        order.sort_by(|a, b| a.id(graph).cmp(b.id(graph)));
    }
    order
}

/// The whole document, streamed.
fn write_document(
    graph: &Graph,
    options: &SbomOptions,
    vulnerabilities: &[Value],
    serial: Uuid,
    w: &mut dyn Write,
) -> Result<(), SbomError> {
    let format = options.format;
    let authors = options.spec >= SpecVersion::V1_6 && format == SbomFormat::Json;
    let mut out = Out { w, format };

    // Head: the crate's document with the serial number and metadata.
    let mut head = mini();
    head.serial_number = Some(UrnUuid::from(serial));
    head.metadata = Some(metadata(graph, options)?);
    let mut text = serialize(head, format)?;
    if authors && graph.root.node.as_ref().is_some_and(|n| !n.package.meta.authors.is_empty()) {
        text = with_authors(&text, true, graph.root.node.as_ref().map(|n| n.package.meta.authors.as_slice()))?;
    }
    match format {
        SbomFormat::Json => {
            let body = text.strip_prefix('{').and_then(|t| t.strip_suffix("\n}")).ok_or_else(|| unexpected("head"))?;
            let v15 = "\"specVersion\": \"1.5\"";
            let at = body.find(v15).ok_or_else(|| unexpected("no specVersion"))?;
            let (before, after) = (body.get(..at).unwrap_or_default(), body.get(at + v15.len()..).unwrap_or_default());
            out.raw("{\n  \"$schema\": \"http://cyclonedx.org/schema/bom-")?;
            out.raw(options.spec.as_str())?;
            out.raw(".schema.json\",")?;
            out.raw(before)?;
            out.raw("\"specVersion\": \"")?;
            out.raw(options.spec.as_str())?;
            out.raw("\"")?;
            out.text(after)?;
        }
        SbomFormat::Xml => {
            let body = text.strip_suffix("\n</bom>").ok_or_else(|| unexpected("head"))?;
            let ns15 = "http://cyclonedx.org/schema/bom/1.5";
            let at = body.find(ns15).ok_or_else(|| unexpected("no namespace"))?;
            let (before, after) = (body.get(..at).unwrap_or_default(), body.get(at + ns15.len()..).unwrap_or_default());
            out.raw(before)?;
            out.raw("http://cyclonedx.org/schema/bom/")?;
            out.raw(options.spec.as_str())?;
            out.text(&with_lifecycles(after)?)?;
        }
    }

    // Components, one at a time.
    let mut component_section = |node: Option<&Node>| -> Result<String, SbomError> {
        let mut bom = mini();
        bom.components = Some(Components(node.map(component).into_iter().collect()));
        let text = serialize(bom, format)?;
        match node {
            Some(n) if authors && !n.package.meta.authors.is_empty() => {
                with_authors(&text, false, Some(&n.package.meta.authors))
            }
            _ => Ok(text),
        }
    };
    stream(&mut out, &graph.nodes, &mut component_section)?;

    // Dependencies, one at a time.
    let order = in_ref_order(graph);
    let mut dependency_section = |entry: Option<&Entry<'_>>| -> Result<String, SbomError> {
        let mut bom = mini();
        bom.dependencies = Some(Dependencies(entry.map(|e| e.dependency(graph)).into_iter().collect()));
        serialize(bom, format)
    };
    stream(&mut out, &order, &mut dependency_section)?;

    // Compositions: what was read is complete; with --allow-partial, the root is not. A
    // requirement that pins no version (`flask>=2`) is a component whose version is unknown: it
    // and the root are `incomplete`.
    let unpinned: Vec<&str> =
        graph.nodes.iter().filter(|n| n.package.unpinned.is_some()).map(|n| n.id.as_str()).collect();
    let compositions: Vec<(AggregateType, Vec<&str>)> = if options.missing.is_empty() && unpinned.is_empty() {
        vec![(AggregateType::Complete, order.iter().map(|e| e.id(graph)).collect())]
    } else {
        let mut c = Vec::new();
        let complete: Vec<&str> =
            graph.nodes.iter().filter(|n| n.package.unpinned.is_none()).map(|n| n.id.as_str()).collect();
        if !complete.is_empty() {
            c.push((AggregateType::Complete, complete));
        }
        let mut incomplete = vec![graph.root.id.as_str()];
        incomplete.extend(unpinned);
        c.push((AggregateType::Incomplete, incomplete));
        c
    };
    drop(order);
    write_compositions(&mut out, format, &compositions)?;

    if !vulnerabilities.is_empty() {
        // Pretty-printed as a top-level key, as in the whole document.
        #[derive(serde::Serialize)]
        struct Vex<'v> {
            vulnerabilities: &'v [Value],
        }
        let text = serde_json::to_string_pretty(&Vex { vulnerabilities }).map_err(model_error)?;
        let body = text.strip_prefix('{').and_then(|t| t.strip_suffix("\n}")).ok_or_else(|| unexpected("vex"))?;
        out.raw(",")?;
        out.text(body)?;
    }

    out.raw(match format {
        SbomFormat::Json => "\n}\n",
        SbomFormat::Xml => "\n</bom>\n",
    })
}

/// Write one top-level section item by item: `item(None)` gives the document with the section
/// empty, `item(Some(x))` with `x` alone in it.
fn stream<T>(
    out: &mut Out<'_>,
    items: &[T],
    item: &mut dyn FnMut(Option<&T>) -> Result<String, SbomError>,
) -> Result<(), SbomError> {
    let format = out.format;
    if format == SbomFormat::Json {
        // After the section before it.
        out.raw(",")?;
    }
    let Some(first) = items.first() else {
        let text = item(None)?;
        return out.raw(section(&text, format)?);
    };
    let first = item(Some(first))?;
    let (open, body, close) = split_section(section(&first, format)?)?;
    let close = close.to_owned();
    out.raw(open)?;
    out.text(body)?;
    for x in items.iter().skip(1) {
        let text = item(Some(x))?;
        let (_, body, _) = split_section(section(&text, format)?)?;
        if format == SbomFormat::Json {
            out.raw(",")?;
        }
        out.text(body)?;
    }
    out.raw(&close)
}

/// The `compositions` section, each composition's references streamed: the crate writes each
/// composition with a placeholder reference, whose line is the template of every reference's.
fn write_compositions(
    out: &mut Out<'_>,
    format: SbomFormat,
    compositions: &[(AggregateType, Vec<&str>)],
) -> Result<(), SbomError> {
    const PLACEHOLDER: &str = "chainward-reference-placeholder";
    let mut closing = String::new();
    let mut line = String::new();
    if format == SbomFormat::Json {
        out.raw(",")?;
    }
    for (i, (aggregate, refs)) in compositions.iter().enumerate() {
        let mut bom = mini();
        bom.compositions = Some(Compositions(vec![Composition {
            bom_ref: None,
            aggregate: aggregate.clone(),
            assemblies: None,
            dependencies: Some(vec![cyclonedx_bom::models::bom::BomReference::new(PLACEHOLDER)]),
            vulnerabilities: None,
            signature: None,
        }]));
        let text = serialize(bom, format)?;
        let (open, body, close) = split_section(section(&text, format)?)?;
        if i == 0 {
            out.raw(open)?;
            close.clone_into(&mut closing);
        } else if format == SbomFormat::Json {
            out.raw(",")?;
        }
        // body: before, then the placeholder's line (lead, placeholder, trail), then after.
        let at = body.find(PLACEHOLDER).ok_or_else(|| unexpected("no placeholder"))?;
        let line_start = body.get(..at).and_then(|b| b.rfind('\n')).ok_or_else(|| unexpected("placeholder line"))?;
        let rest = body.get(at + PLACEHOLDER.len()..).unwrap_or_default();
        let line_end = at + PLACEHOLDER.len() + rest.find('\n').unwrap_or(rest.len());
        let (before, lead, trail, after) = (
            body.get(..line_start).unwrap_or_default(),
            body.get(line_start..at).unwrap_or_default(),
            body.get(at + PLACEHOLDER.len()..line_end).unwrap_or_default(),
            body.get(line_end..).unwrap_or_default(),
        );
        out.raw(before)?;
        for (j, r) in refs.iter().enumerate() {
            line.clear();
            if j > 0 && format == SbomFormat::Json {
                line.push(',');
            }
            line.push_str(lead);
            match format {
                SbomFormat::Json => {
                    let quoted = serde_json::to_string(r).map_err(model_error)?;
                    line.push_str(quoted.get(1..quoted.len().saturating_sub(1)).unwrap_or_default());
                }
                SbomFormat::Xml => escape_attribute(r, &mut line),
            }
            line.push_str(trail);
            out.text(&line)?;
        }
        out.raw(after)?;
    }
    out.raw(&closing)
}

/// An XML attribute value as `xml-rs` (the crate's writer) escapes it.
fn escape_attribute(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '&' => out.push_str("&amp;"),
            '\n' => out.push_str("&#xA;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

/// A serialized JSON [`mini`] document with CycloneDX 1.6 `authors` objects instead of the
/// deprecated `author` string in `metadata.component` (`metadata`) or `components[0]`.
fn with_authors(text: &str, metadata: bool, authors: Option<&[String]>) -> Result<String, SbomError> {
    let Some(authors) = authors else { return Ok(text.to_owned()) };
    let mut doc: Value = serde_json::from_str(text).map_err(model_error)?;
    let component = if metadata {
        doc.get_mut("metadata").and_then(|m| m.get_mut("component"))
    } else {
        doc.get_mut("components").and_then(|c| c.get_mut(0))
    };
    if let Some(obj) = component.and_then(Value::as_object_mut) {
        // `authors` where `author` was.
        let fields = std::mem::take(obj);
        let mut authors = Some(Value::Array(authors.iter().map(|a| contact(a)).collect()));
        for (k, v) in fields {
            match (k.as_str(), authors.take_if(|_| k == "author")) {
                (_, Some(list)) => obj.insert("authors".to_owned(), list),
                _ => obj.insert(k, v),
            };
        }
        if let Some(list) = authors {
            obj.insert("authors".to_owned(), list);
        }
    }
    serde_json::to_string_pretty(&doc).map_err(model_error)
}

/// A Cargo author string (`Name <email>`) as a CycloneDX organizationalContact.
fn contact(author: &str) -> Value {
    if let Some((name, rest)) = author.split_once('<')
        && let Some(email) = rest.strip_suffix('>')
        && email.contains('@')
        && !email.contains(char::is_whitespace)
    {
        let name = name.trim();
        if name.is_empty() {
            return serde_json::json!({ "email": email });
        }
        return serde_json::json!({ "name": name, "email": email });
    }
    serde_json::json!({ "name": author })
}

/// The XML metadata with `lifecycles` where the CycloneDX 1.5 and 1.6 schemas want it: right
/// after `timestamp` (the crate writes it last, which the XSDs reject). `metadata` is the
/// serialized document from the `metadata` start tag's line on.
fn with_lifecycles(metadata: &str) -> Result<String, SbomError> {
    let mut bom = mini();
    bom.metadata = Some(Metadata {
        timestamp: None,
        tools: None,
        authors: None,
        component: None,
        manufacture: None,
        supplier: None,
        licenses: None,
        properties: None,
        lifecycles: Some(Lifecycles(vec![Lifecycle::Phase(Phase::PreBuild)])),
    });
    let text = serialize(bom, SbomFormat::Xml)?;
    let (_, lifecycles, _) = split_section(section(&text, SbomFormat::Xml)?)?;
    let open = "<metadata>";
    let mut at = metadata.find(open).map(|i| i + open.len()).ok_or_else(|| unexpected("no metadata"))?;
    let rest = metadata.get(at..).unwrap_or_default();
    if rest.starts_with("\n    <timestamp>") {
        let end = "</timestamp>";
        at += rest.find(end).map(|i| i + end.len()).ok_or_else(|| unexpected("timestamp"))?;
    }
    let mut out = String::with_capacity(metadata.len() + lifecycles.len());
    out.push_str(metadata.get(..at).unwrap_or_default());
    out.push_str(lifecycles);
    out.push_str(metadata.get(at..).unwrap_or_default());
    Ok(out)
}

/// XML text made safe to write and to display.
///
/// - Every character XML 1.0 does not allow (the C0 controls other than tab, line feed and
///   carriage return; U+FFFE, U+FFFF) is replaced by the sanitiser's visible escape (`\u{1b}`,
///   `\0`): it cannot be written at all, and a reader sees that something was there.
/// - Every other character the sanitiser calls unsafe (DEL, C1 controls, bidi and other format
///   characters, U+2028/9), and inside values (attribute values, text content) tab, line feed
///   and carriage return, are written as numeric character references (`&#x202E;`, `&#xA;`):
///   the same value for an XML reader, while the document's bytes hold no character that can
///   reorder, hide or break a line of the terminal or log that shows it.
///
/// `text` is whole elements from the crate's writer, whose markup is ASCII with line breaks only
/// between elements; a value is an attribute value (in double quotes: the writer escapes `"`)
/// or the text between a start tag and its end tag.
fn xml_safe(text: &str) -> Cow<'_, str> {
    if xml_is_plain(text) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 64);
    // Where the text since the last tag starts, and whether that tag was a start tag.
    let mut segment = 0usize;
    let mut after_start_tag = false;
    let mut tag_start = None::<usize>;
    let mut in_value = false;
    for (i, c) in text.char_indices() {
        if in_value {
            if c == '"' {
                in_value = false;
                out.push(c);
            } else {
                push_xml_char(&mut out, c, true);
            }
        } else if let Some(start) = tag_start {
            match c {
                '"' => in_value = true,
                '>' => {
                    tag_start = None;
                    let tag = text.get(start..i).unwrap_or_default();
                    after_start_tag = !tag.starts_with("</") && !tag.starts_with("<?") && !tag.ends_with('/');
                    segment = i + c.len_utf8();
                }
                _ => {}
            }
            push_xml_char(&mut out, c, false);
        } else if c == '<' {
            let value = after_start_tag && text.get(i..).is_some_and(|t| t.starts_with("</"));
            for c in text.get(segment..i).unwrap_or_default().chars() {
                push_xml_char(&mut out, c, value);
            }
            tag_start = Some(i);
            out.push(c);
        }
    }
    if tag_start.is_none() {
        for c in text.get(segment..).unwrap_or_default().chars() {
            push_xml_char(&mut out, c, false);
        }
    }
    Cow::Owned(out)
}

/// Whether [`xml_safe`] has nothing to change: no control character but line breaks that end a
/// tag's line and start the next one's indentation, no unsafe non-ASCII character.
fn xml_is_plain(text: &str) -> bool {
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'\n' => {
                let after_tag = i == 0 || i.checked_sub(1).and_then(|j| bytes.get(j)) == Some(&b'>');
                let rest = bytes.get(i + 1..).unwrap_or_default();
                let indent = rest.iter().take_while(|&&b| b == b' ').count();
                let before_tag = matches!(rest.get(indent), None | Some(b'<'));
                if !(after_tag && before_tag) {
                    return false;
                }
            }
            0..=0x1f | 0x7f => return false,
            _ => {}
        }
    }
    text.is_ascii() || !text.chars().any(|c| !c.is_ascii() && (sanitize::is_unsafe(c) || is_xml_nonchar(c)))
}

/// U+FFFE and U+FFFF: not allowed in XML 1.0.
fn is_xml_nonchar(c: char) -> bool {
    matches!(c, '\u{fffe}' | '\u{ffff}')
}

/// One character of [`xml_safe`]'s output; `value`: inside an attribute value or text content.
fn push_xml_char(out: &mut String, c: char, value: bool) {
    let whitespace = matches!(c, '\t' | '\n' | '\r');
    if whitespace && !value {
        out.push(c);
    } else if c.is_ascii_control() && !whitespace && c != '\u{7f}' {
        out.push_str(&sanitize::line(c.encode_utf8(&mut [0; 4]), 1));
    } else if is_xml_nonchar(c) {
        // Not a control to the sanitiser; the same visible form.
        let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
    } else if whitespace || sanitize::is_unsafe(c) {
        let _ = write!(out, "&#x{:X};", u32::from(c));
    } else {
        out.push(c);
    }
}

/// The document's `metadata`: tool, root component, timestamp, what is missing, and the
/// properties the caller adds.
fn metadata(graph: &Graph, options: &SbomOptions) -> Result<Metadata, SbomError> {
    let mut meta_props: Vec<Property> = options
        .missing
        .iter()
        .map(|(path, reason)| Property::new("chainward:missing", &format!("{path}: {reason}")))
        .chain(options.properties.iter().map(|(name, value)| Property::new(name, value)))
        .collect();
    meta_props.sort_by(|a, b| (&a.name, a.value.to_string()).cmp(&(&b.name, b.value.to_string())));

    let timestamp = match &options.timestamp {
        Some(t) => Some(DateTime::try_from(t.clone()).map_err(|e| SbomError::Model(e.to_string()))?),
        None => None,
    };
    Ok(Metadata {
        timestamp,
        tools: Some(Tools::Object { services: None, components: Some(Components(vec![tool_component()])) }),
        authors: None,
        component: Some(root_component(&graph.root)),
        manufacture: None,
        supplier: None,
        licenses: None,
        properties: (!meta_props.is_empty()).then_some(Properties(meta_props)),
        // XML: written by `with_lifecycles`, where the schemas want it.
        lifecycles: (options.format == SbomFormat::Json).then(|| Lifecycles(vec![Lifecycle::Phase(Phase::PreBuild)])),
    })
}

fn tool_component() -> Component {
    let version = env!("CARGO_PKG_VERSION");
    let mut c =
        Component::new(Classification::Application, "chainward", version, Some(format!("tool:chainward@{version}")));
    c.purl = Purl::new("cargo", "chainward", version).ok();
    c.external_references = Some(ExternalReferences(vec![ExternalReference {
        external_reference_type: ExternalReferenceType::Vcs,
        url: ExtUri::Url(Uri::new(env!("CARGO_PKG_REPOSITORY"))),
        comment: None,
        hashes: None,
    }]));
    c
}

fn root_component(root: &GraphRoot) -> Component {
    if let Some(node) = &root.node {
        let mut c = component(node);
        c.component_type = Classification::Application;
        return c;
    }
    let mut c = Component::new(Classification::Application, &root.name, "", Some(root.id.clone()));
    c.version = root.version.as_deref().map(NormalizedString::new);
    c
}

fn component(node: &Node) -> Component {
    let p = &node.package;
    let mut c = Component::new(Classification::Library, &p.name, &p.version, Some(node.id.clone()));
    c.purl = node.purl.as_deref().and_then(|s| s.parse::<Purl>().ok());
    c.scope = p.scope.map(|s| match s {
        Scope::Required => CdxScope::Required,
        Scope::Excluded => CdxScope::Excluded,
        Scope::Optional => CdxScope::Optional,
    });
    let hashes: Vec<Hash> = p
        .checksums
        .iter()
        .map(|c| {
            let alg = match c {
                Checksum::Sha1(_) => HashAlgorithm::SHA1,
                Checksum::Sha256(_) => HashAlgorithm::SHA_256,
                Checksum::Sha384(_) => HashAlgorithm::SHA_384,
                Checksum::Sha512(_) => HashAlgorithm::SHA_512,
            };
            Hash { alg, content: HashValue(c.hex().to_owned()) }
        })
        .collect();
    c.hashes = (!hashes.is_empty()).then_some(Hashes(hashes));
    c.licenses = p.meta.license.as_deref().map(license);
    c.description = p.meta.description.as_deref().map(NormalizedString::new);
    if !p.meta.authors.is_empty() {
        c.author = Some(NormalizedString::new(&p.meta.authors.join(", ")));
    }
    let refs = external_references(p);
    c.external_references = (!refs.is_empty()).then_some(ExternalReferences(refs));
    c.properties = Some(Properties(properties(node)));
    c
}

/// A Cargo `license` string as a CycloneDX license: an SPDX expression when it is one (the old
/// `MIT/Apache-2.0` form becomes `MIT OR Apache-2.0`), else a named license.
fn license(s: &str) -> Licenses {
    let choice = match SpdxExpression::parse_lax(s.to_owned()) {
        Ok(expr) => LicenseChoice::Expression(expr),
        Err(_) => LicenseChoice::License(License::named_license(s)),
    };
    Licenses(vec![choice])
}

fn external_references(p: &Package) -> Vec<ExternalReference> {
    let mut refs = Vec::new();
    let mut push = |kind: ExternalReferenceType, url: &str, comment: Option<String>| {
        if let Ok(uri) = Uri::try_from(url.to_owned()) {
            refs.push(ExternalReference {
                external_reference_type: kind,
                url: ExtUri::Url(uri),
                comment,
                hashes: None,
            });
        }
    };
    if let PackageSource::Git { url, reference, commit } = &p.source {
        let mut comment = Vec::new();
        if let Some(c) = commit {
            comment.push(format!("commit {c}"));
        }
        if let Some(r) = reference {
            comment.push(r.to_string());
        }
        push(ExternalReferenceType::Vcs, url, (!comment.is_empty()).then(|| comment.join(", ")));
    }
    if let PackageSource::Tarball { url } = &p.source {
        push(ExternalReferenceType::Distribution, url, None);
    }
    if let Some(repo) = &p.meta.repository
        && !matches!(&p.source, PackageSource::Git { url, .. } if url == repo)
    {
        push(ExternalReferenceType::Vcs, repo, None);
    }
    if let Some(home) = &p.meta.homepage {
        push(ExternalReferenceType::Website, home, None);
    }
    if let Some(docs) = &p.meta.documentation {
        push(ExternalReferenceType::Documentation, docs, None);
    }
    refs
}

fn properties(node: &Node) -> Vec<Property> {
    let p = &node.package;
    let mut props: Vec<(String, String)> =
        node.lockfiles.keys().map(|path| ("chainward:lockfile".to_owned(), path.clone())).collect();
    if !p.source.is_default_registry() {
        // crates.io is the default; the purl already says so.
        props.push(("chainward:source".to_owned(), p.source.kind().to_owned()));
    }
    if p.first_party {
        props.push(("chainward:first-party".to_owned(), "true".to_owned()));
    } else {
        let dep = if p.direct { "direct" } else { "transitive" };
        props.push(("chainward:dependency".to_owned(), dep.to_owned()));
    }
    for kind in &p.reached_by {
        props.push(("chainward:reached-by".to_owned(), kind.as_str().to_owned()));
    }
    if let Some(c) = &p.compiled {
        props.push(("chainward:compiled".to_owned(), c.status.as_str().to_owned()));
        if let Some(reason) = &c.reason {
            props.push(("chainward:compiled-reason".to_owned(), reason.clone()));
        }
    }
    if let PackageSource::Registry { url, default_registry: false, .. } = &p.source {
        props.push(("chainward:registry".to_owned(), url.clone()));
    }
    if let PackageSource::Git { reference: Some(r), .. } = &p.source {
        let (k, v) = match r {
            GitReference::Branch(b) => ("branch", b),
            GitReference::Tag(t) => ("tag", t),
            GitReference::Rev(r) => ("rev", r),
        };
        props.push((format!("chainward:git-{k}"), v.clone()));
    }
    if let Some(alias) = &p.alias {
        props.push(("chainward:alias".to_owned(), alias.clone()));
    }
    if let Some(script) = p.install_script {
        props.push(("chainward:install-script".to_owned(), script.to_string()));
    }
    if p.bundled {
        props.push(("chainward:bundled".to_owned(), "true".to_owned()));
    }
    if let Some(platform) = &p.platform {
        props.push(("chainward:platform".to_owned(), platform.clone()));
    }
    for group in &p.groups {
        props.push(("chainward:group".to_owned(), group.clone()));
    }
    if let Some(requirement) = &p.unpinned {
        props.push(("chainward:unpinned".to_owned(), requirement.clone()));
    }
    props.sort();
    props.into_iter().map(|(k, v)| Property::new(k, &v)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_values_get_references_and_what_xml_cannot_hold_is_visible() {
        let text = "\n    <component type=\"lib\trary\" bom-ref=\"a\u{202e}b\">\n      <name>x\ny\u{1b}z\u{fffe}</name>\n      \
                    <description>\n::x</description>\n      <empty />\n    </component>";
        let safe = xml_safe(text);
        assert_eq!(
            safe,
            "\n    <component type=\"lib&#x9;rary\" bom-ref=\"a&#x202E;b\">\n      <name>x&#xA;y\\u{1b}z\\u{fffe}</name>\n      \
             <description>&#xA;::x</description>\n      <empty />\n    </component>"
        );
        let plain = "\n    <component type=\"library\">\n      <name>ü ✓</name>\n    </component>";
        assert!(matches!(xml_safe(plain), Cow::Borrowed(_)));
        // A line break inside a value is never taken for the layout's.
        assert!(!xml_is_plain("<name>a\n  </name>x"));
        assert!(!xml_is_plain("<name>\n::x</name>"));
    }

    #[test]
    fn render_to_writes_what_render_returns_and_reports_write_errors() {
        struct Broken;
        impl Write for Broken {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("disk full"))
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let graph = Graph::merge(Vec::new(), "empty");
        for format in [SbomFormat::Json, SbomFormat::Xml] {
            let options = SbomOptions {
                spec: SpecVersion::V1_6,
                format,
                timestamp: Some("2024-01-01T00:00:00Z".to_owned()),
                deterministic: true,
                missing: Vec::new(),
                properties: Vec::new(),
            };
            let mut streamed = Vec::new();
            render_to(&graph, &options, &mut streamed).unwrap();
            assert_eq!(streamed, render(&graph, &options).unwrap());
            let err = render_to(&graph, &options, &mut Broken).unwrap_err();
            assert!(err.to_string().contains("disk full"), "{err}");
        }
    }
}
