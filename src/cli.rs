//! Command-line arguments (clap derive). Flags named here are a public interface: users'
//! scripts depend on them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::policy::{Deny, FailOn};
use crate::sbom::{SbomFormat, SpecVersion};

/// chainward: software supply-chain scanner.
#[derive(Debug, Parser)]
#[command(name = "chainward", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// Print only errors (no warnings).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Also print what was read (lockfiles, package counts, timings) to stderr.
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Match every package of every lockfile under PATH (or of a CycloneDX JSON SBOM) against
    /// advisory databases.
    Scan(Deferred<ScanArgs>),
    /// Export a CycloneDX SBOM of every lockfile under PATH (one document, every package once).
    Sbom(Deferred<SbomArgs>),
    /// What changed between two git revisions (HEAD: the work tree when omitted): packages
    /// added, removed and updated per lockfile, each with its findings.
    Diff(Deferred<DiffArgs>),
    /// The dependency timeline of a repository from its git history: every version of every
    /// package each lockfile ever had, who brought it in and when, and the advisories that
    /// affected it while it was there.
    History(Deferred<HistoryArgs>),
    /// The local advisory database: `update`, `status`, `path`.
    Db(Deferred<DbArgs>),
    /// The fleet inventory: store many projects' dependency graphs (SQLite by default, or a
    /// shared PostgreSQL) and ask which projects contain a package or are affected by an
    /// advisory.
    Inventory(Deferred<InventoryArgs>),
}

/// A subcommand's arguments, added to its `clap::Command` only once that subcommand is the one
/// parsed (or its help is shown): building every subcommand's arguments at each start cost more
/// than parsing the command line. Reads as the arguments themselves (`Deref`).
#[derive(Debug)]
pub struct Deferred<T>(pub T);

impl<T> std::ops::Deref for Deferred<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: clap::FromArgMatches> clap::FromArgMatches for Deferred<T> {
    fn from_arg_matches(matches: &clap::ArgMatches) -> Result<Self, clap::Error> {
        T::from_arg_matches(matches).map(Deferred)
    }

    fn from_arg_matches_mut(matches: &mut clap::ArgMatches) -> Result<Self, clap::Error> {
        T::from_arg_matches_mut(matches).map(Deferred)
    }

    fn update_from_arg_matches(&mut self, matches: &clap::ArgMatches) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches(matches)
    }

    fn update_from_arg_matches_mut(&mut self, matches: &mut clap::ArgMatches) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches_mut(matches)
    }
}

impl<T: Args> Args for Deferred<T> {
    fn group_id() -> Option<clap::Id> {
        T::group_id()
    }

    fn augment_args(cmd: clap::Command) -> clap::Command {
        cmd.defer(|cmd| keep_about(cmd, T::augment_args))
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        cmd.defer(|cmd| keep_about(cmd, T::augment_args_for_update))
    }
}

/// `augment` applied to `cmd` keeping the help text the subcommand's variant gave it: the
/// arguments' struct has its own, which the variant's replaced when the arguments were added
/// first.
fn keep_about(cmd: clap::Command, augment: fn(clap::Command) -> clap::Command) -> clap::Command {
    let about = cmd.get_about().cloned();
    let long_about = cmd.get_long_about().cloned();
    let cmd = augment(cmd);
    if about.is_none() && long_about.is_none() {
        return cmd;
    }
    let text = |t: Option<clap::builder::StyledStr>| {
        t.map_or(clap::builder::Resettable::Reset, clap::builder::Resettable::Value)
    };
    cmd.about(text(about)).long_about(text(long_about))
}

/// Report formats of `inventory` queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InventoryFormat {
    /// A table, for terminals.
    Table,
    /// JSON (its fields: docs/inventory.md).
    Json,
    /// Markdown.
    Markdown,
}

/// `chainward inventory`.
#[derive(Debug, Args)]
pub struct InventoryArgs {
    /// The inventory: a PostgreSQL URL (`postgres://user@host/db`), a SQLite file (`PATH` or
    /// `sqlite:PATH`). Default: `CHAINWARD_DATABASE_URL`, else `inventory.sqlite` in chainward's
    /// data directory.
    #[arg(long, global = true, value_name = "URL|PATH")]
    pub database: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub command: InventoryCommand,
}

/// `chainward inventory` subcommands.
#[derive(Debug, Subcommand)]
pub enum InventoryCommand {
    /// Resolve PATHs (directories or lockfiles) or read CycloneDX JSON SBOMs (chainward's,
    /// cdxgen's, Syft's, Trivy's) and store them as one revision of a project, replacing that
    /// revision when it is stored already.
    Add(InventoryAddArgs),
    /// The projects and revisions containing a package, directly or not, each with one shortest
    /// dependency path.
    WhoUses(WhoUsesArgs),
    /// Match every stored package against the advisory databases (each package once) and list
    /// the affected projects.
    Affected(AffectedArgs),
    /// Every project, with its newest revision.
    Projects(InventoryOutputArgs),
    /// A project's stored revisions.
    Show(ShowArgs),
}

/// Output options of `inventory` queries.
#[derive(Debug, Args, Clone)]
pub struct InventoryOutputArgs {
    /// Report format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: InventoryFormat,
    /// Write the report to FILE instead of stdout (`-` is stdout).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `chainward inventory add`.
#[derive(Debug, Args)]
pub struct InventoryAddArgs {
    /// Directories or lockfiles to resolve, or CycloneDX JSON SBOMs; several make one revision.
    #[arg(default_value = ".")]
    pub inputs: Vec<PathBuf>,
    /// The project's name.
    #[arg(long, value_name = "NAME")]
    pub project: String,
    /// The revision (default: the commit id of HEAD of the git repository containing the first
    /// input).
    #[arg(long, value_name = "REV")]
    pub revision: Option<String>,
    /// Keep only the N newest revisions of the project (the others are removed).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub keep: Option<u32>,
    /// Skip lockfiles whose path (relative to PATH) matches GLOB. Repeatable.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Also read files matching GLOB as pip requirements files (see `scan --requirements`).
    #[arg(long, value_name = "GLOB")]
    pub requirements: Vec<String>,
}

/// `chainward inventory who-uses`.
#[derive(Debug, Args)]
pub struct WhoUsesArgs {
    /// `NAME`, `NAME@VERSION`, or `NAME@RANGE` (`serde@>=1.0.100,<1.0.200`; comparators `=`,
    /// `!=`, `<`, `<=`, `>`, `>=`).
    #[arg(value_name = "NAME[@VERSION|@RANGE]")]
    pub package: String,
    /// Only packages of this ecosystem (`crates.io`, `npm`, `PyPI`, `Go`, `RubyGems`,
    /// `Packagist`, `Maven`).
    #[arg(long, value_parser = parse_ecosystem)]
    pub ecosystem: Option<crate::model::Ecosystem>,
    /// Only each project's newest revision.
    #[arg(long)]
    pub latest: bool,
    /// Output options.
    #[command(flatten)]
    pub output: InventoryOutputArgs,
}

/// `chainward inventory affected`.
#[derive(Debug, Args)]
pub struct AffectedArgs {
    /// Only these advisories (any id or alias); default: every advisory.
    #[arg(value_name = "ID")]
    pub ids: Vec<String>,
    /// Only advisories modified at or after DATE (`YYYY-MM-DD` in UTC, an RFC 3339 time, or
    /// `today`/`yesterday` in UTC).
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// An advisory database (see `scan --db`). Repeatable.
    #[arg(long, value_name = "PATH")]
    pub db: Vec<PathBuf>,
    /// Never refresh the local advisory database.
    #[arg(long)]
    pub offline: bool,
    /// Exit 1 when a finding is at or above this severity [default: low].
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Also fail on these informational kinds (comma-separated).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub deny: Vec<Deny>,
    /// Only each project's newest revision.
    #[arg(long)]
    pub latest: bool,
    /// Output options.
    #[command(flatten)]
    pub output: InventoryOutputArgs,
}

/// `chainward inventory show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The project.
    pub project: String,
    /// Output options.
    #[command(flatten)]
    pub output: InventoryOutputArgs,
}

/// Report formats of `history`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum HistoryFormat {
    /// Findings with their exposure windows, then a timeline per package (newest first).
    Table,
    /// The JSON report (its fields: docs/history.md).
    Json,
    /// The same as the table, in Markdown.
    Markdown,
}

/// `chainward history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// A directory inside a git repository (or the repository itself, bare or not): the
    /// lockfiles below it are followed.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Walk the ancestry of this revision.
    #[arg(long, value_name = "REV", default_value = "HEAD")]
    pub rev: String,
    /// Only this package (`NAME` or `NAME@VERSION`): was it ever present, where, from when to when.
    #[arg(long, value_name = "NAME[@VERSION]")]
    pub package: Option<String>,
    /// Only report what was present at or after DATE (`YYYY-MM-DD` or RFC 3339) or after REV
    /// (commits reachable from REV are before the window).
    #[arg(long, value_name = "DATE|REV")]
    pub since: Option<String>,
    /// End the walk at DATE (the last commit of the first-parent line of --rev at or before it)
    /// or at REV (an ancestor of --rev).
    #[arg(long, value_name = "DATE|REV")]
    pub until: Option<String>,
    /// Only lockfiles whose path (relative to PATH) matches GLOB; a pattern without `/` matches
    /// at any depth. Repeatable.
    #[arg(long = "path", value_name = "GLOB")]
    pub paths: Vec<String>,
    /// Only findings of this advisory (any id or alias): were we ever affected by it?
    #[arg(long, value_name = "ID", conflicts_with = "no_advisories")]
    pub advisory: Option<String>,
    /// An advisory database (see `scan --db`). Repeatable.
    #[arg(long, value_name = "PATH")]
    pub db: Vec<PathBuf>,
    /// Never refresh the local advisory database.
    #[arg(long)]
    pub offline: bool,
    /// Do not match advisories at all (the timeline, checksum drift and source changes only).
    #[arg(long)]
    pub no_advisories: bool,
    /// Report format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: HistoryFormat,
    /// Write the report to FILE instead of stdout (`-` is stdout).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit 1 when a finding is at or above this severity [default: low, or `fail-on` of the
    /// policy file].
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Also fail on these informational kinds (comma-separated).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub deny: Vec<Deny>,
    /// Skip lockfiles whose path (relative to PATH) matches GLOB. Repeatable.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Also read files matching GLOB as pip requirements files (see `scan --requirements`).
    #[arg(long, value_name = "GLOB")]
    pub requirements: Vec<String>,
    /// The policy file (default: `chainward.toml` at PATH in the work tree, when there is one).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Do not read or write the walk cache (under the cache directory).
    #[arg(long)]
    pub no_cache: bool,
}

/// `chainward sbom`.
#[derive(Debug, Args)]
#[expect(clippy::struct_excessive_bools, reason = "independent command-line switches")]
pub struct SbomArgs {
    /// A directory to walk (honouring .gitignore, skipping target/), or one Cargo.lock. With
    /// --rev: a directory of a git repository (or a bare repository), or one lockfile.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// The SBOM of this revision (a branch, a tag, a commit id, `HEAD~3`) of the repository
    /// containing PATH, read from git objects: nothing is checked out or run. The policy file
    /// is the revision's `chainward.toml`, and the document records the commit
    /// (`chainward:git-commit`, `chainward:git-revision`).
    #[arg(long, value_name = "REV", conflicts_with = "cargo_metadata")]
    pub rev: Option<String>,
    /// CycloneDX specification version.
    #[arg(long, value_enum, default_value = "1.6")]
    pub spec_version: SpecVersion,
    /// Output encoding.
    #[arg(long, value_enum, default_value = "json")]
    pub format: SbomFormat,
    /// Write the SBOM to FILE instead of stdout (atomically: a temporary file, then rename); `-`
    /// is stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Skip lockfiles whose path (relative to PATH) matches GLOB; a pattern without `/` matches
    /// at any depth. Repeatable.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Also read files whose path (relative to PATH) matches GLOB as pip requirements files
    /// (`requirements*.txt` and `requirements/*.txt` are read without it); a pattern without `/`
    /// matches at any depth. Repeatable; adds to `requirements` of `chainward.toml`.
    #[arg(long, value_name = "GLOB")]
    pub requirements: Vec<String>,
    /// Reproducible output: serial number derived from the content (also implied by
    /// `SOURCE_DATE_EPOCH`, which sets the timestamp).
    #[arg(long)]
    pub deterministic: bool,
    /// Write an SBOM of what could be read even when some lockfiles or manifests could not; the
    /// document says what is missing (compositions and `chainward:missing` properties). The exit
    /// code is still 2.
    #[arg(long)]
    pub allow_partial: bool,
    /// Add a CycloneDX `vulnerabilities` section (VEX): every advisory affecting a component,
    /// with the policy file's ignores as `analysis` (JSON only).
    #[arg(long)]
    pub vex: bool,
    /// With --vex: an advisory database (see `scan --db`). Repeatable.
    #[arg(long, value_name = "PATH", requires = "vex")]
    pub db: Vec<PathBuf>,
    /// Never touch the network: with --vex, the local advisory database as it is; with the
    /// compiled view (--target, --features, ...), crate metadata from cargo's and chainward's
    /// caches only.
    #[arg(long)]
    pub offline: bool,
    /// With --vex: the policy file (default: `chainward.toml` at the root of PATH, at the
    /// revision with --rev).
    #[arg(long, value_name = "FILE", requires = "vex")]
    pub config: Option<PathBuf>,
    /// Add licenses, descriptions, authors and repository URLs by running `cargo metadata
    /// --offline --locked` (opt-in: runs cargo, which reads the repository's `.cargo/config.toml`;
    /// use it only on repositories you trust).
    #[arg(long)]
    pub cargo_metadata: bool,
    /// Which Rust crates are compiled (`chainward:compiled` and `chainward:compiled-reason`
    /// properties, `scope` from the status): decided when one of these options is given.
    #[command(flatten)]
    pub compiled: CompiledArgs,
}

/// Report formats of `scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// Findings grouped by severity, for terminals.
    Table,
    /// The JSON report (its fields: docs/reports.md).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
    /// A compact Markdown summary, for pull requests.
    Markdown,
}

/// `chainward scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// A directory to walk, one Cargo.lock, or a CycloneDX JSON SBOM.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Report only what is new since REV: findings whose (id, package, version) are not
    /// present at REV, and the packages the change added, removed or updated. Read from git
    /// objects; nothing is checked out.
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,
    /// Scan the files of this revision instead of the work tree.
    #[arg(long, value_name = "REV", conflicts_with = "staged")]
    pub head: Option<String>,
    /// Scan the staged index (what `git commit` would record) instead of the work tree.
    #[arg(long)]
    pub staged: bool,
    /// Options shared by `scan` and `diff`.
    #[command(flatten)]
    pub common: CommonScanArgs,
}

/// `chainward diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The base revision.
    pub base: String,
    /// The head revision (default: the work tree).
    pub head: Option<String>,
    /// The directory to compare (inside a git repository).
    #[arg(long, default_value = ".")]
    pub path: PathBuf,
    /// Options shared by `scan` and `diff`.
    #[command(flatten)]
    pub common: CommonScanArgs,
}

/// Options `scan` and `diff` share.
#[derive(Debug, Args, Clone)]
#[expect(clippy::struct_excessive_bools, reason = "independent command-line switches")]
pub struct CommonScanArgs {
    /// An advisory database: a RustSec advisory-db directory, a directory of OSV JSON files, or
    /// an OSV zip (osv.dev's per-ecosystem `all.zip` layout). Repeatable. Compiled once into an
    /// index in the cache, reused while the database is unchanged: a directory is checked by the
    /// modification times of its directories (what git, rsync and tar change), so a file
    /// rewritten in place is not seen until its directory changes (touch it).
    #[arg(long, value_name = "PATH")]
    pub db: Vec<PathBuf>,
    /// Report format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: ReportFormat,
    /// Write the report to FILE instead of stdout (`-` is stdout).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit 1 when a finding is at or above this severity [default: low, or `fail-on` of the
    /// policy file].
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Also fail on these informational kinds (comma-separated).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub deny: Vec<Deny>,
    /// Skip lockfiles whose path (relative to PATH) matches GLOB. Repeatable.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Also read files whose path (relative to PATH) matches GLOB as pip requirements files
    /// (`requirements*.txt` and `requirements/*.txt` are read without it); a pattern without `/`
    /// matches at any depth. Repeatable; adds to `requirements` of `chainward.toml`.
    #[arg(long, value_name = "GLOB")]
    pub requirements: Vec<String>,
    /// Never touch the network: use the local database as it is, even when it is stale, and
    /// registry metadata from the cache only.
    #[arg(long)]
    pub offline: bool,
    /// Do not look up registry metadata: no maintainer-change, ownership-change, provenance,
    /// fresh-release, install-script, yanked or checksum-mismatch rules (the diff-mode rules
    /// source-change and checksum-drift still run).
    #[arg(long)]
    pub no_registry: bool,
    /// The policy file (default: `chainward.toml` at the root of PATH, when there is one).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// In GitHub Actions: also print an `::error`/`::warning` workflow command per finding.
    #[arg(long)]
    pub annotate: bool,
    /// Which Rust crates are compiled: the build configuration to decide for.
    #[command(flatten)]
    pub compiled: CompiledArgs,
    /// Move findings in Rust crates that are not compiled for the selected targets and features
    /// (status `no`) to the report's `not_compiled` section, out of the exit code (also
    /// `compiled-only = true` in the policy file).
    #[arg(long)]
    pub compiled_only: bool,
    /// Move findings in Rust crates compiled only by `cargo test` (status `dev`) to the report's
    /// `not_compiled` section, out of the exit code.
    #[arg(long)]
    pub no_dev: bool,
}

/// The build configuration the compiled view decides for: cargo's own flags, same spelling.
#[derive(Debug, Args, Clone, Default)]
pub struct CompiledArgs {
    /// Rust: decide which crates are compiled for this target triple (repeatable; default the
    /// host; `all`: every `[target]` table counts, as without the compiled view).
    #[arg(long, value_name = "TRIPLE")]
    pub target: Vec<String>,
    /// Rust: features to activate on the selected members (comma or space separated;
    /// `member/feature` for one member). Repeatable.
    #[arg(long, short = 'F', value_name = "FEATURES")]
    pub features: Vec<String>,
    /// Rust: activate every feature of the selected members.
    #[arg(long)]
    pub all_features: bool,
    /// Rust: do not activate the selected members' `default` feature.
    #[arg(long)]
    pub no_default_features: bool,
    /// Rust: the workspace members to decide for (default: every member). Repeatable.
    #[arg(long = "package", short = 'p', value_name = "NAME")]
    pub package: Vec<String>,
    /// Rust: decide as `cargo test` resolves (dev-dependencies' features unified in) instead of
    /// `cargo build`; either way what only `cargo test` compiles has status `dev`.
    #[arg(long)]
    pub tests: bool,
}

impl CompiledArgs {
    /// Whether any of the options was given (`sbom` decides statuses only then).
    pub fn any(&self) -> bool {
        !self.target.is_empty()
            || !self.features.is_empty()
            || self.all_features
            || self.no_default_features
            || !self.package.is_empty()
            || self.tests
    }
}

/// `chainward db`.
#[derive(Debug, Args)]
pub struct DbArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: DbCommand,
}

/// `chainward db` subcommands.
#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Clone or fast-forward the RustSec advisory-db and download OSV exports.
    Update {
        /// OSV ecosystems to download (comma-separated; default: crates.io,PyPI,Go).
        #[arg(long, value_delimiter = ',', value_parser = parse_ecosystem)]
        ecosystem: Vec<crate::model::Ecosystem>,
    },
    /// Each source of the local database, its record count and its age.
    Status,
    /// Print the local database's directory.
    Path,
}

fn parse_ecosystem(s: &str) -> Result<crate::model::Ecosystem, String> {
    crate::model::Ecosystem::from_osv(s).ok_or_else(|| {
        let known: Vec<&str> = crate::model::Ecosystem::ALL.iter().map(|e| e.as_str()).collect();
        format!("unknown ecosystem `{s}` (known: {})", known.join(", "))
    })
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::Cli;

    #[test]
    fn the_command_line_definition_is_consistent_with_every_subcommand_built() {
        Cli::command().debug_assert();
    }

    /// Each subcommand's arguments are added when it is parsed: its help still opens with the
    /// text of its variant, and its options parse.
    #[test]
    fn a_deferred_subcommand_keeps_its_help_and_its_options() {
        for (args, first) in [
            (&["chainward", "scan", "--help"][..], "Match every package of every lockfile under PATH"),
            (&["chainward", "sbom", "--help"][..], "Export a CycloneDX SBOM of every lockfile under PATH"),
            (&["chainward", "db", "--help"][..], "The local advisory database"),
            (&["chainward", "inventory", "--help"][..], "The fleet inventory"),
            (&["chainward", "help", "diff"][..], "What changed between two git revisions"),
        ] {
            let help = Cli::try_parse_from(args).expect_err("help is an early exit").to_string();
            assert!(help.starts_with(first), "{args:?}: {help}");
            assert!(help.contains("Usage: chainward "), "{args:?}: {help}");
        }
        let cli = Cli::try_parse_from(["chainward", "-q", "scan", "--offline", "some/dir"]).unwrap();
        let super::Command::Scan(scan) = &cli.command else { panic!("{cli:?}") };
        assert!(cli.quiet && scan.common.offline, "{cli:?}");
        let err = Cli::try_parse_from(["chainward", "scan", "--no-such-flag"]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::UnknownArgument);
    }
}
