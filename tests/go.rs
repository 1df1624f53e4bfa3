//! Go modules: the osv-scalibr conformance cases for `go.mod` (with the go.sum of the go 1.16
//! case), the three corpus `go.mod` files (require counts, SBOMs valid against CycloneDX 1.5 and
//! 1.6, advisories of `Go.zip` as an independent oracle computes them), `go.work` workspaces
//! (one with a `go 1.16` member reading its go.sum) and a `go.mod` with every directive
//! (`testdata/go/`), and mutated files.

// Test helpers fail loudly on unexpected input: that is how a test reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use common::mutate::Rng;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use chainward::fuzzing::MemorySource;
use chainward::model::{LineSpan, Package, PackageSource, RootComponent};
use chainward::resolve::gomod::GoModResolver;
use chainward::resolve::gowork::GoWorkResolver;
use chainward::resolve::{ResolveOptions, Resolved, Resolver};
use serde_json::Value;

fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/go").join(name)
}

/// `chainward ARGS`: (exit code, stdout, stderr). `scan` runs offline, without registries.
fn run(args: &[&str]) -> (i32, Vec<u8>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_chainward"))
        .args(args)
        .args(common::no_registry(args))
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .expect("run chainward");
    (out.status.code().unwrap_or(-1), out.stdout, String::from_utf8_lossy(&out.stderr).into_owned())
}

/// The one lockfile of a resolution, which had no error.
fn only(resolution: &chainward::resolve::Resolution) -> &Resolved {
    assert!(resolution.errors.is_empty(), "{:?}", resolution.errors);
    the_lockfile(resolution)
}

/// The one lockfile of a resolution, errors or not.
fn the_lockfile(resolution: &chainward::resolve::Resolution) -> &Resolved {
    assert_eq!(resolution.resolved.len(), 1);
    &resolution.resolved[0]
}

fn find<'a>(r: &'a Resolved, name: &str) -> (usize, &'a Package) {
    r.packages
        .iter()
        .enumerate()
        .find(|(_, p)| p.name == name)
        .unwrap_or_else(|| panic!("no {name} in {:?}", r.packages.iter().map(|p| &p.name).collect::<Vec<_>>()))
}

/// The one-line span `Package::lines` holds for a directive line.
#[allow(clippy::unnecessary_wraps)] // compared with `Package::lines`, an `Option`
fn line(n: usize) -> Option<LineSpan> {
    Some(LineSpan { start: n, end: n })
}

/// The peer's `go-stdlib-entry` writes the `go` line as written (`1.16`); we write the SemVer the
/// Go vulnerability database uses (`1.16.0`), so that `Go.zip`'s stdlib ranges compare.
fn stdlib_semver(v: &str) -> String {
    if v.split('.').count() == 2 { format!("{v}.0") } else { v.to_owned() }
}

#[test]
fn conformance_cases_match_the_peer() {
    let cases = common::conformance::cases("go.mod");
    let Some(shared) = common::shared_dir() else { return };
    assert_eq!(cases.len(), 12, "the twelve osv-scalibr go.mod cases");
    let db = shared.join("advisory-db/osv/Go.zip");
    for case in cases {
        let dir = case.materialize();
        // The peer finds the go.sum by swapping `.mod` for `.sum`: ours is the sibling `go.sum`.
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            let p = entry.unwrap().path();
            if p.extension().is_some_and(|e| e == "sum") {
                std::fs::rename(&p, dir.path().join("go.sum")).unwrap();
            }
        }
        let resolution = common::conformance::resolve(dir.path());
        if case.expects_error {
            // "this is not a go.mod file!": `this` is not a directive, as the go command says.
            assert!(resolution.resolved.is_empty(), "{}", case.name);
            let error = &resolution.errors[0];
            assert_eq!((error.path.as_str(), error.line), ("go.mod", Some(1)), "{}", case.name);
            assert!(error.to_string().contains("unknown directive: this"), "{error}");
            let scan = ["scan", "--offline", "--db", db.to_str().unwrap(), dir.path().to_str().unwrap()];
            for args in [&["sbom", dir.path().to_str().unwrap()][..], &scan[..]] {
                let (code, _, stderr) = run(args);
                assert_eq!(code, 2, "{} {args:?}: {stderr}", case.name);
                assert!(stderr.contains("go.mod:1"), "{stderr}");
            }
            continue;
        }
        let lock = the_lockfile(&resolution);
        // The replace cases have no `go` line (go assumes 1.16: an unpruned module graph) and no
        // go.sum: go.mod alone may not list every module of the build, which is an error naming
        // go.mod (exit 2), where the peer lists go.mod's requires and stops.
        let text = std::fs::read_to_string(dir.path().join("go.mod")).unwrap();
        let go_minor = text.lines().find_map(|l| l.strip_prefix("go 1.")?.split('.').next()?.parse::<u32>().ok());
        let needs_go_sum = !dir.path().join("go.sum").exists() && go_minor.is_none_or(|m| m <= 16);
        if needs_go_sum {
            assert_eq!(resolution.errors.len(), 1, "{}: {:?}", case.name, resolution.errors);
            let e = &resolution.errors[0];
            assert_eq!((e.path.as_str(), e.line), ("go.mod", None), "{}", case.name);
            assert!(e.to_string().contains("no `go` line") && e.to_string().contains("`go.sum` is needed"), "{e}");
        } else {
            assert!(resolution.errors.is_empty(), "{}: {:?}", case.name, resolution.errors);
        }
        // Lines the peer asserts in another file (the go.sum modules) have no line of ours:
        // a package's lines are in its lockfile (go.mod).
        let raw: Value =
            serde_json::from_slice(&std::fs::read(case.fixture.parent().unwrap().join("expected.json")).unwrap())
                .unwrap();
        let in_go_sum: BTreeSet<&str> = raw
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e.get("line_file").is_some())
            .filter_map(|e| e["name"].as_str())
            .collect();
        // Deliberate differences, normalised here:
        // - versions keep their `v` as go.mod writes them (the peer strips it);
        // - stdlib as SemVer (`1.16.0` for the peer's `1.16`, see `stdlib_semver`);
        // - a local replacement is named as the module it replaces, with a `Path` source (the
        //   peer names it `./fork/net`): compared as `./DIR`;
        // - one version per module path, as minimal version selection builds (a go.mod requiring
        //   golang.org/x/net at v1.2.3 and v0.5.6 builds v1.2.3 only; we warn about the other),
        //   where the peer reports both: the entries of the version Go does not build are taken
        //   out of the peer's list below;
        // - our root is the module itself (first-party), which the peer does not list.
        let ours: Vec<&Package> = lock.packages.iter().filter(|p| !p.first_party).collect();
        let norm = |p: &Package| -> (String, String) {
            match &p.source {
                PackageSource::Path { dir } => (format!("./{dir}"), p.version.clone()),
                _ => (p.name.clone(), p.version.strip_prefix('v').unwrap_or(&p.version).to_owned()),
            }
        };
        let got_pairs: Vec<(String, String)> = ours.iter().map(|p| norm(p)).collect();
        let got = common::conformance::multiset(got_pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        let not_built: &[(&str, &str)] = match case.name.as_str() {
            "go/gomod-replace-mixed" => &[("golang.org/x/net", "0.5.6")],
            "go/gomod-replace-different" => &[("example.com/fork/foe", "1.4.2")],
            _ => &[],
        };
        let want_pairs: Vec<(String, String)> = case
            .expected
            .iter()
            .filter(|e| !not_built.contains(&(e.name.as_str(), e.version.as_str())))
            .map(|e| {
                let v = if e.name == "stdlib" { stdlib_semver(&e.version) } else { e.version.clone() };
                (e.name.clone(), v)
            })
            .collect();
        let want = common::conformance::multiset(want_pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        assert_eq!(got, want, "{}", case.name);
        if !not_built.is_empty() {
            assert!(
                resolution.warnings.iter().any(|w| w.message.contains("required twice")),
                "{}: {:?}",
                case.name,
                resolution.warnings
            );
        }
        for (e, (name, version)) in
            case.expected.iter().zip(case.expected.iter().map(|e| {
                (e.name.clone(), if e.name == "stdlib" { stdlib_semver(&e.version) } else { e.version.clone() })
            }))
        {
            let Some(at) = e.line else { continue };
            if not_built.contains(&(e.name.as_str(), e.version.as_str())) {
                continue;
            }
            let p = ours.iter().find(|p| norm(p) == (name.clone(), version.clone())).unwrap();
            if in_go_sum.contains(e.name.as_str()) {
                assert_eq!(p.lines, None, "{}: {name} comes from go.sum", case.name);
                assert!(!p.direct);
            } else {
                assert_eq!(p.lines.map(|l| l.start), Some(at), "{}: {name}@{version}", case.name);
            }
        }
        // Edges: the root depends on every package; the SBOM validates.
        let root_deps: BTreeSet<usize> = match &lock.root {
            RootComponent::Package(i) => lock.packages[*i].dependencies.clone(),
            RootComponent::Synthetic { depends_on, .. } => depends_on.clone(),
        };
        assert_eq!(root_deps.len(), ours.len(), "{}", case.name);
        let (code, stdout, stderr) = run(&["sbom", "--allow-partial", dir.path().to_str().unwrap()]);
        assert_eq!(code, if needs_go_sum { 2 } else { 0 }, "{}: {stderr}", case.name);
        let doc: Value = serde_json::from_slice(&stdout).unwrap();
        common::validate_cyclonedx(&doc, "1.6").unwrap_or_else(|e| panic!("{}: {e:#?}", case.name));
        if needs_go_sum {
            assert!(stderr.contains("go.mod: no `go` line"), "{stderr}");
            let incomplete = doc["compositions"].as_array().unwrap().iter().any(|c| c["aggregate"] == "incomplete");
            assert!(incomplete, "{}: the root's composition is not complete", case.name);
        }
    }
}

#[test]
fn go_1_16_reads_go_sum_and_1_17_does_not() {
    let Some(shared) = common::shared_dir() else { return };
    let case = shared.join("conformance/osv-scalibr/go/gomod-go-1.16-with-gosum");
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(case.join("indirect-1.16.mod"), dir.path().join("go.mod")).unwrap();
    // Without go.sum: go.mod alone, and an error (exit 2) naming go.mod's `go` line: the build
    // list is incomplete, and a clean SBOM would hide it.
    let resolution = common::conformance::resolve(dir.path());
    assert_eq!(the_lockfile(&resolution).packages.len(), 3, "test, logrus, stdlib");
    let e = &resolution.errors[0];
    assert_eq!((e.path.as_str(), e.line, resolution.errors.len()), ("go.mod", Some(3), 1), "{e}");
    assert!(e.to_string().contains("`go 1.16`") && e.to_string().contains("`go.sum` is needed"), "{e}");
    assert!(resolution.warnings.is_empty(), "{:?}", resolution.warnings);
    let (code, stdout, stderr) = run(&["sbom", dir.path().to_str().unwrap()]);
    assert_eq!((code, stdout.len()), (2, 0), "{stderr}");
    assert!(stderr.contains("go.mod:3: `go 1.16`"), "{stderr}");
    // A malformed go.sum: an error naming go.sum and its line, exit 2.
    std::fs::write(dir.path().join("go.sum"), "github.com/a/b v1.0.0 h1:x=\nbroken line\n").unwrap();
    let resolution = common::conformance::resolve(dir.path());
    let e = &resolution.errors[0];
    assert_eq!((e.path.as_str(), e.line), ("go.sum", Some(2)), "{e}");
    assert!(e.to_string().contains("wrong number of fields 2"), "{e}");
    let (code, _, stderr) = run(&["sbom", dir.path().to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    // go.mod's requires first, then go.sum's modules. Two h1 versions of one module: the highest (the build list has one version per module);
    // `/go.mod`-only lines add nothing.
    std::fs::write(
        dir.path().join("go.sum"),
        "github.com/a/b v1.0.0 h1:x=\ngithub.com/a/b v1.2.0 h1:y=\ngithub.com/c/d v0.1.0/go.mod h1:z=\n\n",
    )
    .unwrap();
    let resolution = common::conformance::resolve(dir.path());
    let lock = only(&resolution);
    let names: Vec<_> = lock.packages.iter().map(|p| (p.name.as_str(), p.version.as_str())).collect();
    assert_eq!(
        names,
        [("test", ""), ("github.com/sirupsen/logrus", "v1.9.3"), ("github.com/a/b", "v1.2.0"), ("stdlib", "1.16.0")]
    );
    // The h1: hash is a hash of the module's file tree, not of an archive: no checksum.
    assert!(lock.packages.iter().all(|p| p.checksums.is_empty()));
    // go 1.17: go.sum adds no package (even a malformed one)...
    let text = std::fs::read_to_string(dir.path().join("go.mod")).unwrap().replace("go 1.16", "go 1.17");
    std::fs::write(dir.path().join("go.mod"), text).unwrap();
    std::fs::write(dir.path().join("go.sum"), "not-a-go.sum\n").unwrap();
    let resolution = common::conformance::resolve(dir.path());
    assert_eq!(only(&resolution).packages.len(), 3);
    // ... but checked: go would refuse a malformed one, or one without the requirements' lines.
    assert!(resolution.warnings.iter().any(|w| w.message.contains("malformed go.sum")), "{:?}", resolution.warnings);
    std::fs::write(dir.path().join("go.sum"), "github.com/sirupsen/logrus v1.9.2 h1:x=\n").unwrap();
    let resolution = common::conformance::resolve(dir.path());
    let w = resolution.warnings.iter().find(|w| w.message.contains("no line for 1 required module")).unwrap();
    assert!(w.message.contains("github.com/sirupsen/logrus@v1.9.3"), "{w}");
    std::fs::write(dir.path().join("go.sum"), "github.com/sirupsen/logrus v1.9.3/go.mod h1:x=\n").unwrap();
    let resolution = common::conformance::resolve(dir.path());
    assert!(resolution.warnings.is_empty(), "{:?}", resolution.warnings);
}

#[test]
fn an_empty_go_mod_is_valid_and_empty() {
    // modfile parses an empty file; the go command would then ask for a `module` line: no
    // packages, a warning, not an error (exit 0).
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("go.mod"), "").unwrap();
    let resolution = common::conformance::resolve(dir.path());
    assert!(only(&resolution).packages.is_empty());
    assert!(resolution.warnings.iter().any(|w| w.message.contains("no `module` directive")));
    let (code, _, stderr) = run(&["sbom", dir.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
}

/// The corpus go.mod files: (directory, require lines of `corpus/SOURCES.md`, stdlib version).
const CORPUS: [(&str, usize, &str); 3] =
    [("caddyserver__caddy", 169, "1.25.1"), ("cli__cli", 158, "1.22.6"), ("golang__vulndb", 85, "1.26.2")];

#[test]
fn corpus_go_mod_files_have_their_require_counts_and_valid_sboms() {
    let Some(shared) = common::shared_dir() else { return };
    for (name, requires, stdlib) in CORPUS {
        let dir = shared.join("corpus/go").join(name);
        let resolution = common::conformance::resolve(&dir);
        let lock = only(&resolution);
        let RootComponent::Package(root) = lock.root else { panic!("{name}: the module is the root") };
        assert!(lock.packages[root].first_party);
        let modules: Vec<&Package> = lock.packages.iter().filter(|p| !p.first_party && p.name != "stdlib").collect();
        // One package per require line (none of the three requires a path twice; cli's one
        // `replace` swaps go-internal for its fork, still one package).
        assert_eq!(modules.len(), requires, "{name}");
        assert!(modules.iter().all(|p| p.version.starts_with('v') && p.source.is_default_registry()), "{name}");
        let (_, std) = find(lock, "stdlib");
        assert_eq!(std.version, stdlib, "{name}: the toolchain line (caddy: its go line)");
        assert_eq!(lock.packages[root].dependencies.len(), requires + 1, "{name}: root -> every require + stdlib");
        let text = std::fs::read_to_string(dir.join("go.mod")).unwrap();
        let indirect = text.lines().filter(|l| l.contains("// indirect")).count();
        assert_eq!(modules.iter().filter(|p| !p.direct).count(), indirect, "{name}");
        for spec in ["1.5", "1.6"] {
            let (code, stdout, stderr) = run(&["sbom", "--spec-version", spec, dir.to_str().unwrap()]);
            assert_eq!(code, 0, "{name}: {stderr}");
            let doc: Value = serde_json::from_slice(&stdout).unwrap();
            common::validate_cyclonedx(&doc, spec).unwrap_or_else(|e| panic!("{name} {spec}: {e:#?}"));
            assert_eq!(doc["components"].as_array().unwrap().len(), requires + 1, "{name}");
        }
    }
    // cli/cli: `replace github.com/rogpeppe/go-internal => github.com/cli/go-internal <pseudo>`.
    let resolution = common::conformance::resolve(&shared.join("corpus/go/cli__cli"));
    let lock = only(&resolution);
    let (_, fork) = find(lock, "github.com/cli/go-internal");
    assert_eq!(fork.version, "v0.0.0-20241024130215-fa3c22e38b9b");
    assert_eq!(fork.lines, line(171), "the replace line");
    assert!(lock.packages.iter().all(|p| p.name != "github.com/rogpeppe/go-internal"));
}

/// What `python3 tools/oracle_go.py ../shared/advisory-db/osv/Go.zip ../shared/corpus/go/*/go.mod`
/// printed (an independent reader of go.mod and evaluator of Go.zip's SEMVER ranges, sharing no
/// code with chainward): `ID|package` per finding, stdlib included.
const EXPECTED_FINDINGS: [(&str, &[&str]); 3] = [
    (
        "caddyserver__caddy",
        &[
            "GO-2025-4006|stdlib",
            "GO-2025-4007|stdlib",
            "GO-2025-4008|stdlib",
            "GO-2025-4009|stdlib",
            "GO-2025-4010|stdlib",
            "GO-2025-4011|stdlib",
            "GO-2025-4012|stdlib",
            "GO-2025-4013|stdlib",
            "GO-2025-4014|stdlib",
            "GO-2025-4015|stdlib",
            "GO-2025-4155|stdlib",
            "GO-2025-4175|stdlib",
            "GO-2026-4337|stdlib",
            "GO-2026-4340|stdlib",
            "GO-2026-4341|stdlib",
            "GO-2026-4342|stdlib",
            "GO-2026-4601|stdlib",
            "GO-2026-4602|stdlib",
            "GO-2026-4603|stdlib",
            "GO-2026-4864|stdlib",
            "GO-2026-4865|stdlib",
            "GO-2026-4869|stdlib",
            "GO-2026-4870|stdlib",
            "GO-2026-4918|stdlib",
            "GO-2026-4946|stdlib",
            "GO-2026-4947|stdlib",
            "GO-2026-4970|stdlib",
            "GO-2026-4971|stdlib",
            "GO-2026-4976|stdlib",
            "GO-2026-4977|stdlib",
            "GO-2026-4980|stdlib",
            "GO-2026-4981|stdlib",
            "GO-2026-4982|stdlib",
            "GO-2026-4986|stdlib",
            "GO-2026-5026|stdlib",
            "GO-2026-5037|stdlib",
            "GO-2026-5038|stdlib",
            "GO-2026-5039|stdlib",
            "GO-2026-5856|stdlib",
            "GO-2026-5932|golang.org/x/crypto",
            "GO-2026-5972|stdlib",
            "GO-2026-6088|stdlib",
            "GO-2026-6089|stdlib",
            "GO-2026-6090|stdlib",
            "GO-2026-6091|stdlib",
            "GO-2026-6094|github.com/google/cel-go",
            "GO-2026-6179|golang.org/x/mod",
            "GO-2026-6180|golang.org/x/mod",
            "GO-2026-6218|stdlib",
        ],
    ),
    (
        "cli__cli",
        &[
            "GO-2024-3105|stdlib",
            "GO-2024-3106|stdlib",
            "GO-2024-3107|stdlib",
            "GO-2024-3295|github.com/cli/go-gh/v2",
            "GO-2024-3321|golang.org/x/crypto",
            "GO-2024-3333|golang.org/x/net",
            "GO-2025-3373|stdlib",
            "GO-2025-3420|stdlib",
            "GO-2025-3447|stdlib",
            "GO-2025-3485|github.com/go-jose/go-jose/v4",
            "GO-2025-3487|golang.org/x/crypto",
            "GO-2025-3503|golang.org/x/net",
            "GO-2025-3503|stdlib",
            "GO-2025-3563|stdlib",
            "GO-2025-3595|golang.org/x/net",
            "GO-2025-3732|github.com/cli/go-gh/v2",
            "GO-2025-3750|stdlib",
            "GO-2025-3751|stdlib",
            "GO-2025-3849|stdlib",
            "GO-2025-3956|stdlib",
            "GO-2025-4006|stdlib",
            "GO-2025-4007|stdlib",
            "GO-2025-4008|stdlib",
            "GO-2025-4009|stdlib",
            "GO-2025-4010|stdlib",
            "GO-2025-4011|stdlib",
            "GO-2025-4012|stdlib",
            "GO-2025-4013|stdlib",
            "GO-2025-4014|stdlib",
            "GO-2025-4015|stdlib",
            "GO-2025-4116|golang.org/x/crypto",
            "GO-2025-4134|golang.org/x/crypto",
            "GO-2025-4135|golang.org/x/crypto",
            "GO-2025-4155|stdlib",
            "GO-2025-4175|stdlib",
            "GO-2025-4192|github.com/sigstore/timestamp-authority",
            "GO-2026-4316|github.com/go-chi/chi",
            "GO-2026-4337|stdlib",
            "GO-2026-4340|stdlib",
            "GO-2026-4341|stdlib",
            "GO-2026-4342|stdlib",
            "GO-2026-4348|github.com/theupdateframework/go-tuf/v2",
            "GO-2026-4349|github.com/theupdateframework/go-tuf/v2",
            "GO-2026-4354|github.com/sigstore/rekor",
            "GO-2026-4355|github.com/sigstore/rekor",
            "GO-2026-4358|github.com/sigstore/sigstore",
            "GO-2026-4377|github.com/theupdateframework/go-tuf/v2",
            "GO-2026-4403|stdlib",
            "GO-2026-4440|golang.org/x/net",
            "GO-2026-4441|golang.org/x/net",
            "GO-2026-4601|stdlib",
            "GO-2026-4602|stdlib",
            "GO-2026-4603|stdlib",
            "GO-2026-4610|github.com/docker/cli",
            "GO-2026-4762|google.golang.org/grpc",
            "GO-2026-4864|stdlib",
            "GO-2026-4865|stdlib",
            "GO-2026-4869|stdlib",
            "GO-2026-4870|stdlib",
            "GO-2026-4918|golang.org/x/net",
            "GO-2026-4918|stdlib",
            "GO-2026-4945|github.com/go-jose/go-jose/v4",
            "GO-2026-4946|stdlib",
            "GO-2026-4947|stdlib",
            "GO-2026-4970|stdlib",
            "GO-2026-4971|stdlib",
            "GO-2026-4976|stdlib",
            "GO-2026-4977|stdlib",
            "GO-2026-4980|stdlib",
            "GO-2026-4981|stdlib",
            "GO-2026-4982|stdlib",
            "GO-2026-4986|stdlib",
            "GO-2026-5005|golang.org/x/crypto",
            "GO-2026-5006|golang.org/x/crypto",
            "GO-2026-5013|golang.org/x/crypto",
            "GO-2026-5014|golang.org/x/crypto",
            "GO-2026-5015|golang.org/x/crypto",
            "GO-2026-5016|golang.org/x/crypto",
            "GO-2026-5017|golang.org/x/crypto",
            "GO-2026-5018|golang.org/x/crypto",
            "GO-2026-5019|golang.org/x/crypto",
            "GO-2026-5020|golang.org/x/crypto",
            "GO-2026-5021|golang.org/x/crypto",
            "GO-2026-5023|golang.org/x/crypto",
            "GO-2026-5024|golang.org/x/sys",
            "GO-2026-5025|golang.org/x/net",
            "GO-2026-5026|golang.org/x/net",
            "GO-2026-5026|stdlib",
            "GO-2026-5027|golang.org/x/net",
            "GO-2026-5028|golang.org/x/net",
            "GO-2026-5029|golang.org/x/net",
            "GO-2026-5030|golang.org/x/net",
            "GO-2026-5033|golang.org/x/crypto",
            "GO-2026-5037|stdlib",
            "GO-2026-5038|stdlib",
            "GO-2026-5039|stdlib",
            "GO-2026-5320|github.com/yuin/goldmark",
            "GO-2026-5327|go.mongodb.org/mongo-driver",
            "GO-2026-5547|github.com/in-toto/in-toto-golang",
            "GO-2026-5763|github.com/sigstore/timestamp-authority",
            "GO-2026-5778|github.com/sigstore/rekor",
            "GO-2026-5841|github.com/klauspost/compress",
            "GO-2026-5851|github.com/sigstore/timestamp-authority",
            "GO-2026-5856|stdlib",
            "GO-2026-5932|golang.org/x/crypto",
            "GO-2026-5942|golang.org/x/net",
            "GO-2026-5952|github.com/sigstore/sigstore-go",
            "GO-2026-5970|golang.org/x/text",
            "GO-2026-5972|stdlib",
            "GO-2026-6061|google.golang.org/grpc",
            "GO-2026-6088|stdlib",
            "GO-2026-6089|stdlib",
            "GO-2026-6090|stdlib",
            "GO-2026-6091|stdlib",
            "GO-2026-6162|github.com/sigstore/sigstore-go",
            "GO-2026-6179|golang.org/x/mod",
            "GO-2026-6180|golang.org/x/mod",
            "GO-2026-6218|stdlib",
        ],
    ),
    (
        "golang__vulndb",
        &[
            "GO-2026-4918|stdlib",
            "GO-2026-4970|stdlib",
            "GO-2026-4971|stdlib",
            "GO-2026-4976|stdlib",
            "GO-2026-4977|stdlib",
            "GO-2026-4980|stdlib",
            "GO-2026-4981|stdlib",
            "GO-2026-4982|stdlib",
            "GO-2026-4986|stdlib",
            "GO-2026-5026|stdlib",
            "GO-2026-5037|stdlib",
            "GO-2026-5038|stdlib",
            "GO-2026-5039|stdlib",
            "GO-2026-5856|stdlib",
            "GO-2026-5932|golang.org/x/crypto",
            "GO-2026-5942|stdlib",
            "GO-2026-5972|stdlib",
            "GO-2026-6088|stdlib",
            "GO-2026-6089|stdlib",
            "GO-2026-6090|stdlib",
            "GO-2026-6091|stdlib",
            "GO-2026-6179|golang.org/x/mod",
            "GO-2026-6180|golang.org/x/mod",
            "GO-2026-6218|stdlib",
        ],
    ),
];

#[test]
fn corpus_findings_are_what_the_oracle_computes() {
    let Some(shared) = common::shared_dir() else { return };
    let db = shared.join("advisory-db/osv/Go.zip");
    for (name, expected) in EXPECTED_FINDINGS {
        let dir = shared.join("corpus/go").join(name);
        let (code, stdout, stderr) =
            run(&["scan", "--offline", "--db", db.to_str().unwrap(), "--format", "json", dir.to_str().unwrap()]);
        assert_eq!(code, 1, "{name}: findings: {stderr}");
        let doc: Value = serde_json::from_slice(&stdout).unwrap();
        let got: BTreeSet<String> = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| format!("{}|{}", f["id"].as_str().unwrap(), f["package"]["name"].as_str().unwrap()))
            .collect();
        let want: BTreeSet<String> = expected.iter().map(|s| (*s).to_owned()).collect();
        assert_eq!(got, want, "{name}");
        assert!(want.iter().any(|w| w.ends_with("|stdlib")), "{name}: standard-library advisories match");
        // Every finding points at its go.mod line.
        for f in doc["findings"].as_array().unwrap() {
            assert_eq!(f["location"]["path"], "go.mod");
            assert!(f["location"]["line"].as_u64().is_some(), "{f}");
        }
        // The SARIF report of the same scan validates.
        let (code, stdout, stderr) =
            run(&["scan", "--offline", "--db", db.to_str().unwrap(), "--format", "sarif", dir.to_str().unwrap()]);
        assert_eq!(code, 1, "{name}: {stderr}");
        common::validate_sarif(&serde_json::from_slice(&stdout).unwrap()).unwrap_or_else(|e| panic!("{name}: {e:#?}"));
    }
}

#[test]
fn a_go_mod_with_every_directive() {
    let resolution = common::conformance::resolve(&testdata("directives"));
    let lock = only(&resolution);
    let got: Vec<(&str, &str, &str, Option<LineSpan>, bool)> = lock
        .packages
        .iter()
        .map(|p| (p.name.as_str(), p.version.as_str(), p.source.kind(), p.lines, p.direct))
        .collect();
    assert_eq!(
        got,
        [
            ("example.com/directives", "", "path", line(2), false),
            // `replace github.com/pkg/errors => … v0.9.0` (no old version: every version).
            ("github.com/pkg/errors", "v0.9.0", "registry", line(30), true),
            // `exclude golang.org/x/crypto v0.16.0` does not touch the required v0.17.0.
            ("golang.org/x/crypto", "v0.17.0", "registry", line(15), true),
            ("golang.org/x/net", "v0.19.0", "registry", line(18), false),
            // `replace golang.org/x/sys v0.15.0 => ../sys`: a directory, named as the module.
            ("golang.org/x/sys", "", "path", line(31), false),
            ("golang.org/x/tools", "v0.16.0", "registry", line(22), false),
            // `replace gopkg.in/yaml.v3 v3.0.0 => …` names another version: no effect.
            ("gopkg.in/yaml.v3", "v3.0.1", "registry", line(17), true),
            ("stdlib", "1.21.13", "registry", line(6), true),
        ]
    );
    assert_eq!(lock.packages[4].source, PackageSource::Path { dir: "../sys".into() });
    assert_eq!(lock.packages[4].purl(), None, "not matched against advisories");
    // `golang.org/x/mod v0.14.0` is excluded: left out, with a warning naming both lines.
    assert!(lock.packages.iter().all(|p| p.name != "golang.org/x/mod"));
    let w = resolution.warnings.iter().find(|w| w.message.contains("golang.org/x/mod")).unwrap();
    assert_eq!(w.line, Some(19));
    assert!(w.message.contains("line 26"), "{w}");
    assert_eq!(lock.packages[0].dependencies, (1..8).collect());
    for spec in ["1.5", "1.6"] {
        let (code, stdout, stderr) = run(&["sbom", "--spec-version", spec, testdata("directives").to_str().unwrap()]);
        assert_eq!(code, 0, "{stderr}");
        common::validate_cyclonedx(&serde_json::from_slice(&stdout).unwrap(), spec).unwrap();
    }
}

/// name, version, source kind, lines, direct, first-party.
type WorkRow<'a> = (&'a str, &'a str, &'a str, Option<LineSpan>, bool, bool);

#[test]
fn a_workspace_resolves_its_members_together() {
    let resolution = common::conformance::resolve(&testdata("workspace"));
    assert!(resolution.errors.is_empty(), "{:?}", resolution.errors);
    let by_path: BTreeMap<&str, &Resolved> = resolution.resolved.iter().map(|r| (r.path.as_str(), r)).collect();
    assert_eq!(by_path.keys().copied().collect::<Vec<_>>(), ["api/go.mod", "cli/go.mod", "go.work"]);
    // The members' go.mod files are the modules alone (no requirement twice), with a warning.
    for member in ["api/go.mod", "cli/go.mod"] {
        let r = by_path[member];
        assert_eq!(r.packages.len(), 1, "{member}");
        assert!(r.packages[0].first_party);
        assert!(resolution.warnings.iter().any(|w| w.path == member && w.message.contains("workspace `go.work`")));
    }
    let work = by_path["go.work"];
    let got: Vec<WorkRow<'_>> = work
        .packages
        .iter()
        .map(|p| (p.name.as_str(), p.version.as_str(), p.source.kind(), p.lines, p.direct, p.first_party))
        .collect();
    assert_eq!(
        got,
        [
            ("example.com/ws/api", "", "path", line(6), false, true),
            ("example.com/ws/cli", "", "path", line(7), false, true),
            // cli's `replace github.com/spf13/cobra => ./third_party/cobra`, relative to cli.
            ("github.com/spf13/cobra", "", "path", line(7), true, false),
            ("github.com/spf13/pflag", "v1.0.5", "registry", line(7), false, false),
            // api requires v0.23.0, cli v0.30.0: minimal version selection builds v0.30.0; on the
            // `use` line of the first member requiring the module.
            ("golang.org/x/net", "v0.30.0", "registry", line(6), true, false),
            // the go.work's replace wins, on its own line.
            ("golang.org/x/text", "v0.21.0", "registry", line(10), false, false),
            ("stdlib", "1.23.6", "registry", line(3), true, false),
        ]
    );
    assert_eq!(work.packages[2].source, PackageSource::Path { dir: "cli/third_party/cobra".into() });
    let deps = |i: usize| work.packages[i].dependencies.iter().copied().collect::<Vec<_>>();
    assert_eq!(deps(0), [4, 5, 6], "api -> net, text, stdlib");
    assert_eq!(deps(1), [0, 2, 3, 4, 6], "cli -> api (a member), cobra, pflag, net, stdlib");
    let RootComponent::Synthetic { name, depends_on } = &work.root else { panic!("synthetic root") };
    assert_eq!(name, "workspace");
    assert_eq!(depends_on.iter().copied().collect::<Vec<_>>(), [0, 1, 6]);
    // The merged SBOM: every package once, valid.
    for spec in ["1.5", "1.6"] {
        let (code, stdout, stderr) = run(&["sbom", "--spec-version", spec, testdata("workspace").to_str().unwrap()]);
        assert_eq!(code, 0, "{stderr}");
        let doc: Value = serde_json::from_slice(&stdout).unwrap();
        common::validate_cyclonedx(&doc, spec).unwrap();
        assert_eq!(doc["components"].as_array().unwrap().len(), 7);
    }
}

#[test]
fn workspace_errors_name_the_use_line() {
    let source = MemorySource::new([
        ("go.work".to_owned(), b"go 1.22\nuse ./a\nuse ./missing\nuse ./a\n".to_vec()),
        ("a/go.mod".to_owned(), b"module example.com/a\n\ngo 1.22\n\nrequire x.io/y v1.0.0\n".to_vec()),
    ]);
    let text = source_bytes(&source, "go.work");
    let r = GoWorkResolver.resolve(&source, "go.work", &text, &ResolveOptions::default()).unwrap();
    let lines: Vec<_> = r.errors.iter().map(|e| (e.path.as_str(), e.line)).collect();
    assert_eq!(lines, [("go.work", Some(3)), ("go.work", Some(4))], "{:?}", r.errors);
    assert_eq!(r.packages.len(), 3, "a, y, stdlib");
    // Unknown directives in go.work are errors, as in go.
    let e = GoWorkResolver.resolve(&source, "go.work", b"go 1.22\nrequire x v1.0.0\n", &ResolveOptions::default());
    assert_eq!(e.unwrap_err().line, Some(2));
}

#[test]
fn a_workspace_member_of_go_1_16_reads_its_go_sum_and_a_work_replace_takes_member_replaces_away() {
    let resolution = common::conformance::resolve(&testdata("workspace-old"));
    assert!(resolution.errors.is_empty(), "{:?}", resolution.errors);
    let work = resolution.resolved.iter().find(|r| r.path == "go.work").unwrap();
    let got: Vec<WorkRow<'_>> = work
        .packages
        .iter()
        .map(|p| (p.name.as_str(), p.version.as_str(), p.source.kind(), p.lines, p.direct, p.first_party))
        .collect();
    assert_eq!(
        got,
        [
            ("example.com/old", "", "path", line(4), false, true),
            ("example.com/new", "", "path", line(5), false, true),
            // The go.work replaces gin v1.5.0 only: v1.6.0 is built unreplaced, and old's
            // `replace github.com/gin-gonic/gin => ./gin` no longer applies (keyed by path).
            ("github.com/gin-gonic/gin", "v1.6.0", "registry", line(4), true, false),
            // old is `go 1.16`: its go.sum's h1 modules are in the build (`/go.mod`-only lines
            // are not), on old's `use` line.
            ("golang.org/x/net", "v0.0.0-20190404232315-eb5bcb51f2a3", "registry", line(4), false, false),
            // old's go.sum has v2.2.2, new requires v2.2.8: minimal version selection.
            ("gopkg.in/yaml.v2", "v2.2.8", "registry", line(4), true, false),
            ("stdlib", "1.22.0", "registry", line(1), true, false),
        ]
    );
    let deps = |i: usize| work.packages[i].dependencies.iter().copied().collect::<Vec<_>>();
    assert_eq!(deps(0), [2, 3, 4, 5], "old -> gin, net, yaml (go.sum), stdlib");
    assert_eq!(deps(1), [0, 4, 5], "new -> old, yaml, stdlib");
    // The same module on its own reads the same go.sum.
    let dir = tempfile::tempdir().unwrap();
    for f in ["go.mod", "go.sum"] {
        std::fs::copy(testdata("workspace-old/old").join(f), dir.path().join(f)).unwrap();
    }
    let alone = common::conformance::resolve(dir.path());
    let names: BTreeSet<&str> = only(&alone).packages.iter().map(|p| p.name.as_str()).collect();
    assert!(names.contains("golang.org/x/net") && names.contains("gopkg.in/yaml.v2"), "{names:?}");
    for spec in ["1.5", "1.6"] {
        let (code, stdout, stderr) =
            run(&["sbom", "--spec-version", spec, testdata("workspace-old").to_str().unwrap()]);
        assert_eq!(code, 0, "{stderr}");
        let doc: Value = serde_json::from_slice(&stdout).unwrap();
        common::validate_cyclonedx(&doc, spec).unwrap();
        let purls: Vec<&str> =
            doc["components"].as_array().unwrap().iter().filter_map(|c| c["purl"].as_str()).collect();
        assert!(purls.contains(&"pkg:golang/github.com/gin-gonic/gin@v1.6.0"), "{purls:?}");
    }
}

#[test]
fn an_unpruned_workspace_member_without_go_sum_is_an_error() {
    let options = ResolveOptions::default();
    let work = b"go 1.22\nuse ./a\nuse ./b\nuse ./c\nuse ./d\n".to_vec();
    let source = MemorySource::new([
        ("go.work".to_owned(), work.clone()),
        // No `go` line (go assumes 1.16), no go.sum.
        ("a/go.mod".to_owned(), b"module example.com/a\n\nrequire x.io/y v1.0.0\n".to_vec()),
        // go 1.16, a malformed go.sum: the go.sum's line.
        ("b/go.mod".to_owned(), b"module example.com/b\ngo 1.16\nrequire x.io/z v1.0.0\n".to_vec()),
        ("b/go.sum".to_owned(), b"x.io/z v1.0.0 h1:x=\nbroken\n".to_vec()),
        // go 1.16 requiring nothing: its graph is empty, nothing is missing.
        ("c/go.mod".to_owned(), b"module example.com/c\ngo 1.16\n".to_vec()),
        // go 1.17: pruned, go.sum not needed.
        ("d/go.mod".to_owned(), b"module example.com/d\ngo 1.17\nrequire x.io/w v1.0.0\n".to_vec()),
    ]);
    let r = GoWorkResolver.resolve(&source, "go.work", &work, &options).unwrap();
    let at: Vec<_> = r.errors.iter().map(|e| (e.path.as_str(), e.line)).collect();
    assert_eq!(at, [("a/go.mod", None), ("b/go.sum", Some(2))], "{:?}", r.errors);
    let e = r.errors[0].to_string();
    assert!(e.contains("no `go` line") && e.contains("`a/go.sum` is needed"), "{e}");
    // Every member's requires are still there.
    let names: BTreeSet<&str> = r.packages.iter().map(|p| p.name.as_str()).collect();
    assert!(["x.io/y", "x.io/z", "x.io/w", "example.com/c"].iter().all(|n| names.contains(n)), "{names:?}");
}

#[test]
fn go_mod_and_go_work_agree_on_use_directories() {
    let options = ResolveOptions::default();
    let member = b"module example.com/a\n\ngo 1.22\n\nrequire x.io/y v1.0.0\n".to_vec();
    // `use /a`: absolute, none of the tree's: go.work says so, and a/go.mod is resolved on its own
    // (its requirements read), not as a member whose requirements nobody reads.
    let work = b"go 1.22\nuse /a\n".to_vec();
    let source = MemorySource::new([("go.work".to_owned(), work.clone()), ("a/go.mod".to_owned(), member.clone())]);
    let w = GoWorkResolver.resolve(&source, "go.work", &work, &options).unwrap();
    assert_eq!(w.errors.iter().map(|e| e.line).collect::<Vec<_>>(), [Some(2)], "{:?}", w.errors);
    let m = GoModResolver.resolve(&source, "a/go.mod", &member, &options).unwrap();
    assert!(m.warnings.iter().all(|w| !w.message.contains("workspace")), "{:?}", m.warnings);
    assert!(m.packages.iter().any(|p| p.name == "x.io/y"));
    // `use .\a`: a (a Windows separator): a member for both.
    let work = b"go 1.22\nuse .\\a\n".to_vec();
    let source = MemorySource::new([("go.work".to_owned(), work.clone()), ("a/go.mod".to_owned(), member.clone())]);
    let w = GoWorkResolver.resolve(&source, "go.work", &work, &options).unwrap();
    assert!(w.errors.is_empty(), "{:?}", w.errors);
    assert!(w.packages.iter().any(|p| p.name == "x.io/y") && w.packages[0].name == "example.com/a");
    let m = GoModResolver.resolve(&source, "a/go.mod", &member, &options).unwrap();
    assert_eq!(m.packages.len(), 1, "the module alone");
    assert!(m.warnings.iter().any(|w| w.message.contains("workspace `go.work` (its `use` at line 2)")));
}

#[test]
fn stdlib_is_the_go_version_when_the_toolchain_is_older() {
    let options = ResolveOptions::default();
    let text = b"module example.com/m\n\ngo 1.22.5\n\ntoolchain go1.21.0\n".to_vec();
    let source = MemorySource::new([("go.mod".to_owned(), text.clone())]);
    let r = GoModResolver.resolve(&source, "go.mod", &text, &options).unwrap();
    let (_, std) = find(&r, "stdlib");
    assert_eq!((std.version.as_str(), std.lines), ("1.22.5", line(3)));
    // `// indirect;` alone is not modfile's indirect marker; `// indirect; why` is.
    let text = b"module m\ngo 1.22\nrequire (\n\ta.io/a v1.0.0 // indirect;\n\tb.io/b v1.0.0 // indirect; why\n\tc.io/c v1.0.0 //indirect;c\n)\n".to_vec();
    let source = MemorySource::new([("go.mod".to_owned(), text.clone())]);
    let r = GoModResolver.resolve(&source, "go.mod", &text, &options).unwrap();
    let direct: Vec<(&str, bool)> =
        r.packages.iter().filter(|p| p.name.contains(".io/")).map(|p| (p.name.as_str(), p.direct)).collect();
    assert_eq!(direct, [("a.io/a", true), ("b.io/b", false), ("c.io/c", true)]);
}

fn source_bytes(source: &MemorySource, path: &str) -> Vec<u8> {
    chainward::source::Source::read(source, path).unwrap()
}

const INTERESTING: &[&[u8]] = &[
    b"(",
    b")",
    b"\"",
    b"`",
    b"//",
    b"/*",
    b" // indirect",
    b"=>",
    b" ./x",
    b"[",
    b"]",
    b",",
    b"\n",
    b"\xff",
    b"require (\n",
    b"replace a => b v1.0.0\n",
    b"go 1.16\n",
    b"toolchain go1.2\n",
    b"\\",
    b"v2.0.0+incompatible",
];

/// `input` mutated, with this format's tokens.
fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    common::mutate::mutate(rng, input, INTERESTING)
}

#[test]
fn mutated_go_files_never_panic_and_errors_name_the_file() {
    let read = |p: PathBuf| std::fs::read(p).unwrap();
    let directives = read(testdata("directives/go.mod"));
    let work = read(testdata("workspace/go.work"));
    let api = read(testdata("workspace/api/go.mod"));
    let cli = read(testdata("workspace/cli/go.mod"));
    let old_work = read(testdata("workspace-old/go.work"));
    let old_member = read(testdata("workspace-old/old/go.mod"));
    let old_member_sum = read(testdata("workspace-old/old/go.sum"));
    let old_mod = b"module test\n\ngo 1.16\n\nrequire github.com/sirupsen/logrus v1.9.3\n".to_vec();
    let old_sum = b"github.com/davecgh/go-spew v1.1.1 h1:vj9j=\ngithub.com/davecgh/go-spew v1.1.1/go.mod h1:J7Y8=\ngithub.com/sirupsen/logrus v1.9.3 h1:due=\n".to_vec();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let options = ResolveOptions::default();
    let mut parsed = 0;
    for round in 0..600 {
        let (path, files): (&str, Vec<(&str, Vec<u8>)>) = match round % 5 {
            0 => ("go.mod", vec![("go.mod", mutate(&mut rng, &directives))]),
            1 => ("go.mod", vec![("go.mod", mutate(&mut rng, &old_mod)), ("go.sum", mutate(&mut rng, &old_sum))]),
            2 => (
                "go.work",
                vec![
                    ("go.work", mutate(&mut rng, &work)),
                    ("api/go.mod", api.clone()),
                    ("cli/go.mod", mutate(&mut rng, &cli)),
                ],
            ),
            3 => ("api/go.mod", vec![("api/go.mod", mutate(&mut rng, &api)), ("go.work", mutate(&mut rng, &work))]),
            _ => (
                "go.work",
                vec![
                    ("go.work", mutate(&mut rng, &old_work)),
                    ("old/go.mod", mutate(&mut rng, &old_member)),
                    ("old/go.sum", mutate(&mut rng, &old_member_sum)),
                ],
            ),
        };
        let source = MemorySource::new(files.iter().map(|(p, b)| ((*p).to_owned(), b.clone())));
        let bytes = source_bytes(&source, path);
        let result = if path == "go.work" {
            GoWorkResolver.resolve(&source, path, &bytes, &options)
        } else {
            GoModResolver.resolve(&source, path, &bytes, &options)
        };
        let known: BTreeSet<&str> = files.iter().map(|(p, _)| *p).collect();
        match result {
            Ok(r) => {
                parsed += 1;
                for e in &r.errors {
                    assert!(known.contains(e.path.as_str()), "{e}");
                }
                for p in &r.packages {
                    assert!(p.dependencies.iter().all(|&d| d < r.packages.len()));
                }
            }
            Err(e) => assert_eq!(e.path, path, "{e}"),
        }
    }
    assert!(parsed > 50, "the mutations leave many files readable ({parsed})");
}

/// The fuzz seeds, laid out as `src/fuzzing.rs`'s `tree_of` lays out a seed (the lockfile under
/// `ws/`, then NUL and the file of the second slot, then NUL-separated `PATH\nCONTENT` files
/// relative to `ws/`): `go_mod` seeds are go.mod, go.sum, extra files; `go_work` seeds are
/// go.work, the `go.mod` beside it, the members' files.
#[test]
fn fuzz_seeds_resolve_and_merge() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    let mut ran = 0;
    for (target, lock, second) in [("go_mod", "go.mod", "go.sum"), ("go_work", "go.work", "go.mod")] {
        for entry in std::fs::read_dir(corpus.join(target)).unwrap() {
            let path = entry.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            let mut pieces = data.split(|&b| b == 0);
            let lock_bytes = pieces.next().unwrap().to_vec();
            let mut files = vec![(format!("ws/{lock}"), lock_bytes.clone())];
            if let Some(s) = pieces.next() {
                files.push((format!("ws/{second}"), s.to_vec()));
            }
            for piece in pieces {
                let i = piece.iter().position(|&b| b == b'\n').unwrap_or(piece.len());
                let rel = String::from_utf8_lossy(&piece[..i]).into_owned();
                files.push((chainward::source::join("ws", &rel), piece.get(i + 1..).unwrap_or_default().to_vec()));
            }
            let source = MemorySource::new(files);
            let lock_path = format!("ws/{lock}");
            let resolver: &dyn Resolver = if lock == "go.mod" { &GoModResolver } else { &GoWorkResolver };
            let r = resolver
                .resolve(&source, &lock_path, &lock_bytes, &ResolveOptions::default())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert!(!r.packages.is_empty(), "{}", path.display());
            let _ = chainward::model::Graph::merge(vec![r], "fuzz");
            ran += 1;
        }
    }
    assert!(ran >= 6, "{ran}");
}

#[test]
fn go_sum_is_read_at_git_revisions() {
    let Some(shared) = common::shared_dir() else { return };
    let db = shared.join("advisory-db/osv/Go.zip");
    let repo = common::GitRepo::new();
    repo.write("go.mod", "module example.com/old\n\ngo 1.16\n\nrequire github.com/sirupsen/logrus v1.9.3\n");
    repo.write("go.sum", "github.com/davecgh/go-spew v1.1.0 h1:a=\ngithub.com/sirupsen/logrus v1.9.3 h1:b=\n");
    let base = repo.commit("base");
    repo.write(
        "go.sum",
        "github.com/davecgh/go-spew v1.1.1 h1:a=\ngithub.com/sirupsen/logrus v1.9.3 h1:b=\ngolang.org/x/sys v0.1.0 h1:c=\n",
    );
    let head = repo.commit("head: go.sum only");
    let out = Command::new(env!("CARGO_BIN_EXE_chainward"))
        .current_dir(&repo.path)
        .args(["diff", &base, &head, "--offline", "--no-registry", "--db", db.to_str().unwrap(), "--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    let changes = &report["changes"];
    let list = |k: &str| -> Vec<String> {
        changes[k]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                format!(
                    "{} {} {}",
                    c["name"].as_str().unwrap(),
                    c["previous"].as_str().unwrap_or("-"),
                    c["version"].as_str().unwrap()
                )
            })
            .collect()
    };
    assert_eq!(list("added"), ["golang.org/x/sys - v0.1.0"], "{report:#}");
    assert_eq!(list("updated"), ["github.com/davecgh/go-spew v1.1.0 v1.1.1"], "{report:#}");
}
