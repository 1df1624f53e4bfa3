#![no_main]
chainward_fuzz::target!(go_mod);
