#![no_main]
chainward_fuzz::target!(pnpm_lock);
