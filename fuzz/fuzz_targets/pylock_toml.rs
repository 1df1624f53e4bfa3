#![no_main]
chainward_fuzz::target!(pylock_toml);
