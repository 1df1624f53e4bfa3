//! bun's lockfiles: the osv-scalibr conformance cases for `bun.lock`, the real workspace
//! fixture of `testdata/js/bun/workspace/` (written by bun 1.4.5 with `bun install
//! --lockfile-only --ignore-scripts`), and the loud refusal of the binary `bun.lockb`.

// Test helpers fail loudly on unexpected input: that is how a test reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use chainward::model::{Checksum, DependencyKind, LineSpan, PackageSource, RootComponent, Scope};
use chainward::resolve::{ResolveErrorKind, Resolved};
use serde_json::Value;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/js/bun/workspace")
}

/// `chainward ARGS`: (exit code, stdout, stderr). `scan` runs `--offline --no-registry` on
/// the small test advisory database.
fn run(args: &[&str]) -> (i32, Vec<u8>, String) {
    // A database with npm records (none about the fixture's packages): npm packages scanned
    // against a database without any would be "not checked", exit 2.
    let db = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/advisories/own/unrelated");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_chainward"));
    cmd.args(args).args(common::no_registry(args));
    if args.first() == Some(&"scan") {
        cmd.arg("--offline").arg("--db").arg(&db);
    }
    let out = cmd
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .env("CHAINWARD_NPM_REGISTRY_URL", common::DEAD_REGISTRY)
        .output()
        .expect("run chainward");
    (out.status.code().unwrap_or(-1), out.stdout, String::from_utf8_lossy(&out.stderr).into_owned())
}

/// The one `bun.lock` of a resolution.
fn only(resolution: &chainward::resolve::Resolution) -> &Resolved {
    assert!(resolution.errors.is_empty(), "{:?}", resolution.errors);
    assert_eq!(resolution.resolved.len(), 1);
    &resolution.resolved[0]
}

#[test]
fn conformance_cases_match_the_peer() {
    let cases = common::conformance::cases("bun.lock");
    if common::shared_dir().is_none() {
        return;
    }
    assert_eq!(cases.len(), 6, "the six osv-scalibr bun.lock cases");
    for case in cases {
        let dir = case.materialize();
        let resolution = common::conformance::resolve(dir.path());
        if case.expects_error {
            // We fail the whole file (no partial result: the peer's `partial-result-with-error`
            // is its own policy); the error names the file and the line of the bad entry.
            assert!(resolution.resolved.is_empty(), "{}: resolved despite the error", case.name);
            let error = resolution.errors.first().unwrap_or_else(|| panic!("{}: no error", case.name));
            assert_eq!(error.path, "bun.lock", "{}", case.name);
            assert_eq!(error.line, Some(12), "{}: the line of `wrappy-bad1`", case.name);
            assert!(matches!(error.kind, ResolveErrorKind::InvalidPackage(_)), "{}: {error}", case.name);
            assert!(error.to_string().contains("wrappy-bad1"), "{error}");
            for command in ["scan", "sbom"] {
                let (code, _, stderr) = run(&[command, dir.path().to_str().unwrap()]);
                assert_eq!(code, 2, "{} {command}: {stderr}", case.name);
                assert!(stderr.contains("bun.lock:12"), "{} {command}: {stderr}", case.name);
            }
            continue;
        }
        let lock = only(&resolution);
        // Our root project is a first-party package (the peer reports none for bun.lock, whose
        // root is a workspace, not a package): compare the other packages. Git and file
        // packages have version "" on both sides (`git-version-empty`,
        // `file-dep-version-empty`), aliases are reported under the real name on both sides
        // (`alias-real-name`), and none of these fixtures holds a name@version twice, so
        // `dedup-name-version` changes nothing: no other normalisation is needed.
        let ours: Vec<_> = lock.packages.iter().filter(|p| !p.first_party).collect();
        let got = common::conformance::multiset(ours.iter().map(|p| (p.name.as_str(), p.version.as_str())));
        let want = common::conformance::multiset(case.expected.iter().map(|e| (e.name.as_str(), e.version.as_str())));
        assert_eq!(got, want, "{}", case.name);
        for e in &case.expected {
            let matching: Vec<_> = ours.iter().filter(|p| p.name == e.name && p.version == e.version).collect();
            if let Some(line) = e.line {
                assert!(
                    matching.iter().any(|p| p.lines.map(|l| l.start) == Some(line)),
                    "{}: {}@{} expected at line {line}, ours at {:?}",
                    case.name,
                    e.name,
                    e.version,
                    matching.iter().map(|p| p.lines).collect::<Vec<_>>()
                );
            }
            if let Some(commit) = &e.commit {
                assert!(
                    matching
                        .iter()
                        .any(|p| matches!(&p.source, PackageSource::Git { commit: Some(c), .. } if c == commit)),
                    "{}: {} expected at commit {commit}, ours {:?}",
                    case.name,
                    e.name,
                    matching.iter().map(|p| &p.source).collect::<Vec<_>>()
                );
            }
        }
        // Every edge resolves (no error above) and the SBOM validates.
        let (code, stdout, stderr) = run(&["sbom", dir.path().to_str().unwrap()]);
        assert_eq!(code, 0, "{}: {stderr}", case.name);
        let doc: Value = serde_json::from_slice(&stdout).unwrap();
        common::validate_cyclonedx(&doc, "1.6").unwrap_or_else(|e| panic!("{}: {e:#?}", case.name));
    }
}

#[test]
fn the_real_workspace_fixture_resolves_as_bun_installs_it() {
    let resolution = common::conformance::resolve(&fixture());
    let lock = only(&resolution);
    assert_eq!(lock.path, "bun.lock");
    // 9 `packages` keys, one of them the member's workspace tuple, plus the member itself
    // (from `workspaces`) and the root: 10 packages, 9 besides the root.
    assert_eq!(lock.packages.len(), 10);
    let RootComponent::Package(root) = lock.root else { panic!("the root is a package") };
    let root = &lock.packages[root];
    assert_eq!((root.name.as_str(), root.version.as_str()), ("bun-fixture", "0.3.0"), "version from package.json");
    assert_eq!(root.source, PackageSource::Path { dir: ".".into() });
    assert!(root.first_party);
    assert_eq!(root.lines, Some(LineSpan { start: 5, end: 19 }));

    let find = |key_line: usize| {
        lock.packages
            .iter()
            .position(|p| p.lines.map(|l| l.start) == Some(key_line))
            .unwrap_or_else(|| panic!("no package at line {key_line}"))
    };
    let member = find(20);
    let has_flag_4 = find(32);
    let is_number_7 = find(34);
    let is_odd = find(36);
    let sc_old = find(40);
    let supports_color = find(42);
    let is_number_6 = find(44);
    let member_has_flag = find(46);
    let sc_old_has_flag = find(48);
    let p = |i: usize| &lock.packages[i];

    assert_eq!((p(member).name.as_str(), p(member).version.as_str()), ("member-a", "1.0.0"));
    assert_eq!(p(member).source, PackageSource::Path { dir: "packages/member-a".into() });
    assert!(p(member).first_party);
    assert_eq!((p(sc_old).name.as_str(), p(sc_old).version.as_str()), ("supports-color", "5.5.0"));
    assert_eq!(p(sc_old).alias.as_deref(), Some("sc-old"));
    assert_eq!(p(supports_color).alias, None);
    // The nested duplicate: has-flag@3.0.0 at `member-a/has-flag` and at `sc-old/has-flag`,
    // two entries (the graph merges them later).
    assert_eq!(p(member_has_flag).version, "3.0.0");
    assert_eq!(p(sc_old_has_flag).version, "3.0.0");
    assert_eq!(p(has_flag_4).version, "4.0.0");

    // Edges, as bun links them (checked against the installed tree: each package's
    // `node_modules` under `node_modules/.bun/`).
    let deps = |i: usize| p(i).dependencies.iter().copied().collect::<Vec<_>>();
    let mut want_root = vec![member, has_flag_4, is_number_7, is_odd, sc_old, supports_color];
    want_root.sort_unstable();
    assert_eq!(deps(0), want_root);
    assert_eq!(deps(member), vec![member_has_flag], "`member-a/has-flag` before `has-flag`");
    assert_eq!(deps(sc_old), vec![sc_old_has_flag]);
    assert_eq!(deps(supports_color), vec![has_flag_4]);
    assert_eq!(deps(is_odd), vec![is_number_6]);

    // Scopes from the declared kinds.
    assert_eq!(p(supports_color).scope, Some(Scope::Required));
    assert_eq!(p(member_has_flag).scope, Some(Scope::Required));
    assert_eq!(p(is_odd).scope, Some(Scope::Optional));
    assert_eq!(p(is_number_6).scope, Some(Scope::Optional));
    assert_eq!(p(is_number_7).scope, Some(Scope::Excluded));
    assert!(p(is_number_7).reached_by.contains(&DependencyKind::Dev));
    assert!(p(is_odd).direct && p(sc_old).direct && !p(is_number_6).direct && !p(member).direct);

    // trustedDependencies: scripts run on install for is-odd; unknown for the others.
    assert_eq!(p(is_odd).install_script, Some(true));
    assert_eq!(p(supports_color).install_script, None);

    // Integrity, decoded independently.
    let text = std::fs::read_to_string(fixture().join("bun.lock")).unwrap();
    let line = text.lines().nth(31).unwrap();
    let sri = line.split('"').rev().nth(1).unwrap();
    let digest =
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, sri.strip_prefix("sha512-").unwrap())
            .unwrap();
    let hex: String = digest.iter().fold(String::new(), |mut s, b| {
        use std::fmt::Write as _;
        write!(s, "{b:02x}").unwrap();
        s
    });
    assert_eq!(p(has_flag_4).checksums, vec![Checksum::Sha512(hex.clone())]);
    assert!(hex.starts_with("1329094ff4352a34d672da69"), "{hex}");
    for i in [has_flag_4, is_number_7, is_odd, sc_old, supports_color, is_number_6, member_has_flag] {
        assert_eq!(
            p(i).source,
            PackageSource::Registry { url: "https://registry.npmjs.org".into(), sparse: false, default_registry: true }
        );
        assert!(matches!(p(i).checksums.as_slice(), [Checksum::Sha512(_)]), "{}", p(i).name);
    }
}

#[test]
fn the_fixture_sbom_validates_and_names_every_edge() {
    for spec in ["1.5", "1.6"] {
        let (code, stdout, stderr) = run(&["sbom", fixture().to_str().unwrap(), "--spec-version", spec]);
        assert_eq!(code, 0, "{stderr}");
        let doc: Value = serde_json::from_slice(&stdout).unwrap();
        common::validate_cyclonedx(&doc, spec).unwrap_or_else(|e| panic!("{spec}: {e:#?}"));
        let refs: Vec<&str> =
            doc["components"].as_array().unwrap().iter().map(|c| c["bom-ref"].as_str().unwrap()).collect();
        // has-flag@3.0.0 is one component though two entries: 8 components plus the root.
        assert_eq!(refs.len(), 8, "{refs:?}");
        let mut edges: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for d in doc["dependencies"].as_array().unwrap() {
            let from = d["ref"].as_str().unwrap();
            for to in d.get("dependsOn").and_then(Value::as_array).into_iter().flatten() {
                edges.entry(from).or_default().push(to.as_str().unwrap());
            }
        }
        assert_eq!(edges["pkg:npm/supports-color@5.5.0"], vec!["pkg:npm/has-flag@3.0.0"]);
        assert_eq!(edges["path:packages/member-a#member-a@1.0.0"], vec!["pkg:npm/has-flag@3.0.0"]);
        assert_eq!(edges["pkg:npm/is-odd@3.0.1"], vec!["pkg:npm/is-number@6.0.0"]);
    }
    let (code, _, stderr) = run(&["scan", fixture().to_str().unwrap()]);
    assert_eq!(code, 0, "scan reads the fixture: {stderr}");
}

#[test]
fn a_binary_bun_lockb_is_refused_with_the_command_that_fixes_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = b"#!/usr/bin/env bun\nbun-lockfile-format-v0\n".to_vec();
    bytes.extend([0u8, 1, 2, 3, 255, 254]);
    std::fs::write(dir.path().join("bun.lockb"), bytes).unwrap();
    let resolution = common::conformance::resolve(dir.path());
    assert!(resolution.resolved.is_empty());
    let error = &resolution.errors[0];
    assert_eq!(error.path, "bun.lockb");
    assert!(matches!(error.kind, ResolveErrorKind::Format(_)));
    let message = error.to_string();
    assert!(message.contains("bun install --save-text-lockfile") && message.contains("bun.lock"), "{message}");
    for command in ["scan", "sbom"] {
        let (code, _, stderr) = run(&[command, dir.path().to_str().unwrap()]);
        assert_eq!(code, 2, "{command}: {stderr}");
        assert!(stderr.contains("bun.lockb") && stderr.contains("--save-text-lockfile"), "{command}: {stderr}");
    }
}

#[test]
fn lockfiles_under_node_modules_are_not_claimed() {
    use chainward::resolve::Resolver as _;
    let bun = chainward::resolve::bun::BunLockResolver;
    assert!(bun.claims(Path::new("bun.lock")));
    assert!(bun.claims(Path::new("web/bun.lockb")));
    assert!(!bun.claims(Path::new("node_modules/x/bun.lock")));
    assert!(!bun.claims(Path::new("bun.lock.bak")));
    assert!(!bun.claims(Path::new("package-lock.json")));
}

#[test]
fn errors_name_the_file_and_line_through_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "{\n  \"lockfileVersion\": 9,\n  \"workspaces\": { \"\": {} },\n}\n",
            2,
            "unsupported bun.lock lockfileVersion version 9",
        ),
        ("{\n  \"lockfileVersion\": 1,\n  \"workspaces\": { \"\": {} \n", 3, "invalid JSON"),
        (
            "{\n  \"lockfileVersion\": 1,\n  \"workspaces\": { \"\": { \"dependencies\": { \"a\": \"1\" } } },\n  \"packages\": {\n    \"a\": [\"a@1.0.0\", \"\", { \"dependencies\": { \"b\": \"1\" } }, \"\"],\n  },\n}\n",
            5,
            "`a@1.0.0` depends on `b`",
        ),
    ];
    for (text, line, message) in cases {
        std::fs::write(dir.path().join("bun.lock"), text).unwrap();
        let resolution = common::conformance::resolve(dir.path());
        let error = resolution.errors.first().unwrap_or_else(|| panic!("no error for {text}"));
        assert_eq!((error.path.as_str(), error.line), ("bun.lock", Some(line)), "{error}");
        assert!(error.to_string().contains(message), "{error}");
        let (code, _, stderr) = run(&["sbom", dir.path().to_str().unwrap()]);
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.contains(&format!("bun.lock:{line}")), "{stderr}");
    }
}
