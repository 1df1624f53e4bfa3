//! The PostgreSQL engine, for a shared inventory many CI jobs write to (the synchronous
//! `postgres` client; TLS through rustls with the platform's trust store).
//!
//! Concurrency: two `add`s of different projects run side by side; a package both insert is
//! inserted once (`ON CONFLICT DO NOTHING`, keys in one order so they never deadlock); two
//! `add`s of one project are serialized by a row lock on the project. Migrations take a
//! transaction-scoped advisory lock, so two first uses do not both migrate.

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use postgres::binary_copy::BinaryCopyInWriter;
use postgres::config::SslMode;
use postgres::types::{ToSql, Type};
use postgres::{Client, NoTls};

use super::schema::{self, Backfill};
use super::{
    AddOutcome, Holding, InventoryError, PackageKey, ProjectSummary, RevisionRef, RevisionSummary, Revisions, Snapshot,
    Store, StoredPackage,
};
use crate::model::Ecosystem;

/// The advisory lock key migrations take (`chainwar` in ASCII).
const MIGRATION_LOCK: i64 = 0x6368_6169_6e77_6172;

/// One hit's walk to the root: (depth, component index, bom-ref) per step.
type Steps = Vec<(i32, i32, String)>;

/// A connected PostgreSQL inventory.
pub struct PostgresStore {
    client: Client,
    location: String,
}

fn describe(e: &postgres::Error) -> String {
    // `Error`'s Display is short ("db error"); the server's message and detail say what.
    if let Some(db) = e.as_db_error() {
        let mut s = format!("{}: {}", db.severity(), db.message());
        if let Some(detail) = db.detail() {
            s.push_str(" (");
            s.push_str(detail);
            s.push(')');
        }
        return s;
    }
    let mut s = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        s.push_str(": ");
        s.push_str(&cause.to_string());
        source = cause.source();
    }
    s
}

impl PostgresStore {
    /// Connect to `url` and migrate the database to the newest schema.
    pub fn connect(url: &str) -> Result<PostgresStore, InventoryError> {
        PostgresStore::connect_at(url, schema::VERSION)
    }

    /// Connect to `url`, migrated to `version` (tests build older schemas with it).
    #[doc(hidden)]
    pub fn connect_at(url: &str, version: u32) -> Result<PostgresStore, InventoryError> {
        let location = super::Location::Postgres(url.to_owned()).display();
        let open_err = |message: String| InventoryError::Open { location: location.clone(), message };
        let mut config = postgres::Config::from_str(url).map_err(|e| open_err(format!("invalid URL: {e}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(15));
        }
        let client = if config.get_ssl_mode() == SslMode::Disable {
            config.connect(NoTls)
        } else {
            use rustls_platform_verifier::ConfigVerifierExt as _;
            let tls = rustls::ClientConfig::with_platform_verifier()
                .map_err(|e| open_err(format!("cannot set up TLS: {e}")))?;
            config.connect(tokio_postgres_rustls::MakeRustlsConnect::new(tls))
        }
        .map_err(|e| open_err(describe(&e)))?;
        let mut store = PostgresStore { client, location };
        store.migrate(version)?;
        Ok(store)
    }

    fn err(&self, e: &postgres::Error) -> InventoryError {
        InventoryError::Database { location: self.location.clone(), message: describe(e) }
    }

    fn current_version(client: &mut impl postgres::GenericClient) -> Result<u32, postgres::Error> {
        let exists: bool = client.query_one("SELECT to_regclass('chainward_schema') IS NOT NULL", &[])?.get(0);
        if !exists {
            return Ok(0);
        }
        let v: Option<i32> = client.query_one("SELECT max(version) FROM chainward_schema", &[])?.get(0);
        Ok(v.and_then(|v| u32::try_from(v).ok()).unwrap_or(0))
    }

    fn migrate(&mut self, target: u32) -> Result<(), InventoryError> {
        let current = PostgresStore::current_version(&mut self.client).map_err(|e| self.err(&e))?;
        if current > schema::VERSION {
            return Err(InventoryError::TooNew {
                location: self.location.clone(),
                found: current,
                known: schema::VERSION,
            });
        }
        if current >= target {
            return Ok(());
        }
        let location = self.location.clone();
        let err = |e: postgres::Error| InventoryError::Database { location: location.clone(), message: describe(&e) };
        let mut tx = self.client.transaction().map_err(err)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).map_err(err)?;
        // Read the version again under the lock, from the table itself: this backend's catalog
        // cache may still say the table is missing when another process created it meanwhile
        // (`CREATE TABLE IF NOT EXISTS` looks again).
        tx.batch_execute(schema::VERSION_TABLE).map_err(err)?;
        let current: Option<i32> = tx.query_one("SELECT max(version) FROM chainward_schema", &[]).map_err(err)?.get(0);
        let current = current.and_then(|v| u32::try_from(v).ok()).unwrap_or(0);
        if current > schema::VERSION {
            return Err(InventoryError::TooNew { location, found: current, known: schema::VERSION });
        }
        for m in schema::pending(current, target) {
            tx.batch_execute(m.postgres).map_err(err)?;
            if let Some(backfill) = m.backfill {
                run_backfill(&mut tx, backfill).map_err(err)?;
            }
            tx.execute("DELETE FROM chainward_schema", &[]).map_err(err)?;
            let v = i32::try_from(m.version).unwrap_or(i32::MAX);
            tx.execute("INSERT INTO chainward_schema (version) VALUES ($1)", &[&v]).map_err(err)?;
        }
        tx.commit().map_err(err)
    }
}

fn run_backfill(tx: &mut postgres::Transaction<'_>, backfill: Backfill) -> Result<(), postgres::Error> {
    match backfill {
        Backfill::PackageNorm => {
            let rows = tx.query("SELECT id, ecosystem, name FROM package", &[])?;
            let mut ids = Vec::with_capacity(rows.len());
            let mut norms = Vec::with_capacity(rows.len());
            for row in rows {
                let (id, ecosystem, name): (i64, String, String) = (row.get(0), row.get(1), row.get(2));
                ids.push(id);
                norms.push(schema::norm(&ecosystem, &name));
            }
            tx.execute(
                "UPDATE package SET norm = u.norm FROM unnest($1::bigint[], $2::text[]) AS u(id, norm) WHERE package.id = u.id",
                &[&ids, &norms],
            )?;
            Ok(())
        }
    }
}

fn to_stored(location: &str, row: &postgres::Row) -> Result<StoredPackage, InventoryError> {
    StoredPackage::from_row(location, (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4)))
}

fn summary(row: &postgres::Row, at: usize) -> RevisionSummary {
    RevisionSummary {
        revision: row.get(at),
        added_at: row.get(at + 1),
        source: row.get(at + 2),
        has_graph: row.get(at + 3),
        components: u64::try_from(row.get::<_, i64>(at + 4)).unwrap_or(0),
        packages: u64::try_from(row.get::<_, i64>(at + 5)).unwrap_or(0),
    }
}

fn to_i32(v: usize) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

impl Store for PostgresStore {
    fn engine(&self) -> &'static str {
        "postgres"
    }

    fn schema_version(&mut self) -> Result<u32, InventoryError> {
        PostgresStore::current_version(&mut self.client).map_err(|e| self.err(&e))
    }

    fn add(&mut self, snapshot: &Snapshot, keep: Option<usize>, now: &str) -> Result<AddOutcome, InventoryError> {
        let parents = snapshot.parents();
        let location = self.location.clone();
        let err = |e: postgres::Error| InventoryError::Database { location: location.clone(), message: describe(&e) };
        let mut tx = self.client.transaction().map_err(err)?;
        let mut outcome = AddOutcome::default();
        tx.execute("INSERT INTO project (name) VALUES ($1) ON CONFLICT (name) DO NOTHING", &[&snapshot.project])
            .map_err(err)?;
        // Locks the project: a second `add` of it waits here until this one commits.
        let project_id: i64 = tx
            .query_one("SELECT id FROM project WHERE name = $1 FOR UPDATE", &[&snapshot.project])
            .map_err(err)?
            .get(0);
        let existing = tx
            .query_opt("SELECT id FROM revision WHERE project_id = $1 AND rev = $2", &[&project_id, &snapshot.revision])
            .map_err(err)?;
        let packages = snapshot.components.iter().filter(|c| c.package.is_some()).count();
        let components = i64::try_from(snapshot.components.len()).unwrap_or(i64::MAX);
        let packages = i64::try_from(packages).unwrap_or(i64::MAX);
        // Replacing keeps the revision's row (its place among the project's revisions and when
        // it was first added): re-running an old commit's job must not make it the newest.
        let revision_id: i64 = if let Some(row) = existing {
            let id: i64 = row.get(0);
            tx.execute("DELETE FROM edge WHERE revision_id = $1", &[&id]).map_err(err)?;
            tx.execute("DELETE FROM component WHERE revision_id = $1", &[&id]).map_err(err)?;
            tx.execute(
                "UPDATE revision SET source = $2, has_graph = $3, components = $4, packages = $5 WHERE id = $1",
                &[&id, &snapshot.source, &snapshot.has_graph, &components, &packages],
            )
            .map_err(err)?;
            outcome.replaced = true;
            id
        } else {
            tx.query_one(
                "INSERT INTO revision (project_id, rev, added_at, source, has_graph, components, packages)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                &[&project_id, &snapshot.revision, &now, &snapshot.source, &snapshot.has_graph, &components, &packages],
            )
            .map_err(err)?
            .get(0)
        };

        // Packages: every distinct key, in one order (no deadlock between concurrent adds).
        let mut keys: Vec<&PackageKey> = snapshot.components.iter().filter_map(|c| c.package.as_ref()).collect();
        keys.sort_by(|a, b| {
            (a.ecosystem.as_str(), &a.name, &a.version).cmp(&(b.ecosystem.as_str(), &b.name, &b.version))
        });
        keys.dedup_by(|a, b| a.ecosystem == b.ecosystem && a.name == b.name && a.version == b.version);
        let ecosystems: Vec<&str> = keys.iter().map(|k| k.ecosystem.as_str()).collect();
        let names: Vec<&str> = keys.iter().map(|k| k.name.as_str()).collect();
        let versions: Vec<&str> = keys.iter().map(|k| k.version.as_str()).collect();
        let purls: Vec<Option<&str>> = keys.iter().map(|k| k.purl.as_deref()).collect();
        let norms: Vec<String> = keys.iter().map(|k| k.ecosystem.normalize_name(&k.name)).collect();
        // Most packages are stored already: look them up first, insert only the others (an
        // upsert of every package costs a conflict check and a row lock each), and look up again
        // what a concurrent add inserted meanwhile.
        let mut ids: HashMap<(&str, &str, &str), (i64, Option<String>)> = HashMap::with_capacity(keys.len());
        let all: Vec<usize> = (0..keys.len()).collect();
        for (i, id, purl) in select_packages(&mut tx, &all, &ecosystems, &names, &versions).map_err(err)? {
            if let (Some(e), Some(n), Some(v)) = (ecosystems.get(i), names.get(i), versions.get(i)) {
                ids.insert((e, n, v), (id, purl));
            }
        }
        let missing: Vec<usize> = (0..keys.len())
            .filter(|&i| match (ecosystems.get(i), names.get(i), versions.get(i)) {
                (Some(e), Some(n), Some(v)) => !ids.contains_key(&(*e, *n, *v)),
                _ => false,
            })
            .collect();
        if !missing.is_empty() {
            let pick = |v: &[&str]| -> Vec<String> {
                missing.iter().filter_map(|&i| v.get(i)).map(|s| (*s).to_owned()).collect()
            };
            let m_purls: Vec<Option<&str>> = missing.iter().map(|&i| purls.get(i).copied().flatten()).collect();
            let m_norms: Vec<&str> = missing.iter().filter_map(|&i| norms.get(i)).map(String::as_str).collect();
            tx.execute(
                "INSERT INTO package (ecosystem, name, version, purl, norm)
                 SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
                 ON CONFLICT (ecosystem, name, version) DO NOTHING",
                &[&pick(&ecosystems), &pick(&names), &pick(&versions), &m_purls, &m_norms],
            )
            .map_err(err)?;
            for (i, id, purl) in select_packages(&mut tx, &missing, &ecosystems, &names, &versions).map_err(err)? {
                if let (Some(e), Some(n), Some(v)) = (ecosystems.get(i), names.get(i), versions.get(i)) {
                    ids.insert((e, n, v), (id, purl));
                }
            }
        }

        {
            // Each component's package id and whether its bom-ref is that row's purl, then the
            // stored paths (a parent may come after its child).
            let rows: Vec<(Option<i64>, bool)> = snapshot
                .components
                .iter()
                .map(|c| {
                    let stored = c
                        .package
                        .as_ref()
                        .and_then(|k| ids.get(&(k.ecosystem.as_str(), k.name.as_str(), k.version.as_str())));
                    // Most bom-refs are the package's purl: stored once, in `package`, when that
                    // row spells it the same way.
                    let elided = matches!(stored, Some((_, Some(purl))) if *purl == c.bom_ref);
                    (stored.map(|s| s.0), elided)
                })
                .collect();
            let elements: Vec<i64> =
                rows.iter().enumerate().map(|(i, &(id, elided))| super::path_element(i, id, elided)).collect();
            let paths = if snapshot.has_graph { super::encoded_paths(&parents, &elements) } else { Vec::new() };
            let sink = tx
                .copy_in(
                    "COPY component (revision_id, idx, package_id, bom_ref, parent, scope, path) FROM STDIN BINARY",
                )
                .map_err(err)?;
            let mut writer = BinaryCopyInWriter::new(
                sink,
                &[Type::INT8, Type::INT4, Type::INT8, Type::TEXT, Type::INT4, Type::TEXT, Type::BYTEA],
            );
            for (idx, (c, &(package_id, elided))) in snapshot.components.iter().zip(&rows).enumerate() {
                let bom_ref: Option<&str> = (!elided).then_some(c.bom_ref.as_str());
                let parent: Option<i32> =
                    parents.get(idx).copied().flatten().map(|p| i32::try_from(p).unwrap_or(i32::MAX));
                let path: Option<&[u8]> = paths.get(idx).and_then(Option::as_deref);
                let idx = to_i32(idx);
                let scope = c.scope.as_deref();
                let row: [&(dyn ToSql + Sync); 7] = [&revision_id, &idx, &package_id, &bom_ref, &parent, &scope, &path];
                writer.write(&row).map_err(err)?;
            }
            writer.finish().map_err(err)?;
        }
        {
            let sink = tx.copy_in("COPY edge (revision_id, src, dst) FROM STDIN BINARY").map_err(err)?;
            let mut writer = BinaryCopyInWriter::new(sink, &[Type::INT8, Type::INT4, Type::INT4]);
            for &(from, to) in &snapshot.edges {
                let (from, to) = (i32::try_from(from).unwrap_or(i32::MAX), i32::try_from(to).unwrap_or(i32::MAX));
                let row: [&(dyn ToSql + Sync); 3] = [&revision_id, &from, &to];
                writer.write(&row).map_err(err)?;
            }
            writer.finish().map_err(err)?;
        }
        if let Some(keep) = keep {
            let offset = i64::try_from(keep).unwrap_or(i64::MAX);
            let old = tx
                .query(
                    "SELECT id, rev FROM revision WHERE project_id = $1 ORDER BY id DESC OFFSET $2",
                    &[&project_id, &offset],
                )
                .map_err(err)?;
            let ids: Vec<i64> = old.iter().map(|r| r.get(0)).collect();
            delete_revisions(&mut tx, &ids).map_err(err)?;
            outcome.pruned = old.iter().map(|r| r.get(1)).collect();
        }
        tx.commit().map_err(err)?;
        Ok(outcome)
    }

    fn packages_named(
        &mut self,
        names: &[String],
        ecosystem: Option<Ecosystem>,
    ) -> Result<Vec<StoredPackage>, InventoryError> {
        let eco = ecosystem.map(Ecosystem::as_str);
        let rows = self
            .client
            .query(
                "SELECT id, ecosystem, name, version, purl FROM package
                 WHERE norm = ANY($1) AND ($2::text IS NULL OR ecosystem = $2)",
                &[&names, &eco],
            )
            .map_err(|e| self.err(&e))?;
        rows.iter().map(|r| to_stored(&self.location, r)).collect()
    }

    fn packages(&mut self) -> Result<Vec<StoredPackage>, InventoryError> {
        let rows = self
            .client
            .query(
                "SELECT id, ecosystem, name, version, purl FROM package p
                 WHERE EXISTS (SELECT 1 FROM component c WHERE c.package_id = p.id) ORDER BY id",
                &[],
            )
            .map_err(|e| self.err(&e))?;
        rows.iter().map(|r| to_stored(&self.location, r)).collect()
    }

    fn holdings(
        &mut self,
        package_ids: &[i64],
        revisions: Revisions,
        paths: bool,
    ) -> Result<Vec<Holding>, InventoryError> {
        let latest = revisions == Revisions::Latest;
        let hits = self
            .client
            .query(
                // Without paths, none of the path columns (and none of their joins).
                if paths {
                    "SELECT c.package_id, r.id, p.name, r.rev, c.idx, r.has_graph, c.path,
                            coalesce(c.bom_ref, k.purl, ''), coalesce(r0.bom_ref, k0.purl, '')
                     FROM component c
                     JOIN revision r ON r.id = c.revision_id JOIN project p ON p.id = r.project_id
                     LEFT JOIN package k ON k.id = c.package_id
                     LEFT JOIN component r0 ON r0.revision_id = c.revision_id AND r0.idx = 0
                     LEFT JOIN package k0 ON k0.id = r0.package_id
                     WHERE c.package_id = ANY($1)
                       AND (NOT $2 OR r.id = (SELECT max(id) FROM revision x WHERE x.project_id = r.project_id))"
                } else {
                    "SELECT c.package_id, r.id, p.name, r.rev, c.idx, r.has_graph, NULL::bytea, '', ''
                     FROM component c
                     JOIN revision r ON r.id = c.revision_id JOIN project p ON p.id = r.project_id
                     WHERE c.package_id = ANY($1)
                       AND (NOT $2 OR r.id = (SELECT max(id) FROM revision x WHERE x.project_id = r.project_id))"
                },
                &[&package_ids, &latest],
            )
            .map_err(|e| self.err(&e))?;
        // Stored paths name packages by id and other components by index: read those once.
        // Components stored without a path (older schema, very deep) are walked.
        let mut stored: Vec<Option<Vec<i64>>> = Vec::with_capacity(hits.len());
        let mut seed_rev: Vec<i64> = Vec::new();
        let mut seed_idx: Vec<i32> = Vec::new();
        let mut ids: Vec<i64> = Vec::new();
        let mut other_rev: Vec<i64> = Vec::new();
        let mut other_idx: Vec<i32> = Vec::new();
        for h in &hits {
            let decoded = if paths && h.get::<_, bool>(5) {
                let d = h.get::<_, Option<&[u8]>>(6).and_then(super::decode_path);
                if d.is_none() {
                    seed_rev.push(h.get(1));
                    seed_idx.push(h.get(4));
                }
                d
            } else {
                None
            };
            for &e in decoded.iter().flatten() {
                if e > 0 {
                    ids.push(e);
                } else if e < 0 {
                    other_rev.push(h.get(1));
                    other_idx.push(i32::try_from(e.checked_neg().unwrap_or(0)).unwrap_or(i32::MAX));
                }
            }
            stored.push(decoded);
        }
        ids.sort_unstable();
        ids.dedup();
        let purls: HashMap<i64, String> = self
            .client
            .query("SELECT id, coalesce(purl, '') FROM package WHERE id = ANY($1)", &[&ids])
            .map_err(|e| self.err(&e))?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        let others: HashMap<(i64, i32), String> = self
            .client
            .query(
                "SELECT s.revision_id, s.idx, coalesce(c.bom_ref, k.purl, '')
                 FROM (SELECT DISTINCT * FROM unnest($1::bigint[], $2::int[])) AS s (revision_id, idx)
                 JOIN component c ON c.revision_id = s.revision_id AND c.idx = s.idx
                 LEFT JOIN package k ON k.id = c.package_id",
                &[&other_rev, &other_idx],
            )
            .map_err(|e| self.err(&e))?
            .iter()
            .map(|r| ((r.get(0), r.get(1)), r.get(2)))
            .collect();
        let steps = self
            .client
            .query(
                "WITH RECURSIVE walk (revision_id, start, idx, parent, depth) AS (
                     SELECT c.revision_id, c.idx, c.idx, c.parent, 0
                     FROM (SELECT DISTINCT * FROM unnest($1::bigint[], $2::int[])) AS s (revision_id, idx)
                     JOIN component c ON c.revision_id = s.revision_id AND c.idx = s.idx
                   UNION ALL
                     SELECT c.revision_id, w.start, c.idx, c.parent, w.depth + 1
                     FROM walk w JOIN component c ON c.revision_id = w.revision_id AND c.idx = w.parent
                     WHERE w.depth < 1000000
                 )
                 SELECT w.revision_id, w.start, w.depth, w.idx, coalesce(c.bom_ref, k.purl, '')
                 FROM walk w JOIN component c ON c.revision_id = w.revision_id AND c.idx = w.idx
                 LEFT JOIN package k ON k.id = c.package_id",
                &[&seed_rev, &seed_idx],
            )
            .map_err(|e| self.err(&e))?;
        // (revision, start) -> its steps (depth, index, bom-ref).
        let mut walks: HashMap<(i64, i32), Steps> = HashMap::new();
        for s in steps {
            walks.entry((s.get(0), s.get(1))).or_default().push((s.get(2), s.get(3), s.get(4)));
        }
        let mut out = Vec::with_capacity(hits.len());
        for (h, decoded) in hits.into_iter().zip(stored) {
            let (package_id, revision_id, project, rev, idx): (i64, i64, String, String, i32) =
                (h.get(0), h.get(1), h.get(2), h.get(3), h.get(4));
            let mut path = Vec::new();
            if let Some(elements) = decoded {
                for e in elements {
                    path.push(match e.cmp(&0) {
                        std::cmp::Ordering::Equal => h.get::<_, String>(8),
                        std::cmp::Ordering::Greater => purls.get(&e).cloned().unwrap_or_default(),
                        std::cmp::Ordering::Less => {
                            let at = i32::try_from(e.checked_neg().unwrap_or(0)).unwrap_or(i32::MAX);
                            others.get(&(revision_id, at)).cloned().unwrap_or_default()
                        }
                    });
                }
                path.push(h.get::<_, String>(7));
            } else if let Some(steps) = walks.get(&(revision_id, idx)) {
                let mut steps: Vec<&(i32, i32, String)> = steps.iter().collect();
                steps.sort_by_key(|s| std::cmp::Reverse(s.0));
                if steps.first().is_some_and(|s| s.1 == 0) {
                    path = steps.into_iter().map(|s| s.2.clone()).collect();
                }
            }
            out.push(Holding {
                package_id,
                revision: RevisionRef { id: revision_id, project, revision: rev },
                idx: u32::try_from(idx).unwrap_or(0),
                path,
            });
        }
        super::query::sort_holdings(&mut out);
        Ok(out)
    }

    fn projects(&mut self) -> Result<Vec<ProjectSummary>, InventoryError> {
        let rows = self.client.query(super::PROJECTS_SQL, &[]).map_err(|e| self.err(&e))?;
        Ok(rows
            .iter()
            .map(|r| ProjectSummary {
                project: r.get(0),
                revisions: u64::try_from(r.get::<_, i64>(1)).unwrap_or(0),
                latest: Some(summary(r, 2)),
            })
            .collect())
    }

    fn show(&mut self, project: &str) -> Result<Option<Vec<RevisionSummary>>, InventoryError> {
        let id =
            self.client.query_opt("SELECT id FROM project WHERE name = $1", &[&project]).map_err(|e| self.err(&e))?;
        let Some(id) = id else { return Ok(None) };
        let id: i64 = id.get(0);
        let rows = self
            .client
            .query(
                "SELECT rev, added_at, source, has_graph, components, packages FROM revision
                 WHERE project_id = $1 ORDER BY id DESC",
                &[&id],
            )
            .map_err(|e| self.err(&e))?;
        Ok(Some(rows.iter().map(|r| summary(r, 0)).collect()))
    }
}

/// The ids and stored purls of the packages `which` (indices into the key arrays), as
/// (index, id, purl).
fn select_packages(
    tx: &mut postgres::Transaction<'_>,
    which: &[usize],
    ecosystems: &[&str],
    names: &[&str],
    versions: &[&str],
) -> Result<Vec<(usize, i64, Option<String>)>, postgres::Error> {
    let idx: Vec<i64> = which.iter().map(|&i| i64::try_from(i).unwrap_or(i64::MAX)).collect();
    let pick =
        |v: &[&str]| -> Vec<String> { which.iter().filter_map(|&i| v.get(i)).map(|s| (*s).to_owned()).collect() };
    let rows = tx.query(
        "SELECT p.id, u.i, p.purl FROM unnest($1::text[], $2::text[], $3::text[], $4::int8[]) AS u(e, n, v, i)
         JOIN package p ON p.ecosystem = u.e AND p.name = u.n AND p.version = u.v",
        &[&pick(ecosystems), &pick(names), &pick(versions), &idx],
    )?;
    Ok(rows.iter().map(|r| (usize::try_from(r.get::<_, i64>(1)).unwrap_or(usize::MAX), r.get(0), r.get(2))).collect())
}

fn delete_revisions(tx: &mut postgres::Transaction<'_>, ids: &[i64]) -> Result<(), postgres::Error> {
    tx.execute("DELETE FROM edge WHERE revision_id = ANY($1)", &[&ids])?;
    tx.execute("DELETE FROM component WHERE revision_id = ANY($1)", &[&ids])?;
    tx.execute("DELETE FROM revision WHERE id = ANY($1)", &[&ids])?;
    Ok(())
}
