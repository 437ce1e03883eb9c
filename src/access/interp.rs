//! The interpreters the kernel opens for a program it executes:
//! binfmt_script's `#!` line and binfmt_elf's `PT_INTERP` (the dynamic
//! loader), read from a file the walk holds, only where the caller may read
//! it.

use std::ffi::OsStr;
use std::fs::File;
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

use super::walk::Cred;

/// The longest pathname read.
const PATH_MAX: usize = 4096;

/// The interpreter the kernel runs for the program `object` (an `O_PATH`
/// handle): a script's `#!` program, or an ELF file's `PT_INTERP`.
pub(super) fn interpreter_of(object: &File, cred: &Cred) -> Option<PathBuf> {
    let start = head(object, PATH_MAX, cred)?;
    if let Some(line) = start.strip_prefix(b"#!") {
        let line = line.split(|&b| b == b'\n').next()?;
        let word = line
            .split(|&b| b == b' ' || b == b'\t')
            .find(|w| !w.is_empty())?;
        return Some(PathBuf::from(OsStr::from_bytes(word)));
    }
    elf_interpreter(&start)
}

/// The first `len` bytes of the regular file `object` holds, if the caller
/// may read it: opened again through `/proc/self/fd/N` (that very inode,
/// no name looked up), without blocking and without taking a terminal.
fn head(object: &File, len: usize, cred: &Cred) -> Option<Vec<u8>> {
    use std::os::unix::fs::OpenOptionsExt;
    const O_NONBLOCK: i32 = 0o4000;
    const O_NOCTTY: i32 = 0o400;
    let meta = object.metadata().ok()?;
    if !meta.is_file() || !cred.may(&meta, 4) {
        return None;
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(O_NONBLOCK | O_NOCTTY)
        .open(format!("/proc/self/fd/{}", object.as_raw_fd()))
        .ok()?;
    let mut buf = vec![0u8; len];
    let n = file.read_at(&mut buf, 0).ok()?;
    buf.truncate(n);
    Some(buf)
}

/// The `PT_INTERP` path of an ELF file (elf(5)), little-endian 32 or
/// 64-bit, from its first bytes `head` (the program headers and the
/// interpreter's name sit there in every linker's layout; further out
/// they are not looked for).
pub(super) fn elf_interpreter(head: &[u8]) -> Option<PathBuf> {
    const PT_INTERP: usize = 3;
    if head.len() < 64 || &head[..4] != b"\x7fELF" || head[5] != 1 {
        return None;
    }
    let u16_at =
        |at: usize| Some(u16::from_le_bytes(head.get(at..at + 2)?.try_into().ok()?) as usize);
    let u32_at =
        |at: usize| Some(u32::from_le_bytes(head.get(at..at + 4)?.try_into().ok()?) as usize);
    let u64_at =
        |at: usize| Some(u64::from_le_bytes(head.get(at..at + 8)?.try_into().ok()?) as usize);
    let wide = head[4] == 2;
    let (phoff, phentsize, phnum) = if wide {
        (u64_at(0x20)?, u16_at(0x36)?, u16_at(0x38)?)
    } else {
        (u32_at(0x1c)?, u16_at(0x2a)?, u16_at(0x2c)?)
    };
    if phentsize < 0x20 {
        return None;
    }
    for i in 0..phnum {
        let entry = phoff.checked_add(i.checked_mul(phentsize)?)?;
        if u32_at(entry)? != PT_INTERP {
            continue;
        }
        let (offset, size) = if wide {
            (u64_at(entry + 8)?, u64_at(entry + 0x20)?)
        } else {
            (u32_at(entry + 4)?, u32_at(entry + 0x10)?)
        };
        let name = head.get(offset..offset.checked_add(size)?)?;
        let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
        return Some(PathBuf::from(OsStr::from_bytes(&name[..end])));
    }
    None
}
