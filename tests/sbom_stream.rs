//! `sbom::render_to` streams: the document reaches the writer in pieces of bounded size while it
//! is being built (never as one buffer of the whole document), and is the same document
//! `render` returns.

// Test helpers fail loudly on unexpected input: that is how a test reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::fmt::Write as _;
use std::io::Write;

use chainward::discover::Excludes;
use chainward::model::Graph;
use chainward::report::Suppression;
use chainward::resolve::ResolveOptions;
use chainward::sbom::{SbomFormat, SbomOptions, SpecVersion, render, render_to, render_to_with_vex, vex};
use serde_json::Value;

/// Records the size of every write.
#[derive(Default)]
struct Recorder {
    bytes: Vec<u8>,
    writes: usize,
    largest: usize,
}

impl Write for Recorder {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.writes += 1;
        self.largest = self.largest.max(buf.len());
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A lockfile of `n` crates.io packages, each depending on the next two.
fn big_graph(n: usize) -> (tempfile::TempDir, Graph) {
    let dir = tempfile::tempdir().unwrap();
    let mut lock = String::from(
        "version = 4\n\n[[package]]\nname = \"big-root\"\nversion = \"0.1.0\"\ndependencies = [\"pkg-0\"]\n\n",
    );
    for i in 0..n {
        let _ = write!(
            lock,
            "[[package]]\nname = \"pkg-{i}\"\nversion = \"1.{}.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{:064x}\"\n",
            i % 7,
            i
        );
        let deps: Vec<String> =
            [2 * i + 1, 2 * i + 2].iter().filter(|&&d| d < n).map(|d| format!("\"pkg-{d}\"")).collect();
        if !deps.is_empty() {
            let _ = writeln!(lock, "dependencies = [{}]", deps.join(", "));
        }
        lock.push('\n');
    }
    std::fs::write(dir.path().join("Cargo.lock"), lock).unwrap();
    let source = chainward::source::open(dir.path()).unwrap();
    let resolution =
        chainward::resolve::work_tree(&source, &Excludes::new(&[]).unwrap(), &ResolveOptions::default()).unwrap();
    assert!(resolution.errors.is_empty(), "{:?}", resolution.errors);
    let graph = Graph::merge(resolution.resolved, &resolution.name);
    (dir, graph)
}

#[test]
fn the_document_is_written_in_bounded_pieces() {
    let (_dir, graph) = big_graph(2_000);
    assert_eq!(graph.nodes.len(), 2_001, "the packages and `big-root` (no manifest: the root is the workspace)");
    for format in [SbomFormat::Json, SbomFormat::Xml] {
        for spec in [SpecVersion::V1_5, SpecVersion::V1_6] {
            let options = SbomOptions {
                spec,
                format,
                timestamp: Some("2024-01-01T00:00:00Z".to_owned()),
                deterministic: true,
                missing: Vec::new(),
                properties: Vec::new(),
            };
            let mut out = Recorder::default();
            render_to(&graph, &options, &mut out).unwrap();
            assert!(out.bytes.len() > 500_000, "{format:?}: {} bytes", out.bytes.len());
            // The writer's buffer (64 KiB) is the largest piece: nothing holds the document.
            assert!(out.largest <= 1 << 16, "{format:?} {spec:?}: a write of {} bytes", out.largest);
            assert!(out.writes >= out.bytes.len() / (1 << 16), "{format:?} {spec:?}: {} writes", out.writes);
            // The same document `render` gives, serial number included (deterministic).
            assert_eq!(out.bytes, render(&graph, &options).unwrap(), "{format:?} {spec:?}");
            match format {
                SbomFormat::Json => {
                    let doc: serde_json::Value = serde_json::from_slice(&out.bytes).unwrap();
                    assert_eq!(doc["components"].as_array().unwrap().len(), 2_001);
                    assert_eq!(doc["dependencies"].as_array().unwrap().len(), 2_002);
                    common::validate_cyclonedx(&doc, spec.as_str()).unwrap();
                }
                SbomFormat::Xml => {
                    common::validate_cyclonedx_xml(&out.bytes, spec.as_str()).unwrap();
                }
            }
        }
    }
}

/// The streamed VEX is the one `vex::add_vulnerabilities` adds to a rendered document.
#[test]
fn a_streamed_vex_is_the_vex_added_to_the_document() {
    let ws = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/projects/workspace");
    let source = chainward::source::open(&ws).unwrap();
    let resolution =
        chainward::resolve::work_tree(&source, &Excludes::new(&[]).unwrap(), &ResolveOptions::default()).unwrap();
    let graph = Graph::merge(resolution.resolved, &resolution.name);
    let active = vec![
        common::finding("RUSTSEC-2099-0001", "itoa", "1.0.18", Some("pkg:cargo/itoa@1.0.18")),
        common::finding("RUSTSEC-2099-0002", "gone", "1.0.0", None),
    ];
    let mut ignored = common::finding("RUSTSEC-2099-0003", "hex", "0.4.3", None);
    ignored.suppression =
        Some(Suppression { reason: "not reachable".to_owned(), until: None, source: "chainward.toml:1".to_owned() });
    let suppressed = vec![ignored];
    let options = SbomOptions {
        spec: SpecVersion::V1_6,
        format: SbomFormat::Json,
        timestamp: Some("2024-01-01T00:00:00Z".to_owned()),
        deterministic: true,
        missing: Vec::new(),
        properties: Vec::new(),
    };
    let mut added: Value = serde_json::from_slice(&render(&graph, &options).unwrap()).unwrap();
    vex::add_vulnerabilities(&mut added, &active, &suppressed);
    let vulnerabilities = vex::vulnerabilities(&graph, &active, &suppressed);
    let mut out = Vec::new();
    render_to_with_vex(&graph, &options, &vulnerabilities, &mut out).unwrap();
    let mut streamed: Value = serde_json::from_slice(&out).unwrap();
    common::validate_cyclonedx(&streamed, "1.6").unwrap();
    let affects: Vec<&Value> = streamed["vulnerabilities"].as_array().unwrap().iter().map(|v| &v["affects"]).collect();
    assert_eq!(affects[0][0]["ref"], "pkg:cargo/itoa@1.0.18");
    assert!(affects[1].is_null(), "a package that is not a component: {affects:?}");
    assert_eq!(affects[2][0]["ref"], "pkg:cargo/hex@0.4.3");
    // The serial covers the vulnerabilities; everything else is the same document.
    assert_ne!(streamed["serialNumber"], added["serialNumber"]);
    streamed["serialNumber"] = Value::Null;
    added["serialNumber"] = Value::Null;
    assert_eq!(streamed, added);

    let xml = SbomOptions { format: SbomFormat::Xml, ..options };
    let mut out = Vec::new();
    assert!(render_to_with_vex(&graph, &xml, &vulnerabilities, &mut out).is_err());
    assert!(out.is_empty());
}
