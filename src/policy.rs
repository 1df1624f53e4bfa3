//! What fails a run: `--fail-on` and `--deny`, decided in one place; and what the policy
//! file's `[[ignore]]` entries silence.

use crate::advisory::{AdvisoryKind, Severity};
use crate::config::{Config, Ignore, format_date};
use crate::finding::{Finding, FindingKind, RuleId, Suppression};
use crate::report::IgnoreRef;

/// `--fail-on`: the lowest severity that fails the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    /// Never fail on findings.
    None,
    /// Any finding, informational ones included.
    Info,
    /// Low and above.
    Low,
    /// Medium and above.
    Medium,
    /// High and above.
    High,
    /// Critical only.
    Critical,
}

/// Informational kinds that `--deny` can turn into failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Deny {
    /// Unmaintained packages.
    Unmaintained,
    /// Unsound packages.
    Unsound,
    /// Notices.
    Notice,
    /// Yanked versions (the `yanked` rule).
    Yanked,
}

impl Deny {
    fn kind(self) -> FindingKind {
        match self {
            Deny::Unmaintained => AdvisoryKind::Unmaintained.into(),
            Deny::Unsound => AdvisoryKind::Unsound.into(),
            Deny::Notice => AdvisoryKind::Notice.into(),
            Deny::Yanked => FindingKind::Rule(RuleId::Yanked),
        }
    }
}

/// The policy of a run.
#[derive(Debug, Clone)]
pub struct Policy {
    /// `--fail-on`.
    pub fail_on: FailOn,
    /// `--deny`.
    pub deny: Vec<Deny>,
}

impl Policy {
    /// Whether this finding fails the run. Informational kinds (unmaintained, unsound, notice)
    /// fail only when `--deny` names them, or with `--fail-on info`.
    pub fn fails(&self, finding: &Finding) -> bool {
        let threshold = match self.fail_on {
            FailOn::None => return false,
            FailOn::Info => Severity::Info,
            FailOn::Low => Severity::Low,
            FailOn::Medium => Severity::Medium,
            FailOn::High => Severity::High,
            FailOn::Critical => Severity::Critical,
        };
        if finding.kind.is_informational() {
            return threshold == Severity::Info || self.deny.iter().any(|d| d.kind() == finding.kind);
        }
        finding.severity >= threshold
    }
}

impl Policy {
    /// The policy of a run: command-line flags override the policy file; without either,
    /// `fail-on` is `low` and nothing is denied.
    pub fn from_config(cli_fail_on: Option<FailOn>, cli_deny: Vec<Deny>, config: Option<&Config>) -> Policy {
        let fail_on = cli_fail_on.or_else(|| config.and_then(|c| c.fail_on)).unwrap_or(FailOn::Low);
        let deny = if cli_deny.is_empty() { config.and_then(|c| c.deny.clone()).unwrap_or_default() } else { cli_deny };
        Policy { fail_on, deny }
    }
}

/// Findings after the policy file's ignores.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Applied {
    /// Findings no ignore silences.
    pub active: Vec<Finding>,
    /// Findings an ignore silences, each with its `suppression`.
    pub suppressed: Vec<Finding>,
    /// Expired ignores and ignores that matched nothing, one message each.
    pub warnings: Vec<String>,
}

/// Whether `ignore` names `finding`: its id or one of its aliases (ASCII case-insensitive), and
/// its package (name, and version when given) if the ignore names one.
pub fn ignore_matches(ignore: &Ignore, finding: &Finding) -> bool {
    let id = std::iter::once(&finding.id).chain(&finding.aliases).any(|i| i.eq_ignore_ascii_case(&ignore.id));
    let package = match ignore.package_parts() {
        None => true,
        Some((name, version)) => finding.package.name == name && version.is_none_or(|v| finding.package.version == v),
    };
    id && package
}

/// Apply the ignores of `config` to `findings`, as of `today`. An ignore applies through its
/// `until` day; after it, the ignore silences nothing and gives a warning. A live ignore that
/// matches no finding gives a warning too. The first live ignore that matches a finding silences it.
pub fn apply_ignores(findings: Vec<Finding>, config: &Config, today: time::Date) -> Applied {
    let expired: Vec<bool> = config.ignores.iter().map(|i| i.until.is_some_and(|u| u < today)).collect();
    let mut used = vec![false; config.ignores.len()];
    let mut applied = Applied::default();
    for mut finding in findings {
        let mut live = None;
        for (k, ignore) in config.ignores.iter().enumerate() {
            if !ignore_matches(ignore, &finding) {
                continue;
            }
            if let Some(u) = used.get_mut(k) {
                *u = true;
            }
            if live.is_none() && !expired.get(k).copied().unwrap_or(false) {
                live = Some(ignore);
            }
        }
        match live {
            Some(ignore) => {
                finding.suppression = Some(Suppression {
                    reason: ignore.reason.clone(),
                    until: ignore.until_string(),
                    source: source_of(config, ignore),
                });
                applied.suppressed.push(finding);
            }
            None => applied.active.push(finding),
        }
    }
    for (k, ignore) in config.ignores.iter().enumerate() {
        let was_used = used.get(k).copied().unwrap_or(false);
        let what = match &ignore.package {
            Some(p) => format!("ignore of {} ({p})", ignore.id),
            None => format!("ignore of {}", ignore.id),
        };
        let at = source_of(config, ignore);
        if expired.get(k).copied().unwrap_or(false) {
            let date = ignore.until_string().unwrap_or_default();
            applied.warnings.push(if was_used {
                format!("{at}: {what} expired on {date}; the finding is reported again")
            } else {
                format!("{at}: {what} expired on {date} and matched nothing; remove it")
            });
        } else if !was_used {
            applied.warnings.push(format!("{at}: {what} matched nothing; remove it"));
        }
    }
    applied
}

/// `FILE:LINE` of an ignore.
fn source_of(config: &Config, ignore: &Ignore) -> String {
    match ignore.line {
        Some(line) => format!("{}:{line}", config.path),
        None => config.path.clone(),
    }
}

/// Ignores present at `head` with no equal entry (same id, package, reason and until) at
/// `base`: diff mode lists them so a change cannot quietly silence its own findings.
pub fn new_suppressions(base: &[Ignore], head: &[Ignore]) -> Vec<IgnoreRef> {
    let key = |i: &Ignore| (i.id.clone(), i.package.clone(), i.reason.clone(), i.until);
    let at_base: std::collections::HashSet<_> = base.iter().map(key).collect();
    let mut seen = std::collections::HashSet::new();
    head.iter()
        .filter(|i| !at_base.contains(&key(i)) && seen.insert(key(i)))
        .map(|i| IgnoreRef {
            id: i.id.clone(),
            package: i.package.clone(),
            reason: i.reason.clone(),
            until: i.until.map(format_date),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Location, PackageRef};
    use time::macros::date;

    fn finding(id: &str, aliases: &[&str], name: &str, version: &str) -> Finding {
        Finding {
            id: id.to_owned(),
            aliases: aliases.iter().map(|a| (*a).to_owned()).collect(),
            kind: AdvisoryKind::Vulnerability.into(),
            severity: Severity::High,
            cvss: Some(7.5),
            package: PackageRef {
                ecosystem: "crates.io".to_owned(),
                name: name.to_owned(),
                version: version.to_owned(),
                purl: Some(format!("pkg:cargo/{name}@{version}")),
            },
            location: Location { path: "Cargo.lock".to_owned(), line: Some(1), end_line: Some(5) },
            summary: "summary".to_owned(),
            fixed_in: Vec::new(),
            url: None,
            details: String::new(),
            cvss_vector: None,
            suppression: None,
            compiled: None,
        }
    }

    fn ignore(id: &str, package: Option<&str>, until: Option<time::Date>, line: usize) -> Ignore {
        Ignore {
            id: id.to_owned(),
            package: package.map(str::to_owned),
            reason: format!("reason for {id}"),
            until,
            line: Some(line),
        }
    }

    fn config(ignores: Vec<Ignore>) -> Config {
        Config {
            path: "chainward.toml".to_owned(),
            fail_on: None,
            deny: None,
            exclude: Vec::new(),
            requirements: Vec::new(),
            ignores,
            heuristics: crate::config::HeuristicsConfig::default(),
            compiled_only: false,
        }
    }

    const TODAY: time::Date = date!(2026 - 06 - 15);

    #[test]
    fn ignores_match_id_or_alias_and_package() {
        let f = finding("RUSTSEC-2020-0071", &["CVE-2020-26235", "GHSA-wcg3-cvx6-7396"], "time", "0.1.45");
        assert!(ignore_matches(&ignore("RUSTSEC-2020-0071", None, None, 1), &f));
        assert!(ignore_matches(&ignore("ghsa-wcg3-cvx6-7396", None, None, 1), &f));
        assert!(ignore_matches(&ignore("CVE-2020-26235", Some("time"), None, 1), &f));
        assert!(ignore_matches(&ignore("CVE-2020-26235", Some("time@0.1.45"), None, 1), &f));
        assert!(!ignore_matches(&ignore("CVE-2020-26235", Some("time@0.2.0"), None, 1), &f));
        assert!(!ignore_matches(&ignore("CVE-2020-26235", Some("chrono"), None, 1), &f));
        assert!(!ignore_matches(&ignore("RUSTSEC-2020-0072", None, None, 1), &f));
    }

    #[test]
    fn matched_findings_move_to_suppressed_with_their_source() {
        let findings = vec![
            finding("RUSTSEC-2020-0071", &["CVE-2020-26235"], "time", "0.1.45"),
            finding("RUSTSEC-2020-0071", &["CVE-2020-26235"], "time", "0.1.44"),
            finding("RUSTSEC-2021-0001", &[], "other", "1.0.0"),
        ];
        let c = config(vec![ignore("CVE-2020-26235", Some("time@0.1.45"), Some(TODAY), 7)]);
        let applied = apply_ignores(findings, &c, TODAY);
        assert!(applied.warnings.is_empty(), "{:?}", applied.warnings);
        assert_eq!(applied.suppressed.len(), 1);
        assert_eq!(
            applied.suppressed[0].suppression,
            Some(Suppression {
                reason: "reason for CVE-2020-26235".to_owned(),
                until: Some("2026-06-15".to_owned()),
                source: "chainward.toml:7".to_owned(),
            })
        );
        let active: Vec<_> = applied.active.iter().map(|f| (f.id.as_str(), f.package.version.as_str())).collect();
        assert_eq!(active, [("RUSTSEC-2020-0071", "0.1.44"), ("RUSTSEC-2021-0001", "1.0.0")]);
        assert!(applied.active.iter().all(|f| f.suppression.is_none()));
    }

    #[test]
    fn expired_ignores_report_the_finding_again_with_a_warning() {
        let findings = vec![finding("RUSTSEC-2020-0071", &[], "time", "0.1.45")];
        let c = config(vec![
            ignore("RUSTSEC-2020-0071", None, Some(date!(2026 - 06 - 14)), 3),
            ignore("RUSTSEC-2099-0001", None, Some(date!(2020 - 01 - 01)), 9),
        ]);
        let applied = apply_ignores(findings, &c, TODAY);
        assert_eq!(applied.active.len(), 1);
        assert!(applied.suppressed.is_empty());
        assert_eq!(
            applied.warnings,
            [
                "chainward.toml:3: ignore of RUSTSEC-2020-0071 expired on 2026-06-14; the finding is reported again",
                "chainward.toml:9: ignore of RUSTSEC-2099-0001 expired on 2020-01-01 and matched nothing; remove it",
            ]
        );
    }

    #[test]
    fn a_live_ignore_after_an_expired_one_still_applies() {
        let findings = vec![finding("RUSTSEC-2020-0071", &[], "time", "0.1.45")];
        let c = config(vec![
            ignore("RUSTSEC-2020-0071", None, Some(date!(2025 - 01 - 01)), 3),
            ignore("RUSTSEC-2020-0071", Some("time"), None, 8),
        ]);
        let applied = apply_ignores(findings, &c, TODAY);
        assert_eq!(applied.suppressed.len(), 1);
        assert_eq!(applied.suppressed[0].suppression.as_ref().unwrap().source, "chainward.toml:8");
        assert_eq!(applied.warnings.len(), 1, "{:?}", applied.warnings);
        assert!(applied.warnings[0].contains("expired on 2025-01-01"));
    }

    #[test]
    fn unused_ignores_warn() {
        let c = config(vec![ignore("RUSTSEC-2099-0001", Some("serde"), None, 4)]);
        let applied = apply_ignores(vec![finding("RUSTSEC-2020-0071", &[], "time", "0.1.45")], &c, TODAY);
        assert_eq!(applied.active.len(), 1);
        assert_eq!(
            applied.warnings,
            ["chainward.toml:4: ignore of RUSTSEC-2099-0001 (serde) matched nothing; remove it"]
        );
    }

    #[test]
    fn new_suppressions_are_the_ignores_added_or_changed_at_head() {
        let base = vec![ignore("A", None, None, 1), ignore("B", Some("b"), Some(date!(2026 - 01 - 01)), 5)];
        let mut extended = ignore("B", Some("b"), Some(date!(2027 - 01 - 01)), 5);
        extended.line = Some(9);
        let head = vec![ignore("A", None, None, 3), extended, ignore("C", None, None, 12)];
        let new = new_suppressions(&base, &head);
        let ids: Vec<_> = new.iter().map(|i| (i.id.as_str(), i.until.as_deref())).collect();
        assert_eq!(ids, [("B", Some("2027-01-01")), ("C", None)]);
        assert_eq!(new[0].package.as_deref(), Some("b"));
        assert_eq!(new[0].reason, "reason for B");
        assert!(new_suppressions(&head, &head).is_empty());
    }

    #[test]
    fn flags_override_the_file() {
        let mut c = config(Vec::new());
        let p = Policy::from_config(None, Vec::new(), None);
        assert_eq!((p.fail_on, p.deny), (FailOn::Low, vec![]));
        c.fail_on = Some(FailOn::High);
        c.deny = Some(vec![Deny::Unmaintained]);
        let p = Policy::from_config(None, Vec::new(), Some(&c));
        assert_eq!((p.fail_on, p.deny), (FailOn::High, vec![Deny::Unmaintained]));
        let p = Policy::from_config(Some(FailOn::Critical), vec![Deny::Notice], Some(&c));
        assert_eq!((p.fail_on, p.deny), (FailOn::Critical, vec![Deny::Notice]));
        c.fail_on = None;
        let p = Policy::from_config(None, Vec::new(), Some(&c));
        assert_eq!(p.fail_on, FailOn::Low);
    }
}
