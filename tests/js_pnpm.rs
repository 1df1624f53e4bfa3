//! `pnpm-lock.yaml`: the osv-scalibr conformance cases (inventory and lines, each deliberate
//! difference normalised with its reason), the real lockfiles of `../shared/corpus/npm/`
//! (counts, every edge resolved, hashes, schema-valid SBOMs), and the CLI's exit code on bad
//! lockfiles.

// Test helpers fail loudly on unexpected input: that is how a test reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use chainward::model::{Checksum, PackageSource, RootComponent, Scope};
use chainward::resolve::{Resolution, ResolveErrorKind, Resolved};
use serde_json::Value;

fn chainward(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chainward"))
        .args(args)
        .args(common::no_registry(args))
        .env("CHAINWARD_CACHE_DIR", Path::new(env!("CARGO_TARGET_TMPDIR")).join("chainward-cache"))
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .expect("run chainward")
}

fn only_lockfile(resolution: &Resolution) -> &Resolved {
    assert_eq!(resolution.resolved.len(), 1, "one lockfile: {:?}", resolution.errors);
    &resolution.resolved[0]
}

/// The errors of a resolution as (line, short kind, text).
fn error_lines(resolution: &Resolution) -> Vec<(Option<usize>, &'static str)> {
    let mut out: Vec<(Option<usize>, &'static str)> = resolution
        .errors
        .iter()
        .map(|e| {
            let kind = match &e.kind {
                ResolveErrorKind::DanglingDependency { .. } => "dangling",
                ResolveErrorKind::InvalidPackage(_) => "invalid",
                ResolveErrorKind::Yaml(_) => "yaml",
                ResolveErrorKind::Format(_) => "format",
                ResolveErrorKind::UnsupportedFormatVersion { .. } => "version",
                other => panic!("unexpected error kind {other:?}"),
            };
            (e.line, kind)
        })
        .collect();
    out.sort();
    out
}

/// What each conformance case's fixture makes chainward report besides the packages. The
/// peer's fixtures are hand-made excerpts of lockfiles: their edges often point at packages
/// the excerpt left out, which pnpm itself would refuse ("broken lockfile"). chainward reports
/// every such edge as a `DanglingDependency` error with the line of the dependency (so the
/// run fails, exit 2) and still lists every package, so the inventory stays comparable.
fn expected_errors(case: &str) -> Vec<(Option<usize>, &'static str)> {
    match case {
        // `faker: 5.5.3` (line 39): no `/faker/5.5.3` key; `@my-scope/my-other-package` at
        // commit 1b54f… (line 25) is at fbfc96… in `packages`; the root's
        // `my-bitbucket-package` (line 9) points at `…/my-bitbucket-package/…` while the key
        // says `my-bitbucket-project`.
        "npm/pnpm-v5-commits" => vec![(Some(9), "dangling"), (Some(25), "dangling"), (Some(39), "dangling")],
        // `/foo/bar` (line 18) and `github.com/kevva/is-positive` (line 14) have no version
        // (the peer skips them silently: `pnpm-unversioned-entries-skipped`; for chainward an
        // entry that is not a package is an error); the root's `@typescript-eslint/types:
        // 5.13.0` (line 7) has no key.
        "npm/pnpm-v5-exotic" => vec![(Some(7), "dangling"), (Some(14), "invalid"), (Some(18), "invalid")],
        // The root's `file:./projects/package-a.tgz` (line 7): pnpm writes (and looks up)
        // `file:projects/package-a.tgz`; the nameless `file:../nameless-package` (line 44).
        "npm/pnpm-v5-files" => vec![(Some(7), "dangling"), (Some(44), "invalid")],
        // Two keys that are no dependency path at all (lines 11 and 23), and the root's `test:
        // 1.2.3` (line 7) has no `/test/1.2.3` key.
        "npm/pnpm-v5-error-invalid-paths" => vec![(Some(7), "dangling"), (Some(11), "invalid"), (Some(23), "invalid")],
        // A plain scalar: valid YAML, but no lockfile.
        "npm/pnpm-error-not-yaml" => vec![(Some(1), "format")],
        _ => Vec::new(),
    }
}

#[test]
fn conformance_cases_match_the_peer_inventory() {
    let cases = common::conformance::cases("pnpm-lock.yaml");
    if cases.is_empty() {
        return;
    }
    assert_eq!(cases.len(), 12, "the README lists 12 pnpm cases");
    for case in &cases {
        let dir = case.materialize();
        let resolution = common::conformance::resolve(dir.path());
        let errors = error_lines(&resolution);
        let name = case.name.as_str();
        if matches!(name, "npm/pnpm-v5-peer-dependencies-advanced" | "npm/pnpm-v9-peer-dependencies-advanced") {
            // Excerpts of real lockfiles: every error is an edge to a left-out package (eslint's
            // own dependencies, …), each with its line; the packages themselves are complete.
            assert!(
                !errors.is_empty() && errors.iter().all(|(l, k)| l.is_some() && *k == "dangling"),
                "{name}: {errors:?}"
            );
        } else {
            assert_eq!(errors, expected_errors(name), "{name}: {:#?}", resolution.errors);
        }
        for e in &resolution.errors {
            assert!(e.path == "pnpm-lock.yaml", "{name}: the error names the file: {e}");
        }
        if case.expects_error {
            assert!(!resolution.errors.is_empty(), "{name}: the peer expects an error");
        }
        let packages: Vec<_> =
            resolution.resolved.iter().flat_map(|r| &r.packages).filter(|p| !p.first_party).collect();
        // Our choice (all cases): the root importer is a first-party package of its own;
        // the peer lists only `packages` entries, so first-party packages are left out here.
        // `dedup-name-version` / `pnpm-peer-suffix-stripped`: peer variants would be separate
        // entries, but no case has two variants of one name@version, so the multisets compare
        // as they are.
        let got = common::conformance::multiset(packages.iter().map(|p| (p.name.as_str(), p.version.as_str())));
        let want = common::conformance::multiset(case.expected.iter().map(|e| (e.name.as_str(), e.version.as_str())));
        assert_eq!(got, want, "{name}: inventory");
        // Lines: the line of the key in `packages`, where the peer asserts one.
        let mut got_lines: BTreeMap<(&str, &str), BTreeSet<usize>> = BTreeMap::new();
        for p in &packages {
            got_lines.entry((&p.name, &p.version)).or_default().insert(p.lines.unwrap().start);
        }
        for e in &case.expected {
            if let Some(line) = e.line {
                assert!(
                    got_lines[&(e.name.as_str(), e.version.as_str())].contains(&line),
                    "{name}: {} {} at line {line}, got {:?}",
                    e.name,
                    e.version,
                    got_lines[&(e.name.as_str(), e.version.as_str())]
                );
            }
            if let Some(commit) = &e.commit {
                let p = packages.iter().find(|p| p.name == e.name && p.version == e.version).unwrap();
                match &p.source {
                    PackageSource::Git { commit: Some(c), .. } => assert_eq!(c, commit, "{name}: {}", e.name),
                    other => panic!("{name}: {} is not a git commit: {other:?}", e.name),
                }
            }
            if e.groups.iter().any(|g| g == "dev") {
                let p = packages.iter().find(|p| p.name == e.name && p.version == e.version).unwrap();
                assert_eq!(p.scope, Some(Scope::Excluded), "{name}: {} is dev-only", e.name);
            }
        }
        // The CLI fails on every case with an error, naming the file.
        if !resolution.errors.is_empty() {
            let dir = dir.path().to_str().unwrap();
            let out = chainward(&["sbom", dir, "-o", "/dev/null"]);
            assert_eq!(out.status.code(), Some(2), "{name}: sbom exits 2");
            assert!(String::from_utf8_lossy(&out.stderr).contains("pnpm-lock.yaml"), "{name}: names the file");
        }
    }
}

#[test]
fn peer_choices_we_follow_are_checked_directly() {
    for case in common::conformance::cases("pnpm-lock.yaml") {
        if case.name != "npm/pnpm-v9-mixed-groups" {
            continue;
        }
        let dir = case.materialize();
        let resolution = common::conformance::resolve(dir.path());
        let r = only_lockfile(&resolution);
        let scope = |n: &str| r.packages.iter().find(|p| p.name == n).unwrap().scope;
        // 9.0 has no dev/optional flags: the scopes come from the importer's dependency kinds.
        assert_eq!(scope("ansi-regex"), Some(Scope::Required));
        assert_eq!(scope("uuid"), Some(Scope::Optional));
        assert_eq!(scope("is-number"), Some(Scope::Excluded));
    }
}

fn corpus() -> Vec<(PathBuf, &'static str, usize, usize)> {
    let Some(shared) = common::shared_dir() else { return Vec::new() };
    let npm = shared.join("corpus/npm");
    // (dir, lockfileVersion, packages keys, importers) as SOURCES.md counts them.
    [
        ("vuejs__core", "9.0", 620, 18),
        ("vuejs__core@cc09cc7e2889", "5.4", 756, 18),
        ("vuejs__core@ea494af99365", "6.0", 730, 17),
        ("rust-lang__crates.io", "9.0", 915, 5),
    ]
    .into_iter()
    .map(|(d, v, n, i)| (npm.join(d), v, n, i))
    .collect()
}

/// The `integrity` of a few `packages` keys, read with a line scan independent of the parser.
fn integrities(text: &str, keys: &[&str]) -> Vec<(String, String)> {
    let lines: Vec<&str> = text.lines().collect();
    keys.iter()
        .map(|key| {
            let at = lines
                .iter()
                .position(|l| l.trim_end().trim_end_matches(':').trim().trim_matches('\'') == *key)
                .unwrap_or_else(|| panic!("{key} in the lockfile"));
            let line = lines[at + 1];
            let sri = line.split("integrity: ").nth(1).unwrap().trim_end_matches('}').trim_end_matches(',').trim();
            ((*key).to_owned(), sri.to_owned())
        })
        .collect()
}

/// An SRI `sha512-…` decoded to hex with a base64 decoder written here.
fn sri_hex(sri: &str) -> (String, String) {
    let (alg, b64) = sri.split_once('-').unwrap();
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = String::new();
    for c in b64.bytes().filter(|c| *c != b'=') {
        let v = u32::try_from(alphabet.iter().position(|a| *a == c).unwrap()).unwrap();
        bits = (bits << 6) | v;
        n += 6;
        if n >= 8 {
            n -= 8;
            write!(out, "{:02x}", (bits >> n) & 0xff).unwrap();
        }
    }
    (alg.to_owned(), out)
}

#[test]
fn corpus_lockfiles_resolve_completely() {
    for (dir, version, keys, importers) in corpus() {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(dir.join("pnpm-lock.yaml")).unwrap();
        assert!(
            text.contains(&format!("lockfileVersion: {version}"))
                || text.contains(&format!("lockfileVersion: '{version}'"))
        );
        let resolution = common::conformance::resolve(&dir);
        assert!(resolution.errors.is_empty(), "{name}: {:#?}", resolution.errors);
        let r = only_lockfile(&resolution);
        let first_party = r.packages.iter().filter(|p| p.first_party).count();
        assert_eq!(first_party, importers, "{name}: importers");
        assert_eq!(r.packages.len() - first_party, keys, "{name}: one package per `packages` key");
        assert!(matches!(r.root, RootComponent::Package(0)));
        assert_eq!(r.packages[0].source, PackageSource::Path { dir: ".".into() });
        // Every package has lines, registry packages a SHA-512; every non-importer package is
        // reachable from an importer, and has a scope.
        for p in r.packages.iter().filter(|p| !p.first_party) {
            let lines = p.lines.unwrap();
            assert!(lines.start <= lines.end, "{name}: {} lines", p.name);
            assert!(p.scope.is_some(), "{name}: {} {} is not reachable", p.name, p.version);
            if p.source.is_default_registry() {
                assert!(
                    matches!(p.checksum(), Some(Checksum::Sha512(_) | Checksum::Sha1(_))),
                    "{name}: {} checksum",
                    p.name
                );
            }
        }
        let edges: usize = r.packages.iter().map(|p| p.dependencies.len()).sum();
        assert!(edges > keys, "{name}: {edges} edges");
    }
}

#[test]
fn corpus_integrity_becomes_the_right_hash() {
    let picks: BTreeMap<&str, Vec<(&str, &str, &str)>> = [
        ("vuejs__core", vec![("@babel/parser@7.29.8", "@babel/parser", "7.29.8")]),
        ("vuejs__core@cc09cc7e2889", vec![("/@babel/parser/7.21.3", "@babel/parser", "7.21.3")]),
        ("vuejs__core@ea494af99365", vec![("/@babel/parser@7.24.1", "@babel/parser", "7.24.1")]),
        ("rust-lang__crates.io", vec![("date-fns@4.4.0", "date-fns", "4.4.0")]),
    ]
    .into_iter()
    .collect();
    for (dir, ..) in corpus() {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(dir.join("pnpm-lock.yaml")).unwrap();
        let resolution = common::conformance::resolve(&dir);
        let r = only_lockfile(&resolution);
        for (key, pname, pversion) in &picks[name.as_str()] {
            let (_, sri) = integrities(&text, &[key]).remove(0);
            let (alg, hex) = sri_hex(&sri);
            let p = r.packages.iter().find(|p| p.name == *pname && p.version == *pversion).unwrap();
            let sum = p.checksum().unwrap();
            assert_eq!((sum.algorithm(), sum.hex()), (alg.as_str(), hex.as_str()), "{name}: {key}");
        }
    }
}

#[test]
fn corpus_sboms_are_valid_cyclonedx() {
    for (dir, _, keys, importers) in corpus() {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let d = dir.to_str().unwrap();
        let out = chainward(&["sbom", d]);
        assert!(out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        common::validate_cyclonedx(&doc, "1.6").unwrap_or_else(|e| panic!("{name}: 1.6: {e:#?}"));
        let comps = doc["components"].as_array().unwrap();
        // Peer variants of one name@version merge into one component; importers other than
        // the root are components, the root is the metadata component.
        assert!(comps.len() < keys + importers && comps.len() > keys / 2, "{name}: {}", comps.len());
        let refs: BTreeSet<&str> = comps.iter().map(|c| c["bom-ref"].as_str().unwrap()).collect();
        for dep in doc["dependencies"].as_array().unwrap() {
            for t in dep["dependsOn"].as_array().map(Vec::as_slice).unwrap_or_default() {
                let t = t.as_str().unwrap();
                assert!(refs.contains(t) || doc["metadata"]["component"]["bom-ref"] == t, "{name}: dangling {t}");
            }
        }
        let out15 = chainward(&["sbom", d, "--spec-version", "1.5"]);
        let doc15: Value = serde_json::from_slice(&out15.stdout).unwrap();
        common::validate_cyclonedx(&doc15, "1.5").unwrap_or_else(|e| panic!("{name}: 1.5: {e:#?}"));
    }
}

fn write_lock(text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pnpm-lock.yaml"), text).unwrap();
    dir
}

#[test]
fn bad_lockfiles_fail_the_run_naming_file_and_line() {
    let cases: &[(&str, usize, &str)] = &[
        ("lockfileVersion: '10.0'\n", 1, "unsupported pnpm-lock.yaml lockfileVersion version 10.0"),
        ("lockfileVersion: 4.0\n", 1, "version 4.0"),
        ("lockfileVersion: '9.0'\npackages:\n  a@1.0.0: {resolution: {integrity: x\n", 4, "invalid YAML"),
        ("lockfileVersion: '9.0'\nx: &a [1]\ny: *a\n", 3, "aliases"),
        ("lockfileVersion: '9.0'\npackages: [1, 2]\n", 2, "must be a mapping"),
        ("lockfileVersion: '9.0'\npackages:\n  a@1.0.0: {}\n  a@1.0.0: {}\n", 4, "twice"),
        (
            "lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies:\n      a:\n        specifier: ^1\n        version: 1.0.0\npackages:\n  b@1.0.0: {}\nsnapshots:\n  b@1.0.0: {}\n",
            5,
            "`a: a@1.0.0`, which is not a package",
        ),
    ];
    // A one-advisory OSV database, so `scan` fails for the lockfile, not for a missing database.
    let db = tempfile::tempdir().unwrap();
    std::fs::write(
        db.path().join("OSV-TEST-1.json"),
        r#"{"id":"OSV-TEST-1","modified":"2020-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"left-pad"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.0.0"}]}]}]}"#,
    )
    .unwrap();
    let db = db.path().to_str().unwrap().to_owned();
    for (text, line, message) in cases {
        let dir = write_lock(text);
        let d = dir.path().to_str().unwrap();
        for args in [vec!["sbom", d, "-o", "/dev/null"], vec!["scan", d, "--offline", "--db", &db]] {
            let out = chainward(&args);
            let stderr = String::from_utf8_lossy(&out.stderr);
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert_eq!(out.status.code(), Some(2), "{text:?} {args:?}: {stderr}");
            let said = format!("{stdout}{stderr}");
            assert!(said.contains(&format!("pnpm-lock.yaml:{line}")), "{text:?} {args:?}: line {line}: {said}");
            assert!(said.contains(message), "{text:?} {args:?}: {message}: {said}");
        }
    }
}

#[test]
fn deep_nesting_and_alias_bombs_are_refused_quickly() {
    let deep = format!("lockfileVersion: '9.0'\npackages: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
    let bomb = "lockfileVersion: '9.0'\na: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n";
    for text in [deep.as_str(), bomb] {
        let dir = write_lock(text);
        let started = std::time::Instant::now();
        let out = chainward(&["sbom", dir.path().to_str().unwrap(), "-o", "/dev/null"]);
        assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(started.elapsed().as_secs() < 10);
    }
}

/// The small fixture of `testdata/js/pnpm/v6-workspace` (see the README there).
#[test]
fn the_v6_workspace_fixture_gives_members_scopes_and_edges() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/js/pnpm/v6-workspace");
    let resolution = common::conformance::resolve(&dir);
    assert!(resolution.errors.is_empty(), "{:#?}", resolution.errors);
    let r = only_lockfile(&resolution);
    let names: Vec<(&str, &str, bool)> =
        r.packages.iter().map(|p| (p.name.as_str(), p.version.as_str(), p.first_party)).collect();
    assert_eq!(&names[..2], [("demo-root", "0.1.0", true), ("@demo/lib", "2.0.0", true)]);
    assert_eq!(r.packages.len(), 8);
    let get = |n: &str| r.packages.iter().position(|p| p.name == n).unwrap();
    let p = |n: &str| &r.packages[get(n)];
    assert_eq!(p("typescript").scope, Some(Scope::Excluded));
    assert!(p("typescript").direct && p("react-dom").direct && !p("react").direct);
    for n in ["react-dom", "react", "loose-envify", "js-tokens", "scheduler"] {
        assert_eq!(p(n).scope, Some(Scope::Required), "{n}");
    }
    assert_eq!(p("@demo/lib").source, PackageSource::Path { dir: "packages/lib".into() });
    assert!(r.packages[0].dependencies.contains(&1));
    assert_eq!(
        p("react-dom").dependencies,
        [get("loose-envify"), get("react"), get("scheduler")].into_iter().collect()
    );
    assert_eq!(p("react-dom").lines.map(|l| (l.start, l.end)), Some((44, 52)));
    // `scan` reads the lockfile only: the same packages, names from the links and directories.
    let out = chainward(&["sbom", dir.to_str().unwrap(), "-o", "/dev/null"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// The same workspace locked by pnpm 7 (5.4), 8 (6.0) and 9 (9.0): one answer.
#[test]
fn real_pnpm_lockfiles_of_three_versions_agree() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/js/pnpm");
    let mut answers = Vec::new();
    for v in ["pnpm7-v5.4", "pnpm8-v6.0", "pnpm9-v9.0"] {
        let resolution = common::conformance::resolve(&root.join(v));
        assert!(resolution.errors.is_empty(), "{v}: {:#?}", resolution.errors);
        let r = only_lockfile(&resolution);
        let describe = |i: usize| {
            let p = &r.packages[i];
            format!("{}@{}", p.name, p.version)
        };
        let mut answer: Vec<String> = r
            .packages
            .iter()
            .map(|p| {
                let deps: BTreeSet<String> = p.dependencies.iter().map(|&i| describe(i)).collect();
                format!(
                    "{}@{} fp={} direct={} scope={:?} alias={:?} source={} deps={deps:?}",
                    p.name,
                    p.version,
                    p.first_party,
                    p.direct,
                    p.scope,
                    p.alias,
                    p.source.kind(),
                )
            })
            .collect();
        answer.sort();
        answers.push((v, answer));
    }
    let want = [
        "@types/ms@0.7.34 fp=false direct=true scope=Some(Required) alias=Some(\"@types/x\") source=registry deps={}",
        "ansi-regex@5.0.1 fp=false direct=true scope=Some(Required) alias=Some(\"ansi\") source=registry deps={}",
        "has-flag@4.0.0 fp=false direct=true scope=Some(Optional) alias=None source=registry deps={}",
        "is-number@6.0.0 fp=false direct=false scope=Some(Excluded) alias=None source=registry deps={}",
        "is-number@7.0.0 fp=false direct=true scope=Some(Required) alias=None source=registry deps={}",
        "is-odd@3.0.1 fp=false direct=true scope=Some(Excluded) alias=None source=registry deps={\"is-number@6.0.0\"}",
        "kind-of@6.0.3 fp=false direct=true scope=Some(Required) alias=None source=registry deps={}",
        "m@0.0.1 fp=true direct=false scope=Some(Required) alias=None source=path deps={\"@types/ms@0.7.34\", \"kind-of@6.0.3\"}",
        "pp-root@1.0.0 fp=true direct=false scope=Some(Required) alias=None source=path deps={\"ansi-regex@5.0.1\", \"has-flag@4.0.0\", \"is-number@7.0.0\", \"is-odd@3.0.1\", \"m@0.0.1\"}",
    ];
    for (v, answer) in &answers {
        assert_eq!(answer, &want, "{v}");
    }
}
