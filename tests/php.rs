//! Composer's `composer.lock`: the osv-scalibr conformance cases, the two real lockfiles of
//! `../shared/corpus/packagist/` (with their `composer.json`), the `testdata/packagist/shop/`
//! fixture (packagist.org, Private Packagist, `path` and `vcs` packages side by side), advisory
//! matching against `../shared/advisory-db/osv/Packagist.zip` checked against an independent
//! oracle (`tools/oracle_composer.py`), bad input, and mutation robustness.

// Test helpers fail loudly on unexpected input: that is how a test reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use common::mutate::Rng;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use chainward::model::{Checksum, DependencyKind, Ecosystem, LineSpan, Package, PackageSource, RootComponent, Scope};
use chainward::resolve::composer::{self, ComposerLockResolver, Manifest};
use chainward::resolve::{ResolveErrorKind, Resolved, Resolver as _};
use serde_json::Value;

fn shop() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/packagist/shop")
}

/// `chainward ARGS`: (exit code, stdout, stderr). `scan` runs `--offline --no-registry`, on
/// `Packagist.zip` unless the arguments name a `--db` (the test's own small database when
/// `../shared` is absent).
fn run(args: &[&str]) -> (i32, Vec<u8>, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_chainward"));
    cmd.args(args).args(common::no_registry(args));
    if args.first() == Some(&"scan") && !args.contains(&"--db") {
        let db = common::shared_dir().map_or_else(
            || Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/advisories/own/unrelated"),
            |s| s.join("advisory-db/osv/Packagist.zip"),
        );
        cmd.arg("--offline").arg("--db").arg(db);
    }
    let out = cmd.env("SOURCE_DATE_EPOCH", "1700000000").output().expect("run chainward");
    (out.status.code().unwrap_or(-1), out.stdout, String::from_utf8_lossy(&out.stderr).into_owned())
}

/// The one `composer.lock` of a resolution, which must have no errors.
fn only(resolution: &chainward::resolve::Resolution) -> &Resolved {
    assert!(resolution.errors.is_empty(), "{:?}", resolution.errors);
    assert_eq!(resolution.resolved.len(), 1);
    &resolution.resolved[0]
}

fn find<'a>(lock: &'a Resolved, name: &str) -> (usize, &'a Package) {
    lock.packages.iter().enumerate().find(|(_, p)| p.name == name).unwrap_or_else(|| panic!("no package {name}"))
}

/// The 1-based line of the first line of `text` containing `needle` at or after line `from`.
fn line_of(text: &str, needle: &str, from: usize) -> usize {
    text.lines()
        .enumerate()
        .skip(from.saturating_sub(1))
        .find(|(_, l)| l.contains(needle))
        .map_or_else(|| panic!("`{needle}` not found"), |(i, _)| i + 1)
}

#[test]
fn conformance_cases_match_the_peer() {
    let cases = common::conformance::cases("composer.lock");
    if common::shared_dir().is_none() {
        return;
    }
    assert_eq!(cases.len(), 7, "the seven osv-scalibr composer.lock cases");
    for case in cases {
        let dir = case.materialize();
        let resolution = common::conformance::resolve(dir.path());
        if case.expects_error {
            // `not-json.txt` and `null.jsontest`: the file fails, with its line.
            assert!(resolution.resolved.is_empty(), "{}: resolved despite the error", case.name);
            let error = resolution.errors.first().unwrap_or_else(|| panic!("{}: no error", case.name));
            assert_eq!((error.path.as_str(), error.line), ("composer.lock", Some(1)), "{}: {error}", case.name);
            assert!(matches!(error.kind, ResolveErrorKind::Json(_)), "{}: {error}", case.name);
            for command in ["scan", "sbom"] {
                let (code, _, stderr) = run(&[command, dir.path().to_str().unwrap()]);
                assert_eq!(code, 2, "{} {command}: {stderr}", case.name);
                assert!(stderr.contains("composer.lock:1"), "{} {command}: {stderr}", case.name);
            }
            continue;
        }
        assert_eq!(resolution.resolved.len(), 1, "{}", case.name);
        let lock = &resolution.resolved[0];
        // `dev-included`: the peer reports `packages-dev` with group `dev`, as we do: no
        // normalisation. `duplicate-packages` locks `sentry/sdk` three times (Composer never
        // writes that): we keep all three, as the peer does, and warn.
        let got = common::conformance::multiset(lock.packages.iter().map(|p| (p.name.as_str(), p.version.as_str())));
        let want = common::conformance::multiset(case.expected.iter().map(|e| (e.name.as_str(), e.version.as_str())));
        assert_eq!(got, want, "{}", case.name);
        for e in &case.expected {
            let matching: Vec<_> =
                lock.packages.iter().filter(|p| p.name == e.name && p.version == e.version).collect();
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
            assert!(matching.iter().any(|p| p.groups == e.groups), "{}: {} groups {:?}", case.name, e.name, e.groups);
            let dev = e.groups.iter().any(|g| g == "dev");
            assert!(matching.iter().any(|p| p.scope == Some(if dev { Scope::Excluded } else { Scope::Required })));
            // The peer's `commit` is `source.reference` (else `dist.reference`). Deliberate
            // difference: a packagist.org package keeps no commit in our model (its purl is the
            // registry's), nor does one whose lockfile entry has no source URL at all
            // (`duplicate-packages`); a git package without `notification-url` has it.
            if let Some(commit) = &e.commit {
                for p in &matching {
                    match &p.source {
                        PackageSource::Git { commit: Some(c), .. } => assert_eq!(c, commit, "{}", case.name),
                        PackageSource::Registry { default_registry: true, .. } | PackageSource::Path { .. } => {}
                        other => panic!("{}: {} from {other:?}", case.name, e.name),
                    }
                }
            }
        }
        // Deliberate difference: these fixtures are cut out of real lockfiles, so most
        // `require` targets are missing. The peer ignores edges; for us a missing target is a
        // dangling edge, an error naming the requiring package's `name` line (exit 2).
        let name_lines: BTreeSet<usize> = lock.packages.iter().filter_map(|p| p.lines.map(|l| l.start)).collect();
        for error in &resolution.errors {
            assert!(matches!(error.kind, ResolveErrorKind::DanglingDependency { .. }), "{}: {error}", case.name);
            assert_eq!(error.path, "composer.lock");
            assert!(error.line.is_some_and(|l| name_lines.contains(&l)), "{}: {error}", case.name);
        }
        let (code, stdout, stderr) = run(&["sbom", "--allow-partial", dir.path().to_str().unwrap()]);
        assert_eq!(code, if resolution.errors.is_empty() { 0 } else { 2 }, "{}: {stderr}", case.name);
        let doc: Value = serde_json::from_slice(&stdout).unwrap();
        common::validate_cyclonedx(&doc, "1.6").unwrap_or_else(|e| panic!("{}: {e:#?}", case.name));
    }
}

#[test]
fn the_conformance_duplicates_are_kept_with_a_warning() {
    let Some(case) =
        common::conformance::cases("composer.lock").into_iter().find(|c| c.name.ends_with("duplicate-packages"))
    else {
        return;
    };
    let dir = case.materialize();
    let resolution = common::conformance::resolve(dir.path());
    assert!(resolution.errors.is_empty(), "{:?}", resolution.errors);
    let lock = &resolution.resolved[0];
    assert_eq!(lock.packages.len(), 3);
    let warnings: Vec<_> = resolution.warnings.iter().map(|w| (w.line, w.message.as_str())).collect();
    assert_eq!(
        warnings,
        vec![
            (Some(17), "`sentry/sdk` is locked twice (also at line 10): Composer never writes that; both are kept"),
            (Some(26), "`sentry/sdk` is locked twice (also at line 10): Composer never writes that; both are kept"),
        ]
    );
    // No `notification-url`, no source, a dist without URL: the lockfile records no source, so
    // a path package of its directory (no purl, never matched, not first-party), as the model
    // has it for a package without a source.
    for p in &lock.packages {
        assert_eq!(p.source, PackageSource::Path { dir: ".".into() });
        assert!(p.purl().is_none() && !p.first_party);
    }
}

/// (directory, packages, packages-dev, edges, direct) of the corpus, as `corpus/SOURCES.md`
/// counts packages; edges and direct dependencies counted by a Python script over the JSON
/// (a `require` key that is not a platform package, to the packages of that lowercased name or
/// else those replacing or providing it; composer.json `require` and `require-dev` the same
/// way): symfony/demo's `composer.json` replaces the polyfills its packages require.
const CORPUS: [(&str, usize, usize, usize, usize); 2] =
    [("composer__composer", 30, 6, 28, 27), ("symfony__demo", 99, 54, 330, 47)];

#[test]
fn corpus_lockfiles_resolve_completely() {
    let Some(shared) = common::shared_dir() else { return };
    for (dir, packages, dev, edges, direct) in CORPUS {
        let path = shared.join("corpus/packagist").join(dir);
        let resolution = common::conformance::resolve(&path);
        let lock = only(&resolution);
        assert!(resolution.warnings.is_empty(), "{dir}: {:?}", resolution.warnings);
        assert_eq!(lock.packages.len(), packages + dev, "{dir}");
        let required = lock.packages.iter().filter(|p| p.scope == Some(Scope::Required) && p.groups.is_empty()).count();
        let excluded = lock
            .packages
            .iter()
            .filter(|p| {
                p.scope == Some(Scope::Excluded) && p.groups == ["dev"] && p.reached_by.contains(&DependencyKind::Dev)
            })
            .count();
        assert_eq!((required, excluded), (packages, dev), "{dir}");
        assert_eq!(lock.packages.iter().map(|p| p.dependencies.len()).sum::<usize>(), edges, "{dir}");
        assert_eq!(lock.packages.iter().filter(|p| p.direct).count(), direct, "{dir}");
        for p in &lock.packages {
            assert_eq!(p.ecosystem, Ecosystem::Packagist);
            assert_eq!(p.source, PackageSource::default_registry(Ecosystem::Packagist), "{}", p.name);
            assert!(p.checksums.is_empty(), "{}: packagist.org's GitHub archives have no shasum", p.name);
            assert!(p.meta.license.is_some() && p.meta.description.is_some(), "{}", p.name);
        }
        let manifest: Value = serde_json::from_slice(&std::fs::read(path.join("composer.json")).unwrap()).unwrap();
        let RootComponent::Synthetic { name, depends_on } = &lock.root else { panic!("{dir}: synthetic root") };
        assert_eq!(name, manifest["name"].as_str().unwrap());
        assert_eq!(depends_on.len(), direct);
    }
}

#[test]
fn corpus_lines_are_the_name_line_to_the_closing_brace() {
    let Some(shared) = common::shared_dir() else { return };
    let path = shared.join("corpus/packagist/composer__composer");
    let text = std::fs::read_to_string(path.join("composer.lock")).unwrap();
    let resolution = common::conformance::resolve(&path);
    let lock = only(&resolution);
    let lines: Vec<&str> = text.lines().collect();
    for p in &lock.packages {
        let span = p.lines.unwrap();
        assert_eq!(lines[span.start - 1].trim(), format!("\"name\": \"{}\",", p.name));
        assert_eq!(lines[span.start - 2].trim(), "{");
        assert!(matches!(lines[span.end - 1].trim(), "}" | "},"), "{}: {}", p.name, lines[span.end - 1]);
    }
    // The first package, by reading the file: `composer/ca-bundle` from its name line.
    let (_, ca) = find(lock, "composer/ca-bundle");
    let start = line_of(&text, "\"name\": \"composer/ca-bundle\"", 1);
    assert_eq!(ca.lines.unwrap().start, start);
}

#[test]
fn corpus_sboms_are_valid_cyclonedx_with_composer_purls() {
    let Some(shared) = common::shared_dir() else { return };
    for (dir, packages, dev, _, _) in CORPUS {
        let path = shared.join("corpus/packagist").join(dir);
        let lock: Value = serde_json::from_slice(&std::fs::read(path.join("composer.lock")).unwrap()).unwrap();
        let mut want: BTreeSet<String> = BTreeSet::new();
        for list in ["packages", "packages-dev"] {
            for p in lock[list].as_array().unwrap() {
                want.insert(format!("pkg:composer/{}@{}", p["name"].as_str().unwrap(), p["version"].as_str().unwrap()));
            }
        }
        assert_eq!(want.len(), packages + dev);
        for spec in ["1.5", "1.6"] {
            let (code, stdout, stderr) = run(&["sbom", path.to_str().unwrap(), "--spec-version", spec]);
            assert_eq!(code, 0, "{dir}: {stderr}");
            let doc: Value = serde_json::from_slice(&stdout).unwrap();
            common::validate_cyclonedx(&doc, spec).unwrap_or_else(|e| panic!("{dir} {spec}: {e:#?}"));
            let purls: BTreeSet<String> =
                doc["components"].as_array().unwrap().iter().map(|c| c["purl"].as_str().unwrap().to_owned()).collect();
            assert_eq!(purls, want, "{dir} {spec}");
        }
    }
}

#[test]
fn the_shop_fixture_resolves_as_composer_installs_it() {
    let resolution = common::conformance::resolve(&shop());
    let lock = only(&resolution);
    let warnings: Vec<String> = resolution.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        vec![
            "composer.lock: 1 package(s) come from the Composer repository `https://repo.packagist.com/acme/` (their `notification-url`), not packagist.org: they are not matched against advisories"
        ]
    );
    assert_eq!(lock.packages.len(), 20, "13 packages and 7 dev packages");
    let text = std::fs::read_to_string(shop().join("composer.lock")).unwrap();

    // Sources.
    let (audit_i, audit) = find(lock, "acme/audit");
    assert_eq!(
        audit.source,
        PackageSource::Registry {
            url: "https://repo.packagist.com/acme/".into(),
            sparse: false,
            default_registry: false
        }
    );
    assert_eq!(audit.checksums, vec![Checksum::Sha1("2b0d3b6f1e8a3c1f1a4d0b6c5e7f8a9b0c1d2e3f".into())]);
    let (kernel_i, kernel) = find(lock, "acme/shared-kernel");
    assert_eq!(kernel.source, PackageSource::Path { dir: "packages/shared-kernel".into() });
    assert!(kernel.first_party && kernel.purl().is_none());
    let (_, fork) = find(lock, "symfony/yaml");
    assert_eq!(
        fork.source,
        PackageSource::Git {
            url: "https://github.com/acme-forks/yaml.git".into(),
            reference: None,
            commit: Some("9e2cba3d5d7d2f1c8f1e0b7a6d5c4b3a2f1e0d9c".into())
        }
    );
    let (monolog_i, monolog) = find(lock, "monolog/monolog");
    assert!(monolog.source.is_default_registry());
    assert_eq!(monolog.purl().as_deref(), Some("pkg:composer/monolog/monolog@1.25.0"));
    let (_, container) = find(lock, "psr/container");
    assert_eq!(container.version, "dev-master", "branch versions as written");
    assert!(container.source.is_default_registry());

    // Edges: `provide` satisfies `psr/log-implementation`; platform requirements are no edges.
    let (psr_log_i, _) = find(lock, "psr/log");
    let (http_kernel_i, hk) = find(lock, "symfony/http-kernel");
    let (foundation_i, _) = find(lock, "symfony/http-foundation");
    let (ctype_i, _) = find(lock, "symfony/polyfill-ctype");
    let (php73_i, _) = find(lock, "symfony/polyfill-php73");
    assert_eq!(audit.dependencies, BTreeSet::from([monolog_i]));
    assert_eq!(kernel.dependencies, BTreeSet::from([http_kernel_i]));
    assert_eq!(monolog.dependencies, BTreeSet::from([psr_log_i]));
    assert_eq!(hk.dependencies, BTreeSet::from([psr_log_i, foundation_i, ctype_i, php73_i]));
    let (guzzle_i, guzzle) = find(lock, "guzzlehttp/guzzle");
    assert_eq!(guzzle.dependencies.len(), 2, "promises and psr7; its require-dev is not installed");

    // Scopes, groups, direct dependencies, the root.
    assert_eq!((hk.scope, hk.groups.len()), (Some(Scope::Required), 0));
    assert_eq!(guzzle.scope, Some(Scope::Excluded));
    assert_eq!(guzzle.groups, vec!["dev".to_owned()]);
    let direct: BTreeSet<&str> = lock.packages.iter().filter(|p| p.direct).map(|p| p.name.as_str()).collect();
    assert_eq!(
        direct,
        BTreeSet::from([
            "acme/audit",
            "acme/shared-kernel",
            "monolog/monolog",
            "symfony/http-kernel",
            "twig/twig",
            "guzzlehttp/guzzle",
            "symfony/yaml",
            "psr/container"
        ])
    );
    let RootComponent::Synthetic { name, depends_on } = &lock.root else { panic!("synthetic root") };
    assert_eq!(name, "acme/shop");
    assert!(depends_on.contains(&audit_i) && depends_on.contains(&kernel_i) && depends_on.contains(&guzzle_i));

    // Lines and metadata.
    let start = line_of(&text, "\"name\": \"monolog/monolog\"", 1);
    let end = line_of(&text, "\"time\": \"2019-09-06T13:49:17+00:00\"", start) + 1;
    assert_eq!(monolog.lines, Some(LineSpan { start, end }));
    assert_eq!(monolog.meta.license.as_deref(), Some("MIT"));
    assert_eq!(monolog.meta.authors, vec!["Jordi Boggiano <j.boggiano@seld.be>".to_owned()]);
    assert_eq!(monolog.meta.repository.as_deref(), Some("https://github.com/Seldaek/monolog.git"));
    assert_eq!(monolog.meta.homepage.as_deref(), Some("http://github.com/Seldaek/monolog"));
}

#[test]
fn the_shop_sbom_validates_with_sha1_hashes() {
    for spec in ["1.5", "1.6"] {
        let (code, stdout, stderr) = run(&["sbom", shop().to_str().unwrap(), "--spec-version", spec]);
        assert_eq!(code, 0, "{stderr}");
        let doc: Value = serde_json::from_slice(&stdout).unwrap();
        common::validate_cyclonedx(&doc, spec).unwrap_or_else(|e| panic!("{spec}: {e:#?}"));
        let components = doc["components"].as_array().unwrap();
        assert_eq!(components.len(), 20);
        let audit = components.iter().find(|c| c["name"] == "audit" || c["name"] == "acme/audit").unwrap();
        assert_eq!(audit["hashes"][0]["alg"], "SHA-1");
        assert_eq!(audit["hashes"][0]["content"], "2b0d3b6f1e8a3c1f1a4d0b6c5e7f8a9b0c1d2e3f");
        assert_eq!(audit["purl"], "pkg:composer/acme/audit@1.0.0?repository_url=https://repo.packagist.com/acme/");
        assert_eq!(doc["metadata"]["component"]["name"], "acme/shop");
    }
}

/// The advisory ids `chainward scan --offline --no-registry --db Packagist.zip --format json`
/// reports for `dir`, with the package each is about.
fn scan_ids(dir: &Path, db: &Path) -> (i32, BTreeSet<String>) {
    let (code, stdout, stderr) =
        run(&["scan", "--offline", "--db", db.to_str().unwrap(), "--format", "json", dir.to_str().unwrap()]);
    assert!(code == 0 || code == 1, "{stderr}");
    let doc: Value = serde_json::from_slice(&stdout).unwrap();
    assert_eq!(doc["errors"].as_array().map(Vec::len), Some(0), "{doc}");
    let ids = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{} {}", f["id"].as_str().unwrap(), f["package"]["name"].as_str().unwrap()))
        .collect();
    (code, ids)
}

/// What `python3 tools/oracle_composer.py ../shared/advisory-db/osv/Packagist.zip
/// testdata/packagist/shop/composer.lock` printed (36 lines, `ID NAME VERSION`), with the
/// version column dropped. The oracle was written from Composer's and PHP's sources
/// (`VersionParser::normalize`, `version_compare`) and the OSV reference algorithm, not from
/// chainward's code; it also reports 0 for both corpus lockfiles.
const SHOP_ORACLE: &str = "\
x_FRIENDSOFPHP-guzzlehttp__guzzle-CVE-2022-29248 guzzlehttp/guzzle
x_FRIENDSOFPHP-guzzlehttp__guzzle-CVE-2022-31042 guzzlehttp/guzzle
x_FRIENDSOFPHP-guzzlehttp__guzzle-CVE-2022-31043 guzzlehttp/guzzle
x_FRIENDSOFPHP-guzzlehttp__guzzle-CVE-2022-31090 guzzlehttp/guzzle
x_FRIENDSOFPHP-guzzlehttp__guzzle-CVE-2022-31091 guzzlehttp/guzzle
x_FRIENDSOFPHP-guzzlehttp__guzzle-CVE-2026-55568 guzzlehttp/guzzle
x_FRIENDSOFPHP-guzzlehttp__guzzle-CVE-2026-55767 guzzlehttp/guzzle
x_FRIENDSOFPHP-guzzlehttp__psr7-CVE-2022-24775 guzzlehttp/psr7
x_FRIENDSOFPHP-guzzlehttp__psr7-CVE-2023-29197 guzzlehttp/psr7
x_FRIENDSOFPHP-guzzlehttp__psr7-CVE-2026-48998 guzzlehttp/psr7
x_FRIENDSOFPHP-guzzlehttp__psr7-CVE-2026-49214 guzzlehttp/psr7
x_FRIENDSOFPHP-guzzlehttp__psr7-CVE-2026-55766 guzzlehttp/psr7
x_FRIENDSOFPHP-symfony__http-foundation-CVE-2020-5255 symfony/http-foundation
x_FRIENDSOFPHP-symfony__http-foundation-CVE-2024-50345 symfony/http-foundation
x_FRIENDSOFPHP-symfony__http-foundation-CVE-2025-64500 symfony/http-foundation
x_FRIENDSOFPHP-symfony__http-kernel-CVE-2020-15094 symfony/http-kernel
x_FRIENDSOFPHP-symfony__http-kernel-CVE-2022-24894 symfony/http-kernel
x_FRIENDSOFPHP-symfony__mime-CVE-2026-45067 symfony/mime
x_FRIENDSOFPHP-symfony__mime-CVE-2026-45070 symfony/mime
x_FRIENDSOFPHP-twig__twig-CVE-2019-9942 twig/twig
x_FRIENDSOFPHP-twig__twig-CVE-2022-23614 twig/twig
x_FRIENDSOFPHP-twig__twig-CVE-2022-39261 twig/twig
x_FRIENDSOFPHP-twig__twig-CVE-2024-45411 twig/twig
x_FRIENDSOFPHP-twig__twig-CVE-2024-51754 twig/twig
x_FRIENDSOFPHP-twig__twig-CVE-2024-51755 twig/twig
x_FRIENDSOFPHP-twig__twig-CVE-2026-46627 twig/twig
x_FRIENDSOFPHP-twig__twig-CVE-2026-46628 twig/twig
x_FRIENDSOFPHP-twig__twig-CVE-2026-46633 twig/twig
x_FRIENDSOFPHP-twig__twig-CVE-2026-46635 twig/twig
x_FRIENDSOFPHP-twig__twig-CVE-2026-46636 twig/twig
x_FRIENDSOFPHP-twig__twig-CVE-2026-46638 twig/twig
x_FRIENDSOFPHP-twig__twig-CVE-2026-47732 twig/twig
x_FRIENDSOFPHP-twig__twig-CVE-2026-48805 twig/twig
x_FRIENDSOFPHP-twig__twig-CVE-2026-48806 twig/twig
x_FRIENDSOFPHP-twig__twig-CVE-2026-48807 twig/twig
x_FRIENDSOFPHP-twig__twig-CVE-2026-48808 twig/twig
";

/// The oracle's ids for the vcs fork `symfony/yaml v2.0.22` when it is given packagist.org's
/// `notification-url` (the same script on the edited file: 39 lines, these 3 new).
const FORK_ORACLE: &str = "\
x_FRIENDSOFPHP-symfony__yaml-CVE-2026-45133 symfony/yaml
x_FRIENDSOFPHP-symfony__yaml-CVE-2026-45304 symfony/yaml
x_FRIENDSOFPHP-symfony__yaml-CVE-2026-45305 symfony/yaml
";

fn lines_set(s: &str) -> BTreeSet<String> {
    s.lines().map(str::to_owned).collect()
}

#[test]
fn matching_finds_exactly_what_the_oracle_finds() {
    let Some(shared) = common::shared_dir() else { return };
    let db = shared.join("advisory-db/osv/Packagist.zip");
    // The corpus: many packages with records (symfony/*, twig/twig, doctrine/*, ...), none at
    // an affected version: the oracle reports 0 for both.
    for (dir, ..) in CORPUS {
        let (code, ids) = scan_ids(&shared.join("corpus/packagist").join(dir), &db);
        assert_eq!((code, ids), (0, BTreeSet::new()), "{dir}");
    }
    // The shop: old packagist.org versions are found; the Private Packagist package, the path
    // package and the vcs fork of symfony/yaml (which has records at v2.0.22) are not matched.
    let (code, ids) = scan_ids(&shop(), &db);
    assert_eq!(code, 1);
    assert_eq!(ids, lines_set(SHOP_ORACLE));
    // The fork, claimed to come from packagist.org, is matched.
    let dir = tempfile::tempdir().unwrap();
    common::copy_dir(&shop(), dir.path());
    let text = std::fs::read_to_string(dir.path().join("composer.lock")).unwrap();
    let edited = text.replace(
        "\"description\": \"A fork from a vcs repository (no notification-url)\"",
        "\"description\": \"A fork from a vcs repository (no notification-url)\",\n            \"notification-url\": \"https://packagist.org/downloads/\"",
    );
    assert_ne!(edited, text);
    std::fs::write(dir.path().join("composer.lock"), edited).unwrap();
    let (_, ids) = scan_ids(dir.path(), &db);
    let want: BTreeSet<String> = lines_set(SHOP_ORACLE).union(&lines_set(FORK_ORACLE)).cloned().collect();
    assert_eq!(ids, want);
}

fn write_lock(text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("composer.lock"), text).unwrap();
    dir
}

#[test]
fn bad_lockfiles_fail_the_run_naming_file_and_line() {
    let cases: [(&str, usize, &str); 8] = [
        // Composer refuses an empty composer.lock (`json_decode('')` is null, not `null`).
        ("", 1, "empty"),
        ("null\n", 1, "null, not a JSON object"),
        ("{\n  \"packages\": [\n    {\"name\": \"a/b\",}\n  ]\n}\n", 3, "invalid JSON"),
        ("{\n  \"content-hash\": \"x\"\n}\n", 1, "no `packages` array"),
        (
            "{\n  \"packages\": [],\n  \"plugin-api-version\": \"3.0.0\"\n}\n",
            3,
            "unsupported composer.lock plugin-api-version version \"3.0.0\"",
        ),
        ("{\n  \"packages\": [\n    {\n      \"version\": \"1.0.0\"\n    }\n  ]\n}\n", 3, "has no `name`"),
        (
            "{\n  \"packages\": [\n    {\n      \"name\": \"a/b\",\n      \"version\": \"1.0.0\",\n      \"require\": \"c/d\"\n    }\n  ]\n}\n",
            6,
            "`require` must be an object",
        ),
        (
            "{\n  \"packages\": [\n    {\n      \"name\": \"a/b\",\n      \"version\": \"1.0.0\",\n      \"require\": {\"c/d\": \"^1\"}\n    }\n  ]\n}\n",
            4,
            "depends on `c/d`",
        ),
    ];
    for (text, line, message) in cases {
        let dir = write_lock(text);
        let resolution = common::conformance::resolve(dir.path());
        let error = resolution.errors.first().unwrap_or_else(|| panic!("no error for {text:?}"));
        assert_eq!((error.path.as_str(), error.line), ("composer.lock", Some(line)), "{text:?}: {error}");
        assert!(error.to_string().contains(message), "{error}");
        for command in ["scan", "sbom"] {
            let (code, _, stderr) = run(&[command, dir.path().to_str().unwrap()]);
            assert_eq!(code, 2, "{command} {text:?}: {stderr}");
            assert!(stderr.contains(&format!("composer.lock:{line}")), "{stderr}");
        }
    }
}

#[test]
fn a_broken_lockfile_does_not_stop_the_others() {
    let dir = tempfile::tempdir().unwrap();
    common::copy_dir(&shop(), &dir.path().join("shop"));
    std::fs::create_dir_all(dir.path().join("broken")).unwrap();
    std::fs::write(dir.path().join("broken/composer.lock"), "{\"packages\": [1]}").unwrap();
    let resolution = common::conformance::resolve(dir.path());
    assert_eq!(resolution.resolved.len(), 1);
    assert_eq!(resolution.resolved[0].path, "shop/composer.lock");
    assert_eq!(resolution.errors.len(), 1);
    assert_eq!((resolution.errors[0].path.as_str(), resolution.errors[0].line), ("broken/composer.lock", Some(1)));
    let (code, stdout, stderr) = run(&["sbom", "--allow-partial", dir.path().to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    let doc: Value = serde_json::from_slice(&stdout).unwrap();
    assert_eq!(doc["components"].as_array().unwrap().len(), 20);
}

#[test]
fn a_broken_composer_json_is_an_error_but_the_packages_are_complete() {
    let dir = tempfile::tempdir().unwrap();
    common::copy_dir(&shop(), dir.path());
    std::fs::write(dir.path().join("composer.json"), "{\n  \"require\": [\n").unwrap();
    let resolution = common::conformance::resolve(dir.path());
    assert_eq!(resolution.resolved.len(), 1);
    assert_eq!(resolution.resolved[0].packages.len(), 20);
    let error = resolution.errors.iter().find(|e| e.path == "composer.json").unwrap();
    assert!(error.line.is_some(), "{error}");
    // Without the manifest's `provide`/`replace`, edges are still judged on the lockfile alone:
    // the shop needs nothing from its root.
    assert!(resolution.errors.iter().all(|e| e.path == "composer.json"), "{:?}", resolution.errors);
    assert!(resolution.resolved[0].packages.iter().all(|p| !p.direct));
}

#[test]
fn composer_lock_is_claimed_by_name() {
    let r = ComposerLockResolver;
    assert!(r.claims(Path::new("composer.lock")));
    assert!(r.claims(Path::new("app/composer.lock")));
    assert!(!r.claims(Path::new("composer.json")));
    assert!(!r.claims(Path::new("composer.lock.bak")));
}

const INTERESTING: &[&[u8]] = &[
    b"{",
    b"}",
    b"[",
    b"]",
    b"\"",
    b"\\",
    b",",
    b":",
    b"null",
    b"\"packages\": [",
    b"\"name\": \"a/b\"",
    b"\"require\": {\"a/b\": \"*\"}",
    b"\"provide\": {\"x/y\": \"1\"}",
    b"\"plugin-api-version\": \"9.0.0\"",
    b"\"dist\": {\"type\": \"path\", \"url\": \"../..\"}",
    b"\"shasum\": \"zz\"",
    b"\xff",
];

/// `input` mutated, with this format's tokens.
fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    common::mutate::mutate(rng, input, INTERESTING)
}

#[test]
fn mutated_lockfiles_never_panic_and_errors_name_the_file() {
    let mut seeds: Vec<Vec<u8>> = vec![std::fs::read(shop().join("composer.lock")).unwrap()];
    for case in common::conformance::cases("composer.lock") {
        seeds.push(std::fs::read(&case.fixture).unwrap());
    }
    let manifest_bytes = std::fs::read(shop().join("composer.json")).unwrap();
    let manifest = Manifest::parse("composer.json", &manifest_bytes).unwrap();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut parsed = 0;
    for round in 0..600 {
        let seed = &seeds[round % seeds.len()];
        let input = mutate(&mut rng, seed);
        let manifest = (round % 2 == 0).then_some(&manifest);
        let Ok(result) = std::panic::catch_unwind(|| match std::str::from_utf8(&input) {
            Ok(text) => composer::parse(text, "app/composer.lock", "app", manifest),
            Err(_) => Err(chainward::resolve::ResolveError::new("app/composer.lock", None, ResolveErrorKind::NotUtf8)),
        }) else {
            panic!("round {round}: parse panicked on:\n{}", String::from_utf8_lossy(&input));
        };
        match result {
            Ok(lock) => {
                parsed += 1;
                let n = lock.packages.len();
                assert!(lock.packages.iter().all(|p| p.dependencies.iter().all(|&j| j < n)), "round {round}");
                assert!(lock.errors.iter().all(|e| e.path == "app/composer.lock" && e.line.is_some()), "round {round}");
                for p in &lock.packages {
                    let _ = p.purl();
                    assert!(p.lines.is_some_and(|l| l.start <= l.end), "round {round}");
                }
            }
            Err(e) => {
                assert_eq!(e.path, "app/composer.lock", "round {round}");
                assert!(
                    e.line.is_some() || matches!(e.kind, ResolveErrorKind::NotUtf8),
                    "round {round}: {e} has no line"
                );
            }
        }
        // The manifest side: a mutated composer.json never panics either.
        let manifest_input = mutate(&mut rng, &manifest_bytes);
        let Ok(m) = std::panic::catch_unwind(|| Manifest::parse("app/composer.json", &manifest_input)) else {
            panic!("round {round}: composer.json parse panicked on:\n{}", String::from_utf8_lossy(&manifest_input));
        };
        if let Err(e) = m {
            assert_eq!(e.path, "app/composer.json");
        }
    }
    assert!(parsed > 30, "only {parsed} mutants parsed: the mutations are too destructive to test much");
}

#[test]
fn deep_nesting_is_refused_not_a_stack_overflow() {
    let deep = format!("{{\"packages\": [], \"extra\": {}{}}}", "[".repeat(100_000), "]".repeat(100_000));
    let e = composer::parse(&deep, "composer.lock", ".", None).unwrap_err();
    assert_eq!(e.path, "composer.lock");
    assert!(e.to_string().contains("nesting"), "{e}");
}

#[test]
fn the_projects_replace_satisfies_edges_and_without_composer_json_they_dangle() {
    let Some(shared) = common::shared_dir() else { return };
    let demo = shared.join("corpus/packagist/symfony__demo");
    let bytes = std::fs::read(demo.join("composer.lock")).unwrap();
    // `scan` reads lockfiles only, but still composer.json's `replace`: no error.
    let tree = chainward::source::WorkTree::new(&demo);
    let options = chainward::resolve::ResolveOptions { lockfile_only: true, ..Default::default() };
    let lock = ComposerLockResolver.resolve(&tree, "composer.lock", &bytes, &options).unwrap();
    assert!(lock.errors.is_empty(), "{:?}", lock.errors);
    // Without composer.json, the 16 edges to the polyfills symfony/demo replaces cannot be told
    // from missing packages: dangling-edge errors (counted by the same Python script).
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("composer.lock"), &bytes).unwrap();
    let resolution = common::conformance::resolve(dir.path());
    assert_eq!(resolution.errors.len(), 16);
    assert!(resolution.errors.iter().all(|e| matches!(&e.kind, ResolveErrorKind::DanglingDependency { dependency, .. } if dependency.starts_with("symfony/polyfill-"))));
    assert_eq!(resolution.resolved[0].packages.len(), 153, "the packages are all there");
}

#[test]
fn an_out_of_date_lock_is_a_warning_naming_the_requirement() {
    let dir = tempfile::tempdir().unwrap();
    common::copy_dir(&shop(), dir.path());
    let manifest = std::fs::read_to_string(dir.path().join("composer.json")).unwrap();
    let edited =
        manifest.replace("\"twig/twig\": \"^2.4\"", "\"twig/twig\": \"^2.4\",\n        \"psr/cache\": \"^1.0\"");
    assert_ne!(edited, manifest);
    std::fs::write(dir.path().join("composer.json"), edited).unwrap();
    let resolution = common::conformance::resolve(dir.path());
    assert!(resolution.errors.is_empty(), "{:?}", resolution.errors);
    assert!(
        resolution
            .warnings
            .iter()
            .any(|w| w.message.contains("`require` has `psr/cache`, which composer.lock does not lock")),
        "{:?}",
        resolution.warnings
    );
}

/// `testdata/packagist/path-repo/`: written by Composer 2.5.5 (`composer update --no-install`
/// with packagist.org disabled and a `path` repository `packages/*`).
#[test]
fn a_real_path_repository_lock_resolves_as_composer_wrote_it() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/packagist/path-repo");
    let resolution = common::conformance::resolve(&dir);
    let lock = only(&resolution);
    assert!(resolution.warnings.is_empty(), "{:?}", resolution.warnings);
    assert_eq!(lock.packages.len(), 2);
    let (a_i, a) = find(lock, "acme/lib-a");
    let (b_i, b) = find(lock, "acme/lib-b");
    assert_eq!(a.source, PackageSource::Path { dir: "packages/lib-a".into() });
    assert_eq!(b.source, PackageSource::Path { dir: "packages/lib-b".into() });
    assert!(a.first_party && b.first_party && a.purl().is_none());
    // lib-a requires lib-b (and `php`, `ext-json`: platform); lib-b's `require-dev` on phpunit
    // is lib-b's own development setup: no edge, no error.
    assert_eq!(a.dependencies, BTreeSet::from([b_i]));
    assert!(b.dependencies.is_empty());
    // lib-b is in `packages` (lib-a needs it) and direct: the root's `require-dev` names
    // `acme/old-b`, which lib-b replaces.
    assert_eq!((a.scope, b.scope), (Some(Scope::Required), Some(Scope::Required)));
    assert!(a.direct && b.direct);
    let RootComponent::Synthetic { name, depends_on } = &lock.root else { panic!("synthetic root") };
    assert_eq!((name.as_str(), depends_on), ("acme/app", &BTreeSet::from([a_i, b_i])));
    assert_eq!(b.meta.license.as_deref(), Some("MIT OR Apache-2.0"), "an array of licenses is a choice");
    assert_eq!(a.lines, Some(LineSpan { start: 10, end: 33 }), "the `name` line to the closing brace");
    let (code, stdout, stderr) = run(&["sbom", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let doc: Value = serde_json::from_slice(&stdout).unwrap();
    common::validate_cyclonedx(&doc, "1.6").unwrap_or_else(|e| panic!("{e:#?}"));
}

#[test]
fn null_packages_dev_is_a_warning_that_dev_packages_are_unknown() {
    let dir = write_lock("{\n  \"packages\": [],\n  \"packages-dev\": null\n}\n");
    let resolution = common::conformance::resolve(dir.path());
    assert!(resolution.errors.is_empty());
    assert_eq!(resolution.warnings.len(), 1);
    assert_eq!(resolution.warnings[0].line, Some(3));
    assert!(resolution.warnings[0].message.contains("dev packages are not in the lockfile and were not checked"));
}

/// A composer.lock where each of `n` packages provides one of `k` names and requires all `k`:
/// `n × k × n/k` edges.
fn amplifying_lock(n: usize, k: usize) -> String {
    let packages: Vec<String> = (0..n)
        .map(|i| {
            let require: Vec<String> = (0..k).map(|j| format!("\"x/n{j}\": \"*\"")).collect();
            format!(
                "{{\"name\": \"v/p{i}\", \"version\": \"1.0.0\", \"provide\": {{\"x/n{}\": \"1.0\"}}, \"require\": {{{}}}, \"notification-url\": \"https://packagist.org/downloads/\"}}",
                i % k,
                require.join(", ")
            )
        })
        .collect();
    format!("{{\"packages\": [\n{}\n], \"packages-dev\": []}}\n", packages.join(",\n"))
}

#[test]
fn edges_past_the_budget_fail_the_file_quickly_at_the_package_that_crosses_it() {
    // 2,560 packages, each requiring 40 names that 64 packages provide (the most one name may
    // link to): 6.5 million edges. Refused at once, never linked in part.
    let text = amplifying_lock(2560, 40);
    let started = std::time::Instant::now();
    let error = composer::parse(&text, "composer.lock", ".", None).unwrap_err();
    assert!(started.elapsed() < std::time::Duration::from_secs(10), "{:?}", started.elapsed());
    assert!(matches!(error.kind, ResolveErrorKind::Format(_)), "{error}");
    // 40 × 64 = 2,560 edges a package: the 391st (line 392, after the `packages` line) crosses
    // 1,000,000.
    assert_eq!(error.line, Some(392), "{error}");
    assert!(error.to_string().contains("more than 1000000 dependency edges"), "{error}");
    // Providers within the budget link as before: 8 packages providing 2 names, 4 each.
    let lock = composer::parse(&amplifying_lock(8, 2), "composer.lock", ".", None).unwrap();
    assert!(lock.errors.is_empty(), "{:?}", lock.errors);
    assert_eq!(lock.packages[0].dependencies, BTreeSet::from([1, 2, 3, 4, 5, 6, 7]));
}
