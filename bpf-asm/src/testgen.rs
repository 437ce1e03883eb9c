//! Random programs for tests, from a `u64` seed (no dependencies).
//!
//! Other crates' tests use this without a dev-dependency on a fuzzing
//! crate: proptest (or a plain loop) supplies seeds, and a failing seed
//! reproduces exactly.
//!
//! - [`valid_program`]: a program the kernel accepts, built by running the
//!   kernel's own rules while generating (forward jumps in range, a `ret` at
//!   the end, `M[k]` read only where `check_load_and_stores` sees it stored),
//!   with random junk in the fields the kernel ignores;
//! - [`mutate`]: one local change (a flipped bit, another opcode, a broken
//!   jump, a bad load…) for verifier-vs-kernel tests;
//! - [`any_program`]: random instructions, mostly garbage;
//! - [`builder_program`]: a random label graph with long runs, through
//!   [`Builder`] (exercises relaxation);
//! - [`data_for`]: a `seccomp_data` built from the program's own constants
//!   (gVisor-style interesting values).

use crate::builder::{BuildError, Builder, Label};
use crate::insn::{class, AluOp, Insn, JmpCond, MAX_INSNS, MEMWORDS};
use crate::program::Program;
use crate::seccomp::{ret, Arch, SeccompData};

/// A small, fast, seedable generator (xorshift64*).
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        // Zero is a fixed point of xorshift; mix the seed first.
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// True with probability `num/den`.
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        self.below(den) < num
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    /// A 32-bit value biased towards edges: 0, 1, small, masks, random.
    pub fn interesting_u32(&mut self) -> u32 {
        match self.below(8) {
            0 => 0,
            1 => self.pick(&[1, 2, 0x7fff_ffff, 0x8000_0000, u32::MAX, 0x4000_0000]),
            2 | 3 => self.below(512) as u32,
            4 => self.pick(&Arch::ALL).audit(),
            _ => self.next_u32(),
        }
    }
}

/// A return value: mostly known actions, sometimes odd ones.
fn random_action(rng: &mut Rng) -> u32 {
    match rng.below(12) {
        0..=3 => ret::ALLOW,
        4 => ret::KILL_PROCESS,
        5 => ret::KILL_THREAD,
        6 => ret::ERRNO | rng.below(4096) as u32,
        7 => ret::TRAP | rng.below(65536) as u32,
        8 => ret::TRACE | rng.below(65536) as u32,
        9 => rng.pick(&[ret::LOG, ret::USER_NOTIF, ret::ALLOW | 1]),
        _ => rng.next_u32(),
    }
}

/// `insn` with, sometimes, random values in the fields the kernel ignores.
fn junk(insn: Insn, rng: &mut Rng, jumps: bool, k: bool) -> Insn {
    let mut insn = insn;
    if rng.chance(1, 16) {
        if jumps {
            insn.jt = rng.next_u32() as u8;
            insn.jf = rng.next_u32() as u8;
        }
        if k {
            insn.k = rng.interesting_u32();
        }
    }
    insn
}

/// A program the kernel accepts, of `1..=max_len` instructions
/// (`max_len` is clamped to 1..=4096).
pub fn valid_program(rng: &mut Rng, max_len: usize) -> Program {
    let max_len = max_len.clamp(1, MAX_INSNS);
    let len = 1 + rng.below(max_len as u64) as usize;
    let mut gen = ValidGen {
        rng,
        masks: vec![u16::MAX; len],
        memvalid: 0,
    };
    let mut insns = Vec::with_capacity(len);
    for pc in 0..len {
        gen.memvalid &= gen.masks[pc];
        let room = (len - pc - 1) as u64; // instructions after this one
        if room == 0 {
            insns.push(gen.last());
            break;
        }
        insns.push(gen.insn(pc, room));
    }
    Program::new(insns)
}

/// [`valid_program`]'s state: the kernel's `check_load_and_stores` run
/// alongside generation.
struct ValidGen<'a> {
    rng: &'a mut Rng,
    /// Per pc, the scratch words stored on every path that reaches it so
    /// far (a jump to it intersects).
    masks: Vec<u16>,
    /// The scratch words stored on the fall-through path to this pc.
    memvalid: u16,
}

impl ValidGen<'_> {
    /// The final instruction: a return.
    fn last(&mut self) -> Insn {
        let rng = &mut *self.rng;
        if rng.chance(1, 6) {
            junk(Insn::ret_a(), rng, true, true)
        } else {
            junk(Insn::ret_k(random_action(rng)), rng, true, false)
        }
    }

    /// An instruction at `pc` with `room` instructions after it.
    fn insn(&mut self, pc: usize, room: u64) -> Insn {
        let stored: Vec<u32> = (0..MEMWORDS)
            .filter(|&s| self.memvalid & (1 << s) != 0)
            .collect();
        let rng = &mut *self.rng;
        match rng.below(20) {
            0..=3 => junk(Insn::ld_abs(4 * rng.below(16) as u32), rng, true, false),
            4 => {
                let i = rng.pick(&[Insn::ld_len(), Insn::ldx_len()]);
                junk(i, rng, true, true)
            }
            5 => Insn::ld_imm(rng.interesting_u32()),
            6 => Insn::ldx_imm(rng.interesting_u32()),
            7 | 8 => self.alu(),
            9 => junk(
                rng.pick(&[Insn::neg(), Insn::tax(), Insn::txa()]),
                rng,
                true,
                true,
            ),
            10 => {
                let slot = rng.below(u64::from(MEMWORDS)) as u32;
                self.memvalid |= 1 << slot;
                rng.pick(&[Insn::st(slot), Insn::stx(slot)])
            }
            11 if !stored.is_empty() => {
                let slot = rng.pick(&stored);
                rng.pick(&[Insn::ld_mem(slot), Insn::ldx_mem(slot)])
            }
            12 => self.ja(pc, room),
            13..=17 => self.cond_jump(pc, room),
            18 => junk(Insn::ret_k(random_action(rng)), rng, true, false),
            19 => junk(Insn::ret_a(), rng, true, true),
            _ => Insn::ld_abs(0),
        }
    }

    /// An ALU instruction whose `K` form cannot fault (no division by zero,
    /// shifts below 32).
    fn alu(&mut self) -> Insn {
        let rng = &mut *self.rng;
        let alu = rng.pick(&AluOp::ALL);
        let k = match alu {
            AluOp::Div => rng.interesting_u32().max(1),
            AluOp::Lsh | AluOp::Rsh => rng.below(32) as u32,
            _ => rng.interesting_u32(),
        };
        if rng.chance(1, 2) {
            Insn::alu_k(alu, k)
        } else {
            junk(Insn::alu_x(alu), rng, true, true)
        }
    }

    /// `ja` to a pc within `room`, mostly near.
    fn ja(&mut self, pc: usize, room: u64) -> Insn {
        let rng = &mut *self.rng;
        let k = if rng.chance(3, 4) {
            rng.below(room.min(4))
        } else {
            rng.below(room)
        };
        let to = pc + 1 + k as usize;
        self.masks[to] &= self.memvalid;
        self.memvalid = u16::MAX;
        junk(Insn::ja(k as u32), rng, true, false)
    }

    /// A conditional jump, both targets within `room` and 255.
    fn cond_jump(&mut self, pc: usize, room: u64) -> Insn {
        let rng = &mut *self.rng;
        let reach = room.min(256);
        let mut off = || {
            if rng.chance(2, 3) {
                rng.below(reach.min(6)) as u8
            } else {
                rng.below(reach) as u8
            }
        };
        let (jt, jf) = (off(), off());
        self.masks[pc + 1 + jt as usize] &= self.memvalid;
        self.masks[pc + 1 + jf as usize] &= self.memvalid;
        self.memvalid = u16::MAX;
        let cond = rng.pick(&JmpCond::ALL);
        if rng.chance(3, 4) {
            Insn::jmp_k(cond, rng.interesting_u32(), jt, jf)
        } else {
            junk(Insn::jmp_x(cond, jt, jf), rng, false, true)
        }
    }
}

/// Opcodes worth trying in mutations: valid, valid-classic-only and invalid.
const MUTANT_CODES: [u16; 24] = [
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x0d, 0x0e, 0x0f, 0x16, 0x1e, 0x20, 0x28, 0x30,
    0x40, 0x60, 0x61, 0x84, 0x87, 0x94, 0x9c, 0xb1,
];

/// The program with one local change, likely (not certainly) invalid.
pub fn mutate(rng: &mut Rng, prog: &Program) -> Program {
    let mut insns = prog.insns.clone();
    if insns.is_empty() {
        return Program::new(vec![Insn::new(
            rng.pick(&MUTANT_CODES),
            0,
            0,
            rng.next_u32(),
        )]);
    }
    let pc = rng.below(insns.len() as u64) as usize;
    let insn = &mut insns[pc];
    match rng.below(12) {
        0 => {
            // Flip one bit of the 8 bytes.
            let mut bytes = insn.to_bytes();
            let bit = rng.below(64) as usize;
            bytes[bit / 8] ^= 1 << (bit % 8);
            *insn = Insn::from_bytes(bytes);
        }
        1 | 2 => insn.code = rng.pick(&MUTANT_CODES),
        3 => insn.code ^= 1 << rng.below(16),
        4 => {
            // Break or stretch a jump.
            insn.jt = insn.jt.wrapping_add(rng.below(8) as u8 + 1);
            insn.jf = rng.next_u32() as u8;
            insn.k = insn.k.wrapping_add(rng.below(4) as u32 + 1);
        }
        5 => *insn = Insn::ld_mem(rng.below(17) as u32),
        6 => *insn = Insn::ld_abs(rng.pick(&[2, 62, 64, 65, 0xffff_f000, u32::MAX])),
        7 => *insn = rng.pick(&[Insn::alu_k(AluOp::Div, 0), Insn::alu_k(AluOp::Lsh, 32)]),
        8 => *insn = Insn::new(class::ST, 0, 0, 16 + rng.below(8) as u32),
        9 => {
            // Replace the final ret.
            let last = insns.len() - 1;
            insns[last] = Insn::ld_imm(0);
        }
        10 => {
            insns.truncate(pc);
        }
        _ => {
            // Insert an instruction, which moves jump targets.
            let extra = rng.pick(&[Insn::ld_mem(0), Insn::st(0), Insn::ld_abs(0), Insn::ja(0)]);
            insns.insert(pc, extra);
        }
    }
    Program::new(insns)
}

/// Random instructions: codes from the interesting set or fully random.
pub fn any_program(rng: &mut Rng, max_len: usize) -> Program {
    let len = rng.below(max_len.max(1) as u64 + 1) as usize;
    let insns = (0..len)
        .map(|_| {
            let code = if rng.chance(3, 4) {
                rng.pick(&MUTANT_CODES) | if rng.chance(1, 2) { 0x10 } else { 0 }
            } else {
                rng.next_u32() as u16
            };
            Insn::new(
                code,
                rng.below(8) as u8,
                rng.next_u32() as u8,
                rng.interesting_u32(),
            )
        })
        .collect();
    Program::new(insns)
}

/// One item of a [`LabelGraph`]: jump targets are item indices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GraphItem {
    Insn(Insn),
    Ja(usize),
    Cond {
        cond: JmpCond,
        k: u32,
        jt: usize,
        jf: usize,
    },
}

/// A random program as a label graph, for testing [`Builder`]: it can be
/// built (with relaxation) and evaluated directly, and the two must agree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelGraph {
    pub items: Vec<GraphItem>,
}

impl LabelGraph {
    /// Labels at every item, conditional jumps and `ja`s to random later
    /// items, long straight runs so that many edges exceed 255 and need
    /// relaxation. Uses only `ld [nr]`, `ld [arch]`, `ld #k`, jumps and
    /// `ret`, so the built program is valid whenever the builder is right.
    pub fn random(rng: &mut Rng, items: usize) -> LabelGraph {
        let n = items.clamp(1, 2000);
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let left = n - i - 1;
            if left == 0 {
                out.push(GraphItem::Insn(Insn::ret_k(random_action(rng))));
                break;
            }
            let far = |rng: &mut Rng| -> usize {
                let d = if rng.chance(1, 3) {
                    rng.below(left as u64)
                } else {
                    rng.below(left.min(4) as u64)
                };
                i + 1 + d as usize
            };
            out.push(match rng.below(10) {
                0..=2 => GraphItem::Cond {
                    cond: rng.pick(&JmpCond::ALL),
                    k: rng.interesting_u32(),
                    jt: far(rng),
                    jf: far(rng),
                },
                3 => GraphItem::Ja(far(rng)),
                4 => GraphItem::Insn(Insn::ret_k(random_action(rng))),
                5 => GraphItem::Insn(Insn::ld_abs(rng.pick(&[0, 4]))),
                _ => GraphItem::Insn(Insn::ld_imm(rng.interesting_u32())),
            });
        }
        LabelGraph { items: out }
    }

    /// Lays the graph out through [`Builder`].
    pub fn build(&self) -> Result<Program, BuildError> {
        let mut b = Builder::new();
        let labels: Vec<Label> = self.items.iter().map(|_| b.label()).collect();
        for (i, item) in self.items.iter().enumerate() {
            b.bind(labels[i]);
            match *item {
                GraphItem::Insn(insn) => b.emit(insn),
                GraphItem::Ja(t) => b.ja(labels[t]),
                GraphItem::Cond { cond, k, jt, jf } => b.jump(cond, k, labels[jt], labels[jf]),
            }
        }
        b.finish()
    }

    /// Runs the graph itself on `data`: the return value, or `None` if it
    /// runs off the end.
    pub fn eval(&self, data: &SeccompData) -> Option<u32> {
        let mut a = 0u32;
        let mut i = 0;
        while let Some(item) = self.items.get(i) {
            i = match *item {
                GraphItem::Insn(insn) if insn.is_ret() => return Some(insn.k),
                GraphItem::Insn(insn) if insn.code == Insn::ld_imm(0).code => {
                    a = insn.k;
                    i + 1
                }
                GraphItem::Insn(insn) => {
                    a = data.word(insn.k)?;
                    i + 1
                }
                GraphItem::Ja(t) => t,
                GraphItem::Cond { cond, k, jt, jf } => {
                    if cond.holds(a, k) {
                        jt
                    } else {
                        jf
                    }
                }
            };
        }
        None
    }
}

/// [`LabelGraph::random`] built through [`Builder`].
pub fn builder_program(rng: &mut Rng, items: usize) -> Result<Program, BuildError> {
    LabelGraph::random(rng, items).build()
}

/// A `seccomp_data` whose fields come from the program's own constants
/// (±1) or edge values, so that random runs take interesting branches.
pub fn data_for(rng: &mut Rng, prog: &Program) -> SeccompData {
    let consts: Vec<u32> = prog
        .insns
        .iter()
        .filter(|i| i.class() == class::JMP || i.code == Insn::ld_imm(0).code)
        .map(|i| i.k)
        .collect();
    let mut value = |rng: &mut Rng| -> u32 {
        if !consts.is_empty() && rng.chance(2, 3) {
            let c = rng.pick(&consts);
            match rng.below(4) {
                0 => c.wrapping_sub(1),
                1 => c.wrapping_add(1),
                _ => c,
            }
        } else {
            rng.interesting_u32()
        }
    };
    let wide = |rng: &mut Rng, value: &mut dyn FnMut(&mut Rng) -> u32| {
        u64::from(value(rng)) | u64::from(value(rng)) << 32
    };
    SeccompData {
        nr: value(rng),
        arch: if rng.chance(3, 4) {
            rng.pick(&Arch::ALL).audit()
        } else {
            value(rng)
        },
        instruction_pointer: wide(rng, &mut value),
        args: [(); 6].map(|_| wide(rng, &mut value)),
    }
}

/// [`data_for`] for a real call: syscall `nr` of `arch`, instruction
/// pointer 0, and on a 32-bit ABI only the low word of each argument (the
/// kernel zero-extends them, `syscall_get_arguments`), so the input is one
/// the kernel can really produce.
pub fn call_data(rng: &mut Rng, prog: &Program, arch: Arch, nr: u32) -> SeccompData {
    let mut data = data_for(rng, prog);
    if !arch.is_64bit() {
        data.args = data.args.map(|a| a & 0xffff_ffff);
    }
    SeccompData {
        nr,
        arch: arch.audit(),
        instruction_pointer: 0,
        ..data
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_reproduce() {
        let a = valid_program(&mut Rng::new(7), 50);
        let b = valid_program(&mut Rng::new(7), 50);
        assert_eq!(a, b);
        assert_ne!(Rng::new(0).next_u64(), Rng::new(1).next_u64());
    }

    #[test]
    fn valid_programs_verify() {
        for seed in 0..500 {
            let p = valid_program(&mut Rng::new(seed), 80);
            let r = crate::verify::verify(&p);
            assert!(r.is_ok(), "seed {seed}: {r}");
        }
    }
}
