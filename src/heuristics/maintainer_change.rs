//! `maintainer-change`: the version in use was published by an account (or trusted publisher)
//! that published none of the package's earlier versions.

use std::collections::BTreeSet;

use super::{Context, RuleInfo, Signal, age, day, shown};
use crate::advisory::Severity;
use crate::finding::{RuleId, ScanPackage};
use crate::registry::PackageMeta;

pub(super) const INFO: RuleInfo = RuleInfo {
    id: RuleId::MaintainerChange,
    title: "Published by an account that never published this package before",
    severity: Severity::Medium,
    explanation: "The version in use was published by an account (or trusted publisher) that published none of \
        the package's earlier versions. Hijacked packages look like this: a phished or newly added maintainer \
        account pushes a poisoned release (npm `chalk`/`debug`, September 2025; `event-stream`, 2018). A new \
        maintainer is often legitimate, so check who the publisher is and what the release changed before \
        trusting it. Severity is high when the release is also fresh (younger than the cooldown), or when the \
        earlier publishers have published nothing since while the new one has. A first release through \
        trusted publishing from the repository earlier releases declared is reported as low. In a full scan the rule only \
        looks at releases within the recent window (`window-days`, default 90); in diff mode at every package \
        the change adds or updates.",
    registry: true,
};

pub(super) fn check(ctx: &Context<'_>, p: &ScanPackage, meta: &PackageMeta) -> Option<Signal> {
    let v = meta.version(&p.version)?;
    let by = v.publisher.as_ref()?;
    if !ctx.recent(v) {
        return None;
    }
    let earlier = meta.earlier(&p.version);
    let earlier_publishers: BTreeSet<&str> =
        earlier.iter().filter_map(|e| e.publisher.as_ref()).map(|x| x.id.as_str()).collect();
    // Nothing to compare with: a first release, or no publisher known for the earlier ones.
    if earlier_publishers.is_empty() || earlier_publishers.contains(by.id.as_str()) {
        return None;
    }
    // The earlier publishers, most recent first, at most five shown.
    let mut shown_earlier: Vec<String> = Vec::new();
    for publisher in earlier.iter().rev().filter_map(|e| e.publisher.as_ref()) {
        let d = shown(&publisher.display);
        if !shown_earlier.contains(&d) {
            shown_earlier.push(d);
            if shown_earlier.len() == 5 {
                break;
            }
        }
    }
    let known = earlier.iter().filter(|e| e.publisher.is_some()).count();
    let mut evidence = vec![
        format!(
            "{} {} was published by {}{}",
            shown(&p.name),
            shown(&p.version),
            shown(&by.display),
            v.published_at.map(|t| format!(" on {}", day(t))).unwrap_or_default()
        ),
        format!(
            "the {known} earlier version(s) whose publisher is known were published by {}",
            shown_earlier.join(", ")
        ),
    ];
    let fresh = v.published_at.filter(|t| *t > ctx.now - ctx.settings.cooldown);
    if let Some(t) = fresh {
        evidence.push(format!(
            "published {} ago (cooldown {} days)",
            age(ctx.now, t),
            ctx.settings.cooldown.whole_days()
        ));
    }
    // The takeover pattern: since this release, only the new account publishes.
    let later: Vec<_> = meta
        .versions
        .iter()
        .filter(|x| match (x.published_at, v.published_at) {
            (Some(a), Some(b)) => a > b,
            _ => false,
        })
        .filter_map(|x| x.publisher.as_ref())
        .collect();
    let others_stopped = !later.is_empty() && later.iter().all(|x| x.id == by.id);
    if others_stopped {
        evidence.push(format!(
            "the earlier publishers have published nothing since; {} has published {} more",
            shown(&by.display),
            later.len()
        ));
    }
    // A move to trusted publishing from the repository the earlier releases declared (not the
    // one this release declares: its publisher wrote that) is the migration registries ask
    // maintainers to make, not a takeover.
    let declared_before = earlier.iter().rev().find_map(|e| e.repository.as_deref());
    let own_repository = by.trusted
        && match (&v.provenance, declared_before) {
            (Some(Some(prov)), Some(declared)) => {
                prov.repository.as_deref().is_some_and(|r| same_repository(r, declared))
            }
            _ => false,
        };
    if own_repository {
        evidence.push("built by trusted publishing from the repository earlier releases declared".to_owned());
    }
    let severity = if own_repository {
        Severity::Low
    } else if fresh.is_some() || others_stopped {
        Severity::High
    } else {
        INFO.severity
    };
    Some(Signal {
        severity,
        summary: format!(
            "{}@{} was published by {}, who published none of its {known} earlier version(s)",
            shown(&p.name),
            shown(&p.version),
            shown(&by.display),
        ),
        evidence,
    })
}

/// Two repository URLs name the same repository: the registry layer's normal form
/// ([`normalize_repository`]: `git+`, `git@host:`, `.git`, trailing slashes), compared without
/// scheme, `www.` or case.
///
/// [`normalize_repository`]: crate::registry::normalize_repository
pub(super) fn same_repository(a: &str, b: &str) -> bool {
    let key = |s: &str| {
        crate::registry::normalize_repository(s).map(|u| {
            let u = u.to_ascii_lowercase();
            let rest = u.split_once("://").map_or(u.as_str(), |(_, rest)| rest);
            rest.trim_start_matches("www.").to_owned()
        })
    };
    matches!((key(a), key(b)), (Some(x), Some(y)) if x == y)
}

#[cfg(test)]
mod tests {
    use super::super::Settings;
    use super::super::test_support::*;
    use super::*;
    use crate::model::Ecosystem;
    use crate::registry::{Provenance, Publisher};

    #[test]
    fn a_new_publisher_of_a_fresh_release_is_high() {
        let meta = meta(
            Ecosystem::Npm,
            "debug",
            vec![
                version("4.4.0", "2024-12-06T00:00:00Z", Some(user("qix"))),
                version("4.4.1", "2025-05-13T00:00:00Z", Some(user("qix"))),
                version("4.4.2", "2025-09-08T13:00:00Z", Some(user("attacker"))),
            ],
        );
        let settings = Settings::default();
        let ctx = ctx(&settings, "2025-09-08T15:00:00Z", false);
        let s = check(&ctx, &package(Ecosystem::Npm, "debug", "4.4.2"), &meta).unwrap();
        assert_eq!(s.severity, Severity::High);
        assert!(s.summary.contains("@attacker"), "{}", s.summary);
        assert!(s.evidence.iter().any(|e| e.contains("2 hours ago")), "{:?}", s.evidence);
        // The earlier releases, by the usual publisher: silent.
        assert_eq!(check(&ctx, &package(Ecosystem::Npm, "debug", "4.4.1"), &meta), None);
    }

    #[test]
    fn silent_for_the_usual_publisher_a_first_release_and_old_releases() {
        let settings = Settings::default();
        let ctx = ctx(&settings, "2025-09-08T15:00:00Z", false);
        let first = meta(Ecosystem::Cargo, "x", vec![version("0.1.0", "2025-09-01T00:00:00Z", Some(user("a")))]);
        assert_eq!(check(&ctx, &package(Ecosystem::Cargo, "x", "0.1.0"), &first), None);
        let old = meta(
            Ecosystem::Cargo,
            "x",
            vec![
                version("0.1.0", "2020-01-01T00:00:00Z", Some(user("a"))),
                version("0.2.0", "2021-01-01T00:00:00Z", Some(user("b"))),
            ],
        );
        // Outside the 90-day window in a full scan; judged in diff mode.
        assert_eq!(check(&ctx, &package(Ecosystem::Cargo, "x", "0.2.0"), &old), None);
        let diff = super::super::test_support::ctx(&settings, "2025-09-08T15:00:00Z", true);
        assert_eq!(check(&diff, &package(Ecosystem::Cargo, "x", "0.2.0"), &old).unwrap().severity, Severity::Medium);
    }

    #[test]
    fn trusted_publishing_from_the_own_repository_is_low() {
        let settings = Settings::default();
        let ctx = ctx(&settings, "2025-09-30T00:00:00Z", false);
        let mut v = version(
            "1.1.0",
            "2025-09-01T00:00:00Z",
            Some(Publisher {
                id: "trustpub:github:o/r".into(),
                display: "trusted publisher github o/r".into(),
                trusted: true,
            }),
        );
        v.provenance =
            Some(Some(Provenance { repository: Some("git+https://github.com/O/r.git".into()), workflow: None }));
        let mut before = version("1.0.0", "2025-01-01T00:00:00Z", Some(user("a")));
        before.repository = Some("https://github.com/o/r".into());
        let mut m = meta(Ecosystem::Cargo, "x", vec![before, v]);
        assert_eq!(check(&ctx, &package(Ecosystem::Cargo, "x", "1.1.0"), &m).unwrap().severity, Severity::Low);
        // Fresh, it is still the migration: low.
        let fresh = super::super::test_support::ctx(&settings, "2025-09-02T00:00:00Z", false);
        assert_eq!(check(&fresh, &package(Ecosystem::Cargo, "x", "1.1.0"), &m).unwrap().severity, Severity::Low);
        // The release itself claiming the repository proves nothing: earlier releases declared another.
        m.versions[0].repository = Some("https://github.com/other/r".into());
        m.versions[1].repository = Some("https://github.com/o/r".into());
        assert_eq!(check(&ctx, &package(Ecosystem::Cargo, "x", "1.1.0"), &m).unwrap().severity, Severity::Medium);
    }

    #[test]
    fn takeover_when_only_the_new_account_publishes_afterwards() {
        let settings = Settings::default();
        let ctx = ctx(&settings, "2025-09-30T00:00:00Z", false);
        let meta = meta(
            Ecosystem::Cargo,
            "x",
            vec![
                version("1.0.0", "2024-01-01T00:00:00Z", Some(user("a"))),
                version("1.1.0", "2025-08-01T00:00:00Z", Some(user("b"))),
                version("1.2.0", "2025-08-10T00:00:00Z", Some(user("b"))),
            ],
        );
        let s = check(&ctx, &package(Ecosystem::Cargo, "x", "1.1.0"), &meta).unwrap();
        assert_eq!(s.severity, Severity::High, "{s:?}");
    }
}
