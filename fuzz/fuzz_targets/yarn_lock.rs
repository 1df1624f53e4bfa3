#![no_main]
chainward_fuzz::target!(yarn_lock);
