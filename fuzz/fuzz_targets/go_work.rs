//! Fuzzes go.work and its members' go.mod through src/resolve/gowork.rs (GoWorkResolver) and src/resolve/gomod.rs (entry point: chainward::fuzzing::go_work).
#![no_main]
chainward_fuzz::target!(go_work);
