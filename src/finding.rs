//! Findings: what matching produces and every report renders. Field names here are the JSON
//! report contract (`docs/reports.md`): renaming one is a breaking change.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::advisory::version::Version;
use crate::advisory::{AdvisoryKind, Index, Severity};
use crate::model::Ecosystem;

/// A package as scanned: from a lockfile or from an SBOM component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanPackage {
    /// Ecosystem.
    pub ecosystem: Ecosystem,
    /// Name as written.
    pub name: String,
    /// Version as written.
    pub version: String,
    /// purl, when known.
    pub purl: Option<String>,
    /// The strongest checksum the lockfile (or SBOM) records, as `algorithm:hex` (`sha256:<hex>`).
    pub checksum: Option<String>,
    /// Whether the lockfile says the package runs install scripts (npm `hasInstallScript`);
    /// `None` when it does not say.
    pub install_script: Option<bool>,
    /// Where it was found.
    pub location: Location,
    /// Whether cargo compiles it (Rust, when the compiled view ran).
    pub compiled: Option<crate::compiled::Compiled>,
}

/// A file (and line) a finding points at.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Location {
    /// Path relative to the scanned root (or the SBOM file).
    pub path: String,
    /// 1-based line of the package's block, when known.
    pub line: Option<usize>,
    /// 1-based last line of the package's block, when known.
    pub end_line: Option<usize>,
}

impl Location {
    /// A package's block `lines` in the lockfile at `path`.
    pub fn block(path: &str, lines: Option<crate::model::LineSpan>) -> Location {
        Location { path: path.to_owned(), line: lines.map(|l| l.start), end_line: lines.map(|l| l.end) }
    }
}

/// The package of a finding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct PackageRef {
    /// `crates.io`, `PyPI`, ...
    pub ecosystem: String,
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
    /// purl, when known.
    pub purl: Option<String>,
}

/// A heuristic rule (`heuristics/`): its id is the finding's `id` and `kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RuleId {
    /// The version was published by an account no earlier version was published by.
    MaintainerChange,
    /// Owners or maintainers changed shortly before the release in use.
    OwnershipChange,
    /// Earlier releases had build provenance; this one has none.
    ProvenanceLost,
    /// This release's provenance names another repository or workflow than earlier ones.
    ProvenanceChanged,
    /// Published less than the cooldown ago.
    FreshRelease,
    /// The version adds an install-time script (npm).
    InstallScriptAdded,
    /// The version was yanked.
    Yanked,
    /// The lockfile's checksum differs from the registry's.
    ChecksumMismatch,
    /// A package moved between registries, git and path (diff mode).
    SourceChange,
    /// Same name and version, another checksum (diff mode).
    ChecksumDrift,
}

impl RuleId {
    /// Every rule.
    pub const ALL: [RuleId; 10] = [
        RuleId::MaintainerChange,
        RuleId::OwnershipChange,
        RuleId::ProvenanceLost,
        RuleId::ProvenanceChanged,
        RuleId::FreshRelease,
        RuleId::InstallScriptAdded,
        RuleId::Yanked,
        RuleId::ChecksumMismatch,
        RuleId::SourceChange,
        RuleId::ChecksumDrift,
    ];

    /// The id in reports, SARIF, ignores and the policy file.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleId::MaintainerChange => "maintainer-change",
            RuleId::OwnershipChange => "ownership-change",
            RuleId::ProvenanceLost => "provenance-lost",
            RuleId::ProvenanceChanged => "provenance-changed",
            RuleId::FreshRelease => "fresh-release",
            RuleId::InstallScriptAdded => "install-script-added",
            RuleId::Yanked => "yanked",
            RuleId::ChecksumMismatch => "checksum-mismatch",
            RuleId::SourceChange => "source-change",
            RuleId::ChecksumDrift => "checksum-drift",
        }
    }

    /// The rule named `id`.
    pub fn parse(id: &str) -> Option<RuleId> {
        RuleId::ALL.into_iter().find(|r| r.as_str() == id)
    }
}

/// What a finding is: an advisory of some kind, or a heuristic rule's signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FindingKind {
    /// From an advisory database.
    Advisory(AdvisoryKind),
    /// From a heuristic rule.
    Rule(RuleId),
}

impl FindingKind {
    /// The JSON report's `kind`: the advisory kind, or the rule id.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::Advisory(k) => k.as_str(),
            FindingKind::Rule(r) => r.as_str(),
        }
    }

    /// Informational findings fail a run only when `--deny` names their kind (or with
    /// `--fail-on info`): unmaintained, unsound, notice, yanked.
    pub fn is_informational(self) -> bool {
        match self {
            FindingKind::Advisory(k) => k.is_informational(),
            FindingKind::Rule(r) => r == RuleId::Yanked,
        }
    }

    /// Whether reports put the kind before the title (`[unmaintained] …`): informational and
    /// malicious advisories, whose id alone does not say what they are. A rule's id already does.
    pub fn in_title(self) -> bool {
        matches!(self, FindingKind::Advisory(k) if k.is_informational() || k == AdvisoryKind::Malicious)
    }

    /// The rule, for heuristic findings.
    pub fn rule(self) -> Option<RuleId> {
        match self {
            FindingKind::Rule(r) => Some(r),
            FindingKind::Advisory(_) => None,
        }
    }
}

impl From<AdvisoryKind> for FindingKind {
    fn from(kind: AdvisoryKind) -> Self {
        FindingKind::Advisory(kind)
    }
}

impl PartialEq<AdvisoryKind> for FindingKind {
    fn eq(&self, other: &AdvisoryKind) -> bool {
        *self == FindingKind::Advisory(*other)
    }
}

impl Serialize for FindingKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// One advisory (with all its aliases) affecting one package at one location.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// The advisory id: RustSec's when there is one, else an upstream database's, else
    /// chainward's own (`CHAINWARD-YYYY-NNNN`).
    pub id: String,
    /// Every other id of the same issue, sorted.
    pub aliases: Vec<String>,
    /// `vulnerability`, `unmaintained`, `unsound`, `notice`, `malicious`, or a rule id.
    pub kind: FindingKind,
    /// Severity.
    pub severity: Severity,
    /// CVSS base score, when scored.
    pub cvss: Option<f64>,
    /// The package.
    pub package: PackageRef,
    /// Where it is.
    pub location: Location,
    /// Title.
    pub summary: String,
    /// Fixed versions, as requirements (`>=1.2.3`).
    pub fixed_in: Vec<String>,
    /// Link to the advisory.
    pub url: Option<String>,
    /// The advisory's longer text (Markdown), for SARIF help and VEX. Not in the JSON report.
    #[serde(skip)]
    pub details: String,
    /// The CVSS vector, when scored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cvss_vector: Option<String>,
    /// Set when an ignore in the policy silences this finding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppression: Option<Suppression>,
    /// Whether cargo compiles the package for the selected targets and features (`{status,
    /// reason}`), when the compiled view ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compiled: Option<crate::compiled::Compiled>,
}

impl Finding {
    /// What to do about it, in plain text: the upgrade, "no fixed version", or for a heuristic
    /// signal "review the release before use".
    pub fn remedy(&self) -> String {
        if self.kind.rule().is_some() {
            "review the release before use".to_owned()
        } else if self.fixed_in.is_empty() {
            "no fixed version".to_owned()
        } else {
            format!("upgrade to {}", self.fixed_in.join(" or ").replace(">=", ">= "))
        }
    }
}

/// Why a finding is silenced: the `[[ignore]]` entry that matched it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suppression {
    /// The ignore's `reason`.
    pub reason: String,
    /// The ignore's `until` (`YYYY-MM-DD`), when it has one.
    pub until: Option<String>,
    /// The configuration file (and line) the ignore is in.
    pub source: String,
}

/// A package an advisory names but whose version could not be ordered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unevaluated {
    /// The package.
    pub package: PackageRef,
    /// Where it is.
    pub location: Location,
    /// The advisory.
    pub advisory: String,
    /// Why.
    pub reason: String,
}

/// Match every package against the index. Advisories that are the same issue (shared ids or
/// aliases, across databases) become one finding per package and location.
pub fn match_packages(index: &Index, packages: &[ScanPackage]) -> (Vec<Finding>, Vec<Unevaluated>) {
    let mut findings = Vec::new();
    let mut unevaluated = Vec::new();
    for p in packages {
        let (matches, unknown) = index.lookup(p.ecosystem, &p.name, &p.version);
        if matches.is_empty() && unknown.is_empty() {
            // Most packages match nothing: nothing is built for them.
            continue;
        }
        let package = PackageRef {
            ecosystem: p.ecosystem.as_str().to_owned(),
            name: p.name.clone(),
            version: p.version.clone(),
            purl: p.purl.clone(),
        };
        for (advisory, e) in unknown {
            unevaluated.push(Unevaluated {
                package: package.clone(),
                location: p.location.clone(),
                advisory: advisory.id.clone(),
                reason: e.to_string(),
            });
        }
        // Group matches that share an id or alias.
        let mut groups: Vec<(BTreeSet<&str>, Vec<usize>)> = Vec::new();
        for (i, m) in matches.iter().enumerate() {
            let ids: BTreeSet<&str> =
                std::iter::once(m.advisory.id.as_str()).chain(m.advisory.aliases.iter().map(String::as_str)).collect();
            let mut merged = (ids, vec![i]);
            let mut k = 0;
            while k < groups.len() {
                if groups.get(k).is_some_and(|(g, _)| !g.is_disjoint(&merged.0)) {
                    let (g, members) = groups.swap_remove(k);
                    merged.0.extend(g);
                    merged.1.extend(members);
                } else {
                    k += 1;
                }
            }
            groups.push(merged);
        }
        for (ids, mut members) in groups {
            // In index order: the databases in the order given, chainward's records last.
            members.sort_unstable();
            let group: Vec<_> = members.iter().filter_map(|&i| matches.get(i)).collect();
            // The primary record: RustSec's when the group has one, else the first other
            // database's, chainward's own records only when nothing else matched ([`id_rank`]).
            let Some(primary) = group.iter().min_by_key(|m| id_rank(&m.advisory.id)) else {
                continue;
            };
            let id = if primary.advisory.id.starts_with("RUSTSEC-") {
                primary.advisory.id.clone()
            } else {
                ids.iter()
                    .find(|i| i.starts_with("RUSTSEC-"))
                    .map_or_else(|| primary.advisory.id.clone(), |i| (*i).to_owned())
            };
            let aliases = ids.iter().filter(|i| **i != id).map(|i| (*i).to_owned()).collect();
            let severity = group.iter().map(|m| m.advisory.severity()).max().unwrap_or(Severity::Medium);
            let cvss = group.iter().filter_map(|m| m.advisory.cvss.as_ref().map(|c| c.score)).reduce(f64::max);
            let fixed_in = upgrades(p, group.iter().flat_map(|m| m.affected.fixed()));
            let summary = group
                .iter()
                .map(|m| m.advisory.summary.trim())
                .find(|s| !s.is_empty())
                .map_or_else(|| first_line(&primary.advisory.details), str::to_owned);
            findings.push(Finding {
                id,
                aliases,
                // A malicious release stays malicious when an upstream record of the same
                // incident calls it a vulnerability (GitHub's npm advisories often do).
                kind: if group.iter().any(|m| m.advisory.kind == AdvisoryKind::Malicious) {
                    AdvisoryKind::Malicious
                } else {
                    primary.advisory.kind
                }
                .into(),
                severity,
                cvss,
                package: package.clone(),
                location: p.location.clone(),
                summary,
                fixed_in,
                url: primary.advisory.link(),
                details: group
                    .iter()
                    .map(|m| m.advisory.details.trim())
                    .find(|d| !d.is_empty())
                    .unwrap_or_default()
                    .to_owned(),
                cvss_vector: group
                    .iter()
                    .filter_map(|m| m.advisory.cvss.as_ref())
                    .max_by(|a, b| a.score.total_cmp(&b.score))
                    .map(|c| c.vector.clone()),
                suppression: None,
                compiled: None,
            });
        }
    }
    sort(&mut findings);
    (findings, unevaluated)
}

/// The order of findings in every report: most severe first, then package, id and location.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.package.cmp(&b.package))
            .then_with(|| a.id.cmp(&b.id))
            .then_with(|| a.location.cmp(&b.location))
    });
}

/// How an advisory id ranks as a finding's primary id, lowest first: RustSec's (its pages gather
/// every reference), then any other database's (GHSA, PYSEC, MAL, ...), and chainward's own
/// `CHAINWARD-` records last, so they never hide the id an upstream database gave the same
/// incident. (The id shown is also a RustSec alias of the group when there is one.)
fn id_rank(id: &str) -> u8 {
    if id.starts_with("RUSTSEC-") {
        0
    } else if id.starts_with("CHAINWARD-") {
        2
    } else {
        1
    }
}

/// The fixed versions above the one in use, lowest first, as `>=x` requirements. (RustSec
/// lists a fix per release line: `rand 0.8.5` needs `>=0.8.6`, not `>=0.10.1`.) Versions that
/// cannot be ordered are kept.
fn upgrades(p: &ScanPackage, fixed: impl Iterator<Item = String>) -> Vec<String> {
    let current = Version::parse(p.ecosystem, &p.version).ok();
    let mut fixed: Vec<(Option<Version>, String)> = fixed.map(|f| (Version::parse(p.ecosystem, &f).ok(), f)).collect();
    fixed.retain(|(v, _)| match (v, &current) {
        (Some(v), Some(c)) => v > c,
        _ => true,
    });
    // A total order (versions that parse first, then the others by text): a comparator mixing
    // the two can be inconsistent, and sorting by one may panic.
    crate::advisory::version::sort_tolerant_by(&mut fixed, |(a, x), (b, y)| match (a, b) {
        (Some(a), Some(b)) => a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal).then_with(|| x.cmp(y)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => x.cmp(y),
    });
    fixed.dedup_by(|a, b| a.1 == b.1);
    fixed.into_iter().map(|(_, f)| format!(">={f}")).collect()
}

fn first_line(text: &str) -> String {
    text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or_default().to_owned()
}

/// Counts by severity, for summaries.
pub fn by_severity(findings: &[Finding]) -> BTreeMap<&'static str, usize> {
    let mut counts: BTreeMap<&'static str, usize> =
        [Severity::Critical, Severity::High, Severity::Medium, Severity::Low, Severity::Info]
            .into_iter()
            .map(|s| (s.as_str(), 0))
            .collect();
    for f in findings {
        *counts.entry(f.severity.as_str()).or_default() += 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::advisory::{Advisory, Affected, Event, Range};

    fn advisory(id: &str, aliases: &[&str], fixed: &str, source: &str) -> Advisory {
        Advisory {
            id: id.to_owned(),
            aliases: aliases.iter().map(|a| (*a).to_owned()).collect(),
            related: Vec::new(),
            summary: format!("{id} summary"),
            details: String::new(),
            kind: AdvisoryKind::Vulnerability,
            cvss: None,
            affected: vec![Affected {
                ecosystem: Ecosystem::Cargo,
                name: "demo".to_owned(),
                ranges: vec![Range { events: vec![Event::Introduced("0".into()), Event::Fixed(fixed.into())] }],
                versions: Vec::new(),
                os: Vec::new(),
                arch: Vec::new(),
                functions: Vec::new(),
            }],
            references: Vec::new(),
            url: None,
            source: source.to_owned(),
            published: None,
            modified: None,
        }
    }

    fn package(name: &str, version: &str) -> ScanPackage {
        ScanPackage {
            ecosystem: Ecosystem::Cargo,
            name: name.to_owned(),
            version: version.to_owned(),
            purl: None,
            checksum: None,
            install_script: None,
            location: Location { path: "Cargo.lock".to_owned(), line: None, end_line: None },
            compiled: None,
        }
    }

    fn chainward(id: &str, aliases: &[&str]) -> Advisory {
        let mut a = advisory(id, aliases, "9.0.0", "chainward");
        a.kind = AdvisoryKind::Malicious;
        a
    }

    #[test]
    fn chainward_records_merge_with_upstream_ones_without_hiding_their_ids() {
        // Built-in records come last in a real index (`db::load_selected`).
        let mut index = Index::default();
        index.extend([
            advisory("GHSA-aaaa-bbbb-cccc", &["CVE-2099-1"], "9.0.0", "osv"),
            chainward("CHAINWARD-2099-0001", &["GHSA-aaaa-bbbb-cccc", "MAL-2099-1"]),
        ]);
        let (findings, _) = match_packages(&index, &[package("demo", "1.0.0")]);
        assert_eq!(findings.len(), 1, "one finding per package: {findings:?}");
        let f = &findings[0];
        assert_eq!(f.id, "GHSA-aaaa-bbbb-cccc");
        assert_eq!(f.aliases, ["CHAINWARD-2099-0001", "CVE-2099-1", "MAL-2099-1"]);
        assert_eq!(f.kind, AdvisoryKind::Malicious, "malicious wins over the upstream kind");
        assert_eq!(f.severity, Severity::Critical);
        assert_eq!(f.summary, "GHSA-aaaa-bbbb-cccc summary", "the upstream record's text first");

        // Even first in the index, a chainward record is not primary.
        let mut index = Index::default();
        index.extend([
            chainward("CHAINWARD-2099-0001", &["GHSA-aaaa-bbbb-cccc"]),
            advisory("GHSA-aaaa-bbbb-cccc", &[], "9.0.0", "osv"),
        ]);
        let (findings, _) = match_packages(&index, &[package("demo", "1.0.0")]);
        assert_eq!(findings[0].id, "GHSA-aaaa-bbbb-cccc");
        assert_eq!(findings[0].aliases, ["CHAINWARD-2099-0001"]);
    }

    #[test]
    fn a_chainward_record_alone_keeps_its_id_unless_it_names_a_rustsec_one() {
        let mut index = Index::default();
        index.extend([chainward("CHAINWARD-2099-0002", &["GHSA-dddd-eeee-ffff"])]);
        let (findings, _) = match_packages(&index, &[package("demo", "1.0.0")]);
        assert_eq!(findings[0].id, "CHAINWARD-2099-0002");
        assert_eq!(findings[0].aliases, ["GHSA-dddd-eeee-ffff"]);
        assert_eq!(findings[0].kind, AdvisoryKind::Malicious);

        let mut index = Index::default();
        index.extend([chainward("CHAINWARD-2099-0003", &["RUSTSEC-2099-0009"])]);
        let (findings, _) = match_packages(&index, &[package("demo", "1.0.0")]);
        assert_eq!(findings[0].id, "RUSTSEC-2099-0009", "the same id as with the RustSec database loaded");
        assert_eq!(findings[0].aliases, ["CHAINWARD-2099-0003"]);
        assert!(match_packages(&index, &[package("demo", "9.0.0")]).0.is_empty(), "fixed");
    }

    #[test]
    fn aliases_across_databases_make_one_finding_with_the_rustsec_id() {
        let mut index = Index::default();
        // GHSA record first (from OSV), naming the CVE; the RustSec record names the GHSA.
        index.extend([
            advisory("GHSA-aaaa-bbbb-cccc", &["CVE-2099-1"], "1.2.0", "osv"),
            advisory("RUSTSEC-2099-0001", &["GHSA-aaaa-bbbb-cccc"], "1.2.0", "rustsec"),
            advisory("RUSTSEC-2099-0002", &[], "2.0.0", "rustsec"),
        ]);
        let package = ScanPackage {
            ecosystem: Ecosystem::Cargo,
            name: "demo".to_owned(),
            version: "1.0.0".to_owned(),
            purl: Some("pkg:cargo/demo@1.0.0".to_owned()),
            checksum: None,
            install_script: None,
            location: Location { path: "Cargo.lock".to_owned(), line: Some(3), end_line: Some(9) },
            compiled: None,
        };
        let (findings, unevaluated) = match_packages(&index, &[package]);
        assert!(unevaluated.is_empty());
        let ids: Vec<&str> = findings.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["RUSTSEC-2099-0001", "RUSTSEC-2099-0002"]);
        assert_eq!(findings[0].aliases, ["CVE-2099-1", "GHSA-aaaa-bbbb-cccc"]);
        assert_eq!(findings[0].fixed_in, [">=1.2.0"]);
        assert_eq!(findings[0].severity, Severity::Medium, "unscored vulnerability");
        assert_eq!(findings[0].url.as_deref(), Some("https://rustsec.org/advisories/RUSTSEC-2099-0001.html"));
    }
}
