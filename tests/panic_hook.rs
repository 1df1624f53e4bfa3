//! A process-wide panic hook (the binary's) can tell a contained panic of a third-party parser
//! from a real one, on the panicking thread, and stay silent for it: the default hook would
//! print the panic message, which is attacker text, raw to stderr. One test in its own binary,
//! since it replaces the process's hook.

// Test code fails loudly on unexpected input: that is how a test reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Mutex;

static SEEN: Mutex<Vec<(bool, String)>> = Mutex::new(Vec::new());

#[test]
fn the_hook_sees_whether_a_panic_is_contained() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|info| {
        let message = info.payload().downcast_ref::<&str>().map(|s| (*s).to_owned()).unwrap_or_default();
        SEEN.lock().unwrap().push((chainward::panics::is_contained(), message));
    }));

    // The rustsec parser panics on a character across byte 20 of a file without front matter.
    let text = format!("{}\u{2603}\u{1b}[31m and more", "#".repeat(19));
    let parsed = chainward::advisory::rustsec::parse_contained("crates/x/RUSTSEC-2099-0001.md", &text);
    let outside = std::thread::spawn(|| panic!("a real bug")).join();
    std::panic::set_hook(previous);

    let err = parsed.unwrap_err();
    assert!(err.message.contains("panic"), "{err}");
    assert!(!err.message.chars().any(chainward::sanitize::is_unsafe), "sanitised: {err}");
    assert!(outside.is_err());

    let seen = SEEN.lock().unwrap();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(seen[0].0, "the parser's panic is contained: {seen:?}");
    assert_eq!(seen[1], (false, "a real bug".to_owned()), "a real panic is not");
}
