//! The `chainward` binary: parse arguments, read the environment, run, map the exit status.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = chainward::cli::Cli::parse();
    let cache_dir = std::env::var_os("CHAINWARD_CACHE_DIR")
        .filter(|d| !d.is_empty())
        .map(std::path::PathBuf::from)
        .or_else(|| directories::ProjectDirs::from("", "", "chainward").map(|d| d.cache_dir().to_path_buf()));
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let now = match var("CHAINWARD_NOW") {
        Some(t) => match time::OffsetDateTime::parse(&t, &time::format_description::well_known::Rfc3339) {
            Ok(t) => Some(std::time::SystemTime::from(t)),
            Err(e) => {
                let _ = writeln!(std::io::stderr(), "error: CHAINWARD_NOW must be an RFC 3339 time, got `{t}`: {e}");
                return ExitCode::from(chainward::ExitStatus::Error.code());
            }
        },
        None => None,
    };
    let env = chainward::Env {
        source_date_epoch: var("SOURCE_DATE_EPOCH"),
        cache_dir,
        rustsec_url: var("CHAINWARD_RUSTSEC_URL"),
        osv_url: var("CHAINWARD_OSV_URL"),
        now,
        crates_io_index_url: var("CHAINWARD_CRATES_IO_INDEX_URL"),
        crates_io_api_url: var("CHAINWARD_CRATES_IO_API_URL"),
        npm_registry_url: var("CHAINWARD_NPM_REGISTRY_URL"),
        pypi_url: var("CHAINWARD_PYPI_URL"),
        github_actions: var("GITHUB_ACTIONS").is_some_and(|v| v == "true"),
        github_step_summary: std::env::var_os("GITHUB_STEP_SUMMARY").filter(|v| !v.is_empty()).map(Into::into),
        github_output: std::env::var_os("GITHUB_OUTPUT").filter(|v| !v.is_empty()).map(Into::into),
    };
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let mut stdout = BrokenPipeOk(stdout.lock());
    let stderr_is_terminal = std::io::IsTerminal::is_terminal(&stderr);
    let mut stderr = stderr.lock();
    let status = chainward::run(
        &cli,
        &env,
        &mut chainward::Output { stdout: &mut stdout, stderr: &mut stderr, stderr_is_terminal },
    );
    let _ = stdout.flush();
    ExitCode::from(status.code())
}

/// A writer that treats a closed pipe (`chainward sbom | head`) as success.
struct BrokenPipeOk<W>(W);

impl<W: Write> Write for BrokenPipeOk<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.0.write(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(buf.len()),
            other => other,
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self.0.flush() {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            other => other,
        }
    }
}

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
