//! SBOM export. No advisory work happens on this path.

pub mod cyclonedx;
pub mod input;
pub mod vex;

pub use cyclonedx::{SbomError, SbomFormat, SbomOptions, SpecVersion, render, render_to, render_to_with_vex};
