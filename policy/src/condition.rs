//! Argument conditions: a comparison of one syscall argument with a constant,
//! with the semantics of libseccomp's `scmp_arg_cmp` (and so of OCI/Docker
//! profiles), evaluated on exactly the bits the kernel reads.
//!
//! The kernel hands every argument to the filter as 64 bits
//! (`struct seccomp_data.args[6]`), but many syscalls take `int` or
//! `unsigned int` and ignore the high half (`socket`'s family,
//! `personality`'s persona, `ioctl`'s request, `clone`'s flags truncated in
//! kernel/fork.c). Comparing 64 bits there is either bypassable
//! (`socket(0x1_0000_0028, …)` is AF_VSOCK to the kernel) or wrongly strict;
//! so a condition on a [`Width::W32`] argument compares the low word only.
//!
//! An argument whose width the table does not know ([`Width::Unknown`]: a
//! syscall newer than the table) is read both ways, as a 32-bit and as a
//! 64-bit argument, and the rule's action picks the safe combination
//! ([`Condition::selects`]): a rule that lets the call run needs both
//! readings to hold, any other rule takes either. So neither reading can
//! make such a rule more permissive than it is under the other.

use std::fmt;

use crate::action::Action;

/// How many bits of an argument the kernel reads (see [`crate::width`]
/// for the per-syscall table).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Width {
    /// `umode_t`, `unsigned short`, i386's `old_uid_t`: the low 16 bits
    /// (SYSCALL_DEFINE's cast drops the rest).
    W16,
    /// `int`, `unsigned int`, `u32`, `pid_t`, `uid_t`…: the low 32 bits.
    W32,
    /// `long`, `unsigned long`, pointers, `size_t`, `loff_t`…: all 64 bits
    /// (on 64-bit arches; 32-bit arches only have the low word).
    #[default]
    W64,
    /// The width table has no line for the syscall: the argument is read
    /// as [`Width::W32`] and as [`Width::W64`] ([`Width::readings`]), and
    /// [`Condition::selects`] combines the two. [`Width::cut`] and
    /// [`Width::threshold`] give its `W64` reading.
    Unknown,
}

/// What the constant of an ordered comparison (`<`, `<=`, `>`, `>=`) means
/// against an argument of a given width, zero-extended as the kernel reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Threshold {
    /// Compare with this value (it fits the width).
    Value(u64),
    /// The constant is above every value the argument can take, so `<`/`<=`
    /// always hold and `>`/`>=` never do.
    AboveAll,
}

impl Width {
    /// The threshold an ordered comparison with constant `v` uses: `v` when
    /// it fits; its low bits when it is the sign extension of a value that
    /// fits (`-2` written as 64 bits for an `int`); otherwise
    /// [`Threshold::AboveAll`]. Cutting such a constant instead would turn
    /// `family < 0x1_0000_0028` into `family < 40`.
    pub const fn threshold(self, v: u64) -> Threshold {
        let bits = match self {
            Width::W16 => 16,
            Width::W32 => 32,
            Width::W64 | Width::Unknown => return Threshold::Value(v),
        };
        let max = (1u64 << bits) - 1;
        if v <= max {
            Threshold::Value(v)
        } else if v >> (bits - 1) == u64::MAX >> (bits - 1) {
            Threshold::Value(v & max)
        } else {
            Threshold::AboveAll
        }
    }

    /// The bits of `v` the kernel keeps for an argument of this width.
    pub const fn cut(self, v: u64) -> u64 {
        match self {
            Width::W16 => v & 0xffff,
            Width::W32 => v & 0xffff_ffff,
            Width::W64 | Width::Unknown => v,
        }
    }

    /// The widths an argument of this width is read as: itself, or for
    /// [`Width::Unknown`] the low word and all 64 bits.
    pub const fn readings(self) -> &'static [Width] {
        match self {
            Width::W16 => &[Width::W16],
            Width::W32 => &[Width::W32],
            Width::W64 => &[Width::W64],
            Width::Unknown => &[Width::W32, Width::W64],
        }
    }
}

/// The comparison (libseccomp's `enum scmp_compare`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CmpOp {
    /// `arg != value`
    Ne,
    /// `arg < value` (unsigned)
    Lt,
    /// `arg <= value` (unsigned)
    Le,
    /// `arg == value`
    Eq,
    /// `arg >= value` (unsigned)
    Ge,
    /// `arg > value` (unsigned)
    Gt,
    /// `(arg & mask) == (value & mask)`, as libseccomp defines
    /// `SCMP_CMP_MASKED_EQ`.
    MaskedEq(u64),
    /// `(arg & mask) != (value & mask)`: no profile format has it; go-jail
    /// makes it when it follows libseccomp's argument tree, whose word
    /// tests can fail ([`crate::profile::halfword`]).
    MaskedNe(u64),
}

/// The index of a syscall argument in `struct seccomp_data.args[6]`
/// (include/uapi/linux/seccomp.h): 0..=5 by construction, so a
/// [`Condition`] cannot name a seventh argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ArgIndex(u8);

impl ArgIndex {
    /// The six indices, `args[0]` to `args[5]`: `ArgIndex::ALL[1]` is
    /// `args[1]` (a constant index above 5 does not compile).
    pub const ALL: [ArgIndex; 6] = [
        ArgIndex(0),
        ArgIndex(1),
        ArgIndex(2),
        ArgIndex(3),
        ArgIndex(4),
        ArgIndex(5),
    ];

    /// `args[index]`, refused for an index above 5.
    pub const fn new(index: u8) -> Result<ArgIndex, ArgIndexError> {
        if index <= 5 {
            Ok(ArgIndex(index))
        } else {
            Err(ArgIndexError { index })
        }
    }

    /// The index, 0..=5.
    pub const fn get(self) -> u8 {
        self.0
    }
}

impl From<ArgIndex> for usize {
    fn from(arg: ArgIndex) -> usize {
        usize::from(arg.0)
    }
}

impl TryFrom<u8> for ArgIndex {
    type Error = ArgIndexError;

    fn try_from(index: u8) -> Result<ArgIndex, ArgIndexError> {
        ArgIndex::new(index)
    }
}

/// Why [`ArgIndex::new`] refused an index: syscalls have six arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArgIndexError {
    /// The index asked for (above 5).
    pub index: u8,
}

impl fmt::Display for ArgIndexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "no argument args[{}] (syscalls have args[0] to args[5])",
            self.index
        )
    }
}

impl std::error::Error for ArgIndexError {}

/// One condition on `args[arg]`: `args[arg] op value`, as libseccomp's
/// `struct scmp_arg_cmp` states it. Valid by construction: the index is an
/// [`ArgIndex`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Condition {
    arg: ArgIndex,
    op: CmpOp,
    value: u64,
}

impl Condition {
    /// The condition `args[arg] op value`.
    pub const fn new(arg: ArgIndex, op: CmpOp, value: u64) -> Condition {
        Condition { arg, op, value }
    }

    /// The argument compared.
    pub const fn arg(&self) -> ArgIndex {
        self.arg
    }

    /// The comparison.
    pub const fn op(&self) -> CmpOp {
        self.op
    }

    /// The constant the argument is compared with.
    pub const fn value(&self) -> u64 {
        self.value
    }

    /// Whether the condition holds for an argument of `width` whose raw
    /// 64-bit value (as `seccomp_data` carries it) is `raw`. On a `W32`
    /// argument both sides (value and mask too) are cut to their low word,
    /// on a `W16` one to their low 16 bits.
    ///
    /// On a 32-bit arch the caller passes the argument zero-extended
    /// (`raw & 0xffff_ffff`): a `W64` condition whose value has a non-zero
    /// high word then never equals it (`==` false, `!=` true, `<` true…).
    ///
    /// On a [`Width::Unknown`] argument it holds when every reading holds
    /// (the reading of a rule that lets the call run, see [`Condition::selects`]).
    pub fn holds(&self, raw: u64, width: Width) -> bool {
        match width {
            Width::Unknown => width.readings().iter().all(|&w| self.holds(raw, w)),
            w => self.holds_on(raw, w),
        }
    }

    /// Whether the condition selects a rule whose action is `action`: on a
    /// known width, [`Condition::holds`]. On a [`Width::Unknown`] argument a
    /// rule that lets the call run ([`Action::runs_the_call`]) is selected
    /// only when both readings hold, any other rule when either holds: a
    /// deny then covers what it covers under each reading, an allow only
    /// what it allows under both.
    pub fn selects(&self, raw: u64, width: Width, action: Action) -> bool {
        if width != Width::Unknown || action.runs_the_call() {
            return self.holds(raw, width);
        }
        width.readings().iter().any(|&w| self.holds(raw, w))
    }

    /// [`Condition::holds`] on one reading.
    fn holds_on(&self, raw: u64, width: Width) -> bool {
        let cut = |v: u64| width.cut(v);
        let (a, v) = (cut(raw), cut(self.value));
        let threshold = width.threshold(self.value);
        let ordered = |holds: fn(u64, u64) -> bool, above_all: bool| match threshold {
            Threshold::Value(t) => holds(a, t),
            Threshold::AboveAll => above_all,
        };
        match self.op {
            CmpOp::Ne => a != v,
            CmpOp::Lt => ordered(|a, t| a < t, true),
            CmpOp::Le => ordered(|a, t| a <= t, true),
            CmpOp::Eq => a == v,
            CmpOp::Ge => ordered(|a, t| a >= t, false),
            CmpOp::Gt => ordered(|a, t| a > t, false),
            CmpOp::MaskedEq(mask) => a & cut(mask) == v & cut(mask),
            CmpOp::MaskedNe(mask) => a & cut(mask) != v & cut(mask),
        }
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let a = format!("args[{}]", self.arg.get());
        match self.op {
            CmpOp::Ne => write!(f, "{a} != {:#x}", self.value),
            CmpOp::Lt => write!(f, "{a} < {:#x}", self.value),
            CmpOp::Le => write!(f, "{a} <= {:#x}", self.value),
            CmpOp::Eq => write!(f, "{a} == {:#x}", self.value),
            CmpOp::Ge => write!(f, "{a} >= {:#x}", self.value),
            CmpOp::Gt => write!(f, "{a} > {:#x}", self.value),
            CmpOp::MaskedEq(m) => write!(f, "{a} & {m:#x} == {:#x}", self.value),
            CmpOp::MaskedNe(m) => write!(f, "{a} & {m:#x} != {:#x}", self.value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_argument_index_above_5_is_refused() {
        assert_eq!(ArgIndex::new(5).map(ArgIndex::get), Ok(5));
        let err = ArgIndex::new(6).unwrap_err();
        assert_eq!(
            err.to_string(),
            "no argument args[6] (syscalls have args[0] to args[5])"
        );
        assert_eq!(ArgIndex::try_from(255), Err(ArgIndexError { index: 255 }));
    }

    #[test]
    fn a_32_bit_argument_ignores_the_high_word() {
        let vsock = Condition::new(ArgIndex::ALL[0], CmpOp::Eq, 40);
        assert!(vsock.holds(0x1_0000_0028, Width::W32));
        assert!(!vsock.holds(0x1_0000_0028, Width::W64));
    }

    #[test]
    fn an_ordered_constant_above_a_32_bit_argument_is_not_cut() {
        // socket's family is an int: `< 0x1_0000_0028` holds for every family.
        let lt = Condition::new(ArgIndex::ALL[0], CmpOp::Lt, 0x1_0000_0028);
        assert!(lt.holds(40, Width::W32));
        assert!(lt.holds(0xffff_ffff, Width::W32));
        assert!(
            !Condition::new(ArgIndex::ALL[0], CmpOp::Gt, 0x1_0000_0000).holds(u64::MAX, Width::W32)
        );
        // A sign-extended negative is the int it extends.
        let gt = Condition::new(ArgIndex::ALL[0], CmpOp::Gt, (-2i64) as u64);
        assert!(gt.holds(0xffff_ffff, Width::W32));
        assert!(!gt.holds(0xffff_fffe, Width::W32));
        assert_eq!(Width::W16.threshold(0x1_0000), Threshold::AboveAll);
        assert_eq!(Width::W16.threshold(u64::MAX), Threshold::Value(0xffff));
    }

    #[test]
    fn ordered_comparisons_are_unsigned_on_64_bits() {
        let lt = Condition::new(ArgIndex::ALL[1], CmpOp::Lt, 0x1_0000_0000);
        assert!(lt.holds(0xffff_ffff, Width::W64));
        assert!(!lt.holds(0x1_0000_0000, Width::W64));
        assert!(Condition::new(ArgIndex::ALL[1], CmpOp::Gt, 5).holds(u64::MAX, Width::W64));
    }

    #[test]
    fn masked_eq_compares_both_sides_under_the_mask() {
        let c = Condition::new(ArgIndex::ALL[0], CmpOp::MaskedEq(0x7e02_0000), 0);
        assert!(c.holds(0x8000_0000, Width::W64));
        assert!(!c.holds(0x1002_0000, Width::W64));
        let c = Condition::new(ArgIndex::ALL[0], CmpOp::MaskedEq(0xff), 0x1_0000_0012);
        assert!(c.holds(0x12, Width::W64));
    }

    #[test]
    fn a_16_bit_argument_keeps_16_bits() {
        let mode = Condition::new(ArgIndex::ALL[1], CmpOp::Eq, 0o4755);
        assert!(mode.holds(0x1_0000 | 0o4755, Width::W16));
        assert!(!mode.holds(0x1_0000 | 0o4755, Width::W32));
        // An ordered constant above 16 bits is not cut: no mode exceeds it.
        assert!(!Condition::new(ArgIndex::ALL[1], CmpOp::Gt, 0x1_0005).holds(6, Width::W16));
    }

    #[test]
    fn an_unknown_width_denies_on_either_reading_and_allows_on_both() {
        // fchmodat2 before the table knew it: mode == 04755 with the high word set.
        let mode = Condition::new(ArgIndex::ALL[2], CmpOp::Eq, 0o4755);
        let raw = 0x1_0000_0000 | 0o4755;
        let deny = Action::Errno(1);
        assert!(mode.selects(raw, Width::Unknown, deny), "low word matches");
        assert!(!mode.selects(raw, Width::Unknown, Action::Allow));
        assert!(
            !mode.selects(raw, Width::Unknown, Action::Log),
            "LOG runs it"
        );
        assert!(
            mode.selects(0o4755, Width::Unknown, Action::Allow),
            "both match"
        );
        // `!=` on all 64 bits holds where the low word says `==`.
        let ne = Condition::new(ArgIndex::ALL[2], CmpOp::Ne, 0o4755);
        assert!(ne.selects(raw, Width::Unknown, deny));
        assert!(!ne.selects(raw, Width::Unknown, Action::Allow));
        assert!(!ne.holds(raw, Width::Unknown), "holds: the strict reading");
    }
}
