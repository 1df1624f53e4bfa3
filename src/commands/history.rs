//! `chainward history`: walk the ancestry of a revision ([`crate::history`]), match every version
//! ever present against the advisory databases (each name@version once), turn checksum drift
//! and source changes across the history into findings, apply the policy, report, and decide
//! the exit status as `scan` does.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::advisory::db::Select;
use crate::cli::{Cli, HistoryArgs, HistoryFormat};
use crate::finding::{Finding, Location, PackageRef, RuleId, ScanPackage};
use crate::heuristics::Settings;
use crate::history::{self, HistoryError, Interval, Timeline, Until};
use crate::model::Ecosystem;
use crate::policy::Policy;
use crate::report::history::{
    CommitRef, HistoryFinding, HistoryReport, HistorySummary, PackageTimeline, Revision, VersionEntry, Window,
};
use crate::report::{Database, DatabaseSource, ReportError, Tool};
use crate::{Env, Error, ExitStatus, Output};

const DAY: i64 = 86_400;

impl From<HistoryError> for Error {
    fn from(e: HistoryError) -> Self {
        Error::Usage(e.to_string())
    }
}

/// `--since`/`--until`: a date, or else a revision.
enum Bound {
    Time(i64),
    Rev(String),
}

fn bound(value: &str) -> Bound {
    match super::parse_time(value) {
        Some(t) => Bound::Time(t.unix_timestamp()),
        None => Bound::Rev(value.trim().to_owned()),
    }
}

#[expect(clippy::too_many_lines, reason = "the history pipeline, step by step")]
pub(crate) fn run(cli: &Cli, args: &HistoryArgs, env: &Env, out: &mut Output<'_>) -> Result<ExitStatus, Error> {
    let started = std::time::Instant::now();
    let config = match &args.config {
        Some(path) => Some(crate::config::load(path).map_err(|e| Error::Usage(e.to_string()))?),
        None => Some(args.path.join(crate::config::FILE_NAME))
            .filter(|f| f.is_file())
            .map(|f| crate::config::load(&f).map_err(|e| Error::Usage(e.to_string())))
            .transpose()?,
    };
    let mut exclude = args.exclude.clone();
    let mut requirements = args.requirements.clone();
    if let Some(c) = &config {
        exclude.extend(c.exclude.iter().cloned());
        requirements.extend(c.requirements.iter().cloned());
    }
    let until = match args.until.as_deref().map(bound) {
        Some(Bound::Time(t)) => Some(Until::Time(t)),
        Some(Bound::Rev(r)) => Some(Until::Rev(r)),
        None => None,
    };
    let request = history::Request {
        path: &args.path,
        rev: &args.rev,
        until,
        exclude: &exclude,
        requirements: &requirements,
        only: &args.paths,
        cache_dir: if args.no_cache { None } else { env.cache_dir.as_deref() },
    };
    let (timeline, stats) = history::walk(&request)?;
    if cli.verbose {
        out.info(&format!(
            "history: {} commit(s) walked ({} read now{}), {} lockfile revision(s) parsed now, {:.1} ms",
            timeline.commits,
            stats.walked,
            if stats.from_cache { ", the rest from the cache" } else { "" },
            stats.parsed,
            started.elapsed().as_secs_f64() * 1000.0
        ));
    }

    // The window: what was present at or after --since.
    let (since_time, since_ancestors, commits) = match args.since.as_deref().map(bound) {
        None => (None, None, timeline.commits),
        Some(b) => window_of(&args.path, &timeline, &b)?,
    };
    let in_window = |iv: &Interval| -> bool {
        let Some(removed) = iv.removed.and_then(|r| timeline.commit(r)) else { return true };
        if let Some(t) = since_time
            && removed.time < t
        {
            return false;
        }
        if let Some(set) = &since_ancestors
            && set.contains(&removed.id)
        {
            return false;
        }
        true
    };
    let package = args.package.as_deref().map(|p| match p.rsplit_once('@').filter(|(n, _)| !n.is_empty()) {
        Some((name, version)) => (name.to_owned(), Some(version.to_owned())),
        None => (p.to_owned(), None),
    });
    let wanted = |iv: &Interval| -> bool {
        package.as_ref().is_none_or(|(name, version)| {
            iv.ecosystem.normalize_name(&iv.name) == iv.ecosystem.normalize_name(name)
                && version.as_ref().is_none_or(|v| *v == iv.version)
        })
    };
    let selected: Vec<u32> = (0..timeline.intervals.len())
        .filter_map(|i| u32::try_from(i).ok())
        .filter(|i| {
            timeline
                .intervals
                .get(*i as usize)
                .is_some_and(|iv| iv.merged_into.is_none() && wanted(iv) && in_window(iv))
        })
        .collect();

    let now = time::OffsetDateTime::from(env.now.unwrap_or_else(std::time::SystemTime::now)).unix_timestamp();
    let mut notes: Vec<String> = Vec::new();
    let mut errors: Vec<ReportError> = Vec::new();
    let mut findings: Vec<HistoryFinding> = Vec::new();
    let mut sources = Vec::new();

    // Advisories: each distinct name@version of the default registries once.
    if !args.no_advisories {
        let mut distinct: BTreeMap<(Ecosystem, String, String), Vec<u32>> = BTreeMap::new();
        for i in &selected {
            let Some(iv) = timeline.intervals.get(*i as usize) else { continue };
            if iv.default_registry {
                distinct
                    .entry((iv.ecosystem, iv.ecosystem.normalize_name(&iv.name), iv.version.clone()))
                    .or_default()
                    .push(*i);
            }
        }
        let packages: Vec<ScanPackage> = distinct
            .iter()
            .filter_map(|((ecosystem, _, version), ivs)| {
                let iv = timeline.intervals.get(*ivs.first()? as usize)?;
                Some(ScanPackage {
                    ecosystem: *ecosystem,
                    name: iv.name.clone(),
                    version: version.clone(),
                    purl: iv.purl.clone(),
                    checksum: iv.checksum.clone(),
                    install_script: None,
                    location: Location::block(&iv.lockfile, None),
                    compiled: None,
                })
            })
            .collect();
        if !packages.is_empty() || args.advisory.is_some() {
            let (db_paths, index) =
                super::load_for(cli, &args.db, args.offline, env, out, &mut notes, &packages, true)?;
            errors.extend(index.errors.iter().map(super::database_error));
            errors.extend(super::uncovered(&index, &packages, !args.db.is_empty()));
            notes.extend(index.notes.iter().cloned());
            sources = index.sources.iter().map(DatabaseSource::from).collect();
            let matched = super::matched(&index, &packages, &mut errors);
            for f in matched {
                if let Some(id) = &args.advisory
                    && !std::iter::once(&f.id).chain(&f.aliases).any(|a| a.eq_ignore_ascii_case(id))
                {
                    continue;
                }
                let published = std::iter::once(&f.id)
                    .chain(&f.aliases)
                    .find_map(|id| index.named(id).find_map(|a| a.published.clone()));
                let key = (
                    Ecosystem::from_osv(&f.package.ecosystem).unwrap_or(Ecosystem::Cargo),
                    Ecosystem::from_osv(&f.package.ecosystem)
                        .map_or_else(|| f.package.name.clone(), |e| e.normalize_name(&f.package.name)),
                    f.package.version.clone(),
                );
                for i in distinct.get(&key).into_iter().flatten() {
                    let Some(iv) = timeline.intervals.get(*i as usize) else { continue };
                    let mut g = f.clone();
                    g.location = Location { path: iv.lockfile.clone(), line: iv.line, end_line: iv.end_line };
                    let window = window(&timeline, iv, iv.introduced, now, published.clone());
                    findings.push(HistoryFinding::new(g, window));
                }
            }
            if let Some(id) = &args.advisory
                && index.named(id).next().is_none()
            {
                // Not among the advisories of packages in this history: is it known at all?
                let all = crate::advisory::db::load_selected(&db_paths, env.cache_dir.as_deref(), Select::All)
                    .map_err(|e| Error::Usage(format!("cannot load the advisory database: {e}")))?;
                if all.named(id).next().is_none() {
                    return Err(Error::Usage(format!(
                        "advisory `{id}` is in none of the advisory databases loaded ({}): check the id, or update the database",
                        db_paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
                    )));
                }
            }
        }
    }

    // Checksum drift and source changes across the history.
    let settings = Settings::from_config(config.as_ref().map(|c| &c.heuristics));
    let selected_set: HashSet<u32> = selected.iter().copied().collect();
    if args.advisory.is_none() {
        for d in &timeline.drifts {
            let i = timeline.representative(d.interval);
            if !selected_set.contains(&i) {
                continue;
            }
            let Some(iv) = timeline.intervals.get(i as usize) else { continue };
            let (Some(first), Some(then)) = (timeline.commit(d.first_commit), timeline.commit(d.commit)) else {
                continue;
            };
            let summary = format!(
                "{}@{} from {}: checksum changed in {} (first seen with another in {})",
                iv.name,
                iv.version,
                iv.source,
                history::short_id(&then.id),
                history::short_id(&first.id)
            );
            let evidence = vec![
                format!("{} ({}): {}", first.id, d.first_lockfile, d.first_checksum),
                format!("{} ({}): {}", then.id, iv.lockfile, d.checksum),
            ];
            if let Some(f) = crate::heuristics::history_finding(
                &settings,
                RuleId::ChecksumDrift,
                false,
                summary,
                evidence,
                package_ref(iv),
                Location { path: iv.lockfile.clone(), line: iv.line, end_line: iv.end_line },
            ) {
                findings.push(HistoryFinding::new(f, window(&timeline, iv, d.commit, now, None)));
            }
        }
        for m in &timeline.moves {
            let i = timeline.representative(m.interval);
            if !selected_set.contains(&i) {
                continue;
            }
            let Some(iv) = timeline.intervals.get(i as usize) else { continue };
            // The commit of the move: where this sighting began, even when it was merged into
            // an earlier interval of the same version (whose window the finding reports).
            let moved_at = timeline.intervals.get(m.interval as usize).map_or(iv.introduced, |own| own.introduced);
            let Some(at) = timeline.commit(moved_at) else { continue };
            let summary = format!(
                "{}@{} comes from {} since {} (was {})",
                iv.name,
                iv.version,
                iv.source,
                history::short_id(&at.id),
                m.from.join(", ")
            );
            let evidence = vec![format!("{}: {} moved to {}", at.id, iv.name, iv.source)];
            if let Some(f) = crate::heuristics::history_finding(
                &settings,
                RuleId::SourceChange,
                m.left_default_registry,
                summary,
                evidence,
                package_ref(iv),
                Location { path: iv.lockfile.clone(), line: iv.line, end_line: iv.end_line },
            ) {
                findings.push(HistoryFinding::new(f, window(&timeline, iv, moved_at, now, None)));
            }
        }
    }
    findings.sort_by(|a, b| {
        b.finding
            .severity
            .cmp(&a.finding.severity)
            .then_with(|| a.finding.id.cmp(&b.finding.id))
            .then_with(|| a.finding.package.name.cmp(&b.finding.package.name))
            .then_with(|| a.finding.package.version.cmp(&b.finding.package.version))
            .then_with(|| a.finding.location.path.cmp(&b.finding.location.path))
            .then_with(|| a.window.introduced.date.cmp(&b.window.introduced.date))
    });

    // The policy's ignores, keeping each finding's window.
    let (active, suppressed, policy_warnings) = match &config {
        Some(c) => {
            let plain: Vec<Finding> = findings.iter().map(|f| f.finding.clone()).collect();
            let applied = crate::policy::apply_ignores(plain, c, super::today(env));
            let mut active = Vec::new();
            let mut suppressed = Vec::new();
            let mut silenced = applied.suppressed.into_iter().peekable();
            for f in findings {
                match silenced.peek() {
                    Some(s) if same_but_suppression(s, &f.finding) => {
                        let finding = silenced.next().unwrap_or_else(|| f.finding.clone());
                        suppressed.push(HistoryFinding::new(finding, f.window));
                    }
                    _ => active.push(f),
                }
            }
            (active, suppressed, applied.warnings)
        }
        None => (findings, Vec::new(), Vec::new()),
    };

    let packages = timelines(&timeline, &selected);
    if let Some((name, version)) = &package
        && packages.is_empty()
    {
        let what = version.as_ref().map_or_else(|| name.clone(), |v| format!("{name}@{v}"));
        notes.push(format!("{what} was never in a lockfile of the {commits} commit(s) walked"));
    }
    let warnings: Vec<String> = timeline
        .warnings
        .iter()
        .cloned()
        .chain(notes)
        .chain(policy_warnings)
        .map(|w| crate::sanitize::diagnostic(&w))
        .collect();
    let errors: Vec<ReportError> = errors.into_iter().map(ReportError::sanitized).collect();
    let policy = Policy::from_config(args.fail_on, args.deny.clone(), config.as_ref());
    let failing = active.iter().filter(|f| policy.fails(&f.finding)).count();
    let plain_active: Vec<Finding> = active.iter().map(|f| f.finding.clone()).collect();
    let report = HistoryReport {
        version: 1,
        tool: Tool { name: "chainward".to_owned(), version: env!("CARGO_PKG_VERSION").to_owned() },
        revision: Revision { rev: args.rev.clone(), commit: timeline.tip.clone() },
        commits,
        lockfile_revisions: timeline.lockfile_revisions,
        database: Database { sources },
        summary: HistorySummary {
            lockfiles: packages.iter().map(|p| p.lockfile.as_str()).collect::<HashSet<_>>().len(),
            packages: packages.len(),
            versions: packages.iter().map(|p| p.versions.len()).sum(),
            findings: active.len(),
            by_severity: crate::finding::by_severity(&plain_active),
        },
        packages,
        findings: active,
        suppressed,
        warnings,
        errors,
    };
    let failed = |e: serde_json::Error| Error::Usage(format!("cannot render the report: {e}"));
    let bytes = match args.format {
        HistoryFormat::Json => crate::report::history::json(&report).map_err(failed)?,
        HistoryFormat::Table => crate::report::history::table(&report).into_bytes(),
        HistoryFormat::Markdown => crate::report::history::markdown(&report).into_bytes(),
    };
    super::emit(super::output_path(args.output.as_deref()), &bytes, out)?;
    Ok(super::conclude(cli, out, &report.warnings, &report.errors, failing))
}

fn same_but_suppression(suppressed: &Finding, f: &Finding) -> bool {
    let mut s = suppressed.clone();
    s.suppression = None;
    s == *f
}

fn package_ref(iv: &Interval) -> PackageRef {
    PackageRef {
        ecosystem: iv.ecosystem.as_str().to_owned(),
        name: iv.name.clone(),
        version: iv.version.clone(),
        purl: iv.purl.clone(),
    }
}

/// A commit as reports show it.
fn commit_ref(timeline: &Timeline, i: u32) -> Option<CommitRef> {
    let c = timeline.commit(i)?;
    let offset = time::UtcOffset::from_whole_seconds(c.offset.saturating_mul(60)).unwrap_or(time::UtcOffset::UTC);
    let date = time::OffsetDateTime::from_unix_timestamp(c.time)
        .ok()
        .map(|t| t.to_offset(offset))
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default();
    Some(CommitRef { commit: c.id.clone(), date, author: c.author.clone() })
}

fn missing_commit() -> CommitRef {
    CommitRef { commit: String::new(), date: String::new(), author: String::new() }
}

/// The window of `iv` from commit `from`, and how the advisory's date relates to it.
fn window(timeline: &Timeline, iv: &Interval, from: u32, now: i64, published: Option<String>) -> Window {
    let start = timeline.commit(from).map_or(0, |c| c.time);
    let end = iv.removed.and_then(|r| timeline.commit(r)).map_or(now, |c| c.time);
    let published_time = published.as_deref().and_then(|d| {
        time::Date::parse(d, time::macros::format_description!("[year]-[month]-[day]"))
            .ok()
            .map(|d| d.midnight().assume_utc().unix_timestamp())
    });
    Window {
        introduced: commit_ref(timeline, from).unwrap_or_else(missing_commit),
        removed: iv.removed.and_then(|r| commit_ref(timeline, r)),
        days: (end - start).max(0) / DAY,
        published_before_removal: published_time.map(|p| iv.removed.is_none() || p <= end),
        advisory_published: published,
    }
}

/// `--since` as a time or as the ancestors of a revision, and the commits in the window.
type Since = (Option<i64>, Option<HashSet<String>>, usize);

/// The window's start for `--since` (a time, or the ancestors of a revision), and the commits
/// walked inside it.
fn window_of(path: &std::path::Path, timeline: &Timeline, b: &Bound) -> Result<Since, Error> {
    let (repo, _) = history::open(path)?;
    let tip = git2::Oid::from_str(&timeline.tip).map_err(|e| Error::Usage(e.message().to_owned()))?;
    let corrupt = |e: &git2::Error| Error::Usage(format!("cannot read the commit graph: {}", e.message()));
    let mut walk = repo.revwalk().map_err(|e| corrupt(&e))?;
    walk.push(tip).map_err(|e| corrupt(&e))?;
    match b {
        Bound::Time(t) => {
            let mut count = 0;
            for oid in walk {
                let oid = oid.map_err(|e| corrupt(&e))?;
                let commit = repo.find_commit(oid).map_err(|e| corrupt(&e))?;
                if commit.author().when().seconds() >= *t {
                    count += 1;
                }
            }
            Ok((Some(*t), None, count))
        }
        Bound::Rev(rev) => {
            let since = history::commit_of(&repo, rev)?;
            walk.hide(since).map_err(|e| corrupt(&e))?;
            let count = walk.count();
            let mut before = repo.revwalk().map_err(|e| corrupt(&e))?;
            before.push(since).map_err(|e| corrupt(&e))?;
            let set = before.filter_map(Result::ok).map(|o| o.to_string()).collect();
            Ok((None, Some(set), count))
        }
    }
}

/// `packages[]`: the selected intervals grouped per (lockfile, ecosystem, name), each group's
/// versions oldest first.
fn timelines(timeline: &Timeline, selected: &[u32]) -> Vec<PackageTimeline> {
    let mut groups: BTreeMap<(String, Ecosystem, String), Vec<&Interval>> = BTreeMap::new();
    let mut names: HashMap<(String, Ecosystem, String), String> = HashMap::new();
    for i in selected {
        let Some(iv) = timeline.intervals.get(*i as usize) else { continue };
        let key = (iv.lockfile.clone(), iv.ecosystem, iv.ecosystem.normalize_name(&iv.name));
        names.entry(key.clone()).or_insert_with(|| iv.name.clone());
        groups.entry(key).or_default().push(iv);
    }
    groups
        .into_iter()
        .map(|(key, mut ivs)| {
            ivs.sort_by_key(|iv| (timeline.commit(iv.introduced).map_or(0, |c| c.time), iv.introduced));
            PackageTimeline {
                name: names.get(&key).cloned().unwrap_or_else(|| key.2.clone()),
                lockfile: key.0,
                ecosystem: key.1.as_str().to_owned(),
                versions: ivs
                    .into_iter()
                    .map(|iv| VersionEntry {
                        version: iv.version.clone(),
                        source: iv.source.clone(),
                        platform: iv.platform.clone(),
                        checksum: iv.checksum.clone(),
                        introduced: commit_ref(timeline, iv.introduced).unwrap_or_else(missing_commit),
                        removed: iv.removed.and_then(|r| commit_ref(timeline, r)),
                    })
                    .collect(),
            }
        })
        .collect()
}
