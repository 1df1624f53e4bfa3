//! chainward's own advisories: OSV records of supply-chain compromises (hijacked or malicious
//! releases on crates.io, npm and PyPI), written from public incident reports and kept in
//! `advisories/` at the repository root. They are compiled into the binary, so every scan
//! matches them: with `--db`, with the managed database, and `--offline`.
//!
//! Each record is parsed with the OSV parser ([`super::osv`]) and is always of kind
//! [`AdvisoryKind::Malicious`]. Records that are the same incident as an upstream advisory list
//! its ids in `aliases`; matching merges them into one finding per package (see
//! [`crate::finding::match_packages`]).
//!
//! To add a record, write `advisories/CHAINWARD-YYYY-NNNN.json` and add it to [`RECORDS`]; a
//! test fails while the list and the directory differ.

use std::collections::BTreeSet;

use super::{Advisory, AdvisoryError, AdvisoryKind, SourceInfo, osv};

/// The source name in reports (`database.sources[].name`).
pub const SOURCE_NAME: &str = "chainward";

/// The source path in reports: the records are built in, not read from a file.
pub const SOURCE_PATH: &str = "builtin";

/// Embeds `advisories/<id>.json` as `(file name, text)`.
macro_rules! record {
    ($id:literal) => {
        (concat!($id, ".json"), include_str!(concat!("../../advisories/", $id, ".json")))
    };
}

/// Every record in `advisories/`, as (file name, JSON text).
pub const RECORDS: &[(&str, &str)] = &[
    record!("CHAINWARD-2018-0001"),
    record!("CHAINWARD-2021-0001"),
    record!("CHAINWARD-2021-0002"),
    record!("CHAINWARD-2021-0003"),
    record!("CHAINWARD-2022-0001"),
    record!("CHAINWARD-2022-0002"),
    record!("CHAINWARD-2022-0003"),
    record!("CHAINWARD-2022-0004"),
    record!("CHAINWARD-2024-0001"),
    record!("CHAINWARD-2024-0002"),
    record!("CHAINWARD-2025-0001"),
    record!("CHAINWARD-2025-0002"),
    record!("CHAINWARD-2025-0003"),
    record!("CHAINWARD-2025-0004"),
    record!("CHAINWARD-2025-0005"),
    record!("CHAINWARD-2025-0006"),
    record!("CHAINWARD-2025-0007"),
    record!("CHAINWARD-2025-0008"),
    record!("CHAINWARD-2025-0009"),
    record!("CHAINWARD-2025-0010"),
    record!("CHAINWARD-2025-0011"),
    record!("CHAINWARD-2025-0012"),
    record!("CHAINWARD-2025-0013"),
    record!("CHAINWARD-2026-0001"),
    record!("CHAINWARD-2026-0002"),
    record!("CHAINWARD-2026-0003"),
    record!("CHAINWARD-2026-0004"),
    record!("CHAINWARD-2026-0005"),
];

/// The built-in records, parsed.
#[derive(Debug)]
pub struct Builtin {
    /// What the source contributed (every record, whatever was selected).
    pub source: SourceInfo,
    /// The records (withdrawn ones excluded).
    pub advisories: Vec<Advisory>,
    /// Records that could not be parsed (a test keeps this empty).
    pub errors: Vec<AdvisoryError>,
}

/// Parse every built-in record, keeping those `keep` accepts. The source's record count is
/// that of every record either way, as for the other sources.
pub fn load(keep: impl Fn(&Advisory) -> bool) -> Builtin {
    let mut advisories = Vec::new();
    let mut errors = Vec::new();
    let mut unknown = BTreeSet::new();
    let mut records = 0;
    for (file, text) in RECORDS {
        match osv::parse_record(text.as_bytes(), &mut unknown) {
            Ok(Some(advisory)) => {
                records += 1;
                let advisory = normalize(advisory);
                if keep(&advisory) {
                    advisories.push(advisory);
                }
            }
            Ok(None) => {}
            Err((record, message)) => {
                errors.push(AdvisoryError { path: format!("{SOURCE_PATH}:advisories/{file}"), record, message });
            }
        }
    }
    if !unknown.is_empty() {
        let names: Vec<&str> = unknown.iter().map(String::as_str).collect();
        errors.push(AdvisoryError {
            path: format!("{SOURCE_PATH}:advisories"),
            record: None,
            message: format!("entries for ecosystems chainward does not match were skipped: {}", names.join(", ")),
        });
    }
    Builtin {
        // The built-in records are a handful about chainward's own findings: they cover no
        // ecosystem (a scan with only them has not looked anything up).
        source: SourceInfo {
            name: SOURCE_NAME.to_owned(),
            path: SOURCE_PATH.to_owned(),
            records,
            ecosystems: std::collections::BTreeSet::new(),
        },
        advisories,
        errors,
    }
}

/// Whether `source` is this built-in source (it has no file behind it).
pub fn is_builtin(source: &SourceInfo) -> bool {
    source.name == SOURCE_NAME && source.path == SOURCE_PATH
}

/// Every built-in record is about a malicious release, whatever its fields say; its link is its
/// first advisory reference (else its first reference), since `CHAINWARD-` ids have no page of
/// their own.
fn normalize(mut advisory: Advisory) -> Advisory {
    advisory.kind = AdvisoryKind::Malicious;
    SOURCE_NAME.clone_into(&mut advisory.source);
    if advisory.url.is_none() {
        advisory.url = advisory.references.first().cloned();
    }
    advisory
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::advisory::Severity;
    use crate::model::Ecosystem;

    #[test]
    fn every_record_parses_as_a_malicious_chainward_advisory() {
        let builtin = load(|_| true);
        assert!(builtin.errors.is_empty(), "{:?}", builtin.errors);
        assert_eq!(builtin.advisories.len(), RECORDS.len());
        assert_eq!(builtin.source.records, RECORDS.len());
        for a in &builtin.advisories {
            assert!(a.id.starts_with("CHAINWARD-"), "{}", a.id);
            assert_eq!(a.kind, AdvisoryKind::Malicious, "{}", a.id);
            assert_eq!(a.severity(), Severity::Critical, "{}", a.id);
            assert_eq!(a.source, SOURCE_NAME);
            assert!(a.url.is_some(), "{}: a link for the report", a.id);
            assert!(!a.affected.is_empty(), "{}", a.id);
            assert!(a.modified_at().is_some(), "{}: every record says when it was last modified", a.id);
        }
        let ecosystems: BTreeSet<Ecosystem> =
            builtin.advisories.iter().flat_map(|a| a.affected.iter().map(|x| x.ecosystem)).collect();
        assert!(ecosystems.contains(&Ecosystem::Cargo) && ecosystems.contains(&Ecosystem::Npm));
        assert!(ecosystems.contains(&Ecosystem::PyPI));
    }

    #[test]
    fn the_filter_keeps_the_count_of_every_record() {
        let none = load(|_| false);
        assert!(none.advisories.is_empty());
        assert_eq!(none.source.records, RECORDS.len());
        assert!(is_builtin(&none.source));
    }

    #[test]
    fn kind_is_forced_and_a_link_is_found() {
        let record = r#"{"id": "CHAINWARD-2099-0001", "modified": "2099-01-01T00:00:00Z",
            "affected": [{"package": {"ecosystem": "npm", "name": "x"}, "versions": ["1.0.0"]}],
            "references": [{"type": "WEB", "url": "https://example.com/report"}]}"#;
        let parsed = osv::parse_record(record.as_bytes(), &mut BTreeSet::new()).unwrap().unwrap();
        assert_eq!(parsed.kind, AdvisoryKind::Vulnerability, "no MAL- prefix, no database_specific");
        let a = normalize(parsed);
        assert_eq!(a.kind, AdvisoryKind::Malicious);
        assert_eq!(a.url.as_deref(), Some("https://example.com/report"));
        assert_eq!(a.link().as_deref(), Some("https://example.com/report"));
    }
}
