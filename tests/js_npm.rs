//! npm's `package-lock.json` / `npm-shrinkwrap.json`: the osv-scalibr conformance cases, the
//! real lockfiles of `../shared/corpus/npm/`, and the small fixtures of `testdata/js/npm/`
//! (made with npm itself, `--ignore-scripts --package-lock-only`).
// Test helpers fail loudly on unexpected input: that is how a test reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use chainward::model::{Checksum, DependencyKind, Package, PackageSource, RootComponent, Scope};
use chainward::resolve::{ResolveErrorKind, Resolved};
use serde_json::Value;

fn chainward(args: &[&str], dir: &Path) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_chainward"));
    cmd.args(args).args(common::no_registry(args)).arg(dir).env("SOURCE_DATE_EPOCH", "1700000000");
    common::dead_registries(&mut cmd);
    cmd.output().expect("run chainward")
}

/// The one lockfile resolved in `dir`, with the errors the resolution reported.
fn resolve_one(dir: &Path) -> (Resolved, Vec<chainward::resolve::ResolveError>) {
    let resolution = common::conformance::resolve(dir);
    assert_eq!(resolution.resolved.len(), 1, "{}: {:?}", dir.display(), resolution.errors);
    (resolution.resolved.into_iter().next().unwrap(), resolution.errors)
}

/// The packages other than the root project.
fn non_root(r: &Resolved) -> Vec<&Package> {
    let RootComponent::Package(root) = r.root else { panic!("npm roots are packages") };
    r.packages.iter().enumerate().filter(|(i, _)| *i != root).map(|(_, p)| p).collect()
}

/// Every install name of a lockfile, read with `serde_json`: the last `node_modules/` segment of
/// each `packages` key, and every key of the (nested) v1 `dependencies`.
fn install_names(lockfile: &Path) -> BTreeSet<String> {
    fn v1(deps: &Value, out: &mut BTreeSet<String>) {
        for (name, entry) in deps.as_object().into_iter().flatten() {
            out.insert(name.clone());
            if let Some(nested) = entry.get("dependencies") {
                v1(nested, out);
            }
        }
    }
    let doc: Value = serde_json::from_slice(&std::fs::read(lockfile).unwrap()).unwrap();
    let mut out = BTreeSet::new();
    match doc.get("packages").and_then(Value::as_object) {
        Some(packages) => {
            for key in packages.keys() {
                if let Some((_, name)) = key.rsplit_once("node_modules/") {
                    out.insert(name.to_owned());
                }
            }
        }
        None => v1(&doc["dependencies"], &mut out),
    }
    out
}

#[test]
fn osv_scalibr_conformance_cases() {
    let cases = common::conformance::cases("package-lock.json");
    if cases.is_empty() {
        return;
    }
    assert_eq!(cases.len(), 13, "the README lists 13 package-lock cases");
    for case in &cases {
        let dir = case.materialize();
        if case.expects_error {
            let resolution = common::conformance::resolve(dir.path());
            assert!(resolution.resolved.is_empty(), "{}: resolved", case.name);
            let [error] = resolution.errors.as_slice() else { panic!("{}: {:?}", case.name, resolution.errors) };
            assert_eq!(error.path, case.canonical_name, "{}", case.name);
            assert!(matches!(error.kind, ResolveErrorKind::Json(_)), "{}: {error}", case.name);
            assert!(error.line.is_some(), "{}: {error}", case.name);
            let db = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/advisories/diff");
            for command in [&["sbom"][..], &["scan", "--offline", "--db", db]] {
                let out = chainward(command, dir.path());
                assert_eq!(out.status.code(), Some(2), "{}: {command:?}", case.name);
                let stderr = String::from_utf8_lossy(&out.stderr);
                assert!(stderr.contains("package-lock.json:"), "{}: {command:?}: {stderr}", case.name);
            }
            continue;
        }
        let (resolved, errors) = resolve_one(dir.path());
        // Every conformance fixture but two is cut down by hand from a real lockfile: their
        // entries still list dependencies whose entries were left out. npm would call them
        // missing; so do we (DanglingDependency errors, the packages are all still reported).
        // Check that each one really is absent: no entry of that name anywhere in the file.
        let installed = install_names(&case.fixture);
        for e in &errors {
            let ResolveErrorKind::DanglingDependency { dependency, .. } = &e.kind else { panic!("{}: {e}", case.name) };
            assert!(!installed.contains(dependency), "{}: {e}, but the lockfile has an entry for it", case.name);
        }
        let complete = ["npm/package-lock-v3-bundled-dependencies", "npm/package-lock-v1-files"];
        assert_eq!(errors.is_empty(), complete.contains(&case.name.as_str()), "{}", case.name);
        let ours = non_root(&resolved);
        let mut got = common::conformance::multiset(ours.iter().map(|p| (p.name.as_str(), p.version.as_str())));
        let mut want =
            common::conformance::multiset(case.expected.iter().map(|e| (e.name.as_str(), e.version.as_str())));
        // Our choice: every install path is its own entry (each has its own lines and edges;
        // the graph merges equal packages later), and SOURCES.md counts them so. The peer
        // reports each name@version (or name@commit for git) once: compare the sets.
        if case.has_choice("dedup-name-version") || case.has_choice("dedup-name-commit") {
            for n in got.values_mut().chain(want.values_mut()) {
                *n = 1;
            }
        }
        assert_eq!(got, want, "{}", case.name);
        // Lines: the line of the entry's key.
        for e in case.expected.iter().filter(|e| e.line.is_some()) {
            assert!(
                ours.iter().any(|p| p.name == e.name && p.version == e.version && p.lines.map(|l| l.start) == e.line),
                "{}: {} {} at line {:?}",
                case.name,
                e.name,
                e.version,
                e.line
            );
        }
        // Git commits, where the peer asserts them.
        for e in case.expected.iter().filter(|e| e.commit.is_some()) {
            assert!(
                ours.iter().any(|p| p.name == e.name
                    && matches!(&p.source, PackageSource::Git { commit, .. } if commit == &e.commit)),
                "{}: {} at {:?}",
                case.name,
                e.name,
                e.commit
            );
        }
        // Groups: the peer's `dev` is our excluded scope, `bundled` our bundled flag.
        for e in &case.expected {
            let dev = e.groups.iter().any(|g| g == "dev");
            let bundled = e.groups.iter().any(|g| g == "bundled");
            assert!(
                ours.iter().any(|p| p.name == e.name
                    && p.version == e.version
                    && (p.scope == Some(Scope::Excluded)) == dev
                    && p.bundled == bundled),
                "{}: {} {} groups {:?}",
                case.name,
                e.name,
                e.version,
                e.groups
            );
        }
    }
}

/// The corpus lockfiles and the package counts `corpus/SOURCES.md` gives for them.
const CORPUS: [(&str, usize); 4] = [
    ("axios__axios", 2115),
    ("mochajs__mocha", 707),
    ("pypi__warehouse", 1064),
    ("pypi__warehouse@d02f16c4a1a2", 2773),
];

fn corpus_dir(name: &str) -> Option<PathBuf> {
    Some(common::shared_dir()?.join("corpus/npm").join(name))
}

/// `sha512-…` (and `sha1-…`) of every entry, decoded here with `base64` on its own:
/// install path → (algorithm, lowercase hex) of the first item.
fn integrities(lockfile: &Path) -> BTreeMap<String, (String, String, String, String)> {
    use base64::Engine as _;
    fn add(key: String, entry: &Value, name: &str, out: &mut BTreeMap<String, (String, String, String, String)>) {
        let Some(sri) = entry.get("integrity").and_then(Value::as_str) else { return };
        let (alg, b64) = sri.split_whitespace().next().unwrap().split_once('-').unwrap();
        let bytes = base64::engine::general_purpose::STANDARD.decode(b64).unwrap();
        let hex: String = bytes.iter().fold(String::new(), |mut s, b| {
            use std::fmt::Write as _;
            let _ = write!(s, "{b:02x}");
            s
        });
        let version = entry["version"].as_str().unwrap_or_default().to_owned();
        out.insert(key, (name.to_owned(), version, alg.to_owned(), hex));
    }
    fn v1(prefix: &str, deps: &Value, out: &mut BTreeMap<String, (String, String, String, String)>) {
        for (name, entry) in deps.as_object().into_iter().flatten() {
            let key = format!("{prefix}node_modules/{name}");
            add(key.clone(), entry, name, out);
            if let Some(nested) = entry.get("dependencies") {
                v1(&format!("{key}/"), nested, out);
            }
        }
    }
    let doc: Value = serde_json::from_slice(&std::fs::read(lockfile).unwrap()).unwrap();
    let mut out = BTreeMap::new();
    match doc.get("packages").and_then(Value::as_object) {
        Some(packages) => {
            for (key, entry) in packages {
                let name = entry
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_else(|| key.rsplit_once("node_modules/").map_or(key.as_str(), |(_, n)| n));
                add(key.clone(), entry, name, &mut out);
            }
        }
        None => v1("", &doc["dependencies"], &mut out),
    }
    out
}

#[test]
fn corpus_lockfiles_resolve_completely() {
    for (name, count) in CORPUS {
        let Some(dir) = corpus_dir(name) else { return };
        let (resolved, errors) = resolve_one(&dir);
        assert!(errors.is_empty(), "{name}: {errors:?}");
        let packages = non_root(&resolved);
        assert_eq!(packages.len(), count, "{name}: package count (SOURCES.md)");
        // Every package is reached from the root and has a scope from npm's flags, lines, and
        // (all of these come from the registry) an integrity.
        let RootComponent::Package(root) = resolved.root else { unreachable!() };
        let mut reached = BTreeSet::from([root]);
        let mut queue = vec![root];
        while let Some(i) = queue.pop() {
            for &d in &resolved.packages[i].dependencies {
                if reached.insert(d) {
                    queue.push(d);
                }
            }
        }
        for p in &packages {
            assert!(p.scope.is_some() && p.lines.is_some(), "{name}: {} {}", p.name, p.version);
            assert_eq!(p.scope == Some(Scope::Excluded), p.reached_by.contains(&DependencyKind::Dev), "{name}");
        }
        let unreached = resolved.packages.len() - reached.len();
        // The 2022 warehouse lockfile (npm 6, v1) keeps stale nested copies nothing requires any
        // more (`zopflipng-bin/node_modules/decompress-tar`: the `decompress` that requires it
        // resolves its own copy higher up); Node would never load them. The others have none.
        let stale = if name == "pypi__warehouse@d02f16c4a1a2" { 24 } else { 0 };
        assert_eq!(unreached, stale, "{name}: packages not reached from the root");
        assert!(packages.iter().any(|p| p.direct), "{name}: no direct dependency");
    }
}

#[test]
fn corpus_integrities_become_the_checksums_of_each_entry() {
    for (name, _) in CORPUS {
        let Some(dir) = corpus_dir(name) else { return };
        let (resolved, _) = resolve_one(&dir);
        let mut want = BTreeMap::new();
        for (pkg, version, alg, hex) in integrities(&dir.join("package-lock.json")).into_values() {
            *want.entry((pkg, version, alg, hex)).or_insert(0) += 1;
        }
        let mut got = BTreeMap::new();
        for p in non_root(&resolved) {
            let Some(c) = p.checksum() else { continue };
            let key = (p.name.clone(), p.version.clone(), c.algorithm().to_owned(), c.hex().to_owned());
            *got.entry(key).or_insert(0) += 1;
        }
        assert_eq!(got, want, "{name}");
        // And one decoded by hand (`python3 -c "import base64; print(base64.b64decode(...).hex())"`).
        let sha1 = Checksum::from_sri("sha1-tSQ9jz7BqjXxNkYFvA0QNuMKtp8=").unwrap();
        assert_eq!(sha1, [Checksum::Sha1("b5243d8f3ec1aa35f1364605bc0d1036e30ab69f".into())]);
    }
}

#[test]
fn corpus_sboms_are_valid_and_carry_the_integrity_hashes() {
    for (name, _) in CORPUS {
        let Some(dir) = corpus_dir(name) else { return };
        let mut hashes: BTreeMap<(String, String), BTreeSet<(String, String)>> = BTreeMap::new();
        for spec in ["1.5", "1.6"] {
            let out = chainward(&["sbom", "--spec-version", spec], &dir);
            assert!(out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
            let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
            common::validate_cyclonedx(&doc, spec).unwrap_or_else(|e| panic!("{name} {spec}: {e:?}"));
            for c in doc["components"].as_array().unwrap() {
                let key = (c["name"].as_str().unwrap().to_owned(), c["version"].as_str().unwrap().to_owned());
                for h in c["hashes"].as_array().into_iter().flatten() {
                    let alg = h["alg"].as_str().unwrap().to_owned();
                    hashes.entry(key.clone()).or_default().insert((alg, h["content"].as_str().unwrap().to_owned()));
                }
            }
        }
        // Each component's hash is the integrity the lockfile gives that name@version (the graph
        // keeps one per package; copies may record SHA-1 or SHA-512).
        let mut expected: BTreeMap<(String, String), BTreeSet<(String, String)>> = BTreeMap::new();
        for (pkg, version, alg, hex) in integrities(&dir.join("package-lock.json")).into_values() {
            let alg = match alg.as_str() {
                "sha512" => "SHA-512",
                "sha1" => "SHA-1",
                other => panic!("{name}: {other}"),
            };
            expected.entry((pkg, version)).or_default().insert((alg.to_owned(), hex));
        }
        assert!(expected.len() > 500, "{name}: {} integrities", expected.len());
        for (key, got) in &hashes {
            let want = expected.get(key).unwrap_or_else(|| panic!("{name}: {key:?} has no integrity"));
            assert!(got.is_subset(want), "{name}: {key:?}: {got:?} not in {want:?}");
        }
        assert_eq!(hashes.len(), expected.len(), "{name}: packages with hashes");
    }
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/js/npm").join(name)
}

/// Walk npm's own tree (`npm ls --all --package-lock-only --json`) beside ours: every child npm
/// shows is an edge of ours to a package installed under that name with that version, and
/// ours has no other edges.
fn same_tree(r: &Resolved, npm: &Value, ours: usize, path: &str) {
    let package = &r.packages[ours];
    let children = npm.get("dependencies").and_then(Value::as_object).cloned().unwrap_or_default();
    let mut got: BTreeMap<String, usize> = BTreeMap::new();
    for &d in &package.dependencies {
        let p = &r.packages[d];
        got.insert(p.alias.clone().unwrap_or_else(|| p.name.clone()), d);
    }
    assert_eq!(
        got.keys().collect::<BTreeSet<_>>(),
        children.keys().collect::<BTreeSet<_>>(),
        "{path}: the dependencies of {} {}",
        package.name,
        package.version
    );
    for (name, child) in &children {
        let d = got[name];
        assert_eq!(r.packages[d].version, child["version"].as_str().unwrap(), "{path}/{name}");
        same_tree(r, child, d, &format!("{path}/{name}"));
    }
}

#[test]
fn a_workspace_resolves_as_npm_installs_it() {
    let dir = fixture("workspace");
    let (r, errors) = resolve_one(&dir);
    assert!(errors.is_empty() && r.warnings.is_empty(), "{errors:?} {:?}", r.warnings);
    // 22 keys: the root and two links are not packages.
    assert_eq!(non_root(&r).len(), 19);
    let RootComponent::Package(root) = r.root else { unreachable!() };
    let npm: Value = serde_json::from_slice(&std::fs::read(dir.join("npm-ls.json")).unwrap()).unwrap();
    same_tree(&r, &npm, root, "");

    let find = |name: &str, version: &str| {
        r.packages.iter().find(|p| p.name == name && p.version == version).unwrap_or_else(|| panic!("{name} {version}"))
    };
    let root = &r.packages[root];
    assert_eq!((root.name.as_str(), root.version.as_str()), ("root-app", "1.0.0"));
    assert_eq!(root.source, PackageSource::Path { dir: ".".into() });
    let member = find("a", "0.1.0");
    assert!(member.first_party && member.source == PackageSource::Path { dir: "packages/a".into() });
    let local = find("loc", "0.0.1");
    assert!(local.first_party && local.source == PackageSource::Path { dir: "deps/loc".into() });
    // The alias: the package is string-width, installed as `sw`.
    let sw = find("string-width", "4.2.0");
    assert_eq!(sw.alias.as_deref(), Some("sw"));
    assert_eq!(sw.lines.unwrap().start, 150);
    assert!(sw.direct && sw.scope == Some(Scope::Required));
    assert!(sw.source.is_default_registry());
    assert_eq!(sw.install_script, Some(false));
    assert_eq!(sw.meta.license.as_deref(), Some("MIT"));
    // Scopes from npm's flags.
    assert_eq!(find("fsevents", "2.3.3").scope, Some(Scope::Optional));
    let inherits = find("inherits", "2.0.4");
    assert!(inherits.scope == Some(Scope::Excluded) && inherits.reached_by.contains(&DependencyKind::Dev));
    assert!(inherits.direct, "a dev dependency of a linked directory is direct");
    assert_eq!(find("react", "18.3.1").scope, Some(Scope::Required), "peers are installed (npm 7+)");
    assert!(!find("react", "18.3.1").direct);
    // Nested copies are their own entries, with their own lines.
    let strip = r.packages.iter().filter(|p| p.name == "strip-ansi").count();
    assert_eq!(strip, 2);
    assert_eq!(find("is-number", "6.0.0").lines.unwrap().start, 211);
}

#[test]
fn a_v1_lockfile_resolves_as_npm_installs_it() {
    let dir = fixture("v1");
    let (r, errors) = resolve_one(&dir);
    assert!(errors.is_empty() && r.warnings.is_empty(), "{errors:?} {:?}", r.warnings);
    assert_eq!(non_root(&r).len(), 9);
    let RootComponent::Package(root) = r.root else { unreachable!() };
    let npm: Value = serde_json::from_slice(&std::fs::read(dir.join("npm-ls.json")).unwrap()).unwrap();
    same_tree(&r, &npm, root, "");
    let sw = r.packages.iter().find(|p| p.alias.as_deref() == Some("sw")).unwrap();
    assert_eq!((sw.name.as_str(), sw.version.as_str()), ("string-width", "4.2.0"));
    assert_eq!(sw.install_script, None, "v1 does not record install scripts");
    let wrappy = r.packages.iter().find(|p| p.name == "wrappy").unwrap();
    assert_eq!(wrappy.scope, Some(Scope::Excluded));
}

#[test]
fn scan_mode_reads_the_packages_and_lines_only() {
    let dir = fixture("workspace");
    let tree = chainward::source::WorkTree::new(&dir);
    let excludes = chainward::discover::Excludes::new(&[]).unwrap();
    let options = chainward::resolve::ResolveOptions { lockfile_only: true, ..Default::default() };
    let resolution = chainward::resolve::work_tree(&tree, &excludes, &options).unwrap();
    let r = &resolution.resolved[0];
    assert_eq!(non_root(r).len(), 19);
    assert!(r.packages.iter().all(|p| p.lines.is_some() && p.dependencies.is_empty()));
    let (full, _) = resolve_one(&dir);
    for (a, b) in r.packages.iter().zip(&full.packages) {
        assert_eq!(
            (&a.name, &a.version, &a.source, &a.checksums, a.lines),
            (&b.name, &b.version, &b.source, &b.checksums, b.lines)
        );
    }
}

#[test]
fn the_hidden_lockfile_under_node_modules_is_not_read() {
    let dir = tempfile::tempdir().unwrap();
    common::copy_dir(&fixture("v1"), dir.path());
    std::fs::create_dir_all(dir.path().join("node_modules")).unwrap();
    std::fs::write(dir.path().join("node_modules/.package-lock.json"), "not json").unwrap();
    std::fs::create_dir_all(dir.path().join("node_modules/x")).unwrap();
    std::fs::write(dir.path().join("node_modules/x/package-lock.json"), "not json").unwrap();
    let resolution = common::conformance::resolve(dir.path());
    assert!(resolution.errors.is_empty(), "{:?}", resolution.errors);
    assert_eq!(resolution.resolved.len(), 1);
}

#[test]
fn broken_lockfiles_are_errors_with_lines_and_exit_2() {
    let cases: [(&str, &str, usize, &str); 6] = [
        ("{\n  \"lockfileVersion\": 4,\n  \"packages\": {}\n}\n", "unsupported", 2, "version 4"),
        ("{\n  \"lockfileVersion\": \"x\"\n}\n", "unsupported", 2, "\"x\""),
        (
            "{\n  \"lockfileVersion\": 3,\n  \"packages\": {\n    \"node_modules/a\": {\n      \"version\": \"1.0.0\",\n",
            "invalid JSON",
            6,
            "end",
        ),
        ("null\n", "invalid JSON", 1, "null"),
        (
            "{\n  \"lockfileVersion\": 3,\n  \"packages\": {\n    \"\": {},\n    \"node_modules/a\": {\n      \"version\": \"1.0.0\",\n      \"integrity\": \"sha512-nope\"\n    }\n  }\n}\n",
            "integrity",
            5,
            "a 1.0.0",
        ),
        (
            "{\n  \"lockfileVersion\": 3,\n  \"packages\": {\n    \"\": {},\n    \"node_modules/a\": {\n      \"version\": \"1.0.0\",\n      \"dependencies\": { \"b\": \"^1\" }\n    }\n  }\n}\n",
            "depends on `b`",
            5,
            "a 1.0.0",
        ),
    ];
    for (text, what, line, detail) in cases {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("package-lock.json"), text).unwrap();
        let resolution = common::conformance::resolve(dir.path());
        let [e] = resolution.errors.as_slice() else { panic!("{text}: {:?}", resolution.errors) };
        let message = e.to_string();
        assert!(message.starts_with(&format!("package-lock.json:{line}: ")), "{message}");
        assert!(message.contains(what) && message.contains(detail), "{message}");
        let out = chainward(&["sbom"], dir.path());
        assert_eq!(out.status.code(), Some(2), "{text}");
        assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("package-lock.json:{line}")));
    }
}
