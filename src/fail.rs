//! go-jail's own failures: one line on stderr and a documented exit code.

/// Exit code for go-jail's own failures (bad input or a failed step).
pub const EXIT_FAILURE: u8 = 125;

/// A failure of go-jail itself, printed as `go-jail: <message>`.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub code: u8,
}

impl Failure {
    /// Bad input or a failed step: exit 125.
    pub fn input(message: String) -> Failure {
        Failure {
            message,
            code: EXIT_FAILURE,
        }
    }
}
