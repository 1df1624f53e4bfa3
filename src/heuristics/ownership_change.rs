//! `ownership-change`: owners or maintainers were added or removed shortly before the release
//! in use.

use time::Duration;

use super::{Context, OWNERSHIP_LEAD_DAYS, RuleInfo, Signal, day, shown};
use crate::advisory::Severity;
use crate::finding::{RuleId, ScanPackage};
use crate::registry::PackageMeta;

pub(super) const INFO: RuleInfo = RuleInfo {
    id: RuleId::OwnershipChange,
    title: "Owners changed shortly before this release",
    severity: Severity::Medium,
    explanation: "Owners or maintainers of the package were added or removed in the 30 days before the version \
        in use was published (crates.io owners, npm maintainers across versions, PyPI roles). crates.io and PyPI \
        publish only the current owners, so chainward keeps a snapshot per scan and dates a change by the two \
        snapshots around it: it counts when that interval meets the 30 days before the release. A new maintainer who ships soon after \
        joining is how the xz backdoor and several npm takeovers began, and removing the previous owners is how \
        a hijacker locks them out. Severity is high when owners were both added and removed. In a full scan \
        the rule only looks at releases within the recent window (`window-days`, default 90).",
    registry: true,
};

pub(super) fn check(ctx: &Context<'_>, p: &ScanPackage, meta: &PackageMeta) -> Option<Signal> {
    let v = meta.version(&p.version)?;
    if !ctx.recent(v) {
        return None;
    }
    let released = v.published_at?;
    let lead = Duration::days(OWNERSHIP_LEAD_DAYS);
    // A change with an exact time counts when it falls in the 30 days before the release; one
    // seen between two snapshots counts when that interval overlaps them (chainward saw the
    // owners before and after, not the moment they changed).
    let window_start = released - lead;
    let changes: Vec<_> = meta
        .owner_changes
        .iter()
        .filter(|c| match c.since {
            None => c.at <= released && c.at >= window_start,
            Some(since) => since < released && c.at >= window_start,
        })
        .collect();
    if changes.is_empty() {
        return None;
    }
    let added: Vec<String> = changes.iter().filter(|c| c.added).map(|c| shown(&c.owner)).collect();
    let removed: Vec<String> = changes.iter().filter(|c| !c.added).map(|c| shown(&c.owner)).collect();
    let severity = if !added.is_empty() && !removed.is_empty() { Severity::High } else { INFO.severity };
    let mut what = Vec::new();
    if !added.is_empty() {
        what.push(format!("added {}", added.join(", ")));
    }
    if !removed.is_empty() {
        what.push(format!("removed {}", removed.join(", ")));
    }
    Some(Signal {
        severity,
        summary: format!(
            "{}@{} was published {} around a change of its owners ({})",
            shown(&p.name),
            shown(&p.version),
            day(released),
            what.join("; ")
        ),
        evidence: changes
            .iter()
            .map(|c| {
                let when = match c.since {
                    Some(since) => format!("between {} and {}", day(since), day(c.at)),
                    None => format!("on {}", day(c.at)),
                };
                format!(
                    "{} {} {when} ({})",
                    if c.added { "added" } else { "removed" },
                    shown(&c.owner),
                    shown(&c.evidence)
                )
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::super::Settings;
    use super::super::test_support::*;
    use super::*;
    use crate::model::Ecosystem;
    use crate::registry::OwnerChange;

    fn change(at: &str, owner: &str, added: bool) -> OwnerChange {
        OwnerChange { at: t(at), since: None, owner: owner.into(), added, evidence: "npm maintainers of 1.0.1".into() }
    }

    #[test]
    fn owner_swap_before_a_release_is_high_and_old_changes_are_silent() {
        let settings = Settings::default();
        let ctx = ctx(&settings, "2025-10-01T00:00:00Z", false);
        let mut m = meta(
            Ecosystem::Npm,
            "pkg",
            vec![
                version("1.0.0", "2024-01-01T00:00:00Z", Some(user("a"))),
                version("1.0.1", "2025-09-20T00:00:00Z", Some(user("b"))),
            ],
        );
        m.owner_changes = vec![change("2025-09-19T00:00:00Z", "b", true), change("2025-09-19T00:00:00Z", "a", false)];
        let s = check(&ctx, &package(Ecosystem::Npm, "pkg", "1.0.1"), &m).unwrap();
        assert_eq!(s.severity, Severity::High);
        assert!(s.summary.contains("added b; removed a"), "{}", s.summary);
        // The change came after 1.0.0: nothing to say about it.
        assert_eq!(check(&ctx, &package(Ecosystem::Npm, "pkg", "1.0.0"), &m), None);
        // A change long before the release: silent.
        m.owner_changes = vec![change("2025-01-01T00:00:00Z", "b", true)];
        assert_eq!(check(&ctx, &package(Ecosystem::Npm, "pkg", "1.0.1"), &m), None);
        m.owner_changes = vec![change("2025-09-01T00:00:00Z", "b", true)];
        assert_eq!(check(&ctx, &package(Ecosystem::Npm, "pkg", "1.0.1"), &m).unwrap().severity, Severity::Medium);
    }

    #[test]
    fn snapshot_changes_count_when_their_interval_meets_the_release() {
        let settings = Settings::default();
        let ctx = ctx(&settings, "2025-10-01T00:00:00Z", false);
        let mut m = meta(
            Ecosystem::Cargo,
            "krate",
            vec![
                version("1.0.0", "2024-01-01T00:00:00Z", Some(user("a"))),
                version("1.0.1", "2025-09-20T00:00:00Z", Some(user("a"))),
            ],
        );
        // Seen on 2025-09-25, not there on 2025-09-10: it may have happened before the release.
        let mut seen = change("2025-09-25T00:00:00Z", "mallory", true);
        seen.since = Some(t("2025-09-10T00:00:00Z"));
        seen.evidence = "crates.io owners snapshot".into();
        m.owner_changes = vec![seen.clone()];
        let s = check(&ctx, &package(Ecosystem::Cargo, "krate", "1.0.1"), &m).unwrap();
        assert!(s.evidence[0].contains("between 2025-09-10 and 2025-09-25"), "{:?}", s.evidence);
        // The previous snapshot already came after the release: the change came after it too.
        seen.since = Some(t("2025-09-21T00:00:00Z"));
        m.owner_changes = vec![seen];
        assert_eq!(check(&ctx, &package(Ecosystem::Cargo, "krate", "1.0.1"), &m), None);
    }
}
