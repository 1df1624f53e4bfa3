//! SBOM export. No advisory work happens on this path.

pub mod cyclonedx;

pub use cyclonedx::{SbomError, SbomFormat, SbomOptions, SpecVersion, render};
