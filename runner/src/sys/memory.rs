//! Memory shared with forked children.
//!
//! # References
//! - <https://man7.org/linux/man-pages/man2/mmap.2.html>

use std::sync::atomic::{AtomicI64, Ordering};

use super::abi::*;
use super::arch::{self, nr};
use super::{ret, Errno, Result};

/// A `MAP_SHARED | MAP_ANONYMOUS` array of `i64` slots, shared with children
/// forked after it was created. A child can report results through plain
/// stores even when a seccomp filter denies `write`.
#[derive(Debug)]
pub struct SharedSlots {
    ptr: *const AtomicI64,
    len: usize,
}

impl SharedSlots {
    /// `mmap(2)` — maps `len` zeroed slots.
    pub fn new(len: usize) -> Result<Self> {
        let bytes = len.max(1).checked_mul(8).ok_or(Errno::ENOMEM)?;
        // SAFETY: a fresh anonymous mapping at a kernel-chosen address; it
        // aliases no existing Rust object.
        let r = unsafe {
            arch::syscall6(
                nr::MMAP,
                0,
                bytes,
                PROT_READ | PROT_WRITE,
                MAP_SHARED | MAP_ANONYMOUS,
                usize::MAX,
                0,
            )
        };
        let addr = ret(r)?;
        Ok(SharedSlots {
            ptr: addr as *const AtomicI64,
            len: len.max(1),
        })
    }

    /// Stores `v` in slot `i` (ignored when out of range).
    pub fn set(&self, i: usize, v: i64) {
        if i < self.len {
            // SAFETY: `i < len`, the mapping is live until drop, is 8-byte
            // aligned (page-aligned) and only ever accessed atomically.
            unsafe { (*self.ptr.add(i)).store(v, Ordering::SeqCst) }
        }
    }

    /// Loads slot `i` (0 when out of range).
    pub fn get(&self, i: usize) -> i64 {
        if i < self.len {
            // SAFETY: as in `set`.
            unsafe { (*self.ptr.add(i)).load(Ordering::SeqCst) }
        } else {
            0
        }
    }
}

impl Drop for SharedSlots {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping created in `new`; no reference
        // into it outlives `self`.
        unsafe { arch::syscall2(nr::MUNMAP, self.ptr as usize, self.len * 8) };
    }
}

// SAFETY: `SharedSlots` owns its mapping until drop and only ever touches it
// through atomic loads and stores, so moving it to another thread is sound.
unsafe impl Send for SharedSlots {}

// SAFETY: as for `Send`: every access through `&SharedSlots` is atomic.
unsafe impl Sync for SharedSlots {}
