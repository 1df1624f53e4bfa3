//! Where advisories come from: `--db PATH` (repeatable), each a RustSec advisory-db directory,
//! a directory of OSV JSON files, or an OSV zip; and, always, chainward's built-in records.
//!
//! Parsing 1,200 RustSec files or thousands of OSV records on every run is what makes a scan
//! slow. Each `--db` path is therefore compiled once into a binary index in the cache
//! directory, keyed by the path, and reused while the path's fingerprint is unchanged (a file's
//! size and time; a git checkout's HEAD; for a plain directory, every directory's modification
//! time, checked without listing a directory or touching a file: see `Fingerprint`); any
//! change rebuilds it. The index keeps every advisory as its own postcard record behind a per-ecosystem
//! table of package names, so a scan reads the table and only the records naming its packages
//! ([`Select`]): deserializing every record (details included) cost more than the rest of a
//! warm scan. Writing the cache is best effort and atomic (temporary file, then rename), so
//! concurrent scans never read a half-written index.
//!
//! The index is not trusted on the fingerprint alone: the header, every section and every
//! record carry a checksum of their own bytes (CRC-32), verified as they are read, so a corrupted
//! index (a torn write, a bad disk, an edit) is recompiled, never believed. The errors and
//! notes of the compile are kept in the header: a warm scan reports exactly what the cold one
//! did.
//!
//! A source that could not be read fully is never a clean source: every record that failed to
//! load is an error ([`Index::errors`]), and a source that yields no usable record at all gets
//! one more error saying so. What is only informational (entries for ecosystems chainward does
//! not match) goes to [`Index::notes`].

use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
#[cfg(not(unix))]
use std::io::{Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::version::{Version, VersionError};
use super::{Advisory, AdvisoryError, Affected, Index, MAX_ERRORS, SourceInfo, Verdict, osv, rustsec};
use crate::fsutil;
use crate::model::Ecosystem;

/// Bump when the compiled format or the meaning of its content changes.
const FORMAT: u32 = 10;

/// Records at most this many bytes apart are read together.
const READ_GAP: u64 = 8 * 1024;

/// First bytes of a compiled index file.
const MAGIC: &[u8; 8] = b"chainwdx";

/// `MAGIC`, the header's length (u32) and its checksum (u64).
const PREFIX: usize = 8 + 4 + 8;

/// Largest `.git/HEAD`, loose ref or `packed-refs` file read for the fingerprint.
const MAX_GIT_FILE: u64 = 16 << 20;

/// Which advisories to load: all of them, or only those naming one of the [`Wanted`] packages,
/// or only those affecting one of their versions. A scan loads only what its packages can
/// match, which is what keeps a warm scan close to the cost of reading the lockfile.
#[derive(Debug, Clone, Copy)]
pub enum Select<'a> {
    /// Every advisory.
    All,
    /// Advisories with an affected entry for one of these packages, whatever their versions:
    /// what a command needs that looks advisories up by id too.
    Packages(&'a Wanted<'a>),
    /// Of those, only the advisories that affect one of the versions in use or cannot be
    /// evaluated for one ([`Affected::evaluate`] not `NotAffected`): exactly what matching
    /// these packages can use. The others are never decoded past their affected entries.
    Affecting(&'a Wanted<'a>),
}

impl<'a> Select<'a> {
    fn wants(self, advisory: &Advisory) -> bool {
        self.wants_affected(&advisory.affected)
    }

    /// [`Select::wants`] of an advisory with these affected entries.
    fn wants_affected<S: AsRef<str>>(self, affected: &[Affected<S>]) -> bool {
        match self {
            Select::All => true,
            Select::Packages(wanted) => {
                affected.iter().any(|a| wanted.versions(a.ecosystem, a.name.as_ref()).is_some())
            }
            Select::Affecting(wanted) => affected.iter().any(|a| {
                wanted.versions(a.ecosystem, a.name.as_ref()).is_some_and(|mut versions| {
                    versions.any(|v| {
                        let parsed = v.parsed.get_or_init(|| Version::parse(a.ecosystem, v.raw));
                        a.evaluate(v.raw, parsed) != Verdict::NotAffected
                    })
                })
            }),
        }
    }

    fn wanted(self) -> Option<&'a Wanted<'a>> {
        match self {
            Select::All => None,
            Select::Packages(wanted) | Select::Affecting(wanted) => Some(wanted),
        }
    }
}

/// The packages a selective load is for: each (ecosystem, name normalized with
/// [`Ecosystem::normalized_name`]) with the versions in use, each parsed at most once, when an
/// advisory naming it is evaluated.
#[derive(Debug, Default)]
pub struct Wanted<'a> {
    /// Each ecosystem's names, with the first of their versions in `versions`.
    by_ecosystem: super::PerEcosystem<foldhash::HashMap<Cow<'a, str>, u32>>,
    /// Every version in use, in one list (a list per name was an allocation per package, and
    /// most of a scan's fresh memory pages), each linked to the next of the same package.
    versions: Vec<InUse<'a>>,
}

/// One version in use of one package, parsed on demand.
#[derive(Debug)]
struct InUse<'a> {
    raw: &'a str,
    parsed: OnceCell<Result<Version, VersionError>>,
    /// The next version of the same package in [`Wanted::versions`], `u32::MAX` for none.
    next: u32,
}

impl<'a> Wanted<'a> {
    /// The (ecosystem, name, version) of every package.
    pub fn new(packages: impl IntoIterator<Item = (Ecosystem, &'a str, &'a str)>) -> Wanted<'a> {
        let packages = packages.into_iter();
        let expected = packages.size_hint().0;
        let mut wanted =
            Wanted { by_ecosystem: super::PerEcosystem::default(), versions: Vec::with_capacity(expected) };
        for (ecosystem, name, version) in packages {
            // Most scans are of one ecosystem: the first map gets room for every package.
            let Some(names) = wanted.by_ecosystem.get_or_insert_with(ecosystem, |first| {
                let room = if first { expected } else { 0 };
                foldhash::HashMap::with_capacity_and_hasher(room, foldhash::fast::RandomState::default())
            }) else {
                continue;
            };
            // More versions in use than a u32 counts cannot be read (memory runs out first).
            let Ok(new) = u32::try_from(wanted.versions.len()) else { break };
            let fresh = InUse { raw: version, parsed: OnceCell::new(), next: u32::MAX };
            match names.entry(ecosystem.normalized_name(name)) {
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(new);
                    wanted.versions.push(fresh);
                }
                std::collections::hash_map::Entry::Occupied(first) => {
                    // Walk to the last version of the package, unless it is this one.
                    let mut at = *first.get();
                    while let Some(v) = wanted.versions.get(at as usize)
                        && v.raw != version
                    {
                        if v.next != u32::MAX {
                            at = v.next;
                            continue;
                        }
                        wanted.versions.push(fresh);
                        if let Some(last) = wanted.versions.get_mut(at as usize) {
                            last.next = new;
                        }
                        break;
                    }
                }
            }
        }
        wanted
    }

    fn names(&self, ecosystem: Ecosystem) -> Option<&foldhash::HashMap<Cow<'a, str>, u32>> {
        self.by_ecosystem.get(ecosystem)
    }

    /// The versions in use of a package, when it is one of the wanted.
    fn versions(&self, ecosystem: Ecosystem, normalized: &str) -> Option<impl Iterator<Item = &InUse<'a>>> {
        let first = *self.names(ecosystem)?.get(normalized)?;
        let mut at = first;
        Some(std::iter::from_fn(move || {
            let v = self.versions.get(at as usize)?;
            at = v.next;
            Some(v)
        }))
    }
}

/// One `--db` path, compiled (in memory).
struct Compiled {
    source: SourceInfo,
    errors: Vec<AdvisoryError>,
    notes: Vec<String>,
    advisories: Vec<Advisory>,
}

/// The head of a compiled index file. The file is
/// `MAGIC | header length (u32 LE) | header checksum (u64 LE) | header | body`; the body holds
/// every advisory as its own postcard record, then one section per ecosystem: the sorted
/// package names of that ecosystem, each with the (offset, length, checksum) of the records
/// naming it. Offsets count from the body's start. Checksums: see [`checksum`].
///
/// Read with every string of the fingerprint borrowed from the file's bytes (`S = &str`): a
/// plain `--db` directory records 900 paths, which were as many allocations on every scan.
#[derive(Serialize, Deserialize)]
struct Header<S = String> {
    format: u32,
    tool: S,
    fingerprint: Fingerprint<S>,
    source: SourceInfo,
    errors: Vec<AdvisoryError>,
    notes: Vec<String>,
    sections: Vec<Section>,
}

#[derive(Serialize, Deserialize)]
struct Section {
    ecosystem: Ecosystem,
    offset: u64,
    len: u64,
    checksum: u64,
}

/// Where a record is: (offset, length, checksum).
type Record = (u64, u32, u64);

/// The records of a package.
type Records = BTreeSet<Record>;

/// One package of a section: its normalized name and where its records are (a postcard
/// `Vec<Record>`, decoded only for a wanted name).
type SectionEntry<'a> = (&'a str, &'a [u8]);

/// Load every `--db` path into one index, through the compiled cache under `cache_dir` when
/// one is given, then chainward's built-in records ([`super::builtin`]), which every index
/// has. A path that cannot be read at all is an error; bad records inside a source are
/// collected in [`Index::errors`] and skipped.
pub fn load(paths: &[PathBuf], cache_dir: Option<&Path>) -> Result<Index, AdvisoryError> {
    load_selected(paths, cache_dir, Select::All)
}

/// [`load`], keeping only the advisories `select` asks for. Sources, record counts, errors and
/// notes are those of the whole databases either way.
pub fn load_selected(paths: &[PathBuf], cache_dir: Option<&Path>, select: Select<'_>) -> Result<Index, AdvisoryError> {
    let mut index = Index::default();
    for path in paths {
        let compiled = if let Some(cache) = cache_dir {
            cached(path, cache, select)?
        } else {
            let mut compiled = compile(&resolve(path), &path.display().to_string())?;
            compiled.advisories.retain(|a| select.wants(a));
            compiled
        };
        index.sources.push(compiled.source);
        index.errors.extend(compiled.errors);
        index.notes.extend(compiled.notes);
        index.extend(compiled.advisories);
    }
    // Last, so that each database's own records come first in every group of aliases.
    let builtin = if let Some(cache) = cache_dir {
        cached_builtin(cache, select)
    } else {
        super::builtin::load(|a| select.wants(a)).into()
    };
    index.sources.push(builtin.source);
    index.errors.extend(builtin.errors);
    index.extend(builtin.advisories);
    Ok(index)
}

/// chainward's built-in records through a compiled index of their own (`<cache>/index/
/// builtin.bin`), read like any database's: parsing every record's JSON on every run cost a
/// warm scan a quarter of a millisecond. Its fingerprint is a checksum of the records' text, so
/// another build with other records compiles it again.
fn cached_builtin(cache: &Path, select: Select<'_>) -> Compiled {
    use std::hash::{BuildHasher as _, Hasher as _};
    let mut hasher = foldhash::quality::FixedState::with_seed(CHECKSUM_SEED).build_hasher();
    for (file, text) in super::builtin::RECORDS {
        hasher.write(file.as_bytes());
        hasher.write_u8(0);
        hasher.write(text.as_bytes());
        hasher.write_u8(0);
    }
    let sum = hasher.finish();
    let fingerprint = Fingerprint::Exact(format!("builtin:{}:{sum:016x}", super::builtin::RECORDS.len()));
    let file = cache.join("index").join("builtin.bin");
    if let Some(compiled) = read_compiled(&file, &|recorded| *recorded == fingerprint.borrowed(), select) {
        return compiled;
    }
    store(super::builtin::load(|_| true).into(), &fingerprint, &file, select)
}

impl From<super::builtin::Builtin> for Compiled {
    fn from(builtin: super::builtin::Builtin) -> Compiled {
        Compiled { source: builtin.source, errors: builtin.errors, notes: Vec::new(), advisories: builtin.advisories }
    }
}

/// Write a freshly compiled index to the cache `file`, best effort (a read-only cache only costs
/// speed; temporaries of killed writes go first), and keep the advisories `select` asks for.
fn store(mut compiled: Compiled, fingerprint: &Fingerprint, file: &Path, select: Select<'_>) -> Compiled {
    if let Some(bytes) = encode(&mut compiled, fingerprint) {
        if let Some(dir) = file.parent() {
            fsutil::clean_stale_temporaries(dir);
        }
        let _ = fsutil::write_atomically(file, &bytes);
    }
    compiled.advisories.retain(|a| select.wants(a));
    compiled
}

/// `path` with every symlink resolved, so that the fingerprint and the records come from the
/// same tree even when `path` is a link that an update re-points meanwhile (the managed
/// RustSec checkout is one: see [`super::local`]).
fn resolve(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The name a path is cached under: its directory canonicalized, but not a final symlink, so
/// that a link re-pointed at each update (the managed RustSec checkout) keeps one cache file
/// instead of leaving one behind per update.
fn cache_key(path: &Path, resolved: &Path) -> String {
    // When `path` is itself no link, that is its resolved path (known already: no second walk
    // of every component of the parent).
    let not_a_link = || std::fs::symlink_metadata(path).is_ok_and(|m| !m.file_type().is_symlink());
    let named = match (path.parent(), path.file_name()) {
        (Some(_), Some(name)) if resolved.file_name() == Some(name) && not_a_link() => resolved.to_path_buf(),
        (Some(parent), Some(name)) => {
            let parent = if parent.as_os_str().is_empty() { Path::new(".") } else { parent };
            std::fs::canonicalize(parent).map_or_else(|_| path.to_path_buf(), |p| p.join(name))
        }
        _ => resolve(path),
    };
    fsutil::hex(&Sha256::digest(named.to_string_lossy().as_bytes()))
}

/// The compiled index of `path` from the cache, or compiled now and cached.
fn cached(path: &Path, cache: &Path, select: Select<'_>) -> Result<Compiled, AdvisoryError> {
    let label = path.display().to_string();
    let resolved = resolve(path);
    let named = |mut e: AdvisoryError| {
        e.path.clone_from(&label);
        e
    };
    // A file or a git checkout is identified at once; a plain directory by what its index
    // recorded, checked without listing any directory.
    let quick = quick_fingerprint(&resolved, is_managed_copy(&resolved, cache)).map_err(named)?;
    let file = cache.join("index").join(format!("{}.bin", cache_key(path, &resolved)));
    let current = |recorded: &Fingerprint<&str>| match (&quick, recorded) {
        (Some(now), recorded) => now.borrowed() == *recorded,
        (None, recorded @ Fingerprint::Tree { .. }) => recorded.unchanged(&resolved),
        (None, Fingerprint::Exact(_)) => false,
    };
    if let Some(compiled) = read_compiled(&file, &current, select) {
        return Ok(compiled);
    }
    // Taken before the records are read: a change made meanwhile shows at the next run.
    let fingerprint = match quick {
        Some(print) => print,
        None => tree_fingerprint(&resolved).map_err(named)?,
    };
    Ok(store(compile(&resolved, &label)?, &fingerprint, &file, select))
}

/// The checksum of one part of a compiled index: a 64-bit hash with a fixed seed (foldhash's
/// quality variant). It guards against corruption of a file only chainward writes (who can
/// write the cache can write any checksum), at a fraction of SHA-256's cost: a warm scan checks
/// every byte it reads, and SHA-256 made a warm scan of deno's lockfile 40% slower. (CRC-32 was
/// as fast, but choosing its hardware path asks the processor for its features first: a dozen
/// CPUID instructions, which a virtual machine traps, ~60 µs a run here.)
fn checksum(bytes: &[u8]) -> u64 {
    use std::hash::BuildHasher as _;
    foldhash::quality::FixedState::with_seed(CHECKSUM_SEED).hash_one(bytes)
}

/// The seed of [`checksum`] (any constant; changing it invalidates every compiled index).
const CHECKSUM_SEED: u64 = 0x6368_6169_6e77_6172;

/// The compiled file's bytes. Each record is its affected entries, then the rest of the
/// advisory (with no affected entries), each a postcard value: a selective read decodes the
/// first, and the second only when the first is wanted ([`Select::Affecting`]).
fn encode(compiled: &mut Compiled, fingerprint: &Fingerprint) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    let mut by_key: BTreeMap<Ecosystem, BTreeMap<String, Records>> = BTreeMap::new();
    for advisory in &mut compiled.advisories {
        let offset = u64::try_from(body.len()).ok()?;
        let start = body.len();
        let affected = std::mem::take(&mut advisory.affected);
        let written = postcard::to_extend(&affected, body).and_then(|body| postcard::to_extend(&*advisory, body));
        advisory.affected = affected;
        body = written.ok()?;
        let len = u32::try_from(body.len() - start).ok()?;
        let sum = checksum(body.get(start..)?);
        for a in &advisory.affected {
            by_key.entry(a.ecosystem).or_default().entry(a.name.clone()).or_default().insert((offset, len, sum));
        }
    }
    let mut sections = Vec::new();
    for (ecosystem, keys) in by_key {
        let mut entries: Vec<(&str, Vec<u8>)> = Vec::with_capacity(keys.len());
        for (name, records) in &keys {
            let records: Vec<Record> = records.iter().copied().collect();
            entries.push((name.as_str(), postcard::to_stdvec(&records).ok()?));
        }
        let start = body.len();
        body = postcard::to_extend(&entries, body).ok()?;
        let bytes = body.get(start..)?;
        sections.push(Section {
            ecosystem,
            offset: u64::try_from(start).ok()?,
            len: u64::try_from(bytes.len()).ok()?,
            checksum: checksum(bytes),
        });
    }
    let header = Header {
        format: FORMAT,
        tool: env!("CARGO_PKG_VERSION"),
        fingerprint: fingerprint.borrowed(),
        source: compiled.source.clone(),
        errors: compiled.errors.clone(),
        notes: compiled.notes.clone(),
        sections,
    };
    let header = postcard::to_stdvec(&header).ok()?;
    let mut out = Vec::with_capacity(PREFIX + header.len() + body.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&u32::try_from(header.len()).ok()?.to_le_bytes());
    out.extend_from_slice(&checksum(&header).to_le_bytes());
    out.extend_from_slice(&header);
    out.extend_from_slice(&body);
    Some(out)
}

/// Read `len` bytes at `at` into the start of `buf`, when they lie inside a file of `file_len`
/// bytes (a corrupt length never makes us allocate more than the file holds), and return them.
/// `buf` is reused from read to read and only grows: its bytes past the returned ones are left
/// from earlier reads.
fn read_at<'b>(f: &mut std::fs::File, file_len: u64, at: u64, len: u64, buf: &'b mut Vec<u8>) -> Option<&'b [u8]> {
    if at.checked_add(len)? > file_len {
        return None;
    }
    let len = usize::try_from(len).ok()?;
    // One `pread` where there is one: a scan reads a few dozen places of the index, and a seek
    // before each read was as many system calls again.
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileExt as _;
        // Every byte returned is overwritten: only bytes the buffer never held are zero-filled
        // (filling the whole length at every read zeroed as many bytes as were read, ~800 KB on
        // a large lockfile).
        if buf.len() < len {
            buf.resize(len, 0);
        }
        let dest = buf.get_mut(..len)?;
        f.read_exact_at(dest, at).ok()?;
        Some(dest)
    }
    #[cfg(not(unix))]
    {
        f.seek(SeekFrom::Start(at)).ok()?;
        // Read into the buffer's spare capacity: no zero-filling of bytes about to be overwritten.
        buf.clear();
        buf.reserve(len);
        let n = f.by_ref().take(u64::try_from(len).ok()?).read_to_end(buf).ok()?;
        (n == len).then_some(buf.as_slice())
    }
}

/// Read a compiled file when it is current (same format and tool version, and a fingerprint
/// `current` accepts) and intact (every checksum of what is read matches), loading only the
/// records `select` asks for. Any problem means "not usable": recompile.
fn read_compiled(file: &Path, current: &dyn Fn(&Fingerprint<&str>) -> bool, select: Select<'_>) -> Option<Compiled> {
    let mut f = std::fs::File::open(file).ok()?;
    let meta = f.metadata().ok()?;
    if !meta.is_file() {
        return None;
    }
    let file_len = meta.len();
    let mut head = [0u8; PREFIX];
    f.read_exact(&mut head).ok()?;
    let (magic, rest) = head.split_first_chunk::<8>()?;
    let (len, rest) = rest.split_first_chunk::<4>()?;
    let sum = rest.first_chunk::<8>()?;
    if magic != MAGIC {
        return None;
    }
    let header_len = u64::from(u32::from_le_bytes(*len));
    // The header's bytes stay while its borrowed strings are in use; `buf` takes the rest.
    let mut header_buf = Vec::new();
    let header_bytes = read_at(&mut f, file_len, PREFIX as u64, header_len, &mut header_buf)?;
    if checksum(header_bytes) != u64::from_le_bytes(*sum) {
        return None;
    }
    let header: Header<&str> = postcard::from_bytes(header_bytes).ok()?;
    if header.format != FORMAT || header.tool != env!("CARGO_PKG_VERSION") || !current(&header.fingerprint) {
        return None;
    }
    let body = (PREFIX as u64).checked_add(header_len)?;
    let mut buf = Vec::new();
    let wanted = select.wanted();
    let mut records: BTreeSet<Record> = BTreeSet::new();
    for section in &header.sections {
        // A selective read skips the sections of ecosystems no wanted package is in.
        let names = wanted.map(|w| w.names(section.ecosystem));
        if matches!(names, Some(None)) {
            continue;
        }
        let bytes = read_at(&mut f, file_len, body.checked_add(section.offset)?, section.len, &mut buf)?;
        if checksum(bytes) != section.checksum {
            return None;
        }
        // The section is a postcard `Vec<SectionEntry>`: its length, then each entry, read one
        // by one (no list of thousands of names built to be looked through once).
        let (count, mut rest) = postcard::take_from_bytes::<usize>(bytes).ok()?;
        for _ in 0..count {
            let ((name, at), after) = postcard::take_from_bytes::<SectionEntry<'_>>(rest).ok()?;
            rest = after;
            if names.flatten().is_none_or(|names| names.contains_key(name)) {
                records.extend(postcard::from_bytes::<Vec<Record>>(at).ok()?);
            }
        }
    }
    let mut advisories = Vec::with_capacity(records.len());
    let records: Vec<Record> = records.into_iter().collect();
    // Records close to each other are read with one system call.
    let mut rest = records.as_slice();
    while let Some(&(start, _, _)) = rest.first() {
        let mut end = start;
        let mut n = 0;
        for &(offset, len, _) in rest {
            if offset > end.saturating_add(READ_GAP) {
                break;
            }
            end = end.max(offset.checked_add(u64::from(len))?);
            n += 1;
        }
        let (chunk, after) = rest.split_at(n);
        rest = after;
        let read = read_at(&mut f, file_len, body.checked_add(start)?, end - start, &mut buf)?;
        for &(offset, len, sum) in chunk {
            let from = usize::try_from(offset - start).ok()?;
            let bytes = read.get(from..from.checked_add(usize::try_from(len).ok()?)?)?;
            if checksum(bytes) != sum {
                return None;
            }
            // Whether the record matters is decided on its affected entries borrowed from the
            // buffer (`&str` and `String` encode alike): most candidates do not, and cost no
            // string copies; the few that do are decoded owned.
            let (affected, rest) = postcard::take_from_bytes::<Vec<Affected<&str>>>(bytes).ok()?;
            if !select.wants_affected(&affected) {
                continue;
            }
            let (affected, _) = postcard::take_from_bytes::<Vec<Affected>>(bytes).ok()?;
            let mut advisory = postcard::from_bytes::<Advisory>(rest).ok()?;
            advisory.affected = affected;
            advisories.push(advisory);
        }
    }
    Some(Compiled { source: header.source, errors: header.errors, notes: header.notes, advisories })
}

/// Compile the source at `path` (already resolved), named `label` in the report.
fn compile(path: &Path, label: &str) -> Result<Compiled, AdvisoryError> {
    let err = |message: String| AdvisoryError { path: label.to_owned(), record: None, message };
    let meta = std::fs::metadata(path).map_err(|e| {
        err(if e.kind() == std::io::ErrorKind::NotFound {
            "no such file or directory".to_owned()
        } else {
            e.to_string()
        })
    })?;
    let mut notes = Vec::new();
    let (name, advisories, mut errors, failed, withdrawn) = if meta.is_dir() && rustsec::is_rustsec_dir(path) {
        let loaded = rustsec::load(path)?;
        ("rustsec", loaded.advisories, loaded.errors, loaded.failed, loaded.withdrawn)
    } else {
        let loaded = osv::load(path)?;
        if loaded.advisories.is_empty() && loaded.failed == 0 && loaded.withdrawn == 0 {
            return Err(err(
                "no advisories found (expected a RustSec advisory-db checkout, OSV JSON files or an OSV zip)"
                    .to_owned(),
            ));
        }
        if !loaded.unknown_ecosystems.is_empty() {
            notes.push(unknown_ecosystems_note(label, &loaded.unknown_ecosystems));
        }
        ("osv", loaded.advisories, loaded.errors, loaded.failed, loaded.withdrawn)
    };
    if failed > errors.len() {
        errors.push(err(format!(
            "{} more records failed to load (only the first {MAX_ERRORS} are listed)",
            failed - errors.len()
        )));
    }
    if advisories.is_empty() && (failed > 0 || withdrawn == 0) {
        let withdrawn = if withdrawn > 0 { format!(" ({withdrawn} withdrawn)") } else { String::new() };
        errors.push(err(if failed > 0 {
            format!("no usable advisory record: all {failed} entries failed to load{withdrawn}")
        } else {
            "no usable advisory record: the source holds no advisory".to_owned()
        }));
    }
    Ok(Compiled {
        source: SourceInfo {
            name: name.to_owned(),
            path: label.to_owned(),
            records: advisories.len(),
            ecosystems: advisories.iter().flat_map(|a| a.affected.iter().map(|x| x.ecosystem)).collect(),
        },
        errors,
        notes,
        advisories,
    })
}

/// The note about skipped ecosystems: the names are the records' text, so each is sanitised and
/// clipped, and the list is cut after a few.
fn unknown_ecosystems_note(label: &str, names: &BTreeSet<String>) -> String {
    const SHOWN: usize = 20;
    let mut list: Vec<String> = names.iter().take(SHOWN).map(|n| crate::sanitize::value(n)).collect();
    if names.len() > SHOWN {
        list.push(format!("and {} more", names.len() - SHOWN));
    }
    format!("{label}: entries for ecosystems chainward does not match were skipped: {}", list.join(", "))
}

/// What identifies the content of a source (its strings owned, or borrowed from an index file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
enum Fingerprint<S = String> {
    /// Compared whole. The managed RustSec copy: its directory and `.chainward-source`. A git
    /// checkout given to `--db`: its HEAD commit and the time its index was last written (every
    /// fetch, reset or checkout rewrites it); uncommitted edits are therefore not seen until
    /// committed. A file: its size and modification time.
    Exact(S),
    /// A plain directory: the modification time of every directory in it (itself included),
    /// by relative path, and every symbolic link to a file with its target's size and time.
    /// Adding, removing or renaming a file changes its directory's time (that is how `git`,
    /// `rsync`, editors and `tar` replace files), so checking the recorded directories, without
    /// listing any of them or touching a file, tells whether the tree changed. A file
    /// rewritten in place (same name, its directory untouched) is not seen until a directory
    /// changes.
    ///
    /// The directory is named by its real path (a link re-pointed at another tree changes it).
    /// Inode times come from a clock that moves in ticks of a few milliseconds (whole seconds on
    /// some file systems), so a directory changed within a tick of the walk could change again
    /// unseen: such a print is `racy` ([`RACY`], [`COARSE_RACY`]) and never trusted (the next
    /// run compiles again), as git treats racily clean index entries.
    Tree {
        /// The directory, every link resolved.
        root: S,
        /// Some directory changed too close to the walk for its time to be trusted.
        racy: bool,
        /// (relative path, modification time in nanoseconds since the epoch)
        dirs: Vec<(S, u128)>,
        /// (relative path, target size, target modification time)
        links: Vec<(S, u64, u128)>,
    },
}

impl Fingerprint {
    /// The same fingerprint, its strings borrowed.
    fn borrowed(&self) -> Fingerprint<&str> {
        match self {
            Fingerprint::Exact(s) => Fingerprint::Exact(s),
            Fingerprint::Tree { root, racy, dirs, links } => Fingerprint::Tree {
                root,
                racy: *racy,
                dirs: dirs.iter().map(|(rel, mtime)| (rel.as_str(), *mtime)).collect(),
                links: links.iter().map(|(rel, len, mtime)| (rel.as_str(), *len, *mtime)).collect(),
            },
        }
    }
}

impl Fingerprint<&str> {
    /// Whether the tree at `root` still has the recorded directories and links, unchanged.
    fn unchanged(&self, root: &Path) -> bool {
        let Fingerprint::Tree { root: recorded, racy: false, dirs, links } = self else { return false };
        if *recorded != root.to_string_lossy() {
            return false;
        }
        dirs_unchanged(root, dirs)
            && links.iter().all(|(rel, len, mtime)| {
                std::fs::metadata(under(root, rel)).is_ok_and(|m| m.is_file() && m.len() == *len && nanos(&m) == *mtime)
            })
    }
}

/// The path of `rel` (`/`-separated, empty for `root` itself) under `root`.
fn under(root: &Path, rel: &str) -> PathBuf {
    if rel.is_empty() { root.to_path_buf() } else { root.join(rel) }
}

/// Whether `path` is still a directory (not a link to one) with modification time `mtime`.
fn dir_unchanged(path: &Path, mtime: u128) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir() && nanos(&m) == mtime)
}

/// Whether every recorded directory (relative path, modification time) under `root` is still a
/// directory (not a link to one) with that time.
#[cfg(not(unix))]
fn dirs_unchanged<S: AsRef<str>>(root: &Path, dirs: &[(S, u128)]) -> bool {
    dirs.iter().all(|(rel, mtime)| dir_unchanged(&under(root, rel.as_ref()), *mtime))
}

/// Whether every recorded directory (relative path, modification time) under `root` is still a
/// directory (not a link to one) with that time. Each is looked up by its name in its opened
/// parent (`fstatat`): RustSec's 900 directories under `crates/` cost 40% less than by whole
/// paths, which the kernel walks from the root each time.
#[cfg(unix)]
fn dirs_unchanged<S: AsRef<str>>(root: &Path, dirs: &[(S, u128)]) -> bool {
    use rustix::fs::{AtFlags, FileType, Mode, OFlags, open, statat};
    let same = |stat: &rustix::fs::Stat, mtime: u128| {
        // As `nanos` reads std's time: nanoseconds since the epoch, 0 before it.
        let since = i128::from(stat.st_mtime) * 1_000_000_000 + i128::from(stat.st_mtime_nsec);
        let nanos = u128::try_from(since).unwrap_or(0);
        FileType::from_raw_mode(stat.st_mode).is_dir() && nanos == mtime
    };
    // The parent last opened: siblings come together (the list is sorted).
    let mut opened: Option<(&str, rustix::fd::OwnedFd)> = None;
    for (rel, mtime) in dirs {
        let rel = rel.as_ref();
        if rel.is_empty() {
            if !dir_unchanged(root, *mtime) {
                return false;
            }
            continue;
        }
        let (parent, name) = rel.rsplit_once('/').unwrap_or(("", rel));
        if opened.as_ref().is_none_or(|(p, _)| *p != parent) {
            let dir = under(root, parent);
            // Only a directory, never through a link, never waiting (a FIFO put in its place
            // would block a plain open): anything else is a change.
            let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
            let Ok(fd) = open(&dir, flags, Mode::empty()) else { return false };
            opened = Some((parent, fd));
        }
        let Some((_, fd)) = &opened else { return false };
        if !statat(fd, name, AtFlags::SYMLINK_NOFOLLOW).is_ok_and(|stat| same(&stat, *mtime)) {
            return false;
        }
    }
    true
}

/// Times within this margin of a walk's start are racy: a tick of the inode clock, with room.
const RACY: std::time::Duration = std::time::Duration::from_millis(100);

/// [`RACY`] on a file system whose times are whole seconds.
const COARSE_RACY: std::time::Duration = std::time::Duration::from_secs(3);

/// A modification time in nanoseconds since the epoch (0 when unknown).
fn nanos(m: &std::fs::Metadata) -> u128 {
    m.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()).map_or(0, |d| d.as_nanos())
}

/// Whether `resolved` is a version of the managed RustSec copy under `cache`: a
/// `rustsec-<stamp>` directory of `<cache>/db`, which an update extracts once and never changes
/// (see [`super::local`]). Only there is `.chainward-source` believed: a copy of it elsewhere may
/// be edited.
fn is_managed_copy(resolved: &Path, cache: &Path) -> bool {
    resolved.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("rustsec-"))
        && resolved.parent().zip(std::fs::canonicalize(cache.join("db")).ok()).is_some_and(|(p, db)| p == db)
}

/// The fingerprint of a file, a git checkout or (`managed`) a version of the managed RustSec
/// copy, which costs a few system calls; `None` for a plain directory (see
/// [`Fingerprint::Tree`]).
fn quick_fingerprint(path: &Path, managed: bool) -> Result<Option<Fingerprint>, AdvisoryError> {
    let meta = std::fs::metadata(path).map_err(|e| AdvisoryError {
        path: path.display().to_string(),
        record: None,
        message: e.to_string(),
    })?;
    if !meta.is_dir() {
        return Ok(Some(Fingerprint::Exact(format!("file:{}:{}", meta.len(), nanos(&meta)))));
    }
    // The managed RustSec copy (see [`super::local`]): each update extracts into a new directory
    // named by its time and never changes it afterwards, and leaves `.chainward-source` (the
    // archive's URL, commit and ETag) in it; the directory's real path and that file name it.
    if managed && let Ok(source) = fsutil::read_regular(&path.join(super::local::SOURCE_FILE), MAX_GIT_FILE) {
        let source = String::from_utf8_lossy(&source);
        return Ok(Some(Fingerprint::Exact(format!("archive:{}:{}", path.display(), source.trim()))));
    }
    Ok(git_head(&path.join(".git")).map(|head| {
        let index = std::fs::metadata(path.join(".git/index")).map_or(0, |m| nanos(&m));
        Fingerprint::Exact(format!("git:{head}:{index}"))
    }))
}

/// The fingerprint of a source. For a plain directory, the walk lists directories and reads only
/// metadata, so a FIFO or a device in the tree never blocks it. Symbolic links are not followed
/// into directories (no loops); a link to a file counts with the file's size and time, as the
/// loaders read through it.
#[cfg(test)]
fn fingerprint(path: &Path) -> Result<Fingerprint, AdvisoryError> {
    match quick_fingerprint(path, false)? {
        Some(print) => Ok(print),
        None => tree_fingerprint(path),
    }
}

/// [`Fingerprint::Tree`] of a plain directory.
fn tree_fingerprint(path: &Path) -> Result<Fingerprint, AdvisoryError> {
    let err =
        |e: std::io::Error| AdvisoryError { path: path.display().to_string(), record: None, message: e.to_string() };
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let mut dirs = Vec::new();
    let mut links = Vec::new();
    let mut stack = vec![(path.to_path_buf(), String::new())];
    while let Some((dir, rel)) = stack.pop() {
        let meta = std::fs::symlink_metadata(&dir).map_err(err)?;
        dirs.push((rel.clone(), nanos(&meta)));
        for entry in std::fs::read_dir(&dir).map_err(err)?.flatten() {
            let Ok(kind) = entry.file_type() else { continue };
            let name = entry.file_name().to_string_lossy().into_owned();
            let child = if rel.is_empty() { name } else { format!("{rel}/{name}") };
            if kind.is_dir() {
                stack.push((entry.path(), child));
            } else if kind.is_symlink()
                && let Ok(target) = std::fs::metadata(entry.path())
                && target.is_file()
            {
                links.push((child, target.len(), nanos(&target)));
            }
        }
    }
    dirs.sort();
    links.sort();
    // A file system that keeps whole seconds (ext3, HFS+, some network mounts) or two (FAT) moves
    // its clock in those steps: a time without a fraction of a second widens the window to 3 s.
    let coarse = dirs.iter().any(|(_, t)| t % 1_000_000_000 == 0);
    let window = if coarse { COARSE_RACY.as_nanos() } else { RACY.as_nanos() };
    let since = now.saturating_sub(window);
    let racy = dirs.iter().any(|(_, t)| *t >= since) || links.iter().any(|(_, _, t)| *t >= since);
    Ok(Fingerprint::Tree { root: path.to_string_lossy().into_owned(), racy, dirs, links })
}

/// A small text file of a git directory, when it is a regular file (never a FIFO or device).
fn read_git_file(path: &Path) -> Option<String> {
    String::from_utf8(fsutil::read_regular(path, MAX_GIT_FILE).ok()?).ok()
}

/// The commit `HEAD` names, read from the files (starting libgit2, with its TLS library, costs
/// more than the whole scan).
fn git_head(git_dir: &Path) -> Option<String> {
    let head = read_git_file(&git_dir.join("HEAD"))?;
    let head = head.trim();
    let Some(reference) = head.strip_prefix("ref: ") else {
        return Some(head.to_owned()).filter(|h| h.len() >= 40);
    };
    if reference.split('/').any(|seg| seg == ".." || seg.is_empty()) {
        return None;
    }
    if let Some(id) = read_git_file(&git_dir.join(reference)) {
        return Some(id.trim().to_owned());
    }
    let packed = read_git_file(&git_dir.join("packed-refs"))?;
    packed.lines().find_map(|l| {
        let (id, name) = l.split_once(' ')?;
        (name == reference).then(|| id.to_owned())
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
    fn wanted_lists_each_version_of_a_package_once_per_ecosystem() {
        let wanted = Wanted::new([
            (Ecosystem::Cargo, "a", "1.0.0"),
            (Ecosystem::Cargo, "b", "2.0.0"),
            (Ecosystem::Cargo, "a", "1.1.0"),
            (Ecosystem::Npm, "a", "9.0.0"),
            (Ecosystem::Cargo, "a", "1.0.0"),
            (Ecosystem::Cargo, "a", "1.2.0"),
            (Ecosystem::PyPI, "Foo_Bar", "1.0"),
        ]);
        let versions = |e, name| wanted.versions(e, name).map(|v| v.map(|v| v.raw).collect::<Vec<_>>());
        assert_eq!(versions(Ecosystem::Cargo, "a"), Some(vec!["1.0.0", "1.1.0", "1.2.0"]));
        assert_eq!(versions(Ecosystem::Cargo, "b"), Some(vec!["2.0.0"]));
        assert_eq!(versions(Ecosystem::Npm, "a"), Some(vec!["9.0.0"]));
        assert_eq!(versions(Ecosystem::Npm, "b"), None);
        assert_eq!(versions(Ecosystem::Go, "a"), None);
        // Names are kept as the ecosystem compares them (PEP 503 for PyPI).
        assert_eq!(versions(Ecosystem::PyPI, "foo-bar"), Some(vec!["1.0"]));
    }

    #[test]
    fn a_read_returns_exactly_its_bytes_whatever_the_buffer_held_before() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("index.bin");
        let content: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
        std::fs::write(&path, &content).unwrap();
        let mut f = std::fs::File::open(&path).unwrap();
        let len = content.len() as u64;
        let mut buf = Vec::new();
        // Long, then short, then longer again: each answer is the file's bytes at that place,
        // never the tail of an earlier read.
        for (at, n) in [(100usize, 5_000usize), (7_000, 10), (0, 0), (3, 9_997), (9_999, 1), (50, 6_000)] {
            let read = read_at(&mut f, len, at as u64, n as u64, &mut buf).unwrap();
            assert_eq!(read, &content[at..at + n], "at {at}, {n} bytes");
        }
        // A range past the end is refused, however large the buffer already is.
        assert!(read_at(&mut f, len, 9_999, 2, &mut buf).is_none());
        assert!(read_at(&mut f, len, u64::MAX, 1, &mut buf).is_none());
        // The buffer grew to the longest read only; a refused read allocated nothing.
        assert_eq!(buf.len(), 9_997);
    }

    #[test]
    fn unknown_ecosystems_are_a_note_not_an_error() {
        let db = tempfile::tempdir().unwrap();
        std::fs::write(db.path().join("a.json"), RECORD).unwrap();
        std::fs::write(
            db.path().join("b.json"),
            RECORD.replace("npm", "Alpine:v3.18").replace("GHSA-aaaa", "ALPINE-1"),
        )
        .unwrap();
        let index = load(&[db.path().to_path_buf()], None).unwrap();
        assert_eq!(index.len(), 2 + BUILTIN.len(), "the database's records and the built-in ones");
        assert!(index.errors.is_empty(), "{:?}", index.errors);
        assert_eq!(index.notes.len(), 1);
        assert!(index.notes[0].contains("Alpine:v3.18"), "{:?}", index.notes);
    }

    #[test]
    fn errors_and_notes_survive_the_compiled_cache() {
        let db = tempfile::tempdir().unwrap();
        let cache = tempfile::tempdir().unwrap();
        std::fs::write(db.path().join("a.json"), RECORD).unwrap();
        std::fs::write(db.path().join("b.json"), "{\"id\": \"GHSA-bad\", \"affected\": 1}").unwrap();
        std::fs::write(db.path().join("c.json"), RECORD.replace("npm", "Debian:12").replace("GHSA-aaaa", "DEB-1"))
            .unwrap();
        let paths = vec![db.path().to_path_buf()];
        let cold = load(&paths, Some(cache.path())).unwrap();
        assert_eq!(cold.errors.len(), 1, "{:?}", cold.errors);
        assert_eq!(cold.errors[0].record.as_deref(), Some("GHSA-bad"));
        assert_eq!(cold.notes.len(), 1);
        let file = indexes(cache.path())[0].clone();
        let warm_file = read_compiled(&file, &|_| true, Select::All).expect("the cache is used");
        assert_eq!(warm_file.errors, cold.errors);
        let warm = load_selected(&paths, Some(cache.path()), Select::Packages(&Wanted::default())).unwrap();
        assert_eq!(warm.errors, cold.errors, "a warm scan reports what the cold one did");
        assert_eq!(warm.notes, cold.notes);
    }

    #[test]
    fn a_corrupted_index_is_recompiled_never_trusted() {
        let db = tempfile::tempdir().unwrap();
        let cache = tempfile::tempdir().unwrap();
        std::fs::write(db.path().join("a.json"), RECORD.replace("\"old\"", "\"original summary\"")).unwrap();
        let paths = vec![db.path().to_path_buf()];
        let summary = |index: &Index| index.lookup(Ecosystem::Npm, "left-pad", "1.0.0").0[0].advisory.summary.clone();
        assert_eq!(summary(&load(&paths, Some(cache.path())).unwrap()), "original summary");
        let file = indexes(cache.path())[0].clone();
        let pristine = std::fs::read(&file).unwrap();
        let find = |bytes: &[u8], what: &[u8]| bytes.windows(what.len()).position(|w| w == what).unwrap();

        // A byte flipped inside a record: still a well-formed record, but not the one written.
        let mut bytes = pristine.clone();
        let at = find(&bytes, b"original summary");
        bytes[at] = b'O';
        std::fs::write(&file, &bytes).unwrap();
        let keys = Wanted::new([(Ecosystem::Npm, "left-pad", "1.0.0")]);
        let index = load_selected(&paths, Some(cache.path()), Select::Packages(&keys)).unwrap();
        assert_eq!(summary(&index), "original summary", "the flipped record is not believed");
        assert_eq!(std::fs::read(&file).unwrap(), pristine, "and the index is rewritten");

        // A byte flipped in the header (the source's path, its first occurrence) or in a section
        // (a package name, its last occurrence: sections follow the records).
        let path = db.path().to_str().unwrap().as_bytes();
        let name = b"left-pad".as_slice();
        let last = pristine.windows(name.len()).rposition(|w| w == name).unwrap();
        for at in [find(&pristine, path) + path.len() - 1, last] {
            let mut bytes = pristine.clone();
            bytes[at] ^= 0x01;
            std::fs::write(&file, &bytes).unwrap();
            assert!(read_compiled(&file, &|_| true, Select::All).is_none());
            assert_eq!(summary(&load(&paths, Some(cache.path())).unwrap()), "original summary");
        }
    }

    #[test]
    fn a_source_with_no_usable_record_is_an_error_unless_all_were_withdrawn() {
        let db = tempfile::tempdir().unwrap();
        std::fs::write(db.path().join("a.json"), "{\"id\": \"A-1\", \"affected\": 1}").unwrap();
        std::fs::write(db.path().join("b.json"), "not json").unwrap();
        let index = load(&[db.path().to_path_buf()], None).unwrap();
        assert_eq!(index.errors.len(), 3, "{:?}", index.errors);
        assert_eq!(index.errors[2].message, "no usable advisory record: all 2 entries failed to load");
        assert_eq!(index.errors[2].path, db.path().display().to_string());

        let withdrawn = tempfile::tempdir().unwrap();
        std::fs::write(
            withdrawn.path().join("a.json"),
            RECORD.replace("\"summary\"", "\"withdrawn\": \"2099-01-01T00:00:00Z\", \"summary\""),
        )
        .unwrap();
        let index = load(&[withdrawn.path().to_path_buf()], None).unwrap();
        assert!(index.errors.is_empty(), "{:?}", index.errors);

        let empty = tempfile::tempdir().unwrap();
        std::fs::create_dir(empty.path().join("crates")).unwrap();
        let index = load(&[empty.path().to_path_buf()], None).unwrap();
        assert_eq!(index.errors.len(), 1, "{:?}", index.errors);
        assert!(index.errors[0].message.contains("holds no advisory"), "{:?}", index.errors);
    }

    #[test]
    fn more_errors_than_kept_are_counted_in_one_more_error() {
        let db = tempfile::tempdir().unwrap();
        for i in 0..MAX_ERRORS + 7 {
            std::fs::write(db.path().join(format!("{i}.json")), "{").unwrap();
        }
        std::fs::write(db.path().join("good.json"), RECORD).unwrap();
        let index = load(&[db.path().to_path_buf()], None).unwrap();
        assert_eq!(index.errors.len(), MAX_ERRORS + 1);
        assert!(
            index.errors[MAX_ERRORS].message.starts_with("7 more records failed to load"),
            "{}",
            index.errors[MAX_ERRORS]
        );
    }

    #[cfg(unix)]
    #[test]
    fn the_fingerprint_walk_follows_no_directory_link_and_opens_nothing() {
        let db = tempfile::tempdir().unwrap();
        std::fs::write(db.path().join("a.json"), RECORD).unwrap();
        assert!(std::process::Command::new("mkfifo").arg(db.path().join("pipe")).status().unwrap().success());
        std::os::unix::fs::symlink(db.path(), db.path().join("loop")).unwrap();
        std::os::unix::fs::symlink("/dev/zero", db.path().join("zero")).unwrap();
        let git = db.path().join(".git");
        std::fs::create_dir(&git).unwrap();
        assert!(std::process::Command::new("mkfifo").arg(git.join("HEAD")).status().unwrap().success());
        let (tx, rx) = std::sync::mpsc::channel();
        let root = db.path().to_path_buf();
        std::thread::spawn(move || tx.send(fingerprint(&root)));
        let first = rx.recv_timeout(std::time::Duration::from_secs(120)).expect("the walk hung").unwrap();
        // A link to a file counts with the file's size, as the loaders read through it.
        let target = db.path().join("b.json");
        std::fs::write(&target, "x").unwrap();
        std::os::unix::fs::symlink(&target, db.path().join("link.json")).unwrap();
        let second = fingerprint(db.path()).unwrap();
        std::fs::write(&target, "xyz").unwrap();
        assert_ne!(fingerprint(db.path()).unwrap(), second, "the linked file changed");
        assert_ne!(first, second);
    }

    #[cfg(unix)]
    #[test]
    fn a_link_re_pointed_at_a_new_tree_keeps_one_cache_file() {
        let root = tempfile::tempdir().unwrap();
        let cache = tempfile::tempdir().unwrap();
        for (dir, summary) in [("v1", "first"), ("v2", "second")] {
            std::fs::create_dir(root.path().join(dir)).unwrap();
            std::fs::write(root.path().join(dir).join("a.json"), RECORD.replace("old", summary)).unwrap();
        }
        let link = root.path().join("current");
        std::os::unix::fs::symlink("v1", &link).unwrap();
        let paths = vec![link.clone()];
        let summary = |index: &Index| index.lookup(Ecosystem::Npm, "left-pad", "1.0.0").0[0].advisory.summary.clone();
        assert_eq!(summary(&load(&paths, Some(cache.path())).unwrap()), "first");
        let swap = root.path().join("swap");
        std::os::unix::fs::symlink("v2", &swap).unwrap();
        std::fs::rename(&swap, &link).unwrap();
        let index = load(&paths, Some(cache.path())).unwrap();
        assert_eq!(summary(&index), "second");
        assert_eq!(index.sources[0].path, link.display().to_string(), "reported by the name given");
        assert_eq!(indexes(cache.path()).len(), 1);
    }

    #[test]
    fn stale_temporaries_in_the_index_directory_are_removed_when_compiling() {
        let db = tempfile::tempdir().unwrap();
        let cache = tempfile::tempdir().unwrap();
        std::fs::write(db.path().join("a.json"), RECORD).unwrap();
        let dir = cache.path().join("index");
        std::fs::create_dir_all(&dir).unwrap();
        let stale = dir.join(".0123.bin.chainward-4999999.tmp");
        std::fs::write(&stale, vec![0u8; 4096]).unwrap();
        load(&[db.path().to_path_buf()], Some(cache.path())).unwrap();
        assert!(!stale.exists());
        assert_eq!(indexes(cache.path()).len(), 1, "only the new index");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 2, "and the built-in records' index");
    }

    #[test]
    fn the_built_in_records_are_in_every_index_and_follow_the_selection() {
        let db = tempfile::tempdir().unwrap();
        std::fs::write(db.path().join("a.json"), RECORD).unwrap();
        let paths = vec![db.path().to_path_buf()];
        let keys = Wanted::new([(Ecosystem::Npm, "ua-parser-js", "1.0.0")]);
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

    /// `.chainward-source` is believed only in a version of the managed copy: a `--db` directory
    /// holding one (a copy of the managed database, edited) is checked like any other.
    #[test]
    fn a_source_note_outside_the_managed_database_is_not_believed() {
        let db = tempfile::tempdir().unwrap();
        let cache = tempfile::tempdir().unwrap();
        std::fs::write(db.path().join(super::super::local::SOURCE_FILE), "{}\n").unwrap();
        std::fs::write(db.path().join("a.json"), RECORD).unwrap();
        age(&[db.path()]);
        let paths = vec![db.path().to_path_buf()];
        assert_eq!(load(&paths, Some(cache.path())).unwrap().len(), 1 + BUILTIN.len());
        std::fs::write(db.path().join("b.json"), RECORD.replace("GHSA-aaaa", "GHSA-eeee")).unwrap();
        assert_eq!(load(&paths, Some(cache.path())).unwrap().len(), 2 + BUILTIN.len(), "the new record is seen");
        // In the managed database, the note names the version.
        let managed = cache.path().join("db/rustsec-1-2");
        std::fs::create_dir_all(&managed).unwrap();
        std::fs::write(managed.join(super::super::local::SOURCE_FILE), "{\"commit\": \"abc\"}\n").unwrap();
        let resolved = std::fs::canonicalize(&managed).unwrap();
        assert!(is_managed_copy(&resolved, cache.path()));
        assert!(!is_managed_copy(&std::fs::canonicalize(db.path()).unwrap(), cache.path()));
        assert!(
            matches!(quick_fingerprint(&resolved, true).unwrap(), Some(Fingerprint::Exact(p)) if p.contains("abc"))
        );
    }

    /// On a file system that keeps whole seconds, a time within 3 s of the walk is racy.
    #[test]
    fn whole_second_times_widen_the_racy_window() {
        let db = tempfile::tempdir().unwrap();
        std::fs::write(db.path().join("a.json"), RECORD).unwrap();
        let whole = |ago: u64| {
            let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() - ago;
            std::fs::File::open(db.path())
                .unwrap()
                .set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
                .unwrap();
        };
        let racy = || matches!(fingerprint(db.path()).unwrap(), Fingerprint::Tree { racy: true, .. });
        whole(0);
        assert!(racy(), "this second");
        whole(1);
        assert!(racy(), "the second before: a change later in it would not show");
        whole(10);
        assert!(!racy());
    }

    /// The built-in records go through a compiled index of their own, which a corrupted file
    /// never fools.
    #[test]
    fn the_built_in_records_have_their_own_compiled_index() {
        let cache = tempfile::tempdir().unwrap();
        let keys = Wanted::new([(Ecosystem::Npm, "ua-parser-js", "1.0.0")]);
        let file = cache.path().join("index/builtin.bin");
        for round in ["compiles", "reads", "garbage", "a corrupted record"] {
            match round {
                "garbage" => std::fs::write(&file, b"garbage").unwrap(),
                "a corrupted record" => {
                    let mut bytes = std::fs::read(&file).unwrap();
                    let at = bytes.windows(12).position(|w| w == b"ua-parser-js").unwrap();
                    bytes[at] = b'U';
                    std::fs::write(&file, bytes).unwrap();
                }
                _ => {}
            }
            let index = load_selected(&[], Some(cache.path()), Select::Packages(&keys)).unwrap();
            assert!(file.is_file(), "{round}");
            assert_eq!(index.sources.len(), 1, "{round}");
            assert_eq!(index.sources[0].records, BUILTIN.len(), "{round}");
            assert!(index.errors.is_empty(), "{round}");
            assert_eq!(index.len(), 1, "{round}: only the record naming ua-parser-js");
            assert_eq!(index.lookup(Ecosystem::Npm, "ua-parser-js", "0.7.29").0.len(), 1, "{round}");
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

    /// The compiled indexes of databases under a cache (the built-in records' own one left out).
    fn indexes(cache: &Path) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(cache.join("index"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.file_name().is_some_and(|n| n != "builtin.bin"))
            .collect();
        files.sort();
        files
    }

    /// Set the directories' modification times an hour back, as a database has between updates
    /// (times within a tick of a walk are racy and never trusted).
    fn age(dirs: &[&Path]) {
        let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        for dir in dirs {
            std::fs::File::open(dir).unwrap().set_modified(hour_ago).unwrap();
        }
    }

    #[test]
    fn the_cache_is_used_while_the_source_is_unchanged_and_rebuilt_when_it_changes() {
        let db = tempfile::tempdir().unwrap();
        let cache = tempfile::tempdir().unwrap();
        let record = db.path().join("GHSA-aaaa-bbbb-cccc.json");
        std::fs::write(&record, RECORD).unwrap();
        age(&[db.path()]);
        let paths = vec![db.path().to_path_buf()];

        let first = load(&paths, Some(cache.path())).unwrap();
        assert_eq!(first.len(), 1 + BUILTIN.len());
        let compiled = indexes(cache.path());
        assert_eq!(compiled.len(), 1, "one compiled index per --db path");

        // Unchanged source: the compiled index answers (prove it by tampering with it).
        let file = compiled[0].clone();
        let print = fingerprint(db.path()).unwrap();
        let mut c = read_compiled(&file, &|_| true, Select::All).unwrap();
        c.advisories[0].summary = "from the cache".to_owned();
        std::fs::write(&file, encode(&mut c, &print).unwrap()).unwrap();
        let second = load(&paths, Some(cache.path())).unwrap();
        assert_eq!(
            second.lookup(crate::model::Ecosystem::Npm, "left-pad", "1.0.0").0[0].advisory.summary,
            "from the cache"
        );

        // A changed source is recompiled: a file replaced the way git, rsync and editors do
        // (a new file renamed over the old one).
        let summary = |index: &Index| {
            index.lookup(crate::model::Ecosystem::Npm, "left-pad", "1.0.0").0[0].advisory.summary.clone()
        };
        let replacement = db.path().join(".new");
        std::fs::write(&replacement, RECORD.replace("old", "newer")).unwrap();
        std::fs::rename(&replacement, &record).unwrap();
        assert_eq!(summary(&load(&paths, Some(cache.path())).unwrap()), "newer");

        // A corrupt cache file is ignored and replaced.
        std::fs::write(&file, b"garbage").unwrap();
        assert_eq!(load(&paths, Some(cache.path())).unwrap().len(), 1 + BUILTIN.len());
    }

    /// The directories' check by name in their opened parents says what a check by whole paths
    /// says: unchanged, a time changed deep inside, a directory gone, one replaced by a link to
    /// a directory, the root's own time changed.
    #[test]
    fn the_directories_are_checked_as_by_their_paths() {
        let db = tempfile::tempdir().unwrap();
        let root = db.path();
        for d in ["crates/a", "crates/b", "crates/c/deep", "rust/x"] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        let all = ["", "crates", "crates/a", "crates/b", "crates/c", "crates/c/deep", "rust", "rust/x"];
        age(&all.map(|d| root.join(d)).iter().map(PathBuf::as_path).collect::<Vec<_>>());
        let by_paths = |dirs: &[(String, u128)]| dirs.iter().all(|(rel, t)| dir_unchanged(&under(root, rel), *t));
        let Fingerprint::Tree { dirs, racy: false, .. } = fingerprint(root).unwrap() else { panic!("an aged tree") };
        assert_eq!(dirs.len(), all.len());
        assert!(dirs_unchanged(root, &dirs) && by_paths(&dirs));
        let check = |what: &str| assert_eq!(dirs_unchanged(root, &dirs), by_paths(&dirs), "{what}");
        std::fs::write(root.join("crates/c/deep/new"), "").unwrap();
        check("a time changed deep inside");
        assert!(!dirs_unchanged(root, &dirs));
        std::fs::remove_file(root.join("crates/c/deep/new")).unwrap();
        std::fs::remove_dir(root.join("rust/x")).unwrap();
        check("a directory gone");
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(root.join("crates/a"), root.join("rust/x")).unwrap();
            check("a directory replaced by a link to one");
            assert!(!dirs_unchanged(root, &dirs));
        }
        // A FIFO in place of a parent directory: a change, at once (opening it would block).
        #[cfg(unix)]
        {
            let child = [("crates/a".to_owned(), 0)];
            std::fs::rename(root.join("crates"), root.join("moved")).unwrap();
            assert!(std::process::Command::new("mkfifo").arg(root.join("crates")).status().unwrap().success());
            assert!(!dirs_unchanged(root, &child), "the FIFO is not opened for reading");
            assert!(!dirs_unchanged(root, &dirs));
            std::fs::remove_file(root.join("crates")).unwrap();
            std::fs::rename(root.join("moved"), root.join("crates")).unwrap();
        }
        std::fs::write(root.join("top"), "").unwrap();
        check("the root's time");
        assert!(!dirs_unchanged(root, &dirs));
    }

    /// A plain directory is checked by its directories' times: files added, removed or renamed
    /// anywhere in it (a new advisory in `crates/<name>/`, a new crate directory) are seen
    /// without listing any directory; a file rewritten in place is seen once a directory changes.
    #[test]
    fn a_plain_directory_is_checked_by_its_directories_times() {
        let db = tempfile::tempdir().unwrap();
        let cache = tempfile::tempdir().unwrap();
        let deep = db.path().join("vulns/left-pad");
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::write(deep.join("a.json"), RECORD).unwrap();
        let paths = vec![db.path().to_path_buf()];
        let count = |paths: &[PathBuf]| load(paths, Some(cache.path())).unwrap().len() - BUILTIN.len();
        // Just written, the directories' times are racy: never trusted.
        let Fingerprint::Tree { dirs, racy, .. } = fingerprint(db.path()).unwrap() else { panic!("a tree") };
        assert!(racy);
        let names: Vec<&str> = dirs.iter().map(|(d, _)| d.as_str()).collect();
        assert_eq!(names, ["", "vulns", "vulns/left-pad"]);
        // Older times, as a database has between updates.
        let age = || age(&[db.path(), &db.path().join("vulns"), &deep]);
        age();
        assert_eq!(count(&paths), 1);
        let Fingerprint::Tree { racy, .. } = fingerprint(db.path()).unwrap() else { panic!("a tree") };
        assert!(!racy);

        // A second record deep inside.
        std::fs::write(deep.join("b.json"), RECORD.replace("GHSA-aaaa", "GHSA-eeee")).unwrap();
        assert_eq!(count(&paths), 2);
        // A new directory.
        let other = db.path().join("vulns/right-pad");
        std::fs::create_dir(&other).unwrap();
        std::fs::write(other.join("c.json"), RECORD.replace("GHSA-aaaa", "GHSA-ffff")).unwrap();
        assert_eq!(count(&paths), 3);
        // A removed file.
        std::fs::remove_file(deep.join("b.json")).unwrap();
        assert_eq!(count(&paths), 2);
        // A removed directory.
        std::fs::remove_dir_all(&other).unwrap();
        assert_eq!(count(&paths), 1);
        // In place: the index still answers until a directory changes.
        age();
        assert_eq!(count(&paths), 1);
        std::fs::write(deep.join("a.json"), RECORD.replace("old", "in place")).unwrap();
        let summary = || {
            load(&paths, Some(cache.path())).unwrap().lookup(Ecosystem::Npm, "left-pad", "1.0.0").0[0]
                .advisory
                .summary
                .clone()
        };
        assert_ne!(summary(), "in place");
        std::fs::write(deep.join("touch"), "").unwrap();
        assert_eq!(summary(), "in place");
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
            let keys = Wanted::new([(Ecosystem::Npm, "right-pad", "1.0.0")]);
            let index = load_selected(&paths, Some(cache.path()), Select::Packages(&keys)).unwrap();
            assert_eq!(index.len(), 1, "{round}");
            assert_eq!(index.sources[0].records, 3, "{round}: the source's count is the whole database's");
            assert_eq!(index.lookup(Ecosystem::Npm, "right-pad", "1.0.0").0.len(), 1, "{round}");

            let keys = Wanted::new([
                (Ecosystem::Npm, "right-pad", "1.0.0"),
                (Ecosystem::Npm, "left-pad", "1.0.0"),
                (Ecosystem::PyPI, "Zope.Interface", "1.0.0"),
            ]);
            let index = load_selected(&paths, Some(cache.path()), Select::Packages(&keys)).unwrap();
            assert_eq!(index.len(), 3, "{round}: a record naming two wanted packages is loaded once");
            assert_eq!(index.lookup(Ecosystem::Npm, "left-pad", "1.0.0").0.len(), 2, "{round}");
            assert_eq!(index.lookup(Ecosystem::PyPI, "zope.interface", "1.0.0").0.len(), 1, "{round}");

            // Only what affects a version in use, or cannot be evaluated for one: left-pad 2.0.0
            // is past both records' fix; right-pad 1.0.0 is listed by GHSA-dddd; zope.interface
            // `not a version` cannot be ordered (kept: the scan reports it as unevaluated).
            let keys = Wanted::new([
                (Ecosystem::Npm, "left-pad", "2.0.0"),
                (Ecosystem::Npm, "right-pad", "1.0.0"),
                (Ecosystem::PyPI, "zope-interface", "not a version"),
            ]);
            let index = load_selected(&paths, Some(cache.path()), Select::Affecting(&keys)).unwrap();
            let mut ids: Vec<&str> = index.advisories.iter().map(|a| a.id.as_str()).collect();
            ids.sort_unstable();
            assert_eq!(ids, ["GHSA-dddd-bbbb-cccc", "PYSEC-1-bbbb-cccc"], "{round}");
            assert_eq!(index.lookup(Ecosystem::Npm, "left-pad", "2.0.0").0.len(), 0, "{round}");
            let keys = Wanted::new([(Ecosystem::Npm, "left-pad", "2.0.0"), (Ecosystem::Npm, "left-pad", "1.2.0")]);
            let index = load_selected(&paths, Some(cache.path()), Select::Affecting(&keys)).unwrap();
            assert_eq!(index.len(), 2, "{round}: a record affecting one of a package's versions");

            let none = load_selected(&paths, Some(cache.path()), Select::Packages(&Wanted::default())).unwrap();
            assert!(none.is_empty(), "{round}");
            assert_eq!(none.sources.len(), 2, "{round}: the database and the built-in records");
            assert_eq!(none.sources[1].name, "chainward", "{round}");
        }
    }
}
