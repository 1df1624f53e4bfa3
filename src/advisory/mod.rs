//! Advisories: the model, per-ecosystem version ordering, and (next) the RustSec and OSV sources
//! and the index packages are matched against.

pub mod version;
