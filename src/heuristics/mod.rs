//! Heuristic rules: signals that a release may be hostile before any advisory says so, from
//! registry metadata ([`crate::registry`]) and from comparing two revisions of a lockfile.
//!
//! One file per rule, each with its [`RuleInfo`] (id, default severity, the paragraph SARIF
//! uses as help) and a `check` function. A rule returns a `Signal`; this module turns it into
//! a [`Finding`] whose `id` and `kind` are the rule id, so ignores, `--fail-on`, SARIF and the
//! other reports treat it like any finding.

mod checksum_drift;
mod checksum_mismatch;
mod fresh_release;
mod install_script_added;
mod maintainer_change;
mod ownership_change;
mod provenance_changed;
mod provenance_lost;
mod source_change;
mod yanked;

use std::collections::BTreeMap;

use time::{Duration, OffsetDateTime};

use crate::advisory::Severity;
use crate::config::{HeuristicsConfig, RuleSwitch};
use crate::finding::{Finding, FindingKind, Location, PackageRef, RuleId, ScanPackage};
use crate::model::Ecosystem;
use crate::registry::{Fetched, PackageMeta, VersionMeta};

pub use source_change::source_label;

/// What a rule is, for reports and SARIF.
#[derive(Debug)]
pub struct RuleInfo {
    /// The rule.
    pub id: RuleId,
    /// A short title (SARIF `shortDescription`).
    pub title: &'static str,
    /// Severity unless the rule escalates or the policy file overrides it.
    pub severity: Severity,
    /// What the rule looks for and why it matters (SARIF help, JSON-free reports).
    pub explanation: &'static str,
    /// Needs registry metadata (otherwise: diff mode only).
    pub registry: bool,
}

/// The description of `rule`.
pub fn info(rule: RuleId) -> &'static RuleInfo {
    match rule {
        RuleId::MaintainerChange => &maintainer_change::INFO,
        RuleId::OwnershipChange => &ownership_change::INFO,
        RuleId::ProvenanceLost => &provenance_lost::INFO,
        RuleId::ProvenanceChanged => &provenance_changed::INFO,
        RuleId::FreshRelease => &fresh_release::INFO,
        RuleId::InstallScriptAdded => &install_script_added::INFO,
        RuleId::Yanked => &yanked::INFO,
        RuleId::ChecksumMismatch => &checksum_mismatch::INFO,
        RuleId::SourceChange => &source_change::INFO,
        RuleId::ChecksumDrift => &checksum_drift::INFO,
    }
}

/// Default `cooldown-days`.
pub const DEFAULT_COOLDOWN_DAYS: u32 = 7;
/// Default `window-days`.
pub const DEFAULT_WINDOW_DAYS: u32 = 90;
/// How long before a release an owner change counts as "shortly before" it.
pub const OWNERSHIP_LEAD_DAYS: i64 = 30;

/// The heuristics' settings: the policy file's `[heuristics]` over the defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Fetch registry metadata at all.
    pub registry: bool,
    /// `fresh-release` flags releases younger than this.
    pub cooldown: Duration,
    /// In a full scan, `maintainer-change` and `ownership-change` look only at releases younger
    /// than this.
    pub window: Duration,
    /// Per-rule switches.
    pub rules: BTreeMap<RuleId, RuleSwitch>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings::from_config(None)
    }
}

impl Settings {
    /// The settings of a policy file's `[heuristics]` table (defaults when absent).
    pub fn from_config(config: Option<&HeuristicsConfig>) -> Settings {
        let days = |d: Option<u32>, default: u32| Duration::days(i64::from(d.unwrap_or(default)));
        Settings {
            registry: config.and_then(|c| c.registry).unwrap_or(true),
            cooldown: days(config.and_then(|c| c.cooldown_days), DEFAULT_COOLDOWN_DAYS),
            window: days(config.and_then(|c| c.window_days), DEFAULT_WINDOW_DAYS),
            rules: config.map(|c| c.rules.clone()).unwrap_or_default(),
        }
    }

    /// Whether `rule` runs.
    pub fn enabled(&self, rule: RuleId) -> bool {
        self.rules.get(&rule) != Some(&RuleSwitch::Off)
    }

    /// The severity of a signal: the policy file's override, else what the rule said.
    fn severity(&self, rule: RuleId, computed: Severity) -> Severity {
        match self.rules.get(&rule) {
            Some(RuleSwitch::Severity(s)) => *s,
            _ => computed,
        }
    }

    /// Whether any rule that needs registry metadata runs.
    pub fn wants_registry(&self) -> bool {
        self.registry && RuleId::ALL.iter().any(|r| info(*r).registry && self.enabled(*r))
    }
}

/// What the rules see besides the package.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// Now (`CHAINWARD_NOW` in tests).
    pub now: OffsetDateTime,
    /// Settings.
    pub settings: &'a Settings,
    /// Diff mode: only added or updated packages are judged, and the recent window does not apply.
    pub diff: bool,
}

impl Context<'_> {
    /// Whether a release is recent enough for the maintainer and ownership rules: always in
    /// diff mode; within the window in a full scan.
    fn recent(&self, v: &VersionMeta) -> bool {
        self.diff || v.published_at.is_some_and(|t| t >= self.now - self.settings.window)
    }

    /// The detail predicate for [`crate::registry::fetch`]: per-version details (crates.io API,
    /// PyPI and npm provenance) only for releases the rules will look at.
    pub fn want_detail(&self, meta: &PackageMeta, version: &str) -> bool {
        self.diff || meta.version(version).is_some_and(|v| self.recent(v))
    }
}

/// What a rule found about one package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Signal {
    /// Severity (the rule's default, or escalated).
    pub severity: Severity,
    /// One line: what was seen.
    pub summary: String,
    /// The facts behind it, one per line.
    pub evidence: Vec<String>,
}

type RegistryRule = fn(&Context<'_>, &ScanPackage, &PackageMeta) -> Option<Signal>;

const REGISTRY_RULES: [(RuleId, RegistryRule); 8] = [
    (RuleId::MaintainerChange, maintainer_change::check),
    (RuleId::OwnershipChange, ownership_change::check),
    (RuleId::ProvenanceLost, provenance_lost::check),
    (RuleId::ProvenanceChanged, provenance_changed::check),
    (RuleId::FreshRelease, fresh_release::check),
    (RuleId::InstallScriptAdded, install_script_added::check),
    (RuleId::Yanked, yanked::check),
    (RuleId::ChecksumMismatch, checksum_mismatch::check),
];

/// The registry rules' findings for `packages`, from the metadata in `fetched`.
pub fn registry_findings(ctx: &Context<'_>, packages: &[ScanPackage], fetched: &Fetched) -> Vec<Finding> {
    let mut findings = Vec::new();
    for p in packages {
        let Some(meta) = fetched.packages.get(&(p.ecosystem, p.ecosystem.normalize_name(&p.name))) else { continue };
        for (rule, check) in REGISTRY_RULES {
            if !ctx.settings.enabled(rule) {
                continue;
            }
            if let Some(signal) = check(ctx, p, meta) {
                findings.push(finding(ctx.settings, rule, signal, package_ref(p), p.location.clone()));
            }
        }
    }
    findings
}

/// A package as locked in one lockfile, for the diff-mode rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locked {
    /// Ecosystem.
    pub ecosystem: Ecosystem,
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
    /// purl, when known.
    pub purl: Option<String>,
    /// Where it comes from, as [`source_label`] writes it.
    pub source: String,
    /// Whether that source is the ecosystem's default registry.
    pub default_registry: bool,
    /// The lockfile's checksums (`sha256:<hex>`, `sha512:<hex>`, ...), strongest first.
    pub checksums: Vec<String>,
    /// Whether the lockfile says the package runs install scripts (npm `hasInstallScript`).
    pub install_script: Option<bool>,
    /// The lockfile and the line of the package's block.
    pub location: Location,
}

/// `source-change`, `checksum-drift` and the lockfile side of `install-script-added`: what
/// moved or changed between `base` and `head`.
pub fn diff_findings(settings: &Settings, base: &[Locked], head: &[Locked]) -> Vec<Finding> {
    type DiffRule = fn(&[Locked], &Locked) -> Option<Signal>;
    let mut findings = Vec::new();
    let rules: [(RuleId, DiffRule); 3] = [
        (RuleId::SourceChange, source_change::check),
        (RuleId::ChecksumDrift, checksum_drift::check),
        (RuleId::InstallScriptAdded, install_script_added::check_locked),
    ];
    for p in head {
        for (rule, check) in rules {
            if !settings.enabled(rule) {
                continue;
            }
            if let Some(signal) = check(base, p) {
                let package = PackageRef {
                    ecosystem: p.ecosystem.as_str().to_owned(),
                    name: p.name.clone(),
                    version: p.version.clone(),
                    purl: p.purl.clone(),
                };
                findings.push(finding(settings, rule, signal, package, p.location.clone()));
            }
        }
    }
    findings
}

/// A finding of the history walk for `rule` (`source-change`, `checksum-drift`): the walk
/// decided it across commits; the policy file's switch and severity apply as in diff mode.
/// `None` when the rule is off.
pub fn history_finding(
    settings: &Settings,
    rule: RuleId,
    escalated: bool,
    summary: String,
    evidence: Vec<String>,
    package: PackageRef,
    location: Location,
) -> Option<Finding> {
    if !settings.enabled(rule) {
        return None;
    }
    let severity = if escalated { Severity::High } else { info(rule).severity };
    Some(finding(settings, rule, Signal { severity, summary, evidence }, package, location))
}

fn package_ref(p: &ScanPackage) -> PackageRef {
    PackageRef {
        ecosystem: p.ecosystem.as_str().to_owned(),
        name: p.name.clone(),
        version: p.version.clone(),
        purl: p.purl.clone(),
    }
}

fn finding(settings: &Settings, rule: RuleId, signal: Signal, package: PackageRef, location: Location) -> Finding {
    let info = info(rule);
    let mut details = info.explanation.to_owned();
    if !signal.evidence.is_empty() {
        details.push_str("\n\nEvidence:\n");
        for e in &signal.evidence {
            details.push_str("- ");
            details.push_str(e);
            details.push('\n');
        }
    }
    Finding {
        id: rule.as_str().to_owned(),
        aliases: Vec::new(),
        kind: FindingKind::Rule(rule),
        severity: settings.severity(rule, signal.severity),
        cvss: None,
        url: registry_page(&package),
        package,
        location,
        summary: signal.summary,
        fixed_in: Vec::new(),
        details,
        cvss_vector: None,
        suppression: None,
        compiled: None,
    }
}

/// The registry's page for the package version, where a user can check the facts.
fn registry_page(p: &PackageRef) -> Option<String> {
    // A path segment: unreserved characters and `@` stay, everything else is encoded.
    const SEGMENT: &percent_encoding::AsciiSet =
        &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~').remove(b'@');
    let enc = |s: &str| percent_encoding::utf8_percent_encode(s, SEGMENT).to_string();
    let npm_name = |s: &str| s.split('/').map(enc).collect::<Vec<_>>().join("/");
    match p.ecosystem.as_str() {
        "crates.io" => Some(format!("https://crates.io/crates/{}/{}", enc(&p.name), enc(&p.version))),
        "npm" => Some(format!("https://www.npmjs.com/package/{}/v/{}", npm_name(&p.name), enc(&p.version))),
        "PyPI" => Some(format!("https://pypi.org/project/{}/{}/", enc(&p.name), enc(&p.version))),
        _ => None,
    }
}

/// `2 days`, `5 hours`, `1 day`: how long ago `then` was.
pub(crate) fn age(now: OffsetDateTime, then: OffsetDateTime) -> String {
    let d = now - then;
    let (n, unit) = if d.whole_days() >= 1 {
        (d.whole_days(), "day")
    } else if d.whole_hours() >= 1 {
        (d.whole_hours(), "hour")
    } else {
        (d.whole_minutes().max(0), "minute")
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

/// `YYYY-MM-DD` of a time.
pub(crate) fn day(t: OffsetDateTime) -> String {
    crate::config::format_date(t.date())
}

/// The registry's word for a publisher or owner, made safe for one line of a report (control and
/// bidi characters neutralised, at most 100 characters): the registry layer's own [`safe_text`].
///
/// [`safe_text`]: crate::registry::safe_text
pub(crate) fn shown(s: &str) -> String {
    crate::registry::safe_text(s, 100)
}

#[cfg(test)]
pub(crate) mod test_support {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::registry::Publisher;

    pub fn t(s: &str) -> OffsetDateTime {
        OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).unwrap()
    }

    pub fn user(login: &str) -> Publisher {
        Publisher { id: format!("github:{login}"), display: format!("@{login}"), trusted: false }
    }

    pub fn version(v: &str, at: &str, by: Option<Publisher>) -> VersionMeta {
        VersionMeta { version: v.to_owned(), published_at: Some(t(at)), publisher: by, ..VersionMeta::default() }
    }

    pub fn meta(ecosystem: Ecosystem, name: &str, versions: Vec<VersionMeta>) -> PackageMeta {
        PackageMeta {
            ecosystem,
            name: name.to_owned(),
            versions,
            owners: None,
            owner_changes: Vec::new(),
            detailed: true,
        }
    }

    pub fn package(ecosystem: Ecosystem, name: &str, version: &str) -> ScanPackage {
        ScanPackage {
            ecosystem,
            name: name.to_owned(),
            version: version.to_owned(),
            purl: None,
            checksum: None,
            install_script: None,
            location: Location { path: "Cargo.lock".to_owned(), line: Some(1), end_line: Some(2) },
            compiled: None,
        }
    }

    pub fn ctx(settings: &Settings, now: &str, diff: bool) -> Context<'static> {
        let settings: &'static Settings = Box::leak(Box::new(settings.clone()));
        Context { now: t(now), settings, diff }
    }
}
