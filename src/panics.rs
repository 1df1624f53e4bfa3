//! Containing panics of third-party parsers.
