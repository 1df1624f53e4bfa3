//! Fuzzes go.mod and its go.sum through src/resolve/gomod.rs (GoModResolver) (entry point: chainward::fuzzing::go_mod).
#![no_main]
chainward_fuzz::target!(go_mod);
