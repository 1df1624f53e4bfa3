//! `--format json`: the report as the documented JSON contract.

use super::Report;

/// The report as pretty JSON, with a trailing newline.
pub fn render(report: &Report) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = serde_json::to_vec_pretty(report)?;
    out.push(b'\n');
    Ok(crate::sanitize::json_output(out))
}
