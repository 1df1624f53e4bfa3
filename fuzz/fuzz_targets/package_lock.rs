#![no_main]
chainward_fuzz::target!(package_lock);
