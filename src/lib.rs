#![doc = include_str!("../README.md")]

pub mod advisory;
pub mod cli;
mod commands;
pub mod compiled;
pub mod config;
pub mod discover;
pub mod error;
pub mod finding;
pub mod fsutil;
#[doc(hidden)]
pub mod fuzzing;
pub mod github;
pub mod heuristics;
pub mod history;
pub mod inventory;
pub mod model;
pub mod panics;
pub mod policy;
pub mod registry;
pub mod report;
pub mod resolve;
pub mod sanitize;
pub mod sbom;
pub mod source;

use std::io::Write;
use std::path::{Path, PathBuf};

pub use error::Error;

use cli::{Cli, Command};

/// How a run ended; `main` turns it into the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: done, nothing at or above `--fail-on`.
    Success,
    /// 1: findings at or above `--fail-on`.
    Failure,
    /// 2: an error (bad arguments, unreadable input).
    Error,
}

impl ExitStatus {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::Error => 2,
        }
    }
}

/// What `main` reads from the process environment, passed in so the library never does.
#[derive(Debug, Clone, Default)]
pub struct Env {
    /// `SOURCE_DATE_EPOCH`, when set.
    pub source_date_epoch: Option<String>,
    /// chainward's cache directory: `CHAINWARD_CACHE_DIR`, else the platform cache directory.
    pub cache_dir: Option<PathBuf>,
    /// The RustSec advisory-db `.tar.gz` URL (`CHAINWARD_RUSTSEC_URL`, default upstream's `main`).
    pub rustsec_url: Option<String>,
    /// The OSV exports' base URL (`CHAINWARD_OSV_URL`, default osv.dev's bucket).
    pub osv_url: Option<String>,
    /// The current time (`CHAINWARD_NOW`, RFC 3339), for tests; default the clock.
    pub now: Option<std::time::SystemTime>,
    /// `CHAINWARD_CRATES_IO_INDEX_URL`: the crates.io sparse index (default `https://index.crates.io/`).
    pub crates_io_index_url: Option<String>,
    /// `CHAINWARD_CRATES_IO_API_URL`: the crates.io API (default `https://crates.io/api/v1`).
    pub crates_io_api_url: Option<String>,
    /// `CHAINWARD_NPM_REGISTRY_URL`: the npm registry (default `https://registry.npmjs.org`).
    pub npm_registry_url: Option<String>,
    /// `CHAINWARD_PYPI_URL`: PyPI (default `https://pypi.org`).
    pub pypi_url: Option<String>,
    /// Cargo's home (`CARGO_HOME`, else `$HOME/.cargo`): its registry cache answers the compiled
    /// view offline.
    pub cargo_home: Option<PathBuf>,
    /// The rustc flags cargo would pass (`CARGO_ENCODED_RUSTFLAGS`, split on `\x1f`, else
    /// `RUSTFLAGS`, split on whitespace): their `--cfg` flags count in the compiled view.
    pub rustflags: Vec<String>,
    /// `CHAINWARD_DATABASE_URL`: the inventory database (a PostgreSQL URL or a SQLite path).
    pub database_url: Option<String>,
    /// chainward's data directory: `CHAINWARD_DATA_DIR`, else the platform data directory (the
    /// default inventory lives there).
    pub data_dir: Option<PathBuf>,
    /// `GITHUB_ACTIONS=true`: running in GitHub Actions.
    pub github_actions: bool,
    /// `GITHUB_STEP_SUMMARY`: where the job summary (Markdown) is appended.
    pub github_step_summary: Option<PathBuf>,
    /// `GITHUB_OUTPUT`: where step outputs are appended.
    pub github_output: Option<PathBuf>,
}

impl Env {
    /// Where `db update` fetches from.
    pub fn update_config(&self, ecosystems: &[model::Ecosystem]) -> advisory::local::UpdateConfig {
        advisory::local::UpdateConfig {
            rustsec_url: self.rustsec_url.clone().unwrap_or_else(|| advisory::local::RUSTSEC_URL.to_owned()),
            osv_url: self.osv_url.clone().unwrap_or_else(|| advisory::local::OSV_URL.to_owned()),
            ecosystems: if ecosystems.is_empty() {
                advisory::local::DEFAULT_ECOSYSTEMS.to_vec()
            } else {
                ecosystems.to_vec()
            },
        }
    }

    /// Where registry metadata comes from: the public registries unless a `CHAINWARD_*_URL`
    /// variable names another, cached under `<cache>/registry`.
    pub fn registry_config(&self, offline: bool) -> registry::RegistryConfig {
        let now = time::OffsetDateTime::from(self.now.unwrap_or_else(std::time::SystemTime::now));
        let mut config = registry::RegistryConfig::public(self.cache_dir.as_ref().map(|d| d.join("registry")), now);
        let set = |slot: &mut String, value: &Option<String>| {
            if let Some(v) = value {
                slot.clone_from(v);
            }
        };
        set(&mut config.crates_io_index, &self.crates_io_index_url);
        set(&mut config.crates_io_api, &self.crates_io_api_url);
        set(&mut config.npm, &self.npm_registry_url);
        set(&mut config.pypi, &self.pypi_url);
        config.offline = offline;
        config
    }

    /// The cache directory, or the error saying how to set one.
    pub fn cache(&self) -> Result<&Path, Error> {
        self.cache_dir.as_deref().ok_or_else(|| Error::Usage("no cache directory: set CHAINWARD_CACHE_DIR".to_owned()))
    }
}

/// Where a run writes: the report to `stdout`, diagnostics to `stderr`.
pub struct Output<'a> {
    /// Report stream.
    pub stdout: &'a mut dyn Write,
    /// Diagnostics stream.
    pub stderr: &'a mut dyn Write,
    /// Whether `stderr` is a terminal (progress bars only there).
    pub stderr_is_terminal: bool,
}

impl Output<'_> {
    /// `error: MESSAGE` on stderr, always: one line, every control or format character shown as
    /// its escape, clipped ([`sanitize::diagnostic`]). Messages carry text from lockfiles,
    /// policy files, SBOMs and databases, and GitHub's runner reads workflow commands
    /// (`::add-mask::`) at the start of any line of stderr too.
    pub fn error(&mut self, message: &str) {
        let _ = writeln!(self.stderr, "error: {}", sanitize::diagnostic(message));
    }

    /// `warning: MESSAGE` on stderr, sanitised like [`Output::error`], unless `quiet`.
    pub fn warning(&mut self, quiet: bool, message: &str) {
        if !quiet {
            let _ = writeln!(self.stderr, "warning: {}", sanitize::diagnostic(message));
        }
    }

    /// An informational line on stderr (progress steps, `-v` figures), sanitised.
    pub fn info(&mut self, message: &str) {
        let _ = writeln!(self.stderr, "{}", sanitize::diagnostic(message));
    }
}

/// Run a parsed command line.
pub fn run(cli: &Cli, env: &Env, out: &mut Output<'_>) -> ExitStatus {
    let result = match &cli.command {
        Command::Sbom(args) => commands::sbom::run(cli, args, env, out),
        Command::Scan(args) => commands::scan::run(cli, args, env, out),
        Command::Diff(args) => commands::diff::run(cli, args, env, out),
        Command::History(args) => commands::history::run(cli, args, env, out),
        Command::Db(args) => commands::db::run(cli, args, env, out),
        Command::Inventory(args) => commands::inventory::run(cli, args, env, out),
    };
    match result {
        Ok(status) => status,
        Err(e) => {
            out.error(&e.to_string());
            let mut source = std::error::Error::source(&e);
            while let Some(cause) = source {
                let _ = writeln!(out.stderr, "  caused by: {}", sanitize::diagnostic(&cause.to_string()));
                source = cause.source();
            }
            ExitStatus::Error
        }
    }
}
