//! The fleet inventory: many projects' dependency graphs in one database, and the fleet questions
//! asked of it ("which of our projects, at which revisions, contain this?", "who is affected by
//! this advisory?").
//!
//! One storage layer ([`Store`]) with two engines behind it: SQLite ([`sqlite`], a file, the
//! default) and PostgreSQL ([`postgres`], shared by many CI jobs). Both have the same schema and
//! the same versioned migrations ([`schema`]), applied on first use; a database whose schema is
//! newer than this build knows is an error, never a silent downgrade.
//!
//! The data model, normalized:
//! - a **package** (`ecosystem`, `name`, `version`, `purl`) is stored once and shared by every
//!   project that contains it;
//! - a **project** has **revisions** (a commit id, a tag, a build number);
//! - a revision has **components**, numbered densely from 0 (the root: what the project is), each
//!   a package or not (a workspace member, a component of an ecosystem chainward does not match),
//!   and **edges** between them. Each component also keeps its parent on one shortest path from
//!   the root (computed when the revision is added), so `who-uses` answers with a path without
//!   walking the graph at query time.
//!
//! What goes in is a [`Snapshot`] ([`snapshot`] builds one from resolved lockfiles or from any
//! CycloneDX JSON SBOM). Every string in the database is data from strangers: every query is
//! parameterized, and the strings are sanitised when they are printed.

#[cfg(feature = "inventory-db")]
pub mod postgres;
pub mod query;
pub mod schema;
pub mod snapshot;
#[cfg(feature = "inventory-db")]
pub mod sqlite;

use std::path::PathBuf;

use crate::model::Ecosystem;

/// A package as the inventory stores it: once, whatever the number of projects containing it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PackageKey {
    /// Ecosystem.
    pub ecosystem: Ecosystem,
    /// Name as written (the purl's name, with its namespace for npm scopes and Go modules).
    pub name: String,
    /// Version as written.
    pub version: String,
    /// purl, when known.
    pub purl: Option<String>,
}

/// One component of a revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    /// Its id in the graph (CycloneDX `bom-ref`): the purl, `path:DIR#NAME@VERSION`, ...
    pub bom_ref: String,
    /// The package, when it is one chainward matches (a registry package of a known ecosystem).
    pub package: Option<PackageKey>,
    /// CycloneDX scope (`required`, `optional`, `excluded`), when known.
    pub scope: Option<String>,
}

/// One project revision, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// The project's name.
    pub project: String,
    /// The revision (a commit id, a tag, ...).
    pub revision: String,
    /// Where it came from: `chainward` (lockfiles resolved by chainward), or `sbom` plus the
    /// SBOM's tool name when it says (`sbom:cdxgen`).
    pub source: String,
    /// Components; index 0 is the root (what the project is).
    pub components: Vec<Component>,
    /// Edges `(from, to)`, indices into `components`, sorted, without duplicates.
    pub edges: Vec<(u32, u32)>,
    /// Whether the input had a dependency graph (an SBOM without `dependencies` has none: paths
    /// are then unknown, not direct).
    pub has_graph: bool,
}

impl Snapshot {
    /// For each component, its parent on one shortest path from the root (index 0): breadth
    /// first, children in index order, so the answer is deterministic. `None` for the root and
    /// for components the root does not reach.
    pub fn parents(&self) -> Vec<Option<u32>> {
        let n = self.components.len();
        let mut parents: Vec<Option<u32>> = vec![None; n];
        if n == 0 {
            return parents;
        }
        // Adjacency as offsets into the sorted edge list.
        let mut start = vec![0usize; n + 1];
        for &(from, _) in &self.edges {
            if let Some(s) = start.get_mut(from as usize + 1) {
                *s += 1;
            }
        }
        for i in 0..n {
            let before = start.get(i).copied().unwrap_or(0);
            if let Some(s) = start.get_mut(i + 1) {
                *s += before;
            }
        }
        let mut seen = vec![false; n];
        if let Some(s) = seen.first_mut() {
            *s = true;
        }
        let mut queue = std::collections::VecDeque::from([0u32]);
        while let Some(at) = queue.pop_front() {
            let (Some(&lo), Some(&hi)) = (start.get(at as usize), start.get(at as usize + 1)) else { continue };
            for &(_, to) in self.edges.get(lo..hi).unwrap_or_default() {
                if let Some(s) = seen.get_mut(to as usize)
                    && !*s
                {
                    *s = true;
                    if let Some(p) = parents.get_mut(to as usize) {
                        *p = Some(at);
                    }
                    queue.push_back(to);
                }
            }
        }
        parents
    }
}

/// A package as stored, with its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPackage {
    /// Its row id.
    pub id: i64,
    /// The package.
    pub key: PackageKey,
}

/// A stored revision of a project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevisionRef {
    /// Its row id.
    pub id: i64,
    /// The project's name.
    pub project: String,
    /// The revision.
    pub revision: String,
}

/// One component holding a package, in a stored revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holding {
    /// The package's id.
    pub package_id: i64,
    /// The revision.
    pub revision: RevisionRef,
    /// The component's index in the revision.
    pub idx: u32,
    /// Its path from the root: bom-refs, root first, the component last. Empty when unknown
    /// (the revision has no graph, or the root does not reach the component).
    pub path: Vec<String>,
}

/// What `add` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddOutcome {
    /// The revision existed and was replaced.
    pub replaced: bool,
    /// Older revisions of the project removed by `--keep`.
    pub pruned: Vec<String>,
}

/// One stored revision, for `projects` and `show`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RevisionSummary {
    /// The revision.
    pub revision: String,
    /// When it was added (RFC 3339, UTC).
    pub added_at: String,
    /// Where it came from (`chainward`, `sbom:cdxgen`, ...).
    pub source: String,
    /// Its components (the root included).
    pub components: u64,
    /// Of those, packages chainward matches.
    pub packages: u64,
    /// Whether it has a dependency graph (paths).
    pub has_graph: bool,
}

/// One project, for `projects`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ProjectSummary {
    /// The project's name.
    pub project: String,
    /// How many revisions are stored.
    pub revisions: u64,
    /// The newest revision.
    pub latest: Option<RevisionSummary>,
}

/// Which revisions a query looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revisions {
    /// Every stored revision.
    All,
    /// Each project's newest revision only.
    Latest,
}

/// The storage layer: the same operations on every engine.
pub trait Store {
    /// The engine's name (`sqlite`, `postgres`).
    fn engine(&self) -> &'static str;

    /// The schema version of the database.
    fn schema_version(&mut self) -> Result<u32, InventoryError>;

    /// Store `snapshot`, replacing the same project revision when it exists, in one transaction;
    /// then keep at most `keep` revisions of the project (newest added first). `now`: the time
    /// recorded (RFC 3339). On any error nothing is written.
    fn add(&mut self, snapshot: &Snapshot, keep: Option<usize>, now: &str) -> Result<AddOutcome, InventoryError>;

    /// Packages whose normalized name is one of `names` (each ecosystem's normalization: PEP 503
    /// for PyPI, ...), of `ecosystem` when given.
    fn packages_named(
        &mut self,
        names: &[String],
        ecosystem: Option<Ecosystem>,
    ) -> Result<Vec<StoredPackage>, InventoryError>;

    /// Every stored package that at least one stored component is (each once).
    fn packages(&mut self) -> Result<Vec<StoredPackage>, InventoryError>;

    /// The components that are one of `package_ids`, with their revisions and paths, sorted by
    /// project, revision (newest first), package.
    fn holdings(&mut self, package_ids: &[i64], revisions: Revisions) -> Result<Vec<Holding>, InventoryError>;

    /// Every project, sorted by name.
    fn projects(&mut self) -> Result<Vec<ProjectSummary>, InventoryError>;

    /// A project's revisions (newest first); `None` when there is no such project.
    fn show(&mut self, project: &str) -> Result<Option<Vec<RevisionSummary>>, InventoryError>;
}

/// Why the inventory could not be used. Messages never include a password.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    /// The database could not be opened or reached.
    #[error("cannot open the inventory database {location}: {message}")]
    Open {
        /// The database (a path, or a URL without its password).
        location: String,
        /// Why.
        message: String,
    },
    /// The database's schema is newer than this build knows.
    #[error(
        "the inventory database {location} has schema version {found}, newer than this chainward knows ({known}): \
         upgrade chainward"
    )]
    TooNew {
        /// The database.
        location: String,
        /// Its version.
        found: u32,
        /// The newest this build knows.
        known: u32,
    },
    /// A statement failed (the transaction was rolled back).
    #[error("inventory database {location}: {message}")]
    Database {
        /// The database.
        location: String,
        /// Why.
        message: String,
    },
    /// A value in the database that this build cannot read.
    #[error("inventory database {location}: {message}")]
    Corrupt {
        /// The database.
        location: String,
        /// What.
        message: String,
    },
}

/// Where the inventory is: a SQLite file or a PostgreSQL server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A SQLite database file.
    Sqlite(PathBuf),
    /// A PostgreSQL connection string (`postgres://…` or `postgresql://…`).
    Postgres(String),
}

impl Location {
    /// `--database VALUE` (or `CHAINWARD_DATABASE_URL`): a `postgres://`/`postgresql://` URL, a
    /// `sqlite:PATH` URL, or a path.
    pub fn parse(value: &str) -> Location {
        let lower = value.get(..13).unwrap_or(value).to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            Location::Postgres(value.to_owned())
        } else if let Some(path) = value.strip_prefix("sqlite://").or_else(|| value.strip_prefix("sqlite:")) {
            Location::Sqlite(PathBuf::from(path))
        } else {
            Location::Sqlite(PathBuf::from(value))
        }
    }

    /// The location for messages: the path, or the URL without its password.
    pub fn display(&self) -> String {
        match self {
            Location::Sqlite(path) => format!("`{}`", crate::sanitize::value(&path.display().to_string())),
            Location::Postgres(url) => format!("`{}`", crate::sanitize::value(&redact(url))),
        }
    }
}

/// A connection URL without its password (`postgres://user:***@host/db`).
pub fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else { return url.to_owned() };
    let rest = url.get(scheme_end + 3..).unwrap_or_default();
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = rest.get(..authority_end).unwrap_or_default();
    let mut out = url.get(..scheme_end + 3).unwrap_or_default().to_owned();
    match authority.rfind('@') {
        Some(at) => {
            let userinfo = authority.get(..at).unwrap_or_default();
            match userinfo.find(':') {
                Some(colon) => {
                    out.push_str(userinfo.get(..colon).unwrap_or_default());
                    out.push_str(":***");
                }
                None => out.push_str(userinfo),
            }
            out.push_str(authority.get(at..).unwrap_or_default());
        }
        None => out.push_str(authority),
    }
    let tail = rest.get(authority_end..).unwrap_or_default();
    // A `password=` query parameter too.
    let mut parts = Vec::new();
    for (i, part) in tail.split('&').enumerate() {
        let bare = if i == 0 { part.rsplit('?').next().unwrap_or(part) } else { part };
        if bare.to_ascii_lowercase().starts_with("password=") {
            let prefix = part.get(..part.len() - bare.len()).unwrap_or_default();
            parts.push(format!("{prefix}password=***"));
        } else {
            parts.push(part.to_owned());
        }
    }
    out.push_str(&parts.join("&"));
    out
}

/// Open the inventory at `location`, applying migrations when its schema is older than this
/// build's (an empty database gets the whole schema).
#[cfg(feature = "inventory-db")]
pub fn open(location: &Location) -> Result<Box<dyn Store>, InventoryError> {
    match location {
        Location::Sqlite(path) => Ok(Box::new(sqlite::SqliteStore::open(path)?)),
        Location::Postgres(url) => Ok(Box::new(postgres::PostgresStore::connect(url)?)),
    }
}

/// Open the inventory: this build has no database engines (built without the `inventory-db`
/// feature).
#[cfg(not(feature = "inventory-db"))]
pub fn open(location: &Location) -> Result<Box<dyn Store>, InventoryError> {
    Err(InventoryError::Open {
        location: location.display(),
        message: "this chainward was built without the inventory's database engines (feature `inventory-db`)"
            .to_owned(),
    })
}

/// The packages of `names` (normalized per ecosystem) as the query asks for them: for each
/// ecosystem (or only `ecosystem`), the name normalized by its rules.
pub fn normalized_names(name: &str, ecosystem: Option<Ecosystem>) -> Vec<String> {
    let mut names: Vec<String> = match ecosystem {
        Some(e) => vec![e.normalize_name(name)],
        None => Ecosystem::ALL.iter().map(|e| e.normalize_name(name)).collect(),
    };
    names.sort();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact("postgres://u:secret@db.example/x"), "postgres://u:***@db.example/x");
        assert_eq!(redact("postgres://u@db/x?sslmode=require"), "postgres://u@db/x?sslmode=require");
        assert_eq!(redact("postgresql://db/x?user=u&password=s3"), "postgresql://db/x?user=u&password=***");
        assert_eq!(redact("postgres://u:p@ss@host/x"), "postgres://u:***@host/x");
        assert_eq!(Location::parse("postgres://h/x"), Location::Postgres("postgres://h/x".to_owned()));
        assert_eq!(Location::parse("sqlite:/tmp/x.db"), Location::Sqlite(PathBuf::from("/tmp/x.db")));
        assert_eq!(Location::parse("inv.db"), Location::Sqlite(PathBuf::from("inv.db")));
    }

    #[test]
    fn parents_are_a_breadth_first_tree() {
        let c = |r: &str| Component { bom_ref: r.to_owned(), package: None, scope: None };
        let s = Snapshot {
            project: "p".into(),
            revision: "r".into(),
            source: "chainward".into(),
            components: vec![c("root"), c("a"), c("b"), c("c"), c("lonely")],
            edges: vec![(0, 1), (0, 2), (1, 3), (2, 3), (3, 1)],
            has_graph: true,
        };
        assert_eq!(s.parents(), vec![None, Some(0), Some(0), Some(1), None]);
    }
}
