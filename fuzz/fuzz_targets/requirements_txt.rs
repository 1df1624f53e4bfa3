#![no_main]
chainward_fuzz::target!(requirements_txt);
