#![no_main]
chainward_fuzz::target!(composer_lock);
