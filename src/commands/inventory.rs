//! `chainward inventory`: store projects' dependency graphs (`add`) and ask fleet questions
//! (`who-uses`, `affected`, `projects`, `show`).

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use crate::cli::{AffectedArgs, Cli, InventoryAddArgs, InventoryArgs, InventoryCommand, WhoUsesArgs};
use crate::discover::Excludes;
use crate::finding::ScanPackage;
use crate::inventory::query::{self, PackageSpec};
use crate::inventory::{self as inv, Revisions, Snapshot, Store};
use crate::model::{Ecosystem, Graph};
use crate::report::ReportError;
use crate::report::inventory as render;
use crate::resolve::{self, ResolveOptions};
use crate::{Env, Error, ExitStatus, Output};

/// The file name of the default SQLite inventory, in the data directory.
pub(crate) const DEFAULT_FILE: &str = "inventory.sqlite";

pub(crate) fn run(cli: &Cli, args: &InventoryArgs, env: &Env, out: &mut Output<'_>) -> Result<ExitStatus, Error> {
    let location = location(args, env)?;
    match &args.command {
        InventoryCommand::Add(a) => add(cli, a, &location, env, out),
        InventoryCommand::WhoUses(a) => who_uses(a, &location, out),
        InventoryCommand::Affected(a) => affected(cli, a, &location, env, out),
        InventoryCommand::Projects(o) => {
            let mut store = open_existing(&location)?;
            let projects = store.projects().map_err(db_error)?;
            emit(o.output.as_deref(), out, render::projects(&projects, o.format))?;
            Ok(ExitStatus::Success)
        }
        InventoryCommand::Show(a) => {
            let mut store = open_existing(&location)?;
            let Some(revisions) = store.show(&a.project).map_err(db_error)? else {
                return Err(Error::Usage(format!(
                    "no project `{}` in the inventory {}",
                    crate::sanitize::value(&a.project),
                    location.display()
                )));
            };
            emit(a.output.output.as_deref(), out, render::show(&a.project, &revisions, a.output.format))?;
            Ok(ExitStatus::Success)
        }
    }
}

/// `--database`, else `CHAINWARD_DATABASE_URL`, else the data directory's SQLite file.
fn location(args: &InventoryArgs, env: &Env) -> Result<inv::Location, Error> {
    if let Some(value) = args.database.as_deref().or(env.database_url.as_deref()) {
        return inv::Location::parse(value).map_err(Error::Usage);
    }
    let dir = env.data_dir.as_ref().ok_or_else(|| {
        Error::Usage("no data directory for the inventory: pass --database, or set CHAINWARD_DATABASE_URL".to_owned())
    })?;
    Ok(inv::Location::Sqlite(dir.join(DEFAULT_FILE)))
}

#[expect(clippy::needless_pass_by_value, reason = "used as `map_err(db_error)`")]
fn db_error(e: inv::InventoryError) -> Error {
    Error::Usage(e.to_string())
}

/// The inventory for a query: a SQLite file that does not exist is an error (a query never
/// creates an empty inventory and answers "nobody").
fn open_existing(location: &inv::Location) -> Result<Box<dyn Store>, Error> {
    if let inv::Location::Sqlite(path) = location
        && !path.is_file()
    {
        return Err(Error::Usage(format!(
            "no inventory at {}: store projects with `chainward inventory add` first, or pass --database",
            location.display()
        )));
    }
    inv::open(location).map_err(db_error)
}

/// Write a rendered report to `-o FILE` or stdout.
fn emit(
    output: Option<&Path>,
    out: &mut Output<'_>,
    rendered: Result<Vec<u8>, serde_json::Error>,
) -> Result<(), Error> {
    let bytes = rendered.map_err(|e| Error::Usage(format!("cannot render the report: {e}")))?;
    super::emit(super::output_path(output), &bytes, out)
}

fn now_rfc3339(env: &Env) -> String {
    let now = time::OffsetDateTime::from(env.now.unwrap_or_else(std::time::SystemTime::now));
    now.replace_nanosecond(0).unwrap_or(now).format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// The commit id of HEAD of the repository containing `path`.
fn head_commit(path: &Path) -> Option<String> {
    // `bom.json` names a file in the current directory: its parent is `""`, which is `.`.
    let dir = match path.parent() {
        Some(p) if path.is_file() && !p.as_os_str().is_empty() => p,
        _ if path.is_file() => Path::new("."),
        _ => path,
    };
    let repo = git2::Repository::discover(dir).ok()?;
    let commit = repo.head().ok()?.peel_to_commit().ok()?;
    Some(commit.id().to_string())
}

fn add(
    cli: &Cli,
    args: &InventoryAddArgs,
    location: &inv::Location,
    env: &Env,
    out: &mut Output<'_>,
) -> Result<ExitStatus, Error> {
    let project = args.project.trim();
    if project.is_empty() {
        return Err(Error::Usage("--project must not be empty".to_owned()));
    }
    let first = args.inputs.first().cloned().unwrap_or_else(|| PathBuf::from("."));
    let revision = match &args.revision {
        Some(r) if r.trim().is_empty() => return Err(Error::Usage("--revision must not be empty".to_owned())),
        Some(r) => r.trim().to_owned(),
        None => head_commit(&first).ok_or_else(|| {
            Error::Usage(format!(
                "no --revision given and `{}` is not in a git repository with a commit: pass --revision",
                first.display()
            ))
        })?,
    };
    // Everything is read before the database is touched: a failed read writes nothing, and the
    // stored revision stays as it was.
    let mut parts = Vec::new();
    let mut failed = false;
    for input in &args.inputs {
        if input.is_file() && super::is_sbom(input) {
            let bytes =
                std::fs::read(input).map_err(|e| Error::Usage(format!("cannot read `{}`: {e}", input.display())))?;
            let label = input.display().to_string();
            match crate::sbom::input::parse(&label, &bytes) {
                Ok(sbom) => {
                    for note in sbom.notes(&label) {
                        out.warning(cli.quiet, &note);
                    }
                    parts.push(crate::inventory::snapshot::from_sbom(&sbom, project, &revision));
                }
                Err(e) => {
                    for p in &e.problems {
                        out.warning(cli.quiet, p);
                    }
                    out.error(&e.to_string());
                    failed = true;
                }
            }
        } else {
            match resolve_input(cli, args, input, out)? {
                Some(graph) => parts.push(crate::inventory::snapshot::from_graph(&graph, project, &revision)),
                None => failed = true,
            }
        }
    }
    if failed {
        out.error(&format!("nothing stored: `{project}` at `{revision}` is unchanged in the inventory"));
        return Ok(ExitStatus::Error);
    }
    let Some(snapshot) = crate::inventory::snapshot::merge(parts, project, &revision) else {
        return Err(Error::Usage("nothing to add".to_owned()));
    };
    if snapshot.components.len() > crate::inventory::snapshot::MAX_COMPONENTS {
        return Err(Error::Usage(format!(
            "{} components in one revision: more than the {} the inventory takes",
            snapshot.components.len(),
            crate::inventory::snapshot::MAX_COMPONENTS
        )));
    }
    let mut store = inv::open(location).map_err(db_error)?;
    let outcome = store
        .add(&snapshot, args.keep.map(|k| k as usize), &now_rfc3339(env))
        .map_err(|e| Error::Usage(format!("{e}; nothing stored: `{project}` at `{revision}` is unchanged")))?;
    if !cli.quiet {
        out.info(&summary_line(&snapshot, &outcome, store.engine()));
    }
    Ok(ExitStatus::Success)
}

fn summary_line(snapshot: &Snapshot, outcome: &inv::AddOutcome, engine: &str) -> String {
    let packages = snapshot.components.iter().filter(|c| c.package.is_some()).count();
    let mut line = format!(
        "{} {} `{}` at `{}`: {} components ({} packages), {} edges ({engine})",
        if outcome.replaced { "replaced" } else { "stored" },
        "project",
        snapshot.project,
        snapshot.revision,
        snapshot.components.len(),
        packages,
        snapshot.edges.len()
    );
    if !snapshot.has_graph {
        line.push_str("; the input has no dependency graph, so paths are unknown");
    }
    if !outcome.pruned.is_empty() {
        line.push_str("; removed older revisions (--keep): ");
        line.push_str(&outcome.pruned.join(", "));
    }
    line
}

/// Resolve one directory or lockfile; `None` when it could not be read fully (the errors are
/// printed).
fn resolve_input(
    cli: &Cli,
    args: &InventoryAddArgs,
    input: &Path,
    out: &mut Output<'_>,
) -> Result<Option<Graph>, Error> {
    let config_file = super::split_file(input).0.join(crate::config::FILE_NAME);
    let mut exclude = args.exclude.clone();
    let mut requirements = args.requirements.clone();
    if config_file.is_file() {
        let config = crate::config::load(&config_file).map_err(|e| Error::Usage(e.to_string()))?;
        exclude.extend(config.exclude.iter().cloned());
        requirements.extend(config.requirements.iter().cloned());
    }
    let excludes = Excludes::new(&exclude)?.with_requirements(&requirements)?;
    let source = crate::source::open(input)?;
    let resolution = resolve::work_tree(&source, &excludes, &ResolveOptions::default())?;
    for w in &resolution.warnings {
        out.warning(cli.quiet, &w.to_string());
    }
    if !resolution.errors.is_empty() {
        for e in &resolution.errors {
            out.error(&e.to_string());
        }
        return Ok(None);
    }
    if resolution.resolved.is_empty() {
        out.error(&format!("`{}`: no lockfile found", input.display()));
        return Ok(None);
    }
    Ok(Some(Graph::merge(resolution.resolved, &resolution.name)))
}

fn who_uses(args: &WhoUsesArgs, location: &inv::Location, out: &mut Output<'_>) -> Result<ExitStatus, Error> {
    let spec = PackageSpec::parse(&args.package).map_err(Error::Usage)?;
    let mut store = open_existing(location)?;
    let revisions = if args.latest { Revisions::Latest } else { Revisions::All };
    let answer = query::who_uses(store.as_mut(), &spec, args.ecosystem, revisions).map_err(db_error)?;
    emit(args.output.output.as_deref(), out, render::who_uses(&args.package, &answer, args.output.format))?;
    for note in &answer.notes {
        out.warning(false, note);
    }
    Ok(ExitStatus::Success)
}

/// `--since`: `YYYY-MM-DD` (UTC midnight), an RFC 3339 time, `today` or `yesterday` (UTC).
fn parse_since(value: &str, env: &Env) -> Result<time::OffsetDateTime, Error> {
    let today = super::today(env);
    let v = value.trim();
    let date = match v {
        "today" => Some(today),
        "yesterday" => today.previous_day(),
        _ => None,
    };
    if let Some(d) = date {
        return Ok(d.midnight().assume_utc());
    }
    super::parse_time(v).ok_or_else(|| {
        Error::Usage(format!(
            "--since `{}`: expected YYYY-MM-DD, an RFC 3339 time, `today` or `yesterday`",
            crate::sanitize::value(v)
        ))
    })
}

fn affected(
    cli: &Cli,
    args: &AffectedArgs,
    location: &inv::Location,
    env: &Env,
    out: &mut Output<'_>,
) -> Result<ExitStatus, Error> {
    let since = args.since.as_deref().map(|s| parse_since(s, env)).transpose()?;
    let mut store = open_existing(location)?;
    let stored = store.packages().map_err(db_error)?;
    // Each package once, as the matcher names it: two spellings of one PyPI name (`Jinja2`,
    // `jinja2`) stored apart are one package to match, and both rows hold it.
    let key = |e: Ecosystem, name: &str, version: &str| (e, e.normalize_name(name), version.to_owned());
    let mut ids: HashMap<(Ecosystem, String, String), Vec<i64>> = HashMap::with_capacity(stored.len());
    let mut packages: Vec<ScanPackage> = Vec::with_capacity(stored.len());
    for p in &stored {
        let slot = ids.entry(key(p.key.ecosystem, &p.key.name, &p.key.version)).or_default();
        if slot.is_empty() {
            packages.push(p.scan_package());
        }
        slot.push(p.id);
    }
    let mut notes = Vec::new();
    let mut errors: Vec<ReportError> = Vec::new();
    let (_, index) = if packages.is_empty() {
        (Vec::new(), crate::advisory::Index::default())
    } else {
        super::load_for(cli, &args.db, args.offline, env, out, &mut notes, &packages, true)?
    };
    errors.extend(index.errors.iter().map(super::database_error));
    notes.extend(index.notes.iter().cloned());
    if !packages.is_empty() {
        errors.extend(super::uncovered(&index, &packages, !args.db.is_empty()));
    }
    for id in &args.ids {
        if !packages.is_empty() && index.named(id).next().is_none() {
            errors.push(ReportError {
                path: "advisory database".to_owned(),
                line: None,
                message: format!(
                    "advisory `{}` is not in the advisory databases loaded (or names no stored package's \
                     ecosystem): it could not be checked",
                    crate::sanitize::value(id)
                ),
            });
        }
    }
    let mut findings = super::matched(&index, &packages, &mut errors);
    if !args.ids.is_empty() {
        findings.retain(|f| {
            args.ids
                .iter()
                .any(|id| f.id.eq_ignore_ascii_case(id) || f.aliases.iter().any(|a| a.eq_ignore_ascii_case(id)))
        });
    }
    if let Some(since) = since {
        let mut undated: BTreeSet<String> = BTreeSet::new();
        findings.retain(|f| {
            let modified = index.named(&f.id).filter_map(crate::advisory::Advisory::modified_at).max();
            if let Some(m) = modified {
                m >= since
            } else {
                undated.insert(f.id.clone());
                true
            }
        });
        if !undated.is_empty() {
            notes.push(format!(
                "{} advisor{} without a modification date (a RustSec directory that is not a git checkout) \
                 included whatever --since says: {}",
                undated.len(),
                if undated.len() == 1 { "y" } else { "ies" },
                undated.iter().cloned().collect::<Vec<_>>().join(", ")
            ));
        }
    }
    crate::finding::sort(&mut findings);

    // Which revisions hold each affected package.
    let ids_of = |f: &crate::finding::Finding| {
        Ecosystem::from_osv(&f.package.ecosystem)
            .and_then(|e| ids.get(&key(e, &f.package.name, &f.package.version)))
            .map_or(&[][..], Vec::as_slice)
    };
    let mut wanted: Vec<i64> = findings.iter().flat_map(|f| ids_of(f).iter().copied()).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let revisions = if args.latest { Revisions::Latest } else { Revisions::All };
    // `affected` lists revisions, not paths.
    let holdings = store.holdings(&wanted, revisions, false).map_err(db_error)?;
    let mut by_package: HashMap<i64, Vec<(i64, render::ProjectRef)>> = HashMap::new();
    for h in holdings {
        let r = render::ProjectRef { project: h.revision.project, revision: h.revision.revision };
        by_package.entry(h.package_id).or_default().push((h.revision.id, r));
    }
    let policy =
        crate::policy::Policy { fail_on: args.fail_on.unwrap_or(crate::policy::FailOn::Low), deny: args.deny.clone() };
    let mut failing = 0usize;
    let mut rows = Vec::new();
    for f in findings {
        // Every revision holding one of the package's rows, once, in the holdings' order
        // (project, then newest first).
        let mut held: Vec<&(i64, render::ProjectRef)> =
            ids_of(&f).iter().filter_map(|id| by_package.get(id)).flatten().collect();
        held.sort_by(|a, b| a.1.project.cmp(&b.1.project).then(b.0.cmp(&a.0)));
        held.dedup_by_key(|h| h.0);
        let projects: Vec<render::ProjectRef> = held.into_iter().map(|h| h.1.clone()).collect();
        // A package of no selected revision (`--latest`) affects nothing selected.
        if projects.is_empty() {
            continue;
        }
        if policy.fails(&f) {
            failing += 1;
        }
        rows.push(render::AffectedFinding { finding: f, projects });
    }
    let errors: Vec<ReportError> = errors.into_iter().map(ReportError::sanitized).collect();
    let report = render::AffectedReport {
        packages: packages.len(),
        since: since.and_then(|s| s.format(&time::format_description::well_known::Rfc3339).ok()),
        findings: rows,
        errors: errors.clone(),
        notes: notes.clone(),
    };
    emit(args.output.output.as_deref(), out, render::affected(&report, args.output.format))?;
    Ok(super::conclude(cli, out, &notes, &errors, failing))
}
