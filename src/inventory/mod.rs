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

/// Paths of at most this many steps are stored with each component (most are 2 to 6); a longer
/// one is walked through the parents when it is asked for.
pub const MAX_STORED_DEPTH: usize = 16;

/// What a component is in a stored path: its package's id (`> 0`) when its bom-ref is that
/// package's stored purl, else `-idx` (the root, index 0, is `0` then).
pub fn path_element(idx: usize, package_id: Option<i64>, elided: bool) -> i64 {
    match package_id {
        Some(id) if elided => id,
        _ => -i64::try_from(idx).unwrap_or(i64::MAX),
    }
}

/// For each component, the stored form of its path from the root up to its parent (the
/// elements of [`path_element`], zigzag varints); `None` for components the root does not reach
/// and for paths longer than [`MAX_STORED_DEPTH`].
pub fn encoded_paths(parents: &[Option<u32>], elements: &[i64]) -> Vec<Option<Vec<u8>>> {
    let n = parents.len();
    let mut out: Vec<Option<Vec<u8>>> = vec![None; n];
    let mut depth: Vec<usize> = vec![0; n];
    if let Some(root) = out.first_mut() {
        *root = Some(Vec::new());
    }
    let mut stack = Vec::new();
    for i in 1..n {
        if out.get(i).is_some_and(Option::is_some) {
            continue;
        }
        // Up to the nearest ancestor already done, then down again.
        stack.clear();
        let mut at = i;
        let base = loop {
            stack.push(at);
            match parents.get(at).copied().flatten().map(|p| p as usize) {
                None => break None,
                Some(p) if out.get(p).is_some_and(Option::is_some) => break Some(p),
                Some(_) if stack.len() > n => break None,
                Some(p) => at = p,
            }
        };
        let Some(mut parent) = base else { continue };
        while let Some(j) = stack.pop() {
            let d = depth.get(parent).copied().unwrap_or(usize::MAX).saturating_add(1);
            let encoded = match out.get(parent) {
                Some(Some(prefix)) if d <= MAX_STORED_DEPTH => {
                    let mut v = prefix.clone();
                    push_varint(&mut v, elements.get(parent).copied().unwrap_or(0));
                    Some(v)
                }
                _ => None,
            };
            let Some(encoded) = encoded else { break };
            if let Some(slot) = out.get_mut(j) {
                *slot = Some(encoded);
            }
            if let Some(slot) = depth.get_mut(j) {
                *slot = d;
            }
            parent = j;
        }
    }
    out
}

fn push_varint(out: &mut Vec<u8>, v: i64) {
    // Zigzag: small magnitudes of either sign take one byte.
    #[expect(clippy::cast_sign_loss, reason = "zigzag encoding reinterprets the bits")]
    let mut z = ((v << 1) ^ (v >> 63)) as u64;
    loop {
        let byte = u8::try_from(z & 0x7f).unwrap_or(0);
        z >>= 7;
        if z == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// The elements of a stored path; `None` when the bytes are not one (the path is then walked).
pub fn decode_path(bytes: &[u8]) -> Option<Vec<i64>> {
    let mut out = Vec::new();
    let mut z: u64 = 0;
    let mut shift = 0u32;
    for &b in bytes {
        if shift >= 64 {
            return None;
        }
        z |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            #[expect(clippy::cast_possible_wrap, reason = "zigzag decoding reinterprets the bits")]
            out.push(((z >> 1) as i64) ^ -((z & 1) as i64));
            z = 0;
            shift = 0;
        } else {
            shift += 7;
        }
    }
    (shift == 0).then_some(out)
}

/// A package as stored, with its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPackage {
    /// Its row id.
    pub id: i64,
    /// The package.
    pub key: PackageKey,
}

/// A `package` row as read: (id, ecosystem, name, version, purl).
pub(crate) type PackageRow = (i64, String, String, String, Option<String>);

/// Every project with its newest revision (the same SQL on both engines).
pub(crate) const PROJECTS_SQL: &str = "SELECT p.name, (SELECT count(*) FROM revision x WHERE x.project_id = p.id),
        r.rev, r.added_at, r.source, r.has_graph, r.components, r.packages
 FROM project p JOIN revision r ON r.id = (SELECT max(id) FROM revision WHERE project_id = p.id)
 ORDER BY p.name";

impl StoredPackage {
    /// A `package` row; an ecosystem this build does not know is a corrupt database.
    pub(crate) fn from_row(
        location: &str,
        (id, ecosystem, name, version, purl): PackageRow,
    ) -> Result<Self, InventoryError> {
        let ecosystem = Ecosystem::from_osv(&ecosystem).ok_or_else(|| InventoryError::Corrupt {
            location: location.to_owned(),
            message: format!("package {id} has an unknown ecosystem `{}`", crate::sanitize::value(&ecosystem)),
        })?;
        Ok(StoredPackage { id, key: PackageKey { ecosystem, name, version, purl } })
    }

    /// The package as the matcher takes it (its location: the inventory).
    pub fn scan_package(&self) -> crate::finding::ScanPackage {
        crate::finding::ScanPackage {
            ecosystem: self.key.ecosystem,
            name: self.key.name.clone(),
            version: self.key.version.clone(),
            purl: self.key.purl.clone(),
            checksum: None,
            install_script: None,
            location: crate::finding::Location { path: "inventory".to_owned(), line: None, end_line: None },
            compiled: None,
        }
    }
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

    /// The components that are one of `package_ids`, with their revisions and, when `paths`,
    /// their paths from the root (else every path is empty), sorted by project, revision
    /// (newest first), package.
    fn holdings(
        &mut self,
        package_ids: &[i64],
        revisions: Revisions,
        paths: bool,
    ) -> Result<Vec<Holding>, InventoryError>;

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
    /// A query that cannot be answered as asked (a version the ecosystem's rules cannot read).
    #[error("{0}")]
    Query(String),
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
    /// `--database VALUE` (or `CHAINWARD_DATABASE_URL`): a `postgres://`/`postgresql://` URL or
    /// libpq's `key=value` form (`host=db user=ci dbname=inventory`), a `sqlite:PATH` URL, or a
    /// path. Anything else that looks like a URL (`postgress://…`, `mysql://…`) or is empty is an
    /// error: a mistyped URL must not quietly become a local file that nobody reads.
    pub fn parse(value: &str) -> Result<Location, String> {
        let trimmed = value.trim();
        if trimmed.is_empty() {
            return Err("the inventory database is empty: give a PostgreSQL URL or a SQLite path".to_owned());
        }
        if let Some(scheme_end) = trimmed.find("://") {
            let scheme = trimmed.get(..scheme_end).unwrap_or_default().to_ascii_lowercase();
            return match scheme.as_str() {
                "postgres" | "postgresql" => Ok(Location::Postgres(trimmed.to_owned())),
                "sqlite" => Ok(Location::Sqlite(PathBuf::from(trimmed.get(scheme_end + 3..).unwrap_or_default()))),
                _ => Err(format!(
                    "`{}`: an unknown database URL scheme (use postgres://, postgresql:// or a SQLite path)",
                    crate::sanitize::value(&redact(trimmed))
                )),
            };
        }
        if let Some(path) = trimmed.strip_prefix("sqlite:") {
            return Ok(Location::Sqlite(PathBuf::from(path)));
        }
        if is_keyword_form(trimmed) {
            return Ok(Location::Postgres(trimmed.to_owned()));
        }
        Ok(Location::Sqlite(PathBuf::from(value)))
    }

    /// The location for messages: the path, or the URL without its password.
    pub fn display(&self) -> String {
        match self {
            Location::Sqlite(path) => format!("`{}`", crate::sanitize::value(&path.display().to_string())),
            Location::Postgres(url) => format!("`{}`", crate::sanitize::value(&redact(url))),
        }
    }
}

/// libpq's `key=value` connection string: words `key=value` separated by spaces, with at least
/// one of the keys a connection string has.
fn is_keyword_form(s: &str) -> bool {
    const KEYS: [&str; 6] = ["host", "hostaddr", "port", "dbname", "user", "password"];
    s.split_whitespace().any(|word| word.split_once('=').is_some_and(|(k, _)| KEYS.contains(&k.trim())))
}

/// A connection string without its password: `postgres://user:***@host/db` (everything up to
/// the last `@` is user information, so a password with `/`, `?` or `#` in it is hidden too), and
/// `password=***` in a query or libpq's `key=value` form.
pub fn redact(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    let rest = match url.find("://") {
        Some(scheme_end) => {
            out.push_str(url.get(..scheme_end + 3).unwrap_or_default());
            let rest = url.get(scheme_end + 3..).unwrap_or_default();
            match rest.rfind('@') {
                Some(at) => {
                    let userinfo = rest.get(..at).unwrap_or_default();
                    match userinfo.find(':') {
                        Some(colon) => {
                            out.push_str(userinfo.get(..colon).unwrap_or_default());
                            out.push_str(":***");
                        }
                        None => out.push_str(userinfo),
                    }
                    rest.get(at..).unwrap_or_default()
                }
                None => rest,
            }
        }
        None => url,
    };
    // `password=VALUE` (a query parameter, or a word of the key=value form; a quoted value may
    // hold spaces).
    let lower = rest.to_ascii_lowercase();
    let mut at = 0;
    while let Some(found) = lower.get(at..).and_then(|l| l.find("password")) {
        let start = at + found;
        let after_key = rest.get(start + "password".len()..).unwrap_or_default();
        let trimmed = after_key.trim_start();
        let boundary = start == 0 || rest.get(..start).is_some_and(|b| b.ends_with(['?', '&', ' ', '\t']));
        if boundary && let Some(value) = trimmed.strip_prefix('=') {
            let value = value.trim_start();
            let value_start = rest.len() - value.len();
            let value_end = if value.starts_with('\'') {
                value.get(1..).and_then(|v| v.find('\'')).map_or(rest.len(), |i| value_start + i + 2)
            } else {
                value.find(['&', ' ', '\t', '#']).map_or(rest.len(), |i| value_start + i)
            };
            out.push_str(rest.get(at..value_start).unwrap_or_default());
            out.push_str("***");
            at = value_end;
        } else {
            out.push_str(rest.get(at..start + "password".len()).unwrap_or_default());
            at = start + "password".len();
        }
    }
    out.push_str(rest.get(at..).unwrap_or_default());
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
        assert_eq!(redact("postgres://u:S3CRET/x@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u:pa?ss#w@127.0.0.1:1/db"), "postgres://u:***@127.0.0.1:1/db");
        assert_eq!(redact("host=db user=ci password=S3CRET dbname=inv"), "host=db user=ci password=*** dbname=inv");
        assert_eq!(redact("host=db password = 'a b c' dbname=inv"), "host=db password = *** dbname=inv");
        assert_eq!(
            redact("postgres://h/db?sslmode=require&password=x&user=u"),
            "postgres://h/db?sslmode=require&password=***&user=u"
        );
        assert_eq!(redact("postgres://h/mypasswordstore"), "postgres://h/mypasswordstore");
        let parse = |s: &str| Location::parse(s);
        assert_eq!(parse("postgres://h/x"), Ok(Location::Postgres("postgres://h/x".to_owned())));
        assert_eq!(parse("PostgreSQL://h/x"), Ok(Location::Postgres("PostgreSQL://h/x".to_owned())));
        assert_eq!(parse("sqlite:/tmp/x.db"), Ok(Location::Sqlite(PathBuf::from("/tmp/x.db"))));
        assert_eq!(parse("sqlite:///tmp/x.db"), Ok(Location::Sqlite(PathBuf::from("/tmp/x.db"))));
        assert_eq!(parse("inv.db"), Ok(Location::Sqlite(PathBuf::from("inv.db"))));
        assert_eq!(
            parse("host=db user=ci dbname=inv"),
            Ok(Location::Postgres("host=db user=ci dbname=inv".to_owned()))
        );
        assert!(parse("").is_err() && parse("  ").is_err());
        let typo = parse("postgress://ci:S3CRET@db/inv").unwrap_err();
        assert!(typo.contains("unknown database URL scheme") && !typo.contains("S3CRET"), "{typo}");
    }

    #[test]
    fn stored_paths_round_trip() {
        for v in [0i64, 1, -1, 63, -64, 64, 300, -300, i64::MAX, i64::MIN, 123_456_789] {
            let mut b = Vec::new();
            push_varint(&mut b, v);
            assert_eq!(decode_path(&b), Some(vec![v]));
        }
        assert_eq!(decode_path(&[0x80]), None);
        assert_eq!(decode_path(&[0xff; 11]), None);
        // root(0) -> 1 (package 7) -> 2 (not a package) -> 3; 4 unreachable.
        let parents = [None, Some(0), Some(1), Some(2), None];
        let elements = [0, 7, -2, 9, 11];
        let paths: Vec<Option<Vec<i64>>> =
            encoded_paths(&parents, &elements).into_iter().map(|p| p.and_then(|b| decode_path(&b))).collect();
        assert_eq!(paths, vec![Some(vec![]), Some(vec![0]), Some(vec![0, 7]), Some(vec![0, 7, -2]), None]);
        // Deeper than MAX_STORED_DEPTH: not stored.
        let n = MAX_STORED_DEPTH + 3;
        let parents: Vec<Option<u32>> = (0..n).map(|i| i.checked_sub(1).map(|p| u32::try_from(p).unwrap())).collect();
        let paths = encoded_paths(&parents, &vec![1; n]);
        assert!(paths[MAX_STORED_DEPTH].is_some() && paths[MAX_STORED_DEPTH + 1].is_none());
        // Parents listed after their children, and a cycle of parents (never produced, but
        // bounded) stays unstored.
        let parents = [None, Some(2), Some(0), Some(4), Some(3)];
        let paths = encoded_paths(&parents, &[0, 1, 2, 3, 4]);
        assert_eq!(paths[1].as_deref().and_then(decode_path), Some(vec![0, 2]));
        assert!(paths[3].is_none() && paths[4].is_none());
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
