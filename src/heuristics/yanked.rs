//! `yanked`: the version in use was yanked from the registry.

use super::{Context, RuleInfo, Signal, shown};
use crate::advisory::Severity;
use crate::finding::{RuleId, ScanPackage};
use crate::registry::PackageMeta;

pub(super) const INFO: RuleInfo = RuleInfo {
    id: RuleId::Yanked,
    title: "Yanked version",
    severity: Severity::Info,
    explanation: "The version in use was yanked from the registry (crates.io, PyPI): its authors withdrew it, \
        often because it was broken, mis-published or compromised, and new lockfiles will not select it. \
        Like cargo-audit, chainward reports yanked versions as informational warnings: they fail the run \
        only with `--deny yanked` (or `--fail-on info`). Upgrade to a version that is not yanked.",
    registry: true,
};

pub(super) fn check(_ctx: &Context<'_>, p: &ScanPackage, meta: &PackageMeta) -> Option<Signal> {
    let v = meta.version(&p.version)?;
    if v.yanked != Some(true) {
        return None;
    }
    Some(Signal {
        severity: INFO.severity,
        summary: format!("{}@{} is yanked from {}", shown(&p.name), shown(&p.version), p.ecosystem.as_str()),
        evidence: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::super::Settings;
    use super::super::test_support::*;
    use super::*;
    use crate::model::Ecosystem;

    #[test]
    fn flags_yanked_versions_only() {
        let settings = Settings::default();
        let ctx = ctx(&settings, "2025-09-10T00:00:00Z", false);
        let mut bad = version("0.1.1", "2020-01-01T00:00:00Z", None);
        bad.yanked = Some(true);
        let mut good = version("0.1.2", "2020-02-01T00:00:00Z", None);
        good.yanked = Some(false);
        let meta = meta(Ecosystem::Cargo, "x", vec![bad, good]);
        assert_eq!(check(&ctx, &package(Ecosystem::Cargo, "x", "0.1.1"), &meta).unwrap().severity, Severity::Info);
        assert_eq!(check(&ctx, &package(Ecosystem::Cargo, "x", "0.1.2"), &meta), None);
        assert_eq!(check(&ctx, &package(Ecosystem::Cargo, "x", "9.9.9"), &meta), None);
    }
}
