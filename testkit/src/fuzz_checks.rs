//! The properties the fuzz targets check, on concrete inputs.
//!
//! Used by the fuzz crate (whose targets decode libFuzzer's bytes and call
//! these functions) and by the main workspace's `tests/fuzz_regressions.rs`
//! (which replays minimized crashes and the seed corpus through them). A
//! regression test therefore checks exactly what the target checked. It
//! needs only `bpf_asm` and `policy`; the checks that run CLI modules are
//! in the fuzz crate's `cli_checks.rs`.

use std::collections::{BTreeSet, HashSet};

use bpf_asm::seccomp::ret;
use bpf_asm::testgen::{self, Rng};
use bpf_asm::{interp, text, verify, Arch, DisasmOptions, Program, SeccompData, MAX_INSNS};
use policy::groups;
use policy::profile::{Context, Profile};
use policy::stats::interesting_numbers;
use policy::{
    resolve, Action, CmpOp, CompileError, CompileOptions, Leaf, LoweredPolicy, Policy, PolicyError,
    PolicySpec, SyscallTable,
};

/// At most this many `seccomp_data` blocks are read from a `bpf_raw` input.
pub const MAX_RAW_DATA: usize = 16;

/// At most this many boundary inputs are checked per compiled policy (the
/// per-input cost of the fuzzer stays in milliseconds).
pub const MAX_BOUNDARY_CHECKS: usize = 8_000;

/// Renders a message: what the fuzzer checks is that `Display` does not
/// panic on any input (what the message says is the unit tests' business).
pub fn render(message: &impl std::fmt::Display) {
    std::hint::black_box(message.to_string());
}

/// FNV-1a, to seed the generator from an input (deterministic per input).
pub fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// A `seccomp_data` from up to 64 bytes (zero-padded), host byte order.
pub fn data_from_bytes(bytes: &[u8]) -> SeccompData {
    let mut b = [0u8; 64];
    let n = bytes.len().min(64);
    b[..n].copy_from_slice(&bytes[..n]);
    SeccompData::from_bytes(&b)
}

/// Splits a `bpf_raw` input: a little-endian `u16` instruction count, that
/// many 8-byte instructions (or as many whole ones as there are), then
/// 64-byte `seccomp_data` blocks.
pub fn split_raw(bytes: &[u8]) -> (&[u8], &[u8]) {
    if bytes.len() < 2 {
        return (&[], &[]);
    }
    let n = usize::from(u16::from_le_bytes([bytes[0], bytes[1]]));
    let rest = &bytes[2..];
    let take = (n * 8).min(rest.len() / 8 * 8);
    rest.split_at(take)
}

/// `bpf_raw`: a raw program through the parser, the verifier, the text
/// round trip, the interpreter and the action-cache analysis.
///
/// - `Program::from_bytes` on the whole input and on the program part:
///   a program or a typed error;
/// - every program disassembles and re-assembles to the same instructions;
/// - the interpreter never panics and executes at most `len` instructions
///   (jumps only go forward: no infinite loop);
/// - on a program the verifier accepts, every run reaches a `ret` (no
///   `FellOffEnd`, no other error);
/// - on an accepted program, a syscall the cache analysis calls
///   const-ALLOW gets `ALLOW` from the interpreter whatever its arguments.
pub fn bpf_raw(bytes: &[u8]) {
    let _ = Program::from_bytes(bytes);
    let (prog_bytes, data_bytes) = split_raw(bytes);
    let prog = match Program::from_bytes(prog_bytes) {
        Ok(p) => p,
        Err(e) => {
            render(&e);
            return;
        }
    };
    let listing = text::disassemble(&prog, &DisasmOptions::default());
    let back = text::assemble(&listing)
        .unwrap_or_else(|e| panic!("disassembly does not assemble: {e}\n{listing}"));
    assert_eq!(back, prog, "text round trip changed the program\n{listing}");

    let report = verify::verify(&prog);
    let accepted = report.is_ok();
    let mut datas: Vec<SeccompData> = data_bytes
        .chunks(64)
        .take(MAX_RAW_DATA)
        .map(data_from_bytes)
        .collect();
    datas.push(SeccompData::default());
    let mut rng = Rng::new(fnv(bytes));
    for _ in 0..4 {
        datas.push(testgen::data_for(&mut rng, &prog));
    }
    for d in &datas {
        match interp::run(&prog, d) {
            Ok(out) => assert!(
                out.executed >= 1 && out.executed <= prog.len(),
                "executed {} of {} instructions\n{listing}",
                out.executed,
                prog.len()
            ),
            Err(e) => assert!(
                !accepted,
                "the verifier accepts the program but a run fails: {e}\n{d:x?}\n{listing}"
            ),
        }
    }
    if accepted {
        for arch in Arch::ALL {
            for nr in bpf_asm::cached_syscalls(&prog, arch.audit(), 64) {
                for d in &datas {
                    let d = SeccompData {
                        nr,
                        arch: arch.audit(),
                        ..*d
                    };
                    let out = interp::run(&prog, &d).expect("accepted programs run");
                    assert_eq!(
                        out.ret,
                        ret::ALLOW,
                        "cache says {arch:?} nr {nr} is always allowed\n{listing}"
                    );
                }
            }
        }
    } else {
        render(&report);
    }
}

/// `bpf_text`: whatever assembles must disassemble (plain, with labels,
/// with syscall-name comments) and re-assemble to the same instructions.
pub fn bpf_text(source: &str) {
    let resolve = |name: &str| SyscallTable::lookup(Arch::X86_64, name);
    let prog = match text::assemble_with(source, &resolve) {
        Ok(p) => p,
        Err(e) => {
            assert!(e.line >= 1 && e.column >= 1, "{e:?}");
            return;
        }
    };
    let namer = |arch: Arch, nr: u32| SyscallTable::name(arch, nr).map(str::to_owned);
    let options = [
        DisasmOptions::default(),
        DisasmOptions {
            labels: true,
            ..DisasmOptions::default()
        },
        DisasmOptions {
            arch: Some(Arch::X86_64),
            syscall_name: Some(&namer),
            labels: false,
        },
        DisasmOptions {
            arch: Some(Arch::X86),
            syscall_name: Some(&namer),
            labels: true,
        },
    ];
    for opts in &options {
        let listing = text::disassemble(&prog, opts);
        match text::assemble(&listing) {
            Ok(back) => assert_eq!(
                back, prog,
                "round trip ({opts:?}) changed the program\n{listing}"
            ),
            Err(e) => panic!("disassembly ({opts:?}) does not assemble: {e}\n{listing}"),
        }
    }
    if verify::verify(&prog).is_ok() {
        interp::run(&prog, &SeccompData::default()).expect("accepted programs run");
    }
}

/// One syscall argument value and its neighbours on each 32-bit half and
/// at 16-bit boundaries: where a condition can change its verdict.
pub fn boundary_values(v: u64) -> Vec<u64> {
    let (hi, lo) = (v >> 32, v & 0xffff_ffff);
    let mut out = vec![0, u64::from(u32::MAX), u64::MAX, v];
    for h in [hi.wrapping_sub(1), hi, hi.wrapping_add(1), 0] {
        for l in [
            lo.wrapping_sub(1),
            lo,
            lo.wrapping_add(1),
            lo ^ 0x1_0000,
            lo & 0xffff,
        ] {
            out.push(((h & 0xffff_ffff) << 32) | (l & 0xffff_ffff));
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Candidate values of each argument of syscall `nr` on `p`'s arch: the
/// boundary values of every condition constant (and mask) on it.
pub fn argument_candidates(policy: &Policy, arch: Arch, nr: u32) -> Vec<Vec<u64>> {
    let mut cand: Vec<Vec<u64>> = vec![vec![0, u64::MAX]; 6];
    let Some(p) = policy.arches().iter().find(|p| p.arch() == arch) else {
        return cand;
    };
    for r in p.conditional().get(&nr).into_iter().flatten() {
        for (c, _) in r.conditions() {
            let slot = &mut cand[usize::from(c.arg())];
            slot.extend(boundary_values(c.value()));
            if let CmpOp::MaskedEq(m) = c.op() {
                slot.extend([m, c.value() & m, !m, (c.value() & m) | !m]);
            }
        }
    }
    for c in &mut cand {
        c.sort_unstable();
        c.dedup();
    }
    cand
}

/// Every boundary input of a policy, capped at [`MAX_BOUNDARY_CHECKS`]:
/// each interesting number of each arch with all-zero and all-ones
/// arguments, and, for each syscall with conditions, every candidate of
/// each argument against a few bases (zeros, ones, each condition's value).
pub fn boundary_inputs(policy: &Policy, seed: u64) -> Vec<SeccompData> {
    let mut out = Vec::new();
    let mut rng = Rng::new(seed);
    for p in policy.arches() {
        let arch = p.arch().audit();
        for nr in interesting_numbers(p) {
            for args in [[0u64; 6], [u64::MAX; 6]] {
                out.push(SeccompData {
                    nr,
                    arch,
                    args,
                    ..SeccompData::default()
                });
            }
        }
        for &nr in p.conditional().keys() {
            let cand = argument_candidates(policy, p.arch(), nr);
            let mut bases = vec![[0u64; 6], [u64::MAX; 6]];
            for _ in 0..6 {
                let mut base = [0u64; 6];
                for (slot, c) in base.iter_mut().zip(&cand) {
                    *slot = rng.pick(c);
                }
                bases.push(base);
            }
            for base in bases {
                for (i, c) in cand.iter().enumerate() {
                    for &x in c {
                        let mut args = base;
                        args[i] = x;
                        out.push(SeccompData {
                            nr,
                            arch,
                            args,
                            ..SeccompData::default()
                        });
                    }
                }
            }
        }
    }
    // A foreign arch and garbage arch values get the foreign action.
    for arch in [0, 0x4000_003e, u32::MAX] {
        out.push(SeccompData {
            nr: 0,
            arch,
            ..SeccompData::default()
        });
    }
    if out.len() > MAX_BOUNDARY_CHECKS {
        // Keep a deterministic, evenly spread subset.
        let step = out.len().div_ceil(MAX_BOUNDARY_CHECKS);
        out = out.into_iter().step_by(step).collect();
    }
    out
}

/// The interpreter's return value equals the reference evaluator's action
/// (and the lowered matchers agree with the reference).
pub fn check_agreement(lowered: &LoweredPolicy, prog: &Program, d: &SeccompData) {
    let want = lowered.policy().evaluate(d);
    assert_eq!(
        lowered.evaluate(d),
        want,
        "lowered matchers disagree with the reference on {d:x?}"
    );
    let got = interp::run(prog, d)
        .unwrap_or_else(|e| panic!("compiled program fails on {d:x?}: {e}"))
        .ret;
    assert_eq!(
        got,
        want.to_raw(),
        "program returns {got:#x}, reference {want:?} for {d:x?}"
    );
}

/// What compiling a spec did, for the fuzz targets' statistics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compiled {
    /// `resolve` refused the spec with a typed error.
    Refused,
    /// `compile` refused the policy with a typed error (too long).
    TooLong,
    /// Compiled, verified, and checked on this many inputs.
    Checked(usize),
}

/// `policy_compile`: a spec → `resolve` → `compile`. Either a typed error
/// that the spec explains, or a program of at most 4096 instructions that
/// the verifier accepts, that agrees with `Policy::evaluate` on every
/// boundary input and on `probes`, and whose action cache covers exactly
/// the unconditionally allowed table syscalls.
pub fn policy_compile(
    spec: &PolicySpec,
    opts: &CompileOptions,
    probes: &[SeccompData],
) -> Compiled {
    let policy = match resolve(spec) {
        Ok((policy, warnings)) => {
            for w in &warnings {
                render(&w);
            }
            policy
        }
        Err(e) => {
            match &e {
                PolicyError::NoArch => assert!(spec.arches.is_empty(), "{e}"),
                PolicyError::UnknownSyscall { name, .. } => {
                    assert!(!SyscallTable::known_anywhere(name), "{e}")
                }
            }
            render(&e);
            return Compiled::Refused;
        }
    };
    check_policy(&policy, opts, probes, fnv(format!("{spec:?}").as_bytes()))
}

/// The checks of [`policy_compile`] on a resolved policy.
pub fn check_policy(
    policy: &Policy,
    opts: &CompileOptions,
    probes: &[SeccompData],
    seed: u64,
) -> Compiled {
    let lowered = policy.lower(opts);
    let prog = match lowered.emit() {
        Ok(p) => p,
        Err(CompileError::Build(e)) => {
            render(&e);
            return Compiled::TooLong;
        }
    };
    assert!(
        !prog.is_empty() && prog.len() <= MAX_INSNS,
        "{} instructions",
        prog.len()
    );
    let report = verify::verify(&prog);
    assert!(report.is_ok(), "compiled program rejected: {report}");
    let inputs = boundary_inputs(policy, seed);
    for d in inputs.iter().chain(probes) {
        check_agreement(&lowered, &prog, d);
    }
    for (p, l) in policy.arches().iter().zip(lowered.arches()) {
        let cached = bpf_asm::cached_syscalls(&prog, p.arch().audit(), p.table_end());
        for nr in 0..p.table_end() {
            let allow = l.leaf(nr) == Leaf::Ret(Action::Allow);
            assert_eq!(
                cached.binary_search(&nr).is_ok(),
                allow,
                "{:?} nr {nr}: cache and policy disagree",
                p.arch()
            );
        }
    }
    Compiled::Checked(inputs.len() + probes.len())
}

/// The contexts a parsed profile is translated in: nothing granted on
/// x86_64 with this machine's kernel, and everything granted on an old
/// aarch64 kernel.
pub fn profile_contexts() -> [Context; 2] {
    [
        Context {
            caps: 0,
            arch: Arch::X86_64,
            kernel: (6, 18),
        },
        Context {
            caps: u64::MAX,
            arch: Arch::Aarch64,
            kernel: (4, 4),
        },
    ]
}

/// A parsed profile → `Profile::to_spec` in `ctx` → `resolve` →
/// [`check_policy`]: a typed error or a policy, never a panic; a translated
/// profile always resolves (the translation skips unknown names and
/// refuses bad indices).
pub fn profile_spec(profile: &Profile, ctx: &Context) {
    let (spec, notes) = match profile.to_spec(ctx) {
        Ok(x) => x,
        Err(e) => {
            render(&e);
            return;
        }
    };
    for n in &notes {
        render(&n);
    }
    assert_eq!(spec.arches.first(), Some(&ctx.arch), "native arch first");
    let (policy, _) =
        resolve(&spec).unwrap_or_else(|e| panic!("a translated profile does not resolve: {e}"));
    check_policy(
        &policy,
        &CompileOptions::default(),
        &[],
        fnv(format!("{spec:?}").as_bytes()),
    );
}

/// The library half of `cli_lists`, on a syscall list already split at
/// commas: see `cli_checks::cli_lists`.
pub fn check_expand(items: &[String], arches: &[Arch]) {
    let out = match groups::expand(items, arches) {
        Ok(out) => out,
        Err(e) => {
            render(&e);
            return;
        }
    };
    let typed: HashSet<&str> = items.iter().map(|i| i.trim()).collect();
    let mut members: HashSet<&str> = HashSet::new();
    let mut removed: HashSet<&str> = HashSet::new();
    for item in items {
        let item = item.trim();
        let (remove, body) = match item.strip_prefix('-') {
            Some(rest) => (true, rest.trim_start()),
            None => (false, item),
        };
        let names: Vec<&str> = if body.starts_with('@') {
            groups::names(body).expect("expand accepted the group")
        } else {
            vec![body]
        };
        if remove {
            removed.extend(names);
        } else {
            members.extend(names);
        }
    }
    let mut seen = BTreeSet::new();
    for n in &out {
        assert!(seen.insert(n), "duplicate {n} in {out:?}");
        assert!(
            !n.starts_with('@') && !n.starts_with('-') && n.trim() == n,
            "{n:?}"
        );
        assert!(
            typed.contains(n.as_str()) || members.contains(n.as_str()),
            "{n} came from nowhere"
        );
        assert!(!removed.contains(n.as_str()), "{n} was removed");
    }
    // Removals apply after all additions, wherever they stand.
    let (rem, add): (Vec<&String>, Vec<&String>) =
        items.iter().partition(|i| i.trim().starts_with('-'));
    let reordered: Vec<&String> = add.into_iter().chain(rem).collect();
    assert_eq!(
        groups::expand(&reordered, arches).as_ref(),
        Ok(&out),
        "removal position matters"
    );
    assert_eq!(groups::expand(&out, arches).as_ref(), Ok(&out));
    let spec = PolicySpec {
        names: out.clone(),
        arches: if arches.is_empty() {
            vec![Arch::X86_64]
        } else {
            arches.to_vec()
        },
        ..PolicySpec::default()
    };
    if let Err(e) = resolve(&spec) {
        match e {
            PolicyError::UnknownSyscall { name, .. } => {
                assert!(typed.contains(name.as_str()), "group member {name} unknown")
            }
            other => panic!("{other}"),
        }
    }
}
