//! go-jail against libseccomp on the reference policies.
//!
//! Run it through `benches/compare.sh`, which installs libseccomp, builds the
//! C helpers (`libseccomp_export`, `kbench`) and go-jail's release binary,
//! then runs `cargo bench --bench compare -- --tools DIR --go-jail BIN`.
//! A plain `cargo bench` (no `--tools`) only prints that hint.
//!
//! Per policy it prints program length, instructions executed per syscall
//! (worst, mean over the x86_64 table, frequency-weighted mean; bpf-asm's
//! interpreter), allowed syscalls served by the kernel's action cache,
//! compile time, and the kernel's ns per call for an allowed and a denied
//! syscall (one C program loads every filter); then go-jail's start-up
//! beside setpriv. Benchmarks measure: nothing is asserted.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use bpf_asm::seccomp::ret;
use bpf_asm::{Arch, Program, SeccompData};
use policy::SyscallTable;

#[allow(dead_code)]
mod common;

use common::RefPolicy;

const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;

/// A weight profile: its label and (syscall number, weight) pairs.
type Weights = (String, Vec<(u32, f64)>);

struct Options {
    tools: Option<PathBuf>,
    go_jail: Option<PathBuf>,
    weights: Vec<PathBuf>,
    kernel_iters: u64,
    rounds: usize,
    compile_iters: usize,
    startup_runs: usize,
}

impl Options {
    fn parse() -> Result<Options, String> {
        let mut o = Options {
            tools: None,
            go_jail: None,
            weights: Vec::new(),
            kernel_iters: 2_000_000,
            rounds: 5,
            compile_iters: 301,
            startup_runs: 200,
        };
        let mut args = std::env::args().skip(1);
        while let Some(a) = args.next() {
            let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
            let num = |name: &str, v: String| {
                v.parse::<u64>()
                    .map_err(|_| format!("{name}: not a number: {v}"))
            };
            match a.as_str() {
                "--bench" => {}
                "--tools" => o.tools = Some(value(&a)?.into()),
                "--go-jail" => o.go_jail = Some(value(&a)?.into()),
                "--weights" => o.weights.push(value(&a)?.into()),
                "--iters" => o.kernel_iters = num(&a, value(&a)?)?.max(1),
                "--rounds" => o.rounds = num(&a, value(&a)?)?.max(1) as usize,
                "--compile-iters" => o.compile_iters = num(&a, value(&a)?)?.max(1) as usize,
                "--startup-runs" => o.startup_runs = num(&a, value(&a)?)? as usize,
                "--quick" => {
                    o.kernel_iters = 200_000;
                    o.rounds = 3;
                    o.compile_iters = 51;
                    o.startup_runs = 20;
                }
                _ => return Err(format!("unknown argument {a}")),
            }
        }
        Ok(o)
    }
}

fn main() -> ExitCode {
    let opts = match Options::parse() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("compare: {e}");
            eprintln!(
                "usage: cargo bench --bench compare -- --tools DIR [--go-jail BIN] [--weights FILE]... \
                 [--iters N] [--rounds N] [--compile-iters N] [--startup-runs N] [--quick]"
            );
            return ExitCode::from(2);
        }
    };
    let Some(tools) = opts.tools.clone() else {
        println!("compare: skipped (run benches/compare.sh for the libseccomp comparison)");
        return ExitCode::SUCCESS;
    };
    match run(&opts, &tools) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("compare: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(opts: &Options, tools: &Path) -> Result<(), String> {
    let out = tools.join("out");
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let table: Vec<(u32, &'static str)> = SyscallTable::entries(Arch::X86_64).collect();
    let nr_count = SyscallTable::max_nr(Arch::X86_64) + 1;
    let weights = load_weights(&opts.weights)?;
    let (policies, notes) = common::reference_policies();
    for n in notes {
        println!("note: {n}");
    }
    println!(
        "x86_64 table: {} syscalls (nr 0..{}); interpreter metrics use arch AUDIT_ARCH_X86_64",
        table.len(),
        nr_count - 1
    );
    for (label, w) in &weights {
        println!(
            "weights '{label}': {} syscalls of the profile on x86_64",
            w.len()
        );
    }
    println!(
        "compile time: libseccomp = seccomp_init + rule_add + seccomp_export_bpf (names resolved \
         beforehand), median of {} runs; go-jail = policy::resolve + policy::compile, median of \
         >= {} runs",
        opts.compile_iters, opts.compile_iters
    );
    println!(
        "kernel: ns per raw syscall in a forked child with the filter loaded, median of {} \
         interleaved rounds x {} calls per configuration\n",
        opts.rounds, opts.kernel_iters
    );
    for p in &policies {
        let report = bench_policy(p, opts, tools, &out, &table, nr_count, &weights)?;
        println!("{report}");
    }
    println!("{}", startup(opts));
    Ok(())
}

/// A program under test and what was measured about it.
struct Subject {
    label: &'static str,
    file: PathBuf,
    prog: Program,
    compile_ns: f64,
    m: Metrics,
}

struct Metrics {
    len: usize,
    worst: usize,
    worst_name: &'static str,
    mean: f64,
    weighted: Vec<f64>,
    /// Table syscalls the program allows.
    allowed: Vec<u32>,
    /// Of those, the ones the kernel's action cache serves.
    cached_allowed: usize,
    /// The raw return value for each table syscall.
    rets: Vec<u32>,
}

fn data(nr: u32, args: [u64; 6]) -> SeccompData {
    SeccompData {
        nr,
        arch: AUDIT_ARCH_X86_64,
        instruction_pointer: 0,
        args,
    }
}

fn metrics(
    prog: &Program,
    table: &[(u32, &'static str)],
    nr_count: u32,
    weights: &[Weights],
) -> Result<Metrics, String> {
    let mut executed = BTreeMap::new();
    let mut rets = Vec::with_capacity(table.len());
    let mut allowed = Vec::new();
    let (mut worst, mut worst_name, mut sum) = (0, "", 0usize);
    for &(nr, name) in table {
        let o = bpf_asm::run(prog, &data(nr, [0; 6])).map_err(|e| format!("{name}: {e}"))?;
        executed.insert(nr, o.executed);
        rets.push(o.ret);
        if o.ret & ret::ACTION_FULL == ret::ALLOW {
            allowed.push(nr);
        }
        if o.executed > worst {
            (worst, worst_name) = (o.executed, name);
        }
        sum += o.executed;
    }
    let weighted = weights
        .iter()
        .map(|(_, w)| {
            let total: f64 = w.iter().map(|x| x.1).sum();
            let s: f64 = w
                .iter()
                .map(|&(nr, c)| c * executed.get(&nr).copied().unwrap_or(0) as f64)
                .sum();
            if total > 0.0 {
                s / total
            } else {
                f64::NAN
            }
        })
        .collect();
    let cached = cached_set(prog, nr_count);
    let cached_allowed = allowed
        .iter()
        .filter(|&&nr| cached.get(nr as usize).copied().unwrap_or(false))
        .count();
    Ok(Metrics {
        len: prog.len(),
        worst,
        worst_name,
        mean: sum as f64 / table.len() as f64,
        weighted,
        allowed,
        cached_allowed,
        rets,
    })
}

/// For each number below `nr_count`: does the kernel's action cache serve it
/// (bpf-asm's model of `seccomp_is_const_allow`)?
fn cached_set(prog: &Program, nr_count: u32) -> Vec<bool> {
    let mut set = vec![false; nr_count as usize];
    for nr in bpf_asm::cache::cached_syscalls(prog, AUDIT_ARCH_X86_64, nr_count) {
        set[nr as usize] = true;
    }
    set
}

/// The weight profiles: the default frequency file, then `--weights` files.
fn load_weights(extra: &[PathBuf]) -> Result<Vec<Weights>, String> {
    let mut files = Vec::new();
    match common::freq_file() {
        Some(f) => files.push(f),
        None => println!("note: no syscall weights found; weighted mean omitted"),
    }
    files.extend(extra.iter().cloned());
    files
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(f).map_err(|e| format!("{}: {e}", f.display()))?;
            Ok((common::display_rel(f), parse_weights(&text)))
        })
        .collect()
}

/// `name count` (or `name: count`) lines; names unknown on x86_64 are skipped.
fn parse_weights(text: &str) -> Vec<(u32, f64)> {
    let mut w: BTreeMap<u32, f64> = BTreeMap::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("");
        let mut it = line
            .split(|c: char| c.is_whitespace() || c == ':')
            .filter(|s| !s.is_empty());
        let (Some(name), Some(count)) = (it.next(), it.next()) else {
            continue;
        };
        let (Some(nr), Ok(count)) = (
            SyscallTable::lookup(Arch::X86_64, name),
            count.parse::<f64>(),
        ) else {
            continue;
        };
        *w.entry(nr).or_default() += count;
    }
    w.into_iter().collect()
}

/// Runs a helper and returns its `key=value` lines.
fn run_kv(cmd: &mut Command) -> Result<BTreeMap<String, String>, String> {
    let shown = format!("{cmd:?}");
    let o = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{shown}: {e}"))?;
    if !o.status.success() {
        return Err(format!(
            "{shown}: {}: {}",
            o.status,
            String::from_utf8_lossy(&o.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect())
}

fn kv_num(kv: &BTreeMap<String, String>, key: &str) -> Result<f64, String> {
    kv.get(key)
        .and_then(|v| v.parse().ok())
        .ok_or(format!("helper output lacks {key}"))
}

fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// A syscall the kernel benchmark issues.
#[derive(Clone, Copy)]
struct Call {
    /// Whether the benchmark expects the filters to deny it.
    denied: bool,
    shown: &'static str,
    name: &'static str,
    args: [u64; 6],
}

impl Call {
    const fn new(denied: bool, shown: &'static str, name: &'static str, arg0: u64) -> Call {
        Call {
            denied,
            shown,
            name,
            args: [arg0, 0, 0, 0, 0, 0],
        }
    }
}

/// Safe to call millions of times; the first every filter allows is used.
const ALLOWED_CANDIDATES: &[Call] = &[
    Call::new(false, "getppid()", "getppid", 0),
    Call::new(false, "getuid()", "getuid", 0),
    Call::new(false, "read(-1, NULL, 0)", "read", u64::MAX),
    Call::new(false, "close(-1)", "close", u64::MAX),
];

/// Harmless even where not denied (the no-filter baseline runs them too).
const DENIED_CANDIDATES: &[Call] = &[
    Call::new(true, "getppid()", "getppid", 0),
    Call::new(true, "getuid()", "getuid", 0),
    Call::new(true, "personality(0xffffffff)", "personality", 0xffff_ffff),
    // SYSLOG_ACTION_CLOSE: a no-op even for the unfiltered root baseline
    Call::new(true, "syslog(0, NULL, 0)", "syslog", 0),
];

/// For policies with argument rules: an allowed call whose verdict depends
/// on an argument comparison (Docker allows personality 0, 8, 0x20000,
/// 0x20008 and 0xffffffff). kbench repeats it millions of times, so it must
/// be a safe repeated call: `personality(PER_LINUX)` sets the persona the
/// process already has.
const ARG_CHECKED: Call = Call::new(false, "personality(0) [arg rule]", "personality", 0);

fn nr_of(call: &Call) -> u32 {
    SyscallTable::lookup(Arch::X86_64, call.name).expect("benchmark syscalls exist on x86_64")
}

fn action_of(prog: &Program, call: &Call) -> Option<u32> {
    bpf_asm::run(prog, &data(nr_of(call), call.args))
        .ok()
        .map(|o| o.ret & ret::ACTION_FULL)
}

/// The first allowed candidate every program allows (preferring one every
/// program's cache serves) and the first candidate every program fails
/// with ERRNO.
fn pick_calls(subjects: &[Subject], nr_count: u32) -> (Option<(Call, bool)>, Option<Call>) {
    let caches: Vec<Vec<bool>> = subjects
        .iter()
        .map(|s| cached_set(&s.prog, nr_count))
        .collect();
    let all_allow = |c: &Call| {
        subjects
            .iter()
            .all(|s| action_of(&s.prog, c) == Some(ret::ALLOW))
    };
    let all_cached = |c: &Call| {
        caches
            .iter()
            .all(|k| k.get(nr_of(c) as usize) == Some(&true))
    };
    let allowed = ALLOWED_CANDIDATES
        .iter()
        .find(|c| all_allow(c) && all_cached(c))
        .map(|c| (*c, true))
        .or_else(|| {
            ALLOWED_CANDIDATES
                .iter()
                .find(|c| all_allow(c))
                .map(|c| (*c, false))
        });
    let denied = DENIED_CANDIDATES
        .iter()
        .find(|c| {
            subjects
                .iter()
                .all(|s| action_of(&s.prog, c) == Some(ret::ERRNO))
        })
        .copied();
    (allowed, denied)
}

/// Median ns per call for each (filter, call): `None` is the no-filter baseline.
fn kernel_bench(
    kbench: &Path,
    filters: &[Option<&Path>],
    calls: &[Call],
    opts: &Options,
    surprises: &mut Vec<String>,
    spread: &mut f64,
) -> Result<Vec<Vec<f64>>, String> {
    let mut samples = vec![vec![Vec::new(); calls.len()]; filters.len()];
    for _ in 0..opts.rounds {
        for (fi, f) in filters.iter().enumerate() {
            for (ci, c) in calls.iter().enumerate() {
                let mut cmd = Command::new(kbench);
                cmd.arg(f.map_or("none".into(), |p| p.display().to_string()))
                    .arg(nr_of(c).to_string())
                    .arg(opts.kernel_iters.to_string());
                cmd.args(c.args.iter().map(|a| a.to_string()));
                let kv = run_kv(&mut cmd)?;
                samples[fi][ci].push(kv_num(&kv, "ns_per_call")?);
                // The kernel must agree with the interpreter: EPERM exactly
                // when the filter denies.
                let got: i64 = kv
                    .get("ret")
                    .and_then(|v| v.parse().ok())
                    .ok_or("kbench output lacks ret")?;
                if f.is_some()
                    && (got == -i64::from(policy::EPERM)) != c.denied
                    && !surprises.iter().any(|s: &String| s.starts_with(c.shown))
                {
                    surprises.push(format!(
                        "{} returned {got} under {}: the kernel disagrees with the interpreter",
                        c.shown,
                        f.map(|p| p.display().to_string()).unwrap_or_default()
                    ));
                }
            }
        }
    }
    for per in &samples {
        for v in per {
            let (lo, hi) = v
                .iter()
                .fold((f64::INFINITY, 0f64), |(lo, hi), &x| (lo.min(x), hi.max(x)));
            let mid = median(&mut v.clone());
            if mid > 0.0 {
                *spread = spread.max((hi - lo) / mid);
            }
        }
    }
    Ok(samples
        .into_iter()
        .map(|per| per.into_iter().map(|mut v| median(&mut v)).collect())
        .collect())
}

fn bench_policy(
    p: &RefPolicy,
    opts: &Options,
    tools: &Path,
    out: &Path,
    table: &[(u32, &'static str)],
    nr_count: u32,
    weights: &[Weights],
) -> Result<String, String> {
    let names = p.x86_64_names();
    let spec = p.spec();
    // the helper's input: a names file, or a rule file for a whole profile
    let (names_file, text) = match p.mode {
        common::Mode::Rules => (
            out.join(format!("{}.rules", p.id)),
            common::rule_file(&spec)?,
        ),
        _ => (out.join(format!("{}.names", p.id)), names.join("\n") + "\n"),
    };
    std::fs::write(&names_file, text).map_err(|e| format!("{}: {e}", names_file.display()))?;
    let mut notes = Vec::new();
    let mut subjects = Vec::new();

    for (label, opt) in [("libseccomp", 1), ("lsc tree", 2)] {
        let file = out.join(format!("{}.libseccomp-opt{opt}.bpf", p.id));
        let kv = run_kv(
            Command::new(tools.join("libseccomp_export"))
                .arg(&names_file)
                .arg(p.mode.as_str())
                .arg(opt.to_string())
                .arg(&file)
                .arg(opts.compile_iters.to_string()),
        )?;
        if opt == 1 && kv_num(&kv, "skipped")? > 0.0 {
            notes.push(format!(
                "libseccomp does not know {} of the names (see stderr above); its filters omit them",
                kv_num(&kv, "skipped")?
            ));
        }
        if opt == 1 && kv.get("refused").is_some_and(|n| n != "0") {
            notes.push(format!(
                "libseccomp refused {} rules (see stderr above); its filters omit them",
                kv["refused"]
            ));
        }
        let prog = read_prog(&file)?;
        subjects.push(Subject {
            label,
            m: metrics(&prog, table, nr_count, weights)?,
            file,
            prog,
            compile_ns: kv_num(&kv, "median_ns")?,
        });
    }

    let prog = common::gojail_compile(&spec).map_err(|e| format!("{}: go-jail: {e}", p.id))?;
    let file = out.join(format!("{}.go-jail.bpf", p.id));
    std::fs::write(&file, prog.to_bytes()).map_err(|e| format!("{}: {e}", file.display()))?;
    subjects.push(Subject {
        label: "go-jail",
        m: metrics(&prog, table, nr_count, weights)?,
        file,
        prog,
        compile_ns: time_gojail_compile(&spec, opts.compile_iters),
    });

    // Kernel cost.
    let (allowed, denied) = pick_calls(&subjects, nr_count);
    let mut calls = Vec::new();
    if let Some((c, cached)) = allowed {
        if !cached {
            notes.push(format!("{} is not cache-served by every filter", c.shown));
        }
        calls.push(c);
    } else {
        notes.push("no allowed benchmark syscall common to all filters".into());
    }
    if p.mode == common::Mode::Rules {
        if subjects
            .iter()
            .all(|s| action_of(&s.prog, &ARG_CHECKED) == Some(ret::ALLOW))
        {
            calls.push(ARG_CHECKED);
        } else {
            notes.push(format!(
                "{} is not allowed by every filter",
                ARG_CHECKED.shown
            ));
        }
    }
    match denied {
        Some(c) => calls.push(c),
        None => notes.push("no denied benchmark syscall common to all filters".into()),
    }
    let mut filters: Vec<Option<&Path>> = vec![None];
    filters.extend(subjects.iter().map(|s| Some(s.file.as_path())));
    let mut spread = 0.0;
    let ns = kernel_bench(
        &tools.join("kbench"),
        &filters,
        &calls,
        opts,
        &mut notes,
        &mut spread,
    )?;

    // The table.
    let mut t = Table::new(&subjects);
    t.row("length (instructions)", "<= 1", |s| s.m.len as f64, 0);
    let worst = format!("worst executed (go-jail: {})", subjects[2].m.worst_name);
    t.row(&worst, "<= 1", |s| s.m.worst as f64, 0);
    t.row(
        &format!("mean executed ({} table nrs)", table.len()),
        "",
        |s| s.m.mean,
        2,
    );
    for (i, (label, _)) in weights.iter().enumerate() {
        let target = if i == 0 { "<= 0.6 tree" } else { "" };
        t.row(
            &format!("weighted mean ({label})"),
            target,
            |s| s.m.weighted[i],
            2,
        );
    }
    t.text_row("allowed table syscalls cached", "all", |s| {
        format!("{}/{}", s.m.cached_allowed, s.m.allowed.len())
    });
    t.row(
        "compile time (us, median)",
        "<= 0.1",
        |s| s.compile_ns / 1000.0,
        1,
    );
    let mut baseline = Vec::new();
    for (ci, c) in calls.iter().enumerate() {
        let filtered = [ns[1][ci], ns[2][ci], ns[3][ci]];
        let (kind, target) = if c.denied {
            ("denied", "<= 1")
        } else {
            ("allowed", "")
        };
        t.values_row(
            &format!("kernel ns/call, {kind} {}", c.shown),
            target,
            filtered,
            1,
        );
        // A denied call skips the syscall's work, so only an allowed call's
        // cost has a meaningful overhead over the unfiltered call.
        if !c.denied {
            t.values_row(
                "  over no-filter baseline",
                "",
                filtered.map(|x| x - ns[0][ci]),
                1,
            );
        }
        baseline.push(format!("{} {:.1} ns", c.shown, ns[0][ci]));
    }

    let mut r = String::new();
    let _ = writeln!(r, "== {} ==", p.title);
    if p.mode == common::Mode::Rules {
        let conditional = spec
            .rules
            .iter()
            .filter(|r| !r.conditions.is_empty())
            .count();
        let _ = writeln!(
            r,
            "{} rules ({conditional} with argument conditions) for {} syscalls, as go-jail \
             reads the profile; libseccomp gets the same rules ({}); files in {}",
            spec.rules.len(),
            p.names.len(),
            common::display_rel(&names_file),
            common::display_rel(out)
        );
    } else {
        let _ = writeln!(
            r,
            "{} names, {} on x86_64 (both tools get those); files in {}",
            p.names.len(),
            names.len(),
            common::display_rel(out)
        );
    }
    r.push_str(&t.render());
    let _ = writeln!(
        r,
        "no-filter baseline (same run): {}; kernel figures vary up to {:.0}% between rounds",
        baseline.join(", "),
        spread * 100.0
    );
    let differ = verdict_differences(&subjects[1], &subjects[2], table);
    if !differ.is_empty() {
        let _ = writeln!(
            r,
            "verdicts go-jail vs libseccomp tree differ on {} table syscalls: {}",
            differ.len(),
            differ
                .iter()
                .take(6)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
                + if differ.len() > 6 { ", ..." } else { "" }
        );
    }
    if p.mode == common::Mode::Rules {
        for (lsc, label) in [(&subjects[0], "libseccomp"), (&subjects[1], "lsc tree")] {
            let differ = argument_differences(lsc, &subjects[2], &spec);
            let _ = writeln!(
                r,
                "verdicts go-jail vs {label} on argument vectors around the rules' constants: \
                 {} differ{}",
                differ.len(),
                if differ.is_empty() { "" } else { ":" }
            );
            for d in differ.iter().take(12) {
                let _ = writeln!(r, "  {d}");
            }
            if differ.len() > 12 {
                let _ = writeln!(r, "  ... and {} more", differ.len() - 12);
            }
        }
    }
    for n in notes {
        let _ = writeln!(r, "note: {n}");
    }
    Ok(r)
}

/// Where go-jail's and a libseccomp program differ on argument vectors
/// built from each conditional rule: every condition met with its own
/// constant, then one argument moved to the constant +-1, with bit 32 set,
/// or with the mask's complement set. One line per (syscall, verdicts).
fn argument_differences(lsc: &Subject, gj: &Subject, spec: &policy::PolicySpec) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for rule in spec.rules.iter().filter(|r| !r.conditions.is_empty()) {
        let Some(nr) = SyscallTable::lookup(Arch::X86_64, &rule.name) else {
            continue;
        };
        let mut base = [0u64; 6];
        for c in &rule.conditions {
            base[usize::from(c.arg())] = c.value();
        }
        let mut vectors = vec![base];
        for c in &rule.conditions {
            let v = c.value();
            let mut moved = vec![
                v.wrapping_add(1),
                v.wrapping_sub(1),
                v ^ (1 << 32),
                v | 0xffff_ffff_0000_0000,
            ];
            if let policy::CmpOp::MaskedEq(mask) = c.op() {
                moved.push(v | !mask);
            }
            for m in moved {
                let mut a = base;
                a[usize::from(c.arg())] = m;
                vectors.push(a);
            }
        }
        for args in vectors {
            let run = |s: &Subject| bpf_asm::run(&s.prog, &data(nr, args)).map(|o| o.ret).ok();
            let (g, l) = (run(gj), run(lsc));
            if g == l {
                continue;
            }
            let show = |r: Option<u32>| r.map_or("error".to_string(), show_ret);
            let key = (rule.name.clone(), g, l);
            if seen.insert(key) {
                let shown: Vec<String> = args.iter().map(|a| format!("{a:#x}")).collect();
                out.push(format!(
                    "{}({}): go-jail {} vs {}",
                    rule.name,
                    shown.join(", "),
                    show(g),
                    show(l)
                ));
            }
        }
    }
    out
}

fn read_prog(file: &Path) -> Result<Program, String> {
    let bytes = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    Program::from_bytes(&bytes).map_err(|e| format!("{}: {e:?}", file.display()))
}

/// Median ns of go-jail's resolve + compile: at least `iters` runs and 0.2 s.
fn time_gojail_compile(spec: &policy::PolicySpec, iters: usize) -> f64 {
    let mut samples = Vec::new();
    let start = Instant::now();
    while samples.len() < iters
        || (start.elapsed() < Duration::from_millis(200) && samples.len() < 100_000)
    {
        let t0 = Instant::now();
        let p = common::gojail_compile(std::hint::black_box(spec));
        let dt = t0.elapsed();
        std::hint::black_box(p).ok();
        samples.push(dt.as_nanos() as f64);
    }
    median(&mut samples)
}

fn show_ret(r: u32) -> String {
    match r & ret::ACTION_FULL {
        ret::ALLOW => "ALLOW".into(),
        ret::ERRNO => format!("ERRNO({})", r & ret::DATA),
        ret::KILL_PROCESS => "KILL_PROCESS".into(),
        ret::KILL_THREAD => "KILL_THREAD".into(),
        ret::TRAP => format!("TRAP({})", r & ret::DATA),
        ret::LOG => "LOG".into(),
        ret::TRACE => format!("TRACE({})", r & ret::DATA),
        ret::USER_NOTIF => "USER_NOTIF".into(),
        _ => format!("{r:#x}"),
    }
}

fn verdict_differences(lsc: &Subject, gj: &Subject, table: &[(u32, &'static str)]) -> Vec<String> {
    table
        .iter()
        .enumerate()
        .filter(|&(i, _)| lsc.m.rets[i] != gj.m.rets[i])
        .map(|(i, (_, name))| {
            format!(
                "{name} ({} vs {})",
                show_ret(gj.m.rets[i]),
                show_ret(lsc.m.rets[i])
            )
        })
        .collect()
}

/// The per-policy table: one column per program, then go-jail's ratio to
/// each libseccomp mode and the target (a ratio bound, for reading only).
struct Table<'a> {
    subjects: &'a [Subject],
    rows: Vec<[String; 7]>,
}

impl<'a> Table<'a> {
    fn new(subjects: &'a [Subject]) -> Table<'a> {
        let mut rows = vec![[
            "metric".to_string(),
            subjects[0].label.into(),
            subjects[1].label.into(),
            subjects[2].label.into(),
            "gj/lsc".into(),
            "gj/tree".into(),
            "target".into(),
        ]];
        rows.push(rows[0].clone().map(|c| "-".repeat(c.chars().count())));
        Table { subjects, rows }
    }

    fn row(&mut self, label: &str, target: &str, f: impl Fn(&Subject) -> f64, prec: usize) {
        let v = [
            f(&self.subjects[0]),
            f(&self.subjects[1]),
            f(&self.subjects[2]),
        ];
        self.values_row(label, target, v, prec);
    }

    fn values_row(&mut self, label: &str, target: &str, v: [f64; 3], prec: usize) {
        let ratio = |a: f64, b: f64| {
            if b > 0.0 && a.is_finite() && b.is_finite() {
                format!("{:.2}", a / b)
            } else {
                "-".into()
            }
        };
        let num = |x: f64| {
            if x.is_finite() {
                format!("{x:.prec$}")
            } else {
                "n/a".into()
            }
        };
        self.rows.push([
            label.into(),
            num(v[0]),
            num(v[1]),
            num(v[2]),
            ratio(v[2], v[0]),
            ratio(v[2], v[1]),
            target.into(),
        ]);
    }

    fn text_row(&mut self, label: &str, target: &str, f: impl Fn(&Subject) -> String) {
        let v: Vec<String> = self.subjects.iter().map(f).collect();
        self.rows.push([
            label.into(),
            v[0].clone(),
            v[1].clone(),
            v[2].clone(),
            String::new(),
            String::new(),
            target.into(),
        ]);
    }

    fn render(&self) -> String {
        let mut w = [0usize; 7];
        for r in &self.rows {
            for (i, c) in r.iter().enumerate() {
                w[i] = w[i].max(c.chars().count());
            }
        }
        let mut s = String::new();
        for r in &self.rows {
            let mut line = format!("{:<w0$}", r[0], w0 = w[0]);
            for i in 1..6 {
                let _ = write!(line, "  {:>wi$}", r[i], wi = w[i]);
            }
            let _ = write!(line, "  {}", r[6]);
            s.push_str(line.trim_end());
            s.push('\n');
        }
        s
    }
}

/// One start-up measured: a label, the argv, and `GO_JAIL_LANDLOCK_ABI`.
struct Launch {
    argv: Vec<String>,
    landlock_abi: Option<&'static str>,
}

impl Launch {
    fn command(&self) -> Command {
        let mut c = Command::new(&self.argv[0]);
        c.args(&self.argv[1..]).stdin(Stdio::null());
        if let Some(abi) = self.landlock_abi {
            c.env("GO_JAIL_LANDLOCK_ABI", abi);
        }
        c
    }

    fn label(&self) -> String {
        match self.landlock_abi {
            Some(abi) => format!("GO_JAIL_LANDLOCK_ABI={abi} {}", self.argv.join(" ")),
            None => self.argv.join(" "),
        }
    }

    /// `Ok` when it runs and succeeds, else why not.
    fn check(&self) -> Result<(), String> {
        let o = self
            .command()
            .output()
            .map_err(|e| format!("cannot run {}: {e}", self.argv[0]))?;
        if o.status.success() {
            return Ok(());
        }
        let err = String::from_utf8_lossy(&o.stderr);
        let first = err.lines().next().unwrap_or("").trim().to_owned();
        Err(format!("{} failed ({}): {first}", self.label(), o.status))
    }

    /// Wall time of one run in microseconds, `None` when it failed.
    fn time(&self) -> Option<f64> {
        let t0 = Instant::now();
        let mut c = self.command();
        let ok =
            (c.stdout(Stdio::null()).stderr(Stdio::null()).status()).is_ok_and(|s| s.success());
        ok.then(|| t0.elapsed().as_nanos() as f64 / 1000.0)
    }
}

/// Median wall time of each launcher over interleaved runs: setpriv,
/// go-jail without Landlock (`GO_JAIL_LANDLOCK_ABI=0`), go-jail with its
/// default Landlock domain (scopes), and with `--fs-system --fs-rw /tmp`.
fn startup(opts: &Options) -> String {
    let mut r = String::from(
        "== start-up: /bin/true under setpriv and go-jail (with and without Landlock) ==\n",
    );
    let gj = opts
        .go_jail
        .clone()
        .unwrap_or_else(|| common::repo_root().join("target/release/go-jail"));
    let gj = gj.display().to_string();
    let argv = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let launches = [
        Launch {
            argv: argv(&[
                "setpriv",
                "--reuid=nobody",
                "--regid=nogroup",
                "--clear-groups",
                "/bin/true",
            ]),
            landlock_abi: None,
        },
        Launch {
            argv: argv(&[&gj, "-user", "nobody", "--", "/bin/true"]),
            landlock_abi: Some("0"),
        },
        Launch {
            argv: argv(&[&gj, "-user", "nobody", "--", "/bin/true"]),
            landlock_abi: None,
        },
        Launch {
            argv: argv(&[
                &gj,
                "-user",
                "nobody",
                "--fs-system",
                "--fs-rw",
                "/tmp",
                "--",
                "/bin/true",
            ]),
            landlock_abi: None,
        },
    ];
    let ok: Vec<Result<(), String>> = launches.iter().map(Launch::check).collect();
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); launches.len()];
    for _ in 0..opts.startup_runs.max(1) {
        for (i, l) in launches.iter().enumerate() {
            if ok[i].is_ok() {
                times[i].extend(l.time());
            }
        }
    }
    report_startup(&mut r, &launches, &ok, &mut times);
    r
}

/// The start-up lines: on a shared machine the noise only adds time, so
/// the 10th percentile is printed beside the median, and the Landlock
/// costs use both.
fn report_startup(
    r: &mut String,
    launches: &[Launch],
    ok: &[Result<(), String>],
    times: &mut [Vec<f64>],
) {
    let mut stats = Vec::new();
    for (i, l) in launches.iter().enumerate() {
        match &ok[i] {
            Ok(()) => {
                let m = median(&mut times[i]);
                let p10 = times[i][times[i].len() / 10];
                stats.push(Some((m, p10)));
                let _ = writeln!(
                    r,
                    "{}: {m:.0} us median, {p10:.0} us 10th percentile (of {})",
                    l.label(),
                    times[i].len()
                );
            }
            Err(e) => {
                stats.push(None);
                let _ = writeln!(r, "n/a: {e}");
            }
        }
    }
    if let [Some(sp), Some(plain), default, fs] = stats[..] {
        let _ = writeln!(
            r,
            "go-jail without Landlock / setpriv: {:.2} (target <= 1.2)",
            plain.0 / sp.0
        );
        let what = [
            ("default domain", default),
            ("--fs-system --fs-rw /tmp", fs),
        ];
        for (what, m) in what {
            if let Some(m) = m {
                let _ = writeln!(
                    r,
                    "Landlock {what}: {:+.1}% median, {:+.1}% 10th percentile, over go-jail without Landlock (target < 10%)",
                    (m.0 / plain.0 - 1.0) * 100.0,
                    (m.1 / plain.1 - 1.0) * 100.0
                );
            }
        }
    }
}
