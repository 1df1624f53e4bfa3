//! `chainward db update|status|path` and `scan` without `--db`, against a local git repository
//! (`file://`) and HTTP servers on 127.0.0.1 started here: clone, fast-forward, `ETag`
//! revalidation, an interrupted download (the old database stays usable), two concurrent
//! updates, staleness with an injected clock, servers that never answer or stall (the update
//! gives up by itself and the previous copy stays), and updates killed midway (the live clone
//! is never modified in place; the next update cleans up). No other network.

// Test helpers fail loudly on unexpected input: that is how a test reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chainward::advisory::local::{LocalDb, Timeouts, UpdateConfig, UpdateOutcome};
use chainward::model::Ecosystem;

fn advisory(id: &str, package: &str, patched: &str) -> String {
    format!(
        "```toml\n[advisory]\nid = \"{id}\"\npackage = \"{package}\"\ndate = \"2099-01-01\"\n\n[versions]\npatched = [\"{patched}\"]\n```\n\n# Test advisory {id}\n\nDetails.\n"
    )
}

fn commit_all(repo: &git2::Repository, message: &str) {
    let mut index = repo.index().unwrap();
    index.add_all(["*"], git2::IndexAddOption::DEFAULT, None).unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = git2::Signature::now("test", "test@example.com").unwrap();
    let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
    let parents: Vec<&git2::Commit> = parent.iter().collect();
    repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents).unwrap();
}

fn osv_zip(id: &str, package: &str, fixed: &str) -> Vec<u8> {
    osv_zip_of("crates.io", id, package, fixed)
}

fn osv_zip_of(ecosystem: &str, id: &str, package: &str, fixed: &str) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut buf);
    zip.start_file(format!("{id}.json"), zip::write::SimpleFileOptions::default()).unwrap();
    let record = format!(
        r#"{{"id": "{id}", "summary": "OSV test advisory", "affected": [{{"package": {{"ecosystem": "{ecosystem}", "name": "{package}"}},
        "ranges": [{{"type": "SEMVER", "events": [{{"introduced": "0"}}, {{"fixed": "{fixed}"}}]}}]}}]}}"#
    );
    zip.write_all(record.as_bytes()).unwrap();
    zip.finish().unwrap();
    buf.into_inner()
}

#[derive(Default)]
struct Served {
    zip: Vec<u8>,
    /// `/npm/all.zip`, when served.
    npm_zip: Option<Vec<u8>>,
    npm_requests: usize,
    etag: String,
    truncate: bool,
    requests: usize,
    not_modified: usize,
}

/// A one-thread HTTP/1.1 server for `/<ecosystem>/all.zip`, with `ETag` revalidation and an
/// optional truncated response (Content-Length promises more than is sent).
fn serve(state: Arc<Mutex<Served>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut if_none_match = None;
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some((k, v)) = line.split_once(':')
                    && k.eq_ignore_ascii_case("if-none-match")
                {
                    if_none_match = Some(v.trim().to_owned());
                }
            }
            let mut s = state.lock().unwrap();
            s.requests += 1;
            if request_line.starts_with("GET /npm/all.zip ")
                && let Some(zip) = s.npm_zip.clone()
            {
                s.npm_requests += 1;
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/zip\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    zip.len()
                );
                let _ = stream.write_all(&zip);
                continue;
            }
            if !request_line.starts_with("GET /crates.io/all.zip ") {
                let _ = stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                continue;
            }
            if if_none_match.as_deref() == Some(s.etag.as_str()) {
                s.not_modified += 1;
                let _ = write!(stream, "HTTP/1.1 304 Not Modified\r\nETag: {}\r\nConnection: close\r\n\r\n", s.etag);
                continue;
            }
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/zip\r\nContent-Length: {}\r\nETag: {}\r\nConnection: close\r\n\r\n",
                s.zip.len(),
                s.etag
            );
            let body = if s.truncate { &s.zip[..s.zip.len() / 2] } else { &s.zip[..] };
            let _ = stream.write_all(body);
        }
    });
    format!("http://{addr}")
}

struct Setup {
    cache: tempfile::TempDir,
    upstream: tempfile::TempDir,
    osv_url: String,
    served: Arc<Mutex<Served>>,
}

impl Setup {
    fn new() -> Setup {
        let upstream = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init(upstream.path()).unwrap();
        let dir = upstream.path().join("crates/itoa");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("RUSTSEC-2099-0001.md"), advisory("RUSTSEC-2099-0001", "itoa", ">= 2.0.0")).unwrap();
        commit_all(&repo, "first advisory");
        let served = Arc::new(Mutex::new(Served {
            zip: osv_zip("GHSA-test-0001-aaaa", "adler", "9.0.0"),
            etag: "\"v1\"".to_owned(),
            ..Served::default()
        }));
        let osv_url = serve(Arc::clone(&served));
        Setup { cache: tempfile::tempdir().unwrap(), upstream, osv_url, served }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_chainward"));
        cmd.args(args)
            .args(common::no_registry(args))
            .env("CHAINWARD_CACHE_DIR", self.cache.path())
            .env("CHAINWARD_RUSTSEC_URL", format!("file://{}", self.upstream.path().display()))
            .env("CHAINWARD_OSV_URL", &self.osv_url)
            .env_remove("CHAINWARD_NOW");
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    fn update(&self) -> Output {
        self.run(&["db", "update", "--ecosystem", "crates.io"])
    }

    fn scan_ids(&self, extra: &[&str]) -> Vec<String> {
        let project = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/projects/scan-unmaintained");
        let mut args = vec!["scan", project.to_str().unwrap(), "--format", "json", "--fail-on", "none"];
        args.extend_from_slice(extra);
        let out = self.run(&args);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut ids: Vec<String> =
            report["findings"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().to_owned()).collect();
        ids.sort();
        ids
    }

    fn db_dir(&self) -> PathBuf {
        self.cache.path().join("db")
    }
}

/// `CHAINWARD_NOW` two days ahead: the database is stale.
fn two_days_later() -> String {
    let later = time::OffsetDateTime::now_utc() + time::Duration::days(2);
    later.format(&time::format_description::well_known::Rfc3339).unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn update_status_path_and_scan_without_db() {
    let s = Setup::new();
    let out = s.run(&["scan", ".", "--offline"]);
    assert_eq!(out.status.code(), Some(2), "no database yet, and --offline may not fetch one");
    assert!(stderr(&out).contains("run `chainward db update`"), "{}", stderr(&out));

    let out = s.update();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(s.db_dir().join("rustsec/crates/itoa/RUSTSEC-2099-0001.md").is_file());
    assert!(s.db_dir().join("osv/crates.io.zip").is_file());

    let path = s.run(&["db", "path"]);
    assert_eq!(String::from_utf8(path.stdout).unwrap().trim(), s.db_dir().display().to_string());
    let status = s.run(&["db", "status"]);
    let text = String::from_utf8(status.stdout).unwrap();
    assert!(text.contains("rustsec") && text.contains("osv") && text.contains("updated 0 h ago"), "{text}");

    assert_eq!(s.scan_ids(&[]), ["GHSA-test-0001-aaaa", "RUSTSEC-2099-0001"]);

    // Upstream moves on: a fast-forward brings the new advisory; the zip is revalidated (304).
    let repo = git2::Repository::open(s.upstream.path()).unwrap();
    let dir = s.upstream.path().join("crates/adler");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("RUSTSEC-2099-0002.md"), advisory("RUSTSEC-2099-0002", "adler", ">= 9.0.0")).unwrap();
    commit_all(&repo, "second advisory");
    let out = s.update();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(s.served.lock().unwrap().not_modified, 1, "the unchanged zip is not downloaded again");
    assert_eq!(s.scan_ids(&[]), ["GHSA-test-0001-aaaa", "RUSTSEC-2099-0001", "RUSTSEC-2099-0002"]);
}

/// A scan of npm packages with a database that has no npm export fetches it first (once), and
/// then matches; offline it cannot, and says the npm packages were not checked (exit 2).
#[test]
fn a_scan_fetches_the_ecosystems_its_packages_need() {
    let s = Setup::new();
    s.served.lock().unwrap().npm_zip = Some(osv_zip_of("npm", "GHSA-test-npm1-aaaa", "left-pad", "1.3.0"));
    assert_eq!(s.update().status.code(), Some(0));
    let dir = tempfile::tempdir().unwrap();
    let bom = dir.path().join("bom.cdx.json");
    std::fs::write(
        &bom,
        r#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [
            {"type": "library", "name": "left-pad", "version": "1.1.0", "purl": "pkg:npm/left-pad@1.1.0"}]}"#,
    )
    .unwrap();
    let scan = |extra: &[&str]| {
        let mut args = vec!["scan", bom.to_str().unwrap(), "--format", "json"];
        args.extend_from_slice(extra);
        let out = s.run(&args);
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        (out.status.code(), report)
    };
    let (code, report) = scan(&["--offline"]);
    assert_eq!(code, Some(2), "{report:#}");
    assert!(report["errors"].to_string().contains("1 npm package(s) were not checked"), "{report:#}");
    assert_eq!(s.served.lock().unwrap().npm_requests, 0, "--offline fetches nothing");

    let (code, report) = scan(&[]);
    assert_eq!(code, Some(1), "{report:#}");
    assert_eq!(report["findings"][0]["id"], "GHSA-test-npm1-aaaa", "{report:#}");
    assert!(s.db_dir().join("osv/npm.zip").is_file());
    assert_eq!(s.served.lock().unwrap().npm_requests, 1);
    let (code, _) = scan(&[]);
    assert_eq!(code, Some(1));
    assert_eq!(s.served.lock().unwrap().npm_requests, 1, "fetched once: the next scan uses it");
}

#[test]
fn an_interrupted_download_keeps_the_old_database() {
    let s = Setup::new();
    assert_eq!(s.update().status.code(), Some(0));
    let before = std::fs::read(s.db_dir().join("osv/crates.io.zip")).unwrap();
    {
        let mut served = s.served.lock().unwrap();
        served.zip = osv_zip("GHSA-test-0002-bbbb", "itoa", "9.0.0");
        served.etag = "\"v2\"".to_owned();
        served.truncate = true;
    }
    let out = s.update();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("osv crates.io"), "{}", stderr(&out));
    assert_eq!(std::fs::read(s.db_dir().join("osv/crates.io.zip")).unwrap(), before, "old zip untouched");
    let leftovers: Vec<_> = std::fs::read_dir(s.db_dir().join("osv"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("tmp"))
        .collect();
    assert!(leftovers.is_empty(), "no temporary files left");
    assert_eq!(s.scan_ids(&["--offline"]), ["GHSA-test-0001-aaaa", "RUSTSEC-2099-0001"]);
}

#[test]
fn two_concurrent_updates_leave_a_usable_database() {
    let s = Setup::new();
    let a = s.command(&["db", "update", "--ecosystem", "crates.io"]).spawn().unwrap();
    let b = s.command(&["db", "update", "--ecosystem", "crates.io"]).spawn().unwrap();
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert_eq!(a.status.code(), Some(0), "{}", stderr(&a));
    assert_eq!(b.status.code(), Some(0), "{}", stderr(&b));
    assert_eq!(s.scan_ids(&[]), ["GHSA-test-0001-aaaa", "RUSTSEC-2099-0001"]);
}

#[test]
fn a_stale_database_is_refreshed_by_scan_unless_offline() {
    let s = Setup::new();
    assert_eq!(s.update().status.code(), Some(0));
    let requests = s.served.lock().unwrap().requests;
    let later = two_days_later();

    let project = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/projects/scan-unmaintained");
    let offline =
        s.command(&["scan", project.to_str().unwrap(), "--offline"]).env("CHAINWARD_NOW", &later).output().unwrap();
    assert!(stderr(&offline).contains("more than 24 h old"), "{}", stderr(&offline));
    assert_eq!(s.served.lock().unwrap().requests, requests, "--offline touches no network");

    let online = s.command(&["scan", project.to_str().unwrap()]).env("CHAINWARD_NOW", &later).output().unwrap();
    assert_eq!(online.status.code(), Some(1), "{}", stderr(&online));
    assert!(s.served.lock().unwrap().requests > requests, "a stale database is refreshed");
}

/// The probe's hang: a stale database makes `scan` refresh it first, and a server that accepts
/// the connection and never answers blocked that scan for ever. A refresh gives up within
/// seconds and the scan goes on with the copy it has, saying so (and `-q` silences that).
#[test]
fn a_refresh_against_servers_that_never_answer_falls_back_to_the_stale_copy() {
    let s = Setup::new();
    assert_eq!(s.update().status.code(), Some(0));
    let later = two_days_later();
    let silent = silent_server();
    let project = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/projects/scan-unmaintained");
    for quiet in [false, true] {
        let started = std::time::Instant::now();
        let mut cmd = s.command(&["scan", project.to_str().unwrap(), "--format", "json", "--fail-on", "none"]);
        if quiet {
            cmd.arg("-q");
        }
        let out = cmd
            .env("CHAINWARD_NOW", &later)
            .env("CHAINWARD_RUSTSEC_URL", format!("{silent}/advisory-db.git"))
            .env("CHAINWARD_OSV_URL", &silent)
            .output()
            .unwrap();
        assert!(started.elapsed() < BOUND, "the refresh gave up by itself");
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let ids: Vec<&str> = report["findings"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
        assert!(ids.contains(&"GHSA-test-0001-aaaa"), "the stale copy still answers: {ids:?}");
        if quiet {
            assert_eq!(stderr(&out), "", "-q silences the refresh warnings");
        } else {
            assert!(stderr(&out).contains("warning: could not refresh rustsec"), "{}", stderr(&out));
            assert!(stderr(&out).contains("the previous copy, if any, stays in use"), "{}", stderr(&out));
        }
    }
}

/// A refresh does not wait for another update holding the database lock (a `db update` may
/// take up to an hour): the scan goes on with the current copy and says why.
#[test]
fn a_refresh_does_not_wait_for_another_update() {
    let s = Setup::new();
    assert_eq!(s.update().status.code(), Some(0));
    let later = two_days_later();
    let lock = std::fs::File::create(s.db_dir().join(".lock")).unwrap();
    lock.lock().unwrap();
    let project = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/projects/scan-unmaintained");
    let started = std::time::Instant::now();
    let out = s
        .command(&["scan", project.to_str().unwrap(), "--format", "json", "--fail-on", "none"])
        .env("CHAINWARD_NOW", &later)
        .output()
        .unwrap();
    assert!(started.elapsed() < BOUND);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("could not refresh the database: another update is running"), "{}", stderr(&out));
    let requests = s.served.lock().unwrap().requests;
    drop(lock);
    // `db update` itself waits for the lock, then updates.
    let out = s.update();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(s.served.lock().unwrap().requests > requests);
}

/// A server that accepts connections and never answers (nor reads): holds them open until the
/// test process ends.
fn silent_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            held.extend(stream.ok());
        }
    });
    format!("http://{addr}")
}

/// A server that answers `/<ecosystem>/all.zip` with a head promising `len` bytes, sends half,
/// and then nothing more (a stalled transfer).
fn stalling_server(len: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
            }
            let _ = write!(stream, "HTTP/1.1 200 OK\r\nContent-Length: {len}\r\nETag: \"stall\"\r\n\r\n");
            let _ = stream.write_all(&vec![b'P'; len / 2]);
            let _ = stream.flush();
            held.push(stream);
        }
    });
    format!("http://{addr}")
}

/// Short timeouts, so that the tests wait a second or two rather than the minutes of a real update.
fn short_timeouts() -> Timeouts {
    Timeouts {
        connect: Duration::from_secs(1),
        stall: Duration::from_secs(1),
        total: Duration::from_secs(60),
        wait_for_lock: true,
    }
}

/// A generous bound for an update that must give up by itself.
const BOUND: Duration = Duration::from_secs(120);

/// Run an update through the library (with `timeouts`) on a thread; fail if it does not return
/// within [`BOUND`].
fn update_within(cache: &Path, config: UpdateConfig, timeouts: Timeouts) -> UpdateOutcome {
    let db = LocalDb::new(cache);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(db.update_with_timeouts(&config, timeouts, &mut |_| {}));
    });
    rx.recv_timeout(BOUND).expect("the update did not give up by itself").unwrap()
}

/// What a database holds, to check that a failed update leaves it as it was: the RustSec
/// clone's real path and files, and the zip's bytes.
fn snapshot(db: &Path) -> (PathBuf, Files, Vec<u8>) {
    let clone = std::fs::canonicalize(db.join("rustsec")).unwrap();
    let files = snapshot_files(&clone);
    (clone, files, std::fs::read(db.join("osv/crates.io.zip")).unwrap())
}

#[test]
fn servers_that_never_answer_time_out_and_the_previous_copy_stays() {
    let s = Setup::new();
    assert_eq!(s.update().status.code(), Some(0));
    let before = snapshot(&s.db_dir());
    let silent = silent_server();
    let config = UpdateConfig {
        rustsec_url: format!("{silent}/advisory-db.git"),
        osv_url: silent,
        ecosystems: vec![Ecosystem::Cargo],
    };
    let outcome = update_within(s.cache.path(), config, short_timeouts());
    assert!(outcome.done.is_empty(), "{:?}", outcome.done);
    assert_eq!(outcome.failed.len(), 2, "{:?}", outcome.failed);
    assert!(outcome.failed[0].starts_with("rustsec: gave up: no answer"), "{:?}", outcome.failed);
    assert!(
        outcome.failed[1].starts_with("osv crates.io:") && outcome.failed[1].contains("imeout"),
        "{:?}",
        outcome.failed
    );
    assert_eq!(snapshot(&s.db_dir()), before, "the previous copy is intact");
    assert_eq!(s.scan_ids(&["--offline"]), ["GHSA-test-0001-aaaa", "RUSTSEC-2099-0001"]);
}

#[test]
fn a_download_that_stalls_times_out_and_the_previous_zip_stays() {
    let s = Setup::new();
    assert_eq!(s.update().status.code(), Some(0));
    let before = snapshot(&s.db_dir());
    let config = UpdateConfig {
        rustsec_url: format!("file://{}", s.upstream.path().display()),
        osv_url: stalling_server(1 << 20),
        ecosystems: vec![Ecosystem::Cargo],
    };
    let outcome = update_within(s.cache.path(), config, short_timeouts());
    assert_eq!(outcome.failed.len(), 1, "{:?}", outcome.failed);
    assert!(outcome.failed[0].starts_with("osv crates.io: download interrupted"), "{:?}", outcome.failed);
    assert_eq!(snapshot(&s.db_dir()).2, before.2, "the previous zip is intact");
    let leftovers: Vec<_> = std::fs::read_dir(s.db_dir().join("osv"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// The entries of the database directory whose names start with `prefix`.
fn named(db: &Path, prefix: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(db)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(prefix))
        .collect();
    names.sort();
    names
}

#[cfg(unix)]
#[test]
fn an_update_never_modifies_the_live_clone_in_place_and_cleans_what_killed_updates_left() {
    let s = Setup::new();
    assert_eq!(s.update().status.code(), Some(0));
    let db = s.db_dir();
    let (first, first_files, _) = snapshot(&db);
    assert!(std::fs::symlink_metadata(db.join("rustsec")).unwrap().file_type().is_symlink());

    // What killed updates leave: a temporary clone, a temporary link, a partial download, a
    // finished version that was never switched to, and the first-clone directory of older
    // versions of chainward.
    std::fs::create_dir_all(db.join(".rustsec-tmp-999999-1/crates")).unwrap();
    std::os::unix::fs::symlink("rustsec-999999-1", db.join(".rustsec-link-999999-1")).unwrap();
    std::fs::write(db.join("osv/crates.io.zip.tmp-999999"), b"partial").unwrap();
    std::fs::create_dir_all(db.join("rustsec-999999-1/crates")).unwrap();
    std::fs::create_dir_all(db.join("rustsec.tmp-999999")).unwrap();

    // Upstream moves on.
    let repo = git2::Repository::open(s.upstream.path()).unwrap();
    let dir = s.upstream.path().join("crates/adler");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("RUSTSEC-2099-0002.md"), advisory("RUSTSEC-2099-0002", "adler", ">= 9.0.0")).unwrap();
    commit_all(&repo, "second advisory");
    let out = s.update();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let (second, _, _) = snapshot(&db);
    assert_ne!(second, first, "the new commit is a new directory, switched to by renaming a link");
    assert!(db.join("rustsec/crates/adler/RUSTSEC-2099-0002.md").is_file());
    assert_eq!(snapshot_files(&first), first_files, "the previous clone was not touched, and is kept for readers");
    assert!(!first.join("crates/adler").exists());
    assert!(named(&db, ".rustsec-").is_empty(), "{:?}", named(&db, ".rustsec-"));
    assert!(named(&db, "rustsec.tmp").is_empty());
    assert!(!db.join("rustsec-999999-1").exists(), "a version never switched to is removed");
    assert!(!db.join("osv/crates.io.zip.tmp-999999").exists());
    assert_eq!(s.scan_ids(&[]), ["GHSA-test-0001-aaaa", "RUSTSEC-2099-0001", "RUSTSEC-2099-0002"]);

    // One more update: the first version is removed, the second kept as the previous one.
    std::fs::write(dir.join("RUSTSEC-2099-0003.md"), advisory("RUSTSEC-2099-0003", "adler", ">= 9.0.0")).unwrap();
    commit_all(&repo, "third advisory");
    assert_eq!(s.update().status.code(), Some(0));
    assert!(!first.exists());
    assert!(second.is_dir());
    assert_eq!(named(&db, "rustsec-").len(), 2, "{:?}", named(&db, "rustsec-"));
}

/// Files and their bytes.
type Files = Vec<(PathBuf, Vec<u8>)>;

/// The files under `clone/crates`, with their bytes.
fn snapshot_files(clone: &Path) -> Files {
    let mut files = Vec::new();
    let mut stack = vec![clone.join("crates")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push((path.clone(), std::fs::read(&path).unwrap()));
            }
        }
    }
    files.sort();
    files
}

#[cfg(unix)]
#[test]
fn an_update_killed_while_fetching_leaves_the_live_clone_intact() {
    let s = Setup::new();
    assert_eq!(s.update().status.code(), Some(0));
    let before = snapshot(&s.db_dir());
    // The fetch hangs on a silent server; kill -9 the update while it does.
    let mut child = s
        .command(&["db", "update", "--ecosystem", "crates.io"])
        .env("CHAINWARD_RUSTSEC_URL", format!("{}/advisory-db.git", silent_server()))
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while named(&s.db_dir(), ".rustsec-tmp-").is_empty() {
        assert!(start.elapsed() < BOUND, "the update never started working");
        assert!(child.try_wait().unwrap().is_none(), "the update ended before it was killed");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Let the local copy get under way, then kill.
    std::thread::sleep(Duration::from_millis(200));
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(snapshot(&s.db_dir()), before, "the live clone is as it was");
    assert_eq!(s.scan_ids(&["--offline"]), ["GHSA-test-0001-aaaa", "RUSTSEC-2099-0001"]);
    assert_eq!(s.update().status.code(), Some(0));
    assert!(named(&s.db_dir(), ".rustsec-tmp-").is_empty(), "the next update removes what the killed one left");
}

#[test]
fn the_refresh_timeouts_are_short_and_the_update_ones_bounded() {
    let refresh = Timeouts::for_refresh();
    let update = Timeouts::for_update();
    assert!(refresh.connect <= Duration::from_secs(10) && refresh.stall <= Duration::from_secs(10));
    assert!(refresh.total <= Duration::from_secs(120));
    assert!(update.connect >= refresh.connect && update.stall >= refresh.stall && update.total >= refresh.total);
    assert_eq!(Timeouts::default(), update);
}

#[cfg(unix)]
#[test]
fn a_broken_rustsec_link_fails_the_scan_instead_of_scanning_without_rustsec() {
    let s = Setup::new();
    assert_eq!(s.update().status.code(), Some(0));
    let clone = std::fs::canonicalize(s.db_dir().join("rustsec")).unwrap();
    std::fs::remove_dir_all(&clone).unwrap();
    let project = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/projects/scan-unmaintained");
    let out = s.run(&["scan", project.to_str().unwrap(), "--offline"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("rustsec"), "{}", stderr(&out));
}
