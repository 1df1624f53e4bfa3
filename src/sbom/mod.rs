//! SBOM export. No advisory work happens on this path.

pub mod cyclonedx;
pub mod input;
mod json;
pub mod vex;

pub use cyclonedx::{
    SbomError, SbomFormat, SbomOptions, SpecVersion, render, render_to, render_to_with_vex,
    render_to_with_vex_via_model,
};
