//! Fuzzes the compiled view: a Cargo.lock, its Cargo.toml, a dependency `target` string and crates.io index lines, through manifest reading, cfg evaluation and cargo's feature resolver (entry point: chainward::fuzzing::compiled_view).
#![no_main]
chainward_fuzz::target!(compiled_view);
