//! The one sanitiser for untrusted text: package names, versions, dependency strings, policy
//! values, SBOM fields, advisory texts and registry responses all come from strangers (a pull
//! request's lockfile, a downloaded database), and reach terminals, CI logs and reports.
//!
//! - [`line()`] makes one diagnostic or report line of any string: every control or format
//!   character (Unicode `Cc` and `Cf`: escape sequences, NUL, bidi overrides and isolates,
//!   zero-width characters, plus the line and paragraph separators U+2028/U+2029) is replaced
//!   *visibly* by its escape (`\n`, `\u{1b}`, `\u{202e}`), so it can neither move the cursor,
//!   reorder text, hide text, nor start a new line. A new line is where GitHub's runner looks
//!   for workflow commands (`::add-mask::`, `::stop-commands::`), on stdout *and* stderr; with
//!   no line break left, a value can never start one. Long values are clipped with a count of
//!   what was cut.
//! - [`json_output`] post-processes a JSON document (report, SARIF, SBOM): JSON already
//!   escapes `U+0000`..`U+001F`; this also escapes DEL, the C1 controls (CSI `U+009B` is an
//!   escape sequence on many terminals) and every format character, losslessly, as `\uXXXX`.

use std::fmt::Write as _;

/// Default limit for one value in a diagnostic (characters).
pub const MAX_VALUE: usize = 200;
/// Default limit for a whole diagnostic line (characters).
pub const MAX_LINE: usize = 2_000;

/// Whether `c` must not reach a terminal or log raw: a control (`Cc`), a format character
/// (`Cf`: bidi embeddings, overrides, isolates and marks, zero-width space/joiners, word
/// joiner, invisible operators, BOM, interlinear annotations, tags, ...), or a line or
/// paragraph separator (U+2028, U+2029).
pub fn is_unsafe(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_control();
    }
    c.is_control() || is_format(c) || matches!(c, '\u{2028}' | '\u{2029}')
}

/// Whether `text` holds an [`is_unsafe`] character other than `\n` (when `newlines` allows
/// them): a byte scan for ASCII text (a whole SBOM is checked this way), per character otherwise.
pub fn has_unsafe(text: &str, newlines: bool) -> bool {
    if text.is_ascii() {
        return any_byte(text, |b| (b < 0x20 && !(newlines && b == b'\n')) || b == 0x7f);
    }
    text.chars().any(|c| is_unsafe(c) && !(newlines && c == '\n'))
}

/// Whether `text` holds a byte `bad` accepts, scanned in blocks without an early exit inside,
/// which the compiler vectorizes (whole documents are checked this way).
fn any_byte(text: &str, bad: impl Fn(u8) -> bool) -> bool {
    text.as_bytes().chunks(64).any(|block| block.iter().fold(false, |seen, &b| seen | bad(b)))
}

/// Unicode general category `Cf` (Unicode 16).
fn is_format(c: char) -> bool {
    matches!(
        c,
        '\u{00ad}'
            | '\u{0600}'..='\u{0605}'
            | '\u{061c}'
            | '\u{06dd}'
            | '\u{070f}'
            | '\u{0890}'..='\u{0891}'
            | '\u{08e2}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206f}'
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}'
            | '\u{110bd}'
            | '\u{110cd}'
            | '\u{13430}'..='\u{1343f}'
            | '\u{1bca0}'..='\u{1bca3}'
            | '\u{1d173}'..='\u{1d17a}'
            | '\u{e0001}'
            | '\u{e0020}'..='\u{e007f}'
    )
}

/// `s` as one safe line of at most `max` characters of `s` (plus the note of what was cut; an
/// escape counts as the one character it stands for, so the line can be longer): every
/// unsafe character (see [`is_unsafe`]) written as its visible escape.
pub fn line(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max.saturating_mul(4)));
    let mut chars = s.chars();
    let mut shown = 0usize;
    while let Some(c) = chars.next() {
        if shown >= max {
            // What is cut, in bytes (cheap: a 50 MB value is cut, not walked).
            let _ = write!(out, "… ({} more bytes)", c.len_utf8() + chars.as_str().len());
            return out;
        }
        push_visible(&mut out, c);
        shown += 1;
    }
    out
}

/// `s` as one safe line of at most `max` characters of `s` (escapes count as the character they
/// stand for), cut with a plain `…` (for table cells and
/// titles, where the count of what was cut would be noise).
pub fn cell(s: &str, max: usize) -> String {
    let fits = s.chars().take(max.saturating_add(1)).count() <= max;
    let keep = if fits { max } else { max.saturating_sub(1) };
    let mut out = String::with_capacity(s.len().min(max.saturating_mul(4)));
    for c in s.chars().take(keep) {
        push_visible(&mut out, c);
    }
    if !fits {
        out.push('…');
    }
    out
}

/// Multi-line text (advisory details, SARIF help): like [`line()`], but line breaks (`\n`, and
/// `\r\n` as `\n`) are kept; every other unsafe character is escaped visibly.
pub fn multiline(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max.saturating_mul(4)));
    let mut chars = s.chars().peekable();
    let mut shown = 0usize;
    while let Some(c) = chars.next() {
        if shown >= max {
            let rest: usize = c.len_utf8() + chars.map(char::len_utf8).sum::<usize>();
            let _ = write!(out, "… ({rest} more bytes)");
            return out;
        }
        match c {
            '\r' if chars.peek() == Some(&'\n') => continue,
            '\n' => out.push('\n'),
            c => push_visible(&mut out, c),
        }
        shown += 1;
    }
    out
}

/// [`line()`] with the default diagnostic limit ([`MAX_LINE`]).
pub fn diagnostic(s: &str) -> String {
    line(s, MAX_LINE)
}

/// [`line()`] with the default value limit ([`MAX_VALUE`]), for one untrusted value inside a
/// message (`a dependency string`, a package name).
pub fn value(s: &str) -> String {
    line(s, MAX_VALUE)
}

fn push_visible(out: &mut String, c: char) {
    if !is_unsafe(c) {
        out.push(c);
        return;
    }
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\0' => out.push_str("\\0"),
        c => {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
    }
}

/// A serialized JSON document with every unsafe character that JSON leaves raw (DEL, C1
/// controls, format characters, U+2028/9) escaped as `\uXXXX` (a surrogate pair above the BMP).
/// Lossless: the document parses to the same value. JSON's structure is ASCII, so any such
/// character is inside a string, where `\uXXXX` means the same character.
pub fn json_output(bytes: Vec<u8>) -> Vec<u8> {
    let Ok(text) = std::str::from_utf8(&bytes) else { return bytes };
    // JSON's whitespace (a pretty-printed document's newlines and indentation) stays raw.
    let escaped = |c: char| is_unsafe(c) && !matches!(c, '\n' | '\r' | '\t');
    let dirty = if text.is_ascii() {
        any_byte(text, |b| (b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t')) || b == 0x7f)
    } else {
        text.chars().any(escaped)
    };
    if !dirty {
        return bytes;
    }
    let mut out = String::with_capacity(text.len() + 64);
    for c in text.chars() {
        if escaped(c) {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                let _ = write!(out, "\\u{unit:04x}");
            }
        } else {
            out.push(c);
        }
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_unsafe_agrees_with_is_unsafe() {
        for text in ["plain", "two\nlines", "tab\there", "nul\0", "del\u{7f}", "bidi\u{202e}", "ok é ü", "ls\u{2028}"]
        {
            for newlines in [false, true] {
                let slow = text.chars().any(|c| is_unsafe(c) && !(newlines && c == '\n'));
                assert_eq!(has_unsafe(text, newlines), slow, "{text:?} {newlines}");
            }
        }
    }

    #[test]
    fn every_control_and_format_character_is_visible_and_no_line_break_survives() {
        let hostile = "a\u{1b}[31mred\n::add-mask::x\r\0\u{202e}evil\u{2066}\u{200b}\u{2028}\u{9b}\u{feff}\u{e0041}z";
        let got = line(hostile, 1000);
        assert_eq!(
            got,
            "a\\u{1b}[31mred\\n::add-mask::x\\r\\0\\u{202e}evil\\u{2066}\\u{200b}\\u{2028}\\u{9b}\\u{feff}\\u{e0041}z"
        );
        assert!(!got.chars().any(is_unsafe));
        assert_eq!(line("plain ü ✓ 漢字", 100), "plain ü ✓ 漢字");
    }

    #[test]
    fn long_values_are_clipped_with_a_count() {
        assert_eq!(line("abcdef", 4), "abcd… (2 more bytes)");
        assert_eq!(line("abcd", 4), "abcd");
        let huge = "x".repeat(50 << 20);
        let got = line(&huge, 10);
        assert_eq!(got, format!("xxxxxxxxxx… ({} more bytes)", (50 << 20) - 10));
    }

    #[test]
    fn cells_are_clipped_with_an_ellipsis_and_multiline_keeps_line_breaks_only() {
        assert_eq!(cell("abcdef", 4), "abc…");
        assert_eq!(cell("abcd", 4), "abcd");
        assert_eq!(cell("a\u{1b}b", 10), "a\\u{1b}b");
        assert_eq!(multiline("one\r\ntwo\n\u{202e}three\u{2028}", 100), "one\ntwo\n\\u{202e}three\\u{2028}");
        assert_eq!(multiline("abcdef", 3), "abc… (3 more bytes)");
    }

    #[test]
    fn json_output_escapes_what_json_leaves_raw_and_stays_the_same_value() {
        let value = serde_json::json!({"name": "a\u{202e}b\u{9b}c\u{7f}\u{e0041}\u{2028}", "ok": "é漢"});
        let bytes = json_output(serde_json::to_vec_pretty(&value).unwrap());
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(!text.chars().any(|c| is_unsafe(c) && c != '\n'), "{text}");
        assert!(text.contains("\\u202e") && text.contains("\\udb40\\udc41"), "{text}");
        assert!(text.contains("é漢"));
        assert_eq!(serde_json::from_slice::<serde_json::Value>(&bytes).unwrap(), value);
    }

    #[test]
    fn an_ascii_json_document_keeps_its_whitespace_and_loses_its_del() {
        let clean = serde_json::to_vec_pretty(&serde_json::json!({"a": ["tab\there", "x"]})).unwrap();
        assert_eq!(json_output(clean.clone()), clean, "nothing to escape: the same bytes");
        let value = serde_json::json!({"long": "y".repeat(100), "del": "x\u{7f}"});
        let bytes = json_output(serde_json::to_vec_pretty(&value).unwrap());
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.contains("x\\u007f") && !text.contains('\u{7f}'), "{text}");
        assert!(text.contains("\n  \""), "the indentation stays: {text}");
        assert_eq!(serde_json::from_slice::<serde_json::Value>(&bytes).unwrap(), value);
    }
}
