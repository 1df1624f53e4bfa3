//! Containing panics of third-party parsers.
//!
//! Parsers chainward does not own (`rustsec`, `zip`, `cvss`, `semver`, `pep440_rs`, ...) read
//! untrusted input, and a bug in one of them can panic on a crafted file. [`contain`] turns such
//! a panic into an error for that one input, so a bad record is one reported error rather than
//! a dead loader thread, a lost half of a database, or a crashed scan.
//!
//! The binary's panic hook stays silent while [`is_contained`] is true: the default hook prints
//! the panic message, which here is attacker text, raw to stderr. The message reaches the user
//! only through the error [`contain`] returns, sanitised and clipped.
//!
//! This relies on panics unwinding (the default; chainward's profiles never set
//! `panic = "abort"`). A stack overflow or an allocation failure aborts the process either way.

use std::any::Any;
use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};

thread_local! {
    /// How many [`contain`] calls are running on this thread (they may nest).
    static DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// Leaves the containment depth as it was, however `contain`'s closure ends.
struct Enter;

impl Enter {
    fn new() -> Enter {
        DEPTH.with(|d| d.set(d.get().saturating_add(1)));
        Enter
    }
}

impl Drop for Enter {
    fn drop(&mut self) {
        DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
    }
}

/// Run `f`, turning a panic inside it into `Err(message)`: the panic's message, sanitised and
/// clipped with [`crate::sanitize::value`] (it is the text of someone else's code, about
/// someone else's input).
///
/// `AssertUnwindSafe` is sound for the way chainward uses this: the closures parse one input
/// into a fresh value and share no state that a half-finished parse could leave inconsistent;
/// whatever they captured by reference is either only read, or discarded by the caller on
/// `Err` (nothing observes a value the panic interrupted).
pub fn contain<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    let entered = Enter::new();
    let result = catch_unwind(AssertUnwindSafe(f));
    drop(entered);
    result.map_err(|payload| message(payload.as_ref()))
}

/// Whether the current thread is inside [`contain`]: a panic now will be caught and reported as
/// an error, so a panic hook should print nothing.
pub fn is_contained() -> bool {
    DEPTH.with(|d| d.get() > 0)
}

/// The text of a panic payload (`panic!("...")` gives a `&str` or a `String`).
fn message(payload: &(dyn Any + Send)) -> String {
    let text = if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.as_str()
    } else {
        "a panic without a message"
    };
    format!("internal error in a parser (panic): {}", crate::sanitize::value(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_error_with_its_message_sanitised() {
        let got = contain(|| -> u32 { panic!("bad \u{1b}[31m input\n{}", "x".repeat(500)) });
        let message = got.unwrap_err();
        assert!(message.contains("bad \\u{1b}[31m input\\n"), "{message}");
        assert!(message.contains("more bytes)"), "clipped: {message}");
        assert!(!message.chars().any(crate::sanitize::is_unsafe));
        assert_eq!(contain(|| 7), Ok(7));
    }

    #[test]
    fn the_flag_is_set_only_inside_and_survives_nesting_and_panics() {
        assert!(!is_contained());
        assert_eq!(contain(is_contained), Ok(true));
        let nested = contain(|| {
            let inner = contain(|| -> () { panic!("inner") });
            (inner.is_err(), is_contained())
        });
        assert_eq!(nested, Ok((true, true)), "still contained after an inner panic");
        assert!(!is_contained(), "reset after a panic");
        let other = std::thread::spawn(is_contained);
        assert!(contain(|| !other.join().unwrap()).unwrap(), "per thread");
    }

    #[test]
    fn a_non_string_payload_has_a_generic_message() {
        let message = contain(|| std::panic::panic_any(42_u8)).unwrap_err();
        assert!(message.contains("without a message"), "{message}");
    }
}
