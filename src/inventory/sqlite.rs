//! The SQLite engine: one file (`rusqlite` with the bundled SQLite, so nothing needs
//! installing). Write-ahead logging lets readers run while one `add` writes; every write
//! transaction starts `IMMEDIATE`, so a second `add` waits for the first (up to the busy
//! timeout) instead of failing on a stale snapshot. WAL does not work on network filesystems:
//! a shared inventory belongs on PostgreSQL.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};

use super::schema::{self, Backfill};
use super::{
    AddOutcome, Holding, InventoryError, PackageKey, ProjectSummary, RevisionRef, RevisionSummary, Revisions, Snapshot,
    Store, StoredPackage,
};
use crate::model::Ecosystem;

/// How long a write waits for another writer before failing ("database is locked").
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(60);

/// An open SQLite inventory.
pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
}

impl SqliteStore {
    /// Open (creating it when missing) the database at `path`, migrated to the newest schema.
    pub fn open(path: &Path) -> Result<SqliteStore, InventoryError> {
        SqliteStore::open_at(path, schema::VERSION)
    }

    /// Open the database at `path`, migrated to `version` (tests build older schemas with it).
    #[doc(hidden)]
    pub fn open_at(path: &Path, version: u32) -> Result<SqliteStore, InventoryError> {
        let location = super::Location::Sqlite(path.to_path_buf()).display();
        let open_err = |message: String| InventoryError::Open { location: location.clone(), message };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| open_err(format!("cannot create its directory: {e}")))?;
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| open_err(e.to_string()))?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(|e| open_err(e.to_string()))?;
        let mut store = SqliteStore { conn, path: path.to_path_buf() };
        store.configure().map_err(|e| open_err(e.to_string()))?;
        store.migrate(version)?;
        Ok(store)
    }

    /// How long a write waits for another writer (default [`BUSY_TIMEOUT`]).
    pub fn set_busy_timeout(&mut self, timeout: Duration) -> Result<(), InventoryError> {
        self.conn.busy_timeout(timeout).map_err(|e| self.err(&e))
    }

    fn configure(&mut self) -> rusqlite::Result<()> {
        // Switching the journal mode needs the write lock and does not wait for it (the busy
        // handler is not called): when other processes open a new database at the same moment,
        // try again until the busy timeout.
        let started = std::time::Instant::now();
        loop {
            match self.switch_to_wal() {
                Err(rusqlite::Error::SqliteFailure(code, _))
                    if matches!(code.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
                        && started.elapsed() < BUSY_TIMEOUT =>
                {
                    std::thread::sleep(Duration::from_millis(20));
                }
                other => break other?,
            }
        }
        // A 64 MiB page cache and checkpoints every 64 MiB of log: an `add` touches pages of the
        // by-package index all over the file, and fewer, larger checkpoints write each once.
        self.conn.execute_batch(
            "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = OFF;
             PRAGMA cache_size = -65536; PRAGMA wal_autocheckpoint = 16384;",
        )?;
        Ok(())
    }

    fn is_wal(&self) -> rusqlite::Result<bool> {
        // Not a database (a text file named inventory.db): fails here, before anything is written.
        let mode: String = self.conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
        Ok(mode.eq_ignore_ascii_case("wal"))
    }

    fn switch_to_wal(&self) -> rusqlite::Result<()> {
        if !self.is_wal()? {
            // Persistent: only the first open of a database does it.
            let _: String = self.conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        }
        Ok(())
    }

    fn location(&self) -> String {
        super::Location::Sqlite(self.path.clone()).display()
    }

    fn err(&self, e: &rusqlite::Error) -> InventoryError {
        InventoryError::Database { location: self.location(), message: describe(e) }
    }

    fn current_version(conn: &Connection) -> rusqlite::Result<u32> {
        let exists: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'chainward_schema')",
            [],
            |r| r.get(0),
        )?;
        if !exists {
            return Ok(0);
        }
        let v: Option<i64> = conn.query_row("SELECT max(version) FROM chainward_schema", [], |r| r.get(0))?;
        Ok(v.and_then(|v| u32::try_from(v).ok()).unwrap_or(0))
    }

    fn migrate(&mut self, target: u32) -> Result<(), InventoryError> {
        let current = SqliteStore::current_version(&self.conn).map_err(|e| self.err(&e))?;
        if current > schema::VERSION {
            return Err(InventoryError::TooNew { location: self.location(), found: current, known: schema::VERSION });
        }
        if current >= target {
            return Ok(());
        }
        let location = self.location();
        let err = |e: rusqlite::Error| InventoryError::Database { location: location.clone(), message: describe(&e) };
        // Under the write lock, read again: another process may have migrated meanwhile.
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(err)?;
        let current = SqliteStore::current_version(&tx).map_err(err)?;
        if current > schema::VERSION {
            return Err(InventoryError::TooNew { location, found: current, known: schema::VERSION });
        }
        tx.execute_batch(schema::VERSION_TABLE).map_err(err)?;
        for m in schema::pending(current, target) {
            tx.execute_batch(m.sqlite).map_err(err)?;
            if let Some(backfill) = m.backfill {
                run_backfill(&tx, backfill).map_err(err)?;
            }
            tx.execute("DELETE FROM chainward_schema", []).map_err(err)?;
            tx.execute("INSERT INTO chainward_schema (version) VALUES (?1)", [m.version]).map_err(err)?;
        }
        tx.commit().map_err(err)
    }
}

fn run_backfill(tx: &rusqlite::Transaction<'_>, backfill: Backfill) -> rusqlite::Result<()> {
    match backfill {
        Backfill::PackageNorm => {
            let rows: Vec<(i64, String, String)> = tx
                .prepare("SELECT id, ecosystem, name FROM package")?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<rusqlite::Result<_>>()?;
            let mut update = tx.prepare("UPDATE package SET norm = ?2 WHERE id = ?1")?;
            for (id, ecosystem, name) in rows {
                update.execute(params![id, schema::norm(&ecosystem, &name)])?;
            }
            Ok(())
        }
    }
}

/// An error's message, with the cause SQLite gives.
fn describe(e: &rusqlite::Error) -> String {
    match e {
        rusqlite::Error::SqliteFailure(code, _) if code.code == rusqlite::ErrorCode::DatabaseBusy => {
            format!("{e} (another chainward is writing to it; waited {} s)", BUSY_TIMEOUT.as_secs())
        }
        _ => e.to_string(),
    }
}

fn package_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<super::PackageRow> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
}

/// A revision's summary from the row's columns `at..at + 6` (`rev`, `added_at`, `source`, `has_graph`,
/// components, packages).
fn summary_row(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<RevisionSummary> {
    Ok(RevisionSummary {
        revision: r.get(at)?,
        added_at: r.get(at + 1)?,
        source: r.get(at + 2)?,
        has_graph: r.get(at + 3)?,
        components: u64::try_from(r.get::<_, i64>(at + 4)?).unwrap_or(0),
        packages: u64::try_from(r.get::<_, i64>(at + 5)?).unwrap_or(0),
    })
}

impl Store for SqliteStore {
    fn engine(&self) -> &'static str {
        "sqlite"
    }

    fn schema_version(&mut self) -> Result<u32, InventoryError> {
        SqliteStore::current_version(&self.conn).map_err(|e| self.err(&e))
    }

    fn add(&mut self, snapshot: &Snapshot, keep: Option<usize>, now: &str) -> Result<AddOutcome, InventoryError> {
        let parents = snapshot.parents();
        let location = self.location();
        let err = |e: rusqlite::Error| InventoryError::Database { location: location.clone(), message: describe(&e) };
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(err)?;
        let mut outcome = AddOutcome::default();
        tx.execute("INSERT INTO project (name) VALUES (?1) ON CONFLICT (name) DO NOTHING", [&snapshot.project])
            .map_err(err)?;
        let project_id: i64 =
            tx.query_row("SELECT id FROM project WHERE name = ?1", [&snapshot.project], |r| r.get(0)).map_err(err)?;
        let existing: Option<i64> = tx
            .query_row(
                "SELECT id FROM revision WHERE project_id = ?1 AND rev = ?2",
                params![project_id, snapshot.revision],
                |r| r.get(0),
            )
            .optional()
            .map_err(err)?;
        let packages = snapshot.components.iter().filter(|c| c.package.is_some()).count();
        let (n_components, n_packages) =
            (i64::try_from(snapshot.components.len()).unwrap_or(i64::MAX), i64::try_from(packages).unwrap_or(i64::MAX));
        // Replacing keeps the revision's row (its place among the project's revisions and when
        // it was first added): re-running an old commit's job must not make it the newest.
        let revision_id = if let Some(id) = existing {
            tx.execute("DELETE FROM edge WHERE revision_id = ?1", [id]).map_err(err)?;
            tx.execute("DELETE FROM component WHERE revision_id = ?1", [id]).map_err(err)?;
            tx.execute(
                "UPDATE revision SET source = ?2, has_graph = ?3, components = ?4, packages = ?5 WHERE id = ?1",
                params![id, snapshot.source, snapshot.has_graph, n_components, n_packages],
            )
            .map_err(err)?;
            outcome.replaced = true;
            id
        } else {
            tx.execute(
                "INSERT INTO revision (project_id, rev, added_at, source, has_graph, components, packages)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    project_id,
                    snapshot.revision,
                    now,
                    snapshot.source,
                    snapshot.has_graph,
                    n_components,
                    n_packages
                ],
            )
            .map_err(err)?;
            tx.last_insert_rowid()
        };
        {
            let mut find = tx
                .prepare_cached("SELECT id, purl FROM package WHERE ecosystem = ?1 AND name = ?2 AND version = ?3")
                .map_err(err)?;
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO package (ecosystem, name, version, purl, norm) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
                )
                .map_err(err)?;
            let mut component = tx
                .prepare_cached(
                    "INSERT INTO component (revision_id, idx, package_id, bom_ref, parent, scope, path)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .map_err(err)?;
            // Each package's id and the purl its row holds (the first project's spelling).
            let mut ids: HashMap<&PackageKey, (i64, Option<String>)> = HashMap::new();
            // First each component's package id and whether its bom-ref is that row's purl,
            // then the paths (a parent may come after its child), then the rows.
            let mut rows: Vec<(Option<i64>, bool)> = Vec::with_capacity(snapshot.components.len());
            for c in &snapshot.components {
                let stored = match &c.package {
                    None => None,
                    Some(key) => Some(if let Some(known) = ids.get(key) {
                        known.clone()
                    } else {
                        let eco = key.ecosystem.as_str();
                        let found = find
                            .query_row(params![eco, key.name, key.version], |r| {
                                Ok((r.get::<_, i64>(0)?, r.get::<_, Option<String>>(1)?))
                            })
                            .optional()
                            .map_err(err)?;
                        let known = if let Some(known) = found {
                            known
                        } else {
                            let norm = key.ecosystem.normalize_name(&key.name);
                            let id = insert
                                .query_row(params![eco, key.name, key.version, key.purl, norm], |r| r.get(0))
                                .map_err(err)?;
                            (id, key.purl.clone())
                        };
                        ids.insert(key, known.clone());
                        known
                    }),
                };
                // Most bom-refs are the package's purl: stored once, in `package`, when that row
                // spells it the same way.
                let elided = matches!(&stored, Some((_, Some(purl))) if *purl == c.bom_ref);
                rows.push((stored.map(|(id, _)| id), elided));
            }
            let elements: Vec<i64> =
                rows.iter().enumerate().map(|(i, &(id, elided))| super::path_element(i, id, elided)).collect();
            let paths = if snapshot.has_graph { super::encoded_paths(&parents, &elements) } else { Vec::new() };
            for (idx, (c, &(package_id, elided))) in snapshot.components.iter().zip(&rows).enumerate() {
                component
                    .execute(params![
                        revision_id,
                        i64::try_from(idx).unwrap_or(i64::MAX),
                        package_id,
                        (!elided).then_some(c.bom_ref.as_str()),
                        parents.get(idx).copied().flatten(),
                        c.scope,
                        paths.get(idx).and_then(Option::as_deref),
                    ])
                    .map_err(err)?;
            }
            let mut edge =
                tx.prepare_cached("INSERT INTO edge (revision_id, src, dst) VALUES (?1, ?2, ?3)").map_err(err)?;
            for &(from, to) in &snapshot.edges {
                edge.execute(params![revision_id, from, to]).map_err(err)?;
            }
        }
        if let Some(keep) = keep {
            let old: Vec<(i64, String)> = tx
                .prepare("SELECT id, rev FROM revision WHERE project_id = ?1 ORDER BY id DESC LIMIT -1 OFFSET ?2")
                .map_err(err)?
                .query_map(params![project_id, i64::try_from(keep).unwrap_or(i64::MAX)], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(err)?
                .collect::<rusqlite::Result<_>>()
                .map_err(err)?;
            for (id, rev) in old {
                delete_revision(&tx, id).map_err(err)?;
                outcome.pruned.push(rev);
            }
        }
        tx.commit().map_err(err)?;
        Ok(outcome)
    }

    fn packages_named(
        &mut self,
        names: &[String],
        ecosystem: Option<Ecosystem>,
    ) -> Result<Vec<StoredPackage>, InventoryError> {
        let location = self.location();
        let err = |e: rusqlite::Error| InventoryError::Database { location: location.clone(), message: describe(&e) };
        let mut out = Vec::new();
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, ecosystem, name, version, purl FROM package WHERE norm = ?1 AND (?2 IS NULL OR ecosystem = ?2)",
            )
            .map_err(err)?;
        for name in names {
            let rows: Vec<_> = stmt
                .query_map(params![name, ecosystem.map(Ecosystem::as_str)], package_row)
                .map_err(err)?
                .collect::<rusqlite::Result<_>>()
                .map_err(err)?;
            for row in rows {
                out.push(StoredPackage::from_row(&location, row)?);
            }
        }
        Ok(out)
    }

    fn packages(&mut self) -> Result<Vec<StoredPackage>, InventoryError> {
        let location = self.location();
        let err = |e: rusqlite::Error| InventoryError::Database { location: location.clone(), message: describe(&e) };
        let rows: Vec<_> = self
            .conn
            .prepare(
                "SELECT id, ecosystem, name, version, purl FROM package p
                 WHERE EXISTS (SELECT 1 FROM component c WHERE c.package_id = p.id) ORDER BY id",
            )
            .map_err(err)?
            .query_map([], package_row)
            .map_err(err)?
            .collect::<rusqlite::Result<_>>()
            .map_err(err)?;
        rows.into_iter().map(|row| StoredPackage::from_row(&location, row)).collect()
    }

    fn holdings(
        &mut self,
        package_ids: &[i64],
        revisions: Revisions,
        paths: bool,
    ) -> Result<Vec<Holding>, InventoryError> {
        let location = self.location();
        let err = |e: rusqlite::Error| InventoryError::Database { location: location.clone(), message: describe(&e) };
        // Without paths, none of the path columns (and none of their joins).
        let sql = if paths {
            "SELECT r.id, p.name, r.rev, c.idx, r.has_graph, c.path, coalesce(c.bom_ref, k.purl, ''),
                    coalesce(r0.bom_ref, k0.purl, '')
             FROM component c
             JOIN revision r ON r.id = c.revision_id JOIN project p ON p.id = r.project_id
             LEFT JOIN package k ON k.id = c.package_id
             LEFT JOIN component r0 ON r0.revision_id = c.revision_id AND r0.idx = 0
             LEFT JOIN package k0 ON k0.id = r0.package_id
             WHERE c.package_id = ?1
               AND (?2 = 0 OR r.id = (SELECT max(id) FROM revision WHERE project_id = r.project_id))"
        } else {
            "SELECT r.id, p.name, r.rev, c.idx, r.has_graph, NULL, '', ''
             FROM component c
             JOIN revision r ON r.id = c.revision_id JOIN project p ON p.id = r.project_id
             WHERE c.package_id = ?1
               AND (?2 = 0 OR r.id = (SELECT max(id) FROM revision WHERE project_id = r.project_id))"
        };
        let mut hits = self.conn.prepare_cached(sql).map_err(err)?;
        let mut step = self
            .conn
            .prepare_cached(
                "SELECT c.parent, coalesce(c.bom_ref, k.purl, '') FROM component c
                 LEFT JOIN package k ON k.id = c.package_id WHERE c.revision_id = ?1 AND c.idx = ?2",
            )
            .map_err(err)?;
        let mut out = Vec::new();
        let mut purl_of = self.conn.prepare_cached("SELECT purl FROM package WHERE id = ?1").map_err(err)?;
        let mut purls: HashMap<i64, String> = HashMap::new();
        // Steps already read (the root of a revision, a parent shared by several hits).
        let mut known: HashMap<(i64, i64), (Option<i64>, String)> = HashMap::new();
        for &package_id in package_ids {
            let rows: Vec<Hit> = hits
                .query_map(params![package_id, i64::from(revisions == Revisions::Latest)], |r| {
                    Ok(Hit {
                        revision_id: r.get(0)?,
                        project: r.get(1)?,
                        rev: r.get(2)?,
                        idx: r.get(3)?,
                        has_graph: r.get(4)?,
                        path: r.get(5)?,
                        own: r.get(6)?,
                        root: r.get(7)?,
                    })
                })
                .map_err(err)?
                .collect::<rusqlite::Result<_>>()
                .map_err(err)?;
            for Hit { revision_id, project, rev, idx, has_graph, path: stored, own, root } in rows {
                let idx = u32::try_from(idx).map_err(|_| InventoryError::Corrupt {
                    location: location.clone(),
                    message: format!("component index {idx} out of range"),
                })?;
                let mut path = Vec::new();
                let elements = stored.as_deref().and_then(super::decode_path).filter(|_| has_graph && paths);
                if let Some(elements) = elements {
                    // The stored path: package ids and component indices, root first.
                    for e in elements {
                        let text = match e.cmp(&0) {
                            std::cmp::Ordering::Equal => root.clone(),
                            std::cmp::Ordering::Greater => {
                                if let Some(purl) = purls.get(&e) {
                                    purl.clone()
                                } else {
                                    let purl: Option<String> =
                                        purl_of.query_row([e], |r| r.get(0)).optional().map_err(err)?.flatten();
                                    let purl = purl.unwrap_or_default();
                                    purls.insert(e, purl.clone());
                                    purl
                                }
                            }
                            std::cmp::Ordering::Less => {
                                let at = e.checked_neg().unwrap_or(i64::MAX);
                                step.query_row(params![revision_id, at], |r| r.get::<_, String>(1))
                                    .optional()
                                    .map_err(err)?
                                    .unwrap_or_default()
                            }
                        };
                        path.push(text);
                    }
                    path.push(own);
                } else if has_graph && paths {
                    // Follow the parents to the root; at most one step per component.
                    let mut at = Some(i64::from(idx));
                    let mut reached_root = false;
                    let mut steps = 0usize;
                    while let Some(i) = at {
                        steps += 1;
                        if steps > 1_000_000 {
                            break;
                        }
                        let (parent, bom_ref) = if let Some(k) = known.get(&(revision_id, i)) {
                            k.clone()
                        } else {
                            let Some(k) = step
                                .query_row(params![revision_id, i], |r| {
                                    Ok((r.get::<_, Option<i64>>(0)?, r.get::<_, String>(1)?))
                                })
                                .optional()
                                .map_err(err)?
                            else {
                                break;
                            };
                            known.insert((revision_id, i), k.clone());
                            k
                        };
                        path.push(bom_ref);
                        reached_root = i == 0;
                        at = parent;
                    }
                    if reached_root {
                        path.reverse();
                    } else {
                        path.clear();
                    }
                }
                out.push(Holding {
                    package_id,
                    revision: RevisionRef { id: revision_id, project, revision: rev },
                    idx,
                    path,
                });
            }
        }
        super::query::sort_holdings(&mut out);
        Ok(out)
    }

    fn projects(&mut self) -> Result<Vec<ProjectSummary>, InventoryError> {
        let location = self.location();
        let err = |e: rusqlite::Error| InventoryError::Database { location: location.clone(), message: describe(&e) };
        let mut stmt = self.conn.prepare(super::PROJECTS_SQL).map_err(err)?;
        let rows = stmt
            .query_map([], |r| {
                Ok(ProjectSummary {
                    project: r.get(0)?,
                    revisions: u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
                    latest: Some(summary_row(r, 2)?),
                })
            })
            .map_err(err)?
            .collect::<rusqlite::Result<_>>()
            .map_err(err)?;
        Ok(rows)
    }

    fn show(&mut self, project: &str) -> Result<Option<Vec<RevisionSummary>>, InventoryError> {
        let location = self.location();
        let err = |e: rusqlite::Error| InventoryError::Database { location: location.clone(), message: describe(&e) };
        let id: Option<i64> = self
            .conn
            .query_row("SELECT id FROM project WHERE name = ?1", [project], |r| r.get(0))
            .optional()
            .map_err(err)?;
        let Some(id) = id else { return Ok(None) };
        let rows = self
            .conn
            .prepare(
                "SELECT rev, added_at, source, has_graph, components, packages FROM revision
                 WHERE project_id = ?1 ORDER BY id DESC",
            )
            .map_err(err)?
            .query_map([id], |r| summary_row(r, 0))
            .map_err(err)?
            .collect::<rusqlite::Result<_>>()
            .map_err(err)?;
        Ok(Some(rows))
    }
}

/// One component holding a package, as `holdings` reads it.
struct Hit {
    revision_id: i64,
    project: String,
    rev: String,
    idx: i64,
    has_graph: bool,
    /// The stored path up to its parent ([`super::encoded_paths`]), when stored.
    path: Option<Vec<u8>>,
    /// Its own bom-ref.
    own: String,
    /// The revision root's bom-ref.
    root: String,
}

fn delete_revision(tx: &rusqlite::Transaction<'_>, id: i64) -> rusqlite::Result<()> {
    tx.execute("DELETE FROM edge WHERE revision_id = ?1", [id])?;
    tx.execute("DELETE FROM component WHERE revision_id = ?1", [id])?;
    tx.execute("DELETE FROM revision WHERE id = ?1", [id])?;
    Ok(())
}
