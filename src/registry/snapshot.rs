//! Owner snapshots: the owners a registry listed each time chainward looked, kept under the
//! cache (`<cache_dir>/<registry>/owners/<sha256(name)>.json`), so an owner added or removed
//! between two runs is seen and dated (at the run that first saw it) even where the registry
//! keeps no history.

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::http::{Registry, hex};
use super::{Owner, OwnerChange};

/// Snapshots kept per package; older ones are dropped.
const MAX_SNAPSHOTS: usize = 64;

#[derive(Debug, Default, Serialize, Deserialize)]
struct History {
    name: String,
    snapshots: Vec<Snapshot>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Snapshot {
    at: String,
    owners: BTreeSet<String>,
}

/// Record `owners` as seen at `now` (when they differ from the last snapshot) and return every
/// change between consecutive snapshots, oldest first. Without a cache directory: no history.
pub(crate) fn observe(
    cache_dir: Option<&Path>,
    registry: Registry,
    name: &str,
    owners: &[Owner],
    now: OffsetDateTime,
) -> Vec<OwnerChange> {
    let Some(dir) = cache_dir else { return Vec::new() };
    let path = dir.join(registry.slug()).join("owners").join(format!("{}.json", hex(&Sha256::digest(name.as_bytes()))));
    let mut history: History = std::fs::read(&path)
        .ok()
        .and_then(|b| serde_json::from_slice::<History>(&b).ok())
        .filter(|h| h.name == name)
        .unwrap_or_else(|| History { name: name.to_owned(), snapshots: Vec::new() });
    let current: BTreeSet<String> = owners.iter().map(|o| o.id.clone()).collect();
    if history.snapshots.last().is_none_or(|s| s.owners != current)
        && let Ok(at) = now.format(&Rfc3339)
    {
        history.snapshots.push(Snapshot { at, owners: current });
        let excess = history.snapshots.len().saturating_sub(MAX_SNAPSHOTS);
        history.snapshots.drain(..excess);
        if let Ok(bytes) = serde_json::to_vec_pretty(&history) {
            // A cache we cannot write only costs the history.
            let _ = crate::fsutil::write_atomically(&path, &bytes);
        }
    }
    let evidence = match registry {
        Registry::CratesIndex | Registry::CratesApi => "crates.io owners snapshot",
        Registry::Npm => "npm maintainers snapshot",
        Registry::PyPI => "PyPI ownership snapshot",
    };
    changes(&history.snapshots, evidence)
}

fn changes(snapshots: &[Snapshot], evidence: &str) -> Vec<OwnerChange> {
    let mut out = Vec::new();
    for pair in snapshots.windows(2) {
        let [before, after] = pair else { continue };
        let Ok(at) = OffsetDateTime::parse(&after.at, &Rfc3339) else { continue };
        let since = OffsetDateTime::parse(&before.at, &Rfc3339).ok();
        for owner in after.owners.difference(&before.owners) {
            out.push(OwnerChange { at, since, owner: owner.clone(), added: true, evidence: evidence.to_owned() });
        }
        for owner in before.owners.difference(&after.owners) {
            out.push(OwnerChange { at, since, owner: owner.clone(), added: false, evidence: evidence.to_owned() });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn owner(id: &str) -> Owner {
        Owner { id: id.to_owned(), role: None }
    }

    #[test]
    fn a_new_owner_is_dated_at_the_run_that_saw_it() {
        let dir = tempfile::tempdir().unwrap();
        let t1 = OffsetDateTime::parse("2026-01-01T00:00:00Z", &Rfc3339).unwrap();
        let t2 = OffsetDateTime::parse("2026-02-01T00:00:00Z", &Rfc3339).unwrap();
        let first = observe(Some(dir.path()), Registry::CratesApi, "demo", &[owner("github:alice")], t1);
        assert!(first.is_empty());
        let same = observe(Some(dir.path()), Registry::CratesApi, "demo", &[owner("github:alice")], t2);
        assert!(same.is_empty());
        let changed = observe(Some(dir.path()), Registry::CratesApi, "demo", &[owner("github:mallory")], t2);
        assert_eq!(changed.len(), 2);
        assert!(changed.iter().all(|c| c.at == t2 && c.evidence == "crates.io owners snapshot"));
        assert!(changed.iter().any(|c| c.added && c.owner == "github:mallory"));
        assert!(changed.iter().any(|c| !c.added && c.owner == "github:alice"));
        assert!(observe(None, Registry::Npm, "demo", &[], t2).is_empty());
    }
}
