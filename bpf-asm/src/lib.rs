//! Classic BPF for seccomp.
