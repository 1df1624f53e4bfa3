//! Where advisories come from: `--db PATH` (repeatable), each a RustSec advisory-db directory,
//! a directory of OSV JSON files, or an OSV zip.
//!
//! Parsing 1,200 RustSec files or thousands of OSV records on every run is what makes a scan
//! slow. Each `--db` path is therefore compiled once into a compact binary index (postcard) in
//! the cache directory, keyed by the path, and reused while the path's fingerprint (every
//! file's relative path, size and modification time) is unchanged; any change rebuilds it.
//! Writing the cache is best effort and atomic (temporary file, then rename), so concurrent
//! scans never read a half-written index.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Advisory, AdvisoryError, Index, SourceInfo, osv, rustsec};

/// Bump when the compiled format or the meaning of its content changes.
const FORMAT: u32 = 1;

/// One `--db` path, compiled.
#[derive(Serialize, Deserialize)]
struct Compiled {
    format: u32,
    tool: String,
    fingerprint: String,
    source: SourceInfo,
    errors: Vec<AdvisoryError>,
    advisories: Vec<Advisory>,
}

/// Load every `--db` path into one index, through the compiled cache under `cache_dir` when
/// one is given. A path that cannot be read at all is an error; bad records inside a source
/// are collected in [`Index::errors`] and skipped.
pub fn load(paths: &[PathBuf], cache_dir: Option<&Path>) -> Result<Index, AdvisoryError> {
    let mut index = Index::default();
    for path in paths {
        let compiled = match cache_dir {
            Some(cache) => cached(path, cache)?,
            None => compile(path, String::new())?,
        };
        index.sources.push(compiled.source);
        index.errors.extend(compiled.errors);
        index.extend(compiled.advisories);
    }
    Ok(index)
}

/// The compiled index of `path` from the cache, or compiled now and cached.
fn cached(path: &Path, cache: &Path) -> Result<Compiled, AdvisoryError> {
    let fingerprint = fingerprint(path)?;
    let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let key = hex(&Sha256::digest(canonical.to_string_lossy().as_bytes()));
    let file = cache.join("index").join(format!("{key}.bin"));
    if let Ok(bytes) = std::fs::read(&file)
        && let Ok(compiled) = postcard::from_bytes::<Compiled>(&bytes)
        && compiled.format == FORMAT
        && compiled.tool == env!("CARGO_PKG_VERSION")
        && compiled.fingerprint == fingerprint
    {
        return Ok(compiled);
    }
    let compiled = compile(path, fingerprint)?;
    if let Ok(bytes) = postcard::to_stdvec(&compiled) {
        // Best effort: a read-only cache only costs speed.
        let _ = crate::fsutil::write_atomically(&file, &bytes);
    }
    Ok(compiled)
}

fn compile(path: &Path, fingerprint: String) -> Result<Compiled, AdvisoryError> {
    let label = path.display().to_string();
    if !path.exists() {
        return Err(AdvisoryError { path: label, record: None, message: "no such file or directory".to_owned() });
    }
    let (name, advisories, errors) = if path.is_dir() && rustsec::is_rustsec_dir(path) {
        let loaded = rustsec::load(path)?;
        ("rustsec", loaded.advisories, loaded.errors)
    } else {
        let loaded = osv::load(path)?;
        if loaded.advisories.is_empty() && loaded.errors.is_empty() && loaded.withdrawn == 0 {
            return Err(AdvisoryError {
                path: label,
                record: None,
                message: "no advisories found (expected a RustSec advisory-db checkout, OSV JSON files or an OSV zip)"
                    .to_owned(),
            });
        }
        let mut errors = loaded.errors;
        if !loaded.unknown_ecosystems.is_empty() {
            let names: Vec<&str> = loaded.unknown_ecosystems.iter().map(String::as_str).collect();
            errors.push(AdvisoryError {
                path: label.clone(),
                record: None,
                message: format!("entries for ecosystems chainward does not match were skipped: {}", names.join(", ")),
            });
        }
        ("osv", loaded.advisories, errors)
    };
    Ok(Compiled {
        format: FORMAT,
        tool: env!("CARGO_PKG_VERSION").to_owned(),
        fingerprint,
        source: SourceInfo { name: name.to_owned(), path: label, records: advisories.len() },
        errors,
        advisories,
    })
}

/// What identifies the content of a source: for a git checkout (the managed RustSec clone),
/// its HEAD commit and the time its index was last written (every fetch, reset or checkout
/// rewrites it); otherwise SHA-256 over every file's relative path, size and modification time.
/// (Uncommitted edits inside a git checkout are therefore not seen until committed.)
fn fingerprint(path: &Path) -> Result<String, AdvisoryError> {
    let err =
        |e: std::io::Error| AdvisoryError { path: path.display().to_string(), record: None, message: e.to_string() };
    let meta = std::fs::metadata(path).map_err(err)?;
    if meta.is_dir()
        && let Some(head) = git_head(&path.join(".git"))
    {
        let index = std::fs::metadata(path.join(".git/index"))
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        return Ok(format!("git:{head}:{index}"));
    }
    let mut entries: Vec<(String, u64, u128)> = Vec::new();
    let stamp = |m: &std::fs::Metadata| {
        m.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()).map_or(0, |d| d.as_nanos())
    };
    if meta.is_dir() {
        let mut stack = vec![path.to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).map_err(err)?.flatten() {
                let Ok(m) = entry.metadata() else { continue };
                if m.is_dir() {
                    stack.push(entry.path());
                } else {
                    let rel =
                        entry.path().strip_prefix(path).map(|r| r.to_string_lossy().into_owned()).unwrap_or_default();
                    entries.push((rel, m.len(), stamp(&m)));
                }
            }
        }
        entries.sort();
    } else {
        entries.push((String::new(), meta.len(), stamp(&meta)));
    }
    let mut hasher = Sha256::new();
    for (rel, len, mtime) in &entries {
        hasher.update(rel.as_bytes());
        hasher.update([0]);
        hasher.update(len.to_le_bytes());
        hasher.update(mtime.to_le_bytes());
    }
    Ok(hex(&hasher.finalize()))
}

/// The commit `HEAD` names, read from the files (starting libgit2, with its TLS library, costs
/// more than the whole scan).
fn git_head(git_dir: &Path) -> Option<String> {
    let head = std::fs::read_to_string(git_dir.join("HEAD")).ok()?;
    let head = head.trim();
    let Some(reference) = head.strip_prefix("ref: ") else {
        return Some(head.to_owned()).filter(|h| h.len() >= 40);
    };
    if reference.split('/').any(|seg| seg == ".." || seg.is_empty()) {
        return None;
    }
    if let Ok(id) = std::fs::read_to_string(git_dir.join(reference)) {
        return Some(id.trim().to_owned());
    }
    let packed = std::fs::read_to_string(git_dir.join("packed-refs")).ok()?;
    packed.lines().find_map(|l| {
        let (id, name) = l.split_once(' ')?;
        (name == reference).then(|| id.to_owned())
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        use std::fmt::Write;
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECORD: &str = r#"{"id": "GHSA-aaaa-bbbb-cccc", "summary": "old",
        "affected": [{"package": {"ecosystem": "npm", "name": "left-pad"},
        "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.3.0"}]}]}]}"#;

    #[test]
    fn unknown_ecosystems_are_reported_with_the_source() {
        let db = tempfile::tempdir().unwrap();
        std::fs::write(db.path().join("a.json"), RECORD).unwrap();
        std::fs::write(
            db.path().join("b.json"),
            RECORD.replace("npm", "Alpine:v3.18").replace("GHSA-aaaa", "ALPINE-1"),
        )
        .unwrap();
        let index = load(&[db.path().to_path_buf()], None).unwrap();
        assert_eq!(index.len(), 2);
        assert!(index.errors.iter().any(|e| e.message.contains("Alpine:v3.18")), "{:?}", index.errors);
    }

    #[test]
    fn git_head_reads_loose_and_packed_refs() {
        let dir = tempfile::tempdir().unwrap();
        let git = dir.path();
        let id = "0123456789abcdef0123456789abcdef01234567";
        std::fs::create_dir_all(git.join("refs/heads")).unwrap();
        std::fs::write(git.join("HEAD"), "ref: refs/heads/main\n").unwrap();
        assert_eq!(git_head(git), None);
        std::fs::write(git.join("packed-refs"), format!("# pack-refs\n{id} refs/heads/main\n")).unwrap();
        assert_eq!(git_head(git).as_deref(), Some(id));
        std::fs::write(git.join("refs/heads/main"), "fedcba9876543210fedcba9876543210fedcba98\n").unwrap();
        assert_eq!(git_head(git).as_deref(), Some("fedcba9876543210fedcba9876543210fedcba98"));
        std::fs::write(git.join("HEAD"), "ref: ../../etc/passwd\n").unwrap();
        assert_eq!(git_head(git), None);
    }

    #[test]
    fn the_cache_is_used_while_the_source_is_unchanged_and_rebuilt_when_it_changes() {
        let db = tempfile::tempdir().unwrap();
        let cache = tempfile::tempdir().unwrap();
        let record = db.path().join("GHSA-aaaa-bbbb-cccc.json");
        std::fs::write(&record, RECORD).unwrap();
        let paths = vec![db.path().to_path_buf()];

        let first = load(&paths, Some(cache.path())).unwrap();
        assert_eq!(first.len(), 1);
        let compiled: Vec<_> = std::fs::read_dir(cache.path().join("index")).unwrap().flatten().collect();
        assert_eq!(compiled.len(), 1, "one compiled index per --db path");

        // Unchanged source: the compiled index answers (prove it by tampering with it).
        let file = compiled[0].path();
        let mut c: Compiled = postcard::from_bytes(&std::fs::read(&file).unwrap()).unwrap();
        c.advisories[0].summary = "from the cache".to_owned();
        std::fs::write(&file, postcard::to_stdvec(&c).unwrap()).unwrap();
        let second = load(&paths, Some(cache.path())).unwrap();
        assert_eq!(
            second.lookup(crate::model::Ecosystem::Npm, "left-pad", "1.0.0").0[0].advisory.summary,
            "from the cache"
        );

        // A changed source (different size) is recompiled.
        std::fs::write(&record, RECORD.replace("old", "newer")).unwrap();
        let third = load(&paths, Some(cache.path())).unwrap();
        assert_eq!(third.lookup(crate::model::Ecosystem::Npm, "left-pad", "1.0.0").0[0].advisory.summary, "newer");

        // A corrupt cache file is ignored and replaced.
        std::fs::write(&file, b"garbage").unwrap();
        assert_eq!(load(&paths, Some(cache.path())).unwrap().len(), 1);
    }
}
