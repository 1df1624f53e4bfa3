//! OSV JSON records (<https://ossf.github.io/osv-schema/>), from a directory of `*.json` files
//! or from zip files laid out like osv.dev's per-ecosystem `all.zip`.
//!
//! `SEMVER` and `ECOSYSTEM` ranges are kept; `GIT` ranges name commits, not package versions,
//! and never match a package. Withdrawn records are skipped. A malformed record, a corrupt zip
//! entry or an entry whose path leaves the archive root is reported (file and record id) and
//! skipped; the other records still load.

use std::collections::BTreeSet;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use serde::Deserialize;

use super::{Advisory, AdvisoryError, AdvisoryKind, Affected, Cvss, Event, MAX_ERRORS, Range};
use crate::model::Ecosystem;
use crate::{fsutil, panics};

/// Largest record accepted (osv.dev's biggest are a few hundred KiB).
pub const MAX_RECORD: u64 = 16 << 20;

/// An archive's entries may inflate to this many times its size in total (osv.dev-style exports
/// inflate to about 3 times theirs: one small deflate stream per record) ...
pub const INFLATE_RATIO: u64 = 32;
/// ... but always to this many bytes (small archives) ...
pub const INFLATE_MIN: u64 = 64 << 20;
/// ... and never to more than this.
pub const INFLATE_MAX: u64 = 2 << 30;

#[derive(Deserialize)]
struct RecordWire {
    id: String,
    #[serde(default)]
    withdrawn: Option<String>,
    #[serde(default)]
    published: Option<String>,
    /// Required by the schema, but a missing or malformed one only leaves the date unknown:
    /// any JSON value is accepted here and only a valid RFC 3339 string is kept.
    #[serde(default)]
    modified: Option<serde_json::Value>,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    related: Vec<String>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    details: Option<String>,
    #[serde(default)]
    severity: Vec<SeverityWire>,
    #[serde(default)]
    affected: Vec<AffectedWire>,
    #[serde(default)]
    references: Vec<ReferenceWire>,
    #[serde(default)]
    database_specific: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct SeverityWire {
    #[serde(rename = "type")]
    kind: String,
    score: String,
}

#[derive(Deserialize)]
struct AffectedWire {
    package: Option<PackageWire>,
    #[serde(default)]
    ranges: Vec<RangeWire>,
    #[serde(default)]
    versions: Vec<String>,
    #[serde(default)]
    ecosystem_specific: Option<serde_json::Value>,
    #[serde(default)]
    database_specific: Option<serde_json::Value>,
    #[serde(default)]
    severity: Vec<SeverityWire>,
}

#[derive(Deserialize)]
struct PackageWire {
    ecosystem: String,
    name: String,
}

#[derive(Deserialize)]
struct RangeWire {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    events: Vec<EventWire>,
}

#[derive(Deserialize)]
struct EventWire {
    introduced: Option<String>,
    fixed: Option<String>,
    last_affected: Option<String>,
    limit: Option<String>,
}

#[derive(Deserialize)]
struct ReferenceWire {
    #[serde(rename = "type", default)]
    kind: String,
    url: String,
}

/// What a source held.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Records that apply (not withdrawn).
    pub advisories: Vec<Advisory>,
    /// Records or entries that could not be read (at most [`MAX_ERRORS`]; see `failed`).
    pub errors: Vec<AdvisoryError>,
    /// How many records or entries could not be read (`errors` keeps the first ones).
    pub failed: usize,
    /// Withdrawn records (skipped).
    pub withdrawn: usize,
    /// Ecosystems named by records that chainward does not match (`Alpine`, `Debian:12`, ...).
    pub unknown_ecosystems: BTreeSet<String>,
}

impl Loaded {
    /// Parse one record (a panic in a parser is contained and is this record's error).
    fn add(&mut self, path: &str, bytes: &[u8]) {
        let unknown = &mut self.unknown_ecosystems;
        match panics::contain(|| parse_record(bytes, unknown)) {
            Ok(Ok(Some(a))) => self.advisories.push(a),
            Ok(Ok(None)) => self.withdrawn += 1,
            Ok(Err((record, message))) => self.error(AdvisoryError { path: path.to_owned(), record, message }),
            Err(panic) => self.error(AdvisoryError { path: path.to_owned(), record: None, message: panic }),
        }
    }

    /// Count a record that could not be read, keeping its error while there are few.
    fn error(&mut self, error: AdvisoryError) {
        self.failed += 1;
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(error);
        }
    }
}

/// Load a directory of OSV `*.json` files (recursively) or an OSV zip. Only a directory or a
/// regular file is opened: a FIFO, socket or device given as the source is an error (opening a
/// FIFO would block for ever, a device would be read without end).
pub fn load(path: &Path) -> Result<Loaded, AdvisoryError> {
    let label = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| AdvisoryError {
        path: label.clone(),
        record: None,
        message: format!("cannot read: {e}"),
    })?;
    if meta.is_dir() {
        load_dir(path)
    } else if meta.is_file() {
        load_zip(path)
    } else {
        Err(AdvisoryError {
            path: label,
            record: None,
            message: format!("{}, not a directory or a zip file; not read", fsutil::kind_of(&meta)),
        })
    }
}

/// Every `*.json` file under `dir`, read as one record each.
///
/// Symbolic links: a link to a regular file is read like the file (capped at [`MAX_RECORD`]);
/// a link to a directory is never followed (no loops, no walking out of the tree) and is
/// reported, since records behind it are not read. A `*.json` that is not a regular file
/// (FIFO, socket, device, dangling link) is reported and never opened.
fn load_dir(dir: &Path) -> Result<Loaded, AdvisoryError> {
    let mut loaded = Loaded::default();
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    let mut top = true;
    while let Some(d) = stack.pop() {
        let error = |d: &Path, e: &std::io::Error| AdvisoryError {
            path: d.display().to_string(),
            record: None,
            message: format!("cannot read directory: {e}"),
        };
        let entries = match std::fs::read_dir(&d) {
            Ok(entries) => entries,
            Err(e) if top => return Err(error(&d, &e)),
            Err(e) => {
                loaded.error(error(&d, &e));
                continue;
            }
        };
        top = false;
        for entry in entries {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    loaded.error(error(&d, &e));
                    continue;
                }
            };
            let p = entry.path();
            let is_json = p.extension().is_some_and(|e| e == "json");
            match entry.file_type() {
                Ok(t) if t.is_dir() => stack.push(p),
                Ok(t) if t.is_symlink() => match std::fs::metadata(&p) {
                    Ok(m) if m.is_dir() => loaded.error(AdvisoryError {
                        path: p.display().to_string(),
                        record: None,
                        message: "symbolic link to a directory: not followed, its records are not read".to_owned(),
                    }),
                    _ if is_json => files.push(p),
                    _ => {}
                },
                _ if is_json => files.push(p),
                _ => {}
            }
        }
    }
    files.sort();
    for file in files {
        let name = file.display().to_string();
        match fsutil::read_regular(&file, MAX_RECORD) {
            Ok(bytes) => loaded.add(&name, &bytes),
            Err(e) => loaded.error(AdvisoryError { path: name, record: None, message: format!("cannot read: {e}") }),
        }
    }
    Ok(loaded)
}

fn load_zip(path: &Path) -> Result<Loaded, AdvisoryError> {
    let label = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| AdvisoryError {
        path: label.clone(),
        record: None,
        message: format!("cannot open: {e}"),
    })?;
    load_zip_reader(&label, std::io::BufReader::new(file))
}

/// The total number of bytes the entries of a zip of `archive_len` bytes may inflate to:
/// [`INFLATE_RATIO`] times its size, at least [`INFLATE_MIN`], at most [`INFLATE_MAX`].
pub fn inflate_budget(archive_len: u64) -> u64 {
    archive_len.saturating_mul(INFLATE_RATIO).clamp(INFLATE_MIN, INFLATE_MAX)
}

/// Load an OSV zip from `reader` (`label` names it in errors): every `*.json` entry is a
/// record. The production path of [`load`] for zips, and the zip fuzz target's entry point.
///
/// Bounded: an entry may inflate to [`MAX_RECORD`] bytes, the whole archive to
/// [`inflate_budget`]; entries whose bytes overlap another entry's (the shape of a zip bomb, where
/// thousands of entries reuse one deflate stream) are rejected without being inflated. Every
/// entry that is not read is an error naming it. A panic of the zip reader is contained (the
/// entry, or the archive when it happens while opening it, is the error).
pub fn load_zip_reader<R: Read + Seek>(label: &str, reader: R) -> Result<Loaded, AdvisoryError> {
    load_zip_budgeted(label, reader, None)
}

/// [`load_zip_reader`], with the inflate budget given (tests) instead of [`inflate_budget`].
fn load_zip_budgeted<R: Read + Seek>(label: &str, mut reader: R, budget: Option<u64>) -> Result<Loaded, AdvisoryError> {
    let err = |message: String| AdvisoryError { path: label.to_owned(), record: None, message };
    let archive_len = reader.seek(SeekFrom::End(0)).map_err(|e| err(format!("cannot read: {e}")))?;
    reader.rewind().map_err(|e| err(format!("cannot read: {e}")))?;
    let mut archive = panics::contain(|| zip::ZipArchive::new(reader))
        .map_err(&err)?
        .map_err(|e| err(format!("not a readable zip archive: {e}")))?;
    let mut loaded = Loaded::default();

    // Where each entry's bytes are (local header to end of data), to reject overlaps.
    let count = archive.len();
    let mut problems: Vec<Option<String>> = vec![None; count];
    let mut spans: Vec<(u64, u64, usize)> = Vec::with_capacity(count);
    for (i, problem) in problems.iter_mut().enumerate() {
        let span = panics::contain(|| {
            archive.by_index_raw(i).map(|e| (e.header_start(), e.data_start().saturating_add(e.compressed_size())))
        });
        match span {
            Ok(Ok((start, end))) => spans.push((start, end, i)),
            Ok(Err(e)) => *problem = Some(format!("corrupt entry: {e}")),
            Err(panic) => *problem = Some(panic),
        }
    }
    spans.sort_unstable();
    let mut reach = 0u64;
    for &(start, end, i) in &spans {
        if start < reach {
            if let Some(problem) = problems.get_mut(i) {
                *problem = Some(format!(
                    "entry overlaps the bytes of another entry (offsets {start}..{end}), as in a zip bomb; not inflated"
                ));
            }
        } else {
            reach = end;
        }
    }

    let allowed = budget.unwrap_or_else(|| inflate_budget(archive_len));
    let mut budget = allowed;
    let mut buf = Vec::new();
    for (i, problem) in problems.into_iter().enumerate() {
        let Some(name) = archive.name_for_index(i).map(str::to_owned) else { continue };
        if name.ends_with('/') || !Path::new(&name).extension().is_some_and(|e| e.eq_ignore_ascii_case("json")) {
            continue;
        }
        let entry_label = format!("{label}:{}", crate::sanitize::value(&name));
        let entry_error = |message: String| AdvisoryError { path: entry_label.clone(), record: None, message };
        if let Some(problem) = problem {
            loaded.error(entry_error(problem));
            continue;
        }
        if budget == 0 {
            loaded.error(entry_error(format!(
                "not read: the archive's entries already inflated to {allowed} bytes, the most a {archive_len}-byte \
                 archive may"
            )));
            continue;
        }
        buf.clear();
        let limit = MAX_RECORD.min(budget);
        let read = panics::contain(|| -> Result<(), String> {
            let mut entry = archive.by_index(i).map_err(|e| format!("corrupt entry: {e}"))?;
            // An entry must stay inside the archive root (no `..`, no absolute path).
            if entry.enclosed_name().is_none() {
                return Err("entry path leaves the archive root; skipped".to_owned());
            }
            if entry.size() > MAX_RECORD {
                return Err(format!("entry is {} bytes, more than a record can be; skipped", entry.size()));
            }
            (&mut entry)
                .take(limit.saturating_add(1))
                .read_to_end(&mut buf)
                .map_err(|e| format!("corrupt entry: {e}"))?;
            Ok(())
        });
        let inflated = u64::try_from(buf.len()).unwrap_or(u64::MAX);
        budget = budget.saturating_sub(inflated);
        match read {
            Ok(Ok(())) if inflated > MAX_RECORD => {
                loaded.error(entry_error(format!("entry inflates to more than {MAX_RECORD} bytes; skipped")));
            }
            Ok(Ok(())) if inflated > limit => {
                budget = 0;
                loaded.error(entry_error(format!(
                    "not read: the archive's entries inflate to more than {allowed} bytes, the most a \
                     {archive_len}-byte archive may"
                )));
            }
            Ok(Ok(())) => loaded.add(&entry_label, &buf),
            Ok(Err(message)) | Err(message) => loaded.error(entry_error(message)),
        }
    }
    Ok(loaded)
}

/// One record: `Ok(None)` when withdrawn; on error the record id (when readable) and why.
/// Entries of ecosystems chainward does not match are skipped and their names added to `unknown`.
pub(crate) fn parse_record(
    bytes: &[u8],
    unknown: &mut BTreeSet<String>,
) -> Result<Option<Advisory>, (Option<String>, String)> {
    let wire: RecordWire = serde_json::from_slice(bytes).map_err(|e| {
        let id = serde_json::from_slice::<serde_json::Value>(bytes)
            .ok()
            .and_then(|v| v.get("id").and_then(serde_json::Value::as_str).map(str::to_owned));
        (id, format!("invalid OSV record: {e}"))
    })?;
    if wire.id.trim().is_empty() {
        return Err((None, "invalid OSV record: the id is empty".to_owned()));
    }
    if wire.withdrawn.is_some() {
        return Ok(None);
    }
    // RustSec's OSV export marks informational advisories in `database_specific`, at the top
    // or (as it does today) per affected package.
    let informational = std::iter::once(wire.database_specific.as_ref())
        .chain(wire.affected.iter().map(|a| a.database_specific.as_ref()))
        .flatten()
        .find_map(|d| d.get("informational").and_then(serde_json::Value::as_str))
        .map(str::to_owned);
    // Malicious-package records: OSV's `MAL-` database, or any record that says so in its
    // top-level `database_specific.kind` (chainward's own records, and other databases that
    // follow the same convention).
    let marked_malicious = wire
        .database_specific
        .as_ref()
        .and_then(|d| d.get("kind"))
        .and_then(serde_json::Value::as_str)
        .is_some_and(|k| k.eq_ignore_ascii_case("malicious"));
    let kind = if wire.id.starts_with("MAL-") || marked_malicious {
        AdvisoryKind::Malicious
    } else {
        match informational.as_deref() {
            None => AdvisoryKind::Vulnerability,
            Some("unmaintained") => AdvisoryKind::Unmaintained,
            Some("unsound") => AdvisoryKind::Unsound,
            Some(_) => AdvisoryKind::Notice,
        }
    };
    let cvss = best_cvss(wire.severity.iter().chain(wire.affected.iter().flat_map(|a| &a.severity)));
    let mut affected = Vec::new();
    for a in wire.affected {
        let Some(package) = a.package else { continue };
        let Some(ecosystem) = Ecosystem::from_osv(&package.ecosystem) else {
            unknown.insert(package.ecosystem);
            continue;
        };
        let mut ranges = Vec::new();
        for r in a.ranges {
            if !matches!(r.kind.as_str(), "SEMVER" | "ECOSYSTEM") {
                continue;
            }
            let mut events = Vec::new();
            for e in r.events {
                let event = match (e.introduced, e.fixed, e.last_affected, e.limit) {
                    (Some(v), None, None, None) => Event::Introduced(v),
                    (None, Some(v), None, None) => Event::Fixed(v),
                    (None, None, Some(v), None) => Event::LastAffected(v),
                    (None, None, None, Some(v)) => Event::Limit(v),
                    _ => {
                        return Err((Some(wire.id.clone()), "a range event must have exactly one field".to_owned()));
                    }
                };
                events.push(event);
            }
            ranges.push(Range { events });
        }
        let functions = a
            .ecosystem_specific
            .as_ref()
            .and_then(|e| e.get("affects"))
            .and_then(|e| e.get("functions"))
            .and_then(serde_json::Value::as_array)
            .map(|f| f.iter().filter_map(serde_json::Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default();
        let list = |key: &str| -> Vec<String> {
            a.ecosystem_specific
                .as_ref()
                .and_then(|e| e.get("affects"))
                .and_then(|e| e.get(key))
                .and_then(serde_json::Value::as_array)
                .map(|f| f.iter().filter_map(serde_json::Value::as_str).map(str::to_owned).collect())
                .unwrap_or_default()
        };
        affected.push(Affected {
            ecosystem,
            name: ecosystem.normalize_name(&package.name),
            ranges,
            versions: a.versions,
            os: list("os"),
            arch: list("arch"),
            functions,
        });
    }
    let url = wire
        .references
        .iter()
        .find(|r| r.kind == "ADVISORY" && r.url.contains(&wire.id))
        .or_else(|| wire.references.iter().find(|r| r.kind == "ADVISORY"))
        .map(|r| r.url.clone());
    // `published` is RFC 3339; its date is what reports compare.
    let published = wire
        .published
        .as_deref()
        .and_then(|p| p.get(..10))
        .filter(|d| time::Date::parse(d, time::macros::format_description!("[year]-[month]-[day]")).is_ok())
        .map(str::to_owned);
    let modified = wire.modified.as_ref().and_then(serde_json::Value::as_str).and_then(super::normalize_timestamp);
    Ok(Some(Advisory {
        published,
        modified,
        summary: wire.summary.unwrap_or_default(),
        details: wire.details.unwrap_or_default(),
        aliases: wire.aliases,
        related: wire.related,
        kind,
        cvss,
        affected,
        references: wire.references.into_iter().map(|r| r.url).collect(),
        url,
        source: "osv".to_owned(),
        id: wire.id,
    }))
}

/// The highest-versioned CVSS vector given (v4 over v3).
fn best_cvss<'a>(severities: impl Iterator<Item = &'a SeverityWire>) -> Option<Cvss> {
    let mut best: Option<(u8, Cvss)> = None;
    for s in severities {
        let rank = match s.kind.as_str() {
            "CVSS_V4" => 2,
            "CVSS_V3" => 1,
            _ => continue,
        };
        if best.as_ref().is_some_and(|(r, _)| *r >= rank) {
            continue;
        }
        if let Some(c) = Cvss::parse(&s.score) {
            best = Some((rank, c));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const RECORD: &str = r#"{
      "id": "GHSA-xxxx-yyyy-zzzz",
      "aliases": ["CVE-2099-2"],
      "summary": "Bad thing in Foo_Bar",
      "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}],
      "affected": [
        {"package": {"ecosystem": "PyPI", "name": "Foo_Bar"},
         "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.0"}]},
                    {"type": "GIT", "repo": "https://x", "events": [{"introduced": "0"}, {"fixed": "abc"}]}],
         "versions": ["1.0", "1.5"]},
        {"package": {"ecosystem": "Alpine:v3.18", "name": "foo"}, "ranges": []}
      ],
      "references": [{"type": "ADVISORY", "url": "https://example.com/GHSA-xxxx-yyyy-zzzz"}]
    }"#;

    #[test]
    fn parses_ranges_names_and_severity() {
        let mut unknown = BTreeSet::new();
        let a = parse_record(RECORD.as_bytes(), &mut unknown).unwrap().unwrap();
        assert_eq!(a.kind, AdvisoryKind::Vulnerability);
        assert_eq!(a.affected.len(), 1);
        assert_eq!(a.affected[0].name, "foo-bar", "PEP 503 normalized");
        assert_eq!(a.affected[0].ranges.len(), 1, "GIT ranges dropped");
        assert_eq!(a.severity(), super::super::Severity::High);
        assert_eq!(a.url.as_deref(), Some("https://example.com/GHSA-xxxx-yyyy-zzzz"));
        assert!(unknown.contains("Alpine:v3.18"));
    }

    #[test]
    fn withdrawn_malicious_and_informational() {
        let mut unknown = BTreeSet::new();
        let withdrawn = RECORD.replace("\"aliases\"", "\"withdrawn\": \"2099-01-01T00:00:00Z\", \"aliases\"");
        assert!(parse_record(withdrawn.as_bytes(), &mut unknown).unwrap().is_none());
        let mal = RECORD.replace("GHSA-xxxx-yyyy-zzzz", "MAL-2099-1");
        assert_eq!(parse_record(mal.as_bytes(), &mut unknown).unwrap().unwrap().kind, AdvisoryKind::Malicious);
        let info =
            RECORD.replace("\"aliases\"", "\"database_specific\": {\"informational\": \"unmaintained\"}, \"aliases\"");
        let per_package =
            RECORD.replace("\"versions\":", "\"database_specific\": {\"informational\": \"unsound\"}, \"versions\":");
        let a = parse_record(per_package.as_bytes(), &mut unknown).unwrap().unwrap();
        assert_eq!(a.kind, AdvisoryKind::Unsound, "per-package database_specific");
        let a = parse_record(info.as_bytes(), &mut unknown).unwrap().unwrap();
        assert_eq!(a.kind, AdvisoryKind::Unmaintained);
        assert_eq!(a.severity(), super::super::Severity::Info);
    }

    #[test]
    fn database_specific_kind_malicious_marks_any_record_malicious() {
        let mut unknown = BTreeSet::new();
        let marked = RECORD.replace(
            "\"aliases\"",
            "\"database_specific\": {\"kind\": \"malicious\", \"source\": \"chainward\"}, \"aliases\"",
        );
        let a = parse_record(marked.as_bytes(), &mut unknown).unwrap().unwrap();
        assert_eq!(a.kind, AdvisoryKind::Malicious);
        assert_eq!(a.severity(), super::super::Severity::Critical, "malicious outranks the CVSS score");
        let other = RECORD.replace("\"aliases\"", "\"database_specific\": {\"kind\": \"bug\"}, \"aliases\"");
        assert_eq!(parse_record(other.as_bytes(), &mut unknown).unwrap().unwrap().kind, AdvisoryKind::Vulnerability);
        let not_a_string = RECORD.replace("\"aliases\"", "\"database_specific\": {\"kind\": 1}, \"aliases\"");
        assert_eq!(
            parse_record(not_a_string.as_bytes(), &mut unknown).unwrap().unwrap().kind,
            AdvisoryKind::Vulnerability
        );
    }

    #[test]
    fn malformed_records_name_their_id() {
        let mut unknown = BTreeSet::new();
        let bad = r#"{"id": "PYSEC-1", "affected": "nope"}"#;
        let (id, message) = parse_record(bad.as_bytes(), &mut unknown).unwrap_err();
        assert_eq!(id.as_deref(), Some("PYSEC-1"));
        assert!(message.contains("invalid OSV record"));
        let two = r#"{"id": "X-1", "affected": [{"package": {"ecosystem": "npm", "name": "a"},
            "ranges": [{"type": "SEMVER", "events": [{"introduced": "0", "fixed": "1.0.0"}]}]}]}"#;
        assert!(parse_record(two.as_bytes(), &mut unknown).is_err());
    }

    #[test]
    fn zip_entries_outside_the_root_and_corrupt_archives_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("all.zip");
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        let opts = zip::write::SimpleFileOptions::default();
        zip.start_file("GHSA-xxxx-yyyy-zzzz.json", opts).unwrap();
        zip.write_all(RECORD.as_bytes()).unwrap();
        zip.start_file("../evil.json", opts).unwrap();
        zip.write_all(RECORD.as_bytes()).unwrap();
        zip.start_file("broken.json", opts).unwrap();
        zip.write_all(b"{\"id\": \"BROKEN-1\", ").unwrap();
        zip.finish().unwrap();
        let loaded = load(&path).unwrap();
        assert_eq!(loaded.advisories.len(), 1);
        assert_eq!(loaded.errors.len(), 2, "{:?}", loaded.errors);
        assert!(loaded.errors.iter().any(|e| e.path.ends_with("../evil.json") && e.message.contains("archive root")));
        assert!(loaded.errors.iter().any(|e| e.path.ends_with("broken.json")));

        let corrupt = dir.path().join("corrupt.zip");
        std::fs::write(&corrupt, b"PK\x03\x04 not really a zip").unwrap();
        let err = load(&corrupt).unwrap_err();
        assert!(err.to_string().contains("corrupt.zip"), "{err}");
    }

    fn zip_of(entries: &[(&str, String)], method: zip::CompressionMethod) -> Vec<u8> {
        let mut buf = std::io::Cursor::new(Vec::new());
        let mut zip = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default().compression_method(method);
        for (name, text) in entries {
            zip.start_file(*name, opts).unwrap();
            zip.write_all(text.as_bytes()).unwrap();
        }
        zip.finish().unwrap();
        buf.into_inner()
    }

    fn record(id: &str) -> String {
        RECORD.replace("GHSA-xxxx-yyyy-zzzz", id)
    }

    #[test]
    fn empty_and_blank_ids_are_rejected() {
        let mut unknown = BTreeSet::new();
        for id in ["", "   ", "\\t"] {
            let text = RECORD.replace("\"GHSA-xxxx-yyyy-zzzz\"", &format!("\"{id}\""));
            let (_, message) = parse_record(text.as_bytes(), &mut unknown).unwrap_err();
            assert!(message.contains("id is empty"), "{id:?}: {message}");
        }
    }

    #[test]
    fn every_entry_failing_its_crc_is_an_error() {
        let entries: Vec<(&str, String)> =
            vec![("A-1.json", record("A-1")), ("A-2.json", record("A-2")), ("A-3.json", record("A-3"))];
        let mut bytes = zip_of(&entries, zip::CompressionMethod::Stored);
        // Still valid JSON, but not the bytes the CRC was computed over.
        let needle = b"Bad thing";
        let mut flipped = 0;
        let mut at = 0;
        while let Some(i) = bytes[at..].windows(needle.len()).position(|w| w == needle) {
            bytes[at + i] = b'M';
            at += i + needle.len();
            flipped += 1;
        }
        assert_eq!(flipped, 3);
        let loaded = load_zip_reader("all.zip", std::io::Cursor::new(bytes)).unwrap();
        assert!(loaded.advisories.is_empty());
        assert_eq!(loaded.failed, 3);
        assert!(loaded.errors.iter().all(|e| e.message.contains("corrupt entry")), "{:?}", loaded.errors);
    }

    #[test]
    fn the_inflate_budget_stops_reading_and_names_every_entry_not_read() {
        let entries: Vec<(&str, String)> =
            vec![("A-1.json", record("A-1")), ("A-2.json", record("A-2")), ("A-3.json", record("A-3"))];
        let bytes = zip_of(&entries, zip::CompressionMethod::Deflated);
        let one = u64::try_from(record("A-1").len()).unwrap();
        let loaded = load_zip_budgeted("all.zip", std::io::Cursor::new(bytes), Some(one + one / 2)).unwrap();
        assert_eq!(loaded.advisories.len(), 1);
        assert_eq!(loaded.failed, 2);
        assert!(loaded.errors[0].path.ends_with("A-2.json") && loaded.errors[1].path.ends_with("A-3.json"));
        assert!(loaded.errors.iter().all(|e| e.message.contains("inflate")), "{:?}", loaded.errors);
        assert_eq!(inflate_budget(1), INFLATE_MIN);
        assert_eq!(inflate_budget(10 << 20), (10 << 20) * INFLATE_RATIO);
        assert_eq!(inflate_budget(u64::MAX), INFLATE_MAX);
    }

    #[test]
    fn errors_are_kept_up_to_the_limit_and_all_counted() {
        let bad: Vec<(String, String)> = (0..MAX_ERRORS + 5).map(|i| (format!("B-{i}.json"), "{".to_owned())).collect();
        let entries: Vec<(&str, String)> = bad.iter().map(|(n, t)| (n.as_str(), t.clone())).collect();
        let loaded =
            load_zip_reader("all.zip", std::io::Cursor::new(zip_of(&entries, zip::CompressionMethod::Stored))).unwrap();
        assert_eq!(loaded.errors.len(), MAX_ERRORS);
        assert_eq!(loaded.failed, MAX_ERRORS + 5);
    }

    #[cfg(unix)]
    #[test]
    fn a_directory_reads_regular_files_only_and_follows_no_directory_link() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("A-1.json"), record("A-1")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("A-1.json"), dir.path().join("A-2.json")).unwrap();
        std::os::unix::fs::symlink("/dev/zero", dir.path().join("zero.json")).unwrap();
        assert!(std::process::Command::new("mkfifo").arg(dir.path().join("pipe.json")).status().unwrap().success());
        std::os::unix::fs::symlink(dir.path(), dir.path().join("loop")).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let root = dir.path().to_path_buf();
        std::thread::spawn(move || tx.send(load(&root)));
        let loaded = rx.recv_timeout(std::time::Duration::from_secs(120)).expect("the load hung").unwrap();
        assert_eq!(loaded.advisories.len(), 2, "a link to a regular file is read: {:?}", loaded.errors);
        let errors: Vec<String> = loaded.errors.iter().map(ToString::to_string).collect();
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(errors.iter().any(|e| e.contains("loop") && e.contains("not followed")), "{errors:?}");
        assert!(errors.iter().any(|e| e.contains("pipe.json") && e.contains("a FIFO")), "{errors:?}");
        assert!(errors.iter().any(|e| e.contains("zero.json") && e.contains("a device")), "{errors:?}");

        // A FIFO given as the source itself is refused, not opened.
        let fifo = dir.path().join("db.zip");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || tx.send(load(&fifo).map(|_| ())));
        let err = rx.recv_timeout(std::time::Duration::from_secs(120)).expect("the load hung").unwrap_err();
        assert!(err.message.contains("a FIFO"), "{err}");
    }
}
