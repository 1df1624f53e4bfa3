//! OSV JSON records (<https://ossf.github.io/osv-schema/>), from a directory of `*.json` files
//! or from zip files laid out like osv.dev's per-ecosystem `all.zip`.
//!
//! `SEMVER` and `ECOSYSTEM` ranges are kept; `GIT` ranges name commits, not package versions,
//! and never match a package. Withdrawn records are skipped. A malformed record, a corrupt zip
//! entry or an entry whose path leaves the archive root is reported (file and record id) and
//! skipped; the other records still load.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::Path;

use serde::Deserialize;

use super::{Advisory, AdvisoryError, AdvisoryKind, Affected, Cvss, Event, Range};
use crate::model::Ecosystem;

/// Largest record accepted (osv.dev's biggest are a few hundred KiB).
const MAX_RECORD: u64 = 16 << 20;

#[derive(Deserialize)]
struct RecordWire {
    id: String,
    #[serde(default)]
    withdrawn: Option<String>,
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
    /// Records or entries that could not be read.
    pub errors: Vec<AdvisoryError>,
    /// Withdrawn records (skipped).
    pub withdrawn: usize,
    /// Ecosystems named by records that chainward does not match (`Alpine`, `Debian:12`, ...).
    pub unknown_ecosystems: BTreeSet<String>,
}

impl Loaded {
    fn add(&mut self, path: &str, bytes: &[u8]) {
        match parse_record(bytes, &mut self.unknown_ecosystems) {
            Ok(Some(a)) => self.advisories.push(a),
            Ok(None) => self.withdrawn += 1,
            Err((record, message)) => self.errors.push(AdvisoryError { path: path.to_owned(), record, message }),
        }
    }
}

/// Load a directory of OSV `*.json` files (recursively) or an OSV zip.
pub fn load(path: &Path) -> Result<Loaded, AdvisoryError> {
    if path.is_dir() { load_dir(path) } else { load_zip(path) }
}

fn load_dir(dir: &Path) -> Result<Loaded, AdvisoryError> {
    let mut loaded = Loaded::default();
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| AdvisoryError {
            path: d.display().to_string(),
            record: None,
            message: format!("cannot read directory: {e}"),
        })?;
        for entry in entries.flatten() {
            let p = entry.path();
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "json") {
                files.push(p);
            }
        }
    }
    files.sort();
    for file in files {
        let name = file.display().to_string();
        match std::fs::read(&file) {
            Ok(bytes) => loaded.add(&name, &bytes),
            Err(e) => loaded.errors.push(AdvisoryError { path: name, record: None, message: e.to_string() }),
        }
    }
    Ok(loaded)
}

fn load_zip(path: &Path) -> Result<Loaded, AdvisoryError> {
    let label = path.display().to_string();
    let err = |message: String| AdvisoryError { path: label.clone(), record: None, message };
    let file = std::fs::File::open(path).map_err(|e| err(format!("cannot open: {e}")))?;
    let mut archive = zip::ZipArchive::new(std::io::BufReader::new(file))
        .map_err(|e| err(format!("not a readable zip archive: {e}")))?;
    let mut loaded = Loaded::default();
    let mut buf = Vec::new();
    for i in 0..archive.len() {
        let mut entry = match archive.by_index(i) {
            Ok(e) => e,
            Err(e) => {
                loaded.errors.push(err(format!("entry {i}: {e}")));
                continue;
            }
        };
        let name = entry.name().to_owned();
        if entry.is_dir() {
            continue;
        }
        let entry_label = format!("{label}:{name}");
        // An entry must stay inside the archive root (no `..`, no absolute path).
        if entry.enclosed_name().is_none() {
            loaded.errors.push(AdvisoryError {
                path: entry_label,
                record: None,
                message: "entry path leaves the archive root; skipped".to_owned(),
            });
            continue;
        }
        if !Path::new(&name).extension().is_some_and(|e| e.eq_ignore_ascii_case("json")) {
            continue;
        }
        if entry.size() > MAX_RECORD {
            loaded.errors.push(AdvisoryError {
                path: entry_label,
                record: None,
                message: format!("entry is {} bytes, more than a record can be; skipped", entry.size()),
            });
            continue;
        }
        buf.clear();
        if let Err(e) = (&mut entry).take(MAX_RECORD).read_to_end(&mut buf) {
            loaded.errors.push(AdvisoryError {
                path: entry_label,
                record: None,
                message: format!("corrupt entry: {e}"),
            });
            continue;
        }
        loaded.add(&entry_label, &buf);
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
    Ok(Some(Advisory {
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
}
