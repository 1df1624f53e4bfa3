//! A RustSec advisory-db directory (`crates/<crate>/RUSTSEC-*.md`), parsed with the `rustsec`
//! crate. One malformed advisory is reported and skipped; the others still load.
//!
//! Parity with cargo-audit: only the `crates/` collection is read (`rust/` names std, cargo and
//! rustdoc, never a lockfile package); withdrawn advisories are skipped; advisories for another
//! registry (`source = ...`) are skipped, as cargo-audit only matches crates.io packages against
//! crates.io advisories; `patched` / `unaffected` become ranges through
//! `rustsec::osv::ranges_for_advisory`, the function cargo-audit's matching uses.

use std::path::Path;

use super::{Advisory, AdvisoryError, AdvisoryKind, Affected, Cvss, Event, Range};
use crate::model::Ecosystem;

/// What a directory held.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Advisories that apply.
    pub advisories: Vec<Advisory>,
    /// Files that could not be read.
    pub errors: Vec<AdvisoryError>,
    /// Withdrawn advisories (skipped).
    pub withdrawn: usize,
}

/// Whether `dir` looks like a RustSec advisory-db checkout.
pub fn is_rustsec_dir(dir: &Path) -> bool {
    dir.join("crates").is_dir()
}

/// Load every advisory under `dir/crates/`.
pub fn load(dir: &Path) -> Result<Loaded, AdvisoryError> {
    let crates = dir.join("crates");
    let mut files = Vec::new();
    let read_dir = |p: &Path| {
        std::fs::read_dir(p).map_err(|e| AdvisoryError {
            path: p.display().to_string(),
            record: None,
            message: format!("cannot read directory: {e}"),
        })
    };
    for entry in read_dir(&crates)? {
        let Ok(entry) = entry else { continue };
        if !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        for file in read_dir(&entry.path())? {
            let Ok(file) = file else { continue };
            let path = file.path();
            if path.extension().is_some_and(|e| e == "md")
                && !path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.'))
            {
                files.push(path);
            }
        }
    }
    files.sort();

    // Parsing is the cost: split the files over the available cores.
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get).min(8);
    let chunk = files.len().div_ceil(threads).max(1);
    let results: Vec<Vec<Result<Option<Advisory>, AdvisoryError>>> = std::thread::scope(|s| {
        let handles: Vec<_> =
            files.chunks(chunk).map(|part| s.spawn(move || part.iter().map(|p| load_file(p)).collect())).collect();
        handles.into_iter().map(|h| h.join().unwrap_or_default()).collect()
    });
    let mut loaded = Loaded::default();
    for result in results.into_iter().flatten() {
        match result {
            Ok(Some(a)) => loaded.advisories.push(a),
            Ok(None) => loaded.withdrawn += 1,
            Err(e) => loaded.errors.push(e),
        }
    }
    Ok(loaded)
}

/// One advisory file: `Ok(None)` when withdrawn or for another registry.
fn load_file(path: &Path) -> Result<Option<Advisory>, AdvisoryError> {
    let record = path.file_stem().and_then(|s| s.to_str()).map(str::to_owned);
    let err = |message: String| AdvisoryError { path: path.display().to_string(), record: record.clone(), message };
    let text = std::fs::read_to_string(path).map_err(|e| err(format!("cannot read: {e}")))?;
    let advisory: rustsec::Advisory = text.parse().map_err(|e: rustsec::Error| err(e.to_string()))?;
    Ok(convert(advisory))
}

/// A parsed RustSec advisory as chainward's model.
pub fn convert(advisory: rustsec::Advisory) -> Option<Advisory> {
    let meta = advisory.metadata;
    if meta.withdrawn.is_some() || meta.source.as_ref().is_some_and(|s| !s.is_default_registry()) {
        return None;
    }
    let malicious = meta.categories.iter().any(|c| matches!(c, rustsec::advisory::Category::Malicious));
    let kind = match &meta.informational {
        None if malicious => AdvisoryKind::Malicious,
        None => AdvisoryKind::Vulnerability,
        Some(rustsec::advisory::Informational::Unmaintained) => AdvisoryKind::Unmaintained,
        Some(rustsec::advisory::Informational::Unsound) => AdvisoryKind::Unsound,
        Some(_) => AdvisoryKind::Notice,
    };
    let ranges = rustsec::osv::ranges_for_advisory(&advisory.versions)
        .into_iter()
        .map(|r| {
            let mut events = vec![Event::Introduced(r.introduced.map_or_else(|| "0".to_owned(), |v| v.to_string()))];
            if let Some(fixed) = r.fixed {
                events.push(Event::Fixed(fixed.to_string()));
            }
            Range { events }
        })
        .collect();
    let (os, arch, functions) = match &advisory.affected {
        Some(a) => (
            a.os.iter().map(ToString::to_string).collect(),
            a.arch.iter().map(ToString::to_string).collect(),
            a.functions.keys().map(ToString::to_string).collect(),
        ),
        None => (Vec::new(), Vec::new(), Vec::new()),
    };
    let name = meta.package.as_str().to_owned();
    Some(Advisory {
        id: meta.id.as_str().to_owned(),
        aliases: meta.aliases.iter().map(|a| a.as_str().to_owned()).collect(),
        related: meta.related.iter().map(|a| a.as_str().to_owned()).collect(),
        summary: meta.title,
        details: meta.description,
        kind,
        cvss: meta.cvss.as_ref().and_then(|c| Cvss::parse(&c.to_string())),
        affected: vec![Affected {
            ecosystem: Ecosystem::Cargo,
            name,
            ranges,
            versions: Vec::new(),
            os,
            arch,
            functions,
        }],
        references: meta.references.iter().map(ToString::to_string).collect(),
        url: meta.url.as_ref().map(ToString::to_string),
        source: "rustsec".to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const VULN: &str = r#"```toml
[advisory]
id = "RUSTSEC-2099-0001"
package = "demo"
date = "2099-01-01"
aliases = ["CVE-2099-1", "GHSA-aaaa-bbbb-cccc"]
cvss = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"

[affected]
os = ["windows"]
functions = { "demo::run" = ["< 1.2.0"] }

[versions]
patched = [">= 1.2.0"]
unaffected = ["< 0.5.0"]
```

# Remote code execution in demo

Details here.
"#;

    fn parse(text: &str) -> Option<Advisory> {
        convert(text.parse::<rustsec::Advisory>().unwrap())
    }

    #[test]
    fn converts_a_vulnerability() {
        let a = parse(VULN).unwrap();
        assert_eq!(a.id, "RUSTSEC-2099-0001");
        assert_eq!(a.aliases, ["CVE-2099-1", "GHSA-aaaa-bbbb-cccc"]);
        assert_eq!(a.summary, "Remote code execution in demo");
        assert_eq!(a.kind, AdvisoryKind::Vulnerability);
        assert_eq!(a.severity(), super::super::Severity::Critical);
        let affected = &a.affected[0];
        assert_eq!(affected.os, ["windows"]);
        assert_eq!(affected.functions, ["demo::run"]);
        let check = |v: &str| {
            affected.evaluate(v, &super::super::version::Version::parse(Ecosystem::Cargo, v))
                == super::super::Verdict::Affected
        };
        assert!(!check("0.4.9"), "unaffected");
        assert!(check("0.5.0"));
        assert!(check("1.1.9"));
        assert!(!check("1.2.0"), "patched");
        assert_eq!(affected.fixed(), ["1.2.0"]);
    }

    #[test]
    fn the_malicious_category_is_kind_malicious() {
        let malicious = VULN.replace("cvss = ", "categories = [\"malicious\"]\n# cvss = ");
        let a = parse(&malicious).unwrap();
        assert_eq!(a.kind, AdvisoryKind::Malicious);
        assert_eq!(a.severity(), super::super::Severity::Critical);
    }

    #[test]
    fn informational_kinds_and_withdrawn() {
        let unmaintained = VULN.replace("cvss = ", "informational = \"unmaintained\"\n# cvss = ");
        assert_eq!(parse(&unmaintained).unwrap().kind, AdvisoryKind::Unmaintained);
        let unsound = VULN.replace("cvss = ", "informational = \"unsound\"   \n# cvss = ");
        assert_eq!(parse(&unsound).unwrap().kind, AdvisoryKind::Unsound);
        let withdrawn = VULN.replace("aliases", "withdrawn = \"2099-02-01\"\naliases");
        assert!(parse(&withdrawn).is_none());
    }

    #[test]
    fn a_malformed_file_is_an_error_naming_it_and_the_others_load() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("crates/demo");
        std::fs::create_dir_all(&good).unwrap();
        std::fs::write(good.join("RUSTSEC-2099-0001.md"), VULN).unwrap();
        std::fs::write(good.join("RUSTSEC-2099-0002.md"), "```toml\n[advisory]\nid = \n```\n# x\n").unwrap();
        let loaded = load(dir.path()).unwrap();
        assert_eq!(loaded.advisories.len(), 1);
        assert_eq!(loaded.errors.len(), 1);
        assert_eq!(loaded.errors[0].record.as_deref(), Some("RUSTSEC-2099-0002"));
        assert!(loaded.errors[0].to_string().contains("RUSTSEC-2099-0002.md"), "{}", loaded.errors[0]);
    }
}
