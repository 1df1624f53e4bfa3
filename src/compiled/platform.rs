//! `[target.'cfg(...)'.dependencies]` and `[target.TRIPLE.dependencies]` evaluated for one
//! target triple, answering as cargo does.
//!
//! Cargo matches a dependency's `target` against the output of `rustc --print cfg --target T`
//! (`cargo-platform`'s `Platform::matches`): a `cfg(...)` expression is true when its predicates
//! are among the printed ones; any other string must equal the triple. Here the printed set comes
//! from `cfg-expr`'s table of rustc's builtin targets instead of running rustc:
//!
//! - target predicates (`target_os`, `target_arch`, `target_env`, `target_vendor`,
//!   `target_family` and bare `unix`/`windows`, `target_pointer_width`, `target_endian`,
//!   `target_has_atomic`, `target_abi`, `panic`) from the target's `TargetInfo`;
//! - `debug_assertions` is true (rustc prints it without `-O`, and cargo asks without);
//! - `test`, `proc_macro`, `feature = "..."` and any other name or `key = "value"` (custom
//!   `--cfg` flags such as `tokio_unstable`) are false: rustc prints none of them unless
//!   `RUSTFLAGS` adds them, which a static reading cannot know; `true`/`false` are literals;
//! - `target_feature = "..."`: rustc prints the target's default features, which `cfg-expr`
//!   does not know. The baselines every hosted `x86_64` target has (`fxsr`, `sse`, `sse2`)
//!   and every `aarch64` target but the soft-float ones has (`neon`) are true; any other
//!   feature is [`Match::Unknown`].
//!
//! Anything that cannot be decided (an expression that does not parse, one longer than
//! [`MAX_CFG_LEN`], an unknown `target_feature` that decides the result) is
//! [`Match::Unknown`] with the reason: the caller counts the dependency as active, with a note.

use cfg_expr::targets::{Arch, TargetInfo};
use cfg_expr::{Expression, Predicate, TargetPredicate};

/// The target triple chainward was built for: what cargo builds for by default on this machine.
pub const HOST_TRIPLE: &str = env!("CHAINWARD_HOST_TRIPLE");

/// Longest `cfg(...)` string evaluated; a longer one is [`Match::Unknown`]. Real ones are well
/// under 200 bytes; the bound also keeps `cfg-expr`'s nesting counter (a `u8`) from overflowing.
pub const MAX_CFG_LEN: usize = 1024;

/// One target triple that `cfg(...)` expressions are evaluated for.
#[derive(Debug, Clone)]
pub struct Platform {
    info: &'static TargetInfo,
    /// `--cfg` flags the build passes (`RUSTFLAGS`, `.cargo/config.toml`): `name`, or
    /// `key="value"` as (key, Some(value)).
    cfgs: Vec<(String, Option<String>)>,
}

impl PartialEq for Platform {
    fn eq(&self, other: &Self) -> bool {
        self.triple() == other.triple()
    }
}

impl Eq for Platform {}

impl Platform {
    /// The platform of a builtin rustc target triple (`x86_64-unknown-linux-gnu`). An unknown
    /// triple (a custom target JSON, a typo, one newer than `cfg-expr`'s table) is an error
    /// naming it.
    pub fn new(triple: &str) -> Result<Platform, String> {
        match cfg_expr::targets::get_builtin_target_by_triple(triple) {
            Some(info) => Ok(Platform { info, cfgs: Vec::new() }),
            None => Err(format!(
                "unknown target triple `{}`: not one of rustc's builtin targets (as of rustc {})",
                crate::sanitize::value(triple),
                cfg_expr::targets::rustc_version()
            )),
        }
    }

    /// The platform chainward was built for ([`HOST_TRIPLE`]): cargo's default target on this
    /// machine. An error only if the build target is missing from `cfg-expr`'s table.
    pub fn host() -> Result<Platform, String> {
        Platform::new(HOST_TRIPLE)
    }

    /// The same platform with `--cfg` flags set (`tokio_unstable`, `key="value"`), as
    /// [`parse_cfg_flags`] reads them.
    #[must_use]
    pub fn with_cfgs(mut self, cfgs: Vec<(String, Option<String>)>) -> Platform {
        self.cfgs = cfgs;
        self
    }

    /// The target triple.
    pub fn triple(&self) -> &'static str {
        self.info.triple.as_str()
    }

    /// `target_feature = "name"`, as `rustc --print cfg` would answer for this target without
    /// `-C target-feature`/`-C target-cpu`: `Some` for the baseline features known for sure,
    /// `None` otherwise.
    fn target_feature(&self, name: &str) -> Option<bool> {
        let info = self.info;
        let arch = &info.arch;
        if *arch == Arch::x86_64 {
            // Every hosted x86_64 target prints fxsr, sse and sse2; the bare-metal ones
            // (`x86_64-unknown-none`, `-uefi`, `-trusty`) are soft-float and differ.
            let bare = info.os.as_ref().is_none_or(|os| matches!(os.as_str(), "none" | "uefi" | "trusty"));
            if !bare && matches!(name, "fxsr" | "sse" | "sse2") {
                return Some(true);
            }
        } else if *arch == Arch::aarch64 {
            // Every aarch64 target prints neon but the `*-softfloat` ones.
            let soft =
                self.triple().ends_with("-softfloat") || info.abi.as_ref().is_some_and(|a| a.as_str() == "softfloat");
            if !soft && name == "neon" {
                return Some(true);
            }
        }
        None
    }

    /// One predicate's value: `Some(true)`/`Some(false)`, or `None` when unknown.
    fn predicate(&self, pred: &Predicate<'_>) -> Option<bool> {
        match pred {
            Predicate::Target(tp) => Some(target_matches(self.info, tp)),
            Predicate::DebugAssertions => Some(true),
            Predicate::Test | Predicate::ProcMacro | Predicate::Feature(_) => Some(false),
            Predicate::KeyValue { key, val } => {
                Some(self.cfgs.iter().any(|(k, v)| k == key && v.as_deref() == Some(*val)))
            }
            Predicate::Flag(flag) => Some(*flag == "true" || self.cfgs.iter().any(|(k, v)| k == flag && v.is_none())),
            Predicate::TargetFeature(name) => self.target_feature(name),
        }
    }
}

fn target_matches(info: &TargetInfo, tp: &TargetPredicate) -> bool {
    use cfg_expr::expr::TargetMatcher as _;
    info.matches(tp)
}

/// Whether a dependency's `target` applies to a platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match {
    /// It applies: the dependency is declared for this platform.
    Yes,
    /// It does not.
    No,
    /// It cannot be decided statically; the reason says why (the expression is not shown: it
    /// is the caller's to quote, sanitised).
    Unknown(String),
}

/// Evaluate a dependency's `target` key (`cfg(...)` or a triple) for `platform`, as cargo does.
pub fn matches(target: &str, platform: &Platform) -> Match {
    let Some(inner) = target.strip_prefix("cfg(") else {
        // cargo-platform: a name that is not `cfg(` is a triple, compared exactly.
        return if target == platform.triple() { Match::Yes } else { Match::No };
    };
    if target.len() > MAX_CFG_LEN {
        return Match::Unknown(format!(
            "the cfg expression is {} bytes long (at most {MAX_CFG_LEN} are read)",
            target.len()
        ));
    }
    if !inner.ends_with(')') {
        return Match::Unknown("the cfg expression does not end with `)`".to_owned());
    }
    // `cfg-expr` strips the one `cfg(`…`)` itself. Its parser is iterative; the length bound
    // above keeps its `u8` nesting counter in range. Contained anyway: it is a third-party
    // parser reading untrusted text.
    let evaluated = crate::panics::contain(|| -> Result<(Option<bool>, Option<String>), String> {
        let expr = Expression::parse(target).map_err(|e| format!("the cfg expression does not parse: {}", e.reason))?;
        let mut unknown: Option<String> = None;
        let value = expr.eval(|pred| {
            let v = platform.predicate(pred);
            if v.is_none()
                && unknown.is_none()
                && let Predicate::TargetFeature(name) = pred
            {
                unknown = Some(format!(
                    "target_feature = \"{}\" depends on the CPU and flags the build uses",
                    crate::sanitize::value(name)
                ));
            }
            v
        });
        Ok((value, unknown))
    });
    match evaluated {
        Ok(Ok((Some(true), _))) => Match::Yes,
        Ok(Ok((Some(false), _))) => Match::No,
        Ok(Ok((None, why))) => Match::Unknown(why.unwrap_or_else(|| "the cfg expression cannot be decided".to_owned())),
        Ok(Err(why)) | Err(why) => Match::Unknown(why),
    }
}

/// The `--cfg` flags of a list of rustc flags (`["--cfg", "tokio_unstable", "--cfg=loom",
/// "--cfg", "key=\"value\""]`): names, and key-value pairs with the value unquoted. At most
/// 256 are kept; anything else in the list is ignored.
pub fn parse_cfg_flags<'a>(flags: impl IntoIterator<Item = &'a str>) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    let mut next_is_cfg = false;
    for flag in flags {
        let spec = if next_is_cfg {
            next_is_cfg = false;
            flag
        } else if flag == "--cfg" {
            next_is_cfg = true;
            continue;
        } else if let Some(spec) = flag.strip_prefix("--cfg=") {
            spec
        } else {
            continue;
        };
        let cfg = match spec.split_once('=') {
            Some((key, value)) => {
                let value = value.trim().trim_matches('"');
                (key.trim().to_owned(), Some(value.to_owned()))
            }
            None => (spec.trim().to_owned(), None),
        };
        if !cfg.0.is_empty() && out.len() < 256 && !out.contains(&cfg) {
            out.push(cfg);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cfg_flags_from_rustflags_decide_custom_predicates() {
        let cfgs =
            parse_cfg_flags(["-C", "opt-level=3", "--cfg", "tokio_unstable", "--cfg=loom", "--cfg", "mode=\"fast\""]);
        assert_eq!(
            cfgs,
            [
                ("tokio_unstable".to_owned(), None),
                ("loom".to_owned(), None),
                ("mode".to_owned(), Some("fast".to_owned()))
            ]
        );
        let plain = Platform::new("x86_64-unknown-linux-gnu").unwrap();
        let flagged = plain.clone().with_cfgs(cfgs);
        for (expr, without, with) in [
            ("cfg(tokio_unstable)", Match::No, Match::Yes),
            ("cfg(not(loom))", Match::Yes, Match::No),
            ("cfg(mode = \"fast\")", Match::No, Match::Yes),
            ("cfg(mode = \"slow\")", Match::No, Match::No),
        ] {
            assert_eq!(matches(expr, &plain), without, "{expr}");
            assert_eq!(matches(expr, &flagged), with, "{expr}");
        }
    }

    fn p(triple: &str) -> Platform {
        Platform::new(triple).unwrap()
    }

    fn yes(target: &str, triple: &str) -> bool {
        matches(target, &p(triple)) == Match::Yes
    }

    fn no(target: &str, triple: &str) -> bool {
        matches(target, &p(triple)) == Match::No
    }

    fn unknown(target: &str, triple: &str) -> bool {
        matches!(matches(target, &p(triple)), Match::Unknown(_))
    }

    /// `rustc 1.95.0 --print cfg --target T` (the std component need not be installed), verbatim.
    const RUSTC_PRINT_CFG: &[(&str, &str)] = &[
        (
            "x86_64-unknown-linux-gnu",
            r#"debug_assertions panic="unwind" target_abi="" target_arch="x86_64" target_endian="little" target_env="gnu" target_family="unix" target_feature="fxsr" target_feature="sse" target_feature="sse2" target_has_atomic="16" target_has_atomic="32" target_has_atomic="64" target_has_atomic="8" target_has_atomic="ptr" target_os="linux" target_pointer_width="64" target_vendor="unknown" unix"#,
        ),
        (
            "x86_64-pc-windows-msvc",
            r#"debug_assertions panic="unwind" target_abi="" target_arch="x86_64" target_endian="little" target_env="msvc" target_family="windows" target_feature="cmpxchg16b" target_feature="fxsr" target_feature="sse" target_feature="sse2" target_feature="sse3" target_has_atomic="128" target_has_atomic="16" target_has_atomic="32" target_has_atomic="64" target_has_atomic="8" target_has_atomic="ptr" target_os="windows" target_pointer_width="64" target_vendor="pc" windows"#,
        ),
        (
            "aarch64-apple-darwin",
            r#"debug_assertions panic="unwind" target_abi="" target_arch="aarch64" target_endian="little" target_env="" target_family="unix" target_feature="aes" target_feature="crc" target_feature="neon" target_has_atomic="128" target_has_atomic="16" target_has_atomic="32" target_has_atomic="64" target_has_atomic="8" target_has_atomic="ptr" target_os="macos" target_pointer_width="64" target_vendor="apple" unix"#,
        ),
        (
            "wasm32-unknown-unknown",
            r#"debug_assertions panic="abort" target_abi="" target_arch="wasm32" target_endian="little" target_env="" target_family="wasm" target_feature="bulk-memory" target_has_atomic="16" target_has_atomic="32" target_has_atomic="64" target_has_atomic="8" target_has_atomic="ptr" target_os="unknown" target_pointer_width="32" target_vendor="unknown""#,
        ),
        (
            "aarch64-unknown-linux-gnu",
            r#"debug_assertions panic="unwind" target_abi="" target_arch="aarch64" target_endian="little" target_env="gnu" target_family="unix" target_feature="neon" target_has_atomic="128" target_has_atomic="16" target_has_atomic="32" target_has_atomic="64" target_has_atomic="8" target_has_atomic="ptr" target_os="linux" target_pointer_width="64" target_vendor="unknown" unix"#,
        ),
        (
            "thumbv7em-none-eabihf",
            r#"debug_assertions panic="abort" target_abi="eabihf" target_arch="arm" target_endian="little" target_env="" target_has_atomic="16" target_has_atomic="32" target_has_atomic="8" target_has_atomic="ptr" target_os="none" target_pointer_width="32" target_vendor="unknown""#,
        ),
        (
            "x86_64-unknown-linux-musl",
            r#"debug_assertions panic="unwind" target_abi="" target_arch="x86_64" target_endian="little" target_env="musl" target_family="unix" target_feature="crt-static" target_feature="fxsr" target_feature="sse" target_feature="sse2" target_has_atomic="16" target_has_atomic="32" target_has_atomic="64" target_has_atomic="8" target_has_atomic="ptr" target_os="linux" target_pointer_width="64" target_vendor="unknown" unix"#,
        ),
    ];

    /// Every cfg rustc prints is true here (a printed `target_feature` is true or unknown, never
    /// false), and the same key with another value is false.
    #[test]
    fn every_cfg_rustc_prints_is_true_and_other_values_are_false() {
        for (triple, printed) in RUSTC_PRINT_CFG {
            let platform = p(triple);
            let cfgs: Vec<&str> = printed.split(' ').collect();
            for cfg in &cfgs {
                let expr = format!("cfg({})", cfg.replace('=', " = "));
                let got = matches(&expr, &platform);
                if cfg.starts_with("target_feature") {
                    assert_ne!(got, Match::No, "{triple}: {expr}");
                } else {
                    assert_eq!(got, Match::Yes, "{triple}: {expr}");
                }
            }
            for (key, values) in [
                ("target_os", &["linux", "windows", "macos", "unknown", "none", "wasi", "android"][..]),
                ("target_arch", &["x86_64", "aarch64", "wasm32", "arm", "x86", "riscv64"][..]),
                ("target_env", &["", "gnu", "msvc", "musl", "p1"][..]),
                ("target_vendor", &["unknown", "pc", "apple", "uwp"][..]),
                ("target_family", &["unix", "windows", "wasm"][..]),
                ("target_pointer_width", &["16", "32", "64"][..]),
                ("target_endian", &["little", "big"][..]),
                ("target_has_atomic", &["8", "16", "32", "64", "128", "ptr"][..]),
                ("target_abi", &["", "eabihf", "sim", "macabi"][..]),
                ("panic", &["unwind", "abort"][..]),
            ] {
                for value in values {
                    let cfg = format!("{key}=\"{value}\"");
                    let expected = if cfgs.contains(&cfg.as_str()) { Match::Yes } else { Match::No };
                    assert_eq!(matches(&format!("cfg({key} = \"{value}\")"), &platform), expected, "{triple}: {cfg}");
                }
            }
            for bare in ["unix", "windows", "debug_assertions"] {
                let expected = if cfgs.contains(&bare) { Match::Yes } else { Match::No };
                assert_eq!(matches(&format!("cfg({bare})"), &platform), expected, "{triple}: {bare}");
            }
        }
    }

    #[test]
    fn common_expressions_answer_as_cargo_does() {
        let linux = "x86_64-unknown-linux-gnu";
        let win = "x86_64-pc-windows-msvc";
        let mac = "aarch64-apple-darwin";
        let wasm = "wasm32-unknown-unknown";
        assert!(yes("cfg(unix)", linux) && no("cfg(unix)", win) && yes("cfg(unix)", mac) && no("cfg(unix)", wasm));
        assert!(yes("cfg(windows)", win) && no("cfg(windows)", linux));
        assert!(yes("cfg(not(windows))", wasm));
        assert!(yes(r#"cfg(target_family = "wasm")"#, wasm));
        assert!(yes(r#"cfg(all(target_arch = "wasm32", target_os = "unknown"))"#, wasm));
        assert!(yes(r#"cfg(any(target_os = "macos", target_os = "ios"))"#, mac));
        assert!(no(r#"cfg(any(target_os = "macos", target_os = "ios"))"#, linux));
        assert!(yes(r#"cfg(all(unix, not(any(target_os = "macos", target_os = "ios"))))"#, linux));
        // tokio's and sqlx's custom flags, cargo's own non-target names: false.
        assert!(no("cfg(tokio_unstable)", linux));
        assert!(no("cfg(sqlite_test_sqlcipher)", linux));
        assert!(no(r#"cfg(tokio_taskdump = "yes")"#, linux));
        assert!(no("cfg(test)", linux) && no("cfg(proc_macro)", linux) && no(r#"cfg(feature = "std")"#, linux));
        assert!(yes("cfg(not(test))", linux));
        assert!(yes("cfg(debug_assertions)", linux));
        assert!(no("cfg(docsrs)", linux) && no("cfg(miri)", linux) && no("cfg(loom)", linux));
        // Boolean literals (cargo-platform's CfgExpr::True/False).
        assert!(
            yes("cfg(true)", linux) && no("cfg(false)", linux) && yes("cfg(all())", linux) && no("cfg(any())", linux)
        );
        // Target triples compare exactly.
        assert!(yes(linux, linux) && no(linux, win) && no("x86_64-unknown-linux-gnu ", linux) && no("", linux));
        assert!(no("unix", linux), "a bare name is a triple, not a cfg");
        // Spacing as cargo's tokenizer allows it.
        assert!(yes(r#"cfg( all( unix , target_os="linux" ) )"#, linux));
        assert!(yes("cfg(any(windows,unix,))", linux));
    }

    #[test]
    fn target_features_beyond_the_baseline_are_unknown() {
        let linux = "x86_64-unknown-linux-gnu";
        assert!(yes(r#"cfg(target_feature = "sse2")"#, linux));
        assert!(yes(r#"cfg(target_feature = "fxsr")"#, linux));
        assert!(yes(r#"cfg(target_feature = "sse2")"#, "x86_64-pc-windows-msvc"));
        assert!(yes(r#"cfg(target_feature = "neon")"#, "aarch64-unknown-linux-gnu"));
        assert!(yes(r#"cfg(target_feature = "neon")"#, "aarch64-apple-darwin"));
        assert!(unknown(r#"cfg(target_feature = "neon")"#, "aarch64-unknown-none-softfloat"));
        assert!(unknown(r#"cfg(target_feature = "sse2")"#, "x86_64-unknown-none"));
        assert!(unknown(r#"cfg(target_feature = "sse2")"#, "x86_64-unknown-uefi"));
        assert!(unknown(r#"cfg(target_feature = "sse2")"#, "i686-pc-windows-msvc"));
        assert!(unknown(r#"cfg(target_feature = "crt-static")"#, "x86_64-unknown-linux-musl"));
        let Match::Unknown(why) = matches(r#"cfg(target_feature = "avx2")"#, &p(linux)) else { panic!() };
        assert!(why.contains("avx2"), "{why}");
        assert!(unknown(r#"cfg(not(target_feature = "avx2"))"#, linux));
        // Three-valued logic: an unknown operand that cannot change the result does not matter.
        assert!(yes(r#"cfg(any(unix, target_feature = "avx2"))"#, linux));
        assert!(no(r#"cfg(all(windows, target_feature = "avx2"))"#, linux));
        assert!(unknown(r#"cfg(all(unix, target_feature = "avx2"))"#, linux));
    }

    #[test]
    fn triples_are_checked() {
        assert_eq!(p("x86_64-unknown-linux-gnu").triple(), "x86_64-unknown-linux-gnu");
        let err = Platform::new("x86_64-unknown-nowhere").unwrap_err();
        assert!(err.contains("x86_64-unknown-nowhere"), "{err}");
        assert!(Platform::new("").is_err());
        assert!(Platform::new("\u{1b}[31mred").unwrap_err().contains("red"));
        let host = Platform::host().unwrap();
        assert_eq!(host.triple(), HOST_TRIPLE);
        assert_eq!(p("wasm32-unknown-unknown"), p("wasm32-unknown-unknown"));
    }

    #[test]
    fn hostile_expressions_are_unknown_not_panics() {
        let linux = p("x86_64-unknown-linux-gnu");
        let deep = format!("cfg({}unix{})", "not(".repeat(400), ")".repeat(400));
        assert!(matches!(matches(&deep, &linux), Match::Unknown(_)));
        // Within the length bound: as deep as fits, answered.
        let nested = format!("cfg({}unix{})", "not(".repeat(200), ")".repeat(200));
        assert!(nested.len() <= MAX_CFG_LEN);
        assert_eq!(matches(&nested, &linux), Match::Yes);
        let wide = format!("cfg(all({}))", vec!["all()"; 168].join(","));
        assert!(wide.len() <= MAX_CFG_LEN);
        assert_eq!(matches(&wide, &linux), Match::Yes);
        let many_any = format!("cfg(any({}unix))", "any(),".repeat(160));
        assert_eq!(matches(&many_any, &linux), Match::Yes);
        let huge = format!("cfg({})", "a".repeat(100_000));
        assert!(matches!(matches(&huge, &linux), Match::Unknown(_)));
        assert_eq!(matches(&"x".repeat(100_000), &linux), Match::No);
        for garbage in [
            "cfg(",
            "cfg()",
            "cfg(unix",
            "cfg(unix))",
            "cfg((unix))",
            "cfg(not())",
            "cfg(not(unix, windows))",
            "cfg(all(unix,,windows))",
            "cfg(target_os)",
            "cfg(target_os = )",
            "cfg(target_os = \"linux)",
            "cfg(target_pointer_width = \"abc\")",
            "cfg(target_has_atomic = \"7\")",
            "cfg(target_nonsense = \"x\")",
            "cfg(feature)",
            "cfg(unix = \"x\")",
            "cfg(cfg(unix))",
            "cfg(\u{0}\u{1b}[31m)",
            "cfg(ünïcödé)",
            "cfg(all(any(not(",
            "cfg())))))",
            "cfg(,)",
            "cfg(=)",
            "cfg(\"\")",
        ] {
            let got = matches(garbage, &linux);
            assert!(matches!(got, Match::Unknown(_) | Match::No | Match::Yes), "{garbage}: {got:?}");
            if let Match::Unknown(why) = got {
                assert!(!why.contains('\u{1b}') && why.len() < 400, "{garbage}: {why}");
            }
        }
        assert!(matches!(matches("cfg(unix", &linux), Match::Unknown(_)));
        assert!(matches!(matches("cfg(not(unix, windows))", &linux), Match::Unknown(_)));
    }

    /// Every builtin target, against the real `rustc --print cfg`: run by hand
    /// (`cargo test --lib compiled::platform -- --ignored`) when `cfg-expr` or rustc changes.
    #[test]
    #[ignore = "runs rustc once per builtin target"]
    fn agrees_with_rustc_print_cfg_for_every_target() {
        let list = std::process::Command::new("rustc").args(["--print", "target-list"]).output().unwrap();
        let mut checked = 0;
        let mut disagreements = Vec::new();
        for triple in String::from_utf8(list.stdout).unwrap().lines() {
            let Ok(platform) = Platform::new(triple) else { continue };
            let out =
                std::process::Command::new("rustc").args(["--print", "cfg", "--target", triple]).output().unwrap();
            if !out.status.success() {
                continue;
            }
            checked += 1;
            let printed = String::from_utf8(out.stdout).unwrap();
            let cfgs: Vec<&str> = printed.lines().collect();
            for cfg in &cfgs {
                let expr = match cfg.split_once('=') {
                    Some((k, v)) => format!("cfg({k} = {v})"),
                    None => format!("cfg({cfg})"),
                };
                let got = matches(&expr, &platform);
                let ok = if cfg.starts_with("target_feature") { got != Match::No } else { got == Match::Yes };
                if !ok {
                    disagreements.push(format!("{triple}: {expr} -> {got:?}"));
                }
            }
            for feature in ["fxsr", "sse", "sse2", "neon"] {
                let cfg = format!("target_feature=\"{feature}\"");
                if matches(&format!("cfg(target_feature = \"{feature}\")"), &platform) == Match::Yes
                    && !cfgs.contains(&cfg.as_str())
                {
                    disagreements.push(format!("{triple}: {cfg} said yes, rustc does not print it"));
                }
            }
            for (key, values) in [
                ("target_os", &["linux", "windows", "macos", "none", "unknown"][..]),
                ("target_env", &["", "gnu", "msvc", "musl"][..]),
                ("target_family", &["unix", "windows", "wasm"][..]),
                ("target_has_atomic", &["64", "128", "ptr"][..]),
                ("panic", &["unwind", "abort"][..]),
                ("target_abi", &[""][..]),
                ("target_vendor", &["unknown", "pc", "apple"][..]),
            ] {
                for value in values {
                    let cfg = format!("{key}=\"{value}\"");
                    let expected = if cfgs.contains(&cfg.as_str()) { Match::Yes } else { Match::No };
                    let got = matches(&format!("cfg({key} = \"{value}\")"), &platform);
                    if got != expected {
                        disagreements.push(format!("{triple}: {cfg} -> {got:?}"));
                    }
                }
            }
        }
        assert!(checked > 200, "only {checked} targets checked");
        assert!(disagreements.is_empty(), "{} disagreements:\n{}", disagreements.len(), disagreements.join("\n"));
    }
}
