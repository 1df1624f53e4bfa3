//! `provenance-changed`: the version in use was built from another repository or workflow than
//! the release before it.

use super::maintainer_change::same_repository;
use super::{Context, RuleInfo, Signal, shown};
use crate::advisory::Severity;
use crate::finding::{RuleId, ScanPackage};
use crate::registry::PackageMeta;

pub(super) const INFO: RuleInfo = RuleInfo {
    id: RuleId::ProvenanceChanged,
    title: "Release built from another repository or workflow",
    severity: Severity::Medium,
    explanation: "The build provenance of the version in use names another source repository or another \
        workflow than the last earlier release with provenance. A package whose releases suddenly come from a \
        fork, or from a workflow added in a pull request, may be published by someone who controls the token \
        or the trusted-publisher configuration but not the project (PyPI calls this \"changed provenance\"). \
        Severity is high when the repository changed, medium when only the workflow did.",
    registry: true,
};

pub(super) fn check(_ctx: &Context<'_>, p: &ScanPackage, meta: &PackageMeta) -> Option<Signal> {
    let v = meta.version(&p.version)?;
    let Some(Some(now)) = &v.provenance else { return None };
    let earlier = meta.earlier(&p.version);
    let (before_version, before) = earlier.iter().rev().find_map(|e| match &e.provenance {
        Some(Some(b)) => Some((&e.version, b)),
        _ => None,
    })?;
    let repo_changed = match (&before.repository, &now.repository) {
        (Some(a), Some(b)) => !same_repository(a, b),
        _ => false,
    };
    let workflow_changed = match (&before.workflow, &now.workflow) {
        (Some(a), Some(b)) => a.trim_start_matches("./") != b.trim_start_matches("./"),
        _ => false,
    };
    if !repo_changed && !workflow_changed {
        return None;
    }
    let describe = |r: &Option<String>, w: &Option<String>| {
        format!(
            "{} ({})",
            r.as_deref().map_or_else(|| "unknown repository".to_owned(), shown),
            w.as_deref().map_or_else(|| "unknown workflow".to_owned(), shown)
        )
    };
    Some(Signal {
        severity: if repo_changed { Severity::High } else { INFO.severity },
        summary: format!(
            "{}@{} was built from {}, {} from {}",
            shown(&p.name),
            shown(&p.version),
            describe(&now.repository, &now.workflow),
            shown(before_version),
            describe(&before.repository, &before.workflow)
        ),
        evidence: vec![
            format!("{}: {}", shown(before_version), describe(&before.repository, &before.workflow)),
            format!("{}: {}", shown(&p.version), describe(&now.repository, &now.workflow)),
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::super::Settings;
    use super::super::test_support::*;
    use super::*;
    use crate::model::Ecosystem;
    use crate::registry::Provenance;

    fn with(v: &str, at: &str, repo: &str, workflow: &str) -> crate::registry::VersionMeta {
        let mut m = version(v, at, None);
        m.provenance = Some(Some(Provenance { repository: Some(repo.into()), workflow: Some(workflow.into()) }));
        m
    }

    #[test]
    fn repository_change_is_high_workflow_change_medium_same_is_silent() {
        let settings = Settings::default();
        let ctx = ctx(&settings, "2025-01-01T00:00:00Z", false);
        let m = meta(
            Ecosystem::PyPI,
            "p",
            vec![
                with("1.0", "2024-01-01T00:00:00Z", "https://github.com/o/p", "release.yml"),
                with("1.1", "2024-02-01T00:00:00Z", "https://github.com/O/p.git", "release.yml"),
                with("1.2", "2024-03-01T00:00:00Z", "https://github.com/o/p", "other.yml"),
                with("1.3", "2024-04-01T00:00:00Z", "https://github.com/evil/p", "other.yml"),
            ],
        );
        assert_eq!(check(&ctx, &package(Ecosystem::PyPI, "p", "1.1"), &m), None);
        assert_eq!(check(&ctx, &package(Ecosystem::PyPI, "p", "1.2"), &m).unwrap().severity, Severity::Medium);
        let s = check(&ctx, &package(Ecosystem::PyPI, "p", "1.3"), &m).unwrap();
        assert_eq!(s.severity, Severity::High);
        assert!(s.summary.contains("https://github.com/evil/p"), "{}", s.summary);
    }
}
