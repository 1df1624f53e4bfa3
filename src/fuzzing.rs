//! Entry points for the fuzz targets in `fuzz/`: one per parser of untrusted input. Not a public
//! API.
