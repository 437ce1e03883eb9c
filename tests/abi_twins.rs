//! Issue 12, findings 4 and 7, on the real kernel: a deny-list denies the
//! i386 twins of its names (`fcntl` → `fcntl64`, `getuid` → `getuid32`, …),
//! and naming a multiplexer (`socketcall`, `ipc`) denies every sub-call.
//!
//! The jailed command is a static x86_64 program that issues i386 syscalls
//! through `int $0x80`, one per argument (`NR,A0,...,A5`), and prints each
//! raw result on a line. The filter's errno is 77 (`EBADFD`), which none of
//! the calls returns by itself, so `-77` means "denied by the filter".

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::{jail, needs_root, Run};

/// The filter's errno in these tests.
const MARK: i64 = -77;

/// The probe, built once for every test of this file (they run in parallel).
fn int80_calls() -> Option<PathBuf> {
    static BUILT: OnceLock<Option<PathBuf>> = OnceLock::new();
    let built = BUILT.get_or_init(build_int80_calls).clone();
    if built.is_none() {
        eprintln!("skipping: gcc -static could not build the int $0x80 probe");
    }
    built
}

fn build_int80_calls() -> Option<PathBuf> {
    let dir = common::scratch_dir();
    let (src, exe) = (dir.join("int80_calls.c"), dir.join("int80_calls"));
    std::fs::write(
        &src,
        r#"#include <stdlib.h>
#include <unistd.h>
static void put(long v) {
  char b[24]; int i = sizeof b; unsigned long u = v < 0 ? -v : v;
  b[--i] = '\n';
  do { b[--i] = '0' + u % 10; u /= 10; } while (u);
  if (v < 0) b[--i] = '-';
  write(1, b + i, sizeof b - i);
}
int main(int argc, char **argv) {
  for (int k = 1; k < argc; k++) {
    long a[7] = {0}; char *p = argv[k];
    for (int i = 0; i < 7 && *p; i++) { a[i] = strtol(p, &p, 0); if (*p == ',') p++; }
    register long a5 __asm__("r8") = a[6];
    long r;
    __asm__ volatile("push %%rbp\n\tmov %%r8d, %%ebp\n\tint $0x80\n\tpop %%rbp"
      : "=a"(r) : "a"(a[0]), "b"(a[1]), "c"(a[2]), "d"(a[3]), "S"(a[4]), "D"(a[5]), "r"(a5)
      : "memory");
    put((int)r);
  }
  return 0;
}
"#,
    )
    .unwrap();
    let built = Command::new("gcc")
        .args(["-static", "-no-pie", "-O1", "-o"])
        .arg(&exe)
        .arg(&src)
        .status()
        .is_ok_and(|s| s.success());
    built.then_some(exe)
}

/// Runs the probe with `calls` under `--arch x86_64,x86 --errno 77` and
/// `policy`, as `nobody` (root caller).
fn results(exe: &Path, policy: &[&str], calls: &[String]) -> Vec<i64> {
    let mut args: Vec<&str> = vec!["-q", "--arch", "x86_64,x86", "--errno=77"];
    args.extend(["-user", "nobody"]);
    args.extend(policy);
    args.push("--");
    args.push(exe.to_str().unwrap());
    args.extend(calls.iter().map(String::as_str));
    parse(&jail(&args), calls.len())
}

/// As [`results`], but an unprivileged caller (uid 65534) loads the filter
/// `go-jail compile` wrote, through bubblewrap; `None` without bwrap.
fn results_unprivileged(exe: &Path, policy: &[&str], calls: &[String]) -> Option<Vec<i64>> {
    if Command::new("bwrap").arg("--version").output().is_err() {
        eprintln!("skipping the unprivileged run: bwrap is not installed");
        return None;
    }
    let filter = common::scratch_dir().join(format!("twins-{}.bpf", std::process::id()));
    let mut args = vec!["compile", "--arch", "x86_64,x86", "--errno=77"];
    args.extend(policy);
    args.extend(["--format", "raw", "-o", filter.to_str().unwrap()]);
    jail(&args).assert_code(0);
    std::fs::set_permissions(&filter, std::fs::Permissions::from_mode(0o644)).unwrap();
    let script = format!(
        "exec 3<{}; exec bwrap --ro-bind / / --dev /dev --seccomp 3 {} {}",
        filter.display(),
        exe.display(),
        calls.join(" ")
    );
    let r = Run::new(Command::new("setpriv").args([
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "sh",
        "-c",
        &script,
    ]));
    Some(parse(&r, calls.len()))
}

fn parse(r: &Run, n: usize) -> Vec<i64> {
    assert_eq!(r.code(), Some(0), "{r:?}");
    let out: Vec<i64> = r.stdout.lines().map(|l| l.parse().unwrap()).collect();
    assert_eq!(out.len(), n, "{r:?}");
    out
}

/// i386 numbers (arch/x86/entry/syscalls/syscall_32.tbl) with arguments
/// that make each call fail or succeed harmlessly, never with errno 77.
const TWIN_CALLS: &[(&str, &str)] = &[
    ("fcntl64", "221,-1,1"), // EBADF
    ("getuid32", "199"),     // the uid
    ("getgid32", "200"),     // the gid
    ("mmap2", "192,0,4096,1,0x22,-1,0"),
    ("_llseek", "140,-1,0,0,0,0"),    // EBADF
    ("setgroups32", "206,0,0"),       // EPERM as nobody
    ("stat64", "195,0,0"),            // EFAULT
    ("oldstat", "18,0,0"),            // EFAULT
    ("waitpid", "7,-1,0,1"),          // ECHILD
    ("_newselect", "142,-1,0,0,0,0"), // EINVAL
    ("lchown32", "198,0,0,0"),        // EFAULT
    ("clock_gettime64", "403,0,0"),   // EFAULT
];

/// The deny-list the twins above belong to.
const TWIN_DENY: &str =
    "-syscall-deny=fcntl,getuid,getgid,mmap,lseek,setgroups,stat,wait4,select,lchown,clock_gettime";

fn twin_calls() -> Vec<String> {
    TWIN_CALLS.iter().map(|c| c.1.to_string()).collect()
}

#[test]
fn deny_lists_deny_the_i386_twins_of_their_names() {
    needs_root!();
    let Some(exe) = int80_calls() else {
        return;
    };
    let calls = twin_calls();
    let free = results(&exe, &["-syscall-deny=ptrace"], &calls);
    for (c, r) in TWIN_CALLS.iter().zip(&free) {
        assert_ne!(*r, MARK, "{} without a rule", c.0);
    }
    let denied = results(&exe, &[TWIN_DENY], &calls);
    for (c, r) in TWIN_CALLS.iter().zip(&denied) {
        assert_eq!(*r, MARK, "{} must be denied", c.0);
    }
    if let Some(denied) = results_unprivileged(&exe, &[TWIN_DENY], &calls) {
        for (c, r) in TWIN_CALLS.iter().zip(&denied) {
            assert_eq!(*r, MARK, "{} must be denied (unprivileged caller)", c.0);
        }
    }
}

#[test]
fn allow_lists_keep_their_exact_meaning() {
    needs_root!();
    let Some(exe) = int80_calls() else {
        return;
    };
    // the i386 twins are not allowed by naming their x86_64 names
    let allow = "-syscall-allow=@default,write,fcntl,lseek,stat,wait4,select";
    let calls = [
        "221,-1,1",
        "140,-1,0,0,0,0",
        "195,0,0",
        "7,-1,0,1",
        "142,-1,0,0,0,0",
    ];
    let calls: Vec<String> = calls.iter().map(|c| c.to_string()).collect();
    let r = results(&exe, &[allow], &calls);
    assert!(r.iter().all(|&r| r == MARK), "{r:?}");
    // named themselves, they are allowed
    let allow = format!("{allow},fcntl64,_llseek,stat64,waitpid,_newselect");
    let r = results(&exe, &[&allow], &calls);
    assert!(r.iter().all(|&r| r != MARK), "{r:?}");
}

#[test]
fn denying_socketcall_denies_every_sub_call() {
    needs_root!();
    let Some(exe) = int80_calls() else {
        return;
    };
    // socketcall(call, NULL): EINVAL outside 1..=20, EFAULT inside
    let calls: Vec<String> = (0..=21).map(|c| format!("102,{c},0")).collect();
    let free = results(&exe, &["-syscall-deny=ptrace"], &calls);
    assert!(free.iter().all(|&r| r != MARK), "{free:?}");
    let denied = results(&exe, &["-syscall-deny=socketcall"], &calls);
    assert!(denied.iter().all(|&r| r == MARK), "{denied:?}");
    // an allow-list naming it allows every sub-call
    let allowed = results(&exe, &["-syscall-allow=@default,write,socketcall"], &calls);
    assert_eq!(allowed, free);
}

#[test]
fn denying_ipc_denies_shmget_through_ipc() {
    needs_root!();
    let Some(exe) = int80_calls() else {
        return;
    };
    // ipc(SHMGET, key, 4096, 0) for a key nobody created: ENOENT; also
    // ipc(SEMGET, ...) and ipc(MSGGET, ...), and SHMGET with version bits
    let calls: Vec<String> = [
        "117,23,0x7a7a7a7a,4096,0",
        "117,2,0x7a7a7a7a,1,0",
        "117,13,0x7a7a7a7a,0",
        "117,0x10017,0x7a7a7a7a,4096,0",
    ]
    .iter()
    .map(|c| c.to_string())
    .collect();
    let free = results(&exe, &["-syscall-deny=ptrace"], &calls);
    assert_eq!(free, [-2, -2, -2, -2], "ENOENT without a rule");
    let denied = results(&exe, &["-syscall-deny=ipc"], &calls);
    assert_eq!(denied, [MARK; 4]);
}

#[test]
fn dump_says_which_twins_a_deny_list_denies() {
    let r = jail(&[
        "compile",
        "--arch",
        "x86_64,x86",
        "-syscall-deny=fcntl,getuid",
        "--dump",
    ]);
    r.assert_code(0);
    let text = format!("{}{}", r.stdout, r.stderr);
    assert!(
        text.contains("; x86: fcntl denied also as fcntl64 (twin)"),
        "{text}"
    );
    assert!(
        text.contains("; x86: getuid denied also as getuid32 (twin)"),
        "{text}"
    );
    assert!(!text.contains("x86_64: fcntl denied also"), "{text}");
    let r = jail(&[
        "compile",
        "--arch",
        "x86_64,x86",
        "-syscall-allow=fcntl",
        "--dump",
    ]);
    assert!(!format!("{}{}", r.stdout, r.stderr).contains("(twin)"));
}

/// `(pc, instruction, comment)` of each instruction line of a disassembly.
fn insn_lines(text: &str) -> Vec<(usize, &str, Option<&str>)> {
    text.lines()
        .filter_map(|l| {
            let (pc, rest) = l.split_once(": ")?;
            let pc = pc.trim().parse().ok()?;
            Some(match rest.split_once(';') {
                Some((insn, comment)) => (pc, insn.trim(), Some(comment.trim())),
                None => (pc, rest.trim(), None),
            })
        })
        .collect()
}

/// Where `jeq #AUDIT_ARCH_…, T, F` jumps when the arch matches.
fn arch_branch(lines: &[(usize, &str, Option<&str>)], audit_name: &str) -> usize {
    let head = format!("jeq #{audit_name}, ");
    let (_, insn, _) = lines
        .iter()
        .find(|(_, insn, _)| insn.starts_with(&head))
        .unwrap_or_else(|| panic!("no {head}"));
    insn[head.len()..]
        .split(',')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// Every named compare of the i386 branch carries i386's name of its number,
/// those of the x86_64 branch x86_64's. The branches are told apart from the
/// program's layout (x86_64's branch, then i386's, then the returns), which
/// the test checks first.
fn assert_branches_named_by_their_arch(text: &str) {
    use bpf_asm::Arch;
    let lines = insn_lines(text);
    let x86_64 = arch_branch(&lines, "AUDIT_ARCH_X86_64");
    let i386 = arch_branch(&lines, "AUDIT_ARCH_I386");
    let rets = lines
        .iter()
        .find(|(_, i, _)| i.starts_with("ret"))
        .unwrap()
        .0;
    assert!(x86_64 < i386 && i386 < rets, "layout changed:\n{text}");
    let mut named = 0;
    for &(pc, insn, comment) in &lines {
        let (Some(name), Some((_, imm))) = (comment, insn.split_once("#0x")) else {
            continue;
        };
        let nr = u32::from_str_radix(imm.split(',').next().unwrap(), 16).unwrap();
        let arch = match pc {
            _ if (x86_64..i386).contains(&pc) => Arch::X86_64,
            _ if (i386..rets).contains(&pc) => Arch::X86,
            _ => panic!("pc {pc} named outside both branches:\n{text}"),
        };
        let want = policy::SyscallTable::name(arch, nr);
        assert_eq!(Some(name), want, "pc {pc} of {}:\n{text}", arch.name());
        named += 1;
    }
    assert!(named >= 8, "{text}");
    for i386_name in ["; fcntl64", "; getuid32"] {
        assert!(text.contains(i386_name), "{i386_name} missing:\n{text}");
    }
}

#[test]
fn the_i386_branch_of_a_multi_arch_dump_is_named_from_i386s_table() {
    let policy = ["--arch", "x86_64,x86", "-syscall-deny=fcntl,getuid", "-q"];
    let r = jail(&[&["compile", "--dump"][..], &policy].concat());
    r.assert_code(0);
    assert_branches_named_by_their_arch(&r.stderr);
    let r = jail(&[&["compile", "--format", "asm"][..], &policy].concat());
    r.assert_code(0);
    assert_branches_named_by_their_arch(&r.stdout);
    // disasm: --arch names what the program does not say
    let raw = common::scratch_dir().join("x86_64_x86.bpf");
    let out = ["--format", "raw", "-o", raw.to_str().unwrap()];
    jail(&[&["compile"][..], &policy, &out].concat()).assert_code(0);
    let r = jail(&["disasm", raw.to_str().unwrap(), "--arch", "x86_64"]);
    r.assert_code(0);
    assert_branches_named_by_their_arch(&r.stdout);
}

#[test]
fn newfstatat_is_a_syscall_of_aarch64() {
    let r = jail(&[
        "compile",
        "--arch",
        "aarch64",
        "-syscall-deny=newfstatat",
        "--dump",
    ]);
    r.assert_code(0);
    assert!(!r.stderr.contains("does not exist"), "{r:?}");
    let r = jail(&["compile", "--arch", "aarch64", "-syscall-deny=fstatat"]);
    r.assert_code(125);
    assert!(r.stderr.contains("did you mean 'newfstatat'"), "{r:?}");
}
