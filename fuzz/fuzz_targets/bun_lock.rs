#![no_main]
chainward_fuzz::target!(bun_lock);
