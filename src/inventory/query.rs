//! The fleet questions, the same on every engine: `who-uses NAME[@VERSION|@RANGE]` and the
//! revisions holding a set of packages (for `affected`).

use std::cmp::Ordering;

use serde::Serialize;

use super::{Holding, InventoryError, Revisions, Store, StoredPackage};
use crate::advisory::version::Version;
use crate::model::Ecosystem;

/// What `who-uses` looks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageSpec {
    /// The name as given.
    pub name: String,
    /// Which versions.
    pub versions: VersionSpec,
}

/// Which versions of a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionSpec {
    /// Every version.
    Any,
    /// One version (equal by the ecosystem's rules: PyPI `1.0` is `1.0.0`).
    Exact(String),
    /// Every comparator holds (`>=1.2, <1.4`).
    Range(Vec<(Op, String)>),
}

/// A comparison operator of a range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `=` or `==`.
    Eq,
    /// `!=`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
}

impl PackageSpec {
    /// `NAME`, `NAME@VERSION` or `NAME@RANGE` (comparators `=`, `!=`, `<`, `<=`, `>`, `>=`,
    /// separated by commas or spaces: `serde@>=1.0.100,<1.0.200`). An npm scope's `@` is part of
    /// the name (`@babel/core@7.23.9`).
    pub fn parse(spec: &str) -> Result<PackageSpec, String> {
        let spec = spec.trim();
        let split = spec.char_indices().skip(1).find(|&(_, c)| c == '@').map(|(i, _)| i);
        let (name, version) = match split {
            Some(i) => (spec.get(..i).unwrap_or_default(), spec.get(i + 1..)),
            None => (spec, None),
        };
        if name.is_empty() {
            return Err("an empty package name".to_owned());
        }
        let versions = match version.map(str::trim) {
            None => VersionSpec::Any,
            Some("") => return Err(format!("`{spec}`: nothing after `@` (give a version or a range)")),
            Some(v) if v.starts_with(['<', '>', '=', '!']) || v.contains(',') => {
                let mut comparators = Vec::new();
                for part in v.split([',', ' ']).map(str::trim).filter(|p| !p.is_empty()) {
                    let (op, rest) = [
                        ("==", Op::Eq),
                        ("!=", Op::Ne),
                        ("<=", Op::Le),
                        (">=", Op::Ge),
                        ("=", Op::Eq),
                        ("<", Op::Lt),
                        (">", Op::Gt),
                    ]
                    .iter()
                    .find_map(|(s, op)| part.strip_prefix(s).map(|rest| (*op, rest.trim())))
                    .ok_or_else(|| {
                        format!("`{part}` in `{v}` is not a comparison (use =, !=, <, <=, >, >=, comma-separated)")
                    })?;
                    if rest.is_empty() {
                        return Err(format!("`{part}` in `{v}` has no version"));
                    }
                    if rest.starts_with(['<', '>', '=', '!']) {
                        return Err(format!("`{part}` in `{v}` is not a comparison (use =, !=, <, <=, >, >=)"));
                    }
                    comparators.push((op, rest.to_owned()));
                }
                VersionSpec::Range(comparators)
            }
            Some(v) if v.starts_with(['^', '~']) => {
                return Err(format!("`{v}`: write the range with comparators (`>=1.2.0,<2.0.0`)"));
            }
            Some(v) => VersionSpec::Exact(v.to_owned()),
        };
        Ok(PackageSpec { name: name.to_owned(), versions })
    }

    /// Whether the versions asked for can be read by `ecosystem`'s rules: a bound that cannot
    /// (`regex@>=1.0`: SemVer needs `1.0.0`) would silently match nothing. `stored`: the versions
    /// of the name stored for that ecosystem (an exact version equal to one of them as written
    /// is fine, whatever the rules say).
    pub fn check(&self, ecosystem: Ecosystem, stored: &[&str]) -> Result<(), String> {
        let bad = |v: &str| {
            format!(
                "`{v}` is not a valid {} version, so nothing could be compared with it{}",
                ecosystem.as_str(),
                if matches!(ecosystem, Ecosystem::Cargo | Ecosystem::Npm | Ecosystem::Go) {
                    " (SemVer has three numbers: `1.0.0`; for every 1.0.x write `>=1.0.0,<1.1.0`)"
                } else {
                    ""
                }
            )
        };
        match &self.versions {
            VersionSpec::Any => Ok(()),
            VersionSpec::Exact(want) => {
                if stored.contains(&want.as_str()) || Version::parse(ecosystem, want).is_ok() {
                    Ok(())
                } else {
                    Err(bad(want))
                }
            }
            VersionSpec::Range(comparators) => {
                for (_, bound) in comparators {
                    if Version::parse(ecosystem, bound).is_err() {
                        return Err(bad(bound));
                    }
                }
                Ok(())
            }
        }
    }

    /// Whether `version` of `ecosystem` is one of the versions asked for; an error when it
    /// cannot be compared (a version the ecosystem's rules cannot read).
    pub fn admits(&self, ecosystem: Ecosystem, version: &str) -> Result<bool, String> {
        match &self.versions {
            VersionSpec::Any => Ok(true),
            VersionSpec::Exact(want) => {
                if want == version {
                    return Ok(true);
                }
                match (Version::parse(ecosystem, want), Version::parse(ecosystem, version)) {
                    (Ok(a), Ok(b)) => Ok(a.partial_cmp(&b) == Some(Ordering::Equal)),
                    _ => Ok(false),
                }
            }
            VersionSpec::Range(comparators) => {
                let have = Version::parse(ecosystem, version).map_err(|e| e.to_string())?;
                for (op, bound) in comparators {
                    let bound = Version::parse(ecosystem, bound).map_err(|e| e.to_string())?;
                    let Some(ord) = have.partial_cmp(&bound) else {
                        return Err(format!("cannot compare {version} with {bound:?}"));
                    };
                    let holds = match op {
                        Op::Eq => ord == Ordering::Equal,
                        Op::Ne => ord != Ordering::Equal,
                        Op::Lt => ord == Ordering::Less,
                        Op::Le => ord != Ordering::Greater,
                        Op::Gt => ord == Ordering::Greater,
                        Op::Ge => ord != Ordering::Less,
                    };
                    if !holds {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
        }
    }
}

/// A package in a query's answer.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct PackageOut {
    /// Ecosystem (`crates.io`, `npm`, `PyPI`, ...).
    pub ecosystem: &'static str,
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
    /// purl, when known.
    pub purl: Option<String>,
}

impl From<&StoredPackage> for PackageOut {
    fn from(p: &StoredPackage) -> PackageOut {
        PackageOut {
            ecosystem: p.key.ecosystem.as_str(),
            name: p.key.name.clone(),
            version: p.key.version.clone(),
            purl: p.key.purl.clone(),
        }
    }
}

/// One answer of `who-uses` (the JSON interface: `matches[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Match {
    /// The project.
    pub project: String,
    /// The revision.
    pub revision: String,
    /// The package it contains.
    pub package: PackageOut,
    /// One shortest dependency path, bom-refs from the project's root to the package; empty
    /// when unknown (an SBOM without dependencies).
    pub path: Vec<String>,
}

/// The answer of `who-uses`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct WhoUses {
    /// Each revision containing a matching package, with a path.
    pub matches: Vec<Match>,
    /// Versions that could not be compared with the range (said, never silently skipped).
    pub notes: Vec<String>,
}

/// `who-uses`: the stored packages matching `spec` (of `ecosystem` when given), and every
/// revision containing one.
pub fn who_uses(
    store: &mut dyn Store,
    spec: &PackageSpec,
    ecosystem: Option<Ecosystem>,
    revisions: Revisions,
) -> Result<WhoUses, InventoryError> {
    let names = super::normalized_names(&spec.name, ecosystem);
    let mut candidates = store.packages_named(&names, ecosystem)?;
    candidates.retain(|p| p.key.ecosystem.normalize_name(&p.key.name) == p.key.ecosystem.normalize_name(&spec.name));
    candidates.sort_by_key(|p| p.id);
    candidates.dedup_by(|a, b| a.id == b.id);
    // Every ecosystem with packages of that name must be able to read the versions asked for.
    let mut by_ecosystem: std::collections::BTreeMap<Ecosystem, Vec<&str>> = std::collections::BTreeMap::new();
    for p in &candidates {
        by_ecosystem.entry(p.key.ecosystem).or_default().push(p.key.version.as_str());
    }
    for (e, stored) in &by_ecosystem {
        spec.check(*e, stored).map_err(InventoryError::Query)?;
    }
    let mut answer = WhoUses::default();
    let mut chosen = Vec::new();
    for p in candidates {
        match spec.admits(p.key.ecosystem, &p.key.version) {
            Ok(true) => chosen.push(p),
            Ok(false) => {}
            Err(e) => answer.notes.push(format!(
                "{} {} {} not compared with the range: {e}",
                p.key.ecosystem.as_str(),
                p.key.name,
                p.key.version
            )),
        }
    }
    let holdings = store.holdings(&chosen.iter().map(|p| p.id).collect::<Vec<_>>(), revisions, true)?;
    let by_id: std::collections::HashMap<i64, &StoredPackage> = chosen.iter().map(|p| (p.id, p)).collect();
    for h in best_per_revision(holdings) {
        let Some(p) = by_id.get(&h.package_id) else { continue };
        answer.matches.push(Match {
            project: h.revision.project,
            revision: h.revision.revision,
            package: PackageOut::from(*p),
            path: h.path,
        });
    }
    Ok(answer)
}

/// One holding per (revision, package): a package under several bom-refs of one revision (two
/// SBOMs that spell it differently) is one answer, with the shortest known path.
pub fn best_per_revision(holdings: Vec<Holding>) -> Vec<Holding> {
    let rank = |h: &Holding| if h.path.is_empty() { usize::MAX } else { h.path.len() };
    let mut out: Vec<Holding> = Vec::with_capacity(holdings.len());
    let mut at: std::collections::HashMap<(i64, i64), usize> = std::collections::HashMap::new();
    for h in holdings {
        if let Some(kept) = at.get(&(h.revision.id, h.package_id)).and_then(|&i| out.get_mut(i)) {
            if rank(&h) < rank(kept) {
                *kept = h;
            }
        } else {
            at.insert((h.revision.id, h.package_id), out.len());
            out.push(h);
        }
    }
    out
}

/// The order of every answer: project, newest revision first, package, component.
pub fn sort_holdings(holdings: &mut [Holding]) {
    holdings.sort_by(|a, b| {
        a.revision
            .project
            .cmp(&b.revision.project)
            .then(b.revision.id.cmp(&a.revision.id))
            .then(a.package_id.cmp(&b.package_id))
            .then(a.idx.cmp(&b.idx))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse() {
        let s = PackageSpec::parse("@babel/core@7.23.9").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((s.name.as_str(), s.versions), ("@babel/core", VersionSpec::Exact("7.23.9".into())));
        let s = PackageSpec::parse("@babel/core").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.versions, VersionSpec::Any);
        let s = PackageSpec::parse("serde@>=1.0.100, <1.0.200").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.versions, VersionSpec::Range(vec![(Op::Ge, "1.0.100".into()), (Op::Lt, "1.0.200".into())]));
        assert!(s.admits(Ecosystem::Cargo, "1.0.150").unwrap_or(false));
        assert!(!s.admits(Ecosystem::Cargo, "1.0.200").unwrap_or(true));
        assert!(s.admits(Ecosystem::Cargo, "not-a-version").is_err());
        assert!(PackageSpec::parse("x@").is_err());
        assert!(PackageSpec::parse("x@^1").is_err());
        assert!(PackageSpec::parse("x@>=").is_err());
        assert!(PackageSpec::parse("x@=>1.0.0").is_err());
        let s = PackageSpec::parse("regex@>=1.0").unwrap_or_else(|e| panic!("{e}"));
        assert!(s.check(Ecosystem::Cargo, &["1.11.1"]).unwrap_err().contains("SemVer has three numbers"));
        assert!(s.check(Ecosystem::PyPI, &["1.11.1"]).is_ok());
        let s = PackageSpec::parse("regex@1.11").unwrap_or_else(|e| panic!("{e}"));
        assert!(s.check(Ecosystem::Cargo, &["1.11.1"]).is_err());
        assert!(s.check(Ecosystem::Cargo, &["1.11"]).is_ok(), "as written");
        let s = PackageSpec::parse("Django@==4.2").unwrap_or_else(|e| panic!("{e}"));
        assert!(s.admits(Ecosystem::PyPI, "4.2.0").unwrap_or(false));
        let s = PackageSpec::parse("Django@4.2").unwrap_or_else(|e| panic!("{e}"));
        assert!(s.admits(Ecosystem::PyPI, "4.2.0").unwrap_or(false));
    }
}
