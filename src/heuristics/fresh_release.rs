//! `fresh-release`: the version in use was published less than the cooldown ago.

use super::{Context, RuleInfo, Signal, age, day, shown};
use crate::advisory::Severity;
use crate::finding::{RuleId, ScanPackage};
use crate::registry::PackageMeta;

pub(super) const INFO: RuleInfo = RuleInfo {
    id: RuleId::FreshRelease,
    title: "Release younger than the cooldown",
    severity: Severity::Low,
    explanation: "The version in use was published less than the cooldown ago (`cooldown-days`, default 7). \
        Poisoned releases are usually found and removed within hours or days (npm `chalk`/`debug` were \
        replaced within about two hours, `ua-parser-js` within four); waiting a few days before adopting a \
        release, as pnpm's `minimumReleaseAge` and uv's `exclude-newer` do, avoids most of them. Pin the \
        previous version until the release has aged, or ignore this finding for packages you review yourself.",
    registry: true,
};

pub(super) fn check(ctx: &Context<'_>, p: &ScanPackage, meta: &PackageMeta) -> Option<Signal> {
    let v = meta.version(&p.version)?;
    let at = v.published_at?;
    let cooldown = ctx.settings.cooldown;
    if at <= ctx.now - cooldown || cooldown.is_zero() {
        return None;
    }
    Some(Signal {
        severity: INFO.severity,
        summary: format!(
            "{}@{} was published {} ago, within the {}-day cooldown",
            shown(&p.name),
            shown(&p.version),
            age(ctx.now, at),
            cooldown.whole_days()
        ),
        evidence: vec![format!("published {} ({})", day(at), at)],
    })
}

#[cfg(test)]
mod tests {
    use super::super::Settings;
    use super::super::test_support::*;
    use super::*;
    use crate::model::Ecosystem;

    #[test]
    fn flags_only_releases_inside_the_cooldown() {
        let settings = Settings::default();
        let ctx = ctx(&settings, "2025-09-10T00:00:00Z", false);
        let meta = meta(
            Ecosystem::PyPI,
            "num2words",
            vec![version("0.5.14", "2024-12-17T00:00:00Z", None), version("0.5.15", "2025-09-08T00:00:00Z", None)],
        );
        let s = check(&ctx, &package(Ecosystem::PyPI, "num2words", "0.5.15"), &meta).unwrap();
        assert!(s.summary.contains("2 days ago"), "{}", s.summary);
        assert_eq!(check(&ctx, &package(Ecosystem::PyPI, "num2words", "0.5.14"), &meta), None);
        let mut c = settings.clone();
        c.cooldown = time::Duration::days(1);
        let short = super::super::test_support::ctx(&c, "2025-09-10T00:00:00Z", false);
        assert_eq!(check(&short, &package(Ecosystem::PyPI, "num2words", "0.5.15"), &meta), None);
    }
}
