//! Writing results to a file or stdout.

use std::io::Write;
use std::path::Path;

use crate::fail::Failure;
use crate::names;

/// Writes `bytes` to `path`, or to stdout when there is none.
pub fn write_bytes(path: Option<&Path>, bytes: &[u8]) -> Result<(), Failure> {
    match path {
        Some(p) => std::fs::write(p, bytes)
            .map_err(|e| Failure::input(format!("{}: {}", p.display(), names::io_error(&e)))),
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(bytes)
                .and_then(|_| out.flush())
                .map_err(|e| Failure::input(format!("stdout: {}", names::io_error(&e))))
        }
    }
}
