//! `yarn.lock`, classic and berry: the osv-scalibr conformance cases, the real lockfiles of
//! `../shared/corpus/npm/`, and the fixtures of `testdata/js/yarn/` (made with yarn 1.22.22 and
//! yarn 4.18.1, scripts disabled; see its README).
// Test helpers fail loudly on unexpected input: that is how a test reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use chainward::model::{Checksum, DependencyKind, Package, PackageSource, RootComponent, Scope};
use chainward::resolve::{ResolveErrorKind, ResolveOptions, Resolved};
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/js/yarn").join(name)
}

fn resolve_with(dir: &Path, options: &ResolveOptions) -> chainward::resolve::Resolution {
    let tree = chainward::source::WorkTree::new(dir);
    let excludes = chainward::discover::Excludes::new(&[]).unwrap();
    chainward::resolve::work_tree(&tree, &excludes, options).unwrap()
}

/// The one resolved yarn.lock of a resolution.
fn only(resolution: &chainward::resolve::Resolution) -> &Resolved {
    let yarn: Vec<&Resolved> =
        resolution.resolved.iter().filter(|r| r.path == "yarn.lock" || r.path.ends_with("/yarn.lock")).collect();
    assert_eq!(yarn.len(), 1, "errors: {:?}", resolution.errors);
    yarn[0]
}

fn root_index(r: &Resolved) -> usize {
    match r.root {
        RootComponent::Package(i) => i,
        RootComponent::Synthetic { .. } => panic!("a yarn root is a package"),
    }
}

fn find<'a>(r: &'a Resolved, name: &str, version: &str) -> (usize, &'a Package) {
    r.packages
        .iter()
        .enumerate()
        .find(|(_, p)| p.name == name && p.version == version)
        .unwrap_or_else(|| panic!("{name}@{version} not found"))
}

// ---------------------------------------------------------------------------------------------
// Conformance: osv-scalibr's yarn cases.

#[test]
fn osv_scalibr_yarn_cases() {
    let cases = common::conformance::cases("yarn.lock");
    if cases.is_empty() {
        return;
    }
    assert_eq!(cases.len(), 11, "7 classic and 4 berry cases");
    for case in &cases {
        assert!(!case.expects_error, "{}: no yarn case expects an error", case.name);
        let dir = case.materialize();
        let resolution = common::conformance::resolve(dir.path());
        let r = only(&resolution);
        // Our choice: the project itself is a first-party package (berry's `…@workspace:.`
        // entry, or for classic one made from the directory, as the lockfile has none). The peer
        // drops berry's root (`root-workspace-excluded`) and classic has none: leave ours out.
        let root = root_index(r);
        let ours: Vec<&Package> = r.packages.iter().enumerate().filter(|(i, _)| *i != root).map(|(_, p)| p).collect();
        let got = common::conformance::multiset(ours.iter().map(|p| (p.name.as_str(), p.version.as_str())));
        let want = common::conformance::multiset(case.expected.iter().map(|e| (e.name.as_str(), e.version.as_str())));
        assert_eq!(got, want, "{}", case.name);
        // Lines: every asserted line is the line of a package of that name and version.
        for e in &case.expected {
            let Some(line) = e.line else { continue };
            assert!(
                ours.iter()
                    .any(|p| p.name == e.name && p.version == e.version && p.lines.is_some_and(|l| l.start == line)),
                "{}: {}@{} at line {line}",
                case.name,
                e.name,
                e.version
            );
            // Commits: the package at that line is a git package at that commit.
            if let Some(commit) = &e.commit {
                let p = ours.iter().find(|p| p.lines.is_some_and(|l| l.start == line)).unwrap();
                match &p.source {
                    PackageSource::Git { commit: Some(c), .. } => assert_eq!(c, commit, "{}: {}", case.name, p.name),
                    other => panic!("{}: {} is not a git package at {commit}: {other:?}", case.name, p.name),
                }
            }
        }
        // The peer's fixtures are trimmed by hand: dependencies they do not hold are reported
        // (the packages are still all there), each naming its line in yarn.lock.
        for e in &resolution.errors {
            assert!(
                matches!(e.kind, ResolveErrorKind::DanglingDependency { .. }),
                "{}: unexpected error {e}",
                case.name
            );
            assert_eq!(e.path, "yarn.lock", "{}: {e}", case.name);
            assert!(e.line.is_some(), "{}: {e}", case.name);
        }
    }
}

#[test]
fn conformance_aliases_keep_the_name_they_are_installed_under() {
    let cases = common::conformance::cases("yarn.lock");
    for case in cases.iter().filter(|c| c.name.ends_with("with-aliases")) {
        let dir = case.materialize();
        let resolution = common::conformance::resolve(dir.path());
        let r = only(&resolution);
        let (_, hvi) = find(r, "@babel/helper-validator-identifier", "7.22.20");
        assert_eq!(hvi.alias.as_deref(), Some("babel-hvi"), "{}", case.name);
        let (_, cjs) = find(r, "ansi-regex", "5.0.1");
        assert_eq!(cjs.alias.as_deref(), Some("ansi-regex-cjs"), "{}", case.name);
        assert_eq!(cjs.purl().as_deref(), Some("pkg:npm/ansi-regex@5.0.1"));
    }
}

// ---------------------------------------------------------------------------------------------
// The corpus.

/// (directory, blocks SOURCES.md counts, workspace entries).
const CORPUS: [(&str, usize, usize); 3] =
    [("vercel__hyper", 1218, 0), ("prettier__prettier@ba3e73670023", 826, 0), ("prettier__prettier", 1051, 1)];

/// Standard base64, decoded independently of chainward's SRI code.
fn base64_decode(s: &str) -> Vec<u8> {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for c in s.bytes().filter(|&c| c != b'=') {
        let v = u32::try_from(alphabet.iter().position(|&a| a == c).expect("base64")).unwrap();
        bits = (bits << 6) | v;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push(u8::try_from((bits >> count) & 0xff).unwrap());
        }
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[test]
fn corpus_lockfiles_resolve_completely() {
    let Some(shared) = common::shared_dir() else { return };
    for (name, blocks, workspaces) in CORPUS {
        let dir = shared.join("corpus/npm").join(name);
        let resolution = resolve_with(&dir, &ResolveOptions::default());
        assert!(resolution.errors.is_empty(), "{name}: {:?}", resolution.errors);
        assert!(resolution.warnings.is_empty(), "{name}: {:?}", resolution.warnings);
        let r = only(&resolution);
        let first_party = r.packages.iter().filter(|p| p.first_party).count();
        // The project: classic's made from package.json, berry's `workspace:.` entry (the one
        // workspace entry SOURCES.md leaves out of the count).
        assert_eq!(first_party, 1, "{name}");
        assert_eq!(r.packages.iter().filter(|p| p.first_party && p.lines.is_some()).count(), workspaces, "{name}");
        assert_eq!(r.packages.len() - first_party, blocks, "{name}: package count as SOURCES.md counts it");
        let root = &r.packages[root_index(r)];
        assert!(root.first_party && (root.name == "prettier" || root.name == "hyper"), "{name}: {}", root.name);
        for p in &r.packages {
            if !p.first_party {
                assert!(p.lines.is_some(), "{name}: {}@{} has no lines", p.name, p.version);
                assert!(p.scope.is_some(), "{name}: {}@{} is not reachable from the project", p.name, p.version);
            }
            assert!(p.dependencies.iter().all(|&d| d < r.packages.len()));
        }
        // The lockfile-only path (`scan`) finds the same packages and lines.
        let fast = resolve_with(&dir, &ResolveOptions { lockfile_only: true, ..ResolveOptions::default() });
        assert!(fast.errors.is_empty(), "{name}: {:?}", fast.errors);
        let fast = only(&fast);
        assert_eq!(fast.packages.len(), r.packages.len(), "{name}");
        for (a, b) in fast.packages.iter().zip(&r.packages) {
            assert_eq!((a.lines, &a.source), (b.lines, &b.source), "{name}");
            // Without package.json, the classic root is named after its directory.
            if !a.first_party {
                assert_eq!(a.name, b.name);
                assert_eq!(a.version, b.version);
                assert_eq!(a.scope, None, "{name}: lockfile-only knows no scopes");
            }
        }
    }
}

#[test]
fn corpus_integrity_becomes_the_right_hashes() {
    let Some(shared) = common::shared_dir() else { return };
    for name in ["vercel__hyper", "prettier__prettier@ba3e73670023"] {
        let dir = shared.join("corpus/npm").join(name);
        let text = std::fs::read_to_string(dir.join("yarn.lock")).unwrap();
        let resolution = resolve_with(&dir, &ResolveOptions { lockfile_only: true, ..ResolveOptions::default() });
        let r = only(&resolution);
        let by_line: BTreeMap<usize, &Package> = r.packages.iter().filter_map(|p| Some((p.lines?.start, p))).collect();
        // Independently: every `integrity sha512-…` line's block is the package starting at
        // the last header line before it.
        let mut header = 0;
        let mut checked = 0;
        for (i, line) in text.lines().enumerate() {
            if !line.starts_with(' ') && line.ends_with(':') {
                header = i + 1;
            }
            let Some(sri) = line.trim().strip_prefix("integrity sha512-") else { continue };
            let want = hex(&base64_decode(sri));
            let p = by_line[&header];
            assert_eq!(p.checksums.first(), Some(&Checksum::Sha512(want)), "{name}: {}@{}", p.name, p.version);
            checked += 1;
        }
        assert!(checked > 500, "{name}: {checked}");
        // The resolved URL's `#sha1` is the same tarball's SHA-1.
        let (_, ms) = find(r, "ms", "2.1.2");
        assert!(ms.checksums.iter().any(|c| matches!(c, Checksum::Sha1(_))), "{name}: {:?}", ms.checksums);
    }
    // Berry: the cache checksum is not a package hash.
    let dir = shared.join("corpus/npm/prettier__prettier");
    let resolution = resolve_with(&dir, &ResolveOptions { lockfile_only: true, ..ResolveOptions::default() });
    assert!(only(&resolution).packages.iter().all(|p| p.checksums.is_empty()));
}

#[test]
fn corpus_sboms_are_valid_cyclonedx() {
    let Some(shared) = common::shared_dir() else { return };
    for (name, _, _) in CORPUS {
        let dir = shared.join("corpus/npm").join(name);
        for spec in ["1.5", "1.6"] {
            let out = Command::new(env!("CARGO_BIN_EXE_chainward"))
                .arg("sbom")
                .arg(&dir)
                .args(["--spec-version", spec])
                .env("SOURCE_DATE_EPOCH", "1700000000")
                .output()
                .unwrap();
            assert!(out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
            let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
            common::validate_cyclonedx(&doc, spec).unwrap_or_else(|e| panic!("{name} {spec}: {e:#?}"));
            assert!(doc["components"].as_array().unwrap().len() > 800, "{name}");
        }
    }
}

#[test]
fn berry_patches_are_the_upstream_package_reached_through_the_patch() {
    let Some(shared) = common::shared_dir() else { return };
    let dir = shared.join("corpus/npm/prettier__prettier");
    let resolution = resolve_with(&dir, &ResolveOptions::default());
    let r = only(&resolution);
    let ts: Vec<(usize, &Package)> =
        r.packages.iter().enumerate().filter(|(_, p)| p.name == "typescript" && p.version == "6.0.3").collect();
    assert_eq!(ts.len(), 2, "the upstream entry and the patched one");
    let (upstream, patched) = (ts[0], ts[1]);
    assert_eq!(upstream.1.lines.unwrap().start, 9453);
    assert_eq!(patched.1.lines.unwrap().start, 9463);
    assert!(patched.1.source.is_default_registry(), "advisories for typescript 6.0.3 apply to the patched one");
    assert!(patched.1.dependencies.contains(&upstream.0));
    // The root's dependency goes to the patched one, as yarn's built-in compat patch does.
    let root = &r.packages[root_index(r)];
    assert!(root.dependencies.contains(&patched.0));
    assert!(!root.dependencies.contains(&upstream.0));
    // `resolutions: { trim: 1.0.1 }` applies to `remark-parse`'s `trim: npm:0.0.1`.
    let (trim, _) = find(r, "trim", "1.0.1");
    let (_, remark) = find(r, "remark-parse", "8.0.3");
    assert!(remark.dependencies.contains(&trim));
}

// ---------------------------------------------------------------------------------------------
// Fixtures made with the real yarn.

#[test]
fn classic_workspace_scopes_follow_the_manifests() {
    let resolution = resolve_with(&fixture("classic-workspace"), &ResolveOptions::default());
    assert!(resolution.errors.is_empty(), "{:?}", resolution.errors);
    let r = only(&resolution);
    assert_eq!(r.packages.iter().filter(|p| !p.first_party).count(), 11);
    let root = &r.packages[root_index(r)];
    assert_eq!((root.name.as_str(), root.version.as_str()), ("classic-ws", "1.0.0"));
    assert_eq!(root.source, PackageSource::Path { dir: ".".into() });
    let (a_i, a) = find(r, "@ws/a", "0.1.0");
    let (b_i, b) = find(r, "@ws/b", "0.2.0");
    assert!(a.first_party && b.first_party);
    assert_eq!(a.source, PackageSource::Path { dir: "packages/a".into() });
    assert!(a.dependencies.contains(&b_i), "a workspace dependency is linked to the member");
    let scope = |name: &str, version: &str| find(r, name, version).1.scope;
    assert_eq!(scope("ms", "2.1.3"), Some(Scope::Required));
    assert_eq!(scope("debug", "4.4.3"), Some(Scope::Required));
    assert_eq!(scope("left-pad", "1.3.0"), Some(Scope::Required));
    assert_eq!(scope("is-number", "7.0.0"), Some(Scope::Excluded));
    assert_eq!(scope("is-odd", "3.0.1"), Some(Scope::Optional));
    assert_eq!(scope("is-number", "6.0.0"), Some(Scope::Optional));
    for (n, v) in [("is-even", "1.0.0"), ("is-odd", "0.1.2"), ("is-number", "3.0.0"), ("kind-of", "3.2.2")] {
        let p = find(r, n, v).1;
        assert_eq!(p.scope, Some(Scope::Excluded), "{n}@{v}: a member's dev dependency");
        assert!(p.reached_by.contains(&DependencyKind::Dev));
    }
    let (_, left) = find(r, "left-pad", "1.3.0");
    assert_eq!(left.alias.as_deref(), Some("left-pad-alias"));
    assert!(left.direct && !find(r, "kind-of", "3.2.2").1.direct);
    assert_eq!(find(r, "ms", "2.1.3").1.lines.map(|l| (l.start, l.end)), Some((67, 70)));
    let _ = a_i;
}

#[test]
fn berry_workspace_scopes_resolutions_and_builtin_patches() {
    let resolution = resolve_with(&fixture("berry-workspace"), &ResolveOptions::default());
    assert!(resolution.errors.is_empty(), "{:?}", resolution.errors);
    let r = only(&resolution);
    let root = &r.packages[root_index(r)];
    assert_eq!((root.name.as_str(), root.version.as_str()), ("berry-ws", "2.0.0"), "from package.json");
    assert_eq!(root.lines.map(|l| l.start), Some(33));
    let (_, a) = find(r, "@ws/a", "0.1.0");
    assert!(a.first_party);
    assert_eq!(a.source, PackageSource::Path { dir: "packages/a".into() });
    // 30 blocks: 28 packages and 2 workspaces.
    assert_eq!(r.packages.iter().filter(|p| !p.first_party).count(), 28);
    let scope = |name: &str, version: &str| find(r, name, version).1.scope;
    assert_eq!(scope("ms", "2.1.2"), Some(Scope::Required), "`resolutions: {{ ms: 2.1.2 }}`");
    assert_eq!(scope("debug", "4.4.3"), Some(Scope::Required));
    assert_eq!(scope("left-pad", "1.3.0"), Some(Scope::Required));
    assert_eq!(scope("is-number", "7.0.0"), Some(Scope::Excluded));
    assert_eq!(scope("is-odd", "3.0.1"), Some(Scope::Excluded));
    assert_eq!(scope("is-number", "6.0.0"), Some(Scope::Excluded));
    assert_eq!(scope("node-gyp", "13.1.0"), Some(Scope::Optional), "only through optional fsevents");
    let fsevents: Vec<&Package> = r.packages.iter().filter(|p| p.name == "fsevents").collect();
    assert_eq!(fsevents.len(), 2);
    assert!(fsevents.iter().all(|p| p.scope == Some(Scope::Optional) && p.source.is_default_registry()));
    assert!(r.packages.iter().all(|p| p.checksums.is_empty()));
}

#[test]
fn lockfile_only_reads_no_manifest() {
    let resolution =
        resolve_with(&fixture("berry-workspace"), &ResolveOptions { lockfile_only: true, ..ResolveOptions::default() });
    assert!(resolution.errors.is_empty(), "{:?}", resolution.errors);
    let r = only(&resolution);
    let root = &r.packages[root_index(r)];
    assert_eq!((root.name.as_str(), root.version.as_str()), ("berry-ws", "0.0.0-use.local"));
    assert!(r.packages.iter().all(|p| p.scope.is_none()));
    let classic = resolve_with(
        &fixture("classic-workspace"),
        &ResolveOptions { lockfile_only: true, ..ResolveOptions::default() },
    );
    assert!(classic.errors.is_empty());
    assert_eq!(only(&classic).packages.len(), 12, "11 blocks and the root");
}

#[test]
fn a_malformed_package_json_is_reported_and_the_packages_stay() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixture("classic-workspace/yarn.lock"), dir.path().join("yarn.lock")).unwrap();
    std::fs::write(dir.path().join("package.json"), "{ not json").unwrap();
    let resolution = resolve_with(dir.path(), &ResolveOptions::default());
    let r = only(&resolution);
    assert_eq!(r.packages.len(), 12);
    assert!(r.packages.iter().all(|p| p.scope.is_none()));
    assert_eq!(resolution.errors.len(), 1, "{:?}", resolution.errors);
    assert_eq!(resolution.errors[0].path, "package.json");
    assert!(matches!(resolution.errors[0].kind, ResolveErrorKind::Json(_)));
}

/// A small advisory database that matches nothing here (`scan` needs one).
fn own_db() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/advisories/own/unrelated")
}

// ---------------------------------------------------------------------------------------------
// Errors: each names the file and line, and `scan`/`sbom` exit 2.

#[test]
fn bad_lockfiles_are_errors_with_their_line() {
    let cases: [(&str, usize, &str); 7] = [
        ("classic-bad-indent.lock", 8, "spaces"),
        ("classic-future-version.lock", 2, "unsupported yarn.lock (classic) version v2"),
        ("classic-no-version.lock", 4, "has no `version`"),
        ("classic-dangling.lock", 7, "`b@^2.0.0`, which is not a package of this lockfile"),
        ("berry-future-version.lock", 2, "unsupported yarn.lock __metadata.version version 99"),
        ("berry-bad-yaml.lock", 7, "invalid YAML"),
        ("berry-no-version.lock", 5, "has no `version`"),
    ];
    for (file, line, message) in cases {
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(fixture("errors").join(file), dir.path().join("yarn.lock")).unwrap();
        let resolution = resolve_with(dir.path(), &ResolveOptions::default());
        let error = resolution.errors.first().unwrap_or_else(|| panic!("{file}: no error"));
        assert_eq!(error.path, "yarn.lock", "{file}");
        assert_eq!(error.line, Some(line), "{file}: {error}");
        assert!(error.to_string().contains(message), "{file}: {error}");
        for args in [&["scan"][..], &["sbom"][..]] {
            let out = Command::new(env!("CARGO_BIN_EXE_chainward"))
                .args(args)
                .arg(dir.path())
                .args(common::no_registry(args))
                .args(if args == ["scan"] { &["--offline", "--db"][..] } else { &[] })
                .args(if args == ["scan"] { vec![own_db()] } else { Vec::new() })
                .env("SOURCE_DATE_EPOCH", "1700000000")
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{file} {args:?}: {stderr}");
            assert!(stderr.contains(&format!("yarn.lock:{line}")), "{file} {args:?}: {stderr}");
        }
    }
}

#[test]
fn truncated_and_mutated_lockfiles_never_panic() {
    use chainward::resolve::Resolver as _;
    let empty = tempfile::tempdir().unwrap();
    let tree = chainward::source::WorkTree::new(empty.path());
    let options = ResolveOptions::default();
    for name in ["classic-workspace/yarn.lock", "berry-workspace/yarn.lock"] {
        let bytes = std::fs::read(fixture(name)).unwrap();
        for cut in (0..bytes.len()).step_by(7) {
            let _ = chainward::resolve::yarn::YarnLockResolver.resolve(&tree, "yarn.lock", &bytes[..cut], &options);
        }
        for at in (0..bytes.len()).step_by(5) {
            let mut mutated = bytes.clone();
            mutated[at] = [b'"', b':', b' ', b'\n', b',', b'#', b'\\', b'-', b'@', b'{', b'&', b'*'][at % 12];
            let _ = chainward::resolve::yarn::YarnLockResolver.resolve(&tree, "yarn.lock", &mutated, &options);
        }
    }
}
