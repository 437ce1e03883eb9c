//! Privilege drop.
