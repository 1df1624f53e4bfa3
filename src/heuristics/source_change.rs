//! `source-change` (diff mode): a package moves between registries, git and path between the
//! base and the head revision.

use super::{Locked, RuleInfo, Signal, shown};
use crate::advisory::Severity;
use crate::finding::RuleId;
use crate::model::PackageSource;

pub(super) const INFO: RuleInfo = RuleInfo {
    id: RuleId::SourceChange,
    title: "Package moved to another source",
    severity: Severity::Medium,
    explanation: "Between the base and the head revision, this package moved to another source: from the \
        registry to a git repository or another registry, from git to a path, or to another git repository. \
        A crate that quietly starts coming from a fork, or a dependency redirected to a registry the attacker \
        controls, keeps its name and passes review unless someone reads the `source` line of the lockfile. \
        Severity is high when a package leaves the ecosystem's default registry for git or another registry.",
    registry: false,
};

/// Where a package comes from, as the diff rules compare it: the default registry's name
/// (`crates.io`, `npm`), `registry <url>`, `git <url>` (without the commit, which changes on
/// every update), `tarball <url>` or `path <dir>`.
pub fn source_label(ecosystem: crate::model::Ecosystem, source: &PackageSource) -> String {
    match source {
        PackageSource::Registry { default_registry: true, .. } => ecosystem.as_str().to_owned(),
        PackageSource::Registry { url, .. } => format!("registry {url}"),
        PackageSource::Git { url, .. } => format!("git {url}"),
        PackageSource::Tarball { url } => format!("tarball {url}"),
        PackageSource::Path { dir } => format!("path {dir}"),
    }
}

pub(super) fn check(base: &[Locked], p: &Locked) -> Option<Signal> {
    let same_file = |b: &&Locked| b.location.path == p.location.path && b.ecosystem == p.ecosystem && b.name == p.name;
    let before: Vec<&Locked> = base.iter().filter(same_file).collect();
    if before.is_empty() || before.iter().any(|b| b.source == p.source) {
        return None;
    }
    let mut from: Vec<&str> = before.iter().map(|b| b.source.as_str()).collect();
    from.sort_unstable();
    from.dedup();
    let left_default =
        before.iter().any(|b| b.default_registry) && !p.default_registry && !p.source.starts_with("path ");
    Some(Signal {
        severity: if left_default { Severity::High } else { INFO.severity },
        summary: format!(
            "{}@{} now comes from {} (was {})",
            shown(&p.name),
            shown(&p.version),
            shown(&p.source),
            shown(&from.join(", "))
        ),
        evidence: before
            .iter()
            .map(|b| format!("base: {} {} from {}", shown(&b.name), shown(&b.version), shown(&b.source)))
            .chain(std::iter::once(format!("head: {} {} from {}", shown(&p.name), shown(&p.version), shown(&p.source))))
            .collect(),
    })
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::finding::Location;
    use crate::model::Ecosystem;

    pub fn locked(name: &str, version: &str, source: &str, checksum: Option<&str>) -> Locked {
        Locked {
            ecosystem: Ecosystem::Cargo,
            name: name.into(),
            version: version.into(),
            purl: None,
            source: source.into(),
            default_registry: source == "crates.io",
            checksums: checksum.map(str::to_owned).into_iter().collect(),
            install_script: None,
            location: Location { path: "Cargo.lock".into(), line: Some(3), end_line: Some(7) },
        }
    }

    #[test]
    fn registry_to_git_is_high_and_an_update_is_silent() {
        let base = [locked("serde", "1.0.200", "crates.io", None)];
        let s = check(&base, &locked("serde", "1.0.200", "git https://github.com/evil/serde", None)).unwrap();
        assert_eq!(s.severity, Severity::High);
        assert!(s.summary.contains("now comes from git https://github.com/evil/serde (was crates.io)"));
        assert_eq!(check(&base, &locked("serde", "1.0.201", "crates.io", None)), None);
        assert_eq!(check(&base, &locked("new-crate", "1.0.0", "git https://x", None)), None, "added, not moved");
        let git = [locked("x", "0.1.0", "git https://github.com/a/x", None)];
        let moved = check(&git, &locked("x", "0.1.0", "git https://github.com/b/x", None)).unwrap();
        assert_eq!(moved.severity, Severity::Medium);
    }
}
