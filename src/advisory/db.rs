//! Where advisories come from: `--db PATH` (repeatable), each a RustSec advisory-db directory,
//! a directory of OSV JSON files, or an OSV zip; and, always, chainward's built-in records.
//!
//! Parsing 1,200 RustSec files or thousands of OSV records on every run is what makes a scan
//! slow. Each `--db` path is therefore compiled once into a binary index in the cache
//! directory, keyed by the path, and reused while the path's fingerprint (every file's relative
//! path, size and modification time; for a git checkout its HEAD) is unchanged; any change
//! rebuilds it. The index keeps every advisory as its own postcard record behind a per-ecosystem
//! table of package names, so a scan reads the table and only the records naming its packages
//! ([`Select`]): deserializing every record (details included) cost more than the rest of a
//! warm scan. Writing the cache is best effort and atomic (temporary file, then rename), so
//! concurrent scans never read a half-written index.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Advisory, AdvisoryError, Index, SourceInfo, osv, rustsec};
use crate::model::Ecosystem;

/// Bump when the compiled format or the meaning of its content changes.
const FORMAT: u32 = 2;

/// Records at most this many bytes apart are read together.
const READ_GAP: u64 = 32 * 1024;

/// First bytes of a compiled index file.
const MAGIC: &[u8; 8] = b"chainwdx";

/// Which advisories to load: all of them, or only those naming one of these
/// (ecosystem, normalized name) pairs. A scan loads only what its packages can match, which is
/// what keeps a warm scan close to the cost of reading the lockfile.
#[derive(Debug, Clone, Copy)]
pub enum Select<'a> {
    /// Every advisory.
    All,
    /// Advisories with an affected entry for one of these packages (names normalized with
    /// [`Ecosystem::normalize_name`]).
    Packages(&'a HashSet<(Ecosystem, String)>),
}

impl Select<'_> {
    fn wants(self, advisory: &Advisory) -> bool {
        match self {
            Select::All => true,
            Select::Packages(keys) => advisory.affected.iter().any(|a| keys.contains(&(a.ecosystem, a.name.clone()))),
        }
    }
}

/// One `--db` path, compiled (in memory).
struct Compiled {
    source: SourceInfo,
    errors: Vec<AdvisoryError>,
    advisories: Vec<Advisory>,
}

/// The head of a compiled index file. The file is
/// `MAGIC | header length (u32 LE) | header | body`; the body holds every advisory as its own
/// postcard record, then one section per ecosystem: the sorted package names of that ecosystem,
/// each with the (offset, length) of the records naming it. Offsets count from the body's start.
#[derive(Serialize, Deserialize)]
struct Header {
    format: u32,
    tool: String,
    fingerprint: String,
    source: SourceInfo,
    errors: Vec<AdvisoryError>,
    sections: Vec<Section>,
}

#[derive(Serialize, Deserialize)]
struct Section {
    ecosystem: Ecosystem,
    offset: u64,
    len: u64,
}

/// The (offset, length) of records.
type Records = BTreeSet<(u64, u32)>;

/// One package of a section: its normalized name and where its records are.
type KeyEntry<'a> = (&'a str, Vec<(u64, u32)>);

/// Load every `--db` path into one index, through the compiled cache under `cache_dir` when
/// one is given, then chainward's built-in records ([`super::builtin`]), which every index
/// has. A path that cannot be read at all is an error; bad records inside a source are
/// collected in [`Index::errors`] and skipped.
pub fn load(paths: &[PathBuf], cache_dir: Option<&Path>) -> Result<Index, AdvisoryError> {
    load_selected(paths, cache_dir, Select::All)
}

/// [`load`], keeping only the advisories `select` asks for. Sources, record counts and
/// errors are those of the whole databases either way.
pub fn load_selected(paths: &[PathBuf], cache_dir: Option<&Path>, select: Select<'_>) -> Result<Index, AdvisoryError> {
    let mut index = Index::default();
    for path in paths {
        let compiled = if let Some(cache) = cache_dir {
            cached(path, cache, select)?
        } else {
            let mut compiled = compile(path)?;
            compiled.advisories.retain(|a| select.wants(a));
            compiled
        };
        index.sources.push(compiled.source);
        index.errors.extend(compiled.errors);
        index.extend(compiled.advisories);
    }
    // Last, so that each database's own records come first in every group of aliases.
    let builtin = super::builtin::load(|a| select.wants(a));
    index.sources.push(builtin.source);
    index.errors.extend(builtin.errors);
    index.extend(builtin.advisories);
    Ok(index)
}

/// The compiled index of `path` from the cache, or compiled now and cached.
fn cached(path: &Path, cache: &Path, select: Select<'_>) -> Result<Compiled, AdvisoryError> {
    let fingerprint = fingerprint(path)?;
    let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let key = hex(&Sha256::digest(canonical.to_string_lossy().as_bytes()));
    let file = cache.join("index").join(format!("{key}.bin"));
    if let Some(compiled) = read_compiled(&file, &fingerprint, select) {
        return Ok(compiled);
    }
    let mut compiled = compile(path)?;
    if let Some(bytes) = encode(&compiled, &fingerprint) {
        // Best effort: a read-only cache only costs speed.
        let _ = crate::fsutil::write_atomically(&file, &bytes);
    }
    compiled.advisories.retain(|a| select.wants(a));
    Ok(compiled)
}

/// The compiled file's bytes.
fn encode(compiled: &Compiled, fingerprint: &str) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    let mut by_key: BTreeMap<Ecosystem, BTreeMap<&str, Records>> = BTreeMap::new();
    for advisory in &compiled.advisories {
        let offset = u64::try_from(body.len()).ok()?;
        body = postcard::to_extend(advisory, body).ok()?;
        let len = u32::try_from(u64::try_from(body.len()).ok()? - offset).ok()?;
        for a in &advisory.affected {
            by_key.entry(a.ecosystem).or_default().entry(a.name.as_str()).or_default().insert((offset, len));
        }
    }
    let mut sections = Vec::new();
    for (ecosystem, keys) in by_key {
        let entries: Vec<KeyEntry<'_>> =
            keys.into_iter().map(|(name, records)| (name, records.into_iter().collect())).collect();
        let offset = u64::try_from(body.len()).ok()?;
        body = postcard::to_extend(&entries, body).ok()?;
        sections.push(Section { ecosystem, offset, len: u64::try_from(body.len()).ok()? - offset });
    }
    let header = Header {
        format: FORMAT,
        tool: env!("CARGO_PKG_VERSION").to_owned(),
        fingerprint: fingerprint.to_owned(),
        source: compiled.source.clone(),
        errors: compiled.errors.clone(),
        sections,
    };
    let header = postcard::to_stdvec(&header).ok()?;
    let mut out = Vec::with_capacity(MAGIC.len() + 4 + header.len() + body.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&u32::try_from(header.len()).ok()?.to_le_bytes());
    out.extend_from_slice(&header);
    out.extend_from_slice(&body);
    Some(out)
}

/// Read a compiled file when it is current (same format, tool version and fingerprint),
/// loading only the records `select` asks for. Any problem means "not usable": recompile.
fn read_compiled(file: &Path, fingerprint: &str, select: Select<'_>) -> Option<Compiled> {
    let mut f = std::fs::File::open(file).ok()?;
    let mut head = [0u8; 12];
    f.read_exact(&mut head).ok()?;
    let (magic, len) = head.split_at(MAGIC.len());
    if magic != MAGIC {
        return None;
    }
    let header_len = u32::from_le_bytes(len.try_into().ok()?);
    let mut buf = vec![0u8; usize::try_from(header_len).ok()?];
    f.read_exact(&mut buf).ok()?;
    let header: Header = postcard::from_bytes(&buf).ok()?;
    if header.format != FORMAT || header.tool != env!("CARGO_PKG_VERSION") || header.fingerprint != fingerprint {
        return None;
    }
    let body = 12 + u64::from(header_len);
    let mut wanted: HashMap<Ecosystem, Vec<&str>> = HashMap::new();
    if let Select::Packages(keys) = select {
        for (ecosystem, name) in keys {
            wanted.entry(*ecosystem).or_default().push(name.as_str());
        }
    }
    let mut records: BTreeSet<(u64, u32)> = BTreeSet::new();
    for section in &header.sections {
        let names = wanted.get(&section.ecosystem);
        if matches!(select, Select::Packages(_)) && names.is_none() {
            continue;
        }
        f.seek(SeekFrom::Start(body.checked_add(section.offset)?)).ok()?;
        buf.resize(usize::try_from(section.len).ok()?, 0);
        f.read_exact(&mut buf).ok()?;
        let entries: Vec<KeyEntry<'_>> = postcard::from_bytes(&buf).ok()?;
        match names {
            Some(names) if matches!(select, Select::Packages(_)) => {
                for name in names {
                    if let Ok(i) = entries.binary_search_by(|(n, _)| (*n).cmp(name))
                        && let Some((_, at)) = entries.get(i)
                    {
                        records.extend(at.iter().copied());
                    }
                }
            }
            _ => records.extend(entries.into_iter().flat_map(|(_, at)| at)),
        }
    }
    let mut advisories = Vec::with_capacity(records.len());
    let records: Vec<(u64, u32)> = records.into_iter().collect();
    // Records close to each other are read with one system call.
    let mut rest = records.as_slice();
    while let Some(&(start, _)) = rest.first() {
        let mut end = start;
        let mut n = 0;
        for &(offset, len) in rest {
            if offset > end.saturating_add(READ_GAP) {
                break;
            }
            end = end.max(offset.checked_add(u64::from(len))?);
            n += 1;
        }
        let (chunk, after) = rest.split_at(n);
        rest = after;
        f.seek(SeekFrom::Start(body.checked_add(start)?)).ok()?;
        buf.resize(usize::try_from(end - start).ok()?, 0);
        f.read_exact(&mut buf).ok()?;
        for &(offset, len) in chunk {
            let from = usize::try_from(offset - start).ok()?;
            let bytes = buf.get(from..from.checked_add(usize::try_from(len).ok()?)?)?;
            advisories.push(postcard::from_bytes::<Advisory>(bytes).ok()?);
        }
    }
    Some(Compiled { source: header.source, errors: header.errors, advisories })
}

fn compile(path: &Path) -> Result<Compiled, AdvisoryError> {
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
    use crate::advisory::builtin::RECORDS as BUILTIN;

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
        assert_eq!(index.len(), 2 + BUILTIN.len(), "the database's records and the built-in ones");
        assert!(index.errors.iter().any(|e| e.message.contains("Alpine:v3.18")), "{:?}", index.errors);
    }

    #[test]
    fn the_built_in_records_are_in_every_index_and_follow_the_selection() {
        let db = tempfile::tempdir().unwrap();
        std::fs::write(db.path().join("a.json"), RECORD).unwrap();
        let paths = vec![db.path().to_path_buf()];
        let mut keys = HashSet::new();
        keys.insert((Ecosystem::Npm, "ua-parser-js".to_owned()));
        for cache in [None, Some(tempfile::tempdir().unwrap())] {
            let cache = cache.as_ref().map(tempfile::TempDir::path);
            let index = load_selected(&paths, cache, Select::Packages(&keys)).unwrap();
            let names: Vec<&str> = index.sources.iter().map(|s| s.name.as_str()).collect();
            assert_eq!(names, ["osv", "chainward"]);
            assert_eq!(index.sources[1].records, BUILTIN.len());
            assert_eq!(index.len(), 1, "only the built-in record naming ua-parser-js");
            let (matches, _) = index.lookup(Ecosystem::Npm, "ua-parser-js", "0.7.29");
            assert_eq!(matches.len(), 1);
            assert_eq!(matches[0].advisory.kind, crate::advisory::AdvisoryKind::Malicious);
            assert!(index.lookup(Ecosystem::Npm, "ua-parser-js", "0.7.28").0.is_empty(), "the clean neighbour");
        }
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
        assert_eq!(first.len(), 1 + BUILTIN.len());
        let compiled: Vec<_> = std::fs::read_dir(cache.path().join("index")).unwrap().flatten().collect();
        assert_eq!(compiled.len(), 1, "one compiled index per --db path");

        // Unchanged source: the compiled index answers (prove it by tampering with it).
        let file = compiled[0].path();
        let print = fingerprint(db.path()).unwrap();
        let mut c = read_compiled(&file, &print, Select::All).unwrap();
        c.advisories[0].summary = "from the cache".to_owned();
        std::fs::write(&file, encode(&c, &print).unwrap()).unwrap();
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
        assert_eq!(load(&paths, Some(cache.path())).unwrap().len(), 1 + BUILTIN.len());
    }

    #[test]
    fn a_selective_load_reads_only_the_records_of_the_wanted_packages() {
        let db = tempfile::tempdir().unwrap();
        let cache = tempfile::tempdir().unwrap();
        std::fs::write(db.path().join("a.json"), RECORD).unwrap();
        // One record naming two packages, one naming a PyPI package (normalized name).
        let two = RECORD.replace("GHSA-aaaa", "GHSA-dddd").replace(
            r#"{"package": {"ecosystem": "npm", "name": "left-pad"},"#,
            r#"{"package": {"ecosystem": "npm", "name": "right-pad"}, "versions": ["1.0.0"]},
               {"package": {"ecosystem": "npm", "name": "left-pad"},"#,
        );
        std::fs::write(db.path().join("b.json"), two).unwrap();
        let py = RECORD
            .replace("GHSA-aaaa", "PYSEC-1")
            .replace(r#""npm", "name": "left-pad""#, r#""PyPI", "name": "Zope_Interface""#);
        std::fs::write(db.path().join("c.json"), py).unwrap();
        let paths = vec![db.path().to_path_buf()];

        for round in ["compiles", "reads the cache"] {
            let mut keys = HashSet::new();
            keys.insert((Ecosystem::Npm, "right-pad".to_owned()));
            let index = load_selected(&paths, Some(cache.path()), Select::Packages(&keys)).unwrap();
            assert_eq!(index.len(), 1, "{round}");
            assert_eq!(index.sources[0].records, 3, "{round}: the source's count is the whole database's");
            assert_eq!(index.lookup(Ecosystem::Npm, "right-pad", "1.0.0").0.len(), 1, "{round}");

            keys.insert((Ecosystem::Npm, "left-pad".to_owned()));
            keys.insert((Ecosystem::PyPI, "zope-interface".to_owned()));
            let index = load_selected(&paths, Some(cache.path()), Select::Packages(&keys)).unwrap();
            assert_eq!(index.len(), 3, "{round}: a record naming two wanted packages is loaded once");
            assert_eq!(index.lookup(Ecosystem::Npm, "left-pad", "1.0.0").0.len(), 2, "{round}");
            assert_eq!(index.lookup(Ecosystem::PyPI, "zope.interface", "1.0.0").0.len(), 1, "{round}");

            let none = load_selected(&paths, Some(cache.path()), Select::Packages(&HashSet::new())).unwrap();
            assert!(none.is_empty(), "{round}");
            assert_eq!(none.sources.len(), 2, "{round}: the database and the built-in records");
            assert_eq!(none.sources[1].name, "chainward", "{round}");
        }
    }
}
