//! A fast reader for the exact layout cargo writes `Cargo.lock` in.
//!
//! Parsing a large lockfile with the general `toml` crate is most of what `chainward sbom`
//! costs. Cargo writes lockfiles in a small, fixed subset of TOML: `[[package]]`, `[root]` and
//! `[metadata]` headers; `key = "string"` lines whose strings need no escapes; `version = N`;
//! `dependencies = [` arrays with one string per line; blank lines and whole-line comments.
//! This reader accepts exactly that subset, where TOML's meaning is unambiguous, and gives up
//! (`None`) on anything else, so the caller falls back to the `toml` crate, which then reads
//! the file or reports the error with its line. A test checks both readers agree on every
//! fixture and corpus lockfile.

use super::cargo::{RawLock, RawPackage, RawVersion, Spans};
use crate::model::LineSpan;

/// Which table the lines belong to.
enum Table {
    Top,
    Package,
    Root,
    Metadata,
}

/// The lines of `text` as `str::lines` gives them (split on `\n`, one `\r` before it dropped),
/// numbered from 1, found with one vectorised search over the whole text (a search per line
/// spends more on setting up than on the line's few dozen bytes).
struct Lines<'f, 'a> {
    text: &'a str,
    newlines: Newlines<'f, 'a>,
    at: usize,
    n: usize,
}

/// The newlines of a text. On x86-64 with SSE2, which every x86-64 processor has: `memchr`'s
/// own choice checks the processor's features first, a dozen CPUID instructions that a virtual
/// machine traps (~60 µs here, more than finding every newline of deno's lockfile).
enum Newlines<'f, 'a> {
    #[cfg(target_arch = "x86_64")]
    Sse2(memchr::arch::x86_64::sse2::memchr::OneIter<'f, 'a>),
    Any(memchr::Memchr<'a>, std::marker::PhantomData<&'f ()>),
}

/// What finds newlines without a feature check, where there is one.
#[cfg(target_arch = "x86_64")]
type NewlineFinder = Option<memchr::arch::x86_64::sse2::memchr::One>;
#[cfg(not(target_arch = "x86_64"))]
type NewlineFinder = Option<std::convert::Infallible>;

fn newline_finder() -> NewlineFinder {
    #[cfg(target_arch = "x86_64")]
    return memchr::arch::x86_64::sse2::memchr::One::new(b'\n');
    #[cfg(not(target_arch = "x86_64"))]
    return None;
}

impl Iterator for Newlines<'_, '_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        match self {
            #[cfg(target_arch = "x86_64")]
            Newlines::Sse2(it) => it.next(),
            Newlines::Any(it, _) => it.next(),
        }
    }
}

impl<'f, 'a> Lines<'f, 'a> {
    fn new(text: &'a str, finder: &'f NewlineFinder) -> Lines<'f, 'a> {
        #[cfg(target_arch = "x86_64")]
        let newlines = match finder {
            Some(sse2) => Newlines::Sse2(sse2.iter(text.as_bytes())),
            None => Newlines::Any(memchr::memchr_iter(b'\n', text.as_bytes()), std::marker::PhantomData),
        };
        #[cfg(not(target_arch = "x86_64"))]
        let newlines = {
            let _ = finder;
            Newlines::Any(memchr::memchr_iter(b'\n', text.as_bytes()), std::marker::PhantomData)
        };
        Lines { text, newlines, at: 0, n: 0 }
    }
}

impl<'a> Iterator for Lines<'_, 'a> {
    type Item = (usize, &'a str);

    fn next(&mut self) -> Option<(usize, &'a str)> {
        if self.at >= self.text.len() {
            return None;
        }
        self.n += 1;
        let Some(end) = self.newlines.next() else {
            // The last line, without a newline: a CR it ends with is its own (TOML rejects it).
            let line = self.text.get(self.at..)?;
            self.at = self.text.len();
            return Some((self.n, line));
        };
        let line = self.text.get(self.at..end)?;
        self.at = end + 1;
        Some((self.n, line.strip_suffix('\r').unwrap_or(line)))
    }
}

/// Read `text` if it is in cargo's canonical layout, with the line span of every block. Every
/// string borrows from `text`.
pub(crate) fn parse(text: &str) -> Option<(RawLock<'_>, Spans)> {
    let mut lock = RawLock::default();
    let mut spans = Spans::default();
    // Room for what cargo writes per package (about 250 bytes with its checksum and a few
    // dependency lines), so the lists are not copied as they grow.
    lock.packages.reserve(text.len() / 256);
    spans.packages.reserve(text.len() / 256);
    lock.dependencies.reserve(text.len() / 64);
    let mut table = Table::Top;
    let mut seen_metadata = false;
    // Whether the block being read had its `dependencies` (a second one, even after an empty
    // first, is a duplicate key).
    let mut seen_dependencies = false;
    // The span of the `[root]` or `[[package]]` block being read.
    let mut span: Option<LineSpan> = None;
    let close = |table: &Table, span: Option<LineSpan>, spans: &mut Spans| match (table, span) {
        (Table::Root, Some(s)) => spans.root = Some(s),
        (Table::Package, Some(s)) => spans.packages.push(s),
        _ => {}
    };
    let finder = newline_finder();
    let mut lines = Lines::new(text, &finder);
    while let Some((n, line)) = lines.next() {
        let t = blank_trimmed(line);
        let Some(&first) = t.as_bytes().first() else { continue };
        if first == b'#' {
            // TOML allows no control character but tab in a comment.
            if !comment_ok(t) {
                return None;
            }
            continue;
        }
        if first == b'[' {
            close(&table, span.take(), &mut spans);
            seen_dependencies = false;
            table = match t {
                "[[package]]" => {
                    lock.packages.push(RawPackage::default());
                    Table::Package
                }
                "[root]" if lock.root.is_none() => {
                    lock.root = Some(RawPackage::default());
                    Table::Root
                }
                "[metadata]" if !seen_metadata => {
                    seen_metadata = true;
                    Table::Metadata
                }
                _ => return None,
            };
            span = Some(LineSpan { start: n, end: n });
            continue;
        }
        let (key, value) = match known_key(t) {
            Some(kv) => kv,
            None => split_key_value(t)?,
        };
        let mut end = n;
        match table {
            Table::Top => {
                if key != Key::Bare("version") || lock.version.is_some() {
                    return None;
                }
                lock.version = Some(RawVersion::Integer(integer(value)?));
            }
            Table::Metadata => {
                let Key::Quoted(k) = key else { return None };
                let v = string(value)?;
                if lock.metadata.insert(k, Some(v)).is_some() {
                    return None;
                }
            }
            Table::Package | Table::Root => {
                let package = match table {
                    Table::Root => lock.root.as_mut()?,
                    _ => lock.packages.last_mut()?,
                };
                let Key::Bare(key) = key else { return None };
                let slot = match key {
                    "name" => &mut package.name,
                    "version" => &mut package.version,
                    "source" => &mut package.source,
                    "checksum" => &mut package.checksum,
                    "dependencies" => {
                        if seen_dependencies {
                            return None;
                        }
                        seen_dependencies = true;
                        let from = lock.dependencies.len();
                        let last = array(value, n, &mut lines, &mut lock.dependencies)?;
                        // An empty array keeps (0, 0), as an empty list did before.
                        if lock.dependencies.len() > from {
                            package.dependencies = (from, lock.dependencies.len());
                        }
                        end = last;
                        if let Some(s) = span.as_mut() {
                            s.end = end;
                        }
                        continue;
                    }
                    _ => return None,
                };
                if slot.is_some() {
                    return None;
                }
                *slot = Some(string(value)?);
            }
        }
        if let Some(s) = span.as_mut() {
            s.end = end;
        }
    }
    close(&table, span.take(), &mut spans);
    Some((lock, spans))
}

/// A comment line holds no control character but tab.
fn comment_ok(t: &str) -> bool {
    if t.is_ascii() {
        return !t.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f);
    }
    !t.chars().any(|c| c != '\t' && c.is_control())
}

#[derive(PartialEq, Eq)]
enum Key<'a> {
    Bare(&'a str),
    Quoted(&'a str),
}

/// The keys cargo writes in a package block (and `version` at the top), as [`split_key_value`]
/// reads them, without its search for `=` and check of the key's bytes.
fn known_key(line: &str) -> Option<(Key<'_>, &str)> {
    let key = match line.as_bytes().first()? {
        b'n' => "name",
        b'v' => "version",
        b's' => "source",
        b'c' => "checksum",
        b'd' => "dependencies",
        _ => return None,
    };
    let value = line.strip_prefix(key)?.strip_prefix(" = ")?;
    Some((Key::Bare(key), value))
}

/// `key = value`, with exactly one space on each side of `=` as cargo writes it.
fn split_key_value(line: &str) -> Option<(Key<'_>, &str)> {
    if let Some(rest) = line.strip_prefix('"') {
        let (key, rest) = rest.split_once('"')?;
        if key.chars().any(|c| c == '\\' || c.is_control()) {
            return None;
        }
        return Some((Key::Quoted(key), rest.strip_prefix(" = ")?));
    }
    // A bare key has no `=`, so the first `=` is the separator (a plain loop: cargo's keys are
    // a few bytes long, shorter than a vectorised search's set-up).
    let eq = line.bytes().position(|b| b == b'=')?;
    let key = line.get(..eq)?.strip_suffix(' ')?;
    let value = line.get(eq + 1..)?.strip_prefix(' ')?;
    key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-').then_some(())?;
    (!key.is_empty()).then_some((Key::Bare(key), value))
}

/// A basic string with nothing to unescape: `"..."` and nothing after it.
fn string(value: &str) -> Option<&str> {
    let inner = value.strip_prefix('"')?.strip_suffix('"')?;
    // A string of printable ASCII without quote or backslash holds its bytes as themselves
    // (checked without an early exit, which the compiler vectorises); a string with any other
    // byte (non-ASCII) takes the exact check.
    let special = inner
        .bytes()
        .fold(0u8, |seen, b| seen | u8::from(!(0x20..0x7f).contains(&b)) | u8::from(b == b'"') | u8::from(b == b'\\'));
    let plain = special == 0 || (!inner.is_ascii() && inner.chars().all(|c| c != '"' && c != '\\' && !c.is_control()));
    plain.then_some(inner)
}

/// A plain decimal integer (`4`), no sign, underscores or leading zeros.
fn integer(value: &str) -> Option<i64> {
    let ok = !value.is_empty()
        && value.bytes().all(|b| b.is_ascii_digit())
        && (value == "0" || !value.starts_with('0'))
        && value.len() <= 18;
    if ok { value.parse().ok() } else { None }
}

/// `[]`, or `[` followed by one `"string",` per line and a closing `]` line, appended to
/// `items`; returns the line the array ends on.
fn array<'a>(
    value: &str,
    line: usize,
    lines: &mut impl Iterator<Item = (usize, &'a str)>,
    items: &mut Vec<&'a str>,
) -> Option<usize> {
    match value {
        "[]" => return Some(line),
        "[" => {}
        _ => return None,
    }
    // Only the last item may go without its comma.
    let mut last = false;
    for (n, line) in lines.by_ref() {
        let t = blank_trimmed(line);
        if t == "]" {
            return Some(n);
        }
        if last {
            return None;
        }
        let item = t.strip_suffix(',').unwrap_or_else(|| {
            last = true;
            t
        });
        items.push(string(item)?);
    }
    None
}

/// `line` without the blanks TOML allows around its content: spaces and tabs only (`str::trim`
/// would also drop a lone CR, VT, FF and Unicode spaces, which TOML rejects there).
fn blank_trimmed(line: &str) -> &str {
    let bytes = line.as_bytes();
    let start = bytes.iter().position(|b| *b != b' ' && *b != b'\t').unwrap_or(bytes.len());
    let end = bytes.iter().rposition(|b| *b != b' ' && *b != b'\t').map_or(start, |i| i + 1);
    line.get(start..end.max(start)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::super::cargo::{LockWire, package_spans};
    use super::*;

    /// Found by the `cargo_lock_differential` fuzz target: files the fast reader accepted and
    /// TOML (so cargo) rejects: a lone CR, VT, FF or NBSP where TOML allows only blanks, a control
    /// character in a comment or a quoted key, two array items without a comma between them.
    #[test]
    fn what_toml_rejects_is_left_to_the_toml_crate() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/regressions/cargo_lock_differential");
        let mut seen = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            let Ok(text) = std::str::from_utf8(&bytes) else { continue };
            seen += 1;
            // What the fast reader accepts, the toml crate reads the same (before the fix, these
            // were accepted and toml refuses them).
            if let Some((wire, spans)) = parse(text) {
                let toml: LockWire = toml::from_str(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
                assert_eq!(wire, RawLock::from_wire(&toml), "{text:?}");
                assert_eq!(spans, package_spans(text), "{text:?}");
            }
        }
        assert!(seen >= 6, "the reproducers are there");
    }

    fn toml_wire(text: &str) -> LockWire {
        toml::from_str(text).unwrap()
    }

    fn lockfiles() -> Vec<std::path::PathBuf> {
        let mut files: Vec<_> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/lockfiles/cargo"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "lock"))
            .collect();
        let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/cargo");
        if let Ok(dirs) = std::fs::read_dir(&corpus) {
            files.extend(dirs.map(|d| d.unwrap().path().join("Cargo.lock")).filter(|p| p.is_file()));
        } else {
            assert!(std::env::var("CHAINWARD_REQUIRE_SHARED").as_deref() != Ok("1"), "../shared/corpus is required");
        }
        files.sort();
        files
    }

    #[test]
    fn agrees_with_the_toml_crate_on_every_lockfile() {
        let mut fast = 0;
        for path in lockfiles() {
            let text = std::fs::read_to_string(&path).unwrap();
            let Some((wire, spans)) = parse(&text) else { continue };
            fast += 1;
            assert_eq!(wire, RawLock::from_wire(&toml_wire(&text)), "{}", path.display());
            assert_eq!(spans, package_spans(&text), "{}", path.display());
        }
        assert!(fast >= 10, "the canonical reader should take most lockfiles, took {fast}");
    }

    #[test]
    fn gives_up_on_what_it_does_not_know() {
        for text in [
            "version = 4\n[[package]]\nname = \"a\" # comment\n",
            "[[package]]\nname = \"a\\u0041\"\n",
            "[[package]]\nname = 'a'\n",
            "[[package]]\nname=\"a\"\n",
            "[[package]]\nname = \"a\"\nname = \"b\"\n",
            "version = 04\n",
            "version = +4\n",
            "version = 4\nversion = 4\n",
            "[patch.unused]\n",
            "[metadata]\n[metadata]\n",
            "[root]\n[root]\n",
            "[[package]]\ndependencies = [\n \"a\",\n",
            "[[package]]\ndependencies = [\"a\"]\n",
            "[[package]]\nfeatures = \"a\"\n",
            "package = []\n",
            "[[package]]\nname = \"a\"\"\n",
        ] {
            assert!(parse(text).is_none(), "{text:?}");
        }
    }

    #[test]
    fn the_known_keys_are_read_as_the_general_split_reads_them() {
        for line in [
            "name = \"a\"",
            "version = 4",
            "version = \"1.0.0\"",
            "source = \"x\"",
            "checksum = \"ab\"",
            "dependencies = [",
            "names = \"a\"",
            "name  = \"a\"",
            "name =\"a\"",
            "name= \"a\"",
            "name = ",
            "version",
            "dependencies = []",
            "checksum-x = \"a\"",
            "n",
            "",
        ] {
            if let Some(known) = known_key(line) {
                assert!(split_key_value(line) == Some(known), "{line:?}");
            }
        }
        assert!(known_key("name = \"a\"").is_some() && known_key("names = \"a\"").is_none());
    }

    #[test]
    fn reads_the_canonical_layout() {
        let (wire, spans) = parse("# generated\nversion = 4\n\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\ndependencies = [\n \"b\",\n \"c 1.0.0\",\n]\n\n[[package]]\nname = \"b\"\nversion = \"0.1.0\"\ndependencies = []\n").unwrap();
        assert_eq!(wire.version, Some(RawVersion::Integer(4)));
        assert_eq!(wire.packages.len(), 2);
        assert_eq!(wire.dependencies_of(&wire.packages[0]), ["b", "c 1.0.0"]);
        assert!(wire.dependencies_of(&wire.packages[1]).is_empty());
        assert_eq!(spans.packages, [LineSpan { start: 4, end: 10 }, LineSpan { start: 12, end: 15 }]);
    }
}
