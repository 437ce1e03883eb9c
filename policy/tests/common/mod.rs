//! Shared by the policy crate's measurement tests.

/// A reference policy's syscall names from one of `tests/data/*.txt`: one
/// per line, `#` starts a comment (shared with the benchmarks).
pub fn names(text: &str) -> Vec<&str> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .collect()
}

/// Docker's default profile's unconditional allow-list.
pub fn docker_names() -> Vec<&'static str> {
    names(include_str!("../data/docker_allow.txt"))
}
