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

/// An I/O error as a lowercase phrase without Rust's "(os error N)" suffix.
pub fn io_error(e: &std::io::Error) -> String {
    let text = e.to_string();
    let text = match text.find(" (os error") {
        Some(i) => text[..i].to_owned(),
        None => text,
    };
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => text,
    }
}
