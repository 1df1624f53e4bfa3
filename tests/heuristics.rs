//! The heuristic rules end to end: `chainward scan` against crates.io, npm and PyPI registries
//! served on 127.0.0.1 by the test, each scenario shaped like the incident its rule exists for,
//! next to packages the rules must leave alone.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;
#[path = "support/http_server.rs"]
mod http_server;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;

use http_server::{Reply, Request, Server};
use serde_json::{Value, json};

const CRATES_IO: &str = "registry+https://github.com/rust-lang/crates.io-index";

/// What the fake registries answer: request path → body (404 for anything else).
#[derive(Default, Clone)]
struct Registry {
    routes: BTreeMap<String, Reply>,
}

fn index_path(name: &str) -> String {
    let n = name.to_ascii_lowercase();
    match n.len() {
        1 => format!("1/{n}"),
        2 => format!("2/{n}"),
        3 => format!("3/{}/{n}", &n[..1]),
        _ => format!("{}/{}/{n}", &n[..2], &n[2..4]),
    }
}

fn user(login: &str) -> Value {
    json!({"id": login.len(), "login": login, "name": null, "avatar": null, "url": format!("https://github.com/{login}")})
}

/// One crates.io release: version, publication time, publisher (`None`: trusted publishing
/// from `trustpub`), checksum, yanked.
struct Release<'a> {
    version: &'a str,
    at: &'a str,
    by: Option<&'a str>,
    trustpub: Option<&'a str>,
    cksum: String,
    yanked: bool,
}

fn release<'a>(version: &'a str, at: &'a str, by: &'a str) -> Release<'a> {
    Release { version, at, by: Some(by), trustpub: None, cksum: "0".repeat(64), yanked: false }
}

/// (version, time, where its provenance says it was built: (repository, workflow)) of one npm
/// version published from CI.
type NpmBuild<'a> = (&'a str, &'a str, Option<(&'a str, &'a str)>);

/// (version, time, publisher, maintainers, scripts) of one npm version.
type NpmVersion<'a> = (&'a str, &'a str, &'a str, &'a [&'a str], &'a [(&'a str, &'a str)]);

impl Registry {
    fn crate_(&mut self, name: &str, releases: &[Release<'_>], owners: &[&str]) {
        let index: Vec<String> = releases
            .iter()
            .map(|r| {
                json!({"name": name, "vers": r.version, "deps": [], "cksum": r.cksum, "features": {}, "yanked": r.yanked, "v": 2, "pubtime": r.at})
                    .to_string()
            })
            .collect();
        self.routes.insert(format!("/index/{}", index_path(name)), Reply::json(index.join("\n") + "\n"));
        let versions: Vec<Value> = releases
            .iter()
            .rev()
            .map(|r| {
                let by = r.by.map(user);
                json!({
                    "num": r.version, "crate": name, "created_at": r.at, "updated_at": r.at, "yanked": r.yanked,
                    "checksum": r.cksum, "published_by": by,
                    "audit_actions": by.iter().map(|u| json!({"action": "publish", "time": r.at, "user": u})).collect::<Vec<_>>(),
                    "trustpub_data": r.trustpub.map(|repo| json!({"provider": "github", "repository": repo, "run_id": 1, "sha": "0123abc"})),
                    "repository": format!("https://github.com/example/{name}"),
                })
            })
            .collect();
        self.routes
            .insert(format!("/api/v1/crates/{name}/versions"), Reply::json(json!({"versions": versions}).to_string()));
        let users: Vec<Value> = owners
            .iter()
            .map(|o| {
                let mut u = user(o);
                u["kind"] = json!("user");
                u
            })
            .collect();
        self.routes.insert(format!("/api/v1/crates/{name}/owners"), Reply::json(json!({"users": users}).to_string()));
    }

    /// An npm package: (version, time, publisher, maintainers, install scripts).
    fn npm(&mut self, name: &str, versions: &[NpmVersion<'_>]) {
        let person = |n: &str| json!({"name": n, "email": format!("{n}@example.com")});
        let mut docs = serde_json::Map::new();
        let mut time = serde_json::Map::new();
        for (v, at, by, maintainers, scripts) in versions {
            let scripts: serde_json::Map<String, Value> =
                scripts.iter().map(|(k, c)| ((*k).to_owned(), json!(c))).collect();
            docs.insert(
                (*v).to_owned(),
                json!({
                    "name": name, "version": v, "_npmUser": person(by),
                    "maintainers": maintainers.iter().map(|m| person(m)).collect::<Vec<_>>(),
                    "scripts": scripts,
                    "dist": {"integrity": "sha512-AAAA", "shasum": "0".repeat(40), "tarball": "https://example/x.tgz"},
                }),
            );
            time.insert((*v).to_owned(), json!(at));
        }
        let last = versions.last().unwrap();
        let doc = json!({
            "name": name, "dist-tags": {"latest": last.0}, "versions": docs, "time": time,
            "maintainers": last.3.iter().map(|m| person(m)).collect::<Vec<_>>(),
        });
        let path = format!("/npm/{}", name.replace('/', "%2F"));
        self.routes.insert(path, Reply::json(doc.to_string()));
    }

    /// A PyPI project: (version, upload time, provenance repository when attested).
    fn pypi(&mut self, name: &str, releases: &[(&str, &str, Option<&str>)]) {
        let mut map = serde_json::Map::new();
        for (v, at, repo) in releases {
            let file = format!("{name}-{v}.tar.gz");
            map.insert(
                (*v).to_owned(),
                json!([{"filename": file, "packagetype": "sdist", "digests": {"sha256": "0".repeat(64)},
                        "upload_time_iso_8601": at, "yanked": false, "yanked_reason": null}]),
            );
            let path = format!("/pypi-root/integrity/{name}/{v}/{file}/provenance");
            match repo {
                Some(r) => {
                    let body = json!({"version": 1, "attestation_bundles": [{"publisher": {"kind": "GitHub", "repository": r,
                        "workflow": "publish.yml", "environment": null, "claims": null}, "attestations": []}]});
                    self.routes.insert(path, Reply::json(body.to_string()));
                }
                None => {
                    self.routes.insert(path, Reply::status(404));
                }
            }
        }
        let last = releases.last().unwrap().0;
        let doc = json!({"info": {"name": name, "version": last, "project_urls": {}}, "releases": map, "urls": [],
                         "ownership": {"organization": null, "roles": [{"role": "Owner", "user": "maintainer"}]}});
        self.routes.insert(format!("/pypi-root/pypi/{name}/json"), Reply::json(doc.to_string()));
    }

    /// An npm package published by one account from CI with provenance: (version, time, where
    /// the SLSA statement says it was built: `Some((repository, workflow))`, or `None` for a
    /// version without attestations). `v02` writes the statements in SLSA v0.2's shape.
    fn npm_attested(&mut self, name: &str, versions: &[NpmBuild<'_>], v02: bool) {
        use base64::Engine as _;
        let mut docs = serde_json::Map::new();
        let mut time = serde_json::Map::new();
        for (v, at, built) in versions {
            let mut dist = json!({"integrity": "sha512-AAAA", "shasum": "0".repeat(40)});
            if let Some((repo, workflow)) = built {
                // A hostile packument's URL is never followed: chainward asks its own registry.
                dist["attestations"] = json!({"url": "https://attestations.invalid/x",
                    "provenance": {"predicateType": "https://slsa.dev/provenance/v1"}});
                let predicate = if v02 {
                    json!({"buildType": "https://github.com/npm/cli/gha/v2", "builder": {"id": "https://github.com/actions/runner"},
                           "invocation": {"configSource": {"uri": format!("git+{repo}@refs/tags/v{v}"),
                                                            "digest": {"sha1": "0123abc"}, "entryPoint": workflow}}})
                } else {
                    json!({"buildDefinition": {"buildType": "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1",
                           "externalParameters": {"workflow": {"ref": format!("refs/tags/v{v}"), "repository": repo, "path": workflow}},
                           "resolvedDependencies": []},
                           "runDetails": {"builder": {"id": "https://github.com/actions/runner/github-hosted"}}})
                };
                let statement = json!({"_type": "https://in-toto.io/Statement/v1",
                    "subject": [{"name": format!("pkg:npm/{name}@{v}"), "digest": {"sha512": "00"}}],
                    "predicateType": if v02 { "https://slsa.dev/provenance/v0.2" } else { "https://slsa.dev/provenance/v1" },
                    "predicate": predicate});
                let envelope = |payload: &Value, predicate_type: &str| {
                    json!({"predicateType": predicate_type, "bundle": {
                        "mediaType": "application/vnd.dev.sigstore.bundle+json;version=0.2",
                        "verificationMaterial": {},
                        "dsseEnvelope": {"payload": base64::engine::general_purpose::STANDARD.encode(payload.to_string()),
                                         "payloadType": "application/vnd.in-toto+json", "signatures": []}}})
                };
                let publish = json!({"_type": "https://in-toto.io/Statement/v0.1", "predicateType": "https://github.com/npm/attestation/tree/main/specs/publish/v0.1",
                                     "predicate": {"name": name, "version": v, "registry": "https://registry.npmjs.org"}});
                let doc = json!({"attestations": [
                    envelope(&publish, "https://github.com/npm/attestation/tree/main/specs/publish/v0.1"),
                    envelope(&statement, statement["predicateType"].as_str().unwrap()),
                ]});
                let path = format!("/npm/-/npm/v1/attestations/{}@{v}", name.replace('/', "%2f"));
                self.routes.insert(path, Reply::json(doc.to_string()));
            }
            docs.insert(
                (*v).to_owned(),
                json!({"name": name, "version": v, "_npmUser": {"name": "release-bot", "email": "bot@example.com"},
                       "maintainers": [{"name": "release-bot", "email": "bot@example.com"}], "dist": dist}),
            );
            time.insert((*v).to_owned(), json!(at));
        }
        let doc = json!({"name": name, "versions": docs, "time": time, "maintainers": [{"name": "release-bot"}]});
        self.routes.insert(format!("/npm/{}", name.replace('/', "%2F")), Reply::json(doc.to_string()));
    }

    fn serve(self) -> Server {
        let routes = Arc::new(self.routes);
        Server::start(move |r: &Request| routes.get(&r.path).cloned().unwrap_or_else(|| Reply::status(404)))
    }
}

fn env_for(server: &Server, cmd: &mut Command) {
    cmd.env("CHAINWARD_CRATES_IO_INDEX_URL", format!("{}/index/", server.url))
        .env("CHAINWARD_CRATES_IO_API_URL", format!("{}/api/v1", server.url))
        .env("CHAINWARD_NPM_REGISTRY_URL", format!("{}/npm", server.url))
        .env("CHAINWARD_PYPI_URL", format!("{}/pypi-root", server.url))
        .env_remove("GITHUB_ACTIONS");
}

fn db() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/advisories/diff").display().to_string()
}

fn run(server: &Server, cache: &Path, now: &str, dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_chainward"));
    cmd.args(args).current_dir(dir).env("CHAINWARD_CACHE_DIR", cache).env("CHAINWARD_NOW", now);
    env_for(server, &mut cmd);
    cmd.output().unwrap()
}

fn report(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: stdout {} stderr {}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    })
}

/// (rule/kind, package, version, severity) of every finding.
fn signals(report: &Value, list: &str) -> BTreeSet<(String, String, String, String)> {
    report[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().unwrap().to_owned(),
                f["package"]["name"].as_str().unwrap().to_owned(),
                f["package"]["version"].as_str().unwrap().to_owned(),
                f["severity"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn s(kind: &str, name: &str, version: &str, severity: &str) -> (String, String, String, String) {
    (kind.to_owned(), name.to_owned(), version.to_owned(), severity.to_owned())
}

fn lockfile(dir: &Path, packages: &[(&str, &str, &str)]) {
    let mut out = String::from("version = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n");
    for (name, _, _) in packages {
        let _ = writeln!(out, " \"{name}\",");
    }
    out.push_str("]\n");
    for (name, version, cksum) in packages {
        let _ = write!(
            out,
            "\n[[package]]\nname = \"{name}\"\nversion = \"{version}\"\nsource = \"{CRATES_IO}\"\nchecksum = \"{cksum}\"\n"
        );
    }
    std::fs::write(dir.join("Cargo.lock"), out).unwrap();
}

const NOW: &str = "2025-09-10T12:00:00Z";

/// `chainward scan bom.cdx.json --db <test db> --fail-on none` and `extra`, in `dir`.
fn scan_sbom(server: &Server, cache: &Path, dir: &Path, extra: &[&str]) -> Output {
    let db = db();
    let args = [&["scan", "bom.cdx.json", "--db", db.as_str(), "--fail-on", "none"][..], extra].concat();
    run(server, cache, NOW, dir, &args)
}

/// A directory holding `bom.cdx.json`: a CycloneDX SBOM with one library per purl.
fn sbom_dir(purls: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let components: Vec<Value> = purls
        .iter()
        .enumerate()
        .map(|(i, p)| json!({"type": "library", "bom-ref": format!("c{i}"), "name": p, "purl": p}))
        .collect();
    let bom = json!({"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": components});
    std::fs::write(dir.path().join("bom.cdx.json"), bom.to_string()).unwrap();
    dir
}

/// crates.io: a hijacked release, a lost and a changed provenance, a yanked version, a tampered
/// checksum; and a steady crate and an old one the rules must leave alone.
fn crates_io_world() -> (Server, tempfile::TempDir) {
    let zeros = "0".repeat(64);
    let mut registry = Registry::default();
    registry.crate_(
        "hijacked",
        &[release("1.2.3", "2025-01-01T00:00:00Z", "alice"), release("1.2.4", "2025-09-09T10:00:00Z", "mallory")],
        &["alice", "mallory"],
    );
    registry.crate_(
        "steady",
        &[release("1.0.0", "2024-01-01T00:00:00Z", "alice"), release("2.0.0", "2025-08-01T00:00:00Z", "alice")],
        &["alice"],
    );
    registry.crate_("oldie", &[release("0.1.0", "2019-05-01T00:00:00Z", "carol")], &["carol"]);
    let mut yanked = release("0.3.1", "2020-02-01T00:00:00Z", "dave");
    yanked.yanked = true;
    registry.crate_("yankee", &[release("0.3.0", "2020-01-01T00:00:00Z", "dave"), yanked], &["dave"]);
    let mut tampered = release("1.0.0", "2021-01-01T00:00:00Z", "erin");
    tampered.cksum = "a".repeat(64);
    registry.crate_("tampered", &[tampered], &["erin"]);
    let trusted = |v: &'static str, at: &'static str, repo: &'static str| Release {
        version: v,
        at,
        by: None,
        trustpub: Some(repo),
        cksum: "0".repeat(64),
        yanked: false,
    };
    registry.crate_(
        "lostprov",
        &[
            release("2.9.0", "2025-05-01T00:00:00Z", "frank"),
            trusted("3.0.0", "2025-06-01T00:00:00Z", "example/lostprov"),
            release("3.1.0", "2025-08-20T00:00:00Z", "frank"),
        ],
        &["frank"],
    );
    registry.crate_(
        "movedprov",
        &[
            trusted("1.0.0", "2025-05-01T00:00:00Z", "example/movedprov"),
            trusted("1.1.0", "2025-08-25T00:00:00Z", "evil/movedprov"),
        ],
        &["grace"],
    );
    let server = registry.serve();
    let dir = tempfile::tempdir().unwrap();
    lockfile(
        dir.path(),
        &[
            ("hijacked", "1.2.4", &zeros),
            ("lostprov", "3.1.0", &zeros),
            ("movedprov", "1.1.0", &zeros),
            ("oldie", "0.1.0", &zeros),
            ("steady", "2.0.0", &zeros),
            ("tampered", "1.0.0", &"b".repeat(64)),
            ("yankee", "0.3.1", &zeros),
        ],
    );
    (server, dir)
}

#[test]
fn crates_io_rules_fire_on_the_incident_patterns_and_stay_silent_otherwise() {
    let (server, dir) = crates_io_world();
    let cache = tempfile::tempdir().unwrap();
    let args = ["scan", ".", "--db", &db(), "--format", "json", "--fail-on", "high"];
    let out = run(&server, cache.path(), NOW, dir.path(), &args);
    let cold = report(&out);
    let expected = BTreeSet::from([
        s("maintainer-change", "hijacked", "1.2.4", "high"),
        s("fresh-release", "hijacked", "1.2.4", "low"),
        s("provenance-lost", "lostprov", "3.1.0", "high"),
        s("provenance-changed", "movedprov", "1.1.0", "high"),
        s("maintainer-change", "movedprov", "1.1.0", "medium"),
        s("checksum-mismatch", "tampered", "1.0.0", "high"),
        s("yanked", "yankee", "0.3.1", "info"),
    ]);
    assert_eq!(signals(&cold, "findings"), expected, "{cold:#}");
    assert_eq!(out.status.code(), Some(1), "high findings fail --fail-on high");
    let hijacked = cold["findings"].as_array().unwrap().iter().find(|f| f["id"] == "maintainer-change").unwrap();
    assert_eq!(
        hijacked["summary"],
        "hijacked@1.2.4 was published by @mallory, who published none of its 1 earlier version(s)"
    );
    assert_eq!(hijacked["url"], "https://crates.io/crates/hijacked/1.2.4");
    assert_eq!(hijacked["location"]["path"], "Cargo.lock");
    assert!(hijacked["location"]["line"].as_u64().unwrap() > 1);

    // The window: no API request for releases older than 90 days.
    let api: Vec<String> = server.requests_to("/api/v1").iter().map(|r| r.path.clone()).collect();
    for old in ["oldie", "yankee", "tampered"] {
        assert!(!api.iter().any(|p| p.contains(&format!("/{old}/"))), "{old} is old: {api:?}");
    }
    for recent in ["hijacked", "steady", "lostprov", "movedprov"] {
        assert!(api.iter().any(|p| p == &format!("/api/v1/crates/{recent}/versions")), "{recent}: {api:?}");
    }
    let api_times: Vec<_> = server.requests_to("/api/v1").iter().map(|r| r.at).collect();
    for pair in api_times.windows(2) {
        assert!(
            pair[1].duration_since(pair[0]) >= std::time::Duration::from_millis(950),
            "1 request/second to the API"
        );
    }
    let sent = server.requests().len();
    assert_eq!(cold["warnings"], json!([]), "every version in use is listed");

    // Warm: everything from the cache, no request, the same findings.
    let warm = report(&run(&server, cache.path(), NOW, dir.path(), &args));
    assert_eq!(server.requests().len(), sent, "a warm scan sends no request");
    assert_eq!(signals(&warm, "findings"), expected);

    // Offline a day later (the cache is stale): still no request, same findings.
    let offline_args = [&args[..], &["--offline"]].concat();
    let offline = report(&run(&server, cache.path(), "2025-09-11T12:00:00Z", dir.path(), &offline_args));
    assert_eq!(server.requests().len(), sent, "--offline never touches the network");
    assert!(signals(&offline, "findings").contains(&s("maintainer-change", "hijacked", "1.2.4", "high")));

    // --no-registry: no lookups, no registry findings.
    let none = report(&run(&server, cache.path(), NOW, dir.path(), &[&args[..], &["--no-registry"]].concat()));
    assert_eq!(signals(&none, "findings"), BTreeSet::new());
    assert_eq!(server.requests().len(), sent);

    // Severity overrides, switches and ignores from chainward.toml; --deny yanked.
    std::fs::write(
        dir.path().join("chainward.toml"),
        "[heuristics]\ncooldown-days = 0\n\n[heuristics.rules]\nprovenance-changed = false\nchecksum-mismatch = \"critical\"\n\n\
         [[ignore]]\nid = \"maintainer-change\"\npackage = \"movedprov\"\nreason = \"we moved the release workflow\"\n",
    )
    .unwrap();
    let out = run(
        &server,
        cache.path(),
        NOW,
        dir.path(),
        &["scan", ".", "--db", &db(), "--format", "json", "--fail-on", "critical", "--deny", "yanked"],
    );
    let configured = report(&out);
    assert_eq!(
        signals(&configured, "findings"),
        BTreeSet::from([
            // No cooldown: the release no longer counts as fresh, so the change is medium.
            s("maintainer-change", "hijacked", "1.2.4", "medium"),
            s("provenance-lost", "lostprov", "3.1.0", "high"),
            s("checksum-mismatch", "tampered", "1.0.0", "critical"),
            s("yanked", "yankee", "0.3.1", "info"),
        ]),
        "{configured:#}"
    );
    assert_eq!(
        signals(&configured, "suppressed"),
        BTreeSet::from([s("maintainer-change", "movedprov", "1.1.0", "medium")])
    );
    assert_eq!(out.status.code(), Some(1));
    std::fs::remove_file(dir.path().join("chainward.toml")).unwrap();

    // SARIF: one rule per heuristic with its help, valid against the 2.1.0 schema.
    let sarif_out = run(
        &server,
        cache.path(),
        NOW,
        dir.path(),
        &["scan", ".", "--db", &db(), "--format", "sarif", "--fail-on", "none"],
    );
    let sarif: Value = serde_json::from_slice(&sarif_out.stdout).unwrap();
    if common::shared_dir().is_some() {
        common::validate_sarif(&sarif).unwrap();
    }
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    let rule = rules.iter().find(|r| r["id"] == "maintainer-change").unwrap();
    assert_eq!(rule["shortDescription"]["text"], "Published by an account that never published this package before");
    assert!(rule["help"]["text"].as_str().unwrap().contains("maintainer-change = false"));
    assert!(rule["help"]["markdown"].as_str().unwrap().contains("hijacked"));
    let result =
        sarif["runs"][0]["results"].as_array().unwrap().iter().find(|r| r["ruleId"] == "fresh-release").unwrap();
    assert!(
        result["message"]["text"].as_str().unwrap().starts_with("hijacked@1.2.4 was published 1 day ago"),
        "{result}"
    );

    // Markdown and the table carry them too.
    let md = run(
        &server,
        cache.path(),
        NOW,
        dir.path(),
        &["scan", ".", "--db", &db(), "--format", "markdown", "--fail-on", "none"],
    );
    let md = String::from_utf8(md.stdout).unwrap();
    assert!(md.contains("maintainer-change") && md.contains("provenance-lost"), "{md}");
    let table = run(&server, cache.path(), NOW, dir.path(), &["scan", ".", "--db", &db(), "--fail-on", "none"]);
    let table = String::from_utf8(table.stdout).unwrap();
    assert!(table.contains("checksum-mismatch") && table.contains("review the release before use"), "{table}");
}

#[test]
fn npm_and_pypi_rules_from_an_sbom() {
    let mut registry = Registry::default();
    // The September 2025 pattern: a phished maintainer account publishes a new patch release.
    registry.npm(
        "debug",
        &[
            ("4.4.0", "2024-12-06T00:00:00.000Z", "qix", &["qix"], &[]),
            ("4.4.1", "2025-05-13T00:00:00.000Z", "qix", &["qix"], &[]),
            ("4.4.2", "2025-09-08T13:00:00.000Z", "npmattacker", &["npmattacker"], &[]),
        ],
    );
    // Shai-Hulud: a release that adds a postinstall script.
    registry.npm(
        "@ctrl/tinycolor",
        &[
            ("4.1.0", "2024-04-01T00:00:00.000Z", "scttcper", &["scttcper"], &[("test", "jest")]),
            (
                "4.1.1",
                "2025-08-01T00:00:00.000Z",
                "scttcper",
                &["scttcper"],
                &[("postinstall", "node bundle.js"), ("test", "jest")],
            ),
        ],
    );
    // A hostile registry: the new publisher's name carries terminal escapes, a bidi override
    // and markup.
    registry.npm(
        "hostile",
        &[
            ("1.0.0", "2024-01-01T00:00:00.000Z", "alice", &["alice"], &[]),
            (
                "1.0.1",
                "2025-09-01T00:00:00.000Z",
                "ev\u{1b}[2Jil\u{202e}<img src=x onerror=alert(1)>**x**",
                &["alice"],
                &[],
            ),
        ],
    );
    // A quiet package: same publisher, same maintainers, no scripts.
    registry.npm(
        "left-pad",
        &[
            ("1.2.0", "2017-01-01T00:00:00.000Z", "stevemao", &["stevemao"], &[]),
            ("1.3.0", "2018-04-09T00:00:00.000Z", "stevemao", &["stevemao"], &[]),
        ],
    );
    // Ultralytics, December 2024: releases built by the project's CI carried attestations;
    // 8.3.45 and 8.3.46 were uploaded with a stolen token, without.
    registry.pypi(
        "ultralytics",
        &[
            ("8.3.44", "2025-08-01T00:00:00Z", Some("ultralytics/ultralytics")),
            ("8.3.45", "2025-08-04T20:51:00Z", None),
        ],
    );
    registry.pypi(
        "attested",
        &[("1.0", "2025-07-01T00:00:00Z", Some("o/attested")), ("1.1", "2025-08-01T00:00:00Z", Some("o/attested"))],
    );
    let server = registry.serve();
    let dir = sbom_dir(&[
        "pkg:npm/debug@4.4.2",
        "pkg:npm/%40ctrl/tinycolor@4.1.1",
        "pkg:npm/left-pad@1.3.0",
        "pkg:npm/hostile@1.0.1",
        "pkg:pypi/ultralytics@8.3.45",
        "pkg:pypi/attested@1.1",
    ]);
    let cache = tempfile::tempdir().unwrap();
    let out = scan_sbom(&server, cache.path(), dir.path(), &["--format", "json"]);
    let report = report(&out);
    let found: BTreeSet<_> = signals(&report, "findings")
        .into_iter()
        .filter(|(kind, ..)| kind != "malicious") // chainward's own advisories know debug 4.4.2
        .collect();
    assert_eq!(
        found,
        BTreeSet::from([
            s("maintainer-change", "debug", "4.4.2", "high"),
            s("ownership-change", "debug", "4.4.2", "high"),
            s("fresh-release", "debug", "4.4.2", "low"),
            s("install-script-added", "@ctrl/tinycolor", "4.1.1", "high"),
            s("provenance-lost", "ultralytics", "8.3.45", "high"),
            s("maintainer-change", "hostile", "1.0.1", "medium"),
        ]),
        "{report:#}"
    );
    // `--fail-on none`, but the test database has no npm or PyPI records: those packages were
    // not checked against any advisory, which the run says (exit 2) whatever the policy.
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let errors = report["errors"].to_string();
    assert!(errors.contains("npm package(s) were not checked") && errors.contains("PyPI package(s) were not checked"));
    let debug = report["findings"].as_array().unwrap().iter().find(|f| f["id"] == "ownership-change").unwrap();
    assert!(debug["summary"].as_str().unwrap().contains("added npm:npmattacker; removed npm:qix"), "{debug}");
    let script = report["findings"].as_array().unwrap().iter().find(|f| f["id"] == "install-script-added").unwrap();
    assert_eq!(script["url"], "https://www.npmjs.com/package/@ctrl/tinycolor/v/4.1.1");

    // Nothing the registry wrote reaches a report raw.
    let hostile = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "maintainer-change" && f["package"]["name"] == "hostile")
        .unwrap();
    let summary = hostile["summary"].as_str().unwrap();
    assert!(!summary.contains('\u{1b}') && !summary.contains('\u{202e}'), "{summary:?}");
    for format in ["table", "markdown", "sarif"] {
        let out = scan_sbom(&server, cache.path(), dir.path(), &["--format", format]);
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("hostile"), "{format}: {text}");
        assert!(!text.contains('\u{1b}') && !text.contains('\u{202e}'), "{format}: control characters in {text:?}");
        if format == "markdown" {
            assert!(!text.contains("<img"), "markdown: raw HTML in {text}");
        }
    }
}

/// npm provenance comes from the attestations endpoint: a release built from a fork (the
/// repository changed) is high, from another workflow medium, from the same place silent. Only
/// attested versions in use after an attested release are asked about, with the release before.
#[test]
fn npm_provenance_changed_from_the_attestations() {
    let mut registry = Registry::default();
    let home = ("https://github.com/acme/widget", ".github/workflows/release.yml");
    registry.npm_attested(
        "@acme/widget",
        &[
            ("1.0.0", "2025-06-01T00:00:00.000Z", Some(home)),
            ("1.1.0", "2025-08-01T00:00:00.000Z", Some(("git+https://github.com/attacker/widget.git", home.1))),
        ],
        false,
    );
    registry.npm_attested(
        "reworked",
        &[
            (
                "2.0.0",
                "2025-06-01T00:00:00.000Z",
                Some(("https://github.com/o/reworked", ".github/workflows/release.yml")),
            ),
            ("2.1.0", "2025-08-01T00:00:00.000Z", Some(("https://github.com/o/reworked", ".github/workflows/pr.yml"))),
        ],
        true,
    );
    registry.npm_attested(
        "steady",
        &[
            (
                "3.0.0",
                "2025-06-01T00:00:00.000Z",
                Some(("https://github.com/o/steady", ".github/workflows/release.yml")),
            ),
            (
                "3.1.0",
                "2025-08-01T00:00:00.000Z",
                Some(("https://github.com/O/steady", ".github/workflows/release.yml")),
            ),
        ],
        false,
    );
    // Attested for the first time: nothing to compare, nothing to ask.
    registry.npm_attested(
        "newly-attested",
        &[
            ("0.9.0", "2025-06-01T00:00:00.000Z", None),
            ("1.0.0", "2025-08-01T00:00:00.000Z", Some(("https://github.com/o/n", ".github/workflows/release.yml"))),
        ],
        false,
    );
    let server = registry.serve();
    let dir = sbom_dir(&[
        "pkg:npm/%40acme/widget@1.1.0",
        "pkg:npm/reworked@2.1.0",
        "pkg:npm/steady@3.1.0",
        "pkg:npm/newly-attested@1.0.0",
    ]);
    let cache = tempfile::tempdir().unwrap();
    let online = report(&scan_sbom(&server, cache.path(), dir.path(), &["--format", "json"]));
    let found: BTreeSet<_> =
        signals(&online, "findings").into_iter().filter(|(kind, ..)| kind.starts_with("provenance")).collect();
    assert_eq!(
        found,
        BTreeSet::from([
            s("provenance-changed", "@acme/widget", "1.1.0", "high"),
            s("provenance-changed", "reworked", "2.1.0", "medium"),
        ]),
        "{online:#}"
    );
    assert_eq!(online["warnings"], json!([]), "{online:#}");
    let widget =
        online["findings"].as_array().unwrap().iter().find(|f| f["package"]["name"] == "@acme/widget").unwrap();
    let summary = widget["summary"].as_str().unwrap();
    assert!(
        summary.contains("https://github.com/attacker/widget") && summary.contains("https://github.com/acme/widget")
    );
    let asked: BTreeSet<String> =
        server.requests_to("/npm/-/npm/v1/attestations/").iter().map(|r| r.path.clone()).collect();
    let expected: BTreeSet<String> = [
        "@acme%2fwidget@1.0.0",
        "@acme%2fwidget@1.1.0",
        "reworked@2.0.0",
        "reworked@2.1.0",
        "steady@3.0.0",
        "steady@3.1.0",
    ]
    .iter()
    .map(|p| format!("/npm/-/npm/v1/attestations/{p}"))
    .collect();
    assert_eq!(asked, expected);

    // The answers are cached: an offline rerun finds the same.
    let offline = scan_sbom(&server, cache.path(), dir.path(), &["--format", "json", "--offline"]);
    assert_eq!(signals(&report(&offline), "findings"), signals(&online, "findings"));
}

/// An attestations endpoint that fails costs the provenance of that package only, in one
/// warning that says so; the packument's rules still run.
#[test]
fn a_failing_attestations_endpoint_is_a_provenance_warning() {
    let mut registry = Registry::default();
    let built = Some(("https://github.com/o/flaky", ".github/workflows/release.yml"));
    registry.npm_attested(
        "flaky",
        &[("1.0.0", "2025-06-01T00:00:00.000Z", built), ("1.1.0", "2025-09-09T00:00:00.000Z", built)],
        false,
    );
    registry.routes.insert("/npm/-/npm/v1/attestations/flaky@1.1.0".into(), Reply::status(500));
    let server = registry.serve();
    let dir = sbom_dir(&["pkg:npm/flaky@1.1.0"]);
    let cache = tempfile::tempdir().unwrap();
    let out = scan_sbom(&server, cache.path(), dir.path(), &["--format", "json"]);
    let report = report(&out);
    assert_eq!(
        signals(&report, "findings"),
        BTreeSet::from([s("fresh-release", "flaky", "1.1.0", "low")]),
        "{report:#}"
    );
    let warnings = report["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let warning = warnings[0].as_str().unwrap();
    assert!(warning.starts_with("npm attestations: "), "{warning}");
    assert!(
        warning.ends_with("no provenance for 1 package(s) (flaky), so the provenance rules did not judge them"),
        "{warning}"
    );
}

#[test]
fn diff_mode_asks_only_about_what_the_change_adds_or_updates() {
    let (server, dir) = crates_io_world();
    let repo = git2::Repository::init(dir.path()).unwrap();
    let commit = |message: &str| {
        let mut index = repo.index().unwrap();
        index.add_all(["*"], git2::IndexAddOption::DEFAULT, None).unwrap();
        index.write().unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let sig = git2::Signature::now("t", "t@example.com").unwrap();
        let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
        let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
        repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents).unwrap().to_string()
    };
    // Base: everything but hijacked 1.2.4 (it had 1.2.3). Head: the world's lockfile.
    let head_lock = std::fs::read_to_string(dir.path().join("Cargo.lock")).unwrap();
    std::fs::write(dir.path().join("Cargo.lock"), head_lock.replace("1.2.4", "1.2.3")).unwrap();
    let base = commit("base");
    std::fs::write(dir.path().join("Cargo.lock"), &head_lock).unwrap();
    commit("bump hijacked");
    let cache = tempfile::tempdir().unwrap();
    let report = report(&run(
        &server,
        cache.path(),
        NOW,
        dir.path(),
        &["scan", ".", "--base", &base, "--db", &db(), "--format", "json", "--fail-on", "none"],
    ));
    assert_eq!(
        signals(&report, "findings"),
        BTreeSet::from([
            s("maintainer-change", "hijacked", "1.2.4", "high"),
            s("fresh-release", "hijacked", "1.2.4", "low")
        ]),
        "{report:#}"
    );
    let asked: BTreeSet<String> = server.requests().iter().map(|r| r.path.clone()).collect();
    assert!(asked.iter().all(|p| p.contains("hijacked")), "only the updated package is looked up: {asked:?}");
}

#[test]
fn a_version_its_registry_no_longer_lists_is_a_warning() {
    let mut registry = Registry::default();
    registry.crate_("kept", &[release("1.0.0", "2020-01-01T00:00:00Z", "alice")], &["alice"]);
    let server = registry.serve();
    let dir = tempfile::tempdir().unwrap();
    let zeros = "0".repeat(64);
    // `deleted` is gone from the registry (404); `kept` 1.0.1 was never listed.
    lockfile(dir.path(), &[("deleted", "0.4.2", &zeros), ("kept", "1.0.1", &zeros)]);
    let cache = tempfile::tempdir().unwrap();
    let out = run(&server, cache.path(), NOW, dir.path(), &["scan", ".", "--db", &db(), "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let report = report(&out);
    assert_eq!(
        report["warnings"],
        json!([
            "crates.io does not list 2 version(s) in use: deleted 0.4.2, kept 1.0.1 (deleted or never published there; registries delete malicious releases)"
        ])
    );
}

#[test]
fn a_registry_that_is_down_is_one_warning_and_the_scan_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    lockfile(dir.path(), &[("serde", "1.0.0", &"0".repeat(64)), ("log", "0.4.0", &"0".repeat(64))]);
    let cache = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_chainward"));
    cmd.args(["scan", ".", "--db", &db(), "--format", "json", "--fail-on", "low"])
        .current_dir(dir.path())
        .env("CHAINWARD_CACHE_DIR", cache.path())
        .env_remove("GITHUB_ACTIONS");
    common::dead_registries(&mut cmd);
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let report = report(&out);
    let warnings: Vec<&str> = report["warnings"].as_array().unwrap().iter().map(|w| w.as_str().unwrap()).collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].starts_with("crates.io: "), "{}", warnings[0]);
    assert!(
        warnings[0].contains("no metadata for 2 package(s) (log, serde), so the registry rules"),
        "{}",
        warnings[0]
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("warning: crates.io: "), "{stderr}");
}

/// The npm rules on a package-lock.json, not an SBOM: the lockfile's `integrity` is compared
/// with the registry's (`checksum-mismatch`, in hex whatever the encoding), and its
/// `hasInstallScript` is believed when it says the version runs none.
#[test]
fn npm_rules_from_a_package_lock() {
    let mut registry = Registry::default();
    registry.npm(
        "debug",
        &[
            ("4.4.1", "2025-05-13T00:00:00.000Z", "qix", &["qix"], &[]),
            ("4.4.2", "2025-09-08T13:00:00.000Z", "npmattacker", &["npmattacker"], &[]),
        ],
    );
    registry.npm(
        "@ctrl/tinycolor",
        &[
            ("4.1.0", "2024-04-01T00:00:00.000Z", "scttcper", &["scttcper"], &[]),
            ("4.1.1", "2025-08-01T00:00:00.000Z", "scttcper", &["scttcper"], &[("postinstall", "node bundle.js")]),
        ],
    );
    registry.npm("left-pad", &[("1.3.0", "2018-04-09T00:00:00.000Z", "stevemao", &["stevemao"], &[])]);
    let server = registry.serve();
    // The registry's shasum is forty zeros: left-pad's lockfile SHA-1 (base64 of twenty 0x11
    // bytes) is not it; debug's (twenty zero bytes) is.
    let sha1 = |byte: u8| format!("sha1-{}", base64_of(&[byte; 20]));
    let lock = json!({
        "name": "app", "version": "1.0.0", "lockfileVersion": 3, "requires": true,
        "packages": {
            "": {"name": "app", "version": "1.0.0",
                 "dependencies": {"debug": "4.4.2", "@ctrl/tinycolor": "4.1.1", "left-pad": "1.3.0"}},
            "node_modules/debug": {"version": "4.4.2", "integrity": sha1(0)},
            "node_modules/@ctrl/tinycolor": {"version": "4.1.1", "hasInstallScript": true},
            "node_modules/left-pad": {"version": "1.3.0", "integrity": sha1(0x11)},
        }
    });
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("package-lock.json"), serde_json::to_string_pretty(&lock).unwrap()).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let db = db();
    let out = run(
        &server,
        cache.path(),
        NOW,
        dir.path(),
        &["scan", ".", "--db", db.as_str(), "--fail-on", "none", "--format", "json"],
    );
    let first = report(&out);
    let found: BTreeSet<_> = signals(&first, "findings").into_iter().filter(|(kind, ..)| kind != "malicious").collect();
    for want in [
        s("maintainer-change", "debug", "4.4.2", "high"),
        s("install-script-added", "@ctrl/tinycolor", "4.1.1", "high"),
        s("checksum-mismatch", "left-pad", "1.3.0", "high"),
    ] {
        assert!(found.contains(&want), "{want:?} not in {found:#?}");
    }
    assert!(!found.iter().any(|(kind, name, ..)| kind == "checksum-mismatch" && name == "debug"), "{found:#?}");
    let mismatch = first["findings"].as_array().unwrap().iter().find(|f| f["id"] == "checksum-mismatch").unwrap();
    assert_eq!(mismatch["location"]["path"], "package-lock.json");
    assert_eq!(mismatch["location"]["line"], 24, "the entry's line: {mismatch:#}");

    // The same tinycolor release that the lockfile says runs no install script: believed.
    let mut lock = lock;
    lock["packages"]["node_modules/@ctrl/tinycolor"] = json!({"version": "4.1.1"});
    std::fs::write(dir.path().join("package-lock.json"), serde_json::to_string_pretty(&lock).unwrap()).unwrap();
    let out = run(
        &server,
        cache.path(),
        NOW,
        dir.path(),
        &["scan", ".", "--db", db.as_str(), "--fail-on", "none", "--format", "json"],
    );
    let found = signals(&report(&out), "findings");
    assert!(!found.iter().any(|(kind, ..)| kind == "install-script-added"), "{found:#?}");
}

fn base64_of(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// PyPI's rules from the Python lockfiles themselves (not only an SBOM): a uv.lock whose
/// ultralytics release lost its provenance, and a pip-compile requirements file whose `--hash`
/// is not one PyPI publishes for that release.
#[test]
fn pypi_rules_from_a_uv_lock_and_a_requirements_file() {
    let mut registry = Registry::default();
    registry.pypi(
        "ultralytics",
        &[
            ("8.3.44", "2025-08-01T00:00:00Z", Some("ultralytics/ultralytics")),
            ("8.3.45", "2025-08-04T20:51:00Z", None),
        ],
    );
    registry.pypi("six", &[("1.16.0", "2021-05-05T00:00:00Z", None)]);
    let server = registry.serve();
    let dir = tempfile::tempdir().unwrap();
    // The registry publishes sha256 000…0 for every file.
    let zeros = "0".repeat(64);
    let uv = format!(
        "version = 1\nrevision = 3\nrequires-python = \">=3.9\"\n\n\
         [[package]]\nname = \"app\"\nversion = \"0.1.0\"\nsource = {{ virtual = \".\" }}\n\
         dependencies = [{{ name = \"ultralytics\" }}]\n\n\
         [[package]]\nname = \"ultralytics\"\nversion = \"8.3.45\"\n\
         source = {{ registry = \"https://pypi.org/simple\" }}\n\
         sdist = {{ url = \"https://files.pythonhosted.org/u.tar.gz\", hash = \"sha256:{zeros}\", size = 1 }}\n"
    );
    std::fs::create_dir(dir.path().join("svc")).unwrap();
    std::fs::write(dir.path().join("svc/uv.lock"), uv).unwrap();
    std::fs::write(
        dir.path().join("requirements.txt"),
        format!("six==1.16.0 \\\n    --hash=sha256:{}\n", "1".repeat(64)),
    )
    .unwrap();
    let cache = tempfile::tempdir().unwrap();
    let db = db();
    let out = run(
        &server,
        cache.path(),
        NOW,
        dir.path(),
        &["scan", ".", "--db", db.as_str(), "--fail-on", "none", "--format", "json"],
    );
    let report = report(&out);
    let found = signals(&report, "findings");
    for want in [s("provenance-lost", "ultralytics", "8.3.45", "high"), s("checksum-mismatch", "six", "1.16.0", "high")]
    {
        assert!(found.contains(&want), "{want:?} not in {found:#?}");
    }
    assert!(!found.iter().any(|(kind, name, ..)| kind == "checksum-mismatch" && name == "ultralytics"), "{found:#?}");
    let mismatch = report["findings"].as_array().unwrap().iter().find(|f| f["id"] == "checksum-mismatch").unwrap();
    assert_eq!(mismatch["location"]["path"], "requirements.txt");
    assert_eq!(mismatch["location"]["line"], 1);
}
