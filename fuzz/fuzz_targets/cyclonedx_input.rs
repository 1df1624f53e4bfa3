#![no_main]
chainward_fuzz::target!(cyclonedx_input);
