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
        // Two fixtures are cut down by hand: `package-lock-v2-lines` keeps `supports-color`'s
        // dependency `has-flag` out, `package-lock-v2-files` keeps out the `node_modules/etag`
        // link and `deps/etag`'s dev dependencies. npm would report them missing; so do we (the
        // packages are all still reported).
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
            got.values_mut().for_each(|n| *n = 1);
            want.values_mut().for_each(|n| *n = 1);
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
