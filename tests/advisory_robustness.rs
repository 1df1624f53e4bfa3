//! The advisory layer never reports "clean" by mistake, and stays bounded, on hostile or broken
//! databases: a parser panic, a zip whose every entry fails, a zip bomb, FIFOs and devices where
//! files should be. And the real databases in `../shared/advisory-db` load without a single
//! error, cold and warm.

// Test helpers fail loudly on unexpected input: that is how a test reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use chainward::advisory::db::{self, Select};
use chainward::advisory::osv;

/// A generous bound for work that used to hang or take minutes.
const BOUND: Duration = Duration::from_secs(120);

/// Run `f` on a thread and fail the test if it does not finish within [`BOUND`].
fn bounded<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(BOUND).unwrap_or_else(|_| panic!("{what} did not finish within {BOUND:?}"))
}

fn osv_record(id: &str, package: &str) -> String {
    format!(
        r#"{{"id": "{id}", "summary": "test advisory {id}", "affected": [{{"package": {{"ecosystem": "crates.io", "name": "{package}"}},
        "ranges": [{{"type": "SEMVER", "events": [{{"introduced": "0"}}, {{"fixed": "9.0.0"}}]}}]}}]}}"#
    )
}

fn zip_of(entries: &[(String, String)], method: zip::CompressionMethod) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut buf);
    let opts = zip::write::SimpleFileOptions::default().compression_method(method);
    for (name, text) in entries {
        zip.start_file(name.as_str(), opts).unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    zip.finish().unwrap();
    buf.into_inner()
}

fn u16_at(b: &[u8], at: usize) -> usize {
    usize::from(u16::from_le_bytes([b[at], b[at + 1]]))
}

fn u32_at(b: &[u8], at: usize) -> usize {
    usize::try_from(u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])).unwrap()
}

/// The shape of an overlapping zip bomb: `copies` central-directory entries (names
/// `B-0000.json`...) that all point at the one local entry of `zip` (named `B-0000.json`
/// too): every entry inflates the same deflate stream.
fn overlapping(zip: &[u8], copies: usize) -> Vec<u8> {
    let eocd = zip.len() - 22;
    assert_eq!(&zip[eocd..eocd + 4], b"PK\x05\x06", "no comment, one entry");
    let cd_size = u32_at(zip, eocd + 12);
    let cd_offset = u32_at(zip, eocd + 16);
    let central = &zip[cd_offset..cd_offset + cd_size];
    let name_len = u16_at(central, 28);
    let name_at = 46;
    let mut out = zip[..cd_offset].to_vec();
    for i in 0..copies {
        let mut entry = central.to_vec();
        let name = format!("B-{i:04}.json");
        assert_eq!(name.len(), name_len);
        entry[name_at..name_at + name_len].copy_from_slice(name.as_bytes());
        out.extend_from_slice(&entry);
    }
    let mut end = zip[eocd..].to_vec();
    let count = u16::try_from(copies).unwrap().to_le_bytes();
    end[8..10].copy_from_slice(&count);
    end[10..12].copy_from_slice(&count);
    end[12..16].copy_from_slice(&u32::try_from(cd_size * copies).unwrap().to_le_bytes());
    out.extend_from_slice(&end);
    out
}

#[test]
fn an_overlapping_zip_bomb_is_rejected_without_inflating_its_copies() {
    // One record padded to 8 MB: each copy of it would inflate 8 MB more.
    let padded = format!("{}{}", osv_record("B-0000", "bomb"), " ".repeat(8 << 20));
    let zip = zip_of(&[("B-0000.json".to_owned(), padded)], zip::CompressionMethod::Deflated);
    let bomb = overlapping(&zip, 2000);
    assert!(bomb.len() < 400_000, "a small file: {} bytes", bomb.len());
    let loaded =
        bounded("loading the bomb", move || osv::load_zip_reader("bomb.zip", std::io::Cursor::new(bomb)).unwrap());
    assert_eq!(loaded.advisories.len(), 1, "the first entry is an ordinary record");
    assert_eq!(loaded.failed, 1999);
    assert!(loaded.errors.iter().all(|e| e.message.contains("overlaps")), "{:?}", &loaded.errors[..3]);
    assert!(loaded.errors[0].path.starts_with("bomb.zip:B-"), "{}", loaded.errors[0]);
}

#[test]
fn a_zip_whose_every_entry_fails_its_crc_is_errors_and_a_source_level_error() {
    let entries: Vec<(String, String)> =
        (1..=12).map(|i| (format!("C-{i}.json"), osv_record(&format!("C-{i}"), "itoa"))).collect();
    let mut bytes = zip_of(&entries, zip::CompressionMethod::Stored);
    // Flip one byte of every record's stored data: each entry fails its CRC check.
    let needle = b"test advisory";
    let mut at = 0;
    while let Some(i) = bytes[at..].windows(needle.len()).position(|w| w == needle) {
        bytes[at + i] = b'T';
        at += i + needle.len();
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crates.io.zip");
    std::fs::write(&path, bytes).unwrap();
    let cache = tempfile::tempdir().unwrap();
    for round in ["cold", "warm"] {
        let index = db::load(std::slice::from_ref(&path), Some(cache.path())).unwrap();
        assert_eq!(index.sources[0].records, 0, "{round}");
        assert_eq!(index.errors.len(), 13, "{round}: {:?}", index.errors);
        assert!(index.errors[..12].iter().all(|e| e.message.contains("corrupt entry")), "{round}");
        assert_eq!(index.errors[12].path, path.display().to_string());
        assert_eq!(index.errors[12].message, "no usable advisory record: all 12 entries failed to load", "{round}");
    }
}

/// A RustSec advisory for `package`.
fn rustsec_advisory(id: &str, package: &str) -> String {
    format!(
        "```toml\n[advisory]\nid = \"{id}\"\npackage = \"{package}\"\ndate = \"2099-01-01\"\n\n[versions]\npatched = [\">= 9.0.0\"]\n```\n\n# Test advisory {id}\n\nDetails.\n"
    )
}

#[test]
fn a_rustsec_file_that_panics_the_parser_costs_only_itself_cold_and_warm() {
    let dir = tempfile::tempdir().unwrap();
    let mut ids = Vec::new();
    for i in 0..30 {
        let package = format!("crate{i:02}");
        let id = format!("RUSTSEC-2099-{i:04}");
        let krate = dir.path().join("crates").join(&package);
        std::fs::create_dir_all(&krate).unwrap();
        // A character across byte 20 of a file without front matter panics `rustsec`'s parser.
        let text =
            if i == 3 { format!("{}€ not an advisory", "#".repeat(19)) } else { rustsec_advisory(&id, &package) };
        std::fs::write(krate.join(format!("{id}.md")), text).unwrap();
        if i != 3 {
            ids.push(id);
        }
    }
    let cache = tempfile::tempdir().unwrap();
    for round in ["cold", "warm"] {
        let root = dir.path().to_path_buf();
        let cache_dir = cache.path().to_path_buf();
        let index = bounded("the load", move || db::load(&[root], Some(&cache_dir)).unwrap());
        assert_eq!(index.sources[0].records, 29, "{round}: no other file is lost");
        assert_eq!(index.errors.len(), 1, "{round}: {:?}", index.errors);
        assert!(index.errors[0].path.ends_with("RUSTSEC-2099-0003.md"), "{round}: {}", index.errors[0]);
        assert!(index.errors[0].message.contains("panic"), "{round}: {}", index.errors[0]);
        for (i, id) in ids.iter().enumerate() {
            let package = format!("crate{:02}", if i < 3 { i } else { i + 1 });
            let (found, _) = index.lookup(chainward::model::Ecosystem::Cargo, &package, "1.0.0");
            assert_eq!(found.len(), 1, "{round}: {id}");
        }
    }
}

#[cfg(unix)]
#[test]
fn a_fifo_given_as_the_database_fails_the_scan_instead_of_hanging() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("db.zip");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let project = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/projects/scan-unmaintained");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_chainward"))
        .args(["scan", project.to_str().unwrap(), "--no-registry", "--db", fifo.to_str().unwrap()])
        .env("CHAINWARD_CACHE_DIR", dir.path().join("cache"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > BOUND {
            let _ = child.kill();
            panic!("chainward scan --db <fifo> hung");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("a FIFO"), "{stderr}");
}

/// Every source of `../shared/advisory-db`.
fn shared_sources() -> Option<Vec<PathBuf>> {
    let shared = common::shared_dir()?;
    let mut sources = vec![shared.join("advisory-db/rustsec")];
    let mut zips: Vec<PathBuf> = std::fs::read_dir(shared.join("advisory-db/osv"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "zip"))
        .collect();
    zips.sort();
    sources.extend(zips);
    Some(sources)
}

#[test]
fn the_real_databases_load_with_zero_errors_cold_and_warm() {
    let Some(sources) = shared_sources() else { return };
    let cache = tempfile::tempdir().unwrap();
    let cold = db::load(&sources, Some(cache.path())).unwrap();
    assert!(cold.errors.is_empty(), "{:#?}", cold.errors);
    let warm = db::load(&sources, Some(cache.path())).unwrap();
    assert!(warm.errors.is_empty(), "{:#?}", warm.errors);
    assert_eq!(warm.notes, cold.notes);
    assert_eq!(warm.len(), cold.len());
    for (w, c) in warm.sources.iter().zip(&cold.sources) {
        assert_eq!(w, c);
        assert!(c.records > 0, "{c:?}");
    }
    // Selective (warm) reads see the same errors: none.
    let keys = chainward::advisory::db::Wanted::default();
    let selected = db::load_selected(&sources, Some(cache.path()), Select::Packages(&keys)).unwrap();
    assert!(selected.errors.is_empty());
}
