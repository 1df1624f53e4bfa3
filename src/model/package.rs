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
        self.normalized_name(name).into_owned()
    }

    /// [`Ecosystem::normalize_name`], borrowing `name` when it is already normal (always, for
    /// the ecosystems that compare names as written).
    pub fn normalized_name(self, name: &str) -> std::borrow::Cow<'_, str> {
        use std::borrow::Cow;
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
                Cow::Owned(out)
            }
            Ecosystem::Packagist if name.bytes().any(|b| b.is_ascii_uppercase()) => {
                Cow::Owned(name.to_ascii_lowercase())
            }
            Ecosystem::Packagist
            | Ecosystem::Cargo
            | Ecosystem::Npm
            | Ecosystem::Go
            | Ecosystem::RubyGems
            | Ecosystem::Maven => Cow::Borrowed(name),
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
    /// An archive downloaded from a URL that is not a registry (npm `"resolved":
    /// "https://example.com/x.tgz"`): not the registry package of that name.
    Tarball {
        /// The URL as the lockfile has it.
        url: String,
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

impl GitReference {
    /// The query key (`branch`, `tag`, `rev`) and its value.
    pub fn parts(&self) -> (&'static str, &str) {
        match self {
            GitReference::Branch(b) => ("branch", b),
            GitReference::Tag(t) => ("tag", t),
            GitReference::Rev(r) => ("rev", r),
        }
    }
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
    /// Short kind name: `registry`, `git`, `path` or `tarball`.
    pub fn kind(&self) -> &'static str {
        match self {
            PackageSource::Registry { .. } => "registry",
            PackageSource::Git { .. } => "git",
            PackageSource::Path { .. } => "path",
            PackageSource::Tarball { .. } => "tarball",
        }
    }

    /// The public registry of an ecosystem (crates.io's sparse index, registry.npmjs.org,
    /// pypi.org, proxy.golang.org, rubygems.org, packagist.org, Maven Central): what a lockfile
    /// entry without another registry comes from.
    pub fn default_registry(ecosystem: Ecosystem) -> PackageSource {
        let (url, sparse) = match ecosystem {
            Ecosystem::Cargo => ("https://index.crates.io/", true),
            Ecosystem::Npm => ("https://registry.npmjs.org", false),
            Ecosystem::PyPI => ("https://pypi.org/simple", false),
            Ecosystem::Go => ("https://proxy.golang.org", false),
            Ecosystem::RubyGems => ("https://rubygems.org", false),
            Ecosystem::Packagist => ("https://repo.packagist.org", false),
            Ecosystem::Maven => ("https://repo.maven.apache.org/maven2", false),
        };
        PackageSource::Registry { url: url.to_owned(), sparse, default_registry: true }
    }

    /// `true` for the ecosystem's public registry (crates.io, npmjs, PyPI, ...).
    pub fn is_default_registry(&self) -> bool {
        matches!(self, PackageSource::Registry { default_registry: true, .. })
    }
}

/// A content checksum of the published archive, lowercase hex. Cargo records SHA-256 of the
/// `.crate` file; npm-family lockfiles record SRI `integrity` strings (SHA-512, older ones SHA-1)
/// of the tarball.
///
/// Variants are ordered weakest first, so the strongest of a list is its maximum.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Checksum {
    /// SHA-1, 40 hex digits.
    Sha1(String),
    /// SHA-256, 64 hex digits.
    Sha256(String),
    /// SHA-384, 96 hex digits.
    Sha384(String),
    /// SHA-512, 128 hex digits.
    Sha512(String),
}

/// Whether every byte of `s` is an ASCII hex digit (any case); `true` for an empty string.
///
/// Every byte is judged and the verdicts combined without a branch: digests are random, and
/// `bytes().all(is_ascii_hexdigit)` guessed wrong between digit and letter at every other byte
/// (three quarters of the time `Cargo.lock`'s own code took went there).
pub fn is_hex(s: &str) -> bool {
    let misses = s.bytes().fold(0u8, |misses, b| {
        let digit = u8::from(b.wrapping_sub(b'0') < 10);
        let letter = u8::from((b | 0x20).wrapping_sub(b'a') < 6);
        misses | (1 ^ (digit | letter))
    });
    misses == 0
}

impl Checksum {
    /// `algorithm:value` (`sha256:<hex>`), the form findings and registry metadata compare.
    pub fn prefixed(&self) -> String {
        // Not `format!`: a scan builds one for every package.
        [self.algorithm(), ":", self.hex()].concat()
    }

    /// The algorithm as SRI and `prefixed` write it (`sha1`, `sha256`, `sha384`, `sha512`).
    pub fn algorithm(&self) -> &'static str {
        match self {
            Checksum::Sha1(_) => "sha1",
            Checksum::Sha256(_) => "sha256",
            Checksum::Sha384(_) => "sha384",
            Checksum::Sha512(_) => "sha512",
        }
    }

    /// The digest, lowercase hex.
    pub fn hex(&self) -> &str {
        match self {
            Checksum::Sha1(h) | Checksum::Sha256(h) | Checksum::Sha384(h) | Checksum::Sha512(h) => h,
        }
    }

    /// The checksum of an algorithm name (`sha512`, any case) and a lowercase-hex digest of the
    /// right length; `None` for other algorithms or lengths.
    pub fn from_hex(algorithm: &str, hex: &str) -> Option<Checksum> {
        let (make, bytes) = Checksum::algorithm_of(algorithm)?;
        (hex.len() == 2 * bytes && is_hex(hex)).then(|| make(hex.to_ascii_lowercase()))
    }

    /// The variant and the digest's length in bytes of an algorithm name (any case).
    fn algorithm_of(algorithm: &str) -> Option<(MakeChecksum, usize)> {
        let table: [(&str, MakeChecksum, usize); 4] = [
            ("sha1", Checksum::Sha1, 20),
            ("sha256", Checksum::Sha256, 32),
            ("sha384", Checksum::Sha384, 48),
            ("sha512", Checksum::Sha512, 64),
        ];
        table.into_iter().find(|(name, _, _)| name.eq_ignore_ascii_case(algorithm)).map(|(_, make, n)| (make, n))
    }

    /// The checksums of a Subresource Integrity string (`sha512-<base64> sha1-<base64>`, the
    /// `integrity` of npm, yarn, pnpm and bun lockfiles), strongest first, duplicates removed.
    /// Options after `?` are ignored, as the SRI spec says. An item of an algorithm SRI does not
    /// define, or whose digest is not base64 of the right length, is an error naming it.
    pub fn from_sri(integrity: &str) -> Result<Vec<Checksum>, String> {
        use base64::Engine as _;
        let mut out = Vec::new();
        for item in integrity.split_ascii_whitespace() {
            let item = item.split('?').next().unwrap_or(item);
            let Some((algorithm, digest)) = item.split_once('-') else {
                return Err(format!("`{item}` is not an SRI hash (`algorithm-base64`)"));
            };
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(digest)
                .map_err(|_| format!("`{item}`: the digest is not base64"))?;
            let Some((make, _)) = Checksum::algorithm_of(algorithm).filter(|(_, len)| bytes.len() == *len) else {
                return Err(format!("`{item}`: not a sha1, sha256, sha384 or sha512 digest"));
            };
            let mut hex = String::with_capacity(bytes.len() * 2);
            for b in &bytes {
                hex.push(hex_digit(b >> 4));
                hex.push(hex_digit(b & 0x0f));
            }
            out.push(make(hex));
        }
        if out.is_empty() {
            return Err("empty integrity".to_owned());
        }
        out.sort_unstable_by(|a, b| b.cmp(a));
        out.dedup();
        Ok(out)
    }
}

/// A [`Checksum`] variant's constructor.
type MakeChecksum = fn(String) -> Checksum;

/// The lowercase hex digit of a nibble (`0..16`).
fn hex_digit(nibble: u8) -> char {
    char::from(if nibble < 10 { b'0' + nibble } else { b'a' + (nibble & 0x0f).saturating_sub(10) })
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
    /// npm `optionalDependencies`.
    Optional,
}

impl DependencyKind {
    /// `normal`, `dev` or `build`.
    pub fn as_str(self) -> &'static str {
        match self {
            DependencyKind::Normal => "normal",
            DependencyKind::Dev => "dev",
            DependencyKind::Build => "build",
            DependencyKind::Optional => "optional",
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
    /// Reachable from a first-party package, but only through optional dependencies (npm
    /// `optionalDependencies`): installed where it can be, and the product works without it.
    Optional,
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

/// Nothing known: what an unset [`Meta`] reads as.
static NO_META: PackageMeta = PackageMeta {
    license: None,
    description: None,
    authors: Vec::new(),
    repository: None,
    homepage: None,
    documentation: None,
};

/// A package's [`PackageMeta`], kept out of line and only once something is set: most packages
/// of a lockfile have none, and the 144 bytes inline were a quarter of every [`Package`] (a
/// page of memory per thirty packages). Reads and writes go through `Deref`/`DerefMut` as
/// to the metadata itself; a write allocates it.
#[derive(Clone, Default)]
pub struct Meta(Option<Box<PackageMeta>>);

impl std::ops::Deref for Meta {
    type Target = PackageMeta;

    fn deref(&self) -> &PackageMeta {
        self.0.as_deref().unwrap_or(&NO_META)
    }
}

impl std::ops::DerefMut for Meta {
    fn deref_mut(&mut self) -> &mut PackageMeta {
        self.0.get_or_insert_with(Box::default)
    }
}

impl From<PackageMeta> for Meta {
    fn from(meta: PackageMeta) -> Meta {
        Meta((!meta.is_empty()).then(|| Box::new(meta)))
    }
}

impl PartialEq for Meta {
    fn eq(&self, other: &Meta) -> bool {
        **self == **other
    }
}

impl Eq for Meta {}

impl fmt::Debug for Meta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
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
    /// Checksums recorded by the lockfile, strongest first (npm's `integrity` may hold several).
    pub checksums: Vec<Checksum>,
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
    pub meta: Meta,
    /// The name it is installed under, when that is not its name (npm aliases:
    /// `"x": "npm:y@1"` installs `y` as `node_modules/x`).
    pub alias: Option<String>,
    /// Whether the lockfile says the package runs install scripts (npm `hasInstallScript`);
    /// `None` when the lockfile does not say.
    pub install_script: Option<bool>,
    /// Shipped inside another package's tarball (npm `inBundle`), not installed from a registry.
    pub bundled: bool,
    /// The platform of a platform-specific build (RubyGems `1.13.3-x86_64-linux` is version
    /// `1.13.3`, platform `x86_64-linux`): the purl's `platform` qualifier.
    pub platform: Option<String>,
    /// The dependency groups the lockfile puts the package in, as written (poetry `groups`, uv
    /// and PDM groups, Pipfile.lock `develop`), sorted and deduplicated. The scope says what
    /// they mean; these keep the names.
    pub groups: Vec<String>,
    /// A requirement that pins no version (`flask>=2`, `requests`, in a requirements file): the
    /// package is named but its version is unknown, so it cannot be matched. The requirement as
    /// written after the name (`>=2`, or empty for none). Such packages have version `""`, are left
    /// out of matching, are warned about, and make the SBOM's composition `incomplete`.
    pub unpinned: Option<String>,
    /// Whether cargo compiles it for the selected targets and features (Rust only, when the
    /// compiled view ran: [`crate::compiled`]).
    pub compiled: Option<crate::compiled::Compiled>,
}

impl Package {
    /// A new package with no edges and no manifest facts.
    pub fn new(ecosystem: Ecosystem, name: String, version: String, source: PackageSource) -> Self {
        Package {
            ecosystem,
            name,
            version,
            source,
            checksums: Vec::new(),
            lines: None,
            dependencies: BTreeSet::new(),
            first_party: false,
            direct: false,
            scope: None,
            reached_by: BTreeSet::new(),
            meta: Meta::default(),
            alias: None,
            install_script: None,
            bundled: false,
            platform: None,
            groups: Vec::new(),
            unpinned: None,
            compiled: None,
        }
    }

    /// The strongest checksum the lockfile records.
    pub fn checksum(&self) -> Option<&Checksum> {
        self.checksums.first()
    }

    /// The purl, when the package has one (path packages do not: they are not published).
    pub fn purl(&self) -> Option<String> {
        crate::model::purl::for_package(self)
    }

    /// A stable identifier, unique by construction (distinct packages never share one; the same
    /// package in two lockfiles has the same one). See [`Package::id_with`] for the scheme.
    pub fn id(&self) -> String {
        self.id_with(self.purl().as_deref())
    }

    /// [`Package::id`] with the purl already computed.
    ///
    /// - a registry package: its purl (`pkg:cargo/NAME@VERSION`, with `?repository_url=` for
    ///   another registry);
    /// - a git package without a `branch`/`tag`/`rev`: its purl (`?vcs_url=git%2BURL%40COMMIT`);
    /// - a git package with one: `git:URL?KIND=REF@COMMIT#NAME@VERSION` (`@COMMIT` when the
    ///   lockfile locks one). The purl has room for one revision only, so two packages that differ
    ///   only in the reference (`?branch=main` and `?tag=v1` at one commit) share a purl; they are
    ///   distinct sources to Cargo, and stay distinct here;
    /// - a path package: `path:DIR#NAME@VERSION`;
    /// - a package whose purl cannot be built: `registry:URL#NAME@VERSION` or the `git:` form.
    ///
    /// In the non-purl forms every part has `%`, `#`, `@` and `?` percent-encoded (`%25`, `%23`,
    /// `%40`, `%3F`), so the separators are unambiguous and the id is injective: a package named
    /// `a@1` at version `2` is `path:.#a%401@2`, one named `a` at version `1@2` is
    /// `path:.#a@1%402`. Ordinary names, versions and directories contain none of these and read
    /// as before.
    pub fn id_with(&self, purl: Option<&str>) -> String {
        let name = id_part(&self.name);
        let version = id_part(&self.version);
        match (&self.source, purl) {
            (PackageSource::Path { dir }, _) => format!("path:{}#{name}@{version}", id_part(dir)),
            (PackageSource::Registry { .. } | PackageSource::Git { reference: None, .. }, Some(purl)) => {
                purl.to_owned()
            }
            (PackageSource::Git { url, reference, commit }, _) => {
                let mut id = format!("git:{}", id_part(url));
                if let Some(r) = reference {
                    let (kind, value) = r.parts();
                    id.push('?');
                    id.push_str(kind);
                    id.push('=');
                    id.push_str(&id_part(value));
                }
                if let Some(c) = commit {
                    id.push('@');
                    id.push_str(&id_part(c));
                }
                id.push('#');
                id.push_str(&name);
                id.push('@');
                id.push_str(&version);
                id
            }
            (PackageSource::Registry { url, .. }, None) => format!("registry:{}#{name}@{version}", id_part(url)),
            (PackageSource::Tarball { .. }, Some(purl)) => purl.to_owned(),
            (PackageSource::Tarball { url }, None) => format!("tarball:{}#{name}@{version}", id_part(url)),
        }
    }
}

/// One part of a non-purl id, with the id's separators (and `%`) percent-encoded.
fn id_part(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains(['%', '#', '@', '?']) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '#' => out.push_str("%23"),
            '@' => out.push_str("%40"),
            '?' => out.push_str("%3F"),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_hex_judges_every_byte_as_is_ascii_hexdigit_does() {
        for b in 0..=255u8 {
            let one = [b];
            let Ok(s) = std::str::from_utf8(&one) else { continue };
            assert_eq!(is_hex(s), b.is_ascii_hexdigit(), "{b:#04x}");
            // A bad byte anywhere in a long string, as in a digest.
            let long = format!("{}{s}{}", "0aF9".repeat(9), "b".repeat(27));
            assert_eq!(is_hex(&long), b.is_ascii_hexdigit(), "{b:#04x} in a long string");
        }
        assert!(is_hex(""));
        assert!(!is_hex("é0"));
        assert!(is_hex(&"0123456789abcdefABCDEF".repeat(5)));
    }

    #[test]
    fn metadata_reads_empty_until_written_and_compares_by_content() {
        let mut meta = Meta::default();
        assert!(meta.is_empty() && meta.0.is_none(), "nothing allocated");
        assert_eq!(meta, Meta::from(PackageMeta::default()));
        assert!(Meta::from(PackageMeta::default()).0.is_none(), "empty metadata stays unallocated");
        meta.license = Some("MIT".to_owned());
        assert_eq!(meta.license.as_deref(), Some("MIT"));
        assert_eq!(meta, Meta::from(PackageMeta { license: Some("MIT".to_owned()), ..PackageMeta::default() }));
        // Allocated but empty again: equal to never set.
        meta.license = None;
        assert!(meta.0.is_some());
        assert_eq!(meta, Meta::default());
        assert_eq!(format!("{meta:?}"), format!("{:?}", PackageMeta::default()));
    }

    const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

    fn path(name: &str, version: &str, dir: &str) -> Package {
        Package::new(Ecosystem::Cargo, name.into(), version.into(), PackageSource::Path { dir: dir.into() })
    }

    fn git(reference: Option<GitReference>, commit: Option<&str>) -> Package {
        let source = PackageSource::Git {
            url: "https://example.com/g.git".into(),
            reference,
            commit: commit.map(str::to_owned),
        };
        Package::new(Ecosystem::Cargo, "g".into(), "0.1.0".into(), source)
    }

    #[test]
    fn path_ids_escape_their_separators() {
        assert_eq!(path("app", "0.1.0", "crates/app").id(), "path:crates/app#app@0.1.0");
        let a = path("a@1", "2", ".");
        let b = path("a", "1@2", ".");
        assert_eq!(a.id(), "path:.#a%401@2");
        assert_eq!(b.id(), "path:.#a@1%402");
        assert_ne!(path("x", "1", "d#y").id(), path("y", "1", "d#x").id());
        assert_eq!(path("a%40b", "1", ".").id(), "path:.#a%2540b@1");
        assert_ne!(path("a%40b", "1", ".").id(), path("a@b", "1", ".").id());
    }

    #[test]
    fn git_ids_keep_the_reference() {
        let branch = git(Some(GitReference::Branch("main".into())), Some(COMMIT));
        let tag = git(Some(GitReference::Tag("main".into())), Some(COMMIT));
        let none = git(None, Some(COMMIT));
        assert_eq!(branch.purl(), tag.purl(), "the purl has one revision only");
        assert_eq!(branch.id(), format!("git:https://example.com/g.git?branch=main@{COMMIT}#g@0.1.0"));
        assert_ne!(branch.id(), tag.id());
        // Without a reference the purl is the id, as before.
        assert_eq!(Some(none.id()), none.purl());
        // Without a commit the branch and a tag of the same name share the purl's revision.
        let (b, t) =
            (git(Some(GitReference::Branch("v1".into())), None), git(Some(GitReference::Tag("v1".into())), None));
        assert_eq!(b.purl(), t.purl());
        assert_ne!(b.id(), t.id());
        // A reference containing the separators stays unambiguous.
        let odd = git(Some(GitReference::Branch("x@y#z".into())), None);
        assert_eq!(odd.id(), "git:https://example.com/g.git?branch=x%40y%23z#g@0.1.0");
    }

    #[test]
    fn sri_strings_become_hex_checksums_strongest_first() {
        // `echo -n hello | sha1sum` / `sha512sum`, base64 as npm writes them.
        let sums = Checksum::from_sri(
            "sha1-qvTGHdzF6KLavt4PO0gs2a6pQ00= sha512-m3HSJL1i83hdltRq0+o9czGb+8KJDKra4t/3JRlnPKcjI8PZm6XBHXx6zG4UuMXaDEZjR1wuXDre9G9zvN7AQw==?opt",
        )
        .unwrap();
        assert_eq!(
            sums,
            [
                Checksum::Sha512("9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca72323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043".into()),
                Checksum::Sha1("aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d".into()),
            ]
        );
        assert_eq!(sums[1].prefixed(), "sha1:aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d");
        assert!(Checksum::from_sri("md5-XUFAKrxLKna5cZ2REBfFkg==").is_err());
        assert!(Checksum::from_sri("sha512-notbase64!").is_err());
        assert!(Checksum::from_sri("sha1-AAAA").is_err(), "wrong length");
        assert!(Checksum::from_sri("  ").is_err());
    }

    #[test]
    fn registry_ids_are_purls() {
        let p = Package::new(
            Ecosystem::Cargo,
            "serde".into(),
            "1.0.0".into(),
            PackageSource::Registry {
                url: "https://github.com/rust-lang/crates.io-index".into(),
                sparse: false,
                default_registry: true,
            },
        );
        assert_eq!(p.id(), "pkg:cargo/serde@1.0.0");
    }
}
