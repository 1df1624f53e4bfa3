//! `chainward db update|status|path`.

use std::time::SystemTime;

use crate::advisory::db::{Select, Wanted};
use crate::advisory::local::{LocalDb, Progress, Timeouts};
use crate::cli::{Cli, DbArgs, DbCommand};
use crate::{Env, Error, ExitStatus, Output};

pub(crate) fn run(cli: &Cli, args: &DbArgs, env: &Env, out: &mut Output<'_>) -> Result<ExitStatus, Error> {
    let cache = env.cache()?;
    let db = LocalDb::new(cache);
    match &args.command {
        DbCommand::Path => {
            let _ = writeln!(out.stdout, "{}", db.root().display());
            Ok(ExitStatus::Success)
        }
        DbCommand::Update { ecosystem } => update(cli, &db, cache, &env.update_config(ecosystem), false, out),
        DbCommand::Status => status(&db, cache, env.now.unwrap_or_else(SystemTime::now), out),
    }
}

/// Update every source, then compile the indexes so the next scan is warm. `refresh`: called
/// by `scan` on a stale database, where a source that fails is a warning (the old copy is used).
pub(crate) fn update(
    cli: &Cli,
    db: &LocalDb,
    cache: &std::path::Path,
    config: &crate::advisory::local::UpdateConfig,
    refresh: bool,
    out: &mut Output<'_>,
) -> Result<ExitStatus, Error> {
    let quiet = cli.quiet;
    let terminal = out.stderr_is_terminal;
    let stderr = &mut *out.stderr;
    let mut bar_shown = false;
    let outcome = db
        // A refresh before a scan gives up within seconds and the scan uses the copy it has.
        .update_with_timeouts(
            config,
            if refresh { Timeouts::for_refresh() } else { Timeouts::for_update() },
            &mut |event| {
                if quiet {
                    return;
                }
                match event {
                    Progress::Step(step) => {
                        if bar_shown {
                            let _ = writeln!(stderr);
                            bar_shown = false;
                        }
                        let _ = writeln!(stderr, "{}", crate::sanitize::diagnostic(&step));
                    }
                    // A progress bar on a terminal only; logs get the steps.
                    Progress::Bytes { done, total } if terminal => {
                        let _ = write!(stderr, "\r  {}", bar(done, total));
                        let _ = stderr.flush();
                        bar_shown = true;
                    }
                    Progress::Bytes { .. } => {}
                }
            },
        )
        .map_err(Error::Usage)?;
    if bar_shown {
        let _ = writeln!(out.stderr);
    }
    if let Err(e) = crate::advisory::db::load_selected(&db.sources(), Some(cache), Select::Packages(&Wanted::default()))
    {
        out.error(&format!("the updated database does not load: {e}"));
        return Ok(ExitStatus::Error);
    }
    if !quiet {
        for line in &outcome.done {
            out.info(&format!("updated {line}"));
        }
    }
    for line in &outcome.failed {
        if refresh {
            // The scan goes on with the previous copy; `-q` silences this like any warning.
            out.warning(
                quiet,
                &format!(
                    "could not refresh {line} (the previous copy, if any, stays in use; `chainward db update` waits longer)"
                ),
            );
        } else {
            out.error(&format!("{line} (the previous copy, if any, stays in use)"));
        }
    }
    Ok(if outcome.failed.is_empty() { ExitStatus::Success } else { ExitStatus::Error })
}

fn status(db: &LocalDb, cache: &std::path::Path, now: SystemTime, out: &mut Output<'_>) -> Result<ExitStatus, Error> {
    let sources = db.sources();
    if sources.is_empty() {
        let _ = writeln!(
            out.stderr,
            "error: no local advisory database in `{}`: run `chainward db update`",
            db.root().display()
        );
        return Ok(ExitStatus::Error);
    }
    let index = crate::advisory::db::load_selected(&sources, Some(cache), Select::Packages(&Wanted::default()))
        .map_err(|e| Error::Usage(e.to_string()))?;
    let age = db.updated().and_then(|t| now.duration_since(t).ok());
    for s in &index.sources {
        let _ = writeln!(out.stdout, "{:<8} {:>6} records  {}", s.name, s.records, s.path);
    }
    match age {
        Some(age) => {
            let hours = age.as_secs() / 3600;
            let stale = if db.is_stale(now) { " (stale: `scan` refreshes it unless --offline)" } else { "" };
            let _ = writeln!(out.stdout, "updated {hours} h ago{stale}");
        }
        None => {
            let _ = writeln!(out.stdout, "never completely updated");
        }
    }
    for n in &index.notes {
        out.warning(false, n);
    }
    for e in &index.errors {
        out.error(&crate::commands::database_error(e).to_string());
    }
    Ok(if index.errors.is_empty() { ExitStatus::Success } else { ExitStatus::Error })
}

/// `[#########...........]  12.3 / 45.6 MiB`, or just the size when the total is unknown.
fn bar(done: u64, total: Option<u64>) -> String {
    #[expect(clippy::cast_precision_loss, reason = "MiB with one decimal")]
    let mib = |b: u64| b as f64 / f64::from(1u32 << 20);
    match total.filter(|t| *t > 0) {
        Some(total) => {
            const WIDTH: u64 = 30;
            let filled = usize::try_from((done.min(total) * WIDTH) / total).unwrap_or(0);
            let empty = usize::try_from(WIDTH).unwrap_or(30).saturating_sub(filled);
            format!("[{}{}] {:.1} / {:.1} MiB", "#".repeat(filled), ".".repeat(empty), mib(done), mib(total))
        }
        None => format!("{:.1} MiB", mib(done)),
    }
}

#[cfg(test)]
mod tests {
    use super::bar;

    #[test]
    fn progress_bar() {
        assert_eq!(bar(0, Some(100)), format!("[{}] 0.0 / 0.0 MiB", ".".repeat(30)));
        assert!(bar(50 << 20, Some(100 << 20)).starts_with(&format!("[{}{}]", "#".repeat(15), ".".repeat(15))));
        assert_eq!(bar(3 << 20, None), "3.0 MiB");
    }
}
