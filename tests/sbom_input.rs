//! `chainward scan SBOM`: what an SBOM chainward does not fully understand does (it never scans
//! as clean), which encodings and layouts are read, and crates.io named as a purl's
//! `repository_url`. Advisories: the hand-written `testdata/advisories/diff` records (the
//! fictional crate `vulnold` below 2.0.0 is affected).

// Test helpers fail loudly on unexpected input: that is how a test reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use chainward::sbom::input::{self, MAX_PROBLEMS};
use serde_json::Value;

fn db() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/advisories/diff").display().to_string()
}

fn scan(sbom: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chainward"))
        .args(["scan", sbom.to_str().unwrap(), "--no-registry", "--db", &db(), "--format", "json"])
        .env("CHAINWARD_CACHE_DIR", Path::new(env!("CARGO_TARGET_TMPDIR")).join("chainward-cache"))
        .output()
        .expect("run chainward")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn report(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(out)))
}

fn ids(report: &Value) -> Vec<String> {
    report["findings"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().to_owned()).collect()
}

const VULNOLD: &str = r#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [
    {"type": "library", "name": "vulnold", "version": "1.0.0", "purl": "pkg:cargo/vulnold@1.0.0"}]}"#;

#[test]
fn a_readable_sbom_is_scanned() {
    let dir = tempfile::tempdir().unwrap();
    let out = scan(&write(dir.path(), "bom.json", VULNOLD.as_bytes()));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(ids(&report(&out)), ["CHAINWARD-TEST-0001"]);
}

/// Before: each of these scanned as "0 packages, no advisories", exit 0.
#[test]
fn an_sbom_nothing_can_be_matched_from_is_an_error_not_a_clean_scan() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("components-object", r#"{"a": {"purl": "pkg:cargo/vulnold@1.0.0"}}"#, "0 components: 1 not understood"),
        ("components-strings", r#"["pkg:cargo/vulnold@1.0.0"]"#, "1 component: 1 not understood"),
        ("purl-object", r#"[{"name": "vulnold", "purl": {"type": "cargo", "name": "vulnold"}}]"#, "1 not understood"),
        ("no-purls", r#"[{"name": "vulnold", "version": "1.0.0"}, {"name": "x"}]"#, "2 components: 2 without a purl"),
        (
            "other-ecosystems",
            r#"[{"name": "openssl", "purl": "pkg:deb/debian/openssl@3.0.11"}]"#,
            "chainward does not match",
        ),
        ("empty", "[]", "the SBOM lists no components"),
    ];
    for (name, components, says) in cases {
        let doc = format!(r#"{{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": {components}}}"#);
        let out = scan(&write(dir.path(), &format!("{name}.json"), doc.as_bytes()));
        assert_eq!(out.status.code(), Some(2), "{name}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains("nothing to scan") && err.contains(says), "{name}: {err}");
    }
}

#[test]
fn what_is_not_understood_is_counted_and_described() {
    let doc = br#"{"bomFormat": "CycloneDX", "specVersion": "1.5",
        "metadata": {"component": {"name": "app", "components": [
            {"name": "inner", "purl": "pkg:npm/%40scope/inner@1.0.0"}]}},
        "components": [
            {"name": "vulnold", "purl": "pkg:cargo/vulnold@1.0.0", "components": [
                {"name": "evil\u001b[31m", "version": "1"},
                "a string",
                {"name": "p", "purl": {"type": "cargo"}},
                {"name": "bad", "purl": "pkg:"},
                {"name": "alt", "purl": "pkg:cargo/alt@1.0.0?repository_url=https://my.example/index"}]},
            {"name": "nested-object", "purl": "pkg:pypi/x@1.0", "components": {"not": "an array"}}]}"#;
    let input = input::parse("bom.json", doc).unwrap();
    assert_eq!(input.packages.len(), 3, "{:?}", input.packages);
    // metadata.component (no purl: not counted as without_purl), its child, 2 + 5 components.
    assert_eq!(input.components, 9);
    assert_eq!(input.matched, 3);
    assert_eq!(input.without_purl, 1);
    assert_eq!(input.unsupported, 1);
    // a string, a purl object, an invalid purl, a `components` object.
    assert_eq!(input.malformed, 4);
    assert_eq!(
        input.problems,
        [
            "bom.json: components[0].components[0]: no purl: not matched (`evil\\u{1b}[31m 1`)",
            "bom.json: components[0].components[1]: expected a component object, found a string",
            "bom.json: components[0].components[2]: `purl` is an object, not a string (`p`)",
            "bom.json: components[0].components[3]: `pkg:` is not a valid purl (Missing required field package type)",
            "bom.json: components[0].components[4]: `pkg:cargo/alt@1.0.0?repository_url=https://my.example/index` not \
             matched: a package of another Cargo registry (`repository_url`), not the crates.io crate of that name",
            "bom.json: components[1].components: expected an array of components, found an object",
        ],
    );
    assert_eq!(
        input.summary("bom.json").unwrap(),
        "bom.json: 6 of 9 components not matched: 1 without a purl, 1 with a purl chainward does not match, 4 not \
         understood"
    );
    assert_eq!(input.notes("bom.json").len(), 7);
}

#[test]
fn problems_are_capped_with_a_count() {
    let components: Vec<String> = (0..MAX_PROBLEMS + 30).map(|i| format!(r#"{{"name": "c{i}"}}"#)).collect();
    let doc = format!(
        r#"{{"bomFormat": "CycloneDX", "components": [{}, {{"name": "ok", "purl": "pkg:cargo/ok@1.0.0"}}]}}"#,
        components.join(",")
    );
    let input = input::parse("bom.json", doc.as_bytes()).unwrap();
    assert_eq!(input.without_purl, MAX_PROBLEMS + 30);
    assert_eq!(input.problems.len(), MAX_PROBLEMS + 1);
    assert_eq!(input.problems.last().unwrap(), "bom.json: and 30 more");

    // The error for an SBOM with nothing to match carries the same problems.
    let doc = format!(r#"{{"bomFormat": "CycloneDX", "components": [{}]}}"#, components.join(","));
    let err = input::parse("bom.json", doc.as_bytes()).unwrap_err();
    assert_eq!(err.problems.len(), MAX_PROBLEMS + 1);
    assert!(err.message.contains(&format!("{} components: {} without a purl", MAX_PROBLEMS + 30, MAX_PROBLEMS + 30)));
}

#[test]
fn deep_nesting_is_bounded_and_does_not_overflow_the_stack() {
    // Far deeper than serde_json's recursion limit: an error, not a crash.
    let depth = 100_000;
    let doc = format!(
        r#"{{"bomFormat": "CycloneDX", "components": [{}{}]}}"#,
        r#"{"name": "x", "components": ["#.repeat(depth),
        "]}".repeat(depth)
    );
    let err = input::parse("deep.json", doc.as_bytes()).unwrap_err();
    assert!(err.message.contains("invalid JSON"), "{}", err.message);
    // As deep as the parser allows: read, iteratively.
    let depth = 60;
    let doc = format!(
        r#"{{"bomFormat": "CycloneDX", "components": [{}{{"name": "leaf", "purl": "pkg:cargo/leaf@1.0.0"}}{}]}}"#,
        r#"{"name": "x", "purl": "pkg:cargo/x@1.0.0", "components": ["#.repeat(depth),
        "]}".repeat(depth)
    );
    let input = input::parse("deep.json", doc.as_bytes()).unwrap();
    assert_eq!(input.components, depth + 1);
    assert_eq!(input.packages.len(), 2);
}

/// Before: refused ("no lockfile found" / not detected as an SBOM).
#[test]
fn utf8_with_bom_and_utf16_sboms_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let mut le = vec![0xff, 0xfe];
    let mut be = vec![0xfe, 0xff];
    for u in VULNOLD.encode_utf16() {
        le.extend(u.to_le_bytes());
        be.extend(u.to_be_bytes());
    }
    let bom8 = [&[0xef, 0xbb, 0xbf][..], VULNOLD.as_bytes()].concat();
    for (name, bytes) in [("utf8-bom", bom8), ("utf16le", le), ("utf16be", be)] {
        let out = scan(&write(dir.path(), &format!("{name}.json"), &bytes));
        assert_eq!(out.status.code(), Some(1), "{name}: {}", stderr(&out));
        assert_eq!(ids(&report(&out)), ["CHAINWARD-TEST-0001"], "{name}");
    }
}

/// Before: `bomFormat` was looked for in the first 4096 bytes only.
#[test]
fn bom_format_after_the_components_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let padding: Vec<String> = (0..2_000)
        .map(|i| {
            format!(r#"{{"type": "library", "name": "pad{i}", "version": "1.0.0", "purl": "pkg:cargo/pad{i}@1.0.0"}}"#)
        })
        .collect();
    let doc = format!(
        r#"{{"components": [{}, {{"name": "vulnold", "purl": "pkg:cargo/vulnold@1.0.0"}}], "specVersion": "1.5", "bomFormat": "CycloneDX"}}"#,
        padding.join(",\n")
    );
    assert!(doc.len() > 100_000);
    let out = scan(&write(dir.path(), "late.json", doc.as_bytes()));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = report(&out);
    assert_eq!(ids(&report), ["CHAINWARD-TEST-0001"]);
    assert_eq!(report["summary"]["packages"], 2_001);
}

/// Before: skipped as "another registry".
#[test]
fn crates_io_as_repository_url_is_matched() {
    let dir = tempfile::tempdir().unwrap();
    for url in [
        "https://github.com/rust-lang/crates.io-index",
        "https://github.com/rust-lang/crates.io-index/",
        "sparse%2Bhttps://index.crates.io/",
        "https://index.crates.io",
        "https://index.crates.io/",
    ] {
        let doc = format!(
            r#"{{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [
                {{"name": "vulnold", "purl": "pkg:cargo/vulnold@1.0.0?repository_url={url}"}}]}}"#
        );
        let out = scan(&write(dir.path(), "bom.json", doc.as_bytes()));
        assert_eq!(out.status.code(), Some(1), "{url}: {}", stderr(&out));
        assert_eq!(ids(&report(&out)), ["CHAINWARD-TEST-0001"], "{url}");
        assert!(!stderr(&out).contains("ecosystems chainward does not match"), "{url}: {}", stderr(&out));
    }
}

// --- The dependency graph (`SbomInput::graph`) ---

fn fixture(name: &str) -> (Vec<u8>, Value) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/sbom").join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let doc = serde_json::from_slice(&bytes).unwrap();
    (bytes, doc)
}

/// The invariants every graph keeps: edge indices in range, sorted, unique, no self-loops; a
/// root in range.
fn check_graph(graph: &input::SbomGraph) {
    let len = graph.components.len();
    assert!(graph.root.is_none_or(|r| r < len), "root {:?} of {len}", graph.root);
    for &(from, to) in &graph.edges {
        assert!(from < len && to < len, "edge ({from}, {to}) of {len} components");
        assert_ne!(from, to, "self-loop");
    }
    assert!(graph.edges.is_sorted_by(|a, b| a < b), "edges not sorted and unique");
}

/// Every (ref, dependsOn) pair the document writes, as bom-refs.
fn pairs(doc: &Value) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    for entry in doc["dependencies"].as_array().unwrap() {
        let from = entry["ref"].as_str().unwrap();
        // chainward leaves `dependsOn` out when it is empty.
        for to in entry.get("dependsOn").map_or(&[][..], |d| d.as_array().unwrap()) {
            pairs.push((from.to_owned(), to.as_str().unwrap().to_owned()));
        }
    }
    pairs
}

/// The graph's edges as (bom-ref, bom-ref).
fn edge_refs(graph: &input::SbomGraph) -> Vec<(String, String)> {
    let r = |i: usize| graph.components[i].bom_ref.clone();
    graph.edges.iter().map(|&(from, to)| (r(from), r(to))).collect()
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
}

#[test]
fn cdxgen_npm_graph_is_read_through_bom_refs() {
    for name in ["cdxgen-npm-warehouse.cdx.json", "cdxgen-npm-mocha.cdx.json"] {
        let (bytes, doc) = fixture(name);
        let input = input::parse(name, &bytes).unwrap();
        let graph = &input.graph;
        check_graph(graph);
        assert!(graph.has_dependencies, "{name}");
        assert_eq!(graph.dangling, 0, "{name}: {:?}", input.problems);
        assert!(!input.problems.iter().any(|p| p.contains("bom-ref")), "{name}: {:?}", input.problems);
        // The root is metadata.component, first.
        assert_eq!(graph.root, Some(0), "{name}");
        let subject = &doc["metadata"]["component"];
        assert_eq!(graph.components[0].bom_ref, subject["bom-ref"].as_str().unwrap(), "{name}");
        assert_eq!(graph.components[0].name, subject["name"].as_str().unwrap(), "{name}");
        assert_eq!(graph.components.len(), doc["components"].as_array().unwrap().len() + 1, "{name}");
        // One edge per (ref, dependsOn) pair of the file (cdxgen writes no duplicates), the same ones.
        let pairs = pairs(&doc);
        assert!(pairs.len() > 30, "{name}: {}", pairs.len());
        assert_eq!(graph.edges.len(), pairs.len(), "{name}");
        assert_eq!(sorted(edge_refs(graph)), sorted(pairs), "{name}");
        // The root's edges are metadata.component's `dependsOn`.
        let direct = doc["dependencies"].as_array().unwrap().iter().find(|e| e["ref"] == subject["bom-ref"]).unwrap();
        let from_root = graph.edges.iter().filter(|(from, _)| *from == 0).count();
        assert_eq!(from_root, direct["dependsOn"].as_array().unwrap().len(), "{name}");
    }

    // Scoped packages: bom-ref `pkg:npm/@scope/x@v`, purl `pkg:npm/%40scope/x@v`; edges resolved.
    let (bytes, _) = fixture("cdxgen-npm-warehouse.cdx.json");
    let graph = input::parse("bom.json", &bytes).unwrap().graph;
    let index = |bom_ref: &str| graph.components.iter().position(|c| c.bom_ref == bom_ref).unwrap();
    let pdfkit = index("pkg:npm/@foliojs-fork/pdfkit@0.15.3");
    let fontkit = index("pkg:npm/@foliojs-fork/fontkit@1.9.2");
    let restructure = index("pkg:npm/@foliojs-fork/restructure@2.0.2");
    assert_eq!(graph.components[fontkit].purl.as_deref(), Some("pkg:npm/%40foliojs-fork/fontkit@1.9.2"));
    assert_eq!(
        graph.components[fontkit].package,
        Some((chainward::model::Ecosystem::Npm, "@foliojs-fork/fontkit".to_owned(), "1.9.2".to_owned()))
    );
    assert_eq!(
        (graph.components[fontkit].name.as_str(), graph.components[fontkit].version.as_str()),
        ("fontkit", "1.9.2")
    );
    assert!(graph.edges.binary_search(&(pdfkit, fontkit)).is_ok());
    assert!(graph.edges.binary_search(&(fontkit, restructure)).is_ok());
    let scoped = graph.components.iter().filter(|c| c.bom_ref.starts_with("pkg:npm/@")).count();
    assert!(scoped >= 10, "{scoped} scoped components");
}

#[test]
fn chainward_sbom_graph_is_as_written() {
    let (bytes, doc) = fixture("chainward-cargo-ripgrep.cdx.json");
    let input = input::parse("bom.json", &bytes).unwrap();
    let graph = &input.graph;
    check_graph(graph);
    assert!(graph.has_dependencies);
    assert_eq!(graph.dangling, 0);
    assert_eq!(graph.root, Some(0));
    let root = &graph.components[0];
    assert_eq!(
        (root.bom_ref.as_str(), root.name.as_str(), root.version.as_str()),
        ("path:.#ripgrep@14.1.1", "ripgrep", "14.1.1")
    );
    assert_eq!(root.scope.as_deref(), Some("required"));
    assert_eq!((root.purl.as_ref(), root.package.as_ref()), (None, None));
    // The components as written: metadata.component, then `components` in order.
    let written: Vec<&str> = std::iter::once(&doc["metadata"]["component"])
        .chain(doc["components"].as_array().unwrap())
        .map(|c| c["bom-ref"].as_str().unwrap())
        .collect();
    assert_eq!(graph.components.iter().map(|c| c.bom_ref.as_str()).collect::<Vec<_>>(), written);
    // The edges as written: 143 pairs, the root's 13 direct dependencies among them.
    assert_eq!(sorted(edge_refs(graph)), sorted(pairs(&doc)));
    assert_eq!(graph.edges.len(), 143);
    assert_eq!(graph.edges.iter().filter(|(from, _)| *from == 0).count(), 13);
    // A workspace path crate: no purl, not a package; a crates.io crate: its purl and package.
    let globset = graph.components.iter().find(|c| c.bom_ref == "path:.#globset@0.4.16").unwrap();
    assert_eq!((globset.purl.as_ref(), globset.package.as_ref()), (None, None));
    let memchr = graph.components.iter().find(|c| c.name == "memchr").unwrap();
    assert_eq!(memchr.bom_ref, "pkg:cargo/memchr@2.7.5");
    assert_eq!(memchr.package, Some((chainward::model::Ecosystem::Cargo, "memchr".to_owned(), "2.7.5".to_owned())));
}

/// cdxgen's cargo SBOM lists `metadata.component` in `components` too, with the same bom-ref.
#[test]
fn cdxgen_cargo_graph_root_keeps_its_bom_ref() {
    let (bytes, doc) = fixture("cdxgen-cargo-ripgrep.cdx.json");
    let input = input::parse("bom.json", &bytes).unwrap();
    let graph = &input.graph;
    check_graph(graph);
    assert_eq!(graph.root, Some(0));
    // cdxgen lists the metadata component again in `components`: it is one component, and
    // that is no problem worth a warning.
    assert_eq!(graph.components.len(), 68);
    let copies = graph.components.iter().filter(|c| c.bom_ref == "pkg:cargo/ripgrep@14.1.1").count();
    assert_eq!(copies, 1);
    assert!(input.problems.iter().all(|p| !p.contains("duplicate bom-ref")), "{:?}", input.problems);
    assert_eq!(graph.edges.iter().filter(|(from, _)| *from == 0).count(), 13);
    assert_eq!(graph.edges.len(), pairs(&doc).len());
    assert_eq!(graph.dangling, 0);
}

const GRAPH_DOC: &str = r#"{"bomFormat": "CycloneDX", "specVersion": "1.6",
    "metadata": {"component": {"bom-ref": "app", "name": "app", "version": "1.0.0"}},
    "components": [
        {"bom-ref": "a", "name": "a", "version": "1.0.0", "purl": "pkg:cargo/a@1.0.0", "scope": "required"},
        {"name": "b", "version": "2.0.0", "purl": "pkg:cargo/b@2.0.0", "scope": null, "components": [
            {"name": "inner", "scope": "optional"}]},
        {"name": "c", "scope": "excluded"},
        {"bom-ref": "a", "name": "a-again", "purl": "pkg:cargo/a@9.0.0", "scope": "weird"},
        "not a component",
        {"bom-ref": 7, "name": "d", "purl": "pkg:deb/debian/d@1"}],
    "dependencies": [
        {"ref": "app", "dependsOn": ["a", "a", "app", "missing", "pkg:cargo/b@2.0.0"]},
        {"ref": "a", "dependsOn": []},
        {"ref": "app", "dependsOn": ["a"], "provides": ["a"]},
        {"ref": "ghost", "dependsOn": ["app"]},
        {"ref": "a"}
    ]}"#;

#[test]
fn bom_ref_fallbacks_duplicates_and_dangling_refs() {
    let input = input::parse("bom.json", GRAPH_DOC.as_bytes()).unwrap();
    let graph = &input.graph;
    check_graph(graph);
    let refs: Vec<&str> = graph.components.iter().map(|c| c.bom_ref.as_str()).collect();
    // No bom-ref: the purl, else where it is. Not an object: not a component. A bom-ref that is not
    // a string: the fallback.
    assert_eq!(
        refs,
        ["app", "a", "pkg:cargo/b@2.0.0", "#components[1].components[0]", "#components[2]", "a", "pkg:deb/debian/d@1"]
    );
    let scopes: Vec<Option<&str>> = graph.components.iter().map(|c| c.scope.as_deref()).collect();
    assert_eq!(scopes, [None, Some("required"), None, Some("optional"), Some("excluded"), None, None]);
    assert_eq!(graph.root, Some(0));
    assert_eq!((graph.components[4].name.as_str(), graph.components[4].version.as_str()), ("c", ""));
    assert_eq!(graph.components[4].purl, None);
    assert_eq!(graph.components[6].package, None);
    assert_eq!(
        graph.components[5].package,
        Some((chainward::model::Ecosystem::Cargo, "a".to_owned(), "9.0.0".to_owned()))
    );
    // app -> a only: `a` twice and `{ref: app}` twice merge, `app` itself is a self-loop, `missing` dangles,
    // a purl is not a bom-ref (never matched by purl), `provides` is ignored, `ghost` dangles.
    assert_eq!(graph.edges, [(0, 1)]);
    assert!(graph.has_dependencies);
    assert_eq!(graph.dangling, 3);
    assert_eq!(input.malformed, 1, "{:?}", input.problems);
    assert_eq!(
        input.problems,
        [
            "bom.json: components[1].components[0]: no purl: not matched (`inner`)",
            "bom.json: components[2]: no purl: not matched (`c`)",
            "bom.json: components[3]: duplicate bom-ref `a`: dependencies name the first component that has it",
            "bom.json: components[4]: expected a component object, found a string",
            "bom.json: components[5]: `bom-ref` is a number, not a string: no dependency can name this component",
            "bom.json: components[5]: `pkg:deb/debian/d@1` not matched: chainward has no advisories for `deb` packages",
            "bom.json: dependencies[0].dependsOn[3]: `missing` names no component's bom-ref",
            "bom.json: dependencies[0].dependsOn[4]: `pkg:cargo/b@2.0.0` names no component's bom-ref",
            "bom.json: dependencies[3]: `ghost` names no component's bom-ref",
        ]
    );
    // The packages are what they were before the graph existed.
    assert_eq!(input.packages.len(), 3);
    assert_eq!((input.components, input.matched, input.without_purl, input.unsupported), (8, 3, 2, 1));
}

#[test]
fn no_dependencies_array_is_no_graph() {
    for deps in ["", r#", "dependencies": null"#] {
        let doc = format!(
            r#"{{"bomFormat": "CycloneDX", "metadata": {{"component": {{"name": "app"}}}},
                "components": [{{"bom-ref": "a", "purl": "pkg:cargo/a@1.0.0"}}]{deps}}}"#
        );
        let input = input::parse("bom.json", doc.as_bytes()).unwrap();
        let graph = &input.graph;
        check_graph(graph);
        assert!(!graph.has_dependencies, "{deps}");
        assert_eq!((graph.edges.len(), graph.dangling, graph.root), (0, 0, Some(0)), "{deps}");
        assert_eq!(graph.components[0].bom_ref, "#metadata.component");
        assert_eq!(graph.components.len(), 2);
        assert!(input.problems.is_empty(), "{:?}", input.problems);
    }
    // An empty array is a graph without edges: everything is known to have no dependencies.
    let doc = r#"{"bomFormat": "CycloneDX", "components": [{"purl": "pkg:cargo/a@1.0.0"}], "dependencies": []}"#;
    let graph = input::parse("bom.json", doc.as_bytes()).unwrap().graph;
    assert!(graph.has_dependencies);
    assert_eq!((graph.edges.len(), graph.root), (0, None));
}

#[test]
fn malformed_dependencies_are_counted_and_described() {
    let components = r#""components": [{"bom-ref": "a", "purl": "pkg:cargo/a@1.0.0"}, {"bom-ref": "b", "purl": "pkg:cargo/b@1.0.0"}]"#;
    for (deps, problem) in [
        (r#"{"a": ["b"]}"#, "dependencies: expected an array of dependency entries, found an object"),
        (r#""a""#, "dependencies: expected an array of dependency entries, found a string"),
    ] {
        let doc = format!(r#"{{"bomFormat": "CycloneDX", {components}, "dependencies": {deps}}}"#);
        let input = input::parse("bom.json", doc.as_bytes()).unwrap();
        assert!(!input.graph.has_dependencies, "{deps}");
        assert_eq!(input.malformed, 1);
        assert_eq!(input.problems, [format!("bom.json: {problem}")]);
    }
    let doc = format!(
        r#"{{"bomFormat": "CycloneDX", {components}, "dependencies": [
            "a",
            {{"ref": 1, "dependsOn": ["b"]}},
            {{"dependsOn": ["b"]}},
            {{"ref": "a", "dependsOn": "b"}},
            {{"ref": "a", "dependsOn": [null, {{"ref": "b"}}, "b"]}}]}}"#
    );
    let input = input::parse("bom.json", doc.as_bytes()).unwrap();
    check_graph(&input.graph);
    assert!(input.graph.has_dependencies);
    // What is understood is kept: a -> b.
    assert_eq!(input.graph.edges, [(0, 1)]);
    assert_eq!(input.graph.dangling, 0);
    assert_eq!(input.malformed, 6);
    assert_eq!(
        input.problems,
        [
            "bom.json: dependencies[0]: expected a dependency object, found a string",
            "bom.json: dependencies[1]: `ref` is a number, not a string",
            "bom.json: dependencies[2]: no `ref`",
            "bom.json: dependencies[3]: `dependsOn` is a string, not an array",
            "bom.json: dependencies[4].dependsOn[0]: expected a bom-ref string, found null",
            "bom.json: dependencies[4].dependsOn[1]: expected a bom-ref string, found an object",
        ]
    );
    // The packages are still scanned.
    assert_eq!(input.packages.len(), 2);
}

#[test]
fn dangling_refs_share_the_problem_cap() {
    let targets: Vec<String> = (0..MAX_PROBLEMS + 5).map(|i| format!(r#""gone-{i}""#)).collect();
    let doc = format!(
        r#"{{"bomFormat": "CycloneDX", "components": [{{"bom-ref": "a", "purl": "pkg:cargo/a@1.0.0"}}],
            "dependencies": [{{"ref": "a", "dependsOn": [{}]}}]}}"#,
        targets.join(", ")
    );
    let input = input::parse("bom.json", doc.as_bytes()).unwrap();
    assert_eq!(input.graph.dangling, MAX_PROBLEMS + 5);
    assert!(input.graph.edges.is_empty());
    assert_eq!(input.problems.len(), MAX_PROBLEMS + 1);
    assert_eq!(input.problems.last().unwrap(), "bom.json: and 5 more");
    // A dangling reference is not "not understood".
    assert_eq!(input.malformed, 0);
    assert_eq!(input.summary("bom.json"), None);
}

/// Linear, not quadratic: a wide graph is read quickly.
#[test]
fn a_large_graph_is_read() {
    let n = 20_000;
    let components: Vec<String> =
        (0..n).map(|i| format!(r#"{{"bom-ref": "c{i}", "purl": "pkg:cargo/c{i}@1.0.0"}}"#)).collect();
    let deps: Vec<String> = (0..n)
        .map(|i| format!(r#"{{"ref": "c{i}", "dependsOn": ["c{}", "c{}"]}}"#, (i + 1) % n, (i * 7) % n))
        .collect();
    let doc = format!(
        r#"{{"bomFormat": "CycloneDX", "components": [{}], "dependencies": [{}]}}"#,
        components.join(","),
        deps.join(",")
    );
    let input = input::parse("bom.json", doc.as_bytes()).unwrap();
    check_graph(&input.graph);
    assert_eq!(input.graph.components.len(), n);
    // n edges to the next one, plus (i -> 7i) when that is neither i nor i + 1.
    let extra = (0..n).filter(|&i| (i * 7) % n != i && (i * 7) % n != (i + 1) % n).count();
    assert_eq!(input.graph.edges.len(), n + extra);
}

/// The fuzz target's checks (graph indices in range, edges sorted and unique, root in range,
/// every component's package read from its purl) hold on every fixture and on mutations of the
/// small graph documents (cdxgen's writes everything on one line, so mutations are byte-level).
#[test]
fn fuzz_checks_hold_on_fixtures_and_mutations() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/sbom");
    let mut fixtures: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    fixtures.sort();
    assert!(fixtures.len() >= 6, "{fixtures:?}");
    for path in &fixtures {
        chainward::fuzzing::cyclonedx_input(&std::fs::read(path).unwrap());
    }
    let (mocha, _) = fixture("cdxgen-npm-mocha.cdx.json");
    let seeds = [GRAPH_DOC.as_bytes().to_vec(), mocha];
    let tokens: [&[u8]; 8] =
        [b"\"dependsOn\"", b"\"ref\"", b"\"bom-ref\"", b"\"a\"", b"null", b"[]", b"{}", b"\"components\": [{}],"];
    let mut rng = common::mutate::Rng(0x5eed_0f15);
    for round in 0..600 {
        let seed = &seeds[round % seeds.len()];
        let input = common::mutate::mutate(&mut rng, seed, &tokens);
        let result = std::panic::catch_unwind(|| chainward::fuzzing::cyclonedx_input(&input));
        assert!(result.is_ok(), "round {round}:\n{}", String::from_utf8_lossy(&input));
    }
}
