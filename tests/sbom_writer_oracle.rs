//! The direct JSON writer (`render_to_with_vex`) against the `cyclonedx-bom` model path
//! (`render_to_with_vex_via_model`, the oracle): byte-identical documents for every testdata
//! project and lockfile and every `../shared/corpus` project (all ecosystems), CycloneDX 1.5 and
//! 1.6, deterministic or not, with and without a VEX and the metadata properties; and for a
//! graph made to hold every field the writer knows, with hostile text in each.

// Test helpers fail loudly on unexpected input: that is how a test reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chainward::compiled::{Compiled, Status};
use chainward::discover::Excludes;
use chainward::finding::Finding;
use chainward::model::package::{DependencyKind, GitReference, PackageMeta};
use chainward::model::{Checksum, Graph, PackageSource, Scope};
use chainward::report::Suppression;
use chainward::resolve::ResolveOptions;
use chainward::sbom::{SbomFormat, SbomOptions, SpecVersion, render_to_with_vex, render_to_with_vex_via_model, vex};
use serde_json::Value;

/// The graph of `path` (a directory or one lockfile), with the files that could not be read
/// (as `--allow-partial` names them); `None` when nothing can be opened.
fn graph_of(path: &Path) -> Option<(Graph, Vec<(String, String)>)> {
    let source = chainward::source::open(path).ok()?;
    let resolution =
        chainward::resolve::work_tree(&source, &Excludes::new(&[]).unwrap(), &ResolveOptions::default()).ok()?;
    let missing = resolution.errors.iter().map(|e| (e.path.clone(), e.kind.to_string())).collect();
    Some((Graph::merge(resolution.resolved, &resolution.name), missing))
}

/// A finding whose summary ends in a bidi override (written escaped by both writers).
fn with_bidi(mut f: Finding) -> Finding {
    f.summary.push_str(" \u{202e}");
    f
}

/// A VEX over some of `graph`'s packages: active, silenced for good, silenced until a date,
/// and one for a package that is not in the graph.
fn vulnerabilities(graph: &Graph) -> Vec<Value> {
    let mut active = vec![with_bidi(common::finding("RUSTSEC-2099-0002", "gone", "1.0.0", None))];
    let mut suppressed = Vec::new();
    for (i, node) in graph.nodes.iter().take(3).enumerate() {
        let p = &node.package;
        let mut f =
            with_bidi(common::finding(&format!("RUSTSEC-2099-010{i}"), &p.name, &p.version, node.purl.as_deref()));
        if i == 0 {
            active.push(f);
        } else {
            f.suppression = Some(Suppression {
                reason: "not \u{1b}[31mreachable\n::x".to_owned(),
                until: (i == 2).then(|| "2099-01-01".to_owned()),
                source: "chainward.toml:1".to_owned(),
            });
            suppressed.push(f);
        }
    }
    vex::vulnerabilities(graph, &active, &suppressed)
}

/// Mask the serial number (random: a UUIDv4; deterministic: a UUIDv5 of the content) so that two
/// documents can be compared.
fn masked(doc: &[u8], deterministic: bool) -> String {
    let text = String::from_utf8(doc.to_vec()).unwrap();
    let key = "\"serialNumber\": \"urn:uuid:";
    let at = text.find(key).expect("a serial number") + key.len();
    let serial = &text[at..at + 36];
    let version = if deterministic { b'5' } else { b'4' };
    assert_eq!(serial.as_bytes()[14], version, "{serial}");
    format!("{}{}{}", &text[..at], "0".repeat(36), &text[at + 36..])
}

/// Every variant of the document for `graph`, through both writers: the same bytes.
fn assert_same(what: &str, graph: &Graph, missing: &[(String, String)]) {
    let vex = vulnerabilities(graph);
    for spec in [SpecVersion::V1_5, SpecVersion::V1_6] {
        for deterministic in [true, false] {
            for with_vex in [false, true] {
                let options = SbomOptions {
                    spec,
                    format: SbomFormat::Json,
                    timestamp: deterministic.then(|| "2024-01-01T00:00:00Z".to_owned()),
                    deterministic,
                    missing: if with_vex { missing.to_vec() } else { Vec::new() },
                    properties: if with_vex {
                        vec![
                            ("chainward:git-revision".to_owned(), "HEAD\n~1\t\u{202e}".to_owned()),
                            ("chainward:git-commit".to_owned(), "0123abc".to_owned()),
                        ]
                    } else {
                        Vec::new()
                    },
                };
                let vulnerabilities = if with_vex { vex.as_slice() } else { &[] };
                let mut direct = Vec::new();
                render_to_with_vex(graph, &options, vulnerabilities, &mut direct).unwrap();
                let mut model = Vec::new();
                render_to_with_vex_via_model(graph, &options, vulnerabilities, &mut model).unwrap();
                let label = format!("{what}: {spec:?} deterministic={deterministic} vex={with_vex}");
                // Deterministic: the same bytes, serial number included. Random: the same bytes
                // but for the serial number.
                let same =
                    if deterministic { direct == model } else { masked(&direct, false) == masked(&model, false) };
                if !same {
                    // Where the content differs (a deterministic serial differs with it).
                    let (direct, model) = (masked(&direct, deterministic), masked(&model, deterministic));
                    report_difference(&label, direct.as_bytes(), model.as_bytes());
                }
            }
        }
    }
}

fn report_difference(label: &str, direct: &[u8], model: &[u8]) -> ! {
    let at = direct.iter().zip(model).position(|(a, b)| a != b).unwrap_or(direct.len().min(model.len()));
    let from = at.saturating_sub(300);
    panic!(
        "{label}: the direct writer differs from the model at byte {at} ({} vs {} bytes)\n--- direct:\n{}\n--- model:\n{}",
        direct.len(),
        model.len(),
        String::from_utf8_lossy(&direct[from..(at + 300).min(direct.len())]),
        String::from_utf8_lossy(&model[from..(at + 300).min(model.len())]),
    );
}

/// Every directory under `dir`, itself included.
fn paths_under(dir: &Path, out: &mut Vec<PathBuf>) {
    out.push(dir.to_path_buf());
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            paths_under(&path, out);
        }
    }
}

#[test]
fn testdata_projects_and_lockfiles_give_the_same_bytes() {
    let testdata = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
    let mut paths = Vec::new();
    paths_under(&testdata, &mut paths);
    // Each Cargo fixture on its own too (one lockfile per edge case).
    let mut lockfiles: Vec<PathBuf> = std::fs::read_dir(testdata.join("lockfiles/cargo"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "lock"))
        .collect();
    lockfiles.sort();
    paths.extend(lockfiles);
    let mut rendered = 0;
    for path in &paths {
        let Some((graph, missing)) = graph_of(path) else { continue };
        assert_same(&path.display().to_string(), &graph, &missing);
        rendered += 1;
    }
    assert!(rendered > 50, "only {rendered} testdata paths rendered");
}

#[test]
fn every_corpus_project_gives_the_same_bytes() {
    let Some(shared) = common::shared_dir() else { return };
    let mut rendered = BTreeSet::new();
    for ecosystem in ["cargo", "npm", "pypi", "go", "packagist", "rubygems"] {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(shared.join("corpus").join(ecosystem))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort();
        for dir in dirs {
            let Some((graph, missing)) = graph_of(&dir) else { continue };
            if graph.nodes.is_empty() {
                continue;
            }
            assert_same(&dir.display().to_string(), &graph, &missing);
            rendered.insert(ecosystem);
        }
    }
    assert_eq!(rendered.len(), 6, "every ecosystem's corpus rendered: {rendered:?}");
}

/// A graph with every field the writer knows, each holding text that needs escaping or
/// normalising: authors in each form, descriptions, SPDX and named licenses, git and tarball
/// sources, every external reference (and a URL the model drops), every property, every hash,
/// every scope, and a root that is a package with authors.
#[test]
fn every_field_and_hostile_text_give_the_same_bytes() {
    let ws = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/projects/workspace");
    let (mut graph, _) = graph_of(&ws).unwrap();
    assert!(graph.nodes.len() >= 5);
    let hostile = "q\"b\\s/ \u{0}\u{8}\u{c}\u{1b}[31m \u{7f}\u{9b} \u{202e}rtl \u{2028} \u{e0041} ü 😀";
    let licenses =
        ["MIT/Apache-2.0", "MIT OR Apache-2.0", "Apache-2.0 WITH LLVM-exception", "Some custom\tlicense", hostile];
    let authors: [&[&str]; 4] = [
        &["Jane Doe <jane@example.com>", "<anon@example.com>", "Plain Name", "Bad <not an email>"],
        &["  Spaced   <s@example.com>", "Tab\tName <t@example.com>", "x <a b@c>", hostile],
        &["Only <only@x.org>"],
        &[],
    ];
    for (i, node) in graph.nodes.iter_mut().enumerate() {
        let p = &mut node.package;
        p.name = format!("{}\r\n{hostile}", p.name);
        p.version = if i == 1 { String::new() } else { format!("{}\t", p.version) };
        *p.meta = PackageMeta {
            license: Some(licenses[i % licenses.len()].to_owned()),
            description: (i % 2 == 0).then(|| format!("line one\r\nline two\rthree\nfour\t{hostile}")),
            authors: authors[i % authors.len()].iter().map(|s| (*s).to_owned()).collect(),
            repository: Some(if i % 3 == 0 { "https://github.com/o/r".to_owned() } else { "not a url".to_owned() }),
            homepage: (i % 2 == 1).then(|| format!("https://example.com/{i}?q=\"x\"")),
            documentation: Some("https://docs.rs/x".to_owned()),
        };
        p.scope = [Some(Scope::Required), Some(Scope::Optional), Some(Scope::Excluded), None][i % 4];
        p.checksums = vec![
            Checksum::Sha1("a".repeat(40)),
            Checksum::Sha256("b".repeat(64)),
            Checksum::Sha384("c".repeat(96)),
            Checksum::Sha512("d".repeat(128)),
        ]
        .into_iter()
        .skip(i % 5)
        .collect();
        p.source = match i % 4 {
            0 => PackageSource::Git {
                url: "https://github.com/o/r".to_owned(),
                reference: Some(GitReference::Branch(format!("main{hostile}"))),
                commit: Some("0123abcd".to_owned()),
            },
            1 => PackageSource::Git { url: "https://github.com/o/r2".to_owned(), reference: None, commit: None },
            2 => PackageSource::Tarball { url: "https://example.com/x.tgz".to_owned() },
            _ => PackageSource::Registry {
                url: "https://my.registry/\u{202e}".to_owned(),
                sparse: true,
                default_registry: false,
            },
        };
        p.alias = Some(format!("alias\n{i}"));
        p.install_script = Some(i % 2 == 0);
        p.bundled = i % 2 == 1;
        p.platform = Some("linux\tx64".to_owned());
        p.groups = vec!["dev".to_owned(), format!("group {hostile}")];
        p.unpinned = (i == 2).then(|| ">=2\n".to_owned());
        p.reached_by = [DependencyKind::Build, DependencyKind::Dev].into_iter().take(i % 3).collect();
        p.compiled = Some(Compiled {
            status: [Status::Runtime, Status::Build, Status::Dev, Status::No][i % 4],
            reason: (i % 2 == 0).then(|| format!("feature x of y {hostile}")),
        });
        p.first_party = i % 3 == 1;
        node.lockfiles.insert(format!("sub/{hostile}/Cargo.lock"), None);
    }
    // The root as a package with authors (1.6: `authors` objects in `metadata.component`).
    let mut root = graph.nodes[0].clone();
    root.package.meta.authors = vec!["Root Author <root@example.com>".to_owned(), hostile.to_owned()];
    graph.root.id.clone_from(&root.id);
    graph.root.node = Some(root);
    let missing = vec![(format!("a/{hostile}/Cargo.lock"), "cannot parse\nat line 3".to_owned())];
    assert_same("every field", &graph, &missing);

    // A root that is not a package, with a version and odd text.
    graph.root.node = None;
    graph.root.name = format!("root\t{hostile}");
    graph.root.version = Some("1.0\r\n".to_owned());
    assert_same("synthetic root", &graph, &missing);

    // No packages at all; the root depends on nothing.
    let empty = Graph::merge(Vec::new(), "empty \u{202e}");
    assert_same("empty graph", &empty, &[]);
    // Nothing complete: only the root, incomplete.
    assert_same("empty graph, a file missing", &empty, &missing);
}

/// An invalid timestamp is the same error, and nothing is written.
#[test]
fn an_invalid_timestamp_is_the_same_error() {
    let graph = Graph::merge(Vec::new(), "x");
    let options = SbomOptions {
        spec: SpecVersion::V1_6,
        format: SbomFormat::Json,
        timestamp: Some("yesterday".to_owned()),
        deterministic: false,
        missing: Vec::new(),
        properties: Vec::new(),
    };
    let (mut direct, mut model) = (Vec::new(), Vec::new());
    let direct_error = render_to_with_vex(&graph, &options, &[], &mut direct).unwrap_err().to_string();
    let model_error = render_to_with_vex_via_model(&graph, &options, &[], &mut model).unwrap_err().to_string();
    assert_eq!(direct_error, model_error);
    assert!(direct.is_empty() && model.is_empty());
}

/// bom-refs, purls, `dependsOn`, the root's reference and property names holding hostile text
/// (the tests above change names after the merge, so ids and purls there stay plain): the same
/// bytes from both writers, and valid JSON.
#[test]
fn hostile_ids_and_purls_give_the_same_bytes() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/projects/workspace");
    let (mut graph, _) = graph_of(&dir).expect("the workspace fixture resolves");
    let hostile = "q\"b\\s/ \u{0}\u{8}\u{c}\u{1b}[31m \u{7f}\u{9b} \u{202e}rtl \u{2028} \u{e0041} ü 😀\r\n\t";
    for n in &mut graph.nodes {
        n.purl = Some(format!("pkg:cargo/x{hostile}@1"));
        n.id = format!("{}{hostile}", n.id);
        n.depends_on = n.depends_on.iter().map(|d| format!("{d}{hostile}")).collect();
    }
    graph.root.id = format!("root{hostile}");
    for spec in [SpecVersion::V1_5, SpecVersion::V1_6] {
        let options = SbomOptions {
            spec,
            format: SbomFormat::Json,
            timestamp: Some("2024-01-01T00:00:00Z".to_owned()),
            deterministic: true,
            missing: Vec::new(),
            properties: vec![(format!("name{hostile}"), "v".to_owned())],
        };
        let (mut direct, mut model) = (Vec::new(), Vec::new());
        render_to_with_vex(&graph, &options, &[], &mut direct).unwrap();
        render_to_with_vex_via_model(&graph, &options, &[], &mut model).unwrap();
        if direct != model {
            report_difference(&format!("hostile ids, {spec:?}"), &direct, &model);
        }
        serde_json::from_slice::<Value>(&direct).expect("valid JSON");
    }
}
