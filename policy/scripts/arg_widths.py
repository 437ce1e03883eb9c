#!/usr/bin/env python3
"""Derive how many bits of each syscall argument the kernel reads.

Run by hand from a kernel source tree (the output is committed). The
committed table came from Debian's linux-source-7.3 7.3.4-1~bpo13+1
(trixie-backports, the newest kernel source Debian offered), fetched with a
private apt list so the machine's sources stay as they are:

    echo 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]
      http://deb.debian.org/debian trixie-backports main' > /tmp/apt/sources.list
    A="-o Dir::Etc::SourceList=/tmp/apt/sources.list -o Dir::Etc::SourceParts=/dev/null
       -o Dir::State::Lists=/tmp/apt/lists -o Dir::Cache=/tmp/apt/cache"
    apt-get $A update && apt-get $A download linux-source-7.3
    dpkg-deb -x linux-source-7.3_*.deb s
    tar -C s/usr/src -xf s/usr/src/linux-source-7.3.tar.xz
    python3 policy/scripts/arg_widths.py s/usr/src/linux-source-7.3 \
        "Debian linux-source-7.3 7.3.4-1~bpo13+1" > policy/data/arg_widths.tsv

Method:
- syscall names -> entry points from the syscall tables:
  arch/x86/entry/syscalls/syscall_64.tbl (x86_64, abi common/64),
  scripts/syscall.tbl (aarch64, riscv64 since Linux 6.11; the abis of
  arch/{arm64,riscv}/kernel/Makefile.syscalls' syscall_abis_64) and
  include/uapi/asm-generic/unistd.h (the 64-bit side of
  __SC_3264/__SC_COMP; its __NR3264_ names give `fstatat` for nr 79, the
  name the syscalls crate uses on aarch64/riscv64 for newfstatat),
  arch/x86/entry/syscalls/syscall_32.tbl (i386) and
  arch/arm/tools/syscall.tbl (arm, abi common/eabi);
- entry points -> parameter types from every SYSCALL_DEFINEn(...) in the
  generic directories and in arch/{x86,arm64,riscv,arm} (not COMPAT_*);
  for entry points defined nowhere else, in this order: SYSCALL32_DEFINEn
  (i386's sigreturn, arch/x86/kernel/signal_32.c), the `asmlinkage long
  sys_NAME(...)` prototypes of include/linux/syscalls.h, and arch C
  definitions `asmlinkage long|int sys_NAME(...) {` (arm's
  sys_arm_fadvise64_64; a `struct pt_regs *` parameter is the register
  frame, not an argument: arm's sys_sigreturn takes none); arm's assembly
  `sys_NAME_wrapper`s (arch/arm/kernel/entry-common.S) jump to sys_NAME
  with the same arguments;
- each type -> the bits a 64-bit (LP64) kernel keeps when SYSCALL_DEFINE
  casts the register to it (__SC_CAST): pointers, long, size_t, loff_t,
  u64... = 64; int, unsigned int, u32, pid_t, uid_t... = 32; umode_t,
  unsigned short, old_uid_t... = 16. Unknown types stop the script.

When several definitions of one entry point disagree (clone's
CLONE_BACKWARDS* variants, per-arch mmap), a position keeps the widest
width. Then OVERRIDES apply: places where the kernel truncates an argument
after the SYSCALL_DEFINE cast (documented with the source line).

Output, one line per syscall name: `name<TAB>w0,w1,...` (no widths for a
syscall without arguments) for the 64-bit arches (x86_64, aarch64,
riscv64, merged by name: where they disagree, the widest wins); then
`x86:name<TAB>...` / `arm:name<TAB>...` lines for the 32-bit arches where
their entry point's widths differ from the generic line or the generic line
is missing (i386's `setuid` is the 16-bit sys_setuid16). Syscalls whose
entry point has no C definition here are listed in the header, and so are
the names the tables keep without an entry point (sys_ni_syscall or none:
retired or never implemented); neither gets a line. policy/src/width.rs
compares an argument of a syscall without a line on both readings (low
word and all 64 bits), whichever is stricter for the rule's action.
"""

import os
import re
import sys

TYPE_BITS = {
    64: """long unsigned_long long_long unsigned_long_long size_t ssize_t loff_t
        off_t u64 __u64 s64 __s64 aio_context_t uintptr_t time_t
        __kernel_old_time_t clock_t __sighandler_t old_sigset_t cap_user_header_t
        cap_user_data_t caddr_t __kernel_size_t __kernel_ulong_t
        key_serial_t_PTR""",
    32: """int unsigned_int unsigned signed u32 __u32 s32 __s32 pid_t uid_t gid_t
        key_serial_t mode_t qid_t clockid_t timer_t mqd_t rwf_t key_t
        uint uint32_t __kernel_uid32_t __kernel_gid32_t uid32_t gid32_t
        __kernel_old_uid_t_32 compat_uint_t""",
    16: """umode_t unsigned_short short u16 __u16 old_uid_t old_gid_t""",
}
UNKNOWN = set()
TYPES = {t: bits for bits, ts in TYPE_BITS.items() for t in ts.split()}

# Truncations after the SYSCALL_DEFINE cast: (name, arg) -> bits.
OVERRIDES = {
    # kernel/fork.c, SYSCALL_DEFINE5(clone, ...): `.flags =
    # (lower_32_bits(clone_flags) & ~CSIGNAL)` and `.exit_signal =
    # (lower_32_bits(clone_flags) & CSIGNAL)`: only the low word is read.
    ("clone", 0): 32,
    # mm/mmap.c ksys_mmap_pgoff(): `file = fget(fd)` with fget(unsigned
    # int fd): the high word of mmap's fd is ignored.
    ("mmap", 4): 32,
    # The same ksys_mmap_pgoff() behind mmap2 (i386, arm).
    ("mmap2", 4): 32,
}

GENERIC_DIRS = ["kernel", "mm", "fs", "ipc", "net", "security", "block", "io_uring",
                "drivers/char", "lib", "init"]
ARCH_DIRS = {"x86": "arch/x86", "arm64": "arch/arm64", "riscv": "arch/riscv", "arm": "arch/arm"}


def classify(t):
    if re.search(r"\benum\b", t) and "*" not in t:
        return 32  # an enum is an int
    t = re.sub(r"\b(const|volatile|__user|struct|union|enum)\b", " ", t)
    if "*" in t or "[" in t:
        return 64
    words = t.split()
    if not words:
        raise ValueError("empty type")
    key = "_".join(words)
    if key in TYPES:
        return TYPES[key]
    if words[-1] in TYPES and len(words) == 1:
        return TYPES[words[-1]]
    UNKNOWN.add(t.strip())
    return 64


def param_type(p):
    """`unsigned int fd` -> `unsigned int`; `int` -> `int`."""
    p = p.strip()
    if p in ("void", ""):
        return None
    if "(" in p:  # function pointer
        return "void *"
    m = re.match(r"^(.*?[\s\*])(\w+)\s*(\[.*\])?$", p)
    if m and m.group(1).strip() and not re.fullmatch(
        r"(unsigned|signed|long|short|int|char|const|volatile|\s)+", p
    ):
        base = m.group(1)
        if m.group(3):
            base += "*"
        return base
    return p


def split_args(s):
    out, depth, cur = [], 0, ""
    for ch in s:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur)
    return [a.strip() for a in out]


def read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def balanced(text, start):
    """Text inside the parenthesis opening at text[start]."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return text[start + 1 : i]
    raise ValueError("unbalanced")


def merge(a, b):
    n = max(len(a), len(b))
    a = a + [0] * (n - len(a))
    b = b + [0] * (n - len(b))
    return [max(x, y) for x, y in zip(a, b)]


def definitions(src):
    """entry symbol -> list of width vectors, per source origin."""
    defs = {}
    dirs = [os.path.join(src, d) for d in GENERIC_DIRS]
    dirs += [os.path.join(src, d) for d in ARCH_DIRS.values()]
    pat = re.compile(r"(?<![A-Z_])SYSCALL(32)?_DEFINE(\d)\(")
    fallback32 = {}
    for d in dirs:
        for root, _, files in os.walk(d):
            if "/um" in root[len(src):]:
                continue
            for f in files:
                if not f.endswith(".c"):
                    continue
                path = os.path.join(root, f)
                text = read(path)
                for m in pat.finditer(text):
                    body = balanced(text, m.end() - 1)
                    if m.group(1) and "SC_ARG64" in body:
                        continue  # a split u64 (fanotify_mark): its SYSCALL_DEFINE is used
                    parts = split_args(re.sub(r"\s+", " ", body))
                    name, rest = parts[0], parts[1:]
                    types = rest[0::2]
                    widths = [classify(t) for t in types]
                    into = fallback32 if m.group(1) else defs
                    into.setdefault("sys_" + name, []).append(widths)
    for sym, ws in fallback32.items():
        defs.setdefault(sym, ws)
    header = read(os.path.join(src, "include/linux/syscalls.h"))
    protos = {}
    for m in re.finditer(r"asmlinkage long (sys_\w+)\((.*?)\);", header, re.S):
        sym, params = m.group(1), re.sub(r"\s+", " ", m.group(2))
        types = [param_type(p) for p in split_args(params)]
        widths = [classify(t) for t in types if t is not None]
        protos.setdefault(sym, []).append(widths)
    for sym, ws in protos.items():
        defs.setdefault(sym, ws)
    for sym, ws in arch_c_definitions(src).items():
        defs.setdefault(sym, ws)
    return defs


def arch_c_definitions(src):
    """`asmlinkage long|int sys_NAME(...) {` in the arch directories."""
    out = {}
    pat = re.compile(r"^asmlinkage (?:long|int) (sys_\w+)\(([^)]*)\)\s*\{", re.M)
    for d in ARCH_DIRS.values():
        for root, _, files in os.walk(os.path.join(src, d)):
            for f in (f for f in files if f.endswith(".c")):
                for m in pat.finditer(read(os.path.join(root, f))):
                    params = [p for p in split_args(re.sub(r"\s+", " ", m.group(2)))
                              if not re.match(r"struct pt_regs \*", p)]
                    types = [param_type(p) for p in params]
                    widths = [classify(t) for t in types if t is not None]
                    out.setdefault(m.group(1), []).append(widths)
    return out


def widths_of(defs, sym):
    if sym not in defs and sym.endswith("_wrapper"):
        sym = sym[: -len("_wrapper")]
    if sym not in defs:
        return None
    out = []
    for w in defs[sym]:
        out = merge(out, w)
    return out


def table_64(src):
    out = {}
    for line in read(os.path.join(src, "arch/x86/entry/syscalls/syscall_64.tbl")).splitlines():
        f = line.split()
        if len(f) >= 4 and not line.startswith("#") and f[1] in ("common", "64"):
            out.setdefault(f[2], set()).add(f[3])
    uni = read(os.path.join(src, "include/uapi/asm-generic/unistd.h"))
    for m in re.finditer(r"__SYSCALL\(__NR(?:3264)?_(\w+),\s*(sys_\w+)\)", uni):
        out.setdefault(m.group(1), set()).add(m.group(2))
    for m in re.finditer(
        r"__SC_(?:COMP_)?3264\(__NR(?:3264)?_(\w+),\s*\w+,\s*\\?\s*(sys_\w+)", uni
    ):
        out.setdefault(m.group(1), set()).add(m.group(2))
    for m in re.finditer(r"__SC_COMP\(__NR(?:3264)?_(\w+),\s*(sys_\w+),", uni):
        out.setdefault(m.group(1), set()).add(m.group(2))
    generic_tbl = os.path.join(src, "scripts/syscall.tbl")
    if os.path.exists(generic_tbl):
        abis = ("common", "64", "renameat", "rlimit", "memfd_secret", "riscv")
        for name, syms in table_32(src, "scripts/syscall.tbl", abis).items():
            out.setdefault(name, set()).update(syms)
    # riscv64's private syscall (arch/riscv/include/uapi/asm/unistd.h).
    out.setdefault("riscv_flush_icache", set()).add("sys_riscv_flush_icache")
    return out


def unimplemented(src):
    """Names the tables keep with no entry point or sys_ni_syscall."""
    out = set()
    for tag, path, abis in [
        ("", "arch/x86/entry/syscalls/syscall_64.tbl", ("common", "64")),
        ("", "scripts/syscall.tbl", ("common", "64")),
        ("x86:", "arch/x86/entry/syscalls/syscall_32.tbl", ("i386",)),
        ("arm:", "arch/arm/tools/syscall.tbl", ("common", "eabi")),
    ]:
        if not os.path.exists(os.path.join(src, path)):
            continue
        for line in read(os.path.join(src, path)).splitlines():
            f = line.split()
            if len(f) >= 3 and not line.startswith("#") and f[1] in abis:
                if len(f) == 3 or f[3] == "sys_ni_syscall":
                    out.add(tag + f[2])
    return out


def table_32(src, path, abis):
    out = {}
    for line in read(os.path.join(src, path)).splitlines():
        f = line.split()
        if len(f) >= 4 and not line.startswith("#") and f[1] in abis:
            out.setdefault(f[2], set()).add(f[3])
    return out


def version(src):
    mk = read(os.path.join(src, "Makefile"))
    get = lambda k: re.search(rf"^{k} = ?(.*)$", mk, re.M).group(1).strip()
    return f"{get('VERSION')}.{get('PATCHLEVEL')}.{get('SUBLEVEL')}{get('EXTRAVERSION')}"


def resolve_widths(defs, name, syms, missing):
    out, found = [], False
    for sym in sorted(syms):
        if sym == "sys_ni_syscall":
            continue
        w = widths_of(defs, sym)
        if w is None:
            missing.append(f"{name} ({sym})")
            return None
        found = True
        out = merge(out, w)
    if not found:
        return None
    for (n, i), bits in OVERRIDES.items():
        if n == name.split(":")[-1] and i < len(out):
            out[i] = bits
    return out


def main():
    src = sys.argv[1]
    origin = sys.argv[2] if len(sys.argv) > 2 else os.path.basename(os.path.abspath(src))
    defs = definitions(src)
    if UNKNOWN:
        sys.exit("unknown types (add them to TYPE_BITS): " + ", ".join(sorted(UNKNOWN)))
    missing = []
    generic = {}
    for name, syms in sorted(table_64(src).items()):
        w = resolve_widths(defs, name, syms, missing)
        if w is not None:
            generic[name] = w
    arch_lines = []
    for tag, path, abis in [
        ("x86", "arch/x86/entry/syscalls/syscall_32.tbl", ("i386",)),
        ("arm", "arch/arm/tools/syscall.tbl", ("common", "eabi")),
    ]:
        for name, syms in sorted(table_32(src, path, abis).items()):
            w = resolve_widths(defs, f"{tag}:{name}", syms, missing)
            if w is not None and generic.get(name) != w:
                arch_lines.append((f"{tag}:{name}", w))
    print(f"# Argument widths of Linux {version(src)} syscalls, in bits the kernel reads.")
    print(f"# Generated by policy/scripts/arg_widths.py from the kernel sources ({origin})")
    print("# (include/linux/syscalls.h, SYSCALL_DEFINEn, syscall tables); do not edit.")
    print("# Format: name<TAB>w0,w1,... (64-bit arches); x86:/arm: lines for i386/arm")
    print("# where they differ. Overrides (truncation after the cast): "
          + ", ".join(f"{n} arg{i}={b}" for (n, i), b in sorted(OVERRIDES.items())))
    print("# No C definition found (no line): " + ", ".join(sorted(set(missing))))
    print("# Not implemented (no line): " + ", ".join(sorted(unimplemented(src))))
    for name, w in sorted(generic.items()):
        print(f"{name}\t{','.join(map(str, w))}")
    for name, w in arch_lines:
        print(f"{name}\t{','.join(map(str, w))}")


if __name__ == "__main__":
    main()
