//! The seccomp user-notification ioctls (`SECCOMP_IOCTL_NOTIF_*`) a
//! supervisor makes on a filter's listener.
//!
//! # References
//! - <https://man7.org/linux/man-pages/man2/seccomp_unotify.2.html>
//! - include/uapi/linux/seccomp.h, kernel/seccomp.c (`seccomp_notify_ioctl`)

use core::mem::{offset_of, size_of};
use std::os::fd::{AsRawFd, BorrowedFd};

use super::arch::{self, nr};
use super::{ret_unit, Errno, Result};

// include/uapi/linux/seccomp.h: SECCOMP_IOC_MAGIC is '!'.
/// `SECCOMP_IOCTL_NOTIF_RECV` = `_IOWR('!', 0, struct seccomp_notif)`.
pub const SECCOMP_IOCTL_NOTIF_RECV: u32 = 0xc050_2100;

/// `SECCOMP_IOCTL_NOTIF_SEND` = `_IOWR('!', 1, struct seccomp_notif_resp)`.
pub const SECCOMP_IOCTL_NOTIF_SEND: u32 = 0xc018_2101;

/// `SECCOMP_IOCTL_NOTIF_ID_VALID` = `_IOW('!', 2, __u64)` (the kernel also
/// accepts the historical `_IOR` value 0x80082102).
pub const SECCOMP_IOCTL_NOTIF_ID_VALID: u32 = 0x4008_2102;

/// `SECCOMP_USER_NOTIF_FLAG_CONTINUE`: let the syscall run as if allowed.
pub const SECCOMP_USER_NOTIF_FLAG_CONTINUE: u32 = 1;

/// `struct seccomp_data` as the kernel writes it into a notification.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SeccompDataRaw {
    /// The syscall number (as the arch numbers it; x32 calls carry bit 30).
    pub nr: i32,
    /// `AUDIT_ARCH_*` of the calling convention.
    pub arch: u32,
    /// Where the call was made.
    pub instruction_pointer: u64,
    /// The six raw arguments.
    pub args: [u64; 6],
}

/// `struct seccomp_notif`: one intercepted syscall.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SeccompNotif {
    /// The cookie to answer with.
    pub id: u64,
    /// The calling thread's id, in the listener's pid namespace (0 if invisible there).
    pub pid: u32,
    /// Unused (0).
    pub flags: u32,
    /// The call.
    pub data: SeccompDataRaw,
}

/// `struct seccomp_notif_resp`: the answer to a notification.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SeccompNotifResp {
    /// The notification's cookie.
    pub id: u64,
    /// The syscall's return value when `error` is 0.
    pub val: i64,
    /// `-errno` to fail the call, or 0.
    pub error: i32,
    /// [`SECCOMP_USER_NOTIF_FLAG_CONTINUE`] or 0.
    pub flags: u32,
}

const _: () = {
    assert!(size_of::<SeccompDataRaw>() == 64);
    assert!(size_of::<SeccompNotif>() == 80);
    assert!(offset_of!(SeccompNotif, data) == 16);
    assert!(size_of::<SeccompNotifResp>() == 24);
    assert!(offset_of!(SeccompNotifResp, error) == 16);
    assert!(
        SECCOMP_IOCTL_NOTIF_RECV == (3 << 30) | ((size_of::<SeccompNotif>() as u32) << 16) | 0x2100
    );
    assert!(
        SECCOMP_IOCTL_NOTIF_SEND
            == (3 << 30) | ((size_of::<SeccompNotifResp>() as u32) << 16) | 0x2101
    );
    assert!(SECCOMP_IOCTL_NOTIF_ID_VALID == (1 << 30) | (8 << 16) | 0x2102);
};

/// `ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV)` — waits for (or, after
/// `poll` said the listener is readable, takes) the next notification.
/// `ENOENT`: the caller went away before it could be read (a signal
/// interrupted it, or it died). Retries `EINTR`.
pub fn notif_recv(listener: BorrowedFd<'_>) -> Result<SeccompNotif> {
    loop {
        // the kernel requires a zeroed buffer
        let mut n = SeccompNotif::default();
        // SAFETY: the kernel writes one `struct seccomp_notif` into the live,
        // correctly sized and aligned local `n`.
        let r = unsafe {
            arch::syscall3(
                nr::IOCTL,
                listener.as_raw_fd() as usize,
                SECCOMP_IOCTL_NOTIF_RECV as usize,
                &mut n as *mut SeccompNotif as usize,
            )
        };
        match ret_unit(r) {
            Ok(()) => return Ok(n),
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(e),
        }
    }
}

/// `ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, resp)` — answers a notification.
/// `ENOENT`: the notification is gone (the caller was interrupted or died).
pub fn notif_send(listener: BorrowedFd<'_>, resp: &SeccompNotifResp) -> Result<()> {
    // SAFETY: the kernel reads one `struct seccomp_notif_resp` from `resp`.
    let r = unsafe {
        arch::syscall3(
            nr::IOCTL,
            listener.as_raw_fd() as usize,
            SECCOMP_IOCTL_NOTIF_SEND as usize,
            resp as *const SeccompNotifResp as usize,
        )
    };
    ret_unit(r)
}

/// `ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id)` — whether the
/// notification `id` is still pending, i.e. its caller is still blocked in
/// it (so what was read from its memory since was that caller's memory).
pub fn notif_id_valid(listener: BorrowedFd<'_>, id: u64) -> bool {
    // SAFETY: the kernel reads one u64 from the live local `id`.
    let r = unsafe {
        arch::syscall3(
            nr::IOCTL,
            listener.as_raw_fd() as usize,
            SECCOMP_IOCTL_NOTIF_ID_VALID as usize,
            &id as *const u64 as usize,
        )
    };
    r == 0
}
