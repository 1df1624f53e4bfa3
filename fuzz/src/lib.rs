//! What every fuzz target shares: the panic hook, and the macro that defines a target.
//!
//! libFuzzer-sys installs a panic hook that aborts the process, so libFuzzer sees any panic as a
//! crash. chainward contains the panics of third-party parsers on purpose
//! (`chainward::panics::contain`: the input is then one reported error); those are production
//! behaviour, not bugs, so the hook here lets them unwind to the containment (noting each
//! distinct place once on stderr, for the campaign notes) and aborts on every other panic.

use std::collections::BTreeSet;
use std::sync::Mutex;

pub use libfuzzer_sys;

/// Install the hook: contained panics unwind to their `contain`, others abort (a crash).
pub fn init() {
    let abort = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if chainward::panics::is_contained() {
            note_contained(info);
        } else {
            abort(info);
        }
    }));
}

fn note_contained(info: &std::panic::PanicHookInfo<'_>) {
    static SEEN: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
    let place = info.location().map_or_else(|| "unknown place".to_owned(), ToString::to_string);
    let mut seen = SEEN.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if seen.insert(place.clone()) {
        eprintln!("fuzz: contained panic at {place} (not a crash: production contains it)");
    }
}

/// Define the fuzz target that feeds its input to `chainward::fuzzing::$entry`.
#[macro_export]
macro_rules! target {
    ($entry:ident) => {
        $crate::libfuzzer_sys::fuzz_target!(init: $crate::init(), |data: &[u8]| chainward::fuzzing::$entry(data));
    };
}
