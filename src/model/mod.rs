//! The data model shared by every stage: packages, their sources, purls and the merged graph.

pub mod graph;
pub mod package;
pub mod purl;

pub use graph::{Graph, Node, RootComponent};
pub use package::{
    Checksum, DependencyKind, Ecosystem, GitReference, LineSpan, Meta, Package, PackageMeta, PackageSource, Scope,
    is_hex,
};
