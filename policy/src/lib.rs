//! Seccomp policies.
