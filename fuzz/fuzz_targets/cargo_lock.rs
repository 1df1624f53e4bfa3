#![no_main]
chainward_fuzz::target!(cargo_lock);
