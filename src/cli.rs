//! Command-line arguments (clap derive). Flags named here are a public interface: users'
//! scripts depend on them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

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
    /// Export a CycloneDX SBOM of every lockfile under PATH (one document, every package once).
    Sbom(SbomArgs),
}

/// `chainward sbom`.
#[derive(Debug, Args)]
pub struct SbomArgs {
    /// A directory to walk (honouring .gitignore, skipping target/), or one Cargo.lock.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// CycloneDX specification version.
    #[arg(long, value_enum, default_value = "1.6")]
    pub spec_version: SpecVersion,
    /// Output encoding.
    #[arg(long, value_enum, default_value = "json")]
    pub format: SbomFormat,
    /// Write the SBOM to FILE instead of stdout (atomically: a temporary file, then rename).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Skip lockfiles whose path (relative to PATH) matches GLOB; a pattern without `/` matches
    /// at any depth. Repeatable.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Reproducible output: serial number derived from the content (also implied by
    /// `SOURCE_DATE_EPOCH`, which sets the timestamp).
    #[arg(long)]
    pub deterministic: bool,
    /// Write an SBOM of what could be read even when some lockfiles or manifests could not; the
    /// document says what is missing (compositions and `chainward:missing` properties). The exit
    /// code is still 2.
    #[arg(long)]
    pub allow_partial: bool,
    /// Add licenses, descriptions, authors and repository URLs by running `cargo metadata
    /// --offline --locked` (opt-in: runs cargo, which reads the repository's `.cargo/config.toml`;
    /// use it only on repositories you trust).
    #[arg(long)]
    pub cargo_metadata: bool,
}
