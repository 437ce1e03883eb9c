//! Differential test: go-jail's compilation of seccomp profiles against
//! libseccomp's (the reference runtimes use), and both against a direct
//! evaluator of the profile's meaning written here, independently of
//! `policy::profile::to_spec` and `policy::resolve`.
//!
//! For Docker's default profile (x86_64 + x86, with and without
//! CAP_SYS_ADMIN), Podman's (containers/common, with no caps, Docker's
//! default container caps and CAP_SYS_ADMIN) and for randomly generated
//! profiles (x86_64), every
//! syscall number of the arch (plus the regions above the table, x32 and
//! `-1`) is run with generated argument vectors through both programs in
//! bpf-asm's interpreter. libseccomp's program comes from
//! `tests/support/scmp_export.c`, compiled here with `gcc -lseccomp`.
//!
//! go-jail must equal the reference evaluator everywhere except where it
//! knowingly adds to a profile ([`OURS_EXCEPTIONS`]). libseccomp must equal
//! it except in the named cases of [`LIBSECCOMP_EXCEPTIONS`]; each
//! disagreement is classified, counted and printed, and an unexplained one
//! fails the test. libseccomp's intent is read from its own rule tree
//! (`seccomp_export_pfc`, evaluated by [`Pfc`]): its BPF is called a
//! miscompile only where it answers otherwise than that tree, and the
//! tree's answer is then explained precisely (a comparison variant, the
//! half-word order, or a tree answer no holding rule gives).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use bpf_asm::{Arch, Program, SeccompData};
use policy::condition::Width;
use policy::profile::{Arg, ArgOp, Context, Entry, Filter, Profile, ProfileAction};
use policy::{Action, SyscallTable};

use testkit::rule_file;

/// Where go-jail knowingly differs from the profile's bare meaning.
const OURS_EXCEPTIONS: &[(&str, &str)] = &[
    (
        "enosys-above-table",
        "numbers above the syscall table get ERRNO(ENOSYS), not the default (runc's -ENOSYS stub)",
    ),
    (
        "enosys-clone3",
        "clone3 without a rule gets ERRNO(ENOSYS) under a default that denies (glibc falls back to clone)",
    ),
    (
        "x32-killed",
        "x86_64 numbers with the x32 bit are KILL_PROCESS (x32 is not a go-jail target)",
    ),
    (
        "libseccomp-tree-order",
        "where rules with different actions hold, go-jail answers as libseccomp's own tree (PFC) does, on the bits the kernel reads: the rule it reaches first in half-word order",
    ),
];

/// Where libseccomp 2.5.4's program knowingly differs from the profile's meaning.
const LIBSECCOMP_EXCEPTIONS: &[(&str, &str)] = &[
    (
        "x32-or-minus-1",
        "libseccomp's x32 section / bad-arch handling of numbers >= 0x40000000 and of -1",
    ),
    (
        "64-bit-compare",
        "libseccomp compares all 64 bits of a 32-bit argument (socket(0x1_0000_0028) passes AF_VSOCK blocks)",
    ),
    (
        "libseccomp-refused",
        "libseccomp refused one of the syscall's rules (-EEXIST: same conditions, or a shorter rule after a longer one, with another action); runc would not start, go-jail keeps profile order",
    ),
    (
        "masked-eq-datum",
        "MASKED_EQ whose valueTwo has bits outside the mask: libseccomp never matches, go-jail compares both sides under the mask",
    ),
    (
        "libseccomp-bpf-miscompile",
        "libseccomp 2.5.4's BPF answers otherwise than its own rule tree (its seccomp_export_pfc text, evaluated here): gen_bpf.c miscompiles the tree; the profile's meaning wins",
    ),
    (
        "libseccomp-tree-wrong",
        "libseccomp 2.5.4's own rule tree (PFC, which its BPF follows here) answers with an action no rule that holds gives, or with the default where a rule holds, under every comparison variant: db.c merged a rule's nodes under a sibling condition that does not imply them (lseek: `a0 > 1 && a1 >= 5 && a2 > 1 -> TRAP` next to `a2 > 1 && a0 > 5 -> KILL`: KILL for a0 = 5); the profile's meaning wins",
    ),
    (
        "half-word-order",
        "libseccomp's own tree (PFC) picks another of the rules that hold than the whole-condition order: it sorts and merges each 64-bit comparison as a high-word and a low-word node (db.c _db_rule_gen_64), so overlapping rules can be decided word by word",
    ),
];

// ---------------------------------------------------------------- helper

fn helper(tag: &str) -> Option<PathBuf> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/scmp_export.c");
    let dir = std::env::temp_dir().join(format!("go-jail-scmp-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    let bin = dir.join("scmp_export");
    let out = Command::new("gcc")
        .args(["-O1", "-o"])
        .arg(&bin)
        .arg(&src)
        .arg("-lseccomp")
        .output();
    match out {
        Ok(o) if o.status.success() => Some(bin),
        Ok(o) => {
            eprintln!(
                "skipping: cannot build the libseccomp helper (install libseccomp-dev): {}",
                String::from_utf8_lossy(&o.stderr)
                    .lines()
                    .next()
                    .unwrap_or("")
            );
            None
        }
        Err(e) => {
            eprintln!("skipping: gcc not available: {e}");
            None
        }
    }
}

// ---------------------------------------------------- the reference model

/// One rule after runc's reading of an entry (includes/excludes applied,
/// errno resolved, OR-split when an index repeats).
#[derive(Clone, Debug)]
struct RefRule {
    name: String,
    action: Action,
    conds: Vec<Arg>,
}

fn action_of(a: ProfileAction, errno: Option<u16>) -> Action {
    let code = errno.unwrap_or(1);
    match a {
        ProfileAction::Allow => Action::Allow,
        ProfileAction::Errno => Action::Errno(code),
        ProfileAction::Kill | ProfileAction::KillThread => Action::KillThread,
        ProfileAction::KillProcess => Action::KillProcess,
        ProfileAction::Trap => Action::Trap(0),
        ProfileAction::Trace => Action::Trace(code),
        ProfileAction::Log => Action::Log,
        ProfileAction::Notify => Action::UserNotif,
    }
}

fn cap_bit(name: &str) -> Option<u32> {
    policy::profile::CAP_NAMES
        .iter()
        .position(|c| *c == name)
        .map(|i| i as u32)
}

/// runc/moby's reading of the profile in `ctx` (written from their
/// documented behaviour, not from `to_spec`).
fn runc_rules(p: &Profile, ctx: &Context) -> (Action, Vec<RefRule>) {
    let default = action_of(p.default_action, p.default_errno);
    let goarch = match ctx.arch {
        Arch::X86_64 => "amd64",
        Arch::X86 => "x86",
        Arch::Aarch64 => "arm64",
        Arch::Arm => "arm",
        Arch::Riscv64 => "riscv64",
    };
    let has = |c: &String| cap_bit(c).is_some_and(|b| ctx.caps >> b & 1 == 1);
    let mut out = Vec::new();
    'entries: for e in &p.syscalls {
        let ex = &e.excludes;
        if ex.arches.iter().any(|a| a == goarch) || ex.caps.iter().any(has) {
            continue;
        }
        if ex.min_kernel.is_some_and(|k| ctx.kernel >= k) {
            continue;
        }
        let inc = &e.includes;
        if !inc.arches.is_empty() && !inc.arches.iter().any(|a| a == goarch) {
            continue;
        }
        for c in &inc.caps {
            if !has(c) {
                continue 'entries;
            }
        }
        if inc.min_kernel.is_some_and(|k| ctx.kernel < k) {
            continue;
        }
        let action = action_of(e.action, e.errno);
        if action == default {
            continue; // libseccomp: -EACCES; runc skips
        }
        let mut seen = [0; 6];
        for a in &e.args {
            seen[a.index as usize] += 1;
        }
        let split = seen.iter().any(|&n| n > 1);
        for name in &e.names {
            if split {
                for a in &e.args {
                    out.push(RefRule {
                        name: name.clone(),
                        action,
                        conds: vec![*a],
                    });
                }
            } else {
                out.push(RefRule {
                    name: name.clone(),
                    action,
                    conds: e.args.clone(),
                });
            }
        }
    }
    (default, out)
}

/// How a variant of the semantics compares.
#[derive(Clone, Copy, Default)]
struct Variant {
    /// Compare all 64 bits (libseccomp) instead of the kernel's width.
    full_width: bool,
    /// MASKED_EQ: `(arg & mask) == valueTwo` without masking valueTwo.
    raw_masked: bool,
}

fn holds(a: &Arg, arch: Arch, name: &str, args: &[u64; 6], v: Variant) -> bool {
    let index = policy::ArgIndex::new(a.index as u8).expect("profile indices are 0..=5");
    let mut width = policy::width::arg_width(arch, name, index);
    let mut raw = args[a.index as usize];
    if !arch.is_64bit() {
        raw &= 0xffff_ffff;
    }
    if v.full_width {
        // libseccomp: 64 bits on a 64-bit arch, the low word on a 32-bit one
        width = if arch.is_64bit() {
            Width::W64
        } else {
            Width::W32
        };
    }
    let cut = |x: u64| width.cut(x);
    let (x, val) = (cut(raw), cut(a.value));
    // The profile's meaning on a narrow argument: an ordered constant above
    // every value the argument can take is not cut (family < 0x1_0000_0028
    // holds for every family); libseccomp on a 32-bit arch truncates it.
    let threshold = match width.threshold(a.value) {
        _ if v.full_width => Some(val),
        policy::Threshold::Value(t) => Some(t),
        policy::Threshold::AboveAll => None,
    };
    match a.op {
        ArgOp::Ne => x != val,
        ArgOp::Lt => threshold.is_none_or(|t| x < t),
        ArgOp::Le => threshold.is_none_or(|t| x <= t),
        ArgOp::Eq => x == val,
        ArgOp::Ge => threshold.is_some_and(|t| x >= t),
        ArgOp::Gt => threshold.is_some_and(|t| x > t),
        ArgOp::MaskedEq if v.raw_masked => {
            x & val == cut(a.value_two) && a.value_two == cut(a.value_two)
        }
        ArgOp::MaskedEq => x & val == cut(a.value_two) & val,
    }
}

/// libseccomp's place for a condition on one level of its argument tree,
/// as a key (smaller first): higher argument index, then `==`/`!=`/masked
/// `==`, `<`/`<=`, `>`/`>=`, then the larger value (the smaller for
/// `<`/`<=`); masked `==` compares `valueTwo & value`.
fn tree_key(c: &Arg) -> (std::cmp::Reverse<u32>, u8, i128) {
    let (class, datum) = match c.op {
        ArgOp::Eq | ArgOp::Ne => (0, c.value),
        ArgOp::MaskedEq => (0, c.value & c.value_two),
        ArgOp::Lt | ArgOp::Le => (1, c.value),
        ArgOp::Ge | ArgOp::Gt => (2, c.value),
    };
    let datum = if class == 1 {
        datum as i128
    } else {
        -(datum as i128)
    };
    (std::cmp::Reverse(c.index), class, datum)
}

fn same_arg(a: &Arg, b: &Arg) -> bool {
    (a.index, a.op, a.value, a.value_two) == (b.index, b.op, b.value, b.value_two)
}

fn sorted_conds(r: &RefRule) -> Vec<Arg> {
    let mut c = r.conds.clone();
    c.sort_by_key(|a| a.index);
    c
}

/// Whether conditional rule `a` (index `ia` in `rules`) is tried before
/// `b` by libseccomp's argument tree: the first condition where their
/// sorted condition lists differ decides by [`tree_key`], a tie by which
/// of the two conditions entered the tree first; a rule that is a prefix
/// of the other goes first unless it came after a longer rule with
/// another action (libseccomp refuses it); identical lists keep profile
/// order.
fn tried_before(rules: &[&RefRule], ia: usize, ib: usize) -> bool {
    let (ca, cb) = (sorted_conds(rules[ia]), sorted_conds(rules[ib]));
    let p = (0..ca.len().min(cb.len()))
        .find(|&p| !same_arg(&ca[p], &cb[p]))
        .unwrap_or(ca.len().min(cb.len()));
    let starts_with = |r: &RefRule, pre: &[Arg]| {
        let c = sorted_conds(r);
        c.len() >= pre.len() && c.iter().zip(pre).all(|(x, y)| same_arg(x, y))
    };
    // the first rule whose conditions are exactly `conds`, and whether an
    // earlier longer rule with another action made libseccomp refuse it
    let late = |conds: &[Arg]| {
        let first = (0..rules.len())
            .find(|&k| sorted_conds(rules[k]).len() == conds.len() && starts_with(rules[k], conds))
            .unwrap();
        (0..first).any(|k| {
            starts_with(rules[k], conds)
                && rules[k].conds.len() > conds.len()
                && rules[k].action != rules[first].action
        })
    };
    if p == ca.len() && p == cb.len() {
        return ia < ib;
    }
    if p == ca.len() {
        return !late(&ca);
    }
    if p == cb.len() {
        return late(&cb);
    }
    match tree_key(&ca[p]).cmp(&tree_key(&cb[p])) {
        std::cmp::Ordering::Less => true,
        std::cmp::Ordering::Greater => false,
        std::cmp::Ordering::Equal => {
            let entered = |pre: &[Arg]| (0..rules.len()).find(|&k| starts_with(rules[k], pre));
            entered(&ca[..=p]) < entered(&cb[..=p])
        }
    }
}

/// The profile's meaning for `name(args)`, as libseccomp builds mixed
/// actions: the first unconditional rule of the syscall if it has one
/// (its conditional rules are discarded, db.c "syscall exists without any
/// chains"), else the holding conditional rule libseccomp's argument tree
/// tries first ([`tried_before`]), else the default. Also every action a
/// holding rule gives.
fn meaning(
    default: Action,
    rules: &[RefRule],
    arch: Arch,
    name: &str,
    args: &[u64; 6],
    v: Variant,
) -> (Action, Vec<Action>) {
    let mine: Vec<&RefRule> = rules.iter().filter(|r| r.name == name).collect();
    // libseccomp keeps the first unconditional rule of a syscall
    let uncond = mine.iter().find(|r| r.conds.is_empty()).map(|r| r.action);
    if let Some(action) = uncond {
        return (action, vec![action]);
    }
    let holding: Vec<usize> = (0..mine.len())
        .filter(|&i| mine[i].conds.iter().all(|c| holds(c, arch, name, args, v)))
        .collect();
    let first = holding
        .iter()
        .copied()
        .find(|&i| holding.iter().all(|&j| j == i || tried_before(&mine, i, j)));
    let actions = holding.iter().map(|&i| mine[i].action).collect();
    (first.map_or(default, |i| mine[i].action), actions)
}

// ------------------------------------------------------------- compiling

fn op_word(op: ArgOp) -> &'static str {
    match op {
        ArgOp::Ne => "NE",
        ArgOp::Lt => "LT",
        ArgOp::Le => "LE",
        ArgOp::Eq => "EQ",
        ArgOp::Ge => "GE",
        ArgOp::Gt => "GT",
        ArgOp::MaskedEq => "MASKED_EQ",
    }
}

/// The rule file of `scmp_export.c` (`testkit::rule_file`).
fn rule_file(default: Action, rules: &[RefRule], arches: &[Arch]) -> String {
    let lines = rules.iter().map(|r| {
        let conds = (r.conds.iter())
            .map(|c| (c.index, op_word(c.op), c.value, c.value_two))
            .collect();
        (r.name.as_str(), r.action, conds)
    });
    rule_file::write(default, arches, lines).expect("no NOTIFY in the differential test")
}

fn libseccomp_program(helper: &Path, text: &str, tag: &str) -> Program {
    libseccomp_program_refusing(helper, text, tag).prog
}

/// What libseccomp made of a rule file: its BPF, the names of the
/// syscalls it refused a rule of, and its own rule tree as pseudo filter
/// code ([`Pfc`]).
struct Lib {
    prog: Program,
    refused: Vec<String>,
    pfc: Pfc,
}

/// [`libseccomp_program_refusing`], or `None` when the helper has not
/// finished within 5 s: libseccomp 2.5.4 loops forever on some sets of
/// overlapping rules (`_db_tree_add`/`_db_tree_prune`; e.g. lseek with
/// `a0 != 0x1_0000_0005 && a1 < 0xff && a2 & 2 == 0x1_0000_0000`, then
/// `a1 < 2 && a2 >= u64::MAX`, then `a0 >= u64::MAX && a2 < 0x1_0000_0005`).
fn libseccomp_program_within(helper: &Path, text: &str, tag: &str) -> Option<Lib> {
    run_helper(helper, text, tag, Some(std::time::Duration::from_secs(5)))
}

/// libseccomp's program, refusals and PFC for a rule file.
fn libseccomp_program_refusing(helper: &Path, text: &str, tag: &str) -> Lib {
    run_helper(helper, text, tag, None).expect("no time limit")
}

fn run_helper(
    helper: &Path,
    text: &str,
    tag: &str,
    limit: Option<std::time::Duration>,
) -> Option<Lib> {
    let dir = helper.parent().unwrap();
    let rules = dir.join(format!("{tag}.rules"));
    let out = dir.join(format!("{tag}.bpf"));
    let pfc = dir.join(format!("{tag}.pfc"));
    std::fs::write(&rules, text).unwrap();
    let mut child = Command::new(helper)
        .arg(&rules)
        .arg(&out)
        .arg(&pfc)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if limit.is_some_and(|l| start.elapsed() > l) {
            child.kill().unwrap();
            child.wait().unwrap();
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let refused = String::from_utf8_lossy(&o.stderr)
        .lines()
        .filter_map(|l| l.strip_prefix("refused: "))
        .filter_map(|l| l.split(':').next())
        .map(str::to_string)
        .collect();
    let prog = Program::from_bytes(&std::fs::read(&out).unwrap()).unwrap();
    let pfc = Pfc::parse(&std::fs::read_to_string(&pfc).unwrap());
    Some(Lib { prog, refused, pfc })
}

// ------------------------------------------ libseccomp's own rule tree

/// libseccomp's pseudo filter code (`seccomp_export_pfc`, src/gen_pfc.c):
/// the rule tree libseccomp built, as nested `if`s over `$arch`,
/// `$syscall` and the argument words (`$aN.hi32`/`$aN.lo32` on a 64-bit
/// arch, `$aN` the low word on a 32-bit one) with `==`, `>`, `>=` and
/// masked `==`. Evaluated as written: a true `if` runs its body, a false
/// one its `else`; a body that reaches no action goes on with the
/// statement after the `if`; the first action answers. This is what
/// libseccomp means its program to do, written independently of its BPF
/// generator, so a program that answers otherwise is libseccomp
/// miscompiling its own tree.
#[derive(Debug)]
struct Pfc(Vec<Stmt>);

#[derive(Debug)]
enum Stmt {
    If {
        test: Test,
        then: Vec<Stmt>,
        other: Vec<Stmt>,
    },
    Act(Action),
}

#[derive(Debug)]
enum Word {
    Arch,
    Syscall,
    Hi(usize),
    Lo(usize),
}

#[derive(Debug)]
struct Test {
    word: Word,
    /// `None` for `==`; `Some(mask)` for `& mask ==`.
    mask: Option<u32>,
    op: &'static str,
    value: u32,
}

fn pfc_action(word: &str) -> Action {
    let num = |w: &str| -> u16 {
        let inner = w.split_once('(').unwrap().1.trim_end_matches(')');
        inner.parse().unwrap()
    };
    match word {
        "ALLOW" => Action::Allow,
        "KILL_PROCESS" => Action::KillProcess,
        "KILL" => Action::KillThread,
        "TRAP" => Action::Trap(0),
        "LOG" => Action::Log,
        w if w.starts_with("ERRNO(") => Action::Errno(num(w)),
        w if w.starts_with("TRACE(") => Action::Trace(num(w)),
        w => panic!("PFC action {w}"),
    }
}

fn pfc_test(text: &str) -> Test {
    // "if ($a0.hi32 & 0x000000ff == 18)", "if ($syscall > 5)"
    let inner = text
        .strip_prefix("if (")
        .and_then(|t| t.strip_suffix(')'))
        .unwrap_or_else(|| panic!("PFC test {text}"));
    let mut parts = inner.split_whitespace();
    let var = parts.next().unwrap();
    let word = match var {
        "$arch" => Word::Arch,
        "$syscall" => Word::Syscall,
        v => {
            let v = v.strip_prefix("$a").unwrap();
            let (ix, half) = v.split_once('.').unwrap_or((v, "lo32"));
            let ix = ix.parse().unwrap();
            match half {
                "hi32" => Word::Hi(ix),
                "lo32" => Word::Lo(ix),
                h => panic!("PFC word {h}"),
            }
        }
    };
    let mut op = parts.next().unwrap();
    let mut mask = None;
    if op == "&" {
        let m = parts.next().unwrap().trim_start_matches("0x");
        mask = Some(u32::from_str_radix(m, 16).unwrap());
        op = parts.next().unwrap();
    }
    let op = match op {
        "==" => "==",
        ">" => ">",
        ">=" => ">=",
        o => panic!("PFC operator {o}"),
    };
    let value = parts.next().unwrap().parse().unwrap();
    Test {
        word,
        mask,
        op,
        value,
    }
}

impl Pfc {
    fn parse(text: &str) -> Pfc {
        // (indent level, text without comments) of each statement line
        let lines: Vec<(usize, &str)> = text
            .lines()
            .filter_map(|l| {
                let body = l.trim_start();
                let level = (l.len() - body.len()) / 2;
                let body = body.split('#').next().unwrap().trim();
                (!body.is_empty()).then_some((level, body))
            })
            .collect();
        let mut at = 0;
        let top = Self::block(&lines, &mut at, 0);
        assert_eq!(at, lines.len(), "PFC parsed to the end");
        Pfc(top)
    }

    fn block(lines: &[(usize, &str)], at: &mut usize, level: usize) -> Vec<Stmt> {
        let mut out = Vec::new();
        while let Some(&(l, body)) = lines.get(*at) {
            if l != level || body == "else" {
                assert!(l <= level, "PFC indentation at {body}");
                break;
            }
            *at += 1;
            if let Some(a) = body.strip_prefix("action ") {
                out.push(Stmt::Act(pfc_action(a.trim_end_matches(';'))));
                continue;
            }
            let test = pfc_test(body);
            let then = Self::block(lines, at, level + 1);
            let mut other = Vec::new();
            if lines.get(*at) == Some(&(level, "else")) {
                *at += 1;
                other = Self::block(lines, at, level + 1);
            }
            out.push(Stmt::If { test, then, other });
        }
        out
    }

    /// libseccomp's intended answer for `data`.
    fn eval(&self, data: &SeccompData) -> Action {
        Self::run(&self.0, data).expect("the PFC ends with an action")
    }

    fn run(block: &[Stmt], data: &SeccompData) -> Option<Action> {
        for s in block {
            match s {
                Stmt::Act(a) => return Some(*a),
                Stmt::If { test, then, other } => {
                    let x = match test.word {
                        Word::Arch => data.arch,
                        Word::Syscall => data.nr,
                        Word::Hi(i) => (data.args[i] >> 32) as u32,
                        Word::Lo(i) => data.args[i] as u32,
                    };
                    let x = x & test.mask.unwrap_or(u32::MAX);
                    let holds = match test.op {
                        "==" => x == test.value,
                        ">" => x > test.value,
                        _ => x >= test.value,
                    };
                    let taken = if holds { then } else { other };
                    if let Some(a) = Self::run(taken, data) {
                        return Some(a);
                    }
                }
            }
        }
        None
    }
}

/// go-jail's program of `p` for `arches`, and the (syscall, arch) pairs
/// whose rules it builds from libseccomp's tree (its `Note::WordOrder`),
/// for [`Tally::followed`].
fn gojail_program(p: &Profile, ctx: &Context, arches: &[Arch]) -> (Program, Vec<(String, Arch)>) {
    let (mut spec, notes) = p.to_spec(ctx).unwrap();
    spec.arches = arches.to_vec();
    let (policy, _) = policy::resolve(&spec).unwrap();
    let prog = policy::compile(&policy, &policy::CompileOptions::default()).unwrap();
    let followed = notes
        .iter()
        .flat_map(|n| match n {
            policy::profile::Note::WordOrder { name, arches, .. } => {
                arches.iter().map(|a| (name.clone(), *a)).collect()
            }
            _ => Vec::new(),
        })
        .collect();
    (prog, followed)
}

// --------------------------------------------------------- the vectors

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Interesting values around `v`: ±1 on both halves, the halves swapped,
/// the low word alone and sign-extended.
fn around(v: u64, out: &mut Vec<u64>) {
    let lo = v & 0xffff_ffff;
    for x in [
        v,
        v.wrapping_add(1),
        v.wrapping_sub(1),
        v.wrapping_add(1 << 32),
        v.wrapping_sub(1 << 32),
        lo,
        lo | 0xffff_ffff_0000_0000,
        (lo as u32 as i32) as i64 as u64,
        v ^ 0x8000_0000,
    ] {
        out.push(x);
    }
}

const SPECIAL: [u64; 7] = [
    0,
    1,
    0xffff_ffff,
    0x1_0000_0000,
    u64::MAX,
    0xffff_ffff_8000_0000,
    0x7fff_ffff,
];

/// Argument vectors for a syscall with `rules`.
fn vectors(rules: &[&RefRule], rng: &mut Rng) -> Vec<[u64; 6]> {
    if rules.iter().all(|r| r.conds.is_empty()) {
        return vec![[0; 6], [u64::MAX; 6]];
    }
    let mut pool: [Vec<u64>; 6] = Default::default();
    for (i, p) in pool.iter_mut().enumerate() {
        p.extend(SPECIAL);
        for r in rules {
            for c in r.conds.iter().filter(|c| c.index as usize == i) {
                around(c.value, p);
                around(c.value_two, p);
                around(c.value & c.value_two, p);
            }
        }
        p.sort_unstable();
        p.dedup();
    }
    let mut out = Vec::new();
    // every pool value on each index, the others 0
    for (i, p) in pool.iter().enumerate() {
        for &v in p {
            let mut a = [0; 6];
            a[i] = v;
            out.push(a);
        }
    }
    for _ in 0..96 {
        let mut a = [0; 6];
        for (i, p) in pool.iter().enumerate() {
            a[i] = p[rng.below(p.len())];
        }
        out.push(a);
    }
    out
}

// ------------------------------------------------------------ comparing

#[derive(Default)]
struct Tally {
    cases: u64,
    syscalls: u64,
    ours: BTreeMap<&'static str, u64>,
    lib: BTreeMap<&'static str, u64>,
    examples: BTreeMap<&'static str, String>,
    /// Cases on a named syscall of the table, and how many of them
    /// libseccomp's BPF answers otherwise than its own tree ([`Pfc`]).
    tree_cases: u64,
    bpf_off_tree: u64,
    /// Cases where `policy::profile::halfword` models the syscall's tree,
    /// and how many of them it answers otherwise than libseccomp's tree.
    model_cases: u64,
    model_off: u64,
    /// Cases of libseccomp's `half-word-order` where go-jail answers
    /// otherwise though every condition and argument means the same to
    /// both and go-jail says it follows libseccomp's tree there.
    word_order_apart: u64,
    /// The (syscall, arch) pairs of the profile under comparison whose
    /// rules go-jail says it builds from libseccomp's tree (its
    /// `Note::WordOrder`, from [`gojail_program`]); set before each
    /// comparison.
    followed: Vec<(String, Arch)>,
    /// The other cases of `half-word-order` where go-jail answers
    /// otherwise: a condition's value or the call's argument has bits the
    /// kernel does not read (libseccomp tests them, go-jail cannot
    /// follow), or go-jail does not follow the tree (not modelled, or its
    /// rules too large) and keeps the whole-condition order.
    word_order_elsewhere: u64,
}

/// Whether every condition of `rules` (of syscall `name`) means the same
/// to libseccomp and go-jail: the argument's width is known, the value
/// fits it, and a masked value has no bit outside its mask.
fn same_to_both(arch: Arch, name: &str, rules: &[(Vec<policy::Condition>, Action)]) -> bool {
    rules.iter().flat_map(|r| &r.0).all(|c| {
        let width = policy::width::arg_width(arch, name, c.arg());
        let fits = |v: u64| width.cut(v) == v;
        width != Width::Unknown
            && fits(c.value())
            && match c.op() {
                policy::CmpOp::MaskedEq(m) => fits(m) && c.value() & !m == 0,
                _ => true,
            }
    })
}

/// `data` with each argument of syscall `name` cut to the bits the kernel
/// reads (`policy::width`), as go-jail compares them.
fn as_read(arch: Arch, name: &str, data: &SeccompData) -> SeccompData {
    let mut d = *data;
    for (i, a) in d.args.iter_mut().enumerate() {
        *a = policy::width::arg_width(arch, name, policy::ArgIndex::ALL[i]).cut(*a);
    }
    d
}

fn numbers(arch: Arch) -> Vec<u32> {
    let end = SyscallTable::max_nr(arch) + 1;
    let mut v: Vec<u32> = (0..end + 8).collect();
    v.extend([
        0x3fff_ffff,
        0x4000_0000,
        0x4000_0001,
        0x4000_0000 + 435,
        0xffff_fffe,
        0xffff_ffff,
    ]);
    if let Some((lo, hi)) = SyscallTable::private_range(arch) {
        v.extend(lo..=hi);
    }
    v
}

#[allow(clippy::too_many_arguments)]
fn compare(
    tally: &mut Tally,
    label: &str,
    default: Action,
    rules: &[RefRule],
    arch: Arch,
    ours: &Program,
    lib: &Lib,
    rng: &mut Rng,
) {
    for nr in numbers(arch) {
        compare_one(tally, label, default, rules, arch, nr, ours, lib, rng);
    }
}

/// [`compare`] for syscall number `nr`.
#[allow(clippy::too_many_arguments)]
fn compare_one(
    tally: &mut Tally,
    label: &str,
    default: Action,
    rules: &[RefRule],
    arch: Arch,
    nr: u32,
    ours: &Program,
    lib: &Lib,
    rng: &mut Rng,
) {
    let end = SyscallTable::max_nr(arch) + 1;
    let clone3 = SyscallTable::lookup(arch, "clone3");
    {
        let name = SyscallTable::name(arch, nr);
        let mine: Vec<&RefRule> = match name {
            Some(n) => rules.iter().filter(|r| r.name == n).collect(),
            None => Vec::new(),
        };
        tally.syscalls += 1;
        let conditional: Vec<(Vec<policy::Condition>, Action)> = mine
            .iter()
            .map(|r| {
                let conds: Result<Vec<_>, _> = r.conds.iter().map(Arg::condition).collect();
                (conds.expect("profile indices are 0..=5"), r.action)
            })
            .collect();
        let model = if conditional.is_empty() || conditional.iter().any(|r| r.0.is_empty()) {
            None
        } else {
            policy::profile::halfword::Tree::build_for(&conditional, arch.is_64bit())
        };
        for args in vectors(&mine, rng) {
            tally.cases += 1;
            let data = SeccompData {
                nr,
                arch: arch.audit(),
                args,
                ..SeccompData::default()
            };
            let run = |p: &Program| Action::from_raw(bpf_asm::run(p, &data).unwrap().ret).unwrap();
            let (got_ours, got_lib) = (run(ours), run(&lib.prog));
            if name.is_some() {
                tally.tree_cases += 1;
                tally.bpf_off_tree += u64::from(lib.pfc.eval(&data) != got_lib);
            }
            let refused = name.is_some_and(|n| lib.refused.iter().any(|r| r == n));
            if let Some(built) = model.as_ref().filter(|_| arch.is_64bit() || !refused) {
                tally.model_cases += 1;
                let m = built.tree.eval(&args).unwrap_or(default);
                tally.model_off += u64::from(m != lib.pfc.eval(&data));
            }
            let meant = match name {
                Some(n) => meaning(default, rules, arch, n, &args, Variant::default()).0,
                None => default,
            };
            // go-jail against the meaning
            if got_ours != meant {
                let why = if arch == Arch::X86_64 && nr >= 0x4000_0000 && nr != u32::MAX {
                    (got_ours == Action::KillProcess).then_some("x32-killed")
                } else if nr >= end && nr != u32::MAX && name.is_none() {
                    (got_ours == Action::Errno(38)).then_some("enosys-above-table")
                } else if Some(nr) == clone3 && mine.is_empty() && policy::default_denies(default) {
                    (got_ours == Action::Errno(38)).then_some("enosys-clone3")
                } else {
                    name.and_then(|n| {
                        let (_, holding) =
                            meaning(default, rules, arch, n, &args, Variant::default());
                        let tree = lib.pfc.eval(&as_read(arch, n, &data));
                        (tree == got_ours && holding.contains(&got_ours))
                            .then_some("libseccomp-tree-order")
                    })
                };
                let Some(why) = why else {
                    panic!("{label}: go-jail {got_ours} but the profile means {meant} (libseccomp {got_lib}): {arch:?} nr {nr} ({name:?}) args {args:x?}\nrules: {conditional:?}");
                };
                *tally.ours.entry(why).or_default() += 1;
            }
            // libseccomp against the meaning
            if got_lib != meant {
                let why = classify(default, rules, arch, &data, name, lib, got_lib);
                let Some(why) = why else {
                    panic!("{label}: libseccomp {got_lib} but the profile means {meant} (go-jail {got_ours}): {arch:?} nr {nr} ({name:?}) args {args:x?}\nrules: {mine:?}");
                };
                if why == "half-word-order" && got_ours != got_lib {
                    let name = name.unwrap();
                    let followed = tally.followed.iter().any(|(n, a)| n == name && *a == arch);
                    let read_whole = as_read(arch, name, &data).args == args;
                    if followed && read_whole && same_to_both(arch, name, &conditional) {
                        tally.word_order_apart += 1;
                    } else {
                        tally.word_order_elsewhere += 1;
                    }
                }
                *tally.lib.entry(why).or_default() += 1;
                tally.examples.entry(why).or_insert_with(|| {
                    let rules: Vec<String> = mine
                        .iter()
                        .map(|r| {
                            let c: Vec<String> = r
                                .conds
                                .iter()
                                .map(|c| format!("a{} {:?} {:#x}/{:#x}", c.index, c.op, c.value, c.value_two))
                                .collect();
                            format!("{} if [{}]", r.action, c.join(" && "))
                        })
                        .collect();
                    format!(
                        "{label}: {arch:?} {name:?} args {args:x?}: libseccomp {got_lib}, meaning {meant}; rules: {}",
                        rules.join("; ")
                    )
                });
            }
        }
    }
}

/// Which named exception explains libseccomp's `got` for `data`, if any:
/// x32 and `-1`; a refused rule; libseccomp's BPF answering otherwise
/// than its own rule tree ([`Pfc`]); else its tree, which `got` then is,
/// against the profile's meaning: a comparison variant, or the half-word
/// order.
fn classify(
    default: Action,
    rules: &[RefRule],
    arch: Arch,
    data: &SeccompData,
    name: Option<&str>,
    lib: &Lib,
    got: Action,
) -> Option<&'static str> {
    let (nr, args) = (data.nr, &data.args);
    if nr >= 0x4000_0000 && arch == Arch::X86_64 || nr == u32::MAX {
        return Some("x32-or-minus-1");
    }
    let name = name?;
    if lib.refused.iter().any(|r| r == name) {
        return Some("libseccomp-refused");
    }
    if lib.pfc.eval(data) != got {
        return Some("libseccomp-bpf-miscompile");
    }
    let variants = [
        (
            "64-bit-compare",
            Variant {
                full_width: true,
                ..Variant::default()
            },
        ),
        (
            "masked-eq-datum",
            Variant {
                raw_masked: true,
                ..Variant::default()
            },
        ),
        (
            "64-bit-compare",
            Variant {
                full_width: true,
                raw_masked: true,
            },
        ),
    ];
    for (why, v) in variants {
        if meaning(default, rules, arch, name, args, v).0 == got {
            return Some(why);
        }
    }
    // libseccomp's tree tries 64-bit comparisons as a high-word node and
    // a low-word node (db.c `_db_rule_gen_64`), sorted and merged word by
    // word: where two rules with different actions hold, it may pick
    // another of them than the whole-condition order does
    let all = [false, true];
    let variants = || all.iter().flat_map(|&f| all.map(|r| (f, r)));
    for (full_width, raw_masked) in variants() {
        let v = Variant {
            full_width,
            raw_masked,
        };
        let (meant, holding) = meaning(default, rules, arch, name, args, v);
        if holding.contains(&meant) && holding.contains(&got) {
            return Some("half-word-order");
        }
    }
    // else libseccomp's own tree answers with an action no holding rule
    // gives (or the default where rules hold), in every variant
    Some("libseccomp-tree-wrong")
}

fn report(title: &str, t: &Tally) {
    println!(
        "{title}: {} syscall numbers, {} (number, argument vector) cases",
        t.syscalls, t.cases
    );
    println!(
        "  libseccomp's BPF against its own tree (PFC): {} of {} cases on named syscalls differ",
        t.bpf_off_tree, t.tree_cases
    );
    println!(
        "  policy::profile::halfword's model of libseccomp's tree against its PFC: {} of {} cases differ",
        t.model_off, t.model_cases
    );
    assert_eq!(t.model_off, 0, "the model answers as libseccomp's tree");
    println!(
        "  libseccomp's half-word order where go-jail answers otherwise: {} cases where every condition means the same to both, {} elsewhere (a value in a rule or the call with bits the kernel does not read, or a tree go-jail does not follow)",
        t.word_order_apart, t.word_order_elsewhere
    );
    assert_eq!(
        t.word_order_apart, 0,
        "go-jail follows libseccomp's tree where it can"
    );
    // the PFC evaluator is checked by libseccomp's BPF: they agree but
    // for the rare miscompiles
    assert!(
        t.bpf_off_tree * 50 <= t.tree_cases,
        "the PFC evaluator disagrees with libseccomp's BPF too often"
    );
    for (k, n) in &t.ours {
        let why = OURS_EXCEPTIONS.iter().find(|e| e.0 == *k).unwrap().1;
        println!("  go-jail exception {k}: {n} cases ({why})");
    }
    for (k, n) in &t.lib {
        let why = LIBSECCOMP_EXCEPTIONS.iter().find(|e| e.0 == *k).unwrap().1;
        println!("  libseccomp exception {k}: {n} cases ({why})");
        println!("    e.g. {}", t.examples[k]);
    }
}

// ------------------------------------------------------------- profiles

/// A profile of `tests/data`, read by the CLI's own reader
/// (`go_jail::profile_json`, the one Docker/OCI JSON reader); what it
/// means is evaluated independently below.
fn json_profile(file: &str) -> Profile {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let (profile, _notes) = go_jail::profile_json::parse(&text, &path.display().to_string())
        .unwrap_or_else(|f| panic!("{}", f.message));
    profile
}

/// Syscalls whose arguments have mixed widths, so the generator meets both.
const POOL: [&str; 16] = [
    "socket",
    "personality",
    "ioctl",
    "clone",
    "mmap",
    "read",
    "write",
    "kill",
    "prctl",
    "fcntl",
    "openat",
    "mprotect",
    "setsockopt",
    "lseek",
    "futex",
    "getpid",
];

fn random_profile(rng: &mut Rng) -> Profile {
    let actions = [
        ProfileAction::Allow,
        ProfileAction::Errno,
        ProfileAction::KillThread,
        ProfileAction::KillProcess,
        ProfileAction::Trap,
        ProfileAction::Trace,
        ProfileAction::Log,
    ];
    let ops = [
        ArgOp::Ne,
        ArgOp::Lt,
        ArgOp::Le,
        ArgOp::Eq,
        ArgOp::Ge,
        ArgOp::Gt,
        ArgOp::MaskedEq,
    ];
    let values = [
        0,
        1,
        40,
        0x5412,
        0xffff_ffff,
        0x1_0000_0000,
        0x1_0000_0028,
        u64::MAX,
        0xffff_ffff_ffff_fff0,
        0x7e02_0000,
        0x8000_0000,
        0xffff_ffff_8000_0000,
    ];
    let default = actions[rng.below(actions.len())];
    let mut syscalls = Vec::new();
    for _ in 0..1 + rng.below(6) {
        let names = (0..1 + rng.below(2))
            .map(|_| POOL[rng.below(POOL.len())].to_string())
            .collect();
        let nargs = rng.below(4);
        let args = (0..nargs)
            .map(|_| Arg {
                index: rng.below(4) as u32,
                value: values[rng.below(values.len())],
                value_two: values[rng.below(values.len())],
                op: ops[rng.below(ops.len())],
            })
            .collect();
        let action = actions[rng.below(actions.len())];
        syscalls.push(Entry {
            names,
            action,
            errno: action.takes_errno().then(|| 1 + rng.below(200) as u16),
            args,
            includes: Filter::default(),
            excludes: Filter::default(),
        });
    }
    Profile {
        default_action: default,
        default_errno: default.takes_errno().then(|| 1 + rng.below(200) as u16),
        architectures: vec![],
        arch_map: vec![],
        syscalls,
    }
}

// ----------------------------------------------------------------- tests

#[test]
fn docker_default_profile_against_libseccomp() {
    let Some(helper) = helper("docker") else {
        return;
    };
    let p = json_profile("docker-default.json");
    let tally = profile_in_contexts(&helper, "docker", &p, &[0u64, 1 << 21]);
    report("Docker default profile (4 contexts)", &tally);
    let explained = ["x32-or-minus-1", "64-bit-compare"];
    for why in tally.lib.keys() {
        assert!(explained.contains(why), "libseccomp differs by {why}");
    }
    // the full profile's figures (no CAP_SYS_ADMIN, x86_64 + x86 targets):
    // program length and instructions executed over the x86_64 table
    let ctx = Context {
        caps: 0,
        arch: Arch::X86_64,
        kernel: (6, 1),
    };
    let (default, rules) = runc_rules(&p, &ctx);
    let arches = [Arch::X86_64, Arch::X86];
    let (ours, _) = gojail_program(&p, &ctx, &arches);
    let lib = libseccomp_program(&helper, &rule_file(default, &rules, &arches), "docker");
    for (who, prog) in [("go-jail", &ours), ("libseccomp 2.5.4", &lib)] {
        let table = SyscallTable::max_nr(Arch::X86_64) + 1;
        let counts: Vec<usize> = (0..table)
            .map(|nr| {
                let data = SeccompData {
                    nr,
                    arch: Arch::X86_64.audit(),
                    ..SeccompData::default()
                };
                bpf_asm::run(prog, &data).unwrap().executed
            })
            .collect();
        let mean = counts.iter().sum::<usize>() as f64 / counts.len() as f64;
        println!(
            "Docker full profile, {who}: {} instructions; x86_64 table: worst {}, mean {mean:.2} executed",
            prog.len(),
            counts.iter().max().unwrap()
        );
    }
}

/// Compares go-jail and libseccomp on `p` for each bounding set of `caps`,
/// targeting x86_64 + x86 and probing each of the two arches.
fn profile_in_contexts(helper: &Path, label: &str, p: &Profile, caps: &[u64]) -> Tally {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut tally = Tally::default();
    for &caps in caps {
        let ctx = Context {
            caps,
            arch: Arch::X86_64,
            kernel: (6, 1),
        };
        for arch in [Arch::X86_64, Arch::X86] {
            let (default, rules) = runc_rules(p, &ctx);
            let arches = [Arch::X86_64, arch];
            let (ours, followed) = gojail_program(p, &ctx, &arches);
            tally.followed = followed;
            let lib =
                libseccomp_program_refusing(helper, &rule_file(default, &rules, &arches), label);
            compare(
                &mut tally,
                &format!("{label} caps={caps:#x}"),
                default,
                &rules,
                arch,
                &ours,
                &lib,
                &mut rng,
            );
        }
    }
    tally
}

/// The capabilities Docker and Podman give a container by default.
const CONTAINER_CAPS: [&str; 14] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
];

/// Podman's default profile (containers/common, with `defaultErrno` and
/// `errno` names and mixed actions for `setns`, `socket`,
/// `perf_event_open`): go-jail equals libseccomp's reading everywhere but
/// in the named, explained places (x32, the 64-bit compare of `socket`'s
/// `int` family, and go-jail's ENOSYS regions).
#[test]
fn podman_default_profile_against_libseccomp() {
    let Some(helper) = helper("podman") else {
        return;
    };
    let p = json_profile("podman-default.json");
    assert_eq!(p.default_errno, Some(38), "defaultErrno ENOSYS");
    let container: u64 = CONTAINER_CAPS
        .iter()
        .map(|c| 1u64 << cap_bit(c).unwrap())
        .sum();
    let tally = profile_in_contexts(&helper, "podman", &p, &[0, container, 1 << 21]);
    report("Podman default profile (6 contexts)", &tally);
    let explained = ["x32-or-minus-1", "64-bit-compare"];
    for why in tally.lib.keys() {
        assert!(explained.contains(why), "libseccomp differs by {why}");
    }
    let ours = ["enosys-above-table", "x32-killed"];
    for why in tally.ours.keys() {
        assert!(ours.contains(why), "go-jail differs by {why}");
    }
}

#[test]
fn random_profiles_against_libseccomp() {
    let Some(helper) = helper("random") else {
        return;
    };
    let count: usize = std::env::var("GO_JAIL_PROFILE_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(150);
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut tally = Tally::default();
    let ctx = Context {
        caps: 0,
        arch: Arch::X86_64,
        kernel: (6, 1),
    };
    for i in 0..count {
        let p = random_profile(&mut rng);
        let (default, rules) = runc_rules(&p, &ctx);
        let (ours, followed) = gojail_program(&p, &ctx, &[Arch::X86_64]);
        tally.followed = followed;
        let lib = libseccomp_program_refusing(
            &helper,
            &rule_file(default, &rules, &[Arch::X86_64]),
            "random",
        );
        compare(
            &mut tally,
            &format!("random #{i}"),
            default,
            &rules,
            Arch::X86_64,
            &ours,
            &lib,
            &mut rng,
        );
    }
    report(&format!("{count} random profiles"), &tally);
}

/// README's half-word example, `mmap` with `a0 > 5 && a1 > 1 -> ALLOW`
/// and `a0 >= 7 && a1 > 0 -> LOG`: libseccomp's tree (its PFC, and its
/// BPF) answers ALLOW for `a0 = 2^32` and LOG for `a0 = 10` (`a1 = 2^32`
/// both times), where the whole-condition order says LOG for both: go-jail
/// builds the same tree and answers as libseccomp, its note says the
/// choice depends on the values, and the test names libseccomp's
/// difference from the whole-condition order `half-word-order`.
#[test]
fn half_word_order_example() {
    let Some(helper) = helper("halfword") else {
        return;
    };
    let gt = |index, op, value| Arg {
        index,
        value,
        value_two: 0,
        op,
    };
    let entry = |action, args| Entry {
        names: vec!["mmap".to_string()],
        action,
        errno: None,
        args,
        includes: Filter::default(),
        excludes: Filter::default(),
    };
    let p = Profile {
        default_action: ProfileAction::Errno,
        default_errno: Some(1),
        architectures: vec![],
        arch_map: vec![],
        syscalls: vec![
            entry(
                ProfileAction::Allow,
                vec![gt(0, ArgOp::Gt, 5), gt(1, ArgOp::Gt, 1)],
            ),
            entry(
                ProfileAction::Log,
                vec![gt(0, ArgOp::Ge, 7), gt(1, ArgOp::Gt, 0)],
            ),
        ],
    };
    let ctx = Context {
        caps: 0,
        arch: Arch::X86_64,
        kernel: (6, 1),
    };
    let (default, rules) = runc_rules(&p, &ctx);
    let (ours, _) = gojail_program(&p, &ctx, &[Arch::X86_64]);
    let lib = libseccomp_program_refusing(
        &helper,
        &rule_file(default, &rules, &[Arch::X86_64]),
        "halfword",
    );
    assert!(lib.refused.is_empty());
    let (_, notes) = p.to_spec(&ctx).unwrap();
    let word_order = policy::profile::Note::WordOrder {
        name: "mmap".to_string(),
        entries: vec![0, 1],
        arches: vec![Arch::X86_64],
    };
    assert!(notes.contains(&word_order), "{notes:?}");
    let nr = SyscallTable::lookup(Arch::X86_64, "mmap").unwrap();
    for (a0, theirs) in [(1 << 32, Action::Allow), (10, Action::Log)] {
        let data = SeccompData {
            nr,
            arch: Arch::X86_64.audit(),
            args: [a0, 1 << 32, 0, 0, 0, 0],
            ..SeccompData::default()
        };
        let run = |p: &Program| Action::from_raw(bpf_asm::run(p, &data).unwrap().ret).unwrap();
        assert_eq!(lib.pfc.eval(&data), theirs, "libseccomp's tree, a0 {a0:#x}");
        assert_eq!(run(&lib.prog), theirs, "libseccomp's BPF, a0 {a0:#x}");
        assert_eq!(run(&ours), theirs, "go-jail, a0 {a0:#x}");
        if theirs != Action::Log {
            let why = classify(
                default,
                &rules,
                Arch::X86_64,
                &data,
                Some("mmap"),
                &lib,
                theirs,
            );
            assert_eq!(why, Some("half-word-order"));
        }
    }
}

/// A profile whose rules overlap: one or two syscalls (a 64-bit and a
/// 32-bit argument), two to six entries with different actions, each with
/// one to three conditions on args 0-2 drawn from few values, so that
/// entries share conditions, tie on an argument, or are prefixes of one
/// another.
fn overlap_profile(rng: &mut Rng) -> Profile {
    let names = ["mmap", "socket", "lseek"];
    let pick = &names[rng.below(names.len())..];
    let pick: Vec<&str> = pick.iter().take(1 + rng.below(2)).copied().collect();
    overlap_profile_on(rng, &pick, 3)
}

/// [`overlap_profile`] for syscalls `names`, with conditions on the first
/// `args` arguments.
fn overlap_profile_on(rng: &mut Rng, pick: &[&str], args: usize) -> Profile {
    let actions = [
        ProfileAction::Allow,
        ProfileAction::Errno,
        ProfileAction::KillProcess,
        ProfileAction::Trap,
        ProfileAction::Log,
    ];
    let ops = [
        ArgOp::Ne,
        ArgOp::Lt,
        ArgOp::Le,
        ArgOp::Eq,
        ArgOp::Ge,
        ArgOp::Gt,
        ArgOp::MaskedEq,
    ];
    let values = [0, 1, 2, 5, 0xff, 0x1_0000_0000, 0x1_0000_0005, u64::MAX];
    let default = ProfileAction::Errno;
    let mut syscalls: Vec<Entry> = Vec::new();
    for _ in 0..2 + rng.below(5) {
        let mut conds: Vec<Arg> = Vec::new();
        for _ in 0..1 + rng.below(3) {
            let index = rng.below(args) as u32;
            if conds.iter().any(|a| a.index == index) {
                continue;
            }
            // often reuse another entry's condition
            let reuse = syscalls
                .iter()
                .flat_map(|e| e.args.iter())
                .filter(|a| a.index == index)
                .nth(rng.below(4));
            let arg = match reuse {
                Some(a) if rng.below(2) == 0 => *a,
                _ => Arg {
                    index,
                    value: values[rng.below(values.len())],
                    value_two: values[rng.below(values.len())],
                    op: ops[rng.below(ops.len())],
                },
            };
            conds.push(arg);
        }
        let action = actions[rng.below(actions.len())];
        syscalls.push(Entry {
            names: pick.iter().map(|n| n.to_string()).collect(),
            action,
            errno: action.takes_errno().then(|| 2 + rng.below(3) as u16),
            args: conds,
            includes: Filter::default(),
            excludes: Filter::default(),
        });
    }
    Profile {
        default_action: default,
        default_errno: Some(1),
        architectures: vec![],
        arch_map: vec![],
        syscalls,
    }
}

/// What [`overlap_run`] found.
struct OverlapRun {
    tally: Tally,
    count: usize,
    /// Pairs of overlapping entries noted ([`policy::profile::Note`]).
    noted: usize,
    /// Profiles libseccomp did not finish building (skipped).
    hangs: usize,
}

impl OverlapRun {
    /// Prints the tally under `what` ([`report`], which also asserts that
    /// go-jail answers as libseccomp's tree wherever it says it follows
    /// it) and checks that libseccomp finished most profiles and that
    /// some cases were decided by the tree (else the run shows nothing).
    fn report(&self, what: &str) {
        let (count, hangs) = (self.count, self.hangs);
        report(
            &format!(
                "{count} {what} ({hangs} skipped: libseccomp 2.5.4 did not finish building them)"
            ),
            &self.tally,
        );
        assert!(hangs * 20 < count, "libseccomp hung on {hangs} profiles");
        let by_tree = self.tally.ours.get("libseccomp-tree-order").copied();
        assert!(
            by_tree.unwrap_or(0) > 0,
            "the generator makes rules libseccomp's tree decides word by word"
        );
    }
}

/// `GO_JAIL_OVERLAP_CASES` (else `count`) profiles from `make`, each
/// compiled by go-jail and libseccomp (`tag`) and compared on the
/// syscalls they name.
fn overlap_run(
    helper: &Path,
    tag: &str,
    count: usize,
    seed: u64,
    arches: &[Arch],
    mut make: impl FnMut(&mut Rng) -> Profile,
) -> OverlapRun {
    let count: usize = std::env::var("GO_JAIL_OVERLAP_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(count);
    let mut rng = Rng(seed);
    let mut run = OverlapRun {
        tally: Tally::default(),
        count,
        noted: 0,
        hangs: 0,
    };
    let ctx = Context {
        caps: 0,
        arch: Arch::X86_64,
        kernel: (6, 1),
    };
    for i in 0..count {
        let mut p = make(&mut rng);
        p.architectures = arches
            .iter()
            .map(|a| policy::profile::scmp_arch_name(*a).to_string())
            .collect();
        let (default, rules) = runc_rules(&p, &ctx);
        let (_, notes) = p.to_spec(&ctx).unwrap();
        run.noted += notes
            .iter()
            .map(|n| match n {
                policy::profile::Note::Overlap { .. } => 1,
                policy::profile::Note::WordOrder { entries, .. } => entries.len() - 1,
                _ => 0,
            })
            .sum::<usize>();
        let (ours, followed) = gojail_program(&p, &ctx, arches);
        run.tally.followed = followed;
        let text = rule_file(default, &rules, arches);
        let Some(lib) = libseccomp_program_within(helper, &text, tag) else {
            run.hangs += 1;
            continue;
        };
        let label = format!("{tag} #{i}");
        compare_names(
            &mut run.tally,
            &label,
            default,
            &rules,
            arches,
            &ours,
            &lib,
            &mut rng,
        );
    }
    run
}

/// Overlapping conditional rules with different actions: go-jail answers
/// as libseccomp's argument tree does where it can (see
/// [`Tally::word_order_apart`]), else in the whole-condition order of the
/// reference [`tried_before`], and libseccomp's program agrees but for the
/// named exceptions.
#[test]
fn overlapping_rules_against_libseccomp() {
    let Some(helper) = helper("overlap") else {
        return;
    };
    let run = overlap_run(
        &helper,
        "overlap",
        400,
        0x6a09_e667_f3bc_c909,
        &[Arch::X86_64],
        overlap_profile,
    );
    run.report(&format!(
        "overlapping profiles, {} overlapping pairs noted",
        run.noted
    ));
    assert!(run.noted > run.count, "the generator makes overlaps");
}

/// Overlapping rules on two 64-bit arguments (`mmap`'s `addr` and
/// `length`, `valueTwo` only where masked `==` reads it), so that every
/// condition and every argument means the same to libseccomp and
/// go-jail: where rules with different actions hold, go-jail answers as
/// libseccomp's tree in every case its model builds
/// ([`Tally::word_order_apart`] is 0, asserted by [`report`]).
#[test]
fn overlapping_rules_on_64_bit_arguments_follow_libseccomps_tree() {
    let Some(helper) = helper("overlap64") else {
        return;
    };
    let run = overlap_run(
        &helper,
        "overlap64",
        200,
        0xbb67_ae85_84ca_a73b,
        &[Arch::X86_64],
        mmap_profile,
    );
    run.report("overlapping mmap profiles");
}

/// [`overlapping_rules_on_64_bit_arguments_follow_libseccomps_tree`] in a
/// profile for x86_64 and x86 together (as Docker's and Podman's map
/// them): libseccomp builds x86's tree from low words (`_db_rule_gen_32`);
/// go-jail gives each arch the rules of its own tree and answers as
/// libseccomp on both ([`Tally::word_order_apart`] is 0). The model of
/// the 32-bit tree is checked against libseccomp's x86 PFC here (where
/// libseccomp refused none of the syscall's rules: in a profile for
/// several arches a rule one arch's tree refuses is refused on all).
#[test]
fn overlapping_rules_on_x86_64_and_x86_follow_libseccomps_trees() {
    let Some(helper) = helper("overlap-x86") else {
        return;
    };
    let arches = [Arch::X86_64, Arch::X86];
    let run = overlap_run(
        &helper,
        "overlap-x86",
        200,
        0x3c6e_f372_fe94_f82b,
        &arches,
        |rng| {
            let mut p = mmap_profile(rng);
            for a in p.syscalls.iter_mut().flat_map(|e| e.args.iter_mut()) {
                a.value &= 0xffff_ffff;
                a.value_two &= 0xffff_ffff;
            }
            p
        },
    );
    run.report("overlapping mmap profiles on x86_64 and x86");
}

/// Overlapping `mmap` rules on `addr` and `length`, `valueTwo` only where
/// masked `==` reads it (as real profiles write them).
fn mmap_profile(rng: &mut Rng) -> Profile {
    let mut p = overlap_profile_on(rng, &["mmap"], 2);
    for a in p.syscalls.iter_mut().flat_map(|e| e.args.iter_mut()) {
        if a.op != ArgOp::MaskedEq {
            a.value_two = 0;
        }
    }
    p
}

/// [`compare`] on the syscalls the rules name only, on each of `arches`.
#[allow(clippy::too_many_arguments)]
fn compare_names(
    tally: &mut Tally,
    label: &str,
    default: Action,
    rules: &[RefRule],
    arches: &[Arch],
    ours: &Program,
    lib: &Lib,
    rng: &mut Rng,
) {
    let mut names: Vec<&str> = rules.iter().map(|r| r.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    for &arch in arches {
        for name in &names {
            let nr = SyscallTable::lookup(arch, name).unwrap();
            compare_one(tally, label, default, rules, arch, nr, ours, lib, rng);
        }
    }
}

// ------------------------------------------- syscall lists on every arch

/// Where go-jail's syscall tables knowingly differ from libseccomp 2.5.4's,
/// as `(arch, nr, go-jail's name, libseccomp's name)`. Every one is a call
/// newer than libseccomp 2.5.4 (Linux 6.1 tables): go-jail's come from the
/// `syscalls` crate (Linux 6.17), with aarch64's 79 renamed to the kernel's
/// `newfstatat` and the `*_time64` calls dropped from 64-bit arches
/// (policy/src/table.rs), both of which libseccomp already does.
const TABLE_DIFFERENCES: &[(&str, &[(u32, &str)])] = &[
    ("x86_64", &[(335, "uretprobe"), (336, "uprobe")]),
    ("riscv64", &[(258, "riscv_hwprobe")]),
];

/// The calls 457..=469 (Linux 6.8 to 6.17), the same on every arch.
const NEWER_CALLS: [&str; 13] = [
    "statmount",
    "listmount",
    "lsm_get_self_attr",
    "lsm_set_self_attr",
    "lsm_list_modules",
    "mseal",
    "setxattrat",
    "getxattrat",
    "listxattrat",
    "removexattrat",
    "open_tree_attr",
    "file_getattr",
    "file_setattr",
];

/// Where go-jail's syscall lists knowingly differ from libseccomp's.
const LIST_EXCEPTIONS: &[(&str, &str)] = &[
    (
        "enosys-above-table",
        "numbers above the syscall table get ERRNO(ENOSYS), not the default",
    ),
    (
        "enosys-clone3",
        "clone3 left out of an allow-list gets ERRNO(ENOSYS) (glibc falls back to clone)",
    ),
    (
        "x32-or-minus-1",
        "x86_64 numbers with the x32 bit are KILL_PROCESS in go-jail; -1 and x32 differ in libseccomp",
    ),
    (
        "deny-twin",
        "a deny-list denies the ABI twins of its names (fcntl -> fcntl64); libseccomp denies the name only",
    ),
    (
        "ipc-version-bits",
        "ipc(call | version << 16): the kernel keeps call & 0xffff (ipc/syscall.c), go-jail too, libseccomp compares the whole word",
    ),
    (
        "newer-than-libseccomp",
        "a listed call libseccomp 2.5.4 does not know (TABLE_DIFFERENCES, NEWER_CALLS) is skipped there",
    ),
];

fn libseccomp_table(helper: &Path, arch: Arch) -> BTreeMap<u32, String> {
    let o = Command::new(helper)
        .args(["--names", arch.name()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let (nr, name) = l.split_once(' ').unwrap();
            (nr.parse().unwrap(), name.to_string())
        })
        .collect()
}

fn newer_than_libseccomp(arch: Arch, name: &str) -> bool {
    NEWER_CALLS.contains(&name)
        || TABLE_DIFFERENCES
            .iter()
            .any(|(a, d)| *a == arch.name() && d.iter().any(|(_, n)| *n == name))
}

#[test]
fn every_table_matches_libseccomp_but_for_the_named_differences() {
    let Some(helper) = helper("tables") else {
        return;
    };
    for arch in Arch::ALL {
        let theirs = libseccomp_table(&helper, arch);
        let ours: BTreeMap<u32, String> = SyscallTable::entries(arch)
            .map(|(nr, n)| (nr, n.to_string()))
            .collect();
        let mut diff: Vec<(u32, &str)> = Vec::new();
        for (nr, name) in &ours {
            match theirs.get(nr) {
                Some(t) => assert_eq!(t, name, "{arch:?} nr {nr}"),
                None => diff.push((*nr, name.as_str())),
            }
        }
        for (nr, name) in &theirs {
            assert!(
                ours.contains_key(nr),
                "{arch:?}: libseccomp has {nr} {name}"
            );
        }
        let mut want: Vec<(u32, &str)> = TABLE_DIFFERENCES
            .iter()
            .filter(|(a, _)| *a == arch.name())
            .flat_map(|(_, d)| d.iter().copied())
            .collect();
        want.extend((457..).zip(NEWER_CALLS));
        assert_eq!(diff, want, "{arch:?}: go-jail's calls libseccomp lacks");
    }
}

/// Names a random list draws from often: twins, multiplexers and their
/// sub-calls, renamed and dropped calls.
fn hot_names() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = policy::twins::TWINS
        .iter()
        .flat_map(|t| [t.name, t.twin])
        .collect();
    v.extend([
        "socketcall",
        "ipc",
        "socket",
        "connect",
        "accept",
        "send",
        "recv",
        "sendmmsg",
        "shmget",
        "shmat",
        "semop",
        "msgrcv",
        "newfstatat",
        "clone3",
        "mseal",
        "read",
        "execve",
    ]);
    v
}

/// Argument vectors for `name`: every sub-call of a multiplexer (with and
/// without ipc's version bits), else one vector.
fn list_vectors(name: Option<&str>) -> Vec<[u64; 6]> {
    match name {
        Some("socketcall") => (0..=21).map(|c| [c, 0, 0, 0, 0, 0]).collect(),
        Some("ipc") => (0..=25)
            .flat_map(|c| [c, c | 1 << 16, c | 0xffff_0000])
            .map(|c| [c, 0, 0, 0, 0, 0])
            .collect(),
        _ => vec![[0; 6]],
    }
}

struct ListCase<'a> {
    mode: policy::Mode,
    names: &'a [&'a str],
    deny: Action,
    arches: &'a [Arch],
}

/// Which named exception explains that go-jail gives `ours` and libseccomp
/// `lib` for `(arch, nr, args)` under `case`.
fn classify_list(
    case: &ListCase,
    arch: Arch,
    nr: u32,
    args: &[u64; 6],
    ours: Action,
    lib: Action,
) -> Option<&'static str> {
    let name = SyscallTable::name(arch, nr);
    let end = SyscallTable::max_nr(arch) + 1;
    let deny_list = case.mode == policy::Mode::DenyList;
    if nr == u32::MAX || arch == Arch::X86_64 && nr >= 0x4000_0000 {
        return Some("x32-or-minus-1");
    }
    if name.is_none() && nr >= end && ours == Action::Errno(38) {
        return Some("enosys-above-table");
    }
    let name = name?;
    let listed = |n: &str| case.names.contains(&n);
    if name == "clone3" && !deny_list && !listed(name) && ours == Action::Errno(38) {
        return Some("enosys-clone3");
    }
    let twin_of_listed = policy::twins::TWINS
        .iter()
        .any(|t| t.twin == name && listed(t.name));
    if deny_list && twin_of_listed && !listed(name) && ours == case.deny && lib == Action::Allow {
        return Some("deny-twin");
    }
    if newer_than_libseccomp(arch, name) && listed(name) {
        return Some("newer-than-libseccomp");
    }
    if name == "ipc" && args[0] > 0xffff {
        return Some("ipc-version-bits");
    }
    None
}

fn compare_list(tally: &mut Tally, helper: &Path, case: &ListCase, label: &str) {
    let spec = policy::PolicySpec {
        mode: case.mode,
        names: case.names.iter().map(|n| n.to_string()).collect(),
        deny_action: case.deny,
        arches: case.arches.to_vec(),
        ..policy::PolicySpec::default()
    };
    let (p, _) = policy::resolve(&spec).unwrap();
    let ours = policy::compile(&p, &policy::CompileOptions::default()).unwrap();
    let (default, listed) = match case.mode {
        policy::Mode::AllowList => (case.deny, Action::Allow),
        policy::Mode::DenyList => (Action::Allow, case.deny),
    };
    let lines = case.names.iter().map(|n| (*n, listed, Vec::new()));
    let text = rule_file::write(default, case.arches, lines).unwrap();
    let lib = libseccomp_program(helper, &text, "lists");
    for &arch in case.arches {
        for nr in numbers(arch) {
            tally.syscalls += 1;
            for args in list_vectors(SyscallTable::name(arch, nr)) {
                tally.cases += 1;
                let data = SeccompData {
                    nr,
                    arch: arch.audit(),
                    args,
                    ..SeccompData::default()
                };
                let run =
                    |p: &Program| Action::from_raw(bpf_asm::run(p, &data).unwrap().ret).unwrap();
                let (a, b) = (run(&ours), run(&lib));
                assert_eq!(a, p.evaluate(&data), "{label}: go-jail's own reference");
                if a == b {
                    continue;
                }
                let Some(why) = classify_list(case, arch, nr, &args, a, b) else {
                    panic!(
                        "{label}: {arch:?} nr {nr} ({:?}) args {args:x?}: go-jail {a}, libseccomp {b}; list {:?}",
                        SyscallTable::name(arch, nr),
                        case.names
                    );
                };
                *tally.lib.entry(why).or_default() += 1;
                tally.examples.entry(why).or_insert_with(|| {
                    format!(
                        "{label}: {arch:?} {:?} args[0] {:#x}: go-jail {a}, libseccomp {b}",
                        SyscallTable::name(arch, nr),
                        args[0]
                    )
                });
            }
        }
    }
}

#[test]
fn random_lists_on_every_arch_and_arch_pair_against_libseccomp() {
    let Some(helper) = helper("lists") else {
        return;
    };
    let per_set: usize = std::env::var("GO_JAIL_LIST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4);
    let mut targets: Vec<Vec<Arch>> = Arch::ALL.iter().map(|&a| vec![a]).collect();
    for (i, &a) in Arch::ALL.iter().enumerate() {
        for &b in &Arch::ALL[i + 1..] {
            targets.push(vec![a, b]);
        }
    }
    let hot = hot_names();
    let mut rng = Rng(0x5851_f42d_4c95_7f2d);
    let mut tally = Tally::default();
    let fixed: [&[&str]; 4] = [
        &["socketcall", "ipc"],
        &["socket", "shmget", "connect"],
        &[
            "fcntl",
            "getuid",
            "mmap",
            "lseek",
            "setgroups",
            "stat",
            "wait4",
            "select",
        ],
        &["newfstatat", "clock_gettime", "futex", "mseal"],
    ];
    for arches in &targets {
        let all: Vec<&str> = policy::table::all_names().to_vec();
        for k in 0..per_set + 2 * fixed.len() {
            let names: Vec<&str> = if k < 2 * fixed.len() {
                fixed[k / 2].to_vec()
            } else {
                (0..1 + rng.below(40))
                    .map(|_| {
                        if rng.below(2) == 0 {
                            hot[rng.below(hot.len())]
                        } else {
                            all[rng.below(all.len())]
                        }
                    })
                    .collect()
            };
            let mode = if k % 2 == 0 {
                policy::Mode::DenyList
            } else {
                policy::Mode::AllowList
            };
            let case = ListCase {
                mode,
                names: &names,
                deny: Action::Errno(1 + rng.below(100) as u16),
                arches,
            };
            let label = format!("{mode:?} on {arches:?}");
            compare_list(&mut tally, &helper, &case, &label);
        }
    }
    println!(
        "{} target sets, syscall lists against libseccomp: {} numbers, {} cases",
        targets.len(),
        tally.syscalls,
        tally.cases
    );
    for (k, n) in &tally.lib {
        let why = LIST_EXCEPTIONS.iter().find(|e| e.0 == *k).unwrap().1;
        println!(
            "  exception {k}: {n} cases ({why})\n    e.g. {}",
            tally.examples[k]
        );
    }
    assert!(
        tally.lib.contains_key("deny-twin"),
        "the twins were exercised"
    );
}
