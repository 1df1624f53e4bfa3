//! The policy file (`chainward.toml`): parsing, errors with their lines, robustness, and the
//! CycloneDX `vulnerabilities` (VEX) built from findings and ignores.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use chainward::config::{self, Config, ConfigError};
use chainward::policy::{Deny, FailOn};
use time::macros::date;

fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata").join(rel)
}

fn parse(text: &str) -> Result<Config, ConfigError> {
    config::parse("chainward.toml", text)
}

fn error(text: &str) -> ConfigError {
    match parse(text) {
        Ok(c) => panic!("expected an error, got {c:?}\n---\n{text}"),
        Err(e) => e,
    }
}

#[test]
fn valid_file_loads() {
    let c = config::load(&testdata("config/valid.toml")).unwrap();
    assert!(c.path.ends_with("valid.toml"), "{}", c.path);
    assert_eq!(c.fail_on, Some(FailOn::High));
    assert_eq!(c.deny, Some(vec![Deny::Unmaintained, Deny::Unsound]));
    assert_eq!(c.exclude, ["vendor/**", "fuzz/Cargo.lock"]);
    assert_eq!(c.ignores.len(), 3);
    let i = &c.ignores[0];
    assert_eq!(i.id, "RUSTSEC-2020-0071");
    assert_eq!(i.package.as_deref(), Some("time"));
    assert_eq!(i.reason, "not reachable: we never call localtime");
    assert_eq!(i.until, Some(date!(2026 - 12 - 31)));
    assert_eq!(i.line, Some(6));
    assert_eq!(c.ignores[1].package_parts(), Some(("chrono", Some("0.4.19"))));
    assert_eq!(c.ignores[1].until, None);
    assert_eq!(c.ignores[1].line, Some(12));
    // A bare TOML date is accepted too.
    assert_eq!(c.ignores[2].until, Some(date!(2027 - 01 - 31)));
    assert_eq!(c.ignores[2].line, Some(17));
}

#[test]
fn empty_file_is_an_empty_policy() {
    let c = parse("").unwrap();
    assert_eq!(c.fail_on, None);
    assert_eq!(c.deny, None);
    assert!(c.exclude.is_empty() && c.ignores.is_empty());
    assert_eq!(parse("deny = []").unwrap().deny, Some(vec![]));
}

#[test]
fn missing_file_is_an_error_without_line() {
    let e = config::load(&testdata("config/does-not-exist.toml")).unwrap_err();
    assert_eq!(e.line, None);
    assert!(e.message.starts_with("cannot read"), "{e}");
    assert!(e.to_string().contains("does-not-exist.toml: cannot read"), "{e}");
}

/// (file, expected line, a fragment of the message)
const ERRORS: &[(&str, usize, &str)] = &[
    // invalid TOML
    ("fail-on = \"high\"\ndeny = [\n", 2, "unclosed array"),
    ("fail-on = \"high\"\n\n[[ignore]\nid = \"X\"\n", 3, ""),
    // unknown keys, top level and in an ignore
    ("fail-on = \"high\"\nfail_on = \"low\"\n", 2, "fail_on"),
    ("\n[[ignore]]\nid = \"X\"\nreason = \"r\"\nexpires = \"2026-01-01\"\n", 5, "expires"),
    // wrong types
    ("fail-on = 3\n", 1, ""),
    ("\ndeny = \"unmaintained\"\n", 2, ""),
    ("exclude = [\"a\",\n  1]\n", 2, ""),
    ("\n\n[[ignore]]\nid = 7\nreason = \"r\"\n", 4, ""),
    ("[[ignore]]\nid = \"X\"\nreason = \"r\"\nuntil = 20261231\n", 4, "until"),
    // bad values
    ("\nfail-on = \"severe\"\n", 2, "invalid fail-on `severe`"),
    ("deny = [\n  \"unmaintained\",\n  \"yanked\",\n]\n", 3, "invalid deny `yanked`"),
    // reason
    ("[[ignore]]\nid = \"X\"\nreason = \"r\"\n\n[[ignore]]\nid = \"RUSTSEC-2020-0071\"\n", 5, "no `reason`"),
    ("[[ignore]]\nid = \"X\"\nreason = \"  \"\n", 3, "empty `reason`"),
    // id
    ("fail-on = \"low\"\n[[ignore]]\nreason = \"r\"\n", 2, "id"),
    ("[[ignore]]\nid = \"\"\nreason = \"r\"\n", 2, "empty `id`"),
    // dates
    ("[[ignore]]\nid = \"X\"\nreason = \"r\"\nuntil = \"2026-02-30\"\n", 4, "invalid until"),
    ("[[ignore]]\nid = \"X\"\nreason = \"r\"\n\nuntil = \"next year\"\n", 5, "invalid until"),
    ("[[ignore]]\nid = \"X\"\nreason = \"r\"\nuntil = 2026-01-01T10:00:00Z\n", 4, "invalid until"),
    // globs
    ("exclude = [\n  \"ok/**\",\n  \"bad[\",\n]\n", 3, "invalid exclude pattern `bad[`"),
    ("exclude = [\"\"]\n", 1, "empty exclude"),
    // package
    ("[[ignore]]\nid = \"X\"\npackage = \"time@\"\nreason = \"r\"\n", 3, "invalid ignore package"),
];

#[test]
fn errors_name_the_line() {
    let mut wrong = Vec::new();
    for (text, line, fragment) in ERRORS {
        let e = error(text);
        assert_eq!(e.path, "chainward.toml");
        if e.line != Some(*line) || !e.message.contains(fragment) {
            wrong.push(format!("want line {line} and {fragment:?}, got `{e}`\n---\n{text}---"));
        }
        assert!(e.to_string().starts_with(&format!("chainward.toml:{}: ", e.line.unwrap_or(0))), "{e}");
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Truncations and byte flips of a valid file never panic, and whatever parses is valid.
#[test]
fn mutations_never_panic() {
    let text = std::fs::read_to_string(testdata("config/valid.toml")).unwrap();
    let bytes = text.as_bytes();
    let mut inputs = Vec::new();
    for end in 0..=bytes.len() {
        inputs.push(bytes[..end].to_vec());
    }
    for (i, _) in bytes.iter().enumerate() {
        for flip in [b'"', b'\n', b'[', b']', b'=', b'@', b'0', 0xff, b'x', b' '] {
            let mut m = bytes.to_vec();
            m[i] = flip;
            inputs.push(m);
        }
        let mut m = bytes.to_vec();
        m.remove(i);
        inputs.push(m);
    }
    for input in inputs {
        let text = String::from_utf8_lossy(&input);
        match parse(&text) {
            Ok(c) => {
                for i in &c.ignores {
                    assert!(!i.id.is_empty() && !i.reason.is_empty(), "{i:?}");
                }
            }
            Err(e) => {
                let lines = text.lines().count().max(1);
                if let Some(l) = e.line {
                    assert!((1..=lines + 1).contains(&l), "line {l} of {lines}: {e}");
                }
            }
        }
    }
}
