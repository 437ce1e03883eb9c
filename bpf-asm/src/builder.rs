//! Emit instructions with symbolic labels; jumps are resolved at the end.
//!
//! Classic BPF only jumps forward. A conditional jump carries 8-bit offsets,
//! so it reaches at most 255 instructions ahead (`bpf_check_classic` in
//! net/core/filter.c); `JA` carries a 32-bit offset. [`Builder::finish`]
//! lays the program out and *relaxes* every conditional edge that is too
//! long: the edge is redirected to a trampoline placed right after the jump,
//! which is a copy of the target when the target is a lone `RET` (no extra
//! instruction executed, libseccomp's `_gen_bpf_build_jmp_ret` idea) and a
//! `JA` to the target otherwise. Layout is iterated to a fixpoint because a
//! trampoline can push another edge out of range. Offsets are never truncated.
//!
//! ```text
//!   jeq #k, far, near          jeq #k, +0, +(near)
//!                       ==>    ja far              (or: ret <far's value>)
//! ```

use std::fmt;

use crate::insn::{Insn, JmpCond, MAX_INSNS};
use crate::program::Program;

/// A position in the program, bound with [`Builder::bind`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Label(u32);

/// Why the builder cannot produce a program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BuildError {
    /// A jump names a label that was never bound.
    UnboundLabel(Label),
    /// A label was bound twice.
    ReboundLabel(Label),
    /// A jump targets a label bound at or before it: classic BPF only jumps forward.
    BackwardJump {
        /// The label jumped to.
        label: Label,
    },
    /// The relaxed program is longer than the kernel's 4096 instructions.
    TooLong {
        /// The length of the relaxed program.
        insns: usize,
    },
    /// Nothing was emitted.
    Empty,
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::UnboundLabel(l) => write!(f, "label L{} is never bound", l.0),
            BuildError::ReboundLabel(l) => write!(f, "label L{} is bound twice", l.0),
            BuildError::BackwardJump { label } => {
                write!(f, "jump to label L{} goes backwards", label.0)
            }
            BuildError::TooLong { insns } => write!(
                f,
                "program needs {insns} instructions, more than the kernel's limit of {MAX_INSNS}"
            ),
            BuildError::Empty => write!(f, "empty program"),
        }
    }
}

impl std::error::Error for BuildError {}

#[derive(Clone, Debug)]
enum Item {
    Fixed(Insn),
    Ja(Label),
    Cond {
        code: u16,
        k: u32,
        jt: Label,
        jf: Label,
    },
}

/// A program under construction.
#[derive(Clone, Debug, Default)]
pub struct Builder {
    items: Vec<Item>,
    /// For each label, the index of the item it precedes.
    bound: Vec<Option<usize>>,
    /// The first label bound twice, reported by `finish`.
    rebound: Option<Label>,
}

impl Builder {
    /// An empty builder: no instruction, no label.
    pub fn new() -> Builder {
        Builder::default()
    }

    /// A fresh, unbound label.
    pub fn label(&mut self) -> Label {
        self.bound.push(None);
        Label(self.bound.len() as u32 - 1)
    }

    /// Binds `label` to the next emitted instruction. Binding twice is
    /// reported by [`Builder::finish`].
    pub fn bind(&mut self, label: Label) {
        let slot = &mut self.bound[label.0 as usize];
        if slot.is_some() {
            self.rebound.get_or_insert(label);
            return;
        }
        *slot = Some(self.items.len());
    }

    /// Appends an instruction with no symbolic target. Jumps emitted here
    /// keep their raw offsets (used for foreign programs and tests).
    pub fn emit(&mut self, insn: Insn) {
        self.items.push(Item::Fixed(insn));
    }

    /// `j<cond> #k, jt, jf` to labels.
    pub fn jump(&mut self, cond: JmpCond, k: u32, jt: Label, jf: Label) {
        let code = Insn::jmp_k(cond, k, 0, 0).code;
        self.items.push(Item::Cond { code, k, jt, jf });
    }

    /// `j<cond> x, jt, jf` to labels.
    pub fn jump_x(&mut self, cond: JmpCond, jt: Label, jf: Label) {
        let code = Insn::jmp_x(cond, 0, 0).code;
        self.items.push(Item::Cond { code, k: 0, jt, jf });
    }

    /// `ja label`.
    pub fn ja(&mut self, target: Label) {
        self.items.push(Item::Ja(target));
    }

    /// `ret #k`.
    pub fn ret(&mut self, k: u32) {
        self.emit(Insn::ret_k(k));
    }

    /// Number of items emitted so far (before relaxation).
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether nothing was emitted yet.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    fn target(&self, label: Label, from: usize) -> Result<usize, BuildError> {
        let at = self.bound[label.0 as usize].ok_or(BuildError::UnboundLabel(label))?;
        if at <= from {
            return Err(BuildError::BackwardJump { label });
        }
        Ok(at)
    }

    /// The instruction a label's target item is, when it is a plain `RET`.
    fn ret_at(&self, item: usize) -> Option<Insn> {
        match self.items.get(item) {
            Some(Item::Fixed(insn)) if insn.is_ret() => Some(*insn),
            _ => None,
        }
    }

    /// Resolves labels, relaxes long conditional jumps and checks the length.
    pub fn finish(&self) -> Result<Program, BuildError> {
        if self.items.is_empty() {
            return Err(BuildError::Empty);
        }
        if let Some(label) = self.rebound {
            return Err(BuildError::ReboundLabel(label));
        }
        // Resolve every symbolic target to an item index first.
        // targets[i]: the items a jump at item i goes to (unused for others).
        let mut targets: Vec<(usize, usize)> = vec![(0, 0); self.items.len()];
        for (i, item) in self.items.iter().enumerate() {
            match *item {
                Item::Ja(l) => {
                    let t = self.target(l, i)?;
                    targets[i] = (t, t);
                }
                Item::Cond { jt, jf, .. } => {
                    targets[i] = (self.target(jt, i)?, self.target(jf, i)?);
                }
                Item::Fixed(_) => {}
            }
        }
        // far[i] = (jt needs a trampoline, jf needs a trampoline); grows monotonically.
        let mut far: Vec<(bool, bool)> = vec![(false, false); self.items.len()];
        loop {
            let addr = self.layout(&far);
            let mut changed = false;
            for (i, item) in self.items.iter().enumerate() {
                if let Item::Cond { .. } = item {
                    let (t, f) = targets[i];
                    let next = addr[i] + 1 + usize::from(far[i].0) + usize::from(far[i].1);
                    let reach = |to: usize| addr[to] - (addr[i] + 1) <= 255 && addr[to] >= next;
                    if !far[i].0 && !reach(t) {
                        far[i].0 = true;
                        changed = true;
                    }
                    if !far[i].1 && !reach(f) {
                        far[i].1 = true;
                        changed = true;
                    }
                }
            }
            if !changed {
                return self.emit_program(&far, &addr, &targets);
            }
        }
    }

    /// Address of every item (and one past the end) under the relaxation `far`.
    fn layout(&self, far: &[(bool, bool)]) -> Vec<usize> {
        let mut addr = Vec::with_capacity(self.items.len() + 1);
        let mut pc = 0;
        for (i, _) in self.items.iter().enumerate() {
            addr.push(pc);
            pc += 1 + usize::from(far[i].0) + usize::from(far[i].1);
        }
        addr.push(pc);
        addr
    }

    fn emit_program(
        &self,
        far: &[(bool, bool)],
        addr: &[usize],
        targets: &[(usize, usize)],
    ) -> Result<Program, BuildError> {
        let total = addr[self.items.len()];
        if total > MAX_INSNS {
            return Err(BuildError::TooLong { insns: total });
        }
        let mut out = Vec::with_capacity(total);
        for (i, item) in self.items.iter().enumerate() {
            let pc = addr[i];
            match *item {
                Item::Fixed(insn) => out.push(insn),
                Item::Ja(_) => {
                    let (t, _) = targets[i];
                    out.push(Insn::ja((addr[t] - pc - 1) as u32));
                }
                Item::Cond { code, k, .. } => {
                    let (t, f) = targets[i];
                    let (far_t, far_f) = far[i];
                    // Trampolines sit at pc+1 (for jt if far) then the next slot.
                    let t_slot = pc + 1;
                    let f_slot = pc + 1 + usize::from(far_t);
                    let off = |to: usize| (to - pc - 1) as u8;
                    let jt = if far_t { off(t_slot) } else { off(addr[t]) };
                    let jf = if far_f { off(f_slot) } else { off(addr[f]) };
                    out.push(Insn::new(code, jt, jf, k));
                    for (is_far, to, slot) in [(far_t, t, t_slot), (far_f, f, f_slot)] {
                        if is_far {
                            out.push(match self.ret_at(to) {
                                Some(ret) => ret,
                                None => Insn::ja((addr[to] - slot - 1) as u32),
                            });
                        }
                    }
                }
            }
        }
        Ok(Program::new(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::insn::JmpCond;

    #[test]
    fn short_jumps_resolve_to_offsets() {
        let mut b = Builder::new();
        let (yes, no) = (b.label(), b.label());
        b.emit(Insn::ld_abs(0));
        b.jump(JmpCond::Eq, 1, yes, no);
        b.bind(no);
        b.ret(0);
        b.bind(yes);
        b.ret(0x7fff_0000);
        let p = b.finish().unwrap();
        assert_eq!(p.insns[1], Insn::jmp_k(JmpCond::Eq, 1, 1, 0));
    }

    #[test]
    fn far_jump_to_ret_duplicates_the_ret() {
        let mut b = Builder::new();
        let (far, near) = (b.label(), b.label());
        b.jump(JmpCond::Eq, 1, far, near);
        b.bind(near);
        for _ in 0..300 {
            b.emit(Insn::ld_imm(0));
        }
        b.bind(far);
        b.ret(5);
        let p = b.finish().unwrap();
        assert_eq!(p.insns[0], Insn::jmp_k(JmpCond::Eq, 1, 0, 1));
        assert_eq!(p.insns[1], Insn::ret_k(5));
        assert_eq!(p.len(), 303);
    }

    #[test]
    fn far_jump_to_code_goes_through_ja() {
        let mut b = Builder::new();
        let (far, near) = (b.label(), b.label());
        b.jump(JmpCond::Gt, 1, near, far);
        b.bind(near);
        for _ in 0..300 {
            b.emit(Insn::ld_imm(0));
        }
        b.bind(far);
        b.emit(Insn::ld_imm(1));
        b.ret(5);
        let p = b.finish().unwrap();
        assert_eq!(p.insns[0], Insn::jmp_k(JmpCond::Gt, 1, 1, 0));
        assert_eq!(p.insns[1], Insn::ja(300));
        assert_eq!(p.insns[302], Insn::ld_imm(1));
    }

    #[test]
    fn label_errors_are_typed() {
        let mut b = Builder::new();
        let l = b.label();
        b.ja(l);
        assert_eq!(b.finish(), Err(BuildError::UnboundLabel(l)));
        let mut b = Builder::new();
        let l = b.label();
        b.bind(l);
        b.ret(0);
        b.ja(l);
        assert_eq!(b.finish(), Err(BuildError::BackwardJump { label: l }));
        assert_eq!(Builder::new().finish(), Err(BuildError::Empty));
    }

    #[test]
    fn programs_over_4096_are_a_typed_error() {
        let mut b = Builder::new();
        for _ in 0..4096 {
            b.ret(0);
        }
        assert_eq!(b.finish().unwrap().len(), 4096);
        b.ret(0);
        assert_eq!(b.finish(), Err(BuildError::TooLong { insns: 4097 }));
    }
}
