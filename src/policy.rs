//! What fails a run: `--fail-on` and `--deny`, decided in one place.

use crate::advisory::{AdvisoryKind, Severity};
use crate::finding::Finding;

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
}

impl Deny {
    fn kind(self) -> AdvisoryKind {
        match self {
            Deny::Unmaintained => AdvisoryKind::Unmaintained,
            Deny::Unsound => AdvisoryKind::Unsound,
            Deny::Notice => AdvisoryKind::Notice,
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
