#![no_main]
chainward_fuzz::target!(pdm_lock);
