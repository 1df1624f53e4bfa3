//! The merged graph as a CycloneDX document, built with the `cyclonedx-bom` crate.
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

use std::collections::BTreeMap;

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
}

/// The document could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SbomError {
    /// The CycloneDX model rejected a value.
    #[error("cannot build the CycloneDX document: {0}")]
    Model(String),
}

/// Render `graph` as a CycloneDX document.
///
/// The document is serialized once, with a placeholder serial number; the real one (random, or
/// a UUIDv5 of the SHA-256 of those bytes) then takes the placeholder's place, which has the same length.
pub fn render(graph: &Graph, options: &SbomOptions) -> Result<Vec<u8>, SbomError> {
    let authors = if options.spec >= SpecVersion::V1_6 { authors_by_ref(graph) } else { BTreeMap::new() };
    let mut bom = build(graph, options)?;
    bom.serial_number = Some(UrnUuid::from(Uuid::nil()));
    let mut out = match options.format {
        SbomFormat::Json => json(bom, options.spec, &authors)?,
        SbomFormat::Xml => xml(bom, options.spec)?,
    };
    let serial = if options.deterministic {
        // UUIDv5 names are hashed with SHA-1; SHA-256 the megabytes first, which is much faster.
        Uuid::new_v5(&SERIAL_NAMESPACE, &Sha256::digest(&out))
    } else {
        Uuid::new_v4()
    };
    let placeholder = Uuid::nil().hyphenated().to_string();
    let at = find(&out, placeholder.as_bytes())
        .ok_or_else(|| SbomError::Model("the serial number is missing from the document".to_owned()))?;
    if let Some(slot) = out.get_mut(at..at + placeholder.len()) {
        slot.copy_from_slice(serial.hyphenated().to_string().as_bytes());
    }
    Ok(out)
}

/// The first position of `needle` in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn model_error(e: impl std::fmt::Display) -> SbomError {
    SbomError::Model(e.to_string())
}

/// The JSON document for `spec`, from the crate's 1.5 writer: `$schema` first, `specVersion`
/// set, and for 1.6 `authors` objects instead of the deprecated `author` string.
fn json(bom: Bom, spec: SpecVersion, authors: &BTreeMap<String, Vec<String>>) -> Result<Vec<u8>, SbomError> {
    let mut out = Vec::with_capacity(1 << 20);
    out.extend_from_slice(b"{\n  \"$schema\": \"http://cyclonedx.org/schema/bom-");
    out.extend_from_slice(spec.as_str().as_bytes());
    out.extend_from_slice(b".schema.json\",");
    let body_at = out.len();
    bom.output_as_json_v1_5(&mut out).map_err(model_error)?;
    if authors.is_empty() {
        // Fast path: the crate's pretty output starts with `{` and writes `specVersion` near the
        // top, before any user data; splice `$schema` in and set the version.
        let body = out.get(body_at..).unwrap_or_default();
        let version_at = find(body, b"\"specVersion\": \"1.5\"");
        if body.first() == Some(&b'{')
            && let Some(v) = version_at
        {
            let v = body_at + v + b"\"specVersion\": \"".len();
            if let Some(slot) = out.get_mut(v..v + 3) {
                slot.copy_from_slice(spec.as_str().as_bytes());
            }
            out.remove(body_at);
            out.push(b'\n');
            return Ok(out);
        }
    }
    let value: Value = serde_json::from_slice(out.get(body_at..).unwrap_or_default()).map_err(model_error)?;
    let Value::Object(body) = value else {
        return Err(SbomError::Model("the CycloneDX writer did not produce an object".to_owned()));
    };
    let mut doc = serde_json::Map::new();
    doc.insert(
        "$schema".to_owned(),
        Value::String(format!("http://cyclonedx.org/schema/bom-{}.schema.json", spec.as_str())),
    );
    for (k, v) in body {
        if k == "specVersion" {
            doc.insert(k, Value::String(spec.as_str().to_owned()));
        } else {
            doc.insert(k, v);
        }
    }
    if !authors.is_empty() {
        let patch = |c: &mut Value| {
            let Some(obj) = c.as_object_mut() else { return };
            let Some(list) = obj.get("bom-ref").and_then(Value::as_str).and_then(|r| authors.get(r)) else { return };
            let list = list.iter().map(|a| contact(a)).collect();
            obj.remove("author");
            obj.insert("authors".to_owned(), Value::Array(list));
        };
        if let Some(c) = doc.get_mut("metadata").and_then(|m| m.get_mut("component")) {
            patch(c);
        }
        if let Some(Value::Array(cs)) = doc.get_mut("components") {
            cs.iter_mut().for_each(patch);
        }
    }
    out.clear();
    serde_json::to_writer_pretty(&mut out, &Value::Object(doc)).map_err(model_error)?;
    out.push(b'\n');
    Ok(out)
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

fn xml(bom: Bom, spec: SpecVersion) -> Result<Vec<u8>, SbomError> {
    let mut out = Vec::with_capacity(1 << 20);
    bom.output_as_xml_v1_5(&mut out).map_err(model_error)?;
    let mut text = String::from_utf8(out).map_err(model_error)?;
    if spec == SpecVersion::V1_6 {
        text = text.replacen("http://cyclonedx.org/schema/bom/1.5", "http://cyclonedx.org/schema/bom/1.6", 1);
    }
    text.push('\n');
    Ok(text.into_bytes())
}

fn authors_by_ref(graph: &Graph) -> BTreeMap<String, Vec<String>> {
    graph
        .nodes
        .iter()
        .chain(graph.root.node.as_ref())
        .filter(|n| !n.package.meta.authors.is_empty())
        .map(|n| (n.id.clone(), n.package.meta.authors.clone()))
        .collect()
}

fn build(graph: &Graph, options: &SbomOptions) -> Result<Bom, SbomError> {
    let components: Vec<Component> = graph.nodes.iter().map(component).collect();
    let root = root_component(&graph.root);

    let mut dependencies: Vec<Dependency> = graph
        .nodes
        .iter()
        .map(|n| Dependency { dependency_ref: n.id.clone(), dependencies: n.depends_on.iter().cloned().collect() })
        .collect();
    dependencies.push(Dependency {
        dependency_ref: graph.root.id.clone(),
        dependencies: graph.root.depends_on.iter().cloned().collect(),
    });
    dependencies.sort_by(|a, b| a.dependency_ref.cmp(&b.dependency_ref));

    let mut all_refs: Vec<_> = graph.nodes.iter().map(|n| n.id.clone()).collect();
    all_refs.push(graph.root.id.clone());
    all_refs.sort();
    let compositions = if options.missing.is_empty() {
        vec![Composition {
            bom_ref: None,
            aggregate: AggregateType::Complete,
            assemblies: None,
            dependencies: Some(all_refs.into_iter().map(cyclonedx_bom::models::bom::BomReference::new).collect()),
            vulnerabilities: None,
            signature: None,
        }]
    } else {
        // What was read is complete; the root's graph is not: some lockfiles are missing.
        let node_refs: Vec<_> =
            graph.nodes.iter().map(|n| cyclonedx_bom::models::bom::BomReference::new(&n.id)).collect();
        let mut c = Vec::new();
        if !node_refs.is_empty() {
            c.push(Composition {
                bom_ref: None,
                aggregate: AggregateType::Complete,
                assemblies: None,
                dependencies: Some(node_refs),
                vulnerabilities: None,
                signature: None,
            });
        }
        c.push(Composition {
            bom_ref: None,
            aggregate: AggregateType::Incomplete,
            assemblies: None,
            dependencies: Some(vec![cyclonedx_bom::models::bom::BomReference::new(&graph.root.id)]),
            vulnerabilities: None,
            signature: None,
        });
        c
    };

    let mut meta_props: Vec<Property> = options
        .missing
        .iter()
        .map(|(path, reason)| Property::new("chainward:missing", &format!("{path}: {reason}")))
        .collect();
    meta_props.sort_by(|a, b| (&a.name, a.value.to_string()).cmp(&(&b.name, b.value.to_string())));

    let timestamp = match &options.timestamp {
        Some(t) => Some(DateTime::try_from(t.clone()).map_err(|e| SbomError::Model(e.to_string()))?),
        None => None,
    };

    Ok(Bom {
        version: 1,
        serial_number: None,
        metadata: Some(Metadata {
            timestamp,
            tools: Some(Tools::Object { services: None, components: Some(Components(vec![tool_component()])) }),
            authors: None,
            component: Some(root),
            manufacture: None,
            supplier: None,
            licenses: None,
            properties: (!meta_props.is_empty()).then_some(Properties(meta_props)),
            lifecycles: Some(Lifecycles(vec![Lifecycle::Phase(Phase::PreBuild)])),
        }),
        components: Some(Components(components)),
        services: None,
        external_references: None,
        dependencies: Some(Dependencies(dependencies)),
        compositions: Some(Compositions(compositions)),
        properties: None,
        vulnerabilities: None,
        signature: None,
        annotations: None,
        formulation: None,
        spec_version: cyclonedx_bom::models::bom::SpecVersion::V1_5,
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
    });
    c.hashes = p.checksum.as_ref().map(|Checksum::Sha256(hex)| {
        Hashes(vec![Hash { alg: HashAlgorithm::SHA_256, content: HashValue(hex.clone()) }])
    });
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
    props.sort();
    props.into_iter().map(|(k, v)| Property::new(k, &v)).collect()
}
