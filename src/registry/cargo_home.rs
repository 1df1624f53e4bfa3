//! What cargo itself keeps under `$CARGO_HOME` (default `~/.cargo`) about crates.io crates,
//! read without a request: the index entries of every crate cargo resolved, the extracted
//! sources of every crate it built, and the downloaded `.crate` archives.
//!
//! Layout (cargo 1.5x–1.9x; the `<hash>` part of the directory names depends on the cargo
//! version, so every `index.crates.io-*` directory is looked at, and the old git index's
//! `github.com-1ecc6299db9ec823`):
//! - `registry/index/<dir>/.cache/<index path>`: the crate's index file in cargo's cache format
//!   ([`parse_index_cache`]), with every version cargo saw, under the lowercase sparse-index path
//!   (`se/rd/serde`);
//! - `registry/src/<dir>/<name>-<version>/Cargo.toml`: the published, normalized manifest;
//! - `registry/cache/<dir>/<name>-<version>.crate`: the gzip tarball.
//!
//! Every file here is untrusted input (cargo may also be writing it while it is read): sizes are
//! bounded, a damaged file is an error for that file, and the caller falls back to the network.
//! Nothing here reads the environment: the caller locates `CARGO_HOME`.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::crates_io::index_path;

/// The `.cache` format version this reader understands (cargo's `CURRENT_CACHE_VERSION`).
pub const CACHE_VERSION: u8 = 3;
/// Largest `.cache` file read (the biggest crates.io index files are well under 1 MiB).
pub const MAX_CACHE_FILE: u64 = 64 << 20;
/// Largest `Cargo.toml` read, from `registry/src` or inside a `.crate`.
pub const MAX_MANIFEST: u64 = 4 << 20;
/// Largest `.crate` file read.
pub const MAX_CRATE_FILE: u64 = 64 << 20;
/// Decompressed bytes of a `.crate` scanned for its `Cargo.toml` at most (cargo puts it among
/// the first entries: they are sorted, and `Cargo.toml` sorts before lowercase names).
pub const MAX_CRATE_SCAN: u64 = 64 << 20;
/// Entries of a `.crate` looked at for its `Cargo.toml` at most.
pub const MAX_CRATE_ENTRIES: usize = 4096;
/// Registry directories under one of `registry/{index,src,cache}` looked at at most.
const MAX_REGISTRY_DIRS: usize = 64;

/// One parsed `.cache` file, borrowing from its bytes.
///
/// Format (cargo `src/cargo/sources/registry/index/cache.rs`, `SummariesCache`): byte 0 is the
/// cache version ([`CACHE_VERSION`]); bytes 1..5 the index schema version, u32 little-endian;
/// then the index file's version (an `etag: ...`/`last-modified: ...` header or a git commit),
/// NUL-terminated; then, until the end, pairs of (semver version, NUL, the raw index JSON line,
/// NUL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexCache<'a> {
    /// The index schema version cargo wrote the file for (2 today).
    pub schema: u32,
    /// The index file's version as cargo recorded it (unused: chainward does not revalidate).
    pub index_version: &'a [u8],
    /// (version, raw JSON line), in file order.
    pub entries: Vec<(&'a str, &'a [u8])>,
}

impl<'a> IndexCache<'a> {
    /// The raw JSON line of `version` (the first one, by exact string), without parsing JSON.
    pub fn line(&self, version: &str) -> Option<&'a [u8]> {
        self.entries.iter().find(|(v, _)| *v == version).map(|(_, line)| *line)
    }
}

/// Parse a `.cache` file. Any other cache version, a schema newer than
/// [`crate::compiled::summary::INDEX_V_MAX`], a file larger than [`MAX_CACHE_FILE`], a version
/// that is not UTF-8 or empty, and a file that ends inside a pair (truncated, or being written)
/// are errors.
pub fn parse_index_cache(bytes: &[u8]) -> Result<IndexCache<'_>, String> {
    let schema = check_header(bytes)?;
    let rest = bytes.get(5..).unwrap_or_default();
    let (index_version, mut rest) = split_nul(rest).ok_or_else(|| "truncated header".to_owned())?;
    let mut entries = Vec::new();
    while !rest.is_empty() {
        let (version, after) = split_nul(rest).ok_or_else(|| format!("truncated after {} entries", entries.len()))?;
        let (line, after) = split_nul(after).ok_or_else(|| format!("truncated after {} entries", entries.len()))?;
        let version = std::str::from_utf8(version)
            .ok()
            .filter(|v| !v.is_empty())
            .ok_or_else(|| format!("entry {} has no valid version", entries.len() + 1))?;
        entries.push((version, line));
        rest = after;
    }
    Ok(IndexCache { schema, index_version, entries })
}

/// The raw JSON line of `version` in a `.cache` file, found without splitting the whole file
/// (real cache files hold every version: web-sys's is 5 MB): the header is checked as
/// [`parse_index_cache`] checks it, then `NUL version NUL` is searched for and the line taken up
/// to the next NUL. JSON lines hold no NUL and never start like a version, so a match is an
/// entry. `Ok(None)` when the file has no such version; an error for a damaged header or a
/// line cut short. A version that itself starts like a JSON line (`{`, never a real one) could
/// match a line: that one is looked up by the full parse.
pub fn find_index_line<'a>(bytes: &'a [u8], version: &str) -> Result<Option<&'a [u8]>, String> {
    check_header(bytes)?;
    if version.is_empty() || version.contains('\0') {
        return Ok(None);
    }
    if version.starts_with('{') {
        return parse_index_cache(bytes).map(|cache| cache.line(version));
    }
    // The header's own NUL is the first entry's leading NUL.
    let entries = bytes.get(5..).unwrap_or_default();
    let header_end = memchr::memchr(0, entries).ok_or_else(|| "truncated header".to_owned())?;
    let entries = entries.get(header_end..).unwrap_or_default();
    let mut needle = Vec::with_capacity(version.len() + 2);
    needle.push(0);
    needle.extend_from_slice(version.as_bytes());
    needle.push(0);
    let Some(at) = memchr::memmem::find(entries, &needle) else { return Ok(None) };
    let line = entries.get(at + needle.len()..).unwrap_or_default();
    let end = memchr::memchr(0, line).ok_or_else(|| format!("the entry of {version} is cut short"))?;
    Ok(line.get(..end))
}

/// The size, cache version and index schema of a `.cache` file: the schema, or why the file is
/// not one this reader takes.
fn check_header(bytes: &[u8]) -> Result<u32, String> {
    if bytes.len() as u64 > MAX_CACHE_FILE {
        return Err(format!("larger than {MAX_CACHE_FILE} bytes"));
    }
    let Some((&format, rest)) = bytes.split_first() else { return Err("empty file".to_owned()) };
    if format != CACHE_VERSION {
        return Err(format!("cache format {format}, not {CACHE_VERSION} (another cargo version's)"));
    }
    let schema = rest
        .get(..4)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map(u32::from_le_bytes)
        .ok_or_else(|| "truncated header".to_owned())?;
    if schema > crate::compiled::summary::INDEX_V_MAX {
        return Err(format!("index schema {schema}, newer than this reader"));
    }
    Ok(schema)
}

/// The bytes before the first NUL and those after it; `None` without a NUL.
fn split_nul(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let at = memchr::memchr(0, bytes)?;
    Some((bytes.get(..at)?, bytes.get(at + 1..)?))
}

/// Whether a `Cargo.toml` says `[lib] proc-macro = true` (or the old `proc_macro = true`). A
/// manifest without the key is `false` (one whose text does not even contain it is not parsed);
/// one that is not TOML, or whose key is not a boolean, is an error.
pub fn manifest_proc_macro(text: &str) -> Result<bool, String> {
    if text.len() as u64 > MAX_MANIFEST {
        return Err(format!("manifest larger than {MAX_MANIFEST} bytes"));
    }
    // Most manifests are libraries: no need to parse one that cannot name the key.
    if !text.contains("proc-macro") && !text.contains("proc_macro") {
        return Ok(false);
    }
    let table: toml::Table = toml::from_str(text).map_err(|e| format!("manifest is not valid TOML: {e}"))?;
    let Some(lib) = table.get("lib") else { return Ok(false) };
    let Some(lib) = lib.as_table() else { return Err("`lib` is not a table".to_owned()) };
    match lib.get("proc-macro").or_else(|| lib.get("proc_macro")) {
        None => Ok(false),
        Some(toml::Value::Boolean(b)) => Ok(*b),
        Some(_) => Err("`lib.proc-macro` is not a boolean".to_owned()),
    }
}

/// Whether the `.crate` archive read from `reader` (gzip tar) is a proc-macro, from its
/// `<name>-<version>/Cargo.toml`: `Ok(None)` when the archive has no such entry (within
/// [`MAX_CRATE_ENTRIES`] entries and [`MAX_CRATE_SCAN`] bytes). Only that entry is read;
/// nothing is unpacked.
pub fn crate_proc_macro(reader: impl Read, name: &str, version: &str) -> Result<Option<bool>, String> {
    let wanted = format!("{name}-{version}/Cargo.toml");
    let gz = flate2::read::GzDecoder::new(reader.take(MAX_CRATE_FILE));
    let mut archive = tar::Archive::new(gz.take(MAX_CRATE_SCAN));
    let entries = archive.entries().map_err(|e| format!("not a tar archive: {e}"))?;
    for entry in entries.take(MAX_CRATE_ENTRIES) {
        let entry = entry.map_err(|e| format!("damaged archive: {e}"))?;
        let path = entry.path_bytes();
        let path = path.strip_prefix(b"./").unwrap_or(&path);
        if !path.eq_ignore_ascii_case(wanted.as_bytes()) {
            continue;
        }
        if entry.size() > MAX_MANIFEST {
            return Err(format!("Cargo.toml larger than {MAX_MANIFEST} bytes"));
        }
        let mut text = String::new();
        entry.take(MAX_MANIFEST).read_to_string(&mut text).map_err(|e| format!("Cargo.toml unreadable: {e}"))?;
        return manifest_proc_macro(&text).map(Some);
    }
    Ok(None)
}

/// (version, text) pairs: index lines found, or problems.
pub type VersionLines<'v> = Vec<(&'v str, String)>;

/// cargo's home directory, as the caller located it (`$CARGO_HOME`, else `$HOME/.cargo`).
/// Cheap to create: nothing is read until asked. Shareable across threads.
#[derive(Debug)]
pub struct CargoHome {
    root: PathBuf,
    /// `registry/{index,src,cache}/<dir>` of crates.io, listed on first use.
    dirs: OnceLock<RegistryDirs>,
}

#[derive(Debug, Default)]
struct RegistryDirs {
    index: Vec<PathBuf>,
    src: Vec<PathBuf>,
    cache: Vec<PathBuf>,
}

impl CargoHome {
    /// cargo's home at `root`.
    pub fn new(root: impl Into<PathBuf>) -> CargoHome {
        CargoHome { root: root.into(), dirs: OnceLock::new() }
    }

    /// The directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn dirs(&self) -> &RegistryDirs {
        self.dirs.get_or_init(|| {
            let registry = self.root.join("registry");
            RegistryDirs {
                index: crates_io_dirs(&registry.join("index")),
                src: crates_io_dirs(&registry.join("src")),
                cache: crates_io_dirs(&registry.join("cache")),
            }
        })
    }

    /// The raw index lines of `versions` of `name` from cargo's `.cache` files, each file read
    /// once: the lines found, and (version, problem) for each version not found where a file that
    /// could have had it is damaged, of another format, or unreadable.
    pub fn index_lines<'v>(
        &self,
        name: &str,
        versions: impl IntoIterator<Item = &'v str>,
    ) -> (VersionLines<'v>, VersionLines<'v>) {
        let mut wanted: Vec<&str> = versions.into_iter().collect();
        let mut found = Vec::new();
        let mut problems: Vec<(&str, String)> = Vec::new();
        let Some(rel) = index_path(name) else { return (found, problems) };
        for dir in &self.dirs().index {
            if wanted.is_empty() {
                break;
            }
            let path = dir.join(".cache").join(&rel);
            let bytes = match read_bounded(&path, MAX_CACHE_FILE) {
                Ok(Some(bytes)) => bytes,
                Ok(None) => continue,
                Err(e) => {
                    problems.extend(wanted.iter().map(|v| (*v, format!("{}: {e}", path.display()))));
                    continue;
                }
            };
            wanted.retain(|version| match find_index_line(&bytes, version) {
                Ok(Some(line)) => {
                    if let Ok(line) = std::str::from_utf8(line) {
                        found.push((*version, line.to_owned()));
                        false
                    } else {
                        problems.push((version, format!("{}: the line of {version} is not UTF-8", path.display())));
                        true
                    }
                }
                Ok(None) => true,
                Err(e) => {
                    problems.push((version, format!("{}: {e}", path.display())));
                    true
                }
            });
        }
        problems.retain(|(v, _)| !found.iter().any(|(f, _)| f == v));
        (found, problems)
    }

    /// The raw index line of `name` `version` from cargo's `.cache` files: `Ok(None)` when no
    /// cache file has it; `Err` (saying which file and why) when none has it and a file that
    /// could have had it is damaged, of another format, or unreadable.
    pub fn index_line(&self, name: &str, version: &str) -> Result<Option<String>, String> {
        let Some(rel) = index_path(name) else { return Ok(None) };
        let mut problem = None;
        for dir in &self.dirs().index {
            let path = dir.join(".cache").join(&rel);
            let bytes = match read_bounded(&path, MAX_CACHE_FILE) {
                Ok(Some(bytes)) => bytes,
                Ok(None) => continue,
                Err(e) => {
                    problem.get_or_insert(format!("{}: {e}", path.display()));
                    continue;
                }
            };
            let cache = match parse_index_cache(&bytes) {
                Ok(cache) => cache,
                Err(e) => {
                    problem.get_or_insert(format!("{}: {e}", path.display()));
                    continue;
                }
            };
            let Some(line) = cache.line(version) else { continue };
            match std::str::from_utf8(line) {
                Ok(line) => return Ok(Some(line.to_owned())),
                Err(_) => {
                    problem.get_or_insert(format!("{}: the line of {version} is not UTF-8", path.display()));
                }
            }
        }
        problem.map_or(Ok(None), Err)
    }

    /// Whether `name` `version` is a proc-macro, from its extracted manifest in `registry/src`,
    /// else from its `.crate` in `registry/cache`; `None` when cargo has neither (or neither
    /// can be read).
    pub fn proc_macro(&self, name: &str, version: &str) -> Option<bool> {
        let dir_name = package_dir_name(name, version)?;
        for dir in &self.dirs().src {
            let path = dir.join(&dir_name).join("Cargo.toml");
            if let Ok(Some(bytes)) = read_bounded(&path, MAX_MANIFEST)
                && let Ok(text) = std::str::from_utf8(&bytes)
                && let Ok(proc_macro) = manifest_proc_macro(text)
            {
                return Some(proc_macro);
            }
        }
        for dir in &self.dirs().cache {
            let path = dir.join(format!("{dir_name}.crate"));
            let Ok(Some(file)) = open_file(&path) else { continue };
            if let Ok(Some(proc_macro)) = crate_proc_macro(file, name, version) {
                return Some(proc_macro);
            }
        }
        None
    }
}

/// `<name>-<version>`, when both are safe as one path component (a crates.io name, a semver
/// version: neither can hold a separator or `..`).
fn package_dir_name(name: &str, version: &str) -> Option<String> {
    index_path(name)?;
    semver::Version::parse(version).ok()?;
    Some(format!("{name}-{version}"))
}

/// The crates.io registry directories under `parent` (`index.crates.io-*`, the old git index's
/// `github.com-1ecc6299db9ec823`), sorted, at most [`MAX_REGISTRY_DIRS`].
fn crates_io_dirs(parent: &Path) -> Vec<PathBuf> {
    let Ok(read) = std::fs::read_dir(parent) else { return Vec::new() };
    let mut dirs: Vec<PathBuf> = read
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.starts_with("index.crates.io-") || name == "github.com-1ecc6299db9ec823"
        })
        .map(|e| e.path())
        .take(MAX_REGISTRY_DIRS)
        .collect();
    dirs.sort();
    dirs
}

/// `path` opened for reading: `Ok(None)` when it does not exist; an error when it is not a
/// regular file (a FIFO would block, a device never end) or cannot be opened.
fn open_file(path: &Path) -> Result<Option<std::fs::File>, String> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => std::fs::File::open(path).map(Some).map_err(|e| e.to_string()),
        Ok(_) => Err("not a regular file".to_owned()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

/// The content of `path`, at most `max` bytes: `Ok(None)` when it does not exist; an error when
/// it is larger or unreadable.
fn read_bounded(path: &Path, max: u64) -> Result<Option<Vec<u8>>, String> {
    let Some(file) = open_file(path)? else { return Ok(None) };
    let len = file.metadata().map_or(0, |m| m.len());
    if len > max {
        return Err(format!("larger than {max} bytes"));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0).saturating_add(1));
    file.take(max.saturating_add(1)).read_to_end(&mut bytes).map_err(|e| e.to_string())?;
    if bytes.len() as u64 > max {
        return Err(format!("larger than {max} bytes"));
    }
    Ok(Some(bytes))
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    /// A `.cache` file as cargo writes it.
    pub(crate) fn cache_file(entries: &[(&str, &str)]) -> Vec<u8> {
        let mut bytes = vec![CACHE_VERSION];
        bytes.extend_from_slice(&2u32.to_le_bytes());
        bytes.extend_from_slice(b"etag: \"abc\"\0");
        for (version, line) in entries {
            bytes.extend_from_slice(version.as_bytes());
            bytes.push(0);
            bytes.extend_from_slice(line.as_bytes());
            bytes.push(0);
        }
        bytes
    }

    /// A `.crate` (gzip tar) holding `files` (path, content).
    pub(crate) fn crate_file(files: &[(&str, &str)]) -> Vec<u8> {
        let mut tar = tar::Builder::new(Vec::new());
        for (path, content) in files {
            let mut header = tar::Header::new_gnu();
            header.set_size(content.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            tar.append_data(&mut header, path, content.as_bytes()).unwrap();
        }
        let tar = tar.into_inner().unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &tar).unwrap();
        gz.finish().unwrap()
    }

    const A1: &str = r#"{"name":"a","vers":"1.0.0","deps":[],"features":{}}"#;
    const A2: &str = r#"{"name":"a","vers":"1.0.1","deps":[],"features":{}}"#;

    #[test]
    fn cache_files_give_the_line_of_each_version() {
        let bytes = cache_file(&[("1.0.0", A1), ("1.0.1", A2)]);
        let cache = parse_index_cache(&bytes).unwrap();
        assert_eq!(cache.schema, 2);
        assert_eq!(cache.index_version, b"etag: \"abc\"");
        assert_eq!(cache.line("1.0.1"), Some(A2.as_bytes()));
        assert_eq!(cache.line("1.0.0"), Some(A1.as_bytes()));
        assert_eq!(cache.line("1.0"), None);
        assert_eq!(cache.line("1.0.2"), None);
        // No entries at all is a valid (empty) file.
        assert!(parse_index_cache(&cache_file(&[])).unwrap().entries.is_empty());
    }

    #[test]
    fn damaged_cache_files_are_errors() {
        let good = cache_file(&[("1.0.0", A1), ("1.0.1", A2)]);
        // Every truncation but the whole file and the header-only prefix is an error.
        for cut in 0..good.len() {
            let parsed = parse_index_cache(&good[..cut]);
            let header_only = cut == 1 + 4 + "etag: \"abc\"\0".len();
            let after_first = cut == 1 + 4 + "etag: \"abc\"\0".len() + "1.0.0\0".len() + A1.len() + 1;
            assert_eq!(parsed.is_ok(), header_only || after_first, "cut at {cut}");
        }
        let mut other = good.clone();
        other[0] = 2;
        assert!(parse_index_cache(&other).unwrap_err().contains("cache format 2"));
        let mut newer = good.clone();
        newer[1] = 3;
        assert!(parse_index_cache(&newer).unwrap_err().contains("schema 3"));
        assert!(parse_index_cache(b"").is_err());
        assert!(parse_index_cache(b"\x03\x02\x00\x00\x00\xff\xfe").is_err());
        // An empty or non-UTF-8 version.
        assert!(parse_index_cache(b"\x03\x02\x00\x00\x00x\0\0{}\0").is_err());
        assert!(parse_index_cache(b"\x03\x02\x00\x00\x00x\0\xff\0{}\0").is_err());
        // Garbage.
        let garbage: Vec<u8> = (0..10_000u32).map(|i| i.wrapping_mul(2_654_435_761).to_be_bytes()[0]).collect();
        let _ = parse_index_cache(&garbage);
    }

    #[test]
    fn huge_cache_files_are_refused_before_parsing() {
        let mut huge = cache_file(&[]);
        huge.resize(usize::try_from(MAX_CACHE_FILE).unwrap() + 1, b'x');
        assert!(parse_index_cache(&huge).unwrap_err().contains("larger than"));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big");
        std::fs::write(&path, &huge).unwrap();
        assert!(read_bounded(&path, MAX_CACHE_FILE).unwrap_err().contains("larger than"));
        assert_eq!(read_bounded(&dir.path().join("none"), 10), Ok(None));
    }

    #[test]
    fn the_fast_search_finds_each_version_as_the_full_parse_does() {
        let file = cache_file(&[
            ("1.0.0-alpha", r#"{"vers":"1.0.0-alpha"}"#),
            ("1.0.0", r#"{"vers":"1.0.0"}"#),
            ("11.0.0", r#"{"vers":"11.0.0"}"#),
        ]);
        let parsed = parse_index_cache(&file).unwrap();
        for version in ["1.0.0-alpha", "1.0.0", "11.0.0", "1.0", "0.0", ""] {
            assert_eq!(find_index_line(&file, version), Ok(parsed.line(version)), "{version}");
        }
        // A line cut short, a damaged header, another format.
        let cut = &file[..file.len() - 3];
        assert!(find_index_line(cut, "11.0.0").unwrap_err().contains("cut short"));
        assert_eq!(find_index_line(cut, "1.0.0"), Ok(parsed.line("1.0.0")));
        assert!(find_index_line(&file[..3], "1.0.0").is_err());
        let mut other = file.clone();
        other[0] = 2;
        assert!(find_index_line(&other, "1.0.0").is_err());
    }

    #[test]
    fn manifests_say_proc_macro_either_spelling() {
        assert_eq!(manifest_proc_macro("[package]\nname = \"a\"\n[lib]\nproc-macro = true\n"), Ok(true));
        assert_eq!(manifest_proc_macro("[lib]\nproc_macro = true\n"), Ok(true));
        assert_eq!(manifest_proc_macro("[lib]\nproc-macro = false\n"), Ok(false));
        assert_eq!(manifest_proc_macro("[package]\nname = \"a\"\n"), Ok(false));
        assert_eq!(manifest_proc_macro("[lib]\npath = \"src/lib.rs\"\n"), Ok(false));
        assert!(manifest_proc_macro("[lib]\nproc-macro = \"yes\"\n").is_err());
        assert!(manifest_proc_macro("lib = 1\nproc-macro = true\n").is_err());
        assert!(manifest_proc_macro("[lib\nproc-macro = true\n").is_err());
        // A manifest that cannot name the key is a library without being parsed.
        assert_eq!(manifest_proc_macro("[lib\n"), Ok(false));
    }

    #[test]
    fn crate_archives_give_the_manifest_entry_only() {
        let derive = crate_file(&[
            ("d-1.0.0/.cargo_vcs_info.json", "{}"),
            ("d-1.0.0/Cargo.toml", "[package]\nname = \"d\"\n[lib]\nproc-macro = true\n"),
            ("d-1.0.0/src/lib.rs", ""),
        ]);
        assert_eq!(crate_proc_macro(&derive[..], "d", "1.0.0"), Ok(Some(true)));
        // Another crate's name: no such entry.
        assert_eq!(crate_proc_macro(&derive[..], "e", "1.0.0"), Ok(None));
        let lib = crate_file(&[("l-0.1.0/Cargo.toml", "[package]\nname = \"l\"\n")]);
        assert_eq!(crate_proc_macro(&lib[..], "l", "0.1.0"), Ok(Some(false)));
        // A long version: the GNU long-name entry is followed.
        let long = format!("l-0.1.0-{}", "a".repeat(120));
        let path = format!("{long}/Cargo.toml");
        let long_crate = crate_file(&[(path.as_str(), "[lib]\nproc-macro = true\n")]);
        assert_eq!(crate_proc_macro(&long_crate[..], "l", &long["l-".len()..]), Ok(Some(true)));
        // Not gzip, truncated, not tar.
        assert!(crate_proc_macro(&b"not a crate"[..], "l", "0.1.0").is_err());
        assert!(crate_proc_macro(&derive[..derive.len() / 2], "d", "1.0.0").is_err());
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &[7u8; 5000]).unwrap();
        assert!(crate_proc_macro(&gz.finish().unwrap()[..], "l", "0.1.0").is_err());
    }

    /// The scan of an archive ends at its bound: a manifest past [`MAX_CRATE_SCAN`] bytes is
    /// not reached, and a huge manifest entry is refused without reading it.
    #[test]
    fn crate_scans_are_bounded() {
        let filler = "\0".repeat(usize::try_from(MAX_CRATE_SCAN).unwrap());
        let far = crate_file(&[("f-1.0.0/A", filler.as_str()), ("f-1.0.0/Cargo.toml", "[lib]\nproc-macro = true\n")]);
        assert!(far.len() < 1 << 20);
        assert!(!matches!(crate_proc_macro(&far[..], "f", "1.0.0"), Ok(Some(_))));
        let big = format!("[lib]\nproc-macro = true\n#{}\n", "x".repeat(usize::try_from(MAX_MANIFEST).unwrap()));
        let c = crate_file(&[("b-1.0.0/Cargo.toml", big.as_str())]);
        assert!(crate_proc_macro(&c[..], "b", "1.0.0").unwrap_err().contains("larger than"));
    }

    /// A `CARGO_HOME` laid out as cargo does.
    pub(crate) fn cargo_home(dir: &Path) -> CargoHome {
        let index = dir.join("registry/index/index.crates.io-1949cf8c6b5b557f/.cache/se/rd");
        std::fs::create_dir_all(&index).unwrap();
        std::fs::write(
            index.join("serde_derive"),
            cache_file(&[
                ("1.0.0", r#"{"name":"serde_derive","vers":"1.0.0","deps":[]}"#),
                ("1.0.1", r#"{"name":"serde_derive","vers":"1.0.1","deps":[]}"#),
            ]),
        )
        .unwrap();
        // An older cargo's directory, with a damaged file for another crate.
        let old = dir.join("registry/index/github.com-1ecc6299db9ec823/.cache/3/b");
        std::fs::create_dir_all(&old).unwrap();
        std::fs::write(old.join("bad"), b"\x03\x02\x00\x00\x00x\x001.0.0\x00{\"name\"" as &[u8]).unwrap();
        let src = dir.join("registry/src/index.crates.io-1949cf8c6b5b557f");
        std::fs::create_dir_all(src.join("serde_derive-1.0.1")).unwrap();
        std::fs::write(src.join("serde_derive-1.0.1/Cargo.toml"), "[lib]\nproc-macro = true\n").unwrap();
        std::fs::create_dir_all(src.join("itoa-1.0.0")).unwrap();
        std::fs::write(src.join("itoa-1.0.0/Cargo.toml"), "[package]\nname = \"itoa\"\n").unwrap();
        let cache = dir.join("registry/cache/index.crates.io-6f17d22bba15001f");
        std::fs::create_dir_all(&cache).unwrap();
        std::fs::write(
            cache.join("serde_derive-1.0.0.crate"),
            crate_file(&[("serde_derive-1.0.0/Cargo.toml", "[lib]\nproc-macro = true\n")]),
        )
        .unwrap();
        // Not a crates.io directory: never read.
        let other = dir.join("registry/src/my-registry-0123456789abcdef/ryu-1.0.0");
        std::fs::create_dir_all(&other).unwrap();
        std::fs::write(other.join("Cargo.toml"), "[lib]\nproc-macro = true\n").unwrap();
        CargoHome::new(dir)
    }

    #[test]
    fn a_cargo_home_answers_index_lines_and_proc_macros() {
        let dir = tempfile::tempdir().unwrap();
        let home = cargo_home(dir.path());
        assert_eq!(home.root(), dir.path());
        let line = home.index_line("serde_derive", "1.0.1").unwrap().unwrap();
        assert!(line.contains("\"1.0.1\""));
        // The name is looked up under its lowercase path.
        assert!(home.index_line("Serde_Derive", "1.0.0").unwrap().is_some());
        assert_eq!(home.index_line("serde_derive", "2.0.0"), Ok(None));
        assert_eq!(home.index_line("serde", "1.0.0"), Ok(None));
        assert_eq!(home.index_line("../../etc", "1.0.0"), Ok(None));
        let bad = home.index_line("bad", "1.0.0").unwrap_err();
        assert!(bad.contains("github.com-1ecc6299db9ec823") && bad.contains("truncated"), "{bad}");
        // From the extracted sources, then from the archive.
        assert_eq!(home.proc_macro("serde_derive", "1.0.1"), Some(true));
        assert_eq!(home.proc_macro("serde_derive", "1.0.0"), Some(true));
        assert_eq!(home.proc_macro("itoa", "1.0.0"), Some(false));
        assert_eq!(home.proc_macro("ryu", "1.0.0"), None);
        assert_eq!(home.proc_macro("itoa", "../itoa-1.0.0"), None);
        // Not a regular file: not read.
        let odd = dir.path().join("registry/src/index.crates.io-1949cf8c6b5b557f/odd-1.0.0/Cargo.toml");
        std::fs::create_dir_all(&odd).unwrap();
        assert_eq!(home.proc_macro("odd", "1.0.0"), None);
        assert_eq!(read_bounded(&odd, 10), Err("not a regular file".to_owned()));
        // No CARGO_HOME at all.
        let none = CargoHome::new(dir.path().join("missing"));
        assert_eq!(none.index_line("serde_derive", "1.0.1"), Ok(None));
        assert_eq!(none.proc_macro("serde_derive", "1.0.1"), None);
    }
}
