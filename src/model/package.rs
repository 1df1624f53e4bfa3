//! One resolved package and the facts a lockfile (and optionally a manifest) gives about it.

use std::collections::BTreeSet;
use std::fmt;

/// The package ecosystem a package belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub enum Ecosystem {
    /// Rust crates (Cargo.lock, `pkg:cargo`).
    Cargo,
    /// npm (`pkg:npm`).
    Npm,
    /// Python packages (`pkg:pypi`).
    PyPI,
    /// Go modules (`pkg:golang`).
    Go,
    /// Ruby gems (`pkg:gem`).
    RubyGems,
    /// PHP Composer packages (`pkg:composer`).
    Packagist,
    /// Maven artifacts (`pkg:maven`).
    Maven,
}

impl Ecosystem {
    /// Every ecosystem.
    pub const ALL: [Ecosystem; 7] = [
        Ecosystem::Cargo,
        Ecosystem::Npm,
        Ecosystem::PyPI,
        Ecosystem::Go,
        Ecosystem::RubyGems,
        Ecosystem::Packagist,
        Ecosystem::Maven,
    ];

    /// The name OSV and reports use (`crates.io`, `npm`, `PyPI`, `Go`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Ecosystem::Cargo => "crates.io",
            Ecosystem::Npm => "npm",
            Ecosystem::PyPI => "PyPI",
            Ecosystem::Go => "Go",
            Ecosystem::RubyGems => "RubyGems",
            Ecosystem::Packagist => "Packagist",
            Ecosystem::Maven => "Maven",
        }
    }

    /// The purl type (`cargo`, `npm`, `pypi`, `golang`, `gem`, `composer`, `maven`).
    pub fn purl_type(self) -> &'static str {
        match self {
            Ecosystem::Cargo => "cargo",
            Ecosystem::Npm => "npm",
            Ecosystem::PyPI => "pypi",
            Ecosystem::Go => "golang",
            Ecosystem::RubyGems => "gem",
            Ecosystem::Packagist => "composer",
            Ecosystem::Maven => "maven",
        }
    }

    /// The ecosystem of an OSV `affected[].package.ecosystem` value. OSV may suffix a release
    /// (`Debian:12`); ecosystems chainward does not know give `None`.
    pub fn from_osv(name: &str) -> Option<Ecosystem> {
        let base = name.split(':').next().unwrap_or(name);
        Ecosystem::ALL.into_iter().find(|e| e.as_str() == base)
    }

    /// The ecosystem of a purl type.
    pub fn from_purl_type(purl_type: &str) -> Option<Ecosystem> {
        Ecosystem::ALL.into_iter().find(|e| e.purl_type().eq_ignore_ascii_case(purl_type))
    }

    /// A package name as advisories and lockfiles are matched on: PyPI names per PEP 503
    /// (lowercase, runs of `-`, `_`, `.` as one `-`), Composer lowercase (its registry is
    /// case-insensitive); others unchanged.
    pub fn normalize_name(self, name: &str) -> String {
        match self {
            Ecosystem::PyPI => {
                let mut out = String::with_capacity(name.len());
                let mut dash = false;
                for c in name.trim().chars() {
                    if matches!(c, '-' | '_' | '.') {
                        dash = true;
                    } else {
                        if dash && !out.is_empty() {
                            out.push('-');
                        }
                        dash = false;
                        out.extend(c.to_lowercase());
                    }
                }
                out
            }
            Ecosystem::Packagist => name.to_ascii_lowercase(),
            Ecosystem::Cargo | Ecosystem::Npm | Ecosystem::Go | Ecosystem::RubyGems | Ecosystem::Maven => {
                name.to_owned()
            }
        }
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a package comes from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PackageSource {
    /// A package registry. `url` is the index URL without the `registry+`/`sparse+` prefix.
    Registry {
        /// Index URL (`https://github.com/rust-lang/crates.io-index`, `https://index.crates.io/`, ...).
        url: String,
        /// `true` for the sparse protocol (`sparse+`).
        sparse: bool,
        /// `true` when this is crates.io (git or sparse index).
        default_registry: bool,
    },
    /// A git repository.
    Git {
        /// Repository URL without the `git+` prefix, query or fragment.
        url: String,
        /// The `branch=`, `tag=` or `rev=` query, as written.
        reference: Option<GitReference>,
        /// The locked commit (the `#fragment`), when present.
        commit: Option<String>,
    },
    /// A local path package: no source in the lockfile. `dir` is the package directory relative
    /// to the scanned root when a manifest told us, otherwise the lockfile's directory.
    Path {
        /// Directory, `/`-separated, relative to the scanned root (`.` for the root).
        dir: String,
    },
}

/// A git reference named in a git source URL's query.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GitReference {
    /// `?branch=NAME`
    Branch(String),
    /// `?tag=NAME`
    Tag(String),
    /// `?rev=REV`
    Rev(String),
}

impl fmt::Display for GitReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GitReference::Branch(b) => write!(f, "branch={b}"),
            GitReference::Tag(t) => write!(f, "tag={t}"),
            GitReference::Rev(r) => write!(f, "rev={r}"),
        }
    }
}

impl PackageSource {
    /// Short kind name: `registry`, `git` or `path`.
    pub fn kind(&self) -> &'static str {
        match self {
            PackageSource::Registry { .. } => "registry",
            PackageSource::Git { .. } => "git",
            PackageSource::Path { .. } => "path",
        }
    }

    /// `true` for crates.io (git index or sparse).
    pub fn is_default_registry(&self) -> bool {
        matches!(self, PackageSource::Registry { default_registry: true, .. })
    }
}

/// A content checksum. Cargo records SHA-256 of the `.crate` file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Checksum {
    /// SHA-256, 64 lowercase hex digits.
    Sha256(String),
}

impl Checksum {
    /// `algorithm:value` (`sha256:<hex>`), the form findings and registry metadata compare.
    pub fn prefixed(&self) -> String {
        match self {
            Checksum::Sha256(hex) => format!("sha256:{hex}"),
        }
    }
}

/// 1-based line span of a package's block in its lockfile (inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LineSpan {
    /// First line (the `[[package]]` header).
    pub start: usize,
    /// Last non-blank line of the block.
    pub end: usize,
}

/// Why a dependency edge exists, from the manifest that declared it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DependencyKind {
    /// `[dependencies]`
    Normal,
    /// `[dev-dependencies]`
    Dev,
    /// `[build-dependencies]`
    Build,
}

impl DependencyKind {
    /// `normal`, `dev` or `build`.
    pub fn as_str(self) -> &'static str {
        match self {
            DependencyKind::Normal => "normal",
            DependencyKind::Dev => "dev",
            DependencyKind::Build => "build",
        }
    }
}

/// CycloneDX-style scope of a package, as far as the manifests let us tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// Reachable from a first-party package through normal dependencies: part of the product.
    Required,
    /// Reachable only through `[dev-dependencies]` and/or `[build-dependencies]`: not shipped.
    Excluded,
}

/// Descriptive metadata, from `cargo metadata` or a manifest. All optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackageMeta {
    /// SPDX license expression as declared (`license = "..."`).
    pub license: Option<String>,
    /// `description`
    pub description: Option<String>,
    /// `authors`
    pub authors: Vec<String>,
    /// `repository`
    pub repository: Option<String>,
    /// `homepage`
    pub homepage: Option<String>,
    /// `documentation`
    pub documentation: Option<String>,
}

impl PackageMeta {
    /// `true` when nothing is known.
    pub fn is_empty(&self) -> bool {
        *self == PackageMeta::default()
    }
}

/// One package of one lockfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    /// Ecosystem.
    pub ecosystem: Ecosystem,
    /// Name as in the lockfile.
    pub name: String,
    /// Version as in the lockfile.
    pub version: String,
    /// Where it comes from.
    pub source: PackageSource,
    /// Checksum recorded by the lockfile.
    pub checksum: Option<Checksum>,
    /// Block in the lockfile.
    pub lines: Option<LineSpan>,
    /// Indices (into the same lockfile's package list) of the packages this one depends on.
    pub dependencies: BTreeSet<usize>,
    /// A workspace member or other first-party package.
    pub first_party: bool,
    /// A direct dependency of a first-party package.
    pub direct: bool,
    /// Scope, when the manifests let us determine it.
    pub scope: Option<Scope>,
    /// For excluded packages: the kinds of edges that reach them (dev, build).
    pub reached_by: BTreeSet<DependencyKind>,
    /// Descriptive metadata, when known.
    pub meta: PackageMeta,
}

impl Package {
    /// A new package with no edges and no manifest facts.
    pub fn new(ecosystem: Ecosystem, name: String, version: String, source: PackageSource) -> Self {
        Package {
            ecosystem,
            name,
            version,
            source,
            checksum: None,
            lines: None,
            dependencies: BTreeSet::new(),
            first_party: false,
            direct: false,
            scope: None,
            reached_by: BTreeSet::new(),
            meta: PackageMeta::default(),
        }
    }

    /// The purl, when the package has one (path packages do not: they are not published).
    pub fn purl(&self) -> Option<String> {
        crate::model::purl::for_package(self)
    }

    /// A stable, unique identifier: the purl, or for path packages `path:DIR#NAME@VERSION`.
    pub fn id(&self) -> String {
        self.id_with(self.purl().as_deref())
    }

    /// [`Package::id`] with the purl already computed.
    pub fn id_with(&self, purl: Option<&str>) -> String {
        match (&self.source, purl) {
            (PackageSource::Path { dir }, _) => format!("path:{dir}#{}@{}", self.name, self.version),
            (_, Some(purl)) => purl.to_owned(),
            (_, None) => format!("{}@{}", self.name, self.version),
        }
    }
}
