//! Top-level errors of a run. Each domain has its own typed error; this enum gathers them so
//! `main` can print the whole cause chain and pick the exit code without guessing.

use crate::discover::ExcludeError;
use crate::sbom::SbomError;
use crate::source::SourceError;

/// Why a run stopped.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad arguments or environment (`SOURCE_DATE_EPOCH`, `--exclude`, a missing path).
    #[error("{0}")]
    Usage(String),
    /// A bad `--exclude` pattern.
    #[error(transparent)]
    Exclude(#[from] ExcludeError),
    /// The tree could not be read.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// The SBOM could not be built.
    #[error(transparent)]
    Sbom(#[from] SbomError),
    /// The output could not be written.
    #[error("cannot write `{path}`: {message}")]
    Write {
        /// Output path.
        path: String,
        /// Why.
        message: String,
    },
}
