//! A whole program and its raw file format: the kernel's `struct sock_filter`
//! array, 8 bytes per instruction in host byte order — what libseccomp's
//! `seccomp_export_bpf` writes and `bwrap --seccomp FD` reads.

use std::fmt;

use crate::insn::{Insn, MAX_INSNS};

/// A classic-BPF program: a sequence of instructions, not necessarily valid.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Program {
    /// The instructions, in order (`struct sock_fprog`'s `filter`).
    pub insns: Vec<Insn>,
}

/// Why a byte string is not a raw program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RawError {
    /// Zero bytes: the kernel rejects an empty program (`bpf_check_basics_ok`).
    Empty,
    /// The size is not a multiple of 8 bytes.
    Misaligned {
        /// The size in bytes.
        len: usize,
    },
    /// More than [`MAX_INSNS`] instructions.
    TooLong {
        /// The number of whole instructions.
        insns: usize,
    },
}

impl fmt::Display for RawError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RawError::Empty => write!(f, "empty program (0 bytes)"),
            RawError::Misaligned { len } => write!(
                f,
                "size {len} bytes is not a multiple of 8 (trailing {} bytes at offset {})",
                len % 8,
                len - len % 8
            ),
            RawError::TooLong { insns } => {
                write!(
                    f,
                    "{insns} instructions, more than the kernel's limit of {MAX_INSNS}"
                )
            }
        }
    }
}

impl std::error::Error for RawError {}

impl Program {
    /// The program of `insns`, as given.
    pub fn new(insns: Vec<Insn>) -> Program {
        Program { insns }
    }

    /// The number of instructions (`struct sock_fprog`'s `len`).
    pub fn len(&self) -> usize {
        self.insns.len()
    }

    /// Whether the program has no instruction.
    pub fn is_empty(&self) -> bool {
        self.insns.is_empty()
    }

    /// Parses a raw program, refusing what no kernel would load
    /// (empty, ragged, longer than 4096 instructions).
    pub fn from_bytes(bytes: &[u8]) -> Result<Program, RawError> {
        if bytes.is_empty() {
            return Err(RawError::Empty);
        }
        if bytes.len() % 8 != 0 {
            return Err(RawError::Misaligned { len: bytes.len() });
        }
        let insns = bytes.len() / 8;
        if insns > MAX_INSNS {
            return Err(RawError::TooLong { insns });
        }
        Ok(Program::from_bytes_unchecked(bytes))
    }

    /// Parses whole 8-byte records with no length policy (trailing bytes ignored).
    pub fn from_bytes_unchecked(bytes: &[u8]) -> Program {
        let insns = bytes
            .chunks_exact(8)
            .map(|c| Insn::from_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
            .collect();
        Program { insns }
    }

    /// The raw form: 8 bytes per instruction, host byte order.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.insns.iter().flat_map(|i| i.to_bytes()).collect()
    }
}

impl From<Vec<Insn>> for Program {
    fn from(insns: Vec<Insn>) -> Program {
        Program { insns }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_bytes_round_trip() {
        let p = Program::new(vec![Insn::ld_abs(4), Insn::ret_k(0x7fff_0000)]);
        assert_eq!(Program::from_bytes(&p.to_bytes()).unwrap(), p);
    }

    #[test]
    fn raw_errors_name_the_problem() {
        assert_eq!(Program::from_bytes(&[]), Err(RawError::Empty));
        assert_eq!(
            Program::from_bytes(&[0; 12]).unwrap_err().to_string(),
            "size 12 bytes is not a multiple of 8 (trailing 4 bytes at offset 8)"
        );
        assert_eq!(
            Program::from_bytes(&vec![0; 8 * 4097]),
            Err(RawError::TooLong { insns: 4097 })
        );
        assert!(Program::from_bytes(&vec![0; 8 * 4096]).is_ok());
    }
}
