//! Package URLs (<https://github.com/package-url/purl-spec>), built with the `purl` crate.
//!
//! Cargo packages follow the purl spec's `cargo` type:
//! - crates.io (git or sparse index): `pkg:cargo/NAME@VERSION`;
//! - another registry: `pkg:cargo/NAME@VERSION?repository_url=INDEX-URL` (the index URL as the
//!   lockfile has it, without the `registry+`/`sparse+` prefix);
//! - a git source: `pkg:cargo/NAME@VERSION?vcs_url=git%2BURL%40COMMIT` (the spec's
//!   `vcs_url` form, `git+URL@COMMIT`; the reference name when the commit is unknown);
//! - a path package: no purl. It is not published anywhere, and a bare `pkg:cargo/NAME` would
//!   claim the crates.io crate of the same name (and so match its advisories).
//!
//! npm packages follow the `npm` type: the scope is the namespace (`pkg:npm/%40babel/core@7.0.0`);
//! another registry adds `?repository_url=`, a git source `?vcs_url=`, a tarball from a URL
//! `?download_url=`; `file:`/`link:` packages have no purl. The name keeps its case: the spec
//! asks for lowercase because new npm names cannot have capitals, but old ones do, and
//! `JSONStream` and `jsonstream` are two different packages on the registry.

use purl::GenericPurlBuilder;

use super::package::{Package, PackageSource};

/// The purl of a package, or `None` for path packages.
pub fn for_package(package: &Package) -> Option<String> {
    // Fast path for the common case (a crates.io crate whose name and version need no
    // percent-encoding): what the builder below gives, without its per-call parsing.
    let plain = |s: &str| !s.is_empty() && s.bytes().all(|b| b < 128 && (PLAIN >> b) & 1 == 1);
    if package.ecosystem == super::Ecosystem::Cargo
        && matches!(package.source, PackageSource::Registry { default_registry: true, .. })
        && plain(&package.name)
        && plain(&package.version)
    {
        let mut purl = String::with_capacity(11 + package.name.len() + package.version.len());
        purl.push_str("pkg:cargo/");
        purl.push_str(&package.name);
        purl.push('@');
        purl.push_str(&package.version);
        return Some(purl);
    }
    built(package)
}

/// The bytes a purl name or version holds as themselves: ASCII letters and digits, `.`, `-`, `_`,
/// as a bit set (one shift per byte instead of five comparisons).
const PLAIN: u128 = {
    let mut set = 0u128;
    let mut c = 0u8;
    while c < 128 {
        if c.is_ascii_alphanumeric() || c == b'.' || c == b'-' || c == b'_' {
            set |= 1 << c;
        }
        c += 1;
    }
    set
};

/// The purl from the `purl` crate's builder.
fn built(package: &Package) -> Option<String> {
    let pypi_name;
    let (namespace, name) = match package.ecosystem {
        super::Ecosystem::Npm => match package.name.split_once('/') {
            Some((scope, name)) if scope.starts_with('@') => (Some(scope), name),
            _ => (None, package.name.as_str()),
        },
        // `pkg:golang/github.com/gorilla/mux`: everything before the last `/` is the namespace.
        // `pkg:composer/symfony/console`: the vendor is.
        super::Ecosystem::Go | super::Ecosystem::Packagist | super::Ecosystem::Maven => {
            match package.name.rsplit_once(['/', ':']) {
                Some((namespace, name)) if !namespace.is_empty() && !name.is_empty() => (Some(namespace), name),
                _ => (None, package.name.as_str()),
            }
        }
        // The purl spec: PyPI names are lowercased, `_` becomes `-`.
        super::Ecosystem::PyPI => {
            pypi_name = package.name.to_ascii_lowercase().replace('_', "-");
            (None, pypi_name.as_str())
        }
        _ => (None, package.name.as_str()),
    };
    let mut builder = GenericPurlBuilder::<String>::new(package.ecosystem.purl_type().to_owned(), name);
    // A version the lockfile does not record (an npm v1 git dependency) is left out, not `@`.
    if !package.version.is_empty() {
        builder = builder.with_version(package.version.as_str());
    }
    if let Some(namespace) = namespace {
        builder = builder.with_namespace(namespace);
    }
    if let Some(platform) = &package.platform {
        builder = builder.with_qualifier("platform", platform.as_str()).ok()?;
    }
    let builder = match &package.source {
        PackageSource::Path { .. } => return None,
        PackageSource::Tarball { url } => builder.with_qualifier("download_url", url.as_str()).ok()?,
        PackageSource::Registry { default_registry: true, .. } => builder,
        PackageSource::Registry { url, .. } => builder.with_qualifier("repository_url", url.as_str()).ok()?,
        PackageSource::Git { url, reference, commit } => {
            let rev = commit.clone().or_else(|| {
                reference.as_ref().map(|r| match r {
                    super::package::GitReference::Branch(s)
                    | super::package::GitReference::Tag(s)
                    | super::package::GitReference::Rev(s) => s.clone(),
                })
            });
            let vcs = match rev {
                Some(rev) => format!("git+{url}@{rev}"),
                None => format!("git+{url}"),
            };
            builder.with_qualifier("vcs_url", vcs).ok()?
        }
    };
    builder.build().ok().map(|p| p.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::package::{Ecosystem, GitReference};

    fn pkg(name: &str, version: &str, source: PackageSource) -> Package {
        Package::new(Ecosystem::Cargo, name.into(), version.into(), source)
    }

    #[test]
    fn crates_io_has_plain_purl() {
        let p = pkg(
            "serde",
            "1.0.0",
            PackageSource::Registry {
                url: "https://github.com/rust-lang/crates.io-index".into(),
                sparse: false,
                default_registry: true,
            },
        );
        assert_eq!(for_package(&p).as_deref(), Some("pkg:cargo/serde@1.0.0"));
    }

    #[test]
    fn alternative_registry_has_repository_url() {
        let p = pkg(
            "foo",
            "0.1.0",
            PackageSource::Registry { url: "https://my.example/index".into(), sparse: false, default_registry: false },
        );
        assert_eq!(for_package(&p).as_deref(), Some("pkg:cargo/foo@0.1.0?repository_url=https://my.example/index"));
    }

    #[test]
    fn git_source_has_vcs_url_with_commit() {
        let p = pkg(
            "salsa",
            "0.19.0",
            PackageSource::Git {
                url: "https://github.com/salsa-rs/salsa.git".into(),
                reference: Some(GitReference::Rev("abc".into())),
                commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
            },
        );
        let purl = for_package(&p).unwrap();
        assert!(
            purl.starts_with("pkg:cargo/salsa@0.19.0?vcs_url=git%2Bhttps://github.com/salsa-rs/salsa.git%40"),
            "{purl}"
        );
        assert!(purl.ends_with("0123456789abcdef0123456789abcdef01234567"));
    }

    #[test]
    fn path_package_has_no_purl() {
        let p = pkg("app", "0.1.0", PackageSource::Path { dir: ".".into() });
        assert_eq!(for_package(&p), None);
        assert_eq!(p.id(), "path:.#app@0.1.0");
    }

    #[test]
    fn the_fast_path_gives_what_the_builder_gives() {
        for (name, version) in [
            ("serde", "1.0.0"),
            ("Inflector", "0.11.4"),
            ("foo_bar-baz", "1.0.0-rc.1"),
            ("x", "0.3.0+build.5"),
            ("windows_x86_64_gnu", "0.52.6"),
            ("a.b", "1.0.0-alpha.1"),
        ] {
            let p = pkg(
                name,
                version,
                PackageSource::Registry { url: CRATES_IO.into(), sparse: false, default_registry: true },
            );
            assert_eq!(for_package(&p), built(&p), "{name} {version}");
        }
    }

    const CRATES_IO: &str = "https://github.com/rust-lang/crates.io-index";

    fn npm(name: &str, version: &str, source: PackageSource) -> Package {
        Package::new(Ecosystem::Npm, name.into(), version.into(), source)
    }

    fn npmjs() -> PackageSource {
        PackageSource::Registry { url: "https://registry.npmjs.org".into(), sparse: false, default_registry: true }
    }

    #[test]
    fn npm_scopes_are_namespaces() {
        assert_eq!(for_package(&npm("@babel/core", "7.0.0", npmjs())).as_deref(), Some("pkg:npm/%40babel/core@7.0.0"));
        assert_eq!(for_package(&npm("lodash", "4.17.21", npmjs())).as_deref(), Some("pkg:npm/lodash@4.17.21"));
        assert_eq!(for_package(&npm("JSONStream", "1.3.5", npmjs())).as_deref(), Some("pkg:npm/JSONStream@1.3.5"));
        let tarball = PackageSource::Tarball { url: "https://example.com/x-1.0.0.tgz".into() };
        assert_eq!(
            for_package(&npm("x", "1.0.0", tarball)).as_deref(),
            Some("pkg:npm/x@1.0.0?download_url=https://example.com/x-1.0.0.tgz")
        );
        assert_eq!(for_package(&npm("x", "1.0.0", PackageSource::Path { dir: "packages/x".into() })), None);
    }

    fn of(ecosystem: Ecosystem, name: &str, version: &str) -> Package {
        Package::new(ecosystem, name.into(), version.into(), PackageSource::default_registry(ecosystem))
    }

    #[test]
    fn other_ecosystems_follow_the_purl_spec() {
        let purl = |p: &Package| for_package(p).unwrap();
        assert_eq!(purl(&of(Ecosystem::PyPI, "Django_Rest", "3.2.0")), "pkg:pypi/django-rest@3.2.0");
        assert_eq!(purl(&of(Ecosystem::PyPI, "zope.interface", "5.0")), "pkg:pypi/zope.interface@5.0");
        assert_eq!(
            purl(&of(Ecosystem::Go, "github.com/gorilla/mux", "v1.8.0")),
            "pkg:golang/github.com/gorilla/mux@v1.8.0"
        );
        assert_eq!(purl(&of(Ecosystem::Go, "stdlib", "1.22.5")), "pkg:golang/stdlib@1.22.5");
        assert_eq!(purl(&of(Ecosystem::Packagist, "symfony/console", "v6.4.1")), "pkg:composer/symfony/console@v6.4.1");
        let mut gem = of(Ecosystem::RubyGems, "nokogiri", "1.13.3");
        assert_eq!(purl(&gem), "pkg:gem/nokogiri@1.13.3");
        gem.platform = Some("x86_64-linux".into());
        assert_eq!(purl(&gem), "pkg:gem/nokogiri@1.13.3?platform=x86_64-linux");
        let mut loose = of(Ecosystem::PyPI, "flask", "");
        loose.unpinned = Some(">=2".into());
        assert_eq!(purl(&loose), "pkg:pypi/flask");
    }
}
