//! `chainward db update|status|path` and `scan` without `--db`, against HTTP servers on
//! 127.0.0.1 started here serving the RustSec advisory-db as a `.tar.gz` built here (as GitHub
//! serves it: one top directory, a pax global header naming the commit) and OSV zips: first
//! update, a new archive, `ETag` revalidation, interrupted downloads (the old database stays
//! usable), two concurrent updates, staleness with an injected clock, servers that never answer
//! or stall (the update gives up by itself and the previous copy stays), updates killed midway
//! (the live copy is never modified in place; the next update cleans up), hostile archives
//! (refused, or their links skipped; nothing written outside) and `file://` mirrors. No other
//! network.

// Test helpers fail loudly on unexpected input: that is how a test reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chainward::advisory::local::{LocalDb, Timeouts, UpdateConfig, UpdateOutcome, extract_rustsec_archive};
use chainward::model::Ecosystem;

fn advisory(id: &str, package: &str, patched: &str) -> String {
    format!(
        "```toml\n[advisory]\nid = \"{id}\"\npackage = \"{package}\"\ndate = \"2099-01-01\"\n\n[versions]\npatched = [\"{patched}\"]\n```\n\n# Test advisory {id}\n\nDetails.\n"
    )
}

/// The top directory GitHub puts in its archives of `main`.
const TOP: &str = "advisory-db-main";

/// A tar entry: its raw path (written into the header as it is, unchecked), its type, its
/// bytes (a link's target for a link).
struct Entry {
    path: Vec<u8>,
    kind: tar::EntryType,
    data: Vec<u8>,
}

fn file(path: &str, data: &[u8]) -> Entry {
    Entry { path: path.as_bytes().to_vec(), kind: tar::EntryType::Regular, data: data.to_vec() }
}

fn dir(path: &str) -> Entry {
    Entry { path: path.as_bytes().to_vec(), kind: tar::EntryType::Directory, data: Vec::new() }
}

fn symlink(path: &str, target: &str) -> Entry {
    Entry { path: path.as_bytes().to_vec(), kind: tar::EntryType::Symlink, data: target.as_bytes().to_vec() }
}

/// A `.tar.gz` of `entries`, after a pax global header `comment=<commit>` when given (what
/// `git archive` writes). Paths go into the header's name field unchecked (hostile ones too).
fn tar_gz(commit: Option<&str>, entries: &[Entry]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    if let Some(commit) = commit {
        let record = format!("52 comment={commit}\n");
        assert_eq!(record.len(), 52);
        let mut header = tar::Header::new_ustar();
        header.set_path("pax_global_header").unwrap();
        header.set_entry_type(tar::EntryType::XGlobalHeader);
        header.set_size(record.len() as u64);
        header.set_mode(0o666);
        header.set_cksum();
        builder.append(&header, record.as_bytes()).unwrap();
    }
    for entry in entries {
        let mut header = tar::Header::new_ustar();
        let name = &mut header.as_old_mut().name;
        name[..entry.path.len()].copy_from_slice(&entry.path);
        header.set_entry_type(entry.kind);
        header.set_mode(if entry.kind == tar::EntryType::Directory { 0o755 } else { 0o644 });
        if entry.kind == tar::EntryType::Symlink {
            header.set_link_name(std::str::from_utf8(&entry.data).unwrap()).unwrap();
            header.set_size(0);
            header.set_cksum();
            builder.append(&header, std::io::empty()).unwrap();
        } else {
            header.set_size(entry.data.len() as u64);
            header.set_cksum();
            builder.append(&header, entry.data.as_slice()).unwrap();
        }
    }
    gzip(&builder.into_inner().unwrap())
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

/// The archive GitHub would serve of the advisory-db in `root`: every file under it, in
/// `advisory-db-main/`, and the commit.
fn archive_of(root: &Path, commit: &str) -> Vec<u8> {
    let mut entries = vec![dir(&format!("{TOP}/"))];
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        let mut children: Vec<PathBuf> = std::fs::read_dir(&d).unwrap().map(|e| e.unwrap().path()).collect();
        children.sort();
        for path in children {
            let rel = path.strip_prefix(root).unwrap().to_str().unwrap().to_owned();
            if path.is_dir() {
                entries.push(dir(&format!("{TOP}/{rel}/")));
                stack.push(path);
            } else {
                entries.push(file(&format!("{TOP}/{rel}"), &std::fs::read(&path).unwrap()));
            }
        }
    }
    tar_gz(Some(commit), &entries)
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
    /// `/advisory-db/main.tar.gz`, its `ETag`, and whether to send only half of it.
    archive: Vec<u8>,
    archive_etag: String,
    archive_truncate: bool,
    archive_requests: usize,
    archive_not_modified: usize,
    /// Bumped by every new archive: its `ETag`.
    archive_version: u32,
    zip: Vec<u8>,
    /// `/npm/all.zip`, when served.
    npm_zip: Option<Vec<u8>>,
    npm_requests: usize,
    etag: String,
    truncate: bool,
    requests: usize,
    not_modified: usize,
}

/// The commit of the `n`th archive: 40 hex digits.
fn commit(n: u32) -> String {
    format!("{n:08x}").repeat(5)
}

/// A one-thread HTTP/1.1 server for `/advisory-db/main.tar.gz` and `/<ecosystem>/all.zip`,
/// with `ETag` revalidation and optional truncated responses (Content-Length promises more than
/// is sent).
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
            if request_line.starts_with("GET /advisory-db/main.tar.gz ") {
                s.archive_requests += 1;
                if if_none_match.as_deref() == Some(s.archive_etag.as_str()) {
                    s.archive_not_modified += 1;
                    not_modified(&mut stream, &s.archive_etag);
                    continue;
                }
                respond(&mut stream, "application/gzip", Some(&s.archive_etag), &s.archive, s.archive_truncate);
                continue;
            }
            if request_line.starts_with("GET /npm/all.zip ")
                && let Some(zip) = s.npm_zip.clone()
            {
                s.npm_requests += 1;
                respond(&mut stream, "application/zip", None, &zip, false);
                continue;
            }
            if !request_line.starts_with("GET /crates.io/all.zip ") {
                let _ = stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                continue;
            }
            if if_none_match.as_deref() == Some(s.etag.as_str()) {
                s.not_modified += 1;
                not_modified(&mut stream, &s.etag);
                continue;
            }
            respond(&mut stream, "application/zip", Some(&s.etag), &s.zip, s.truncate);
        }
    });
    format!("http://{addr}")
}

/// `200 OK` with `body`; `truncate`: only half of it, where Content-Length promises it whole.
fn respond(stream: &mut impl Write, content_type: &str, etag: Option<&str>, body: &[u8], truncate: bool) {
    let etag = etag.map(|e| format!("ETag: {e}\r\n")).unwrap_or_default();
    let _ = write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n{etag}Connection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(if truncate { &body[..body.len() / 2] } else { body });
}

/// `304 Not Modified` for `etag`.
fn not_modified(stream: &mut impl Write, etag: &str) {
    let _ = write!(stream, "HTTP/1.1 304 Not Modified\r\nETag: {etag}\r\nConnection: close\r\n\r\n");
}

struct Setup {
    cache: tempfile::TempDir,
    /// The advisory-db served (as an archive: [`Setup::publish`]).
    upstream: tempfile::TempDir,
    /// How many times it was published: the commit and the `ETag`.
    published: Mutex<u32>,
    osv_url: String,
    served: Arc<Mutex<Served>>,
}

impl Setup {
    fn new() -> Setup {
        let upstream = tempfile::tempdir().unwrap();
        let dir = upstream.path().join("crates/itoa");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("RUSTSEC-2099-0001.md"), advisory("RUSTSEC-2099-0001", "itoa", ">= 2.0.0")).unwrap();
        std::fs::write(upstream.path().join("README.md"), "# RustSec Advisory Database\n").unwrap();
        let served = Arc::new(Mutex::new(Served {
            zip: osv_zip("GHSA-test-0001-aaaa", "adler", "9.0.0"),
            etag: "\"v1\"".to_owned(),
            ..Served::default()
        }));
        let osv_url = serve(Arc::clone(&served));
        let s = Setup { cache: tempfile::tempdir().unwrap(), upstream, published: Mutex::new(0), osv_url, served };
        s.publish();
        s
    }

    /// Serve the upstream directory as it is now: a new archive, commit and `ETag`.
    fn publish(&self) {
        let mut n = self.published.lock().unwrap();
        *n += 1;
        let archive = archive_of(self.upstream.path(), &commit(*n));
        self.serve_archive(archive);
    }

    /// Serve `archive` under a new `ETag`.
    fn serve_archive(&self, archive: Vec<u8>) {
        let mut served = self.served.lock().unwrap();
        served.archive = archive;
        served.archive_version += 1;
        served.archive_etag = format!("\"archive-{}\"", served.archive_version);
    }

    /// Add an advisory upstream and publish.
    fn add_advisory(&self, id: &str, package: &str) {
        let dir = self.upstream.path().join("crates").join(package);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{id}.md")), advisory(id, package, ">= 9.0.0")).unwrap();
        self.publish();
    }

    fn rustsec_url(&self) -> String {
        format!("{}/advisory-db/main.tar.gz", self.osv_url)
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_chainward"));
        cmd.args(args)
            .args(common::no_registry(args))
            .env("CHAINWARD_CACHE_DIR", self.cache.path())
            .env("CHAINWARD_RUSTSEC_URL", self.rustsec_url())
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

    // Upstream moves on: a new archive brings the new advisory; the zip is revalidated (304).
    s.add_advisory("RUSTSEC-2099-0002", "adler");
    let out = s.update();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("updated rustsec: at 000000020000"), "the archive's commit: {}", stderr(&out));
    assert_eq!(s.served.lock().unwrap().not_modified, 1, "the unchanged zip is not downloaded again");
    assert_eq!(s.served.lock().unwrap().archive_not_modified, 0, "the new archive is downloaded");
    assert_eq!(s.scan_ids(&[]), ["GHSA-test-0001-aaaa", "RUSTSEC-2099-0001", "RUSTSEC-2099-0002"]);
}

/// The first update reports the archive's commit and keeps only what a RustSec database needs;
/// an unchanged archive is revalidated (`If-None-Match`, 304) and not downloaded again: the live
/// copy stays as it is.
#[test]
fn an_unchanged_archive_is_not_downloaded_again() {
    let s = Setup::new();
    std::fs::create_dir_all(s.upstream.path().join(".github/workflows")).unwrap();
    std::fs::write(s.upstream.path().join(".github/workflows/ci.yml"), "on: push\n").unwrap();
    std::fs::write(s.upstream.path().join("LICENSE-MIT"), "MIT\n").unwrap();
    s.publish();
    let out = s.update();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("updated rustsec: at 000000020000\n"), "{}", stderr(&out));
    let live = std::fs::canonicalize(s.db_dir().join("rustsec")).unwrap();
    assert!(live.join("README.md").is_file() && live.join("LICENSE-MIT").is_file());
    assert!(!live.join(".github").exists(), "only what a RustSec database needs is kept");
    let source: serde_json::Value =
        serde_json::from_slice(&std::fs::read(live.join(".chainward-source")).unwrap()).unwrap();
    assert_eq!(source["url"], s.rustsec_url().as_str());
    assert_eq!(source["commit"], commit(2).as_str());
    let files = snapshot_files(&live);

    let out = s.update();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("updated rustsec: unchanged"), "{}", stderr(&out));
    let served = s.served.lock().unwrap();
    assert_eq!((served.archive_requests, served.archive_not_modified), (2, 1), "revalidated, not downloaded");
    drop(served);
    assert_eq!(std::fs::canonicalize(s.db_dir().join("rustsec")).unwrap(), live, "the same copy stays live");
    assert_eq!(snapshot_files(&live), files);
    assert!(named(&s.db_dir(), ".rustsec-tmp-").is_empty());
    assert_eq!(s.scan_ids(&[]), ["GHSA-test-0001-aaaa", "RUSTSEC-2099-0001"]);
}

/// An archive cut off midway (the connection closes before Content-Length bytes): the update
/// of RustSec fails, the live copy stays as it was and nothing temporary is left.
#[test]
fn an_interrupted_archive_download_keeps_the_old_copy() {
    let s = Setup::new();
    assert_eq!(s.update().status.code(), Some(0));
    let before = snapshot(&s.db_dir());
    s.add_advisory("RUSTSEC-2099-0002", "adler");
    s.served.lock().unwrap().archive_truncate = true;
    let out = s.update();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("rustsec: download interrupted"), "{}", stderr(&out));
    assert_eq!(snapshot(&s.db_dir()), before, "the live copy is as it was");
    assert!(named(&s.db_dir(), ".rustsec-tmp-").is_empty(), "{:?}", named(&s.db_dir(), ".rustsec-tmp-"));
    assert_eq!(s.scan_ids(&["--offline"]), ["GHSA-test-0001-aaaa", "RUSTSEC-2099-0001"]);
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
            .env("CHAINWARD_RUSTSEC_URL", format!("{silent}/advisory-db/main.tar.gz"))
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
        rustsec_url: format!("{silent}/advisory-db/main.tar.gz"),
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
        rustsec_url: s.rustsec_url(),
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

#[test]
fn an_archive_download_that_stalls_times_out_and_the_previous_copy_stays() {
    let s = Setup::new();
    assert_eq!(s.update().status.code(), Some(0));
    let before = snapshot(&s.db_dir());
    let stalling = stalling_server(1 << 20);
    let config = UpdateConfig {
        rustsec_url: format!("{stalling}/advisory-db/main.tar.gz"),
        osv_url: s.osv_url.clone(),
        ecosystems: Vec::new(),
    };
    let outcome = update_within(s.cache.path(), config, short_timeouts());
    assert_eq!(outcome.failed.len(), 1, "{:?}", outcome.failed);
    assert!(outcome.failed[0].starts_with("rustsec: download interrupted"), "{:?}", outcome.failed);
    assert_eq!(snapshot(&s.db_dir()), before, "the previous copy is intact");
    assert!(named(&s.db_dir(), ".rustsec-tmp-").is_empty(), "{:?}", named(&s.db_dir(), ".rustsec-tmp-"));
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

    // What killed updates leave: a temporary directory (with a partial archive), a temporary
    // link, a partial download, a finished version that was never switched to, and the
    // first-clone directory of older versions of chainward.
    std::fs::create_dir_all(db.join(".rustsec-tmp-999999-1/tree/crates")).unwrap();
    std::fs::write(db.join(".rustsec-tmp-999999-1/archive.tar.gz"), b"partial").unwrap();
    std::os::unix::fs::symlink("rustsec-999999-1", db.join(".rustsec-link-999999-1")).unwrap();
    std::fs::write(db.join("osv/crates.io.zip.tmp-999999"), b"partial").unwrap();
    std::fs::create_dir_all(db.join("rustsec-999999-1/crates")).unwrap();
    std::fs::create_dir_all(db.join("rustsec.tmp-999999")).unwrap();

    // Upstream moves on.
    s.add_advisory("RUSTSEC-2099-0002", "adler");
    let out = s.update();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let (second, _, _) = snapshot(&db);
    assert_ne!(second, first, "the new archive is a new directory, switched to by renaming a link");
    assert!(db.join("rustsec/crates/adler/RUSTSEC-2099-0002.md").is_file());
    assert_eq!(snapshot_files(&first), first_files, "the previous clone was not touched, and is kept for readers");
    assert!(!first.join("crates/adler").exists());
    assert!(named(&db, ".rustsec-").is_empty(), "{:?}", named(&db, ".rustsec-"));
    assert!(named(&db, "rustsec.tmp").is_empty());
    assert!(!db.join("rustsec-999999-1").exists(), "a version never switched to is removed");
    assert!(!db.join("osv/crates.io.zip.tmp-999999").exists());
    assert_eq!(s.scan_ids(&[]), ["GHSA-test-0001-aaaa", "RUSTSEC-2099-0001", "RUSTSEC-2099-0002"]);

    // One more update: the first version is removed, the second kept as the previous one.
    s.add_advisory("RUSTSEC-2099-0003", "adler");
    assert_eq!(s.update().status.code(), Some(0));
    assert!(!first.exists());
    assert!(second.is_dir());
    assert_eq!(named(&db, "rustsec-").len(), 2, "{:?}", named(&db, "rustsec-"));
}

/// Files and their bytes.
type Files = Vec<(PathBuf, Vec<u8>)>;

/// The files under `clone/crates`, with their bytes.
fn snapshot_files(clone: &Path) -> Files {
    snapshot_files_under(&clone.join("crates"))
}

/// The files under `dir`, with their bytes.
fn snapshot_files_under(dir: &Path) -> Files {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
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
        .env("CHAINWARD_RUSTSEC_URL", format!("{}/advisory-db/main.tar.gz", silent_server()))
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while named(&s.db_dir(), ".rustsec-tmp-").is_empty() {
        assert!(start.elapsed() < BOUND, "the update never started working");
        assert!(child.try_wait().unwrap().is_none(), "the update ended before it was killed");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Let the request get under way, then kill.
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

/// Hostile or broken archives: each is refused (the update of RustSec fails, saying why), the
/// live copy stays as it was, nothing is written outside the database's private directory and
/// nothing temporary is left.
#[test]
fn a_hostile_archive_is_refused_and_the_old_copy_stays() {
    let s = Setup::new();
    assert_eq!(s.update().status.code(), Some(0));
    let db = s.db_dir();
    let before = snapshot(&db);
    let good = file(
        &format!("{TOP}/crates/itoa/RUSTSEC-2099-0001.md"),
        advisory("RUSTSEC-2099-0001", "itoa", ">= 2.0.0").as_bytes(),
    );
    let new = || {
        file(
            &format!("{TOP}/crates/adler/RUSTSEC-2099-0002.md"),
            advisory("RUSTSEC-2099-0002", "adler", ">= 9.0.0").as_bytes(),
        )
    };
    let with = |bad: Entry| {
        tar_gz(
            Some(&commit(7)),
            &[dir(&format!("{TOP}/")), new(), bad, file(&format!("{TOP}/crates/itoa/RUSTSEC-2099-0001.md"), b"x")],
        )
    };
    let plain_tar = {
        let gz = tar_gz(None, &[dir(&format!("{TOP}/")), new()]);
        let mut tar = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(gz.as_slice()), &mut tar).unwrap();
        tar
    };
    let whole = tar_gz(Some(&commit(8)), &[dir(&format!("{TOP}/")), new(), good]);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "a parent directory",
            with(file("advisory-db-main/../x.md", b"escaped")),
            "unsafe path in the archive: `advisory-db-main/../x.md`",
        ),
        ("a leading ..", with(file("../x.md", b"escaped")), "unsafe path in the archive: `../x.md`"),
        ("an absolute path", with(file("/tmp/chainward-hostile-x.md", b"escaped")), "(absolute)"),
        ("a backslash", with(file("advisory-db-main/crates\\..\\..\\x.md", b"escaped")), "(a backslash)"),
        ("an empty component", with(file("advisory-db-main//crates/x.md", b"x")), "(an empty component)"),
        ("another top directory", with(file("other/crates/x.md", b"x")), "outside the archive's top directory"),
        (
            "an oversized entry",
            with(file(&format!("{TOP}/crates/big/RUSTSEC-2099-0009.md"), &vec![b'a'; (1 << 20) + 1])),
            "is larger than 1048576 bytes",
        ),
        ("a symlink leaving the tree", with(symlink("advisory-db-main/../link", "/etc")), "unsafe path"),
        (
            "a path deeper than an advisory-db's",
            with(file(&format!("{TOP}/crates/deep/a/b/RUSTSEC-2099-0010.md"), b"x")),
            "(deeper than an advisory-db's layout)",
        ),
        ("not gzip", plain_tar, "not a readable .tar.gz archive"),
        ("a truncated gzip stream", whole[..whole.len() - 20].to_vec(), "not a readable .tar.gz archive"),
        (
            "no crates/ directory",
            tar_gz(Some(&commit(9)), &[dir(&format!("{TOP}/")), file(&format!("{TOP}/README.md"), b"# not it\n")]),
            "is not a RustSec advisory-db archive (no crates/ directory)",
        ),
    ];
    let config = UpdateConfig { rustsec_url: s.rustsec_url(), osv_url: s.osv_url.clone(), ecosystems: Vec::new() };
    for (what, archive, reason) in cases {
        s.serve_archive(archive);
        let outcome = update_within(s.cache.path(), config.clone(), short_timeouts());
        assert_eq!(outcome.failed.len(), 1, "{what}: {:?}", outcome.failed);
        assert!(outcome.failed[0].starts_with("rustsec: "), "{what}: {:?}", outcome.failed);
        assert!(outcome.failed[0].contains(reason), "{what}: {:?}", outcome.failed);
        assert_eq!(snapshot(&db), before, "{what}: the live copy is as it was");
        assert!(named(&db, ".rustsec-tmp-").is_empty(), "{what}: {:?}", named(&db, ".rustsec-tmp-"));
        assert_eq!(named(&db, "rustsec-").len(), 1, "{what}: no new version: {:?}", named(&db, "rustsec-"));
        for outside in [db.join("x.md"), s.cache.path().join("x.md"), PathBuf::from("/tmp/chainward-hostile-x.md")] {
            assert!(!outside.exists(), "{what}: {} was written", outside.display());
        }
    }
    // The whole archive still updates.
    s.serve_archive(whole);
    let outcome = update_within(s.cache.path(), config, short_timeouts());
    assert!(outcome.failed.is_empty(), "{:?}", outcome.failed);
    assert_eq!(outcome.done, [format!("rustsec: at {}", &commit(8)[..12])]);
    assert_eq!(s.scan_ids(&["--offline"]), ["GHSA-test-0001-aaaa", "RUSTSEC-2099-0001", "RUSTSEC-2099-0002"]);
}

/// A .tar.gz cut into several gzip members (`bgzip`, `cat a.gz b.gz`) is read whole, as `gunzip`
/// reads it: nothing after the first member is lost.
#[test]
fn an_archive_of_several_gzip_members_is_read_whole() {
    let s = Setup::new();
    let mut builder = tar::Builder::new(Vec::new());
    for (id, package) in [("RUSTSEC-2099-0001", "itoa"), ("RUSTSEC-2099-0002", "adler")] {
        let text = advisory(id, package, ">= 9.0.0");
        let mut header = tar::Header::new_ustar();
        header.set_path(format!("{TOP}/crates/{package}/{id}.md")).unwrap();
        header.set_size(text.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder.append(&header, text.as_bytes()).unwrap();
    }
    let tar = builder.into_inner().unwrap();
    // The first advisory's header and text (512 + 512 bytes) in one member, the rest in another.
    let mut archive = gzip(&tar[..1024]);
    archive.extend(gzip(&tar[1024..]));
    s.serve_archive(archive);
    let out = s.update();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let live = std::fs::canonicalize(s.db_dir().join("rustsec")).unwrap();
    assert!(live.join("crates/itoa/RUSTSEC-2099-0001.md").is_file());
    assert!(live.join("crates/adler/RUSTSEC-2099-0002.md").is_file(), "the second member's file");
}

/// Links, hard links and devices inside the tree are skipped, never created: a file written
/// "through" a skipped link to a directory outside lands in a real directory inside.
#[cfg(unix)]
#[test]
fn links_in_an_archive_are_skipped_and_nothing_is_written_through_them() {
    let s = Setup::new();
    let outside = tempfile::tempdir().unwrap();
    let hard = Entry {
        path: format!("{TOP}/crates/itoa/RUSTSEC-2099-0003.md").into_bytes(),
        kind: tar::EntryType::Link,
        data: b"/etc/passwd".to_vec(),
    };
    let fifo =
        Entry { path: format!("{TOP}/crates/itoa/fifo.md").into_bytes(), kind: tar::EntryType::Fifo, data: Vec::new() };
    let archive = tar_gz(
        Some(&commit(5)),
        &[
            dir(&format!("{TOP}/")),
            file(
                &format!("{TOP}/crates/itoa/RUSTSEC-2099-0001.md"),
                advisory("RUSTSEC-2099-0001", "itoa", ">= 2.0.0").as_bytes(),
            ),
            symlink(&format!("{TOP}/crates/evil"), outside.path().to_str().unwrap()),
            file(
                &format!("{TOP}/crates/evil/RUSTSEC-2099-0002.md"),
                advisory("RUSTSEC-2099-0002", "adler", ">= 9.0.0").as_bytes(),
            ),
            symlink(&format!("{TOP}/crates/itoa/RUSTSEC-2099-0004.md"), "/etc/passwd"),
            hard,
            fifo,
        ],
    );
    s.serve_archive(archive);
    let out = s.update();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let live = std::fs::canonicalize(s.db_dir().join("rustsec")).unwrap();
    assert!(std::fs::symlink_metadata(live.join("crates/evil")).unwrap().is_dir(), "a real directory, not the link");
    assert!(live.join("crates/evil/RUSTSEC-2099-0002.md").is_file());
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0, "nothing written through the link");
    for skipped in ["RUSTSEC-2099-0003.md", "RUSTSEC-2099-0004.md", "fifo.md"] {
        assert!(std::fs::symlink_metadata(live.join("crates/itoa").join(skipped)).is_err(), "{skipped} skipped");
    }
}

/// `CHAINWARD_RUSTSEC_URL` may name a local `.tar.gz` (`file://`, for mirrors): read as it is,
/// every update (there is no `ETag`).
#[test]
fn a_file_url_names_a_local_archive() {
    let s = Setup::new();
    let mirror = tempfile::tempdir().unwrap();
    let archive = mirror.path().join("advisory-db.tar.gz");
    std::fs::write(&archive, archive_of(s.upstream.path(), &commit(42))).unwrap();
    let update = || {
        s.command(&["db", "update", "--ecosystem", "crates.io"])
            .env("CHAINWARD_RUSTSEC_URL", format!("file://{}", archive.display()))
            .output()
            .unwrap()
    };
    let out = update();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains(&format!("updated rustsec: at {}", &commit(42)[..12])), "{}", stderr(&out));
    assert_eq!(s.served.lock().unwrap().archive_requests, 0, "the server is not asked");
    assert_eq!(s.scan_ids(&["--offline"]), ["GHSA-test-0001-aaaa", "RUSTSEC-2099-0001"]);
    std::fs::write(&archive, b"not an archive").unwrap();
    let out = update();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("not a readable .tar.gz archive"), "{}", stderr(&out));
    assert_eq!(s.scan_ids(&["--offline"]), ["GHSA-test-0001-aaaa", "RUSTSEC-2099-0001"]);
}

/// The real advisory-db (`../shared`) through an archive (long paths as GNU long-name entries)
/// and [`extract_rustsec_archive`]: the same files under `crates/` and `rust/`, byte for byte,
/// and the same records loaded.
#[test]
fn the_real_advisory_db_extracts_to_the_same_files() {
    let Some(shared) = common::shared_dir() else { return };
    let source = shared.join("advisory-db/rustsec");
    let mut builder = tar::Builder::new(Vec::new());
    let mut stack = vec![source.clone()];
    let mut files = 0;
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            let rel = path.strip_prefix(&source).unwrap().to_str().unwrap().to_owned();
            if path.is_dir() {
                stack.push(path);
            } else {
                let data = std::fs::read(&path).unwrap();
                let mut header = tar::Header::new_gnu();
                header.set_size(data.len() as u64);
                header.set_mode(0o644);
                builder.append_data(&mut header, format!("{TOP}/{rel}"), data.as_slice()).unwrap();
                files += 1;
            }
        }
    }
    let archive = gzip(&builder.into_inner().unwrap());
    let dest = tempfile::tempdir().unwrap();
    let extracted = extract_rustsec_archive(archive.as_slice(), dest.path()).unwrap();
    assert!(extracted.files > 1000 && extracted.files <= files, "{extracted:?}");
    assert_eq!(extracted.commit, None);
    for sub in ["crates", "rust"] {
        let (ours, theirs) = (snapshot_tree(&dest.path().join(sub)), snapshot_tree(&source.join(sub)));
        assert_eq!(ours.len(), theirs.len(), "{sub}");
        assert!(ours == theirs, "{sub}: the extracted files differ");
    }
    let ours = chainward::advisory::rustsec::load(dest.path()).unwrap();
    let theirs = chainward::advisory::rustsec::load(&source).unwrap();
    assert_eq!(ours.advisories.len(), theirs.advisories.len());
    assert!(ours.advisories.len() > 900, "{}", ours.advisories.len());
}

/// The files under `dir`, relative, with their bytes.
fn snapshot_tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<(PathBuf, Vec<u8>)> =
        snapshot_files_under(dir).into_iter().map(|(p, b)| (p.strip_prefix(dir).unwrap().to_path_buf(), b)).collect();
    files.sort();
    files
}
