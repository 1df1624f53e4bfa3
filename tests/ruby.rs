//! Bundler's `Gemfile.lock`: the osv-scalibr conformance cases, the two corpus lockfiles
//! (heartcombo/devise: GIT and PATH sections; rubygems.org: two GEM sections, platform
//! variants, CHECKSUMS) checked against real Bundler's reading of them, the fixture
//! `testdata/rubygems/sources/` (every source kind), advisory matching checked against an
//! independent oracle, errors, warnings, and mutated lockfiles.
//!
//! The oracle is `tools/oracle_ruby.rb`: real Bundler 2.3.7's `Bundler::LockfileParser` and
//! RubyGems 3.3's `Gem::Version` (Debian 12's `ruby` package), with the OSV evaluation
//! algorithm written out. Its outputs are committed (`testdata/rubygems/oracle/*.json`) or
//! hard-coded below, so the tests need no Ruby.

// Test helpers fail loudly on unexpected input: that is how a test reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use common::mutate::Rng;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use chainward::model::{Checksum, GitReference, LineSpan, Package, PackageSource, RootComponent, Scope};
use chainward::resolve::{ResolveErrorKind, Resolved, Resolver as _};
use serde_json::Value;

fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/rubygems").join(rel)
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

/// The one lockfile of a resolution, which must have no errors.
fn only(resolution: &chainward::resolve::Resolution) -> &Resolved {
    assert!(resolution.errors.is_empty(), "{:?}", resolution.errors);
    assert_eq!(resolution.resolved.len(), 1);
    &resolution.resolved[0]
}

/// A Gemfile.lock with `text` (and a Gemfile, when given) in a new directory.
fn lockfile(text: &str, gemfile: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Gemfile.lock"), text).unwrap();
    if let Some(g) = gemfile {
        std::fs::write(dir.path().join("Gemfile"), g).unwrap();
    }
    dir
}

fn find<'a>(lock: &'a Resolved, name: &str, platform: Option<&str>) -> &'a Package {
    lock.packages
        .iter()
        .find(|p| p.name == name && p.platform.as_deref() == platform)
        .unwrap_or_else(|| panic!("no {name} {platform:?}"))
}

#[test]
fn conformance_cases_match_the_peer() {
    let cases = common::conformance::cases("Gemfile.lock");
    if common::shared_dir().is_none() {
        return;
    }
    assert_eq!(cases.len(), 9, "the nine osv-scalibr Gemfile.lock cases");
    for case in cases {
        let dir = case.materialize();
        let resolution = common::conformance::resolve(dir.path());
        if case.has_choice("gem-invalid-spec-skipped-not-error") {
            // Deliberate difference: `invalid-name` (a spec line without a version) is skipped
            // silently by osv-scalibr. Bundler never writes one; RubyGems 3 reads the missing
            // version as `0` with a deprecation warning (real Bundler 2.3.7 does, checked with
            // tools/oracle_ruby.rb), and a gem we cannot version cannot be matched: we fail the
            // file, with its line, rather than call it clean.
            assert!(resolution.resolved.is_empty(), "{}", case.name);
            let error = &resolution.errors[0];
            assert_eq!((error.path.as_str(), error.line), ("Gemfile.lock", Some(4)), "{error}");
            assert!(matches!(error.kind, ResolveErrorKind::InvalidPackage(_)), "{error}");
            assert!(error.to_string().contains("invalid-name"), "{error}");
            let (code, _, stderr) = run(&["sbom", dir.path().to_str().unwrap()]);
            assert_eq!(code, 2, "{stderr}");
            assert!(stderr.contains("Gemfile.lock:4"), "{stderr}");
            continue;
        }
        assert!(!case.expects_error, "no other Gemfile.lock case expects an error");
        let lock = only(&resolution);
        // `gem-platform-suffix-stripped`: ours too (the platform is `platform`, not part of the
        // version). `gem-path-section-included`, `gem-git-section-included`: ours too (PATH
        // gems are first-party `Path` packages, GIT gems `Git` ones; both are listed, neither is
        // matched against advisories). So the multiset compares as is.
        let got = common::conformance::multiset(lock.packages.iter().map(|p| (p.name.as_str(), p.version.as_str())));
        let want = common::conformance::multiset(case.expected.iter().map(|e| (e.name.as_str(), e.version.as_str())));
        assert_eq!(got, want, "{}", case.name);
        for e in &case.expected {
            let matching: Vec<_> =
                lock.packages.iter().filter(|p| p.name == e.name && p.version == e.version).collect();
            if let Some(line) = e.line {
                // The peer's line is the spec line: the start of our span.
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
                        .all(|p| matches!(&p.source, PackageSource::Git { commit: Some(c), .. } if c == commit)),
                    "{}: {} expected at commit {commit}",
                    case.name,
                    e.name
                );
            }
        }
        let (code, stdout, stderr) = run(&["sbom", dir.path().to_str().unwrap()]);
        assert_eq!(code, 0, "{}: {stderr}", case.name);
        let doc: Value = serde_json::from_slice(&stdout).unwrap();
        common::validate_cyclonedx(&doc, "1.6").unwrap_or_else(|e| panic!("{}: {e:#?}", case.name));
    }
}

#[test]
fn conformance_platform_variants_are_components_of_their_own() {
    let Some(shared) = common::shared_dir() else { return };
    let case = shared.join("conformance/osv-scalibr/rubygems/gemfile-has-local-gem/has-local-gem.lock");
    let dir = lockfile(&std::fs::read_to_string(case).unwrap(), None);
    let resolution = common::conformance::resolve(dir.path());
    let lock = only(&resolution);
    let nokogiri: Vec<_> = lock.packages.iter().filter(|p| p.name == "nokogiri").collect();
    assert!(nokogiri.iter().any(|p| p.platform.as_deref() == Some("x86_64-linux")), "{nokogiri:?}");
    assert!(nokogiri.iter().all(|p| p.version == "1.13.3"));
    let purls: Vec<_> = nokogiri.iter().filter_map(|p| p.purl()).collect();
    assert!(purls.contains(&"pkg:gem/nokogiri@1.13.3?platform=x86_64-linux".to_owned()), "{purls:?}");
    // The PATH gems are first-party and have no purl.
    let local: Vec<_> = lock.packages.iter().filter(|p| p.first_party).collect();
    assert!(!local.is_empty());
    assert!(local.iter().all(|p| matches!(p.source, PackageSource::Path { .. }) && p.purl().is_none()));
}

/// Real Bundler's reading of a corpus lockfile (`tools/oracle_ruby.rb inventory`).
struct Oracle {
    /// (name, version, source kind, sorted dependency names), a multiset.
    specs: BTreeMap<(String, String, String, Vec<String>), usize>,
    dependencies: Vec<String>,
    bundler: String,
    /// name → number of specs of that name (platform variants).
    variants: BTreeMap<String, usize>,
}

fn oracle(name: &str) -> Oracle {
    let doc: Value = serde_json::from_slice(&std::fs::read(testdata(&format!("oracle/{name}.json"))).unwrap()).unwrap();
    let mut specs = BTreeMap::new();
    let mut variants = BTreeMap::new();
    for s in doc["specs"].as_array().unwrap() {
        // `bundler` is never a spec (the running Bundler provides itself): we draw no edge to it.
        let deps: Vec<String> = s["dependencies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_str().unwrap().to_owned())
            .filter(|d| d != "bundler")
            .collect();
        let kind = match s["source"]["kind"].as_str().unwrap() {
            "gem" if s["source"]["default"].as_bool().unwrap() => "default-registry",
            "gem" => "registry",
            other => other,
        };
        *specs
            .entry((
                s["name"].as_str().unwrap().to_owned(),
                s["version"].as_str().unwrap().to_owned(),
                kind.to_owned(),
                deps,
            ))
            .or_insert(0) += 1;
        *variants.entry(s["name"].as_str().unwrap().to_owned()).or_insert(0) += 1;
    }
    Oracle {
        specs,
        dependencies: doc["dependencies"].as_array().unwrap().iter().map(|d| d.as_str().unwrap().to_owned()).collect(),
        bundler: doc["bundler"].as_str().unwrap().to_owned(),
        variants,
    }
}

/// Our packages in the oracle's terms: (name, version, source kind, names of the packages
/// each depends on).
fn as_oracle(lock: &Resolved) -> BTreeMap<(String, String, String, Vec<String>), usize> {
    let mut out = BTreeMap::new();
    for p in &lock.packages {
        let kind = match &p.source {
            PackageSource::Registry { default_registry: true, .. } => "default-registry",
            PackageSource::Registry { .. } => "registry",
            PackageSource::Git { .. } => "git",
            PackageSource::Path { .. } => "path",
            PackageSource::Tarball { .. } => "tarball",
        };
        let deps: BTreeSet<String> = p.dependencies.iter().map(|&d| lock.packages[d].name.clone()).collect();
        *out.entry((p.name.clone(), p.version.clone(), kind.to_owned(), deps.into_iter().collect())).or_insert(0) += 1;
    }
    out
}

/// Two multisets equal, or a panic naming what differs.
fn assert_same<K: Ord + std::fmt::Debug>(ours: &BTreeMap<K, usize>, bundler: &BTreeMap<K, usize>, what: &str) {
    let only_ours: Vec<_> = ours.iter().filter(|(k, n)| bundler.get(*k) != Some(*n)).collect();
    let only_bundler: Vec<_> = bundler.iter().filter(|(k, n)| ours.get(*k) != Some(*n)).collect();
    assert!(only_ours.is_empty() && only_bundler.is_empty(), "{what}: ours {only_ours:?}, Bundler's {only_bundler:?}");
}

/// The Bundler-written version in `BUNDLED WITH`.
fn bundled_with(text: &str) -> String {
    text.split("BUNDLED WITH").nth(1).unwrap().trim().to_owned()
}

#[test]
fn corpus_lockfiles_resolve_as_bundler_reads_them() {
    let Some(shared) = common::shared_dir() else { return };
    // (directory, specs per corpus/SOURCES.md, specs with a SHA-256 in CHECKSUMS)
    for (name, count, checksums) in [("heartcombo__devise", 99, 0), ("rubygems__rubygems.org", 341, 341)] {
        let dir = shared.join("corpus/rubygems").join(name);
        let text = std::fs::read_to_string(dir.join("Gemfile.lock")).unwrap();
        let resolution = common::conformance::resolve(&dir);
        let lock = only(&resolution);
        assert_eq!(lock.packages.len(), count, "{name}: the four-space specs of SOURCES.md");
        assert!(resolution.warnings.is_empty(), "{name}: {:?}", resolution.warnings);
        // Every spec, its source kind and its edges (by name) as real Bundler reads them.
        let want = oracle(name);
        assert_same(&as_oracle(lock), &want.specs, name);
        assert_eq!(want.bundler, bundled_with(&text), "{name}");
        // Platform variants: as many per name as Bundler has, each with the platform as written.
        for (gem, n) in &want.variants {
            assert_eq!(lock.packages.iter().filter(|p| &p.name == gem).count(), *n, "{name}: {gem}");
        }
        for p in lock.packages.iter().filter(|p| p.platform.is_some()) {
            let written = format!("    {} ({}-{})\n", p.name, p.version, p.platform.as_deref().unwrap());
            assert!(text.contains(&written), "{name}: {written:?}");
        }
        // The synthetic root depends on the DEPENDENCIES entries, each spec of them direct.
        let RootComponent::Synthetic { name: root, depends_on } = &lock.root else { panic!("synthetic root") };
        assert_eq!(root, name);
        let direct: BTreeSet<&str> = depends_on.iter().map(|&i| lock.packages[i].name.as_str()).collect();
        let declared: BTreeSet<&str> = want.dependencies.iter().map(String::as_str).collect();
        assert_eq!(direct, declared, "{name}");
        assert!(lock.packages.iter().all(|p| p.direct == declared.contains(p.name.as_str())));
        // Every CHECKSUMS entry landed on its spec (none is warned about), as a SHA-256.
        let with: Vec<_> = lock.packages.iter().filter(|p| !p.checksums.is_empty()).collect();
        assert_eq!(with.len(), checksums, "{name}");
        for p in &with {
            let Checksum::Sha256(hex) = &p.checksums[0] else { panic!("{}: {:?}", p.name, p.checksums) };
            let key = match &p.platform {
                Some(platform) => format!("  {} ({}-{platform}) sha256={hex}\n", p.name, p.version),
                None => format!("  {} ({}) sha256={hex}\n", p.name, p.version),
            };
            assert!(text.contains(&key), "{name}: {key:?}");
        }
        // Lines: the spec line, through its last dependency line.
        for p in &lock.packages {
            let LineSpan { start, end } = p.lines.unwrap();
            let lines: Vec<&str> = text.lines().collect();
            assert!(lines[start - 1].starts_with(&format!("    {} (", p.name)), "{name}: {p:?}");
            assert!(lines[start..end].iter().all(|l| l.starts_with("      ")), "{name}: {}", p.name);
            assert!(!lines.get(end).is_some_and(|l| l.starts_with("      ")), "{name}: {}", p.name);
        }
    }
}

#[test]
fn devise_has_its_git_and_path_gems_and_gemfile_groups() {
    let Some(shared) = common::shared_dir() else { return };
    let resolution = common::conformance::resolve(&shared.join("corpus/rubygems/heartcombo__devise"));
    let lock = only(&resolution);
    let mongoid = find(lock, "mongoid", None);
    assert_eq!(
        mongoid.source,
        PackageSource::Git {
            url: "https://github.com/mongodb/mongoid.git".into(),
            reference: Some(GitReference::Branch("9.0-stable".into())),
            commit: Some("0623af687a234392ed4b8872f474a9208b908500".into()),
        }
    );
    assert_eq!(mongoid.lines, Some(LineSpan { start: 6, end: 9 }));
    let devise = find(lock, "devise", None);
    assert_eq!(devise.source, PackageSource::Path { dir: ".".into() });
    assert!(devise.first_party && devise.direct);
    // Groups from the Gemfile's static forms: `group :test do … end` gems and what only they
    // reach are excluded; `rails` (no group) and `mongoid` (`group :mongoid`) are required.
    assert_eq!(find(lock, "mocha", None).groups, ["test"]);
    assert_eq!(find(lock, "mocha", None).scope, Some(Scope::Excluded));
    assert_eq!(find(lock, "timecop", None).scope, Some(Scope::Excluded));
    assert_eq!(find(lock, "rails", None).scope, Some(Scope::Required));
    assert_eq!(find(lock, "mongoid", None).groups, ["mongoid"]);
    assert_eq!(find(lock, "mongoid", None).scope, Some(Scope::Required));
    // `sqlite3` is inside `platforms :ruby do` (not a group): default.
    assert_eq!(find(lock, "sqlite3", None).groups, ["default"]);
    // A gem reached from both (rack, via rails and via webrat) is required, in both groups.
    let rack = find(lock, "rack", None);
    assert_eq!(rack.scope, Some(Scope::Required));
    assert!(
        rack.groups.contains(&"default".to_owned()) && rack.groups.contains(&"test".to_owned()),
        "{:?}",
        rack.groups
    );
    // Reading the lockfile only: no groups, no scopes.
    let tree = chainward::source::WorkTree::new(shared.join("corpus/rubygems/heartcombo__devise"));
    let excludes = chainward::discover::Excludes::new(&[]).unwrap();
    let options = chainward::resolve::ResolveOptions { lockfile_only: true, ..Default::default() };
    let bare = chainward::resolve::work_tree(&tree, &excludes, &options).unwrap();
    assert!(bare.resolved[0].packages.iter().all(|p| p.scope.is_none() && p.groups.is_empty()));
}

#[test]
fn rubygems_org_has_two_gem_sections_and_platform_variants() {
    let Some(shared) = common::shared_dir() else { return };
    let resolution = common::conformance::resolve(&shared.join("corpus/rubygems/rubygems__rubygems.org"));
    let lock = only(&resolution);
    // The avo-hq server is a registry, not rubygems.org's: never matched.
    let private =
        PackageSource::Registry { url: "https://packager.dev/avo-hq/".into(), sparse: false, default_registry: false };
    let avo: Vec<_> = lock.packages.iter().filter(|p| p.source == private).map(|p| p.name.as_str()).collect();
    assert_eq!(avo, ["avo-advanced", "avo-dashboards", "avo-dynamic_filters", "avo-menu", "avo-pro"]);
    assert_eq!(
        find(lock, "avo-advanced", None).purl().unwrap(),
        "pkg:gem/avo-advanced@3.32.4?repository_url=https://packager.dev/avo-hq/"
    );
    // nokogiri: the ruby gem and seven platform builds, each a component with its checksum.
    let nokogiri: Vec<_> = lock.packages.iter().filter(|p| p.name == "nokogiri").collect();
    assert_eq!(nokogiri.len(), 8);
    assert_eq!(nokogiri.iter().map(|p| &p.checksums[0]).collect::<BTreeSet<_>>().len(), 8, "one checksum each");
    // An edge to nokogiri reaches every variant.
    let nokogiri_ids: BTreeSet<usize> =
        lock.packages.iter().enumerate().filter(|(_, p)| p.name == "nokogiri").map(|(i, _)| i).collect();
    let xpath = find(lock, "xpath", None);
    assert_eq!(xpath.dependencies, nokogiri_ids);
    // Only the ruby variant depends on mini_portile2 (the platform builds are precompiled).
    let portile = lock.packages.iter().position(|p| p.name == "mini_portile2").unwrap();
    assert!(find(lock, "nokogiri", None).dependencies.contains(&portile));
    assert!(!find(lock, "nokogiri", Some("x86_64-linux-gnu")).dependencies.contains(&portile));
}

#[test]
fn corpus_sboms_validate_with_platform_purls_and_sha256_hashes() {
    let Some(shared) = common::shared_dir() else { return };
    for name in ["heartcombo__devise", "rubygems__rubygems.org"] {
        let dir = shared.join("corpus/rubygems").join(name);
        for spec in ["1.5", "1.6"] {
            let (code, stdout, stderr) = run(&["sbom", dir.to_str().unwrap(), "--spec-version", spec]);
            assert_eq!(code, 0, "{name} {spec}: {stderr}");
            let doc: Value = serde_json::from_slice(&stdout).unwrap();
            common::validate_cyclonedx(&doc, spec).unwrap_or_else(|e| panic!("{name} {spec}: {e:#?}"));
            let components = doc["components"].as_array().unwrap();
            let refs: BTreeSet<&str> = components.iter().map(|c| c["bom-ref"].as_str().unwrap()).collect();
            assert_eq!(refs.len(), if name == "heartcombo__devise" { 99 } else { 341 });
            // Every edge names a component (or the root).
            let root = doc["metadata"]["component"]["bom-ref"].as_str().unwrap();
            for d in doc["dependencies"].as_array().unwrap() {
                for to in d.get("dependsOn").and_then(Value::as_array).into_iter().flatten() {
                    let to = to.as_str().unwrap();
                    assert!(refs.contains(to) && to != root, "{name}: {to}");
                }
            }
            if name == "rubygems__rubygems.org" {
                let ffi = components
                    .iter()
                    .find(|c| c["purl"] == "pkg:gem/ffi@1.17.4?platform=x86_64-linux-gnu")
                    .expect("a platform purl");
                assert_eq!(ffi["hashes"][0]["alg"], "SHA-256");
                assert_eq!(ffi["hashes"][0]["content"].as_str().unwrap().len(), 64);
                assert!(components.iter().all(|c| c["hashes"][0]["alg"] == "SHA-256"));
            } else {
                let mongoid = components.iter().find(|c| c["name"] == "mongoid").unwrap();
                assert!(
                    mongoid["purl"]
                        .as_str()
                        .unwrap()
                        .starts_with("pkg:gem/mongoid@9.0.10?vcs_url=git%2Bhttps://github.com/mongodb/mongoid.git%40")
                );
                assert!(components.iter().find(|c| c["name"] == "devise").unwrap().get("purl").is_none());
            }
        }
    }
}

#[test]
fn the_sources_fixture_has_every_source_kind() {
    let resolution = common::conformance::resolve(&testdata("sources"));
    assert!(resolution.errors.is_empty(), "{:?}", resolution.errors);
    let lock = &resolution.resolved[0];
    assert_same(&as_oracle(lock), &oracle("sources").specs, "sources");
    assert_eq!(
        find(lock, "activesupport", None).source,
        PackageSource::Git {
            url: "https://github.com/rails/rails.git".into(),
            reference: Some(GitReference::Tag("v7.0.2.2".into())),
            commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
        }
    );
    assert_eq!(
        find(lock, "crass", None).source,
        PackageSource::Git {
            url: "git@example.com:team/crass.git".into(),
            reference: Some(GitReference::Rev("89abcdef".into())),
            commit: Some("89abcdef0123456789abcdef0123456789abcdef".into()),
        }
    );
    let billing = find(lock, "billing", None);
    assert_eq!(billing.source, PackageSource::Path { dir: "engines/billing".into() });
    assert!(billing.first_party && billing.direct);
    assert_eq!(
        find(lock, "loofah", None).source,
        PackageSource::Registry {
            url: "https://gems.example.com/private/".into(),
            sparse: false,
            default_registry: false
        }
    );
    // The base64 form of a SHA-256 (which Bundler accepts) is read as hex.
    let linux = find(lock, "nokogiri", Some("x86_64-linux"));
    assert_eq!(
        linux.checksums,
        [Checksum::Sha256("3b1d1b90d846331bbb2f92074a0a462bd7b4699c27ac4cef116032d15dda2907".into())]
    );
    assert_eq!(linux.lines, Some(LineSpan { start: 41, end: 42 }));
    // Git and path gems are listed in CHECKSUMS without one.
    assert!(find(lock, "activesupport", None).checksums.is_empty());
    // Groups: `rake` is in `group :development, :test`; what it alone reaches is excluded.
    assert_eq!(find(lock, "rake", None).scope, Some(Scope::Excluded));
    assert_eq!(find(lock, "rake", None).groups, ["development", "test"]);
    assert_eq!(find(lock, "loofah", None).scope, Some(Scope::Required));
    // Warnings: the checksum of no spec. `tzinfo-data` is in DEPENDENCIES without a spec, which
    // the Gemfile explains (`platforms: %i[windows jruby]`): no warning for it.
    let warnings: Vec<String> = resolution.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].starts_with("Gemfile.lock:76:") && warnings[0].contains("unknown-gem-1.0.0"), "{warnings:?}");
    // Without the Gemfile, the missing spec is worth a word.
    let bare = lockfile(&std::fs::read_to_string(testdata("sources/Gemfile.lock")).unwrap(), None);
    let resolution = common::conformance::resolve(bare.path());
    let warnings: Vec<String> = resolution.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings[0].starts_with("Gemfile.lock:61:") && warnings[0].contains("tzinfo-data"), "{warnings:?}");
    for spec in ["1.5", "1.6"] {
        let (code, stdout, stderr) = run(&["sbom", testdata("sources").to_str().unwrap(), "--spec-version", spec]);
        assert_eq!(code, 0, "{stderr}");
        let doc: Value = serde_json::from_slice(&stdout).unwrap();
        common::validate_cyclonedx(&doc, spec).unwrap_or_else(|e| panic!("{spec}: {e:#?}"));
    }
}

/// The advisory ids `chainward scan` finds in `dir` against the shared RubyGems.zip.
fn scanned_ids(dir: &Path) -> Option<BTreeSet<String>> {
    let shared = common::shared_dir()?;
    let db = shared.join("advisory-db/osv/RubyGems.zip");
    let (code, stdout, stderr) =
        run(&["scan", "--offline", "--db", db.to_str().unwrap(), "--format", "json", dir.to_str().unwrap()]);
    assert!(code == 0 || code == 1, "{stderr}");
    let doc: Value = serde_json::from_slice(&stdout).unwrap();
    assert_eq!(doc["errors"].as_array().map_or(0, Vec::len), 0, "{doc}");
    Some(doc["findings"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().to_owned()).collect())
}

/// `x_RUBYSEC-` ids, as the oracle printed them.
fn ids(list: &str) -> BTreeSet<String> {
    list.split_whitespace().map(|s| format!("x_RUBYSEC-{s}")).collect()
}

/// The oracle (`ruby tools/oracle_ruby.rb advisories LOCKFILE ../shared/advisory-db/osv/RubyGems.zip`)
/// matched every spec of a rubygems.org GEM section against every record: these are its ids.
const DEVISE: &str = "concurrent-ruby-CVE-2026-54904 concurrent-ruby-CVE-2026-54905 concurrent-ruby-CVE-2026-54906 \
    crass-GHSA-6jxj-px6v-747w crass-GHSA-6wmf-3r64-vcwv crass-GHSA-8vfg-2r28-hvhj crass-GHSA-wwpr-jff3-395c \
    faraday-CVE-2026-33637 json-CVE-2026-54696 loofah-GHSA-5qhf-9phg-95m2 loofah-GHSA-8whx-365g-h9vv \
    loofah-GHSA-9wjq-cp2p-hrgf mail-GHSA-mvxr-6m87-mv2q nokogiri-GHSA-5prr-v3j2-97mh nokogiri-GHSA-5v8h-3h3q-446p \
    nokogiri-GHSA-8678-w3jw-xfc2 nokogiri-GHSA-9cv2-cfxc-v4v2 nokogiri-GHSA-c4rq-3m3g-8wgx nokogiri-GHSA-g9g8-vgvw-g3vf \
    nokogiri-GHSA-p67v-3w7g-wjg7 nokogiri-GHSA-phwj-rprq-35pp nokogiri-GHSA-v2fc-qm4h-8hqv nokogiri-GHSA-wfpw-mmfh-qq69 \
    nokogiri-GHSA-wjv4-x9w8-wm3h oauth2-CVE-2026-54603 rack-CVE-2026-26962 rack-session-CVE-2026-39324 \
    rails-html-sanitizer-GHSA-cj75-f6xr-r4g7 sqlite3-CVE-2026-54619 sqlite3-CVE-2026-54620 sqlite3-GHSA-mwm8-39rw-8826 \
    websocket-driver-CVE-2026-54463 websocket-driver-CVE-2026-54464 websocket-driver-CVE-2026-54465 \
    websocket-driver-CVE-2026-61666";

/// The nokogiri 1.13.3 records (the ruby gem and its x86_64-linux build both match them).
const NOKOGIRI_1_13_3: &str = "nokogiri-CVE-2018-25032 nokogiri-CVE-2022-23437 nokogiri-CVE-2022-24836 \
    nokogiri-CVE-2022-24839 nokogiri-CVE-2022-29181 nokogiri-GHSA-2qc6-mcvw-92cw nokogiri-GHSA-353f-x4gh-cqq8 \
    nokogiri-GHSA-5prr-v3j2-97mh nokogiri-GHSA-5v8h-3h3q-446p nokogiri-GHSA-5w6v-399v-w3cc nokogiri-GHSA-8678-w3jw-xfc2 \
    nokogiri-GHSA-9cv2-cfxc-v4v2 nokogiri-GHSA-c4rq-3m3g-8wgx nokogiri-GHSA-cgx6-hpwq-fhv5 nokogiri-GHSA-g9g8-vgvw-g3vf \
    nokogiri-GHSA-mrxw-mxhj-p664 nokogiri-GHSA-p67v-3w7g-wjg7 nokogiri-GHSA-phwj-rprq-35pp nokogiri-GHSA-pxvg-2qj5-37jq \
    nokogiri-GHSA-r95h-9x8f-r3f7 nokogiri-GHSA-v2fc-qm4h-8hqv nokogiri-GHSA-vvfq-8hwr-qm4m nokogiri-GHSA-wfpw-mmfh-qq69 \
    nokogiri-GHSA-wjv4-x9w8-wm3h nokogiri-GHSA-wx95-c6cv-8532";

const RAILS_7_0_2_2: &str = "actionpack-CVE-2023-22797 concurrent-ruby-CVE-2026-54904 concurrent-ruby-CVE-2026-54905 \
    concurrent-ruby-CVE-2026-54906 crass-GHSA-6jxj-px6v-747w crass-GHSA-6wmf-3r64-vcwv crass-GHSA-8vfg-2r28-hvhj \
    crass-GHSA-wwpr-jff3-395c loofah-CVE-2022-23514 loofah-CVE-2022-23515 loofah-CVE-2022-23516 loofah-GHSA-9wjq-cp2p-hrgf \
    rack-CVE-2025-32441 rack-CVE-2025-59830 rails-html-sanitizer-CVE-2022-23517 rails-html-sanitizer-CVE-2022-23518 \
    rails-html-sanitizer-CVE-2022-23519 rails-html-sanitizer-CVE-2022-23520 rails-html-sanitizer-CVE-2022-32209 \
    rails-html-sanitizer-GHSA-cj75-f6xr-r4g7";

#[test]
fn matching_finds_what_the_oracle_finds() {
    let Some(shared) = common::shared_dir() else { return };
    let corpus = shared.join("corpus/rubygems");
    assert_eq!(scanned_ids(&corpus.join("heartcombo__devise")).unwrap(), ids(DEVISE));
    // rubygems.org's lock is recent: the oracle finds nothing either (and its five avo-hq gems
    // are not rubygems.org's).
    assert_eq!(scanned_ids(&corpus.join("rubygems__rubygems.org")).unwrap(), BTreeSet::new());
    // The fixture: rubygems.org gems only; the git fork of crass and the private loofah are not
    // matched, though crass 1.0.6 and loofah 2.19.0 from rubygems.org would be.
    let fixture = ids(&format!(
        "concurrent-ruby-CVE-2026-54904 concurrent-ruby-CVE-2026-54905 concurrent-ruby-CVE-2026-54906 {NOKOGIRI_1_13_3} \
         rack-CVE-2025-32441 rack-CVE-2025-59830"
    ));
    assert_eq!(scanned_ids(&testdata("sources")).unwrap(), fixture);
    // The conformance fixtures with old versions.
    let conformance = shared.join("conformance/osv-scalibr/rubygems");
    let cases = [
        ("gemfile-rails/rails.lock", format!(
            "{RAILS_7_0_2_2} globalid-CVE-2023-22799 mail-GHSA-mvxr-6m87-mv2q {NOKOGIRI_1_13_3} websocket-driver-CVE-2026-54463 \
             websocket-driver-CVE-2026-54464 websocket-driver-CVE-2026-54465 websocket-driver-CVE-2026-61666"
        )),
        ("gemfile-has-local-gem/has-local-gem.lock", format!("{RAILS_7_0_2_2} {NOKOGIRI_1_13_3}")),
        ("gemfile-has-git-gem/has-git-gem.lock", "concurrent-ruby-CVE-2026-54904 concurrent-ruby-CVE-2026-54905 concurrent-ruby-CVE-2026-54906 rack-CVE-2025-32441 rack-CVE-2025-59830".to_owned()),
        ("gemfile-rubocop/rubocop.lock", "rexml-CVE-2024-35176 rexml-CVE-2024-39908 rexml-CVE-2024-41123 rexml-CVE-2024-41946 rexml-CVE-2024-43398 rexml-CVE-2024-49761".to_owned()),
        ("gemfile-multiple-gems/multiple-gems.lock", String::new()),
    ];
    for (file, want) in cases {
        let dir = lockfile(&std::fs::read_to_string(conformance.join(file)).unwrap(), None);
        assert_eq!(scanned_ids(dir.path()).unwrap(), ids(&want), "{file}");
    }
}

#[test]
fn bad_lockfiles_fail_with_file_and_line() {
    let spec = |body: &str| {
        format!("GEM\n  remote: https://rubygems.org/\n  specs:\n{body}\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  rack\n")
    };
    let cases: Vec<(String, Option<usize>, &str)> = vec![
        (String::new(), None, "empty Gemfile.lock"),
        ("\n  \n".to_owned(), None, "empty Gemfile.lock"),
        ("{\"not\": \"a lockfile\"}\n".to_owned(), None, "not a Gemfile.lock"),
        (
            spec("    rack (2.2.3)\n<<<<<<< HEAD\n    rake (13.0.6)\n=======\n    rake (13.1.0)\n>>>>>>> main"),
            Some(5),
            "merge conflict",
        ),
        (spec("    rack"), Some(4), "has no version"),
        (spec("    rack (two)"), Some(4), "is not a gem version"),
        (spec("    rack (2.2.3"), Some(4), "not a line Bundler reads"),
        (spec("     rack (2.2.3)"), Some(4), "not a line Bundler reads"),
        (spec("        rack (2.2.3)"), Some(4), "not a line Bundler reads"),
        (spec("  rack (2.2.3)"), Some(4), "not a line Bundler reads"),
        (spec("\track (2.2.3)"), Some(4), "not a line Bundler reads"),
        (
            "GEM\n  remote: https://rubygems.org/\n    rack (2.2.3)\n".to_owned(),
            Some(3),
            "before the section's `specs:`",
        ),
        (spec("      rack (>= 1)"), Some(4), "a dependency line before any spec"),
        (
            format!("{}\nCHECKSUMS\n  rack (2.2.3) sha256=nothex\n", spec("    rack (2.2.3)")),
            Some(12),
            "invalid checksum for `rack-2.2.3`",
        ),
    ];
    for (text, line, message) in cases {
        let dir = lockfile(&text, None);
        let resolution = common::conformance::resolve(dir.path());
        assert!(resolution.resolved.is_empty(), "{text:?}");
        let error = resolution.errors.first().unwrap_or_else(|| panic!("no error for {text:?}"));
        assert_eq!((error.path.as_str(), error.line), ("Gemfile.lock", line), "{error} for {text:?}");
        assert!(error.to_string().contains(message), "{error} for {text:?}");
        let (code, _, stderr) = run(&["sbom", dir.path().to_str().unwrap()]);
        assert_eq!(code, 2, "{stderr}");
        let location = line.map_or_else(|| "Gemfile.lock:".to_owned(), |l| format!("Gemfile.lock:{l}:"));
        assert!(stderr.contains(&location), "{stderr}");
    }
}

#[test]
fn a_dependency_on_no_spec_is_an_error_but_bundler_is_not() {
    let text = "GEM\n  remote: https://rubygems.org/\n  specs:\n    rails (4.2.11)\n      bundler (>= 1.3.0, < 2.0)\n      railties (= 4.2.11)\n      sprockets-rails\n    sprockets-rails (3.2.2)\n\nDEPENDENCIES\n  bundler (~> 1.17)\n  rails\n";
    let dir = lockfile(text, None);
    let resolution = common::conformance::resolve(dir.path());
    // The packages are complete (both listed); the missing `railties` is an error (exit 2).
    assert_eq!(resolution.resolved[0].packages.len(), 2);
    assert_eq!(resolution.errors.len(), 1, "{:?}", resolution.errors);
    let error = &resolution.errors[0];
    assert_eq!(error.line, Some(6));
    assert!(matches!(&error.kind, ResolveErrorKind::DanglingDependency { dependency, .. } if dependency == "railties"));
    // `bundler` is never a spec (the running Bundler provides itself): no edge, no error.
    assert!(resolution.warnings.is_empty(), "{:?}", resolution.warnings);
    let (code, _, stderr) = run(&["sbom", dir.path().to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("Gemfile.lock:6") && stderr.contains("railties"), "{stderr}");
}

#[test]
fn what_bundler_ignores_is_a_warning() {
    let text = "GEM\n  remote: https://rubygems.org/\n  specs:\n    rack (2.2.3)\n    rack (2.2.3)\n\nFUTURE SECTION\n  anything (1.0)\n    at all\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  rack\n    odd\n\nCHECKSUMS\n  rack (2.2.3) sha256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855,md5=abc\n  nothing here\n\nBUNDLED WITH\n   5.0.1\n";
    let dir = lockfile(text, None);
    let resolution = common::conformance::resolve(dir.path());
    let lock = only(&resolution);
    // The twice-locked spec is one package (Bundler keys specs by full name, the last wins).
    assert_eq!(lock.packages.len(), 1);
    assert_eq!(lock.packages[0].lines, Some(LineSpan { start: 5, end: 5 }));
    assert_eq!(lock.packages[0].checksums.len(), 1);
    let warnings: Vec<(Option<usize>, String)> =
        resolution.warnings.iter().map(|w| (w.line, w.message.clone())).collect();
    let at = |line: usize, text: &str| warnings.iter().any(|(l, m)| *l == Some(line) && m.contains(text));
    assert!(at(5, "locked twice (also at line 4)"), "{warnings:?}");
    assert!(at(7, "unknown section `FUTURE SECTION`"), "{warnings:?}");
    assert!(at(16, "not a dependency line"), "{warnings:?}");
    assert!(at(19, "md5=abc"), "{warnings:?}");
    assert!(at(20, "not a checksum line"), "{warnings:?}");
    assert!(at(23, "newer than chainward knows"), "{warnings:?}");
    assert_eq!(warnings.len(), 6, "{warnings:?}");
    // CRLF line endings read the same.
    let crlf = lockfile(&text.replace('\n', "\r\n"), None);
    let again = common::conformance::resolve(crlf.path());
    assert_eq!(only(&again).packages, lock.packages);
}

#[test]
fn only_gemfile_lock_and_gems_locked_are_claimed() {
    let r = chainward::resolve::gemfile::GemfileLockResolver;
    assert!(r.claims(Path::new("Gemfile.lock")));
    assert!(r.claims(Path::new("app/gems.locked")));
    assert!(!r.claims(Path::new("Gemfile")));
    assert!(!r.claims(Path::new("Gemfile.lock.bak")));
    assert!(!r.claims(Path::new("gemfile.lock")));
    // gems.locked is read with gems.rb beside it.
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(testdata("sources/Gemfile.lock")).unwrap();
    std::fs::write(dir.path().join("gems.locked"), text).unwrap();
    std::fs::write(dir.path().join("gems.rb"), "group :test do\n  gem \"rack\"\nend\n").unwrap();
    let resolution = common::conformance::resolve(dir.path());
    assert_eq!(resolution.resolved[0].path, "gems.locked");
    assert_eq!(find(&resolution.resolved[0], "rack", None).groups, ["test"]);
}

#[test]
fn plugin_sources_and_old_multi_remote_sections() {
    let text = "PLUGIN SOURCE\n  remote: https://plugins.example.com/\n  type: mine\n  specs:\n    plugged (1.0.0)\n\nGEM\n  remote: https://gems.example.com/\n  remote: https://rubygems.org/\n  specs:\n    rack (2.2.3)\n\nGEM\n  remote: http://rubygems.org\n  specs:\n    rake (13.0.6-java)\n\nDEPENDENCIES\n  plugged!\n  rack\n  rake\n";
    let dir = lockfile(text, None);
    let resolution = common::conformance::resolve(dir.path());
    let lock = only(&resolution);
    assert_eq!(
        find(lock, "plugged", None).source,
        PackageSource::Registry { url: "https://plugins.example.com/".into(), sparse: false, default_registry: false }
    );
    // Bundler < 2.2 wrote every global source as one GEM section: rubygems.org among them.
    assert!(find(lock, "rack", None).source.is_default_registry());
    let rake = find(lock, "rake", Some("java"));
    assert!(rake.source.is_default_registry());
    assert_eq!(rake.purl().unwrap(), "pkg:gem/rake@13.0.6?platform=java");
}

// Mutation robustness: the small deterministic mutator of tests/mutations.rs.

const INTERESTING: &[&[u8]] = &[
    b"GEM\n",
    b"GIT\n",
    b"PATH\n",
    b"  specs:\n",
    b"    x (1.0)\n",
    b"      y (>= 1)\n",
    b"  remote: https://rubygems.org/\n",
    b"CHECKSUMS\n",
    b"  x (1.0) sha256=00\n",
    b"DEPENDENCIES\n",
    b"!",
    b"(",
    b")",
    b"-",
    b" ",
    b"\r\n",
];

/// `input` mutated, with this format's tokens.
fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    common::mutate::mutate(rng, input, INTERESTING)
}

#[test]
fn mutated_lockfiles_never_panic_and_errors_name_the_file() {
    let fixture =
        (std::fs::read(testdata("sources/Gemfile.lock")).unwrap(), std::fs::read(testdata("sources/Gemfile")).unwrap());
    let mut seeds = vec![fixture];
    if let Some(shared) = common::shared_dir() {
        let devise = shared.join("corpus/rubygems/heartcombo__devise");
        seeds.push((
            std::fs::read(devise.join("Gemfile.lock")).unwrap(),
            std::fs::read(devise.join("Gemfile")).unwrap(),
        ));
        for case in ["gemfile-has-git-gem/has-git-gem.lock", "gemfile-has-local-gem/has-local-gem.lock"] {
            let lock = std::fs::read(shared.join("conformance/osv-scalibr/rubygems").join(case)).unwrap();
            seeds.push((lock, b"group :test do\n  gem \"rack\"\nend\n".to_vec()));
        }
    }
    let resolver = chainward::resolve::gemfile::GemfileLockResolver;
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let (mut parsed, mut failed) = (0, 0);
    for round in 0..600 {
        let (lock, gemfile) = &seeds[round % seeds.len()];
        // Mostly the lockfile; sometimes the Gemfile beside it.
        let (lock, gemfile) = if rng.below(5) == 0 {
            (lock.clone(), mutate(&mut rng, gemfile))
        } else {
            (mutate(&mut rng, lock), gemfile.clone())
        };
        let source = chainward::fuzzing::MemorySource::new([
            ("app/Gemfile.lock".to_owned(), lock.clone()),
            ("app/Gemfile".to_owned(), gemfile),
        ]);
        let options = chainward::resolve::ResolveOptions::default();
        let result = std::panic::catch_unwind(|| resolver.resolve(&source, "app/Gemfile.lock", &lock, &options));
        let Ok(result) = result else {
            panic!("round {round}: the resolver panicked on:\n{}", String::from_utf8_lossy(&lock))
        };
        let lines = lock.split(|&b| b == b'\n').count();
        match result {
            Ok(read) => {
                parsed += 1;
                let n = read.packages.len();
                for p in &read.packages {
                    assert!(p.dependencies.iter().all(|&d| d < n), "round {round}");
                    let span = p.lines.unwrap();
                    assert!(1 <= span.start && span.start <= span.end && span.end <= lines, "round {round}: {span:?}");
                    let _ = p.purl();
                }
                assert!(read.errors.iter().all(|e| e.path == "app/Gemfile.lock"), "round {round}");
                assert!(read.warnings.iter().all(|w| w.path == "app/Gemfile.lock"), "round {round}");
            }
            Err(e) => {
                failed += 1;
                assert_eq!(e.path, "app/Gemfile.lock", "round {round}");
                assert!(e.line.is_none_or(|l| l >= 1 && l <= lines), "round {round}: {e}");
            }
        }
    }
    assert!(parsed > 50 && failed > 50, "both paths exercised: {parsed} parsed, {failed} failed");
}

#[test]
fn big_and_hostile_lockfiles_stay_linear() {
    use std::fmt::Write as _;
    // 20,000 gems, each depending on the previous one: read quickly.
    let mut text = String::from("GEM\n  remote: https://rubygems.org/\n  specs:\n");
    for i in 0..20_000 {
        writeln!(text, "    g{i} (1.0.{i})").unwrap();
        if i > 0 {
            writeln!(text, "      g{} (>= 1)", i - 1).unwrap();
        }
    }
    text.push_str("\nDEPENDENCIES\n  g19999\n");
    let started = std::time::Instant::now();
    let lock = chainward::resolve::gemfile::parse(&text, "Gemfile.lock", ".", "root").unwrap();
    assert_eq!(lock.packages.len(), 20_000);
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
    // Thousands of platform variants of one name (each edge to the name would reach all):
    // refused at the first one too many.
    let mut text = String::from("GEM\n  remote: https://rubygems.org/\n  specs:\n");
    for i in 0..300 {
        writeln!(text, "    x (1.0-p{i})").unwrap();
    }
    let error = chainward::resolve::gemfile::parse(&text, "Gemfile.lock", ".", "root").unwrap_err();
    assert_eq!(error.line, Some(260));
    assert!(error.to_string().contains("more than 256 specs of `x`"), "{error}");
    // A one-megabyte line is one bad line.
    let text = format!("GEM\n  remote: https://rubygems.org/\n  specs:\n    {}\n", "a(".repeat(500_000));
    let error = chainward::resolve::gemfile::parse(&text, "Gemfile.lock", ".", "root").unwrap_err();
    assert_eq!(error.line, Some(4));
}

#[test]
fn a_platform_build_depends_on_its_own_platform_and_the_generic_gem() {
    let text = "GEM\n  remote: https://rubygems.org/\n  specs:\n    grpc (1.60.0)\n      google-protobuf\n    grpc (1.60.0-x86_64-linux)\n      google-protobuf\n      racc\n    grpc (1.60.0-arm64-darwin)\n      google-protobuf\n    google-protobuf (3.25.1)\n    google-protobuf (3.25.1-x86_64-linux)\n    google-protobuf (3.25.1-aarch64-linux)\n    racc (1.7.3-java)\n    racc (1.7.3-x64-mingw-ucrt)\n\nPLATFORMS\n  ruby\n  x86_64-linux\n\nDEPENDENCIES\n  grpc\n";
    let lock = chainward::resolve::gemfile::parse(text, "Gemfile.lock", ".", "root").unwrap();
    let id = |name: &str, platform: Option<&str>| {
        lock.packages.iter().position(|p| p.name == name && p.platform.as_deref() == platform).unwrap()
    };
    let protobuf = [None, Some("x86_64-linux"), Some("aarch64-linux")].map(|p| id("google-protobuf", p));
    // The generic gem's dependency: whichever variant each platform picks, so all of them.
    assert_eq!(find(&lock, "grpc", None).dependencies, BTreeSet::from(protobuf));
    // A platform build's: the same platform's build and the generic gem; racc has neither for
    // x86_64-linux, so every variant (never dropped).
    let racc = BTreeSet::from([id("racc", Some("java")), id("racc", Some("x64-mingw-ucrt"))]);
    let mut linux = BTreeSet::from([protobuf[0], protobuf[1]]);
    linux.extend(racc);
    assert_eq!(find(&lock, "grpc", Some("x86_64-linux")).dependencies, linux);
    // No arm64-darwin build of google-protobuf: the generic gem.
    assert_eq!(find(&lock, "grpc", Some("arm64-darwin")).dependencies, BTreeSet::from([protobuf[0]]));
    // The Gemfile's dependency reaches every variant.
    let RootComponent::Synthetic { depends_on, .. } = &lock.root else { panic!("synthetic root") };
    assert_eq!(depends_on.len(), 3);
    assert!(lock.errors.is_empty() && lock.warnings.is_empty(), "{:?} {:?}", lock.errors, lock.warnings);
}

#[test]
fn many_variants_linked_to_many_variants_fail_the_file_quickly() {
    use std::fmt::Write as _;
    // Ten gems locked for 256 platforms each, every spec depending on all ten: each platform
    // build reaches its own platform's builds only (25,600 edges), read quickly.
    let mut text = String::from("GEM\n  remote: https://rubygems.org/\n  specs:\n");
    for k in 0..10 {
        for v in 0..256 {
            writeln!(text, "    g{k} (1.0.0-p{v})").unwrap();
            for d in 0..10 {
                writeln!(text, "      g{d}").unwrap();
            }
        }
    }
    text.push_str("\nDEPENDENCIES\n  g0\n");
    let started = std::time::Instant::now();
    let lock = chainward::resolve::gemfile::parse(&text, "Gemfile.lock", ".", "root").unwrap();
    assert_eq!(lock.packages.len(), 2560);
    assert_eq!(lock.packages.iter().map(|p| p.dependencies.len()).sum::<usize>(), 2560 * 9);
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
    // Generic specs (128 versions of each name, which Bundler never writes) depend on every
    // variant: 10 × 128 × 10 × 256 edges. Refused at the line that crosses the budget.
    let mut text = String::from("GEM\n  remote: https://rubygems.org/\n  specs:\n");
    for k in 0..10 {
        for v in 0..128 {
            writeln!(text, "    g{k} (1.0.{v})").unwrap();
            for d in 0..10 {
                writeln!(text, "      g{d}").unwrap();
            }
        }
        for v in 0..128 {
            writeln!(text, "    g{k} (1.0.0-p{v})").unwrap();
        }
    }
    let started = std::time::Instant::now();
    let error = chainward::resolve::gemfile::parse(&text, "Gemfile.lock", ".", "root").unwrap_err();
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
    assert!(matches!(error.kind, ResolveErrorKind::Format(_)), "{error}");
    // 15,363 lines and the empty one after the last newline: a budget of 64 × 15,364 = 983,296
    // edges, crossed at a dependency line (each reaches the 256 variants of its name).
    assert!(error.to_string().contains("more than 983296 dependency edges"), "{error}");
    let line = error.line.unwrap();
    assert!(text.lines().nth(line - 1).unwrap().starts_with("      g"), "a dependency line: {line}");
}

#[test]
fn a_spec_in_an_unknown_section_fails_the_file() {
    // `GEM ` with a trailing space: Bundler compares headers exactly, so the section is one it
    // does not know and skips; its gems would silently be missing from the scan.
    let text = "GEM \n  remote: https://rubygems.org/\n  specs:\n    rack (2.2.3)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  rack\n";
    let error = chainward::resolve::gemfile::parse(text, "Gemfile.lock", ".", "root").unwrap_err();
    assert_eq!(error.line, Some(4));
    assert!(matches!(error.kind, ResolveErrorKind::Format(_)), "{error}");
    let message = error.to_string();
    assert!(message.contains("spec line `rack (2.2.3)` in unknown section `GEM `"), "{message}");
    assert!(message.contains("trailing spaces"), "{message}");
    let dir = lockfile(text, None);
    let (code, _, stderr) = run(&["sbom", dir.path().to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("Gemfile.lock:4:"), "{stderr}");
    // A padded header over a section without specs is a warning that says why it is unknown.
    let text = "GEM\n  remote: https://rubygems.org/\n  specs:\n    rack (2.2.3)\n\nPLATFORMS \n  ruby\n";
    let lock = chainward::resolve::gemfile::parse(text, "Gemfile.lock", ".", "root").unwrap();
    assert_eq!(lock.packages.len(), 1);
    assert_eq!(lock.warnings.len(), 1, "{:?}", lock.warnings);
    assert_eq!(lock.warnings[0].line, Some(6));
    assert!(lock.warnings[0].message.contains("trailing spaces"), "{:?}", lock.warnings);
    // A spec line before any section: the same error.
    let error = chainward::resolve::gemfile::parse("    rack (2.2.3)\nGEM\n", "Gemfile.lock", ".", "root").unwrap_err();
    assert_eq!(error.line, Some(1));
    assert!(error.to_string().contains("before the first header"), "{error}");
}
